"""Server-side time of the screens' actions (issue 23, "Speed"), against what Odoo itself costs for the same action.

Builds (once; ``--reset`` rebuilds) the database ``bb_screens``: billing_specialist with its DEMO data, plus 10,000
posted customer invoices written by COPY (``_ledger_copy.LedgerWriter``: rows copied from invoices Odoo posted), and
``bb_screens_odoo``: Odoo's own modules the addon depends on (account, account_payment, crm, portal, mail), with
their demo data and without the addon. An existing database is reused (updated to the current code; ``--no-update``
skips that). Each run adds its fodder by the ORM (open payments to apply, see ``_fodder``).

Then it starts a real Odoo server on its own free port serving both databases, logs in over JSON-RPC as the demo
billing specialist (``billing``) and the demo administrator (``admin``, a billing manager, for Settings), and sends
the requests the web client sends for each action, N times (``--repeat``, default 5). The server-side time of a
request is read from the server's own log: Odoo's werkzeug line ends with the request's query count, query time
and remaining time (``odoo/netsvc.py``, PerfFilter); server time = query time + remaining time. The client's wall
time is printed beside it. Each action's Odoo counterpart runs on the same database (the web client's field
specification of Odoo's own view, read from ``bb_screens_odoo``), except Settings, opened on ``bb_screens_odoo``.

    python3 bench/screens.py [--db bb_screens] [--invoices 10000] [--repeat 5] [--reset] [--no-update]

Budget (issue 23): each action <= 1 s server-side on a quiet machine. Run by hand, not in CI. The server is
stopped on exit (Ctrl-C included); its log stays in /tmp/bb_screens_server.log.
"""

import argparse
import datetime
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

import requests
from _common import addons_path, db_exists, odoo_once, reserve_ids, unique_amounts
from lxml import etree

ODOO_MODULES = "account,account_payment,crm,portal,mail"  # billing_specialist's dependencies (its manifest)
BUDGET = 1.0
CHUNK = 20_000
LOG_LINE = re.compile(r'bench=(\d+)\S* HTTP/[\d.]+" (\d+) - (\d+) ([\d.]+) ([\d.]+)')


# ---------------------------------------------------------------------------------------------- the databases


def build(db, odoo_db, invoices, reset, update):
    """The two databases, created or reused (and updated)."""
    addons = addons_path()
    for name in (db, odoo_db):
        if reset and db_exists(name):
            subprocess.run(["dropdb", name], check=True)
    if not db_exists(odoo_db):
        started = time.perf_counter()
        odoo_once(odoo_db, addons, "-i", ODOO_MODULES)
        print(f"created {odoo_db} (Odoo's modules, demo data) in {time.perf_counter() - started:.0f} s")
    if db_exists(db):
        if update:
            odoo_once(db, addons, "-u", "billing_specialist")
        return
    started = time.perf_counter()
    odoo_once(db, addons, "-i", "billing_specialist")
    print(f"created {db} (billing_specialist, demo data) in {time.perf_counter() - started:.0f} s")
    with _registry(db).cursor() as cr:
        import odoo

        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        started = time.perf_counter()
        _copy_invoices(env, invoices)
        print(f"added {invoices} posted invoices by COPY in {time.perf_counter() - started:.0f} s")


def _registry(db, _configured=[]):  # noqa: B006 - Odoo's configuration is parsed once per process
    import odoo
    from odoo.modules.registry import Registry

    if not _configured:
        odoo.tools.config.parse_config([f"--addons-path={addons_path()}", "--log-level=warn"])
        _configured.append(True)
    return Registry(db)


