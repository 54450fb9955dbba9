from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        """An online payment is never lost to a credit hold: the transaction is processed as usual (its payment is
        posted and lowers the customer's exposure), but a held customer's quotation is not confirmed; the order
        says so and the salesperson gets a to-do. A billing manager can confirm it despite the hold."""
        held_txs = self.browse()
        for tx in self:
            held = tx.sale_order_ids._billing_held()
            if held:
                held_txs |= tx
                for order in held:
                    order._billing_note_held(
                        self.env._("The customer paid online (%(reference)s).", reference=tx.reference)
                    )
        return super(PaymentTransaction, self - held_txs)._check_amount_and_confirm_order()
