from datetime import timedelta

import pytz

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.tests import HttpCase, tagged

from . import test_matching_concurrency as concurrency
from .screenshots import ScreenshotTourMixin
from .test_matching import PaymentMatchingCommon


class MatchingReviewCommon(PaymentMatchingCommon):
    def _review(self, user=None, **context):
        """Open the review screen as ``user`` (the specialist) and return the rows it shows (all pages)."""
        Review = self.env["billing.match.review"].with_user(user or self.specialist).with_context(**context)
        action = Review.action_open_review()
        return Review.search(action["domain"] if isinstance(action.get("domain"), list) else [])


@tagged("post_install", "-at_install")
class TestMatchingReview(MatchingReviewCommon):
    def test_refresh_builds_one_row_per_source_sorted_by_confidence_then_date(self):
        combination = self._payment(750.0, memo="", date=self.today - timedelta(days=3))  # 300 + 450: 80
        named = self._payment(1200.0, memo=self.inv1.name)
        nothing = self._bank_line(1500.0, memo="transfer 8812")
        older_named = self._payment(300.0, memo=self.inv2.name, date=self.today - timedelta(days=5))
        rows = self._review()
        self.assertEqual(
            [row.payment_id or row.statement_line_id for row in rows], [older_named, named, combination, nothing]
        )
        by_source = {row.payment_id or row.statement_line_id: row for row in rows}
        row = by_source[combination]
        self.assertEqual((row.confidence, row.confidence_band, row.has_proposal), (80, "medium", True))
        self.assertEqual((row.source_type, row.amount, row.amount_company), ("payment", 750.0, 750.0))
        self.assertEqual((row.partner_id, row.journal_id), (self.customer, self.bank_journal))
        self.assertIn(self.inv2.name, row.invoice_names, "the full number, never cut")
        self.assertIn(self.inv3.name, row.invoice_names)
        self.assertIn("2 of the customer's 3 open items sum to the amount", row.reasons)
        self.assertEqual(by_source[named].confidence_band, "high")
        empty = by_source[nothing]
        self.assertEqual((empty.source_type, empty.confidence_band, empty.has_proposal), ("bank_line", "none", False))
        self.assertEqual(set(rows.search([("has_proposal", "=", False)]).statement_line_id), {nothing}, "filter")
        self.assertEqual(row.open_item_ids, self.inv1, "the customer's other open items, with their open amount")

    def test_conflicting_evidence_is_badged_as_such_and_an_overpayments_rest_is_no_duplicate(self):
        """A proposal held for conflicting evidence says "Conflict", not "No Proposal" (walk of issue 10); the rest of
        an overpayment applied to the invoice its memo names is not called a duplicate payment of it."""
        paid = self._invoice(640.0)
        self._pay(paid, 640.0)
        twin = self._invoice(640.0)  # open, same amount as the paid one
        duplicate = self._payment(640.0, memo=paid.name)
        overpaid = self._payment(1225.0, memo=self.inv1.name)  # inv1 is 1,200: 25 stays as credit
        self.env["billing.match.run"]._run_automatic(self.company, payments=overpaid, statement_lines=[])
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual), "the run applied 1,200 of it")
        by_source = {row.payment_id: row for row in self._review()}
        held = by_source[duplicate]
        self.assertEqual((held.confidence, held.confidence_band), (0, "conflict"))
        self.assertIn(twin.name, held.invoice_names)
        self.assertIn(f"{paid.name} is already paid: possible duplicate payment", held.reasons)
        self.assertNotIn("possible duplicate payment", by_source[overpaid].reasons)

    def test_refresh_replaces_rows_and_keeps_skips(self):
        payment = self._payment(750.0)
        line = self._bank_line(1500.0, memo="transfer 8812")
        rows = self._review()
        rows.filtered("statement_line_id").action_skip()
        again = self._review()
        self.assertEqual(len(again), 2, "one row per source, never duplicated")
        self.assertFalse(rows.exists().filtered("payment_id"), "rebuilt from the engine")
        self.assertTrue(again.filtered(lambda row: row.statement_line_id == line).skipped, "a skip is remembered")
        payment._billing_apply([(self.inv2.id, 300.0), (self.inv3.id, 450.0)])
        self.assertEqual(self._review().statement_line_id, line, "a source applied elsewhere leaves the screen")

    def test_no_hidden_cap_pages_instead(self):
        invoice = self._invoice(5000.0)
        payments = self.env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.customer.id,
                    "amount": 1.0,
                    "memo": f"part {number}",
                    "date": self.today,
                    "journal_id": self.bank_journal.id,
                }
                for number in range(30)
            ]
        )
        payments.action_post()
        rows = self._review()
        self.assertEqual(len(rows), 30, "every pending source gets a row: the list pages them")
        self.assertEqual(len(rows.search([], limit=10, offset=20)), 10)
        self.assertEqual(invoice.amount_residual, 5000.0, "opening the screen applies nothing")

    def test_apply_two_rows_as_a_manual_run_then_undo(self):
        first = self._payment(750.0)  # 300 + 450 with no reference, below the threshold
        line = self._bank_line(1200.0, memo=self.inv1.name, partner=self.customer)
        rows = self._review()
        result = rows.action_apply()
        run = self.env["billing.match.run"].search([("mode", "=", "manual")])
        self.assertEqual(len(run), 1)
        self.assertEqual(result["params"]["next"]["res_id"], run.id, "the confirmation opens the run")
        self.assertIn(f"billing_match_run_action/{run.id}", result["params"]["links"][0]["url"])
        self.assertEqual((run.user_id, run.applied_count, run.source_count), (self.specialist, 2, 2))
        self.assertTrue(run.name.startswith("Manual matching"))
        for invoice in self.inv1 | self.inv2 | self.inv3:
            self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertTrue(line.is_reconciled)
        self.assertFalse(rows.exists(), "an applied row is gone: it cannot be applied twice")
        recorded = run.line_ids.filtered(lambda rec: rec.payment_id == first)
        self.assertEqual(recorded.invoice_ids, self.inv2 | self.inv3)
        self.assertIn("2 of the customer's 3 open items sum to the amount", recorded.reasons)
        with self.assertRaises(MissingError), self.env.cr.savepoint():
            rows.with_user(self.specialist).action_apply()
        run.with_user(self.specialist).action_undo()
        self.assertEqual(run.state, "undone")
        self.assertEqual(self.inv1.amount_residual, 1200.0)
        self.assertEqual((self.inv2.amount_residual, self.inv3.amount_residual), (300.0, 450.0))
        self.assertFalse(line.is_reconciled)
        self.assertEqual(first._billing_available(), 750.0)
        self.assertEqual(len(self._review()), 2, "back on the review screen")

    def test_change_invoices_and_amounts_then_apply(self):
        payment = self._payment(500.0, memo="on account")
        row = self._review()
        self.assertEqual(row.open_item_ids | row.allocation_ids.move_id, self.inv1 | self.inv2 | self.inv3)
        row.write({"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv1.id, "amount": 500.0})]})
        self.assertEqual((row.allocated, row.remainder), (500.0, 0.0))
        self.assertIn(f"{self.inv1.name}: ", row.invoice_names)
        row.action_apply()
        self.assertEqual(self.inv1.amount_residual, 700.0)
        self.assertFalse(payment._billing_receivable_lines())

    def test_writeoff_within_the_limit_and_refused_beyond(self):
        payment = self._payment(280.0, memo=self.inv2.name)  # 20 short: within the specialist's 50
        row = self._review()
        self.assertEqual(row.allocation_ids.amount, 280.0, "proposed: paid in part")
        row.write({"allocation_ids": [Command.update(row.allocation_ids.id, {"amount": 300.0})], "writeoff": 20.0})
        row.action_apply()
        self.assertTrue(self.inv2.currency_id.is_zero(self.inv2.amount_residual))
        self.assertFalse(payment._billing_receivable_lines())
        short = self._payment(350.0, memo=self.inv3.name)  # 100 short: beyond the limit
        row = self._review()
        row.write({"allocation_ids": [Command.update(row.allocation_ids.id, {"amount": 450.0})], "writeoff": 100.0})
        with self.assertRaisesRegex(UserError, "above the .*50.00 a specialist may write off.*Nothing was applied"):
            with self.env.cr.savepoint():
                row.action_apply()
        self.assertEqual(self.inv3.amount_residual, 450.0)
        self.assertEqual(short._billing_available(), 350.0)
        manager_row = self._review(user=self.manager)
        manager_row.write(
            {"allocation_ids": [Command.update(manager_row.allocation_ids.id, {"amount": 450.0})], "writeoff": 100.0}
        )
        manager_row.action_apply()
        self.assertTrue(self.inv3.currency_id.is_zero(self.inv3.amount_residual), "a manager is not limited")

    def test_an_invoice_paid_twice_in_one_apply_names_the_other_row(self):
        """Two rows paying the same invoice in one Apply: the refusal names the row that paid it (issue 23)."""
        first = self._payment(1200.0, memo=self.inv1.name)
        second = self._payment(1200.0, memo=self.inv1.name)
        rows = self._review()
        rows = rows.filtered(lambda rec: rec.payment_id == first) | rows.filtered(lambda rec: rec.payment_id == second)
        self.assertEqual(rows.allocation_ids.move_id, self.inv1)
        message = (
            f"{rows[1].name}: {self.inv1.name} is already paid by {rows[0].name} in this same Apply: "
            "apply one of the two. Nothing was applied."
        )
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            rows.action_apply()
        self.assertEqual(caught.exception.args[0], message)
        self.assertEqual(self.inv1.amount_residual, 1200.0, "nothing applied")

    def test_an_invoice_settled_before_the_apply(self):
        """One invoice settled elsewhere: "is already settled" (one invoice, one verb)."""
        payment = self._payment(300.0, memo=self.inv2.name)
        row = self._review().filtered(lambda rec: rec.payment_id == payment)
        self._pay(self.inv2, 300.0)
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            row.action_apply()
        self.assertEqual(
            caught.exception.args[0], f"{row.name}: {self.inv2.name} is already settled. Nothing was applied."
        )

    def test_an_allocation_beyond_what_is_open_is_flagged(self):
        """1,800 asked of an invoice open for 720: the panel's warning names it (issue 23), credit notes are typed."""
        invoice = self._invoice(720.0)
        payment = self._payment(1800.0, memo=invoice.name)
        row = self._review().filtered(lambda rec: rec.payment_id == payment)
        self.assertFalse(row.overdrawn_note, "the engine's proposal asks no more than is open")
        row.write({"allocation_ids": [Command.clear(), Command.create({"move_id": invoice.id, "amount": 1800.0})]})
        self.assertEqual(row.remainder, 0.0, "the difference alone would look settled")
        self.assertRegex(row.overdrawn_note, rf"^{invoice.name} is open for \W*720\.00 only$")
        refund = self._invoice(100.0, move_type="out_refund")
        row.write({"allocation_ids": [Command.create({"move_id": refund.id, "amount": 100.0})]})
        self.assertEqual(row.allocation_ids.mapped("kind"), ["invoice", "credit_note"])
        self.assertEqual(row.allocated, 1700.0, "a credit note lowers the invoices' total")
        row.write({"allocation_ids": [Command.update(row.allocation_ids[0].id, {"amount": 720.0})]})
        self.assertFalse(row.overdrawn_note)

    def test_a_runs_name_is_in_the_users_time_zone(self):
        """'Manual matching 2026-12-08 01:12:34' for a user in Brussels, not UTC's 00:12:34 (issue 23)."""
        self.specialist.tz = "Europe/Brussels"
        run = self.env["billing.match.run"].with_user(self.specialist)._create_manual(self.company)
        brussels = pytz.utc.localize(run.date).astimezone(pytz.timezone("Europe/Brussels"))
        self.assertEqual(run.name, f"Manual matching {brussels:%Y-%m-%d %H:%M:%S}")
        self.assertNotIn(f"{run.date:%H:%M:%S}", run.name, "Brussels is never at UTC's hour")
        self.specialist.tz = "UTC"
        again = self.env["billing.match.run"].with_user(self.specialist)._create_manual(self.company)
        self.assertEqual(again.name, f"Manual matching {again.date:%Y-%m-%d %H:%M:%S}")

    def test_all_or_nothing(self):
        good = self._payment(1200.0, memo=self.inv1.name)
        bad = self._payment(300.0, memo=self.inv2.name)
        rows = self._review()
        bad_row = rows.filtered(lambda rec: rec.payment_id == bad)
        bad_row.allocation_ids.move_id = self.fee1  # another customer's invoice
        with self.assertRaisesRegex(UserError, "belong to another customer.*Nothing was applied"):
            with self.env.cr.savepoint():
                rows.action_apply()
        self.assertEqual(self.inv1.amount_residual, 1200.0, "the good row was rolled back too")
        self.assertEqual(good._billing_available(), 1200.0)
        self.assertEqual(len(rows.exists()), 2)

    def test_bank_line_with_no_proposal_customer_chosen_by_hand(self):
        line = self._bank_line(1500.0, memo="transfer 8812")
        row = self._review()
        self.assertEqual((row.statement_line_id, row.confidence, row.partner_id), (line, 0, self.env["res.partner"]))
        row.write(
            {
                "partner_id": self.customer.id,
                "allocation_ids": [Command.create({"move_id": self.inv1.id, "amount": 1200.0})],
            }
        )
        self.assertEqual(row.remainder, 300.0, "left open as the customer's credit")
        row.action_apply()
        self.assertEqual(line.partner_id, self.customer)
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))

    def test_short_payment_opens_a_dispute_for_the_difference(self):
        payment = self._payment(1000.0, memo=self.inv1.name)  # 200 short on 1200
        row = self._review()
        row.write({"open_dispute": True, "dispute_reason_id": self.reason_pricing.id})
        row.action_apply()
        self.assertEqual(self.inv1.amount_residual, 200.0)
        case = self.env["billing.dispute"].search([("source_payment_id", "=", payment.id)])
        self.assertEqual((case.amount_disputed, case.invoice_ids, case.state), (200.0, self.inv1, "new"))

    def test_entry_points_open_the_screen_on_their_sources(self):
        mine = self._payment(300.0, memo=self.inv2.name)
        other = self._payment(99.0, memo="fee", partner=self.other_customer)
        line = self._bank_line(450.0, memo=self.inv3.name)
        self.assertEqual(self._review(active_model="account.payment", active_ids=other.ids).payment_id, other)
        action = (
            self.env.ref("billing_specialist.billing_match_review_action_payment")
            .with_user(self.specialist)
            .with_context(active_model="account.payment", active_ids=other.ids)
            .run()
        )
        # The screen's domain names its sources (not its rows, which Refresh rebuilds): see test_matching_workbench.
        self.assertEqual(
            (action["res_model"], action["domain"]), ("billing.match.review", [("payment_id", "in", other.ids)])
        )
        rows = self._review(active_model="res.partner", active_id=self.customer_contact.id)
        self.assertEqual(rows.payment_id, mine, "only the customer's own payments")
        rows = self._review(active_model="account.bank.statement.line", active_ids=line.ids)
        self.assertEqual((rows.statement_line_id, rows.partner_id), (line, self.customer))
        rows.action_apply()
        with self.assertRaisesRegex(UserError, "bank lines are already reconciled"):
            self._review(active_model="account.bank.statement.line", active_ids=line.ids)

    def test_review_the_ones_a_run_left(self):
        applied = self._payment(1200.0, memo=self.inv1.name)
        left = self._payment(750.0)
        recurring = self._payment(99.0, memo="monthly fee", partner=self.other_customer)
        run = self._run(applied | left | recurring)
        self.assertEqual((run.applied_count, run.left_count), (1, 2))
        action = run.with_user(self.specialist).action_review_left()
        rows = self.env["billing.match.review"].with_user(self.specialist).search(action["domain"])
        self.assertEqual(rows.payment_id, left | recurring)
        rows.filtered(lambda rec: rec.payment_id == left).action_apply()
        run.invalidate_recordset(["left_count"])
        self.assertEqual(run.left_count, 1)
        self.assertEqual(run.kept_count, 1)
        run.with_user(self.specialist).action_undo()
        self.assertEqual((run.kept_count, run.applied_count), (0, 1), "an undone run's applications no longer count")
        self.assertEqual(run.left_count, 2)


