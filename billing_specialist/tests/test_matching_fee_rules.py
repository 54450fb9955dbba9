from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import BaseCase, tagged

from odoo.addons.billing_specialist.matching import Habit, Habits, LearningMatcher, MatchPolicy, OpenItem, Source
from odoo.addons.billing_specialist.matching.fees import FeeRule, FeeRules, label_matches, label_terms

from .common import THRESHOLD
from .test_matching import PaymentMatchingCommon

BANK = 7


def _rules(low=0.01, high=25.0, journals=(), limit=50.0):
    rule = FeeRule(
        1, "Bank fees", label_terms("fee, charge, frais"), low, high, frozenset(journals), "6270 Bank charges"
    )
    return FeeRules((rule,), limit=limit, format_limit=lambda value: f"{value:,.2f}")


@tagged("post_install", "-at_install")
class TestFeeRulesEngine(BaseCase):
    """Which labels, amounts and journals a rule takes, and the engine with rules, without a database."""

    def test_the_label_after_the_one_normalisation(self):
        terms = label_terms("fee, Charge ; FRAIS, bank-fee")
        self.assertEqual(terms, ("fee", "charge", "frais", "bank fee"))
        for label in (
            "INV/2026/00001 bank fees",
            "BANK FEE 12.50",
            "Frâis bancaires",  # an accent
            "f\u200bee",  # a zero-width space inside the word
            "\u00adcharges",  # a soft hyphen in front
            "bank\u2011fee",  # a non-breaking hyphen for the dash
            "bank\u2212fee",  # the minus sign
            "ＦＥＥ",  # fullwidth letters
        ):
            self.assertTrue(label_matches(terms, label), label)
        for label in ("coffee", "INV/2026/00001", "f\u0435\u0435", "", None, "feudal"):  # Cyrillic 'е' is no 'e'
            self.assertFalse(label_matches(terms, label), label)
        self.assertEqual(label_terms("=, .*, fee"), ("fee",), "no letter or digit: no term; never a pattern")
        self.assertFalse(label_matches(label_terms(".*"), "anything at all"))

    def test_amount_bounds_and_journal(self):
        rule = _rules(low=5.0, high=25.0, journals=(BANK,)).rules[0]
        source = Source(1, 100.0, "bank fee", journal_id=BANK)
        self.assertTrue(rule.matches(source, 5.0))
        self.assertTrue(rule.matches(source, 25.0))
        self.assertFalse(rule.matches(source, 4.99))
        self.assertFalse(rule.matches(source, 25.01))
        self.assertFalse(rule.matches(Source(1, 100.0, "bank fee", journal_id=BANK + 1), 10.0), "another journal")
        self.assertFalse(rule.matches(Source(1, 100.0, "transfer", journal_id=BANK), 10.0), "no fee in the label")

    def test_the_range_is_in_the_companys_currency(self):
        rules = _rules(high=25.0).in_currency(lambda amount, day: amount * 2)  # one unit of the payment is two
        source = Source(1, 100.0, "bank fee", journal_id=BANK, date=date(2026, 10, 2))
        self.assertEqual(rules.find(source, 12.0)[1], 24.0)
        self.assertTrue(rules.find(source, 12.0)[0])
        self.assertIsNone(rules.find(source, 13.0)[0], "26.00 in the company's currency: out of the range")

    def test_the_engine_writes_the_difference_off_by_rule_only_on_its_evidence(self):
        items = [
            OpenItem(1, 1, "INV/2026/00001", 1200.0, date(2026, 1, 1)),
            OpenItem(2, 1, "INV/2026/00002", 300.0, date(2026, 1, 2)),
        ]
        plain = LearningMatcher(items, partner_names={1: "Acme"})
        ruled = LearningMatcher(items, policy=MatchPolicy(fee_rules=_rules()), partner_names={1: "Acme"})
        source = Source(1, 1187.5, "INV/2026/00001 bank fee", partner_id=1, journal_id=BANK)
        without = plain.propose(source)[0]
        self.assertEqual((without.writeoff, without.confidence), (0.0, 93), "without a rule: a partial payment")
        best = ruled.propose(source)[0]
        self.assertEqual((best.writeoff, best.fee_rule_id, best.confidence), (12.5, 1, 95))
        self.assertEqual([(a.item_id, a.amount) for a in best.allocations], [(1, 1200.0)])
        self.assertIn("bank charge 12.50 written off by rule 'Bank fees' to 6270 Bank charges", best.explain())
        self.assertTrue(best.applies(THRESHOLD))
        # The label alone makes no match: no reference and an amount of nothing is no proposal to apply.
        alone = ruled.propose(Source(2, 290.0, "bank fee", partner_id=1, journal_id=BANK))
        self.assertFalse([proposal for proposal in alone if proposal.applies(THRESHOLD)])
        # A difference out of the range: a partial payment as without the rule.
        far = ruled.propose(Source(3, 1100.0, "INV/2026/00001 bank fee", partner_id=1, journal_id=BANK))[0]
        self.assertEqual((far.writeoff, far.fee_rule_id), (0.0, None))

    def test_the_customers_usual_deduction_keeps_its_weight_and_goes_to_the_rules_account(self):
        items = [OpenItem(1, 1, "INV/2026/00001", 1000.0, date(2026, 1, 1))]
        habits = Habits([Habit(1, "amount_relation", "fee:15.00", 3, date(2026, 10, 2))])
        source = Source(1, 985.0, "bank fee", partner_id=1, journal_id=BANK)
        plain = LearningMatcher(items, habits=habits).propose(source)[0]
        ruled = LearningMatcher(items, habits=habits, policy=MatchPolicy(fee_rules=_rules())).propose(source)[0]
        self.assertEqual((plain.writeoff, plain.learned_fee, plain.confidence), (15.0, 15.0, 90))
        self.assertEqual((ruled.writeoff, ruled.learned_fee, ruled.confidence, ruled.fee_rule_id), (15.0, 15.0, 90, 1))
        self.assertIn("written off by rule 'Bank fees'", ruled.explain())

    def test_above_the_companys_limit_it_is_for_review_whatever_the_threshold(self):
        items = [OpenItem(1, 1, "INV/2026/00001", 1200.0, date(2026, 1, 1))]
        matcher = LearningMatcher(items, policy=MatchPolicy(fee_rules=_rules(high=100.0, limit=20.0)))
        best = matcher.propose(Source(1, 1170.0, "INV/2026/00001 frais", partner_id=1, journal_id=BANK))[0]
        self.assertEqual((best.writeoff, best.fee_rule_id, best.for_review), (30.0, 1, True))
        self.assertFalse(best.applies(1), "never applied automatically, even at threshold 1")
        self.assertIn("above the write-off limit of 20.00: a person decides", best.explain())


