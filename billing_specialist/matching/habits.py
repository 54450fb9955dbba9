"""What confirmed matches taught about each customer, in plain Python (the engine reads it, the models fill it).

A *habit* is one customer's way of paying, seen on confirmed matches: a payer bank account or name, how its memos
write the invoices (``reference_way``), how its amounts relate to the invoices (``amount_relation``), its usual days
to pay. The ORM layer records them (``billing.match.habit``) and passes those still in use (active, seen within the
fading period, with their evidence counted over that period) to the ``Matcher`` as ``Habits``.

What the engine does with them:

- a payer bank account (or payer name) learned for exactly one customer identifies that customer, when nothing in
  the source names one; learned for two customers, or owned on record (``res.partner.bank``) by another, it
  identifies neither. A bank account seen ``MIN_EVIDENCE`` times or more counts as if the source named the customer
  (the banks write a line's account number); a name never does (anyone writes it: it only proposes), and what was
  learned never outweighs a payer's name that names another customer (held, ``Matcher._payer_evidence``);
- a way of writing references seen ``MIN_EVIDENCE`` times (its PO number, the invoice's sequence number alone)
  is named in the reasons and lifts a proposal that settles its items from 80 to 90 (never above), and the
  sequence number alone is searched among that customer's open items;
- a fee (or a discount percentage) deducted ``MIN_EVIDENCE`` times is proposed as the write-off when a payment is
  short of its items by exactly that much;
- a slip seen ``MIN_EVIDENCE`` times (the customer drops a character of the invoice number, adds one, or changes
  one: ``typo:dropped|extra|changed``) is named in the reasons of a reference with that slip and raises it to 80
  (never above: a person confirms); among several of the customer's invoices one typo away, the one its slip
  reaches is proposed (80);
- the usual days to pay (one week-bucket holding ``MIN_EVIDENCE`` payments and half of the customer's or more)
  break a tie: among held proposals of one item each (same-amount invoices), the only one whose invoice date fits
  comes first, still held; and they add ``DAYS_BONUS`` to a proposal below ``DAYS_CEILING`` whose invoices fit.

Never: a habit is used for its own customer only; it never lifts a proposal held for conflicting evidence (equal
amounts of recurring invoices stay ambiguous), and neither a slip nor the days to pay reach the automatic threshold.
"""

import re
from dataclasses import dataclass
from datetime import date

from odoo.tools.translate import LazyTranslate

from .engine import DIGITS, TOKEN_SPLIT, deletions, normalize, number_keys
from .text import clean

_lt = LazyTranslate(__name__, default_lang="en_US")

MIN_EVIDENCE = 3  # confirmed matches before a habit counts
LIFTED = 90  # a proposal backed by a habit reaches at most this confidence
SLIP_LIFTED = 80  # a reference with the customer's known slip: proposed, for a person to confirm
DAYS_BONUS = 5  # a proposal whose invoices fit the customer's usual days to pay
DAYS_CEILING = 85  # ... never above this: timing alone never applies anything
DAYS_SLACK = 3  # days either side of the usual week-bucket that still fit
SLIPS = ("dropped", "extra", "changed")
SHAPE = re.compile(r"\d+")

# Ways of writing a reference that the engine names in its reasons (a typo is seen, never a habit to count on).
WAYS = ("number", "variant", "sequence", "po")


@dataclass(frozen=True)
class Habit:
    partner_id: int
    kind: str  # payer_account, payer_name, reference_pattern, amount_relation, days_to_pay
    key: str
    count: int
    last_seen: date


def ref_shape(ref):
    """'PO-88123' -> 'PO-\\d{5}': the reference with its runs of digits as a pattern."""
    return SHAPE.sub(lambda match: rf"\d{{{len(match.group())}}}", clean(ref or "").upper().strip())


def sequence_number(number):
    """'INV/2026/00042' -> '42': the last run of digits without its zeros ('' when none)."""
    runs = DIGITS.findall(number or "")
    return str(int(runs[-1])) if runs else ""


