import io

from odoo import api, fields, models
from odoo.tools import SQL, format_date
from odoo.tools.misc import xlsxwriter
from odoo.tools.translate import LazyTranslate

from ..models.billing_collection_report import EFFECTIVENESS_DAYS
from ..models.billing_report_hook import ReportScope

_lt = LazyTranslate(__name__)

KPI_ROWS = [
    # (key, label, kind, definition)
    ("invoices_issued_count", _lt("Invoices issued"), "count", _lt("Customer invoices dated in the period")),
    (
        "invoices_issued_amount",
        _lt("Invoiced (gross)"),
        "money",
        _lt("Their total, taxes included, before credit notes"),
    ),
    ("credit_notes_amount", _lt("Credit notes"), "money", _lt("Customer credit notes dated in the period")),
    (
        "net_sales",
        _lt("Invoiced (net of credit notes)"),
        "money",
        _lt("Invoiced (gross) less credit notes: the net credit sales of the DSO"),
    ),
    (
        "invoices_paid_count",
        _lt("Invoices fully paid"),
        "count",
        _lt("Paid now, last payment or credit in the period"),
    ),
    (
        "invoices_paid_amount",
        _lt("Paid (payments and bank)"),
        "money",
        _lt("Invoice amounts settled in the period by payments and bank entries; credit notes are not payments"),
    ),
    (
        "invoices_overdue_count",
        _lt("Invoices overdue at period end"),
        "count",
        _lt("Documents open and past due on the last day"),
    ),
    ("invoices_overdue_amount", _lt("Overdue amount at period end"), "money", _lt("Their open amount on the last day")),
    ("receivable_start", _lt("Receivables at start"), "money", _lt("Receivable balance the day before the period")),
    ("receivable_end", _lt("Receivables at end"), "money", _lt("Receivable balance on the last day")),
    ("dso_simple", _lt("DSO (simple)"), "days", _lt("Receivables at end / net sales x days of the period")),
    ("dso_countback", _lt("DSO (countback)"), "days", _lt("Months of sales, walked back from the end, in receivables")),
    (
        "dso_best_possible",
        _lt("Best possible DSO"),
        "days",
        _lt("Current (not yet due) receivables / net sales x days"),
    ),
    (
        "cei",
        _lt("Collection effectiveness index (%)"),
        "percent",
        _lt("(start + net sales - end) / (start + net sales - current at end) x 100"),
    ),
    (
        "avg_days_to_pay",
        _lt("Average days to pay"),
        "days",
        _lt("Invoice date to last payment, invoices paid in the period"),
    ),
    ("payments_count", _lt("Customer payments"), "count", _lt("Inbound customer payments dated in the period")),
    ("payments_amount", _lt("Payments received"), "money", _lt("Their amount")),
    (
        "unapplied_credits_end",
        _lt("Unapplied credits at end"),
        "money",
        _lt("Payments and credit notes not yet applied to invoices, last day"),
    ),
    (
        "matching_auto_applied",
        _lt("Payments applied automatically"),
        "count",
        _lt("Payments of the period applied by an automatic matching run"),
    ),
    (
        "matching_auto_rate",
        _lt("Auto-applied rate (%)"),
        "percent",
        _lt("Share of payments applied by the automatic run"),
    ),
    (
        "matching_manual",
        _lt("Payments matched by hand"),
        "count",
        _lt("Payments of the period fully applied otherwise (Match Payments, registered payments)"),
    ),
    ("disputes_opened_count", _lt("Disputes opened"), "count", _lt("Cases opened in the period")),
    ("disputes_opened_amount", _lt("Amount disputed"), "money", _lt("Their disputed amount")),
    ("disputes_resolved_count", _lt("Disputes resolved"), "count", _lt("Cases resolved in the period")),
    ("disputes_rejected_count", _lt("Disputes rejected"), "count", _lt("Cases rejected in the period")),
    ("disputes_avg_resolution_days", _lt("Average resolution days"), "days", _lt("Opening to closing, cases closed")),
    ("disputes_credited", _lt("Credited by disputes"), "money", _lt("Credit notes of the cases closed in the period")),
    (
        "disputes_written_off",
        _lt("Written off by disputes"),
        "money",
        _lt("Write-offs of the cases closed in the period"),
    ),
    ("disputes_sla_breaches", _lt("SLA breaches"), "count", _lt("Cases past their deadline, deadline in the period")),
    (
        "disputes_open_end",
        _lt("Disputes open at period end"),
        "count",
        _lt("Opened by the last day, not closed by then"),
    ),
    ("promises_made_count", _lt("Promises to pay made"), "count", _lt("Promises recorded in the period")),
    ("promises_made_amount", _lt("Amount promised"), "money", _lt("Their promised amount")),
    ("promises_kept_count", _lt("Promises kept"), "count", _lt("Judged kept in the period")),
    ("promises_kept_amount", _lt("Amount of kept promises"), "money", _lt("Their promised amount")),
    ("promises_partial_count", _lt("Promises partially kept"), "count", _lt("Judged partially kept in the period")),
    ("promises_partial_amount", _lt("Amount of partially kept promises"), "money", _lt("Their promised amount")),
    ("promises_broken_count", _lt("Promises broken"), "count", _lt("Judged broken in the period")),
    ("promises_broken_amount", _lt("Amount of broken promises"), "money", _lt("Their promised amount")),
    ("promises_kept_rate", _lt("Promises kept (%)"), "percent", _lt("Kept / judged in the period x 100")),
    (
        "collection_customers_overdue",
        _lt("Customers with overdue items today"),
        "count",
        _lt("Customers on the collections worklist today"),
    ),
    (
        "collection_followup_amount",
        _lt("Overdue in follow-up today"),
        "money",
        _lt("Overdue today, less the parts in dispute or under promise"),
    ),
    (
        "collection_disputed_amount",
        _lt("Overdue paused by disputes today"),
        "money",
        _lt("Overdue parts of invoices in an open dispute"),
    ),
    (
        "collection_promised_amount",
        _lt("Overdue under promise today"),
        "money",
        _lt("Overdue invoices covered by an open promise, not yet past its deadline"),
    ),
    (
        "outlook_expected_4w",
        _lt("Expected next 4 weeks"),
        "money",
        _lt("Cash outlook today: receipts expected this week and the 3 after; unapplied cash apart"),
    ),
]

