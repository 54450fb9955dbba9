from odoo import api, fields, models


class BillingCollection(models.Model):
    """A customer's collection account in one company: follow-up level, next action, who works it.

    One row per commercial partner and company, created on demand (``_for_partners``); the follow-up run, the
    promise judge and the worklist read and write it.
    """

    _name = "billing.collection"
    _description = "Customer Collection Account"
    _inherit = ["mail.thread", "mail.activity.mixin", "billing.protected.mixin"]
    _order = "company_id, partner_id"
    _check_company_auto = True
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Specialist",
        index=True,
        tracking=True,
        domain="[('share', '=', False)]",
        help="The billing specialist whose portfolio holds this customer; empty: the team's specialists take it.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Collection Team",
        index=True,
        tracking=True,
        check_company=True,
        help="Customers without a specialist show on the worklist of every specialist of this team.",
    )
    level_id = fields.Many2one(
        "billing.followup.level",
        string="Follow-up Level",
        readonly=True,
        tracking=True,
        check_company=True,
        help="The highest level of the last follow-up sent (or raised by a broken promise).",
    )
    level_bump = fields.Integer(
        string="Levels Raised",
        readonly=True,
        help="Levels added by broken promises to the next follow-up (the run uses and clears them).",
    )
    last_followup_date = fields.Date(string="Last Follow-up", readonly=True)
    next_followup_date = fields.Date(
        string="Next Follow-up",
        readonly=True,
        help="The day the next follow-up level would be reached (set by the run).",
    )
    next_action_date = fields.Date(
        string="Next Action", tracking=True, help="The next call or step the specialist scheduled (worklist)."
    )
    next_action_note = fields.Char()
    broken_promise_count = fields.Integer(string="Broken Promises", readonly=True)
    note = fields.Text(string="Collection Notes")

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one collection account per company.",
        ),
    ]

    @api.model
    def _for_partners(self, partners, company=None):
        """The collection accounts of these customers' commercial partners in ``company``, created when missing."""
        company = company or self.env.company
        commercial = partners.commercial_partner_id
        existing = self.sudo().search([("partner_id", "in", commercial.ids), ("company_id", "=", company.id)])
        missing = commercial - existing.partner_id
        if missing:
            existing |= self.sudo().create([{"partner_id": p.id, "company_id": company.id} for p in missing])
        return existing.with_env(self.env)
