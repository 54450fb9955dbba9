from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Dispute Write-off Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'income_other', 'expense_direct_cost'))]",
        help="Expense account that absorbs small disputed balances written off from a case.",
    )
    billing_writeoff_journal_id = fields.Many2one(
        "account.journal",
        string="Dispute Write-off Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the write-off entries; the first general journal when empty.",
    )
    billing_writeoff_max_amount = fields.Monetary(
        string="Write-off Limit",
        currency_field="currency_id",
        default=50.0,
        help="Largest total a specialist may write off in one resolution (company currency); "
        "billing managers are not limited. Zero means only managers write off.",
    )
    billing_dispute_send_acknowledgement = fields.Boolean(
        string="Acknowledge New Disputes",
        default=True,
        help="E-mail the customer an acknowledgement when a case is opened.",
    )
    billing_portal_max_disputes_per_day = fields.Integer(
        string="Portal Disputes per Day",
        default=5,
        help="How many disputes one customer may open on the portal in a day; zero means no limit.",
    )
    billing_aging_buckets = fields.Char(
        string="Aging Buckets",
        default="30,60,90,120",
        help="Upper day counts of the overdue buckets, separated by commas: 30,60,90,120 gives current, 1-30, "
        "31-60, 61-90, 91-120 and over 120 days.",
    )
    billing_match_threshold = fields.Integer(
        string="Automatic Matching Threshold",
        default=90,
        help="The automatic run applies only proposals of at least this confidence (1-100); the rest waits in "
        "the matching wizard. 90 applies references found in the memo and unique amounts of the paying customer. "
        "Proposals whose evidence disagrees have confidence 0: never applied automatically.",
    )
    billing_match_tolerance_amount = fields.Monetary(
        string="Payment Difference Tolerance",
        currency_field="currency_id",
        help="A payment short of the invoices by at most this much (or the percentage) settles them, "
        "the difference written off.",
    )
    billing_match_tolerance_percent = fields.Float(string="Payment Difference Tolerance (%)", digits=(16, 2))
    billing_match_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Payment Difference Account",
        check_company=True,
        help="Where tolerated payment differences go; the dispute write-off account when empty.",
    )
    billing_match_auto = fields.Boolean(
        string="Automatic Matching", help="The scheduled action applies confident proposals every hour."
    )

    @api.constrains("billing_match_threshold")
    def _check_billing_match_threshold(self):
        # Confidence 0 means "never automatic" (conflicting evidence): a threshold of 0 would apply it.
        for company in self:
            if not 1 <= company.billing_match_threshold <= 100:
                raise ValidationError(
                    self.env._(
                        "The automatic matching threshold of %(company)s is a confidence from 1 to 100.",
                        company=company.name,
                    )
                )
