import dataclasses
import math

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..exceptions import raise_concurrency


@dataclasses.dataclass
class Application:
    """One source to apply: a payment or bank line, its allocations and the difference to write off.

    ``allocations`` is [(invoice or credit note id, amount)] in the invoices' currency, credit notes negative, in the
    order the invoices are settled; ``writeoff`` is what the source is short of them (invoices' currency).
    ``customer`` is whom the source is applied for: resolved by the automatic run; for a person's application the
    customer they chose for a bank line naming none, resolved when applied (``_billing_customer``).
    ``vals`` are the values of its run line besides what applying gives (confidence, reasons, customer, and what
    other capabilities add: ``remittance_id``). ``dispute_reason``: not None to open a case for what the short payment
    leaves open, with this reason (``models/billing_short_payment.py``).
    """

    source: models.BaseModel
    allocations: list
    writeoff: float = 0.0
    customer: models.BaseModel = None
    vals: dict = dataclasses.field(default_factory=dict)
    dispute_reason: models.BaseModel = None

    @property
    def move_ids(self):
        return [move_id for move_id, _amount in self.allocations]


class ApplicationRefused(UserError):
    """A person's application was refused (checks, the hooks after applying) or is held by another transaction:
    nothing of the call is applied. ``application`` is the one refused, ``error`` the original exception; the screen
    that asked says which it was, in its words."""

    def __init__(self, application, error):
        super().__init__(error.args[0] if isinstance(error, UserError) else str(error))
        self.application = application
        self.error = error


