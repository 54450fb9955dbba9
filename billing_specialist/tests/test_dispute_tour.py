from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeTour(BillingDisputeCommon, HttpCase):
    def test_open_and_partly_credit_a_dispute_in_the_browser(self):
        invoice = self._invoice(1000.0, ref="PO-TOUR-42")
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "billing_specialist_dispute_tour",
            login="bs_specialist",
        )
        case = self.env["billing.dispute"].search([("line_ids.move_id", "=", invoice.id)])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.amount_disputed, 300.0)
        self.assertEqual(case.amount_credited, 120.0)
        self.assertEqual(case.amount_rejected, 180.0)
        self.assertEqual(invoice.amount_residual, 880.0)
        refund = case.settlement_move_ids
        self.assertEqual((refund.move_type, refund.state, refund.amount_total), ("out_refund", "posted", 120.0))
