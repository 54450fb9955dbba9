from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .screenshots import ScreenshotTourMixin
from .test_credit import CreditCommon


@tagged("post_install", "-at_install")
class TestCreditTour(ScreenshotTourMixin, CreditCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.initech = cls.env["res.partner"].create({"name": "Initech", "is_company": True})
        cls._invoice(1500.0)  # Acme Retail: 500 over its limit of 1,000
        cls.other_customer.with_company(cls.company).credit_limit = 1000.0
        cls._invoice(900.0, partner=cls.other_customer)  # Globex: 90 % of its limit
        cls._invoice(
            300.0,
            partner=cls.initech,
            invoice_date=cls.today - timedelta(days=91),
            invoice_date_due=cls.today - timedelta(days=61),
        )
        cls.env["billing.credit.status"]._cron_recompute()

    def test_manager_releases_a_hold_from_credit_control(self):
        self.start_tour(
            "/odoo/action-billing_specialist.billing_credit_status_action",
            "billing_specialist_credit_tour",
            login="bs_manager",
        )
        status = self.customer._billing_credit_status(self.company)
        self.assertEqual((status.state, status.released_by_id), ("watch", self.manager))
        self.assertEqual(status.release_until, self.today + timedelta(days=14))
        self.assertEqual(status.release_reason, "Payment plan agreed with their CFO")
        self.assertIn("Payment plan agreed with their CFO", self.customer.message_ids[0].body)

    def test_customer_form_shows_the_hold(self):
        self.start_tour(
            f"/odoo/res.partner/{self.initech.id}", "billing_specialist_credit_customer_tour", login="bs_manager"
        )
