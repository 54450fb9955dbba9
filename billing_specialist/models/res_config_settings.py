from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_writeoff_account_id = fields.Many2one(related="company_id.billing_writeoff_account_id", readonly=False)
    billing_writeoff_journal_id = fields.Many2one(related="company_id.billing_writeoff_journal_id", readonly=False)
    billing_writeoff_max_amount = fields.Monetary(related="company_id.billing_writeoff_max_amount", readonly=False)
    billing_dispute_send_acknowledgement = fields.Boolean(
        related="company_id.billing_dispute_send_acknowledgement", readonly=False
    )
    billing_dispute_assignment = fields.Selection(related="company_id.billing_dispute_assignment", readonly=False)
    billing_dispute_default_user_id = fields.Many2one(
        related="company_id.billing_dispute_default_user_id",
        readonly=False,
        domain=lambda self: (
            "[('share', '=', False), ('company_ids', 'in', company_id), "
            f"('groups_id', 'in', {self.env.ref('billing_specialist.group_billing_user').id})]"
        ),
    )
    billing_portal_max_disputes_per_day = fields.Integer(
        related="company_id.billing_portal_max_disputes_per_day", readonly=False
    )
    billing_aging_buckets = fields.Char(related="company_id.billing_aging_buckets", readonly=False)
    billing_match_threshold = fields.Integer(related="company_id.billing_match_threshold", readonly=False)
    billing_match_tolerance_amount = fields.Monetary(
        related="company_id.billing_match_tolerance_amount", readonly=False
    )
    billing_match_tolerance_percent = fields.Float(related="company_id.billing_match_tolerance_percent", readonly=False)
    billing_match_writeoff_account_id = fields.Many2one(
        related="company_id.billing_match_writeoff_account_id", readonly=False
    )
    billing_match_auto = fields.Boolean(related="company_id.billing_match_auto", readonly=False)
    billing_remittance_date_window = fields.Integer(related="company_id.billing_remittance_date_window", readonly=False)
    billing_learn_after_days = fields.Integer(related="company_id.billing_learn_after_days", readonly=False)
    billing_habit_fade_days = fields.Integer(related="company_id.billing_habit_fade_days", readonly=False)
    billing_dispute_alias_id = fields.Many2one(related="company_id.billing_dispute_alias_id")
    billing_dispute_alias_name = fields.Char(
        related="company_id.billing_dispute_alias_id.alias_name", readonly=False, string="Billing Alias Name"
    )
    billing_remittance_alias_id = fields.Many2one(related="company_id.billing_remittance_alias_id")
    billing_remittance_alias_name = fields.Char(
        related="company_id.billing_remittance_alias_id.alias_name", readonly=False, string="Remittance Alias Name"
    )
