"""Scheduled actions meeting another transaction on committed data (docs/CONCURRENCY.md, rows 9, 10 and 28)."""

from datetime import timedelta

import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.billing_dispute_stage import OPEN_STATES
from .common import CommittedFixtureCase

FOLLOWUP_LOGGER = "odoo.addons.billing_specialist.models.billing_followup_run"
PROMISE_LOGGER = "odoo.addons.billing_specialist.models.billing_promise"


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {})


def _overdue_invoice(env, partner, days_overdue, amount=100.0):
    today = fields.Date.context_today(env.user)
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": today - timedelta(days=days_overdue + 30),
            "invoice_date_due": today - timedelta(days=days_overdue),
            "invoice_payment_term_id": False,
            "invoice_line_ids": [Command.create({"name": "Service", "price_unit": amount, "tax_ids": []})],
        }
    )
    invoice.action_post()
    return invoice


def _skip_unless_alone(case, env, model, domain, what):
    """These tests commit a scheduled action's work over the whole database: on one holding other records in its
    scope (demo data), they would chase, judge or escalate those for real. Skipped there, saying why."""
    if env[model].with_context(active_test=False).search_count(domain, limit=1):
        case.skipTest(f"the database holds other {what}: the scheduled action would commit its work on them")


def _drop_invoices(invoices):
    for invoice in invoices.exists():
        invoice.button_draft()
        invoice.unlink()


