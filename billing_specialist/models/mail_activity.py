from odoo import models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def action_billing_record_promise(self):
        """From a call activity on a customer, an invoice or a collection account: record what was promised."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id).exists() if self.res_model in self.env else None
        if record and self.res_model == "account.move":
            return record.action_billing_record_promise()
        if record and self.res_model == "res.partner":
            return record.action_billing_record_promise()
        if record and self.res_model == "billing.collection":
            return record.partner_id.with_company(record.company_id).action_billing_record_promise()
        raise UserError(self.env._("A promise to pay is recorded from an activity on a customer or an invoice."))
