"""The replay mode of ``bench/matching.py``: 12 months in time order, learning on vs off (see its docstring)."""

import json
import random
import subprocess
import sys
import time
from datetime import date, timedelta

from _common import db_exists, install, memo_variant, typo, unique_amounts, update_module

PROFILES = [  # (profile, share of customers, identifiable)
    ("number", 0.35, True),  # a payment of the customer naming the invoice number (written its own way)
    ("remittance", 0.10, True),  # a lump sum for 3 invoices with a remittance advice, before or after it
    ("po", 0.10, True),  # a payment naming the customer's PO number
    ("unique", 0.05, True),  # a payment of the customer, no reference, the amount of one open invoice
    ("account", 0.20, True),  # a bank transfer from the customer's own account, naming nothing, exact amount
    ("fee", 0.10, True),  # the same, an intermediary bank's fee of the customer's usual size deducted
    ("recurring", 0.10, False),  # two same-amount invoices a month, one paid, no reference: never guessed
]
# Adversarial share (issue 21): customers besides those above whose payments carry what someone else wrote, each
# with a "target" (another customer): never identifiable (nothing the company controls says who paid), and none
# may ever be applied to the target's invoices. Each month one source each, in turn: a bank line under the target's
# exact name (no account), one under a look-alike of it (case, spacing, a dash), a payment of the customer whose
# memo names the target's invoice of the month.
ADVERSARIAL = 0.07  # of the customers above: about 6.5 % of the sources
ADVERSARIAL_KINDS = ("name", "lookalike", "memo")
FEES = [5.0, 7.5, 10.0, 12.5, 15.0, 20.0, 25.0]
MONTHS = 12
REMITTED = 3  # invoices a remittance-backed lump sum pays
DEDUCTION_REASONS = ["damaged on delivery", "price difference", "short shipped", "late delivery penalty"]


def _setup(env, customers_count, rng):
    company = env.company
    company.billing_match_tolerance_amount = 1.0
    company.billing_writeoff_max_amount = 50.0
    company.billing_habit_fade_days = 730  # the replay's first month is a year back
    company.billing_writeoff_account_id = env["account.account"].search(
        [*env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")], limit=1
    )
    company.billing_dispute_send_acknowledgement = False
    bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    product = env["product.product"].create({"name": "Bench service", "taxes_id": [(5, 0, 0)]})
    partners = env["res.partner"].create(
        [{"name": f"Replay Customer {i:05d}", "is_company": True} for i in range(customers_count)]
    )
    plan = []
    for profile, share, identifiable in PROFILES:
        plan += [(profile, identifiable)] * round(customers_count * share)
    plan = (plan + [("number", True)] * customers_count)[:customers_count]
    rng.shuffle(plan)
    customers = [
        {
            "partner": partner,
            "profile": profile,
            "identifiable": identifiable,
            "fee": rng.choice(FEES),
            "account": f"BE{rng.randint(10**13, 10**14 - 1)}",
            "payer": f"PAYER {index:05d} LTD",
        }
        for index, (partner, (profile, identifiable)) in enumerate(zip(partners, plan, strict=True))
    ]
    adversaries = env["res.partner"].create(
        [
            {"name": f"Replay Customer {index:05d}", "is_company": True}
            for index in range(customers_count, customers_count + max(round(customers_count * ADVERSARIAL), 1))
        ]
    )
    targets = list(range(customers_count))
    customers += [
        {
            "partner": partner,
            "profile": "adversary",
            "identifiable": False,
            "fee": 0.0,
            "account": None,
            "payer": None,
            "target": rng.choice(targets),
            "turn": rng.randrange(len(ADVERSARIAL_KINDS)),
        }
        for partner in adversaries
    ]
    return bank, product, customers


def _adversarial(rng, month, customer, customers, invoice, first, day, bank, expected):
    """The adversarial source of the month for ``customer`` (see ``ADVERSARIAL``): (kind, vals)."""
    target = customers[customer["target"]]
    kind = ADVERSARIAL_KINDS[(customer["turn"] + month) % len(ADVERSARIAL_KINDS)]
    name = target["partner"].name
    if kind == "memo":
        return "payment", (
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer["partner"].id,
                "amount": invoice.amount_total,
                "memo": f"payment {first[customer['target']].name}",
                "date": day,
                "journal_id": bank.id,
            },
            expected,
        )
    if kind == "lookalike":
        name = rng.choice([name.upper(), name.lower().replace(" ", "  "), name.replace(" ", "-"), f" {name}."])
    return "line", (
        {
            "journal_id": bank.id,
            "date": day,
            "amount": invoice.amount_total,
            "payment_ref": "transfer",
            "partner_name": name,
        },
        expected,
    )


