"""Remittance advices in plain Python: reading their lines (CSV/XLSX rows, text) and proposing from them.

A remittance advice is the customer's own breakdown of one payment: which invoices it pays, how much of each, and
what it deducts (with a reason in words). Reading is driven by a ``Layout`` (the customer's saved format: columns by
header name or 1-based position, separate debit/credit columns, decimal comma, date formats, a regular expression
with named groups for text); nothing read is ever executed or evaluated. ``propose_remittance`` turns an advice into
the engine's ``Proposal`` for the payment it explains, each reference resolved through the engine's reference search
(variants, leading zeros, one typo), with a confidence and reasons like any other source:

    98  every reference names one open invoice of the customer exactly, and the lines take the payment exactly
    95  ... the payment is short of the lines within the company's tolerance (the difference is a write-off)
    92  ... one reference or more has one typo
    90  ... a typo gives another customer's number, but the customer's only invoice one typo away is open for
        exactly the line's amount paid plus deduction (and the other customer's is not); or several of the
        customer's invoices are one typo away and only one of them, not named by another line, is open for that
        amount
     0  held for review: a reference naming nothing, another customer's invoice, an invoice twice, more paid than
        is open, or invoices left partly open (deductions) while the payment is not exactly the advice's total;
        a payment whose memo names open invoices the advice does not pay (the evidence disagrees); and every
        proposal of an advice nobody vouched for (``RemittanceRef.decides``: an e-mail's sender can be forged)

Deductions on several invoices are applied as written: each invoice takes exactly its amount paid (the application
caps each one, see ``billing.payment.apply._reconcile_capped``), the deductions stay open on them.
"""

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from odoo.tools.translate import LazyTranslate

from .engine import Allocation, Matcher, Proposal, normalize

_lt = LazyTranslate(__name__, default_lang="en_US")

MAX_AMOUNT = 1e12  # larger amounts are refused: a misread column, not a payment
DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%Y", "%d-%m-%Y")
MAX_NAMED_IN_REASONS = 5
MAX_TEXT_LINES = 20000  # lines of an e-mail body or a PDF's text read for an advice; more is refused
DEFAULT_LINE_PATTERN = (
    r"(?P<reference>[A-Za-z][A-Za-z0-9/\-_.#]*\d)\s+(?P<amount>-?[\d.,' ]*\d)"
    r"(?:\s+(?P<deduction>[\d.,' ]*\d)(?:\s+(?P<reason>[A-Za-z].*))?)?\s*$"
)


class RemittanceParseError(ValueError):
    """Rows that cannot be read: ``errors`` is [(row number, message)], all of them, for one clear message."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{row}: {message}" for row, message in errors))
        self.errors = errors


@dataclass(frozen=True)
class Layout:
    """Where a customer's advice keeps what: each column a header name or a 1-based position ('' for none)."""

    reference: str = "1"
    amount: str = "2"
    debit: str = ""
    credit: str = ""
    deduction: str = ""
    reason: str = ""
    date: str = ""
    has_header: bool = True
    skip_rows: int = 0
    decimal_comma: bool = False
    date_formats: tuple = DEFAULT_DATE_FORMATS
    line_pattern: str = DEFAULT_LINE_PATTERN
    digits: int = 2  # the decimals of the advice's currency: amounts with more are refused, the rest rounded to it


@dataclass(frozen=True)
class AdviceLine:
    reference: str
    paid: float
    deduction: float = 0.0
    reason: str = ""
    row: int = 0
    date: dt.date | None = None


@dataclass
class Advice:
    """What was read: the lines (in file order) and the latest date found, if any."""

    lines: list = field(default_factory=list)
    date: dt.date | None = None

    @property
    def total(self):
        return round(sum(line.paid for line in self.lines), 6)


GROUPING_MARKS = ("\u00a0", "\u202f", "\u2009", " ", "'", "\u2019")  # thousands marks of no convention
CURRENCY_MARKS = ("€", "$", "£", "CHF", "EUR", "USD", "GBP")


