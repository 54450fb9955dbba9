from odoo.tests import HttpCase, tagged

from .chunks_common import RunChunksCommon
from .screenshots import ScreenshotTourMixin


@tagged("post_install", "-at_install")
class TestRunsTour(ScreenshotTourMixin, RunChunksCommon, HttpCase):
    def test_manager_cancels_the_rest_of_a_stuck_run(self):
        """In the browser: a large matching run stuck on a failed chunk; a billing manager cancels its rest."""
        run = self._start().with_env(self.env)
        chunks = run.chunk_ids.sorted("sequence")
        self.env["billing.run.chunk"]._cron_process()  # the first chunk done
        chunks[1].sudo().hints = {"broken": True}  # the second one's work raises
        chunks[1]._billing_process()
        self.assertEqual(chunks[:2].mapped("state"), ["done", "failed"])
        applied = self._residuals()
        self.start_tour(
            f"/odoo/action-billing_specialist.billing_match_run_action/{run.id}",
            "billing_specialist_runs_tour",
            login="bs_manager",
        )
        self.assertEqual(run.state, "partial")
        self.assertEqual(chunks[0].state, "done")
        self.assertEqual(set(chunks[1:].mapped("state")), {"cancelled"})
        self.assertEqual(self._residuals(), applied)
