import re

from odoo import api, fields, models


class BillingRemittanceDeductionRule(models.Model):
    """A word in a deduction's reason ("damaged", "short") and the dispute reason its case opens with."""

    _name = "billing.remittance.deduction.rule"
    _description = "Remittance Deduction Rule"
    _order = "sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    keyword = fields.Char(required=True, help="A word or phrase of the deduction's reason (any case, whole words).")
    reason_id = fields.Many2one("billing.dispute.reason", string="Dispute Reason", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", index=True, help="Empty: for every company.")
    active = fields.Boolean(default=True)

    @api.model
    def _reason_for(self, text, company):
        """The dispute reason of the first rule whose keyword ``text`` contains, else *Other*."""
        for rule in self.search([("company_id", "in", [company.id, False])]):
            if re.search(rf"(?<!\w){re.escape(rule.keyword.strip())}", text or "", re.IGNORECASE):
                return rule.reason_id
        return self.env.ref("billing_specialist.reason_other", raise_if_not_found=False) or self.env[
            "billing.dispute.reason"
        ].search([], limit=1)
