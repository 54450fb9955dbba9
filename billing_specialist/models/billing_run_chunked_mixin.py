import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class BillingRunChunkedMixin(models.AbstractModel):
    """A run that a large selection splits into chunks (``billing.run.chunk``): the counts its form shows, the
    database's guarantee of one large run per company at a time, a billing manager's *Cancel the Rest*, and the
    managers told of a failed chunk on the run's chatter.

    The model defines ``chunk_ids`` (One2many on the Many2one that the run type adds to ``billing.run.chunk`` from
    its own file), a ``running`` state,
    ``_billing_chunk_process(chunk)``, ``_billing_chunks_finished()``, ``_billing_chunks_cancelled(partly)`` and
    ``_billing_running_where()`` (the SQL condition of its large runs in progress: at most one per company).
    """

    _name = "billing.run.chunked.mixin"
    _inherit = ["mail.thread"]
    _description = "Run in Chunks"

    chunk_done_count = fields.Integer(string="Chunks Done", compute="_compute_chunk_counts")
    chunk_failed_count = fields.Integer(string="Chunks Failed", compute="_compute_chunk_counts")
    chunk_remaining_count = fields.Integer(string="Chunks Remaining", compute="_compute_chunk_counts")
    can_cancel_rest = fields.Boolean(
        compute="_compute_can_cancel_rest",
        help="In progress in chunks, and you are a billing manager: you may cancel the chunks not done yet.",
    )

    @api.depends("chunk_ids.state")
    def _compute_chunk_counts(self):
        for run in self:
            states = run.chunk_ids.mapped("state")
            run.chunk_done_count = states.count("done")
            run.chunk_failed_count = states.count("failed")
            run.chunk_remaining_count = states.count("pending") + states.count("running")

    @api.depends("state", "chunk_ids")
    @api.depends_context("uid")
    def _compute_can_cancel_rest(self):
        manager = self.env.user.has_group("billing_specialist.group_billing_manager")
        for run in self:
            run.can_cancel_rest = manager and run.state == "running" and bool(run.chunk_ids)

    def _billing_chunk_link(self):
        """Hook: the values that tie a new chunk to this run (its ``chunk_ids``' inverse Many2one, for the run's
        Chunks tab). A run type whose chunks need more overrides it."""
        self.ensure_one()
        return {self._fields["chunk_ids"].inverse_name: self.id}

    def _billing_chunks_in_progress(self):
        """The chunks of these runs not done yet (waiting, running or failed; a cancelled one is over)."""
        return self.chunk_ids.filtered(lambda chunk: chunk.state not in ("done", "cancelled"))

    # ------------------------------------------------------------------ one large run per company

    def _billing_running_index(self):
        return f"{self._table}_one_running_per_company"

    def _billing_running_where(self):
        return SQL("state = 'running'")

    def init(self):
        """A partial unique index: one large run in progress per company, whatever the snapshots of two starts
        (the checks in Python read a snapshot that may not see the other's run; the index does)."""
        super().init()
        if self._abstract:
            return
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (company_id) WHERE %s",
                        SQL.identifier(self._billing_running_index()),
                        SQL.identifier(self._table),
                        self._billing_running_where(),
                    )
                )
        except psycopg2.errors.UniqueViolation:
            _logger.error(
                "%s: two runs of one company are in progress; the index %s is created once one of them "
                "is done or cancelled (upgrade again)",
                self._name,
                self._billing_running_index(),
            )

    def _billing_write_running(self, vals):
        """Write ``vals`` (that put the run in progress) and flush them; another large run of the company in
        progress, committed by a transaction this one cannot see, makes the index refuse: a clear message."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self.sudo().write(vals)
                self.env.flush_all()
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name != self._billing_running_index():
                raise
            self.env.invalidate_all()
            raise UserError(
                self.env._(
                    "Another large %(kind)s of %(company)s is in progress: start this one once it is done, or have a "
                    "billing manager cancel its rest.",
                    kind=self._description.lower(),
                    company=self.company_id.sudo().display_name,
                )
            ) from None

    # ------------------------------------------------------------------ cancel the rest, failed chunks

    def action_billing_cancel_rest(self):
        """Cancel the chunks not done yet (billing managers; refused while a chunk is being processed). The chunks
        done stay applied (a matching run's can still be undone); the run ends partly done, or cancelled when no
        chunk was done."""
        self.check_access("read")
        if not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(self.env._("Only a billing manager cancels the rest of a run."))
        for run in self:
            run.check_access("read")
            if run.state != "running" or not run.chunk_ids:
                raise UserError(
                    self.env._(
                        "%(run)s is not in progress in chunks: there is nothing to cancel.", run=run.display_name
                    )
                )
            chunks = run.sudo().chunk_ids
            rest = chunks.filtered(lambda chunk: chunk.state != "done")
            if any(chunk.state == "running" or not chunk._billing_lock() for chunk in rest):
                raise UserError(
                    self.env._(
                        "A chunk of %(run)s is being processed: cancel the rest once it is done.", run=run.display_name
                    )
                )
            rest.write({"state": "cancelled"})
            partly = any(chunk.state == "done" for chunk in chunks)
            run._billing_chunks_cancelled(partly)
            run._billing_post_note(
                self.env._(
                    "%(manager)s cancelled the rest of the run: %(count)s chunks not processed (%(done)s done stay "
                    "applied).",
                    manager=self.env.user.name,
                    count=len(rest),
                    done=len(chunks) - len(rest),
                )
            )
        return True

    def _billing_chunks_cancelled(self, partly):
        """Hook: the chunks left were cancelled; ``partly``: some were done."""
        raise NotImplementedError

    def _billing_managers(self):
        """The company's active billing managers (internal users)."""
        self.ensure_one()
        group = self.env.ref("billing_specialist.group_billing_manager").sudo()
        return group.users.filtered(lambda user: user.active and not user.share and self.company_id in user.company_ids)

    def _billing_post_note(self, body, partners=None):
        self.ensure_one()
        self.sudo().with_context(mail_create_nosubscribe=True).message_post(
            body=body, subtype_xmlid="mail.mt_note", partner_ids=(partners or self.env["res.partner"]).ids
        )

    def _billing_notify_chunk_failed(self, chunk):
        """Tell the company's billing managers on the run's chatter (their inbox) that a chunk failed and why."""
        self.ensure_one()
        self._billing_post_note(
            self.env._(
                "Chunk %(number)s failed: %(error)s. A billing manager may retry it (it then runs as that manager) or "
                "cancel the rest of the run.",
                number=chunk.sequence,
                error=chunk.error,
            ),
            partners=self._billing_managers().partner_id,
        )
