from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..models.billing_dispute_stage import OPEN_STATES

# How long after a follow-up message the payments it brought in are counted (level effectiveness).
EFFECTIVENESS_DAYS = 30


class BillingKpi(models.AbstractModel):
    """Billing-activity KPIs for a period, in company currency, each figure stated with its definition.

    Invoices (customer invoices only; credit notes net the sales):
    - issued: invoices dated in the period; paid: invoices whose last payment (or credit) fell in the period and that
      are paid now; overdue: open debits past due on the last day (as of), and the documents they belong to.
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
    Disputes: opened (by date opened), closed (by date closed), average days from opening to closing, amounts credited
    and written off by the cases closed in the period, SLA breaches among cases whose deadline fell in the period.
    Cash: inbound payments dated in the period, and unapplied credits at the end (payments and credit notes not yet
    applied to an invoice, as they stood on the last day). Matching: payments of the period applied by an automatic
    run (not undone), their share of the payments, and the payments fully applied otherwise (by hand or wizard).
    """

    _name = "billing.kpi"
    _description = "Billing Activity KPIs"

    @api.model
    def _invoice_filter(self, companies, team_ids=None, partner_ids=None):
        clauses = [SQL("move.company_id IN %s", tuple(companies.ids))]
        if partner_ids:
            clauses.append(SQL("move.commercial_partner_id IN %s", tuple(partner_ids)))
        if team_ids:
            # The salesperson's main team, as the analysis view and the dispute cases take it.
            team = self.env["billing.activity.report"]._team_sql(SQL.identifier("move", "invoice_user_id"))
            clauses.append(SQL("%s IN %s", team, tuple(team_ids)))
        return SQL(" AND ").join(clauses)

    @api.model
    def _check_companies(self, companies):
        """The companies reported on: at least one, all among the user's (the scheduled mail runs as superuser)."""
        if not companies:
            raise UserError(self.env._("Choose at least one of your companies for the report."))
        if not self.env.su and companies - self.env.user.company_ids:
            raise AccessError(self.env._("You can only report on your own companies."))

    @api.model
    def _get_kpis(self, companies, date_from, date_to, team_ids=None, user_ids=None, partner_ids=None):
        self._check_companies(companies)
        if date_from > date_to:
            raise UserError(self.env._("The period starts after it ends."))
        for model in (
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "account.payment",
            "billing.dispute",
            "billing.match.run",
            "billing.match.run.line",
        ):
            self.env[model].flush_model()
        currency = companies[:1].currency_id
        days = (date_to - date_from).days + 1
        where = self._invoice_filter(companies, team_ids, partner_ids)
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
                    SELECT move.id, move.amount_total_signed AS amount, move.invoice_date,
                           MAX(partial.max_date) AS paid_on
                      FROM account_move move
                      JOIN account_move_line aml ON aml.move_id = move.id
                      JOIN account_partial_reconcile partial ON partial.debit_move_id = aml.id
                     WHERE move.state = 'posted' AND move.move_type = 'out_invoice'
                       AND move.payment_state IN ('paid', 'in_payment') AND %s
                     GROUP BY move.id
                )
                SELECT COUNT(*), COALESCE(SUM(amount), 0), AVG(paid_on - invoice_date)
                  FROM paid WHERE paid_on BETWEEN %s AND %s
                """,
                where,
                date_from,
                date_to,
            )
        )
        paid_count, paid_amount, avg_days_to_pay = cr.fetchone()
        net_sales = issued_amount - credit_amount

        aging = self.env["billing.aging"]
        partners = partner_ids if partner_ids else None
        end = aging._get_aging(companies, date_to, partner_ids=partners)
        start_balance = aging._get_ledger_balance(companies, date_from - timedelta(days=1), partner_ids=partners)
        end_balance = end["ledger_balance"]
        current_end = end["totals"][0]
        kpis = {
            "currency": currency,
            "date_from": date_from,
            "date_to": date_to,
            "days": days,
            "invoices_issued_count": issued_count,
            "invoices_issued_amount": currency.round(issued_amount),
            "credit_notes_amount": currency.round(credit_amount),
            "net_sales": currency.round(net_sales),
            "invoices_paid_count": paid_count,
            "invoices_paid_amount": currency.round(paid_amount),
            "invoices_overdue_count": end["overdue_documents"],
            "invoices_overdue_amount": end["overdue_amount"],
            "receivable_start": start_balance,
            "receivable_end": end_balance,
            "receivable_current_end": current_end,
            "avg_days_to_pay": round(float(avg_days_to_pay), 1) if avg_days_to_pay is not None else None,
            "aging": end,
            "unapplied_credits_end": end["unapplied_credits"],
        }
        kpis.update(self._cash_kpis(companies, date_from, date_to, partner_ids))
        kpis.update(self._dispute_kpis(companies, date_from, date_to, team_ids, user_ids, partner_ids))
        kpis.update(self._collection_kpis(companies, date_from, date_to, partner_ids))
        kpis["na_reasons"] = self._set_ratios(kpis, companies, where)
        return kpis

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
        reasons.update(
            avg_days_to_pay=self.env._("no invoice paid in the period") if kpis["avg_days_to_pay"] is None else None,
            matching_auto_rate=self.env._("no customer payment in the period")
            if kpis["matching_auto_rate"] is None
            else None,
            disputes_avg_resolution_days=self.env._("no case closed in the period")
            if kpis["disputes_avg_resolution_days"] is None
            else None,
            promises_kept_rate=self.env._("no promise judged in the period")
            if kpis["promises_kept_rate"] is None
            else None,
        )
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

    @api.model
    def _cash_kpis(self, companies, date_from, date_to, partner_ids=None):
        partner_clause = (
            SQL(
                "AND payment.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id IN %s)",
                tuple(partner_ids),
            )
            if partner_ids
            else SQL()
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*), COALESCE(SUM(move.amount_total_signed), 0),
                       COUNT(*) FILTER (WHERE EXISTS (
                            SELECT 1 FROM billing_match_run_line line
                              JOIN billing_match_run run ON run.id = line.run_id
                             WHERE line.payment_id = payment.id AND line.outcome = 'applied' AND run.state IN ('done', 'partial'))),
                       COUNT(*) FILTER (WHERE NOT EXISTS (
                            SELECT 1 FROM account_move_line aml
                              JOIN account_account account ON account.id = aml.account_id
                             WHERE aml.move_id = move.id AND account.account_type = 'asset_receivable'
                               AND NOT aml.reconciled AND aml.amount_residual != 0))
                  FROM account_payment payment
                  JOIN account_move move ON move.id = payment.move_id
                 WHERE payment.payment_type = 'inbound' AND payment.partner_type = 'customer'
                   AND move.state = 'posted' AND move.date BETWEEN %s AND %s AND move.company_id IN %s %s
                """,
                date_from,
                date_to,
                tuple(companies.ids),
                partner_clause,
            )
        )
        count, amount, auto_applied, fully_applied = self.env.cr.fetchone()
        currency = companies[:1].currency_id
        return {
            "payments_count": count,
            "payments_amount": currency.round(amount),
            "matching_auto_applied": auto_applied,
            "matching_manual": max(fully_applied - auto_applied, 0),
            "matching_auto_rate": round(auto_applied / count * 100.0, 1) if count else None,
        }

    @api.model
    def _dispute_domain(self, companies, team_ids=None, user_ids=None, partner_ids=None):
        domain = [("company_id", "in", companies.ids)]
        if team_ids:
            domain.append(("team_id", "in", list(team_ids)))
        if user_ids:
            domain.append(("user_id", "in", list(user_ids)))
        if partner_ids:
            domain.append(("partner_id", "in", list(partner_ids)))
        return domain

    @api.model
    def _billing_errors_by_month(self, companies, date_from, date_to, team_ids=None, user_ids=None, partner_ids=None):
        """Billing errors prevented beside those that reached customers, per month (YYYY-MM).

        Prevented: pre-send check findings corrected in the month (the invoice was fixed before it went out), blocks
        and warnings apart, and blocks a billing manager overrode. Reached customers: dispute cases opened in the
        month by root cause (None while the cause is not known), rejected and cancelled cases left out.
        :return: ({month: {"block": n, "warn": n, "overridden": n}}, {month: {root cause or None: n}})
        """
        self._check_companies(companies)
        Result = self.env["billing.invoice.check.result"]
        base = [("company_id", "in", companies.ids)]
        if partner_ids:
            base.append(("partner_id", "in", list(partner_ids)))
        start, end = fields.Datetime.to_datetime(date_from), fields.Datetime.to_datetime(date_to + timedelta(days=1))
        prevented = {}
        corrected = [*base, ("state", "=", "corrected"), ("date_corrected", ">=", start), ("date_corrected", "<", end)]
        for month, severity, count in Result._read_group(corrected, ["date_corrected:month", "severity"], ["__count"]):
            prevented.setdefault(month.strftime("%Y-%m"), {})[severity] = count
        overridden = [*base, ("state", "=", "overridden"), ("date", ">=", start), ("date", "<", end)]
        for month, count in Result._read_group(overridden, ["date:month"], ["__count"]):
            prevented.setdefault(month.strftime("%Y-%m"), {})["overridden"] = count
        reached = {}
        disputes = [
            *self._dispute_domain(companies, team_ids, user_ids, partner_ids),
            ("state", "not in", ("rejected", "cancelled")),
            ("date_opened", ">=", date_from),
            ("date_opened", "<=", date_to),
        ]
        groups = (
            self.env["billing.dispute"]
            .with_context(active_test=False)
            ._read_group(disputes, ["date_opened:month", "root_cause_id"], ["__count"])
        )
        for month, cause, count in groups:
            reached.setdefault(month.strftime("%Y-%m"), {})[cause or None] = count
        return prevented, reached

    @api.model
    def _dispute_kpis(self, companies, date_from, date_to, team_ids=None, user_ids=None, partner_ids=None):
        Dispute = self.env["billing.dispute"].with_context(active_test=False)
        base = self._dispute_domain(companies, team_ids, user_ids, partner_ids)
        opened = [*base, ("date_opened", ">=", date_from), ("date_opened", "<=", date_to)]
        closed = [
            *base,
            ("state", "in", ("resolved", "rejected")),
            ("date_closed", ">=", date_from),
            ("date_closed", "<=", date_to),
        ]
        company = companies[:1]

        def to_company(amount, currency):
            return currency._convert(amount or 0.0, company.currency_id, company, date_to)

        measures = ["__count", "amount_disputed:sum", "amount_credited:sum", "amount_written_off:sum"]

        def grouped(domain, field=None):
            """{record or None: [count, disputed, credited, written off]} in company currency."""
            result = {}
            for row in Dispute._read_group(domain, ([field] if field else []) + ["currency_id"], measures):
                key, currency, values = (row[0], row[1], row[2:]) if field else (None, row[0], row[1:])
                totals = result.setdefault(key, [0, 0.0, 0.0, 0.0])
                totals[0] += values[0]
                for index in (1, 2, 3):
                    totals[index] += to_company(values[index], currency)
            return result

        opened_count, opened_amount, _credited, _written_off = grouped(opened).get(None, [0, 0.0, 0.0, 0.0])
        closed_cases = Dispute.search_fetch(
            closed, ["state", "date_opened", "date_closed", "amount_credited", "amount_written_off", "currency_id"]
        )
        resolution_days = [(case.date_closed - case.date_opened).days for case in closed_cases]
        breaches = Dispute.search_count(
            [*base, ("sla_breached", "=", True), ("date_deadline", ">=", date_from), ("date_deadline", "<=", date_to)]
        )
        open_at_end = Dispute.search_count(
            [*base, ("date_opened", "<=", date_to), "|", ("state", "in", OPEN_STATES), ("date_closed", ">", date_to)]
        )

        def breakdown(field):
            rows = [
                {
                    "label": record.display_name if record else self.env._("Not set"),
                    "count": count,
                    "disputed": company.currency_id.round(disputed),
                    "credited": company.currency_id.round(credited),
                    "written_off": company.currency_id.round(written_off),
                }
                for record, (count, disputed, credited, written_off) in grouped(opened, field).items()
            ]
            return sorted(rows, key=lambda row: (-row["count"], row["label"]))

        return {
            "disputes_opened_count": opened_count,
            "disputes_opened_amount": company.currency_id.round(opened_amount),
            "disputes_resolved_count": len(closed_cases.filtered(lambda c: c.state == "resolved")),
            "disputes_rejected_count": len(closed_cases.filtered(lambda c: c.state == "rejected")),
            "disputes_avg_resolution_days": round(sum(resolution_days) / len(resolution_days), 1)
            if resolution_days
            else None,
            "disputes_credited": company.currency_id.round(
                sum(to_company(case.amount_credited, case.currency_id) for case in closed_cases)
            ),
            "disputes_written_off": company.currency_id.round(
                sum(to_company(case.amount_written_off, case.currency_id) for case in closed_cases)
            ),
            "disputes_sla_breaches": breaches,
            "disputes_open_end": open_at_end,
            "disputes_by_reason": breakdown("reason_id"),
            "disputes_by_root_cause": breakdown("root_cause_id"),
            "disputes_by_specialist": breakdown("user_id"),
        }

    @api.model
    def _collection_kpis(self, companies, date_from, date_to, partner_ids=None):
        """Promises to pay of the period and the collections as they stand today.

        - made: promises recorded in the period (their creation day); kept / partially kept / broken: promises
          judged in the period (``date_judged``), by outcome; amounts are the promised amounts, company currency
          (converted on the last day). Kept rate = kept / judged x 100 (partially kept are not kept).
        - today (not as of the period's end: disputes and promises have no history): the overdue amount still
          followed up, the part paused by open disputes and the part covered by open promises (as the worklist
          counts them), and the customers per follow-up level (``billing.collection.level_id``).
        """
        for model in ("billing.promise", "billing.collection", "account.move", "account.move.line"):
            self.env[model].flush_model()
        company = companies[:1]
        Promise = self.env["billing.promise"].sudo()
        base = [("company_id", "in", companies.ids)]
        if partner_ids:
            base.append(("partner_id", "in", list(partner_ids)))

        def totals(domain, groupby="state"):
            """{state: [count, amount in company currency]}"""
            result = {}
            for key, currency, count, amount in Promise._read_group(
                domain, [groupby, "currency_id"], ["__count", "amount:sum"]
            ):
                row = result.setdefault(key, [0, 0.0])
                row[0] += count
                row[1] += currency._convert(amount or 0.0, company.currency_id, company, date_to)
            return result

        made = totals([*base, ("date_made", ">=", date_from), ("date_made", "<=", date_to)], "company_id")
        made_count = sum(row[0] for row in made.values())
        made_amount = sum(row[1] for row in made.values())
        judged = totals([*base, ("date_judged", ">=", date_from), ("date_judged", "<=", date_to)])
        kpis = {
            "promises_made_count": made_count,
            "promises_made_amount": company.currency_id.round(made_amount),
        }
        for state in ("kept", "partial", "broken"):
            count, amount = judged.get(state, [0, 0.0])
            kpis[f"promises_{state}_count"] = count
            kpis[f"promises_{state}_amount"] = company.currency_id.round(amount)
        judged_count = sum(judged.get(state, [0])[0] for state in ("kept", "partial", "broken"))
        kpis["promises_kept_rate"] = (
            round(kpis["promises_kept_count"] / judged_count * 100.0, 1) if judged_count else None
        )
        kpis.update(self._followup_amounts(companies, partner_ids))
        kpis["customers_by_level"] = self._customers_by_level(companies, partner_ids)
        kpis["level_effectiveness"] = self._level_effectiveness(companies, date_from, date_to, partner_ids)
        return kpis

    @api.model
    def _level_effectiveness(self, companies, date_from, date_to, partner_ids=None, today=None):
        """How well each follow-up level works: of the messages sent at that level in the period (e-mail, letter or
        call, from follow-up runs), the share of the amount followed up that customers paid within
        ``EFFECTIVENESS_DAYS`` days of the message (payments and bank entries reconciled with the items followed
        up, by reconciliation date; credit notes do not count). Only messages whose days are over count; a level
        without them has no rate (None) and says why.

        :return: [{"label", "messages", "amount", "collected", "rate", "reason"}] in ladder order
        """
        today = today or fields.Date.context_today(self)
        Line = self.env["billing.followup.line"]
        for model in ("billing.followup.line", "account.partial.reconcile", "account.move.line", "account.move"):
            self.env[model].flush_model()
        rel = Line._fields["move_ids"]
        partner_clause = SQL("AND line.partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        self.env.cr.execute(
            SQL(
                """
                WITH line AS (
                    SELECT line.id, line.level_id, line.date, line.amount_due,
                           line.date + %(days)s <= %(today)s AS matured
                      FROM billing_followup_line line
                     WHERE line.company_id IN %(companies)s AND line.run_state IN ('done', 'partial')
                       AND line.outcome IN ('emailed', 'letter', 'activity')
                       AND line.date BETWEEN %(date_from)s AND %(date_to)s %(partner_clause)s
                ), collected AS (
                    SELECT line.id, SUM(partial.amount) AS amount
                      FROM line
                      JOIN %(rel)s rel ON rel.%(col_line)s = line.id
                      JOIN account_move_line item ON item.move_id = rel.%(col_move)s
                           AND item.display_type = 'payment_term'
                      JOIN account_partial_reconcile partial ON partial.debit_move_id = item.id
                      JOIN account_move_line payment ON payment.id = partial.credit_move_id
                      JOIN account_move payment_move ON payment_move.id = payment.move_id
                           AND payment_move.move_type = 'entry'
                     WHERE line.matured AND partial.max_date >= line.date
                       AND partial.max_date <= line.date + %(days)s
                     GROUP BY line.id
                )
                SELECT line.level_id, COUNT(*), COUNT(*) FILTER (WHERE line.matured),
                       COALESCE(SUM(line.amount_due) FILTER (WHERE line.matured), 0),
                       COALESCE(SUM(LEAST(COALESCE(collected.amount, 0), line.amount_due)), 0)
                  FROM line LEFT JOIN collected ON collected.id = line.id
                 GROUP BY line.level_id
                """,
                days=EFFECTIVENESS_DAYS,
                today=today,
                companies=tuple(companies.ids),
                date_from=date_from,
                date_to=date_to,
                partner_clause=partner_clause,
                rel=SQL.identifier(rel.relation),
                col_line=SQL.identifier(rel.column1),
                col_move=SQL.identifier(rel.column2),
            )
        )
        rows = self.env.cr.fetchall()
        levels = self.env["billing.followup.level"].sudo().with_context(active_test=False).browse([r[0] for r in rows])
        by_level = {level_id: rest for level_id, *rest in rows}
        currency = companies[:1].currency_id
        result = []
        for level in levels.sorted(lambda lv: (lv.delay, lv.company_id.id, lv.id)):
            messages, matured, amount, collected = by_level[level.id]
            rate, reason = None, None
            if not matured:
                reason = self.env._(
                    "the %(days)s days after its %(count)s message(s) are not over yet",
                    days=EFFECTIVENESS_DAYS,
                    count=messages,
                )
            elif currency.is_zero(amount):
                reason = self.env._("nothing was followed up at this level")
            else:
                rate = round(float(collected) / float(amount) * 100.0, 1)
            result.append(
                {
                    "label": level.display_name,
                    "messages": messages,
                    "amount": currency.round(float(amount)),
                    "collected": currency.round(float(collected)),
                    "rate": rate,
                    "reason": reason,
                }
            )
        return result

    @api.model
    def _followup_amounts(self, companies, partner_ids=None):
        """Today's overdue amounts as the worklist splits them: followed up, paused by disputes, under promise."""
        Worklist = self.env["billing.worklist"]
        Worklist.flush_model()
        partner_clause = SQL("AND worklist.partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*), COALESCE(SUM(worklist.followup_amount), 0), COALESCE(SUM(worklist.disputed_amount), 0),
                       COALESCE(SUM(worklist.promised_amount), 0)
                  FROM (%s) AS worklist
                 WHERE worklist.company_id IN %s %s
                """,
                Worklist._table_query,
                tuple(companies.ids),
                partner_clause,
            )
        )
        customers, followup, disputed, promised = self.env.cr.fetchone()
        currency = companies[:1].currency_id
        return {
            "collection_customers_overdue": customers,
            "collection_followup_amount": currency.round(followup),
            "collection_disputed_amount": currency.round(disputed),
            "collection_promised_amount": currency.round(promised),
        }

    @api.model
    def _customers_by_level(self, companies, partner_ids=None):
        """[{"label": level name, "count": customers}] by ladder order, then the customers at no level yet."""
        domain = [("company_id", "in", companies.ids), ("level_id", "!=", False)]
        if partner_ids:
            domain.append(("partner_id", "in", list(partner_ids)))
        groups = self.env["billing.collection"].sudo()._read_group(domain, ["level_id"], ["__count"])
        rows = sorted(groups, key=lambda group: (group[0].delay, group[0].company_id.id, group[0].id))
        return [{"label": level.display_name, "count": count} for level, count in rows]
