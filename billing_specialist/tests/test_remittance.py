import base64
import io
import time
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools.misc import format_date

from odoo.addons.mail.tests.common import MockEmail

from ..matching.engine import Matcher, MatchPolicy, OpenItem, Source
from ..matching.remittance import (
    Advice,
    AdviceLine,
    Layout,
    RemittanceParseError,
    RemittanceRef,
    parse_amount,
    parse_rows,
    parse_text,
    propose_remittance,
    resolve_reference,
)
from . import hostile_files
from .common import BillingDisputeCommon


def _pdf(lines):
    """A minimal PDF (Helvetica, one page) showing ``lines`` of text, written by hand."""
    return hostile_files.pdf([hostile_files.text_page(lines)], flate=False)


# What the tests count, from the records they create (a database with demo data has some already).
COUNTED = (
    "billing.remittance",
    "billing.remittance.line",
    "billing.remittance.format",
    "ir.attachment",
    "account.partial.reconcile",
)


class RemittanceCommon(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.billing_match_tolerance_amount = 1.0
        cls.inv1 = cls._invoice(1200.0, invoice_date=cls.today - timedelta(days=40))
        cls.inv2 = cls._invoice(300.0, invoice_date=cls.today - timedelta(days=30))
        cls.inv3 = cls._invoice(450.0, invoice_date=cls.today - timedelta(days=20))
        cls.inv_other = cls._invoice(700.0, partner=cls.other_customer)
        cls.Remittance = cls.env["billing.remittance"]
        # What was there before (the demo data's advices, on a database with demo data) is not counted.
        cls.before_ids = {
            model: max(cls.env[model].sudo().search([], order="id desc", limit=1).ids or [0]) for model in COUNTED
        }

    def _import(self, content, filename="advice.csv", partner=None, fmt=None, user=None, **vals):
        """Import a file through the wizard as ``user`` (the specialist); the remittance created."""
        env = self.env(user=user or self.specialist)
        wizard = env["billing.remittance.import"].create(
            {
                "partner_id": (partner or self.customer).id,
                "file": base64.b64encode(content),
                "filename": filename,
                **({"format_id": fmt.id} if fmt else {}),
                **vals,
            }
        )
        action = wizard.action_import()
        return env["billing.remittance"].browse(action["res_id"])

    def _format(self, **vals):
        return self.env["billing.remittance.format"].create({"name": "Acme", "partner_id": self.customer.id, **vals})

    def _typo(self, invoice):
        """The invoice's number with one character mistyped (a letter O for the zero before its last digit)."""
        return invoice.name[:-2] + "O" + invoice.name[-1]

    def _count(self, model="billing.remittance"):
        return self.env[model].sudo().search_count([("id", ">", self.before_ids[model])])


@tagged("post_install", "-at_install")
class TestRemittanceImport(RemittanceCommon):
    def test_csv_by_header_names_with_deduction_reason_and_date(self):
        fmt = self._format(
            column_reference="Document",
            column_amount="Paid",
            column_deduction="Deducted",
            column_reason="Why",
            column_date="Paid On",
        )
        csv = (
            "Paid On,Document,Paid,Deducted,Why\n"
            f"2026-03-02,{self.inv1.name},1160.00,40.00,damaged on delivery\n"
            f"2026-03-03,{self.inv2.name},300.00,,\n"
        )
        remittance = self._import(csv.encode(), fmt=fmt, reference="PAYRUN-7")
        self.assertEqual(remittance.source, "csv")
        self.assertEqual(remittance.state, "new")
        self.assertEqual(remittance.partner_id, self.customer)
        self.assertEqual(remittance.date, date(2026, 3, 3), "the latest date of the file")
        self.assertEqual(remittance.amount_total, 1460.0)
        self.assertEqual(remittance.amount_deducted, 40.0)
        self.assertEqual(remittance.line_ids.mapped("reference"), [self.inv1.name, self.inv2.name])
        self.assertEqual(remittance.line_ids[0].deduction_reason, "damaged on delivery")
        self.assertTrue(remittance.attachment_id, "the source file is kept")
        self.assertEqual(base64.b64decode(remittance.attachment_id.datas), csv.encode())

    def test_positions_without_header_after_skipped_rows(self):
        fmt = self._format(column_reference="3", column_amount="1", has_header=False, skip_rows=2)
        csv = f"Remittance from Acme\n\n1200.00,x,{self.inv1.name}\n450.00,y,{self.inv3.name}\n"
        remittance = self._import(csv.encode(), fmt=fmt)
        self.assertEqual(remittance.line_ids.mapped("amount_paid"), [1200.0, 450.0])
        self.assertEqual(remittance.line_ids.mapped("reference"), [self.inv1.name, self.inv3.name])

    def test_debit_credit_columns_and_decimal_comma(self):
        note = self._invoice(100.0, move_type="out_refund")
        fmt = self._format(
            column_reference="Beleg",
            column_amount="",
            column_debit="Soll",
            column_credit="Haben",
            decimal_comma=True,
            date_formats="%d.%m.%Y",
            column_date="Datum",
        )
        csv = (
            "Datum;Beleg;Soll;Haben\n"
            f"03.03.2026;{self.inv1.name};1.200,00;\n"
            f"03.03.2026;{note.name};;100,00\n"
            f"04.03.2026;{self.inv2.name};299,50;\n"
        )
        remittance = self._import(csv.encode("latin-1"), fmt=fmt)
        self.assertEqual(remittance.line_ids.mapped("amount_paid"), [1200.0, -100.0, 299.5])
        self.assertEqual(remittance.amount_total, 1399.5)
        self.assertEqual(remittance.date, date(2026, 3, 4))

    def test_several_date_formats_and_a_bad_date_names_its_row(self):
        fmt = self._format(
            column_reference="ref", column_amount="amount", column_date="date", date_formats="%d/%m/%Y, %Y-%m-%d"
        )
        csv = f"ref,amount,date\n{self.inv1.name},1200,28/02/2026\n{self.inv2.name},300,2026-03-01\n"
        self.assertEqual(self._import(csv.encode(), fmt=fmt).date, date(2026, 3, 1))
        bad = f"ref,amount,date\n{self.inv3.name},450,March 1st\n"
        with self.assertRaisesRegex(UserError, "row 2: March 1st is not a date"):
            self._import(bad.encode(), fmt=fmt)

    def test_xlsx_with_numbers_and_dates(self):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Invoice", "Amount", "Deduction", "Reason", "Date"])
        sheet.append([self.inv1.name, 1150.0, 50.0, "price difference", date(2026, 4, 1)])
        sheet.append([self.inv3.name, 450, None, None, date(2026, 4, 2)])
        buffer = io.BytesIO()
        book.save(buffer)
        fmt = self._format(
            column_reference="invoice",
            column_amount="amount",
            column_deduction="deduction",
            column_reason="reason",
            column_date="date",
        )
        remittance = self._import(buffer.getvalue(), filename="advice.xlsx", fmt=fmt)
        self.assertEqual(remittance.source, "xlsx")
        self.assertEqual(remittance.line_ids.mapped("amount_paid"), [1150.0, 450.0])
        self.assertEqual(remittance.line_ids.mapped("amount_deduction"), [50.0, 0.0])
        self.assertEqual(remittance.date, date(2026, 4, 2))

    def test_pdf_file_read_with_the_customers_pattern(self):
        fmt = self._format(line_pattern=r"Inv\.\s*(?P<reference>\S+)\s+paid\s+(?P<amount>[\d.,]+)")
        pdf = _pdf(
            [
                "Acme Retail - payment advice",
                f"Inv. {self.inv2.name} paid 300.00",
                f"Inv. {self.inv3.name} paid 450.00",
                "Total 750.00",
            ]
        )
        remittance = self._import(pdf, filename="advice.pdf", fmt=fmt)
        self.assertEqual(remittance.source, "pdf")
        self.assertEqual(remittance.line_ids.mapped("reference"), [self.inv2.name, self.inv3.name])
        self.assertEqual(remittance.amount_total, 750.0)

    def test_same_advice_twice_is_refused_naming_the_first(self):
        csv = f"ref,amount\n{self.inv1.name},1200\n{self.inv2.name},300\n".encode()
        first = self._import(csv, reference="ADV-1", date=self.today)
        reordered = f"ref,amount\n{self.inv2.name},300.00\n{self.inv1.name},1200.00\n".encode()
        with self.assertRaisesRegex(UserError, f"imported already: {first.name} \\(ADV-1\\)"):
            self._import(reordered, date=self.today)
        self.assertEqual(self._count(), 1)
        # Another date is another advice.
        second = self._import(csv, date=self.today - timedelta(days=1))
        self.assertEqual(self._count(), 2)
        with self.assertRaises(UserError) as refused:  # without a reference: no empty "(-)" in the message
            self._import(csv, date=self.today - timedelta(days=1))
        self.assertEqual(
            refused.exception.args[0],
            f"This advice was imported already: {second.name} of {format_date(self.env, second.date)}.",
        )

    def test_bad_rows_are_all_named_and_nothing_is_imported(self):
        csv = (
            "ref,amount\n"
            f"{self.inv1.name},1200\n"
            f"{self.inv2.name},abc\n"
            f"{self.inv3.name},nan\n"
            f"{self.inv3.name},1e300\n"
            f"{self.inv3.name},-5\n"
            ",12\n"
        )
        before = (self._count(), self._count("billing.remittance.line"), self._count("ir.attachment"))
        with self.assertRaises(UserError) as caught:
            self._import(csv.encode())
        message = str(caught.exception)
        for row in (3, 4, 5, 6, 7):
            self.assertIn(f"row {row}:", message)
        self.assertNotIn("row 2:", message)
        self.assertIn("nothing was imported", message)
        self.assertEqual(before, (self._count(), self._count("billing.remittance.line"), self._count("ir.attachment")))

    def test_format_checks_its_pattern_and_date_formats(self):
        with self.assertRaisesRegex(ValidationError, "reference and amount"):
            self._format(line_pattern=r"(?P<ref>\S+)")
        with self.assertRaisesRegex(ValidationError, "not valid"):
            self._format(line_pattern=r"(?P<reference>[")
        with self.assertRaisesRegex(ValidationError, "codes such as"):
            self._format(date_formats="dd.mm.yyyy")

    def test_backtracking_pattern_is_refused_before_it_runs(self):
        """(a+)+$ takes exponential time on "aaa...!": refused when stored, and by the reader before matching."""
        attack = r"(?P<reference>x?)(?P<amount>(a+)+$)"
        for pattern in (
            attack,
            r"(?P<reference>(?#c)(\w+)(?#c)+)(?P<amount>\d)",
            r"(?P<reference>[)]|(?:a{,})+)(?P<amount>\d)",
        ):
            with self.assertRaisesRegex(ValidationError, "catastrophic"), self.env.cr.savepoint():
                self._format(line_pattern=pattern)
        started = time.monotonic()
        with self.assertRaisesRegex(RemittanceParseError, "catastrophic"):
            parse_text("a" * 25 + "!", Layout(line_pattern=attack))
        self.assertLess(time.monotonic() - started, 1.0)
        # Bounded repeats in bounded repeats, a "+" in a class or escaped: no exponential case, accepted.
        self._format(line_pattern=r"(?P<reference>(?:[A-Z]{2}\d{3}){1,4})\s(?P<amount>[\d+]+)(\+)+")

    def test_text_lines_are_matched_on_a_bounded_length(self):
        """A pattern that is slow on long lines (quadratic) reads only the first 500 characters of each line."""
        started = time.monotonic()
        with self.assertRaisesRegex(RemittanceParseError, "no line of the text"):
            parse_text("1" * 200000, Layout(line_pattern=r"(?P<reference>\S+)\s(?P<amount>\d+)x"))
        self.assertLess(time.monotonic() - started, 1.0)

    def test_plain_parsing(self):
        self.assertEqual(parse_amount("1.234,56", decimal_comma=True), 1234.56)
        self.assertEqual(parse_amount("1,234.56"), 1234.56)
        self.assertEqual(parse_amount("(12.00)"), -12.0)
        self.assertEqual(parse_amount("€ 1 234.50"), 1234.5)
        for bad in ("nan", "inf", "1e400", "12..5", "1,2,3.4.5"):
            with self.assertRaises(ValueError, msg=bad):
                parse_amount(bad)
        with self.assertRaises(RemittanceParseError) as caught:
            parse_rows([["ref", "amount"]], Layout(reference="ref", amount="amount"))
        self.assertIn("no line", str(caught.exception))
        with self.assertRaises(RemittanceParseError):
            parse_rows([["ref", "amount"], ["A1", "1"]], Layout(reference="invoice", amount="amount"))


@tagged("post_install", "-at_install")
class TestRemittanceAccess(RemittanceCommon):
    def test_another_companys_customer_and_company_are_refused(self):
        other_company = self.setup_other_company()["company"]
        foreign = self.env["res.partner"].create(
            {"name": "Foreign Co", "is_company": True, "company_id": other_company.id}
        )
        csv = f"ref,amount\n{self.inv1.name},1200\n".encode()
        with self.assertRaises(UserError):
            self._import(csv, partner=foreign)
        Remittance = self.Remittance.with_user(self.specialist)
        advice = Advice([AdviceLine(self.inv1.name, 1200.0)])
        with self.assertRaises(AccessError):
            Remittance._billing_import(self.customer, other_company, advice, "manual")
        self.assertEqual(self._count(), 0)

    def test_only_billing_users_import_and_only_managers_configure(self):
        csv = f"ref,amount\n{self.inv1.name},1200\n".encode()
        with self.assertRaises(AccessError):
            self._import(csv, user=self.internal_user)
        with self.assertRaises(AccessError):
            self.env["billing.remittance.format"].with_user(self.specialist).create({"name": "X"})
        with self.assertRaises(AccessError):
            self.env["billing.remittance.deduction.rule"].with_user(self.specialist).create(
                {"keyword": "x", "reason_id": self.reason_pricing.id}
            )
        self.env["billing.remittance.format"].with_user(self.manager).create({"name": "X"})

    def test_another_companys_remittances_are_not_seen(self):
        other_company = self.setup_other_company()["company"]
        self._import(f"ref,amount\n{self.inv1.name},1200\n".encode())
        hidden = self.Remittance.sudo().create({"company_id": other_company.id, "partner_id": self.other_customer.id})
        seen = self.Remittance.with_user(self.specialist).search([])
        self.assertEqual(len(seen), 1)
        self.assertNotIn(hidden, seen)
        with self.assertRaises(AccessError):
            hidden.with_user(self.specialist).read(["name"])

    def test_client_cannot_set_state_or_payment(self):
        remittance = self._import(f"ref,amount\n{self.inv1.name},1200\n".encode())
        payment = self._payment(5.0, partner=self.other_customer)
        as_specialist = remittance.with_user(self.specialist)
        for vals in ({"state": "applied"}, {"payment_id": payment.id}, {"duplicate_key": "x"}):
            with self.assertRaises(AccessError):
                as_specialist.write(vals)
        with self.assertRaises(AccessError):
            self.Remittance.with_user(self.specialist).create({"partner_id": self.customer.id, "state": "applied"})
        self.assertEqual(remittance.state, "new")
        self.assertFalse(remittance.payment_id)


@tagged("post_install", "-at_install")
class TestRemittanceMatching(RemittanceCommon):
    def _run(self, payments=None, lines=None):
        return (
            self.env["billing.match.run"]
            .with_user(self.specialist)
            ._run_automatic(self.company, payments=payments, statement_lines=lines)
        )

    def test_lump_sum_applied_invoice_by_invoice_with_a_typo_and_a_deduction_opening_a_case(self):
        csv = (
            "ref,amount,deduction,reason\n"
            f"{self.inv1.name},1160.00,40.00,2 units damaged\n"
            f"{self._typo(self.inv2)},300.00,,\n"
            f"{self.inv3.name.split('/', 1)[1]},450.00,,\n"
        )
        fmt = self._format(
            column_reference="ref", column_amount="amount", column_deduction="deduction", column_reason="reason"
        )
        remittance = self._import(csv.encode(), fmt=fmt, reference="RA-123")
        payment = self._payment(1910.0, memo="ACME PAYMENT RUN 77")
        self.assertEqual(remittance.state, "matched", "the payment was posted after the advice: matched at once")
        self.assertEqual(remittance.payment_id, payment)
        run = self._run(payments=payment)
        line = run.line_ids
        self.assertEqual(line.outcome, "applied", line.reasons)
        self.assertEqual(line.remittance_id, remittance)
        self.assertEqual(line.confidence, 92, "one reference with a typo")
        self.assertIn("remittance RA-123 names 3 open invoices", line.reasons)
        self.assertIn(f"names {self.inv2.name} (written {self._typo(self.inv2)}, one typo)", line.reasons)
        self.assertIn(f"names {self.inv3.name} (written {self.inv3.name.split('/', 1)[1]})", line.reasons)
        self.assertEqual((self.inv2.payment_state, self.inv3.payment_state), ("paid", "paid"))
        self.assertEqual(self.inv1.amount_residual, 40.0, "the deducted part stays open, never written off")
        self.assertFalse(line.writeoff_move_id)
        self.assertEqual(remittance.state, "applied")
        self.assertEqual(remittance.line_ids.move_id, self.inv1 | self.inv2 | self.inv3)
        case = remittance.line_ids[0].dispute_id
        self.assertTrue(case)
        self.assertEqual(case.reason_id, self.env.ref("billing_specialist.reason_damaged"))
        self.assertEqual(case.remittance_id, remittance)
        self.assertEqual(case.source_payment_id, payment)
        self.assertEqual(case.line_ids.move_id, self.inv1)
        self.assertEqual(case.amount_disputed, 40.0)
        self.assertFalse(remittance.line_ids[1:].dispute_id)

    def _applied_with_a_deduction(self):
        csv = f"ref,amount,deduction,reason\n{self.inv1.name},1160.00,40.00,damaged\n{self.inv2.name},300.00,,\n"
        fmt = self._format(
            column_reference="ref", column_amount="amount", column_deduction="deduction", column_reason="reason"
        )
        remittance = self._import(csv.encode(), fmt=fmt, reference="RA-UNDO")
        run = self._run(payments=self._payment(1460.0, memo="ACME"))
        self.assertEqual(remittance.state, "applied", run.line_ids.reasons)
        return remittance, run

    def test_undo_takes_back_the_deduction_case_nobody_worked(self):
        remittance, run = self._applied_with_a_deduction()
        case = remittance.line_ids[0].dispute_id
        self.assertEqual(case.state, "new")
        run.with_user(self.specialist).action_undo()
        self.assertEqual(remittance.state, "matched")
        self.assertIn("matching run was undone", remittance.message_ids[0].body, "the advice's chatter tells it")
        self.assertEqual(case.state, "cancelled")
        self.assertFalse(remittance.line_ids.dispute_id)
        self.assertFalse(self.inv1.billing_in_dispute)
        self.assertIn("taken back", case.message_ids[0].body)
        # Applied again: a fresh case for the deduction, not the cancelled one.
        self._run(payments=remittance.payment_id)
        self.assertEqual(remittance.state, "applied")
        again = remittance.line_ids[0].dispute_id
        self.assertTrue(again)
        self.assertNotEqual(again, case)
        self.assertEqual(again.amount_disputed, 40.0)

    def test_undo_leaves_a_worked_deduction_case_open_and_tells_it(self):
        remittance, run = self._applied_with_a_deduction()
        case = remittance.line_ids[0].dispute_id
        case.with_user(self.specialist).action_start()  # a person took it up
        run.with_user(self.specialist).action_undo()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(remittance.line_ids[0].dispute_id, case)
        self.assertIn("taken back", case.message_ids[0].body)

    def test_waiting_remittance_is_matched_by_the_run_when_a_bank_line_arrives(self):
        remittance = self._import(f"ref,amount\n{self.inv2.name},300\n{self.inv3.name},450\n".encode())
        self.assertEqual(remittance.state, "new")
        self.assertEqual(self._run(payments=self.env["account.payment"]).source_count, 0)
        line = self._bank_line(750.0, memo="TRANSFER", partner=self.customer)
        run = self._run(lines=line)
        self.assertEqual(run.line_ids.outcome, "applied", run.line_ids.reasons)
        self.assertEqual(remittance.state, "applied")
        self.assertEqual(remittance.statement_line_id, line)
        self.assertEqual((self.inv2.payment_state, self.inv3.payment_state), ("paid", "paid"))
        # Undo takes it back: the remittance waits to be applied again.
        run.action_undo()
        self.assertEqual(remittance.state, "matched")
        self.assertEqual(self.inv2.payment_state, "not_paid")

    def test_payment_outside_the_date_window_or_amount_is_not_matched(self):
        remittance = self._import(f"ref,amount\n{self.inv2.name},300\n".encode(), date=self.today)
        self._payment(300.0, date=self.today + timedelta(days=11))
        self._payment(310.0)
        self.assertEqual(remittance.state, "new")
        self.company.billing_remittance_date_window = 15
        remittance.with_user(self.specialist).action_match()
        self.assertEqual(remittance.state, "matched")

    def test_review_screen_shows_the_remittance_and_applying_the_row_applies_it(self):
        remittance = self._import(f"ref,amount\n{self.inv1.name},1200\n{self.inv2.name},300\n".encode())
        self.company.billing_match_threshold = 99  # so that the run leaves it for a person
        payment = self._payment(1500.0)
        Review = self.env["billing.match.review"].with_user(self.specialist)
        row = Review._refresh(self.company, [payment])
        self.assertEqual(row.remittance_id, remittance)
        self.assertIn("remittance", row.reasons)
        self.assertEqual(row.allocation_ids.move_id, self.inv1 | self.inv2)
        row.action_apply()
        self.assertEqual(remittance.state, "applied")
        self.assertEqual(
            self.env["billing.match.run.line"].search([("payment_id", "=", payment.id)]).remittance_id, remittance
        )

    def test_another_customers_invoice_is_never_taken(self):
        remittance = self._import(f"ref,amount\n{self.inv_other.name},700\n".encode())
        payment = self._payment(700.0)
        line = self._run(payments=payment).line_ids
        self.assertNotEqual(line.outcome, "applied")
        self.assertEqual(self.inv_other.payment_state, "not_paid")
        self.assertIn(f"names {self.inv_other.name}, an invoice of another customer", line.reasons)
        with self.assertRaisesRegex(UserError, "cannot be applied"):
            remittance.with_user(self.specialist).action_apply()

    def _typo_naming_another_customer(self, other_amount):
        """A reference one typo from inv1's number (a middle digit) that is exactly another customer's invoice PO."""
        digit = "7" if self.inv1.name[-4] != "7" else "8"
        written = self.inv1.name[:-4] + digit + self.inv1.name[-3:]
        other = self._invoice(other_amount, partner=self.other_customer, ref=written)
        return written, other

    def test_typo_on_another_customers_number_taken_when_the_amount_says_which(self):
        written, other = self._typo_naming_another_customer(999.0)
        csv = f"ref,amount,deduction\n{written},1160.00,40.00\n{self.inv2.name},300.00,\n"
        fmt = self._format(column_reference="ref", column_amount="amount", column_deduction="deduction")
        remittance = self._import(csv.encode(), fmt=fmt)
        payment = self._payment(1460.0)
        line = self._run(payments=payment).line_ids
        self.assertEqual((line.outcome, line.confidence), ("applied", 90), line.reasons)
        self.assertIn("another customer's number, but only", line.reasons)
        self.assertEqual((self.inv1.amount_residual, self.inv2.amount_residual), (40.0, 0.0))
        self.assertEqual(other.amount_residual, 999.0, "the other customer's invoice is never touched")
        self.assertEqual(
            remittance.line_ids.filtered(lambda rec: rec.amount_deduction).dispute_id.invoice_ids, self.inv1
        )

    def test_typo_on_another_customers_number_held_when_its_amount_fits_too(self):
        written, other = self._typo_naming_another_customer(1200.0)
        self._import(f"ref,amount\n{written},1200.00\n".encode())
        line = self._run(payments=self._payment(1200.0)).line_ids
        self.assertNotEqual(line.outcome, "applied")
        self.assertIn("an invoice of another customer", line.reasons)
        self.assertEqual((self.inv1.amount_residual, other.amount_residual), (1200.0, 1200.0))

    def _three_invoice_advice(self, reference="RA-SPLIT"):
        """An advice paying inv1, inv2 and inv3 (1,800 in all) with deductions on inv1 (100) and inv2 (50)."""
        csv = (
            "ref,amount,deduction,reason\n"
            f"{self.inv1.name},1100.00,100.00,2 units damaged\n"
            f"{self.inv2.name},250.00,50.00,price difference\n"
            f"{self.inv3.name},450.00,,\n"
        )
        fmt = self._format(
            column_reference="ref", column_amount="amount", column_deduction="deduction", column_reason="reason"
        )
        return self._import(csv.encode(), fmt=fmt, reference=reference)

    def test_deductions_on_two_invoices_applied_exactly_and_undone_exactly(self):
        remittance = self._three_invoice_advice()
        payment = self._payment(1800.0, memo="ACME PAYMENT RUN 78")
        run = self._run(payments=payment)
        line = run.line_ids
        self.assertEqual((line.outcome, line.confidence), ("applied", 98), line.reasons)
        self.assertEqual(line.remittance_id, remittance)
        self.assertIn("2 deductions", line.reasons)
        residuals = [self.inv1.amount_residual, self.inv2.amount_residual, self.inv3.amount_residual]
        self.assertEqual(residuals, [100.0, 50.0, 0.0], "each invoice took exactly its amount paid")
        self.assertEqual((self.inv1.payment_state, self.inv2.payment_state), ("partial", "partial"))
        self.assertTrue(
            payment.move_id.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable").reconciled,
            "the payment is fully applied",
        )
        self.assertFalse(line.writeoff_move_id, "a deduction is never written off")
        self.assertEqual(line.partial_count, len(line.partial_ids))
        self.assertEqual(remittance.state, "applied")
        cases = remittance.line_ids.dispute_id
        self.assertEqual(len(cases), 2)
        self.assertEqual(cases.mapped("amount_disputed"), [100.0, 50.0])
        self.assertEqual(cases.line_ids.move_id, self.inv1 | self.inv2)
        self.assertEqual(cases.mapped("source_payment_id"), payment)
        self.assertEqual(cases[0].reason_id, self.env.ref("billing_specialist.reason_damaged"))
        # Undo takes it back exactly: every invoice open as before, the payment unapplied, the cases cancelled.
        run.with_user(self.specialist).action_undo()
        self.assertEqual(
            [self.inv1.amount_residual, self.inv2.amount_residual, self.inv3.amount_residual], [1200.0, 300.0, 450.0]
        )
        self.assertFalse(line.partial_ids.exists())
        self.assertEqual(payment._billing_available(), 1800.0)
        self.assertEqual(set(cases.mapped("state")), {"cancelled"})
        self.assertEqual(remittance.state, "matched")

    def test_deductions_on_two_invoices_wait_when_the_payment_is_not_the_total(self):
        self._three_invoice_advice()
        payment = self._payment(1799.5)
        line = self._run(payments=payment).line_ids
        self.assertEqual(line.outcome, "proposed", "within the tolerance, but invoices stay open: exact or nothing")
        self.assertIn("short of the remittance, which leaves invoices partly open", line.reasons)
        self.assertEqual(self.inv1.amount_residual, 1200.0)
        self.assertEqual(payment._billing_available(), 1799.5)
        # More than the advice: held too (the rest cannot stay on the payment while invoices take exact parts).
        items = [
            OpenItem(1, 7, "INV/2026/00012", 100.0, date(2026, 1, 1)),
            OpenItem(2, 7, "INV/2026/00013", 100.0, date(2026, 1, 1)),
        ]
        advice = RemittanceRef(
            5, "RA-1", 7, (AdviceLine("INV/2026/00012", 90.0, 10.0), AdviceLine("INV/2026/00013", 95.0, 5.0))
        )
        matcher = Matcher(items, MatchPolicy(tolerance_amount=1.0))
        self.assertTrue(propose_remittance(matcher, Source(9, 185.5, partner_id=7), advice).conflict)
        exact = propose_remittance(matcher, Source(9, 185.0, partner_id=7), advice)
        self.assertEqual((exact.conflict, exact.confidence), (False, 98))
        self.assertEqual([a.amount for a in exact.allocations], [90.0, 95.0])

    def test_several_invoices_in_part_refused_unless_the_payment_is_exactly_theirs(self):
        payment = self._payment(1800.0)
        partials = self._count("account.partial.reconcile")
        for allocations in (
            [(self.inv1.id, 1100.0), (self.inv2.id, 250.0)],  # 450 left unapplied
            [(self.inv1.id, 1100.0), (self.inv2.id, 250.0), (self.inv3.id, 450.0), (self.inv_other.id, 1.0)],
            [(self.inv1.id, 1100.0), (self.inv2.id, 301.0), (self.inv3.id, 399.0)],  # more than inv2 is open for
        ):
            with self.assertRaises(UserError):
                payment.with_user(self.specialist)._billing_apply(allocations)
        with self.assertRaisesRegex(UserError, "take together exactly what is left"):
            payment.with_user(self.specialist)._billing_apply(
                [(self.inv1.id, 1100.0), (self.inv2.id, 250.0)], writeoff=0.0
            )
        self.assertEqual(self._count("account.partial.reconcile"), partials, "nothing written")
        self.assertEqual(self.inv1.amount_residual, 1200.0)

    def test_review_screen_applies_deductions_on_two_invoices_exactly(self):
        remittance = self._three_invoice_advice()
        self.company.billing_match_threshold = 99  # so that the run leaves it for a person
        payment = self._payment(1800.0)
        row = self.env["billing.match.review"].with_user(self.specialist)._refresh(self.company, [payment])
        self.assertEqual(row.remittance_id, remittance)
        self.assertEqual(row.allocation_ids.mapped("amount"), [1100.0, 250.0, 450.0])
        row.action_apply()
        self.assertEqual(
            [self.inv1.amount_residual, self.inv2.amount_residual, self.inv3.amount_residual], [100.0, 50.0, 0.0]
        )
        self.assertEqual(len(remittance.line_ids.dispute_id), 2)
        run = self.env["billing.match.run.line"].search([("payment_id", "=", payment.id)]).run_id
        run.with_user(self.specialist).action_undo()
        self.assertEqual(self.inv2.amount_residual, 300.0)

    def test_apply_button_applies_the_matched_payment(self):
        remittance = self._import(f"ref,amount\n{self.inv3.name},450\n".encode())
        line = remittance.line_ids.with_user(self.specialist)
        with self.assertRaises(AccessError):
            line.write({"move_id": self.inv1.id})
        line.amount_paid = 450.0  # a waiting advice can be corrected
        payment = self._payment(450.0)
        remittance.with_user(self.specialist).action_apply()
        self.assertEqual(remittance.state, "applied")
        for attempt in (
            lambda: line.write({"amount_paid": 1.0}),
            line.unlink,
            lambda: remittance.with_user(self.specialist).write({"reference": "X"}),
        ):
            with self.assertRaisesRegex(UserError, "applied remittance"):
                attempt()
        self.assertEqual(self.inv3.payment_state, "in_payment" if self.inv3.payment_state == "in_payment" else "paid")
        self.assertIn(self.inv3, payment.invoice_ids)

    def test_engine_typo_resolved_among_the_customers_items_only_when_one_fits(self):
        items = [OpenItem(n, n // 10, f"INV/2026/{n:05d}", 100.0 + n, date(2026, 1, 1)) for n in range(1, 400)]
        matcher = Matcher(items)
        # 00312 mistyped: other customers' 00302, 00322... are one typo away too; among customer 31's, only 00312.
        self.assertEqual(resolve_reference(matcher, "INV/2026/003O2", 31), ("typo", matcher.items[312]))
        # Each of customer 30's 00300-00309 is one typo away from 0030X: none is taken.
        self.assertEqual(resolve_reference(matcher, "INV/2026/0030X", 30), (None, None))
        self.assertEqual(resolve_reference(matcher, "2026/317", 31), ("written", matcher.items[317]))

    def test_engine_only_resolves_the_customers_own_items(self):
        items = [
            OpenItem(1, 7, "INV/2026/00012", 100.0, date(2026, 1, 1)),
            OpenItem(2, 8, "INV/2026/00013", 100.0, date(2026, 1, 1)),
        ]
        advice = RemittanceRef(5, "RA-1", 7, (AdviceLine("INV-2026-13", 100.0),))
        proposal = propose_remittance(Matcher(items), Source(9, 100.0, partner_id=7), advice)
        self.assertTrue(proposal.conflict, "one typo from its own INV/2026/00012, but exactly another's 00013")
        self.assertEqual(proposal.allocations, [])
        self.assertIn("an invoice of another customer", proposal.explain())

    def _lump(self, items, rows):
        advice = RemittanceRef(5, "RA-9", 7, tuple(AdviceLine(ref, paid) for ref, paid in rows))
        return propose_remittance(Matcher(items), Source(9, round(sum(p for _r, p in rows), 2), partner_id=7), advice)

    def test_engine_typo_between_look_alikes_decided_by_the_other_lines_and_the_amount(self):
        items = [
            OpenItem(1, 7, "INV/2026/00257", 8203.06, date(2026, 1, 1)),
            OpenItem(2, 7, "INV/2026/00253", 4123.02, date(2026, 1, 1)),
            OpenItem(3, 7, "INV/2026/00335", 3850.52, date(2026, 1, 1)),
        ]
        # "0025" is one typo from both 00257 and 00253: 00257 is named by another line, 00253 is open for 4,123.02.
        rows = [("INV/2026/00335", 3850.52), ("INV/2026/0025", 4123.02), ("INV/2026/00257", 8203.06)]
        proposal = self._lump(items, rows)
        self.assertFalse(proposal.conflict, proposal.explain())
        self.assertEqual(proposal.confidence, 90)
        self.assertEqual(
            sorted((a.item_id, a.amount) for a in proposal.allocations), [(1, 8203.06), (2, 4123.02), (3, 3850.52)]
        )
        self.assertIn("the only one no other line names that is open for the line's amount", proposal.explain())

    def test_engine_typo_between_same_amount_look_alikes_is_held(self):
        items = [
            OpenItem(1, 7, "INV/2026/00257", 8203.06, date(2026, 1, 1)),
            OpenItem(2, 7, "INV/2026/00253", 4123.02, date(2026, 1, 1)),
            OpenItem(4, 7, "INV/2026/00254", 4123.02, date(2026, 1, 1)),
        ]
        proposal = self._lump(items, [("INV/2026/0025", 4123.02), ("INV/2026/00257", 8203.06)])
        self.assertTrue(proposal.conflict, "00253 and 00254 are both one typo away and open for 4,123.02")
        self.assertIn("no open invoice of the customer", proposal.explain())

    def test_engine_reasons_count_one_invoice_and_one_deduction_in_the_singular(self):
        items = [
            OpenItem(1, 7, "INV/2026/00012", 100.0, date(2026, 1, 1)),
            OpenItem(2, 7, "INV/2026/00013", 100.0, date(2026, 1, 1)),
        ]
        one = RemittanceRef(5, "RA-1", 7, (AdviceLine("INV/2026/00012", 60.0, 40.0, "short"),))
        reasons = propose_remittance(Matcher(items), Source(9, 60.0, partner_id=7), one).explain()
        self.assertIn("remittance RA-1 names 1 open invoice of the customer", reasons)
        self.assertIn("a deduction of 40.00: it opens a dispute case", reasons)
        self.assertNotIn("1 deductions", reasons)
        two = RemittanceRef(
            6, "RA-2", 7, (AdviceLine("INV/2026/00012", 90.0, 10.0, "short"), AdviceLine("INV/2026/00013", 100.0))
        )
        reasons = propose_remittance(Matcher(items), Source(9, 190.0, partner_id=7), two).explain()
        self.assertIn("remittance RA-2 names 2 open invoices of the customer", reasons)


@tagged("post_install", "-at_install")
class TestRemittanceMail(RemittanceCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "remit-test.example.com"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.company._billing_ensure_remittance_alias()
        cls.alias = cls.company.billing_remittance_alias_id
        cls.alias.alias_domain_id = cls.alias_domain

    def _receive(self, body, sender=None, attachment=None):
        msg = EmailMessage()
        msg["From"] = sender or f"Alice Payables <{self.customer_contact.email}>"
        msg["To"] = self.alias.alias_full_name
        msg["Subject"] = "Payment advice 0042"
        msg["Message-ID"] = make_msgid(domain="acme.example.com")
        msg.set_content(body)
        if attachment:
            name, content, subtype = attachment
            msg.add_attachment(content, maintype="application", subtype=subtype, filename=name)
        before = self.Remittance.search([]).ids
        self.env["mail.thread"].sudo().message_process(None, msg.as_string())
        return self.Remittance.search([("id", "not in", before)])

    def test_alias_exists_per_company(self):
        self.assertEqual(self.alias.alias_model_id.model, "billing.remittance")
        self.assertIn("remittance", self.alias.alias_name)

    def test_alias_shown_and_renamed_in_settings(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.billing_remittance_alias_id, self.alias, "the settings show the alias")
        settings.billing_remittance_alias_name = "advices"
        settings.execute()
        self.assertEqual(self.alias.alias_name, "advices")
        # A new company gets its own, and a stranger's refusal speaks of remittance advices, not disputes.
        other = self.env["res.company"].create({"name": "Remittance Alias Co"})
        alias = other.billing_remittance_alias_id
        self.assertEqual(alias.alias_model_id.model, "billing.remittance")
        self.assertNotEqual(alias, self.alias)
        self.assertIn("We take remittance advices", alias.alias_bounced_content)
        self.assertIn("We open billing disputes", other.billing_dispute_alias_id.alias_bounced_content)

    def test_body_creates_a_remittance_for_the_senders_customer(self):
        remittance = self._receive(
            f"Hello,\nwe paid:\n{self.inv2.name} 300.00\n{self.inv3.name} 440.00 10.00 short shipped\nRegards"
        )
        self.assertEqual(len(remittance), 1)
        self.assertEqual(remittance.partner_id, self.customer)
        self.assertEqual(remittance.source, "email")
        self.assertEqual(remittance.state, "new")
        self.assertEqual(remittance.amount_total, 740.0)
        self.assertEqual(remittance.line_ids[1].deduction_reason, "short shipped")
        self.assertEqual(remittance.reference, "Payment advice 0042")

    def test_deduction_case_of_an_emailed_advice_names_its_unverified_sender(self):
        remittance = self._receive(f"{self.inv2.name} 300.00\n{self.inv3.name} 440.00 10.00 short shipped\n")
        self.assertIn(f"<{self.customer_contact.email}>", remittance.email_from)
        with self.assertRaises(AccessError):  # written by the gateway only
            remittance.with_user(self.specialist).write({"email_from": "boss@acme.example.com"})
        payment = self._payment(740.0)
        run = self.env["billing.match.run"].with_user(self.specialist)._run_automatic(self.company, payments=payment)
        self.assertEqual(run.line_ids.outcome, "proposed", "an e-mailed advice only proposes")
        self.assertFalse(remittance.line_ids.dispute_id)
        remittance.with_user(self.specialist).action_vouch()
        self.env["billing.match.run"].with_user(self.specialist)._run_automatic(self.company, payments=payment)
        case = remittance.line_ids.dispute_id
        self.assertEqual(case.invoice_ids, self.inv3)
        self.assertIn("came by e-mail from", case.description)
        self.assertIn(self.customer_contact.email, case.description)
        self.assertIn("not verified", case.description)
        self.assertIn(f"{self.specialist.name} vouched for it", case.description)

    def test_csv_attachment(self):
        csv = f"ref,amount\n{self.inv1.name},1200\n".encode()
        remittance = self._receive("See attached.", attachment=("advice.csv", csv, "octet-stream"))
        self.assertEqual((remittance.state, remittance.line_count), ("reading", 0), "read later, not in the fetch")
        self.Remittance._cron_read_files()
        self.assertEqual(remittance.state, "new")
        self.assertEqual(remittance.source, "csv")
        self.assertEqual(remittance.amount_total, 1200.0)
        self.assertEqual(remittance.attachment_id.name, "advice.csv")

    def test_pdf_attachment(self):
        pdf = _pdf(["Remittance advice", f"{self.inv1.name} 1,200.00", f"{self.inv3.name} 450.00"])
        remittance = self._receive("See attached.", attachment=("advice.pdf", pdf, "pdf"))
        self.assertEqual(remittance.state, "reading")
        self.Remittance._cron_read_files()
        self.assertEqual(remittance.source, "pdf")
        self.assertEqual(remittance.line_ids.mapped("reference"), [self.inv1.name, self.inv3.name])
        self.assertEqual(remittance.amount_total, 1650.0)

    def test_unreadable_or_duplicate_advice_is_kept_as_an_error(self):
        body = f"{self.inv2.name} 300.00\n"
        self.assertEqual(self._receive(body).state, "new")
        duplicate = self._receive(body)
        self.assertEqual(duplicate.state, "error")
        self.assertIn("imported already", duplicate.error_message)
        self.assertEqual(self._receive("Hello, nothing here").state, "error")

    def test_stranger_is_refused(self):
        with self.mock_mail_gateway():
            found = self._receive(f"{self.inv2.name} 300.00", sender="Mallory <mallory@evil.example.com>")
        self.assertFalse(found)
        self.assertEqual(self._count(), 0)


@tagged("post_install", "-at_install")
class TestRemittanceCustomerAndFieldsAreGuarded(RemittanceCommon):
    """A remittance advice attacked as a client would call it (the attacker's user, as JSON-RPC's call_kw runs it):
    moved to another customer once matched, applied to another customer's payment, protected fields set by
    ``default_*`` context keys, non-finite or huge line amounts. Each is refused with nothing written."""

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


CATASTROPHIC = r"(?P<reference>\S+) (?P<amount>(\d+)+)$"


@tagged("post_install", "-at_install")
class TestRemittanceLinePatternIsBounded(RemittanceCommon):
    """A format's line pattern that backtracks exponentially is refused when configured and never run on a text."""

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
