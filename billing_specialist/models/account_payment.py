from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..matching import Source


class AccountPayment(models.Model):
    """A customer payment as a source of cash (``billing.payment.source``)."""

    _name = "account.payment"
    _inherit = ["account.payment", "billing.payment.source"]

    _billing_source_field = "payment_id"
    _billing_source_type = "payment"

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

    def _billing_row_name(self):
        return self._billing_label()

    def _billing_payment(self):
        return self

    def _billing_available(self):
        """What the payment still has to apply, in its currency."""
        return -sum(self._billing_receivable_lines().mapped("amount_residual_currency"))

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
                journal_id=payment.journal_id.id,
            )
            for payment in self
        }

    def _billing_customer(self, moves, partner=None):
        """A payment is applied for its own customer, whatever is chosen."""
        return self.partner_id.commercial_partner_id

    def _billing_check_state(self):
        self.ensure_one()
        if self.state not in ("in_process", "paid") or self.payment_type != "inbound":
            raise UserError(self.env._("%(payment)s is not a posted customer payment.", payment=self.name))

    def _billing_check_applicable(
        self, moves, amounts, writeoff=0.0, customer=None, automatic=False, learned_fee=0.0, fee_rule=None
    ):
        """A payment is checked for its own customer, whatever ``customer`` says."""
        return super()._billing_check_applicable(
            moves, amounts, writeoff, automatic=automatic, learned_fee=learned_fee, fee_rule=fee_rule
        )

    @api.model
    def _billing_link(self, applications):
        """List each payment on the invoices it settles (``matched_payment_ids``), as the register-payment wizard
        does: the invoice's Payments button shows it. Undo leaves the link, as Odoo's unreconciling does.

        Written in one statement into the relation (an ORM write per payment re-synchronised each payment's journal
        entry: a quarter of a run's time), then the ORM is told (cache invalidated, dependent fields marked).
        """
        pairs = {(move_id, app.source.id) for app in applications for move_id, amount in app.allocations if amount > 0}
        if not pairs:
            return
        self.env.cr.execute(
            SQL(
                "INSERT INTO account_move__account_payment (invoice_id, payment_id) VALUES %s ON CONFLICT DO NOTHING",
                SQL(", ").join(SQL("(%s, %s)", move_id, payment_id) for move_id, payment_id in sorted(pairs)),
            )
        )
        invoices = self.env["account.move"].browse({move_id for move_id, _payment_id in pairs})
        payments = self.browse({payment_id for _move_id, payment_id in pairs})
        invoices.invalidate_recordset(["matched_payment_ids"])
        payments.invalidate_recordset(["invoice_ids"])
        invoices.modified(["matched_payment_ids"])
        payments.modified(["invoice_ids"])
