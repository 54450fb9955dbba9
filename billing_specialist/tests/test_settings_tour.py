from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestSettingsTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
    def test_manager_without_administration_saves_the_billing_settings(self):
        """In the browser: a billing manager (no Administration) changes the billing settings from the Billing menu
        and switches Collections off; nothing of Odoo's other settings is on her screen or changed."""
        self.assertFalse(self.manager.has_group("base.group_system"))
        others = self.env["res.company"].search([]) - self.company
        others.billing_use_collections = False  # the menu goes once no company uses the capability
        groups = self.env.ref("base.group_user").implied_ids
        self.start_tour("/odoo", "billing_specialist_settings_tour", login="bs_manager")
        self.assertEqual(self.company.billing_aging_buckets, "15,45")
        misc = self.env["account.journal"].search([("company_id", "=", self.company.id), ("type", "=", "general")])
        self.assertIn(self.company.billing_writeoff_journal_id, misc, "a miscellaneous journal, chosen in the tour")
        self.assertFalse(self.company.billing_use_collections)
        self.assertEqual(self.env.ref("base.group_user").implied_ids, groups, "no group of Odoo's changed")
        self.assertFalse(self.manager.has_group("billing_specialist.group_billing_use_collections"))
