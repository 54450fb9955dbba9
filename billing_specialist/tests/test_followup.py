from datetime import date, timedelta
from unittest import TestCase
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.billing_specialist.followup import effective_days, level_index, paused_days, plan_customer
from odoo.addons.billing_specialist.followup.engine import Item
from odoo.addons.billing_specialist.models.billing_followup_line import BillingFollowupLine
from odoo.addons.billing_specialist.models.billing_followup_run import LOCK_KEY
from odoo.addons.billing_specialist.models.billing_report_hook import ReportScope
from odoo.addons.billing_specialist.models.mail_mail import MailMail

from .followup_common import FollowupCommon


class TestFollowupEngine(TestCase):
    """The arithmetic alone: paused days, effective days, the level reached, the customer's plan."""

    def test_paused_days_merge_overlaps_and_start_after_due(self):
        due, today = date(2026, 1, 10), date(2026, 3, 1)
        # Opened before the due date: only the days after it count; overlapping cases count once.
        intervals = [(date(2026, 1, 1), date(2026, 1, 20)), (date(2026, 1, 15), date(2026, 1, 25))]
        self.assertEqual(paused_days(due, today, intervals), 15)
        self.assertEqual(paused_days(due, today, [(date(2026, 2, 20), None)]), 9)  # still open: up to today
        self.assertEqual(effective_days(due, today, intervals), 50 - 15)
        self.assertEqual(effective_days(due, today, intervals, skip_dispute_days=False), 50)

    def test_level_reached_on_its_day(self):
        delays = [7, 30, 60, 90]
        self.assertEqual(
            [level_index(delays, d) for d in (0, 6, 7, 29, 30, 59, 60, 89, 90, 400)],
            [None, None, 0, 0, 1, 1, 2, 2, 3, 3],
        )

    def test_plan_only_new_levels_and_bump_capped(self):
        delays = [7, 30, 60, 90]
        sent = plan_customer([Item(1, days=10, sent=0)], delays)
        self.assertFalse(sent.new)
        self.assertEqual(sent.next_in, 20)
        bumped = plan_customer([Item(1, days=95, sent=3)], delays, bump=2)
        self.assertTrue(bumped.new)
        self.assertEqual(bumped.level, 3)
        excluded = plan_customer([Item(1, days=95, chased=False)], delays)
        self.assertIsNone(excluded.level)


