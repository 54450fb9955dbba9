"""Credit control's demo: the company uses Odoo's credit limits; one customer is on hold (above his limit), one on
watch (near it), set through Odoo's own fields, then every customer's state is computed as the nightly job does."""

import math

from odoo import api, fields, models

from ..models.billing_credit_status import judge
from .ledger import demo_customers


class BillingCreditStatusDemo(models.Model):
    _inherit = "billing.credit.status"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_credit(self):
        company = self.env.company
        if not company.chart_template:
            return
        company.account_use_credit_limit = True  # Odoo's "Sales Credit Limit" (Invoicing settings)
        customers = self.env["res.partner"].union(*demo_customers(self.env))
        figures = self._billing_figures(company, customers.ids, fields.Date.context_today(self))
        rules = self._billing_rules(company)
        # cash on a bank line not applied yet is paid: the limit is shown on a customer that has none waiting
        waiting = self._billing_bank_cash(company, list(figures))
        # the customers no other rule holds or watches, largest exposure first
        free = sorted(
            (
                (figs.exposure, partner_id)
                for partner_id, figs in figures.items()
                if figs.exposure > 0 and not judge(figs, rules).hold and not waiting.get(partner_id)
            ),
            reverse=True,
        )
        partners = self.env["res.partner"].with_company(company)
        if free:
            exposure, partner_id = free[0]  # on hold: a limit of 75 % of what it owes
            partners.browse(partner_id).credit_limit = math.floor(exposure * 0.75 / 100) * 100 or 100
        if len(free) > 1:
            exposure, partner_id = free[1]  # on watch: it owes 90 % of its limit
            partners.browse(partner_id).credit_limit = math.ceil(exposure / 0.9 / 100) * 100
        self._cron_recompute()
