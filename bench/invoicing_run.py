"""A billing run over N draft customer invoices: posted, PDF rendered and queued for e-mail (issue 12).

Creates (once per size) a database with billing_specialist, 200 customers (5 % of them without e-mail: letters) and N
draft invoices of one line, then, in a fresh process, runs a billing run over all of them the way the scheduled
action does (batches of 50; here without committing, so that the database stays as generated) and prints: invoices,
wall time, invoices per second, peak RSS, and the outcome counts, with the number of e-mails queued in the mail
queue (mail.mail, state outgoing).

    python3 bench/invoicing_run.py --invoices 2000

Budget (issue 12, 2-core machine): 2,000 invoices posted and queued for e-mail in <= 120 s, peak RSS <= 1 GiB.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import time

from _common import addons_path, db_exists, install, update_module

CUSTOMERS = 200


def generate(env, invoices, seed=12):
    rng = random.Random(seed)
    product = env["product.product"].create({"name": "Bench service", "taxes_id": [(5, 0, 0)]})
    customers = env["res.partner"].create(
        [
            {
                "name": f"Bench Customer {index:03d}",
                "is_company": True,
                "email": False if index % 20 == 0 else f"ap{index:03d}@bench.example.com",
                "street": f"{index} Bench Street",
                "city": "Benchville",
            }
            for index in range(CUSTOMERS)
        ]
    )
    Move = env["account.move"].with_context(tracking_disable=True, mail_notrack=True)
    for start in range(0, invoices, 500):
        Move.create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": customers[rng.randrange(CUSTOMERS)].id,
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": product.id,
                                "quantity": 1,
                                "price_unit": round(rng.uniform(100, 9000), 2),
                                "tax_ids": [(5, 0, 0)],
                            },
                        )
                    ],
                }
                for _index in range(start, min(start + 500, invoices))
            ]
        )
        env.cr.commit()


def measure(db, addons, pdf=False):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    registry = Registry(db)
    if not pdf:
        # wkhtmltopdf loads the report's styles from a running Odoo server, which this script does not start: render
        # the documents as Odoo does in its tests (HTML), so that the figures are the run's own work.
        odoo.tools.config["test_enable"] = True
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env = env(user=env.ref("base.user_admin"))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        run = env["billing.invoice.run"].create({"due_today": True})
        run.action_select_invoices()
        run._process(run.line_ids)  # the scheduled action's path, minus its commits
        env.flush_all()
        wall = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        messages = run.line_ids.mail_message_id
        queued = env["mail.mail"].search_count([("mail_message_id", "in", messages.ids), ("state", "=", "outgoing")])
        result = {
            "invoices": run.invoice_count,
            "wall": wall,
            "rss": rss,
            "rss_before": rss_before,
            "sent": run.sent_count,
            "printed": run.printed_count,
            "blocked": run.blocked_count,
            "failed": run.failed_count,
            "skipped": run.skipped_count,
            "queued": queued,
            "failures": run.line_ids.filtered(lambda line: line.outcome == "failed")[:3].mapped("message"),
        }
        cr.rollback()  # leave the database as generated, to measure again
    print("RESULT " + json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--db", help="database name (default billing_bench_run_<invoices>)")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--pdf", action="store_true", help="render real PDFs (needs an Odoo server at web.base.url)")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.db or f"billing_bench_run_{args.invoices}"
    addons = addons_path()
    if args.measure_only:
        return measure(db, addons, args.pdf)
    if args.reset and db_exists(db):
        subprocess.run(["dropdb", db], check=True)
    if db_exists(db):
        update_module(db, addons)
    else:
        started = time.time()
        install(db, addons)
        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
        with Registry(db).cursor() as cr:
            generate(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), args.invoices)
        print(f"generated {db} in {time.time() - started:.0f} s", flush=True)
    subprocess.run(["vacuumdb", "--analyze", "--quiet", db], check=True)
    out = subprocess.run(
        [sys.executable, __file__, "--invoices", str(args.invoices), "--db", db, "--measure-only"]
        + (["--pdf"] if args.pdf else []),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    result = next(json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT "))
    print(
        f"invoices {result['invoices']:,}; wall {result['wall']:.1f} s; {result['invoices'] / result['wall']:.1f} "
        f"invoices/s; peak RSS {result['rss']:.0f} MiB (was {result['rss_before']:.0f} MiB before the run)"
    )
    print("documents rendered as " + ("PDF (wkhtmltopdf)" if args.pdf else "HTML (no wkhtmltopdf; see --pdf)"))
    print(
        f"posted and sent {result['sent']:,} (e-mails queued: {result['queued']:,}); posted and printed "
        f"{result['printed']:,}; blocked {result['blocked']}; failed {result['failed']} {result['failures'] or ''}; "
        f"skipped {result['skipped']}"
    )


if __name__ == "__main__":
    main()
