from odoo.tests import tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestPortalPayment(BillingDisputeCommon):
    """Issue 10: on an invoice in dispute, the portal's *Pay Now* offers the undisputed amount only.

    Invoice of 1,000 (no tax, no installments); a case disputes 300 of it: the customer is asked for 700. All of it in
    dispute: nothing to pay online. Once the case is resolved (credit note of 300), the 700 left is due again.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("account_payment.enable_portal_payment", True)
        cls.invoice = cls._invoice(1000.0)

    def _values(self):
        invoice = self.invoice.with_user(self.portal_user)
        return invoice.sudo()._get_invoice_portal_extra_values()

    def test_undisputed_invoice_is_due_in_full(self):
        values = self._values()
        self.assertEqual((values["amount_due"], values["next_amount_to_pay"]), (1000.0, 1000.0))
        self.assertTrue(self.invoice._has_to_be_paid())

    def test_pay_now_offers_the_undisputed_amount(self):
        case = self._open_case(self.invoice, amount=300.0)
        values = self._values()
        self.assertEqual((values["amount_due"], values["next_amount_to_pay"]), (700.0, 700.0))
        self.assertEqual(values["billing_amount_in_dispute"], 300.0)
        self.assertTrue(self.invoice._has_to_be_paid())
        # A payment of the undisputed part leaves the disputed part open, still not asked for.
        self._pay(self.invoice, 700.0)
        self.assertEqual(self.invoice.amount_residual, 300.0)
        self.assertFalse(self.invoice._has_to_be_paid())
        # Withdrawn by the customer: the 300 is due again.
        case._portal_withdraw(self.customer_contact)
        self.assertEqual(self._values()["amount_due"], 300.0)
        self.assertTrue(self.invoice._has_to_be_paid())

    def test_nothing_to_pay_online_while_all_is_in_dispute(self):
        self._open_case(self.invoice)
        self.assertEqual(self._values()["amount_due"], 0.0)
        self.assertFalse(self.invoice._has_to_be_paid())

    def test_a_custom_amount_typed_by_the_customer_is_left_as_is(self):
        self._open_case(self.invoice, amount=300.0)
        values = self.invoice._get_invoice_next_payment_values(custom_amount=50.0)
        self.assertEqual(values["next_amount_to_pay"], 50.0)
