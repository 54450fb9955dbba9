"""Property-based tests of the pure matching engine, with learned habits and remittance advices (issue 21).

Generated ledgers (``matching_world.py``) know who paid what. The properties, whatever the ledger and the source:
every automatic application is right (the invoices paid, the amounts paid, the customer who paid) and every planted
conflict (evidence made to disagree) is held for a person. Hypothesis shrinks a failure to a minimal ledger and source
and prints them. CI runs a bounded, derandomized number of examples (the same ones every run);
``BILLING_HYPOTHESIS_EXAMPLES`` runs more, and ``bench/fuzz_matching.py`` runs 100,000 sources.
"""

import os
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

from ..matching import Habit, Habits, LearningMatcher, Matcher, OpenItem, Source
from ..matching.remittance import AdviceLine, RemittanceRef, propose_remittance
from .common import THRESHOLD
from .matching_world import KINDS, check, explain, generate_case, generate_world

PROFILE = settings(
    max_examples=int(os.environ.get("BILLING_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    derandomize=True,  # CI sees the same examples every run
    database=None,  # nothing written in the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@tagged("post_install", "-at_install")
class TestMatchingProperties(BaseCase):
    """Whatever the ledger and the evidence, nothing is applied wrongly and no conflict is applied."""

    def _assert_right(self, rng, kinds):
        world = generate_world(rng)
        matcher = world.matcher()
        for index, kind in enumerate(kinds):
            case = generate_case(rng, world, 100 + index, kind)
            if case is None:
                continue
            proposal, problem = check(matcher, world, case)
            self.assertIsNone(problem, explain(world, case, proposal, problem))

    @PROFILE
    @given(st.randoms(use_true_random=False), st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
    def test_automatic_applications_are_right_and_conflicts_held(self, rng, kinds):
        self._assert_right(rng, kinds)


@tagged("post_install", "-at_install")
class TestMatchingPropertiesFound(BaseCase):
    """What the properties found outside the issue's classes, kept as plain examples."""

    def _advice(self, amounts, reference, paid, deduction=0.0):
        items = [OpenItem(i, 6, number, amount, date(2026, 1, i)) for i, (number, amount) in enumerate(amounts, 1)]
        advice = RemittanceRef(5, "RA-1", 6, (AdviceLine(reference, paid, deduction, "damaged" if deduction else ""),))
        return propose_remittance(Matcher(items), Source(9, paid, partner_id=6), advice)

    def test_advice_reference_with_two_digits_swapped_is_not_taken_for_its_one_substitution_look_alike(self):
        # 00046 is one substitution from 00076 (open for 1,200.00) and 00064 with two digits swapped (open for 350.00,
        # what the line pays plus its deduction). It was taken for 00076 (340.00 applied to it, 92): now the amount
        # decides between the two.
        proposal = self._advice([("INV/2026/00076", 1200.0), ("INV/2026/00064", 350.0)], "INV/2026/00046", 340.0, 10.0)
        self.assertFalse(proposal.conflict, proposal.explain())
        self.assertEqual([(a.item_id, a.amount) for a in proposal.allocations], [(2, 340.0)])
        self.assertIn("INV/2026/00064 (written INV/2026/00046, one typo", proposal.explain())
        # Both open for the line's amount: the reference names either, a person decides.
        proposal = self._advice([("INV/2026/00076", 350.0), ("INV/2026/00064", 350.0)], "INV/2026/00046", 350.0)
        self.assertTrue(proposal.conflict, proposal.explain())
        self.assertEqual(proposal.allocations, [])
        # Two digits swapped and no other invoice near: still read as a typo of it (as one substitution is).
        proposal = self._advice([("INV/2026/00064", 350.0)], "INV/2026/00046", 350.0)
        self.assertEqual(
            ([(a.item_id, a.amount) for a in proposal.allocations], proposal.conflict), ([(1, 350.0)], False)
        )

    def test_amount_of_one_invoice_and_of_another_after_the_usual_fee_is_held(self):
        # The customer deducts a fee of 15.00 (learned); it pays 335.00: exactly INV/2026/00068, and INV/2026/00088
        # (350.00) less its usual fee. It was applied to 00068 (90): now a person decides.
        items = [
            OpenItem(1, 6, "INV/2026/00088", 350.0, date(2026, 1, 1)),
            OpenItem(2, 6, "INV/2026/00068", 335.0, date(2026, 1, 2)),
        ]
        habits = Habits([Habit(6, "amount_relation", "fee:15.00", 5, date(2026, 1, 1))])
        proposals = LearningMatcher(items, habits=habits).propose(Source(9, 335.0, partner_id=6))
        self.assertTrue(proposals and all(p.conflict for p in proposals))
        self.assertIn(
            "INV/2026/00088 also fits the amount after the customer's usual deduction", proposals[0].explain()
        )
        # Without the other invoice, the exact amount decides as before; without the exact one, the usual fee does.
        alone = LearningMatcher(items[1:], habits=habits).propose(Source(9, 335.0, partner_id=6))[0]
        self.assertEqual((alone.item_ids, alone.applies(THRESHOLD)), ([2], True))
        fee = LearningMatcher(items[:1], habits=habits).propose(Source(9, 335.0, partner_id=6))[0]
        self.assertEqual((fee.item_ids, fee.writeoff, fee.applies(THRESHOLD)), ([1], 15.0, True))
