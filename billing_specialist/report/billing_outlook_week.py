from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.misc import get_lang

WEEKS = 13

SECTIONS = [
    ("week", "Next 13 Weeks"),
    ("later", "After 13 Weeks"),
    ("at_risk", "At Risk"),
    ("unapplied", "Unapplied Cash"),
]

# A row's id: the outlook line's id times this, plus the week's index (0-12) or the section's slot.
ROW_ID_FACTOR = 16
SLOTS = {"later": 13, "at_risk": 14, "unapplied": 15}

# The columns every row takes from its outlook line.
COMMON = SQL(
    """line.id AS line_id, line.company_id, line.partner_id, line.team_id, line.user_id, company.currency_id,
       line.move_id, line.date_due, line.date_expected, line.date_early, line.date_late"""
)


class BillingOutlookWeek(models.Model):
    """The cash outlook by week, for the pivot and the graph: one row per outlook line and week its band touches.

    Weeks start on the first day of the week of the user's language (Odoo groups weeks the same way); the first is
    the current week, 13 weeks in all. As ``outlook/engine.py`` (``weekly``) counts them: *Expected* is each line's
    amount spread over its band (``billing.outlook.line``: early, expected and late dates from the customer's
    spread), half evenly from the early to the expected date, half from the expected to the late date. *On Early /
    Expected / Late Dates*: the whole amount in the week of that date. *Low* and *High* are the smallest and the
    largest of those four sums, computed on each group (a week, a customer's week, the 13 weeks): low <= expected
    <= high always.

    Apart, never in *Expected*: cash received and not applied yet (*Unapplied Cash*), and what is not expected
    within the 13 weeks (*Not Expected in 13 Weeks*: the items of customers at risk, and those expected later).
    """

    _name = "billing.outlook.week"
    _description = "Cash Outlook by Week"
    _auto = False
    _rec_name = "partner_id"
    _order = "week_start, partner_id, id"

    line_id = fields.Many2one("billing.outlook.line", string="Outlook Line", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Specialist", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    basis = fields.Selection(related="line_id.basis", readonly=True)
    reason = fields.Char(related="line_id.reason", readonly=True)
    date_due = fields.Date(string="Due Date", readonly=True)
    date_expected = fields.Date(string="Expected On", readonly=True)
    date_early = fields.Date(string="Early Date", readonly=True)
    date_late = fields.Date(string="Late Date", readonly=True)
    section = fields.Selection(SECTIONS, readonly=True)
    week_start = fields.Date(string="Week", readonly=True, help="The first day of the week (empty outside the 13).")
    amount_expected = fields.Monetary(
        string="Expected", readonly=True, help="The amounts the customers' spread puts in the week."
    )
    amount_low = fields.Monetary(
        string="Low", readonly=True, help="The smallest of Expected and the sums on early, expected and late dates."
    )
    amount_high = fields.Monetary(
        string="High", readonly=True, help="The largest of Expected and the sums on early, expected and late dates."
    )
    amount_early = fields.Monetary(
        string="On Early Dates", readonly=True, help="The week's receipts if every item came on its early date."
    )
    amount_on_expected = fields.Monetary(
        string="On Expected Dates",
        readonly=True,
        help="The week's receipts if every item came on its expected date, not spread.",
    )
    amount_late = fields.Monetary(
        string="On Late Dates", readonly=True, help="The week's receipts if every item came on its late date."
    )
    amount_unapplied = fields.Monetary(
        string="Unapplied Cash",
        readonly=True,
        help="Payments and bank lines received and not applied to an invoice yet: already here, never expected.",
    )
    amount_not_expected = fields.Monetary(
        string="Not Expected in 13 Weeks",
        readonly=True,
        help="Open amounts of customers at risk (not expected at all) and amounts expected after the 13 weeks.",
    )

    _depends = {
        "billing.outlook.line": [
            "company_id",
            "partner_id",
            "move_id",
            "kind",
            "amount_open",
            "amount_expected",
            "date_due",
            "date_expected",
            "date_early",
            "date_late",
            "basis",
            "team_id",
            "user_id",
        ],
        "account.move": ["origin_payment_id", "statement_line_id"],
        "res.company": ["currency_id"],
    }

    # ------------------------------------------------------------------ weeks

    @api.model
    def _first_week_day(self):
        """The first day of the week of the user's language: 1 Monday ... 7 Sunday (``res.lang.week_start``)."""
        return int(get_lang(self.env).week_start)

    @api.model
    def _week_start(self, day=None):
        """The first day of the week holding ``day`` (today by default), as Odoo groups weeks for this user."""
        day = day or fields.Date.context_today(self)
        return day - timedelta(days=(day.isoweekday() - self._first_week_day()) % 7)

    @api.model
    def _weeks(self):
        """The first days of the 13 weeks of the outlook, this week first."""
        start = self._week_start()
        return [start + timedelta(weeks=index) for index in range(WEEKS)]

    # ------------------------------------------------------------------ the view

    @property
    def _table_query(self):
        start = self._week_start()
        return SQL("%s UNION ALL %s", self._week_rows(start), self._apart_rows(start))

    @api.model
    def _week_rows(self, start):
        """One row per line and week (0-12 from ``start``) that its band touches, from its early to its late date.

        Expected: the line's amount spread over its band as ``outlook/engine.py`` (``weekly``) spreads it, half
        evenly over the days from its early to its expected date, half from its expected to its late date (both
        included). On Early / Expected / Late Dates: the whole amount in the week of that date (the scenarios)."""

        def overlap(first, last):  # the days of [first, last] (offsets from ``start``) within the row's week
            return SQL(
                "GREATEST(0, LEAST(7 * week.index + 6, %s) - GREATEST(7 * week.index, %s) + 1)::numeric", last, first
            )

        def lump(offset):
            return SQL("CASE WHEN FLOOR(%s / 7.0) = week.index THEN line.amount_expected ELSE 0 END", offset)

        spread = SQL(
            "line.amount_expected / 2 * (%s / (line.x - line.e + 1) + %s / (line.l - line.x + 1))",
            overlap(SQL("line.e"), SQL("line.x")),
            overlap(SQL("line.x"), SQL("line.l")),
        )
        scenarios = SQL(", ").join([spread, lump(SQL("line.e")), lump(SQL("line.x")), lump(SQL("line.l"))])
        return SQL(
            """
            (WITH dated AS (
                SELECT line.*, COALESCE(line.date_early, line.date_expected) - %(start)s::date AS e,
                       line.date_expected - %(start)s::date AS x,
                       COALESCE(line.date_late, line.date_expected) - %(start)s::date AS l
                  FROM billing_outlook_line line
                 WHERE line.kind = 'item' AND line.amount_expected > 0 AND line.date_expected IS NOT NULL
                   AND COALESCE(line.basis, '') != 'at_risk'
            )
            SELECT line.id * %(factor)s + week.index AS id, %(common)s, 'week' AS section,
                   %(start)s::date + 7 * week.index AS week_start,
                   %(spread)s AS amount_expected, %(early)s AS amount_early, %(on_expected)s AS amount_on_expected,
                   %(late)s AS amount_late, LEAST(%(scenarios)s) AS amount_low, GREATEST(%(scenarios)s) AS amount_high,
                   0 AS amount_unapplied, 0 AS amount_not_expected
              FROM dated line
              JOIN res_company company ON company.id = line.company_id
              CROSS JOIN LATERAL generate_series(
                    GREATEST(FLOOR(line.e / 7.0)::int, 0), LEAST(FLOOR(line.l / 7.0)::int, %(last)s)
              ) AS week(index))
            """,
            start=start,
            factor=ROW_ID_FACTOR,
            common=COMMON,
            spread=spread,
            early=lump(SQL("line.e")),
            on_expected=lump(SQL("line.x")),
            late=lump(SQL("line.l")),
            scenarios=scenarios,
            last=WEEKS - 1,
        )

    @api.model
    def _apart_rows(self, start):
        """One row per line apart from the weeks: unapplied cash (payments and bank lines; not credit notes, they
        lowered the expected amounts, nor other credits), customers at risk, and what is expected after the 13
        weeks."""
        return SQL(
            """
            SELECT line.id * %(factor)s + CASE WHEN line.kind = 'unapplied' THEN %(unapplied)s
                                               WHEN line.basis = 'at_risk' THEN %(at_risk)s ELSE %(later)s END,
                   %(common)s,
                   CASE WHEN line.kind = 'unapplied' THEN 'unapplied'
                        WHEN line.basis = 'at_risk' THEN 'at_risk' ELSE 'later' END,
                   NULL, 0, 0, 0, 0, 0, 0,
                   CASE WHEN line.kind = 'unapplied' THEN ABS(line.amount_open) ELSE 0 END,
                   CASE WHEN line.kind = 'unapplied' THEN 0
                        WHEN line.basis = 'at_risk' THEN line.amount_open ELSE line.amount_expected END
              FROM billing_outlook_line line
              JOIN res_company company ON company.id = line.company_id
              LEFT JOIN account_move move ON move.id = line.move_id
             WHERE (line.kind = 'unapplied'
                    AND (move.id IS NULL OR move.origin_payment_id IS NOT NULL OR move.statement_line_id IS NOT NULL))
                OR (line.kind = 'item' AND line.basis = 'at_risk')
                OR (line.kind = 'item' AND COALESCE(line.basis, '') != 'at_risk' AND line.amount_expected > 0
                    AND line.date_expected >= %(start)s::date + 7 * %(weeks)s)
            """,
            factor=ROW_ID_FACTOR,
            common=COMMON,
            start=start,
            weeks=WEEKS,
            **SLOTS,
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Low and High of a group are the smallest and the largest of its four sums (Expected and the three scenarios) (not a sum of the
        rows' own lows and highs): the band of ``outlook/engine.py``, for any grouping."""
        if aggregate_spec in ("amount_low:sum", "amount_high:sum"):
            sums = [
                SQL("COALESCE(SUM(%s), 0)", self._field_to_sql(self._table, name, query))
                for name in ("amount_expected", "amount_early", "amount_on_expected", "amount_late")
            ]
            function = "LEAST" if aggregate_spec == "amount_low:sum" else "GREATEST"
            return SQL("%s(%s)", SQL(function), SQL(", ").join(sums))
        return super()._read_group_select(aggregate_spec, query)

    # ------------------------------------------------------------------ reading and refreshing

    @api.model
    def _check_reader(self, companies):
        """A billing user, about companies among the user's (the scheduled actions run as the system)."""
        if self.env.su:
            return
        if not self.env.user.has_group("billing_specialist.group_billing_user"):
            raise AccessError(self.env._("Only billing users can see the cash outlook."))
        if companies - self.env.user.company_ids:
            raise AccessError(self.env._("You can only see the cash outlook of your own companies."))

    @api.model
    def _refresh_stale(self, companies):
        """Compute again the outlook of those ``companies`` not computed today (``billing_outlook_date``, the
        user's day) or never."""
        self._check_reader(companies)
        today = fields.Date.context_today(self)

        def stale(company):
            computed = company.sudo().billing_outlook_date
            return not computed or fields.Datetime.context_timestamp(self, computed).date() < today

        to_refresh = companies.filtered(stale)
        if to_refresh:
            self.env["billing.outlook.line"].sudo()._billing_refresh(to_refresh.sudo())
        return to_refresh

    @api.model
    def _weekly(self, domain):
        """[(week start, expected, low, high)] of the 13 weeks for the rows of ``domain``, empty weeks included."""
        groups = self._read_group(
            [*domain, ("section", "=", "week")],
            ["week_start:day"],
            ["amount_expected:sum", "amount_low:sum", "amount_high:sum"],
        )
        found = {week: (expected, low, high) for week, expected, low, high in groups}
        return [(week, *found.get(week, (0.0, 0.0, 0.0))) for week in self._weeks()]

    @api.model
    def _fill_weeks(self):
        """Odoo's ``fill_temporal`` for the 13 weeks from this one. Odoo's filling moves its first date to the Monday
        before, then back by the language's offset: give it the day that lands on this week's first day (see
        models.py, ``_read_group_fill_temporal``)."""
        start = self._week_start() + timedelta(days=(8 - self._first_week_day()) % 7)
        return {
            "fill_from": fields.Date.to_string(start),
            "fill_to": fields.Date.to_string(start + timedelta(weeks=WEEKS - 1)),
            "min_groups": WEEKS,
        }

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """On the Cash Outlook screen (``billing_outlook_weeks`` in the context), a grouping by week shows the 13
        weeks, empty ones included; other groupings are left alone (Odoo fills a date only when it comes first)."""
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        if self.env.context.get("billing_outlook_weeks") and groupby and groupby[0].startswith("week_start"):
            self = self.with_context(fill_temporal=self._fill_weeks())
        return super().read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)

    @api.model
    def action_open_outlook(self):
        """The Cash Outlook screen, the outlook computed again first when it is older than today."""
        self._refresh_stale(self.env.companies)
        return self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_outlook_week_action")

    def action_refresh(self):
        """Refresh: compute the outlook of the user's companies again now, then reload the screen."""
        self._check_reader(self.env.companies)
        self.env["billing.outlook.line"].sudo()._billing_refresh(self.env.companies.sudo())
        return {"type": "ir.actions.client", "tag": "soft_reload"}
