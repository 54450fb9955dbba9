"""Attack pass on issues 11 (collections) and 12 (pre-send checks, billing runs): each test replays an attack
through the entry point a client has (ORM with the attacker's user, as JSON-RPC's call_kw runs it, or HTTP) and
proves it is refused or ignored with nothing written."""

from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestAttackPass3(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.billing_promise_tolerance_days = 3
        cls.company.billing_portal_promise_max_days = 30
        # Small promises judged here (the minimum share: test_promise_limits.py).
        cls.company.billing_portal_promise_min_percent = 10
        cls.invoice = cls._invoice(1000.0)
        cls.env["billing.followup.level"]._seed_ladder(cls.company)
        cls.levels = cls.env["billing.followup.level"].search([("company_id", "=", cls.company.id)])

    def _overdue(self, days, amount=100.0):
        date = self.today - timedelta(days=days)
        return self._invoice(amount, invoice_date=date, invoice_date_due=date, invoice_payment_term_id=False)

    def _promise_vals(self, **vals):
        return {
            "partner_id": self.customer.id,
            "move_ids": [Command.set(self.invoice.ids)],
            "amount": 400.0,
            "date": self.today + timedelta(days=2),
            **vals,
        }

    # ------------------------------------------------------------------ client-sent default_* keys

    def test_promise_context_defaults_cannot_set_protected_fields(self):
        """``default_state=kept`` (and the paid amount, judge date, recorder) in the context of a create: the ORM
        filled them after the create's guard, so a specialist recorded a promise already kept (KPIs, no judging)."""
        env = self.env(user=self.specialist)
        promise = (
            env["billing.promise"]
            .with_context(
                default_state="kept",
                default_amount_paid=400.0,
                default_user_id=self.manager.id,
                default_date_judged=str(self.today),
                default_date_deadline=str(self.today + timedelta(days=900)),
            )
            .create(self._promise_vals())
        )
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.amount_paid, 0.0)
        self.assertFalse(promise.date_judged)
        self.assertEqual(promise.user_id, self.specialist)
        self.assertEqual(promise.date_deadline, self.today + timedelta(days=5))

    def test_promise_deadline_cannot_be_written(self):
        """The deadline (date + tolerance of at most 90 days) written directly: the covered invoices left the
        follow-ups for years, past the company's limits."""
        promise = self.env(user=self.specialist)["billing.promise"].create(self._promise_vals())
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            promise.write({"date_deadline": self.today + timedelta(days=900)})
        promise.invalidate_recordset()
        self.assertEqual(promise.date_deadline, self.today + timedelta(days=5))

    def test_invoice_context_default_cannot_set_followup_level(self):
        """An invoicing user creates an invoice with ``default_billing_followup_level_id`` = the last level: the run
        would never remind it at the lower levels (never the same level twice)."""
        env = self.env(user=self.internal_user)
        move = (
            env["account.move"]
            .with_context(
                default_move_type="out_invoice",
                default_billing_followup_level_id=self.levels[-1].id,
                default_billing_followup_date=str(self.today),
            )
            .create({"partner_id": self.customer.id})
        )
        self.assertEqual(move.move_type, "out_invoice", "ordinary defaults still apply")
        self.assertFalse(move.billing_followup_level_id)
        self.assertFalse(move.billing_followup_date)

    # ------------------------------------------------------------------ billing runs: state on create

    def test_run_created_done_or_started_by_someone_else_is_refused(self):
        """``create`` did not guard what ``write`` guards: a run created done (never processed) or 'started' by a
        manager (the scheduled action processes it with the manager's rights), with fake counts."""
        Run = self.env(user=self.specialist)["billing.invoice.run"]
        before = self._count("billing.invoice.run")
        for vals in (
            {"state": "done"},
            {"state": "running", "started_uid": self.manager.id},
            {"sent_count": 7},
            {"date_done": "2026-01-01 00:00:00"},
        ):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                Run.create({"due_today": True, **vals})
        self.assertEqual(self._count("billing.invoice.run"), before)
        run = Run.with_context(default_state="done", default_started_uid=self.manager.id).create({"due_today": True})
        self.assertEqual(run.state, "draft")
        self.assertFalse(run.started_uid)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            run.write({"sent_count": 7})

    def test_run_owner_must_be_an_internal_user_of_the_company(self):
        """The owner gets the run's summary with the batch PDF of every customer's letters attached: a portal user
        (a customer) as owner received other customers' invoices."""
        Run = self.env(user=self.specialist)["billing.invoice.run"]
        before = self._count("billing.invoice.run")
        with self.assertRaisesRegex(ValidationError, "internal user"), self.env.cr.savepoint():
            Run.create({"due_today": True, "user_id": self.portal_user.id})
        self.assertEqual(self._count("billing.invoice.run"), before)
        run = Run.create({"due_today": True})
        with self.assertRaisesRegex(ValidationError, "internal user"), self.env.cr.savepoint():
            run.write({"user_id": self.portal_user.id})
        self.assertEqual(run.user_id, self.specialist)

    def test_call_wizard_refuses_nan_or_infinite_promise_amount(self):
        """NaN or Infinity as the promised amount of a logged call crashed in the rounding (a server error, no
        message): refused with a clear message, nothing written."""
        collection = self.env["billing.collection"]._for_partners(self.customer, self.company)
        invoice = self._overdue(10, 500.0)
        Call = self.env(user=self.specialist)["billing.collection.call"]
        vals = {
            "collection_id": collection.id,
            "outcome": "promised",
            "promise_date": str(self.today),
            "promise_move_ids": [Command.set(invoice.ids)],
        }
        before = self._count("billing.promise")
        for value in (float("nan"), float("inf")):
            with self.assertRaisesRegex(UserError, "must be a number"), self.env.cr.savepoint():
                Call.create({**vals, "promise_amount": value}).action_apply()
            wizard = Call.create(vals)
            with self.assertRaisesRegex(UserError, "must be a number"), self.env.cr.savepoint():
                wizard.write({"promise_amount": value})
                wizard.action_apply()
        self.assertEqual(self._count("billing.promise"), before)