def _memo_keys(memo):
    tokens = [normalize(t) for t in TOKEN_SPLIT.split((memo or "").upper())]
    tokens = [t for t in tokens if t]
    keys = set()
    for size in (1, 2, 3):
        keys.update("".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
    for token in tokens:
        keys.update(DIGITS.findall(token))
    return keys


def memo_numbers(memo):
    """The bare numbers of the memo ('payment 42, thanks' -> {'42'}), without leading zeros."""
    found = set()
    for token in TOKEN_SPLIT.split(memo or ""):
        token = token.strip("#.()[]'\"")
        if token.isdigit():
            found.add(str(int(token)))
    return found


def reference_way(memo, number, refs=()):
    """How ``memo`` names the invoice ``number`` (its references ``refs``): a reference_pattern key, or None.

    'po:PO-\\d{5}' (the customer's own reference, by its shape), 'number' (as issued), 'variant' (other separators,
    no prefix, no zeros), 'sequence' (the last number alone, '42' for INV/2026/00042), 'typo' (one character off).
    """
    keys = _memo_keys(memo)
    for ref in refs:
        if len(normalize(ref)) >= 4 and normalize(ref) in keys:
            return f"po:{ref_shape(ref)}"
    if normalize(number) in keys:
        return "number"
    variants = number_keys(number)
    if variants & keys:
        return "variant"
    sequence = sequence_number(number)
    if sequence and sequence in memo_numbers(memo):
        return "sequence"
    for key in sorted(variants):
        for written in sorted(keys):
            slip = typo_slip(written, key) if len(written) >= 6 else None
            if slip:
                return f"typo:{slip}"
    return None


def typo_slip(written, key):
    """How ``written`` is one character off ``key``: 'dropped', 'extra', 'changed' (or two swapped), else None."""
    if written == key or abs(len(written) - len(key)) > 1:  # (and no deletions of a 100,000-character memo key)
        return None
    if written in deletions(key):
        return "dropped"
    if key in deletions(written):
        return "extra"
    if len(written) == len(key) and deletions(written) & deletions(key):
        return "changed"
    return None


def amount_relations(total, writeoff, rounding=0.01):
    """How a payment related to the ``total`` of its invoices: ['exact'], or the deduction ``writeoff`` as a fee
    ('fee:15.00') and, when it is a whole or half percent of the total, as a discount too ('discount:2'): one
    payment cannot tell them apart, the ones that recur can."""
    if abs(writeoff) < rounding / 2:
        return ["exact"]
    if writeoff < 0 or total <= 0:
        return []
    relations = [f"fee:{writeoff:.2f}"]
    rounded = round(writeoff * 200.0 / total) / 2  # discounts are whole or half percents
    if rounded > 0 and abs(round(total * rounded / 100.0, 2) - writeoff) < rounding / 2:
        relations.append(f"discount:{rounded:g}")
    return relations


def days_bucket(days):
    """Days to pay in weeks: '28-34'."""
    start = max(days, 0) // 7 * 7
    return f"{start}-{start + 6}"


def days_range(key):
    """'28-34' -> (28, 34); None for anything else."""
    low, _sep, high = (key or "").partition("-")
    return (int(low), int(high)) if low.isdigit() and high.isdigit() else None


class Habits:
    """The habits the engine may use, indexed: who pays from an account or name, each customer's ways and fees."""

    def __init__(self, habits=(), format_date=None, min_evidence=MIN_EVIDENCE):
        self.min_evidence = min_evidence
        self.format_date = format_date or date.isoformat
        self.payers = {}  # (kind, normalized value) -> {partner: habit}
        self.by_partner = {}  # partner -> {(kind, key): habit}
        for habit in habits:
            if habit.kind in ("payer_account", "payer_name"):
                self.payers.setdefault((habit.kind, normalize(habit.key)), {})[habit.partner_id] = habit
            self.by_partner.setdefault(habit.partner_id, {})[(habit.kind, habit.key)] = habit

    def __bool__(self):
        return bool(self.by_partner)

    def payer(self, kind, value):
        """The habit naming the one customer that paid from this account (or under this name), else None."""
        key = normalize(value)
        if len(key) < 4:
            return None
        found = self.payers.get((kind, key), {})
        return next(iter(found.values())) if len(found) == 1 else None

    def get(self, partner_id, kind, key):
        """The customer's habit if it has been seen often enough to count, else None."""
        habit = self.by_partner.get(partner_id, {}).get((kind, key))
        return habit if habit and habit.count >= self.min_evidence else None

    def has_way(self, partner_id, way):
        return self.get(partner_id, "reference_pattern", way) is not None

    def slips(self, partner_id):
        """The customer's slips seen often enough to count: {'typo:dropped': habit}."""
        return {
            key: habit
            for (kind, key), habit in self.by_partner.get(partner_id, {}).items()
            if kind == "reference_pattern" and key.startswith("typo:") and habit.count >= self.min_evidence
        }

    def usual_days(self, partner_id):
        """The customer's usual days to pay: the week-bucket seen ``min_evidence`` times and on half of its
        payments or more, else None."""
        habits = [h for (kind, _key), h in self.by_partner.get(partner_id, {}).items() if kind == "days_to_pay"]
        if not habits:
            return None
        best = max(habits, key=lambda habit: (habit.count, habit.last_seen))
        if best.count < self.min_evidence or 2 * best.count < sum(habit.count for habit in habits):
            return None
        return best if days_range(best.key) else None

    @staticmethod
    def fits_days(habit, days):
        low, high = days_range(habit.key)
        return low - DAYS_SLACK <= days <= high + DAYS_SLACK

    def deduction(self, partner_id, total, difference, rounding):
        """The customer's recurring fee or discount that is exactly ``difference`` on ``total``, else None."""
        for (kind, key), habit in self.by_partner.get(partner_id, {}).items():
            if kind != "amount_relation" or habit.count < self.min_evidence:
                continue
            name, _sep, value = key.partition(":")
            if name == "fee":
                expected = float(value)
            elif name == "discount":
                expected = round(total * float(value) / 100.0, 2)
            else:
                continue
            if abs(expected - difference) < rounding / 2:
                return habit
        return None

    def evidence(self, habit):
        """'3 earlier payments, last on 2026-10-02' as lazy-translatable values."""
        return {"count": habit.count, "date": self.format_date(habit.last_seen)}

    def way_reason(self, habit, customer):
        """The reason naming the customer's way of writing references, with its evidence."""
        values = {"customer": customer, **self.evidence(habit)}
        if habit.key.startswith("po:"):
            return _lt("%(customer)s writes its PO number: %(count)s earlier payments, last on %(date)s", **values)
        if habit.key == "number":
            return _lt("%(customer)s writes the invoice number: %(count)s earlier payments, last on %(date)s", **values)
        if habit.key == "variant":
            return _lt(
                "%(customer)s writes the invoice number its own way: %(count)s earlier payments, last on %(date)s",
                **values,
            )
        if habit.key == "sequence":
            return _lt(
                "%(customer)s writes the invoice's sequence number only: %(count)s earlier payments, last on %(date)s",
                **values,
            )
        return None

    def slip_reason(self, habit, customer):
        values = {"customer": customer, **self.evidence(habit)}
        if habit.key == "typo:dropped":
            return _lt(
                "%(customer)s drops a character of the invoice number: %(count)s earlier payments, last on %(date)s",
                **values,
            )
        if habit.key == "typo:extra":
            return _lt(
                "%(customer)s adds a character to the invoice number: %(count)s earlier payments, last on %(date)s",
                **values,
            )
        return _lt(
            "%(customer)s mistypes a character of the invoice number: %(count)s earlier payments, last on %(date)s",
            **values,
        )

    def days_reason(self, habit, customer):
        return _lt(
            "%(customer)s usually pays %(days)s days after the invoice date: %(count)s earlier payments, last "
            "on %(date)s",
            customer=customer,
            days=habit.key,
            **self.evidence(habit),
        )

    def payer_reason(self, habit, customer):
        values = {"customer": customer, **self.evidence(habit)}
        if habit.kind == "payer_account":
            return _lt(
                "account %(account)s paid the invoices of %(customer)s %(count)s times, last on %(date)s",
                account=mask_account(habit.key),
                **values,
            )
        return _lt(
            "the payer's name %(name)s paid the invoices of %(customer)s %(count)s times, last on %(date)s",
            name=habit.key,
            **values,
        )

    def deduction_reason(self, habit, customer, amount):
        values = {"customer": customer, "amount": amount, **self.evidence(habit)}
        if habit.key.startswith("discount:"):
            return _lt(
                "%(customer)s deducts a discount of %(percent)s%%, %(amount)s, proposed as a write-off: "
                "%(count)s earlier payments, last on %(date)s",
                percent=habit.key[9:],
                **values,
            )
        return _lt(
            "%(customer)s deducts a fee of %(amount)s, proposed as a write-off: %(count)s earlier payments, "
            "last on %(date)s",
            **values,
        )


def mask_account(account):
    """'BE71096123456769' -> 'BE71…6769': enough to recognise, not to copy."""
    key = normalize(account).upper()  # keys are case folded: an account number reads in capitals
    return key if len(key) <= 8 else f"{key[:4]}…{key[-4:]}"
