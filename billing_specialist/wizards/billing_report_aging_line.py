from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

from .billing_report_open_item import AS_OF_KEY


class BillingReportAgingLine(models.TransientModel):
    """One customer's row of the report's aged receivables, with the button that opens its open items.

    Real (transient) records, created by the wizard's compute, so that the row's button works on the unsaved form.
    """

    _name = "billing.report.aging.line"
    _description = "Billing Report Aging Row"
    _order = "amount_total desc, id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date_as_of = fields.Date(string="As Of", readonly=True)
    company_ids = fields.Many2many("res.company", string="Companies", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_current = fields.Monetary(string="Current", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)
    amount_credits = fields.Monetary(string="Unapplied Credits", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)

    @api.model
    def _create_from_aging(self, companies, as_of, partner_ids=None, limit=50):
        """The rows of the aging of ``companies`` on ``as_of``: the ``limit`` largest customers."""
        aging = self.env["billing.aging"]._get_aging(companies, as_of, partner_ids=partner_ids)
        return self.create(
            [
                {
                    "partner_id": row["partner_id"],
                    "date_as_of": as_of,
                    "company_ids": [fields.Command.set(companies.ids)],
                    "currency_id": aging["currency"].id,
                    "amount_current": row["amounts"][0],
                    "amount_overdue": sum(row["amounts"][1:-1]),
                    "amount_credits": row["amounts"][-1],
                    "amount_total": row["total"],
                }
                for row in aging["rows"][:limit]
            ]
        )

    def action_open_items(self):
        """The customer's receivable journal items still open on the aging's date: what its row adds up, each with
        its open amount on that date (the reconciliations dated up to it) beside its open amount now."""
        self.ensure_one()
        # _origin: called on the form's value of a new wizard, the row's relations are NewIds.
        companies = self.company_ids._origin
        self.env["billing.kpi"]._check_companies(companies)
        partner_ids = self.partner_id._origin.ids or None
        amounts = self.env["billing.aging"]._get_open_amounts(companies, self.date_as_of, partner_ids=partner_ids)
        if not self.partner_id:
            # "No customer": the items without a partner only.
            items = self.env["account.move.line"].browse(list(amounts)).filtered(lambda item: not item.partner_id)
            amounts = {item.id: amounts[item.id] for item in items}
        rows = self.env["billing.report.open.item"]._create_for(amounts, self.date_as_of)
        date = format_date(self.env, self.date_as_of)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "Open items of %(customer)s on %(date)s",
                customer=self.partner_id.display_name or self.env._("no customer"),
                date=date,
            ),
            "res_model": "billing.report.open.item",
            "view_mode": "list",
            "views": [(self.env.ref("billing_specialist.billing_report_open_item_view_list").id, "list")],
            "domain": [("id", "in", rows.ids)],
            "context": {"create": False, AS_OF_KEY: fields.Date.to_string(self.date_as_of)},
            "help": Markup("<p>%s</p>") % self.env._("Nothing of this customer was open on %(date)s.", date=date),
        }
