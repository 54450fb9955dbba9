"""Promises' demo: promises to pay in every outcome, judged by the nightly job."""

from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from .ledger import bank_journal

# (plan, share of the promise paid, channel), one per customer. "open_part": 60 % of the invoice, its date put off
# once; the follow-up still chases the other 40 %.
PROMISE_PLANS = [
    ("open", 1.0, "phone"),
    ("kept", 1.0, "email"),
    ("partial", 0.6, "phone"),
    ("broken", 0.0, "portal"),
    ("open_part", 1.0, "phone"),
]


class BillingPromiseDemo(models.Model):
    _inherit = "billing.promise"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_promises(self):
        """Promises to pay in every outcome: open, kept, partially kept and broken (judged by the nightly job).

        The closed ones were made ten days ago for five days ago; their payments are dated accordingly (the
        judge counts what was applied between the promise and its deadline).
        """
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        closed, payments = self, self.env["account.payment"]
        picks = self._demo_promise_invoices(company)
        for (plan, paid_share, channel), invoice in zip(PROMISE_PLANS, picks, strict=False):
            amount = invoice._billing_undisputed_residual()
            if plan == "open_part":
                amount = invoice.currency_id.round(amount * 0.6)
            promise = self._demo_promise(plan, channel, invoice, amount)
            if plan.startswith("open"):
                continue
            closed |= promise
            if paid_share:
                payments |= self._demo_pay_promise(company, invoice, round(amount * paid_share, 2))
        self._demo_backdate(closed, payments)
        self._judge_promises(today)

    @api.model
    def _demo_promise_invoices(self, company):
        """The oldest unpaid invoice out of dispute of each customer."""
        invoices = self.env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"),
                ("company_id", "=", company.id),
                ("billing_in_dispute", "=", False),
            ],
            order="invoice_date_due, id",
        )
        picks, seen = [], set()
        for invoice in invoices:
            if invoice.commercial_partner_id.id not in seen:
                seen.add(invoice.commercial_partner_id.id)
                picks.append(invoice)
        return picks

    @api.model
    def _demo_promise(self, plan, channel, invoice, amount):
        """The demo specialist's promise of ``amount`` for ``invoice``: an open one for in a week (three days'
        grace), put off by a week for "open_part"; a closed one for today."""
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        today = fields.Date.context_today(self)
        opened = plan.startswith("open")
        promise = self.with_user(specialist).create(
            {
                "partner_id": invoice.commercial_partner_id.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": amount,
                "date": today + timedelta(days=7 if opened else 0),
                "tolerance_days": 3 if opened else 0,
                "channel": channel,
                "note": "Promised on the phone by accounts payable." if channel == "phone" else False,
            }
        )
        if plan == "open_part":
            promise.with_user(specialist).date = today + timedelta(days=14)
        return promise

    @api.model
    def _demo_pay_promise(self, company, invoice, amount):
        """A payment of ``amount`` registered on ``invoice`` six days ago."""
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "amount": amount,
                    "journal_id": bank_journal(self.env, company).id,
                    "payment_date": fields.Date.context_today(self) - timedelta(days=6),
                    "payment_difference_handling": "open",
                }
            )
            ._create_payments()
        )

    @api.model
    def _demo_backdate(self, closed, payments):
        """The ``closed`` promises made ten days ago for five days ago; the reconciliations of ``payments`` made six
        days ago (SQL: create dates are not writable)."""
        today = fields.Date.context_today(self)
        self.env.flush_all()
        if closed:
            self.env.cr.execute(
                SQL(
                    "UPDATE billing_promise SET create_date = %s, date_made = %s, date = %s, date_deadline = %s"
                    " WHERE id IN %s",
                    today - timedelta(days=10),
                    today - timedelta(days=10),
                    today - timedelta(days=5),
                    today - timedelta(days=5),
                    tuple(closed.ids),
                )
            )
        partials = payments.move_id.line_ids.matched_debit_ids
        if partials:
            self.env.cr.execute(
                SQL(
                    "UPDATE account_partial_reconcile SET create_date = %s WHERE id IN %s",
                    today - timedelta(days=6),
                    tuple(partials.ids),
                )
            )
        self.env.invalidate_all()
