from collections import defaultdict

from odoo import fields, models
from odoo.tools import SQL


class BillingCreditStatus(models.Model):
    _inherit = "billing.credit.status"

    def _billing_exposure_extra(self, partner_ids, company):
        """Confirmed orders not yet invoiced count in the customer's exposure (company currency)."""
        extra = dict(super()._billing_exposure_extra(partner_ids, company))
        for partner_id, amount in self._billing_sale_to_invoice(partner_ids, company).items():
            extra[partner_id] = extra.get(partner_id, 0.0) + amount
        return extra

    def _billing_sale_to_invoice(self, partner_ids, company):
        """{commercial partner id: what their confirmed orders of ``company`` will still invoice}, taxes included.

        Like sale's credit_to_invoice (res.partner._compute_credit_to_invoice), in the company currency at today's
        rate, with two differences: the ordered amount counts, not only what was delivered (the order commits the
        company); and what a draft invoice of the order already holds is taken off (the exposure counts draft
        invoices). Down payments invoiced are taken off the order, and credit notes are not added back (a return
        lowers what is left to invoice).
        """
        if not partner_ids:
            return {}
        for model in ("sale.order", "sale.order.line", "account.move", "account.move.line", "res.partner"):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id, so.currency_id,
                       so.amount_total - COALESCE(invoiced.amount, 0)
                  FROM sale_order so
                  JOIN res_partner partner ON partner.id = so.partner_id
             LEFT JOIN LATERAL (
                    SELECT SUM(aml.price_total) AS amount
                      FROM sale_order_line sol
                      JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                      JOIN account_move move ON move.id = aml.move_id
                     WHERE sol.order_id = so.id
                       AND move.move_type = 'out_invoice'
                       AND move.state != 'cancel'
                  ) invoiced ON TRUE
                 WHERE so.state = 'sale'
                   AND so.company_id = %(company)s
                   AND partner.commercial_partner_id IN %(partners)s
                """,
                company=company.id,
                partners=tuple(partner_ids),
            )
        )
        amounts = defaultdict(float)
        today = fields.Date.context_today(self)
        currencies = self.env["res.currency"]
        for partner_id, currency_id, left in self.env.cr.fetchall():
            currency = currencies.browse(currency_id)
            if currency.compare_amounts(left, 0.0) > 0:
                amounts[partner_id] += currency._convert(left, company.currency_id, company, today)
        return {partner_id: company.currency_id.round(amount) for partner_id, amount in amounts.items()}
