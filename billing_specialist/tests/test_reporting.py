import dataclasses
import io
import zipfile
from datetime import timedelta

import openpyxl
from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tools import format_date

from odoo.addons.billing_specialist.models.billing_report_hook import ReportScope

from .common import BillingDisputeCommon
from .reporting_helpers import analysis_domain


@tagged("post_install", "-at_install")
class TestBillingReporting(BillingDisputeCommon):
    """Every figure is worked out by hand from this ledger (company currency, no taxes, D = today):

    A: inv A1 1000 dated D-100 due D-70, paid 1000 on D-40 (60 days to pay);
       inv A2 600 dated D-50 due D-20, disputed 200, credited 100 on D-10 (rest rejected): 500 open.
    B: inv B1 400 dated D-20 due D+10, paid on D-5 (15 days); payment of 50 on D-3 left unapplied.
    Period: D-59 .. D (60 days).
    """

    @classmethod
    def d(cls, days):
        return cls.today - timedelta(days=days)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv_a1 = cls._invoice(1000.0, invoice_date=cls.d(100), invoice_date_due=cls.d(70))
        cls.inv_a2 = cls._invoice(600.0, invoice_date=cls.d(50), invoice_date_due=cls.d(20))
        cls.inv_b1 = cls._invoice(
            400.0, partner=cls.other_customer, invoice_date=cls.d(20), invoice_date_due=cls.today + timedelta(days=10)
        )

    def setUp(self):
        super().setUp()
        self._pay(self.inv_a1, 1000.0, date=self.d(40))
        self._pay(self.inv_b1, 400.0, date=self.d(5))
        unapplied = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.other_customer.id,
                "amount": 50.0,
                "date": self.d(3),
                "journal_id": self.bank_journal.id,
            }
        )
        unapplied.action_post()
        self.case = self._open_case(self.inv_a2, amount=200.0)
        self._resolve(self.case, amounts=[100.0], date=self.d(10))
        self.period = (self.d(59), self.today)

    def _kpis(self, **filters):
        return self.env["billing.kpi"]._get_kpis(self.company, *self.period, **filters)

    def test_invoice_kpis(self):
        kpis = self._kpis()
        self.assertEqual((kpis["invoices_issued_count"], kpis["invoices_issued_amount"]), (2, 1000.0))
        self.assertEqual(kpis["credit_notes_amount"], 100.0)
        self.assertEqual(kpis["net_sales"], 900.0)
        self.assertEqual((kpis["invoices_paid_count"], kpis["invoices_paid_amount"]), (2, 1400.0))
        self.assertEqual(kpis["avg_days_to_pay"], 37.5)
        # A2's 500 open past due; B's unapplied payment of 50 is a credit reported apart, not netted.
        self.assertEqual((kpis["invoices_overdue_count"], kpis["invoices_overdue_amount"]), (1, 500.0))
        self.assertEqual(kpis["receivable_start"], 1000.0)
        self.assertEqual(kpis["receivable_end"], 450.0)
        self.assertEqual(kpis["receivable_current_end"], 0.0)

    def test_dso_and_cei(self):
        kpis = self._kpis()
        self.assertEqual(kpis["dso_simple"], 30.0)  # 450 / 900 x 60
        self.assertEqual(kpis["dso_best_possible"], 0.0)  # nothing current at the end
        self.assertEqual(kpis["cei"], 76.3)  # (1000 + 900 - 450) / (1000 + 900 - 0) x 100
        # Countback: the last month's net sales (400 - 100 = 300) are used up, 150 of 450 remain, which is a
        # quarter of the previous month's 600.
        last_month = (self.today - (self.today - relativedelta(months=1) + timedelta(days=1))).days + 1
        month_before_end = self.today - relativedelta(months=1)
        month_before = (month_before_end - (month_before_end - relativedelta(months=1) + timedelta(days=1))).days + 1
        self.assertEqual(kpis["dso_countback"], round(last_month + 0.25 * month_before, 1))

    def test_cash_and_dispute_kpis(self):
        kpis = self._kpis()
        self.assertEqual((kpis["payments_count"], kpis["payments_amount"]), (3, 1450.0))
        self.assertEqual(kpis["unapplied_credits_end"], 50.0)
        # Three payments, none applied by an automatic run; the two registered against invoices are fully applied.
        self.assertEqual(
            (kpis["matching_auto_applied"], kpis["matching_auto_rate"], kpis["matching_manual"]), (0, 0.0, 2)
        )
        self.assertEqual((kpis["disputes_opened_count"], kpis["disputes_opened_amount"]), (1, 200.0))
        self.assertEqual((kpis["disputes_resolved_count"], kpis["disputes_rejected_count"]), (1, 0))
        self.assertEqual(kpis["disputes_avg_resolution_days"], 0.0)
        self.assertEqual((kpis["disputes_credited"], kpis["disputes_written_off"]), (100.0, 0.0))
        self.assertEqual(kpis["disputes_open_end"], 0)
        self.assertEqual(
            kpis["disputes_by_reason"],
            [{"label": self.reason_pricing.name, "count": 1, "disputed": 200.0, "credited": 100.0, "written_off": 0.0}],
        )
        self.assertEqual(kpis["disputes_by_specialist"][0]["label"], self.specialist.name)

    def test_filters(self):
        only_b = self._kpis(partner_ids=self.other_customer.ids)
        self.assertEqual((only_b["invoices_issued_count"], only_b["net_sales"]), (1, 400.0))
        self.assertEqual(only_b["receivable_end"], -50.0)
        self.assertEqual(only_b["disputes_opened_count"], 0)
        other_specialist = self._kpis(user_ids=self.manager.ids)
        self.assertEqual(other_specialist["disputes_opened_count"], 0)

    def test_aging_as_of_ties_to_the_ledger(self):
        aging = self.env["billing.aging"]._get_aging(self.company, self.today)
        self.assertEqual(
            aging["buckets"], ["Current", "1-30", "31-60", "61-90", "91-120", "Over 120", "Unapplied credits"]
        )
        rows = {row["partner_id"]: row for row in aging["rows"]}
        self.assertEqual(rows[self.customer.id]["amounts"], [0.0, 500.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        self.assertEqual(
            rows[self.other_customer.id]["amounts"], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -50.0], "credits apart"
        )
        self.assertEqual((aging["overdue_amount"], aging["unapplied_credits"]), (500.0, 50.0))
        self.assertEqual(aging["total"], aging["ledger_balance"])
        # As of D-45: A1 still fully open (paid on D-40), 25 days past due; A2 open and not yet due; the later
        # payments and credit note are ignored.
        past = self.env["billing.aging"]._get_aging(self.company, self.d(45))
        rows = {row["partner_id"]: row for row in past["rows"]}
        self.assertEqual(rows[self.customer.id]["amounts"], [600.0, 1000.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        self.assertNotIn(self.other_customer.id, rows)
        self.assertEqual(past["total"], 1600.0)
        self.assertEqual(past["ledger_balance"], 1600.0)

    def test_configurable_buckets_and_foreign_currency(self):
        self.company.billing_aging_buckets = "15,45"
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        third = self.env["res.partner"].create({"name": "Euro Buyer", "is_company": True})
        self._invoice(200.0, partner=third, currency_id=eur.id, invoice_date=self.d(20), invoice_date_due=self.d(20))
        aging = self.env["billing.aging"]._get_aging(self.company, self.today, partner_ids=third.ids)
        self.assertEqual(aging["buckets"], ["Current", "1-15", "16-45", "Over 45", "Unapplied credits"])
        self.assertEqual(aging["rows"][0]["amounts"], [0.0, 0.0, 100.0, 0.0, 0.0])

    def test_other_company_is_not_counted(self):
        other = self.setup_other_company()["company"]
        self.env.user.company_ids |= other
        journal = self.env["account.journal"].search([("company_id", "=", other.id), ("type", "=", "sale")], limit=1)
        self._invoice(999.0, invoice_date=self.d(5), company_id=other.id, journal_id=journal.id)
        self.assertEqual(self._kpis()["invoices_issued_amount"], 1000.0)
        self.assertEqual(self.env["billing.kpi"]._get_kpis(other, *self.period)["invoices_issued_amount"], 999.0)

    def test_activity_analysis_rows(self):
        rows = self.env["billing.activity.report"].search([("move_id", "in", (self.inv_a1 | self.inv_a2).ids)])
        a1 = rows.filtered(lambda r: r.move_id == self.inv_a1)
        a2 = rows.filtered(lambda r: r.move_id == self.inv_a2)
        self.assertEqual((a1.days_to_pay, a1.last_payment_date, a1.aging_bucket), (60, self.d(40), "90_settled"))
        # Paid counts payments and bank entries only: A2's 100 was credited, not paid.
        self.assertEqual(
            (a2.amount_total, a2.amount_residual, a2.amount_paid, a2.amount_credited), (600.0, 500.0, 0.0, 100.0)
        )
        self.assertEqual(
            (a1.amount_paid, a1.amount_credited, a1.amount_invoiced, a1.amount_credit_note), (1000.0, 0, 1000.0, 0)
        )
        self.assertEqual((a2.days_overdue, a2.aging_bucket), (20, "01"))
        refund = self.case.settlement_move_ids
        refund_row = self.env["billing.activity.report"].search([("move_id", "=", refund.id)])
        self.assertEqual((refund_row.move_type, refund_row.amount_total), ("out_refund", -100.0))
        groups = self.env["billing.activity.report"]._read_group(
            [("partner_id", "=", self.customer.id)], ["aging_bucket"], ["amount_residual:sum"]
        )
        self.assertIn(("01", 500.0), [(bucket, amount) for bucket, amount in groups])

    def test_customer_overview(self):
        # Posting on a contact needs Odoo's "Contact Creation" right, which internal users normally hold.
        self.specialist.groups_id |= self.env.ref("base.group_partner_manager")
        partner = self.customer.with_user(self.specialist)
        self.assertEqual(partner.billing_overdue_amount, 500.0)
        self.assertEqual(partner.billing_avg_days_to_pay, 60.0)
        self.assertFalse(partner.billing_avg_days_to_pay_na)
        self.assertEqual(partner.billing_last_payment_date, self.d(40))
        # a customer who never paid has no average: n/a with the reason, not "0.0 days"
        newcomer = self.env["res.partner"].create({"name": "Newcomer"}).with_user(self.specialist)
        self.assertEqual(newcomer.billing_avg_days_to_pay_na, "n/a: no invoice paid in the last 12 months")
        action = partner.action_billing_statement()
        wizard = (
            self.env["billing.statement.wizard"]
            .with_user(self.specialist)
            .with_context(**action["context"])
            .create({"date_from": self.d(59), "date_to": self.today})
        )
        self.assertEqual(wizard.partner_id, self.customer)
        printed = wizard.action_print()
        self.assertEqual(printed["report_name"], "billing_specialist.report_billing_statement")
        self.assertEqual(printed["data"]["date_from"], str(self.d(59)))
        download = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(download["url"].split("/")[3].split("?")[0]))
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw))["Statement"]
        self.assertEqual(sheet["A2"].value, self.customer.display_name)
        self.assertEqual(sheet["H8"].value, 1000.0, "opening balance on D-59: A1, paid on D-40, is still open")
        send = wizard.action_send()
        composer = (
            self.env["mail.compose.message"].with_user(self.specialist).with_context(**send["context"]).create({})
        )
        self.assertIn("statement of account", composer.subject)
        self.assertEqual(composer.attachment_ids.name, f"Statement - {self.customer.name} - {self.today}.pdf")
        composer._action_send_mail()
        message = self.customer.message_ids[0]
        self.assertIn("statement of account", message.subject)
        self.assertEqual(message.attachment_ids, composer.attachment_ids)
        self.assertEqual(
            (message.attachment_ids.res_model, message.attachment_ids.res_id), ("res.partner", self.customer.id)
        )

    def test_workbook(self):
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": self.period[0], "date_to": self.period[1]})
        )
        self.assertIn("Invoiced (net of credit notes)", wizard.kpi_html)
        self.assertIn(self.customer.name, wizard.aging_html)
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        book = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        self.assertEqual(
            book.sheetnames, ["Summary", "Aging", "Invoices", "Disputes", "Matching", "Billing Errors", "Cash Outlook"]
        )
        summary = book["Summary"]
        values = {summary.cell(row, 1).value: summary.cell(row, 2).value for row in range(7, 45)}
        self.assertEqual(values["Invoices issued"], 2)
        self.assertEqual(values["DSO (simple)"], 30.0)
        self.assertEqual(values["Auto-applied rate (%)"], 0.0)
        self.assertEqual(values["Payments matched by hand"], 2)
        aging = book["Aging"]
        self.assertEqual(aging["A3"].value, "Customer")
        self.assertEqual(aging["C4"].value, 500.0)
        self.assertEqual(aging["H3"].value, "Unapplied credits")
        self.assertEqual(aging["H5"].value, -50.0)
        self.assertEqual(aging["I4"].value, "=SUM(B4:H4)")
        self.assertEqual(aging["A6"].value, "Total")
        self.assertEqual(aging["C6"].value, "=SUBTOTAL(9,C4:C5)", "the total follows the autofilter")
        self.assertEqual(aging.freeze_panes, "B4")
        invoices = book["Invoices"]
        self.assertEqual(
            [invoices.cell(r, 1).value for r in (2, 3, 4)],
            [self.inv_a2.name, self.inv_b1.name, self.case.settlement_move_ids.name],
        )
        self.assertEqual(invoices["G5"].value, "=SUBTOTAL(9,G2:G4)")
        self.assertTrue(invoices["E2"].is_date)
        self.assertEqual(invoices.auto_filter.ref, "A1:N4")
        # Paid (payments and bank) and Credited apart: A2 was credited 100, not paid.
        self.assertEqual((invoices["I2"].value, invoices["J2"].value), (0.0, 100.0))
        disputes = book["Disputes"]
        self.assertEqual(disputes["A2"].value, self.case.name)
        self.assertEqual(disputes["L2"].value, 100.0)
        matching = book["Matching"]
        self.assertEqual(matching["F4"].value, 50.0)  # the unapplied payment is the third of the period
        with zipfile.ZipFile(io.BytesIO(attachment.raw)) as archive:
            charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        self.assertEqual(len(charts), 2, "aging by bucket and monthly issued vs paid")

    def test_the_capabilities_contribute_through_the_report_hook(self):
        """The report names no capability's model: it asks every ``billing.report.hook`` in sequence order, for a
        frozen ``ReportScope``; the figures are those of the six-argument entry point."""
        contributions = self.env["billing.report.hook"]._billing_report_contributions()
        self.assertEqual(
            [model._name for model in contributions],
            [
                "billing.dispute.report",
                "billing.match.report",
                "billing.collection.report",
                "billing.invoice.report",
                "billing.outlook.report",
            ],
        )
        scope = ReportScope.of(self.company, *self.period, partner_ids=[self.customer.id])
        self.assertEqual(scope.partner_ids, (self.customer.id,))
        with self.assertRaises(dataclasses.FrozenInstanceError):
            scope.date_to = self.period[0]
        kpis = self.env["billing.kpi"]._kpis_for(scope)
        self.assertEqual(kpis, self._kpis(partner_ids=[self.customer.id]))
        for contribution in contributions:
            for key, value in contribution._billing_kpis(scope).items():
                if key != "na_reasons":
                    self.assertEqual(kpis[key], value, key)

    def test_wizard_form_shows_the_figures(self):
        """The form computes on a new record (onchange): its companies are NewIds, the figures must still show."""
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .new({"date_from": self.period[0], "date_to": self.period[1]})
        )
        self.assertIn("Invoiced (net of credit notes)", wizard.kpi_html)
        self.assertNotIn("Choose at least one", wizard.kpi_html)
        self.assertIn(self.customer.name, wizard.aging_html)
        self.assertIn(f"On {format_date(self.env, self.today)}.", wizard.aging_html)
        self.assertNotIn("largest shown", wizard.aging_html, "two customers: none left out")

    def test_analysis_action_and_weekly_mail(self):
        wizard = self.env["billing.report.wizard"].create(
            {"date_from": self.period[0], "date_to": self.period[1], "partner_ids": [Command.set(self.customer.ids)]}
        )
        action = wizard.action_open_analysis()
        rows = self.env["billing.activity.report"].search(
            analysis_domain(self.env, action, ignore=("filter_invoices",))
        )
        self.assertEqual(rows.move_id, self.inv_a2 | self.case.settlement_move_ids)
        self.env["billing.report.wizard"].with_user(self.specialist)._cron_send_weekly_workbook()
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.manager.partner_id.ids)])
        self.assertEqual(len(mail), 1, "one mail for the company of the manager")
        self.assertIn(self.company.name, mail.subject)
        self.assertNotIn(self.specialist.partner_id, mail.recipient_ids)
        self.assertTrue(mail.attachment_ids.name.endswith(".xlsx"))
        self.assertFalse(self.env.ref("billing_specialist.ir_cron_billing_weekly_workbook").active)
