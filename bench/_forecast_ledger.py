"""The large ledger of ``bench/forecast.py --items N --database NAME`` and the timing of the real refresh.

Loaded with COPY (as ``bench/reporting.py``): N open invoices of N / 20 customers (due from 120 days ago to 60 days
ahead), N paid invoices as history (paid in the last year by registered payments, ``account_payment`` rows,
reconciled; each customer with its own lateness: 0, 5, 20 or 35 days), 1 % of the open invoices in an open dispute case, 1 % under an open promise.
"""

import importlib.util
import os
import random
import time
from datetime import date, timedelta

from _common import LINE_COLUMNS, MOVE_COLUMNS, copy_rows, prepare_registry, reserve_ids
from reporting import PARTIAL_COLUMNS, _accounts, _invoice_rows, _payment_rows


def _collections_bench():
    """bench/collections.py (its open disputes and promises), loaded by path: its name is the standard library's."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "collections.py")
    spec = importlib.util.spec_from_file_location("bench_collections", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(env, items, seed):
    rng = random.Random(seed)
    cr, company, today = env.cr, env.company, date.today()
    partners = env["res.partner"].create(
        [{"name": f"Outlook Customer {i:05d}", "is_company": True} for i in range(max(items // 20, 1))]
    )
    lateness = {partner: rng.choice((0, 0, 5, 20, 20, 35)) for partner in partners.ids}
    ids = _accounts(env, company)
    move_id = reserve_ids(cr, "account_move", 3 * items)
    line_id = reserve_ids(cr, "account_move_line", 6 * items)
    partial_id = reserve_ids(cr, "account_partial_reconcile", items)
    moves, lines, partials, open_moves = [], [], [], []
    for i in range(items):
        partner = rng.choice(partners.ids)
        due = today + timedelta(days=rng.randint(-120, 60))
        amount = round(rng.uniform(50, 5000), 2)
        rows = _invoice_rows(ids, move_id, line_id, f"INV/F/{i:07d}", partner, due - timedelta(30), due, amount, 0)
        moves.append(rows[0])
        lines += rows[1:]
        open_moves.append((move_id, partner, amount, due))
        move_id, line_id = move_id + 1, line_id + 2
        # One paid invoice of the history.
        late = max(lateness[partner] + round(rng.gauss(0, 4)), -10)
        paid_on = today - timedelta(days=rng.randint(1, 365))
        due = paid_on - timedelta(days=late)
        rows = _invoice_rows(ids, move_id, line_id, f"INV/H/{i:07d}", partner, due - timedelta(30), due, amount, amount)
        moves.append(rows[0])
        lines += rows[1:]
        rows = _payment_rows(ids, move_id + 1, line_id + 2, f"PAY/H/{i:07d}", partner, paid_on, amount)
        moves.append(rows[0])
        lines += rows[1:]
        currency = company.currency_id.id
        partials.append(
            (partial_id, line_id, line_id + 2, amount, amount, amount, currency, currency, company.id, paid_on)
        )
        partial_id, move_id, line_id = partial_id + 1, move_id + 2, line_id + 4
    copy_rows(cr, "account_move", MOVE_COLUMNS, moves)
    copy_rows(cr, "account_move_line", LINE_COLUMNS, lines)
    copy_rows(cr, "account_partial_reconcile", PARTIAL_COLUMNS, partials)
    _registered_payments(cr, company)
    rng.shuffle(open_moves)
    bench = _collections_bench()
    bench._disputes(env, open_moves[: items // 100], today)
    bench._promises(env, open_moves[items // 100 : items // 50], today)
    env.flush_all()
    cr.execute("ANALYZE")
    return items


def _registered_payments(cr, company):
    """An ``account_payment`` for each payment entry of the history, as Odoo links them (``origin_payment_id``)."""
    cr.execute(
        """
        INSERT INTO account_payment (move_id, journal_id, company_id, state, payment_type, partner_type, date,
                                     partner_id, amount, currency_id)
        SELECT move.id, move.journal_id, move.company_id, 'paid', 'inbound', 'customer', move.date, move.partner_id,
               move.amount_total, move.currency_id
          FROM account_move move
         WHERE move.company_id = %s AND move.name LIKE 'PAY/H/%%'
        """,
        (company.id,),
    )
    cr.execute(
        """UPDATE account_move move SET origin_payment_id = payment.id
             FROM account_payment payment WHERE payment.move_id = move.id AND move.name LIKE 'PAY/H/%%'"""
    )
    cr.execute(
        """UPDATE account_move_line line SET payment_id = move.origin_payment_id
             FROM account_move move WHERE move.id = line.move_id AND move.name LIKE 'PAY/H/%%'"""
    )


def time_refresh(database, items, seed, reset, load):
    import odoo

    registry = prepare_registry(
        database, reset, lambda env: generate(env, items, seed), lambda n: f"{n:,} open and {n:,} paid invoices"
    )
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Line, company = env["billing.outlook.line"], env.company
        cr.execute(
            "SELECT COUNT(*) FROM account_move WHERE company_id = %s AND name LIKE 'INV/F/%%' AND state = 'posted'",
            (company.id,),
        )
        open_count = cr.fetchone()[0]
        print(f"before: {load()}")
        timings, cpu = [], []
        for _attempt in range(2):
            started, started_cpu = time.perf_counter(), time.process_time()
            Line._billing_refresh(company)
            env.flush_all()
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        rows = Line.search_count([("company_id", "=", company.id)])
        by_basis = dict(Line._read_group([("company_id", "=", company.id)], ["basis"], ["__count"]))
        print(
            f"refresh of {open_count:,} open invoices: best {min(timings):.2f} s of {len(timings)} "
            f"({', '.join(f'{t:.2f}' for t in timings)}; goal <= 10 s; this process's CPU "
            f"{', '.join(f'{t:.2f}' for t in cpu)} s, the rest is PostgreSQL), {rows:,} rows {by_basis}"
        )
        print(f"after: {load()}")
        cr.rollback()
