"""Speed of the pre-send invoice checks on a large ledger.

Builds (once) a database with billing_specialist and a seeded synthetic history of 200,000 posted customer invoices
(2,000 customers, two years, one product line each) and 10,000 draft invoices dated today, loaded with COPY, then
times every check on all the drafts at once (``account.move._billing_run_checks``: the checks, and the findings
stored on the invoices), each check apart, and the peak RSS.

    python3 bench/invoicing_checks.py [--db billing_bench_checks] [--history 200000] [--drafts 10000] [--reset]

Budget (issue 12, 2-core machine): checks on 10,000 drafts against 200,000 posted invoices <= 20 s.
"""

import argparse
import random
import resource
import time
from datetime import date, timedelta

from _common import MOVE_COLUMNS as LEDGER_MOVE_COLUMNS
from _common import copy_rows, prepare_registry, reserve_ids

MOVE_COLUMNS = (*LEDGER_MOVE_COLUMNS, "ref")

LINE_COLUMNS = (
    "id",
    "move_id",
    "company_id",
    "journal_id",
    "account_id",
    "partner_id",
    "date",
    "balance",
    "debit",
    "credit",
    "amount_currency",
    "currency_id",
    "company_currency_id",
    "parent_state",
    "display_type",
    "product_id",
    "quantity",
    "price_unit",
    "move_name",
)


def generate(env, history, drafts, seed=12):
    """Customers billed about the same amount each month (some in another currency), 5% of drafts odd."""
    rng = random.Random(seed)
    cr = env.cr
    company = env.company
    today = date.today()
    partners = env["res.partner"].create(
        [
            {
                "name": f"Check Customer {i:04d}",
                "is_company": True,
                "email": f"ap{i}@example.com" if i % 50 else False,
                "billing_po_required": i % 10 == 0,
            }
            for i in range(2000)
        ]
    )
    partner_ids = partners.ids
    usual = {pid: round(rng.uniform(100, 5000), 2) for pid in partner_ids}
    sale = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    income = env["account.account"].with_company(company).search([("account_type", "=", "income")], limit=1)
    product = env["product.product"].create({"name": "Check Bench Service", "list_price": 100.0})
    tax = product.taxes_id[:1]
    ids = (company.id, company.currency_id.id, sale.id, income.id, product.id)
    move_id = reserve_ids(cr, "account_move", history + drafts)
    line_id = reserve_ids(cr, "account_move_line", history + drafts)
    moves, lines, tax_rel = [], [], []
    earlier = {}  # customer -> the numbers of its posted PO references
    for i in range(history + drafts):
        draft = i >= history
        partner = rng.choice(partner_ids)
        day = today if draft else today - timedelta(days=rng.randint(1, 729))
        amount = round(usual[partner] * rng.uniform(0.9, 1.1), 2)
        if draft and rng.random() < 0.05:
            amount = round(amount * 8, 2)
        ref = f"PO-{i}"
        if draft and earlier.get(partner) and rng.random() < 0.02:  # the customer's earlier PO number written
            ref = f"po {rng.choice(earlier[partner])}\u00a0\u200b"  # otherwise: the same reference, any date
        elif not draft:
            earlier.setdefault(partner, []).append(i)
        move, line = _invoice_rows(ids, move_id, line_id, i, draft, partner, day, amount, ref)
        moves.append(move)
        lines.append(line)
        if draft and rng.random() < 0.95:
            tax_rel.append((line_id, tax.id))
        move_id += 1
        line_id += 1
    _copy(cr, moves, lines, tax_rel)


def _invoice_rows(ids, move_id, line_id, i, draft, partner, day, amount, ref):
    """Invoice number ``i`` (posted, or a draft) as rows: (account_move, its product line)."""
    company_id, currency, sale_id, income_id, product_id = ids
    state = "draft" if draft else "posted"
    name = "/" if draft else f"INV/C/{i:07d}"
    move = (move_id, sale_id, company_id, currency, state, "out_invoice", "no", day, name, partner, partner, day)
    move += (day + timedelta(days=30), amount, amount, amount, amount, amount, amount, "not_paid", ref)
    line = (line_id, move_id, company_id, sale_id, income_id, partner, day, -amount, 0, amount, -amount, currency)
    line += (currency, state, "product", product_id, 1.0, amount, name)
    return move, line


def _copy(cr, moves, lines, tax_rel):
    """The rows loaded with COPY, the stored reference keys filled, the tables analyzed."""
    copy_rows(cr, "account_move", MOVE_COLUMNS, moves)
    copy_rows(cr, "account_move_line", LINE_COLUMNS, lines)
    copy_rows(cr, "account_move_line_account_tax_rel", ("account_move_line_id", "account_tax_id"), tax_rel)
    from odoo.addons.billing_specialist.models.account_move import fill_ref_keys

    fill_ref_keys(cr)  # COPY bypasses the ORM: the stored reference keys, as the upgrade fills them
    cr.execute("ANALYZE account_move; ANALYZE account_move_line; ANALYZE account_move_line_account_tax_rel")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="billing_bench_checks")
    parser.add_argument("--history", type=int, default=200_000)
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    import odoo

    registry = prepare_registry(
        args.db,
        args.reset,
        lambda env: generate(env, args.history, args.drafts),
        lambda _result: f"{args.history:,} posted and {args.drafts:,} draft invoices",
    )
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["billing.invoice.check"].search([("company_id", "=", env.company.id)]).mode = "warn"
        drafts = env["account.move"].search([("state", "=", "draft"), ("move_type", "=", "out_invoice")])
        cr.execute("SELECT count(*) FROM account_move WHERE state = 'posted' AND move_type = 'out_invoice'")
        print(f"ledger: {cr.fetchone()[0]:,} posted invoices; {len(drafts):,} drafts to check")
        checker = env["billing.invoice.checker"]
        checks = env["billing.invoice.check"]._by_company(env.company)[env.company.id]
        env.flush_all()
        for code, check in checks.items():
            env.invalidate_all()
            started = time.perf_counter()
            found = list(getattr(checker, f"_check_{code}")(drafts, {env.company.id: check}))
            print(f"  {code:15} {time.perf_counter() - started:6.2f} s  {len(found):6,} findings")
        env.invalidate_all()
        started = time.perf_counter()
        results = drafts._billing_run_checks()
        env.flush_all()
        elapsed = time.perf_counter() - started
        flagged = sum(1 for items in results.values() if items)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"all checks on {len(drafts):,} drafts, findings stored: {elapsed:.2f} s (budget 20 s); "
            f"{flagged:,} drafts with findings; process peak RSS {rss:.0f} MiB"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
