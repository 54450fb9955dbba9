from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.billing_matcher import BillingMatcher


class BillingPaymentMatch(models.TransientModel):
    """Review and apply proposals for customer payments: accept, change targets or amounts, write off, apply."""

    _name = "billing.payment.match"
    _description = "Match Payments"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    threshold = fields.Integer(related="company_id.billing_match_threshold")
    line_ids = fields.One2many("billing.payment.match.line", "wizard_id", string="Proposals")

    @api.model
    def _sources(self, company):
        """The payments and bank lines to review: those selected, the customer's, or every pending one."""
        context = self.env.context
        Payment = self.env["account.payment"]
        BankLine = self.env["account.bank.statement.line"]
        active_model, active_ids = context.get("active_model"), context.get("active_ids")
        if active_model in ("account.payment", "account.bank.statement.line") and active_ids:
            selected = self.env[active_model].browse(active_ids)
            pending = selected & self.env[active_model]._billing_pending(company)
            if not pending:
                raise UserError(
                    self.env._("The selected payments are already fully applied (or not posted).")
                    if active_model == "account.payment"
                    else self.env._("The selected bank lines are already reconciled (or not incoming).")
                )
            return list(pending)
        payments, bank_lines = Payment._billing_pending(company), BankLine._billing_pending(company)
        if active_model == "res.partner" and context.get("active_id"):
            partner = self.env["res.partner"].browse(context["active_id"]).commercial_partner_id
            payments = payments.filtered(lambda p: p.partner_id.commercial_partner_id == partner)
            bank_lines = bank_lines.filtered(lambda b: b.partner_id.commercial_partner_id == partner)
        return list(payments) + list(bank_lines)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env.company
        matcher = BillingMatcher(self.env, company)
        lines = []
        for source in sorted(self._sources(company), key=lambda rec: (rec.date, rec._name, rec.id))[:500]:
            proposals = matcher.propose(source)
            best = proposals[0] if proposals else None
            reasons = best.explain(self.env._) if best else self.env._(matcher.explain_no_proposal(source))
            partner = self.env["res.partner"].browse(best.partner_id if best and best.partner_id else [])
            lines.append(
                Command.create(
                    {
                        "payment_id" if source._name == "account.payment" else "statement_line_id": source.id,
                        "partner_id": (source.partner_id.commercial_partner_id or partner).id,
                        "confidence": best.confidence if best else 0,
                        "reasons": reasons,
                        "selected": bool(best and best.confidence >= company.billing_match_threshold),
                        "writeoff": best.writeoff if best else 0.0,
                        "allocation_ids": [
                            Command.create({"move_id": a.item_id, "amount": abs(a.amount)})
                            for a in (best.allocations if best else [])
                        ],
                    }
                )
            )
        values.update(company_id=company.id, line_ids=lines)
        return values

    def action_apply(self):
        """Apply every ticked line in one transaction: all of them are reconciled, or none is."""
        self.ensure_one()
        selected = self.line_ids.filtered("selected")
        if not selected:
            raise UserError(self.env._("Tick at least one proposal to apply."))
        for line in selected:
            allocations = [
                (alloc.move_id.id, -alloc.amount if alloc.move_id.move_type == "out_refund" else alloc.amount)
                for alloc in line.allocation_ids
            ]
            try:
                if line.statement_line_id:
                    line.statement_line_id._billing_apply(allocations, line.writeoff, partner=line.partner_id)
                else:
                    line.payment_id._billing_apply(allocations, line.writeoff)
                if line.open_dispute:
                    line._open_short_payment_dispute()
            except UserError as error:
                raise UserError(
                    self.env._("%(payment)s: %(error)s Nothing was applied.", payment=line.source_name,
                               error=error.args[0])
                ) from error  # fmt: skip
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s payments applied.", count=len(selected)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


