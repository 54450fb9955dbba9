"""Candidate search and scoring for cash application.

The engine sees open receivable items (invoices, and credit notes as negative items) and sources (payments or bank
lines), all amounts already expressed in the source's currency by the caller, and returns, per source, proposals:
which items, how much to each, a confidence from 0 to 100 and the reasons behind it. It never touches the
database; the ORM layer decides what to apply (only proposals at or above a threshold are applied automatically).

Confidence scale used below (the automatic run's default threshold is 90):
    98  the memo names the items exactly and the amount settles them exactly
    95  ... settles them within the company's tolerance (the difference is proposed as a write-off), or a company's
        fee rule writes the difference off as a bank charge (``fees.py``: the same confidence as the tolerance)
    93  ... pays one named item in part, or overpays the named items (the rest stays as open credit)
    90  a reference with one typo names one item and the amount settles it exactly; or, with no reference, the
        payer's own open items hold exactly one of that amount (the payer identified by the payment itself); or the
        number written names another invoice (paid, or another customer's) of another amount while the payer's only
        open item one typo or two swapped adjacent digits away is open for exactly the amount (``_swapped_digits``)
    90  ... or exactly one combination of the payer's own open items sums to the amount and the chance that this is
        a coincidence is below 1 in 1,000 (see "Combinations" below)
    80  several named items paid in part (which ones is a guess); or exactly one combination of the payer's open
        items sums to the amount (a coincidence too likely, or the payer not given); or a unique amount for a payer
        found from the name or account (a payer's name, exact or learned, never applies anything alone)
    60  a reference with a typo and a different amount
    50  at most: cash on an invoice the payer's open credit notes settle in full (``_flag_cash_on_settled``)
    30  no reference and no amount match: the payer's oldest open items, as a starting point
    Disputed items get 20 less and at most their undisputed part unless the memo names them exactly.
     0  held for review: conflicting evidence (below), or a line naming neither customer nor reference for which a
        few open items of other customers (at most 3) have exactly its amount

Combinations. With no reference, a payment of the payer's own items is often the sum of a few of them. The engine
tries every set of 1 to ``max_combination`` of the payer's oldest ``combination_pool`` undisputed open items (``N``
sets in all: sum of C(n, k)); when exactly one set sums to the amount, the question is whether that is a
coincidence: an amount that pays something else, or an amount mistyped, landing on a sum by chance. The model
treats the items' amounts as drawn at random from the payer's own amounts (mean m, standard deviation s over the
pool): the sum of k of them is then about normal with standard deviation s * sqrt(k), so the chance that it falls
on the amount to within the amounts' granularity g is at most g / (s * sqrt(2 * pi * k)) (the density at its peak,
wherever the amount lies: conservative). ``g`` is the rounding, or the largest of 0.10, 1, 10, 100, 1,000 (in
units of the rounding's) that divides the amount and half the items or more: round amounts coincide more often.
Summed over the sets tried (a union bound):

    P(coincidence) <= sum over k of C(n, k) * min(1, g / (s * sqrt(2 * pi * k)))

Equal amounts give s = 0, so P = 1: recurring same-amount invoices are never guessed. The unique set is applied
automatically (90) only if the payer is given by the payment itself, every undisputed open item of the payer was in
the pool, and P < 1 / 1,000; the reason states the odds ("1 in 9,000 chance of a coincidence"), rounded down.

Conflicting evidence is never applied automatically: when the clues point to different items or customers (the memo
names an invoice already paid, or another customer's item; the payer's bank account and name disagree; the memo's
items do not take the amount while a part of them, or another item, takes it exactly; the amount is that of several
open items, or of one item and also of a sum of others), every proposal is *held*: confidence 0, ``conflict`` set,
and a reason naming the conflict. The company's threshold is at least 1, so a held proposal waits for a person.
"""

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from odoo.tools.translate import LazyTranslate

from .text import clean, fold, key_parts, text_key

# Reasons are lazy terms: the ORM layer renders them in the user's language (``env._``); plain ``str()`` gives English.
_lt = LazyTranslate(__name__, default_lang="en_US")

TOKEN_SPLIT = re.compile(r"[\s,;:+&|]+")
DIGITS = re.compile(r"\d+")
MIN_KEY = 4  # shorter references are too ambiguous to index globally
MAX_COINCIDENCE = 1 / 1000  # a unique combination is applied automatically below this chance of a coincidence
OLDEST_ITEMS = 30  # the confidence of the oldest open items proposed when nothing fits the amount
CASH_ON_SETTLED = 50  # the most a proposal putting cash on an invoice the open credit notes settle is worth
MAX_CREDITS = 10  # a memo's invoices net of at most this many of the customer's oldest open credit notes
ACROSS_CUSTOMERS = 3  # a line with no customer and no reference: at most this many items of its amount proposed
NUMBER_LIKE = re.compile(r"\b[A-Za-z]{2,}[A-Za-z]*[/\-_.#]?[0-9]+(?:[/\-_.][0-9A-Za-z]+)*\b")
DIGITS_ONLY = re.compile(r"[^0-9]")
LAST_PADDING = re.compile(r"(?<![0-9])0+(?=[0-9]+[^0-9]*$)")  # leading zeros of the last run of digits


def _format_amount(value):
    return f"{value:,.2f}"


def _format_count(value):
    return f"{value:,}"


def normalize(text):
    """The comparison key of ``text`` (``text.text_key``): 'INV/2026-00042 ' -> 'inv202600042'."""
    return text_key(text)


def number_keys(number):
    """Keys under which an invoice number can appear in a memo.

    'INV/2026/00042' -> INV202600042, 202600042, INV202642, 202642: with or without its prefix, with or without
    the sequence's leading zeros.
    """
    keys = set()
    full = normalize(number)
    if len(full) >= MIN_KEY:
        keys.add(full)
    parts = key_parts(number)
    if parts and parts[-1].isdigit():
        short = parts[:-1] + [str(int(parts[-1]))]
        keys.add("".join(short))
        digits = "".join(p for p in parts if p.isdigit())
        digits_short = "".join(p for p in short if p.isdigit())
        keys.update(k for k in (digits, digits_short) if len(k) >= MIN_KEY)
    return {k for k in keys if len(k) >= MIN_KEY}


def number_like(text):
    """The words of ``text`` that look like document numbers ('INV/2026/00042', 'PO-88123'): letters first, then
    four digits or more, as written (deduplicated, in order). Dates and amounts have no letters: never listed."""
    found = []
    for word in NUMBER_LIKE.findall(clean(text)):
        if len(DIGITS_ONLY.sub("", word)) >= MIN_KEY and word not in found:
            found.append(word)
    return found


def one_edit(written, key):
    """Whether ``written`` is ``key`` with exactly one character changed, dropped or added (no more)."""
    if len(written) == len(key):
        return sum(a != b for a, b in zip(written, key, strict=True)) == 1
    shorter, longer = sorted((written, key), key=len)
    if len(longer) - len(shorter) != 1:
        return False
    start = next((i for i, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b), len(shorter))
    return shorter[start:] == longer[start + 1 :]


def deletions(key):
    """The key with one character removed, each way (symmetric-delete index for one-typo search)."""
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


EMPTY = frozenset()


