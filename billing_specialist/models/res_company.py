import math

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError

MAX_LEARNING_DAYS = 36500  # the days of the learning settings: 100 years at most

# The capabilities a company may switch off: the company fields that must all be set, and the technical group that
# shows the capability's menus (implied by Billing: Specialist while at least one company uses the capability).
CAPABILITIES = {
    "matching": (("billing_use_matching",), "billing_specialist.group_billing_use_matching"),
    "remittances": (
        ("billing_use_matching", "billing_use_remittances"),
        "billing_specialist.group_billing_use_remittances",
    ),
    "collections": (("billing_use_collections",), "billing_specialist.group_billing_use_collections"),
    "invoicing": (("billing_use_invoicing",), "billing_specialist.group_billing_use_invoicing"),
}
CAPABILITY_FIELDS = {fname for fnames, _group in CAPABILITIES.values() for fname in fnames}


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_use_matching = fields.Boolean(
        string="Payment Matching",
        default=True,
        help="Match customer payments and bank lines to invoices: the Payment Matching menu, the automatic matching "
        "and the learning of customers' habits.",
    )
    billing_use_remittances = fields.Boolean(
        string="Remittance Advices",
        default=True,
        help="Read customers' remittance advices (imported or e-mailed) to match their payments; needs Payment "
        "Matching.",
    )
    billing_use_collections = fields.Boolean(
        string="Collections",
        default=True,
        help="Worklist, follow-up runs and promises to pay: their menus and scheduled actions.",
    )
    billing_use_invoicing = fields.Boolean(
        string="Invoice Checks and Billing Runs",
        default=True,
        help="Pre-send checks on customer invoices (they may block posting) and billing runs: their menus and "
        "scheduled actions.",
    )
    billing_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Dispute Write-off Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'income_other', 'expense_direct_cost'))]",
        help="Expense account that absorbs small disputed balances written off from a case.",
    )
    billing_writeoff_journal_id = fields.Many2one(
        "account.journal",
        string="Dispute Write-off Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the write-off entries; the first general journal when empty.",
    )
    billing_writeoff_max_amount = fields.Monetary(
        string="Write-off Limit",
        currency_field="currency_id",
        default=50.0,
        help="Largest total a specialist may write off on one case, all its resolutions together (company currency); "
        "billing managers are not limited. Zero means only managers write off.",
    )
    billing_dispute_send_acknowledgement = fields.Boolean(
        string="Acknowledge New Disputes",
        default=True,
        help="E-mail the customer an acknowledgement when a case is opened.",
    )
    billing_dispute_assignment = fields.Selection(
        [("leader", "Team Leader"), ("round_robin", "Round-robin")],
        string="Assign Portal Cases To",
        default="leader",
        required=True,
        help="Who gets a case a customer opens on the portal: the leader of the reason's team, or each member of "
        "that team in turn. Without a team, or without a billing specialist in it, the default specialist.",
    )
    billing_dispute_default_user_id = fields.Many2one(
        "res.users",
        string="Default Specialist",
        domain="[('share', '=', False)]",
        help="Handles the portal cases no team takes; must be a billing specialist of the company.",
    )
    billing_portal_max_disputes_per_day = fields.Integer(
        string="Portal Disputes per Day",
        default=5,
        help="How many disputes one customer may open on the portal in a day; zero means no limit.",
    )
    billing_aging_buckets = fields.Char(
        string="Aging Buckets",
        default="30,60,90,120",
        help="Upper day counts of the overdue buckets, separated by commas: 30,60,90,120 gives current, 1-30, "
        "31-60, 61-90, 91-120 and over 120 days.",
    )
    billing_followup_skip_dispute_days = fields.Boolean(
        string="Days in Dispute Do Not Count",
        default=True,
        help="The days an invoice spends in an open dispute case are not counted toward its next follow-up level.",
    )
    billing_promise_tolerance_days = fields.Integer(
        string="Promise Tolerance (days)",
        default=3,
        help="Days after the promised date before a promise is judged (bank transfers take time).",
    )
    billing_portal_promise_max_days = fields.Integer(
        string="Portal Promises Up To (days)",
        default=30,
        help="How far ahead a customer may promise to pay on the portal; zero turns portal promises off.",
    )
    billing_portal_promise_min_percent = fields.Integer(
        string="Promises Cover at Least (%)",
        default=50,
        help="Share of the invoices' open amount (amounts in dispute excluded) a promise must cover, on every channel: "
        "the portal, a specialist's form or call, the API. A promise pauses the follow-up of the amount promised only.",
    )
    billing_promise_max_days = fields.Integer(
        string="Promises Up To (days)",
        default=60,
        help="How far ahead a promised date may be, on every channel (the portal has its own, shorter limit too); a "
        "moved date as well.",
    )
    billing_promise_max_moves = fields.Integer(
        string="Promised Date Moves",
        default=2,
        help="How many times the date of a promise may be put off (replacing an open promise by a new one counts as "
        "a move). A billing manager may go beyond, giving a reason the promise's chatter keeps.",
    )
    billing_promise_move_max_days = fields.Integer(
        string="Each Move at Most (days)",
        default=14,
        help="How far one move may put the date off. A billing manager may go beyond, giving a reason.",
    )
    billing_match_threshold = fields.Integer(
        string="Automatic Matching Threshold",
        default=90,
        help="The automatic run applies only proposals of at least this confidence (1-100); the rest waits in "
        "the matching wizard. 90 applies references found in the memo and unique amounts of the paying customer. "
        "Proposals whose evidence disagrees have confidence 0: never applied automatically.",
    )
    billing_match_tolerance_amount = fields.Monetary(
        string="Payment Difference Tolerance",
        currency_field="currency_id",
        help="A payment short of the invoices by at most this much (or the percentage) settles them, "
        "the difference written off.",
    )
    billing_match_tolerance_percent = fields.Float(
        string="Payment Difference Tolerance (%)",
        digits=(16, 2),
        help="A payment short of the invoices by at most this share of them (or the amount) settles them, the "
        "difference written off.",
    )
    billing_match_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Payment Difference Account",
        check_company=True,
        help="Where tolerated payment differences go; the dispute write-off account when empty.",
    )
    billing_match_auto = fields.Boolean(
        string="Automatic Matching", help="The scheduled action applies confident proposals every hour."
    )
    billing_learn_after_days = fields.Integer(
        string="Learn from Automatic Matches After (days)",
        default=7,
        help="A match the automatic run applied teaches the customer's habits once it has stood this many days "
        "without being undone; a match a person applied teaches at once.",
    )
    billing_habit_fade_days = fields.Integer(
        string="Forget Habits After (days)",
        default=365,
        help="A habit not seen on a confirmed match for this many days is no longer used (0: never).",
    )
    billing_dispute_alias_id = fields.Many2one(
        "mail.alias",
        string="Billing Alias",
        copy=False,
        readonly=True,
        ondelete="set null",
        help="E-mails to this address open dispute cases of this company (customers only; others get a polite "
        "refusal).",
    )

    billing_remittance_date_window = fields.Integer(
        string="Remittance Date Window (days)",
        default=10,
        help="A payment is matched to a remittance advice dated at most this many days before or after it.",
    )
    billing_remittance_alias_id = fields.Many2one(
        "mail.alias",
        string="Remittance Alias",
        copy=False,
        readonly=True,
        ondelete="set null",
        help="E-mails to this address (body, CSV, spreadsheet or PDF attached) create remittance advices of this "
        "company (customers only; others get a polite refusal).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._billing_ensure_dispute_alias()
        companies._billing_ensure_remittance_alias()
        self._billing_sync_capability_groups()
        return companies

    def write(self, vals):
        result = super().write(vals)
        if CAPABILITY_FIELDS.intersection(vals) or "active" in vals:
            self._billing_sync_capability_groups()
        return result

    # ------------------------------------------------------------------ capabilities

    @api.model
    def _billing_capability_domain(self, capability, prefix=""):
        """The domain of the companies that use ``capability`` (a key of ``CAPABILITIES``); ``prefix`` is the path
        to the company, e.g. ``"company_id."``."""
        return [(f"{prefix}{fname}", "=", True) for fname in CAPABILITIES[capability][0]]

    def _billing_uses(self, capability):
        """These companies that use ``capability``: the scheduled actions skip the others."""
        return self.filtered_domain(self._billing_capability_domain(capability))

    @api.model
    def _billing_sync_capability_groups(self):
        """Show a capability's menus while at least one active company uses it, as Odoo's feature settings do: its
        technical group is implied by Billing: Specialist, or removed from it (and from its users)."""
        specialists = self.env.ref("billing_specialist.group_billing_user").sudo()
        companies = self.sudo().search([])
        for capability, (_fnames, group_xmlid) in CAPABILITIES.items():
            group = self.env.ref(group_xmlid, raise_if_not_found=False)
            if not group:  # while the module is being installed, before its groups
                continue
            if companies._billing_uses(capability):
                specialists._apply_group(group.sudo())
            else:
                specialists._remove_group(group.sudo())

    def _billing_ensure_dispute_alias(self):
        """Give each company its billing alias (billing@its alias domain) that opens dispute cases, once."""
        self._billing_ensure_alias("billing_dispute_alias_id", "billing.dispute", "billing")

    def _billing_ensure_remittance_alias(self):
        """Give each company its remittance alias (remittance@ its alias domain, else remittance-<id>@), once."""
        self._billing_ensure_alias("billing_remittance_alias_id", "billing.remittance", "remittance")

    def _billing_ensure_alias(self, field, model, name):
        """Give each company an alias of ``model`` in ``field``: ``name``@ its alias domain, else ``name``-<id>@.
        Senders who are no customers of the company get the polite refusal (editable on the alias)."""
        Alias = self.env["mail.alias"].sudo()
        model_id = self.env["ir.model"]._get_id(model)
        for company in self.sudo().filtered(lambda c: not c[field]):
            domain = company.alias_domain_id
            alias_name = name
            if Alias.search_count([("alias_name", "=", alias_name), ("alias_domain_id", "=", domain.id)]):
                alias_name = f"{name}-{company.id}"
            company[field] = Alias.create(
                {
                    "alias_name": alias_name,
                    "alias_domain_id": domain.id,
                    "alias_model_id": model_id,
                    "alias_contact": "everyone",
                    "alias_defaults": repr({"company_id": company.id}),
                    "alias_bounced_content": company._billing_alias_refusal(model),
                }
            )

    def _billing_alias_refusal(self, model="billing.dispute"):
        """The polite answer to a sender who is no customer of the company (editable on the alias)."""
        what = (
            self.env._("We take remittance advices")
            if model == "billing.remittance"
            else self.env._("We open billing disputes")
        )
        return Markup("<p>%s</p><p>%s</p><p>%s</p>") % (
            self.env._("Dear Sender,"),
            self.env._(
                "Thank you for writing to %(company)s. %(what)s for our customers only, and we "
                "could not find a customer account with invoices for the address you wrote from. Please write "
                "again from the address our invoices are sent to, or contact your account manager.",
                company=self.name,
                what=what,
            ),
            self.env._("Kind regards,"),
        )

    @api.constrains("billing_writeoff_account_id", "billing_writeoff_journal_id", "billing_match_writeoff_account_id")
    def _check_billing_companies(self):
        """The accounts and journal of the settings belong to the company (whoever writes them, however)."""
        self._check_company(
            ["billing_writeoff_account_id", "billing_writeoff_journal_id", "billing_match_writeoff_account_id"]
        )

    @api.constrains("billing_remittance_date_window")
    def _check_billing_remittance_date_window(self):
        if any(company.billing_remittance_date_window < 0 for company in self):
            raise ValidationError(self.env._("The remittance date window cannot be negative."))

    @api.constrains("billing_learn_after_days", "billing_habit_fade_days")
    def _check_billing_learning_days(self):
        """Days from 0 to 100 years: a negative wait would learn at once from an automatic match (before it could be
        undone), and a huge one overflows the date arithmetic of the matching and the learning cron."""
        for company in self:
            for days in (company.billing_learn_after_days, company.billing_habit_fade_days):
                if not 0 <= days <= MAX_LEARNING_DAYS:
                    raise ValidationError(
                        self.env._(
                            "The learning days of %(company)s are from 0 to %(max)s.",
                            company=company.name,
                            max=MAX_LEARNING_DAYS,
                        )
                    )

    @api.constrains("billing_match_threshold")
    def _check_billing_match_threshold(self):
        # Confidence 0 means "never automatic" (conflicting evidence): a threshold of 0 would apply it.
        for company in self:
            if not 1 <= company.billing_match_threshold <= 100:
                raise ValidationError(
                    self.env._(
                        "The automatic matching threshold of %(company)s is a confidence from 1 to 100.",
                        company=company.name,
                    )
                )

    @api.constrains(
        "billing_writeoff_max_amount",
        "billing_match_tolerance_amount",
        "billing_match_tolerance_percent",
        "billing_portal_max_disputes_per_day",
    )
    def _check_billing_limits(self):
        """Limits are finite, not negative numbers (JSON-RPC accepts NaN and Infinity; a limit of NaN compares
        false to everything and so would lift it)."""
        for company in self:
            amounts = {
                self.env._("Write-off Limit"): company.billing_writeoff_max_amount,
                self.env._("Payment Difference Tolerance"): company.billing_match_tolerance_amount,
                self.env._("Portal Disputes per Day"): company.billing_portal_max_disputes_per_day,
            }
            for label, value in amounts.items():
                if not math.isfinite(value or 0.0) or (value or 0.0) < 0:
                    raise ValidationError(self.env._("%(setting)s must be zero or a positive number.", setting=label))
            percent = company.billing_match_tolerance_percent or 0.0
            if not math.isfinite(percent) or not 0 <= percent <= 100:
                raise ValidationError(self.env._("The payment difference tolerance is a percentage from 0 to 100."))

    def _billing_portal_promise_days(self):
        """How far ahead a customer may promise on the portal: the portal's limit within the company's (0: none)."""
        self.ensure_one()
        return min(self.billing_portal_promise_max_days, self.billing_promise_max_days)

    @api.constrains(
        "billing_promise_tolerance_days",
        "billing_portal_promise_max_days",
        "billing_portal_promise_min_percent",
        "billing_promise_max_days",
        "billing_promise_max_moves",
        "billing_promise_move_max_days",
    )
    def _check_billing_promise_days(self):
        for company in self:
            if not 1 <= company.billing_promise_max_days <= 365:
                raise ValidationError(self.env._("Promises reach from 1 to 365 days ahead."))
            if not 0 <= company.billing_promise_max_moves <= 10:
                raise ValidationError(self.env._("A promised date may be moved from 0 to 10 times."))
            if not 1 <= company.billing_promise_move_max_days <= 90:
                raise ValidationError(self.env._("A move of a promised date is from 1 to 90 days."))
            if not 0 <= company.billing_promise_tolerance_days <= 90:
                raise ValidationError(self.env._("The promise tolerance is between 0 and 90 days."))
            if not 0 <= company.billing_portal_promise_max_days <= 365:
                raise ValidationError(self.env._("Portal promises reach at most 365 days ahead (zero: none)."))
            if not 1 <= company.billing_portal_promise_min_percent <= 100:
                raise ValidationError(self.env._("Promises cover from 1 to 100 % of the open amount."))

    @api.constrains("billing_dispute_default_user_id")
    def _check_billing_dispute_default_user(self):
        for company in self.filtered("billing_dispute_default_user_id"):
            if not company.billing_dispute_default_user_id._billing_can_handle_cases(company):
                raise ValidationError(
                    self.env._(
                        "The default specialist of %(company)s must be an active billing specialist of the company.",
                        company=company.name,
                    )
                )

    @api.constrains("billing_aging_buckets")
    def _check_billing_aging_buckets(self):
        """Checked when saved, not when a report opens: positive day counts, rising, at most 12 of them."""
        for company in self.filtered("billing_aging_buckets"):
            parts = [part.strip() for part in company.billing_aging_buckets.split(",") if part.strip()]
            if not parts or not all(part.isdigit() for part in parts):
                raise ValidationError(
                    self.env._("Aging buckets are day counts separated by commas, e.g. 30,60,90,120.")
                )
            edges = [int(part) for part in parts]
            if edges[0] <= 0 or edges != sorted(set(edges)) or len(edges) > 12 or edges[-1] > 3650:
                raise ValidationError(
                    self.env._(
                        "Aging buckets are rising day counts from 1 to 3650, at most 12 of them, e.g. 30,60,90,120."
                    )
                )

    # ------------------------------------------------------------------ cash outlook (reports, issue 24)

    billing_outlook_default_days = fields.Integer(
        string="Outlook: Default Days Late",
        default=10,
        help="Days after the due date a customer without payment history is expected to pay (the cash outlook). "
        "A customer's own habit takes over as its payments come in.",
    )
    billing_outlook_default_spread = fields.Integer(
        string="Outlook: Default Spread (days)",
        default=10,
        help="Days before and after the expected date that make the outlook's band for a customer without history.",
    )
    billing_outlook_dispute_days = fields.Integer(
        string="Outlook: Default Days to Resolve a Dispute",
        default=30,
        help="Days a disputed amount is held back when its reason has fewer than three closed cases to learn from.",
    )

    billing_outlook_date = fields.Datetime(
        string="Outlook Computed At",
        readonly=True,
        copy=False,
        help="When the cash outlook of the company was last computed: every night, or from the outlook's screen.",
    )

    @api.constrains("billing_outlook_default_days", "billing_outlook_default_spread", "billing_outlook_dispute_days")
    def _check_billing_outlook(self):
        for company in self:
            if not -30 <= company.billing_outlook_default_days <= 365:
                raise ValidationError(self.env._("The outlook's default days late are between -30 and 365."))
            if not 0 <= company.billing_outlook_default_spread <= 180:
                raise ValidationError(self.env._("The outlook's default spread is between 0 and 180 days."))
            if not 1 <= company.billing_outlook_dispute_days <= 365:
                raise ValidationError(self.env._("The outlook's days to resolve a dispute are between 1 and 365."))
