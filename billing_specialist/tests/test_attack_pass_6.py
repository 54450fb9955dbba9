"""Attack pass on issue 14 (large runs in chunks, queue_job glue): a chunk processed long after its run was planned,
a second run planned while one is in progress, and a chunk left waiting by a run that is no longer in progress. Each
test replays the attack through the entry point a client or the scheduler has and proves nothing wrong is written."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..models.billing_run_chunk import CHUNK_SIZE_PARAM, DEFAULT_CHUNK_SIZE
from .chunks_common import FollowupChunksCommon, InvoiceRunChunksCommon, RunChunksCommon
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

    def test_billing_manager_of_another_company_can_neither_read_nor_retry_a_chunk(self):
        """Held: the chunks' company rule, through the chunk and through its run's Chunks tab."""
        other = self.env["res.company"].create({"name": "Stark Billing"})
        outsider = new_test_user(
            self.env,
            login="bs_outsider",
            company_id=other.id,
            company_ids=other.ids,
            groups="base.group_user,billing_specialist.group_billing_manager",
        )
        run = self._start()
        chunk = run.chunk_ids.sorted("sequence")[:1]
        chunk.sudo().state = "failed"
        with self.assertRaises(AccessError):
            chunk.with_user(outsider).action_retry()
        self.assertEqual(chunk.state, "failed")
        self.assertFalse(self.env["billing.run.chunk"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            run.with_user(outsider).chunk_ids.mapped("state")

    def test_chunk_size_parameter_out_of_range_is_bounded(self):
        """Held: zero or negative means one source a chunk, text the default; a huge size runs in one go."""
        Chunk, params = self.env["billing.run.chunk"], self.env["ir.config_parameter"].sudo()
        for value, size in (
            ("0", 1),
            ("-5", 1),
            ("lots", DEFAULT_CHUNK_SIZE),
            ("2.5", DEFAULT_CHUNK_SIZE),
            (" 3 ", 3),
            ("10000000000", 10000000000),
        ):
            params.set_param(CHUNK_SIZE_PARAM, value)
            self.assertEqual(Chunk._billing_chunk_size(), size, value)
        run = self._start()
        self.assertFalse(run.chunk_ids)
        self.assertEqual((run.state, run.applied_count), ("done", 6))

    def test_default_context_keys_change_no_chunk(self):
        """Held: the chunks are created as superuser, which drops a client's ``default_*`` keys."""
        self._sources()
        context = {
            "default_state": "done",
            "default_kind": "rest",
            "default_attempts": 9,
            "default_user_id": 1,
            "default_after_id": False,
            "default_date_done": "2020-01-01 00:00:00",
        }
        action = self.env["billing.match.run"].with_user(self.specialist).with_context(**context).action_run_now()
        run = self.env["billing.match.run"].browse(action["res_id"])
        self.assertEqual((run.state, run.user_id), ("running", self.specialist))
        chunks = run.chunk_ids.sorted("sequence")
        self.assertEqual(chunks.mapped("kind"), ["customer"] * 4 + ["rest"])
        self.assertEqual(set(chunks.mapped("state")), {"pending"})
        self.assertEqual((set(chunks.mapped("attempts")), chunks.user_id), ({0}, self.specialist))
        self.assertFalse(any(chunks.mapped("date_done")))


@tagged("post_install", "-at_install")
class TestAttackPass6Invoices(InvoiceRunChunksCommon):
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
