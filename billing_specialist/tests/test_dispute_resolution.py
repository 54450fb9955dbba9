from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeResolution(BillingDisputeCommon):
    def _receivable_reconciled_with(self, invoice, move):
        partials = invoice.line_ids.matched_credit_ids | invoice.line_ids.matched_debit_ids
        return move.line_ids & (partials.credit_move_id | partials.debit_move_id)

    def test_full_credit_note_resolves_and_reconciles(self):
        invoice = self._invoice(1000.0, taxes=self.tax_sale_a)
        case = self._open_case(invoice)
        self._resolve(case, note="Price corrected to the contract.")

        refund = case.settlement_move_ids
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(refund.amount_total, invoice.amount_total)
        self.assertTrue(self._receivable_reconciled_with(invoice, refund))
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.amount_credited, invoice.amount_total)
        self.assertEqual(case.amount_remaining, 0.0)
        self.assertEqual(case.root_cause_id, self.cause_pricing)
        self.assertEqual(case.date_closed, self.today)
        self.assertFalse(invoice.billing_in_dispute)
        notice = case.message_ids.filtered(lambda m: "is resolved" in (m.subject or ""))
        self.assertEqual(len(notice), 1)
        self.assertIn(self.customer_contact, notice.notified_partner_ids)

    def test_partial_credit_note_with_taxes_is_exact(self):
        invoice = self._invoice(1000.0, taxes=self.tax_sale_a)  # 15% tax: 1150.00
        case = self._open_case(invoice, amount=333.33)
        self._resolve(case)
        refund = case.settlement_move_ids
        self.assertEqual(refund.amount_total, 333.33)
        self.assertEqual(refund.invoice_line_ids.tax_ids, self.tax_sale_a)
        self.assertAlmostEqual(invoice.amount_residual, 1150.0 - 333.33)
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.amount_credited, 333.33)

    def test_partial_acceptance_rejects_the_rest(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=400.0)
        self._resolve(case, amounts=[150.0], note="Half the units were late, not missing.")
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.amount_credited, 150.0)
        self.assertEqual(case.amount_rejected, 250.0)
        self.assertEqual(case.amount_remaining, 0.0)
        self.assertEqual(invoice.amount_residual, 850.0)

    def test_partial_acceptance_keeping_the_case_open(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=400.0)
        self._resolve(case, amounts=[150.0], close_case=False)
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.amount_credited, 150.0)
        self.assertEqual(case.amount_remaining, 250.0)
        self.assertTrue(invoice.billing_in_dispute)
        self.assertEqual(invoice.billing_disputed_amount, 250.0)
        self._resolve(case, amounts=[250.0])
        self.assertEqual(case.state, "resolved")
        self.assertEqual(len(case.settlement_move_ids), 2)

    def test_partial_credit_follows_disputed_lines(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": self.today,
                "invoice_line_ids": [
                    (0, 0, {"product_id": self.product_a.id, "quantity": 2, "price_unit": 100.0, "tax_ids": []}),
                    (0, 0, {"product_id": self.product_b.id, "quantity": 1, "price_unit": 800.0, "tax_ids": []}),
                ],
            }
        )
        invoice.action_post()
        line_a = invoice.invoice_line_ids.filtered(lambda aml: aml.product_id == self.product_a)
        case = self._open_case(invoice, amount=100.0, invoice_line_ids=[(6, 0, line_a.ids)])
        self._resolve(case)
        refund = case.settlement_move_ids
        self.assertEqual(refund.invoice_line_ids.product_id, self.product_a)
        self.assertEqual(refund.amount_total, 100.0)

    def test_credit_note_on_several_invoices(self):
        first, second = self._invoice(300.0), self._invoice(700.0)
        case = self._open_case(first | second)
        self._resolve(case)
        self.assertEqual(len(case.settlement_move_ids), 2)
        self.assertEqual(case.settlement_move_ids.reversed_entry_id, first | second)
        self.assertEqual(case.amount_credited, 1000.0)
        self.assertEqual(case.state, "resolved")

    def test_write_off_small_balance(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=30.0)
        self._resolve(case, resolution="write_off")
        entry = case.settlement_move_ids
        self.assertEqual(entry.move_type, "entry")
        self.assertEqual(entry.state, "posted")
        expense = entry.line_ids.filtered(lambda aml: aml.account_id == self.writeoff_account)
        self.assertEqual(expense.debit, 30.0)
        self.assertEqual(invoice.amount_residual, 970.0)
        self.assertEqual(case.amount_written_off, 30.0)
        self.assertEqual(case.state, "resolved")

    def test_write_off_limit_applies_to_specialists_not_managers(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=80.0)
        moves_before = self._count("account.move")
        with self.assertRaisesRegex(UserError, "above the"):
            with self.env.cr.savepoint():
                self._resolve(case, resolution="write_off")
        self.assertEqual(self._count("account.move"), moves_before)
        self.assertEqual(case.state, "new")
        self._resolve(case, resolution="write_off", user=self.manager)
        self.assertEqual(case.amount_written_off, 80.0)

    def test_write_off_needs_an_account(self):
        self.company.billing_writeoff_account_id = False
        case = self._open_case(self._invoice(100.0), amount=10.0)
        with self.assertRaisesRegex(UserError, "write-off account"):
            self._resolve(case, resolution="write_off")

    def test_write_off_in_foreign_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        invoice = self._invoice(500.0, currency_id=eur.id)
        case = self._open_case(invoice, amount=40.0)
        self.assertEqual(case.currency_id, eur)
        self._resolve(case, resolution="write_off", user=self.manager)
        entry = case.settlement_move_ids
        expense = entry.line_ids.filtered(lambda aml: aml.account_id == self.writeoff_account)
        self.assertEqual(expense.amount_currency, 40.0)
        self.assertEqual(expense.currency_id, eur)
        self.assertEqual(expense.debit, 20.0)
        self.assertEqual(invoice.amount_residual, 460.0)
        self.assertEqual(case.state, "resolved")

    def test_reject_needs_a_reason_and_informs_the_customer(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=200.0)
        with self.assertRaisesRegex(UserError, "why the dispute is rejected"):
            self._resolve(case, resolution="reject")
        self._resolve(case, resolution="reject", note="The signed delivery note shows all 10 units.")
        self.assertEqual(case.state, "rejected")
        self.assertEqual(case.amount_rejected, 200.0)
        self.assertEqual(case.amount_remaining, 0.0)
        self.assertFalse(case.settlement_move_ids)
        self.assertEqual(invoice.amount_residual, 1000.0)
        rejection = case.message_ids.filtered(lambda m: "was not accepted" in (m.subject or ""))
        self.assertIn("signed delivery note", rejection.body)

    def test_root_cause_is_required(self):
        case = self._open_case(self._invoice(100.0))
        wizard = self.env["billing.dispute.resolve"].with_user(self.specialist).create({"dispute_id": case.id})
        with self.assertRaisesRegex(UserError, "root cause"):
            wizard.action_apply()
        self.assertFalse(case.settlement_move_ids)

    def test_amount_above_what_is_in_dispute(self):
        case = self._open_case(self._invoice(1000.0), amount=100.0)
        with self.assertRaisesRegex(UserError, "at most"):
            self._resolve(case, amounts=[100.01])
        with self.assertRaisesRegex(UserError, "at least one invoice"):
            self._resolve(case, amounts=[0.0])
        self.assertFalse(case.settlement_move_ids)

    def test_credit_note_in_locked_period_changes_nothing(self):
        invoice = self._invoice(1000.0, invoice_date=self.today - timedelta(days=60))
        case = self._open_case(invoice, amount=100.0)
        self.company.sudo().fiscalyear_lock_date = self.today - timedelta(days=30)
        moves_before = self._count("account.move")
        with self.assertRaisesRegex(UserError, "locked period"):
            with self.env.cr.savepoint():
                self._resolve(case, date=self.today - timedelta(days=40))
        self.assertEqual(self._count("account.move"), moves_before)
        self.assertEqual(case.state, "new")
        self.assertEqual(case.amount_remaining, 100.0)
        self._resolve(case)
        self.assertEqual(case.state, "resolved")

    def test_only_open_cases_are_resolved(self):
        case = self._open_case(self._invoice(100.0))
        case.action_cancel()
        with self.assertRaisesRegex(UserError, "reopen"):
            case.action_open_resolve()

    def test_wizard_through_form(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=300.0)
        action = case.with_user(self.specialist).action_open_resolve()
        wizard = Form(self.env[action["res_model"]].with_user(self.specialist).with_context(**action["context"]))
        self.assertEqual(wizard.amount_total, 300.0)
        wizard.root_cause_id = self.cause_pricing
        with wizard.line_ids.edit(0) as line:
            line.amount = 120.0
        self.assertEqual(wizard.amount_total, 120.0)
        result = wizard.save().action_apply()
        self.assertEqual(result["res_model"], "account.move")
        self.assertEqual(case.amount_credited, 120.0)
        self.assertEqual(case.amount_rejected, 180.0)


