from datetime import timedelta

from odoo import Command, fields
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
