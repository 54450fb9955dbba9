from odoo import Command, api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..matching import Source


class AccountBankStatementLine(models.Model):
    """An incoming bank line as a source of cash (``billing.payment.source``): applying it moves its amount from the
    suspense account to its customer's receivable, then reconciles; undoing it moves the amount back."""

    _name = "account.bank.statement.line"
    _inherit = ["account.bank.statement.line", "billing.payment.source"]

    _billing_source_field = "statement_line_id"
    _billing_source_type = "bank_line"

    @api.model
    def _billing_pending(self, company):
        """Incoming bank lines of ``company`` not reconciled yet (their amount still sits in the suspense account)."""
        return self.search(
            [
                ("company_id", "=", company.id),
                ("is_reconciled", "=", False),
                ("amount", ">", 0),
                ("state", "=", "posted"),
            ]
        )

    def _billing_currency(self):
        """The currency the customer paid in: the line's foreign currency, else the journal's."""
        return self.foreign_currency_id or self.currency_id

    def _billing_amount(self):
        return self.amount_currency if self.foreign_currency_id else self.amount

    def _billing_sources_read(self):
        """The engine's view of each line, {id: Source}, in a few queries whatever their number (a run's)."""
        settled = self.move_id._billing_settled_names()
        return {
            line.id: Source(
                id=line.id,
                amount=line._billing_currency().round(line._billing_amount()),
                memo=" ".join(filter(None, [line.payment_ref, line.ref])),
                partner_id=line.partner_id.commercial_partner_id.id or None,
                account_number=line.account_number or line.partner_bank_id.acc_number or None,
                payer_name=line.partner_name or None,
                settled_numbers=settled.get(line.move_id.id, ()),
                date=line.date,
                journal_id=line.journal_id.id,
            )
            for line in self
        }

    def _billing_customer(self, moves, partner=None):
        """Whom the line is applied for: the partner given, else the line's, else the one customer of ``moves``."""
        customer = (partner or self.partner_id or moves.commercial_partner_id).commercial_partner_id
        if len(customer) != 1:
            raise UserError(
                self.env._(
                    "Choose the customer who paid bank line %(line)s: it names none and its invoices belong to "
                    "several.",
                    line=self.payment_ref or self.display_name,
                )
            )
        return customer

    def _billing_label(self):
        return self.payment_ref or self.display_name

    def _billing_available(self):
        return self._billing_amount()

    def _billing_done(self):
        return self.is_reconciled

    def _billing_proposed_customer(self, partner):
        """The line's own customer, else the one whose invoices the engine proposes."""
        return self.partner_id.commercial_partner_id or partner

    def _billing_check_state(self):
        self.ensure_one()
        if self.is_reconciled or self.amount <= 0:
            raise UserError(self.env._("Bank line %(line)s is already reconciled.", line=self.display_name))

    @api.model
    def _billing_before_reconcile(self, applications):
        """The amount of each line goes to its customer's receivable, ready to reconcile."""
        self._billing_to_receivable_many([(app.source, app.customer) for app in applications])

    def _billing_after_unreconcile(self):
        self._billing_to_suspense()

    @api.model
    def _billing_to_receivable_many(self, lines_customers):
        """Move each bank line's amount from the suspense account to its customer's receivable, ready to reconcile.

        :param lines_customers: [(bank line, customer)]. Done in a few writes whatever the number of lines: the
            account through the ORM, one write per receivable account (Odoo's checks: lock dates, hashed entries,
            reconciled items, balance), then every item's customer in one statement.
        """
        if not lines_customers:
            return
        st_lines = self.union(*(st_line for st_line, _customer in lines_customers))
        st_lines.move_id.line_ids.fetch(["account_id"])  # one read for every line's journal items
        items, moves, partnerless, customers = {}, {}, {}, {}
        for st_line, customer in lines_customers:
            suspense = st_line.move_id.line_ids.filtered(
                lambda aml, st_line=st_line: aml.account_id == st_line.journal_id.suspense_account_id
            )
            if not suspense or not customer:
                raise UserError(self.env._("Bank line %(line)s has nothing left to apply.", line=st_line.display_name))
            receivable = customer.with_company(st_line.company_id).property_account_receivable_id
            items.setdefault(receivable, []).append(suspense)
            customers.update(dict.fromkeys(suspense.ids, customer.id))
            moves.setdefault(customer, []).append(st_line.move_id)
            if not st_line.partner_id:
                partnerless.setdefault(customer, []).append(st_line)
        Line = self.env["account.move.line"].with_context(skip_account_move_synchronization=True, tracking_disable=True)
        for receivable, suspense in items.items():
            Line.union(*suspense).write({"account_id": receivable.id})
        self._billing_set_item_partners(customers)
        Move = self.env["account.move"].with_context(skip_account_move_synchronization=True, skip_readonly_check=True)
        for customer, customer_moves in moves.items():
            Move.union(*customer_moves).write({"partner_id": customer.id})
        # sudo: Community lets invoicing users read bank lines, not write them. Billing specialists apply cash, so
        # the line takes the customer its amount was just booked to (the journal entry itself is written with the
        # user's own rights above); nothing else of the line changes.
        for customer, partnerless_lines in partnerless.items():
            self.union(*partnerless_lines).sudo().with_context(
                skip_account_move_synchronization=True
            ).partner_id = customer

    @api.model
    def _billing_set_item_partners(self, customers):
        """Set the customer of many journal items ({item id: partner id}) in one statement.

        An ORM write per customer (one per bank line in practice) took half the time of applying a bank line. The
        checks it would run (lock dates, hashed entries, reconciled items) are those the account's write has just run
        on the same items; the ORM is then told, so the fields that depend on the partner are recomputed as after a
        write (no tracking: the matching run records what it did).
        """
        Line = self.env["account.move.line"]
        items = Line.browse(customers)
        items.modified(["partner_id"], before=True)
        Line.flush_model(["partner_id"])
        self.env.cr.execute(
            SQL(
                "UPDATE account_move_line AS aml SET partner_id = v.partner_id FROM (VALUES %s) AS v(id, partner_id) "
                "WHERE aml.id = v.id",
                SQL(", ").join(SQL("(%s, %s)", item_id, partner_id) for item_id, partner_id in customers.items()),
            )
        )
        items.invalidate_recordset(["partner_id"])
        items.modified(["partner_id"])

    def _billing_to_suspense(self):
        """Undo ``_billing_to_receivable_many``: the amount goes back to the suspense account, to be matched again."""
        for st_line in self:
            lines = st_line.move_id.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
            lines.remove_move_reconcile()
            st_line.move_id.with_context(skip_account_move_synchronization=True, skip_readonly_check=True).write(
                {
                    "line_ids": [
                        Command.update(line.id, {"account_id": st_line.journal_id.suspense_account_id.id})
                        for line in lines
                    ]
                }
            )
