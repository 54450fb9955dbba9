from odoo import api, models

# What changes a confirmed order's amount left to invoice (quantities delivered only matter to sale's own figure).
_AMOUNT_FIELDS = frozenset({"product_uom_qty", "price_unit", "discount", "tax_id", "product_id"})


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _billing_touch_credit(self):
        self.order_id.filtered(lambda order: order.state == "sale")._billing_recompute_credit_later()

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._billing_touch_credit()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if _AMOUNT_FIELDS.intersection(vals):
            self._billing_touch_credit()
        return result

    def unlink(self):
        self._billing_touch_credit()
        return super().unlink()
