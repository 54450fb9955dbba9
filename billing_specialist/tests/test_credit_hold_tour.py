from odoo.tests import HttpCase, tagged

from .credit_effects_common import CreditEffectsCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestCreditHoldTour(ScreenshotTourMixin, CreditEffectsCommon, HttpCase):
    """In the browser: a held customer's draft invoice shows the hold; confirmed in warn mode it posts with the
    warning; in block mode it is refused, and a billing manager's override posts it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Check = cls.env["billing.invoice.check"]
        Check._ensure_for_companies(cls.company)
        cls.checks = Check.search([("company_id", "=", cls.company.id)])
        cls.checks.mode = "off"
        cls.check = cls.checks.filtered(lambda c: c.code == "credit_hold")
        cls.customer.write({"email": "ap@acme.example.com", "street": "1 Main St", "city": "Springfield"})

    def _held_draft(self):
        """A draft of 2,500.00 against a limit of 1,000.00: held, paying 1,500.00 releases it."""
        move = self._invoice(2500.0, post=False)
        status = self._recompute()
        self.assertEqual((status.state, status.amount_to_release), ("hold", 1500.0))
        return move

    def _url(self, move):
        return f"/odoo/action-account.action_move_out_invoice_type/{move.id}"

    def test_warn_mode_posts_with_the_warning(self):
        self.check.mode = "warn"
        move = self._held_draft()
        self.start_tour(self._url(move), "billing_specialist_credit_hold_warn_tour", login="bs_specialist")
        self.env.invalidate_all()
        self.assertEqual(move.state, "posted")
        finding = move.billing_check_result_ids.filtered(lambda r: r.code == "credit_hold")
        self.assertEqual((finding.severity, finding.state), ("warn", "open"))

    def test_block_mode_refused_then_a_manager_overrides(self):
        self.check.mode = "block"
        move = self._held_draft()
        self.start_tour(self._url(move), "billing_specialist_credit_hold_block_tour", login="bs_specialist")
        self.env.invalidate_all()
        self.assertEqual(move.state, "draft")
        # The refused post keeps its finding in a transaction of its own, which a test's single transaction cannot
        # show (test_invoice_checks_concurrency.py proves it on real transactions): the manager runs the checks.
        self.start_tour(self._url(move), "billing_specialist_credit_hold_override_tour", login="bs_manager")
        self.env.invalidate_all()
        self.assertEqual(move.state, "posted")
        finding = move.billing_check_result_ids.filtered(lambda r: r.code == "credit_hold")
        self.assertEqual(
            (finding.state, finding.overridden_by, finding.override_reason),
            ("overridden", self.manager, "The customer wired 1,500.00 this morning"),
        )
