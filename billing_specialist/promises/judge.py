"""How a promise to pay is judged.

A promise covers some invoices, an amount and a date; the company's tolerance (days for a transfer to arrive) gives
its deadline, ``date + tolerance``. The payments counted are those applied to the promised invoices since the
promise was made, up to the deadline (the caller sums them, in the promise's currency). Then:

- on or before the deadline, the promise stays open unless it is already paid in full (kept, judged early);
- the day after the deadline it is judged: ``kept`` when the payments reach the amount (to the currency's
  rounding), ``partial`` when something but not all was paid, ``broken`` when nothing was;
- a broken promise escalates the customer (one follow-up level up, a broken promise counted, a call today). A
  partially kept promise escalates too when less than ``ESCALATE_BELOW`` (half) of the amount was paid: SAP keeps
  partial as its own outcome, but a customer who pays a tenth of what was promised broke the promise in practice.
"""

from dataclasses import dataclass
from datetime import date

ESCALATE_BELOW = 0.5


@dataclass(frozen=True)
class Judgement:
    state: str  # "open" (not judged yet), "kept", "partial" or "broken"
    escalate: bool  # raise the customer's follow-up level, count a broken promise, call today


def judge(amount: float, paid: float, deadline: date, today: date, rounding: float) -> Judgement:
    """The outcome of a promise of ``amount`` with ``paid`` applied, judged on ``today``.

    ``rounding`` is the currency's smallest unit: a payment short of the amount by less than half of it is a
    payment in full.
    """
    shortfall = amount - paid
    if shortfall < rounding / 2:
        return Judgement("kept", False)
    if today <= deadline:
        return Judgement("open", False)
    if paid < rounding / 2:
        return Judgement("broken", True)
    return Judgement("partial", paid < amount * ESCALATE_BELOW)
