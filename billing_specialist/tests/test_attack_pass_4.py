"""Attack pass on issue 13 (remittance advices, matching that learns): each test replays an attack through the entry
point a client has (ORM with the attacker's user, as JSON-RPC's call_kw runs it) and proves it is refused with
nothing written."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..matching.remittance import Layout
from .test_remittance import RemittanceCommon

CATASTROPHIC = r"(?P<reference>\S+) (?P<amount>(\d+)+)$"


@tagged("post_install", "-at_install")
class TestAttackPass4(RemittanceCommon):
    def _matched_advice_naming_another_customers_invoice(self):
        remittance = self._import(f"ref,amount\n{self.inv_other.name},700\n".encode())
        payment = self._payment(700.0)
        remittance.with_user(self.specialist).action_match()
        self.assertEqual((remittance.state, remittance.payment_id), ("matched", payment))
        return remittance, payment

    def test_matched_remittance_cannot_be_moved_to_another_customer(self):
        """Acme's payment matched to its advice; the advice re-assigned to Globex would pay Globex's invoice."""
        remittance, payment = self._matched_advice_naming_another_customers_invoice()
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("id", "!=", self.company.currency_id.id)], limit=1)
        )
        for vals in ({"partner_id": self.other_customer.id}, {"currency_id": currency.id}):
            with self.assertRaisesRegex(UserError, "matched to a payment cannot be changed"):
                remittance.with_user(self.specialist).write(vals)
        self.assertEqual(remittance.partner_id, self.customer)
        self.assertEqual(remittance.currency_id, self.company.currency_id)
        self.assertEqual(self.inv_other.amount_residual, 700.0)
        self.assertFalse(payment.invoice_ids)

    def test_remittance_never_applies_another_customers_payment(self):
        """Even if its customer was changed (by the application, or before this guard), applying is refused."""
        remittance, payment = self._matched_advice_naming_another_customers_invoice()
        remittance.sudo().partner_id = self.other_customer
        with self.assertRaisesRegex(UserError, "another customer's payment"):
            remittance.with_user(self.specialist).action_apply()
        self.assertEqual(remittance.state, "matched")
        self.assertEqual(self.inv_other.amount_residual, 700.0)
        self.assertFalse(payment.invoice_ids)
        self.assertFalse(self.env["billing.dispute"].search([("remittance_id", "=", remittance.id)]))

    def test_waiting_remittance_can_still_be_corrected_to_its_customer(self):
        remittance = self._import(f"ref,amount\n{self.inv_other.name},700\n".encode())
        remittance.with_user(self.specialist).partner_id = self.other_customer
        self.assertEqual(remittance.partner_id, self.other_customer)

    def test_catastrophic_line_pattern_is_refused(self):
        """A pattern with a repeat in a repeat ((\\d+)+) backtracks exponentially on a line that almost fits:
        one e-mail would hold a worker for ever. Refused when configured, nothing written."""
        before = self._count("billing.remittance.format")
        for pattern in (
            CATASTROPHIC,
            r"(?P<reference>(\w*)*)\s(?P<amount>\d+)",
            r"(?P<reference>(?:a|b{1,9})*)"
            r"(?P<amount>\d)",
        ):
            with self.assertRaisesRegex(ValidationError, "catastrophic"), self.env.cr.savepoint():
                self.env(user=self.manager)["billing.remittance.format"].create(
                    {"name": "Acme", "partner_id": self.customer.id, "line_pattern": pattern}
                )
        fmt = self._format(line_pattern=r"Inv\.\s*(?P<reference>\S+)\s+paid\s+(?P<amount>[\d.,]+)")
        with self.assertRaisesRegex(ValidationError, "catastrophic"), self.env.cr.savepoint():
            fmt.with_user(self.manager).write({"line_pattern": CATASTROPHIC})
        self.assertNotEqual(fmt.line_pattern, CATASTROPHIC)
        self.assertEqual(self._count("billing.remittance.format"), before + 1)

    def test_catastrophic_pattern_is_not_run_on_a_text(self):
        """A layout whose pattern was stored before the check is refused by the reader, not run."""
        text = f"{self.inv1.name} " + "1" * 20 + "x"
        with self.assertRaisesRegex(UserError, "catastrophic"):
            self.Remittance.with_user(self.specialist)._billing_read(
                None, None, Layout(line_pattern=CATASTROPHIC), text=text
            )

    def test_default_context_keys_cannot_set_protected_fields(self):
        """``default_state`` / ``default_payment_id`` / ``default_move_id`` sent in the context of a create (as a client
        can over RPC) would make an advice applied (undeletable, matched to any payment) or a line resolved."""
        payment = self._payment(5.0, partner=self.other_customer)
        context = {
            "default_state": "applied",
            "default_payment_id": payment.id,
            "default_source": "email",
            "default_duplicate_key": "x",
            "default_error_message": "y",
        }
        remittance = (
            self.Remittance.with_user(self.specialist).with_context(**context).create({"partner_id": self.customer.id})
        )
        self.assertEqual((remittance.state, remittance.source), ("new", "manual"))
        self.assertFalse(remittance.payment_id or remittance.duplicate_key or remittance.error_message)
        line = (
            self.env["billing.remittance.line"]
            .with_user(self.specialist)
            .with_context(default_move_id=self.inv_other.id)
            .create({"remittance_id": remittance.id, "reference": "X1", "amount_paid": 5.0})
        )
        self.assertFalse(line.move_id)

    def test_line_amounts_written_over_rpc_are_finite_and_sane(self):
        """The file parser bounds amounts; a client writing a line directly got none of it: NaN compares false to
        every check, and 1e300 breaks the sums."""
        remittance = self._import(f"ref,amount\n{self.inv_other.name},700\n".encode())
        line = remittance.line_ids.with_user(self.specialist)
        for value in (float("nan"), float("inf"), 1e300, -1e300):
            for field in ("amount_paid", "amount_deduction"):
                with self.subTest(field=field, value=value), self.assertRaises(ValidationError):
                    line.write({field: value})
        self.assertEqual(line.amount_paid, 700.0)