def _copy_invoices(env, count, seed=23):
    """``count`` posted open customer invoices of 500 customers ("Screens Customer 0001"...), dated over the last
    year, by COPY from an invoice Odoo posted (see ``_ledger_copy``)."""
    from _ledger_copy import LedgerWriter

    cr = env.cr
    rng = random.Random(seed)
    company = env.company
    bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    product = env["product.product"].create({"name": "Screens bench service", "taxes_id": [(5, 0, 0)]})
    # The demo's pre-send checks would stop the writer's sample invoices (same PO reference): off while they are made.
    checks = env["billing.invoice.check"].search([("company_id", "=", company.id)])
    modes = {check: check.mode for check in checks}
    checks.mode = "off"
    eur = env.ref("base.EUR")
    eur_was_active = eur.active
    eur.active = True  # the writer's samples include an invoice in EUR (rolled back); none is written here
    writer = LedgerWriter(env, bank, eur, product)
    eur.active = eur_was_active
    for check, mode in modes.items():
        check.mode = mode
    names = [f"Screens Customer {i:04d}" for i in range(1, max(count // 20, 1) + 1)]
    customers = writer.partners(names)
    labels = dict(zip(customers, names, strict=True))
    amount = unique_amounts(rng)
    today = date.today()
    days = sorted(today - timedelta(days=rng.randint(0, 365)) for _ in range(count))
    ids = {
        "move": reserve_ids(cr, "account_move", count),
        "line": reserve_ids(cr, "account_move_line", (3 if writer.tax else 2) * count),
    }
    for position, day in enumerate(days, 1):
        name, *sequence = writer.sequences["invoice"].next(day)
        spec = {
            "partner": customers[position % len(customers)],
            "date": day,
            "due": day + timedelta(days=30),
            "ref": None,
            "eur": False,
            "untaxed": amount(),
            "name": name,
            "sequence": sequence,
        }
        writer.invoice(ids, spec, labels)
        if position % CHUNK == 0:
            writer.flush()
    writer.flush()
    cr.execute("ANALYZE")
    cr.commit()


def _fodder(db, repeat):
    """What this run's actions consume, made by the ORM: for 4 x ``repeat`` open bench invoices one posted payment
    each, its memo naming the invoice (half for the review rows, half for Odoo's outstanding-payment widget), and
    ``repeat`` more open invoices to dispute and ``repeat`` to reverse. :return: {"review": [...], "outstanding": [...], "dispute": [...]}
    invoice ids."""
    import odoo

    with _registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute(
            """SELECT m.id FROM account_move m JOIN res_partner p ON p.id = m.partner_id
                WHERE p.name LIKE 'Screens Customer %%' AND m.state = 'posted' AND m.move_type = 'out_invoice'
                  AND m.payment_state = 'not_paid' AND m.amount_residual = m.amount_total
                  AND NOT EXISTS (SELECT 1 FROM billing_dispute_line l WHERE l.move_id = m.id)
                  AND NOT EXISTS (SELECT 1 FROM account_payment pay JOIN account_move pm ON pm.id = pay.move_id
                                   WHERE pm.state = 'posted' AND pay.memo = m.name)
                  AND NOT EXISTS (SELECT 1 FROM account_move r WHERE r.reversed_entry_id = m.id)
                ORDER BY m.id DESC LIMIT %s""",
            (6 * repeat,),
        )
        moves = env["account.move"].browse([row[0] for row in cr.fetchall()])
        paid = moves[: 4 * repeat]
        bank = env["account.journal"].search([("company_id", "=", env.company.id), ("type", "=", "bank")], limit=1)
        payments = (
            env["account.payment"]
            .with_context(tracking_disable=True, mail_notrack=True)
            .create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": move.partner_id.id,
                        "amount": move.amount_residual,
                        "memo": move.name,
                        "journal_id": bank.id,
                    }
                    for move in paid
                ]
            )
        )
        payments.action_post()
        cr.commit()
        return {
            "reason": env.ref("billing_specialist.reason_pricing").id,
            "review_action": env.ref("billing_specialist.billing_match_review_action_open").id,
            "review": paid[: 2 * repeat].ids,
            "outstanding": paid[2 * repeat :].ids,
            "dispute": moves[4 * repeat : 5 * repeat].ids,
            "reverse": moves[5 * repeat :].ids,
        }


def db_size(db):
    out = subprocess.run(
        [
            "psql",
            "-d",
            db,
            "-Atc",
            "SELECT pg_size_pretty(pg_database_size(current_database())), "
            "(SELECT count(*) FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'), "
            "(SELECT count(*) FROM res_partner)",
        ],
        capture_output=True,
        text=True,
    )
    size, moves, partners = out.stdout.strip().split("|")
    return f"{size}, {moves} posted customer invoices, {partners} partners"


