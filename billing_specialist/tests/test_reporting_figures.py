import io
from datetime import timedelta

import openpyxl

from odoo import Command
from odoo.exceptions import UserError
from odoo.modules.module import get_manifest
from odoo.tests import new_test_user, tagged
from odoo.tools.convert import convert_file

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestReportingFigures(BillingDisputeCommon):
    """Issue 9: key figures are never impossible, one source for the buckets and the sales team, no SQL `IN ()`.

    Ledger (company currency, no taxes, D = today, period D-29 .. D): an invoice of 500 dated D-100 due D-70 and still
    open; in the period an invoice of 100 dated D-20 due D-10, open, and credit notes worth more than the invoices.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.old = cls._invoice(500.0, invoice_date=cls.d(100), invoice_date_due=cls.d(70))
        cls.recent = cls._invoice(100.0, invoice_date=cls.d(20), invoice_date_due=cls.d(10))
        cls.period = (cls.d(29), cls.today)

    @classmethod
    def d(cls, days):
        return cls.today - timedelta(days=days)

    def _credit_note(self, amount):
        return self._invoice(amount, move_type="out_refund", invoice_date=self.d(5))

    def _kpis(self, **filters):
        return self.env["billing.kpi"]._get_kpis(self.company, *self.period, **filters)

    def _wizard(self, user=None, **vals):
        return (
            self.env["billing.report.wizard"]
            .with_user(user or self.specialist)
            .create({"date_from": self.period[0], "date_to": self.period[1], **vals})
        )

    def _summary(self, wizard):
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw))["Summary"]
        # (value, definition, the value's comment): an n/a figure is an empty cell whose comment gives the reason
        return {
            sheet.cell(row, 1).value: (
                sheet.cell(row, 2).value,
                sheet.cell(row, 6).value,
                sheet.cell(row, 2).comment and sheet.cell(row, 2).comment.text,
            )
            for row in range(7, 45)
        }

    # ------------------------------------------------------------------ impossible key figures

    def test_more_credit_notes_than_invoices(self):
        self._credit_note(300.0)  # unapplied: the customer's credit
        kpis = self._kpis()
        self.assertEqual((kpis["invoices_issued_amount"], kpis["credit_notes_amount"]), (100.0, 300.0))
        self.assertEqual(kpis["net_sales"], -200.0)
        self.assertEqual(kpis["receivable_end"], 300.0)  # 500 + 100 - 300
        self.assertEqual(kpis["invoices_overdue_amount"], 600.0, "open debits past due; the credit is apart")
        self.assertEqual(kpis["invoices_overdue_count"], 2)
        self.assertEqual(kpis["unapplied_credits_end"], 300.0)
        for key in ("dso_simple", "dso_best_possible"):
            self.assertIsNone(kpis[key], f"{key} has no meaning without net sales")
            self.assertIn("credit notes", kpis["na_reasons"][key])
        self.assertTrue(kpis["cei"] is None or 0 <= kpis["cei"] <= 100)
        self.assertEqual(kpis["cei"], 0.0, "(500 - 200 - 300) / (500 - 200 - 0): nothing was collected")
        wizard = self._wizard()
        self.assertIn("n/a", wizard.kpi_html)
        self.assertIn("credit notes are at least the invoices of the period", wizard.kpi_html)
        summary = self._summary(wizard)
        value, definition, comment = summary["DSO (simple)"]
        self.assertIsNone(value, "n/a is an empty cell, never text in a number column")
        self.assertIn("n/a: credit notes are at least the invoices of the period", comment)
        self.assertIn("n/a: credit notes are at least the invoices of the period", definition)
        self.assertEqual(summary["Overdue amount at period end"][0], 600.0)

    def test_negative_receivables(self):
        self._credit_note(1000.0)
        kpis = self._kpis()
        self.assertEqual(kpis["receivable_end"], -400.0)
        self.assertEqual(kpis["invoices_overdue_amount"], 600.0)
        self.assertEqual(kpis["unapplied_credits_end"], 1000.0)
        for key in ("dso_simple", "dso_countback", "dso_best_possible", "cei"):
            self.assertIsNone(kpis[key], key)
            self.assertTrue(kpis["na_reasons"][key], key)
        self.assertIn("negative", kpis["na_reasons"]["cei"])
        self.assertIn("negative", kpis["na_reasons"]["dso_countback"])
        self.assertIn("no invoice paid in the period", kpis["na_reasons"]["avg_days_to_pay"])
        summary = self._summary(self._wizard())
        for label in ("DSO (simple)", "DSO (countback)", "Best possible DSO", "Collection effectiveness index (%)"):
            self.assertIsNone(summary[label][0], label)
            self.assertIn("n/a: ", summary[label][1], label)
            self.assertIn("n/a: ", summary[label][2], label)

    def test_cei_above_100_is_not_shown(self):
        # Paid ahead: a payment of 900 leaves 300 of unapplied credit beyond the 600 overdue.
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 650.0,
                "date": self.d(2),
                "journal_id": self.bank_journal.id,
            }
        )
        payment.action_post()
        self._invoice(400.0, invoice_date=self.d(3), invoice_date_due=self.today + timedelta(days=30))
        kpis = self._kpis()
        # start 500, net sales 500, end 500 + 500 - 650 = 350, current 400: (1000 - 350) / (1000 - 400) > 100 %
        self.assertEqual((kpis["receivable_end"], kpis["receivable_current_end"]), (350.0, 400.0))
        self.assertIsNone(kpis["cei"])
        self.assertIn("unapplied credits", kpis["na_reasons"]["cei"])
        self.assertEqual(kpis["dso_simple"], 21.0)  # 350 / 500 x 30: meaningful, shown

    # ------------------------------------------------------------------ weakness 10: no company left

    def test_report_with_no_company_left(self):
        other = self.setup_other_company()["company"]
        Attachment = self.env["ir.attachment"]
        before = Attachment.search_count([("res_model", "=", "billing.report.wizard")])
        for companies in ([], other.ids):
            wizard = self._wizard(company_ids=[Command.set(companies)])
            self.assertIn("Choose at least one of your companies", wizard.kpi_html)
            with self.assertRaisesRegex(UserError, "Choose at least one of your companies"):
                wizard.action_download_xlsx()
            with self.assertRaisesRegex(UserError, "Choose at least one of your companies"):
                wizard.action_open_analysis()
        self.assertEqual(Attachment.search_count([("res_model", "=", "billing.report.wizard")]), before)
        # A company the user may not see is left out; the others are reported.
        journal = self.env["account.journal"].search([("company_id", "=", other.id), ("type", "=", "sale")], limit=1)
        self._invoice(999.0, invoice_date=self.d(5), company_id=other.id, journal_id=journal.id)
        wizard = self._wizard(company_ids=[Command.set((self.company | other).ids)])
        self.assertEqual(wizard._get_kpis()["invoices_issued_amount"], 100.0)
        with self.assertRaisesRegex(UserError, "Choose at least one"):
            self.env["billing.kpi"]._get_kpis(self.env["res.company"], *self.period)

    # ------------------------------------------------------------------ one source of truth

    def test_analysis_buckets_follow_the_company_setting(self):
        self.company.billing_aging_buckets = "15,45"
        Report = self.env["billing.activity.report"].with_user(self.specialist)
        row = Report.search([("move_id", "=", self.recent.id)])
        old = Report.search([("move_id", "=", self.old.id)])
        labels = dict(Report.fields_get(["aging_bucket"])["aging_bucket"]["selection"])
        aging = self.env["billing.aging"]._get_aging(self.company, self.today, partner_ids=self.customer.ids)
        self.assertEqual(labels[row.aging_bucket], "1-15")
        self.assertEqual(labels[old.aging_bucket], "Over 45")
        self.assertEqual([labels[key] for key in sorted(labels)[:4]], aging["buckets"][:4])
        self.assertEqual(aging["rows"][0]["amounts"][1], 100.0, "billing.aging puts it in the same bucket")
        refund = self._credit_note(50.0)
        self.assertEqual(labels[Report.search([("move_id", "=", refund.id)]).aging_bucket], "Unapplied credits")

    def test_sales_team_has_one_source(self):
        self.env["ir.config_parameter"].sudo().set_param("sales_team.membership_multi", True)
        seller = new_test_user(self.env, login="bs_seller", groups="base.group_user,sales_team.group_sale_salesman")
        first, second = self.env["crm.team"].create([{"name": "North"}, {"name": "South"}])
        self.env["crm.team.member"].create({"crm_team_id": first.id, "user_id": seller.id})
        self.env["crm.team.member"].create({"crm_team_id": second.id, "user_id": seller.id})
        self.assertEqual(seller.sale_team_id, first)
        sold = self._invoice(70.0, invoice_date=self.d(3), invoice_user_id=seller.id)
        row = self.env["billing.activity.report"].search([("move_id", "=", sold.id)])
        self.assertEqual(row.team_id, first)
        self.assertEqual(self._kpis(team_ids=first.ids)["invoices_issued_amount"], 70.0)
        self.assertEqual(self._kpis(team_ids=second.ids)["invoices_issued_amount"], 0.0, "as the view: North only")

    # ------------------------------------------------------------------ data files

    def test_module_update_keeps_crons_and_template_as_set(self):
        """What `-u billing_specialist` does to the data: every data file of the manifest loaded in update mode."""
        weekly = self.env.ref("billing_specialist.ir_cron_billing_weekly_workbook")
        matching = self.env.ref("billing_specialist.ir_cron_billing_match")
        template = self.env.ref("billing_specialist.mail_template_billing_statement")
        weekly.active, matching.active = True, False
        template.subject = "Your statement from us"
        manifest = get_manifest("billing_specialist")
        for filename in manifest["data"]:
            convert_file(self.env(su=True), "billing_specialist", filename, {}, mode="update", noupdate=False)
        self.env.invalidate_all()
        self.assertTrue(weekly.active, "an activated weekly cron stays active")
        self.assertFalse(matching.active, "a switched-off matching cron stays off")
        self.assertEqual(template.subject, "Your statement from us")
