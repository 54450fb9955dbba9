from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.billing_specialist.tests.chunks_common import RunChunksCommon

from .common import PerformAll, trap_jobs


@tagged("post_install", "-at_install")
class TestQueueStuckRuns(PerformAll, RunChunksCommon):
    """Issue 21, class 9, with queue jobs: a run whose starter lost the billing role is retried as the manager (the
    retried job runs with the manager's rights), or its rest cancelled (a cancelled chunk's job does nothing)."""

    def test_manager_retry_job_runs_as_the_manager(self):
        with trap_jobs() as trap:
            run = self._start().with_env(self.env)
            chunks = run.chunk_ids.sorted("sequence")
            self.specialist.groups_id -= self.env.ref("billing_specialist.group_billing_user")
            self._perform_all(trap)
            failed = chunks.filtered(lambda chunk: chunk.state == "failed")
            self.assertEqual(len(failed), 3)
            self.assertIn(self.manager.partner_id, run.message_ids.partner_ids, "the managers are told")
            with self.assertRaises(AccessError):
                failed[0].with_user(self.specialist).action_retry()
            failed.with_user(self.manager).action_retry()
            for chunk in failed:
                trap.assert_enqueued_job(
                    chunk._billing_process_job, properties={"identity_key": f"billing-chunk-{chunk.id}-1"}
                )
            self._perform_all(trap)
        self.assertEqual(set(chunks.mapped("user_id")), {self.manager})
        self.assertEqual(chunks.mapped("state"), ["done"] * len(chunks))
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)

    def test_cancelled_chunk_job_does_nothing(self):
        with trap_jobs() as trap:
            run = self._start().with_env(self.env)
            chunks = run.chunk_ids.sorted("sequence")
            run.with_user(self.manager).action_billing_cancel_rest()
            self.assertEqual(run.state, "cancelled")
            self._perform_all(trap)  # the jobs enqueued before the cancel
        self.assertEqual(set(chunks.mapped("state")), {"cancelled"})
        self.assertFalse(run.line_ids, "nothing applied")
        self.assertEqual(self._residuals(), [100.0, 101.0, 102.0, 500.0, 700.0, 321.0])
