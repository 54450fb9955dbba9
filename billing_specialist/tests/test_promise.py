from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import Request
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import SQL

from ..promises import judge
from .common import BillingDisputeCommon

REFUSED = UserError  # AccessError and ValidationError are UserErrors


class PromiseCommon(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.billing_promise_tolerance_days = 3
        cls.company.billing_portal_promise_max_days = 30
        # Small promises judged here (the minimum share: test_promise_limits.py).
        cls.company.billing_portal_promise_min_percent = 10
        cls.invoice = cls._invoice(1000.0)
        cls.invoice_2 = cls._invoice(500.0)
        cls.other_invoice = cls._invoice(800.0, partner=cls.other_customer)
        cls.Promise = cls.env["billing.promise"]

    def _promise(self, invoices=None, amount=1000.0, date=None, user=None, **vals):
        invoices = invoices or self.invoice
        env = self.env(user=user or self.specialist)
        return env["billing.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoices.ids)],
                "amount": amount,
                "date": date or self.today + timedelta(days=2),
                **vals,
            }
        )

    def _assert_refused(self, function, *args, **kwargs):
        before = self._count("billing.promise")
        with self.assertRaises(REFUSED) as caught:
            function(*args, **kwargs)
        self.assertEqual(self._count("billing.promise"), before, "nothing written")
        return str(caught.exception.args[0])


