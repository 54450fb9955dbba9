"""Pre-send invoice checks in plain Python: the decision rules, no ORM (the models gather the data and call them)."""

from .rules import (
    CHECK_CODES,
    CHECK_DEFAULTS,
    MODES,
    AmountHistory,
    amount_band,
    has_postal_address,
    is_unusual_amount,
)
