# pylint: disable=consider-merging-classes-inherited
import ast
import logging

import idna
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import email_normalize, html2plaintext
from odoo.tools.sql import escape_psql

from odoo.addons.mail.tools.alias_error import AliasError

from ..matching.engine import Matcher, OpenItem, number_like
from ..matching.text import clean, fold

_logger = logging.getLogger(__name__)

# What an alias's defaults may set on a case opened by e-mail: the rest (state, amounts, channel, specialist...) is
# the application's, whoever configured the alias.
ALIAS_DEFAULT_FIELDS = ("company_id", "reason_id", "team_id")
MAX_TEXT = 20000  # characters of subject and body searched for invoice numbers and keywords
MAX_TOLD = 10  # customers sharing an address that get an activity for the specialist (the note names them all)


def sender_key(email):
    """An e-mail address as compared to tell who writes: Odoo's normalised address (``email_normalize``) of the
    text cleaned of its tricks, its local part folded by the product's one normalisation (``matching.text.fold``:
    Odoo keeps the case of a non-ASCII local part; invisible characters, case and accents are folded), its domain
    in its one ASCII form (``sender_domain``). Every comparison of senders goes through here. '' when the text holds
    no single address."""
    local, at, domain = (email_normalize(clean(email or "")) or "").rpartition("@")
    return f"{fold(local)}@{sender_domain(domain)}" if at and local and domain else ""


def sender_domain(domain):
    """The one form of an e-mail domain: an international domain in its ASCII form (IDNA: 'Bücher.example' and
    'xn--bcher-kva.example' are one domain, as mail servers send it either way), case folded. Accents are not
    folded: 'bücher.example' and 'bucher.example' are two domains, with two owners."""
    domain = clean(domain)
    if domain.isascii():
        return domain.lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return domain.lower()  # no valid domain: its text as written, lower case


def _domain_forms(domain):
    """The spellings of ``domain`` (a ``sender_domain``) that Odoo may have stored: its ASCII and Unicode forms."""
    try:
        return sorted({domain, idna.decode(domain)})
    except (idna.IDNAError, UnicodeError):  # no valid international domain: stored as written
        return [domain]


def billing_followers(records, partner_ids):
    """[(records, partner ids)]: of ``partner_ids``, those that may follow each group of ``records`` (cases or
    remittance advices): internal users, and contacts of the records' customer (``partner_id``). The others are
    left out (logged)."""
    partners = records.env["res.partner"].sudo().browse(partner_ids)
    internal = partners.filtered(lambda p: not p.partner_share)
    groups = []
    for customer, group in records.grouped(lambda rec: rec.partner_id.commercial_partner_id).items():
        allowed = internal | partners.filtered(lambda p, c=customer: c and p.commercial_partner_id == c)
        if partners - allowed:
            _logger.info(
                "%s %s: partners %s may not follow (no contact of its customer)",
                records._name,
                group.ids,
                (partners - allowed).ids,
            )
        if allowed:
            groups.append((group, allowed.ids))
    return groups


def billing_author(records, kwargs):
    """``message_post``'s arguments for ``records`` (one case or advice), without the author of an incoming e-mail
    when that author may not follow it (``billing_followers``): the message then keeps only its sender's address."""
    author_id = kwargs.get("author_id")
    if len(records) == 1 and author_id and kwargs.get("message_type") == "email":
        if not billing_followers(records, [author_id]):
            return {**kwargs, "author_id": False}
    return kwargs


