"""Helpers shared by the benchmark scripts (run them as ``python3 bench/<script>.py``)."""

import io
import os
import subprocess
from datetime import date, timedelta

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# The columns the COPY generators write for an invoice and its journal items (collections, reporting).
MOVE_COLUMNS = (
    "id",
    "journal_id",
    "company_id",
    "currency_id",
    "state",
    "move_type",
    "auto_post",
    "date",
    "name",
    "partner_id",
    "commercial_partner_id",
    "invoice_date",
    "invoice_date_due",
    "amount_total",
    "amount_total_signed",
    "amount_residual",
    "amount_residual_signed",
    "amount_untaxed",
    "amount_untaxed_signed",
    "payment_state",
)
LINE_COLUMNS = (
    "id",
    "move_id",
    "company_id",
    "journal_id",
    "account_id",
    "partner_id",
    "date",
    "date_maturity",
    "balance",
    "debit",
    "credit",
    "amount_currency",
    "currency_id",
    "company_currency_id",
    "parent_state",
    "display_type",
    "amount_residual",
    "amount_residual_currency",
    "reconciled",
    "move_name",
)


def addons_path():
    """Odoo's own addons (beside the odoo package in a source checkout), then this repository."""
    import odoo

    root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
    extra = os.path.join(root, "addons")
    return ",".join(path for path in (extra if os.path.isdir(extra) else None, REPO) if path)


def db_exists(db):
    out = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", f"select 1 from pg_database where datname='{db}'"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() == "1"


def odoo_once(db, addons, *options):
    """Run Odoo once on ``db`` with ``options`` (``-i``/``-u`` modules) and stop; its log goes nowhere."""
    import sys

    command = [sys.executable, "-m", "odoo", "server", "-d", db, f"--addons-path={addons}", *options]
    subprocess.run([*command, "--stop-after-init", "--log-level=warn"], check=True, stderr=subprocess.DEVNULL)


def update_module(db, addons):
    """Bring an existing benchmark database to the addon's current code (new fields, views)."""
    odoo_once(db, addons, "-u", "billing_specialist")


def install(db, addons, modules="billing_specialist", *options):
    """Create ``db`` with ``modules`` installed (no demo data)."""
    odoo_once(db, addons, "-i", modules, "--without-demo=all", *options)


def prepare_registry(db, reset, generate, describe):
    """The benchmark database's registry: ``db`` created with the addon (no demo) and filled by ``generate(env)``
    on the first run (``describe(result)`` says what was generated), updated to the current code on later runs;
    ``reset`` drops it first."""
    import time

    import odoo
    from odoo.modules.registry import Registry

    addons = addons_path()
    if reset and db_exists(db):
        subprocess.run(["dropdb", db], check=True)
    fresh = not db_exists(db)
    if not fresh:
        update_module(db, addons)
    else:
        install(db, addons)
    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    registry = Registry(db)
    if fresh:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            started = time.perf_counter()
            result = generate(env)
            print(f"generated {describe(result)} in {time.perf_counter() - started:.0f} s")
    return registry


def unique_amounts(rng, low=100, high=9000):
    """A function giving amounts (two decimals, drawn uniformly) never given before: no accidental equal amounts."""
    used = set()

    def amount():
        while True:
            value = round(rng.uniform(low, high), 2)
            if value not in used:
                used.add(value)
                return value

    return amount


def copy_rows(cr, table, columns, rows):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    cr.copy_from(buffer, table, columns=columns)


def reserve_ids(cr, table, count):
    cr.execute(f"SELECT nextval('{table}_id_seq')")
    first = cr.fetchone()[0]
    cr.execute(f"SELECT setval('{table}_id_seq', %s)", (first + count,))
    return first


# The matching benchmark's cases and the memos customers write (bench/matching.py, _ledger_copy.py, _replay.py).
MIX = [  # (case, share, identifiable)
    ("number", 0.26, True),
    ("bank_line", 0.04, True),  # a bank statement line naming no customer: found from the invoice number
    ("foreign", 0.02, True),  # paid in the company's currency, invoiced in EUR, the rate moved since
    ("po_ref", 0.08, True),
    ("typo", 0.07, True),
    ("swap", 0.03, True),  # two adjacent digits of the number swapped: often another invoice's number, paid or open
    ("unique_amount", 0.10, True),
    ("several", 0.10, True),
    ("partial", 0.05, True),
    ("overpay", 0.04, True),
    ("tolerance", 0.04, True),
    ("recurring", 0.10, False),
    ("combination", 0.07, False),
]


def memo_variant(rng, name):
    prefix, year, seq = name.split("/")
    return rng.choice(
        [
            name,
            f"{prefix} {year} {seq}",
            f"Invoice {prefix}-{year}-{int(seq)}",
            f"{year}{seq}",
            f"pmt ref {name.lower()}",
            f"REF:{prefix}{year}{seq} thanks",
        ]
    )


def typo(rng, name):
    prefix, year, seq = name.split("/")
    digits = list(seq)
    kind = rng.choice(["substitute", "insert", "delete"])
    position = rng.randrange(len(digits))
    if kind == "substitute":
        digits[position] = rng.choice([d for d in "0123456789" if d != digits[position]])
    elif kind == "insert":
        digits.insert(position, rng.choice("0123456789"))
    else:
        del digits[position]
    return f"{prefix}/{year}/{''.join(digits)}"


def swap(rng, name):
    """The number with two adjacent different digits of its sequence swapped (INV/2026/00042 -> INV/2026/00024)."""
    prefix, year, seq = name.split("/")
    positions = [i for i in range(len(seq) - 1) if seq[i] != seq[i + 1]]
    if not positions:
        return name
    i = rng.choice(positions)
    return f"{prefix}/{year}/{seq[:i]}{seq[i + 1]}{seq[i]}{seq[i + 2 :]}"


def setup(env):
    """The settings and records both generators share: tolerance, write-off account, EUR rates, the product.

    :return: (bank journal, EUR currency, product)
    """
    company = env.company
    company.billing_match_tolerance_amount = 1.0
    company.billing_writeoff_account_id = env["account.account"].search(
        [*env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")], limit=1
    )
    company.billing_dispute_send_acknowledgement = False
    bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    # EUR: 1.8 per company unit when invoiced, 2.0 since (payments in the company's currency convert exactly).
    eur = env.ref("base.EUR")
    eur.active = True
    env["res.currency.rate"].create(
        [
            {"currency_id": eur.id, "name": "2000-01-01", "rate": 1.8},
            {"currency_id": eur.id, "name": date.today() - timedelta(days=10), "rate": 2.0},
        ]
    )
    product = env["product.product"].create({"name": "Bench service", "taxes_id": [(5, 0, 0)]})
    return bank, eur, product
