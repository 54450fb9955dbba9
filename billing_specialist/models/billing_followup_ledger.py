from collections import defaultdict
from dataclasses import dataclass, field

from odoo import api, models
from odoo.tools import SQL

from ..followup import Item, Plan, effective_days, plan_customer


@dataclass
class FollowupInvoice:
    """An open customer invoice as the follow-up reads it (amounts in the invoice currency and the company's)."""

    move_id: int
    partner_id: int
    contact_id: int
    currency_id: int
    name: str
    invoice_date: object
    due: object
    residual: float
    residual_company: float
    disputed: float
    promised: float  # the part an open promise pauses (see billing.promise._paused_query)
    sent_level_id: int | None
    rounding: float
    raw_days: int = 0
    item: Item | None = None

    @property
    def chased_amount(self):
        """What the follow-up asks for: the open amount less the part in dispute and the part promised (a promise
        pauses the amount promised, not the whole invoice); nothing below half the currency's smallest unit."""
        amount = self.residual - self.disputed - self.promised
        return amount if amount >= self.rounding / 2 else 0.0

    @property
    def mark(self):
        if self.disputed and not self.residual - self.disputed >= self.rounding / 2:
            return "dispute"
        if self.promised >= self.rounding / 2:
            return "promise" if not self.chased_amount else "promise_part"
        return "dispute_part" if self.disputed else ""


@dataclass
class CustomerFollowup:
    partner_id: int
    plan: Plan | None  # None until planned (``_plan_customers``)
    items: list = field(default_factory=list)  # every open item, shown in the message
    bump: int = 0  # levels added by broken promises

    def inputs(self):
        """What the plan of this customer is made of (its open items as the ledger reads them, their days and the
        levels already sent, the bump), as a tuple of numbers and text (dates as ordinals): equal inputs give the same
        plan."""
        return (
            self.bump,
            [
                (
                    it.move_id,
                    it.contact_id,
                    it.currency_id,
                    it.name,
                    _ordinal(it.invoice_date),
                    _ordinal(it.due),
                    it.residual,
                    it.residual_company,
                    it.disputed,
                    it.promised,
                    it.sent_level_id,
                    it.item.days,
                    it.item.chased,
                    it.item.sent,
                )
                for it in self.items
            ],
        )


def _ordinal(day):
    return day.toordinal() if day else 0


