from datetime import timedelta

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.account.controllers.portal import PortalAccount

from .portal import parse_decimal


class BillingPromisePortal(PortalAccount):
    """'I will pay on ...' on a customer's invoice page: a promise to pay within the company's limits."""

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        values.update(self._promise_values(invoice, recorded=kwargs.get("promise") == "recorded"))
        return values

    @staticmethod
    def _promise_values(invoice_sudo, recorded=False, error=None, form=None):
        """The open promise of the invoice, or what the form may offer (dates, default amount)."""
        today = fields.Date.context_today(invoice_sudo)
        max_days = invoice_sudo.company_id._billing_portal_promise_days()
        amount = invoice_sudo._billing_undisputed_residual()
        return {
            "billing_promise": invoice_sudo._billing_open_promise()
            if invoice_sudo.move_type == "out_invoice"
            else None,
            "billing_promise_allowed": invoice_sudo._billing_portal_promise_allowed(),
            "billing_promise_min": fields.Date.to_string(today),
            "billing_promise_max": fields.Date.to_string(today + timedelta(days=max_days)),
            "billing_promise_amount": f"{amount:.{invoice_sudo.currency_id.decimal_places}f}",
            "billing_promise_recorded": recorded,
            "billing_promise_error": error,
            "billing_promise_form": form or {},
        }

    def _promise_author(self, invoice_sudo):
        """Who promises: the logged-in user of the invoice's customer, or, through an e-mail link with its access
        token, the invoice's contact. A logged-in user of another customer (or an employee) does not."""
        user = request.env.user
        if user._is_public():
            return invoice_sudo.partner_id
        if user.commercial_partner_id != invoice_sudo.commercial_partner_id:
            raise UserError(request.env._("Only the customer of this invoice can promise to pay it."))
        return user.partner_id

    @staticmethod
    def _parse_promise_date(value):
        try:
            return fields.Date.to_date((value or "").strip())
        except ValueError:
            raise UserError(request.env._("Enter the date you will pay on as YYYY-MM-DD.")) from None

    @http.route(["/my/invoices/<int:invoice_id>/promise"], type="http", auth="public", methods=["POST"], website=True)
    def portal_invoice_promise(self, invoice_id, access_token=None, **post):
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        env = request.env
        try:
            author = self._promise_author(invoice_sudo)
            date = self._parse_promise_date(post.get("promise_date"))
            if not date:
                raise UserError(env._("Enter the date you will pay on."))
            amount = float(parse_decimal(env, post.get("promise_amount"), invoice_sudo.currency_id))
            # Superuser after the access check on the invoice: portal users cannot create promises themselves;
            # _portal_create checks the company's limits, the invoice and the amount again.
            with env.cr.savepoint():
                env["billing.promise"].sudo()._portal_create(invoice_sudo, author, date, amount)
        except (UserError, ValidationError) as error:
            values = self._invoice_get_page_view_values(invoice_sudo, access_token)
            values.update(self._promise_values(invoice_sudo, error=str(error.args[0]), form=post))
            return request.render("account.portal_invoice_page", values, status=400)
        url = invoice_sudo.get_portal_url() if env.user._is_public() else invoice_sudo.access_url
        return request.redirect(f"{url}{'&' if '?' in url else '?'}promise=recorded")
