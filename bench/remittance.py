"""Remittance advices: import speed, and lump sums applied from their advices.

In a scratch copy of an existing database with billing_specialist (``<db>_remit_bench``, dropped at the end; the
database itself is not changed):

1. import: a CSV advice of ``--lines`` lines (decimal comma, a deduction every 20th line) through the import wizard,
   timed (budget: 10,000 lines in <= 10 s);
2. lump sums: ``--lumps`` customers, each with ``--per-lump`` open invoices (plus two same-amount recurring ones the
   advice does not name), an advice naming its invoices as customers write them (other separators, no prefix, one
   typo in 1 of 10, a deduction in 1 of 5 advices) and one payment of the advice's total; then the automatic run.
   Prints the share applied automatically, wrong applications (must be 0) and the deduction cases opened
   (target: >= 99 % of the remittance-backed lump sums applied automatically, 0 wrong).

    python3 bench/remittance.py --db hb_remit [--lines 10000] [--lumps 50] [--per-lump 8] [--verbose]
"""

import argparse
import base64
import random
import subprocess
import sys
import time

from _common import addons_path, db_exists


def written(rng, name, typo):
    prefix, year, seq = name.split("/")
    if typo:  # one character mistyped: a letter O for the zero before the last digit
        return name[:-2] + "O" + name[-1]
    return rng.choice([name, f"{prefix}-{year}-{seq}", f"{year}/{seq}", f"{prefix} {year} {int(seq)}"])


def bench_import(env, lines, customer):
    rows = ["Invoice;Paid;Deduction;Reason"]
    for index in range(lines):
        deduction = "12,50" if index % 20 == 0 else ""
        rows.append(f"INV/2026/{index + 1:06d};1.{index % 1000:03d},{index % 100:02d};{deduction};damaged")
    content = "\n".join(rows).encode()
    fmt = env["billing.remittance.format"].create(
        {
            "name": "Bench",
            "partner_id": customer.id,
            "column_reference": "Invoice",
            "column_amount": "Paid",
            "column_deduction": "Deduction",
            "column_reason": "Reason",
            "decimal_comma": True,
        }
    )
    wizard = env["billing.remittance.import"].create(
        {
            "partner_id": customer.id,
            "format_id": fmt.id,
            "file": base64.b64encode(content),
            "filename": "bench.csv",
        }
    )
    env.flush_all()
    started = time.perf_counter()
    action = wizard.action_import()
    env.flush_all()
    wall = time.perf_counter() - started
    remittance = env["billing.remittance"].browse(action["res_id"])
    return wall, remittance.line_count


def invoice(env, partner, product, amount, day):
    from odoo import Command

    return {
        "move_type": "out_invoice",
        "partner_id": partner.id,
        "invoice_date": day,
        "invoice_line_ids": [
            Command.create(
                {"product_id": product.id, "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()]}
            )
        ],
    }


def generate_lumps(env, rng, lumps, per_lump):
    from datetime import date

    company = env.company
    company.billing_match_tolerance_amount = 1.0
    product = env["product.product"].create({"name": "Bench remittance product"})
    bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    today = date.today()
    cases, truth = [], {}
    for number in range(lumps):
        if number % 10 == 0:
            env.cr.commit()
            env.cr.execute("ANALYZE account_move, account_move_line, account_partial_reconcile")
        customer, content, total, named = _lump(env, rng, number, per_lump, product, today)
        cases.append((customer, content, total))
        truth[customer.id] = sorted(named.ids)
    env["billing.remittance.format"].create(
        {
            "name": "Bench lumps",
            "column_reference": "ref",
            "column_amount": "paid",
            "column_deduction": "deduction",
            "column_reason": "reason",
            "decimal_comma": True,
        }
    )
    payments = env["account.payment"]
    for index, (customer, content, total) in enumerate(cases):
        if index % 10 == 0:  # committed and analysed as it grows, as a production ledger is
            env.cr.commit()
            env.cr.execute("ANALYZE account_move, account_move_line, account_payment, billing_remittance")
        env["billing.remittance.import"].create(
            {
                "partner_id": customer.id,
                "file": base64.b64encode(content),
                "filename": "advice.csv",
            }
        ).action_import()
        payment = env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": total,
                "date": today,
                "journal_id": bank.id,
                "memo": "PAYMENT",
            }
        )
        payment.action_post()
        payments |= payment
    return payments, truth


