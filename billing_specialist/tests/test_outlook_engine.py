from datetime import date, timedelta

from odoo.tests import BaseCase, tagged

from ..outlook import engine
from ..outlook.engine import Customer, Item, Policy

TODAY = date(2026, 6, 1)
D = timedelta(days=1)
POLICY = Policy(default_days=10, default_spread=10, dispute_default_days=30)


def history(days_late, count, every=7, first=TODAY - 7 * D):
    """``count`` payments ``days_late`` days after their due dates, one each ``every`` days back from ``first``."""
    return tuple((days_late, first - every * index * D) for index in range(count))


@tagged("post_install", "-at_install")
class TestOutlookEngine(BaseCase):
    """The cash outlook's rules (outlook/engine.py), without a database."""

    def test_weighted_quantiles(self):
        self.assertEqual(engine.weighted_quantiles([(1, 1), (2, 1), (3, 1)], [0.5]), [2.0])
        self.assertEqual(engine.weighted_quantiles([(1, 1), (2, 1), (3, 1), (4, 1)], [0.5]), [2.5])
        # A heavy value takes the median.
        self.assertEqual(engine.weighted_quantiles([(1, 1), (2, 1), (30, 5)], [0.5]), [30.0])
        self.assertEqual(engine.weighted_quantiles([(v, 1) for v in range(1, 11)], [0.2, 0.8]), [2.5, 8.5])

    def test_recent_payments_weigh_more(self):
        """Ten payments 40 days late a year ago, ten on time in the last ten weeks: the habit is the recent one."""
        old = history(40, 10, first=TODAY - 300 * D)
        recent = history(0, 10)
        habit = engine.learn_habit(old + recent, TODAY, POLICY)
        self.assertEqual(habit.basis, "habit")
        self.assertEqual(habit.samples, 20)
        # 20 / 21 of the learned median (0) and 1 / 21 of the default (10): the default counts as one payment.
        self.assertAlmostEqual(habit.days, 10 / 21)
        # Reversed: old on time, recent 40 days late.
        habit = engine.learn_habit(history(0, 10, first=TODAY - 300 * D) + history(40, 10), TODAY, POLICY)
        self.assertAlmostEqual(habit.days, 40 * 20 / 21 + 10 / 21)
        # The weight halves every 90 days: a payment 90 days old weighs half today's.
        pairs = [(1, 1.0), (9, 0.5 ** (90 / 90))]
        self.assertEqual(engine.weighted_quantiles(pairs, [0.5]), [1.0])

    def test_spread_is_the_band(self):
        samples = tuple((days, TODAY - D) for days in (0, 5, 10, 15, 20, 25, 30, 35, 40, 45) * 4)
        habit = engine.learn_habit(samples, TODAY, POLICY)
        self.assertLess(habit.early, habit.days)
        self.assertGreater(habit.late, habit.days)
        # p20 = 7.5, p80 = 37.5 (ties at exactly 20 % and 80 % take the midpoint): 30 days learned, 20 by default.
        self.assertAlmostEqual(habit.late - habit.early, 40 / 41 * 30 + 1 / 41 * 20)

    def test_new_customer_gets_the_default(self):
        habit = engine.learn_habit((), TODAY, POLICY)
        self.assertEqual((habit.days, habit.early, habit.late, habit.basis), (10, 0, 20, "default"))
        rows = engine.forecast_customer(Customer((Item(1, TODAY + 5 * D, 100.0),)), TODAY, POLICY)
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual((row.basis, row.amount_expected), ("default", 100.0))
        self.assertEqual(
            (row.date_expected, row.date_early, row.date_late), (TODAY + 15 * D, TODAY + 5 * D, TODAY + 25 * D)
        )
        # Two payments: blended with the default as one more payment, basis default below three payments.
        habit = engine.learn_habit(history(30, 2), TODAY, POLICY)
        self.assertEqual(habit.basis, "default")
        self.assertAlmostEqual(habit.days, 30 * 2 / 3 + 10 / 3)
        self.assertEqual(engine.learn_habit(history(30, 3), TODAY, POLICY).basis, "habit")

    def test_due_date_moved_by_the_habit(self):
        customer = Customer((Item(1, TODAY + 10 * D, 500.0),), history(20, 30))
        row = engine.forecast_customer(customer, TODAY, POLICY)[0]
        self.assertEqual(row.basis, "habit")
        self.assertEqual(row.date_expected, TODAY + 10 * D + round(20 * 30 / 31 + 10 / 31) * D)

    def test_item_later_than_expected_comes_from_today(self):
        """An on-time payer whose item is 40 days overdue: nothing in its history that late, so from today."""
        customer = Customer((Item(1, TODAY - 40 * D, 500.0),), history(0, 30))
        row = engine.forecast_customer(customer, TODAY, POLICY)[0]
        self.assertGreater(row.date_expected, TODAY)
        self.assertLessEqual(row.date_expected, TODAY + POLICY.catch_up_max * D)
        self.assertEqual(row.date_early, TODAY)
        self.assertGreaterEqual(row.date_late, row.date_expected)
        self.assertEqual(row.amount_expected, 500.0)

    def test_item_later_than_expected_follows_the_tail(self):
        """Pays 0 to 40 days late, evenly: an item 25 days late now is expected from the payments 25 to 40 days
        late (median 32 or 33 days late), not from the whole habit (20 days)."""
        samples = tuple((days, TODAY - (1 + index % 10) * D) for index, days in enumerate(range(0, 41)))
        due = TODAY - 25 * D
        row = engine.forecast_customer(Customer((Item(1, due, 500.0),), samples), TODAY, POLICY)[0]
        self.assertIn((row.date_expected - due).days, (32, 33))
        self.assertGreaterEqual(row.date_early, TODAY)
        self.assertLessEqual(row.date_late, due + 40 * D)
        self.assertLess(row.date_early, row.date_expected)
        self.assertLess(row.date_expected, row.date_late)

    def test_promise_date_and_amount_rest_by_habit(self):
        promise = {"promised": 300.0, "promise_date": TODAY + 3 * D, "promise_deadline": TODAY + 6 * D}
        customer = Customer((Item(1, TODAY + 20 * D, 1000.0, **promise),), history(0, 30))
        rows = engine.forecast_customer(customer, TODAY, POLICY)
        self.assertEqual([r.basis for r in rows], ["promise", "habit"])
        self.assertEqual([r.amount_open for r in rows], [300.0, 700.0])
        self.assertEqual((rows[0].date_expected, rows[0].date_late), (TODAY + 3 * D, TODAY + 6 * D))
        self.assertEqual(rows[0].reason, ("promise", {"date": TODAY + 3 * D}))
        # A promise larger than the item keeps to the item's open amount.
        big = {**promise, "promised": 5000.0}
        rows = engine.forecast_customer(Customer((Item(1, TODAY, 1000.0, **big),)), TODAY, POLICY)
        self.assertEqual([(r.basis, r.amount_open) for r in rows], [("promise", 1000.0)])

    def test_allocate_oldest_first(self):
        self.assertEqual(engine.allocate(700.0, [(1, 500.0), (2, 500.0), (3, 100.0)]), {1: 500.0, 2: 200.0})
        self.assertEqual(engine.allocate(-5.0, [(1, 500.0)]), {})
        self.assertEqual(engine.allocate(None, [(1, 500.0)]), {})

    def test_dispute_held_back_by_the_reason(self):
        self.assertEqual(engine.resolve_days([10, 20, 60], POLICY), (20.0, True))
        self.assertEqual(engine.resolve_days([10, 20], POLICY), (30.0, False))
        until = TODAY + 20 * D
        item = Item(1, TODAY - 5 * D, 1000.0, disputed=400.0, dispute_until=until, dispute_days=20)
        rows = engine.forecast_customer(Customer((item,), history(0, 30)), TODAY, POLICY)
        dispute, rest = rows
        self.assertEqual((dispute.basis, dispute.amount_open), ("dispute", 400.0))
        self.assertGreaterEqual(dispute.date_expected, until)
        self.assertLess(rest.date_expected, until)
        self.assertEqual(rest.amount_open, 600.0)

    def test_unapplied_shown_apart(self):
        items = (Item(1, TODAY + 5 * D, 1000.0), Item(2, TODAY - 2 * D, -250.0, credit_kind="cash"))
        rows = engine.forecast_customer(Customer(items, history(0, 30)), TODAY, POLICY)
        cash = [r for r in rows if r.kind == "unapplied"]
        self.assertEqual(len(cash), 1)
        self.assertEqual((cash[0].amount_open, cash[0].amount_expected, cash[0].date_expected), (250.0, 0.0, None))
        # Never expected, and the item keeps its amount (the specialist applies the cash).
        self.assertEqual([r.amount_expected for r in rows if r.kind == "item"], [1000.0])
        self.assertEqual(engine.weekly(rows, TODAY, 4)[0][1] + engine.weekly(rows, TODAY, 4)[1][1], 1000.0)

    def test_credit_note_lowers_expected(self):
        items = (
            Item(1, TODAY + 5 * D, 300.0),
            Item(2, TODAY + 30 * D, 500.0),
            Item(3, TODAY, -400.0, credit_kind="credit_note"),
        )
        rows = engine.forecast_customer(Customer(items, history(0, 30)), TODAY, POLICY)
        expected = {r.key: r.amount_expected for r in rows}
        self.assertEqual(expected, {1: 0.0, 2: 400.0, 3: 0.0})
        self.assertEqual([r.kind for r in rows if r.key == 3], ["unapplied"])
        # Another credit (a journal entry): shown apart, neither netted nor a payment.
        other = (*items[:2], Item(4, TODAY, -400.0, credit_kind="other"))
        rows = engine.forecast_customer(Customer(other, history(0, 30)), TODAY, POLICY)
        self.assertEqual({r.key: r.amount_expected for r in rows}, {1: 300.0, 2: 500.0, 4: 0.0})
        self.assertEqual([r.reason[0] for r in rows if r.key == 4], ["other_credit"])

    def test_customer_who_stopped_paying_is_at_risk(self):
        """Paid 20 days late for a year, then nothing for 90 days with items 80 days overdue: at risk."""
        samples = history(20, 40, first=TODAY - 90 * D)
        items = (Item(1, TODAY - 80 * D, 1000.0), Item(2, TODAY + 10 * D, 500.0))
        rows = engine.forecast_customer(Customer(items, samples, TODAY - 90 * D), TODAY, POLICY)
        self.assertEqual({r.basis for r in rows}, {"at_risk"})
        self.assertEqual(sum(r.amount_expected for r in rows), 0.0)
        self.assertEqual(rows[0].reason[0], "at_risk")
        self.assertEqual(engine.weekly(rows, TODAY, 13)[0][1:], (0.0, 0.0, 0.0))
        # The same customer paying last week is not at risk: the old item is one it is slow on.
        rows = engine.forecast_customer(Customer(items, samples, TODAY - 7 * D), TODAY, POLICY)
        self.assertEqual({r.basis for r in rows}, {"habit"})
        # Cash received but not applied yet counts as a payment.
        cash = (*items, Item(3, TODAY - 3 * D, -100.0, credit_kind="cash"))
        rows = engine.forecast_customer(Customer(cash, samples, TODAY - 90 * D), TODAY, POLICY)
        self.assertNotIn("at_risk", {r.basis for r in rows})

    def test_weekly_spreads_over_the_band(self):
        """Expected on day 8 (week 2), early day 2 (week 1), late day 16 (week 3): half of the amount spread over
        days 2-8, half over days 8-16; the band holds the scenario sums."""
        row = engine.Row(1, "item", 140.0, 140.0, TODAY, TODAY + 8 * D, TODAY + 2 * D, TODAY + 16 * D, "habit")
        weeks = engine.weekly([row], TODAY, 3)
        self.assertEqual([w[0] for w in weeks], [TODAY, TODAY + 7 * D, TODAY + 14 * D])
        expected = [70 * 5 / 7, 70 * 2 / 7 + 70 * 6 / 9, 70 * 3 / 9]
        for week, amount in zip(weeks, expected, strict=True):
            self.assertAlmostEqual(week[1], amount)
        self.assertAlmostEqual(sum(w[1] for w in weeks), 140.0)
        self.assertEqual([(w[2], w[3]) for w in weeks], [(0.0, 140.0), (0.0, 140.0), (0.0, 140.0)])
        for _start, amount, low, high in weeks:
            self.assertLessEqual(low, amount)
            self.assertGreaterEqual(high, amount)
        # Outside the weeks asked: nothing; a row expecting nothing (at risk, unapplied): nothing.
        self.assertEqual(
            engine.weekly([row], TODAY + 30 * D, 2), [(TODAY + 30 * D, 0.0, 0.0, 0.0), (TODAY + 37 * D, 0.0, 0.0, 0.0)]
        )
        nothing = engine.Row(2, "unapplied", 50.0, 0.0, TODAY)
        self.assertEqual(engine.weekly([nothing], TODAY, 1), [(TODAY, 0.0, 0.0, 0.0)])
