from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.account_move import CHECK_OVERRIDE_KEY, CheckOverride


class BillingInvoiceCheckOverride(models.TransientModel):
    """Post invoices despite their blocking pre-send checks: billing managers only, with a reason for the record."""

    _name = "billing.invoice.check.override"
    _description = "Override Pre-send Checks"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    result_ids = fields.Many2many("billing.invoice.check.result", compute="_compute_result_ids", string="Findings")
    reason = fields.Text(required=True, help="Why the invoices go out despite the findings; logged on each invoice.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.move" and "move_ids" in fields_list:
            values["move_ids"] = [fields.Command.set(self.env.context.get("active_ids") or [])]
        return values

    @api.depends("move_ids")
    def _compute_result_ids(self):
        for wizard in self:
            wizard.result_ids = wizard.move_ids.billing_check_result_ids.filtered(
                lambda r: r.state == "open" and r.severity == "block"
            )

    def action_confirm(self):
        self.ensure_one()
        self.move_ids._billing_check_override_rights()
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for overriding the pre-send checks."))
        drafts = self.move_ids.filtered(lambda m: m.state == "draft")
        if not drafts:
            raise UserError(self.env._("Only draft invoices can be posted with an override."))
        drafts.with_context(**{CHECK_OVERRIDE_KEY: CheckOverride(reason, self.env.uid)}).action_post()
        return {"type": "ir.actions.act_window_close"}
