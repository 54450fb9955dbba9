from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..models.billing_dispute_line import BOOKING, BOOKING_KEY
from ..models.billing_dispute_stage import OPEN_STATES

# The account types the company setting offers for the write-off account (res.company.billing_writeoff_account_id).
WRITEOFF_ACCOUNT_TYPES = ("expense", "income_other", "expense_direct_cost")
RESOLUTIONS = [
    ("credit_note", "Accept: credit note"),
    ("write_off", "Accept: write-off"),
    ("reject", "Reject"),
]


class BillingDisputeResolve(models.TransientModel):
    """Resolve a dispute case: credit note, write-off or rejection, booked and told in one step."""

    _name = "billing.dispute.resolve"
    _description = "Resolve Dispute Case"
    _check_company_auto = True

    dispute_id = fields.Many2one("billing.dispute", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="dispute_id.company_id")
    currency_id = fields.Many2one(related="dispute_id.currency_id")
    amount_remaining = fields.Monetary(related="dispute_id.amount_remaining", string="In Dispute")
    resolution = fields.Selection(RESOLUTIONS, required=True, default="credit_note")
    line_ids = fields.One2many(
        "billing.dispute.resolve.line",
        "wizard_id",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )
    amount_total = fields.Monetary(string="Accepted", compute="_compute_amount_total")
    date = fields.Date(string="Accounting Date", required=True, default=fields.Date.context_today)
    writeoff_account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        check_company=True,
        compute="_compute_writeoff_defaults",
        store=True,
        readonly=False,
    )
    writeoff_journal_id = fields.Many2one(
        "account.journal",
        string="Write-off Journal",
        check_company=True,
        compute="_compute_writeoff_defaults",
        store=True,
        readonly=False,
        domain="[('type', '=', 'general')]",
    )
    root_cause_id = fields.Many2one(
        "billing.dispute.root.cause",
        compute="_compute_root_cause_id",
        store=True,
        readonly=False,
    )
    note = fields.Text(string="Resolution Note", help="Told to the customer; required when rejecting.")
    close_case = fields.Boolean(
        string="Close the Case",
        default=True,
        help="Close the case now: what is not accepted here is rejected. Untick to accept part now and "
        "keep the rest in dispute.",
    )
    notify_customer = fields.Boolean(string="Inform the Customer", default=True)

    @api.depends("dispute_id")
    def _compute_line_ids(self):
        for wizard in self:
            wizard.line_ids = [Command.clear()] + [
                Command.create({"dispute_line_id": line.id, "amount": line.amount_remaining})
                for line in wizard.dispute_id.line_ids
                if not line.currency_id.is_zero(line.amount_remaining)
            ]

    @api.depends("line_ids.amount", "resolution")
    def _compute_amount_total(self):
        for wizard in self:
            wizard.amount_total = 0.0 if wizard.resolution == "reject" else sum(wizard.line_ids.mapped("amount"))

    @api.depends("company_id")
    def _compute_writeoff_defaults(self):
        for wizard in self:
            company = wizard.company_id
            wizard.writeoff_account_id = company.billing_writeoff_account_id
            wizard.writeoff_journal_id = self.env["billing.writeoff"]._writeoff_journal(company)

    @api.depends("dispute_id")
    def _compute_root_cause_id(self):
        for wizard in self:
            wizard.root_cause_id = wizard.dispute_id.root_cause_id

    # ------------------------------------------------------------------ checks

    def _check_request(self):
        self.ensure_one()
        case = self.dispute_id
        if case.state not in OPEN_STATES:
            raise UserError(self.env._("%(case)s is not open; reopen it before resolving it.", case=case.name))
        if not self.root_cause_id:
            raise UserError(self.env._("Choose the root cause of the dispute before resolving it."))
        if self.resolution == "reject":
            if not (self.note or "").strip():
                raise UserError(self.env._("Say why the dispute is rejected; the customer will read it."))
            return
        self._check_lines_of_the_case()
        for wline in self.line_ids:
            currency = wline.currency_id
            if currency.compare_amounts(wline.amount, 0.0) < 0:
                raise UserError(
                    self.env._("The accepted amount on %(invoice)s cannot be negative.", invoice=wline.move_id.name)
                )
            ceiling = min(wline.dispute_line_id.amount_remaining, wline.move_id.amount_residual)
            if currency.compare_amounts(wline.amount, ceiling) > 0:
                raise UserError(
                    self.env._(
                        "%(amount)s cannot be accepted on %(invoice)s: at most %(ceiling)s is still in dispute "
                        "and open on the invoice.",
                        amount=case._format_amount(wline.amount),
                        invoice=wline.move_id.name,
                        ceiling=case._format_amount(ceiling),
                    )
                )
        accepted = self.line_ids.filtered(lambda wl: not wl.currency_id.is_zero(wl.amount))
        if not accepted:
            raise UserError(self.env._("Enter the amount you accept on at least one invoice, or reject the dispute."))
        journals = accepted.move_id.journal_id if self.resolution == "credit_note" else self.writeoff_journal_id
        for journal in journals:
            violated = self.company_id._get_violated_lock_dates(self.date, True, journal)
            if violated:
                raise UserError(
                    self.env._(
                        "The accounting date %(date)s falls in a locked period (%(locks)s); choose a later date.",
                        date=format_date(self.env, self.date),
                        locks=self.company_id._format_lock_dates(violated),
                    )
                )
        if self.resolution == "write_off":
            self._check_writeoff(accepted)

    def _check_lines_of_the_case(self):
        """The wizard's lines are client values: each names one invoice of this case, once.

        A line of another case would book on that case behind its state (even a closed one); the same invoice twice
        passes each line's ceiling and so accepts twice what is in dispute.
        """
        case = self.dispute_id
        foreign = self.line_ids.filtered(lambda wl: wl.dispute_line_id.dispute_id != case)
        if foreign:
            raise UserError(
                self.env._(
                    "%(invoice)s is not an invoice of %(case)s.", invoice=foreign[0].move_id.name, case=case.name
                )
            )
        if len(self.line_ids.dispute_line_id) != len(self.line_ids):
            raise UserError(self.env._("Enter the accepted amount of each invoice once."))

    def _check_writeoff(self, accepted):
        if not self.writeoff_account_id:
            raise UserError(self.env._("Set the write-off account (Billing settings) before writing off a balance."))
        if not self.writeoff_journal_id:
            raise UserError(self.env._("Set the write-off journal (Billing settings) before writing off a balance."))
        # Client values too: the domains of the settings hold here, not only in the view.
        if self.writeoff_account_id.account_type not in WRITEOFF_ACCOUNT_TYPES:
            raise UserError(
                self.env._(
                    "%(account)s cannot take a write-off: choose an expense or other income account as write-off "
                    "account.",
                    account=self.writeoff_account_id.display_name,
                )
            )
        if self.writeoff_journal_id.type != "general":
            raise UserError(
                self.env._(
                    "%(journal)s is not a miscellaneous journal: choose one as write-off journal.",
                    journal=self.writeoff_journal_id.display_name,
                )
            )
        company = self.company_id
        # The limit holds for the case as a whole: resolutions that keep the case open cannot split a write-off.
        earlier = self.dispute_id.currency_id._convert(
            self.dispute_id.amount_written_off, company.currency_id, company, self.date
        )
        total = earlier + sum(
            wl.currency_id._convert(wl.amount, company.currency_id, company, self.date) for wl in accepted
        )
        # The one write-off rule (limit, manager exemption), as for payment differences; no payment, no tolerance.
        self.env["billing.writeoff"]._check_writeoff(company, total)

    # ------------------------------------------------------------------ apply

    def action_apply(self):
        self.ensure_one()
        self._check_request()
        case = self.dispute_id
        accepted = self.line_ids.filtered(lambda wl: not wl.currency_id.is_zero(wl.amount))
        moves = self.env["account.move"]
        if self.resolution != "reject":
            booking = self.with_context(**{BOOKING_KEY: BOOKING})
            for wline in accepted:
                if self.resolution == "credit_note":
                    moves |= booking._create_credit_note(wline)
                else:
                    moves |= booking._create_writeoff(wline)
        case.write({"root_cause_id": self.root_cause_id.id, "resolution_note": self.note or case.resolution_note})
        if self.resolution == "reject" or self.close_case:
            for dline in case.line_ids:
                dline._add_rejected(dline.amount_remaining)
        if self.resolution == "reject":
            case._set_state("rejected")
            template = "billing_specialist.mail_template_billing_dispute_rejected"
        elif case.currency_id.is_zero(case.amount_remaining):
            case._set_state("resolved")
            template = "billing_specialist.mail_template_billing_dispute_resolved"
        else:
            case._set_state("in_progress")
            template = False
            case.message_post(
                body=self.env._(
                    "Accepted %(accepted)s for now; %(remaining)s remains in dispute.",
                    accepted=case._format_amount(self.amount_total),
                    remaining=case._format_amount(case.amount_remaining),
                )
            )
        if template and self.notify_customer:
            case._notify_customer(template, signer=self.env.user)
        if len(moves) == 1:
            return case._action_view_moves(
                moves, self.env._("Credit Note") if moves.move_type == "out_refund" else self.env._("Write-off")
            )
        return {"type": "ir.actions.act_window_close"}

    def _create_credit_note(self, wline):
        invoice = wline.move_id.with_env(self.env)  # the booking's environment (see action_apply)
        case = self.dispute_id
        default_values = {
            "date": self.date,
            "invoice_date": self.date,
            "ref": self.env._("Dispute %(case)s: %(invoice)s", case=case.name, invoice=invoice.name),
            "billing_dispute_line_id": wline.dispute_line_id.id,
            "invoice_payment_term_id": False,
        }
        refund = invoice._reverse_moves([default_values])
        if invoice.currency_id.compare_amounts(wline.amount, invoice.amount_total):
            refund.write({"invoice_line_ids": self._prepare_partial_credit_commands(refund, wline)})
            self._adjust_credit_note_total(refund, wline.amount)
        refund.action_post()
        self._reconcile_with_invoice(refund, invoice)
        return refund

    def _prepare_partial_credit_commands(self, refund, wline):
        """Replace a full reversal's lines by lines worth ``wline.amount`` (taxes included).

        The credit follows the lines the customer contests (or every line), in proportion to their value.
        """
        invoice = wline.move_id
        base_lines = self.dispute_id.invoice_line_ids.filtered(lambda aml: aml.move_id == invoice)
        if not base_lines:
            base_lines = invoice.invoice_line_ids.filtered(lambda aml: aml.display_type == "product")
        gross = sum(base_lines.mapped("price_total"))
        if invoice.currency_id.compare_amounts(gross, wline.amount) < 0:
            raise UserError(
                self.env._(
                    "The disputed lines of %(invoice)s total %(gross)s, less than the %(amount)s to credit.",
                    invoice=invoice.name,
                    gross=self.dispute_id._format_amount(gross),
                    amount=self.dispute_id._format_amount(wline.amount),
                )
            )
        ratio = wline.amount / gross
        commands = [Command.delete(line.id) for line in refund.invoice_line_ids]
        for line in base_lines:
            unit_value = line.price_unit * (1 - (line.discount or 0.0) / 100.0) * line.quantity
            commands.append(
                Command.create(
                    {
                        "name": self.env._(
                            "Dispute %(case)s: %(line)s", case=self.dispute_id.name, line=line.name or ""
                        ),
                        "product_id": line.product_id.id,
                        "account_id": line.account_id.id,
                        "quantity": 1.0,
                        "price_unit": invoice.currency_id.round(unit_value * ratio),
                        "tax_ids": [Command.set(line.tax_ids.ids)],
                        "analytic_distribution": line.analytic_distribution,
                    }
                )
            )
        return commands

    def _adjust_credit_note_total(self, refund, target):
        """Absorb the cents that tax rounding moved on the largest line, so the total is exactly ``target``."""
        currency = refund.currency_id
        for _attempt in range(3):
            diff = target - refund.amount_total
            if currency.is_zero(diff):
                return
            line = refund.invoice_line_ids.sorted(lambda aml: abs(aml.price_total))[-1]
            factor = (line.price_total / line.price_subtotal) if line.price_subtotal else 1.0
            if line.tax_ids.filtered("price_include"):
                factor = 1.0
            line.price_unit = currency.round(line.price_unit + diff / factor)
        if not currency.is_zero(target - refund.amount_total):
            raise UserError(
                self.env._(
                    "The credit note cannot be made to total exactly %(amount)s because of tax rounding; "
                    "adjust the amount by a cent.",
                    amount=self.dispute_id._format_amount(target),
                )
            )

    def _create_writeoff(self, wline):
        invoice = wline.move_id
        label = self.env._(
            "Write-off of %(invoice)s (dispute %(case)s)", invoice=invoice.name, case=self.dispute_id.name
        )
        vals = self.env["billing.writeoff"]._prepare_writeoff_vals(
            invoice, wline.amount, self.date, label, self.writeoff_account_id, self.writeoff_journal_id
        )
        vals["billing_dispute_line_id"] = wline.dispute_line_id.id
        move = self.env["account.move"].create(vals)
        move.action_post()
        self._reconcile_with_invoice(move, invoice)
        return move

    def _reconcile_with_invoice(self, move, invoice):
        accounts = invoice.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable").account_id
        lines = (move.line_ids | invoice.line_ids).filtered(
            lambda aml: aml.account_id in accounts and not aml.reconciled
        )
        lines.reconcile()


class BillingDisputeResolveLine(models.TransientModel):
    _name = "billing.dispute.resolve.line"
    _description = "Resolve Dispute Case: Invoice"

    wizard_id = fields.Many2one("billing.dispute.resolve", required=True, ondelete="cascade")
    dispute_line_id = fields.Many2one("billing.dispute.line", required=True, readonly=True)
    move_id = fields.Many2one(related="dispute_line_id.move_id", string="Invoice")
    currency_id = fields.Many2one(related="dispute_line_id.currency_id")
    amount_remaining = fields.Monetary(related="dispute_line_id.amount_remaining", string="In Dispute")
    invoice_residual = fields.Monetary(related="move_id.amount_residual", string="Invoice Open")
    amount = fields.Monetary(string="Accept", help="Amount accepted on this invoice, taxes included.")
