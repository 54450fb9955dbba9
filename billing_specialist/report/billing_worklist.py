from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, formatLang
from odoo.tools.misc import format_date

# The worklist score: who to call first. Every part is a column of the row, so a row shows why it is there.
# score = age points + paused points + cash points + broken points + level points + action points + priority points
#         + worked points + account points + settled points, where
#   age points      = sum over overdue items of (open amount x min(days overdue, AGE_CAP_DAYS) / 30) / AMOUNT_UNIT
#                     (one point per AMOUNT_UNIT of company currency overdue for a month, age capped at 180 days)
#   paused points   = minus the same, for the part of each item in an open dispute or paused by an open promise
#                     (deadline not passed; the amount promised still to come, not the whole invoice, see
#                     billing.promise._paused_query): paused amounts do not rank
#   cash points     = minus (age points + paused points) x the share of the unpaused overdue that what arrived covers:
#                     min(1, (unapplied cash + open credits + cash by payer name) / (overdue - disputed - promised))
#   broken points   = BROKEN_POINTS x the customer's broken promises (billing.collection.broken_promise_count)
#   level points    = LEVEL_POINTS x the rank of the customer's follow-up level in its company's ladder (1 = first)
#   action points   = ACTION_POINTS when the next action is due today or earlier
#   priority points = PRIORITY_POINTS when a promise was judged broken after the day of the last call logged (or no
#                     call was logged):
#                     a broken promise puts the customer at the top of today's list until someone calls.
#   worked points   = -WORKED_POINTS while the customer was worked: its next action is after today, or a call was
#                     logged today (a promise is recorded by a call). It comes back when the next action is due.
#                     A promise broken since the last call is not "worked": the customer is to be called now.
#   account points  = what a capability above adds for the customer's standing in the company, through the hook
#                     ``_account_points_select`` (0 here): credit control adds points for a customer on credit hold
#                     or on watch (see its override of the hook).
#   settled points  = when nothing is left to collect (To Collect = 0): minus all the other points, minus
#                     SETTLED_POINTS, so the score is -SETTLED_POINTS: below every customer with something to collect
#                     (whose score is at least -WORKED_POINTS).
# To Collect = max(overdue - disputed - promised - unapplied cash - open credits, 0).
# Order: score descending, then customer name, then id (the same ledger always gives the same order).
AMOUNT_UNIT = 1000
AGE_CAP_DAYS = 180
BROKEN_POINTS = 25
LEVEL_POINTS = 10
ACTION_POINTS = 50
PRIORITY_POINTS = 1000
WORKED_POINTS = 1000
SETTLED_POINTS = 2000
# A row's id: the customer's id times this, plus the company's (one row per customer and company).
ROW_ID_FACTOR = 100000

SCORE_HELP = (
    "Score = age points + paused points (negative) + cash points (negative) + broken promises x 25 + level rank x 10 "
    "+ 50 when the next action is due + 1000 when a promise was broken since the last call - 1000 while worked (next "
    "action after today, or a call logged today; not while a promise broke since). Age points: each overdue item's open amount (company currency) x "
    "min(days overdue, 180) / 30, per 1,000; paused points: the same for the parts in dispute or covered by an open "
    "promise; cash points: the rest times the share of it that unapplied cash, open credits and bank lines from a "
    "payer of the customer's name cover. Nothing left to collect: the score is -2000 (the bottom of the list)."
)

# What the row asks of the collector (a column, coloured: the paid rows stand apart).
CALL_STATUSES = [
    ("call", "To Call"),
    ("worked", "Worked, Due Later"),
    ("paid", "Paid, Not Applied Yet"),
    ("nothing", "Nothing to Collect"),
]


