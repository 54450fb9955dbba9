from odoo.tests import tagged

from odoo.addons.billing_specialist.tests.chunks_common import FollowupChunksCommon, InvoiceRunChunksCommon

from .common import PerformAll, trap_jobs


@tagged("post_install", "-at_install")
class TestQueueFollowupRun(PerformAll, FollowupChunksCommon):
    """A large follow-up run as queue jobs: one job per chunk of customers, on root.billing."""

    def test_followup_chunks_are_jobs_on_root_billing(self):
        with trap_jobs() as trap:
            run = self._send_run()
            chunks = run.chunk_ids.sorted("sequence")
            self._assert_jobs_on_root_billing(trap, chunks)
            self.assertFalse(self._mails(), "nothing is sent before the jobs run")
            self._perform_all(trap)
        self.assertEqual(chunks.mapped("state"), ["done", "done"])
        self.assertEqual(run.state, "done")
        for partner in self.customers:
            self.assertEqual(len(self._mails(partner)), 1, partner.name)

    def test_followup_job_performed_twice_sends_once(self):
        with trap_jobs() as trap:
            run = self._send_run()
            job = trap.enqueued_jobs[0]
            job.perform()
            mails = self._mails()
            self.assertEqual(len(mails), 2)
            chunk = run.chunk_ids.sorted("sequence")[0]
            chunk.sudo().state = "pending"  # the job runner retrying a job it thinks failed, the chunk's state lost
            job.perform()
            self.assertEqual(chunk.attempts, 2)
            self.assertEqual(self._mails(), mails)
            self._perform_all(trap)  # the other chunk, and this job a third time
            job.perform()  # and once more after the run is done
        self.assertEqual(run.state, "done")
        for partner in self.customers:
            self.assertEqual(len(self._mails(partner)), 1, partner.name)

    def test_failing_followup_job_leaves_the_others_sent_and_retries_alone(self):
        with trap_jobs() as trap:
            run = self._send_run()
            chunks = run.chunk_ids.sorted("sequence")
            refs = chunks[1].source_refs
            chunks[1].sudo().source_refs = [["billing.no.such.model", 1]]
            self._perform_all(trap)
            self.assertEqual(chunks.mapped("state"), ["done", "failed"])
            self.assertEqual(len(self._mails()), 2)
            chunks[1].sudo().source_refs = refs
            chunks[1].with_user(self.specialist).action_retry()
            trap.assert_enqueued_job(
                chunks[1]._billing_process_job, properties={"identity_key": f"billing-chunk-{chunks[1].id}-1"}
            )
            self._perform_all(trap)
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self._mails(self.third_customer)), 1)


@tagged("post_install", "-at_install")
class TestQueueInvoiceRun(PerformAll, InvoiceRunChunksCommon):
    """A large billing run as queue jobs: one job per chunk of customers ready to run, on root.billing."""

    def test_billing_chunks_are_jobs_on_root_billing(self):
        with trap_jobs() as trap:
            run = self._start_run()
            chunks = run.chunk_ids.sorted("sequence")
            # Acme's first chunk and the Globex/Initech one; Acme's second waits for its first.
            self._assert_jobs_on_root_billing(trap, chunks[0] | chunks[2])
            self.assertEqual(set(self.drafts.mapped("state")), {"draft"})
            self._perform_all(trap)
        self.assertEqual(chunks.mapped("state"), ["done"] * 3)
        self.assertEqual((run.state, run.sent_count), ("done", 5))
        self.assertEqual(set(self.drafts.mapped("state")), {"posted"})

    def test_billing_job_performed_twice_posts_and_sends_once(self):
        with trap_jobs() as trap:
            run = self._start_run()
            job = trap.enqueued_jobs[0]
            job.perform()
            acme = self.drafts[:2]
            names, emails = acme.mapped("name"), self._emails()
            self.assertEqual(len(emails), 2)
            chunk = run.chunk_ids.sorted("sequence")[0]
            chunk.sudo().state = "pending"  # the job runner retrying a job it thinks failed, the chunk's state lost
            job.perform()
            self.assertEqual(chunk.attempts, 2)
            self.assertEqual((acme.mapped("name"), self._emails()), (names, emails))
            self._perform_all(trap)
            job.perform()
        self.assertEqual((run.state, run.sent_count), ("done", 5))
        self.assertEqual(len(self._emails()), 5, "one e-mail per invoice")
