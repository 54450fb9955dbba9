from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

# Orders a billing manager confirms despite a hold, for the length of one confirmation. Kept on the cursor (not in
# the context), so nothing a client sends can put an order here.
_OVERRIDDEN = "billing_specialist_sale.hold_overridden"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    billing_credit_state = fields.Selection(
        [("ok", "OK"), ("watch", "Watch"), ("hold", "On Hold")],
        string="Credit State",
        compute="_compute_billing_credit",
        compute_sudo=True,
        help="The customer's credit state in the order's company. An order of a customer on hold is confirmed only "
        "by a billing manager.",
    )
    billing_credit_reasons = fields.Text(string="Credit Reasons", compute="_compute_billing_credit", compute_sudo=True)
    billing_credit_currency_id = fields.Many2one(
        "res.currency", string="Credit Currency", compute="_compute_billing_credit", compute_sudo=True
    )
    billing_amount_to_release = fields.Monetary(
        string="Amount to Release",
        currency_field="billing_credit_currency_id",
        compute="_compute_billing_credit",
        compute_sudo=True,
        help="What the customer pays to be released from the hold (company currency); 0 when paying cannot.",
    )

    @api.depends("partner_id", "partner_invoice_id", "company_id")
    def _compute_billing_credit(self):
        for order in self:
            status = order._billing_credit_status()
            order.billing_credit_state = status.state or "ok"
            order.billing_credit_reasons = status.reasons or False
            order.billing_credit_currency_id = status.currency_id or order.company_id.currency_id
            order.billing_amount_to_release = status.amount_to_release if status else 0.0

    def _billing_credit_status(self):
        """The credit status of the order's customer in the order's company (empty when OK); the invoice address's
        when that one is on hold (it is who pays: an order for another customer must not go around the hold)."""
        self.ensure_one()
        statuses = self.env["billing.credit.status"]
        if not self.company_id:
            return statuses
        for partner in (self.partner_id, self.partner_invoice_id):
            if partner.commercial_partner_id:
                statuses |= partner.commercial_partner_id.sudo()._billing_credit_status(self.company_id)
        return (statuses.filtered(lambda status: status.state == "hold") or statuses)[:1]

    def _billing_held(self, states=("draft", "sent")):
        """The orders of self in ``states`` whose customer is on hold, not overridden by a billing manager."""
        overridden = self.env.cr.cache.get(_OVERRIDDEN, ())
        return self.filtered(
            lambda order: (
                order.id not in overridden and order.state in states and order._billing_credit_status().state == "hold"
            )
        )

    def _billing_hold_message(self):
        self.ensure_one()
        status = self._billing_credit_status()
        lines = [
            self.env._(
                "%(order)s cannot be confirmed: %(customer)s is on credit hold in %(company)s.",
                order=self.name,
                customer=status.partner_id.display_name,
                company=self.company_id.name,
            )
        ]
        if status.reasons:
            lines.append(self.env._("Reasons:\n%(reasons)s", reasons=status.reasons))
        if status.amount_to_release:
            lines.append(
                self.env._(
                    "Amount to release: %(amount)s.",
                    amount=format_amount(self.env, status.amount_to_release, status.currency_id),
                )
            )
        lines.append(self.env._("A billing manager can confirm it despite the hold."))
        return "\n".join(lines)

    @api.model_create_multi
    def create(self, vals_list):
        """An order created confirmed (a client's ``state``) skips ``action_confirm``: a held one is refused."""
        orders = super().create(vals_list)
        held = orders._billing_held(states=("sale",))
        if held:
            raise UserError("\n\n".join(held.mapped(lambda order: order._billing_hold_message())))
        return orders

    def write(self, vals):
        """A client writing the state skips ``action_confirm``: a held order is refused here too (``action_confirm``
        and the override reach this write with the order already checked)."""
        if vals.get("state") == "sale":
            held = self._billing_held()
            if held:
                raise UserError("\n\n".join(held.mapped(lambda order: order._billing_hold_message())))
        return super().write(vals)

    def action_confirm(self):
        held = self._billing_held()
        if held:
            raise UserError("\n\n".join(held.mapped(lambda order: order._billing_hold_message())))
        result = super().action_confirm()
        self._billing_recompute_credit_later()
        return result

    def _action_cancel(self):
        confirmed = self.filtered(lambda order: order.state == "sale")
        result = super()._action_cancel()
        confirmed._billing_recompute_credit_later()
        return result

    def _validate_order(self):
        """A customer's own confirmation (a signature on the portal, a checkout without payment) is never refused
        with an error: a held customer's order stays a quotation, its signature kept, and the salesperson is told."""
        held = self._billing_held()
        for order in held:
            order._billing_note_held(self.env._("The customer confirmed it online."))
        if self - held:
            return super(SaleOrder, self - held)._validate_order()
        return None

    def _billing_note_held(self, what):
        """Log on the order that a customer's confirmation waits for the hold, with a to-do for the salesperson."""
        self.ensure_one()
        note = self.env._(
            "%(what)s It was not confirmed: %(customer)s is on credit hold. A billing manager can confirm it "
            "despite the hold (Confirm despite Credit Hold), or it can be confirmed once the hold is released.",
            what=what,
            customer=(self._billing_credit_status().partner_id or self.partner_id.commercial_partner_id).display_name,
        )
        self.sudo().message_post(body=note, subtype_xmlid="mail.mt_note")
        user = self.user_id or self.team_id.user_id
        if user:
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Confirmation held by the customer's credit hold"),
                note=note,
                user_id=user.id,
            )

    @contextmanager
    def _billing_hold_overridden(self):
        """Within the block, these orders confirm despite a hold. Only Python can enter it (a billing manager's
        override, checked in billing.sale.hold.override)."""
        overridden = self.env.cr.cache.setdefault(_OVERRIDDEN, set())
        added = set(self.ids) - overridden
        overridden |= added
        try:
            yield
        finally:
            overridden -= added

    def action_billing_override_hold(self):
        """The wizard of a billing manager's override (the button Confirm despite Credit Hold)."""
        self.ensure_one()
        self.env["billing.sale.hold.override"]._billing_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Confirm despite Credit Hold"),
            "res_model": "billing.sale.hold.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def _billing_recompute_credit_later(self):
        """Recompute, once just before the commit, the credit state of these orders' customers in their companies
        (the credit capability's mechanism: billing.credit.status._billing_touch)."""
        self.env["billing.credit.status"]._billing_touch((order.partner_id.id, order.company_id.id) for order in self)
