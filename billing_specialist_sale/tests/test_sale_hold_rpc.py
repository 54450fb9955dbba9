from odoo.tests import HttpCase, JsonRpcException, tagged

from odoo.addons.billing_specialist.tests.common import JsonRpcCallMixin

from .common import SaleCreditCommon
from .test_sale_credit_hold import CLIENT_KEYS


@tagged("post_install", "-at_install")
class TestSaleHoldOverJsonRpc(JsonRpcCallMixin, SaleCreditCommon, HttpCase):
    """The hold attacked as a client would: a specialist's JSON-RPC calls with any context keys confirm nothing."""

    def test_specialist_rpc_cannot_confirm_or_override(self):
        self._put_on_hold()
        order = self._order(300.0, user=self.specialist)
        self.authenticate("bs_specialist", "bs_specialist")
        context = {**CLIENT_KEYS, "allowed_company_ids": self.company.ids}
        attempts = [
            ("sale.order", "action_confirm", [order.ids]),
            ("sale.order", "action_billing_override_hold", [order.ids]),
            ("sale.order", "_billing_hold_overridden", [order.ids]),
            ("sale.order", "_validate_order", [order.ids]),
            ("billing.sale.hold.override", "create", [{"order_id": order.id, "reason": "I say so"}]),
        ]
        expected = {
            "action_confirm": "odoo.exceptions.UserError",
            "action_billing_override_hold": "odoo.exceptions.AccessError",
            "_billing_hold_overridden": "odoo.exceptions.AccessError",
            "_validate_order": "odoo.exceptions.AccessError",
            "create": "odoo.exceptions.AccessError",
        }
        for model, method, args in attempts:
            with self.subTest(method=method), self.assertRaises(JsonRpcException) as caught:
                self._call(model, method, args, {"context": context})
            self.assertEqual(str(caught.exception), expected[method])
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        # A billing manager's override over JSON-RPC goes through the wizard, with its reason.
        self.authenticate("bs_manager", "bs_manager")
        wizard_id = self._call(
            "billing.sale.hold.override", "create", [{"order_id": order.id, "reason": "Agreed by the CFO"}]
        )
        self._call("billing.sale.hold.override", "action_confirm_order", [[wizard_id]])
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