def _month(env, rng, month, bank, product, customers, amount):
    """Invoices of the month and the payments or bank lines that pay them, with the right answers."""

    start = date.today() - timedelta(days=30 * (MONTHS - month))
    invoices, owners = _month_invoices(env, rng, start, customers, product, amount)
    first, owned = {}, {}
    for invoice, owner in zip(invoices, owners, strict=True):
        first.setdefault(owner, invoice)
        owned.setdefault(owner, []).append(invoice)
    payments, lines, truth, advices = [], [], {}, []
    for index, customer in enumerate(customers):
        kind, source, advice = _month_source(rng, month, index, customer, customers, first, owned, bank)
        (payments if kind == "payment" else lines).append(source)
        if advice is not None:
            advices.append(advice)
    before = [advice for advice in advices if advice["before"]]
    _import_advices(env, before)  # these wait for their payment: matched when it is posted
    Payment = env["account.payment"].with_context(tracking_disable=True, mail_notrack=True)
    posted = Payment.create([vals for vals, _expected in payments])
    posted.action_post()
    _import_advices(env, [advice for advice in advices if not advice["before"]])  # matched to the pending payment
    statement_lines = env["account.bank.statement.line"].create([vals for vals, _expected in lines])
    for record, (_vals, expected) in zip(list(posted) + list(statement_lines), payments + lines, strict=True):
        truth[(record._name, record.id)] = expected
    return posted, statement_lines, truth


def _month_invoices(env, rng, start, customers, product, amount):
    """The month's invoices of every customer, posted: (invoices, the index of the customer of each)."""
    vals, owners = [], []
    for index, customer in enumerate(customers):
        fee = amount()
        count = {"recurring": 2, "remittance": REMITTED}.get(customer["profile"], 1)
        for _ in range(count):
            vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer["partner"].id,
                    "invoice_date": start + timedelta(days=rng.randint(0, 5)),
                    "ref": f"PO-{rng.randint(100000, 999999)}" if customer["profile"] == "po" else False,
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": product.id,
                                "quantity": 1,
                                "price_unit": fee if customer["profile"] == "recurring" else amount(),
                                "tax_ids": [(5, 0, 0)],
                            },
                        )
                    ],
                }
            )
            owners.append(index)
    Move = env["account.move"].with_context(tracking_disable=True, mail_notrack=True)
    invoices = Move.create(vals)
    invoices.action_post()
    return invoices, owners


