"""The documents a customer receives, printed by the wkhtmltopdf of this machine (issue 23, a statement fit to send).

Debian's wkhtmltopdf 0.12.6 (unpatched Qt) drops the layout's header, prints one HTML file per call and draws web
fonts as outlines. These tests print real PDFs (``force_report_rendering``) and read them back with PyPDF2: the
company's header, the customer, the documents and the totals are text, one page stays small, a batch prints.
"""

import io
import time
from datetime import timedelta
from unittest.mock import patch

from PyPDF2 import PdfReader

from odoo.tests import tagged

from odoo.addons.billing_specialist.report import billing_report_pdf

from .followup_common import FollowupCommon

STATEMENT = "billing_specialist.action_report_billing_statement"
LETTER = "billing_specialist.action_report_billing_followup_letter"
MAX_PAGE_BYTES = 200_000


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@tagged("post_install", "-at_install")
class TestDocumentsPdf(FollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.write({"street": "1 Ledger Lane", "city": "Tallyton", "zip": "4242"})
        cls.company.write({"name": "Ledgerline Supplies", "report_footer": "Bank: IBAN FR76 0000 1111"})
        cls.inv1 = cls._invoice(1000.0, invoice_date=cls.today - timedelta(days=40))
        cls.Report = cls.env["ir.actions.report"].with_context(force_report_rendering=True)

    def setUp(self):
        super().setUp()
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() in ("install", "broken", "upgrade"):
            self.skipTest("no usable wkhtmltopdf on this machine")

    def _statement_pdf(self, partners):
        data = {
            "partner_ids": partners.ids,
            "date_from": str(self.today - timedelta(days=60)),
            "date_to": str(self.today),
            "company_id": self.company.id,
        }
        return self.Report.with_user(self.specialist)._render_qweb_pdf(STATEMENT, partners.ids, data=data)[0]

    def assertCompanyHeader(self, text):
        for expected in ("Ledgerline Supplies", "1 Ledger Lane", "Tallyton"):
            self.assertIn(expected, text, "the company's header is printed")

    def test_statement_pdf_is_text_with_the_company_header(self):
        start = time.perf_counter()
        content = self._statement_pdf(self.customer)
        seconds = time.perf_counter() - start
        self.assertTrue(content.startswith(b"%PDF"))
        pages, text = pdf_text(content)
        self.assertEqual(pages, 1)
        self.assertLess(len(content), MAX_PAGE_BYTES, "text, not outlines: one page is small")
        self.assertCompanyHeader(text)
        self.assertIn("Acme Retail", text)
        self.assertIn(self.inv1.name, text)
        self.assertIn("1,000.00", text, "the closing balance")
        self.assertIn("IBAN FR76 0000 1111", text, "the company's footer")
        self.assertNotIn("Page /", text, "no empty page numbers")
        # Generous: the bench measures the real figure; a fetch of the server's own URL took 25 s.
        self.assertLess(seconds, 20)

    def test_statements_of_two_customers_print_in_one_call(self):
        self._invoice(250.0, partner=self.other_customer, invoice_date=self.today - timedelta(days=3))
        content = self._statement_pdf(self.customer | self.other_customer)
        pages, text = pdf_text(content)
        self.assertEqual(pages, 2, "one page per customer (the unpatched build prints a single HTML file)")
        self.assertIn("Acme Retail", text)
        self.assertIn("Globex Stores", text)
        self.assertEqual(text.count("Ledgerline Supplies"), 2, "each statement has the header")

    def test_header_in_the_body_only_where_wkhtmltopdf_drops_it(self):
        report = self.env["ir.actions.report"]._get_report(STATEMENT)
        data = {"partner_ids": self.customer.ids, "report_type": "pdf"}
        html = self.Report.with_user(self.specialist)._render_qweb_html(STATEMENT, self.customer.ids, data=data)[0]
        with patch.object(billing_report_pdf, "wkhtmltopdf_drops_headers", return_value=True):
            bodies, _ids, _header, _footer, args = report._prepare_html(html, report_model="res.partner")
            self.assertIn("o_billing_body_header", bodies[0])
            self.assertIn("1 Ledger Lane", bodies[0])
            self.assertIn(billing_report_pdf.MARKER, args)
            wk_args = self.env["ir.actions.report"]._build_wkhtmltopdf_args(report.get_paperformat(), False, args)
            self.assertNotIn("--header-spacing", wk_args)
            self.assertNotIn("--javascript-delay", wk_args)
            inlined = self.env["ir.actions.report"]._billing_inline_styles(bodies[0])
            self.assertNotIn('rel="stylesheet" href="/web/assets/', inlined, "nothing fetched from the server")
        with patch.object(billing_report_pdf, "wkhtmltopdf_drops_headers", return_value=False):
            bodies, _ids, header, _footer, args = report._prepare_html(html, report_model="res.partner")
            self.assertNotIn("o_billing_body_header", bodies[0], "a patched build prints Odoo's header")
            self.assertIn("1 Ledger Lane", header)
            self.assertNotIn(billing_report_pdf.MARKER, args)

    def test_followup_letter_pdf(self):
        nomail = self._customer("No Mail", email=False)
        invoice = self._overdue(10, 321.0, partner=nomail)
        line = self._line(self._send(), nomail)
        self.assertEqual(line.channel, "letter")
        content = self.Report._render_qweb_pdf(LETTER, line.ids)[0]
        pages, text = pdf_text(content)
        self.assertEqual(pages, 1)
        self.assertLess(len(content), MAX_PAGE_BYTES)
        self.assertCompanyHeader(text)
        self.assertIn("Dear No Mail", text)
        self.assertIn(invoice.name, text)
        self.assertIn("321.00", text)

    def test_billing_run_prints_invoices_with_the_header_in_one_call(self):
        nomail = self._customer("Paper Only", email=False)
        moves = self._invoice(110.0, partner=nomail) | self._invoice(220.0, partner=nomail)
        delivery = self.env["billing.invoice.delivery"].with_context(force_report_rendering=True)
        Report = type(self.env["ir.actions.report"])
        with patch.object(Report, "_run_wkhtmltopdf", autospec=True, side_effect=Report._run_wkhtmltopdf) as run:
            results = delivery._deliver(moves)
        self.assertEqual(run.call_count, 1, "the batch is printed by one wkhtmltopdf call")
        self.assertEqual({outcome for outcome, _message, _mail in results.values()}, {"posted_printed"})
        for move, total in zip(moves, ("110.00", "220.00"), strict=True):
            content = move.invoice_pdf_report_id.raw
            self.assertTrue(content.startswith(b"%PDF"))
            pages, text = pdf_text(content)
            self.assertEqual(pages, 1)
            self.assertLess(len(content), MAX_PAGE_BYTES)
            self.assertCompanyHeader(text)
            self.assertIn(move.name, text)
            self.assertIn(total, text)
            self.assertNotIn("PROFORMA", text.upper())
