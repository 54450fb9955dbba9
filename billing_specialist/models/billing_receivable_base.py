from odoo import api, models
from odoo.tools import SQL


class BillingReceivableBase(models.AbstractModel):
    """SQL the analysis report, the worklist and the customer form share: a salesperson's team, a document's last
    payment, its days to pay. It sits below collections and reports, so both read it without naming each other."""

    _name = "billing.receivable.base"
    _description = "Shared Receivable SQL"

    @api.model
    def _team_sql(self, user_column):
        """The sales team of a salesperson: the user's main team (``res.users.sale_team_id``), as the dispute cases
        take it; the KPI filter uses this same expression."""
        return SQL("(SELECT team_user.sale_team_id FROM res_users team_user WHERE team_user.id = %s)", user_column)

    @api.model
    def _last_payment_join(self):
        """``payment.last_date``: the last reconciliation date of the document ``move`` (NULL when none)."""
        return SQL(
            """
            LEFT JOIN LATERAL (
                  SELECT MAX(partial.max_date) AS last_date
                    FROM account_move_line aml
                    JOIN account_partial_reconcile partial
                      ON partial.debit_move_id = aml.id OR partial.credit_move_id = aml.id
                   WHERE aml.move_id = move.id
            ) AS payment ON TRUE
            """
        )

    @api.model
    def _days_to_pay_sql(self):
        """Invoice date to last payment of a paid invoice ``move`` (NULL otherwise); needs ``_last_payment_join``."""
        return SQL(
            """CASE WHEN move.payment_state IN ('paid', 'in_payment') AND move.move_type = 'out_invoice'
                        THEN payment.last_date - move.invoice_date END"""
        )

    @api.model
    def _customer_overview(self, partner_ids, company_ids, today, since):
        """{commercial partner id: (overdue amount, average days to pay)} of posted customer invoices and credit notes
        in ``company_ids``, company currency: the open amount past due on ``today``; the days to pay of the invoices
        paid on or after ``since``. A customer without such documents is left out; a figure without them is None."""
        self.env["account.move"].flush_model(
            [
                "state",
                "move_type",
                "commercial_partner_id",
                "company_id",
                "invoice_date",
                "invoice_date_due",
                "amount_residual_signed",
                "payment_state",
            ]
        )
        self.env["account.move.line"].flush_model(["move_id"])
        self.env["account.partial.reconcile"].flush_model(["debit_move_id", "credit_move_id", "max_date"])
        self.env.cr.execute(
            SQL(
                """
                SELECT move.commercial_partner_id,
                       SUM(move.amount_residual_signed)
                           FILTER (WHERE move.amount_residual_signed > 0 AND move.invoice_date_due < %(today)s)::float,
                       AVG(%(days_to_pay)s) FILTER (WHERE payment.last_date >= %(since)s)::float
                  FROM account_move move
                  %(payment)s
                 WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund')
                   AND move.commercial_partner_id = ANY(%(partners)s) AND move.company_id = ANY(%(companies)s)
                 GROUP BY move.commercial_partner_id
                """,
                today=today,
                days_to_pay=self._days_to_pay_sql(),
                since=since,
                payment=self._last_payment_join(),
                partners=list(partner_ids),
                companies=list(company_ids),
            )
        )
        return {partner_id: (overdue, days) for partner_id, overdue, days in self.env.cr.fetchall()}
