from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, formatLang

# The worklist score: who to call first. Every part is a column of the row, so a row shows why it is there.
# score = age points + paused points + broken points + level points + action points + priority points, where
#   age points      = sum over overdue items of (open amount x min(days overdue, AGE_CAP_DAYS) / 30) / AMOUNT_UNIT
#                     (one point per AMOUNT_UNIT of company currency overdue for a month, age capped at 180 days)
#   paused points   = minus the same, for the part of each item in an open dispute or covered by an open promise
#                     (a promise with date_deadline >= today lists the invoice): paused amounts do not rank
#   broken points   = BROKEN_POINTS x the customer's broken promises (billing.collection.broken_promise_count)
#   level points    = LEVEL_POINTS x the rank of the customer's follow-up level in its company's ladder (1 = first)
#   action points   = ACTION_POINTS when the next action is due today or earlier
#   priority points = PRIORITY_POINTS when a promise was judged broken after the day of the last call logged (or no
#                     call was logged):
#                     a broken promise puts the customer at the top of today's list until someone calls.
# Order: score descending, then customer name, then id (the same ledger always gives the same order).
AMOUNT_UNIT = 1000
AGE_CAP_DAYS = 180
BROKEN_POINTS = 25
LEVEL_POINTS = 10
ACTION_POINTS = 50
PRIORITY_POINTS = 1000
# A row's id: the customer's id times this, plus the company's (one row per customer and company).
ROW_ID_FACTOR = 100000

SCORE_HELP = (
    "Score = age points + paused points (negative) + broken promises x 25 + level rank x 10 + 50 when the next "
    "action is due + 1000 when a promise was broken since the last call. Age points: each overdue item's open "
    "amount (company currency) x min(days overdue, 180) / 30, per 1,000; paused points: the same for the parts in "
    "dispute or covered by an open promise."
)


