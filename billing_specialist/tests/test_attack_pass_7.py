"""Attack pass on this stop's large-run changes (issue 14): bank lines naming no customer planned in a customer's
chunk, sources read in batches, the compact typo index. Each test replays the attack through the entry point a
client or the scheduler has (or the engine a run calls) and proves nothing wrong is written."""

import random
import tracemalloc
from contextlib import closing
from datetime import date

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import BaseCase
from odoo.tools import SQL

from ..matching.engine import Matcher, OpenItem, Source
from ..matching.habits import typo_slip
from ..models.billing_match_run import PLAN_LOCK_KEY
from .chunks_common import RunChunksCommon

LONG = 100_000


def _digits(length, seed=14):
    """``length`` random digits: one token no separator splits, every one-character deletion of it different."""
    rng = random.Random(seed)
    return "".join(rng.choice("0123456789") for _i in range(length))


@tagged("post_install", "-at_install")
class TestAttackPass7Engine(BaseCase):
    def test_typo_search_of_a_long_memo_costs_its_length_not_its_square(self):
        """A memo of one long token was searched for typos by its every deletion: 8,000 digits took 58 MB,
        100,000 digits (a bank line's free text) some 10 GB, killing the worker that planned or ran the chunk."""
        item = OpenItem(
            id=1,
            partner_id=7,
            number="INV/2026/00042",
            amount=100.0,
            due=date(2026, 1, 1),
            refs=(),
            disputed=0.0,
            invoice_date=None,
        )
        matcher = Matcher([item], partner_names={7: "Acme Corporation"})
        memo = _digits(8000)
        tracemalloc.start()
        try:
            self.assertFalse(matcher.typo_neighbours(memo))
            proposals = matcher.propose(Source(id=1, amount=55.0, memo=f"{memo} INV/2026/00042"))
            self.assertIsNone(typo_slip(memo, "INV202600042"), "a learned typo: no deletions of the memo either")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 5_000_000, "memory in proportion to the memo, not its square")
        self.assertEqual([a.item_id for a in proposals[0].allocations], [1], "the number it names is still found")
        self.assertEqual(matcher.typo_neighbours("inv202600043"), {1}, "a typo of a number is still found")
        self.assertEqual(typo_slip("INV20260042", "INV202600042"), "dropped")


@tagged("post_install", "-at_install")
class TestAttackPass7Chunks(RunChunksCommon):
    def test_bank_line_of_100000_characters_is_planned_and_matched(self):
        """A bank line whose memo is 100,000 digits and whose payer's name is 100,000 characters starting with '='
        is planned and matched like any other: the run finishes, the line waits unmatched, the others are applied."""
        payments, lines = self._sources()
        huge = self._bank_line(42.0, memo=_digits(LONG), partner_name="=" + "X" * LONG)
        run = (
            self.env["billing.match.run"]
            .with_user(self.specialist)
            ._run_automatic(self.company, payments=payments, statement_lines=lines | huge)
        )
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        line = run.line_ids.filtered(lambda rec: rec.statement_line_id == huge)
        self.assertEqual(len(line), 1)
        self.assertNotEqual(line.outcome, "applied")
        self.assertFalse(huge.is_reconciled)

    def test_bank_line_planned_for_a_customer_then_given_another_is_not_applied(self):
        """The bank line naming Initech's invoice is planned in Initech's chunk; a user sets its customer to Globex
        before the chunk runs: it is not applied to Initech's invoice for Globex (nor twice), it waits for review."""
        run = self._start()
        chunk = run.chunk_ids.filtered(lambda rec: rec.partner_ids == [self.third_customer.id])
        line = self._lines[0]
        self.assertIn(["account.bank.statement.line", line.id], chunk.source_refs, "planned with Initech")
        line.partner_id = self.other_customer  # an accountant, in the bank reconciliation
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertAlmostEqual(self.loose.amount_residual, 321.0, msg="Initech's invoice is not settled by Globex")
        self.assertFalse(line.is_reconciled)
        recorded = run.line_ids.filtered(lambda rec: rec.statement_line_id == line)
        self.assertEqual(len(recorded), 1, "recorded once")
        self.assertIn(recorded.outcome, ("proposed", "unmatched"), "left for a person")

    def test_bank_line_planned_then_reconciled_by_hand_is_not_applied_again(self):
        """A user applies the planned bank line by hand (review screen) before its chunk runs: nothing twice."""
        run = self._start()
        line = self._lines[0]
        line.with_user(self.specialist)._billing_apply([(self.loose.id, 321.0)])
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertAlmostEqual(self.loose.amount_residual, 0.0)
        self.assertFalse(run.line_ids.filtered(lambda rec: rec.statement_line_id == line), "not tried again")
        self.assertEqual(self._residuals(), [0.0] * 6)

    def test_run_now_while_another_transaction_plans_a_large_run_is_refused(self):
        """Two Run Now at once: neither saw the other's run in progress (not committed yet) and both planned the
        same customers' sources, two runs' chunks of one customer then running side by side."""
        self._sources()
        Run = self.env["billing.match.run"]
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as other:  # the other Run Now, planning
            other.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", PLAN_LOCK_KEY, self.company.id))
            self.assertTrue(other.fetchone()[0])
            with self.assertRaisesRegex(UserError, "being planned"):
                Run.with_user(self.specialist).action_run_now()
            other.rollback()
        self.assertFalse(Run.search([("company_id", "=", self.company.id)]), "nothing planned twice")
        Run.with_user(self.specialist).action_run_now()  # once the other is done planning
        run = Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(run.state, "running")
        self._drain()
        self.assertEqual(self._residuals(), [0.0] * 6)

    def _run_with_first_line(self, **vals):
        """Run the fixture's sources, the bank line paying Initech's invoice written with ``vals``; it must stay
        unapplied: :return: its run line."""
        payments, lines = self._sources()
        lines[0].write(vals)
        run = self.env["billing.match.run"].with_user(self.specialist)
        run = run._run_automatic(self.company, payments=payments, statement_lines=lines)
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertAlmostEqual(self.loose.amount_residual, 321.0)
        self.assertFalse(lines[0].is_reconciled)
        return run.line_ids.filtered(lambda rec: rec.statement_line_id == lines[0])

    def test_bank_line_whose_payer_is_another_customer_is_not_applied_in_a_chunk(self):
        """A bank line naming no customer pays Initech's invoice by its number, but its payer's name is Globex's:
        the whole ledger holds it for review (the evidence disagrees). Its "no customer" chunk ran after Globex's,
        which paid Globex's only invoice: Globex, with nothing open, was no longer known by name, and the line was
        applied to Initech's invoice."""
        line = self._run_with_first_line(partner_name=self.other_customer.name)
        self.assertEqual(line.outcome, "proposed")

    def test_bank_line_from_another_customers_account_is_not_applied_in_a_chunk(self):
        """As above with the bank account: the line naming Initech's invoice comes from Globex's account; Globex's
        chunk paid everything Globex owed, and its account was no longer known to the "no customer" chunk."""
        self.env["res.partner.bank"].create({"partner_id": self.other_customer.id, "acc_number": "BE71096123456769"})
        line = self._run_with_first_line(account_number="BE71 0961 2345 6769")
        self.assertEqual(line.outcome, "proposed")
        self.assertIn("the bank account is that of Globex Stores", line.reasons)
