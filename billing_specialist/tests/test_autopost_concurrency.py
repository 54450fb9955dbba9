from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestAutopostCommitted(CommittedFixtureCase):
    """Odoo's scheduled action that posts the drafts set to post themselves (``auto_post``), in a real transaction:
    a draft a pre-send check blocks is left a draft with its findings, the others are posted, and the action's own
    transaction commits.

    The action writes the refused draft (``checked``) after the refusal; a second transaction that kept the findings
    meanwhile (the refused post's) updated that draft's row (its check status) first: the action failed on a
    serialization failure, every time it met a blocked draft, and posted nothing at all.
    """

    def setUp(self):
        super().setUp()
        self.block_committed_check()
        with self.committed_env() as env:
            self.ids = {}
            partners = env["res.partner"].create(
                [
                    {
                        "name": "Autopost PO Customer",
                        "is_company": True,
                        "email": "ap@autopost-po.example.com",
                        "billing_po_required": True,
                    },
                    {"name": "Autopost Clean Customer", "is_company": True, "email": "ap@autopost.example.com"},
                ]
            )
            self.ids["partners"] = partners.ids
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.today(),
                        "auto_post": "at_date",
                        "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for partner in partners
                ]
            )
            self.ids["blocked"], self.ids["clean"] = moves.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            moves = env["account.move"].search([("partner_id", "in", self.ids["partners"])])
            moves.filtered(lambda move: move.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()

    def test_blocked_draft_leaves_the_others_posted_and_keeps_its_findings(self):
        with self.registry.cursor() as cr:  # the scheduled action: committed when it returns
            api.Environment(cr, SUPERUSER_ID, {})["account.move"]._autopost_draft_entries()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            blocked, clean = env["account.move"].browse([self.ids["blocked"], self.ids["clean"]])
            self.assertEqual(clean.state, "posted")
            self.assertEqual(blocked.state, "draft")
            self.assertFalse(blocked.checked, "the action marked it to be looked at")
            findings = env["billing.invoice.check.result"].search(
                [("move_id", "=", blocked.id), ("state", "=", "open")]
            )
            self.assertEqual(findings.mapped("code"), ["po_required"], "the blocked draft's finding is kept")
            self.assertEqual(blocked.billing_check_state, "block")
            self.assertFalse(clean.billing_check_result_ids)
