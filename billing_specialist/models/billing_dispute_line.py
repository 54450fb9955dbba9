from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .billing_dispute_stage import CLOSED_STATES, OPEN_STATES

# Figures the accounting and the resolution set: only the addon's own code writes them, as superuser in a private
# method (never reachable over RPC), whatever the client sends.
LINE_PROTECTED_FIELDS = frozenset(
    {
        "amount_rejected",
        "amount_credited",
        "amount_written_off",
        "amount_paid",
        "amount_remaining",
        "settlement_move_ids",
        "company_id",
        "currency_id",
        "dispute_state",
        "invoice_date",
        "invoice_date_due",
        "invoice_amount_total",
        "invoice_amount_residual",
    }
)


# The resolution's own bookings (credit notes, write-offs) carry this object in their context under BOOKING_KEY. JSON
# cannot carry a Python object, so no client can pass for the resolution by sending the key (it could with a flag).
BOOKING = object()
BOOKING_KEY = "billing_dispute_booking"


def is_booking(env):
    """Whether ``env`` is the dispute resolution booking its credit notes or write-offs."""
    return env.context.get(BOOKING_KEY) is BOOKING


class BillingDisputeLine(models.Model):
    """One disputed invoice of a case, with the amounts that follow its accounting."""

    _name = "billing.dispute.line"
    _inherit = ["billing.protected.mixin"]
    _description = "Disputed Invoice"
    _order = "dispute_id, id"
    _check_company_auto = True
    _protected_create = _protected_write = LINE_PROTECTED_FIELDS

    dispute_id = fields.Many2one("billing.dispute", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="dispute_id.company_id", store=True, index=True)
    dispute_state = fields.Selection(related="dispute_id.state", string="Case Status")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', parent.partner_id), ('amount_residual', '>', 0)]",
    )
    currency_id = fields.Many2one(related="move_id.currency_id", store=True)
    invoice_date = fields.Date(related="move_id.invoice_date")
    invoice_date_due = fields.Date(related="move_id.invoice_date_due")
    invoice_amount_total = fields.Monetary(related="move_id.amount_total", string="Invoice Total")
    invoice_amount_residual = fields.Monetary(related="move_id.amount_residual", string="Invoice Open")
    settlement_move_ids = fields.One2many(
        "account.move", "billing_dispute_line_id", string="Credit Notes and Write-offs", readonly=True
    )
    amount_disputed = fields.Monetary(
        string="Disputed", required=True, help="Amount the customer contests on this invoice."
    )
    amount_rejected = fields.Monetary(
        string="Rejected",
        readonly=True,
        copy=False,
        help="Part of the disputed amount that was not accepted when the case was closed.",
    )
    amount_credited = fields.Monetary(string="Credited", compute="_compute_amounts", store=True)
    amount_written_off = fields.Monetary(string="Written Off", compute="_compute_amounts", store=True)
    amount_paid = fields.Monetary(string="Paid", compute="_compute_amounts", store=True)
    amount_remaining = fields.Monetary(string="Remaining", compute="_compute_amounts", store=True)

    _sql_constraints = [
        ("dispute_move_uniq", "unique(dispute_id, move_id)", "An invoice is listed once per dispute case."),
    ]

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._check_case_editable()
        return lines

    def write(self, vals):
        self._check_case_editable(vals)
        result = super().write(vals)
        if "dispute_id" in vals:
            self._check_case_editable()
        return result

    def _check_case_editable(self, vals=None):
        """A closed case's invoices are its record: they change only when a manager reopens it.

        An invoice that already has credit notes or write-offs of the case stays on its line.
        """
        if self.env.su:
            return
        closed = self.filtered(lambda ln: ln.dispute_id.state in CLOSED_STATES)
        if closed:
            raise UserError(
                self.env._(
                    "%(case)s is closed: its disputed invoices cannot be changed; a billing manager can reopen it.",
                    case=closed[0].dispute_id.name,
                )
            )
        if vals and {"move_id", "dispute_id"}.intersection(vals):
            booked = self.filtered("settlement_move_ids")
            if booked:
                raise UserError(
                    self.env._(
                        "%(invoice)s has credit notes or write-offs of %(case)s and cannot be replaced or moved "
                        "to another case.",
                        invoice=booked[0].move_id.name,
                        case=booked[0].dispute_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed_or_accounting(self):
        for line in self:
            if line.dispute_id.state in CLOSED_STATES or line.settlement_move_ids:
                raise UserError(
                    self.env._(
                        "%(invoice)s cannot be removed from %(case)s: the case is closed or has credit notes or "
                        "write-offs on it.",
                        invoice=line.move_id.name,
                        case=line.dispute_id.name,
                    )
                )

    def _add_rejected(self, amount):
        """Record ``amount`` as rejected on the line (resolution wizard): private, the client cannot call it."""
        self.ensure_one()
        self.sudo().write({"amount_rejected": self.amount_rejected + amount})

    def _reset_rejected(self):
        """A reopened case reconsiders what was rejected (action_reopen, after its manager check)."""
        self.sudo().write({"amount_rejected": 0.0})

    # ------------------------------------------------------------------ computes

    @api.depends(
        "amount_disputed",
        "amount_rejected",
        "move_id.amount_residual",
        "settlement_move_ids.state",
        "settlement_move_ids.move_type",
        "settlement_move_ids.line_ids.amount_currency",
        "settlement_move_ids.line_ids.account_id",
    )
    def _compute_amounts(self):
        for line in self:
            credited = written_off = 0.0
            for move in line.settlement_move_ids.filtered(lambda m: m.state == "posted"):
                receivable = move.line_ids.filtered(lambda ml: ml.account_id.account_type == "asset_receivable")
                reduction = -sum(receivable.mapped("amount_currency"))
                if move.move_type == "out_refund":
                    credited += reduction
                else:
                    written_off += reduction
            currency = line.currency_id or line.company_id.currency_id
            settled = credited + written_off + line.amount_rejected
            remaining = min(line.amount_disputed - settled, line.move_id.amount_residual)
            remaining = currency.round(max(remaining, 0.0))
            line.amount_credited = credited
            line.amount_written_off = written_off
            line.amount_remaining = remaining
            line.amount_paid = currency.round(max(line.amount_disputed - settled - remaining, 0.0))

    @api.constrains("move_id", "amount_disputed")
    def _check_invoice(self):
        for line in self:
            invoice, case = line.move_id, line.dispute_id
            if invoice.move_type != "out_invoice":
                raise ValidationError(
                    self.env._(
                        "%(document)s is not a customer invoice: only customer invoices can be disputed, not "
                        "vendor bills, credit notes or journal entries.",
                        document=invoice.display_name,
                    )
                )
            if invoice.state != "posted":
                raise ValidationError(
                    self.env._(
                        "%(invoice)s is not posted: only posted invoices can be disputed.", invoice=invoice.display_name
                    )
                )
            if invoice.company_id != case.company_id:
                raise ValidationError(
                    self.env._(
                        "%(invoice)s belongs to %(company)s, not to the case's company %(case_company)s.",
                        invoice=invoice.name,
                        company=invoice.company_id.name,
                        case_company=case.company_id.name,
                    )
                )
            if invoice.commercial_partner_id != case.partner_id:
                raise ValidationError(
                    self.env._(
                        "%(invoice)s was issued to %(customer)s, not to %(case_customer)s.",
                        invoice=invoice.name,
                        customer=invoice.commercial_partner_id.display_name,
                        case_customer=case.partner_id.display_name,
                    )
                )
            currency = invoice.currency_id
            if currency.compare_amounts(line.amount_disputed, 0.0) <= 0:
                raise ValidationError(
                    self.env._("The disputed amount on %(invoice)s must be greater than zero.", invoice=invoice.name)
                )
            ceiling = invoice.amount_residual + line.amount_credited + line.amount_written_off
            if currency.compare_amounts(line.amount_disputed, ceiling) > 0:
                raise ValidationError(
                    self.env._(
                        "The disputed amount %(amount)s on %(invoice)s is more than its open amount %(open)s.",
                        amount=line.dispute_id._format_amount(line.amount_disputed),
                        invoice=invoice.name,
                        open=line.dispute_id._format_amount(ceiling),
                    )
                )
        self._check_single_open_case()

    def _check_single_open_case(self, reopening=False):
        """Refuse a second open case on an invoice; ``reopening`` checks closed cases about to reopen."""
        open_lines = self if reopening else self.filtered(lambda ln: ln.dispute_id.state in OPEN_STATES)
        if not open_lines:
            return
        others = self.search(
            [
                ("move_id", "in", open_lines.move_id.ids),
                ("id", "not in", open_lines.ids),
                ("dispute_id.state", "in", OPEN_STATES),
                ("dispute_id.active", "=", True),
            ]
        )
        if others:
            other = others[0]
            raise ValidationError(
                self.env._(
                    "%(invoice)s is already disputed in the open case %(case)s; add to that case instead of "
                    "opening a second one.",
                    invoice=other.move_id.name,
                    case=other.dispute_id.name,
                )
            )
