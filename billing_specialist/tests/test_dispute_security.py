from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeSecurity(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.case = cls.env["billing.dispute"].create(
            {
                "partner_id": cls.customer.id,
                "reason_id": cls.reason_pricing.id,
                "line_ids": [Command.create({"move_id": cls._invoice(500.0).id, "amount_disputed": 100.0})],
            }
        )
        cls.other_case = cls.env["billing.dispute"].create(
            {
                "partner_id": cls.other_customer.id,
                "reason_id": cls.reason_pricing.id,
                "line_ids": [
                    Command.create(
                        {
                            "move_id": cls._invoice(500.0, partner=cls.other_customer).id,
                            "amount_disputed": 100.0,
                        }
                    )
                ],
            }
        )

    def test_specialist_works_cases_but_cannot_delete_or_configure(self):
        case = self.case.with_user(self.specialist)
        case.write({"priority": "2", "user_id": self.specialist.id})
        self.assertEqual(case.priority, "2")
        with self.assertRaises(AccessError):
            case.unlink()
        with self.assertRaises(AccessError):
            self.env["billing.dispute.reason"].with_user(self.specialist).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.reason_pricing.with_user(self.specialist).sla_days = 1
        with self.assertRaises(AccessError):
            self.env["billing.dispute.stage"].with_user(self.specialist).create({"name": "X", "state": "new"})

    def test_manager_configures_and_deletes_open_cases(self):
        reason = self.env["billing.dispute.reason"].with_user(self.manager).create({"name": "Late delivery"})
        self.assertTrue(reason.exists())
        self.case.with_user(self.manager).unlink()
        self.assertFalse(self.case.exists())

    def test_resolved_case_cannot_be_deleted_even_by_manager(self):
        self._resolve(self.case)
        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.case.with_user(self.manager).unlink()

    def test_internal_user_without_billing_group_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.env["billing.dispute"].with_user(self.internal_user).search([])
        with self.assertRaises(AccessError):
            self.case.with_user(self.internal_user).read(["name"])
        # The invoice itself stays readable, with its dispute flag, for the accountant.
        invoice = self.case.invoice_ids.with_user(self.internal_user)
        self.assertTrue(invoice.billing_in_dispute)
        self.assertEqual(invoice.billing_disputed_amount, 100.0)
        self.assertNotIn("billing_dispute_line_ids", invoice.fields_get())

    def test_portal_user_reads_only_own_commercial_partner_cases(self):
        Dispute = self.env["billing.dispute"].with_user(self.portal_user)
        self.assertEqual(Dispute.search([]), self.case)
        self.assertEqual(self.case.with_user(self.portal_user).read(["name"])[0]["name"], self.case.name)
        self.assertEqual(self.env["billing.dispute.line"].with_user(self.portal_user).search([]), self.case.line_ids)
        with self.assertRaises(AccessError):
            self.other_case.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.case.with_user(self.portal_user).write({"priority": "2"})
        with self.assertRaises(AccessError):
            Dispute.create({"partner_id": self.customer.id, "reason_id": self.reason_pricing.id})
        other = self.env["billing.dispute"].with_user(self.other_portal_user)
        self.assertEqual(other.search([]), self.other_case)

    def test_other_company_is_isolated(self):
        other_company = self.setup_other_company()["company"]
        outsider = new_test_user(
            self.env,
            login="bs_outsider",
            groups="base.group_user,billing_specialist.group_billing_manager",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        self.assertFalse(self.env["billing.dispute"].with_user(outsider).search([]))
        self.assertFalse(self.env["billing.dispute.line"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            self.case.with_user(outsider).read(["name"])
        with self.assertRaises(AccessError):
            self.case.with_user(outsider).write({"priority": "1"})

    def test_resolve_wizard_needs_billing_rights(self):
        with self.assertRaises(AccessError):
            self.env["billing.dispute.resolve"].with_user(self.internal_user).create({"dispute_id": self.case.id})


@tagged("post_install", "-at_install")
class TestDisputeHardening(BillingDisputeCommon):
    """Attacks of issue 9 (items 7 and 8), through the entry points a client reaches: ORM as the user, public
    methods as RPC calls them. Each is refused and leaves the case as it was."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_resolved = cls.env.ref("billing_specialist.stage_resolved")
        cls.stage_cancelled = cls.env["billing.dispute"]._get_stage_for_state("cancelled")
        cls.stage_in_progress = cls.env["billing.dispute"]._get_stage_for_state("in_progress")

    def assertUnchanged(self, records, fnames, exception, message, func, *args, **kwargs):
        before = records.read(fnames)
        with self.assertRaisesRegex(exception, message):
            with self.env.cr.savepoint():
                func(*args, **kwargs)
        records.invalidate_recordset()
        self.assertEqual(records.read(fnames), before)

    def _call_kw(self, records, user, method, *args, **kwargs):
        """A method called as /web/dataset/call_kw does (public methods only), with the client's context."""
        model = self.env[records._name].with_user(user)
        get_public_method(model, method)
        return call_kw(model, method, [records.ids, *args], kwargs)

    # ------------------------------------------------------------------ 7. customer of a case

    def test_case_customer_must_own_its_invoices(self):
        case = self._open_case(self._invoice(500.0), amount=100.0)
        fnames = ["partner_id", "contact_id", "message_partner_ids"]
        spec = case.with_user(self.specialist)
        for vals in (
            {"partner_id": self.other_customer.id},
            {"partner_id": self.other_customer.id, "contact_id": False},
        ):
            self.assertUnchanged(case, fnames, ValidationError, "must own all its invoices", spec.write, vals)
        # Nor may the contact be a person of another customer.
        self.assertUnchanged(
            case,
            fnames,
            ValidationError,
            "does not belong",
            spec.write,
            {"contact_id": self.other_portal_user.partner_id.id},
        )
        foreign_line = self._invoice(300.0, partner=self.other_customer).invoice_line_ids
        self.assertUnchanged(
            case,
            ["invoice_line_ids"],
            ValidationError,
            "case's invoices",
            spec.write,
            {"invoice_line_ids": [Command.set(foreign_line.ids)]},
        )
        self.assertFalse(self.env["billing.dispute"].with_user(self.other_portal_user).search([("id", "=", case.id)]))
        with self.assertRaises(AccessError):
            case.with_user(self.other_portal_user).read(["name", "line_ids"])

    def test_changing_customer_with_all_invoices_moves_the_followers(self):
        case = self._open_case(self._invoice(500.0), amount=100.0)
        other_invoice = self._invoice(200.0, partner=self.other_customer)
        old_token = case._portal_ensure_token()
        case.with_user(self.specialist).write(
            {
                "partner_id": self.other_customer.id,
                "contact_id": False,
                "line_ids": [Command.clear(), Command.create({"move_id": other_invoice.id, "amount_disputed": 50.0})],
            }
        )
        self.assertEqual(case.line_ids.move_id, other_invoice)
        self.assertNotIn(self.customer_contact, case.message_partner_ids)
        self.assertIn(self.other_customer, case.message_partner_ids)
        self.assertNotEqual(case.access_token, old_token, "the old customer's link no longer opens the case")
        self.assertFalse(self.env["billing.dispute"].with_user(self.portal_user).search([("id", "=", case.id)]))

    # ------------------------------------------------------------------ 8. roles, flags, audit fields

    def test_reopen_is_for_managers_only(self):
        case = self._open_case(self._invoice(500.0), amount=100.0)
        self._resolve(case, resolution="reject", note="As agreed.")
        fnames = ["state", "amount_rejected", "amount_remaining"]
        self.assertUnchanged(
            case, fnames, AccessError, "Only a billing manager", self._call_kw, case, self.specialist, "action_reopen"
        )
        # Nor by the statusbar or another button.
        self.assertUnchanged(
            case,
            fnames,
            AccessError,
            "Only a billing manager",
            case.with_user(self.specialist).write,
            {"stage_id": self.stage_in_progress.id},
        )
        self.assertUnchanged(case, fnames, UserError, "reopen it", self._call_kw, case, self.specialist, "action_start")
        self._call_kw(case, self.manager, "action_reopen")
        self.assertEqual((case.state, case.amount_rejected, case.amount_remaining), ("in_progress", 0.0, 100.0))

    def test_client_context_key_does_not_resolve_or_cancel(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=300.0)
        sync = {"billing_dispute_stage_sync": True}
        fnames = ["state", "stage_id", "date_closed", "amount_remaining"]
        self.assertUnchanged(
            case,
            fnames,
            UserError,
            "Resolve button",
            self._call_kw,
            case,
            self.specialist,
            "write",
            {"stage_id": self.stage_resolved.id},
            context=sync,
        )
        self.assertUnchanged(
            case,
            fnames,
            UserError,
            "Resolve button",
            self._call_kw,
            case,
            self.manager,
            "write",
            {"stage_id": self.stage_resolved.id},
            context=sync,
        )
        # Even the application's own path never resolves a case with money in dispute.
        self.assertUnchanged(
            case, fnames, UserError, "still has", case.sudo().write, {"stage_id": self.stage_resolved.id}
        )
        self._resolve(case, amounts=[100.0], close_case=False)
        self.assertEqual(case.state, "in_progress")
        self.assertUnchanged(
            case,
            fnames,
            UserError,
            "reset them to draft",
            self._call_kw,
            case,
            self.specialist,
            "write",
            {"stage_id": self.stage_cancelled.id},
            context=sync,
        )
        self.assertUnchanged(
            case, fnames, UserError, "reset them to draft", case.sudo().write, {"stage_id": self.stage_cancelled.id}
        )

    def test_case_is_not_created_closed(self):
        before = self._count("billing.dispute")
        with self.assertRaisesRegex(UserError, "starts open"):
            self._open_case(self._invoice(100.0), stage_id=self.stage_resolved.id)
        self.assertEqual(self._count("billing.dispute"), before)

    def test_audit_and_computed_fields_are_not_writable(self):
        case = self._open_case(self._invoice(500.0), amount=100.0)
        line = case.line_ids
        spec_case, spec_line = case.with_user(self.specialist), line.with_user(self.specialist)
        for vals in (
            {"sla_breached": True},
            {"date_escalated": "2020-01-01 00:00:00"},
            {"date_closed": "2020-01-01"},
            {"date_opened": "2020-01-01"},
            {"amount_remaining": 0.0},
            {"source_payment_id": False, "name": "X"},
        ):
            self.assertUnchanged(case, list(vals), AccessError, "cannot be written", spec_case.write, vals)
        for vals in ({"amount_rejected": 100.0}, {"amount_remaining": 0.0}, {"amount_credited": 100.0}):
            self.assertUnchanged(line, list(vals), AccessError, "cannot be written", spec_line.write, vals)
        self.assertUnchanged(
            case,
            ["line_ids"],
            AccessError,
            "cannot be written",
            self._call_kw,
            case,
            self.manager,
            "write",
            {"line_ids": [Command.update(line.id, {"amount_rejected": 100.0})]},
        )
        with self.assertRaisesRegex(AccessError, "cannot be written"):
            self._open_case(self._invoice(100.0), sla_breached=True, date_opened="2020-01-01")
        self.assertEqual((case.state, case.amount_remaining), ("new", 100.0))
        # The application's own paths are private: RPC cannot reach them.
        for records, method, args in ((line, "_add_rejected", (100.0,)), (case, "_set_state", ("resolved",))):
            with self.assertRaisesRegex(AccessError, "Private methods"):
                self._call_kw(records, self.manager, method, *args)
        self.assertEqual((case.state, case.amount_remaining), ("new", 100.0))
        case.action_escalate()
        self.assertTrue(case.date_escalated)

    def test_lines_of_a_closed_case_are_kept(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=300.0)
        self._resolve(case, amounts=[100.0])
        self.assertEqual(case.state, "resolved")
        line = case.line_ids
        fnames = ["amount_disputed", "amount_rejected", "move_id"]
        self.assertUnchanged(line, fnames, UserError, "cannot be removed", line.with_user(self.specialist).unlink)
        self.assertUnchanged(line, fnames, UserError, "cannot be removed", line.with_user(self.manager).unlink)
        self.assertUnchanged(
            line, fnames, UserError, "is closed", line.with_user(self.specialist).write, {"amount_disputed": 150.0}
        )
        self.assertUnchanged(
            case,
            ["line_ids"],
            UserError,
            "cannot be removed",
            case.with_user(self.specialist).write,
            {"line_ids": [Command.delete(line.id)]},
        )
        other = self._invoice(200.0)
        self.assertUnchanged(
            case,
            ["line_ids"],
            UserError,
            "is closed",
            case.with_user(self.specialist).write,
            {"line_ids": [Command.create({"move_id": other.id, "amount_disputed": 10.0})]},
        )

    def test_line_with_accounting_keeps_its_invoice(self):
        invoice = self._invoice(1000.0)
        case = self._open_case(invoice, amount=300.0)
        self._resolve(case, amounts=[100.0], close_case=False)
        line = case.line_ids
        self.assertUnchanged(line, ["move_id"], UserError, "cannot be removed", line.with_user(self.specialist).unlink)
        self.assertUnchanged(
            line,
            ["move_id"],
            UserError,
            "cannot be replaced",
            line.with_user(self.specialist).write,
            {"move_id": self._invoice(500.0).id},
        )


@tagged("post_install", "-at_install")
class TestInvoiceDisputeFiguresAreProtected(BillingDisputeCommon):
    """An invoice's dispute flags are the application's to write, and a user without the billing group reads no billing
    figure (attacks over the ORM as the user)."""

    def test_invoice_dispute_flags_are_not_writable(self):
        """An invoicing user (no billing group) clears an invoice's dispute flag over RPC."""
        invoice = self._invoice(100.0)
        self._open_case(invoice, amount=60.0)
        self.assertTrue(invoice.billing_in_dispute)
        for user in (self.internal_user, self.specialist):
            for vals in ({"billing_in_dispute": False}, {"billing_disputed_amount": 0.0}):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    with self.env.cr.savepoint():
                        invoice.with_user(user).write(vals)
        invoice.invalidate_recordset()
        self.assertTrue(invoice.billing_in_dispute)
        self.assertEqual(invoice.billing_disputed_amount, 60.0)

    def test_plain_employee_reads_no_billing_figures(self):
        employee = new_test_user(self.env, login="bs_employee", groups="base.group_user")
        invoice = self._invoice(100.0)
        self._open_case(invoice)
        with self.assertRaises(AccessError):
            invoice.with_user(employee).read(["billing_disputed_amount"])
        with self.assertRaises(AccessError):
            self.env["billing.activity.report"].with_user(employee).search_read([], ["amount_residual"])


@tagged("post_install", "-at_install")
class TestCaseContextDefaults(BillingDisputeCommon):
    """``default_<field>`` keys a client sends with ``create`` never set what the application alone sets on a case or
    its lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(1000.0)

    def test_case_context_defaults_cannot_mark_portal_close_or_set_amounts(self):
        resolved = self.env.ref("billing_specialist.stage_resolved")
        for key, value in (("default_channel", "portal"), ("default_stage_id", resolved.id)):
            before = self._count("billing.dispute")
            env = self.env(user=self.specialist, context={key: value})
            with self.subTest(key=key), self.assertRaises(UserError):
                env["billing.dispute"].create(
                    {
                        "partner_id": self.customer.id,
                        "reason_id": self.reason_pricing.id,
                        "line_ids": [Command.create({"move_id": self.invoice.id, "amount_disputed": 100.0})],
                    }
                )
            self.assertEqual(self._count("billing.dispute"), before)
        env = self.env(user=self.specialist, context={"default_amount_credited": 900.0, "default_sla_breached": True})
        case = env["billing.dispute"].create(
            {
                "partner_id": self.customer.id,
                "reason_id": self.reason_pricing.id,
                "line_ids": [Command.create({"move_id": self.invoice.id, "amount_disputed": 100.0})],
            }
        )
        self.assertEqual(case.amount_credited, 0.0)
        self.assertFalse(case.sla_breached)
        line_env = self.env(user=self.specialist, context={"default_amount_written_off": 50.0})
        line = line_env["billing.dispute.line"].create(
            {"dispute_id": case.id, "move_id": self._invoice(200.0).id, "amount_disputed": 10.0}
        )
        self.assertEqual(line.amount_written_off, 0.0)
