import hashlib
from types import SimpleNamespace

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date, formatLang

from ..matching.engine import Matcher, OpenItem
from ..matching.remittance import (
    AdviceLine,
    RemittanceParseError,
    RemittanceRef,
    parse_rows,
    parse_text,
    propose_remittance,
    resolve_reference,
)
from ..matching.remittance_files import RemittanceFileError, kind_of, read_csv, read_pdf_text, read_xlsx
from ..matching.text import text_key
from .billing_dispute_stage import OPEN_STATES
from .billing_payment_apply import Application, ApplicationRefused

SOURCES = [("csv", "CSV"), ("xlsx", "Spreadsheet"), ("email", "E-mail"), ("pdf", "PDF"), ("manual", "Manual")]
STATES = [
    ("reading", "Waiting to Be Read"),  # an e-mailed file, read by a scheduled action outside the mail fetch
    ("new", "Waiting for Payment"),
    ("matched", "Matched"),
    ("applied", "Applied"),
    ("error", "Error"),
]
# Where the advice came from, set by the code path that created it: an e-mail (its sender can be forged: it only
# proposes until a specialist vouches for it) or a specialist (imported from a file or entered: a person vouched).
ORIGINS = [("email", "E-mail (proposes only)"), ("user", "A specialist")]
# Written by the application only (import, matching, applying), never by a client.
PROTECTED_FIELDS = {
    "state",
    "error_message",
    "payment_id",
    "statement_line_id",
    "duplicate_key",
    "source",
    "email_from",
    "origin",
    "origin_user_id",
    "vouched_user_id",
    "vouched_date",
}
# Fixed once the remittance is matched to a payment or bank line: they are what it was matched on.
MATCHED_FIELDS = {"partner_id", "company_id", "currency_id"}


