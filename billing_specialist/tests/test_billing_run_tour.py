from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestBillingRunTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
    def test_run_blocked_by_a_check_fixed_and_sent(self):
        """In the browser: a run posts and sends one invoice; a check blocks another; fixed, the retry sends it."""
        Check = self.env["billing.invoice.check"]
        Check._ensure_for_companies(self.company)
        Check.search([("company_id", "=", self.company.id), ("code", "=", "po_required")]).mode = "block"
        self.other_customer.write({"billing_po_required": True, "street": "1 Main Street", "city": "Springfield"})
        by_mail = self._invoice(100.0, post=False)
        without_po = self._invoice(200.0, partner=self.other_customer, post=False)
        self.start_tour(
            "/odoo/action-billing_specialist.billing_invoice_run_action",
            "billing_specialist_invoice_run_tour",
            login="bs_specialist",
        )
        run = self.env["billing.invoice.run"].search([("line_ids.move_id", "=", without_po.id)])
        self.assertEqual(run.state, "done")
        self.assertEqual((run.sent_count, run.printed_count, run.blocked_count), (1, 1, 0))
        self.assertEqual((by_mail.state, without_po.state, without_po.ref), ("posted", "posted", "PO-4711"))
        self.assertTrue(without_po.is_move_sent and by_mail.is_move_sent)
