from odoo import api, fields, models
from odoo.tools import SQL

# How long after a follow-up message the payments it brought in are counted (level effectiveness).
EFFECTIVENESS_DAYS = 30


class BillingCollectionReport(models.AbstractModel):
    """The collections' part of the billing-activity report: promises to pay, follow-up amounts and levels.

    - made: promises recorded in the period (their creation day); kept / partially kept / broken: promises judged in
      the period (``date_judged``), by outcome; amounts are the promised amounts, company currency (converted on the
      last day). Kept rate = kept / judged x 100 (partially kept are not kept).
    - today (not as of the period's end: disputes and promises have no history): the overdue amount still followed
      up, the part paused by open disputes and the part covered by open promises (as the worklist counts them), and
      the customers per follow-up level (``billing.collection.level_id``).
    - how well each follow-up level works (``_level_effectiveness``).
    """

    _name = "billing.collection.report"
    _inherit = "billing.report.hook"
    _description = "Billing Report: Collections"
    _billing_report_sequence = 40

    def _promise_totals(self, scope, domain, groupby="state"):
        """{group: [count, amount in company currency]} of the promises of ``domain``."""
        Promise = self.env["billing.promise"].sudo()
        result = {}
        for key, currency, count, amount in Promise._read_group(
            domain, [groupby, "currency_id"], ["__count", "amount:sum"]
        ):
            row = result.setdefault(key, [0, 0.0])
            row[0] += count
            row[1] += currency._convert(amount or 0.0, scope.currency, scope.company, scope.date_to)
        return result

    def _promise_kpis(self, scope):
        base = [("company_id", "in", scope.companies.ids)]
        if scope.partner_ids:
            base.append(("partner_id", "in", list(scope.partner_ids)))
        period = [("date_made", ">=", scope.date_from), ("date_made", "<=", scope.date_to)]
        made = self._promise_totals(scope, [*base, *period], "company_id")
        judged = self._promise_totals(
            scope, [*base, ("date_judged", ">=", scope.date_from), ("date_judged", "<=", scope.date_to)]
        )
        kpis = {
            "promises_made_count": sum(row[0] for row in made.values()),
            "promises_made_amount": scope.currency.round(sum(row[1] for row in made.values())),
        }
        for state in ("kept", "partial", "broken"):
            count, amount = judged.get(state, [0, 0.0])
            kpis[f"promises_{state}_count"] = count
            kpis[f"promises_{state}_amount"] = scope.currency.round(amount)
        judged_count = sum(judged.get(state, [0])[0] for state in ("kept", "partial", "broken"))
        kpis["promises_kept_rate"] = (
            round(kpis["promises_kept_count"] / judged_count * 100.0, 1) if judged_count else None
        )
        return kpis

    @api.model
    def _billing_kpis(self, scope):
        for model in ("billing.promise", "billing.collection", "account.move", "account.move.line"):
            self.env[model].flush_model()
        kpis = self._promise_kpis(scope)
        if kpis["promises_kept_rate"] is None:
            kpis["na_reasons"] = {"promises_kept_rate": self.env._("no promise judged in the period")}
        kpis.update(self._followup_amounts(scope))
        kpis["customers_by_level"] = self._customers_by_level(scope)
        kpis["level_effectiveness"] = self._level_effectiveness(scope)
        return kpis

    def _effectiveness_query(self, scope, today):
        """[(level id, messages, matured messages, amount followed up, amount collected)] of the period."""
        Line = self.env["billing.followup.line"]
        for model in ("billing.followup.line", "account.partial.reconcile", "account.move.line", "account.move"):
            self.env[model].flush_model()
        rel = Line._fields["move_ids"]
        partner_ids = scope.partner_ids
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
                companies=tuple(scope.companies.ids),
                date_from=scope.date_from,
                date_to=scope.date_to,
                partner_clause=partner_clause,
                rel=SQL.identifier(rel.relation),
                col_line=SQL.identifier(rel.column1),
                col_move=SQL.identifier(rel.column2),
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _level_effectiveness(self, scope, today=None):
        """How well each follow-up level works: of the messages sent at that level in the period (e-mail, letter or
        call, from follow-up runs), the share of the amount followed up that customers paid within
        ``EFFECTIVENESS_DAYS`` days of the message (payments and bank entries reconciled with the items followed
        up, by reconciliation date; credit notes do not count). Only messages whose days are over count; a level
        without them has no rate (None) and says why.

        :return: [{"label", "messages", "amount", "collected", "rate", "reason"}] in ladder order
        """
        rows = self._effectiveness_query(scope, today or fields.Date.context_today(self))
        levels = self.env["billing.followup.level"].sudo().with_context(active_test=False).browse([r[0] for r in rows])
        by_level = {level_id: rest for level_id, *rest in rows}
        currency = scope.currency
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
    def _followup_amounts(self, scope):
        """Today's overdue amounts as the worklist splits them: followed up, paused by disputes, under promise."""
        Worklist = self.env["billing.worklist"]
        Worklist.flush_model()
        partner_ids = scope.partner_ids
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
                tuple(scope.companies.ids),
                partner_clause,
            )
        )
        customers, followup, disputed, promised = self.env.cr.fetchone()
        currency = scope.currency
        return {
            "collection_customers_overdue": customers,
            "collection_followup_amount": currency.round(followup),
            "collection_disputed_amount": currency.round(disputed),
            "collection_promised_amount": currency.round(promised),
        }

    @api.model
    def _customers_by_level(self, scope):
        """[{"label": level name, "count": customers}] by ladder order, then the customers at no level yet."""
        domain = [("company_id", "in", scope.companies.ids), ("level_id", "!=", False)]
        if scope.partner_ids:
            domain.append(("partner_id", "in", list(scope.partner_ids)))
        groups = self.env["billing.collection"].sudo()._read_group(domain, ["level_id"], ["__count"])
        rows = sorted(groups, key=lambda group: (group[0].delay, group[0].company_id.id, group[0].id))
        return [{"label": level.display_name, "count": count} for level, count in rows]