@tagged("post_install", "-at_install")
class TestFollowupRun(FollowupCommon):
    # ------------------------------------------------------------------ levels

    def test_each_level_reached_on_its_boundary_day(self):
        expected = {
            6: False,
            7: self.reminder,
            29: self.reminder,
            30: self.firm,
            59: self.firm,
            60: self.final,
            89: self.final,
            90: self.collections,
        }
        partners = {}
        for days in expected:
            partners[days] = self._customer(f"Boundary {days}")
            self._overdue(days, partner=partners[days])
        run = self._send()
        for days, level in expected.items():
            line = self._line(run, partners[days])
            self.assertEqual(line.level_id, level or self.env["billing.followup.level"], f"{days} days overdue")
        self.assertEqual(self._line(run, partners[7]).outcome, "emailed")
        self.assertFalse(self._mails(partners[6]))

    def test_one_message_per_customer_at_highest_level_grouped_by_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self._overdue(10, 100.0)
        oldest = self._overdue(65, 200.0)
        self._overdue(12, 300.0, currency_id=eur.id)
        self._overdue(-5, 50.0)  # not due yet: shown, not chased
        run = self._send()
        line = self._line(run, self.customer)
        self.assertEqual(len(line), 1)
        self.assertEqual(line.level_id, self.final)
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertEqual(
            sorted(g["currency"] for g in line.content["groups"]), sorted(["EUR", self.company.currency_id.name])
        )
        self.assertEqual(len(line.move_ids), 3)
        self.assertIn(oldest.name, line.mail_id.body_html)
        self.assertIn(self.final.name, line.mail_id.subject)
        self.assertIn("EUR", line.mail_id.body_html)
        self.assertEqual(oldest.billing_followup_level_id, self.final)
        collection = line.collection_id
        self.assertEqual(collection.level_id, self.final)
        self.assertEqual(collection.last_followup_date, self.today)
        # The next level: the 65-day item reaches 90 in 25 days, the 10-day one 30 in 20, the 12-day one in 18.
        self.assertEqual(collection.next_followup_date, self.today + timedelta(days=18))
        # The customer's chatter shows the e-mail; the Billing tab its level and history.
        self.assertEqual(line.mail_id.mail_message_id.res_id, self.customer.id)
        customer = self.customer.with_user(self.specialist)
        self.assertEqual(customer.billing_followup_level_id, self.final)
        self.assertEqual(customer.billing_followup_count, 1)

    def test_running_twice_the_same_day_sends_nothing_new(self):
        self._overdue(10)
        self._overdue(40, partner=self.other_customer)
        first = self._send()
        self.assertEqual(len(first.line_ids), 2)
        mails = self.env["mail.mail"].sudo().search_count([])
        second = self._send()
        self.assertFalse(second.line_ids)
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        # A new item reaching a level brings the customer back, at that level.
        self._overdue(35)
        third = self._send()
        self.assertEqual(third.line_ids.partner_id, self.customer)
        self.assertEqual(third.line_ids.level_id, self.firm)

    # ------------------------------------------------------------------ disputes and promises

    def test_dispute_pauses_and_resume_does_not_count_days_in_dispute(self):
        invoice = self._overdue(40)
        case = self._open_case(invoice)
        self.assertFalse(self._preview().line_ids, "an invoice fully in dispute is not followed up")
        case.sudo().date_opened = self.today - timedelta(days=20)
        self._resolve(case, resolution="reject", note="Price as agreed")
        self.assertEqual(case.date_closed, self.today)
        line = self._line(self._preview(), self.customer)
        self.assertEqual(line.level_id, self.reminder, "40 days overdue, 20 of them in dispute: 20 count")
        self.company.billing_followup_skip_dispute_days = False
        self.assertEqual(self._line(self._preview(), self.customer).level_id, self.firm)

    def test_resolved_invoice_returns_at_the_level_it_had(self):
        invoice = self._overdue(10)
        self._send()
        self.assertEqual(invoice.billing_followup_level_id, self.reminder)
        case = self._open_case(invoice)
        case.sudo().date_opened = self.today - timedelta(days=5)
        self._resolve(case, resolution="reject", note="Price as agreed")
        self.assertEqual(invoice.billing_followup_level_id, self.reminder)
        self.assertFalse(self._preview().line_ids, "not sent the reminder again")

    def test_disputed_part_is_not_chased_and_is_marked(self):
        invoice = self._overdue(10, 1000.0)
        self._open_case(invoice, amount=400.0)
        line = self._line(self._preview(), self.customer)
        self.assertEqual(line.amount_due, 600.0)
        self.assertEqual(line.content["groups"][0]["items"][0]["mark"], "partly in dispute")
        other = self._overdue(10, 500.0, partner=self.other_customer)
        self._open_case(other)
        self._overdue(5, 100.0, partner=self.other_customer)  # not at a level yet
        self.assertFalse(self._line(self._preview(), self.other_customer))
        statement = self.env["billing.statement"]._get_statement(
            self.other_customer, self.company, self.today - timedelta(days=90), self.today
        )
        marks = {ln["name"]: ln["in_dispute"] for ln in statement["lines"]}
        self.assertTrue(marks[other.name])

    def test_a_small_open_dispute_does_not_freeze_the_rest(self):
        invoice = self._overdue(40, 1000.0)
        case = self._open_case(invoice, amount=10.0)
        case.sudo().date_opened = self.today - timedelta(days=20)
        line = self._line(self._preview(), self.customer)
        self.assertEqual(line.level_id, self.firm, "the undisputed 990 counts its 40 days")
        self.assertEqual(line.amount_due, 990.0)

    def test_invoice_under_an_open_promise_is_not_followed_up(self):
        invoice = self._overdue(10)
        promise = self.env["billing.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 100.0,
                "date": self.today,
                "tolerance_days": 0,
            }
        )
        self.assertFalse(self._preview().line_ids)
        # Deadline passed, not judged yet: chased again (a past date is refused through the ORM: written in SQL).
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE billing_promise SET date = %(day)s, date_deadline = %(day)s WHERE id = %(id)s",
                day=self.today - timedelta(days=1),
                id=promise.id,
            )
        )
        self.env.invalidate_all()
        self.assertTrue(self._preview().line_ids)

    def test_broken_promise_bump_is_used_and_cleared(self):
        invoice = self._overdue(10)
        self._send()
        collection = self.env["billing.collection"]._for_partners(self.customer, self.company).sudo()
        collection.write({"level_bump": 1})
        line = self._line(self._send(), self.customer)
        self.assertEqual(line.level_id, self.firm)
        self.assertEqual(collection.level_bump, 0)
        self.assertEqual(collection.level_id, self.firm)
        self.assertEqual(invoice.billing_followup_level_id, self.reminder, "the item keeps its own level")
        self.assertFalse(self._send().line_ids)

    # ------------------------------------------------------------------ contacts

    def test_contacts_invoice_contact_billing_contact_customer_then_letter(self):
        self._overdue(10, partner=self.customer_contact)
        billing = self._customer("Billing Co", email=False)
        billing_contact = self.env["res.partner"].create(
            {"name": "Bill Ing", "parent_id": billing.id, "type": "invoice", "email": "bill@billing.example.com"}
        )
        self._overdue(10, partner=billing)
        nomail = self._customer("No Mail", email=False)
        self._overdue(10, partner=nomail)
        run = self._send()
        self.assertEqual(self._line(run, self.customer).recipient_ids, self.customer_contact)
        self.assertEqual(self._line(run, billing).recipient_ids, billing_contact)
        line = self._line(run, nomail)
        self.assertEqual(line.channel, "letter")
        self.assertEqual(line.outcome, "letter")
        self.assertIn("no e-mail address", line.result)
        self.assertNotIn("e-mailed", line.result)
        self.assertFalse(line.mail_id)
        self.assertFalse(self._mails(nomail))
        self.assertIn("letter to print", line.message_id.body)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("billing_specialist.action_report_billing_followup_letter", line.ids)[0]
            .decode()
        )
        self.assertIn("No Mail", html)
        self.assertEqual(run.action_print_letters()["type"], "ir.actions.report")

    def test_activity_escalation_and_statement_attachment(self):
        salesperson = self.manager
        self.customer.user_id = salesperson
        self._overdue(95)
        line = self._line(self._send(), self.customer)
        self.assertEqual(line.level_id, self.collections)
        self.assertEqual(line.collection_id.sudo().activity_ids.user_id, self.specialist)
        # The salesperson's heads-up is on the customer, which he can open without billing rights.
        escalation = self.customer.sudo().activity_ids.filtered(lambda act: act.user_id == salesperson)
        self.assertEqual(len(escalation), 1)
        self.assertIn(self.collections.name, escalation.summary)
        self.assertTrue(line.send_letter)
        self._overdue(35, partner=self.other_customer)
        firm = self._line(self._send(), self.other_customer)
        self.assertTrue(firm.attach_statement)
        firm.mail_id._billing_attach_statements()
        self.assertEqual(len(firm.mail_id.attachment_ids), 1)
        self._overdue(36, partner=self.customer_contact.copy({"parent_id": False, "name": "Broken Statement"}))
        broken = self._send().line_ids.mail_id

        def failing(mail, report):
            raise UserError(self.env._("wkhtmltopdf crashed"))

        with patch.object(MailMail, "_billing_attach_statement", failing):
            broken._billing_attach_statements()
        self.assertEqual(broken.state, "exception")
        self.assertIn("wkhtmltopdf crashed", broken.failure_reason)

    # ------------------------------------------------------------------ failures and refusals

    def test_a_failing_customer_does_not_stop_the_others(self):
        self._overdue(10)
        self._overdue(10, partner=self.other_customer)
        original = BillingFollowupLine._queue_email

        def failing(line, email=None):
            if line.partner_id == self.customer:
                raise UserError(self.env._("SMTP says no"))
            return original(line, email)

        with patch.object(BillingFollowupLine, "_queue_email", failing):
            run = self._send()
        failed = self._line(run, self.customer)
        self.assertEqual(failed.outcome, "error")
        self.assertIn("SMTP says no", failed.result)
        self.assertEqual(self._line(run, self.other_customer).outcome, "emailed")
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(failed.collection_id.level_id)
        self.assertEqual(run.error_count, 1)
        self.assertEqual(len(self._send().line_ids), 1, "the failed customer is tried again")

    def test_second_concurrent_run_is_refused_and_sends_nothing(self):
        self._overdue(10)
        run = self._preview()
        with self.registry.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_KEY, self.company.id))
            with self.assertRaisesRegex(UserError, "under way"):
                run.action_send()
            other.rollback()
        self.assertEqual(run.state, "preview")
        self.assertFalse(self._mails(self.customer))

    def test_refusals(self):
        self._overdue(10)
        for user in (self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                self.Run.with_user(user).action_run_now()
        other = self.setup_other_company(name="Other Co")["company"]
        with self.assertRaises(AccessError):
            self.Run.with_user(self.specialist)._start(other)
        with self.assertRaises(AccessError):
            self.Run.with_user(self.specialist).create({"company_id": self.company.id})
        run = self._send()
        with self.assertRaises(UserError):
            run.action_send()
        with self.assertRaises(AccessError):
            run.line_ids.with_user(self.specialist).write({"outcome": "emailed"})
        with self.assertRaises(AccessError):
            self.env["account.move"].search([("partner_id", "=", self.customer.id)], limit=1).with_user(
                self.specialist
            ).write({"billing_followup_level_id": self.collections.id})
        with self.assertRaises(ValidationError):
            self.reminder.delay = -1
        with self.assertRaises(ValidationError):
            self.reminder.mail_template_id = self.env.ref("billing_specialist.mail_template_billing_dispute_resolved")

    def test_another_company_run_is_invisible(self):
        other = self.setup_other_company(name="Hidden Co")["company"]
        hidden = self.Run.sudo()._start(other)
        self.assertFalse(self.Run.with_user(self.specialist).search([("id", "=", hidden.id)]))
        with self.assertRaises(AccessError):
            hidden.with_user(self.specialist).read(["name"])

    def test_run_now_then_send_and_scheduled_run(self):
        self._overdue(10)
        menu_action = self.env.ref("billing_specialist.billing_followup_run_now_action")
        with self.assertRaises(AccessError):
            menu_action.with_user(self.internal_user).run()
        action = menu_action.with_user(self.specialist).run()
        run = self.Run.browse(action["res_id"])
        self.assertEqual(run.state, "preview")
        self.assertFalse(self._mails(self.customer), "a preview sends nothing")
        run.with_user(self.specialist).action_send()
        self.assertEqual(run.state, "done")
        self._overdue(10, partner=self.other_customer)
        self.Run._cron_run()
        scheduled = self.Run.search([("mode", "=", "scheduled"), ("company_id", "=", self.company.id)])
        self.assertEqual(scheduled.line_ids.partner_id, self.other_customer)
        self.assertEqual(fields.Date.today(), scheduled.date)

    # ------------------------------------------------------------------ effectiveness of each level (report)

    def test_level_effectiveness_counts_payments_within_the_days_after_the_message(self):
        run_day = self.today - timedelta(days=40)
        paying, silent, credited = self._customer("Pays Soon"), self._customer("Never Pays"), self._customer("Credited")
        paid_invoice = self._overdue(50, 100.0, partner=paying)  # 10 days overdue on the run day: reminder
        self._overdue(50, 200.0, partner=silent)
        credited_invoice = self._overdue(50, 300.0, partner=credited)
        self.Run.sudo()._run_company(self.company, date=run_day)
        self._pay(paid_invoice, 100.0, date=run_day + timedelta(days=5))
        # A credit note settles an invoice but is no payment the reminder brought in.
        refund = credited_invoice._reverse_moves([{"invoice_date": run_day + timedelta(days=3)}])
        refund.action_post()  # reconciled with its invoice by Odoo
        self.assertEqual(credited_invoice.payment_state, "reversed")
        # Today's run: the older items reach the firm level, whose 30 days are not over.
        self.Run.sudo()._run_company(self.company)

        report = self.env["billing.collection.report"]
        rows = report._level_effectiveness(ReportScope.of(self.company, run_day, self.today))
        by_label = {row["label"]: row for row in rows}
        reminder = by_label[self.reminder.display_name]
        self.assertEqual((reminder["messages"], reminder["amount"], reminder["collected"]), (3, 600.0, 100.0))
        self.assertEqual(reminder["rate"], 16.7)
        firm = by_label[self.firm.display_name]
        self.assertIsNone(firm["rate"])
        self.assertIn("not over yet", firm["reason"])
        # Before the reminder's 30 days were over, it had no rate either.
        early = report._level_effectiveness(
            ReportScope.of(self.company, run_day, self.today), today=run_day + timedelta(days=29)
        )
        self.assertIsNone(early[0]["rate"])


@tagged("post_install", "-at_install")
class TestFollowupLevelIsTheRunsToSet(FollowupCommon):
    """An invoice's follow-up level and date cannot be set by a client's ``default_*`` context keys."""

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
