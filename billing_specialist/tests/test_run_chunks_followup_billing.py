from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .chunks_common import FollowupChunksCommon, InvoiceRunChunksCommon

BROKEN_REFS = [["billing.no.such.model", 1]]  # a chunk whose work raises (KeyError) when processed


@tagged("post_install", "-at_install")
class TestFollowupRunChunks(FollowupChunksCommon):
    """A follow-up run above the chunk size: its customers sent in chunks, each committed on its own."""

    def test_large_followup_run_is_sent_in_chunks_by_customer(self):
        run = self._send_run()
        self.assertEqual(run.state, "running")
        self.assertEqual(len(run.line_ids), 3)
        self.assertFalse(self._mails(), "planned only: the chunk cron sends")
        chunks = run.chunk_ids.sorted("sequence")
        self.assertEqual(chunks.mapped("source_count"), [2, 1])
        self.assertEqual(
            [c.partner_ids for c in chunks],
            [sorted((self.customer | self.other_customer).ids), self.third_customer.ids],
        )
        self.assertEqual(chunks.mapped("followup_run_id"), run)
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.chunk_done_count, run.chunk_failed_count, run.chunk_remaining_count), (2, 0, 0))
        self.assertEqual(set(run.line_ids.mapped("outcome")), {"emailed"})
        for partner in self.customers:
            self.assertEqual(len(self._mails(partner)), 1, partner.name)
        self.assertEqual(run.emailed_count, 3)

    def test_followup_chunk_processed_twice_sends_nothing_twice(self):
        run = self._send_run()
        first = run.chunk_ids.sorted("sequence")[0]
        self.assertTrue(first._billing_process())
        mails = self._mails()
        self.assertEqual(len(mails), 2)
        self.assertTrue(first._billing_process(), "a done chunk is a no-op")
        first.sudo().state = "pending"  # its state lost (a retried job): the lines say who was sent
        first._billing_process()
        self.assertEqual(first.attempts, 2)
        self.assertEqual(self._mails(), mails)
        self._drain()
        self.assertEqual(len(self._mails()), 3)
        self.assertEqual(run.state, "done")

    def test_failing_followup_chunk_leaves_the_others_sent_and_retries_alone(self):
        run = self._send_run()
        chunks = run.chunk_ids.sorted("sequence")
        refs = chunks[0].source_refs
        chunks[0].sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["failed", "done"])
        self.assertEqual(self._mails().res_id, self.third_customer.id, "the failed chunk was rolled back whole")
        self.assertEqual((run.state, run.chunk_failed_count), ("running", 1))
        with self.assertRaisesRegex(UserError, "still being sent"):
            self._send_run()  # no second run of the company while this one sends
        self.env["billing.followup.run"]._cron_run()  # the daily run leaves the company alone meanwhile
        self.assertEqual(self.env["billing.followup.run"].search_count([("company_id", "=", self.company.id)]), 2)
        chunks[0].sudo().source_refs = refs  # the cause fixed
        chunks[0].with_user(self.specialist).action_retry()
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done", "done"])
        self.assertEqual(run.state, "done")
        for partner in self.customers:
            self.assertEqual(len(self._mails(partner)), 1, partner.name)


