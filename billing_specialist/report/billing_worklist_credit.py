from odoo import api, fields, models
from odoo.tools import SQL

from ..models.billing_credit_status import CREDIT_STATES
from .billing_worklist import SCORE_HELP

# Credit control's account points in the worklist score (``billing.worklist._account_points_select``): a customer
# on credit hold in the company ranks HOLD_POINTS higher, one on watch WATCH_POINTS higher. A hold is worth half a
# promise broken since the last call (PRIORITY_POINTS, 1000): it ranks above the ordinary overdue customers, below
# those who broke their word. Worked, settled and paid rows keep their place (worked -1000, settled -2000).
HOLD_POINTS = 500
WATCH_POINTS = 100


class BillingWorklist(models.Model):
    """The worklist shows each customer's credit state and ranks held and watched customers higher."""

    _inherit = "billing.worklist"  # pylint: disable=consider-merging-classes-inherited  # credit's hook, its own file
    _depends = {"billing.credit.status": ["partner_id", "company_id", "state"]}

    credit_state = fields.Selection(
        CREDIT_STATES,
        string="Credit",
        readonly=True,
        help="The customer's credit state in the company: On Hold and Watch rank higher (account points).",
    )
    score = fields.Float(
        help=f"{SCORE_HELP} Account points: +{HOLD_POINTS} on credit hold, +{WATCH_POINTS} on credit watch."
    )

    @api.model
    def _account_points_select(self):
        """The customer's credit state in the row's company and its points (no status: OK); ``credit`` is joined by
        ``_figures_from``."""
        return SQL(
            """
            COALESCE(credit.state, 'ok') AS credit_state,
            (CASE credit.state WHEN 'hold' THEN %(hold)s WHEN 'watch' THEN %(watch)s ELSE 0 END)::numeric
                AS points_account
            """,
            hold=HOLD_POINTS,
            watch=WATCH_POINTS,
        )

    @api.model
    def _figures_from(self):
        return SQL(
            """%(base)s
              LEFT JOIN LATERAL (
                    SELECT status.state FROM billing_credit_status status
                     WHERE status.partner_id = customer.partner_id AND status.company_id = customer.company_id
                     ORDER BY status.id LIMIT 1
              ) AS credit ON TRUE
            """,
            base=super()._figures_from(),
        )

    @api.depends("credit_state")
    def _compute_reason(self):  # pylint: disable=missing-return
        """The hold comes right after what says not to call (paid, nothing to collect) or to call first (a promise
        broken since the last call): the order of the points. A watch comes last."""
        super()._compute_reason()
        first = {
            self.env._("paid, not applied yet: do not call"),
            self.env._("nothing to collect"),
            self.env._("promise broken since the last call"),
        }
        for row in self:
            if row.credit_state not in ("hold", "watch"):
                continue
            parts = row.reason.split("; ") if row.reason else []
            if row.credit_state == "watch":
                row.reason = "; ".join([*parts, self.env._("on credit watch")])
                continue
            lead = 0
            while lead < len(parts) and parts[lead] in first:
                lead += 1
            row.reason = "; ".join([*parts[:lead], self.env._("on credit hold"), *parts[lead:]])
