"""Screenshots of the screens, taken by the browser tours for the README.

A tour step made by ``screenshot()`` (static/tests/tours/billing_screenshot.js) logs
``billing-screenshot:<name>`` on the browser console. When the environment variable BILLING_SCREENSHOTS names a
folder (tools/screenshots.sh sets it), the tours run in a 1400x900 window whose console handler captures the
viewport into ``<folder>/<name>.png`` and then lets the tour go on. Without the variable nothing is captured and
nothing is written: the steps do nothing.
"""

import base64
import json
import logging
import os
import pathlib
import re
from unittest.mock import patch

from odoo import http
from odoo.tests import common

_logger = logging.getLogger(__name__)

SIGNAL = "billing-screenshot:"
WINDOW = "1400x900"


def screenshot_folder():
    folder = os.environ.get("BILLING_SCREENSHOTS")
    return pathlib.Path(folder).resolve() if folder else None


class ScreenshotBrowser(common.ChromeBrowser):
    """Odoo's headless Chromium, which also captures the page when a tour step asks for it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.screenshot_folder = screenshot_folder()
        # Tells the tour steps (on every page the tour opens) that someone captures: they wait for the capture.
        self._websocket_request(
            "Page.addScriptToEvaluateOnNewDocument", params={"source": "window.billingScreenshots = true;"}
        )

    def _handle_console(self, type, args=None, stackTrace=None, **kw):  # pylint: disable=redefined-builtin
        first = args[0].get("value") if args else None
        if isinstance(first, str) and first.startswith(SIGNAL):
            self._capture(first[len(SIGNAL) :])
        return super()._handle_console(type, args=args, stackTrace=stackTrace, **kw)

    def _capture(self, name):
        """Runs in the websocket thread: ask for the picture, write it when it comes, then release the step."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            _logger.error("Screenshot name %r: use lowercase letters, digits and dashes", name)
            return
        path = self.screenshot_folder / f"{name}.png"

        def write(future):
            try:
                path.write_bytes(base64.b64decode(future.result(timeout=0)["data"]))
                _logger.info("Screenshot %s (%d KB)", path, path.stat().st_size // 1024)
            except Exception:  # a missing picture must not hide the tour's own result
                _logger.exception("Screenshot %s could not be written", path)
            finally:
                self._websocket_send(
                    "Runtime.evaluate", params={"expression": f"window.billingScreenshotTaken = {json.dumps(name)};"}
                )

        future = self._websocket_send(
            "Page.captureScreenshot", params={"format": "png", "captureBeyondViewport": False}, with_future=True
        )
        future.add_done_callback(write)


class ScreenshotTourMixin:
    """For HttpCase classes whose tours have screenshot steps: captures them when BILLING_SCREENSHOTS is set."""

    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        # Read the modules' manifests here, once, before the browser's first requests do it in several threads at
        # the same time: Python 3.11.7's parser can fail when threads compile at once ("AST constructor recursion
        # depth mismatch"), which served the page without its CSS now and then.
        http.root.statics.get("billing_specialist")  # a lazy property, computed on first access
        folder = screenshot_folder()
        if not folder:
            return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)
        folder.mkdir(parents=True, exist_ok=True)
        if self.env.company.name.startswith("company_"):  # the accounting fixtures' name, not for a newcomer's eyes
            self.env.company.name = "Your Company"
        with patch.object(common, "ChromeBrowser", ScreenshotBrowser), patch.object(self, "browser_size", WINDOW):
            return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)
