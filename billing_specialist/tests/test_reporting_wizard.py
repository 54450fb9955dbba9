import io
from datetime import date

import openpyxl
from freezegun import freeze_time
from lxml import etree, html

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import format_date, formatLang
from odoo.tools.misc import xlsxwriter

from ..report.billing_workbook import KPI_ROWS, TODAY_KPIS
from ..wizards.billing_report_wizard import comparison_dates, kpi_change, preset_dates
from .common import BillingDisputeCommon
from .reporting_helpers import analysis_domain


@tagged("post_install", "-at_install")
class TestReportingWizard(BillingDisputeCommon):
    """Issue 10, reports that explain themselves. Ledger in 2025 (company currency, no taxes):

    Acme: P1 400 on 1 March (the previous period), C1 300 on 12 March and C2 200 on 15 March (the period
    10-19 March); C1 paid on 19 March (7 days). Globex: G1 250 on 11 March, open.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.p1 = cls._invoice(400.0, invoice_date=date(2025, 3, 1))
        cls.c1 = cls._invoice(300.0, invoice_date=date(2025, 3, 12))
        cls.c2 = cls._invoice(200.0, invoice_date=date(2025, 3, 15))
        cls.g1 = cls._invoice(250.0, partner=cls.other_customer, invoice_date=date(2025, 3, 11))
        cls.period = (date(2025, 3, 10), date(2025, 3, 19))

    def _wizard(self, user=None, **vals):
        return (
            self.env["billing.report.wizard"]
            .with_user(user or self.specialist)
            .create({"date_from": self.period[0], "date_to": self.period[1], **vals})
        )

    def _money(self, amount):
        return formatLang(self.env, amount, currency_obj=self.company.currency_id)

    def _kpi_cells(self, wizard, key):
        """(value, previous, change, change %) as the Key Figures page shows them."""
        row = html.fromstring(str(wizard.kpi_html)).xpath(f"//tr[@data-kpi='{key}']")[0]
        return tuple(cell.text_content().strip() for cell in row.xpath("./td")[1:5])

    def _workbook(self, wizard):
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        return openpyxl.load_workbook(io.BytesIO(attachment.raw))

    # ------------------------------------------------------------------ presets and comparison

    def test_presets_compute_their_dates(self):
        today = date(2026, 5, 15)
        expected = {
            "this_month": (date(2026, 5, 1), today),
            "last_month": (date(2026, 4, 1), date(2026, 4, 30)),
            "this_quarter": (date(2026, 4, 1), today),
            "year_to_date": (date(2026, 1, 1), today),
            "last_12_months": (date(2025, 5, 16), today),
        }
        with freeze_time("2026-05-15"):
            for preset, dates in expected.items():
                wizard = self.env["billing.report.wizard"].with_user(self.specialist).create({"period_preset": preset})
                self.assertEqual((wizard.date_from, wizard.date_to), dates, preset)
            self.assertIsNone(preset_dates("custom", today))
            form = Form(self.env["billing.report.wizard"].with_user(self.specialist))
            self.assertEqual(form.period_preset, "last_month")
            self.assertEqual((form.date_from, form.date_to), expected["last_month"])
            form.period_preset = "this_quarter"
            self.assertEqual((form.date_from, form.date_to), expected["this_quarter"])
            self.assertEqual((form.compare_date_from, form.compare_date_to), (date(2026, 1, 1), date(2026, 2, 15)))
            form.date_from = date(2026, 4, 10)
            self.assertEqual(form.period_preset, "custom", "a date set by hand is a custom period")
            self.assertEqual((form.date_from, form.date_to), (date(2026, 4, 10), today), "and is kept")

    def test_comparison_periods(self):
        march = (date(2025, 3, 1), date(2025, 3, 31))
        self.assertEqual(comparison_dates(*march, "previous_period"), (date(2025, 2, 1), date(2025, 2, 28)))
        self.assertEqual(comparison_dates(*march, "previous_year"), (date(2024, 3, 1), date(2024, 3, 31)))
        self.assertEqual(
            comparison_dates(date(2026, 5, 1), date(2026, 5, 15), "previous_period"),
            (date(2026, 4, 1), date(2026, 4, 15)),
            "month to date against the same days of the month before",
        )
        self.assertEqual(comparison_dates(*self.period, "previous_period"), (date(2025, 2, 28), date(2025, 3, 9)))
        self.assertIsNone(comparison_dates(*march, "none"))

    def test_change_and_na(self):
        self.assertEqual(kpi_change(150.0, 100.0), (50.0, 50.0))
        self.assertEqual(kpi_change(50.0, -100.0), (150.0, 150.0), "against the size of a negative figure")
        self.assertEqual(kpi_change(5.0, 0.0), (5.0, None), "no change in % from 0")
        self.assertEqual(kpi_change(7.0, None), (None, None), "n/a before: no change")
        self.assertEqual(kpi_change(None, 3.0), (None, None))

    def test_change_colours_say_good_or_bad_and_percentages_change_in_points(self):
        """A rising DSO is bad (red), falling payments are bad, more invoices issued is neither; a rate moves in points."""
        wizard = self._wizard()
        kpis = {
            "currency": self.env.company.currency_id,
            "na_reasons": {},
            "dso_simple": 46.5,
            "payments_amount": 900.0,
            "invoices_issued_count": 5,
            "invoices_overdue_amount": 800.0,
            "matching_auto_rate": 82.5,
        }
        previous = {
            "dso_simple": 30.0,
            "payments_amount": 1000.0,
            "invoices_issued_count": 3,
            "invoices_overdue_amount": 1000.0,
            "matching_auto_rate": 80.0,
        }
        rows = {row[0]: row for row in KPI_ROWS}

        def cell(key):
            return wizard._kpi_row(rows[key], kpis, previous)

        self.assertEqual(cell("dso_simple")["trend"], -1, "DSO up 16.5 days: bad")
        self.assertEqual(cell("payments_amount")["trend"], -1, "less cash in: bad")
        self.assertEqual(cell("invoices_overdue_amount")["trend"], 1, "less overdue: good")
        self.assertEqual(cell("invoices_issued_count")["trend"], 0, "more invoices: neither")
        self.assertEqual(cell("matching_auto_rate")["trend"], 1)
        self.assertEqual(cell("matching_auto_rate")["delta"], "+2.5 pts")
        self.assertEqual(cell("dso_simple")["delta"], "+16.5")

    def test_key_figures_against_the_previous_period(self):
        self._pay(self.c1, 300.0, date=date(2025, 3, 19))
        wizard = self._wizard(partner_ids=[Command.set(self.customer.ids)])
        self.assertEqual((wizard.compare_date_from, wizard.compare_date_to), (date(2025, 2, 28), date(2025, 3, 9)))
        previous = wizard._get_previous_kpis()
        # By hand, 28 February - 9 March: P1 only; nothing paid, no payment.
        self.assertEqual((previous["invoices_issued_count"], previous["invoices_issued_amount"]), (1, 400.0))
        self.assertIsNone(previous["avg_days_to_pay"])
        self.assertEqual(self._kpi_cells(wizard, "invoices_issued_count"), ("2", "1", "+1", "+100.0 %"))
        self.assertEqual(
            self._kpi_cells(wizard, "invoices_issued_amount"),
            (self._money(500.0), self._money(400.0), "+" + self._money(100.0), "+25.0 %"),
        )
        # 0 before: a change, no change in %; n/a before (no invoice paid): no change at all.
        self.assertEqual(self._kpi_cells(wizard, "payments_count"), ("1", "0", "+1", "n/a"))
        # The change's colour: more payments is good (green); more invoices issued is neither (no colour).
        delta_class = "//tr[@data-kpi='{}']/td[contains(@class, 'o_billing_kpi_delta')]/@class"
        page = html.fromstring(str(wizard.kpi_html))
        self.assertIn("text-success", page.xpath(delta_class.format("payments_count"))[0])
        classes = page.xpath(delta_class.format("invoices_issued_count"))[0]
        self.assertNotIn("text-success", classes)
        self.assertNotIn("text-danger", classes)
        self.assertEqual(self._kpi_cells(wizard, "avg_days_to_pay"), ("7.0", "n/a", "n/a", "n/a"))
        groups = html.fromstring(str(wizard.kpi_html)).xpath("//thead/tr/th[1]/text()")
        self.assertEqual(groups, ["Invoicing", "Collections", "Disputes", "Matching", "Promises and Follow-up"])
        period = f"{format_date(self.env, self.period[0])} - {format_date(self.env, self.period[1])}"
        self.assertIn(period, str(wizard.kpi_html), "dates in the user's format")
        last_year = self._wizard(comparison="previous_year")
        self.assertEqual(last_year.compare_date_from, date(2024, 3, 10))
        self.assertEqual(self._kpi_cells(last_year, "invoices_issued_count"), ("3", "0", "+3", "n/a"))
        none = self._wizard(comparison="none")
        self.assertNotIn("Previous", str(none.kpi_html))

    # ------------------------------------------------------------------ aging drill-down

    def test_aging_row_opens_the_open_items_of_that_day(self):
        as_of = date(2025, 3, 16)
        self._pay(self.p1, 400.0, date=date(2025, 3, 5))  # paid before: not open on the 16th
        self._pay(self.c1, 100.0, date=date(2025, 3, 14))  # partly paid before: open
        self._pay(self.c2, 200.0, date=date(2025, 3, 18))  # paid after: open on the 16th
        later = self._invoice(90.0, invoice_date=date(2025, 3, 17))  # dated after: not yet there
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .new({"date_from": date(2025, 3, 1), "date_to": as_of})
        )
        # The form gets the rows' real ids (the records behind the new wizard's values): its buttons work unsaved.
        lines = wizard.aging_line_ids._origin
        self.assertEqual(len(lines), 2)
        self.assertTrue(all(isinstance(line_id, int) for line_id in lines.ids), "real rows: the button works unsaved")
        acme = lines.filtered(lambda line: line.partner_id == self.customer)
        self.assertEqual((acme.amount_total, acme.date_as_of), (400.0, as_of))
        action = acme.action_open_items()
        rows = self.env["billing.report.open.item"].with_user(self.specialist).search(action["domain"])
        items = rows.move_line_id
        receivable = (self.c1 | self.c2).line_ids.filtered(
            lambda item: item.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(items, receivable)
        self.assertNotIn(later, items.move_id)
        self.assertEqual(sum(rows.mapped("amount")), 500.0)
        self.assertIn(format_date(self.env, as_of), action["name"])
        # Each item's open amount on the 16th (the reconciliations up to that day) beside what is open now: the
        # as-of column adds up to the aging row, C2's payment of the 18th shows in the Open now column only.
        self.assertEqual(sum(rows.mapped("amount_open_as_of")), acme.amount_total)
        c2_row = rows.filtered(lambda row: row.move_id == self.c2)
        self.assertEqual(
            (c2_row.amount_open_as_of, c2_row.amount_open_now), (self.c2.amount_total, self.c2.amount_total - 200.0)
        )
        # The columns say which is which: "Open on <the as-of date>" and "Open now".
        Item = self.env["billing.report.open.item"].with_context(**action["context"])
        list_arch = Item.get_view(action["views"][0][0], "list")["arch"]
        self.assertIn(f'string="Open on {format_date(self.env, as_of)}"', list_arch)
        self.assertIn('string="Open now"', list_arch)
        self.assertNotIn("Open Today", list_arch)
        self.assertEqual(c2_row.action_open_document()["res_id"], self.c2.id)
        globex = lines.filtered(lambda line: line.partner_id == self.other_customer)
        globex_rows = (
            self.env["billing.report.open.item"].with_user(self.specialist).search(globex.action_open_items()["domain"])
        )
        self.assertEqual(globex_rows.move_id, self.g1)
        other = self.setup_other_company()["company"]
        # Made for the specialist, as the report makes its rows: refused by the company check, not by the rule.
        foreign = (
            self.env["billing.report.aging.line"]
            .with_user(self.specialist)
            .sudo()
            .create({"partner_id": self.customer.id, "date_as_of": as_of, "company_ids": [Command.set(other.ids)]})
        )
        with self.assertRaises(UserError):  # AccessError is a UserError
            foreign.with_user(self.specialist).action_open_items()

    # ------------------------------------------------------------------ Open Analysis

    def test_open_analysis_has_removable_filters_and_the_specialist(self):
        case = self._open_case(self.c2, amount=50.0)
        self._open_case(self.g1, amount=20.0, user=self.manager)
        self.assertEqual(case.user_id, self.specialist)
        wizard = self._wizard(user_ids=[Command.set(self.specialist.ids)])
        action = wizard.action_open_analysis()
        # The web client titles the screen with display_name: the period must be in it.
        self.assertIn(format_date(self.env, self.period[1]), action["display_name"])
        self.assertEqual(action["domain"], [("company_id", "in", self.company.ids)], "the rest is removable")
        context = action["context"]
        self.assertEqual(context["search_default_filter_report_period"], 1)
        self.assertEqual(context["search_default_filter_report_specialists"], 1)
        self.assertNotIn("search_default_filter_report_customers", context, "no customer chosen: no filter")
        arch = self.env["billing.activity.report"].get_view(view_type="search")["arch"]
        for name in ("filter_report_period", "filter_report_specialists"):
            self.assertIn(f'name="{name}"', arch)
        Report = self.env["billing.activity.report"].with_user(self.specialist)
        rows = Report.search(analysis_domain(self.env, action))
        self.assertEqual(rows.move_id, self.c2, "only the documents of the specialist's cases, in the period")
        self.assertEqual(rows.specialist_id, self.specialist)
        # Without the specialist facet the period still holds: every document dated 10-19 March.
        rows = Report.search(analysis_domain(self.env, action, ignore=("filter_report_specialists",)))
        self.assertEqual(rows.move_id, self.c1 | self.c2 | self.g1)
        self.assertIn(format_date(self.env, self.period[1]), wizard.analysis_note)
        self.assertIn("open today", wizard.analysis_note)

    # ------------------------------------------------------------------ workbook

    def test_workbook_filters_subtotals_and_matching_verdicts(self):
        team = self.env["crm.team"].create({"name": "North"})
        wizard = self._wizard(
            team_ids=[Command.set(team.ids)],
            user_ids=[Command.set(self.specialist.ids)],
            partner_ids=[Command.set(self.customer.ids)],
        )
        filters = self._workbook(wizard)["Summary"]["B4"].value
        period = f"{format_date(self.env, self.period[0])} - {format_date(self.env, self.period[1])}"
        self.assertEqual(
            filters,
            f"Companies: {self.company.name}; Sales teams: North; Specialists: Sam Specialist; "
            f"Customers: {self.customer.display_name}; Period: {period}",
        )
        self.assertEqual(
            self._workbook(self._wizard())["Summary"]["B4"].value,
            f"Companies: {self.company.name}; Period: {period}",
            "no narrowing filter: the companies and the period, not None",
        )
        payment = self._pay(self.c1, 300.0, date=date(2025, 3, 19))
        run = self.env["billing.match.run"].sudo().create({"company_id": self.company.id})
        reasons = '=HYPERLINK("http://x") memo names INV/2025/00001'
        self.env["billing.match.run.line"].sudo().create(
            {"run_id": run.id, "payment_id": payment.id, "outcome": "proposed", "confidence": 85, "reasons": reasons}
        )
        book = self._workbook(self._wizard())
        matching = book["Matching"]
        headers = [cell.value for cell in matching[1]]
        self.assertEqual(headers[6:9], ["Matching Outcome", "Confidence", "Reasons"])
        self.assertEqual((matching["G2"].value, matching["H2"].value), ("Left for Review", 85))
        self.assertEqual((matching["I2"].value, matching["I2"].data_type), (reasons, "s"), "reasons are text")
        for name in ("Aging", "Invoices", "Disputes", "Matching"):
            sheet = book[name]
            total = next(row for row in range(1, sheet.max_row + 1) if sheet.cell(row, 1).value == "Total")
            formulas = [c.value for c in sheet[total] if isinstance(c.value, str) and c.value.startswith("=")]
            self.assertTrue(formulas, name)
            self.assertTrue(all(f.startswith("=SUBTOTAL(") for f in formulas), f"{name}: {formulas}")
            last_filtered = int(sheet.auto_filter.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            self.assertEqual(last_filtered, total - 1, f"{name}: the autofilter stops above the total")

    # ------------------------------------------------------------------ issue 23: figures that can be compared

    def _summary_row(self, sheet, label):
        """(value, previous, change, change %) cells of the Summary's key figure ``label``."""
        row = next(row for row in sheet.iter_rows(min_row=6) if row[0].value == label)
        return row[1:5]

    def test_figures_of_today_have_no_previous_period(self):
        """ "Customers with overdue items today" is today's, whatever the period: no previous value, no change (not
        today's value again with a change of 0), the reason said, on the screen and in the workbook."""
        wizard = self._wizard()
        na = ("n/a", "n/a", "n/a")
        for key in TODAY_KPIS:
            self.assertEqual(self._kpi_cells(wizard, key)[1:], na, key)
        overdue_today = self._kpi_cells(wizard, "collection_customers_overdue")[0]
        self.assertNotEqual(overdue_today, "n/a", "today's value itself is shown")
        reason = html.fromstring(str(wizard.kpi_html)).xpath(
            "//tr[@data-kpi='collection_customers_overdue']//em[hasclass('o_billing_kpi_compare_reason')]"
        )
        self.assertIn("has no previous period", reason[0].text_content())
        self.assertEqual(
            self._kpi_cells(wizard, "invoices_issued_count")[1], "1", "a figure of the period compares (P1)"
        )
        sheet = self._workbook(wizard)["Summary"]
        value, *compared = self._summary_row(sheet, "Customers with overdue items today")
        self.assertEqual(value.value, int(overdue_today))
        self.assertEqual([cell.value for cell in compared], [None, None, None])
        self.assertTrue(all("has no previous period" in cell.comment.text for cell in compared))
        none = self._wizard(comparison="none")
        self.assertNotIn("has no previous period", str(none.kpi_html), "no comparison: nothing to explain")

    def test_a_percentage_changes_in_points_only(self):
        """A rate from 20 % to 54.1 % moved +34.1 pts; "+170.5 %" of a percentage is left empty (screen, XLSX)."""
        wizard = self._wizard()
        rows = {row[0]: row for row in KPI_ROWS}
        kpis = {"currency": self.company.currency_id, "na_reasons": {}, "cei": 54.1, "net_sales": 500.0}
        previous = {"currency": self.company.currency_id, "na_reasons": {}, "cei": 20.0, "net_sales": 400.0}
        cei = wizard._kpi_row(rows["cei"], kpis, previous)
        self.assertEqual((cei["delta"], cei["percent"]), ("+34.1 pts", ""))
        self.assertEqual(wizard._kpi_row(rows["net_sales"], kpis, previous)["percent"], "+25.0 %")
        output = io.BytesIO()
        book = xlsxwriter.Workbook(output)
        sheet = book.add_worksheet("Summary")
        Workbook = self.env["billing.workbook"]
        formats = Workbook._formats(book, self.company.currency_id)
        Workbook._write_kpi_rows(sheet, formats, (kpis, previous), [rows["cei"], rows["net_sales"]], 5)
        book.close()
        written = openpyxl.load_workbook(io.BytesIO(output.getvalue()))["Summary"]
        self.assertEqual([c.value for c in self._summary_row(written, str(rows["cei"][1]))], [54.1, 20.0, 34.1, None])
        self.assertEqual(self._summary_row(written, str(rows["net_sales"][1]))[3].value, 0.25)

    def test_workbook_is_the_billing_report(self):
        wizard = self._wizard()
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        self.assertEqual(attachment.name, "billing-report-2025-03-10-2025-03-19.xlsx")
        self.assertEqual(self._workbook(wizard)["Summary"]["A1"].value, "Billing Report")
        definition = {row[0]: str(row[3]) for row in KPI_ROWS}["matching_manual"]
        self.assertIn("Match Payments", definition)
        self.assertNotIn("wizard", definition)

    def test_report_page_selects_no_field_on_open(self):
        """The start date is not focused with its text selected when the page opens (the tour checks the browser)."""
        arch = self.env["billing.report.wizard"].get_view(view_type="form")["arch"]
        form = etree.fromstring(arch)
        self.assertEqual(form.get("disable_autofocus"), "1")
        self.assertFalse(form.xpath("//field[@default_focus]"))
        self.assertEqual((form.get("create"), form.get("delete"), form.get("duplicate")), ("0", "0", "0"))

    def test_analysis_pivot_measures_mean_something_in_every_column(self):
        """The pivot's columns are Aging Today, whose Settled column holds documents open 0 by definition: its
        measure is Invoiced (net), which a settled document has, not Open Today (all zeros there)."""
        self._pay(self.c1, 300.0, date=date(2025, 3, 19))
        arch = etree.fromstring(self.env["billing.activity.report"].get_view(view_type="pivot")["arch"])
        self.assertEqual(arch.xpath("//field[@type='col']/@name"), ["aging_bucket"])
        self.assertEqual(arch.xpath("//field[@type='measure']/@name"), ["amount_total"])
        groups = (
            self.env["billing.activity.report"]
            .with_user(self.specialist)
            ._read_group(
                [("partner_id", "=", self.customer.id)], ["aging_bucket"], ["amount_total:sum", "amount_residual:sum"]
            )
        )
        totals = {bucket: (total, residual) for bucket, total, residual in groups}
        self.assertEqual(totals["90_settled"], (300.0, 0.0), "Settled: 300 invoiced, open 0 whatever happens")
