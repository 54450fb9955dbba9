"""The capability seams of docs/ARCHITECTURE.md, as a ratchet (issue 22), without a database.

The test walks the addon's Python files, gives each file a capability (``FILES``) and each ``billing.*`` model the
capability of the file that declares it (``_name``). Every reference to a model (``env["billing.x"]``, ``_inherit``
and a relational field's comodel) from one capability to another must follow ``MAY_CALL``. Today's crossings are
listed in ``KNOWN_CROSSINGS``: the list may only shrink. A crossing not in it fails, and so does a listed crossing
that no longer exists (remove it from the list, and the count in docs/ARCHITECTURE.md).
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

from odoo.tests import BaseCase, tagged

ADDON = Path(__file__).resolve().parent.parent

# Lowest first. A capability may reference its own models and those of the capabilities listed here.
MAY_CALL = {
    "settings": set(),
    "runs": {"settings"},
    "disputes": {"settings"},
    "matching": {"settings", "runs", "disputes"},
    "remittances": {"settings", "runs", "disputes", "matching"},
    "collections": {"settings", "runs", "disputes"},
    "invoicing": {"settings", "runs", "disputes"},
    "credit": {"settings", "runs", "disputes", "collections", "invoicing"},
    "reports": {"settings", "runs", "disputes", "matching", "remittances", "collections", "invoicing", "credit"},
    "portal": {"settings", "disputes", "collections", "credit", "reports"},
    "demo": {
        "settings",
        "runs",
        "disputes",
        "matching",
        "remittances",
        "collections",
        "invoicing",
        "credit",
        "reports",
    },
}

# Every Python file outside tests/ (path relative to the addon, or a folder ending in "/").
FILES = {
    # settings and shared base
    "__init__.py": "settings",
    "__manifest__.py": "settings",
    "exceptions.py": "settings",
    "models/__init__.py": "settings",
    "models/res_company.py": "settings",
    "models/res_config_settings.py": "settings",
    "models/billing_finite_mixin.py": "settings",
    "models/billing_report_hook.py": "settings",
    "models/billing_protected_mixin.py": "settings",
    "models/billing_receivable_base.py": "settings",
    "wizards/__init__.py": "settings",
    "report/__init__.py": "settings",
    "report/billing_report_pdf.py": "settings",
    # generic runs and chunks
    "models/billing_history_mixin.py": "runs",
    "models/billing_run_chunk.py": "runs",
    "models/billing_run_chunked_mixin.py": "runs",
    # disputes
    "models/billing_dispute.py": "disputes",
    "models/billing_dispute_gateway.py": "disputes",
    "models/billing_dispute_line.py": "disputes",
    "models/billing_dispute_reason.py": "disputes",
    "models/billing_dispute_root_cause.py": "disputes",
    "models/billing_dispute_stage.py": "disputes",
    "models/crm_team_member.py": "disputes",
    "models/res_users.py": "disputes",
    "models/mail_alias.py": "disputes",
    "models/billing_writeoff.py": "disputes",
    "wizards/billing_dispute_resolve.py": "disputes",
    "models/billing_dispute_report.py": "disputes",
    # payment matching and learning
    "matching/__init__.py": "matching",
    "matching/engine.py": "matching",
    "matching/habits.py": "matching",
    "matching/learning.py": "matching",
    "matching/text.py": "matching",
    "matching/fees.py": "matching",
    "models/account_bank_statement_line.py": "matching",
    "models/account_payment.py": "matching",
    "models/account_partial_reconcile.py": "matching",
    "models/billing_match_habit.py": "matching",
    "models/billing_match_fee_rule.py": "matching",
    "models/billing_match_fee_matching.py": "matching",
    "models/billing_match_review.py": "matching",
    "models/billing_match_review_allocation.py": "matching",
    "models/billing_match_run.py": "matching",
    "models/billing_matcher.py": "matching",
    "models/billing_matcher_inputs.py": "matching",
    "models/billing_payment_apply.py": "matching",
    "models/billing_match_report.py": "matching",
    "models/res_partner_matching.py": "matching",
    "models/billing_payment_source.py": "matching",
    "models/billing_short_payment.py": "matching",
    # remittance advices
    "matching/file_extract.py": "remittances",
    "matching/remittance.py": "remittances",
    "matching/remittance_files.py": "remittances",
    "models/billing_dispute_remittance.py": "remittances",
    "models/billing_remittance.py": "remittances",
    "models/billing_remittance_deduction_rule.py": "remittances",
    "models/billing_remittance_format.py": "remittances",
    "models/billing_remittance_gateway.py": "remittances",
    "models/billing_remittance_line.py": "remittances",
    "models/billing_remittance_matching.py": "remittances",
    "wizards/billing_remittance_import.py": "remittances",
    # collections: follow-up, promises, worklist
    "followup/": "collections",
    "promises/": "collections",
    "models/billing_collection.py": "collections",
    "models/billing_collection_cockpit.py": "collections",
    "models/billing_collection_worklist.py": "collections",
    "models/billing_collection_report.py": "collections",
    "models/billing_followup_history.py": "collections",
    "models/billing_followup_ledger.py": "collections",
    "models/billing_followup_level.py": "collections",
    "models/billing_followup_line.py": "collections",
    "models/billing_followup_run.py": "collections",
    "models/billing_promise.py": "collections",
    "models/mail_activity.py": "collections",
    "models/mail_mail.py": "collections",
    "models/res_partner.py": "collections",
    "models/account_move_collection.py": "collections",
    "models/res_company_collections.py": "collections",
    "report/billing_worklist.py": "collections",
    "report/billing_worklist_cockpit.py": "collections",
    "wizards/billing_collection_assign.py": "collections",
    "wizards/billing_collection_call.py": "collections",
    "wizards/billing_collection_schedule.py": "collections",
    "wizards/billing_followup_line_level.py": "collections",
    # invoicing: pre-send checks and billing runs
    "checks/": "invoicing",
    "models/account_move.py": "invoicing",
    "models/billing_invoice_check.py": "invoicing",
    "models/billing_invoice_check_result.py": "invoicing",
    "models/billing_invoice_checker.py": "invoicing",
    "models/billing_invoice_report.py": "invoicing",
    "models/billing_invoice_delivery.py": "invoicing",
    "models/billing_invoice_run.py": "invoicing",
    "models/billing_invoice_run_line.py": "invoicing",
    "models/res_company_invoicing.py": "invoicing",
    "wizards/billing_invoice_check_override.py": "invoicing",
    # credit control: a customer's credit state, its hold rules, the release by a manager
    "models/billing_credit_status.py": "credit",
    "models/billing_credit_events.py": "credit",
    "models/res_partner_credit.py": "credit",
    "wizards/billing_credit_release.py": "credit",
    "demo/billing_credit_demo.py": "credit",
    # credit control: its effects through the hooks of invoicing (a pre-send check) and collections (the worklist)
    "models/billing_credit_invoice_check.py": "credit",
    "models/billing_credit_checker.py": "credit",
    "models/account_move_credit.py": "credit",
    "models/billing_collection_credit.py": "credit",
    "report/billing_worklist_credit.py": "credit",
    # reports
    "report/billing_activity_report.py": "reports",
    "report/billing_aging.py": "reports",
    "report/billing_collector_report.py": "reports",
    "report/billing_kpi.py": "reports",
    "report/billing_statement.py": "reports",
    "report/billing_workbook.py": "reports",
    "outlook/": "reports",
    "models/billing_outlook_line.py": "reports",
    "report/billing_outlook_week.py": "reports",
    "report/billing_outlook_snapshot.py": "reports",
    "report/billing_outlook_accuracy.py": "reports",
    "report/billing_outlook_report.py": "reports",
    "wizards/billing_report_aging_line.py": "reports",
    "wizards/billing_report_open_item.py": "reports",
    "wizards/billing_report_wizard.py": "reports",
    "wizards/billing_statement_wizard.py": "reports",
    # portal
    "controllers/": "portal",
    # demo data and migrations build on everything; each capability's demo belongs to that capability
    "demo/": "demo",
    "demo/billing_dispute_demo.py": "disputes",
    "demo/billing_match_run_demo.py": "matching",
    "demo/billing_match_fee_rule_demo.py": "matching",
    "demo/billing_remittance_demo.py": "remittances",
    "demo/billing_collection_demo.py": "collections",
    "demo/billing_followup_run_demo.py": "collections",
    "demo/billing_promise_demo.py": "collections",
    "demo/billing_invoice_run_demo.py": "invoicing",
    "demo/billing_outlook_demo.py": "reports",
    "migrations/": "demo",
}

# Crossings (file, model, kind) still to remove: a call from a capability to one it may not call. Empty since
# issue 22; never add one (fix the call with a hook, or argue the table in docs/ARCHITECTURE.md).
KNOWN_CROSSINGS = set()

# Functions over MAX_LINES lines outside tests (issue 22: none). The list may only shrink, like KNOWN_CROSSINGS.
MAX_LINES = 60
LONG_FUNCTIONS = set()

# The Python trees the two rules below read (beside the addon; a folder that is not shipped is skipped).
TREES = ("billing_specialist", "billing_specialist_queue", "bench", "tools")

RELATIONAL = {"Many2one", "One2many", "Many2many"}


def capability_of(rel):
    if rel in FILES:
        return FILES[rel]
    folders = [folder for folder in FILES if folder.endswith("/") and rel.startswith(folder)]
    return FILES[max(folders, key=len)] if folders else None


def python_files():
    for path in sorted(ADDON.rglob("*.py")):
        rel = path.relative_to(ADDON).as_posix()
        if not rel.startswith("tests/"):
            yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def _strings(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [elt.value for elt in node.elts if isinstance(elt, ast.Constant) and isinstance(elt.value, str)]
    return []


def declared_models(tree):
    """The model names a file declares with ``_name``."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_name" for t in node.targets):
            names += _strings(node.value)
    return names


