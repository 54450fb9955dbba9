import psycopg2

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CommittedFixtureCase


@tagged("post_install", "-at_install")
class TestWorkbenchConcurrentClaims(CommittedFixtureCase):
    """Two workbench rows claiming one invoice, applied at once by two real transactions: the invoice is paid once.

    The fixture is committed (a second connection cannot see uncommitted rows) and removed afterwards.
    """

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            company = env.company
            journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
            partner = env["res.partner"].create({"name": "Twice Claimed Customer", "is_company": True})
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            payments = env["account.payment"].create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": partner.id,
                        "amount": 100.0,
                        "memo": invoice.name,
                        "journal_id": journal.id,
                    }
                    for _i in range(2)
                ]
            )
            payments.action_post()
            rows = env["billing.match.review"]._refresh(company, list(payments))
            for row in rows:  # both rows claim the whole invoice
                row.write(
                    {"allocation_ids": [Command.clear(), Command.create({"move_id": invoice.id, "amount": 100.0})]}
                )
            self.ids = {
                "company": company.id,
                "partner": partner.id,
                "invoice": invoice.id,
                "payments": payments.ids,
                "rows": [row.id for row in rows.sorted(lambda row: row.payment_id.id)],
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            payments = env["account.payment"].browse(self.ids["payments"])
            invoice = env["account.move"].browse(self.ids["invoice"])
            runs = env["billing.match.run"].search([("line_ids.payment_id", "in", payments.ids)])
            (payments.move_id | invoice).line_ids.remove_move_reconcile()
            env["billing.match.review"].search([("payment_id", "in", payments.ids)]).unlink()
            runs.line_ids.unlink()
            runs.unlink()
            env["billing.match.habit"].sudo().search([("partner_id", "=", self.ids["partner"])]).unlink()
            payments.action_draft()
            payments.unlink()
            invoice.button_draft()
            invoice.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _row(self, cr, index):
        return api.Environment(cr, SUPERUSER_ID, {})["billing.match.review"].browse(self.ids["rows"][index])

    def _state(self):
        """(the invoice's open amount, the payments reconciled), as committed."""
        with self.committed_env() as env:
            invoice = env["account.move"].browse(self.ids["invoice"])
            payments = env["account.payment"].browse(self.ids["payments"])
            return invoice.amount_residual, [payment.is_reconciled for payment in payments]

    def test_the_second_apply_waits_for_nothing_and_applies_nothing(self):
        """The first Apply holds the invoice; the second is refused at once, whole, and the invoice is paid once."""
        with self.registry.cursor() as first:
            self._row(first, 0).action_apply()  # not committed yet: its rows are held
            with self.registry.cursor() as second:
                with self.assertRaisesRegex(UserError, "being applied by another user; nothing was applied"):
                    self._row(second, 1).action_apply()
                second.rollback()
        self.assertEqual(self._state(), (0.0, [True, False]), "paid once, by the first payment")
        with self.registry.cursor() as third:
            with self.assertRaises(UserError):  # once the first committed: open for 0.00 only
                self._row(third, 1).action_apply()
            third.rollback()
        self.assertEqual(self._state(), (0.0, [True, False]))

    def test_an_apply_that_read_the_invoice_before_the_other_committed_applies_nothing(self):
        """The second transaction read the invoice open (its snapshot) before the first committed: its Apply fails
        (refused, or a serialization failure the server retries, then refused): never a second payment of it."""
        with self.registry.cursor() as second:
            row = self._row(second, 1)
            self.assertEqual(row.allocation_ids.open_amount, 100.0, "read before the first committed")
            with self.registry.cursor() as first:
                self._row(first, 0).action_apply()
            with self.assertRaises((UserError, psycopg2.errors.SerializationFailure)):
                row.action_apply()
            second.rollback()
        self.assertEqual(self._state(), (0.0, [True, False]), "paid once, by the first payment")
