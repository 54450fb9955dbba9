import threading

import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.service.model import _as_validation_error
from odoo.tests import tagged

from ..matching.remittance import Advice, AdviceLine
from .common import CommittedFixtureCase

ADVICE = Advice(lines=[AdviceLine("INV/2026/00001", 100.0), AdviceLine("INV/2026/00002", 250.0)])


@tagged("post_install", "-at_install")
class TestRemittanceConcurrency(CommittedFixtureCase):
    """The same advice imported by two transactions at once: one remittance, the other refused with nothing written.

    Real connections: the customer is committed (another connection cannot see uncommitted rows) and removed after.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            self.company_id = env.company.id
            self.partner_id = env["res.partner"].create({"name": "Twice Imported Customer", "is_company": True}).id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.remittance"].search([("partner_id", "=", self.partner_id)]).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def _import(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        company, partner = env["res.company"].browse(self.company_id), env["res.partner"].browse(self.partner_id)
        return env["billing.remittance"]._billing_import(partner, company, ADVICE, "csv")

    def test_same_advice_imported_twice_at_once(self):
        outcome = {}

        def second():
            with self.registry.cursor() as cr:
                try:
                    self._import(cr)  # waits on the first transaction's key, then fails on it
                    outcome["result"] = "imported"
                except psycopg2.errors.UniqueViolation as error:
                    cr.rollback()
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    outcome["result"] = str(_as_validation_error(env, error))

        with self.registry.cursor() as first:
            self._import(first)  # not committed yet: the second transaction cannot see it
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=2)
            self.assertTrue(thread.is_alive(), "the second import waits for the first transaction's key")
        # leaving the block commits the first import
        thread.join(timeout=30)
        self.assertFalse(thread.is_alive())
        self.assertIn("imported already", outcome["result"])
        with self.committed_env() as env:
            remittances = env["billing.remittance"].search([("partner_id", "=", self.partner_id)])
            self.assertEqual(len(remittances), 1)
            self.assertEqual(len(remittances.line_ids), 2, "the refused import wrote no line")


@tagged("post_install", "-at_install")
class TestRemittanceApplyConcurrency(CommittedFixtureCase):
    """Applying a remittance while a matching run (or another user) holds its payment's journal items: refused at
    once, nothing applied, as a review row is; it used to wait for the other transaction, a run's chunk for as long
    as it takes."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            company = env.company
            partner = env["res.partner"].create({"name": "Held Remittance Customer", "is_company": True})
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 320.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
            payment = env["account.payment"].create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": 320.0,
                    "journal_id": journal.id,
                }
            )
            payment.action_post()
            advice = Advice(lines=[AdviceLine(invoice.name, 320.0)])
            remittance = env["billing.remittance"]._billing_import(partner, company, advice, "csv")
            remittance.action_match()
            self.assertEqual((remittance.state, remittance.payment_id), ("matched", payment))
            self.ids = {
                "partner": partner.id,
                "invoice": invoice.id,
                "payment": payment.id,
                "remittance": remittance.id,
                "lines": payment.move_id.line_ids.ids,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            payment = env["account.payment"].browse(self.ids["payment"])
            invoice = env["account.move"].browse(self.ids["invoice"])
            (payment.move_id | invoice).line_ids.remove_move_reconcile()
            runs = env["billing.match.run"].search([("line_ids.payment_id", "=", payment.id)])
            runs.line_ids.unlink()
            runs.unlink()
            env.cr.execute(
                "DELETE FROM billing_remittance WHERE id = %s", [self.ids["remittance"]]
            )  # history once applied
            payment.action_draft()
            payment.unlink()
            invoice.button_draft()
            invoice.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def test_apply_while_the_payment_is_held_is_refused_at_once(self):
        with self.registry.cursor() as holder:
            holder.execute("SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE", [tuple(self.ids["lines"])])
            with self.registry.cursor() as cr:
                cr.execute("SET LOCAL statement_timeout = '3s'")
                remittance = api.Environment(cr, SUPERUSER_ID, {})["billing.remittance"].browse(self.ids["remittance"])
                with self.assertRaisesRegex(UserError, "being applied by another user or run; nothing was applied"):
                    remittance.action_apply()
                cr.rollback()
            holder.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(env["account.move"].browse(self.ids["invoice"]).amount_residual, 320.0)
            remittance = env["billing.remittance"].browse(self.ids["remittance"])
            self.assertEqual(remittance.state, "matched")
            remittance.action_apply()  # once released
            self.assertEqual(remittance.state, "applied")
            self.assertTrue(
                env["account.move"]
                .browse(self.ids["invoice"])
                .currency_id.is_zero(env["account.move"].browse(self.ids["invoice"]).amount_residual)
            )


@tagged("post_install", "-at_install")
class TestRemittanceVouchConcurrency(CommittedFixtureCase):
    """Two specialists vouch for one e-mailed advice at once (two real transactions): one vouches, the other is refused;
    one name on the advice, one note in its chatter."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            self.partner_id = env["res.partner"].create({"name": "Vouched Twice Customer", "is_company": True}).id
            self.remittance_id = (
                env["billing.remittance"]
                .create(
                    {
                        "company_id": env.company.id,
                        "partner_id": self.partner_id,
                        "reference": "advice",
                        "email_from": "ap@vouched-twice.example.com",
                        "source": "email",
                        "state": "new",
                    }
                )
                .id
            )
            self.admin_id = env.ref("base.user_admin").id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.remittance"].browse(self.remittance_id).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def _vouch(self, cr):
        env = api.Environment(cr, self.admin_id, {})
        env["billing.remittance"].browse(self.remittance_id).action_vouch()
        env.flush_all()  # as the end of the request does: the row is written (and locked) now

    def test_two_vouches_at_once(self):
        outcome = {}

        def second():
            with self.registry.cursor() as cr:
                try:
                    self._vouch(cr)  # waits on the first transaction's row, then fails on it
                    outcome["result"] = "vouched"
                except psycopg2.errors.SerializationFailure:
                    cr.rollback()
                    try:  # what Odoo's retry of the request then does: sees the first one's vouch
                        self._vouch(cr)
                        outcome["result"] = "vouched on retry"
                    except UserError as error:
                        outcome["result"] = str(error)

        with self.registry.cursor() as first:
            self._vouch(first)
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=2)
            self.assertTrue(thread.is_alive(), "the second vouch waits for the first transaction")
        thread.join(timeout=30)
        self.assertFalse(thread.is_alive())
        self.assertIn("vouched for", outcome["result"])
        self.assertIn("already", outcome["result"])
        with self.committed_env() as env:
            remittance = env["billing.remittance"].browse(self.remittance_id)
            self.assertEqual(remittance.vouched_user_id.id, self.admin_id)
            self.assertTrue(remittance.decides)
            notes = remittance.message_ids.filtered(lambda m: "vouched for this advice" in (m.body or ""))
            self.assertEqual(len(notes), 1)
