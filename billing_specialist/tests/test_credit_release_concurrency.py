"""Two releases of one credit hold at once, on committed data (docs/CONCURRENCY.md, row 22h)."""

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CommittedFixtureCase

RELEASED = "Credit hold released"


@tagged("post_install", "-at_install")
class TestCreditReleaseConcurrency(CommittedFixtureCase):
    """Two managers release the same hold at the same moment: both wizards read the status *On Hold*. The release
    that commits first is recorded; the other one's write of the status row fails (REPEATABLE READ), Odoo replays
    its request, and the replay, which sees the status released, says so and changes nothing: one release, one
    message on the customer, the first manager's name and reason."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            company = env.company
            self.ids = {"company": company.id, "use_limit": company.account_use_credit_limit}
            company.account_use_credit_limit = True
            partner = env["res.partner"].create({"name": "Credit Release Race Customer", "is_company": True})
            partner.with_company(company).credit_limit = 100.0
            self.ids["partner"] = partner.id
            env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 150.0, "tax_ids": []})],
                }
            )
        self.addCleanup(self._cleanup)
        with self.committed_env() as env:
            status = self._status(env)
            self.assertEqual(status.state, "hold", "a draft of 150 against a limit of 100")
            self.ids["status"] = status.id
            self.ids["admin"] = env.ref("base.user_admin").id
            Release = env["billing.credit.release"]
            self.ids["first"] = Release.create({"status_id": status.id, "reason": "First manager's reason"}).id
            self.ids["second"] = Release.create({"status_id": status.id, "reason": "Second manager's reason"}).id

    def _cleanup(self):
        with self.committed_env() as env:
            partner = env["res.partner"].browse(self.ids["partner"])
            env["account.move"].search([("partner_id", "=", partner.id)]).with_context(force_delete=True).unlink()
            env["billing.credit.release"].search([("partner_id", "=", partner.id)]).unlink()
            env["billing.credit.status"].search([("partner_id", "=", partner.id)]).unlink()
            partner.unlink()
            env["res.company"].browse(self.ids["company"]).account_use_credit_limit = self.ids["use_limit"]

    def _status(self, env):
        partner = env["res.partner"].browse(self.ids["partner"])
        return partner._billing_credit_status(env["res.company"].browse(self.ids["company"]))

    def _release_messages(self, env):
        return env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.ids["partner"]), ("body", "ilike", RELEASED)]
        )

    def test_two_releases_at_once_record_one(self):
        with self.registry.cursor() as late_cr:
            # The second manager (the administrator, as the system) clicks Release at the same moment:
            late = api.Environment(late_cr, self.ids["admin"], {}, su=True)
            late_wizard = late["billing.credit.release"].browse(self.ids["second"])
            self.assertEqual(late_wizard.status_id.state, "hold", "its snapshot starts here: the customer is held")
            with self.committed_env() as env:  # the first manager's release commits meanwhile
                env["billing.credit.release"].browse(self.ids["first"]).action_release()
            attempts = []

            def release():
                attempts.append(1)
                return late["billing.credit.release"].browse(self.ids["second"]).action_release()

            with (
                mute_logger("odoo.sql_db", "odoo.service.model"),
                self.assertRaisesRegex(UserError, "already released by"),
            ):
                retrying(release, late)  # as Odoo runs every request: replayed on a serialization failure
            late_cr.rollback()
        self.assertEqual(len(attempts), 2, "the stale attempt failed on the status row, the replay refused")
        with self.committed_env() as env:
            status = self._status(env)
            self.assertEqual(status.state, "watch", "released")
            self.assertEqual(status.released_by_id.id, SUPERUSER_ID, "the first manager's release")
            self.assertEqual(status.release_reason, "First manager's reason")
            self.assertEqual(len(self._release_messages(env)), 1, "one release logged on the customer")
            self.assertIn("First manager's reason", self._release_messages(env).body)

    def test_a_release_after_another_is_refused_with_who_released(self):
        with self.committed_env() as env:
            env["billing.credit.release"].browse(self.ids["first"]).action_release()
        with self.committed_env() as env, self.assertRaisesRegex(UserError, "already released by"):
            env(user=self.ids["admin"], su=True)["billing.credit.release"].browse(self.ids["second"]).action_release()
        with self.committed_env() as env:
            self.assertEqual(self._status(env).release_reason, "First manager's reason")
            self.assertEqual(len(self._release_messages(env)), 1)
