from odoo import api, fields, models
from odoo.exceptions import AccessError

# Set by the application when the advice is applied, never by a client.
PROTECTED_FIELDS = {"move_id", "dispute_id"}


class BillingRemittanceLine(models.Model):
    """One invoice of a remittance advice: as the customer wrote it, what it pays and what it deducts."""

    _name = "billing.remittance.line"
    _description = "Remittance Advice Line"
    _inherit = ["billing.finite.mixin", "billing.protected.mixin"]
    _protected_create = _protected_write = frozenset(PROTECTED_FIELDS)
    _finite_fields = ("amount_paid", "amount_deduction")
    _order = "remittance_id, sequence, id"
    _check_company_auto = True

    remittance_id = fields.Many2one("billing.remittance", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="remittance_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="remittance_id.currency_id", store=True)
    sequence = fields.Integer(default=10)
    reference = fields.Char(string="Invoice Reference", required=True, help="As the customer wrote it.")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        readonly=True,
        check_company=True,
        index="btree_not_null",
        help="The invoice the reference was resolved to when the remittance was applied.",
    )
    amount_paid = fields.Monetary(string="Paid")
    amount_deduction = fields.Monetary(string="Deduction")
    deduction_reason = fields.Char(help="The customer's words for the deduction; they choose the dispute reason.")
    dispute_id = fields.Many2one("billing.dispute", string="Dispute Case", readonly=True, check_company=True)

    _sql_constraints = [
        ("deduction_positive", "CHECK(amount_deduction >= 0)", "A deduction cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self.env["billing.remittance"].browse([v.get("remittance_id") for v in vals_list])._billing_check_open()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            (
                self.remittance_id | self.env["billing.remittance"].browse(vals.get("remittance_id"))
            )._billing_check_open()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        self.remittance_id._billing_check_open()

    def _protected_error(self, fnames):
        return AccessError(self.env._("The invoice and case of a remittance line are set by the application."))