@tagged("post_install", "-at_install")
class TestResolutionRefusesUnsafeInput(BillingDisputeCommon):
    """The resolution wizard attacked as a client would call it (the attacker's user, as JSON-RPC's call_kw runs it): a
    line of another case, one invoice twice, NaN or infinite amounts, write-offs past the limit or to a bank account
    or journal. Each is refused with nothing booked."""

    def _resolve_wizard(self, case, resolution="credit_note", user=None, **vals):
        return (
            self.env["billing.dispute.resolve"]
            .with_user(user or self.specialist)
            .create({"dispute_id": case.id, "resolution": resolution, "root_cause_id": self.cause_pricing.id, **vals})
        )

    def _assert_nothing_booked(self, moves_before, *cases):
        self.assertEqual(self._count("account.move"), moves_before)
        for case in cases:
            self.assertFalse(case.settlement_move_ids)

    def test_resolve_lines_must_belong_to_the_case(self):
        """Case A's wizard carrying a line of case B (cancelled, so closed) would book on B behind its state."""
        case_a = self._open_case(self._invoice(100.0))
        other_invoice = self._invoice(400.0)
        case_b = self._open_case(other_invoice)
        case_b.with_user(self.specialist).action_cancel()
        self.assertEqual(case_b.state, "cancelled")
        foreign = Command.create({"dispute_line_id": case_b.line_ids.id, "amount": 400.0})
        wizard = self._resolve_wizard(case_a, line_ids=[foreign])
        self.assertEqual(wizard.line_ids.dispute_line_id, case_b.line_ids)
        moves_before = self._count("account.move")
        with self.assertRaisesRegex(UserError, "not an invoice of"):
            with self.env.cr.savepoint():
                wizard.action_apply()
        self._assert_nothing_booked(moves_before, case_a, case_b)
        self.assertEqual(other_invoice.amount_residual, 400.0)

    def test_resolve_cannot_accept_one_invoice_twice(self):
        """Two wizard lines on one disputed invoice each pass the ceiling: 2 x 100 credited on 100 in dispute."""
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=100.0)
        twice = Command.create({"dispute_line_id": case.line_ids.id, "amount": 100.0})
        wizard = self._resolve_wizard(case, line_ids=[twice, twice])
        self.assertEqual(len(wizard.line_ids), 2)
        moves_before = self._count("account.move")
        with self.assertRaisesRegex(UserError, "once"):
            with self.env.cr.savepoint():
                wizard.action_apply()
        self._assert_nothing_booked(moves_before, case)
        self.assertEqual(invoice.amount_residual, 1000.0)

    def test_resolve_refuses_nan_and_infinite_amounts(self):
        """Refused already by the ORM: a Monetary field rounds what is written, and NaN or infinity cannot be."""
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=100.0)
        moves_before = self._count("account.move")
        wizard = self._resolve_wizard(case, resolution="write_off")
        for amount, error in (
            (float("nan"), ValueError),
            (float("inf"), OverflowError),
            (float("-inf"), OverflowError),
        ):
            with self.subTest(amount=amount), self.assertRaises(error):
                with self.env.cr.savepoint():
                    wizard.line_ids.write({"amount": amount})
        self._assert_nothing_booked(moves_before, case)
        self.assertEqual(case.state, "new")

    def test_write_off_limit_holds_across_partial_resolutions(self):
        """Limit 50: two write-offs of 40 keeping the case open would write off 80 in one case."""
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=100.0)
        self._resolve(case, resolution="write_off", amounts=[40.0], close_case=False)
        self.assertEqual(case.amount_written_off, 40.0)
        self.assertEqual(case.state, "in_progress")
        moves_before = self._count("account.move")
        with self.assertRaisesRegex(UserError, "above the"):
            with self.env.cr.savepoint():
                self._resolve(case, resolution="write_off", amounts=[40.0], close_case=False)
        self.assertEqual(self._count("account.move"), moves_before)
        self.assertEqual(case.amount_written_off, 40.0)
        # Within the limit, and a manager is not limited.
        self._resolve(case, resolution="write_off", amounts=[10.0], close_case=False)
        self._resolve(case, resolution="write_off", amounts=[50.0], user=self.manager)
        self.assertEqual(case.amount_written_off, 100.0)

    def test_write_off_goes_to_an_expense_account_and_a_miscellaneous_journal(self):
        """The wizard's account and journal are client values: a bank account or journal is refused."""
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=30.0)
        bank_account = self.bank_journal.default_account_id
        misc_journal = self.company_data["default_journal_misc"]
        moves_before = self._count("account.move")
        for vals in (
            {"writeoff_account_id": bank_account.id, "writeoff_journal_id": misc_journal.id},
            {"writeoff_account_id": self.writeoff_account.id, "writeoff_journal_id": self.bank_journal.id},
        ):
            wizard = self._resolve_wizard(case, resolution="write_off", **vals)
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "write-off (account|journal)"):
                with self.env.cr.savepoint():
                    wizard.action_apply()
        self._assert_nothing_booked(moves_before, case)
        self.assertEqual(invoice.amount_residual, 1000.0)
