"""Accuracy and speed of the cash outlook (billing_specialist/outlook/engine.py).

Accuracy (no database): a seeded ledger over 12 months. Each customer is invoiced on its own cycle (weekly,
fortnightly or monthly, terms of 14, 30 or 45 days, amounts of its own size) and pays by its habit:
  on_time   pays on the due date, give or take 2 days,
  late20    always about 20 days late (give or take 3),
  erratic   anywhere from 5 days early to 45 days late,
  stops     pays 10 days late, then stops paying at a random day of months 6 to 9 (invoiced 30 more days, never
            paid).
``--mix`` gives the number of customers of each habit (default on_time=60,late20=40,erratic=30,stops=10).
From month 4 on, every week (a Monday) the outlook of the next 4 weeks is made through the same functions the model
calls (``engine.forecast_company`` then ``engine.weekly``), from what the ledger knew that day: the items open then
and the payments made before. It is compared with what those open items brought in each of the 4 weeks. The
due-date forecast puts each open item in the week of its due date (an item already past due: in week 1).
WAPE = sum |forecast - received| / sum received, per horizon week (1-4) and overall.
Goals (issue 24): outlook WAPE <= 70 % of the due-date WAPE; <= 15 % for each of weeks 1-4 on the default mix.

Speed (``--items N --database NAME``): a database with billing_specialist and a seeded ledger loaded with COPY (N
open invoices of N / 20 customers, N paid invoices as history: payments reconciled with them, 1 % of the open ones
in dispute, 1 % under a promise), built once; then the time of ``billing.outlook.line._billing_refresh`` (the real
model path: its queries, the engine, the bulk insert), best of 2, rolled back. Goal: 100,000 items <= 10 s.

    python3 bench/forecast.py [--seed 7] [--mix on_time=60,late20=40,erratic=30,stops=10]
    python3 bench/forecast.py --items 100000 --database bh_outlook_bench [--reset]

The machine's load average is printed with the figures.
"""

import argparse
import math
import os
import random
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "billing_specialist"))

from outlook import engine

DEFAULT_MIX = "on_time=60,late20=40,erratic=30,stops=10"
START = date(2025, 1, 6)  # a Monday
DAYS = 365
HORIZON = 4
D = timedelta(days=1)


def load():
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def parse_mix(text):
    mix = {}
    for part in text.split(","):
        name, _sep, count = part.partition("=")
        if name.strip() not in ("on_time", "late20", "erratic", "stops") or not count.strip().isdigit():
            raise SystemExit(f"--mix: habit=count with habits on_time, late20, erratic, stops (got {part!r})")
        mix[name.strip()] = int(count)
    return mix


def pay_delay(rng, habit):
    if habit == "on_time":
        return round(rng.gauss(0, 2))
    if habit == "late20":
        return 20 + round(rng.gauss(0, 3))
    if habit == "erratic":
        return rng.randint(-5, 45)
    return 10 + round(rng.gauss(0, 3))  # stops: until it stops


def simulate(seed, mix):
    """[(customer, issue day, due day, amount, paid day or None)] over the year (days from START)."""
    rng = random.Random(seed)
    invoices, customer = [], 0
    for habit, count in mix.items():
        for _index in range(count):
            customer += 1
            period, terms = rng.choice((7, 14, 30, 30)), rng.choice((14, 30, 30, 45))
            size = math.exp(rng.gauss(7.5, 0.8))
            stop = rng.randint(150, 270) if habit == "stops" else None
            last = min(DAYS, stop + 30) if stop is not None else DAYS
            day = rng.randrange(period)
            while day < last:
                due = day + terms
                amount = round(size * math.exp(rng.gauss(0, 0.3)), 2)
                paid = max(day, due + pay_delay(rng, habit))
                if stop is not None and paid >= stop:
                    paid = None
                invoices.append((customer, day, due, amount, paid))
                day += period
    return invoices


