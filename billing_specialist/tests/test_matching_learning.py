from datetime import date, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import BaseCase, tagged
from odoo.tools import SQL

from odoo.addons.billing_specialist.matching import Habit, Habits, LearningMatcher, OpenItem, Source
from odoo.addons.billing_specialist.matching.engine import normalize
from odoo.addons.billing_specialist.matching.habits import amount_relations, reference_way

from .common import THRESHOLD
from .test_matching import PaymentMatchingCommon

ACCOUNT = "BE71 0961 2345 6769"


@tagged("post_install", "-at_install")
class TestHabitsEngine(BaseCase):
    """How a memo and an amount are read as habits, and the engine with habits, without a database."""

    def test_reference_ways(self):
        number = "INV/2026/00042"
        self.assertEqual(reference_way("our order PO-88123", number, ("PO-88123",)), r"po:PO-\d{5}")
        self.assertEqual(reference_way("INV/2026/00042", number), "number")
        self.assertEqual(reference_way("inv 2026 42", number), "variant")
        self.assertEqual(reference_way("payment 42", number), "sequence")
        self.assertEqual(reference_way("INV/2026/00024", number), "typo:changed")
        self.assertEqual(reference_way("INV/206/00042", number), "typo:dropped")
        self.assertEqual(reference_way("INV/20216/00042", number), "typo:extra")
        self.assertIsNone(reference_way("thank you", number))

    def test_amount_relations(self):
        self.assertEqual(amount_relations(1000.0, 0.0), ["exact"])
        self.assertEqual(amount_relations(1000.0, 20.0), ["fee:20.00", "discount:2"])
        self.assertEqual(amount_relations(1234.56, 15.0), ["fee:15.00"])

    def test_a_habit_is_used_for_its_own_customer_only(self):
        items = [
            OpenItem(1, 1, "INV/2026/00042", 1000.0, date(2026, 1, 1)),
            OpenItem(2, 2, "INV/2026/00043", 1000.0, date(2026, 1, 1)),
        ]
        seen = date(2026, 10, 2)
        habits = Habits(
            [
                Habit(1, "amount_relation", "fee:15.00", 3, seen),
                Habit(1, "payer_account", "BE71096123456769", 3, seen),
                Habit(2, "payer_account", "BE71096123456769", 1, seen),
            ]
        )
        matcher = LearningMatcher(items, habits=habits, partner_names={1: "Northwind", 2: "Globex"})
        other = matcher.propose(Source(1, 985.0, "INV/2026/00043", partner_id=2))[0]
        self.assertEqual((other.writeoff, other.learned_fee), (0.0, 0.0), "customer 1's fee is not customer 2's")
        own = matcher.propose(Source(2, 985.0, "INV/2026/00042", partner_id=1))[0]
        self.assertEqual((own.writeoff, own.learned_fee, own.confidence), (15.0, 15.0, 95))
        self.assertIn("Northwind deducts a fee of 15.00", own.explain())
        line = Source(3, 1000.0, "", account_number=ACCOUNT)
        self.assertFalse(
            [p for p in matcher.propose(line) if p.applies(THRESHOLD)], "an account learned for two: neither"
        )

    def test_a_recurring_discount_and_a_faint_habit(self):
        items = [
            OpenItem(1, 1, "INV/2026/00042", 1000.0, date(2026, 1, 1)),
            OpenItem(2, 1, "INV/2026/00043", 2000.0, date(2026, 1, 1)),
        ]
        seen = date(2026, 10, 2)
        habits = Habits(
            [Habit(1, "amount_relation", "discount:2", 3, seen), Habit(1, "amount_relation", "fee:7.50", 2, seen)]
        )
        matcher = LearningMatcher(items, habits=habits, partner_names={1: "Northwind"})
        best = matcher.propose(Source(1, 1960.0, "INV/2026/00043", partner_id=1))[0]
        self.assertEqual((best.writeoff, best.confidence), (40.0, 95))
        self.assertIn("Northwind deducts a discount of 2%, 40.00, proposed as a write-off", best.explain())
        best = matcher.propose(Source(2, 992.5, "INV/2026/00042", partner_id=1))[0]
        self.assertEqual(best.writeoff, 0.0, "a fee seen twice is not yet a habit: a partial payment")

    def test_a_known_slip_is_named_and_raises_the_typo_to_80_only(self):
        seen = date(2026, 10, 2)
        items = [OpenItem(1, 1, "INV/2026/00142", 1000.0, date(2026, 1, 1))]
        source = Source(2, 900.0, "INV/206/00142", partner_id=1)  # a character dropped, and paid in part
        plain = LearningMatcher(items).propose(source)[0]
        self.assertEqual(plain.confidence, 60)
        other_slip = Habits([Habit(1, "reference_pattern", "typo:extra", 5, seen)])
        self.assertEqual(LearningMatcher(items, habits=other_slip).propose(source)[0].confidence, 60)
        faint = Habits([Habit(1, "reference_pattern", "typo:dropped", 2, seen)])
        self.assertEqual(LearningMatcher(items, habits=faint).propose(source)[0].confidence, 60)
        known = Habits([Habit(1, "reference_pattern", "typo:dropped", 4, seen)])
        best = LearningMatcher(items, habits=known).propose(source)[0]
        self.assertEqual(best.confidence, 80)
        self.assertIn("drops a character of the invoice number: 4 earlier payments, last on 2026-10-02", best.explain())
        # Another customer's slip says nothing about this one.
        elsewhere = Habits([Habit(9, "reference_pattern", "typo:dropped", 4, seen)])
        self.assertEqual(LearningMatcher(items, habits=elsewhere).propose(source)[0].confidence, 60)

    def test_a_known_slip_tells_which_of_two_lookalikes_never_automatically(self):
        seen = date(2026, 10, 2)
        # The memo is one typo from both: 51423 with its 3 dropped, 5143 with a 3 changed into a 2. Same amounts.
        items = [
            OpenItem(1, 1, "INV/2026/51423", 500.0, date(2026, 1, 1)),
            OpenItem(2, 1, "INV/2026/5143", 500.0, date(2026, 1, 1)),
        ]
        source = Source(3, 500.0, "INV/2026/5142", partner_id=1)
        plain = LearningMatcher(items).propose(source)
        self.assertTrue(plain[0].conflict, "without the habit: two open items of 500, amount alone cannot tell")
        for slip, item_id in (("typo:dropped", 1), ("typo:changed", 2)):
            best = LearningMatcher(items, habits=Habits([Habit(1, "reference_pattern", slip, 3, seen)])).propose(
                source
            )[0]
            self.assertEqual(best.item_ids, [item_id], slip)
            self.assertEqual(best.confidence, 80, "a person confirms")
            self.assertFalse(best.applies(THRESHOLD))
            self.assertIn("with the customer's usual slip", best.explain())

    def test_usual_days_to_pay_break_a_tie_but_never_apply(self):
        seen, paid = date(2026, 10, 2), date(2026, 6, 30)
        # Two invoices of 500 (recurring): one dated 30 days before the payment, the other 5; the older one first
        # by due date otherwise.
        items = [
            OpenItem(1, 1, "INV/2026/00041", 500.0, date(2026, 7, 20), invoice_date=date(2026, 5, 31)),
            OpenItem(2, 1, "INV/2026/00042", 500.0, date(2026, 7, 10), invoice_date=date(2026, 6, 25)),
        ]
        source = Source(3, 500.0, "monthly fee", partner_id=1, date=paid)
        plain = LearningMatcher(items).propose(source)
        self.assertEqual(plain[0].item_ids, [2])
        habits = Habits([Habit(1, "days_to_pay", "28-34", 12, seen), Habit(1, "days_to_pay", "0-6", 2, seen)])
        proposals = LearningMatcher(items, habits=habits).propose(source)
        self.assertEqual(proposals[0].item_ids, [1], "the invoice the customer's timing fits comes first")
        self.assertTrue(all(p.conflict and p.confidence == 0 for p in proposals), "still held: a person decides")
        self.assertIn(
            "usually pays 28-34 days after the invoice date: 12 earlier payments, last on 2026-10-02",
            proposals[0].explain(),
        )
        # No dominant bucket (12 of 26 payments), or another customer's habit: nothing changes.
        split = Habits([Habit(1, "days_to_pay", "28-34", 12, seen), Habit(1, "days_to_pay", "0-6", 14, seen)])
        self.assertEqual(LearningMatcher(items, habits=split).propose(source)[0].item_ids, [2])
        other = Habits([Habit(9, "days_to_pay", "28-34", 12, seen)])
        self.assertEqual(LearningMatcher(items, habits=other).propose(source)[0].item_ids, [2])

    def test_usual_days_to_pay_add_a_small_bonus_below_the_threshold(self):
        seen = date(2026, 10, 2)
        items = [OpenItem(1, 1, "INV/2026/00041", 730.0, date(2026, 7, 1), invoice_date=date(2026, 6, 1))]
        habits = Habits([Habit(1, "days_to_pay", "28-34", 6, seen)])
        names = {1: "Northwind Traders"}
        # The payer found from its name: the only open item of the amount, 80; its timing fits: 85, never 90.
        on_time = Source(2, 730.0, "", payer_name="Northwind Traders", date=date(2026, 7, 1))
        best = LearningMatcher(items, habits=habits, partner_names=names).propose(on_time)[0]
        self.assertEqual(best.confidence, 85)
        self.assertIn("Northwind Traders usually pays 28-34 days after the invoice date", best.explain())
        late = Source(2, 730.0, "", payer_name="Northwind Traders", date=date(2026, 8, 20))
        self.assertEqual(LearningMatcher(items, habits=habits, partner_names=names).propose(late)[0].confidence, 80)
        # Already automatic (the payer given): unchanged, and no reason added.
        given = LearningMatcher(items, habits=habits).propose(Source(2, 730.0, "", partner_id=1, date=date(2026, 7, 1)))
        self.assertEqual(given[0].confidence, 90)
        self.assertNotIn("usually pays", given[0].explain())


