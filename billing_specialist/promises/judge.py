"""How a promise to pay is judged.

A promise covers some invoices, an amount and a date; the company's tolerance (days for a transfer to arrive) gives
its deadline, ``date + tolerance``. The payments counted are those applied to the promised invoices since the
promise was made, up to the deadline (the caller sums them, in the promise's currency). Then:

- on or before the deadline, the promise stays open unless it is already paid in full (kept, judged early);
- the day after the deadline it is judged: ``kept`` when the payments reach the amount (to the currency's
  rounding), ``partial`` when something but not all was paid, ``broken`` when nothing was;
- what the customer still had to pay may shrink after the promise (a credit note, a write-off, a new dispute): the
  promise is judged against ``paid + still open`` when that is less than the amount, and closed as ``cancelled``
  (no escalation) when nothing is left to pay without a payment; a credit note is never counted as a payment;
- a broken promise escalates the customer (one follow-up level up, a broken promise counted, a call today). A
  partially kept promise escalates too when less than ``ESCALATE_BELOW`` (half) of the amount was paid: SAP keeps
  partial as its own outcome, but a customer who pays a tenth of what was promised broke the promise in practice.
"""

from dataclasses import dataclass
from datetime import date

ESCALATE_BELOW = 0.5


@dataclass(frozen=True)
class Judgement:
    state: str  # "open" (not judged yet), "kept", "partial", "broken" or "cancelled" (nothing left to pay)
    escalate: bool  # raise the customer's follow-up level, count a broken promise, call today


def judge(
    amount: float, paid: float, deadline: date, today: date, rounding: float, still_open: float | None = None
) -> Judgement:
    """The outcome of a promise of ``amount`` with ``paid`` applied, judged on ``today``.

    ``rounding`` is the currency's smallest unit: a payment short of the amount by less than half of it is a
    payment in full. ``still_open`` is what is left to pay on the promised invoices now (disputed amounts excluded).
    """
    if still_open is not None:
        owed = paid + still_open
        if owed < rounding / 2:
            return Judgement("cancelled", False)
        amount = min(amount, owed)
    shortfall = amount - paid
    if shortfall < rounding / 2:
        return Judgement("kept", False)
    if today <= deadline:
        return Judgement("open", False)
    if paid < rounding / 2:
        return Judgement("broken", True)
    return Judgement("partial", paid < amount * ESCALATE_BELOW)