def _month_source(rng, month, index, customer, customers, first, owned, bank):
    """How the customer pays its first invoice of the month: ("payment" or "line", (values, right answer), the
    remittance advice or None)."""
    invoice, profile = first[index], customer["profile"]
    day = invoice.invoice_date + timedelta(days=rng.randint(10, 24))
    expected = (invoice.id, customer["fee"] if profile == "fee" else 0.0, customer, None)
    if profile == "remittance":
        vals, advice = _remitted(rng, customer, owned[index], day, bank)
        return "payment", (vals, (None, 0.0, customer, advice["allocations"])), advice
    if profile == "adversary":
        kind, source = _adversarial(rng, month, customer, customers, invoice, first, day, bank, expected)
        return kind, source, None
    if profile in ("account", "fee"):
        return "line", _transfer(rng, customer, invoice, profile, day, bank, expected), None
    # Noise: one memo in 10 of the invoice-number writers has a typo.
    written = typo(rng, invoice.name) if rng.random() < 0.1 else memo_variant(rng, invoice.name)
    memo = {"number": written, "po": f"our order {invoice.ref}"}.get(profile, "")
    vals = {
        "payment_type": "inbound",
        "partner_type": "customer",
        "partner_id": customer["partner"].id,
        "amount": invoice.amount_total,
        "memo": memo or "monthly fee",
        "date": day,
        "journal_id": bank.id,
    }
    return "payment", (vals, expected), None


def _transfer(rng, customer, invoice, profile, day, bank, expected):
    """The bank line of a customer paying from its account (less its usual fee): (values, right answer)."""
    paid = invoice.amount_total - (customer["fee"] if profile == "fee" else 0.0)
    # Noise: one transfer in 20 comes from another account of the customer, never seen before.
    account = customer["account"] if rng.random() >= 0.05 else f"DE{rng.randint(10**15, 10**16 - 1)}"
    if account != customer["account"]:  # only the payer's name says who: proposed, never applied alone
        expected = (invoice.id, expected[1], {**customer, "identifiable": False, "name_only": True}, None)
    vals = {
        "journal_id": bank.id,
        "date": day,
        "amount": round(paid, 2),
        "payment_ref": "transfer",
        "account_number": account,
        "partner_name": customer["payer"],
    }
    return vals, expected


def _remitted(rng, customer, invoices, day, bank):
    """A lump sum for ``invoices`` and its advice: one advice in three deducts something from one or two invoices
    (a reason in words); one reference in ten written its own way, one in twenty with a typo; the advice comes
    before the payment or after it, half and half."""

    deducted = set(rng.sample(range(len(invoices)), rng.choice([1, 2]))) if rng.random() < 1 / 3 else set()
    rows, allocations = [], []
    for position, invoice in enumerate(invoices):
        deduction = round(rng.uniform(5.0, min(80.0, invoice.amount_total / 4)), 2) if position in deducted else 0.0
        paid = round(invoice.amount_total - deduction, 2)
        draw = rng.random()
        reference = (
            typo(rng, invoice.name)
            if draw < 0.05
            else memo_variant(rng, invoice.name)
            if draw < 0.15
            else (invoice.name)
        )
        rows.append((reference, paid, deduction, rng.choice(DEDUCTION_REASONS) if deduction else ""))
        allocations.append((invoice.id, paid))
    total = round(sum(paid for _ref, paid, _deduction, _reason in rows), 2)
    vals = {
        "payment_type": "inbound",
        "partner_type": "customer",
        "partner_id": customer["partner"].id,
        "amount": total,
        "memo": f"PAYMENT RUN {rng.randint(1000, 9999)}",
        "date": day,
        "journal_id": bank.id,
    }
    advice = {
        "partner": customer["partner"],
        "date": day,
        "rows": rows,
        "allocations": allocations,
        "before": rng.random() < 0.5,
    }
    return vals, advice


def _import_advices(env, advices):
    from odoo.addons.billing_specialist.matching.remittance import Advice, AdviceLine

    Remittance = env["billing.remittance"].with_context(tracking_disable=True, mail_notrack=True)
    for advice in advices:
        lines = [
            AdviceLine(reference, paid, deduction, reason) for reference, paid, deduction, reason in advice["rows"]
        ]
        Remittance._billing_import(
            advice["partner"],
            env.company,
            Advice(lines),
            "csv",
            date=advice["date"],
            reference=f"RA-{advice['partner'].id}-{advice['date']}",
        )


