from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from .common import BillingDisputeCommon, JsonRpcCallMixin

D = timedelta(days=1)


class OutlookCommon(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Line = cls.env["billing.outlook.line"]
        cls.company.billing_outlook_default_days = 10
        cls.company.billing_outlook_default_spread = 10
        cls.company.billing_outlook_dispute_days = 30

    @classmethod
    def _due_invoice(cls, amount, due, partner=None):
        return cls._invoice(amount, partner=partner, invoice_date=due - 30 * D, invoice_date_due=due)

    def _history(self, partner, days_late, count=6, last_due=None):
        """``count`` invoices of ``partner`` paid ``days_late`` days after their due dates, one a week."""
        last_due = last_due or self.today - 30 * D
        for index in range(count):
            due = last_due - 7 * index * D
            invoice = self._due_invoice(100.0, due, partner=partner)
            self._pay(invoice, 100.0, date=due + days_late * D)

    def _refresh(self, companies=None):
        self.Line._billing_refresh(companies or self.company)
        return self.Line.search([("company_id", "in", (companies or self.company).ids)])

    def _rows(self, move):
        return self.Line.search([("move_id", "=", move.id)], order="basis, id")


@tagged("post_install", "-at_install")
class TestOutlook(OutlookCommon):
    """The cash outlook's rows from the ledger (``billing.outlook.line._billing_refresh``)."""

    def test_habit_moves_the_due_date(self):
        """Six payments 20 days late: an invoice due in 10 days is expected 19 days later (blended with the default
        10 days as one more payment: 6 / 7 of 20 + 1 / 7 of 10 = 18.6)."""
        self._history(self.customer, 20)
        invoice = self._due_invoice(500.0, self.today + 10 * D)
        self._refresh()
        row = self._rows(invoice)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.kind, row.basis, row.amount_open, row.amount_expected), ("item", "habit", 500.0, 500.0))
        self.assertEqual(row.date_due, self.today + 10 * D)
        self.assertEqual(row.date_expected, self.today + 29 * D)
        self.assertLessEqual(row.date_early, row.date_expected)
        self.assertGreaterEqual(row.date_late, row.date_expected)
        self.assertEqual(row.partner_id, self.customer)
        self.assertEqual(row.currency_id, self.company.currency_id)
        self.assertIn("6 payments", row.reason)

    def test_reasons_read_as_words(self):
        """Walk of issue 24: the rows read "Pays -11 days after the due date", "Pays 0 days after", "Few payments
        to learn from (0)". A customer paying early, on time, one day late, and a new one, in plain words."""
        early, on_time = self.customer, self.other_customer
        one_day = self.env["res.partner"].create({"name": "One Day Late", "is_company": True})
        new = self.env["res.partner"].create({"name": "Brand New", "is_company": True})
        self.company.billing_outlook_default_days = 0
        self._history(early, -11, count=20)
        self._history(on_time, 0, count=20)
        self._history(one_day, 1, count=20)
        invoices = [self._due_invoice(100.0, self.today + 40 * D, partner=p) for p in (early, on_time, one_day, new)]
        self._refresh()
        reasons = [self._rows(invoice).reason for invoice in invoices]
        self.assertTrue(reasons[0].startswith("Pays 10 days before the due date (20 payments"), reasons[0])
        self.assertTrue(reasons[1].startswith("Pays on the due date (20 payments"), reasons[1])
        self.assertTrue(reasons[2].startswith("Pays 1 day after the due date (20 payments"), reasons[2])
        self.assertEqual(reasons[3], "No payment to learn from yet: expected on the due date, the company's default.")
        for reason in reasons:
            self.assertNotIn("-", reason)
        self.assertEqual(
            self.Line._billing_habit_text("default", 8, 2),
            "Few payments to learn from (2): expected 8 days after the due date, the company's default weighing in.",
        )

    def test_new_customer_takes_the_company_default(self):
        self.company.billing_outlook_default_days = 7
        invoice = self._due_invoice(300.0, self.today + 5 * D, partner=self.other_customer)
        self._refresh()
        row = self._rows(invoice)
        self.assertEqual((row.basis, row.date_expected), ("default", self.today + 12 * D))
        self.assertEqual((row.date_early, row.date_late), (self.today + 2 * D, self.today + 22 * D))

    def test_promise_date_and_amount(self):
        invoice = self._due_invoice(1000.0, self.today - 3 * D)
        self.env(user=self.specialist)["billing.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 600.0,
                "date": self.today + 4 * D,
            }
        )
        self._refresh()
        rows = self._rows(invoice)
        self.assertEqual(sorted(rows.mapped("basis")), ["default", "promise"])
        promised = rows.filtered(lambda r: r.basis == "promise")
        self.assertEqual((promised.amount_expected, promised.date_expected), (600.0, self.today + 4 * D))
        self.assertEqual(promised.date_late, self.today + 7 * D, "the promise's deadline (tolerance 3 days)")
        self.assertEqual(sum(rows.mapped("amount_open")), 1000.0)

    def test_foreign_currency_invoice_in_company_currency(self):
        """An invoice of 1,000 EUR at 2 EUR per company unit is 500 open; a promise of 600 EUR and a dispute of
        200 EUR are 300 and 100 of it, the rest 100."""
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        invoice = self._invoice(1000.0, currency_id=eur.id, invoice_date=self.today - 40 * D)
        invoice.invoice_date_due = self.today - 10 * D
        self.assertEqual(invoice.amount_residual_signed, 500.0)
        self._open_case(invoice, amount=200.0)
        self.env(user=self.specialist)["billing.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 600.0,
                "date": self.today + 4 * D,
            }
        )
        self._refresh()
        rows = self._rows(invoice)
        by_basis = {row.basis: row.amount_open for row in rows}
        self.assertEqual(by_basis, {"dispute": 100.0, "promise": 300.0, "default": 100.0})
        self.assertEqual(set(rows.currency_id), {self.company.currency_id})

    def test_dispute_held_back_by_the_reason_typical_time(self):
        """Three closed pricing cases took 25 days: a pricing dispute opened today is expected after 25 days; a
        reason without closed cases holds for the company default (30 days)."""
        closed = self.env["billing.dispute"]
        for _index in range(3):
            case = self._open_case(self._due_invoice(200.0, self.today - 60 * D))
            self._resolve(case)
            closed |= case
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE billing_dispute SET date_opened = %s, date_closed = %s WHERE id IN %s",
            (self.today - 50 * D, self.today - 25 * D, tuple(closed.ids)),
        )
        pricing = self._due_invoice(1000.0, self.today)
        self._open_case(pricing, amount=400.0)
        quantity = self._due_invoice(800.0, self.today)
        self._open_case(quantity, amount=800.0, reason_id=self.reason_quantity.id)
        self._refresh()
        rows = self._rows(pricing)
        disputed = rows.filtered(lambda r: r.basis == "dispute")
        self.assertEqual(disputed.amount_expected, 400.0)
        self.assertGreaterEqual(disputed.date_expected, self.today + 25 * D)
        self.assertIn("25 days", disputed.reason)
        self.assertEqual(sum((rows - disputed).mapped("amount_open")), 600.0)
        self.assertLess((rows - disputed).date_expected, self.today + 25 * D)
        held = self._rows(quantity)
        self.assertEqual((held.basis, held.amount_open), ("dispute", 800.0))
        self.assertGreaterEqual(held.date_expected, self.today + 30 * D)
        self.assertIn("30 days", held.reason)

    def test_unapplied_cash_shown_apart(self):
        invoice = self._due_invoice(1000.0, self.today + 5 * D)
        payment = self._payment(250.0)
        self._bank_line(120.0, memo="transfer", partner=self.customer)
        rows = self._refresh()
        cash = rows.filtered(lambda r: r.kind == "unapplied")
        self.assertEqual(sorted(cash.mapped("amount_open")), [120.0, 250.0])
        self.assertEqual(set(cash.mapped("amount_expected")), {0.0})
        self.assertFalse(any(cash.mapped("date_expected")))
        self.assertIn(payment.move_id, cash.move_id)
        self.assertEqual(self._rows(invoice).amount_expected, 1000.0)

    def test_open_credit_note_lowers_expected(self):
        invoice = self._due_invoice(1000.0, self.today + 5 * D)
        refund = self._invoice(300.0, move_type="out_refund")
        self._refresh()
        self.assertEqual(self._rows(invoice).amount_expected, 700.0)
        credit = self._rows(refund)
        self.assertEqual((credit.kind, credit.amount_open, credit.amount_expected), ("unapplied", 300.0, 0.0))

    def test_customer_who_stopped_paying_is_at_risk(self):
        """Paid 20 days late until five months ago, nothing since, an invoice 100 days overdue: at risk."""
        self._history(self.customer, 20, last_due=self.today - 170 * D)
        old = self._due_invoice(900.0, self.today - 100 * D)
        new = self._due_invoice(400.0, self.today + 10 * D)
        self._history(self.other_customer, 20)  # pays, and an item 100 days overdue: not at risk
        other_old = self._due_invoice(500.0, self.today - 100 * D, partner=self.other_customer)
        self._refresh()
        rows = self._rows(old) | self._rows(new)
        self.assertEqual(set(rows.mapped("basis")), {"at_risk"})
        self.assertEqual(sum(rows.mapped("amount_expected")), 0.0)
        self.assertFalse(any(rows.mapped("date_expected")))
        self.assertIn("Stopped paying", rows[0].reason)
        other = self._rows(other_old)
        self.assertEqual((other.basis, other.amount_expected), ("habit", 500.0))
        self.assertIn("Already 100 days late", other.reason)
        self.assertGreater(other.date_expected, self.today)

    def test_specialist_and_team_from_the_collection_account(self):
        team = self.env["crm.team"].create({"name": "Outlook Team"})
        self.customer.write({"billing_collection_user_id": self.specialist.id, "billing_collection_team_id": team.id})
        invoice = self._due_invoice(100.0, self.today)
        self._refresh()
        self.assertEqual((self._rows(invoice).user_id, self._rows(invoice).team_id), (self.specialist, team))

    def test_weekly_outlook_with_band(self):
        """The screen's weeks: a new customer's invoice due today (default 10 days, spread 10) spreads over its band;
        unapplied cash and at-risk rows add nothing; a user of the company reads the same figures."""
        self._due_invoice(700.0, self.today)
        self._payment(999.0)
        self._refresh()
        weeks = self.Line.with_user(self.specialist)._billing_weekly(weeks=5)
        self.assertEqual([week[0] for week in weeks], [self.today + 7 * index * D for index in range(5)])
        self.assertAlmostEqual(sum(week[1] for week in weeks), 700.0)
        self.assertGreater(weeks[0][1], 0.0, "the early half starts today")
        for _start, expected, low, high in weeks:
            self.assertLessEqual(low, expected)
            self.assertGreaterEqual(high, expected)
        self.assertTrue(any(high > low for _start, _expected, low, high in weeks), "a visible band")
        # The pivot's sums, as the web client asks them (the currency is the company's, not stored on the rows).
        groups = self.Line.with_user(self.specialist).read_group(
            [("company_id", "=", self.company.id)], ["amount_open:sum", "amount_expected:sum"], ["kind"]
        )
        by_kind = {group["kind"]: (group["amount_open"], group["amount_expected"]) for group in groups}
        self.assertEqual(by_kind, {"item": (700.0, 700.0), "unapplied": (999.0, 0.0)})
        for weeks_asked in (0, 105, -3):
            with self.assertRaises(ValueError):
                self.Line._billing_weekly(weeks=weeks_asked)

    def test_refresh_learns_but_applies_nothing(self):
        """Payment dates are the customers' (THREAT-MODEL.md): the outlook learns from them and writes its own rows,
        nothing else: no reconciliation, invoice, promise, case, collection account or message changes."""
        self._history(self.customer, 20)
        invoice = self._due_invoice(1000.0, self.today - 90 * D)
        self._payment(250.0)
        self._open_case(self._due_invoice(300.0, self.today), amount=100.0)
        self.env.flush_all()
        tables = (
            "account_move",
            "account_move_line",
            "account_partial_reconcile",
            "billing_promise",
            "billing_dispute",
            "billing_collection",
            "mail_message",
            "mail_activity",
        )

        def state():
            found = {}
            for table in tables:
                self.env.cr.execute(SQL("SELECT COUNT(*), MAX(write_date) FROM %s", SQL.identifier(table)))
                found[table] = self.env.cr.fetchone()
            return found

        before = state()
        self._refresh()
        self.assertEqual(state(), before)
        self.assertEqual(invoice.amount_residual, 1000.0)
        self.assertTrue(self._rows(invoice))

    def test_refresh_is_idempotent(self):
        self._history(self.customer, 5)
        self._due_invoice(1000.0, self.today + 5 * D)
        self._payment(50.0)

        def snapshot():
            rows = self._refresh()
            return sorted(
                rows.mapped(lambda r: (r.move_id.id, r.kind, r.basis, r.amount_open, r.date_expected, r.reason))
            )

        first = snapshot()
        self.assertTrue(first)
        self.assertEqual(snapshot(), first)
        self.assertEqual(self.Line.search_count([("company_id", "=", self.company.id)]), len(first))

    def test_other_company_apart(self):
        other_company = self.setup_other_company(name="Outlook Other Co")["company"]
        journal = self.env["account.journal"].search(
            [("company_id", "=", other_company.id), ("type", "=", "sale")], limit=1
        )
        theirs = self._invoice(777.0, company_id=other_company.id, journal_id=journal.id)
        ours = self._due_invoice(100.0, self.today)
        self._refresh(self.company)
        self.assertFalse(self._rows(theirs), "another company's items are not in this company's outlook")
        self.Line._billing_refresh(other_company)
        self.assertEqual(self._rows(theirs).company_id, other_company)
        self.assertTrue(self._rows(ours), "refreshing another company keeps this one's rows")
        outsider = new_test_user(
            self.env,
            login="outlook_outsider",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        seen = self.Line.with_user(outsider).search([])
        self.assertEqual(seen.company_id, other_company)
        self.assertNotIn(ours, seen.move_id)
        with self.assertRaises(AccessError):
            self.Line.browse(self._rows(ours).id).with_user(outsider).read(["amount_open"])
        # Refreshing from the screen refreshes the user's own companies only.
        self.Line.with_user(outsider).action_billing_refresh()
        self.assertTrue(self._rows(ours))

    def test_settings_are_bounded(self):
        for field, value in (
            ("billing_outlook_default_days", 366),
            ("billing_outlook_default_days", -31),
            ("billing_outlook_default_spread", -1),
            ("billing_outlook_default_spread", 181),
            ("billing_outlook_dispute_days", 0),
            ("billing_outlook_dispute_days", 10**6),
        ):
            with self.subTest(field=field, value=value), self.assertRaises(ValidationError):
                self.company.write({field: value})
        self.assertEqual(self.company.billing_outlook_default_days, 10)

    def test_refresh_for_a_company_the_user_does_not_have_is_refused(self):
        other_company = self.setup_other_company(name="Outlook Context Co")["company"]
        journal = self.env["account.journal"].search(
            [("company_id", "=", other_company.id), ("type", "=", "sale")], limit=1
        )
        theirs = self._invoice(555.0, company_id=other_company.id, journal_id=journal.id)
        Line = self.Line.with_user(self.specialist).with_context(allowed_company_ids=other_company.ids)
        with self.assertRaises(AccessError):
            Line.action_billing_refresh()
        self.assertFalse(self._rows(theirs))

    def test_users_cannot_write_rows(self):
        invoice = self._due_invoice(100.0, self.today)
        self._refresh()
        row = self._rows(invoice)
        for user in (self.specialist, self.manager):
            Line = self.Line.with_user(user)
            self.assertEqual(Line.search([("id", "=", row.id)]), row, "billing users read the rows")
            with self.assertRaises(AccessError):
                Line.browse(row.id).write({"amount_expected": 1e9})
            with self.assertRaises(AccessError):
                Line.create({"company_id": self.company.id, "currency_id": self.company.currency_id.id})
            with self.assertRaises(AccessError):
                Line.browse(row.id).unlink()
        with self.assertRaises(AccessError):
            self.Line.with_user(self.internal_user).search([])
        with self.assertRaises(AccessError):
            self.Line.with_user(self.internal_user).action_billing_refresh()
        self.assertEqual(row.amount_expected, 100.0)


@tagged("post_install", "-at_install")
class TestOutlookRpc(OutlookCommon, HttpCase, JsonRpcCallMixin):
    """Over JSON-RPC, as the web client calls: a billing user reads rows, never writes one."""

    def test_rows_cannot_be_written_over_rpc(self):
        invoice = self._due_invoice(100.0, self.today)
        self._refresh()
        row = self._rows(invoice)
        self.authenticate("bs_specialist", "bs_specialist")
        found = self._call("billing.outlook.line", "search_read", [[("id", "=", row.id)], ["amount_expected"]])
        self.assertEqual(found[0]["amount_expected"], 100.0)
        for method, args in (
            ("write", [[row.id], {"amount_expected": 5.0}]),
            ("create", [{"company_id": self.company.id, "currency_id": self.company.currency_id.id}]),
            ("unlink", [[row.id]]),
            ("_billing_refresh", [[], self.company.ids]),
        ):
            with self.subTest(method=method), self.assertRaises(Exception) as caught:
                self._call("billing.outlook.line", method, args)
            self.assertIn("odoo.exceptions.AccessError", str(caught.exception))
        self.assertEqual(row.amount_expected, 100.0)
        self.assertTrue(self._call("billing.outlook.line", "action_billing_refresh", []))