@tagged("post_install", "-at_install")
class TestPortalPromiseConcurrency(BaseCase):
    """Two portal promises on one invoice in real, concurrent transactions (a double click, two tabs): the second
    must not add a second open promise. The fixture is committed and removed afterwards."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            self.company_id = company.id
            self.max_days = company.billing_portal_promise_max_days
            company.billing_portal_promise_max_days = 30
            partner = env["res.partner"].create({"name": "Racing Promiser", "is_company": True})
            env["billing.collection"]._for_partners(partner, company)
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            self.ids = {"partner": partner.id, "invoice": invoice.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["billing.promise"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            invoice = env["account.move"].browse(self.ids["invoice"])
            invoice.button_draft()
            invoice.unlink()
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env["res.company"].browse(self.company_id).billing_portal_promise_max_days = self.max_days

    def _promise(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        invoice = env["account.move"].browse(self.ids["invoice"])
        date = fields.Date.today() + timedelta(days=5)
        return env["billing.promise"]._portal_create(invoice, invoice.partner_id, date, 50.0)

    def _open_count(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["billing.promise"].search_count([("partner_id", "=", self.ids["partner"]), ("state", "=", "open")])

    def test_second_portal_promise_waits_then_sees_the_first(self):
        with self.registry.cursor() as first, self.registry.cursor() as late:
            self.assertEqual(self._open_count(late), 0)  # a request that started before the first promise
            self._promise(first)
            first.commit()
            late_env = api.Environment(late, SUPERUSER_ID, {})
            with self.assertRaisesRegex(UserError, "already promised|already have an open promise"):
                retrying(lambda: self._promise(late), late_env)
            late.rollback()
        with self.registry.cursor() as cr:
            self.assertEqual(self._open_count(cr), 1)


@tagged("post_install", "-at_install")
class TestContextDefaultsOnCasesAndAccounts(BillingDisputeCommon):
    """``default_<field>`` keys a client sends with ``create`` never set what the application alone sets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(1000.0)

    def test_case_context_defaults_cannot_mark_portal_close_or_set_amounts(self):
        resolved = self.env.ref("billing_specialist.stage_resolved")
        for key, value in (("default_channel", "portal"), ("default_stage_id", resolved.id)):
            before = self._count("billing.dispute")
            env = self.env(user=self.specialist, context={key: value})
            with self.subTest(key=key), self.assertRaises(UserError):
                env["billing.dispute"].create(
                    {
                        "partner_id": self.customer.id,
                        "reason_id": self.reason_pricing.id,
                        "line_ids": [Command.create({"move_id": self.invoice.id, "amount_disputed": 100.0})],
                    }
                )
            self.assertEqual(self._count("billing.dispute"), before)
        env = self.env(user=self.specialist, context={"default_amount_credited": 900.0, "default_sla_breached": True})
        case = env["billing.dispute"].create(
            {
                "partner_id": self.customer.id,
                "reason_id": self.reason_pricing.id,
                "line_ids": [Command.create({"move_id": self.invoice.id, "amount_disputed": 100.0})],
            }
        )
        self.assertEqual(case.amount_credited, 0.0)
        self.assertFalse(case.sla_breached)
        line_env = self.env(user=self.specialist, context={"default_amount_written_off": 50.0})
        line = line_env["billing.dispute.line"].create(
            {"dispute_id": case.id, "move_id": self._invoice(200.0).id, "amount_disputed": 10.0}
        )
        self.assertEqual(line.amount_written_off, 0.0)

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
