from odoo import api, fields, models

# The pre-send check of credit control: it warns until a billing manager decides to block (a new install must not
# stop invoicing), after the checks of invoicing.
CREDIT_HOLD_DEFAULTS = {"sequence": 80, "mode": "warn"}


class BillingInvoiceCheck(models.Model):
    """Credit control adds the pre-send check "Customer on Credit Hold" to every company (block, warn or off)."""

    _inherit = "billing.invoice.check"

    code = fields.Selection(
        selection_add=[("credit_hold", "Customer on Credit Hold")], ondelete={"credit_hold": "cascade"}
    )

    @api.model
    def _billing_check_defaults(self):
        return {**super()._billing_check_defaults(), "credit_hold": dict(CREDIT_HOLD_DEFAULTS)}


class BillingInvoiceCheckResult(models.Model):
    """A finding of the credit hold check reads as one, like the others'."""

    _inherit = "billing.invoice.check.result"

    code = fields.Selection(
        selection_add=[("credit_hold", "Customer on Credit Hold")], ondelete={"credit_hold": "cascade"}
    )
