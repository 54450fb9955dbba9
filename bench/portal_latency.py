"""Latency of the dispute portal pages for a customer with many cases.

Creates (once) a database with billing_specialist, a customer with N posted invoices and one dispute case on
each, and a portal user; starts a real Odoo HTTP server on 127.0.0.1; logs in with a real HTTP client and
times R requests of /my/disputes and R requests of a case page. Prints p50/p95/max per page.

    python3 bench/portal_latency.py [--db billing_bench] [--cases 500] [--requests 200] [--reset]

Budget (issue 5): p95 at most 300 ms on a 2-core machine.
"""

import argparse
import socket
import statistics
import subprocess
import sys
import time

import requests
from _common import addons_path, db_exists, update_module


def odoo(*args, check=True):
    cmd = [sys.executable, "-m", "odoo", *args]
    return subprocess.run(cmd, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


SEED = """
from odoo import Command
company = env.company
company.billing_dispute_send_acknowledgement = False
company.billing_portal_max_disputes_per_day = 0
customer = env["res.partner"].create({"name": "Bench Customer", "is_company": True})
contact = env["res.partner"].create({"name": "Bench Buyer", "parent_id": customer.id, "email": "buyer@bench.example.com"})
env["res.users"].with_context(no_reset_password=True).create({
    "name": "Bench Buyer", "login": "bench_portal", "password": "bench_portal", "partner_id": contact.id,
    "groups_id": [Command.set([env.ref("base.group_portal").id])],
})
product = env["product.product"].create({"name": "Bench service", "list_price": 100.0})
reason = env.ref("billing_specialist.reason_pricing")
n = int(CASES)
invoices = env["account.move"].create([{
    "move_type": "out_invoice", "partner_id": contact.id,
    "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1, "price_unit": 100.0 + i, "tax_ids": []})],
} for i in range(n)])
invoices.action_post()
env["billing.dispute"].with_context(mail_notrack=True, tracking_disable=True).create([{
    "partner_id": customer.id, "contact_id": contact.id, "reason_id": reason.id, "channel": "portal",
    "line_ids": [Command.create({"move_id": inv.id, "amount_disputed": 10.0})],
} for inv in invoices])
env.cr.commit()
print("seeded", env["billing.dispute"].search_count([("partner_id", "=", customer.id)]))
"""


def seed(db, addons, cases):
    odoo(
        "server",
        "-d",
        db,
        f"--addons-path={addons}",
        "-i",
        "billing_specialist",
        "--without-demo=all",
        "--stop-after-init",
        "--log-level=warn",
    )
    script = f"CASES = {int(cases)}\n{SEED}"
    proc = subprocess.run(
        [sys.executable, "-m", "odoo", "shell", "-d", db, f"--addons-path={addons}", "--log-level=warn", "--no-http"],
        input=script,
        capture_output=True,
        text=True,
    )
    if "seeded" not in proc.stdout:
        sys.exit(f"seeding failed:\n{proc.stdout}\n{proc.stderr}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, pct):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="billing_bench")
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    addons = addons_path()
    if args.reset and db_exists(args.db):
        subprocess.run(["dropdb", args.db], check=True)
    if db_exists(args.db):
        update_module(args.db, addons)
    else:
        started = time.time()
        seed(args.db, addons, args.cases)
        print(f"created {args.db} with {args.cases} cases in {time.time() - started:.0f} s")
    port = free_port()
    server = _serve(args.db, addons, port)
    try:
        _measure(f"http://127.0.0.1:{port}", args)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _serve(db, addons, port):
    """An Odoo server on ``db`` listening on ``port`` (no cron)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "server",
            "-d",
            db,
            f"--addons-path={addons}",
            f"--db-filter=^{db}$",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--log-level=warn",
            "--max-cron-threads=0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _measure(base, args):
    """Log in as the portal user, then time each portal page (after a warm-up request) and print its latencies."""
    session = requests.Session()
    for _ in range(120):
        try:
            if session.get(f"{base}/web/login", timeout=5).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    auth = session.post(
        f"{base}/web/session/authenticate",
        timeout=30,
        json={"jsonrpc": "2.0", "params": {"db": args.db, "login": "bench_portal", "password": "bench_portal"}},
    )
    if not auth.json().get("result"):
        sys.exit(f"login failed: {auth.text[:300]}")
    listing = session.get(f"{base}/my/disputes", timeout=30)
    case_url = listing.text.split('href="/my/disputes/')[1].split('"')[0]
    pages = {"/my/disputes": f"{base}/my/disputes", "case page": f"{base}/my/disputes/{case_url}"}
    for label, url in pages.items():
        session.get(url, timeout=30)  # warm-up: assets and caches
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = session.get(url, timeout=30)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                sys.exit(f"{label}: HTTP {response.status_code}")
        print(
            f"{label:14s} {args.requests} requests, {args.cases} cases: "
            f"p50 {statistics.median(timings):.0f} ms, p95 {percentile(timings, 95):.0f} ms, "
            f"max {max(timings):.0f} ms"
        )


if __name__ == "__main__":
    main()
