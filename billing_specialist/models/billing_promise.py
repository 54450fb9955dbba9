import logging
import math

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date
from odoo.tools.sql import column_exists

from ..promises import judge

_logger = logging.getLogger(__name__)

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
# Set by the application alone (the judge, the recording user): never taken from a client.
# The deadline is computed from the date and the company-limited tolerance: never written directly.
PROTECTED_FIELDS = frozenset(
    {"state", "amount_paid", "date_judged", "user_id", "date_deadline", "date_made", "date_move_count"}
)


class BillingPromise(models.Model):
    """A customer's promise to pay an amount by a date for some invoices; judged from the payments applied."""

    _name = "billing.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread", "billing.protected.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _protected_create = _protected_write = PROTECTED_FIELDS

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
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        compute="_compute_currency_id",
        store=True,
        precompute=True,
        readonly=True,
        help="The promised invoices' currency.",
    )
    amount = fields.Monetary(required=True, tracking=True)
    date = fields.Date(string="Promised Date", required=True, tracking=True)
    tolerance_days = fields.Integer(
        string="Tolerance (days)", default=lambda self: self.env.company.billing_promise_tolerance_days
    )
    date_deadline = fields.Date(
        string="Deadline",
        compute="_compute_date_deadline",
        store=True,
        index=True,
        help="Promised date plus tolerance: payments applied until this day count; judged the day after.",
    )
    date_move_count = fields.Integer(
        string="Date Moves",
        readonly=True,
        copy=False,
        help="How many times the promised date was put off (a promise replacing an open one counts its moves and one "
        "more); the company sets how many and how far.",
    )
    date_move_reason = fields.Char(
        string="Why Beyond the Limits",
        groups="billing_specialist.group_billing_user",
        copy=False,
        help="A billing manager who puts the date off beyond the company's limits (moves, days per move) says why; "
        "the promise's chatter keeps it.",
    )
    channel = fields.Selection(PROMISE_CHANNELS, required=True, default="phone")
    # Internal: the customer reads its own promises (portal), not the specialists' notes or names.
    note = fields.Text(groups="billing_specialist.group_billing_user")
    user_id = fields.Many2one(
        "res.users",
        string="Recorded By",
        default=lambda self: self.env.user,
        readonly=True,
        groups="billing_specialist.group_billing_user",
    )
    state = fields.Selection(PROMISE_STATES, required=True, default="open", readonly=True, tracking=True, index=True)
    amount_paid = fields.Monetary(
        string="Paid", readonly=True, help="Payments applied to the promised invoices since the promise was made."
    )
    date_judged = fields.Date(string="Judged On", readonly=True)
    # The business day of the promise, for the key figures: not create_date, which is the database server's clock
    # (a UTC timestamp, another day than the user's near midnight).
    date_made = fields.Date(
        string="Made On",
        required=True,
        readonly=True,
        index=True,
        copy=False,
        default=fields.Date.context_today,
        help="The day the promise was recorded, in the user's time zone.",
    )

    def _auto_init(self):
        # Promises recorded before the field existed were made on the day of their creation.
        new_column = not column_exists(self.env.cr, self._table, "date_made")
        result = super()._auto_init()
        if new_column:
            self.env.cr.execute(
                SQL("UPDATE billing_promise SET date_made = create_date::date WHERE create_date IS NOT NULL")
            )
        return result

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

    @api.constrains("tolerance_days", "company_id")
    def _check_tolerance_days(self):
        """From 0 to the company's tolerance: a longer one would put the deadline off past the limits."""
        for promise in self:
            limit = promise.company_id.billing_promise_tolerance_days
            if not 0 <= promise.tolerance_days <= limit:
                raise ValidationError(
                    self.env._("The tolerance of a promise is between 0 and %(days)s days (the company's).", days=limit)
                )

    @api.depends("move_ids", "company_id")
    def _compute_currency_id(self):
        for promise in self:
            promise.currency_id = promise.move_ids.currency_id[:1] or promise.company_id.currency_id

    # ------------------------------------------------------------------ validation

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_amount_value(vals)
            self._normalize_partner(vals)
        promises = super().create(vals_list)
        for promise in promises:
            promise._check_replacement()
        promises._post_recorded()
        return promises

    def write(self, vals):
        self._check_amount_value(vals)
        self._normalize_partner(vals)
        closed = self.filtered(lambda p: p.state != "open")
        if closed and not self.env.su and any(not fname.startswith("message_") for fname in vals):
            raise UserError(
                self.env._(
                    "%(promises)s already judged or cancelled: a closed promise cannot be changed.",
                    promises=", ".join(closed.mapped("display_name")),
                )
            )
        promised = (
            {promise: promise.move_ids for promise in self if promise.state == "open"} if "move_ids" in vals else {}
        )
        if vals.get("date") and self.filtered(lambda p: p.state == "open"):
            new_date = fields.Date.to_date(vals["date"])
            for promise in self:
                moves = promise.date_move_count
                if promise.state == "open" and promise.date and new_date > promise.date:
                    moves = promise._check_move(promise.date, new_date, promise.date_move_count, vals)
                # the count of moves is set here; a client's own value stays refused
                own = promise._protected_allow({"date_move_count"} - set(vals))
                super(BillingPromise, own).write({**vals, "date_move_count": moves})
        else:
            super().write(vals)
        self._check_invoices_kept(promised)
        return True

    def _check_invoices_kept(self, promised):
        """An invoice leaves an open promise only with the promise (cancelled: a new promise on it then counts as
        a move of this one, ``_check_replacement``). Released another way, a new promise on it would put its date off
        beyond the limits, its moves starting from none. Adding invoices is fine.

        :param promised: {open promise: its invoices before the write}"""
        for promise, invoices in promised.items():
            released = invoices - promise.move_ids
            if released:
                raise UserError(
                    self.env._(
                        "%(docs)s cannot leave %(promise)s: cancel the promise and record another for the invoices it "
                        "should keep (the date moves of a promise follow its invoices).",
                        docs=self._invoice_names(released),
                        promise=promise.display_name,
                    )
                )

    # ------------------------------------------------------------------ limits (every channel)

    def _check_move(self, old_date, new_date, moves, vals):
        """Put the date off from ``old_date`` to ``new_date`` (``moves`` made so far): at most the company's number
        of moves, each at most its days; beyond, only a billing manager giving a reason (``date_move_reason`` in
        ``vals``), which the chatter keeps. :return: the moves made with this one."""
        self.ensure_one()
        self._check_last_day(new_date)
        company = self.company_id
        moves += 1
        days = (new_date - old_date).days
        beyond = []
        if moves > company.billing_promise_max_moves:
            beyond.append(
                self.env._(
                    "the date was already put off %(count)s times (at most %(max)s)",
                    count=moves - 1,
                    max=company.billing_promise_max_moves,
                )
            )
        if days > company.billing_promise_move_max_days:
            beyond.append(
                self.env._(
                    "%(days)s days later (at most %(max)s a move)", days=days, max=company.billing_promise_move_max_days
                )
            )
        reason = (vals.get("date_move_reason") or "").strip()
        body = self.env._(
            "Promised date put off from %(old)s to %(new)s (move %(count)s).",
            old=format_date(self.env, old_date),
            new=format_date(self.env, new_date),
            count=moves,
        )
        if beyond:
            manager = self.env.user.has_group("billing_specialist.group_billing_manager")
            if not (manager and any(char.isalnum() for char in reason)):
                raise UserError(
                    self.env._(
                        "The promised date cannot be put off: %(why)s. A billing manager may, giving a reason.",
                        why="; ".join(beyond),
                    )
                )
            body = self.env._(
                "%(body)s Beyond the limits (%(why)s), by %(manager)s: %(reason)s",
                body=body,
                why="; ".join(beyond),
                manager=self.env.user.name,
                reason=reason,
            )
        self._post_note(body)
        return moves

    def _post_note(self, body):
        for record in [self.sudo(), self.partner_id.sudo()]:
            record.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _check_replacement(self):
        """A promise replacing one cancelled by hand and never judged is a move of that one: its moves carry over, one
        more, within the same limits (else the limits would be a cancel away). A promise cancelled after its deadline
        but before the nightly judge counts too (else cancelling a broken promise would reset its moves); one whose
        deadline lies further back than the company's promise horizon no longer does."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        horizon = fields.Date.subtract(today, days=self.company_id.billing_promise_max_days)
        replaced = (
            self.sudo()
            .search(
                [
                    ("id", "!=", self.id),
                    ("state", "=", "cancelled"),
                    ("date_judged", "=", False),
                    ("date_deadline", ">=", horizon),
                    ("move_ids", "in", self.move_ids.ids),
                ]
            )
            .sorted(lambda p: (p.date_move_count, p.date), reverse=True)[:1]
        )
        if not replaced:
            return
        moves = replaced.date_move_count
        if self.date > replaced.date:
            moves = self._check_move(replaced.date, self.date, moves, {"date_move_reason": self.date_move_reason})
        self.sudo().date_move_count = moves

    @api.constrains("date", "company_id")
    def _check_date_ahead(self):
        """Never further ahead than the company allows, on every channel (0.01 promised for 2099 would pause a
        follow-up for good)."""
        for promise in self:
            if promise.state == "open":
                promise._check_last_day(promise.date)

    def _check_last_day(self, date):
        """Refuse ``date`` beyond the company's days ahead (named before the moves: no manager may allow it)."""
        self.ensure_one()
        last_day = fields.Date.add(fields.Date.context_today(self), days=self.company_id.billing_promise_max_days)
        if date > last_day:
            raise ValidationError(
                self.env._(
                    "A promise reaches at most %(days)s days ahead: %(date)s at the latest.",
                    days=self.company_id.billing_promise_max_days,
                    date=format_date(self.env, last_day),
                )
            )

    def _check_min_share(self):
        """At least the company's share of the open amount (amounts in dispute excluded): a token promise would
        pause the follow-up of the whole invoice (now only the amount promised is paused, but no less)."""
        for promise in self:
            currency, company = promise.currency_id, promise.company_id
            open_amount = self._promisable_amount(promise.move_ids)
            minimum = currency.round(open_amount * company.billing_portal_promise_min_percent / 100)
            if currency.compare_amounts(promise.amount, minimum) < 0:
                raise ValidationError(
                    self.env._(
                        "A promise covers at least %(percent)s %% of the %(open)s open on %(docs)s: %(minimum)s.",
                        percent=company.billing_portal_promise_min_percent,
                        open=currency.format(open_amount),
                        docs=self._invoice_names(promise.move_ids),
                        minimum=currency.format(minimum),
                    )
                )

    def _check_amount_value(self, vals):
        """Refuse a promised amount that is not a finite number before it reaches the database."""
        if "amount" not in vals:
            return
        amount = vals["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
            raise ValidationError(self.env._("The promised amount must be a number greater than zero."))

    def _normalize_partner(self, vals):
        """A promise is the customer's, not a contact's: keep the commercial partner."""
        if vals.get("partner_id"):
            partner = self.env["res.partner"].browse(vals["partner_id"]).exists()
            if partner:
                vals["partner_id"] = partner.commercial_partner_id.id

    @api.constrains("move_ids", "partner_id", "company_id", "currency_id", "amount")
    def _check_invoices_and_amount(self):
        """The invoices first (their open amount means nothing otherwise), then the amount."""
        for promise in self:
            promise._check_invoices()
            promise._check_amount()
            promise._check_min_share()

    def _check_invoices(self):
        for promise in self:
            invoices = promise.move_ids
            if not invoices:
                raise ValidationError(self.env._("A promise to pay covers at least one invoice."))
            names = promise._invoice_names
            wrong = invoices.filtered(lambda m: m.move_type != "out_invoice" or m.state != "posted")
            if wrong:
                raise ValidationError(
                    self.env._("Only posted customer invoices can be promised; %(docs)s are not.", docs=names(wrong))
                )
            foreign = invoices.filtered(
                lambda m, p=promise: m.commercial_partner_id != p.partner_id or m.company_id != p.company_id
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(docs)s are not invoices of %(customer)s in %(company)s.",
                        docs=names(foreign),
                        customer=promise.partner_id.display_name,
                        company=promise.company_id.name,
                    )
                )
            settled = invoices.filtered(lambda m: m.currency_id.is_zero(m.amount_residual))
            if settled:
                raise ValidationError(self.env._("%(docs)s have nothing left to pay.", docs=names(settled)))
            if invoices.currency_id != promise.currency_id:
                raise ValidationError(self.env._("The invoices of one promise share one currency, the promise's."))
            promise._check_not_covered()

    def _check_not_covered(self):
        """One open promise per invoice: the payments applied to it are judged against one promise only."""
        self._lock_invoices()
        others = (
            self.sudo()
            .search([("id", "!=", self.id), ("state", "=", "open"), ("move_ids", "in", self.move_ids.ids)])
            .filtered(lambda p: p.move_ids & self.move_ids)
        )
        if others:
            raise ValidationError(
                self.env._(
                    "%(docs)s already have an open promise (%(promises)s): cancel it before recording another.",
                    docs=self._invoice_names(others.move_ids & self.move_ids),
                    promises=", ".join(others.mapped("display_name")),
                )
            )

    def _lock_invoices(self):
        """Serialize the promises of these invoices until this transaction ends (two portal clicks, two tabs).

        A no-op update of the invoices' rows, as ``billing.dispute._portal_lock_customer``: a concurrent promise
        waits for this one, and once this one commits PostgreSQL refuses the other's older snapshot ("could not
        serialize access"); Odoo replays that request, which then sees this promise and refuses a second one.
        """
        self.env.cr.execute(
            SQL("UPDATE account_move SET write_date = write_date WHERE id IN %s", tuple(self.move_ids.ids))
        )

    @staticmethod
    def _invoice_names(invoices):
        return ", ".join(invoices.mapped("display_name"))

    @staticmethod
    def _promisable_amount(invoices):
        """What is left to pay on the invoices beyond their amounts in dispute (their currency)."""
        return sum(invoice._billing_undisputed_residual() for invoice in invoices)

    def _check_amount(self):
        for promise in self:
            currency = promise.currency_id
            if not math.isfinite(promise.amount) or currency.compare_amounts(promise.amount, 0.0) <= 0:
                raise ValidationError(self.env._("The promised amount must be a number greater than zero."))
            open_amount = self._promisable_amount(promise.move_ids)
            if currency.compare_amounts(promise.amount, open_amount) > 0:
                raise ValidationError(
                    self.env._(
                        "The promised amount %(amount)s is more than the %(open)s left to pay on %(docs)s "
                        "(amounts in dispute excluded).",
                        amount=currency.format(promise.amount),
                        open=currency.format(open_amount),
                        docs=self._invoice_names(promise.move_ids),
                    )
                )

    @api.constrains("date")
    def _check_date(self):
        for promise in self:
            if promise.date < fields.Date.context_today(promise):
                raise ValidationError(
                    self.env._("The promised date %(date)s is in the past.", date=format_date(self.env, promise.date))
                )

    # ------------------------------------------------------------------ recording and cancelling

    def _post_recorded(self):
        """Say on the customer and on each invoice that the promise was made."""
        for promise in self:
            body = self.env._(
                "Promise to pay %(amount)s by %(date)s (%(channel)s) recorded for %(docs)s.",
                amount=promise.currency_id.format(promise.amount),
                date=format_date(self.env, promise.date),
                channel=dict(PROMISE_CHANNELS)[promise.channel],
                docs=self._invoice_names(promise.move_ids),
            )
            author = self.env.user.partner_id if not self.env.user._is_public() else promise.partner_id
            for record in [promise.partner_id.sudo(), *promise.move_ids.sudo()]:
                record.message_post(body=body, author_id=author.id, subtype_xmlid="mail.mt_note")

    def action_cancel(self):
        """Withdraw open promises (the customer called back, the invoices were credited...)."""
        self.check_access("write")
        closed = self.filtered(lambda p: p.state != "open")
        if closed:
            raise UserError(
                self.env._(
                    "Only open promises can be cancelled; %(promises)s are already closed.",
                    promises=", ".join(closed.mapped("display_name")),
                )
            )
        self.sudo().write({"state": "cancelled"})
        return True

    @api.onchange("move_ids")
    def _onchange_move_ids(self):
        if self.move_ids:
            self.amount = self._promisable_amount(self.move_ids)

    @api.model
    def _action_record(self, partner, invoices=None):
        """The promise form in a dialog, with the invoices (else the customer's overdue, else open ones) and their
        open amount filled in; recording it checks everything again."""
        self.check_access("create")
        partner = partner.commercial_partner_id
        company = invoices.company_id[:1] if invoices else self.env.company
        if not invoices:
            invoices = self.env["account.move"].search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("commercial_partner_id", "=", partner.id),
                    ("company_id", "=", company.id),
                ],
                order="invoice_date_due, id",
            )
            today = fields.Date.context_today(self)  # the user's date, as on the worklist
            overdue = invoices.filtered(lambda m: m.invoice_date_due and m.invoice_date_due < today)
            invoices = overdue or invoices
            covered = self.sudo().search([("state", "=", "open"), ("move_ids", "in", invoices.ids)]).move_ids
            invoices -= covered
            invoices = invoices.filtered(lambda m: m.currency_id == invoices[:1].currency_id)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record a Promise to Pay"),
            "res_model": "billing.promise",
            "view_mode": "form",
            "views": [(self.env.ref("billing_specialist.billing_promise_view_form").id, "form")],
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_company_id": company.id,
                "default_move_ids": [fields.Command.set(invoices.ids)],
                "default_amount": self._promisable_amount(invoices),
                "dialog_size": "medium",
            },
        }

    @api.model
    def _portal_create(self, invoice, author, date, amount):
        """A customer's promise from the invoice's portal page, created as superuser once the portal checked the
        access to the invoice and who the author is; the company's limits are checked here, the rest by create."""
        company = invoice.company_id
        max_days = company._billing_portal_promise_days()
        if not max_days:
            raise UserError(self.env._("Promises to pay are not taken on the portal; please contact us."))
        existing = invoice._billing_open_promise()
        if existing:
            raise UserError(
                self.env._(
                    "You already promised to pay this invoice by %(date)s.", date=format_date(self.env, existing.date)
                )
            )
        if not invoice._billing_portal_promise_allowed():
            raise UserError(self.env._("This invoice has nothing left to promise."))
        today = fields.Date.context_today(self)
        last_day = fields.Date.add(today, days=max_days)
        if date < today:
            raise UserError(self.env._("The date you will pay on cannot be in the past."))
        if date > last_day:
            raise UserError(
                self.env._(
                    "You can promise to pay up to %(days)s days ahead, by %(date)s at the latest.",
                    days=max_days,
                    date=format_date(self.env, last_day),
                )
            )
        self._portal_check_amount_and_history(invoice, amount)
        collection = self.env["billing.collection"]._for_partners(invoice.commercial_partner_id, company)
        promise = self.with_company(company).create(
            {
                "company_id": company.id,
                "partner_id": invoice.commercial_partner_id.id,
                "move_ids": [fields.Command.set(invoice.ids)],
                "amount": amount,
                "date": date,
                "tolerance_days": company.billing_promise_tolerance_days,
                "channel": "portal",
                "user_id": collection.user_id.id,
                "note": self.env._("Promised on the portal by %(author)s.", author=author.display_name),
            }
        )
        return promise

    def _portal_check_amount_and_history(self, invoice, amount):
        """A portal promise covers at least the company's share of the open amount (a token promise would pause the
        whole invoice's follow-ups), and an invoice whose promise was broken takes new ones through the specialist."""
        company, currency = invoice.company_id, invoice.currency_id
        minimum = currency.round(
            invoice._billing_undisputed_residual() * company.billing_portal_promise_min_percent / 100
        )
        if 0 < amount and currency.compare_amounts(amount, minimum) < 0:  # zero and below: create says why
            raise UserError(
                self.env._(
                    "Please promise at least %(percent)s %% of the open amount, %(minimum)s.",
                    percent=company.billing_portal_promise_min_percent,
                    minimum=currency.format(minimum),
                )
            )
        if self.sudo().search_count([("move_ids", "in", invoice.ids), ("state", "=", "broken")], limit=1):
            raise UserError(
                self.env._(
                    "An earlier promise to pay this invoice was not kept: please contact us to agree on a new date."
                )
            )

    # ------------------------------------------------------------------ what a promise pauses

    @api.model
    def _paused_query(self, today, move_ids=None):
        """SQL of (move_id, paused): the part of each invoice an open promise pauses on ``today`` (its deadline not
        passed), in the invoice's currency. A promise pauses what is still to come of it (its amount less the
        payments applied to its invoices since it was made), spread over its invoices from the oldest due date, each
        up to its open amount less the part in dispute; the rest of the invoice, and the customer's other invoices,
        are followed up as usual. ``move_ids``: only these invoices' promises."""
        restrict = SQL("AND rel.move_id = ANY(%s)", list(move_ids)) if move_ids is not None else SQL()
        return SQL(
            """
            SELECT part.move_id,
                   LEAST(part.open_amount, GREATEST(part.to_come - part.before, 0)) AS paused
              FROM (
                    SELECT rel.move_id, item.open_amount,
                           GREATEST(promise.amount - COALESCE(paid.amount, 0), 0) AS to_come,
                           COALESCE(SUM(item.open_amount) OVER (
                               PARTITION BY promise.id ORDER BY move.invoice_date_due, move.id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                      FROM billing_promise promise
                      JOIN billing_promise_move_rel rel ON rel.promise_id = promise.id
                      JOIN account_move move ON move.id = rel.move_id
                      CROSS JOIN LATERAL (
                            SELECT GREATEST(move.amount_residual - CASE WHEN move.billing_in_dispute
                                   THEN COALESCE(move.billing_disputed_amount, 0) ELSE 0 END, 0) AS open_amount
                      ) AS item
                      LEFT JOIN LATERAL (
                            SELECT SUM(apr.debit_amount_currency) AS amount
                              FROM billing_promise_move_rel paid_rel
                              JOIN account_move_line inv_line ON inv_line.move_id = paid_rel.move_id
                              JOIN account_account account ON account.id = inv_line.account_id
                              JOIN account_partial_reconcile apr ON apr.debit_move_id = inv_line.id
                              JOIN account_move_line pay_line ON pay_line.id = apr.credit_move_id
                              JOIN account_move pay_move ON pay_move.id = pay_line.move_id
                             WHERE paid_rel.promise_id = promise.id
                               AND account.account_type = 'asset_receivable'
                               AND pay_move.move_type = 'entry'
                               AND (pay_move.origin_payment_id IS NOT NULL OR pay_move.statement_line_id IS NOT NULL)
                               AND apr.create_date >= promise.create_date
                      ) AS paid ON TRUE
                     WHERE promise.state = 'open' AND promise.date_deadline >= %(today)s %(restrict)s
              ) AS part
            """,
            today=today,
            restrict=restrict,
        )

    @api.model
    def _paused_amounts(self, moves, today=None):
        """{move id: the part an open promise pauses} of ``moves`` (invoice currency; see ``_paused_query``)."""
        if not moves:
            return {}
        for model in ("billing.promise", "account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        today = today or fields.Date.context_today(self)
        rows = self.env.execute_query(
            SQL(
                "SELECT move_id, SUM(paused) FROM (%s) AS paused GROUP BY move_id",
                self._paused_query(today, moves.ids),
            )
        )
        return {move_id: float(paused) for move_id, paused in rows}

    # ------------------------------------------------------------------ judging

    @api.model
    def _cron_judge(self):
        self._judge_promises()

    @api.model
    def _judge_promises(self, today=None):
        """Judge every open promise whose deadline has passed on ``today``, or that is already paid in full.

        Each promise is judged in its own savepoint: one that fails is logged and left open for the next run.
        :return: the promises judged
        """
        today = today or fields.Date.context_today(self)
        using = self.env["res.company"]._billing_capability_domain("collections", prefix="company_id.")
        promises = self.sudo().search([("state", "=", "open"), *using])
        paid = promises._amounts_paid()
        judged = self.sudo().browse()
        for promise in promises:
            amount_paid = paid.get(promise.id, 0.0)
            verdict = judge(
                promise.amount,
                amount_paid,
                promise.date_deadline,
                today,
                promise.currency_id.rounding,
                still_open=self._promisable_amount(promise.move_ids),
            )
            if verdict.state == "open":
                continue
            try:
                with self.env.cr.savepoint():
                    promise._apply_judgement(verdict, amount_paid, today)
            except (UserError, psycopg2.Error) as error:
                _logger.warning("Promise %s could not be judged: %s", promise.id, error)
                continue
            judged |= promise
        return judged

    def _amounts_paid(self):
        """{promise id: payments applied to its invoices since the promise was made, up to its deadline}.

        Counted: reconciliations of the invoices' receivable lines with a payment or a bank statement line (not a
        credit note, not a dispute write-off), created from the promise's creation to its deadline, in the
        invoices' currency.
        """
        if not self:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT rel.promise_id, SUM(apr.debit_amount_currency)
                  FROM billing_promise_move_rel rel
                  JOIN billing_promise promise ON promise.id = rel.promise_id
                  JOIN account_move_line inv_line ON inv_line.move_id = rel.move_id
                  JOIN account_account account ON account.id = inv_line.account_id
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = inv_line.id
                  JOIN account_move_line pay_line ON pay_line.id = apr.credit_move_id
                  JOIN account_move pay_move ON pay_move.id = pay_line.move_id
                 WHERE rel.promise_id IN %(ids)s
                   AND account.account_type = 'asset_receivable'
                   AND pay_move.move_type = 'entry'
                   AND (pay_move.origin_payment_id IS NOT NULL OR pay_move.statement_line_id IS NOT NULL)
                   AND apr.create_date >= promise.create_date
                   AND apr.create_date::date <= promise.date_deadline
                 GROUP BY rel.promise_id
                """,
                ids=tuple(self.ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _apply_judgement(self, verdict, amount_paid, today):
        """Store the outcome; a broken promise (or one kept in small part) escalates the customer."""
        self.ensure_one()
        self.write({"state": verdict.state, "amount_paid": amount_paid, "date_judged": today})
        if verdict.state == "cancelled":
            body = self.env._(
                "Promise to pay %(amount)s by %(date)s closed: nothing is left to pay on %(docs)s (credited, "
                "written off or in dispute).",
                amount=self.currency_id.format(self.amount),
                date=format_date(self.env, self.date),
                docs=self._invoice_names(self.move_ids),
            )
        else:
            body = self.env._(
                "Promise to pay %(amount)s by %(date)s %(outcome)s: %(paid)s paid.",
                amount=self.currency_id.format(self.amount),
                date=format_date(self.env, self.date),
                outcome=dict(PROMISE_STATES)[verdict.state].lower(),
                paid=self.currency_id.format(amount_paid),
            )
        self.partner_id.message_post(body=body, subtype_xmlid="mail.mt_note")
        if verdict.escalate:
            self._escalate(today)

    def _escalate(self, today):
        """One follow-up level up at the next run, one broken promise more, a call for the specialist today."""
        collection = self.env["billing.collection"].sudo()._for_partners(self.partner_id, self.company_id)
        collection.write(
            {
                "level_bump": collection.level_bump + 1,
                "broken_promise_count": collection.broken_promise_count + 1,
                "next_action_date": today,
            }
        )
        user = self._escalation_user(collection)
        if user:
            self.partner_id.activity_schedule(
                "billing_specialist.mail_activity_type_billing_broken_promise",
                date_deadline=today,
                summary=self.env._("Broken promise: call %(customer)s", customer=self.partner_id.display_name),
                note=self.env._("%(promise)s was not kept.", promise=self.display_name),
                user_id=user.id,
            )

    def _escalation_user(self, collection):
        """Who calls: the customer's specialist, else who recorded the promise, else the team leader, else the
        company's default specialist (active internal users only; nobody: no activity, the message stays)."""
        for user in (
            collection.user_id,
            self.user_id,
            collection.team_id.user_id,
            self.company_id.billing_dispute_default_user_id,
        ):
            if user and user.active and not user.share:
                return user
        return self.env["res.users"]
