"""The cash outlook: when and how much each open receivable item is expected to bring, from how its customer pays.

Pure Python (no ORM, no database): ``models/billing_outlook_line.py`` feeds it from the ledger and
``bench/forecast.py`` measures it on a simulated ledger, through the same ``forecast_company`` and ``weekly``.

The rules, in order:

- **Habit.** A customer's habit is learned from its paid items: days late = payment date - due date, one sample per
  payment applied. Each sample weighs 0.5 ** (age / half-life), age = days since the payment (half-life
  ``Policy.half_life``, 90 days): a payment three months old counts half as much as today's. The habit is the weighted
  median of the days late; its spread, the band, runs from the weighted 20th to the weighted 80th percentile.
- **Few samples.** With n samples the learned figures weigh n / (n + ``prior``) and the company default (days late
  and spread) the rest: the default counts as one payment. A new customer gets the default; basis "default" below
  ``habit_samples`` (3) payments, "habit" from then on.
- **Open item.** Expected on due date + habit, early on due date + low quantile, late on due date + high quantile.
- **Late already.** An item whose expected date is past is expected from what the customer did with items as late
  as this one: the weighted quantiles of its days late that are at least the item's lateness (the tail). Without
  such payments it comes from today: early today, expected today + half the customer's upper spread (1 to
  ``catch_up_max`` days), late at least that.
- **Promise.** An open promise's remaining amount is spread over its invoices, oldest due first; that part is
  expected on the promised date (today when the date is past), late on the promise's deadline (date + tolerance).
- **Dispute.** The amount in an open dispute is held back until the case is expected to close: opened + the reason's
  typical time to resolve (median days from opened to closed over the company's resolved or rejected cases of that
  reason; the company default when fewer than ``dispute_min_cases``), then paid by habit from then on.
- **At risk.** A customer who stopped paying: an item overdue by more than the limit and no payment within the limit
  (cash received but not applied counts as a payment), limit = max(``risk_min_days``, habit's late days +
  ``risk_grace_days``): 30 days, or three weeks past the customer's usual late end. Its items (but parts under an open
  promise) are "at_risk": amount expected 0, no expected date: shown, never counted.
- **Unapplied.** Cash received but not applied (a payment or a bank line on the receivable) is a row of kind
  "unapplied": already received, never expected (amount expected 0).
- **Credit notes.** An open credit note is not cash. It lowers the customer's expected amounts, earliest expected
  first (the customer deducts it when paying); the credit note itself is a row of kind "unapplied" that expects
  nothing.
- **Parts.** An item whose parts come on different dates (disputed, promised, the rest) gets one row per part; the
  parts' open amounts add up to the item's.
- **Weeks.** ``weekly`` gives per week from a start date the expected amount: each row's amount spread over its
  band, half evenly from its early to its expected date, half from its expected to its late date (a week's sum is
  then the amount the customers' spread puts in it, not a lump on one day). The band: the scenario sums with every
  row on its early date, on its expected date and on its late date; per week the low is the smallest of these and
  of the expected amount, the high the largest.
"""

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import accumulate

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Policy:
    """The company's settings and the engine's constants (see the module's docstring)."""

    default_days: float = 10.0
    default_spread: float = 10.0
    dispute_default_days: int = 30
    half_life: float = 90.0
    prior: float = 1.0
    habit_samples: int = 3
    low_quantile: float = 0.2
    high_quantile: float = 0.8
    dispute_min_cases: int = 3
    risk_min_days: int = 30
    risk_grace_days: int = 21
    catch_up_max: int = 14

    @property
    def quantiles(self):
        return (self.low_quantile, 0.5, self.high_quantile)


@dataclass(frozen=True)
class Habit:
    """Days late: expected (``days``), low (``early``) and high (``late``); ``samples`` learned from."""

    days: float
    early: float
    late: float
    samples: int
    basis: str
    learned: object = None  # the Distribution of the days late (None without samples)