@tagged("post_install", "-at_install")
class TestMatchingReviewSecurity(MatchingReviewCommon):
    def test_clients_cannot_write_what_the_engine_set(self):
        self._payment(750.0)
        row = self._review()
        for vals in (
            {"confidence": 100},
            {"reasons": "trust me"},
            {"payment_id": False},
            {"skipped": True},
            {"user_id": self.manager.id},
            {"company_id": self.company.id},
        ):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                row.write(vals)
        with self.assertRaisesRegex(UserError, "own customer"), self.env.cr.savepoint():
            row.write({"partner_id": self.other_customer.id})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["billing.match.review"].with_user(self.specialist).create(
                {
                    "company_id": self.company.id,
                    "user_id": self.specialist.id,
                    "source_type": "payment",
                    "payment_id": row.payment_id.id,
                }
            )
        self.assertEqual(row.confidence, 80)

    def test_rows_are_the_users_own_and_of_allowed_companies(self):
        self._payment(750.0)
        row = self._review()
        Manager = self.env["billing.match.review"].with_user(self.manager)
        self.assertFalse(Manager.search([]), "another user's rows are invisible")
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            Manager.browse(row.id).action_apply()
        other_company = self.setup_other_company(name="Other Billing Co")["company"]
        foreign = (
            self.env["billing.match.review"]
            .sudo()
            .create(
                {
                    "company_id": other_company.id,
                    "user_id": self.specialist.id,
                    "source_type": "payment",
                    "payment_id": row.payment_id.id,
                    "name": "foreign",
                }
            )
        )
        Review = self.env["billing.match.review"].with_user(self.specialist)
        self.assertEqual(Review.search([]), row, "another company's rows are invisible")
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            Review.browse(foreign.id).action_apply()
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["billing.match.review.allocation"].with_user(self.manager).create(
                {"review_id": row.id, "move_id": self.inv1.id, "amount": 1.0}
            )
        self.assertEqual(self.inv2.amount_residual, 300.0)

    def test_only_billing_users_open_the_screen(self):
        self._payment(750.0)
        with self.assertRaises(AccessError):
            self.env["billing.match.review"].with_user(self.internal_user).action_open_review()
        self.assertFalse(self.env["billing.match.review"].sudo().search([]))


