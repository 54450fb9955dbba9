from odoo import api, fields, models


class BillingCollectionSchedule(models.TransientModel):
    """Schedule the next action on a customer: the date and note on its collection account, and a call activity."""

    _name = "billing.collection.schedule"
    _description = "Schedule the Next Collection Action"
    _check_company_auto = True

    collection_id = fields.Many2one("billing.collection", required=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="collection_id.company_id")
    partner_id = fields.Many2one(related="collection_id.partner_id", string="Customer")
    date = fields.Date(string="Next Action", required=True, default=fields.Date.context_today)
    note = fields.Char(string="What to Do")
    user_id = fields.Many2one(
        "res.users",
        string="Assigned To",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )

    @api.depends("collection_id")
    def _compute_user_id(self):
        for wizard in self:
            wizard.user_id = wizard.collection_id.user_id or self.env.user

    def action_apply(self):
        self.ensure_one()
        self.collection_id._schedule_next_action(self.date, self.note, self.user_id)
        return {"type": "ir.actions.act_window_close"}
