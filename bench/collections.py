"""Speed and memory of the follow-up run on a large ledger.

Builds (once) a database with billing_specialist and a seeded synthetic ledger loaded with COPY: 5,000 customers
(one in ten without an e-mail), 50,000 open invoices of which 20,000 overdue (1 to 150 days), 500 of the overdue in
an open dispute case, 300 under an open promise to pay; and cash not applied yet: 200 posted payments, 150 bank
lines naming their customer, 50 bank lines naming only the payer, 100 open credit notes. Then, in this process with a
real Odoo registry, times:
  - opening the worklist of one specialist (1,000 customers in his portfolio): the first page of 80 rows with every
    column of the list, and the count, as the web client asks them (best of 3),
  - a preview run (the lines, nothing sent),
  - a full run (planned again and sent: e-mails queued as mail.mail, letters listed, calls scheduled),
and prints the process peak RSS. Everything the runs write is rolled back, so the figures repeat.

    python3 bench/collections.py [--db billing_bench_collections] [--reset] [--worklist-only]

Budgets (issue 11, 2-core machine): worklist <= 1 s, preview <= 30 s, full run <= 90 s, peak RSS <= 1 GiB.
A database generated before the cash was added has none: --reset rebuilds it.
"""

import argparse
import random
import resource
import time
from datetime import date, timedelta

from _common import LINE_COLUMNS, MOVE_COLUMNS, copy_rows, prepare_registry, reserve_ids

CUSTOMERS, INVOICES, OVERDUE, DISPUTED, PROMISED = 5000, 50_000, 20_000, 500, 300
PAYMENTS, BANK_LINES, PAYER_LINES, CREDIT_NOTES = 200, 150, 50, 100
PORTFOLIO = 1000
WORKLIST_FIELDS = (
    "score",
    "partner_id",
    "reason",
    "overdue_amount",
    "followup_amount",
    "disputed_amount",
    "promised_amount",
    "unapplied_amount",
    "credit_amount",
    "call_status",
    "level_id",
    "next_action_date",
    "currency_id",
    "broken_since_call",
    "points_action",
)


def generate(env, seed=11):
    rng = random.Random(seed)
    cr = env.cr
    company = env.company
    today = date.today()
    partners = env["res.partner"].create(
        [
            {
                "name": f"Collect Customer {i:05d}",
                "is_company": True,
                "email": f"ap{i:05d}@customer.example.com" if i % 10 else False,
            }
            for i in range(CUSTOMERS)
        ]
    )
    partner_ids = partners.ids
    Journal = env["account.journal"]
    sale = Journal.search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    Account = env["account.account"].with_company(company)
    receivable = Account.search([("account_type", "=", "asset_receivable")], limit=1)
    income = Account.search([("account_type", "=", "income")], limit=1)
    accounts = (company.id, company.currency_id.id, sale.id, receivable.id, income.id)
    move_id = reserve_ids(cr, "account_move", INVOICES)
    line_id = reserve_ids(cr, "account_move_line", 2 * INVOICES)
    moves, lines, overdue = [], [], []
    for i in range(INVOICES):
        due = today - timedelta(days=rng.randint(1, 150)) if i < OVERDUE else today + timedelta(days=rng.randint(0, 60))
        amount = round(rng.uniform(50, 5000), 2)
        partner = rng.choice(partner_ids)
        move, receivable_line, income_line = _invoice_rows(accounts, move_id, line_id, i, partner, due, amount)
        moves.append(move)
        lines.append(receivable_line)
        lines.append(income_line)
        if i < OVERDUE:
            overdue.append((move_id, partner, amount, due))
        move_id += 1
        line_id += 2
    copy_rows(cr, "account_move", MOVE_COLUMNS, moves)
    copy_rows(cr, "account_move_line", LINE_COLUMNS, lines)
    rng.shuffle(overdue)
    _disputes(env, overdue[:DISPUTED], today)
    _promises(env, overdue[DISPUTED : DISPUTED + PROMISED], today)
    _cash(env, rng, partners, today)
    env.flush_all()
    cr.execute("ANALYZE")  # a running server's statistics (autovacuum), not those of empty tables
    return len(moves)


