from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .screenshots import ScreenshotTourMixin
from .test_matching_review import MatchingReviewCommon

PANEL = "billing_specialist.billing_match_review_view_form_panel"


@tagged("post_install", "-at_install")
class TestMatchingWorkbench(MatchingReviewCommon):
    """The workbench's figures: the payment and what it still has, the running difference, invoices claimed twice."""

    def _row_of(self, source, rows=None):
        rows = rows if rows is not None else self._review()
        return rows.filtered(lambda row: (row.payment_id or row.statement_line_id) == source)

    def test_payment_amount_and_unapplied_remainder_both_shown(self):
        payment = self._payment(1500.0, memo=self.inv1.name)
        payment._billing_apply([(self.inv2.id, 300.0)])  # 300 of it applied before: 1,200 left
        line = self._bank_line(80.0, memo="transfer 8812")
        rows = self._review()
        row = self._row_of(payment, rows)
        self.assertEqual((row.payment_amount, row.amount, row.amount_company), (1500.0, 1200.0, 1200.0))
        self.assertEqual(self._row_of(line, rows).payment_amount, 80.0)
        fields = self.env["billing.match.review"].fields_get(["payment_amount", "amount", "remainder"], ["string"])
        self.assertEqual(
            [fields[name]["string"] for name in ("payment_amount", "amount", "remainder")],
            ["Payment Amount", "Unapplied", "Difference"],
            "both amounts labelled, never a bare 'Amount'",
        )

    def test_running_difference_follows_the_edits_on_the_panel(self):
        """amount - invoices + write-off, recomputed as the user types (the panel's onchange), then saved."""
        self._payment(290.0, memo=f"short {self.inv2.name}")
        row = self._review()
        self.assertEqual((row.allocated, row.writeoff, row.remainder), (290.0, 0.0, 0.0))
        with Form(row.with_user(self.specialist), view=PANEL) as panel:
            with panel.allocation_ids.edit(0) as alloc:
                alloc.amount = 300.0
            self.assertEqual(panel.remainder, -10.0, "the invoices ask 10 more than the payment has")
            panel.writeoff = 10.0
            self.assertEqual(panel.remainder, 0.0)
        self.assertEqual((row.allocated, row.writeoff, row.remainder), (300.0, 10.0, 0.0))

    def test_badge_says_the_rows_state_never_the_buttons_word(self):
        labels = dict(self.env["billing.match.review"]._fields["confidence_band"]._description_selection(self.env))
        self.assertEqual(labels["high"], "Ready")
        self.assertNotIn("Apply", labels.values(), "Apply is the button's word")
        self._payment(1200.0, memo=self.inv1.name)
        self.assertEqual(self._review().confidence_band, "high")

    def test_two_rows_claiming_one_invoice_are_flagged_and_applying_both_is_refused(self):
        first = self._payment(300.0, memo=self.inv2.name)
        second = self._payment(300.0, memo="on account")
        rows = self._review()
        first_row, second_row = self._row_of(first, rows), self._row_of(second, rows)
        second_row.write(
            {"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv2.id, "amount": 300.0})]}
        )
        rows.invalidate_recordset(["duplicate_claim", "duplicate_note"])
        self.assertEqual(rows.mapped("duplicate_claim"), [True, True], "flagged on both rows, before Apply")
        self.assertIn(f"{self.inv2.name} is also claimed by {second_row.name}", first_row.duplicate_note)
        self.assertIn("600.00", first_row.duplicate_note, "what the two rows claim together")
        self.assertEqual(rows.search([("duplicate_claim", "=", True)]), rows, "the filter finds them")
        with self.assertRaisesRegex(UserError, "Nothing was applied"), self.env.cr.savepoint():
            rows.action_apply()
        self.assertEqual(self.inv2.amount_residual, 300.0, "neither was applied")
        first_row.action_apply()
        second_row.invalidate_recordset(["duplicate_claim"])
        self.assertFalse(second_row.duplicate_claim, "the other claim was applied: nothing claims it twice now")
        with self.assertRaises(UserError), self.env.cr.savepoint():
            second_row.action_apply()
        self.assertEqual(second._billing_available(), 300.0, "the engine refuses to apply the paid invoice again")

    def test_claims_that_fit_the_open_amount_are_no_alert(self):
        """Three rows share an invoice open for 1,200 with 900 together: nothing to flag; one more and it is."""
        payments = [self._payment(300.0, memo=f"part {number}") for number in range(4)]
        rows = self._review()
        self._row_of(payments[3], rows).allocation_ids = [Command.clear()]
        for payment in payments[:3]:
            self._row_of(payment, rows).write(
                {"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv1.id, "amount": 300.0})]}
            )
        rows.invalidate_recordset(["duplicate_claim", "duplicate_note"])
        self.assertFalse(any(rows.mapped("duplicate_claim")), "900 claimed of 1,200 open: they fit")
        self.assertFalse(rows.search([("id", "in", rows.ids), ("duplicate_claim", "=", True)]), "nor does the filter")
        fourth = self._row_of(payments[3], rows)
        fourth.write({"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv1.id, "amount": 400.0})]})
        rows.invalidate_recordset(["duplicate_claim", "duplicate_note"])
        self.assertTrue(all(rows.filtered("allocation_ids").mapped("duplicate_claim")), "1,300 claimed, 1,200 open")
        self.assertRegex(fourth.duplicate_note, r"1,300\.00 together, \S+\s?1,200\.00 open")
        self.assertEqual(
            rows.search([("id", "in", rows.ids), ("duplicate_claim", "=", True)]), rows.filtered("allocation_ids")
        )

    def test_a_payment_and_its_bank_line_are_probably_the_same_money(self):
        """A registered payment and a bank line of the same amount on one invoice: flagged even though both fit."""
        payment = self._payment(300.0, memo="on account")
        line = self._bank_line(300.0, memo="transfer", partner=self.customer)
        rows = self._review()
        for source in (payment, line):
            self._row_of(source, rows).write(
                {"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv1.id, "amount": 300.0})]}
            )
        rows.invalidate_recordset(["duplicate_claim", "duplicate_note"])
        pay_row, line_row = self._row_of(payment, rows), self._row_of(line, rows)
        self.assertEqual((pay_row.duplicate_claim, line_row.duplicate_claim), (True, True))
        expected = f"probably the same money: payment {pay_row.name} and its bank line {line_row.name}"
        self.assertIn(expected, pay_row.duplicate_note)
        self.assertIn(expected, line_row.duplicate_note)

    def test_a_skipped_row_claims_nothing(self):
        first = self._payment(300.0, memo=self.inv2.name)
        second = self._payment(300.0, memo="on account")
        rows = self._review()
        self._row_of(second, rows).write(
            {"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv2.id, "amount": 300.0})]}
        )
        self._row_of(second, rows).action_skip()
        self.assertFalse(self._row_of(first, rows).duplicate_claim)

    def test_refresh_reloads_in_place_and_the_screen_keeps_its_sources(self):
        """Refresh rebuilds the rows and reloads the same screen: no new action, no breadcrumb piled up."""
        payment = self._payment(300.0, memo=self.inv2.name)
        self._payment(450.0, memo=self.inv3.name)
        Review = self.env["billing.match.review"].with_user(self.specialist)
        action = Review.with_context(active_model="account.payment", active_ids=payment.ids).action_open_review()
        before = Review.search(action["domain"])
        self.assertEqual(before.payment_id, payment)
        result = before.action_refresh()
        self.assertEqual(result, {"type": "ir.actions.client", "tag": "soft_reload"})
        self.assertFalse(before.exists(), "rebuilt from the engine")
        self.assertEqual(Review.search(action["domain"]).payment_id, payment, "the reloaded screen finds its row")

    def test_add_an_open_item_from_the_panel(self):
        self._payment(500.0, memo="on account")
        row = self._review()
        row.write({"allocation_ids": [Command.clear()]})
        self.assertEqual(row.open_item_ids, self.inv1 | self.inv2 | self.inv3)
        self.assertEqual(row.action_add_open_item(self.inv1.id), 500.0, "what the payment has, at most the open")
        self.assertEqual((row.allocation_ids.move_id, row.remainder), (self.inv1, 0.0))
        self.assertNotIn(self.inv1, row.open_item_ids)
        self.assertEqual(row.action_add_open_item(self.inv2.id), 300.0, "nothing left: the item's open amount")
        self.assertEqual(row.remainder, -300.0)


@tagged("post_install", "-at_install")
class TestMatchingWorkbenchAttacks(MatchingReviewCommon):
    """The workbench's RPC (``action_add_open_item``) and the allocations' amounts, called as a client would."""

    def test_add_open_item_refused_to_users_without_the_billing_group(self):
        self._payment(500.0, memo="on account")
        row = self._review()
        row.write({"allocation_ids": [Command.clear()]})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            row.with_user(self.internal_user).action_add_open_item(self.inv1.id)
        self.assertNotIn(self.inv1, row.allocation_ids.move_id)

    def test_add_open_item_refused_on_another_users_or_another_companys_row(self):
        self._payment(500.0, memo="on account")
        row = self._review()
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            row.with_user(self.manager).action_add_open_item(self.inv1.id)
        other_company = self.setup_other_company(name="Workbench Other Co")["company"]
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
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            foreign.with_user(self.specialist).action_add_open_item(self.inv1.id)
        # A client-set company context does not open another company's rows to a user who lacks it.
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            foreign.with_user(self.specialist).with_context(allowed_company_ids=other_company.ids).action_add_open_item(
                self.inv1.id
            )
        self.assertFalse(foreign.allocation_ids)

    def test_add_open_item_refuses_what_is_not_the_customers_open_item(self):
        self._payment(500.0, memo="on account")
        row = self._review()
        row.write({"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv2.id, "amount": 300.0})]})
        paid = self._invoice(50.0)
        self._pay(paid, 50.0)
        bill = self._invoice(40.0, move_type="in_invoice", partner=self.customer)
        draft = self._invoice(30.0, post=False)
        for move_id in (self.fee1.id, self.inv2.id, paid.id, bill.id, draft.id, 0, -1, True, "1", [self.inv1.id]):
            with self.assertRaises(UserError), self.env.cr.savepoint():
                row.with_context(active_test=False, billing_skip_checks=True).action_add_open_item(move_id)
        self.assertEqual(row.allocation_ids.mapped("amount"), [300.0], "nothing added")

    def test_negative_nan_or_huge_allocations_are_refused_and_nothing_changes(self):
        self._payment(300.0, memo=self.inv2.name)
        row = self._review()
        alloc = row.allocation_ids
        self.assertEqual(alloc.amount, 300.0)
        for value in (-1.0, -300.0, float("nan"), float("inf"), 1e13, 1e300):
            with self.assertRaises(UserError), self.env.cr.savepoint():
                row.write({"allocation_ids": [Command.update(alloc.id, {"amount": value})]})
            with self.assertRaises(UserError), self.env.cr.savepoint():
                row.write({"allocation_ids": [Command.create({"move_id": self.inv3.id, "amount": value})]})
        with self.assertRaisesRegex(UserError, "too large"), self.env.cr.savepoint():
            row.write({"writeoff": 1e13})
        row.invalidate_recordset()
        self.assertEqual((row.allocation_ids, alloc.amount, row.writeoff), (alloc, 300.0, 0.0))
        self.assertEqual(self.inv2.amount_residual, 300.0)


@tagged("post_install", "-at_install")
class TestMatchingWorkbenchTour(ScreenshotTourMixin, MatchingReviewCommon, HttpCase):
    browser_size = "1400x900"

    def test_workbench_select_edit_flag_apply(self):
        """Select a row, see its panel, edit an allocation (the difference follows), see an invoice claimed twice,
        apply from the panel: the row leaves the list, the next one is selected, no dialog."""
        short = self._payment(290.0, memo=f"short payment for {self.inv2.name}, bank charges deducted by our bank")
        twin = self._payment(450.0, memo=self.inv3.name)
        rival = self._payment(450.0, memo="remittance to follow")
        for number in range(14):  # enough rows to show that 12 fit on one screen
            self._bank_line(10.0 + number, memo=f"deposit {number}", date=self.today - timedelta(days=2))
        rows = self._review()
        rows.filtered(lambda row: row.payment_id == rival).write(
            {"allocation_ids": [Command.clear(), Command.create({"move_id": self.inv3.id, "amount": 450.0})]}
        )
        self.start_tour(
            "/odoo/action-billing_specialist.billing_match_review_action_open",
            "billing_specialist_matching_workbench_tour",
            login="bs_specialist",
        )
        run = self.env["billing.match.run"].search([("mode", "=", "manual")])
        self.assertEqual(len(run), 1, "applied once, from the panel")
        self.assertEqual(run.line_ids.payment_id, short)
        self.assertEqual(run.line_ids.writeoff, 10.0, "the write-off typed in the panel")
        self.assertTrue(self.inv2.currency_id.is_zero(self.inv2.amount_residual))
        self.assertEqual((twin._billing_available(), rival._billing_available()), (450.0, 450.0))
        added = self.env["billing.match.review"].sudo().search([("payment_id", "=", rival.id)]).allocation_ids
        self.assertEqual(
            sorted(added.mapped(lambda alloc: (alloc.move_id.name, alloc.amount))),
            [(self.inv1.name, 1200.0), (self.inv3.name, 450.0)],
            "the open item added in the browser, after Refresh rebuilt the rows",
        )
