import io
from datetime import datetime, timedelta

import openpyxl

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL, formatLang

from odoo.addons.billing_specialist.models.billing_report_hook import ReportScope

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestWorklist(BillingDisputeCommon):
    """Who to call today, on a fixed ledger whose scores are worked out by hand below.

    Today T. Age of an item = min(days overdue, 180) / 30; age points = sum(open x age) / 1,000.
    - Acme Retail: 1,000 due T-40 and 2,000 due T-10: (1000 x 40/30 + 2000 x 10/30) / 1000 = 2.00 age points;
      level "Firm Reminder" (2nd of the ladder) = 20 level points. Score 22.00.
    - Globex Stores: 6,000 due T-200 (age capped at 6) = 36.00, 1,500 of it in dispute: -1500 x 6 / 1000 = -9.00.
      Score 27.00.
    - Initech: 500 due T-5 = 500 x 5/30 / 1000 = 0.08 (0.0833); 2 broken promises = 50; next action due today = 50;
      a promise broken and no call since = 1,000. Score 1,100.08.
    - Hooli: 4,000 due T-90 = 12.00, all covered by an open promise: -12.00. Score 0.00.
    - Umbrella: 800 not due yet: not on the list.
    Order: Initech, Globex, Acme, Hooli.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        T = cls.today
        cls.initech = cls.env["res.partner"].create(
            {"name": "Initech", "is_company": True, "email": "ap@initech.example"}
        )
        cls.hooli = cls.env["res.partner"].create({"name": "Hooli", "is_company": True})
        cls.umbrella = cls.env["res.partner"].create({"name": "Umbrella", "is_company": True})
        cls.acme_old = cls._invoice(
            1000.0, invoice_date=T - timedelta(days=70), invoice_date_due=T - timedelta(days=40)
        )
        cls.acme_new = cls._invoice(
            2000.0, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10)
        )
        cls.globex_inv = cls._invoice(
            6000.0,
            partner=cls.other_customer,
            invoice_date=T - timedelta(days=230),
            invoice_date_due=T - timedelta(days=200),
        )
        cls.initech_inv = cls._invoice(
            500.0, partner=cls.initech, invoice_date=T - timedelta(days=35), invoice_date_due=T - timedelta(days=5)
        )
        cls.hooli_inv = cls._invoice(
            4000.0, partner=cls.hooli, invoice_date=T - timedelta(days=120), invoice_date_due=T - timedelta(days=90)
        )
        cls._invoice(800.0, partner=cls.umbrella, invoice_date=T, invoice_date_due=T + timedelta(days=10))
        cls.levels = cls.env["billing.followup.level"].search([("company_id", "=", cls.company.id)], order="delay")
        Collection = cls.env["billing.collection"]
        cls.acme_account = Collection._for_partners(cls.customer, cls.company)
        cls.acme_account.sudo().level_id = cls.levels[1]
        cls.initech_account = Collection._for_partners(cls.initech, cls.company)
        cls.initech_account.sudo().write({"broken_promise_count": 2, "next_action_date": T})
        # Small promises judged here (the minimum share: test_promise_limits.py).
        cls.company.billing_portal_promise_min_percent = 10
        Promise = cls.env["billing.promise"].sudo()
        broken = Promise.create(
            {"partner_id": cls.initech.id, "move_ids": [Command.set(cls.initech_inv.ids)], "amount": 100.0, "date": T}
        )
        broken.write({"state": "broken", "date_judged": T})
        cls.hooli_promise = Promise.create(
            {
                "partner_id": cls.hooli.id,
                "move_ids": [Command.set(cls.hooli_inv.ids)],
                "amount": 4000.0,
                "date": T + timedelta(days=5),
            }
        )

    def setUp(self):
        super().setUp()
        self._open_case(self.globex_inv, amount=1500.0)

    def _rows(self, user=None):
        self.env.invalidate_all()  # a SQL view: read it afresh, as each request of the client does
        return self.env["billing.worklist"].with_user(user or self.manager).search([])

    def _row(self, partner, user=None):
        return self._rows(user).filtered(lambda row: row.partner_id == partner)

    # ------------------------------------------------------------------ the score

    def test_order_on_a_fixed_ledger(self):
        rows = self._rows()
        self.assertEqual(rows.partner_id, self.initech | self.other_customer | self.customer | self.hooli)
        self.assertEqual(
            [row.partner_id for row in rows], [self.initech, self.other_customer, self.customer, self.hooli]
        )
        expected = {self.initech: 1100.08, self.other_customer: 27.0, self.customer: 22.0, self.hooli: -2000.0}
        for row in rows:
            self.assertAlmostEqual(row.score, expected[row.partner_id], places=2, msg=row.partner_id.name)
        self.assertNotIn(self.umbrella, rows.partner_id, "nothing overdue: not on the list")

    def test_each_score_part(self):
        acme = self._row(self.customer)
        self.assertEqual((acme.overdue_amount, acme.item_count, acme.max_days_overdue), (3000.0, 2, 40))
        self.assertAlmostEqual(acme.points_age, 2.0, places=2)
        self.assertEqual((acme.level_id, acme.level_rank, acme.points_level), (self.levels[1], 2, 20.0))
        self.assertEqual((acme.points_paused, acme.points_broken, acme.points_action, acme.points_priority), (0,) * 4)
        globex = self._row(self.other_customer)
        self.assertEqual(globex.max_days_overdue, 200)
        self.assertEqual((globex.disputed_amount, globex.followup_amount), (1500.0, 4500.0))
        self.assertAlmostEqual(globex.points_age, 36.0, places=2)
        self.assertAlmostEqual(globex.points_paused, -9.0, places=2)
        initech = self._row(self.initech)
        self.assertAlmostEqual(initech.points_age, 0.08, places=2)
        self.assertEqual((initech.broken_promise_count, initech.points_broken), (2, 50.0))
        self.assertEqual((initech.points_action, initech.points_priority), (50.0, 1000.0))
        self.assertTrue(initech.broken_since_call)
        # The urgent part first: the list shows the start of the sentence.
        self.assertTrue(initech.reason.startswith("promise broken since the last call; next action due; "))
        # A next action later does not make it "worked" while a promise broke since the last call (walk).
        self.env["billing.collection"]._for_partners(self.initech, self.company).sudo().next_action_date = (
            self.today + timedelta(days=3)
        )
        initech = self._row(self.initech)
        self.assertEqual((initech.worked, initech.points_worked, initech.points_priority), (False, 0.0, 1000.0))
        hooli = self._row(self.hooli)
        self.assertEqual((hooli.promised_amount, hooli.followup_amount), (4000.0, 0.0))
        self.assertAlmostEqual(hooli.points_age + hooli.points_paused, 0.0, places=2)

    def test_promise_past_its_deadline_no_longer_pauses(self):
        # A promise made earlier for ten days ago (the application refuses a past date today: written in SQL).
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE billing_promise SET date = %s, tolerance_days = 3, date_deadline = %s WHERE id = %s",
                self.today - timedelta(days=10),
                self.today - timedelta(days=7),
                self.hooli_promise.id,
            )
        )
        self.env.invalidate_all()
        hooli = self._row(self.hooli)
        self.assertEqual((hooli.promised_amount, hooli.points_paused), (0.0, 0.0))
        self.assertAlmostEqual(hooli.score, 12.0, places=2)

    # ------------------------------------------------------------------ who sees what

    def test_specialist_sees_his_portfolio_and_team_only(self):
        other_specialist = new_test_user(
            self.env,
            login="bs_specialist_2",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        # One team each (Odoo's default): the specialist and the customer's salesperson are both in Collectors.
        salesperson = new_test_user(self.env, login="bs_sales", groups="base.group_user")
        team = self.env["crm.team"].create(
            {
                "name": "Collectors",
                "company_id": self.company.id,
                "member_ids": [Command.set((salesperson | self.specialist).ids)],
            }
        )
        Collection = self.env["billing.collection"].with_user(self.manager)
        Collection._for_partners(self.customer, self.company).user_id = self.specialist  # portfolio
        Collection._for_partners(self.other_customer, self.company).user_id = other_specialist
        Collection._for_partners(self.initech, self.company).team_id = team  # no specialist, his team
        self.hooli.user_id = salesperson  # no account team: the salesperson's team, which he is also in
        mine = self._rows(self.specialist)
        self.assertEqual(mine.partner_id, self.customer | self.initech | self.hooli)
        theirs = self._rows(other_specialist)
        self.assertEqual(theirs.partner_id, self.other_customer)
        self.assertEqual(self._rows(self.manager).partner_id, mine.partner_id | self.other_customer)
        my_filter = self.env["billing.worklist"].with_user(self.manager).search([("is_mine", "=", True)])
        self.assertFalse(my_filter, "the manager has no portfolio nor team")
        with self.assertRaises(AccessError):
            self._row(self.other_customer).with_user(self.specialist).action_log_call()

    def test_other_company_never_shows(self):
        other = self.setup_other_company(name="Worklist Other Co")
        other_company = other["company"]
        self.env["account.move"].with_company(other_company).create(
            {
                "move_type": "out_invoice",
                "partner_id": self.initech.id,
                "invoice_date": self.today - timedelta(days=60),
                "invoice_date_due": self.today - timedelta(days=30),
                "invoice_line_ids": [Command.create({"name": "x", "price_unit": 900.0, "tax_ids": []})],
            }
        ).action_post()
        self.manager.company_ids |= other_company
        both = (
            self.env["billing.worklist"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, other_company.id])
        )
        self.assertEqual(len(both.search([("partner_id", "=", self.initech.id)])), 2)
        one = self.env["billing.worklist"].with_user(self.manager).with_context(allowed_company_ids=self.company.ids)
        self.assertEqual(one.search([("partner_id", "=", self.initech.id)]).company_id, self.company)
        self.acme_account.with_user(self.manager).user_id = self.specialist
        self.env["billing.collection"]._for_partners(self.initech, other_company).sudo().user_id = self.specialist
        self.assertNotIn(other_company, self._rows(self.specialist).company_id)
        account = self.env["billing.collection"]._for_partners(self.initech, other_company)
        with self.assertRaises(AccessError):
            account.with_user(self.specialist).action_log_call()

    # ------------------------------------------------------------------ log a call

    def _call(self, partner, outcome, user=None, **vals):
        row = self._row(partner, user or self.specialist) or self._row(partner)
        action = row.with_user(user or self.manager).action_log_call()
        wizard = (
            self.env[action["res_model"]]
            .with_user(user or self.manager)
            .with_context(**action["context"])
            .create({"outcome": outcome, **vals})
        )
        return wizard, wizard.action_apply()

    def _notes(self, partner):
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id), ("body", "ilike", "Call logged")]
        )

    def test_log_a_call_reached_closes_the_due_call_and_clears_the_priority(self):
        activity = self.initech_account.activity_schedule(
            "mail.mail_activity_data_call", date_deadline=self.today, user_id=self.specialist.id
        )
        _wizard, result = self._call(self.initech, "reached", note="Spoke to AP, payment run on Friday")
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertFalse(activity.exists(), "the due call activity is done")
        notes = self._notes(self.initech)
        self.assertEqual(len(notes), 1)
        self.assertIn("Spoke to AP", notes.body)
        self.assertEqual(notes.author_id, self.manager.partner_id)
        self.assertEqual(
            (self.initech_account.last_call_date, self.initech_account.last_call_outcome), (self.today, "reached")
        )
        row = self._row(self.initech)
        self.assertFalse(row.broken_since_call)
        self.assertEqual(row.points_priority, 0.0)

    def test_log_a_call_no_answer_and_wrong_contact_schedule_a_retry(self):
        self._call(self.customer, "no_answer")
        account = self.acme_account
        tomorrow = self.today + timedelta(days=1)
        self.assertEqual(account.next_action_date, tomorrow)
        calls = account.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual((len(calls), calls.date_deadline), (1, tomorrow))
        self._call(self.customer, "wrong_contact")
        self.assertEqual(account.next_action_note, "Find the right contact")
        self.assertEqual(len(account.activity_ids), 1, "the pending call moves, no second one")
        self.assertEqual(len(self._notes(self.customer)), 2)

    def test_log_a_call_promised_records_the_promise(self):
        wizard, _result = self._call(
            self.customer, "promised", promise_date=self.today + timedelta(days=7), note="Pays on the 7th"
        )
        self.assertEqual(wizard.promise_move_ids, self.acme_old | self.acme_new)
        self.assertEqual(wizard.promise_amount, 3000.0)
        promise = self.env["billing.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual(
            (promise.amount, promise.date, promise.channel, promise.state, promise.company_id),
            (3000.0, self.today + timedelta(days=7), "phone", "open", self.company),
        )
        self.assertEqual(promise.move_ids, self.acme_old | self.acme_new)
        self.assertIn("Promise to pay: Acme Retail", self._notes(self.customer).body)
        row = self._row(self.customer)
        self.assertEqual((row.promised_amount, row.followup_amount), (3000.0, 0.0))

    def test_log_a_call_disputes_opens_a_case_form(self):
        _wizard, action = self._call(self.customer, "disputes", note="Says the prices are wrong")
        self.assertEqual((action["res_model"], action["view_mode"]), ("billing.dispute", "form"))
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)
        moves = [command[2]["move_id"] for command in action["context"]["default_line_ids"]]
        self.assertEqual(moves, (self.acme_old | self.acme_new).ids)
        self.assertEqual(len(self._notes(self.customer)), 1)

    def test_promise_refusals_write_nothing(self):
        promises = self._count("billing.promise")
        messages = self._count("mail.message")
        cases = [
            {"promise_date": self.today - timedelta(days=1)},  # in the past
            {"promise_date": self.today + timedelta(days=3), "promise_amount": 3000.01},  # above the open amount
            {"promise_date": self.today + timedelta(days=3), "promise_amount": -5.0},
            {"promise_date": self.today + timedelta(days=3), "promise_move_ids": [Command.set(self.hooli_inv.ids)]},
        ]
        for vals in cases:
            with self.subTest(vals=vals), self.assertRaises(UserError), self.env.cr.savepoint():
                self._call(self.customer, "promised", **vals)
        self.assertEqual(self._count("billing.promise"), promises)
        self.assertEqual(self._count("mail.message"), messages)
        self.assertFalse(self.acme_account.last_call_date)

    # ------------------------------------------------------------------ other quick actions

    def test_schedule_the_next_action(self):
        self.acme_account.with_user(self.manager).user_id = self.specialist
        row = self._row(self.customer, self.specialist)
        action = row.with_user(self.specialist).action_schedule_next_action()
        Schedule = self.env[action["res_model"]].with_user(self.specialist).with_context(**action["context"])
        in_three = self.today + timedelta(days=3)
        Schedule.create({"date": in_three, "note": "Call the payables clerk"}).action_apply()
        account = self.acme_account
        self.assertEqual((account.next_action_date, account.next_action_note), (in_three, "Call the payables clerk"))
        self.assertEqual(account.activity_ids.date_deadline, in_three)
        self.assertEqual(account.activity_ids.user_id, self.specialist)
        with self.assertRaises(UserError):
            Schedule.create({"date": self.today - timedelta(days=1)}).action_apply()
        self.assertEqual(account.next_action_date, in_three)
        Schedule.create({"date": self.today}).action_apply()
        self.assertEqual(len(account.activity_ids), 1)
        self.assertEqual(self._row(self.customer).points_action, 50.0)

    def test_other_row_actions(self):
        row = self._row(self.customer).with_user(self.manager)
        promise_action = row.action_record_promise()
        self.assertEqual(
            (promise_action["res_model"], promise_action["context"]["default_outcome"]),
            ("billing.collection.call", "promised"),
        )
        statement = row.action_send_statement()
        self.assertEqual(statement["res_model"], "billing.statement.wizard")
        self.assertEqual(statement["context"]["default_partner_id"], self.customer.id)
        dispute = self._row(self.other_customer).with_user(self.manager).action_open_dispute()
        self.assertEqual(dispute["context"]["default_partner_id"], self.other_customer.id)
        self.assertNotIn("default_line_ids", dispute["context"], "its only overdue invoice is already in dispute")

    # ------------------------------------------------------------------ portfolio and refusals

    def test_bulk_assignment_by_a_manager(self):
        team = self.env["crm.team"].create({"name": "Collectors", "company_id": self.company.id})
        rows = self._rows().filtered(lambda r: r.partner_id in (self.customer | self.hooli))
        action = rows.with_user(self.manager).action_assign()
        Assign = self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"])
        wizard = Assign.create({"user_id": self.specialist.id, "team_id": team.id})
        self.assertEqual(wizard.partner_ids, self.customer | self.hooli)
        wizard.action_apply()
        accounts = self.env["billing.collection"].search([("partner_id", "in", (self.customer | self.hooli).ids)])
        self.assertEqual((accounts.user_id, accounts.team_id), (self.specialist, team))
        self.assertEqual(self.customer.with_user(self.specialist).billing_collection_user_id, self.specialist)
        with self.assertRaises(UserError):
            Assign.create({"user_id": self.internal_user.id}).action_apply()

    def test_access_refusals(self):
        with self.assertRaises(AccessError):
            self.env["billing.worklist"].with_user(self.internal_user).search([])
        with self.assertRaises(AccessError):
            self.env["billing.worklist"].with_user(self.portal_user).search([])
        with self.assertRaises(AccessError):
            self.acme_account.with_user(self.internal_user).action_log_call()
        with self.assertRaises(AccessError):
            self.env["billing.collection.call"].with_user(self.portal_user).create(
                {"collection_id": self.acme_account.id, "outcome": "reached"}
            )
        # A specialist cannot give himself customers nor move the call date (the portfolio is the manager's).
        account = self.acme_account.with_user(self.specialist)
        for vals in (
            {"user_id": self.specialist.id},
            {"team_id": False, "user_id": False},
            {"last_call_date": self.today},
            # The run's and the judge's figures: writing them would skip levels or move the customer on the list.
            {"level_id": False},
            {"level_bump": 5},
            {"broken_promise_count": 0},
            {"last_followup_date": self.today},
            {"next_followup_date": self.today},
            {"company_id": self.env.company.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                account.write(vals)
        with self.assertRaises(AccessError):
            self.env["billing.collection"].with_user(self.specialist).create(
                {"partner_id": self.umbrella.id, "level_bump": 3}
            )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.specialist).billing_collection_user_id = self.specialist
        with self.assertRaises(AccessError):
            self.env["billing.collection.assign"].with_user(self.specialist).with_context(
                active_model="billing.worklist", active_ids=self._rows().ids
            ).create({"user_id": self.specialist.id})
        self.assertFalse(self.acme_account.user_id)
        self.assertFalse(self.acme_account.last_call_date)

    # ------------------------------------------------------------------ collection KPIs

    def test_collection_kpis_on_the_fixed_ledger(self):
        Promise = self.env["billing.promise"].sudo()
        for amount, state in ((500.0, "kept"), (200.0, "partial")):
            promise = Promise.create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.acme_old.ids)],
                    "amount": amount,
                    "date": self.today,
                }
            )
            promise.write({"state": state, "date_judged": self.today})
        kpis = (
            self.env["billing.kpi"]
            .with_user(self.manager)
            ._get_kpis(self.company, self.today - timedelta(days=30), self.today)
        )
        figures = {key: kpis[key] for key in kpis if key.startswith(("promises_", "collection_"))}
        self.assertEqual(
            figures,
            {
                "promises_made_count": 4,
                "promises_made_amount": 4800.0,  # 100 (broken) + 4,000 (Hooli, open) + 500 + 200
                "promises_kept_count": 1,
                "promises_kept_amount": 500.0,
                "promises_partial_count": 1,
                "promises_partial_amount": 200.0,
                "promises_broken_count": 1,
                "promises_broken_amount": 100.0,
                "promises_kept_rate": 33.3,
                "collection_customers_overdue": 4,
                "collection_followup_amount": 8000.0,  # 3,000 + 4,500 + 500 + 0
                "collection_disputed_amount": 1500.0,
                "collection_promised_amount": 4000.0,
            },
        )
        self.assertEqual(kpis["customers_by_level"], [{"label": self.levels[1].display_name, "count": 1}])
        self.assertNotIn("promises_kept_rate", kpis["na_reasons"])
        last_year = self.env["billing.kpi"]._get_kpis(
            self.company, self.today - timedelta(days=400), self.today - timedelta(days=370)
        )
        self.assertIsNone(last_year["promises_kept_rate"])
        self.assertEqual(last_year["na_reasons"]["promises_kept_rate"], "no promise judged in the period")
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "date_from": self.today - timedelta(days=30),
                    "date_to": self.today,
                    "company_ids": [Command.set(self.company.ids)],
                }
            )
        )
        self.assertIn('data-kpi="promises_broken_count"', wizard.kpi_html)
        self.assertIn("Customers per follow-up level", wizard.kpi_html)
        book = openpyxl.load_workbook(
            io.BytesIO(self.env["billing.workbook"]._build(self.company, self.today - timedelta(days=30), self.today))
        )
        summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
        self.assertEqual(summary["Promises broken"], 1)
        self.assertEqual(summary["Overdue paused by disputes today"], 1500.0)
        self.assertEqual(summary[self.levels[1].display_name], 1)


@tagged("post_install", "-at_install")
class TestWorklistNetting(BillingDisputeCommon):
    """What arrived nets what is overdue, and work done moves the customer down. Today T; age points per 1,000.

    - Acme Retail: 960 due T-20; a bank line of 960 naming Acme, not reconciled: unapplied 960, To Collect 0:
      paid, not applied yet. Score -2,000 (the bottom).
    - Globex Stores: 855 due T-30; an open credit note of 1,425: credits 1,425, To Collect 0, net credit 570
      (855 - 1,425). Score -2,000.
    - Initech: 1,000 due T-30 (age points 1.00); a posted payment of 400 not applied: To Collect 600, cash points
      -1.00 x 400 / 1,000 = -0.40. Score 0.60.
    - Hooli: 855 due T-30: age points 0.855, rounded 0.86. Score 0.86.
    Order: Hooli, Initech, then the two with nothing to collect (Acme Retail, Globex Stores by name).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        T = cls.today
        cls.initech = cls.env["res.partner"].create({"name": "Initech", "is_company": True})
        cls.hooli = cls.env["res.partner"].create({"name": "Hooli", "is_company": True})
        cls.umbrella = cls.env["res.partner"].create({"name": "Umbrella", "is_company": True})

        def overdue(amount, partner, days):
            return cls._invoice(
                amount,
                partner=partner,
                invoice_date=T - timedelta(days=days + 30),
                invoice_date_due=T - timedelta(days=days),
            )

        cls.acme_inv = overdue(960.0, cls.customer, 20)
        cls.globex_inv = overdue(855.0, cls.other_customer, 30)
        cls.initech_inv = overdue(1000.0, cls.initech, 30)
        cls.hooli_inv = overdue(855.0, cls.hooli, 30)
        cls.globex_refund = cls._invoice(1425.0, partner=cls.other_customer, move_type="out_refund")

    def setUp(self):
        super().setUp()
        self.acme_bank_line = self._bank_line(960.0, "ACME RETAIL PAYMENT", partner=self.customer)
        self.initech_payment = self._payment(400.0, partner=self.initech)

    def _rows(self, user=None):
        self.env.invalidate_all()
        return self.env["billing.worklist"].with_user(user or self.manager).search([])

    def _row(self, partner):
        return self._rows().filtered(lambda row: row.partner_id == partner)

    def _money(self, amount):
        return formatLang(self.env, amount, currency_obj=self.company.currency_id)

    def _figures(self, row):
        return (
            row.overdue_amount,
            row.disputed_amount,
            row.promised_amount,
            row.unapplied_amount,
            row.credit_amount,
            row.followup_amount,
            row.net_credit_amount,
            row.call_status,
        )

    def test_figures_add_up_and_the_order(self):
        rows = self._rows()
        self.assertEqual(
            [row.partner_id for row in rows], [self.hooli, self.initech, self.customer, self.other_customer]
        )
        acme, globex, initech, hooli = (
            self._row(p) for p in (self.customer, self.other_customer, self.initech, self.hooli)
        )
        self.assertEqual(self._figures(acme), (960.0, 0.0, 0.0, 960.0, 0.0, 0.0, 0.0, "paid"))
        self.assertEqual(self._figures(globex), (855.0, 0.0, 0.0, 0.0, 1425.0, 0.0, 570.0, "paid"))
        self.assertEqual(self._figures(initech), (1000.0, 0.0, 0.0, 400.0, 0.0, 600.0, 0.0, "call"))
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 0.0, 0.0, 855.0, 0.0, "call"))
        self.assertEqual((acme.score, acme.points_settled), (-2000.0, -2000.0 - acme.points_age - acme.points_cash))
        self.assertEqual(globex.score, -2000.0)
        self.assertEqual((initech.points_age, initech.points_cash, initech.score), (1.0, -0.4, 0.6))
        self.assertEqual((hooli.points_age, hooli.points_cash, hooli.score), (0.86, 0.0, 0.86))
        for row in rows:  # every part is a column: they add up to the score
            parts = (
                row.points_age
                + row.points_paused
                + row.points_cash
                + row.points_broken
                + row.points_level
                + row.points_action
                + row.points_priority
                + row.points_worked
                + row.points_settled
            )
            self.assertAlmostEqual(parts, row.score, places=2, msg=row.partner_id.name)
        self.assertTrue(acme.reason.startswith("paid, not applied yet: do not call; "), acme.reason)
        self.assertIn(f"{self._money(960.0)} unapplied cash", acme.reason)
        self.assertTrue(globex.reason.startswith("paid, not applied yet: do not call; "), globex.reason)
        self.assertIn(f"{self._money(1425.0)} open credits; net credit of {self._money(570.0)}", globex.reason)
        self.assertNotIn("do not call", initech.reason)
        self.assertIn(f"{self._money(400.0)} unapplied cash", initech.reason)
        # The KPIs take the worklist's To Collect.
        kpis = self.env["billing.collection.report"]._followup_amounts(
            ReportScope.of(self.company, self.today, self.today)
        )
        self.assertEqual(kpis["collection_followup_amount"], 1455.0)  # 600 + 855

    def test_a_partial_bank_line_and_disputes_net_in_order(self):
        """To Collect = overdue - disputed - promised - unapplied - credits: 855 - 300 - 0 - 500 = 55."""
        self._open_case(self.hooli_inv, amount=300.0)
        self._bank_line(500.0, "HOOLI", partner=self.hooli)
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 300.0, 0.0, 500.0, 0.0, 55.0, 0.0, "call"))
        # Age points 0.855 -> 0.86, paused -300 x 1 / 1000 = -0.30; cash covers 500 / 555 of the rest.
        self.assertEqual((hooli.points_age, hooli.points_paused), (0.86, -0.3))
        self.assertAlmostEqual(hooli.points_cash, -0.5, places=2)  # -(0.56 x 500 / 555) = -0.5045
        self._bank_line(55.0, "HOOLI REST", partner=self.hooli)
        hooli = self._row(self.hooli)
        self.assertEqual((hooli.unapplied_amount, hooli.followup_amount, hooli.call_status), (555.0, 0.0, "paid"))

    def test_applied_cash_stops_counting(self):
        """Once the bank line is applied to the invoice, the invoice is paid: the customer leaves the list."""
        self.acme_bank_line._billing_apply([(self.acme_inv.id, 960.0)])
        self.assertFalse(self._row(self.customer))
        self.assertEqual(self.acme_inv.payment_state, "paid")

    def test_a_bank_line_of_a_registered_payment_is_not_counted_twice(self):
        """Hooli's 300 invoice is paid by a registered payment; its bank line, not matched yet, is the same money."""
        invoice = self._invoice(300.0, partner=self.hooli, invoice_date=self.today)
        payment = self._pay(invoice, 300.0)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertFalse(payment.is_matched, "its bank line has not come yet")
        self._bank_line(300.0, "HOOLI", partner=self.hooli)
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 0.0, 0.0, 855.0, 0.0, "call"))
        self._bank_line(500.0, "HOOLI 2", partner=self.hooli)  # beyond the registered payment: it nets
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 500.0, 0.0, 355.0, 0.0, "call"))

    def test_another_customers_cash_never_nets(self):
        self._bank_line(855.0, "HOOLI", partner=self.umbrella)
        self._payment(855.0, partner=self.umbrella)
        self._invoice(855.0, partner=self.umbrella, move_type="out_refund")
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 0.0, 0.0, 855.0, 0.0, "call"))
        self.assertNotIn(self.umbrella, self._rows().partner_id, "nothing overdue: not on the list")

    def test_a_contact_s_cash_nets_for_its_company(self):
        contact = self.env["res.partner"].create({"name": "Hooli AP", "parent_id": self.hooli.id})
        self._bank_line(855.0, "HOOLI AP", partner=contact)
        self.assertEqual(self._row(self.hooli).call_status, "paid")

    def test_another_company_never_counts(self):
        other = self.setup_other_company(name="Worklist Netting Co")
        other_company = other["company"]
        other_bank = other["default_journal_bank"]
        self.env["account.bank.statement.line"].with_company(other_company).create(
            {
                "journal_id": other_bank.id,
                "date": self.today,
                "payment_ref": "HOOLI",
                "amount": 855.0,
                "partner_id": self.hooli.id,
            }
        )
        self.env["account.bank.statement.line"].with_company(other_company).create(
            {
                "journal_id": other_bank.id,
                "date": self.today,
                "payment_ref": "x",
                "amount": 855.0,
                "partner_name": "Hooli",
            }
        )
        refund = (
            self.env["account.move"]
            .with_company(other_company)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.hooli.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [Command.create({"name": "x", "price_unit": 855.0, "tax_ids": []})],
                }
            )
        )
        refund.action_post()
        self.manager.company_ids |= other_company
        rows = (
            self.env["billing.worklist"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, other_company.id])
            .search([("partner_id", "=", self.hooli.id)])
        )
        self.assertEqual(rows.company_id, self.company, "nothing overdue in the other company: no row there")
        self.assertEqual(self._figures(rows), (855.0, 0.0, 0.0, 0.0, 0.0, 855.0, 0.0, "call"))
        self.assertEqual(rows.payer_cash_amount, 0.0)

    def test_a_payer_name_lowers_the_rank_but_does_not_decide(self):
        self._bank_line(855.0, "TRANSFER", partner_name="  HOOLI ")
        self._bank_line(855.0, "TRANSFER", partner_name="Hooli Holdings")  # another name: nothing
        hooli = self._row(self.hooli)
        self.assertEqual(hooli.payer_cash_amount, 855.0)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 0.0, 0.0, 855.0, 0.0, "call"))
        self.assertEqual((hooli.points_cash, hooli.score), (-0.86, 0.0))
        self.assertIn(
            f"{self._money(855.0)} on bank lines from a payer of this name, not confirmed: check Match Payments",
            hooli.reason,
        )
        self.assertNotIn("do not call", hooli.reason)
        self.assertEqual(self._rows().partner_id[:2], self.initech | self.hooli)

    # ------------------------------------------------------------------ work done moves the customer down

    def _call(self, partner, outcome, **vals):
        action = self._row(partner).with_user(self.manager).action_log_call()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"outcome": outcome, **vals})
        )
        wizard.action_apply()
        return wizard

    def test_a_call_moves_the_customer_down_until_due(self):
        self.env["billing.collection"]._for_partners(
            self.hooli | self.initech, self.company
        ).sudo().user_id = self.specialist
        self._call(self.hooli, "reached", note="Pays next week")
        account = self.env["billing.collection"]._for_partners(self.hooli, self.company)
        in_a_week = self.today + timedelta(days=7)
        self.assertEqual(
            (account.next_action_date, account.next_action_note, account.last_call_date),
            (in_a_week, "Follow up the call", self.today),
        )
        hooli = self._row(self.hooli)
        self.assertEqual((hooli.worked, hooli.call_status, hooli.points_worked), (True, "worked", -1000.0))
        self.assertAlmostEqual(hooli.score, 0.86 - 1000.0, places=2)
        self.assertIn("called today", hooli.reason)
        self.assertEqual(
            [row.partner_id for row in self._rows()],
            [self.initech, self.hooli, self.customer, self.other_customer],
            "below every customer not worked, above those with nothing to collect",
        )
        # The next action comes due (a week later): the customer is back, with the next action's points.
        with freeze_time(in_a_week):
            self.env.invalidate_all()
            hooli = self.env["billing.worklist"].with_user(self.manager).search([("partner_id", "=", self.hooli.id)])
            self.assertEqual((hooli.worked, hooli.call_status, hooli.points_worked), (False, "call", 0.0))
            self.assertEqual(hooli.points_action, 50.0)
            self.assertGreater(hooli.score, 50.0)

    def test_a_promise_call_schedules_the_check_after_its_deadline(self):
        T = self.today
        self._invoice(
            500.0, partner=self.initech, invoice_date=T - timedelta(days=40), invoice_date_due=T - timedelta(days=10)
        )
        promised_for = T + timedelta(days=5)
        tolerance = self.company.billing_promise_tolerance_days
        wizard = self._call(
            self.initech,
            "promised",
            promise_date=promised_for,
            promise_amount=1000.0,
            promise_move_ids=[Command.set(self.initech_inv.ids)],
        )
        expected = promised_for + timedelta(days=tolerance + 1)
        self.assertEqual((wizard.next_action_date, wizard.next_action_note), (expected, "Check the promised payment"))
        account = self.env["billing.collection"]._for_partners(self.initech, self.company)
        self.assertEqual(account.next_action_date, expected)
        initech = self._row(self.initech)
        # 1,500 overdue - 1,000 promised (the invoice under promise) - 400 unapplied = 100 still to collect; worked.
        self.assertEqual(self._figures(initech), (1500.0, 0.0, 1000.0, 400.0, 0.0, 100.0, 0.0, "worked"))
        self.assertEqual(self._rows()[0].partner_id, self.hooli)

    def test_the_next_action_of_a_call(self):
        collection = self.env["billing.collection"]._for_partners(self.hooli, self.company)
        Call = self.env["billing.collection.call"].with_user(self.manager)
        T = self.today
        expected = {
            "no_answer": (T + timedelta(days=1), "Call again"),
            "wrong_contact": (T + timedelta(days=1), "Find the right contact"),
            "reached": (T + timedelta(days=7), "Follow up the call"),
            "disputes": (T + timedelta(days=7), "Check the dispute"),
            "promised": (False, False),  # no date promised yet
        }
        for outcome, (date, note) in expected.items():
            with self.subTest(outcome=outcome):
                wizard = Call.new({"collection_id": collection.id, "outcome": outcome})
                self.assertEqual((wizard.next_action_date, wizard.next_action_note), (date, note))
        # A date given is kept; cleared, the outcome's date is used when the call is logged.
        Call.create(
            {
                "collection_id": collection.id,
                "outcome": "reached",
                "next_action_date": T + timedelta(days=2),
                "next_action_note": "Send the copy",
            }
        ).action_apply()
        self.assertEqual(
            (collection.next_action_date, collection.next_action_note), (T + timedelta(days=2), "Send the copy")
        )
        Call.create(
            {"collection_id": collection.id, "outcome": "reached", "next_action_date": False, "next_action_note": False}
        ).action_apply()
        self.assertEqual(
            (collection.next_action_date, collection.next_action_note), (T + timedelta(days=7), "Follow up the call")
        )
        with self.assertRaises(UserError):
            Call.create(
                {"collection_id": collection.id, "outcome": "reached", "next_action_date": T - timedelta(days=1)}
            ).action_apply()


