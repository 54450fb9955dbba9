from odoo import api, fields, models
from odoo.exceptions import AccessError


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

    billing_last_turn = fields.Integer(
        string="Last Dispute Turn",
        readonly=True,
        copy=False,
        help="The team's count of round-robin dispute assignments when this member last received a case (0: never); "
        "the member with the lowest turn gets the next case.",
    )

    def write(self, vals):
        # Only the assignment itself (as superuser) moves a member's turn: a client cannot jump the queue.
        if "billing_last_turn" in vals and not self.env.su:
            raise AccessError(self.env._("The last dispute assignment is set by the application only."))
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any("billing_last_turn" in vals for vals in vals_list):
            raise AccessError(self.env._("The last dispute assignment is set by the application only."))
        return super().create(vals_list)
