import base64
import dataclasses
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from ..models.billing_report_hook import ReportScope
from ..report.billing_workbook import TODAY_KPIS, grouped_kpi_rows, kpi_change, kpi_trend, today_reason

PERIOD_PRESETS = [
    ("this_month", "This Month"),
    ("last_month", "Last Month"),
    ("this_quarter", "This Quarter"),
    ("year_to_date", "Year to Date"),
    ("last_12_months", "Last 12 Months"),
    ("custom", "Custom"),
]
COMPARISONS = [
    ("previous_period", "Previous Period"),
    ("previous_year", "Same Period Last Year"),
    ("none", "No Comparison"),
]


def preset_dates(preset, today):
    """(first day, last day) of a preset period; None for "custom".

    The current month, the current quarter and the year to date end today, not on their last day: the aging as of
    a later day would age items that are not due yet. Last month is the whole previous calendar month; the last 12
    months end today and start the day after the same date a year ago.
    """
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "year_to_date":
        return today.replace(month=1, day=1), today
    if preset == "last_12_months":
        return today - relativedelta(years=1) + timedelta(days=1), today
    return None


def comparison_dates(date_from, date_to, comparison, preset=None):
    """(first day, last day) of the period to compare with; None for no comparison.

    - previous_year: the same days a year before (29 February becomes the 28th).
    - previous_period: the period of the same length immediately before. A period that starts on the 1st of a
      month is moved back by whole calendar months (the months it spans; three for a quarter), so that March is
      compared with February and 1-15 March with 1-15 February; any other period by its number of days.
    """
    if comparison == "previous_year":
        return date_from - relativedelta(years=1), date_to - relativedelta(years=1)
    if comparison != "previous_period":
        return None
    if date_from.day == 1:
        months = (
            3
            if preset == "this_quarter"
            else (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        )
        day_before = date_from - timedelta(days=1)
        if date_to == date_to + relativedelta(day=31):  # whole months: up to the day before
            return date_from - relativedelta(months=months), day_before
        return date_from - relativedelta(months=months), min(date_to - relativedelta(months=months), day_before)
    days = (date_to - date_from).days + 1
    return date_from - timedelta(days=days), date_from - timedelta(days=1)


class BillingReportWizard(models.TransientModel):
    """Billing-activity report: a period and filters, the KPIs against the previous period, the aging with its
    drill-down, the analysis and the XLSX workbook."""

    _name = "billing.report.wizard"
    _description = "Billing Activity Report"

    period_preset = fields.Selection(
        PERIOD_PRESETS,
        string="Period",
        required=True,
        default="last_month",
        help="Sets the dates; changing a date by hand makes the period Custom. This month, this quarter and the "
        "year to date end today.",
    )
    date_from = fields.Date(required=True, compute="_compute_dates", store=True, readonly=False, precompute=True)
    date_to = fields.Date(required=True, compute="_compute_dates", store=True, readonly=False, precompute=True)
    comparison = fields.Selection(
        COMPARISONS,
        string="Compare With",
        required=True,
        default="previous_period",
        help="Previous Period: the same length immediately before (a period starting on the 1st moves back by "
        "whole months: March against February). Same Period Last Year: the same days a year before.",
    )
    compare_date_from = fields.Date(compute="_compute_compare_dates")
    compare_date_to = fields.Date(compute="_compute_compare_dates")
    company_ids = fields.Many2many(
        "res.company", string="Companies", required=True, default=lambda self: self.env.companies
    )
    team_ids = fields.Many2many("crm.team", string="Sales Teams")
    user_ids = fields.Many2many(
        "res.users",
        string="Specialists",
        domain="[('share', '=', False)]",
        help="Keeps the dispute cases these specialists handle: the dispute figures, and in the analysis the "
        "documents of their cases.",
    )
    partner_ids = fields.Many2many("res.partner", string="Customers")
    kpi_html = fields.Html(string="Key Figures", compute="_compute_kpi_html", sanitize=False)
    aging_html = fields.Html(string="Aged Receivables", compute="_compute_kpi_html", sanitize=False)
    aging_line_ids = fields.Many2many(
        "billing.report.aging.line", string="Open Items by Customer", compute="_compute_aging_line_ids"
    )
    aging_bucket_line_ids = fields.Many2many(
        "billing.report.aging.line",
        "billing_report_wizard_aging_bucket_rel",
        string="Open Items by Bucket",
        compute="_compute_aging_line_ids",
    )
    analysis_note = fields.Char(compute="_compute_analysis_note")

    @api.depends("date_from", "date_to")
    def _compute_display_name(self):
        """The breadcrumb of a drill-down's way back: "Billing Report 11/01/2026 - 11/30/2026"."""
        for wizard in self:
            wizard.display_name = (
                self.env._("Billing Report %(period)s", period=wizard._period_label(wizard.date_from, wizard.date_to))
                if wizard.date_from and wizard.date_to
                else self.env._("Billing Report")
            )

    @api.depends("period_preset")
    def _compute_dates(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            dates = preset_dates(wizard.period_preset, today)
            if dates:
                wizard.date_from, wizard.date_to = dates
            elif not (wizard.date_from and wizard.date_to):
                wizard.date_from, wizard.date_to = preset_dates("last_month", today)

    @api.onchange("date_from", "date_to")
    def _onchange_dates_custom(self):
        """Dates set by hand that are not the preset's make the period Custom (and the preset keeps them)."""
        today = fields.Date.context_today(self)
        for wizard in self:
            if preset_dates(wizard.period_preset, today) not in (None, (wizard.date_from, wizard.date_to)):
                wizard.period_preset = "custom"

    @api.model_create_multi
    def create(self, vals_list):
        # Dates given with a preset (an RPC, the weekly mail) are a custom period: the dates win over the preset.
        for vals in vals_list:
            if ("date_from" in vals or "date_to" in vals) and "period_preset" not in vals:
                vals["period_preset"] = "custom"
        return super().create(vals_list)

    @api.depends("date_from", "date_to", "comparison", "period_preset")
    def _compute_compare_dates(self):
        for wizard in self:
            dates = None
            if wizard.date_from and wizard.date_to and wizard.date_from <= wizard.date_to:
                dates = comparison_dates(wizard.date_from, wizard.date_to, wizard.comparison, wizard.period_preset)
            wizard.compare_date_from, wizard.compare_date_to = dates or (False, False)

    @api.depends("date_from", "date_to", "company_ids", "team_ids", "user_ids", "partner_ids", "comparison")
    def _compute_kpi_html(self):
        QWeb = self.env["ir.qweb"]
        for wizard in self:
            if not (wizard.date_from and wizard.date_to) or wizard.date_from > wizard.date_to:
                wizard.kpi_html = wizard.aging_html = False
                continue
            if not wizard._companies(raise_if_none=False):
                wizard.kpi_html = Markup("<p class='text-muted'>%s</p>") % self.env._(
                    "Choose at least one of your companies."
                )
                wizard.aging_html = False
                continue
            kpis = wizard._get_kpis()
            previous = wizard._get_previous_kpis()
            values = {**wizard._kpi_values(kpis, previous), "errors": wizard._billing_error_rows()}
            wizard.kpi_html = QWeb._render("billing_specialist.billing_report_kpis", values)
            wizard.aging_html = QWeb._render(
                "billing_specialist.billing_report_aging", wizard._aging_values(kpis["aging"])
            )

    def _get_previous_kpis(self):
        """The key figures of the comparison period, with the same filters; None without a comparison."""
        scope = self._previous_scope()
        return self.env["billing.kpi"]._kpis_for(scope) if scope else None

    def _previous_scope(self):
        """The comparison period's scope (same companies and filters); None without a comparison."""
        self.ensure_one()
        if not self.compare_date_from:
            return None
        return dataclasses.replace(self._scope(), date_from=self.compare_date_from, date_to=self.compare_date_to)

    def _format_kpi(self, value, kind, currency):
        if value is None:
            return self.env._("n/a")
        if kind == "money":
            return formatLang(self.env, value, currency_obj=currency)
        if kind == "count":
            return formatLang(self.env, value, digits=0)
        return formatLang(self.env, value, digits=1)

    def _format_delta(self, delta, kind, currency):
        """A change as the figure's kind; a change of a percentage is in points, not in %."""
        if kind == "percent":
            return self.env._("%(points)s pts", points=formatLang(self.env, delta, digits=1))
        return self._format_kpi(delta, kind, currency)

    def _kpi_row(self, row, kpis, previous):
        """One key figure for the template: its value, the previous one and the change, formatted for the user."""
        key, label, kind, definition = row
        currency = kpis["currency"]
        value = kpis.get(key)
        values = {
            "key": key,
            "label": str(label),
            "definition": str(definition),
            "reason": kpis["na_reasons"].get(key),
            "value": self._format_kpi(value, kind, currency),
        }
        if previous is not None and key in TODAY_KPIS:
            na = self.env._("n/a")
            values.update(previous=na, delta=na, percent=na, trend=0, compare_reason=today_reason(self.env))
        elif previous is not None:
            delta, percent = kpi_change(value, previous.get(key))
            if kind == "percent":  # a change of a percentage is in points; a % of a % means nothing
                percent = None
            sign = "+" if delta and delta > 0 else ""
            values.update(
                previous=self._format_kpi(previous.get(key), kind, currency),
                delta=sign + self._format_delta(delta, kind, currency) if delta is not None else self.env._("n/a"),
                percent=(
                    ("+" if percent > 0 else "") + formatLang(self.env, percent, digits=1) + " %"
                    if percent is not None
                    else ""
                    if kind == "percent"
                    else self.env._("n/a")
                ),
                # good (> 0) or bad (< 0), not the sign: a DSO that rises is bad
                trend=kpi_trend(key, delta),
            )
        return values

    def _kpi_values(self, kpis, previous):
        return {
            "groups": [
                {"label": str(label), "rows": [self._kpi_row(row, kpis, previous) for row in rows]}
                for label, rows in grouped_kpi_rows()
            ],
            "levels": kpis.get("customers_by_level", []),
            "effectiveness": self._effectiveness_values(kpis),
            "compare": previous is not None,
            "period": self._period_label(self.date_from, self.date_to),
            "compare_period": previous and self._period_label(self.compare_date_from, self.compare_date_to),
            "comparison": dict(self._fields["comparison"]._description_selection(self.env)).get(self.comparison),
        }

    def _effectiveness_values(self, kpis):
        currency = kpis["currency"]
        return [
            {
                **row,
                "amount": formatLang(self.env, row["amount"], currency_obj=currency),
                "collected": formatLang(self.env, row["collected"], currency_obj=currency),
                "rate": self._format_kpi(row["rate"], "percent", currency) + " %" if row["rate"] is not None else None,
            }
            for row in kpis.get("level_effectiveness", [])
        ]

    def _period_label(self, date_from, date_to):
        return self.env._(
            "%(start)s - %(end)s", start=format_date(self.env, date_from), end=format_date(self.env, date_to)
        )

    def _aging_values(self, aging, limit=50):
        currency = aging["currency"]

        def money(value):
            return formatLang(self.env, value, currency_obj=currency)

        partners = self.env["res.partner"].browse(
            [row["partner_id"] for row in aging["rows"][:limit] if row["partner_id"]]
        )
        names = {partner.id: partner.display_name for partner in partners}
        return {
            "buckets": aging["buckets"],
            "rows": [
                {
                    "name": names.get(row["partner_id"], self.env._("No customer")),
                    "amounts": [money(amount) for amount in row["amounts"]],
                    "total": money(row["total"]),
                }
                for row in aging["rows"][:limit]
            ],
            "totals": [money(amount) for amount in aging["totals"]],
            "total": money(aging["total"]),
            "date": format_date(self.env, aging["as_of"]),
            "balance": money(aging["ledger_balance"]),
            "count": len(aging["rows"]),
            "limit": limit,
        }

    @api.depends("date_to", "company_ids", "partner_ids")
    def _compute_aging_line_ids(self):
        """One real (transient) line per customer of the aging, so that each row has a working button even on the
        unsaved form: as Odoo's replenishment report (``stock.replenishment.info``) creates its options."""
        Line = self.env["billing.report.aging.line"]
        for wizard in self:
            companies = wizard._companies(raise_if_none=False)
            if not (wizard.date_to and companies):
                wizard.aging_line_ids = wizard.aging_bucket_line_ids = Line
                continue
            wizard.aging_line_ids, wizard.aging_bucket_line_ids = Line._create_from_aging(
                companies, wizard.date_to, wizard._filters()["partner_ids"]
            )

    @api.depends("date_from", "date_to")
    def _compute_analysis_note(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if not (wizard.date_from and wizard.date_to):
                wizard.analysis_note = False
                continue
            values = {
                "start": format_date(self.env, wizard.date_from),
                "end": format_date(self.env, wizard.date_to),
                "today": format_date(self.env, today),
            }
            if wizard.date_to < today:
                wizard.analysis_note = self.env._(
                    "Open Analysis lists the documents dated %(start)s - %(end)s with what is open today "
                    "(%(today)s); the aged receivables count every open item as of %(end)s. Payments and credit "
                    "notes after %(end)s, and documents dated before %(start)s, make the open totals differ.",
                    **values,
                )
            else:
                wizard.analysis_note = self.env._(
                    "Open Analysis lists the documents dated %(start)s - %(end)s; the aged receivables also count "
                    "the open items dated before %(start)s. Remove the Report Period filter to see them all.",
                    **values,
                )

    def _filters(self):
        self.ensure_one()
        # _origin: on the form (a new record) the related records are NewIds (see _companies).
        return {
            "team_ids": self.team_ids._origin.ids or None,
            "user_ids": self.user_ids._origin.ids or None,
            "partner_ids": self.partner_ids._origin.commercial_partner_id.ids or None,
        }

    def _companies(self, raise_if_none=True):
        """The chosen companies the user may report on (others are left out); a clear error when none is left."""
        self.ensure_one()
        # _origin: on the form (a new record) the companies are NewIds, and NewId & real ids is always empty.
        chosen = self.company_ids._origin
        companies = chosen if self.env.su else chosen & self.env.user.company_ids
        if not companies and raise_if_none:
            raise UserError(self.env._("Choose at least one of your companies for the report."))
        return companies

    def _billing_error_rows(self):
        """Per month: billing errors the pre-send checks prevented beside the disputes that reached customers."""
        prevented, reached = self.env["billing.invoice.report"]._billing_errors_by_month(self._scope())
        unknown = self.env._("cause not known yet")
        rows = []
        for month in sorted(set(prevented) | set(reached)):
            stopped, disputes = prevented.get(month, {}), reached.get(month, {})
            causes = sorted(disputes.items(), key=lambda item: (-item[1], item[0].display_name if item[0] else ""))
            rows.append(
                {
                    "month": month,
                    "blocked": stopped.get("block", 0),
                    "warned": stopped.get("warn", 0),
                    "overridden": stopped.get("overridden", 0),
                    "disputes": sum(disputes.values()),
                    "causes": ", ".join(
                        f"{cause.display_name if cause else unknown}: {count}" for cause, count in causes
                    ),
                }
            )
        return rows

    def _scope(self):
        """The report's scope: the chosen companies (those the user may see), the period and the filters."""
        self.ensure_one()
        return ReportScope.of(self._companies(), self.date_from, self.date_to, **self._filters())

    def _get_kpis(self):
        return self.env["billing.kpi"]._kpis_for(self._scope())

    def action_open_analysis(self):
        """The analysis with the wizard's filters as facets of the search bar, each removable: the period (Report
        Period), the sales teams, the specialists and the customers. Their values travel in the context and the
        search view's filters read them (as Odoo's journal items do for "Report Dates", ``date_between``); the
        companies are the action's domain (the company switcher and the record rules govern them anyway)."""
        self.ensure_one()
        companies = self._companies()
        filters = self._filters()
        context = {
            "search_default_filter_invoices": 1,
            "search_default_filter_report_period": 1,
            "billing_date_from": fields.Date.to_string(self.date_from),
            "billing_date_to": fields.Date.to_string(self.date_to),
        }
        for key, name in (("team_ids", "teams"), ("user_ids", "specialists"), ("partner_ids", "customers")):
            if filters[key]:
                context[f"search_default_filter_report_{name}"] = 1
                context[f"billing_{key}"] = filters[key]
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_activity_report_action")
        title = self.env._("Billing Activity %(period)s", period=self._period_label(self.date_from, self.date_to))
        action.update(
            # the web client titles the action with its display_name (read from the record), not its name
            name=title,
            display_name=title,
            domain=[("company_id", "in", companies.ids)],
            context=context,
        )
        return action

    def action_open_overdue_items(self):
        """The key figure "Overdue amount at period end" drilled down: the items open and past due on the last day
        (every overdue bucket of the aging), each open on that day beside open now."""
        self.ensure_one()
        companies = self._companies()
        self.env["billing.kpi"]._check_companies(companies)
        Aging = self.env["billing.aging"]
        overdue = tuple(range(1, len(Aging._get_buckets(companies[:1]))))
        amounts = Aging._get_open_amounts(companies, self.date_to, self._filters()["partner_ids"], bucket=overdue)
        return self.env["billing.report.open.item"]._action_for(amounts, self.date_to, self.env._("overdue"))

    def _workbook_filename(self):
        return f"billing-report-{self.date_from}-{self.date_to}.xlsx"

    def action_download_xlsx(self):
        self.ensure_one()
        content = self.env["billing.workbook"]._build_for(self._scope(), self._previous_scope())
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._workbook_filename(),
                "raw": content,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @api.model
    def _cron_send_weekly_workbook(self):
        """E-mail last week's workbook to each company's billing managers (the scheduled action is off by default)."""
        # Superuser: the scheduled action reports on every company, whichever user runs it.
        wizards = self.sudo()
        managers = self.env.ref("billing_specialist.group_billing_manager").users.filtered(
            lambda user: not user.share and user.email
        )
        today = fields.Date.context_today(self)
        for company in wizards.env["res.company"].search([]):
            recipients = managers.filtered(lambda user, company=company: company in user.company_ids)
            if not recipients:
                continue
            wizard = wizards.with_company(company).create(
                {
                    "date_from": today - timedelta(days=7),
                    "date_to": today - timedelta(days=1),
                    "company_ids": [fields.Command.set(company.ids)],
                }
            )
            content = wizards.env["billing.workbook"]._build(company, wizard.date_from, wizard.date_to)
            subject = self.env._(
                "%(company)s: billing activity %(start)s - %(end)s",
                company=company.name,
                start=wizard.date_from,
                end=wizard.date_to,
            )
            wizards.env["mail.mail"].create(
                {
                    "subject": subject,
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "recipient_ids": [fields.Command.set(recipients.partner_id.ids)],
                    "body_html": Markup("<p>%s</p>") % self.env._("Last week's billing activity is attached.")
                    + wizard.kpi_html,
                    "attachment_ids": [
                        fields.Command.create({"name": wizard._workbook_filename(), "datas": base64.b64encode(content)})
                    ],
                }
            )