# ---------------------------------------------------------------------------------------------- the server


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A real Odoo server on free ports serving ``dbs``, its log (werkzeug at INFO: a line per request) in a file."""

    def __init__(self, dbs, logfile):
        self.port, self.logfile = free_port(), logfile
        if os.path.exists(logfile):
            os.unlink(logfile)
        command = [
            sys.executable,
            "-m",
            "odoo",
            "server",
            f"--addons-path={addons_path()}",
            f"--database={','.join(dbs)}",  # loaded at start, as tools/run.sh's server does
            f"--db-filter=^({'|'.join(dbs)})$",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            "--max-cron-threads=0",
            "--workers=0",
            "--log-level=warn",
            "--log-handler=werkzeug:INFO",
            "--log-handler=odoo.modules.registry:INFO",
            f"--logfile={logfile}",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        self.dbs = dbs

    def wait_ready(self):
        for _ in range(240):
            if self.process.poll() is not None:
                sys.exit(f"the Odoo server stopped (see {self.logfile})")
            try:
                requests.get(f"{self.base}/web/health", timeout=5)
                with open(self.logfile, encoding="utf-8", errors="replace") as log:
                    if log.read().count("Registry loaded in") >= len(self.dbs):
                        return
            except (requests.ConnectionError, FileNotFoundError):
                pass
            time.sleep(0.5)
        sys.exit("the Odoo server did not answer in 2 minutes")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def cpu(self):
        """CPU seconds the server process has used (user + system): what a request costs whatever the load."""
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def timing(self, tag):
        """(status, query count, server seconds) of the request tagged ``tag``, from the log (written just after
        the response is sent: waited for)."""
        for _ in range(200):
            with open(self.logfile, encoding="utf-8", errors="replace") as log:
                for match in LOG_LINE.finditer(log.read()):
                    if int(match.group(1)) == tag:
                        status, count, query_time, rest = match.groups()[1:]
                        return int(status), int(count), float(query_time) + float(rest)
            time.sleep(0.02)
        raise RuntimeError(f"request {tag} not found in {self.logfile}")


# ---------------------------------------------------------------------------------------------- the client


class Client:
    """A JSON-RPC session as the web client holds one; every request tagged so that its log line is found."""

    counter = 0

    def __init__(self, server, db, login, password):
        self.server, self.db = server, db
        self.session = requests.Session()
        info = self.call("/web/session/authenticate", {"db": db, "login": login, "password": password})
        self.uid = info["uid"]
        self.company_id = info["user_companies"]["current_company"]
        self.context = {**info["user_context"], "allowed_company_ids": [self.company_id]}
        self.calls = []  # [(label, server s, wall s, queries, server CPU s)] since the last take()

    def call(self, url, params, label=None):
        Client.counter += 1
        tag = Client.counter
        cpu = self.server.cpu()
        started = time.perf_counter()
        response = self.session.post(
            f"{self.server.base}{url}?bench={tag}",
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": tag},
            timeout=600,
        )
        wall = time.perf_counter() - started
        body = response.json()
        if body.get("error"):
            error = body["error"].get("data", {}).get("message") or body["error"]
            raise RuntimeError(f"{url} {label or ''}: {error}")
        if label:
            _status, count, server = self.server.timing(tag)
            self.calls.append((label, server, wall, count, self.server.cpu() - cpu))
        return body.get("result")

    def kw(self, model, method, args=(), kwargs=None, label=None, button=False):
        kwargs = {"context": self.context, **(kwargs or {})}
        route = "call_button" if button else "call_kw"
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self.call(f"/web/dataset/{route}/{model}/{method}", params, label=label)

    def take(self):
        """(server s, wall s, queries, server CPU s) summed over the requests since the last take()."""
        calls, self.calls = self.calls, []
        return tuple(sum(call[i] for call in calls) for i in (1, 2, 3, 4))


def specification(arch, model, models):
    """The web client's field specification for ``arch`` (the fields of the view, many2one with their display
    name, x2many with the fields of their list or kanban subview)."""
    fields = models[model]["fields"] if "fields" in models[model] else models[model]
    spec = {}

    def walk(node):
        for child in node:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "field":
                add(child)
            else:
                walk(child)

    def add(node):
        name = node.get("name")
        field = fields.get(name)
        if not field:
            return
        if field["type"] == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        elif field["type"] in ("one2many", "many2many"):
            sub = node.find("list") if node.find("list") is not None else node.find("kanban")
            relation = field["relation"]
            if sub is not None and relation in models:
                spec[name] = {"fields": specification(sub, relation, models), "limit": 40}
            else:
                spec[name] = {"fields": {"display_name": {}}}
        else:
            spec.setdefault(name, {})

    walk(etree.fromstring(arch) if isinstance(arch, str) else arch)
    spec.setdefault("display_name", {})
    return spec


def views(client, model, view_types, action_id=None, label=None):
    """get_views as the web client asks it: {view type: field specification}, and the search view's arch."""
    result = client.kw(
        model,
        "get_views",
        [],
        {
            "views": [[False, view_type] for view_type in view_types],
            "options": {"action_id": action_id, "toolbar": True, "load_filters": True},
        },
        label=label,
    )
    specs = {
        view_type: specification(view["arch"], model, result["models"])
        for view_type, view in result["views"].items()
        if view_type != "search"
    }
    return specs, result["views"].get("search", {}).get("arch")


