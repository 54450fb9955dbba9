"""Generated ledgers with ground truth, for property-based tests of the pure matching engine (issue 21).

``generate_world(rng)`` draws a small company: customers whose names look alike (accents, case, spacing, invisible
characters, dash look-alikes, full-width letters), bank accounts on record and shared ones, open invoices with dense
numbers, recurring amounts and sums that coincide, settled invoices, and what confirmed matches taught (``Habits``),
honest or planted by someone outside the company. ``generate_case(rng, world)`` draws one payment or bank line and
knows who paid what: the customer, the invoices and the amount each takes (``truth``), or that the evidence was made
to disagree (``must_hold``: it waits for a person). ``decide`` runs the engine as the ORM layer does
(``BillingMatcher.propose``: a remittance advice first, then the engine's own proposals) and ``check`` says what is
wrong with the outcome: an automatic application to other invoices, other amounts or another customer, or a planted
conflict applied.

``rng`` is a ``random.Random`` (``bench/fuzz_matching.py``, fast) or Hypothesis's ``st.randoms()`` (the test: its
draws shrink to a minimal example). Plain Python: no ORM.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta

from odoo.addons.billing_specialist.matching import (
    ClosedNumbers,
    Habit,
    Habits,
    LearningMatcher,
    MatchPolicy,
    OpenItem,
    Source,
)
from odoo.addons.billing_specialist.matching.remittance import AdviceLine, RemittanceRef, propose_remittance

THRESHOLD = 90  # the company's automatic threshold (the default)
TODAY = date(2026, 6, 1)
YEAR = 2026

# Names: a template and one letter drawn per customer; two customers of one template differ by that letter only,
# and its accented forms (dropped by a normalisation that keeps A-Z only) make them collide.
TEMPLATES = (
    "Gr{}n Logistik",
    "B{}cker Nord-Süd",
    "S{}ren Handel",
    "H{}gel Bau GmbH",
    "Caf{} Central",
    "Kr{}mer & Söhne",
)
LETTERS = "aouei"
ACCENTS = {"a": "äåáà", "o": "öóô", "u": "üúù", "e": "éèê", "i": "íî"}
INVISIBLE = ("\u200b", "\u00ad", "\u2060", "\ufeff", "\u200d")
DASHES = ("\u2010", "\u2011", "\u2013", "\u2014", "\u2212")
AMOUNTS = (100.0, 250.0, 99.9, 1200.0, 480.5, 75.25, 350.0, 150.0)  # few: equal amounts and sums coincide


@dataclass
class World:
    names: dict  # customer -> name
    kin: dict  # customer -> (template, base letter): two customers with the same are one name once accents fold
    items: list  # OpenItem
    accounts: dict  # account on record -> customer
    private: dict  # customer -> accounts it pays from, not on record
    closed: list  # numbers of settled invoices
    closed_amounts: dict  # settled number -> (customer, amount)
    habits: list  # Habit
    tolerance: float
    seqs: dict = field(default_factory=dict)  # sequence number -> item (open)

    def matcher(self):
        return LearningMatcher(
            self.items,
            habits=Habits(self.habits),
            partner_names=self.names,
            account_partners=self.accounts,
            policy=MatchPolicy(tolerance_amount=self.tolerance),
            closed_numbers=ClosedNumbers(self.closed, {n: (a,) for n, (_c, a) in self.closed_amounts.items()}),
        )

    def own(self, customer):
        return [it for it in self.items if it.partner_id == customer and it.amount > 0]

    def payable(self, customer):
        """The customer's open invoices it may pay without naming them exactly: none in dispute (paying one in full
        by its amount alone cannot be told from paying another of that amount; the engine takes the undisputed)."""
        return [it for it in self.own(customer) if it.disputed <= 0]

    def describe(self):
        lines = [f"tolerance {self.tolerance}"]
        lines += [f"customer {pid}: {name!r}" for pid, name in self.names.items()]
        lines += [f"account {acc!r} on record for {pid}" for acc, pid in self.accounts.items()]
        lines += [f"customer {pid} pays from {accs!r}" for pid, accs in self.private.items() if accs]
        lines += [f"open {it.id}: {it.number} of {it.partner_id}, {it.amount} refs={it.refs}" for it in self.items]
        lines += [f"settled {n} of {c}, {a}" for n, (c, a) in self.closed_amounts.items()]
        lines += [f"habit {h.partner_id} {h.kind} {h.key!r} x{h.count}" for h in self.habits]
        return "\n".join(lines)


@dataclass
class Advice:
    partner_id: int
    origin: str  # "email" (a sender anyone can forge) or "file" (imported by a specialist)
    lines: tuple  # AdviceLine


@dataclass
class Case:
    kind: str
    source: Source
    payer: int | None  # who really paid
    truth: dict  # {item id: amount} the payment really settles; {} when nothing should be applied
    must_hold: bool = False  # the evidence was made to disagree: a person decides
    advice: Advice | None = None

    def describe(self):
        text = (
            f"case {self.kind}: {self.source!r}\n  payer {self.payer}, truth {self.truth}, must hold {self.must_hold}"
        )
        if self.advice:
            text += f"\n  advice ({self.advice.origin}) of {self.advice.partner_id}: {self.advice.lines!r}"
        return text


# ---------------------------------------------------------------------- look-alike text


def look_alike(rng, text, accents=True):
    """``text`` written another way that one normalisation folds to the same key: case, accents dropped, spacing,
    invisible characters, dash look-alikes, full-width letters."""
    for _ in range(rng.randint(1, 3)):
        way = rng.choice(("upper", "lower", "strip", "space", "nbsp", "invisible", "dash", "wide", "same"))
        if way == "upper":
            text = text.upper()
        elif way == "lower":
            text = text.lower()
        elif way == "strip" and accents:
            text = "".join(_base(ch) for ch in text)
        elif way == "space":
            text = text.replace(" ", rng.choice(("", "  ", " \t")))
        elif way == "nbsp":
            text = text.replace(" ", "\u00a0")
        elif way == "invisible" and text:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(INVISIBLE) + text[at:]
        elif way == "dash":
            text = text.replace("-", rng.choice(DASHES))
        elif way == "wide":
            text = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" and _chance(rng, 0.5) else ch for ch in text)
    return text


def _chance(rng, share):
    """True ``share`` of the time; False for the draw Hypothesis shrinks to (0.0): a minimal example has no extras."""
    return rng.random() >= 1 - share


def _base(ch):
    for base, accented in ACCENTS.items():
        if ch in accented:
            return base
        if ch in accented.upper():
            return base.upper()
    return {"ß": "ss"}.get(ch, ch)


# ---------------------------------------------------------------------- the world


def number(seq):
    return f"INV/{YEAR}/{seq:05d}"


def generate_world(rng, customers=None, per_customer=4):
    count = customers or rng.randint(2, 5)
    names, used, kin = {}, set(), {}
    for pid in range(1, count + 1):
        template = rng.choice(TEMPLATES)
        for _ in range(10):
            letter = rng.choice(LETTERS)
            form = rng.choice(ACCENTS[letter] + letter)
            name = template.format(form)
            if name not in used:
                break
        used.add(name)
        names[pid] = name
        kin[pid] = (template, letter)
    seqs = list(range(40, 40 + count * (per_customer + 2) + 4))
    rng.shuffle(seqs)
    accounts, private = {}, {}
    for pid in names:
        if _chance(rng, 0.5):
            accounts[f"DE89 3704 0044 0532 {pid:04d} 00"] = pid
        private[pid] = [f"NL91ABNA04171643{pid:02d}"] if _chance(rng, 0.5) else []
    if count >= 2 and _chance(rng, 0.3):  # a payment provider's account two customers pay from
        a, b = rng.sample(sorted(names), 2)
        private[a].append("GB29NWBK60161331926819")
        private[b].append("GB29NWBK60161331926819")
    amounts = list(AMOUNTS) + [round(rng.uniform(50, 900), 2) for _ in range(3)]
    items, seq_items, item_id = [], {}, 0
    for pid in names:
        recurring = rng.choice(amounts)
        for position in range(rng.randint(1, per_customer)):
            item_id += 1
            seq = seqs.pop()
            amount = recurring if _chance(rng, 0.3) else rng.choice(amounts)
            refs = (f"PO-{seq}{rng.randint(100, 999)}",) if _chance(rng, 0.3) else ()
            due = TODAY - timedelta(days=60 - 10 * position - pid)
            disputed = round(amount * rng.choice((0.1, 0.5, 1.0)), 2) if _chance(rng, 0.1) else 0.0
            item = OpenItem(item_id, pid, number(seq), amount, due, refs, disputed, due - timedelta(days=30))
            items.append(item)
            seq_items[seq] = item
        if _chance(rng, 0.2):  # an open credit note of the customer
            item_id += 1
            seq = seqs.pop()
            due = TODAY - timedelta(days=20)
            item = OpenItem(item_id, pid, f"RINV/{YEAR}/{seq:05d}", -rng.choice((10.0, 25.5, 50.0)), due, (), 0.0, due)
            items.append(item)
            seq_items[seq] = item
    closed, closed_amounts = [], {}
    for _ in range(rng.randint(0, count * 2)):
        seq = seqs.pop()
        closed.append(number(seq))
        closed_amounts[number(seq)] = (rng.choice(sorted(names)), rng.choice(amounts))
    for item in items:  # a paid invoice whose number is an open one's with two adjacent digits swapped
        if item.amount < 0 or not _chance(rng, 0.15):
            continue
        swaps = sorted(set(_swaps(item.number.rsplit("/", 1)[1])) - {item.number.rsplit("/", 1)[1]})
        swaps = [s for s in swaps if int(s) not in seq_items and number(int(s)) not in closed_amounts]
        if swaps:
            paid = number(int(rng.choice(swaps)))
            closed.append(paid)
            closed_amounts[paid] = (item.partner_id, rng.choice((item.amount, rng.choice(amounts))))
    world = World(names, kin, items, accounts, private, closed, closed_amounts, [], rng.choice((0.0, 1.0)), seq_items)
    world.habits = _habits(rng, world)
    return world


def _habits(rng, world):
    """What confirmed matches taught: honest habits of each customer, and some planted from outside."""
    habits = []

    def learn(pid, kind, key):
        habits.append(Habit(pid, kind, key, rng.randint(3, 6), TODAY - timedelta(days=rng.randint(1, 60))))

    for pid, name in world.names.items():
        if _chance(rng, 0.4):
            learn(pid, "payer_name", look_alike(rng, name))  # its own name, as its bank writes it
        for account in world.private[pid]:
            if _chance(rng, 0.6):
                learn(pid, "payer_account", account)
        if _chance(rng, 0.3):
            learn(pid, "reference_pattern", "sequence")
        if _chance(rng, 0.2):  # a slip it makes in invoice numbers, or its way of writing them
            learn(
                pid,
                "reference_pattern",
                rng.choice(("typo:dropped", "typo:extra", "typo:changed", "number", "variant")),
            )
        if _chance(rng, 0.3):
            learn(pid, "amount_relation", "fee:15.00")
    if len(world.names) >= 2 and _chance(rng, 0.4):  # class 1: one customer's name taught for another
        a, b = rng.sample(sorted(world.names), 2)
        learn(b, "payer_name", world.names[a])
    return habits


# ---------------------------------------------------------------------- the cases

KINDS = (
    "memo",  # the memo names the invoice(s), written some way; exact, short within tolerance, partial, overpaid
    "typo",  # one character off, or two adjacent digits swapped
    "swap_paid",  # two adjacent digits swapped, naming a paid invoice
    "po_ref",  # the customer's PO number
    "amount",  # no reference: the payer's invoice of that amount, or a sum of them
    "bank_name",  # a bank line naming no customer, its payer's name written another way
    "learned_account",  # a bank line from an account the customer was seen paying from
    "learned_fee",  # the customer deducts its usual fee
    "learned_sequence",  # the customer writes the sequence number alone
    "advice",  # a true remittance advice (a file, or an e-mail)
    "forged_advice",  # an e-mailed advice forged for the customer, naming other invoices than the payment
    "advice_vs_memo",  # a file advice naming other invoices than the payment's own memo
    "other_memo",  # the payer is given (or its account, or its name), the memo names another customer's invoice
    "shared_account",  # a bank line from an account two customers pay from
    "account_vs_name",  # the bank account on record is one customer's, the payer's name another's
    "poisoned_name",  # a name taught for another customer, the payer writing its own name
    "duplicate",  # the memo names an invoice already paid, for its amount
)


class Redraw(Exception):
    """The draw cannot make this case in this world (no such invoice): draw another."""


def generate_case(rng, world, source_id, kind=None):
    for _ in range(20):
        chosen = kind or rng.choice(KINDS)
        try:
            return CASES[chosen](rng, world, source_id)
        except Redraw:
            continue
    return None


def _payer(rng, world, need=1):
    payers = [pid for pid in world.names if len(world.payable(pid)) >= need]
    if not payers:
        raise Redraw
    return rng.choice(sorted(payers))


def _identity(rng, world, pid, allow_none=True):
    """How the source says who pays: given (a payment), or a bank line with its account or name, or nothing."""
    way = rng.choice(("given", "given", "account", "name", "none") if allow_none else ("given",))
    if way == "given":
        return {"partner_id": pid}
    if way == "account":
        own = [acc for acc, owner in world.accounts.items() if owner == pid] + [
            acc for acc in world.private[pid] if sum(acc in accs for accs in world.private.values()) == 1
        ]
        if own:
            return {"account_number": look_alike(rng, rng.choice(own), accents=False)}
    if way == "name":
        return {"payer_name": look_alike(rng, world.names[pid])}
    return {}


def _memo_for(rng, item):
    prefix, year, seq = item.number.split("/")
    text = rng.choice(
        (
            item.number,
            f"{prefix} {year} {seq}",
            f"Invoice {prefix}-{year}-{int(seq)}",
            f"{year}{seq}",
            f"pmt ref {item.number.lower()}",
            f"REF:{prefix}{year}{seq} thanks",
        )
    )
    return look_alike(rng, text, accents=False) if _chance(rng, 0.5) else text


def _case_memo(rng, world, source_id):
    pid = _payer(rng, world)
    own = world.own(pid)
    items = rng.sample(own, min(len(own), rng.choice((1, 1, 1, 2))))
    credits = [it for it in world.items if it.partner_id == pid and it.amount < 0]
    if credits and _chance(rng, 0.5):  # the customer takes its credit note off the payment
        items.append(rng.choice(credits))
    memo = " + ".join(_memo_for(rng, it) for it in items)
    total = round(sum(it.amount for it in items), 2)
    how = rng.choice(("exact", "exact", "tolerance", "partial", "over")) if len(items) == 1 else "exact"
    if total <= 0:
        raise Redraw
    fee = any(h.partner_id == pid and h.key == "fee:15.00" for h in world.habits)
    truth = {it.id: it.amount for it in items}
    amount = total
    if how == "tolerance":
        if not world.tolerance:
            raise Redraw
        amount = round(total - rng.choice((0.01, 0.5, 1.0)), 2)
    elif how == "partial":
        amount = round(total * rng.choice((0.25, 0.5, 0.9)), 2)
        truth = {items[0].id: amount}
    if fee and abs(total - amount - 15.0) < 0.005:
        raise Redraw  # the customer's usual fee deducted: a full payment of the invoice
    elif how == "over":
        amount = round(total + rng.choice((1.5, 10.0, 100.0)), 2)
    source = Source(source_id, amount, memo, **_identity(rng, world, pid))
    return Case(f"memo_{how}", source, pid, truth)


def _typo(rng, seq):
    digits = list(f"{seq:05d}")
    kind = rng.choice(("substitute", "insert", "delete", "swap"))
    at = rng.randrange(len(digits))
    if kind == "substitute":
        digits[at] = rng.choice([d for d in "0123456789" if d != digits[at]])
    elif kind == "insert":
        digits.insert(at, rng.choice("0123456789"))
    elif kind == "delete":
        del digits[at]
    else:
        at = min(at, len(digits) - 2)
        digits[at], digits[at + 1] = digits[at + 1], digits[at]
    written = "".join(digits)
    if written == f"{seq:05d}" or int(written or 0) == seq:
        raise Redraw
    return kind, written


def _swaps(digits):
    return [digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :] for i in range(len(digits) - 1)]


def _case_swap_paid(rng, world, source_id):
    """The memo names the payer's invoice with two adjacent digits swapped, which is a paid invoice's number."""
    pairs = []
    for item in world.items:
        if item.amount < 0 or item.disputed > 0:
            continue
        seq = item.number.rsplit("/", 1)[1]
        for swapped in _swaps(seq):
            paid = number(int(swapped))
            if swapped != seq and paid in world.closed_amounts:
                pairs.append((item, paid))
    if not pairs:
        raise Redraw
    item, paid = rng.choice(pairs)
    identity = _identity(rng, world, item.partner_id)
    memo = rng.choice(("{}", "payment {}", "{} thanks")).format(paid)
    # The paid invoice's own amount: it may well be paid twice, a person decides.
    twice = abs(world.closed_amounts[paid][1] - item.amount) < 0.005
    return Case(
        "swap_paid",
        Source(source_id, item.amount, memo, **identity),
        item.partner_id,
        {item.id: item.amount},
        must_hold=twice,
    )


def _case_typo(rng, world, source_id):
    pid = _payer(rng, world)
    item = rng.choice(world.payable(pid))
    seq = int(item.number.rsplit("/", 1)[1])
    kind, written = _typo(rng, seq)
    identity = _identity(rng, world, pid)
    other = world.seqs.get(int(written))
    if other is not None and (other.partner_id == pid or "partner_id" not in identity):
        raise Redraw  # it names another open invoice exactly: nothing can tell it is a typo
    memo = rng.choice(("{}", "payment {}", "{} thanks")).format(f"INV/{YEAR}/{written}")
    source = Source(source_id, item.amount, memo, **identity)
    return Case(f"typo_{kind}", source, pid, {item.id: item.amount})


def _case_po_ref(rng, world, source_id):
    with_ref = [it for it in world.items if it.refs]
    if not with_ref:
        raise Redraw
    item = rng.choice(with_ref)
    memo = rng.choice(("our {}", "{}", "PO {}")).format(look_alike(rng, item.refs[0], accents=False))
    source = Source(source_id, item.amount, memo, **_identity(rng, world, item.partner_id))
    return Case("po_ref", source, item.partner_id, {item.id: item.amount})


def _case_amount(rng, world, source_id):
    pid = _payer(rng, world)
    own = world.payable(pid)
    size = rng.choice((1, 1, 2, 3))
    if size > len(own):
        size = 1
    items = rng.sample(own, size)
    amount = round(sum(it.amount for it in items), 2)
    identity = _identity(rng, world, pid)
    source = Source(source_id, amount, rng.choice(("", "thank you", "payment")), **identity)
    # A payer's name, exact or learned, is text anyone writes: alone, it never applies anything.
    return Case(f"amount_{size}", source, pid, {it.id: it.amount for it in items}, must_hold="payer_name" in identity)


def _case_bank_name(rng, world, source_id):
    pid = _payer(rng, world)
    item = rng.choice(world.payable(pid))
    name = look_alike(rng, world.names[pid])
    way = rng.choice(("nothing", "name", "invoice"))
    memo = {"nothing": "", "name": f"{name} payment", "invoice": _memo_for(rng, item)}[way]
    source = Source(source_id, item.amount, memo, payer_name=rng.choice((name, None)) if memo else name)
    # Without the invoice named, the name is the only evidence: it never applies alone.
    named = way == "invoice"
    return Case("bank_name", source, pid, {item.id: item.amount}, must_hold=not named)


def _case_learned_account(rng, world, source_id):
    taught = [h for h in world.habits if h.kind == "payer_account" and world.payable(h.partner_id)]
    if not taught:
        raise Redraw
    habit = rng.choice(taught)
    pid = next(p for p, accs in world.private.items() if habit.key in accs and p == habit.partner_id)
    item = rng.choice(world.payable(pid))
    source = Source(source_id, item.amount, rng.choice(("", "salary")), account_number=habit.key)
    return Case("learned_account", source, pid, {item.id: item.amount})


def _case_learned_fee(rng, world, source_id):
    taught = [h.partner_id for h in world.habits if h.key == "fee:15.00" and world.payable(h.partner_id)]
    if not taught:
        raise Redraw
    pid = rng.choice(taught)
    fitting = [it for it in world.payable(pid) if it.amount > 15]
    if not fitting:
        raise Redraw
    item = rng.choice(fitting)
    source = Source(source_id, round(item.amount - 15.0, 2), "", partner_id=pid)
    return Case("learned_fee", source, pid, {item.id: item.amount})


def _case_learned_sequence(rng, world, source_id):
    taught = [h.partner_id for h in world.habits if h.key == "sequence" and world.payable(h.partner_id)]
    if not taught:
        raise Redraw
    pid = rng.choice(taught)
    item = rng.choice(world.payable(pid))
    memo = rng.choice(("payment {}", "{}", "inv {} thanks")).format(int(item.number.rsplit("/", 1)[1]))
    source = Source(source_id, item.amount, memo, **_identity(rng, world, pid))
    return Case("learned_sequence", source, pid, {item.id: item.amount})


def _advice_ref(rng, item, world):
    """How an advice writes the invoice: as issued, another way, or with one typo that names no other invoice of
    the customer (a typo landing on another of its numbers cannot be told from that number)."""
    way = rng.choice(("number", "look", "dashes", "typo"))
    if way == "typo":
        seq = int(item.number.rsplit("/", 1)[1])
        try:
            _kind, written = _typo(rng, seq)
        except Redraw:
            return item.number
        other = world.seqs.get(int(written))
        if (other is None or other.partner_id != item.partner_id) and f"{YEAR}/{written}" not in str(world.closed):
            return f"INV/{YEAR}/{written}"
        return item.number
    return {
        "number": item.number,
        "look": look_alike(rng, item.number, accents=False),
        "dashes": item.number.replace("/", "-"),
    }[way]


def _case_advice(rng, world, source_id):
    pid = _payer(rng, world)
    own = world.own(pid)
    items = rng.sample(own, rng.randint(1, min(3, len(own))))
    lines, truth = [], {}
    for it in items:
        deduction = rng.choice((0.0, 0.0, 10.0)) if it.amount > 10 else 0.0
        paid = round(it.amount - deduction, 2)
        lines.append(AdviceLine(_advice_ref(rng, it, world), paid, deduction, "damaged" if deduction else ""))
        truth[it.id] = paid
    amount = round(sum(truth.values()), 2)
    memo = rng.choice(("", "remittance", " ".join(it.number for it in items)))
    origin = rng.choice(("email", "file"))
    return Case(
        f"advice_{origin}",
        Source(source_id, amount, memo, partner_id=pid),
        pid,
        truth,
        advice=Advice(pid, origin, tuple(lines)),
    )


def _other_items_for(rng, own, item, amount):
    """Other invoices of the customer an advice may name for ``amount``: one of that amount, or two summing to it."""
    others = [it for it in own if it.id != item.id]
    same = [it for it in others if abs(it.amount - amount) < 0.005]
    if same:
        return [rng.choice(same)]
    pairs = [(a, b) for a in others for b in others if a.id < b.id and abs(a.amount + b.amount - amount) < 0.005]
    if pairs:
        return list(rng.choice(pairs))
    if others:  # an advice naming another invoice, paying it partly: its total is the payment
        return [rng.choice([it for it in others if it.amount >= amount] or others)]
    raise Redraw


def _case_forged_advice(rng, world, source_id):
    pid = _payer(rng, world, need=2)
    own = world.payable(pid)
    item = rng.choice(own)
    named = _other_items_for(rng, own, item, item.amount)
    left = item.amount
    lines = []
    for it in named:
        paid = round(min(it.amount, left), 2)
        left = round(left - paid, 2)
        lines.append(AdviceLine(it.number, paid))
    if left > 0.005:
        raise Redraw
    memo_names = _chance(rng, 0.6)
    memo = _memo_for(rng, item) if memo_names else ""
    source = Source(source_id, item.amount, memo, partner_id=pid)
    # Against a memo naming the payment's own invoice: a conflict, a person decides. Without one, the amount may.
    return Case(
        "forged_advice" + ("_vs_memo" if memo_names else ""),
        source,
        pid,
        {item.id: item.amount},
        must_hold=memo_names,
        advice=Advice(pid, "email", tuple(lines)),
    )


def _case_advice_vs_memo(rng, world, source_id):
    pid = _payer(rng, world, need=2)
    own = world.own(pid)
    item = rng.choice(own)
    named = _other_items_for(rng, own, item, item.amount)
    left, lines = item.amount, []
    for it in named:
        paid = round(min(it.amount, left), 2)
        left = round(left - paid, 2)
        lines.append(AdviceLine(it.number, paid))
    if left > 0.005:
        raise Redraw
    source = Source(source_id, item.amount, _memo_for(rng, item), partner_id=pid)
    return Case(
        "file_advice_vs_memo",
        source,
        pid,
        {item.id: item.amount},
        must_hold=True,
        advice=Advice(pid, "file", tuple(lines)),
    )


def _case_other_memo(rng, world, source_id):
    pid = _payer(rng, world, need=0)
    others = [it for it in world.items if it.partner_id != pid and it.amount > 0]
    if not others:
        raise Redraw
    item = rng.choice(others)
    accounts = [acc for acc, owner in world.accounts.items() if owner == pid]
    way = rng.choice(("given", "account", "name", "mixed"))
    memo = _memo_for(rng, item)
    amount = item.amount
    if way == "account" and accounts:  # a bank line from the payer's account on record
        identity = {"account_number": look_alike(rng, rng.choice(accounts), accents=False)}
    elif way == "name" and [p for p in world.names if world.kin[p] == world.kin[pid]] == [pid]:
        identity = {"payer_name": look_alike(rng, world.names[pid])}  # the payer's name, its alone
    elif way == "mixed" and world.own(pid):  # the payer's own invoice and another customer's
        own = rng.choice(world.own(pid))
        memo = f"{_memo_for(rng, own)} + {memo}"
        amount = round(own.amount + rng.choice((0.0, item.amount)), 2)
        identity = {"partner_id": pid}
    else:
        identity = {"partner_id": pid}
    source = Source(source_id, amount, memo, **identity)
    return Case("other_memo", source, pid, {}, must_hold=True)


def _case_shared_account(rng, world, source_id):
    """A bank line from an account several customers pay from (a payment provider's), naming no customer."""
    shared = sorted(
        {
            acc
            for accs in world.private.values()
            for acc in accs
            if sum(acc in others for others in world.private.values()) > 1
        }
    )
    if not shared:
        raise Redraw
    account = rng.choice(shared)
    payers = [pid for pid, accs in world.private.items() if account in accs and world.payable(pid)]
    learned = {h.partner_id for h in world.habits if h.kind == "payer_account" and h.key == account}
    # Learned for another customer only, it points to that one: the line cannot be told from its payment.
    payers = [pid for pid in payers if pid in learned or not learned - {pid}]
    if not payers:
        raise Redraw
    pid = rng.choice(payers)
    item = rng.choice(world.payable(pid))
    memo = rng.choice(("", _memo_for(rng, item)))
    return Case(
        "shared_account", Source(source_id, item.amount, memo, account_number=account), pid, {item.id: item.amount}
    )


def _case_account_vs_name(rng, world, source_id):
    if len(world.names) < 2 or not world.accounts:
        raise Redraw
    account, owner = rng.choice(sorted(world.accounts.items()))
    # The payer's name is another customer's, and no one else's (a name two customers share names neither).
    other = rng.choice([pid for pid in world.names if pid != owner])
    if [pid for pid in world.names if world.kin[pid] == world.kin[other]] != [other]:
        raise Redraw
    pool = world.own(owner) + world.own(other)
    if not pool:
        raise Redraw
    item = rng.choice(pool)
    source = Source(source_id, item.amount, "", account_number=account, payer_name=world.names[other])
    return Case("account_vs_name", source, None, {}, must_hold=True)


def _case_poisoned_name(rng, world, source_id):
    planted = [
        h
        for h in world.habits
        if h.kind == "payer_name" and h.key in world.names.values() and world.names[h.partner_id] != h.key
    ]
    if not planted:
        raise Redraw
    habit = rng.choice(planted)
    pid = next(p for p, name in world.names.items() if name == habit.key)
    own = world.own(pid)
    if not own:
        raise Redraw
    item = rng.choice(own)
    source = Source(source_id, item.amount, "", payer_name=look_alike(rng, world.names[pid]))
    return Case("poisoned_name", source, pid, {item.id: item.amount}, must_hold=True)


def _case_duplicate(rng, world, source_id):
    if not world.closed:
        raise Redraw
    closed = rng.choice(world.closed)
    pid, amount = world.closed_amounts[closed]
    source = Source(source_id, amount, closed, **_identity(rng, world, pid, allow_none=False))
    return Case("duplicate", source, pid, {}, must_hold=True)


CASES = {
    "memo": _case_memo,
    "typo": _case_typo,
    "swap_paid": _case_swap_paid,
    "po_ref": _case_po_ref,
    "amount": _case_amount,
    "bank_name": _case_bank_name,
    "learned_account": _case_learned_account,
    "learned_fee": _case_learned_fee,
    "learned_sequence": _case_learned_sequence,
    "advice": _case_advice,
    "forged_advice": _case_forged_advice,
    "advice_vs_memo": _case_advice_vs_memo,
    "other_memo": _case_other_memo,
    "shared_account": _case_shared_account,
    "account_vs_name": _case_account_vs_name,
    "poisoned_name": _case_poisoned_name,
    "duplicate": _case_duplicate,
}


# ---------------------------------------------------------------------- the engine as the ORM layer runs it


def remittance_ref(advice, advice_id=1):
    """The advice as the engine sees it: an e-mailed one nobody vouched for does not decide (``decides``)."""
    values = {"id": advice_id, "label": f"ADV-{advice_id}", "partner_id": advice.partner_id, "lines": advice.lines}
    if "decides" in {f.name for f in dataclasses.fields(RemittanceRef)}:
        values["decides"] = advice.origin == "file"
        values["sender"] = "ap@customer.example" if advice.origin == "email" else ""
    return RemittanceRef(**values)


def advice_for(world, case):
    """The advice the ORM layer would attach to the source (``billing.remittance._billing_for_source``): the
    customer's, its total within the tolerance of the amount."""
    advice = case.advice
    if advice is None or case.source.partner_id != advice.partner_id:
        return None
    total = sum(line.paid for line in advice.lines)
    if abs(total - case.source.amount) > world.tolerance + 0.005:
        return None
    return advice


def decide(matcher, world, case, threshold=THRESHOLD):
    """Proposals for the case's source, best first, as ``BillingMatcher.propose`` gives them for one currency."""
    advice = advice_for(world, case)
    remitted = propose_remittance(matcher, case.source, remittance_ref(advice)) if advice else None
    if remitted and (remitted.conflict or remitted.confidence >= threshold):
        return [remitted]
    proposals = matcher.propose(case.source)
    if remitted:
        proposals = sorted([remitted, *proposals], key=lambda proposal: -proposal.confidence)
    return proposals


def applied(proposals, threshold=THRESHOLD):
    """The proposal the automatic run applies, or None."""
    best = proposals[0] if proposals else None
    if best is None or best.conflict or best.confidence < threshold:
        return None
    return best


def check(matcher, world, case):
    """(applied proposal or None, what is wrong with it or None): applied for a planted conflict, by an e-mailed
    advice, or to other invoices, amounts or customer than the truth."""
    best = applied(decide(matcher, world, case))
    if best is None:
        return None, None
    if case.must_hold:
        return best, "a conflict was applied"
    if best.remittance_id is not None and case.advice and case.advice.origin == "email":
        return best, "an e-mailed advice decided"  # its sender can be forged: it only proposes
    got = {a.item_id: round(a.amount, 2) for a in best.allocations}
    want = {item_id: round(amount, 2) for item_id, amount in case.truth.items()}
    if set(got) != set(want):
        return best, "applied to other invoices"
    if any(abs(got[i] - want[i]) > 0.005 for i in got):
        return best, "applied other amounts"
    if best.partner_id != case.payer:
        return best, "applied for another customer"
    return best, None


def explain(world, case, proposal, problem):
    reasons = proposal.explain() if proposal else ""
    allocations = [(a.item_id, a.amount) for a in proposal.allocations] if proposal else []
    return (
        f"{problem}\n{world.describe()}\n{case.describe()}\n  applied: {allocations} "
        f"(confidence {proposal and proposal.confidence}): {reasons}"
    )
