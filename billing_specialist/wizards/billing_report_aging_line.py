from odoo import api, fields, models


class BillingReportAgingLine(models.TransientModel):
    """One customer's row of the report's aged receivables, or one bucket's, with the button that opens its items.

    Real (transient) records, created by the wizard's compute, so that the row's button works on the unsaved form.
    """

    _name = "billing.report.aging.line"
    _description = "Billing Report Aging Row"
    _order = "amount_total desc, id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    bucket_index = fields.Integer(
        default=-1, readonly=True, help="The aging column a bucket's row stands for; -1 on a customer's row."
    )
    bucket_label = fields.Char(string="Bucket", readonly=True)
    filter_partner_ids = fields.Many2many(
        "res.partner",
        "billing_report_aging_line_filter_partner_rel",
        string="Customers Filter",
        readonly=True,
        help="A bucket's row: the report's customer filter (empty: every customer).",
    )
    date_as_of = fields.Date(string="As Of", readonly=True)
    company_ids = fields.Many2many("res.company", string="Companies", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_current = fields.Monetary(string="Current", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)
    amount_credits = fields.Monetary(string="Unapplied Credits", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)

    @api.model
    def _create_from_aging(self, companies, as_of, partner_ids=None, limit=50):
        """The rows of the aging of ``companies`` on ``as_of``: (the ``limit`` largest customers, one row per
        bucket with its total)."""
        aging = self.env["billing.aging"]._get_aging(companies, as_of, partner_ids=partner_ids)
        common = {
            "date_as_of": as_of,
            "company_ids": [fields.Command.set(companies.ids)],
            "currency_id": aging["currency"].id,
        }
        # Made as the system for this user (sudo keeps the uid: the rows are his alone, ir.rule): clients only read.
        Line = self.sudo()
        customers = Line.create(
            [
                {
                    **common,
                    "partner_id": row["partner_id"],
                    "amount_current": row["amounts"][0],
                    "amount_overdue": sum(row["amounts"][1:-1]),
                    "amount_credits": row["amounts"][-1],
                    "amount_total": row["total"],
                }
                for row in aging["rows"][:limit]
            ]
        )
        buckets = Line.create(
            [
                {
                    **common,
                    "bucket_index": index,
                    "bucket_label": label,
                    "filter_partner_ids": [fields.Command.set(partner_ids or [])],
                    "amount_total": total,
                }
                for index, (label, total) in enumerate(zip(aging["buckets"], aging["totals"], strict=True))
            ]
        )
        return customers.sudo(self.env.su), buckets.sudo(self.env.su)

    def action_open_items(self):
        """The customer's receivable journal items still open on the aging's date: what its row adds up, each with
        its open amount on that date (the reconciliations dated up to it) beside its open amount now."""
        self.ensure_one()
        # _origin: called on the form's value of a new wizard, the row's relations are NewIds.
        companies = self.company_ids._origin
        self.env["billing.kpi"]._check_companies(companies)
        Aging = self.env["billing.aging"]
        if self.bucket_index >= 0:
            amounts = Aging._get_open_amounts(
                companies, self.date_as_of, self.filter_partner_ids._origin.ids or None, bucket=self.bucket_index
            )
            whose = self.env._("in %(bucket)s", bucket=self.bucket_label)
        else:
            amounts = Aging._get_open_amounts(companies, self.date_as_of, self.partner_id._origin.ids or None)
            whose = self.env._("of %(customer)s", customer=self.partner_id.display_name or self.env._("no customer"))
            if not self.partner_id:
                # "No customer": the items without a partner only.
                items = self.env["account.move.line"].browse(list(amounts)).filtered(lambda item: not item.partner_id)
                amounts = {item.id: amounts[item.id] for item in items}
        return self.env["billing.report.open.item"]._action_for(amounts, self.date_as_of, whose)
