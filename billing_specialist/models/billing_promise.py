from odoo import api, fields, models
from odoo.exceptions import ValidationError

PROMISE_STATES = [
    ("open", "Open"),
    ("kept", "Kept"),
    ("partial", "Partially Kept"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
PROMISE_CHANNELS = [
    ("phone", "Phone Call"),
    ("email", "E-mail"),
    ("portal", "Portal"),
    ("letter", "Letter"),
    ("meeting", "Meeting"),
    ("other", "Other"),
]


class BillingPromise(models.Model):
    """A customer's promise to pay an amount by a date for some invoices; judged from the payments applied."""

    _name = "billing.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        "billing_promise_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), ('commercial_partner_id', '=', partner_id)]",
    )
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    amount = fields.Monetary(required=True, tracking=True)
    date = fields.Date(string="Promised Date", required=True, tracking=True)
    tolerance_days = fields.Integer(
        string="Tolerance (days)", default=lambda self: self.env.company.billing_promise_tolerance_days
    )
    date_deadline = fields.Date(
        string="Judged On",
        compute="_compute_date_deadline",
        store=True,
        index=True,
        help="Promised date plus tolerance.",
    )
    channel = fields.Selection(PROMISE_CHANNELS, required=True, default="phone")
    note = fields.Text()
    user_id = fields.Many2one("res.users", string="Recorded By", default=lambda self: self.env.user, readonly=True)
    state = fields.Selection(PROMISE_STATES, required=True, default="open", readonly=True, tracking=True, index=True)
    amount_paid = fields.Monetary(
        string="Paid", readonly=True, help="Payments applied to the promised invoices since the promise was made."
    )
    date_judged = fields.Date(readonly=True)

    @api.depends("partner_id", "amount", "date", "currency_id")
    def _compute_name(self):
        for promise in self:
            promise.name = self.env._(
                "%(customer)s: %(amount)s by %(date)s",
                customer=promise.partner_id.display_name or "",
                amount=promise.currency_id.format(promise.amount) if promise.currency_id else promise.amount,
                date=promise.date or "",
            )

    @api.depends("date", "tolerance_days")
    def _compute_date_deadline(self):
        for promise in self:
            promise.date_deadline = promise.date and fields.Date.add(promise.date, days=promise.tolerance_days)

    @api.constrains("tolerance_days")
    def _check_tolerance_days(self):
        for promise in self:
            if not 0 <= promise.tolerance_days <= 90:
                raise ValidationError(self.env._("The tolerance of a promise is between 0 and 90 days."))
