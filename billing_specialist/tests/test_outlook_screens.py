"""The cash outlook's screens (issue 24): the weeks with their band, what is apart, the refresh, the weekly
snapshot, the accuracy against what was received, the workbook's sheet, the key figure, and who sees what."""

import io
from datetime import timedelta

import openpyxl

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import get_lang

from ..models.billing_report_hook import ReportScope
from ..report.billing_outlook_week import WEEKS
from .common import BillingDisputeCommon

NUMBER_AS_TEXT = r"^-?[\d.,\s]+$"


class OutlookCommon(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Week = cls.env["billing.outlook.week"]
        cls.start = cls.Week._week_start()

    def _line(self, amount, weeks, partner=None, **vals):
        """An outlook row computed today (the system's): ``weeks`` = (early, expected, late) week numbers, 0 this
        one, each date the week's second day. The company's outlook is marked computed now."""
        self.company.sudo().billing_outlook_date = fields.Datetime.now()
        self.env.flush_all()  # the refresh writes its date in SQL
        early, expected, late = (self.start + timedelta(weeks=week, days=1) for week in weeks)
        return (
            self.env["billing.outlook.line"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "partner_id": (partner or self.customer).id,
                    "kind": "item",
                    "amount_open": amount,
                    "amount_expected": amount,
                    "date_early": early,
                    "date_expected": expected,
                    "date_late": late,
                    "basis": "habit",
                    "date_refreshed": self.today,
                    **vals,
                }
            )
        )

    def _ledger(self):
        """X 1000 (early week 0, expected 1, late 2), V 2000 (1, 2, 3) of Acme; 400 of Globex in week 5; unapplied
        cash of 250; 300 of a customer at risk; 70 expected after the 13 weeks."""
        self._line(1000.0, (0, 1, 2))
        self._line(2000.0, (1, 2, 3))
        self._line(400.0, (5, 5, 5), partner=self.other_customer)
        self._line(-250.0, (0, 0, 0), kind="unapplied", amount_expected=0.0)
        self._line(300.0, (0, 0, 0), basis="at_risk", amount_expected=0.0, date_expected=False)
        self._line(70.0, (14, 15, 16), partner=self.other_customer)
        self.env.flush_all()


