from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestWorklistTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
    def test_log_a_call_and_record_a_promise_from_my_worklist(self):
        T = self.today
        initech = self.env["res.partner"].create({"name": "Initech", "is_company": True})
        acme_invoice = self._invoice(
            2000.0, invoice_date=T - timedelta(days=50), invoice_date_due=T - timedelta(days=20)
        )
        initech_invoice = self._invoice(
            300.0, partner=initech, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10)
        )
        hooli = self.env["res.partner"].create({"name": "Hooli", "is_company": True})
        self._invoice(
            500.0, partner=hooli, invoice_date=T - timedelta(days=60), invoice_date_due=T - timedelta(days=30)
        )
        self._bank_line(500.0, "HOOLI TRANSFER", partner=hooli)
        Collection = self.env["billing.collection"]
        Collection._for_partners(self.customer | initech | hooli, self.company).write({"user_id": self.specialist.id})
        broken = (
            self.env["billing.promise"]
            .sudo()
            .create(
                {"partner_id": initech.id, "move_ids": [Command.set(initech_invoice.ids)], "amount": 300.0, "date": T}
            )
        )
        broken.write({"state": "broken", "date_judged": T})
        Collection._for_partners(initech, self.company).sudo().broken_promise_count = 1
        self.start_tour(
            "/odoo/action-billing_specialist.billing_worklist_action_my",
            "billing_specialist_worklist_tour",
            login="bs_specialist",
        )
        promise = self.env["billing.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual((promise.amount, promise.state, promise.channel), (1200.0, "open", "phone"))
        self.assertEqual(promise.move_ids, acme_invoice)
        self.assertEqual(promise.date, T + timedelta(days=30))  # within the company's 60 days (issue 21)
        acme_account = Collection._for_partners(self.customer, self.company)
        self.assertEqual(acme_account.next_action_date, promise.date_deadline + timedelta(days=1))
        message = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id), ("body", "ilike", "Call logged")]
        )
        self.assertEqual(len(message), 1)
        self.assertIn("Pays 1,200 by wire", message.body)
        self.assertEqual(message.author_id, self.specialist.partner_id)
        account = Collection._for_partners(initech, self.company)
        self.assertEqual(account.next_action_note, "Ask why the promise was missed")
        self.assertEqual(account.activity_ids.user_id, self.specialist)