def _read_number(body, decimal_comma, digits):
    """``body`` (digits, '.' and ',' only) read in one convention: (value, None) or (None, why it is refused)."""
    point, group = (",", ".") if decimal_comma else (".", ",")
    if point in body:
        whole, _sep, decimals = body.rpartition(point)
        if group in decimals:
            return None, "convention"
        if not decimals:
            return None, "number"
    else:
        whole, decimals = body, ""
    if point in whole:
        return None, "convention"
    if group in whole and not re.fullmatch(r"[1-9][0-9]{0,2}(?:" + re.escape(group) + r"[0-9]{3})+", whole):
        return None, "grouping"
    whole = whole.replace(group, "")
    if not whole or not whole.isascii() or not whole.isdigit() or (decimals and not re.fullmatch("[0-9]+", decimals)):
        return None, "number"
    if len(decimals) > digits:
        return None, "decimals"
    return float(f"{whole}.{decimals or 0}"), None


def parse_amount(text, decimal_comma=False, digits=2):
    """An amount written in the format's convention, rounded to ``digits`` decimals (the currency's).

    '1.234,56' (decimal comma) or '1,234.56' (decimal point) -> 1234.56; '(12.00)' and '12.00-' -> -12.0; '' -> 0.0.
    Spaces and apostrophes may group thousands. Refused, never reinterpreted: an amount written in the other
    convention ('1.234,56' where the format reads decimal points), a thousands separator out of place ('1,23'), more
    decimals than the currency has, and an amount the other convention reads as another valid amount ('1,234' with
    three decimals to the currency: 1234 or 1.234).

    :raise ValueError: not a number, written in the other convention, ambiguous, not finite, or too large.
    """
    shown = str(text if text is not None else "").strip()[:60]
    value = shown
    for mark in GROUPING_MARKS:
        value = value.replace(mark, "")
    if not value:
        return 0.0
    negative, value = _sign(value)
    if not value or not re.fullmatch(r"[0-9.,]+", value) or not value[0].isdigit():
        raise ValueError(_lt("%(value)s is not an amount", value=shown))
    amount, why = _read_number(value, decimal_comma, digits)
    other, _other_why = _read_number(value, not decimal_comma, digits)
    if amount is None:
        raise _misread(shown, why, other is not None, decimal_comma, digits)
    if other is not None and other != amount:
        first, second = (f"{number:.{digits}f}" for number in (amount, other))  # outside _lt: babel reads its strings
        raise ValueError(
            _lt(
                "%(value)s is ambiguous: it reads %(first)s or %(second)s; write it without thousands separators",
                value=shown,
                first=first,
                second=second,
            )
        )
    if not math.isfinite(amount) or abs(amount) > MAX_AMOUNT:
        raise ValueError(_lt("%(value)s is not a plausible amount", value=shown))
    amount = round(amount, digits)
    return -amount if negative else amount


def _sign(value):
    """(negative, the digits and separators): '(12.00)', '12.00-' and '-12.00' are negative; currency marks go."""
    negative = value.startswith("(") and value.endswith(")") or value.endswith("-")
    value = value.removeprefix("(").removesuffix(")").removesuffix("-")
    for symbol in CURRENCY_MARKS:
        value = value.replace(symbol, "")
    if value[:1] in ("+", "-"):
        negative = negative or value[0] == "-"
        value = value[1:]
    return negative, value


def _misread(shown, why, other_reads, decimal_comma, digits):
    """The error for an amount the format's convention does not read (``why``, see ``_read_number``);
    ``other_reads``: the other convention reads it."""
    convention = _lt("decimal comma") if decimal_comma else _lt("decimal point")
    if other_reads:
        return ValueError(
            _lt(
                "%(value)s is written in the other decimal convention: the format reads amounts with a %(convention)s",
                value=shown,
                convention=convention,
            )
        )
    if why == "decimals":
        return ValueError(_lt("%(value)s has more decimals than the currency's %(digits)s", value=shown, digits=digits))
    if why in ("grouping", "convention"):
        return ValueError(
            _lt(
                "%(value)s has a thousands separator out of place for the format (%(convention)s)",
                value=shown,
                convention=convention,
            )
        )
    return ValueError(_lt("%(value)s is not an amount", value=shown))


def _number_cell(value, digits):
    """A number from a spreadsheet cell: refused with more decimals than the currency has (float noise aside)."""
    if not math.isfinite(value) or abs(value) > MAX_AMOUNT:
        raise ValueError(_lt("%(value)s is not a plausible amount", value=str(value)))
    scaled = value * 10**digits
    if abs(scaled - round(scaled)) > max(1e-6, abs(scaled) * 1e-15):
        raise ValueError(
            _lt("%(value)s has more decimals than the currency's %(digits)s", value=repr(value), digits=digits)
        )
    return round(float(value), digits)