class IdIndex:
    """Key -> the ids of the items under it, compact: one id is kept as the id, several as a tuple.

    The typo index of 200,000 open invoices holds about 2.5 million keys, nearly all naming one item: a ``set`` per
    key (216 bytes) made it the largest part of a large run's memory. ``get`` gives a frozenset, as a dict of sets did.
    """

    __slots__ = ("_ids",)

    def __init__(self):
        self._ids = {}

    def add(self, key, item_id):
        known = self._ids.setdefault(key, item_id)
        if known is item_id:
            return
        if isinstance(known, list):
            if item_id not in known:
                known.append(item_id)
        elif known != item_id:
            self._ids[key] = [known, item_id]

    def freeze(self):
        """Done adding: the lists of several ids become tuples (smaller)."""
        for key, ids in self._ids.items():
            if isinstance(ids, list):
                self._ids[key] = tuple(ids)

    def get(self, key):
        ids = self._ids.get(key)
        if ids is None:
            return EMPTY
        return frozenset(ids) if isinstance(ids, tuple | list) else frozenset((ids,))

    def collect(self, key, ids):
        """Add the ids under ``key`` to the set ``ids`` (no frozenset made: the typo search does this a lot)."""
        found = self._ids.get(key)
        if found is None:
            return
        if isinstance(found, tuple | list):
            ids.update(found)
        else:
            ids.add(found)


@dataclass(frozen=True, slots=True)
class OpenItem:
    id: int
    partner_id: int | None
    number: str
    amount: float  # open amount, in the source's currency; negative for an open credit note
    due: date
    refs: tuple = ()  # customer references (PO numbers), payment references
    disputed: float = 0.0  # part of the open amount under dispute
    invoice_date: date | None = None  # for the customer's usual days to pay (``LearningMatcher``)
    reverses: int | None = None  # a credit note's: the invoice it was issued for (``Matcher._offset``)


@dataclass(frozen=True)
class Source:
    id: int
    amount: float
    memo: str = ""
    partner_id: int | None = None
    account_number: str | None = None
    payer_name: str | None = None
    # Invoices this source has already settled (an overpayment's rest, a partly applied payment): its memo naming
    # them is no sign of a duplicate payment.
    settled_numbers: tuple = ()
    date: "date | None" = None  # the payment's date (the customer's usual days to pay, ``LearningMatcher``)
    journal_id: int | None = None  # the journal it came through (fee rules, ``fees.py``)


@dataclass(frozen=True)
class Allocation:
    item_id: int
    amount: float


@dataclass
class Proposal:
    source_id: int
    partner_id: int | None
    allocations: list
    confidence: int
    reasons: list = field(default_factory=list)
    writeoff: float = 0.0  # difference proposed as a write-off (positive: the customer paid less)
    remainder: float = 0.0  # amount left on the source as open credit
    conflict: bool = False  # the evidence disagrees: never applied automatically, whatever the threshold
    remittance_id: int | None = None  # the remittance advice this proposal follows (matching/remittance.py)
    learned_fee: float = 0.0  # the write-off is a fee or discount the customer deducted before (``LearningMatcher``)
    fee_rule_id: int | None = None  # the write-off is a bank charge by this fee rule (``fees.py``)
    for_review: bool = False  # a person decides, whatever the confidence (a fee rule's write-off above the limit)

    @property
    def item_ids(self):
        return [allocation.item_id for allocation in self.allocations]

    def applies(self, threshold):
        """Whether the automatic run applies it at ``threshold`` (the company's ``billing_match_threshold``): no
        evidence against it and a confidence of at least the threshold."""
        return not self.conflict and not self.for_review and self.confidence >= threshold

    def hold(self, reason):
        """Keep the proposal for review: the evidence behind it points elsewhere too (``reason`` says where)."""
        self.conflict = True
        self.confidence = 0
        if all(known is not reason for known in self.reasons):  # lazy terms cannot be compared with ==
            self.reasons.append(reason)

    def explain(self, translate=str):
        """The reasons as one text, each rendered by ``translate`` (``env._`` for the user's language)."""
        return "; ".join(translate(reason) for reason in self.reasons)


class ClosedNumbers:
    """The numbers of a company's settled invoices, under every key a memo may show them with (``number_keys``).

    A memo naming one of them is likely a duplicate payment. Built once, shared by the matchers of every currency.
    A key that two settled invoices share names neither.
    """

    def __init__(self, numbers=(), amounts=None):
        self.by_key = {}
        # number -> the amounts it was invoiced for (its currency's, the company's): a payment of none of them
        # is no duplicate of it (``Matcher._swapped_digits``). A number without amounts is never taken for a typo.
        self.amounts = {number: tuple(values) for number, values in (amounts or {}).items()}
        for number in numbers:
            for key in number_keys(number):
                known = self.by_key.get(key, number)
                self.by_key[key] = number if known == number else None


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """How the engine weighs amounts and words its reasons: the company's and the currency's settings, the same for
    every source.

    ``tolerance_amount`` / ``tolerance_percent``: a shortfall within the larger of the two is proposed as a write-off.
    ``rounding``: the currency's smallest unit. ``max_combination`` / ``combination_pool``: the sums of the payer's
    items tried (see "Combinations" above). ``format_amount`` and ``format_count`` render amounts and counts in the
    reasons (the ORM layer passes the currency's and the user's format; plain Python gives ``35,237.50`` and
    ``9,000``).
    """

    tolerance_amount: float = 0.0
    tolerance_percent: float = 0.0
    rounding: float = 0.01
    max_combination: int = 4
    combination_pool: int = 20
    format_amount: Callable[[float], str] = _format_amount
    format_count: Callable[[int], str] = _format_count
    fee_rules: object = None  # the company's fee rules (``fees.FeeRules``): a short difference written off by rule


DEFAULT_POLICY = MatchPolicy()


