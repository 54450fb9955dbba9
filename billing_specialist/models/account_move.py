import logging
from dataclasses import dataclass

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..exceptions import BillingCheckBlocked
from ..matching.text import lookalike_key
from .billing_dispute_line import is_booking
from .billing_dispute_stage import OPEN_STATES
from .billing_invoice_checker import CHECKED_TYPES

_logger = logging.getLogger(__name__)


def fill_ref_keys(cr, batch=10000):
    """Store ``billing_ref_key`` of every move with a reference, by batches (the migration to 18.0.1.1.0 calls it
    before the ORM would compute the new column record by record). Creates the column if missing."""
    cr.execute(SQL("ALTER TABLE account_move ADD COLUMN IF NOT EXISTS billing_ref_key varchar"))
    last = 0
    while True:
        cr.execute(
            SQL("SELECT id, ref FROM account_move WHERE id > %s AND ref IS NOT NULL ORDER BY id LIMIT %s", last, batch)
        )
        rows = cr.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        cr.execute(
            SQL(
                """UPDATE account_move m SET billing_ref_key = k.key
                     FROM unnest(%s::int[], %s::varchar[]) AS k(id, key)
                    WHERE m.id = k.id AND m.billing_ref_key IS DISTINCT FROM k.key""",
                [row[0] for row in rows],
                [lookalike_key(row[1]) or None for row in rows],
            )
        )


# Set by the application alone: the link of a credit note or write-off to the disputed invoice it settles (it counts
# in the case's amounts and can resolve it) and the dispute figures computed from the cases.
PROTECTED_FIELDS = frozenset(
    {
        "billing_dispute_line_id",
        "billing_dispute_id",
        "billing_in_dispute",
        "billing_disputed_amount",
        "billing_followup_level_id",
        "billing_followup_date",
        "billing_check_result_ids",
        "billing_check_state",
        "billing_ref_key",
    }
)


@dataclass(frozen=True)
class CheckOverride:
    """A billing manager's decision to post despite blocking checks, with the reason.

    Only the override wizard puts one in the context (under ``CHECK_OVERRIDE_KEY``): JSON cannot carry a Python
    object, so no client can override by sending the key; ``_post`` still verifies the user is a billing manager.
    """

    reason: str
    uid: int


CHECK_OVERRIDE_KEY = "billing_check_override"
# ``_post`` marks its own write of the state with this object (JSON cannot send it): any other write of the state
# "posted" (a client's ``write``) runs the pre-send checks first.
POSTING_KEY = "billing_posting"
POSTING = object()


class CallerKeepsFindings:
    """Put in the context (under ``CALLER_KEEPS_FINDINGS_KEY``) by code that records the findings of a refused post
    in its own transaction and commits it (a billing run: its lines and the invoices' findings go together).

    Without it a refused post keeps its findings in a second transaction, committed at once: the caller's
    transaction, whose snapshot is older, could then no longer write those rows (a serialization failure that made a
    whole billing run fail on a running server). A Python object, so no client can send it.
    """

    def keep(self, findings, blocks):
        """The post of the drafts in ``findings`` ({move_id: [(code, severity, message)]}) is refused for
        ``blocks`` ([(move_id, code, message)]): the caller records them (here: a billing run does, in its lines)."""


class RefusedFindings(CallerKeepsFindings):
    """Collects the findings of the drafts refused, for a caller that records them once it is done (Odoo's
    scheduled action posting the drafts set to post themselves, which writes a refused draft after the refusal)."""

    def __init__(self):
        self.findings = {}

    def keep(self, findings, blocks):
        blocked = {move_id for move_id, _code, _message in blocks}
        self.findings.update({move_id: items for move_id, items in findings.items() if move_id in blocked})


