from odoo import api, fields, models

from .billing_credit_checker import hold_sentence


class AccountMove(models.Model):
    """A draft invoice of a customer on credit hold says so on its form, before anyone confirms or sends it."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited  # credit's own file

    billing_credit_hold_note = fields.Char(
        string="Credit Hold",
        compute="_compute_billing_credit_hold_note",
        help="The customer is on credit hold in the invoice's company: why, and what paying releases it.",
    )

    @api.depends("state", "move_type", "commercial_partner_id", "company_id")
    @api.depends_context("uid")
    def _compute_billing_credit_hold_note(self):
        drafts = self.filtered(
            lambda m: m.state == "draft" and m.move_type == "out_invoice" and m.commercial_partner_id
        )
        # Superuser: the credit state is read for the invoices the user already reads, in their own company only.
        statuses = (
            self.env["billing.credit.status"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", drafts.commercial_partner_id.ids),
                    ("company_id", "in", drafts.company_id.ids),
                    ("state", "=", "hold"),
                ]
            )
            if drafts
            else self.env["billing.credit.status"]
        )
        held = {(status.partner_id.id, status.company_id.id): status for status in statuses}
        for move in self:
            status = held.get((move.commercial_partner_id.id, move.company_id.id)) if move in drafts else None
            move.billing_credit_hold_note = hold_sentence(self.env, status) if status else False
