"""Reading a file from outside (CSV, XLSX, PDF) into plain data, inside a child process with CPU and memory limits.

Run as a script by ``remittance_files.extract``: ``python3 file_extract.py KIND MEMORY CPU_SECONDS`` with the file's
bytes on stdin. It
sets its own limits first (address space, CPU seconds), reads, and writes one JSON object on stdout: ``{"rows":
[...]}`` or ``{"text": "..."}``, or ``{"error": CODE, "args": {...}}``, with ``"maxrss"`` (its peak memory, KiB) and
``"cpu"`` (seconds). It imports nothing of Odoo and returns data only: nothing read is executed or evaluated.

Each reader checks sizes before parsing (the raw size; for a spreadsheet the sizes its zip declares, which bind what
``zipfile`` unzips, and their ratio; for a PDF the decompressed content of each page) and stops at its limits (rows,
columns, characters). The limits of the process are the last guard for what the checks cannot foresee.
"""

import datetime as dt
import io
import json
import sys
import zlib

MAX_BYTES = 20 * 1024 * 1024  # a file larger than this is refused before it is read
MAX_ROWS = 20000  # rows with content of one advice: twice the benchmark's 10,000; more is refused
MAX_RECORDS = 2 * MAX_ROWS  # rows or lines read, blank ones included
MAX_COLUMNS = 100  # cells read per row; columns further right are not read
MAX_CELL_CHARS = 2000  # characters of one cell
MAX_CHARS = 5_000_000  # characters of a whole file's cells or text
MAX_ENTRIES = 1000  # files inside a spreadsheet's zip
MAX_UNZIPPED = 40 * 1024 * 1024  # a spreadsheet that declares more than this unzipped is refused (a zip bomb)
MAX_RATIO = 100  # ... and so is a part larger than RATIO_FROM unzipped that is more than this times its packed size
RATIO_FROM = 1024 * 1024
MAX_PAGES = 200  # pages of a PDF
MAX_PAGE_CONTENT = 512 * 1024  # decompressed content of one PDF page (its streams, forms and text maps)
MAX_PDF_CONTENT = 1536 * 1024  # ... and of all the pages (the text reader takes about 1 s of CPU a MB)
MEMORY = 300 * 1024 * 1024  # the child's address space
CPU_SECONDS = 4  # the child's CPU time


class Refused(Exception):
    def __init__(self, code, **args):
        super().__init__(code)
        self.code, self.args_ = code, args


# ---------------------------------------------------------------------- CSV


def decode_text(content):
    """Text of a CSV: UTF-16 or UTF-8 with their byte-order mark, UTF-8, else Latin-1."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as error:
            raise Refused("encoding") from error
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def read_csv(content):
    """Rows of a CSV file; the delimiter , ; tab or | guessed from its start."""
    import csv

    text = decode_text(content)
    if "\x00" in text:
        raise Refused("encoding")
    sample = text[:4096]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        return bounded(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:  # a cell longer than the limit, a broken quote
        raise Refused("csv", error=str(error)[:200]) from error


# ---------------------------------------------------------------------- rows


def bounded(rows):
    """The rows as lists of plain cells, each cut to ``MAX_COLUMNS`` cells without its empty cells at the end.

    Refused past ``MAX_ROWS`` rows with content or ``MAX_RECORDS`` rows in all, a cell longer than
    ``MAX_CELL_CHARS`` or ``MAX_CHARS`` characters in all. Blank rows stay (as []), so row numbers stay true.
    """
    result, filled, chars = [], 0, 0
    for row in rows:
        if len(result) >= MAX_RECORDS:
            raise Refused("records", rows=MAX_RECORDS)
        cells = [plain(cell) for cell in row[:MAX_COLUMNS]]
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if cells:
            filled += 1
            if filled > MAX_ROWS:
                raise Refused("rows", rows=MAX_ROWS)
            for cell in cells:
                if isinstance(cell, str):
                    if len(cell) > MAX_CELL_CHARS:
                        raise Refused("cell", row=len(result) + 1, chars=MAX_CELL_CHARS)
                    chars += len(cell)
            if chars > MAX_CHARS:
                raise Refused("chars", chars=MAX_CHARS)
        result.append(cells)
    return result


def plain(value):
    """A cell as JSON data: text, number, boolean, None, or a tagged date."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return str(value)