CALLER_KEEPS_FINDINGS = CallerKeepsFindings()
CALLER_KEEPS_FINDINGS_KEY = "billing_caller_keeps_findings"


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "billing.protected.mixin"]
    _protected_create = _protected_write = PROTECTED_FIELDS

    billing_dispute_line_ids = fields.One2many(
        "billing.dispute.line",
        "move_id",
        string="Dispute Lines",
        groups="billing_specialist.group_billing_user",
    )
    billing_dispute_count = fields.Integer(
        string="Disputes",
        compute="_compute_billing_dispute_count",
        groups="billing_specialist.group_billing_user",
    )
    billing_in_dispute = fields.Boolean(
        string="In Dispute",
        compute="_compute_billing_dispute_status",
        store=True,
        index=True,
        copy=False,
        help="An open dispute case contests this invoice.",
    )
    billing_disputed_amount = fields.Monetary(
        string="Amount in Dispute",
        compute="_compute_billing_dispute_status",
        store=True,
        copy=False,
        currency_field="currency_id",
    )
    billing_open_dispute_id = fields.Many2one(
        "billing.dispute",
        string="Open Dispute",
        compute="_compute_billing_open_dispute_id",
        groups="billing_specialist.group_billing_user",
        help="The open case that contests this invoice.",
    )
    billing_dispute_line_id = fields.Many2one(
        "billing.dispute.line",
        string="Settles Dispute Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The disputed invoice this credit note or write-off settles.",
    )
    billing_dispute_id = fields.Many2one(
        "billing.dispute",
        string="Settles Dispute",
        related="billing_dispute_line_id.dispute_id",
        store=True,
        index="btree_not_null",
    )

    billing_check_result_ids = fields.One2many(
        "billing.invoice.check.result",
        "move_id",
        string="Check Findings",
        domain=[("state", "!=", "corrected")],
        readonly=True,
        help="What the pre-send checks found at their last run, and the blocks a billing manager overrode.",
    )
    billing_check_state = fields.Selection(
        [("block", "Blocked"), ("warn", "Warnings"), ("overridden", "Overridden")],
        string="Check Status",
        compute="_compute_billing_check_state",
        store=True,
        index="btree_not_null",
        copy=False,
        help="Blocked: a blocking pre-send check stops posting. Warnings: posting goes on, see the findings. "
        "Overridden: a billing manager posted despite a block. Empty: no finding.",
    )

    billing_ref_key = fields.Char(
        string="Reference Key",
        compute="_compute_billing_ref_key",
        store=True,
        index="btree_not_null",
        copy=False,
        help="The Customer Reference as compared by the duplicate check: case, spacing, punctuation and invisible "
        "characters and Cyrillic or Greek letters drawn like Latin ones aside ('PO-1', ' po 1 ' and 'P.O. 1' are one "
        "reference). Empty without a letter or digit.",
    )

    @api.depends("ref")
    def _compute_billing_ref_key(self):
        for move in self:
            move.billing_ref_key = lookalike_key(move.ref) or False

    @api.depends("billing_check_result_ids.state", "billing_check_result_ids.severity")
    def _compute_billing_check_state(self):
        for move in self:
            results = move.billing_check_result_ids
            open_severities = set(results.filtered(lambda r: r.state == "open").mapped("severity"))
            if "block" in open_severities:
                move.billing_check_state = "block"
            elif "warn" in open_severities:
                move.billing_check_state = "warn"
            elif results.filtered(lambda r: r.state == "overridden"):
                move.billing_check_state = "overridden"
            else:
                move.billing_check_state = False

    @api.depends(
        "billing_dispute_line_ids.dispute_id.state",
        "billing_dispute_line_ids.dispute_id.active",
        "billing_dispute_line_ids.amount_remaining",
    )
    def _compute_billing_dispute_status(self):
        # The ORM shortcuts ``billing_dispute_line_ids.move_id`` back to the move itself, so any change of a move's
        # residual (every reconciliation) marks these fields on that move, case or no case: settle the moves no case
        # involves, nearly all of them, with one read of their lines (cached by then) instead of one per move.
        if not self.sudo().billing_dispute_line_ids:
            self.billing_in_dispute = False
            self.billing_disputed_amount = 0.0
            return
        for move in self:
            lines = move.sudo().billing_dispute_line_ids.filtered(
                lambda ln: ln.dispute_id.active and ln.dispute_id.state in OPEN_STATES
            )
            move.billing_in_dispute = bool(lines)
            move.billing_disputed_amount = sum(lines.mapped("amount_remaining"))

    @api.depends("billing_in_dispute")
    def _compute_billing_open_dispute_id(self):
        for move in self:
            move.billing_open_dispute_id = move._billing_open_dispute() if move.id else False

    def _compute_billing_dispute_count(self):
        counts = dict(
            self.env["billing.dispute.line"]._read_group(
                [("move_id", "in", self.ids)], ["move_id"], ["dispute_id:count_distinct"]
            )
        )
        for move in self:
            move.billing_dispute_count = counts.get(move, 0)

    def _protected_bypass(self):
        """The dispute resolution books its credit notes and write-offs with their dispute fields."""
        return super()._protected_bypass() or is_booking(self.env)

    # ------------------------------------------------------------------ dispute actions

    def _billing_check_disputable(self):
        """Raise a UserError naming what prevents opening one dispute case over these invoices."""
        if not self:
            raise UserError(self.env._("Select at least one customer invoice to dispute."))
        wrong_type = self.filtered(lambda m: m.move_type != "out_invoice")
        if wrong_type:
            raise UserError(
                self.env._(
                    "Only customer invoices can be disputed; %(documents)s are not.",
                    documents=", ".join(wrong_type.mapped("display_name")),
                )
            )
        not_posted = self.filtered(lambda m: m.state != "posted")
        if not_posted:
            raise UserError(
                self.env._(
                    "Only posted invoices can be disputed; %(invoices)s are draft or cancelled.",
                    invoices=", ".join(not_posted.mapped("display_name")),
                )
            )
        if len(self.commercial_partner_id) > 1:
            raise UserError(
                self.env._("The selected invoices belong to several customers; dispute each customer's apart.")
            )
        if len(self.company_id) > 1:
            raise UserError(
                self.env._("The selected invoices belong to several companies; dispute each company's apart.")
            )
        if len(self.currency_id) > 1:
            raise UserError(self.env._("The selected invoices use several currencies; dispute each currency's apart."))
        paid = self.filtered(lambda m: m.currency_id.is_zero(m.amount_residual))
        if paid:
            raise UserError(
                self.env._(
                    "%(invoices)s have nothing left to pay and cannot be disputed.",
                    invoices=", ".join(paid.mapped("name")),
                )
            )
        for move in self:
            case = move._billing_open_dispute()
            if case:
                raise UserError(
                    self.env._(
                        "%(invoice)s is already disputed in the open case %(case)s.", invoice=move.name, case=case.name
                    )
                )

    def _billing_open_dispute(self):
        """The open case that contests this invoice, if any (read as superuser: portal pages show it too)."""
        self.ensure_one()
        return self.sudo().billing_dispute_line_ids.dispute_id.filtered(
            lambda case: case.active and case.state in OPEN_STATES
        )[:1]

    def _billing_prepare_dispute_vals(self):
        self._billing_check_disputable()
        contact = self.partner_id[:1]
        return {
            "partner_id": self.commercial_partner_id.id,
            "contact_id": contact.id if contact != self.commercial_partner_id else False,
            "company_id": self.company_id.id,
            "line_ids": [
                Command.create({"move_id": move.id, "amount_disputed": move.amount_residual})
                for move in self.sorted(lambda m: (m.invoice_date_due or m.date, m.id))
            ],
        }

    def action_billing_open_dispute(self):
        """Open a prefilled dispute case form for the selected invoices of one customer."""
        vals = self._billing_prepare_dispute_vals()
        context = {f"default_{key}": value for key, value in vals.items()}
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "billing.dispute",
            "view_mode": "form",
            "target": "current",
            "context": context,
        }

    def action_billing_view_disputes(self):
        self.ensure_one()
        cases = self.billing_dispute_line_ids.dispute_id
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_dispute_action")
        action.update(domain=[("id", "in", cases.ids)], context={"create": False})
        if len(cases) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=cases.id)
        return action

    # ------------------------------------------------------------------ keep the cases in line

    def _billing_related_disputes(self):
        """Cases whose amounts depend on these moves, as invoices or as their credit notes/write-offs.

        Read as superuser: an accountant posting or resetting an entry may hold no billing group, yet the
        case must follow the accounting.
        """
        moves = self.sudo()
        return moves.billing_dispute_line_ids.dispute_id | moves.billing_dispute_id

    def _billing_settled_names(self):
        """{move id: the numbers of the customer invoices and credit notes reconciled with its receivable lines}.

        One query for any number of moves (a large run reads its 100,000 sources' with a few). It reads the partials
        of the moves in ``self`` only, which the caller reads already (payments and bank lines of its company).
        """
        if not self:
            return {}
        self.env["account.move.line"].flush_model(["move_id", "account_id"])
        self.env["account.partial.reconcile"].flush_model(["debit_move_id", "credit_move_id"])
        self.flush_model(["name", "move_type"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT DISTINCT line.move_id, other_move.id, other_move.name
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
              JOIN account_partial_reconcile partial
                ON line.id IN (partial.debit_move_id, partial.credit_move_id)
              JOIN account_move_line other
                ON other.id = CASE WHEN partial.debit_move_id = line.id THEN partial.credit_move_id
                                   ELSE partial.debit_move_id END
              JOIN account_move other_move ON other_move.id = other.move_id
             WHERE line.move_id IN %s
               AND account.account_type = 'asset_receivable'
               AND other_move.id != line.move_id
               AND other_move.move_type IN ('out_invoice', 'out_refund')
             ORDER BY line.move_id, other_move.id
            """,
                tuple(self.ids),
            )
        )
        names = {}
        for move_id, _other_id, name in rows:
            names.setdefault(move_id, []).append(name)
        return {move_id: tuple(found) for move_id, found in names.items()}

    # ------------------------------------------------------------------ portal payment: the undisputed part only

    def _billing_undisputed_residual(self):
        """What the customer owes on the invoice beyond the amount in dispute (invoice currency, never negative)."""
        self.ensure_one()
        if not self.billing_in_dispute:
            return self.amount_residual
        return max(self.currency_id.round(self.amount_residual - self.billing_disputed_amount), 0.0)

    def _get_invoice_next_payment_values(self, custom_amount=None):
        """*Pay Now* on an invoice in dispute offers the undisputed amount, not what the customer contests."""
        values = super()._get_invoice_next_payment_values(custom_amount=custom_amount)
        if not values or custom_amount is not None or not self.billing_in_dispute:
            return values
        undisputed = self._billing_undisputed_residual()
        currency = self.currency_id
        if currency.compare_amounts(values["amount_due"], undisputed) > 0:
            if values["installment_state"] == "epd":
                # The early payment discount is for the whole invoice paid in time, not for a part of it.
                values["installment_state"] = None
                for key in [key for key in values if key.startswith("epd_")] + ["discount_date"]:
                    values.pop(key, None)
            values["amount_due"] = undisputed
        if currency.compare_amounts(values["next_amount_to_pay"], undisputed) > 0:
            values["next_amount_to_pay"] = undisputed
        values["billing_amount_in_dispute"] = self.billing_disputed_amount
        return values

    def _has_to_be_paid(self):
        """Nothing to pay online while all that is open is in dispute."""
        return super()._has_to_be_paid() and not self.currency_id.is_zero(self._billing_undisputed_residual())

    # ------------------------------------------------------------------ pre-send checks

    def _billing_run_checks(self):
        """Run the pre-send checks on these invoices and store the findings on them (no post).

        :return: {move_id: [(check_code, severity, message), ...]} for every move of ``self`` (empty lists for
            moves without a finding and for documents the checks do not concern)
        """
        findings = self._billing_find()
        self.env["billing.invoice.check.result"].sudo()._record(self._billing_checked(), findings)
        return findings

    def _billing_checked(self):
        return self.filtered(lambda m: m.move_type in CHECKED_TYPES).sudo()

    def _billing_find(self):
        """The pre-send checks' findings, nothing stored: {move_id: [(check_code, severity, message), ...]}."""
        findings = self.env["billing.invoice.checker"].sudo()._run(self._billing_checked())
        return {move.id: list(findings.get(move.id, ())) for move in self}

    def action_billing_run_checks(self):
        """Run Checks on drafts: the findings show as a banner on each invoice."""
        wrong = self.filtered(lambda m: m.move_type not in CHECKED_TYPES or m.state != "draft")
        if not self or wrong:
            raise UserError(
                self.env._(
                    "Pre-send checks run on draft customer invoices and credit notes; %(documents)s are not.",
                    documents=", ".join(wrong.mapped("display_name")) or self.env._("nothing is selected"),
                )
            )
        self.check_access("write")
        self._billing_run_checks()
        return True

    def action_billing_override_checks(self):
        """Open the override wizard on fresh findings (billing managers only; the wizard checks again)."""
        self._billing_check_override_rights()
        self._billing_run_checks()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Checks and Post"),
            "res_model": "billing.invoice.check.override",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "account.move", "active_ids": self.ids},
        }

    def _billing_check_override_rights(self):
        if not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(self.env._("Only a billing manager can override the pre-send checks."))

    def _billing_enforce_checks(self):
        """Run the checks of the drafts being posted; raise BillingCheckBlocked listing every blocking finding of
        every invoice, unless a billing manager overrides them (with a reason, logged on the invoices)."""
        if is_booking(self.env):  # a dispute's own credit notes and write-offs
            return
        moves = self.filtered(lambda m: m.state == "draft" and m.move_type in CHECKED_TYPES)
        if not moves:
            return
        # Found first, stored after: a refused post keeps its findings in a transaction of its own, which must not
        # wait for rows this one would have locked by storing them.
        findings = moves._billing_find()
        blocks = [
            (move_id, code, message)
            for move_id, items in findings.items()
            for code, severity, message in items
            if severity == "block"
        ]
        override = self.env.context.get(CHECK_OVERRIDE_KEY)
        if not blocks or isinstance(override, CheckOverride):
            self.env["billing.invoice.check.result"].sudo()._record(moves._billing_checked(), findings)
            if blocks:
                moves._billing_apply_override(override)
            return
        keeper = self.env.context.get(CALLER_KEEPS_FINDINGS_KEY)
        if isinstance(keeper, CallerKeepsFindings):
            keeper.keep(findings, blocks)
        else:
            moves._billing_keep_refused_findings(findings)
        raise BillingCheckBlocked(moves._billing_blocked_message(blocks), findings=blocks)

    def _autopost_draft_entries(self):
        """Odoo's scheduled action posting the drafts set to post themselves: it writes a refused draft after the
        refusal (``checked``). The findings of the drafts a check blocks are recorded in its own transaction, once
        it is done: kept in a second transaction, they updated those drafts' rows first, and the action failed on a
        serialization failure each time it met a blocked draft, posting nothing."""
        refused = RefusedFindings()
        result = super(AccountMove, self.with_context(**{CALLER_KEEPS_FINDINGS_KEY: refused}))._autopost_draft_entries()
        drafts = self.browse(refused.findings).exists().filtered(lambda move: move.state == "draft")
        if drafts:
            self.env["billing.invoice.check.result"].sudo()._record(drafts._billing_checked(), refused.findings)
        return result

    def _billing_keep_refused_findings(self, findings):
        """The refused post rolls its transaction back; keep its findings (banner, override, report of errors
        prevented) in a short transaction of their own. Best effort: invoices not committed yet, or findings
        locked by the caller's transaction, are left out rather than waited for."""
        if not self.env.registry.ready:
            # Installing or updating modules (e.g. demo data): all of it is one uncommitted transaction, whose
            # invoices another transaction cannot see and whose table locks it would wait for.
            return
        try:
            with self.env.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '2s'")
                env = self.env(cr=cr, su=True)
                moves = env["account.move"].browse(self.ids).exists()
                env["billing.invoice.check.result"]._record(moves, findings)
        except Exception:  # never hide the refusal behind a bookkeeping error
            _logger.info("Findings of a refused post not kept for %s", self.ids, exc_info=True)

    def _billing_blocked_message(self, blocks):
        labels = dict(self.env["billing.invoice.check"]._fields["code"]._description_selection(self.env))
        lines = []
        for move_id, code, message in blocks:
            move = self.browse(move_id)
            lines.append(
                f"- {move.display_name} ({move.commercial_partner_id.display_name}): {labels.get(code, code)}: {message}"
            )
        return self.env._(
            "Pre-send checks stop posting:\n%(findings)s\nCorrect the invoices, or ask a billing manager to override "
            "the checks with a reason.",
            findings="\n".join(lines),
        )

    def _billing_apply_override(self, override):
        """Mark the open blocking findings overridden by the manager, with the reason, and log it in the chatter."""
        self._billing_check_override_rights()
        reason = (override.reason or "").strip()
        if override.uid != self.env.uid or not reason:
            raise UserError(self.env._("Overriding the pre-send checks needs a reason."))
        results = (
            self.env["billing.invoice.check.result"]
            .sudo()
            .search([("move_id", "in", self.ids), ("state", "=", "open"), ("severity", "=", "block")])
        )
        results.write({"state": "overridden", "overridden_by": self.env.uid, "override_reason": reason})
        for move, found in results.grouped("move_id").items():
            items = Markup().join(Markup("<li>%s</li>") % result.message for result in found)
            move.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._(
                        "Pre-send checks overridden by %(user)s: %(reason)s", user=self.env.user.name, reason=reason
                    ),
                    items,
                )
            )

    def _post(self, soft=True):
        self._billing_enforce_checks()
        posted = super(AccountMove, self.with_context(**{POSTING_KEY: POSTING}))._post(soft=soft).with_env(self.env)
        disputes = posted._billing_related_disputes()
        if disputes:  # entries no case involves cost one query, not a sync
            disputes._sync_state_with_accounting()
        return posted

    def write(self, vals):
        """Odoo's ``write`` takes the state "posted" from a client, without ``_post``: the checks run here then."""
        if vals.get("state") == "posted" and self.env.context.get(POSTING_KEY) is not POSTING:
            self._billing_enforce_checks()
        return super().write(vals)

    def button_draft(self):
        disputes = self._billing_related_disputes()
        result = super().button_draft()
        if disputes:
            disputes._sync_state_with_accounting()
        return result

    def button_cancel(self):
        disputes = self._billing_related_disputes()
        result = super().button_cancel()
        if disputes:
            disputes._sync_state_with_accounting()
        return result
