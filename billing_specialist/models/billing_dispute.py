from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, formataddr, formatLang

from .billing_dispute_line import is_booking
from .billing_dispute_stage import CLOSED_STATES, OPEN_STATES

DUE_SOON_DAYS = 2


def deadline_status(state, deadline, today):
    """Where an open case stands against its deadline: overdue, due soon (within two days) or on time."""
    if state not in OPEN_STATES:
        return False
    if deadline and deadline < today:
        return "overdue"
    if deadline and deadline <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "on_time"


PRIORITIES = [("0", "Normal"), ("1", "High"), ("2", "Urgent")]
CHANNELS = [("back_office", "Back Office"), ("portal", "Portal"), ("email", "E-mail")]
AMOUNT_FIELDS = (
    "amount_disputed",
    "amount_credited",
    "amount_written_off",
    "amount_rejected",
    "amount_paid",
    "amount_remaining",
)
# Audit and computed fields: the application sets them (as superuser, from private methods that RPC cannot call);
# a client's write or create that carries them is refused, whatever its context.
CREATE_PROTECTED_FIELDS = frozenset(
    {*AMOUNT_FIELDS, "state", "date_opened", "date_closed", "sla_breached", "date_escalated", "settlement_move_ids"}
)
WRITE_PROTECTED_FIELDS = CREATE_PROTECTED_FIELDS | {
    "name",
    "currency_id",
    "source_payment_id",
    "invoice_ids",
    "credit_note_count",
    "writeoff_count",
    "is_overdue",
    "deadline_status",
    "invoice_count",
}


