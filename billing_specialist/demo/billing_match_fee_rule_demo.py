"""Fee rules' demo: the rule "Bank charges" and two bank lines short of their invoice by a bank fee, one written off
by an automatic run (its line reads why), one waiting on Match Payments with the same reason."""

from datetime import timedelta

from odoo import api, fields, models

from .ledger import bank_journal, support_moves

FEES = (7.5, 12.5)  # what the bank kept of each transfer


class BillingMatchFeeRuleDemo(models.Model):
    _inherit = "billing.match.fee.rule"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_fee_rules(self):
        company = self.env.company
        if not company.chart_template:
            return
        self.create(
            {
                "name": "Bank charges",
                "label_pattern": "fee, charge, frais",
                "min_amount": 0.01,
                "max_amount": 25.0,
                "account_id": self._demo_bank_charges_account(company).id,
                "writeoff_label": "Bank charges",
                "company_id": company.id,
            }
        )
        invoices = support_moves(  # two support invoices of Lakeside, 40 and 25 days old
            self.env,
            company,
            self.env.ref("billing_specialist.partner_lakeside_demo"),
            "out_invoice",
            ((40, 2), (25, 3)),
        )
        bank = bank_journal(self.env, company)
        today = fields.Date.context_today(self)
        labels = ("Transfer {number} less bank fee", "{number} FRAIS BANCAIRES")
        lines = self.env["account.bank.statement.line"].create(
            [
                {
                    "journal_id": bank.id,
                    "date": today - timedelta(days=index + 1),
                    "payment_ref": label.format(number=invoice.name),
                    "amount": invoice.amount_residual - fee,
                    "partner_id": invoice.partner_id.id,
                }
                for index, (invoice, fee, label) in enumerate(zip(invoices, FEES, labels, strict=True))
            ]
        )
        # The first one through an automatic run (Matching Runs shows its write-off); the second waits for review.
        self.env["billing.match.run"]._run_automatic(company, statement_lines=lines[0])

    @api.model
    def _demo_bank_charges_account(self, company):
        Account = self.env["account.account"]
        account = Account.search([*Account._check_company_domain(company), ("code", "=", "627000")], limit=1)
        return account or Account.create(
            {"code": "627000", "name": "Bank charges", "account_type": "expense", "company_ids": company.ids}
        )
