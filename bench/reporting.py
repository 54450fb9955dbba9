"""Speed and memory of the billing reports on a large ledger.

Builds (once) a database with billing_specialist and a seeded synthetic ledger of about 1,000,000 journal items
(300,000 customer invoices of 2 lines, 200,000 payments of 2 lines reconciled in full or in part), loaded with COPY,
then times, in this process with a real Odoo registry:
  - the aged receivables as of a past date (all customers),
  - the KPI summary of a period,
  - the XLSX workbook of a period holding about 100,000 invoices (tracemalloc peak and process peak RSS).

    python3 bench/reporting.py [--db billing_bench_report] [--invoices 300000] [--reset] [--memory]

Budgets (issue 4, 2-core machine): aging <= 3 s, KPIs <= 5 s, workbook <= 20 s and <= 500 MiB peak.
"""

import argparse
import random
import resource
import time
import tracemalloc
from datetime import date, timedelta

from _common import LINE_COLUMNS, MOVE_COLUMNS, copy_rows, prepare_registry, reserve_ids

PARTIAL_COLUMNS = (
    "id",
    "debit_move_id",
    "credit_move_id",
    "amount",
    "debit_amount_currency",
    "credit_amount_currency",
    "debit_currency_id",
    "credit_currency_id",
    "company_id",
    "max_date",
)


def generate(env, invoices, seed=42):
    """Seeded ledger: invoices over two years, 60% paid in full, 7% partly, the rest open."""
    rng = random.Random(seed)
    cr = env.cr
    company = env.company
    today = date.today()
    partners = env["res.partner"].create([{"name": f"Bench Customer {i:05d}", "is_company": True} for i in range(5000)])
    partner_ids = partners.ids
    ids = _accounts(env, company)
    currency = company.currency_id.id
    n_payments = int(invoices * 0.67)
    move_id = reserve_ids(cr, "account_move", invoices + n_payments)
    line_id = reserve_ids(cr, "account_move_line", 2 * (invoices + n_payments))
    partial_id = reserve_ids(cr, "account_partial_reconcile", n_payments)
    moves, lines, partials = [], [], []
    for i in range(invoices):
        invoice_date = today - timedelta(days=rng.randint(0, 729))
        due = invoice_date + timedelta(days=30)
        amount = round(rng.uniform(50, 5000), 2)
        partner = rng.choice(partner_ids)
        roll = rng.random()
        paid = amount if roll < 0.60 else round(amount * rng.uniform(0.2, 0.8), 2) if roll < 0.67 else 0.0
        inv_rec = line_id
        rows = _invoice_rows(ids, move_id, line_id, f"INV/B/{i:07d}", partner, invoice_date, due, amount, paid)
        moves.append(rows[0])
        lines += rows[1:]
        move_id += 1
        line_id += 2
        if paid:
            pay_date = min(today, invoice_date + timedelta(days=rng.randint(5, 90)))
            rows = _payment_rows(ids, move_id, line_id, f"PAY/B/{i:07d}", partner, pay_date, paid)
            moves.append(rows[0])
            lines += rows[1:]
            partial = (partial_id, inv_rec, line_id, paid, paid, paid, currency, currency, company.id)
            partials.append((*partial, max(invoice_date, pay_date)))
            partial_id += 1
            move_id += 1
            line_id += 2
    copy_rows(cr, "account_move", MOVE_COLUMNS, moves)
    copy_rows(cr, "account_move_line", LINE_COLUMNS, lines)
    copy_rows(cr, "account_partial_reconcile", PARTIAL_COLUMNS, partials)
    cr.execute("ANALYZE account_move; ANALYZE account_move_line; ANALYZE account_partial_reconcile")
    return len(lines)


def _accounts(env, company):
    """(company, currency, sale journal, bank journal, receivable, income, outstanding receipts account) ids."""
    Journal = env["account.journal"]
    sale = Journal.search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    bank = Journal.search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    Account = env["account.account"].with_company(company)
    receivable = Account.search([("account_type", "=", "asset_receivable")], limit=1)
    income = Account.search([("account_type", "=", "income")], limit=1)
    outstanding = Account.search([("account_type", "=", "asset_current"), ("reconcile", "=", True)], limit=1)
    return (company.id, company.currency_id.id, sale.id, bank.id, receivable.id, income.id, outstanding.id)


