from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..exceptions import BillingCheckBlocked
from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestBillingRunCommitted(CommittedFixtureCase):
    """A billing run in a real transaction, as a click on Run on a running server does it: the invoices are committed
    before, the run's work is committed after, and a refused post is no longer free to keep its findings in a second
    transaction that the run's own (older) snapshot would then conflict with.

    Blocked, clean, failing and e-mail-less drafts, in both orders: every outcome recorded, the clean ones posted once
    and delivered once, the blocked one's findings kept.
    """

    def setUp(self):
        super().setUp()
        self.block_committed_check()
        with self.committed_env() as env:
            self.ids = {}
            partners = env["res.partner"].create(
                [
                    {
                        "name": "Committed Run PO Customer",
                        "is_company": True,
                        "email": "ap@po.example.com",
                        "billing_po_required": True,
                    },
                    {"name": "Committed Run Mail Customer", "is_company": True, "email": "ap@mail.example.com"},
                    {
                        "name": "Committed Run Letter Customer",
                        "is_company": True,
                        "street": "1 Main Street",
                        "city": "Springfield",
                        "zip": "12345",
                    },
                ]
            )
            self.ids["partners"] = partners.ids
        self.addCleanup(self._cleanup)

    def _drafts(self, env, order):
        """Four drafts (blocked, clean, failing, letter) created in ``order``: {kind: move}."""
        po, mail, letter = env["res.partner"].browse(self.ids["partners"])
        partner = {"blocked": po, "clean": mail, "failing": mail, "letter": letter}
        moves = {}
        for kind in order:
            moves[kind] = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner[kind].id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        Command.create({"name": f"Service {kind}", "price_unit": 100.0, "tax_ids": []})
                    ],
                }
            )
        moves["failing"].invoice_line_ids = [Command.clear()]  # cannot be posted: no line
        return moves

    def _cleanup(self):
        with self.committed_env() as env:
            runs = env["billing.invoice.run"].search([("line_ids.move_id.partner_id", "in", self.ids["partners"])])
            moves = env["account.move"].search([("partner_id", "in", self.ids["partners"])])
            runs.sudo().write({"state": "done"})
            runs.unlink()
            moves.filtered(lambda move: move.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()

    def _run_in_a_transaction_of_its_own(self, order):
        with self.registry.cursor() as cr:  # the drafts, committed as a user would have saved them
            env = api.Environment(cr, SUPERUSER_ID, {})
            moves = self._drafts(env, order)
            run_id = env["billing.invoice.run"]._create_for_invoices(env["account.move"].union(*moves.values())).id
            move_ids = {kind: move.id for kind, move in moves.items()}
        with self.registry.cursor() as cr:  # the click on Run: one request, committed when it returns
            api.Environment(cr, SUPERUSER_ID, {})["billing.invoice.run"].browse(run_id).action_run()
        return run_id, move_ids

    def _assert_outcomes(self, run_id, move_ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            run = env["billing.invoice.run"].browse(run_id)
            outcomes = {
                kind: run.line_ids.filtered(lambda line, i=move_id: line.move_id.id == i).outcome
                for kind, move_id in move_ids.items()
            }
            self.assertEqual(
                outcomes,
                {"blocked": "blocked", "clean": "posted_sent", "failing": "failed", "letter": "posted_printed"},
            )
            self.assertEqual(run.state, "done")
            moves = {kind: env["account.move"].browse(move_id) for kind, move_id in move_ids.items()}
            self.assertEqual(moves["blocked"].state, "draft")
            self.assertEqual(moves["failing"].state, "draft")
            self.assertEqual((moves["clean"].state, moves["letter"].state), ("posted", "posted"))
            sent = env["mail.message"].search_count(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "=", moves["clean"].id),
                    ("message_type", "=", "comment"),
                    ("partner_ids", "!=", False),
                ]
            )
            self.assertEqual(sent, 1, "the clean invoice is e-mailed once")
            findings = env["billing.invoice.check.result"].search(
                [("move_id", "=", moves["blocked"].id), ("state", "=", "open")]
            )
            self.assertEqual(findings.mapped("code"), ["po_required"], "the blocked invoice's finding is kept")
            self.assertEqual(moves["blocked"].billing_check_state, "block")
            blocked_line = run.line_ids.filtered(lambda line: line.move_id == moves["blocked"])
            self.assertEqual(blocked_line.check_codes, "po_required")

    def test_blocked_invoice_first(self):
        self._assert_outcomes(*self._run_in_a_transaction_of_its_own(["blocked", "clean", "failing", "letter"]))

    def test_blocked_invoice_last(self):
        self._assert_outcomes(*self._run_in_a_transaction_of_its_own(["letter", "failing", "clean", "blocked"]))

    def test_a_refused_post_outside_a_run_still_keeps_its_findings(self):
        """Posting a blocked draft by hand rolls the request back, yet the banner and the report keep its finding:
        the second transaction still does that when no billing run records it."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            move_id = self._drafts(env, ["blocked", "clean", "failing", "letter"])["blocked"].id
            run = env["billing.invoice.run"]._create_for_invoices(env["account.move"].browse(move_id))
            run.sudo().state = "done"  # listed in a run so the cleanup finds it
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            with self.assertRaises(BillingCheckBlocked):
                env["account.move"].browse(move_id).action_post()
            cr.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            findings = env["billing.invoice.check.result"].search([("move_id", "=", move_id)])
            self.assertEqual(findings.mapped("code"), ["po_required"])
            self.assertEqual(env["account.move"].browse(move_id).state, "draft")


@tagged("post_install", "-at_install")
class TestBillingRunTwoClicks(CommittedFixtureCase):
    """Two clicks on Run of the same billing run at once, on committed data: one runs, the other is refused; every
    invoice posted and sent once."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            partner = env["res.partner"].create(
                {"name": "Attack 8 Two Clicks", "is_company": True, "email": "ap@twoclicks.example.com"}
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.context_today(env.user),
                        "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 10.0, "tax_ids": []})],
                    }
                    for _i in range(2)
                ]
            )
            self.partner_id, self.move_ids = partner.id, moves.ids
            self.run_id = env["billing.invoice.run"]._create_for_invoices(moves).id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            run = env["billing.invoice.run"].browse(self.run_id)
            run.sudo().write({"state": "done"})
            run.unlink()
            moves = env["account.move"].browse(self.move_ids)
            moves.filtered(lambda move: move.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def test_two_clicks_on_run_at_once(self):
        with self.registry.cursor() as cr_first, self.registry.cursor() as cr_second:
            first = api.Environment(cr_first, 1, {})["billing.invoice.run"].browse(self.run_id)
            second = api.Environment(cr_second, 1, {})["billing.invoice.run"].browse(self.run_id)
            second.line_ids.mapped("outcome")  # the second request has read the run: its snapshot is taken
            first.action_run()  # holds the run's row until it commits
            with self.assertRaisesRegex(UserError, "being processed"):
                second.action_run()
            cr_second.rollback()
        with self.committed_env() as env:
            run = env["billing.invoice.run"].browse(self.run_id)
            self.assertEqual(run.state, "done")
            self.assertEqual(set(run.line_ids.mapped("outcome")), {"posted_sent"})
            sent = env["mail.message"].search_count(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "in", self.move_ids),
                    ("message_type", "=", "comment"),
                    ("partner_ids", "!=", False),
                ]
            )
            self.assertEqual(sent, 2, "each invoice e-mailed once")
            # A third click once the first is committed: nothing left to do.
        with self.registry.cursor() as cr:
            with self.assertRaisesRegex(UserError, "nothing left"):
                api.Environment(cr, 1, {})["billing.invoice.run"].browse(self.run_id).action_run()
