"""Collections' demo, on the customer's collection account: a portfolio (who chases whom), calls logged with next
actions (the cockpit), and cash arrived but not applied yet (the worklist)."""

from datetime import datetime, time, timedelta

from odoo import api, fields, models

from .ledger import DEMO_CUSTOMERS, bank_journal, demo_customers

CALLS = [
    ("no_answer", "Voicemail; left a message with the invoice numbers."),
    ("reached", "Accounts payable has the invoices; payment run next week."),
    ("wrong_contact", "Purchasing, not payables: asked for the right contact."),
    ("reached", "Asked for a copy of the statement; sent."),
]


class BillingCollectionDemo(models.Model):
    _inherit = "billing.collection"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_portfolio(self):
        """A collection portfolio: the demo specialist has most customers, the administrator three, so that each
        one's *My Worklist* has someone to call (the customers of Odoo's own demo stay unassigned)."""
        company = self.env.company
        customers = demo_customers(self.env)
        accounts = self._for_partners(self.env["res.partner"].union(*customers), company)
        by_partner = {account.partner_id: account for account in accounts}
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        admin = self.env.ref("base.user_admin")
        for key, customer in zip(DEMO_CUSTOMERS, customers, strict=True):
            by_partner[customer].user_id = admin if key in ("atlas", "coastal", "redwood") else specialist

    @api.model
    def _demo_generate_calls(self):
        """Calls logged by each customer's specialist, and next actions, for the customer screens (the cockpit)."""
        company = self.env.company
        if not company.chart_template:
            return
        accounts = self._for_partners(self.env["res.partner"].union(*demo_customers(self.env)), company)
        today = fields.Date.context_today(self)
        for index, account in enumerate(accounts.filtered("user_id").sorted(lambda a: a.partner_id.name)):
            account = account.with_user(account.user_id)
            outcome, note = CALLS[index % len(CALLS)]
            message = account._log_call(outcome, note)
            if index % 3:  # most calls were made on earlier days: the worklist shows who is due again today
                day = today - timedelta(days=1 + index % 6)
                account.sudo().last_call_date = day
                message.sudo().date = datetime.combine(day, time(10, 0))
            if index % 2 == 0:
                account._schedule_next_action(today + timedelta(days=index % 5), "Follow up on the last call")

    @api.model
    def _demo_generate_worklist(self):
        """Cash arrived but not applied yet, as the worklist shows it: a bank line naming the demo specialist's
        first customer to call, for all it has left to collect ("paid, not applied yet: do not call"), and a posted
        payment of the next one, for half of it (it nets partly)."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        bank = bank_journal(self.env, company)
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        self.env.flush_all()
        rows = self.env["billing.worklist"].search(
            [
                ("company_id", "=", company.id),
                ("user_id", "=", specialist.id),
                ("followup_amount", ">", 0),
                ("payer_cash_amount", "=", 0),
            ],
        )
        if not rows:
            return
        paid, partly = rows[0], rows[1:2]
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": bank.id,
                "date": today - timedelta(days=1),
                "partner_id": paid.partner_id.id,
                "payment_ref": f"Transfer {paid.partner_id.name}",
                "amount": paid.followup_amount,
            }
        )
        if not partly:
            return
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partly.partner_id.id,
                "amount": company.currency_id.round(partly.followup_amount / 2),
                "memo": "On account",
                "date": today - timedelta(days=1),
                "journal_id": bank.id,
            }
        )
        payment.action_post()
