from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    """What collections adds to an invoice: its follow-up level, its collection state, its promises to pay (kept
    out of ``account_move.py``, owned by invoicing, which names no collection model)."""

    _inherit = "account.move"

    billing_collection_state = fields.Selection(
        [
            ("disputed", "In Dispute"),
            ("partly_disputed", "Partly in Dispute"),
            ("promised", "Promised"),
            ("overdue", "Overdue"),
            ("due", "Not Due"),
        ],
        string="Collection State",
        compute="_compute_billing_collection_state",
        groups="billing_specialist.group_billing_user",
        help="For an open invoice, what its collector sees: in an open dispute case (partly: the rest is past due and "
        "chased), covered by an open promise (deadline not passed), past its due date, or not yet due.",
    )
    billing_followup_level_id = fields.Many2one(
        "billing.followup.level",
        string="Follow-up Level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The highest follow-up level this invoice was already sent at (the run never sends it again).",
    )
    billing_followup_date = fields.Date(string="Last Follow-up", readonly=True, copy=False)

    @api.depends("billing_in_dispute", "invoice_date_due")
    def _compute_billing_collection_state(self):
        today = fields.Date.context_today(self)
        # Promised: an open promise pauses all that is left to chase (a partial promise leaves the rest overdue).
        paused = self.env["billing.promise"].sudo()._paused_amounts(self._origin, today)
        promised = self.browse()
        for move in self._origin.filtered(lambda m: m.id in paused):
            if move.currency_id.compare_amounts(paused[move.id], move._billing_undisputed_residual()) >= 0:
                promised |= move
        for move in self:
            overdue = move.invoice_date_due and move.invoice_date_due < today
            if move.billing_in_dispute:
                partly = (
                    overdue
                    and move.currency_id.compare_amounts(move.billing_disputed_amount, abs(move.amount_residual)) < 0
                )
                move.billing_collection_state = "partly_disputed" if partly else "disputed"
            elif move._origin in promised:
                move.billing_collection_state = "promised"
            elif overdue:
                move.billing_collection_state = "overdue"
            else:
                move.billing_collection_state = "due"

    # ------------------------------------------------------------------ promises to pay

    def action_billing_record_promise(self):
        """A promise to pay these invoices (of one customer), in a dialog."""
        if not self or len(self.commercial_partner_id) > 1 or len(self.company_id) > 1:
            raise UserError(self.env._("Select the invoices of one customer to record a promise to pay."))
        return self.env["billing.promise"]._action_record(self.commercial_partner_id, self)

    def _billing_open_promise(self):
        """The open promise covering this invoice, if any (read as superuser: the portal page shows it)."""
        self.ensure_one()
        return (
            self.env["billing.promise"].sudo().search([("state", "=", "open"), ("move_ids", "in", self.ids)], limit=1)
        )

    def _billing_portal_promise_allowed(self):
        """Whether the customer may promise to pay this invoice on the portal now: a posted customer invoice with
        an undisputed amount open, no open promise yet, and a company that takes portal promises."""
        self.ensure_one()
        return bool(
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.company_id.billing_portal_promise_max_days > 0
            and not self.currency_id.is_zero(self._billing_undisputed_residual())
            and not self._billing_open_promise()
        )
