from odoo import fields, models

from .billing_dispute_stage import OPEN_STATES


class ResPartner(models.Model):
    _inherit = "res.partner"

    billing_open_dispute_count = fields.Integer(
        string="Open Disputes",
        compute="_compute_billing_open_disputes",
        groups="billing_specialist.group_billing_user",
    )
    billing_open_dispute_amount = fields.Monetary(
        string="Amount in Dispute",
        compute="_compute_billing_open_disputes",
        currency_field="currency_id",
        groups="billing_specialist.group_billing_user",
        help="Remaining disputed amount of the open cases, in the company currency.",
    )

    def _compute_billing_open_disputes(self):
        commercial = self.commercial_partner_id
        groups = self.env["billing.dispute"]._read_group(
            [("partner_id", "in", commercial.ids), ("state", "in", OPEN_STATES)],
            ["partner_id", "currency_id"],
            ["__count", "amount_remaining:sum"],
        )
        company = self.env.company
        today = fields.Date.context_today(self)
        totals = {}
        for partner, currency, count, amount in groups:
            count_sum, amount_sum = totals.get(partner.id, (0, 0.0))
            amount_sum += currency._convert(amount, company.currency_id, company, today)
            totals[partner.id] = (count_sum + count, amount_sum)
        for partner in self:
            count, amount = totals.get(partner.commercial_partner_id.id, (0, 0.0))
            partner.billing_open_dispute_count = count
            partner.billing_open_dispute_amount = amount

    def action_billing_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_dispute_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_filter_open": 1,
        }
        return action
