import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models

from .billing_outlook_week import WEEKS

_logger = logging.getLogger(__name__)


class BillingOutlookSnapshot(models.Model):
    """What the cash outlook said, week by week, when it was taken: 13 rows per company and snapshot.

    Taken by the weekly scheduled action (``_cron_snapshot``) from the outlook computed again at that moment, the
    weeks starting on the first day of the week of the company's language. Written by the system alone: users read
    the snapshots of their companies and never create, change or delete one. *Outlook Accuracy*
    (``billing.outlook.accuracy``) sets them against the receipts of each week once it is over.
    """

    _name = "billing.outlook.snapshot"
    _description = "Cash Outlook Snapshot"
    _order = "date_taken desc, company_id, week_start"
    _rec_name = "week_start"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", required=True, readonly=True)
    date_taken = fields.Date(
        string="Taken On", required=True, readonly=True, index=True, help="The first day of the week it was taken."
    )
    week_start = fields.Date(string="Week", required=True, readonly=True, index=True)
    weeks_ahead = fields.Integer(
        readonly=True, help="0: the week it was taken; 1: the week after (the forecast one week before); ..."
    )
    amount_expected = fields.Monetary(string="Expected", readonly=True)
    amount_low = fields.Monetary(string="Low", readonly=True)
    amount_high = fields.Monetary(string="High", readonly=True)

    _sql_constraints = [
        (
            "week_unique",
            "UNIQUE(company_id, date_taken, week_start)",
            "A snapshot has one row per week.",
        )
    ]

    @api.model
    def _cron_snapshot(self):
        """The weekly scheduled action: a snapshot of every company's outlook, each in a savepoint. A company whose
        outlook is being computed at the same time (by hand) is logged and has no snapshot this week: its accuracy
        says so ("no snapshot"), never a forecast it did not make."""
        for company in self.env["res.company"].sudo().search([]):
            try:
                with self.env.cr.savepoint():
                    self._take(company)
            except psycopg2.Error:
                _logger.warning("Cash outlook snapshot of %s not taken (computed at the same time)", company.name)

    @api.model
    def _take(self, company):
        """Compute the outlook of ``company`` again and record its 13 weeks (a second snapshot the same week
        replaces the first). As the system: the caller checked who asks."""
        self = self.sudo()
        lang = company.partner_id.lang or self.env.lang
        Week = self.env["billing.outlook.week"].with_company(company).with_context(lang=lang)
        self.env["billing.outlook.line"]._billing_refresh(company)
        self.env.flush_all()
        weekly = Week._weekly([("company_id", "=", company.id)])
        taken = weekly[0][0]
        self.search([("company_id", "=", company.id), ("date_taken", "=", taken)]).unlink()
        return self.create(
            [
                {
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "date_taken": taken,
                    "week_start": week,
                    "weeks_ahead": (week - taken) // timedelta(weeks=1),
                    "amount_expected": expected,
                    "amount_low": low,
                    "amount_high": high,
                }
                for week, expected, low, high in weekly[:WEEKS]
            ]
        )
