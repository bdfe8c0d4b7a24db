"""Regenerate the dashboard screenshots in docs/images/ (the pages of docs/dashboard.md).

Builds the demo of ``tests/ui/demo.py`` (the quickstart's credit scenario streamed through
the SDK into ``driftline server``'s app, windows computed by the real monitor), signs in
with an editor token in Debian's Chromium (Playwright) and photographs the main pages.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python scripts/dashboard_screenshots.py

``--saved FILE`` keeps the demo database (described in FILE) for the next run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saved", default=None, help="JSON file describing a kept demo database")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests" / "ui"))
    from demo import running_demo  # type: ignore[import-not-found]
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="dashboard-shots-"))
    url = f"sqlite:///{folder}/driftline.db"
    with running_demo(url, saved=args.saved) as demo, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(demo.url + "/ui/login")
        page.screenshot(path=OUT / "dashboard-sign-in.png")
        page.fill("#token", demo.tokens["editor"])
        page.click("form.card button[type=submit]")
        page.wait_for_load_state()
        shots = [("dashboard-overview.png", f"/ui/projects/{demo.project}")]
        shots.append(("dashboard-version.png", demo.version_path))
        page.goto(demo.url + demo.version_path)
        window = page.get_attribute("table a[href*='/windows/']", "href")
        shots += [
            ("dashboard-window.png", str(window)),
            ("dashboard-alerts.png", f"/ui/projects/{demo.project}/alerts"),
            ("dashboard-audit.png", f"/ui/projects/{demo.project}/audit"),
            ("dashboard-lineage.png", f"/ui/projects/{demo.project}/lineage"),
        ]
        for name, path in shots:
            page.goto(demo.url + path)
            page.wait_for_load_state()
            if page.locator("#timeline").count():
                page.wait_for_selector("#timeline[data-ready]")
            page.screenshot(path=OUT / name, full_page=True)
            print(OUT / name)
        browser.close()


if __name__ == "__main__":
    main()
