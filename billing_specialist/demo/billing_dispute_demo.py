"""Disputes' demo: the demo ledger (``ledger.py``), then one case in each stage, on open invoices of different
customers. Cases follow the accounting exactly as they do in production."""

import random
from datetime import timedelta

from odoo import Command, api, fields, models

from .ledger import bank_journal, create_ledger

# One case per plan, in this order: a stage, or a resolution through the resolve wizard, or the invoice paid.
CASE_PLANS = [
    "new",
    "in_progress",
    "waiting",
    "overdue",
    "credit_full",
    "credit_partial",
    "write_off",
    "rejected",
    "cancelled",
    "paid",
]


class BillingDisputeDemo(models.Model):
    _inherit = "billing.dispute"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_data(self):
        """The ledger, then the cases (one seeded random generator for both, so the demo is the same each time)."""
        company = self.env.company
        if not company.chart_template:
            return
        rng = random.Random(2026)
        open_invoices, partial = create_ledger(self.env, company, rng)
        used_partners = set()
        candidates = []
        for invoice in open_invoices + partial:
            if invoice.commercial_partner_id.id not in used_partners:
                used_partners.add(invoice.commercial_partner_id.id)
                candidates.append(invoice)
        reasons = self.env["billing.dispute.reason"].search([])
        causes = self.env["billing.dispute.root.cause"].search([])
        for index, (plan, invoice) in enumerate(zip(CASE_PLANS, candidates, strict=False)):
            case = self._demo_create_case(rng, index, plan, invoice, reasons)
            self._demo_take_case(rng, case, plan, invoice, causes)

    @api.model
    def _demo_create_case(self, rng, index, plan, invoice, reasons):
        """A new case on ``invoice``: all of it for a full credit or a payment, a quarter otherwise (at most 35 for a
        write-off); every other case the demo specialist's, the rest the administrator's."""
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        admin = self.env.ref("base.user_admin")
        amount = round(invoice.amount_residual * (1.0 if plan in ("credit_full", "paid") else 0.25), 2)
        if plan == "write_off":
            amount = min(amount, 35.0)
        return self.with_context(mail_notrack=True).create(
            {
                "partner_id": invoice.commercial_partner_id.id,
                "contact_id": invoice.partner_id.id if invoice.partner_id.parent_id else False,
                "reason_id": rng.choice(reasons).id,
                "user_id": (specialist if index % 2 == 0 else admin).id,
                "channel": rng.choice(["back_office", "portal", "email"]),
                "priority": rng.choice(["0", "0", "1", "2"]),
                "description": "<p>The customer contests part of this invoice.</p>",
                "line_ids": [Command.create({"move_id": invoice.id, "amount_disputed": amount})],
            }
        )

    @api.model
    def _demo_take_case(self, rng, case, plan, invoice, causes):
        """Takes ``case`` to the stage its ``plan`` names, through the buttons and wizards a person uses."""
        today = fields.Date.context_today(self)
        if plan == "in_progress":
            case.action_start()
        elif plan == "waiting":
            case.action_wait_customer()
        elif plan == "overdue":
            # Opened earlier, so that its deadline (opening + the reason's SLA) is three days past.
            case.write({"date_opened": today - timedelta(days=case.reason_id.sla_days + 3)})
            case._cron_check_sla()
        elif plan == "cancelled":
            case.action_cancel()
        elif plan == "paid":
            bank = bank_journal(self.env, self.env.company)
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"journal_id": bank.id})._create_payments()
        elif plan in ("credit_full", "credit_partial", "write_off", "rejected"):
            resolution = {"rejected": "reject"}.get(plan, "credit_note" if plan.startswith("credit") else plan)
            wizard = self.env["billing.dispute.resolve"].create(
                {
                    "dispute_id": case.id,
                    "resolution": resolution,
                    "root_cause_id": rng.choice(causes).id,
                    "note": "Reviewed against the order and the delivery note.",
                    "notify_customer": False,
                }
            )
            if plan == "credit_partial":
                wizard.line_ids.amount = round(case.line_ids.amount_disputed / 2, 2)
            wizard.action_apply()
