from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class BillingMatchReport(models.AbstractModel):
    """The payments' and matching's part of the billing-activity report: key figures and the Matching sheet.

    Cash: inbound customer payments dated in the period. Matching: payments of the period applied by an automatic
    run (not undone), their share of the payments, and the payments fully applied otherwise (by hand or wizard).
    """

    _name = "billing.match.report"
    _inherit = "billing.report.hook"
    _description = "Billing Report: Payments and Matching"
    _billing_report_sequence = 30

    @api.model
    def _billing_kpis(self, scope):
        for model in ("account.payment", "billing.match.run", "billing.match.run.line"):
            self.env[model].flush_model()
        partner_clause = (
            SQL(
                "AND payment.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id IN %s)",
                tuple(scope.partner_ids),
            )
            if scope.partner_ids
            else SQL()
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*), COALESCE(SUM(move.amount_total_signed), 0),
                       COUNT(*) FILTER (WHERE EXISTS (
                            SELECT 1 FROM billing_match_run_line line
                              JOIN billing_match_run run ON run.id = line.run_id
                             WHERE line.payment_id = payment.id AND line.outcome = 'applied' AND run.state IN ('done', 'partial'))),
                       COUNT(*) FILTER (WHERE NOT EXISTS (
                            SELECT 1 FROM account_move_line aml
                              JOIN account_account account ON account.id = aml.account_id
                             WHERE aml.move_id = move.id AND account.account_type = 'asset_receivable'
                               AND NOT aml.reconciled AND aml.amount_residual != 0))
                  FROM account_payment payment
                  JOIN account_move move ON move.id = payment.move_id
                 WHERE payment.payment_type = 'inbound' AND payment.partner_type = 'customer'
                   AND move.state = 'posted' AND move.date BETWEEN %s AND %s AND move.company_id IN %s %s
                """,
                scope.date_from,
                scope.date_to,
                tuple(scope.companies.ids),
                partner_clause,
            )
        )
        count, amount, auto_applied, fully_applied = self.env.cr.fetchone()
        kpis = {
            "payments_count": count,
            "payments_amount": scope.currency.round(amount),
            "matching_auto_applied": auto_applied,
            "matching_manual": max(fully_applied - auto_applied, 0),
            "matching_auto_rate": round(auto_applied / count * 100.0, 1) if count else None,
        }
        if not count:
            kpis["na_reasons"] = {"matching_auto_rate": self.env._("no customer payment in the period")}
        return kpis

    def _payments_query(self, scope):
        """Run the query of the Matching sheet: each payment of the period, its unapplied part, the latest verdict."""
        partner_clause = (
            SQL("AND move.commercial_partner_id IN %s", tuple(scope.partner_ids)) if scope.partner_ids else SQL()
        )
        self.env["billing.match.run.line"].flush_model()
        self.env["billing.match.run"].flush_model(["state", "date"])
        self.env.cr.execute(
            SQL(
                """
                SELECT move.name, move.date, COALESCE(partner.name, ''), move.amount_total_signed,
                       COALESCE((SELECT -SUM(aml.amount_residual) FROM account_move_line aml
                                  JOIN account_account account ON account.id = aml.account_id
                                 WHERE aml.move_id = move.id AND account.account_type = 'asset_receivable'), 0),
                       verdict.outcome, verdict.state, verdict.confidence, verdict.reasons
                  FROM account_payment payment
                  JOIN account_move move ON move.id = payment.move_id
                  LEFT JOIN res_partner partner ON partner.id = move.commercial_partner_id
                  LEFT JOIN LATERAL (
                        SELECT line.outcome, run.state, line.confidence, line.reasons
                          FROM billing_match_run_line line
                          JOIN billing_match_run run ON run.id = line.run_id
                         WHERE line.payment_id = payment.id
                         ORDER BY run.date DESC, line.id DESC
                         LIMIT 1
                  ) AS verdict ON TRUE
                 WHERE payment.payment_type = 'inbound' AND payment.partner_type = 'customer'
                   AND move.state = 'posted' AND move.date BETWEEN %s AND %s AND move.company_id IN %s %s
                 ORDER BY move.date, move.id
                """,
                scope.date_from,
                scope.date_to,
                tuple(scope.companies.ids),
                partner_clause,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _billing_workbook_sheets(self, scope, workbook, formats):
        """The Matching sheet: the customer payments of the period, what is applied of each, and the latest matching
        run's verdict on it (outcome, confidence 0-100, the reasons in words); empty when no run looked at it."""
        sheet = workbook.add_worksheet(self.env._("Matching"))
        headers = [
            self.env._("Payment"),
            self.env._("Date"),
            self.env._("Customer"),
            self.env._("Amount"),
            self.env._("Applied"),
            self.env._("Unapplied"),
            self.env._("Matching Outcome"),
            self.env._("Confidence"),
            self.env._("Reasons"),
        ]
        for col, label in enumerate(headers):
            sheet.write_string(0, col, label, formats["header"])
        rows = self._payments_query(scope)
        outcomes = dict(self.env["billing.match.run.line"]._fields["outcome"]._description_selection(self.env))
        for row, values in enumerate(rows, start=1):
            self._write_payment(sheet, formats, outcomes, row, values)
        row = len(rows)
        total_row = row + 1
        sheet.write_string(total_row, 0, self.env._("Total"), formats["bold"])
        for col, letter in ((3, "D"), (4, "E"), (5, "F")):
            sheet.write_formula(total_row, col, f"=SUBTOTAL(9,{letter}2:{letter}{total_row})", formats["money_total"])
        sheet.write_string(
            total_row + 2,
            0,
            self.env._(
                "Applied: the payment's amount already reconciled with invoices or credit notes, as of today. "
                "Matching outcome, confidence (0-100) and reasons: the latest matching run that looked at the payment."
            ),
            formats["muted"],
        )
        self._write_runs(sheet, formats, scope, total_row + 4)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, row, len(headers) - 1)
        sheet.set_column(0, 2, 22)
        sheet.set_column(3, 5, 14)
        sheet.set_column(6, 7, 16)
        sheet.set_column(8, 8, 80)

    def _write_payment(self, sheet, formats, outcomes, row, values):
        name, date, customer, amount, unapplied, outcome, run_state, confidence, reasons = values
        sheet.write_string(row, 0, name or "")
        sheet.write_datetime(row, 1, fields.Datetime.to_datetime(date), formats["date"])
        sheet.write_string(row, 2, customer)
        sheet.write_number(row, 3, amount, formats["money"])
        sheet.write_formula(row, 4, f"=D{row + 1}-F{row + 1}", formats["money"], amount - unapplied)
        sheet.write_number(row, 5, unapplied, formats["money"])
        if outcome:
            label = outcomes.get(outcome, outcome)
            if run_state == "undone":
                label = self.env._("%(outcome)s (run undone)", outcome=label)
            sheet.write_string(row, 6, label)
        if confidence is not None and outcome:
            sheet.write_number(row, 7, confidence, formats["count"])
        # The reasons quote references and memos from the bank: always text, never a formula.
        sheet.write_string(row, 8, reasons or "")

    def _runs_of(self, scope):
        """The matching runs started in the period in the report's companies, oldest first."""
        start = fields.Datetime.to_datetime(scope.date_from)
        end = fields.Datetime.to_datetime(scope.date_to) + timedelta(days=1)
        return self.env["billing.match.run"].search(
            [("company_id", "in", scope.companies.ids), ("date", ">=", start), ("date", "<", end)], order="date, id"
        )

    def _write_runs(self, sheet, formats, scope, row):
        """The matching runs of the period from ``row``: date, type, state, how many payments each applied, kept and
        took back by an undo, who ran it and who undid it (when the run records it, else who changed it last)."""
        sheet.write_string(row, 0, self.env._("Matching runs of the period"), formats["bold"])
        headers = [
            self.env._("Run"),
            self.env._("Date"),
            self.env._("Type"),
            self.env._("State"),
            self.env._("Applied"),
            self.env._("Kept"),
            self.env._("Undone"),
            self.env._("Run by"),
            self.env._("Undone by"),
            self.env._("Undone on"),
        ]
        row += 1
        for col, label in enumerate(headers):
            sheet.write_string(row, col, label, formats["header"])
        runs = self._runs_of(scope)
        Run = self.env["billing.match.run"]
        modes = dict(Run._fields["mode"]._description_selection(self.env))
        states = dict(Run._fields["state"]._description_selection(self.env))
        if not runs:
            sheet.write_string(row + 1, 0, self.env._("No matching run in the period"), formats["muted"])
        for run in runs:
            row += 1
            undone = run.state == "undone"
            sheet.write_string(row, 0, run.name or "")
            sheet.write_datetime(
                row, 1, fields.Datetime.context_timestamp(run, run.date).replace(tzinfo=None), formats["datetime"]
            )
            sheet.write_string(row, 2, modes.get(run.mode, run.mode or ""))
            sheet.write_string(row, 3, states.get(run.state, run.state or ""))
            sheet.write_number(row, 4, run.applied_count, formats["count"])
            sheet.write_number(row, 5, run.kept_count, formats["count"])
            sheet.write_number(row, 6, run.applied_count if undone else 0, formats["count"])
            sheet.write_string(row, 7, run.user_id.name or "")
            if undone:
                # mx adds undone_by / undone_date; until then, the last change of an undone run is its undo.
                by = getattr(run, "undone_by", None) or run.write_uid
                when = getattr(run, "undone_date", None) or run.write_date
                sheet.write_string(row, 8, by.name or "")
                sheet.write_datetime(
                    row, 9, fields.Datetime.context_timestamp(run, when).replace(tzinfo=None), formats["datetime"]
                )
        return row
