"""Fee rules in the engine: a short payment's difference written off by a company's rule (``billing.match.fee.rule``).

A rule says which differences are bank fees and charges: words of the source's label (its memo), a range of the
difference in the company's currency, the bank journals it comes through. The label is written outside the company
(by the payer or its bank): it only chooses a rule. It never makes a match (the memo's evidence, the amount and the
customer do, as without rules), and never lifts the company's limits: a difference above the write-off limit is
proposed, for a person to apply.

Labels are compared after the one normalisation of ``text.py``: a term matches where a word of the label starts
with it ('fee' matches 'Bank fees' and 'FEE-123', not 'coffee'). Terms are plain words, never patterns: nothing a
user types can make the comparison slow.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from odoo.tools.translate import LazyTranslate

from .text import key_parts

_lt = LazyTranslate(__name__, default_lang="en_US")

TERM_SPLIT = re.compile(r"[,;\n]")
MAX_TERMS = 20
MAX_TERM_LENGTH = 64
MAX_LABEL_LENGTH = 2000  # a longer memo is read up to here (bank labels are 140 characters)
MAX_AMOUNT = 1_000_000_000.0  # a range beyond is no fee (and keeps the arithmetic finite)


def label_terms(pattern):
    """The terms of a rule's label pattern (comma, semicolon or line separated), each as its words joined by one
    space: 'Bank fee, FRAIS' -> ('bank fee', 'frais'). A term without a letter or digit is dropped."""
    terms = []
    for term in TERM_SPLIT.split(pattern or ""):
        words = " ".join(key_parts(term))
        if words and words not in terms:
            terms.append(words)
    return tuple(terms)


def label_words(label):
    """The label's words as ``label_terms`` compares them, each preceded by a space."""
    return " " + " ".join(key_parts((label or "")[:MAX_LABEL_LENGTH]))


def label_matches(terms, label):
    """Whether a word of ``label`` starts with one of ``terms`` (``label_terms``)."""
    words = label_words(label)
    return any(f" {term}" in words for term in terms)


def check_range(low, high):
    """The reason a rule's range of differences is refused, or None: finite, not negative, low <= high, high > 0,
    at most ``MAX_AMOUNT``."""
    if not all(isinstance(value, int | float) and math.isfinite(value) for value in (low, high)):
        return _lt("The amounts of a fee rule must be finite numbers.")
    if low < 0 or high <= 0:
        return _lt("The amounts of a fee rule must be positive.")
    if high > MAX_AMOUNT:
        limit = f"{MAX_AMOUNT:,.0f}"  # a name, not an expression, for the .pot's extraction
        return _lt("A fee rule covers differences of at most %(max)s.", max=limit)
    if low > high:
        return _lt("The smallest difference of a fee rule cannot be above its largest.")
    return None


@dataclass(frozen=True, slots=True)
class FeeRule:
    """One rule as the engine sees it: ``low``/``high`` in the company's currency; ``journal_ids`` empty: any."""

    id: int
    name: str
    terms: tuple
    low: float
    high: float
    journal_ids: frozenset = frozenset()
    account: str = ""  # the write-off account, as the reasons name it ('6270 Bank charges')

    def matches(self, source, amount):
        """Whether the rule writes off ``amount`` (company currency) of ``source`` (a ``Source``)."""
        if self.journal_ids and source.journal_id not in self.journal_ids:
            return False
        if not self.low - 1e-9 <= amount <= self.high + 1e-9:
            return False
        return label_matches(self.terms, source.memo)


@dataclass(frozen=True)
class FeeRules:
    """A company's active rules, first match first, and its limit for the automatic run.

    ``limit``: the company's write-off limit (its currency), what the automatic run may write off by rule (the
    tolerance too, when larger); ``format_limit`` renders it. ``to_company(amount, date)`` converts a difference of
    the matcher's currency into the company's (``in_currency``).
    """

    rules: tuple
    limit: float = 0.0
    format_limit: Callable[[float], str] = str
    to_company: Callable = None

    def in_currency(self, to_company):
        """These rules for a matcher of another currency than the company's."""
        return FeeRules(self.rules, self.limit, self.format_limit, to_company)

    def find(self, source, difference):
        """(the first rule writing ``difference`` of ``source`` off, the difference in company currency)."""
        amount = self.to_company(difference, source.date) if self.to_company else difference
        return next((rule for rule in self.rules if rule.matches(source, amount)), None), amount

    def write_off(self, matcher, source, items, named_exactly, difference, proposal, base):
        """Write the short ``difference`` of ``proposal`` off by the first rule that matches; the reason names the
        rule and its account. The evidence keeps its weight: the customer's usual deduction (``LearningMatcher``)
        its own, otherwise as the tolerance (the items paid in full, 95 at most when the memo names them, 5 less
        otherwise). Above the company's limit it is for a person (``Proposal.for_review``).
        :return: whether a rule matched."""
        rule, amount = self.find(source, difference)
        if rule is None:
            return False
        within = matcher._within_tolerance(difference, source.amount)
        learned = not within and matcher._learned_deduction(
            proposal.partner_id, items, named_exactly, difference, proposal
        )
        if not learned:
            proposal.allocations = matcher._full_allocations(items, named_exactly)
            proposal.writeoff = difference
            proposal.confidence = min(proposal.confidence, 95) if base >= 98 else proposal.confidence - 5
        proposal.fee_rule_id = rule.id
        values = {"amount": matcher.format_amount(difference), "rule": rule.name, "account": rule.account}
        if amount > self.limit + 1e-9 and not within:
            proposal.for_review = True
            proposal.reasons.append(
                _lt(
                    "bank charge %(amount)s to write off by rule '%(rule)s' to %(account)s, above the write-off "
                    "limit of %(limit)s: a person decides",
                    limit=self.format_limit(self.limit),
                    **values,
                )
            )
        else:
            proposal.reasons.append(
                _lt("bank charge %(amount)s written off by rule '%(rule)s' to %(account)s", **values)
            )
        return True
