from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeFollowsAccounting(BillingDisputeCommon):
    def test_payment_of_the_disputed_part_resolves(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=200.0)
        self._pay(invoice, 800.0)
        self.assertEqual(case.state, "new", "paying the undisputed part keeps the case open")
        self.assertEqual(case.amount_remaining, 200.0)
        self.assertEqual(case.amount_paid, 0.0)

        self._pay(invoice, 200.0)
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.amount_paid, 200.0)
        self.assertEqual(case.amount_remaining, 0.0)
        self.assertEqual(case.root_cause_id, self.env.ref("billing_specialist.root_cause_settled"))
        self.assertTrue(case.message_ids.filtered(lambda m: "Resolved automatically" in m.body))

    def test_payment_by_accountant_without_billing_rights(self):
        invoice = self._invoice(100.0)
        case = self._open_case(invoice)
        self.assertFalse(self.internal_user.has_group("billing_specialist.group_billing_user"))
        self._pay(invoice, 100.0, user=self.internal_user)
        self.assertEqual(case.state, "resolved")

    def test_unreconciling_the_payment_reopens(self):
        invoice = self._invoice(100.0)
        case = self._open_case(invoice)
        payment = self._pay(invoice, 100.0)
        self.assertEqual(case.state, "resolved")
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.amount_remaining, 100.0)
        self.assertTrue(invoice.billing_in_dispute)
        self.assertTrue(case.message_ids.filtered(lambda m: "Reopened" in m.body))

    def test_resetting_the_credit_note_reopens_and_reposting_resolves(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=300.0)
        self._resolve(case)
        refund = case.settlement_move_ids
        self.assertEqual(case.state, "resolved")

        refund.button_draft()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.amount_credited, 0.0)
        self.assertEqual(case.amount_remaining, 300.0)
        self.assertFalse(case.date_closed)

        refund.button_cancel()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.amount_remaining, 300.0)

    def test_reposted_credit_note_resolves_again(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=300.0)
        self._resolve(case)
        refund = case.settlement_move_ids
        refund.button_draft()
        self.assertEqual(case.state, "in_progress")
        refund.action_post()
        self.assertEqual(case.amount_credited, 300.0)
        self.assertEqual(case.state, "resolved")

    def test_partial_resolution_reopens_for_the_credited_part_only(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=400.0)
        self._resolve(case, amounts=[100.0])
        self.assertEqual((case.amount_credited, case.amount_rejected), (100.0, 300.0))
        case.settlement_move_ids.button_draft()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.amount_remaining, 100.0)

    def test_write_off_reset_reopens(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=20.0)
        self._resolve(case, resolution="write_off")
        case.settlement_move_ids.button_draft()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.amount_written_off, 0.0)

    def test_rejected_case_stays_rejected(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=200.0)
        payment = self._pay(invoice, 1000.0)
        self.assertEqual(case.state, "resolved")
        case.with_user(self.manager).action_reopen()
        self.assertEqual(case.state, "resolved", "reopening a fully paid case resolves it again")
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(case.state, "in_progress")
        self._resolve(case, resolution="reject", note="Price is per contract.")
        self.assertEqual(case.state, "rejected")
        self._pay(invoice, 300.0)
        self.assertEqual(case.state, "rejected")

    def test_cancel_refused_with_posted_accounting_and_delete_refused(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=300.0)
        self._resolve(case, amounts=[100.0], close_case=False)
        with self.assertRaisesRegex(UserError, "reset them to draft"):
            case.action_cancel()
        with self.assertRaisesRegex(UserError, "archive it instead"):
            case.with_user(self.manager).unlink()
        case.with_user(self.manager).action_archive()
        self.assertFalse(case.active)
