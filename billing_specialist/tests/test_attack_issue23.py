"""Attacks on what issue 23 added, as a billing specialist of another company would try them over RPC."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import BillingDisputeCommon
from .test_matching_review import MatchingReviewCommon


@tagged("post_install", "-at_install")
class TestAttackIssue23(MatchingReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company(name="Attack 23 Co")["company"]
        cls.foreign = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "company_id": cls.other_company.id,
                "invoice_date": cls.today,
                "invoice_line_ids": [Command.create({"name": "x", "quantity": 1, "price_unit": 4321.0, "tax_ids": []})],
            }
        )
        cls.foreign.action_post()
        cls.foreign_specialist = new_test_user(
            cls.env,
            login="bs_attack23_other",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )

    def test_an_allocation_never_names_another_companys_invoice(self):
        """Writing another company's invoice on one's row would read its number and open amount (related fields
        are read as the system): refused at once, nothing is written."""
        self._payment(300.0, memo=self.inv2.name)
        row = self._review()
        before = row.allocation_ids
        with self.assertRaises(UserError), self.env.cr.savepoint():
            row.write({"allocation_ids": [Command.create({"move_id": self.foreign.id, "amount": 1.0})]})
        with self.assertRaises(UserError), self.env.cr.savepoint():
            before[:1].write({"move_id": self.foreign.id})
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.env["billing.match.review.allocation"].with_user(self.specialist).create(
                {"review_id": row.id, "move_id": self.foreign.id, "amount": 1.0}
            )
        row.invalidate_recordset()
        self.assertEqual(row.allocation_ids, before)
        self.assertNotIn(self.foreign, row.allocation_ids.move_id)

    def _drill_down(self):
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": self.today.replace(day=1), "date_to": self.today})
        )
        line = wizard.aging_line_ids.filtered(lambda row: row.partner_id == self.customer)
        return line, self.env["billing.report.open.item"].with_user(self.specialist).search(
            line.action_open_items()["domain"]
        )

    def test_drill_down_rows_are_their_makers_alone(self):
        """A report's aging rows and drill-down rows are real (transient) records: a specialist of another company
        neither finds nor reads them, and makes none that names another company's documents."""
        line, rows = self._drill_down()
        self.assertTrue(rows, "the customer has open items")
        Item = self.env["billing.report.open.item"].with_user(self.foreign_specialist)
        Line = self.env["billing.report.aging.line"].with_user(self.foreign_specialist)
        self.assertFalse(Item.search([("id", "in", rows.ids)]), "another user's drill-down is not found")
        self.assertFalse(Line.search([("id", "in", line.ids)]), "nor another user's aging rows")
        with self.assertRaises(AccessError):
            rows.with_user(self.foreign_specialist).read(["move_id", "amount_open_as_of", "partner_id"])
        with self.assertRaises(AccessError):
            line.with_user(self.foreign_specialist).read(["partner_id", "amount_total"])
        # Rows are made by the report only: a client's row would read any document's name as the system.
        with self.assertRaises(AccessError):
            self.env["billing.report.open.item"].with_user(self.specialist).create(
                {"move_id": self.foreign.id, "partner_id": self.customer.id}
            )
        with self.assertRaises(AccessError):
            self.env["billing.report.aging.line"].with_user(self.specialist).create(
                {"partner_id": self.customer.id, "company_ids": [Command.set(self.other_company.ids)]}
            )
        # The maker still reads and opens them.
        self.assertEqual(rows.read(["move_id"])[0]["move_id"][0], rows[0].move_id.id)
        self.assertEqual(rows[0].action_open_document()["res_id"], rows[0].move_id.id)

    def test_statement_file_name_keeps_no_crafted_character(self):
        """A customer's name is written by anyone who may edit it: in the file name (Content-Disposition of the
        download, the portal's and the e-mail's attachment) it never splits a header, climbs a folder or grows."""
        Statement = self.env["billing.statement"]
        for crafted in (
            "Acme\r\nSet-Cookie: session=x",
            "../../etc/passwd",
            "..\\..\\windows\\win.ini",
            '=cmd|" /C calc"!A0',
            "Acme\x00\x07\u202e",
            "A" * 5000,
            "...",
        ):
            self.customer.name = crafted
            name = Statement._filename(self.customer, self.today, "pdf")
            self.assertTrue(name.startswith("Statement - ") and name.endswith(f" - {self.today}.pdf"), name)
            for forbidden in ("\r", "\n", "/", "\\", '"', "\x00", "\u202e"):  # '..' alone climbs no folder
                self.assertNotIn(forbidden, name.removesuffix(".pdf"), repr(crafted))
            self.assertLessEqual(len(name), 120, "a long name is cut")


@tagged("post_install", "-at_install")
class TestAttackPortalInvoice(BillingDisputeCommon, HttpCase):
    """The portal's invoice without "PROFORMA" (controllers/portal_invoice.py) as an outsider would call it."""

    def test_another_token_a_draft_or_a_cancelled_invoice_shows_nothing_more(self):
        invoice = self._invoice(700.0)
        theirs = self._invoice(900.0, partner=self.other_customer)
        draft = self._invoice(500.0, post=False)
        cancelled = self._invoice(400.0, post=False)
        cancelled.button_cancel()
        token = invoice._portal_ensure_token()
        self.assertFalse(invoice.invoice_pdf_report_id)
        # Public visitor: one invoice's token opens that invoice alone.
        page = self.url_open(f"/my/invoices/{invoice.id}?report_type=html&access_token={token}")
        self.assertIn(invoice.name, page.text)
        for move in (theirs, draft, cancelled):
            for query in (f"access_token={token}", "access_token=", f"access_token={token[:-1]}x"):
                page = self.url_open(f"/my/invoices/{move.id}?report_type=pdf&{query}")
                self.assertFalse(page.content.startswith(b"%PDF"), (move.state, query))
                if move.name and move.name != "/":
                    self.assertNotIn(move.name, page.text)
        # The customer logged in: its draft and cancelled invoices are not printed as invoices by this route.
        self.authenticate("bs_portal", "bs_portal")
        for move in (draft, cancelled):
            page = self.url_open(f"/my/invoices/{move.id}?report_type=pdf")
            self.assertFalse(page.content.startswith(b"%PDF"), move.state)
        self.assertFalse((invoice | draft | cancelled).invoice_pdf_report_id, "nothing stored")
