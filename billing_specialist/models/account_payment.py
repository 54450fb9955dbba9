from odoo import api, models
from odoo.exceptions import UserError

from ..matching import Source
from .billing_payment_apply import Application


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _billing_receivable_lines(self):
        return self.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable" and not aml.reconciled
        )

    @api.model
    def _billing_pending(self, company):
        """Posted inbound customer payments of ``company`` with an amount not yet applied to invoices."""
        return self.search(
            [
                ("company_id", "=", company.id),
                ("payment_type", "=", "inbound"),
                (
                    "move_id.line_ids",
                    "any",
                    [
                        ("parent_state", "=", "posted"),
                        ("account_id.account_type", "=", "asset_receivable"),
                        ("reconciled", "=", False),
                        ("amount_residual", "<", 0),
                    ],
                ),
            ]
        )

    def _billing_currency(self):
        return self.currency_id

    def _billing_label(self):
        return self.name

    def _billing_available(self):
        """What the payment still has to apply, in its currency."""
        return -sum(self._billing_receivable_lines().mapped("amount_residual_currency"))

    def _billing_source(self):
        self.ensure_one()
        return self._billing_sources_read()[self.id]

    def _billing_sources_read(self):
        """The engine's view of each payment, {id: Source}, in a few queries whatever their number (a run's)."""
        receivable = self.env["account.move.line"]._read_group(
            [
                ("move_id", "in", self.move_id.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
            ],
            ["move_id"],
            ["amount_residual_currency:sum"],
        )
        available = {move.id: -total for move, total in receivable}
        settled = self.move_id._billing_settled_names()
        return {
            payment.id: Source(
                id=payment.id,
                amount=payment.currency_id.round(available.get(payment.move_id.id, 0.0)),
                memo=" ".join(filter(None, [payment.memo, payment.payment_reference])),
                partner_id=payment.partner_id.commercial_partner_id.id or None,
                settled_numbers=settled.get(payment.move_id.id, ()),
                date=payment.date,
            )
            for payment in self
        }

    def _billing_apply(self, allocations, writeoff=0.0, nowait=False):
        """Reconcile the payment with the given invoices and credit notes: see ``billing.payment.apply``.

        :param allocations: [(invoice or credit note id, amount)] in the invoices' currency, credit notes negative.
        :return: (account.partial.reconcile created, write-off move or empty recordset)
        """
        self.ensure_one()
        moves = self.env["account.move"].browse([move_id for move_id, _amount in allocations])
        self._billing_check_applicable(moves, dict(allocations), writeoff)
        return self.env["billing.payment.apply"]._apply(Application(self, list(allocations), writeoff), nowait)

    def _billing_check_applicable(self, moves, amounts, writeoff=0.0, customer=None, automatic=False, learned_fee=0.0):
        """Refuse, with a clear message and before anything is written, what cannot be applied."""
        self.ensure_one()
        if self.state not in ("in_process", "paid") or self.payment_type != "inbound":
            raise UserError(self.env._("%(payment)s is not a posted customer payment.", payment=self.name))
        self.env["billing.payment.apply"]._check_allocations(
            self,
            moves,
            amounts,
            writeoff,
            customer=self.partner_id.commercial_partner_id,
            automatic=automatic,
            learned_fee=learned_fee,
        )

    def action_post(self):
        result = super().action_post()
        received = self.filtered(lambda pay: pay.payment_type == "inbound" and pay.partner_type == "customer")
        if received:  # a remittance advice waiting for this payment is matched to it now
            self.env["billing.remittance"].sudo()._billing_match_sources(received)
        return result
