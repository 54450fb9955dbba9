from psycopg2 import errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import tagged

from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestPortalDisputeLimitConcurrency(CommittedFixtureCase):
    """Portal submissions of one customer in real, concurrent transactions: the daily limit cannot be raced.

    The fixture is committed (a second connection cannot see uncommitted rows) and removed afterwards.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            company = env.company
            self.company_id = company.id
            self.company_settings = {
                "billing_portal_max_disputes_per_day": company.billing_portal_max_disputes_per_day,
                "billing_dispute_send_acknowledgement": company.billing_dispute_send_acknowledgement,
            }
            company.write({"billing_portal_max_disputes_per_day": 1, "billing_dispute_send_acknowledgement": False})
            partner = env["res.partner"].create({"name": "Racing Customer", "is_company": True})
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.today(),
                        "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for _index in range(2)
                ]
            )
            invoices.action_post()
            self.ids = {"partner": partner.id, "invoices": invoices.ids}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.dispute"].with_context(active_test=False).search(
                [("partner_id", "=", self.ids["partner"])]
            ).unlink()
            invoices = env["account.move"].browse(self.ids["invoices"])
            invoices.button_draft()
            for invoice in invoices.sorted("id", reverse=True):
                invoice.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env["res.company"].browse(self.company_id).write(self.company_settings)

    def _submit(self, cr, index):
        env = api.Environment(cr, SUPERUSER_ID, {})
        invoice = env["account.move"].browse(self.ids["invoices"][index])
        reason = env.ref("billing_specialist.reason_pricing")
        return env["billing.dispute"]._portal_create_from_invoice(invoice, invoice.partner_id, reason, 10.0)

    def _count(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["billing.dispute"].search_count([("partner_id", "=", self.ids["partner"])])

    def test_second_submission_waits_then_counts_the_first(self):
        with self.registry.cursor() as first, self.registry.cursor() as late:
            # `late` is a request that started before the first case existed: its snapshot shows no case.
            self.assertEqual(self._count(late), 0)
            self._submit(first, 0)
            with self.registry.cursor() as waiting:
                # While the first submission is uncommitted, another one for the customer waits on it.
                waiting.execute("SET LOCAL lock_timeout = '300ms'")
                with self.assertRaises(errors.LockNotAvailable):
                    self._submit(waiting, 1)
                waiting.rollback()
            first.commit()
            # Once it commits, the late request's old snapshot is refused instead of counting no case; Odoo
            # replays the request (as it does every HTTP request), which counts the first case and refuses.
            late_env = api.Environment(late, SUPERUSER_ID, {})
            attempts = []

            def submit_late():
                attempts.append(len(attempts) + 1)
                return self._submit(late, 1)

            with self.assertRaisesRegex(UserError, "most we accept in a day"):
                retrying(submit_late, late_env)
            self.assertEqual(len(attempts), 2, "the first attempt's stale snapshot was refused, the replay counted")
            late.rollback()
        with self.registry.cursor() as cr:
            self.assertEqual(self._count(cr), 1)
