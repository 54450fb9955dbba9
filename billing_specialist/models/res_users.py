from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _billing_can_handle_cases(self, company):
        """The users who can be given a dispute case of ``company``: active internal billing specialists of that
        company, never the superuser (OdooBot) nor a portal or public user."""
        return self.filtered(
            lambda u: (
                u.active
                and not u.share
                and not u._is_superuser()
                and company in u.company_ids
                and u.has_group("billing_specialist.group_billing_user")
            )
        )
