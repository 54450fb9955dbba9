import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import config

from .common import CommittedFixtureCase

SERVER_START_SECONDS = 120


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestBillingRunOnARunningServer(CommittedFixtureCase):
    """A billing run started as a specialist's click does it, on a real Odoo server in a process of its own: JSON-RPC
    over HTTP, each request its own committed transaction (and retried by the server on a concurrency error), so what
    one shared test transaction hides shows here.

    Blocked, clean, failing and e-mail-less drafts: every outcome recorded, the clean ones posted once and delivered
    once, the blocked one's finding kept, in one request that answers without a server error.
    """

    LOGIN = "bs_server_specialist"

    def setUp(self):
        super().setUp()
        self.block_committed_check()
        self.password = "Server-Run-1234"
        with self.committed_env() as env:
            company = env.company
            self.ids = {}
            user = env["res.users"].create(
                {
                    "name": "Server Specialist",
                    "login": self.LOGIN,
                    "password": self.password,
                    "email": "server.specialist@example.com",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [
                        Command.set(
                            [env.ref("base.group_user").id, env.ref("billing_specialist.group_billing_user").id]
                        )
                    ],
                }
            )
            partners = env["res.partner"].create(
                [
                    {
                        "name": "Server Run PO Customer",
                        "is_company": True,
                        "email": "ap@po.example.com",
                        "billing_po_required": True,
                    },
                    {"name": "Server Run Mail Customer", "is_company": True, "email": "ap@mail.example.com"},
                    {
                        "name": "Server Run Letter Customer",
                        "is_company": True,
                        "street": "1 Main Street",
                        "city": "Springfield",
                        "zip": "12345",
                    },
                ]
            )
            po, mail, letter = partners
            moves = {}
            for kind, partner in (("blocked", po), ("clean", mail), ("failing", mail), ("letter", letter)):
                moves[kind] = env["account.move"].create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "invoice_date": fields.Date.context_today(user),
                        "invoice_line_ids": [
                            Command.create({"name": f"Service {kind}", "price_unit": 100.0, "tax_ids": []})
                        ],
                    }
                )
            moves["failing"].invoice_line_ids = [Command.clear()]  # cannot be posted: no line
            action = env.ref("billing_specialist.account_move_action_billing_invoice_run")
            self.ids.update(
                action=action.id, user=user.id, partners=partners.ids, moves={k: m.id for k, m in moves.items()}
            )
        self.addCleanup(self._cleanup)
        self._start_server()

    def _cleanup(self):
        with self.committed_env() as env:
            moves = env["account.move"].search([("partner_id", "in", self.ids["partners"])])
            runs = env["billing.invoice.run"].search([("line_ids.move_id", "in", moves.ids)])
            runs.sudo().write({"state": "done"})
            runs.unlink()
            moves.filtered(lambda move: move.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()
            user = env["res.users"].browse(self.ids["user"])
            partner = user.partner_id
            user.unlink()
            partner.unlink()

    def _start_server(self):
        self.port = _free_port()
        cmd = [
            sys.executable,
            "-m",
            "odoo",
            "server",
            "-d",
            self.registry.db_name,
            f"--addons-path={config['addons_path']}",
            f"--http-port={self.port}",
            "--http-interface=127.0.0.1",
            "--workers=0",
            "--max-cron-threads=0",
            "--log-level=warn",
            f"--db-filter=^{self.registry.db_name}$",
        ]
        for option in ("db_host", "db_port", "db_user", "db_password"):
            if config.get(option):
                cmd.append(f"--{option.replace('_', '-')}={config[option]}")
        self.log_path = os.path.join(config["data_dir"], f"billing-run-server-{self.port}.log")
        log = open(self.log_path, "w")  # closed by the cleanup
        self.server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(log.close)
        self.addCleanup(self._stop_server)
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                self.fail(f"the server stopped at start:\n{self._log()}")
            try:
                self._post("/web/webclient/version_info", {})
                return
            except OSError:
                time.sleep(0.5)
        self.fail(f"the server did not answer within {SERVER_START_SECONDS} s:\n{self._log()}")

    def _stop_server(self):
        self.server.terminate()
        try:
            self.server.wait(30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()

    def _log(self):
        with open(self.log_path) as log:
            return log.read()[-5000:]

    def _post(self, path, params, opener=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with (opener or urllib.request.build_opener()).open(request, timeout=120) as response:
            return json.loads(response.read())

    def _call(self, opener, model, method, args, kwargs=None):
        answer = self._post(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            opener,
        )
        self.assertNotIn("error", answer, f"{model}.{method}: {answer.get('error')}\n{self._log()}")
        return answer["result"]

    def test_run_with_a_blocked_invoice_from_the_screen(self):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        login = self._post(
            "/web/session/authenticate",
            {"db": self.registry.db_name, "login": self.LOGIN, "password": self.password},
            opener,
        )
        self.assertEqual(login.get("result", {}).get("uid"), self.ids["user"], login)
        moves = self.ids["moves"]
        # What the screen does: a new run over the selected drafts (the list's action), then Run.
        action_id = self.ids["action"]
        answer = self._post(
            "/web/action/run",
            {"action_id": action_id, "context": {"active_model": "account.move", "active_ids": list(moves.values())}},
            opener,
        )
        self.assertNotIn("error", answer, answer.get("error"))
        action = answer["result"]
        run_id = action["res_id"]
        started = time.monotonic()
        self.assertTrue(self._call(opener, "billing.invoice.run", "action_run", [[run_id]]))
        elapsed = time.monotonic() - started
        lines = self._call(
            opener,
            "billing.invoice.run.line",
            "search_read",
            [[("run_id", "=", run_id)]],
            {"fields": ["move_id", "outcome", "check_codes"]},
        )
        outcome = {line["move_id"][0]: (line["outcome"], line["check_codes"]) for line in lines}
        self.assertEqual(
            outcome,
            {
                moves["blocked"]: ("blocked", "po_required"),
                moves["clean"]: ("posted_sent", False),
                moves["failing"]: ("failed", False),
                moves["letter"]: ("posted_printed", False),
            },
        )
        self.assertNotIn("SerializationFailure", self._log(), "the request was not retried for a conflict")
        self.assertLess(elapsed, 60, "the run answers in one go, not after five retries")
        with self.committed_env() as env:
            by_kind = {kind: env["account.move"].browse(move_id) for kind, move_id in moves.items()}
            self.assertEqual(
                {kind: move.state for kind, move in by_kind.items()},
                {"blocked": "draft", "clean": "posted", "failing": "draft", "letter": "posted"},
            )
            sent = env["mail.message"].search_count(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "=", moves["clean"]),
                    ("message_type", "=", "comment"),
                    ("partner_ids", "!=", False),
                ]
            )
            self.assertEqual(sent, 1, "the clean invoice is e-mailed once")
            self.assertEqual(by_kind["blocked"].billing_check_state, "block", "the finding shows on the invoice")
            self.assertEqual(env["billing.invoice.run"].browse(run_id).state, "done")