@dataclass(frozen=True)
class Item:
    """An open receivable item (company currency): ``amount`` > 0 owed, < 0 a credit (credit note, unapplied cash).

    ``credit_kind``: for a credit, "cash" (payment or bank line), "credit_note" or "other" (an entry: shown apart,
    neither a payment nor netted). ``disputed``: the amount in open
    disputes on it, ``dispute_until`` when they are expected to close (opened + ``dispute_days``, the reason's
    typical days to resolve; the latest when several).
    ``promised``: the part under an open promise, with ``promise_date`` and ``promise_deadline``."""

    key: object
    due: object
    amount: float
    credit_kind: str = ""
    disputed: float = 0.0
    dispute_until: object = None
    dispute_days: float = 0.0
    promised: float = 0.0
    promise_date: object = None
    promise_deadline: object = None


@dataclass(frozen=True)
class Customer:
    """A customer's open items and history: ``samples`` are (days late, payment date) of its paid items;
    ``last_paid`` its last payment's date (the latest sample's when not given)."""

    items: tuple
    samples: tuple = ()
    last_paid: object = None


@dataclass
class Row:
    key: object
    kind: str
    amount_open: float
    amount_expected: float
    date_due: object
    date_expected: object = None
    date_early: object = None
    date_late: object = None
    basis: str = ""
    reason: tuple = field(default_factory=tuple)


class Distribution:
    """Weighted values, sorted once, for quantiles of the whole or of its tail above a value (``bisect``)."""

    __slots__ = ("cumulated", "values")

    def __init__(self, pairs):
        ordered = sorted((value, weight) for value, weight in pairs if weight > 0)
        self.values = [value for value, _weight in ordered]
        self.cumulated = list(accumulate(weight for _value, weight in ordered))

    def __bool__(self):
        return bool(self.values)

    def quantiles(self, quantiles, above=None):
        """The weighted quantiles of the values (of those above ``above`` when given; None when there are none):
        the smallest value whose cumulated weight reaches q x total; a tie at exactly q x total takes the midpoint
        with the next value, as the median of an even count."""
        values, cumulated = self.values, self.cumulated
        start = 0 if above is None else bisect_right(values, above)
        if start >= len(values):
            return None
        base = cumulated[start - 1] if start else 0.0
        total = cumulated[-1] - base
        result = []
        for q in quantiles:
            target = base + q * total
            index = max(bisect_left(cumulated, target, lo=start), start)
            if index > start and math.isclose(cumulated[index - 1], target, rel_tol=1e-9):
                index -= 1
            index = min(index, len(values) - 1)
            if math.isclose(cumulated[index], target, rel_tol=1e-9) and index + 1 < len(values):
                result.append((values[index] + values[index + 1]) / 2.0)
            else:
                result.append(float(values[index]))
        return result


def weighted_quantiles(pairs, quantiles):
    """The weighted quantiles of ``pairs`` (value, weight) (``Distribution.quantiles``)."""
    return Distribution(pairs).quantiles(quantiles)


def learn_habit(samples, today, policy):
    """The customer's ``Habit`` from ``samples`` (days late, payment date), recent ones weighing more."""
    pairs = [
        (days, 0.5 ** (max((today - paid).days, 0) / policy.half_life))
        for days, paid in samples
        if days is not None and paid is not None and paid <= today
    ]
    spread = policy.default_spread
    if not pairs:
        days = policy.default_days
        return Habit(days, days - spread, days + spread, 0, "default")
    learned = Distribution(pairs)
    low, median, high = learned.quantiles(policy.quantiles)
    share = len(pairs) / (len(pairs) + policy.prior)
    days = share * median + (1 - share) * policy.default_days
    early = days - (share * (median - low) + (1 - share) * spread)
    late = days + (share * (high - median) + (1 - share) * spread)
    return Habit(days, early, late, len(pairs), "habit" if len(pairs) >= policy.habit_samples else "default", learned)


