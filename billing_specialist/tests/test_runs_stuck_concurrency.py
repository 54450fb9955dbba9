from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .match_runs_committed import TwoPaidCustomersCommitted


@tagged("post_install", "-at_install")
class TestTwoLargeRunsAtOnce(TwoPaidCustomersCommitted):
    """Two large matching runs of one company started at once, in real transactions whose snapshots cross: the
    second began before the first committed, so it saw no run in progress, and the planning lock was free again
    once the first committed. The database's partial unique index (one running run per company) refuses the
    second with a clear message; nothing of it is kept."""

    customer_name = "Crossing Runs Customer"
    amount = 410.0

    def _runs_to_clean(self, env):
        return env["billing.match.run"].search(
            [("company_id", "=", self.ids["company"]), ("id", ">", self.ids.get("last_run", 0))]
        )

    def _start(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        payments = env["account.payment"].browse(self.ids["payments"])
        return env["billing.match.run"]._run_automatic(env["res.company"].browse(self.ids["company"]), payments)

    def test_second_start_whose_snapshot_missed_the_first_is_refused(self):
        with self.registry.cursor() as cr:
            self.ids["last_run"] = (
                api.Environment(cr, SUPERUSER_ID, {})["billing.match.run"].search([], order="id desc", limit=1).id or 0
            )
        with self.registry.cursor() as second:
            second.execute("SELECT id FROM billing_match_run WHERE state = 'running'")  # its snapshot: none running
            self.assertFalse(second.fetchall())
            with self.registry.cursor() as first:
                first_run = self._start(first)
                self.assertEqual(first_run.state, "running")
                first_id = first_run.id
            # The first committed: the planning lock is free, the second's snapshot still sees no run in progress.
            with self.assertRaisesRegex(UserError, "Another large payment matching run of .* is in progress"):
                self._start(second)
            second.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            runs = env["billing.match.run"].search(
                [("company_id", "=", self.ids["company"]), ("id", ">", self.ids["last_run"])]
            )
            self.assertEqual(runs.ids, [first_id], "one run, one set of chunks")
            self.assertEqual(len(runs.chunk_ids), 2)

    def test_rest_not_cancelled_while_a_chunk_is_being_processed(self):
        """A manager's *Cancel the Rest* while a job processes a chunk (it holds the chunk's row, its state still
        reads Waiting to others): refused at once, nothing cancelled; once the job is done, the rest is cancelled."""
        with self.registry.cursor() as cr:
            self.ids["last_run"] = (
                api.Environment(cr, SUPERUSER_ID, {})["billing.match.run"].search([], order="id desc", limit=1).id or 0
            )
        with self.registry.cursor() as cr:
            run = self._start(cr)
            run_id, chunk_ids = run.id, run.chunk_ids.sorted("sequence").ids
            admin = run.env.ref("base.user_admin").id  # a billing manager
        with self.registry.cursor() as job:
            job.execute(SQL("SELECT id FROM billing_run_chunk WHERE id = %s FOR UPDATE", chunk_ids[0]))
            with self.registry.cursor() as cr:
                manager_run = api.Environment(cr, admin, {})["billing.match.run"].browse(run_id)
                with self.assertRaisesRegex(UserError, "being processed"):
                    manager_run.action_billing_cancel_rest()
                cr.rollback()
            api.Environment(job, SUPERUSER_ID, {})["billing.run.chunk"].browse(chunk_ids[0])._billing_process()
        with self.registry.cursor() as cr:
            api.Environment(cr, admin, {})["billing.match.run"].browse(run_id).action_billing_cancel_rest()
        with self.registry.cursor() as cr:
            run = api.Environment(cr, SUPERUSER_ID, {})["billing.match.run"].browse(run_id)
            self.assertEqual(run.state, "partial")
            self.assertEqual(run.chunk_ids.sorted("sequence").mapped("state"), ["done", "cancelled"])
            self.assertEqual(run.applied_count, 1)
