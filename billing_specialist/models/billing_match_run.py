import time
import zlib

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .billing_matcher import BillingMatcher
from .billing_payment_apply import Application

OUTCOMES = [
    ("applied", "Applied"),
    ("proposed", "Left for Review"),
    ("unmatched", "No Proposal"),
    ("skipped", "Skipped"),
    ("error", "Error"),
]


# pg_try_advisory_xact_lock(PLAN_LOCK_KEY, company id): one large run of a company planned at a time.
PLAN_LOCK_KEY = zlib.crc32(b"billing.match.run.plan") & 0x7FFFFFFF
COUNTS = ("source_count", "applied_count", "proposed_count", "unmatched_count", "skipped_count", "kept_count")


class BillingMatchHistory(models.AbstractModel):
    """A run, its lines and allocations are history: only the run itself (as superuser, ``sudo()``) writes them."""

    _name = "billing.match.history"
    _inherit = ["billing.history.mixin"]
    _description = "Payment Matching History"

    @api.model
    def _history_writer(self):
        return self.env._("the matching run")


class BillingMatchRun(models.Model):
    """One cash-application run: who, when, how long, what it did, and its undo.

    Automatic runs are the engine's (button, scheduled action); manual runs record what a person applied on the
    review screen (``billing.match.review``), with the same history and undo.
    """

    _name = "billing.match.run"
    _inherit = ["billing.match.history", "billing.run.chunked.mixin"]
    _description = "Payment Matching Run"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", readonly=True, default=lambda self: self.env.user)
    date = fields.Datetime(readonly=True, default=fields.Datetime.now)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    threshold = fields.Integer(readonly=True)
    state = fields.Selection(
        [
            ("running", "In Progress"),
            ("done", "Done"),
            ("partial", "Partly Done"),
            ("cancelled", "Cancelled"),
            ("undone", "Undone"),
        ],
        default="done",
        readonly=True,
        help="In progress: a large run whose chunks are still being processed (see the Chunks tab). Partly done: a "
        "billing manager cancelled the rest; what its chunks applied stays (and can be undone). Cancelled: the rest "
        "cancelled before any chunk was done.",
    )
    mode = fields.Selection(
        [("automatic", "Automatic"), ("manual", "Manual")],
        default="automatic",
        required=True,
        readonly=True,
        help="Automatic: applied by the engine at or above the threshold. Manual: applied by a person on the review "
        "screen.",
    )
    line_ids = fields.One2many("billing.match.run.line", "run_id", readonly=True)
    chunk_ids = fields.One2many("billing.run.chunk", "match_run_id", string="Chunks", readonly=True)
    source_count = fields.Integer(string="Payments and Bank Lines", compute="_compute_counts", store=True)
    applied_count = fields.Integer(string="Applied", compute="_compute_counts", store=True)
    proposed_count = fields.Integer(string="Left for Review", compute="_compute_counts", store=True)
    unmatched_count = fields.Integer(string="No Proposal", compute="_compute_counts", store=True)
    skipped_count = fields.Integer(string="Skipped or Failed", compute="_compute_counts", store=True)
    kept_count = fields.Integer(
        string="Applied and Kept",
        compute="_compute_counts",
        store=True,
        help="Applied by the run and not undone: summed over runs, each payment counts once (a source left for "
        "review is tried again by the next run, so sources and leftovers are not summed).",
    )
    left_count = fields.Integer(string="Left to Review", compute="_compute_left_count")
    undone_by_id = fields.Many2one("res.users", readonly=True)
    undone_date = fields.Datetime(string="Undone On", readonly=True)
    learned = fields.Boolean(
        readonly=True,
        help="What the run applied has taught the matching its customers' habits (a manual run at once, an "
        "automatic one after the company's days without undo); undoing the run takes it back.",
    )

    @api.depends("date", "company_id", "mode")
    def _compute_name(self):
        for run in self:
            # In the user's time zone (context_timestamp): the hour they see everywhere else, not UTC's.
            when = fields.Datetime.context_timestamp(run, run.date or fields.Datetime.now())
            date = when.strftime("%Y-%m-%d %H:%M:%S")
            run.name = (
                self.env._("Manual matching %(date)s", date=date)
                if run.mode == "manual"
                else self.env._("Matching run %(date)s", date=date)
            )

    @api.depends("line_ids.outcome", "state")
    def _compute_counts(self):
        # Counted in the database: a large run's chunks each add lines, and reading them all again each time would
        # make the run quadratic in its size.
        counts = {}
        if self.ids:
            Line = self.env["billing.match.run.line"].sudo()
            for run, outcome, count in Line._read_group(
                [("run_id", "in", self.ids)], ["run_id", "outcome"], ["__count"]
            ):
                counts.setdefault(run.id, {})[outcome] = count
        for run in self:
            outcomes = counts.get(run.id, {})
            run.source_count = sum(outcomes.values())
            run.applied_count = outcomes.get("applied", 0)
            run.proposed_count = outcomes.get("proposed", 0)
            run.unmatched_count = outcomes.get("unmatched", 0)
            run.skipped_count = outcomes.get("skipped", 0) + outcomes.get("error", 0)
            run.kept_count = run.applied_count if run.state in ("done", "partial") else 0

    def _left_sources(self):
        """The run's sources still waiting to be applied: those it did not apply (all of them once undone)."""
        self.ensure_one()
        lines = (
            self.line_ids if self.state == "undone" else self.line_ids.filtered(lambda rec: rec.outcome != "applied")
        )
        return [
            source
            for model in self.env["billing.payment.source"]._billing_source_models()
            for source in lines.mapped(model._billing_source_field) & model._billing_pending(self.company_id)
        ]

    def _compute_left_count(self):
        for run in self:
            run.left_count = len(run._left_sources())

    def action_review_left(self):
        """The review screen on the sources this run left."""
        self.ensure_one()
        return self.env["billing.match.review"]._action_open(
            self.company_id, self._left_sources(), name=self.env._("Still to match after %(run)s", run=self.name)
        )

    @api.model
    def _create_manual(self, company):
        """A manual run to record what a person applies (``billing.payment.apply._apply_applications``)."""
        # sudo: the run and its lines are history that clients cannot write (see ``_check_written_by_run``).
        run = self.sudo().create(
            {"company_id": company.id, "threshold": company.billing_match_threshold, "mode": "manual"}
        )
        return run.with_env(self.env)

    def _record_lines(self, line_vals):
        """Create this run's lines (as superuser: they are history) in one go; :return: them."""
        self.ensure_one()
        run = self.sudo()
        # A large run's chunks run side by side (queue jobs): its counts are computed once, when it is done; each
        # chunk updating the run's row would make chunks finishing together fail on a concurrent update.
        counts = [self._fields[name] for name in COUNTS] if self.state == "running" else []
        # Their run and company given, not computed from the run after the INSERT: that UPDATE joined each 100 rows
        # with the whole table (a sequential scan of the run lines and allocations, 100,000 at the end of a large run).
        company = {"company_id": self.company_id.id}
        for vals in line_vals:
            vals.update(company, run_id=self.id)
            for command in vals.get("allocation_ids", ()):
                command[2].update(company)
        with self.env.protecting(counts, run):
            lines = self.env["billing.match.run.line"].sudo().create(line_vals)
            self.env.flush_all()
        return lines

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

        Safe by construction: only proposals at or above the threshold are applied, each allocation for the amount
        the engine proposed, a difference only within the tolerance; one invoice is never given to two payments of
        the same run; rows another transaction holds are skipped (``SKIP LOCKED``), never waited for or applied
        twice; each batch is reconciled in one go inside a savepoint, and a batch that fails is retried payment by
        payment so one bad payment cannot take the others down or leave half of itself. The applying itself is
        ``billing.payment.apply``'s, with the user's rights; the run only records it.
        """
        company = company or self.env.company
        running = self.sudo().search([("company_id", "=", company.id), ("state", "=", "running")], limit=1)
        if running:  # its chunks wait: a second run would plan the same customers' sources again
            raise UserError(
                self.env._(
                    "%(run)s of %(company)s is still in progress; start a new run once it is done.",
                    run=running.name,
                    company=company.sudo().display_name,
                )
            )
        started = time.perf_counter()
        threshold = company.billing_match_threshold
        if payments is None and statement_lines is None:
            payments = self.env["account.payment"]._billing_pending(company)
            statement_lines = self.env["account.bank.statement.line"]._billing_pending(company)
        sources = list(payments or []) + list(statement_lines or [])
        size = self.env["billing.run.chunk"]._billing_chunk_size()
        if len(sources) > size:  # before indexing: another run committed meanwhile is not seen by this transaction
            self._lock_planning(company)
        matcher = BillingMatcher(self.env, company)
        # sudo: the run and its lines are history that clients cannot write (see ``_check_written_by_run``).
        run = self.sudo().create({"company_id": company.id, "threshold": threshold})
        if len(sources) > size:  # a large run: in chunks by customer, each committed on its own (see _plan_chunks)
            run.with_env(self.env)._plan_chunks(matcher, sources, size)
        else:  # applied with the user's rights; the run records as superuser
            run.with_env(self.env)._match_sources(matcher, sources, batch_size, progress=True)
        run.duration = time.perf_counter() - started
        return run.with_env(self.env)

    @api.model
    def _lock_planning(self, company):
        """Hold the company's planning lock until the transaction ends; refuse when another transaction plans.

        Two *Run Now* at once (or with the hourly action) each saw no run in progress (the other's not committed
        yet) and planned the same customers' sources in two runs."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", PLAN_LOCK_KEY, company.id))
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "A run of %(company)s is being planned; try again once it is in progress.",
                    company=company.sudo().display_name,
                )
            )

    def _match_sources(self, matcher, sources, batch_size=500, progress=False, customers=None, read=False):
        """Propose, apply what may be applied and record a line per source in this run (its lines are added).

        :param customers: a customer chunk's customers: what would be applied for another is left for review.
        :param read: the caller has just read ``sources`` with ``matcher.read_sources``.
        """
        self.ensure_one()
        line_vals, ready = self._prepare_applications(matcher, sources, self.threshold, customers, read)
        self.env["billing.payment.apply"]._apply_applications(self, ready, line_vals, batch_size, progress)

    # ------------------------------------------------------------------ chunks (large runs)

    def _plan_chunks(self, matcher, sources, size):
        """Split this run's sources into chunks by customer (``billing.run.chunk``) and have them processed.

        Each customer chunk gets the hints its restricted index needs (``BillingMatcher.chunk_hints``), computed
        here on the whole ledger's index, so its proposals are those of a run in one go.
        """
        self.ensure_one()
        by_customer, rest = {}, []
        customers = {}  # {(model, id): customer}, read by partner (not source by source: 100,000 of them)
        for model in {source._name for source in sources}:
            ids = [source.id for source in sources if source._name == model]
            for partner, source_ids in self.env[model]._read_group(
                [("id", "in", ids)], ["partner_id"], ["id:array_agg"]
            ):
                customers.update(((model, source_id), partner.commercial_partner_id.id) for source_id in source_ids)
        for source in sources:
            customer = customers.get((source._name, source.id))
            if customer:
                by_customer.setdefault(customer, []).append(source)
            else:
                rest.append(source)
        # A bank line naming no customer that the whole ledger's index surely applies for one customer goes in that
        # customer's chunk; only the others wait for the "no customer" chunks (each indexes the whole ledger, one
        # after the other, after all the others).
        matcher.read_sources(rest)
        unplanned = []
        for source in rest:
            customer = matcher.planned_customer(source, self.threshold)
            if customer:
                by_customer.setdefault(customer, []).append(source)
            else:
                unplanned.append(source)
        rest = unplanned
        self._billing_write_running({"state": "running"})  # the database's one large run per company
        chunks = self.env["billing.run.chunk"]._billing_plan(self, by_customer, rest, size, hints=matcher.chunk_hints)
        chunks._billing_dispatch()
        return chunks

    def _billing_chunk_process(self, chunk):
        """Match a chunk's sources still pending (a source the run already recorded is not tried again)."""
        self.ensure_one()
        sources = chunk._billing_sources()
        by_field = {
            model._billing_source_field: model.browse([s.id for s in sources if s._name == model._name]).exists()
            for model in self.env["billing.payment.source"]._billing_source_models()
        }
        lines = (
            self.env["billing.match.run.line"]
            .sudo()
            .search_fetch(
                [  # the run's lines of these sources only
                    ("run_id", "=", self.id),
                    *["|"] * (len(by_field) - 1),
                    *[(field, "in", records.ids) for field, records in by_field.items()],
                ],
                list(by_field),
            )
        )
        existing = {(records._name, rec_id) for records in by_field.values() for rec_id in records.ids}
        recorded = {field: set(lines.mapped(field).ids) for field in by_field}
        sources = [
            source
            for source in sources
            if (source._name, source.id) in existing
            and source.id not in recorded[source._billing_source_field]
            and not source._billing_done()
        ]
        if chunk.kind == "customer":
            matcher = BillingMatcher(self.env, self.company_id, hints=chunk.hints)
        else:  # the whole ledger; the customers its lines name or pay from known even if paid since planning
            matcher = BillingMatcher(self.env, self.company_id, known=chunk.hints)
        read = matcher.read_sources(sources)
        sources = [
            source for source in sources if not source._billing_currency().is_zero(read[source._name, source.id].amount)
        ]
        customers = set(chunk.partner_ids) if chunk.kind == "customer" else None
        self._match_sources(matcher, sources, customers=customers, read=True)

    def _billing_chunks_finished(self):
        """Every chunk is done: the run is done, its duration the planning's plus its chunks'."""
        self.sudo().write({"state": "done", "duration": self.duration + sum(self.chunk_ids.mapped("duration"))})

    def _billing_chunks_cancelled(self, partly):
        """The rest cancelled by a billing manager: partly done (what its chunks applied stays, undoable), or
        cancelled when no chunk was done."""
        self.sudo().write(
            {
                "state": "partial" if partly else "cancelled",
                "duration": self.duration + sum(self.chunk_ids.mapped("duration")),
            }
        )

    @api.model
    def _prepare_applications(self, matcher, sources, threshold, customers=None, read=False):
        """The run's triage: the run line values of the sources not to apply, and the checked applications of the
        others (``billing.payment.apply._apply_applications`` applies them).

        Applied: a proposal at or above the threshold, for a customer of the chunk (``customers``), whose invoices no
        source before it in this run takes, that passes the automatic checks (amounts, tolerance, lock dates).

        :param read: the caller has just read ``sources`` with ``matcher.read_sources``.
        """
        line_vals, ready, taken = [], [], {}
        matcher.read_sources(sources, reuse=read)
        proposed = [(source, matcher.propose(source)) for source in sources]
        # One prefetch set for every invoice proposed, so the checks below read them in a few queries, not one each.
        prefetch = tuple(
            {
                allocation.item_id
                for _source, proposals in proposed
                if proposals
                for allocation in proposals[0].allocations
            }
        )
        for source, proposals in proposed:
            vals = {source._billing_source_field: source.id, "partner_id": source.partner_id.id}
            if not proposals:
                line_vals.append(
                    {**vals, "outcome": "unmatched", "reasons": self.env._(matcher.explain_no_proposal(source))}
                )
                continue
            application = self._triage(source, proposals[0], vals, prefetch, threshold, customers, taken)
            if isinstance(application, dict):
                line_vals.append(application)
                continue
            taken.update(dict.fromkeys(application.move_ids, source.display_name))
            ready.append(application)
        return line_vals, ready

    @api.model
    def _triage(self, source, best, vals, prefetch, threshold, customers, taken):
        """The checked application of ``source``'s ``best`` proposal, or its run line values when it is not applied
        (left for review, or refused by the checks)."""
        allocations = [(allocation.item_id, allocation.amount) for allocation in best.allocations]
        moves = self.env["account.move"].browse([move_id for move_id, _amount in allocations]).with_prefetch(prefetch)
        vals = {
            **vals,
            **self.env["billing.payment.apply"]._line_vals(source, allocations, best.writeoff, moves),
            **self.env["billing.payment.source"]._billing_proposal_vals(best),
            "partner_id": best.partner_id or vals["partner_id"],
            "confidence": best.confidence,
            "reasons": best.explain(self.env._),
        }
        if not best.applies(threshold):  # evidence that disagrees waits for a person
            return {**vals, "outcome": "proposed"}
        if customers is not None and vals["partner_id"] not in customers:  # the ledger changed since planning
            return {
                **vals,
                "outcome": "proposed",
                "reasons": vals["reasons"] + self.env._("; planned for another customer: for review"),
            }
        clash = [move_id for move_id, _amount in allocations if move_id in taken]
        if clash:
            reason = self.env._("; also proposed for %(payment)s in this run", payment=taken[clash[0]])
            return {**vals, "outcome": "proposed", "reasons": vals["reasons"] + reason}
        customer = source._billing_proposed_customer(self.env["res.partner"].browse(vals["partner_id"]))
        try:
            source._billing_check_applicable(
                moves,
                dict(allocations),
                best.writeoff,
                customer,
                automatic=True,
                learned_fee=best.learned_fee,
                fee_rule=best.fee_rule_id,
            )
        except UserError as error:
            return {**vals, "outcome": "error", "reasons": str(error.args[0])}
        return Application(source, allocations, best.writeoff, customer, vals)

    @api.model
    def _cron_run(self):
        # A scheduled action runs with no language in its context: write the reasons in its user's language.
        runs = self.with_context(lang=self.env.context.get("lang") or self.env.user.lang)
        busy = self.sudo().search([("state", "=", "running")]).company_id  # a large run still in progress
        Company = self.env["res.company"]
        automatic = Company.search([("billing_match_auto", "=", True), *Company._billing_capability_domain("matching")])
        for company in automatic - busy:
            runs.with_company(company)._run_automatic(company)

    # ------------------------------------------------------------------ undo

    def action_undo(self):
        """Take back exactly what the run applied, as one operation (``billing.payment.apply._undo``).

        Refused, naming the item, when one of them was changed since (a reconciliation removed or redone by hand, a
        bank line or write-off reconciled with something else): the run cannot know what the user meant.
        """
        self.check_access("read")
        for run in self:
            if run.state in ("undone", "cancelled"):
                raise UserError(
                    self.env._("%(run)s was already undone or cancelled: nothing to take back.", run=run.name)
                )
            if run.chunk_ids.filtered(lambda chunk: chunk.state in ("pending", "running")):
                raise UserError(
                    self.env._("%(run)s is still in progress: undo it once its chunks are done.", run=run.name)
                )
            self.env["billing.payment.apply"]._undo(run)
        return True

    def action_run_now(self):
        self.check_access("read")  # billing users only: the run records itself as superuser
        run = self._run_automatic(self.env.company)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }


