from odoo import api, fields, models
from odoo.exceptions import AccessError

# The company settings a billing manager may change without Odoo's Administration rights, and nothing else.
BILLING_COMPANY_FIELDS = (
    "billing_dispute_send_acknowledgement",
    "billing_dispute_assignment",
    "billing_dispute_default_user_id",
    "billing_portal_max_disputes_per_day",
    "billing_writeoff_account_id",
    "billing_writeoff_journal_id",
    "billing_writeoff_max_amount",
    "billing_aging_buckets",
    "billing_match_auto",
    "billing_match_threshold",
    "billing_match_tolerance_amount",
    "billing_match_tolerance_percent",
    "billing_match_writeoff_account_id",
    "billing_promise_tolerance_days",
    "billing_portal_promise_max_days",
    "billing_followup_skip_dispute_days",
    "billing_portal_promise_min_percent",
    "billing_promise_max_days",
    "billing_promise_max_moves",
    "billing_promise_move_max_days",
)


class BillingSettings(models.TransientModel):
    """The billing settings of the current company, for billing managers (Settings needs Administration)."""

    _name = "billing.settings"
    _description = "Billing Settings"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    billing_dispute_send_acknowledgement = fields.Boolean(string="Acknowledge New Disputes")
    billing_dispute_assignment = fields.Selection(
        [("leader", "Team Leader"), ("round_robin", "Round-robin")], string="Assign Portal Cases To", required=True
    )
    billing_dispute_default_user_id = fields.Many2one(
        "res.users", string="Default Specialist", domain="[('share', '=', False), ('company_ids', 'in', company_id)]"
    )
    billing_portal_max_disputes_per_day = fields.Integer(string="Portal Disputes per Day")
    billing_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Dispute Write-off Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'income_other', 'expense_direct_cost'))]",
    )
    billing_writeoff_journal_id = fields.Many2one(
        "account.journal", string="Dispute Write-off Journal", check_company=True, domain="[('type', '=', 'general')]"
    )
    billing_writeoff_max_amount = fields.Monetary(string="Write-off Limit")
    billing_aging_buckets = fields.Char(string="Aging Buckets")
    billing_match_auto = fields.Boolean(string="Automatic Matching")
    billing_match_threshold = fields.Integer(string="Automatic Matching Threshold")
    billing_match_tolerance_amount = fields.Monetary(string="Payment Difference Tolerance")
    billing_match_tolerance_percent = fields.Float(string="Payment Difference Tolerance (%)", digits=(16, 2))
    billing_match_writeoff_account_id = fields.Many2one(
        "account.account", string="Payment Difference Account", check_company=True
    )
    billing_promise_tolerance_days = fields.Integer(string="Promise Tolerance (days)")
    billing_portal_promise_max_days = fields.Integer(
        string="Portal Promises Up To (days)",
        help="How far ahead a customer may promise on the portal; zero turns portal promises off.",
    )
    billing_portal_promise_min_percent = fields.Integer(
        string="Promises Cover at Least (%)",
        help="Share of the open amount (disputed amounts excluded) a promise must cover, on every channel (1-100).",
    )
    billing_promise_max_days = fields.Integer(
        string="Promises Up To (days)", help="How far ahead a promised date may be, on every channel."
    )
    billing_promise_max_moves = fields.Integer(
        string="Promised Date Moves",
        help="How many times a promised date may be put off. A billing manager may go beyond, with a reason.",
    )
    billing_promise_move_max_days = fields.Integer(
        string="Each Move at Most (days)",
        help="How far one move may put the date off. A billing manager may go beyond, with a reason.",
    )
    billing_followup_skip_dispute_days = fields.Boolean(
        string="Days in Dispute Do Not Count",
        help="The days an invoice spends in an open dispute case are not counted toward its next follow-up level.",
    )

    @api.model
    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(self.env._("Only a billing manager can change the billing settings."))

    @api.model
    def default_get(self, fields_list):
        self._check_manager()
        values = super().default_get(fields_list)
        company = self.env.company.sudo()
        for fname in BILLING_COMPANY_FIELDS:
            if fname in fields_list:
                values[fname] = company._fields[fname].convert_to_write(company[fname], company)
        return values

    @api.model_create_multi
    def create(self, vals_list):
        # Always the user's current company: a client's company_id (or context) never picks another one.
        self._check_manager()
        for vals in vals_list:
            vals["company_id"] = self.env.company.id
        return super().create(vals_list)

    def write(self, vals):
        self._check_manager()
        vals.pop("company_id", None)
        return super().write(vals)

    def action_save(self):
        """Write the billing fields, and only them, on the user's current company (its constraints apply)."""
        self.ensure_one()
        self._check_manager()
        if self.company_id != self.env.company or self.create_uid != self.env.user:
            raise AccessError(self.env._("These settings belong to another company or user."))
        values = {fname: self._fields[fname].convert_to_write(self[fname], self) for fname in BILLING_COMPANY_FIELDS}
        self.company_id.sudo().write(values)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("Billing settings of %(company)s saved.", company=self.company_id.name),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