@tagged("post_install", "-at_install")
class TestWorklistNettingIsNotFooled(BillingDisputeCommon):
    """The worklist's netting attacked: payer names made to look like a customer's, bank lines of another company, of
    another customer's contact, reconciled, huge or negative; today in a timezone far from UTC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        T = cls.today
        cls.hooli = cls.env["res.partner"].create({"name": "Hooli", "is_company": True})
        cls.hooli_inv = cls._invoice(
            855.0, partner=cls.hooli, invoice_date=T - timedelta(days=60), invoice_date_due=T - timedelta(days=30)
        )
        cls.globex_inv = cls._invoice(
            500.0,
            partner=cls.other_customer,
            invoice_date=T - timedelta(days=60),
            invoice_date_due=T - timedelta(days=30),
        )

    def _row(self, partner, user=None):
        self.env.invalidate_all()
        return self.env["billing.worklist"].with_user(user or self.manager).search([("partner_id", "=", partner.id)])

    def _figures(self, row):
        return (row.overdue_amount, row.unapplied_amount, row.credit_amount, row.followup_amount, row.call_status)

    def test_look_alike_payer_names_never_change_to_collect(self):
        """Bank lines naming no customer, from payers whose names look like Hooli's or Globex's: accents, case,
        spaces, invisible characters, look-alike letters and dashes. Huge amounts. None may net To Collect nor
        make a customer "paid"."""
        huge = 10.0**12
        names = [
            "HOOLI",
            "  hooli  ",
            "Hoolí",
            "Hooli\u200b",
            "\u200bHooli",
            "Hooli\u00a0",
            "Ho\u043eli",  # Cyrillic o
            "H\u2013ooli",
            "Globex Stores",
            "GLOBEX\u2011STORES",
            "Globex\u00a0Stores",
            "globex  stores",
            "Globex Stores; DROP TABLE res_partner; --",
            "%",
            "_ooli",
            "Hooli%",
        ]
        for name in names:
            self._bank_line(huge, "TRANSFER", partner_name=name)
        hooli, globex = self._row(self.hooli), self._row(self.other_customer)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 855.0, "call"))
        self.assertEqual(self._figures(globex), (500.0, 0.0, 0.0, 500.0, "call"))
        for row in (hooli, globex):
            self.assertEqual(row.net_credit_amount, 0.0)
            self.assertNotIn("do not call", row.reason)
            self.assertTrue(-1000.0 <= row.score < 10.0**6, row.score)  # only lowered, never below a worked row
        # Only the names equal to the customer's (case and spaces aside) are shown as cash by payer name.
        self.assertEqual(hooli.payer_cash_amount, 2 * huge)  # "HOOLI", "  hooli  "
        self.assertEqual(globex.payer_cash_amount, huge)  # "Globex Stores" (not "globex  stores")

    def test_a_contact_named_like_another_customer_nets_for_its_own_company_only(self):
        """A contact of Globex named "Hooli": its bank line is Globex's cash, never Hooli's."""
        impostor = self.env["res.partner"].create({"name": "Hooli", "parent_id": self.other_customer.id})
        self._bank_line(855.0, "HOOLI", partner=impostor, partner_name="Hooli")
        self.assertEqual(self._figures(self._row(self.hooli)), (855.0, 0.0, 0.0, 855.0, "call"))
        globex = self._row(self.other_customer)
        self.assertEqual(self._figures(globex), (500.0, 855.0, 0.0, 0.0, "paid"))
        self.assertEqual(globex.net_credit_amount, 355.0)

    def test_another_company_s_bank_line_of_the_customer_never_counts(self):
        other = self.setup_other_company(name="Attack 9 Worklist Co")
        self.env["account.bank.statement.line"].with_company(other["company"]).create(
            {
                "journal_id": other["default_journal_bank"].id,
                "date": self.today,
                "payment_ref": "HOOLI",
                "amount": 855.0,
                "partner_id": self.hooli.id,
                "partner_name": "Hooli",
            }
        )
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 855.0, "call"))
        self.assertEqual(hooli.payer_cash_amount, 0.0)

    def test_reconciled_negative_and_huge_bank_lines(self):
        # Reconciled with an invoice not due yet: that money is applied, nothing left to net.
        not_due = self._invoice(300.0, partner=self.hooli, invoice_date=self.today)
        applied = self._bank_line(300.0, "HOOLI", partner=self.hooli)
        applied._billing_apply([(not_due.id, 300.0)])
        self.assertTrue(applied.is_reconciled)
        # Money going out to Hooli is not cash from Hooli.
        self._bank_line(-5000.0, "REFUND", partner=self.hooli)
        self.assertEqual(self._figures(self._row(self.hooli)), (855.0, 0.0, 0.0, 855.0, "call"))
        # A huge line naming Hooli nets everything: nothing to collect, a net credit, and finite figures.
        self._bank_line(10.0**12, "HOOLI", partner=self.hooli)
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 10.0**12, 0.0, 0.0, "paid"))
        self.assertEqual((hooli.net_credit_amount, hooli.score), (10.0**12 - 855.0, -2000.0))

    def test_outsiders_read_no_row_and_cannot_act(self):
        self._bank_line(855.0, "HOOLI", partner=self.hooli)
        row = self._row(self.hooli)
        for user in (self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                self.env["billing.worklist"].with_user(user).search_read([], ["followup_amount"])
            with self.assertRaises(AccessError):
                row.with_user(user).action_log_call()

    def test_today_is_the_user_s_far_from_utc(self):
        """23:30 UTC on the 10th: it is the 11th in Kiritimati (UTC+14), still the 10th in UTC and Pago Pago. An
        invoice due on the 10th is overdue for the Kiritimati manager only."""
        with freeze_time(datetime(2026, 3, 10, 23, 30)):
            customer = self.env["res.partner"].create({"name": "Attack 9 Timezone", "is_company": True})
            self._invoice(
                100.0,
                partner=customer,
                invoice_date=fields.Date.to_date("2026-02-08"),
                invoice_date_due=fields.Date.to_date("2026-03-10"),
            )
            self._bank_line(40.0, "TZ", partner=customer, date=fields.Date.to_date("2026-03-10"))
            east = self.manager
            east.tz = "Pacific/Kiritimati"
            west = new_test_user(
                self.env,
                login="bs_attack9_west",
                groups="base.group_user,billing_specialist.group_billing_manager",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
                tz="Pacific/Pago_Pago",
            )
            row = self._row(customer, user=east)
            self.assertEqual((row.max_days_overdue, row.followup_amount, row.unapplied_amount), (1, 60.0, 40.0))
            self.assertFalse(self._row(customer, user=west))
            east.tz = "UTC"
            self.assertFalse(self._row(customer, user=east))


@tagged("post_install", "-at_install")
class TestCollectionAccountContextDefaults(BillingDisputeCommon):
    """``default_<field>`` keys a client sends with ``create`` never set a collection account's levels or portfolio."""

    def test_collection_context_defaults_cannot_set_levels_or_portfolio(self):
        env = self.env(
            user=self.specialist,
            context={"default_level_bump": 3, "default_broken_promise_count": 0, "default_user_id": self.specialist.id},
        )
        account = env["billing.collection"].create({"partner_id": self.customer.id})
        self.assertEqual(account.level_bump, 0)
        self.assertFalse(account.user_id, "a specialist does not give himself customers")
        manager_env = self.env(user=self.manager, context={"default_user_id": self.specialist.id})
        other = manager_env["billing.collection"].create({"partner_id": self.other_customer.id})
        self.assertEqual(other.user_id, self.specialist, "a billing manager assigns")
