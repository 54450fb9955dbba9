import re
from collections import OrderedDict
from decimal import Decimal

from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request
from odoo.osv import expression
from odoo.tools import formatLang, plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.billing_dispute_stage import CLOSED_STATES, OPEN_STATES

MAX_EVIDENCE_FILES = 5
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_DESCRIPTION_CHARS = 5000
# A plain decimal number, comma or point as separator: no exponent, no nan/inf, no expression.
AMOUNT_PATTERN = re.compile(r"[+-]?(?:\d{1,15}(?:[.,]\d*)?|[.,]\d+)", re.ASCII)


def parse_decimal(env, value, currency):
    """An amount typed on a portal form, strictly: a plain decimal number (comma or point, no exponent, no nan or
    inf, no expression) with no more decimals than ``currency`` has. Anything else is a UserError for the form."""
    text = (value or "").strip()
    if not AMOUNT_PATTERN.fullmatch(text):
        raise UserError(env._("Enter the amount as a number, e.g. 120.50."))
    amount = Decimal(text.replace(",", "."))
    if -amount.as_tuple().exponent > currency.decimal_places:
        raise UserError(env._("Enter the amount with at most %(digits)s decimals.", digits=currency.decimal_places))
    return amount


class BillingDisputePortal(CustomerPortal):
    # ------------------------------------------------------------------ home and list

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "dispute_count" in counters:
            Dispute = request.env["billing.dispute"]
            values["dispute_count"] = Dispute.search_count([]) if Dispute.has_access("read") else 0
        if "statement_count" in counters:
            values["statement_count"] = 1 if request.env.user._is_portal() else 0
        return values

    def _dispute_searchbar_sortings(self):
        return {
            "date": {"label": request.env._("Newest"), "order": "date_opened desc, id desc"},
            "name": {"label": request.env._("Reference"), "order": "name desc"},
            "amount": {"label": request.env._("Amount in Dispute"), "order": "amount_remaining desc, id desc"},
            "state": {"label": request.env._("Status"), "order": "state, id desc"},
        }

    def _dispute_searchbar_filters(self):
        return OrderedDict(
            [
                ("all", {"label": request.env._("All"), "domain": []}),
                ("open", {"label": request.env._("Open"), "domain": [("state", "in", OPEN_STATES)]}),
                ("closed", {"label": request.env._("Closed"), "domain": [("state", "in", CLOSED_STATES)]}),
            ]
        )

    def _dispute_searchbar_inputs(self):
        return {
            "all": {"input": "all", "label": request.env._("Search in All")},
            "name": {"input": "name", "label": request.env._("Search in Reference")},
            "invoice": {"input": "invoice", "label": request.env._("Search in Invoices")},
        }

    def _dispute_search_domain(self, search_in, search):
        if not search:
            return []
        domains = {
            "name": [("name", "ilike", search)],
            "invoice": [("line_ids.move_id.name", "ilike", search)],
        }
        if search_in in domains:
            return domains[search_in]
        return expression.OR(list(domains.values()))

    @http.route(["/my/disputes", "/my/disputes/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_disputes(self, page=1, sortby="date", filterby="all", search_in="all", search=None, **kw):
        Dispute = request.env["billing.dispute"]
        if not Dispute.has_access("read"):
            return request.redirect("/my")
        sortings = self._dispute_searchbar_sortings()
        filters = self._dispute_searchbar_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        search_in = search_in if search_in in self._dispute_searchbar_inputs() else "all"
        domain = expression.AND([filters[filterby]["domain"], self._dispute_search_domain(search_in, search)])
        total = Dispute.search_count(domain)
        pager = portal_pager(
            url="/my/disputes",
            url_args={"sortby": sortby, "filterby": filterby, "search_in": search_in, "search": search},
            total=total,
            page=page,
            step=self._items_per_page,
        )
        disputes = Dispute.search(
            domain, order=sortings[sortby]["order"], limit=self._items_per_page, offset=pager["offset"]
        )
        request.session["my_disputes_history"] = disputes.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "disputes": disputes,
                "page_name": "dispute",
                "pager": pager,
                "default_url": "/my/disputes",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
                "searchbar_inputs": self._dispute_searchbar_inputs(),
                "search_in": search_in,
                "search": search,
            }
        )
        return request.render("billing_specialist.portal_my_disputes", values)

    # ------------------------------------------------------------------ one case

    @http.route(["/my/disputes/<int:dispute_id>"], type="http", auth="public", website=True)
    def portal_my_dispute(self, dispute_id, access_token=None, **kw):
        try:
            dispute_sudo = self._document_check_access("billing.dispute", dispute_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            dispute_sudo,
            access_token,
            {
                "dispute": dispute_sudo,
                "page_name": "dispute",
                "credit_notes": dispute_sudo.settlement_move_ids.filtered(
                    lambda m: m.move_type == "out_refund" and m.state == "posted"
                ),
                "message": kw.get("message"),
                "error": kw.get("error"),
            },
            "my_disputes_history",
            False,
        )
        return request.render("billing_specialist.portal_dispute_page", values)

    @http.route(["/my/disputes/<int:dispute_id>/withdraw"], type="http", auth="public", methods=["POST"], website=True)
    def portal_dispute_withdraw(self, dispute_id, access_token=None, **kw):
        try:
            dispute_sudo = self._document_check_access("billing.dispute", dispute_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        url = self._dispute_url(dispute_sudo)
        try:
            # Superuser once the access check passed: portal users cannot write cases themselves.
            dispute_sudo._portal_withdraw(self._portal_author(dispute_sudo.contact_id or dispute_sudo.partner_id))
        except UserError as error:
            return request.redirect(self._url_with(url, error=str(error)))
        return request.redirect(self._url_with(url, message="withdrawn"))

    @staticmethod
    def _url_with(url, **params):
        return f"{url}{'&' if '?' in url else '?'}{url_encode(params)}"

    # ------------------------------------------------------------------ dispute an invoice

    def _invoice_for_dispute(self, invoice_id, access_token):
        invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
        if invoice_sudo.move_type != "out_invoice" or invoice_sudo.state != "posted":
            raise MissingError(request.env._("This document cannot be disputed."))
        return invoice_sudo

    @staticmethod
    def _portal_author(fallback_partner):
        """Who acts: the logged-in customer, or, through an e-mail link with a token, the document's partner."""
        user = request.env.user
        return fallback_partner if user._is_public() else user.partner_id

    @http.route(["/my/invoices/<int:invoice_id>/dispute"], type="http", auth="public", website=True)
    def portal_invoice_dispute_form(self, invoice_id, access_token=None, **kw):
        try:
            invoice_sudo = self._invoice_for_dispute(invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        open_case = invoice_sudo._billing_open_dispute()
        if open_case:
            return request.redirect(self._dispute_url(open_case))
        return request.render(
            "billing_specialist.portal_dispute_form", self._dispute_form_values(invoice_sudo, access_token, kw)
        )

    def _dispute_form_values(self, invoice_sudo, access_token, values, error=None):
        reasons = request.env["billing.dispute.reason"].sudo().search([("portal_visible", "=", True)])
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "dispute_form",
            "invoice": invoice_sudo,
            "access_token": access_token,
            "reasons": reasons,
            "product_lines": invoice_sudo.invoice_line_ids.filtered(lambda aml: aml.display_type == "product"),
            "form": values,
            "error": error,
        }

    @http.route(
        ["/my/invoices/<int:invoice_id>/dispute/submit"], type="http", auth="public", methods=["POST"], website=True
    )
    def portal_invoice_dispute_submit(self, invoice_id, access_token=None, **post):
        try:
            invoice_sudo = self._invoice_for_dispute(invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        env = request.env
        try:
            amount = self._parse_amount(post.get("amount"), invoice_sudo)
            reason = env["billing.dispute.reason"].sudo().browse(self._parse_int(post.get("reason_id"))).exists()
            line_ids = [self._parse_int(value) for value in request.httprequest.form.getlist("line_ids")]
            lines = env["account.move.line"].sudo().browse(line_ids).exists()
            description = (post.get("description") or "").strip()[:MAX_DESCRIPTION_CHARS]
            files = [f for f in request.httprequest.files.getlist("attachments") if f and f.filename]
            if len(files) > MAX_EVIDENCE_FILES:
                raise UserError(env._("Attach at most %(count)s files.", count=MAX_EVIDENCE_FILES))
            evidence = []
            for upload in files:
                content = upload.read(MAX_EVIDENCE_BYTES + 1)
                if len(content) > MAX_EVIDENCE_BYTES:
                    raise UserError(env._("%(file)s is larger than 10 MB.", file=upload.filename))
                evidence.append((upload.filename, content))
            # Superuser after _document_check_access on the invoice: portal users have no create right on
            # cases; _portal_create_from_invoice checks the customer, reason, amount and daily limit again.
            partner = self._portal_author(invoice_sudo.partner_id)
            with env.cr.savepoint():
                dispute = (
                    env["billing.dispute"]
                    .sudo()
                    ._portal_create_from_invoice(
                        invoice_sudo,
                        partner,
                        reason,
                        amount,
                        description=plaintext2html(description) if description else "",
                        invoice_lines=lines,
                    )
                )
                if evidence:
                    dispute.message_post(
                        body=env._("Evidence sent by the customer."),
                        author_id=partner.id,
                        message_type="comment",
                        subtype_xmlid="mail.mt_comment",
                        attachments=[(name, content) for name, content in evidence],
                    )
        except (UserError, ValidationError) as error:
            values = self._dispute_form_values(invoice_sudo, access_token, post, error=str(error.args[0]))
            return request.render("billing_specialist.portal_dispute_form", values, status=400)
        return request.redirect(self._url_with(self._dispute_url(dispute), message="opened"))

    @staticmethod
    def _dispute_url(dispute_sudo):
        """The case's page: its plain URL for a logged-in customer, with the access token for an e-mail link."""
        return dispute_sudo.get_portal_url() if request.env.user._is_public() else dispute_sudo.access_url

    @staticmethod
    def _parse_int(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    @staticmethod
    def _parse_amount(value, invoice):
        """The disputed amount as typed: a finite, positive number within the invoice's open amount, with no
        more decimals than its currency has. Anything else is a message on the form, never a server error."""
        env = request.env
        currency = invoice.currency_id
        amount = parse_decimal(env, value, currency)
        if amount <= 0:
            raise UserError(env._("The disputed amount must be greater than zero."))
        if currency.compare_amounts(float(amount), invoice.amount_residual) > 0:
            raise UserError(
                env._(
                    "The disputed amount %(amount)s on %(invoice)s is more than its open amount %(open)s.",
                    amount=formatLang(env, float(amount), currency_obj=currency),
                    invoice=invoice.name,
                    open=formatLang(env, invoice.amount_residual, currency_obj=currency),
                )
            )
        return float(amount)

    # ------------------------------------------------------------------ statement of account

    @http.route(["/my/statement"], type="http", auth="user", website=True)
    def portal_my_statement(self, date_from=None, date_to=None, output="html", **kw):
        user = request.env.user
        if not user._is_portal():
            return request.redirect("/my")
        Statement = request.env["billing.statement"]
        default_from, default_to = Statement._default_period()
        try:
            start = fields.Date.to_date(date_from) or default_from
            end = fields.Date.to_date(date_to) or default_to
        except ValueError:
            start, end = default_from, default_to
        if start > end:
            start, end = end, start
        # Superuser: portal users cannot read journal items; the statement only ever reads the items of the
        # user's own commercial partner in the user's company.
        statement = Statement.sudo()._get_statement(user.partner_id, user.company_id, start, end)
        filename = Statement._filename(statement["partner"], end)
        if output == "xlsx":
            content = Statement.sudo()._statement_xlsx(statement)
            return request.make_response(
                content,
                [
                    ("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                    ("Content-Disposition", content_disposition(f"{filename}.xlsx")),
                ],
            )
        if output == "pdf":
            report = request.env["ir.actions.report"].sudo()
            content, _type = report._render_qweb_pdf(
                "billing_specialist.action_report_billing_statement",
                [statement["partner"].id],
                data={"date_from": str(start), "date_to": str(end), "company_id": user.company_id.id},
            )
            return request.make_response(
                content,
                [("Content-Type", "application/pdf"), ("Content-Disposition", content_disposition(f"{filename}.pdf"))],
            )
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "statement",
            "statement": statement,
            "date_from": start,
            "date_to": end,
            "links": self._statement_links(statement),
        }
        return request.render("billing_specialist.portal_my_statement", values)

    @staticmethod
    def _statement_links(statement):
        """For each line of the statement: the page of its invoice or credit note, and its open case if any.

        The statement holds the user's own commercial partner's documents only; each is checked again here
        (customer invoice or credit note of that partner) before a link is given. A document the user cannot
        open by the portal's record rules gets its tokenised link, as in the e-mails the customer received.
        """
        env = request.env
        moves = env["account.move"].sudo().browse([line["move_id"] for line in statement["lines"]]).exists()
        moves = moves.filtered(
            lambda m: (
                m.move_type in ("out_invoice", "out_refund")
                and m.state == "posted"
                and m.commercial_partner_id == statement["partner"]
            )
        )
        readable = moves.with_env(env)._filtered_access("read")
        cases = (
            env["billing.dispute.line"]
            .sudo()
            .search([("move_id", "in", moves.ids), ("dispute_id.state", "in", OPEN_STATES)])
            .filtered(lambda dl: dl.dispute_id.partner_id == statement["partner"])
        )
        case_of = {dl.move_id.id: dl.dispute_id for dl in cases}
        readable_cases = cases.dispute_id.with_env(env)._filtered_access("read")
        links = {}
        for move in moves:
            case = case_of.get(move.id)
            links[move.id] = {
                "url": move.access_url if move in readable else move.get_portal_url(),
                "dispute": case.name if case else False,
                "dispute_url": (case.access_url if case in readable_cases else case.get_portal_url())
                if case
                else False,
            }
        return links
