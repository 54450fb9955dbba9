import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

from ..exceptions import concurrency_error
from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestRunChunksConcurrency(CommittedFixtureCase):
    """Two real transactions: another transaction's update of an invoice while a billing-run chunk posts it is a
    serialization failure that is raised (the whole call retried, the chunk left pending), never recorded as the
    invoice's or the chunk's failure.

    The fixture is committed (a second connection cannot see uncommitted rows) and removed afterwards.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            partner = env["res.partner"].create(
                {"name": "Concurrent Billing Customer", "is_company": True, "email": "ap@concurrent.example.com"}
            )
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 640.0, "tax_ids": []})],
                }
            )
            run = env["billing.invoice.run"]._create_for_invoices(invoice)
            run.sudo().state = "running"
            chunk = env["billing.run.chunk"]._billing_plan(run, {partner.id: list(run.line_ids)}, [], 10)
            self.ids = {
                "partner": partner.id,
                "invoice": invoice.id,
                "run": run.id,
                "line": run.line_ids.id,
                "chunk": chunk.id,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.run.chunk"].browse(self.ids["chunk"]).unlink()
            run = env["billing.invoice.run"].browse(self.ids["run"])
            run.state = "done"
            run.unlink()
            invoice = env["account.move"].browse(self.ids["invoice"])
            if invoice.state == "posted":
                invoice.button_draft()
            invoice.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _update_invoice_meanwhile(self, cr):
        """``cr`` takes its snapshot; another transaction then updates the invoice's row and commits."""
        cr.execute("SELECT 1")
        with self.registry.cursor() as other:
            other.execute("UPDATE account_move SET ref = 'changed meanwhile' WHERE id = %s", [self.ids["invoice"]])

    def _assert_untouched(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            line = env["billing.invoice.run.line"].browse(self.ids["line"])
            self.assertEqual((line.outcome, line.message), ("pending", False), "not recorded as the invoice's fault")
            self.assertEqual(line.move_id.state, "draft")
            chunk = env["billing.run.chunk"].browse(self.ids["chunk"])
            self.assertEqual((chunk.state, chunk.error, chunk.attempts), ("pending", False, 0))

    def test_line_post_raises_the_serialization_failure(self):
        with self.registry.cursor() as cr:
            self._update_invoice_meanwhile(cr)
            line = self._env(cr)["billing.invoice.run.line"].browse(self.ids["line"])
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                line._post()
            cr.rollback()
        self._assert_untouched()

    def test_chunk_stays_pending_and_is_done_when_retried(self):
        with self.registry.cursor() as cr:
            self._update_invoice_meanwhile(cr)
            chunk = self._env(cr)["billing.run.chunk"].browse(self.ids["chunk"])
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                chunk._billing_process()  # the cron or queue_job rolls back and calls it again
            cr.rollback()
        self._assert_untouched()
        with self.registry.cursor() as cr:  # the retry, in a fresh transaction
            env = self._env(cr)
            self.assertTrue(env["billing.run.chunk"].browse(self.ids["chunk"])._billing_process())
            line = env["billing.invoice.run.line"].browse(self.ids["line"])
            self.assertEqual((line.outcome, line.move_id.state), ("posted_sent", "posted"))
            self.assertEqual(line.move_id.ref, "changed meanwhile", "the other transaction's update is kept")

    def test_error_raised_after_a_concurrency_error_is_that_concurrency_error(self):
        """A later error (the aborted transaction's next statement, an error raised from it) still names the
        concurrency error behind it, which is what a chunk re-raises."""
        with self.registry.cursor() as cr:
            self._update_invoice_meanwhile(cr)
            update = "UPDATE account_move SET ref = 'mine' WHERE id = %s"
            failure = aborted = wrapping = None
            try:
                cr.execute(update, [self.ids["invoice"]], log_exceptions=False)
            except psycopg2.errors.SerializationFailure as serialization:
                failure = serialization
                try:
                    cr.execute("SELECT 1", log_exceptions=False)
                except psycopg2.errors.InFailedSqlTransaction as later:
                    aborted = later
                try:
                    raise RuntimeError("not posted") from failure
                except RuntimeError as wrapped:
                    wrapping = wrapped
            cr.rollback()
        self.assertIsNotNone(failure)
        self.assertIs(concurrency_error(aborted), failure)
        self.assertIs(concurrency_error(wrapping), failure)
        self.assertIsNone(concurrency_error(ValueError("the invoice's own fault")))
