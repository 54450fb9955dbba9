# pylint: disable=consider-merging-classes-inherited
import logging

from odoo import api, models, modules
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..matching.remittance_files import MAX_BYTES, kind_of
from .billing_dispute_gateway import billing_author, billing_followers

_logger = logging.getLogger(__name__)

MAX_TEXT = 200000  # characters of an e-mail body read for advice lines


class BillingRemittance(models.Model):
    """The mail gateway of remittance advices: an e-mail to a company's remittance alias creates one.

    From its first CSV, XLSX or PDF attachment, else from its body, read with the sender's customer format. A file is
    kept unread (*Waiting to Be Read*) and read by a scheduled action, in a child process with limits, so that a
    hostile attachment cannot hold up the mail fetch; a file refused leaves the advice in *Error* with the reason. The
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
        files = [att for att in msg_dict.get("attachments") or [] if kind_of(att.fname, self._raw(att.content))]
        subject = (msg_dict.get("subject") or "")[:100]
        sender = (msg_dict.get("email_from") or "")[:200]
        if files:  # read later, outside the mail fetch: a bad file cannot hold up the fetch of other e-mails
            remittance = self._billing_receive_file(customer, company, files[0], subject, sender)
            if len(files) > 1:  # one advice per e-mail: the others are not lost silently
                remittance._message_log(
                    body=self.env._(
                        "This e-mail carried %(count)s advice files; only %(read)s is read here. Import the others "
                        "(%(others)s) with Import Remittance Advice: they are attached to this e-mail.",
                        count=len(files),
                        read=files[0].fname,
                        others=", ".join(att.fname or "?" for att in files[1:11])
                        + (", ..." if len(files) > 11 else ""),
                    )
                )
            return remittance
        layout = (
            self.env["billing.remittance.format"].sudo()._for_customer(customer, company)._layout(company.currency_id)
        )
        body = msg_dict.get("body") or ""
        try:
            with self.env.cr.savepoint():
                if len(body) > MAX_TEXT * 10:  # refused, not cut: a cut advice would be imported short of its lines
                    raise UserError(self.env._("The e-mail's text is too long to be read as an advice."))
                text = html2plaintext(body)
                if len(text) > MAX_TEXT:
                    raise UserError(self.env._("The e-mail's text is too long to be read as an advice."))
                advice, source = self._billing_read(None, None, layout, text=text)
                remittance = self.with_company(company)._billing_import(
                    customer, company, advice, source, reference=subject, email_from=sender, origin="email"
                )
        except UserError as error:
            _logger.info("Remittance e-mail from %s kept as an error: %s", customer.name, error.args[0])
            remittance = self.sudo().create(
                {
                    "company_id": company.id,
                    "partner_id": customer.id,
                    "reference": subject,
                    "source": "email",
                    "state": "error",
                    "error_message": error.args[0],
                    "email_from": sender,
                    "origin": "email",
                }
            )
        return remittance

    @api.model
    def _billing_receive_file(self, customer, company, attachment, subject, sender):
        """Keep an e-mailed advice file, unread, for the scheduled action to read (state *Waiting to Be Read*)."""
        content = self._raw(attachment.content)
        kind = kind_of(attachment.fname, content)
        vals = {
            "company_id": company.id,
            "partner_id": customer.id,
            "reference": subject,
            "email_from": sender,
            "source": kind,
            "state": "reading",
            "origin": "email",
        }
        if len(content) > MAX_BYTES:  # not even stored: the size alone refuses it
            vals.update(
                state="error",
                error_message=self.env._(
                    "Refused: %(reason)s",
                    reason=self.env._("The file is larger than %(size)s MB.", size=MAX_BYTES // (1024 * 1024)),
                ),
            )
        remittance = self.sudo().create(vals)
        if remittance.state == "reading":
            remittance.attachment_id = (
                self.env["ir.attachment"]
                .sudo()
                .create({"name": attachment.fname, "raw": content, "res_model": self._name, "res_id": remittance.id})
            )
            cron = self.env.ref("billing_specialist.ir_cron_billing_remittance_read", raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()
        return remittance

    @api.model
    def _cron_read_files(self, limit=20):
        """The scheduled action: read the e-mailed advice files waiting to be read, each in a child process with
        limits (``remittance_files.extract``); a file refused leaves its advice in *Error* with the reason."""
        using = self.env["res.company"]._billing_capability_domain("remittances", prefix="company_id.")
        waiting = self.sudo().search([("state", "=", "reading"), *using], order="id", limit=limit + 1)
        for remittance in waiting[:limit]:
            remittance._billing_read_file()
            if self._billing_can_commit():
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if len(waiting) > limit:
            self.env.ref("billing_specialist.ir_cron_billing_remittance_read").sudo()._trigger()
        return True

    def _billing_read_file(self):
        """Read this advice's file with its customer's format: the lines, or *Error* with the reason."""
        self.ensure_one()
        remittance = self.sudo().with_company(self.company_id)
        if remittance.state != "reading":
            return
        company, customer = remittance.company_id, remittance.partner_id
        attachment = remittance.attachment_id
        layout = (
            remittance.env["billing.remittance.format"]._for_customer(customer, company)._layout(company.currency_id)
        )
        try:
            with self.env.cr.savepoint():
                if not attachment:
                    raise UserError(self.env._("The file is missing."))
                advice, source = remittance._billing_read(attachment.name, attachment.raw, layout)
                vals = remittance._billing_import_vals(
                    customer,
                    company,
                    advice,
                    source,
                    reference=remittance.reference,
                    email_from=remittance.email_from,
                    origin="email",
                )
                vals = {key: value for key, value in vals.items() if key not in ("company_id", "partner_id")}
                remittance.write({**vals, "state": "new", "error_message": False})
                remittance._billing_match_payment()
        except UserError as error:
            _logger.info("Remittance file %s of %s refused: %s", attachment.name, customer.name, error.args[0])
            remittance.write(
                {"state": "error", "error_message": self.env._("Refused: %(reason)s", reason=error.args[0])}
            )

    def _billing_can_commit(self):
        """Only the scheduled action commits after each file; never a user's request, never a test."""
        return bool(self.env.context.get("ir_cron_progress_id")) and not modules.module.current_test

    @staticmethod
    def _raw(content):
        return content.encode() if isinstance(content, str) else (content or b"")
