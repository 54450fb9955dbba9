"""Automatic payment matching on a seeded synthetic ledger with ground truth.

Creates (once per size) a database with billing_specialist, customers, 2 x N posted open invoices, N / 2 past invoices
paid by their payments (history), and N sources (posted customer payments and incoming bank statement lines) drawn
from the cases the engine handles, in realistic proportions, each with its right answer:

    identifiable (must be applied automatically): invoice number in the memo (written 6 different ways), a bank line
        with no customer whose memo names the invoice, a payment in another currency than the invoice, customer
        PO reference, one-character typo, two adjacent digits swapped, unique amount of the customer with no reference, several invoices named,
        partial payment, overpayment, small difference within tolerance (write-off);
    not identifiable by policy (must NOT be applied automatically, the right answer should be proposed first):
        recurring invoices of the same amount with no reference, combinations of invoices with no reference.

Then runs ``billing.match.run._run_automatic`` in a fresh process and prints: sources, wall time, sources per
second, peak memory (RSS of that process), applied count, precision (wrong automatic applications must be 0),
recall on the identifiable sources, and top-1 accuracy of the proposals left for review.

    python3 bench/matching.py --sources 1000
    python3 bench/matching.py --sources 10000 [--workers 2] [--chunk-size 500]

``--chunk-size K`` runs a large run's path (issue 14): planned in chunks of at most K sources by customer, then the
chunk cron's calls one after the other in the same process (rolled back like the rest, so nothing is committed;
``--commit`` commits after planning and after each chunk as the cron does: the database keeps the run, so measure on a
copy, ``createdb -T bench14_copy_100k m100k_a``).

Budgets (issue 3, 2-core machine): 10,000 sources against 20,000 invoices in <= 60 s and <= 1.5 GiB; 0 wrong;
recall >= 95 %; top-1 of the rest >= 98 %; time at 10,000 <= 12 x time at 1,000.

Large ledgers (issue 14): ``--copy`` (always above 20,000 sources) loads the same cases and ground truth with COPY
(``_ledger_copy.py``) instead of the ORM; ``--check`` verifies the ledger after the run; ``--generate-only`` stops
after building the database. The report splits the run's time between the Odoo process's CPU (Python) and its
PostgreSQL backend's CPU.

    python3 bench/matching.py --sources 100000 --generate-only
    python3 bench/matching.py --sources 10000 --copy --check

Replay (issue 13): ``--replay`` builds 12 months of a ledger month by month (customers with their own habits:
invoice numbers or PO numbers in the memo, bank transfers from their own account naming nothing, an intermediary
bank's fee deducted, recurring same-amount invoices), and in each month runs the automatic matching on that month's
payments and bank lines, then has a person apply the rest (the review screen, a manual run), and lets the automatic
matches of the month stand (the daily learning promotes them). Twice, learning on and off (habits dropped each
month), each in a transaction rolled back. Prints per month: automatic rate over the sources with a right answer,
wrong applications, top-1 of the rest.

    python3 bench/matching.py --replay --sources 2000

Target (issue 13): >= 97 % automatic by month 6 with learning, 0 wrong.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta

from _common import MIX, addons_path, db_exists, install, memo_variant, setup, swap, typo, unique_amounts, update_module
from _replay import replay_main

COPY_ABOVE = 20_000  # sources: above, the ledger is loaded with COPY (bench/_ledger_copy.py), not the ORM


def history(env, rng, customers, product, bank, amount, count):
    """Paid invoices of the past year and the payments reconciled with them: a ledger in use has its history, and
    PostgreSQL plans the reconciliation's queries from the statistics of those tables (empty ones mislead it)."""
    today = date.today()
    dates = [today - timedelta(days=rng.randint(150, 400)) for _ in range(count)]
    Move = env["account.move"].with_context(tracking_disable=True, mail_notrack=True)
    invoices = Move.create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": rng.choice(customers).id,
                "invoice_date": day,
                "invoice_line_ids": [
                    (0, 0, {"product_id": product.id, "quantity": 1, "price_unit": amount(), "tax_ids": [(5, 0, 0)]})
                ],
            }
            for day in dates
        ]
    )
    invoices.action_post()
    payments = (
        env["account.payment"]
        .with_context(tracking_disable=True, mail_notrack=True)
        .create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.partner_id.id,
                    "amount": invoice.amount_total,
                    "memo": invoice.name,
                    "date": day + timedelta(days=20),
                    "journal_id": bank.id,
                }
                for invoice, day in zip(invoices, dates, strict=True)
            ]
        )
    )
    payments.action_post()
    receivable = "asset_receivable"
    env["account.move.line"]._reconcile_plan(
        [
            (invoice.line_ids | payment.move_id.line_ids).filtered(
                lambda line: line.account_id.account_type == receivable
            )
            for invoice, payment in zip(invoices, payments, strict=True)
        ]
    )
    assert set(invoices.mapped("payment_state")) <= {"paid", "in_payment"}, "history must be settled"
    env.cr.commit()


