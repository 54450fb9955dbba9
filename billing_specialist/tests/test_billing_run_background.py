import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestBillingRunBackground(CommittedFixtureCase):
    """A billing run of two customers' drafts processed in the background, in real transactions: by the scheduled
    action batch by batch, or in chunks side by side (queue jobs)."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            partners = env["res.partner"].create(
                [
                    {
                        "name": f"Background Run Customer {number}",
                        "is_company": True,
                        "email": f"ap{number}@background.example.com",
                    }
                    for number in (1, 2)
                ]
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.today(),
                        "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for partner in partners
                ]
            )
            run = env["billing.invoice.run"]._create_for_invoices(moves)
            run.sudo().write({"state": "running", "started_uid": env.uid})
            self.ids = {
                "partners": partners.ids,
                "moves": moves.ids,
                "run": run.id,
                "lines": [run.line_ids.filtered(lambda line, m=move: line.move_id == m).id for move in moves],
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.run.chunk"].search([("invoice_run_id", "=", self.ids["run"])]).unlink()
            run = env["billing.invoice.run"].browse(self.ids["run"])
            run.sudo().write({"state": "done"})
            run.unlink()
            moves = env["account.move"].browse(self.ids["moves"])
            moves.filtered(lambda move: move.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()

    def _scheduled_action(self, errors):
        """The scheduled action's processing of the run (not in chunks), one invoice a batch, each committed."""
        try:
            with self.registry.cursor() as cr:
                run = api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"].browse(self.ids["run"])
                run._process(run.line_ids, commit=True)
        except Exception as error:  # pylint: disable=broad-exception-caught  # reported by the test
            errors.append(error)

    def _first_batch_committed(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with self.registry.cursor() as cr:
                cr.execute("SELECT outcome FROM billing_invoice_run_line WHERE id = %s", [self.ids["lines"][0]])
                if cr.fetchone()[0] != "pending":
                    return
            time.sleep(0.2)
        self.fail("the scheduled action never committed its first batch")

    def test_click_on_run_between_two_committed_batches_is_refused(self):
        """The run's lock is a row lock, which a commit releases: it is taken again after each batch. Without that,
        a click on Run processed the same invoices as the scheduled action, side by side (here it waits on the
        invoice the action is posting, until its lock timeout)."""
        errors = []
        Run = self.registry["billing.invoice.run"]
        with patch.object(Run, "_BATCH_SIZE", 1), self.registry.cursor() as holder:
            # Someone edits the second invoice: the scheduled action's second batch waits for them.
            holder.execute("SELECT id FROM account_move WHERE id = %s FOR UPDATE", [self.ids["moves"][1]])
            action = threading.Thread(target=self._scheduled_action, args=(errors,))
            action.start()
            try:
                self._first_batch_committed()
                with self.registry.cursor() as cr:  # the click on Run, meanwhile
                    cr.execute("SET LOCAL lock_timeout = '2s'")
                    run = api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"].browse(self.ids["run"])
                    with self.assertRaisesRegex(UserError, "being processed right now"):
                        run.action_run()
                    cr.rollback()
            finally:
                holder.rollback()
                action.join(60)
        self.assertFalse(action.is_alive())
        self.assertEqual(errors, [])
        with self.registry.cursor() as cr:
            run = api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"].browse(self.ids["run"])
            self.assertEqual(run.line_ids.mapped("outcome"), ["posted_sent", "posted_sent"])
            self.assertEqual(run.state, "done")
            self.assertEqual(run.sent_count, 2)

    def test_two_chunks_processed_side_by_side_are_both_done(self):
        """Two queue jobs process the run's two chunks at once: the second began before the first committed. Each
        chunk updated the run's counts: the second failed on a concurrent update (retried, all its invoices posted
        and sent again). The counts are now computed once, when the last chunk is done."""
        with self.committed_env() as env:  # a chunk per customer
            run = env["billing.invoice.run"].browse(self.ids["run"])
            by_customer = {line.move_id.partner_id.id: list(line) for line in run.line_ids}
            chunk_ids = env["billing.run.chunk"]._billing_plan(run, by_customer, [], 1).ids
        with self.registry.cursor() as second:
            second.execute("SELECT 1 FROM billing_run_chunk WHERE id = %s", [chunk_ids[1]])  # its snapshot
            with self.registry.cursor() as first:
                chunk = api.Environment(first, SUPERUSER_ID, {})["billing.run.chunk"].browse(chunk_ids[0])
                self.assertTrue(chunk._billing_process())
            chunk = api.Environment(second, SUPERUSER_ID, {})["billing.run.chunk"].browse(chunk_ids[1])
            self.assertTrue(chunk._billing_process())
        with self.registry.cursor() as cr:  # neither saw the other's chunk done: the chunk cron finishes the run
            env = api.Environment(cr, SUPERUSER_ID, {})
            run = env["billing.invoice.run"].browse(self.ids["run"])
            self.assertEqual(run.state, "running")
            env["billing.run.chunk"]._billing_finish_runs()
        with self.registry.cursor() as cr:
            run = api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"].browse(self.ids["run"])
            self.assertEqual(run.state, "done")
            self.assertEqual(run.line_ids.mapped("outcome"), ["posted_sent", "posted_sent"])
            self.assertEqual(run.line_ids.move_id.mapped("state"), ["posted", "posted"])
            self.assertEqual((run.invoice_count, run.pending_count, run.sent_count), (2, 0, 2))

    def test_scheduled_action_leaves_a_run_another_transaction_processes(self):
        """A click on Run holds the run (its lock) while it posts: the scheduled action leaves the run for its next
        call instead of posting the same invoices (here it would wait on the run's row until its lock timeout)."""
        with self.registry.cursor() as click:
            click.execute("SELECT id FROM billing_invoice_run WHERE id = %s FOR UPDATE", [self.ids["run"]])
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '2s'")
                api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"]._cron_process()
            click.rollback()
        with self.registry.cursor() as cr:
            run = api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"].browse(self.ids["run"])
            self.assertEqual(run.line_ids.mapped("outcome"), ["pending", "pending"])
            self.assertEqual(run.line_ids.move_id.mapped("state"), ["draft", "draft"])
            self.assertEqual(run.state, "running", "the next call takes it")

    def test_chunk_another_transaction_processes_is_left_alone(self):
        """A queue job (or the chunk cron) holds the chunk while it processes it: a second job for the same chunk
        leaves it alone at once, posts and sends nothing (here it would wait on the chunk's row until its lock
        timeout), and the chunk is processed once."""
        with self.committed_env() as env:
            run = env["billing.invoice.run"].browse(self.ids["run"])
            by_customer = {line.move_id.partner_id.id: list(line) for line in run.line_ids}
            chunk_id = env["billing.run.chunk"]._billing_plan(run, by_customer, [], 2).id  # one chunk
        with self.registry.cursor() as holder:
            holder.execute("SELECT id FROM billing_run_chunk WHERE id = %s FOR UPDATE", [chunk_id])
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '2s'")
                self.assertFalse(
                    api.Environment(cr, SUPERUSER_ID, {})["billing.run.chunk"].browse(chunk_id)._billing_process()
                )
            holder.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            run = env["billing.invoice.run"].browse(self.ids["run"])
            self.assertEqual(run.line_ids.mapped("outcome"), ["pending", "pending"])
            self.assertEqual(run.line_ids.move_id.mapped("state"), ["draft", "draft"])
            chunk = env["billing.run.chunk"].browse(chunk_id)
            self.assertEqual((chunk.state, chunk.attempts), ("pending", 0))
            self.assertTrue(chunk._billing_process(), "once released, it is processed")
            self.assertEqual(run.line_ids.mapped("outcome"), ["posted_sent", "posted_sent"])

    def test_click_on_run_of_a_queued_run_the_action_holds_is_refused_at_once(self):
        """A run too big for the foreground goes to the scheduled action; a click on Run while the action holds the
        run is refused at once ("being processed"), not left waiting on the run's row until a lock timeout."""
        Run = self.registry["billing.invoice.run"]
        with patch.object(Run, "_FOREGROUND_LIMIT", 0), self.registry.cursor() as action:
            action.execute("SELECT id FROM billing_invoice_run WHERE id = %s FOR UPDATE", [self.ids["run"]])
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '5s'")
                run = api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"].browse(self.ids["run"])
                started = time.monotonic()
                with self.assertRaisesRegex(UserError, "being processed right now"):
                    run.action_run()
                self.assertLess(time.monotonic() - started, 4, "refused at once, not after the lock timeout")
                cr.rollback()
            action.rollback()
