from datetime import timedelta

from odoo import fields, models

from .billing_dispute_stage import OPEN_STATES


class ResPartner(models.Model):
    _inherit = "res.partner"

    billing_open_dispute_count = fields.Integer(
        string="Open Disputes",
        compute="_compute_billing_open_disputes",
        groups="billing_specialist.group_billing_user",
    )
    billing_open_dispute_amount = fields.Monetary(
        string="Amount in Dispute",
        compute="_compute_billing_open_disputes",
        currency_field="currency_id",
        groups="billing_specialist.group_billing_user",
        help="Remaining disputed amount of the open cases, in the company currency.",
    )

    billing_po_required = fields.Boolean(
        string="PO Reference Required",
        help="The customer pays only invoices that quote its purchase order: the pre-send checks flag an invoice "
        "without a Customer Reference.",
    )

    billing_overdue_amount = fields.Monetary(
        string="Overdue",
        compute="_compute_billing_overview",
        currency_field="currency_id",
        groups="billing_specialist.group_billing_user",
        help="Open amount of the customer's invoices past their due date, company currency.",
    )
    billing_avg_days_to_pay = fields.Float(
        string="Average Days to Pay (12 months)",
        compute="_compute_billing_overview",
        digits=(16, 1),
        groups="billing_specialist.group_billing_user",
        help="Invoice date to last payment, over the invoices paid in the last 365 days.",
    )
    billing_last_payment_date = fields.Date(
        string="Last Payment",
        compute="_compute_billing_overview",
        groups="billing_specialist.group_billing_user",
    )

    def _compute_billing_overview(self):
        commercial = self.commercial_partner_id
        report = self.env["billing.activity.report"]
        base = [("partner_id", "in", commercial.ids), ("company_id", "in", self.env.companies.ids)]
        overdue = dict(report._read_group([*base, ("days_overdue", ">", 0)], ["partner_id"], ["amount_residual:sum"]))
        year_ago = fields.Date.context_today(self) - timedelta(days=365)
        paid = [
            *base,
            ("move_type", "=", "out_invoice"),
            ("payment_state", "in", ("paid", "in_payment")),
            ("last_payment_date", ">=", year_ago),
        ]
        days = dict(report._read_group(paid, ["partner_id"], ["days_to_pay:avg"]))
        last_payment = {}
        payments = self.env["account.payment"]._read_group(
            [
                ("partner_id", "child_of", commercial.ids),
                ("payment_type", "=", "inbound"),
                ("state", "in", ("in_process", "paid")),
                ("company_id", "in", self.env.companies.ids),
            ],
            ["partner_id"],
            ["date:max"],
        )
        for partner, date in payments:
            key = partner.commercial_partner_id
            last_payment[key] = max(date, last_payment.get(key, date))
        for partner in self:
            key = partner.commercial_partner_id
            partner.billing_overdue_amount = overdue.get(key, 0.0)
            partner.billing_avg_days_to_pay = days.get(key) or 0.0
            partner.billing_last_payment_date = last_payment.get(key, False)

    def action_billing_statement(self):
        """Statement of account of the customer: choose the period, then print, download or e-mail it."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Statement of Account"),
            "res_model": "billing.statement.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def _compute_billing_open_disputes(self):
        commercial = self.commercial_partner_id
        groups = self.env["billing.dispute"]._read_group(
            [("partner_id", "in", commercial.ids), ("state", "in", OPEN_STATES)],
            ["partner_id", "currency_id"],
            ["__count", "amount_remaining:sum"],
        )
        company = self.env.company
        today = fields.Date.context_today(self)
        totals = {}
        for partner, currency, count, amount in groups:
            count_sum, amount_sum = totals.get(partner.id, (0, 0.0))
            amount_sum += currency._convert(amount, company.currency_id, company, today)
            totals[partner.id] = (count_sum + count, amount_sum)
        for partner in self:
            count, amount = totals.get(partner.commercial_partner_id.id, (0, 0.0))
            partner.billing_open_dispute_count = count
            partner.billing_open_dispute_amount = amount

    def action_billing_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_dispute_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_filter_open": 1,
        }
        return action
