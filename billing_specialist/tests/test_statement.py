import io
import json
from datetime import timedelta
from urllib.parse import quote

import openpyxl

from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestStatement(BillingDisputeCommon, HttpCase):
    """Statement of account figures worked out by hand on a small ledger."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv1 = cls._invoice(1000.0, invoice_date=cls.d(100), invoice_date_due=cls.d(70))
        cls.inv2 = cls._invoice(500.0, invoice_date=cls.d(40), invoice_date_due=cls.d(10))
        cls.foreign = cls._invoice(777.0, partner=cls.other_customer, invoice_date=cls.d(30))

    @classmethod
    def d(cls, days):
        return cls.today - timedelta(days=days)

    def setUp(self):
        super().setUp()
        self._pay(self.inv1, 400.0, date=self.d(20))
        case = self._open_case(self.inv2, amount=100.0)
        self._resolve(case, date=self.d(5))

    def _statement(self, date_from, date_to):
        return self.env["billing.statement"]._get_statement(self.customer_contact, self.company, date_from, date_to)

    def test_statement_today(self):
        statement = self._statement(self.d(60), self.today)
        self.assertEqual(statement["partner"], self.customer)
        self.assertEqual(statement["opening"], 1000.0)
        self.assertEqual(
            [(line["kind"], line["debit"], line["credit"], line["balance"]) for line in statement["lines"]],
            [("Invoice", 500.0, 0.0, 1500.0), ("Payment", 0.0, 400.0, 1100.0), ("Credit Note", 0.0, 100.0, 1000.0)],
        )
        self.assertEqual(statement["closing"], 1000.0)
        aging = {bucket["label"]: bucket["amount"] for bucket in statement["aging"]}
        self.assertEqual(
            aging,
            {
                "Current": 0.0,
                "1-30": 400.0,
                "31-60": 0.0,
                "61-90": 600.0,
                "91-120": 0.0,
                "Over 120": 0.0,
                "Unapplied credits": 0.0,
            },
        )
        self.assertEqual(sum(aging.values()), statement["closing"], "the aging ties to the balance")

    def test_statement_as_of_a_past_date_ignores_later_payments(self):
        statement = self._statement(self.d(60), self.d(30))
        self.assertEqual(statement["opening"], 1000.0)
        self.assertEqual([line["name"] for line in statement["lines"]], [self.inv2.name])
        self.assertEqual(statement["closing"], 1500.0)
        aging = {bucket["label"]: bucket["amount"] for bucket in statement["aging"]}
        self.assertEqual(aging["31-60"], 1000.0, "inv1, 40 days overdue, still fully open on that day")
        self.assertEqual(aging["Current"], 500.0, "inv2 is due 20 days later")
        self.assertEqual(sum(aging.values()), 1500.0)

    def test_bucket_edges(self):
        edge = self._invoice(10.0, invoice_date=self.d(31), invoice_date_due=self.d(30))
        day_31 = self._invoice(20.0, invoice_date=self.d(31), invoice_date_due=self.d(31))
        due_today = self._invoice(40.0, invoice_date=self.today, invoice_date_due=self.today)
        self.assertTrue(edge and day_31 and due_today)
        aging = {b["label"]: b["amount"] for b in self._statement(self.d(1), self.today)["aging"]}
        self.assertEqual(aging["Current"], 40.0)
        self.assertEqual(aging["1-30"], 400.0 + 10.0)
        self.assertEqual(aging["31-60"], 20.0)

    def test_xlsx_workbook(self):
        statement = self._statement(self.d(60), self.today)
        content = self.env["billing.statement"]._statement_xlsx(statement)
        sheet = openpyxl.load_workbook(io.BytesIO(content))["Statement"]
        self.assertEqual(sheet["A1"].value, "Statement of account")
        self.assertEqual(sheet["H8"].value, 1000.0)  # opening balance
        self.assertEqual(sheet["B9"].value, self.inv2.name)
        self.assertEqual(sheet["F9"].value, 500.0)
        self.assertEqual(sheet["H9"].value, "=H8+F9-G9")
        self.assertEqual(sheet["B12"].value, "Closing balance")
        self.assertEqual(sheet["G12"].value, "=SUM(G9:G11)")
        self.assertEqual(sheet["H12"].value, "=H11")
        self.assertEqual(sheet.freeze_panes, "A8")
        self.assertTrue(sheet["A9"].is_date)

    def test_statement_from_the_worklist_row_and_the_customer_form_header_tour(self):
        Collection = self.env["billing.collection"]
        Collection._for_partners(self.customer, self.company).write({"user_id": self.specialist.id})
        self.start_tour(
            "/odoo/action-billing_specialist.billing_worklist_action_my",
            "billing_specialist_statement_tour",
            login="bs_specialist",
        )

    def _download(self, url, context=None):
        """/report/download as the web client calls it (a GET: the route takes both)."""
        data = {"data": json.dumps([url, "qweb-pdf"]), "context": json.dumps(context or {})}
        return self.url_open("/report/download?" + "&".join(f"{k}={quote(v)}" for k, v in data.items()))

    def test_statement_pdf_file_name_over_http(self):
        self.customer.name = 'Acme/Retail: "East"'
        wizard = self.env["billing.statement.wizard"].create(
            {"partner_id": self.customer.id, "date_from": self.d(60), "date_to": self.d(1)}
        )
        report = "billing_specialist.report_billing_statement"
        url = f"/report/pdf/{report}?options={json.dumps(wizard._report_data())}&context={{}}"
        expected = f"Statement - Acme_Retail_ _East_ - {self.d(1)}.pdf"
        self.authenticate("bs_specialist", "bs_specialist")
        response = self._download(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(quote(expected), response.headers["Content-Disposition"], "the wizard's customer and last day")
        by_id = self._download(f"/report/pdf/{report}/{self.customer.id}")
        self.assertIn(quote(f"Statement - Acme_Retail_ _East_ - {self.today}"), by_id.headers["Content-Disposition"])
        # Options a client made up: Odoo's own refusal or name, never another customer's name.
        bad = url.replace(str(self.customer.id), "not-a-number")
        self.assertNotIn("Statement - ", self._download(bad).headers.get("Content-Disposition", ""))
        self.authenticate("bs_portal", "bs_portal")
        refused = self._download(url)
        # Odoo answers a refused download with its error (as a 200 page the web client shows): no PDF, no name.
        self.assertFalse(refused.content.startswith(b"%PDF"), "a portal user prints no back-office statement")
        self.assertIn("AccessError", refused.text)
        self.assertNotIn("Content-Disposition", refused.headers)

    def test_portal_statement_shows_only_own_account(self):
        self.authenticate("bs_portal", "bs_portal")
        page = self.url_open(f"/my/statement?date_from={self.d(60)}&date_to={self.today}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.inv2.name, page.text)
        self.assertNotIn(self.foreign.name, page.text)
        xlsx = self.url_open(f"/my/statement?date_from={self.d(60)}&date_to={self.today}&output=xlsx")
        self.assertIn("spreadsheetml", xlsx.headers["Content-Type"])
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Statement"]
        self.assertEqual(sheet["A2"].value, self.customer.display_name)
        pdf = self.url_open(f"/my/statement?date_from={self.d(60)}&date_to={self.today}&output=pdf")
        self.assertEqual(pdf.status_code, 200)
        self.assertIn("attachment", pdf.headers["Content-Disposition"])
        self.authenticate("bs_portal_other", "bs_portal_other")
        other_page = self.url_open("/my/statement").text
        self.assertIn(self.foreign.name, other_page)
        self.assertNotIn(self.inv2.name, other_page)
