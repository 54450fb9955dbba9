from odoo import api, fields, models
from odoo.tools import SQL, date_utils

# A row's id: the specialist's id (0 for the customers without one) times this, plus the company's.
ROW_ID_FACTOR = 100000


class BillingCollectorReport(models.Model):
    """The team lead's view: one row per collector (the specialist of the collection accounts) and company.

    The portfolio is today's: the customers whose collection account names the specialist (customers without one
    form the row without specialist). Figures in company currency, dates from Odoo's today (the user's date):

    - workload: the customers, those with overdue items, the overdue amount (posted receivable lines open and due
      before today);
    - promises: open ones whose promised date is today; kept, partially kept and broken ones judged this month,
      and the kept rate among them (n/a when none was judged);
    - collected: payments and bank statement lines applied to the customers' invoices (reconciliation date, the
      later of the two entries') this month up to today, the same days of last month, and all of last month.
    """

    _name = "billing.collector.report"
    _description = "Collector Workload"
    _auto = False
    _rec_name = "user_id"
    _order = "overdue_amount desc, id"

    user_id = fields.Many2one("res.users", string="Specialist", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    customer_count = fields.Integer(string="Customers", readonly=True)
    overdue_customer_count = fields.Integer(string="Customers Overdue", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
    promise_today_count = fields.Integer(string="Promises Due Today", readonly=True)
    promise_today_amount = fields.Monetary(string="Promised Today", readonly=True)
    kept_count = fields.Integer(string="Kept", readonly=True, help="Promises judged kept this month.")
    partial_count = fields.Integer(string="Partly Kept", readonly=True, help="Promises judged partly kept this month.")
    broken_count = fields.Integer(string="Broken", readonly=True, help="Promises judged broken this month.")
    kept_rate = fields.Char(
        compute="_compute_kept_rate",
        help="Kept among the promises judged this month; n/a when none was judged. Green when at least half were "
        "kept, red when fewer.",
    )
    kept_rate_good = fields.Boolean(compute="_compute_kept_rate")
    kept_rate_bad = fields.Boolean(compute="_compute_kept_rate")
    collected_amount = fields.Monetary(
        string="Collected This Month", readonly=True, help="Payments applied to the customers' invoices, to today."
    )
    collected_same_days_amount = fields.Monetary(
        string="Same Days Last Month", readonly=True, help="Collected last month from its first day to today's day."
    )
    collected_last_month_amount = fields.Monetary(string="Collected Last Month", readonly=True)
    collected_trend = fields.Char(
        string="Against Last Month",
        compute="_compute_collected_trend",
        help="Collected this month to today against the same days of last month; n/a when nothing was collected then.",
    )
    collected_up = fields.Boolean(compute="_compute_collected_trend", help="More than the same days of last month.")
    collected_down = fields.Boolean(compute="_compute_collected_trend", help="Less than the same days of last month.")

    _depends = {
        "billing.collection": ["partner_id", "company_id", "user_id"],
        "account.move.line": [
            "move_id",
            "account_id",
            "partner_id",
            "company_id",
            "amount_residual",
            "date_maturity",
            "reconciled",
            "parent_state",
        ],
        "account.move": ["move_type", "origin_payment_id", "statement_line_id"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "amount", "max_date"],
        "billing.promise": ["state", "date", "date_judged", "amount", "partner_id", "company_id"],
        "res.partner": ["commercial_partner_id"],
    }

    @api.model
    def _dates(self):
        """Odoo's today and the month boundaries the figures use."""
        today = fields.Date.context_today(self)
        month_start = date_utils.start_of(today, "month")
        last_start = date_utils.subtract(month_start, months=1)
        last_end = date_utils.subtract(month_start, days=1)
        # The same day last month, or its last day (31 March -> 28/29 February).
        same_day = min(date_utils.subtract(today, months=1), last_end)
        return {
            "today": today,
            "month_start": month_start,
            "last_start": last_start,
            "last_end": last_end,
            "same_day": same_day,
        }

    @api.model
    def _overdue_query(self, dates):
        return SQL(
            """
            SELECT aml.company_id, partner.commercial_partner_id AS partner_id, SUM(aml.amount_residual) AS amount
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE account.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
               AND aml.reconciled IS NOT TRUE AND aml.amount_residual > 0 AND aml.date_maturity < %(today)s
             GROUP BY aml.company_id, partner.commercial_partner_id
            """,
            today=dates["today"],
        )

    @api.model
    def _promises_query(self, dates):
        judged = SQL("promise.date_judged BETWEEN %s AND %s", dates["month_start"], dates["today"])
        return SQL(
            """
            SELECT promise.company_id, promise.partner_id,
                   COUNT(*) FILTER (WHERE promise.state = 'open' AND promise.date = %(today)s) AS today_count,
                   SUM(promise.amount) FILTER (WHERE promise.state = 'open' AND promise.date = %(today)s)
                       AS today_amount,
                   COUNT(*) FILTER (WHERE promise.state = 'kept' AND %(judged)s) AS kept,
                   COUNT(*) FILTER (WHERE promise.state = 'partial' AND %(judged)s) AS partial,
                   COUNT(*) FILTER (WHERE promise.state = 'broken' AND %(judged)s) AS broken
              FROM billing_promise promise
             WHERE promise.date = %(today)s OR %(judged)s
             GROUP BY promise.company_id, promise.partner_id
            """,
            today=dates["today"],
            judged=judged,
        )

    @api.model
    def _collected_query(self, dates):
        """Payments and bank lines applied to customer invoices, in company currency, by reconciliation date."""
        return SQL(
            """
            SELECT inv_line.company_id, partner.commercial_partner_id AS partner_id,
                   SUM(apr.amount) FILTER (WHERE apr.max_date BETWEEN %(month_start)s AND %(today)s) AS month,
                   SUM(apr.amount) FILTER (WHERE apr.max_date BETWEEN %(last_start)s AND %(same_day)s) AS same_days,
                   SUM(apr.amount) FILTER (WHERE apr.max_date BETWEEN %(last_start)s AND %(last_end)s) AS last_month
              FROM account_partial_reconcile apr
              JOIN account_move_line inv_line ON inv_line.id = apr.debit_move_id
              JOIN account_move inv_move ON inv_move.id = inv_line.move_id
              JOIN account_account account ON account.id = inv_line.account_id
              JOIN res_partner partner ON partner.id = inv_line.partner_id
              JOIN account_move_line pay_line ON pay_line.id = apr.credit_move_id
              JOIN account_move pay_move ON pay_move.id = pay_line.move_id
             WHERE account.account_type = 'asset_receivable'
               AND inv_move.move_type = 'out_invoice'
               AND pay_move.move_type = 'entry'
               AND (pay_move.origin_payment_id IS NOT NULL OR pay_move.statement_line_id IS NOT NULL)
               AND apr.max_date BETWEEN %(last_start)s AND %(today)s
             GROUP BY inv_line.company_id, partner.commercial_partner_id
            """,
            **dates,
        )

    @property
    def _table_query(self):
        dates = self._dates()
        return SQL(
            """
            SELECT COALESCE(collection.user_id, 0)::bigint * %(factor)s + collection.company_id AS id,
                   collection.user_id, collection.company_id, company.currency_id,
                   COUNT(*)::int AS customer_count,
                   COUNT(overdue.partner_id)::int AS overdue_customer_count,
                   COALESCE(SUM(overdue.amount), 0) AS overdue_amount,
                   COALESCE(SUM(promise.today_count), 0)::int AS promise_today_count,
                   COALESCE(SUM(promise.today_amount), 0) AS promise_today_amount,
                   COALESCE(SUM(promise.kept), 0)::int AS kept_count,
                   COALESCE(SUM(promise.partial), 0)::int AS partial_count,
                   COALESCE(SUM(promise.broken), 0)::int AS broken_count,
                   COALESCE(SUM(collected.month), 0) AS collected_amount,
                   COALESCE(SUM(collected.same_days), 0) AS collected_same_days_amount,
                   COALESCE(SUM(collected.last_month), 0) AS collected_last_month_amount
              FROM billing_collection collection
              JOIN res_company company ON company.id = collection.company_id
              LEFT JOIN (%(overdue)s) AS overdue
                     ON overdue.partner_id = collection.partner_id AND overdue.company_id = collection.company_id
              LEFT JOIN (%(promises)s) AS promise
                     ON promise.partner_id = collection.partner_id AND promise.company_id = collection.company_id
              LEFT JOIN (%(collected)s) AS collected
                     ON collected.partner_id = collection.partner_id AND collected.company_id = collection.company_id
             GROUP BY collection.user_id, collection.company_id, company.currency_id
            """,
            factor=ROW_ID_FACTOR,
            overdue=self._overdue_query(dates),
            promises=self._promises_query(dates),
            collected=self._collected_query(dates),
        )

    @api.depends("kept_count", "partial_count", "broken_count")
    def _compute_kept_rate(self):
        for row in self:
            judged = row.kept_count + row.partial_count + row.broken_count
            row.kept_rate = f"{round(100 * row.kept_count / judged)} %" if judged else self.env._("n/a")
            row.kept_rate_good = bool(judged) and 2 * row.kept_count >= judged
            row.kept_rate_bad = bool(judged) and 2 * row.kept_count < judged

    @api.depends("collected_amount", "collected_same_days_amount")
    def _compute_collected_trend(self):
        for row in self:
            base = row.collected_same_days_amount
            if row.currency_id.is_zero(base):
                row.update({"collected_trend": self.env._("n/a"), "collected_up": False, "collected_down": False})
                continue
            change = round(100 * (row.collected_amount - base) / base)
            row.update({"collected_trend": f"{change:+d} %", "collected_up": change > 0, "collected_down": change < 0})

    def action_open_worklist(self):
        """The worklist of this collector's customers (billing managers)."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_worklist_action_all")
        action["domain"] = [("user_id", "=", self.user_id.id), ("company_id", "=", self.company_id.id)]
        action["display_name"] = self.env._(
            "Customers of %(specialist)s", specialist=self.user_id.name or self.env._("nobody")
        )
        return action
