"""Credit notes first, and numbers without their prefix, on the books: real invoices, credit notes, payments and
Odoo's reconciliation (issue 23)."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import formatLang

from ..models.billing_payment_apply import Application
from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestCreditNotesFirst(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env["res.partner"].create({"name": "Credit Buyer Ltd", "email": "ap@buyer.example.com"})
        old, older = cls.today - timedelta(days=40), cls.today - timedelta(days=50)
        cls.settled = cls._invoice(100.0, partner=cls.buyer, invoice_date=older)  # the two credit notes settle it
        cls.open = cls._invoice(100.0, partner=cls.buyer, invoice_date=old)
        # Issued for no invoice (a credit note issued for an open invoice is reconciled with it when posted, by Odoo).
        cls.note1 = cls._invoice(50.0, partner=cls.buyer, move_type="out_refund", invoice_date=old)
        cls.note2 = cls._invoice(50.0, partner=cls.buyer, move_type="out_refund", invoice_date=old)
        # Another customer's credit note: never used for the buyer.
        cls.foreign_note = cls._invoice(100.0, partner=cls.other_customer, move_type="out_refund", invoice_date=older)

    def _run(self, sources):
        return self.env["billing.match.run"].with_user(self.specialist)._run_automatic(self.company, sources)

    def _receivable(self, moves):
        return moves.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")

    def _residuals(self):
        moves = self.settled | self.open | self.note1 | self.note2 | self.foreign_note
        return [move.amount_residual for move in moves]

    def _apply_as_proposed(self, line):
        """What a person does on the review screen: apply the run line's proposal as it is (a manual run)."""
        allocations = [(allocation.move_id.id, allocation.amount) for allocation in line.allocation_ids]
        run = self.env["billing.match.run"]._create_manual(self.company)
        Apply = self.env["billing.payment.apply"].with_user(self.specialist)
        Apply._apply_applications(run, [Application(line.payment_id, allocations, line.writeoff)])
        return run

    def test_cash_goes_to_what_the_credit_notes_leave_open(self):
        payment = self._payment(100.0, memo="thanks", partner=self.buyer)
        line = self._run(payment).line_ids
        # Set against the oldest invoice, which they were not issued for: a guess, so a person confirms.
        self.assertEqual((line.outcome, line.confidence), ("proposed", 80))
        self.assertEqual(
            [(a.move_id, a.amount) for a in line.allocation_ids],
            [(self.note1, -50.0), (self.note2, -50.0), (self.settled, 100.0), (self.open, 100.0)],
        )
        fifty = formatLang(self.env, 50.0, digits=2)
        self.assertIn(f"credit note {self.note1.name} ({fifty}) offset first", line.reasons)
        self.assertIn(f"credit note {self.note2.name} ({fifty}) offset first", line.reasons)
        self.assertIn("credit notes set against invoices they were not issued for: to confirm", line.reasons)
        self.assertEqual(self._residuals(), [100.0, 100.0, 50.0, 50.0, 100.0], "nothing applied by the run")
        run = self._apply_as_proposed(line)
        self.assertEqual(run.applied_count, 1)
        # The books: every document settled, the payment used in full, the other customer's credit note untouched.
        self.assertEqual(self._residuals(), [0.0, 0.0, 0.0, 0.0, 100.0])
        self.assertEqual(self.open.payment_state, "paid")
        self.assertFalse(payment._billing_receivable_lines(), "the payment is used in full")
        self.assertFalse(
            self._receivable(self.settled | self.open | self.note1 | self.note2).filtered("amount_residual")
        )
        partials = self._receivable(self.settled | self.open).matched_credit_ids
        self.assertEqual(run.line_ids.partial_ids, partials, "the run recorded every reconciliation it made")
        self.assertEqual(sum(partials.mapped("amount")), 200.0)
        by_credit = {}
        for partial in partials:
            by_credit[partial.credit_move_id.move_id] = (
                by_credit.get(partial.credit_move_id.move_id, 0) + partial.amount
            )
        self.assertEqual(by_credit, {self.note1: 50.0, self.note2: 50.0, payment.move_id: 100.0})

    def test_undo_takes_back_exactly_what_the_run_made(self):
        # A reconciliation made before, by hand, of the same customer: undo leaves it alone.
        earlier = self._invoice(70.0, partner=self.buyer, invoice_date=self.today - timedelta(days=60))
        paid_by_hand = self._payment(70.0, partner=self.buyer)
        paid_by_hand._billing_apply([(earlier.id, 70.0)])
        kept = self._receivable(earlier).matched_credit_ids
        self.assertTrue(kept)
        payment = self._payment(100.0, memo="thanks", partner=self.buyer)
        run = self._apply_as_proposed(self._run(payment).line_ids)
        self.assertEqual(self._residuals(), [0.0, 0.0, 0.0, 0.0, 100.0])
        run.with_user(self.specialist).action_undo()
        self.assertEqual(self._residuals(), [100.0, 100.0, 50.0, 50.0, 100.0])
        self.assertEqual(
            [line.amount_residual for line in self._receivable(self.settled | self.open | self.note1 | self.note2)],
            [100.0, 100.0, -50.0, -50.0],
        )
        self.assertEqual(payment._billing_receivable_lines().amount_residual, -100.0, "the payment open again")
        self.assertFalse(run.line_ids.partial_ids.exists())
        self.assertEqual(self._receivable(earlier).matched_credit_ids, kept, "nothing else taken back")
        self.assertEqual(earlier.payment_state, "paid")

    def test_credit_notes_with_an_invoice_paid_in_part(self):
        """Applied by a person: both credit notes, the invoice they settle, and the next one paid in part."""
        payment = self._payment(60.0, partner=self.buyer)
        allocations = [(self.note1.id, -50.0), (self.note2.id, -50.0), (self.settled.id, 100.0), (self.open.id, 60.0)]
        run = self.env["billing.match.run"]._create_manual(self.company)
        Apply = self.env["billing.payment.apply"].with_user(self.specialist)
        Apply._apply_applications(run, [Application(payment, allocations)])
        self.assertEqual(self._residuals(), [0.0, 40.0, 0.0, 0.0, 100.0])
        self.assertEqual(self.open.payment_state, "partial")
        self.assertFalse(payment._billing_receivable_lines())
        run.with_user(self.specialist).action_undo()
        self.assertEqual(self._residuals(), [100.0, 100.0, 50.0, 50.0, 100.0])

    def test_credit_note_is_used_in_full_and_only_the_customers(self):
        payment = self._payment(60.0, partner=self.buyer)
        with self.assertRaisesRegex(UserError, "used in full or not at all"):
            payment._billing_apply([(self.note1.id, -20.0), (self.open.id, 80.0)])
        with self.assertRaisesRegex(UserError, "belong to another customer"):
            payment._billing_apply([(self.foreign_note.id, -100.0), (self.open.id, 100.0)], partner=self.buyer)
        self.assertEqual(self._residuals(), [100.0, 100.0, 50.0, 50.0, 100.0], "nothing applied")

    def test_credit_note_of_another_company_is_never_used(self):
        other = self.env["res.company"].create({"name": "Other Co", "currency_id": self.company.currency_id.id})
        self.env["account.chart.template"].try_loading("generic_coa", company=other, install_demo=False)
        note = (
            self.env["account.move"]
            .with_company(other)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.buyer.id,
                    "company_id": other.id,
                    "invoice_date": self.today - timedelta(days=70),
                    "invoice_line_ids": [
                        Command.create({"name": "Refund", "quantity": 1, "price_unit": 100.0, "tax_ids": []})
                    ],
                }
            )
        )
        note.action_post()
        line = self._run(self._payment(100.0, memo="thanks", partner=self.buyer)).line_ids
        self.assertNotIn(note, line.allocation_ids.move_id)
        self.assertEqual(note.amount_residual, 100.0)
        with self.assertRaisesRegex(UserError, "only posted customer invoices and credit notes of"):
            self._payment(100.0, partner=self.buyer)._billing_apply([(note.id, -100.0), (self.open.id, 100.0)])

    def test_credit_note_in_another_currency_is_never_mixed(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        note = self._invoice(80.0, partner=self.buyer, move_type="out_refund", currency_id=eur.id)
        with self.assertRaisesRegex(UserError, "must all be in one currency"):
            self._payment(60.0, partner=self.buyer)._billing_apply([(note.id, -80.0), (self.open.id, 100.0)])
        line = self._run(self._payment(100.0, memo="thanks", partner=self.buyer)).line_ids
        self.assertIn(self.note1, line.allocation_ids.move_id)
        self.assertNotIn(note, line.allocation_ids.move_id)
        self.assertEqual(note.amount_residual, 80.0)

    def test_memo_net_of_a_credit_note(self):
        """The memo names the invoice, the customer deducted its credit note: both settled, nothing left."""
        payment = self._payment(50.0, memo=f"payment {self.open.name}", partner=self.buyer)
        line = self._run(payment).line_ids
        self.assertEqual((line.outcome, line.confidence), ("applied", 95))
        self.assertEqual(
            [(a.move_id, a.amount) for a in line.allocation_ids], [(self.note1, -50.0), (self.open, 100.0)]
        )
        self.assertEqual(self._residuals(), [100.0, 0.0, 0.0, 50.0, 100.0])
        self.assertTrue(line.reasons.startswith(f"{self.open.name} found in the memo; credit note {self.note1.name}"))


@tagged("post_install", "-at_install")
class TestNumbersWithoutPrefix(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales = cls.env["account.journal"].create(
            {"name": "Sales 2", "code": "SAL", "type": "sale", "company_id": cls.company.id}
        )
        cls.inv = cls._invoice(400.0, invoice_date=cls.today - timedelta(days=30))
        cls.sal = cls._invoice(250.0, invoice_date=cls.today - timedelta(days=20), journal_id=cls.sales.id)

    def _line(self, amount, memo):
        payment = self._payment(amount, memo=memo)
        return self.env["billing.match.run"].with_user(self.specialist)._run_automatic(self.company, payment).line_ids

    def test_number_without_prefix_of_one_open_invoice(self):
        sequence = self.sal.name.split("/")[-1]  # SAL/2026/00001 -> 00001, INV/2026/00001 has the same
        short = self.sal.name.split("/", 1)[1]  # 2026/00001
        self.assertEqual(self.inv.name.split("/", 1)[1], short, "two journals, one sequence number")
        line = self._line(600.0, f"invoice {short}")  # the amount fits neither alone
        self.assertEqual((line.outcome, line.confidence), ("proposed", 0), "ambiguous: held for a person")
        self.assertIn(f"could be {self.inv.name} or {self.sal.name}: ambiguous", line.reasons)
        self.assertEqual((self.inv.amount_residual, self.sal.amount_residual), (400.0, 250.0))
        line = self._line(250.0, f"invoice {short}")  # the amount picks one of them: it decides, not the memo
        self.assertEqual((line.outcome, line.invoice_ids), ("applied", self.sal))
        self.assertIn("the only open item of", line.reasons)
        self.assertIn("ambiguous", line.reasons)
        line.run_id.action_undo()
        self.assertEqual(self.sal.amount_residual, 250.0)
        line = self._line(250.0, f"sal {sequence}")  # the prefix written without the year names one
        self.assertEqual((line.outcome, line.invoice_ids), ("applied", self.sal))
        self.assertIn(f"{self.sal.name} found in the memo without its prefix", line.reasons)
        self.assertEqual(self.sal.amount_residual, 0.0)
        line = self._line(400.0, f"invoice {short}")  # it may be the paid one again: held, as any duplicate
        self.assertEqual((line.outcome, line.invoice_ids), ("proposed", self.inv))
        self.assertIn(f"{self.sal.name} is already paid: possible duplicate payment", line.reasons)
        line = self._line(400.0, f"inv {sequence}")  # the prefix names the open one
        self.assertEqual((line.outcome, line.invoice_ids), ("applied", self.inv))
        self.assertIn(f"{self.inv.name} found in the memo without its prefix", line.reasons)