@tagged("post_install", "-at_install")
class TestOutlookWeeks(OutlookCommon):
    def test_thirteen_weeks_with_their_band_and_what_is_apart(self):
        self._ledger()
        refund = self._invoice(90.0, move_type="out_refund")
        self._line(-90.0, (0, 0, 0), kind="unapplied", amount_expected=0.0, move_id=refund.id)  # not cash
        self.env.flush_all()
        weekly = self.Week._weekly([("company_id", "=", self.company.id)])
        self.assertEqual([week for week, *_ in weekly], [self.start + timedelta(weeks=n) for n in range(WEEKS)])
        figures = [tuple(values) for _week, *values in weekly]
        # (expected, low, high). Expected: each amount spread over its band, half from early to expected, half from
        # expected to late (X's 8 days to its expected date put 375 in week 0, its next 8 days 125 in week 2). The
        # band: the smallest and the largest of that and of the sums with every item on its early, expected, late date.
        self.assertEqual(figures[0], (375.0, 0.0, 1000.0), "X may come early, in this week")
        self.assertEqual(figures[1], (1250.0, 0.0, 2000.0), "V early, X on its expected date, nothing late")
        self.assertEqual(figures[2], (1125.0, 0.0, 2000.0))
        self.assertEqual(figures[3], (250.0, 0.0, 2000.0), "V late")
        self.assertEqual(figures[5], (400.0, 400.0, 400.0), "a customer who pays on one day: no band")
        self.assertTrue(all(low <= expected <= high for expected, low, high in figures))
        self.assertEqual(sum(expected for expected, _low, _high in figures), 3400.0, "unapplied cash is not expected")
        apart = {
            section: (unapplied, later)
            for section, unapplied, later, expected in self.Week._read_group(
                [("section", "!=", "week")],
                ["section"],
                ["amount_unapplied:sum", "amount_not_expected:sum", "amount_expected:sum"],
            )
            if not expected
        }
        self.assertEqual(apart, {"unapplied": (250.0, 0.0), "at_risk": (0.0, 300.0), "later": (0.0, 70.0)})

    def test_the_screen_counts_as_the_engine(self):
        """The view's weeks are those of ``billing.outlook.line._billing_weekly`` (``outlook/engine.py``)."""
        self._ledger()
        domain = [("company_id", "=", self.company.id)]
        engine = self.env["billing.outlook.line"]._billing_weekly(domain, WEEKS, self.start)
        for screen, counted in zip(self.Week._weekly(domain), engine, strict=True):
            self.assertEqual(screen[0], counted[0])
            for ours, theirs in zip(screen[1:], counted[1:], strict=True):
                self.assertAlmostEqual(ours, theirs, places=2)

    def test_band_by_customer_is_each_customers_own(self):
        """Low and High of a group are computed on the group (pivot by customer), never a sum of rows' bands."""
        self._ledger()
        groups = self.Week._read_group(
            [("section", "=", "week")],
            ["partner_id", "week_start:week"],
            ["amount_low:sum", "amount_expected:sum", "amount_high:sum"],
        )
        acme = {week: figures for partner, week, *figures in groups if partner == self.customer}
        self.assertEqual(acme[self.start + timedelta(weeks=1)], [0.0, 1250.0, 2000.0])
        for _partner, _week, low, expected, high in groups:
            self.assertLessEqual(low, expected)
            self.assertLessEqual(expected, high)

    def test_weeks_start_on_the_languages_first_day_as_odoo_groups_them(self):
        self._ledger()
        lang = get_lang(self.env)
        for first_day in ("1", "7"):
            self.env["res.lang"].browse(lang.id).week_start = first_day
            Week = self.Week.with_context(lang=lang.code)
            Week.invalidate_model()  # a row's id is its line's and week's: the week read before is cached
            start = Week._week_start()
            self.assertEqual(start.isoweekday(), int(first_day))
            self.assertLessEqual(start, self.today)
            self.assertLess(self.today - start, timedelta(days=7))
            grouped = [week for (week,) in Week._read_group([("section", "=", "week")], ["week_start:week"])]
            listed = sorted(set(Week.search([("section", "=", "week")]).mapped("week_start")))
            self.assertEqual(grouped, listed, "the view's weeks are Odoo's weeks for this language")

    def test_the_screen_shows_thirteen_weeks_even_empty(self):
        self._line(500.0, (2, 2, 2))
        self.env.flush_all()
        action = self.Week.with_user(self.specialist).action_open_outlook()
        self.assertEqual(action["res_model"], "billing.outlook.week")
        self.assertIn("'billing_outlook_weeks': 1", action["context"])
        groups = (
            self.Week.with_user(self.specialist)
            .with_context(billing_outlook_weeks=1)
            .read_group([("section", "=", "week")], ["amount_expected:sum"], ["week_start:week"], lazy=False)
        )
        self.assertEqual(len(groups), WEEKS, "empty weeks still appear")
        self.assertEqual(
            [group["__range"]["week_start:week"]["from"] for group in groups],
            [fields.Date.to_string(self.start + timedelta(weeks=n)) for n in range(WEEKS)],
        )
        self.assertEqual([group["amount_expected"] for group in groups].count(500.0), 1)
        total = self.Week.with_context(billing_outlook_weeks=1).read_group([], ["amount_expected:sum"], [], lazy=False)
        self.assertEqual(total[0]["amount_expected"], 500.0, "the pivot's total: no week to fill")

    def test_the_screen_refreshes_an_outlook_older_than_today(self):
        invoice = self._invoice(1200.0, invoice_date=self.today, invoice_date_due=self.today + timedelta(days=10))
        old = self._line(999.0, (1, 1, 1), date_refreshed=self.today - timedelta(days=1))
        self.company.sudo().billing_outlook_date = fields.Datetime.now() - timedelta(days=1)
        self.env.flush_all()  # the refresh writes its date in SQL
        self.Week.with_user(self.specialist).action_open_outlook()
        self.assertFalse(old.exists(), "yesterday's outlook was computed again")
        lines = self.env["billing.outlook.line"].search([("company_id", "=", self.company.id)])
        self.assertEqual(lines.move_id, invoice)
        self.assertEqual(set(lines.mapped("date_refreshed")), {self.today})
        fresh = lines.ids
        self.Week.with_user(self.specialist).action_open_outlook()
        self.assertEqual(lines.exists().ids, fresh, "computed today: not again")
        result = self.Week.with_user(self.specialist).action_refresh()
        self.assertEqual(result["tag"], "soft_reload")
        self.assertFalse(lines.exists(), "Refresh computes it again anyway")