def _by_hand(env, company, sources, truth):
    """A person applies what the run left, as the right answers say (the review screen: a manual run)."""
    Review = env["billing.match.review"]
    rows = Review._refresh(company, sources)
    for row in rows:
        source = row.payment_id or row.statement_line_id
        invoice_id, writeoff, customer, allocations = truth[(source._name, source.id)]
        if allocations is None:
            allocations = [(invoice_id, env["account.move"].browse(invoice_id).amount_residual)]
        row.write(
            {
                "partner_id": customer["partner"].id,
                "writeoff": writeoff,
                "allocation_ids": [(5, 0, 0)]
                + [(0, 0, {"move_id": move_id, "amount": amount}) for move_id, amount in allocations],
            }
        )
    if rows:
        rows.action_apply()


def _right(line, invoice_id, writeoff, allocations):
    """Whether the run line's proposal is the right answer: the invoice (and the fee written off), or for a
    remittance-backed lump sum every invoice of the advice for exactly its amount paid, nothing written off."""
    if abs((line.writeoff or 0.0) - writeoff) >= 0.005:
        return False
    if allocations is None:
        return line.allocation_ids.move_id.ids == [invoice_id]
    proposed = sorted((alloc.move_id.id, alloc.amount) for alloc in line.allocation_ids)
    return len(proposed) == len(allocations) and all(
        move_id == want_id and abs(amount - want) < 0.005
        for (move_id, amount), (want_id, want) in zip(proposed, sorted(allocations), strict=True)
    )


def _score(run, truth):
    stats = {
        "sources": 0,
        "identifiable": 0,
        "auto_right": 0,
        "wrong": 0,
        "rest": 0,
        "rest_top1": 0,
        "remit": 0,
        "remit_auto": 0,
        "remit_wrong": 0,
        "remit_top1": 0,
        "adversarial": 0,
        "adversarial_applied": 0,
        "name_only": 0,
        "name_only_right": 0,
    }
    left = []
    for line in run.line_ids:
        source = line.payment_id or line.statement_line_id
        invoice_id, writeoff, customer, allocations = truth[(source._name, source.id)]
        right = _right(line, invoice_id, writeoff, allocations)
        stats["sources"] += 1
        stats["identifiable"] += customer["identifiable"]
        if customer["profile"] == "adversary":
            stats["adversarial"] += 1
            stats["adversarial_applied"] += line.outcome == "applied"
        if customer.get("name_only"):
            stats["name_only"] += 1
            stats["name_only_right"] += right
        if allocations is not None:
            stats["remit"] += 1
            if line.outcome == "applied":
                stats["remit_auto" if right else "remit_wrong"] += 1
            else:
                stats["remit_top1"] += right
        if line.outcome == "applied":
            # The rate is over the identifiable sources: a right application of another (a memo naming another
            # customer's invoice one typo from the payer's own, say) is counted apart, never above 100 %.
            key = ("auto_right" if customer["identifiable"] else "auto_right_other") if right else "wrong"
            stats[key] = stats.get(key, 0) + 1
            if not right:
                left.append(source)  # a person corrects it: not done here, counted as wrong
        else:
            stats["rest"] += 1
            stats["rest_top1"] += right
            left.append(source)
    return stats, left


