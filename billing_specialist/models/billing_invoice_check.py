import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..checks import CHECK_CODES, CHECK_DEFAULTS, MODES


class BillingInvoiceCheck(models.Model):
    """How one pre-send check behaves in one company: block, warn or off, and its parameters."""

    _name = "billing.invoice.check"
    _description = "Invoice Pre-send Check"
    _inherit = ["billing.finite.mixin"]
    _finite_fields = ("tolerance_amount", "tolerance_percent", "factor")
    _order = "company_id, sequence, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True, ondelete="cascade")
    code = fields.Selection(CHECK_CODES, string="Check", required=True, readonly=True)
    name = fields.Char(compute="_compute_name")
    sequence = fields.Integer(default=10)
    mode = fields.Selection(
        MODES,
        required=True,
        default="warn",
        help="Block: posting stops until the invoice is corrected or a billing manager overrides with a reason. "
        "Warn: the finding is recorded on the invoice and shown, posting goes on. Off: not checked.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    tolerance_amount = fields.Monetary(
        string="Amount Tolerance",
        currency_field="currency_id",
        help="Near-duplicate: amounts at most this far apart count as the same (or the percentage, the larger).",
    )
    tolerance_percent = fields.Float(
        string="Tolerance (%)",
        digits=(16, 2),
        help="Near-duplicate: amounts within this percentage count as the same. Unusual amount: the usual band "
        "is at least this percentage of the customer's average either side.",
    )
    days_window = fields.Integer(help="Near-duplicate: invoice dates at most this many days apart.")
    min_history = fields.Integer(
        string="Minimum History",
        default=10,
        help="Unusual amount and currency: with fewer posted invoices of the customer nothing is flagged.",
    )
    factor = fields.Float(
        string="Standard Deviations",
        default=2.0,
        digits=(16, 2),
        help="Unusual amount: outside the average plus or minus this many standard deviations of the customer's "
        "last 30 invoices.",
    )
    lookback_days = fields.Integer(
        string="Lookback (days)",
        default=60,
        help="Recent dispute: cases opened in the last this many days on a product of the invoice.",
    )

    _sql_constraints = [
        ("company_code_uniq", "unique(company_id, code)", "Each check is configured once per company."),
    ]

    def init(self):
        # Near-duplicate, unusual amount and usual currency read a customer's documents by type and date.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS billing_account_move_check_idx ON account_move "
                "(commercial_partner_id, move_type, invoice_date) WHERE state != 'cancel'"
            )
        )

    @api.depends("code")
    def _compute_name(self):
        labels = dict(self._fields["code"]._description_selection(self.env))
        for check in self:
            check.name = labels.get(check.code, "")

    @api.constrains("tolerance_amount", "tolerance_percent", "days_window", "min_history", "factor", "lookback_days")
    def _check_parameters(self):
        """Parameters are finite numbers in range (JSON-RPC accepts NaN and Infinity, which compare false)."""
        for check in self:
            values = (check.tolerance_amount, check.tolerance_percent, check.factor)
            if not all(math.isfinite(value or 0.0) for value in values):
                raise ValidationError(self.env._("Check parameters must be finite numbers."))
            if check.tolerance_amount < 0:
                raise ValidationError(self.env._("The amount tolerance cannot be negative."))
            if not 0 <= check.tolerance_percent <= 100:
                raise ValidationError(self.env._("The tolerance is a percentage from 0 to 100."))
            if not 0 <= check.days_window <= 366:
                raise ValidationError(self.env._("The days window is from 0 to 366 days."))
            if not 1 <= check.min_history <= 1000:
                raise ValidationError(
                    self.env._("The minimum history is from 1 to 1000 invoices; with none, every amount is unusual.")
                )
            if not 0 < check.factor <= 100:
                raise ValidationError(self.env._("The number of standard deviations is above 0 and at most 100."))
            if not 1 <= check.lookback_days <= 3650:
                raise ValidationError(self.env._("The dispute lookback is from 1 to 3650 days."))

    @api.model
    def _billing_check_defaults(self):
        """{code: default values} of the checks seeded for a company; a capability adding a check (``selection_add``
        on ``code``) adds its defaults here."""
        return dict(CHECK_DEFAULTS)

    @api.model
    def _ensure_for_companies(self, companies=None):
        """Seed the missing checks of ``companies`` (every company by default) with their defaults."""
        companies = (companies or self.env["res.company"].sudo().search([])).sudo()
        existing = {
            (check.company_id.id, check.code) for check in self.sudo().search([("company_id", "in", companies.ids)])
        }
        defaults = self._billing_check_defaults()
        vals_list = [
            {"company_id": company.id, "code": code, **defaults.get(code, {})}
            for company in companies
            for code, _label in self._fields["code"].selection
            if (company.id, code) not in existing
        ]
        return self.sudo().create(vals_list)

    def _by_company(self, companies):
        """{company_id: {code: check}} of the checks not switched off, of the companies that use them (Settings)."""
        result = {}
        companies = companies.sudo()._billing_uses("invoicing")
        checks = self.sudo().search([("company_id", "in", companies.ids), ("mode", "!=", "off")])
        for check in checks:
            result.setdefault(check.company_id.id, {})[check.code] = check
        return result
