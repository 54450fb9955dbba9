from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestMatchRunChunksSideBySide(CommittedFixtureCase):
    """Two chunks of one matching run processed at once (two queue jobs), in real transactions: the second began
    before the first committed. Both apply their customer's payment and record their lines; the run's counts, one
    row, are not written by the chunks (that made the second fail on a concurrent update) but once the run is done.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            Param = env["ir.config_parameter"]
            self.ids = {"size": Param.get_param(CHUNK_SIZE_PARAM)}
            Param.set_param(CHUNK_SIZE_PARAM, "1")
            company = env.company
            journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
            partners = env["res.partner"].create(
                [{"name": f"Side By Side Customer {number}", "is_company": True} for number in (1, 2)]
            )
            invoices = env["account.move"].create([{
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": fields.Date.today(),
                "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 640.0, "tax_ids": []})],
            } for partner in partners])  # fmt: skip
            invoices.action_post()
            payments = env["account.payment"].create([{
                "payment_type": "inbound", "partner_type": "customer", "partner_id": invoice.partner_id.id,
                "amount": 640.0, "memo": invoice.name, "journal_id": journal.id,
            } for invoice in invoices])  # fmt: skip
            payments.action_post()
            self.ids.update(company=company.id, partners=partners.ids, invoices=invoices.ids, payments=payments.ids)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            runs = env["billing.match.run"].search([("company_id", "=", self.ids["company"]),
                                                     ("line_ids.payment_id", "in", self.ids["payments"])])  # fmt: skip
            payments = env["account.payment"].browse(self.ids["payments"])
            invoices = env["account.move"].browse(self.ids["invoices"])
            (payments.move_id | invoices).line_ids.remove_move_reconcile()
            env["billing.run.chunk"].search([("match_run_id", "in", runs.ids)]).unlink()
            runs.line_ids.unlink()
            runs.unlink()
            payments.action_draft()
            payments.unlink()
            invoices.button_draft()
            invoices.unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()
            env["ir.config_parameter"].set_param(CHUNK_SIZE_PARAM, self.ids["size"] or False)

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
