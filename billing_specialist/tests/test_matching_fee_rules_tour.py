from odoo.tests import HttpCase, tagged

from .common import BillingDisputeCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestFeeRuleTour(ScreenshotTourMixin, BillingDisputeCommon, HttpCase):
    def test_a_manager_writes_a_fee_rule_from_the_menu(self):
        """In the browser: Billing > Configuration > Fee Rules, a new rule saved with its words, range and account."""
        charges = self.env["account.account"].create(
            {"code": "6270", "name": "Bank charges", "account_type": "expense", "company_ids": self.company.ids}
        )
        self.start_tour("/odoo", "billing_specialist_fee_rule_tour", login="bs_manager")
        rule = self.env["billing.match.fee.rule"].search([("company_id", "=", self.company.id)])
        self.assertEqual(
            (rule.name, rule.label_pattern, rule.min_amount, rule.max_amount, rule.account_id),
            ("Bank fees", "fee, charge, frais", 0.01, 25.0, charges),
        )