def generate(env, sources, seed=7):
    rng = random.Random(seed)
    company = env.company
    bank, eur, product = setup(env)
    customers = env["res.partner"].create(
        [{"name": f"Bench Customer {i:05d}", "is_company": True} for i in range(max(sources // 5, 10))]
    )
    today = date.today()
    plan = []  # (case, identifiable, customer, [invoice specs])
    for case, share, identifiable in MIX:
        for _ in range(round(sources * share)):
            plan.append((case, identifiable, rng.choice(customers)))
    rng.shuffle(plan)
    amount = unique_amounts(rng)
    invoice_vals, owners = _case_invoices(rng, plan, amount, today, company.currency_id, eur, product)
    _noise_invoices(rng, invoice_vals, owners, sources, customers, amount, today, product)
    invoices = _post_invoices(env, invoice_vals)
    history(env, rng, customers, product, bank, amount, sources // 2)
    per_source = {}
    for invoice, owner in zip(invoices, owners, strict=True):
        if owner is not None:
            per_source.setdefault(owner, []).append(invoice)
    payment_vals, bank_vals, truths, bank_truths = [], [], [], []
    for index, (case, identifiable, customer) in enumerate(plan):
        targets = per_source[index]
        memo, paid, truth = _memo_and_amount(rng, case, targets)
        if case == "bank_line":
            bank_vals.append({"journal_id": bank.id, "date": today, "amount": paid, "payment_ref": f"transfer {memo}"})
            bank_truths.append((case, identifiable, sorted(truth), customer.id))
            continue
        payment_vals.append(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": paid,
                "memo": memo,
                "date": today,
                "journal_id": bank.id,
            }
        )
        truths.append((case, identifiable, sorted(truth), customer.id))
    _store_sources(env, payment_vals, truths, bank_vals, bank_truths)


def _case_invoices(rng, plan, amount, today, currency, eur, product):
    """The invoices each planned source pays: (invoice values, the index of the source of each)."""
    invoice_vals, owners = [], []
    for index, (case, _identifiable, customer) in enumerate(plan):
        if case == "recurring":
            fee = amount()
            specs = [fee, fee, fee]
        elif case in ("several", "combination"):
            specs = [amount() for _ in range(rng.choice([2, 3]))]
        else:
            specs = [amount()]
        for position, value in enumerate(specs):
            invoice_date = today - timedelta(days=90 - 20 * position - rng.randint(0, 5))
            invoice_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": invoice_date + timedelta(days=30),
                    "ref": f"PO-{rng.randint(100000, 999999)}" if case == "po_ref" else False,
                    "currency_id": eur.id if case == "foreign" else currency.id,
                    "invoice_line_ids": [
                        (0, 0, {"product_id": product.id, "quantity": 1, "price_unit": value, "tax_ids": [(5, 0, 0)]})
                    ],
                }
            )
            owners.append(index)
    return invoice_vals, owners


def _noise_invoices(rng, invoice_vals, owners, sources, customers, amount, today, product):
    """Unrelated open invoices up to 2 x sources, as noise (added to ``invoice_vals``, owned by no source)."""
    while len(invoice_vals) < 2 * sources:
        invoice_date = today - timedelta(days=rng.randint(0, 120))
        invoice_vals.append(
            {
                "move_type": "out_invoice",
                "partner_id": rng.choice(customers).id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    (0, 0, {"product_id": product.id, "quantity": 1, "price_unit": amount(), "tax_ids": [(5, 0, 0)]})
                ],
            }
        )
        owners.append(None)


