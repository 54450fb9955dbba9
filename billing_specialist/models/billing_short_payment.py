from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang


class BillingPaymentApply(models.AbstractModel):
    """A short payment applied from the review screen may open a dispute case for what it leaves open."""

    _inherit = "billing.payment.apply"

    @api.model
    def _billing_after_apply(self, applications):
        result = super()._billing_after_apply(applications)
        for application in applications:
            if application.dispute_reason is not None:
                self._open_short_payment_dispute(application)
        return result

    @api.model
    def _open_short_payment_dispute(self, application):
        """After a short payment, open a case for what the payment left open on the invoice it paid in part."""
        invoices = (
            self.env["account.move"]
            .browse(application.move_ids)
            .filtered(lambda m: m.move_type == "out_invoice" and not m.currency_id.is_zero(m.amount_residual))
        )
        if len(invoices) != 1:
            raise UserError(
                self.env._("To dispute the difference, the payment must leave exactly one invoice partly open.")
            )
        if not application.dispute_reason:
            raise UserError(self.env._("Choose the reason of the dispute for the difference."))
        source = application.source
        vals = invoices._billing_prepare_dispute_vals()
        vals.update(
            reason_id=application.dispute_reason.id,
            source_payment_id=source._billing_payment().id,
            description=self.env._(
                "<p>Short payment: %(payment)s left %(amount)s open on %(invoice)s.</p>",
                payment=source._billing_row_name(),
                amount=formatLang(self.env, invoices.amount_residual, currency_obj=invoices.currency_id),
                invoice=invoices.name,
            ),
        )
        return self.env["billing.dispute"].create(vals)
