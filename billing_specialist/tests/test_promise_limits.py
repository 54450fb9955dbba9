"""Issue 21, class 5: promises that freeze collections. The same limits on every channel (the specialist's form,
the call wizard, the portal, RPC create/write): at least the company's share of the open amount, at most its days
ahead, a date put off at most so often and so far (a billing manager beyond, with a reason the chatter keeps), and a
promise pauses only the amount promised: the follow-up and the worklist still chase the rest."""

import json
import math
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.http import Request
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .test_promise import REFUSED, PromiseCommon


class PromiseLimitsCommon(PromiseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "billing_portal_promise_min_percent": 50,
                "billing_promise_max_days": 60,
                "billing_promise_max_moves": 2,
                "billing_promise_move_max_days": 14,
            }
        )
        cls.big = cls._invoice(
            1_000_000.0,
            partner=cls.customer,
            invoice_date=cls.today - timedelta(days=70),
            invoice_date_due=cls.today - timedelta(days=40),
            invoice_payment_term_id=False,
        )
        cls.small = cls._invoice(
            2_000.0,
            partner=cls.customer,
            invoice_date=cls.today - timedelta(days=70),
            invoice_date_due=cls.today - timedelta(days=40),
            invoice_payment_term_id=False,
        )

    def _vals(self, amount, days, invoices=None):
        return {
            "partner_id": self.customer.id,
            "move_ids": [Command.set((invoices or self.big).ids)],
            "amount": amount,
            "date": fields.Date.to_string(self.today + timedelta(days=days)),
        }


