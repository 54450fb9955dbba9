import hashlib
import json
import logging
import marshal

from lxml import etree, html
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date, formatLang, safe_eval

from ..exceptions import raise_concurrency

_logger = logging.getLogger(__name__)

CHANNELS = [("email", "E-mail"), ("letter", "Letter"), ("activity", "Call"), ("none", "None")]
OUTCOMES = [
    ("planned", "To Send"),
    ("emailed", "E-mailed"),
    ("letter", "Letter to Print"),
    ("activity", "Call Scheduled"),
    ("nothing", "Nothing Sent"),
    ("excluded", "Excluded"),
    ("changed", "Changed Since Preview"),
    ("error", "Failed"),
]
# What the preview says in words, compared at send to say what changed for a customer.
FACTS = ("planned_level", "level", "channel", "recipients", "amounts", "items")
# The letter's text: the printed letter calls it, the preview renders it.
LETTER_BODY = "billing_specialist.report_billing_followup_letter_body"


class _BodyRenderer:
    """A mail template's ``body_html`` rendered on records of its model as ``mail.render.mixin._render_field`` does
    (QWeb engine, the field's post-processing), its QWeb compiled once instead of at each record."""

    def __init__(self, template):
        self.template = template
        self.model = template.render_model
        self.source = template.body_html
        self.compiled = None
        if self.source and template._has_unsafe_expression_template_qweb(self.source, self.model):
            # As _render_template_qweb: the source wrapped in a <div>, compiled by the template's ir.qweb.
            qweb = template.env["ir.qweb"]
            element = html.fragment_fromstring(self.source, create_parent="div")
            self.qweb = qweb
            self.compiled = qweb._prepare_environment(template._render_eval_context())._compile(element)

    def render(self, res_id, add_context):
        template = self.template
        if self.compiled is None:
            # An empty body, or one Odoo renders without QWeb (its regex mode): Odoo's own call, which compiles nothing.
            return template._render_field("body_html", [res_id], add_context=add_context)[res_id]
        if not template._unrestricted_rendering and not template.env.is_admin():
            # Only the superuser renders here (the templates are read with sudo): anyone else takes Odoo's checks.
            return template._render_field("body_html", [res_id], add_context=add_context)[res_id]
        functions, name = self.compiled
        values = template._render_eval_context()
        values.update(add_context, object=template.env[self.model].browse(res_id))
        qweb = self.qweb._prepare_environment(values)
        safe_eval.check_values(values)
        # Odoo drops the wrapping <div> (5 and 6 characters), then post-processes the field (local links).
        result = Markup("".join(functions[name](qweb, values)))[5:-6]
        options = getattr(template._fields["body_html"], "render_options", {})
        if options.get("post_process"):
            result = template._render_template_postprocess(self.model, {res_id: result})[res_id]
        return result