@tagged("post_install", "-at_install")
class TestInvoiceRunChunks(InvoiceRunChunksCommon):
    """A billing run above the chunk size: invoices grouped by customer in chunks, each committed on its own."""

    def test_large_billing_run_is_processed_in_chunks_by_customer(self):
        run = self._start_run()
        self.assertEqual(run.state, "running")
        self.assertEqual(set(self.drafts.mapped("state")), {"draft"}, "planned only: the chunk cron posts")
        chunks = run.chunk_ids.sorted("sequence")
        self.assertEqual(chunks.mapped("source_count"), [2, 1, 2])
        self.assertEqual(
            [c.partner_ids for c in chunks],
            [self.customer.ids, self.customer.ids, sorted((self.other_customer | self.third_customer).ids)],
        )
        self.assertEqual(chunks[1].after_id, chunks[0], "one customer's chunks run one after the other")
        self.assertEqual(chunks.mapped("invoice_run_id"), run)
        with self.assertRaisesRegex(UserError, "processed in chunks"):
            run.with_user(self.specialist).action_run()
        self.env["billing.invoice.run"]._cron_process()  # the batch action leaves a chunked run to its chunks
        self.assertEqual(set(self.drafts.mapped("state")), {"draft"})
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual(set(self.drafts.mapped("state")), {"posted"})
        self.assertEqual((run.sent_count, run.pending_count, run.chunk_done_count), (5, 0, 3))
        self.assertEqual(len(self._emails()), 5)
        self.assertIn("is done: 5 invoices", run.message_ids[0].body)

    def test_billing_chunk_processed_twice_posts_and_sends_nothing_twice(self):
        run = self._start_run()
        first = run.chunk_ids.sorted("sequence")[0]
        self.assertTrue(first._billing_process())
        lines = run.line_ids.filtered(lambda line: line.outcome == "posted_sent")
        self.assertEqual(len(lines), 2)
        names, emails = lines.move_id.mapped("name"), self._emails()
        first.sudo().state = "pending"  # its state lost (a retried job): the lines say what was done
        first._billing_process()
        self.assertEqual(first.attempts, 2)
        self.assertEqual(lines.mapped("outcome"), ["posted_sent"] * 2)
        self.assertEqual((lines.move_id.mapped("name"), self._emails()), (names, emails))
        self._drain()
        self.assertEqual(len(self._emails()), 5)

    def test_failing_billing_chunk_leaves_the_others_done_and_retries_alone(self):
        run = self._start_run()
        chunks = run.chunk_ids.sorted("sequence")
        refs = chunks[2].source_refs
        chunks[2].sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done", "done", "failed"])
        globex_initech = self.drafts[3:]
        self.assertEqual(self.drafts.mapped("state"), ["posted"] * 3 + ["draft"] * 2)
        self.assertEqual(run.state, "running")
        self.assertEqual(len(run.line_ids.filtered(lambda line: line.outcome == "pending")), 2)
        chunks[2].sudo().source_refs = refs
        chunks[2].with_user(self.specialist).action_retry()
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.pending_count, run.sent_count), (0, 5), "counted once every chunk is done")
        self.assertEqual(set(globex_initech.mapped("state")), {"posted"})
        self.assertEqual(len(self._emails()), 5, "one e-mail per invoice")

    def test_daily_run_above_the_chunk_size_goes_in_chunks(self):
        Run = self.env["billing.invoice.run"]
        Run._cron_due_today()
        run = Run.search([("line_ids.move_id", "in", self.drafts.ids)])
        self.assertEqual((run.state, len(run.line_ids), run.chunk_ids), ("running", 5, run.chunk_ids.browse()))
        Run._cron_process()  # the background action plans it in chunks instead of batches
        self.assertEqual(run.chunk_ids.mapped("source_count"), [2, 1, 2])
        self.assertEqual(set(self.drafts.mapped("state")), {"draft"})
        self._drain()
        self.assertEqual((run.state, run.sent_count), ("done", 5))


