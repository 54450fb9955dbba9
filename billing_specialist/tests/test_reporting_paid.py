import io
import re

import openpyxl
from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import BillingDisputeCommon

NUMBER_AS_TEXT = re.compile(r"^\s*[-+]?[\d.,]+\s*(%|pts)?\s*$")


@tagged("post_install", "-at_install")
class TestReportingPaid(BillingDisputeCommon):
    """One definition of "paid" (``billing.kpi._paid_sql``) in the key figure, the workbook and the analysis, and a
    workbook whose numbers are numbers. The month M (two months ago, D = its first day):

    I1 1000 paid in full on D+5; I2 600 credited 200 on D+7, then paid 400 on D+10; I3 400 applied by an automatic
    matching run on D+12, the run then undone. Paid in M: 1000 + 400 = 1400 (the credit note and the undone run do
    not pay). Before, the three screens said 1600 (key figure: the totals of the invoices paid), 1600 (analysis:
    paid or credited) and 1600 (workbook: every reconciliation).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.month = cls.today.replace(day=1) - relativedelta(months=2)
        cls.month_end = cls.month + relativedelta(day=31)

    def _day(self, days):
        return self.month + relativedelta(days=days)

    def _ledger(self):
        i1 = self._invoice(1000.0, invoice_date=self._day(0))
        i2 = self._invoice(600.0, invoice_date=self._day(1))
        i3 = self._invoice(400.0, invoice_date=self._day(2))
        self._pay(i1, 1000.0, date=self._day(5))
        refund = self._invoice(200.0, move_type="out_refund", invoice_date=self._day(7))
        (i2 | refund).line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable").reconcile()
        self._pay(i2, 400.0, date=self._day(10))
        run = self.env["billing.match.run"]._run_automatic(
            self.company, self._payment(400.0, memo=i3.name, date=self._day(12))
        )
        self.assertEqual(run.line_ids.outcome, "applied")
        self.assertEqual(i3.amount_residual, 0.0, "the run paid I3...")
        run.with_user(self.specialist).action_undo()
        self.assertEqual((run.state, i3.amount_residual), ("undone", 400.0), "... and its undo took it back")
        return i1 | i2 | i3, run

    def _workbook(self, date_from, date_to, comparison="previous_period"):
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": date_from, "date_to": date_to, "comparison": comparison})
        )
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        return wizard, openpyxl.load_workbook(io.BytesIO(attachment.raw))

    @staticmethod
    def _rows(sheet, first_col_value):
        return next(row for row in range(1, sheet.max_row + 1) if sheet.cell(row, 1).value == first_col_value)

    def test_paid_is_the_same_in_the_key_figure_the_workbook_and_the_analysis(self):
        invoices, _run = self._ledger()
        kpis = self.env["billing.kpi"]._get_kpis(self.company, self.month, self.month_end)
        self.assertEqual(kpis["invoices_paid_amount"], 1400.0, "payments and bank only; no credit note, no undone run")
        _wizard, book = self._workbook(self.month, self.month_end)
        summary = book["Summary"]
        month_row = self._rows(summary, self.month.strftime("%Y-%m"))
        self.assertEqual(summary.cell(month_row, 3).value, 1400.0, "the workbook's monthly Paid")
        paid_label_row = self._rows(summary, "Paid (payments and bank)")
        self.assertEqual(summary.cell(paid_label_row, 2).value, 1400.0, "the workbook's key figure")
        analysis = self.env["billing.activity.report"].with_user(self.specialist)
        [group] = analysis.read_group([("move_id", "in", invoices.ids)], ["amount_paid:sum", "amount_credited:sum"], [])
        self.assertEqual((group["amount_paid"], group["amount_credited"]), (1400.0, 200.0), "the analysis' Paid")

    def test_gross_and_net_say_which_is_which(self):
        self._ledger()
        analysis = self.env["billing.activity.report"]
        labels = {
            name: analysis._fields[name].string for name in ("amount_invoiced", "amount_credit_note", "amount_total")
        }
        self.assertEqual(
            labels,
            {
                "amount_invoiced": "Invoiced (gross)",
                "amount_credit_note": "Credit Notes",
                "amount_total": "Invoiced (net of credit notes)",
            },
        )
        [group] = analysis.read_group(
            [("invoice_date", ">=", self.month), ("invoice_date", "<=", self.month_end)],
            ["amount_invoiced:sum", "amount_credit_note:sum", "amount_total:sum"],
            [],
        )
        self.assertEqual(
            (group["amount_invoiced"], group["amount_credit_note"], group["amount_total"]), (2000.0, 200.0, 1800.0)
        )
        # Currencies: the company's currency is a dimension of the pivot, and each document's own currency too.
        pivot = analysis.get_view(view_type="pivot")["arch"]
        self.assertIn('name="currency_id" type="row"', pivot)
        [by_currency] = analysis.read_group(
            [("invoice_date", ">=", self.month), ("invoice_date", "<=", self.month_end)],
            ["amount_total_currency:sum"],
            ["document_currency_id"],
        )
        self.assertEqual(by_currency["document_currency_id"][0], self.company.currency_id.id)
        wizard = self.env["billing.report.wizard"].create({"date_from": self.month, "date_to": self.month_end})
        for label in ("Invoiced (gross)", "Credit notes", "Invoiced (net of credit notes)"):
            self.assertIn(label, wizard.kpi_html)

    def test_workbook_carries_the_comparison_and_numbers_stay_numbers(self):
        self._ledger()
        self._payment(50.0, date=self.month - relativedelta(days=3))  # a payment the month before: a rate then
        wizard, book = self._workbook(self.month, self.month_end)
        summary = book["Summary"]
        header = self._rows(summary, "Indicator")
        self.assertEqual(
            [summary.cell(header, col).value for col in range(1, 7)],
            ["Indicator", "Value", "Previous", "Change", "Change %", "Definition"],
        )
        self.assertTrue(summary.cell(5, 2).is_date, "compared with: the previous period's dates")
        self.assertEqual(summary.cell(5, 2).value.date(), wizard.compare_date_from)
        # The same change as the screen, coloured by meaning: more paid is good (green), credit notes are bad (red).
        paid = self._rows(summary, "Paid (payments and bank)")
        self.assertEqual([summary.cell(paid, col).value for col in (2, 3, 4)], [1400.0, 0.0, 1400.0])
        self.assertEqual(summary.cell(paid, 4).font.color.rgb, "FF1E7B34")
        credits = self._rows(summary, "Credit notes")
        self.assertEqual(summary.cell(credits, 4).font.color.rgb, "FFB02A37")
        issued = self._rows(summary, "Invoices issued")
        self.assertEqual(summary.cell(issued, 4).font.color.rgb, "FF000000", "more invoices: neither good nor bad")
        # A percentage's change is in points (the number format), its value a number.
        rate = self._rows(summary, "Auto-applied rate (%)")
        self.assertEqual(summary.cell(rate, 4).value, 0.0)
        self.assertIn("pts", summary.cell(rate, 4).number_format)
        # n/a: an empty cell with the reason in a comment, never text in a number column.
        days = self._rows(summary, "Average days to pay")
        self.assertIsNone(summary.cell(days, 3).value, "nothing was paid the month before: n/a")
        self.assertIn("n/a", summary.cell(days, 3).comment.text)
        self.assertIsNone(summary.cell(days, 4).value, "no change from n/a")
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and not cell.value.startswith("="):
                        self.assertNotRegex(cell.value, NUMBER_AS_TEXT, f"{sheet.title}!{cell.coordinate}")
                        self.assertFalse(cell.value.startswith("n/a"), f"{sheet.title}!{cell.coordinate}")

    def test_matching_sheet_lists_the_runs_of_the_period(self):
        _invoices, run = self._ledger()
        # The run was started today (its own date), whatever the dates of the payment it applied.
        _wizard, book = self._workbook(self.today.replace(day=1), self.today, comparison="none")
        sheet = book["Matching"]
        title = self._rows(sheet, "Matching runs of the period")
        headers = [sheet.cell(title + 1, col).value for col in range(1, 11)]
        self.assertEqual(
            headers, ["Run", "Date", "Type", "State", "Applied", "Kept", "Undone", "Run by", "Undone by", "Undone on"]
        )
        row = self._rows(sheet, run.name)
        values = [sheet.cell(row, col).value for col in range(3, 10)]
        self.assertEqual(values, ["Automatic", "Undone", 1, 0, 1, run.user_id.name, self.specialist.name])
        self.assertTrue(sheet.cell(row, 2).is_date and sheet.cell(row, 10).is_date)
        # A period without runs says so.
        _wizard, book = self._workbook(self.month, self.month_end, comparison="none")
        self.assertTrue(self._rows(book["Matching"], "No matching run in the period"))

    def test_drill_down_refuses_outsiders_and_odd_dates(self):
        invoices, _run = self._ledger()
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": self.month, "date_to": self.month_end})
        )
        line = wizard.aging_line_ids.filtered(lambda row: row.partner_id == self.customer)
        rows = (
            self.env["billing.report.open.item"].with_user(self.specialist).search(line.action_open_items()["domain"])
        )
        # I3 (its run undone) and the run's payment, unapplied again, were open at the end of the month.
        self.assertIn(invoices.filtered(lambda move: move.amount_residual), rows.move_id)
        self.assertEqual(sum(rows.mapped("amount_open_as_of")), line.amount_total)
        # Not a billing user: no drill-down rows to read or make.
        outsider = new_test_user(self.env, login="bs_report_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            rows.with_user(outsider).read(["amount_open_as_of"])
        with self.assertRaises(AccessError):
            self.env["billing.report.open.item"].with_user(outsider).create({"amount_open_as_of": 1e308})
        # Another company's aging: refused before any SQL.
        other = self.setup_other_company()["company"]
        # (made for the specialist, as the report makes its rows: refused by the company check, not by the rule)
        foreign = (
            self.env["billing.report.aging.line"]
            .with_user(self.specialist)
            .sudo()
            .create({"partner_id": self.customer.id, "date_as_of": self.month_end, "company_ids": [(6, 0, other.ids)]})
        )
        with self.assertRaises(UserError):  # AccessError is a UserError
            foreign.with_user(self.specialist).action_open_items()
        # A client-set as-of that is not a date leaves the column's label as it is.
        Item = self.env["billing.report.open.item"].with_user(self.specialist)
        for odd in ("not a date", "2026-13-45", 12, ["x"]):
            arch = Item.with_context(billing_open_on_view_ref=odd).get_view(view_type="list")["arch"]
            self.assertNotIn('string="Open on', arch, odd)

    def test_each_bucket_opens_what_it_adds_up(self):
        """The aging's buckets are rows too: each opens the items of its column, open on the as-of date."""
        self._ledger()
        current_invoice = self._invoice(250.0, invoice_date=self.month_end)  # current on the last day
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": self.month, "date_to": self.month_end})
        )
        aging = self.env["billing.aging"]._get_aging(self.company, self.month_end)
        buckets = wizard.aging_bucket_line_ids.sorted("bucket_index")
        self.assertEqual(buckets.mapped("bucket_label"), aging["buckets"])
        self.assertEqual(buckets.mapped("amount_total"), aging["totals"])
        Item = self.env["billing.report.open.item"].with_user(self.specialist)  # rows are their maker's
        seen = Item
        for bucket in buckets:
            action = bucket.action_open_items()
            rows = Item.search(action["domain"])
            self.assertEqual(sum(rows.mapped("amount_open_as_of")), bucket.amount_total, bucket.bucket_label)
            self.assertIn(bucket.bucket_label, action["name"])
            seen |= rows
        self.assertEqual(len(seen.move_line_id), len(seen), "each item in one bucket only")
        self.assertEqual(sum(seen.mapped("amount_open_as_of")), aging["total"])
        self.assertIn(current_invoice, Item.search(buckets[0].action_open_items()["domain"]).move_id)
        credits = Item.search(buckets[-1].action_open_items()["domain"])
        self.assertTrue(credits and all(row.amount_open_as_of < 0 for row in credits), "unapplied credits apart")

    def test_overdue_key_figure_opens_its_items(self):
        """The key figure drilled down: the items past due on the last day add up to the overdue amount."""
        self._ledger()
        self._invoice(250.0, invoice_date=self.month_end)  # current on the last day: not overdue
        late = self._invoice(300.0, invoice_date=self._day(1), invoice_date_due=self._day(5))
        self._pay(late, 100.0, date=self.month_end + relativedelta(days=1))  # after the day: still 300 overdue then
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": self.month, "date_to": self.month_end})
        )
        kpis = wizard._get_kpis()
        action = wizard.action_open_overdue_items()
        rows = self.env["billing.report.open.item"].with_user(self.specialist).search(action["domain"])
        self.assertIn(late, rows.move_id)
        self.assertEqual(rows.filtered(lambda row: row.move_id == late).mapped("amount_open_as_of"), [300.0])
        self.assertEqual(sum(rows.mapped("amount_open_as_of")), kpis["invoices_overdue_amount"])
        self.assertEqual(len(rows.move_id), kpis["invoices_overdue_count"])
        self.assertTrue(all(row.date_maturity < self.month_end for row in rows))
        self.assertIn("overdue", action["name"])
        self.assertEqual(action["context"]["billing_open_on_view_ref"], str(self.month_end))
