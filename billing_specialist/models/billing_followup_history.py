from odoo import api, models
from odoo.exceptions import AccessError


class BillingFollowupHistory(models.AbstractModel):
    """Follow-up runs and their lines are history: only the run itself (as superuser) writes them."""

    _name = "billing.followup.history"
    _description = "Follow-up History"

    @api.model_create_multi
    def create(self, vals_list):
        self._check_written_by_run()
        return super().create(vals_list)

    def write(self, vals):
        self._check_written_by_run()
        return super().write(vals)

    @api.model
    def _check_written_by_run(self):
        if not self.env.su:
            raise AccessError(self.env._("%(model)s is written by the follow-up run only.", model=self._description))
