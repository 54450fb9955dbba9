# pylint: disable=consider-merging-classes-inherited
import ast
import logging

from markupsafe import Markup

from odoo import Command, api, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize, html2plaintext

from odoo.addons.mail.tools.alias_error import AliasError

from ..matching.engine import Matcher, OpenItem, number_like

_logger = logging.getLogger(__name__)

# What an alias's defaults may set on a case opened by e-mail: the rest (state, amounts, channel, specialist...) is
# the application's, whoever configured the alias.
ALIAS_DEFAULT_FIELDS = ("company_id", "reason_id", "team_id")
MAX_TEXT = 20000  # characters of subject and body searched for invoice numbers and keywords


# The gateway lives apart from billing_dispute.py (near 900 lines already): one concern, one file.
class BillingDispute(models.Model):
    """The mail gateway of dispute cases: an e-mail to a company's billing alias opens a case for its customer."""

    _inherit = "billing.dispute"

    # ------------------------------------------------------------------ routing

    def _alias_get_error(self, message, message_dict, alias):
        """Refuse, before anything is created, a new case from a sender who is no customer of the alias's company.

        The mail gateway then answers with the alias's bounced message (a polite refusal, editable on the alias).
        Replies to an existing case follow the alias's usual rules."""
        error = super()._alias_get_error(message, message_dict, alias)
        if error or self.ids:
            return error
        company = self._mail_gateway_company(self._mail_gateway_defaults(alias.alias_defaults))
        if not self._mail_gateway_customer(message_dict.get("email_from"), company)[0]:
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
        """The customer of ``company`` that ``email_from`` writes for, and the contact it writes as.

        A partner with that address whose company has posted customer invoices in ``company``; of several, the
        one with the most still open. (empty, empty) when there is none."""
        Partner = self.env["res.partner"].sudo()
        email = email_normalize(email_from or "")
        partners = Partner.search([("email_normalized", "=", email)]) if email else Partner
        if not partners:
            return Partner, Partner
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
                ["amount_residual:sum"],
            )
        )
        if not groups:
            return Partner, Partner
        customer = max(groups, key=lambda g: (g[1], -g[0].id))[0]
        contact = partners.filtered(lambda p: p.commercial_partner_id == customer).sorted(
            lambda p: (p == customer, p.id)
        )[:1]
        return customer, contact

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
