"""Headless Debian chromium for the browser tests: offline (every request outside the allowed prefixes is aborted and
counted), console errors and page errors collected."""
from __future__ import annotations

import atexit
import os
import shutil
from contextlib import contextmanager, suppress

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]


def chromium() -> str:
    """Path of Debian's chromium; missing fails under CI=true and skips otherwise."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI (install Debian's chromium package)")
        pytest.skip("chromium not found on PATH: install Debian's chromium to run the browser test")
    return path


class Offline:
    """What a page did: requests it was refused (`blocked`), console/page errors (`errors`) and the messages of
    dialogs it opened (`dialogs`, each dismissed)."""

    def __init__(self, page, allowed: tuple[str, ...]):
        self.page, self.allowed, self.blocked, self.errors, self.dialogs = page, allowed, [], [], []
        page.route("**/*", self._route)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _route(self, route):
        if route.request.url.startswith(self.allowed):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


_launched: list = []        # this test process's (playwright, browser), launched on first use, closed at exit


def _browser():
    """This process's headless chromium, launched once (about 0.6 s a launch) and again if it went away."""
    if not _launched or not _launched[1].is_connected():
        from playwright.sync_api import sync_playwright
        executable = chromium()
        if not _launched:
            atexit.register(_close)
        _close()
        pw = sync_playwright().start()
        _launched[:] = [pw, pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)]
    return _launched[1]


def _close() -> None:
    if _launched:
        pw, browser = _launched
        with suppress(Exception):       # at exit, or after the browser went away
            browser.close()
        with suppress(Exception):
            pw.stop()


@contextmanager
def offline_page(allowed: tuple[str, ...] = ("file:", "data:"), **context_options):
    """A fresh headless chromium page, in a browser context of its own (no cookie, cache or storage of another page),
    that may load only URLs starting with `allowed`."""
    chromium()                          # skips (or fails under CI) without chromium
    context = _browser().new_context(**context_options)
    try:
        yield Offline(context.new_page(), allowed)
    finally:
        context.close()


#: Per chart of a page, the items Vega drew in its data-mark groups (`g.role-mark`: bars, lines, points, areas,
#: rules and text marks; never axes, legends or titles, which an empty chart draws too).
DATA_MARKS = ("() => Array.from(document.querySelectorAll('div.vega-chart'))"
              ".map(d => d.querySelectorAll('svg.marks g.role-mark > *').length)")


def drawn_marks(offline: Offline, timeout: int = 60_000) -> list[int]:
    """Wait until every chart of the open page has drawn its SVG, then count each chart's data marks (DATA_MARKS)."""
    offline.page.wait_for_function(
        "() => Array.from(document.querySelectorAll('div.vega-chart')).every(d => d.querySelector('svg.marks'))",
        timeout=timeout)
    return offline.page.evaluate(DATA_MARKS)
