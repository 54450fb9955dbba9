"""Attack pass on issue 10 (review screen, manual runs, billing settings, assignment): each test replays an attack
through the entry point a client has (ORM with the attacker's user, as JSON-RPC's call_kw runs it) and proves it is
refused with nothing written."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_matching_review import MatchingReviewCommon


@tagged("post_install", "-at_install")
class TestAttackPass2(MatchingReviewCommon):
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

    # ------------------------------------------------------------------ refused already (kept as regressions)

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

    def test_aging_row_of_another_company_opens_nothing(self):
        other_company = self.setup_other_company(name="Attack Aging Co")["company"]
        row = (
            self.env["billing.report.aging.line"]
            .with_user(self.specialist)
            .create(
                {
                    "partner_id": self.customer.id,
                    "date_as_of": self.today,
                    "company_ids": [Command.set(other_company.ids)],
                }
            )
        )
        with self.assertRaises(UserError):  # the company is not the specialist's: refused either way
            row.action_open_items()

    def test_settings_saved_under_another_allowed_company_are_refused(self):
        other_company = self.setup_other_company(name="Attack Settings Co")["company"]
        self.manager.write({"company_ids": [Command.link(other_company.id)]})
        Settings = self.env["billing.settings"].with_user(self.manager)
        settings = Settings.create({"billing_aging_buckets": "10,20", "billing_dispute_assignment": "leader"})
        with self.assertRaises(AccessError):
            settings.with_context(allowed_company_ids=[other_company.id, self.company.id]).action_save()
        self.assertEqual(other_company.billing_aging_buckets, "30,60,90,120")
        self.assertEqual(self.company.billing_aging_buckets, "30,60,90,120")
