from dateutil.relativedelta import relativedelta

from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestReportingWizardTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
    def test_key_figures_and_aging_drill_down_in_the_browser(self):
        """Full page, last month against the month before: the key figures with their change, a customer filter, an
        aging row's items open on the last day beside open now, and back by the breadcrumb to the same report."""
        last_month = self.today.replace(day=1) - relativedelta(months=1)
        before = last_month - relativedelta(months=1)
        initech = self.env["res.partner"].create({"name": "Initech Supplies", "is_company": True})

        def invoice(amount, partner, day, month=last_month):  # due 30 days after its date
            when = month + relativedelta(days=day)
            return self._invoice(
                amount, partner=partner, invoice_date=when, invoice_date_due=when + relativedelta(days=30)
            )

        # Paid in part after last month: open 900 on its last day, 500 now (the drill-down shows both).
        self._pay(invoice(900.0, self.customer, 4, month=before), 400.0, date=self.today)
        self._pay(invoice(600.0, initech, 9, month=before), 600.0, date=before + relativedelta(days=20))
        self._pay(invoice(1200.0, self.customer, 2), 1200.0, date=last_month + relativedelta(days=12))
        open_item = invoice(750.0, self.customer, 8)
        invoice(2400.0, self.other_customer, 15)
        invoice(480.0, initech, 20)
        case = self._open_case(open_item, amount=250.0)
        case.sudo().date_opened = last_month + relativedelta(days=21)  # opened last month
        self.start_tour(
            "/odoo/action-billing_specialist.billing_report_wizard_action",
            "billing_specialist_report_tour",
            login="bs_specialist",
        )
