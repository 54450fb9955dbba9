import json
import time

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..matching import Source

OUTCOMES = [
    ("applied", "Applied"),
    ("proposed", "Left for Review"),
    ("unmatched", "No Proposal"),
    ("skipped", "Skipped"),
    ("error", "Error"),
]


class BillingMatchRun(models.Model):
    """One automatic cash-application run: who, when, how long, what it did, and its undo."""

    _name = "billing.match.run"
    _description = "Payment Matching Run"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", readonly=True, default=lambda self: self.env.user)
    date = fields.Datetime(readonly=True, default=fields.Datetime.now)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    threshold = fields.Integer(readonly=True)
    state = fields.Selection([("done", "Done"), ("undone", "Undone")], default="done", readonly=True)
    line_ids = fields.One2many("billing.match.run.line", "run_id", readonly=True)
    source_count = fields.Integer(string="Sources", compute="_compute_counts", store=True)
    applied_count = fields.Integer(string="Applied", compute="_compute_counts", store=True)
    proposed_count = fields.Integer(string="Left for Review", compute="_compute_counts", store=True)
    unmatched_count = fields.Integer(string="No Proposal", compute="_compute_counts", store=True)
    skipped_count = fields.Integer(string="Skipped or Failed", compute="_compute_counts", store=True)

    @api.depends("date", "company_id")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Matching run %(date)s", date=fields.Datetime.to_string(run.date or fields.Datetime.now())
            )

    @api.depends("line_ids.outcome")
    def _compute_counts(self):
        for run in self:
            outcomes = run.line_ids.mapped("outcome")
            run.source_count = len(outcomes)
            run.applied_count = outcomes.count("applied")
            run.proposed_count = outcomes.count("proposed")
            run.unmatched_count = outcomes.count("unmatched")
            run.skipped_count = outcomes.count("skipped") + outcomes.count("error")

    # ------------------------------------------------------------------ entry point

    @api.model
    def _run_automatic(self, company=None, payments=None, statement_lines=None, batch_size=500):
        """Apply, for ``company``, every proposal at or above the company's threshold; record the rest.

        Documented entry point (the button and the scheduled action call it)::

            run = env["billing.match.run"]._run_automatic(company, payments=None, statement_lines=None)

        :param payments: the ``account.payment`` records to match.
        :param statement_lines: the incoming ``account.bank.statement.line`` records to match; when both are None,
            every pending payment and bank line of the company.
        :return: the ``billing.match.run`` record, with one line per source and its outcome.

        Safe by construction: only proposals at or above the threshold are applied; one invoice is never given
        to two payments of the same run; rows another transaction holds are skipped (``SKIP LOCKED``), never
        waited for or applied twice; each batch is reconciled in one go inside a savepoint, and a batch that fails
        is retried payment by payment so one bad payment cannot take the others down or leave half of itself.
        """
        company = company or self.env.company
        started = time.perf_counter()
        threshold = company.billing_match_threshold
        matcher = self.env["billing.payment.match"]._build_matcher(company)
        if payments is None and statement_lines is None:
            payments = self.env["account.payment"]._billing_pending(company)
            statement_lines = self.env["account.bank.statement.line"]._billing_pending(company)
        sources = list(payments or []) + list(statement_lines or [])
        run = self.create({"company_id": company.id, "threshold": threshold})
        line_vals, ready, taken = [], [], {}
        proposed = [(source, matcher.propose(source)) for source in sources]
        # One prefetch set for every invoice proposed, so the checks below read them in a few queries, not one each.
        prefetch = tuple({allocation.item_id for _source, proposals in proposed if proposals
                          for allocation in proposals[0].allocations})  # fmt: skip
        Move = self.env["account.move"]
        for payment, proposals in proposed:
            source_field = "payment_id" if payment._name == "account.payment" else "statement_line_id"
            vals = {"run_id": run.id, source_field: payment.id, "partner_id": payment.partner_id.id}
            if not proposals:
                line_vals.append({**vals, "outcome": "unmatched"})
                continue
            best = proposals[0]
            vals["partner_id"] = best.partner_id or vals["partner_id"]
            allocations = [(allocation.item_id, allocation.amount) for allocation in best.allocations]
            vals.update(
                confidence=best.confidence,
                reasons=best.explain(self.env._),
                allocations=json.dumps([list(pair) for pair in allocations]),
                writeoff=best.writeoff,
            )
            if best.confidence < threshold:
                line_vals.append({**vals, "outcome": "proposed"})
                continue
            clash = [move_id for move_id, _amount in allocations if move_id in taken]
            if clash:
                vals["reasons"] += self.env._("; also proposed for %(payment)s in this run", payment=taken[clash[0]])
                line_vals.append({**vals, "outcome": "proposed"})
                continue
            try:
                moves = Move.browse([move_id for move_id, _amount in allocations]).with_prefetch(prefetch)
                payment._billing_check_applicable(moves, dict(allocations), best.writeoff)
            except UserError as error:
                line_vals.append({**vals, "outcome": "error", "reasons": str(error.args[0])})
                continue
            taken.update({move_id: payment.display_name for move_id, _amount in allocations})
            ready.append((payment, allocations, best.writeoff, vals))
        # Bulk run: the run's own lines are the audit trail, so the per-document tracking messages are skipped.
        bulk = self.with_context(tracking_disable=True, mail_notrack=True)
        ready, skipped = bulk._lock_for_run(ready)
        line_vals += [{**vals, "outcome": "skipped", "reasons": self.env._("held by another user or run")}
                      for _payment, _allocations, _writeoff, vals in skipped]  # fmt: skip
        for start in range(0, len(ready), batch_size):
            line_vals += bulk._apply_batch(ready[start : start + batch_size])
            done = min(start + batch_size, len(ready))
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(ready) - done)  # no-op outside the cron
        self.env["billing.match.run.line"].create(line_vals)
        self.env.flush_all()
        run.duration = time.perf_counter() - started
        return run

    @api.model
    def _receivable_lines(self, moves):
        """{move id: its open receivable journal items}, read in one query."""
        lines = self.env["account.move.line"].search_fetch(
            [
                ("move_id", "in", moves.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
            ],
            ["move_id", "amount_residual"],
        )
        grouped = {}
        for line in lines:
            grouped.setdefault(line.move_id.id, self.env["account.move.line"])
            grouped[line.move_id.id] |= line
        return grouped

    @api.model
    def _entry_moves(self, entry):
        payment, allocations, _writeoff, _vals = entry
        return payment.move_id | self.env["account.move"].browse([move_id for move_id, _amount in allocations])

    @api.model
    def _lock_for_run(self, ready):
        """Lock the journal items of every payment to apply; those another transaction holds are skipped."""
        if not ready:
            return [], []
        moves = self.env["account.move"].union(*(self._entry_moves(entry) for entry in ready))
        by_move = self._receivable_lines(moves)
        empty = self.env["account.move.line"]
        groups = [
            empty.union(*(by_move.get(m.id, empty) for m in self._entry_moves(entry))) | entry[0].move_id.line_ids
            for entry in ready
        ]
        all_ids = tuple({line_id for group in groups for line_id in group.ids})
        self.env.cr.execute(SQL("SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE SKIP LOCKED", all_ids))
        locked = {row[0] for row in self.env.cr.fetchall()}
        kept, skipped = [], []
        for entry, group in zip(ready, groups, strict=True):
            (kept if set(group.ids) <= locked else skipped).append(entry)
        return kept, skipped

    @api.model
    def _apply_batch(self, batch):
        """Reconcile a batch of (payment, allocations, write-off) in one reconciliation plan, inside a savepoint.

        A batch that fails is retried payment by payment, so only the faulty ones are left out, whole.
        """
        Line = self.env["account.move.line"]
        Partial = self.env["account.partial.reconcile"]
        try:
            with self.env.cr.savepoint():
                for source, _allocations, _writeoff, vals in batch:
                    if source._name == "account.bank.statement.line":
                        source._billing_to_receivable(self.env["res.partner"].browse(vals["partner_id"]))
                writeoff_move, writeoff_lines = self._batch_writeoffs(batch)
                moves = self.env["account.move"].union(*(self._entry_moves(entry) for entry in batch))
                by_move = self._receivable_lines(moves)
                groups = [
                    Line.union(*(by_move.get(m.id, Line) for m in self._entry_moves(entry))) | writeoff_line
                    for entry, writeoff_line in zip(batch, writeoff_lines, strict=True)
                ]
                all_lines = Line.union(*groups)
                before = {line.id: line.matched_debit_ids | line.matched_credit_ids for line in all_lines}
                # Reconciling moves residual amounts and creates partials; it never changes an invoice's lines. So
                # the invoice-line sync around it is skipped, as Odoo's register-payment wizard does: in bulk it took
                # about half of the reconciliation time. The balance check still runs.
                synced = Line.with_context(skip_invoice_sync=True)
                prefetch = tuple(all_lines.ids)  # one prefetch set: Odoo reads the groups' lines in a few queries
                synced._reconcile_plan([group.with_env(synced.env).with_prefetch(prefetch) for group in groups])
                results = []
                for entry, group, writeoff_line in zip(batch, groups, writeoff_lines, strict=True):
                    previous = Partial.union(*(before[line.id] for line in group))
                    created = (group.matched_debit_ids | group.matched_credit_ids) - previous
                    results.append(
                        {
                            **entry[3],
                            "outcome": "applied",
                            "partial_ids": [Command.set(created.ids)],
                            "writeoff_move_id": writeoff_move.id if writeoff_line else False,
                        }
                    )
                return results
        except (UserError, psycopg2.Error) as error:
            if len(batch) == 1:
                return [{**batch[0][3], "outcome": "error", "reasons": str(error.args[0])}]
        results = []
        for entry in batch:
            results += self._apply_batch([entry])
        return results

    @api.model
    def _batch_writeoffs(self, batch):
        """Book the tolerated differences of the batch in one journal entry, a receivable line per payment.

        :return: (the entry or an empty recordset, [the payment's receivable write-off line or empty] per entry)
        """
        Line = self.env["account.move.line"]
        line_vals, positions = [], []
        for position, (payment, allocations, writeoff, _vals) in enumerate(batch):
            invoice = (
                self.env["account.move"]
                .browse([m for m, _a in allocations])
                .filtered(lambda m: m.move_type == "out_invoice")[:1]
            )
            if writeoff and not invoice.currency_id.is_zero(writeoff):
                line_vals.append(self._writeoff_vals(payment, invoice, writeoff)["line_ids"])
                positions.append(position)
        result = [Line] * len(batch)
        if not line_vals:
            return self.env["account.move"], result
        first = batch[positions[0]][0]
        move_vals = self._writeoff_vals(
            first, self.env["account.move"].browse([m for m, _a in batch[positions[0]][1]])[:1], batch[positions[0]][2]
        )
        move_vals.update(
            ref=self.env._("Payment differences of the automatic matching run"),
            line_ids=[command for commands in line_vals for command in commands],
        )
        move = self.env["account.move"].create(move_vals)
        move.action_post()
        receivable = move.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
        for position, line in zip(positions, receivable.sorted("id"), strict=True):
            result[position] = line
        return move, result

    @api.model
    def _cron_run(self):
        # A scheduled action runs with no language in its context: write the reasons in its user's language.
        runs = self.with_context(lang=self.env.context.get("lang") or self.env.user.lang)
        for company in self.env["res.company"].search([("billing_match_auto", "=", True)]):
            runs.with_company(company)._run_automatic(company)

    def action_run_now(self):
        run = self._run_automatic(self.env.company)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------ undo

    def action_undo(self):
        """Take back everything the run applied, as one operation: its reconciliations and write-offs."""
        for run in self:
            if run.state == "undone":
                raise UserError(self.env._("%(run)s was already undone.", run=run.name))
            applied = run.line_ids.filtered(lambda line: line.outcome == "applied")
            applied.partial_ids.exists().unlink()
            applied.statement_line_id._billing_to_suspense()
            writeoffs = applied.writeoff_move_id.filtered(lambda move: move.state == "posted")
            if writeoffs:
                writeoffs.line_ids.remove_move_reconcile()
                writeoffs.button_draft()
                writeoffs.button_cancel()
            run.state = "undone"
        return True

    @api.model
    def _check_allocations(self, source_name, currency, available, customer, company, date, journal, moves, amounts,
                           writeoff=0.0):  # fmt: skip
        """Refuse, with a clear message and before anything is written, allocations that cannot be applied.

        Shared by payments and bank lines: ``available`` is what the source still has to apply, in ``currency``.
        """
        if currency.compare_amounts(available, 0.0) <= 0:
            raise UserError(self.env._("%(payment)s is already fully applied.", payment=source_name))
        if not moves:
            raise UserError(self.env._("Choose at least one invoice for %(payment)s.", payment=source_name))
        wrong = moves.filtered(
            lambda m: m.state != "posted" or m.move_type not in ("out_invoice", "out_refund") or m.company_id != company
        )
        if wrong:
            raise UserError(
                self.env._(
                    "%(documents)s cannot take this payment: only posted customer invoices and credit notes of "
                    "%(company)s can.",
                    documents=", ".join(wrong.mapped("display_name")),
                    company=company.name,
                )
            )
        foreign = moves.filtered(lambda m: customer and m.commercial_partner_id != customer)
        if foreign:
            raise UserError(
                self.env._(
                    "%(documents)s belong to another customer than %(customer)s, who made %(payment)s.",
                    documents=", ".join(foreign.mapped("name")),
                    customer=customer.display_name,
                    payment=source_name,
                )
            )
        closed = moves.filtered(lambda m: m.currency_id.is_zero(m.amount_residual))
        if closed:
            raise UserError(
                self.env._("%(documents)s are already settled.", documents=", ".join(closed.mapped("name")))
            )
        if len(moves.currency_id) > 1:
            raise UserError(
                self.env._("The invoices %(payment)s pays must all be in one currency.", payment=source_name)
            )
        if moves.currency_id != currency:
            # Paid in another currency than invoiced: what the source brings, at the company's rate of its date (the
            # rate the reconciliation uses); the amounts below are in the invoices' currency.
            available = currency._convert(available, moves.currency_id, company, date)
            currency = moves.currency_id
        partial = []
        for move in moves:
            amount = amounts[move.id]
            if move.move_type == "out_refund":
                if currency.compare_amounts(-amount, move.amount_residual) != 0:
                    raise UserError(self.env._("Credit note %(note)s is used in full or not at all.", note=move.name))
                continue
            if currency.compare_amounts(amount, 0.0) <= 0:
                raise UserError(self.env._("%(invoice)s must receive a positive amount.", invoice=move.name))
            if currency.compare_amounts(amount, move.amount_residual) > 0:
                raise UserError(
                    self.env._("%(invoice)s is open for %(open)s only.", invoice=move.name, open=move.amount_residual)
                )
            if currency.compare_amounts(amount, move.amount_residual) < 0:
                partial.append(move)
        if len(partial) > 1:
            raise UserError(self.env._("Only one invoice can be paid in part by one payment."))
        covered = available - sum(amount for move_id, amount in amounts.items()
                                  if moves.browse(move_id).move_type == "out_refund")  # fmt: skip
        wanted = sum(amount for move_id, amount in amounts.items() if moves.browse(move_id).move_type == "out_invoice")
        shortfall = currency.round(wanted - covered)
        if partial and currency.compare_amounts(shortfall, 0.0) != 0:
            raise UserError(
                self.env._(
                    "The invoice paid in part must take exactly what is left of the payment (%(left)s).",
                    left=currency.round(covered - (wanted - amounts[partial[0].id])),
                )
            )
        if not partial and currency.compare_amounts(shortfall, writeoff or 0.0) > 0:
            raise UserError(
                self.env._(
                    "The invoices need %(short)s more than %(payment)s brings; write the difference off or pay one "
                    "invoice in part.",
                    short=shortfall,
                    payment=source_name,
                )
            )
        if date <= company._get_user_fiscal_lock_date(journal):
            raise UserError(
                self.env._("%(payment)s is dated in a locked period; it cannot be applied.", payment=source_name)
            )

    @api.model
    def _apply(self, source, allocations, writeoff=0.0, nowait=False, customer=None):
        """Reconcile a payment or bank line with invoices and credit notes, each for its amount, in one step.

        The caller has checked the allocations (``_billing_check_applicable``); nothing is written before the rows
        are locked.

        :param source: an ``account.payment`` or ``account.bank.statement.line``.
        :param allocations: [(invoice or credit note id, amount)] in the invoices' currency; credit notes carry a
            negative amount. Invoices are settled in the order given; at most one may take less than its open
            amount, and only by taking what is left of the source.
        :param writeoff: how much the source is short of the allocations, booked to the payment difference account.
        :param nowait: refuse at once (LockNotAvailable) when another transaction holds one of the rows.
        :param customer: the customer a bank line without partner is applied for.
        :return: (account.partial.reconcile created, write-off move or empty recordset)
        """
        moves = self.env["account.move"].browse([move_id for move_id, _amount in allocations])
        amounts = dict(allocations)
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        credit_notes = moves - invoices

        def receivable(records):
            return records.line_ids.filtered(
                lambda aml: aml.account_id.account_type == "asset_receivable" and not aml.reconciled
            )

        open_lines = receivable(moves)
        self.env.cr.execute(
            SQL(
                "SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE %s",
                tuple((source.move_id.line_ids | open_lines).ids),
                SQL("NOWAIT") if nowait else SQL(),
            )
        )
        source._billing_before_reconcile(customer)
        touched = source._billing_receivable_lines() | open_lines
        before = touched.matched_debit_ids | touched.matched_credit_ids
        if credit_notes:
            (receivable(credit_notes) | receivable(invoices)).reconcile()
        ordered = invoices.sorted(
            lambda m: m.currency_id.compare_amounts(amounts[m.id], m.amount_residual) < 0
        )  # full ones first, the partial one last
        for invoice in ordered:
            if receivable(invoice) and source._billing_receivable_lines():
                (receivable(invoice) | source._billing_receivable_lines()).reconcile()
        writeoff_move = self.env["account.move"]
        if writeoff and not moves.currency_id.is_zero(writeoff):
            short = invoices.filtered(lambda m: not m.currency_id.is_zero(m.amount_residual))[:1]
            writeoff_move = self.env["account.move"].create(
                self._writeoff_vals(source, short or invoices[:1], writeoff)
            )
            writeoff_move.action_post()
            (receivable(writeoff_move) | receivable(short)).reconcile()
            touched |= writeoff_move.line_ids
        after = touched.matched_debit_ids | touched.matched_credit_ids
        return after - before, writeoff_move

    @api.model
    def _writeoff_vals(self, source, invoice, amount):
        """Journal entry values writing ``amount`` (the source short of the invoice) off to the difference account.

        ``amount`` is in the invoice's currency, like the allocations.
        """
        company = source.company_id
        account = company.billing_match_writeoff_account_id or company.billing_writeoff_account_id
        if not account:
            raise UserError(self.env._("Set the payment difference account in the Billing settings."))
        journal = company.billing_writeoff_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")], limit=1
        )
        receivable = invoice.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")[:1]
        balance = invoice.currency_id._convert(amount, company.currency_id, company, source.date)
        label = self.env._("Payment difference %(payment)s / %(invoice)s", payment=source.name, invoice=invoice.name)
        common = {"name": label, "partner_id": invoice.commercial_partner_id.id, "currency_id": invoice.currency_id.id}
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": source.date,
            "ref": label,
            "line_ids": [
                Command.create({**common, "account_id": receivable.account_id.id, "amount_currency": -amount,
                                "balance": -balance}),
                Command.create({**common, "account_id": account.id, "amount_currency": amount, "balance": balance}),
            ],
        }  # fmt: skip


