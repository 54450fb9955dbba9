from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import date_utils

from .common import BillingDisputeCommon, JsonRpcCallMixin


@tagged("post_install", "-at_install")
class TestCockpit(BillingDisputeCommon):
    """The customer screen of a collector: one customer in one company, on a ledger worked out by hand.

    Acme Retail (today T): 1,000 due T-40 (overdue), 2,000 due T-10 with 500 in an open dispute, 3,000 due T-20
    covered by an open promise, 400 due T+10 (not due). Open 6,400; overdue 6,000; in dispute 500; promised 3,000.
    Unapplied: a payment of 250 and a credit note of 100 = 350. One call logged. In a second company, Acme has a
    900 invoice and a call: neither shows on the first company's screen.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        T = cls.today
        cls.customer_contact.phone = "+1 555 0100"
        cls.inv_overdue = cls._invoice(
            1000.0, invoice_date=T - timedelta(days=70), invoice_date_due=T - timedelta(days=40)
        )
        cls.inv_disputed = cls._invoice(
            2000.0, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10)
        )
        cls.inv_promised = cls._invoice(
            3000.0, invoice_date=T - timedelta(days=50), invoice_date_due=T - timedelta(days=20)
        )
        cls.inv_due = cls._invoice(400.0, invoice_date=T, invoice_date_due=T + timedelta(days=10))
        cls.payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": cls.customer.id,
                "amount": 250.0,
                "date": T,
                "journal_id": cls.bank_journal.id,
            }
        )
        cls.payment.action_post()
        cls.refund = cls._invoice(100.0, move_type="out_refund", invoice_date=T)
        cls.promise = (
            cls.env["billing.promise"]
            .sudo()
            .create(
                {
                    "partner_id": cls.customer.id,
                    "move_ids": [Command.set(cls.inv_promised.ids)],
                    "amount": 3000.0,
                    "date": T + timedelta(days=3),
                }
            )
        )
        Collection = cls.env["billing.collection"]
        cls.account = Collection._for_partners(cls.customer, cls.company)
        cls.account.sudo().user_id = cls.specialist
        cls.account.with_user(cls.specialist)._log_call("reached", "Will pay the old invoice on Friday")
        # The same customer in another company: its invoice and its call stay there.
        cls.company_2 = cls.setup_other_company()["company"]
        cls.env.user.company_ids |= cls.company_2
        cls.inv_other = (
            cls.env["account.move"]
            .with_company(cls.company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": cls.customer.id,
                    "invoice_date": T - timedelta(days=60),
                    "invoice_date_due": T - timedelta(days=30),
                    "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 900.0})],
                }
            )
        )
        cls.inv_other.action_post()
        cls.account_2 = Collection._for_partners(cls.customer, cls.company_2)
        cls.account_2.with_company(cls.company_2)._log_call("no_answer", "Nobody at the other company")

    def setUp(self):
        super().setUp()
        self.case = self._open_case(self.inv_disputed, amount=500.0)

    def test_an_invoice_disputed_whole_is_in_dispute_and_one_disputed_in_part_says_so(self):
        whole = self._invoice(
            800.0, invoice_date=self.today - timedelta(days=40), invoice_date_due=self.today - timedelta(days=10)
        )
        self._open_case(whole)
        self.assertEqual(whole.billing_collection_state, "disputed")
        self.assertEqual(self.inv_disputed.billing_collection_state, "partly_disputed")

    def test_the_screen_shows_the_customer_of_one_company(self):
        account = self.account.with_user(self.specialist)
        self.assertEqual(
            account.cockpit_item_ids, self.inv_overdue | self.inv_disputed | self.inv_promised | self.inv_due
        )
        states = {move: move.billing_collection_state for move in account.cockpit_item_ids}
        self.assertEqual(
            states,
            {
                self.inv_overdue: "overdue",
                self.inv_disputed: "partly_disputed",  # 500 of 2,000 disputed: the rest is overdue, chased
                self.inv_promised: "promised",
                self.inv_due: "due",
            },
        )
        self.assertEqual(
            (
                account.cockpit_open_amount,
                account.cockpit_overdue_amount,
                account.cockpit_disputed_amount,
                account.cockpit_promised_amount,
                account.cockpit_unapplied_amount,
            ),
            (6400.0, 6000.0, 500.0, 3000.0, 350.0),
        )
        self.assertEqual(account.cockpit_unapplied_line_ids.move_id, self.payment.move_id | self.refund)
        self.assertEqual(account.cockpit_contact_ids, self.customer | self.customer_contact)
        self.assertIn("+1 555 0100", account.cockpit_contact_ids.mapped("phone"))
        self.assertEqual(len(account.cockpit_call_ids), 1)
        self.assertIn("Will pay the old invoice on Friday", account.cockpit_call_ids.body)
        self.assertEqual(account.cockpit_call_ids.author_id, self.specialist.partner_id)
        self.assertEqual(account.cockpit_promise_ids, self.promise)
        self.assertEqual(account.cockpit_dispute_ids, self.case)

    def test_other_company_shows_only_its_own(self):
        account = self.account_2.with_company(self.company_2)
        self.assertEqual(account.cockpit_item_ids, self.inv_other)
        self.assertEqual(account.cockpit_overdue_amount, 900.0)
        self.assertIn("Nobody at the other company", account.cockpit_call_ids.body)
        self.assertFalse(account.cockpit_promise_ids)
        self.assertFalse(account.cockpit_dispute_ids)

    def test_a_paid_promise_or_a_closed_case_changes_the_state(self):
        self.promise.sudo().write({"state": "kept"})
        self.case.action_cancel()
        self.env.invalidate_all()
        self.assertEqual(self.inv_promised.billing_collection_state, "overdue")
        self.assertEqual(self.inv_disputed.billing_collection_state, "overdue")
        self.assertEqual(self.account.cockpit_promised_amount, 0.0)
        self.assertEqual(self.account.cockpit_disputed_amount, 0.0)

    def test_many_accounts_are_read_in_a_few_queries(self):
        """The screen's fields cost the same queries for one account or for many (no search per account)."""
        others = self.env["res.partner"].create([{"name": f"Customer {n}", "is_company": True} for n in range(5)])
        for partner in others:
            self._invoice(100.0, partner=partner, invoice_date_due=self.today - timedelta(days=5))
        accounts = self.env["billing.collection"]._for_partners(others | self.customer, self.company)
        fields_read = [name for name in accounts._fields if name.startswith("cockpit_")]

        def queries(records):
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            records.read(fields_read)
            return self.env.cr.sql_log_count - start

        one, many = queries(accounts[:1]), queries(accounts)
        self.assertLessEqual(many, one + 3, "a query per account")
        by_partner = {account.partner_id: account for account in accounts}
        self.assertEqual(by_partner[others[0]].cockpit_overdue_amount, 100.0)
        self.assertEqual(by_partner[self.customer].cockpit_overdue_amount, 6000.0)

    def test_the_worklist_row_opens_the_screen_of_its_customer(self):
        row = self.env["billing.worklist"].with_user(self.specialist).search([("partner_id", "=", self.customer.id)])
        action = row.action_open_cockpit()
        self.assertEqual((action["res_model"], action["res_id"]), ("billing.collection", self.account.id))
        self.assertEqual(
            action["views"][0][0], self.env.ref("billing_specialist.billing_collection_view_form_cockpit").id
        )

    def test_a_specialist_opens_only_his_portfolio(self):
        globex_invoice = self._invoice(
            700.0, partner=self.other_customer, invoice_date_due=self.today - timedelta(days=3)
        )
        self.assertTrue(globex_invoice)
        other = self.env["billing.collection"]._for_partners(self.other_customer, self.company)
        other.sudo().user_id = self.manager
        row = self.env["billing.worklist"].sudo().search([("partner_id", "=", self.other_customer.id)])
        self.assertEqual(len(row), 1)
        with self.assertRaises(AccessError):
            row.with_user(self.specialist).action_open_cockpit()
        # Without the billing group: no collection account, no collection state on invoices.
        with self.assertRaises(AccessError):
            self.account.with_user(self.internal_user).read(["cockpit_item_ids"])
        with self.assertRaises(AccessError):
            self.inv_overdue.with_user(self.internal_user).read(["billing_collection_state"])