# The gateway lives apart from billing_dispute.py (near 900 lines already): one concern, one file.
class BillingDispute(models.Model):
    """The mail gateway of dispute cases: an e-mail to a company's billing alias opens a case for its customer."""

    _inherit = "billing.dispute"

    # ------------------------------------------------------------------ routing

    def _alias_get_error(self, message, message_dict, alias):
        """Refuse, before anything is created, a new case from a sender who is no customer of the alias's company,
        or whose address several customers share (``_mail_gateway_refusal``).

        The mail gateway then answers with the alias's bounced message (a polite refusal, editable on the alias).
        Replies to an existing case follow the alias's usual rules."""
        error = super()._alias_get_error(message, message_dict, alias)
        if error or self.ids:
            return error
        return self._mail_gateway_refusal(message_dict, alias)

    @api.model
    def _mail_gateway_refusal(self, message_dict, alias):
        """The ``AliasError`` refusing a new record from this e-mail, or False (shared by both billing aliases).

        A sender whose address several customers share identifies none of them: refused with a reply saying so
        (``mail.alias._get_alias_bounced_body``), nothing created for any customer, and the specialist told
        (``_mail_gateway_tell_shared``)."""
        company = self._mail_gateway_company(self._mail_gateway_defaults(alias.alias_defaults))
        customer, _contact, customers = self._mail_gateway_identify(message_dict.get("email_from"), company)
        if len(customers) > 1:
            address = sender_key(message_dict.get("email_from"))
            message_dict["billing_refusal"] = self.env._(
                "Your e-mail to %(alias)s was not accepted: %(address)s is the address of more than one of our "
                "customers, so we cannot tell which account it is about. Please write from an address that is yours "
                "alone, or reply to one of our e-mails. Our billing team has been told.",
                alias=alias.display_name,
                address=address,
            )
            self._mail_gateway_tell_shared(customers, address, company, alias, message_dict.get("subject"))
            return AliasError(
                "billing_shared_address",
                self.env._("the address %(address)s is shared by several customers", address=address),
            )
        if not customer:
            return AliasError("billing_not_customer", self.env._("the sender is no customer of %s", company.name))
        return False

    @api.model
    def _mail_gateway_defaults(self, alias_defaults):
        """The alias defaults a case may take (ALIAS_DEFAULT_FIELDS), the rest dropped with a warning."""
        if isinstance(alias_defaults, str):
            try:
                alias_defaults = ast.literal_eval(alias_defaults or "{}")
            except (ValueError, SyntaxError):
                alias_defaults = {}
        alias_defaults = alias_defaults if isinstance(alias_defaults, dict) else {}
        ignored = sorted(set(alias_defaults) - set(ALIAS_DEFAULT_FIELDS))
        if ignored:
            _logger.warning("Billing alias: ignored defaults %s (the application sets them).", ", ".join(ignored))
        return {
            key: value
            for key, value in alias_defaults.items()
            if key in ALIAS_DEFAULT_FIELDS and isinstance(value, int) and not isinstance(value, bool)
        }

    @api.model
    def _mail_gateway_company(self, defaults):
        company = self.env["res.company"].sudo().browse(defaults.get("company_id")).exists()
        return company or self.env.company

    @api.model
    def _mail_gateway_customer(self, email_from, company):
        """The customer of ``company`` that ``email_from`` writes for, and the contact it writes as; (empty, empty)
        when there is none, or when the address is shared by several customers (see ``_mail_gateway_identify``)."""
        customer, contact, _customers = self._mail_gateway_identify(email_from, company)
        return customer, contact

    @api.model
    def _mail_gateway_identify(self, email_from, company):
        """Who ``email_from`` is among the customers of ``company``: (customer, contact, customers).

        ``customers``: the customers (companies with posted customer invoices in ``company``) having a contact, of
        ``company`` or shared, with that address (compared by ``sender_key``). Exactly one: it is the customer, the
        contact the one writing (the customer itself when it has the address). None, or several: nobody is (an
        address shared by two customers identifies neither: a portal user may have set its own address to another
        customer's), and (empty, empty, customers)."""
        Partner = self.env["res.partner"].sudo()
        key = sender_key(email_from)
        if not key:
            return Partner, Partner, Partner
        # Every contact of the address's domain (either spelling of an international one), compared here after
        # folding (the database compares case only).
        domains = _domain_forms(key.rpartition("@")[2])
        partners = Partner.search_fetch(
            expression.AND(
                [
                    expression.OR([[("email_normalized", "=ilike", f"%@{escape_psql(form)}")] for form in domains]),
                    [("company_id", "in", [False, company.id])],
                ]
            ),
            ["email_normalized", "commercial_partner_id"],
        ).filtered(lambda p: sender_key(p.email_normalized) == key)
        if not partners:
            return Partner, Partner, Partner
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("company_id", "=", company.id),
                    ("commercial_partner_id", "in", partners.commercial_partner_id.ids),
                ],
                ["commercial_partner_id"],
            )
        )
        customers = Partner.union(*(group[0] for group in groups))
        if len(customers) != 1:
            return Partner, Partner, customers
        contact = partners.filtered(lambda p: p.commercial_partner_id == customers).sorted(
            lambda p: (p == customers, p.id)
        )[:1]
        return customers, contact, customers

    @api.model
    def _mail_gateway_tell_shared(self, customers, address, company, alias, subject):
        """Tell the billing team that e-mails from ``address`` are refused because ``customers`` share it: an
        activity on each customer (internal: no portal user sees it) for the company's default specialist, else
        its billing managers; one open activity per customer and address, however many e-mails come."""
        users = company.billing_dispute_default_user_id._billing_can_handle_cases(company)
        if not users:
            managers = self.env.ref("billing_specialist.group_billing_manager").sudo().users
            users = managers._billing_can_handle_cases(company).sorted("id")[:1]
        summary = self.env._("E-mails from %(address)s refused: several customers have it", address=address)[:200]
        note = Markup("<p>%s</p>") % self.env._(
            "An e-mail to %(alias)s (subject: %(subject)s) was refused, and the sender told why: %(address)s is the "
            "address of contacts of %(customers)s, so it identifies none of them. Give each customer its own address "
            "(a portal user may have set its own to another customer's).",
            alias=alias.display_name,
            subject=(subject or "-")[:200],
            address=address,
            customers=", ".join(customers.mapped("display_name")),
        )
        Activity = self.env["mail.activity"].sudo()
        for customer in customers.sorted("id")[:MAX_TOLD]:
            known = Activity.search_count(
                [("res_model", "=", "res.partner"), ("res_id", "=", customer.id), ("summary", "=", summary)], limit=1
            )
            if known:
                continue
            if users:
                customer.sudo().activity_schedule(
                    act_type_xmlid="mail.mail_activity_data_todo",
                    date_deadline=fields.Date.context_today(self),
                    summary=summary,
                    note=note,
                    user_id=users.id,
                )
            else:  # nobody to give it to: an internal note on the customer, once
                _logger.warning("Billing alias %s: %s (no billing specialist to tell)", alias.display_name, summary)
                Message = self.env["mail.message"].sudo()
                domain = [("model", "=", "res.partner"), ("res_id", "=", customer.id), ("subject", "=", summary)]
                posted = Message.search_count(domain, limit=1)
                if not posted:
                    customer.sudo().message_post(body=note, subject=summary, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------ followers and authors

    def message_post(self, **kwargs):
        """An incoming e-mail's author is whom the mail gateway found by the sender's address (a user's partner
        first): kept only when it is an internal user or a contact of the case's customer (see
        ``billing_author``), so another customer's portal user who took that address neither reads nor follows it."""
        return super().message_post(**billing_author(self, kwargs))

    def _message_subscribe(self, partner_ids=None, subtype_ids=None, customer_ids=None):
        """Only the case's customer's contacts and internal users follow it (and so receive and read its
        messages): never a partner the mail gateway took for the author of an e-mail because of its address (a
        portal user may set its own to another customer's), whoever asks."""
        if not partner_ids:
            return super()._message_subscribe(partner_ids, subtype_ids, customer_ids)
        for group, allowed in billing_followers(self, partner_ids):
            super(BillingDispute, group)._message_subscribe(allowed, subtype_ids, customer_ids)
        return True

    # ------------------------------------------------------------------ new case

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Open a case from an e-mail (run as superuser by the gateway): the customer from the sender, the
        invoices from the numbers it quotes (that customer's only), the reason from keywords; the specialist
        gets it as a portal case. Numbers not found, or not open to dispute, are noted for the specialist."""
        defaults = self._mail_gateway_defaults(custom_values)
        company = self._mail_gateway_company(defaults)
        customer, contact = self._mail_gateway_customer(msg_dict.get("email_from"), company)
        if not customer:  # _alias_get_error refuses them first; a fallback route must not open a case either
            raise UserError(self.env._("Only customers can open a dispute by e-mail."))
        body = html2plaintext(msg_dict.get("body") or "")
        text = f"{msg_dict.get('subject') or ''}\n{body}"[:MAX_TEXT]
        invoices, notes = self._mail_gateway_invoices(text, customer, company)
        Reason = self.env["billing.dispute.reason"]
        reason = (
            Reason._billing_from_text(text)
            or Reason.browse(defaults.get("reason_id")).exists()
            or self.env.ref("billing_specialist.reason_other", raise_if_not_found=False)
            or Reason.search([], limit=1)
        )
        vals = {
            "partner_id": customer.id,
            "contact_id": contact.id if contact != customer else False,
            "company_id": company.id,
            "reason_id": reason.id,
            "channel": "email",
            "user_id": False,
            "description": msg_dict.get("body") or "",
            "line_ids": [
                Command.create({"move_id": move.id, "amount_disputed": move.amount_residual}) for move in invoices
            ],
        }
        if defaults.get("team_id"):
            vals["team_id"] = defaults["team_id"]
        case = self.with_company(company).create(vals)
        case._assign_to_specialist()
        if notes:
            case.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._("Check the invoices of this e-mail:"),
                    Markup().join(Markup("<li>%s</li>") % note for note in notes),
                ),
                subtype_xmlid="mail.mt_note",
                author_id=self.env.ref("base.partner_root").id,  # the application's note, not the sender's
            )
        return case

    @api.model
    def _mail_gateway_invoices(self, text, customer, company):
        """The invoices of ``customer`` in ``company`` that ``text`` names and that can be disputed, and notes on
        the numbers that are not (unknown, paid, already disputed, another currency). Another customer's
        invoices are never searched: their numbers read as unknown."""
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("company_id", "=", company.id),
                    ("commercial_partner_id", "=", customer.id),
                ]
            )
        )
        items = [OpenItem(m.id, customer.id, m.name, m.amount_residual, m.invoice_date_due or m.date) for m in moves]
        matcher = Matcher(items)
        named = moves.browse([item.id for item in matcher.named_items(text)])
        notes = [
            self.env._("%(number)s: not found among the invoices of %(customer)s.", number=word, customer=customer.name)
            for word in number_like(text)
            if not matcher.named_items(word)
        ]
        invoices = moves.browse()
        for move in named:
            try:
                move._billing_check_disputable()
            except UserError as error:
                notes.append(str(error.args[0]))
                continue
            if invoices and move.currency_id != invoices.currency_id:
                notes.append(
                    self.env._("%(number)s is in another currency: open a separate case for it.", number=move.name)
                )
                continue
            invoices |= move
        if not invoices:
            notes.append(
                self.env._("No invoice of %(customer)s found: add the disputed invoices.", customer=customer.name)
            )
        return invoices, notes
