import math

from odoo import api, fields, models
from odoo.exceptions import UserError

# Beyond this an amount is a typing accident (or an attack), not a payment: refused before it reaches the books.
MAX_AMOUNT = 1e12


class BillingMatchReviewAllocation(models.Model):
    """An invoice or credit note a review row pays, and how much of it (credit notes: the positive amount used)."""

    _name = "billing.match.review.allocation"
    _description = "Payment Matching Review: Invoice"
    _order = "review_id, id"
    _check_company_auto = True

    review_id = fields.Many2one("billing.match.review", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="review_id.company_id", store=True)
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        ondelete="cascade",
        # Another company's invoice is refused when written (its number and open amount are read as the system).
        check_company=True,
        domain="[('company_id', '=', company_id), ('move_type', 'in', ('out_invoice', 'out_refund')), "
        "('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    open_amount = fields.Monetary(related="move_id.amount_residual", string="Open")
    in_dispute = fields.Boolean(related="move_id.billing_in_dispute")
    amount = fields.Monetary(string="Apply")
    kind = fields.Selection(
        [("invoice", "Invoice"), ("credit_note", "Credit Note")],
        string="Type",
        compute="_compute_kind",
        help="A credit note's Open and Apply are what it gives: they lower the invoices' total of the row.",
    )

    @api.depends("move_id.move_type")
    def _compute_kind(self):
        for allocation in self:
            allocation.kind = "credit_note" if allocation.move_id.move_type == "out_refund" else "invoice"

    @api.model
    def _check_client_vals(self, vals):
        amount = vals.get("amount") or 0.0
        if not math.isfinite(amount):
            raise UserError(self.env._("The amount applied to an invoice must be a finite number."))
        if amount < 0:
            raise UserError(
                self.env._(
                    "The amount applied to an invoice cannot be negative (a credit note's is its positive part)."
                )
            )
        if amount > MAX_AMOUNT:
            raise UserError(self.env._("The amount applied to an invoice is too large to be a payment."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_client_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_client_vals(vals)
        if "review_id" in vals and not self.env.su:
            # Record rules are checked on the rows before a write only: the new row must be one's own as well.
            self.env["billing.match.review"].browse(vals["review_id"]).check_access("write")
        return super().write(vals)
