"""Promise-to-pay rules in plain Python: when a promise is judged and what its outcome is, no ORM."""

from .judge import ESCALATE_BELOW, Judgement, judge