def search_domain(search_arch, context):
    """The domain of the search view's filters the action's context turns on (``search_default_<filter>``)."""
    from odoo.tools.safe_eval import safe_eval

    if not search_arch:
        return []
    names = {
        key[len("search_default_") :] for key, value in context.items() if key.startswith("search_default_") and value
    }
    domain = []
    for node in etree.fromstring(search_arch).iter("filter"):
        if node.get("name") in names and node.get("domain"):
            evaluated = safe_eval(node.get("domain"), {"context_today": datetime.date.today, "uid": None})
            domain = ["&", *domain, *evaluated] if domain else list(evaluated)
    return domain


# ---------------------------------------------------------------------------------------------- the actions


def measure(label, client, repeat, once):
    """Run ``once(i)`` ``repeat`` times; :return: {label, server: [s], wall: [s], queries: [n]}."""
    result = {"label": label, "server": [], "wall": [], "queries": [], "cpu": [], "load": []}
    client.take()
    for i in range(repeat):
        once(i)
        server, wall, queries, cpu = client.take()
        result["server"].append(server)
        result["wall"].append(wall)
        result["queries"].append(queries)
        result["cpu"].append(cpu)
        result["load"].append(os.getloadavg()[0])
    return result


def open_list(client, model, action_xmlid, specs_from=None, label="list"):
    """The first page (80 rows) of an action's list, as the web client asks it (``specs_from``: another client
    whose views give the field specification, e.g. Odoo's own on the database without the addon)."""
    action = client.call("/web/action/load", {"action_id": action_xmlid})
    context = {**client.context, **_literal(action.get("context"))}
    specs, search_arch = views(specs_from or client, model, ["list", "search"], label=None)
    domain = _literal(action.get("domain")) or []
    domain = domain + search_domain(search_arch, context)
    return lambda i: client.kw(
        model,
        "web_search_read",
        [],
        {
            "domain": domain,
            "specification": specs["list"],
            "offset": 0,
            "limit": 80,
            "order": "",
            "count_limit": 10001,
            "context": context,
        },
        label=label,
    )


def _literal(text):
    from odoo.tools.safe_eval import safe_eval

    if not text or not isinstance(text, str):
        return text or {}
    try:
        return safe_eval(
            text, {"uid": None, "context_today": datetime.date.today, "active_id": False, "allowed_company_ids": []}
        )
    except Exception:  # an action's context naming what the bench has not: ignored
        return {}


def actions(specialist, manager, plain_manager, odoo_specs, fodder, repeat):
    """[(addon result, Odoo result or None, note)] of every action."""
    rows = []
    rows.append(_open_invoice(specialist, odoo_specs, fodder))
    rows.append(_save_case(specialist, manager, fodder, repeat))
    rows.append(_resolve(specialist, fodder, repeat))
    rows.append(_apply_two_rows(specialist, fodder, repeat))
    rows.append(_settings(manager, plain_manager, repeat))
    rows.append(_worklist(specialist, odoo_specs, repeat))
    rows.append(_billing_report(specialist, repeat))
    return rows


def _open_invoice(client, odoo_specs, fodder):
    move_id = fodder["dispute"][0]
    specs, _search = views(client, "account.move", ["form"], label=None)
    repeat = len(fodder["dispute"])

    def read(spec):
        return lambda i: client.kw("account.move", "web_read", [[move_id]], {"specification": spec}, label="web_read")

    addon = measure("open an invoice (web_read of the form)", client, repeat, read(specs["form"]))
    odoo = measure("", client, repeat, read(odoo_specs["account.move"]["form"]))
    return addon, odoo, "Odoo: the same invoice, the fields of Odoo's own form"


