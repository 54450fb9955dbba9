from odoo import fields, models


class BillingDisputeReason(models.Model):
    _name = "billing.dispute.reason"
    _description = "Dispute Reason"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Short code used in reports and integrations.")
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    sla_days = fields.Integer(
        string="SLA (days)",
        default=10,
        help="Days allowed to resolve a case with this reason; sets the case deadline.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Default Team",
        help="Sales team that handles cases with this reason when the customer has none.",
    )
    portal_visible = fields.Boolean(
        string="Visible on Portal",
        default=True,
        help="Customers can choose this reason when they dispute an invoice on the portal.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("sla_days_positive", "CHECK(sla_days >= 0)", "The SLA cannot be negative."),
    ]
