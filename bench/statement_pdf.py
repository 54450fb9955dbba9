"""Time of the documents a customer receives, printed as a user prints them (issue 23).

Starts a real Odoo server on the demo database (created with the demo data when missing), logs in as the billing
specialist and downloads, the way the web client does (``/report/download``): the statement of account of the demo
customer with the most documents (its wizard's Print PDF), a follow-up letter and an invoice (Odoo's own report,
what Odoo itself costs). Each is downloaded R times; the first includes the server's first use of the report's style
sheets. Prints the time of each, the file's size and name, and whether the customer, a document and the company are
text in the PDF.

    python3 bench/statement_pdf.py [--db billing_demo] [--repeat 5]

Budget: the statement in at most 3 s on a quiet machine.
"""

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import requests
from _common import addons_path, db_exists, odoo_once, update_module
from PyPDF2 import PdfReader


def sql(db, query):
    return subprocess.run(["psql", "-d", db, "-Atc", query], capture_output=True, text=True, check=True).stdout.strip()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(db, addons, port):
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
            f"--gevent-port={free_port()}",
            "--log-level=warn",
            "--max-cron-threads=0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class Client:
    def __init__(self, base, db):
        self.base, self.db, self.session = base, db, requests.Session()

    def wait(self):
        for _attempt in range(120):
            try:
                if self.session.get(f"{self.base}/web/login", timeout=60).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        sys.exit("the server did not start")

    def login(self, login, password):
        params = {"db": self.db, "login": login, "password": password}
        self.rpc("/web/session/authenticate", params)

    def rpc(self, path, params):
        reply = self.session.post(f"{self.base}{path}", json={"jsonrpc": "2.0", "method": "call", "params": params})
        body = reply.json()
        if "error" in body:
            sys.exit(json.dumps(body["error"], indent=1)[:2000])
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self.rpc(f"/web/dataset/call_kw/{model}/{method}", params)

    def download(self, url, context=None):
        """/report/download, the web client's route (a GET spares the CSRF token); return (seconds, response)."""
        params = {"data": json.dumps([url, "qweb-pdf"]), "context": json.dumps(context or {})}
        started = time.perf_counter()
        response = self.session.get(f"{self.base}/report/download", params=params)
        return time.perf_counter() - started, response


def text_of(content):
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def measure(client, label, url, expected, repeat, context=None):
    times, response = [], None
    for _attempt in range(repeat):
        seconds, response = client.download(url, context)
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            sys.exit(f"{label}: HTTP {response.status_code}: {response.text[:500]}")
        times.append(seconds)
    pages, text = text_of(response.content)
    found = ", ".join(f"{word!r} {'yes' if word in text else 'NO'}" for word in expected)
    name = response.headers.get("Content-Disposition", "")
    print(
        f"{label:<16} first {times[0]:5.2f} s, then median {statistics.median(times[1:] or times):5.2f} s, "
        f"max {max(times[1:] or times):5.2f} s | {pages} page(s), {len(response.content) / 1024:6.1f} KB | "
        f"text: {found} | {name}"
    )
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="billing_demo")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    addons = addons_path()
    if db_exists(args.db):
        update_module(args.db, addons)
    else:
        odoo_once(args.db, addons, "-i", "billing_specialist")  # with the demo data
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    port = free_port()
    # As after a login in the browser: Odoo's base URL is the server's (wkhtmltopdf fetched from it before issue 23).
    base_url = sql(args.db, "SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'")
    sql(args.db, f"UPDATE ir_config_parameter SET value = 'http://127.0.0.1:{port}' WHERE key = 'web.base.url'")
    server = serve(args.db, addons, port)
    try:
        client = Client(f"http://127.0.0.1:{port}", args.db)
        client.wait()
        client.login("billing", "billing")
        run(client, args.repeat)
    finally:
        server.terminate()
        server.wait(timeout=30)
        sql(args.db, f"UPDATE ir_config_parameter SET value = '{base_url}' WHERE key = 'web.base.url'")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def run(client, repeat):
    company = client.call("res.company", "search_read", [], ["name"], limit=1)[0]
    invoices = client.call(
        "account.move",
        "search_read",
        [("move_type", "=", "out_invoice"), ("state", "=", "posted")],
        ["name", "commercial_partner_id"],
    )
    counts = {}
    for invoice in invoices:
        counts.setdefault(tuple(invoice["commercial_partner_id"]), []).append(invoice["name"])
    (partner_id, partner_name), names = max(counts.items(), key=lambda item: len(item[1]))
    wizard = client.call("billing.statement.wizard", "create", {"partner_id": partner_id})
    action = client.call("billing.statement.wizard", "action_print", [wizard])
    options = json.dumps(action["data"])
    url = f"/report/pdf/{action['report_name']}?options={options}&context={json.dumps({})}"
    first_word = company["name"].split()[0]
    measure(client, "statement", url, [partner_name, names[0], first_word], repeat)
    invoice_url = f"/report/pdf/account.report_invoice_with_payments/{invoices[0]['id']}"
    measure(client, "invoice (Odoo)", invoice_url, [invoices[0]["name"], first_word], repeat)
    letters = client.call("billing.followup.line", "search_read", [("channel", "=", "letter")], ["partner_id"], limit=1)
    if letters:
        letter_url = f"/report/pdf/billing_specialist.report_billing_followup_letter/{letters[0]['id']}"
        context = {"report_pdf_no_attachment": True}  # rendered, not the copy kept when it was first printed
        measure(client, "follow-up letter", letter_url, [letters[0]["partner_id"][1], first_word], repeat, context)


if __name__ == "__main__":
    main()