class BillingFollowupLedger(models.AbstractModel):
    """Reads, for a company and a date, every customer's open invoices at once and plans their follow-ups."""

    _name = "billing.followup.ledger"
    _description = "Follow-up Ledger"

    @api.model
    def _ladder(self, company):
        """The company's active levels by delay, and each level's (active or not) index in that ladder."""
        levels = self.env["billing.followup.level"].sudo().with_context(active_test=False)
        all_levels = levels.search([("company_id", "=", company.id)], order="delay, id")
        active = all_levels.filtered("active")
        delays = active.mapped("delay")
        index = {}
        for level in all_levels:
            index[level.id] = max((i for i, delay in enumerate(delays) if delay <= level.delay), default=-1)
        return active, index

    @api.model
    def _plan(self, company, today, partner_ids=None):
        """Every customer of ``company`` with open invoices (of ``partner_ids``, commercial partners, when given),
        planned: {partner_id: CustomerFollowup}."""
        customers, levels = self._read(company, today, partner_ids)
        return self._plan_customers(customers, levels)

    @api.model
    def _plan_customers(self, customers, levels):
        """Plan ``customers`` ({partner_id: CustomerFollowup} of ``_read``) on the ladder ``levels``."""
        delays = levels.mapped("delay")
        for customer in customers.values():
            customer.plan = plan_customer([it.item for it in customer.items], delays, customer.bump)
        return customers

    @api.model
    def _read(self, company, today, partner_ids=None):
        """The ledger as the plan reads it: ({partner_id: CustomerFollowup not planned yet}, the active ladder)."""
        levels, level_index = self._ladder(company)
        items = self._open_items(company, today, partner_ids)
        intervals = self._dispute_intervals(company, [it.move_id for it in items if it.raw_days > 0])
        skip = company.billing_followup_skip_dispute_days
        bumps = self._level_bumps(company)
        customers = {}
        for it in items:
            paused = intervals.get(it.move_id, ())
            if it.disputed and it.chased_amount:
                # Partly in dispute: the undisputed rest is chased and its days count while the case is open (a
                # small dispute cannot freeze a large invoice); closed cases still paused it.
                paused = [(opened, closed) for opened, closed in paused if closed]
            days = effective_days(it.due, today, paused, skip) if it.raw_days > 0 else 0
            it.item = Item(
                move_id=it.move_id,
                days=days,
                chased=bool(it.chased_amount) and it.raw_days > 0,
                sent=level_index.get(it.sent_level_id, -1),
            )
            if it.partner_id not in customers:
                customers[it.partner_id] = CustomerFollowup(it.partner_id, None, bump=bumps.get(it.partner_id, 0))
            customers[it.partner_id].items.append(it)
        return customers, levels

    @api.model
    def _open_items(self, company, today, partner_ids=None):
        """Open posted customer invoices (receivable lines with a residual), oldest open due date first; of
        ``partner_ids`` (commercial partners) only when given."""
        for model in ("account.move", "account.move.line", "billing.promise", "account.partial.reconcile"):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT move.id, move.commercial_partner_id, move.partner_id, move.currency_id, move.name,
                       move.invoice_date, MIN(aml.date_maturity), SUM(aml.amount_residual_currency),
                       SUM(aml.amount_residual),
                       CASE WHEN move.billing_in_dispute THEN COALESCE(move.billing_disputed_amount, 0) ELSE 0 END,
                       COALESCE(MIN(promised.paused), 0),
                       move.billing_followup_level_id, MIN(currency.rounding)
                  FROM account_move_line aml
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_currency currency ON currency.id = move.currency_id
                  JOIN account_account account ON account.id = aml.account_id
                  LEFT JOIN (
                        SELECT move_id, SUM(paused) AS paused FROM (%(paused)s) AS part GROUP BY move_id
                  ) AS promised ON promised.move_id = move.id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND move.move_type = 'out_invoice'
                   AND account.account_type = 'asset_receivable'
                   AND NOT aml.reconciled
                   AND aml.amount_residual_currency > 0
                   AND (%(all)s OR move.commercial_partner_id = ANY(%(partners)s))
                 GROUP BY move.id
                 ORDER BY MIN(aml.date_maturity), move.id
                """,
                company=company.id,
                paused=self.env["billing.promise"]._paused_query(today),
                all=partner_ids is None,
                partners=list(partner_ids or []),
            )
        )
        items = []
        for row in self.env.cr.fetchall():
            item = FollowupInvoice(*row)
            item.due = item.due or item.invoice_date or today
            item.raw_days = (today - item.due).days
            items.append(item)
        return items

    @api.model
    def _dispute_intervals(self, company, move_ids):
        """{move_id: [(date_opened, date_closed or None)]} of every case (open or closed) over these invoices."""
        if not move_ids:
            return {}
        self.env["billing.dispute"].flush_model(["date_opened", "date_closed", "active"])
        self.env["billing.dispute.line"].flush_model(["move_id", "dispute_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT line.move_id, dispute.date_opened, dispute.date_closed
                  FROM billing_dispute_line line
                  JOIN billing_dispute dispute ON dispute.id = line.dispute_id
                 WHERE dispute.company_id = %s AND line.move_id = ANY(%s)
                """,
                company.id,
                move_ids,
            )
        )
        intervals = defaultdict(list)
        for move_id, opened, closed in self.env.cr.fetchall():
            intervals[move_id].append((opened, closed))
        return intervals

    @api.model
    def _level_bumps(self, company):
        self.env["billing.collection"].flush_model(["level_bump"])
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, level_bump FROM billing_collection WHERE company_id = %s AND level_bump > 0",
                company.id,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _unapplied_credits(self, company, partner_ids):
        """{partner_id: [(name, date, currency_id, open amount)]}: unreconciled payments and credit notes."""
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT move.commercial_partner_id, move.name, aml.date, aml.currency_id,
                       -SUM(aml.amount_residual_currency)
                  FROM account_move_line aml
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN account_account account ON account.id = aml.account_id
                 WHERE aml.company_id = %(company)s AND aml.parent_state = 'posted'
                   AND account.account_type = 'asset_receivable' AND NOT aml.reconciled
                   AND aml.amount_residual_currency < 0
                   AND move.commercial_partner_id = ANY(%(partners)s)
                 GROUP BY move.commercial_partner_id, move.id, move.name, aml.date, aml.currency_id
                 ORDER BY aml.date, move.id
                """,
                company=company.id,
                partners=list(partner_ids),
            )
        )
        credits = defaultdict(list)
        for partner_id, *credit in self.env.cr.fetchall():
            credits[partner_id].append(tuple(credit))
        return credits
