from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.misc import xlsxwriter


class BillingInvoiceReport(models.AbstractModel):
    """The pre-send checks' part of the billing-activity report: the Billing Errors sheet.

    Billing errors prevented beside those that reached customers, per month (YYYY-MM). Prevented: pre-send check
    findings corrected in the month (the invoice was fixed before it went out), blocks and warnings apart, and blocks
    a billing manager overrode. Reached customers: dispute cases opened in the month by root cause.
    """

    _name = "billing.invoice.report"
    _inherit = "billing.report.hook"
    _description = "Billing Report: Pre-send Checks"
    _billing_report_sequence = 50

    @api.model
    def _billing_errors_by_month(self, scope):
        """:return: ({month: {"block": n, "warn": n, "overridden": n}}, {month: {root cause or None: n}})"""
        self._check_companies(scope.companies)
        Result = self.env["billing.invoice.check.result"]
        base = [("company_id", "in", scope.companies.ids)]
        if scope.partner_ids:
            base.append(("partner_id", "in", list(scope.partner_ids)))
        start = fields.Datetime.to_datetime(scope.date_from)
        end = fields.Datetime.to_datetime(scope.date_to + timedelta(days=1))
        prevented = {}
        corrected = [*base, ("state", "=", "corrected"), ("date_corrected", ">=", start), ("date_corrected", "<", end)]
        for month, severity, count in Result._read_group(corrected, ["date_corrected:month", "severity"], ["__count"]):
            prevented.setdefault(month.strftime("%Y-%m"), {})[severity] = count
        overridden = [*base, ("state", "=", "overridden"), ("date", ">=", start), ("date", "<", end)]
        for month, count in Result._read_group(overridden, ["date:month"], ["__count"]):
            prevented.setdefault(month.strftime("%Y-%m"), {})["overridden"] = count
        return prevented, self.env["billing.dispute.report"]._billing_disputes_by_month(scope)

    @api.model
    def _billing_workbook_sheets(self, scope, workbook, formats):
        sheet = workbook.add_worksheet(self.env._("Billing Errors"))
        self._write_billing_errors(sheet, formats, *self._billing_errors_by_month(scope))

    def _write_billing_errors(self, sheet, formats, prevented, reached):
        """Per month: errors the pre-send checks prevented, beside disputes (errors that reached customers) by
        root cause."""
        causes = sorted({cause for counts in reached.values() for cause in counts if cause}, key=lambda c: c.name)
        keys = [*causes, None] if any(None in counts for counts in reached.values()) else causes
        headers = [
            self.env._("Month"),
            self.env._("Blocked and Corrected"),
            self.env._("Warned and Corrected"),
            self.env._("Overridden"),
            self.env._("Errors Prevented"),
            *[cause.name if cause else self.env._("Root Cause Not Known") for cause in keys],
            self.env._("Disputes"),
        ]
        for col, label in enumerate(headers):
            sheet.write_string(0, col, label, formats["header"])
        row = 0
        for month in sorted(set(prevented) | set(reached)):
            row += 1
            counts, cases = prevented.get(month, {}), reached.get(month, {})
            sheet.write_string(row, 0, month)
            for col, key in enumerate(("block", "warn", "overridden"), start=1):
                sheet.write_number(row, col, counts.get(key, 0), formats["count"])
            sheet.write_formula(
                row, 4, f"=B{row + 1}+C{row + 1}", formats["count"], counts.get("block", 0) + counts.get("warn", 0)
            )
            for col, cause in enumerate(keys, start=5):
                sheet.write_number(row, col, cases.get(cause, 0), formats["count"])
            sheet.write_number(row, 5 + len(keys), sum(cases.values()), formats["count"])
        total_row = row + 1
        sheet.write_string(total_row, 0, self.env._("Total"), formats["bold"])
        for col in range(1, len(headers)):
            letter = xlsxwriter.utility.xl_col_to_name(col)
            sheet.write_formula(total_row, col, f"=SUM({letter}2:{letter}{total_row})", formats["count_total"])
        sheet.write_string(
            total_row + 2,
            0,
            self.env._(
                "Errors prevented: pre-send check findings corrected before the invoice went out, in the month they "
                "were corrected (overridden blocks apart). Disputes: cases opened in the month by root cause, "
                "rejected and cancelled cases left out."
            ),
            formats["muted"],
        )
        sheet.freeze_panes(1, 1)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, len(headers) - 1, 16)
