from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import formatLang

from ..matching.engine import MatchPolicy, OpenItem
from ..matching.remittance import AdviceMatcher, named_by, understand_reference

# Set by the application (when the advice is read, or applied), never by a client.
PROTECTED_FIELDS = {
    "move_id",
    "dispute_id",
    "understood_match",
    "understood_move_id",
    "understood_candidates",
    "understood_state",
    "understood",
}
UNDERSTOOD_STATES = [
    ("found", "Found"),
    ("deduction", "Found, Deduction"),
    ("not_found", "Not Found"),
    ("several", "Several"),
    ("paid", "Already Paid"),
    ("over_open", "More Than Open"),
    ("currency", "Other Currency"),
]
UNDERSTOOD = ("found", "deduction")
# Stored, computed from what the line names; the state (``understood_state``) is read from the invoice as it is now.
UNDERSTOOD_FIELDS = ("understood_match", "understood_move_id", "understood_candidates")
MATCHES = [
    ("exact", "Exact"),
    ("written", "Written Differently"),
    ("typo", "One Typo"),
    ("several", "Several Candidates"),
    ("not_found", "Not Found"),
]
# What is read of the customers' invoices to understand the lines: one query for all the lines of a batch.
INVOICE_FIELDS = [
    "name",
    "company_id",
    "commercial_partner_id",
    "amount_residual",
    "currency_id",
    "move_type",
    "ref",
    "payment_reference",
    "invoice_date_due",
    "date",
    "state",
]


