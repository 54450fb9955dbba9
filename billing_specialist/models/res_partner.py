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
    billing_avg_days_to_pay_na = fields.Char(
        string="Average Days to Pay: n/a",
        compute="_compute_billing_overview",
        groups="billing_specialist.group_billing_user",
        help="Why the average days to pay is not given: no invoice paid in the last 365 days.",
    )
    billing_last_payment_date = fields.Date(
        string="Last Payment",
        compute="_compute_billing_overview",
        groups="billing_specialist.group_billing_user",
    )

    billing_open_promise_count = fields.Integer(
        string="Open Promises",
        compute="_compute_billing_open_promise_count",
        groups="billing_specialist.group_billing_user",
    )

    def _compute_billing_overview(self):
        commercial = self.commercial_partner_id
        today = fields.Date.context_today(self)
        overview = self.env["billing.receivable.base"]._customer_overview(
            commercial.ids, self.env.companies.ids, today, today - timedelta(days=365)
        )
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
            overdue, days = overview.get(key.id, (None, None))
            partner.billing_overdue_amount = overdue or 0.0
            partner.billing_avg_days_to_pay = days or 0.0
            # 0.0 would read "pays the same day": without a paid invoice the figure is n/a, and says why
            partner.billing_avg_days_to_pay_na = (
                self.env._("n/a: no invoice paid in the last 12 months") if days is None else False
            )
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

    # ------------------------------------------------------------------ follow-up (current company)

    billing_followup_level_id = fields.Many2one(
        "billing.followup.level",
        string="Follow-up Level",
        compute="_compute_billing_followup",
        groups="billing_specialist.group_billing_user",
    )
    billing_last_followup_date = fields.Date(
        string="Last Follow-up", compute="_compute_billing_followup", groups="billing_specialist.group_billing_user"
    )
    billing_next_followup_date = fields.Date(
        string="Next Follow-up",
        compute="_compute_billing_followup",
        groups="billing_specialist.group_billing_user",
        help="The day the next follow-up level would be reached.",
    )
    billing_followup_count = fields.Integer(
        string="Follow-ups", compute="_compute_billing_followup", groups="billing_specialist.group_billing_user"
    )

    def _billing_collections(self):
        """{commercial partner: its collection account in the current company} (missing ones left out)."""
        accounts = self.env["billing.collection"].search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)]
        )
        return {account.partner_id: account for account in accounts}

    def _compute_billing_followup(self):
        commercial = self.commercial_partner_id
        company = self.env.company
        collections = self._billing_collections()
        counts = dict(
            self.env["billing.followup.line"]._read_group(
                [
                    ("partner_id", "in", commercial.ids),
                    ("company_id", "=", company.id),
                    ("run_state", "in", ("done", "partial")),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            collection = collections.get(partner.commercial_partner_id)
            partner.billing_followup_level_id = collection.level_id if collection else False
            partner.billing_last_followup_date = collection.last_followup_date if collection else False
            partner.billing_next_followup_date = collection.next_followup_date if collection else False
            partner.billing_followup_count = counts.get(partner.commercial_partner_id, 0)

    def action_billing_followup_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_followup_line_action")
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("run_state", "in", ("done", "partial")),
        ]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------ promises to pay

    def _compute_billing_open_promise_count(self):
        counts = dict(
            self.env["billing.promise"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "open")],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.billing_open_promise_count = counts.get(partner.commercial_partner_id, 0)

    def action_billing_record_promise(self):
        self.ensure_one()
        return self.env["billing.promise"]._action_record(self)

    def action_billing_view_promises(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_promise_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    # ------------------------------------------------------------------ collections portfolio (worklist)

    billing_collection_user_id = fields.Many2one(
        "res.users",
        string="Collection Specialist",
        compute="_compute_billing_collection",
        inverse="_inverse_billing_collection",
        groups="billing_specialist.group_billing_user",
        domain="[('share', '=', False)]",
        help="The billing specialist whose worklist holds this customer in the current company (billing managers "
        "assign it).",
    )
    billing_collection_team_id = fields.Many2one(
        "crm.team",
        string="Collection Team",
        compute="_compute_billing_collection",
        inverse="_inverse_billing_collection",
        groups="billing_specialist.group_billing_user",
        help="Without a specialist, the customer is on the worklist of every specialist of this team (else of the "
        "salesperson's team).",
    )
    billing_next_action_date = fields.Date(
        string="Next Collection Action",
        compute="_compute_billing_collection",
        groups="billing_specialist.group_billing_user",
    )
    billing_next_action_note = fields.Char(
        string="Next Action Note",
        compute="_compute_billing_collection",
        groups="billing_specialist.group_billing_user",
    )

    def _compute_billing_collection(self):
        by_partner = self._billing_collections()
        for partner in self:
            collection = by_partner.get(partner.commercial_partner_id, self.env["billing.collection"])
            partner.billing_collection_user_id = collection.user_id
            partner.billing_collection_team_id = collection.team_id
            partner.billing_next_action_date = collection.next_action_date
            partner.billing_next_action_note = collection.next_action_note

    def _inverse_billing_collection(self):
        # The collection account's write lets only billing managers change the portfolio.
        for partner in self:
            collection = self.env["billing.collection"]._for_partners(partner, self.env.company)
            vals = {}
            if collection.user_id != partner.billing_collection_user_id:
                vals["user_id"] = partner.billing_collection_user_id.id
            if collection.team_id != partner.billing_collection_team_id:
                vals["team_id"] = partner.billing_collection_team_id.id
            if vals:
                collection.write(vals)
