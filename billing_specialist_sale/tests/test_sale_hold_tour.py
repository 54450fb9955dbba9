from odoo.tests import HttpCase, tagged

from odoo.addons.billing_specialist.tests.screenshots import ScreenshotTourMixin

from .common import SaleCreditCommon


@tagged("post_install", "-at_install")
class TestSaleHoldTour(ScreenshotTourMixin, SaleCreditCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.with_company(cls.company).credit_limit = 500.0
        cls._invoice(1000.0)  # Acme Retail: 500 over its limit
        cls.env["billing.credit.status"]._billing_recompute(cls.customer, cls.company)
        cls.order = cls._order(300.0)

    def test_specialist_confirm_refused(self):
        self.start_tour(
            f"/odoo/sale.order/{self.order.id}", "billing_specialist_sale_hold_refused_tour", login="bs_specialist"
        )
        self.assertEqual(self.order.state, "draft")

    def test_manager_confirms_despite_hold(self):
        self.start_tour(
            f"/odoo/sale.order/{self.order.id}", "billing_specialist_sale_hold_override_tour", login="bs_manager"
        )
        self.assertEqual(self.order.state, "sale")
        notes = self.order.message_ids.filtered(lambda message: "Strategic order agreed" in (message.body or ""))
        self.assertEqual(notes.author_id, self.manager.partner_id)
