from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestMatchingConcurrency(CommittedFixtureCase):
    """Two real transactions: rows one holds are skipped by the other's run, never applied twice.

    The fixture is committed (a second connection cannot see uncommitted rows) and removed afterwards.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            self.company_id = env.company.id
            partner = env["res.partner"].create({"name": "Concurrency Customer", "is_company": True})
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 640.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            payment = env["account.payment"].create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": 640.0,
                    "memo": invoice.name,
                    "journal_id": env["account.journal"]
                    .search([("company_id", "=", env.company.id), ("type", "=", "bank")], limit=1)
                    .id,
                }
            )
            payment.action_post()
            self.ids = {"partner": partner.id, "invoice": invoice.id, "payment": payment.id}
            self.payment_lines = payment.move_id.line_ids.filtered(
                lambda aml: aml.account_id.account_type == "asset_receivable"
            ).ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            payment = env["account.payment"].browse(self.ids["payment"])
            invoice = env["account.move"].browse(self.ids["invoice"])
            (payment.move_id | invoice).line_ids.remove_move_reconcile()
            payment.action_draft()
            payment.unlink()
            invoice.button_draft()
            invoice.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _run(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        payment = env["account.payment"].browse(self.ids["payment"])
        run = env["billing.match.run"]._run_automatic(env["res.company"].browse(self.company_id), payment)
        return run.line_ids.outcome, run.line_ids.reasons, env["account.move"].browse(self.ids["invoice"])

    def test_rows_held_by_another_transaction_are_skipped(self):
        with self.registry.cursor() as holder:
            holder.execute("SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE", [tuple(self.payment_lines)])
            with self.registry.cursor() as cr:
                outcome, reasons, invoice = self._run(cr)
                self.assertEqual(outcome, "skipped")
                self.assertIn("held by another user or run", reasons)
                self.assertEqual(invoice.amount_residual, 640.0)
                cr.rollback()
            holder.rollback()
        with self.registry.cursor() as cr:
            outcome, _reasons, invoice = self._run(cr)
            self.assertEqual(outcome, "applied", "once released, the payment is applied")
            self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
            cr.rollback()