def _invoice_rows(accounts, move_id, line_id, i, partner, due, amount):
    """The posted invoice number ``i`` as rows: (account_move, its receivable line, its income line)."""
    company_id, currency, sale_id, receivable_id, income_id = accounts
    invoice_date = due - timedelta(days=30)
    name = f"INV/C/{i:07d}"
    move = (move_id, sale_id, company_id, currency, "posted", "out_invoice", "no", invoice_date, name, partner)
    move += (partner, invoice_date, due, amount, amount, amount, amount, amount, amount, "not_paid")
    line = (line_id, move_id, company_id, sale_id, receivable_id, partner, invoice_date, due, amount, amount, 0, amount)
    line += (currency, currency, "posted", "payment_term", amount, amount, False, name)
    income = (line_id + 1, move_id, company_id, sale_id, income_id, partner, invoice_date, None, -amount, 0, amount)
    income += (-amount, currency, currency, "posted", "product", 0, 0, False, name)
    return move, line, income


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
            (
                company.id,
                partner,
                reason.id,
                f"DSP/C/{index:05d}",
                opened,
                stage.id,
                company.currency_id.id,
                amount,
                amount,
            ),
        )
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
                   tolerance_days, date_deadline, date_made)
               VALUES (%s, %s, %s, 'phone', 'open', %s, %s, 3, %s, %s) RETURNING id""",
            (
                company.id,
                partner,
                company.currency_id.id,
                today + timedelta(days=5),
                amount,
                today + timedelta(days=8),
                today,
            ),
        )
        cr.execute(
            "INSERT INTO billing_promise_move_rel (promise_id, move_id) VALUES (%s, %s)", (cr.fetchone()[0], move_id)
        )


def _cash(env, rng, partners, today):
    """Cash of customers not applied yet, through the ORM (journal entries as Odoo writes them)."""
    company = env.company
    bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    payers = rng.sample(list(partners), PAYMENTS + BANK_LINES + PAYER_LINES + CREDIT_NOTES)
    payments = env["account.payment"].create(
        [
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "journal_id": bank.id,
                "amount": round(rng.uniform(50, 3000), 2),
                "date": today,
            }
            for partner in payers[:PAYMENTS]
        ]
    )
    payments.action_post()
    named = payers[PAYMENTS : PAYMENTS + BANK_LINES]
    by_name = payers[PAYMENTS + BANK_LINES : PAYMENTS + BANK_LINES + PAYER_LINES]
    env["account.bank.statement.line"].create(
        [
            {
                "journal_id": bank.id,
                "date": today,
                "payment_ref": f"Transfer {i}",
                "amount": round(rng.uniform(50, 3000), 2),
                "partner_id": partner.id,
            }
            for i, partner in enumerate(named)
        ]
        + [
            {
                "journal_id": bank.id,
                "date": today,
                "payment_ref": f"Transfer P{i}",
                "amount": round(rng.uniform(50, 3000), 2),
                "partner_name": partner.name.upper(),
            }
            for i, partner in enumerate(by_name)
        ]
    )
    _refunds(env, rng, payers[PAYMENTS + BANK_LINES + PAYER_LINES :], today)


def _refunds(env, rng, partners, today):
    """Open credit notes, one per partner, posted."""
    refunds = env["account.move"].create(
        [
            {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_date": today,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {"name": "Credit", "quantity": 1, "tax_ids": [], "price_unit": round(rng.uniform(50, 1000), 2)},
                    )
                ],
            }
            for partner in partners
        ]
    )
    refunds.action_post()


def time_worklist(env):
    """Open one specialist's worklist as the web client does; the best of three, in seconds."""
    company = env.company
    groups = env.ref("base.group_user") | env.ref("billing_specialist.group_billing_user")
    user = env["res.users"].create(
        {
            "name": "Bench Specialist",
            "login": "bench_specialist",
            "groups_id": [(6, 0, groups.ids)],
            "company_id": company.id,
            "company_ids": [(6, 0, company.ids)],
        }
    )
    partners = env["res.partner"].search([("name", "=like", "Collect Customer %")], order="id", limit=PORTFOLIO)
    env["billing.collection"]._for_partners(partners, company).write({"user_id": user.id})
    env.flush_all()
    env.cr.execute("ANALYZE billing_collection")  # on a running server the accounts are there long before
    Worklist = env["billing.worklist"].with_user(user).with_context(allowed_company_ids=company.ids)
    spec = {name: {} for name in WORKLIST_FIELDS}
    spec.update(
        partner_id={"fields": {"display_name": {}}},
        level_id={"fields": {"display_name": {}}},
        currency_id={"fields": {}},
    )
    timings, result = [], None
    for _attempt in range(3):
        env.invalidate_all()
        started = time.perf_counter()
        result = Worklist.web_search_read([("is_mine", "=", True)], spec, limit=80, count_limit=10001)
        timings.append(time.perf_counter() - started)
    statuses = {}
    for record in result["records"]:
        statuses[record["call_status"]] = statuses.get(record["call_status"], 0) + 1
    return min(timings), result["length"], statuses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="billing_bench_collections")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--worklist-only", action="store_true", help="time the worklist only, not the runs")
    args = parser.parse_args()
    import odoo

    registry = prepare_registry(args.db, args.reset, generate, lambda count: f"{count:,} open invoices")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.company
        worklist_s, rows, statuses = time_worklist(env)
        print(f"worklist of one specialist: {worklist_s:.2f} s (budget 1 s), {rows:,} customers, first page {statuses}")
        cr.rollback()
        if args.worklist_only:
            return
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
        print(
            f"full run: {full_s:.1f} s (budget 90 s): {run.line_count:,} customers, {mails:,} e-mails queued, "
            f"{run.letter_count:,} letters, {run.nothing_count} nothing sent, {run.error_count} failed"
        )
        print(f"process peak RSS {rss:.0f} MiB (budget 1024 MiB; {rss_before:.0f} MiB before the runs)")
        cr.rollback()


if __name__ == "__main__":
    main()