class BillingPaymentMatchLine(models.TransientModel):
    _name = "billing.payment.match.line"
    _description = "Match Payments: Proposal"
    _order = "confidence desc, id"

    wizard_id = fields.Many2one("billing.payment.match", required=True, ondelete="cascade")
    payment_id = fields.Many2one("account.payment", readonly=True)
    statement_line_id = fields.Many2one("account.bank.statement.line", string="Bank Line", readonly=True)
    source_name = fields.Char(string="Payment or Bank Line", compute="_compute_source")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        domain="[('parent_id', '=', False)]",
        help="Who paid. A bank line that names nobody is applied for this customer.",
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_source")
    memo = fields.Char(compute="_compute_source")
    payment_date = fields.Date(compute="_compute_source")
    invoice_currency_id = fields.Many2one("res.currency", compute="_compute_amounts")
    amount = fields.Monetary(string="Unapplied", compute="_compute_amounts")
    allocated = fields.Monetary(compute="_compute_amounts", currency_field="invoice_currency_id")
    remainder = fields.Monetary(string="Left Open", compute="_compute_amounts")
    confidence = fields.Integer(readonly=True)
    reasons = fields.Char(readonly=True)
    selected = fields.Boolean(string="Apply")
    writeoff = fields.Monetary(
        string="Write-off",
        currency_field="invoice_currency_id",
        help="Difference written off, in the invoices' currency: the payment is short by this much.",
    )
    allocation_ids = fields.One2many("billing.payment.match.allocation", "line_id", string="Invoices")
    open_dispute = fields.Boolean(
        string="Dispute the Difference",
        help="The payment is short on one invoice: apply it, then open a dispute case for what remains open.",
    )
    dispute_reason_id = fields.Many2one(
        "billing.dispute.reason",
    )

    @api.constrains("payment_id", "statement_line_id")
    def _check_source(self):
        for line in self:
            if bool(line.payment_id) == bool(line.statement_line_id):
                raise ValidationError(self.env._("A proposal applies either a payment or a bank line."))

    def _source(self):
        self.ensure_one()
        return self.payment_id or self.statement_line_id

    @api.depends("payment_id", "statement_line_id")
    def _compute_source(self):
        for line in self:
            source = line.payment_id or line.statement_line_id
            line.source_name = (
                line.payment_id.name
                or (line.statement_line_id and self.env._("Bank: %(line)s", line=line.statement_line_id.display_name))
                or False
            )
            line.currency_id = source._billing_currency() if source else self.env.company.currency_id
            line.memo = line.payment_id.memo if line.payment_id else line.statement_line_id.payment_ref
            line.payment_date = source.date if source else False

    @api.depends("payment_id", "statement_line_id", "allocation_ids.amount", "allocation_ids.move_id", "writeoff")
    def _compute_amounts(self):
        for line in self:
            source = line.payment_id or line.statement_line_id
            if line.payment_id:
                line.amount = -sum(line.payment_id._billing_receivable_lines().mapped("amount_residual_currency"))
            else:
                bank_line = line.statement_line_id
                line.amount = bank_line._billing_amount() if bank_line and not bank_line.is_reconciled else 0.0
            invoice_currency = line.allocation_ids.move_id.currency_id
            line.invoice_currency_id = invoice_currency if len(invoice_currency) == 1 else line.currency_id
            line.allocated = sum(
                -a.amount if a.move_id.move_type == "out_refund" else a.amount for a in line.allocation_ids
            )
            taken = line.allocated - line.writeoff
            if source and line.invoice_currency_id != line.currency_id:
                taken = line.invoice_currency_id._convert(taken, line.currency_id, source.company_id, source.date)
            line.remainder = line.amount - taken

    def _open_short_payment_dispute(self):
        """After a short payment, open a case for what the payment left open on the invoice it paid in part."""
        self.ensure_one()
        invoices = self.allocation_ids.move_id.filtered(
            lambda m: m.move_type == "out_invoice" and not m.currency_id.is_zero(m.amount_residual)
        )
        if len(invoices) != 1:
            raise UserError(
                self.env._("To dispute the difference, the payment must leave exactly one invoice partly open.")
            )
        if not self.dispute_reason_id:
            raise UserError(self.env._("Choose the reason of the dispute for the difference."))
        vals = invoices._billing_prepare_dispute_vals()
        vals.update(
            reason_id=self.dispute_reason_id.id,
            source_payment_id=self.payment_id.id,
            description=self.env._(
                "<p>Short payment: %(payment)s left %(amount)s open on %(invoice)s.</p>",
                payment=self.source_name,
                amount=invoices.amount_residual,
                invoice=invoices.name,
            ),
        )
        return self.env["billing.dispute"].create(vals)


class BillingPaymentMatchAllocation(models.TransientModel):
    _name = "billing.payment.match.allocation"
    _description = "Match Payments: Invoice"

    line_id = fields.Many2one("billing.payment.match.line", required=True, ondelete="cascade")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_refund')), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    open_amount = fields.Monetary(related="move_id.amount_residual", string="Open")
    in_dispute = fields.Boolean(related="move_id.billing_in_dispute")
    amount = fields.Monetary(string="Apply")

    @api.depends("move_id", "amount")
    def _compute_display_name(self):
        for allocation in self:
            allocation.display_name = f"{allocation.move_id.name or ''}: {allocation.amount:,.2f}"
