"""Two refreshes of one company's cash outlook at once (docs/CONCURRENCY.md, rows 22f and 33a)."""

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CommittedFixtureCase
from .test_cron_concurrency import _drop_invoices, _overdue_invoice


@tagged("post_install", "-at_install")
class TestOutlookRefreshConcurrency(CommittedFixtureCase):
    """A refresh whose snapshot is older than another refresh's commit fails on the company's row, so the rows are
    never inserted twice (without the update of the company's row, both refreshes inserted theirs: two rows per
    item)."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            partner = env["res.partner"].create({"name": "Outlook Concurrency Customer", "is_company": True})
            invoice = _overdue_invoice(env, partner, 5)
            company = env.company
            env.cr.execute("DELETE FROM billing_outlook_line WHERE company_id = %s", (company.id,))
            self.ids = {"company": company.id, "invoice": invoice.id, "partner": partner.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env.cr.execute("DELETE FROM billing_outlook_line WHERE company_id = %s", (self.ids["company"],))
            _drop_invoices(env["account.move"].browse(self.ids["invoice"]))
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _rows_of_invoice(self):
        with self.committed_env() as env:
            env.cr.execute("SELECT COUNT(*) FROM billing_outlook_line WHERE move_id = %s", (self.ids["invoice"],))
            return env.cr.fetchone()[0]

    def test_second_refresh_with_an_older_snapshot_fails_and_inserts_nothing(self):
        with self.registry.cursor() as late_cr:
            late = api.Environment(late_cr, SUPERUSER_ID, {})
            company = late["res.company"].browse(self.ids["company"])
            late_cr.execute("SELECT COUNT(*) FROM billing_outlook_line")  # its snapshot starts here
            with self.committed_env() as env:
                env["billing.outlook.line"]._billing_refresh(env["res.company"].browse(self.ids["company"]))
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.errors.SerializationFailure),
            ):
                late["billing.outlook.line"]._billing_refresh(company)
            late_cr.rollback()
        self.assertEqual(self._rows_of_invoice(), 1)

    def test_the_nightly_refresh_skips_a_company_refreshed_meanwhile(self):
        with self.registry.cursor() as late_cr:
            late = api.Environment(late_cr, SUPERUSER_ID, {})
            late_cr.execute("SELECT COUNT(*) FROM billing_outlook_line")
            with self.committed_env() as env:
                env["billing.outlook.line"]._billing_refresh(env["res.company"].browse(self.ids["company"]))
            with self.assertLogs("odoo.addons.billing_specialist.models.billing_outlook_line", "WARNING") as logs:
                late["billing.outlook.line"]._cron_refresh()
            self.assertIn("not refreshed", logs.output[0])
            late_cr.commit()
        self.assertEqual(self._rows_of_invoice(), 1)
        # The next night refreshes it once.
        with self.committed_env() as env:
            env["billing.outlook.line"]._cron_refresh()
        self.assertEqual(self._rows_of_invoice(), 1)