# The key figures about today, not about the period: they have no previous period, hence no change.
TODAY_KPIS = frozenset(
    (
        "collection_customers_overdue",
        "collection_followup_amount",
        "collection_disputed_amount",
        "collection_promised_amount",
        "outlook_expected_4w",
    )
)

# Which way a key figure's change is good: +1 when it rises, -1 when it falls. A figure absent here is neither
# (more invoices issued is not good or bad in itself): its change is not coloured.
KPI_BETTER = {
    **dict.fromkeys(
        (
            "invoices_paid_count",
            "invoices_paid_amount",
            "cei",
            "payments_count",
            "payments_amount",
            "matching_auto_applied",
            "matching_auto_rate",
            "disputes_resolved_count",
            "promises_kept_count",
            "promises_kept_amount",
            "promises_kept_rate",
        ),
        1,
    ),
    **dict.fromkeys(
        (
            "credit_notes_amount",
            "invoices_overdue_count",
            "invoices_overdue_amount",
            "dso_simple",
            "dso_countback",
            "dso_best_possible",
            "avg_days_to_pay",
            "unapplied_credits_end",
            "matching_manual",
            "disputes_opened_count",
            "disputes_opened_amount",
            "disputes_avg_resolution_days",
            "disputes_credited",
            "disputes_written_off",
            "disputes_sla_breaches",
            "disputes_open_end",
            "promises_broken_count",
            "promises_broken_amount",
            "collection_customers_overdue",
            "collection_followup_amount",
        ),
        -1,
    ),
}

