import lxml.html

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
        cls._invoice(1500.0)

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

    def test_held_customer_reads_the_amount_on_every_page(self):
        self._credit(self.customer, "hold", 700.0, "Exposure is above the credit limit.")
        amount = " ".join(self.company.currency_id.format(700.0).split())  # the page's spaces, read as text
        for url, banners in self._banners("bs_portal").items():
            with self.subTest(url=url):
                self.assertEqual(len(banners), 1)
                self.assertIn(f"Your account is on credit hold. Paying {amount} releases it.", banners[0])
                self.assertIn("See and pay your invoices", banners[0])
                self.assertNotIn("Exposure", banners[0], "the internal reasons stay internal")
        page = self.url_open("/my").text
        self.assertIn('href="/my/invoices?filterby=overdue_invoices"', page)

    def test_another_customer_sees_nothing(self):
        self._credit(self.customer, "hold", 700.0, "Exposure is above the credit limit.")
        self.assertEqual(self._banners("bs_portal_other"), dict.fromkeys(PAGES, []))

    def test_ok_watch_and_another_company_show_nothing(self):
        for state in ("ok", "watch"):
            self._credit(self.customer, state, 0.0, "")
            with self.subTest(state=state):
                self.assertEqual(self._banners("bs_portal"), dict.fromkeys(PAGES, []))
        company_2 = self.setup_other_company(name="Portal Credit Co")["company"]
        self._credit(self.customer, "hold", 700.0, "Held elsewhere.", company=company_2)
        self.assertEqual(self._banners("bs_portal"), dict.fromkeys(PAGES, []))

    def test_after_a_release_nothing_shows(self):
        status = self._credit(self.customer, "hold", 700.0, "Exposure is above the credit limit.")
        self.assertTrue(self._banners("bs_portal")["/my"])
        status.write({"state": "ok", "amount_to_release": 0.0})
        self.assertEqual(self._banners("bs_portal"), dict.fromkeys(PAGES, []))

    def test_paying_cannot_release_asks_politely_to_contact_us(self):
        self._credit(self.customer, "hold", 0.0, "Three broken promises in 90 days.")
        banners = self._banners("bs_portal")["/my/invoices"]
        self.assertEqual(len(banners), 1)
        self.assertIn("Your account is on credit hold. Please contact us", banners[0])
        self.assertNotIn("Paying", banners[0])
