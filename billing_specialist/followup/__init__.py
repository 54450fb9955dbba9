"""Follow-up arithmetic in plain Python: effective days overdue, item and customer levels, no ORM."""

from .engine import Item, Plan, effective_days, level_index, paused_days, plan_customer
