from odoo import api, fields, models
from odoo.exceptions import ValidationError

MAX_DELAY = 3650


class BillingFollowupLevel(models.Model):
    """One step of a company's follow-up ladder: reached by an item overdue for ``delay`` days."""

    _name = "billing.followup.level"
    _description = "Follow-up Level"
    _order = "company_id, delay, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    delay = fields.Integer(
        string="Days Overdue",
        required=True,
        help="An open item reaches this level when it is overdue for at least this many days (days spent in an "
        "open dispute not counted, if the company says so).",
    )
    send_email = fields.Boolean(string="Send an E-mail", default=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'res.partner')]",
        help="Template of the e-mail (on the customer); the addon's follow-up template when empty.",
    )
    send_letter = fields.Boolean(
        string="Print a Letter", help="A printed letter (PDF) for the post; always for customers without e-mail."
    )
    create_activity = fields.Boolean(string="Schedule a Call", help="An activity for the customer's specialist.")
    activity_summary = fields.Char(translate=True)
    attach_statement = fields.Boolean(string="Attach the Statement of Account")
    escalate_salesperson = fields.Boolean(
        string="Escalate to the Salesperson", help="The customer's salesperson is told, with an activity."
    )
    note = fields.Text(
        string="Message",
        translate=True,
        help="The paragraph the e-mail and the letter open with, e.g. a firm tone for the final notice.",
    )

    _sql_constraints = [
        ("delay_company_uniq", "unique(company_id, delay)", "Two follow-up levels of a company cannot share a delay."),
    ]

    @api.constrains("delay")
    def _check_delay(self):
        for level in self:
            if not 0 <= level.delay <= MAX_DELAY:
                raise ValidationError(
                    self.env._(
                        "The days overdue of a follow-up level must be between 0 and %(max)s (%(level)s: %(delay)s).",
                        max=MAX_DELAY,
                        level=level.name,
                        delay=level.delay,
                    )
                )

    @api.constrains("mail_template_id")
    def _check_mail_template(self):
        for level in self.filtered("mail_template_id"):
            if level.mail_template_id.model != "res.partner":
                raise ValidationError(
                    self.env._(
                        "The e-mail template of a follow-up level must be a template of customers (Contact), not "
                        "of %(model)s.",
                        model=level.mail_template_id.model_id.name or level.mail_template_id.model,
                    )
                )

    @api.model
    def _seed_all_companies(self):
        self._seed_ladder(self.env["res.company"].sudo().search([]))

    @api.model
    def _seed_ladder(self, companies):
        """Give each company without a ladder the default one (reminder 7, firm 30, final 60, collections 90)."""
        Level = self.sudo().with_context(active_test=False)
        for company in companies:
            if Level.search_count([("company_id", "=", company.id)], limit=1):
                continue
            Level.create([{**step, "company_id": company.id} for step in self._default_ladder()])

    @api.model
    def _default_ladder(self):
        return [
            {"delay": 7, "name": self.env._("Reminder"), "send_email": True},
            {"delay": 30, "name": self.env._("Firm Reminder"), "send_email": True, "attach_statement": True},
            {
                "delay": 60,
                "name": self.env._("Final Notice"),
                "send_email": True,
                "send_letter": True,
                "attach_statement": True,
                "create_activity": True,
                "activity_summary": self.env._("Call about the final notice"),
            },
            {
                "delay": 90,
                "name": self.env._("To Collections"),
                "send_email": False,
                "send_letter": True,
                "attach_statement": True,
                "create_activity": True,
                "activity_summary": self.env._("Hand over to collections"),
                "escalate_salesperson": True,
            },
        ]
