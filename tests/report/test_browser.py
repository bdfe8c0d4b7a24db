"""Every page type in a real browser: no console error, no ``None``/``nan`` or raw exponent
notation in the visible text, and a WARN in the warning style (amber, never green)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftline.report import Report, Table

_EXPONENT = re.compile(r"\b\d+(?:\.\d+)?e[+-]\d+\b", re.IGNORECASE)
_PYTHON_WORDS = re.compile(r"\b(None|nan|NaN|NaT|inf)\b")
_AMBER = "rgb(255, 251, 235)"
_GREEN = "rgb(240, 253, 244)"
PAGE_NAMES = ["evaluate", "gate", "drift", "estimate", "profile", "quality"]


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, errors


def visible_text(page: Any) -> str:
    """The text a reader sees: the body's rendered text and the charts' labels."""
    svg = page.eval_on_selector_all("svg text", "els => els.map(e => e.textContent).join(' ')")
    return str(page.inner_text("body")) + " " + str(svg)


def check_text(text: str) -> None:
    assert not _PYTHON_WORDS.search(text), _PYTHON_WORDS.search(text)
    assert not _EXPONENT.search(text), _EXPONENT.search(text)


CASES = PAGE_NAMES + [f"{n}.notebook" for n in PAGE_NAMES]


@pytest.mark.parametrize("name", CASES)
def test_page_renders_cleanly(browser: Any, pages: dict[str, Path], name: str) -> None:
    page, errors = _open(browser, pages[name].as_uri())
    try:
        assert errors == []
        assert page.locator("h1").count() == 1
        assert page.locator("script").count() == 0
        check_text(visible_text(page))
    finally:
        page.close()


def _background(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor"))


def test_a_warn_is_amber_never_green(browser: Any, pages: dict[str, Path]) -> None:
    page, _ = _open(browser, pages["gate"].as_uri())
    try:
        callout = page.locator(".callout", has_text="driftline gate: WARN")
        assert callout.count() == 1
        assert "warn" in str(callout.get_attribute("class")).split()
        assert _background(page, ".callout.warn") == _AMBER
        row = page.locator("tr", has_text="p95 latency")
        assert row.get_attribute("class") == "warn"
        cell = row.locator("td").first
        assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == _AMBER
        assert page.locator("tr.ok", has_text="roc_auc").count() == 1
        assert _background(page, "tr.ok td") == _GREEN
    finally:
        page.close()


def test_the_checker_catches_what_it_must(browser: Any, tmp_path: Path) -> None:
    """The text checks are not vacuous: a page with each fault fails them."""
    for bad in ("None", "nan", "5.227e+04", "1e-05"):
        report = Report("faulty")
        report.section("s").add(Table(["value"], [[bad]]))
        page, _ = _open(browser, report.write(tmp_path / "bad.html").as_uri())
        try:
            with pytest.raises(AssertionError):
                check_text(visible_text(page))
        finally:
            page.close()


def test_quickstart_report_in_the_browser(browser: Any, tmp_path: Path) -> None:
    from driftline.quickstart import run_quickstart

    result = run_quickstart(tmp_path / "qs", rows_per_week=150)
    for path in (result.report_path, result.files["gate_report"]):
        page, errors = _open(browser, path.as_uri())
        try:
            assert errors == []
            check_text(visible_text(page))
            verdict = result.facts["gate"]["verdict"]
            if path == result.report_path and verdict == "warn":
                shown = page.locator(".callout", has_text="driftline gate: WARN")
                assert "warn" in str(shown.get_attribute("class")).split()
        finally:
            page.close()


@pytest.fixture
def docs_server() -> Iterator[str]:
    """The monitoring API on a free local port (uvicorn in a thread, SQLite in memory)."""
    import socket

    import uvicorn

    from driftline.server import create_app
    from driftline.store import create_engine_from_url

    app = create_app(engine=create_engine_from_url("sqlite://"), monitor=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_api_docs_work_offline(browser: Any, docs_server: str) -> None:
    """/docs loads with every request outside the server refused, and shows the operations."""
    context = browser.new_context()
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(docs_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{docs_server}/docs")
        page.wait_for_selector(".opblock", timeout=15_000)
        assert page.locator(".opblock").count() >= 10
        assert page.locator(".opblock-summary-path", has_text="/api/v1/me").count() >= 1
        assert outside == [], "the docs page must not need the internet"
        assert errors == []
    finally:
        context.close()
