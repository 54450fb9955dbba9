from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class BillingCollectionAssign(models.TransientModel):
    """Assign customers to a specialist (portfolio) and/or a collection team, in bulk from the worklist."""

    _name = "billing.collection.assign"
    _description = "Assign Customers to a Specialist"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    partner_ids = fields.Many2many("res.partner", string="Customers", required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Specialist",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Empty: the customers leave any specialist's portfolio and go to their team's specialists.",
    )
    team_id = fields.Many2one("crm.team", string="Collection Team", check_company=True)
    keep_team = fields.Boolean(string="Keep Each Customer's Team", default=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        self._check_manager()
        if self.env.context.get("active_model") != "billing.worklist":
            return values
        rows = self.env["billing.worklist"].browse(self.env.context.get("active_ids") or []).exists()
        if not rows:
            raise UserError(self.env._("Select the customers of the worklist to assign."))
        rows.check_access("read")
        if len(rows.company_id) > 1:
            raise UserError(self.env._("Assign the customers of one company at a time."))
        values.update(company_id=rows.company_id.id, partner_ids=[fields.Command.set(rows.partner_id.ids)])
        return values

    def _check_manager(self):
        if not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(self.env._("Only a billing manager assigns customers to specialists and teams."))

    def action_apply(self):
        self.ensure_one()
        self._check_manager()
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(self.env._("You can only assign the customers of your own companies."))
        if self.user_id and not self.user_id._billing_can_handle_cases(self.company_id):
            raise UserError(
                self.env._(
                    "%(user)s is not a billing specialist of %(company)s.",
                    user=self.user_id.name,
                    company=self.company_id.name,
                )
            )
        vals = {"user_id": self.user_id.id}
        if self.team_id or not self.keep_team:
            vals["team_id"] = self.team_id.id
        collections = self.env["billing.collection"]._for_partners(self.partner_ids, self.company_id)
        collections.write(vals)
        return {"type": "ir.actions.act_window_close"}
