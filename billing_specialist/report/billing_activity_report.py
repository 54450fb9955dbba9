from odoo import api, fields, models
from odoo.tools import SQL

CREDIT_BUCKET = "80_credit"
SETTLED_BUCKET = "90_settled"


class BillingActivityReport(models.Model):
    """One row per posted customer invoice or credit note, amounts in company currency (signed: credit notes
    negative), with payment timing, aging today and dispute status, for pivot and graph analysis.

    Gross and net are separate measures: Invoiced (gross), Credit Notes, Invoiced (net of credit notes). Paid is
    ``billing.kpi._paid_sql``, the one definition the key figures and the workbook use."""

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
    specialist_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="Who handles the document's dispute: the specialist of the invoice's latest case, or of the case a "
        "credit note settles; empty for a document never disputed. The report's Specialists filter, like the "
        "dispute figures, keeps the documents of those specialists' cases.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency",
        string="Company Currency",
        readonly=True,
        help="Every amount of the analysis is in this currency, the document's company's.",
    )
    document_currency_id = fields.Many2one("res.currency", readonly=True)
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
    amount_invoiced = fields.Monetary(
        string="Invoiced (gross)", readonly=True, help="The invoice's total; 0 for a credit note."
    )
    amount_credit_note = fields.Monetary(
        string="Credit Notes", readonly=True, help="The credit note's total, as a positive amount; 0 for an invoice."
    )
    amount_total = fields.Monetary(
        string="Invoiced (net of credit notes)",
        readonly=True,
        help="Invoices positive, credit notes negative: summed, the invoiced amount net of credit notes.",
    )
    amount_total_currency = fields.Monetary(
        string="Total (document currency)",
        currency_field="document_currency_id",
        readonly=True,
        help="Signed as the net total, in the document's own currency: group by Document Currency to sum it.",
    )
    amount_residual = fields.Monetary(string="Open Today", readonly=True)
    amount_paid = fields.Monetary(
        string="Paid (payments and bank)",
        readonly=True,
        help="What payments and bank entries settled of the invoice to date; credit notes are not payments (the "
        "one definition of paid, as the Billing Report's key figure and workbook count it).",
    )
    amount_credited = fields.Monetary(
        string="Settled by Credit Notes", readonly=True, help="What credit notes settled of the invoice to date."
    )
    last_payment_date = fields.Date(readonly=True)
    days_to_pay = fields.Integer(string="Days to Pay", readonly=True, aggregator="avg")
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    aging_bucket = fields.Selection(
        selection="_selection_aging_bucket",
        string="Aging Today",
        readonly=True,
        help="The company's aging buckets (Settings), as the aged receivables use them; open credit notes are "
        "unapplied credits, never overdue.",
    )
    in_dispute = fields.Boolean(readonly=True)
    disputed_amount = fields.Monetary(string="Amount in Dispute", readonly=True)

    _depends = {
        "account.move": [
            "name",
            "state",
            "move_type",
            "commercial_partner_id",
            "invoice_user_id",
            "invoice_date",
            "invoice_date_due",
            "company_id",
            "amount_total",
            "amount_total_signed",
            "amount_total_in_currency_signed",
            "currency_id",
            "origin_payment_id",
            "statement_line_id",
            "amount_residual_signed",
            "payment_state",
            "billing_in_dispute",
            "billing_disputed_amount",
            "billing_dispute_id",
        ],
        "account.move.line": ["move_id", "account_id", "balance"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "max_date"],
        "res.users": ["sale_team_id"],
        "billing.dispute": ["user_id", "date_opened"],
        "billing.dispute.line": ["dispute_id", "move_id"],
        "res.company": ["billing_aging_buckets"],
    }

    @api.model
    def _selection_aging_bucket(self):
        """Keys "00" (current), "01".. (overdue buckets), then unapplied credits and settled documents; labels from
        ``billing.aging._get_buckets``, the current company's first (the one source of the bucket edges)."""
        labels = {}
        Aging = self.env["billing.aging"]
        for company in self.env.company | self.env.companies | self.env["res.company"].sudo().search([]):
            for index, (label, _low, _high) in enumerate(Aging._get_buckets(company)):
                labels.setdefault(f"{index:02d}", label)
        return [
            *sorted(labels.items()),
            (CREDIT_BUCKET, self.env._("Unapplied credits")),
            (SETTLED_BUCKET, self.env._("Settled")),
        ]

    @api.model
    def _team_sql(self, user_column):
        """The sales team of a salesperson (``billing.receivable.base._team_sql``, shared with the worklist)."""
        return self.env["billing.receivable.base"]._team_sql(user_column)

    @api.model
    def _aging_edges_sql(self):
        """(company_id, edges) of every company, from ``billing.aging._get_buckets``: the view ages with them."""
        Aging = self.env["billing.aging"]
        rows = [
            SQL("(%s, %s::int[])", company.id, [high for _label, _low, high in Aging._get_buckets(company) if high])
            for company in self.env["res.company"].sudo().with_context(active_test=False).search([])
        ]
        return SQL("(VALUES %s) AS aging_edges(company_id, days)", SQL(", ").join(rows))

    @api.model
    def _select(self):
        # Today is Odoo's (the user's date), never the database server's CURRENT_DATE.
        today = SQL("%s::date", fields.Date.context_today(self))
        overdue_days = SQL("%s - move.invoice_date_due", today)
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
                   %(team)s AS team_id,
                   COALESCE(latest_case.user_id, settled_case.user_id) AS specialist_id,
                   move.company_id,
                   company.currency_id,
                   move.currency_id AS document_currency_id,
                   move.payment_state,
                   CASE WHEN move.move_type = 'out_invoice' THEN move.amount_total_signed ELSE 0 END
                       AS amount_invoiced,
                   CASE WHEN move.move_type = 'out_refund' THEN -move.amount_total_signed ELSE 0 END
                       AS amount_credit_note,
                   move.amount_total_signed AS amount_total,
                   move.amount_total_in_currency_signed AS amount_total_currency,
                   move.amount_residual_signed AS amount_residual,
                   COALESCE(paid.amount, 0) AS amount_paid,
                   COALESCE(credited.amount, 0) AS amount_credited,
                   payment.last_date AS last_payment_date,
                   %(days_to_pay)s AS days_to_pay,
                   CASE WHEN move.amount_residual_signed > 0 AND move.invoice_date_due < %(today)s
                        THEN %(overdue_days)s ELSE 0 END AS days_overdue,
                   CASE WHEN move.amount_residual_signed = 0 THEN %(settled)s
                        WHEN move.amount_residual_signed < 0 THEN %(credit)s
                        WHEN move.invoice_date_due IS NULL OR %(today)s <= move.invoice_date_due THEN '00'
                        ELSE lpad((SELECT COUNT(*) + 1 FROM unnest(aging_edges.days) AS edge
                                    WHERE edge < %(overdue_days)s)::text, 2, '0')
                        END AS aging_bucket,
                   COALESCE(move.billing_in_dispute, FALSE) AS in_dispute,
                   CASE WHEN move.amount_total = 0 THEN 0
                        ELSE COALESCE(move.billing_disputed_amount, 0) * move.amount_total_signed / move.amount_total
                        END AS disputed_amount
            """,
            team=self._team_sql(SQL.identifier("move", "invoice_user_id")),
            days_to_pay=self.env["billing.receivable.base"]._days_to_pay_sql(),
            overdue_days=overdue_days,
            today=today,
            settled=SETTLED_BUCKET,
            credit=CREDIT_BUCKET,
        )

    @api.model
    def _from(self):
        return SQL(
            """
            FROM account_move move
            JOIN res_company company ON company.id = move.company_id
            LEFT JOIN %s ON aging_edges.company_id = move.company_id
            %s
            LEFT JOIN LATERAL (
                  SELECT dispute.user_id
                    FROM billing_dispute_line dispute_line
                    JOIN billing_dispute dispute ON dispute.id = dispute_line.dispute_id
                   WHERE dispute_line.move_id = move.id
                   ORDER BY dispute.date_opened DESC, dispute.id DESC
                   LIMIT 1
            ) AS latest_case ON TRUE
            LEFT JOIN billing_dispute settled_case ON settled_case.id = move.billing_dispute_id
            LEFT JOIN LATERAL (SELECT SUM(flows.amount) AS amount FROM (%s) AS flows WHERE flows.move_id = move.id)
                   AS paid ON TRUE
            LEFT JOIN LATERAL (SELECT SUM(flows.amount) AS amount FROM (%s) AS flows WHERE flows.move_id = move.id)
                   AS credited ON TRUE
            """,
            self._aging_edges_sql(),
            self.env["billing.receivable.base"]._last_payment_join(),
            self.env["billing.kpi"]._paid_sql(),
            self.env["billing.kpi"]._credited_sql(),
        )

    @api.model
    def _where(self):
        return SQL("WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund')")

    @property
    def _table_query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._where())
