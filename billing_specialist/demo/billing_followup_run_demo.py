"""Follow-ups' demo: a run three weeks ago and today's preview."""

from datetime import timedelta

from odoo import api, fields, models


class BillingFollowupRunDemo(models.Model):
    _inherit = "billing.followup.run"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_followup(self):
        """A follow-up history: a run three weeks ago (customers stand at different levels) and today's preview, which
        holds the customers whose items reached a new level since (sent from the run's form)."""
        company = self.env.company
        if not company.chart_template or not self.env["billing.followup.level"].search_count(
            [("company_id", "=", company.id)]
        ):
            return
        today = fields.Date.context_today(self)
        Run = self.sudo().with_context(tracking_disable=True)
        Run._run_company(company, mode="scheduled", date=today - timedelta(days=21))
        Run._start(company, mode="manual")  # today's preview, not sent
