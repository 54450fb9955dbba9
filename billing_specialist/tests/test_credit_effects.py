from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from odoo.addons.billing_specialist.exceptions import BillingCheckBlocked
from odoo.addons.billing_specialist.report.billing_worklist_credit import HOLD_POINTS, WATCH_POINTS

from .credit_effects_common import CreditEffectsCommon

HOLD_REASONS = "Exposure of 12,000.00 is above the credit limit of 10,000.00.\nThe oldest item is 75 days late."


@tagged("post_install", "-at_install")
class TestCreditHoldCheck(CreditEffectsCommon):
    """The pre-send check "Customer on Credit Hold": warn by default, block when a manager says so, overridden as the
    other checks are; another company's hold and other states are not applied."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Check = cls.env["billing.invoice.check"]
        Check._ensure_for_companies(cls.company)
        cls.checks = Check.search([("company_id", "=", cls.company.id)])
        cls.checks.mode = "off"
        cls.check = cls.checks.filtered(lambda c: c.code == "credit_hold")
        cls.check.mode = "warn"

    def _held_draft(self, amount=2000.0, release=1500.0):
        move = self._invoice(amount, post=False)
        self._credit(self.customer, "hold", release, HOLD_REASONS)
        return move

    def _finding(self, move):
        return move.billing_check_result_ids.filtered(lambda r: r.code == "credit_hold")

    def test_seeded_in_warn_for_new_and_existing_companies(self):
        new_company = self.env["res.company"].create({"name": "Credit Seeded Co"})
        seeded = (
            self.env["billing.invoice.check"]
            .sudo()
            .search([("company_id", "=", new_company.id), ("code", "=", "credit_hold")])
        )
        self.assertEqual((len(seeded), seeded.mode), (1, "warn"), "a new install must not stop invoicing")
        seeded.unlink()
        self.env["billing.invoice.check"]._ensure_for_companies(new_company)
        again = (
            self.env["billing.invoice.check"]
            .sudo()
            .search([("company_id", "=", new_company.id), ("code", "=", "credit_hold")])
        )
        self.assertEqual(again.mode, "warn", "an existing company gets the check on update")
        self.assertEqual(again.name, "Customer on Credit Hold")

    def test_warn_posts_and_names_reasons_and_amount(self):
        """On the company's real rules: 1,500.00 posted and unpaid, a draft of 2,000.00, a limit of 1,000.00: the
        exposure of 3,500.00 holds the customer, paying 2,500.00 releases it."""
        self._invoice(1500.0)
        move = self._invoice(2000.0, post=False)
        status = self._recompute()
        self.assertEqual((status.state, status.amount_to_release), ("hold", 2500.0))
        move.with_user(self.specialist).action_post()
        self.assertEqual(move.state, "posted")
        finding = self._finding(move)
        self.assertEqual((finding.severity, finding.state), ("warn", "open"))
        money = self.company.currency_id.format
        self.assertEqual(
            finding.message,
            f"Acme Retail is on credit hold: Exposure of {money(3500.0)} is above the credit limit of "
            f"{money(1000.0)}. Paying {money(2500.0)} releases it.",
        )
        self.assertEqual(move.billing_check_state, "warn")

    def test_a_released_hold_no_longer_warns(self):
        self._invoice(1500.0)
        move = self._invoice(2000.0, post=False)
        self._release(self._recompute())
        self.assertEqual(self.customer._billing_credit_status(self.company).state, "watch")
        move.action_post()
        self.assertFalse(self._finding(move))

    def test_block_refuses_the_post(self):
        self.check.mode = "block"
        move = self._held_draft()
        with self.assertRaises(BillingCheckBlocked) as refusal:
            move.with_user(self.specialist).action_post()
        self.assertIn("Customer on Credit Hold", str(refusal.exception))
        self.assertIn("is on credit hold", str(refusal.exception))
        self.assertEqual(move.state, "draft")

    def test_manager_override_posts_with_reason(self):
        self.check.mode = "block"
        move = self._held_draft()
        move.with_user(self.manager).action_billing_override_checks()
        form = Form(
            self.env["billing.invoice.check.override"]
            .with_user(self.manager)
            .with_context(active_model="account.move", active_ids=move.ids)
        )
        form.reason = "Customer wired the payment today"
        form.save().action_confirm()
        self.assertEqual(move.state, "posted")
        finding = self._finding(move)
        self.assertEqual(
            (finding.state, finding.overridden_by, finding.override_reason),
            ("overridden", self.manager, "Customer wired the payment today"),
        )

    def test_specialist_and_user_without_group_cannot_override(self):
        self.check.mode = "block"
        move = self._held_draft()
        for user in (self.specialist, self.internal_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                move.with_user(user).action_billing_override_checks()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["billing.invoice.check.override"].with_user(user).create(
                    {"move_ids": [Command.set(move.ids)], "reason": "x"}
                ).action_confirm()
        self.assertEqual(move.state, "draft")

    def test_client_context_keys_do_not_override(self):
        self.check.mode = "block"
        move = self._held_draft()
        for value in (True, "1", {"reason": "said so", "uid": self.manager.id}):
            for user in (self.specialist, self.manager):
                with self.subTest(value=value, user=user.login), self.assertRaises(BillingCheckBlocked):
                    move.with_user(user).with_context(billing_check_override=value).action_post()
        self.assertEqual(move.state, "draft")

    def test_another_companys_hold_is_not_applied(self):
        self.check.mode = "block"
        company_2 = self.setup_other_company(name="Credit Other Co")["company"]
        move = self._invoice(500.0, post=False)  # half the limit: OK here
        self._credit(self.customer, "hold", 900.0, HOLD_REASONS, company=company_2)
        move.with_user(self.specialist).action_post()
        self.assertEqual(move.state, "posted")
        self.assertFalse(self._finding(move))
        self.assertFalse(move.billing_credit_hold_note)

    def test_ok_watch_and_credit_notes_are_not_held(self):
        self.check.mode = "block"
        for state in ("ok", "watch"):
            move = self._invoice(500.0, post=False)
            self._credit(self.customer, state, 0.0, "Close to the limit.")
            move.action_post()
            self.assertEqual(move.state, "posted", state)
            self.assertFalse(self._finding(move))
        refund = self._invoice(100.0, post=False, move_type="out_refund")
        self._credit(self.customer, "hold", 300.0, HOLD_REASONS)
        refund.action_post()
        self.assertEqual(refund.state, "posted", "a credit note lowers what is owed: never held")

    def test_off_does_nothing(self):
        self.check.mode = "off"
        move = self._held_draft()
        move.action_post()
        self.assertFalse(self._finding(move))

    def test_hold_paying_cannot_release(self):
        reasons = "2 broken promises in the last 90 days (hold at 2). Paying does not release this hold; a billing manager can."
        move = self._invoice(500.0, post=False)
        self._credit(self.customer, "hold", 0.0, reasons)
        findings = {code: message for code, _sev, message in move._billing_run_checks()[move.id]}
        self.assertEqual(findings["credit_hold"], f"Acme Retail is on credit hold: {reasons}")

    def test_the_draft_invoice_shows_the_hold(self):
        move = self._held_draft()
        note = move.with_user(self.specialist).billing_credit_hold_note
        self.assertIn("Acme Retail is on credit hold", note)
        self.assertIn(self.company.currency_id.format(1500.0), note)
        self._credit(self.customer, "ok", 0.0, "")
        move.invalidate_recordset(["billing_credit_hold_note"])
        self.assertFalse(move.billing_credit_hold_note, "released: nothing shown")


@tagged("post_install", "-at_install")
class TestCreditWorklist(CreditEffectsCommon):
    """Held and watched customers show on the worklist and rank higher, by documented account points.

    Three customers with the same overdue ledger (1,000 due T-30: 1.00 age point each): Acme Retail on hold
    (+HOLD_POINTS), Globex Stores on watch (+WATCH_POINTS), Initech OK (0). Order: Acme, Globex, Initech."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        T = cls.today
        cls.initech = cls.env["res.partner"].create({"name": "Initech", "is_company": True})
        for partner in (cls.customer, cls.other_customer, cls.initech):
            cls._invoice(
                1000.0, partner=partner, invoice_date=T - timedelta(days=60), invoice_date_due=T - timedelta(days=30)
            )
        cls._credit(cls.customer, "hold", 1000.0, HOLD_REASONS)
        cls._credit(cls.other_customer, "watch", 0.0, "Exposure is 90 % of the credit limit.")

    def _rows(self, user=None):
        Worklist = self.env["billing.worklist"].with_user(user or self.manager)
        return Worklist.search([("partner_id", "in", (self.customer | self.other_customer | self.initech).ids)])

    def test_rank_order_with_points(self):
        rows = self._rows()
        self.assertEqual(rows.partner_id, self.customer | self.other_customer | self.initech)
        self.assertEqual([row.partner_id for row in rows], [self.customer, self.other_customer, self.initech])
        self.assertEqual(rows.mapped("credit_state"), ["hold", "watch", "ok"])
        self.assertEqual(rows.mapped("points_account"), [HOLD_POINTS, WATCH_POINTS, 0.0])
        self.assertEqual(rows.mapped("score"), [1.0 + HOLD_POINTS, 1.0 + WATCH_POINTS, 1.0])
        self.assertTrue(rows[0].reason.startswith("on credit hold; "), rows[0].reason)
        self.assertTrue(rows[1].reason.endswith("; on credit watch"), rows[1].reason)
        self.assertNotIn("credit", rows[2].reason)
        self.assertIn("+500 on credit hold", rows._fields["score"].help)

    def test_paid_rows_still_say_first_not_to_call(self):
        self._payment(1000.0)
        row = self._rows().filtered(lambda r: r.partner_id == self.customer)
        self.assertEqual(row.call_status, "paid")
        self.assertTrue(row.reason.startswith("paid, not applied yet: do not call; on credit hold; "), row.reason)

    def test_another_companys_hold_does_not_rank(self):
        company_2 = self.setup_other_company(name="Worklist Credit Co")["company"]
        self._credit(self.initech, "hold", 1000.0, HOLD_REASONS, company=company_2)
        row = self._rows().filtered(lambda r: r.partner_id == self.initech)
        self.assertEqual((row.credit_state, row.points_account), ("ok", 0.0))

    def test_the_customer_screen_shows_the_state(self):
        Collection = self.env["billing.collection"].with_user(self.specialist)
        held = Collection._for_partners(self.customer, self.company)
        self.assertEqual(held.credit_state, "hold")
        self.assertIn("Acme Retail is on credit hold: Exposure of 12,000.00", held.credit_note)
        watched = Collection._for_partners(self.other_customer, self.company)
        self.assertEqual((watched.credit_state, watched.credit_note), ("watch", False))
        ok = Collection._for_partners(self.initech, self.company)
        self.assertEqual((ok.credit_state, ok.credit_note), ("ok", False))

    def test_a_user_without_the_group_reads_no_row(self):
        with self.assertRaises(AccessError):
            self._rows(self.internal_user).mapped("credit_state")
