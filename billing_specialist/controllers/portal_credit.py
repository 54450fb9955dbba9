from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class BillingCreditPortal(CustomerPortal):
    """The portal tells a customer on credit hold, politely, what to pay to be released (home, My Invoices and the
    statement show ``billing_credit_banner``)."""

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        values["billing_credit_banner"] = self._billing_credit_banner()
        return values

    @staticmethod
    def _billing_credit_banner():
        """{"amount": text or False, "url": the invoices to pay} when the user's own commercial entity is on credit hold in the user's company
        (False otherwise: OK, watch, an internal user, another customer's state is never read)."""
        user = request.env.user
        if not user._is_portal():
            return False
        # Superuser: a portal user cannot read credit states; only its own commercial partner's, in its own company.
        partner = user.partner_id.commercial_partner_id.sudo()
        status = partner._billing_credit_status(user.company_id)
        if not status or status.state != "hold":
            return False
        currency = status.currency_id
        releasable = currency.compare_amounts(status.amount_to_release, 0) > 0
        # Held for old overdue items: those invoices; above the limit only: all of them (nothing may be overdue).
        overdue = currency.compare_amounts(status.overdue_amount, 0) > 0
        return {
            "amount": currency.format(status.amount_to_release) if releasable else False,
            "url": "/my/invoices?filterby=overdue_invoices" if overdue else "/my/invoices",
        }