class BillingDispute(models.Model):
    _name = "billing.dispute"
    _description = "Billing Dispute Case"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "billing.protected.mixin"]
    _order = "priority desc, date_deadline, id desc"
    _check_company_auto = True
    _mail_post_access = "read"
    _protected_create = CREATE_PROTECTED_FIELDS
    _protected_write = WRITE_PROTECTED_FIELDS

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: self.env._("New")
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
        help="The commercial partner (company) whose invoices are disputed.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        tracking=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="The person who raised the dispute; follows the case and receives its e-mails.",
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", store=True, precompute=True)
    line_ids = fields.One2many("billing.dispute.line", "dispute_id", string="Disputed Invoices", copy=False)
    invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_invoice_ids",
        search="_search_invoice_ids",
    )
    invoice_line_ids = fields.Many2many(
        "account.move.line",
        string="Disputed Invoice Lines",
        check_company=True,
        domain="[('move_id', 'in', invoice_ids), ('display_type', '=', 'product')]",
        help="Optionally, the invoice lines the customer contests; partial credit notes are built from them.",
    )
    settlement_move_ids = fields.One2many(
        "account.move",
        "billing_dispute_id",
        string="Credit Notes and Write-offs",
        readonly=True,
    )
    invoice_count = fields.Integer(compute="_compute_invoice_ids")
    credit_note_count = fields.Integer(compute="_compute_settlement_counts")
    writeoff_count = fields.Integer(compute="_compute_settlement_counts")

    amount_disputed = fields.Monetary(
        compute="_compute_amounts", store=True, tracking=True, help="Total contested by the customer."
    )
    amount_credited = fields.Monetary(
        compute="_compute_amounts", store=True, tracking=True, help="Posted credit notes issued by this case."
    )
    amount_written_off = fields.Monetary(
        compute="_compute_amounts", store=True, tracking=True, help="Posted write-offs booked by this case."
    )
    amount_rejected = fields.Monetary(
        compute="_compute_amounts", store=True, help="Part of the disputed amount that was not accepted."
    )
    amount_paid = fields.Monetary(
        compute="_compute_amounts", store=True, help="Part of the disputed amount the customer paid after all."
    )
    amount_remaining = fields.Monetary(
        compute="_compute_amounts",
        store=True,
        tracking=True,
        help="Still in dispute: disputed less credited, written off, rejected and paid, "
        "never more than what the invoices still owe.",
    )

    reason_id = fields.Many2one("billing.dispute.reason", required=True, tracking=True, ondelete="restrict", index=True)
    root_cause_id = fields.Many2one("billing.dispute.root.cause", tracking=True, ondelete="restrict", index=True)
    description = fields.Html(sanitize=True, sanitize_attributes=True, sanitize_style=True)
    resolution_note = fields.Text(
        string="Resolution", tracking=True, help="What was decided, and why; shown to the customer."
    )
    priority = fields.Selection(PRIORITIES, default="0", tracking=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Specialist",
        tracking=True,
        index=True,
        default=lambda self: self._default_user_id(),
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        tracking=True,
        check_company=True,
        index=True,
    )
    channel = fields.Selection(CHANNELS, required=True, default="back_office")
    source_payment_id = fields.Many2one(
        "account.payment",
        string="Short Payment",
        readonly=True,
        copy=False,
        check_company=True,
        help="The customer payment whose shortfall opened this case.",
    )
    stage_id = fields.Many2one(
        "billing.dispute.stage",
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
        group_expand="_read_group_stage_ids",
        default=lambda self: self._get_stage_for_state("new"),
    )
    state = fields.Selection(related="stage_id.state", store=True, index=True)
    date_opened = fields.Date(
        string="Opened On", required=True, readonly=True, copy=False, default=fields.Date.context_today
    )
    date_deadline = fields.Date(
        string="Deadline",
        compute="_compute_date_deadline",
        store=True,
        readonly=False,
        tracking=True,
        help="Resolve by this date; set from the reason's SLA.",
    )
    date_closed = fields.Date(string="Closed On", readonly=True, copy=False)
    is_overdue = fields.Boolean(compute="_compute_is_overdue", search="_search_is_overdue")
    deadline_status = fields.Selection(
        [("on_time", "On Time"), ("due_soon", "Due Soon"), ("overdue", "Overdue")],
        compute="_compute_deadline_status",
        search="_search_deadline_status",
        help="Of an open case: overdue after its deadline, due soon within two days of it, else on time.",
    )
    sla_breached = fields.Boolean(
        string="SLA Breached",
        readonly=True,
        copy=False,
        help="The case was still open after its deadline.",
    )
    date_escalated = fields.Datetime(readonly=True, copy=False)
    color = fields.Integer()

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "A dispute reference must be unique per company."),
    ]

    # ------------------------------------------------------------------ defaults

    def _default_user_id(self):
        user = self.env.user
        return user if user.has_group("billing_specialist.group_billing_user") else False

    @api.model
    def _get_stage_for_state(self, state):
        return self.env["billing.dispute.stage"].search([("state", "=", state)], limit=1)

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([])

    # ------------------------------------------------------------------ computes

    @api.depends("line_ids.move_id.currency_id", "company_id")
    def _compute_currency_id(self):
        for case in self:
            case.currency_id = case.line_ids.move_id.currency_id[:1] or case.company_id.currency_id

    @api.depends("line_ids.move_id")
    def _compute_invoice_ids(self):
        for case in self:
            case.invoice_ids = case.line_ids.move_id
            case.invoice_count = len(case.invoice_ids)

    def _search_invoice_ids(self, operator, value):
        return [("line_ids.move_id", operator, value)]

    @api.depends("settlement_move_ids.move_type")
    def _compute_settlement_counts(self):
        for case in self:
            moves = case.settlement_move_ids
            case.credit_note_count = len(moves.filtered(lambda m: m.move_type == "out_refund"))
            case.writeoff_count = len(moves) - case.credit_note_count

    @api.depends(*(f"line_ids.{fname}" for fname in AMOUNT_FIELDS))
    def _compute_amounts(self):
        for case in self:
            for fname in AMOUNT_FIELDS:
                case[fname] = sum(case.line_ids.mapped(fname))

    @api.depends("partner_id", "reason_id")
    def _compute_team_id(self):
        for case in self:
            salesperson = case.partner_id.user_id
            case.team_id = salesperson.sale_team_id or case.reason_id.team_id or case.team_id

    @api.depends("date_opened", "reason_id.sla_days")
    def _compute_date_deadline(self):
        for case in self:
            if case.date_opened and case.reason_id:
                case.date_deadline = case.date_opened + timedelta(days=case.reason_id.sla_days)
            else:
                case.date_deadline = case.date_deadline

    @api.depends("date_deadline", "state")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for case in self:
            case.is_overdue = bool(case.state in OPEN_STATES and case.date_deadline and case.date_deadline < today)

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue cases."))
        domain = [
            ("state", "in", OPEN_STATES),
            ("date_deadline", "<", fields.Date.context_today(self)),
        ]
        positive = (operator == "=") == value
        return domain if positive else ["!", "&", *domain]

    @api.depends("date_deadline", "state")
    def _compute_deadline_status(self):
        today = fields.Date.context_today(self)
        for case in self:
            case.deadline_status = deadline_status(case.state, case.date_deadline, today)

    def _search_deadline_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the deadline status."))
        values = {value} if isinstance(value, str) or not value else set(value)
        today = fields.Date.context_today(self)
        soon = today + timedelta(days=DUE_SOON_DAYS)
        domains = {
            "overdue": [("state", "in", OPEN_STATES), ("date_deadline", "<", today)],
            "due_soon": [("state", "in", OPEN_STATES), ("date_deadline", ">=", today), ("date_deadline", "<=", soon)],
            "on_time": [
                ("state", "in", OPEN_STATES),
                "|",
                ("date_deadline", "=", False),
                ("date_deadline", ">", soon),
            ],
            False: [("state", "not in", OPEN_STATES)],
        }
        unknown = values - set(domains)
        if unknown:
            raise UserError(self.env._("Unknown deadline status: %(value)s.", value=", ".join(map(str, unknown))))
        domain = expression.OR([domains[v] for v in values]) if values else expression.FALSE_DOMAIN
        return domain if operator in ("=", "in") else ["!", *expression.normalize_domain(domain)]

    def _read_group_groupby(self, groupby_spec, query):
        """Group by the deadline status in SQL (the kanban's colour bar), as mail does for ``activity_state``."""
        if groupby_spec != "deadline_status":
            return super()._read_group_groupby(groupby_spec, query)
        today = fields.Date.context_today(self)
        deadline = self._field_to_sql(self._table, "date_deadline", query)
        state = self._field_to_sql(self._table, "state", query)
        return SQL(
            "CASE WHEN %(state)s NOT IN %(open)s OR %(state)s IS NULL THEN NULL "
            "WHEN %(deadline)s < %(today)s THEN 'overdue' "
            "WHEN %(deadline)s <= %(soon)s THEN 'due_soon' ELSE 'on_time' END",
            state=state,
            open=tuple(OPEN_STATES),
            deadline=deadline,
            today=today,
            soon=today + timedelta(days=DUE_SOON_DAYS),
        )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.contact_id and self.contact_id.commercial_partner_id != self.partner_id:
            self.contact_id = False

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for case in self:
            case.access_url = f"/my/disputes/{case.id}"

    # ------------------------------------------------------------------ constraints

    @api.constrains("partner_id", "company_id", "line_ids", "stage_id", "channel")
    def _check_lines_consistency(self):
        for case in self:
            # A case e-mailed without a number we could find waits, open or cancelled, for the specialist to add
            # the invoices; it is never resolved or rejected without them.
            waiting = case.channel == "email" and case.state not in ("resolved", "rejected")
            if not case.line_ids and not waiting:
                raise ValidationError(self.env._("A dispute case needs at least one disputed invoice."))
            invoices = case.line_ids.move_id
            if invoices.company_id - case.company_id:
                raise ValidationError(
                    self.env._(
                        "%(invoices)s belong to %(companies)s: a case stays in the company of its invoices.",
                        invoices=", ".join(
                            invoices.filtered(lambda m, c=case: m.company_id != c.company_id).mapped("name")
                        ),
                        companies=", ".join((invoices.company_id - case.company_id).mapped("name")),
                    )
                )
            if len(invoices.commercial_partner_id) > 1:
                raise ValidationError(
                    self.env._(
                        "A dispute case covers the invoices of one customer; %(invoices)s belong to %(customers)s.",
                        invoices=", ".join(invoices.mapped("name")),
                        customers=", ".join(invoices.commercial_partner_id.mapped("display_name")),
                    )
                )
            if len(invoices.currency_id) > 1:
                raise ValidationError(
                    self.env._(
                        "The invoices of a dispute case must share one currency; %(invoices)s use %(currencies)s.",
                        invoices=", ".join(invoices.mapped("name")),
                        currencies=", ".join(invoices.currency_id.mapped("name")),
                    )
                )

    @api.constrains("partner_id", "contact_id", "line_ids", "invoice_line_ids")
    def _check_customer_owns_invoices(self):
        """The case's customer owns every invoice of the case, its contact and its contested lines.

        Its portal users read the case, its invoices and its chatter: another customer's must never be on it.
        """
        for case in self:
            foreign = case.line_ids.move_id.filtered(lambda m, c=case: m.commercial_partner_id != c.partner_id)
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(invoices)s belong to %(owners)s, not to %(customer)s: a case's customer must own all "
                        "its invoices.",
                        invoices=", ".join(foreign.mapped("name")),
                        owners=", ".join(foreign.commercial_partner_id.mapped("display_name")),
                        customer=case.partner_id.display_name,
                    )
                )
            if case.contact_id and case.contact_id.commercial_partner_id != case.partner_id:
                raise ValidationError(
                    self.env._(
                        "The contact %(contact)s does not belong to the customer %(customer)s.",
                        contact=case.contact_id.display_name,
                        customer=case.partner_id.display_name,
                    )
                )
            if case.invoice_line_ids.move_id - case.line_ids.move_id:
                raise ValidationError(self.env._("The contested invoice lines must belong to the case's invoices."))

    @api.constrains("state", "root_cause_id")
    def _check_root_cause(self):
        for case in self:
            if case.state in ("resolved", "rejected") and not case.root_cause_id:
                raise ValidationError(self.env._("Set a root cause on %(case)s before closing it.", case=case.name))

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        Stage = self.env["billing.dispute.stage"]
        for vals in vals_list:
            self._check_portal_channel(vals)
            if vals.get("stage_id") and Stage.browse(vals["stage_id"]).state in CLOSED_STATES and not self.env.su:
                raise UserError(self.env._("A new case starts open; it is closed by resolving or cancelling it."))
            if vals.get("name", self.env._("New")) == self.env._("New"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code(
                    "billing.dispute"
                ) or self.env._("New")
        cases = super().create(vals_list)
        if not self.env.su:
            # Values may also come from the context's defaults (default_channel, default_stage_id), which the ORM
            # adds after the checks above: check what was created.
            self._check_portal_channel({}, cases)
            if any(state in CLOSED_STATES for state in cases.mapped("state")):
                raise UserError(self.env._("A new case starts open; it is closed by resolving or cancelling it."))
        for case in cases:
            partners = case.contact_id or case.partner_id
            case.message_subscribe(partner_ids=partners.ids)
        cases._send_acknowledgement()
        return cases

    def _check_portal_channel(self, vals, cases=None):
        """Only the portal opens cases with channel *Portal*: they count toward the customer's daily limit, so a
        case marked so by hand would lock the customer out (and one unmarked would lift the limit)."""
        if self.env.su:
            return
        if vals.get("channel") == "portal" or (cases and "portal" in cases.mapped("channel")):
            raise UserError(self.env._("Only cases the customer opens on the portal have the channel Portal."))

    def write(self, vals):
        if "channel" in vals:
            self._check_portal_channel(vals, self)
        previous_customers = {case.id: case.partner_id for case in self} if "partner_id" in vals else {}
        if "stage_id" in vals:
            new_stage = self.env["billing.dispute.stage"].browse(vals["stage_id"])
            self._check_stage_move(new_stage)
            result = self._write_stage(new_stage, vals)
        else:
            result = super().write(vals)
        if vals.get("active"):
            # Restoring an archived open case must not give its invoices a second open case.
            self.filtered(lambda c: c.state in OPEN_STATES)._check_no_other_open_case()
        if previous_customers:
            self._follow_new_customer(previous_customers)
        return result

    def _check_stage_move(self, stage):
        """The rules of a stage change, whoever asks: a client's write, a button, the wizard or the sync.

        Only the application's own code (superuser, from the private ``_set_state``) closes a case as resolved
        or rejected, and even it never resolves a case with money still in dispute nor cancels one with posted
        accounting. A client moves a closed case only back to an open stage, and only as a billing manager.
        """
        if not self.env.su:
            if stage.state in ("resolved", "rejected"):
                raise UserError(
                    self.env._(
                        "A case is resolved or rejected with the Resolve button, which books the "
                        "accounting and informs the customer; it cannot be moved there by hand."
                    )
                )
            closed = self.filtered(lambda c: c.state in CLOSED_STATES and c.stage_id != stage)
            if closed and stage.state in CLOSED_STATES:
                raise UserError(self.env._("%(case)s is already closed; reopen it first.", case=closed[0].name))
            if closed:
                closed._check_can_reopen()
        if stage.state == "resolved":
            in_dispute = self.filtered(lambda c: not c.currency_id.is_zero(c.amount_remaining))
            if in_dispute:
                raise UserError(
                    self.env._(
                        "%(case)s still has %(amount)s in dispute and cannot be resolved.",
                        case=in_dispute[0].name,
                        amount=in_dispute[0]._format_amount(in_dispute[0].amount_remaining),
                    )
                )
        if stage.state == "cancelled":
            self._check_can_cancel()

    def _check_can_reopen(self):
        if not self.env.su and not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(
                self.env._(
                    "Only a billing manager can reopen a closed case (%(cases)s).", cases=", ".join(self.mapped("name"))
                )
            )

    def _follow_new_customer(self, previous_customers):
        """After a change of customer, the old customer's people stop following the case and its token link dies."""
        for case in self:
            old = previous_customers[case.id]
            if old == case.partner_id:
                continue
            stale = case.message_partner_ids.filtered(
                lambda p, o=old: p.commercial_partner_id == o.commercial_partner_id
            )
            case.message_unsubscribe(partner_ids=stale.ids)
            case.message_subscribe(partner_ids=(case.contact_id or case.partner_id).ids)
            case.access_token = False

    def _write_stage(self, stage, vals):
        """Change the stage and keep the closing dates, SLA flag and rejected amounts in line with it."""
        own = {"date_closed"} - set(vals)  # the closing date is set here; a client's own value stays refused
        vals = dict(vals, stage_id=stage.id)
        today = fields.Date.context_today(self)
        if stage.state in CLOSED_STATES:
            reopening = self.browse()
            vals["date_closed"] = today
        else:
            reopening = self.filtered(lambda c: c.state in CLOSED_STATES)
            vals["date_closed"] = False
        if reopening:
            reopening._check_no_other_open_case()
        result = super(BillingDispute, self._protected_allow(own)).write(vals)
        late = self.filtered(lambda c: c.state in CLOSED_STATES and c.date_deadline and c.date_deadline < today)
        if late:
            late.sudo().write({"sla_breached": True})
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_resolved_or_accounting(self):
        for case in self:
            if case.state == "resolved" or case.settlement_move_ids:
                raise UserError(
                    self.env._(
                        "%(case)s is resolved or has accounting entries and cannot be deleted; archive it instead.",
                        case=case.name,
                    )
                )

    def _check_can_cancel(self):
        for case in self:
            if case.settlement_move_ids.filtered(lambda m: m.state == "posted"):
                raise UserError(
                    self.env._(
                        "%(case)s has posted credit notes or write-offs; reset them to draft before cancelling "
                        "the case.",
                        case=case.name,
                    )
                )

    def _check_no_other_open_case(self):
        self.line_ids._check_single_open_case(reopening=True)

    # ------------------------------------------------------------------ mail

    def _send_acknowledgement(self):
        for case in self.filtered(lambda c: c.company_id.billing_dispute_send_acknowledgement):
            case._notify_customer("billing_specialist.mail_template_billing_dispute_acknowledgement")

    def _notify_customer(self, template_xmlid, signer=None):
        """E-mail the customer from ``template_xmlid``, signed by ``signer`` (an internal user: who resolved the
        case) or else by the company: never by the portal, public or superuser account that happened to act."""
        self.ensure_one()
        company = self.company_id
        signer = signer and signer.filtered(lambda u: not u.share and not u._is_superuser())
        if signer:
            author, email_from = signer.partner_id, signer.email_formatted or company.email_formatted
        else:
            # The company's address, else its name over the address of a person of the company handling it.
            author, email_from = company.partner_id, company.email_formatted
            staff = (self.user_id | self.env.user).filtered(lambda u: not u.share and u.email)[:1]
            if not email_from and staff:
                email_from = formataddr((company.name, staff.email))
        extra = {"email_from": email_from} if email_from else {}
        self.message_post_with_source(
            template_xmlid,
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
            author_id=author.id,
            **extra,
        )

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "stage_id" in init_values and self.state in ("resolved", "rejected"):
            return self.env.ref("billing_specialist.mt_billing_dispute_closed")
        return super()._track_subtype(init_values)

    # ------------------------------------------------------------------ accounting sync

    def _sync_state_with_accounting(self):
        """Close or reopen the cases whose remaining amount the accounting moved.

        Called after posting, resetting or cancelling credit notes and write-offs, and after
        (un)reconciling payments: a case resolves itself when nothing remains in dispute and
        reopens when a credit note, write-off or payment behind its resolution is undone.
        """
        if is_booking(self.env):
            return  # the resolution sets the state itself once all its bookings are made
        cases = self.filtered(lambda c: c.active and c.line_ids)
        to_resolve = cases.filtered(lambda c: c.state in OPEN_STATES and c.currency_id.is_zero(c.amount_remaining))
        to_reopen = cases.filtered(lambda c: c.state == "resolved" and not c.currency_id.is_zero(c.amount_remaining))
        default_cause = self.env.ref("billing_specialist.root_cause_settled", raise_if_not_found=False)
        for case in to_resolve:
            if not case.root_cause_id and default_cause:
                case.root_cause_id = default_cause
            case._set_state("resolved")
            case.message_post(
                body=self.env._(
                    "Resolved automatically: nothing remains in dispute (credited %(credited)s, "
                    "written off %(written_off)s, paid %(paid)s).",
                    credited=case._format_amount(case.amount_credited),
                    written_off=case._format_amount(case.amount_written_off),
                    paid=case._format_amount(case.amount_paid),
                )
            )
        for case in to_reopen:
            case._set_state("in_progress")
            case.message_post(
                body=self.env._(
                    "Reopened: %(amount)s is in dispute again because a credit note, write-off or payment "
                    "behind the resolution was undone.",
                    amount=case._format_amount(case.amount_remaining),
                )
            )

    def _set_state(self, state):
        """Move the cases as the application (resolution wizard, accounting sync, reopening).

        Private, so never callable over RPC; superuser marks the write as the application's own, which no client
        can send (a context key could). ``write`` still refuses what the accounting contradicts.
        """
        stage = self._get_stage_for_state(state)
        if not stage:
            raise UserError(self.env._("No dispute stage is configured for the state %(state)s.", state=state))
        self.sudo().write({"stage_id": stage.id})

    def _format_amount(self, amount):
        self.ensure_one()
        return formatLang(self.env, amount, currency_obj=self.currency_id)

    # ------------------------------------------------------------------ actions

    def action_start(self):
        self._check_open()
        self._set_state_from_button("in_progress")

    def action_wait_customer(self):
        self._check_open()
        self._set_state_from_button("waiting")

    def action_cancel(self):
        self._check_open()
        self._check_can_cancel()
        self._set_state_from_button("cancelled")

    def action_reopen(self):
        """Reconsider a closed case (billing managers): what was rejected is in dispute again."""
        self._check_can_reopen()
        not_closed = self.filtered(lambda c: c.state not in CLOSED_STATES)
        if not_closed:
            raise UserError(self.env._("%(case)s is not closed.", case=not_closed[0].name))
        self._set_state("in_progress")
        self.line_ids._reset_rejected()
        self._sync_state_with_accounting()

    def _check_open(self):
        closed = self.filtered(lambda c: c.state in CLOSED_STATES)
        if closed:
            raise UserError(self.env._("%(case)s is closed; a billing manager can reopen it.", case=closed[0].name))

    def _set_state_from_button(self, state):
        stage = self._get_stage_for_state(state)
        if not stage:
            raise UserError(self.env._("No dispute stage is configured for the state %(state)s.", state=state))
        self.write({"stage_id": stage.id})

    def action_open_resolve(self):
        self.ensure_one()
        if self.state not in OPEN_STATES:
            raise UserError(self.env._("Only open cases can be resolved; reopen %(case)s first.", case=self.name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Resolve %(case)s", case=self.name),
            "res_model": "billing.dispute.resolve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_dispute_id": self.id},
        }

    def action_escalate(self):
        self._escalate()

    def action_view_invoices(self):
        return self._action_view_moves(self.invoice_ids, self.env._("Disputed Invoices"))

    def action_view_settlements(self):
        return self._action_view_moves(self.settlement_move_ids, self.env._("Credit Notes and Write-offs"))

    def _action_view_moves(self, moves, title):
        action = {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "account.move",
            "domain": [("id", "in", moves.ids)],
            "view_mode": "list,form",
            "context": {"create": False},
        }
        if len(moves) == 1:
            action.update(view_mode="form", res_id=moves.id)
        return action

    # ------------------------------------------------------------------ portal

    @api.model
    def _portal_create_from_invoice(self, invoice, partner, reason, amount, description="", invoice_lines=None):
        """Open a case for ``partner`` (a portal customer's contact) over one of its company's invoices.

        The controller calls this as superuser once it checked the customer's access to the invoice: portal users
        have no create right on cases. Every value the customer typed is checked here again.
        """
        commercial = partner.commercial_partner_id
        if invoice.commercial_partner_id != commercial:
            raise UserError(self.env._("You can only dispute your own invoices."))
        if not reason or not reason.portal_visible or not reason.active:
            raise UserError(self.env._("Choose one of the proposed reasons."))
        company = invoice.company_id
        limit = company.billing_portal_max_disputes_per_day
        today = fields.Date.context_today(self)
        self._portal_lock_customer(commercial)
        opened_today = self.with_context(active_test=False).search_count(
            [
                ("partner_id", "=", commercial.id),
                ("channel", "=", "portal"),
                ("date_opened", "=", today),
            ]
        )
        if limit and opened_today >= limit:
            raise UserError(
                self.env._(
                    "You have opened %(count)s disputes today, the most we accept in a day; "
                    "please contact us directly or try again tomorrow.",
                    count=opened_today,
                )
            )
        invoice._billing_check_disputable()
        invoice_lines = invoice_lines or self.env["account.move.line"]
        if invoice_lines - invoice.invoice_line_ids.filtered(lambda aml: aml.display_type == "product"):
            raise UserError(self.env._("Choose lines of this invoice only."))
        case = self.with_company(company).create(
            {
                "partner_id": commercial.id,
                "contact_id": partner.id if partner != commercial else False,
                "company_id": company.id,
                "reason_id": reason.id,
                "channel": "portal",
                "user_id": False,
                "description": description,
                "invoice_line_ids": [Command.set(invoice_lines.ids)],
                "line_ids": [Command.create({"move_id": invoice.id, "amount_disputed": amount})],
            }
        )
        case._assign_to_specialist()
        return case

    # ------------------------------------------------------------------ assignment

    def _assign_to_specialist(self):
        """Give a new case to a person: the leader of its team, or the team's members in turn (the company's
        choice), else the company's default specialist. The team is the reason's, else the case's. The assignee
        gets an activity and the team a note; never OdooBot, a portal user or someone outside the company."""
        self.ensure_one()
        company = self.company_id
        team = self.reason_id.team_id or self.team_id
        members = self.env["res.users"]
        user = members
        if team:
            members = team.member_ids._billing_can_handle_cases(company)
            if company.billing_dispute_assignment == "round_robin":
                user = self._pick_round_robin(team, members)
            else:
                user = team.user_id._billing_can_handle_cases(company)
        user = user or company.billing_dispute_default_user_id._billing_can_handle_cases(company)
        if not user:
            self.message_post(
                body=self.env._("No specialist could be assigned: set a team on the reason or a default specialist."),
                subtype_xmlid="mail.mt_note",
            )
            return
        self.sudo().write({"user_id": user.id, "team_id": team.id or self.team_id.id})
        self.activity_schedule(
            act_type_xmlid="mail.mail_activity_data_todo",
            user_id=user.id,
            date_deadline=self.date_deadline or fields.Date.context_today(self),
            summary=self.env._("New dispute from %(customer)s", customer=self.partner_id.display_name),
            note=self.env._(
                "%(customer)s disputes %(amount)s on %(invoices)s (%(reason)s).",
                customer=self.partner_id.display_name,
                amount=self._format_amount(self.amount_disputed),
                invoices=", ".join(self.invoice_ids.mapped("name")),
                reason=self.reason_id.name,
            ),
        )
        notified = (members | team.user_id._billing_can_handle_cases(company)) - user
        self.message_post(
            body=self.env._(
                "New dispute from %(customer)s by %(channel)s, assigned to %(user)s.",
                customer=self.partner_id.display_name,
                channel=dict(self._fields["channel"]._description_selection(self.env)).get(self.channel),
                user=user.name,
            ),
            subtype_xmlid="mail.mt_note",
            message_type="comment",
            partner_ids=notified.partner_id.ids,
        )

    def _pick_round_robin(self, team, members):
        """The member of ``team`` who waited longest for a case (never assigned first), and mark the turn.

        The team's row is locked first (a no-op update, as for the portal limit): a concurrent assignment in
        the same team waits, then PostgreSQL refuses its older snapshot and Odoo replays it, so two cases
        never both go to the same member's turn."""
        if not members:
            return members
        self.env.cr.execute(SQL("UPDATE crm_team SET write_date = write_date WHERE id = %s", team.id))
        memberships = team.sudo().crm_team_member_ids
        memberships.invalidate_recordset(["billing_last_turn"])
        turn = memberships.filtered(lambda m: m.active and m.user_id in members).sorted(
            lambda m: (m.billing_last_turn, m.id)
        )[:1]
        turn.billing_last_turn = max(memberships.mapped("billing_last_turn")) + 1
        return turn.user_id

    @api.model
    def _portal_lock_customer(self, commercial):
        """Serialize the portal submissions of one customer until this transaction ends.

        A no-op update of the customer's row: a concurrent submission waits for this one, and once this one
        commits PostgreSQL refuses the other's older snapshot (repeatable read: "could not serialize access") and
        Odoo replays that request, which then counts this case. A lock alone (advisory or FOR UPDATE) would let
        the other count from its snapshot taken before this case existed.
        """
        self.env.cr.execute(SQL("UPDATE res_partner SET write_date = write_date WHERE id = %s", commercial.id))

    def _portal_withdraw(self, partner):
        """The customer withdraws the case: it is cancelled, with a line in the chatter by the customer."""
        self.ensure_one()
        if self.state not in OPEN_STATES:
            raise UserError(self.env._("This dispute is already closed and cannot be withdrawn."))
        self._check_can_cancel()
        self._set_state_from_button("cancelled")
        self.message_post(
            body=self.env._("The customer withdrew the dispute."),
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    # ------------------------------------------------------------------ SLA

    @api.model
    def _cron_check_sla(self):
        today = fields.Date.context_today(self)
        cases = self.search(
            [("state", "in", OPEN_STATES), ("date_deadline", "<", today), ("date_escalated", "=", False)]
        )
        cases._escalate()
        return cases

    def _escalate(self):
        activity_type = self.env.ref("billing_specialist.mail_activity_type_billing_escalation")
        managers = self.env.ref("billing_specialist.group_billing_manager").users.filtered(
            lambda u: not u.share and u.active
        )
        for case in self.filtered(lambda c: c.state in OPEN_STATES and not c.date_escalated):
            already = case.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
            if not already:
                responsible = (
                    case.team_id.user_id
                    or managers.filtered(lambda u, c=case: c.company_id in u.company_ids)[:1]
                    or case.user_id
                    or self.env.user
                )
                case.activity_schedule(
                    act_type_xmlid="billing_specialist.mail_activity_type_billing_escalation",
                    user_id=responsible.id,
                    date_deadline=fields.Date.context_today(self),
                    note=self.env._(
                        "%(case)s for %(customer)s (%(amount)s) is past its deadline of %(deadline)s.",
                        case=case.name,
                        customer=case.partner_id.display_name,
                        amount=case._format_amount(case.amount_remaining),
                        deadline=case.date_deadline,
                    ),
                )
            vals = {"date_escalated": fields.Datetime.now(), "priority": max(case.priority, "1")}
            if case.date_deadline and case.date_deadline < fields.Date.context_today(self):
                vals["sla_breached"] = True
            case.sudo().write(vals)