class BillingMatchRunLine(models.Model):
    _name = "billing.match.run.line"
    _description = "Payment Matching Run: Source"
    _order = "run_id, id"

    run_id = fields.Many2one("billing.match.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    payment_id = fields.Many2one("account.payment", ondelete="set null", index="btree_not_null")
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank Line", ondelete="set null", index="btree_not_null"
    )
    partner_id = fields.Many2one("res.partner", string="Customer")
    outcome = fields.Selection(OUTCOMES, required=True)
    confidence = fields.Integer()
    reasons = fields.Char()
    allocations = fields.Char(help="JSON list of [open item (invoice) id, amount].")
    writeoff = fields.Float(digits=(16, 2))
    partial_ids = fields.Many2many("account.partial.reconcile", string="Reconciliations")
    writeoff_move_id = fields.Many2one("account.move", string="Write-off Entry")
    invoice_ids = fields.Many2many("account.move", string="Invoices", compute="_compute_invoice_ids")

    @api.depends("allocations")
    def _compute_invoice_ids(self):
        for line in self:
            ids = [item_id for item_id, _amount in json.loads(line.allocations or "[]")]
            line.invoice_ids = self.env["account.move"].browse(ids).exists()


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _billing_receivable_lines(self):
        return self.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable" and not aml.reconciled
        )

    @api.model
    def _billing_pending(self, company):
        """Posted inbound customer payments of ``company`` with an amount not yet applied to invoices."""
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("parent_state", "=", "posted"),
                ("account_id.account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
                ("move_id.origin_payment_id.payment_type", "=", "inbound"),
            ]
        )
        return lines.move_id.origin_payment_id

    def _billing_currency(self):
        return self.currency_id

    def _billing_source(self):
        self.ensure_one()
        open_amount = -sum(self._billing_receivable_lines().mapped("amount_residual_currency"))
        return Source(
            id=self.id,
            amount=self.currency_id.round(open_amount),
            memo=" ".join(filter(None, [self.memo, self.payment_reference])),
            partner_id=self.partner_id.commercial_partner_id.id or None,
        )

    def _billing_apply(self, allocations, writeoff=0.0, nowait=False):
        """Reconcile the payment with the given invoices and credit notes: see ``billing.match.run._apply``."""
        self.ensure_one()
        moves = self.env["account.move"].browse([move_id for move_id, _amount in allocations])
        self._billing_check_applicable(moves, dict(allocations), writeoff)
        return self.env["billing.match.run"]._apply(self, allocations, writeoff, nowait)

    def _billing_before_reconcile(self, customer):
        """Nothing to prepare: a posted payment already sits on the customer's receivable."""

    def _billing_check_applicable(self, moves, amounts, writeoff=0.0):
        """Refuse, with a clear message and before anything is written, what cannot be applied."""
        self.ensure_one()
        if self.state not in ("in_process", "paid") or self.payment_type != "inbound":
            raise UserError(self.env._("%(payment)s is not a posted customer payment.", payment=self.name))
        self.env["billing.match.run"]._check_allocations(
            source_name=self.name,
            currency=self.currency_id,
            available=-sum(self._billing_receivable_lines().mapped("amount_residual_currency")),
            customer=self.partner_id.commercial_partner_id,
            company=self.company_id,
            date=self.date,
            journal=self.journal_id,
            moves=moves,
            amounts=amounts,
            writeoff=writeoff,
        )
