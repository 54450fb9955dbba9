"""The cash outlook's demo: three customers who pay in three ways, so that the outlook has a visible band, one who
stopped paying (at risk, apart), and the weekly snapshots of the past five weeks, so that *Outlook Accuracy* has weeks
to show.

The snapshots are taken by the real snapshot code (``billing.outlook.snapshot._take``, which computes the outlook
again first) with the clock set back to a day of each of the past five weeks (freezegun, as Odoo's tests set the
clock). The ledger is today's, not the one of that day: items paid since were no longer open, invoices dated after
it already were. Their errors say how far those forecasts were, not how good a real week's would have been.
"""

import random
from datetime import timedelta

from odoo import Command, api, fields, models

from .ledger import bank_journal, sale_journal

HISTORY = 8  # paid invoices per customer, one every four weeks
OPEN_DUE_IN = (4, 11, 18, 26, 33, 47)  # days from today to the due dates of each customer's open invoices
# (name, days late of each payment as a function of the draw, due dates of its open invoices): on time, always
# about 20 days late, erratic, and one who stopped paying (its last payment 48 days ago, two invoices long overdue:
# at risk, *Not Expected in 13 Weeks*)
HABITS = [
    ("Meridian Foods", lambda rng: rng.randint(-1, 2), OPEN_DUE_IN),
    ("Tidewater Supply", lambda rng: rng.randint(18, 22), OPEN_DUE_IN),
    ("Orbit Labs", lambda rng: rng.randint(-5, 35), OPEN_DUE_IN),
    ("Stillwater Crafts", lambda rng: 10, (-65, -40, 12)),
]
SNAPSHOT_WEEKS = 5


class BillingOutlookDemo(models.Model):
    _inherit = "billing.outlook.snapshot"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_outlook(self):
        """Four customers' paid history and open invoices, the outlook computed, then the snapshots."""
        company = self.env.company
        if not company.chart_template:
            return
        rng = random.Random(24)
        for index, (name, late, open_due) in enumerate(HABITS):
            customer = self.env["res.partner"].create({"name": name, "is_company": True})
            self._demo_history(company, customer, rng, late, 900.0 + 350.0 * index, open_due)
        self._demo_snapshots(company)  # the last one, today's, leaves the outlook computed today

    @api.model
    def _demo_history(self, company, customer, rng, late, amount, open_due=OPEN_DUE_IN):
        """``HISTORY`` invoices paid ``late(rng)`` days after their due date, then open ones due in ``open_due``
        days."""
        today = fields.Date.context_today(self)
        dates = [today - timedelta(days=60 + 28 * (HISTORY - number)) for number in range(HISTORY)]
        dates += [today + timedelta(days=min(due - 30, 0)) for due in open_due]
        dues = [day + timedelta(days=30) for day in dates[:HISTORY]] + [today + timedelta(days=due) for due in open_due]
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "journal_id": sale_journal(self.env, company).id,
                    "invoice_date": day,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.env.ref("billing_specialist.product_consulting_demo").id,
                                "quantity": 1,
                                # 3 % apart: never taken for near-duplicates by the pre-send checks
                                "price_unit": round(amount * (1 + 0.03 * number), 2),
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for number, (day, due) in enumerate(zip(dates, dues, strict=True))
            ]
        )
        invoices.action_post()
        for invoice in invoices[:HISTORY]:
            paid_on = min(invoice.invoice_date_due + timedelta(days=late(rng)), today)
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"journal_id": bank_journal(self.env, company).id, "payment_date": paid_on})._create_payments()

    @api.model
    def _demo_snapshots(self, company):
        """This week's snapshot, and one in each of the past ``SNAPSHOT_WEEKS`` weeks, the clock set back."""
        try:
            from freezegun import freeze_time  # a demo tool, as in Odoo's tests; optional
        except ImportError:
            freeze_time = None
        today = fields.Date.context_today(self)
        if freeze_time:
            for weeks in range(SNAPSHOT_WEEKS, 0, -1):
                with freeze_time(today - timedelta(weeks=weeks)):
                    self._take(company)
        self._take(company)
