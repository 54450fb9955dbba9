"""Which level an overdue customer is followed up at, and whether it gets a message today.

The models read the ledger (one query for all customers) and hand each customer's open items to ``plan_customer``;
nothing here touches the database.

Rules:
    - An item is *overdue* from the day after its due date: ``raw days = today - due`` (1 the day after).
    - Its *effective* days are the raw days less the days it spent in dispute after its due date (when the company
      says days in dispute do not count): a case opened on O and closed on C (or still open: today) pauses the days
      of ``(max(O, due), min(C, today)]``; overlapping cases pause a day once.
    - An item *reaches* the highest level whose delay is at most its effective days (and none while not overdue).
    - A customer is followed up at the highest level its chased items reach, raised by ``bump`` levels (broken
      promises), capped at the last level.
    - It gets a message only when one of its chased items reaches a level higher than the one it was last sent at,
      or a broken promise raised it; so a second run on the same day sends nothing new.
"""

from dataclasses import dataclass, field
from datetime import date


def paused_days(due: date, today: date, intervals) -> int:
    """Days after ``due`` up to ``today`` covered by the dispute ``intervals`` [(opened, closed or None)], merged."""
    spans = sorted(
        (max(opened, due), min(closed or today, today))
        for opened, closed in intervals
        if min(closed or today, today) > max(opened, due)
    )
    total, current = 0, None
    for start, end in spans:
        if current and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current:
            total += (current[1] - current[0]).days
        current = (start, end)
    if current:
        total += (current[1] - current[0]).days
    return total


def effective_days(due: date, today: date, intervals=(), skip_dispute_days=True) -> int:
    """Days overdue that count toward the next level (raw days when not overdue or when dispute days count)."""
    raw = (today - due).days
    if raw <= 0 or not skip_dispute_days:
        return raw
    return raw - paused_days(due, today, intervals)


def level_index(delays, days):
    """Index of the highest level (``delays`` ascending) reached after ``days`` overdue; None below the first."""
    reached = None
    for index, delay in enumerate(delays):
        if days >= max(delay, 1):
            reached = index
    return reached


@dataclass
class Item:
    """One open invoice of a customer. ``sent`` is the ladder index it was last sent at (-1: never)."""

    move_id: int
    days: int  # effective days overdue
    chased: bool = True  # False: shown in the message but not followed up (all in dispute, promised)
    sent: int = -1
    reached: int | None = None


@dataclass
class Plan:
    """A customer's follow-up today: the ladder index it is sent at, and whether anything new is due."""

    level: int | None = None
    new: bool = False
    next_in: int | None = None  # days until a chased or overdue item reaches its next level
    items: list = field(default_factory=list)

    @property
    def chased(self):
        return [item for item in self.items if item.chased and item.reached is not None]


def plan_customer(items, delays, bump=0) -> Plan:
    """The customer's plan: the level of its most overdue chased item plus ``bump``, capped at the last level."""
    plan = Plan(items=list(items))
    waits = []
    for item in plan.items:
        item.reached = level_index(delays, item.days) if item.chased else None
        if item.chased and item.days > 0:
            following = 0 if item.reached is None else item.reached + 1
            if following < len(delays):
                waits.append(max(delays[following], 1) - item.days)
    plan.next_in = min(waits) if waits else None
    chased = plan.chased
    if not chased or not delays:
        return plan
    top = max(item.reached for item in chased)
    plan.level = min(top + max(bump, 0), len(delays) - 1)
    plan.new = bump > 0 or any(item.reached > item.sent for item in chased)
    return plan
