import re
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.misc import format_date

from odoo.addons.base.models.res_bank import sanitize_account_number

from ..matching import Habit, Habits, Matcher, normalize
from ..matching.habits import amount_relations, days_bucket, mask_account, reference_way

KINDS = [
    ("payer_account", "Payer Bank Account"),
    ("payer_name", "Payer Name"),
    ("reference_pattern", "Reference"),
    ("amount_relation", "Amount"),
    ("days_to_pay", "Days to Pay"),
]


class BillingMatchHabit(models.Model):
    """One customer's way of paying, learned from confirmed matches (``matching/habits.py`` says what is used).

    Written by the learning only (as superuser): from a match a person applied, at once; from an automatic run's
    match once it has stood for the company's days without being undone (daily scheduled action). Undoing a run
    takes back the evidence its matches gave. A user sees the habits and may switch one off (``active``): nothing
    else is written by a client.
    """

    _name = "billing.match.habit"
    _inherit = ["billing.protected.mixin"]
    _description = "Matching Habit"
    _order = "partner_id, kind, evidence_count desc, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        check_company=True,
        ondelete="cascade",
    )
    kind = fields.Selection(KINDS, required=True, readonly=True)
    key = fields.Char(required=True, readonly=True, help="The normalized value: account number, pattern, fee size.")
    name = fields.Char(string="What Was Learned", compute="_compute_name")
    active = fields.Boolean(default=True, help="Switch off to keep the matching from using this habit.")
    evidence_ids = fields.One2many("billing.match.habit.evidence", "habit_id", readonly=True)
    evidence_count = fields.Integer(
        string="Confirmed Matches", compute="_compute_evidence", store=True, aggregator=None
    )  # summed over a customer's habits it counts matches many times
    first_seen = fields.Date(compute="_compute_evidence", store=True)
    last_seen = fields.Date(compute="_compute_evidence", store=True)

    _sql_constraints = [
        ("habit_unique", "unique (company_id, partner_id, kind, key)", "A habit is recorded once per customer."),
    ]

    @api.depends("evidence_ids.date")
    def _compute_evidence(self):
        for habit in self:
            dates = habit.evidence_ids.mapped("date")
            habit.evidence_count = len(dates)
            habit.first_seen = min(dates) if dates else False
            habit.last_seen = max(dates) if dates else False

    @api.depends("kind", "key", "evidence_ids")
    def _compute_name(self):
        for habit in self:
            habit.name = habit._describe()

    def _describe(self):
        key = self.key or ""
        if self.kind == "payer_account":
            return self.env._("Pays from account %(account)s", account=mask_account(key))
        if self.kind == "payer_name":
            # The key is normalized (ACMERETAILPAYABLES); a person reads the name as the bank wrote it last.
            written = self.sudo().evidence_ids[:1].statement_line_id.partner_name
            return self.env._("Pays under the name %(name)s", name=written or key)
        if self.kind == "days_to_pay":
            return self.env._("Pays %(days)s days after the invoice date", days=key)
        if self.kind == "reference_pattern":
            ways = {
                "number": self.env._("Writes the invoice number"),
                "variant": self.env._("Writes the invoice number its own way"),
                "sequence": self.env._("Writes the invoice's sequence number only"),
                "typo": self.env._("Writes references with typos"),
                "typo:dropped": self.env._("Drops a character of the invoice number"),
                "typo:extra": self.env._("Adds a character to the invoice number"),
                "typo:changed": self.env._("Mistypes a character of the invoice number"),
            }
            if key.startswith("po:"):  # PO-\d{4} -> PO-####: the shape a person reads, one # per digit
                shape = re.sub(r"\\d\{(\d+)\}", lambda match: "#" * int(match.group(1)), key[3:])
                return self.env._("Writes its PO number (%(pattern)s)", pattern=shape)
            return ways.get(key, key)
        name, _sep, value = key.partition(":")
        if name == "fee":
            return self.env._("Deducts a fee of %(amount)s", amount=value)
        if name == "discount":
            return self.env._("Deducts a discount of %(percent)s%%", percent=value)
        return self.env._("Pays the exact amount")

    # ------------------------------------------------------------------ clients: read, and switch off

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Matching habits are learned from confirmed matches, never entered."))
        return super().create(vals_list)

    def _protected_fields(self, operation):
        """Every field but ``active``: a client reads a habit and may switch it off."""
        return frozenset(fname for fname in self._fields if fname != "active")

    # ------------------------------------------------------------------ learning

    @api.model
    def _learn(self, run_lines):
        """Record what the applied ``run_lines`` (billing.match.run.line) teach, as superuser."""
        Habit, Evidence = self.sudo().with_context(active_test=False), self.env["billing.match.habit.evidence"].sudo()
        lessons = []
        applied = run_lines.filtered(lambda rec: rec.outcome == "applied")
        foreign = self._foreign_payers(applied)
        for line in applied - foreign:
            lessons += [(line, *lesson) for lesson in self._lessons(line)]
        if not lessons:
            return Habit
        wanted = {(line.company_id.id, partner.id, kind, key) for line, partner, kind, key, _date in lessons}
        existing = Habit.search(
            [("company_id", "in", list({w[0] for w in wanted})), ("partner_id", "in", list({w[1] for w in wanted}))]
        )
        by_key = {(h.company_id.id, h.partner_id.id, h.kind, h.key): h for h in existing}
        missing = [w for w in wanted if w not in by_key]
        created = Habit.create([{"company_id": c, "partner_id": p, "kind": k, "key": v} for c, p, k, v in missing])
        by_key.update(zip(missing, created, strict=True))
        Evidence.create(
            [
                {"habit_id": by_key[(line.company_id.id, partner.id, kind, key)].id, "line_id": line.id, "date": day}
                for line, partner, kind, key, day in lessons
            ]
        )
        return existing | created

    @api.model
    def _foreign_payers(self, run_lines):
        """The applied ``run_lines`` whose bank line identifies another customer than the one its invoices are of:
        a payer's name naming another customer (as the engine reads names: after normalisation, within the bank's
        text), or a bank account on record for another customer. They teach nothing: a name is text anyone writes,
        and what a line carrying another customer's name or account teaches would one day send that customer's own
        payment to the wrong invoices."""
        foreign = self.env["billing.match.run.line"]
        lines = run_lines.filtered(
            lambda rec: rec.statement_line_id.partner_name or rec.statement_line_id.account_number
        )
        for company, company_lines in lines.grouped("company_id").items():
            names = self._customer_names(company)
            accounts = {sanitize_account_number(line.statement_line_id.account_number) for line in company_lines} - {
                False,
                "",
            }
            owners = {}
            if accounts:
                Bank = self.env["res.partner.bank"].sudo().with_context(active_test=False)
                banks = Bank.search_fetch(
                    [("sanitized_acc_number", "in", list(accounts))], ["sanitized_acc_number", "partner_id"]
                )
                for bank in banks:
                    owners.setdefault(bank.sanitized_acc_number, set()).add(bank.partner_id.commercial_partner_id.id)
            for line in company_lines:
                customer = line.allocation_ids.move_id.commercial_partner_id
                bank_line = line.statement_line_id
                named = names._named_partners(normalize(bank_line.partner_name)) if bank_line.partner_name else set()
                owned = owners.get(sanitize_account_number(bank_line.account_number), set())
                if (named | owned) - set(customer.ids):
                    foreign |= line
        return foreign

    @api.model
    def _customer_names(self, company):
        """The names of ``company``'s customers (those it invoiced), indexed as the engine looks names up."""
        self.env["account.move"].flush_model(["company_id", "move_type", "state", "commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT commercial_partner_id FROM account_move
                    WHERE company_id = %s AND state = 'posted' AND move_type IN ('out_invoice', 'out_refund')""",
                company.id,
            )
        )
        partners = self.env["res.partner"].sudo().browse([pid for (pid,) in rows if pid])
        return Matcher((), partner_names={partner.id: partner.name for partner in partners if partner.name})

    @api.model
    def _lessons(self, line):
        """[(customer, kind, key, date)] that one applied run line teaches (nothing when its invoices are of several
        customers, or the payer is another customer than the invoices')."""
        moves = line.allocation_ids.move_id
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice")
        customer = moves.commercial_partner_id
        source = line.payment_id or line.statement_line_id
        if len(customer) != 1 or not invoices or not source:
            return []
        if source.partner_id and source.partner_id.commercial_partner_id != customer:
            return []  # paid by someone else for this customer: neither its account nor its ways are the customer's
        day = source.date
        lessons = []
        if line.statement_line_id:  # a customer payment's bank account is the company's (inbound): not the payer's
            account = source.account_number or source.partner_bank_id.acc_number
            if account:
                lessons.append(("payer_account", normalize(account)))
            if source.partner_name:
                lessons.append(("payer_name", normalize(source.partner_name)))
        memo = source._billing_source().memo
        ways = {
            reference_way(memo, inv.name, tuple(r for r in (inv.ref, inv.payment_reference) if r and r != inv.name))
            for inv in invoices
        }
        if len(ways) == 1 and None not in ways:
            lessons.append(("reference_pattern", ways.pop()))
        total = sum(line.allocation_ids.mapped("amount"))
        lessons += [("amount_relation", key) for key in amount_relations(total, line.writeoff or 0.0)]
        days = min((day - (inv.invoice_date or day)).days for inv in invoices)
        lessons.append(("days_to_pay", days_bucket(days)))
        return [(customer, kind, key, day) for kind, key in lessons if key]

    @api.model
    def _unlearn(self, run_lines):
        """Take back what ``run_lines`` taught: their evidence, and the habits left with none."""
        evidence = self.env["billing.match.habit.evidence"].sudo().search([("line_id", "in", run_lines.ids)])
        habits = evidence.habit_id
        evidence.unlink()
        habits.filtered(lambda habit: not habit.evidence_ids).unlink()

    @api.model
    def _cron_learn(self):
        """Learn from automatic runs that have stood for the company's days without being undone."""
        Run = self.env["billing.match.run"].sudo()
        Company = self.env["res.company"]
        for company in Company.search(Company._billing_capability_domain("matching")):
            since = fields.Datetime.now() - timedelta(days=company.billing_learn_after_days)
            runs = Run.search(
                [
                    ("company_id", "=", company.id),
                    ("mode", "=", "automatic"),
                    ("state", "in", ("done", "partial")),
                    ("learned", "=", False),
                    ("date", "<=", since),
                ]
            )
            if runs:
                self._learn(runs.line_ids)
                runs.learned = True

    # ------------------------------------------------------------------ what the engine reads

    @api.model
    def _engine_habits(self, company):
        """The company's habits still in use, for ``LearningMatcher``: active, with their evidence counted since
        the fading period (``billing_habit_fade_days``; 0: never fades), in one query."""
        fade = company.billing_habit_fade_days
        since = (
            fields.Date.context_today(self) - timedelta(days=fade) if fade > 0 else fields.Date.to_date("1900-01-01")
        )
        self.env["billing.match.habit"].flush_model()
        self.env["billing.match.habit.evidence"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT h.partner_id, h.kind, h.key, COUNT(e.id), MAX(e.date)
                     FROM billing_match_habit h JOIN billing_match_habit_evidence e ON e.habit_id = h.id
                    WHERE h.company_id = %s AND h.active AND e.date >= %s
                 GROUP BY h.id""",
                company.id,
                since,
            )
        )
        return Habits([Habit(*row) for row in rows], format_date=lambda value: format_date(self.env, value))

    # ------------------------------------------------------------------ migration

    @api.model
    def _rekey_payers(self):
        """Recompute the keys of learned payer accounts and names with today's ``normalize`` (one normalisation,
        ``matching/text.py``); the migration to 18.0.1.1.0 calls it.

        Each piece of evidence is keyed again from the text it was learned from (the bank line's payer name or
        account), the old key only when that line is gone: an old key lost the letters outside A-Z ('Müller' was
        'MLLER', as 'Mller' was). Evidence whose texts now differ is split into habits of their own; habits whose
        keys now agree are merged (switched off if any of them was). Returns the habits kept.
        """
        Habit = self.sudo().with_context(active_test=False)
        Evidence = self.env["billing.match.habit.evidence"].sudo()
        habits = Habit.search([("kind", "in", ("payer_account", "payer_name"))], order="id")
        if not habits:
            return Habit
        plan = defaultdict(list)  # (company, partner, kind, new key) -> [(habit, evidence)]
        for habit in habits:
            for evidence in habit.evidence_ids or [None]:
                line = evidence.statement_line_id if evidence else None
                if habit.kind == "payer_account":
                    written = line and (line.account_number or line.partner_bank_id.acc_number)
                else:
                    written = line and line.partner_name
                key = normalize(written) or normalize(habit.key)
                plan[(habit.company_id.id, habit.partner_id.id, habit.kind, key)].append((habit, evidence))
        # Free every key first: a new key may be an old key of another habit of the customer.
        for habit in habits:
            habit.key = f"~{habit.id}"
        habits.flush_recordset(["key"])
        kept, used = Habit, set()
        for (_company, _partner, _kind, key), members in plan.items():
            if not key:
                continue  # nothing left to compare: its evidence goes with the habit, deleted below
            owners = Habit.browse(dict.fromkeys(habit.id for habit, _evidence in members))
            keeper = next((owner for owner in owners if owner.id not in used), None)
            evidence = Evidence.browse([ev.id for _habit, ev in members if ev])
            if keeper is None:
                keeper = Habit.create(
                    {
                        "company_id": owners[0].company_id.id,
                        "partner_id": owners[0].partner_id.id,
                        "kind": owners[0].kind,
                        "key": key,
                    }
                )
            used.add(keeper.id)
            keeper.write({"key": key, "active": all(owners.mapped("active"))})
            evidence.filtered(lambda ev, keeper=keeper: ev.habit_id != keeper).write({"habit_id": keeper.id})
            kept |= keeper
        (habits - kept).unlink()
        return kept


class BillingMatchHabitEvidence(models.Model):
    """One confirmed match behind a habit: the run line that taught it (undoing the run takes it back)."""

    _name = "billing.match.habit.evidence"
    _inherit = ["billing.match.history"]
    _description = "Matching Habit Evidence"
    _order = "date desc, id desc"

    habit_id = fields.Many2one("billing.match.habit", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="habit_id.company_id", store=True)
    line_id = fields.Many2one("billing.match.run.line", string="Match", required=True, ondelete="cascade", index=True)
    run_id = fields.Many2one(related="line_id.run_id", string="Run")
    payment_id = fields.Many2one(related="line_id.payment_id")
    statement_line_id = fields.Many2one(related="line_id.statement_line_id", string="Bank Line")
    date = fields.Date(required=True, help="The date of the payment or bank line.")
