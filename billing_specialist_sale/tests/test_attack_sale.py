"""Issue 24's sale glue attacked: a held customer's order is never confirmed around the hold."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SaleCreditCommon
from .test_sale_credit_hold import CLIENT_KEYS


@tagged("post_install", "-at_install")
class TestAttackSaleHold(SaleCreditCommon):
    def test_state_written_directly_confirms_nothing(self):
        """``write({"state": "sale"})`` over RPC skips ``action_confirm``: the hold still refuses it."""
        self._put_on_hold()
        order = self._order(300.0, user=self.specialist)
        for env_user in (self.specialist, self.manager):
            with self.subTest(user=env_user.login), self.assertRaises(UserError):
                order.with_user(env_user).with_context(**CLIENT_KEYS).write({"state": "sale"})
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")

    def test_held_customer_as_invoice_address(self):
        """An order placed for another customer but invoiced to the held one is held: the payer is on hold."""
        self._put_on_hold()
        order = self._order(300.0, partner=self.other_customer, user=self.specialist)
        order.partner_invoice_id = self.customer_contact
        self.assertEqual(order.billing_credit_state, "hold")
        with self.assertRaises(UserError):
            order.with_user(self.specialist).action_confirm()
        self.assertEqual(order.state, "draft")

    def test_manager_override_still_confirms(self):
        self._put_on_hold()
        order = self._order(300.0, user=self.specialist)
        wizard = self.env(user=self.manager)["billing.sale.hold.override"].create(
            {"order_id": order.id, "reason": "Agreed by the CFO"}
        )
        wizard.action_confirm_order()
        self.assertEqual(order.state, "sale")

    def test_not_held_customer_confirms_by_write(self):
        """The guard on ``write`` leaves an OK customer's order alone (it could fail by refusing every write)."""
        order = self._order(300.0, partner=self.other_customer, user=self.specialist)
        order.with_user(self.specialist).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_order_created_confirmed_is_refused(self):
        """``create({"state": "sale"})`` over RPC never goes through ``action_confirm``: refused as well."""
        self._put_on_hold()
        vals = {"partner_id": self.customer_contact.id, "company_id": self.company.id, "state": "sale"}
        with self.assertRaises(UserError):
            self.env(user=self.specialist)["sale.order"].with_context(**CLIENT_KEYS).create(vals)
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.customer_contact.id)]))
        ok = self.env(user=self.specialist)["sale.order"].create({**vals, "partner_id": self.other_customer.id})
        self.assertEqual(ok.state, "sale", "an OK customer's order is left alone")
