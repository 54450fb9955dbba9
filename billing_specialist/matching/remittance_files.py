"""Reading remittance files into rows or text: CSV, XLSX (openpyxl, as Odoo's base_import), PDF (pypdf/PyPDF2, which
Odoo already requires): no new dependency.

A file comes from outside: it is read in a child process (``file_extract.py``) with a memory and CPU limit and a
wall-clock timeout, and killed when it overruns. What comes back is plain data (JSON): rows of cells, or text. Sizes
are checked before anything is parsed. Budget: any file is read or refused within ``TIMEOUT`` seconds and
``file_extract.MEMORY`` bytes. Nothing read is executed or evaluated; formulas in spreadsheets are read as their
cached values.
"""

import json
import os
import signal
import subprocess
import sys
import time

from odoo.tools.translate import LazyTranslate

from . import file_extract
from .file_extract import MAX_BYTES, MAX_ROWS

_lt = LazyTranslate(__name__, default_lang="en_US")

TIMEOUT = 5.0  # seconds of wall clock for the child; it is killed after them
KINDS = {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "xlsm": "xlsx", "pdf": "pdf"}
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "file_extract.py")


class RemittanceFileError(ValueError):
    """A file refused; ``stats``: the child's peak memory (KiB), CPU and wall-clock seconds, when it answered."""

    stats = None


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


def _messages():
    """The child's refusal codes and what they say to the specialist."""
    return {
        "size": lambda v: _lt("The file is larger than %(size)s MB.", **v),
        "encoding": lambda v: _lt("The file's text encoding cannot be read: save it as UTF-8.", **v),
        "csv": lambda v: _lt("The CSV file cannot be read: %(error)s.", **v),
        "records": lambda v: _lt(
            "The file has more than %(rows)s rows or lines, blank ones included: split it into several advices.", **v
        ),
        "rows": lambda v: _lt("The file has more than %(rows)s rows: split it into several advices.", **v),
        "cell": lambda v: _lt(
            "Row %(row)s has a cell longer than %(chars)s characters: no advice has such a cell.", **v
        ),
        "chars": lambda v: _lt(
            "The file has more than %(chars)s characters of text: split it into several advices.", **v
        ),
        "xlsx": lambda v: _lt("The spreadsheet cannot be read.", **v),
        "openpyxl": lambda v: _lt("Reading spreadsheets needs the Python package openpyxl.", **v),
        "zip_entries": lambda v: _lt(
            "The spreadsheet holds more than %(count)s files: it is no remittance advice.", **v
        ),
        "unzipped": lambda v: _lt("The spreadsheet is larger than %(size)s MB unzipped.", **v),
        "ratio": lambda v: _lt(
            "The spreadsheet's part %(name)s unzips to more than %(ratio)s times its size: it is refused "
            "as a zip bomb.",
            **v,
        ),
        "pdf": lambda v: _lt("The PDF cannot be read.", **v),
        "pages": lambda v: _lt("The PDF has more than %(pages)s pages: split it into several advices.", **v),
        "page_content": lambda v: _lt(
            "Page %(page)s of the PDF holds more than %(size)s KB of content once decompressed: it is refused.", **v
        ),
        "pdf_content": lambda v: _lt(
            "The PDF holds more than %(size)s KB of content once decompressed: split it into several advices.", **v
        ),
        "pdf_filter": lambda v: _lt(
            "The PDF's content is compressed with %(filter)s, which is not read: print the advice to a PDF again.", **v
        ),
        "memory": lambda v: _lt("Reading the file needed more than %(size)s MB of memory: it is refused.", **v),
        "nested": lambda v: _lt("The file is nested too deeply to be read: it is refused.", **v),
        "kind": lambda v: _lt("The file is no CSV, spreadsheet (XLSX) or PDF file.", **v),
        "timeout": lambda v: _lt("Reading the file took more than %(seconds)s seconds: it is refused.", **v),
        "crashed": lambda v: _lt(
            "The file could not be read within the limits (%(seconds)s seconds, %(size)s MB): it is refused.", **v
        ),
    }


def _refusal(code, args=None):
    """The error for the child's refusal ``code``: its message (a lazy translation) with ``args``."""
    messages = _messages()
    values = {
        "seconds": f"{TIMEOUT:g}",
        "size": file_extract.MEMORY // (1024 * 1024),
        "error": "",
        "row": 0,
        "rows": MAX_ROWS,
        "chars": 0,
        "count": 0,
        "name": "",
        "ratio": 0,
        "page": 0,
        "pages": 0,
        "filter": "",
    }
    values.update(
        {key: value for key, value in (args or {}).items() if isinstance(value, (str, int)) and key in values}
    )
    return RemittanceFileError((messages.get(code) or messages["crashed"])(values))


def extract(kind, content, timeout=TIMEOUT, memory=file_extract.MEMORY, cpu_seconds=file_extract.CPU_SECONDS):
    """Read ``content`` (bytes) as ``kind`` in a child process with limits; :return: the child's JSON result
    (``rows`` or ``text``, with ``maxrss`` in KiB and ``cpu`` in seconds) and ``seconds`` (wall clock).

    The child's limits: ``memory`` bytes of address space, ``cpu_seconds`` of CPU, ``timeout`` seconds of wall clock.

    :raise RemittanceFileError: refused (too large, unreadable, over a limit, killed after ``timeout``).
    """
    if len(content) > MAX_BYTES:  # the raw size first: a larger file is not even handed to the child
        raise _refusal("size", {"size": MAX_BYTES // (1024 * 1024)})
    command = [sys.executable, "-B", "-P"]  # -P: the script's folder does not shadow the standard library
    start = time.monotonic()
    process = subprocess.Popen(  # our own script, the file on stdin
        [*command, SCRIPT, kind, str(int(memory)), str(int(cpu_seconds))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,
    )
    try:
        out, _err = process.communicate(content, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise _refusal("timeout", {"seconds": f"{timeout:g}"}) from None
    seconds = time.monotonic() - start
    try:
        result = json.loads(out, object_hook=file_extract.unplain) if out else None
    except (ValueError, RecursionError):
        result = None
    if process.returncode in (-signal.SIGXCPU, -signal.SIGKILL):  # killed by its CPU limit
        raise _refusal("timeout", {"seconds": f"{cpu_seconds:g}"})
    if not isinstance(result, dict) or process.returncode:  # out of memory, crashed
        raise _refusal("crashed", {"size": int(memory) // (1024 * 1024)})
    result["seconds"] = seconds
    if "error" in result:
        error = _refusal(result["error"], result.get("args"))
        error.stats = {key: result.get(key) for key in ("maxrss", "cpu", "seconds")}
        raise error
    return result


def read_csv(content):
    """Rows of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, or Latin-1; the delimiter guessed."""
    return extract("csv", content)["rows"]


def read_xlsx(content):
    """Rows of the first sheet of an XLSX workbook (cell values: text, numbers, dates)."""
    return extract("xlsx", content)["rows"]


def read_pdf_text(content):
    """The text of a PDF, page after page."""
    return extract("pdf", content)["text"]
