"""Property-based tests of the pure matching engine, with learned habits and remittance advices (issue 21).

Generated ledgers (``matching_world.py``) know who paid what. The properties, whatever the ledger and the source:
every automatic application is right (the invoices paid, the amounts paid, the customer who paid) and every planted
conflict (evidence made to disagree) is held for a person. Hypothesis shrinks a failure to a minimal ledger and source
and prints them. CI runs a bounded, derandomized number of examples (the same ones every run);
``BILLING_HYPOTHESIS_EXAMPLES`` runs more, and ``bench/fuzz_matching.py`` runs 100,000 sources.
"""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

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
