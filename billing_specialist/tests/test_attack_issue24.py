"""Issue 24 attacked: credit control and the cash outlook, as a specialist, a portal customer and another company."""

import io
import math
from datetime import timedelta

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..exceptions import BillingCheckBlocked
from ..models.billing_dispute_line import BOOKING_KEY
from ..models.billing_report_hook import ReportScope
from .test_credit import CreditCommon


@tagged("post_install", "-at_install")
class TestAttackCreditLimit(CreditCommon):
    """A specialist never sets a customer's credit limit, whatever the path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        editors = cls.env.ref("base.group_partner_manager")
        cls.specialist.write({"groups_id": [Command.link(editors.id)]})

    def test_limit_set_on_a_contact_then_the_contact_detached(self):
        """Two steps: a limit written on a contact (not its own), then the contact made a customer of its own."""
        contact = self.customer_contact.with_user(self.specialist)
        with self.assertRaises(AccessError):
            contact.write({"credit_limit": 1e9})
        contact.write({"parent_id": False})
        self.assertEqual(contact.with_company(self.company).sudo().credit_limit, 1000.0, "the parent's, synced")

    def test_contact_made_a_company_with_its_own_limit(self):
        contact = self.customer_contact.with_user(self.specialist)
        with self.assertRaises(AccessError):
            contact.write({"is_company": True, "credit_limit": 1e9})
        with self.assertRaises(AccessError):
            self.env(user=self.specialist)["res.partner"].create(
                {"name": "Acme Branch", "parent_id": self.customer.id, "is_company": True, "credit_limit": 1e9}
            )

    def test_contact_keeps_its_customers_limit(self):
        """What Odoo's sync writes on a contact (the parent's limit) stays allowed."""
        contact = self.env(user=self.specialist)["res.partner"].create(
            {"name": "Bob Buyer", "parent_id": self.customer.id, "credit_limit": 1000.0}
        )
        self.assertEqual(contact.with_company(self.company).credit_limit, 1000.0)
        contact.write({"credit_limit": 1000.0, "phone": "+1 555 0102"})

    def test_limit_through_load_and_copy(self):
        Partner = self.env(user=self.specialist)["res.partner"]
        result = Partner.load([".id", "credit_limit"], [[str(self.customer.id), "9e9"]])
        self.assertTrue(result["messages"], "the import is refused")
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 1000.0, "an import sets nothing")
        with self.assertRaises(AccessError):
            self.customer.with_user(self.specialist).copy({"credit_limit": 1e9})

    def test_limit_nan_and_infinite_refused_even_for_a_manager(self):
        partner = self.customer.with_user(self.manager)
        for value in (math.nan, math.inf, -1.0, "NaN"):
            with self.subTest(value=value), self.assertRaises(ValidationError):
                partner.write({"credit_limit": value})
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 1000.0)


@tagged("post_install", "-at_install")
class TestAttackCreditStatus(CreditCommon):
    """The held state and its figures: nobody but the application writes them."""

    def _held(self):
        self._invoice(1500.0)
        status = self._status()
        self.assertEqual(status.state, "hold")
        return status

    def test_command_tricks_on_the_customer(self):
        status = self._held()
        for user in (self.specialist, self.manager):
            partner = self.customer.with_user(user)
            for command in (
                Command.update(status.id, {"state": "ok"}),
                Command.create({"company_id": self.company.id, "state": "ok"}),
                Command.delete(status.id),
                Command.unlink(status.id),
                Command.set([]),
            ):
                with self.subTest(user=user.login, command=command), self.assertRaises(AccessError):
                    partner.write({"billing_credit_status_ids": [command]})
        with self.assertRaises(AccessError):
            status.with_user(self.manager).copy()
        status.invalidate_recordset()
        self.assertEqual(status.state, "hold")

    def test_release_wizard_fields_and_context(self):
        status = self._held()
        Wizard = self.env(user=self.specialist)["billing.credit.release"]
        with self.assertRaises(AccessError):
            Wizard.with_context(default_status_id=status.id).create({"reason": "mine"})
        manager_wizard = (
            self.env(user=self.manager)["billing.credit.release"]
            .with_context(default_status_id=status.id)
            .create({"reason": "Plan"})
        )
        with self.assertRaises(AccessError):
            manager_wizard.with_user(self.specialist).action_release()
        for date_end in (self.today - timedelta(days=1), self.today + timedelta(days=400)):
            manager_wizard.date_end = date_end
            with self.subTest(date_end=date_end), self.assertRaises(ValidationError):
                manager_wizard.action_release()
        for bad in (math.nan, "not a date", 1e308):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                manager_wizard.write({"date_end": bad})
        status.invalidate_recordset()
        self.assertEqual(status.state, "hold")
        self.assertFalse(status.released_by_id)

    def test_release_of_another_companys_hold(self):
        other = self.setup_other_company()["company"]
        foreign = (
            self.env["billing.credit.status"]
            .sudo()
            .create({"partner_id": self.other_customer.id, "company_id": other.id, "state": "hold"})
        )
        wizard = (
            self.env(user=self.manager)["billing.credit.release"]
            .with_context(default_status_id=foreign.id)
            .create({"reason": "Across the wall"})
        )
        with self.assertRaises(AccessError):
            wizard.with_context(allowed_company_ids=[self.company.id, other.id]).action_release()
        self.assertFalse(foreign.released_by_id)

    def test_a_second_release_of_a_released_hold_is_refused(self):
        status = self._held()
        self._release(status)
        self.assertEqual(status.state, "watch")
        with self.assertRaises(UserError):
            self._release(status, reason="Again")


@tagged("post_install", "-at_install")
class TestAttackOutlookSheet(CreditCommon):
    def test_customer_name_starting_with_equals_is_text(self):
        evil = self.env["res.partner"].create({"name": '=HYPERLINK("http://evil.example","x")', "is_company": True})
        self._invoice(700.0, partner=evil, invoice_date=self.today, invoice_date_due=self.today + timedelta(days=7))
        self.env["billing.outlook.line"].sudo()._billing_refresh(self.company)
        scope = ReportScope.of(self.company, self.today.replace(day=1), self.today)
        data = self.env["billing.workbook"].with_user(self.specialist)._build_for(scope)
        sheet = openpyxl.load_workbook(io.BytesIO(data))["Cash Outlook"]
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == evil.name]
        self.assertTrue(cells, "the customer is on the sheet")
        self.assertTrue(all(cell.data_type == "s" for cell in cells), "written as text, never a formula")


@tagged("post_install", "-at_install")
class TestAttackHeldInvoice(CreditCommon):
    def test_forged_booking_and_override_keys_post_nothing(self):
        """A held customer's draft is refused whatever the client puts in the context (the dispute's booking key
        and the override are Python objects, JSON cannot forge them)."""
        Check = self.env["billing.invoice.check"]
        Check._ensure_for_companies(self.company)
        checks = Check.search([("company_id", "=", self.company.id)])
        checks.mode = "off"
        checks.filtered(lambda c: c.code == "credit_hold").mode = "block"
        self._invoice(1500.0)
        self.assertEqual(self._status().state, "hold")
        draft = self._invoice(100.0, post=False)
        keys = {BOOKING_KEY: True, "billing_check_override": {"reason": "x"}, "active_test": False, "tz": "Etc/GMT-14"}
        for user in (self.specialist, self.manager):
            with self.subTest(user=user.login), self.assertRaises(BillingCheckBlocked):
                draft.with_user(user).with_context(**keys).action_post()
        self.assertEqual(draft.state, "draft")
        # Odoo's write takes a state: "posted" written directly skips ``_post`` and every pre-send check.
        for user in (self.specialist, self.manager):
            with self.subTest(user=user.login, path="write"), self.assertRaises(UserError):
                draft.with_user(user).write({"state": "posted"})
        draft.invalidate_recordset()
        self.assertEqual(draft.state, "draft")


@tagged("post_install", "-at_install")
class TestAttackOutlookGroups(CreditCommon):
    def test_read_group_keeps_companies_apart(self):
        other = self.setup_other_company()["company"]
        self.manager.write({"company_ids": [Command.link(other.id)]})
        Line = self.env["billing.outlook.line"].sudo()
        week = self.env["billing.outlook.week"]._week_start() + timedelta(days=8)
        for company, amount in ((self.company, 100.0), (other, 5000.0)):
            Line.create(
                {
                    "company_id": company.id,
                    "partner_id": self.customer.id,
                    "kind": "item",
                    "amount_open": amount,
                    "amount_expected": amount,
                    "date_expected": week,
                    "date_refreshed": self.today,
                }
            )
        self.env.flush_all()
        for user, context in (
            (self.specialist, {}),
            (self.manager, {"allowed_company_ids": [self.company.id]}),
        ):
            Week = self.env["billing.outlook.week"].with_user(user).with_context(**context)
            groups = Week.read_group([], ["amount_expected:sum", "amount_high:sum"], ["company_id"])
            with self.subTest(user=user.login):
                self.assertEqual([g["company_id"][0] for g in groups], self.company.ids)
                self.assertEqual(groups[0]["amount_expected"], 100.0)
                accuracy = self.env["billing.outlook.accuracy"].with_user(user).with_context(**context)
                self.assertFalse(accuracy.read_group([("company_id", "=", other.id)], ["company_id"], ["company_id"]))
        with self.assertRaises(AccessError):
            self.env["billing.outlook.week"].with_user(self.specialist).with_context(
                allowed_company_ids=[other.id]
            ).read_group([], ["amount_expected:sum"], ["company_id"])


@tagged("post_install", "-at_install")
class TestAttackStatusRank(CreditCommon):
    def test_manager_cannot_write_the_rank_that_puts_holds_first(self):
        """``state_rank`` (stored, computed from the state) orders held customers first: no client writes it."""
        self._invoice(1500.0)
        status = self._status()
        self.assertEqual(status.state_rank, 2)
        with self.assertRaises(AccessError):
            status.with_user(self.manager).write({"state_rank": 0})
        self.assertEqual(status.state_rank, 2)


@tagged("post_install", "-at_install")
class TestAttackSettingsAndNames(CreditCommon):
    def test_impossible_outlook_and_credit_settings_are_refused(self):
        """Huge, negative and NaN values never reach a company's outlook or hold rules."""
        fields_ = (
            "billing_outlook_default_days",
            "billing_outlook_default_spread",
            "billing_outlook_dispute_days",
            "billing_credit_hold_overdue_days",
            "billing_credit_hold_broken_promises",
            "billing_credit_watch_percent",
        )
        before = self.company.read(list(fields_))[0]
        for fname in fields_:
            for value in (-1000, 10**9, math.nan, math.inf):
                with self.subTest(field=fname, value=value):
                    refused = None
                    try:
                        with self.env.cr.savepoint():
                            self.company.write({fname: value})
                            self.company.flush_recordset()
                    except (ValidationError, ValueError, OverflowError) as error:
                        refused = error
                    self.assertTrue(refused, "refused")
        self.company.invalidate_recordset()
        self.assertEqual(self.company.read(list(fields_))[0], before)

    def test_a_look_alike_name_is_another_customer(self):
        """The hold is the customer's (its id), never a name: a Cyrillic look-alike is not held, nor releases."""
        self._invoice(1500.0)
        self.assertEqual(self._status().state, "hold")
        twin = self.env["res.partner"].create({"name": "\u0410cme Retail", "is_company": True})
        self.assertFalse(twin._billing_credit_status(self.company))
        self.assertEqual(twin.with_user(self.specialist).billing_credit_state, "ok")
        self.assertEqual(self.customer.with_user(self.specialist).billing_credit_state, "hold")


@tagged("post_install", "-at_install")
class TestAttackDraftCreditNote(CreditCommon):
    def test_a_draft_credit_note_releases_nothing(self):
        """A draft credit note is not money the customer owes less (until posted): a specialist's draft of any
        amount must not take a held customer out of hold, to be deleted once the orders went through."""
        self._invoice(1500.0)
        self.assertEqual(self._status().state, "hold")
        refund = self.env(user=self.specialist)["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer.id,
                "invoice_line_ids": [Command.create({"name": "Goodwill", "price_unit": 1e6, "tax_ids": []})],
            }
        )
        self.assertEqual(refund.state, "draft")
        status = self._status()
        self.assertEqual((status.state, status.exposure), ("hold", 1500.0))
        refund.action_post()
        self.assertEqual(self._status().state, "ok", "posted, it lowers what the customer owes")
