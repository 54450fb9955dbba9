"""What billing_specialist adds to reconciliations it does not make: Odoo's own reconcile with and without the addon.

Builds (once per size) two databases holding the same seeded ledger:
  - ``<prefix>_without_<N>``: account, crm, portal and mail (the addon's dependencies), no addon;
  - ``<prefix>_with_<N>``: billing_specialist, and open dispute cases over a few invoices kept apart from the measure
    (a ledger in use has cases; none of them involves the items reconciled);
each with N / 2 past invoices paid by their payments (history, for the planner's statistics), N open customer
invoices and N posted payments of the same amounts, plus N / 20 invoices that the addon's database disputes.

Then reconciles each payment with its invoice through Odoo's standard path, as the administrator (no sudo), in a
fresh process per run, the database vacuumed first and the run rolled back after:
  - ``single``: ``(invoice_line | payment_line).reconcile()`` once per pair, as OCA's mass reconcile does;
  - ``plan``: one ``_reconcile_plan`` over all the pairs, as a batch does.
Runs alternate between the two databases and print, per run, the wall time, the CPU time (Odoo's process plus its
PostgreSQL backend) and the SQL queries per pair; then the medians, the ratios with / without and the verdict, taken
on CPU: on a shared machine the wall time mostly measures the other processes (the same run took 39 s and 70 s).

    python3 bench/reconcile_overhead.py [--invoices 1000] [--repeats 3] [--modes single,plan] [--rebuild]
    python3 bench/reconcile_overhead.py --repeats 1 --modes single --profile   # cProfile of each run on stderr

Budget (issue 9): reconciling items that no case involves costs <= 5 % more with the addon than without.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

from _common import addons_path, db_exists, install, unique_amounts, update_module

BUDGET = 1.05
WITHOUT_MODULES = "account,crm,portal,mail"


def databases(prefix, invoices):
    return {"without": f"{prefix}_without_{invoices}", "with": f"{prefix}_with_{invoices}"}


def generate(env, invoices, disputes, seed=11):
    """The same ledger whatever the modules: every random draw is made before anything addon-specific."""
    rng = random.Random(seed)
    company = env.company
    today = date.today()
    bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    product = env["product.product"].create({"name": "Bench service", "taxes_id": [(5, 0, 0)]})
    customers = env["res.partner"].create(
        [{"name": f"Bench Customer {i:05d}", "is_company": True} for i in range(max(invoices // 5, 10))]
    )
    amount = unique_amounts(rng)

    def invoice_vals(day):
        return {
            "move_type": "out_invoice",
            "partner_id": rng.choice(customers).id,
            "invoice_date": day,
            "invoice_line_ids": [
                (0, 0, {"product_id": product.id, "quantity": 1, "price_unit": amount(), "tax_ids": [(5, 0, 0)]})
            ],
        }

    history = [invoice_vals(today - timedelta(days=rng.randint(150, 400))) for _ in range(invoices // 2)]
    measured = [invoice_vals(today - timedelta(days=rng.randint(0, 90))) for _ in range(invoices)]
    disputed = [invoice_vals(today - timedelta(days=rng.randint(0, 90))) for _ in range(disputes)]
    Move = env["account.move"].with_context(tracking_disable=True, mail_notrack=True)
    paid = _post_invoices(Move, history)
    env["account.move.line"]._reconcile_plan(
        [
            receivable_lines(invoice | payment.move_id)
            for invoice, payment in zip(paid, _pay(env, bank, today, paid, 20), strict=True)
        ]
    )
    env.cr.commit()
    open_invoices = _post_invoices(Move, measured)
    payments = _pay(env, bank, today, open_invoices, 15)
    cases = _post_invoices(Move, disputed)
    env.cr.execute("CREATE TABLE bench_pairs (invoice_id int, payment_id int)")
    env.cr.execute_values(
        "INSERT INTO bench_pairs VALUES %s",
        [(inv.id, pmt.id) for inv, pmt in zip(open_invoices, payments, strict=True)],
    )
    if "billing.dispute" in env:
        company.billing_dispute_send_acknowledgement = False
        reason = env.ref("billing_specialist.reason_pricing")
        Dispute = env["billing.dispute"].with_context(tracking_disable=True, mail_notrack=True)
        Dispute.create([{**move._billing_prepare_dispute_vals(), "reason_id": reason.id} for move in cases])
    env.cr.commit()


def _post_invoices(Move, vals_list):
    """The invoices created and posted by batches of 500."""
    moves = Move.browse()
    for start in range(0, len(vals_list), 500):
        batch = Move.create(vals_list[start : start + 500])
        batch.action_post()
        moves |= batch
    return moves


def _pay(env, bank, today, moves, days_later):
    """A posted payment of each move, ``days_later`` after its date (at the latest today), naming it."""
    Payment = env["account.payment"].with_context(tracking_disable=True, mail_notrack=True)
    payments = Payment.create(
        [
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": move.partner_id.id,
                "amount": move.amount_total,
                "memo": move.name,
                "journal_id": bank.id,
                "date": min(move.invoice_date + timedelta(days=days_later), today),
            }
            for move in moves
        ]
    )
    payments.action_post()
    return payments


def receivable_lines(moves):
    return moves.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")


def build(db, modules, invoices, addons):
    started = time.time()
    install(db, addons, modules)
    # Odoo parses its configuration once per process: generate each database in a process of its own.
    subprocess.run([sys.executable, __file__, "--generate-only", db, "--invoices", str(invoices)], check=True)
    print(f"generated {db} in {time.time() - started:.0f} s", flush=True)


def generate_db(db, addons, invoices):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    with Registry(db).cursor() as cr:
        generate(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), invoices, max(invoices // 20, 5))


def backend_cpu(pid):
    """CPU seconds used so far by the PostgreSQL backend serving our cursor (same machine: /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(db, addons, mode, profile=False):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    registry = Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env = env(user=env.ref("base.user_admin").id)  # as a user would (no sudo), like OCA's mass reconcile
        cr.execute("SELECT invoice_id, payment_id FROM bench_pairs ORDER BY invoice_id")
        rows = cr.fetchall()
        invoices = env["account.move"].browse([row[0] for row in rows])
        payments = env["account.payment"].browse([row[1] for row in rows])
        pairs = [
            receivable_lines(invoice | payment.move_id) for invoice, payment in zip(invoices, payments, strict=True)
        ]
        Line = env["account.move.line"]
        profiler = cProfile.Profile() if profile else None
        cr.execute("SELECT pg_backend_pid()")
        backend = cr.fetchone()[0]
        queries = cr.sql_log_count
        started, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(backend)
        if profiler:
            profiler.enable()
        if mode == "single":
            for lines in pairs:
                lines.reconcile()
        else:
            Line._reconcile_plan(pairs)
        env.flush_all()
        if profiler:
            profiler.disable()
        wall, cpu, server = time.perf_counter() - started, time.process_time() - cpu, backend_cpu(backend) - server
        queries = cr.sql_log_count - queries
        invoices.invalidate_recordset(["payment_state"])
        unpaid = invoices.filtered(lambda move: move.payment_state not in ("paid", "in_payment"))
        assert not unpaid, f"{len(unpaid)} invoices left unpaid"
        cr.rollback()  # leave the database as generated, to measure again
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    print(
        "RESULT "
        + json.dumps({"pairs": len(pairs), "wall": wall, "cpu": cpu + server, "python": cpu, "queries": queries}),
        flush=True,
    )


def run_once(args, variant, db, mode):
    subprocess.run(["vacuumdb", "--analyze", "--quiet", db], check=True)  # as bench/matching.py: see there why
    command = [sys.executable, __file__, "--measure-only", db, "--modes", mode]
    if args.profile:
        command.append("--profile")
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    result = next(json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT "))
    print(
        f"  {mode:<6} {variant:<7} wall {result['wall']:6.2f} s  CPU {result['cpu']:6.2f} s "
        f"(Odoo {result['python']:6.2f} s)  {result['queries'] / result['pairs']:5.1f} queries/pair",
        flush=True,
    )
    return result


def report(results, modes):
    """Ratios of the medians. The verdict is on CPU (Odoo's process and its PostgreSQL backend): the wall time of a
    process on a shared machine mostly measures the other processes (seen: 39 s to 70 s for the same run)."""
    verdict = True
    print()
    for mode in modes:
        runs = results[mode]
        median = {
            (variant, key): statistics.median(r[key] for r in runs[variant])
            for variant in ("without", "with")
            for key in ("wall", "cpu")
        }
        queries = {variant: runs[variant][0]["queries"] / runs[variant][0]["pairs"] for variant in runs}
        wall_ratio = median["with", "wall"] / median["without", "wall"]
        cpu_ratio = median["with", "cpu"] / median["without", "cpu"]
        ok = cpu_ratio <= BUDGET
        verdict &= ok
        print(
            f"{mode}: {runs['with'][0]['pairs']:,} pairs, {len(runs['with'])} runs each; "
            f"queries/pair {queries['without']:.1f} without, {queries['with']:.1f} with"
        )
        for key, ratio in (("wall", wall_ratio), ("cpu", cpu_ratio)):
            print(
                f"  {key:<4} without {median['without', key]:6.2f} s "
                f"({', '.join(f'{r[key]:.2f}' for r in runs['without'])}), with {median['with', key]:6.2f} s "
                f"({', '.join(f'{r[key]:.2f}' for r in runs['with'])}): ratio {ratio:.3f} ({ratio - 1:+.1%})"
            )
        paired = [w["cpu"] / wo["cpu"] - 1 for w, wo in zip(runs["with"], runs["without"], strict=True)]
        print(f"  CPU with / without, run by run (neighbours in time): {', '.join(f'{r:+.1%}' for r in paired)}")
        print(f"  {'PASS' if ok else 'FAIL'}: CPU {cpu_ratio - 1:+.1%} with the addon (budget +{BUDGET - 1:.0%})")
    return verdict


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="single,plan", help="comma-separated: single, plan")
    parser.add_argument("--prefix", default="billing_bench_reconcile", help="database names start with this")
    parser.add_argument("--rebuild", action="store_true", help="drop and generate both databases again")
    parser.add_argument("--profile", action="store_true", help="cProfile of each run on stderr (slower)")
    parser.add_argument("--measure-only", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--generate-only", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    addons = addons_path()
    modes = args.modes.split(",")
    if args.measure_only:
        return measure(args.measure_only, addons, modes[0], args.profile)
    if args.generate_only:
        return generate_db(args.generate_only, addons, args.invoices)
    dbs = databases(args.prefix, args.invoices)
    for variant, db in dbs.items():
        if args.rebuild and db_exists(db):
            subprocess.run(["dropdb", db], check=True)
        if not db_exists(db):
            build(db, WITHOUT_MODULES if variant == "without" else "billing_specialist", args.invoices, addons)
        elif variant == "with":
            update_module(db, addons)
    results = {mode: {"without": [], "with": []} for mode in modes}
    for repeat in range(args.repeats):
        order = ("without", "with") if repeat % 2 == 0 else ("with", "without")
        print(f"repeat {repeat + 1}/{args.repeats}", flush=True)
        for mode in modes:
            for variant in order:
                results[mode][variant].append(run_once(args, variant, dbs[variant], mode))
    sys.exit(0 if report(results, modes) else 1)


if __name__ == "__main__":
    main()