def references(tree):
    """(model, kind) for every ``env["billing.x"]``, ``_inherit`` and relational field comodel of a file."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "env":
            found += [(name, "env") for name in _strings(node.slice)]
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_inherit" for t in node.targets):
            found += [(name, "inherit") for name in _strings(node.value)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RELATIONAL
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "fields"
        ):
            args = node.args[:1] + [kw.value for kw in node.keywords if kw.arg == "comodel_name"]
            found += [(name, "field") for arg in args for name in _strings(arg)]
    return [(model, kind) for model, kind in found if model.startswith("billing.")]


def crossings():
    """The set of (file, model, kind) that go against ``MAY_CALL``, and the files without a capability."""
    files = list(python_files())
    owner, unmapped = {}, []
    for rel, tree in files:
        cap = capability_of(rel)
        if cap is None:
            unmapped.append(rel)
        for name in declared_models(tree):
            owner[name] = cap
    found = set()
    for rel, tree in files:
        cap = capability_of(rel)
        for model, kind in references(tree):
            target = owner.get(model)
            if cap and target and target != cap and target not in MAY_CALL[cap]:
                found.add((rel, model, kind))
    return found, unmapped, owner


@tagged("post_install", "-at_install", "architecture")
class TestArchitecture(BaseCase):
    def test_every_file_has_a_capability(self):
        _found, unmapped, owner = crossings()
        self.assertEqual(unmapped, [], "give each new file a capability in FILES")
        self.assertIn("billing.dispute", owner)
        self.assertEqual(owner["billing.match.run"], "matching")
        self.assertEqual(owner["billing.run.chunk"], "runs")

    def test_the_table_has_no_cycle(self):
        """``MAY_CALL`` is an order: no capability may reach itself through others."""
        for start in MAY_CALL:
            seen, todo = set(), list(MAY_CALL[start])
            while todo:
                cap = todo.pop()
                self.assertNotEqual(cap, start, f"{start} reaches itself")
                if cap not in seen:
                    seen.add(cap)
                    todo += MAY_CALL[cap]

    def test_no_new_crossing(self):
        found, _unmapped, _owner = crossings()
        new = sorted(found - KNOWN_CROSSINGS)
        self.assertEqual(new, [], "a lower capability references a higher one (see docs/ARCHITECTURE.md)")

    def test_known_crossings_still_exist(self):
        """The ratchet: a crossing that was removed leaves the list too, so the list stays true."""
        found, _unmapped, _owner = crossings()
        gone = sorted(KNOWN_CROSSINGS - found)
        self.assertEqual(gone, [], "remove these from KNOWN_CROSSINGS and lower the count in docs/ARCHITECTURE.md")

    def test_the_page_gives_the_count(self):
        """docs/ARCHITECTURE.md says how many crossings are left (skipped where the addon ships without docs/)."""
        page = ADDON.parent / "docs" / "ARCHITECTURE.md"
        if not page.exists():
            self.skipTest("no docs/ARCHITECTURE.md beside the addon")
        counts = re.findall(r"(\d+) known crossings to remove", page.read_text(encoding="utf-8"))
        self.assertEqual(counts, [str(len(KNOWN_CROSSINGS))])

    def test_the_walk_sees_references(self):
        """The walker finds each kind of reference (a walker that finds nothing would pass every file)."""
        tree = ast.parse(
            "class A(models.Model):\n"
            "    _name = 'billing.a'\n"
            "    _inherit = ['mail.thread', 'billing.b']\n"
            "    c_id = fields.Many2one('billing.c')\n"
            "    d_ids = fields.One2many(comodel_name='billing.d', inverse_name='a_id')\n"
            "    def f(self):\n"
            "        return self.env['billing.e'], self.env['res.partner']\n"
        )
        self.assertEqual(declared_models(tree), ["billing.a"])
        self.assertEqual(
            sorted(references(tree)),
            [("billing.b", "inherit"), ("billing.c", "field"), ("billing.d", "field"), ("billing.e", "env")],
        )
        # On the addon itself: every kind is seen, and references that go from one capability to another (allowed
        # ones, now that no crossing is left), so the rule has something to judge.
        _found, _unmapped, owner = crossings()
        by_kind = defaultdict(int)
        across = set()
        for rel, tree in python_files():
            for model, kind in references(tree):
                by_kind[kind] += 1
                if owner.get(model) and owner[model] != capability_of(rel):
                    across.add((capability_of(rel), owner[model]))
        self.assertEqual(set(by_kind), {"env", "inherit", "field"})
        self.assertIn(("remittances", "matching"), across)
        self.assertIn(("matching", "disputes"), across)


def project_python_files():
    """(path relative to the project, source) of every Python file outside tests in ``TREES``."""
    root = ADDON.parent
    for tree in TREES:
        for path in sorted((root / tree).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if "/tests/" not in rel:
                yield rel, path.read_text(encoding="utf-8")


def long_functions():
    found = set()
    for rel, source in project_python_files():
        for node in ast.walk(ast.parse(source, filename=rel)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.end_lineno - node.lineno + 1 > MAX_LINES:
                    found.add((rel, node.name))
    return found


@tagged("post_install", "-at_install", "architecture")
class TestCodeShape(BaseCase):
    def test_no_new_long_function(self):
        new = sorted(long_functions() - LONG_FUNCTIONS)
        self.assertEqual(new, [], f"split these functions to at most {MAX_LINES} lines")

    def test_long_functions_still_long(self):
        """The ratchet: a function that was split leaves the list."""
        if not (ADDON.parent / "bench").exists():
            self.skipTest("the addon ships without bench/ and tools/")
        gone = sorted(LONG_FUNCTIONS - long_functions())
        self.assertEqual(gone, [], "remove these from LONG_FUNCTIONS")

    def test_formatter_markers_give_a_reason(self):
        """A ``# fmt: skip`` / ``# fmt: off`` says why on the same line, after the marker."""
        bare = [
            f"{rel}:{number}"
            for rel, source in project_python_files()
            for number, line in enumerate(source.splitlines(), 1)
            if re.search(r"#\s*fmt:\s*(skip|off)\s*$", line)
        ]
        self.assertEqual(bare, [])

    def test_the_shape_walk_sees_functions(self):
        """The walker reads the addon (a walker that reads nothing would pass every rule)."""
        rels = [rel for rel, _source in project_python_files()]
        self.assertIn("billing_specialist/matching/engine.py", rels)
        self.assertNotIn("billing_specialist/tests/common.py", rels)
