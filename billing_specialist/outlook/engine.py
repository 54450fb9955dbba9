"""The cash outlook: when and how much each open receivable item is expected to bring, from how its customer pays.

Pure Python (no ORM, no database): ``models/billing_outlook_line.py`` feeds it from the ledger and
``bench/forecast.py`` measures it on a simulated ledger, through the same ``forecast_company`` and ``weekly``.

The rules, in order:

- **Habit.** A customer's habit is learned from its paid items: days late = payment date - due date, one sample per
  payment applied. Each sample weighs 0.5 ** (age / half-life), age = days since the payment (half-life
  ``Policy.half_life``, 90 days): a payment three months old counts half as much as today's. The habit is the weighted
  median of the days late; its spread, the band, runs from the weighted 20th to the weighted 80th percentile.
- **Few samples.** With n samples the learned figures weigh n / (n + ``prior``) and the company default (days late
  and spread) the rest: a new customer gets the default, a customer with four payments half of each. Basis "default"
  while the default weighs more, "habit" after.
- **Open item.** Expected on due date + habit, early on due date + low quantile, late on due date + high quantile.
- **Late already.** An item whose expected date is past is expected from today: early today, expected today + half
  the customer's upper spread (1 to ``catch_up_max`` days), late at least that.
- **Promise.** An open promise's remaining amount is spread over its invoices, oldest due first; that part is
  expected on the promised date (today when the date is past), late on the promise's deadline (date + tolerance).
- **Dispute.** The amount in an open dispute is held back until the case is expected to close: opened + the reason's
  typical time to resolve (median days from opened to closed over the company's resolved or rejected cases of that
  reason; the company default when fewer than ``dispute_min_cases``), then paid by habit from then on.
- **At risk.** A customer who stopped paying: an item overdue by more than the limit and no payment within the limit,
  limit = max(``risk_min_days``, habit's late days + ``risk_grace_days``). Its items (but parts under an open
  promise) are "at_risk": amount expected 0, no expected date: shown, never counted.
- **Unapplied.** Cash received but not applied (a payment or a bank line on the receivable) is a row of kind
  "unapplied": already received, never expected (amount expected 0).
- **Credit notes.** An open credit note is not cash. It lowers the customer's expected amounts, earliest expected
  first (the customer deducts it when paying); the credit note itself is a row of kind "unapplied" that expects
  nothing.
- **Parts.** An item whose parts come on different dates (disputed, promised, the rest) gets one row per part; the
  parts' open amounts add up to the item's.
- **Weeks.** ``weekly`` sums the expected amounts per week from a start date. The band is made of two scenario sums:
  every row on its early date, every row on its late date; per week the low is the smallest of the three sums (early,
  expected, late) and the high the largest.
"""

import math
from dataclasses import dataclass, field
from datetime import timedelta

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Policy:
    """The company's settings and the engine's constants (see the module's docstring)."""

    default_days: float = 10.0
    default_spread: float = 10.0
    dispute_default_days: int = 30
    half_life: float = 90.0
    prior: float = 4.0
    low_quantile: float = 0.2
    high_quantile: float = 0.8
    dispute_min_cases: int = 3
    risk_min_days: int = 60
    risk_grace_days: int = 30
    catch_up_max: int = 14


@dataclass(frozen=True)
class Habit:
    """Days late: expected (``days``), low (``early``) and high (``late``); ``samples`` learned from."""

    days: float
    early: float
    late: float
    samples: int
    basis: str


@dataclass(frozen=True)
class Item:
    """An open receivable item (company currency): ``amount`` > 0 owed, < 0 a credit (credit note, unapplied cash).

    ``credit_kind``: for a credit, "cash" (payment or bank line) or "credit_note". ``disputed``: the amount in open
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
    ``last_paid`` its last payment's date."""

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


def weighted_quantiles(pairs, quantiles):
    """The weighted quantiles of ``pairs`` (value, weight): the smallest value whose cumulated weight reaches q x
    total (a tie at exactly q x total takes the midpoint with the next value, as a median of an even count)."""
    pairs = sorted((value, weight) for value, weight in pairs if weight > 0)
    total = sum(weight for _value, weight in pairs)
    result = []
    for q in quantiles:
        target, cumulated = q * total, 0.0
        value = pairs[-1][0]
        for index, (candidate, weight) in enumerate(pairs):
            cumulated += weight
            if math.isclose(cumulated, target, rel_tol=1e-9) and index + 1 < len(pairs):
                value = (candidate + pairs[index + 1][0]) / 2.0
                break
            if cumulated > target:
                value = candidate
                break
        result.append(float(value))
    return result


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
    low, median, high = weighted_quantiles(pairs, (policy.low_quantile, 0.5, policy.high_quantile))
    share = len(pairs) / (len(pairs) + policy.prior)
    days = share * median + (1 - share) * policy.default_days
    early = days - (share * (median - low) + (1 - share) * spread)
    late = days + (share * (high - median) + (1 - share) * spread)
    return Habit(days, early, late, len(pairs), "habit" if share >= 0.5 else "default")


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


def _dated(row, expected, early, late, today, habit, policy):
    """Set the row's dates: nothing before today; one already late comes from today (see the module)."""
    if expected < today:
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
    return _dated(row, _shift(due, habit.days), _shift(due, habit.early), _shift(due, habit.late), today, habit, policy)


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
    cash = [item.due for item in customer.items if item.amount < 0 and item.credit_kind == "cash" and item.due]
    if cash and (customer.last_paid is None or max(cash) > customer.last_paid):
        customer = Customer(customer.items, customer.samples, max(cash))  # cash received, not applied yet, counts
    risk_limit = at_risk(customer, habit, today, policy)
    rows, credit_notes = [], 0.0
    for item in customer.items:
        if item.amount > 0:
            rows.extend(_item_rows(item, habit, risk_limit, today, policy))
        elif item.amount < 0:
            kind = "credit_note" if item.credit_kind == "credit_note" else "unapplied"
            if kind == "credit_note":
                credit_notes += -item.amount
            rows.append(Row(item.key, "unapplied", -item.amount, 0.0, item.due, date_expected=None, reason=(kind, {})))
    if credit_notes > 0:
        _net_credit_notes(rows, credit_notes)
    return rows


def forecast_company(customers, today, policy):
    """{customer key: [Row]} for ``customers`` {customer key: ``Customer``}."""
    return {partner: forecast_customer(customer, today, policy) for partner, customer in customers.items()}


def weekly(rows, start, weeks):
    """[(week start, expected, low, high)] for ``weeks`` weeks from ``start``: the expected amounts by week of their
    expected date; low and high from the scenario sums on the early and on the late dates (see the module)."""
    sums = {name: [0.0] * weeks for name in ("expected", "early", "late")}
    for row in rows:
        if row.amount_expected <= 0 or row.date_expected is None:
            continue
        for name, day in (("expected", row.date_expected), ("early", row.date_early), ("late", row.date_late)):
            index = (day - start).days // 7
            if 0 <= index < weeks:
                sums[name][index] += row.amount_expected
    result = []
    for index in range(weeks):
        figures = (sums["early"][index], sums["expected"][index], sums["late"][index])
        result.append((start + DAY * (7 * index), figures[1], min(figures), max(figures)))
    return result
