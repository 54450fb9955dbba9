"""The protected-field mixin (``billing.protected.mixin``): a model's own code may add the protected values it sets
itself (the dispute's closing date on a stage change, a promise's count of moves, a remittance's origin), and that
never lets a client's own value through with them, whatever context the client sends."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.billing_specialist.models.billing_protected_mixin import ALLOWED_KEY

from .test_promise_limits import PromiseLimitsCommon


@tagged("post_install", "-at_install")
class TestProtectedFields(PromiseLimitsCommon):
    def test_a_stage_change_sets_the_closing_date_but_refuses_the_clients(self):
        case = self._open_case(self._invoice(500.0), amount=100.0)
        in_progress = self.env["billing.dispute"]._get_stage_for_state("in_progress")
        spec_case = case.with_user(self.specialist)
        state = case.state
        with self.assertRaisesRegex(AccessError, "cannot be written"), self.env.cr.savepoint():
            spec_case.write({"stage_id": in_progress.id, "date_closed": "2020-01-01"})
        self.assertFalse(case.date_closed)
        self.assertEqual(case.state, state)
        spec_case.write({"stage_id": in_progress.id})  # the stage change alone sets the (empty) closing date
        self.assertEqual((case.state, case.date_closed), ("in_progress", False))

    def test_a_date_move_counts_itself_but_refuses_the_clients_count(self):
        promise = self.env["billing.promise"].with_user(self.specialist).create(self._vals(500_000.0, 10))
        later = promise.date + timedelta(days=7)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            promise.write({"date": later, "date_move_count": 0})
        self.assertEqual(promise.date_move_count, 0)
        promise.write({"date": later})
        self.assertEqual((promise.date, promise.date_move_count), (later, 1))

    def test_a_context_key_from_a_client_lets_nothing_through(self):
        """JSON cannot build the mixin's allowance: a client's key of that name is ignored."""
        case = self._open_case(self._invoice(500.0), amount=100.0)
        for allowed in (["date_closed"], {"model": "billing.dispute", "fnames": ["date_closed"]}, True):
            spec_case = case.with_user(self.specialist).with_context(**{ALLOWED_KEY: allowed})
            with self.assertRaisesRegex(AccessError, "cannot be written"), self.env.cr.savepoint():
                spec_case.write({"date_closed": fields.Date.to_string(self.today)})
        self.assertFalse(case.date_closed)

    def test_an_allowance_is_for_its_own_model_only(self):
        case = self._open_case(self._invoice(500.0), amount=100.0)
        line = case.line_ids.with_user(self.specialist)
        allowed_on_case = case.with_user(self.specialist)._protected_allow({"amount_rejected"})
        with self.assertRaisesRegex(AccessError, "cannot be written"), self.env.cr.savepoint():
            line.with_env(allowed_on_case.env).write({"amount_rejected": 100.0})
        self.assertEqual(case.line_ids.amount_rejected, 0.0)

    def test_defaults_of_protected_fields_are_ignored_and_others_kept(self):
        Promise = self.env["billing.promise"].with_user(self.specialist)
        defaults = Promise.with_context(default_date_move_count=5, default_amount=12.0).default_get(
            ["date_move_count", "amount"]
        )
        self.assertEqual(defaults.get("amount"), 12.0)
        self.assertNotEqual(defaults.get("date_move_count"), 5)

    def test_a_users_own_defaults_of_protected_fields_are_ignored(self):
        """Any internal user may store his own defaults (``ir.default.set`` over JSON-RPC): the ORM would give them
        to a new record after the mixin's check. A protected field keeps its declared default; others keep his."""
        # His own defaults, stored before they were refused (test_a_user_cannot_store_defaults_of_application_fields)
        # or by an administrator.
        uid = self.specialist.id
        Default = self.env["ir.default"]
        Default.set("billing.dispute", "date_closed", "2020-01-01", user_id=uid)
        Default.set("billing.dispute", "sla_breached", True, user_id=uid)
        Default.set("billing.dispute", "state", "resolved", user_id=uid)
        Default.with_user(self.specialist).set("billing.dispute", "priority", "1", user_id=True)
        Default.set("billing.promise", "date_move_count", 7, user_id=uid)
        Default.set("billing.promise", "date_judged", "2020-01-01", user_id=uid)
        case = self._open_case(self._invoice(500.0), amount=100.0)
        self.assertEqual((case.date_closed, case.sla_breached, case.state), (False, False, "new"))
        self.assertEqual(case.priority, "1", "a default of an unprotected field is kept")
        promise = self.env["billing.promise"].with_user(self.specialist).create(self._vals(500_000.0, 10))
        self.assertEqual((promise.date_move_count, promise.date_judged), (0, False))
        defaults = self.env["billing.dispute"].with_user(self.specialist).default_get(["date_closed", "state"])
        self.assertNotIn("date_closed", defaults)
        self.assertEqual(defaults.get("state"), self.env["billing.dispute"].default_get(["state"]).get("state"))

    def test_a_clients_defaults_reach_no_record_the_application_creates_for_him(self):
        """The application creates some records as superuser on a user's behalf (a customer's collection account
        from the worklist), in the user's context: neither his own defaults of their protected fields nor his
        context's ``default_*`` keys give them a value."""
        Default = self.env["ir.default"]  # his own, stored before they were refused, or by an administrator
        Default.set("billing.collection", "level_bump", 3, user_id=self.specialist.id)
        Default.set("billing.collection", "broken_promise_count", 9, user_id=self.specialist.id)
        Collection = self.env["billing.collection"].with_user(self.specialist)
        collection = Collection._for_partners(self.other_customer)
        self.assertEqual((collection.sudo().level_bump, collection.sudo().broken_promise_count), (0, 0))
        third = self.env["res.partner"].create({"name": "Initech", "is_company": True})
        collection = Collection.with_context(default_level_bump=4, default_last_call_outcome="promised")._for_partners(
            third
        )
        self.assertEqual((collection.sudo().level_bump, collection.sudo().last_call_outcome), (0, False))

    def test_a_user_cannot_store_defaults_of_application_fields(self):
        """``ir.default.set`` over JSON-RPC, for himself: refused for a field the application sets (protected, or
        read-only on a billing model, such as the user and date of a matching run it creates as superuser for him);
        a field he edits himself keeps its default."""
        Default = self.env["ir.default"].with_user(self.specialist)
        for model, fname, value in (
            ("billing.dispute", "date_closed", "2020-01-01"),
            ("billing.collection", "level_bump", 3),
            ("account.move", "billing_in_dispute", True),
            ("billing.match.run", "user_id", self.manager.id),
            ("billing.match.run", "date", "2020-01-01 00:00:00"),
            ("billing.followup.line", "outcome", "nothing"),
        ):
            with self.subTest(field=f"{model}.{fname}"):
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    Default.set(model, fname, value, user_id=True)
        Default.set("billing.dispute", "priority", "1", user_id=True)
        self.assertEqual(
            self.env["billing.dispute"].with_user(self.specialist).default_get(["priority"])["priority"], "1"
        )
        self.env["ir.default"].set("billing.match.run", "threshold", 80)  # an administrator's is his business
