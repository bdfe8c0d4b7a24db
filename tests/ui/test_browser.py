"""The dashboard in Chromium: sign in, project → model → window, acknowledge an alert, a
viewer is refused, sign out; no console error, no request leaves 127.0.0.1, no script runs
from a name; axe-core finds no serious or critical violation on any page; the keyboard
reaches everything; the timeline of a version zooms and pans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import AXE
from .demo import HOSTILE, MODEL, Demo


@dataclass
class Visit:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def visit(browser: Any, demo: Demo, *, bypass_csp: bool = False) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
    page = context.new_page()
    v = Visit(page)
    page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    page.on("request", lambda r: v.requests.append(r.url))

    def dialog(d: Any) -> None:
        v.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    try:
        yield v
    finally:
        context.close()
    for url in v.requests:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "data"), url
        assert parts.scheme == "data" or parts.hostname == "127.0.0.1", url
    assert v.dialogs == []  # no script ran from a name


def sign_in(v: Visit, demo: Demo, role: str) -> None:
    v.page.goto(demo.url + "/ui/")
    assert "/ui/login" in v.page.url
    v.page.fill("#token", demo.tokens[role])
    v.page.click("form.card button[type=submit]")
    v.page.wait_for_load_state()
    assert v.page.url.endswith(f"/ui/projects/{demo.project}"), v.page.url


def test_editor_journey_project_model_window_acknowledge_sign_out(browser: Any, demo: Demo) -> None:
    with visit(browser, demo) as v:
        page = v.page
        sign_in(v, demo, "editor")
        assert page.locator("h1").inner_text() == "Overview"
        assert MODEL in page.inner_text("main")
        page.click(f"tr:has-text('{MODEL}') a:has-text('version 1')")
        page.wait_for_selector("#timeline[data-ready]")
        assert "What happened" in page.inner_text("main")
        page.click("table a[href*='/windows/']")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith("Window: ")
        assert "Drift per feature" in page.inner_text("main")
        assert page.locator("figure svg").count() >= 1
        page.click("nav >> text=Alerts")
        firing = page.locator("li.alert-item:has(.badge-alert)").first
        alert_id = firing.get_attribute("id")
        firing.locator("textarea").fill("Checking the upstream income feed.")
        firing.locator("button:has-text('Acknowledge')").click()
        page.wait_for_load_state()
        assert "The alert was acknowledged" in page.inner_text("main")
        item = page.locator(f"#{alert_id}")
        text = item.inner_text()
        assert "acknowledged" in text
        assert "Checking the upstream income feed." in text
        assert "editor-token" in text
        page.click("text=Sign out")
        page.wait_for_load_state()
        assert "You are signed out" in page.inner_text("main")
        page.goto(demo.url + f"/ui/projects/{demo.project}")
        assert "/ui/login" in page.url
        assert v.errors == []


def test_viewer_sees_but_cannot_acknowledge(browser: Any, demo: Demo) -> None:
    with visit(browser, demo) as v:
        page = v.page
        sign_in(v, demo, "viewer")
        page.goto(demo.url + f"/ui/projects/{demo.project}/alerts")
        assert page.locator("li.alert-item").count() >= 1
        assert page.locator("button:has-text('Acknowledge')").count() == 0
        assert "cannot" not in page.inner_text("h1")
        assert "can read alerts but not acknowledge" in page.inner_text("main")
        # a forged form post with the viewer's own session and CSRF token is refused
        csrf = page.get_attribute("form.signout input[name=csrf]", "value")
        alert_id = (page.get_attribute("li.alert-item", "id") or "").removeprefix("alert-")
        r = page.request.post(
            demo.url + f"/ui/projects/{demo.project}/alerts/{alert_id}/acknowledge",
            form={"csrf": csrf or "", "comment": "forged"},
            max_redirects=0,
        )
        assert r.status == 403
        assert "needs 'editor'" in r.text().replace("&#39;", "'")
        # another project's token sees nothing of this project
        page.context.clear_cookies()
        page.goto(demo.url + "/ui/login")
        page.fill("#token", demo.other_token)
        page.click("form.card button[type=submit]")
        page.goto(demo.url + f"/ui/projects/{demo.project}")
        assert page.locator("h1").inner_text() == "Not found"
        assert v.errors == [] or all("404" in e for e in v.errors)


def test_names_render_as_text(browser: Any, demo: Demo) -> None:
    with visit(browser, demo) as v:
        sign_in(v, demo, "viewer")
        assert HOSTILE in v.page.inner_text("main")  # the feature name, shown as text
        v.page.goto(demo.url + f"/ui/projects/{demo.project}/models/hostile/versions/1")
        v.page.wait_for_selector("#timeline[data-ready]")
        v.page.click("table a[href*='/windows/']")
        assert HOSTILE in v.page.inner_text("main")
        assert v.page.locator("script:not([src]):not([type='application/json'])").count() == 0
        v.page.goto(demo.url + f"/ui/projects/{demo.project}/alerts")
        assert HOSTILE in v.page.inner_text("main")
        assert v.errors == []


def test_timeline_zooms_and_pans_with_buttons_and_keys(browser: Any, demo: Demo) -> None:
    with visit(browser, demo) as v:
        page = v.page
        sign_in(v, demo, "viewer")
        page.goto(demo.url + demo.version_path)
        page.wait_for_selector("#timeline[data-ready]")

        def shown() -> int:
            text = page.inner_text("#timeline-range")
            found = re.search(r"\(([\d,]+) of ([\d,]+) windows\)", text)
            assert found is not None, text
            return int(found.group(1).replace(",", ""))

        everything = shown()
        page.click("button[data-act=in]")
        zoomed = shown()
        assert zoomed < everything
        first = page.inner_text("#timeline-range")
        page.click("button[data-act=earlier]")
        assert page.inner_text("#timeline-range") != first
        page.focus("#timeline")
        page.keyboard.press("Home")
        assert shown() == everything
        page.keyboard.press("+")
        assert shown() < everything
        page.keyboard.press("ArrowLeft")
        assert "UTC" in page.inner_text("#timeline-readout")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/windows/\d+$"))
        assert v.errors == []


def test_keyboard_reaches_the_navigation_and_the_forms(browser: Any, demo: Demo) -> None:
    with visit(browser, demo) as v:
        page = v.page
        sign_in(v, demo, "editor")
        page.goto(demo.url + f"/ui/projects/{demo.project}/alerts")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        reached = []
        for _ in range(40):
            page.keyboard.press("Tab")
            reached.append(
                page.evaluate(
                    "(document.activeElement.textContent || document.activeElement.name || '')"
                    ".trim()"
                )
            )
        for label in ("Sign out", "Overview", "Alerts", "Audit log", "Approvals", "Filter"):
            assert label in reached, (label, reached)
        assert "Acknowledge" in reached or "Resolve" in reached
        page.keyboard.press("Shift+Tab")  # and back


def _pages(demo: Demo, page: Any) -> list[str]:
    base = f"/ui/projects/{demo.project}"
    page.goto(demo.url + demo.version_path)
    window = page.get_attribute("table a[href*='/windows/']", "href")
    return [
        base,
        demo.version_path,
        str(window),
        base + "/alerts",
        base + "/gates",
        base + "/model-cards",
        base + "/lineage",
        base + "/audit",
        base + "/approvals",
    ]


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
        " target: v.nodes[0] && v.nodes[0].target}))"
    )
    return [r for r in result if r["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_violation_on_any_page(browser: Any, demo: Demo) -> None:
    with visit(browser, demo, bypass_csp=True) as v:  # CSP off only to inject axe
        page = v.page
        page.goto(demo.url + "/ui/login")
        assert _axe(page) == [], "login"
        sign_in(v, demo, "editor")
        for path in _pages(demo, page):
            page.goto(demo.url + path)
            page.wait_for_load_state()
            if "/versions/" in path and "/windows/" not in path:
                page.wait_for_selector("#timeline[data-ready]")
            assert _axe(page) == [], path


def test_every_status_has_words_not_only_colour(browser: Any, demo: Demo) -> None:
    with visit(browser, demo) as v:
        page = v.page
        sign_in(v, demo, "viewer")
        for path in _pages(demo, page)[:4]:
            page.goto(demo.url + path)
            badges = page.eval_on_selector_all(".badge", "els => els.map(e => e.innerText)")
            assert badges
            for text in badges:
                assert re.search(r"[a-z]{2,}", text), text  # a word, beyond the icon


@pytest.mark.parametrize("role", ["viewer"])
def test_governance_pages_show_the_log_and_lineage_or_what_is_missing(
    browser: Any, demo: Demo, role: str
) -> None:
    with visit(browser, demo) as v:
        sign_in(v, demo, role)
        for key, words in (
            ("gates", "gate reports"),
            ("model-cards", "model cards"),
            ("approvals", "approvals"),
        ):
            v.page.goto(demo.url + f"/ui/projects/{demo.project}/{key}")
            text = v.page.inner_text("main").lower()
            assert "not available yet" in text
            assert words in text
        base = demo.url + f"/ui/projects/{demo.project}"
        v.page.goto(base + "/audit")  # the built governance pages
        text = v.page.inner_text("main")
        assert re.search(r"Verified: [\d,]+ entries, tree head signed at ", text), text
        assert "An alias was moved to another version" in text
        v.page.goto(base + "/lineage")
        text = v.page.inner_text("main")
        assert "approved by the model risk committee" in text
        assert "Data set: credit-train" in text
        assert "not available yet" not in text.lower()