def parse_date(value, formats=DEFAULT_DATE_FORMATS):
    """A date from a cell (a date, a datetime, or text in one of ``formats``); None for an empty cell."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_lt("%(value)s is not a date in the formats %(formats)s", value=text, formats=", ".join(formats)))


def _column_index(spec, header):
    """The 0-based index of a column given by header name (any case) or 1-based position; None when not set."""
    spec = (spec or "").strip()
    if not spec:
        return None
    if spec.isdigit():
        return int(spec) - 1
    names = [normalize(str(cell)) for cell in header]
    wanted = normalize(spec)
    if wanted in names:
        return names.index(wanted)
    raise ValueError(_lt("the column %(column)s is not in the header", column=spec))


def _cell(row, index):
    if index is None or index >= len(row):
        return ""
    value = row[index]
    return "" if value is None else value


def _amount_cell(value, layout):
    if isinstance(value, bool):
        raise ValueError(_lt("%(value)s is not an amount", value=str(value)))
    if isinstance(value, (int, float)):
        return _number_cell(value, layout.digits)
    return parse_amount(value, layout.decimal_comma, layout.digits)


def parse_rows(rows, layout):
    """Read an advice from table rows (lists of cells: text, numbers or dates), as ``layout`` says.

    Empty rows are skipped. Every row that cannot be read is reported, with its 1-based row number in the file.

    :raise RemittanceParseError: with all the rows refused; nothing is returned then.
    """
    rows = [list(row) for row in rows]
    start = max(layout.skip_rows, 0)
    header = rows[start] if layout.has_header and len(rows) > start else []
    first = start + (1 if layout.has_header else 0)
    try:
        columns = {
            name: _column_index(getattr(layout, name), header)
            for name in ("reference", "amount", "debit", "credit", "deduction", "reason", "date")
        }
    except ValueError as error:
        raise RemittanceParseError([(start + 1, error.args[0])]) from error
    if columns["reference"] is None:
        raise RemittanceParseError([(start + 1, _lt("no reference column is set"))])
    two_columns = columns["debit"] is not None or columns["credit"] is not None
    if not two_columns and columns["amount"] is None:
        raise RemittanceParseError([(start + 1, _lt("no amount column (or debit and credit columns) is set"))])
    advice, errors = Advice(), []
    for number, row in enumerate(rows[first:], start=first + 1):
        if not any(str(cell).strip() for cell in row if cell is not None):
            continue
        try:
            line = _read_row(row, number, columns, two_columns, layout)
        except ValueError as error:
            errors.append((number, error.args[0]))
            continue
        advice.lines.append(line)
        if line.date and (advice.date is None or line.date > advice.date):
            advice.date = line.date
    if errors:
        raise RemittanceParseError(errors)
    if not advice.lines:
        raise RemittanceParseError([(first + 1, _lt("no line to import"))])
    return advice


def _read_row(row, number, columns, two_columns, layout):
    reference = str(_cell(row, columns["reference"])).strip()
    if not reference:
        raise ValueError(_lt("no invoice reference"))
    if two_columns:
        debit = _amount_cell(_cell(row, columns["debit"]), layout)
        credit = _amount_cell(_cell(row, columns["credit"]), layout)
        if debit < 0 or credit < 0:
            raise ValueError(_lt("a debit or credit cannot be negative"))
        paid = debit - credit  # a credit: a credit note the customer takes off the payment
    else:
        paid = _amount_cell(_cell(row, columns["amount"]), layout)
        if paid < 0:
            raise ValueError(_lt("the amount paid cannot be negative (use debit and credit columns for credit notes)"))
    deduction = _amount_cell(_cell(row, columns["deduction"]), layout)
    if deduction < 0:
        raise ValueError(_lt("a deduction cannot be negative"))
    if not paid and not deduction:
        raise ValueError(_lt("neither an amount paid nor a deduction"))
    reason = str(_cell(row, columns["reason"])).strip()[:200]
    when = parse_date(_cell(row, columns["date"]), layout.date_formats) if columns["date"] is not None else None
    return AdviceLine(
        reference[:100], round(paid, layout.digits), round(deduction, layout.digits), reason, number, when
    )


UNBOUNDED = float("inf")
_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _skip_class(pattern, i):
    """The index after the character class opening at ``pattern[i]`` (``[``): a ``]`` first is a literal."""
    i += 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _quantifier(pattern, i):
    """The largest count of the quantifier at ``pattern[i]`` (None when there is none) and the index after it."""
    while pattern.startswith("(?#", i):  # a comment between an atom and its quantifier
        i = pattern.index(")", i) + 1
    if i >= len(pattern):
        return None, i
    char, most = pattern[i], None
    if char in "*+":
        most, i = UNBOUNDED, i + 1
    elif char == "?":
        most, i = 1, i + 1
    elif char == "{" and (braces := _BRACES.match(pattern, i)) and (braces[1] or braces[2]):
        least, comma, upper = braces.groups()
        most, i = (int(upper) if upper else UNBOUNDED) if comma else int(least), braces.end()
    if most is not None and i < len(pattern) and pattern[i] in "?+":  # lazy or possessive
        i += 1
    return most, i


def _nested_repeat(pattern):
    """Whether a repeat sits inside another repeat, one of them unbounded: ``(a+)+``, ``(\\w*)*``, ``(a{1,9})*``.

    Read from the pattern's text (compiled before, so well formed): each open group keeps the largest counts of the
    repeats it holds that no repeat inside it encloses; a group repeated more than once checks them on closing."""
    stack, i = [[]], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("(?#", i):  # a comment
            i = pattern.index(")", i) + 1
            continue
        if char == "(":
            stack.append([])
            # a conditional group's condition, (?(name)yes|no), is a name: not a group of its own
            i = pattern.index(")", i + 3) + 1 if pattern.startswith("(?(", i) else i + 1
            continue
        if char == ")":
            held = stack.pop()
        else:
            held = []
            i = _skip_class(pattern, i) - 1 if char == "[" else i + (2 if char == "\\" else 1) - 1
        most, i = _quantifier(pattern, i + 1)
        if most is not None and most > 1:
            if any(UNBOUNDED in (most, inner) for inner in held):
                return True
            stack[-1].append(most)
        else:
            stack[-1].extend(held)
    return False


def check_line_pattern(pattern):
    """Refuse a text line pattern that could take exponential time on a line (a repeat inside a repeat).

    :raise ValueError: with the reason.
    """
    if _nested_repeat(pattern):
        raise ValueError(
            _lt(
                "a repeated group holds a repetition itself (as in (a+)+): it can take a catastrophic "
                "time on some lines; write it without nesting"
            )
        )


def parse_text(text, layout):
    """Read an advice from free text (an e-mail body, a PDF's text): each line matched by ``layout.line_pattern``.

    The pattern's named groups: ``reference`` and ``amount`` (required), ``deduction`` and ``reason`` (optional).
    Lines that do not match are ignored (greetings, headings, totals that name no invoice).
    """
    try:
        pattern = re.compile(layout.line_pattern or DEFAULT_LINE_PATTERN)
    except re.error as error:
        raise RemittanceParseError([(0, _lt("the line pattern is not valid: %(error)s", error=str(error)))]) from error
    if not {"reference", "amount"} <= set(pattern.groupindex):
        raise RemittanceParseError([(0, _lt("the line pattern needs the groups reference and amount"))])
    try:
        check_line_pattern(pattern.pattern)
    except ValueError as error:
        raise RemittanceParseError([(0, error.args[0])]) from error
    lines = (text or "").splitlines()
    if len(lines) > MAX_TEXT_LINES:  # refused, not cut: a cut advice would be imported short of its lines
        raise RemittanceParseError([(0, _lt("the text has more than %(count)s lines", count=MAX_TEXT_LINES))])
    advice, errors = Advice(), []
    for number, raw in enumerate(lines, start=1):
        match = pattern.search(raw.strip()[:500])
        if not match:
            continue
        groups = match.groupdict()
        try:
            paid = parse_amount(groups.get("amount"), layout.decimal_comma, layout.digits)
            deduction = parse_amount(groups.get("deduction") or "", layout.decimal_comma, layout.digits)
            if paid < 0 or deduction < 0:
                raise ValueError(_lt("amounts cannot be negative"))
        except ValueError as error:
            errors.append((number, error.args[0]))
            continue
        reason = (groups.get("reason") or "").strip()[:200]
        advice.lines.append(AdviceLine(groups["reference"].strip()[:100], paid, deduction, reason, number))
    if errors:
        raise RemittanceParseError(errors)
    if not advice.lines:
        raise RemittanceParseError([(0, _lt("no line of the text names an invoice and an amount"))])
    return advice


# ---------------------------------------------------------------------- matching


@dataclass(frozen=True)
class RemittanceRef:
    """An advice as the engine sees it: its record id, label (reference), customer and lines."""

    id: int
    label: str
    partner_id: int
    lines: tuple
    # A person vouched for it (imported by a specialist, or an e-mailed advice a specialist vouched for). An advice
    # nobody vouched for (its sender, ``sender``, can be forged) only proposes: every proposal it makes is held.
    decides: bool = True
    sender: str = ""


def resolve_reference(matcher, reference, partner_id, amount=None, exclude=frozenset()):
    """The customer's open item that ``reference`` names, and how: ('exact'|'written'|'typo', item) or (None, None);
    ('other', item) when it names exactly an item of another customer (and none of this customer's).

    The engine's keys (the number and its variants, the customer's PO numbers), then one typo, searched among the
    advice's customer's items only: the advice says who pays, so a key only has to be unique among that customer's
    items, and one customer's reference never picks another's invoice.

    A typo can land on another customer's number (numbers are dense): it is then taken for the customer's own
    invoice only when ``amount`` (what the line pays plus its deduction) corroborates it: the customer's only item
    one typo away is open for exactly that amount and the other customer's is not ('typo_other', item).
    When several of the customer's items are one typo away, the one open for exactly ``amount`` among those the
    advice's other lines do not name (``exclude``) is taken, if it is the only one ('typo_inferred', item).
    """
    candidates = matcher._candidates(reference)
    exact = _own_hits(matcher, candidates, partner_id)
    if len(exact) == 1:
        item = matcher.items[exact.pop()]
        keys = {normalize(item.number), *(normalize(ref) for ref in item.refs)}
        return ("exact" if normalize(reference) in keys else "written"), item
    if exact:
        return None, None
    others = {i for candidate in candidates for i in matcher.exact_ids(candidate)}
    item, inferred = _own_typo(matcher, candidates, reference, partner_id, amount, exclude)
    if others:  # it names another customer's invoice exactly: a typo for the customer's own only if amounts agree
        other = matcher.items[min(others)]
        if (
            item
            and amount is not None
            and all(not matcher._is_zero(matcher.items[i].amount - amount) for i in others)
            and matcher._is_zero(item.amount - amount)
        ):
            return "typo_other", item
        return "other", other
    if item and inferred:
        return "typo_inferred", item
    if item:
        return ("written" if matcher._written_differently(reference, item.number) else "typo"), item
    return None, None


@dataclass(frozen=True)
class Understood:
    """What an advice line was understood as, right after import (``understand_reference``).

    ``how``: 'exact', 'written' or 'typo' with ``item`` (the customer's invoice it names); 'several' with the
    customer's numbers it could name (``candidates``); 'not_found' (no invoice of the customer: a reference naming
    another customer's invoice is not found either, and names nothing of it)."""

    how: str
    item: object = None
    candidates: tuple = ()


class AdviceMatcher(Matcher):
    """A ``Matcher`` for the lines of advices: what each reference is split into is worked out once, as advices
    name the same references again (two passes over the lines, the open then all invoices)."""

    _shared_candidates = None

    def share_candidates(self, cache):
        """Use ``cache`` (a dict: reference -> candidates) for ``_candidates``, shared with other matchers."""
        self._shared_candidates = cache
        return self

    def _candidates(self, memo):
        cache = self._shared_candidates
        if cache is None:
            return super()._candidates(memo)
        found = cache.get(memo)
        if found is None:
            found = cache[memo] = super()._candidates(memo)
        return found


def understand_reference(matchers, reference, partner_id, amount=None, exclude=frozenset()):
    """What ``reference`` names among the customer's invoices: an ``Understood``.

    ``matchers``: (the customer's open items, all its invoices with the paid ones: the same matcher when none is
    paid); each may also hold other customers' invoices named exactly, so that a typo landing on one is read as the
    matching reads it (``resolve_reference``). The number as written first (a paid invoice named exactly is that
    invoice), then several of the customer's named alike, then one typo among the open invoices, then among all.
    Another customer's invoice is never the answer: it is 'not_found'."""
    open_items, all_items = matchers
    how_all, item_all = resolve_reference(all_items, reference, partner_id, amount, exclude)
    if how_all in ("exact", "written"):
        return Understood(how_all, item_all)
    several = _own_exact(all_items, reference, partner_id)
    if len(several) <= 1:
        tried = [(how_all, item_all)]
        if open_items is not all_items:
            tried.insert(0, resolve_reference(open_items, reference, partner_id, amount, exclude))
        for how, item in tried:
            if how == "other":
                return Understood("not_found")
            if item is not None:
                return Understood("typo", item)
        several = _own_fuzzy(open_items, reference, partner_id)
        if not several and open_items is not all_items:
            several = _own_fuzzy(all_items, reference, partner_id)
    if len(several) > 1:
        numbers = sorted(all_items.items[i].number for i in several)
        return Understood("several", candidates=tuple(numbers[:MAX_NAMED_IN_REASONS]))
    return Understood("not_found")


def _own_exact(matcher, reference, partner_id):
    """The customer's items a reference names exactly (by number, a variant of it or a reference)."""
    candidates = matcher._candidates(reference)
    return {i for c in candidates for i in matcher.exact_ids(c) if matcher.items[i].partner_id == partner_id}


def _own_fuzzy(matcher, reference, partner_id):
    """The customer's items one typo away from a reference (those whose full number is, when some are)."""
    typed = [c for c in matcher._candidates(reference) if len(c) >= 6 and any(ch.isdigit() for ch in c)]
    fuzzy = {i for c in typed for i in matcher.typo_neighbours(c) if matcher.items[i].partner_id == partner_id}
    written = normalize(reference)
    return {i for i in fuzzy if _one_edit(written, normalize(matcher.items[i].number))} or fuzzy


def _own_typo(matcher, candidates, reference, partner_id, amount=None, exclude=frozenset()):
    """The customer's only open item one typo away from the reference: (item, False); when several are, the only
    one of them open for exactly ``amount`` and not in ``exclude``: (item, True); else (None, False).

    Two adjacent digits swapped are one typo too: a reference one substitution from an invoice and one swap from
    another names either (the amount may tell which), never the first alone."""
    typed = [c for c in candidates if len(c) >= 6 and any(ch.isdigit() for ch in c)]
    fuzzy = {
        i
        for candidate in typed
        for i in matcher.typo_neighbours(candidate)
        if matcher.items[i].partner_id == partner_id
    }
    fuzzy |= {
        i
        for candidate in typed
        if len(candidate) <= matcher._longest_key
        for swap in matcher._adjacent_swaps(candidate)
        for i in matcher.by_key.get(swap)
        if matcher.items[i].partner_id == partner_id
    }
    if len(fuzzy) > 1:  # several one edit away from some variant: the one whose full number is one edit away
        written = normalize(reference)
        fuzzy = {i for i in fuzzy if _one_edit(written, normalize(matcher.items[i].number))}
    if len(fuzzy) == 1:
        return matcher.items[fuzzy.pop()], False
    if len(fuzzy) > 1 and amount is not None:  # the advice's other lines and the amount say which
        fitting = {i for i in fuzzy - set(exclude) if matcher._is_zero(matcher.items[i].amount - amount)}
        if len(fitting) == 1:
            return matcher.items[fitting.pop()], True
    return None, False


def _one_edit(first, second):
    """Whether two strings differ by one insertion, deletion, substitution or swap of adjacent characters at most."""
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) == len(second):
        differ = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        return len(differ) <= 1 or (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and first[differ[0]] == second[differ[1]]
            and first[differ[1]] == second[differ[0]]
        )
    short, long = sorted((first, second), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def named_by(matcher, candidates, partner_id):
    """The customer's items a reference's ``candidates`` name: one item is what ``resolve_reference`` takes as
    'exact' or 'written'."""
    return _own_hits(matcher, candidates, partner_id)


def _own_hits(matcher, candidates, partner_id):
    """The customer's items that a candidate names alone (a candidate naming several of them names none)."""
    hits = set()
    for candidate in candidates:
        own = {i for i in matcher.exact_ids(candidate) if matcher.items[i].partner_id == partner_id}
        if len(own) == 1:
            hits |= own
    return hits


def propose_remittance(matcher, source, remittance):
    """The proposal an advice makes for ``source`` (its payment): each line's invoice for the amount it pays."""
    proposal = Proposal(source.id, remittance.partner_id, [], 98, [], remittance_id=remittance.id)
    label = remittance.label
    seen, written, partial = {}, [], []
    named = set()  # the items the advice's lines name exactly: a typo elsewhere in it does not mean them
    for line in remittance.lines:
        how, item = resolve_reference(matcher, line.reference, remittance.partner_id)
        if how in ("exact", "written"):
            named.add(item.id)
    for line in remittance.lines:
        how, item = resolve_reference(
            matcher, line.reference, remittance.partner_id, line.paid + line.deduction, exclude=named
        )
        if how == "other":
            proposal.hold(
                _lt(
                    "remittance %(advice)s names %(number)s, an invoice of another customer",
                    advice=label,
                    number=item.number,
                )
            )
            continue
        if item is None:
            proposal.hold(
                _lt(
                    "remittance %(advice)s names %(ref)s: no open invoice of the customer",
                    advice=label,
                    ref=line.reference,
                )
            )
            continue
        if item.id in seen:
            proposal.hold(_lt("remittance %(advice)s names %(number)s twice", advice=label, number=item.number))
            continue
        seen[item.id] = line
        if how == "typo":
            proposal.confidence = min(proposal.confidence, 92)
        elif how in ("typo_other", "typo_inferred"):  # the amount decides: surer than no number, less than one
            proposal.confidence = min(proposal.confidence, 90)
        if how != "exact":
            written.append((item.number, line.reference, how))
        _check_line(matcher, proposal, label, item, line, partial)
        proposal.allocations.append(_allocation(matcher, item, line))
    _explain(matcher, proposal, label, seen, written)
    _settle_total(matcher, proposal, source, bool(partial))
    _check_memo(matcher, proposal, label, source)
    if not remittance.decides:
        proposal.hold(
            _lt(
                "remittance %(advice)s came by e-mail from %(sender)s, an address that is not verified: it "
                "only proposes, a specialist applies it or vouches for it",
                advice=label,
                sender=remittance.sender or "-",
            )
        )
    return proposal


def _check_memo(matcher, proposal, label, source):
    """The payment's own memo is other evidence: when it names open invoices the advice does not pay, the two
    disagree and a person decides, whoever sent or imported the advice."""
    if not source.memo:
        return
    paid = set(proposal.item_ids)
    others = [item for item in matcher.named_items(source.memo) if item.id not in paid]
    if others:
        numbers = ", ".join(item.number for item in others[:MAX_NAMED_IN_REASONS])
        proposal.hold(
            _lt(
                "the payment's memo names %(numbers)s, which remittance %(advice)s does not pay: the "
                "evidence disagrees",
                numbers=numbers,
                advice=label,
            )
        )


def _allocation(matcher, item, line):
    amount = item.amount if item.amount < 0 else line.paid
    return Allocation(item.id, matcher._round(amount))


def _check_line(matcher, proposal, label, item, line, partial):
    """Hold the proposal when the line cannot be applied as written; note an invoice the line leaves partly open."""
    values = {"advice": label, "number": item.number, "paid": matcher.format_amount(line.paid)}
    if item.amount < 0 or line.paid < 0:
        if not matcher._is_zero(item.amount - line.paid):
            proposal.hold(
                _lt(
                    "remittance %(advice)s takes %(paid)s for %(number)s, which is no credit note open for that amount",
                    **values,
                )
            )
        return
    if line.paid - item.amount > matcher.rounding / 2:
        proposal.hold(
            _lt(
                "remittance %(advice)s pays %(paid)s on %(number)s, open for %(open)s only",
                open=matcher.format_amount(item.amount),
                **values,
            )
        )
    elif item.amount - line.paid > matcher.rounding / 2:
        partial.append(item.number)
        proposal.reasons.append(_short_reason(matcher, label, item, line))


def _short_reason(matcher, label, item, line):
    """Why the line pays less than its invoice's open amount: its deduction (the customer's reason code), or none."""
    values = {
        "short": matcher.format_amount(item.amount - line.paid),
        "advice": label,
        "row": line.row or "?",
        "number": item.number,
    }
    if line.deduction > 0 and matcher._is_zero(item.amount - line.paid - line.deduction):
        return _lt(
            "short by %(short)s: deduction '%(reason)s' on line %(row)s of advice %(advice)s (invoice %(number)s)",
            reason=line.reason or "-",
            **values,
        )
    if line.deduction > 0:
        return _lt(
            "short by %(short)s: deduction '%(reason)s' of %(deduction)s on line %(row)s of advice %(advice)s "
            "(invoice %(number)s), which is not the difference",
            reason=line.reason or "-",
            deduction=matcher.format_amount(line.deduction),
            **values,
        )
    return _lt(
        "short by %(short)s: line %(row)s of advice %(advice)s pays %(paid)s of the %(open)s open on %(number)s, "
        "with no deduction",
        paid=matcher.format_amount(line.paid),
        open=matcher.format_amount(item.amount),
        **values,
    )


def _explain(matcher, proposal, label, seen, written):
    if len(seen) == 1:
        proposal.reasons.insert(0, _lt("remittance %(advice)s names 1 open invoice of the customer", advice=label))
    else:
        proposal.reasons.insert(
            0,
            _lt(
                "remittance %(advice)s names %(count)s open invoices of the customer",
                advice=label,
                count=matcher.format_count(len(seen)),
            ),
        )
    for number, reference, how in written[:MAX_NAMED_IN_REASONS]:
        proposal.reasons.insert(1, _written_reason(label, number, reference, how))
    if len(written) > MAX_NAMED_IN_REASONS:
        proposal.reasons.append(
            _lt(
                "and %(count)s more written differently",
                count=matcher.format_count(len(written) - MAX_NAMED_IN_REASONS),
            )
        )
    _explain_deductions(matcher, proposal, seen)


def _written_reason(label, number, reference, how):
    """The reason for a line naming ``number`` as ``reference`` (``how``: see ``resolve_reference``)."""
    if how == "typo":
        return _lt(
            "remittance %(advice)s names %(number)s (written %(ref)s, one typo)",
            advice=label,
            number=number,
            ref=reference,
        )
    if how == "typo_inferred":
        return _lt(
            "remittance %(advice)s names %(number)s (written %(ref)s, one typo: of the customer's "
            "invoices one typo away, the only one no other line names that is open for the line's "
            "amount)",
            advice=label,
            number=number,
            ref=reference,
        )
    if how == "typo_other":
        return _lt(
            "remittance %(advice)s names %(number)s (written %(ref)s, one typo: another customer's "
            "number, but only %(number)s is open for the line's amount)",
            advice=label,
            number=number,
            ref=reference,
        )
    return _lt("remittance %(advice)s names %(number)s (written %(ref)s)", advice=label, number=number, ref=reference)


def _explain_deductions(matcher, proposal, seen):
    """The lines' deductions, each of which opens a dispute case."""
    deducted = [line for line in seen.values() if line.deduction > 0]
    amount = matcher.format_amount(sum(line.deduction for line in deducted))
    if len(deducted) == 1:
        proposal.reasons.append(_lt("a deduction of %(amount)s: it opens a dispute case", amount=amount))
    elif deducted:
        proposal.reasons.append(
            _lt(
                "%(count)s deductions (%(amount)s): each opens a dispute case",
                count=matcher.format_count(len(deducted)),
                amount=amount,
            )
        )


def _settle_total(matcher, proposal, source, partial):
    """The payment against the lines: exact, short within tolerance (a write-off), or more (open credit)."""
    wanted = sum(allocation.amount for allocation in proposal.allocations)
    difference = matcher._round(wanted - source.amount)
    if matcher._is_zero(difference):
        proposal.reasons.append(_lt("the payment is the remittance's total"))
    elif partial:  # an invoice left open by its deduction takes exactly its amount paid: no more, no less
        amount = matcher.format_amount(abs(difference))
        if difference > 0:
            proposal.hold(
                _lt(
                    "the payment is %(amount)s short of the remittance, which leaves invoices partly open: "
                    "each must take exactly its amount paid",
                    amount=amount,
                )
            )
        else:
            proposal.hold(
                _lt(
                    "the payment is %(amount)s more than the remittance, which leaves invoices partly "
                    "open: each must take exactly its amount paid",
                    amount=amount,
                )
            )
    elif difference > 0 and matcher._within_tolerance(difference, source.amount):
        proposal.writeoff = difference
        proposal.confidence = min(proposal.confidence, 95)
        proposal.reasons.append(
            _lt(
                "difference %(amount)s within tolerance, proposed as a write-off",
                amount=matcher.format_amount(difference),
            )
        )
    elif difference < 0:
        proposal.remainder = -difference
        proposal.confidence = min(proposal.confidence, 93)
        proposal.reasons.append(
            _lt(
                "the payment is %(amount)s more than the remittance: it stays as open credit",
                amount=matcher.format_amount(-difference),
            )
        )
    else:
        proposal.hold(
            _lt("the payment is %(amount)s short of the remittance", amount=matcher.format_amount(difference))
        )
