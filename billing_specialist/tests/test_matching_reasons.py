import re
from datetime import date

from odoo.tests import BaseCase, tagged

from odoo.addons.billing_specialist.matching import Matcher, MatchPolicy, OpenItem, Source

from .common import THRESHOLD, BillingDisputeCommon

ACME, GLOBEX, INITECH, HOOLI, UMBRELLA = 1, 2, 3, 4, 5
NAMES = {ACME: "Acme Retail", GLOBEX: "Globex Stores", INITECH: "Initech Ltd", HOOLI: "Hooli", UMBRELLA: "Umbrella"}
# Irregular amounts with cents (as invoices with taxes are): a unique sum among them is hardly a coincidence.
IRREGULAR = (1234.56, 2871.13, 453.27, 6120.88, 3377.41, 918.05, 5012.74, 7645.19, 2210.62, 4489.33)


def item(id_, number, amount, partner=ACME, due=(2026, 1, 1), disputed=0.0):
    return OpenItem(id_, partner, number, amount, date(*due), (), disputed)


def odds(text):
    """The N of '1 in N chance of a coincidence' in ``text``."""
    return int(re.search(r"1 in ([\d,]+) chance of a coincidence", text).group(1).replace(",", ""))


@tagged("post_install", "-at_install")
class TestMatchingReasons(BaseCase):
    """Reasons read as a person writes them, and what the engine proposes with little to go on."""

    def matcher(self, items, **kwargs):
        return Matcher(items, partner_names=NAMES, **kwargs)

    def best(self, matcher, **kwargs):
        proposals = matcher.propose(Source(id=100, **kwargs))
        return proposals[0] if proposals else None

    def test_amounts_in_the_currencys_format(self):
        items = [item(1, "INV/2026/00042", 40000.0)]
        partial = self.best(self.matcher(items), amount=4762.5, memo="INV/2026/00042", partner_id=ACME)
        self.assertIn("partial payment: 35,237.50 stays open", partial.explain())
        european = self.matcher(
            items, policy=MatchPolicy(format_amount=lambda value: f"{value:,.2f} €".replace(",", " ").replace(".", ","))
        )
        partial = self.best(european, amount=4762.5, memo="INV/2026/00042", partner_id=ACME)
        self.assertIn("partial payment: 35 237,50 € stays open", partial.explain())
        over = self.best(european, amount=41000.0, memo="INV/2026/00042", partner_id=ACME)
        self.assertIn("overpayment: 1 000,00 € stays as open credit", over.explain())

    def test_singular_and_plural(self):
        items = [item(1, "INV/2026/00042", 1200.0), item(2, "INV/2026/00043", 300.0)]
        one = self.best(self.matcher(items), amount=1200.0, memo="INV/2026/00042", partner_id=ACME)
        self.assertIn("the amount settles it exactly", one.explain())
        self.assertNotIn("them", one.explain())
        two = self.best(self.matcher(items), amount=1500.0, memo="INV/2026/00042 INV/2026/00043", partner_id=ACME)
        self.assertIn("the amount settles them exactly", two.explain())
        across = [item(1, "INV/2026/00042", 450.0), item(2, "INV/2026/00050", 450.0, partner=GLOBEX)]
        only = self.best(self.matcher(across[:1]), amount=450.0)
        self.assertIn("the only open item of 450.00, for review", only.explain())
        several = self.best(self.matcher(across), amount=450.0)
        self.assertIn("one of 2 open items of 450.00, for review", several.explain())

    def test_reference_written_with_other_separators_or_padding_is_no_typo(self):
        matcher = self.matcher([item(1, "INV/2026/00042", 1200.0)])
        for memo in ("inv_2026_00042", "INV 2026-42", "INV 2026 00042"):  # separators only: found as written
            proposal = self.best(matcher, amount=1200.0, memo=memo, partner_id=ACME)
            self.assertEqual((proposal.item_ids, proposal.confidence), ([1], 98), memo)
            self.assertEqual(proposal.explain(), "INV/2026/00042 found in the memo; the amount settles it exactly")
        for memo in ("INV 2026 042", "inv-2026-0042", "INV.2026.000042", "2026 / 0042"):  # and other zeros
            proposal = self.best(matcher, amount=1200.0, memo=memo, partner_id=ACME)
            self.assertEqual((proposal.item_ids, proposal.confidence), ([1], 90), memo)
            self.assertIn("INV/2026/00042 found in the memo, written with other zeros", proposal.explain(), memo)
            self.assertNotIn("typo", proposal.explain(), memo)
        typo = self.best(matcher, amount=1200.0, memo="INV/2026/00442", partner_id=ACME)  # a real typo
        self.assertEqual(typo.confidence, 90)
        self.assertIn("INV/2026/00042 found in the memo with one typo", typo.explain())

    def test_memo_naming_a_paid_invoice(self):
        closed = ["INV/2026/00052", "INV/2025/00777"]
        items = [item(1, "INV/2026/00053", 1200.0), item(2, "INV/2026/00080", 640.0, partner=INITECH)]
        matcher = self.matcher(items, closed_numbers=closed)
        duplicate = "INV/2026/00052 is already paid: possible duplicate payment"
        # Another candidate (the open 00053, one character away): held, never automatic.
        held = self.best(matcher, amount=1200.0, memo="INV/2026/00052", partner_id=ACME)
        self.assertEqual((held.item_ids, held.confidence, held.applies(THRESHOLD)), ([1], 0, False))
        self.assertIn(duplicate, held.explain())
        # No other candidate (the customer has nothing open, or nobody is named): no proposal, and it says why.
        for source in (
            Source(id=1, amount=1200.0, memo="payment INV/2026/00052", partner_id=GLOBEX),
            Source(id=2, amount=77.0, memo="INV/2025/00777"),
        ):
            self.assertEqual(matcher.propose(source), [])
            number = "INV/2026/00052" if source.partner_id else "INV/2025/00777"
            self.assertEqual(str(matcher.explain_no_proposal(source)), duplicate.replace("INV/2026/00052", number))

    def test_rest_of_a_payment_naming_the_invoice_it_paid_is_no_duplicate(self):
        """An overpayment applied to INV/2026/00052 keeps its memo: its rest is not "a second payment of 00052"."""
        matcher = self.matcher([item(1, "INV/2026/00053", 25.0)], closed_numbers=["INV/2026/00052"])
        rest = Source(id=1, amount=25.0, memo="INV/2026/00052", partner_id=ACME, settled_numbers=("INV/2026/00052",))
        self.assertNotIn("possible duplicate payment", str(matcher.explain_no_proposal(rest)))
        for proposal in matcher.propose(rest):
            self.assertNotIn("possible duplicate payment", proposal.explain())
            self.assertFalse(proposal.conflict)
        # Another payment naming the same paid invoice is still held as a likely duplicate.
        other = Source(id=2, amount=25.0, memo="INV/2026/00052", partner_id=ACME)
        self.assertIn("possible duplicate payment", matcher.propose(other)[0].explain())

    def test_items_paid_in_part_counts_the_items_that_get_money(self):
        items = [
            item(1, "INV/2026/00061", 500.0, due=(2026, 1, 1)),
            item(2, "INV/2026/00062", 700.0, due=(2026, 2, 1)),
            item(3, "INV/2026/00063", 900.0, due=(2026, 3, 1)),
        ]
        memo = "INV/2026/00061 INV/2026/00062 INV/2026/00063"
        best = self.best(self.matcher(items), amount=300.0, memo=memo, partner_id=ACME)
        self.assertEqual([a.item_id for a in best.allocations], [1])
        self.assertIn("pays 1 of the 3 items, oldest due first: 1,800.00 stays open", best.explain())

    def test_no_proposal_says_why(self):
        items = [item(i, f"INV/2026/0010{i}", 99.0, partner=i) for i in (1, 2, 3, 4)]
        items.append(item(9, "RINV/2026/00009", -50.0, partner=UMBRELLA))
        matcher = self.matcher(items)

        def why(**kwargs):
            source = Source(id=1, **kwargs)
            self.assertEqual(matcher.propose(source), [])
            return str(matcher.explain_no_proposal(source))

        self.assertEqual(
            why(amount=12.5, memo="thanks"),
            "no customer and no open invoice named in the memo, and no open item of 12.50",
        )
        self.assertEqual(
            why(amount=99.0, memo="thanks"),
            "no customer and no open invoice named in the memo, and 4 open items of 99.00 across customers: too many to propose",
        )
        self.assertEqual(why(amount=99.0, partner_id=UMBRELLA), "no open item for Umbrella")
        self.assertEqual(why(amount=99.0, payer_name="UMBRELLA CORP"), "no open item for Umbrella")

    def test_bank_line_with_a_customer_and_no_reference(self):
        items = [
            item(i + 1, f"INV/2026/{i + 1:05d}", amount, due=(2026, 1, i + 1)) for i, amount in enumerate(IRREGULAR)
        ]
        matcher = self.matcher(items)
        bank_line = {"memo": "SEPA CREDIT TRANSFER", "partner_id": ACME, "payer_name": "ACME RETAIL"}
        unique = self.best(matcher, amount=6120.88, **bank_line)
        self.assertEqual((unique.item_ids, unique.confidence, unique.applies(THRESHOLD)), ([4], 90, True))
        pair = self.best(matcher, amount=1234.56 + 918.05, **bank_line)
        self.assertEqual((sorted(pair.item_ids), pair.applies(THRESHOLD)), ([1, 6], True))
        nothing_fits = self.best(matcher, amount=10.0, **bank_line)
        self.assertEqual((nothing_fits.confidence, nothing_fits.applies(THRESHOLD)), (30, False))

    def test_bank_line_with_neither_customer_nor_reference(self):
        items = [
            item(1, "INV/2026/00001", 450.0, due=(2026, 2, 1)),
            item(2, "INV/2026/00002", 450.0, partner=GLOBEX, due=(2026, 1, 1)),
            item(3, "INV/2026/00003", 450.0, partner=INITECH, disputed=100.0),  # disputed: not proposed
            item(4, "INV/2026/00004", 700.0, partner=HOOLI),
        ]
        matcher = self.matcher(items)
        proposals = matcher.propose(Source(id=1, amount=450.0, memo="SEPA CREDIT TRANSFER"))
        self.assertEqual([(p.partner_id, p.item_ids) for p in proposals], [(GLOBEX, [2]), (ACME, [1])], "oldest first")
        self.assertTrue(
            all(p.conflict and p.confidence == 0 and not p.applies(THRESHOLD) for p in proposals), "review only"
        )
        self.assertIn("INV/2026/00002 of Globex Stores", proposals[0].explain())
        alone = self.best(matcher, amount=700.0)
        self.assertEqual((alone.partner_id, alone.item_ids, alone.applies(THRESHOLD)), (HOOLI, [4], False))
        many = self.matcher([item(i, f"INV/2026/0000{i}", 450.0, partner=i) for i in (1, 2, 3, 4)])
        self.assertEqual(many.propose(Source(id=1, amount=450.0)), [], "more than 3: too many to propose")

    def test_combination_applied_when_a_coincidence_is_unlikely(self):
        items = [
            item(i + 1, f"INV/2026/{i + 1:05d}", amount, due=(2026, 1, i + 1)) for i, amount in enumerate(IRREGULAR)
        ]
        proposal = self.best(self.matcher(items), amount=1234.56 + 918.05, partner_id=ACME)
        self.assertEqual(
            (sorted(proposal.item_ids), proposal.confidence, proposal.applies(THRESHOLD)), ([1, 6], 90, True)
        )
        self.assertIn("2 of the customer's 10 open items sum to the amount; 1 in ", proposal.explain())
        self.assertGreaterEqual(odds(proposal.explain()), 1000)
        self.assertRegex(proposal.explain(), r"1 in \d{1,3}(,\d00)+ chance", "two significant digits, grouped")
        three = self.best(self.matcher(items), amount=453.27 + 3377.41 + 2210.62, partner_id=ACME)
        self.assertEqual((sorted(three.item_ids), three.applies(THRESHOLD)), ([3, 5, 9], True))

    def test_combination_left_for_review_when_a_coincidence_is_likely(self):
        # Round amounts: sums of them coincide often.
        rounds = [item(i + 1, f"INV/2026/{i + 1:05d}", amount) for i, amount in enumerate((300.0, 450.0, 1200.0))]
        proposal = self.best(self.matcher(rounds), amount=750.0, partner_id=ACME)
        self.assertEqual(
            (sorted(proposal.item_ids), proposal.confidence, proposal.applies(THRESHOLD)), ([1, 2], 80, False)
        )
        self.assertLess(odds(proposal.explain()), 1000)
        # Amounts close to each other: many sums fall near the amount.
        close = [item(i + 1, f"INV/2026/{i + 1:05d}", 1000.0 + i * 0.37) for i in range(10)]
        near = self.best(self.matcher(close), amount=close[0].amount + close[9].amount, partner_id=ACME)
        self.assertFalse(near and near.applies(THRESHOLD))
        # Irregular amounts, but the payer only found from its name: never automatic.
        items = [item(i + 1, f"INV/2026/{i + 1:05d}", amount) for i, amount in enumerate(IRREGULAR)]
        by_name = self.best(self.matcher(items), amount=1234.56 + 918.05, payer_name="ACME RETAIL SA")
        self.assertEqual(
            (sorted(by_name.item_ids), by_name.confidence, by_name.applies(THRESHOLD)), ([1, 6], 80, False)
        )
        # More open items than the pool tried: a set outside it may sum to the amount too.
        more = items + [
            item(100 + i, f"INV/2026/{100 + i:05d}", 10000.0 + i * 13.17, due=(2027, 1, 1)) for i in range(15)
        ]
        partial_pool = self.best(self.matcher(more), amount=1234.56 + 918.05, partner_id=ACME)
        self.assertFalse(partial_pool.applies(THRESHOLD))
        self.assertIn("2 of the customer's 20 oldest open items sum to the amount", partial_pool.explain())

    def test_recurring_amounts_and_conflicts_still_win(self):
        recurring = [item(i, f"INV/2026/0000{i}", 99.0, due=(2026, i, 1)) for i in (1, 2, 3)]
        proposals = self.matcher(recurring).propose(Source(id=1, amount=198.0, partner_id=ACME))
        self.assertFalse(
            any(p.applies(THRESHOLD) for p in proposals), "two of three equal fees: which two cannot be told"
        )
        items = [item(i + 1, f"INV/2026/{i + 1:05d}", amount) for i, amount in enumerate(IRREGULAR)]
        accounts = {"BE71 0961 2345 6769": INITECH}
        conflicting = self.best(
            self.matcher(items, account_partners=accounts),
            amount=1234.56 + 918.05,
            partner_id=ACME,
            account_number="BE71096123456769",
        )
        self.assertEqual((conflicting.confidence, conflicting.conflict), (0, True))