@tagged("post_install", "-at_install")
class TestOutlookSnapshotsAndAccuracy(OutlookCommon):
    def _snapshot(self, taken, week, expected, low=None, high=None):
        return (
            self.env["billing.outlook.snapshot"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "date_taken": taken,
                    "week_start": week,
                    "weeks_ahead": (week - taken).days // 7,
                    "amount_expected": expected,
                    "amount_low": expected if low is None else low,
                    "amount_high": expected if high is None else high,
                }
            )
        )

    def test_weekly_snapshot_records_the_thirteen_weeks(self):
        self._invoice(800.0, invoice_date=self.today, invoice_date_due=self.today + timedelta(days=8))
        cron = self.env.ref("billing_specialist.ir_cron_billing_outlook_snapshot").sudo()
        self.assertEqual((cron.interval_number, cron.interval_type, cron.active), (1, "weeks", True))
        self.assertEqual((cron.model_id.model, cron.code), ("billing.outlook.snapshot", "model._cron_snapshot()"))
        self.env["billing.outlook.snapshot"]._cron_snapshot()
        snapshots = self.env["billing.outlook.snapshot"].search([("company_id", "=", self.company.id)])
        self.assertEqual(snapshots.mapped("weeks_ahead"), list(range(WEEKS)))
        self.assertEqual(set(snapshots.mapped("date_taken")), {self.start})
        self.assertAlmostEqual(sum(snapshots.mapped("amount_expected")), 800.0, 2, "the invoice, within 13 weeks")
        weekly = self.Week._weekly([("company_id", "=", self.company.id)])
        self.assertEqual(
            [(s.week_start, s.amount_expected, s.amount_low, s.amount_high) for s in snapshots],
            [(week, *(round(amount, 2) for amount in amounts)) for week, *amounts in weekly],
        )
        self.env["billing.outlook.snapshot"]._cron_snapshot()
        again = self.env["billing.outlook.snapshot"].search([("company_id", "=", self.company.id)])
        self.assertEqual(len(again), WEEKS, "a second snapshot the same week replaces the first")

    def test_accuracy_against_what_was_received_with_na_and_its_reasons(self):
        good_week = self.start - timedelta(weeks=2)
        empty_week = self.start - timedelta(weeks=1)
        self._snapshot(good_week - timedelta(weeks=1), good_week, 1000.0, low=800.0, high=1300.0)
        self._snapshot(good_week - timedelta(weeks=4), good_week, 500.0)
        self._snapshot(empty_week - timedelta(weeks=1), empty_week, 600.0)
        self._snapshot(self.start, self.start, 700.0)  # this week is not over: not judged yet
        invoice = self._invoice(900.0, invoice_date=good_week - timedelta(days=20))
        self._pay(invoice, 900.0, date=good_week + timedelta(days=2))
        self.env.flush_all()
        rows = self.env["billing.outlook.accuracy"].with_user(self.specialist).search([])
        self.assertEqual(rows.mapped("week_start"), [empty_week, good_week])
        empty, good = rows
        self.assertEqual(
            (good.amount_received, good.forecast_1w, good.error_1w, good.error_1w_percent, good.grade_1w),
            (900.0, 1000.0, 100.0, 11.1, "good"),
        )
        self.assertTrue(good.in_band_1w)
        self.assertEqual(
            (good.forecast_4w, good.error_4w, good.error_4w_percent, good.grade_4w), (500.0, -400.0, 44.4, "bad")
        )
        self.assertFalse(good.na_reason)
        self.assertEqual((empty.amount_received, empty.error_1w, empty.grade_1w), (0.0, 600.0, "na"))
        self.assertFalse(empty.error_1w_percent)
        self.assertEqual((empty.error_1w_label, empty.error_4w_label, good.error_1w_label), ("n/a", "n/a", "11.1 %"))
        self.assertEqual(empty.grade_4w, "na")
        self.assertEqual(empty.na_reason, "no snapshot taken 4 weeks before; nothing received that week: no error %")

    def test_a_credit_note_does_not_count_as_received(self):
        week = self.start - timedelta(weeks=1)
        self._snapshot(week - timedelta(weeks=1), week, 100.0)
        invoice = self._invoice(100.0, invoice_date=week - timedelta(days=10))
        refund = self._invoice(100.0, move_type="out_refund", invoice_date=week + timedelta(days=1))
        (invoice | refund).line_ids.filtered(lambda line: line.account_type == "asset_receivable").reconcile()
        self.env.flush_all()
        row = self.env["billing.outlook.accuracy"].search([("week_start", "=", week)])
        self.assertEqual((row.amount_received, row.grade_1w), (0.0, "na"), "billing.kpi._paid_sql: not paid")


