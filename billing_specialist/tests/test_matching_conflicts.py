from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestMatchingConflicts(BillingDisputeCommon):
    """Conflicting evidence is never applied by the automatic run, at the lowest threshold a company can set."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.billing_match_threshold = 1

    def _run(self, payments=None, statement_lines=None):
        Run = self.env["billing.match.run"].with_user(self.specialist)
        return Run._run_automatic(self.company, payments=payments, statement_lines=statement_lines)

    def assertHeld(self, line, reason, *invoices):
        self.assertEqual((line.outcome, line.confidence), ("proposed", 0))
        self.assertIn(reason, line.reasons)
        for invoice in invoices:
            self.assertEqual((invoice.payment_state, invoice.amount_residual), ("not_paid", invoice.amount_total))

    def test_threshold_is_at_least_one(self):
        for threshold in (0, -5, 101):
            with self.assertRaises(ValidationError):
                self.company.billing_match_threshold = threshold
        self.company.billing_match_threshold = 100

    def test_memo_naming_a_paid_invoice_is_not_applied_to_another(self):
        paid = self._invoice(1200.0)
        self._pay(paid, 1200.0)
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        other = self._invoice(1200.0)  # same customer, same amount, the next number (one character away)
        payment = self._payment(1200.0, memo=f"payment {paid.name}")
        line = self._run(payments=payment).line_ids
        self.assertEqual(line.payment_id, payment)
        self.assertHeld(line, f"{paid.name} is already paid: possible duplicate payment", other)
        self.assertFalse(payment.move_id.line_ids.filtered("reconciled"), "nothing reconciled")

    def _swapped(self, invoice, paid):
        """Rename the paid invoice ``paid`` to ``invoice``'s number with two adjacent digits swapped (a ledger where
        such a number exists, as in any dense numbering); return that number."""
        prefix, seq = invoice.name.rsplit("/", 1)
        i = next(i for i in range(len(seq) - 1) if seq[i] != seq[i + 1])
        swapped = f"{prefix}/{seq[:i]}{seq[i + 1]}{seq[i]}{seq[i + 2 :]}"
        self.env.flush_all()
        self.env.execute_query(SQL("UPDATE account_move SET name = %s WHERE id = %s", swapped, paid.id))
        self.env.invalidate_all()
        return swapped

    def test_memo_swapping_two_digits_of_the_invoice_is_a_typo_not_a_duplicate(self):
        """A memo that swaps two adjacent digits of the payer's invoice number names a paid invoice of another
        amount: the payer's invoice one swap away, open for exactly the amount, is paid; the reasons say why."""
        invoice = self._invoice(1234.0)
        paid = self._invoice(310.0)
        self._pay(paid, 310.0)
        swapped = self._swapped(invoice, paid)
        line = self._run(payments=self._payment(1234.0, memo=f"payment {swapped}")).line_ids
        self.assertEqual((line.outcome, line.confidence), ("applied", 90), line.reasons)
        self.assertEqual(line.allocation_ids.move_id, invoice)
        self.assertIn(f"{swapped} in the memo is {invoice.name} with two adjacent digits swapped", line.reasons)
        self.assertIn(f"{swapped} is already paid, for another amount (310.00): no duplicate payment", line.reasons)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_memo_swapping_two_digits_but_the_paid_invoices_amount_is_held(self):
        invoice = self._invoice(1234.0)
        paid = self._invoice(1234.0)
        self._pay(paid, 1234.0)
        swapped = self._swapped(invoice, paid)
        line = self._run(payments=self._payment(1234.0, memo=f"payment {swapped}")).line_ids
        self.assertHeld(line, f"{swapped} is already paid: possible duplicate payment", invoice)

    def test_bank_line_naming_another_customers_invoice(self):
        own = self._invoice(640.0)
        globex = self._invoice(640.0, partner=self.other_customer)
        bank_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": self.today,
                "payment_ref": f"settlement {globex.name}",
                "amount": 640.0,
                "partner_id": self.customer.id,
            }
        )
        line = self._run(statement_lines=bank_line).line_ids
        self.assertEqual(line.statement_line_id, bank_line)
        reason = f"the memo names {globex.name} of Globex Stores, the payer is Acme Retail"
        self.assertHeld(line, reason, own, globex)
        self.assertFalse(bank_line.is_reconciled)

    def test_amount_of_one_invoice_and_of_the_sum_of_two_others(self):
        single = self._invoice(1500.0)
        first, second = self._invoice(900.0), self._invoice(600.0)
        payment = self._payment(1500.0, memo="thank you")
        line = self._run(payments=payment).line_ids
        self.assertHeld(line, f"also the sum of {first.name} + {second.name}", single, first, second)
        self.assertEqual(line.payment_id, payment)
