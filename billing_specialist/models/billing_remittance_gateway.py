# pylint: disable=consider-merging-classes-inherited
import logging

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..matching.remittance_files import kind_of
from .billing_dispute_gateway import billing_author, billing_followers

_logger = logging.getLogger(__name__)

MAX_TEXT = 200000  # characters of an e-mail body read for advice lines


class BillingRemittance(models.Model):
    """The mail gateway of remittance advices: an e-mail to a company's remittance alias creates one.

    From its first CSV, XLSX or PDF attachment, else from its body, read with the sender's customer format. The
    customer is found from the sender (customers of the alias's company only; others are refused as the billing
    alias refuses them). An advice that cannot be read, or that was imported already, is kept in the *Error* state
    with the message and the file, for a specialist to look at.
    """

    _inherit = "billing.remittance"

    def _alias_get_error(self, message, message_dict, alias):
        error = super()._alias_get_error(message, message_dict, alias)
        if error or self.ids:
            return error
        # A stranger, or an address several customers share (it identifies none): refused, as the billing alias does.
        return self.env["billing.dispute"]._mail_gateway_refusal(message_dict, alias)

    def message_post(self, **kwargs):
        """An incoming e-mail's author only when it may follow the advice (see ``billing.dispute``)."""
        return super().message_post(**billing_author(self, kwargs))

    def _message_subscribe(self, partner_ids=None, subtype_ids=None, customer_ids=None):
        """Only internal users and the advice's customer's contacts follow it (see ``billing.dispute``)."""
        if not partner_ids:
            return super()._message_subscribe(partner_ids, subtype_ids, customer_ids)
        for group, allowed in billing_followers(self, partner_ids):
            super(BillingRemittance, group)._message_subscribe(allowed, subtype_ids, customer_ids)
        return True

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Create the remittance of an e-mail (run as superuser by the gateway)."""
        Dispute = self.env["billing.dispute"]
        company = Dispute._mail_gateway_company(Dispute._mail_gateway_defaults(custom_values))
        customer, _contact = Dispute._mail_gateway_customer(msg_dict.get("email_from"), company)
        if not customer:  # _alias_get_error refuses them first; a fallback route must not create one either
            raise UserError(self.env._("Only customers can send remittance advices by e-mail."))
        layout = self.env["billing.remittance.format"].sudo()._for_customer(customer, company)._layout()
        attachment = next(
            (att for att in msg_dict.get("attachments") or [] if kind_of(att.fname, self._raw(att.content))), None
        )
        filename = attachment.fname if attachment else None
        content = self._raw(attachment.content) if attachment else None
        body = "" if attachment else msg_dict.get("body") or ""
        subject = (msg_dict.get("subject") or "")[:100]
        sender = (msg_dict.get("email_from") or "")[:200]
        try:
            with self.env.cr.savepoint():
                if len(body) > MAX_TEXT * 10:  # refused, not cut: a cut advice would be imported short of its lines
                    raise UserError(self.env._("The e-mail's text is too long to be read as an advice."))
                text = html2plaintext(body)
                if len(text) > MAX_TEXT:
                    raise UserError(self.env._("The e-mail's text is too long to be read as an advice."))
                advice, source = self._billing_read(filename, content, layout, text=text)
                remittance = self.with_company(company)._billing_import(
                    customer, company, advice, source, reference=subject,
                    attachment=(filename, content) if attachment else None, email_from=sender, origin="email",
                )  # fmt: skip
        except UserError as error:
            _logger.info("Remittance e-mail from %s kept as an error: %s", customer.name, error.args[0])
            remittance = self.sudo().create({
                "company_id": company.id, "partner_id": customer.id, "reference": subject, "source": "email",
                "state": "error", "error_message": error.args[0], "email_from": sender, "origin": "email",
            })  # fmt: skip
            if attachment:
                remittance.attachment_id = (
                    self.env["ir.attachment"]
                    .sudo()
                    .create({"name": filename, "raw": content, "res_model": self._name, "res_id": remittance.id})
                )
        return remittance

    @staticmethod
    def _raw(content):
        return content.encode() if isinstance(content, str) else (content or b"")
