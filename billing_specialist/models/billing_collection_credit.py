from odoo import api, fields, models

from .billing_credit_checker import hold_sentence


class BillingCollection(models.Model):
    """The customer screen shows the customer's credit state in the account's company, and why it is held."""

    _inherit = "billing.collection"  # pylint: disable=consider-merging-classes-inherited  # credit's own file

    credit_state = fields.Selection(
        selection=lambda self: self.env["billing.credit.status"]._fields["state"].selection,
        string="Credit",
        compute="_compute_credit_state",
        help="The customer's credit state here.",
    )
    credit_note = fields.Char(string="Credit Hold Reasons", compute="_compute_credit_state")

    @api.depends("partner_id", "company_id")
    def _compute_credit_state(self):
        for account in self:
            status = (
                account.partner_id._billing_credit_status(account.company_id)
                if account.partner_id and account.company_id
                else None
            )
            account.credit_state = status.state if status else "ok"
            account.credit_note = hold_sentence(self.env, status) if status and status.state == "hold" else False
