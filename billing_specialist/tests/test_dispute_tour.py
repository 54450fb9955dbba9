from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestDisputeTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
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

    def test_cases_on_the_board(self):
        """The kanban shows each column's amount in dispute and colours its bar by the cases' deadlines."""
        initech = self.env["res.partner"].create({"name": "Initech Supplies", "is_company": True})
        overdue = self._open_case(self._invoice(1200.0), amount=450.0, reason_id=self.reason_quantity.id)
        overdue.write({"date_deadline": self.today - timedelta(days=3), "priority": "1"})
        self._open_case(self._invoice(800.0, partner=self.other_customer), amount=120.0)
        due_soon = self._open_case(self._invoice(2500.0, partner=initech), amount=2500.0)
        due_soon.write(
            {
                "date_deadline": self.today + timedelta(days=1),
                "stage_id": self.env.ref("billing_specialist.stage_in_progress").id,
            }
        )
        waiting = self._open_case(self._invoice(640.0, partner=self.other_customer), amount=64.0)
        waiting.stage_id = self.env.ref("billing_specialist.stage_waiting")
        self.assertEqual((overdue.deadline_status, due_soon.deadline_status), ("overdue", "due_soon"))
        self.start_tour(
            "/odoo/action-billing_specialist.billing_dispute_action",
            "billing_specialist_dispute_kanban_tour",
            login="bs_specialist",
        )
