"""Hostile files built in the tests (nothing downloaded): deflate bombs in PDFs and spreadsheets, blank CSV lines."""

import io
import zipfile
import zlib


def pdf(pages, flate=True, extra_objects=(), filter_name=b""):
    """A PDF whose pages show the content streams ``pages`` (bytes each), Flate-compressed unless ``flate`` is off.

    ``filter_name``: the filter a stream declares when not compressed here (the bytes are kept as they are).
    Objects: 1 catalog, 2 page tree, 3 font, then page and content by pairs; ``extra_objects`` after them.
    """
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", None, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for content in pages:
        number = len(objects) + 1
        kids.append(b"%d 0 R" % number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (number + 1)
        )
        data = zlib.compress(content, 9) if flate else content
        name = b"/FlateDecode" if flate else filter_name
        head = b"<< /Length %d /Filter %s >>" % (len(data), name) if name else b"<< /Length %d >>" % len(data)
        objects.append(head + b"\nstream\n" + data + b"\nendstream")
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    objects.extend(extra_objects)
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def text_page(lines):
    """A page's content stream showing ``lines``."""
    shown = b" T* ".join(b"(" + line.encode().replace(b"(", rb"\(").replace(b")", rb"\)") + b")Tj" for line in lines)
    return b"BT /F1 11 Tf 14 TL 40 800 Td " + shown + b" ET"


def busy_page(size):
    """A page's content stream of about ``size`` bytes of text operators (what made the reader spend minutes)."""
    unit = b"BT /F1 1 Tf 1 0 0 1 10 10 Tm (aaaaaaaaaaaaaaaaaaaa) Tj ET\n"
    return unit * (size // len(unit) + 1)


def xlsx(rows):
    """A real workbook (openpyxl) with ``rows``."""
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def replace_part(content, name, data):
    """The zip ``content`` with its part ``name`` replaced by ``data`` (bytes or an iterable of chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info.filename))
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with target.open(info, "w", force_zip64=True) as part:
            for chunk in [data] if isinstance(data, bytes) else data:
                part.write(chunk)
    return out.getvalue()


def shared_strings_bomb(megabytes):
    """Chunks of a sharedStrings.xml of ``megabytes`` MB: one long string repeated (it packs ~1000 to 1)."""
    yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    chunk = b"<si><t>" + b"a" * 1000 + b"</t></si>"
    for _ in range(megabytes * 1024 * 1024 // len(chunk)):
        yield chunk
    yield b"</sst>"


def billion_laughs():
    """A sharedStrings.xml that expands entities into gigabytes (the XML bomb)."""
    entities = [b'<!ENTITY a0 "aaaaaaaaaa">'] + [
        b'<!ENTITY a%d "' % i + (b"&a%d;" % (i - 1)) * 10 + b'">' for i in range(1, 10)
    ]
    return (
        b'<?xml version="1.0"?><!DOCTYPE sst [' + b"".join(entities) + b"]>"
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&a9;</t></si></sst>'
    )


def nested_zip():
    """A spreadsheet (a zip) whose one part is itself a zip holding 200 MB of blanks."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/inner.zip", inner.getvalue())
    return outer.getvalue()
