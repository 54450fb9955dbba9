from datetime import timedelta

from odoo import Command, fields, models


class BillingStatementWizard(models.TransientModel):
    """Statement of account of one customer for a chosen period: print it, download it as XLSX or e-mail it."""

    _name = "billing.statement.wizard"
    _description = "Statement of Account"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    date_from = fields.Date(required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=90))
    date_to = fields.Date(required=True, default=fields.Date.context_today)

    def _report_data(self):
        """The report's options. The customer travels in them too: with options, the web client's report URL
        carries no record ids, so without it the PDF came out blank."""
        self.ensure_one()
        return {
            "partner_ids": self.partner_id.commercial_partner_id.ids,
            "date_from": fields.Date.to_string(self.date_from),
            "date_to": fields.Date.to_string(self.date_to),
            "company_id": self.company_id.id,
        }

    def _filename(self, extension):
        return self.env["billing.statement"]._filename(self.partner_id, self.date_to, extension)

    def action_print(self):
        report = self.env.ref("billing_specialist.action_report_billing_statement")
        return report.report_action(self.partner_id.commercial_partner_id, data=self._report_data())

    def action_download_xlsx(self):
        self.ensure_one()
        Statement = self.env["billing.statement"]
        statement = Statement._get_statement(self.partner_id, self.company_id, self.date_from, self.date_to)
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._filename("xlsx"),
                "raw": Statement._statement_xlsx(statement),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    def action_send(self):
        """Open the mail composer on the customer with the statement of the period attached as a PDF."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        content, _type = self.env["ir.actions.report"]._render_qweb_pdf(
            "billing_specialist.action_report_billing_statement", partner.ids, data=self._report_data()
        )
        # Owned by the composer until the message is posted, as the composer's own uploads are.
        attachment = self.env["ir.attachment"].create(
            {"name": self._filename("pdf"), "raw": content, "res_model": "mail.compose.message", "res_id": 0}
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": partner.ids,
                "default_template_id": self.env.ref("billing_specialist.mail_template_billing_statement").id,
                "default_composition_mode": "comment",
                "default_attachment_ids": [Command.set(attachment.ids)],
            },
        }