class BillingWorklist(models.Model):
    """Who to call today: one row per customer with overdue items in a company, ranked by a documented score.

    Read from the open receivable lines (posted, not reconciled, due before today), the customer's collection
    account (``billing.collection``), the open disputes (``account.move.billing_disputed_amount``), the open
    promises to pay (``billing.promise``) and what arrived but is not applied yet: open receivable credits (payments,
    bank lines, credit notes) and bank lines not reconciled (see ``_items_query``). Amounts in company currency. The
    quick actions of a row act on the customer's collection account.
    """

    _name = "billing.worklist"
    _description = "Collections Worklist"
    _auto = False
    _rec_name = "partner_id"
    _order = "score desc, partner_name, id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    partner_name = fields.Char(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    collection_id = fields.Many2one("billing.collection", string="Collection Account", readonly=True)
    user_id = fields.Many2one("res.users", string="Specialist", readonly=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Collection Team",
        readonly=True,
        help="The collection account's team, else the sales team of the customer's salesperson.",
    )
    level_id = fields.Many2one("billing.followup.level", string="Follow-up Level", readonly=True)
    level_rank = fields.Integer(readonly=True, help="The level's place in the company's ladder (1 = the first).")
    item_count = fields.Integer(string="Overdue Items", readonly=True)
    max_days_overdue = fields.Integer(string="Days Overdue", readonly=True, aggregator="max")
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
    disputed_amount = fields.Monetary(string="In Dispute", readonly=True)
    promised_amount = fields.Monetary(string="Promised", readonly=True)
    unapplied_amount = fields.Monetary(
        string="Unapplied Cash",
        readonly=True,
        help="Cash of the customer not applied yet: its posted payments' open amounts, and the bank lines not "
        "reconciled that name the customer (the bank line's own customer, set by the company), unless a payment of "
        "the same amount waits for its bank line (the same money).",
    )
    credit_amount = fields.Monetary(
        string="Open Credits", readonly=True, help="The customer's open credit notes and other open receivable credits."
    )
    payer_cash_amount = fields.Monetary(
        string="Cash by Payer Name",
        readonly=True,
        help="Bank lines not reconciled that name no customer, from a payer of the customer's exact name. Not "
        "confirmed: it lowers the rank, never To Collect.",
    )
    followup_amount = fields.Monetary(
        string="To Collect",
        readonly=True,
        help="Overdue, less the parts in dispute or covered by an open promise, less the unapplied cash and open "
        "credits (never below zero).",
    )
    net_credit_amount = fields.Monetary(
        string="Net Credit",
        readonly=True,
        help="What arrived beyond the whole overdue: unapplied cash + open credits - overdue, when positive.",
    )
    call_status = fields.Selection(CALL_STATUSES, string="Status", readonly=True)
    worked = fields.Boolean(
        string="Recently Worked", readonly=True, help="The next action is after today, or a call was logged today."
    )
    broken_promise_count = fields.Integer(string="Broken Promises", readonly=True)
    broken_since_call = fields.Boolean(
        string="Broken Since Last Call", readonly=True, help="A promise was broken since the last call logged."
    )
    next_action_date = fields.Date(string="Next Action", readonly=True)
    next_action_note = fields.Char(readonly=True)
    last_call_date = fields.Date(string="Last Call", readonly=True)
    last_followup_date = fields.Date(string="Last Follow-up", readonly=True)
    points_age = fields.Float(string="Age Points", readonly=True, digits=(16, 2))
    points_paused = fields.Float(string="Paused Points", readonly=True, digits=(16, 2))
    points_broken = fields.Float(string="Broken Points", readonly=True, digits=(16, 2))
    points_level = fields.Float(string="Level Points", readonly=True, digits=(16, 2))
    points_action = fields.Float(string="Action Points", readonly=True, digits=(16, 2))
    points_priority = fields.Float(string="Priority Points", readonly=True, digits=(16, 2))
    points_cash = fields.Float(string="Cash Points", readonly=True, digits=(16, 2))
    points_worked = fields.Float(string="Worked Points", readonly=True, digits=(16, 2))
    points_account = fields.Float(
        string="Account Points",
        readonly=True,
        digits=(16, 2),
        help="Points for the customer's standing in the company, added by other features (0 without them).",
    )
    points_settled = fields.Float(string="Settled Points", readonly=True, digits=(16, 2))
    score = fields.Float(readonly=True, digits=(16, 2), aggregator="max", help=SCORE_HELP)
    reason = fields.Char(string="Why", compute="_compute_reason")
    is_mine = fields.Boolean(
        string="My Worklist",
        compute="_compute_is_mine",
        search="_search_is_mine",
        help="In my portfolio, or without a specialist and in one of my teams.",
    )

    _depends = {
        "account.move.line": [
            "move_id",
            "account_id",
            "partner_id",
            "company_id",
            "amount_residual",
            "date_maturity",
            "reconciled",
            "parent_state",
            "payment_id",
            "statement_line_id",
            "balance",
        ],
        "account.move": [
            "billing_in_dispute",
            "billing_disputed_amount",
            "amount_residual",
            "state",
            "invoice_date_due",
            "move_type",
            "origin_payment_id",
            "statement_line_id",
        ],
        "account.bank.statement.line": [
            "move_id",
            "company_id",
            "journal_id",
            "partner_id",
            "partner_name",
            "amount",
            "is_reconciled",
        ],
        "account.journal": ["suspense_account_id"],
        "account.payment": ["partner_id", "company_id", "state", "is_matched", "amount_company_currency_signed"],
        "billing.collection": [
            "partner_id",
            "company_id",
            "user_id",
            "team_id",
            "level_id",
            "broken_promise_count",
            "next_action_date",
            "next_action_note",
            "last_followup_date",
            "last_call_date",
        ],
        "billing.promise": ["state", "date_deadline", "move_ids", "partner_id", "company_id", "date_judged", "amount"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "debit_amount_currency"],
        "billing.followup.level": ["delay", "active", "company_id"],
        "res.partner": ["commercial_partner_id", "name", "user_id"],
        "res.users": ["sale_team_id"],
    }

    # ------------------------------------------------------------------ the view

    @api.model
    def _today_sql(self):
        """Today as Odoo knows it (the user's date), never the database server's CURRENT_DATE."""
        return SQL("%s::date", fields.Date.context_today(self))

    @api.model
    def _items_query(self):
        """One row per overdue receivable line, per open receivable credit and per bank line not reconciled of a
        customer: its part in each sum of the row. An overdue line (open debit past due) has its age (capped) and its
        parts in dispute / promised; an open credit is unapplied cash (of a payment or a bank line) or a credit (a
        credit note); a bank line counts by the customer it names, or (``payer``) by the payer's name it gives.
        Read in one pass and summed once per customer (a join per kind made the planner loop over them)."""
        return SQL(
            """
            WITH bank AS MATERIALIZED (%(bank)s)
            %(receivable)s
            UNION ALL
            %(bank_items)s
            """,
            bank=self._bank_lines_query(),
            receivable=self._receivable_items_query(),
            bank_items=self._bank_items_query(),
        )

    @api.model
    def _receivable_items_query(self):
        """The items of ``_items_query`` from the receivable lines: overdue debits and open credits."""
        today = self._today_sql()
        return SQL(
            """
            SELECT line.company_id, partner.commercial_partner_id AS partner_id, line.move_id, line.overdue,
                   line.residual, %(today)s - line.date_maturity AS days,
                   LEAST(%(today)s - line.date_maturity, %(cap)s) / 30.0 AS age,
                   CASE WHEN line.overdue AND move.billing_in_dispute AND move.amount_residual > 0
                        THEN LEAST(line.residual,
                                   COALESCE(move.billing_disputed_amount, 0) * line.residual / move.amount_residual)
                        ELSE 0 END AS disputed,
                   CASE WHEN line.overdue AND promised.paused > 0 AND move.amount_residual > 0
                        THEN LEAST(line.residual - CASE WHEN move.billing_in_dispute
                                        THEN LEAST(line.residual, COALESCE(move.billing_disputed_amount, 0)
                                                   * line.residual / move.amount_residual) ELSE 0 END,
                                   promised.paused * line.residual / move.amount_residual)
                        ELSE 0 END AS promised,
                   CASE WHEN line.residual < 0 AND line.is_cash THEN -line.residual ELSE 0 END AS cash,
                   CASE WHEN line.residual < 0 AND NOT line.is_cash THEN -line.residual ELSE 0 END AS credits,
                   0 AS bank, 0 AS payer
              FROM (%(lines)s) AS line
              JOIN account_move move ON move.id = line.move_id
              JOIN res_partner partner ON partner.id = line.partner_id
              LEFT JOIN (SELECT move_id, SUM(paused) AS paused FROM (%(paused)s) AS part GROUP BY move_id) AS promised
                     ON promised.move_id = line.move_id
            """,
            cap=AGE_CAP_DAYS,
            today=today,
            lines=self._receivable_lines_query(),
            paused=self.env["billing.promise"]._paused_query(fields.Date.context_today(self)),
        )

    @api.model
    def _receivable_lines_query(self):
        """Posted receivable lines not reconciled that are open credits or overdue debits (``overdue``), and whether
        they are cash (``is_cash``: of a payment or a bank line)."""
        return SQL(
            """
            SELECT aml.company_id, aml.partner_id, aml.move_id, aml.amount_residual AS residual,
                   aml.date_maturity,
                   COALESCE(aml.amount_residual > 0 AND aml.date_maturity < %(today)s, FALSE) AS overdue,
                   aml.payment_id IS NOT NULL OR aml.statement_line_id IS NOT NULL AS is_cash
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
             WHERE account.account_type = 'asset_receivable'
               AND aml.parent_state = 'posted'
               AND aml.reconciled IS NOT TRUE
               AND (aml.amount_residual < 0
                    OR (aml.amount_residual > 0 AND aml.date_maturity < %(today)s))
            """,
            today=self._today_sql(),
        )

    @api.model
    def _bank_items_query(self):
        """The items of ``_items_query`` from the bank lines (the ``bank`` table of its WITH): by the customer a line
        names, else by the payer's name it gives."""
        return SQL(
            """
            SELECT bank.company_id, bank_partner.commercial_partner_id, NULL, FALSE, 0, NULL, 0, 0, 0, 0, 0,
                   bank.amount, 0
              FROM bank JOIN res_partner bank_partner ON bank_partner.id = bank.partner_id
            UNION ALL
            SELECT bank.company_id, payer.id, NULL, FALSE, 0, NULL, 0, 0, 0, 0, 0, 0, bank.amount
              FROM (SELECT payer.id, LOWER(BTRIM(payer.name)) AS payer_key
                      FROM res_partner payer
                     WHERE payer.id = payer.commercial_partner_id
                       AND LOWER(BTRIM(payer.name)) = ANY (ARRAY(
                            SELECT bank.payer_key FROM bank WHERE bank.partner_id IS NULL))
                   ) AS payer
              JOIN bank ON bank.payer_key = payer.payer_key AND bank.partner_id IS NULL
            """
        )

    @api.model
    def _customers_query(self):
        """One row per customer and company with an overdue item: the sums the score is made of."""
        return SQL(
            """
            SELECT item.partner_id, item.company_id,
                   COUNT(DISTINCT item.move_id) FILTER (WHERE item.overdue) AS item_count,
                   MAX(item.days) FILTER (WHERE item.overdue) AS max_days,
                   SUM(item.residual) FILTER (WHERE item.overdue) AS overdue,
                   SUM(item.disputed) AS disputed,
                   SUM(item.promised) AS promised,
                   SUM(item.residual * item.age) FILTER (WHERE item.overdue) AS weighted,
                   SUM((item.promised + item.disputed) * item.age) FILTER (WHERE item.overdue) AS paused,
                   SUM(item.cash) AS cash, SUM(item.credits) AS credits,
                   SUM(item.bank) AS bank, SUM(item.payer) AS payer
              FROM (%s) AS item
             GROUP BY item.partner_id, item.company_id
            HAVING BOOL_OR(item.overdue)
            """,
            self._items_query(),
        )

    @api.model
    def _bank_lines_query(self, commercial_ids=None):
        """Incoming bank lines not reconciled, with what is still in the suspense account (company currency): the
        line's own customer (``partner_id``, set by the company) and the payer's name as the bank gave it.

        A bank line of a customer that has a registered payment of the same amount not matched with a bank line yet
        is that payment's money arriving (the payment already counts, or already paid an invoice): left out.

        ``commercial_ids``: only the lines whose own customer is one of these commercial partners (a caller about a
        few customers, e.g. a recompute before a commit, reads their lines, not the company's).
        """
        customers = (
            SQL(
                "AND st.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s))",
                list(commercial_ids),
            )
            if commercial_ids is not None
            else SQL()
        )
        return SQL(
            """
            SELECT st.company_id, st.partner_id, LOWER(BTRIM(st.partner_name)) AS payer_key,
                   SUM(suspense.amount) AS amount
              FROM account_bank_statement_line st
              JOIN account_move move ON move.id = st.move_id
              JOIN account_journal journal ON journal.id = st.journal_id
              CROSS JOIN LATERAL (
                    SELECT SUM(-line.balance) AS amount FROM account_move_line line
                     WHERE line.move_id = st.move_id AND line.account_id = journal.suspense_account_id
              ) AS suspense
             WHERE move.state = 'posted' AND st.is_reconciled IS NOT TRUE AND st.amount > 0
               AND suspense.amount > 0 %s
               AND NOT EXISTS (
                    SELECT 1
                      FROM account_payment payment
                      JOIN res_partner pay_partner ON pay_partner.id = payment.partner_id
                      JOIN res_partner st_partner ON st_partner.id = st.partner_id
                     WHERE payment.company_id = st.company_id
                       AND pay_partner.commercial_partner_id = st_partner.commercial_partner_id
                       AND payment.payment_type = 'inbound' AND payment.partner_type = 'customer'
                       AND payment.state NOT IN ('draft', 'canceled', 'rejected') AND payment.is_matched IS NOT TRUE
                       AND payment.amount_company_currency_signed = suspense.amount
               )
             GROUP BY st.company_id, st.partner_id, LOWER(BTRIM(st.partner_name))
            """,
            customers,
        )

    @api.model
    def _figures_query(self):
        """One row per customer and company: every amount of the row, and the points that need no netting."""
        return SQL("%s %s", self._figures_select(), self._figures_from())

    @api.model
    def _figures_select(self):
        """The columns of ``_figures_query``: the amounts, the collection account's state and the plain points."""
        team = self.env["billing.receivable.base"]._team_sql(SQL.identifier("partner", "user_id"))
        today = self._today_sql()
        return SQL(
            """
            SELECT customer.partner_id::bigint * %(factor)s + customer.company_id AS id,
                   customer.partner_id, partner.name AS partner_name, customer.company_id,
                   company.currency_id, currency.rounding, collection.id AS collection_id, collection.user_id,
                   COALESCE(collection.team_id, %(team)s) AS team_id,
                   collection.level_id, COALESCE(level_rank.rank, 0) AS level_rank,
                   customer.item_count, customer.max_days AS max_days_overdue,
                   customer.overdue AS overdue_amount, customer.disputed AS disputed_amount,
                   customer.promised AS promised_amount,
                   customer.overdue - customer.disputed - customer.promised AS unpaused_amount,
                   customer.cash + customer.bank AS unapplied_amount,
                   customer.credits AS credit_amount,
                   customer.payer AS payer_cash_amount,
                   GREATEST(customer.cash + customer.bank + customer.credits - customer.overdue, 0)
                       AS net_credit_amount,
                   COALESCE(collection.broken_promise_count, 0) AS broken_promise_count,
                   broken.since_call AS broken_since_call,
                   collection.next_action_date, collection.next_action_note, collection.last_call_date,
                   collection.last_followup_date,
                   COALESCE(collection.next_action_date > %(today)s OR collection.last_call_date >= %(today)s,
                            FALSE) AND NOT broken.since_call AS worked,
                   ROUND(customer.weighted / %(unit)s, 2) AS points_age,
                   ROUND(-customer.paused / %(unit)s, 2) AS points_paused,
                   (%(broken)s * COALESCE(collection.broken_promise_count, 0))::numeric AS points_broken,
                   (%(level)s * COALESCE(level_rank.rank, 0))::numeric AS points_level,
                   CASE WHEN collection.next_action_date <= %(today)s THEN %(action)s ELSE 0 END::numeric
                       AS points_action,
                   CASE WHEN broken.since_call THEN %(priority)s ELSE 0 END::numeric AS points_priority,
                   %(account)s
            """,
            factor=ROW_ID_FACTOR,
            team=team,
            today=today,
            unit=AMOUNT_UNIT,
            broken=BROKEN_POINTS,
            level=LEVEL_POINTS,
            action=ACTION_POINTS,
            priority=PRIORITY_POINTS,
            account=self._account_points_select(),
        )

    @api.model
    def _account_points_select(self):
        """Hook: the column ``points_account`` of ``_figures_select`` (and any column it needs), from the tables of
        ``_figures_from`` (``customer.partner_id``, ``customer.company_id``). A capability above adds its points for
        the customer's standing here; none by default."""
        return SQL("0::numeric AS points_account")

    @api.model
    def _figures_from(self):
        """The tables of ``_figures_query``: the customers' sums, their collection account, level and broken
        promises."""
        return SQL(
            """
              FROM (%(customers)s) AS customer
              JOIN res_partner partner ON partner.id = customer.partner_id
              JOIN res_company company ON company.id = customer.company_id
              JOIN res_currency currency ON currency.id = company.currency_id
              LEFT JOIN billing_collection collection
                     ON collection.partner_id = customer.partner_id AND collection.company_id = customer.company_id
              LEFT JOIN billing_followup_level level ON level.id = collection.level_id
              LEFT JOIN LATERAL (
                    SELECT COUNT(*) AS rank FROM billing_followup_level ladder
                     WHERE ladder.company_id = level.company_id AND ladder.active AND ladder.delay <= level.delay
              ) AS level_rank ON level.id IS NOT NULL
              LEFT JOIN LATERAL (
                    SELECT EXISTS (
                        SELECT 1 FROM billing_promise promise
                         WHERE promise.partner_id = customer.partner_id AND promise.company_id = customer.company_id
                           AND promise.state = 'broken'
                           AND (collection.last_call_date IS NULL
                                OR COALESCE(promise.date_judged, promise.write_date::date) > collection.last_call_date)
                    ) AS since_call
              ) AS broken ON TRUE
            """,
            customers=self._customers_query(),
        )

    @api.model
    def _netted_query(self):
        """The figures, netted: To Collect, the cash points and the worked points."""
        return SQL(
            """
            SELECT figure.*,
                   GREATEST(ROUND((figure.unpaused_amount - figure.unapplied_amount - figure.credit_amount)
                                  / figure.rounding) * figure.rounding, 0) AS followup_amount,
                   ROUND(-(figure.points_age + figure.points_paused)
                         * CASE WHEN figure.unpaused_amount > 0
                                THEN LEAST((figure.unapplied_amount + figure.credit_amount + figure.payer_cash_amount)
                                           / figure.unpaused_amount, 1)
                                ELSE 0 END, 2) AS points_cash,
                   CASE WHEN figure.worked THEN -%(worked)s ELSE 0 END::numeric AS points_worked
              FROM (%(figures)s) AS figure
            """,
            worked=WORKED_POINTS,
            figures=self._figures_query(),
        )

    @property
    def _table_query(self):
        parts = SQL(
            "scored.points_age + scored.points_paused + scored.points_cash + scored.points_broken + scored.points_level"
            " + scored.points_action + scored.points_priority + scored.points_worked + scored.points_account"
        )
        return SQL(
            """
            SELECT scored.*,
                   CASE WHEN scored.followup_amount > 0 THEN 0 ELSE -(%(parts)s) - %(settled)s END AS points_settled,
                   CASE WHEN scored.followup_amount > 0 THEN %(parts)s ELSE -%(settled)s END AS score,
                   CASE WHEN scored.followup_amount > 0 AND scored.worked THEN 'worked'
                        WHEN scored.followup_amount > 0 THEN 'call'
                        WHEN scored.unpaused_amount > 0 AND scored.unapplied_amount + scored.credit_amount > 0 THEN 'paid'
                        ELSE 'nothing' END AS call_status
              FROM (%(netted)s) AS scored
            """,
            parts=parts,
            settled=SETTLED_POINTS,
            netted=self._netted_query(),
        )

    # ------------------------------------------------------------------ computed

    @api.depends("user_id", "team_id")
    def _compute_is_mine(self):
        teams = self.env.user.crm_team_ids
        for row in self:
            row.is_mine = row.user_id == self.env.user or (not row.user_id and row.team_id in teams)

    def _search_is_mine(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search My Worklist with = or != and True or False."))
        mine = [
            "|",
            ("user_id", "=", self.env.uid),
            "&",
            ("user_id", "=", False),
            ("team_id", "in", self.env.user.crm_team_ids.ids),
        ]
        return mine if (operator == "=") == value else ["!", *mine]

    @api.depends(
        "overdue_amount",
        "max_days_overdue",
        "broken_promise_count",
        "level_id",
        "next_action_date",
        "call_status",
        "unapplied_amount",
        "credit_amount",
        "payer_cash_amount",
        "net_credit_amount",
        "last_call_date",
    )
    def _compute_reason(self):
        today = fields.Date.context_today(self)
        for row in self:

            def money(amount, row=row):
                return formatLang(self.env, amount, currency_obj=row.currency_id)

            # What makes the row urgent (or not worth a call) comes first: the list shows the beginning.
            parts = []
            if row.call_status == "paid":
                parts.append(self.env._("paid, not applied yet: do not call"))
            elif row.call_status == "nothing":
                parts.append(self.env._("nothing to collect"))
            if row.broken_since_call:
                parts.append(self.env._("promise broken since the last call"))
            elif row.broken_promise_count:
                parts.append(
                    self.env._("1 broken promise")
                    if row.broken_promise_count == 1
                    else self.env._("%(count)s broken promises", count=row.broken_promise_count)
                )
            if row.next_action_date and row.next_action_date <= today:
                parts.append(self.env._("next action due"))
            elif row.next_action_date:
                parts.append(
                    self.env._("worked: next action on %(date)s", date=format_date(self.env, row.next_action_date))
                )
            if row.last_call_date and row.last_call_date >= today:
                parts.append(self.env._("called today"))
            parts.append(
                self.env._(
                    "%(amount)s overdue up to %(days)s days",
                    amount=money(row.overdue_amount),
                    days=row.max_days_overdue,
                )
            )
            if row.level_id:
                parts.append(self.env._("level %(level)s", level=row.level_id.name))
            if row.disputed_amount:
                parts.append(self.env._("%(amount)s in dispute", amount=money(row.disputed_amount)))
            if row.promised_amount:
                parts.append(
                    self.env._("%(amount)s promised (only that much is paused)", amount=money(row.promised_amount))
                )
            if row.unapplied_amount:
                parts.append(self.env._("%(amount)s unapplied cash", amount=money(row.unapplied_amount)))
            if row.credit_amount:
                parts.append(self.env._("%(amount)s open credits", amount=money(row.credit_amount)))
            if row.net_credit_amount:
                parts.append(self.env._("net credit of %(amount)s", amount=money(row.net_credit_amount)))
            if row.payer_cash_amount:
                parts.append(
                    self.env._(
                        "%(amount)s on bank lines from a payer of this name, not confirmed: check Match Payments",
                        amount=money(row.payer_cash_amount),
                    )
                )
            row.reason = "; ".join(parts)

    # ------------------------------------------------------------------ quick actions (on the collection account)

    def _collection(self):
        """The row's collection account (created when missing), once the user may read the row and works collections
        of its company."""
        self.ensure_one()
        self.check_access("read")
        collection = self.env["billing.collection"]._for_partners(self.partner_id, self.company_id)
        collection._check_specialist()
        return collection

    def action_log_call(self):
        return self._collection().action_log_call()

    def action_record_promise(self):
        return self._collection().action_record_promise()

    def action_open_dispute(self):
        return self._collection().action_open_dispute()

    def action_send_statement(self):
        return self._collection().action_send_statement()

    def action_schedule_next_action(self):
        return self._collection().action_schedule_next_action()

    def action_open_customer(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_assign(self):
        """Bulk portfolio assignment of the selected rows (billing managers)."""
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Assign Customers"),
            "res_model": "billing.collection.assign",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }
