import logging
import time
import zlib

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# pg_try_advisory_xact_lock(LOCK_KEY, company id): one follow-up run per company at a time.
LOCK_KEY = zlib.crc32(b"billing.followup.run") & 0x7FFFFFFF


# A customer left out on the preview, changed since it, or whose follow-up failed gets no letter printed or counted.
NO_LETTER_OUTCOMES = ("error", "excluded", "changed")


class BillingFollowupRun(models.Model):
    """A follow-up run of one company on one day: a preview of one line per customer to remind, then the sending.

    *Run Now* builds the preview (nothing sent): each customer's e-mail and letter rendered by the code that sends
    them, and their hash. The specialist may exclude a customer or choose its level; *Discard* deletes the preview.
    *Send* plans the previewed customers again under the company's run lock and sends a customer only when what it
    would send now is what was previewed (same hash); otherwise its line says what changed and nothing goes out
    (*Changed Since Preview*: the next run previews it again). Each customer is sent in its own savepoint. The daily
    scheduled action plans and sends at once, without a preview. A run with more customers than the chunk size is
    sent in chunks of customers (``billing.run.chunk``), each committed on its own by the chunk cron or a queue
    job; a customer the run already sent (its line no longer "to send") is never sent again, and no other run of
    the company starts meanwhile.
    """

    _name = "billing.followup.run"
    _inherit = ["billing.followup.history", "billing.run.chunked.mixin"]
    _description = "Follow-up Run"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    user_id = fields.Many2one("res.users", readonly=True, default=lambda self: self.env.user)
    state = fields.Selection(
        [
            ("preview", "Preview"),
            ("running", "Sending"),
            ("done", "Sent"),
            ("partial", "Partly Sent"),
            ("cancelled", "Cancelled"),
        ],
        default="preview",
        readonly=True,
        help="Sending: a large run whose chunks of customers are still being sent (see the Chunks tab). Partly sent: "
        "a billing manager cancelled the rest (the next run takes the customers not sent).",
    )
    mode = fields.Selection([("manual", "Manual"), ("scheduled", "Scheduled")], default="manual", readonly=True)
    previewed = fields.Boolean(
        readonly=True, help="Built by Run Now: sent only as previewed (a customer changed since is not sent)."
    )
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    line_ids = fields.One2many("billing.followup.line", "run_id", readonly=True)
    chunk_ids = fields.One2many("billing.run.chunk", "followup_run_id", string="Chunks", readonly=True)
    line_count = fields.Integer(string="Customers", compute="_compute_counts")
    emailed_count = fields.Integer(string="E-mailed", compute="_compute_counts")
    letter_count = fields.Integer(string="Letters", compute="_compute_counts")
    nothing_count = fields.Integer(string="Nothing Sent", compute="_compute_counts")
    error_count = fields.Integer(string="Failed", compute="_compute_counts")
    excluded_count = fields.Integer(string="Excluded", compute="_compute_counts")
    changed_count = fields.Integer(string="Changed Since Preview", compute="_compute_counts")

    @api.depends("date", "company_id")
    def _compute_name(self):
        for run in self:
            # The number tells apart the runs of one day (a preview, a scheduled run, a broken promise's rerun).
            run.name = self.env._("Follow-up %(date)s #%(number)s", date=run.date or "", number=run.id or "")

    def _compute_counts(self):
        # One grouped read for all runs (a stored count would be recomputed at every line the run sends).
        groups = self.env["billing.followup.line"]._read_group(
            [("run_id", "in", self.ids)], ["run_id", "outcome", "send_letter"], ["__count"]
        )
        counts = {}
        for run, outcome, letter, count in groups:
            run_counts = counts.setdefault(run, {"lines": 0, "letters": 0})
            run_counts["lines"] += count
            run_counts[outcome] = run_counts.get(outcome, 0) + count
            if letter and outcome not in NO_LETTER_OUTCOMES:
                run_counts["letters"] += count
        for run in self:
            run_counts = counts.get(run, {})
            run.line_count = run_counts.get("lines", 0)
            run.emailed_count = run_counts.get("emailed", 0)
            run.letter_count = run_counts.get("letters", 0)
            run.nothing_count = run_counts.get("nothing", 0)
            run.error_count = run_counts.get("error", 0)
            run.excluded_count = run_counts.get("excluded", 0)
            run.changed_count = run_counts.get("changed", 0)

    # ------------------------------------------------------------------ checks

    @api.model
    def _check_can_run(self, company):
        """Refuse a run by anyone but a billing specialist of ``company`` (the scheduled action runs as superuser)."""
        if self.env.su:
            return
        user = self.env.user
        if not user.has_group("billing_specialist.group_billing_user"):
            raise AccessError(self.env._("Only billing specialists can run follow-ups."))
        if company not in user.company_ids:
            raise AccessError(
                self.env._("You cannot run follow-ups for %(company)s.", company=company.sudo().display_name)
            )

    @api.model
    def _lock(self, company):
        """Hold the company's run lock until the transaction ends; refuse when another run holds it."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_KEY, company.id))
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "Another follow-up run of %(company)s is under way; try again when it has finished.",
                    company=company.sudo().display_name,
                )
            )

    # ------------------------------------------------------------------ entry points

    @api.model
    def action_run_now(self):
        """*Run Now*: a preview of today's follow-ups of the current company (nothing is sent)."""
        run = self._start(self.env.company, mode="manual")
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    @api.model
    def _start(self, company, mode="manual", date=None):
        """A previewed run of ``company`` as of ``date`` (today by default): its lines, nothing sent."""
        self._check_can_run(company)
        started = time.perf_counter()
        run = self._create_run(company, mode, date)
        run.previewed = True
        run._build_lines()
        run.line_ids._store_preview()
        run.duration = time.perf_counter() - started
        return run.with_env(self.env)

    @api.model
    def _create_run(self, company, mode, date):
        vals = {"company_id": company.id, "mode": mode, "user_id": self.env.user.id}
        return self.sudo().create({**vals, "date": date} if date else vals)

    def action_send(self):
        """Send the previewed run: plan again under the company's lock, then each customer in its own savepoint."""
        self.ensure_one()
        self._check_can_run(self.company_id)
        if self.state != "preview":
            raise UserError(self.env._("Only a previewed follow-up run can be sent; %(run)s is not.", run=self.name))
        if self.date != fields.Date.context_today(self):
            raise UserError(self.env._("%(run)s previews another day: run the follow-ups again.", run=self.name))
        self._lock(self.company_id)
        # The run's row too: a click that read the preview before another click's Send committed gets a concurrent
        # update (retried by Odoo, then refused above) before planning anything again.
        self.env.cr.execute(SQL("SELECT id FROM billing_followup_run WHERE id = %s FOR NO KEY UPDATE", self.id))
        self.sudo()._execute()
        return True

    def _execute(self):
        """Under the company's run lock: plan (again), send every line, mark the run sent. A run above the chunk size
        is sent in chunks of customers instead (``_plan_chunks``): it stays *Sending* until they are done."""
        self._lock(self.company_id)
        self._check_none_sending(self.company_id)
        started = time.perf_counter()
        if self.previewed:
            excluded = self.line_ids.filtered(lambda line: line.excluded and line.outcome == "planned")
            excluded.write({"outcome": "excluded", "result": self.env._("Excluded from this run on the preview.")})
        else:
            self.line_ids.unlink()
            self._build_lines()
            self._leave_to_open_previews()
        lines = self.line_ids.filtered(lambda line: line.outcome == "planned")
        size = self.env["billing.run.chunk"]._billing_chunk_size()
        if len(lines) > size:
            self._plan_chunks(lines, size)
            self.sudo().duration += time.perf_counter() - started
            return
        if self.previewed:
            lines = self._replan_lines(lines)
        lines._send()
        self.write({"state": "done", "duration": self.duration + time.perf_counter() - started})

    def _leave_to_open_previews(self):
        """A run without a preview (the daily one) leaves alone the customers of a preview of the same company and day
        still open: a specialist is choosing what they get (excluded, another level), and the preview's Send sends it;
        chased here too, they would get two follow-ups, or one they were excluded from."""
        previews = self.sudo().search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "=", "preview"),
                ("previewed", "=", True),
                ("date", "=", self.date),
                ("id", "!=", self.id),
            ]
        )
        if not previews:
            return
        preview_of = {line.partner_id: line.run_id for line in previews.line_ids}
        for line in self.line_ids.filtered(lambda line: line.outcome == "planned" and line.partner_id in preview_of):
            line.write(
                {
                    "outcome": "excluded",
                    "result": self.env._(
                        "Left to the preview %(run)s, still open: its Send follows this customer up.",
                        run=preview_of[line.partner_id].name,
                    ),
                }
            )

    @api.model
    def _check_none_sending(self, company):
        """Refuse a run while another run of ``company`` is still sending its chunks: it would chase the customers
        that run has not reached yet a second time."""
        sending = self.sudo().search([("company_id", "=", company.id), ("state", "=", "running")], limit=1)
        if sending:
            raise UserError(
                self.env._(
                    "%(run)s of %(company)s is still being sent; try again when it has finished.",
                    run=sending.name,
                    company=company.sudo().display_name,
                )
            )

    # ------------------------------------------------------------------ chunks (large runs)

    def _billing_chunks_cancelled(self, partly):
        """The rest cancelled by a billing manager: the customers not sent are the next run's."""
        self.sudo().write(
            {
                "state": "partial" if partly else "cancelled",
                "duration": self.duration + sum(self.chunk_ids.mapped("duration")),
            }
        )

    def _plan_chunks(self, lines, size):
        """Split ``lines`` (the run's lines to send) into chunks by customer (one line per customer: its messages stay
        in one chunk) and have them sent (the chunk cron, or queue jobs with ``billing_specialist_queue``)."""
        self.ensure_one()
        self._billing_write_running({"state": "running"})  # the database's one large run per company
        by_customer = {line.partner_id.id: [line] for line in lines}
        chunks = self.env["billing.run.chunk"]._billing_plan(self, by_customer, [], size)
        chunks._billing_dispatch()
        return chunks

    def _billing_chunk_process(self, chunk):
        """Send the chunk's customers this run has not sent yet: a line no longer "to send" (e-mailed, printed,
        failed...) or with its e-mail or note recorded is left alone, so a chunk processed twice sends nothing twice."""
        lines = self.env["billing.followup.line"].sudo().union(*chunk._billing_sources()).exists()
        lines = lines.filtered(
            lambda line: line.run_id == self and line.outcome == "planned" and not (line.mail_id or line.message_id)
        )
        self._replan_lines(lines)._send(retry_conflicts=True)

    def _replan_lines(self, lines):
        """Check ``lines``' customers on the ledger as it is now (the chunk may run hours after planning, days on a
        retry), before sending. The ledger is read once; a customer whose plan inputs (``plan_inputs``: open items,
        payments, disputes, promises, credits, contacts, ladder) did not change keeps its line: it is not planned
        again. A customer whose inputs changed is planned again (``_replan_changed``).

        A previewed run sends a customer only as previewed: its message is rendered again (template, level, address
        may have changed too) and when what it would send now differs, its line says what changed and nothing goes
        out. :return: the lines still to send."""
        if not lines:
            return lines
        Ledger = self.env["billing.followup.ledger"]
        Line = self.env["billing.followup.line"].sudo()
        customers, levels = Ledger._read(self.company_id, self.date, lines.partner_id.ids)
        credits = Ledger._unapplied_credits(self.company_id, list(customers))
        contacts = Line._contacts(customers)
        digests = Line._plan_digests(customers, levels, credits, contacts)
        same = lines.filtered(lambda line: line.plan_inputs and line.plan_inputs == digests.get(line.partner_id.id))
        if self.previewed and same:
            self._check_previews(same)
        changed = lines - same
        if changed:
            todo = {pid: customers[pid] for pid in changed.partner_id.ids if pid in customers}
            Ledger._plan_customers(todo, levels)
            todo = {pid: followup for pid, followup in todo.items() if followup.plan.new}
            self._replan_changed(changed, todo, credits, contacts)
        return lines.filtered(lambda line: line.outcome == "planned")

    def _check_previews(self, lines):
        """``lines`` whose plan still holds: rendered again as they are, sent if their preview did not change (their
        collection accounts created, as a preview leaves none), else marked changed with what changed."""
        collections = self.env["billing.followup.line"]._collections(lines.partner_id, self.company_id)
        for line in lines.filtered(lambda line: not line.collection_id):
            if line.partner_id.id in collections:
                line.collection_id = collections[line.partner_id.id]
        for line, snapshot in lines._preview_snapshots().items():
            if snapshot["preview_hash"] != line.preview_hash:
                line._mark_changed(line._changes(snapshot["preview_facts"]))

    def _replan_changed(self, lines, todo, credits, contacts):
        """``lines`` whose customers' inputs changed, ``todo`` their new plans (those with something new to follow
        up). Without a preview each line becomes what the run would send now; a customer with nothing new to follow
        up any more is left with nothing sent. A previewed line is sent only when its message is still the one
        previewed."""
        fresh = self._fresh_vals(lines, todo=todo, credits=credits, contacts=contacts)
        Line = self.env["billing.followup.line"].sudo()
        settled = self.env._("settled since the run was planned (paid, promised or disputed)")
        snapshots = {}
        if self.previewed:
            # Every customer rendered again as it would be sent now, all at once (one compile of each template).
            planned = {pid: Line.new(vals) for pid, vals in fresh.items()}
            snapshots = Line.union(*planned.values())._preview_snapshots() if planned else {}
            snapshots = {pid: snapshots[new_line] for pid, new_line in planned.items()}
        for line in lines:
            vals = fresh.get(line.partner_id.id)
            if not self.previewed:
                line.write(vals or {"outcome": "nothing", "result": self.env._("Nothing sent: %s.", settled)})
            elif not vals:
                line._mark_changed([self.env._("nothing to follow up any more: %s", settled)])
            elif snapshots[line.partner_id.id]["preview_hash"] == line.preview_hash:
                line.write(vals)
            else:
                line._mark_changed(line._changes(snapshots[line.partner_id.id]["preview_facts"]))

    def _fresh_vals(self, lines, chosen=None, create_collections=True, todo=None, credits=None, contacts=None):
        """{partner_id: line values} of ``lines``' customers planned on the ledger as it is now (missing: nothing new
        to follow up any more), at the level chosen on the preview (``chosen``: {partner_id: level} instead).
        ``todo``, ``credits``, ``contacts``: the customers' plans and what was read for them, when already done."""
        if todo is None:
            planned = self.env["billing.followup.ledger"]._plan(self.company_id, self.date, lines.partner_id.ids)
            todo = {pid: followup for pid, followup in planned.items() if followup.plan.new}
        if chosen is None:
            chosen = {
                line.partner_id.id: line.level_id
                for line in lines
                if line.planned_level_id and line.level_id != line.planned_level_id
            }
        Line = self.env["billing.followup.line"]
        vals_list = Line._prepare_vals_list(self, todo, chosen, create_collections, credits=credits, contacts=contacts)
        return {vals["partner_id"]: vals for vals in vals_list}

    def _billing_chunks_finished(self):
        """Every chunk is done: the run is sent, its duration the planning's plus its chunks'."""
        self.sudo().write({"state": "done", "duration": self.duration + sum(self.chunk_ids.mapped("duration"))})

    def action_cancel(self):
        self.ensure_one()
        self._check_can_run(self.company_id)
        if self.state != "preview":
            raise UserError(self.env._("Only a previewed follow-up run can be cancelled."))
        self.sudo().state = "cancelled"

    def action_discard(self):
        """Delete the preview and its lines: a preview sent nothing, queued nothing and leaves nothing behind."""
        self._check_discard()
        self.sudo().unlink()
        return self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_followup_run_action")

    def _check_discard(self):
        for run in self:
            self._check_can_run(run.company_id)
            if run.state != "preview":
                raise UserError(self.env._("Only a preview can be discarded; %(run)s is not one.", run=run.name))

    @api.autovacuum
    def _gc_previews(self):
        """Previews of a day past for every user can no longer be sent (*Send* refuses them): deleted, with their
        lines. Past for every user: before today at UTC-12, the last timezone to leave a day (a specialist west of
        the server's timezone still sends today's preview dated the server's yesterday)."""
        earliest_today = fields.Date.context_today(self.with_context(tz="Etc/GMT+12"))  # Etc's sign is inverted
        stale = self.sudo().search([("state", "=", "preview"), ("date", "<", earliest_today)])
        stale.unlink()

    def action_print_letters(self):
        """The letters of the run, one PDF (each letter is kept as an attachment of its line once printed)."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda ln: ln.send_letter and ln.outcome not in NO_LETTER_OUTCOMES)
        if not lines:
            raise UserError(self.env._("This run has no letter to print."))
        return self.env.ref("billing_specialist.action_report_billing_followup_letter").report_action(lines)

    @api.model
    def _run_company(self, company, mode="scheduled", date=None):
        """Plan and send ``company``'s follow-ups at once (the scheduled action, the benchmark, the demo)."""
        self._check_can_run(company)
        run = self._create_run(company, mode, date)
        run._execute()
        return run.with_env(self.env)

    @api.model
    def _cron_run(self):
        """Daily: every company with a follow-up ladder, each in its own savepoint."""
        companies = self.env["billing.followup.level"].sudo().search([]).company_id._billing_uses("collections")
        companies -= self.sudo().search([("state", "=", "running")]).company_id  # still sending a large run
        for company in companies:
            try:
                with self.env.cr.savepoint():
                    self.sudo().with_company(company)._run_company(company, mode="scheduled")
            except Exception:  # one company's failure (a concurrent update too) leaves the others run
                _logger.exception("Follow-up run of company %s failed", company.id)

    # ------------------------------------------------------------------ lines

    def _build_lines(self):
        """One line per customer with something new to follow up today."""
        self.ensure_one()
        Line = self.env["billing.followup.line"].sudo()
        planned = self.env["billing.followup.ledger"]._plan(self.company_id, self.date)
        todo = {pid: followup for pid, followup in planned.items() if followup.plan.new}
        vals_list = Line._prepare_vals_list(self, todo, create_collections=not self.previewed)
        return Line.create(vals_list)


class BillingRunChunk(models.Model):
    """A follow-up run's chunks: the inverse of its Chunks tab."""

    # Each run type extends the chunk from its own file: the chunk model knows none of them (no merging).
    _inherit = "billing.run.chunk"  # pylint: disable=consider-merging-classes-inherited

    followup_run_id = fields.Many2one("billing.followup.run", ondelete="cascade", index="btree_not_null", readonly=True)
