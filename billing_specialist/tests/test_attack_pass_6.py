"""Attack pass on issue 14 (large runs in chunks, queue_job glue): a chunk processed long after its run was planned,
a second run planned while one is in progress, and a chunk left waiting by a run that is no longer in progress. Each
test replays the attack through the entry point a client or the scheduler has and proves nothing wrong is written."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .chunks_common import FollowupChunksCommon, RunChunksCommon
from .test_run_chunks_followup_billing import BROKEN_REFS


@tagged("post_install", "-at_install")
class TestAttackPass6Followup(FollowupChunksCommon):
    def _invoice_of(self, partner):
        return self.env["account.move"].search([("partner_id", "=", partner.id), ("move_type", "=", "out_invoice")])

    def test_followup_chunk_retried_after_the_customer_paid_sends_nothing(self):
        """A chunk sent the letter planned hours (or days, on retry) before: a customer who paid meanwhile was
        chased for an invoice already settled, and the invoice recorded at a level it was never due for."""
        run = self._send_run()
        chunks = run.chunk_ids.sorted("sequence")
        refs = chunks[1].source_refs  # Initech's chunk
        chunks[1].sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done", "failed"])
        invoice = self._invoice_of(self.third_customer)
        self._pay(invoice, invoice.amount_total)
        chunks[1].sudo().source_refs = refs
        chunks[1].with_user(self.specialist).action_retry()
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertFalse(self._mails(self.third_customer), "paid since planning: nothing to chase")
        line = run.line_ids.filtered(lambda rec: rec.partner_id == self.third_customer)
        self.assertEqual(line.outcome, "nothing")
        self.assertIn("since the run was planned", line.result)
        self.assertFalse(invoice.billing_followup_level_id)
        self.assertEqual(len(self._mails()), 2, "the customers still due are sent once each")

    def test_followup_chunk_sends_what_is_due_when_it_runs(self):
        """A customer who paid part of an invoice between planning and its chunk is chased for the rest only."""
        run = self._send_run()
        invoice = self._invoice_of(self.third_customer)
        self._pay(invoice, 40.0)
        self._drain()
        line = run.line_ids.filtered(lambda rec: rec.partner_id == self.third_customer)
        self.assertEqual(line.outcome, "emailed")
        self.assertAlmostEqual(line.amount_due, 60.0)
        self.assertEqual(len(self._mails(self.third_customer)), 1)


@tagged("post_install", "-at_install")
class TestAttackPass6Matching(RunChunksCommon):
    def test_run_now_plans_no_second_run_while_one_is_in_progress(self):
        """Run Now while a large run's chunks wait planned a second run over the same customers: two chunks of one
        customer could then run at once (the scheduled action already left a busy company alone)."""
        run = self._start()
        Run = self.env["billing.match.run"]
        with self.assertRaisesRegex(UserError, "still in progress"):
            Run.with_user(self.specialist).action_run_now()
        self.assertEqual(Run.search([("company_id", "=", self.company.id)]), run)
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        Run.with_user(self.specialist).action_run_now()  # once done, a new run may start
        self.assertEqual(Run.search_count([("company_id", "=", self.company.id)]), 2)

    def test_waiting_chunk_of_a_run_no_longer_in_progress_blocks_no_other_run(self):
        """A failed chunk retried while its run was undone (two transactions at once) was left waiting for good: the
        chunk cron picked it first on every call, did nothing, and never reached any other run's chunks."""
        run = self._start()
        chunks = run.chunk_ids.sorted("sequence")
        run.sudo().state = "undone"  # the undo committed, the retry's "waiting" too
        other = self._start()
        self.assertNotEqual(other, run)
        self.assertFalse(chunks[0]._billing_ready(), "its run is no longer in progress")
        self._drain()
        self.assertEqual(other.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        self.assertEqual(set(chunks.mapped("state")), {"pending"})
        self.assertFalse(run.line_ids, "the undone run applies nothing")
        with self.assertRaisesRegex(UserError, "undone or finished"):
            chunks[0].sudo().state = "failed"
            chunks[0].with_user(self.specialist).action_retry()
