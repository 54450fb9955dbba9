from odoo.tests import tagged

from odoo.addons.billing_specialist.tests.chunks_common import RunChunksCommon

from .common import PerformAll, trap_jobs


@tagged("post_install", "-at_install")
class TestQueueChunks(PerformAll, RunChunksCommon):
    """A large matching run as queue jobs: one job per chunk ready to run, on root.billing."""

    def test_chunks_ready_to_run_are_jobs_on_root_billing(self):
        with trap_jobs() as trap:
            run = self._start()
            chunks = run.chunk_ids.sorted("sequence")
            # Acme's first chunk, Globex's and Initech's; Acme's second waits for its first, the rest for all.
            trap.assert_jobs_count(3)
            for chunk in chunks[0] | chunks[2] | chunks[3]:
                trap.assert_enqueued_job(
                    chunk._billing_process_job,
                    properties={"channel": "root.billing", "identity_key": f"billing-chunk-{chunk.id}-0"},
                )
            self.assertFalse(run.line_ids, "nothing is applied before the jobs run")
            trap.perform_enqueued_jobs()
            self.assertEqual(chunks.mapped("state"), ["done", "pending", "done", "done", "pending"])
            trap.assert_enqueued_job(chunks[1]._billing_process_job, properties={"channel": "root.billing"})
            self._perform_all(trap)
        self.assertEqual(chunks.mapped("state"), ["done"] * 5)
        self.assertEqual(run.state, "done")
        self.assertEqual((run.source_count, run.applied_count), (7, 6))
        self.assertEqual(self._residuals(), [0.0] * 6)

    def test_job_performed_twice_applies_nothing_twice(self):
        with trap_jobs() as trap:
            run = self._start()
            job = trap.enqueued_jobs[0]
            trap.perform_enqueued_jobs()
            partials = run.line_ids.partial_ids
            lines = run.line_ids
            job.perform()  # the job runner retrying a job it thinks failed
            chunk = run.chunk_ids.sorted("sequence")[0]
            chunk.sudo().state = "pending"  # even with the chunk's state lost
            job.perform()
        self.assertEqual(run.line_ids, lines)
        self.assertEqual(run.line_ids.partial_ids, partials)
        self.assertEqual(chunk.attempts, 2, "the second run of the chunk found its sources no longer pending")

    def test_identity_key_enqueues_a_waiting_chunk_once(self):
        run = self._start()  # jobs stored for real (no trap): planning enqueued the ready chunks
        chunk = run.chunk_ids.sorted("sequence")[:1]
        chunk._billing_dispatch()
        self.env["billing.run.chunk"]._cron_process()
        jobs = self.env["queue.job"].sudo().search([("identity_key", "=", f"billing-chunk-{chunk.id}-0")])
        self.assertEqual(len(jobs), 1)
        self.assertEqual(
            (jobs.channel, jobs.method_name, jobs.records), ("root.billing", "_billing_process_job", chunk)
        )
        self.assertEqual(jobs.job_function_id._parse_retry_pattern(), {1: 10, 5: 60, 10: 300})

    def test_a_chunk_whose_job_is_running_gets_no_second_job(self):
        run = self._start()  # jobs stored for real
        chunk = run.chunk_ids.sorted("sequence")[:1]
        key = f"billing-chunk-{chunk.id}-0"
        job = self.env["queue.job"].sudo().search([("identity_key", "=", key)])
        job.state = "started"  # its worker runs it; the chunk reads "pending" until that transaction commits
        self.env["billing.run.chunk"]._cron_process()
        chunk._billing_dispatch()
        self.assertEqual(self.env["queue.job"].sudo().search([("identity_key", "=", key)]), job)

    def test_failing_chunk_leaves_the_others_applied_and_the_run_resumable(self):
        with trap_jobs() as trap:
            run = self._start()
            chunks = run.chunk_ids.sorted("sequence")
            hints = chunks[2].hints
            chunks[2].sudo().hints = {"broken": True}  # this chunk's work raises (KeyError) when processed
            self._perform_all(trap)
            self.assertEqual(chunks.mapped("state"), ["done", "done", "failed", "done", "pending"])
            self.assertEqual(self._residuals(), [0.0, 0.0, 0.0, 500.0, 0.0, 0.0])
            self.assertEqual(run.state, "running")
            chunks[2].sudo().hints = hints
            chunks[2].with_user(self.specialist).action_retry()
            trap.assert_enqueued_job(
                chunks[2]._billing_process_job, properties={"identity_key": f"billing-chunk-{chunks[2].id}-1"}
            )
            self._perform_all(trap)
        self.assertEqual(chunks.mapped("state"), ["done"] * 5)
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)

    def test_undo_takes_back_every_chunk(self):
        with trap_jobs() as trap:
            run = self._start()
            self._perform_all(trap)
        self.assertEqual(run.applied_count, 6)
        run.with_user(self.specialist).action_undo()
        self.assertEqual(run.state, "undone")
        self.assertEqual(self._residuals(), [100.0, 101.0, 102.0, 500.0, 700.0, 321.0])

    def test_cron_enqueues_and_finishes_runs_but_applies_nothing(self):
        Chunk = self.env["billing.run.chunk"]
        with trap_jobs() as trap:
            run = self._start()
            planned = sorted(job.identity_key for job in trap.enqueued_jobs)
            trap.enqueued_jobs = []  # trapped jobs are not stored: the cron enqueues the same ones again
            Chunk._cron_process()
            self.assertEqual(sorted(job.identity_key for job in trap.enqueued_jobs), planned)
            self.assertFalse(run.line_ids)
            self._perform_all(trap)
        # Two workers ending the last chunks at once: neither saw the other's done, the run stays in progress.
        run.sudo().state = "running"
        Chunk._cron_process()
        self.assertEqual(run.state, "done")
