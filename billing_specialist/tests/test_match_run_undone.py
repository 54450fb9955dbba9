from odoo.tests import HttpCase, tagged

from .screenshots import ScreenshotTourMixin
from .test_matching import PaymentMatchingCommon


@tagged("post_install", "-at_install")
class TestMatchRunUndone(PaymentMatchingCommon):
    """An undone run's lines read Undone, with who undid it and when; the lines it did not apply keep their outcome."""

    def test_undone_lines_read_undone_with_who_and_when(self):
        applied = self._payment(300.0, memo=self.inv2.name)
        left = self._payment(99.0, memo="monthly fee", partner=self.other_customer)
        run = self._run(applied | left)
        by_payment = {line.payment_id: line for line in run.line_ids}
        self.assertEqual(
            [(by_payment[p].outcome, by_payment[p].status) for p in (applied, left)],
            [("applied", "Applied"), ("proposed", "Left for Review")],
        )
        self.assertFalse(run.undone_by_id or run.undone_date)
        run.with_user(self.specialist).action_undo()
        self.assertEqual((run.state, run.undone_by_id), ("undone", self.specialist))
        self.assertTrue(run.undone_date)
        line = by_payment[applied]
        self.assertEqual((line.outcome, line.status, line.undone), ("applied", "Undone", True), "history kept")
        self.assertEqual((line.undone_by_id, line.undone_date), (self.specialist, run.undone_date))
        self.assertEqual((by_payment[left].status, by_payment[left].undone), ("Left for Review", False))

    def test_the_undo_fields_are_the_runs_alone(self):
        """Written by the undo only: a client cannot set who undid a run."""
        run = self._run(self._payment(300.0, memo=self.inv2.name))
        with self.assertRaisesRegex(Exception, "written by"):
            run.with_user(self.specialist).write({"undone_by_id": self.specialist.id})


@tagged("post_install", "-at_install")
class TestMatchRunUndoneTour(ScreenshotTourMixin, PaymentMatchingCommon, HttpCase):
    def test_specialist_undoes_a_run_and_its_line_reads_undone(self):
        """In the browser: the run's applied line reads Applied, then Undone with who and when once undone."""
        run = self._run(self._payment(300.0, memo=self.inv2.name))
        self.assertEqual(run.applied_count, 1)
        self.start_tour(
            f"/odoo/action-billing_specialist.billing_match_run_action/{run.id}",
            "billing_specialist_match_undone_tour",
            login="bs_specialist",
        )
        self.assertEqual((run.state, run.undone_by_id), ("undone", self.specialist))
        self.assertEqual(self.inv2.amount_residual, 300.0)