def _lump(env, rng, number, per_lump, product, today):
    """A customer's open invoices and its advice paying the first ``per_lump`` of them (every fifth with a
    deduction, some references with a typo): (customer, the advice's file, the payment's amount, the invoices)."""
    customer = env["res.partner"].create({"name": f"Remit Customer {number:04d}", "is_company": True})
    amounts = [round(rng.uniform(100, 5000), 2) for _ in range(per_lump)]
    recurring = [99.0, 99.0]
    moves = env["account.move"].create([invoice(env, customer, product, a, today) for a in amounts + recurring])
    moves.action_post()
    named = moves[:per_lump]
    deduct = number % 5 == 0
    lines = ["ref;paid;deduction;reason"]
    for index, move in enumerate(named):
        deduction = round(move.amount_residual * 0.05, 2) if deduct and index == 0 else 0.0
        ref = written(rng, move.name, typo=rng.random() < 0.1 and index == 1)
        paid = f"{move.amount_residual - deduction:.2f}".replace(".", ",")
        lines.append(f"{ref};{paid};{f'{deduction:.2f}'.replace('.', ',') if deduction else ''};short shipped")
    total = round(
        sum(named.mapped("amount_residual")) - (round(named[0].amount_residual * 0.05, 2) if deduct else 0), 2
    )
    return customer, "\n".join(lines).encode(), total, named


def measure_lumps(env, payments, truth, verbose=False):
    company = env.company
    started = time.perf_counter()
    run = env["billing.match.run"]._run_automatic(company, payments, env["account.bank.statement.line"])
    wall = time.perf_counter() - started
    applied = wrong = 0
    for line in run.line_ids:
        if line.outcome == "applied":
            applied += 1
            wrong += sorted(line.allocation_ids.move_id.ids) != truth[line.partner_id.id]
        elif verbose:
            print(f"  left: {line.partner_id.name}: {line.outcome}: {line.reasons}")
    cases_opened = env["billing.dispute"].search_count([("remittance_id", "!=", False)])
    lumps = len(payments)
    return {"lumps": lumps, "applied": applied, "wrong": wrong, "wall": wall, "cases": cases_opened}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--db", required=True, help="a database with billing_specialist installed (copied, not changed)"
    )
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--lumps", type=int, default=50)
    parser.add_argument("--per-lump", type=int, default=8)
    parser.add_argument("--verbose", action="store_true", help="print why each lump sum left was left")
    args = parser.parse_args()
    if not db_exists(args.db):
        sys.exit(f"no database {args.db}: create it with billing_specialist installed first")
    scratch = f"{args.db}_remit_bench"
    subprocess.run(["dropdb", "--if-exists", scratch], check=True)
    subprocess.run(["createdb", "-T", args.db, scratch], check=True)
    try:
        run_bench(scratch, args)
    finally:
        import odoo.sql_db

        odoo.sql_db.close_db(scratch)
        subprocess.run(["dropdb", "--if-exists", scratch], check=False)


def run_bench(db, args):
    """In a scratch copy: the ledger is committed and analysed before the run is measured, as in production."""
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons_path()}", "--log-level=warn"])
    registry = Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        customer = env["res.partner"].create({"name": "Bench Importer", "is_company": True})
        wall, count = bench_import(env, args.lines, customer)
        print(f"import: {count:,} lines in {wall:.2f} s ({count / wall:,.0f} lines/s; budget 10,000 in <= 10 s)")
        cr.rollback()
        payments, truth = generate_lumps(env, random.Random(7), args.lumps, args.per_lump)
        payment_ids = payments.ids
        cr.commit()
    subprocess.run(["psql", "-q", "-d", db, "-c", "ANALYZE"], check=True)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        result = measure_lumps(env, env["account.payment"].browse(payment_ids), truth, args.verbose)
        share = 100.0 * result["applied"] / max(result["lumps"], 1)
        print(
            f"lump sums: {result['applied']}/{result['lumps']} applied automatically ({share:.1f} %, target >= 99 %),"
            f" wrong {result['wrong']} (must be 0), deduction cases {result['cases']}, run {result['wall']:.2f} s"
        )


if __name__ == "__main__":
    main()