@tagged("post_install", "-at_install")
class TestMatchingLearning(PaymentMatchingCommon):
    """Habits learned from confirmed matches, taken back on undo, used by the engine within the safety rules."""

    # ------------------------------------------------------------------ helpers

    def _apply_by_hand(self, source, invoice, amount=None, writeoff=0.0, partner=None):
        """Apply ``source`` to ``invoice`` on the review screen, as the specialist: a manual run."""
        Review = self.env["billing.match.review"].with_user(self.specialist)
        Review.action_open_review()
        field = "payment_id" if source._name == "account.payment" else "statement_line_id"
        row = Review.search([(field, "=", source.id)])
        vals = {
            "allocation_ids": [
                Command.clear(),
                Command.create({"move_id": invoice.id, "amount": amount or invoice.amount_residual}),
            ]
        }
        if partner:
            vals["partner_id"] = partner.id
        if writeoff:
            vals["writeoff"] = writeoff
        row.write(vals)
        row.action_apply()
        return self.env["billing.match.run"].search([("mode", "=", "manual")], limit=1)

    def _teach_account(self, customer, times=3, account=ACCOUNT, amount=500.0):
        """``times`` bank lines from ``account`` naming no customer, applied by hand to new invoices of
        ``customer``."""
        for index in range(times):
            invoice = self._invoice(amount + index, partner=customer)
            line = self._bank_line(amount + index, memo="transfer", account_number=account)
            self._apply_by_hand(line, invoice, partner=customer)

    def _run_line(self, line):
        return (
            self.env["billing.match.run"]
            .with_user(self.specialist)
            ._run_automatic(self.company, payments=self.env["account.payment"], statement_lines=line)
        )

    def _habits(self, customer, kind=None):
        domain = [("partner_id", "=", customer.id)] + ([("kind", "=", kind)] if kind else [])
        return self.env["billing.match.habit"].with_context(active_test=False).search(domain)

    def _age_runs(self, runs, days):
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE billing_match_run SET date = date - %s * interval '1 day' WHERE id IN %s", days, tuple(runs.ids)
            )
        )
        runs.invalidate_recordset(["date"])

    # ------------------------------------------------------------------ learning and un-learning

    def test_a_match_applied_by_hand_teaches_at_once(self):
        line = self._bank_line(
            1200.0, memo=f"inv {self.inv1.name}", account_number=ACCOUNT, partner_name="ACME RETAIL PAYABLES"
        )
        run = self._apply_by_hand(line, self.inv1, partner=self.customer)
        self.assertTrue(run.learned)
        habits = self._habits(self.customer)
        learned = {(h.kind, h.key): h.evidence_count for h in habits}
        self.assertEqual(
            learned,
            {
                ("payer_account", "be71096123456769"): 1,
                ("payer_name", "acmeretailpayables"): 1,
                ("reference_pattern", "number"): 1,
                ("amount_relation", "exact"): 1,
                ("days_to_pay", "35-41"): 1,
            },
        )
        self.assertEqual(habits.evidence_ids.line_id, run.line_ids, "each habit knows the match that taught it")
        self.assertEqual(set(habits.mapped("last_seen")), {self.today})
        self.assertIn("Pays from account BE71…6769", habits.mapped("name"))
        self.assertIn(
            "Pays under the name ACME RETAIL PAYABLES",
            habits.with_user(self.specialist).mapped("name"),
            "the payer's name as the bank wrote it, not its normalized key",
        )

    def test_habits_read_as_a_person_writes_them(self):
        habit = (
            self.env["billing.match.habit"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "kind": "reference_pattern",
                    "key": r"po:PO-\d{5}/\d{2}",
                }
            )
        )
        self.assertEqual(
            habit.with_user(self.specialist).name,
            "Writes its PO number (PO-#####/##)",
            "the PO number's shape, not a regular expression",
        )
        fields = self.env["billing.match.habit"].with_user(self.specialist).fields_get(["evidence_count"])
        self.assertFalse(
            fields["evidence_count"].get("aggregator"),
            "a customer's group row does not add up the matches behind each of its habits",
        )

    def test_a_match_undone_by_hand_takes_back_what_it_taught(self):
        """Not with the run's Undo: the reconciliation removed from the invoice by an accountant."""
        line = self._bank_line(
            1200.0, memo=f"inv {self.inv1.name}", account_number=ACCOUNT, partner_name="ACME RETAIL PAYABLES"
        )
        run = self._apply_by_hand(line, self.inv1, partner=self.customer)
        kept = self._apply_by_hand(
            self._bank_line(300.0, memo=f"inv {self.inv2.name}", account_number=ACCOUNT),
            self.inv2,
            partner=self.customer,
        )
        self.assertTrue(self._habits(self.customer, "payer_account"))
        self.assertEqual(self._habits(self.customer, "payer_account").evidence_count, 2)
        self.inv1.line_ids.filtered(lambda ln: ln.account_id.account_type == "asset_receivable").with_user(
            self.specialist
        ).remove_move_reconcile()
        self.assertEqual(self.inv1.payment_state, "not_paid")
        habits = self._habits(self.customer)
        self.assertNotIn(run.line_ids, habits.evidence_ids.line_id, "the first match taught nothing any more")
        self.assertEqual(habits.evidence_ids.line_id, kept.line_ids, "the other match still teaches")
        self.assertEqual(self._habits(self.customer, "payer_account").evidence_count, 1)

    def test_an_automatic_match_teaches_after_the_days_unless_undone(self):
        self.company.billing_learn_after_days = 7
        kept = self._run(self._payment(1200.0, memo=self.inv1.name))
        undone = self._run(self._payment(300.0, memo=self.inv2.name))
        self.assertEqual((kept.applied_count, undone.applied_count), (1, 1))
        Habit = self.env["billing.match.habit"]
        Habit._cron_learn()
        self.assertFalse(self._habits(self.customer), "not before the days have passed")
        undone.action_undo()
        self._age_runs(kept | undone, 8)
        Habit._cron_learn()
        self.assertTrue(kept.learned)
        self.assertFalse(undone.learned, "an undone run teaches nothing")
        self.assertEqual(self._habits(self.customer).evidence_ids.line_id, kept.line_ids)
        Habit._cron_learn()  # learned once, not twice
        self.assertEqual(self._habits(self.customer, "reference_pattern").evidence_count, 1)

    def test_undo_takes_back_what_the_run_taught(self):
        first = self._apply_by_hand(self._payment(1200.0, memo=self.inv1.name), self.inv1)
        second = self._apply_by_hand(self._payment(300.0, memo="thanks"), self.inv2)
        number = self._habits(self.customer, "reference_pattern")
        self.assertEqual((number.key, number.evidence_count), ("number", 1))
        exact = self._habits(self.customer, "amount_relation")
        self.assertEqual(exact.evidence_count, 2)
        first.action_undo()
        self.assertFalse(number.exists(), "a habit left with no evidence is gone")
        self.assertEqual(exact.evidence_count, 1)
        self.assertEqual(exact.evidence_ids.line_id, second.line_ids)
        # An automatic run undone after it taught takes its lesson back too.
        run = self._run(self._payment(450.0, memo=self.inv3.name))
        self._age_runs(run, 30)
        self.env["billing.match.habit"]._cron_learn()
        self.assertEqual(exact.evidence_count, 2)
        run.action_undo()
        self.assertEqual(exact.evidence_count, 1)

    # ------------------------------------------------------------------ the engine uses them

    def test_a_learned_payer_account_identifies_the_customer(self):
        invoice = self._invoice(777.0, partner=self.customer)
        line = self._bank_line(777.0, memo="transfer", account_number=ACCOUNT)
        run = self._run_line(line)
        self.assertNotEqual(run.line_ids.outcome, "applied", "an unknown account names no customer")
        self._teach_account(self.customer, times=3)
        run = self._run_line(line)
        self.assertEqual(run.line_ids.outcome, "applied")
        self.assertEqual(run.line_ids.invoice_ids, invoice)
        self.assertIn("account BE71…6769 paid the invoices of Acme Retail 3 times, last on", run.line_ids.reasons)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))

    def test_a_reference_pattern_seen_three_times_raises_confidence(self):
        target = self._invoice(750.0, partner=self.customer)  # also inv2 + inv3: amount alone is a conflict
        sequence = str(int(target.name.split("/")[-1]))
        payment = self._payment(750.0, memo=f"paid {sequence}")
        for index in range(2):
            taught = self._invoice(610.0 + index, partner=self.customer)
            self._apply_by_hand(self._payment(610.0 + index, memo=f"payment {int(taught.name.split('/')[-1])}"), taught)
        run = self._run(payment)
        self.assertEqual(run.line_ids.outcome, "proposed", "seen twice: not yet a habit")
        taught = self._invoice(612.0, partner=self.customer)
        self._apply_by_hand(self._payment(612.0, memo=f"payment {int(taught.name.split('/')[-1])}"), taught)
        run = self._run(payment)
        self.assertEqual((run.line_ids.outcome, run.line_ids.confidence), ("applied", 90))
        self.assertEqual(run.line_ids.invoice_ids, target)
        self.assertIn(
            "Acme Retail writes the invoice's sequence number only: 3 earlier payments, last on", run.line_ids.reasons
        )

    def test_a_recurring_fee_is_written_off_within_the_limit_and_not_beyond(self):
        self.company.billing_writeoff_max_amount = 50.0
        for index in range(3):
            taught = self._invoice(800.0 + index, partner=self.customer)
            self._apply_by_hand(
                self._payment(785.0 + index, memo=taught.name), taught, amount=800.0 + index, writeoff=15.0
            )
        fee = self._habits(self.customer, "amount_relation").filtered(lambda h: h.key == "fee:15.00")
        self.assertEqual(fee.evidence_count, 3)
        run = self._run(self._payment(1185.0, memo=self.inv1.name))
        self.assertEqual((run.line_ids.outcome, run.line_ids.writeoff), ("applied", 15.0))
        self.assertIn(
            "Acme Retail deducts a fee of 15.00, proposed as a write-off: 3 earlier payments", run.line_ids.reasons
        )
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))
        self.company.billing_writeoff_max_amount = 10.0  # the usual fee is now above the limit
        payment = self._payment(285.0, memo=self.inv2.name)
        moves_before = self.env["account.move"].search_count([])
        run = self._run(payment)
        self.assertEqual(run.line_ids.outcome, "error")
        self.assertIn("above the write-off limit", run.line_ids.reasons)
        self.assertEqual(self.inv2.amount_residual, 300.0)
        self.assertEqual(self.env["account.move"].search_count([]), moves_before, "no write-off booked")

    def test_faded_and_switched_off_habits_are_not_used(self):
        self._teach_account(self.customer, times=3)
        invoice = self._invoice(777.0, partner=self.customer)
        line = self._bank_line(777.0, memo="transfer", account_number=ACCOUNT)
        habit = self._habits(self.customer, "payer_account")
        habit.with_user(self.specialist).active = False
        Habit = self.env["billing.match.habit"]
        self.assertIsNone(Habit._engine_habits(self.company).payer("payer_account", ACCOUNT), "switched off")
        habit.with_user(self.specialist).active = True
        self.assertEqual(Habit._engine_habits(self.company).payer("payer_account", ACCOUNT).count, 3)
        self.company.billing_habit_fade_days = 365
        self.env.flush_all()
        self.env.execute_query(SQL("UPDATE billing_match_habit_evidence SET date = date - 400"))
        self.env.invalidate_all()
        run = self._run_line(line)
        self.assertNotEqual(run.line_ids.outcome, "applied", "not seen for 400 days: faded")
        self.assertEqual(invoice.amount_residual, 777.0)

    # ------------------------------------------------------------------ safety

    def test_learning_never_guesses_between_recurring_invoices(self):
        self._teach_account(self.other_customer, times=3)  # Globex, which has fee1 and fee2 of 99.00 open
        for habit in self._habits(self.other_customer):
            self.assertGreaterEqual(habit.evidence_count, 1)
        line = self._bank_line(99.0, memo="monthly fee", account_number=ACCOUNT)
        run = self._run_line(line)
        self.assertEqual(run.line_ids.outcome, "proposed")
        self.assertEqual(run.line_ids.confidence, 0)
        self.assertIn("open items of 99.00: amount alone cannot tell which", run.line_ids.reasons)
        self.assertEqual((self.fee1.amount_residual, self.fee2.amount_residual), (99.0, 99.0))

    def test_learned_days_to_pay_order_the_review_of_recurring_invoices_never_apply(self):
        for index in range(3):  # Globex pays about 30 days after the invoice date
            invoice = self._invoice(
                200.0 + index, partner=self.other_customer, invoice_date=self.today - timedelta(days=30)
            )
            self._apply_by_hand(self._payment(200.0 + index, partner=self.other_customer), invoice)
        self.assertEqual(self._habits(self.other_customer, "days_to_pay").key, "28-34")
        payment = self._payment(99.0, memo="monthly fee", partner=self.other_customer)
        line = self._run(payment).line_ids
        self.assertEqual((line.outcome, line.confidence), ("proposed", 0), "recurring invoices: never applied")
        self.assertIn("usually pays 28-34 days after the invoice date: 3 earlier payments", line.reasons)
        self.assertEqual(line.allocation_ids.move_id, self.fee2, "fee2 (30 days old) fits, fee1 (60) does not")
        self.assertEqual((self.fee1.amount_residual, self.fee2.amount_residual), (99.0, 99.0))

    def test_a_learned_slip_raises_the_typo_proposal(self):
        invoices = [self._invoice(300.0 + index) for index in range(4)]
        for invoice in invoices[:3]:  # Acme drops a character of the number (the year's last digit)
            self._apply_by_hand(self._payment(invoice.amount_total, memo=invoice.name[:7] + invoice.name[8:]), invoice)
        self.assertEqual(self._habits(self.customer, "reference_pattern").key, "typo:dropped")
        last = invoices[3]
        memo = last.name[:7] + last.name[8:]  # the same slip
        line = self._run(self._payment(100.0, memo=memo)).line_ids  # paid in part
        # 60 for a typo and another amount; 80 with the known slip; 85 as it also comes on the usual days: never 90.
        self.assertEqual((line.outcome, line.confidence), ("proposed", 85), line.reasons)
        self.assertIn("drops a character of the invoice number: 3 earlier payments", line.reasons)
        self.assertIn("usually pays 0-6 days after the invoice date", line.reasons)
        self.assertEqual(line.allocation_ids.move_id, last)

    def test_one_customers_habit_never_identifies_another(self):
        self._teach_account(self.customer, times=2)
        self._teach_account(self.other_customer, times=2, amount=600.0)
        invoice = self._invoice(777.0, partner=self.customer)
        line = self._bank_line(777.0, memo="transfer", account_number=ACCOUNT)
        run = self._run_line(line)
        self.assertNotEqual(run.line_ids.outcome, "applied", "an account learned for two customers names neither")
        self.assertNotIn("BE71", run.line_ids.reasons or "")
        self.assertEqual(invoice.amount_residual, 777.0)
        # An account on record for one customer is that customer's, whatever was learned for another.
        self.env["res.partner.bank"].create({"acc_number": "NL91ABNA0417164300", "partner_id": self.customer.id})
        self._teach_account(self.other_customer, times=3, account="NL91ABNA0417164300", amount=700.0)
        globex = self._invoice(888.0, partner=self.other_customer)
        line = self._bank_line(888.0, memo="transfer", account_number="NL91ABNA0417164300")
        run = self._run_line(line)
        self.assertNotEqual(run.line_ids.outcome, "applied")
        self.assertEqual(globex.amount_residual, 888.0)

    def test_another_customers_name_taught_by_hand_never_steers_its_payment(self):
        """Issue 21, class 1, as it was found: three bank lines carrying Acme's exact name, applied by hand (the
        review screen, as a specialist) to Globex's invoices; then the learning cron; then Acme's next payment
        under its own name in the automatic run."""
        for index in range(3):
            invoice = self._invoice(500.0 + index, partner=self.other_customer)
            line = self._bank_line(500.0 + index, memo="transfer", partner_name=self.customer.name)
            self._apply_by_hand(line, invoice, partner=self.other_customer)
        self.env["billing.match.habit"]._cron_learn()
        globex = self._invoice(777.0, partner=self.other_customer)
        line = self._bank_line(777.0, memo="transfer", partner_name="ACME  RETAIL")
        result = self._run_line(line).line_ids
        self.assertNotEqual(result.outcome, "applied", result.reasons)
        self.assertEqual(globex.amount_residual, 777.0)
        self.assertFalse(line.is_reconciled)
        self.assertFalse(self._habits(self.other_customer, "payer_name"), "Acme's name teaches nothing about Globex")
        self.assertFalse(self._habits(self.other_customer), "a line carrying another customer's name teaches nothing")
        # A habit learned before this rule (the same lessons, recorded by an older version): held as a conflict.
        Habit = self.env["billing.match.habit"].sudo()
        habit = Habit.create(
            {
                "company_id": self.company.id,
                "partner_id": self.other_customer.id,
                "kind": "payer_name",
                "key": "ACMERETAIL",
            }
        )
        runs = self.env["billing.match.run"].search([("mode", "=", "manual")], limit=3)
        self.env["billing.match.habit.evidence"].sudo().create(
            [{"habit_id": habit.id, "line_id": run.line_ids[:1].id, "date": self.today} for run in runs]
        )
        result = self._run_line(line).line_ids
        self.assertEqual((result.outcome, result.confidence), ("proposed", 0), result.reasons)
        self.assertIn("the payer's name is that of Acme Retail", result.reasons)
        self.assertEqual(globex.amount_residual, 777.0)

    def test_a_line_from_another_customers_account_on_record_teaches_nothing(self):
        self.env["res.partner.bank"].create({"acc_number": "NL91 ABNA 0417 1643 00", "partner_id": self.customer.id})
        invoice = self._invoice(500.0, partner=self.other_customer)
        line = self._bank_line(500.0, memo="transfer", account_number="NL91ABNA0417164300", partner_name="Someone")
        self._apply_by_hand(line, invoice, partner=self.other_customer)
        self.assertFalse(self._habits(self.other_customer), "Acme's account on record: nothing learned for Globex")
        # The same line from an account on record for nobody teaches.
        invoice = self._invoice(501.0, partner=self.other_customer)
        line = self._bank_line(501.0, memo="transfer", account_number="DE89370400440532013000", partner_name="Someone")
        self._apply_by_hand(line, invoice, partner=self.other_customer)
        self.assertEqual(self._habits(self.other_customer, "payer_account").key, normalize("DE89370400440532013000"))

    def test_a_name_learned_by_hand_proposes_and_never_applies(self):
        for index in range(3):
            invoice = self._invoice(500.0 + index, partner=self.other_customer)
            line = self._bank_line(500.0 + index, memo="transfer", partner_name="GLOBEX PAYABLES DEPT")
            self._apply_by_hand(line, invoice, partner=self.other_customer)
        self.assertEqual(self._habits(self.other_customer, "payer_name").evidence_count, 3)
        globex = self._invoice(777.0, partner=self.other_customer)
        result = self._run_line(self._bank_line(777.0, memo="transfer", partner_name="Globex Payables Dept")).line_ids
        self.assertEqual((result.outcome, result.allocation_ids.move_id), ("proposed", globex))
        self.assertLess(result.confidence, 90, "a name alone, learned or exact, only proposes")
        self.assertIn("paid the invoices of Globex Stores 3 times", result.reasons)
        self.assertEqual(globex.amount_residual, 777.0)

    # ------------------------------------------------------------------ access

    def test_clients_only_switch_habits_off(self):
        self._teach_account(self.customer, times=1)
        habit = self._habits(self.customer, "payer_account").with_user(self.specialist)
        habit.active = False
        self.assertFalse(habit.active)
        for vals in (
            {"key": "XX"},
            {"partner_id": self.other_customer.id},
            {"evidence_count": 99},
            {"last_seen": self.today + timedelta(days=1)},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError), self.env.cr.savepoint():
                habit.write(vals)
        Habit = self.env["billing.match.habit"].with_user(self.specialist)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            Habit.create(
                {"company_id": self.company.id, "partner_id": self.customer.id, "kind": "payer_account", "key": "X"}
            )
        defaults = Habit.with_context(default_key="X", default_evidence_count=5).default_get(["key", "active"])
        self.assertNotIn("key", defaults)
        evidence = habit.evidence_ids.with_user(self.specialist)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            evidence.write({"date": self.today - timedelta(days=1)})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            evidence.unlink()
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            habit.unlink()
        # The customer's Billing tab lists them (switched on and off on the habits' own screen).
        views = self.env["res.partner"].with_user(self.specialist).get_views([(False, "form")])
        self.assertIn("billing_match_habit_ids", views["views"]["form"]["arch"])
        Habit.get_views([(False, "list"), (False, "form"), (False, "search")])
        other = self.env["res.company"].create({"name": "Other Billing Co"})
        self.env["billing.match.habit"].sudo().create(
            {"company_id": other.id, "partner_id": self.customer.id, "kind": "payer_name", "key": "ACME"}
        )
        self.assertFalse(Habit.search([("company_id", "=", other.id)]), "another company's habits are not seen")


