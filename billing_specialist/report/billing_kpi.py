from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..models.billing_report_hook import ReportScope


class BillingKpi(models.AbstractModel):
    """Billing-activity KPIs for a period, in company currency, each figure stated with its definition.

    Invoices (customer invoices only; credit notes net the sales):
    - issued: invoices dated in the period (gross), less credit notes: net; paid: what payments and bank entries
      settled of the invoices in the period (``_paid_sql``, the one definition); invoices fully paid: those whose last
      payment (or credit) fell in the period and that are paid now; overdue: open debits past due on the last day (as of), and the documents they belong to.
      Unapplied credits are reported apart and never net the overdue amount.
    - DSO simple = receivables at the end / net credit sales of the period x days of the period.
    - DSO countback = days of sales, walking back month by month from the end of the period, that the
      receivables at the end represent.
    - Best possible DSO = current (not yet due) receivables at the end / net sales x days.
    - CEI = (receivables at the start + net sales - receivables at the end)
            / (receivables at the start + net sales - current receivables at the end) x 100.
    - Average days to pay = mean of (last payment date - invoice date) over the invoices paid in the period.
    A ratio whose inputs make it meaningless (no net sales, negative receivables, nothing collectible, a CEI outside
    0-100) is None, with the reason in ``na_reasons``: the report shows "n/a" and the reason, never a wrong number.
    Unapplied credits at the end: payments and credit notes not yet applied to an invoice, as they stood on the last
    day. The other capabilities add their figures through ``billing.report.hook`` (``_billing_kpis``): disputes
    (``models/billing_dispute_report.py``), payments and matching (``models/billing_match_report.py``), promises and
    follow-up (``models/billing_collection_report.py``).
    """

    _name = "billing.kpi"
    _description = "Billing Activity KPIs"

    @api.model
    def _invoice_filter(self, scope):
        clauses = [SQL("move.company_id IN %s", tuple(scope.companies.ids))]
        if scope.partner_ids:
            clauses.append(SQL("move.commercial_partner_id IN %s", tuple(scope.partner_ids)))
        if scope.team_ids:
            # The salesperson's main team, as the analysis view and the dispute cases take it.
            team = self.env["billing.activity.report"]._team_sql(SQL.identifier("move", "invoice_user_id"))
            clauses.append(SQL("%s IN %s", team, tuple(scope.team_ids)))
        return SQL(" AND ").join(clauses)

    @api.model
    def _check_companies(self, companies):
        """The companies reported on: at least one, all among the user's (the scheduled mail runs as superuser)."""
        self.env["billing.report.hook"]._check_companies(companies)

    @api.model
    def _paid_sql(self, where=None):
        """THE definition of "paid", used by the key figures, the workbook and the Billing Activity analysis.

        One row per reconciliation of a posted customer invoice's receivable with a payment or a bank entry
        (``move_id`` the invoice, ``paid_date`` the reconciliation's date, ``amount`` in company currency). Credit
        notes, write-offs and exchange differences do not pay; an undone matching run took its reconciliations back,
        so it pays nothing. ``where`` filters the invoices (alias ``move``).
        """
        return SQL(
            """
            SELECT move.id AS move_id, partial.max_date AS paid_date, partial.amount AS amount
              FROM account_partial_reconcile partial
              JOIN account_move_line aml ON aml.id = partial.debit_move_id
              JOIN account_move move ON move.id = aml.move_id
              JOIN account_move_line counterpart ON counterpart.id = partial.credit_move_id
              JOIN account_move source ON source.id = counterpart.move_id
             WHERE move.state = 'posted' AND move.move_type = 'out_invoice'
               AND (source.origin_payment_id IS NOT NULL OR source.statement_line_id IS NOT NULL) AND %s
            """,
            where or SQL("TRUE"),
        )

    @api.model
    def _credited_sql(self):
        """Like ``_paid_sql``: each reconciliation of a customer invoice with a credit note (what is credited)."""
        return SQL(
            """
            SELECT aml.move_id AS move_id, partial.max_date AS paid_date, partial.amount AS amount
              FROM account_partial_reconcile partial
              JOIN account_move_line aml ON aml.id = partial.debit_move_id
              JOIN account_move_line counterpart ON counterpart.id = partial.credit_move_id
              JOIN account_move source ON source.id = counterpart.move_id
             WHERE source.move_type = 'out_refund'
            """
        )

    @api.model
    def _get_kpis(self, companies, date_from, date_to, team_ids=None, user_ids=None, partner_ids=None):
        return self._kpis_for(ReportScope.of(companies, date_from, date_to, team_ids, user_ids, partner_ids))

    @api.model
    def _kpis_for(self, scope):
        """Every key figure of ``scope``: the invoices' and receivables' here, then each contribution's."""
        self._check_companies(scope.companies)
        if scope.date_from > scope.date_to:
            raise UserError(self.env._("The period starts after it ends."))
        for model in ("account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        where = self._invoice_filter(scope)
        kpis = {**self._invoice_kpis(scope, where), **self._receivable_kpis(scope)}
        reasons = {}
        for contribution in self.env["billing.report.hook"]._billing_report_contributions():
            figures = dict(contribution._billing_kpis(scope))
            reasons.update(figures.pop("na_reasons", {}))
            kpis.update(figures)
        kpis["na_reasons"] = {**self._set_ratios(kpis, scope.companies, where), **reasons}
        return kpis

    @api.model
    def _invoice_kpis(self, scope, where):
        """Invoices issued, credit notes and invoices paid in the period, and the average days to pay."""
        date_from, date_to, currency = scope.date_from, scope.date_to, scope.currency
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE move.move_type = 'out_invoice'),
                       COALESCE(SUM(move.amount_total_signed) FILTER (WHERE move.move_type = 'out_invoice'), 0),
                       COALESCE(-SUM(move.amount_total_signed) FILTER (WHERE move.move_type = 'out_refund'), 0)
                  FROM account_move move
                 WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund')
                   AND move.invoice_date BETWEEN %s AND %s AND %s
                """,
                date_from,
                date_to,
                where,
            )
        )
        issued_count, issued_amount, credit_amount = cr.fetchone()
        cr.execute(
            SQL(
                """
                WITH paid AS (
                    SELECT move.id, move.invoice_date, MAX(partial.max_date) AS paid_on
                      FROM account_move move
                      JOIN account_move_line aml ON aml.move_id = move.id
                      JOIN account_partial_reconcile partial ON partial.debit_move_id = aml.id
                     WHERE move.state = 'posted' AND move.move_type = 'out_invoice'
                       AND move.payment_state IN ('paid', 'in_payment') AND %s
                     GROUP BY move.id
                )
                SELECT COUNT(*), AVG(paid_on - invoice_date),
                       (SELECT COALESCE(SUM(flows.amount), 0) FROM (%s) AS flows
                         WHERE flows.paid_date BETWEEN %s AND %s)
                  FROM paid WHERE paid_on BETWEEN %s AND %s
                """,
                where,
                self._paid_sql(where),
                date_from,
                date_to,
                date_from,
                date_to,
            )
        )
        paid_count, avg_days_to_pay, paid_amount = cr.fetchone()
        return {
            "currency": currency,
            "date_from": date_from,
            "date_to": date_to,
            "days": (date_to - date_from).days + 1,
            "invoices_issued_count": issued_count,
            "invoices_issued_amount": currency.round(issued_amount),
            "credit_notes_amount": currency.round(credit_amount),
            "net_sales": currency.round(issued_amount - credit_amount),
            "invoices_paid_count": paid_count,
            "invoices_paid_amount": currency.round(paid_amount),
            "avg_days_to_pay": round(float(avg_days_to_pay), 1) if avg_days_to_pay is not None else None,
        }

    @api.model
    def _receivable_kpis(self, scope):
        """The receivables at the start and the end of the period, and the aging on its last day."""
        aging = self.env["billing.aging"]
        partners = list(scope.partner_ids) or None
        end = aging._get_aging(scope.companies, scope.date_to, partner_ids=partners)
        day_before = scope.date_from - timedelta(days=1)
        return {
            "invoices_overdue_count": end["overdue_documents"],
            "invoices_overdue_amount": end["overdue_amount"],
            "receivable_start": aging._get_ledger_balance(scope.companies, day_before, partner_ids=partners),
            "receivable_end": end["ledger_balance"],
            "receivable_current_end": end["totals"][0],
            "aging": end,
            "unapplied_credits_end": end["unapplied_credits"],
        }

    @api.model
    def _set_ratios(self, kpis, companies, where):
        """Set the DSOs and the CEI on ``kpis``; a figure whose inputs make it meaningless is None.

        :return: {key: reason} for every figure left at None, the reason in words for the reader.
        """
        net_sales, days = kpis["net_sales"], kpis["days"]
        start, end, current = kpis["receivable_start"], kpis["receivable_end"], kpis["receivable_current_end"]
        reasons = {}
        if net_sales <= 0:
            no_sales = (
                self.env._("no sales in the period")
                if not kpis["invoices_issued_amount"]
                else self.env._("credit notes are at least the invoices of the period (net sales not positive)")
            )
            reasons.update(dso_simple=no_sales, dso_best_possible=no_sales)
        negative_end = self.env._(
            "the receivables at the end are negative: unapplied credits exceed what customers owe"
        )
        if end < 0:
            reasons.update(dso_simple=reasons.get("dso_simple", negative_end), dso_countback=negative_end)
        if "dso_simple" not in reasons:
            kpis["dso_simple"] = round(end / net_sales * days, 1)
        if "dso_best_possible" not in reasons:
            kpis["dso_best_possible"] = round(current / net_sales * days, 1)
        if "dso_countback" not in reasons:
            kpis["dso_countback"] = self._dso_countback(companies, kpis["date_to"], end, where)
            if kpis["dso_countback"] is None:
                reasons["dso_countback"] = self.env._("the receivables exceed two years of net sales")
        cei, reasons["cei"] = self._cei(start, net_sales, end, current)
        kpis["cei"] = cei
        if kpis["avg_days_to_pay"] is None:
            reasons["avg_days_to_pay"] = self.env._("no invoice paid in the period")
        if kpis["avg_days_to_pay"] is not None and kpis["avg_days_to_pay"] < 0:
            kpis["avg_days_to_pay"] = None
            reasons["avg_days_to_pay"] = self.env._(
                "the invoices paid in the period were paid before their date (prepayments)"
            )
        for key in ("dso_simple", "dso_best_possible", "dso_countback"):
            kpis.setdefault(key, None)
        return {key: reason for key, reason in reasons.items() if reason and kpis.get(key) is None}

    @api.model
    def _cei(self, start, net_sales, end, current):
        """(CEI or None, reason when None): collected / collectible x 100, meaningful between 0 and 100."""
        if start < 0 or end < 0:
            return None, self.env._(
                "negative receivables at the start or the end: unapplied credits exceed what customers owe"
            )
        collectible = start + net_sales - current
        if collectible <= 0:
            return None, self.env._(
                "nothing was collectible: receivables at start plus net sales do not exceed what is not yet due"
            )
        cei = round((start + net_sales - end) / collectible * 100.0, 1)
        if cei > 100:
            return None, self.env._("unapplied credits at the end exceed the overdue receivables")
        if cei < 0:
            return None, self.env._(
                "the receivables grew by more than the net sales (refunds paid out or opening entries)"
            )
        return cei, None

    @api.model
    def _dso_countback(self, companies, date_to, receivable, where, max_months=24):
        """Walk back one calendar month at a time from ``date_to``, consuming each month's net sales."""
        if not receivable:
            return 0.0
        first = date_to - relativedelta(months=max_months) + timedelta(days=1)
        self.env.cr.execute(
            SQL(
                """
                SELECT move.invoice_date, SUM(move.amount_total_signed)
                  FROM account_move move
                 WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund')
                   AND move.invoice_date BETWEEN %s AND %s AND %s
                 GROUP BY move.invoice_date
                """,
                first,
                date_to,
                where,
            )
        )
        daily = self.env.cr.fetchall()
        remaining, total_days = receivable, 0.0
        window_end = date_to
        for _month in range(max_months):
            window_start = window_end - relativedelta(months=1) + timedelta(days=1)
            window_days = (window_end - window_start).days + 1
            sales = sum(amount for day, amount in daily if window_start <= day <= window_end)
            if sales <= 0:
                total_days += window_days
            elif remaining > sales:
                remaining -= sales
                total_days += window_days
            else:
                return round(total_days + remaining / sales * window_days, 1)
            window_end = window_start - timedelta(days=1)
        return None  # receivables exceed two years of sales: not meaningful
