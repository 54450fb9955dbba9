import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..matching.remittance import DEFAULT_DATE_FORMATS, DEFAULT_LINE_PATTERN, Layout, check_line_pattern

COLUMN_HELP = "A header name (any case) or a 1-based column position; empty when the advice has no such column."


class BillingRemittanceFormat(models.Model):
    """How one customer's remittance advices are laid out: onboarding a customer is filling this form, no code.

    The columns of a CSV/XLSX advice (by header name or position; one amount column or separate debit and credit
    columns), how numbers and dates are written, and, for e-mails and PDFs, a regular expression with named groups
    (``reference``, ``amount``, optional ``deduction`` and ``reason``) that reads one invoice per line of text. What
    is read is data: it is never executed or evaluated.
    """

    _name = "billing.remittance.format"
    _description = "Remittance Advice Format"
    _order = "partner_id, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        check_company=True,
        domain="[('parent_id', '=', False)]",
        help="The customer whose advices look like this; empty: the company's default format.",
    )
    column_reference = fields.Char(string="Invoice Reference Column", default="1", required=True, help=COLUMN_HELP)
    column_amount = fields.Char(string="Amount Paid Column", default="2", help=COLUMN_HELP)
    column_debit = fields.Char(string="Debit Column", help=COLUMN_HELP + " Amount paid = debit - credit.")
    column_credit = fields.Char(string="Credit Column", help=COLUMN_HELP + " A credit: a credit note taken off.")
    column_deduction = fields.Char(string="Deduction Column", help=COLUMN_HELP)
    column_reason = fields.Char(string="Deduction Reason Column", help=COLUMN_HELP)
    column_date = fields.Char(string="Date Column", help=COLUMN_HELP)
    has_header = fields.Boolean(string="First Row Is a Header", default=True)
    skip_rows = fields.Integer(string="Rows to Skip", help="Rows above the header (a title, the customer's address).")
    decimal_comma = fields.Boolean(help="Amounts written 1.234,56 rather than 1,234.56.")
    date_formats = fields.Char(
        default=", ".join(DEFAULT_DATE_FORMATS),
        required=True,
        help="Comma-separated formats tried in turn: %Y year, %m month, %d day (e.g. %d.%m.%Y).",
    )
    line_pattern = fields.Char(
        string="Text Line Pattern",
        default=DEFAULT_LINE_PATTERN,
        help="For e-mails and PDFs: a regular expression matched on each line of text, with the named groups "
        "reference and amount, optionally deduction and reason.",
    )

    _sql_constraints = [
        ("skip_rows_positive", "CHECK(skip_rows >= 0)", "The rows to skip cannot be negative."),
    ]

    @api.constrains("line_pattern")
    def _check_line_pattern(self):
        for fmt in self.filtered("line_pattern"):
            try:
                groups = set(re.compile(fmt.line_pattern).groupindex)
            except re.error as error:
                raise ValidationError(self.env._("The text line pattern is not valid: %s", error)) from error
            if not {"reference", "amount"} <= groups:
                raise ValidationError(self.env._("The text line pattern needs the named groups reference and amount."))
            try:
                check_line_pattern(fmt.line_pattern)
            except ValueError as error:
                raise ValidationError(
                    self.env._("The text line pattern is refused: %s.", self.env._(error.args[0]))
                ) from error

    @api.constrains("date_formats")
    def _check_date_formats(self):
        for fmt in self:
            formats = fmt._date_formats()
            if not formats or any("%" not in item for item in formats):
                raise ValidationError(self.env._("Each date format needs codes such as %(codes)s.", codes="%d, %m, %Y"))

    def _date_formats(self):
        return tuple(item.strip() for item in (self.date_formats or "").split(",") if item.strip())

    def _layout(self, currency=None):
        """The plain ``Layout`` the reader uses; the default one for an empty recordset. Amounts are read with the
        decimals of ``currency`` (the advice's; else the company's)."""
        digits = (currency or self.env.company.currency_id).decimal_places
        if not self:
            return Layout(digits=digits)
        self.ensure_one()
        return Layout(
            reference=self.column_reference or "",
            amount=self.column_amount or "",
            debit=self.column_debit or "",
            credit=self.column_credit or "",
            deduction=self.column_deduction or "",
            reason=self.column_reason or "",
            date=self.column_date or "",
            has_header=self.has_header,
            skip_rows=self.skip_rows,
            decimal_comma=self.decimal_comma,
            date_formats=self._date_formats() or DEFAULT_DATE_FORMATS,
            line_pattern=self.line_pattern or DEFAULT_LINE_PATTERN,
            digits=digits,
        )

    @api.model
    def _for_customer(self, partner, company):
        """The customer's format in ``company``, else the company's default one, else none (the default layout)."""
        formats = self.search(
            [("company_id", "=", company.id), ("partner_id", "in", [partner.id, False])], order="partner_id, id"
        )
        return formats.filtered(lambda fmt: fmt.partner_id == partner)[:1] or formats[:1]
