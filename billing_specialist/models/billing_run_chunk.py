import logging
import time

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..exceptions import raise_concurrency

_logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 500
CHUNK_SIZE_PARAM = "billing_specialist.run_chunk_size"


class BillingRunChunk(models.Model):
    """A part of a large run (matching, follow-up or billing run): the sources of a few customers, at
    most the chunk size, processed in one transaction by the cron (which commits after each chunk) or as a
    ``queue_job`` job (``billing_specialist_queue``).

    No two chunks of a run touch one customer: a customer with more sources than the chunk size has its own chunks,
    each after the previous one (``after_id``); the sources naming no customer (``kind`` "rest") run last, once every
    customer chunk is done. A chunk is processed at most once: the row is locked while it runs and a done chunk is a
    no-op, so a retried job or a second cron never applies twice.

    The chunk knows no run type: it reaches its run through ``res_model`` and ``res_id``. A run type (a
    ``billing.run.chunked.mixin``) extends this model from its own file with the Many2one its ``chunk_ids`` is the
    inverse of, and implements ``_billing_chunk_process(chunk)`` (do and record the chunk's work in the run) and
    ``_billing_chunks_finished()`` (called when no chunk is left to do).
    """

    _name = "billing.run.chunk"
    _inherit = ["billing.history.mixin"]
    _description = "Run Chunk"
    _order = "res_model, res_id, sequence, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Run by", readonly=True, help="Whose rights the chunk runs with.")
    res_model = fields.Char(string="Run Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(string="Run", model_field="res_model", required=True, readonly=True)
    sequence = fields.Integer(readonly=True)
    kind = fields.Selection(
        [("customer", "Customers"), ("rest", "No Customer")],
        default="customer",
        required=True,
        readonly=True,
        help="Customers: the sources of the customers listed. No customer: the sources naming no customer, which may "
        "settle any customer's invoices; processed once every other chunk of the run is done.",
    )
    state = fields.Selection(
        [
            ("pending", "Waiting"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        readonly=True,
        help="Cancelled: a billing manager cancelled the rest of the run; the chunk was never applied.",
    )
    after_id = fields.Many2one(
        "billing.run.chunk",
        string="Waits For",
        readonly=True,
        ondelete="set null",
        help="Processed only once this chunk is done (the same customer's sources).",
    )
    # Not prefetched: reading the state of a run's chunks (which is ready, how many remain) must not load every
    # chunk's sources and hints (megabytes of JSON for a run of 100,000 sources).
    source_refs = fields.Json(readonly=True, prefetch=False, help='[["account.payment", id], ...]')
    partner_ids = fields.Json(readonly=True, prefetch=False, help="The customers whose sources the chunk holds.")
    hints = fields.Json(
        readonly=True, prefetch=False, help="What the chunk's restricted index needs besides its customers' items."
    )
    source_count = fields.Integer(string="Sources", readonly=True)
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    date_done = fields.Datetime(string="Done on", readonly=True)
    partner_names = fields.Char(
        string="Customers",
        compute="_compute_partner_names",
        help="The customers whose sources the chunk holds (the sources naming no customer come last).",
    )
    source_names = fields.Char(
        string="Holds",
        compute="_compute_source_names",
        help="The payments and bank lines in the chunk (the first few); a bank line naming no customer is marked so: "
        "it is in this customer's chunk because the memo, the amount or its bank account surely points to them.",
    )
    can_retry = fields.Boolean(
        compute="_compute_can_retry",
        help="Failed, its run in progress, and you may retry it (a billing manager, or who started the run).",
    )

    @api.depends("partner_ids", "kind")
    def _compute_partner_names(self):
        for chunk in self:
            if chunk.kind == "rest":
                chunk.partner_names = self.env._("Sources naming no customer (after all the others)")
                continue
            partners = self.env["res.partner"].sudo().browse(chunk.partner_ids or []).exists()
            chunk.partner_names = ", ".join(partners.mapped("display_name"))

    def _compute_source_names(self):
        """The first few sources' names, read in one query (a chunk's refs may be hundreds: not loaded whole)."""
        shown = 5
        heads = {}
        if self.ids:
            rows = self.env.execute_query(
                SQL(
                    "SELECT id, (SELECT jsonb_agg(ref) FROM (SELECT ref FROM jsonb_array_elements(source_refs) ref"
                    " LIMIT %s) head) FROM billing_run_chunk WHERE id IN %s",
                    shown,
                    tuple(self.ids),
                )
            )
            heads = dict(rows)
        wanted = {}
        for head in heads.values():
            for model, res_id in head or []:
                wanted.setdefault(model, set()).add(res_id)
        found = {  # every chunk's heads checked in one query per model, not one per source
            (model, record.id): record
            for model, ids in wanted.items()
            if model in self.env
            for record in self.env[model].sudo().browse(ids).exists()
        }
        for chunk in self:
            names, head = [], heads.get(chunk.id) or []
            for model, res_id in head:
                source = found.get((model, res_id))
                if not source:
                    continue
                name = source.display_name
                if chunk.kind == "customer" and model == "account.bank.statement.line" and not source.partner_id:
                    name = self.env._("%(line)s (names no customer)", line=name)
                names.append(name)
            more = chunk.source_count - len(head)
            if more > 0:
                names.append(self.env._("and %(count)s more", count=more))
            chunk.source_names = ", ".join(names)

    @api.depends("state", "user_id")
    @api.depends_context("uid")
    def _compute_can_retry(self):
        for chunk in self:
            chunk.can_retry = chunk._billing_may_retry() and chunk.state == "failed"

    def _billing_may_retry(self):
        """Whether the current user may retry the chunk: billing managers, or the user who started the run."""
        self.ensure_one()
        return self.env.user.has_group("billing_specialist.group_billing_manager") or self.user_id == self.env.user

    @api.model
    def _history_writer(self):
        return self.env._("its run")

    @api.model
    def _billing_chunk_size(self):
        """At most this many sources per chunk (system parameter ``billing_specialist.run_chunk_size``)."""
        value = self.env["ir.config_parameter"].sudo().get_param(CHUNK_SIZE_PARAM)
        try:
            return max(int(value), 1) if value else DEFAULT_CHUNK_SIZE
        except ValueError:
            return DEFAULT_CHUNK_SIZE

    # ------------------------------------------------------------------ planning

    @api.model
    def _billing_plan(self, run, by_customer, rest, size, hints=None):
        """Create the chunks of ``run``: ``by_customer`` {customer id: [source records]}, ``rest`` the sources naming
        no customer; ``hints(records, customer ids)`` gives a chunk's ``hints`` (None for a "no customer" one).
        :return: the chunks."""
        parts, current, current_partners = [], [], []
        for partner_id in sorted(by_customer):
            records = by_customer[partner_id]
            if len(records) > size:  # a large customer: its own chunks, one after the other
                parts += [
                    ([partner_id], records[start : start + size], bool(start)) for start in range(0, len(records), size)
                ]
                continue
            if len(current) + len(records) > size:
                parts.append((current_partners, current, False))
                current, current_partners = [], []
            current, current_partners = current + records, current_partners + [partner_id]
        if current:
            parts.append((current_partners, current, False))
        vals = {
            "company_id": run.company_id.id,
            "user_id": run.env.uid,
            "res_model": run._name,
            "res_id": run.id,
            **run._billing_chunk_link(),
        }
        chunks, previous = self.browse(), self.browse()
        for sequence, (partner_ids, records, chained) in enumerate(parts, start=1):  # numbered as users count
            previous = self.sudo().create(
                {
                    **vals,
                    "sequence": sequence,
                    "partner_ids": partner_ids,
                    "after_id": previous.id if chained else False,
                    "source_refs": [[rec._name, rec.id] for rec in records],
                    "source_count": len(records),
                    "hints": hints(records, partner_ids) if hints else None,
                }
            )
            chunks |= previous
        for number, start in enumerate(range(0, len(rest), size), start=len(parts) + 1):  # may touch any customer:
            previous = self.sudo().create(
                {  # one after the other, after all the others
                    **vals,
                    "sequence": number,
                    "kind": "rest",
                    "after_id": previous.id if start else False,
                    "source_refs": [[rec._name, rec.id] for rec in rest[start : start + size]],
                    "source_count": len(rest[start : start + size]),
                    "hints": hints(rest[start : start + size], None) if hints else None,
                }
            )
            chunks |= previous
        return chunks

    # ------------------------------------------------------------------ processing

    def _billing_run(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id)

    def _billing_sources(self):
        """The chunk's source records, in the planned order, read together (one prefetch set per model)."""
        self.ensure_one()
        refs = self.source_refs or []
        ids = {model: tuple(res_id for other, res_id in refs if other == model) for model in {m for m, _id in refs}}
        return [self.env[model].browse(res_id).with_prefetch(ids[model]) for model, res_id in refs]

    def _billing_siblings(self):
        return self.sudo().search([("res_model", "=", self.res_model), ("res_id", "=", self.res_id)])

    def _billing_ready(self):
        """Waiting, its run in progress, and whatever it comes after is done (for a "rest" chunk: every customer
        chunk of the run)."""
        self.ensure_one()
        if self.state != "pending" or (self.after_id and self.after_id.state != "done"):
            return False
        if self.sudo()._billing_run().exists().state != "running":  # undone meanwhile: nothing to apply or wait for
            return False
        if self.kind == "rest":
            return all(chunk.state == "done" for chunk in self._billing_siblings() if chunk.kind == "customer")
        return True

    def _billing_lock(self):
        """Lock the chunk's row, or False when another transaction holds it (processing it)."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL("SELECT id FROM billing_run_chunk WHERE id = %s FOR UPDATE NOWAIT", self.id))
        except psycopg2.errors.LockNotAvailable:
            return False
        self.invalidate_recordset()
        return True

    def _billing_process(self):
        """Process the chunk once, as its run's user: a done, held or not-yet-ready chunk is left alone.

        The work runs inside a savepoint: a chunk that raises is rolled back whole and marked failed with its error
        (the other chunks keep what they applied; retry it with ``action_retry``). :return: True once done.
        """
        self.ensure_one()
        # Alone in its prefetch set: its sources and hints (JSON, not prefetched with other fields) would otherwise
        # be read for every chunk its search found (0.4 s a chunk at 200 chunks).
        chunk = self.sudo().with_prefetch()
        if not chunk._billing_lock() or not chunk._billing_ready():
            return chunk.state == "done"
        run = chunk._billing_run().with_user(chunk.user_id).with_company(chunk.company_id)
        if run.state != "running":
            return False
        started = time.perf_counter()
        chunk.write({"state": "running", "attempts": chunk.attempts + 1})
        try:
            with self.env.cr.savepoint():
                run._billing_chunk_process(chunk.with_env(run.env))
        except Exception as error:
            # Another transaction's doing, not the chunk's, even when it surfaces as a later error (e.g. an
            # InFailedSqlTransaction): the whole call is retried (cron, queue_job), the chunk stays pending.
            raise_concurrency(error)
            _logger.warning("Chunk %s of %s failed", chunk.id, run, exc_info=True)
            chunk.write({"state": "failed", "error": self._billing_error_text(error)})
            chunk._billing_run()._billing_notify_chunk_failed(chunk)
            return False
        chunk.write(
            {
                "state": "done",
                "error": False,
                "date_done": fields.Datetime.now(),
                "duration": time.perf_counter() - started,
            }
        )
        chunk._billing_finish_run()
        chunk._billing_after_done()
        return True

    @api.model
    def _billing_error_text(self, error):
        """What the Chunks tab shows: a user error's own message; for a crash, its type too (a bare "'partners'"
        tells a user nothing), and that the server log has the details."""
        if isinstance(error, UserError):
            return str(error.args[0] if error.args else error)
        return self.env._(
            "Unexpected error (%(type)s: %(error)s); the server log has the details.",
            type=type(error).__name__,
            error=error,
        )

    def _billing_finish_run(self):
        """Tell the chunk's run when none of its chunks is left to do."""
        self.ensure_one()
        run = self._billing_run()
        if run.state == "running" and all(other.state == "done" for other in self._billing_siblings()):
            run.with_user(self.user_id).with_company(self.company_id)._billing_chunks_finished()

    def _billing_after_done(self):
        """Hook: the chunk is done (``billing_specialist_queue`` enqueues the chunks that waited for it)."""

    def _billing_dispatch(self):
        """Have the chunks processed: by default the chunk cron, triggered now (it commits after each chunk)."""
        if self:
            self.env.ref("billing_specialist.ir_cron_billing_run_chunk").sudo()._trigger()

    @api.model
    def _billing_finish_runs(self):
        """Finish the runs in progress whose chunks are all done (their last chunks ended at the same time in two
        workers, neither seeing the other's)."""
        for (model,) in self.sudo()._read_group([], ["res_model"]):
            for run in self.env[model].sudo().search([("state", "=", "running")]):
                chunks = self.sudo().search([("res_model", "=", model), ("res_id", "=", run.id)])
                if chunks and all(chunk.state == "done" for chunk in chunks):
                    chunks[-1:]._billing_finish_run()

    @api.model
    def _billing_next(self):
        """The first chunk ready to run, of any run (oldest first)."""
        for chunk in self.sudo().search([("state", "=", "pending")], order="id"):
            if chunk._billing_ready():
                return chunk
        return self.browse()

    @api.model
    def _cron_process(self):
        """Scheduled action: one chunk per call; the cron commits after it and calls again while chunks remain."""
        self._billing_finish_runs()
        chunk = self._billing_next()
        if not chunk:
            return
        chunk._billing_process()
        remaining = self.sudo().search([("state", "=", "pending")]).filtered(lambda rec: rec._billing_ready())
        self.env["ir.cron"]._notify_progress(done=1, remaining=len(remaining))

    # ------------------------------------------------------------------ retry

    def action_retry(self):
        """Retry a failed chunk alone: billing managers, or the user who started the run.

        A billing manager's retry runs as the manager: the chunk and the run's other chunks not done yet are
        processed with the manager's rights from then on (the starter may have lost the billing role since; his
        rights would make them fail again). The run's chatter says so."""
        manager = self.env.user.has_group("billing_specialist.group_billing_manager")
        for chunk in self:
            chunk.check_access("read")
            if not chunk._billing_may_retry():
                raise UserError(
                    self.env._(
                        "Only a billing manager or %(user)s, who started the run, may retry it.",
                        user=chunk.user_id.name,
                    )
                )
            if chunk.state != "failed":
                raise UserError(
                    self.env._(
                        "Only a failed chunk can be retried; this one is %(state)s.",
                        state=dict(self._fields["state"].selection)[chunk.state],
                    )
                )
            if chunk.sudo()._billing_run().state != "running":
                raise UserError(self.env._("The run was undone or finished: the chunk cannot be retried."))
            chunk.sudo().write({"state": "pending", "error": False})
            if manager and chunk.user_id != self.env.user:
                chunk._billing_take_over()
        self.sudo()._billing_dispatch()
        return True

    def _billing_take_over(self):
        """The current user (a billing manager) takes over the run's chunks not done yet: they run as him."""
        self.ensure_one()
        rest = self._billing_siblings().filtered(lambda chunk: chunk.state in ("pending", "failed"))
        previous = rest.user_id
        rest.sudo().write({"user_id": self.env.uid})
        self.sudo()._billing_run()._billing_post_note(
            self.env._(
                "%(manager)s retried chunk %(number)s: the chunks not done yet now run as %(manager)s, no longer as "
                "%(users)s.",
                manager=self.env.user.name,
                number=self.sequence,
                users=", ".join(previous.mapped("name")),
            )
        )
