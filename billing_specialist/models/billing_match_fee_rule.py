from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import formatLang

from ..matching.fees import MAX_TERM_LENGTH, MAX_TERMS, TERM_SPLIT, FeeRule, FeeRules, check_range, label_terms
from ..matching.text import has_key

# Accounts a bank charge is never written off to: the customer's own balance, a supplier's, or no balance at all.
REFUSED_ACCOUNT_TYPES = ("asset_receivable", "liability_payable", "off_balance")


class BillingMatchFeeRule(models.Model):
    """A company's rule for small differences: a payment or bank line short of the invoices it pays by a bank fee or
    charge, written off to the rule's account.

    The matching decides which invoices a source pays, as without rules; a rule only decides where the short
    difference goes when the source's label names a fee, the difference is in the rule's range and the source came
    through one of its journals. The automatic run applies it within the company's write-off limit; above, a person
    decides (``matching/fees.py``). Billing managers keep the rules; specialists read them.
    """

    _name = "billing.match.fee.rule"
    _inherit = ["billing.finite.mixin"]
    _description = "Payment Matching Fee Rule"
    _order = "sequence, id"
    _check_company_auto = True
    _finite_fields = ("min_amount", "max_amount")

    name = fields.Char(required=True, help="Named in the reasons: \"written off by rule 'Bank fees'\".")
    sequence = fields.Integer(default=10, help="The first rule that matches writes the difference off.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    label_pattern = fields.Char(
        string="Label Contains",
        required=True,
        help="Words of the payment's memo or the bank line's label, separated by commas: 'fee, charge, frais'. A "
        "word of the label starting with one of them matches (any case, accents and invisible characters ignored). "
        "Plain words, never patterns.",
    )
    min_amount = fields.Monetary(
        string="Difference From", currency_field="currency_id", default=0.01, help="In the company's currency."
    )
    max_amount = fields.Monetary(
        string="Difference Up To",
        currency_field="currency_id",
        required=True,
        help="In the company's currency. The automatic run writes off no more than the company's write-off limit; "
        "above it, a person decides.",
    )
    account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        required=True,
        check_company=True,
        domain="[('account_type', 'not in', ('asset_receivable', 'liability_payable', 'off_balance'))]",
        help="Where the bank charge goes, e.g. 6270 Bank charges.",
    )
    journal_ids = fields.Many2many(
        "account.journal",
        string="Bank Journals",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="The rule applies to payments and bank lines of these journals only; empty: any.",
    )
    writeoff_label = fields.Char(
        string="Write-off Label", help="The label of the write-off's journal items; the rule's name when empty."
    )

    @api.constrains("min_amount", "max_amount")
    def _check_amounts(self):
        for rule in self:
            refused = check_range(rule.min_amount, rule.max_amount)
            if refused:
                raise ValidationError(self.env._(refused))

    @api.constrains("label_pattern")
    def _check_label_pattern(self):
        for rule in self:
            terms = [term for term in TERM_SPLIT.split(rule.label_pattern or "") if term.strip()]
            if not terms or not all(has_key(term) for term in terms):
                raise ValidationError(
                    self.env._("Each word of a fee rule's label holds a letter or a digit: 'fee, charge, frais'.")
                )
            if len(terms) > MAX_TERMS or any(len(term) > MAX_TERM_LENGTH for term in terms):
                raise ValidationError(
                    self.env._(
                        "A fee rule's label has at most %(terms)s words of %(length)s characters each.",
                        terms=MAX_TERMS,
                        length=MAX_TERM_LENGTH,
                    )
                )

    @api.constrains("account_id", "journal_ids", "company_id")
    def _check_account_and_journals(self):
        for rule in self:
            if rule.account_id.account_type in REFUSED_ACCOUNT_TYPES:
                raise ValidationError(
                    self.env._(
                        "A bank charge cannot be written off to %(account)s: a receivable, payable or off-balance "
                        "account.",
                        account=rule.account_id.display_name,
                    )
                )
            if rule.journal_ids.filtered(lambda journal: journal.type not in ("bank", "cash")):
                raise ValidationError(self.env._("A fee rule's journals are bank or cash journals."))
        self._check_company(["account_id", "journal_ids"])

    # ------------------------------------------------------------------ what the matching reads

    @api.model
    def _engine_rules(self, company):
        """The active rules of ``company`` as the engine reads them (``matching.fees.FeeRules``), in one query; None
        when it has none. Read as the system: the rules are the company's, whoever runs the matching."""
        rules = self.sudo().search([("company_id", "=", company.id)])
        if not rules:
            return None
        currency = company.currency_id
        return FeeRules(
            tuple(rule._engine_rule() for rule in rules),
            limit=company.billing_writeoff_max_amount,
            format_limit=lambda value: formatLang(self.env, value, currency_obj=currency),
        )

    def _engine_rule(self):
        self.ensure_one()
        return FeeRule(
            id=self.id,
            name=self.name,
            terms=label_terms(self.label_pattern),
            low=self.min_amount,
            high=self.max_amount,
            journal_ids=frozenset(self.journal_ids.ids),
            account=self.account_id.display_name,
        )

    @api.model
    def _billing_rule_for(self, source, rule_id, amount):
        """The rule ``rule_id`` when it writes off ``amount`` (company currency) of ``source`` (a payment or bank
        line) now: active, of the source's company, its journal, label and range. Else an empty recordset.

        The engine chose the rule; applying checks it again (a rule changed since, an amount changed by hand)."""
        rule = self.sudo().browse(rule_id or []).exists().filtered("active")
        if not rule or rule.company_id != source.company_id:
            return self.browse()
        if not rule._engine_rule().matches(source._billing_source(), amount):
            return self.browse()
        return rule.with_env(self.env)
