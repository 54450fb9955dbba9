"""Second attack pass (after issue 9): each test replays an attack through the entry point a client has (ORM with the
attacker's user, as JSON-RPC's call_kw runs it) and proves it is refused with nothing written."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestAttackPass(BillingDisputeCommon):
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

    # ------------------------------------------------------------------ resolution wizard

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

    # ------------------------------------------------------------------ cases

    def test_case_company_follows_its_invoices(self):
        """A specialist of two companies moves a case (and its invoices' lines) to the other company."""
        other_company = self.setup_other_company()["company"]
        self.specialist.company_ids |= other_company
        case = self._open_case(self._invoice(100.0))
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                both = (self.company | other_company).ids
                case.with_user(self.specialist).with_context(allowed_company_ids=both).write(
                    {"company_id": other_company.id}
                )
        self.assertEqual(case.company_id, self.company)
        self.assertEqual(case.line_ids.company_id, self.company)

    def test_unarchiving_cannot_make_two_open_cases_on_one_invoice(self):
        invoice = self._invoice(100.0)
        first = self._open_case(invoice)
        first.with_user(self.specialist).active = False
        second = self._open_case(invoice)
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                first.with_user(self.specialist).active = True
        self.assertFalse(first.active)
        self.assertEqual(invoice._billing_open_dispute(), second)

    # ------------------------------------------------------------------ invoices

    def test_invoice_dispute_flags_are_not_writable(self):
        """An invoicing user (no billing group) clears an invoice's dispute flag over RPC."""
        invoice = self._invoice(100.0)
        self._open_case(invoice, amount=60.0)
        self.assertTrue(invoice.billing_in_dispute)
        for user in (self.internal_user, self.specialist):
            for vals in ({"billing_in_dispute": False}, {"billing_disputed_amount": 0.0}):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    with self.env.cr.savepoint():
                        invoice.with_user(user).write(vals)
        invoice.invalidate_recordset()
        self.assertTrue(invoice.billing_in_dispute)
        self.assertEqual(invoice.billing_disputed_amount, 60.0)

    def test_plain_employee_reads_no_billing_figures(self):
        employee = new_test_user(self.env, login="bs_employee", groups="base.group_user")
        invoice = self._invoice(100.0)
        self._open_case(invoice)
        with self.assertRaises(AccessError):
            invoice.with_user(employee).read(["billing_disputed_amount"])
        with self.assertRaises(AccessError):
            self.env["billing.activity.report"].with_user(employee).search_read([], ["amount_residual"])