KPI_GROUPS = [
    # (key, label, KPI keys): the key figures as the report groups them
    (
        "invoicing",
        _lt("Invoicing"),
        ("invoices_issued_count", "invoices_issued_amount", "credit_notes_amount", "net_sales"),
    ),
    (
        "collections",
        _lt("Collections"),
        (
            "invoices_paid_count",
            "invoices_paid_amount",
            "invoices_overdue_count",
            "invoices_overdue_amount",
            "receivable_start",
            "receivable_end",
            "dso_simple",
            "dso_countback",
            "dso_best_possible",
            "cei",
            "avg_days_to_pay",
            "payments_count",
            "payments_amount",
            "unapplied_credits_end",
            "outlook_expected_4w",
        ),
    ),
    (
        "disputes",
        _lt("Disputes"),
        (
            "disputes_opened_count",
            "disputes_opened_amount",
            "disputes_resolved_count",
            "disputes_rejected_count",
            "disputes_avg_resolution_days",
            "disputes_credited",
            "disputes_written_off",
            "disputes_sla_breaches",
            "disputes_open_end",
        ),
    ),
    ("matching", _lt("Matching"), ("matching_auto_applied", "matching_auto_rate", "matching_manual")),
    (
        "promises",
        _lt("Promises and Follow-up"),
        (
            "promises_made_count",
            "promises_made_amount",
            "promises_kept_count",
            "promises_kept_amount",
            "promises_partial_count",
            "promises_partial_amount",
            "promises_broken_count",
            "promises_broken_amount",
            "promises_kept_rate",
            "collection_customers_overdue",
            "collection_followup_amount",
            "collection_disputed_amount",
            "collection_promised_amount",
        ),
    ),
]


def kpi_change(current, previous):
    """(absolute change, change in %) from ``previous`` to ``current``; None where it means nothing: a figure that
    is n/a on either side has no change, and a previous figure of 0 has no change in %."""
    if current is None or previous is None:
        return None, None
    delta = current - previous
    return delta, (round(delta / abs(previous) * 100.0, 1) if previous else None)


def today_reason(env):
    """Why a key figure of ``TODAY_KPIS`` has no previous value nor change, in words for the reader."""
    return env._("a figure of today, not of the period, has no previous period")


def kpi_trend(key, delta):
    """+1 when the change of the key figure ``key`` is good, -1 when bad, 0 when neither (``KPI_BETTER``)."""
    return KPI_BETTER.get(key, 0) * ((delta > 0) - (delta < 0)) if delta is not None else 0


def grouped_kpi_rows():
    """[(group label, [(key, label, kind, definition)])] in the order of ``KPI_GROUPS``: every KPI row once."""
    rows = {row[0]: row for row in KPI_ROWS}
    return [(label, [rows[key] for key in keys]) for _group, label, keys in KPI_GROUPS]