def unplain(value):
    """The reverse of ``plain`` for a JSON object (``json.loads``'s object_hook)."""
    if "datetime" in value:
        return dt.datetime.fromisoformat(value["datetime"])
    if "date" in value:
        return dt.date.fromisoformat(value["date"])
    return value


# ---------------------------------------------------------------------- XLSX


def check_zip(content):
    """Refuse a zip whose declared content is too large, too many files, or packed too densely (a zip bomb).

    ``zipfile`` never unzips more than a part declares (a part that holds more fails its checksum), so the
    declared sizes bound what openpyxl can unzip later, its shared strings included.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise Refused("xlsx") from error
    if len(infos) > MAX_ENTRIES:
        raise Refused("zip_entries", count=MAX_ENTRIES)
    if sum(info.file_size for info in infos) > MAX_UNZIPPED:
        raise Refused("unzipped", size=MAX_UNZIPPED // (1024 * 1024))
    for info in infos:
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Refused("ratio", name=info.filename[:100], ratio=MAX_RATIO)


def read_xlsx(content):
    """Rows of the first sheet of an XLSX workbook (cell values: text, numbers, dates; formulas' cached values)."""
    check_zip(content)  # before openpyxl unzips and parses anything
    try:
        import openpyxl
    except ImportError as error:
        raise Refused("openpyxl") from error
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (MemoryError, RecursionError, Refused):
        raise
    except Exception as error:  # any unreadable workbook gets one clear message
        raise Refused("xlsx") from error
    try:
        # Bounded whatever the sheet's declared dimension: a small file may claim a million rows of 16,384 cells.
        return bounded(workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS))
    except (MemoryError, RecursionError, Refused):
        raise
    except Exception as error:  # a sheet that breaks while read
        raise Refused("xlsx") from error
    finally:
        workbook.close()


# ---------------------------------------------------------------------- PDF


def _decoded_size(stream, cap):
    """The size of a PDF stream once decoded, counted up to ``cap`` + 1 (never decoding more than that)."""
    import base64
    import binascii

    data = stream._data  # the raw (encoded) bytes, as read from the file
    filters = stream.get("/Filter")
    if filters is None:
        filters = []
    elif not isinstance(filters, list):
        filters = [filters]
    for name in [str(item) for item in filters]:
        if name in ("/FlateDecode", "/Fl"):
            decompressor = zlib.decompressobj()
            try:
                data = decompressor.decompress(data, cap + 1)
            except zlib.error as error:
                raise Refused("pdf") from error
        elif name in ("/ASCIIHexDecode", "/AHx"):
            try:
                data = binascii.unhexlify(b"".join(data.split()).rstrip(b">")[: 2 * (cap + 1)].ljust(2, b"0"))
            except (binascii.Error, ValueError) as error:
                raise Refused("pdf") from error
        elif name in ("/ASCII85Decode", "/A85"):
            try:
                data = base64.a85decode(data.strip().removesuffix(b"~>"), ignorechars=b" \t\n\r\x0c\x00")
            except ValueError as error:
                raise Refused("pdf") from error
        else:  # LZW, run length, images' filters...: content a remittance advice never needs
            raise Refused("pdf_filter", filter=name[:40])
        if len(data) > cap:
            return cap + 1
    return len(data)