def state_on(invoices, today):
    """{customer: engine.Customer} as the ledger stood on ``today`` (a day number)."""
    by_customer = {}
    on = START + today * D
    for customer, issued, due, amount, paid in invoices:
        if issued > today:
            continue
        items, samples, last = by_customer.setdefault(customer, ([], [], [None]))
        if paid is not None and paid < today:
            samples.append((paid - due, START + paid * D))
            last[0] = max(last[0] or paid, paid)
        else:
            items.append(engine.Item((customer, issued), START + due * D, amount))
    return {
        customer: engine.Customer(tuple(items), tuple(samples), START + last[0] * D if last[0] is not None else None)
        for customer, (items, samples, last) in by_customer.items()
    }, on


def received(invoices, today):
    weeks = [0.0] * HORIZON
    for _customer, issued, _due, amount, paid in invoices:
        if issued <= today and paid is not None and paid >= today:
            week = (paid - today) // 7
            if week < HORIZON:
                weeks[week] += amount
    return weeks


def due_dated(invoices, today):
    weeks = [0.0] * HORIZON
    for _customer, issued, due, amount, paid in invoices:
        if issued <= today and (paid is None or paid >= today):
            week = max(due - today, 0) // 7
            if week < HORIZON:
                weeks[week] += amount
    return weeks


def accuracy(seed, mix_text):
    mix = parse_mix(mix_text)
    invoices = simulate(seed, mix)
    policy = engine.Policy()
    errors = {name: [0.0] * HORIZON for name in ("outlook", "due_date")}
    actual_sum, forecasts, started = [0.0] * HORIZON, 0, time.perf_counter()
    for today in range(119, DAYS - 7 * HORIZON + 1, 7):  # from month 4 on, weekly
        customers, on = state_on(invoices, today)
        rows = [row for found in engine.forecast_company(customers, on, policy).values() for row in found]
        outlook = [expected for _start, expected, _low, _high in engine.weekly(rows, on, HORIZON)]
        actual = received(invoices, today)
        for week in range(HORIZON):
            errors["outlook"][week] += abs(outlook[week] - actual[week])
            errors["due_date"][week] += abs(due_dated(invoices, today)[week] - actual[week])
            actual_sum[week] += actual[week]
        forecasts += 1
    elapsed = time.perf_counter() - started
    print(
        f"cash outlook accuracy: seed {seed}, mix {mix_text} ({sum(mix.values())} customers, "
        f"{len(invoices):,} invoices over 12 months), {forecasts} weekly forecasts from month 4 in {elapsed:.1f} s"
    )
    print(f"{'':>10} {'outlook':>9} {'due date':>9} {'ratio':>7}")
    for week in range(HORIZON):
        wape_o, wape_d = errors["outlook"][week] / actual_sum[week], errors["due_date"][week] / actual_sum[week]
        print(f"{'week ' + str(week + 1):>10} {wape_o:>9.1%} {wape_d:>9.1%} {wape_o / wape_d:>7.0%}")
    total_o, total_d = sum(errors["outlook"]) / sum(actual_sum), sum(errors["due_date"]) / sum(actual_sum)
    print(f"{'overall':>10} {total_o:>9.1%} {total_d:>9.1%} {total_o / total_d:>7.0%}")
    worst = max(errors["outlook"][week] / actual_sum[week] for week in range(HORIZON))
    print(
        f"goals: outlook <= 70 % of due-date WAPE: {'met' if total_o <= 0.7 * total_d else 'MISSED'} "
        f"({total_o / total_d:.0%}); weeks 1-4 within 15 %: {'met' if worst <= 0.15 else 'MISSED'} "
        f"(worst {worst:.1%})"
    )
    print(load())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", default=DEFAULT_MIX)
    parser.add_argument("--items", type=int, help="time the refresh of this many open items (needs --database)")
    parser.add_argument("--database", help="the benchmark database (built once)")
    parser.add_argument("--reset", action="store_true", help="rebuild the benchmark database")
    args = parser.parse_args()
    if args.items:
        if not args.database:
            raise SystemExit("--items needs --database")
        from _forecast_ledger import time_refresh

        time_refresh(args.database, args.items, args.seed, args.reset, load)
    else:
        accuracy(args.seed, args.mix)


if __name__ == "__main__":
    main()
