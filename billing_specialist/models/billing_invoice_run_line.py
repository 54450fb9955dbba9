from odoo import api, fields, models
from odoo.exceptions import UserError

from ..exceptions import BillingCheckBlocked, raise_concurrency
from .account_move import CALLER_KEEPS_FINDINGS, CALLER_KEEPS_FINDINGS_KEY

OUTCOMES = [
    ("pending", "To Do"),
    ("posted_sent", "Posted and Sent"),
    ("posted_printed", "Posted and Printed"),
    ("blocked", "Blocked by a Check"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]

# The run records the findings of a blocked invoice itself, in its own transaction (``_record_blocked``).
_RUN_POSTS = {CALLER_KEEPS_FINDINGS_KEY: CALLER_KEEPS_FINDINGS}


class BillingInvoiceRunLine(models.Model):
    """What a billing run did with one invoice. Written by the run only (as superuser): users read it."""

    _name = "billing.invoice.run.line"
    _description = "Billing Run: Invoice"
    _order = "run_id, id"

    run_id = fields.Many2one("billing.invoice.run", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", ondelete="set null", index="btree_not_null", readonly=True
    )
    partner_id = fields.Many2one(related="move_id.partner_id", string="Customer")
    amount_total = fields.Monetary(related="move_id.amount_total", currency_field="currency_id")
    currency_id = fields.Many2one(related="move_id.currency_id")
    outcome = fields.Selection(OUTCOMES, required=True, default="pending", readonly=True, index=True)
    message = fields.Text(readonly=True, help="Why the invoice was blocked, failed or skipped.")
    check_codes = fields.Char(readonly=True, help="The pre-send checks that blocked the invoice.")
    check_names = fields.Char(
        string="Checks", compute="_compute_check_names", help="The pre-send checks that blocked the invoice."
    )
    mail_message_id = fields.Many2one("mail.message", string="E-mail", readonly=True, ondelete="set null")
    mail_state = fields.Selection(
        [
            ("ready", "Queued"),
            ("sent", "Sent"),
            ("exception", "Failed"),
            ("bounce", "Bounced"),
            ("canceled", "Cancelled"),
        ],
        string="E-mail Status",
        compute="_compute_mail_state",
        help="From the e-mail's notifications: a bounce or a delivery failure shows here and on the invoice.",
    )
    print_attachment_id = fields.Many2one(
        related="move_id.invoice_pdf_report_id", string="Printed PDF", help="The invoice's PDF, for a letter."
    )
    date_done = fields.Datetime(string="Processed On", readonly=True)

    _sql_constraints = [
        ("run_move_unique", "UNIQUE(run_id, move_id)", "An invoice is listed once per billing run."),
    ]

    @api.depends("mail_message_id.notification_ids.notification_status")
    def _compute_mail_state(self):
        order = ["bounce", "exception", "ready", "sent", "canceled"]  # the worst recipient's status shows
        for line in self:
            statuses = (
                line.mail_message_id.sudo()
                .notification_ids.filtered(lambda notif: notif.notification_type == "email")
                .mapped("notification_status")
            )
            line.mail_state = next((status for status in order if status in statuses), False)

    def _record(self, outcome, message="", **vals):
        if outcome != "blocked":  # a line posted after a fix no longer names the check that blocked it before
            vals.setdefault("check_codes", False)
        self.sudo().write({"outcome": outcome, "message": message or False, "date_done": fields.Datetime.now(), **vals})

    def _post(self):
        """Post the line's invoice in a savepoint; record why not when it fails. True when posted."""
        self.ensure_one()
        move = self.move_id
        try:
            with self.env.cr.savepoint():
                move.with_context(tracking_disable=True, **_RUN_POSTS).action_post()
        except BillingCheckBlocked as error:
            self._record_blocked(error)
            return False
        except Exception as error:  # pylint: disable=broad-exception-caught  # one invoice never stops the run
            raise_concurrency(error)  # another transaction's doing, not the invoice's: the whole chunk is retried
            self._record("failed", error_text(error))
            return False
        return self._check_posted()

    def _check_posted(self):
        """True when the line's invoice is posted; else recorded as failed."""
        if self.move_id.state != "posted":  # e.g. dated in the future and set to post itself then
            self._record("failed", self.env._("Not posted: the invoice is %(state)s.", state=self.move_id.state))
            return False
        return True

    @api.depends("check_codes")
    def _compute_check_names(self):
        """The checks' names as the user knows them (Configuration > Invoice Checks), not their codes."""
        labels = dict(self.env["billing.invoice.check"]._fields["code"]._description_selection(self.env))
        for line in self:
            codes = (line.check_codes or "").split(", ")
            line.check_names = ", ".join(labels.get(code, code) for code in codes if code)

    def _record_blocked(self, error):
        """Record the blocking findings of ``error`` (a BillingCheckBlocked) on the lines of the invoices it names,
        and on the invoices themselves (the refused post's savepoint took them back)."""
        self.move_id._billing_run_checks()
        for line in self:
            findings = [(code, text) for move_id, code, text in error.findings if move_id == line.move_id.id]
            line._record(
                "blocked",
                "\n".join(text for _code, text in findings) or str(error.args[0]),
                check_codes=", ".join(dict.fromkeys(code for code, _text in findings)),
            )

    def _post_together(self):
        """Post the invoices of these lines in one go (one savepoint), as Odoo posts many at once; the blocked ones
        are recorded and the rest tried again together; on any other error, one by one (``_post``) so that only the
        culprit fails. Return the lines posted.

        Bulk work: the run's lines are the audit trail, so the per-invoice tracking messages are skipped (as the
        matching run does); the invoice's chatter gets the e-mail sent.
        """
        todo = self
        while todo:
            try:
                with self.env.cr.savepoint():
                    todo.move_id.with_context(tracking_disable=True, **_RUN_POSTS).action_post()
            except BillingCheckBlocked as error:
                blocked_ids = {finding[0] for finding in error.findings}
                blocked = todo.browse([line.id for line in todo if line.move_id.id in blocked_ids])
                if not blocked:
                    break
                blocked._record_blocked(error)
                todo -= blocked
                continue
            except Exception as error:  # pylint: disable=broad-exception-caught  # tried one by one below
                raise_concurrency(error)  # not any invoice's fault: one by one would only fail the same way
                break
            return todo.filtered(lambda line: line._check_posted())
        return todo.filtered(lambda line: line._post())


def error_text(error):
    """The text of an exception, for the run's log: a UserError's message, else its type and text."""
    if isinstance(error, UserError):
        return str(error.args[0])
    return f"{type(error).__name__}: {error}"