@tagged("post_install", "-at_install")
class TestMatchingReviewConcurrency(concurrency.TestMatchingConcurrency):
    """Two real transactions apply the same review row: the second is refused at once, nothing applied twice.

    Reuses the committed fixture of the run's concurrency test (not its test).
    """

    test_rows_held_by_another_transaction_are_skipped = None

    def _row(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        payment = env["account.payment"].browse(self.ids["payment"])
        return env["billing.match.review"]._refresh(env["res.company"].browse(self.company_id), [payment])

    def test_a_row_applied_by_another_request_is_refused(self):
        with self.registry.cursor() as cr:
            self._row(cr)
        with self.registry.cursor() as first:
            first.execute("SELECT id FROM billing_match_review WHERE payment_id = %s", [self.ids["payment"]])
            row_id = first.fetchone()[0]
            first.execute("SELECT id FROM billing_match_review WHERE id = %s FOR UPDATE", [row_id])
            with self.registry.cursor() as second:
                row = api.Environment(second, SUPERUSER_ID, {})["billing.match.review"].browse(row_id)
                with self.assertRaisesRegex(UserError, "being applied by another request"):
                    row.action_apply()
                second.rollback()
            first.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(env["account.move"].browse(self.ids["invoice"]).amount_residual, 640.0)
            env["billing.match.review"].browse(row_id).action_apply()
            self.assertTrue(env["account.move"].browse(self.ids["invoice"]).payment_state in ("paid", "in_payment"))
            cr.rollback()
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM billing_match_review WHERE id = %s", [row_id])

    def test_a_payment_another_transaction_applies_is_refused_at_once(self):
        """The automatic run (or another user's review row) holds the payment's journal items while it applies them:
        applying this row is refused at once, nothing applied (here it would wait on them until its timeout)."""
        with self.registry.cursor() as cr:
            self._row(cr)
            cr.execute("SELECT id FROM billing_match_review WHERE payment_id = %s", [self.ids["payment"]])
            row_id = cr.fetchone()[0]
        self.addCleanup(self._delete_row, row_id)
        with self.registry.cursor() as holder:
            holder.execute("SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE", [tuple(self.payment_lines)])
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL statement_timeout = '3s'")
                row = api.Environment(cr, SUPERUSER_ID, {})["billing.match.review"].browse(row_id)
                with self.assertRaisesRegex(UserError, "being applied by another user; nothing was applied"):
                    row.action_apply()
                cr.rollback()
            holder.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(env["account.move"].browse(self.ids["invoice"]).amount_residual, 640.0)
            self.assertTrue(env["billing.match.review"].browse(row_id).exists(), "the row is kept to apply later")

    def _delete_row(self, row_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM billing_match_review WHERE id = %s", [row_id])


@tagged("post_install", "-at_install")
class TestMatchingReviewTour(ScreenshotTourMixin, MatchingReviewCommon, HttpCase):
    def test_review_change_apply_and_undo_in_the_browser(self):
        combination = self._payment(750.0, memo="")  # 300 + 450 with no reference: proposed at 80
        short = self._payment(290.0, memo=f"short {self.inv2.name}")  # 10 short: paid in part unless written off
        self.env["res.partner.bank"].create({"acc_number": "BE71 0961 2345 6769", "partner_id": self.customer.id})
        fee = self._invoice(80.0, invoice_date=self.today - timedelta(days=10))
        bank_line = self._bank_line(80.0, memo="invoice payment", account_number="BE71096123456769")
        other = self._payment(500.0, memo="on account", partner=self.other_customer)
        self.start_tour(
            "/odoo/action-billing_specialist.billing_match_review_action_open",
            "billing_specialist_matching_tour",
            login="bs_specialist",
        )
        run = self.env["billing.match.run"].search([("mode", "=", "manual")])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "undone", "the tour undid it")
        self.assertEqual((run.line_ids.payment_id, run.line_ids.statement_line_id), (short, bank_line))
        self.assertEqual(run.line_ids.filtered("payment_id").writeoff, 10.0, "the amount changed in the browser")
        self.assertFalse(bank_line.is_reconciled)
        self.assertEqual((fee.amount_residual, self.inv2.amount_residual), (80.0, 300.0))
        self.assertEqual((combination._billing_available(), other._billing_available()), (750.0, 500.0))


@tagged("post_install", "-at_install")
class TestReviewRowRefusesUnsafeApplies(MatchingReviewCommon):
    """The review screen and its manual runs attacked as a client would call them (the attacker's user, as JSON-RPC's
    call_kw runs it): negative or non-finite write-offs, an allocation moved to another user's row, a bank line
    applied for another customer, vendor bills, another company's invoices or undo. Each is refused with nothing
    applied."""

    def _writeoff_moves(self):
        return self.env["account.move"].search_count([("ref", "like", "Payment difference")])

    def test_review_row_negative_writeoff_is_refused(self):
        """An overpayment booked as a negative write-off: the customer's credit would go to the P&L, unlimited."""
        payment = self._payment(1000.0, memo=self.inv2.name)  # 700 more than INV2 needs
        row = self._review()
        self.assertEqual(row.allocation_ids.move_id, self.inv2)
        row.write({"writeoff": -700.0})
        with self.assertRaisesRegex(UserError, "cannot be negative.*Nothing was applied"), self.env.cr.savepoint():
            row.action_apply()
        self.assertEqual(self._writeoff_moves(), 0)
        self.assertEqual(self.inv2.amount_residual, 300.0)
        self.assertEqual(payment._billing_available(), 1000.0)
        manager_row = self._review(user=self.manager)
        manager_row.write({"writeoff": -700.0})
        with self.assertRaisesRegex(UserError, "cannot be negative"), self.env.cr.savepoint():
            manager_row.action_apply()
        self.assertEqual(self._writeoff_moves(), 0)

    def test_review_row_nan_or_infinite_writeoff_is_refused(self):
        self._payment(280.0, memo=self.inv2.name)
        row = self._review()
        for value in (float("nan"), float("inf"), float("-inf")):
            with self.assertRaisesRegex(UserError, "finite|not a number"), self.env.cr.savepoint():
                row.write(
                    {"allocation_ids": [Command.update(row.allocation_ids.id, {"amount": 300.0})], "writeoff": value}
                )
                row.action_apply()
            with self.assertRaisesRegex(UserError, "finite|not a number"), self.env.cr.savepoint():
                row.write({"allocation_ids": [Command.update(row.allocation_ids.id, {"amount": value})]})
                row.action_apply()
        self.assertEqual(self.inv2.amount_residual, 300.0)
        self.assertEqual(self._writeoff_moves(), 0)

    def test_allocation_cannot_be_moved_to_another_users_row(self):
        """An allocation's row is its own: re-pointing it puts invoices into a colleague's (a manager's) row."""
        self._payment(750.0)
        mine = self._review()
        theirs = self._review(user=self.manager)
        alloc = mine.allocation_ids[:1]
        before = theirs.allocation_ids
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            alloc.with_user(self.specialist).write({"review_id": theirs.id})
        theirs.invalidate_recordset()
        self.assertEqual(theirs.allocation_ids, before)
        self.assertEqual(alloc.review_id, mine)

    def test_bank_line_naming_its_customer_is_applied_for_that_customer_only(self):
        """A bank line of Acme (named on the line) cannot pay Globex's invoice by changing the row's customer."""
        line = self._bank_line(99.0, memo="fees", partner=self.customer)
        row = self._review()
        self.assertEqual(row.partner_id, self.customer)
        with self.assertRaisesRegex(UserError, "names its customer"), self.env.cr.savepoint():
            row.write(
                {
                    "partner_id": self.other_customer.id,
                    "allocation_ids": [Command.clear(), Command.create({"move_id": self.fee1.id, "amount": 99.0})],
                }
            )
        # Even with the row's customer left alone (written before the line named one), apply pays the line's own.
        row.sudo().partner_id = self.other_customer
        row.write({"allocation_ids": [Command.clear(), Command.create({"move_id": self.fee1.id, "amount": 99.0})]})
        with self.assertRaisesRegex(UserError, "another customer"), self.env.cr.savepoint():
            row.action_apply()
        self.assertEqual(self.fee1.amount_residual, 99.0)
        self.assertFalse(line.is_reconciled)

    def test_allocations_to_vendor_bills_or_other_company_invoices_are_refused(self):
        self._payment(300.0, memo=self.inv2.name)
        row = self._review()
        bill = self._invoice(300.0, move_type="in_invoice", partner=self.customer)
        other_company = self.setup_other_company(name="Attack Two Co")["company"]
        foreign = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "company_id": other_company.id,
                "invoice_date": self.today,
                "invoice_line_ids": [Command.create({"name": "x", "quantity": 1, "price_unit": 300.0})],
            }
        )
        foreign.action_post()
        for move in (bill, foreign):
            with self.assertRaises(UserError), self.env.cr.savepoint():
                row.write({"allocation_ids": [Command.clear(), Command.create({"move_id": move.id, "amount": 300.0})]})
                row.action_apply()
        self.assertEqual((bill.amount_residual, foreign.amount_residual), (300.0, 300.0))

    def test_manual_run_undo_by_another_company_is_refused(self):
        self._payment(300.0, memo=self.inv2.name)
        self._review().action_apply()
        run = self.env["billing.match.run"].search([("mode", "=", "manual")])
        other_company = self.setup_other_company(name="Attack Undo Co")["company"]
        self.manager.write({"company_ids": [Command.link(other_company.id)]})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            run.with_user(self.manager).with_context(allowed_company_ids=other_company.ids).action_undo()
        self.assertEqual(run.state, "done")
        self.assertEqual(self.inv2.payment_state in ("paid", "in_payment"), True)