@tagged("post_install", "-at_install")
class TestLearnedNamesAttack(BaseCase):
    """Issue 21, class 1: a payer name is text anyone writes; what was learned from it never decides alone."""

    SEEN = date(2026, 10, 2)
    NAMES = {1: "Acme Retail", 2: "Globex Stores"}

    def _matcher(self, habits, items=None, **options):
        items = items or [
            OpenItem(1, 1, "INV/2026/00041", 640.0, date(2026, 9, 1)),
            OpenItem(2, 2, "INV/2026/00042", 777.0, date(2026, 9, 1)),
        ]
        return LearningMatcher(items, habits=Habits(habits), partner_names=self.NAMES, **options)

    def test_a_name_learned_for_one_customer_never_takes_anothers_payment(self):
        # Acme's own name, taught (three by-hand matches) as "pays Globex": Acme's next payment under its name.
        matcher = self._matcher([Habit(2, "payer_name", "ACMERETAIL", 3, self.SEEN)])
        proposals = matcher.propose(Source(1, 777.0, "transfer", payer_name="ACME RETAIL"))
        self.assertFalse([p for p in proposals if p.applies(THRESHOLD)], "Acme's payment is never applied to Globex")
        self.assertTrue(proposals and all(p.conflict for p in proposals if 2 in p.item_ids))
        self.assertIn("the payer's name is that of Acme Retail", proposals[0].explain())
        # Written otherwise (case, spacing, punctuation): the same name, the same conflict.
        proposals = matcher.propose(Source(2, 777.0, "transfer", payer_name="acme-retail "))
        self.assertFalse([p for p in proposals if p.applies(THRESHOLD)])

    def test_a_learned_name_alone_only_proposes(self):
        # A name that identifies nobody else, learned for Globex many times: proposed, a person confirms.
        matcher = self._matcher([Habit(2, "payer_name", "GLOBEXPAYABLESDEPT", 9, self.SEEN)])
        best = matcher.propose(Source(1, 777.0, "transfer", payer_name="GLOBEX PAYABLES DEPT"))[0]
        self.assertEqual(best.item_ids, [2])
        self.assertFalse(best.applies(THRESHOLD), "name evidence alone never applies automatically")
        self.assertEqual(best.confidence, 80)
        self.assertIn("the payer's name GLOBEXPAYABLESDEPT paid the invoices of Globex Stores 9 times", best.explain())
        # The exact name alone: proposed too.
        best = self._matcher([]).propose(Source(2, 777.0, "transfer", payer_name="Globex Stores"))[0]
        self.assertEqual((best.item_ids, best.applies(THRESHOLD)), ([2], False))

    def test_a_learned_name_with_a_known_way_of_writing_stays_a_proposal(self):
        # Globex writes sequence numbers only (a habit): a bare "42" under a learned name is still a proposal.
        habits = [
            Habit(2, "payer_name", "GLOBEXPAYABLESDEPT", 9, self.SEEN),
            Habit(2, "reference_pattern", "sequence", 9, self.SEEN),
        ]
        best = self._matcher(habits).propose(Source(1, 777.0, "paid 42", payer_name="GLOBEX PAYABLES DEPT"))[0]
        self.assertEqual(best.item_ids, [2])
        self.assertFalse(best.applies(THRESHOLD))

    def test_a_learned_account_never_outweighs_a_name_of_another_customer(self):
        account = "BE71096123456769"
        matcher = self._matcher([Habit(2, "payer_account", account, 5, self.SEEN)])
        best = matcher.propose(Source(1, 777.0, "transfer", account_number=account))[0]
        self.assertTrue(best.applies(THRESHOLD), "a bank's account number learned from confirmed matches decides")
        proposals = matcher.propose(Source(2, 777.0, "transfer", account_number=account, payer_name="Acme Retail"))
        self.assertFalse([p for p in proposals if p.applies(THRESHOLD)])
        self.assertIn("the payer's name is that of Acme Retail", proposals[0].explain())
        # A name learned for Globex against an account on record for Acme: held.
        learned_name = self._matcher(
            [Habit(2, "payer_name", "GLOBEXPAYABLESDEPT", 5, self.SEEN)], account_partners={account: 1}
        )
        proposals = learned_name.propose(
            Source(4, 640.0, "", account_number=account, payer_name="Globex Payables Dept")
        )
        self.assertTrue(proposals and all(p.conflict for p in proposals))
        self.assertIn(
            "the bank account is that of Acme Retail, but the payer's name GLOBEXPAYABLESDEPT paid the invoices of Globex",
            proposals[0].explain(),
        )
        # An account on record for Acme: whatever was learned for Globex, Globex's invoice is not Acme's to pay.
        matcher = self._matcher([Habit(2, "payer_account", account, 5, self.SEEN)], account_partners={account: 1})
        proposals = matcher.propose(Source(3, 777.0, "transfer", account_number=account))
        self.assertFalse([p for p in proposals if p.applies(THRESHOLD)])
