import re

from odoo import api, fields, models


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
    keywords = fields.Char(
        help="Comma-separated words or phrases: an e-mail to the billing alias that contains one of them opens its "
        "case with this reason (the reason with the most matches wins, then the first in order).",
    )

    _sql_constraints = [
        ("sla_days_positive", "CHECK(sla_days >= 0)", "The SLA cannot be negative."),
    ]

    @api.model
    def _billing_from_text(self, text):
        """The active reason whose keywords ``text`` mentions most (whole words, any case), else an empty recordset."""
        best, best_hits = self.browse(), 0
        for reason in self.search([("keywords", "!=", False)]):
            words = [w.strip() for w in reason.keywords.split(",") if w.strip()]
            hits = sum(1 for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text or "", re.IGNORECASE))
            if hits > best_hits:
                best, best_hits = reason, hits
        return best
