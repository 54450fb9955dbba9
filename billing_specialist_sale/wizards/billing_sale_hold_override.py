from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html


class BillingSaleHoldOverride(models.TransientModel):
    _name = "billing.sale.hold.override"
    _description = "Confirm a Sales Order despite a Credit Hold"

    order_id = fields.Many2one("sale.order", string="Sales Order", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer")
    credit_reasons = fields.Text(related="order_id.billing_credit_reasons", string="Why on Hold")
    currency_id = fields.Many2one(related="order_id.billing_credit_currency_id")
    amount_to_release = fields.Monetary(related="order_id.billing_amount_to_release", currency_field="currency_id")
    reason = fields.Text(required=True, help="Why the order is confirmed despite the hold; logged on the order.")

    def _billing_check_manager(self):
        if not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(self.env._("Only a billing manager can confirm an order despite a credit hold."))

    def action_confirm_order(self):
        self.ensure_one()
        self._billing_check_manager()
        order = self.order_id
        order.check_access("write")
        if order.state not in ("draft", "sent"):
            raise UserError(self.env._("%(order)s is not a quotation any more.", order=order.name))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the order is confirmed despite the credit hold."))
        status = order._billing_credit_status()
        # one line each, escaped (the chatter shows a plain text's line breaks as spaces: "...the CFO The hold's")
        order.message_post(
            body=plaintext2html(
                self.env._(
                    "Confirmed despite the credit hold of %(customer)s by %(user)s. Reason: %(reason)s\n"
                    "The hold's reasons then: %(reasons)s",
                    customer=order.partner_id.commercial_partner_id.display_name,
                    user=self.env.user.name,
                    reason=reason,
                    reasons=status.reasons or self.env._("none (no longer on hold)"),
                )
            ),
            subtype_xmlid="mail.mt_note",
        )
        with order._billing_hold_overridden():
            order.action_confirm()
        return {"type": "ir.actions.act_window_close"}
