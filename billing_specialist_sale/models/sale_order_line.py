from odoo import models

# What changes a confirmed order's amount left to invoice (quantities delivered only matter to sale's own figure).
_AMOUNT_FIELDS = frozenset({"product_uom_qty", "price_unit", "discount", "tax_id", "product_id"})


class SaleOrderLine(models.Model):
    """A line added to, changed on or removed from a confirmed order changes its customer's exposure: noted for the
    recompute before commit (billing_specialist's ``billing.credit.event.mixin``)."""

    _name = "sale.order.line"
    _inherit = ["sale.order.line", "billing.credit.event.mixin"]

    _billing_credit_fields = _AMOUNT_FIELDS
    _billing_credit_partner_fields = frozenset()  # a line never moves to another order

    def _billing_credit_pairs(self):
        return ((order.partner_id.id, order.company_id.id) for order in self.order_id if order.state == "sale")