class BillingMatchRunLine(models.Model):
    _name = "billing.match.run.line"
    _inherit = ["billing.match.history"]
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
    currency_id = fields.Many2one("res.currency", help="The currency of the invoices proposed.")
    allocation_ids = fields.One2many("billing.match.run.allocation", "line_id", string="Allocations")
    writeoff = fields.Monetary(currency_field="currency_id")
    partial_ids = fields.Many2many("account.partial.reconcile", string="Reconciliations")
    partial_count = fields.Integer(help="How many reconciliations the run made: undo checks none is gone.")
    writeoff_move_id = fields.Many2one("account.move", string="Write-off Entry")
    undone = fields.Boolean(
        compute="_compute_status", help="Applied by the run, then taken back when the run was undone."
    )
    status = fields.Char(
        compute="_compute_status",
        help="The outcome at the time of the run; Undone when the run applied it and was undone since.",
    )
    undone_by_id = fields.Many2one(related="run_id.undone_by_id")
    undone_date = fields.Datetime(related="run_id.undone_date")
    invoice_ids = fields.Many2many("account.move", string="Invoices", compute="_compute_invoice_ids")
    invoice_names = fields.Char(string="Invoice Numbers", compute="_compute_invoice_ids")

    @api.depends("allocation_ids.move_id")
    def _compute_invoice_ids(self):
        for line in self:
            line.invoice_ids = line.allocation_ids.move_id
            line.invoice_names = ", ".join(line.invoice_ids.mapped("name"))  # full numbers, never cut

    @api.depends("outcome", "run_id.state")
    @api.depends_context("lang")
    def _compute_status(self):
        labels = dict(self._fields["outcome"]._description_selection(self.env))
        for line in self:
            line.undone = line.outcome == "applied" and line.run_id.state == "undone"
            line.status = self.env._("Undone") if line.undone else labels.get(line.outcome, "")

    def _item_name(self):
        self.ensure_one()
        return (self.payment_id or self.statement_line_id).display_name or self.env._("a deleted payment")

    def _check_undoable(self, recorded):
        """Refuse, naming the item, when what the run recorded (``recorded``: all its partials) was changed since."""
        for line in self:
            partials = line.partial_ids
            if len(partials) != line.partial_count:
                raise UserError(
                    self.env._(
                        "%(item)s was unreconciled or reconciled again since the run: undo cannot know what to take "
                        "back; change it by hand.",
                        item=line._item_name(),
                    )
                )
            receivable = self.env["account.move.line"]
            if line.statement_line_id:
                receivable |= line.statement_line_id.move_id.line_ids
            if line.writeoff_move_id:
                if line.writeoff_move_id.state != "posted":
                    raise UserError(
                        self.env._(
                            "The write-off %(entry)s of %(item)s is no longer posted; change it by hand.",
                            entry=line.writeoff_move_id.display_name,
                            item=line._item_name(),
                        )
                    )
                receivable |= line.writeoff_move_id.line_ids
            receivable = receivable.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
            if (receivable.matched_debit_ids | receivable.matched_credit_ids) - recorded:
                raise UserError(
                    self.env._(
                        "%(item)s was reconciled with other items since the run; undo it by hand.",
                        item=line._item_name(),
                    )
                )


class BillingMatchRunAllocation(models.Model):
    _name = "billing.match.run.allocation"
    _inherit = ["billing.match.history"]
    _description = "Payment Matching Run: Allocation"
    _order = "line_id, id"

    line_id = fields.Many2one("billing.match.run.line", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="line_id.company_id", store=True)
    move_id = fields.Many2one("account.move", string="Invoice", required=True, ondelete="cascade")
    currency_id = fields.Many2one("res.currency", required=True)
    amount = fields.Monetary(help="Proposed for the invoice; negative for a credit note.")


class BillingRunChunk(models.Model):
    """A matching run's chunks: the inverse of its Chunks tab."""

    # Each run type extends the chunk from its own file: the chunk model knows none of them (no merging).
    _inherit = "billing.run.chunk"  # pylint: disable=consider-merging-classes-inherited

    match_run_id = fields.Many2one("billing.match.run", ondelete="cascade", index="btree_not_null", readonly=True)