def resolve_days(durations, policy):
    """(days, learned): the median of closed cases' days to resolve, or the default with fewer than the minimum."""
    durations = sorted(d for d in durations if d is not None and d >= 0)
    if len(durations) < policy.dispute_min_cases:
        return float(policy.dispute_default_days), False
    middle = len(durations) // 2
    median = durations[middle] if len(durations) % 2 else (durations[middle - 1] + durations[middle]) / 2.0
    return float(median), True


def allocate(amount, opens):
    """Spread ``amount`` over ``opens`` [(key, open amount)] in the order given (oldest due first), each capped at
    its open amount: {key: part}. Nothing is allocated from a negative or zero amount."""
    parts, left = {}, max(amount or 0.0, 0.0)
    for key, open_amount in opens:
        if left <= 0:
            break
        part = min(left, max(open_amount, 0.0))
        if part > 0:
            parts[key] = part
            left -= part
    return parts


def _shift(day, offset):
    return day + DAY * round(offset)


def _dated(row, expected, early, late, today, habit, policy, due=None):
    """Set the row's dates: nothing before today; one already late comes from today (see the module)."""
    if expected < today:
        if due is not None and row.reason:
            row.reason = (row.reason[0], {**row.reason[1], "late": (today - due).days})
        tail = (
            habit.learned.quantiles(policy.quantiles, above=(today - due).days - 1) if habit.learned and due else None
        )
        if tail and due + DAY * round(tail[1]) >= today:
            early, expected, late = (due + DAY * round(days) for days in tail)
        else:
            expected = today + DAY * min(max(round((habit.late - habit.days) / 2.0), 1), policy.catch_up_max)
    row.date_expected = expected
    row.date_early = min(max(early, today), expected)
    row.date_late = max(late, expected)
    return row


def at_risk(customer, habit, today, policy):
    """The limit (days) when the customer stopped paying: an item overdue by more than it and no payment within it."""
    limit = max(policy.risk_min_days, math.ceil(habit.late) + policy.risk_grace_days)
    overdue = [item.due for item in customer.items if item.amount > 0 and item.due is not None]
    if not overdue or (today - min(overdue)).days <= limit:
        return None
    if customer.last_paid is not None and (today - customer.last_paid).days <= limit:
        return None
    return limit


def _item_rows(item, habit, risk_limit, today, policy):
    """The rows of one open debit item: its disputed part, its promised part, the rest."""
    rows, rest = [], item.amount
    disputed = 0.0 if risk_limit is not None else min(max(item.disputed, 0.0), rest)
    if disputed > 0:
        rest -= disputed
        row = Row(item.key, "item", disputed, disputed, item.due, basis="dispute")
        row.reason = ("dispute", {"days": round(item.dispute_days)})
        resolved = item.dispute_until or today
        due = max(resolved, item.due or resolved)
        rows.append(
            _dated(
                row, _shift(due, habit.days), _shift(due, habit.early), _shift(due, habit.late), today, habit, policy
            )
        )
    promised = min(max(item.promised, 0.0), rest)
    if promised > 0:
        rest -= promised
        row = Row(item.key, "item", promised, promised, item.due, basis="promise")
        row.reason = ("promise", {"date": item.promise_date})
        date = max(item.promise_date, today)
        rows.append(_dated(row, date, date, max(item.promise_deadline or date, date), today, habit, policy))
    if rest > 0.005 or not rows:
        rows.append(_rest_row(item, rest, habit, risk_limit, today, policy))
    return rows


def _rest_row(item, amount, habit, risk_limit, today, policy):
    if risk_limit is not None:
        return Row(item.key, "item", amount, 0.0, item.due, basis="at_risk", reason=("at_risk", {"days": risk_limit}))
    due = item.due or today
    row = Row(item.key, "item", amount, amount, item.due, basis=habit.basis)
    if habit.basis == "habit":
        row.reason = ("habit", {"days": round(habit.days), "samples": habit.samples})
    else:
        row.reason = ("default", {"days": round(habit.days), "samples": habit.samples})
    expected, early, late = _shift(due, habit.days), _shift(due, habit.early), _shift(due, habit.late)
    return _dated(row, expected, early, late, today, habit, policy, due=due)


