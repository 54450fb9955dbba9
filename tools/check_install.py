"""Check a database where billing_specialist was just installed with demo data, then uninstall it.

Asserts that the demo has cases in every state and invoices in dispute, then that uninstalling leaves
no table, model or menu of the addon behind. Exits non-zero on the first failed check.
"""

import argparse
import sys

import odoo
from odoo.modules.registry import Registry


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--addons-path", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-d", args.database, f"--addons-path={args.addons_path}", "--log-level=warn"])
    registry = Registry(args.database)
    failures = []
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        states = set(env["billing.dispute"].search([]).mapped("state"))
        expected = {"new", "in_progress", "waiting", "resolved", "rejected", "cancelled"}
        if not expected <= states:
            failures.append(f"demo cases miss the states {sorted(expected - states)}")
        if not env["account.move"].search_count([("billing_in_dispute", "=", True)]):
            failures.append("no demo invoice is in dispute")
        payment_states = set(env["account.move"].search([("move_type", "=", "out_invoice")]).mapped("payment_state"))
        if not {"paid", "partial", "not_paid"} <= payment_states:
            failures.append(f"demo invoices are only {sorted(payment_states)}")
        admin = env.ref("base.user_admin")
        if not admin.has_group("billing_specialist.group_billing_manager"):
            failures.append("the admin is not a billing manager")
        print(
            f"demo: {env['billing.dispute'].search_count([])} cases in states {sorted(states)}; "
            f"invoices {sorted(payment_states)}"
        )
        module = env["ir.module.module"].search([("name", "=", "billing_specialist")])
        module.button_immediate_uninstall()
    registry = Registry(args.database)
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'billing_dispute%'")
        tables = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM ir_model WHERE model LIKE 'billing.%'")
        models = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM ir_model_data WHERE module = 'billing_specialist'")
        xmlids = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'account_move' "
            "AND column_name LIKE 'billing_%'"
        )
        columns = cr.fetchone()[0]
        if tables or models or xmlids or columns:
            failures.append(
                f"uninstall left {tables} tables, {models} models, {xmlids} xml ids, {columns} account_move columns"
            )
        else:
            print("uninstall: no table, model, record or column of billing_specialist is left")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
