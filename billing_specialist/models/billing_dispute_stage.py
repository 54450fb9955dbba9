from odoo import fields, models

DISPUTE_STATES = [
    ("new", "New"),
    ("in_progress", "In Progress"),
    ("waiting", "Waiting on Customer"),
    ("resolved", "Resolved"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
OPEN_STATES = ("new", "in_progress", "waiting")
CLOSED_STATES = ("resolved", "rejected", "cancelled")


class BillingDisputeStage(models.Model):
    _name = "billing.dispute.stage"
    _description = "Dispute Case Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    state = fields.Selection(
        DISPUTE_STATES,
        required=True,
        default="in_progress",
        help="What the stage means for the case: open stages (new, in progress, waiting) keep the case "
        "and its invoices in dispute; resolved, rejected and cancelled close it.",
    )
    fold = fields.Boolean(string="Folded in Kanban")
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