@tagged("post_install", "-at_install")
class TestPromiseRecording(PromiseCommon):
    def test_record_from_invoice_prefills_and_posts_on_customer_and_invoice(self):
        action = self.invoice.with_user(self.specialist).action_billing_record_promise()
        self.assertEqual(action["res_model"], "billing.promise")
        with Form(self.env(user=self.specialist)["billing.promise"].with_context(**action["context"])) as form:
            self.assertEqual(form.partner_id, self.customer)
            self.assertEqual(form.amount, 1000.0)
            form.date = self.today + timedelta(days=5)
            form.amount = 400.0
        promise = form.record
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.currency_id, self.invoice.currency_id)
        self.assertEqual(promise.date_deadline, self.today + timedelta(days=8))
        self.assertEqual(promise.user_id, self.specialist)
        for record in (self.customer, self.invoice):
            self.assertIn("Promise to pay", record.message_ids[:1].body)
        self.assertEqual(self.customer.with_user(self.specialist).billing_open_promise_count, 1)

    def test_record_from_customer_takes_open_invoices_and_contact_becomes_customer(self):
        action = self.customer_contact.with_user(self.specialist).action_billing_record_promise()
        context = action["context"]
        self.assertEqual(context["default_partner_id"], self.customer.id)
        self.assertEqual(set(context["default_move_ids"][0][2]), {self.invoice.id, self.invoice_2.id})
        self.assertEqual(context["default_amount"], 1500.0)
        promise = self._promise(self.invoice, 100.0, partner_id=self.customer_contact.id)
        self.assertEqual(promise.partner_id, self.customer)

    def test_record_from_a_call_activity(self):
        activity = self.customer.activity_schedule(
            "mail.mail_activity_data_call", summary="Call about the overdue invoice", user_id=self.specialist.id
        )
        action = activity.with_user(self.specialist).action_billing_record_promise()
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_amount_excludes_the_disputed_part(self):
        self._open_case(self.invoice, amount=300.0)
        message = self._assert_refused(self._promise, self.invoice, 700.01)
        self.assertIn("more than", message)
        self.assertEqual(self._promise(self.invoice, 700.0).amount, 700.0)

    def test_refusals(self):
        tomorrow = self.today + timedelta(days=1)
        cases = [
            ({"date": self.today - timedelta(days=1)}, "in the past"),
            ({"amount": 1000.01}, "more than"),
            ({"amount": 0.0}, "greater than zero"),
            ({"amount": -5.0}, "greater than zero"),
            ({"amount": float("nan")}, "greater than zero"),
            ({"amount": float("inf")}, "greater than zero"),
            ({"amount": 1e300}, "more than"),
            ({"invoices": self.other_invoice}, "not invoices of"),
            ({"tolerance_days": 91}, "between 0 and 3"),
            ({"tolerance_days": -1}, "between 0 and 3"),
        ]
        for vals, expected in cases:
            with self.subTest(vals=vals):
                vals = {"date": tomorrow, **vals}
                message = self._assert_refused(
                    self._promise, vals.pop("invoices", None), vals.pop("amount", 100.0), **vals
                )
                self.assertIn(expected, message)

    def test_refuses_draft_paid_and_foreign_documents(self):
        draft = self._invoice(100.0, post=False)
        self.assertIn("posted customer invoices", self._assert_refused(self._promise, draft, 50.0))
        paid = self._invoice(100.0)
        self._pay(paid, 100.0)
        self.assertIn("nothing left", self._assert_refused(self._promise, paid, 50.0))
        refund = self._invoice(100.0, move_type="out_refund")
        self.assertIn("posted customer invoices", self._assert_refused(self._promise, refund, 50.0))

    def test_refuses_another_companys_invoice(self):
        company_2 = self.setup_other_company(name="Other Co")["company"]
        foreign = (
            self.env["account.move"]
            .with_company(company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [Command.create({"name": "x", "quantity": 1, "price_unit": 100.0})],
                }
            )
        )
        foreign.action_post()
        self._assert_refused(self._promise, foreign, 50.0, user=self.env.user)
        # The specialist of the first company cannot even read it.
        self._assert_refused(self._promise, foreign, 50.0)
        # A promise of the other company is invisible to the first company's specialist.
        theirs = self._promise(foreign, 50.0, user=self.env.user, company_id=company_2.id)
        self.assertFalse(self.env(user=self.specialist)["billing.promise"].search([("id", "=", theirs.id)]))

    def test_one_open_promise_per_invoice(self):
        first = self._promise(self.invoice, 300.0)
        message = self._assert_refused(self._promise, self.invoice | self.invoice_2, 400.0)
        self.assertIn("already have an open promise", message)
        first.with_user(self.specialist).action_cancel()
        self.assertEqual(first.state, "cancelled")
        self._promise(self.invoice, 300.0)

    def test_protected_fields_over_rpc(self):
        as_specialist = self.env(user=self.specialist)["billing.promise"]
        for field, value in [
            ("state", "kept"),
            ("amount_paid", 1000.0),
            ("date_judged", fields.Date.to_string(self.today)),
            ("user_id", self.manager.id),
            ("date_made", fields.Date.to_string(self.today - timedelta(days=40))),
        ]:
            with self.subTest(field=field):
                self._assert_refused(
                    as_specialist.create,
                    {
                        "partner_id": self.customer.id,
                        "move_ids": [Command.set(self.invoice.ids)],
                        "amount": 100.0,
                        "date": fields.Date.to_string(self.today),
                        field: value,
                    },
                )
                promise = self._promise(self.invoice, 100.0)
                with self.assertRaises(AccessError):
                    promise.with_user(self.specialist).write({field: value})
                self.assertEqual(promise.state, "open")
                self.assertFalse(promise.amount_paid)
                self.assertEqual(promise.user_id, self.specialist)
                promise.with_user(self.specialist).action_cancel()

    def test_made_on_is_odoos_today_and_counts_in_the_key_figures(self):
        """A promise counts as made on the user's day, not on the database server's clock (create_date)."""
        promise = self._promise(self.invoice, 100.0)
        self.assertEqual(promise.date_made, fields.Date.context_today(promise))
        self.env.cr.execute(
            SQL("UPDATE billing_promise SET create_date = create_date - interval '400 days' WHERE id = %s", promise.id)
        )
        promise.invalidate_recordset(["create_date"])
        Kpi = self.env["billing.kpi"].with_user(self.manager)
        kpis = Kpi._get_kpis(self.company, self.today, self.today)
        self.assertEqual((kpis["promises_made_count"], kpis["promises_made_amount"]), (1, 100.0))
        before = Kpi._get_kpis(self.company, self.today - timedelta(days=401), self.today - timedelta(days=1))
        self.assertEqual(before["promises_made_count"], 0)

    def test_closed_promise_cannot_be_edited_or_cancelled(self):
        promise = self._promise(self.invoice, 100.0)
        self.env["billing.promise"]._judge_promises(today=promise.date_deadline + timedelta(days=1))
        self.assertEqual(promise.state, "broken")
        with self.assertRaises(UserError):
            promise.with_user(self.specialist).write({"amount": 50.0})
        with self.assertRaises(UserError):
            promise.with_user(self.specialist).action_cancel()
        self.assertEqual((promise.amount, promise.state), (100.0, "broken"))

    def test_date_not_moved_into_the_past(self):
        promise = self._promise(self.invoice, 100.0)
        with self.assertRaises(ValidationError):
            promise.with_user(self.specialist).write({"date": self.today - timedelta(days=1)})
        promise.with_user(self.specialist).write({"date": self.today, "note": "Called back"})
        self.assertEqual(promise.date_deadline, self.today + timedelta(days=3))

    def test_internal_user_without_billing_group_cannot_record(self):
        with self.assertRaises(AccessError):
            self._promise(self.invoice, 100.0, user=self.internal_user)
        with self.assertRaises(AccessError):
            self.invoice.with_user(self.internal_user).action_billing_record_promise()

    def test_portal_user_reads_only_own_promises(self):
        mine = self._promise(self.invoice, 100.0)
        theirs = self._promise(self.other_invoice, 100.0, partner_id=self.other_customer.id)
        visible = self.env(user=self.portal_user)["billing.promise"].search([])
        self.assertIn(mine, visible)
        self.assertNotIn(theirs, visible)
        with self.assertRaises(AccessError):
            mine.with_user(self.portal_user).write({"note": "changed"})
        with self.assertRaises(AccessError):
            self._promise(self.invoice_2, 100.0, user=self.portal_user)

    def test_portal_user_cannot_read_internal_notes(self):
        mine = self._promise(self.invoice, 100.0, note="Customer sounded evasive; escalate if late.")
        as_portal = mine.with_user(self.portal_user)
        self.assertEqual(as_portal.read(["amount"])[0]["amount"], 100.0)
        for field in ("note", "user_id"):
            with self.assertRaises(AccessError):
                as_portal.read([field])


