from odoo import fields, models


class ResPartner(models.Model):
    """The customer's follow-up in the current company, on its Billing tab (kept apart from res_partner.py, which
    other collection features extend too)."""

    _inherit = "res.partner"

    billing_followup_level_id = fields.Many2one(
        "billing.followup.level",
        string="Follow-up Level",
        compute="_compute_billing_followup",
        groups="billing_specialist.group_billing_user",
    )
    billing_last_followup_date = fields.Date(
        string="Last Follow-up", compute="_compute_billing_followup", groups="billing_specialist.group_billing_user"
    )
    billing_next_followup_date = fields.Date(
        string="Next Follow-up",
        compute="_compute_billing_followup",
        groups="billing_specialist.group_billing_user",
        help="The day the next follow-up level would be reached.",
    )
    billing_followup_count = fields.Integer(
        string="Follow-ups", compute="_compute_billing_followup", groups="billing_specialist.group_billing_user"
    )

    def _compute_billing_followup(self):
        commercial = self.commercial_partner_id
        company = self.env.company
        collections = {
            c.partner_id: c
            for c in self.env["billing.collection"].search(
                [("partner_id", "in", commercial.ids), ("company_id", "=", company.id)]
            )
        }
        counts = dict(
            self.env["billing.followup.line"]._read_group(
                [("partner_id", "in", commercial.ids), ("company_id", "=", company.id), ("run_state", "=", "done")],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            collection = collections.get(partner.commercial_partner_id)
            partner.billing_followup_level_id = collection.level_id if collection else False
            partner.billing_last_followup_date = collection.last_followup_date if collection else False
            partner.billing_next_followup_date = collection.next_action_date if collection else False
            partner.billing_followup_count = counts.get(partner.commercial_partner_id, 0)

    def action_billing_followup_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_followup_line_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id), ("run_state", "=", "done")]
        action["context"] = {"create": False}
        return action
