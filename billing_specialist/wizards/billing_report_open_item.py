from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

# The web client sends the server only "lang" and the "*_view_ref" keys of an action's context when it loads views:
# the as-of date travels under this key so that the list's column can say "Open on <date>".
AS_OF_KEY = "billing_open_on_view_ref"


class BillingReportOpenItem(models.TransientModel):
    """One receivable item of a Billing Report drill-down: its open amount on the report's as-of date (from the
    reconciliations dated up to that day, as the aging counts it) beside its open amount now."""

    _name = "billing.report.open.item"
    _description = "Billing Report Open Item"
    _order = "date_maturity, id"

    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    name = fields.Char(string="Label", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due", readonly=True)
    date_as_of = fields.Date(string="As Of", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(readonly=True)
    amount_open_as_of = fields.Monetary(string="Open on the As-Of Date", readonly=True)
    amount_open_now = fields.Monetary(string="Open Now", readonly=True)

    @api.model
    def _create_for(self, open_amounts, as_of):
        """The drill-down's rows: ``open_amounts`` {journal item id: open amount on ``as_of``}."""
        items = self.env["account.move.line"].browse(list(open_amounts))
        # Made as the system for this user (sudo keeps the uid: the rows are his alone, ir.rule): clients only read.
        return self.sudo().create(
            [
                {
                    "move_line_id": item.id,
                    "move_id": item.move_id.id,
                    "partner_id": item.partner_id.commercial_partner_id.id,
                    "name": item.name,
                    "date": item.date,
                    "date_maturity": item.date_maturity,
                    "date_as_of": as_of,
                    "currency_id": item.company_currency_id.id,
                    "amount": item.balance,
                    "amount_open_as_of": open_amounts[item.id],
                    "amount_open_now": item.amount_residual,
                }
                for item in items
            ]
        )

    @api.model
    def _action_for(self, open_amounts, as_of, whose):
        """The drill-down: the rows of ``open_amounts`` (see ``_create_for``) in their list, titled "Open items
        ``whose`` on ``as_of``"; it opens in the main view, so the report stays in the breadcrumbs."""
        rows = self._create_for(open_amounts, as_of).sudo(self.env.su)
        date = format_date(self.env, as_of)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open items %(whose)s on %(date)s", whose=whose, date=date),
            "res_model": self._name,
            "view_mode": "list",
            "views": [(self.env.ref("billing_specialist.billing_report_open_item_view_list").id, "list")],
            "domain": [("id", "in", rows.ids)],
            "context": {"create": False, AS_OF_KEY: fields.Date.to_string(as_of)},
            "help": Markup("<p>%s</p>") % self.env._("Nothing was open on %(date)s.", date=date),
        }

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """The list names its column after the as-of date: "Open on 06/30/2026"."""
        arch, view = super()._get_view(view_id, view_type, **options)
        as_of = self._as_of_from_context()
        if view_type == "list" and as_of:
            label = self.env._("Open on %(date)s", date=format_date(self.env, as_of))
            for node in arch.xpath("//field[@name='amount_open_as_of']"):
                node.set("string", label)
        return arch, view

    @api.model
    def _as_of_from_context(self):
        """The as-of date the client sent, or None when it is missing or is not a date (the label stays)."""
        try:
            return fields.Date.to_date(self.env.context.get(AS_OF_KEY) or None)
        except (TypeError, ValueError):
            return None

    @api.model
    def _get_view_cache_key(self, view_id=None, view_type="form", **options):
        return (*super()._get_view_cache_key(view_id, view_type, **options), self._as_of_from_context())

    def action_open_document(self):
        """The row's invoice, credit note or payment entry."""
        self.ensure_one()
        return self.move_id.get_formview_action()
