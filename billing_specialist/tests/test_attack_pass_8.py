"""Attack pass 8: billing runs that record a blocked invoice's findings, the collector's customer screen, Team
Workload, and Odoo's today in the reports, tried as an outsider, a customer and a billing specialist would."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from ..exceptions import BillingCheckBlocked
from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .common import BillingDisputeCommon, CommittedFixtureCase

# 23:00 UTC: already the next day in Auckland (UTC+13 in December).
LATE_UTC = datetime(2026, 12, 7, 23, 0)
UTC_DAY = LATE_UTC.date()
AUCKLAND_DAY = UTC_DAY + timedelta(days=1)


@tagged("post_install", "-at_install")
class TestAttackPass8(BillingDisputeCommon):
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
        Check = cls.env["billing.invoice.check"]
        Check._ensure_for_companies(cls.company)
        Check.search([("company_id", "=", cls.company.id), ("code", "=", "po_required")]).mode = "block"
        cls.po_customer = cls.env["res.partner"].create(
            {"name": "PO Needed Inc", "is_company": True, "email": "ap@po.example.com", "billing_po_required": True}
        )

    def _blocked_draft(self):
        return self._invoice(100.0, partner=self.po_customer, post=False)

    # ------------------------------------------------------------------ client-set context keys

    def test_findings_marker_sent_as_json_is_not_the_marker(self):
        """JSON carries true, a string or a dict, never the Python marker: the post is still refused and the findings
        still go the refused post's own way."""
        move = self._blocked_draft()
        for value in (True, "1", {"keep": True}, ["x"]):
            with self.subTest(value=value), self.assertRaises(BillingCheckBlocked):
                move.with_user(self.specialist).with_context(billing_caller_keeps_findings=value).action_post()
            self.assertEqual(move.state, "draft")

    def test_override_sent_as_json_does_not_post(self):
        move = self._blocked_draft()
        override = {"reason": "the customer said so", "uid": self.manager.id}
        for user in (self.specialist, self.manager):
            with self.subTest(user=user.login), self.assertRaises(BillingCheckBlocked):
                move.with_user(user).with_context(billing_check_override=override).action_post()
        self.assertEqual(move.state, "draft")
        self.assertFalse(move.billing_check_result_ids.filtered(lambda r: r.state == "overridden"))

    def test_billing_run_with_client_markers_still_records_the_block(self):
        """A run started with the markers in its context (as a client could send them) records the block as usual."""
        blocked, clean = self._blocked_draft(), self._invoice(100.0, post=False)
        env = self.env(user=self.specialist)
        run = env["billing.invoice.run"]._create_for_invoices((blocked | clean).with_env(env))
        run.with_context(
            billing_caller_keeps_findings=True, billing_check_override={"reason": "x", "uid": self.specialist.id}
        ).action_run()
        outcomes = {line.move_id: line.outcome for line in run.line_ids}
        self.assertEqual(outcomes, {blocked: "blocked", clean: "posted_sent"})
        self.assertEqual(blocked.state, "draft")
        self.assertEqual(blocked.billing_check_state, "block")

    # ------------------------------------------------------------------ runs and companies

    def test_run_refuses_an_invoice_of_another_company(self):
        company_2 = self.setup_other_company()["company"]
        self.specialist.company_ids |= company_2
        other = (
            self.env["account.move"]
            .with_company(company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 90.0})],
                }
            )
        )
        mine = self._invoice(100.0, post=False)
        env = self.env(user=self.specialist, context={"allowed_company_ids": [self.company.id, company_2.id]})
        run = env["billing.invoice.run"].create({"company_id": self.company.id})
        with self.assertRaisesRegex(UserError, "another company"):
            run._create_for_invoices((mine | other).with_env(env))
        with self.assertRaisesRegex(UserError, "another company"):
            run._add_invoices(other.with_env(env))
        # Lines written by hand over RPC: the specialist creates no run line.
        with self.assertRaises(AccessError):
            run.write({"line_ids": [Command.create({"move_id": other.id})]})
        with self.assertRaises(AccessError):
            env["billing.invoice.run.line"].create({"run_id": run.id, "move_id": other.id})
        self.assertFalse(run.line_ids)
        self.assertEqual(other.state, "draft")

    def test_run_of_a_company_the_user_is_not_in(self):
        company_2 = self.setup_other_company()["company"]
        env = self.env(user=self.specialist)
        with self.assertRaises(AccessError):
            env["billing.invoice.run"].with_context(allowed_company_ids=[company_2.id]).create(
                {"company_id": company_2.id}
            )

    def test_run_counts_and_outcomes_are_not_written_over_rpc(self):
        run = self.env(user=self.specialist)["billing.invoice.run"]._create_for_invoices(
            self._invoice(100.0, post=False).with_user(self.specialist)
        )
        for vals in ({"blocked_count": -1}, {"invoice_count": 10**12}, {"state": "done"}, {"sent_count": 1}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                run.write(vals)
        with self.assertRaises(AccessError):
            run.line_ids.write({"outcome": "posted_sent"})

    # ------------------------------------------------------------------ the customer screen

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

    # ------------------------------------------------------------------ Team Workload

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

    # ------------------------------------------------------------------ Odoo's today in the user's timezone

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
class TestAttackPass8Committed(CommittedFixtureCase):
    """Two clicks on Run of the same billing run at once, on committed data: one runs, the other is refused; every
    invoice posted and sent once."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            partner = env["res.partner"].create(
                {"name": "Attack 8 Two Clicks", "is_company": True, "email": "ap@twoclicks.example.com"}
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.context_today(env.user),
                        "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 10.0, "tax_ids": []})],
                    }
                    for _i in range(2)
                ]
            )
            self.partner_id, self.move_ids = partner.id, moves.ids
            self.run_id = env["billing.invoice.run"]._create_for_invoices(moves).id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            run = env["billing.invoice.run"].browse(self.run_id)
            run.sudo().write({"state": "done"})
            run.unlink()
            moves = env["account.move"].browse(self.move_ids)
            moves.filtered(lambda move: move.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def test_two_clicks_on_run_at_once(self):
        with self.registry.cursor() as cr_first, self.registry.cursor() as cr_second:
            first = api.Environment(cr_first, 1, {})["billing.invoice.run"].browse(self.run_id)
            second = api.Environment(cr_second, 1, {})["billing.invoice.run"].browse(self.run_id)
            second.line_ids.mapped("outcome")  # the second request has read the run: its snapshot is taken
            first.action_run()  # holds the run's row until it commits
            with self.assertRaisesRegex(UserError, "being processed"):
                second.action_run()
            cr_second.rollback()
        with self.committed_env() as env:
            run = env["billing.invoice.run"].browse(self.run_id)
            self.assertEqual(run.state, "done")
            self.assertEqual(set(run.line_ids.mapped("outcome")), {"posted_sent"})
            sent = env["mail.message"].search_count(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "in", self.move_ids),
                    ("message_type", "=", "comment"),
                    ("partner_ids", "!=", False),
                ]
            )
            self.assertEqual(sent, 2, "each invoice e-mailed once")
            # A third click once the first is committed: nothing left to do.
        with self.registry.cursor() as cr:
            with self.assertRaisesRegex(UserError, "nothing left"):
                api.Environment(cr, 1, {})["billing.invoice.run"].browse(self.run_id).action_run()


@tagged("post_install", "-at_install")
class TestAttackPass8Rpc(BillingDisputeCommon, HttpCase):
    """The same attacks as a client sends them: JSON-RPC calls in the attacker's own session."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Check = cls.env["billing.invoice.check"]
        Check._ensure_for_companies(cls.company)
        Check.search([("company_id", "=", cls.company.id), ("code", "=", "po_required")]).mode = "block"
        cls.po_customer = cls.env["res.partner"].create(
            {"name": "PO Needed RPC", "is_company": True, "email": "ap@porpc.example.com", "billing_po_required": True}
        )
        cls.account = cls.env["billing.collection"]._for_partners(cls.customer, cls.company)
        cls.account.sudo().user_id = cls.manager  # another specialist's customer

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def test_markers_sent_over_json_rpc_do_not_post(self):
        move = self._invoice(100.0, partner=self.po_customer, post=False)
        self.authenticate(self.specialist.login, self.specialist.login)
        context = {
            "billing_caller_keeps_findings": {"keep": True},
            "billing_check_override": {"reason": "the customer said so", "uid": self.manager.id},
        }
        with self.assertRaisesRegex(JsonRpcException, "BillingCheckBlocked"):
            self._call("account.move", "action_post", [move.ids], {"context": context})
        self.assertEqual(move.state, "draft")

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


@tagged("post_install", "-at_install")
class TestAttackPass8Runs(BillingDisputeCommon):
    """Billing runs whose invoices change between the selection and the post, or between two Runs."""

    def test_invoice_moved_to_another_company_after_selection(self):
        """A draft selected in a run of company A, then moved to company B's journal: the run does not post it."""
        company_2 = self.setup_other_company()["company"]
        self.specialist.company_ids |= company_2
        env = self.env(user=self.specialist, context={"allowed_company_ids": [self.company.id, company_2.id]})
        move = self._invoice(100.0, post=False).with_env(env)
        run = env["billing.invoice.run"]._create_for_invoices(move)
        journal_2 = self.env["account.journal"].search([("company_id", "=", company_2.id), ("type", "=", "sale")])[:1]
        move.write({"journal_id": journal_2.id})
        self.assertEqual(move.company_id, company_2)
        run.action_run()
        self.assertEqual(move.state, "draft", "a run of company A posted company B's invoice")
        self.assertEqual(run.line_ids.outcome, "failed")
        self.assertIn("another company", run.line_ids.message)
        self.assertNotIn(company_2.name, run.line_ids.message)
        # Moved back, a rerun posts it.
        move.write({"journal_id": self.company_data["default_journal_sale"].id})
        run.action_run()
        self.assertEqual((move.state, run.line_ids.outcome), ("posted", "posted_sent"))

    def test_blocked_invoice_fixed_between_two_runs(self):
        """Blocked on the first Run, fixed, posted on the second: the line and the invoice no longer show the block."""
        Check = self.env["billing.invoice.check"]
        Check._ensure_for_companies(self.company)
        Check.search([("company_id", "=", self.company.id), ("code", "=", "po_required")]).mode = "block"
        self.customer.write({"billing_po_required": True, "email": "ap@acme.example.com"})
        move = self._invoice(100.0, post=False)
        env = self.env(user=self.specialist)
        run = env["billing.invoice.run"]._create_for_invoices(move.with_env(env))
        run.action_run()
        self.assertEqual((run.line_ids.outcome, run.line_ids.check_codes), ("blocked", "po_required"))
        self.assertEqual(move.billing_check_state, "block")
        move.ref = "PO-8"
        run.action_run()
        line = run.line_ids
        self.assertEqual((move.state, line.outcome, run.blocked_count), ("posted", "posted_sent", 0))
        self.assertFalse(line.check_codes, "a posted invoice's line still names the check that blocked it once")
        self.assertFalse(line.check_names)
        self.assertNotEqual(move.billing_check_state, "block")

    def test_post_of_another_companys_blocked_draft_is_refused_before_its_checks(self):
        """A specialist of company A posting company B's blocked draft by id: refused for access, before any check
        runs (so no finding is kept on an invoice he may not read)."""
        company_2 = self.setup_other_company()["company"]
        Check = self.env["billing.invoice.check"]
        Check._ensure_for_companies(company_2)
        Check.search([("company_id", "=", company_2.id), ("code", "=", "po_required")]).mode = "block"
        self.other_customer.billing_po_required = True
        move = (
            self.env["account.move"]
            .with_company(company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.other_customer.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 90.0})],
                }
            )
        )
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.specialist).browse(move.id).action_post()
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.specialist).browse(move.id).action_billing_run_checks()
        self.assertFalse(self.env["billing.invoice.check.result"].sudo().search([("move_id", "=", move.id)]))
        self.assertEqual(move.state, "draft")

    def test_background_run_of_a_user_who_lost_the_billing_role_does_not_stop_the_others(self):
        """Two runs queued for the background: the first started by a specialist who lost the billing role since.
        The scheduled action leaves his run (processed with his rights, it cannot be) and still does the other."""
        leaver = new_test_user(
            self.env,
            login="bs_leaver_8",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.customer.email = "ap@acme.example.com"
        Run = self.env["billing.invoice.run"]
        runs = Run.browse()
        for user in (leaver, self.specialist):
            env = self.env(user=user)
            run = env["billing.invoice.run"]._create_for_invoices(self._invoice(100.0, post=False).with_env(env))
            run.sudo().write({"state": "running", "started_uid": user.id})
            runs |= run
        leaver.groups_id = [Command.unlink(self.env.ref("billing_specialist.group_billing_user").id)]
        Run._cron_process()
        self.assertEqual(runs.mapped("state"), ["running", "done"])
        self.assertEqual(runs[1].line_ids.outcome, "posted_sent")
        self.assertEqual(runs[0].line_ids.move_id.state, "draft")

    def test_chunk_of_a_user_who_lost_the_billing_role_does_not_stop_the_chunk_cron(self):
        """A chunked billing run started by a specialist who lost the billing role since: the chunk cron marks its
        chunk failed (with why) and tells the managers; a second large run of the company waits (one at a time,
        issue 21) until a billing manager cancels the rest of the first; then it goes."""
        self.env["ir.config_parameter"].sudo().set_param(CHUNK_SIZE_PARAM, "1")
        leaver = new_test_user(
            self.env,
            login="bs_leaver_8c",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.customer.email = "ap@acme.example.com"
        runs = self.env["billing.invoice.run"]
        for user in (leaver, self.specialist):
            env = self.env(user=user)
            drafts = self._invoice(100.0, post=False) | self._invoice(110.0, post=False)
            runs |= env["billing.invoice.run"]._create_for_invoices(drafts.with_env(env))
        runs[0].with_user(leaver).action_run()
        with self.assertRaisesRegex(UserError, "Another large billing run"):
            runs[1].with_user(self.specialist).action_run()
        self.assertTrue(runs[0].chunk_ids)
        leaver.groups_id = [Command.unlink(self.env.ref("billing_specialist.group_billing_user").id)]
        Chunk = self.env["billing.run.chunk"]
        for _call in range(10):
            if not Chunk._billing_next():
                break
            Chunk._cron_process()
        self.assertIn("failed", runs[0].chunk_ids.mapped("state"))
        self.assertIn(self.manager.partner_id, runs[0].message_ids.partner_ids, "the managers are told")
        self.assertEqual(set(runs[0].line_ids.move_id.mapped("state")), {"draft"})
        runs[0].with_user(self.manager).action_billing_cancel_rest()
        self.assertEqual(runs[0].state, "cancelled")
        runs[1].with_user(self.specialist).action_run()
        for _call in range(10):
            if not Chunk._billing_next():
                break
            Chunk._cron_process()
        self.assertEqual(runs[1].state, "done")
        self.assertEqual(set(runs[1].line_ids.mapped("outcome")), {"posted_sent"})

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