@tagged("post_install", "-at_install")
class TestCollectorReport(BillingDisputeCommon):
    """The team lead's view, figures worked out by hand (today T, this month from its first day M).

    Sam (specialist): Acme (1,000 overdue) and Initech (500 overdue, promise of 200 due today). Morgan (manager):
    Hooli, nothing overdue. Globex: no specialist, 600 overdue.
    Promises judged this month: Acme kept, Initech broken; one of Acme judged last month does not count.
    Collected on Acme's invoices: 300 today, 200 on the first day of last month, 100 on its last day.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        T = cls.today
        cls.month_start = date_utils.start_of(T, "month")
        cls.last_start = date_utils.subtract(cls.month_start, months=1)
        cls.last_end = cls.month_start - timedelta(days=1)
        old = {"invoice_date": T - timedelta(days=100), "invoice_date_due": T - timedelta(days=70)}
        Partner = cls.env["res.partner"]
        cls.initech = Partner.create({"name": "Initech", "is_company": True})
        cls.hooli = Partner.create({"name": "Hooli", "is_company": True})
        cls.acme_inv = cls._invoice(1600.0, **old)
        cls._register_payment(cls.acme_inv, 300.0, date=T)
        cls._register_payment(cls.acme_inv, 200.0, date=cls.last_start)
        cls._register_payment(cls.acme_inv, 100.0, date=cls.last_end)
        cls.acme_kept = cls._invoice(50.0, **old)
        cls.acme_old_promise = cls._invoice(60.0, **old)
        cls.initech_inv = cls._invoice(500.0, partner=cls.initech, **old)
        cls.initech_broken = cls._invoice(70.0, partner=cls.initech, invoice_date=T, invoice_date_due=T)
        cls.globex_inv = cls._invoice(600.0, partner=cls.other_customer, **old)
        cls._invoice(900.0, partner=cls.hooli, invoice_date=T, invoice_date_due=T + timedelta(days=30))
        # Small promises judged here (the minimum share: test_promise_limits.py).
        cls.company.billing_portal_promise_min_percent = 10
        Promise = cls.env["billing.promise"].sudo()

        def promise(partner, invoice, amount, state=None, judged=None):
            record = Promise.create(
                {"partner_id": partner.id, "move_ids": [Command.set(invoice.ids)], "amount": amount, "date": T}
            )
            if state:
                record.write({"state": state, "date_judged": judged})
            return record

        promise(cls.initech, cls.initech_inv, 200.0)
        promise(cls.customer, cls.acme_kept, 50.0, "kept", T)
        promise(cls.initech, cls.initech_broken, 70.0, "broken", T)
        promise(cls.customer, cls.acme_old_promise, 60.0, "kept", cls.last_end)
        # Paid in full: the kept promises' invoices are no longer overdue.
        cls._register_payment(cls.acme_kept, 50.0, date=T - timedelta(days=40))
        cls._register_payment(cls.acme_old_promise, 60.0, date=T - timedelta(days=40))
        Collection = cls.env["billing.collection"]
        Collection._for_partners(cls.customer | cls.initech, cls.company).sudo().user_id = cls.specialist
        Collection._for_partners(cls.hooli, cls.company).sudo().user_id = cls.manager
        Collection._for_partners(cls.other_customer, cls.company)

    @classmethod
    def _register_payment(cls, invoice, amount, date):
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "amount": amount,
                    "journal_id": cls.bank_journal.id,
                    "payment_date": date,
                    "payment_difference_handling": "open",
                }
            )
            ._create_payments()
        )

    def _rows(self, user=None):
        rows = self.env["billing.collector.report"].with_user(user or self.manager).search([])
        return {row.user_id: row for row in rows}

    def test_figures_per_collector(self):
        rows = self._rows()
        self.assertEqual(set(rows), {self.specialist, self.manager, self.env["res.users"]})
        sam = rows[self.specialist]
        self.assertEqual(
            (sam.customer_count, sam.overdue_customer_count, sam.overdue_amount),
            (2, 2, 1000.0 + 500.0),
        )
        self.assertEqual((sam.promise_today_count, sam.promise_today_amount), (1, 200.0))
        self.assertEqual((sam.kept_count, sam.partial_count, sam.broken_count, sam.kept_rate), (1, 0, 1, "50 %"))
        self.assertEqual((sam.kept_rate_good, sam.kept_rate_bad), (True, False), "half kept: green")
        # The 100 of the last day of last month counts among the "same days" only when today is the month's last.
        same_day = min(date_utils.subtract(self.today, months=1), self.last_end)
        same_days = 200.0 + (100.0 if same_day == self.last_end else 0.0)
        # The promised invoices were paid 40 days ago: this month, last month or before, depending on today.
        kept_paid = {"month": 0.0, "same": 0.0, "last": 0.0}
        paid_on = self.today - timedelta(days=40)
        if paid_on >= self.month_start:
            kept_paid["month"] = 110.0
        elif paid_on >= self.last_start:
            kept_paid["last"] = 110.0
            kept_paid["same"] = 110.0 if paid_on <= same_day else 0.0
        self.assertEqual(sam.collected_amount, 300.0 + kept_paid["month"])
        self.assertEqual(sam.collected_same_days_amount, same_days + kept_paid["same"])
        self.assertEqual(sam.collected_last_month_amount, 300.0 + kept_paid["last"])
        morgan = rows[self.manager]
        self.assertEqual((morgan.customer_count, morgan.overdue_customer_count, morgan.overdue_amount), (1, 0, 0.0))
        self.assertEqual((morgan.kept_rate, morgan.collected_trend), ("n/a", "n/a"))
        self.assertEqual((morgan.kept_rate_good, morgan.kept_rate_bad), (False, False), "n/a is neither colour")
        self.assertFalse(morgan.collected_up or morgan.collected_down, "n/a is neither good nor bad")
        nobody = rows[self.env["res.users"]]
        self.assertEqual((nobody.customer_count, nobody.overdue_amount), (1, 600.0))

    def test_trend_against_the_same_days_of_last_month(self):
        sam = self._rows()[self.specialist]
        base = sam.collected_same_days_amount
        expected = round(100 * (sam.collected_amount - base) / base)
        self.assertEqual(sam.collected_trend, f"{expected:+d} %")
        self.assertEqual((sam.collected_up, sam.collected_down), (expected > 0, expected < 0))

    def test_today_is_odoo_today(self):
        """Promises due 'today' follow the user's date, not the database server's."""
        tomorrow = self.today + timedelta(days=1)
        rows = self.env["billing.collector.report"].with_user(self.manager).with_context(tz="UTC")
        with self.subTest("today"):
            self.assertEqual(rows.search([("user_id", "=", self.specialist.id)]).promise_today_count, 1)
        with freeze_time(tomorrow):
            self.env.invalidate_all()
            self.assertEqual(rows.search([("user_id", "=", self.specialist.id)]).promise_today_count, 0)

    def test_only_billing_managers_see_the_team(self):
        with self.assertRaises(AccessError):
            self.env["billing.collector.report"].with_user(self.specialist).search([])
        with self.assertRaises(AccessError):
            self.env["billing.collector.report"].with_user(self.internal_user).search([])
        with self.assertRaises(AccessError):
            self.env["billing.collector.report"].with_user(self.specialist).browse(
                self.specialist.id * 100000 + self.company.id
            ).action_open_worklist()

    def test_another_company_never_shows(self):
        company_2 = self.setup_other_company()["company"]
        self.env["billing.collection"]._for_partners(self.customer, company_2).sudo().user_id = self.specialist
        rows = self.env["billing.collector.report"].with_user(self.manager).search([])
        self.assertEqual(rows.company_id, self.company)
        with self.assertRaises(AccessError):
            self.env["billing.collector.report"].with_user(self.manager).with_context(
                allowed_company_ids=[self.company.id, company_2.id]
            ).search([])
        # A manager of both companies sees both.
        self.manager.sudo().company_ids |= company_2
        rows = (
            self.env["billing.collector.report"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, company_2.id])
            .search([])
        )
        self.assertEqual(rows.company_id, self.company | company_2)

    def test_the_row_opens_the_collector_worklist(self):
        sam = self._rows()[self.specialist]
        action = sam.action_open_worklist()
        rows = self.env["billing.worklist"].with_user(self.manager).search(action["domain"])
        self.assertEqual(rows.partner_id, self.customer | self.initech)


# 23:00 UTC: already the next day in Auckland (UTC+13 in December).
LATE_UTC = datetime(2026, 12, 7, 23, 0)
UTC_DAY = LATE_UTC.date()
AUCKLAND_DAY = UTC_DAY + timedelta(days=1)


@tagged("post_install", "-at_install")
class TestCustomerScreenAndTeamWorkloadLimits(BillingDisputeCommon):
    """The customer screen and Team Workload tried as another specialist, a customer and another company; their computed
    figures and lists written over RPC; Odoo's today in the user's timezone on every collections screen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.other_specialist = new_test_user(
            cls.env,
            login="bs_specialist_8b",
            groups="base.group_user,billing_specialist.group_billing_user",
            name="Olga Other",
            **company_vals,
        )
        cls.customer.email = "ap@acme.example.com"
        # Small promises judged here (the minimum share: test_promise_limits.py).
        cls.company.billing_portal_promise_min_percent = 10

    def _account(self, partner, user):
        account = self.env["billing.collection"]._for_partners(partner, self.company)
        account.sudo().user_id = user
        return account

    def test_another_specialists_customer_screen_shows_only_what_his_rights_show(self):
        """The collection account has a company rule only: a specialist opens another specialist's customer by URL.
        Every list of the screen is read with his rights and holds what he could read without the screen: nothing
        leaks. His acts on it are his to do (the same company's customers); the portfolio stays the manager's."""
        T = self.today
        inv = self._invoice(700.0, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10))
        disputed = self._invoice(300.0, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10))
        self._payment(50.0)
        promise = (
            self.env["billing.promise"]
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(inv.ids)],
                    "amount": 100.0,
                    "date": T + timedelta(days=2),
                }
            )
        )
        case = self._open_case(disputed, amount=20.0)
        account = self._account(self.customer, self.specialist)
        account.with_user(self.specialist)._log_call("reached", "Calls back tomorrow")
        screen = account.with_user(self.other_specialist)
        screen.action_open_cockpit()  # opens
        as_other = self.env(user=self.other_specialist)
        self.assertEqual(screen.cockpit_item_ids, as_other["account.move"].search([("id", "in", (inv | disputed).ids)]))
        self.assertEqual(screen.cockpit_promise_ids, as_other["billing.promise"].browse(promise.id).exists())
        self.assertEqual(screen.cockpit_dispute_ids, as_other["billing.dispute"].browse(case.id).exists())
        self.assertEqual(len(screen.cockpit_call_ids), 1)
        self.assertTrue(screen.cockpit_call_ids.with_user(self.other_specialist).read(["body"]))
        self.assertEqual(screen.cockpit_unapplied_amount, 50.0)
        # The same, read without the screen: the account itself was his to read before the screen.
        self.assertTrue(as_other["billing.collection"].search_read([("id", "=", account.id)], ["note", "user_id"]))
        with self.assertRaises(AccessError):
            screen.write({"user_id": self.other_specialist.id})
        with self.assertRaises(AccessError):
            screen.write({"last_call_date": T, "level_bump": 5})

    def test_customer_screen_refused_without_the_billing_group_and_to_customers(self):
        account = self._account(self.customer, self.specialist)
        for user in (self.internal_user, self.portal_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    account.with_user(user).read(["cockpit_item_ids", "cockpit_open_amount"])
                with self.assertRaises(AccessError):
                    account.with_user(user).action_open_cockpit()
                with self.assertRaises(AccessError):
                    self.env["billing.worklist"].with_user(user).search_read([], ["partner_id"])

    def test_customer_screen_of_another_company(self):
        company_2 = self.setup_other_company()["company"]
        account_2 = self.env["billing.collection"]._for_partners(self.customer, company_2)
        with self.assertRaises(AccessError):
            account_2.with_user(self.specialist).read(["cockpit_item_ids"])
        with self.assertRaises(AccessError):
            account_2.with_user(self.specialist).with_context(allowed_company_ids=[company_2.id]).action_open_cockpit()

    def test_cockpit_computed_amounts_are_not_written_over_rpc(self):
        T = self.today
        self._invoice(300.0, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10))
        account = self._account(self.customer, self.specialist).with_user(self.specialist)
        for vals in ({"cockpit_open_amount": float("nan")}, {"cockpit_overdue_amount": 10**20}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                account.write(vals)
        account.invalidate_recordset()
        self.assertEqual((account.cockpit_open_amount, account.cockpit_overdue_amount), (300.0, 300.0))

    def test_cockpit_lists_written_with_commands_change_nothing(self):
        """The screen's lists are computed, without inverse: commands sent on them over RPC are refused, not applied
        to the invoices, promises or contacts themselves."""
        T = self.today
        inv = self._invoice(300.0, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10))
        draft = self._invoice(40.0, post=False)
        account = self.env["billing.collection"]._for_partners(self.customer, self.company).with_user(self.specialist)
        promises = self.env["billing.promise"].sudo().search_count([])
        for vals in (
            {"cockpit_item_ids": [Command.delete(draft.id)]},
            {"cockpit_item_ids": [Command.unlink(inv.id)]},
            {"cockpit_promise_ids": [Command.create({"amount": 1e300, "date": T, "move_ids": [Command.set(inv.ids)]})]},
            {"cockpit_contact_ids": [Command.delete(self.customer_contact.id)]},
            {"cockpit_open_amount": -1e300},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                account.write(vals)
        account.write({"note": "Prefers e-mail"})  # the screen's own field still saves
        account.invalidate_recordset()
        self.assertEqual(account.cockpit_item_ids, inv)
        self.assertTrue(draft.exists() and self.customer_contact.exists())
        self.assertEqual(self.env["billing.promise"].sudo().search_count([]), promises)

    def test_team_workload_is_for_managers_of_their_companies(self):
        self._account(self.customer, self.specialist)
        for user in (self.specialist, self.internal_user, self.portal_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["billing.collector.report"].with_user(user).search_read([], ["overdue_amount"])
        company_2 = self.setup_other_company()["company"]
        self.env["billing.collection"]._for_partners(self.other_customer, company_2)
        Report = self.env["billing.collector.report"].with_user(self.manager)
        self.assertEqual(Report.search([]).company_id, self.company)
        with self.assertRaises(AccessError):
            Report.with_context(allowed_company_ids=[self.company.id, company_2.id]).search([])

    def test_today_follows_the_users_timezone_everywhere(self):
        """At 23:00 UTC it is already tomorrow in Auckland: an invoice due on the UTC day is overdue there, a promise
        for the Auckland day is due today, on the worklist, the customer screen, Team Workload and the promise form."""
        self.specialist.tz = self.manager.tz = "Pacific/Auckland"
        with freeze_time(LATE_UTC):
            due_utc_day = self._invoice(500.0, invoice_date=UTC_DAY - timedelta(days=30), invoice_date_due=UTC_DAY)
            not_due = self._invoice(200.0, invoice_date=UTC_DAY, invoice_date_due=UTC_DAY + timedelta(days=20))
            self.env["billing.promise"].sudo().create(
                {
                    "partner_id": self.other_customer.id,
                    "move_ids": [
                        Command.set(
                            self._invoice(
                                80.0,
                                partner=self.other_customer,
                                invoice_date=UTC_DAY,
                                invoice_date_due=UTC_DAY + timedelta(days=30),
                            ).ids
                        )
                    ],
                    "amount": 80.0,
                    "date": AUCKLAND_DAY,
                }
            )
            account = self._account(self.customer, self.specialist)
            self._account(self.other_customer, self.specialist)
            specialist_env = self.env(user=self.specialist, context={"tz": "Pacific/Auckland"})
            self.assertEqual(fields.Date.context_today(specialist_env.user), AUCKLAND_DAY)
            screen = account.with_env(specialist_env)
            self.assertEqual(screen.cockpit_overdue_amount, 500.0)
            self.assertEqual(screen.with_env(specialist_env)._overdue_invoices(), due_utc_day)
            row = specialist_env["billing.worklist"].search([("partner_id", "=", self.customer.id)])
            self.assertEqual(row.overdue_amount, 500.0)
            manager_env = self.env(user=self.manager, context={"tz": "Pacific/Auckland"})
            team = manager_env["billing.collector.report"].search([("user_id", "=", self.specialist.id)])
            self.assertEqual((team.overdue_amount, team.promise_today_count), (500.0, 1))
            activity = specialist_env["billing.activity.report"].search([("move_id", "=", due_utc_day.id)])
            self.assertEqual(activity.days_overdue, 1)
            # The promise form prefills the overdue invoices of the user's today, not those of the server's.
            action = self.customer.with_env(specialist_env).action_billing_record_promise()
            prefilled = action["context"]["default_move_ids"][0][2]
            self.assertEqual(prefilled, due_utc_day.ids)
            self.assertNotIn(not_due.id, prefilled)


@tagged("post_install", "-at_install")
class TestCustomerScreenOverJsonRpc(JsonRpcCallMixin, BillingDisputeCommon, HttpCase):
    """The customer screen and Team Workload attacked as a client sends it: JSON-RPC calls in the attacker's own
    session."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["billing.collection"]._for_partners(cls.customer, cls.company)
        cls.account.sudo().user_id = cls.manager  # another specialist's customer

    def test_customer_screen_and_team_workload_over_json_rpc(self):
        spec = {"cockpit_open_amount": {}, "cockpit_item_ids": {"fields": {"name": {}}}, "note": {}}
        self.authenticate(self.portal_user.login, self.portal_user.login)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("billing.collection", "web_read", [self.account.ids], {"specification": spec})
        self.authenticate(self.specialist.login, self.specialist.login)
        # Another specialist's customer: what the specialist may read anyway (company rule), nothing more.
        (record,) = self._call("billing.collection", "web_read", [self.account.ids], {"specification": spec})
        self.assertEqual(record["id"], self.account.id)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("billing.collector.report", "web_search_read", [[]], {"specification": {"user_id": {}}})
        # An unknown timezone sent by the client: today falls back to UTC, the reports still answer.
        context = {"tz": "Mars/Olympus"}
        self._call("billing.worklist", "web_search_read", [[]], {"specification": {"reason": {}}, "context": context})
        self.authenticate(self.manager.login, self.manager.login)
        self._call(
            "billing.collector.report",
            "web_search_read",
            [[]],
            {"specification": {"kept_rate": {}, "collected_trend": {}}, "context": context},
        )
