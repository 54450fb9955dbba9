"""Decision rules of the pre-send invoice checks.

Each check is configured per company (``billing.invoice.check``) as *block*, *warn* or *off*. The models gather
the figures with one SQL query per check over all the invoices being checked; the rules below decide.

Unusual amount. The customer's own history: the amounts of its last ``HISTORY_WINDOW`` posted documents of the same
type and currency. With fewer than ``min_history`` of them nothing is flagged. Otherwise the amount is unusual when
it lies outside ``mean +- max(factor * standard deviation, tolerance percent of the mean)``: the band Odoo itself
uses for vendor bills (factor 2), widened so that a customer billed the same amount every month is not flagged for
a cent of rounding.
"""

import math
from dataclasses import dataclass

MODES = [("block", "Block"), ("warn", "Warn"), ("off", "Off")]

CHECK_CODES = [
    ("duplicate", "Near-duplicate"),
    ("po_required", "PO Reference Required"),
    ("unusual_amount", "Unusual Amount"),
    ("tax", "Taxes and Fiscal Position"),
    ("delivery", "No Way to Deliver"),
    ("currency", "Unusual Currency"),
    ("dispute", "Recent Dispute on the Same Product"),
]

# Every check warns until a billing manager decides to block: a new install must not stop invoicing.
CHECK_DEFAULTS = {
    "duplicate": {"sequence": 10, "tolerance_amount": 0.0, "tolerance_percent": 1.0, "days_window": 7},
    "po_required": {"sequence": 20},
    "unusual_amount": {"sequence": 30, "min_history": 10, "factor": 2.0, "tolerance_percent": 10.0},
    "tax": {"sequence": 40},
    "delivery": {"sequence": 50},
    "currency": {"sequence": 60, "min_history": 3},
    "dispute": {"sequence": 70, "lookback_days": 60},
}

HISTORY_WINDOW = 30


@dataclass(frozen=True)
class AmountHistory:
    """Figures of a customer's last posted documents of one type and currency."""

    count: int
    mean: float
    stddev: float


def amount_band(history, factor, min_percent):
    """The (low, high) amounts considered usual for ``history``."""
    wiggle = max(factor * (history.stddev or 0.0), abs(history.mean) * (min_percent or 0.0) / 100.0)
    return history.mean - wiggle, history.mean + wiggle


def is_unusual_amount(amount, history, min_history, factor, min_percent):
    """Whether ``amount`` lies outside the customer's usual band; never with fewer than ``min_history`` documents."""
    if history is None or history.count < min_history or not math.isfinite(history.mean):
        return False
    low, high = amount_band(history, factor, min_percent)
    return not low <= amount <= high


def has_postal_address(street, city, zip_code, country):
    """A letter needs a street, a town (or postcode) and a country."""
    return bool((street or "").strip() and ((city or "").strip() or (zip_code or "").strip()) and country)
