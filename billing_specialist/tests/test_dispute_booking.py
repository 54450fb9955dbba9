from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeBooking(BillingDisputeCommon):
    """Issue 9, item 8: what links accounting to a case is set by the resolution alone, never by a client.

    A credit note or write-off linked to a disputed invoice counts in the case's amounts and can resolve it; the
    resolution books them without syncing the case in between. Neither the link nor that pause can be had by a client:
    a context key sent over JSON-RPC is a string or a boolean, never the object the resolution passes.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(1000.0)
        cls.unrelated = cls._invoice(300.0, move_type="out_refund")

    def test_invoicing_user_cannot_link_an_entry_to_a_case(self):
        case = self._open_case(self.invoice, amount=300.0)
        for context in ({}, {"billing_dispute_booking": True}, {"billing_dispute_skip_sync": True}):
            with self.assertRaises(AccessError):
                self.unrelated.with_user(self.internal_user).with_context(**context).write(
                    {"billing_dispute_line_id": case.line_ids.id}
                )
        self.assertFalse(self.unrelated.billing_dispute_line_id)
        self.assertEqual(case.amount_credited, 0.0)
        self.assertEqual(case.state, "new")

    def test_no_entry_is_created_linked_to_a_case(self):
        case = self._open_case(self.invoice, amount=300.0)
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.internal_user).create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.customer.id,
                    "billing_dispute_line_id": case.line_ids.id,
                }
            )
        self.assertFalse(case.settlement_move_ids)
        self.assertEqual(case.amount_credited, 0.0)

    def test_dispute_figures_of_an_invoice_are_not_writable(self):
        self._open_case(self.invoice, amount=300.0)
        for vals in ({"billing_in_dispute": False}, {"billing_disputed_amount": 0.0}, {"billing_dispute_id": False}):
            with self.assertRaises(AccessError):
                self.invoice.with_user(self.specialist).write(vals)
        self.invoice.invalidate_recordset()
        self.assertTrue(self.invoice.billing_in_dispute)
        self.assertEqual(self.invoice.billing_disputed_amount, 300.0)

    def test_client_context_key_does_not_stop_the_case_following_the_accounting(self):
        case = self._open_case(self.invoice, amount=300.0)
        self._resolve(case, amounts=[300.0])
        self.assertEqual(case.state, "resolved")
        credit_note = case.settlement_move_ids
        self.assertEqual(len(credit_note), 1)
        credit_note.with_user(self.internal_user).with_context(
            billing_dispute_skip_sync=True, billing_dispute_booking=True
        ).button_draft()
        self.assertEqual(case.state, "in_progress", "the credit note behind the resolution was undone")
        self.assertEqual(case.amount_remaining, 300.0)

    def test_resolution_still_links_its_credit_note(self):
        case = self._open_case(self.invoice, amount=300.0)
        self._resolve(case, amounts=[300.0])
        self.assertEqual(case.amount_credited, 300.0)
        self.assertEqual(case.settlement_move_ids.billing_dispute_line_id, case.line_ids)
