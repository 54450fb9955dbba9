from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestBillingSettings(BillingDisputeCommon):
    """Billing managers change the billing settings of their company without Administration rights; no one else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company_data = cls.setup_other_company()
        cls.other_company = cls.other_company_data["company"]

    def _settings(self, user):
        return self.env["billing.settings"].with_user(user)

    def test_manager_changes_the_billing_settings_without_administration(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        with self.assertRaises(AccessError):
            self.company.with_user(self.manager).write({"billing_aging_buckets": "15,30"})
        form = Form(self._settings(self.manager))
        self.assertEqual(form.billing_aging_buckets, "30,60,90,120")
        self.assertEqual(form.billing_writeoff_max_amount, 50.0)
        form.billing_aging_buckets = "15,45"
        form.billing_dispute_assignment = "round_robin"
        form.billing_dispute_default_user_id = self.specialist
        self.assertTrue(form.billing_followup_skip_dispute_days)
        form.billing_followup_skip_dispute_days = False
        form.save().action_save()
        self.assertFalse(self.company.billing_followup_skip_dispute_days)
        self.assertEqual(self.company.billing_aging_buckets, "15,45")
        self.assertEqual(self.company.billing_dispute_assignment, "round_robin")
        self.assertEqual(self.company.billing_dispute_default_user_id, self.specialist)
        self.assertEqual(self.company.billing_writeoff_account_id, self.writeoff_account, "untouched fields kept")

    def test_specialist_and_plain_users_are_refused(self):
        for user in (self.specialist, self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                self._settings(user).create({"billing_aging_buckets": "1,2"})
            with self.assertRaises(AccessError):
                self._settings(user).default_get(["billing_aging_buckets"])
        self.assertEqual(self.company.billing_aging_buckets, "30,60,90,120")

    def test_only_the_managers_current_company_and_only_billing_fields(self):
        settings = self._settings(self.manager).create(
            {
                "company_id": self.other_company.id,
                "billing_aging_buckets": "10,20",
                "billing_dispute_assignment": "leader",
            }
        )
        self.assertEqual(settings.company_id, self.company, "a client's company_id is ignored")
        settings.write({"company_id": self.other_company.id})
        self.assertEqual(settings.company_id, self.company)
        # A context naming a company the manager does not belong to is refused.
        with self.assertRaises(AccessError):
            self._settings(self.manager).with_context(allowed_company_ids=[self.other_company.id]).create(
                {"billing_aging_buckets": "10,20", "billing_dispute_assignment": "leader"}
            )
        name = self.company.name
        with self.assertRaises(ValueError):
            self._settings(self.manager).create({"name": "Hijacked", "billing_dispute_assignment": "leader"})
        settings.action_save()
        self.assertEqual(self.company.billing_aging_buckets, "10,20")
        self.assertEqual(self.company.name, name)
        self.assertEqual(self.other_company.billing_aging_buckets, "30,60,90,120")

    def test_another_managers_settings_cannot_be_saved(self):
        settings = self._settings(self.manager).create(
            {"billing_aging_buckets": "10,20", "billing_dispute_assignment": "leader"}
        )
        other_manager = self.manager.copy({"login": "bs_manager_2", "name": "Max Manager"})
        with self.assertRaises(AccessError):
            settings.with_user(other_manager).action_save()
        self.assertEqual(self.company.billing_aging_buckets, "30,60,90,120")

    def test_bad_values_are_refused_and_nothing_written(self):
        settings = self._settings(self.manager).create(
            {"billing_aging_buckets": "thirty", "billing_dispute_assignment": "leader"}
        )
        with self.assertRaisesRegex(ValidationError, "Aging buckets"), self.env.cr.savepoint():
            settings.action_save()
        self.company.invalidate_recordset()
        self.assertEqual(self.company.billing_aging_buckets, "30,60,90,120")
        with self.assertRaises(UserError):
            self._settings(self.manager).create(
                {
                    "billing_dispute_assignment": "leader",
                    "billing_writeoff_account_id": self.other_company_data["default_account_expense"].id,
                }
            )
        settings = self._settings(self.manager).create(
            {"billing_dispute_assignment": "leader", "billing_dispute_default_user_id": self.portal_user.id}
        )
        with self.assertRaisesRegex(ValidationError, "default specialist"), self.env.cr.savepoint():
            settings.action_save()
        self.company.invalidate_recordset()
        self.assertFalse(self.company.billing_dispute_default_user_id)


@tagged("post_install", "-at_install")
class TestSettingsOfAnotherCompany(BillingDisputeCommon):
    """Settings saved with another allowed company in the context are refused (an attacker's test)."""

    def test_settings_saved_under_another_allowed_company_are_refused(self):
        other_company = self.setup_other_company(name="Attack Settings Co")["company"]
        self.manager.write({"company_ids": [Command.link(other_company.id)]})
        Settings = self.env["billing.settings"].with_user(self.manager)
        settings = Settings.create({"billing_aging_buckets": "10,20", "billing_dispute_assignment": "leader"})
        with self.assertRaises(AccessError):
            settings.with_context(allowed_company_ids=[other_company.id, self.company.id]).action_save()
        self.assertEqual(other_company.billing_aging_buckets, "30,60,90,120")
        self.assertEqual(self.company.billing_aging_buckets, "30,60,90,120")
