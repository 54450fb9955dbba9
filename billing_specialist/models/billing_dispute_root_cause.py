from odoo import fields, models


class BillingDisputeRootCause(models.Model):
    _name = "billing.dispute.root.cause"
    _description = "Dispute Root Cause"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
