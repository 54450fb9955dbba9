import threading

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

from ..exceptions import BillingCheckBlocked
from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestRefusedPostKeepsFindingsCommitted(CommittedFixtureCase):
    """A refused post keeps its findings in a second transaction. When the caller's own transaction already holds
    those rows (it stored the findings just before, e.g. Run Checks then Post in one call), the second transaction
    would wait for the caller, which waits for it: the post gives up keeping them after its lock timeout and the
    refusal still reaches the user."""

    def setUp(self):
        super().setUp()
        self.block_committed_check()
        with self.committed_env() as env:
            self.ids = {}
            partner = env["res.partner"].create(
                {
                    "name": "Checks Held Customer",
                    "is_company": True,
                    "email": "ap@held.example.com",
                    "billing_po_required": True,
                }
            )
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            move._billing_run_checks()  # a finding row exists: the second transaction updates it
            self.ids.update(partner=partner.id, move=move.id)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["account.move"].browse(self.ids["move"]).with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _check_then_post(self, outcome):
        try:
            with self.registry.cursor() as cr:
                move = api.Environment(cr, SUPERUSER_ID, {})["account.move"].browse(self.ids["move"])
                move._billing_run_checks()  # this transaction now holds the finding's row
                cr.flush()
                try:
                    move.action_post()
                except BillingCheckBlocked:
                    outcome.append("refused")
                cr.rollback()
        except Exception as error:  # pylint: disable=broad-exception-caught  # reported by the test
            outcome.append(error)

    def _cancel_waiting_findings(self):
        """End a second transaction still waiting on the finding's row (only without the lock timeout)."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND "
                "wait_event_type = 'Lock' AND query ILIKE %s AND pid != pg_backend_pid()",
                ["%billing_invoice_check_result%"],
            )

    def test_refusal_reaches_the_user_when_the_caller_holds_the_findings(self):
        outcome = []
        caller = threading.Thread(target=self._check_then_post, args=(outcome,))
        caller.start()
        caller.join(20)
        hung = caller.is_alive()
        if hung:
            self._cancel_waiting_findings()
            caller.join(20)
        self.assertFalse(hung, "the refused post waited for its own caller")
        self.assertEqual(outcome, ["refused"])
        with self.registry.cursor() as cr:
            move = api.Environment(cr, SUPERUSER_ID, {})["account.move"].browse(self.ids["move"])
            self.assertEqual(move.state, "draft")
            self.assertEqual(move.billing_check_result_ids.mapped("code"), ["po_required"], "the first run's finding")
