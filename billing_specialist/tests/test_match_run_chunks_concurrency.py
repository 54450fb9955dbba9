from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .match_runs_committed import TwoPaidCustomersCommitted


@tagged("post_install", "-at_install")
class TestMatchRunChunksSideBySide(TwoPaidCustomersCommitted):
    """Two chunks of one matching run processed at once (two queue jobs), in real transactions: the second began
    before the first committed. Both apply their customer's payment and record their lines; the run's counts, one
    row, are not written by the chunks (that made the second fail on a concurrent update) but once the run is done.
    """

    customer_name = "Side By Side Customer"
    amount = 640.0

    def test_two_chunks_side_by_side_both_apply(self):
        with self.registry.cursor() as cr:  # Run Now: a large run, planned in a chunk per customer
            env = api.Environment(cr, SUPERUSER_ID, {})
            payments = env["account.payment"].browse(self.ids["payments"])
            run = env["billing.match.run"]._run_automatic(env["res.company"].browse(self.ids["company"]), payments)
            run_id, chunk_ids = run.id, run.chunk_ids.sorted("sequence").ids
        self.assertEqual(len(chunk_ids), 2)
        with self.registry.cursor() as second:
            second.execute("SELECT 1 FROM billing_run_chunk WHERE id = %s", [chunk_ids[1]])  # its snapshot
            with self.registry.cursor() as first:
                self.assertTrue(
                    api.Environment(first, SUPERUSER_ID, {})["billing.run.chunk"]
                    .browse(chunk_ids[0])
                    ._billing_process()
                )
            self.assertTrue(
                api.Environment(second, SUPERUSER_ID, {})["billing.run.chunk"].browse(chunk_ids[1])._billing_process()
            )
        with self.registry.cursor() as cr:  # neither saw the other's chunk done: the chunk cron finishes the run
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["billing.run.chunk"]._billing_finish_runs()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            run = env["billing.match.run"].browse(run_id)
            self.assertEqual(run.state, "done")
            self.assertEqual(run.line_ids.mapped("outcome"), ["applied", "applied"])
            self.assertEqual((run.source_count, run.applied_count), (2, 2))
            invoices = env["account.move"].browse(self.ids["invoices"])
            self.assertEqual(invoices.mapped("amount_residual"), [0.0, 0.0])
