from odoo import api, fields, models

from ..checks import CHECK_CODES

RESULT_STATES = [("open", "Open"), ("corrected", "Corrected"), ("overridden", "Overridden")]


class BillingInvoiceCheckResult(models.Model):
    """A finding of a pre-send check on an invoice: what, why, when, and who overrode it.

    Each run of the checks brings an invoice's findings up to date: a finding found again is refreshed, a new one is
    added, one no longer found is marked corrected (kept: the report counts the billing errors prevented).
    """

    _name = "billing.invoice.check.result"
    _description = "Invoice Check Finding"
    _order = "move_id, severity, code, id"

    move_id = fields.Many2one("account.move", string="Invoice", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="move_id.commercial_partner_id", string="Customer", store=True)
    code = fields.Selection(CHECK_CODES, string="Check", required=True)
    severity = fields.Selection([("block", "Blocking"), ("warn", "Warning")], required=True)
    state = fields.Selection(RESULT_STATES, required=True, default="open", index=True)
    message = fields.Char(required=True)
    date = fields.Datetime(string="Found On", required=True, default=fields.Datetime.now)
    date_corrected = fields.Datetime(string="Corrected On")
    overridden_by = fields.Many2one("res.users")
    override_reason = fields.Text()

    @api.model
    def _record(self, moves, findings):
        """Bring the findings of ``moves`` up to date with ``findings`` ({move_id: [(code, severity, message)]})."""
        now = fields.Datetime.now()
        current = self.sudo().search([("move_id", "in", moves.ids), ("state", "=", "open")])
        by_key = {(result.move_id.id, result.code): result for result in current}
        vals_list = []
        for move in moves:
            for code, severity, message in findings.get(move.id, ()):
                result = by_key.pop((move.id, code), None)
                if result:
                    result.write({"severity": severity, "message": message, "date": now})
                else:
                    vals_list.append(
                        {"move_id": move.id, "code": code, "severity": severity, "message": message, "date": now}
                    )
        corrected = self.sudo().union(*by_key.values())
        corrected.write({"state": "corrected", "date_corrected": now})
        self.sudo().create(vals_list)
