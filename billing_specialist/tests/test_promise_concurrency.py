"""Portal promises in real, concurrent transactions (docs/CONCURRENCY.md)."""

from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name


@tagged("post_install", "-at_install")
class TestPortalPromiseConcurrency(BaseCase):
    """Two portal promises on one invoice in real, concurrent transactions (a double click, two tabs): the second
    must not add a second open promise. The fixture is committed and removed afterwards."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            self.company_id = company.id
            self.max_days = company.billing_portal_promise_max_days
            company.billing_portal_promise_max_days = 30
            partner = env["res.partner"].create({"name": "Racing Promiser", "is_company": True})
            env["billing.collection"]._for_partners(partner, company)
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            self.ids = {"partner": partner.id, "invoice": invoice.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["billing.promise"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            invoice = env["account.move"].browse(self.ids["invoice"])
            invoice.button_draft()
            invoice.unlink()
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env["res.company"].browse(self.company_id).billing_portal_promise_max_days = self.max_days

    def _promise(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        invoice = env["account.move"].browse(self.ids["invoice"])
        date = fields.Date.today() + timedelta(days=5)
        return env["billing.promise"]._portal_create(invoice, invoice.partner_id, date, 50.0)

    def _open_count(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["billing.promise"].search_count([("partner_id", "=", self.ids["partner"]), ("state", "=", "open")])

    def test_second_portal_promise_waits_then_sees_the_first(self):
        with self.registry.cursor() as first, self.registry.cursor() as late:
            self.assertEqual(self._open_count(late), 0)  # a request that started before the first promise
            self._promise(first)
            first.commit()
            late_env = api.Environment(late, SUPERUSER_ID, {})
            with self.assertRaisesRegex(UserError, "already promised|already have an open promise"):
                retrying(lambda: self._promise(late), late_env)
            late.rollback()
        with self.registry.cursor() as cr:
            self.assertEqual(self._open_count(cr), 1)
