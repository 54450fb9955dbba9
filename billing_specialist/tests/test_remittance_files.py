"""Issue 21, classes 7 and 8: amounts in the other decimal convention, and files and e-mails from outside.

Class 7: an amount is read in its format's convention or refused, naming the row and the value; never reinterpreted.
Class 8: any file is read or refused within the budget (``remittance_files.TIMEOUT`` seconds of wall clock, the
child's ``MEMORY`` of address space and ``CPU_SECONDS``), measured on the child process; e-mailed files are read by a
scheduled action, never inside the mail fetch. The hostile files are built here (``hostile_files``).
"""

import io
import logging
import time
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid

import psutil
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, tagged

from ..matching import file_extract
from ..matching.remittance import Layout, RemittanceParseError, parse_amount, parse_rows, parse_text
from ..matching.remittance_files import TIMEOUT, RemittanceFileError, extract
from . import hostile_files, test_remittance
from .test_remittance import RemittanceCommon

_logger = logging.getLogger(__name__)
MIB = 1024 * 1024
BUDGET_MEMORY_KIB = file_extract.MEMORY // 1024  # the child's peak resident memory stays under its address space
WALL_CEILING = 60  # seconds: generous, for a loaded machine; the limits themselves are asserted on the child


def _written(amount, digits, decimal_comma, grouped):
    """``amount`` (a Decimal) written as a person writes it in one convention, with all the currency's decimals."""
    text = f"{abs(amount):,.{digits}f}" if grouped else f"{abs(amount):.{digits}f}"
    if decimal_comma:
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return ("-" if amount < 0 else "") + text


def _amounts(digits):
    return st.integers(min_value=-(10**11), max_value=10**11).map(lambda cents: Decimal(cents).scaleb(-digits))


@tagged("post_install", "-at_install")
class TestAmountConvention(BaseCase):
    """The pure parser: what is written in the format's convention is read exactly; the other convention never."""

    def test_each_convention_read_and_the_other_refused_by_name(self):
        self.assertEqual(parse_amount("1,234.56"), 1234.56)
        self.assertEqual(parse_amount("1.234,56", decimal_comma=True), 1234.56)
        cases = [
            ("1.234,56", False, 2, "other decimal convention"),
            ("1,234.56", True, 2, "other decimal convention"),
            ("0,50", False, 2, "other decimal convention"),
            ("1,23", False, 2, "other decimal convention"),
            ("12,34,567.00", False, 2, "thousands separator out of place"),
            ("1.234", False, 2, "other decimal convention"),  # 1.234 (three decimals) or 1234
            ("1,234", False, 3, "ambiguous"),  # a three-decimal currency: 1234 or 1.234
            ("1.234", True, 3, "ambiguous"),
            ("1200.005", False, 2, "more decimals than the currency's 2"),
            ("12.5", False, 0, "more decimals than the currency's 0"),
            ("١٢٣", False, 2, "not an amount"),  # digits of another script
            ("1e5", False, 2, "not an amount"),
            ("nan", False, 2, "not an amount"),
        ]
        for text, comma, digits, message in cases:
            with self.subTest(text=text, comma=comma, digits=digits), self.assertRaises(ValueError) as caught:
                parse_amount(text, comma, digits)
            self.assertIn(message, str(caught.exception))
            self.assertIn(text, str(caught.exception), "the message names the value")
        self.assertEqual(parse_amount("1,234", False, 2), 1234.0, "1.234 is no amount of a two-decimal currency")
        self.assertEqual(parse_amount("1'234.50", False, 2), 1234.5)
        self.assertEqual(parse_amount("1 234,50-", True, 2), -1234.5)

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        amount=st.integers(0, 3).flatmap(lambda d: st.tuples(st.just(d), _amounts(d))),
        decimal_comma=st.booleans(),
        grouped=st.booleans(),
    )
    def test_property_a_valid_amount_round_trips(self, amount, decimal_comma, grouped):
        """Written in the format's convention with the currency's decimals: read exactly. The one exception is the
        cost of refusing ambiguity: with three decimals, 1 to 999.999 ('12.500') also reads as a whole number in the
        other convention ('12500'), so it is refused as ambiguous."""
        digits, value = amount
        text = _written(value, digits, decimal_comma, grouped)
        if digits == 3 and 1 <= abs(value) < 1000:
            with self.assertRaisesRegex(ValueError, "ambiguous"):
                parse_amount(text, decimal_comma, digits)
            return
        self.assertEqual(parse_amount(text, decimal_comma, digits), float(value), text)

    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        amount=st.integers(0, 3).flatmap(lambda d: st.tuples(st.just(d), _amounts(d))),
        decimal_comma=st.booleans(),
        grouped=st.booleans(),
        shown=st.integers(0, 3),
    )
    def test_property_the_other_convention_is_refused_never_reinterpreted(self, amount, decimal_comma, grouped, shown):
        """Written in the other convention with up to the currency's decimals: refused, or read as the same value
        (a whole number without separators reads the same in both)."""
        digits, value = amount
        shown = min(shown, digits)
        value = value.quantize(Decimal(1).scaleb(-shown))
        text = _written(value, shown, not decimal_comma, grouped)
        try:
            read = parse_amount(text, decimal_comma, digits)
        except ValueError:
            return
        self.assertEqual(read, float(value), f"{text} was read as {read}, not {value}")

    def test_spreadsheet_numbers_with_more_decimals_refused_noise_rounded(self):
        layout = Layout(reference="1", amount="2", has_header=False)
        with self.assertRaises(RemittanceParseError) as caught:
            parse_rows([["INV/1", 12.0], ["INV/2", 1200.005]], layout)
        self.assertEqual(caught.exception.errors[0][0], 2, "the row is named")
        self.assertIn("1200.005", str(caught.exception.errors[0][1]))
        advice = parse_rows([["INV/1", 0.1 + 0.2], ["INV/2", 99.99]], layout)
        self.assertEqual([line.paid for line in advice.lines], [0.3, 99.99], "stored rounded to the currency")

    def test_text_lines_name_their_line(self):
        with self.assertRaises(RemittanceParseError) as caught:
            parse_text("Hello\nINV/001 1.200,00\nINV/002 300.00\n", Layout())
        self.assertEqual(caught.exception.errors[0][0], 2)
        self.assertIn("1.200,00", str(caught.exception.errors[0][1]))


