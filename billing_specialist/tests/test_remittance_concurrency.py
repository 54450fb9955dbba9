import threading

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.service.model import _as_validation_error
from odoo.tests import tagged

from ..matching.remittance import Advice, AdviceLine
from .common import CommittedFixtureCase

ADVICE = Advice(lines=[AdviceLine("INV/2026/00001", 100.0), AdviceLine("INV/2026/00002", 250.0)])


@tagged("post_install", "-at_install")
class TestRemittanceConcurrency(CommittedFixtureCase):
    """The same advice imported by two transactions at once: one remittance, the other refused with nothing written.

    Real connections: the customer is committed (another connection cannot see uncommitted rows) and removed after.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            self.company_id = env.company.id
            self.partner_id = env["res.partner"].create({"name": "Twice Imported Customer", "is_company": True}).id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.remittance"].search([("partner_id", "=", self.partner_id)]).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def _import(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        company, partner = env["res.company"].browse(self.company_id), env["res.partner"].browse(self.partner_id)
        return env["billing.remittance"]._billing_import(partner, company, ADVICE, "csv")

    def test_same_advice_imported_twice_at_once(self):
        outcome = {}

        def second():
            with self.registry.cursor() as cr:
                try:
                    self._import(cr)  # waits on the first transaction's key, then fails on it
                    outcome["result"] = "imported"
                except psycopg2.errors.UniqueViolation as error:
                    cr.rollback()
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    outcome["result"] = str(_as_validation_error(env, error))

        with self.registry.cursor() as first:
            self._import(first)  # not committed yet: the second transaction cannot see it
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=2)
            self.assertTrue(thread.is_alive(), "the second import waits for the first transaction's key")
        # leaving the block commits the first import
        thread.join(timeout=30)
        self.assertFalse(thread.is_alive())
        self.assertIn("imported already", outcome["result"])
        with self.committed_env() as env:
            remittances = env["billing.remittance"].search([("partner_id", "=", self.partner_id)])
            self.assertEqual(len(remittances), 1)
            self.assertEqual(len(remittances.line_ids), 2, "the refused import wrote no line")