class FeeRulesCommon(PaymentMatchingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.charges = cls.env["account.account"].create(
            {"code": "6270", "name": "Bank charges", "account_type": "expense", "company_ids": cls.company.ids}
        )
        cls.rule = (
            cls.env["billing.match.fee.rule"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Bank fees",
                    "label_pattern": "fee, charge, frais",
                    "min_amount": 0.01,
                    "max_amount": 25.0,
                    "account_id": cls.charges.id,
                    "writeoff_label": "Bank charges",
                }
            )
        )
        cls.reason = "bank charge 12.50 written off by rule 'Bank fees' to 6270 Bank charges"

    def _charges_balance(self):
        lines = self.env["account.move.line"].search(
            [("account_id", "=", self.charges.id), ("parent_state", "=", "posted")]
        )
        return sum(lines.mapped("balance"))


@tagged("post_install", "-at_install")
class TestFeeRules(FeeRulesCommon):
    def test_automatic_run_writes_the_fee_off_within_the_limit_and_undo_takes_it_back(self):
        payment = self._payment(1187.5, memo=f"{self.inv1.name} bank fee")
        run = self._run(payment)
        line = run.line_ids
        self.assertEqual((line.outcome, line.writeoff, line.fee_rule_id), ("applied", 12.5, self.rule))
        self.assertIn(self.reason, line.reasons)
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))
        entry = line.writeoff_move_id
        charge = entry.line_ids.filtered(lambda aml: aml.account_id == self.charges)
        self.assertEqual((charge.balance, entry.state), (12.5, "posted"))
        self.assertEqual(charge.name, f"Bank charges {payment.name} / {self.inv1.name}")
        self.assertEqual(self._charges_balance(), 12.5)
        run.with_user(self.specialist).action_undo()
        self.assertEqual(entry.state, "cancel", "the write-off entry is taken back")
        self.assertEqual(self._charges_balance(), 0.0)
        self.assertEqual(self.inv1.amount_residual, 1200.0)
        self.assertEqual(payment._billing_available(), 1187.5)

    def test_a_bank_line_and_the_rules_journals(self):
        line = self._bank_line(1187.5, memo=f"{self.inv1.name} FRAIS BANCAIRES", partner=self.customer)
        other_bank = self.env["account.journal"].create({"name": "Other bank", "type": "bank", "code": "OBK"})
        self.rule.journal_ids = other_bank
        run = self.env["billing.match.run"]._run_automatic(self.company, statement_lines=line)
        self.assertEqual(
            (run.line_ids.outcome, run.line_ids.writeoff), ("applied", 0.0), "another journal: paid in part"
        )
        self.assertEqual(self.inv1.amount_residual, 12.5)
        run.action_undo()
        self.rule.journal_ids = self.bank_journal
        run = self.env["billing.match.run"]._run_automatic(self.company, statement_lines=line)
        self.assertEqual((run.line_ids.outcome, run.line_ids.fee_rule_id), ("applied", self.rule))
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))
        self.assertEqual(self._charges_balance(), 12.5)

    def test_over_the_limit_it_is_only_proposed(self):
        self.rule.max_amount = 100.0
        self.company.billing_writeoff_max_amount = 20.0
        self.company.billing_match_threshold = 1
        payment = self._payment(1170.0, memo=f"{self.inv1.name} bank charges")
        line = self._run(payment).line_ids
        self.assertEqual((line.outcome, line.writeoff, line.fee_rule_id), ("proposed", 30.0, self.rule))
        self.assertIn("above the write-off limit of", line.reasons)
        self.assertEqual(self.inv1.amount_residual, 1200.0, "nothing applied")
        self.assertEqual(self._charges_balance(), 0.0)
        # The automatic checks refuse it too, were it ever asked (the second lock).
        with self.assertRaisesRegex(UserError, "bank charge of .*30.00 by rule 'Bank fees' is above the write-off"):
            payment._billing_check_applicable(
                self.inv1, {self.inv1.id: 1200.0}, 30.0, automatic=True, fee_rule=self.rule.id
            )

    def test_the_review_screen_explains_and_applies_to_the_rules_account(self):
        payment = self._payment(1187.5, memo=f"Payment {self.inv1.name} incl. bank fee")
        row = self.env["billing.match.review"].with_user(self.specialist)._refresh(self.company, [payment])
        self.assertEqual((row.writeoff, row.fee_rule_id), (12.5, self.rule))
        self.assertIn(self.reason, row.reasons)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            row.write({"fee_rule_id": False})
        row.action_apply()
        run = self.env["billing.match.run"].search([("mode", "=", "manual")])
        self.assertEqual(run.line_ids.fee_rule_id, self.rule)
        self.assertEqual(self._charges_balance(), 12.5)
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))

    def test_a_fee_changed_by_hand_out_of_the_range_goes_to_the_payment_difference_account(self):
        payment = self._payment(1187.5, memo=f"{self.inv1.name} fee")
        row = self.env["billing.match.review"].with_user(self.manager)._refresh(self.company, [payment])
        row.write(
            {
                "allocation_ids": [Command.clear(), Command.create({"move_id": self.inv1.id, "amount": 1200.0})],
                "writeoff": 12.5,
            }
        )
        self.rule.max_amount = 10.0  # the rule changed since the screen was opened
        row.action_apply()
        self.assertEqual(self._charges_balance(), 0.0)
        entry = self.env["billing.match.run"].search([("mode", "=", "manual")]).line_ids.writeoff_move_id
        self.assertIn(self.writeoff_account, entry.line_ids.account_id)