def _invoice_rows(ids, move_id, line_id, name, partner, day, due, amount, paid):
    """A posted invoice paid ``paid`` of ``amount``, as rows: (account_move, its receivable line, its income line)."""
    company_id, currency, sale_id, _bank_id, receivable_id, income_id, _outstanding_id = ids
    residual = round(amount - paid, 2)
    state = "paid" if residual == 0 else ("partial" if paid else "not_paid")
    move = (move_id, sale_id, company_id, currency, "posted", "out_invoice", "no", day, name, partner, partner, day)
    move += (due, amount, amount, residual, residual, amount, amount, state)
    line = (line_id, move_id, company_id, sale_id, receivable_id, partner, day, due, amount, amount, 0, amount)
    line += (currency, currency, "posted", "payment_term", residual, residual, residual == 0, name)
    income = (line_id + 1, move_id, company_id, sale_id, income_id, partner, day, None, -amount, 0, amount, -amount)
    income += (currency, currency, "posted", "product", 0, 0, False, name)
    return move, line, income


def _payment_rows(ids, move_id, line_id, name, partner, day, paid):
    """A payment of ``paid`` reconciled with its invoice, as rows: (account_move, its receivable line, its
    outstanding receipts line)."""
    company_id, currency, _sale_id, bank_id, receivable_id, _income_id, outstanding_id = ids
    move = (move_id, bank_id, company_id, currency, "posted", "entry", "no", day, name, partner, partner, None, None)
    move += (paid, paid, 0, 0, paid, paid, None)
    line = (line_id, move_id, company_id, bank_id, receivable_id, partner, day, day, -paid, 0, paid, -paid, currency)
    line += (currency, "posted", "payment_term", 0, 0, True, name)
    other = (line_id + 1, move_id, company_id, bank_id, outstanding_id, partner, day, None, paid, paid, 0, paid)
    other += (currency, currency, "posted", "product", paid, paid, False, name)
    return move, line, other


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="billing_bench_report")
    parser.add_argument("--invoices", type=int, default=300_000)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--memory", action="store_true", help="also trace Python allocations of the workbook")
    args = parser.parse_args()
    import odoo

    registry = prepare_registry(
        args.db, args.reset, lambda env: generate(env, args.invoices), lambda count: f"{count:,} journal items"
    )
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.company
        cr.execute("SELECT count(*) FROM account_move_line WHERE company_id = %s", (company.id,))
        total_lines = cr.fetchone()[0]
        today = date.today()
        period = (today - timedelta(days=242), today)
        cr.execute(
            "SELECT count(*) FROM account_move WHERE move_type = 'out_invoice' AND invoice_date BETWEEN %s AND %s",
            period,
        )
        period_invoices = cr.fetchone()[0]
        print(f"ledger: {total_lines:,} journal items; period {period[0]} .. {period[1]}: {period_invoices:,} invoices")

        started = time.perf_counter()
        aging = env["billing.aging"]._get_aging(company, today - timedelta(days=180))
        aging_s = time.perf_counter() - started
        print(
            f"aging as of {today - timedelta(days=180)}: {aging_s:.2f} s ({len(aging['rows']):,} customers, "
            f"total {aging['total']:,.2f} = ledger {aging['ledger_balance']:,.2f})"
        )

        started = time.perf_counter()
        kpis = env["billing.kpi"]._get_kpis(company, *period)
        kpi_s = time.perf_counter() - started
        print(
            f"KPI summary: {kpi_s:.2f} s (DSO {kpis['dso_simple']}, countback {kpis['dso_countback']}, "
            f"CEI {kpis['cei']})"
        )

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        content = env["billing.workbook"]._build(company, *period)
        xlsx_s = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"XLSX workbook ({period_invoices:,} invoices): {xlsx_s:.2f} s, {len(content) / 2**20:.1f} MiB file, "
            f"process peak RSS {rss:.0f} MiB (was {rss_before:.0f} MiB before the workbook)"
        )
        if args.memory:
            tracemalloc.start()
            env["billing.workbook"]._build(company, *period)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"XLSX workbook: Python allocations peak {peak / 2**20:.0f} MiB (tracemalloc, slows the run)")


if __name__ == "__main__":
    main()
