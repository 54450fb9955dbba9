"""Reading remittance files into rows or text: CSV, XLSX (openpyxl, as Odoo's base_import), PDF (Odoo's PDF library).

PDF text comes from ``odoo.tools.pdf`` (PyPDF2/pypdf, which Odoo already requires): no new dependency. Nothing read
is executed or evaluated; formulas in spreadsheets are read as their cached values.
"""

import csv
import io

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__, default_lang="en_US")

MAX_BYTES = 20 * 1024 * 1024  # a remittance file larger than this is refused
KINDS = {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "xlsm": "xlsx", "pdf": "pdf"}


class RemittanceFileError(ValueError):
    pass


def kind_of(filename, content=b""):
    """'csv', 'xlsx' or 'pdf' from the file's name (or its first bytes); None for another kind."""
    extension = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if extension in KINDS:
        return KINDS[extension]
    if content[:5] == b"%PDF-":
        return "pdf"
    if content[:2] == b"PK":
        return "xlsx"
    return None


def _check_size(content):
    if len(content) > MAX_BYTES:
        raise RemittanceFileError(_lt("The file is larger than %(size)s MB.", size=MAX_BYTES // (1024 * 1024)))


def read_csv(content):
    """Rows of a CSV file: UTF-8 (with or without BOM) or Latin-1; the delimiter , ; tab or | guessed."""
    _check_size(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_xlsx(content):
    """Rows of the first sheet of an XLSX workbook (cell values: text, numbers, dates)."""
    _check_size(content)
    try:
        import openpyxl  # optional: only needed for spreadsheets
    except ImportError as error:
        raise RemittanceFileError(_lt("Reading spreadsheets needs the Python package openpyxl.")) from error
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # any unreadable workbook gets one clear message
        raise RemittanceFileError(_lt("The spreadsheet cannot be read.")) from error
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_pdf_text(content):
    """The text of a PDF, page after page (``odoo.tools.pdf``)."""
    _check_size(content)
    from odoo.tools.pdf import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception as error:  # any unreadable PDF gets one clear message
        raise RemittanceFileError(_lt("The PDF cannot be read.")) from error
