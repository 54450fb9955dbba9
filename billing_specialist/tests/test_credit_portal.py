from datetime import timedelta

import lxml.html

from odoo import Command
from odoo.tests import HttpCase, tagged

from .credit_effects_common import CreditEffectsCommon

PAGES = ("/my", "/my/invoices", "/my/statement")


@tagged("post_install", "-at_install")
class TestCreditPortalBanner(CreditEffectsCommon, HttpCase):
    """Over HTTP, as the portal user: a customer on credit hold reads what to pay to be released on the portal home,
    My Invoices and the statement; nothing for another customer, OK, watch, another company's hold, after a release."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.open_invoice = cls._invoice(1500.0)  # above the limit of 1,000.00 by 500.00

    def _banners(self, login):
        self.authenticate(login, login)
        found = {}
        for url in PAGES:
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertNotIn("/web/login", response.url, url)
            page = lxml.html.fromstring(response.text)
            found[url] = [
                " ".join(node.text_content().split())
                for node in page.xpath("//*[contains(concat(' ', @class, ' '), ' o_billing_credit_hold_banner ')]")
            ]
        return found

    def _banner_links(self):
        page = lxml.html.fromstring(self.url_open("/my").text)
        return page.xpath("//*[contains(concat(' ', @class, ' '), ' o_billing_credit_hold_banner ')]//a/@href")

    def test_held_customer_reads_the_amount_on_every_page(self):
        self.assertEqual(self._recompute().amount_to_release, 500.0)
        amount = " ".join(self.company.currency_id.format(500.0).split())  # the page's spaces, read as text
        for url, banners in self._banners("bs_portal").items():
            with self.subTest(url=url):
                self.assertEqual(len(banners), 1)
                self.assertIn(f"Your account is on credit hold. Paying {amount} releases it.", banners[0])
                self.assertIn("See and pay your invoices", banners[0])
                self.assertNotIn("Exposure", banners[0], "the internal reasons stay internal")
                self.assertNotIn("limit", banners[0])
        # Held above its limit, nothing overdue: the link opens its invoices, not an empty list of overdue ones
        # (walk of issue 24: Redwood's banner led to "Overdue invoices" and none; this test expected that link).
        self.assertEqual(self._banner_links(), ["/my/invoices"])

    def test_held_for_overdue_items_links_to_them(self):
        self.customer.with_company(self.company).credit_limit = 0.0
        self._invoice(
            300.0, invoice_date=self.today - timedelta(days=91), invoice_date_due=self.today - timedelta(days=61)
        )
        status = self._recompute()
        self.assertEqual((status.state, status.amount_to_release), ("hold", 300.0))
        self.assertTrue(self._banners("bs_portal")["/my"])
        self.assertEqual(self._banner_links(), ["/my/invoices?filterby=overdue_invoices"])

    def test_another_customer_sees_nothing(self):
        self.assertEqual(self._recompute().state, "hold")
        self.assertEqual(self._banners("bs_portal_other"), dict.fromkeys(PAGES, []))
        # Parameters naming the held customer or the company are no way in: the banner reads the user alone.
        for url in PAGES:
            page = self.url_open(f"{url}?partner_id={self.customer.id}&company_id={self.company.id}").text
            self.assertNotIn("o_billing_credit_hold_banner", page, url)

    def test_ok_watch_and_another_company_show_nothing(self):
        """The states as the ledger gives them: 1,500.00 owed against a limit of 5,000.00 (OK), of 1,800.00 (83 %:
        watch); then held in another company only."""
        for limit, state in ((5000.0, "ok"), (1800.0, "watch")):
            self.customer.with_company(self.company).credit_limit = limit
            with self.subTest(state=state):
                self.assertEqual(self._recompute().state, state)
                self.assertEqual(self._banners("bs_portal"), dict.fromkeys(PAGES, []))
        company_2 = self.setup_other_company(name="Portal Credit Co")["company"]
        self._credit(self.customer, "hold", 700.0, "Held elsewhere.", company=company_2)
        self.assertEqual(self._banners("bs_portal"), dict.fromkeys(PAGES, []))

    def test_after_a_release_nothing_shows(self):
        status = self._recompute()
        self.assertTrue(self._banners("bs_portal")["/my"])
        self._release(status)
        self.assertEqual(status.state, "watch", "a released hold watches")
        self.assertEqual(self._banners("bs_portal"), dict.fromkeys(PAGES, []))

    def test_after_paying_the_amount_nothing_shows(self):
        self._recompute()
        self.assertTrue(self._banners("bs_portal")["/my"])
        self._pay(self.open_invoice, 500.0)
        self.assertEqual(self._recompute().state, "watch", "an exposure at the limit is watched, not held")
        self.assertEqual(self._banners("bs_portal"), dict.fromkeys(PAGES, []))

    def test_paying_cannot_release_asks_politely_to_contact_us(self):
        """Two promises broken in the last 90 days hold the customer; paying does not release that hold."""
        Promise = self.env["billing.promise"].sudo()
        for _i in range(2):
            promise = Promise.create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.open_invoice.ids)],
                    "amount": 750.0,  # the company's minimum share, half of what is open
                    "date": self.today,
                }
            )
            promise.write({"state": "broken", "date_judged": self.today})
        status = self._recompute()
        self.assertEqual((status.state, status.amount_to_release), ("hold", 0.0))
        for url, banners in self._banners("bs_portal").items():
            with self.subTest(url=url):
                self.assertEqual(len(banners), 1)
                self.assertIn("Your account is on credit hold. Please contact us", banners[0])
                self.assertNotIn("Paying", banners[0])
