import logging
import zlib

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, api, fields, models, modules
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..exceptions import raise_concurrency
from .billing_invoice_run_line import error_text

_logger = logging.getLogger(__name__)

# pg_try_advisory_xact_lock(DUE_TODAY_LOCK_KEY, company id): one daily billing run of a company created at a time.
DUE_TODAY_LOCK_KEY = zlib.crc32(b"billing.invoice.run.due_today") & 0x7FFFFFFF

DONE_OUTCOMES = ("posted_sent", "posted_printed", "skipped")
# Stored on the run from its lines: not written while its chunks run side by side (see _billing_chunk_process).
COUNTS = (
    "invoice_count",
    "pending_count",
    "sent_count",
    "printed_count",
    "blocked_count",
    "failed_count",
    "skipped_count",
)
# What the run does, and the counts of its outcomes: the run's to write (as superuser), never a client's.
_PROTECTED_FIELDS = frozenset(
    {
        "state",
        "chunked",  # a large run in progress: the database's one per company counts it
        "started_uid",
        "print_attachment_id",
        "date_done",
        *COUNTS,
    }
)


class BillingInvoiceRun(models.Model):
    """A billing run: a selection of draft customer invoices checked, posted and delivered, with a log.

    Each invoice is posted inside its own savepoint, so one that fails leaves the others posted. The run's lines say
    what happened to each invoice; a rerun takes only the lines not done yet and never posts or sends twice. Small
    runs are processed when the user clicks Run; bigger ones by the scheduled action, in batches that commit; a run
    above the chunk size in chunks of customers (``billing.run.chunk``: the chunk cron, or queue jobs with
    ``billing_specialist_queue``), each committed on its own.
    """

    _name = "billing.invoice.run"
    _inherit = ["billing.run.chunked.mixin", "billing.protected.mixin"]  # a mail.thread
    _description = "Billing Run"
    _order = "id desc"
    _check_company_auto = True
    _protected_create = _protected_write = _PROTECTED_FIELDS

    _FOREGROUND_LIMIT = 50  # more invoices than this go to the scheduled action
    _BATCH_SIZE = 50

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: self.env._("New"))
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        required=True,
        default=lambda self: self.env.user,
        tracking=True,
        help="Receives the run's summary by e-mail.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("running", "Running"),
            ("done", "Done"),
            ("partial", "Partly Done"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
        help="Partly done: a billing manager cancelled the rest of its chunks (Run again takes the invoices left). "
        "Cancelled: the rest cancelled before any chunk was done.",
    )
    chunked = fields.Boolean(
        readonly=True,
        copy=False,
        help="Processed in chunks (a large run): at most one per company in progress at a time.",
    )
    due_today = fields.Boolean(
        string="Due to Go Out Today", help="Select every draft customer invoice dated today or earlier, or undated."
    )
    date_from = fields.Date(string="Invoice Date From")
    date_to = fields.Date(string="Invoice Date To")
    partner_ids = fields.Many2many("res.partner", string="Customers")
    team_ids = fields.Many2many("crm.team", string="Sales Teams")
    journal_ids = fields.Many2many(
        "account.journal", string="Journals", check_company=True, domain="[('type', '=', 'sale')]"
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'account.move')]",
        help="Leave empty for the invoice's default template.",
    )
    line_ids = fields.One2many("billing.invoice.run.line", "run_id", string="Invoices", readonly=True)
    chunk_ids = fields.One2many("billing.run.chunk", "invoice_run_id", string="Chunks", readonly=True)
    print_attachment_id = fields.Many2one("ir.attachment", string="Letters to Print", readonly=True, copy=False)
    date_done = fields.Datetime(readonly=True, copy=False)
    started_uid = fields.Many2one(
        "res.users",
        string="Started By",
        readonly=True,
        copy=False,
        help="Who clicked Run: the scheduled action processes the run with this user's rights.",
    )
    invoice_count = fields.Integer(string="Selected", compute="_compute_counts", store=True)
    pending_count = fields.Integer(string="To Do", compute="_compute_counts", store=True)
    sent_count = fields.Integer(string="Posted and Sent", compute="_compute_counts", store=True)
    printed_count = fields.Integer(string="Posted and Printed", compute="_compute_counts", store=True)
    blocked_count = fields.Integer(string="Blocked", compute="_compute_counts", store=True)
    failed_count = fields.Integer(string="Failed", compute="_compute_counts", store=True)
    skipped_count = fields.Integer(string="Skipped", compute="_compute_counts", store=True)
    bounced_count = fields.Integer(
        string="Not Delivered",
        compute="_compute_bounced_count",
        help="E-mails that bounced or that the mail server refused (e.g. it could not be reached).",
    )

    @api.constrains("mail_template_id")
    def _check_mail_template(self):
        for run in self:
            if run.mail_template_id and run.mail_template_id.model != "account.move":
                raise ValidationError(
                    self.env._(
                        "The e-mail template %(template)s is for %(model)s: a billing run needs a template for "
                        "invoices (Journal Entry).",
                        template=run.mail_template_id.name,
                        model=run.mail_template_id.model,
                    )
                )

    @api.constrains("user_id", "company_id")
    def _check_owner(self):
        """The owner is e-mailed the summary and the letters of every customer: an internal user of the company."""
        for run in self:
            if run.user_id.share or run.company_id not in run.user_id.company_ids:
                raise ValidationError(
                    self.env._(
                        "The owner of a billing run must be an internal user of %(company)s; %(user)s is not.",
                        company=run.company_id.name,
                        user=run.user_id.name,
                    )
                )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for run in self:
            if run.date_from and run.date_to and run.date_from > run.date_to:
                raise ValidationError(self.env._("The invoice date range ends before it starts."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("billing.invoice.run") or self.env._("New")
        return super().create(vals_list)

    def write(self, vals):
        """What the run does is the run's to write (as superuser): its state, who started it, its letters."""
        if not self.env.su and "company_id" in vals and self.line_ids:
            raise UserError(self.env._("The run has invoices already: its company cannot change."))
        return super().write(vals)

    def _protected_error(self, fnames):
        return AccessError(self.env._("A billing run's state and results are written by the run itself."))

    @api.depends("line_ids.outcome")
    def _compute_counts(self):
        for run in self:
            outcomes = run.line_ids.mapped("outcome")
            run.invoice_count = len(outcomes)
            run.pending_count = outcomes.count("pending")
            run.sent_count = outcomes.count("posted_sent")
            run.printed_count = outcomes.count("posted_printed")
            run.blocked_count = outcomes.count("blocked")
            run.failed_count = outcomes.count("failed")
            run.skipped_count = outcomes.count("skipped")

    def _compute_bounced_count(self):
        for run in self:
            run.bounced_count = len(run.line_ids.filtered(lambda line: line.mail_state in ("exception", "bounce")))

    # ------------------------------------------------------------------ selection

    def _get_selection_domain(self):
        """The draft customer invoices of the run's company its criteria select."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "draft"),
        ]
        if self.due_today:
            today = fields.Date.context_today(self)
            domain += ["|", ("invoice_date", "=", False), ("invoice_date", "<=", today)]
        if self.date_from:
            domain.append(("invoice_date", ">=", self.date_from))
        if self.date_to:
            domain.append(("invoice_date", "<=", self.date_to))
        if self.partner_ids:
            domain.append(("commercial_partner_id", "in", self.partner_ids.commercial_partner_id.ids))
        if self.team_ids:  # the invoice's team (with Sales), else its salesperson's
            team_field = "team_id" if "team_id" in self.env["account.move"]._fields else "invoice_user_id.sale_team_id"
            domain.append((team_field, "in", self.team_ids.ids))
        if self.journal_ids:
            domain.append(("journal_id", "in", self.journal_ids.ids))
        return domain

    def action_select_invoices(self):
        """Add to the run the draft invoices its criteria select (a preview: nothing is posted)."""
        for run in self:
            run._check_can_change()
            if not (
                run.due_today or run.date_from or run.date_to or run.partner_ids or run.team_ids or run.journal_ids
            ):
                raise UserError(
                    self.env._(
                        "Choose what to select: a date range, customers, sales teams, journals, "
                        "or the invoices due to go out today."
                    )
                )
            moves = self.env["account.move"].search(run._get_selection_domain(), order="invoice_date, id")
            run._add_invoices(moves - run.line_ids.move_id)
        return True

    def _add_invoices(self, moves):
        """Add ``moves`` to the run: draft customer invoices of its company only, else refused naming them."""
        self.ensure_one()
        self._check_can_change()
        moves.check_access("write")
        other = moves.filtered(lambda move: move.company_id != self.company_id)
        if other:
            raise UserError(
                self.env._(
                    "%(invoices)s belong to another company than the run (%(company)s).",
                    invoices=", ".join(other.mapped("display_name")),
                    company=self.company_id.name,
                )
            )
        wrong = moves.filtered(lambda move: move.state != "draft" or not move.is_sale_document())
        if wrong:
            raise UserError(
                self.env._(
                    "A billing run posts draft customer invoices only; not: %(invoices)s.",
                    invoices=", ".join(wrong.mapped("display_name")),
                )
            )
        self.sudo().line_ids = [Command.create({"move_id": move.id}) for move in moves - self.line_ids.move_id]

    @api.model
    def _create_for_invoices(self, moves, **vals):
        """A draft run over ``moves`` (e.g. the invoices selected in a list), in their company."""
        run = self.create({"company_id": moves.company_id[:1].id or self.env.company.id, **vals})
        run._add_invoices(moves)
        return run

    @api.model
    def _action_new_run(self, moves):
        """The invoice list's action: a draft run over the selected invoices, opened to check and run."""
        run = self._create_for_invoices(moves)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _check_can_change(self):
        for run in self:
            if run.state == "done":
                raise UserError(self.env._("%(run)s is done: start a new run.", run=run.name))
            if run._billing_chunks_in_progress():  # an invoice added now would be in no chunk: never processed
                raise UserError(
                    self.env._(
                        "%(run)s is being processed in chunks: wait until it is done, or start a new run.", run=run.name
                    )
                )

    # ------------------------------------------------------------------ running

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        """A run still processing its chunks is not deleted: its jobs would lose their run half-way."""
        running = self.filtered(lambda run: run.state == "running")
        if running:
            raise UserError(
                self.env._("%(run)s is still running: delete it once it is done.", run=running[0].display_name)
            )

    def action_run(self):
        """Process the run now when small, else queue it for the scheduled action (it commits batch by batch); above
        the chunk size, in chunks of customers."""
        self.check_access("write")
        size = self.env["billing.run.chunk"]._billing_chunk_size()
        for run in self:
            if run.state == "done" and not run.line_ids.filtered(lambda line: line.outcome in ("blocked", "failed")):
                raise UserError(self.env._("%(run)s has nothing left to do.", run=run.name))
            if run._billing_chunks_in_progress():
                raise UserError(
                    self.env._(
                        "%(run)s is being processed in chunks: retry a failed chunk from its Chunks tab.", run=run.name
                    )
                )
            run._lock()  # refused at once while the scheduled action or another click works on it, never waited for
            if not run.line_ids:
                run.action_select_invoices()
            todo = run.line_ids.filtered(lambda line: line.outcome not in DONE_OUTCOMES)
            run.sudo().write({"state": "running", "started_uid": self.env.uid})
            if len(todo) > size:
                run._plan_chunks(todo, size)
            elif len(todo) > self._FOREGROUND_LIMIT:
                self.env.ref("billing_specialist.ir_cron_billing_invoice_run")._trigger()
                run.message_post(
                    body=self.env._(
                        "%(count)s invoices queued: the scheduled action processes them in the background.",
                        count=len(todo),
                    )
                )
            else:
                run._process(todo)
        return True

    def _process(self, lines, commit=False):
        """Post and deliver ``lines`` in batches; ``commit`` (the scheduled action only) commits each batch."""
        self.ensure_one()
        self._lock()
        lines = lines.filtered(lambda line: line.outcome not in DONE_OUTCOMES)
        for start in range(0, len(lines), self._BATCH_SIZE):
            # After a commit the lines are read again: another process may have done some between commit and lock.
            batch = lines[start : start + self._BATCH_SIZE].filtered(lambda line: line.outcome not in DONE_OUTCOMES)
            self._process_batch(batch)
            if commit:
                done = min(start + self._BATCH_SIZE, len(lines))
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(lines) - done)
                # Background only (see _can_commit): each batch kept when a later one crashes the worker.
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self._lock()  # the commit released the run's row: a click on Run meanwhile is refused still
                self.env.invalidate_all()  # and what this process knew of the lines is from before the commit
        self._finish()

    def _lock(self):
        """One process at a time per run (a click on Run while the scheduled action works on it is refused)."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL("SELECT id FROM billing_invoice_run WHERE id = %s FOR UPDATE NOWAIT", self.id))
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._("%(run)s is being processed right now; try again in a moment.", run=self.name)
            ) from None

    def _process_batch(self, lines):
        """Post the drafts of ``lines`` (together, each isolated on failure), then deliver those posted in one go."""
        posted, drafts = lines.browse(), lines.browse()
        for line in lines:
            move = line.move_id
            if not move:
                line._record("skipped", self.env._("The invoice was deleted."))
            elif move.sudo().company_id != self.company_id:  # moved to another company's journal once selected
                line._record(
                    "failed", self.env._("The invoice now belongs to another company: not posted by this run.")
                )
            elif move.state == "posted":
                if line.outcome == "failed" and not move.is_move_sent:  # posted by this run, delivery failed
                    posted |= line
                else:
                    line._record("skipped", self.env._("Already posted; not posted or sent again."))
            elif move.state != "draft":
                line._record("skipped", self.env._("The invoice is cancelled."))
            else:
                drafts |= line
        posted |= drafts._post_together()
        if posted:
            self._deliver(posted)

    def _deliver(self, lines):
        """Deliver the posted invoices of ``lines`` together; when that fails, one by one so only the culprit fails."""
        delivery = self.env["billing.invoice.delivery"]
        template = self.mail_template_id or None
        try:
            with self.env.cr.savepoint():
                results = delivery._deliver(lines.move_id, mail_template=template)
        except Exception as error:  # pylint: disable=broad-exception-caught  # retried one by one below
            raise_concurrency(error)  # another transaction's doing: the whole chunk is retried, not each invoice
            _logger.info("Billing run %s: delivering the batch failed, retrying invoice by invoice", self.name)
            results = {}
            for line in lines:
                try:
                    with self.env.cr.savepoint():
                        results.update(delivery._deliver(line.move_id, mail_template=template))
                except Exception as error:  # pylint: disable=broad-exception-caught
                    raise_concurrency(error)
                    results[line.move_id.id] = (
                        "failed",
                        self.env._("Posted, but not delivered: %(error)s", error=error_text(error)),
                        None,
                    )
        for line in lines:
            outcome, message, mail_message = results[line.move_id.id]
            line._record(outcome, message, mail_message_id=mail_message.id if mail_message else False)

    def _finish(self):
        """Done when no invoice is left to do: the letters to print in one PDF, the summary to the owner."""
        self.ensure_one()
        if self.line_ids.filtered(lambda line: line.outcome == "pending"):
            return
        printed = self.line_ids.filtered(lambda line: line.outcome == "posted_printed").move_id
        if printed and not self.print_attachment_id:
            values = self.env["billing.invoice.delivery"]._batch_print(printed, self.name.replace("/", "_"))
            if values:
                self.sudo().print_attachment_id = self.env["ir.attachment"].create(
                    {**values, "res_model": self._name, "res_id": self.id}
                )
        self.sudo().write({"state": "done", "chunked": False, "date_done": fields.Datetime.now()})
        self._send_summary()

    def _send_summary(self):
        self.ensure_one()
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("%(run)s is done: %(count)s invoices.", run=self.name, count=self.invoice_count),
            Markup().join(
                Markup("<li>%s: %s</li>") % (label, count)
                for label, count in (
                    (self.env._("Posted and sent"), self.sent_count),
                    (self.env._("Posted and printed"), self.printed_count),
                    (self.env._("Blocked by a check"), self.blocked_count),
                    (self.env._("Failed"), self.failed_count),
                    (self.env._("Skipped"), self.skipped_count),
                )
            ),
        )
        # The owner is told even when it is the owner who ran it (Odoo skips the author otherwise).
        self.with_context(mail_notify_author=True).message_post(
            body=body,
            subject=self.env._("Billing run %(run)s: summary", run=self.name),
            partner_ids=self.user_id.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
            attachment_ids=self.print_attachment_id.ids,
        )

    # ------------------------------------------------------------------ chunks (large runs)

    def _plan_chunks(self, lines, size):
        """Split ``lines`` into chunks by customer (the invoices' commercial partner: one customer's invoices in one
        chunk, or its own chunks one after the other) and have them processed (chunk cron or queue jobs)."""
        self.ensure_one()
        self._billing_write_running({"state": "running", "chunked": True})  # the database's one large run a company
        by_customer = {}
        for line in lines:
            by_customer.setdefault(line.move_id.commercial_partner_id.id, []).append(line)
        chunks = self.env["billing.run.chunk"]._billing_plan(self, by_customer, [], size)
        self.message_post(
            body=self.env._(
                "%(count)s invoices in %(chunks)s chunks of customers: processed in the background.",
                count=len(lines),
                chunks=len(chunks),
            )
        )
        chunks._billing_dispatch()
        return chunks

    def _billing_chunk_process(self, chunk):
        """Post and deliver the chunk's invoices this run has not done yet: a line posted and sent, printed or
        skipped is left alone, an invoice posted meanwhile is skipped, so a chunk processed twice never posts or
        sends an invoice twice. In the run owner's language, without locking the run (other chunks run at once)."""
        run = self.with_context(lang=self.user_id.lang, allowed_company_ids=self.company_id.ids)
        lines = run.env["billing.invoice.run.line"].union(*chunk._billing_sources()).exists()
        lines = lines.filtered(lambda line: line.run_id == self and line.outcome not in DONE_OUTCOMES)
        # The run's counts are computed once, when every chunk is done: each chunk updating the run's row made
        # chunks processed side by side (queue jobs) fail on a concurrent update, and be done again.
        with self.env.protecting([self._fields[name] for name in COUNTS], self):
            for start in range(0, len(lines), self._BATCH_SIZE):
                run._process_batch(lines[start : start + self._BATCH_SIZE])
            self.env.flush_all()

    def _billing_running_where(self):
        """Only its large runs: a small one queued for the scheduled action may run beside another."""
        return SQL("state = 'running' AND chunked")

    def _billing_chunks_cancelled(self, partly):
        """The rest cancelled by a billing manager: its invoices not done stay in the run (Run takes them again)."""
        for name in COUNTS:
            self.env.add_to_compute(self._fields[name], self)
        self.sudo().write({"state": "partial" if partly else "cancelled", "chunked": False})

    def _billing_chunks_finished(self):
        """Every chunk is done: the counts, the letters in one PDF, the summary to the owner, the run done."""
        for name in COUNTS:
            self.env.add_to_compute(self._fields[name], self)
        self.with_context(lang=self.user_id.lang, allowed_company_ids=self.company_id.ids)._finish()

    @api.model
    def _cron_process(self, limit=None):
        """The scheduled action: process the runs queued for the background, as their owners, batch by batch (not
        those processed in chunks: the chunk cron or queue jobs do)."""
        domain = [
            ("state", "=", "running"),
            ("chunk_ids", "not any", [("state", "!=", "done")]),
            *self.env["res.company"]._billing_capability_domain("invoicing", prefix="company_id."),
        ]
        runs = self.sudo().search(domain, order="id", limit=limit)
        size = self.env["billing.run.chunk"]._billing_chunk_size()
        for run in runs:
            name, lang = run.name, run.user_id.lang
            run = run.with_user(run.started_uid or run.user_id).with_company(run.company_id)
            run = run.with_context(lang=lang, allowed_company_ids=run.company_id.ids)
            try:
                # One run its starter may no longer process (e.g. he lost the billing role) does not stop the others.
                with self.env.cr.savepoint():
                    todo = run.line_ids.filtered(lambda line: line.outcome not in DONE_OUTCOMES)
                    if len(todo) > size:  # e.g. the daily run of the invoices due today
                        run._plan_chunks(todo, size)
                        continue
            except UserError as error:
                _logger.warning("Billing run %s cannot be processed with the rights of who started it: %s", name, error)
                continue
            try:
                run._process(run.line_ids, commit=self._can_commit())
            except UserError as error:  # e.g. being processed by a click on Run: the next call takes it
                _logger.info("Billing run %s left for later: %s", name, error)

    @api.model
    def _cron_due_today(self):
        """The daily scheduled action (inactive until switched on): a run per company over its drafts due today.

        The runs belong to the scheduled action's user, for the companies that user works in. A draft another run
        still has to post is left to it; a company another worker is creating the run of at the same time is left.
        """
        Line = self.env["billing.invoice.run.line"].sudo()
        for company in self.env.user.company_ids._billing_uses("invoicing"):
            self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", DUE_TODAY_LOCK_KEY, company.id))
            if not self.env.cr.fetchone()[0]:
                _logger.info("Daily billing run of company %s: another worker is creating it", company.id)
                continue
            # Drafts an earlier run still has to post (the background action has not come to them yet).
            queued = Line.search([("run_id.company_id", "=", company.id), ("run_id.state", "=", "running")]).move_id
            run = self.with_company(company).create({"company_id": company.id, "due_today": True})
            run.action_select_invoices()
            run.sudo().line_ids.filtered(lambda line, queued=queued: line.move_id in queued).unlink()
            if run.line_ids:
                run.sudo().write({"state": "running", "started_uid": self.env.uid})  # for the background action
            else:
                run.unlink()
        self.env.ref("billing_specialist.ir_cron_billing_invoice_run")._trigger()

    @api.model
    def _can_commit(self):
        """Only the scheduled action (run by the cron runner, which gives it a progress record) commits its batches;
        never a user's request, never a test."""
        return bool(self.env.context.get("ir_cron_progress_id")) and not modules.module.current_test

    # ------------------------------------------------------------------ actions

    def action_view_invoices(self):
        self.ensure_one()
        outcome = self.env.context.get("billing_outcome")
        lines = self.line_ids.filtered(lambda line: not outcome or line.outcome == outcome)
        action = lines.move_id._get_records_action(name=self.env._("Invoices of %(run)s", run=self.name))
        if len(lines.move_id) > 1:  # the customer invoice list (customer, state, amounts), not the journal entries'
            action["views"] = [
                (self.env.ref("account.view_out_invoice_tree").id, "list"),
                (self.env.ref("account.view_move_form").id, "form"),
            ]
        return action


class BillingRunChunk(models.Model):
    """A billing run's chunks: the inverse of its Chunks tab."""

    # Each run type extends the chunk from its own file: the chunk model knows none of them (no merging).
    _inherit = "billing.run.chunk"  # pylint: disable=consider-merging-classes-inherited

    invoice_run_id = fields.Many2one("billing.invoice.run", ondelete="cascade", index="btree_not_null", readonly=True)
