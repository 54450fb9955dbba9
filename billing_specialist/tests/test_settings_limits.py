from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestSettingsLimits(BillingDisputeCommon):
    """Issue 9: the company's billing limits are finite, non-negative numbers, checked when they are saved.

    JSON-RPC decodes ``NaN`` and ``Infinity``: a write-off limit of NaN compares false with every amount, so a limit
    that is NaN would lift it. Each bad value is refused and the setting keeps its value.
    """

    def _assert_refused(self, call):
        # Odoo's assertRaises takes one exception class; these refusals come as one of three.
        try:
            with self.cr.savepoint():
                call()
                self.env.flush_all()
        except (ValidationError, ValueError, OverflowError):
            return
        self.fail("the bad value was accepted")

    def _refused(self, field, value):
        # NaN and infinities are stopped by Odoo's own rounding of the value (ValueError) before our constraint.
        before = self.company[field]
        self._assert_refused(lambda: self.company.write({field: value}))
        self.company.invalidate_recordset([field])
        self.assertEqual(self.company[field], before, f"{field} = {value!r} was written")

    def test_write_off_limit_and_tolerances_are_finite_and_not_negative(self):
        for field in ("billing_writeoff_max_amount", "billing_match_tolerance_amount"):
            for value in (float("nan"), float("inf"), -1.0):
                self._refused(field, value)
        for value in (float("nan"), float("-inf"), -0.5, 100.5):
            self._refused("billing_match_tolerance_percent", value)
        self._refused("billing_portal_max_disputes_per_day", -3)

    def test_settings_form_refuses_a_nan_limit(self):
        def save_nan():
            settings = self.env["res.config.settings"].create({})
            settings.billing_writeoff_max_amount = float("nan")
            settings.execute()

        self._assert_refused(save_nan)
        self.company.invalidate_recordset(["billing_writeoff_max_amount"])
        self.assertEqual(self.company.billing_writeoff_max_amount, 50.0)

    def test_aging_buckets_are_checked_when_saved(self):
        for value in ("30,abc", "0,30", "60,30", "30,30", "-5,30", ",".join(str(d) for d in range(1, 15)), "9999"):
            self._refused("billing_aging_buckets", value)
        self.company.billing_aging_buckets = " 15, 45 ,75"
        self.assertEqual(
            [label for label, _first, _last in self.env["billing.aging"]._get_buckets(self.company)][1:3],
            ["1-15", "16-45"],
        )


@tagged("post_install", "-at_install")
class TestLearningSettingsLimits(BillingDisputeCommon):
    """The learning settings' days are refused out of range: a negative wait or a huge one."""

    def test_learning_days_out_of_range_are_refused(self):
        """A negative wait learned from automatic matches at once; a huge one overflowed every matching run."""
        settings = self.env["res.config.settings"]
        for field in ("billing_learn_after_days", "billing_habit_fade_days"):
            for value in (-1, 10**9):
                with self.subTest(field=field, value=value), self.assertRaises(ValidationError):
                    settings.create({field: value}).execute()
        self.assertEqual(self.company.billing_habit_fade_days, 365)
        self.assertEqual(self.company.billing_learn_after_days, 7)
        self.env["billing.match.habit"]._engine_habits(self.company)  # still reads