def _post_invoices(env, invoice_vals):
    """The invoices created and posted by thousands, each thousand committed."""
    Move = env["account.move"].with_context(tracking_disable=True, mail_notrack=True)
    invoices = Move.browse()
    for start in range(0, len(invoice_vals), 1000):
        batch = Move.create(invoice_vals[start : start + 1000])
        batch.action_post()
        invoices |= batch
        env.cr.commit()
    return invoices


def _memo_and_amount(rng, case, targets):
    """What the source of ``case`` writes and pays for its invoices ``targets``: (memo, amount, right answer)."""
    total = sum(inv.amount_total for inv in targets)
    first = targets[0]
    memo, paid, truth = "", total, [inv.id for inv in targets]
    if case in ("number", "bank_line"):
        memo = memo_variant(rng, first.name)
    elif case == "foreign":
        memo, paid = first.name, round(first.amount_total / 2.0, 2)  # EUR at 2.0 per company unit
    elif case == "po_ref":
        memo = f"our order {first.ref}"
    elif case == "typo":
        memo = f"payment {typo(rng, first.name)}"
    elif case == "swap":
        memo = f"payment {swap(rng, first.name)}"
    elif case == "unique_amount":
        memo = "payment, thank you"
    elif case == "several":
        memo = " + ".join(inv.name for inv in targets)
    elif case == "partial":
        memo, paid = first.name, round(first.amount_total * rng.uniform(0.3, 0.9), 2)
    elif case == "overpay":
        memo, paid = first.name, round(first.amount_total + rng.uniform(5, 100), 2)
    elif case == "tolerance":
        memo, paid = first.name, round(first.amount_total - rng.uniform(0.01, 0.99), 2)
    elif case == "recurring":
        memo, paid, truth = "monthly fee", first.amount_total, [first.id]
    elif case == "combination":
        memo = ""
    return memo, paid, truth


def _store_sources(env, payment_vals, truths, bank_vals, bank_truths):
    """The payments (posted by thousands) and bank lines created, each with its right answer in ``bench_truth``."""
    Payment = env["account.payment"].with_context(tracking_disable=True, mail_notrack=True)
    env.cr.execute(
        "CREATE TABLE IF NOT EXISTS bench_truth (source text, case_name text, identifiable bool, "
        "invoice_ids text, customer_id int)"
    )
    for start in range(0, len(payment_vals), 1000):
        payments = Payment.create(payment_vals[start : start + 1000])
        payments.action_post()
        for payment, (case, identifiable, truth, owner) in zip(payments, truths[start : start + 1000], strict=True):
            env.cr.execute(
                "INSERT INTO bench_truth VALUES (%s, %s, %s, %s, %s)",
                (f"account.payment,{payment.id}", case, identifiable, json.dumps(truth), owner),
            )
        env.cr.commit()
    bank_lines = env["account.bank.statement.line"].create(bank_vals)
    for line, (case, identifiable, truth, owner) in zip(bank_lines, bank_truths, strict=True):
        env.cr.execute(
            "INSERT INTO bench_truth VALUES (%s, %s, %s, %s, %s)",
            (f"account.bank.statement.line,{line.id}", case, identifiable, json.dumps(truth), owner),
        )
    env.cr.commit()


