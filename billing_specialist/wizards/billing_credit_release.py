from datetime import date

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

MAX_RELEASE_DAYS = 366  # a release ends within a year (then the nightly job may hold the customer again)
MAX_REASON = 1000


class BillingCreditRelease(models.TransientModel):
    """A billing manager releases a customer's credit hold: a reason, an optional end date, logged on the customer.
    The checks are here, in Python: the group, the company of the status, its state, the date."""

    _name = "billing.credit.release"
    _description = "Release a Credit Hold"

    status_id = fields.Many2one("billing.credit.status", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="status_id.partner_id", string="Customer")
    reasons = fields.Text(related="status_id.reasons", string="Held Because")
    reason = fields.Char(required=True, help="Why the customer may buy and be invoiced again; kept on the customer.")
    date_end = fields.Date(
        string="Released Until", help="Empty: until a new hold reason appears (or the hold's reasons go away)."
    )

    @api.model
    def _billing_check_manager(self):
        if not self.env.su and not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(self.env._("Only a billing manager can release a credit hold."))

    @api.model_create_multi
    def create(self, vals_list):
        self._billing_check_manager()
        for vals in vals_list:
            self._billing_clean_date(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._billing_check_manager()
        self._billing_clean_date(vals)
        return super().write(vals)

    @api.model
    def _billing_clean_date(self, vals):
        """A client's end date is a date (JSON gives strings, numbers, NaN): refused politely otherwise."""
        if not vals.get("date_end"):
            return
        try:
            vals["date_end"] = fields.Date.to_date(vals["date_end"])
        except (ValueError, TypeError) as error:
            raise ValidationError(self.env._("The end date is not a date.")) from error
        if not isinstance(vals["date_end"], date):
            raise ValidationError(self.env._("The end date is not a date."))

    def action_release(self):
        self.ensure_one()
        self._billing_check_manager()
        status = self.status_id
        status.check_access("read")  # the manager's companies only (record rule)
        if status.state != "hold" and status.released_by_id:  # another manager's release (or its replay)
            raise UserError(
                self.env._(
                    "%(customer)s's credit hold was already released by %(user)s.",
                    customer=status.partner_id.name,
                    user=status.released_by_id.name,
                )
            )
        if status.state != "hold":
            raise UserError(self.env._("%(customer)s is not on credit hold.", customer=status.partner_id.name))
        reason = (self.reason or "").strip()
        if not reason:
            raise ValidationError(self.env._("Give the reason of the release."))
        today = fields.Date.context_today(self)
        if self.date_end and not today <= self.date_end <= fields.Date.add(today, days=MAX_RELEASE_DAYS):
            raise ValidationError(
                self.env._("A release ends between today and %(days)s days from now.", days=MAX_RELEASE_DAYS)
            )
        if len(reason) > MAX_REASON:
            raise ValidationError(self.env._("Keep the reason under %(max)s characters.", max=MAX_REASON))
        status.sudo()._billing_release(self.env.user, reason, self.date_end)
        return {"type": "ir.actions.act_window_close"}