class BillingWorklist(models.Model):
    """Who to call today: one row per customer with overdue items in a company, ranked by a documented score.

    Read from the open receivable lines (posted, not reconciled, due before today), the customer's collection
    account (``billing.collection``), the open disputes (``account.move.billing_disputed_amount``) and the open
    promises to pay (``billing.promise``). Amounts in company currency. The quick actions of a row act on the
    customer's collection account.
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
    followup_amount = fields.Monetary(
        string="To Collect", readonly=True, help="Overdue, less the parts in dispute or covered by an open promise."
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
            "move_id", "account_id", "partner_id", "company_id", "amount_residual", "date_maturity", "reconciled",
            "parent_state",
        ],
        "account.move": ["billing_in_dispute", "billing_disputed_amount", "amount_residual"],
        "billing.collection": [
            "partner_id", "company_id", "user_id", "team_id", "level_id", "broken_promise_count",
            "next_action_date", "next_action_note", "last_followup_date", "last_call_date",
        ],
        "billing.promise": ["state", "date_deadline", "move_ids", "partner_id", "company_id", "date_judged"],
        "billing.followup.level": ["delay", "active", "company_id"],
        "res.partner": ["commercial_partner_id", "name", "user_id"],
        "res.users": ["sale_team_id"],
    }  # fmt: skip

    # ------------------------------------------------------------------ the view

    @api.model
    def _today_sql(self):
        """Today as Odoo knows it (the user's date), never the database server's CURRENT_DATE."""
        return SQL("%s::date", fields.Date.context_today(self))

    @api.model
    def _items_query(self):
        """One row per overdue receivable line: its open amount, age (capped) and the parts in dispute / promised."""
        return SQL(
            """
            SELECT aml.company_id,
                   partner.commercial_partner_id AS partner_id,
                   aml.move_id,
                   aml.amount_residual AS residual,
                   %(today)s - aml.date_maturity AS days,
                   LEAST(%(today)s - aml.date_maturity, %(cap)s) / 30.0 AS age,
                   CASE WHEN move.billing_in_dispute AND move.amount_residual > 0
                        THEN LEAST(aml.amount_residual,
                                   COALESCE(move.billing_disputed_amount, 0) * aml.amount_residual
                                   / move.amount_residual)
                        ELSE 0 END AS disputed,
                   EXISTS (SELECT 1 FROM billing_promise_move_rel promise_rel
                             JOIN billing_promise promise ON promise.id = promise_rel.promise_id
                            WHERE promise_rel.move_id = aml.move_id AND promise.state = 'open'
                              AND promise.date_deadline >= %(today)s) AS promised
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE account.account_type = 'asset_receivable'
               AND aml.parent_state = 'posted'
               AND aml.reconciled IS NOT TRUE
               AND aml.amount_residual > 0
               AND aml.date_maturity < %(today)s
            """,
            cap=AGE_CAP_DAYS,
            today=self._today_sql(),
        )

    @api.model
    def _customers_query(self):
        """One row per customer and company: the sums the score is made of."""
        return SQL(
            """
            SELECT item.partner_id, item.company_id,
                   COUNT(DISTINCT item.move_id) AS item_count,
                   MAX(item.days) AS max_days,
                   SUM(item.residual) AS overdue,
                   SUM(item.disputed) AS disputed,
                   SUM(CASE WHEN item.promised THEN item.residual - item.disputed ELSE 0 END) AS promised,
                   SUM(item.residual * item.age) AS weighted,
                   SUM(CASE WHEN item.promised THEN item.residual ELSE item.disputed END * item.age) AS paused
              FROM (%s) AS item
             GROUP BY item.partner_id, item.company_id
            """,
            self._items_query(),
        )

    @api.model
    def _select(self):
        team = self.env["billing.activity.report"]._team_sql(SQL.identifier("partner", "user_id"))
        points = self._points_sql()
        return SQL(
            """
            SELECT customer.partner_id::bigint * %(factor)s + customer.company_id AS id,
                   customer.partner_id, partner.name AS partner_name, customer.company_id,
                   company.currency_id, collection.id AS collection_id, collection.user_id,
                   COALESCE(collection.team_id, %(team)s) AS team_id,
                   collection.level_id, COALESCE(level_rank.rank, 0) AS level_rank,
                   customer.item_count, customer.max_days AS max_days_overdue,
                   customer.overdue AS overdue_amount, customer.disputed AS disputed_amount,
                   customer.promised AS promised_amount,
                   customer.overdue - customer.disputed - customer.promised AS followup_amount,
                   COALESCE(collection.broken_promise_count, 0) AS broken_promise_count,
                   broken.since_call AS broken_since_call,
                   collection.next_action_date, collection.next_action_note, collection.last_call_date,
                   collection.last_followup_date,
                   %(age)s AS points_age, %(paused)s AS points_paused, %(broken)s AS points_broken,
                   %(level)s AS points_level, %(action)s AS points_action, %(priority)s AS points_priority,
                   %(age)s + %(paused)s + %(broken)s + %(level)s + %(action)s + %(priority)s AS score
            """,
            factor=ROW_ID_FACTOR,
            team=team,
            **points,
        )

    @api.model
    def _points_sql(self):
        return {
            "age": SQL("ROUND(customer.weighted / %s, 2)", AMOUNT_UNIT),
            "paused": SQL("ROUND(-customer.paused / %s, 2)", AMOUNT_UNIT),
            "broken": SQL("(%s * COALESCE(collection.broken_promise_count, 0))::numeric", BROKEN_POINTS),
            "level": SQL("(%s * COALESCE(level_rank.rank, 0))::numeric", LEVEL_POINTS),
            "action": SQL(
                "CASE WHEN collection.next_action_date <= %s THEN %s ELSE 0 END::numeric",
                self._today_sql(),
                ACTION_POINTS,
            ),
            "priority": SQL("CASE WHEN broken.since_call THEN %s ELSE 0 END::numeric", PRIORITY_POINTS),
        }

    @api.model
    def _from(self):
        return SQL(
            """
              FROM (%s) AS customer
              JOIN res_partner partner ON partner.id = customer.partner_id
              JOIN res_company company ON company.id = customer.company_id
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
            self._customers_query(),
        )

    @property
    def _table_query(self):
        return SQL("%s %s", self._select(), self._from())

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

    @api.depends("overdue_amount", "max_days_overdue", "broken_promise_count", "level_id", "next_action_date")
    def _compute_reason(self):
        today = fields.Date.context_today(self)
        for row in self:
            # What makes the row urgent comes first: the list shows the beginning of the sentence.
            parts = []
            if row.broken_since_call:
                parts.append(self.env._("promise broken since the last call"))
            elif row.broken_promise_count:
                parts.append(self.env._("%(count)s broken promise(s)", count=row.broken_promise_count))
            if row.next_action_date and row.next_action_date <= today:
                parts.append(self.env._("next action due"))
            money = formatLang(self.env, row.overdue_amount, currency_obj=row.currency_id)
            parts.append(self.env._("%(amount)s overdue up to %(days)s days", amount=money, days=row.max_days_overdue))
            if row.level_id:
                parts.append(self.env._("level %(level)s", level=row.level_id.name))
            if row.disputed_amount or row.promised_amount:
                parts.append(
                    self.env._(
                        "%(amount)s paused (dispute or promise)",
                        amount=formatLang(
                            self.env, row.disputed_amount + row.promised_amount, currency_obj=row.currency_id
                        ),
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