def replay_pass(db, addons, learning, sources):
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        rng = random.Random(13)
        amount = unique_amounts(rng)
        bank, product, customers = _setup(env, max(sources // MONTHS, 10), rng)
        company, Habit, months = env.company, env["billing.match.habit"], []
        started = time.perf_counter()
        for month in range(MONTHS):
            payments, lines, truth = _month(env, rng, month, bank, product, customers, amount)
            # The whole replay is one transaction that autovacuum cannot see into: refresh the planner's
            # statistics on what it wrote, or PostgreSQL plans the reconciliation's queries for empty tables.
            env.flush_all()
            env.cr.execute(
                "ANALYZE account_move, account_move_line, account_partial_reconcile, account_payment, "
                "account_bank_statement_line, billing_match_habit, billing_match_habit_evidence"
            )
            run = env["billing.match.run"]._run_automatic(company, payments, lines)
            stats, left = _score(run, truth)
            _by_hand(env, company, left, truth)
            env.flush_all()
            env.execute_query(SQL("UPDATE billing_match_run SET date = date - interval '30 days'"))
            env.invalidate_all()
            if learning:
                Habit._cron_learn()  # the month's automatic matches have stood for 30 days
            else:
                Habit.sudo().with_context(active_test=False).search([]).unlink()
            months.append(stats)
        cr.rollback()
    print("RESULT " + json.dumps({"learning": learning, "months": months, "wall": time.perf_counter() - started}))


def replay_report(results):
    for result in sorted(results, key=lambda r: not r["learning"]):
        print(f"learning {'on' if result['learning'] else 'off'} (wall {result['wall']:.0f} s)")
        print(
            "  month  sources  automatic(right answer)  wrong  top-1 of the rest  |  remittance-backed: sources  "
            "automatic  wrong  top-1 of the rest"
        )
        for index, m in enumerate(result["months"], 1):
            rate = m["auto_right"] / max(m["identifiable"], 1)
            top1 = m["rest_top1"] / max(m["rest"], 1)
            remit = m["remit_auto"] / max(m["remit"], 1)
            remit_rest = m["remit"] - m["remit_auto"] - m["remit_wrong"]
            remit_top1 = f"{m['remit_top1'] / remit_rest:.1%}" if remit_rest else "-"
            print(
                f"  {index:>5}  {m['sources']:>7}  {rate:>22.1%}  {m['wrong']:>5}  {top1:>17.1%}  |  "
                f"{m['remit']:>26}  {remit:>9.1%}  {m['remit_wrong']:>5}  {remit_top1:>17}"
            )
        late = result["months"][5:]
        rate = sum(m["auto_right"] for m in late) / max(sum(m["identifiable"] for m in late), 1)
        wrong = sum(m["wrong"] for m in result["months"])
        print(
            f"  months 6-12: {rate:.1%} of the sources with a right answer applied automatically; wrong in all "
            f"12 months: {wrong}"
        )
        months = result["months"]
        adversarial = sum(m.get("adversarial", 0) for m in months)
        print(
            f"  adversarial sources (another customer's name or a look-alike as payer, a memo naming another "
            f"customer's invoice), months 1-12: {adversarial} = {adversarial / max(sum(m['sources'] for m in months), 1):.1%} "
            f"of the sources; applied automatically: {sum(m.get('adversarial_applied', 0) for m in months)} (to the "
            f"payer's own invoice one typo from the number written; wrong ones are counted as wrong above)"
        )
        print(
            f"  bank lines from an account never seen (only the payer's name says who; not counted as identifiable): "
            f"{sum(m.get('name_only', 0) for m in months)}, the right invoice proposed first for "
            f"{sum(m.get('name_only_right', 0) for m in months)}"
        )
        remit = sum(m["remit_auto"] for m in months) / max(sum(m["remit"] for m in months), 1)
        print(
            f"  remittance-backed lump sums, months 1-12: {remit:.1%} applied automatically "
            f"({sum(m['remit'] for m in months)} sources); wrong: {sum(m['remit_wrong'] for m in months)}"
        )


def replay_main(args, addons, script):
    db = args.db or f"billing_bench_replay_{args.sources}"
    if args.replay_pass:
        return replay_pass(db, addons, args.replay_pass == "on", args.sources)
    if db_exists(db):
        update_module(db, addons)
    else:
        install(db, addons)
    for mode in ("on", "off"):
        out = subprocess.run(
            [sys.executable, script, "--replay-pass", mode, "--sources", str(args.sources), "--db", db],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        replay_report([json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT ")])
        sys.stdout.flush()