class BillingWorkbook(models.AbstractModel):
    """The billing-activity workbook: Summary (KPIs, monthly chart), Aging (chart), Invoices, Disputes, Matching.

    Written with xlsxwriter in constant-memory mode (rows are streamed), every cell typed, formats defined once,
    frozen headers, autofilters, totals as formulas and native charts.
    """

    _name = "billing.workbook"
    _description = "Billing Activity Workbook"

    @api.model
    def _build(self, companies, date_from, date_to, team_ids=None, user_ids=None, partner_ids=None):
        return self._build_for(ReportScope.of(companies, date_from, date_to, team_ids, user_ids, partner_ids))

    @api.model
    def _build_for(self, scope, previous_scope=None):
        """The workbook of ``scope`` as bytes: Summary, Aging and Invoices, then each contribution's sheets
        (``billing.report.hook``: Disputes, Matching, Billing Errors). With ``previous_scope`` (the comparison
        period, same filters), the Summary carries the previous figures and their changes, as the screen does."""
        kpis = self.env["billing.kpi"]._kpis_for(scope)
        previous = self.env["billing.kpi"]._kpis_for(previous_scope) if previous_scope else None
        output = io.BytesIO()
        # constant_memory streams each row to a temporary file as soon as the next one starts (in_memory would
        # keep every row in memory and switch it off).
        # Text from the data (names, references) is written with write_string and never read as a formula; the
        # addon writes its own formulas with write_formula.
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_formulas": False})
        formats = self._formats(workbook, kpis["currency"])
        summary = workbook.add_worksheet(self.env._("Summary"))
        aging_sheet = workbook.add_worksheet(self.env._("Aging"))
        invoices_sheet = workbook.add_worksheet(self.env._("Invoices"))
        self._write_summary(workbook, summary, formats, (kpis, previous), (scope, previous_scope))
        self._write_aging(workbook, aging_sheet, formats, kpis["aging"])
        self._write_invoices(invoices_sheet, formats, scope)
        for contribution in self.env["billing.report.hook"]._billing_report_contributions():
            contribution._billing_workbook_sheets(scope, workbook, formats)
        workbook.close()
        return output.getvalue()

    @api.model
    def _formats(self, workbook, currency):
        decimals = "0" * currency.decimal_places
        money = f"#,##0.{decimals}" if decimals else "#,##0"
        if currency.position == "before":
            money = f'"{currency.symbol}" {money}'
        else:
            money = f'{money} "{currency.symbol}"'
        return {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "bold": workbook.add_format({"bold": True}),
            "header": workbook.add_format({"bold": True, "bg_color": "#D9E2F3", "border": 1, "text_wrap": True}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "money": workbook.add_format({"num_format": money}),
            "money_total": workbook.add_format({"num_format": money, "bold": True, "top": 1}),
            "count": workbook.add_format({"num_format": "#,##0"}),
            "count_total": workbook.add_format({"num_format": "#,##0", "bold": True, "top": 1}),
            "days": workbook.add_format({"num_format": "0.0"}),
            "percent": workbook.add_format({"num_format": "0.0"}),
            "muted": workbook.add_format({"font_color": "#666666", "italic": True}),
            "rate": workbook.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
            **self._change_formats(workbook, money),
        }

    @staticmethod
    def _change_formats(workbook, money):
        """``change_<kind>_<trend>``: a change as its figure's kind (a percentage's in points), green when good,
        red when bad (``KPI_BETTER``), black when neither."""
        number_formats = {
            "money": f"+{money};-{money};{money}",
            "count": "+#,##0;-#,##0;0",
            "days": "+0.0;-0.0;0.0",
            "percent": '+0.0" pts";-0.0" pts";0.0" pts"',
        }
        colours = {1: "#1E7B34", -1: "#B02A37", 0: "#000000"}
        return {
            f"change_{kind}_{trend}": workbook.add_format({"num_format": number_format, "font_color": colour})
            for kind, number_format in number_formats.items()
            for trend, colour in colours.items()
        }

    @staticmethod
    def _date(value):
        return fields.Datetime.to_datetime(value)

    def _write_summary(self, workbook, sheet, formats, kpis_pair, scopes):
        """The key figures (with the previous period's and the changes when there is a comparison), the follow-up
        levels, their effectiveness and the monthly issued and paid with their chart."""
        kpis, previous = kpis_pair
        scope, previous_scope = scopes
        companies = scope.companies
        sheet.set_column(0, 0, 38)
        sheet.set_column(1, 4, 16)
        sheet.set_column(5, 5, 70)
        sheet.write_string(0, 0, self.env._("Billing Report"), formats["title"])
        sheet.write_string(1, 0, self.env._("Period"))
        sheet.write_datetime(1, 1, self._date(kpis["date_from"]), formats["date"])
        sheet.write_datetime(1, 2, self._date(kpis["date_to"]), formats["date"])
        sheet.write_string(2, 0, self.env._("Companies"))
        sheet.write_string(2, 1, ", ".join(companies.mapped("name")))
        sheet.write_string(3, 0, self.env._("Filters"))
        sheet.write_string(3, 1, self._filters_text(companies, kpis, **scope.filters()))
        sheet.write_string(4, 0, self.env._("Compared with"))
        if previous_scope:
            sheet.write_datetime(4, 1, self._date(previous_scope.date_from), formats["date"])
            sheet.write_datetime(4, 2, self._date(previous_scope.date_to), formats["date"])
        else:
            sheet.write_string(4, 1, self.env._("No comparison"), formats["muted"])
        row = 5
        headers = (
            self.env._("Indicator"),
            self.env._("Value"),
            self.env._("Previous"),
            self.env._("Change"),
            self.env._("Change %"),
            self.env._("Definition"),
        )
        for col, label in enumerate(headers):
            sheet.write_string(row, col, label, formats["header"])
        for group_label, rows in grouped_kpi_rows():
            row += 1
            sheet.write_string(row, 0, str(group_label), formats["bold"])
            row = self._write_kpi_rows(sheet, formats, (kpis, previous), rows, row)
        row = self._write_levels(sheet, formats, kpis["customers_by_level"], row + 2)
        row = self._write_effectiveness(sheet, formats, kpis["level_effectiveness"], row + 2)
        self._write_monthly(workbook, sheet, formats, scope, row + 2)
        sheet.freeze_panes(6, 0)

    def _write_monthly(self, workbook, sheet, formats, scope, row):
        """Invoiced (gross) and paid (``billing.kpi._paid_sql``) by month from ``row``, and their chart."""
        monthly = self._monthly(scope)
        headers = (self.env._("Month"), self.env._("Invoiced (gross)"), self.env._("Paid (payments and bank)"))
        for col, label in enumerate(headers):
            sheet.write_string(row, col, label, formats["header"])
        first = row + 1
        for month, issued, paid in monthly:
            row += 1
            sheet.write_string(row, 0, month)
            sheet.write_number(row, 1, issued, formats["money"])
            sheet.write_number(row, 2, paid, formats["money"])
        if monthly:
            chart = workbook.add_chart({"type": "column"})
            for col in (1, 2):
                chart.add_series(
                    {
                        "name": headers[col],
                        "categories": [sheet.name, first, 0, row, 0],
                        "values": [sheet.name, first, col, row, col],
                    }
                )
            chart.set_title({"name": self.env._("Invoiced vs paid, by month")})
            chart.set_y_axis({"num_format": "#,##0"})
            sheet.insert_chart(5, 7, chart, {"x_scale": 1.4, "y_scale": 1.2})

    def _filters_text(self, companies, kpis, team_ids=None, user_ids=None, partner_ids=None):
        """Every filter of the report, named: "Companies: A; Sales teams: B; ...; Period: 01/03/2026 - 31/03/2026".
        A filter left empty (all teams, all customers) is not listed; "None" only when nothing is set."""
        parts = []
        named = [
            (self.env._("Companies"), companies.mapped("name")),
            (self.env._("Sales teams"), self.env["crm.team"].browse(team_ids or []).mapped("name")),
            (self.env._("Specialists"), self.env["res.users"].browse(user_ids or []).mapped("name")),
            (self.env._("Customers"), self.env["res.partner"].browse(partner_ids or []).mapped("display_name")),
        ]
        for label, names in named:
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        if kpis.get("date_from") and kpis.get("date_to"):
            parts.append(
                self.env._(
                    "Period: %(start)s - %(end)s",
                    start=format_date(self.env, kpis["date_from"]),
                    end=format_date(self.env, kpis["date_to"]),
                )
            )
        return "; ".join(parts) or self.env._("None")

    def _write_kpi_rows(self, sheet, formats, kpis_pair, rows, row):
        """Write the KPI ``rows`` after ``row``: value, previous, change, change % (numbers only: an n/a figure is an
        empty cell with a comment, its reason in the definition); return the last row written."""
        kpis, previous = kpis_pair
        for key, label, kind, definition in rows:
            row += 1
            value = kpis.get(key)
            sheet.write_string(row, 0, str(label))
            self._write_figure(sheet, (row, 1), value, formats[kind], kpis["na_reasons"].get(key))
            if previous is not None:
                self._write_change(sheet, formats, row, (key, kind), (value, previous))
            reason = kpis["na_reasons"].get(key)
            if reason:
                definition = self.env._("%(definition)s. n/a: %(reason)s", definition=definition, reason=reason)
            sheet.write_string(row, 5, str(definition), formats["muted"])
        return row

    def _write_change(self, sheet, formats, row, key_kind, values):
        """Previous, change and change % of one key figure on ``row``. A figure of today has none (empty cells, the
        reason in a comment); a percentage's change is in points only, its Change % empty."""
        (key, kind), (value, previous) = key_kind, values
        if key in TODAY_KPIS:
            for col in (2, 3, 4):
                self._write_figure(sheet, (row, col), None, formats[kind], today_reason(self.env))
            return
        before = previous.get(key)
        self._write_figure(sheet, (row, 2), before, formats[kind], previous["na_reasons"].get(key))
        delta, percent = kpi_change(value, before)
        if delta is not None:
            sheet.write_number(row, 3, delta, formats[f"change_{kind}_{kpi_trend(key, delta)}"])
        if percent is not None and kind != "percent":
            sheet.write_number(row, 4, percent / 100.0, formats["rate"])

    def _write_figure(self, sheet, cell, value, cell_format, reason=None):
        """A figure as a number; None (n/a) as an empty cell with the reason in a comment, never text."""
        if value is not None:
            sheet.write_number(*cell, value, cell_format)
            return
        sheet.write_blank(*cell, None, cell_format)
        sheet.write_comment(*cell, self.env._("n/a: %(reason)s", reason=reason) if reason else self.env._("n/a"))

    def _write_levels(self, sheet, formats, levels, row):
        """Customers per follow-up level today, from ``row``; return the last row written."""
        sheet.write_string(row, 0, self.env._("Follow-up level (today)"), formats["header"])
        sheet.write_string(row, 1, self.env._("Customers"), formats["header"])
        if not levels:
            row += 1
            sheet.write_string(row, 0, self.env._("No customer has been followed up yet"), formats["muted"])
        for level in levels:
            row += 1
            sheet.write_string(row, 0, level["label"])
            sheet.write_number(row, 1, level["count"], formats["count"])
        return row

    def _write_effectiveness(self, sheet, formats, levels, row):
        """Effectiveness of each follow-up level in the period, from ``row``; return the last row written."""
        headers = (
            self.env._("Follow-up level: paid within %(days)s days", days=EFFECTIVENESS_DAYS),
            self.env._("Rate (%)"),
            self.env._("Messages"),
            self.env._("Followed up"),
            self.env._("Paid within the days"),
        )
        for col, label in enumerate(headers):
            sheet.write_string(row, col, label, formats["header"])
        if not levels:
            row += 1
            sheet.write_string(row, 0, self.env._("No follow-up message in the period"), formats["muted"])
        for level in levels:
            row += 1
            sheet.write_string(row, 0, level["label"])
            self._write_figure(sheet, (row, 1), level["rate"], formats["percent"], level.get("reason"))
            sheet.write_number(row, 2, level["messages"], formats["count"])
            sheet.write_number(row, 3, level["amount"], formats["money"])
            sheet.write_number(row, 4, level["collected"], formats["money"])
        return row

    def _monthly(self, scope):
        """[(YYYY-MM, invoiced gross, paid)] over the period, company currency, with the report's filters; paid is
        ``billing.kpi._paid_sql``, as the key figure and the analysis count it."""
        Kpi = self.env["billing.kpi"]
        where = Kpi._invoice_filter(scope)
        self.env.cr.execute(
            SQL(
                """
                SELECT to_char(day, 'YYYY-MM') AS month, SUM(issued), SUM(paid) FROM (
                    SELECT move.invoice_date AS day, move.amount_total_signed AS issued, 0 AS paid
                      FROM account_move move
                     WHERE move.state = 'posted' AND move.move_type = 'out_invoice'
                       AND move.invoice_date BETWEEN %(start)s AND %(end)s AND %(where)s
                    UNION ALL
                    SELECT flows.paid_date, 0, flows.amount
                      FROM (%(paid)s) AS flows
                     WHERE flows.paid_date BETWEEN %(start)s AND %(end)s
                ) AS flows
                GROUP BY 1 ORDER BY 1
                """,
                start=scope.date_from,
                end=scope.date_to,
                where=where,
                paid=Kpi._paid_sql(where),
            )
        )
        return self.env.cr.fetchall()

    def _write_aging(self, workbook, sheet, formats, aging):
        buckets = aging["buckets"]
        sheet.write_string(0, 0, self.env._("Aged receivables on"), formats["bold"])
        sheet.write_datetime(0, 1, self._date(aging["as_of"]), formats["date"])
        headers = [self.env._("Customer"), *buckets, self.env._("Total")]
        for col, label in enumerate(headers):
            sheet.write_string(2, col, label, formats["header"])
        partners = dict(
            self.env["res.partner"]
            .browse([row["partner_id"] for row in aging["rows"] if row["partner_id"]])
            .with_context(active_test=False)
            .mapped(lambda p: (p.id, p.display_name))
        )
        row = 2
        width = len(buckets)
        last_col = xlsxwriter.utility.xl_col_to_name(width)
        for line in aging["rows"]:
            row += 1
            sheet.write_string(row, 0, partners.get(line["partner_id"], self.env._("No customer")))
            for col, amount in enumerate(line["amounts"], start=1):
                sheet.write_number(row, col, amount, formats["money"])
            sheet.write_formula(
                row, width + 1, f"=SUM(B{row + 1}:{last_col}{row + 1})", formats["money"], line["total"]
            )
        total_row = row + 1
        sheet.write_string(total_row, 0, self.env._("Total"), formats["bold"])
        for col in range(1, width + 2):
            letter = xlsxwriter.utility.xl_col_to_name(col)
            value = aging["totals"][col - 1] if col <= width else aging["total"]
            sheet.write_formula(
                total_row, col, f"=SUBTOTAL(9,{letter}4:{letter}{total_row})", formats["money_total"], value
            )
        sheet.write_string(total_row + 1, 0, self.env._("Receivable accounts balance"), formats["muted"])
        sheet.write_number(total_row + 1, width + 1, aging["ledger_balance"], formats["money"])
        chart = workbook.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": self.env._("Open amount"),
                "categories": [sheet.name, 2, 1, 2, width],
                "values": [sheet.name, total_row, 1, total_row, width],
            }
        )
        chart.set_title({"name": self.env._("Aging by bucket")})
        chart.set_legend({"none": True})
        sheet.insert_chart(1, width + 3, chart)
        sheet.freeze_panes(3, 1)
        sheet.autofilter(2, 0, total_row - 1, width + 1)
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, width + 1, 14)

    def _write_invoices(self, sheet, formats, scope):
        headers = [
            self.env._("Number"),
            self.env._("Type"),
            self.env._("Customer"),
            self.env._("Salesperson"),
            self.env._("Invoice Date"),
            self.env._("Due Date"),
            self.env._("Total"),
            self.env._("Open"),
            self.env._("Paid (payments and bank)"),
            self.env._("Credited"),
            self.env._("Last Payment"),
            self.env._("Days to Pay"),
            self.env._("Days Overdue"),
            self.env._("In Dispute"),
        ]
        for col, label in enumerate(headers):
            sheet.write_string(0, col, label, formats["header"])
        self._invoices_query(scope)
        types = {"out_invoice": self.env._("Invoice"), "out_refund": self.env._("Credit Note")}
        row = 0
        while batch := self.env.cr.fetchmany(5000):
            for values in batch:
                row += 1
                self._write_invoice(sheet, formats, types, row, values)
        total_row = row + 1
        sheet.write_string(total_row, 0, self.env._("Total"), formats["bold"])
        for col, letter in ((6, "G"), (7, "H"), (8, "I"), (9, "J")):
            sheet.write_formula(total_row, col, f"=SUBTOTAL(9,{letter}2:{letter}{total_row})", formats["money_total"])
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, row, len(headers) - 1)
        sheet.set_column(0, 0, 18)
        sheet.set_column(2, 3, 26)
        sheet.set_column(4, 13, 13)

    def _invoices_query(self, scope):
        """Execute the query of the Invoices sheet (the rows are fetched in batches by the caller)."""
        report = self.env["billing.activity.report"]
        self.env.cr.execute(
            SQL(
                """
                SELECT r.name, r.move_type, partner.name, COALESCE(user_partner.name, ''), r.invoice_date,
                       r.invoice_date_due, r.amount_total, r.amount_residual, r.amount_paid, r.amount_credited,
                       r.last_payment_date,
                       r.days_to_pay, r.days_overdue, r.in_dispute
                  FROM (%s) AS r
                  JOIN account_move move ON move.id = r.move_id
                  JOIN res_partner partner ON partner.id = r.partner_id
                  LEFT JOIN res_users users ON users.id = r.user_id
                  LEFT JOIN res_partner user_partner ON user_partner.id = users.partner_id
                 WHERE r.invoice_date BETWEEN %s AND %s AND %s
                 ORDER BY r.invoice_date, r.id
                """,
                report._table_query,
                scope.date_from,
                scope.date_to,
                self.env["billing.kpi"]._invoice_filter(scope),
            )
        )

    def _write_invoice(self, sheet, formats, types, row, values):
        name, move_type, customer, salesperson, invoice_date, due, total, residual, paid, credited = values[:10]
        last_payment, days_to_pay, days_overdue, in_dispute = values[10:]
        money, date_format, count, to_datetime = formats["money"], formats["date"], formats["count"], self._date
        sheet.write_string(row, 0, name)
        sheet.write_string(row, 1, types.get(move_type, move_type))
        sheet.write_string(row, 2, customer)
        sheet.write_string(row, 3, salesperson)
        sheet.write_datetime(row, 4, to_datetime(invoice_date), date_format)
        if due:
            sheet.write_datetime(row, 5, to_datetime(due), date_format)
        sheet.write_number(row, 6, total, money)
        sheet.write_number(row, 7, residual, money)
        sheet.write_number(row, 8, paid, money)
        sheet.write_number(row, 9, credited, money)
        if last_payment:
            sheet.write_datetime(row, 10, to_datetime(last_payment), date_format)
        if days_to_pay is not None:
            sheet.write_number(row, 11, days_to_pay, count)
        sheet.write_number(row, 12, days_overdue, count)
        sheet.write_boolean(row, 13, bool(in_dispute))