def _net_credit_notes(rows, credit):
    """Lower the expected amounts by ``credit`` (> 0), earliest expected first (see the module)."""
    for row in sorted((r for r in rows if r.amount_expected > 0), key=lambda r: (r.date_expected, str(r.key))):
        if credit <= 0:
            break
        taken = min(credit, row.amount_expected)
        row.amount_expected -= taken
        credit -= taken
        row.reason = (row.reason[0], {**row.reason[1], "credit_note": taken})


def forecast_customer(customer, today, policy):
    """The rows of one customer (``Customer``) on ``today``."""
    habit = learn_habit(customer.samples, today, policy)
    # The last payment: the history's (or ``last_paid`` when later), and cash received but not applied yet.
    paid = [item.due for item in customer.items if item.amount < 0 and item.credit_kind == "cash" and item.due]
    paid += [day for _days, day in customer.samples if day is not None]
    if customer.last_paid is not None:
        paid.append(customer.last_paid)
    if paid and max(paid) != customer.last_paid:
        customer = Customer(customer.items, customer.samples, max(paid))
    risk_limit = at_risk(customer, habit, today, policy)
    rows, credit_notes = [], 0.0
    for item in customer.items:
        if item.amount > 0:
            rows.extend(_item_rows(item, habit, risk_limit, today, policy))
        elif item.amount < 0:
            kind = {"credit_note": "credit_note", "cash": "unapplied"}.get(item.credit_kind, "other_credit")
            if kind == "credit_note":
                credit_notes += -item.amount
            rows.append(Row(item.key, "unapplied", -item.amount, 0.0, item.due, date_expected=None, reason=(kind, {})))
    if credit_notes > 0:
        _net_credit_notes(rows, credit_notes)
    return rows


def forecast_company(customers, today, policy):
    """{customer key: [Row]} for ``customers`` {customer key: ``Customer``}."""
    return {partner: forecast_customer(customer, today, policy) for partner, customer in customers.items()}


def _spread(sums, amount, first, last, start, weeks):
    """Add ``amount`` to ``sums`` spread evenly over the days ``first`` to ``last`` (both included)."""
    days = (last - first).days + 1
    offset = (first - start).days
    index = offset // 7
    while index < weeks and index * 7 <= offset + days - 1:
        low, high = max(index * 7, offset), min(index * 7 + 6, offset + days - 1)
        if index >= 0 and high >= low:
            sums[index] += amount * (high - low + 1) / days
        index += 1


def weekly(rows, start, weeks):
    """[(week start, expected, low, high)] for ``weeks`` weeks from ``start`` (see the module): the expected amount
    of a row is spread over its band, half evenly from its early to its expected date, half from its expected to its
    late date; low and high are the smallest and the largest of that sum and of the scenario sums with every row on
    its early date, on its expected date and on its late date."""
    sums = {name: [0.0] * weeks for name in ("spread", "early", "expected", "late")}
    for row in rows:
        if row.amount_expected <= 0 or row.date_expected is None:
            continue
        amount = row.amount_expected
        _spread(sums["spread"], amount / 2.0, row.date_early, row.date_expected, start, weeks)
        _spread(sums["spread"], amount / 2.0, row.date_expected, row.date_late, start, weeks)
        for name, day in (("early", row.date_early), ("expected", row.date_expected), ("late", row.date_late)):
            index = (day - start).days // 7
            if 0 <= index < weeks:
                sums[name][index] += amount
    result = []
    for index in range(weeks):
        figures = [sums[name][index] for name in ("spread", "early", "expected", "late")]
        result.append((start + DAY * (7 * index), figures[0], min(figures), max(figures)))
    return result
