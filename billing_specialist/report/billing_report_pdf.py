"""Documents a customer receives, fit to send with the wkhtmltopdf most Linux machines have.

Debian's and Ubuntu's ``wkhtmltopdf`` 0.12.6 is built against an unpatched Qt (``wkhtmltopdf --version`` does not
say "with patched qt"). That build ignores ``--header-html``/``--footer-html`` (the company's logo, name and address
never print), cannot print more than one HTML file into a PDF (a batch fails), and draws the text of web fonts
(Odoo's report fonts are web fonts) as vector outlines, so the text of the PDF cannot be selected, searched or
extracted and one page weighs hundreds of kilobytes.

For the statement of account, the follow-up letters and Odoo's invoice reports, and only where wkhtmltopdf is
unpatched, the layout's header is printed at the top of each document's body and its footer at the end, the text
uses the machine's own fonts (embedded, so extractable), the documents of a batch are printed as one HTML file, the
report's style sheets are written into the page (read from the database: wkhtmltopdf no longer fetches them from the
server's own URL, slow on a busy server and missing where none answers it), and the one second Odoo waits for the
header's script is not waited. With the patched build nothing changes.
"""

import functools
import logging
import os
import re
import subprocess
import tempfile
from copy import deepcopy

import lxml.html

from odoo import SUPERUSER_ID, api, models

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)

# The addon's own reports handled here; Odoo's invoice reports are those marked ``is_invoice_report``.
BILLING_PDF_REPORTS = (
    "billing_specialist.report_billing_statement",
    "billing_specialist.report_billing_followup_letter",
)
# Set on the report's <html> by this module, read back by ``_build_wkhtmltopdf_args`` (never from a client).
MARKER = "data-report-billing-body-header"
# Fonts found on a Linux machine: Qt embeds them (text stays text). Font Awesome's icons keep their font.
SYSTEM_FONTS = (
    ".o_billing_body_layout, .o_billing_body_layout *:not(.fa) {"
    ' font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif !important; }'
    " .o_billing_body_header { margin-bottom: 6mm; }"
    " .o_billing_body_footer { margin-top: 8mm; font-size: 0.85em; }"
)
# A report's style sheets, as the layout links them: read from the database rather than over HTTP.
ASSET_LINK = re.compile(r'<link[^>]*?href="(/web/assets/([^/"]+)/([^/"]+\.css))"[^>]*>')
_ASSET_CSS = {}  # url (with its version hash, so never stale) -> CSS text

# Margins when the header and footer are in the body (mm): the paper format's reserve the dropped header's room.
BODY_MARGIN_TOP = 10
BODY_MARGIN_BOTTOM = 12


@functools.cache
def wkhtmltopdf_drops_headers():
    """True when the installed wkhtmltopdf is built without wkhtmltopdf's patched Qt (headers/footers dropped).

    Read once per process from ``wkhtmltopdf --version`` (the patched build says "with patched qt"), as Odoo reads
    the version at start-up. No wkhtmltopdf at all: False (Odoo then renders HTML or refuses, nothing to adapt).
    """
    try:
        binary = _get_wkhtmltopdf_bin()
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError, TypeError):
        return False
    if "wkhtmltopdf" not in out.lower():
        return False
    dropped = "patched qt" not in out.lower()
    if dropped and not os.environ.get("XDG_RUNTIME_DIR"):
        # Qt warns on every print when run outside a login session (a server run as a service or root); Odoo logs
        # that warning for each document. Qt's own fallback, made explicit: a private directory of this process.
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="odoo-wkhtmltopdf-")
    if dropped:
        _logger.info(
            "%s is built without patched Qt: the billing documents print their header in the body.", out.strip()
        )
    return dropped


def _classes(node):
    return (node.get("class") or "").split()


