"""Reading remittance files into rows or text: CSV, XLSX (openpyxl, as Odoo's base_import), PDF (Odoo's PDF library).

PDF text comes from ``odoo.tools.pdf`` (PyPDF2/pypdf, which Odoo already requires): no new dependency. Nothing read
is executed or evaluated; formulas in spreadsheets are read as their cached values.
"""

import csv
import io
import zipfile

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__, default_lang="en_US")

MAX_BYTES = 20 * 1024 * 1024  # a remittance file larger than this is refused
MAX_ROWS = 20000  # rows (or lines of text) of one advice: twice the benchmark's 10,000; more is refused
MAX_COLUMNS = 100  # cells read per row; columns further right are not read
MAX_PAGES = 200  # pages of a PDF advice
MAX_UNZIPPED = 200 * 1024 * 1024  # a spreadsheet that unzips to more than this is refused (a zip bomb)
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


def _too_many_rows():
    return RemittanceFileError(_lt("The file has more than %(rows)s rows: split it into several advices.",
                                   rows=MAX_ROWS))  # fmt: skip


def _bounded(rows):
    """The rows, each cut to ``MAX_COLUMNS`` cells without its empty cells at the end; refused past ``MAX_ROWS``."""
    result = []
    for row in rows:
        if len(result) >= MAX_ROWS:
            if any(cell not in (None, "") for cell in row):
                raise _too_many_rows()
            continue
        cells = list(row[:MAX_COLUMNS])
        while cells and cells[-1] in (None, ""):
            cells.pop()
        result.append(cells)
    return result


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
    try:
        return _bounded(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:  # a cell longer than the csv module's limit, a broken quote
        raise RemittanceFileError(_lt("The CSV file cannot be read: %(error)s.", error=str(error))) from error


def read_xlsx(content):
    """Rows of the first sheet of an XLSX workbook (cell values: text, numbers, dates)."""
    _check_size(content)
    try:
        import openpyxl  # optional: only needed for spreadsheets
    except ImportError as error:
        raise RemittanceFileError(_lt("Reading spreadsheets needs the Python package openpyxl.")) from error
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:  # the sizes it declares bound what is unzipped
            unzipped = sum(info.file_size for info in archive.infolist())
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # any unreadable workbook gets one clear message
        raise RemittanceFileError(_lt("The spreadsheet cannot be read.")) from error
    try:
        if unzipped > MAX_UNZIPPED:
            raise RemittanceFileError(_lt("The spreadsheet is larger than %(size)s MB unzipped.",
                                          size=MAX_UNZIPPED // (1024 * 1024)))  # fmt: skip
        sheet = workbook.worksheets[0]
        # Bounded whatever the sheet's declared dimension: a small file may claim a million rows of 16,384 cells.
        return _bounded(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
    except RemittanceFileError:
        raise
    except Exception as error:  # a sheet that breaks while read
        raise RemittanceFileError(_lt("The spreadsheet cannot be read.")) from error
    finally:
        workbook.close()


def read_pdf_text(content):
    """The text of a PDF, page after page (``odoo.tools.pdf``)."""
    _check_size(content)
    from odoo.tools.pdf import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        pages = len(reader.pages)
    except Exception as error:  # any unreadable PDF gets one clear message
        raise RemittanceFileError(_lt("The PDF cannot be read.")) from error
    if pages > MAX_PAGES:
        raise RemittanceFileError(_lt("The PDF has more than %(pages)s pages: split it into several advices.",
                                      pages=MAX_PAGES))  # fmt: skip
    try:
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception as error:  # any unreadable PDF gets one clear message
        raise RemittanceFileError(_lt("The PDF cannot be read.")) from error