@tagged("post_install", "-at_install")
class TestOutlookReport(OutlookCommon):
    def _scope(self, **filters):
        return ReportScope.of(self.company, self.today.replace(day=1), self.today, **filters)

    def test_key_figure_expected_next_four_weeks(self):
        self._ledger()
        kpis = self.env["billing.kpi"].with_user(self.specialist)._kpis_for(self._scope())
        self.assertEqual(kpis["outlook_expected_4w"], 3000.0, "weeks 0-3: X and V; Globex's week 5 is after")
        self.assertNotIn("outlook_expected_4w", kpis["na_reasons"])
        other = self.env["billing.kpi"]._kpis_for(self._scope(partner_ids=self.other_customer.ids))
        self.assertEqual(other["outlook_expected_4w"], 0.0)
        wizard = self.env["billing.report.wizard"].with_user(self.specialist).create({"period_preset": "this_month"})
        html = str(wizard.kpi_html)
        self.assertIn('data-kpi="outlook_expected_4w"', html)
        self.assertIn("has no previous period", html.split('data-kpi="outlook_expected_4w"')[1].split("</tr>")[0])

    def test_workbook_cash_outlook_sheet(self):
        self._ledger()
        data = self.env["billing.workbook"].with_user(self.specialist)._build_for(self._scope())
        book = openpyxl.load_workbook(io.BytesIO(data))
        sheet = book["Cash Outlook"]
        header = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Week")
        weeks = [sheet.cell(header + n, 1).value for n in range(1, WEEKS + 1)]
        self.assertEqual([week.date() for week in weeks], [self.start + timedelta(weeks=n) for n in range(WEEKS)])
        second = [sheet.cell(header + 2, col).value for col in (2, 3, 4)]
        self.assertEqual(second, [1250.0, 0.0, 2000.0], "expected, low, high of week 2")
        labels = {sheet.cell(row, 1).value: sheet.cell(row, 2).value for row in range(1, sheet.max_row + 1)}
        self.assertEqual(labels["Unapplied cash (received, not in Expected)"], 250.0)
        self.assertEqual(labels["Customers at risk (not expected)"], 300.0)
        self.assertEqual(labels["Expected after the 13 weeks"], 70.0)
        customers = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Customer")
        self.assertEqual(sheet.cell(customers + 1, 1).value, "Acme Retail", "the largest first")
        self.assertEqual(sheet.cell(customers + 1, 4 + WEEKS).value, 3000.0)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and not cell.value.startswith("="):
                    self.assertNotRegex(cell.value, NUMBER_AS_TEXT, cell.coordinate)
        summary = book["Summary"]
        figure = next(row for row in summary.iter_rows() if row[0].value == "Expected next 4 weeks")
        self.assertEqual(figure[1].value, 3000.0)