@tagged("post_install", "-at_install")
class TestMatchingReasonsRun(BillingDisputeCommon):
    """Through the automatic run: bank lines with little to go on, combinations by their odds, no-proposal reasons."""

    def _bank_line(self, amount, memo="SEPA CREDIT TRANSFER", partner=None, **vals):
        return super()._bank_line(amount, memo, partner, **vals)

    def _run(self, payments=None, statement_lines=None):
        Run = self.env["billing.match.run"].with_user(self.specialist)
        return Run._run_automatic(self.company, payments=payments, statement_lines=statement_lines)

    def test_engine_tests_check_proposals_at_the_default_threshold(self):
        """The engine's tests check ``Proposal.applies(THRESHOLD)``: THRESHOLD is what a new company has."""
        self.assertEqual(
            self.env["res.company"].default_get(["billing_match_threshold"]), {"billing_match_threshold": THRESHOLD}
        )

    def test_bank_line_with_customer_and_no_reference_applies_an_unlikely_combination(self):
        self.assertEqual(self.company.billing_match_threshold, 90)
        first, second, third = (self._invoice(amount) for amount in (1234.56, 918.05, 4489.33))
        line = self._bank_line(1234.56 + 918.05, partner=self.customer)
        result = self._run(statement_lines=line).line_ids
        self.assertEqual((result.outcome, result.confidence), ("applied", 90))
        self.assertIn("2 of the customer's 3 open items sum to the amount; 1 in ", result.reasons)
        self.assertGreaterEqual(odds(result.reasons), 1000)
        self.assertTrue(line.is_reconciled)
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        self.assertEqual(third.payment_state, "not_paid")

    def test_likely_coincidence_is_left_for_review(self):
        invoices = [self._invoice(amount) for amount in (300.0, 450.0, 1200.0)]
        payment = self._payment(750.0)
        result = self._run(payments=payment).line_ids
        self.assertEqual((result.outcome, result.confidence), ("proposed", 80))
        self.assertEqual(result.invoice_ids, invoices[0] | invoices[1])
        self.assertLess(odds(result.reasons), 1000)
        self.assertTrue(all(inv.payment_state == "not_paid" for inv in invoices))

    def test_bank_line_with_neither_customer_nor_reference_is_for_review(self):
        globex = self._invoice(640.0, partner=self.other_customer)
        line = self._bank_line(640.0)
        result = self._run(statement_lines=line).line_ids
        self.assertEqual((result.outcome, result.confidence, result.partner_id), ("proposed", 0, self.other_customer))
        self.assertEqual(result.invoice_ids, globex)
        self.assertIn(
            "no customer and no open invoice named in the memo: the only open item of 640.00, for review",
            result.reasons,
        )
        self.assertFalse(line.is_reconciled)
        self.assertEqual(globex.payment_state, "not_paid")

    def test_no_proposal_lines_say_why(self):
        self.company.billing_match_threshold = 1
        paid = self._invoice(1200.0)
        self._pay(paid, 1200.0)
        duplicate = self._payment(1200.0, memo=f"payment {paid.name}")  # the customer has nothing else open
        stranger = self._bank_line(12.5)
        run = self._run(payments=duplicate, statement_lines=stranger)
        by_source = {(line.payment_id or line.statement_line_id): line for line in run.line_ids}
        self.assertEqual(by_source[duplicate].outcome, "unmatched")
        self.assertEqual(by_source[duplicate].reasons, f"{paid.name} is already paid: possible duplicate payment")
        self.assertEqual(by_source[stranger].outcome, "unmatched")
        self.assertEqual(
            by_source[stranger].reasons, "no customer and no open invoice named in the memo, and no open item of 12.50"
        )
        self.assertFalse(duplicate.move_id.line_ids.filtered("reconciled") - paid.line_ids)
