"""Two refreshes of one company's cash outlook at once (docs/CONCURRENCY.md, rows 22g, 33a and 33b)."""

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..report.billing_outlook_week import WEEKS
from .common import CommittedFixtureCase
from .test_cron_concurrency import _drop_invoices, _overdue_invoice, _skip_unless_alone

SNAPSHOT_LOGGER = "odoo.addons.billing_specialist.report.billing_outlook_snapshot"


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


@tagged("post_install", "-at_install")
class TestOutlookSnapshotCronConcurrency(CommittedFixtureCase):
    """Row 33b: the weekly snapshot meets a company whose outlook another transaction refreshed after the cron's
    snapshot began. That company's refresh fails on its row (22g) inside its savepoint: logged, no snapshot for it
    this week; the company after it gets its 13 weeks, committed. Without the savepoint the failure aborts the
    cron's transaction and no company gets a snapshot."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            # the cron commits a snapshot of every company: on a database holding snapshots (demo data) it would
            # replace this week's ones for real
            _skip_unless_alone(self, env, "billing.outlook.snapshot", [], "cash outlook snapshots")
            main = env.company
            other = env["res.company"].create({"name": "Outlook Snapshot Second Co", "sequence": 10000})
            self.assertGreater(other.sequence, main.sequence, "the main company is taken first")
            self.ids = {"main": main.id, "other": other.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.outlook.snapshot"].search([]).unlink()
            env.cr.execute("DELETE FROM billing_outlook_line WHERE company_id = %s", (self.ids["other"],))
            other = env["res.company"].browse(self.ids["other"])
            for model in ("billing.followup.level", "billing.invoice.check"):
                env[model].with_context(active_test=False).search([("company_id", "=", other.id)]).unlink()
            aliases = other.billing_dispute_alias_id | other.billing_remittance_alias_id
            partner = other.partner_id
            other.unlink()
            aliases.unlink()
            partner.unlink()

    def _snapshot_weeks(self, company):
        with self.committed_env() as env:
            return env["billing.outlook.snapshot"].search_count([("company_id", "=", self.ids[company])])

    def test_weekly_snapshot_skips_a_company_refreshed_meanwhile(self):
        with self.registry.cursor() as cron_cr:
            cron = api.Environment(cron_cr, SUPERUSER_ID, {})
            cron_cr.execute("SELECT 1")  # the cron's snapshot starts here
            with self.committed_env() as env:  # a user refreshes the main company's outlook meanwhile
                env["billing.outlook.line"]._billing_refresh(env["res.company"].browse(self.ids["main"]))
            with self.assertLogs(SNAPSHOT_LOGGER, "WARNING") as logs:
                cron["billing.outlook.snapshot"]._cron_snapshot()
            main_name = cron["res.company"].browse(self.ids["main"]).name
            self.assertEqual(len(logs.output), 1, "only the company refreshed meanwhile is skipped")
            self.assertIn(f"snapshot of {main_name} not taken", logs.output[0])
            cron_cr.commit()
        self.assertEqual(self._snapshot_weeks("main"), 0, "no snapshot of the company refreshed meanwhile")
        self.assertEqual(self._snapshot_weeks("other"), WEEKS, "the company after it has its 13 weeks, committed")
        # The next week's call (here: at once) takes the skipped company's snapshot.
        with self.committed_env() as env:
            env["billing.outlook.snapshot"]._cron_snapshot()
        self.assertEqual(self._snapshot_weeks("main"), WEEKS)
