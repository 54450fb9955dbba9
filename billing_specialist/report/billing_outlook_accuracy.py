from odoo import api, fields, models
from odoo.tools import SQL, formatLang

# Within this error (in % of what was received) a forecast is good (green); beyond it, bad (red): issue 24's goal.
GOOD_ERROR_PERCENT = 15.0

GRADES = [("good", "Good"), ("bad", "Bad"), ("na", "n/a")]


def _error(forecast, has):
    """Forecast - received, when the snapshot was taken."""
    return SQL("CASE WHEN %s THEN %s - received.amount END", has, forecast)


def _percent(forecast, has):
    """|forecast - received| / received x 100, when the snapshot was taken and something was received."""
    return SQL(
        "CASE WHEN %s AND received.amount > 0 THEN ROUND(ABS(%s - received.amount) / received.amount * 100, 1) END",
        has,
        forecast,
    )


def _grade(forecast, has):
    return SQL(
        "CASE WHEN %(percent)s IS NULL THEN 'na' WHEN %(percent)s <= %(good)s THEN 'good' ELSE 'bad' END",
        percent=_percent(forecast, has),
        good=GOOD_ERROR_PERCENT,
    )


class BillingOutlookAccuracy(models.Model):
    """How right the cash outlook was: one row per company and past week that a snapshot forecast.

    *Received* is what payments and bank entries settled of customer invoices that week (``billing.kpi._paid_sql``,
    the one definition of paid, on the reconciliation's date). *Forecast 1 Week Before* is the week's Expected in the
    snapshot taken the week before, *4 Weeks Before* in the one taken four weeks before (``billing.outlook.snapshot``).
    Error = forecast - received (over-forecast positive); Error % = |error| / received x 100. Without that snapshot
    the forecast and its error are n/a, without receipts the Error % is n/a: *Why n/a* says which. An Error % within
    15 % is good (green), beyond it bad (red).
    """

    _name = "billing.outlook.accuracy"
    _description = "Cash Outlook Accuracy"
    _auto = False
    _rec_name = "week_start"
    _order = "week_start desc, company_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    week_start = fields.Date(string="Week", readonly=True)
    amount_received = fields.Monetary(string="Received", readonly=True)
    forecast_1w = fields.Monetary(string="Forecast 1 Week Before", readonly=True)
    low_1w = fields.Monetary(string="Low 1 Week Before", readonly=True)
    high_1w = fields.Monetary(string="High 1 Week Before", readonly=True)
    in_band_1w = fields.Boolean(
        string="In the Band", readonly=True, help="Received between the low and the high forecast one week before."
    )
    error_1w = fields.Monetary(string="Error 1 Week Before", readonly=True, aggregator=None)
    error_1w_percent = fields.Float(string="Error % 1 Week Before", readonly=True, digits=(16, 1), aggregator=None)
    grade_1w = fields.Selection(GRADES, string="1 Week Before", readonly=True)
    forecast_4w = fields.Monetary(string="Forecast 4 Weeks Before", readonly=True)
    error_4w = fields.Monetary(string="Error 4 Weeks Before", readonly=True, aggregator=None)
    error_4w_percent = fields.Float(string="Error % 4 Weeks Before", readonly=True, digits=(16, 1), aggregator=None)
    grade_4w = fields.Selection(GRADES, string="4 Weeks Before", readonly=True)
    na_reason = fields.Char(string="Why n/a", readonly=True)
    has_1w = fields.Boolean(string="Snapshot 1 Week Before", readonly=True)
    has_4w = fields.Boolean(string="Snapshot 4 Weeks Before", readonly=True)
    error_1w_label = fields.Char(string="Error % (1 Week)", compute="_compute_error_labels")
    error_4w_label = fields.Char(string="Error % (4 Weeks)", compute="_compute_error_labels")

    _depends = {
        "billing.outlook.snapshot": ["company_id", "currency_id", "week_start", "weeks_ahead", "amount_expected"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "max_date", "amount"],
        "account.move": ["state", "move_type", "company_id", "origin_payment_id", "statement_line_id"],
    }

    @api.depends("error_1w_percent", "error_4w_percent", "grade_1w", "grade_4w")
    def _compute_error_labels(self):
        """The error % as the list shows it: "n/a" when there is none (the reason beside)."""
        na = self.env._("n/a")
        for row in self:
            for weeks in ("1w", "4w"):
                percent = row[f"error_{weeks}_percent"]
                label = na if row[f"grade_{weeks}"] == "na" else f"{formatLang(self.env, percent, digits=1)} %"
                row[f"error_{weeks}_label"] = label

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        paid = self.env["billing.kpi"]._paid_sql(SQL("move.company_id = weeks.company_id"))

        return SQL(
            """
            WITH weeks AS (
                SELECT snapshot.company_id, MIN(snapshot.currency_id) AS currency_id, snapshot.week_start,
                       BOOL_OR(snapshot.weeks_ahead = 1) AS has_1w, BOOL_OR(snapshot.weeks_ahead = 4) AS has_4w,
                       SUM(snapshot.amount_expected) FILTER (WHERE snapshot.weeks_ahead = 1) AS forecast_1w,
                       SUM(snapshot.amount_low) FILTER (WHERE snapshot.weeks_ahead = 1) AS low_1w,
                       SUM(snapshot.amount_high) FILTER (WHERE snapshot.weeks_ahead = 1) AS high_1w,
                       SUM(snapshot.amount_expected) FILTER (WHERE snapshot.weeks_ahead = 4) AS forecast_4w
                  FROM billing_outlook_snapshot snapshot
                 WHERE snapshot.week_start + 7 <= %(today)s
                 GROUP BY snapshot.company_id, snapshot.week_start
            )
            SELECT weeks.company_id * 100000 + (weeks.week_start - DATE '2000-01-01') AS id,
                   weeks.company_id, weeks.currency_id, weeks.week_start,
                   received.amount AS amount_received,
                   weeks.forecast_1w, weeks.low_1w, weeks.high_1w,
                   weeks.has_1w AND received.amount BETWEEN weeks.low_1w AND weeks.high_1w AS in_band_1w,
                   %(error_1w)s AS error_1w, %(percent_1w)s AS error_1w_percent, %(grade_1w)s AS grade_1w,
                   weeks.forecast_4w,
                   %(error_4w)s AS error_4w, %(percent_4w)s AS error_4w_percent, %(grade_4w)s AS grade_4w,
                   NULLIF(CONCAT_WS('; ',
                       CASE WHEN NOT weeks.has_1w THEN %(no_1w)s END,
                       CASE WHEN NOT weeks.has_4w THEN %(no_4w)s END,
                       CASE WHEN received.amount <= 0 THEN %(no_receipt)s END), '') AS na_reason,
                   weeks.has_1w, weeks.has_4w
              FROM weeks
              CROSS JOIN LATERAL (
                    SELECT COALESCE(SUM(flows.amount), 0) AS amount FROM (%(paid)s) AS flows
                     WHERE flows.paid_date >= weeks.week_start AND flows.paid_date < weeks.week_start + 7
              ) AS received
            """,
            today=today,
            paid=paid,
            error_1w=_error(SQL("weeks.forecast_1w"), SQL("weeks.has_1w")),
            percent_1w=_percent(SQL("weeks.forecast_1w"), SQL("weeks.has_1w")),
            grade_1w=_grade(SQL("weeks.forecast_1w"), SQL("weeks.has_1w")),
            error_4w=_error(SQL("weeks.forecast_4w"), SQL("weeks.has_4w")),
            percent_4w=_percent(SQL("weeks.forecast_4w"), SQL("weeks.has_4w")),
            grade_4w=_grade(SQL("weeks.forecast_4w"), SQL("weeks.has_4w")),
            no_1w=self.env._("no snapshot taken 1 week before"),
            no_4w=self.env._("no snapshot taken 4 weeks before"),
            no_receipt=self.env._("nothing received that week: no error %"),
        )
