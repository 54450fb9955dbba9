from odoo.tests import HttpCase, tagged

from .followup_common import FollowupCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestFollowupTour(ScreenshotTourMixin, FollowupCommon, HttpCase):
    def test_preview_exclude_choose_a_level_and_send(self):
        acme = self._overdue(35, 1200.0)
        self._overdue(10, 300.0, partner=self.other_customer)
        self.start_tour(
            "/odoo/action-billing_specialist.billing_followup_run_now_action",
            "billing_specialist_followup_tour",
            login="bs_specialist",
        )
        run = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(run), 1, "one run: the preview the tour sent")
        self.assertEqual(run.state, "done")
        line, other = self._line(run, self.customer), self._line(run, self.other_customer)
        self.assertEqual(
            (line.outcome, line.level_id, line.adjusted_by_id), ("emailed", self.reminder, self.specialist)
        )
        self.assertEqual(line.mail_id.subject, line.preview_subject)
        self.assertIn(self.reminder.name, line.mail_id.subject)
        self.assertEqual(acme.billing_followup_level_id, self.reminder)
        self.assertEqual((other.outcome, other.excluded), ("excluded", True))
        self.assertFalse(self._mails(self.other_customer))
