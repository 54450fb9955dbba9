import math

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from .billing_match_review_allocation import MAX_AMOUNT
from .billing_matcher import BillingMatcher
from .billing_payment_apply import Application, ApplicationRefused

# What a client may change on a review row (the rest is written by the refresh, as superuser).
CLIENT_FIELDS = {"partner_id", "allocation_ids", "writeoff", "open_dispute", "dispute_reason_id"}
# The badge's words are states of the row, never the word of the button that applies it.
BANDS = [("high", "Ready"), ("medium", "Likely"), ("low", "Weak"), ("conflict", "Conflict"), ("none", "No Proposal")]
MEDIUM_CONFIDENCE = 60


class BillingMatchReview(models.Model):
    """One pending payment or bank line on the review screen, with the engine's best proposal.

    Rows are the user's own working copy for one company: rebuilt from the engine each time the screen opens
    (``_refresh``), changed by the user (invoices, amounts, write-off, customer of a bank line), then applied in one
    transaction through ``billing.payment.apply`` and recorded as a manual ``billing.match.run`` (same history and
    undo as the automatic run). A row applied is deleted: the run holds its history.
    """

    _name = "billing.match.review"
    _description = "Payment Matching Review"
    _order = "confidence desc, date, id"
    _check_company_auto = True
    _rec_name = "name"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True, ondelete="cascade")
    source_type = fields.Selection(
        [("payment", "Payment"), ("bank_line", "Bank Line")], string="Source", required=True, readonly=True
    )
    payment_id = fields.Many2one("account.payment", readonly=True, ondelete="cascade", index="btree_not_null")
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank Line", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    name = fields.Char(string="Payment or Bank Line", readonly=True)
    date = fields.Date(readonly=True)
    journal_id = fields.Many2one("account.journal", readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        domain="[('parent_id', '=', False)]",
        help="Who paid. A bank line that names nobody is applied for this customer.",
    )
    memo = fields.Char(string="Reference", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    payment_amount = fields.Monetary(
        readonly=True,
        help="What the customer paid: the payment's or bank line's full amount, in its currency.",
    )
    amount = fields.Monetary(
        string="Unapplied",
        readonly=True,
        help="What the payment still has to apply, in its currency: its amount less what was applied before.",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    amount_company = fields.Monetary(
        string="Unapplied (Company)",
        currency_field="company_currency_id",
        readonly=True,
        help="The unapplied amount in the company's currency: the list sums it for the rows selected.",
    )
    # no aggregate: a group row's label (the customer) then spans the first columns instead of being cut
    confidence = fields.Integer(readonly=True, aggregator=None)
    confidence_band = fields.Selection(BANDS, readonly=True)
    reasons = fields.Text(readonly=True)
    has_proposal = fields.Boolean(readonly=True)
    skipped = fields.Boolean(readonly=True, help="Set aside by the user: hidden from the rows to review.")
    allocation_ids = fields.One2many("billing.match.review.allocation", "review_id", string="Invoices to Pay")
    invoice_names = fields.Text(string="Invoices", compute="_compute_invoice_names", store=True)
    invoice_currency_id = fields.Many2one("res.currency", compute="_compute_amounts")
    allocated = fields.Monetary(compute="_compute_amounts", currency_field="invoice_currency_id")
    writeoff = fields.Monetary(
        string="Write-off",
        currency_field="invoice_currency_id",
        help="Difference written off, in the invoices' currency: the payment is short by this much. Within your "
        "write-off limit; a billing manager is not limited.",
    )
    remainder = fields.Monetary(
        string="Difference",
        compute="_compute_amounts",
        help="The running difference: unapplied amount - invoices + write-off. What stays of the payment once these "
        "invoices take their amounts (the customer's open credit); negative: the invoices ask for more than it has.",
    )
    overdrawn_note = fields.Char(
        string="Beyond What Is Open",
        compute="_compute_overdrawn_note",
        help="The invoices this row asks more of than is open on them: applying it is refused.",
    )
    duplicate_claim = fields.Boolean(
        string="Invoice Also Claimed",
        compute="_compute_duplicate_claim",
        search="_search_duplicate_claim",
        help="An invoice of this row is also proposed on another of your rows: applying both is refused beyond "
        "what is open on it.",
    )
    duplicate_note = fields.Char(string="Also Claimed By", compute="_compute_duplicate_claim")
    duplicate_badge = fields.Char(string="Claims", compute="_compute_duplicate_claim")
    open_dispute = fields.Boolean(
        string="Dispute the Difference",
        help="The payment is short on one invoice: apply it, then open a dispute case for what remains open.",
    )
    dispute_reason_id = fields.Many2one("billing.dispute.reason")
    open_item_ids = fields.Many2many(
        "account.move",
        string="Other Open Items",
        compute="_compute_open_item_ids",
        help="The customer's other open invoices and credit notes, with what is still open on each.",
    )

    _sql_constraints = [
        (
            "one_source",
            "CHECK((payment_id IS NULL) != (statement_line_id IS NULL))",
            "A review row is for either a payment or a bank line.",
        ),
    ]

    @api.depends("allocation_ids.move_id", "allocation_ids.amount")
    def _compute_invoice_names(self):
        for row in self:
            row.invoice_names = "\n".join(
                f"{alloc.move_id.name}: {formatLang(self.env, alloc.amount, currency_obj=alloc.move_id.currency_id)}"
                for alloc in row.allocation_ids
                if alloc.move_id
            )

    @api.depends("amount", "currency_id", "allocation_ids.amount", "allocation_ids.move_id", "writeoff")
    def _compute_amounts(self):
        for row in self:
            invoice_currency = row.allocation_ids.move_id.currency_id
            row.invoice_currency_id = invoice_currency if len(invoice_currency) == 1 else row.currency_id
            row.allocated = sum(
                -a.amount if a.move_id.move_type == "out_refund" else a.amount for a in row.allocation_ids
            )
            taken = row.allocated - row.writeoff
            source = row.payment_id or row.statement_line_id
            if source and row.invoice_currency_id != row.currency_id:
                taken = row.invoice_currency_id._convert(taken, row.currency_id, row.company_id, row.date)
            row.remainder = row.amount - taken

    @api.depends("allocation_ids.amount", "allocation_ids.move_id.amount_residual")
    def _compute_overdrawn_note(self):
        """'INV/x is open for 720.00 only' for each allocation above what is open on its invoice, else False."""
        for row in self:
            notes = [
                self.env._(
                    "%(invoice)s is open for %(open)s only",
                    invoice=alloc.move_id.name,
                    open=formatLang(self.env, alloc.open_amount, currency_obj=alloc.currency_id),
                )
                for alloc in row.allocation_ids
                if alloc.move_id and alloc.currency_id.compare_amounts(alloc.amount, alloc.open_amount) > 0
            ]
            row.overdrawn_note = "; ".join(notes) or False

    @api.depends("allocation_ids.move_id", "allocation_ids.amount")
    def _compute_duplicate_claim(self):
        """Flag the rows whose invoice other rows of the user claim too, beyond what is open on it, before anyone
        clicks Apply. Claims that together fit the open amount are no alert. A payment and a bank line claiming the
        same amount of one invoice are most likely the same money (the payment and its bank line): flagged too."""
        moves = self.allocation_ids.move_id
        others = self.env["billing.match.review.allocation"]
        if moves:
            others = others.search(
                [
                    ("move_id", "in", moves.ids),
                    ("review_id.user_id", "=", self.env.uid),
                    ("review_id.skipped", "=", False),
                ]
            )
        for row in self:
            notes = []
            for alloc in row.allocation_ids.filtered("move_id"):
                rivals = others.filtered(
                    lambda other, alloc=alloc, row=row: (
                        other.move_id == alloc.move_id
                        and other.review_id.id != row._origin.id
                        and other.review_id.company_id == row.company_id
                    )
                )
                note = rivals and row._duplicate_note(alloc, rivals)
                if note:
                    notes.append(note)
            row.duplicate_claim = bool(notes)
            row.duplicate_note = "; ".join(notes)
            row.duplicate_badge = self.env._("Twice") if notes else False

    def _duplicate_note(self, alloc, rivals):
        """What the row's alert says of one invoice also claimed by ``rivals`` (other rows' allocations), or False
        when the claims together fit what is open on it and none looks like the same money."""
        move = alloc.move_id
        currency = move.currency_id
        same_money = rivals.filtered(
            lambda other: (
                other.review_id.source_type != self.source_type
                and currency.compare_amounts(other.amount, alloc.amount) == 0
            )
        )[:1]
        if same_money:
            payment, bank_line = (
                (self, same_money.review_id) if self.source_type == "payment" else (same_money.review_id, self)
            )
            return self.env._(
                "%(invoice)s: probably the same money: payment %(payment)s and its bank line %(line)s",
                invoice=move.name,
                payment=payment.name,
                line=bank_line.name,
            )
        claimed = alloc.amount + sum(rivals.mapped("amount"))
        if currency.compare_amounts(claimed, move.amount_residual) <= 0:
            return False
        return self.env._(
            "%(invoice)s is also claimed by %(rows)s: %(claimed)s together, %(open)s open",
            invoice=move.name,
            rows=", ".join(rivals.review_id.mapped("name")),
            claimed=formatLang(self.env, claimed, currency_obj=currency),
            open=formatLang(self.env, move.amount_residual, currency_obj=currency),
        )

    def _search_duplicate_claim(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search rows whose invoice is claimed twice with = True or = False."))
        claims = self.env["billing.match.review.allocation"]._read_group(
            [("review_id.user_id", "=", self.env.uid), ("review_id.skipped", "=", False)],
            ["move_id"],
            ["review_id:array_agg"],
            having=[("review_id:count_distinct", ">", 1)],
        )
        # The same rule as the alert: of the rows sharing an invoice, those whose claims do not fit it.
        candidates = self.browse({row_id for _move, row_ids in claims for row_id in row_ids})
        row_ids = candidates.filtered("duplicate_claim").ids
        return [("id", "in" if (operator == "=") == value else "not in", row_ids)]

    @api.depends("partner_id", "company_id", "allocation_ids.move_id")
    def _compute_open_item_ids(self):
        rows = self.filtered("partner_id")
        (self - rows).open_item_ids = False
        if not rows:
            return
        moves = self.env["account.move"].search(
            [
                ("company_id", "in", rows.company_id.ids),
                ("commercial_partner_id", "in", rows.partner_id.ids),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due, id",
        )
        for row in rows:
            row.open_item_ids = (
                moves.filtered(
                    lambda m, row=row: m.commercial_partner_id == row.partner_id and m.company_id == row.company_id
                )
                - row.allocation_ids.move_id
            )

    # ------------------------------------------------------------------ rows are the refresh's; clients edit a few

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Review rows are built by the review screen only; open it to refresh."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            protected = set(vals) - CLIENT_FIELDS
            if protected:
                raise AccessError(
                    self.env._(
                        "These fields are set by the matching engine: %(fields)s.", fields=", ".join(sorted(protected))
                    )
                )
            if "partner_id" in vals and self.filtered("payment_id"):
                raise UserError(self.env._("A payment is applied for its own customer; change the payment instead."))
            if "partner_id" in vals and self.filtered(
                lambda row: (
                    row.statement_line_id.partner_id
                    and row.statement_line_id.partner_id.commercial_partner_id.id != vals["partner_id"]
                )
            ):
                raise UserError(
                    self.env._("This bank line names its customer; change the bank line instead, then refresh.")
                )
            if not math.isfinite(vals.get("writeoff") or 0.0):
                raise UserError(self.env._("The write-off must be a finite number."))
            if abs(vals.get("writeoff") or 0.0) > MAX_AMOUNT:
                raise UserError(self.env._("The write-off is too large to be a payment difference."))
        return super().write(vals)

    def _source(self):
        self.ensure_one()
        return self.payment_id or self.statement_line_id

    # ------------------------------------------------------------------ refresh

    @api.model
    def _refresh(self, company, sources=None):
        """Rebuild the current user's rows of ``company`` for ``sources`` (default: every pending one).

        Rows of sources no longer pending go; rows the user skipped stay skipped. :return: the rows of ``sources``.
        """
        self.check_access("read")  # billing users only: rows are written as superuser below
        pending = [
            model._billing_pending(company) for model in self.env["billing.payment.source"]._billing_source_models()
        ]
        if sources is None:
            sources = [source for records in pending for source in records]
        pending_keys = {(rec._name, rec.id) for records in pending for rec in records}
        sources = [source for source in sources if (source._name, source.id) in pending_keys]
        wanted = {(source._name, source.id) for source in sources}
        Rows = self.sudo()  # history of the engine, written by the screen itself (see ``create``)
        existing = Rows.search([("company_id", "=", company.id), ("user_id", "=", self.env.uid)])
        skipped = {(row._source()._name, row._source().id) for row in existing if row.skipped}
        existing.filtered(
            lambda row: (key := (row._source()._name, row._source().id)) in wanted or key not in pending_keys
        ).unlink()
        matcher = BillingMatcher(self.env, company)
        matcher.read_sources(sources)  # every source's engine view in a few queries, not two per source
        vals_list = [
            self._prepare_row_vals(company, matcher, source, (source._name, source.id) in skipped) for source in sources
        ]
        return Rows.create(vals_list).with_env(self.env)

    @api.model
    def _prepare_row_vals(self, company, matcher, source, skipped=False):
        proposals = matcher.propose(source)
        best = proposals[0] if proposals else None
        partner = source.partner_id.commercial_partner_id
        if not partner and best and best.partner_id:
            partner = self.env["res.partner"].browse(best.partner_id)
        currency, amount = source._billing_currency(), source._billing_available()
        confidence = best.confidence if best else 0
        if best and best.conflict and best.allocations:
            band = "conflict"  # a proposal whose evidence disagrees: a person decides (the reasons say why)
        elif not best or not confidence:
            band = "none"
        else:
            band = (
                "high"
                if confidence >= company.billing_match_threshold
                else "medium"
                if confidence >= MEDIUM_CONFIDENCE
                else "low"
            )
        Move = self.env["account.move"]
        return {
            "company_id": company.id,
            "user_id": self.env.uid,
            "source_type": source._billing_source_type,
            source._billing_source_field: source.id,
            "name": source._billing_row_name(),
            "date": source.date,
            "journal_id": source.journal_id.id,
            "partner_id": partner.id,
            "memo": matcher._source(source).memo,
            "currency_id": currency.id,
            "payment_amount": self._source_amount(source),
            "amount": amount,
            "amount_company": currency._convert(amount, company.currency_id, company, source.date),
            "confidence": confidence,
            "confidence_band": band,
            "reasons": best.explain(self.env._) if best else self.env._(matcher.explain_no_proposal(source)),
            "has_proposal": bool(best and best.allocations),
            "skipped": skipped,
            "writeoff": best.writeoff if best else 0.0,
            **(self.env["billing.payment.source"]._billing_proposal_vals(best) if best else {}),
            "allocation_ids": [
                Command.create({"move_id": a.item_id, "amount": abs(a.amount)})
                for a in (best.allocations if best else [])
                if Move.browse(a.item_id).exists()
            ],
        }

    @api.model
    def _source_amount(self, source):
        """The full amount of ``source`` in its currency (a bank line's in the currency the customer paid)."""
        return source._billing_amount() if source._name == "account.bank.statement.line" else source.amount

    @api.model
    def _action_open(self, company, sources=None, name=None):
        """Refresh, then the review screen: on ``sources`` when given, else on every pending row."""
        rows = self._refresh(company, sources)
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_match_review_action")
        if sources is not None:
            # By source, not by row: Refresh rebuilds the rows (new ids) and reloads this same action.
            action["domain"] = [(field, "in", ids) for field, ids in self._source_ids(rows).items()] or [
                ("id", "in", [])
            ]
            action["domain"] = ["|"] * (len(action["domain"]) - 1) + action["domain"]
            action["context"] = {"search_default_to_review": 0}
            if name:
                action["display_name"] = name
        return action

    @api.model
    def action_open_review(self):
        """Entry point of the menu and of the *Match Payments* actions on payments, bank lines and customers."""
        company = self.env.company
        context = self.env.context
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
            return self._action_open(company, list(pending))
        if active_model == "res.partner" and context.get("active_id"):
            partner = self.env["res.partner"].browse(context["active_id"]).commercial_partner_id
            sources = [
                source
                for model in self.env["billing.payment.source"]._billing_source_models()
                for source in model._billing_pending(company)
                if source.partner_id.commercial_partner_id == partner
            ]
            return self._action_open(company, sources, name=self.env._("Match Payments: %s", partner.display_name))
        return self._action_open(company)

    @api.model
    def _source_ids(self, rows):
        """{source field: ids} of ``rows``, for a domain that outlives them."""
        result = {}
        for row in rows:
            result.setdefault(row._source()._billing_source_field, []).append(row._source().id)
        return result

    def action_refresh(self):
        """Rebuild the rows from the engine, then reload the screen in place (no new breadcrumb)."""
        self.check_access("read")
        self._refresh(self.env.company)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # ------------------------------------------------------------------ the workbench's panel

    def action_add_open_item(self, move_id):
        """Add one of the customer's other open items to this row, for what the payment still has (at most its open).

        Called by the workbench's panel (JSON-RPC): the item must be one of ``open_item_ids`` (the row's customer's,
        its company's, open, not already on the row). :return: the allocation's amount.
        """
        self.ensure_one()
        self.check_access("write")
        if not isinstance(move_id, int) or isinstance(move_id, bool):
            raise UserError(self.env._("Choose one of the customer's open items."))
        move = self.open_item_ids.filtered(lambda item: item.id == move_id)
        if not move:
            raise UserError(self.env._("Only one of the customer's other open items can be added to this payment."))
        wanted = move.amount_residual
        if self.remainder > 0 and move.move_type == "out_invoice":
            available = self.remainder
            if self.currency_id != move.currency_id:
                available = self.currency_id._convert(available, move.currency_id, self.company_id, self.date)
            wanted = min(wanted, available)
        amount = move.currency_id.round(abs(wanted))
        self.write({"allocation_ids": [Command.create({"move_id": move.id, "amount": amount})]})
        return amount

    # ------------------------------------------------------------------ skip

    def action_skip(self):
        self.check_access("write")
        self.sudo().skipped = True
        return True

    def action_unskip(self):
        self.check_access("write")
        self.sudo().skipped = False
        return True

    # ------------------------------------------------------------------ apply

    def action_apply(self):
        """Apply these rows in one transaction through ``billing.payment.apply``; record them as a manual run.

        All or nothing: the first row refused (checks of ``billing.payment.apply``: amounts, customer, write-off
        limit, lock dates) rolls every row back. Rows another request is applying are refused at once (``NOWAIT``);
        a row applied is deleted, so it cannot be applied twice.
        """
        if not self:
            raise UserError(self.env._("Select at least one row to apply."))
        self.check_access("write")
        if len(self.company_id) > 1:
            raise UserError(self.env._("Apply the rows of one company at a time."))
        rows = self._lock_rows()
        applications = [row._application() for row in rows]
        run = self.env["billing.match.run"]._create_manual(rows.company_id)
        try:
            self.env["billing.payment.apply"]._apply_applications(run, applications)
        except ApplicationRefused as refused:
            index = next(i for i, app in enumerate(applications) if app is refused.application)
            raise rows[index]._refusal(refused.error, rows[:index]) from refused.error
        rows.sudo().unlink()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s applied, recorded in %(run)s (it can be undone there).", count=len(rows), run="%s"
                ),
                "links": [
                    {"label": run.name, "url": f"/odoo/action-billing_specialist.billing_match_run_action/{run.id}"}
                ],
                "next": {
                    "type": "ir.actions.act_window",
                    "res_model": "billing.match.run",
                    "res_id": run.id,
                    "views": [[False, "form"]],
                    "target": "current",
                },
            },
        }

    def _lock_rows(self):
        """Lock the rows for this transaction; refuse those another request holds or already applied."""
        try:
            self.env.cr.execute(
                SQL("SELECT id FROM %s WHERE id IN %s FOR UPDATE NOWAIT", SQL.identifier(self._table), tuple(self.ids))
            )
        except psycopg2.errors.LockNotAvailable as error:
            raise UserError(
                self.env._("These rows are being applied by another request; refresh the screen.")
            ) from error
        found = {row_id for (row_id,) in self.env.cr.fetchall()}
        if found != set(self.ids):
            raise UserError(self.env._("Some of these rows were applied already; refresh the screen."))
        self.invalidate_recordset()
        return self

    def _application(self):
        """What applying this row asks of ``billing.payment.apply``: its invoices, write-off, customer and run line."""
        self.ensure_one()
        source = self._source()
        allocations = [
            (alloc.move_id.id, -alloc.amount if alloc.move_id.move_type == "out_refund" else alloc.amount)
            for alloc in self.allocation_ids
        ]
        return Application(
            source,
            allocations,
            self.writeoff,
            # The customer chosen on the row only for a source that names none (the source's own otherwise).
            customer=None if source.partner_id else self.partner_id,
            vals={
                "partner_id": (source.partner_id.commercial_partner_id or self.partner_id).id,
                "confidence": self.confidence,
                "reasons": self.reasons,
                **self._billing_line_vals(),
            },
            dispute_reason=self.dispute_reason_id if self.open_dispute else None,
        )

    def _billing_line_vals(self):
        """Hook: what the row adds to its run line (remittance advices add theirs)."""
        return {}

    def _refusal(self, error, earlier=None):
        """The message of this row refused: nothing of the rows was applied. ``earlier``: the rows of the same Apply
        applied before it; one that paid an invoice this row pays is named (the same invoice twice in one Apply)."""
        if isinstance(error, psycopg2.errors.LockNotAvailable):
            return UserError(
                self.env._("%(payment)s is being applied by another user; nothing was applied.", payment=self.name)
            )
        for move in self.allocation_ids.move_id:
            other = (earlier or self.browse()).filtered(lambda row, move=move: move in row.allocation_ids.move_id)[:1]
            if other and move.currency_id.is_zero(move.amount_residual):
                return UserError(
                    self.env._(
                        "%(payment)s: %(invoice)s is already paid by %(other)s in this same Apply: apply one of the "
                        "two. Nothing was applied.",
                        payment=self.name,
                        invoice=move.name,
                        other=other.name,
                    )
                )
        return UserError(
            self.env._("%(payment)s: %(error)s Nothing was applied.", payment=self.name, error=error.args[0])
        )
