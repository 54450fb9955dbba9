import logging

from odoo import Command, fields, models

_logger = logging.getLogger(__name__)


class MailMail(models.Model):
    _inherit = "mail.mail"

    billing_followup_line_id = fields.Many2one(
        "billing.followup.line", string="Follow-up", index="btree_not_null", ondelete="set null", readonly=True
    )

    def _send(
        self,
        auto_commit=False,
        raise_exception=False,
        smtp_session=None,
        alias_domain_id=False,
        mail_server=False,
        post_send_callback=None,
    ):
        """Follow-up e-mails get their statement of account (a PDF) when the mail queue sends them, not in the run:
        the run stays fast and a statement that cannot be printed fails that e-mail alone."""
        self._billing_attach_statements()
        return super()._send(
            auto_commit=auto_commit,
            raise_exception=raise_exception,
            smtp_session=smtp_session,
            alias_domain_id=alias_domain_id,
            mail_server=mail_server,
            post_send_callback=post_send_callback,
        )

    def _billing_attach_statements(self):
        mails = self.sudo().filtered(
            lambda m: m.state == "outgoing" and m.billing_followup_line_id.attach_statement and not m.attachment_ids
        )
        report = self.env.ref("billing_specialist.action_report_billing_statement").sudo()
        for mail in mails:
            try:
                mail._billing_attach_statement(report)
            except Exception as error:  # the statement fails this e-mail alone, not its batch
                _logger.warning("Statement of follow-up e-mail %s not rendered: %s", mail.id, error)
                mail.write(
                    {
                        "state": "exception",
                        "failure_type": "unknown",
                        "failure_reason": self.env._("The statement of account could not be printed: %s", error),
                    }
                )

    def _billing_attach_statement(self, report):
        line = self.billing_followup_line_id
        data = {
            "company_id": line.company_id.id,
            "date_from": fields.Date.to_string(line.statement_date_from or line.date),
            "date_to": fields.Date.to_string(line.date),
        }
        content, _kind = report.with_company(line.company_id)._render_qweb_pdf(
            report.report_name, line.partner_id.ids, data=data
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.env._("Statement - %(customer)s.pdf", customer=line.partner_id.name),
                    "raw": content,
                    "res_model": "mail.message",
                    "res_id": self.mail_message_id.id,
                    "mimetype": "application/pdf",
                }
            )
        )
        self.attachment_ids = [Command.link(attachment.id)]
