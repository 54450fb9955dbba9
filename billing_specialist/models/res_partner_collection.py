from odoo import fields, models


class ResPartner(models.Model):
    """The customer's portfolio in the current company (its collection account's specialist and team), on the
    Billing page. Kept apart from ``res_partner.py`` so that the collection parts merge without touching the same
    lines."""

    _inherit = "res.partner"

    billing_collection_user_id = fields.Many2one(
        "res.users",
        string="Collection Specialist",
        compute="_compute_billing_collection",
        inverse="_inverse_billing_collection",
        groups="billing_specialist.group_billing_user",
        domain="[('share', '=', False)]",
        help="The billing specialist whose worklist holds this customer in the current company (billing managers "
        "assign it).",
    )
    billing_collection_team_id = fields.Many2one(
        "crm.team",
        string="Collection Team",
        compute="_compute_billing_collection",
        inverse="_inverse_billing_collection",
        groups="billing_specialist.group_billing_user",
        help="Without a specialist, the customer is on the worklist of every specialist of this team (else of the "
        "salesperson's team).",
    )
    billing_next_action_date = fields.Date(
        string="Next Collection Action",
        compute="_compute_billing_collection",
        groups="billing_specialist.group_billing_user",
    )
    billing_next_action_note = fields.Char(
        string="Next Action Note",
        compute="_compute_billing_collection",
        groups="billing_specialist.group_billing_user",
    )

    def _compute_billing_collection(self):
        collections = self.env["billing.collection"].search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)]
        )
        by_partner = {collection.partner_id.id: collection for collection in collections}
        for partner in self:
            collection = by_partner.get(partner.commercial_partner_id.id, self.env["billing.collection"])
            partner.billing_collection_user_id = collection.user_id
            partner.billing_collection_team_id = collection.team_id
            partner.billing_next_action_date = collection.next_action_date
            partner.billing_next_action_note = collection.next_action_note

    def _inverse_billing_collection(self):
        # The collection account's write lets only billing managers change the portfolio.
        for partner in self:
            collection = self.env["billing.collection"]._for_partners(partner, self.env.company)
            vals = {}
            if collection.user_id != partner.billing_collection_user_id:
                vals["user_id"] = partner.billing_collection_user_id.id
            if collection.team_id != partner.billing_collection_team_id:
                vals["team_id"] = partner.billing_collection_team_id.id
            if vals:
                collection.write(vals)
