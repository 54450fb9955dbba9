from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

CALL_OUTCOMES = [
    ("no_answer", "No Answer"),
    ("reached", "Reached"),
    ("promised", "Promised to Pay"),
    ("disputes", "Disputes"),
    ("wrong_contact", "Wrong Contact"),
]

# Fields of the collection account only a billing manager (or the application) changes: the portfolio.
PORTFOLIO_FIELDS = frozenset({"user_id", "team_id"})
# Fields the application alone writes: the call log, the follow-up run's and the promise judge's figures (a client
# write would move the customer on the worklist or skip follow-up levels).
APPLICATION_FIELDS = frozenset(
    {
        "last_call_date",
        "last_call_outcome",
        "level_id",
        "level_bump",
        "broken_promise_count",
        "last_followup_date",
        "next_followup_date",
    }
)
# An account belongs to one customer in one company for good.
IDENTITY_FIELDS = frozenset({"partner_id", "company_id"})


class BillingCollection(models.Model):
    """The worklist's acts on a customer's collection account: log a call, schedule the next action, record a
    promise, open a dispute, send the statement; and the portfolio (who works the customer).

    Kept apart from ``billing_collection.py`` (the shared foundation) so that the three collection parts merge
    without touching the same lines.
    """

    _inherit = "billing.collection"

    last_call_date = fields.Date(
        string="Last Call", readonly=True, help="The day the last call with this customer was logged."
    )
    last_call_outcome = fields.Selection(CALL_OUTCOMES, readonly=True)

    # ------------------------------------------------------------------ guards

    def _protected_fields(self, operation):
        """The application's fields; on write the account's identity too; a specialist's defaults not the portfolio
        (the manager's)."""
        protected = super()._protected_fields(operation) | APPLICATION_FIELDS
        if operation == "write":
            return protected | IDENTITY_FIELDS
        if operation == "default" and not self.env.user.has_group("billing_specialist.group_billing_manager"):
            return protected | PORTFOLIO_FIELDS
        return protected

    def write(self, vals):
        if not self.env.su:
            if PORTFOLIO_FIELDS & set(vals) and not self.env.user.has_group("billing_specialist.group_billing_manager"):
                raise AccessError(self.env._("Only a billing manager assigns customers to specialists and teams."))
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if any(vals.get(key) for key in PORTFOLIO_FIELDS) and not self.env.user.has_group(
                    "billing_specialist.group_billing_manager"
                ):
                    raise AccessError(self.env._("Only a billing manager assigns customers to specialists and teams."))
        return super().create(vals_list)

    def _check_specialist(self):
        """Raise unless the user is a billing specialist of every company of these accounts."""
        user = self.env.user
        if self.env.su:
            return
        if not user.has_group("billing_specialist.group_billing_user"):
            raise AccessError(self.env._("Only billing specialists work the collections worklist."))
        foreign = self.company_id - user.company_ids
        if foreign:
            raise AccessError(
                self.env._(
                    "You are not a billing specialist of %(companies)s.",
                    companies=", ".join(foreign.mapped("name")),
                )
            )

    # ------------------------------------------------------------------ what the worklist shows

    def _overdue_invoices(self):
        """The customer's posted invoices of this company that are open and past due today."""
        self.ensure_one()
        return self.env["account.move"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("commercial_partner_id", "=", self.partner_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", fields.Date.context_today(self)),
            ],
            order="invoice_date_due, id",
        )

    # ------------------------------------------------------------------ acts

    def _log_call(self, outcome, note=None, promise=None):
        """Post the call on the customer's chatter, mark its due call activities done, remember the day."""
        self.ensure_one()
        self._check_specialist()
        labels = dict(self._fields["last_call_outcome"]._description_selection(self.env))
        body = Markup("<p><b>%s</b> %s</p>") % (self.env._("Call logged:"), labels[outcome])
        if note:
            body += Markup("<p>%s</p>") % note
        if promise:
            body += Markup("<p>%s</p>") % self.env._("Promise to pay: %(promise)s", promise=promise.display_name)
        # Superuser rights, the user still the author: a specialist may not edit the customer, yet logs his calls
        # on it (checked above).
        message = (
            self.partner_id.sudo()
            .with_company(self.company_id)
            .message_post(
                body=body, message_type="comment", subtype_xmlid="billing_specialist.mt_billing_collection_call"
            )
        )
        self._due_call_activities().sudo().action_feedback(feedback=note or labels[outcome])
        self.sudo().write({"last_call_date": fields.Date.context_today(self), "last_call_outcome": outcome})
        return message

    def _due_call_activities(self):
        """Call activities due today or earlier, on the customer or on its collection account."""
        self.ensure_one()
        return self.env["mail.activity"].search(
            [
                "|",
                "&",
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.partner_id.id),
                "&",
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("activity_category", "=", "phonecall"),
                ("date_deadline", "<=", fields.Date.context_today(self)),
            ]
        )

    def _schedule_next_action(self, date, note=None, user=None):
        """Set the next action and a call activity for it (the pending one moves, no duplicate)."""
        self.ensure_one()
        self._check_specialist()
        if not date:
            raise UserError(self.env._("Give the date of the next action."))
        if date < fields.Date.context_today(self):
            raise UserError(self.env._("The next action cannot be in the past (%(date)s).", date=date))
        user = user or self.user_id or self.env.user
        if not user._billing_can_handle_cases(self.company_id):
            raise UserError(
                self.env._(
                    "%(user)s is not a billing specialist of %(company)s.", user=user.name, company=self.company_id.name
                )
            )
        summary = note or self.env._("Call %(customer)s", customer=self.partner_id.display_name)
        self.write({"next_action_date": date, "next_action_note": note or False})
        call_type = self.env.ref("mail.mail_activity_data_call")
        pending = self.activity_ids.filtered(lambda act: act.activity_type_id == call_type)[:1]
        if pending:
            pending.write({"date_deadline": date, "summary": summary, "user_id": user.id})
            return pending
        return self.activity_schedule(
            "mail.mail_activity_data_call", date_deadline=date, summary=summary, user_id=user.id
        )

    def _prepare_promise_vals(self, amount, date, moves, note=None):
        """Values of a promise of this customer; refuses what cannot be promised (clear message, nothing written)."""
        self.ensure_one()
        if not moves:
            raise UserError(self.env._("Choose the invoices the promise covers."))
        foreign = moves.filtered(
            lambda m: m.commercial_partner_id != self.partner_id or m.company_id != self.company_id
        )
        if foreign:
            raise UserError(
                self.env._(
                    "A promise of %(customer)s covers only its own invoices, not %(invoices)s.",
                    customer=self.partner_id.display_name,
                    invoices=", ".join(foreign.mapped("display_name")),
                )
            )
        if amount <= 0:
            raise UserError(self.env._("The promised amount must be positive."))
        if not date or date < fields.Date.context_today(self):
            raise UserError(self.env._("The promised date cannot be in the past."))
        currency = moves.currency_id
        if len(currency) > 1:
            raise UserError(self.env._("A promise covers invoices of one currency."))
        open_amount = sum(moves.mapped("amount_residual"))
        if currency.compare_amounts(amount, open_amount) > 0:
            raise UserError(
                self.env._(
                    "The promised amount %(amount)s is more than the open amount %(open)s of the invoices.",
                    amount=currency.format(amount),
                    open=currency.format(open_amount),
                )
            )
        return {
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "move_ids": [fields.Command.set(moves.ids)],
            "currency_id": currency.id,
            "amount": amount,
            "date": date,
            "channel": "phone",
            "note": note or False,
        }

    # ------------------------------------------------------------------ actions (buttons)

    def action_log_call(self):
        self.ensure_one()
        self._check_specialist()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Call: %(customer)s", customer=self.partner_id.display_name),
            "res_model": "billing.collection.call",
            "view_mode": "form",
            "target": "new",
            "context": {"default_collection_id": self.id},
        }

    def action_schedule_next_action(self):
        self.ensure_one()
        self._check_specialist()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Next Action: %(customer)s", customer=self.partner_id.display_name),
            "res_model": "billing.collection.schedule",
            "view_mode": "form",
            "target": "new",
            "context": {"default_collection_id": self.id},
        }

    def action_record_promise(self):
        """The call wizard, set to "promised to pay": the promise is recorded with the call that got it."""
        action = self.action_log_call()
        action["name"] = self.env._("Record a Promise: %(customer)s", customer=self.partner_id.display_name)
        action["context"] = {**action["context"], "default_outcome": "promised"}
        return action

    def action_open_dispute(self):
        """A new dispute case for the customer, its overdue invoices not yet in dispute prefilled."""
        self.ensure_one()
        self._check_specialist()
        invoices = self._overdue_invoices().filtered(lambda move: not move.billing_in_dispute)
        if invoices:
            return invoices.action_billing_open_dispute()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "billing.dispute",
            "view_mode": "form",
            "target": "current",
            "context": {"default_partner_id": self.partner_id.id, "default_company_id": self.company_id.id},
        }

    def action_send_statement(self):
        self.ensure_one()
        self._check_specialist()
        action = self.partner_id.with_company(self.company_id).action_billing_statement()
        action["context"] = {**action["context"], "default_company_id": self.company_id.id}
        return action
