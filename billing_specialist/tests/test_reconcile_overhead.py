import re
from contextlib import contextmanager
from unittest.mock import patch

from odoo.sql_db import Cursor
from odoo.tests import tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestReconcileOverhead(BillingDisputeCommon):
    """Reconciliations that no case involves cost one indexed lookup, no sync and no write of the addon's fields.

    The time itself is compared with and without the addon by ``bench/reconcile_overhead.py``; this test keeps what
    made the difference from coming back: a lookup per side of each reconciliation, a sync (with its ``env.ref``) on
    no case, and the dispute status recomputed per move.
    """

    @contextmanager
    def _queries(self):
        """The SQL of the current cursor, observed as Odoo's own ``assertQueries`` does."""
        queries = []
        execute = Cursor.execute

        def observe(cursor, query, params=None, log_exceptions=True):
            queries.append(str(getattr(query, "code", query)))
            return execute(cursor, query, params, log_exceptions)

        self.env.flush_all()
        with patch.object(Cursor, "execute", observe):
            yield queries
            self.env.flush_all()

    def _payment(self, invoice):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": invoice.partner_id.id,
                "amount": invoice.amount_total,
                "journal_id": self.bank_journal.id,
            }
        )
        payment.action_post()
        return payment

    def _receivable(self, moves):
        return moves.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

    def test_reconciling_items_no_case_involves(self):
        self._open_case(self._invoice(300.0))  # another invoice of the customer is in dispute
        invoices = self._invoice(100.0) | self._invoice(200.0)
        payments = self._payment(invoices[0]) | self._payment(invoices[1])
        self.env.invalidate_all()
        with self._queries() as queries:
            for invoice, payment in zip(invoices, payments, strict=True):
                self._receivable(invoice | payment.move_id).reconcile()
        self.assertLessEqual(set(invoices.mapped("payment_state")), {"in_payment", "paid"})
        addon = [query for query in queries if re.search(r'(FROM|JOIN|INTO|UPDATE)\s+"?billing_', query)]
        self.assertEqual(len(addon), 2, f"one lookup of the cases per reconciliation, nothing else: {addon}")
        writes = [query for query in queries if query.lstrip().upper().startswith("UPDATE") and '"billing_' in query]
        self.assertFalse(writes, "the dispute status of moves no case involves is not written")
        self.assertFalse(invoices.filtered("billing_in_dispute"))

    def test_reconciling_a_disputed_invoice_still_resolves_its_case(self):
        invoice = self._invoice(100.0)
        case = self._open_case(invoice)
        self.assertTrue(invoice.billing_in_dispute)
        self._receivable(invoice | self._payment(invoice).move_id).reconcile()
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.amount_paid, 100.0)
        self.assertFalse(invoice.billing_in_dispute)
        self.assertEqual(invoice.billing_disputed_amount, 0.0)
