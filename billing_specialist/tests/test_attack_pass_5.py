"""Second attack pass on issue 13 (remittance advices, matching that learns): oversized and malformed files through
the import wizard and the e-mail alias, and learning settings out of range. Each test replays the attack through the
entry point a client has and proves it is refused clearly, with nothing written."""

import io
import time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .test_remittance import RemittanceCommon, TestRemittanceMail


@tagged("post_install", "-at_install")
class TestAttackPass5Files(RemittanceCommon):
    def test_csv_cell_past_the_csv_limit_is_refused_clearly(self):
        """A cell of 200,000 characters broke the csv module's limit: a server error instead of a message."""
        content = b"ref,amount\n" + b"A" * 200000 + b",1\n"
        with self.assertRaisesRegex(UserError, "The CSV file cannot be read"):
            self._import(content)
        self.assertEqual(self._count(), 0)

    def test_csv_past_the_row_limit_is_refused_with_nothing_written(self):
        """20,001 lines (a million fit in 20 MB) were all created as remittance lines: unbounded time and memory."""
        content = b"ref,amount\n" + b"".join(b"X%d,1\n" % i for i in range(20001))
        started = time.monotonic()
        with self.assertRaisesRegex(UserError, "more than 20000 rows"):
            self._import(content)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(self._count("billing.remittance.line"), 0)

    def test_wide_csv_is_read_in_bounded_columns(self):
        """10,000 columns: only the first columns are kept, the advice is read as its format says."""
        content = f"ref,amount,{','.join(['x'] * 10000)}\n{self.inv1.name},1200,{','.join(['y'] * 10000)}\n"
        remittance = self._import(content.encode())
        self.assertEqual(remittance.amount_total, 1200.0)

    def test_small_xlsx_claiming_a_million_rows_is_refused_quickly(self):
        """A 5 KB workbook with a cell at row 1,048,576 made the reader produce a million rows."""
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(["ref", "amount"])
        sheet.append([self.inv1.name, 1200])
        sheet.cell(row=1048576, column=1, value=self.inv2.name)
        sheet.cell(row=1048576, column=2, value=300)
        buffer = io.BytesIO()
        workbook.save(buffer)
        started = time.monotonic()
        with self.assertRaisesRegex(UserError, "more than 40000 rows"):
            self._import(buffer.getvalue(), filename="advice.xlsx")
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(self._count(), 0)


@tagged("post_install", "-at_install")
class TestAttackPass5Mail(TestRemittanceMail):
    def test_csv_attachment_breaking_the_reader_is_kept_as_an_error(self):
        """The csv error escaped the gateway's savepoint: the message failed (and was fetched again, forever)."""
        content = b"ref,amount\n" + b"A" * 200000 + b",1\n"
        remittance = self._receive("See attached.", attachment=("advice.csv", content, "octet-stream"))
        self.assertEqual(remittance.state, "reading")  # read by the scheduled action, outside the mail fetch
        self.Remittance._cron_read_files()
        self.assertEqual(remittance.state, "error")
        self.assertIn("The CSV file cannot be read", remittance.error_message)
        self.assertFalse(remittance.line_ids)

    def test_body_too_long_is_refused_not_cut(self):
        """A long body was cut silently: the advice was imported short of its lines (and then matched nothing)."""
        body = "\n".join(f"{self.inv2.name} 0.01" for _i in range(20001))
        remittance = self._receive(body)
        self.assertEqual(remittance.state, "error")
        self.assertIn("too long", remittance.error_message)
        self.assertFalse(remittance.line_ids)

    def test_body_past_the_line_limit_is_refused_not_cut(self):
        """Text past 20,000 lines (a PDF's text) was cut silently at 10,000: refused as a whole now."""
        from ..matching.remittance import Layout, RemittanceParseError, parse_text

        text = "\n".join(f"X{i} 1.00" for i in range(20001))
        with self.assertRaisesRegex(RemittanceParseError, "more than 20000 lines"):
            parse_text(text, Layout())

    def test_html_in_the_body_is_kept_as_text(self):
        """Script in the advice's subject and body is stored as text and escaped where shown."""
        remittance = self._receive(f"<script>alert(1)</script>\n{self.inv2.name} 290.00 10.00 bad <b>x</b>")
        self.assertEqual(remittance.state, "new")
        self.assertEqual(remittance.line_ids.deduction_reason, "bad <b>x</b>")  # text, shown escaped by the views
        self.assertFalse(any("<script" in str(body) for body in remittance.message_ids.mapped("body")))


@tagged("post_install", "-at_install")
class TestAttackPass5Settings(RemittanceCommon):
    def test_learning_days_out_of_range_are_refused(self):
        """A negative wait learned from automatic matches at once; a huge one overflowed every matching run."""
        settings = self.env["res.config.settings"]
        for field in ("billing_learn_after_days", "billing_habit_fade_days"):
            for value in (-1, 10**9):
                with self.subTest(field=field, value=value), self.assertRaises(ValidationError):
                    settings.create({field: value}).execute()
        self.assertEqual(self.company.billing_habit_fade_days, 365)
        self.assertEqual(self.company.billing_learn_after_days, 7)
        self.env["billing.match.habit"]._engine_habits(self.company)  # still reads
