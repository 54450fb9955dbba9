from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.account.controllers.portal import PortalAccount


class BillingPortalInvoice(PortalAccount):
    @http.route()
    def portal_my_invoice_detail(self, invoice_id, access_token=None, report_type=None, download=False, **kw):
        """A posted invoice reads as the invoice it is, never "PROFORMA".

        Odoo's portal shows a posted invoice as a pro forma until its PDF has been generated (when it is sent or
        printed from the back office): the preview, the printed and the downloaded copy all read "PROFORMA Invoice".
        Until that PDF exists, the invoice is shown and downloaded as rendered now, without the pro forma mark, and
        nothing is stored (the official PDF is still made by sending it). Once it exists, Odoo's own route serves it.
        """
        if report_type in ("html", "pdf", "text"):
            try:
                invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
            except (AccessError, MissingError):
                return request.redirect("/my")
            if self._billing_posted_without_pdf(invoice_sudo):
                report = (
                    invoice_sudo.partner_id.invoice_template_pdf_report_id.report_name or "account.account_invoices"
                )
                request.update_context(proforma_invoice=False)
                return self._show_report(
                    model=invoice_sudo, report_type=report_type, report_ref=report, download=download
                )
        return super().portal_my_invoice_detail(
            invoice_id, access_token=access_token, report_type=report_type, download=download, **kw
        )

    @staticmethod
    def _billing_posted_without_pdf(invoice):
        return (
            invoice.state == "posted"
            and invoice.is_sale_document(include_receipts=True)
            and not invoice.invoice_pdf_report_id
        )
