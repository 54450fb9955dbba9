import math

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .billing_credit_status import CREDIT_STATES

# Odoo's credit limit fields of a customer: a billing manager or an accounting manager sets them, not a specialist.
LIMIT_FIELDS = frozenset({"credit_limit", "use_partner_credit_limit"})
LIMIT_GROUPS = ("billing_specialist.group_billing_manager", "account.group_account_manager")


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited  # credit control's own file

    billing_credit_status_ids = fields.One2many(
        "billing.credit.status", "partner_id", string="Credit Statuses", groups="billing_specialist.group_billing_user"
    )
    billing_credit_state = fields.Selection(
        CREDIT_STATES,
        string="Credit State",
        compute="_compute_billing_credit_state",
        groups="billing_specialist.group_billing_user",
        help="The customer's credit state in the current company (no status: OK).",
    )
    billing_credit_status_id = fields.Many2one(
        "billing.credit.status",
        string="Credit Status",
        compute="_compute_billing_credit_state",
        groups="billing_specialist.group_billing_user",
    )

    billing_credit_reasons = fields.Text(
        string="Credit Reasons", compute="_compute_billing_credit_state", groups="billing_specialist.group_billing_user"
    )
    billing_credit_exposure = fields.Monetary(
        string="Credit Exposure",
        compute="_compute_billing_credit_state",
        groups="billing_specialist.group_billing_user",
    )
    billing_credit_limit_used = fields.Monetary(
        string="Credit Limit Used",
        compute="_compute_billing_credit_state",
        groups="billing_specialist.group_billing_user",
    )
    billing_credit_amount_to_release = fields.Monetary(
        string="To Pay for Release",
        compute="_compute_billing_credit_state",
        groups="billing_specialist.group_billing_user",
    )

    @api.depends_context("company")
    @api.depends(
        "billing_credit_status_ids.state",
        "billing_credit_status_ids.reasons",
        "billing_credit_status_ids.exposure",
        "billing_credit_status_ids.amount_to_release",
    )
    def _compute_billing_credit_state(self):
        for partner in self:
            status = partner.commercial_partner_id._billing_credit_status(self.env.company) if partner.id else None
            partner.billing_credit_status_id = status
            partner.billing_credit_state = status.state if status else "ok"
            partner.billing_credit_reasons = status.reasons if status else False
            partner.billing_credit_exposure = status.exposure if status else 0.0
            partner.billing_credit_limit_used = status.credit_limit if status else 0.0
            partner.billing_credit_amount_to_release = status.amount_to_release if status else 0.0

    def _billing_credit_status(self, company):
        """The credit status of this customer (its commercial partner) in ``company``: the record, or an empty
        recordset (OK). Read as the application: callers check their own access to the customer."""
        self.ensure_one()
        return (
            self.env["billing.credit.status"]
            .sudo()
            .search([("partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", company.id)], limit=1)
        )

    def action_billing_credit_release(self):
        """The release wizard of this customer's hold in the current company (billing managers: checked there)."""
        self.ensure_one()
        status = self.commercial_partner_id._billing_credit_status(self.env.company)
        if not status:
            raise UserError(self.env._("%(customer)s is not on credit hold.", customer=self.name))
        return status.with_env(self.env).action_open_release()

    # ------------------------------------------------------------------ the limit is a manager's

    def _billing_limit_changes(self, vals):
        """Whether ``vals`` change the credit limit of a customer in the current company. A contact under a company
        (not a company itself) may only carry its company's limit, as Odoo's own sync writes it: any other value
        would become the customer's limit once the contact is detached or made a company."""
        if not LIMIT_FIELDS.intersection(vals):
            return False
        for partner in self:
            if "use_partner_credit_limit" in vals and bool(vals["use_partner_credit_limit"]) != bool(
                partner.use_partner_credit_limit
            ):
                return True
            if "credit_limit" in vals:
                value = float(vals["credit_limit"] or 0.0)
                parent = partner.browse(vals["parent_id"]) if "parent_id" in vals else partner.parent_id
                is_company = vals["is_company"] if "is_company" in vals else partner.is_company
                if parent and not is_company:
                    if value not in (partner.credit_limit, parent.commercial_partner_id.credit_limit):
                        return True
                elif value != partner.credit_limit:
                    return True
        return False

    def _billing_check_limit_rights(self):
        if self.env.su or any(self.env.user.has_group(group) for group in LIMIT_GROUPS):
            return
        raise AccessError(
            self.env._("Only a billing manager or an accounting manager can change a customer's credit limit.")
        )

    @api.model
    def _billing_check_limit_value(self, vals):
        """A credit limit is a finite number, zero or more (JSON-RPC gives NaN and Infinity, which compare false)."""
        if "credit_limit" not in vals:
            return
        try:
            value = float(vals["credit_limit"] or 0.0)
        except (TypeError, ValueError) as error:
            raise ValidationError(self.env._("A credit limit is an amount.")) from error
        if not math.isfinite(value) or value < 0:
            raise ValidationError(self.env._("A credit limit is zero or a positive amount."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._billing_check_limit_value(vals)
        default = self._fields["credit_limit"].get_company_dependent_fallback(self) or 0.0
        for vals in vals_list:
            # the company's default limit, as the form proposes it, is no change; nor is a contact's company's limit
            allowed = {0.0, default}
            if vals.get("parent_id") and not vals.get("is_company"):
                allowed.add(self.browse(vals["parent_id"]).commercial_partner_id.credit_limit)
            if float(vals.get("credit_limit") or 0.0) not in allowed:
                self._billing_check_limit_rights()
        return super().create(vals_list)

    def write(self, vals):
        self._billing_check_limit_value(vals)
        if not self.env.su and self._billing_limit_changes(vals):
            self._billing_check_limit_rights()
        return super().write(vals)