def _save_case(client, manager, fodder, repeat):
    specs, _search = views(client, "billing.dispute", ["form"], label=None)
    reason = fodder["reason"]
    client.cases = []

    def save(i):
        move = client.kw("account.move", "read", [[fodder["dispute"][i]], ["partner_id", "amount_total"]])[0]
        client.take()
        saved = client.kw(
            "billing.dispute",
            "web_save",
            [
                [],
                {
                    "partner_id": move["partner_id"][0],
                    "reason_id": reason,
                    "line_ids": [[0, 0, {"move_id": move["id"], "amount_disputed": move["amount_total"]}]],
                },
            ],
            {"specification": specs["form"]},
            label="web_save",
        )
        client.cases.append(saved[0]["id"])

    addon = measure("save a new dispute case (web_save)", client, repeat, save)
    lead_specs, _search = views(manager, "crm.lead", ["form"], label=None)  # the specialist has no CRM access
    partners = fodder["dispute"]

    def lead(i):
        move = manager.kw("account.move", "read", [[partners[i]], ["partner_id"]])[0]
        manager.kw(
            "crm.lead",
            "web_save",
            [[], {"name": f"Bench lead {i}", "partner_id": move["partner_id"][0], "type": "opportunity"}],
            {"specification": lead_specs["form"]},
            label="web_save",
        )

    odoo = measure("", manager, repeat, lead)
    return addon, odoo, "Odoo: a new CRM opportunity saved from its form (by the administrator)"


def _resolve(client, fodder, repeat):
    specs, _search = views(client, "billing.dispute.resolve", ["form"], label=None)
    root_cause = client.kw("billing.dispute.root.cause", "search", [[]], {"limit": 1})[0]

    def resolve(i):
        case = client.cases[i]
        client.kw("billing.dispute", "action_open_resolve", [[case]], button=True)
        context = {**client.context, "default_dispute_id": case}
        client.kw("billing.dispute.resolve", "onchange", [[], {}, [], specs["form"]], {"context": context})
        client.take()  # opening the wizard is not its confirm
        saved = client.kw(
            "billing.dispute.resolve",
            "web_save",
            [[], {"dispute_id": case, "resolution": "credit_note", "root_cause_id": root_cause, "note": "Bench"}],
            {"specification": specs["form"], "context": context},
            label="web_save",
        )
        client.kw(
            "billing.dispute.resolve",
            "action_apply",
            [[saved[0]["id"]]],
            {"context": context},
            label="action_apply",
            button=True,
        )

    addon = measure("resolve a dispute (wizard's confirm: web_save + action_apply)", client, repeat, resolve)
    reversal_specs, _search = views(client, "account.move.reversal", ["form"], label=None)
    invoices = fodder["reverse"]

    def reverse(i):
        context = {**client.context, "active_model": "account.move", "active_ids": [invoices[i]]}
        spec = reversal_specs["form"]
        values = client.kw("account.move.reversal", "onchange", [[], {}, [], spec], {"context": context})["value"]
        journal = values.get("journal_id")
        saved = client.kw(
            "account.move.reversal",
            "web_save",
            [[], {"reason": "Bench", "journal_id": journal and journal["id"], "date": values.get("date")}],
            {"specification": reversal_specs["form"], "context": context},
            label="web_save",
        )
        action = client.kw(
            "account.move.reversal",
            "reverse_moves",
            [[saved[0]["id"]]],
            {"context": context},
            label="reverse_moves",
            button=True,
        )
        refund = action["res_id"]
        client.kw("account.move", "action_post", [[refund]], label="action_post", button=True)  # reconciles it

    odoo = measure("", client, repeat, reverse)
    return (
        addon,
        odoo,
        "Odoo: Reverse wizard (web_save + reverse_moves: a draft credit note), then its Confirm (posts, reconciles)",
    )


def _assign_outstanding(client, move_id):
    """Odoo's invoice widget: the outstanding payment of the invoice's amount added to the invoice
    (js_assign_outstanding_line); the widget's read is not counted."""
    fields = ["invoice_outstanding_credits_debits_widget", "amount_residual"]
    move = client.kw("account.move", "read", [[move_id], fields])[0]
    content = (move["invoice_outstanding_credits_debits_widget"] or {}).get("content") or []
    same = [item for item in content if abs(item["amount"] - move["amount_residual"]) < 0.005]
    line_id = (same or content)[0]["id"]
    client.kw("account.move", "js_assign_outstanding_line", [[move_id], line_id], label="js_assign_outstanding_line")


