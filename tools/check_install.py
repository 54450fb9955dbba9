"""Post-install checks of billing_specialist, run by tools/test.sh.

--demo: the demo data of a fresh demo database has cases in every state, invoices in dispute and in every
payment state, and the admin is a billing manager; issue 24's screens are not empty: a customer on credit hold and
one on watch, a cash outlook whose band is visible (rows with early and late dates apart) and past weeks on the
accuracy screen.
--uninstall: uninstalling the addon from a database that holds none of its records (the test database) leaves
no table, column, model or xml id of it behind. Exits non-zero when a check fails.
"""

import argparse
import sys

import odoo
from odoo.modules.registry import Registry


def check_demo(database):
    failures = []
    with Registry(database).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        states = set(env["billing.dispute"].search([]).mapped("state"))
        expected = {"new", "in_progress", "waiting", "resolved", "rejected", "cancelled"}
        if not expected <= states:
            failures.append(f"demo cases miss the states {sorted(expected - states)}")
        if not env["account.move"].search_count([("billing_in_dispute", "=", True)]):
            failures.append("no demo invoice is in dispute")
        invoices = env["account.move"].search([("move_type", "=", "out_invoice")])
        payment_states = set(invoices.mapped("payment_state"))
        if not {"paid", "partial", "not_paid"} <= payment_states:
            failures.append(f"demo invoices are only {sorted(payment_states)}")
        if not env.ref("base.user_admin").has_group("billing_specialist.group_billing_manager"):
            failures.append("the admin is not a billing manager")
        failures += _check_demo_issue24(env)
        print(
            f"demo: {env['billing.dispute'].search_count([])} cases in states {sorted(states)}; "
            f"{len(invoices)} invoices {sorted(payment_states)}"
        )
    return failures


def _check_demo_issue24(env):
    failures = []
    credit_states = set(env["billing.credit.status"].search([]).mapped("state"))
    if not {"hold", "watch"} <= credit_states:
        failures.append(f"demo credit states are only {sorted(credit_states)}: no customer on hold and on watch")
    lines = env["billing.outlook.line"].search([("kind", "=", "item"), ("date_expected", "!=", False)])
    if not lines.filtered(lambda line: line.date_early and line.date_late and line.date_early < line.date_late):
        failures.append("the demo's cash outlook has no band (no row with its early date before its late date)")
    if not env["billing.outlook.accuracy"].search_count([("has_1w", "=", True)]):
        failures.append("the demo's outlook accuracy has no past week with a snapshot")
    print(
        f"demo: credit states {sorted(credit_states)}; {len(lines)} outlook rows with a date; "
        f"{env['billing.outlook.accuracy'].search_count([])} accuracy weeks"
    )
    return failures


def check_uninstall(database):
    failures = []
    with Registry(database).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.module.module"].search([("name", "=", "billing_specialist")]).button_immediate_uninstall()
    with Registry(database).cursor() as cr:
        counts = {}
        for label, query in {
            "tables": "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'billing_%'",
            "models": "SELECT count(*) FROM ir_model WHERE model LIKE 'billing.%'",
            "xml ids": "SELECT count(*) FROM ir_model_data WHERE module = 'billing_specialist'",
            "columns": "SELECT count(*) FROM information_schema.columns WHERE column_name LIKE 'billing_%'",
            "menus": "SELECT count(*) FROM ir_ui_menu WHERE web_icon LIKE 'billing_specialist,%'",
        }.items():
            cr.execute(query)
            counts[label] = cr.fetchone()[0]
        if any(counts.values()):
            failures.append(f"uninstall left {counts}")
        else:
            print("uninstall: no table, column, model, xml id or menu of billing_specialist is left")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--uninstall", action="store_true")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-d", args.database, f"--addons-path={args.addons_path}", "--log-level=warn"])
    failures = []
    if args.demo:
        failures += check_demo(args.database)
    if args.uninstall:
        failures += check_uninstall(args.database)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
