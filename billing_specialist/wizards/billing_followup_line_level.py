from odoo import api, fields, models


class BillingFollowupLineLevel(models.TransientModel):
    """Choose the level a customer of a previewed follow-up run is sent (the rights are checked by the line)."""

    _name = "billing.followup.line.level"
    _description = "Choose a Follow-up Level"

    line_id = fields.Many2one(
        "billing.followup.line", string="Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="line_id.company_id")
    planned_level_id = fields.Many2one(related="line_id.planned_level_id")
    level_id = fields.Many2one("billing.followup.level", required=True, domain="[('company_id', '=', company_id)]")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if values.get("line_id"):
            # The dialog's defaults come from the client's context: another company's line is refused before the
            # form shows its customer, level and company (Odoo reads a many-to-one's name as superuser).
            self.env["billing.followup.line"].browse(values["line_id"])._check_can_adjust()
        return values

    @api.onchange("line_id")
    def _onchange_line_id(self):
        """The same for a line sent as a value by the client (an onchange reads related fields as superuser)."""
        self.line_id._origin._check_can_adjust()

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards.line_id._check_can_adjust()  # a client-set default_line_id of another company's run is refused here
        return wizards

    def action_apply(self):
        self.ensure_one()
        self.line_id._set_preview_level(self.level_id)
        return {"type": "ir.actions.act_window_close"}
