from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestFollowupPreviewCommitted(CommittedFixtureCase):
    """A previewed run sent in chunks, each committed on its own, on committed data: a change committed by another
    transaction after the preview (before *Send*, or between the planning and the chunk) keeps that customer's
    letter from going out; the unchanged customer's chunk sends it."""

    NAMES = ("Preview Changed Before Send", "Preview Changed Before Chunk", "Preview Unchanged")

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            params = env["ir.config_parameter"]
            self.old_size = params.get_param(CHUNK_SIZE_PARAM)
            params.set_param(CHUNK_SIZE_PARAM, "1")
            today = fields.Date.context_today(env.user)
            partners = env["res.partner"].create(
                [
                    {"name": name, "is_company": True, "email": f"ap{i}@preview.example.com"}
                    for i, name in enumerate(self.NAMES)
                ]
            )
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_payment_term_id": False,
                        "invoice_date": today - timedelta(days=40),
                        "invoice_date_due": today - timedelta(days=10),
                        "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for partner in partners
                ]
            )
            invoices.action_post()
            run = env["billing.followup.run"]._start(env.company)
            run.line_ids.filtered(lambda line: line.partner_id not in partners).unlink()  # the database's others
            self.ids = {"partners": partners.ids, "invoices": invoices.ids, "run": run.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            partners = env["res.partner"].browse(self.ids["partners"])
            run = env["billing.followup.run"].browse(self.ids["run"])
            env["mail.mail"].search([("billing_followup_line_id", "in", run.line_ids.ids)]).unlink()
            run.unlink()
            invoices = env["account.move"].browse(self.ids["invoices"])
            invoices.button_draft()
            invoices.unlink()
            env["billing.collection"].search([("partner_id", "in", partners.ids)]).unlink()
            partners.unlink()
            env["ir.config_parameter"].set_param(CHUNK_SIZE_PARAM, self.old_size or False)

    def _commit(self, action):
        with self.committed_env() as env:
            action(env)

    def test_a_change_committed_after_the_preview_keeps_the_letter_from_going_out(self):
        before_send, before_chunk, unchanged = self.ids["partners"]
        self._commit(lambda env: env["res.partner"].browse(before_send).write({"email": "new@preview.example.com"}))
        self._commit(lambda env: env["billing.followup.run"].browse(self.ids["run"]).action_send())
        with self.committed_env() as env:
            run = env["billing.followup.run"].browse(self.ids["run"])
            self.assertEqual((run.state, len(run.chunk_ids)), ("running", 3))
            chunk_ids = run.chunk_ids.ids
        # After the planning, before its chunk: its payables address changes.
        self._commit(lambda env: env["res.partner"].browse(before_chunk).write({"email": "other@preview.example.com"}))
        for chunk_id in chunk_ids:  # each chunk in its own transaction, as the cron does
            self._commit(lambda env, i=chunk_id: env["billing.run.chunk"].browse(i)._billing_process())
        with self.committed_env() as env:
            run = env["billing.followup.run"].browse(self.ids["run"])
            outcomes = {line.partner_id.id: line.outcome for line in run.line_ids}
            self.assertEqual(outcomes, {before_send: "changed", before_chunk: "changed", unchanged: "emailed"})
            self.assertEqual(run.state, "done")
            mails = env["mail.mail"].search([("billing_followup_line_id", "in", run.line_ids.ids)])
            self.assertEqual(mails.recipient_ids.ids, [unchanged])
            for line in run.line_ids.filtered(lambda ln: ln.outcome == "changed"):
                self.assertIn("@preview.example.com", line.result)
            invoices = env["account.move"].browse(self.ids["invoices"])
            sent = invoices.filtered("billing_followup_level_id").partner_id
            self.assertEqual(sent.ids, [unchanged], "only the customer sent is recorded")


@tagged("post_install", "-at_install")
class TestFollowupPreviewTwoSends(CommittedFixtureCase):
    """Two clicks on Send at once, on committed data: the customer's e-mail is queued once."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            today = fields.Date.context_today(env.user)
            partner = env["res.partner"].create(
                {"name": "Attack 9 Double Send", "is_company": True, "email": "ap@double.example.com"}
            )
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_payment_term_id": False,
                    "invoice_date": today - timedelta(days=40),
                    "invoice_date_due": today - timedelta(days=10),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            run = env["billing.followup.run"]._start(env.company)
            run.line_ids.filtered(lambda line: line.partner_id != partner).unlink()  # the database's others
            self.ids = {"partner": partner.id, "invoice": invoice.id, "run": run.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            run = env["billing.followup.run"].browse(self.ids["run"])
            env["mail.mail"].search([("billing_followup_line_id", "in", run.line_ids.ids)]).unlink()
            run.unlink()
            invoice = env["account.move"].browse(self.ids["invoice"])
            invoice.button_draft()
            invoice.unlink()
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", self.ids["partner"])]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _mail_count(self):
        with self.committed_env() as env:
            return env["mail.mail"].search_count([("model", "=", "res.partner"), ("res_id", "=", self.ids["partner"])])

    def test_a_second_send_that_read_the_preview_before_the_first_committed_sends_nothing(self):
        """The second click read the run (still a preview) before the first click committed; it takes the lock
        once the first is done. It must not queue the e-mail again."""
        with self.registry.cursor() as cr2:
            second = api.Environment(cr2, SUPERUSER_ID, {})["billing.followup.run"].browse(self.ids["run"])
            self.assertEqual(second.state, "preview")  # its snapshot is taken: the first click has not committed
            second.line_ids.mapped("outcome")
            with self.committed_env() as env:
                env["billing.followup.run"].browse(self.ids["run"]).action_send()
            self.assertEqual(self._mail_count(), 1)
            # A concurrent update, which Odoo retries (the retry then finds the run sent and says so); not a
            # duplicate-key error shown to the user, and nothing queued.
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                second.action_send()
            cr2.rollback()
            with self.assertRaisesRegex(UserError, "Only a previewed"):
                second.action_send()
            cr2.rollback()
        self.assertEqual(self._mail_count(), 1)
        with self.committed_env() as env:
            run = env["billing.followup.run"].browse(self.ids["run"])
            self.assertEqual((run.state, run.line_ids.outcome), ("done", "emailed"))

    def test_two_sends_at_the_same_moment_one_is_refused_at_once(self):
        with self.registry.cursor() as cr2:
            first = api.Environment(cr2, SUPERUSER_ID, {})["billing.followup.run"].browse(self.ids["run"])
            first.action_send()  # holds the company's run lock, not committed yet
            with self.committed_env() as env, self.assertRaisesRegex(UserError, "under way"):
                env["billing.followup.run"].browse(self.ids["run"]).action_send()
            cr2.commit()
        self.assertEqual(self._mail_count(), 1)