@tagged("post_install", "-at_install")
class TestPromiseJudge(PromiseCommon):
    def _judge(self, day):
        return self.env["billing.promise"]._judge_promises(today=day)

    def _collection(self):
        return self.env["billing.collection"]._for_partners(self.customer)

    def test_pure_rules(self):
        day = fields.Date.to_date("2026-03-10")
        after = day + timedelta(days=1)
        self.assertEqual(judge(100, 0, day, day, 0.01).state, "open")
        self.assertEqual(judge(100, 99.996, day, day, 0.01).state, "kept")
        self.assertEqual(judge(100, 99.99, day, after, 0.01).state, "partial")
        self.assertEqual(judge(100, 0, day, after, 0.01), judge.__globals__["Judgement"]("broken", True))
        self.assertTrue(judge(100, 49.99, day, after, 0.01).escalate)
        self.assertFalse(judge(100, 50, day, after, 0.01).escalate)
        # Credited down to 60 after the promise: 60 paid keeps it, nothing owed closes it.
        self.assertEqual(judge(100, 60, day, after, 0.01, still_open=0.0).state, "kept")
        self.assertEqual(judge(100, 0, day, day, 0.01, still_open=0.0).state, "cancelled")
        self.assertEqual(judge(100, 0, day, after, 0.01, still_open=60.0).state, "broken")

    def test_broken_on_the_day_after_the_deadline_escalates_once(self):
        promise = self._promise(self.invoice, 600.0)
        deadline = promise.date_deadline
        self.assertFalse(self._judge(deadline), "on the deadline day the promise is still open")
        self.assertEqual(promise.state, "open")
        day_after = deadline + timedelta(days=1)
        self.assertEqual(self._judge(day_after), promise)
        self.assertEqual((promise.state, promise.amount_paid, promise.date_judged), ("broken", 0.0, day_after))
        collection = self._collection()
        self.assertEqual((collection.level_bump, collection.broken_promise_count), (1, 1))
        self.assertEqual(collection.next_action_date, day_after)
        activity = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("billing_specialist.mail_activity_type_billing_broken_promise")
        )
        self.assertEqual(activity.user_id, self.specialist, "who recorded the promise calls (no specialist set)")
        self.assertIn("broken", self.customer.message_ids[:1].body)
        # Idempotent: a second run changes nothing.
        self.assertFalse(self._judge(day_after + timedelta(days=1)))
        self.assertEqual((collection.level_bump, collection.broken_promise_count), (1, 1))
        self.assertEqual(len(activity), 1)

    def test_kept_judged_early_when_paid_in_full(self):
        promise = self._promise(self.invoice | self.invoice_2, 1200.0)
        self._pay(self.invoice, 1000.0)
        self.assertFalse(self._judge(self.today))
        self._pay(self.invoice_2, 200.0)
        self.assertEqual(self._judge(self.today), promise)
        self.assertEqual((promise.state, promise.amount_paid), ("kept", 1200.0))
        self.assertFalse(self._collection().level_bump)

    def test_kept_on_the_day_after_with_rounding(self):
        promise = self._promise(self.invoice, 1000.0)
        self._pay(self.invoice, 1000.0)
        self.assertEqual(self._judge(promise.date_deadline + timedelta(days=1)), promise)
        self.assertEqual(promise.state, "kept")

    def test_partial_at_least_half_does_not_escalate(self):
        promise = self._promise(self.invoice, 1000.0)
        self._pay(self.invoice, 600.0)
        self.assertFalse(self._judge(promise.date_deadline))
        self._judge(promise.date_deadline + timedelta(days=1))
        self.assertEqual((promise.state, promise.amount_paid), ("partial", 600.0))
        collection = self._collection()
        self.assertEqual((collection.level_bump, collection.broken_promise_count), (0, 0))

    def test_partial_under_half_escalates(self):
        promise = self._promise(self.invoice, 1000.0)
        self._pay(self.invoice, 300.0)
        self._judge(promise.date_deadline + timedelta(days=1))
        self.assertEqual((promise.state, promise.amount_paid), ("partial", 300.0))
        self.assertEqual(self._collection().broken_promise_count, 1)

    def test_credit_note_is_not_a_payment(self):
        promise = self._promise(self.invoice, 1000.0)
        self._credit(self.invoice, 400.0)
        self._judge(promise.date_deadline + timedelta(days=1))
        self.assertEqual((promise.state, promise.amount_paid), ("broken", 0.0))
        self.assertEqual(self._collection().broken_promise_count, 1)

    def test_credit_note_lowers_what_is_due(self):
        promise = self._promise(self.invoice, 1000.0)
        self._credit(self.invoice, 400.0)
        self._pay(self.invoice, 600.0)
        self._judge(promise.date_deadline + timedelta(days=1))
        self.assertEqual((promise.state, promise.amount_paid), ("kept", 600.0))

    def test_fully_credited_promise_is_closed_without_escalation(self):
        promise = self._promise(self.invoice, 1000.0)
        self._credit(self.invoice, 1000.0)
        self._judge(self.today)
        self.assertEqual(promise.state, "cancelled")
        self.assertFalse(self._collection().broken_promise_count)

    def _credit(self, invoice, amount):
        refund = self._invoice(amount, move_type="out_refund")
        (invoice.line_ids | refund.line_ids).filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable" and not aml.reconciled
        ).reconcile()
        return refund

    def test_payment_applied_before_the_promise_does_not_count(self):
        self._pay(self.invoice, 400.0)
        promise = self._promise(self.invoice, 600.0)
        # The partial of the earlier payment is older than the promise.
        self.env.cr.execute(
            "UPDATE account_partial_reconcile SET create_date = create_date - interval '1 day' "
            "WHERE debit_move_id IN %s",
            [tuple(self.invoice.line_ids.ids)],
        )
        self._judge(promise.date_deadline + timedelta(days=1))
        self.assertEqual(promise.state, "broken")

    def test_specialist_of_the_portfolio_gets_the_call(self):
        self._collection().user_id = self.manager
        promise = self._promise(self.invoice, 100.0)
        self._judge(promise.date_deadline + timedelta(days=1))
        self.assertEqual(self.customer.activity_ids.user_id, self.manager)

    def test_cron_runs(self):
        promise = self._promise(self.invoice, 100.0)
        self._pay(self.invoice, 100.0)
        self.env.ref("billing_specialist.ir_cron_billing_promise_judge").method_direct_trigger()
        self.assertEqual(promise.state, "kept")


