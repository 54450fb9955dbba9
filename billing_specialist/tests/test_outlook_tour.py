from odoo.tests import HttpCase, tagged

from .screenshots import ScreenshotTourMixin
from .test_outlook_screens import OutlookCommon


@tagged("post_install", "-at_install")
class TestOutlookTour(ScreenshotTourMixin, OutlookCommon, HttpCase):
    def test_cash_outlook_by_customer_shows_the_band(self):
        """Billing > Reporting > Cash Outlook as the specialist: 13 weeks, regrouped by customer, Acme Retail's
        week 2 shows low 0, expected 1,250 and high 2,000 (screenshot ``outlook``)."""
        self._ledger()
        initech = self.env["res.partner"].create({"name": "Initech Supplies", "is_company": True})
        for amount, weeks in ((1500.0, (1, 3, 6)), (900.0, (4, 5, 7)), (2200.0, (6, 8, 11)), (650.0, (9, 10, 12))):
            self._line(amount, weeks, partner=initech)
        self.env.flush_all()
        self.start_tour(
            "/odoo/action-billing_specialist.billing_outlook_week_action_open",
            "billing_specialist_outlook_tour",
            login="bs_specialist",
        )
