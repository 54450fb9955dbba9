from odoo import Command
from odoo.tests import tagged

from .common import SaleCreditCommon


@tagged("post_install", "-at_install")
class TestSaleExposure(SaleCreditCommon):
    """Confirmed orders not yet invoiced count in the customer's exposure, recomputed when an order is confirmed or
    cancelled."""

    def _to_invoice(self, partner=None, company=None):
        partner = partner or self.customer
        company = company or self.company
        return self.env["billing.credit.status"]._billing_sale_to_invoice([partner.id], company).get(partner.id, 0.0)

    def test_confirmed_order_puts_customer_on_hold_cancel_releases(self):
        self._limit(self.customer, 1000.0)
        self._invoice(600.0)
        self.assertEqual(self._recompute().state, "ok")
        order = self._order(700.0, user=self.specialist)
        order.with_user(self.specialist).action_confirm()
        self.assertEqual(self._to_invoice(), 700.0)
        self._commit_events()
        status = self.customer._billing_credit_status(self.company)
        self.assertEqual(status.exposure, 1300.0)
        self.assertEqual(status.state, "hold")
        self.assertEqual(status.amount_to_release, 300.0)
        with self.assertRaisesRegex(Exception, "is on credit hold"):
            self._order(10.0).action_confirm()
        order.with_user(self.specialist)._action_cancel()
        self._commit_events()
        self.assertEqual(status.exposure, 600.0)
        self.assertEqual(status.state, "ok")

    def test_a_line_added_to_a_confirmed_order_is_recomputed(self):
        self._limit(self.customer, 1000.0)
        order = self._order(600.0)
        order.action_confirm()
        self._commit_events()
        status = self.customer._billing_credit_status(self.company)
        self.assertEqual((status.exposure, status.state), (600.0, "ok"))
        order.order_line = [Command.create({"product_id": self.product_a.id, "price_unit": 500.0, "tax_id": []})]
        self._commit_events()
        self.assertEqual((status.exposure, status.state), (1100.0, "hold"))
        order.order_line.filtered(lambda line: line.price_unit == 500.0).discount = 50.0
        self._commit_events()
        self.assertEqual((status.exposure, status.state), (850.0, "watch"))

    def test_quotations_do_not_count(self):
        self._order(700.0)
        self._order(300.0).action_quotation_sent()
        self.assertEqual(self._to_invoice(), 0.0)

    def test_invoiced_part_counts_once(self):
        order = self._order(1000.0)
        order.action_confirm()
        self.assertEqual(self._to_invoice(), 1000.0)
        # A down payment of 30 %: its invoice is an open receivable, the order keeps the rest.
        wizard = (
            self.env["sale.advance.payment.inv"]
            .with_context(active_model="sale.order", active_ids=order.ids)
            .create({"advance_payment_method": "percentage", "amount": 30})
        )
        wizard.create_invoices()
        down_payment = order.invoice_ids
        self.assertEqual(down_payment.state, "draft")
        self.assertEqual(self._to_invoice(), 700.0, "a draft invoice is in the exposure already")
        down_payment.action_post()
        status = self._recompute()
        self.assertEqual(status.exposure, 1000.0)
        # The final invoice deducts the down payment: nothing left on the order, the exposure unchanged.
        self.env["sale.advance.payment.inv"].with_context(active_model="sale.order", active_ids=order.ids).create(
            {"advance_payment_method": "delivered"}
        ).create_invoices()
        final = order.invoice_ids - down_payment
        self.assertEqual(self._to_invoice(), 0.0)
        final.action_post()
        self.assertEqual(self._recompute().exposure, 1000.0)

    def test_delivery_policy_counts_the_ordered_amount(self):
        self.product_a.invoice_policy = "delivery"
        order = self._order(400.0)
        order.action_confirm()
        self.assertEqual(order.amount_to_invoice, 0.0, "sale's figure: nothing delivered, nothing to invoice")
        self.assertEqual(self._to_invoice(), 400.0, "the order commits the company all the same")

    def test_a_discount_counts_once(self):
        order = self._order(1000.0)
        order.order_line.discount = 10.0
        order.action_confirm()
        self.assertEqual(order.amount_total, 900.0)
        self.assertEqual(self._to_invoice(), 900.0)

    def test_other_currency_in_company_currency_other_company_apart(self):
        currency = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": currency.id})
        order = self._order(500.0)
        order.pricelist_id = pricelist
        order.order_line.price_unit = 500.0
        order.action_confirm()
        self.assertEqual(order.currency_id, currency)
        self.assertEqual(self._to_invoice(), 250.0)
        other = self.setup_other_company()["company"]
        self.assertEqual(self._to_invoice(company=other), 0.0)

    def test_contact_order_counts_for_the_company(self):
        self._order(200.0, partner=self.customer_contact).action_confirm()
        self._order(100.0, partner=self.customer).action_confirm()
        self.assertEqual(self._to_invoice(), 300.0)
        self.assertEqual(self._to_invoice(self.other_customer), 0.0)
