import logging
from dataclasses import dataclass, field

from psycopg2 import errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.modules.registry import Registry
from odoo.tools import SQL, clean_context, format_date, formatLang

from .billing_dispute_stage import OPEN_STATES

_logger = logging.getLogger(__name__)

TOUCHED_KEY = "billing.credit.touched"
# Another transaction writes the same status: the recompute is done again after this one commits.
CONCURRENCY_ERRORS = (
    errors.UniqueViolation,
    errors.SerializationFailure,
    errors.DeadlockDetected,
    errors.LockNotAvailable,
)  # the precommit data of the customers a transaction touched

CREDIT_STATES = [("ok", "OK"), ("watch", "Watch"), ("hold", "On Hold")]
BROKEN_PROMISE_DAYS = 90  # broken promises count against a customer for this many days after they were judged
# The figures and the release: the application alone sets them (recompute, release wizard), never a client.
PROTECTED_FIELDS = frozenset(
    {
        "partner_id",
        "company_id",
        "state",
        "state_rank",
        "reasons",
        "exposure",
        "credit_limit",
        "disputed_amount",
        "amount_to_release",
        "overdue_amount",
        "oldest_overdue_days",
        "broken_promise_count",
        "release_until",
        "release_reason",
        "released_by_id",
        "release_rules",
        "date_computed",
    }
)


@dataclass
class CreditFigures:
    """What the rules read of one customer in one company (company currency)."""

    exposure: float = 0.0
    disputed: float = 0.0
    limit: float = 0.0
    oldest_overdue_days: int = 0
    old_overdue_amount: float = 0.0  # open (undisputed) amount of the items overdue more than the hold's days
    broken: int = 0
    overdue_covered: bool = False  # its unapplied cash and open credits cover all it has overdue: not late


@dataclass
class CreditRules:
    """A company's hold rules; 0 turns a rule off (the limit rule: no positive limit)."""

    overdue_days: int = 0
    broken_promises: int = 0
    watch_percent: int = 80


@dataclass
class CreditVerdict:
    """The rules' answer: ``hold`` and ``watch`` are the codes of the rules that fire (exposure, overdue, broken)."""

    hold: list = field(default_factory=list)
    watch: list = field(default_factory=list)

    @property
    def state(self):
        return "hold" if self.hold else "watch" if self.watch else "ok"


def judge(figures, rules):
    """The rules on one customer's figures, without database (docs in README, "Credit control")."""
    verdict = CreditVerdict()
    if figures.limit > 0:
        if figures.exposure > figures.limit:
            verdict.hold.append("exposure")
        elif figures.exposure * 100 >= figures.limit * rules.watch_percent:
            verdict.watch.append("exposure")
    # Cash received and credits not applied yet that cover all the overdue items are to be applied, not paid again
    # (the worklist says "paid, not applied yet: do not call"): the customer is not late.
    if rules.overdue_days > 0 and not figures.overdue_covered:
        if figures.oldest_overdue_days > rules.overdue_days:
            verdict.hold.append("overdue")
        elif figures.oldest_overdue_days > rules.overdue_days // 2:
            verdict.watch.append("overdue")
    if rules.broken_promises > 0:
        if figures.broken >= rules.broken_promises:
            verdict.hold.append("broken")
        elif rules.broken_promises > 1 and figures.broken >= rules.broken_promises - 1:
            verdict.watch.append("broken")
    return verdict


def amount_to_release(figures, verdict):
    """What paying releases: the larger of the exposure over the limit and the old overdue items (paying those
    lowers the exposure too); 0 when paying cannot release (broken promises) or nothing holds."""
    if not verdict.hold or "broken" in verdict.hold:
        return 0.0
    over_limit = figures.exposure - figures.limit if "exposure" in verdict.hold else 0.0
    overdue = figures.old_overdue_amount if "overdue" in verdict.hold else 0.0
    return max(over_limit, overdue, 0.0)