@tagged("post_install", "-at_install")
class TestFeeRulesSecurity(FeeRulesCommon):
    """The attacker's tests: who keeps the rules, which company's, which numbers, which labels."""

    def _vals(self, **vals):
        return {
            "name": "Fees",
            "label_pattern": "fee",
            "min_amount": 0.01,
            "max_amount": 25.0,
            "account_id": self.charges.id,
            **vals,
        }

    def test_a_specialist_reads_the_rules_but_cannot_create_or_change_them(self):
        Rules = self.env["billing.match.fee.rule"].with_user(self.specialist)
        self.assertEqual(Rules.search([]), self.rule)
        with self.assertRaises(AccessError):
            Rules.create(self._vals())
        with self.assertRaises(AccessError):
            self.rule.with_user(self.specialist).write({"max_amount": 1e6})
        with self.assertRaises(AccessError):
            self.rule.with_user(self.specialist).unlink()
        with self.assertRaises(AccessError):
            self.env["billing.match.fee.rule"].with_user(self.internal_user).search([])
        views = Rules.get_views([(False, "list"), (False, "form")])["views"]
        self.assertIn("label_pattern", views["form"]["arch"], "the screens open for a specialist, read-only")
        menu = self.env.ref("billing_specialist.billing_match_fee_rule_menu")
        self.assertEqual(menu.parent_id, self.env.ref("billing_specialist.billing_config_menu"))
        self.assertEqual(menu.action.res_model, "billing.match.fee.rule")

    def test_a_specialist_reaches_the_rules_from_payment_matching_read_only(self):
        """The reasons name fee rules: specialists open them under Payment Matching, read only (issue 23)."""
        menu = self.env.ref("billing_specialist.billing_match_fee_rule_read_menu")
        self.assertEqual(menu.parent_id, self.env.ref("billing_specialist.billing_payment_matching_menu"))
        self.assertEqual(menu.groups_id, self.env.ref("billing_specialist.group_billing_user"))
        self.assertEqual(menu.action, self.env.ref("billing_specialist.billing_match_fee_rule_action"))
        for user, visible in ((self.specialist, True), (self.manager, True), (self.internal_user, False)):
            menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            self.assertEqual(menu.id in menus, visible, user.login)
        self.assertNotIn(
            self.env.ref("billing_specialist.billing_config_menu").id,
            self.env["ir.ui.menu"].with_user(self.specialist)._visible_menu_ids(),
            "Configuration stays the managers'",
        )
        views = self.env["billing.match.fee.rule"].with_user(self.specialist).get_views([(False, "form")])["views"]
        self.assertIn('edit="False"', views["form"]["arch"], "the form is read only for a specialist")
        views = self.env["billing.match.fee.rule"].with_user(self.manager).get_views([(False, "form")])["views"]
        self.assertNotIn('edit="False"', views["form"]["arch"])

    def test_another_companys_rule_is_never_used_and_its_accounts_are_refused(self):
        other = self.setup_other_company()
        company_2 = other["company"]
        self.rule.active = False
        foreign_rule = self.env["billing.match.fee.rule"].create(
            self._vals(company_id=company_2.id, account_id=other["default_account_expense"].id)
        )
        payment = self._payment(1187.5, memo=f"{self.inv1.name} fee")
        line = self._run(payment).line_ids
        self.assertFalse(line.fee_rule_id)
        self.assertEqual((line.outcome, line.writeoff), ("applied", 0.0), "paid in part: no rule of its company")
        self.assertEqual(self.inv1.amount_residual, 12.5)
        with self.assertRaises(UserError):
            self.env["billing.match.fee.rule"].create(self._vals(account_id=other["default_account_expense"].id))
        other_bank = other["default_journal_bank"]
        with self.assertRaises(UserError):
            self.env["billing.match.fee.rule"].create(self._vals(journal_ids=[Command.set(other_bank.ids)]))
        # A rule id of another company given to the checks is not taken.
        self.assertFalse(
            self.env["billing.match.fee.rule"]._billing_rule_for(payment, foreign_rule.id, 10.0),
        )
        self.assertFalse(
            self.env["billing.match.fee.rule"].with_user(self.manager).search([("id", "=", foreign_rule.id)]),
            "record rule: the other company's rule is not seen",
        )

    def test_accounts_journals_and_numbers_are_refused(self):
        Rules = self.env["billing.match.fee.rule"].with_user(self.manager)
        receivable = self.company_data["default_account_receivable"]
        payable = self.company_data["default_account_payable"]
        for account in (receivable, payable):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                Rules.create(self._vals(account_id=account.id))
        sales = self.company_data["default_journal_sale"]
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            Rules.create(self._vals(journal_ids=[Command.set(sales.ids)]))
        for low, high in (
            (-1.0, 25.0),
            (0.01, -5.0),
            (float("nan"), 25.0),
            (0.01, float("nan")),
            (0.01, float("inf")),
            (0.01, 1e300),
            (0.01, 2e9),
            (30.0, 25.0),
            (0.0, 0.0),
        ):
            with self.assertRaises(ValidationError, msg=f"{low}..{high}"), self.env.cr.savepoint():
                Rules.create(self._vals(min_amount=low, max_amount=high))
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.rule.with_user(self.manager).write({"max_amount": float("nan")})
        for pattern in ("", "  ", ".*", "=", "fee, =", ", ".join(["fee"] * 21), "f" * 65):
            with self.assertRaises(ValidationError, msg=pattern), self.env.cr.savepoint():
                Rules.create(self._vals(label_pattern=pattern))

    def test_a_label_starting_with_equals_is_plain_text(self):
        self.rule.label_pattern = "=fee"  # a formula-like pattern is its word
        memo = f'=HYPERLINK("http://evil.example","x") {self.inv1.name} fee'
        payment = self._payment(1187.5, memo=memo)
        line = self._run(payment).line_ids
        self.assertEqual((line.outcome, line.fee_rule_id), ("applied", self.rule))
        self.assertIn(self.reason, line.reasons)
        self.assertNotIn("HYPERLINK", line.reasons, "the memo is never copied into the reason")
        names = line.writeoff_move_id.line_ids.mapped("name")
        self.assertFalse([name for name in names if name.startswith("=") or "HYPERLINK" in name])
        # A label naming only the rule's word writes nothing off on its own.
        lone = self._payment(10.0, memo="=fee")
        self.assertNotEqual(self._run(lone).line_ids.outcome, "applied")
