from datetime import timedelta

import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestFollowupChunkConcurrency(CommittedFixtureCase):
    """A follow-up chunk sends a customer while another transaction updates that customer's overdue invoice: the
    serialization failure is raised (the chunk cron or its job retries the whole chunk), never recorded as the
    customer's failure, and the retry sends the customer once.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            company = env.company
            today = fields.Date.context_today(env.user)
            partner = env["res.partner"].create(
                {"name": "Concurrent Follow-up Customer", "is_company": True, "email": "ap@followup.example.com"}
            )
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": today - timedelta(days=40),
                    "invoice_date_due": today - timedelta(days=10),
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            run = env["billing.followup.run"]._start(company)
            line = run.line_ids.filtered(lambda rec: rec.partner_id == partner)
            self.assertEqual(line.outcome, "planned", "the fixture's customer is due a follow-up")
            (run.line_ids - line).unlink()  # only the fixture's customer
            run.state = "running"
            chunk = env["billing.run.chunk"]._billing_plan(run, {partner.id: [line]}, [], 10)
            self.ids = {"partner": partner.id, "invoice": invoice.id, "run": run.id, "line": line.id, "chunk": chunk.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            run = env["billing.followup.run"].browse(self.ids["run"])
            env["mail.mail"].search([("billing_followup_line_id", "in", run.line_ids.ids)]).unlink()
            env["billing.run.chunk"].browse(self.ids["chunk"]).unlink()
            collections = run.line_ids.collection_id
            run.line_ids.unlink()
            run.unlink()
            collections.unlink()
            invoice = env["account.move"].browse(self.ids["invoice"])
            invoice.button_draft()
            invoice.unlink()
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_chunk_raises_the_conflict_and_sends_once_when_retried(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT 1")  # the chunk's snapshot; another transaction then updates the invoice
            with self.registry.cursor() as other:
                other.execute("UPDATE account_move SET ref = 'changed meanwhile' WHERE id = %s", [self.ids["invoice"]])
            chunk = self._env(cr)["billing.run.chunk"].browse(self.ids["chunk"])
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                chunk._billing_process()  # the cron or queue_job rolls back and calls it again
            cr.rollback()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            line = env["billing.followup.line"].browse(self.ids["line"])
            self.assertEqual(line.outcome, "planned", "not recorded as the customer's failure")
            chunk = env["billing.run.chunk"].browse(self.ids["chunk"])
            self.assertEqual((chunk.state, chunk.attempts), ("pending", 0))
        with self.registry.cursor() as cr:  # the retry, in a fresh transaction
            env = self._env(cr)
            self.assertTrue(env["billing.run.chunk"].browse(self.ids["chunk"])._billing_process())
            line = env["billing.followup.line"].browse(self.ids["line"])
            self.assertEqual(line.outcome, "emailed")
            self.assertEqual(env["mail.mail"].search_count([("billing_followup_line_id", "=", line.id)]), 1)
            self.assertEqual(env["billing.followup.run"].browse(self.ids["run"]).state, "done")