def measure(db, addons, part=0, parts=1, check=False, chunk_size=0, commit=False):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    registry = Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cr.execute("SELECT source, case_name, identifiable, invoice_ids, customer_id FROM bench_truth")
        truth = {source: (case, ident, json.loads(ids), owner) for source, case, ident, ids, owner in cr.fetchall()}
        payments = env["account.payment"]._billing_pending(env.company)
        bank_lines = env["account.bank.statement.line"]._billing_pending(env.company)
        if parts > 1:  # disjoint customers per process: no invoice or source is shared between them
            payments = payments.filtered(lambda p: truth[f"{p._name},{p.id}"][3] % parts == part)
            bank_lines = bank_lines.filtered(lambda b: truth[f"{b._name},{b.id}"][3] % parts == part)
        before = ledger_state(cr) if check else None
        # --chunk-size: the large-run path, planned in chunks by customer, then the chunk cron's calls (no commit);
        # without it, the whole run in one go, whatever its size.
        env["ir.config_parameter"].set_param("billing_specialist.run_chunk_size", str(chunk_size or 10**9))
        cr.execute("SELECT pg_backend_pid()")
        backend = cr.fetchone()[0]
        cpu, pg_cpu = process_cpu(), backend_cpu(backend)
        started = time.perf_counter()
        run = env["billing.match.run"]._run_automatic(env.company, payments, bank_lines)
        planned = time.perf_counter() - started
        if commit:
            cr.commit()
        while chunk_size and env["billing.run.chunk"]._billing_next():
            env["billing.run.chunk"]._cron_process()
            if commit:  # as the cron does after each call (--commit: the database keeps the run)
                cr.commit()
        wall = time.perf_counter() - started
        cpu, pg_cpu = process_cpu() - cpu, backend_cpu(backend) - pg_cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        checked = check_ledger(env, run, truth, before) if check else None
        scores = score(run, truth)
        sources = len(run.line_ids)
        cr.rollback()  # leave the database as generated, to measure again
    result = {
        "sources": sources,
        "wall": wall,
        "planning": planned if chunk_size else None,
        "rss": rss,
        "rss_before": rss_before,
        "python_cpu": cpu,
        "postgres_cpu": pg_cpu,
        "check": checked,
        **scores,
    }
    print("RESULT " + json.dumps(result), flush=True)


def score(run, truth):
    """The run's lines against the ground truth (``bench_truth``): applied, wrong (by case), recall, top-1."""
    applied = wrong = identifiable = identified = rest = rest_right = 0
    wrong_cases, missed = {}, {}
    for line in run.line_ids:
        source = line.payment_id or line.statement_line_id
        case, ident, expected, _owner = truth[f"{source._name},{source.id}"]
        proposed = sorted(line.allocation_ids.move_id.ids)
        identifiable += ident
        if line.outcome == "applied":
            applied += 1
            if proposed != expected:
                wrong += 1
                wrong_cases[case] = wrong_cases.get(case, 0) + 1
            identified += ident
        else:
            missed[case] = missed.get(case, 0) + 1
            rest += 1
            rest_right += proposed == expected
    return {
        "applied": applied,
        "wrong": wrong,
        "wrong_cases": wrong_cases,
        "identifiable": identifiable,
        "identified": identified,
        "rest": rest,
        "rest_right": rest_right,
        "missed": missed,
    }


