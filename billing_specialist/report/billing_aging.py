from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

DEFAULT_AGING_EDGES = "30,60,90,120"


class BillingAging(models.AbstractModel):
    """Aged receivables as of any date, by customer, in company currency.

    An item's open amount on the date is its balance less what partial reconciliations dated on or before that day
    matched (``max_date`` of the partial is the later of its two lines). Reconciliations, payments and credit notes
    after the date are ignored, so the total ties to the receivable accounts' balance on that date. Two aggregate
    queries, whatever the size of the ledger.
    """

    _name = "billing.aging"
    _description = "Aged Receivables"

    @api.model
    def _get_buckets(self, company=None):
        """[(label, first day overdue, last day overdue)], from the company's edges such as "30,60,90,120"."""
        company = company or self.env.company
        raw = company.billing_aging_buckets or DEFAULT_AGING_EDGES
        try:
            edges = sorted({int(edge) for edge in raw.split(",") if edge.strip()})
        except ValueError:
            raise UserError(self.env._("Aging buckets are day counts separated by commas, e.g. 30,60,90,120."))
        if not edges or edges[0] <= 0:
            raise UserError(self.env._("Aging buckets are positive day counts, e.g. 30,60,90,120."))
        buckets = [(self.env._("Current"), None, 0)]
        previous = 0
        for edge in edges:
            buckets.append((f"{previous + 1}-{edge}", previous + 1, edge))
            previous = edge
        buckets.append((self.env._("Over %(days)s", days=previous), previous + 1, None))
        return buckets

    @api.model
    def _get_ledger_balance(self, companies, as_of, partner_ids=None):
        """The receivable accounts' balance on ``as_of`` (one sum; no aging)."""
        if not companies:
            raise UserError(self.env._("Choose at least one company for the aged receivables."))
        self.env["account.move.line"].flush_model()
        partner_filter = self._partner_filter(partner_ids)
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(SUM(aml.balance), 0)
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                 WHERE account.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
                   AND aml.date <= %s AND aml.company_id IN %s %s
                """,
                as_of,
                tuple(companies.ids),
                partner_filter,
            )
        )
        return companies[:1].currency_id.round(self.env.cr.fetchone()[0])

    @api.model
    def _partner_filter(self, partner_ids):
        if partner_ids is None:
            return SQL()
        return SQL(
            "AND aml.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id IN %s)",
            tuple(partner_ids) or (0,),
        )

    @api.model
    def _open_items_sql(self, companies, as_of, partner_ids=None, days=None):
        """The CTEs ``matched`` and ``items``: every receivable item of ``companies`` dated on or before ``as_of``,
        with its commercial partner, move, age in days and open amount on that date (``aml_id``, ``partner_id``,
        ``move_id``, ``days``, ``open_amount``). The aging and its drill-down read the same items."""
        return SQL(
            """
            matched AS (
                SELECT item_id, SUM(amount) AS amount FROM (
                    SELECT p.debit_move_id AS item_id, -p.amount AS amount
                      FROM account_partial_reconcile p
                     WHERE p.max_date <= %(as_of)s AND p.company_id IN %(companies)s
                    UNION ALL
                    SELECT p.credit_move_id, p.amount
                      FROM account_partial_reconcile p
                     WHERE p.max_date <= %(as_of)s AND p.company_id IN %(companies)s
                ) AS sides
                GROUP BY item_id
            ), items AS MATERIALIZED (
                SELECT aml.id AS aml_id,
                       COALESCE(partner.commercial_partner_id, aml.partner_id) AS partner_id,
                       aml.move_id,
                       %(days)s AS days,
                       aml.balance + COALESCE(matched.amount, 0) AS open_amount
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                  LEFT JOIN matched ON matched.item_id = aml.id
                 WHERE account.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.date <= %(as_of)s
                   AND aml.company_id IN %(companies)s
                   %(partner_filter)s
            )
            """,
            as_of=as_of,
            companies=tuple(companies.ids),
            days=days or SQL("0"),
            partner_filter=self._partner_filter(partner_ids),
        )

    @api.model
    def _get_open_item_ids(self, companies, as_of, partner_ids=None):
        """The receivable journal items still open on ``as_of`` (what the aging of that day adds up), ids."""
        return list(self._get_open_amounts(companies, as_of, partner_ids))

    @api.model
    def _get_open_amounts(self, companies, as_of, partner_ids=None, bucket=None):
        """{journal item id: its open amount on ``as_of``} of the receivable items still open that day, from the
        reconciliations dated up to that day: what the aging of that day adds up. ``bucket``: only the items of that
        column of the aging, or of those columns (a tuple): indexes in ``_get_aging``'s ``buckets``, the unapplied
        credits last."""
        if not companies:
            raise UserError(self.env._("Choose at least one company for the aged receivables."))
        for model in ("account.move.line", "account.move", "account.partial.reconcile", "res.partner"):
            self.env[model].flush_model()
        days = SQL("(%s::date - COALESCE(aml.date_maturity, aml.date))", as_of)
        bucket_filter = SQL()
        if bucket is not None:
            buckets = self._get_buckets(companies[:1])
            column = SQL(
                "CASE WHEN open_amount < 0 THEN %s ELSE %s END", len(buckets), self._bucket_case(buckets, SQL("days"))
            )
            bucket_filter = SQL("AND %s IN %s", column, tuple(bucket) if isinstance(bucket, tuple) else (bucket,))
        self.env.cr.execute(
            SQL(
                "WITH %s SELECT aml_id, open_amount FROM items WHERE ROUND(open_amount, 6) != 0 %s ORDER BY aml_id",
                self._open_items_sql(companies, as_of, partner_ids, days),
                bucket_filter,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _bucket_case(self, buckets, days):
        whens = [
            SQL("WHEN %s <= %s THEN %s", days, high, index)
            for index, (_label, _low, high) in enumerate(buckets)
            if high is not None
        ]
        return SQL("CASE %s ELSE %s END", SQL(" ").join(whens), len(buckets) - 1)

    @api.model
    def _get_aging(self, companies, as_of, partner_ids=None, buckets=None):
        """Open receivables on ``as_of`` by commercial partner and bucket.

        Open debits are aged by due date; open credits (payments and credit notes not yet applied) are never aged
        into the overdue buckets: they sit in a last column of their own, so that the total still ties to the
        ledger while an overdue figure only ever counts what customers owe past due.

        :return: dict with ``buckets`` (labels: the age buckets, then "Unapplied credits"), ``rows`` (partner_id,
            amounts per column, total; largest first), ``totals`` per column, ``total``, ``ledger_balance`` (the
            receivable accounts' balance on the date, which the total equals), ``overdue_amount`` (open debits past
            due), ``overdue_documents`` (documents with an overdue debit still open) and ``unapplied_credits`` (open
            credits, as a positive amount).
        """
        if not companies:
            raise UserError(self.env._("Choose at least one company for the aged receivables."))
        buckets = buckets or self._get_buckets(companies[:1])
        for model in ("account.move.line", "account.move", "account.partial.reconcile", "res.partner"):
            self.env[model].flush_model()
        width = len(buckets) + 1  # the age buckets, then the unapplied credits
        by_partner = {}
        overdue_documents = unapplied_credits = ledger_balance = 0
        for partner_id, bucket, amount, overdue, unapplied, balance in self._aging_query(
            companies, as_of, partner_ids, buckets
        ):
            if bucket == -1:
                overdue_documents, unapplied_credits, ledger_balance = overdue, unapplied, balance
            else:
                by_partner.setdefault(partner_id, [0.0] * width)[bucket] += amount
        currency = companies[:1].currency_id
        rows = self._aging_rows(by_partner, currency)
        totals = [currency.round(sum(row["amounts"][i] for row in rows)) for i in range(width)]
        return {
            "as_of": as_of,
            "buckets": [label for label, _low, _high in buckets] + [self.env._("Unapplied credits")],
            "rows": rows,
            "totals": totals,
            "total": currency.round(sum(totals)),
            "ledger_balance": currency.round(ledger_balance),
            "overdue_amount": currency.round(sum(totals[1 : len(buckets)])),
            "overdue_documents": overdue_documents,
            "unapplied_credits": currency.round(unapplied_credits),
            "currency": currency,
        }

    @api.model
    def _aging_query(self, companies, as_of, partner_ids, buckets):
        """[(partner, bucket, amount, None x 3)] per customer and column, then one row (bucket -1) with the
        overdue documents, the unapplied credits and the ledger balance."""
        days = SQL("(%s::date - COALESCE(aml.date_maturity, aml.date))", as_of)
        self.env.cr.execute(
            SQL(
                """
                WITH %(items)s
                SELECT partner_id, CASE WHEN open_amount < 0 THEN %(credit_column)s ELSE %(bucket)s END AS bucket,
                       SUM(open_amount), NULL, NULL, NULL
                  FROM items GROUP BY 1, 2
                UNION ALL
                SELECT NULL, -1, NULL,
                       COUNT(DISTINCT move_id) FILTER (WHERE open_amount > 0.005 AND days > 0),
                       COALESCE(-SUM(open_amount) FILTER (WHERE open_amount < 0), 0),
                       COALESCE(SUM(open_amount), 0)
                  FROM items
                """,
                items=self._open_items_sql(companies, as_of, partner_ids, days),
                bucket=self._bucket_case(buckets, SQL("days")),
                credit_column=len(buckets),
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _aging_rows(self, by_partner, currency):
        """The customers' rows, rounded, without the all-zero ones, largest total first."""
        rows = []
        for partner_id, amounts in by_partner.items():
            amounts = [currency.round(amount) for amount in amounts]
            if any(not currency.is_zero(amount) for amount in amounts):
                rows.append({"partner_id": partner_id, "amounts": amounts, "total": currency.round(sum(amounts))})
        rows.sort(key=lambda row: -row["total"])
        return rows
