"""Committed fixture of the matching runs' concurrency tests: two customers, each an invoice and a payment naming it."""

from odoo import Command, fields

from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .common import CommittedFixtureCase


class TwoPaidCustomersCommitted(CommittedFixtureCase):
    """Two customers, each with a posted invoice and a posted payment whose memo names it, committed with a chunk
    size of 1 (a run of both is a large run of two chunks); removed, with the runs ``_runs_to_clean`` finds, after
    the test."""

    customer_name = "Committed Customer"
    amount = 100.0

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            Param = env["ir.config_parameter"]
            self.ids = {"size": Param.get_param(CHUNK_SIZE_PARAM)}
            Param.set_param(CHUNK_SIZE_PARAM, "1")
            company = env.company
            journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
            partners = env["res.partner"].create(
                [{"name": f"{self.customer_name} {number}", "is_company": True} for number in (1, 2)]
            )
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.today(),
                        "invoice_line_ids": [
                            Command.create({"name": "Service", "price_unit": self.amount, "tax_ids": []})
                        ],
                    }
                    for partner in partners
                ]
            )
            invoices.action_post()
            payments = env["account.payment"].create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": invoice.partner_id.id,
                        "amount": self.amount,
                        "memo": invoice.name,
                        "journal_id": journal.id,
                    }
                    for invoice in invoices
                ]
            )
            payments.action_post()
            self.ids.update(company=company.id, partners=partners.ids, invoices=invoices.ids, payments=payments.ids)
        self.addCleanup(self._cleanup)

    def _runs_to_clean(self, env):
        return env["billing.match.run"].search(
            [("company_id", "=", self.ids["company"]), ("line_ids.payment_id", "in", self.ids["payments"])]
        )

    def _cleanup(self):
        with self.committed_env() as env:
            runs = self._runs_to_clean(env)
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