def process_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_cpu(pid):
    """CPU seconds (user + system) the PostgreSQL backend ``pid`` has used (on this machine; 0 if unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def ledger_state(cr):
    """What the check compares after the run: open receivable of the invoices, last reconciliation id."""
    cr.execute("""SELECT coalesce(sum(aml.amount_residual), 0) FROM account_move_line aml
                    JOIN account_move m ON m.id = aml.move_id
                    JOIN account_account a ON a.id = aml.account_id
                   WHERE m.move_type = 'out_invoice' AND m.state = 'posted' AND a.account_type = 'asset_receivable'
               """)
    open_amount = cr.fetchone()[0]
    cr.execute("SELECT coalesce(max(id), 0) FROM account_partial_reconcile")
    return {"open": open_amount, "last_partial": cr.fetchone()[0]}


def check_ledger(env, run, truth, before):
    """Verify the ledger after ``run``: what the invoices' receivables lost is what the run reconciled with them;
    no reconciled item keeps a residual; each invoice's residual and payment state agree with its receivable item;
    every entry balances; the invoices of each applied source were paid (partly for partial payments); a new
    invoice posted through the ORM takes the next number of its journal. :return: {check: problems found}"""
    env.flush_all()
    cr = env.cr
    after = ledger_state(cr)
    cr.execute(
        """SELECT coalesce(sum(p.amount), 0) FROM account_partial_reconcile p
                    JOIN account_move_line aml ON aml.id = p.debit_move_id
                    JOIN account_move m ON m.id = aml.move_id
                   WHERE p.id > %s AND m.move_type = 'out_invoice'""",
        (before["last_partial"],),
    )
    reconciled = cr.fetchone()[0]
    problems = {"open_decrease_vs_reconciled": round(float(before["open"] - after["open"] - reconciled), 2)}
    cr.execute("""SELECT count(*) FROM account_move_line
                   WHERE reconciled AND (amount_residual <> 0 OR amount_residual_currency <> 0)""")
    problems["reconciled_with_residual"] = cr.fetchone()[0]
    cr.execute("""SELECT count(*) FROM account_move m
                    JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'payment_term'
                   WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                     AND (m.amount_residual <> aml.amount_residual_currency
                          OR (m.payment_state IN ('paid', 'in_payment')) <> (m.amount_residual = 0)
                          OR (m.payment_state = 'not_paid') <> (m.amount_residual = m.amount_total))""")
    problems["invoice_residual_or_state"] = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM (SELECT move_id FROM account_move_line GROUP BY move_id "
        "HAVING sum(balance) <> 0 OR sum(debit) <> sum(credit)) unbalanced"
    )
    problems["unbalanced_moves"] = cr.fetchone()[0]
    applied = run.line_ids.filtered(lambda line: line.outcome == "applied")
    moves = applied.allocation_ids.move_id
    with moves._check_balanced({"records": moves | applied.writeoff_move_id}):
        pass  # Odoo's own check (raises on an unbalanced entry)
    unpaid = 0
    for line in applied:
        source = line.payment_id or line.statement_line_id
        case = truth[f"{source._name},{source.id}"][0]
        states = set(line.allocation_ids.move_id.mapped("payment_state"))
        unpaid += not states <= ({"partial"} if case == "partial" else {"paid", "in_payment"})
    problems["applied_invoices_not_paid"] = unpaid
    problems["new_invoice_numbering"] = _post_new_invoice(env)
    return {name: value for name, value in problems.items() if value}


def _post_new_invoice(env):
    """0 if an invoice posted through the ORM now takes the next number of the sales journal, else its name."""
    cr = env.cr
    customer = env["res.partner"].search([("name", "like", "Bench Customer")], limit=1)
    product = env["product.product"].search([("name", "=", "Bench service")], limit=1)
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": date.today(),
            "invoice_line_ids": [(0, 0, {"product_id": product.id, "quantity": 1, "price_unit": 10.0})],
        }
    )
    cr.execute(
        "SELECT max(sequence_number) FROM account_move WHERE journal_id = %s AND sequence_prefix = %s",
        (invoice.journal_id.id, f"INV/{date.today().year}/"),
    )
    last = cr.fetchone()[0]
    invoice.action_post()
    return 0 if invoice.sequence_number == last + 1 and invoice.name.endswith(f"{last + 1:05d}") else invoice.name


def report(results):
    def total(key):
        return sum(r[key] for r in results)

    wall = max(r["wall"] for r in results)
    sources = total("sources")
    missed, wrong_cases = {}, {}
    for r in results:
        for key, value in r["missed"].items():
            missed[key] = missed.get(key, 0) + value
        for key, value in r["wrong_cases"].items():
            wrong_cases[key] = wrong_cases.get(key, 0) + value
    print(
        f"sources {sources:,}; processes {len(results)}; wall {wall:.1f} s; {sources / wall:,.0f} sources/s; "
        f"peak RSS {max(r['rss'] for r in results):.0f} MiB per process "
        f"(was {max(r['rss_before'] for r in results):.0f} MiB before the run)"
    )
    print(
        f"applied automatically {total('applied'):,}; wrong {total('wrong')} {wrong_cases or ''}; "
        f"recall {total('identified') / max(total('identifiable'), 1):.1%} of {total('identifiable'):,} "
        f"identifiable; top-1 of the {total('rest'):,} left {total('rest_right') / max(total('rest'), 1):.1%}; "
        f"not applied by case: {missed}"
    )
    cpu, pg_cpu = total("python_cpu"), total("postgres_cpu")
    busy = sum(r["wall"] for r in results)
    if len(results) == 1 and results[0].get("planning") is not None:
        print(f"of which planning (index of the whole ledger, the chunks' hints) {results[0]['planning']:.1f} s")
    print(
        f"time: Python (Odoo process CPU) {cpu:.1f} s = {cpu / busy:.0%}; PostgreSQL (backend CPU) {pg_cpu:.1f} s "
        f"= {pg_cpu / busy:.0%}; waiting (I/O, locks, the other) {max(busy - cpu - pg_cpu, 0):.1f} s "
        f"(sum over {len(results)} process(es) of {busy:.1f} s wall)"
    )
    checks = [r["check"] for r in results if r["check"] is not None]
    if checks:
        problems = {key: value for check in checks for key, value in check.items()}
        print(f"ledger check after the run: {'OK' if not problems else problems}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--db", help="database name (default billing_bench_match_<sources>)")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--copy", action="store_true", help=f"load the ledger with COPY (always above {COPY_ABOVE:,})")
    parser.add_argument("--generate-only", action="store_true", help="build the database, measure nothing")
    parser.add_argument("--check", action="store_true", help="verify the ledger after the run (residuals, balance)")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes running the entry point side by side on disjoint customers"
    )
    parser.add_argument("--replay", action="store_true", help="12 months in time order, learning on vs off")
    parser.add_argument("--replay-pass", choices=["on", "off"], help=argparse.SUPPRESS)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-size", type=int, default=0, help="run the chunked path, at most this many per chunk")
    parser.add_argument(
        "--commit",
        action="store_true",
        help="commit after planning and after each chunk, as the cron does (the database keeps the run: "
        "measure on a copy, createdb -T)",
    )
    args = parser.parse_args()
    db = args.db or f"billing_bench_match_{args.sources}"
    addons = addons_path()
    if args.replay or args.replay_pass:
        return replay_main(args, addons, __file__)
    if args.measure_only:
        return measure(db, addons, args.part, args.workers, args.check, args.chunk_size, args.commit)
    if args.reset and db_exists(db):
        subprocess.run(["dropdb", db], check=True)
    if db_exists(db):
        update_module(db, addons)
    else:
        _create(args, db, addons)
    # A measured run is rolled back: its rows are dead but still fill the tables' pages, and autovacuum may have
    # recorded those tables as empty meanwhile, which misleads PostgreSQL's planner on the next run (seen: 36 s on a
    # fresh database, 80 s on the third run). Vacuum first, so that every run starts from the state as generated.
    subprocess.run(["vacuumdb", "--analyze", "--quiet", db], check=True)
    if args.generate_only:
        return
    report(_run_workers(args, db))


def _create(args, db, addons):
    """The benchmark database: the addon installed (no demo), then the ledger generated (ORM, or COPY)."""
    started = time.time()
    install(db, addons)
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    copy = args.copy or args.sources > COPY_ABOVE
    generated = time.time()
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if copy:
            from _ledger_copy import generate_copy

            rows = generate_copy(env, args.sources)
            print("COPY rows: " + ", ".join(f"{table} {count:,}" for table, count in rows.items() if count))
        else:
            generate(env, args.sources)
        cr.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cr.fetchone()[0]
    print(
        f"generated {db} in {time.time() - started:.0f} s ({'COPY' if copy else 'ORM'}: "
        f"{time.time() - generated:.0f} s after the module's installation); database size {size}"
    )


def _run_workers(args, db):
    """The measuring processes started side by side (one per worker), and their results."""
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--sources",
                str(args.sources),
                "--db",
                db,
                "--measure-only",
                "--workers",
                str(args.workers),
                "--part",
                str(part),
                "--chunk-size",
                str(args.chunk_size),
                *(["--check"] if args.check else []),
                *(["--commit"] if args.commit else []),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for part in range(args.workers)
    ]
    results = []
    for worker in workers:
        out, _err = worker.communicate()
        results += [json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT ")]
    return results


if __name__ == "__main__":
    main()
