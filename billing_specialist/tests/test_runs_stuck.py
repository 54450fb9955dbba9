"""Issue 21, class 9: runs that can get stuck. A chunked run whose starter lost the billing role is retried as the
manager who retries it, a manager cancels the rest of a run (the chunks done stay applied and undoable), managers are
told of a failed chunk, and the database keeps one large run in progress per company (see also
``test_runs_stuck_concurrency.py`` for two starts whose snapshots cross)."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .chunks_common import FollowupChunksCommon, InvoiceRunChunksCommon, RunChunksCommon
from .test_run_chunks_followup_billing import BROKEN_REFS


@tagged("post_install", "-at_install")
class TestStuckMatchRun(RunChunksCommon):
    def _lose_role(self, user):
        user.groups_id -= self.env.ref("billing_specialist.group_billing_user")

    def test_starter_lost_the_role_manager_retry_runs_as_the_manager(self):
        run = self._start().with_env(self.env)
        chunks = run.chunk_ids.sorted("sequence")
        self._lose_role(self.specialist)
        self._drain()
        failed = chunks.filtered(lambda chunk: chunk.state == "failed")
        self.assertEqual(len(failed), 3, "each runs as the ex-specialist")
        self.assertEqual(set((chunks - failed).mapped("state")), {"pending"}, "the others wait for them")
        self.assertEqual(self._residuals(), [100.0, 101.0, 102.0, 500.0, 700.0, 321.0], "nothing half-applied")
        # The managers are told, on the run's chatter (their inbox), which chunk failed and why.
        notes = run.message_ids.filtered(lambda message: "failed" in (message.body or ""))
        self.assertEqual(len(notes), len(failed))
        self.assertIn(self.manager.partner_id, notes.partner_ids)
        self.assertNotIn(self.specialist.partner_id, notes.partner_ids)
        # The ex-specialist can retry nothing any more; the manager's retry runs as the manager.
        with self.assertRaises(AccessError):
            failed[0].with_user(self.specialist).action_retry()
        failed.with_user(self.manager).action_retry()
        self.assertEqual(set(chunks.mapped("user_id")), {self.manager})
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done"] * len(chunks))
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        self.assertTrue(run.message_ids.filtered(lambda message: "now run as" in (message.body or "")))

    def test_manager_cancels_the_rest_done_chunks_stay_and_undo(self):
        run = self._start().with_env(self.env)
        chunks = run.chunk_ids.sorted("sequence")
        self.env["billing.run.chunk"]._cron_process()  # one chunk done: the first customers' payments applied
        self.assertEqual(chunks.mapped("state").count("done"), 1)
        applied = self._residuals()
        self.assertEqual(applied.count(0.0), 2)
        with self.assertRaises(AccessError):  # a specialist, the starter too, does not cancel a run
            run.with_user(self.specialist).action_billing_cancel_rest()
        self.assertFalse(run.with_user(self.specialist).can_cancel_rest)
        self.assertTrue(run.with_user(self.manager).can_cancel_rest)
        chunks[1].sudo().state = "running"  # being processed (its state is only ever seen so inside its transaction)
        with self.assertRaisesRegex(UserError, "being processed"):
            run.with_user(self.manager).action_billing_cancel_rest()
        chunks[1].sudo().state = "pending"
        run.with_user(self.manager).action_billing_cancel_rest()
        self.assertEqual(run.state, "partial")
        self.assertEqual(chunks.mapped("state"), ["done"] + ["cancelled"] * (len(chunks) - 1))
        self.assertEqual(self._residuals(), applied, "what the done chunk applied stays")
        self.assertEqual(run.kept_count, 2)
        self._drain()  # nothing left to process
        self.assertEqual(self._residuals(), applied)
        with self.assertRaisesRegex(UserError, "not in progress"):
            run.with_user(self.manager).action_billing_cancel_rest()
        # The company's matching goes on: a new run starts; the partly done run is undone as usual.
        run.with_user(self.specialist).action_undo()
        self.assertEqual(run.state, "undone")
        self.assertEqual(self._residuals(), [100.0, 101.0, 102.0, 500.0, 700.0, 321.0])

    def test_cancel_before_any_chunk_is_done_ends_cancelled_and_unblocks_the_company(self):
        run = self._start()
        with self.assertRaisesRegex(UserError, "still in progress"):
            self._start()
        run.with_user(self.manager).action_billing_cancel_rest()
        self.assertEqual(run.state, "cancelled")
        self.assertEqual(run.kept_count, 0)
        second = self._start()  # replaced
        self._drain()
        self.assertEqual(second.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)

    def test_database_refuses_a_second_large_run_of_the_company(self):
        """Past the Python checks (another transaction's run they could not see): the partial unique index."""
        run = self._start()
        other = self.env["billing.match.run"].sudo().create({"company_id": self.company.id})
        with self.assertRaisesRegex(UserError, "Another large payment matching run of .* is in progress"):
            other._billing_write_running({"state": "running"})
        self.assertEqual(run.state, "running")
        company = self.env["res.company"].create({"name": "Second Company Ltd"})
        other2 = self.env["billing.match.run"].sudo().create({"company_id": company.id})
        other2._billing_write_running({"state": "running"})  # another company's run is its own


@tagged("post_install", "-at_install")
class TestStuckFollowupRun(FollowupChunksCommon):
    def test_failed_chunk_told_cancel_rest_partly_sent(self):
        run = self._send_run()
        chunks = run.chunk_ids.sorted("sequence")
        chunks[1].sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done", "failed"])
        self.assertIn(self.manager.partner_id, run.message_ids.partner_ids)
        other = self.env["billing.followup.run"].sudo().create({"company_id": self.company.id})
        with self.assertRaisesRegex(UserError, "is in progress"):
            other._billing_write_running({"state": "running"})
        run.with_user(self.manager).action_billing_cancel_rest()
        self.assertEqual(run.state, "partial")
        self.assertEqual(chunks.mapped("state"), ["done", "cancelled"])
        self.assertEqual(len(self._mails()), 2, "the done chunk's customers were sent, the rest not")
        other._billing_write_running({"state": "running"})  # the company may run again


@tagged("post_install", "-at_install")
class TestStuckInvoiceRun(InvoiceRunChunksCommon):
    def test_failed_chunk_told_cancel_rest_run_again(self):
        run = self._start_run()
        chunks = run.chunk_ids.sorted("sequence")
        chunks[2].sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done", "done", "failed"])
        self.assertIn(self.manager.partner_id, run.message_ids.partner_ids)
        # A second large run of the company is refused by the database; a small one queued beside it is not.
        other = self.env["billing.invoice.run"].sudo().create({"company_id": self.company.id})
        with self.assertRaisesRegex(UserError, "is in progress"):
            other._billing_write_running({"state": "running", "chunked": True})
        other._billing_write_running({"state": "running"})
        run.with_user(self.manager).action_billing_cancel_rest()
        self.assertEqual(run.state, "partial")
        self.assertEqual(self.drafts.mapped("state"), ["posted"] * 3 + ["draft"] * 2)
        self.assertEqual(run.pending_count, 2)
        run.with_user(self.specialist).action_run()  # the invoices left, run again
        self._drain()
        self.assertEqual(set(self.drafts.mapped("state")), {"posted"})
