"""The nightly credit recompute meeting another transaction, on committed data (docs/CONCURRENCY.md, row 33c)."""

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged

from .common import CommittedFixtureCase
from .test_cron_concurrency import _skip_unless_alone

CREDIT_LOGGER = "odoo.addons.billing_specialist.models.billing_credit_status"


@tagged("post_install", "-at_install")
class TestCreditCronConcurrency(CommittedFixtureCase):
    """A customer's status changed by another transaction (a new draft invoice) after the nightly recompute's
    snapshot: the cron's write of that status fails (REPEATABLE READ). That company is logged and left for the next
    night; the company after it is recomputed and committed. Without the per-company savepoint the whole cron
    failed: no company recomputed that night."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            # the cron commits its work on every status: on a database holding others (demo data) it would do so
            _skip_unless_alone(self, env, "billing.credit.status", [], "credit statuses")
            main = env.company
            self.ids = {"main": main.id, "use_limit": main.account_use_credit_limit}
            main.account_use_credit_limit = True
            partner = env["res.partner"].create({"name": "Credit Cron Race Customer", "is_company": True})
            partner.with_company(main).credit_limit = 100.0
            self.ids["partner"] = partner.id
            self._draft(env, 150.0)
            other = env["res.company"].create({"name": "Credit Cron Second Co", "sequence": 10000})
            self.assertGreater(other.sequence, main.sequence, "the main company is recomputed first")
            self.ids["other"] = other.id
            # a status of the second company the cron corrects (computed before its customer's items went away)
            self.ids["other_status"] = (
                env["billing.credit.status"]
                .create({"partner_id": partner.id, "company_id": other.id, "state": "watch", "exposure": 999.0})
                .id
            )
        self.addCleanup(self._cleanup)
        with self.committed_env() as env:
            status = self._status(env)
            self.assertEqual((status.state, status.exposure), ("hold", 150.0))
            # as if computed yesterday: the cron has something to write on it tonight
            env.cr.execute("UPDATE billing_credit_status SET exposure = 140 WHERE id = %s", [status.id])

    def _cleanup(self):
        with self.committed_env() as env:
            partner = env["res.partner"].browse(self.ids["partner"])
            env["account.move"].search([("partner_id", "=", partner.id)]).with_context(force_delete=True).unlink()
            env["billing.credit.status"].search([("partner_id", "=", partner.id)]).unlink()
            partner.unlink()
            env["res.company"].browse(self.ids["main"]).account_use_credit_limit = self.ids["use_limit"]
        with self.committed_env() as env:
            other = env["res.company"].browse(self.ids["other"])
            for model in ("billing.followup.level", "billing.invoice.check"):
                env[model].with_context(active_test=False).search([("company_id", "=", other.id)]).unlink()
            aliases = other.billing_dispute_alias_id | other.billing_remittance_alias_id
            company_partner = other.partner_id
            other.unlink()
            aliases.unlink()
            company_partner.unlink()

    def _draft(self, env, amount):
        env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.ids["partner"],
                "invoice_line_ids": [Command.create({"name": "Service", "price_unit": amount, "tax_ids": []})],
            }
        )

    def _status(self, env):
        partner = env["res.partner"].browse(self.ids["partner"])
        return partner._billing_credit_status(env["res.company"].browse(self.ids["main"]))

    def test_company_changed_meanwhile_is_skipped_and_the_other_recomputed(self):
        with self.registry.cursor() as cron_cr:
            cron = api.Environment(cron_cr, SUPERUSER_ID, {})
            cron_cr.execute("SELECT 1")  # the cron's snapshot starts here
            with self.committed_env() as env:  # a specialist drafts another invoice meanwhile: its status, 160
                self._draft(env, 10.0)
            with self.assertLogs(CREDIT_LOGGER, "WARNING") as logs:
                cron["billing.credit.status"]._cron_recompute()
            main_name = cron["res.company"].browse(self.ids["main"]).name
            self.assertEqual(len(logs.output), 1, "only the company changed meanwhile is skipped")
            self.assertIn(f"Credit states of {main_name} not recomputed", logs.output[0])
            cron_cr.commit()
        with self.committed_env() as env:
            status = self._status(env)
            self.assertEqual(status.exposure, 160.0, "the draft's own recompute kept, not the cron's stale 150")
            other = env["billing.credit.status"].browse(self.ids["other_status"])
            self.assertEqual((other.state, other.exposure), ("ok", 0.0), "the company after it is recomputed")
