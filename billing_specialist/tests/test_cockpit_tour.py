from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestCockpitTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
    def test_from_the_worklist_row_to_the_customer_screen_and_the_team(self):
        """Morgan (billing manager) works Acme Retail; Sam (specialist) works Initech and Globex Stores.

        Acme: 1,000 overdue, 2,000 overdue with 500 in dispute, 3,000 overdue under an open promise, 400 not due,
        a payment of 250 not applied, a call logged. Sam: 1,500 overdue (Initech 500, Globex 1,000), a promise of
        Initech due today, one kept and one broken this month, 450 collected today.
        """
        T = self.today
        overdue = {"invoice_date": T - timedelta(days=70)}
        self.customer_contact.write(
            {"name": "Alice Payables", "phone": "+1 555 0100", "email": "alice@acme.example.com"}
        )
        self._invoice(1000.0, invoice_date_due=T - timedelta(days=40), **overdue)
        disputed = self._invoice(2000.0, invoice_date_due=T - timedelta(days=10), **overdue)
        promised = self._invoice(3000.0, invoice_date_due=T - timedelta(days=20), **overdue)
        self._invoice(400.0, invoice_date=T, invoice_date_due=T + timedelta(days=10))
        self._payment(250.0, memo="Acme, no invoice given")
        self._open_case(disputed, amount=500.0)
        # Small promises on the team's screen (the minimum share: test_promise_limits.py).
        self.company.billing_portal_promise_min_percent = 10
        Promise = self.env["billing.promise"].sudo()
        Promise.create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(promised.ids)],
                "amount": 3000.0,
                "date": T + timedelta(days=3),
            }
        )
        initech = self.env["res.partner"].create({"name": "Initech", "is_company": True})
        initech_open = self._invoice(500.0, partner=initech, invoice_date_due=T - timedelta(days=30), **overdue)
        initech_due = self._invoice(70.0, partner=initech, invoice_date=T, invoice_date_due=T)
        globex = self._invoice(1400.0, partner=self.other_customer, invoice_date_due=T - timedelta(days=60), **overdue)
        globex_kept = self._invoice(
            50.0, partner=self.other_customer, invoice_date_due=T - timedelta(days=60), **overdue
        )
        self._pay(globex, 400.0, date=T)
        Promise.create(
            {"partner_id": initech.id, "move_ids": [Command.set(initech_open.ids)], "amount": 200.0, "date": T}
        )
        Promise.create(
            {"partner_id": initech.id, "move_ids": [Command.set(initech_due.ids)], "amount": 70.0, "date": T}
        ).write({"state": "broken", "date_judged": T})
        Promise.create(
            {
                "partner_id": self.other_customer.id,
                "move_ids": [Command.set(globex_kept.ids)],
                "amount": 50.0,
                "date": T,
            }
        ).write({"state": "kept", "date_judged": T})
        self._pay(globex_kept, 50.0, date=T)
        Collection = self.env["billing.collection"]
        acme = Collection._for_partners(self.customer, self.company)
        levels = self.env["billing.followup.level"].search([("company_id", "=", self.company.id)], order="delay")
        acme.sudo().write(
            {
                "user_id": self.manager.id,
                "level_id": levels[1].id,
                "next_action_date": T,
                "next_action_note": "Call about the old invoice",
            }
        )
        acme.with_user(self.manager)._log_call("reached", "Will pay the old invoice on Friday")
        Collection._for_partners(initech | self.other_customer, self.company).sudo().user_id = self.specialist
        self.start_tour(
            "/odoo/action-billing_specialist.billing_worklist_action_my",
            "billing_specialist_cockpit_tour",
            login="bs_manager",
        )
