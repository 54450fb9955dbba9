"""Speed and memory of the follow-up run on a large ledger.

Builds (once) a database with billing_specialist and a seeded synthetic ledger loaded with COPY: 5,000 customers
(one in ten without an e-mail), 50,000 open invoices of which 20,000 overdue (1 to 150 days), 500 of the overdue in
an open dispute case, 300 under an open promise to pay. Then, in this process with a real Odoo registry, times:
  - a preview run (the lines, nothing sent),
  - a full run (planned again and sent: e-mails queued as mail.mail, letters listed, calls scheduled),
and prints the process peak RSS. Everything the runs write is rolled back, so the figures repeat.

    python3 bench/collections.py [--db billing_bench_collections] [--reset]

Budgets (issue 11, 2-core machine): preview <= 30 s, full run <= 90 s, peak RSS <= 1 GiB.
"""

import argparse
import random
import resource
import time
from datetime import date, timedelta

from _common import prepare_registry
from reporting import copy_rows, reserve_ids

CUSTOMERS, INVOICES, OVERDUE, DISPUTED, PROMISED = 5000, 50_000, 20_000, 500, 300


def generate(env, seed=11):
    rng = random.Random(seed)
    cr = env.cr
    company = env.company
    today = date.today()
    partners = env["res.partner"].create(
        [{"name": f"Collect Customer {i:05d}", "is_company": True,
          "email": f"ap{i:05d}@customer.example.com" if i % 10 else False} for i in range(CUSTOMERS)]
    )  # fmt: skip
    partner_ids = partners.ids
    Journal = env["account.journal"]
    sale = Journal.search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    Account = env["account.account"].with_company(company)
    receivable = Account.search([("account_type", "=", "asset_receivable")], limit=1)
    income = Account.search([("account_type", "=", "income")], limit=1)
    currency = company.currency_id.id
    move_id = reserve_ids(cr, "account_move", INVOICES)
    line_id = reserve_ids(cr, "account_move_line", 2 * INVOICES)
    moves, lines, overdue = [], [], []
    for i in range(INVOICES):
        due = today - timedelta(days=rng.randint(1, 150)) if i < OVERDUE else today + timedelta(days=rng.randint(0, 60))
        invoice_date = due - timedelta(days=30)
        amount = round(rng.uniform(50, 5000), 2)
        partner = rng.choice(partner_ids)
        name = f"INV/C/{i:07d}"
        moves.append((move_id, sale.id, company.id, currency, "posted", "out_invoice", "no", invoice_date, name,
                      partner, partner, invoice_date, due, amount, amount, amount, amount, amount, amount,
                      "not_paid"))  # fmt: skip
        lines.append((line_id, move_id, company.id, sale.id, receivable.id, partner, invoice_date, due, amount,
                      amount, 0, amount, currency, currency, "posted", "payment_term", amount, amount, False,
                      name))  # fmt: skip
        lines.append((line_id + 1, move_id, company.id, sale.id, income.id, partner, invoice_date, None, -amount, 0,
                      amount, -amount, currency, currency, "posted", "product", 0, 0, False, name))  # fmt: skip
        if i < OVERDUE:
            overdue.append((move_id, partner, amount, due))
        move_id += 1
        line_id += 2
    copy_rows(cr, "account_move", (
        "id", "journal_id", "company_id", "currency_id", "state", "move_type", "auto_post", "date", "name",
        "partner_id", "commercial_partner_id", "invoice_date", "invoice_date_due", "amount_total",
        "amount_total_signed", "amount_residual", "amount_residual_signed", "amount_untaxed", "amount_untaxed_signed",
        "payment_state"), moves)  # fmt: skip
    copy_rows(cr, "account_move_line", (
        "id", "move_id", "company_id", "journal_id", "account_id", "partner_id", "date", "date_maturity", "balance",
        "debit", "credit", "amount_currency", "currency_id", "company_currency_id", "parent_state", "display_type",
        "amount_residual", "amount_residual_currency", "reconciled", "move_name"), lines)  # fmt: skip
    rng.shuffle(overdue)
    _disputes(env, overdue[:DISPUTED], today)
    _promises(env, overdue[DISPUTED : DISPUTED + PROMISED], today)
    cr.execute("ANALYZE account_move; ANALYZE account_move_line")
    return len(moves)


def _disputes(env, invoices, today):
    cr, company = env.cr, env.company
    stage = env.ref("billing_specialist.stage_in_progress", raise_if_not_found=False) or env[
        "billing.dispute.stage"
    ].search([("state", "=", "in_progress")], limit=1)
    reason = env["billing.dispute.reason"].search([], limit=1)
    for index, (move_id, partner, amount, due) in enumerate(invoices):
        opened = min(today, due + timedelta(days=5))
        cr.execute(
            """INSERT INTO billing_dispute (company_id, partner_id, reason_id, name, channel, date_opened, stage_id,
                   state, currency_id, priority, active, amount_disputed, amount_remaining)
               VALUES (%s, %s, %s, %s, 'back_office', %s, %s, 'in_progress', %s, '0', true, %s, %s) RETURNING id""",
            (company.id, partner, reason.id, f"DSP/C/{index:05d}", opened, stage.id, company.currency_id.id, amount,
             amount),
        )  # fmt: skip
        dispute_id = cr.fetchone()[0]
        cr.execute(
            """INSERT INTO billing_dispute_line (dispute_id, move_id, company_id, currency_id, amount_disputed,
                   amount_remaining) VALUES (%s, %s, %s, %s, %s, %s)""",
            (dispute_id, move_id, company.id, company.currency_id.id, amount, amount),
        )
        cr.execute(
            "UPDATE account_move SET billing_in_dispute = true, billing_disputed_amount = %s WHERE id = %s",
            (amount, move_id),
        )


def _promises(env, invoices, today):
    cr, company = env.cr, env.company
    for move_id, partner, amount, _due in invoices:
        cr.execute(
            """INSERT INTO billing_promise (company_id, partner_id, currency_id, channel, state, date, amount,
                   tolerance_days, date_deadline) VALUES (%s, %s, %s, 'phone', 'open', %s, %s, 3, %s) RETURNING id""",
            (company.id, partner, company.currency_id.id, today + timedelta(days=5), amount, today + timedelta(days=8)),
        )
        cr.execute(
            "INSERT INTO billing_promise_move_rel (promise_id, move_id) VALUES (%s, %s)", (cr.fetchone()[0], move_id)
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="billing_bench_collections")
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    import odoo

    registry = prepare_registry(args.db, args.reset, generate, lambda count: f"{count:,} open invoices")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.company
        Run = env["billing.followup.run"]
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        preview = Run._start(company)
        preview_s = time.perf_counter() - started
        print(f"preview: {preview_s:.1f} s, {preview.line_count:,} customers to follow up (budget 30 s)")
        started = time.perf_counter()
        run = Run._run_company(company, mode="manual")
        env.flush_all()
        full_s = time.perf_counter() - started
        mails = env["mail.mail"].search_count([("billing_followup_line_id.run_id", "=", run.id)])
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"full run: {full_s:.1f} s (budget 90 s): {run.line_count:,} customers, {mails:,} e-mails queued, "
              f"{run.letter_count:,} letters, {run.nothing_count} nothing sent, {run.error_count} failed")  # fmt: skip
        print(f"process peak RSS {rss:.0f} MiB (budget 1024 MiB; {rss_before:.0f} MiB before the runs)")
        cr.rollback()


if __name__ == "__main__":
    main()
