from datetime import timedelta

from odoo import api, fields, models

from ..models.billing_collection_worklist import CALL_OUTCOMES

# Days until the next action after a call that reached the customer (reached, disputes) when none is given.
FOLLOW_UP_DAYS = 7


class BillingCollectionCall(models.TransientModel):
    """Log a call with a customer: its outcome posts on the customer's chatter and closes the due call activity;
    "promised to pay" records the promise, "disputes" opens a new dispute case, and a next action can be set."""

    _name = "billing.collection.call"
    _description = "Log a Collection Call"
    _inherit = ["billing.finite.mixin"]
    _finite_fields = ("promise_amount",)
    _check_company_auto = True

    collection_id = fields.Many2one("billing.collection", required=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="collection_id.company_id")
    partner_id = fields.Many2one(related="collection_id.partner_id", string="Customer")
    outcome = fields.Selection(CALL_OUTCOMES, required=True, default="reached")
    note = fields.Text()
    next_action_date = fields.Date(
        compute="_compute_next_action",
        store=True,
        readonly=False,
        help="When to act again. Left empty: tomorrow after no answer or a wrong contact, the day after a "
        "promise's deadline, otherwise in 7 days.",
    )
    next_action_note = fields.Char(compute="_compute_next_action", store=True, readonly=False)
    promise_move_ids = fields.Many2many(
        "account.move",
        string="Invoices Promised",
        compute="_compute_promise_move_ids",
        store=True,
        readonly=False,
        check_company=True,
        domain="[('company_id', '=', company_id), ('commercial_partner_id', '=', partner_id), "
        "('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    promise_currency_id = fields.Many2one("res.currency", compute="_compute_promise_currency_id")
    promise_amount = fields.Monetary(
        string="Amount Promised",
        currency_field="promise_currency_id",
        compute="_compute_promise_amount",
        store=True,
        readonly=False,
    )
    promise_date = fields.Date(string="Promised Date")

    @api.depends("outcome", "promise_date")
    def _compute_next_action(self):
        for wizard in self:
            wizard.next_action_date, wizard.next_action_note = wizard._default_next_action()

    def _default_next_action(self, promise=None):
        """When to act again after a call of this outcome, and what to do: call again tomorrow when nobody answered
        or the contact was wrong; check the payment the day after a promise's deadline (the day it is judged);
        otherwise follow up in FOLLOW_UP_DAYS. (date, note); date False for a promise without a date yet."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.outcome == "no_answer":
            return today + timedelta(days=1), self.env._("Call again")
        if self.outcome == "wrong_contact":
            return today + timedelta(days=1), self.env._("Find the right contact")
        if self.outcome == "promised":
            if promise:
                deadline = promise.date_deadline
            elif self.promise_date:
                tolerance = self.company_id.billing_promise_tolerance_days or 0
                deadline = self.promise_date + timedelta(days=tolerance)
            else:
                return False, False
            return deadline + timedelta(days=1), self.env._("Check the promised payment")
        if self.outcome == "disputes":
            return today + timedelta(days=FOLLOW_UP_DAYS), self.env._("Check the dispute")
        return today + timedelta(days=FOLLOW_UP_DAYS), self.env._("Follow up the call")

    @api.depends("outcome", "collection_id")
    def _compute_promise_move_ids(self):
        for wizard in self:
            if wizard.outcome == "promised" and wizard.collection_id and not wizard.promise_move_ids:
                invoices = wizard.collection_id._overdue_invoices()
                wizard.promise_move_ids = invoices.filtered(lambda move: not move.billing_in_dispute)
            elif wizard.outcome != "promised":
                wizard.promise_move_ids = False

    @api.depends("promise_move_ids", "company_id")
    def _compute_promise_currency_id(self):
        for wizard in self:
            wizard.promise_currency_id = wizard.promise_move_ids.currency_id[:1] or wizard.company_id.currency_id

    @api.depends("promise_move_ids")
    def _compute_promise_amount(self):
        for wizard in self:
            wizard.promise_amount = sum(wizard.promise_move_ids.mapped("amount_residual"))

    def action_apply(self):
        self.ensure_one()
        collection = self.collection_id
        collection._check_specialist()
        promise = self.env["billing.promise"]
        if self.outcome == "promised":
            moves = self.promise_move_ids._origin
            vals = collection._prepare_promise_vals(self.promise_amount, self.promise_date, moves, self.note)
            promise = promise.create(vals)
        collection._log_call(self.outcome, self.note, promise)  # closes the call activities due
        # Every call leaves a next action (the worklist moves the customer down until it is due): the one given,
        # else the outcome's (see _default_next_action).
        date, note = self.next_action_date, self.next_action_note
        if not date:
            date, default_note = self._default_next_action(promise)
            note = note or default_note
        collection._schedule_next_action(date, note)
        if self.outcome == "disputes":
            return collection.action_open_dispute()
        return {"type": "ir.actions.act_window_close"}