class BillingRemittance(models.Model):
    """A customer's remittance advice: the breakdown of one payment, invoice by invoice, with its deductions.

    Imported from a file (``billing.remittance.import``) or an e-mail to the company's remittance alias; it waits
    for its payment (state *new*), is matched to it (a payment or bank line of the customer whose amount is its total
    within the tolerance and whose date is within the company's window: *matched*), then applied as it says through
    ``billing.payment.apply`` (*applied*), each deduction opening a dispute case. The same advice twice is refused.
    """

    _name = "billing.remittance"
    _description = "Remittance Advice"
    _inherit = ["mail.thread", "billing.protected.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _protected_create = _protected_write = frozenset(PROTECTED_FIELDS)

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: self.env._("New"))
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    reference = fields.Char(help="The customer's reference of the advice (its payment run or advice number).")
    source = fields.Selection(SOURCES, required=True, default="manual", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="Source File", readonly=True, copy=False)
    email_from = fields.Char(
        string="Sent By",
        readonly=True,
        copy=False,
        help="The sender of the e-mail the advice came in (an address that can be forged: it is not verified).",
    )
    origin = fields.Selection(
        ORIGINS,
        readonly=True,
        copy=False,
        help="Who the advice comes from, set by the application: an e-mail to the remittance alias (its sender is "
        "not verified: the advice only proposes, never applies a payment automatically nor opens deduction "
        "cases, until a specialist vouches for it), or a specialist who imported or entered it.",
    )
    origin_user_id = fields.Many2one("res.users", string="Imported By", readonly=True, copy=False)
    vouched_user_id = fields.Many2one(
        "res.users",
        string="Vouched For By",
        readonly=True,
        copy=False,
        tracking=True,
        help="The specialist who checked this e-mailed advice with the customer: it then decides like an imported one.",
    )
    vouched_date = fields.Datetime(string="Vouched For On", readonly=True, copy=False)
    decides = fields.Boolean(
        compute="_compute_decides",
        help="A person vouched for the advice (a specialist imported it, or vouched for the e-mailed one): it may "
        "apply its payment automatically and open its deduction cases.",
    )
    state = fields.Selection(STATES, default="new", required=True, readonly=True, tracking=True, index=True)
    error_message = fields.Text(readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True, check_company=True, copy=False, tracking=True)
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank Line", readonly=True, check_company=True, copy=False
    )
    duplicate_key = fields.Char(readonly=True, copy=False, index=True)
    line_ids = fields.One2many("billing.remittance.line", "remittance_id", string="Lines", copy=True)
    line_count = fields.Integer(compute="_compute_amounts", store=True)
    amount_total = fields.Monetary(string="Total Paid", compute="_compute_amounts", store=True)
    amount_deducted = fields.Monetary(string="Deducted", compute="_compute_amounts", store=True)
    understood_count = fields.Integer(
        string="Understood",
        compute="_compute_understood_counts",
        help="Lines whose reference names an invoice of the customer that they can pay as written.",
    )
    not_understood_count = fields.Integer(
        string="Not Understood",
        compute="_compute_understood_counts",
        help="Lines whose invoice was not found, is ambiguous, paid, in another currency or open for less.",
    )
    dispute_ids = fields.Many2many("billing.dispute", string="Dispute Cases", compute="_compute_dispute_ids")
    dispute_count = fields.Integer(compute="_compute_dispute_ids")

    _sql_constraints = [
        ("duplicate_key_unique", "UNIQUE(company_id, duplicate_key)", "This remittance advice was imported already."),
    ]

    @api.depends("line_ids.amount_paid", "line_ids.amount_deduction")
    def _compute_amounts(self):
        for remittance in self:
            remittance.line_count = len(remittance.line_ids)
            remittance.amount_total = sum(remittance.line_ids.mapped("amount_paid"))
            remittance.amount_deducted = sum(remittance.line_ids.mapped("amount_deduction"))

    @api.depends("line_ids.understood_state")
    def _compute_understood_counts(self):
        for remittance in self:
            states = remittance.line_ids.filtered("understood_state")
            remittance.understood_count = len(states.filtered("understood"))
            remittance.not_understood_count = len(states) - remittance.understood_count

    @api.depends("origin", "vouched_user_id")
    def _compute_decides(self):
        for remittance in self:
            remittance.decides = remittance.origin == "user" or bool(remittance.vouched_user_id)

    def init(self):
        """Advices from before the origin was recorded: those with a sender came by e-mail, the others by a person.
        Idempotent (only rows without an origin are touched)."""
        self.env.cr.execute(
            SQL(
                """UPDATE billing_remittance
                  SET origin = CASE WHEN COALESCE(email_from, '') <> '' OR source = 'email' THEN 'email' ELSE 'user' END,
                      origin_user_id = CASE WHEN COALESCE(email_from, '') <> '' OR source = 'email' THEN NULL
                                            ELSE create_uid END
                WHERE origin IS NULL"""
            )
        )

    def _compute_dispute_ids(self):
        for remittance in self:
            remittance.dispute_ids = remittance.line_ids.dispute_id
            remittance.dispute_count = len(remittance.dispute_ids)

    def _protected_error(self, fnames):
        return AccessError(self.env._("The state and payment of a remittance are set by the application."))

    @api.model_create_multi
    def create(self, vals_list):
        own = {"origin", "origin_user_id"} - set().union(*vals_list)  # set here; a client's own stay refused
        for vals in vals_list:
            vals.update(self._billing_origin_vals(vals))
            if not vals.get("name") or vals["name"] == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code("billing.remittance") or "/"
        return super(BillingRemittance, self._protected_allow(own)).create(vals_list)

    @api.model
    def _billing_origin_vals(self, vals):
        """The origin of a new advice, from the code path: an advice with a sender came by e-mail, whatever else
        is said; a client (not the application) creating one is the specialist it is entered by."""
        if vals.get("email_from") or vals.get("origin") == "email" or vals.get("source") == "email":
            return {"origin": "email", "origin_user_id": False}
        if self.env.su and vals.get("origin") == "user" and vals.get("origin_user_id"):
            return {}
        return {"origin": "user", "origin_user_id": self.env.uid}

    def copy(self, default=None):
        if self.filtered(lambda rec: not rec.decides):
            raise UserError(
                self.env._(
                    "An e-mailed advice nobody vouched for cannot be duplicated: check it with the "
                    "customer and vouch for it first."
                )
            )
        return super().copy(default)

    def write(self, vals):
        if not self.env.su and self.filtered(lambda rec: rec.state == "applied"):
            raise UserError(self.env._("An applied remittance cannot be changed."))
        if not self.env.su and MATCHED_FIELDS & set(vals) and self.filtered(lambda rec: rec._billing_source_record()):
            raise UserError(
                self.env._("The customer, company and currency of a remittance matched to a payment cannot be changed.")
            )
        return super().write(vals)

    def _billing_check_open(self):
        """Refuse changing the lines of an applied remittance (it is history) or of an e-mailed file still waiting to
        be read or refused (the reader writes them, or nobody: import the file again)."""
        if self.filtered(lambda rec: rec.state == "applied"):
            raise UserError(self.env._("An applied remittance cannot be changed."))
        if not self.env.su and self.filtered(lambda rec: rec.state in ("reading", "error")):
            raise UserError(
                self.env._(
                    "The lines of an advice waiting to be read, or refused, are the file's: import the file again."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        if self.filtered(lambda rec: rec.state == "applied"):
            raise UserError(self.env._("An applied remittance is history: it cannot be deleted."))

    # ------------------------------------------------------------------ import

    @api.model
    def _billing_check_customer(self, partner, company):
        """Refuse an advice for anyone but a customer (company) of ``company``, a company the user works in."""
        if company not in self.env.user.company_ids and not self.env.su:
            raise AccessError(self.env._("You do not work in %(company)s.", company=company.name))
        if not partner or partner != partner.commercial_partner_id:
            raise UserError(self.env._("Choose the customer (the company, not a contact) the advice is from."))
        if partner.company_id and partner.company_id != company:
            raise UserError(
                self.env._("%(customer)s is no customer of %(company)s.", customer=partner.name, company=company.name)
            )

    @api.model
    def _billing_duplicate_key(self, company, partner, currency, date, lines):
        """The advice's fingerprint: customer, currency, date, total and its set of lines (order aside); references
        compared by their key (``text_key``: case, spacing and invisible characters aside)."""
        rounding = currency.decimal_places
        rows = sorted(
            f"{text_key(line.reference)}|{line.paid:.{rounding}f}|{line.deduction:.{rounding}f}" for line in lines
        )
        total = sum(line.paid for line in lines)
        text = "\n".join([str(company.id), str(partner.id), currency.name, str(date), f"{total:.{rounding}f}", *rows])
        return hashlib.sha256(text.encode()).hexdigest()

    @api.model
    def _billing_import(
        self,
        partner,
        company,
        advice,
        source,
        date=None,
        reference=None,
        currency=None,
        attachment=None,
        email_from=None,
        origin=None,
    ):
        """Create the remittance of an ``Advice`` read from a file or an e-mail; refuse a duplicate, naming it.

        :param attachment: (file name, content as bytes) of the source file, kept on the remittance.
        :param email_from: the sender of the e-mail it came in.
        :param origin: 'email' for an advice that came by e-mail (so is one with ``email_from``): it only proposes
            until a specialist vouches for it; else the current user imported it.
        """
        vals = self._billing_import_vals(
            partner,
            company,
            advice,
            source,
            date=date,
            reference=reference,
            currency=currency,
            email_from=email_from,
            origin=origin,
        )
        # sudo: the protected fields (source, key) are the application's; access was checked above.
        remittance = self.sudo().with_company(company).create(vals).with_env(self.env)
        if attachment:
            remittance.sudo().attachment_id = (
                self.env["ir.attachment"]
                .sudo()
                .create({"name": attachment[0], "raw": attachment[1], "res_model": self._name, "res_id": remittance.id})
            )
        remittance._billing_match_payment()
        return remittance

    @api.model
    def _billing_import_vals(
        self, partner, company, advice, source, date=None, reference=None, currency=None, email_from=None, origin=None
    ):
        """The values of the remittance of ``advice`` once access, customer and duplicates are checked."""
        emailed = bool(email_from) or origin == "email"
        self.check_access("create")
        self._billing_check_customer(partner, company)
        currency = currency or company.currency_id
        date = date or advice.date or fields.Date.context_today(self)
        if currency.compare_amounts(advice.total, 0.0) <= 0:
            raise UserError(
                self.env._(
                    "The advice pays nothing: its total is %(total)s.",
                    total=formatLang(self.env, advice.total, currency_obj=currency),
                )
            )
        key = self._billing_duplicate_key(company, partner, currency, date, advice.lines)
        duplicate = self.sudo().search([("company_id", "=", company.id), ("duplicate_key", "=", key)], limit=1)
        if duplicate:
            values = {
                "name": duplicate.name,
                "reference": duplicate.reference,
                "date": format_date(self.env, duplicate.date),
            }
            raise UserError(
                self.env._("This advice was imported already: %(name)s (%(reference)s) of %(date)s.", **values)
                if duplicate.reference
                else self.env._("This advice was imported already: %(name)s of %(date)s.", **values)
            )
        vals = {
            "company_id": company.id,
            "partner_id": partner.id,
            "date": date,
            "currency_id": currency.id,
            "reference": reference,
            "source": source,
            "duplicate_key": key,
            "email_from": email_from,
            **({"origin": "email"} if emailed else {"origin": "user", "origin_user_id": self.env.uid}),
            "line_ids": [
                Command.create(
                    {
                        "sequence": index,
                        "reference": line.reference,
                        "amount_paid": line.paid,
                        "amount_deduction": line.deduction,
                        "deduction_reason": line.reason,
                    }
                )
                for index, line in enumerate(advice.lines)
            ],
        }
        return vals

    @api.model
    def _billing_read(self, filename, content, layout, text=None):
        """Read an advice from a file (CSV, XLSX, PDF) or from ``text`` with ``layout``; :return: (advice, source).

        :raise UserError: naming every row refused (nothing is imported then).
        """
        kind = "email" if content is None else kind_of(filename, content)
        try:
            if kind == "csv":
                return parse_rows(read_csv(content), layout), "csv"
            if kind == "xlsx":
                return parse_rows(read_xlsx(content), layout), "xlsx"
            if kind == "pdf":
                return parse_text(read_pdf_text(content), layout), "pdf"
            if kind == "email":
                return parse_text(text, layout), "email"
        except RemittanceFileError as error:
            raise UserError(self.env._(error.args[0])) from error
        except RemittanceParseError as error:
            rows = "; ".join(
                self.env._("row %(row)s: %(error)s", row=row, error=self.env._(message)) if row else self.env._(message)
                for row, message in error.errors[:50]
            )
            more = len(error.errors) - 50
            if more > 0:
                rows += self.env._("; and %(count)s more rows", count=more)
            raise UserError(
                self.env._(
                    "%(file)s cannot be imported, nothing was imported: %(rows)s.",
                    file=filename or self.env._("The text"),
                    rows=rows,
                )
            ) from error
        raise UserError(self.env._("%(file)s is no CSV, spreadsheet (XLSX) or PDF file.", file=filename))

    # ------------------------------------------------------------------ matching

    @api.model
    def _billing_waiting(self, company):
        """The company's remittances not applied yet (waiting for their payment, or matched to it)."""
        return self.sudo().search([("company_id", "=", company.id), ("state", "in", ("new", "matched"))])

    @api.model
    def _billing_for_source(self, record, waiting=None):
        """The remittance that explains ``record`` (payment or bank line), or an empty recordset.

        Its own if one was matched to it; else a waiting one of the same customer and currency whose total is the
        record's amount within the company's tolerance, dated within the company's window; the closest in amount,
        then in date. Two equally close: none (a person chooses).
        """
        company = record.company_id
        waiting = self._billing_waiting(company) if waiting is None else waiting
        own = waiting.filtered(lambda rec: rec[record._billing_source_field] == record)
        if own:
            return own[:1]
        partner = record.partner_id.commercial_partner_id
        currency = record._billing_currency()
        amount = record._billing_available()
        tolerance = self.env["billing.payment.apply"]._tolerance(company, amount)
        window = company.billing_remittance_date_window
        fits = waiting.filtered(
            lambda rec: (
                rec.partner_id == partner
                and rec.currency_id == currency
                and not rec.payment_id
                and not rec.statement_line_id
                and abs((rec.date - record.date).days) <= window
                and currency.compare_amounts(abs(rec.amount_total - amount), tolerance) <= 0
            )
        )
        ranked = sorted(fits, key=lambda rec: (abs(rec.amount_total - amount), abs((rec.date - record.date).days)))
        if len(ranked) > 1 and (abs(ranked[0].amount_total - amount), abs((ranked[0].date - record.date).days)) == (
            abs(ranked[1].amount_total - amount),
            abs((ranked[1].date - record.date).days),
        ):
            return self.browse()
        return ranked[0].with_env(self.env) if ranked else self.browse()

    def _billing_ref(self):
        """The remittance as the plain engine sees it (matching/remittance.py)."""
        self.ensure_one()

        lines = tuple(
            AdviceLine(line.reference, line.amount_paid, line.amount_deduction, line.deduction_reason or "", row=row)
            for row, line in enumerate(self.line_ids.sorted(lambda rec: (rec.sequence, rec.id)), start=1)
        )
        return RemittanceRef(
            self.id,
            self.reference or self.name,
            self.partner_id.id,
            lines,
            decides=self.decides,
            sender=self.email_from or "",
        )

    def _billing_match_payment(self):
        """Match waiting remittances to a pending payment or bank line of their customer, if one fits."""
        for remittance in self.filtered(lambda rec: rec.state == "new"):
            company = remittance.company_id
            pending = [
                source
                for model in self.env["billing.payment.source"]._billing_source_models()
                for source in model._billing_pending(company)
                if source.partner_id.commercial_partner_id == remittance.partner_id
            ]
            for source in pending:
                if self._billing_for_source(source, remittance) == remittance:
                    remittance._billing_set_source(source, "matched")
                    break

    @api.model
    def _billing_match_sources(self, sources):
        """A payment posted or a bank line arrived: the waiting remittance that explains it is matched to it."""
        waiting = {}
        for source in sources:
            company = source.company_id
            if company not in waiting:
                waiting[company] = self._billing_waiting(company).filtered(lambda rec: rec.state == "new")
            if not waiting[company]:
                continue
            remittance = self._billing_for_source(source, waiting[company])
            if remittance:
                waiting[company] -= remittance
                remittance._billing_set_source(source, "matched")

    def _billing_set_source(self, source, state):
        self.sudo().write({source._billing_source_field: source.id, "state": state, "error_message": False})

    # ------------------------------------------------------------------ applying

    def _billing_source_record(self):
        return self.payment_id or self.statement_line_id

    def action_match(self):
        """Look for the payment now (it is also looked for when a payment is posted and by the automatic run)."""
        self.check_access("write")
        self._billing_match_payment()
        waiting = self.filtered(lambda rec: rec.state == "new")
        if waiting:
            raise UserError(
                self.env._(
                    "No pending payment of %(customer)s fits %(name)s yet: it waits for it.",
                    customer=waiting[0].partner_id.name,
                    name=waiting[0].name,
                )
            )
        return True

    def action_apply(self):
        """Apply the matched payment as the remittance says (a manual run, ``billing.payment.apply``)."""
        self.check_access("write")
        for remittance in self:
            source = remittance._billing_check_applicable()
            proposal = remittance._billing_proposal(source)
            if proposal.conflict:
                raise UserError(
                    self.env._(
                        "%(name)s cannot be applied as it is: %(reasons)s",
                        name=remittance.name,
                        reasons=proposal.explain(self.env._),
                    )
                )
            remittance._billing_apply_proposal(source, proposal)
        return True

    def _billing_check_applicable(self):
        """Refuse an advice that may not apply its payment (not vouched for, no payment, another customer's);
        :return: its payment or bank line."""
        self.ensure_one()
        if self.state == "new":
            self.action_match()
        if not self.decides:
            raise UserError(self._billing_proposes_only_message())
        source = self._billing_source_record()
        if self.state != "matched" or not source:
            raise UserError(self.env._("%(name)s has no payment to apply.", name=self.name))
        if source.partner_id and source.partner_id.commercial_partner_id != self.partner_id:
            raise UserError(
                self.env._(
                    "%(name)s is %(customer)s's advice: it cannot apply another customer's payment.",
                    name=self.name,
                    customer=self.partner_id.name,
                )
            )
        return source

    def _billing_apply_proposal(self, source, proposal):
        """Apply ``source`` as ``proposal`` (this advice's) says, recorded in a manual run of its own; the run's hook
        after applying (``_billing_after_apply``) marks the advice applied and opens its deduction cases."""
        self.ensure_one()
        application = Application(
            source,
            [(allocation.item_id, allocation.amount) for allocation in proposal.allocations],
            proposal.writeoff,
            customer=None if source.partner_id else self.partner_id,
            vals={
                "partner_id": self.partner_id.id,
                "confidence": proposal.confidence,
                "reasons": proposal.explain(self.env._),
                "remittance_id": self.id,
            },
        )
        run = self.env["billing.match.run"]._create_manual(self.company_id)
        try:
            self.env["billing.payment.apply"]._apply_applications(run, [application])
        except ApplicationRefused as refused:
            if not isinstance(refused.error, psycopg2.errors.LockNotAvailable):
                raise refused.error from None
            # refused at once when a run or another user holds the journal items, as a review row is
            raise UserError(
                self.env._(
                    "%(name)s: its payment or invoices are being applied by another user or "
                    "run; nothing was applied. Try again in a moment.",
                    name=self.name,
                )
            ) from refused.error

    def _billing_proposal(self, source, matcher=None):
        """The engine's proposal for ``source`` following this remittance (``matcher``: the ``BillingMatcher`` at
        hand, else one on the company's ledger)."""
        from .billing_matcher import BillingMatcher

        matcher = matcher or BillingMatcher(self.env, self.company_id)
        engine = matcher.engine_for(source._billing_currency())
        return propose_remittance(engine, matcher.source_of(source), self._billing_ref())

    def _billing_after_apply(self, source, allocations):
        """``source`` was applied as this remittance says: record it, and open a case for each deduction."""
        self.ensure_one()
        lines = self.line_ids.sorted(lambda rec: (rec.sequence, rec.id))
        moves = self.env["account.move"].browse([move_id for move_id, _amount in allocations])
        items = [
            OpenItem(
                move.id,
                self.partner_id.id,
                move.name,
                move.amount_residual,
                move.invoice_date_due or move.date,
                tuple(r for r in (move.ref, move.payment_reference) if r),
            )
            for move in moves
        ]
        matcher = Matcher(items)
        for line in lines:  # each line to the invoice it names among those applied (a person may have changed them)
            _how, item = resolve_reference(matcher, line.reference, self.partner_id.id)
            line.sudo().move_id = item.id if item else False
        self._billing_set_source(source, "applied")
        self._billing_open_deduction_cases(source)

    def _billing_open_deduction_cases(self, source):
        """A case for each deduction of the applied advice not opened yet, when a person vouched for the advice.
        An e-mailed advice nobody vouched for only notes them: its cases wait for a specialist (``action_vouch``);
        until then the deductions stay open on their invoices and their follow-ups go on."""
        self.ensure_one()
        lines = self.line_ids.sorted(lambda rec: (rec.sequence, rec.id)).filtered(
            lambda rec: rec.amount_deduction > 0 and rec.move_id and not rec.dispute_id
        )
        if not lines:
            return
        if not self.decides:
            self.sudo().message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._(
                        "This advice came by e-mail from %(sender)s, an address that is not verified: its "
                        "deductions open no dispute case until a specialist checks them with the customer and "
                        "vouches for the advice.",
                        sender=self.email_from or "-",
                    ),
                    Markup().join(
                        Markup("<li>%s</li>")
                        % self.env._(
                            "%(invoice)s: %(amount)s (%(reason)s)",
                            invoice=line.move_id.name,
                            amount=formatLang(self.env, line.amount_deduction, currency_obj=line.currency_id),
                            reason=line.deduction_reason or "-",
                        )
                        for line in lines
                    ),
                ),
                subtype_xmlid="mail.mt_note",
            )
            return
        for line in lines:
            self._billing_open_deduction_case(line, source)

    def _billing_proposes_only_message(self):
        return self.env._(
            "%(name)s came by e-mail from %(sender)s, an address that is not verified: it only proposes. Check it "
            "with the customer and vouch for it before applying it as it says (or apply the payment from the "
            "matching review).",
            name=self.name,
            sender=self.email_from or "-",
        )

    def action_vouch(self):
        """A specialist checked an e-mailed advice with the customer: it may now decide like an imported one (the
        automatic run may apply it, and its deductions open their cases). Logged on the advice."""
        if not self.env.user.has_group("billing_specialist.group_billing_user"):
            raise AccessError(self.env._("Only billing specialists can vouch for a remittance advice."))
        self.check_access("write")
        for remittance in self:
            if remittance.origin != "email":
                raise UserError(
                    self.env._(
                        "%(name)s was imported by a specialist: there is nothing to vouch for.", name=remittance.name
                    )
                )
            if remittance.vouched_user_id:
                raise UserError(
                    self.env._(
                        "%(user)s vouched for %(name)s already.",
                        name=remittance.name,
                        user=remittance.vouched_user_id.name,
                    )
                )
            if remittance.state in ("error", "reading"):
                raise UserError(
                    self.env._("%(name)s has not been read: there is nothing to vouch for.", name=remittance.name)
                )
            remittance.sudo().write({"vouched_user_id": self.env.uid, "vouched_date": fields.Datetime.now()})
            remittance.message_post(
                body=self.env._(
                    "%(user)s vouched for this advice, which came by e-mail from %(sender)s: it now "
                    "decides like an imported one.",
                    user=self.env.user.name,
                    sender=remittance.email_from or "-",
                ),
                subtype_xmlid="mail.mt_note",
            )
            if remittance.state == "applied":
                remittance._billing_open_deduction_cases(remittance._billing_source_record())
        return True

    def _billing_open_deduction_case(self, line, source):
        """A case for what the deduction left open on the invoice (never written off), its reason from the words."""
        move = line.move_id
        amount = min(line.amount_deduction, move.amount_residual)
        if move.currency_id.compare_amounts(amount, 0.0) <= 0:
            return
        try:
            with self.env.cr.savepoint():
                vals = move._billing_prepare_dispute_vals()
                vals.update(
                    reason_id=self.env["billing.remittance.deduction.rule"]
                    ._reason_for(line.deduction_reason, self.company_id)
                    .id,
                    source_payment_id=source._billing_payment().id,
                    remittance_id=self.id,
                    line_ids=[Command.create({"move_id": move.id, "amount_disputed": amount})],
                    description=Markup("<p>%s</p>")
                    % self.env._(
                        "Deducted by %(customer)s on remittance %(name)s: %(amount)s on %(invoice)s (%(reason)s).",
                        customer=self.partner_id.name,
                        name=self.reference or self.name,
                        invoice=move.name,
                        amount=formatLang(self.env, amount, currency_obj=move.currency_id),
                        reason=line.deduction_reason or "-",
                    ),
                )
                if self.origin == "email":  # a sender address can be forged: say where the deduction comes from
                    vals["description"] += Markup("<p>%s</p>") % self.env._(
                        "The advice came by e-mail from %(sender)s (an address that is not verified); %(user)s "
                        "vouched for it.",
                        sender=self.email_from or "-",
                        user=self.vouched_user_id.name or "-",
                    )
                line.sudo().dispute_id = self.env["billing.dispute"].create(vals)
        except UserError as error:
            self.message_post(
                body=self.env._(
                    "No case opened for the deduction on %(invoice)s: %(error)s", invoice=move.name, error=error.args[0]
                )
            )

    @api.model
    def _billing_undone(self, run_lines):
        """A run was undone: the remittances it applied wait to be applied again, and the deduction cases they
        opened are taken back with them when nobody worked them since (still new, no credit note or write-off):
        cancelled, with a note, so applying again opens them afresh. A case a person moved on stays as it is and is
        told that the payment was taken back."""
        remittances = run_lines.remittance_id.filtered(lambda rec: rec.state == "applied")
        remittances.sudo().write({"state": "matched"})
        for remittance in remittances:
            remittance.sudo().message_post(
                body=self.env._(
                    "Its matching run was undone: the payment is no longer applied; the advice waits to be applied again."
                )
            )
        for line in remittances.line_ids.filtered("dispute_id"):
            case = line.dispute_id.sudo()
            note = self.env._(
                "The payment of remittance advice %(remittance)s was taken back (its matching run was undone).",
                remittance=line.remittance_id.display_name,
            )
            if case.state == "new" and not case.settlement_move_ids:
                case._set_state("cancelled")
                case.message_post(body=note + " " + self.env._("This case, opened for its deduction, is cancelled."))
                line.sudo().dispute_id = False
            elif case.state in OPEN_STATES:
                case.message_post(body=note)

    def action_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_dispute_action")
        action.update(domain=[("id", "in", self.dispute_ids.ids)], context={"create": False})
        return action

    @api.model
    def _billing_rekey_duplicates(self):
        """Recompute the stored fingerprints from the advices' lines (the migration to 18.0.1.1.0 calls it: the
        references are now compared by ``text_key``). Advices that now share a fingerprint were one advice imported
        twice: the first keeps the new one (or the one whose fingerprint is unchanged), the others keep theirs."""
        remittances = self.sudo().with_context(active_test=False).search([("duplicate_key", "!=", False)], order="id")
        groups = {}
        for rem in remittances:
            lines = [
                SimpleNamespace(reference=line.reference, paid=line.amount_paid, deduction=line.amount_deduction)
                for line in rem.line_ids
            ]
            key = self._billing_duplicate_key(rem.company_id, rem.partner_id, rem.currency_id, rem.date, lines)
            groups.setdefault((rem.company_id.id, key), []).append(rem)
        for (_company, key), members in groups.items():
            keeper = next((rem for rem in members if rem.duplicate_key == key), members[0])
            if keeper.duplicate_key != key:
                keeper.duplicate_key = key