class BillingPaymentApply(models.AbstractModel):
    """Applying payments and bank lines, in one place, and undoing it beside.

    ``_apply_applications`` is the cash-application act of the review screen, the automatic run and the remittance
    advice: the checks, the locks, the reconciliation of each allocation for its amount, the write-off of a payment
    difference (the rules of ``billing.writeoff``), the run lines, the learning, and a hook after applying
    (``_billing_after_apply``) that remittances and short-payment disputes extend. ``_undo`` is its mirror.
    Sources are ``billing.payment.source`` records (as OCA's ``mass.reconcile.base`` holds what its history model
    only records).
    """

    _name = "billing.payment.apply"
    _inherit = ["billing.writeoff"]
    _description = "Apply Payments and Write-offs"

    # ------------------------------------------------------------------ checks

    @api.model
    def _tolerance(self, company, amount):
        """The payment difference tolerated on a source of ``amount`` (both in company currency)."""
        return max(company.billing_match_tolerance_amount, abs(amount) * company.billing_match_tolerance_percent / 100)

    @api.model
    def _check_allocations(
        self, source, moves, amounts, writeoff=0.0, customer=None, automatic=False, learned_fee=0.0, fee_rule=None
    ):
        """Refuse, with a clear message and before anything is written, allocations that cannot be applied.

        Shared by payments and bank lines (``source``): what it still has to apply is ``source._billing_available()``
        in ``source._billing_currency()``; ``amounts`` is {move id: amount} in the invoices' currency. ``fee_rule``:
        the id of the fee rule the engine wrote the difference off by (checked again: ``_billing_rule_for``).
        """
        name, company = source._billing_label(), source.company_id
        currency, available = source._billing_currency(), source._billing_available()
        self._check_numbers(name, amounts, writeoff)
        if currency.compare_amounts(available, 0.0) <= 0:
            raise UserError(self.env._("%(payment)s is already fully applied.", payment=name))
        self._check_documents(source, moves, customer)
        if moves.currency_id != currency:
            # Paid in another currency than invoiced: what the source brings, at the company's rate of its date (the
            # rate the reconciliation uses); the amounts below are in the invoices' currency.
            available = currency._convert(available, moves.currency_id, company, source.date)
            currency = moves.currency_id
        partial = self._check_amounts(moves, amounts, currency)
        if len(partial) > 1 and moves.currency_id != source._billing_currency():
            raise UserError(
                self.env._(
                    "Several invoices can be paid in part by %(payment)s only in their own currency.", payment=name
                )
            )
        shortfall = self._check_shortfall(name, moves, amounts, partial, available, currency, writeoff)
        if not currency.is_zero(writeoff or 0.0):
            if currency.compare_amounts(writeoff, shortfall) != 0:
                raise UserError(
                    self.env._(
                        "The write-off of %(payment)s must be the difference, %(short)s: what the invoices need more "
                        "than it brings.",
                        payment=name,
                        short=formatLang(self.env, max(shortfall, 0.0), currency_obj=currency),
                    )
                )
            to_company = company.currency_id
            amount = currency._convert(writeoff, to_company, company, source.date)
            self._check_writeoff(
                company,
                amount,
                self._tolerance(company, currency._convert(available, to_company, company, source.date)),
                automatic,
                learned=bool(learned_fee) and currency.compare_amounts(writeoff, learned_fee) == 0,
                rule=fee_rule and self.env["billing.match.fee.rule"]._billing_rule_for(source, fee_rule, amount).name,
            )
        if source.date <= company._get_user_fiscal_lock_date(source.journal_id):
            raise UserError(self.env._("%(payment)s is dated in a locked period; it cannot be applied.", payment=name))

    @api.model
    def _check_numbers(self, name, amounts, writeoff):
        if not math.isfinite(writeoff or 0.0) or not all(math.isfinite(amount) for amount in amounts.values()):
            raise UserError(self.env._("The amounts applied from %(payment)s must be finite numbers.", payment=name))
        if (writeoff or 0.0) < 0:
            # An overpayment is the customer's credit: booking it as a negative write-off would move it to the
            # profit and loss, whatever the limit (which bounds what the customer paid short).
            raise UserError(
                self.env._(
                    "The write-off of %(payment)s cannot be negative: an overpayment stays the customer's credit.",
                    payment=name,
                )
            )

    @api.model
    def _check_shortfall(self, name, moves, amounts, partial, available, currency, writeoff):
        """What the invoices need more than the source brings (``available``, invoices' currency), once the invoices
        paid in part take exactly what is left and a shortfall is written off; :return: the shortfall."""
        credit = -sum(amount for move_id, amount in amounts.items() if moves.browse(move_id).move_type == "out_refund")
        wanted = sum(amount for move_id, amount in amounts.items() if moves.browse(move_id).move_type == "out_invoice")
        shortfall = currency.round(wanted - available - credit)
        if partial and currency.compare_amounts(shortfall, 0.0) != 0:
            left = formatLang(
                self.env,
                available + credit - (wanted - sum(amounts[move.id] for move in partial)),
                currency_obj=currency,
            )
            raise UserError(
                self.env._(
                    "The invoice paid in part must take exactly what is left of the payment (%(left)s): a payment "
                    "cannot both pay an invoice in part and leave an amount unapplied.",
                    left=left,
                )
                if len(partial) == 1
                else self.env._(
                    "The invoices paid in part must take together exactly what is left of the payment (%(left)s): "
                    "a payment cannot both pay invoices in part and leave an amount unapplied or short.",
                    left=left,
                )
            )
        if not partial and currency.compare_amounts(shortfall, writeoff or 0.0) > 0:
            raise UserError(
                self.env._(
                    "The invoices need %(short)s more than %(payment)s brings; write the difference off or pay one "
                    "invoice in part.",
                    short=formatLang(self.env, shortfall, currency_obj=currency),
                    payment=name,
                )
            )
        return shortfall

    @api.model
    def _check_documents(self, source, moves, customer):
        name, company = source._billing_label(), source.company_id
        if not moves:
            raise UserError(self.env._("Choose at least one invoice for %(payment)s.", payment=name))
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
                    payment=name,
                )
            )
        closed = moves.filtered(lambda m: m.currency_id.is_zero(m.amount_residual))
        if len(closed) == 1:
            raise UserError(self.env._("%(document)s is already settled.", document=closed.name))
        if closed:
            raise UserError(
                self.env._("%(documents)s are already settled.", documents=", ".join(closed.mapped("name")))
            )
        if len(moves.currency_id) > 1:
            raise UserError(self.env._("The invoices %(payment)s pays must all be in one currency.", payment=name))

    @api.model
    def _check_amounts(self, moves, amounts, currency):
        """Check each allocation's amount; return the invoices paid in part, if any.

        Several invoices may be paid in part by one payment (a remittance advice with deductions on several of
        them): ``_check_allocations`` then requires the payment to bring exactly what they take together, and
        ``_reconcile`` gives each exactly its amount (``_reconcile_capped``).
        """
        partial = moves.browse()
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
                    self.env._(
                        "%(invoice)s is open for %(open)s only.",
                        invoice=move.name,
                        open=formatLang(self.env, move.amount_residual, currency_obj=currency),
                    )
                )
            if currency.compare_amounts(amount, move.amount_residual) < 0:
                partial |= move
        return partial

    # ------------------------------------------------------------------ apply

    @api.model
    def _check_and_apply(self, application, nowait=False):
        """Resolve the customer of a person's ``application``, check it (``_billing_check_applicable``), then
        reconcile it at once (``_apply``). :return: (partials created, write-off move or empty recordset)"""
        source = application.source
        moves = self.env["account.move"].browse(application.move_ids)
        application.customer = source._billing_customer(moves, application.customer)
        source._billing_check_applicable(
            moves, dict(application.allocations), application.writeoff, customer=application.customer
        )
        return self._apply(application, nowait)

    @api.model
    def _apply(self, application, nowait=False):
        """Reconcile one checked application (``_billing_check_applicable``) at once, after locking its rows.

        :param nowait: refuse at once (LockNotAvailable) when another transaction holds one of the rows.
        :return: (account.partial.reconcile created, write-off move or empty recordset)
        """
        moves = self.env["account.move"].browse(application.move_ids)
        lines = application.source.move_id.line_ids | self.env["account.move.line"].union(
            *self._receivable_lines(moves).values()
        )
        self.env.cr.execute(
            SQL(
                "SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE %s",
                tuple(lines.ids),
                SQL("NOWAIT") if nowait else SQL(),
            )
        )
        return self._reconcile([application])[0]

    @api.model
    def _lock(self, batch):
        """Lock the journal items of every application; those another transaction holds are skipped.

        :return: (applications locked, applications skipped)
        """
        if not batch:
            return [], []
        moves = self.env["account.move"].browse({move_id for app in batch for move_id in app.move_ids})
        by_move = self._receivable_lines(moves)
        empty = self.env["account.move.line"]
        groups = [
            app.source.move_id.line_ids.ids + [line.id for m in app.move_ids for line in by_move.get(m, empty)]
            for app in batch
        ]
        all_ids = tuple({line_id for group in groups for line_id in group})
        self.env.cr.execute(SQL("SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE SKIP LOCKED", all_ids))
        locked = {row[0] for row in self.env.cr.fetchall()}
        kept, skipped = [], []
        for app, group in zip(batch, groups, strict=True):
            (kept if set(group) <= locked else skipped).append(app)
        return kept, skipped

    @api.model
    def _apply_batch(self, batch):
        """Reconcile a batch of locked, checked applications in one reconciliation plan, inside a savepoint.

        A batch that fails is retried application by application, so only the faulty ones are left out, whole.

        :return: [(partials created, write-off move) or the error message] per application
        """
        try:
            with self.env.cr.savepoint():
                return self._reconcile(batch)
        except (UserError, psycopg2.Error) as error:
            raise_concurrency(error)  # another transaction's doing, no application's: the whole call is retried
            if len(batch) == 1:
                return [str(error.args[0])]
        results = []
        for application in batch:
            results += self._apply_batch([application])
        return results

    @api.model
    def _reconcile(self, batch):
        """Reconcile each application's allocations for their amounts, in one ``_reconcile_plan``.

        Per source the plan pairs each invoice (fully paid ones first, the one paid in part last) with, in turn, the
        credit notes, the source and the write-off: Odoo reconciles the pairs in that order, each for what is left on
        both sides, so every invoice takes exactly its allocation and the write-off lands on the invoice left short.

        A pair cannot cap what it reconciles, so an application paying several invoices in part (a remittance
        advice with deductions on several of them) has only its other invoices in the plan; then each invoice paid
        in part takes exactly its amount from what is left (``_reconcile_capped``).

        :return: [(partials created, write-off move or empty recordset)] per application
        """
        Line = self.env["account.move.line"]
        by_model = self._by_source_model(batch)
        for model, applications in by_model.items():
            self.env[model]._billing_before_reconcile(applications)
        writeoffs = self._book_writeoffs(batch)
        moves = self.env["account.move"].browse({move_id for app in batch for move_id in app.move_ids})
        by_move = self._receivable_lines(moves | self.env["account.move"].union(*(a.source.move_id for a in batch)))
        splits = [self._split_invoices(app) for app in batch]  # read before reconciling changes the residuals
        plans, groups = [], []
        for app, (_writeoff_move, writeoff_line), split in zip(batch, writeoffs, splits, strict=True):
            plan, group = self._plan(app, writeoff_line, by_move, split)
            plans.append(plan)
            groups.append(group)
        all_lines = Line.union(*groups)
        before = {line.id: line.matched_debit_ids | line.matched_credit_ids for line in all_lines}
        # Reconciling moves residual amounts and creates partials; it never changes an invoice's lines. So the
        # invoice-line sync around it is skipped, as Odoo's register-payment wizard does: in bulk it took about half
        # of the reconciliation time. The balance check still runs.
        synced = Line.with_context(skip_invoice_sync=True)
        prefetch = tuple(all_lines.ids)  # one prefetch set: Odoo reads the pairs' lines in a few queries
        # Linked first, so the fields that depend on the link are recomputed once, with the reconciliation's.
        for model, applications in by_model.items():
            self.env[model]._billing_link(applications)
        synced._reconcile_plan([[pair.with_env(synced.env).with_prefetch(prefetch) for pair in plan] for plan in plans])
        for app, split in zip(batch, splits, strict=True):
            if split:
                self._reconcile_capped(app, split, by_move)
        results = []
        for group, (writeoff_move, _writeoff_line) in zip(groups, writeoffs, strict=True):
            previous = self.env["account.partial.reconcile"].union(*(before[line.id] for line in group))
            results.append(((group.matched_debit_ids | group.matched_credit_ids) - previous, writeoff_move))
        return results

    @api.model
    def _by_source_model(self, batch):
        """{source model: its applications of ``batch``}, in the batch's order."""
        by_model = {}
        for app in batch:
            by_model.setdefault(app.source._name, []).append(app)
        return by_model

    @api.model
    def _plan(self, application, writeoff_line, by_move, split=None):
        """The reconciliation pairs of one application, in order, and all its journal items.

        :param split: the invoices paid in part left out of the pairs (``_split_invoices``); their items are in the
            journal items returned all the same.
        """
        Line = self.env["account.move.line"]
        moves = self.env["account.move"].browse(application.move_ids)
        amounts = dict(application.allocations)
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        credits = [by_move.get(m.id, Line) for m in moves - invoices]
        credits.append(by_move.get(application.source.move_id.id, Line))
        credits.append(writeoff_line)
        split = split or moves.browse()
        invoices = (invoices - split).sorted(
            lambda m: m.currency_id.compare_amounts(amounts[m.id], m.amount_residual) < 0
        )
        debits = [by_move.get(m.id, Line) for m in invoices]
        plan = [debit | credit for debit in debits for credit in credits if debit and credit]
        return plan, Line.union(*debits, *credits, *(by_move.get(m.id, Line) for m in split))

    @api.model
    def _split_invoices(self, application):
        """The invoices ``application`` pays in part when they are several (one paid in part is the plan's)."""
        amounts = dict(application.allocations)
        moves = self.env["account.move"].browse(application.move_ids)
        partial = moves.filtered(
            lambda m: (
                m.move_type == "out_invoice" and m.currency_id.compare_amounts(amounts[m.id], m.amount_residual) < 0
            )
        )
        return partial if len(partial) > 1 else moves.browse()

    @api.model
    def _reconcile_capped(self, application, invoices, by_move):
        """Give each of ``invoices`` exactly its allocation, from the application's credit notes left, then its source.

        Odoo's own computation of one partial (``_prepare_reconciliation_single_partial``: rates, exchange
        differences) on the invoice's receivable capped to the amount; the partials are created at once, with their
        exchange difference entries and cash-basis entries as ``_reconcile_plan`` makes them. Nothing here is read
        from the context a client sends.

        :raise UserError: when the credits left cannot pay an invoice its amount (the checks make that impossible).
        """
        Line = self.env["account.move.line"]
        moves = self.env["account.move"].browse(application.move_ids)
        credit_lines = Line.union(
            *(by_move.get(m.id, Line) for m in moves.filtered(lambda m: m.move_type == "out_refund")),
            by_move.get(application.source.move_id.id, Line),
        )
        credits = [
            {
                "aml": line,
                "amount_residual": line.amount_residual,
                "amount_residual_currency": line.amount_residual_currency,
            }
            for line in credit_lines
            if not line.reconciled
        ]
        disabled = self.env["ir.config_parameter"].sudo().get_param("account.disable_partial_exchange_diff")
        Line = Line.with_context(no_exchange_difference=bool(disabled), no_exchange_difference_no_recursive=False)
        results = []
        for invoice in invoices:
            results += self._capped_partials(application, invoice, by_move.get(invoice.id, Line), credits, Line)
        partials = self.env["account.partial.reconcile"].create([result["partial_values"] for result in results])
        exchanges = [
            (partial, result["exchange_values"])
            for partial, result in zip(partials, results, strict=True)
            if result.get("exchange_values") and result["exchange_values"]["move_values"]["line_ids"]
        ]
        if exchanges:
            created = Line._create_exchange_difference_moves([values for _partial, values in exchanges])
            for (partial, _values), move in zip(exchanges, created, strict=True):
                partial.exchange_move_id = move
        if partials and application.source.company_id.tax_exigibility:
            partials._create_tax_cash_basis_moves()
        return partials

    @api.model
    def _capped_partials(self, application, invoice, lines, credits, Line):
        """Odoo's partial values giving ``invoice`` (its receivable ``lines``) exactly its allocation from ``credits``
        (consumed as they are used), the items due first first."""
        amount = dict(application.allocations)[invoice.id]
        currency, remaining, results = invoice.currency_id, amount, []
        for line in lines.sorted(lambda aml: (aml.date_maturity or aml.date, aml.id)):
            cap = min(remaining, line.amount_residual_currency)
            if currency.compare_amounts(cap, 0.0) <= 0:
                break
            debit = {"aml": line, "amount_residual_currency": cap, "amount_residual": self._capped_balance(line, cap)}
            for credit in credits:
                result = Line._prepare_reconciliation_single_partial(debit, credit)
                if result.get("partial_values"):
                    results.append(result)
                if result["debit_values"] is None:
                    remaining -= cap
                    break
        if not currency.is_zero(remaining):
            raise UserError(
                self.env._(
                    "%(payment)s does not bring the %(amount)s it should pay on %(invoice)s.",
                    payment=application.source._billing_label(),
                    invoice=invoice.name,
                    amount=formatLang(self.env, amount, currency_obj=currency),
                )
            )
        return results

    @api.model
    def _capped_balance(self, line, amount):
        """``amount`` of ``line``'s currency in the company's, at the line's own rate (the one Odoo reconciles at)."""
        if line.currency_id == line.company_currency_id or line.currency_id.is_zero(line.amount_residual_currency):
            return amount
        return line.company_currency_id.round(line.amount_residual * amount / line.amount_residual_currency)

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

    # ------------------------------------------------------------------ write-offs

    @api.model
    def _book_writeoffs(self, batch):
        """Book the write-offs of the batch in one journal entry: per application, the entry of
        ``_prepare_writeoff_vals`` (a receivable line and a difference line). One entry, not one each: naming and
        posting an entry costs more than all its lines.

        :return: [(the entry, the application's receivable write-off line) or two empty recordsets] per application
        """
        Move, Line = self.env["account.move"], self.env["account.move.line"]
        moves_vals, positions = [], []
        for position, app in enumerate(batch):
            moves = Move.browse(app.move_ids)
            if app.writeoff and not moves.currency_id[:1].is_zero(app.writeoff):
                # The invoice left short: the one paid last (the full ones are settled first).
                invoice = moves.filtered(lambda m: m.move_type == "out_invoice")[-1:]
                account, journal, label = self._billing_writeoff_target(app, invoice)
                moves_vals.append(
                    self._prepare_writeoff_vals(invoice, app.writeoff, app.source.date, label, account, journal)
                )
                positions.append(position)
        result = [(Move, Line)] * len(batch)
        if not moves_vals:
            return result
        vals = dict(moves_vals[0], line_ids=[command for v in moves_vals for command in v["line_ids"]])
        if len(moves_vals) > 1:
            vals.update(ref=self.env._("Payment differences of the automatic matching run"), partner_id=False)
        writeoff = Move.create(vals)
        writeoff.action_post()
        receivable = writeoff.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
        for position, line in zip(positions, receivable.sorted("id"), strict=True):
            result[position] = (writeoff, line)
        return result

    @api.model
    def _billing_writeoff_target(self, application, invoice):
        """(account, journal, label) of the write-off of ``application`` on ``invoice``: the payment difference
        account here; a fee rule's account (``models/billing_match_fee_matching.py``)."""
        account, journal = self._writeoff_defaults(application.source.company_id)
        label = self.env._(
            "Payment difference %(payment)s / %(invoice)s", payment=application.source.name, invoice=invoice.name
        )
        return account, journal, label

    @api.model
    def _writeoff_defaults(self, company):
        """The account and journal of payment differences."""
        account = company.billing_match_writeoff_account_id or company.billing_writeoff_account_id
        if not account:
            raise UserError(self.env._("Set the payment difference account in the Billing settings."))
        return account, self._writeoff_journal(company)

    # ------------------------------------------------------------------ the cash-application act, and its undo

    @api.model
    def _apply_applications(self, run, applications, line_vals=(), batch_size=500, progress=False):
        """Apply ``applications`` and record them in ``run`` (``billing.match.run``): the one way cash is applied.

        A person's (a manual run: the review screen, a remittance advice): in their order, each one's customer
        resolved, checked, its rows locked at once (``NOWAIT``), reconciled with its write-off, then the hook after
        applying; all or nothing: the first refused raises ``ApplicationRefused`` and nothing is applied. What they
        applied teaches the matching at once.

        The automatic run's (checked by its triage, ``billing.match.run._prepare_applications``): rows another
        transaction holds are skipped (``SKIP LOCKED``), the others reconciled in batches of ``batch_size`` inside
        savepoints (one refused is recorded as an error, whole); then the hook after applying. Learning waits for the
        company's days without undo (``billing.match.habit._cron_learn``).

        :param line_vals: the run lines of the sources the caller did not apply, recorded with the others.
        :return: the run lines created (``_undo`` is the mirror).
        """
        line_vals = list(line_vals)
        if run.mode == "manual":
            applied = [(app, self._apply_by_hand(app)) for app in applications]
        else:
            applied = self._apply_automatic(applications, line_vals, batch_size, progress)
            self._billing_after_apply([app for app, result in applied if not isinstance(result, str)])
        line_vals += [self._result_vals(app, result) for app, result in applied]
        lines = run._record_lines(line_vals)
        if run.mode == "manual":
            self.env["billing.match.habit"]._learn(lines)  # applied by a person: confirmed at once
            run.sudo().learned = True
        return lines

    @api.model
    def _apply_by_hand(self, application):
        """Check and apply a person's ``application`` now, then the hook after applying; :return: the result.

        :raise ApplicationRefused: naming the application, when it is refused or another transaction holds its rows.
        """
        try:
            result = self._check_and_apply(application, nowait=True)
            self._billing_after_apply([application])
        except (UserError, psycopg2.errors.LockNotAvailable) as error:
            raise ApplicationRefused(application, error) from error
        return result

    @api.model
    def _apply_automatic(self, applications, line_vals, batch_size, progress):
        """Lock and reconcile the automatic run's checked ``applications`` in batches; the skipped ones are added
        to ``line_vals``. :return: [(application, (partials, write-off move) or the error message)]"""
        # Bulk run: the run's own lines are the audit trail, so the per-document tracking messages are skipped.
        Apply = self.with_context(tracking_disable=True, mail_notrack=True)
        ready, skipped = Apply._lock(applications)
        line_vals += [
            {**app.vals, "outcome": "skipped", "reasons": self.env._("held by another user or run")} for app in skipped
        ]
        applied = []
        for start in range(0, len(ready), batch_size):
            batch = ready[start : start + batch_size]
            applied += zip(batch, Apply._apply_batch(batch), strict=True)
            done = min(start + batch_size, len(ready))
            if progress:
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(ready) - done)  # no-op outside the cron
        return applied

    @api.model
    def _line_vals(self, source, allocations, writeoff=0.0, moves=None):
        """What a run line records of an application before it is applied: the source, the invoices' currency, the
        write-off and the allocations (``moves``: the allocations' invoices, when the caller has them at hand)."""
        moves = moves if moves is not None else self.env["account.move"].browse([m for m, _amount in allocations])
        return {
            source._billing_source_field: source.id,
            "currency_id": moves.currency_id[:1].id,
            "writeoff": writeoff,
            "allocation_ids": [
                Command.create({"move_id": move.id, "amount": amount, "currency_id": move.currency_id.id})
                for move, (_id, amount) in zip(moves, allocations, strict=True)
            ],
        }

    @api.model
    def _result_vals(self, application, result):
        """The run line of an application once applied (``result``: partials and write-off move) or refused (the
        error message)."""
        vals = application.vals
        if "allocation_ids" not in vals:
            vals = {
                **self._line_vals(application.source, application.allocations, application.writeoff),
                **vals,
            }
        if isinstance(result, str):
            return {**vals, "outcome": "error", "reasons": result}
        partials, writeoff_move = result
        return {
            **vals,
            "outcome": "applied",
            "partial_ids": [Command.set(partials.ids)],
            "partial_count": len(partials),
            "writeoff_move_id": writeoff_move.id,
        }

    @api.model
    def _billing_after_apply(self, applications):
        """Hook: ``applications`` were applied (reconciled, their write-offs booked). Short payments open their
        dispute case (``models/billing_short_payment.py``), remittance advices are marked applied and open their
        deduction cases (``models/billing_remittance_matching.py``). Undone by ``_billing_after_undo``."""

    @api.model
    def _billing_after_undo(self, run_lines):
        """Hook: the applied ``run_lines`` (``billing.match.run.line``) were taken back by ``_undo``."""

    @api.model
    def _undo(self, run):
        """Take back exactly what ``run`` applied, as one operation: ``_apply_applications`` step by step, mirrored.

        The checks (``_check_undoable``: refused, naming the item, when a reconciliation or write-off the run recorded
        was changed since), the reconciliations removed, each source back as before applying
        (``_billing_after_unreconcile``: a bank line's amount back to suspense), the write-offs cancelled, the hook
        (``_billing_after_undo``), and what the run taught the matching taken back, once.
        """
        applied = run.line_ids.filtered(lambda line: line.outcome == "applied")
        applied._check_undoable(applied.partial_ids)
        # Undone first: the reconciliations removed below are the run's own, not taken back by hand (see
        # ``account.partial.reconcile.unlink``, which un-learns those).
        run.sudo().write({"state": "undone", "undone_by_id": self.env.uid, "undone_date": fields.Datetime.now()})
        applied.partial_ids.exists().unlink()  # unlinking one may take its exchange partial along
        for model in self.env["billing.payment.source"]._billing_source_models():
            applied.mapped(model._billing_source_field)._billing_after_unreconcile()
        writeoffs = applied.writeoff_move_id.filtered(lambda move: move.state == "posted")
        if writeoffs:
            writeoffs.button_draft()
            writeoffs.button_cancel()
        self._billing_after_undo(applied)
        self.env["billing.match.habit"]._unlearn(run.line_ids)  # what its matches taught, if anything