@tagged("post_install", "-at_install")
class TestOutlookSecurity(OutlookCommon):
    def test_companies_apart(self):
        self._ledger()
        other = self.setup_other_company()["company"]
        self.env["billing.outlook.line"].sudo().create(
            {
                "company_id": other.id,
                "partner_id": self.customer.id,
                "kind": "item",
                "amount_open": 5000.0,
                "amount_expected": 5000.0,
                "date_expected": self.start + timedelta(days=8),
                "date_refreshed": self.today,
            }
        )
        self.env["billing.outlook.snapshot"].sudo().create(
            {
                "company_id": other.id,
                "currency_id": other.currency_id.id,
                "date_taken": self.start - timedelta(weeks=2),
                "week_start": self.start - timedelta(weeks=1),
                "weeks_ahead": 1,
                "amount_expected": 5000.0,
            }
        )
        self.env.flush_all()
        Week = self.Week.with_user(self.specialist)
        self.assertEqual(sum(Week.search([]).mapped("amount_expected")), 3400.0, "not the other company's 5000")
        self.assertFalse(self.env["billing.outlook.snapshot"].with_user(self.specialist).search([]))
        self.assertFalse(self.env["billing.outlook.accuracy"].with_user(self.specialist).search([]))
        with self.assertRaises(AccessError):
            Week._refresh_stale(other)
        with self.assertRaises(AccessError):
            Week.with_context(allowed_company_ids=[self.company.id, other.id]).action_refresh()
        scope = ReportScope.of(other, self.today, self.today)
        with self.assertRaises(AccessError):
            self.env["billing.kpi"].with_user(self.specialist)._kpis_for(scope)

    def test_portal_and_internal_users_see_nothing(self):
        self._ledger()
        for user in (self.portal_user, self.internal_user):
            for model in ("billing.outlook.week", "billing.outlook.snapshot", "billing.outlook.accuracy"):
                with self.assertRaises(AccessError, msg=f"{user.login} reads {model}"):
                    self.env[model].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.Week.with_user(user).action_open_outlook()
            with self.assertRaises(AccessError):
                self.Week.with_user(user).action_refresh()

    def test_no_one_writes_a_snapshot_over_rpc(self):
        snapshot = self.env["billing.outlook.snapshot"]._take(self.company)[:1]
        manager = new_test_user(
            self.env,
            login="bs_outlook_manager",
            groups="base.group_user,billing_specialist.group_billing_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        for user in (self.specialist, manager):
            Snapshot = self.env["billing.outlook.snapshot"].with_user(user)
            self.assertTrue(Snapshot.search([]), "read")
            with self.assertRaises(AccessError):
                snapshot.with_user(user).write({"amount_expected": 1.0})
            with self.assertRaises(AccessError):
                Snapshot.create({"company_id": self.company.id, "date_taken": self.today, "week_start": self.today})
            with self.assertRaises(AccessError):
                snapshot.with_user(user).unlink()
            with self.assertRaises(AccessError):
                self.env["billing.outlook.line"].with_user(user).create({"company_id": self.company.id, "kind": "item"})
        self.assertTrue(snapshot.exists())
