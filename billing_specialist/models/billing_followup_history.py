from odoo import api, models


class BillingFollowupHistory(models.AbstractModel):
    """Follow-up runs and their lines are history: only the run itself (as superuser) writes them."""

    _name = "billing.followup.history"
    _inherit = ["billing.history.mixin"]
    _description = "Follow-up History"

    @api.model
    def _history_writer(self):
        return self.env._("the follow-up run")
