from odoo import fields, models
from odoo.tools import SQL

AGING_SELECTION = [
    ("0_current", "Current"),
    ("1_30", "1-30"),
    ("2_60", "31-60"),
    ("3_90", "61-90"),
    ("4_120", "91-120"),
    ("5_older", "Over 120"),
    ("9_closed", "Settled"),
]


class BillingActivityReport(models.Model):
    """One row per posted customer invoice or credit note, amounts in company currency (signed: credit notes
    negative), with payment timing, aging today and dispute status, for pivot and graph analysis."""

    _name = "billing.activity.report"
    _description = "Billing Activity Analysis"
    _auto = False
    _rec_name = "name"
    _order = "invoice_date desc, id desc"

    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    name = fields.Char(string="Number", readonly=True)
    move_type = fields.Selection(
        [("out_invoice", "Invoice"), ("out_refund", "Credit Note")], string="Type", readonly=True
    )
    invoice_date = fields.Date(readonly=True)
    invoice_date_due = fields.Date(string="Due Date", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    payment_state = fields.Selection(
        [
            ("not_paid", "Not Paid"),
            ("in_payment", "In Payment"),
            ("paid", "Paid"),
            ("partial", "Partially Paid"),
            ("reversed", "Reversed"),
            ("blocked", "Blocked"),
            ("invoicing_legacy", "Invoicing App Legacy"),
        ],
        readonly=True,
    )
    amount_total = fields.Monetary(string="Total", readonly=True)
    amount_residual = fields.Monetary(string="Open", readonly=True)
    amount_paid = fields.Monetary(string="Paid or Credited", readonly=True)
    last_payment_date = fields.Date(readonly=True)
    days_to_pay = fields.Integer(string="Days to Pay", readonly=True, aggregator="avg")
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    aging_bucket = fields.Selection(AGING_SELECTION, string="Aging Today", readonly=True)
    in_dispute = fields.Boolean(readonly=True)
    disputed_amount = fields.Monetary(string="Amount in Dispute", readonly=True)

    _depends = {
        "account.move": [
            "name", "state", "move_type", "commercial_partner_id", "invoice_user_id", "invoice_date",
            "invoice_date_due", "company_id", "amount_total", "amount_total_signed", "amount_residual_signed",
            "payment_state", "billing_in_dispute", "billing_disputed_amount",
        ],
        "account.move.line": ["move_id", "account_id", "balance"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "max_date"],
        "crm.team.member": ["user_id", "crm_team_id", "active"],
    }  # fmt: skip

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT move.id AS id,
                   move.id AS move_id,
                   move.name,
                   move.move_type,
                   move.invoice_date,
                   move.invoice_date_due,
                   move.commercial_partner_id AS partner_id,
                   move.invoice_user_id AS user_id,
                   team.crm_team_id AS team_id,
                   move.company_id,
                   company.currency_id,
                   move.payment_state,
                   move.amount_total_signed AS amount_total,
                   move.amount_residual_signed AS amount_residual,
                   move.amount_total_signed - move.amount_residual_signed AS amount_paid,
                   payment.last_date AS last_payment_date,
                   CASE WHEN move.payment_state IN ('paid', 'in_payment') AND move.move_type = 'out_invoice'
                        THEN payment.last_date - move.invoice_date END AS days_to_pay,
                   CASE WHEN move.amount_residual_signed > 0 AND move.invoice_date_due < CURRENT_DATE
                        THEN CURRENT_DATE - move.invoice_date_due ELSE 0 END AS days_overdue,
                   CASE WHEN move.amount_residual_signed = 0 THEN '9_closed'
                        WHEN move.invoice_date_due IS NULL OR CURRENT_DATE <= move.invoice_date_due THEN '0_current'
                        WHEN CURRENT_DATE - move.invoice_date_due <= 30 THEN '1_30'
                        WHEN CURRENT_DATE - move.invoice_date_due <= 60 THEN '2_60'
                        WHEN CURRENT_DATE - move.invoice_date_due <= 90 THEN '3_90'
                        WHEN CURRENT_DATE - move.invoice_date_due <= 120 THEN '4_120'
                        ELSE '5_older' END AS aging_bucket,
                   COALESCE(move.billing_in_dispute, FALSE) AS in_dispute,
                   CASE WHEN move.amount_total = 0 THEN 0
                        ELSE COALESCE(move.billing_disputed_amount, 0) * move.amount_total_signed / move.amount_total
                        END AS disputed_amount
              FROM account_move move
              JOIN res_company company ON company.id = move.company_id
              LEFT JOIN LATERAL (
                    SELECT MAX(partial.max_date) AS last_date
                      FROM account_move_line aml
                      JOIN account_partial_reconcile partial
                        ON partial.debit_move_id = aml.id OR partial.credit_move_id = aml.id
                     WHERE aml.move_id = move.id
              ) AS payment ON TRUE
              LEFT JOIN LATERAL (
                    SELECT member.crm_team_id FROM crm_team_member member
                     WHERE member.user_id = move.invoice_user_id AND member.active
                     ORDER BY member.id LIMIT 1
              ) AS team ON TRUE
             WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund')
            """
        )