def _apply_two_rows(client, fodder, repeat):
    """Open Match Payments (the menu's server action), then apply the two rows of two bench payments."""
    opened = {}

    def open_review(i):
        action_id = fodder["review_action"]
        action = client.call("/web/action/run", {"action_id": action_id, "context": client.context}, label="action/run")
        opened["domain"] = _literal(action.get("domain")) or []

    review = measure("open Match Payments (build the review rows)", client, repeat, open_review)
    specs, _search = views(client, "billing.match.review", ["list"], label=None)
    invoices = client.kw("account.move", "read", [fodder["review"], ["name"]])
    names = [invoice["name"] for invoice in invoices]

    def apply(i):
        rows = client.kw(
            "billing.match.review",
            "search_read",
            [opened["domain"] + [("memo", "in", names[2 * i : 2 * i + 2])]],
            {"fields": ["id", "has_proposal"]},
        )
        if len(rows) != 2 or not all(row["has_proposal"] for row in rows):
            raise RuntimeError(f"expected two proposed rows for {names[2 * i : 2 * i + 2]}, found {rows}")
        client.take()
        client.kw(
            "billing.match.review", "action_apply", [[row["id"] for row in rows]], label="action_apply", button=True
        )

    addon = measure("apply two review rows (action_apply of 2 rows)", client, repeat, apply)
    outstanding = fodder["outstanding"]

    def assign(i):
        for move_id in outstanding[2 * i : 2 * i + 2]:
            _assign_outstanding(client, move_id)

    odoo = measure("", client, repeat, assign)
    return addon, odoo, "Odoo: two payments added to two invoices (js_assign_outstanding_line x 2)", review


def _settings(manager, plain_manager, repeat):
    def opener(client):
        action = client.call("/web/action/load", {"action_id": "base_setup.action_general_configuration"})
        context = {**client.context, **_literal(action.get("context"))}

        def once(i):
            specs, _search = views(client, "res.config.settings", ["form"], label="get_views")
            client.kw(
                "res.config.settings", "onchange", [[], {}, [], specs["form"]], {"context": context}, label="onchange"
            )

        return once

    addon = measure("open Settings (get_views + onchange)", manager, repeat, opener(manager))
    odoo = measure("", plain_manager, repeat, opener(plain_manager))
    return addon, odoo, "Odoo: the same on the database without the addon"


def _worklist(specialist, odoo_specs, repeat):
    addon = measure(
        "open My Worklist (web_search_read, 80 rows)",
        specialist,
        repeat,
        open_list(
            specialist, "billing.worklist", "billing_specialist.billing_worklist_action_my", label="web_search_read"
        ),
    )
    odoo = measure(
        "",
        specialist,
        repeat,
        open_list(
            specialist,
            "account.move",
            "account.action_move_out_invoice_type",
            specs_from=odoo_specs["client"],
            label="web_search_read",
        ),
    )
    return addon, odoo, "Odoo: the Invoices list (its first 80 rows, Odoo's own list fields)"


def _billing_report(client, repeat):
    specs, _search = views(client, "billing.report.wizard", ["form"], label=None)
    action = client.call("/web/action/load", {"action_id": "billing_specialist.billing_report_wizard_action"})
    context = {**client.context, **_literal(action.get("context"))}
    addon = measure(
        "open the Billing Report (onchange of its form)",
        client,
        repeat,
        lambda i: client.kw(
            "billing.report.wizard", "onchange", [[], {}, [], specs["form"]], {"context": context}, label="onchange"
        ),
    )
    odoo = measure(
        "",
        client,
        repeat,
        lambda i: client.kw(
            "account.invoice.report",
            "web_read_group",
            [],
            {"domain": [], "fields": ["price_subtotal:sum"], "groupby": ["invoice_date:month"], "lazy": False},
            label="web_read_group",
        ),
    )
    return addon, odoo, "Odoo: Invoice Analysis grouped by month (web_read_group)"


# ---------------------------------------------------------------------------------------------- first login