@tagged("post_install", "-at_install")
class TestAmountConventionImport(RemittanceCommon):
    """The same rules through the import wizard, as the specialist: refused as a whole, naming the row."""

    def test_decimal_comma_advice_read_with_a_decimal_point_format_is_refused_naming_the_row(self):
        content = f"ref;amount\n{self.inv2.name};300.00\n{self.inv1.name};1.200,00\n".encode()
        with self.assertRaisesRegex(UserError, r"row 3: 1\.200,00 is written in the other decimal convention"):
            self._import(content)
        self.assertEqual(self._count(), 0)

    def test_decimal_point_advice_read_with_a_decimal_comma_format_is_refused(self):
        fmt = self._format(decimal_comma=True)
        content = f"ref;amount\n{self.inv1.name};1,200.00\n".encode()
        with self.assertRaisesRegex(UserError, r"row 2: 1,200\.00 is written in the other decimal convention"):
            self._import(content, fmt=fmt)
        # The same advice in its own convention is read exactly.
        content = f"ref;amount\n{self.inv1.name};1.200,00\n{self.inv2.name};299,5\n".encode()
        self.assertEqual(self._import(content, fmt=fmt).line_ids.mapped("amount_paid"), [1200.0, 299.5])

    def test_more_decimals_than_the_currency_and_ambiguous_amounts_are_refused(self):
        with self.assertRaisesRegex(UserError, r"row 2: 1200\.005 has more decimals than the currency's 2"):
            self._import(f"ref,amount\n{self.inv1.name},1200.005\n".encode())
        kwd = self.env.ref("base.KWD")
        kwd.sudo().active = True
        with self.assertRaisesRegex(UserError, "row 2: 1,200 is ambiguous"):
            self._import(f'ref,amount\n{self.inv1.name},"1,200"\n'.encode(), currency_id=kwd.id)
        self.assertEqual(self._count(), 0)

    def test_text_in_the_other_convention_is_refused_naming_the_line(self):
        Format = self.env["billing.remittance.format"]
        layout = Format._layout(self.company.currency_id)
        with self.assertRaisesRegex(UserError, r"row 1: 300,00 is written in the other decimal convention"):
            self.Remittance._billing_read(None, None, layout, text=f"{self.inv2.name} 300,00")