def _page_streams(page):
    """The streams the text of a page is read from: its contents, its forms (nested), its fonts' text maps."""
    from_page = page.get("/Contents")
    found, seen, resources = [], set(), [page.get("/Resources")]
    contents = from_page.get_object() if from_page is not None else None
    contents = contents if isinstance(contents, list) else [contents] if contents is not None else []
    found.extend(item.get_object() for item in contents)
    while resources:
        res = resources.pop()
        res = res.get_object() if res is not None else None
        if not hasattr(res, "get") or id(res) in seen:
            continue
        seen.add(id(res))
        for group in ("/XObject", "/Font"):
            entries = res.get(group)
            entries = entries.get_object() if entries is not None else None
            for value in (entries or {}).values():
                obj = value.get_object()
                if id(obj) in seen or not hasattr(obj, "get"):
                    continue
                seen.add(id(obj))
                if group == "/XObject" and obj.get("/Subtype") == "/Form":
                    found.append(obj)
                    resources.append(obj.get("/Resources"))
                elif group == "/Font" and obj.get("/ToUnicode") is not None:
                    found.append(obj["/ToUnicode"].get_object())
        if len(found) > 10000:
            raise Refused("pdf_content", size=MAX_PAGE_CONTENT // 1024)
    return [stream for stream in found if hasattr(stream, "_data")]


def _pdf_reader():
    """pypdf's reader, else PyPDF2's (the one Odoo's requirements install)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        from PyPDF2 import PdfReader
    return PdfReader


def read_pdf(content):
    """The text of a PDF, page after page; refused when a page's decompressed content is too large."""
    try:
        reader = _pdf_reader()(io.BytesIO(content), strict=False)
        pages = len(reader.pages)
    except (MemoryError, RecursionError):
        raise
    except Exception as error:  # any unreadable PDF gets one clear message
        raise Refused("pdf") from error
    if pages > MAX_PAGES:
        raise Refused("pages", pages=MAX_PAGES)
    total = 0
    try:
        for number, page in enumerate(reader.pages, start=1):  # every page measured before any text is read
            size = 0
            for stream in _page_streams(page):
                size += _decoded_size(stream, MAX_PAGE_CONTENT - size)
                if size > MAX_PAGE_CONTENT:
                    raise Refused("page_content", page=number, size=MAX_PAGE_CONTENT // 1024)
            total += size
            if total > MAX_PDF_CONTENT:
                raise Refused("pdf_content", size=MAX_PDF_CONTENT // 1024)
        texts, chars = [], 0
        for page in reader.pages:
            text = page.extract_text() or ""
            chars += len(text)
            if chars > MAX_CHARS:
                raise Refused("chars", chars=MAX_CHARS)
            texts.append(text)
    except (MemoryError, RecursionError, Refused):
        raise
    except Exception as error:  # any unreadable PDF gets one clear message
        raise Refused("pdf") from error
    return "\n".join(texts)


# ---------------------------------------------------------------------- the child


def _limit(memory, cpu_seconds):
    """The child's own limits, never above those it inherited (an Odoo worker's, say)."""
    import resource

    def lower(kind, soft, hard):
        _soft, inherited = resource.getrlimit(kind)
        if inherited != resource.RLIM_INFINITY:
            soft, hard = min(soft, inherited), min(hard, inherited)
        resource.setrlimit(kind, (soft, hard))

    lower(resource.RLIMIT_AS, memory, memory)
    lower(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
    lower(resource.RLIMIT_FSIZE, 0, 0)  # it writes no file
    lower(resource.RLIMIT_CORE, 0, 0)


def _peak_memory():
    """The process's peak resident memory in KiB since it started this script (VmHWM: ru_maxrss would count the
    parent's memory before the exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _preload(kind):
    """Load the reader's library before the limits: they bound the reading, not a library's import. A library
    missing is said by the reader itself."""
    import importlib.util

    names = {"xlsx": ("openpyxl",), "pdf": ("pypdf", "PyPDF2")}.get(kind, ())
    for name in names:
        if importlib.util.find_spec(name):
            importlib.import_module(name)
            return name
    return None


def main(kind, memory=MEMORY, cpu_seconds=CPU_SECONDS):
    import logging
    import resource
    import warnings

    _preload(kind)
    _limit(memory, cpu_seconds)
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    sys.setrecursionlimit(500)
    content = b""
    try:
        content = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            raise Refused("size", size=MAX_BYTES // (1024 * 1024))
        if kind == "csv":
            result = {"rows": read_csv(content)}
        elif kind == "xlsx":
            result = {"rows": read_xlsx(content)}
        elif kind == "pdf":
            result = {"text": read_pdf(content)}
        else:
            raise Refused("kind")
    except Refused as error:
        result = {"error": error.code, "args": error.args_}
    except MemoryError:
        result = {"error": "memory", "args": {"size": memory // (1024 * 1024)}}
    except RecursionError:
        result = {"error": "nested", "args": {}}
    del content
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["maxrss"] = _peak_memory() or usage.ru_maxrss
    result["cpu"] = round(usage.ru_utime + usage.ru_stime, 3)
    try:
        sys.stdout.write(json.dumps(result))
    except MemoryError:
        sys.stdout.write(json.dumps({"error": "memory", "args": {"size": memory // (1024 * 1024)}}))
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