def first_login(server, db, login, password):
    """Seconds from the login page to the back office loaded: GET /web/login, log in, GET /odoo and every asset
    bundle it links (the bundles are generated on their first request)."""
    session = requests.Session()
    started = time.perf_counter()
    page = session.get(f"{server.base}/web/login?db={db}", timeout=600)
    fetch_assets(session, server.base, page.text)
    session.post(
        f"{server.base}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
        timeout=600,
    )
    page = session.get(f"{server.base}/odoo", timeout=600)
    fetch_assets(session, server.base, page.text)
    return time.perf_counter() - started


def fetch_assets(session, base, html):
    for url in re.findall(r'(?:src|href)="(/web/assets/[^"]+)"', html):
        session.get(f"{base}{url}", timeout=600)


def asset_bundles(db):
    """The ids of the asset bundles built (attachments of /web/assets/...)."""
    out = subprocess.run(
        ["psql", "-d", db, "-Atc", "SELECT id FROM ir_attachment WHERE url LIKE '/web/assets/%'"],
        capture_output=True,
        text=True,
    )
    return set(out.stdout.split())


# ---------------------------------------------------------------------------------------------- the table


def report(rows, repeat):
    print(
        f"\nmedian of {repeat} runs. server: seconds from Odoo's log (query time + remaining time); max: the slowest "
        "run's; wall: the client's; cpu: CPU seconds of the Odoo process (whatever the load; PostgreSQL's apart)"
    )
    header = (
        f"{'action':62s} {'server':>6s} {'max':>6s} {'wall':>6s} {'cpu':>5s} {'queries':>7s} | "
        f"{'Odoo':>6s} {'cpu':>5s} {'queries':>7s} | {'diff':>6s}  budget"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        addon, odoo, note = row[:3]
        for extra in row[3:]:
            _line(extra, None)
            print("    Odoo: none in Community (its bank reconciliation screen is Enterprise's)")
        _line(addon, odoo)
        print(f"    {note}")
    loads = [load for row in rows for load in row[0]["load"]]
    print(f"load (1-minute average) during the runs: {min(loads):.2f} to {max(loads):.2f} on {os.cpu_count()} cores")


def _line(addon, odoo):
    med = statistics.median(addon["server"])
    queries = int(statistics.median(addon["queries"]))
    ok = "ok" if med <= BUDGET else "OVER"
    if odoo:
        odoo_med = statistics.median(odoo["server"])
        other = (
            f"{odoo_med:6.3f} {statistics.median(odoo['cpu']):5.2f} {int(statistics.median(odoo['queries'])):7d} | "
            f"{med - odoo_med:+6.3f}"
        )
    else:
        other = f"{'-':>6s} {'-':>5s} {'-':>7s} | {'-':>6s}"
    print(
        f"{addon['label']:62s} {med:6.3f} {max(addon['server']):6.3f} {statistics.median(addon['wall']):6.3f} "
        f"{statistics.median(addon['cpu']):5.2f} {queries:7d} | {other}  {ok}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bb_screens")
    parser.add_argument("--odoo-db", help="Odoo without the addon (default: DB_odoo)")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reset", action="store_true", help="drop and rebuild both databases")
    parser.add_argument("--no-update", action="store_true", help="reuse the databases as they are (no -u)")
    args = parser.parse_args()
    odoo_db = args.odoo_db or f"{args.db}_odoo"
    build(args.db, odoo_db, args.invoices, args.reset, not args.no_update)
    fodder = _fodder(args.db, args.repeat)
    bundles = asset_bundles(args.db)
    server = Server([args.db, odoo_db], f"/tmp/{args.db}_server.log")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        server.wait_ready()
        load = os.getloadavg()[0]
        login = first_login(server, args.db, "billing", "billing")
        print(
            f"first login (login page to back office loaded): {login:.1f} s, load {load:.2f}; "
            f"asset bundles built on request: {len(asset_bundles(args.db) - bundles)}"
        )
        specialist = Client(server, args.db, "billing", "billing")
        manager = Client(server, args.db, "admin", "admin")
        plain = Client(server, odoo_db, "admin", "admin")
        odoo_specs = {"account.move": views(plain, "account.move", ["form"])[0], "client": plain}
        rows = actions(specialist, manager, plain, odoo_specs, fodder, args.repeat)
        print(f"\ndatabase {args.db}: {db_size(args.db)}; {odoo_db}: {db_size(odoo_db)}")
        report(rows, args.repeat)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