class BillingCreditStatus(models.Model):
    """A customer's credit state in one company: OK, Watch or On Hold, with its reasons and figures.

    One record per commercial partner and company, kept by ``_billing_recompute`` (nightly, and once per transaction
    when a payment, an invoice, a promise or a dispute of the customer changes: ``billing.credit.events``). No record
    means OK. The limit is Odoo's own partner credit limit (company-dependent ``credit_limit``, used when the
    company's ``account_use_credit_limit`` is on). A billing manager releases a hold (``billing.credit.release``)."""

    _name = "billing.credit.status"
    _description = "Customer Credit Status"
    _inherit = ["billing.protected.mixin"]
    _order = "state_rank desc, amount_to_release desc, exposure desc, id"
    _check_company_auto = True
    _rec_name = "partner_id"
    _protected_create = PROTECTED_FIELDS
    _protected_write = PROTECTED_FIELDS

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    state = fields.Selection(CREDIT_STATES, string="Credit State", required=True, default="ok", readonly=True)
    state_rank = fields.Integer(compute="_compute_state_rank", store=True, readonly=True)
    reasons = fields.Text(readonly=True, help="One sentence per rule that watches or holds the customer.")
    exposure = fields.Monetary(
        readonly=True,
        help="Open receivables (posted, unpaid; unapplied payments lower it) plus draft customer invoices, less the "
        "amounts in an open dispute, company currency.",
    )
    credit_limit = fields.Monetary(
        readonly=True, help="Odoo's credit limit of the customer in this company (0: no limit)."
    )
    disputed_amount = fields.Monetary(
        string="In Open Disputes", readonly=True, help="Not counted against the customer."
    )
    overdue_amount = fields.Monetary(
        string="Overdue Beyond Hold Days", readonly=True, help="Open items overdue more than the hold's days."
    )
    amount_to_release = fields.Monetary(
        readonly=True,
        help="What the customer pays to be released; 0 when paying cannot release the hold (broken promises).",
    )
    oldest_overdue_days = fields.Integer(string="Oldest Overdue (days)", readonly=True)
    broken_promise_count = fields.Integer(string="Broken Promises (90 days)", readonly=True)
    release_until = fields.Date(string="Released Until", readonly=True)
    release_reason = fields.Char(readonly=True)
    released_by_id = fields.Many2one("res.users", readonly=True)
    release_rules = fields.Char(readonly=True, help="The hold rules the release covers (technical).")
    date_computed = fields.Datetime(string="Computed On", readonly=True)

    _sql_constraints = [
        ("partner_company_unique", "UNIQUE(partner_id, company_id)", "A customer has one credit status per company."),
    ]

    @api.depends("state")
    def _compute_state_rank(self):
        ranks = {"hold": 2, "watch": 1}
        for status in self:
            status.state_rank = ranks.get(status.state, 0)

    # ------------------------------------------------------------------ hooks

    @api.model
    def _billing_exposure_extra(self, partner_ids, company):
        """{commercial partner id: amount} added to the exposure in ``company`` (company currency); the sale glue
        adds confirmed orders not invoiced yet."""
        return {}

    # ------------------------------------------------------------------ figures

    @api.model
    def _billing_rules(self, company):
        return CreditRules(
            overdue_days=company.billing_credit_hold_overdue_days,
            broken_promises=company.billing_credit_hold_broken_promises,
            watch_percent=company.billing_credit_watch_percent,
        )

    @api.model
    def _billing_flush(self):
        for model in (
            "account.move",
            "account.move.line",
            "billing.promise",
            "res.partner",
            "billing.dispute",
            "billing.dispute.line",
        ):
            self.env[model].flush_model()

    @api.model
    def _billing_receivable_figures(self, company, partner_ids, today, overdue_days):
        """{commercial partner: [open receivable, oldest overdue due date, open undisputed overdue beyond
        ``overdue_days``, open undisputed overdue, open credits (unapplied payments, credit notes)]} of posted
        receivable items; ``partner_ids`` None: every customer of the company."""
        limit_date = fields.Date.subtract(today, days=overdue_days) if overdue_days else today
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id, SUM(aml.amount_residual),
                       MIN(aml.date_maturity) FILTER (WHERE %(overdue)s AND aml.date_maturity < %(today)s),
                       SUM(%(undisputed)s) FILTER (WHERE %(overdue)s AND aml.date_maturity < %(limit_date)s),
                       SUM(%(undisputed)s) FILTER (WHERE %(overdue)s AND aml.date_maturity < %(today)s),
                       -SUM(aml.amount_residual) FILTER (WHERE aml.amount_residual < 0)
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                  %(disputed)s
                 WHERE aml.company_id = %(company)s AND aml.parent_state = 'posted' AND NOT aml.reconciled
                   AND account.account_type = 'asset_receivable'
                   AND (%(all)s OR partner.commercial_partner_id = ANY(%(partners)s))
                 GROUP BY partner.commercial_partner_id
                """,
                overdue=SQL("aml.amount_residual > 0 AND %s > 0", self._undisputed_sql()),
                undisputed=self._undisputed_sql(),
                disputed=self._disputed_join(),
                today=today,
                limit_date=limit_date,
                company=company.id,
                all=partner_ids is None,
                partners=list(partner_ids or []),
            )
        )
        return {row[0]: list(row[1:]) for row in self.env.cr.fetchall()}

    @api.model
    def _billing_bank_cash(self, company, partner_ids):
        """{commercial partner: incoming bank lines not reconciled that name it} (the worklist's unapplied bank
        lines, collections' ``_bank_lines_query``; a payer's name alone is not the customer)."""
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id, SUM(bank.amount)
                  FROM (%(bank)s) AS bank
                  JOIN res_partner partner ON partner.id = bank.partner_id
                 WHERE bank.company_id = %(company)s AND partner.commercial_partner_id = ANY(%(partners)s)
                 GROUP BY partner.commercial_partner_id
                """,
                # only these customers' lines: a commit touching one customer must not read the company's lines
                bank=self.env["billing.worklist"]._bank_lines_query(list(partner_ids)),
                company=company.id,
                partners=list(partner_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _disputed_join(self):
        """``disputed.amount``: what is left in dispute on the document ``move`` (its currency), counting the cases a
        specialist opened or took up. A case the customer opened on the portal or by e-mail and nobody has looked at
        yet (still *New*) still counts against him: his own input never changes his credit state."""
        return SQL(
            """
            LEFT JOIN LATERAL (
                  SELECT SUM(line.amount_remaining) AS amount
                    FROM billing_dispute_line line
                    JOIN billing_dispute dispute ON dispute.id = line.dispute_id
                   WHERE line.move_id = move.id AND dispute.active AND dispute.state IN %(open)s
                     AND NOT (dispute.channel IN ('portal', 'email') AND dispute.state = 'new')
            ) AS disputed ON TRUE
            """,
            open=OPEN_STATES,
        )

    @api.model
    def _undisputed_sql(self):
        """The company-currency open amount of item ``aml`` less its document's amount in dispute (a share of the
        residual, as the cockpit counts it); needs ``_disputed_join``."""
        return SQL(
            """(aml.amount_residual - CASE WHEN move.amount_residual != 0
                   THEN LEAST(COALESCE(disputed.amount, 0), ABS(move.amount_residual))
                        * aml.amount_residual / move.amount_residual ELSE 0 END)"""
        )

    @api.model
    def _billing_disputed(self, company, partner_ids):
        """{commercial partner: company-currency amount of its posted documents in dispute (``_disputed_join``)}."""
        self.env.cr.execute(
            SQL(
                """
                SELECT move.commercial_partner_id,
                       SUM(LEAST(disputed.amount, ABS(move.amount_residual))
                           * move.amount_residual_signed / move.amount_residual)
                  FROM account_move move
                  %(disputed)s
                 WHERE move.company_id = %(company)s AND move.state = 'posted' AND move.billing_in_dispute
                   AND move.amount_residual != 0 AND disputed.amount > 0
                   AND (%(all)s OR move.commercial_partner_id = ANY(%(partners)s))
                 GROUP BY move.commercial_partner_id
                """,
                disputed=self._disputed_join(),
                company=company.id,
                all=partner_ids is None,
                partners=list(partner_ids or []),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _billing_drafts_and_promises(self, company, partner_ids, today):
        """({commercial partner: draft customer invoices, company currency}, {commercial partner: promises broken
        (judged) in the last 90 days}). A draft credit note lowers nothing until posted: anyone who drafts one could
        otherwise release a hold and delete it."""
        self.env.cr.execute(
            SQL(
                """
                SELECT move.commercial_partner_id, SUM(move.amount_total_signed)
                  FROM account_move move
                 WHERE move.company_id = %(company)s AND move.state = 'draft'
                   AND move.move_type = 'out_invoice'
                   AND move.commercial_partner_id IS NOT NULL
                   AND (%(all)s OR move.commercial_partner_id = ANY(%(partners)s))
                 GROUP BY move.commercial_partner_id
                """,
                company=company.id,
                all=partner_ids is None,
                partners=list(partner_ids or []),
            )
        )
        drafts = dict(self.env.cr.fetchall())
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id, COUNT(*)
                  FROM billing_promise promise
                  JOIN res_partner partner ON partner.id = promise.partner_id
                 WHERE promise.company_id = %(company)s AND promise.state = 'broken'
                   AND promise.date_judged >= %(since)s
                   AND (%(all)s OR partner.commercial_partner_id = ANY(%(partners)s))
                 GROUP BY partner.commercial_partner_id
                """,
                company=company.id,
                since=fields.Date.subtract(today, days=BROKEN_PROMISE_DAYS),
                all=partner_ids is None,
                partners=list(partner_ids or []),
            )
        )
        return drafts, dict(self.env.cr.fetchall())

    @api.model
    def _billing_figures(self, company, partner_ids, today):
        """{commercial partner id: CreditFigures} in ``company``; ``partner_ids`` None: every customer with open
        items, drafts, broken promises or a status record."""
        self._billing_flush()
        rules = self._billing_rules(company)
        receivable = self._billing_receivable_figures(company, partner_ids, today, rules.overdue_days)
        disputed = self._billing_disputed(company, partner_ids)
        drafts, broken = self._billing_drafts_and_promises(company, partner_ids, today)
        ids = set(partner_ids) if partner_ids is not None else set(receivable) | set(drafts) | set(broken)
        if partner_ids is None:
            ids |= set(self.sudo().search([("company_id", "=", company.id)]).partner_id.ids)
        extra = self._billing_exposure_extra(list(ids), company)
        bank = self._billing_bank_cash(company, [pid for pid, row in receivable.items() if row[3]])
        partners = self.env["res.partner"].sudo().with_company(company).browse(ids)
        use_limit = company.account_use_credit_limit
        money = company.currency_id.round
        result = {}
        for partner in partners:
            open_amount, oldest_due, old_overdue, overdue, credits = receivable.get(partner.id, (0.0, None, 0.0, 0, 0))
            result[partner.id] = CreditFigures(
                exposure=money(
                    (open_amount or 0.0)
                    + (drafts.get(partner.id) or 0.0)
                    + (extra.get(partner.id) or 0.0)
                    - (disputed.get(partner.id) or 0.0)
                ),
                disputed=money(disputed.get(partner.id) or 0.0),
                limit=partner.credit_limit if use_limit and partner.credit_limit > 0 else 0.0,
                oldest_overdue_days=(today - oldest_due).days if oldest_due else 0,
                old_overdue_amount=money(old_overdue or 0.0),
                broken=broken.get(partner.id) or 0,
                overdue_covered=bool(overdue) and money((credits or 0.0) + bank.get(partner.id, 0.0) - overdue) >= 0,
            )
        return result

    # ------------------------------------------------------------------ recompute

    @api.model
    def _billing_recompute(self, partners, companies):
        """Evaluate the rules for ``partners`` (their commercial partners; None: every customer) in ``companies``
        and store the result: a status is created for a customer with something to say, kept up to date once it
        exists. Returns the statuses."""
        Status = self.sudo().with_context(clean_context(self.env.context))  # no client default reaches a status
        statuses = Status.browse()
        commercial = None if partners is None else partners.sudo().commercial_partner_id
        for company in companies.sudo():
            today = fields.Date.context_today(Status.with_company(company))
            figures = Status._billing_figures(company, None if commercial is None else commercial.ids, today)
            existing = Status.search([("company_id", "=", company.id), ("partner_id", "in", list(figures))])
            by_partner = {status.partner_id.id: status for status in existing}
            to_create = []
            for partner_id, figs in sorted(figures.items()):  # one order: two transactions never lock crosswise
                status = by_partner.get(partner_id) or Status.browse()
                stored = Status._billing_store(status, partner_id, company, figs, today)
                if isinstance(stored, dict):
                    to_create.append(stored)
                else:
                    statuses |= stored
            statuses |= Status.create(to_create)  # in one batch (a billing run touches many customers)
        return statuses

    @api.model
    def _billing_store(self, status, partner_id, company, figures, today):
        """Write one customer's status from its figures (the release is applied and may end here), or return the
        values of the status to create."""
        rules = self._billing_rules(company)
        verdict = judge(figures, rules)
        release = status._billing_release_holds(verdict, today) if status else False
        if not status and verdict.state == "ok" and not figures.exposure and not figures.limit:
            return status
        vals = {
            "state": "watch" if release and verdict.hold else verdict.state,
            "reasons": "\n".join(self._billing_reasons(company, figures, rules, verdict, status if release else None)),
            "exposure": figures.exposure,
            "credit_limit": figures.limit,
            "disputed_amount": figures.disputed,
            "overdue_amount": figures.old_overdue_amount if "overdue" in verdict.hold else 0.0,
            "amount_to_release": amount_to_release(figures, verdict),
            "oldest_overdue_days": figures.oldest_overdue_days,
            "broken_promise_count": figures.broken,
            "date_computed": fields.Datetime.now(),
        }
        if status:
            changed = {key: value for key, value in vals.items() if key != "date_computed" and status[key] != value}
            if changed:
                status.write(vals)
            return status
        return {**vals, "partner_id": partner_id, "company_id": company.id}

    def _billing_release_holds(self, verdict, today):
        """Whether this status's release still covers the hold: it ends at its end date, when a hold rule it did not
        cover fires, or when no rule holds any more (logged on the customer)."""
        self.ensure_one()
        if not self.released_by_id:
            return False
        covered = set((self.release_rules or "").split(","))
        ended = None
        if self.release_until and self.release_until < today:
            ended = self.env._("the release ended on %(date)s", date=format_date(self.env, self.release_until))
        elif not set(verdict.hold) <= covered:
            ended = self.env._("a new hold reason appeared")
        elif not verdict.hold:
            ended = self.env._("no rule holds the customer any more")
        if ended:
            self.partner_id.message_post(
                body=self.env._(
                    "Credit release ended in %(company)s: %(why)s.", company=self.company_id.name, why=ended
                )
            )
            self.write(
                {"release_until": False, "release_reason": False, "released_by_id": False, "release_rules": False}
            )
            return False
        return True

    @api.model
    def _billing_reasons(self, company, figures, rules, verdict, release):
        """One human sentence per rule that holds or watches, amounts in the company currency."""

        def money(amount):
            return formatLang(self.env, amount, currency_obj=company.currency_id)

        reasons = []
        for code in verdict.hold + verdict.watch:
            held = code in verdict.hold
            if code == "exposure":
                reasons.append(
                    self.env._(
                        "Exposure of %(exposure)s is above the credit limit of %(limit)s.",
                        exposure=money(figures.exposure),
                        limit=money(figures.limit),
                    )
                    if held
                    else self.env._(
                        "Exposure of %(exposure)s is %(percent)s %% of the credit limit of %(limit)s.",
                        exposure=money(figures.exposure),
                        percent=int(figures.exposure * 100 // figures.limit),
                        limit=money(figures.limit),
                    )
                )
            elif code == "overdue":
                reasons.append(
                    self.env._(
                        "The oldest overdue item is %(days)s days late (hold after %(hold)s days).",
                        days=figures.oldest_overdue_days,
                        hold=rules.overdue_days,
                    )
                )
            else:
                reasons.append(
                    (
                        self.env._(
                            "1 broken promise in the last 90 days (hold at %(hold)s).", hold=rules.broken_promises
                        )
                        if figures.broken == 1
                        else self.env._(
                            "%(count)s broken promises in the last 90 days (hold at %(hold)s).",
                            count=figures.broken,
                            hold=rules.broken_promises,
                        )
                    )
                    + (" " + self.env._("Paying does not release this hold; a billing manager can.") if held else "")
                )
        if figures.disputed and reasons:
            reasons.append(self.env._("%(amount)s in open disputes is not counted.", amount=money(figures.disputed)))
        if release and verdict.hold:
            reasons.insert(0, release._billing_release_sentence())
        return reasons

    def _billing_release_sentence(self):
        self.ensure_one()
        if self.release_until:
            return self.env._(
                "Released by %(user)s until %(date)s: %(reason)s",
                user=self.released_by_id.name,
                date=format_date(self.env, self.release_until),
                reason=self.release_reason,
            )
        return self.env._(
            "Released by %(user)s, with no end date (a new hold reason ends it): %(reason)s",
            user=self.released_by_id.name,
            reason=self.release_reason,
        )

    def action_open_release(self):
        """The release wizard of this held customer (billing managers)."""
        self.ensure_one()
        self.env["billing.credit.release"]._billing_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Release Credit Hold"),
            "res_model": "billing.credit.release",
            "view_mode": "form",
            "target": "new",
            "context": {"default_status_id": self.id},
        }

    def _billing_release(self, user, reason, date_end):
        """Release this hold (called by the wizard, which checked the manager): the hold rules firing now are
        covered; logged on the customer's chatter."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        rules = self._billing_rules(self.company_id)
        figures = self._billing_figures(self.company_id, [self.partner_id.id], today)[self.partner_id.id]
        self.write(
            {
                "released_by_id": user.id,
                "release_reason": reason,
                "release_until": date_end,
                "release_rules": ",".join(judge(figures, rules).hold),
            }
        )
        until = (
            self.env._("until %(date)s", date=format_date(self.env, date_end))
            if date_end
            else self.env._("until a new hold reason appears")
        )
        self.partner_id.message_post(
            body=self.env._(
                "Credit hold released in %(company)s by %(user)s %(until)s: %(reason)s",
                company=self.company_id.name,
                user=user.name,
                until=until,
                reason=reason,
            ),
            author_id=user.partner_id.id,
        )
        self._billing_recompute(self.partner_id, self.company_id)

    @api.model
    def _billing_touch(self, pairs):
        """Note (partner id, company id) ``pairs`` (any contact: its commercial partner is taken at commit) for the
        recompute before this transaction commits."""
        pairs = {(partner_id, company_id) for partner_id, company_id in pairs if partner_id and company_id}
        if not pairs:
            return
        precommit = self.env.cr.precommit
        if TOUCHED_KEY not in precommit.data:
            precommit.data[TOUCHED_KEY] = set()
            precommit.add(self.sudo()._billing_precommit)
        precommit.data[TOUCHED_KEY] |= pairs

    @api.model
    def _billing_precommit(self):
        """Recompute the customers this transaction touched, once per company."""
        pairs = self.env.cr.precommit.data.pop(TOUCHED_KEY, set())
        by_company = {}
        for partner_id, company_id in pairs:
            by_company.setdefault(company_id, set()).add(partner_id)
        if by_company:
            self._billing_recompute_safely({company: sorted(partners) for company, partners in by_company.items()})

    @api.model
    def _billing_recompute_safely(self, pairs):
        """Recompute ``pairs`` ({company id: partner ids}) for the events of a transaction. A status another
        transaction is writing (or creating) at the same moment never fails this one: its recompute is done again
        in a transaction of its own once this one has committed (and else by the nightly job)."""
        for company_id, partner_ids in pairs.items():
            company = self.env["res.company"].sudo().browse(company_id)
            partners = self.env["res.partner"].sudo().browse(partner_ids).exists()
            try:
                with self.env.cr.savepoint(flush=False):
                    # a status another transaction holds is not waited for (a billing run may hold it for long)
                    self.env.cr.execute(
                        SQL(
                            """SELECT id FROM billing_credit_status WHERE company_id = %s AND partner_id = ANY(%s)
                               FOR UPDATE NOWAIT""",
                            company_id,
                            partners.commercial_partner_id.ids,
                        )
                    )
                    self._billing_recompute(partners, company)
                    self.env.flush_all()
            except CONCURRENCY_ERRORS:
                self.env.invalidate_all()
                self._billing_recompute_after_commit(company_id, partners.ids)

    @api.model
    def _billing_recompute_after_commit(self, company_id, partner_ids):
        dbname = self.env.cr.dbname

        def recompute():
            try:
                with Registry(dbname).cursor() as cr:
                    cr.execute("SET LOCAL lock_timeout = '2s'")  # the caller's response waits for this at most
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["billing.credit.status"]._billing_recompute(
                        env["res.partner"].browse(partner_ids).exists(), env["res.company"].browse(company_id)
                    )
            except Exception:  # pylint: disable=broad-exception-caught  # the nightly job catches up
                _logger.warning("Credit status of partners %s left for the nightly recompute", partner_ids)

        self.env.cr.postcommit.add(recompute)

    @api.model
    def _cron_recompute(self):
        """Nightly: every customer of every company (the releases whose end date passed end here), each company in
        a savepoint: one whose status another transaction changed meanwhile is logged and left for the next night,
        the other companies are recomputed (docs/CONCURRENCY.md)."""
        for company in self.env["res.company"].sudo().search([]):
            try:
                with self.env.cr.savepoint():
                    self._billing_recompute(None, company)
            except CONCURRENCY_ERRORS:
                _logger.warning("Credit states of %s not recomputed (changed at the same time)", company.name)
