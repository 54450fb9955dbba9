import csv
import io
import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_date

from ..outlook import engine

_logger = logging.getLogger(__name__)

KINDS = [("item", "Open Item"), ("unapplied", "Unapplied Cash")]
BASES = [
    ("habit", "Customer's Habit"),
    ("default", "Company Default"),
    ("promise", "Promise"),
    ("dispute", "Dispute"),
    ("at_risk", "At Risk"),
]
HISTORY_DAYS = 730  # payments older than two years weigh less than 1/256 (half-life 90 days): not read
INSERT_CHUNK = 20000


class BillingOutlookLine(models.Model):
    """The cash outlook: one row per open receivable item (and per unapplied payment or bank line, shown apart).

    Written by the system alone (``_billing_refresh``, nightly and on demand, as superuser after the companies were
    checked): users read the rows of their companies and never create, change or delete one. The rules that make a
    row live in ``outlook/engine.py`` (pure Python, the same functions ``bench/forecast.py`` measures). An item whose
    parts come on different dates (disputed, promised, the rest) has one row per part; the parts' open amounts add up
    to the item's.
    """

    _name = "billing.outlook.line"
    _description = "Cash Outlook Line"
    _order = "date_expected, partner_id, id"
    _rec_name = "move_id"
    # Regenerated in bulk by the system: no author or change dates (``date_refreshed`` says when), and only the
    # foreign keys and indexes the screens and the deletions need (each one costs on every row inserted).
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True, index=True, ondelete="cascade")
    kind = fields.Selection(KINDS, required=True, readonly=True, default="item")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_open = fields.Monetary(readonly=True, help="What is open on the item, in the company currency.")
    amount_expected = fields.Monetary(
        readonly=True,
        help="What the outlook expects to receive on the expected date (zero for a customer at risk; unapplied "
        "cash is already received and never expected).",
    )
    date_due = fields.Date(string="Due Date", readonly=True)
    date_expected = fields.Date(string="Expected On", readonly=True, index=True)
    date_early = fields.Date(string="Early Date", readonly=True, help="Low end of the customer's spread.")
    date_late = fields.Date(string="Late Date", readonly=True, help="High end of the customer's spread.")
    basis = fields.Selection(BASES, readonly=True)
    reason = fields.Char(readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True, ondelete="set null")
    user_id = fields.Many2one("res.users", string="Specialist", readonly=True, ondelete="set null")
    date_refreshed = fields.Date(string="Computed On", readonly=True)

    # ------------------------------------------------------------------ entry points

    @api.model
    def action_billing_refresh(self):
        """Refresh the outlook of the user's current companies (a billing user; the rows are the system's)."""
        if not self.env.user.has_group("billing_specialist.group_billing_user"):
            raise AccessError(self.env._("Only billing users can refresh the cash outlook."))
        self.sudo()._billing_refresh(self.env.companies)
        return True

    @api.model
    def _cron_refresh(self):
        """Every company, each in a savepoint: one that fails (a refresh by hand at the same time) is logged and
        left for the next night; the others are refreshed."""
        for company in self.env["res.company"].search([]):
            try:
                with self.env.cr.savepoint():
                    self.sudo()._billing_refresh_company(company)
            except psycopg2.Error:
                _logger.warning("Cash outlook of %s not refreshed (refreshed at the same time)", company.name)

    @api.model
    def _billing_refresh(self, companies):
        """Regenerate the rows of ``companies``: read the ledger (a few queries), ask the engine, insert in bulk."""
        for company in companies:
            self._billing_refresh_company(company)

    @api.model
    def _billing_refresh_company(self, company):
        today = fields.Date.context_today(self.with_company(company))
        policy = engine.Policy(
            default_days=company.billing_outlook_default_days,
            default_spread=company.billing_outlook_default_spread,
            dispute_default_days=company.billing_outlook_dispute_days,
        )
        for model in (
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "billing.promise",
            "billing.dispute",
            "billing.dispute.line",
            "billing.collection",
        ):
            self.env[model].flush_model()
        # A pending ORM write of the company's date would be flushed after the update below and overwrite it.
        company.flush_recordset(["billing_outlook_date"])
        # One refresh of a company at a time: the second one's update of the company's row waits, then fails on
        # the first one's (REPEATABLE READ), so two refreshes never both insert rows (docs/CONCURRENCY.md).
        self.env.cr.execute(
            SQL("UPDATE res_company SET billing_outlook_date = %s WHERE id = %s", fields.Datetime.now(), company.id)
        )
        company.invalidate_recordset(["billing_outlook_date"])
        customers, moves, extra = self._billing_read(company, today, policy)
        rows = engine.forecast_company(customers, today, policy)
        self.env.cr.execute(SQL("DELETE FROM billing_outlook_line WHERE company_id = %s", company.id))
        self._billing_insert(company, today, rows, moves, extra)
        self.invalidate_model()

    @api.model
    def _billing_weekly(self, domain=None, weeks=13, start=None):
        """[(week start, expected, low, high)] of the rows the user reads in ``domain`` (``engine.weekly``: each
        row's amount spread over its band, the band from the early/expected/late scenario sums), from ``start``
        (today) for ``weeks`` weeks (1 to 104). The screens and the snapshots use this, not a sum by expected date."""
        weeks = int(weeks)
        if not 1 <= weeks <= 104:
            raise ValueError("weeks: 1 to 104")
        start = start or fields.Date.context_today(self)
        lines = self.search_fetch(
            [*(domain or []), ("kind", "=", "item"), ("amount_expected", ">", 0)],
            ["amount_expected", "date_expected", "date_early", "date_late"],
        )
        rows = [
            engine.Row(
                line.id,
                "item",
                line.amount_expected,
                line.amount_expected,
                None,
                line.date_expected,
                line.date_early or line.date_expected,
                line.date_late or line.date_expected,
            )
            for line in lines
            if line.date_expected
        ]
        return engine.weekly(rows, start, weeks)

    # ------------------------------------------------------------------ reading the ledger

    @api.model
    def _billing_read(self, company, today, policy):
        """({customer: engine.Customer}, {item key: move id}, [unapplied bank rows]) of ``company`` on ``today``."""
        items = self._billing_open_items(company)
        promised = self._billing_promised(company, today, items)
        disputed = self._billing_disputed(company, today, policy, items)
        samples, last_paid = self._billing_history(company, today)
        by_customer, moves = defaultdict(list), {}
        for key, item in items.items():
            partner, move_id = item["partner"], item["move_id"]
            moves[key] = move_id
            promise = promised.get(key, (0.0, None, None))
            dispute = disputed.get(key, (0.0, None, 0.0))
            by_customer[partner].append(
                engine.Item(
                    key,
                    item["due"],
                    item["residual"],
                    credit_kind=item["credit_kind"],
                    disputed=dispute[0],
                    dispute_until=dispute[1],
                    dispute_days=dispute[2],
                    promised=promise[0],
                    promise_date=promise[1],
                    promise_deadline=promise[2],
                )
            )
        bank = self._billing_bank_cash(company)
        for partner, amount, day in bank:
            by_customer[partner].append(engine.Item(("bank", partner), day, -amount, credit_kind="cash"))
        customers = {
            partner: engine.Customer(tuple(found), tuple(samples.get(partner, ())), last_paid.get(partner))
            for partner, found in by_customer.items()
        }
        return customers, moves, bank

    @api.model
    def _billing_open_items(self, company):
        """{line id: item} of the company's posted receivable lines not reconciled (company currency): residual,
        residual in the document's currency, due date, customer, move and what kind of credit a credit is."""
        self.env.cr.execute(
            SQL(
                """
                SELECT aml.id, aml.move_id, partner.commercial_partner_id, COALESCE(aml.date_maturity, aml.date),
                       aml.amount_residual::float, aml.amount_residual_currency::float,
                       CASE WHEN aml.payment_id IS NOT NULL OR aml.statement_line_id IS NOT NULL THEN 'cash'
                            WHEN move.move_type = 'out_refund' THEN 'credit_note' ELSE 'other' END
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                 WHERE aml.company_id = %s AND account.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted' AND aml.reconciled IS NOT TRUE AND aml.amount_residual != 0
                 ORDER BY aml.date_maturity, aml.id
                """,
                company.id,
            )
        )
        return {
            line_id: {
                "move_id": move_id,
                "partner": partner,
                "due": due,
                "residual": residual,
                "rate": residual / residual_currency if residual_currency else 1.0,
                "credit_kind": kind if residual < 0 else "",
            }
            for line_id, move_id, partner, due, residual, residual_currency, kind in self.env.cr.fetchall()
        }

    @api.model
    def _billing_lines_by_move(self, items):
        lines = defaultdict(list)
        for key, item in items.items():  # in due date order
            if item["residual"] > 0:
                lines[item["move_id"]].append(key)
        return lines

    @api.model
    def _billing_spread(self, amounts, items):
        """{line id: company-currency part} of {move id: amount in the document's currency}, spread over each
        move's open debit lines, oldest due first (``engine.allocate``)."""
        lines, parts = self._billing_lines_by_move(items), {}
        for move_id, amount in amounts.items():
            opens = [(key, items[key]["residual"] / items[key]["rate"]) for key in lines.get(move_id, ())]
            for key, part in engine.allocate(amount, opens).items():
                parts[key] = part * items[key]["rate"]
        return parts

    @api.model
    def _billing_promised(self, company, today, items):
        """{line id: (promised part, promised date, deadline)}: the open promises' amounts still to come, spread over
        their invoices as the follow-up pauses them (``billing.promise._paused_query``)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT paused.move_id, SUM(paused.paused)::float, MIN(promise.date), MAX(promise.date_deadline)
                  FROM (%(paused)s) AS paused
                  JOIN billing_promise_move_rel rel ON rel.move_id = paused.move_id
                  JOIN billing_promise promise ON promise.id = rel.promise_id AND promise.state = 'open'
                 WHERE promise.company_id = %(company)s
                 GROUP BY paused.move_id
                """,
                paused=self.env["billing.promise"]._paused_query(today),
                company=company.id,
            )
        )
        found = {move_id: (amount, date, deadline) for move_id, amount, date, deadline in self.env.cr.fetchall()}
        parts = self._billing_spread({move_id: value[0] for move_id, value in found.items()}, items)
        return {key: (part, *found[items[key]["move_id"]][1:]) for key, part in parts.items()}

    @api.model
    def _billing_disputed(self, company, today, policy, items):
        """{line id: (disputed part, expected end of the disputes, reason's days)}: the open disputes' remaining
        amounts, held until opened + their reason's typical days to resolve (``engine.resolve_days``)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT dispute.reason_id, ARRAY_AGG(dispute.date_closed - dispute.date_opened)
                  FROM billing_dispute dispute
                 WHERE dispute.company_id = %s AND dispute.state IN ('resolved', 'rejected')
                   AND dispute.date_closed IS NOT NULL AND dispute.date_opened IS NOT NULL
                 GROUP BY dispute.reason_id
                """,
                company.id,
            )
        )
        learned = {reason: engine.resolve_days(durations, policy)[0] for reason, durations in cr.fetchall()}
        cr.execute(
            SQL(
                """
                SELECT line.move_id, line.amount_remaining::float, dispute.reason_id, dispute.date_opened
                  FROM billing_dispute_line line
                  JOIN billing_dispute dispute ON dispute.id = line.dispute_id
                 WHERE dispute.company_id = %s AND dispute.active AND dispute.state IN ('new', 'in_progress', 'waiting')
                   AND line.amount_remaining > 0
                """,
                company.id,
            )
        )
        amounts, until = defaultdict(float), {}
        for move_id, amount, reason, opened in cr.fetchall():
            days = learned.get(reason, float(policy.dispute_default_days))
            end = (opened or today) + timedelta(days=round(days))
            amounts[move_id] += amount
            if move_id not in until or end > until[move_id][0]:
                until[move_id] = (end, days)
        parts = self._billing_spread(amounts, items)
        return {key: (part, *until[items[key]["move_id"]]) for key, part in parts.items()}

    @api.model
    def _billing_history(self, company, today):
        """({customer: [(days late, payment date)]}, {customer: last payment date}) of the company's invoices paid
        by payments and bank lines (``billing.kpi._paid_sql``, the one definition of paid) in the last two years."""
        since = today - timedelta(days=HISTORY_DAYS)
        paid = self.env["billing.kpi"]._paid_sql(
            SQL("move.company_id = %s AND partial.max_date >= %s AND partial.max_date <= %s", company.id, since, today)
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT move.commercial_partner_id, paid.paid_date - move.invoice_date_due, paid.paid_date
                  FROM (%s) AS paid
                  JOIN account_move move ON move.id = paid.move_id
                 WHERE move.invoice_date_due IS NOT NULL
                """,
                paid,
            )
        )
        samples, last_paid = defaultdict(list), {}
        for partner, days, day in self.env.cr.fetchall():
            samples[partner].append((days, day))
            if partner not in last_paid or day > last_paid[partner]:
                last_paid[partner] = day
        return samples, last_paid

    @api.model
    def _billing_bank_cash(self, company):
        """[(customer, amount, None)]: incoming bank lines of the company not reconciled yet that name a customer,
        what is still in suspense (as the worklist counts them, ``billing.worklist._bank_lines_query``)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id, SUM(bank.amount)::float, NULL::date
                  FROM (%(bank)s) AS bank
                  JOIN res_partner partner ON partner.id = bank.partner_id
                 WHERE bank.company_id = %(company)s
                 GROUP BY partner.commercial_partner_id
                """,
                bank=self.env["billing.worklist"]._bank_lines_query(),
                company=company.id,
            )
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------ writing the rows

    @api.model
    def _billing_assignments(self, company, partner_ids):
        """{customer: (team, specialist)}: the collection account's specialist and team (the team of the customer's
        salesperson when the account names none), as the worklist takes them."""
        team = self.env["billing.receivable.base"]._team_sql(SQL.identifier("partner", "user_id"))
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.id, COALESCE(collection.team_id, %(team)s), collection.user_id
                  FROM res_partner partner
                  LEFT JOIN billing_collection collection
                         ON collection.partner_id = partner.id AND collection.company_id = %(company)s
                 WHERE partner.id = ANY(%(partners)s)
                """,
                team=team,
                company=company.id,
                partners=list(partner_ids),
            )
        )
        return {partner: (team_id, user_id) for partner, team_id, user_id in self.env.cr.fetchall()}

    @api.model
    def _billing_insert(self, company, today, rows, moves, bank):
        """Insert the engine's rows with COPY, a chunk at a time (no ORM create per row)."""
        assignments = self._billing_assignments(company, rows)
        digits = company.currency_id.decimal_places
        reasons = {}
        values = []
        for partner, found in rows.items():
            team_id, user_id = assignments.get(partner, (None, None))
            for row in found:
                key = (row.reason[0], tuple(sorted(row.reason[1].items()))) if row.reason else None
                if key not in reasons:
                    reasons[key] = self._billing_reason_text(row.reason, company) if row.reason else None
                values.append(
                    (
                        company.id,
                        partner,
                        moves.get(row.key),
                        row.kind,
                        round(row.amount_open, digits),
                        round(row.amount_expected, digits),
                        row.date_due,
                        row.date_expected,
                        row.date_early,
                        row.date_late,
                        row.basis or None,
                        reasons[key],
                        team_id,
                        user_id,
                        today,
                    )
                )
        for start in range(0, len(values), INSERT_CHUNK):
            self._billing_insert_chunk(values[start : start + INSERT_CHUNK])

    @api.model
    def _billing_insert_chunk(self, values):
        """COPY the rows in (CSV: an empty field is NULL; every text is quoted by the writer when it must be)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(values)
        buffer.seek(0)
        self.env.cr.copy_expert(
            """COPY billing_outlook_line (company_id, partner_id, move_id, kind, amount_open, amount_expected,
                   date_due, date_expected, date_early, date_late, basis, reason, team_id, user_id, date_refreshed)
                   FROM STDIN WITH (FORMAT csv)""",
            buffer,
        )

    @api.model
    def _billing_days_text(self, days):
        return self.env._("1 day") if abs(days) == 1 else self.env._("%(days)s days", days=abs(days))

    @api.model
    def _billing_habit_text(self, code, days, samples):
        """How the customer pays, in words: "Pays 3 days after the due date (5 payments...)", never a negative
        number of days (walk of issue 24: "Pays -11 days after", "Few payments to learn from (0)")."""
        if days > 0:
            when = self.env._("%(days)s after the due date", days=self._billing_days_text(days))
        elif days < 0:
            when = self.env._("%(days)s before the due date", days=self._billing_days_text(days))
        else:
            when = self.env._("on the due date")
        if code == "habit":
            return self.env._("Pays %(when)s (%(count)s payments, recent ones weigh more).", when=when, count=samples)
        if not samples:
            return self.env._("No payment to learn from yet: expected %(when)s, the company's default.", when=when)
        return self.env._(
            "Few payments to learn from (%(count)s): expected %(when)s, the company's default weighing in.",
            count=samples,
            when=when,
        )

    @api.model
    def _billing_reason_text(self, reason, company):
        """The row's reason in words (the user's language): ``reason`` is the engine's (code, parameters)."""
        code, params = reason
        amount = params.get("credit_note")
        if code in ("habit", "default"):
            text = self._billing_habit_text(code, params["days"], params["samples"])
        elif code == "promise":
            text = self.env._("Promised for %(date)s.", date=format_date(self.env, params["date"]))
        elif code == "dispute":
            text = self.env._(
                "In dispute: held back %(days)s days, the reason's typical time to resolve.", days=params["days"]
            )
        elif code == "at_risk":
            text = self.env._(
                "Stopped paying: overdue and no payment for over %(days)s days; not counted.", days=params["days"]
            )
        elif code == "credit_note":
            text = self.env._("Open credit note: lowers the customer's expected receipts, expects nothing.")
        elif code == "unapplied":
            text = self.env._("Cash received, not applied to an invoice yet: shown apart, never expected.")
        else:
            text = self.env._("A credit not applied to an invoice yet (not cash): shown apart, never expected.")
        if params.get("late"):
            text += " " + self.env._(
                "Already %(late)s late: expected as its later payments came, or soon.",
                late=self._billing_days_text(params["late"]),
            )
        if amount:
            text += " " + self.env._("Less %(amount)s of open credit notes.", amount=company.currency_id.format(amount))
        return text