@tagged("post_install", "-at_install")
class TestPromiseLimits(PromiseLimitsCommon):
    def test_token_promise_far_ahead_is_refused_by_the_orm(self):
        Promise = self.env["billing.promise"].with_user(self.specialist)
        far = (fields.Date.to_date("2099-12-31") - self.today).days
        for amount, days, expected in [
            (0.01, far, "at most 60 days"),
            (0.01, 5, "at least 50 % of the $\xa01,000,000.00 open"),
            (499_999.99, 5, "at least 50"),
            (500_000.0, far, "at most 60 days"),
            (500_000.0, 61, "at most 60 days"),
            (math.nan, 5, "number greater than zero"),
            (math.inf, 5, "number greater than zero"),
            (-500_000.0, 5, "greater than zero"),
            (1e300, 5, "more than"),
        ]:
            with self.subTest(amount=amount, days=days):
                message = self._assert_refused(Promise.create, self._vals(amount, days))
                self.assertIn(expected, message)
        # Superuser code (the portal, an import) is held to the same limits.
        self._assert_refused(self.env["billing.promise"].sudo().create, self._vals(0.01, far))
        promise = Promise.create(self._vals(500_000.0, 60))
        self.assertEqual(promise.state, "open")
        # Lowering the amount afterwards is the same token promise.
        with self.assertRaises(REFUSED) as caught:
            promise.write({"amount": 0.01})
        self.assertIn("at least 50", str(caught.exception))
        self.assertEqual(promise.amount, 500_000.0)

    def test_the_last_day_is_named_in_the_users_date_format(self):
        """The refusal names the last possible day as the user reads dates (12/31/2026 in English), not 2026-12-31."""
        last_day = self.today + timedelta(days=60)
        message = self._assert_refused(
            self.env["billing.promise"].with_user(self.specialist).create, self._vals(500_000.0, 61)
        )
        self.assertIn(f"{last_day.month:02d}/{last_day.day:02d}/{last_day.year} at the latest", message)
        self.assertNotIn(fields.Date.to_string(last_day), message)

    def test_tolerance_cannot_put_the_deadline_off(self):
        message = self._assert_refused(
            self.env["billing.promise"].with_user(self.specialist).create,
            {**self._vals(500_000.0, 5), "tolerance_days": 90},
        )
        self.assertIn("between 0 and 3 days", message)

    def test_the_date_moves_at_most_twice_by_at_most_14_days(self):
        promise = self.env["billing.promise"].with_user(self.specialist).create(self._vals(500_000.0, 10))
        with self.assertRaisesRegex(REFUSED, "20 days later"):
            promise.write({"date": self.today + timedelta(days=30)})
        with self.assertRaises(AccessError):
            promise.write({"date_move_count": 0})
        accepted = 0
        for attempt in range(10):  # ten moves by a week each: the first two pass
            day = promise.date + timedelta(days=7)
            try:
                promise.write({"date": day})
                accepted += 1
            except REFUSED as error:
                self.assertIn("already put off 2 times", str(error), attempt)
        self.assertEqual((accepted, promise.date_move_count), (2, 2))
        self.assertEqual(promise.date, self.today + timedelta(days=24))
        promise.write({"date": self.today + timedelta(days=20)})  # earlier: always allowed, no move counted
        self.assertEqual(promise.date_move_count, 2)
        # A specialist's reason does not lift the limits; a billing manager's does, and the chatter keeps it.
        with self.assertRaisesRegex(REFUSED, "A billing manager may"):
            promise.write({"date": self.today + timedelta(days=25), "date_move_reason": "customer asked"})
        manager_promise = promise.with_user(self.manager)
        with self.assertRaisesRegex(REFUSED, "A billing manager may"):
            manager_promise.write({"date": self.today + timedelta(days=25), "date_move_reason": "  \u200b "})
        manager_promise.write({"date": self.today + timedelta(days=45), "date_move_reason": "Agreed plan, 3 parts"})
        self.assertEqual(promise.date_move_count, 3)
        note = promise.message_ids.filtered(lambda message: "Agreed plan, 3 parts" in (message.body or ""))
        self.assertTrue(note)
        self.assertIn(self.manager.name, note.body)
        with self.assertRaisesRegex(REFUSED, "at most 60 days"):  # the company's horizon holds even for a manager
            manager_promise.write({"date": self.today + timedelta(days=61), "date_move_reason": "one more"})

    def test_cancelling_and_promising_again_is_a_move(self):
        Promise = self.env["billing.promise"].with_user(self.specialist)
        promise = Promise.create(self._vals(500_000.0, 10))
        promise.write({"date": self.today + timedelta(days=20)})
        promise.write({"date": self.today + timedelta(days=30)})
        promise.action_cancel()
        message = self._assert_refused(Promise.create, self._vals(500_000.0, 40))
        self.assertIn("already put off 2 times", message)
        again = Promise.create(self._vals(600_000.0, 30))  # no later than the one it replaces
        self.assertEqual(again.date_move_count, 2)

    def test_call_wizard_is_held_to_the_limits(self):
        collection = self.env["billing.collection"].sudo()._for_partners(self.customer, self.company)
        Call = self.env["billing.collection.call"].with_user(self.specialist)
        for amount, days, expected in [(0.01, 30, "at least 50"), (600_000.0, 200, "at most 60 days")]:
            wizard = Call.create(
                {
                    "collection_id": collection.id,
                    "outcome": "promised",
                    "promise_move_ids": [Command.set(self.big.ids)],
                    "promise_amount": amount,
                    "promise_date": self.today + timedelta(days=days),
                }
            )
            with self.subTest(amount=amount), self.assertRaises(REFUSED) as caught:
                wizard.action_apply()
            self.assertIn(expected, str(caught.exception))
        self.assertFalse(self.env["billing.promise"].search([("move_ids", "in", self.big.ids)]))

    def _plan(self):
        followup = self.env["billing.followup.ledger"]._plan(self.company, self.today, [self.customer.id])
        return {it.move_id: it for it in followup[self.customer.id].items}

    def _worklist(self):
        self.env["billing.worklist"].invalidate_model()  # a view: read again
        return self.env["billing.worklist"].search(
            [("partner_id", "=", self.customer.id), ("company_id", "=", self.company.id)]
        )

    def test_a_promise_pauses_only_the_amount_promised(self):
        self.assertEqual(self._plan()[self.big.id].chased_amount, 1_000_000.0)
        self.env["billing.promise"].with_user(self.specialist).create(self._vals(600_000.0, 10))
        items = self._plan()
        big, small = items[self.big.id], items[self.small.id]
        self.assertEqual((big.promised, big.chased_amount, big.mark), (600_000.0, 400_000.0, "promise_part"))
        self.assertTrue(big.item.chased, "the rest of the invoice is still followed up")
        self.assertEqual((small.chased_amount, small.item.chased), (2_000.0, True), "the other invoice too")
        row = self._worklist()
        self.assertAlmostEqual(row.promised_amount, 600_000.0)
        self.assertAlmostEqual(row.followup_amount, 402_000.0, msg="the rest and the other invoice are collected")
        self.assertIn("600,000.00 promised (only that much is paused)", row.reason)
        self.assertNotIn("in dispute", row.reason)
        self.big.invalidate_recordset(["billing_collection_state"])
        self.assertEqual(self.big.with_user(self.specialist).billing_collection_state, "overdue")
        account = self.env["billing.collection"]._for_partners(self.customer, self.company).with_user(self.specialist)
        self.assertAlmostEqual(account.cockpit_promised_amount, 600_000.0, msg="the customer screen counts the same")
        # A payment toward the promise: what is still to come of it is paused, no more.
        self._pay(self.big, 200_000.0)
        big = self._plan()[self.big.id]
        self.assertEqual((big.promised, big.chased_amount), (400_000.0, 400_000.0))
        self.assertAlmostEqual(self._worklist().promised_amount, 400_000.0)

    def test_a_promise_of_the_whole_open_amount_pauses_the_invoice(self):
        self.env["billing.promise"].with_user(self.specialist).create(self._vals(1_000_000.0, 10))
        big = self._plan()[self.big.id]
        self.assertEqual((big.chased_amount, big.item.chased, big.mark), (0.0, False, "promise"))
        self.big.invalidate_recordset(["billing_collection_state"])
        self.assertEqual(self.big.with_user(self.specialist).billing_collection_state, "promised")
        self.assertAlmostEqual(self._worklist().followup_amount, 2_000.0)