def _move_header_into_body(root):
    """Each document's header (logo, name, address) at the top of its body, its footer (without the page numbers
    that only the header script fills) at the end. Return how many documents were found."""
    pending_header, last_article, count = None, None, 0
    nodes = root.xpath(
        "//div[contains(concat(' ', normalize-space(@class), ' '), ' header ')"
        " or contains(concat(' ', normalize-space(@class), ' '), ' article ')"
        " or contains(concat(' ', normalize-space(@class), ' '), ' footer ')]"
    )
    for node in nodes:
        classes = _classes(node)
        if "header" in classes:
            pending_header = node
        elif "article" in classes:
            count += 1
            last_article = node
            node.set("class", " ".join([*classes, "o_billing_body_layout"]))
            style = lxml.html.Element("style")
            style.text = SYSTEM_FONTS
            node.insert(0, style)
            if pending_header is not None:
                header = deepcopy(pending_header)
                header.set("class", " ".join(c if c != "header" else "o_billing_body_header" for c in _classes(header)))
                node.insert(1, header)
        elif "footer" in classes and last_article is not None:
            footer = deepcopy(node)
            footer.set("class", " ".join(c if c != "footer" else "o_billing_body_footer" for c in _classes(footer)))
            for numbers in footer.xpath(".//*[span[contains(concat(' ', @class, ' '), ' page ')]]"):
                numbers.getparent().remove(numbers)
            if "".join(footer.itertext()).strip():  # an empty footer would print as a stray rule
                last_article.append(footer)
    for node in nodes:
        if set(_classes(node)) & {"header", "footer"} and node.getparent() is not None:
            node.getparent().remove(node)
    return count


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _billing_header_in_body(self):
        """Whether this report prints its header in the body: a billing document and an unpatched wkhtmltopdf."""
        self.ensure_one()
        is_billing = self.report_name in BILLING_PDF_REPORTS or self.is_invoice_report
        return bool(is_billing and wkhtmltopdf_drops_headers())

    def _prepare_html(self, html, report_model=False):
        if len(self) != 1 or not self._billing_header_in_body():
            return super()._prepare_html(html, report_model=report_model)
        root = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(encoding="utf-8"))
        _move_header_into_body(root)
        root.set("data-report-margin-top", str(BODY_MARGIN_TOP))
        root.set("data-report-margin-bottom", str(BODY_MARGIN_BOTTOM))
        root.set(MARKER, "1")
        html = lxml.html.tostring(root, encoding="utf-8")
        return super()._prepare_html(html, report_model=report_model)

    @api.model
    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        if specific_paperformat_args and specific_paperformat_args.get(MARKER):
            header = footer = None  # printed in the body; the unpatched build would only warn about them
            if len(bodies) > 1:
                bodies = [_one_body(bodies)]
            bodies = [self._billing_inline_styles(body) for body in bodies]
        return super()._run_wkhtmltopdf(
            bodies,
            report_ref=report_ref,
            header=header,
            footer=footer,
            landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )

    @api.model
    def _billing_inline_styles(self, body):
        """``body`` with the layout's style sheets written in, so that wkhtmltopdf asks the server for nothing.

        Over HTTP each print waited for the server that was printing (slow on a busy or single-threaded server) and,
        where no server answered the base URL (installing the demo, a cron, a wrong ``web.base.url``), the
        documents came out unstyled. A sheet that cannot be read here stays a link.
        """

        def inline(match):
            css = self._billing_asset_css(match.group(1), match.group(2), match.group(3))
            return f"<style>{css}</style>" if css is not None else match.group(0)

        return ASSET_LINK.sub(inline, str(body))

    @api.model
    def _billing_asset_css(self, url, unique, filename):
        if url in _ASSET_CSS:
            return _ASSET_CSS[url]
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("public", "=", True),
                    ("url", "=", url),
                    ("res_model", "=", "ir.ui.view"),
                    ("res_id", "=", 0),
                    ("create_uid", "=", SUPERUSER_ID),
                ],
                limit=1,
            )
        )
        if not attachment and not self.env.cr.readonly:
            try:
                with self.env.cr.savepoint():
                    bundle_name, rtl, _type = self.env["ir.asset"]._parse_bundle_name(filename, False)
                    bundle = self.env["ir.qweb"].sudo()._get_asset_bundle(bundle_name, css=True, js=False, rtl=rtl)
                    if bundle.get_version("css") == unique:
                        attachment = bundle.css()
            except Exception:  # the link stays: wkhtmltopdf fetches it, as in Odoo
                _logger.info("Style sheet %s not inlined", url, exc_info=True)
                return None
        if not attachment:
            return None
        css = attachment.raw.decode("utf-8", "replace").replace("</style", "<\\/style")
        if len(_ASSET_CSS) > 16:
            _ASSET_CSS.clear()
        _ASSET_CSS[url] = css
        return css

    @api.model
    def _build_wkhtmltopdf_args(
        self, paperformat_id, landscape, specific_paperformat_args=None, set_viewport_size=False
    ):
        args = super()._build_wkhtmltopdf_args(
            paperformat_id,
            landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )
        if not (specific_paperformat_args and specific_paperformat_args.get(MARKER)):
            return args
        kept, skip = [], 0
        for arg in args:
            if skip:
                skip -= 1
                continue
            if arg in ("--header-spacing", "--javascript-delay"):  # no header to space; no header script to wait for
                skip = 1
                continue
            if arg == "--header-line":
                continue
            kept.append(arg)
        return kept


def _one_body(bodies):
    """The documents of a batch as one HTML file (the unpatched build prints a single file), each on a new page."""
    first = lxml.html.fromstring(str(bodies[0]))
    body = first.find("body")
    for other in bodies[1:]:
        for node in lxml.html.fromstring(str(other)).find("body"):
            if "article" in _classes(node):
                node.set("style", "page-break-before: always; " + (node.get("style") or ""))
            body.append(node)
    return "<!DOCTYPE html>\n" + lxml.html.tostring(first, encoding="unicode")
