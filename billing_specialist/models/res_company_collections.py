from odoo import api, models


class ResCompany(models.Model):
    """A new company gets the default follow-up ladder (collections seeds its own levels)."""

    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited  # the capability seeds its own

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["billing.followup.level"]._seed_ladder(companies)
        return companies