class Matcher:
    """Index the open items once, then ``propose(source)`` for each source.

    ``policy``: a ``MatchPolicy`` (tolerance, rounding, combinations, formats; default: ``MatchPolicy()``).
    ``partner_names``: customer id -> name (found in a memo or a payer's name); ``account_partners``: bank account
    number -> customer id. ``closed_numbers``: the numbers of the company's settled invoices (or a ``ClosedNumbers``
    built from them): a memo naming one of them holds the proposals for review (possible duplicate payment).
    ``fuzzy_ambiguous``: candidates one typo away from several items of the whole ledger (a chunk's index holds only
    some of them, see ``BillingMatcher.chunk_hints``): no typo hit, as on the whole ledger.
    """

    def __init__(
        self,
        items,
        policy=DEFAULT_POLICY,
        partner_names=None,
        account_partners=None,
        closed_numbers=None,
        fuzzy_ambiguous=None,
    ):
        self.policy = policy
        # The policy's values as attributes: the hot path reads them once per comparison.
        self.rounding = policy.rounding
        self.tolerance_amount = policy.tolerance_amount
        self.tolerance_percent = policy.tolerance_percent
        self.max_combination = policy.max_combination
        self.combination_pool = policy.combination_pool
        self.format_amount = policy.format_amount
        self.format_count = policy.format_count
        self.fuzzy_ambiguous = set(fuzzy_ambiguous or ())
        self.items = {item.id: item for item in items}
        self._index_items(items)
        self._index_names(partner_names)
        self.account_partners = {normalize(acc): pid for acc, pid in (account_partners or {}).items()}
        self.closed = (
            closed_numbers if isinstance(closed_numbers, ClosedNumbers) else ClosedNumbers(closed_numbers or ())
        )
        self._pair_sums = {}  # partner -> (pool, cents, pair sums) for the search of sums of items
        self._offsets = {}  # partner -> its open credit notes set against its open invoices (``_offset``)
        self._tails = {}  # partner -> its open invoices by number without prefix (``_short_numbers``)

    def _index_items(self, items):
        """The items by number key (and its one-deletion variants), reference, customer and undisputed amount."""
        self.by_key = IdIndex()
        self.by_deletion = IdIndex()
        self.by_partner = {}
        self.by_ref = IdIndex()
        self.by_cents = {}  # open amount -> undisputed open invoices of that amount, across customers
        self._longest_key = 0  # a candidate longer by two or more is no typo of any number (``typo_neighbours``)
        self.credit_partners = set()  # customers with an open credit note (``_offset``)
        for item in items:
            if item.amount < 0:
                self.credit_partners.add(item.partner_id)
            if item.amount > 0 and item.disputed <= 0:
                self.by_cents.setdefault(self._cents(item.amount), []).append(item)
            for key in number_keys(item.number):
                self._longest_key = max(self._longest_key, len(key))
                self.by_key.add(key, item.id)
                for variant in deletions(key):
                    self.by_deletion.add(variant, item.id)
            for ref in item.refs:
                key = normalize(ref)
                if len(key) >= MIN_KEY:
                    self.by_ref.add(key, item.id)
            self.by_partner.setdefault(item.partner_id, []).append(item)
        for index in (self.by_key, self.by_deletion, self.by_ref):
            index.freeze()
        for partner_items in self.by_partner.values():
            partner_items.sort(key=lambda it: (it.due, it.id))

    def _index_names(self, partner_names):
        """The customers' labels (for the reasons), and their names of five characters or more, normalized."""
        self.partner_labels = dict(partner_names or {})
        self.partner_names = {}
        for partner_id, name in self.partner_labels.items():
            key = normalize(name)
            if len(key) >= 5:
                self.partner_names.setdefault(key, set()).add(partner_id)
        self._longest_name = max(map(len, self.partner_names), default=0)

    # ------------------------------------------------------------------ helpers

    def _round(self, amount):
        return round(round(amount / self.rounding) * self.rounding, 6)

    def _is_zero(self, amount):
        return abs(amount) < self.rounding / 2

    def _cents(self, amount):
        return round(amount / self.rounding)

    def _label(self, partner_id):
        return self.partner_labels.get(partner_id) or f"#{partner_id}"

    def _named_partners(self, text):
        """The customers whose name (five characters or more) appears in the normalized ``text``.

        Each name searched in the text, or each piece of the text of a name's length looked up, whichever is less
        work (20,000 customers' names against a memo of 60 characters: the pieces).
        """
        names = self.partner_names
        longest = self._longest_name
        if len(text) * (longest - 4) >= len(names):
            return {pid for key, pids in names.items() if key in text for pid in pids}
        found = set()
        for start in range(len(text) - 4):
            for end in range(start + 5, min(start + longest, len(text)) + 1):
                found.update(names.get(text[start:end], ()))
        return found

    def _within_tolerance(self, difference, amount):
        if self._is_zero(difference):
            return True
        limit = max(self.tolerance_amount, abs(amount) * self.tolerance_percent / 100.0)
        return limit > 0 and abs(difference) <= limit + self.rounding / 2

    def _candidates(self, memo):
        """Normalized strings to look up: each token, its digits, and runs of two or three tokens joined."""
        tokens = [normalize(t) for t in TOKEN_SPLIT.split(fold(memo, spaces=True))]
        tokens = [t for t in tokens if t]
        found = []
        for size in (3, 2, 1):
            for start in range(len(tokens) - size + 1):
                found.append("".join(tokens[start : start + size]))
        for token in tokens:
            found.extend(DIGITS.findall(token))
        seen, result = set(), []
        for candidate in found:
            if len(candidate) >= MIN_KEY and candidate not in seen:
                seen.add(candidate)
                result.append(candidate)
        return result

    def _exact_hits(self, candidates):
        hits = set()
        for candidate in candidates:
            ids = self.by_key.get(candidate) or self.by_ref.get(candidate)
            if len(ids) == 1:
                hits |= ids
        return hits

    def _fuzzy_hits(self, candidates):
        """Items whose number is one insertion, deletion or substitution away from a memo candidate."""
        hits = set()
        for candidate in candidates:
            if len(candidate) < 6 or not any(ch.isdigit() for ch in candidate) or candidate in self.fuzzy_ambiguous:
                continue
            ids = self.typo_neighbours(candidate, most=1)
            if len(ids) == 1:
                hits |= ids
        return hits

    def exact_ids(self, candidate):
        """The items whose number or reference is ``candidate`` (a key of ``normalize``)."""
        return self.by_key.get(candidate) | self.by_ref.get(candidate)

    def typo_neighbours(self, candidate, most=None):
        """The items one insertion, deletion or substitution away from ``candidate`` (symmetric-delete index).

        :param most: stop once more than this many are found (a dense numbering has hundreds: who asks whether
            there is only one needs two).
        """
        ids = set()
        if len(candidate) > self._longest_key + 1:
            # One typo away from no number: and its deletions would cost the square of its length (a memo of
            # 100,000 digits: 100,000 strings of 100,000 characters).
            return ids
        self.by_deletion.collect(candidate, ids)  # the memo lost a character
        for variant in deletions(candidate):
            if most is not None and len(ids) > most:
                break
            self.by_key.collect(variant, ids)  # the memo has an extra character
            self.by_deletion.collect(variant, ids)  # one character differs
        return ids

    @staticmethod
    def _written_differently(memo, number):
        """Whether ``memo`` has ``number`` with other separators and leading zeros ('INV 2026 0042'): not a typo.

        Only words the reason: such a memo may as well be a typo (a digit dropped from 01234), so it is searched
        like one.
        """
        unpadded = normalize(LAST_PADDING.sub("", fold(number, spaces=True)))
        forms = {unpadded, "".join(DIGITS.findall(unpadded))}  # with or without its prefix
        tokens = [t for t in TOKEN_SPLIT.split(fold(memo, spaces=True)) if normalize(t)]
        return any(
            normalize(LAST_PADDING.sub("", "/".join(tokens[start : start + size]))) in forms
            for size in (1, 2, 3)
            for start in range(len(tokens) - size + 1)
        )

    def _find_partner(self, source, hits):
        if source.partner_id:
            return source.partner_id, None
        partners = {self.items[i].partner_id for i in hits}
        if len(partners) == 1:
            return partners.pop(), _lt("customer found from the reference")
        if source.account_number:
            partner = self.account_partners.get(normalize(source.account_number))
            if partner:
                return partner, _lt("customer found from the bank account")
        learned = self._learned_payer(source)
        if learned:
            return learned
        named = self._named_partners(normalize(f"{source.payer_name or ''} {source.memo or ''}"))
        if len(named) == 1:
            return named.pop(), _lt("customer found from the name")
        return None, None

    def _dispute_cap(self, item, named_exactly):
        """How much of the item may be applied: all of it if the memo names it, else its undisputed part."""
        if item.disputed <= 0 or named_exactly:
            return item.amount
        return max(item.amount - item.disputed, 0.0)

    # ------------------------------------------------------------------ allocation

    def _allocate(self, source, items, named_exactly):
        """Oldest due first, each item up to its cap; returns allocations and what is left of the source."""
        remaining = source.amount
        allocations = []
        credits = [it for it in items if it.amount < 0]
        for credit in credits:  # open credit notes offset the invoices first
            allocations.append(Allocation(credit.id, self._round(credit.amount)))
            remaining -= credit.amount
        for item in sorted((it for it in items if it.amount > 0), key=lambda it: (it.due, it.id)):
            if remaining <= self.rounding / 2:
                break
            amount = min(self._dispute_cap(item, named_exactly), remaining)
            if amount > 0:
                allocations.append(Allocation(item.id, self._round(amount)))
                remaining -= amount
        return allocations, self._round(remaining)

    def _proposal_for_items(self, source, partner_id, items, named_exactly, reasons, base):
        total = sum(self._dispute_cap(it, named_exactly) if it.amount > 0 else it.amount for it in items)
        difference = self._round(total - source.amount)
        allocations, remaining = self._allocate(source, items, named_exactly)
        proposal = Proposal(source.id, partner_id, allocations, base, list(reasons))
        disputed = [it for it in items if it.disputed > 0]
        if disputed and not named_exactly:
            proposal.confidence -= 20
            proposal.reasons.append(_lt("disputed: only the undisputed part is applied"))
        fees = self.policy.fee_rules
        if difference > 0 and fees and fees.write_off(self, source, items, named_exactly, difference, proposal, base):
            return proposal
        if difference > 0 and not self._within_tolerance(difference, source.amount):
            if self._learned_deduction(partner_id, items, named_exactly, difference, proposal):
                return proposal
        if self._is_zero(difference):
            if len(items) == 1:
                proposal.reasons.append(_lt("the amount settles it exactly"))
            else:
                proposal.reasons.append(_lt("the amount settles them exactly"))
            return proposal
        if difference > 0 and self._within_tolerance(difference, source.amount):
            # short by a small amount: apply in full, write the difference off
            proposal.allocations = self._full_allocations(items, named_exactly)
            proposal.writeoff = difference
            proposal.confidence = min(proposal.confidence, 95) if base >= 98 else proposal.confidence - 5
            proposal.reasons.append(
                _lt(
                    "difference %(amount)s within tolerance, proposed as a write-off",
                    amount=self.format_amount(difference),
                )
            )
            return proposal
        if difference < 0:
            proposal.remainder = remaining
            proposal.confidence = min(proposal.confidence, 93)
            proposal.reasons.append(
                _lt("overpayment: %(amount)s stays as open credit", amount=self.format_amount(remaining))
            )
            return proposal
        positive = [it for it in items if it.amount > 0]
        if len(positive) == 1:
            proposal.confidence = min(proposal.confidence, 93)
            proposal.reasons.append(
                _lt("partial payment: %(amount)s stays open", amount=self.format_amount(difference))
            )
        else:
            proposal.confidence = min(proposal.confidence, 80)
            paid = len([a for a in allocations if a.amount > 0])
            proposal.reasons.append(
                _lt(
                    "pays %(paid)s of the %(count)s items, oldest due first: %(amount)s stays open",
                    paid=self.format_count(paid),
                    count=self.format_count(len(positive)),
                    amount=self.format_amount(difference),
                )
            )
        return proposal

    def _full_allocations(self, items, named_exactly):
        return [
            Allocation(it.id, self._round(self._dispute_cap(it, named_exactly) if it.amount > 0 else it.amount))
            for it in sorted(items, key=lambda it: (it.amount >= 0, it.due, it.id))
        ]

    # ------------------------------------------------------------------ credit notes first

    def _offset(self, partner_id):
        """The customer's open credit notes set against its open undisputed invoices (cached): each on the invoice
        it was issued for when that one is open and takes it, the others on the oldest invoices first.

        :return: (the credit notes used, {invoice id: the part of it they settle}, whether any was set against an
            invoice it was not issued for: a guess), or None when it has none to use.
        """
        if partner_id not in self.credit_partners:
            return None
        cached = self._offsets.get(partner_id)
        if cached is None:
            items = self.by_partner.get(partner_id, ())
            credits = [it for it in items if it.amount < 0]
            invoices = [it for it in items if it.amount > 0 and it.disputed <= 0]
            cached = self._offsets[partner_id] = self._offset_against(credits, invoices)
        return cached or None

    def _offset_against(self, credits, invoices):
        """``credits`` (oldest first) used in full while ``invoices`` can take them: each on the invoice it was
        issued for when that one has room for it, the others on ``invoices`` oldest due first.

        A credit note is used in full or not at all (as the apply requires); one larger than what is left of the
        invoices stays open. :return: (credit notes used, {invoice id: the part they settle}, guessed), or ()."""
        room = {it.id: self._cents(it.amount) for it in invoices}
        used, parts, guessed, loose = [], {}, False, []
        for credit in credits:
            cents = -self._cents(credit.amount)
            if cents > 0 and 0 < cents <= room.get(credit.reverses, 0):
                used.append(credit)
                room[credit.reverses] -= cents
                parts[credit.reverses] = parts.get(credit.reverses, 0) + cents
            else:
                loose.append((credit, cents))
        left = sum(room.values())
        total = 0
        for credit, cents in loose:
            if 0 < cents <= left - total:
                used.append(credit)
                total += cents
                guessed = True
        for invoice in invoices:
            if total <= 0:
                break
            cents = min(room[invoice.id], total)
            if cents > 0:
                parts[invoice.id] = parts.get(invoice.id, 0) + cents
                total -= cents
        parts = {i: self._round(cents * self.rounding) for i, cents in parts.items()}
        return (used, parts, guessed) if used else ()

    def _net_items(self, items, parts):
        """``items`` with what the credit notes settle of them (``parts``) taken off; those they settle left out."""
        net = []
        for item in items:
            part = parts.get(item.id)
            if part is None:
                net.append(item)
            elif not self._is_zero(item.amount - part):
                net.append(dataclasses.replace(item, amount=self._round(item.amount - part)))
        return net

    def _with_credits(self, proposal, offset, at=0):
        """``proposal`` (cash on what the credit notes of ``offset`` leave open) with those credit notes used first:
        each in full, then the invoices they settle (each its credit part plus any cash), then the rest. Their
        reasons go at position ``at`` of the proposal's."""
        used, parts, _guessed = offset
        cash = {allocation.item_id: allocation.amount for allocation in proposal.allocations}
        allocations = [Allocation(credit.id, self._round(credit.amount)) for credit in used]
        allocations += [Allocation(i, self._round(part + cash.pop(i, 0.0))) for i, part in parts.items()]
        allocations += [allocation for allocation in proposal.allocations if allocation.item_id in cash]
        proposal.allocations = allocations
        if len(used) > 3:
            reasons = [
                _lt(
                    "%(count)s open credit notes (%(amount)s) offset first",
                    count=self.format_count(len(used)),
                    amount=self.format_amount(-sum(credit.amount for credit in used)),
                )
            ]
        else:
            reasons = [
                _lt(
                    "credit note %(number)s (%(amount)s) offset first",
                    number=credit.number,
                    amount=self.format_amount(-credit.amount),
                )
                for credit in used
            ]
        proposal.reasons[at:at] = reasons
        return proposal

    def _named_net_of_credits(self, source, partner_id, items, reasons):
        """The memo's invoices settled once the customer's oldest other open credit notes (the first one, the first
        two... up to ``MAX_CREDITS``) are set against them: the proposal when the amount settles them so (exactly or
        within the tolerance), else None."""
        if partner_id not in self.credit_partners:
            return None
        named = {it.id for it in items}
        own = self.by_partner.get(partner_id, ())
        credits = [it for it in own if it.amount < 0 and it.id not in named]
        invoices = [it for it in own if it.amount > 0 and it.id in named]
        for count in range(1, min(len(credits), MAX_CREDITS) + 1):
            offset = self._offset_against(credits[:count], invoices)
            if not offset or len(offset[0]) < count:
                break  # that credit note does not fit the invoices: more never settle them
            net = self._net_items(invoices, offset[1]) + [it for it in items if it.amount < 0]
            if not net:
                break
            proposal = self._proposal_for_items(source, partner_id, net, True, reasons, 98)
            if proposal.confidence >= 95 and self._is_zero(proposal.remainder):
                proposal.confidence = min(proposal.confidence, 95)  # the credit notes deducted are inferred
                return self._with_credits(proposal, offset, at=1)
        return None

    # ------------------------------------------------------------------ numbers without their prefix

    def _tails_of(self, partner_id):
        """The customer's open invoices by their number without its prefix: the last run of digits as written
        ('INV/2026/00001' -> '00001', four digits or more) and the same after the prefix ('inv00001'); cached."""
        tails = self._tails.get(partner_id)
        if tails is None:
            tails = self._tails[partner_id] = {}
            for item in self.by_partner.get(partner_id, ()):
                parts = key_parts(item.number)
                if item.amount <= 0 or not parts or not parts[-1].isdigit() or len(parts[-1]) < MIN_KEY:
                    continue
                forms = {parts[-1]} | ({parts[0] + parts[-1]} if len(parts) > 2 and parts[0].isalpha() else set())
                for form in forms:
                    tails.setdefault(form, []).append(item)
        return tails

    def _short_numbers(self, candidates, partner_id):
        """The customer's open invoice the memo names by a number without its journal prefix ('invoice 2026/00001',
        'inv 00001'), when it names exactly one of them.

        Only what no number of the whole ledger names alone is looked at here (``_exact_hits`` takes that): a key
        several invoices share ('2026/00001' of INV/2026/00001 and SAL/2026/00001), or the sequence as written.

        :return: (the item or None, the numbers it could be when several, else [])
        """
        if partner_id is None:
            return None, []
        tails = None
        for candidate in candidates:
            if not DIGITS.search(candidate):
                continue
            ids = self.by_key.get(candidate)
            if len(ids) == 1:
                continue  # one number's alone: named exactly (``_exact_hits``), or another customer's
            if ids:
                mine = [self.items[i] for i in sorted(ids) if self.items[i].partner_id == partner_id]
                mine = [it for it in mine if it.amount > 0]
            else:
                tails = self._tails_of(partner_id) if tails is None else tails
                mine = tails.get(candidate, [])
            if len(mine) == 1:
                return mine[0], []
            if mine:
                return None, sorted(it.number for it in mine)
        return None, []

    def _short_proposal(self, source, partner_id, partner_reason, item):
        """The invoice the memo names without its prefix: 90 when the amount settles it and the payer is the
        source's own (80 otherwise), 60 paid in other amounts (held when another item takes the amount)."""
        reasons = [_lt("%(number)s found in the memo without its prefix", number=item.number)]
        if partner_reason:
            reasons.append(partner_reason)
        exact_amount = self._is_zero(self._dispute_cap(item, False) - source.amount)
        base = (90 if source.partner_id is not None else 80) if exact_amount else 60
        if not exact_amount:  # the customer may have deducted its open credit notes
            netted = self._named_net_of_credits(source, partner_id, [item], reasons)
            if netted:
                netted.confidence = min(netted.confidence, 90 if source.partner_id is not None else 80)
                return netted
        proposal = self._proposal_for_items(source, partner_id, [item], False, reasons, base)
        proposal.confidence = min(proposal.confidence, base)
        if not exact_amount:
            self._hold_if_amount_elsewhere(proposal, source, partner_id, [item])
        return proposal

    def _hold_ambiguous(self, proposals, numbers):
        """The memo's number could be any of ``numbers``: said in the reasons; a proposal paying none of them, or
        more than one, is held (the memo alone never picks one)."""
        reason = _lt(
            "the number in the memo, without its prefix, could be %(numbers)s: ambiguous", numbers=" or ".join(numbers)
        )
        for proposal in proposals:
            named = {self.items[a.item_id].number for a in proposal.allocations} & set(numbers)
            if len(named) == 1 and not proposal.conflict:
                proposal.reasons.append(reason)
            else:
                proposal.hold(reason)
        return proposals

    # ------------------------------------------------------------------ search

    def propose(self, source, limit=5):
        """Proposals for ``source``, best first (possibly none); all held for review when the evidence disagrees."""
        candidates = self._candidates(source.memo)
        exact = self._exact_hits(candidates)
        partner_id, partner_reason = self._find_partner(source, exact)
        named = [self.items[i] for i in sorted(exact)]  # every item the memo names, whoever it belongs to
        if exact and partner_id is not None:
            exact = {i for i in exact if self.items[i].partner_id == partner_id}
        searched = self._search_source(source, partner_id)
        swapped = self._swapped_digits(searched, candidates)
        if swapped:  # the number written is another one's with two digits swapped: the evidence says which
            proposals, involved = swapped
            candidates = [candidate for candidate in candidates if candidate not in involved]
            named = [it for it in named if not any(it.id in self.exact_ids(c) for c in involved)]
        else:
            proposals = self._search(searched, candidates, exact, partner_id, partner_reason, limit)
            self._learned_lift(source, proposals)
        self._flag_cash_on_settled(proposals)
        if proposals:
            for reason in self._closed_conflicts(candidates, source) + self._partner_conflicts(source, named):
                for proposal in proposals:
                    proposal.hold(reason)
        return proposals

    def _swapped_digits(self, source, candidates):
        """The payer's open item the memo names with two adjacent digits swapped (or one typo), when the evidence
        says so.

        The number as written names another invoice (paid, or open for another customer), of another amount, and
        the payer's only open item one swap (or one typo) away is open for exactly the amount: a typo, not a
        duplicate payment nor a payment of the other invoice. Decided (90, as a one-typo reference settling its item)
        only when the payer is the source's own (given, or its learned bank account), every invoice the written
        number names is of another amount than the payment (a paid one's amounts known), and the memo names nothing
        else. :return: ([proposal], the memo's candidates read as a slip), or None.
        """
        payer = source.partner_id
        if payer is None or payer not in self.by_partner:
            return None
        written = [c for c in candidates if self.exact_ids(c) or self.closed.by_key.get(c, False) is not False]
        if not written:
            return None  # the memo names nothing as written: the usual search (typos, amounts) decides
        elsewhere = self._written_elsewhere(source, written)
        if elsewhere is None:
            return None
        slip = self._slip_of(source, written)
        if slip is None:
            return None
        (item_id, swap), involved = slip
        item = self.items[item_id]
        reasons = self._slip_reasons(item, swap, *elsewhere)
        proposal = self._proposal_for_items(source, payer, [item], False, reasons, 90)
        return [proposal], involved

    def _written_elsewhere(self, source, written):
        """What the numbers as written name: (paid numbers, other customers' open items), each of another amount
        than the source; None when one is the payer's own, of the amount, or paid for amounts unknown (cheap: the
        usual search decides then)."""
        named, paid = [], []
        for candidate in written:
            closed = self.closed.by_key.get(candidate, False)
            if closed is None or (closed and not self.closed.amounts.get(closed)):
                return None  # a paid number whose amounts are unknown
            if closed and closed not in paid:
                if any(self._is_zero(value - source.amount) for value in self.closed.amounts[closed]):
                    return None  # the amount of the paid invoice: possibly paid twice
                paid.append(closed)
            for other in (self.items[i] for i in sorted(self.exact_ids(candidate))):
                if other.partner_id == source.partner_id or self._is_zero(other.amount - source.amount):
                    return None  # the payer's own invoice as written, or one of the amount: held as usual
                if other not in named:
                    named.append(other)
        return paid, named

    def _slip_of(self, source, written):
        """The payer's one open item of exactly the amount that every written number is a slip of (two adjacent
        digits swapped, or one typo): ((item id, swapped or not), the candidates read as a slip), or None."""
        found, involved = {}, set()
        for candidate in written:
            if len(candidate) > self._longest_key + 1 or not any(ch.isdigit() for ch in candidate):
                return None  # no number's length (its swaps and deletions would cost the square of its length)
            swapped = set()
            for swap in self._adjacent_swaps(candidate):
                self.by_key.collect(swap, swapped)
            typos = self.typo_neighbours(candidate) if len(candidate) >= 6 else set()
            for item_id in swapped | typos:
                item = self.items[item_id]
                if item.partner_id != source.partner_id or item.amount <= 0:
                    continue
                keys = number_keys(item.number)
                if candidate not in keys and (item_id in swapped or any(one_edit(candidate, key) for key in keys)):
                    involved.add(candidate)
                    if self._is_zero(self._dispute_cap(item, False) - source.amount):
                        found.setdefault(item_id, item_id in swapped)
        if len(found) != 1 or len(involved) != len(written):
            return None  # which item is a guess, or the memo names something else too
        ((item_id, swap),) = found.items()
        return (item_id, swap), involved

    def _slip_reasons(self, item, swap, paid, named):
        """Why the memo's number is read as ``item``'s slip, and why the invoices it names as written are not paid."""
        values = {"written": " / ".join([*paid, *(it.number for it in named)]), "number": item.number}
        if swap:
            reasons = [
                _lt(
                    "%(written)s in the memo is %(number)s with two adjacent digits swapped: %(number)s is "
                    "open for exactly the amount",
                    **values,
                )
            ]
        else:
            reasons = [
                _lt(
                    "%(written)s in the memo is %(number)s with one typo: %(number)s is open for exactly the amount",
                    **values,
                )
            ]
        for number in paid:
            amounts = " / ".join(self.format_amount(value) for value in sorted(set(self.closed.amounts[number])))
            reasons.append(
                _lt(
                    "%(number)s is already paid, for another amount (%(amounts)s): no duplicate payment",
                    number=number,
                    amounts=amounts,
                )
            )
        for other in named:
            reasons.append(
                _lt(
                    "%(number)s is of %(customer)s, open for another amount (%(amount)s)",
                    number=other.number,
                    customer=self._label(other.partner_id),
                    amount=self.format_amount(other.amount),
                )
            )
        return reasons

    @staticmethod
    def _adjacent_swaps(candidate):
        """``candidate`` with two adjacent different digits swapped, each way ('2046' -> '0246', '2406', '2064')."""
        return {
            candidate[:i] + candidate[i + 1] + candidate[i] + candidate[i + 2 :]
            for i in range(len(candidate) - 1)
            if candidate[i] != candidate[i + 1] and candidate[i].isdigit() and candidate[i + 1].isdigit()
        }

    def _search(self, source, candidates, exact, partner_id, partner_reason, limit):
        if exact:
            items = [self.items[i] for i in sorted(exact)]
            reasons = [_lt("%(numbers)s found in the memo", numbers=", ".join(it.number for it in items))]
            if partner_reason:
                reasons.append(partner_reason)
            proposal = self._proposal_for_items(source, partner_id, items, True, reasons, 98)
            if not self._is_zero(proposal.remainder) or proposal.confidence < 95:
                netted = self._named_net_of_credits(source, partner_id, items, reasons)
                if netted:
                    return [netted]
                self._hold_if_amount_elsewhere(proposal, source, partner_id, items)
            return [proposal]
        short, ambiguous = self._short_numbers(candidates, partner_id)
        if short is not None:
            return [self._short_proposal(source, partner_id, partner_reason, short)]
        if ambiguous:
            found = self._learned_search(source, candidates, partner_id, partner_reason) or self._search_amount(
                source, partner_id, partner_reason, limit
            )
            return self._hold_ambiguous(found, ambiguous)
        fuzzy = self._fuzzy_hits(candidates)
        if partner_id is not None:
            fuzzy = {i for i in fuzzy if self.items[i].partner_id == partner_id}
        if len(fuzzy) == 1:
            item = self.items[next(iter(fuzzy))]
            partner_id = partner_id or item.partner_id
            exact_amount = self._is_zero(self._dispute_cap(item, False) - source.amount)
            if self._written_differently(source.memo, item.number):
                reasons = [_lt("%(number)s found in the memo, written with other zeros", number=item.number)]
            else:
                reasons = [_lt("%(number)s found in the memo with one typo", number=item.number)]
            proposal = self._proposal_for_items(source, partner_id, [item], False, reasons, 90 if exact_amount else 60)
            if not exact_amount:
                proposal.confidence = min(proposal.confidence, 60)
                self._hold_if_amount_elsewhere(proposal, source, partner_id, [item])
            self._learned_typo(source, proposal, item)
            return [proposal]
        if partner_id is None:
            return self._search_across(source)
        return self._learned_search(source, candidates, partner_id, partner_reason) or self._search_amount(
            source, partner_id, partner_reason, limit
        )

    # ------------------------------------------------------------------ hooks for learned habits (see learning.py)

    def _learned_payer(self, source, names=True):
        """(customer, reason) from the payer's account or name as learned on confirmed matches, else ()."""
        return ()

    def _search_source(self, source, partner_id):
        """The source as searched: ``LearningMatcher`` gives it the customer its payer is known to be."""
        return source

    def _learned_search(self, source, candidates, partner_id, partner_reason):
        """Proposals from the way the customer is known to write its references (none without habits)."""
        return []

    def _learned_deduction(self, partner_id, items, named_exactly, difference, proposal):
        """Write the customer's recurring fee or discount off ``proposal`` when ``difference`` is one: done?"""
        return False

    def _learned_lift(self, source, proposals):
        """Name the customer's habits behind the best proposal, and lift it when they back it."""

    def _learned_typo(self, source, proposal, item):
        """Name the customer's known slip behind a reference with one typo, and raise the proposal it makes."""

    def _across(self, source):
        """The undisputed open invoices of any customer whose open amount is exactly the source's."""
        return self.by_cents.get(self._cents(source.amount), [])

    def _search_across(self, source):
        """Neither customer nor reference: the few open items, across customers, that the amount settles exactly.

        For a person to choose from, never applied automatically (every proposal is held): nothing says who paid.
        """
        items = self._across(source)
        if not items or len(items) > ACROSS_CUSTOMERS:
            return []
        if len(items) == 1:
            reason = _lt(
                "no customer and no open invoice named in the memo: the only open item of %(amount)s, for review",
                amount=self.format_amount(source.amount),
            )
        else:
            reason = _lt(
                "no customer and no open invoice named in the memo: "
                "one of %(count)s open items of %(amount)s, for review",
                count=self.format_count(len(items)),
                amount=self.format_amount(source.amount),
            )
        proposals = []
        for item in sorted(items, key=lambda it: (it.due, it.id)):
            label = _lt("%(number)s of %(customer)s", number=item.number, customer=self._label(item.partner_id))
            proposal = self._proposal_for_items(source, item.partner_id, [item], False, [reason, label], 0)
            proposal.hold(reason)
            proposals.append(proposal)
        return proposals

    def named_items(self, text):
        """The items whose number ``text`` names: exactly, or with other separators or leading zeros.

        For free text (an e-mail): a number one typo away is no evidence there, so it is not taken.
        """
        candidates = self._candidates(text)
        hits = self._exact_hits(candidates)
        for item_id in self._fuzzy_hits(candidates) - hits:
            if self._written_differently(text, self.items[item_id].number):
                hits.add(item_id)
        return [self.items[i] for i in sorted(hits)]

    def explain_no_proposal(self, source):
        """Why ``propose(source)`` gives nothing, as a lazy reason: duplicate, no customer, no open item, no fit."""
        candidates = self._candidates(source.memo)
        closed = self._closed_conflicts(candidates, source)
        if closed:
            return closed[0]
        partner_id, _reason = self._find_partner(source, self._exact_hits(candidates))
        amount = self.format_amount(source.amount)
        if partner_id is None:
            count = len(self._across(source))
            if count > ACROSS_CUSTOMERS:
                return _lt(
                    "no customer and no open invoice named in the memo, "
                    "and %(count)s open items of %(amount)s across customers: "
                    "too many to propose",
                    count=self.format_count(count),
                    amount=amount,
                )
            return _lt(
                "no customer and no open invoice named in the memo, and no open item of %(amount)s", amount=amount
            )
        customer = self._label(partner_id)
        if not any(it.amount > 0 for it in self.by_partner.get(partner_id, ())):
            return _lt("no open item for %(customer)s", customer=customer)
        return _lt(
            "the amount %(amount)s does not fit the open items of %(customer)s", amount=amount, customer=customer
        )

    def _search_amount(self, source, partner_id, partner_reason, limit):
        """No reference: the payer's open items of that amount, a sum of them, else the oldest ones.

        The payer's open credit notes settle its oldest open invoices first (``_offset``): the amount is searched
        among what they leave open too, and those proposals use the credit notes before the cash. They are taken
        when surer than the search on the open items as they are, or as sure while that one puts cash on an invoice
        the credit notes settle. When the items as they are fit the amount better (the customer paid an invoice in
        full and keeps its credit notes for later), the reasons say the credit notes stay open."""
        open_items = [it for it in self.by_partner.get(partner_id, []) if it.amount > 0]
        gross = self._search_open_amounts(source, partner_id, partner_reason, limit, open_items, partner_id)
        offset = self._offset(partner_id)
        if not offset:
            return gross
        net = self._net_items(open_items, offset[1])
        found = self._search_open_amounts(source, partner_id, partner_reason, limit, net, (partner_id, "net"))
        netted, plain = self._strength(found), self._strength(gross)
        settled = offset[1]  # what the credit notes settle: cash there is the mistake this avoids
        if found and (not gross or netted > plain or (netted == plain and self._pays_any(gross[0], settled))):
            found = [self._with_credits(proposal, offset) for proposal in found]
            if offset[2] and found[0].confidence > 80:
                # Set against invoices they were not issued for: the amount may well pay the one they reduced.
                found[0].confidence = 80
                found[0].reasons.append(_lt("credit notes set against invoices they were not issued for: to confirm"))
            return found
        fits = gross and not gross[0].conflict and plain > OLDEST_ITEMS  # an amount fit, not the oldest items
        if fits and netted < plain and not self._pays_any(gross[0], self._settled_in_full(offset)):
            gross[0].reasons.append(_lt("the open credit notes stay open: the amount fits the open items as they are"))
        return gross

    def _settled_in_full(self, offset):
        """The invoices ``offset``'s credit notes settle in full: {invoice id: those credit notes' numbers}."""
        used, parts, _guessed = offset
        settled = {}
        for invoice_id, part in parts.items():
            if not self._is_zero(self.items[invoice_id].amount - part):
                continue
            own = [credit for credit in used if credit.reverses == invoice_id]
            if not self._is_zero(part + sum(credit.amount for credit in own)):
                own = used  # set against it as the oldest open invoice: which ones is a guess, all are named
            settled[invoice_id] = [credit.number for credit in own]
        return settled

    def _flag_cash_on_settled(self, proposals):
        """Cash on an invoice the customer's open credit notes settle in full, without using them, is never sure:
        capped at 50 and said (the customer may have meant to pay another invoice, or not to use its credit notes)."""
        for proposal in proposals:
            offset = self._offset(proposal.partner_id)
            if not offset or any(self.items[a.item_id].amount < 0 for a in proposal.allocations):
                continue
            settled = self._settled_in_full(offset)
            paid = [a.item_id for a in proposal.allocations if a.item_id in settled and a.amount > 0]
            if not paid:
                continue
            proposal.confidence = min(proposal.confidence, CASH_ON_SETTLED)
            credits = settled[paid[0]]
            proposal.reasons.append(
                _lt(
                    "%(number)s is settled by open credit notes %(credits)s: cash there may be a mistake, to confirm",
                    number=self.items[paid[0]].number,
                    credits=", ".join(credits[:3]) + (", ..." if len(credits) > 3 else ""),
                )
            )

    @staticmethod
    def _pays_any(proposal, item_ids):
        return any(allocation.item_id in item_ids for allocation in proposal.allocations)

    @staticmethod
    def _strength(proposals):
        """How sure the best of ``proposals`` is: its confidence, 0 when held or when there is none."""
        return 0 if not proposals or proposals[0].conflict else proposals[0].confidence

    def _search_open_amounts(self, source, partner_id, partner_reason, limit, open_items, pool_key):
        """``_search_amount`` on ``open_items`` (``pool_key``: their sums' cache, see ``_pool``)."""
        same_amount = [it for it in open_items if self._is_zero(self._dispute_cap(it, False) - source.amount)]
        given = source.partner_id is not None
        if len(same_amount) == 1:
            item = same_amount[0]
            reasons = [
                _lt("the only open item of %(amount)s for this customer", amount=self.format_amount(source.amount))
            ]
            if partner_reason:
                reasons.append(partner_reason)
            proposal = self._proposal_for_items(source, partner_id, [item], False, reasons, 90 if given else 80)
            others = self._sum_of_others(pool_key, open_items, item, source.amount)
            if others:
                proposal.hold(_lt("also the sum of %(numbers)s", numbers=" + ".join(it.number for it in others)))
            return [proposal]
        proposals = []
        if len(same_amount) > 1:
            reason = _lt(
                "%(count)s open items of %(amount)s: amount alone cannot tell which",
                count=self.format_count(len(same_amount)),
                amount=self.format_amount(source.amount),
            )
            for item in same_amount[:limit]:
                proposals.append(self._proposal_for_items(source, partner_id, [item], False, [reason], 40))
                proposals[-1].hold(reason)
            return proposals
        combination = self._search_combination(source, partner_id, partner_reason, open_items, pool_key)
        if combination:
            return [combination]
        if open_items:  # nothing fits: the oldest items, as a starting point for the user
            reasons = [_lt("no open invoice named in the memo and no amount match: oldest open items")]
            proposal = self._proposal_for_items(source, partner_id, open_items[:limit], False, reasons, OLDEST_ITEMS)
            proposal.confidence = min(proposal.confidence, OLDEST_ITEMS)
            proposals.append(proposal)
        return proposals

    def _search_combination(self, source, partner_id, partner_reason, open_items, pool_key=None):
        """The one set of the payer's items summing to the amount: automatic (90) when unlikely to be a coincidence.

        See the module's docstring for the model. Automatic only for a payer given by the source itself and when
        the pool held every undisputed open item of the payer (else a set outside it was never tried).
        """
        pool, cents, _sums = self._pool(partner_id if pool_key is None else pool_key, open_items)
        combination = self._unique_combination(pool, cents, source.amount)
        if not combination:
            return None
        chance = self._coincidence(cents, self._cents(source.amount))
        undisputed = sum(1 for it in open_items if it.disputed <= 0)
        values = {"count": self.format_count(len(combination)), "total": self.format_count(len(pool))}
        if len(pool) == undisputed:
            reasons = [_lt("%(count)s of the customer's %(total)s open items sum to the amount", **values)]
        else:
            reasons = [_lt("%(count)s of the customer's %(total)s oldest open items sum to the amount", **values)]
        odds = self._odds(chance)
        if odds >= 2:
            reasons.append(_lt("1 in %(odds)s chance of a coincidence", odds=self.format_count(odds)))
        else:
            reasons.append(_lt("this may well be a coincidence"))
        if partner_reason:
            reasons.append(partner_reason)
        sure = source.partner_id is not None and len(pool) == undisputed and chance < MAX_COINCIDENCE
        proposal = self._proposal_for_items(source, partner_id, combination, False, reasons, 90 if sure else 80)
        proposal.confidence = min(proposal.confidence, 90 if sure else 80)
        return proposal

    def _granularity(self, cents, target):
        """The step the amounts are written in, in units of the rounding: 1, or 10, 100... for round amounts."""
        step = 1
        for candidate in (10, 100, 1000, 10000, 100000):
            if target % candidate or 2 * sum(1 for c in cents if c % candidate == 0) < len(cents):
                break
            step = candidate
        return step

    def _coincidence(self, cents, target):
        """Upper bound of the chance that one of the sets tried sums to ``target`` by chance (module docstring)."""
        count = len(cents)
        if count == 0:
            return 1.0
        mean = sum(cents) / count
        spread = math.sqrt(sum((c - mean) ** 2 for c in cents) / count)
        if spread == 0:
            return 1.0
        step = self._granularity(cents, target)
        chance = 0.0
        for size in range(1, min(self.max_combination, count) + 1):
            hit = step / (spread * math.sqrt(2 * math.pi * size))
            chance += math.comb(count, size) * min(1.0, hit)
        return min(chance, 1.0)

    @staticmethod
    def _odds(chance):
        """1 / ``chance`` rounded down to two significant digits (9,071 -> 9,000): never overstated."""
        if chance <= 0:
            return 10**9
        odds = 1 / chance
        if odds < 100:
            return max(int(odds), 1)
        unit = 10 ** (int(math.log10(odds)) - 1)
        return int(odds // unit) * unit

    def _unique_combination(self, pool, cents, amount):
        """The one set of 2..max items of the ``pool`` whose amounts (``cents``) sum to ``amount``, if unique."""
        target = self._cents(amount)
        found = None
        for size in range(2, min(self.max_combination, len(pool)) + 1):
            for combo in combinations(range(len(pool)), size):
                if sum(cents[i] for i in combo) == target:
                    if found is not None:
                        return None  # ambiguous
                    found = [pool[i] for i in combo]
        return found

    # ------------------------------------------------------------------ conflicting evidence

    def _closed_conflicts(self, candidates, source=None):
        """The memo names a settled invoice (not one this source settled): it may well be paid a second time."""
        if not self.closed.by_key:
            return []
        closed = {candidate: self.closed.by_key.get(candidate) for candidate in candidates}
        # Open items named by a key that no settled invoice shares: the memo names them, not a settled one.
        strong = set()
        for candidate, number in closed.items():
            if not number:
                strong |= self.exact_ids(candidate)
        reasons, seen = [], set()
        for candidate, number in closed.items():
            if not number or number in seen or (source and number in source.settled_numbers):
                continue
            if self.exact_ids(candidate) & strong:
                continue  # the digits of an open item named in full, which a settled invoice also has
            seen.add(number)
            reasons.append(_lt("%(number)s is already paid: possible duplicate payment", number=number))
        return reasons

    def _payer_evidence(self, source):
        """Who pays, by each clue that says so, surest first: [(clue, customer)].

        What earlier matches taught (an account or a name, ``learned``) never outweighs a name that identifies
        another customer: any other customer the payer's name names is a clue against it (a name naming several
        customers is otherwise no clue).
        """
        evidence = []
        if source.partner_id:
            evidence.append(("customer", source.partner_id))
        if source.account_number:
            account = self.account_partners.get(normalize(source.account_number))
            if account:
                evidence.append(("account", account))
        learned = self._learned_payer(source)
        if learned:
            evidence.append(("learned", learned[0]))
        if source.payer_name and not source.partner_id:
            named = self._named_partners(normalize(source.payer_name))
            if len(named) == 1:
                evidence.append(("name", next(iter(named))))
            elif learned and named - {learned[0]}:
                evidence.append(("name", min(named - {learned[0]})))
        return evidence

    def _partner_conflicts(self, source, named):
        """The payer, its bank account, its name and the items the memo names point to different customers."""
        evidence = self._payer_evidence(source)
        if not evidence:
            return []
        clue, customer = evidence[0]
        reasons = []
        for other_clue, other in evidence[1:]:
            if other == customer:
                continue
            if clue == "learned":  # what was learned and the payer's name disagree
                reason = _lt(
                    "%(learned)s, but the payer's name is that of %(other)s",
                    learned=self._learned_payer(source)[1],
                    other=self._label(other),
                )
            elif other_clue == "learned":  # the bank account on record and what was learned from the name disagree
                reason = _lt(
                    "the bank account is that of %(customer)s, but %(learned)s",
                    customer=self._label(customer),
                    learned=self._learned_payer(source)[1],
                )
            elif other_clue == "account":  # the customer given and its bank account disagree
                reason = _lt(
                    "the bank account is that of %(other)s, the payer is %(customer)s",
                    other=self._label(other),
                    customer=self._label(customer),
                )
            else:  # the bank account and the payer's name disagree
                reason = _lt(
                    "the bank account is that of %(customer)s, the payer's name is %(other)s",
                    customer=self._label(customer),
                    other=self._label(other),
                )
            reasons.append(reason)
        item = next((it for it in named if it.partner_id != customer), None)
        if item is not None:
            values = {"number": item.number, "other": self._label(item.partner_id), "customer": self._label(customer)}
            if clue == "customer":
                reasons.append(_lt("the memo names %(number)s of %(other)s, the payer is %(customer)s", **values))
            elif clue == "account":
                reasons.append(
                    _lt("the memo names %(number)s of %(other)s, the bank account is that of %(customer)s", **values)
                )
            elif clue == "learned":
                reasons.append(
                    _lt(
                        "the memo names %(number)s of %(other)s, %(learned)s",
                        number=item.number,
                        other=self._label(item.partner_id),
                        learned=self._learned_payer(source)[1],
                    )
                )
            else:
                reasons.append(
                    _lt("the memo names %(number)s of %(other)s, the payer's name is %(customer)s", **values)
                )
        return reasons

    def _hold_if_amount_elsewhere(self, proposal, source, partner_id, named):
        """The named items do not take the amount as it is, but another item, or some of them alone, does."""
        ids = {it.id for it in named}
        # The reference may well be a typo for another open item of the customer that takes the amount exactly.
        others = [
            it
            for it in self.by_partner.get(partner_id, [])
            if it.id not in ids and it.amount > 0 and self._is_zero(it.amount - source.amount)
        ]
        if others:
            proposal.hold(_lt("but %(number)s matches the amount exactly", number=others[0].number))
            return
        part = self._named_part(named, source.amount)
        if part:
            proposal.hold(_lt("the amount is that of %(numbers)s alone", numbers=", ".join(it.number for it in part)))

    def _named_part(self, named, amount, most=10):
        """Some (not all) of the named items whose open amounts sum to ``amount`` exactly (up to ``most`` named)."""
        if not 2 <= len(named) <= most:
            return None
        target = self._cents(amount)
        cents = [self._cents(it.amount) for it in named]
        for size in range(1, len(named)):
            for combo in combinations(range(len(named)), size):
                if sum(cents[i] for i in combo) == target:
                    return [named[i] for i in combo]
        return None

    def _pool(self, partner_id, open_items):
        """The customer's oldest ``pool`` undisputed open items, their cents and pair sums (computed once per
        ``partner_id``: a customer's id, or its id and "net" for its items net of its credit notes)."""
        cached = self._pair_sums.get(partner_id)
        if cached is None:
            pool = [it for it in open_items if it.disputed <= 0][: self.combination_pool]
            cents = [self._cents(it.amount) for it in pool]
            sums = {}
            for i, j in combinations(range(len(pool)), 2):
                sums.setdefault(cents[i] + cents[j], []).append((i, j))
            cached = self._pair_sums[partner_id] = (pool, cents, sums)
        return cached

    def _sum_of_others(self, partner_id, open_items, item, amount):
        """Two to four other open items of the customer (oldest ``pool``) whose amounts sum to ``amount``, if any.

        Pair sums are indexed once per customer, so this costs the pool's size squared at worst, never its 4th power.
        """
        pool, cents, sums = self._pool(partner_id, open_items)
        target = self._cents(amount)
        excluded = {index for index, it in enumerate(pool) if it.id == item.id}
        size = min(self.max_combination, 4)
        if size >= 2:
            for pair in sums.get(target, ()):
                if not excluded.intersection(pair):
                    return [pool[i] for i in pair]
        if size >= 3:
            for k in range(len(pool)):
                for pair in () if k in excluded else sums.get(target - cents[k], ()):
                    if k not in pair and not excluded.intersection(pair):
                        return [pool[i] for i in sorted((k, *pair))]
        if size >= 4:
            for first, pairs in sums.items():
                for second in sums.get(target - first, ()):
                    for pair in pairs:
                        combo = set(pair) | set(second)
                        if len(combo) == 4 and not excluded & combo:
                            return [pool[i] for i in sorted(combo)]
        return None