@tagged("post_install", "-at_install")
class TestPromisePortal(PromiseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.billing_portal_promise_min_percent = 50

    def _post_promise(self, invoice, date, amount, csrf=True, **extra):
        data = {"promise_date": fields.Date.to_string(date), "promise_amount": amount, **extra}
        if csrf:
            data["csrf_token"] = Request.csrf_token(self)
        return self.url_open(f"/my/invoices/{invoice.id}/promise", data=data)

    def _promises(self, invoice):
        return self.env["billing.promise"].sudo().search([("move_ids", "in", invoice.ids)])

    def test_promise_on_own_invoice(self):
        self.authenticate("bs_portal", "bs_portal")
        page = self.url_open(self.invoice.get_portal_url()).text
        self.assertIn("I will pay on", page)
        day = self.today + timedelta(days=10)
        response = self._post_promise(self.invoice, day, "600,50")
        self.assertEqual(response.status_code, 200)
        self.assertIn("promise=recorded", response.url)
        promise = self._promises(self.invoice)
        self.assertEqual((promise.amount, promise.date, promise.channel), (600.5, day, "portal"))
        self.assertEqual(promise.partner_id, self.customer)
        self.assertEqual(promise.date_deadline, day + timedelta(days=3))
        self.assertFalse(promise.user_id)
        self.assertIn("You promised to pay", response.text)
        self.assertNotIn("I will pay on", response.text)
        # A second open promise on the same invoice is refused.
        again = self._post_promise(self.invoice, day, "100")
        self.assertEqual(again.status_code, 400)
        self.assertEqual(len(self._promises(self.invoice)), 1)

    def test_refusals(self):
        self.authenticate("bs_portal", "bs_portal")
        cases = [
            (self.today + timedelta(days=31), "1000", "up to 30 days"),
            (self.today - timedelta(days=1), "1000", "in the past"),
            (self.today, "1000.01", "more than"),
            (self.today, "nan", "as a number"),
            (self.today, "1e3", "as a number"),
            (self.today, "-5", "greater than zero"),
            (self.today, "0", "greater than zero"),
            (self.today, "99999999999999", "more than"),
            (self.today, "10.123", "decimals"),
            # A token promise would pause the whole invoice: at least the company's share (50 %) of 1,000.
            (self.today, "499.99", "at least 50 %"),
        ]
        for date, amount, expected in cases:
            with self.subTest(date=date, amount=amount):
                response = self._post_promise(self.invoice, date, amount)
                self.assertEqual(response.status_code, 400)
                self.assertIn(expected, response.text)
                self.assertFalse(self._promises(self.invoice))
        response = self._post_promise(self.invoice, self.today, "10", csrf=False)
        self.assertNotEqual(response.status_code, 200)
        self.assertFalse(self._promises(self.invoice))

    def test_no_new_portal_promise_after_a_broken_one(self):
        broken = self._promise(self.invoice, 600.0)
        broken.sudo().write({"state": "broken", "date_judged": self.today})
        self.authenticate("bs_portal", "bs_portal")
        response = self._post_promise(self.invoice, self.today + timedelta(days=5), "1000")
        self.assertEqual(response.status_code, 400)
        self.assertIn("was not kept", response.text)
        self.assertEqual(self._promises(self.invoice), broken)

    def test_another_customers_invoice_is_refused(self):
        self.authenticate("bs_portal", "bs_portal")
        response = self._post_promise(self.other_invoice, self.today, "10")
        self.assertTrue(response.url.endswith("/my"))
        self.assertFalse(self._promises(self.other_invoice))
        # Even with the other invoice's access token, a logged-in user of another customer cannot promise.
        token = self.other_invoice._portal_ensure_token()
        response = self._post_promise(self.other_invoice, self.today, "10", access_token=token)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._promises(self.other_invoice))

    def test_token_link_without_login(self):
        self.authenticate(None, None)
        token = self.invoice._portal_ensure_token()
        response = self._post_promise(self.invoice, self.today, "750", access_token=token)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._promises(self.invoice).amount, 750.0)
        response = self._post_promise(self.invoice_2, self.today, "250", access_token="00000000-guess")
        self.assertTrue(response.url.endswith("/my") or "/web/login" in response.url)
        self.assertFalse(self._promises(self.invoice_2))

    def test_portal_promises_off(self):
        self.company.billing_portal_promise_max_days = 0
        self.authenticate("bs_portal", "bs_portal")
        self.assertNotIn("I will pay on", self.url_open(self.invoice.get_portal_url()).text)
        response = self._post_promise(self.invoice, self.today, "10")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._promises(self.invoice))


@tagged("post_install", "-at_install")
class TestPromiseInputsFromClients(BillingDisputeCommon):
    """Promises as a client can send them (the attacker's user, as JSON-RPC's call_kw runs it): protected fields in
    ``default_*`` context keys, a deadline written directly, a NaN or infinite amount promised in a logged call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.billing_promise_tolerance_days = 3
        cls.company.billing_portal_promise_max_days = 30
        # Small promises judged here (the minimum share: test_promise_limits.py).
        cls.company.billing_portal_promise_min_percent = 10
        cls.invoice = cls._invoice(1000.0)

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
