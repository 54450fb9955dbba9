from odoo import api, fields, models

from .billing_dispute_stage import OPEN_STATES

DISPUTE_SHEET_FIELDS = [
    "name",
    "partner_id",
    "reason_id",
    "root_cause_id",
    "user_id",
    "stage_id",
    "date_opened",
    "date_deadline",
    "date_closed",
    "currency_id",
    "amount_disputed",
    "amount_credited",
    "amount_written_off",
    "amount_remaining",
    "sla_breached",
]


class BillingDisputeReport(models.AbstractModel):
    """The disputes' part of the billing-activity report: their key figures and the Disputes sheet.

    Figures: opened (by date opened), closed (by date closed), average days from opening to closing, amounts credited
    and written off by the cases closed in the period, SLA breaches among cases whose deadline fell in the period,
    cases open at the end; the cases opened by reason, root cause and specialist. Amounts in company currency,
    converted on the last day.
    """

    _name = "billing.dispute.report"
    _inherit = "billing.report.hook"
    _description = "Billing Report: Disputes"
    _billing_report_sequence = 20

    @api.model
    def _dispute_domain(self, scope):
        domain = [("company_id", "in", scope.companies.ids)]
        if scope.team_ids:
            domain.append(("team_id", "in", list(scope.team_ids)))
        if scope.user_ids:
            domain.append(("user_id", "in", list(scope.user_ids)))
        if scope.partner_ids:
            domain.append(("partner_id", "in", list(scope.partner_ids)))
        return domain

    def _to_company(self, scope, amount, currency):
        return currency._convert(amount or 0.0, scope.currency, scope.company, scope.date_to)

    def _grouped(self, scope, domain, field=None):
        """{record or None: [count, disputed, credited, written off]} in company currency."""
        measures = ["__count", "amount_disputed:sum", "amount_credited:sum", "amount_written_off:sum"]
        Dispute = self.env["billing.dispute"].with_context(active_test=False)
        result = {}
        for row in Dispute._read_group(domain, ([field] if field else []) + ["currency_id"], measures):
            key, currency, values = (row[0], row[1], row[2:]) if field else (None, row[0], row[1:])
            totals = result.setdefault(key, [0, 0.0, 0.0, 0.0])
            totals[0] += values[0]
            for index in (1, 2, 3):
                totals[index] += self._to_company(scope, values[index], currency)
        return result

    def _breakdown(self, scope, opened, field):
        """The cases opened in the period by ``field``, the largest count first."""
        rnd = scope.currency.round
        rows = [
            {
                "label": record.display_name if record else self.env._("Not set"),
                "count": count,
                "disputed": rnd(disputed),
                "credited": rnd(credited),
                "written_off": rnd(written_off),
            }
            for record, (count, disputed, credited, written_off) in self._grouped(scope, opened, field).items()
        ]
        return sorted(rows, key=lambda row: (-row["count"], row["label"]))

    def _closed_kpis(self, scope, base):
        """The figures of the cases closed in the period."""
        closed = [
            *base,
            ("state", "in", ("resolved", "rejected")),
            ("date_closed", ">=", scope.date_from),
            ("date_closed", "<=", scope.date_to),
        ]
        cases = (
            self.env["billing.dispute"]
            .with_context(active_test=False)
            .search_fetch(
                closed, ["state", "date_opened", "date_closed", "amount_credited", "amount_written_off", "currency_id"]
            )
        )
        days = [(case.date_closed - case.date_opened).days for case in cases]
        rnd = scope.currency.round
        return {
            "disputes_resolved_count": len(cases.filtered(lambda c: c.state == "resolved")),
            "disputes_rejected_count": len(cases.filtered(lambda c: c.state == "rejected")),
            "disputes_avg_resolution_days": round(sum(days) / len(days), 1) if days else None,
            "disputes_credited": rnd(sum(self._to_company(scope, c.amount_credited, c.currency_id) for c in cases)),
            "disputes_written_off": rnd(
                sum(self._to_company(scope, c.amount_written_off, c.currency_id) for c in cases)
            ),
        }

    @api.model
    def _billing_kpis(self, scope):
        Dispute = self.env["billing.dispute"].with_context(active_test=False)
        date_from, date_to = scope.date_from, scope.date_to
        base = self._dispute_domain(scope)
        opened = [*base, ("date_opened", ">=", date_from), ("date_opened", "<=", date_to)]
        opened_count, opened_amount, _credited, _written_off = self._grouped(scope, opened).get(
            None, [0, 0.0, 0.0, 0.0]
        )
        kpis = {
            "disputes_opened_count": opened_count,
            "disputes_opened_amount": scope.currency.round(opened_amount),
            **self._closed_kpis(scope, base),
            "disputes_sla_breaches": Dispute.search_count(
                [
                    *base,
                    ("sla_breached", "=", True),
                    ("date_deadline", ">=", date_from),
                    ("date_deadline", "<=", date_to),
                ]
            ),
            "disputes_open_end": Dispute.search_count(
                [
                    *base,
                    ("date_opened", "<=", date_to),
                    "|",
                    ("state", "in", OPEN_STATES),
                    ("date_closed", ">", date_to),
                ]
            ),
            "disputes_by_reason": self._breakdown(scope, opened, "reason_id"),
            "disputes_by_root_cause": self._breakdown(scope, opened, "root_cause_id"),
            "disputes_by_specialist": self._breakdown(scope, opened, "user_id"),
        }
        if kpis["disputes_avg_resolution_days"] is None:
            kpis["na_reasons"] = {"disputes_avg_resolution_days": self.env._("no case closed in the period")}
        return kpis

    @api.model
    def _billing_disputes_by_month(self, scope):
        """The cases opened per month (YYYY-MM) by root cause (None while not known), rejected and cancelled left
        out: the billing errors that reached customers.

        :return: {month: {root cause or None: count}}
        """
        disputes = [
            *self._dispute_domain(scope),
            ("state", "not in", ("rejected", "cancelled")),
            ("date_opened", ">=", scope.date_from),
            ("date_opened", "<=", scope.date_to),
        ]
        groups = (
            self.env["billing.dispute"]
            .with_context(active_test=False)
            ._read_group(disputes, ["date_opened:month", "root_cause_id"], ["__count"])
        )
        reached = {}
        for month, cause, count in groups:
            reached.setdefault(month.strftime("%Y-%m"), {})[cause or None] = count
        return reached

    @api.model
    def _billing_workbook_sheets(self, scope, workbook, formats):
        """The Disputes sheet: every case open at some time in the period, with its amounts and SLA."""
        sheet = workbook.add_worksheet(self.env._("Disputes"))
        headers = [
            self.env._("Reference"),
            self.env._("Customer"),
            self.env._("Reason"),
            self.env._("Root Cause"),
            self.env._("Specialist"),
            self.env._("Status"),
            self.env._("Opened"),
            self.env._("Deadline"),
            self.env._("Closed"),
            self.env._("Currency"),
            self.env._("Disputed"),
            self.env._("Credited"),
            self.env._("Written Off"),
            self.env._("Remaining"),
            self.env._("SLA Breached"),
        ]
        for col, label in enumerate(headers):
            sheet.write_string(0, col, label, formats["header"])
        domain = [
            *self._dispute_domain(scope),
            ("date_opened", "<=", scope.date_to),
            "|",
            ("date_closed", "=", False),
            ("date_closed", ">=", scope.date_from),
        ]
        Dispute = self.env["billing.dispute"].with_context(active_test=False)
        cases = Dispute.search_fetch(domain, DISPUTE_SHEET_FIELDS, order="date_opened, id")
        for row, case in enumerate(cases, start=1):
            self._write_case(sheet, formats, row, case)
        row = len(cases)
        total_row = row + 1
        sheet.write_string(total_row, 0, self.env._("Total"), formats["bold"])
        sheet.write_formula(total_row, 1, f"=SUBTOTAL(3,A2:A{total_row})", formats["count_total"], len(cases))
        for col, letter in ((10, "K"), (11, "L"), (12, "M"), (13, "N")):
            sheet.write_formula(total_row, col, f"=SUBTOTAL(9,{letter}2:{letter}{total_row})", formats["money_total"])
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, row, len(headers) - 1)
        sheet.set_column(0, 0, 18)
        sheet.set_column(1, 4, 24)
        sheet.set_column(5, 14, 13)

    def _write_case(self, sheet, formats, row, case):
        sheet.write_string(row, 0, case.name)
        sheet.write_string(row, 1, case.partner_id.display_name)
        sheet.write_string(row, 2, case.reason_id.name or "")
        sheet.write_string(row, 3, case.root_cause_id.name or "")
        sheet.write_string(row, 4, case.user_id.name or "")
        sheet.write_string(row, 5, case.stage_id.name or "")
        for col, value in ((6, case.date_opened), (7, case.date_deadline), (8, case.date_closed)):
            if value:
                sheet.write_datetime(row, col, fields.Datetime.to_datetime(value), formats["date"])
        sheet.write_string(row, 9, case.currency_id.name)
        amounts = (case.amount_disputed, case.amount_credited, case.amount_written_off, case.amount_remaining)
        for col, value in enumerate(amounts, start=10):
            sheet.write_number(row, col, value, formats["money"])
        sheet.write_boolean(row, 14, case.sla_breached)
