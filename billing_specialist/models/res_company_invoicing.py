from odoo import api, models


class ResCompany(models.Model):
    """A new company gets the pre-send checks with their defaults (invoicing seeds its own checks)."""

    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited  # the capability seeds its own

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["billing.invoice.check"]._ensure_for_companies(companies)
        return companies