@tagged("post_install", "-at_install")
class TestFileBudget(BaseCase):
    """Hostile files read in the child: refused (or read) within the budget, measured on the child."""

    def _refused(self, kind, content, message, **limits):
        started = time.monotonic()
        with self.assertRaises(RemittanceFileError) as caught:
            extract(kind, content, **limits)
        elapsed = time.monotonic() - started
        self.assertRegex(str(caught.exception.args[0]), message)
        self.assertLess(elapsed, WALL_CEILING)
        stats = caught.exception.stats
        if stats:  # the child answered: its own peak memory and CPU
            self.assertLess(stats["maxrss"], BUDGET_MEMORY_KIB)
            self.assertLess(stats["cpu"], file_extract.CPU_SECONDS + 1)
        self._no_child_left()
        return stats

    def _no_child_left(self):
        children = []
        for proc in psutil.Process().children(recursive=True):
            try:
                if "file_extract" in " ".join(proc.cmdline()) and proc.status() != psutil.STATUS_ZOMBIE:
                    children.append(proc)
            except psutil.Error:  # gone meanwhile
                continue
        self.assertFalse(children, "the child is gone, killed or finished")

    def test_pdf_deflate_bomb_refused_by_its_page_content(self):
        bomb = hostile_files.pdf([hostile_files.busy_page(25 * MIB)])
        self.assertLess(len(bomb), 100 * 1024, "a small file: the content is compressed ~1000 to 1")
        self._refused("pdf", bomb, "Page 1 of the PDF holds more than 512 KB of content once decompressed")

    def test_forty_page_pdf_refused_by_its_total_content_and_a_plain_one_read(self):
        heavy = hostile_files.pdf([hostile_files.busy_page(200 * 1024)] * 40)
        self._refused("pdf", heavy, f"more than {file_extract.MAX_PDF_CONTENT // 1024} KB of content once decompressed")
        plain = hostile_files.pdf(
            [hostile_files.text_page([f"INV/{page}/{line} 12.00" for line in range(40)]) for page in range(40)]
        )
        result = extract("pdf", plain)
        self.assertIn("INV/39/39 12.00", result["text"])
        self.assertLess(result["maxrss"], BUDGET_MEMORY_KIB)
        self.assertLess(result["cpu"], file_extract.CPU_SECONDS)

    def test_pdf_filters_that_are_not_read_and_deep_nesting_are_refused(self):
        lzw = hostile_files.pdf([b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01"], flate=False, filter_name=b"/LZWDecode")
        self._refused("pdf", lzw, "compressed with /LZWDecode")
        nested = (
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n"
            + b"[" * 100000
            + (b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
        )
        self._refused("pdf", nested, "PDF cannot be read|nested too deeply|within the limits")

    def test_xlsx_shared_strings_bomb_refused_before_openpyxl(self):
        base = hostile_files.xlsx([["ref", "amount"], ["INV/1", 12.5]])
        bomb = hostile_files.replace_part(base, "xl/sharedStrings.xml", hostile_files.shared_strings_bomb(800))
        self.assertLess(len(bomb), 3 * MIB)
        stats = self._refused("xlsx", bomb, "larger than 40 MB unzipped")
        self.assertLess(stats["cpu"], 1, "refused from the zip's directory, nothing unzipped")
        dense = hostile_files.replace_part(base, "xl/sharedStrings.xml", hostile_files.shared_strings_bomb(30))
        self._refused("xlsx", dense, "sharedStrings.xml unzips to more than 100 times its size")
        laughs = hostile_files.replace_part(base, "xl/sharedStrings.xml", hostile_files.billion_laughs())
        try:  # an XML entity bomb: read (the parser does not expand it) or refused, within the budget
            result = extract("xlsx", laughs)
            self.assertLess(result["maxrss"], BUDGET_MEMORY_KIB)
        except RemittanceFileError as error:
            self.assertTrue(error.args[0])
        self._no_child_left()

    def test_csv_blank_lines_and_odd_encodings(self):
        stats = self._refused("csv", b"\n" * (20 * MIB), "more than 40000 rows or lines, blank ones included")
        self.assertLess(stats["cpu"], 2)
        self._refused("csv", b"\r\n" * (10 * MIB), "more than 40000 rows or lines")
        self._refused("csv", b"ref,amount\n" + b"x" * (20 * MIB), "larger than 20 MB|CSV file cannot be read")
        self._refused("csv", b"ref,amount\nINV\x00/1,12\n", "encoding cannot be read")
        self.assertEqual(extract("csv", "ref;amount\nINV/1;12,00\n".encode("utf-16"))["rows"][1], ["INV/1", "12,00"])
        self._refused("csv", b"\xff\xfe" + b"\x00\xd8" * 10, "encoding cannot be read")

    def test_oversized_file_refused_before_any_child(self):
        started = time.monotonic()
        with self.assertRaisesRegex(RemittanceFileError, "larger than 20 MB"):
            extract("csv", b"a" * (file_extract.MAX_BYTES + 1))
        self.assertLess(time.monotonic() - started, WALL_CEILING)

    def test_memory_limit_enforced_on_the_child(self):
        sheet = hostile_files.xlsx([["ref", "amount"]] + [[f"INV/{i:05d}", 12.5] for i in range(19999)])
        self.assertEqual(len(extract("xlsx", sheet)["rows"]), 20000, "read within the budget")
        self._refused("xlsx", sheet, "100 MB", memory=100 * MIB)

    def test_heavy_sheet_within_the_size_checks_is_killed_at_its_cpu_limit(self):
        """30 MB of distinct numbers (it passes the zip checks): openpyxl needs far more than the CPU limit."""
        base = hostile_files.xlsx([["ref", "amount"]])
        rows = (
            f'<row r="{r}">{"".join(f"<c><v>{(i * 7919 + r * 104729) % 1000003}</v></c>" for i in range(60))}</row>'.encode()
            for r in range(1, 19000)
        )
        head = (
            b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>'
        )
        heavy = hostile_files.replace_part(base, "xl/worksheets/sheet1.xml", [head, *rows, b"</sheetData></worksheet>"])
        started = time.monotonic()
        self._refused("xlsx", heavy, f"took more than (1|{TIMEOUT:g}) seconds", cpu_seconds=1)
        self.assertLess(time.monotonic() - started, WALL_CEILING)

    def test_wall_clock_limit_kills_the_child(self):
        pages = hostile_files.pdf([hostile_files.busy_page(500 * 1024)] * 3)
        self._refused("pdf", pages, "took more than 0.05 seconds", timeout=0.05)  # 3 pages at the caps: ~1 s of CPU


@tagged("post_install", "-at_install")
class TestHostileFilesImport(RemittanceCommon):
    """Through the import wizard, as the specialist: refused with its reason, nothing written."""

    def test_hostile_files_refused_through_the_wizard(self):
        base = hostile_files.xlsx([["ref", "amount"], [self.inv1.name, 1200]])
        files = [
            ("bomb.pdf", hostile_files.pdf([hostile_files.busy_page(25 * MIB)]), "Page 1 of the PDF"),
            ("forty.pdf", hostile_files.pdf([hostile_files.busy_page(200 * 1024)] * 40), "KB of content once"),
            (
                "strings.xlsx",
                hostile_files.replace_part(base, "xl/sharedStrings.xml", hostile_files.shared_strings_bomb(800)),
                "unzipped",
            ),
            ("blank.csv", b"\n" * (20 * MIB), "more than 40000 rows"),
            ("huge.csv", b"ref,amount\n" + b"1" * (file_extract.MAX_BYTES + 1), "larger than 20 MB"),
        ]
        for name, content, message in files:
            started = time.monotonic()
            with self.subTest(name), self.assertRaisesRegex(UserError, message):
                self._import(content, filename=name)
            self.assertLess(time.monotonic() - started, WALL_CEILING)
        self.assertEqual(self._count(), 0)
        self.assertEqual(self._count("billing.remittance.line"), 0)

    def test_forty_page_pdf_with_an_advice_is_read(self):
        pages = [hostile_files.text_page(["Remittance advice", f"{self.inv1.name} 1,200.00"])]
        pages += [hostile_files.text_page([f"Page {page}: terms and conditions"]) for page in range(39)]
        remittance = self._import(hostile_files.pdf(pages), filename="advice.pdf")
        self.assertEqual(remittance.amount_total, 1200.0)


@tagged("post_install", "-at_install")
class TestHostileFilesMail(test_remittance.TestRemittanceMail):
    """The e-mail alias: a raw message with a hostile attachment is fetched at once; the file is read later."""

    def _raw_message(self, name, content, subtype):
        msg = EmailMessage()
        msg["From"] = f"Alice Payables <{self.customer_contact.email}>"
        msg["To"] = self.alias.alias_full_name
        msg["Subject"] = f"Advice {name}"
        msg["Message-ID"] = make_msgid(domain="acme.example.com")
        msg.set_content("See attached.")
        msg.add_attachment(content, maintype="application", subtype=subtype, filename=name)
        return msg.as_string()

    def test_hostile_attachment_fetched_at_once_then_refused_and_a_good_one_read(self):
        bomb = self._raw_message("advice.pdf", hostile_files.pdf([hostile_files.busy_page(25 * MIB)]), "pdf")
        good = self._raw_message("advice.csv", f"ref,amount\n{self.inv1.name},1200.00\n".encode(), "octet-stream")
        before = self.Remittance.search([]).ids
        started = time.monotonic()
        with self.mock_mail_gateway():
            self.env["mail.thread"].sudo().message_process(None, bomb)
            self.env["mail.thread"].sudo().message_process(None, good)
        fetched = time.monotonic() - started
        self.assertLess(fetched, WALL_CEILING)
        _logger.info("Two e-mails (a PDF deflate bomb, a CSV) fetched in %.2f s, nothing read", fetched)
        hostile, plain = self.Remittance.search([("id", "not in", before)], order="id")
        self.assertEqual((hostile.state, hostile.line_count, hostile.attachment_id.name), ("reading", 0, "advice.pdf"))
        self.assertEqual(plain.state, "reading")
        cron = self.env.ref("billing_specialist.ir_cron_billing_remittance_read")
        self.assertTrue(cron.active)
        started = time.monotonic()
        self.Remittance._cron_read_files()
        _logger.info("Both files read or refused by the scheduled action in %.2f s", time.monotonic() - started)
        self.assertEqual(hostile.state, "error")
        self.assertRegex(hostile.error_message, "^Refused: Page 1 of the PDF holds more than 512 KB")
        self.assertEqual(hostile.line_count, 0)
        self.assertEqual((plain.state, plain.amount_total), ("new", 1200.0), "a bad file does not block the others")

    def test_oversized_attachment_not_even_stored(self):
        big = b"ref,amount\n" + b"1" * (file_extract.MAX_BYTES + 1)
        with self.mock_mail_gateway():
            remittance = self._receive("See attached.", attachment=("advice.csv", big, "octet-stream"))
        self.assertEqual(remittance.state, "error")
        self.assertIn("larger than 20 MB", remittance.error_message)
        self.assertFalse(remittance.attachment_id)

    def test_a_specialist_cannot_mark_an_advice_read(self):
        remittance = self._receive("See attached.", attachment=("advice.csv", b"ref,amount\nX,1\n", "octet-stream"))
        with self.assertRaises(AccessError):  # state is the application's
            remittance.with_user(self.specialist).write({"state": "new"})
        self.assertEqual(remittance.state, "reading")

    def test_a_specialist_cannot_write_the_lines_of_a_file_waiting_or_refused(self):
        remittance = self._receive("See attached.", attachment=("advice.csv", b"ref,amount\nX,1\n", "octet-stream"))
        line = {"reference": "INV/2026/00001", "amount_paid": 750.0}
        with self.assertRaisesRegex(UserError, "import the file again"):
            remittance.with_user(self.specialist).write({"line_ids": [Command.create(line)]})
        self.assertFalse(remittance.line_ids)
        remittance.sudo().write({"state": "error", "error_message": "Refused: test"})
        with self.assertRaisesRegex(UserError, "import the file again"):
            remittance.with_user(self.specialist).write({"line_ids": [Command.create(line)]})
        self.assertFalse(remittance.line_ids)


@tagged("post_install", "-at_install")
class TestOversizedFilesImport(RemittanceCommon):
    """Oversized and malformed files through the import wizard: refused clearly with nothing written, or read in bounded
    columns."""

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
class TestMalformedMailAdvices(test_remittance.TestRemittanceMail):
    """Oversized and malformed advices through the e-mail alias: kept as an error or refused whole, never cut; markup
    kept as text."""

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
class TestHostileFilesWithinTheBudget(BaseCase):
    """Files an outsider sends, each read or refused within the budget (5 s, 300 MiB) by the child process."""

    def test_hostile_files_refused_within_the_budget(self):
        mib = 1024 * 1024
        for name, kind, content, message in [
            ("one 19 MB line", "csv", b"INV/1," + b"9" * (19 * mib), "field larger than field limit"),
            ("19 MB of commas on one line", "csv", b"," * (19 * mib), "more than 300 MB of memory"),
            ("a quote never closed", "csv", b'"' + b"a\n" * (9 * mib), "field larger than field limit"),
            ("UTF-16 BOM then lone surrogates", "csv", b"\xff\xfe" + b"\x00\xd8" * mib, "encoding"),
            ("UTF-32 BOM", "csv", b"\xff\xfe\x00\x00" + "INV,1\n".encode("utf-32-le"), "encoding"),
            ("NUL bytes", "csv", b"INV\x00,1\n" * mib, "encoding"),
            ("a zip in the spreadsheet's zip", "xlsx", hostile_files.nested_zip(), "cannot be read"),
        ]:
            with self.subTest(name=name):
                started = time.monotonic()
                with self.assertRaises(RemittanceFileError) as caught:
                    extract(kind, content)
                self.assertLess(time.monotonic() - started, TIMEOUT + 1)
                self.assertIn(message, str(caught.exception))
                stats = caught.exception.stats
                if stats:
                    self.assertLessEqual(stats["maxrss"], 300 * 1024 + 1024, "KiB")