@tagged("post_install", "-at_install")
class TestFollowupCronConcurrency(CommittedFixtureCase):
    """Row 9: the daily follow-up run meets, in one company, a row another transaction committed after its snapshot.
    That company is skipped and logged, nothing of its run kept; the other company's run is done and committed; the
    next call runs the skipped company once."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            _skip_unless_alone(
                self,
                env,
                "account.move",
                [
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                "open customer invoices",
            )
            main = env.company
            partner = env["res.partner"].create(
                {"name": "Cron Follow-up Customer", "is_company": True, "email": "ap@cron-followup.example.com"}
            )
            invoice = _overdue_invoice(env, partner, 10)
            env["billing.collection"].search([("partner_id", "=", partner.id)]).unlink()
            other = env["res.company"].create({"name": "Cron Follow-up Second Co", "sequence": 10000})
            self.assertGreater(other.sequence, main.sequence, "the main company runs first")
            self.ids = {"main": main.id, "other": other.id, "partner": partner.id, "invoice": invoice.id}
            self.runs_before = env["billing.followup.run"].search([]).ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            runs = env["billing.followup.run"].search([("id", "not in", self.runs_before)])
            env["mail.mail"].search([("billing_followup_line_id", "in", runs.line_ids.ids)]).unlink()
            runs.line_ids.unlink()
            runs.unlink()
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            _drop_invoices(env["account.move"].browse(self.ids["invoice"]))
            env["res.partner"].browse(self.ids["partner"]).unlink()
        with self.committed_env() as env:
            other = env["res.company"].browse(self.ids["other"])
            env["billing.followup.level"].with_context(active_test=False).search(
                [("company_id", "=", other.id)]
            ).unlink()
            env["billing.invoice.check"].with_context(active_test=False).search(
                [("company_id", "=", other.id)]
            ).unlink()
            aliases = other.billing_dispute_alias_id | other.billing_remittance_alias_id
            partner = other.partner_id
            other.unlink()
            aliases.unlink()
            partner.unlink()

    def _runs(self, env, company):
        return env["billing.followup.run"].search(
            [("id", "not in", self.runs_before), ("company_id", "=", self.ids[company])]
        )

    def _mails(self, env):
        return env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "=", self.ids["partner"])])

    def test_company_meeting_a_concurrent_update_is_skipped_and_the_other_runs(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT 1")  # the cron's snapshot
            with self.committed_env() as other:  # a user opens the customer's collection account meanwhile
                other["billing.collection"]._for_partners(
                    other["res.partner"].browse(self.ids["partner"]), other["res.company"].browse(self.ids["main"])
                )
            with self.assertLogs(FOLLOWUP_LOGGER, "ERROR") as logs:
                _env(cr)["billing.followup.run"]._cron_run()
            self.assertIn(f"Follow-up run of company {self.ids['main']} failed", logs.output[0])
        with self.registry.cursor() as cr:  # what the cron committed
            env = _env(cr)
            self.assertFalse(self._runs(env, "main"), "nothing of the skipped company's run is kept")
            self.assertFalse(self._mails(env), "nothing half-sent")
            collection = env["billing.collection"].search([("partner_id", "=", self.ids["partner"])])
            self.assertEqual(len(collection), 1)
            self.assertFalse(collection.level_id, "no level recorded for the skipped customer")
            self.assertEqual(self._runs(env, "other").mapped("state"), ["done"], "the other company ran")
        with self.registry.cursor() as cr:  # the next call
            _env(cr)["billing.followup.run"]._cron_run()
        with self.registry.cursor() as cr:
            env = _env(cr)
            run = self._runs(env, "main")
            self.assertEqual(run.state, "done")
            self.assertEqual(
                run.line_ids.filtered(lambda line: line.partner_id.id == self.ids["partner"]).outcome, "emailed"
            )
            self.assertEqual(len(self._mails(env)), 1, "the customer is e-mailed once")


@tagged("post_install", "-at_install")
class TestPromiseCronConcurrency(CommittedFixtureCase):
    """Rows 10 and 28: the promise judge meets another transaction. Two broken promises (their deadline has passed,
    nothing paid); another transaction edits or cancels the first after the judge's snapshot, or the judge commits
    before a user's cancel. A promise is judged once or cancelled, never both; the other promise is judged anyway."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            _skip_unless_alone(self, env, "billing.promise", [("state", "=", "open")], "open promises")
            today = fields.Date.context_today(env.user)
            partners = env["res.partner"].create(
                [{"name": f"Cron Promise Customer {i}", "is_company": True} for i in (1, 2)]
            )
            invoices = env["account.move"]
            promises = env["billing.promise"]
            for partner in partners:
                invoice = _overdue_invoice(env, partner, 20)
                invoices |= invoice
                promises |= env["billing.promise"].create(
                    {
                        "partner_id": partner.id,
                        "move_ids": [Command.set(invoice.ids)],
                        "amount": 60.0,
                        "date": today + timedelta(days=1),
                    }
                )
            env.flush_all()
            # Promised ten days ago for five days ago: broken today.
            env.cr.execute(
                "UPDATE billing_promise SET date = %s, date_deadline = %s, create_date = create_date - interval '10 days'"
                " WHERE id IN %s",
                [today - timedelta(days=5), today - timedelta(days=5), tuple(promises.ids)],
            )
            self.ids = {"partners": partners.ids, "invoices": invoices.ids, "promises": promises.ids}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            partners = env["res.partner"].browse(self.ids["partners"])
            env["billing.promise"].search([("partner_id", "in", partners.ids)]).unlink()
            env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]).unlink()
            env["billing.collection"].search([("partner_id", "in", partners.ids)]).unlink()
            _drop_invoices(env["account.move"].browse(self.ids["invoices"]))
            partners.unlink()

    def _promises(self, env):
        return env["billing.promise"].browse(self.ids["promises"])

    def _broken_count(self, env, partner_id):
        return env["billing.collection"].search([("partner_id", "=", partner_id)]).broken_promise_count

    def _judge(self, cr, log=True):
        if not log:
            return _env(cr)["billing.promise"]._cron_judge()
        with self.assertLogs(PROMISE_LOGGER, "WARNING") as logs:
            _env(cr)["billing.promise"]._cron_judge()
        self.assertIn(f"Promise {self.ids['promises'][0]} could not be judged", logs.output[0])

    def test_promise_edited_meanwhile_stays_open_and_the_other_is_judged(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT 1")  # the judge's snapshot
            with self.committed_env() as other:  # a user edits the first promise meanwhile
                self._promises(other)[0].tolerance_days = 3
            self._judge(cr)
        with self.registry.cursor() as cr:
            env = _env(cr)
            first, second = self._promises(env)
            self.assertEqual((first.state, first.date_judged), ("open", False), "left open for the next run")
            self.assertEqual(self._broken_count(env, self.ids["partners"][0]), 0, "nothing half-judged")
            self.assertEqual(second.state, "broken")
            self.assertEqual(self._broken_count(env, self.ids["partners"][1]), 1)
        with self.registry.cursor() as cr:  # the next run judges it
            self._judge(cr, log=False)
        with self.registry.cursor() as cr:
            env = _env(cr)
            self.assertEqual(self._promises(env).mapped("state"), ["broken", "broken"])
            self.assertEqual(self._broken_count(env, self.ids["partners"][0]), 1)
            self.assertEqual(self._broken_count(env, self.ids["partners"][1]), 1, "judged once")

    def test_promise_cancelled_meanwhile_is_not_judged(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT 1")  # the judge's snapshot
            with self.committed_env() as other:  # the specialist cancels the first promise meanwhile
                self._promises(other)[0].action_cancel()
            self._judge(cr)
        with self.registry.cursor() as cr:
            env = _env(cr)
            first, second = self._promises(env)
            self.assertEqual((first.state, first.date_judged), ("cancelled", False), "cancelled, never judged")
            self.assertEqual(self._broken_count(env, self.ids["partners"][0]), 0)
            self.assertEqual(second.state, "broken")

    def test_cancel_after_the_judge_committed_is_refused(self):
        with self.registry.cursor() as user_cr:
            user_cr.execute("SELECT 1")  # the user's request starts (its snapshot) ...
            with self.registry.cursor() as cr:  # ... the judge runs and commits meanwhile
                self._judge(cr, log=False)
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                self._promises(_env(user_cr))[0].action_cancel()
                _env(user_cr).flush_all()
            user_cr.rollback()
            # Odoo replays the request on a serialization failure: the replay sees the promise judged.
            with self.assertRaises(UserError):
                self._promises(_env(user_cr))[0].action_cancel()
            user_cr.rollback()
        with self.registry.cursor() as cr:
            env = _env(cr)
            first = self._promises(env)[0]
            self.assertEqual(first.state, "broken", "judged once, never cancelled too")
            self.assertEqual(self._broken_count(env, self.ids["partners"][0]), 1)


@tagged("post_install", "-at_install")
class TestHabitCronConcurrency(CommittedFixtureCase):
    """Row 30: the habit cron learns from an automatic matching run while a user undoes that run. Both write the
    run's row, so the later of the two fails on a serialization failure and is replayed on the other's result: an
    undone run never keeps a lesson, in either order."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            _skip_unless_alone(
                self,
                env,
                "billing.match.run",
                [("mode", "=", "automatic"), ("state", "=", "done"), ("learned", "=", False)],
                "automatic matching runs not learned from",
            )
            company = env.company
            partner = env["res.partner"].create({"name": "Cron Habit Customer", "is_company": True})
            invoice = _overdue_invoice(env, partner, 1, amount=640.0)
            payment = env["account.payment"].create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": 640.0,
                    "memo": invoice.name,
                    "journal_id": env["account.journal"]
                    .search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
                    .id,
                }
            )
            payment.action_post()
            run = env["billing.match.run"]._run_automatic(company, payment)
            self.assertEqual(run.line_ids.outcome, "applied")
            env.flush_all()
            days = company.billing_learn_after_days + 1
            env.cr.execute(
                "UPDATE billing_match_run SET date = date - %s * interval '1 day' WHERE id = %s", [days, run.id]
            )
            self.ids = {"partner": partner.id, "invoice": invoice.id, "payment": payment.id, "run": run.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            run = env["billing.match.run"].browse(self.ids["run"])
            env["billing.match.habit"].with_context(active_test=False).search(
                [("partner_id", "=", self.ids["partner"])]
            ).unlink()
            payment = env["account.payment"].browse(self.ids["payment"])
            invoice = env["account.move"].browse(self.ids["invoice"])
            (payment.move_id | invoice).line_ids.remove_move_reconcile()
            run.line_ids.unlink()
            run.unlink()
            payment.action_draft()
            payment.unlink()
            _drop_invoices(invoice)
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _state(self, cr):
        env = _env(cr)
        run = env["billing.match.run"].browse(self.ids["run"])
        evidence = env["billing.match.habit.evidence"].search_count([("line_id", "in", run.line_ids.ids)])
        return run.state, run.learned, evidence

    def _undo(self, cr):
        _env(cr)["billing.match.run"].browse(self.ids["run"]).action_undo()
        _env(cr).flush_all()

    def test_undo_committed_first_the_cron_fails_then_learns_nothing(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT 1")  # the cron's snapshot: the run is done, not learned
            with self.registry.cursor() as user_cr:  # the user undoes the run meanwhile
                self._undo(user_cr)
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                _env(cr)["billing.match.habit"]._cron_learn()
                _env(cr).flush_all()
            cr.rollback()  # the cron runner's; its next call:
            _env(cr)["billing.match.habit"]._cron_learn()
        with self.registry.cursor() as cr:
            self.assertEqual(self._state(cr), ("undone", False, 0), "an undone run teaches nothing")

    def test_cron_committed_first_the_undo_is_replayed_and_takes_the_lesson_back(self):
        with self.registry.cursor() as user_cr:
            user_cr.execute("SELECT 1")  # the user's Undo starts (its snapshot) ...
            with self.registry.cursor() as cr:  # ... the cron learns from the run and commits meanwhile
                _env(cr)["billing.match.habit"]._cron_learn()
            with self.registry.cursor() as cr:
                self.assertTrue(self._state(cr)[2], "the run taught something")
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                self._undo(user_cr)
            user_cr.rollback()  # Odoo replays the request:
            self._undo(user_cr)
        with self.registry.cursor() as cr:
            self.assertEqual(self._state(cr), ("undone", True, 0), "the undo took the lesson back")


@tagged("post_install", "-at_install")
class TestDisputeSlaCronConcurrency(CommittedFixtureCase):
    """Row 29: the SLA cron escalates overdue cases in one transaction while a user edits one of them. The cron fails
    on a serialization failure and nothing of it is kept (no case half-escalated, no activity); its next call
    escalates each case once."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            today = fields.Date.context_today(env.user)
            _skip_unless_alone(
                self,
                env,
                "billing.dispute",
                [("state", "in", OPEN_STATES), ("date_escalated", "=", False), ("date_deadline", "<", today)],
                "overdue cases not escalated",
            )
            partner = env["res.partner"].create({"name": "Cron SLA Customer", "is_company": True})
            invoices = env["account.move"]
            for _index in range(2):
                invoices |= _overdue_invoice(env, partner, 20)
            cases = env["billing.dispute"].create(
                [
                    {
                        "partner_id": partner.id,
                        "reason_id": env.ref("billing_specialist.reason_pricing").id,
                        "line_ids": [Command.create({"move_id": invoice.id, "amount_disputed": 40.0})],
                    }
                    for invoice in invoices
                ]
            )
            env.flush_all()
            env.cr.execute(
                "UPDATE billing_dispute SET date_deadline = %s WHERE id IN %s",
                [today - timedelta(days=2), tuple(cases.ids)],
            )
            self.ids = {"partner": partner.id, "invoices": invoices.ids, "cases": cases.ids}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            cases = env["billing.dispute"].with_context(active_test=False).browse(self.ids["cases"])
            env["mail.activity"].search([("res_model", "=", "billing.dispute"), ("res_id", "in", cases.ids)]).unlink()
            cases.unlink()
            _drop_invoices(env["account.move"].browse(self.ids["invoices"]))
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _escalations(self, cr):
        env = _env(cr)
        cases = env["billing.dispute"].browse(self.ids["cases"])
        activity_type = env.ref("billing_specialist.mail_activity_type_billing_escalation")
        return [
            (
                bool(case.date_escalated),
                env["mail.activity"].search_count(
                    [
                        ("res_model", "=", "billing.dispute"),
                        ("res_id", "=", case.id),
                        ("activity_type_id", "=", activity_type.id),
                    ]
                ),
            )
            for case in cases
        ]

    def test_case_edited_meanwhile_fails_the_whole_call_and_the_next_escalates(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT 1")  # the cron's snapshot
            with self.committed_env() as other:  # a user edits the case escalated last meanwhile
                other["billing.dispute"].browse(self.ids["cases"][0]).description = "Called the customer"
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                _env(cr)["billing.dispute"]._cron_check_sla()
                _env(cr).flush_all()
            cr.rollback()  # the cron runner's
        with self.registry.cursor() as cr:
            self.assertEqual(self._escalations(cr), [(False, 0), (False, 0)], "nothing half-escalated")
        with self.registry.cursor() as cr:  # the next call
            escalated = _env(cr)["billing.dispute"]._cron_check_sla()
            self.assertEqual(sorted(escalated.ids), sorted(self.ids["cases"]))
        with self.registry.cursor() as cr:
            self.assertEqual(self._escalations(cr), [(True, 1), (True, 1)], "each case escalated once")


@tagged("post_install", "-at_install")
class TestDueTodayCronConcurrency(CommittedFixtureCase):
    """Row 24: the daily billing run called twice (a second worker at once, or *Run Manually* before the background
    action has posted the first run's drafts): a draft due today is listed in one run, never in two."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            _skip_unless_alone(
                self,
                env,
                "account.move",
                [("move_type", "in", ("out_invoice", "out_refund")), ("state", "=", "draft")],
                "draft customer invoices",
            )
            partner = env["res.partner"].create({"name": "Cron Due Today Customer", "is_company": True})
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.context_today(env.user),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            self.runs_before = env["billing.invoice.run"].search([]).ids
            self.ids = {"partner": partner.id, "invoice": invoice.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            runs = env["billing.invoice.run"].search([("id", "not in", self.runs_before)])
            runs.line_ids.unlink()
            runs.write({"state": "done"})  # never processed: nothing of theirs to lose
            runs.unlink()
            env["account.move"].browse(self.ids["invoice"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _runs_listing_the_invoice(self, cr):
        return _env(cr)["billing.invoice.run.line"].search([("move_id", "=", self.ids["invoice"])]).run_id

    def test_second_call_before_the_drafts_are_posted_lists_them_in_no_second_run(self):
        with self.registry.cursor() as cr:
            _env(cr)["billing.invoice.run"]._cron_due_today()
        with self.registry.cursor() as cr:
            self.assertEqual(self._runs_listing_the_invoice(cr).state, "running", "queued for the background action")
        with self.registry.cursor() as cr:  # called again before the background action posted it
            _env(cr)["billing.invoice.run"]._cron_due_today()
        with self.registry.cursor() as cr:
            self.assertEqual(len(self._runs_listing_the_invoice(cr)), 1, "in one run, not two")

    def test_two_calls_at_once_list_the_draft_in_one_run(self):
        with self.registry.cursor() as first, self.registry.cursor() as second:
            _env(first)["billing.invoice.run"]._cron_due_today()  # not committed yet
            second.execute("SET LOCAL lock_timeout = '5s'")
            _env(second)["billing.invoice.run"]._cron_due_today()  # a second worker at once
        with self.registry.cursor() as cr:
            self.assertEqual(len(self._runs_listing_the_invoice(cr)), 1, "in one run, not two")