class BillingRemittanceLine(models.Model):
    """One invoice of a remittance advice: as the customer wrote it, what it pays and what it deducts."""

    _name = "billing.remittance.line"
    _description = "Remittance Advice Line"
    _inherit = ["billing.finite.mixin", "billing.protected.mixin"]
    _protected_create = _protected_write = frozenset(PROTECTED_FIELDS)
    _finite_fields = ("amount_paid", "amount_deduction")
    _order = "remittance_id, sequence, id"
    _check_company_auto = True

    remittance_id = fields.Many2one("billing.remittance", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="remittance_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="remittance_id.currency_id", store=True)
    sequence = fields.Integer(default=10)
    reference = fields.Char(string="Invoice Reference", required=True, help="As the customer wrote it.")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        readonly=True,
        check_company=True,
        index="btree_not_null",
        help="The invoice the reference was resolved to when the remittance was applied.",
    )
    amount_paid = fields.Monetary(string="Paid")
    amount_deduction = fields.Monetary(string="Deduction")
    deduction_reason = fields.Char(help="The customer's words for the deduction; they choose the dispute reason.")
    dispute_id = fields.Many2one("billing.dispute", string="Dispute Case", readonly=True, check_company=True)
    # What the line was understood as when it was read (``_billing_understand``): the customer's invoice its reference
    # names, or why none. It informs the specialist and decides nothing: the matching resolves the lines again.
    understood_match = fields.Selection(
        MATCHES, string="Reference Read As", compute="_compute_understood", store=True, copy=False
    )
    understood_move_id = fields.Many2one(
        "account.move",
        string="Invoice Found",
        compute="_compute_understood",
        store=True,
        copy=False,
        index="btree_not_null",
        help="The customer's invoice the reference names, found when the advice was read.",
    )
    understood_candidates = fields.Char(
        string="Candidates",
        compute="_compute_understood",
        store=True,
        copy=False,
        help="The customer's invoices the reference could name.",
    )
    understood_state = fields.Selection(
        UNDERSTOOD_STATES,
        string="Understood As",
        compute="_compute_understood_state",
        help="What the line was understood as: its invoice (found, with a deduction), or why none was taken.",
    )
    understood = fields.Boolean(compute="_compute_understood_state")
    understood_note = fields.Text(
        string="Explanation", compute="_compute_understood_note", compute_sudo=True, help="In plain words."
    )
    understood_currency_id = fields.Many2one(related="understood_move_id.currency_id", string="Invoice Currency")
    understood_amount_open = fields.Monetary(
        related="understood_move_id.amount_residual", currency_field="understood_currency_id", string="Open"
    )

    _sql_constraints = [
        ("deduction_positive", "CHECK(amount_deduction >= 0)", "A deduction cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self.env["billing.remittance"].browse([v.get("remittance_id") for v in vals_list])._billing_check_open()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            (
                self.remittance_id | self.env["billing.remittance"].browse(vals.get("remittance_id"))
            )._billing_check_open()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        self.remittance_id._billing_check_open()

    def _protected_error(self, fnames):
        return AccessError(self.env._("The invoice and case of a remittance line are set by the application."))

    # ------------------------------------------------------------------ understood as

    @api.depends("reference", "amount_paid", "amount_deduction", "remittance_id.partner_id", "remittance_id.company_id")
    def _compute_understood(self):
        self._billing_understand()

    # Not stored: the invoice's open amount changes at every reconciliation of the company, and a stored state would
    # add a look-up of the advice lines to each (tests/test_reconcile_overhead.py). It is read as the invoice is now.
    @api.depends(
        "understood_match",
        "understood_move_id.amount_residual",
        "understood_move_id.currency_id",
        "understood_move_id.state",
        "currency_id",
        "amount_paid",
        "amount_deduction",
        "move_id",
        "remittance_id.state",
    )
    def _compute_understood_state(self):
        for line in self:
            line.understood_state = line._billing_understood_state()
            line.understood = line.understood_state in UNDERSTOOD

    def _billing_understood_state(self):
        """The line's outcome from what its reference names (``understood_match``) and the invoice as it is now."""
        move = self.understood_move_id
        if not self.understood_match:
            return False
        if self.understood_match == "several":
            return "several"
        if not move or move.state != "posted":
            return "not_found"
        if self.remittance_id.state == "applied" and self.move_id == move:  # this advice paid it
            return "deduction" if self.amount_deduction > 0 else "found"
        if move.currency_id != self.currency_id:
            return "currency"
        if move.currency_id.is_zero(move.amount_residual):
            return "paid"
        if move.currency_id.compare_amounts(abs(self.amount_paid), move.amount_residual) > 0:
            return "over_open"
        return "deduction" if self.amount_deduction > 0 else "found"

    @api.depends("understood_state", "understood_candidates", "reference", "deduction_reason")
    def _compute_understood_note(self):
        for line in self:
            line.understood_note = line._billing_understood_note()

    def _billing_understood_note(self):
        """What the line was understood as, in plain words (never anything of another customer)."""
        state, move = self.understood_state, self.understood_move_id
        values = {
            "reference": self.reference,
            "customer": self.remittance_id.partner_id.name,
            "invoice": move.name,
            "paid": formatLang(self.env, abs(self.amount_paid), currency_obj=self.currency_id),
        }
        if move:
            values["open"] = formatLang(self.env, move.amount_residual, currency_obj=move.currency_id)
        if not state:
            return False
        if state == "not_found":
            return self.env._(
                "Not found for this customer: no invoice of %(customer)s is numbered %(reference)s.", **values
            )
        if state == "several":
            return self.env._(
                "Several invoices of %(customer)s could be meant: %(numbers)s.",
                numbers=self.understood_candidates or "-",
                **values,
            )
        if state == "paid":
            return self.env._("%(invoice)s is paid already: nothing is open on it.", **values)
        if state == "currency":
            return self.env._(
                "%(invoice)s is in %(invoice_currency)s, the advice in %(currency)s.",
                invoice_currency=move.currency_id.name,
                currency=self.currency_id.name,
                **values,
            )
        if state == "over_open":
            return self.env._("The line pays %(paid)s on %(invoice)s, open for %(open)s only.", **values)
        return self._billing_found_note(values)

    def _billing_found_note(self, values):
        move = self.understood_move_id
        if self.remittance_id.state == "applied" and self.move_id == move:
            text = self.env._("%(invoice)s, paid by this advice.", **values)
        elif self.amount_deduction > 0:
            text = self.env._(
                "%(invoice)s, open %(open)s: the line pays %(paid)s and deducts %(deduction)s, reason code "
                "'%(reason)s'.",
                deduction=formatLang(self.env, self.amount_deduction, currency_obj=self.currency_id),
                reason=self.deduction_reason or "-",
                **values,
            )
        elif self.amount_paid < 0:
            text = self.env._("%(invoice)s, a credit note open %(open)s: the line takes %(paid)s off.", **values)
        elif move.currency_id.compare_amounts(self.amount_paid, move.amount_residual) == 0:
            text = self.env._("%(invoice)s, open %(open)s: the line pays it in full.", **values)
        else:
            text = self.env._(
                "%(invoice)s, open %(open)s: the line pays %(paid)s, %(rest)s stays open.",
                rest=formatLang(self.env, move.amount_residual - self.amount_paid, currency_obj=move.currency_id),
                **values,
            )
        if self.understood_match == "written":
            text += " " + self.env._("(Written %(reference)s.)", **values)
        elif self.understood_match == "typo":
            text += " " + self.env._("(Written %(reference)s: one typo.)", **values)
        return text

    def _billing_understand(self):
        """Find the invoice each line's reference names among its customer's invoices (open ones first, then paid
        ones), or why none. All the lines at once: the invoices are read in two queries (the customers' own; other
        customers' named exactly, so that a typo landing on one is read as the matching reads it), whatever the
        number of lines. Another customer's invoice is never taken nor named."""
        self.understood_match = self.understood_move_id = self.understood_candidates = False
        lines = self.filtered(lambda rec: rec.remittance_id.partner_id and rec.reference)
        if not lines:
            return
        Move = self.env["account.move"].sudo()
        domain = [
            ("company_id", "in", lines.company_id.ids),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
        references = {line.reference.strip() for line in lines}
        invoices = Move.search_fetch(
            [*domain, ("commercial_partner_id", "in", lines.remittance_id.partner_id.ids)], INVOICE_FIELDS
        ) | Move.search_fetch([*domain, ("name", "in", list(references))], INVOICE_FIELDS)
        matchers = {}
        for remittance, advice_lines in lines.grouped("remittance_id").items():
            key = (remittance.company_id, remittance.partner_id)
            if key not in matchers:
                matchers[key] = self._billing_understanding_matchers(invoices, *key, references)
            advice_lines._billing_understand_with(remittance, matchers[key])

    def _billing_understand_with(self, remittance, matchers):
        """Understand these lines of ``remittance`` with its customer's ``matchers`` (open items, then all)."""
        partner_id = remittance.partner_id.id
        named = self._billing_named_exactly(remittance, matchers[1])
        for line in self:
            understood = understand_reference(
                matchers, line.reference, partner_id, line.amount_paid + line.amount_deduction, exclude=named
            )
            line.understood_match = understood.how
            line.understood_move_id = understood.item.id if understood.item else False
            line.understood_candidates = ", ".join(understood.candidates) or False

    @api.model
    def _billing_named_exactly(self, remittance, matcher):
        """The customer's invoices the advice's lines name exactly: a typo elsewhere in it does not mean them.

        Odoo computes the lines by batches of a thousand: this set, read from all the lines, is kept for the next
        batches (keyed by the lines' references and the customer's invoices, so it is never stale)."""
        partner_id = remittance.partner_id.id
        references = tuple(remittance.line_ids.mapped("reference"))
        own = tuple(sorted(i for i, item in matcher.items.items() if item.partner_id == partner_id))
        key = (remittance.id, partner_id, hash(references), hash(own))
        memo = self.env.cr.cache.setdefault("billing_remittance_named", {})
        if key not in memo:
            if len(memo) > 20:
                memo.clear()
            named = set()
            for reference in references if own else ():  # what resolve_reference takes as 'exact' or 'written'
                hits = named_by(matcher, matcher._candidates(reference or ""), partner_id)
                if len(hits) == 1:
                    named |= hits
            memo[key] = frozenset(named)
        return memo[key]

    @api.model
    def _billing_understanding_matchers(self, invoices, company, partner, references):
        """The customer's open invoices, then all its invoices (each with the other customers' invoices that a
        reference names exactly): the matchers ``understand_reference`` reads them with."""
        mine, named = [], []
        for move in invoices:
            if move.company_id != company:
                continue
            residual = -move.amount_residual if move.move_type == "out_refund" else move.amount_residual
            item = OpenItem(
                move.id,
                move.commercial_partner_id.id,
                move.name,
                residual,
                move.invoice_date_due or move.date,
                tuple(ref for ref in (move.ref, move.payment_reference) if ref),
            )
            if move.commercial_partner_id == partner:
                mine.append((item, move.currency_id.is_zero(move.amount_residual)))
            elif move.name in references:
                named.append(item)
        policy = MatchPolicy(rounding=company.currency_id.rounding)
        cache = {}
        everything = AdviceMatcher([item for item, _paid in mine] + named, policy).share_candidates(cache)
        if not any(paid for _item, paid in mine):
            return everything, everything
        return AdviceMatcher([item for item, paid in mine if not paid] + named, policy).share_candidates(
            cache
        ), everything

    @api.model
    def _billing_understand_again(self, partners):
        """Invoices of ``partners`` were posted: the lines of their waiting advices that found no invoice are understood
        again (one query; the lines are recomputed with the next flush, in bulk)."""
        lines = self.search(
            [
                ("remittance_id.partner_id", "in", partners.ids),
                ("remittance_id.state", "in", ("new", "matched")),
                ("understood_move_id", "=", False),
            ]
        )
        if lines:
            for fname in UNDERSTOOD_FIELDS:
                self.env.add_to_compute(self._fields[fname], lines)
            lines.invalidate_recordset(["understood_state", "understood", "understood_note"])  # read from the above
            lines.remittance_id.invalidate_recordset(["understood_count", "not_understood_count"])

    def action_open_invoice(self):
        """Open the invoice the line was understood as (the user's own rights on it apply)."""
        self.ensure_one()
        self.check_access("read")
        move = self.understood_move_id.with_env(self.env)
        if not move:
            raise UserError(self.env._("No invoice was found for %(reference)s.", reference=self.reference))
        move.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": move.id,
            "views": [(False, "form")],
            "target": "current",
        }