@tagged("post_install", "-at_install")
class TestPromiseLimitsRpc(PromiseLimitsCommon, HttpCase):
    def _call(self, model, method, args, kwargs=None):
        """The JSON-RPC call a client makes; an error is raised with its type and message."""
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        response = self.url_open(
            "/web/dataset/call_kw",
            json.dumps({"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}),
            headers={"Content-Type": "application/json"},
        ).json()
        if "error" in response:
            data = response["error"]["data"]
            raise JsonRpcException(response["error"]["code"], f"{data['name']}: {data['message']}")
        return response["result"]

    def test_specialist_over_json_rpc(self):
        self.authenticate(self.specialist.login, self.specialist.login)
        with self.assertRaisesRegex(JsonRpcException, "at most 60 days"):
            self._call("billing.promise", "create", [{**self._vals(0.01, 27000)}])
        with self.assertRaisesRegex(JsonRpcException, "at least 50"):
            self._call("billing.promise", "create", [{**self._vals(0.01, 5)}])
        for amount in ("NaN", "Infinity", math.nan, -1, 1e308):
            with self.assertRaisesRegex(JsonRpcException, "Error"):
                self._call("billing.promise", "create", [{**self._vals(500_000.0, 5), "amount": amount}])
        with self.assertRaisesRegex(JsonRpcException, "at most 60 days"):
            self._call("billing.promise", "create", [{**self._vals(500_000.0, 27000)}])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("billing.promise", "create", [{**self._vals(500_000.0, 10), "date_move_count": -99}])
        promise_id = self._call("billing.promise", "create", [self._vals(500_000.0, 10)])
        for days in (20, 30):
            self._call("billing.promise", "write", [[promise_id], {"date": str(self.today + timedelta(days=days))}])
        with self.assertRaisesRegex(JsonRpcException, "already put off 2 times"):
            self._call("billing.promise", "write", [[promise_id], {"date": str(self.today + timedelta(days=35))}])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("billing.promise", "write", [[promise_id], {"date_move_count": 0}])
        # A client-set context key changes nothing.
        with self.assertRaisesRegex(JsonRpcException, "already put off 2 times"):
            self._call(
                "billing.promise",
                "write",
                [[promise_id], {"date": str(self.today + timedelta(days=35))}],
                {"context": {"default_date_move_count": 0, "active_test": False}},
            )
        promise = self.env["billing.promise"].browse(promise_id)
        self.assertEqual((promise.date, promise.date_move_count), (self.today + timedelta(days=30), 2))

    def test_portal_is_held_to_the_specialists_horizon_too(self):
        self.company.billing_portal_promise_max_days = 90  # the portal's own limit longer than the company's
        self.authenticate("bs_portal", "bs_portal")
        day = self.today + timedelta(days=75)
        response = self.url_open(
            f"/my/invoices/{self.big.id}/promise",
            data={
                "promise_date": fields.Date.to_string(day),
                "promise_amount": "600000",
                "csrf_token": Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("up to 60 days ahead", response.text)
        self.assertFalse(self.env["billing.promise"].sudo().search([("move_ids", "in", self.big.ids)]))


@tagged("post_install", "-at_install")
class TestPromiseMovesCannotBeReset(PromiseLimitsCommon):
    """A specialist putting a promised date off beyond the company's limits without a manager: releasing an invoice,
    cancelling and promising again, a date beyond the horizon."""

    def test_releasing_an_invoice_from_an_open_promise_does_not_reset_its_moves(self):
        """The big invoice is promised in 10 days. The specialist moves it to the small invoice's promise (the
        open promise now covers the small one only) and records a new promise on the big invoice 60 days ahead: a
        50-day move of the big invoice's date, beyond 14 days a move, without a manager's reason."""
        Promise = self.env["billing.promise"].with_user(self.specialist)
        promise = Promise.create(self._vals(500_000.0, 10))
        with self.assertRaises(REFUSED):
            promise.write({"move_ids": [Command.set(self.small.ids)], "amount": 2_000.0})
            Promise.create(self._vals(500_000.0, 60))
        self.assertEqual(promise.move_ids, self.big)
        self.assertEqual(promise.date, self.today + timedelta(days=10))

    def test_cancel_and_promise_again_counts_as_a_move(self):
        Promise = self.env["billing.promise"].with_user(self.specialist)
        promise = Promise.create(self._vals(500_000.0, 10))
        promise.action_cancel()
        self.assertIn("days later", self._assert_refused(Promise.create, self._vals(500_000.0, 60)))
        # Several fields at once are still a move.
        promise2 = Promise.create(self._vals(500_000.0, 20))
        with self.assertRaises(REFUSED) as caught:
            promise2.write(
                {
                    "date": fields.Date.to_string(self.today + timedelta(days=50)),
                    "tolerance_days": 0,
                    "amount": 600_000.0,
                    "note": "x",
                }
            )
        self.assertIn("days later", str(caught.exception))
        self.assertEqual(promise2.date, self.today + timedelta(days=20))

    def test_a_date_beyond_the_horizon_is_refused_for_the_horizon_not_the_move(self):
        """Moving a promise to 2099 names the company's days ahead (no manager may allow it), not the move's days."""
        promise = self.env["billing.promise"].with_user(self.specialist).create(self._vals(500_000.0, 10))
        with self.assertRaises(REFUSED) as caught:
            promise.write({"date": "2099-12-31"})
        self.assertIn("at most 60 days ahead", str(caught.exception))
        self.assertNotIn("a move", str(caught.exception))

    def test_cancelling_a_promise_past_its_deadline_does_not_reset_its_moves(self):
        """The deadline passed yesterday, nothing was paid, the nightly judge has not run: the specialist cancels the
        promise and records a new one 60 days ahead. That is a 61-day move of the invoice's date: refused without a
        manager's reason, as if the promise had still run."""
        Promise = self.env["billing.promise"].with_user(self.specialist)
        promise = Promise.create({**self._vals(500_000.0, 10), "tolerance_days": 0})
        yesterday = self.today - timedelta(days=1)
        self.env.cr.execute(
            "UPDATE billing_promise SET date = %s, date_deadline = %s WHERE id = %s", [yesterday, yesterday, promise.id]
        )
        promise.invalidate_recordset()
        promise.action_cancel()
        self.assertIn("days later", self._assert_refused(Promise.create, self._vals(500_000.0, 60)))
        # A week ahead is within one move of 14 days: allowed, and counted.
        again = Promise.create(self._vals(500_000.0, 7))
        self.assertEqual(again.date_move_count, promise.date_move_count + 1)
