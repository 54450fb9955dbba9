from odoo import api, fields, models

KINDS = [("item", "Open Item"), ("unapplied", "Unapplied Cash")]
BASES = [
    ("habit", "Customer's Habit"),
    ("default", "Company Default"),
    ("promise", "Promise"),
    ("dispute", "Dispute"),
    ("at_risk", "At Risk"),
]


class BillingOutlookLine(models.Model):
    """The cash outlook: one row per open receivable item (and per unapplied payment or bank line, shown apart).

    Written by the system alone (``_billing_refresh``, nightly and on demand, as superuser after the companies were
    checked): users read the rows of their companies and never create, change or delete one. The rules that make a
    row live in ``outlook/engine.py`` (pure Python, the same functions ``bench/forecast.py`` measures).
    """

    _name = "billing.outlook.line"
    _description = "Cash Outlook Line"
    _order = "date_expected, partner_id, id"
    _rec_name = "move_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True, index=True, ondelete="cascade")
    kind = fields.Selection(KINDS, required=True, readonly=True, default="item", index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount_open = fields.Monetary(readonly=True, help="What is open on the item, in the company currency.")
    amount_expected = fields.Monetary(
        readonly=True,
        help="What the outlook expects to receive on the expected date (zero for a customer at risk; unapplied "
        "cash is already received and never expected).",
    )
    date_due = fields.Date(string="Due Date", readonly=True)
    date_expected = fields.Date(string="Expected On", readonly=True, index=True)
    date_early = fields.Date(string="Early Date", readonly=True, help="Low end of the customer's spread.")
    date_late = fields.Date(string="Late Date", readonly=True, help="High end of the customer's spread.")
    basis = fields.Selection(BASES, readonly=True, index=True)
    reason = fields.Char(readonly=True)
    team_id = fields.Many2one("crm.team", string="Team", readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Specialist", readonly=True, index=True)
    date_refreshed = fields.Date(string="Computed On", readonly=True)

    @api.model
    def _billing_refresh(self, companies):
        """Regenerate the rows of ``companies`` (see ``outlook/engine.py`` for the rules)."""
        raise NotImplementedError
