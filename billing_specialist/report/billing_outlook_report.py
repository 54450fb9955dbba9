from datetime import timedelta

from odoo import api, fields, models

from .billing_outlook_week import WEEKS

# The key figure "Expected next 4 weeks" sums the outlook's first weeks, this one included.
KPI_WEEKS = 4


class BillingOutlookReport(models.AbstractModel):
    """The cash outlook's part of the billing report: the key figure *Expected next 4 weeks* (today's, whatever the
    period) and the workbook's *Cash Outlook* sheet (the 13 weeks with their band, by customer, and what is apart).

    The outlook is today's: computed again first when older than today (``billing.outlook.week._refresh_stale``).
    The report's customers, sales teams and specialists filter it (a specialist is the customer's collector here).
    Amounts in each company's currency, converted to the report's today.
    """

    _name = "billing.outlook.report"
    _inherit = "billing.report.hook"
    _description = "Billing Report: Cash Outlook"
    _billing_report_sequence = 60

    @api.model
    def _outlook_domain(self, scope):
        domain = [("company_id", "in", scope.companies.ids)]
        for field, ids in (("partner_id", scope.partner_ids), ("team_id", scope.team_ids), ("user_id", scope.user_ids)):
            if ids:
                domain.append((field, "in", list(ids)))
        return domain

    def _converted(self, scope, groups):
        """Sum of (currency, amount) pairs in the report's currency, on today's rate."""
        today = fields.Date.context_today(self)
        return scope.currency.round(
            sum(currency._convert(amount or 0.0, scope.currency, scope.company, today) for currency, amount in groups)
        )

    @api.model
    def _billing_kpis(self, scope):
        Week = self.env["billing.outlook.week"]
        Week._refresh_stale(scope.companies)
        Week.flush_model()
        end = Week._week_start() + timedelta(weeks=KPI_WEEKS)
        groups = Week._read_group(
            [*self._outlook_domain(scope), ("section", "=", "week"), ("week_start", "<", end)],
            ["currency_id"],
            ["amount_expected:sum"],
        )
        return {"outlook_expected_4w": self._converted(scope, groups)}

    @api.model
    def _billing_workbook_sheets(self, scope, workbook, formats):
        Week = self.env["billing.outlook.week"]
        Week._refresh_stale(scope.companies)
        Week.flush_model()
        sheet = workbook.add_worksheet(self.env._("Cash Outlook"))
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, WEEKS + 3, 13)
        domain = self._outlook_domain(scope)
        sheet.write_string(0, 0, self.env._("Cash outlook: the next 13 weeks"), formats["title"])
        sheet.write_string(
            1,
            0,
            self.env._(
                "Expected receipts of open items by week, from how each customer pays; Low and High: the band "
                "of the customers' spread. Unapplied cash and what is not expected within 13 weeks are apart."
            ),
            formats["muted"],
        )
        row = self._write_weeks(sheet, formats, Week._weekly(domain), 3)
        row = self._write_apart(sheet, formats, scope, domain, row + 2)
        self._write_customers(sheet, formats, domain, row + 2)
        sheet.freeze_panes(4, 1)

    def _write_weeks(self, sheet, formats, weekly, row):
        """The 13 weeks from ``row``: week, expected, low, high; the total of Expected; return the last row."""
        headers = (self.env._("Week"), self.env._("Expected"), self.env._("Low"), self.env._("High"))
        for col, label in enumerate(headers):
            sheet.write_string(row, col, label, formats["header"])
        first = row + 1
        for week, expected, low, high in weekly:
            row += 1
            sheet.write_datetime(row, 0, fields.Datetime.to_datetime(week), formats["date"])
            for col, value in enumerate((expected, low, high), start=1):
                sheet.write_number(row, col, value, formats["money"])
        row += 1
        sheet.write_string(row, 0, self.env._("Total expected"), formats["bold"])
        sheet.write_formula(
            row, 1, f"=SUM(B{first + 1}:B{row})", formats["money_total"], sum(week[1] for week in weekly)
        )
        return row

    def _write_apart(self, sheet, formats, scope, domain, row):
        """Unapplied cash and what is not expected within the 13 weeks, each on its row; return the last row."""
        Week = self.env["billing.outlook.week"]
        figures = (
            (self.env._("Unapplied cash (received, not in Expected)"), "unapplied", "amount_unapplied"),
            (self.env._("Customers at risk (not expected)"), "at_risk", "amount_not_expected"),
            (self.env._("Expected after the 13 weeks"), "later", "amount_not_expected"),
        )
        sheet.write_string(row, 0, self.env._("Apart"), formats["header"])
        sheet.write_string(row, 1, self.env._("Amount"), formats["header"])
        for label, section, measure in figures:
            row += 1
            groups = Week._read_group([*domain, ("section", "=", section)], ["currency_id"], [f"{measure}:sum"])
            sheet.write_string(row, 0, label)
            sheet.write_number(row, 1, self._converted(scope, groups), formats["money"])
        return row

    def _write_customers(self, sheet, formats, domain, row):
        """Expected by customer and week from ``row`` (team and specialist beside), largest total first."""
        Week = self.env["billing.outlook.week"]
        weeks = Week._weeks()
        headers = [self.env._("Customer"), self.env._("Team"), self.env._("Specialist")]
        for col, label in enumerate(headers):
            sheet.write_string(row, col, label, formats["header"])
        for col, week in enumerate(weeks, start=len(headers)):
            sheet.write_datetime(row, col, fields.Datetime.to_datetime(week), formats["date"])
        sheet.write_string(row, len(headers) + WEEKS, self.env._("Total"), formats["header"])
        by_customer = {}
        for partner, team, user, week, amount in Week._read_group(
            [*domain, ("section", "=", "week")],
            ["partner_id", "team_id", "user_id", "week_start:day"],
            ["amount_expected:sum"],
        ):
            amounts = by_customer.setdefault((partner, team, user), dict.fromkeys(weeks, 0.0))
            amounts[week] += amount
        ordered = sorted(by_customer.items(), key=lambda item: -sum(item[1].values()))
        for (partner, team, user), amounts in ordered:
            row += 1
            sheet.write_string(row, 0, partner.display_name or self.env._("No customer"))
            sheet.write_string(row, 1, team.name or "")
            sheet.write_string(row, 2, user.name or "")
            for col, week in enumerate(weeks, start=len(headers)):
                sheet.write_number(row, col, amounts[week], formats["money"])
            sheet.write_number(row, len(headers) + WEEKS, sum(amounts.values()), formats["money"])
        return row
