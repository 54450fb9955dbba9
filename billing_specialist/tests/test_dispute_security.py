from odoo import Command
from odoo.exceptions import AccessError, UserError
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
