import json

from werkzeug.urls import url_parse

from odoo import fields, http
from odoo.http import content_disposition, request

from odoo.addons.web.controllers.report import ReportController

STATEMENT_REPORT = "billing_specialist.report_billing_statement"


class BillingReportController(ReportController):
    @http.route()
    def report_download(self, data, context=None, token=None, readonly=True):
        """The statement printed from its wizard is named after the customer and the period's last day.

        The wizard's period travels in the report's options, and with options Odoo names the file after the report
        ("Statement of Account.pdf"); through the Print menu its ``print_report_name`` already names it.
        """
        response = super().report_download(data, context=context, token=token, readonly=readonly)
        filename = self._billing_statement_filename(data)
        if filename and response.status_code == 200:
            response.headers["Content-Disposition"] = content_disposition(filename)
        return response

    @staticmethod
    def _billing_statement_filename(data):
        """The file name of a statement printed with options, or None (another report, ids in the URL, bad data).

        Read after the report was rendered for this user: the customer and dates were checked by the report."""
        try:
            url, report_type = json.loads(data)[:2]
            path, _sep, _query = url.partition("?")
            if report_type != "qweb-pdf" or path != f"/report/pdf/{STATEMENT_REPORT}":
                return None
            options = json.loads(url_parse(url).decode_query(cls=dict).get("options") or "{}")
            partner_ids = [int(pid) for pid in options.get("partner_ids") or []]
            date_to = fields.Date.to_date(options.get("date_to"))
        except (TypeError, ValueError, AttributeError, KeyError):
            return None
        partner = request.env["res.partner"].browse(partner_ids).exists()
        if len(partner) != 1 or not date_to:
            return None
        return request.env["billing.statement"]._filename(partner, date_to, "pdf")
