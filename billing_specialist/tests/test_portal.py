from odoo import Command
from odoo.exceptions import UserError
from odoo.http import Request
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestDisputePortal(BillingDisputeCommon, HttpCase):
    """Portal pages and their refusals, over HTTP as a customer (or an attacker) would use them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(1000.0)
        cls.other_invoice = cls._invoice(800.0, partner=cls.other_customer)
        cls.other_case = cls.env["billing.dispute"].create(
            {
                "partner_id": cls.other_customer.id,
                "reason_id": cls.reason_pricing.id,
                "line_ids": [Command.create({"move_id": cls.other_invoice.id, "amount_disputed": 100.0})],
            }
        )

    def _post(self, url, data=None, files=None, csrf=True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = Request.csrf_token(self)
        return self.url_open(url, data=data, files=files)

    def _submit(self, invoice=None, **values):
        invoice = invoice or self.invoice
        data = {"reason_id": self.reason_pricing.id, "amount": "250", "description": "Wrong unit price", **values}
        return self._post(f"/my/invoices/{invoice.id}/dispute/submit", data)

    def _cases(self, invoice=None):
        return self.env["billing.dispute"].search([("line_ids.move_id", "=", (invoice or self.invoice).id)])

    def test_home_counter_and_list_show_only_own_cases(self):
        mine = self._open_case(self.invoice, amount=100.0)
        self.authenticate("bs_portal", "bs_portal")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["dispute_count"]})
        self.assertEqual(counters["dispute_count"], 1)
        page = self.url_open("/my/disputes").text
        self.assertIn(mine.name, page)
        self.assertNotIn(self.other_case.name, page)
        page = self.url_open("/my/disputes?filterby=closed").text
        self.assertNotIn(mine.name, page)
        page = self.url_open(f"/my/disputes?search_in=invoice&search={self.invoice.name}").text
        self.assertIn(mine.name, page)
        # The home card shows its count (Odoo 18 hides card counts unless asked to show them).
        home = self.url_open("/my").text
        self.assertRegex(home, r'<span class="fw-bold" data-placeholder_count="dispute_count"')

    def test_open_a_dispute_from_the_invoice(self):
        self.authenticate("bs_portal", "bs_portal")
        invoice_page = self.url_open(self.invoice.get_portal_url()).text
        self.assertIn("Dispute this invoice", invoice_page)
        form = self.url_open(f"/my/invoices/{self.invoice.id}/dispute")
        self.assertEqual(form.status_code, 200)
        line = self.invoice.invoice_line_ids
        response = self._post(
            f"/my/invoices/{self.invoice.id}/dispute/submit",
            {
                "reason_id": self.reason_quantity.id,
                "amount": "300.50",
                "description": "Two boxes missing",
                "line_ids": line.id,
            },
            files={"attachments": ("delivery_note.txt", b"signed: 8 boxes", "text/plain")},
        )
        case = self._cases()
        self.assertEqual(len(case), 1)
        self.assertIn(f"/my/disputes/{case.id}?", response.url)
        self.assertIn("message=opened", response.url)
        self.assertEqual(case.channel, "portal")
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.contact_id, self.customer_contact)
        self.assertEqual(case.amount_disputed, 300.5)
        self.assertEqual(case.invoice_line_ids, line)
        self.assertIn("Two boxes missing", case.description)
        evidence = self.env["ir.attachment"].search([("res_model", "=", "billing.dispute"), ("res_id", "=", case.id)])
        self.assertEqual(evidence.mapped("name"), ["delivery_note.txt"])
        self.assertEqual(evidence.raw, b"signed: 8 boxes")
        self.assertTrue(case.message_ids.filtered(lambda m: "we received your dispute" in (m.subject or "")))
        # The invoice page now links to the case, and the form is not offered again.
        invoice_page = self.url_open(self.invoice.get_portal_url()).text
        self.assertIn(f"In dispute: {case.name}", invoice_page)
        again = self.url_open(f"/my/invoices/{self.invoice.id}/dispute")
        self.assertTrue(again.url.endswith(f"/my/disputes/{case.id}"))
        case_page = self.url_open(f"/my/disputes/{case.id}").text
        self.assertIn(case.name, case_page)
        self.assertIn("Withdraw the dispute", case_page)

    def test_cannot_read_another_customers_case(self):
        self.authenticate("bs_portal", "bs_portal")
        response = self.url_open(f"/my/disputes/{self.other_case.id}")
        self.assertTrue(response.url.endswith("/my"), "another customer's case redirects home")
        self.assertNotIn(self.other_case.name, response.text)
        guessed = self.url_open(f"/my/disputes/{self.other_case.id}?access_token=00000000-guess")
        self.assertNotIn(self.other_case.name, guessed.text)
        with self.assertRaisesRegex(JsonRpcException, "AccessError|not allowed"):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {"model": "billing.dispute", "method": "read", "args": [[self.other_case.id], ["name"]], "kwargs": {}},
            )
        found = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": "billing.dispute", "method": "search_read", "args": [[], ["name"]], "kwargs": {}},
        )
        self.assertNotIn(self.other_case.name, [row["name"] for row in found])

    def test_access_token_link_works_without_login(self):
        case = self._open_case(self.invoice, amount=100.0)
        self.assertIn("/my/disputes/", case.get_portal_url())
        page = self.url_open(case.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn(case.name, page.text)
        self.assertNotIn(case.name, self.url_open(f"/my/disputes/{case.id}").text)

    def test_cannot_dispute_another_customers_invoice(self):
        self.authenticate("bs_portal", "bs_portal")
        before = self._count("billing.dispute")
        response = self._submit(invoice=self.other_invoice)
        self.assertTrue(response.url.endswith("/my"))
        self.assertEqual(self._count("billing.dispute"), before)
        self.assertTrue(self.url_open(f"/my/invoices/{self.other_invoice.id}/dispute").url.endswith("/my"))

    def test_bad_amounts_and_reasons_are_refused(self):
        self.authenticate("bs_portal", "bs_portal")
        before = self._count("billing.dispute")
        for amount, message in (
            ("1000.01", "more than its open amount"),
            ("0", "greater than zero"),
            ("-5", "greater than zero"),
            ("abc", "as a number"),
        ):
            response = self._submit(amount=amount)
            self.assertEqual(response.status_code, 400, amount)
            self.assertIn(message, response.text)
        hidden = self.env.ref("billing_specialist.reason_other")
        hidden.portal_visible = False
        response = self._submit(reason_id=hidden.id)
        self.assertIn("proposed reasons", response.text)
        foreign_line = self.other_invoice.invoice_line_ids
        response = self._submit(line_ids=foreign_line.id)
        self.assertIn("lines of this invoice only", response.text)
        self.assertEqual(self._count("billing.dispute"), before)

    def test_non_numbers_and_out_of_range_amounts_are_a_message_not_a_crash(self):
        self.authenticate("bs_portal", "bs_portal")
        before = self._count("billing.dispute")
        for amount, message in (
            ("nan", "as a number"),
            ("NaN", "as a number"),
            ("inf", "as a number"),
            ("-inf", "as a number"),
            ("Infinity", "as a number"),
            ("1e400", "as a number"),
            ("1e308*10", "as a number"),
            ("1e2", "as a number"),
            ("", "as a number"),
            ("   ", "as a number"),
            ("9" * 40, "as a number"),
            ("12.345", "at most 2 decimals"),
            ("99999999", "more than its open amount"),
        ):
            response = self._submit(amount=amount)
            self.assertEqual(response.status_code, 400, amount)
            self.assertIn(message, response.text, amount)
            self.assertIn('name="amount"', response.text, "the form is shown again")
        self.assertEqual(self._count("billing.dispute"), before)
        response = self._submit(amount="1000,00")
        self.assertEqual(self._cases().amount_disputed, 1000.0, "a comma is a decimal separator")

    def test_html_is_escaped(self):
        self.authenticate("bs_portal", "bs_portal")
        self._submit(description='<script>alert("x")</script><img src=x onerror=alert(1)>')
        case = self._cases()
        self.assertNotIn("<script", case.description)
        self.assertNotIn("<img", case.description)
        self.assertIn("&lt;script&gt;", case.description)
        page = self.url_open(f"/my/disputes/{case.id}").text
        self.assertNotIn('<script>alert("x")', page)

    def test_post_without_csrf_token_is_refused(self):
        self.authenticate("bs_portal", "bs_portal")
        before = self._count("billing.dispute")
        response = self._post(
            f"/my/invoices/{self.invoice.id}/dispute/submit",
            {"reason_id": self.reason_pricing.id, "amount": "10"},
            csrf=False,
        )
        self.assertIn(response.status_code, (400, 403))
        self.assertEqual(self._count("billing.dispute"), before)
        case = self._open_case(self.invoice, amount=10.0)
        response = self._post(f"/my/disputes/{case.id}/withdraw", {"withdraw": "1"}, csrf=False)
        self.assertIn(response.status_code, (400, 403))
        self.assertEqual(case.state, "new")

    def test_daily_limit(self):
        self.company.billing_portal_max_disputes_per_day = 2
        invoices = [self._invoice(100.0) for _ in range(3)]
        self.authenticate("bs_portal", "bs_portal")
        for invoice in invoices[:2]:
            self._submit(invoice=invoice, amount="10")
        response = self._submit(invoice=invoices[2], amount="10")
        self.assertEqual(response.status_code, 400)
        self.assertIn("most we accept in a day", response.text)
        self.assertFalse(self._cases(invoices[2]))

    def test_daily_limit_counts_the_customers_own_cases_only(self):
        """A specialist's cases marked "portal" do not use up the customer's daily limit (attack pass)."""
        self.company.billing_portal_max_disputes_per_day = 2
        for _ in range(2):
            with self.assertRaisesRegex(UserError, "Only cases the customer opens"), self.cr.savepoint():
                self._open_case(self._invoice(100.0), channel="portal")
        case = self._open_case(self._invoice(100.0))
        with self.assertRaisesRegex(UserError, "Only cases the customer opens"), self.cr.savepoint():
            case.with_user(self.specialist).channel = "portal"
        invoice = self._invoice(100.0)
        self.authenticate("bs_portal", "bs_portal")
        response = self._submit(invoice=invoice, amount="10")
        self.assertNotEqual(response.status_code, 400, response.text[:300])
        self.assertTrue(self._cases(invoice))

    def test_withdraw_own_case_only(self):
        mine = self._open_case(self.invoice, amount=100.0)
        self.authenticate("bs_portal", "bs_portal")
        response = self._post(f"/my/disputes/{self.other_case.id}/withdraw")
        self.assertTrue(response.url.endswith("/my"))
        self.assertEqual(self.other_case.state, "new")
        response = self._post(f"/my/disputes/{mine.id}/withdraw")
        self.assertEqual(mine.state, "cancelled")
        self.assertTrue(
            mine.message_ids.filtered(lambda m: "withdrew" in m.body and m.author_id == self.customer_contact)
        )
        self.assertFalse(self.invoice.billing_in_dispute)
        response = self._post(f"/my/disputes/{mine.id}/withdraw")
        self.assertIn("already closed", response.text)

    def test_cannot_post_on_another_customers_case(self):
        self.authenticate("bs_portal", "bs_portal")
        before = len(self.other_case.message_ids)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "billing.dispute",
                    "thread_id": self.other_case.id,
                    "post_data": {"body": "hello", "message_type": "comment"},
                },
            )
        self.assertEqual(len(self.other_case.message_ids), before)

    def test_resolution_and_credit_note_are_shown(self):
        case = self._open_case(self.invoice, amount=300.0)
        self._resolve(case, amounts=[120.0], note="Price corrected for two units.")
        self.authenticate("bs_portal", "bs_portal")
        page = self.url_open(f"/my/disputes/{case.id}").text
        refund = case.settlement_move_ids
        self.assertIn("Price corrected for two units.", page)
        self.assertIn(refund.name, page)
        self.assertNotIn("Withdraw the dispute", page)
        credit_page = self.url_open(refund.get_portal_url())
        self.assertEqual(credit_page.status_code, 200)
        self.assertIn(refund.name, credit_page.text)

    def test_portal_case_lands_with_a_named_specialist(self):
        team = self.env["crm.team"].create(
            {"name": "Billing Desk", "user_id": self.specialist.id, "member_ids": [Command.set(self.specialist.ids)]}
        )
        self.reason_pricing.team_id = team
        self.authenticate("bs_portal", "bs_portal")
        self._submit()
        case = self._cases()
        self.assertEqual(case.user_id, self.specialist)
        self.assertEqual(case.activity_ids.user_id, self.specialist)
        ack = case.message_ids.filtered(lambda m: "we received your dispute" in (m.subject or ""))
        self.assertEqual(ack.author_id, self.company.partner_id, "signed by the company, not the customer")
        self.assertIn("Sam Specialist", self.url_open(f"/my/disputes/{case.id}").text)

    def test_posted_invoice_never_reads_proforma(self):
        """Odoo's portal marks a posted invoice PROFORMA until its PDF is generated; a customer reads "Invoice"."""
        self.assertFalse(self.invoice.invoice_pdf_report_id, "posted, never sent: no PDF yet")
        self.authenticate("bs_portal", "bs_portal")
        url = f"/my/invoices/{self.invoice.id}"
        for query in ("?report_type=html", "?report_type=pdf", "?report_type=pdf&download=true"):
            page = self.url_open(url + query)
            self.assertEqual(page.status_code, 200, query)
            self.assertIn(self.invoice.name, page.text, query)
            self.assertNotIn("PROFORMA", page.text.upper(), query)
        self.assertFalse(self.invoice.invoice_pdf_report_id, "viewing it stores nothing")
        # Another customer's invoice: refused as before.
        self.authenticate("bs_portal_other", "bs_portal_other")
        page = self.url_open(url + "?report_type=html")
        self.assertNotIn(self.invoice.name, page.text)
        self.assertTrue(page.url.endswith("/my"), "redirected home, as Odoo does")

    def test_statement_links_documents_and_flags_disputed_items(self):
        disputed = self._invoice(300.0)
        case = self._open_case(disputed, amount=100.0)
        self.authenticate("bs_portal", "bs_portal")
        page = self.url_open("/my/statement").text
        self.assertIn(f'href="/my/invoices/{self.invoice.id}"', page)
        self.assertIn(f'href="/my/invoices/{disputed.id}"', page)
        self.assertIn(f"In dispute: {case.name}", page)
        self.assertIn(f'href="/my/disputes/{case.id}"', page)
        self.assertEqual(page.count("o_billing_statement_disputed"), 1, "only the disputed invoice is flagged")
        self.assertNotIn(self.other_invoice.name, page)
        self.assertNotIn(self.other_case.name, page)
        # The other customer sees neither our documents nor our case on his statement.
        self.authenticate("bs_portal_other", "bs_portal_other")
        page = self.url_open("/my/statement").text
        self.assertNotIn(case.name, page)
        self.assertNotIn(f"/my/invoices/{disputed.id}", page)
        self.assertIn(f"In dispute: {self.other_case.name}", page)


