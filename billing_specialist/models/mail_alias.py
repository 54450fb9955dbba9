from markupsafe import Markup

from odoo import models


class MailAlias(models.Model):
    _inherit = "mail.alias"

    def _get_alias_bounced_body(self, message_dict):
        """The billing aliases' refusal says why when it is not the usual one (a sender whose address several
        customers share: ``billing.dispute._mail_gateway_refusal``), without naming any customer."""
        refusal = message_dict.get("billing_refusal")
        if not refusal:
            return super()._get_alias_bounced_body(message_dict)
        body = Markup("<p>%s<br/><br/>%s<br/><br/>%s</p>") % (
            self.env._("Dear Sender,"),
            refusal,
            self.env._("Kind Regards"),
        )
        return self.env["ir.qweb"]._render(
            "mail.mail_bounce_alias_security", {"body": body, "message": message_dict}, minimal_qcontext=True
        )
