"""What each line of a remittance advice was understood as, right after import (issue 23): the invoice found, or why
none, in plain words, never anything of another customer; recomputed when the invoice is paid; read in bulk; and a
short payment saying so in the matching's reasons."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from ..matching.remittance import Advice, AdviceLine
from .screenshots import ScreenshotTourMixin
from .test_remittance import RemittanceCommon
from .test_remittance_origin import EmailedAdviceCommon

UNKNOWN = "INV/2099/99999"


class UnderstoodCommon(RemittanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fmt = cls.env["billing.remittance.format"].create(
            {
                "name": "Acme with deductions",
                "partner_id": cls.customer.id,
                "column_reference": "Invoice",
                "column_amount": "Paid",
                "column_deduction": "Deducted",
                "column_reason": "Reason",
            }
        )
        cls.inv_paid = cls._invoice(200.0)
        cls.inv_small = cls._invoice(100.0)
        cls.other_currency = cls.setup_other_currency("EUR")
        cls.inv_usd = cls._invoice(500.0, currency_id=cls.other_currency.id)
        cls.inv_po1 = cls._invoice(80.0, ref="PO-4711")
        cls.inv_po2 = cls._invoice(90.0, ref="PO-4711")

    def _csv(self, rows):
        return ("Invoice,Paid,Deducted,Reason\n" + "".join(f"{row}\n" for row in rows)).encode()

    def _advice(self, rows, **vals):
        return self._import(self._csv(rows), fmt=self.fmt, **vals)


@tagged("post_install", "-at_install")
class TestRemittanceUnderstood(UnderstoodCommon):
    def test_each_line_is_understood_right_after_import(self):
        self._pay(self.inv_paid, 200.0)
        remittance = self._advice(
            [
                f"{self.inv1.name},1200.00,,",
                f"{self.inv3.name},410.00,40.00,DAMAGED",
                f"{UNKNOWN},50.00,,",
                f"{self.inv_other.name},700.00,,",
                f"{self.inv_paid.name},200.00,,",
                f"{self.inv_small.name},150.00,,",
                f"{self.inv_usd.name},500.00,,",
                "PO-4711,80.00,,",
            ],
            reference="REMIT-7731",
        )
        self.assertEqual(remittance.state, "new", "nothing was matched: the lines are understood at import")
        lines = remittance.line_ids
        self.assertEqual(
            lines.mapped("understood_state"),
            ["found", "deduction", "not_found", "not_found", "paid", "over_open", "currency", "several"],
        )
        self.assertEqual(
            lines.mapped("understood_move_id"),
            self.inv1 | self.inv3 | self.inv_paid | self.inv_small | self.inv_usd,
            "the invoices found, in the lines' order; none for the unknown, other customer's and ambiguous ones",
        )
        self.assertEqual(lines[0].understood_amount_open, 1200.0)
        self.assertEqual(lines[6].understood_currency_id, self.other_currency)
        notes = lines.mapped("understood_note")
        self.assertIn(f"{self.inv1.name}, open", notes[0])
        self.assertIn("pays it in full", notes[0])
        self.assertIn("deducts", notes[1])
        self.assertIn("reason code 'DAMAGED'", notes[1])
        self.assertEqual(notes[2], f"Not found for this customer: no invoice of Acme Retail is numbered {UNKNOWN}.")
        self.assertEqual(notes[4], f"{self.inv_paid.name} is paid already: nothing is open on it.")
        self.assertIn("open for", notes[5])
        self.assertIn("only", notes[5])
        self.assertEqual(notes[6], f"{self.inv_usd.name} is in EUR, the advice in {self.company.currency_id.name}.")
        self.assertIn(self.inv_po1.name, notes[7])
        self.assertIn(self.inv_po2.name, notes[7])
        self.assertEqual(
            lines[7].understood_candidates, ", ".join(sorted((self.inv_po1 | self.inv_po2).mapped("name")))
        )
        self.assertEqual((remittance.understood_count, remittance.not_understood_count), (2, 6))

    def test_another_customers_invoice_reads_as_not_found_and_leaks_nothing(self):
        remittance = self._advice([f"{self.inv_other.name},700.00,,", f"{UNKNOWN},700.00,,"])
        other, unknown = remittance.line_ids
        self.assertEqual((other.understood_state, other.understood_match), ("not_found", "not_found"))
        self.assertFalse(other.understood_move_id)
        self.assertFalse(other.understood_candidates)
        self.assertFalse(other.understood_amount_open)
        self.assertEqual(
            other.understood_note.replace(self.inv_other.name, "X"),
            unknown.understood_note.replace(UNKNOWN, "X"),
            "another customer's invoice reads exactly as a number nobody has",
        )
        self.assertNotIn("Globex", other.understood_note)
        self.assertNotIn("700", other.understood_note)

    def test_a_typo_is_understood_and_said(self):
        remittance = self._advice([f"{self._typo(self.inv2)},300.00,,"])
        line = remittance.line_ids
        self.assertEqual((line.understood_state, line.understood_match), ("found", "typo"))
        self.assertEqual(line.understood_move_id, self.inv2)
        self.assertIn("one typo", line.understood_note)

    def test_understood_again_when_the_invoice_gets_paid(self):
        remittance = self._advice([f"{self.inv2.name},300.00,,", f"{self.inv3.name},450.00,,"])
        first, second = remittance.line_ids
        self.assertEqual(remittance.line_ids.mapped("understood_state"), ["found", "found"])
        self._pay(self.inv2, 100.0)
        self.assertEqual(first.understood_state, "over_open", "300 on an invoice now open for 200")
        self.assertIn("open for", first.understood_note)
        self._pay(self.inv2, 200.0)
        self._pay(self.inv3, 450.0)
        self.assertEqual(remittance.line_ids.mapped("understood_state"), ["paid", "paid"])
        self.assertEqual((remittance.understood_count, remittance.not_understood_count), (0, 2))
        self.assertEqual(second.understood_move_id, self.inv3, "still the invoice the line names")

    def test_understood_again_when_the_invoice_it_names_is_posted(self):
        remittance = self._advice(["PO-9001,250.00,,"])
        line = remittance.line_ids
        self.assertEqual(line.understood_state, "not_found")
        invoice = self._invoice(250.0, ref="PO-9001", post=False)
        self.assertEqual(line.understood_state, "not_found", "a draft is no invoice of the customer yet")
        invoice.action_post()
        self.assertEqual((line.understood_state, line.understood_move_id), ("found", invoice))
        self.assertEqual(remittance.understood_count, 1)

    def test_understood_again_when_the_line_or_its_customer_changes(self):
        remittance = self._advice([f"{UNKNOWN},300.00,,"])
        line = remittance.line_ids.with_user(self.specialist)
        self.assertEqual(line.understood_state, "not_found")
        line.reference = self.inv2.name
        self.assertEqual((line.understood_state, line.understood_move_id), ("found", self.inv2))
        remittance.with_user(self.specialist).partner_id = self.other_customer
        self.assertEqual((line.understood_state, line.understood_move_id.id), ("not_found", False))

    def test_the_advice_it_paid_stays_understood(self):
        remittance = self._advice([f"{self.inv2.name},300.00,,"])
        self._payment(300.0)
        remittance.with_user(self.specialist).action_apply()
        self.assertEqual(remittance.state, "applied")
        line = remittance.line_ids
        self.assertEqual(line.understood_state, "found", "paid by this advice, not 'already paid'")
        self.assertIn("paid by this advice", line.understood_note)

    def test_read_in_bulk_same_queries_for_5_and_50_lines(self):
        references = [self.inv1.name, self.inv2.name, self._typo(self.inv3), self.inv_other.name, UNKNOWN]

        def queries(count):
            """The queries of importing an advice of ``count`` lines and reading what each was understood as."""
            advice = Advice([AdviceLine(references[i % 5], 10.0 + i) for i in range(count)])
            Remittance = self.Remittance.with_user(self.specialist)
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            remittance = Remittance._billing_import(
                self.customer, self.company, advice, "manual", reference=f"BULK-{count}"
            )
            self.env.flush_all()
            remittance.line_ids.mapped("understood_note")
            remittance.line_ids.mapped("understood_amount_open")
            spent = self.env.cr.sql_log_count - start
            understood = [i for i in range(count) if i % 5 in (0, 1, 2)]
            self.assertEqual(remittance.understood_count, len(understood))
            self.assertEqual(remittance.not_understood_count, count - len(understood))
            return spent

        queries(3)  # the first import of the test warms the caches (sequences, the company's settings)
        few, many = queries(5), queries(50)
        self.assertEqual(few, many, f"5 lines: {few} queries, 50 lines: {many}")
        self.assertLess(many, 80)


@tagged("post_install", "-at_install")
class TestEmailedAdvicesAreUnderstood(EmailedAdviceCommon):
    def test_an_emailed_body_is_understood_when_received(self):
        advice = self._receive(f"{self.inv2.name} 300.00\n{self.inv_other.name} 700.00\n")
        self.assertEqual(advice.line_ids.mapped("understood_state"), ["found", "not_found"])
        self.assertEqual(advice.line_ids[0].understood_move_id, self.inv2)
        self.assertNotIn("Globex", advice.line_ids[1].understood_note)
        self.assertEqual((advice.understood_count, advice.not_understood_count), (1, 1))

    def test_an_emailed_file_is_understood_when_read(self):
        advice = self._receive("See attached.", csv=f"ref,amount\n{self.inv4.name},750.00\n{UNKNOWN},5.00\n".encode())
        self.assertEqual((advice.state, advice.understood_count, advice.not_understood_count), ("reading", 0, 0))
        self.Remittance._cron_read_files()
        self.assertEqual(advice.state, "new")
        self.assertEqual(advice.line_ids.mapped("understood_state"), ["found", "not_found"])
        self.assertEqual((advice.understood_count, advice.not_understood_count), (1, 1))


@tagged("post_install", "-at_install")
class TestShortPaymentReasons(UnderstoodCommon):
    def test_a_deduction_says_so_in_the_proposals_reasons(self):
        remittance = self._advice(
            [f"{self.inv2.name},300.00,,", f"{self.inv3.name},450.00,,", f"{self.inv1.name},1160.00,40.00,DAMAGED"],
            reference="REMIT-7731",
        )
        payment = self._payment(1910.0)
        self.assertEqual(remittance.payment_id, payment)
        proposal = remittance._billing_proposal(payment)
        reasons = proposal.explain(self.env._)
        self.assertIn("short by 40.00: deduction 'DAMAGED' on line 3 of advice REMIT-7731", reasons)
        self.assertIn(self.inv1.name, reasons)
        self.assertFalse(proposal.conflict, "the short payment is explained; it holds nothing by itself")

    def test_a_line_paying_less_than_open_says_so_and_the_review_row_shows_it(self):
        remittance = self._advice([f"{self.inv1.name},1100.00,,"], reference="REMIT-7732")
        self.company.billing_match_threshold = 99  # so that the run leaves it for a person
        payment = self._payment(1100.0)
        row = self.env["billing.match.review"].with_user(self.specialist)._refresh(self.company, [payment])
        self.assertEqual(row.remittance_id, remittance)
        self.assertIn("short by 100.00: line 1 of advice REMIT-7732 pays", row.reasons)
        self.assertIn("with no deduction", row.reasons)

    def test_an_emailed_advice_with_a_deduction_still_only_proposes(self):
        remittance = self._advice([f"{self.inv1.name},1160.00,40.00,DAMAGED"], reference="REMIT-7733")
        remittance.sudo().write({"origin": "email", "origin_user_id": False, "email_from": "x@example.com"})
        payment = self._payment(1160.0)
        proposal = remittance._billing_proposal(payment)
        self.assertTrue(proposal.conflict, "outside evidence proposes, never decides alone")
        self.assertIn("short by 40.00: deduction 'DAMAGED' on line 1", proposal.explain(self.env._))


@tagged("post_install", "-at_install")
class TestUnderstoodIsTheApplications(UnderstoodCommon):
    def test_a_client_cannot_write_what_a_line_was_understood_as(self):
        remittance = self._advice([f"{UNKNOWN},300.00,,"])
        line = remittance.line_ids.with_user(self.specialist)
        for vals in (
            {"understood_move_id": self.inv_other.id},
            {"understood_state": "found"},
            {"understood_match": "exact"},
            {"understood_candidates": "x"},
            {"understood": True},
        ):
            with self.assertRaises(AccessError):
                line.write(vals)
        created = (
            self.env["billing.remittance.line"]
            .with_user(self.specialist)
            .with_context(default_understood_move_id=self.inv_other.id, default_understood_state="found")
            .create({"remittance_id": remittance.id, "reference": UNKNOWN, "amount_paid": 1.0})
        )
        self.assertEqual((created.understood_state, created.understood_move_id.id), ("not_found", False))

    def test_the_invoice_link_for_another_company_and_other_users(self):
        remittance = self._advice([f"{self.inv2.name},300.00,,"])
        line = remittance.line_ids
        action = line.with_user(self.specialist).action_open_invoice()
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", self.inv2.id))
        other_company = self.setup_other_company(name="Understood Other Co")["company"]
        outsider = new_test_user(
            self.env,
            login="bs_understood_outsider",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        for user in (outsider, self.portal_user, self.internal_user):
            with self.assertRaises(AccessError):
                line.with_user(user).action_open_invoice()


@tagged("post_install", "-at_install")
class TestUnderstoodOverJsonRpc(UnderstoodCommon, HttpCase):
    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def test_understood_fields_are_readonly_over_json_rpc(self):
        remittance = self._advice([f"{UNKNOWN},300.00,,"])
        line = remittance.line_ids
        self.authenticate(self.specialist.login, self.specialist.login)
        read = self._call("billing.remittance.line", "read", [line.ids, ["understood_state", "understood_note"]])
        self.assertEqual(read[0]["understood_state"], "not_found")
        for vals in ({"understood_move_id": self.inv_other.id}, {"understood_state": "found"}):
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self._call("billing.remittance.line", "write", [line.ids, vals])
        self.authenticate(self.portal_user.login, self.portal_user.login)
        for method, args in (("read", [line.ids, ["understood_note"]]), ("action_open_invoice", [line.ids])):
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self._call("billing.remittance.line", method, args)
        self.assertEqual((line.understood_state, line.understood_move_id.id), ("not_found", False))


@tagged("post_install", "-at_install")
class TestRemittanceLinesTour(ScreenshotTourMixin, UnderstoodCommon, HttpCase):
    def test_import_an_advice_and_see_each_line_understood(self):
        self._pay(self.inv_paid, 200.0)
        tags = {
            self.inv1: "T-FULL",
            self.inv3: "T-DEDUCTION",
            self.inv_other: "T-OTHER",
            self.inv_paid: "T-PAID",
            self.inv_small: "T-OVER",
            self.inv_usd: "T-CURRENCY",
        }
        for invoice, tag in tags.items():
            invoice.payment_reference = tag
        self.inv1.ref = "PO-2026-0042"  # the invoice found then reads "INV/... (PO-2026-0042)": the column fits it
        self.start_tour(
            "/odoo/action-billing_specialist.billing_remittance_action",
            "billing_specialist_remittance_lines_tour",
            login="bs_specialist",
        )
        remittance = self.Remittance.search([("reference", "=", "REMIT-7731")])
        self.assertEqual(remittance.state, "new", "the tour ran no matching")
        self.assertEqual((remittance.understood_count, remittance.not_understood_count), (2, 5))