@tagged("post_install", "-at_install")
class TestDisputePortalTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
    def test_customer_and_specialist_in_the_browser(self):
        invoice = self._invoice(1000.0)
        self.company.billing_dispute_default_user_id = self.specialist
        self.start_tour(invoice.access_url, "billing_portal_open_dispute_tour", login="bs_portal")
        case = self.env["billing.dispute"].search([("line_ids.move_id", "=", invoice.id)])
        self.assertEqual(case.user_id, self.specialist, "the case lands with a named specialist")
        self.assertEqual(case.activity_ids.user_id, self.specialist)
        self.assertEqual((case.channel, case.amount_disputed, case.reason_id), ("portal", 300.0, self.reason_quantity))
        self.assertTrue(case.message_ids.filtered(lambda m: m.attachment_ids.name == "delivery_note.txt"))
        customer_message = case.message_ids.filtered(lambda m: "carrier confirms" in (m.body or ""))
        self.assertEqual(customer_message.author_id, self.customer_contact)

        self.start_tour(f"/odoo/billing.dispute/{case.id}", "billing_specialist_resolve_tour", login="bs_specialist")
        self.assertEqual(case.state, "resolved")
        self.assertEqual((case.amount_credited, case.amount_rejected), (120.0, 180.0))

        self.start_tour(case.access_url, "billing_portal_resolution_tour", login="bs_portal")

        other = self._open_case(self._invoice(500.0), amount=50.0)
        self.start_tour(other.access_url, "billing_portal_withdraw_tour", login="bs_portal")
        self.assertEqual(other.state, "cancelled")