@tagged("post_install", "-at_install")
class TestFollowupChunkSendsWhatIsDueWhenItRuns(FollowupChunksCommon):
    """A follow-up chunk processed long after its run was planned (a retry, a slow queue): a customer who paid
    meanwhile is not chased, a previewed letter gone stale is not sent, and the run says why."""

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
        self.assertEqual(line.outcome, "changed", "a previewed customer who paid since: not sent, and said so")
        self.assertIn("since the run was planned", line.result)
        self.assertFalse(invoice.billing_followup_level_id)
        self.assertEqual(len(self._mails()), 2, "the customers still due are sent once each")

    def test_followup_chunk_sends_what_is_due_when_it_runs(self):
        """A customer who paid part of an invoice between planning and its chunk: the scheduled run (no preview)
        chases the rest only; a previewed run does not send the previewed letter, now stale, and says why."""
        run = self.env["billing.followup.run"].sudo()._run_company(self.company)
        self.assertEqual(run.state, "running")
        invoice = self._invoice_of(self.third_customer)
        self._pay(invoice, 40.0)
        self._drain()
        line = run.line_ids.filtered(lambda rec: rec.partner_id == self.third_customer)
        self.assertEqual(line.outcome, "emailed")
        self.assertAlmostEqual(line.amount_due, 60.0)
        self.assertEqual(len(self._mails(self.third_customer)), 1)

    def test_previewed_followup_chunk_does_not_send_a_stale_letter(self):
        run = self._send_run()
        invoice = self._invoice_of(self.third_customer)
        self._pay(invoice, 40.0)
        self._drain()
        line = run.line_ids.filtered(lambda rec: rec.partner_id == self.third_customer)
        self.assertEqual(line.outcome, "changed")
        self.assertIn("amount followed up", line.result)
        self.assertFalse(self._mails(self.third_customer))
        self.assertFalse(invoice.billing_followup_level_id)


@tagged("post_install", "-at_install")
class TestLargeBillingRunsAreGuarded(InvoiceRunChunksCommon):
    """A large billing run attacked: an invoice posted by hand before a chunk's retry, a delete while it runs, its
    ``chunked`` flag written by a specialist (it would take a running large run out of the database's
    one-per-company index, or block the company's large runs)."""

    def test_billing_chunk_retried_after_an_invoice_was_posted_by_hand_skips_it(self):
        """Held: an invoice posted by hand between a chunk's failure and its retry is neither posted nor sent again."""
        run = self._start_run()
        chunks = run.chunk_ids.sorted("sequence")
        last = chunks[-1]  # Globex's and Initech's invoices
        refs = last.source_refs
        last.sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertEqual(last.state, "failed")
        globex = self.drafts.filtered(lambda move: move.partner_id == self.other_customer)
        globex.action_post()
        last.sudo().source_refs = refs
        last.with_user(self.specialist).action_retry()
        self._drain()
        self.assertEqual(run.state, "done")
        line = run.line_ids.filtered(lambda rec: rec.move_id == globex)
        self.assertEqual(line.outcome, "skipped")
        self.assertFalse(self._emails(globex))
        self.assertEqual(len(self._emails(self.drafts - globex)), 4)

    def test_billing_run_still_running_is_not_deleted(self):
        run = self._start_run()
        self.assertEqual(run.state, "running")
        with self.assertRaisesRegex(UserError, "still running"):
            run.with_user(self.manager).unlink()
        self.assertTrue(run.exists() and run.chunk_ids)
        self._drain()
        self.assertEqual(run.state, "done")
        run.with_user(self.manager).unlink()
        self.assertFalse(run.exists())

    def test_a_specialist_cannot_write_chunked(self):
        run = self._start_run()
        self.assertEqual((run.state, run.chunked), ("running", True))
        Run = self.env["billing.invoice.run"].with_user(self.specialist)
        for vals in ({"chunked": False}, {"chunked": True, "name": "x"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                run.with_user(self.specialist).write(vals)
        self.assertTrue(run.chunked)
        with self.assertRaises(AccessError):
            Run.create({"company_id": self.company.id, "chunked": True})
        created = Run.with_context(default_chunked=True).create({"company_id": self.company.id})
        self.assertFalse(created.chunked, "a client's default is ignored")
        # The second large run is still refused by the database.
        other = self.env["billing.invoice.run"].sudo().create({"company_id": self.company.id})
        with self.assertRaises(UserError):
            other._billing_write_running({"state": "running", "chunked": True})