class BillingFollowupLine(models.Model):
    """One customer's message of a follow-up run: its level, items, contacts and what was actually done."""

    _name = "billing.followup.line"
    _inherit = ["billing.followup.history"]
    _description = "Follow-up Run Line"
    _order = "run_id desc, amount_due desc, id"
    _check_company_auto = True

    run_id = fields.Many2one("billing.followup.run", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    date = fields.Date(related="run_id.date", store=True)
    run_state = fields.Selection(related="run_id.state", string="Run Status", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    collection_id = fields.Many2one("billing.collection", index=True, readonly=True, ondelete="set null")
    level_id = fields.Many2one("billing.followup.level", string="Follow-up Level", readonly=True, ondelete="restrict")
    planned_level_id = fields.Many2one(
        "billing.followup.level",
        string="Level Reached",
        readonly=True,
        ondelete="restrict",
        help="The level the run planned; the specialist may choose another one for this run on the preview.",
    )
    excluded = fields.Boolean(readonly=True, help="Left out of this run by a specialist on the preview.")
    adjusted_by_id = fields.Many2one(
        "res.users",
        string="Changed By",
        readonly=True,
        help="Who excluded the customer or chose its level on the preview.",
    )
    channel = fields.Selection(CHANNELS, readonly=True, default="none")
    send_email = fields.Boolean(readonly=True)
    send_letter = fields.Boolean(string="Letter", readonly=True)
    attach_statement = fields.Boolean(readonly=True)
    recipient_ids = fields.Many2many("res.partner", string="Recipients", readonly=True)
    contact_note = fields.Char(string="Contact", readonly=True, help="Who the message goes to, and why.")
    move_ids = fields.Many2many("account.move", string="Items Followed Up", readonly=True)
    item_levels = fields.Json(readonly=True, help="The level each item followed up reached: {invoice id: level id}.")
    content = fields.Json(readonly=True, help="The open items by currency and the unapplied credits, as sent.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_due = fields.Monetary(string="Followed Up", readonly=True, help="In the company currency.")
    amount_text = fields.Char(string="Amounts", readonly=True, help="The amounts followed up, per currency.")
    next_followup_date = fields.Date(
        string="Next Follow-up", readonly=True, help="The day the next level would be reached."
    )
    statement_date_from = fields.Date(readonly=True)
    outcome = fields.Selection(OUTCOMES, default="planned", readonly=True, index=True)
    result = fields.Text(readonly=True, help="What was done for this customer, or why nothing was sent.")
    preview_emails = fields.Char(string="To", readonly=True, help="The e-mail's recipients, as it will go out.")
    preview_subject = fields.Char(string="Subject", readonly=True)
    # The e-mail body sanitized as Odoo's outgoing e-mails are: its mail template is editable by any mail template
    # editor (every internal user once Restrict Template Rendering is off), whose QWeb attributes (t-att-onerror)
    # pass Odoo's sanitizing at save and render as live HTML, then opened here by every billing specialist. The
    # stored body is what is sent; the hash is of the rendered one. The letter is not sanitized (its QWeb view is
    # editable by administrators only; its values are escaped): sanitizing every letter was most of a large
    # preview's time.
    preview_body = fields.Html(
        string="E-mail Body",
        readonly=True,
        sanitize="email_outgoing",
        help="The e-mail's body, rendered by the code that sends it, as sent.",
    )
    # Rendered when a line is opened, not at the preview (a letter is a few milliseconds, thousands in a large run):
    # the preview hashes what the letter is made of (``_letter_inputs``), compared at send like the rest.
    preview_letter = fields.Html(
        string="Letter Preview",
        compute="_compute_preview_letter",
        sanitize=False,
        help="The letter's text, rendered by the template that prints it.",
    )
    preview_letter_inputs = fields.Char(readonly=True, help="SHA-256 of what the letter is made of, as previewed.")
    preview_facts = fields.Json(readonly=True, help="Level, channel, recipients, amounts and items, as previewed.")
    preview_hash = fields.Char(readonly=True, help="SHA-256 of everything previewed; compared at send.")
    plan_inputs = fields.Char(
        readonly=True,
        help="SHA-256 of what the customer's plan was made of (open items, disputes, promises, credits, contacts, "
        "ladder); compared at send, the customer is planned again only when it differs.",
    )
    mail_id = fields.Many2one("mail.mail", string="E-mail", readonly=True, ondelete="set null")
    message_id = fields.Many2one("mail.message", string="Chatter Message", readonly=True, ondelete="set null")

    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.partner_id.display_name} - {line.level_id.name or ''}"

    # ------------------------------------------------------------------ planning

    @api.model
    def _prepare_vals_list(self, run, todo, chosen=None, create_collections=True, credits=None, contacts=None):
        """Line values of the customers planned in ``todo`` ({partner_id: CustomerFollowup}).

        :param chosen: {partner_id: level} the specialist chose on the preview instead of the level reached; each item
            is then recorded at most at that level (the next run chases it again at the level it reached).
        :param create_collections: create the customers' collection accounts that are missing (not for a preview,
            which must leave nothing behind when discarded).
        :param credits, contacts: the customers' unapplied credits and contacts when already read (at send).
        """
        chosen = chosen or {}
        company = run.company_id
        Ledger = self.env["billing.followup.ledger"]
        levels, index = Ledger._ladder(company)
        partners = self.env["res.partner"].browse(list(todo))
        collections = self._collections(partners, company, create_collections)
        credits = Ledger._unapplied_credits(company, list(todo)) if credits is None else credits
        contacts = self._contacts(todo) if contacts is None else contacts
        digests = self._plan_digests(todo, levels, credits, contacts)
        dates = {}  # (lang, date): its text, shared by the customers (a few hundred dates for thousands of items)
        vals_list = []
        for partner in partners:
            followup = todo[partner.id]
            planned = levels[followup.plan.level]
            level = chosen.get(partner.id) or planned
            vals = self._level_vals(level, followup, index[level.id], levels, contacts[partner.id])
            next_in = followup.plan.next_in
            vals.update(
                run_id=run.id,
                partner_id=partner.id,
                collection_id=collections[partner.id].id if partner.id in collections else False,
                planned_level_id=planned.id,
                content=self._content(partner, followup.items, credits.get(partner.id, []), dates),
                amount_text=self._amount_text(partner, [it for it in followup.items if self._is_chased(it)]),
                next_followup_date=next_in is not None and fields.Date.add(run.date, days=max(next_in, 1)),
                statement_date_from=min(it.invoice_date or it.due for it in followup.items),
                plan_inputs=digests[partner.id],
            )
            vals_list.append(vals)
        return vals_list

    @api.model
    def _is_chased(self, it):
        """Whether the open item ``it`` is followed up by this run (chased, and a level reached)."""
        return it.item.chased and it.item.reached is not None

    @api.model
    def _level_vals(self, level, followup, top, levels, contact):
        """The channel, recipients, items and amount of one customer's line at ``level`` (index ``top``)."""
        recipients, contact_note = contact
        chased = [it for it in followup.items if self._is_chased(it)]
        email = level.send_email and bool(recipients)
        letter = level.send_letter or (level.send_email and not recipients)
        return {
            "level_id": level.id,
            "channel": "email" if email else "letter" if letter else "activity" if level.create_activity else "none",
            "send_email": email,
            "send_letter": letter,
            "attach_statement": level.attach_statement and email,
            "recipient_ids": [Command.set(recipients if email else [])],
            "contact_note": contact_note,
            "move_ids": [Command.set([it.move_id for it in chased])],
            "item_levels": {
                str(it.move_id): levels[min(it.item.reached, top)].id
                for it in chased
                if min(it.item.reached, top) > it.item.sent
            },
            "amount_due": sum(it.residual_company * it.chased_amount / it.residual for it in chased),
        }

    @api.model
    def _collections(self, partners, company, create=True):
        """{partner_id: billing.collection} of ``partners``, the missing ones created when ``create``."""
        Collection = self.env["billing.collection"].sudo()
        if create:
            collections = Collection._for_partners(partners, company)
        else:
            collections = Collection.search(
                [("partner_id", "in", partners.commercial_partner_id.ids), ("company_id", "=", company.id)]
            )
        return {c.partner_id.id: c for c in collections}

    @api.model
    def _plan_digests(self, customers, levels, credits, contacts):
        """{partner_id: SHA-256 of what its plan and message are made of}: its open items as the ledger reads them
        (payments, disputes and promises change them), the ladder, its unapplied credits and its recipients. Read
        again at send: an equal digest means the plan of the preview still holds. Serialized with ``marshal``
        (version 2: no back-references, so equal values give equal bytes), a few microseconds per customer."""
        ladder = [
            (lv.id, lv.delay, lv.send_email, lv.send_letter, lv.create_activity, lv.attach_statement) for lv in levels
        ]
        digests = {}
        for partner_id, customer in customers.items():
            payload = (
                ladder,
                customer.inputs(),
                [(name, day.toordinal(), cid, amount) for name, day, cid, amount in credits.get(partner_id, [])],
                contacts.get(partner_id, ([], ""))[0],
            )
            digests[partner_id] = hashlib.sha256(marshal.dumps(payload, 2)).hexdigest()
        return digests

    @api.model
    def _contacts(self, todo):
        """{partner_id: (recipient ids, why)}: the invoices' contacts with an e-mail, else the billing contact,
        else the customer's own e-mail, else none (a letter)."""
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        contact_ids = {it.contact_id for f in todo.values() for it in f.items if it.item.chased}
        read = Partner.browse(list(contact_ids | set(todo))).read(["email", "name", "commercial_partner_id"])
        emails = {p["id"]: p["email"] for p in read}
        names = {p["id"]: p["name"] for p in read}
        # A contact who moved to another customer since the invoice: never sent this customer's invoices.
        customer_of = {p["id"]: p["commercial_partner_id"] and p["commercial_partner_id"][0] for p in read}
        billing = {}
        for child in Partner.search_read(
            [("parent_id", "in", list(todo)), ("type", "=", "invoice"), ("email", "!=", False)],
            ["parent_id", "email"],
            order="id",
        ):
            billing.setdefault(child["parent_id"][0], child["id"])
        result = {}
        for partner_id, followup in todo.items():
            contacts = {it.contact_id for it in followup.items if it.item.chased and emails.get(it.contact_id)}
            moved = sorted(contact for contact in contacts if customer_of.get(contact) != partner_id)
            invoice_contacts = sorted(contacts - set(moved))
            if invoice_contacts:
                why = self.env._("the invoices' contacts")
                result[partner_id] = (invoice_contacts, why)
            elif partner_id in billing:
                result[partner_id] = ([billing[partner_id]], self.env._("the billing contact"))
            elif emails.get(partner_id):
                result[partner_id] = ([partner_id], self.env._("the customer's e-mail"))
            else:
                result[partner_id] = ([], self.env._("no e-mail address"))
            if moved:
                recipients, why = result[partner_id]
                result[partner_id] = (
                    recipients,
                    self.env._(
                        "%(why)s; not %(names)s, no longer a contact of this customer",
                        why=why,
                        names=", ".join(names[contact] for contact in moved),
                    ),
                )
        return result

    @api.model
    def _content(self, partner, items, credits, dates=None):
        """The open items by currency (with their marks) and the unapplied credits, formatted in the partner's
        language: what the e-mail and the letter show. ``dates``: {(lang, date): text}, kept across customers."""
        env = self.with_context(lang=partner.lang or self.env.lang).env
        dates = {} if dates is None else dates

        def format_day(day):
            key = (env.lang, day)
            if key not in dates:
                dates[key] = format_date(env, day)
            return dates[key]

        Currency = env["res.currency"]
        marks = {
            "dispute": env._("in dispute"),
            "dispute_part": env._("partly in dispute"),
            "promise": env._("promised"),
            "promise_part": env._("partly promised"),
        }
        groups = {}
        for it in items:
            currency = Currency.browse(it.currency_id)
            group = groups.setdefault(it.currency_id, {"currency": currency.name, "items": [], "sum": 0.0})
            group["sum"] += it.residual
            group["items"].append(
                {
                    "name": it.name,
                    "date": format_day(it.invoice_date),
                    "due": format_day(it.due),
                    "days": max(it.raw_days, 0),
                    "amount": formatLang(env, it.residual, currency_obj=currency),
                    "mark": marks.get(it.mark, ""),
                    "chased": bool(it.item.chased and it.item.reached is not None),
                }
            )
        for currency_id, group in groups.items():
            group["total"] = formatLang(env, group.pop("sum"), currency_obj=Currency.browse(currency_id))
        return {
            "groups": list(groups.values()),
            "credits": [
                {
                    "name": name,
                    "date": format_day(date),
                    "amount": formatLang(env, amount, currency_obj=Currency.browse(currency_id)),
                }
                for name, date, currency_id, amount in credits
            ],
        }

    @api.model
    def _amount_text(self, partner, chased):
        totals = {}
        for it in chased:
            totals[it.currency_id] = totals.get(it.currency_id, 0.0) + it.chased_amount
        Currency = self.env["res.currency"]
        return "; ".join(
            formatLang(self.env, amount, currency_obj=Currency.browse(cid)) for cid, amount in totals.items()
        )

    # ------------------------------------------------------------------ preview (rendered by the sending code)

    def _render_email(self):
        """The e-mail as it goes out, {subject, body, emails}: the preview shows it, the send queues it."""
        self.ensure_one()
        return self._render_emails()[self]

    def _render_emails(self):
        """{line: {subject, body, emails}}: each line's e-mail as Odoo's ``mail.template._render_field`` renders it
        (language of the template's ``lang``, the line as ``followup``, the body's local links made absolute), for
        many lines at once. Odoo compiles a QWeb body at each of its calls (most of a render's cost): here it is
        compiled once per template and language, then run on each line, as ``_render_template_qweb`` runs it.
        ``test_followup_preview`` checks that both give the same text."""
        default = self.env.ref("billing_specialist.mail_template_billing_followup")
        by_template = {}
        for line in self:
            by_template.setdefault((line.level_id.mail_template_id or default).sudo(), []).append(line)
        rendered = {}
        for template, lines in by_template.items():
            langs = template._render_lang(list({line.partner_id.id for line in lines}))
            by_lang = {}
            for line in lines:
                by_lang.setdefault(langs.get(line.partner_id.id), []).append(line)
            for lang, lang_lines in by_lang.items():
                # The template in the customer's language, as ``_classify_per_lang`` gives it to ``_render_template``.
                localized = template.with_context(lang=lang) if lang else template
                body = _BodyRenderer(localized)
                for line in lang_lines:
                    partner_id = line.partner_id.id
                    context = {"followup": line}
                    subject = localized._render_field("subject", [partner_id], add_context=context)[partner_id]
                    rendered[line] = {
                        "subject": subject,
                        "body": body.render(partner_id, context),
                        "emails": ", ".join(line.recipient_ids.mapped("email_formatted")),
                    }
        return rendered

    def _render_letter(self):
        """The letter's text as the printed letter has it (the report calls the same template)."""
        self.ensure_one()
        partner = self.partner_id
        qweb = self.env["ir.qweb"].with_context(lang=partner.lang or self.env.lang)
        values = {"line": self, "partner": partner, "company": self.company_id}
        return str(qweb._render(LETTER_BODY, values))

    def _letter_inputs(self, sources=None):
        """SHA-256 of everything the letter's text is made of (what ``report_billing_followup_letter_body`` reads),
        in the customer's language: the template's text itself (with the views inheriting it), the customer's name
        and address as the contact widget prints them, the level's name and note, the date, the items and credits
        (``content``), the company's name. Equal inputs render the same letter; the preview hashes them instead of
        rendering every letter. ``sources``: {lang: template text}, shared by the lines of a run."""
        self.ensure_one()
        sources = {} if sources is None else sources
        partner = self.partner_id.sudo()
        lang = partner.lang or self.env.lang
        if lang not in sources:
            view = self.env.ref(LETTER_BODY).sudo().with_context(lang=lang)
            sources[lang] = etree.tostring(view._get_combined_arch(), encoding="unicode")
        level = self.level_id.sudo().with_context(lang=lang)
        inputs = {
            "template": sources[lang],
            "lang": lang,
            "contact": partner.with_context(show_address=True, lang=lang).display_name,
            "name": partner.name,
            "level": [level.name, level.note],
            "date": self.date,
            "content": self.content,
            "company": self.company_id.sudo().name,
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()

    @api.depends("send_letter", "preview_hash", "content", "level_id", "partner_id")
    def _compute_preview_letter(self):
        for line in self:
            if not (line.send_letter and line.preview_hash):
                line.preview_letter = False
                continue
            letter = line._render_letter()
            if line.outcome == "planned" and line.preview_letter_inputs != line._letter_inputs():
                # Rendered now, the letter no longer is the one previewed: Send will not send it.
                warning = self.env._("Changed since the preview: Send will not send this letter.")
                letter = Markup('<p class="alert alert-warning">%s</p>%s') % (warning, Markup(letter))
            line.preview_letter = letter

    def _preview_snapshots(self):
        """{line: its preview fields}: what each line (a record, or a new one planned at send) would send, and its
        hash. The e-mails are rendered together (``_render_emails``: their template compiled once)."""
        emails = self.filtered("send_email")._render_emails()
        channels = dict(self._fields["channel"]._description_selection(self.env))
        sources = {}
        return {line: line._preview_snapshot(emails.get(line), channels, sources) for line in self}

    def _preview_snapshot(self, email=None, channels=None, sources=None):
        """The preview fields of what this line would send (``email``: its rendered e-mail), and their hash.

        The hash covers ids, the e-mail rendered in the customer's language and what its letter is made of
        (``_letter_inputs``: the letter itself is rendered when the line is opened), so two users see the same
        preview.
        """
        self.ensure_one()
        if email is None:
            email = self._render_email() if self.send_email else {"subject": "", "body": "", "emails": ""}
        letter = self._letter_inputs(sources) if self.send_letter else ""
        channels = channels or dict(self._fields["channel"]._description_selection(self.env))
        facts = {
            "planned_level": [self.planned_level_id.id, self.planned_level_id.name or ""],
            "level": [self.level_id.id, self.level_id.name or ""],
            "channel": [self.channel, channels.get(self.channel, "")],
            "recipients": [[sorted(self.recipient_ids.ids), email["emails"]], email["emails"]],
            "amounts": [round(self.amount_due, 2), self.amount_text or ""],
            "items": [sorted(self.move_ids.ids), ", ".join(sorted(self.move_ids.mapped("name")))],
        }
        level = self.level_id
        payload = {
            "facts": {key: value[0] for key, value in facts.items()},
            "emails": email["emails"],
            "subject": email["subject"],
            "body": str(email["body"]),
            "letter": letter,
            "statement": self.attach_statement,
            "item_levels": self.item_levels or {},
            "content": self.content,
            "call": level.create_activity and (level.activity_summary or level.name),
            "escalate": level.escalate_salesperson and self.partner_id.user_id.id,
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
        return {
            "preview_emails": email["emails"] or False,
            "preview_subject": email["subject"] or False,
            "preview_body": email["body"] or False,
            "preview_letter_inputs": letter or False,
            "preview_facts": facts,
            "preview_hash": digest,
        }

    def _mark_changed(self, changes):
        """Not sent: what changed since the preview (``changes``, in words), for the specialist to read."""
        self.write(
            {
                "outcome": "changed",
                "result": self.env._(
                    "Not sent, changed since the preview: %(changes)s. The next run previews it again.",
                    changes="; ".join(changes),
                ),
            }
        )

    def _store_preview(self):
        for line, snapshot in self._preview_snapshots().items():
            line.write(snapshot)

    def _changes(self, facts):
        """What changed for this customer since its preview, in words (``facts``: the ones planned now)."""
        self.ensure_one()
        labels = {
            "planned_level": self.env._("level reached"),
            "level": self.env._("level"),
            "channel": self.env._("channel"),
            "recipients": self.env._("recipients"),
            "amounts": self.env._("amount followed up"),
            "items": self.env._("invoices"),
        }
        previewed = self.preview_facts or {}
        changes = [
            self.env._(
                "%(what)s %(old)s -> %(new)s", what=labels[key], old=previewed[key][1] or "-", new=facts[key][1] or "-"
            )
            for key in FACTS
            if key in previewed and previewed[key][0] != facts[key][0]
        ]
        return changes or [self.env._("the message's text (its template, level, credits or the customer's details)")]

    # ------------------------------------------------------------------ choices on the preview

    def _check_can_adjust(self):
        """A billing specialist of the line's company, on a preview line not sent yet (checked here, not in views)."""
        for line in self:
            line.run_id._check_can_run(line.company_id)
            if line.run_id.state != "preview" or line.outcome != "planned":
                raise UserError(
                    self.env._("%(customer)s can be changed on a preview only.", customer=line.partner_id.display_name)
                )

    def action_exclude(self):
        """Leave these customers out of this run (nothing is sent to them, nothing recorded)."""
        self._check_can_adjust()
        self.sudo().write({"excluded": True, "adjusted_by_id": self.env.user.id})
        return True

    def action_include(self):
        self._check_can_adjust()
        self.sudo().write({"excluded": False, "adjusted_by_id": self.env.user.id})
        return True

    def action_choose_level(self):
        """The dialog to choose this customer's level for this run."""
        self.ensure_one()
        self._check_can_adjust()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Choose the Level"),
            "res_model": "billing.followup.line.level",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_line_id": self.id, "default_level_id": self.level_id.id},
        }

    def _set_preview_level(self, level):
        """Send this customer ``level`` in this run, previewed again. A specialist may soften the message (a lower
        level); a harsher one than the level reached (e.g. to collections) is for billing managers."""
        self.ensure_one()
        self._check_can_adjust()
        level = level.sudo()
        if level.company_id != self.company_id or not level.active:
            raise UserError(
                self.env._(
                    "Choose an active follow-up level of %(company)s.", company=self.company_id.sudo().display_name
                )
            )
        planned = self.planned_level_id.sudo()
        if (
            level.delay > planned.delay
            and not self.env.su
            and not self.env.user.has_group("billing_specialist.group_billing_manager")
        ):
            raise AccessError(
                self.env._(
                    "Only billing managers can send a higher level than the one reached (%(level)s).",
                    level=planned.name,
                )
            )
        run = self.run_id.sudo()
        fresh = run._fresh_vals(self, chosen={self.partner_id.id: level}, create_collections=False)
        vals = fresh.get(self.partner_id.id)
        if not vals:
            raise UserError(
                self.env._(
                    "%(customer)s has nothing to follow up any more (paid, promised or disputed "
                    "since the preview): run the follow-ups again.",
                    customer=self.partner_id.display_name,
                )
            )
        line = self.sudo()
        line.write({**vals, "adjusted_by_id": self.env.user.id})
        line._store_preview()
        return True

    # ------------------------------------------------------------------ sending

    def _send(self, retry_conflicts=False):
        """Send each line in its own savepoint: one failing customer leaves the others sent.

        :param retry_conflicts: a chunk's sending (retried whole by the chunk cron or its job): a concurrent update is
            raised, not recorded. Otherwise (the daily run, *Send*: not retried before tomorrow) the customer's line
            says so and the next run takes the customer again.
        """
        emails = self._render_emails_to_send()
        for line in self:
            try:
                with self.env.cr.savepoint():
                    line._send_one(emails.get(line))
            except Exception as error:  # any failure of one customer is recorded, the run goes on
                if retry_conflicts:
                    raise_concurrency(error)  # another transaction's doing: the whole chunk is retried
                _logger.warning("Follow-up of customer %s failed: %s", line.partner_id.id, error)
                self.env.invalidate_all()
                line.write({"outcome": "error", "result": self.env._("Not sent: %(error)s", error=error)})

    def _render_emails_to_send(self):
        """{line: its e-mail} of the lines without a previewed e-mail, rendered together (``_render_emails``: each
        template compiled once). When that fails, {}: each line renders its own in its savepoint, where a failure is
        recorded on that customer's line only."""
        todo = self.filtered(lambda line: line.send_email and not (line.run_id.previewed and line.preview_hash))
        if not todo:
            return {}
        try:
            with self.env.cr.savepoint():
                return todo._render_emails()
        except Exception:  # rendered again line by line, each failure on its line
            _logger.info("Follow-up e-mails rendered one by one: rendering them together failed", exc_info=True)
            return {}

    def _send_one(self, email=None):
        """Queue the e-mail (``email``: rendered already), note the letter, schedule the calls; then record the level
        on the items and customer."""
        self.ensure_one()
        done = []
        vals = {}
        if self.send_email:
            mail = self._queue_email(email)
            vals.update(mail_id=mail.id, message_id=mail.mail_message_id.id)
            done.append(
                self.env._(
                    "e-mailed to %(to)s (%(who)s)",
                    to=", ".join(self.recipient_ids.mapped("email")),
                    who=self.contact_note,
                )
            )
        if self.send_letter:
            fallback = self.level_id.send_email and not self.send_email
            done.append(
                self.env._("letter to print (%(why)s)", why=self.contact_note)
                if fallback
                else self.env._("letter to print")
            )
        done += self._schedule_activities()
        if not done:
            self.write({"outcome": "nothing", "result": self.env._("Nothing sent: the level has no action.")})
            return
        if not self.send_email:
            # A note in the customer's chatter (no one to notify: nothing was e-mailed).
            message = (
                self.env["mail.message"]
                .sudo()
                .create(
                    {
                        "model": "res.partner",
                        "res_id": self.partner_id.id,
                        "body": self.env._(
                            "Follow-up %(level)s: %(done)s.", level=self.level_id.name, done="; ".join(done)
                        ),
                        "message_type": "comment",
                        "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                        "author_id": self.run_id.user_id.partner_id.id,
                    }
                )
            )
            vals["message_id"] = message.id
        outcome = "emailed" if self.send_email else "letter" if self.send_letter else "activity"
        result = "; ".join(done)
        self.write({**vals, "outcome": outcome, "result": result[:1].upper() + result[1:]})
        self._record_sent()

    def _queue_email(self, email=None):
        """The e-mail rendered by ``_render_email`` (``email``: rendered already, with the run's others), queued for
        Odoo's mail queue. A previewed line sends its preview: ``_replan_lines`` has just rendered it again and found
        it identical (a render is most of a line's cost)."""
        if self.run_id.previewed and self.preview_hash:
            email = {"subject": self.preview_subject, "body": self.preview_body}
        elif email is None:
            email = self._render_email()
        partner = self.partner_id
        company = self.company_id
        return (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "model": "res.partner",
                    "res_id": partner.id,
                    "subject": email["subject"],
                    "body_html": email["body"],
                    "body": email["body"],
                    "email_from": company.email_formatted or self.run_id.user_id.email_formatted,
                    "author_id": self.run_id.user_id.partner_id.id,
                    "recipient_ids": [Command.set(self.recipient_ids.ids)],
                    "message_type": "email_outgoing",
                    "auto_delete": False,
                    "billing_followup_line_id": self.id,
                }
            )
        )

    def _schedule_activities(self):
        """A call for the specialist when the level says so; a heads-up for the salesperson when it escalates."""
        done = []
        level, collection = self.level_id, self.collection_id.sudo()
        if level.create_activity:
            user = (
                collection.user_id
                or collection.team_id.user_id
                or self.company_id.billing_dispute_default_user_id
                or self.run_id.user_id
            )
            collection.activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=self.date,
                summary=level.activity_summary or level.name,
                note=self.amount_text,
                user_id=user.id,
            )
            done.append(self.env._("call scheduled for %(user)s", user=user.name))
        salesperson = self.partner_id.user_id
        if level.escalate_salesperson and salesperson:
            # On the customer, which a salesperson without billing rights can open (the collection account not).
            self.partner_id.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=self.date,
                summary=self.env._("Escalated: %(level)s", level=level.name),
                note=self.amount_text,
                user_id=salesperson.id,
            )
            done.append(self.env._("escalated to %(user)s", user=salesperson.name))
        return done

    def _record_sent(self):
        """The level each item was sent at (protected fields, written here only), and the customer's account."""
        rows = [(int(move_id), level_id) for move_id, level_id in (self.item_levels or {}).items()]
        if rows:
            self.env["account.move"].flush_model(["billing_followup_level_id", "billing_followup_date"])
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE account_move move
                       SET billing_followup_level_id = sent.level_id, billing_followup_date = %s
                      FROM (SELECT * FROM unnest(%s::int[], %s::int[]) AS t(move_id, level_id)) sent
                     WHERE move.id = sent.move_id
                    """,
                    self.date,
                    [row[0] for row in rows],
                    [row[1] for row in rows],
                )
            )
            self.env["account.move"].invalidate_model(["billing_followup_level_id", "billing_followup_date"])
        self.collection_id.sudo().with_context(tracking_disable=True).write(
            {
                "level_id": self.level_id.id,
                "last_followup_date": self.date,
                "next_followup_date": self.next_followup_date,
                "level_bump": 0,
            }
        )
