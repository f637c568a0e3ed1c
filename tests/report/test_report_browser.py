"""The report in a real headless browser: Debian's chromium (``.ci/run`` installs it when missing)
driven by playwright. The page loads from the file with no console error and no request
beyond the file itself, its tables have the right rows, its plots draw (a screenshot is not
blank, the trace's blue is there), and dragging across a plot zooms it."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tinyjoule.host.report import build_report
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    if CHROMIUM is None:
        reason = "chromium not found on PATH (Debian: apt-get install -y chromium; .ci/run does it)"
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(TIMEOUT_MS)
        yield context
        context.close()


class Loaded:
    """A page loaded from ``path`` with its console errors and every request it made."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("html[data-plots]")

    def rows(self, selector: str) -> list[int]:
        return self.page.eval_on_selector_all(
            selector, "ts => ts.map(t => t.querySelectorAll('tbody tr').length)"
        )

    def close(self) -> None:
        self.page.close()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _blue_pixels(png: bytes) -> int:
    """Pixels of the trace: its outline (31, 119, 180) and its fill, the only blue on a plot."""
    rgb = _pixels(png)
    return int(((rgb[..., 2] - rgb[..., 0] > 40) & (rgb[..., 2] > rgb[..., 1])).sum())


def test_session_report_in_chromium(browser, runs, tmp_path) -> None:
    paths = [runs["energy"], runs["performance"], runs["accuracy"]]
    out = build_report(paths, tmp_path / "report.html").path
    page = Loaded(browser, out)
    try:
        assert page.rows("table.summary.energy") == [2]
        assert page.rows("table.summary.performance") == [1]
        assert page.rows("table.summary.accuracy") == [1]
        assert page.rows("table.windows.energy") == [5, 5]
        assert page.rows("table.windows.performance") == [5]
        assert page.rows("table.checks") == [10, 10, 4, 4]
        assert page.page.is_visible("#sim-banner")
        shot = _pixels(page.page.screenshot())
        assert shot.std() > 20, "the first screen is blank"
        plot = page.page.locator("#g0i0 .plot.window").first
        plot.scroll_into_view_if_needed()
        page.page.wait_for_function("el => el.hasAttribute('data-view')", arg=plot.element_handle())
        assert _blue_pixels(plot.screenshot()) > 500, "the trace is not drawn"
        home = [float(v) for v in plot.get_attribute("data-view").split(",")]
        box = plot.locator("canvas").bounding_box()
        y = box["y"] + box["height"] / 2
        page.page.mouse.move(box["x"] + 150, y)
        page.page.mouse.down()
        page.page.mouse.move(box["x"] + 220, y, steps=4)
        page.page.mouse.move(box["x"] + 250, y, steps=2)
        page.page.mouse.up()
        zoomed = [float(v) for v in plot.get_attribute("data-view").split(",")]
        assert home[0] < zoomed[0] < zoomed[1] < home[1]
        assert zoomed[1] - zoomed[0] < (home[1] - home[0]) / 4
        assert _blue_pixels(plot.screenshot()) > 100, "the zoomed trace is not drawn"
        plot.get_by_role("button", name="reset").click()
        assert [float(v) for v in plot.get_attribute("data-view").split(",")] == home
        assert page.errors == []
        assert all(u.startswith("file://") for u in page.requests), page.requests
    finally:
        page.close()


def test_published_and_partial_report_in_chromium(browser, energy_copy, tmp_path) -> None:
    write_eembc_folder(tmp_path / "published", SyntheticRun())
    (energy_copy / "kws01" / "results.json").write_text("{")
    trace = energy_copy / "ad01" / "trace.h5"
    trace.write_bytes(trace.read_bytes()[:5000])
    out = build_report([tmp_path / "published", energy_copy], tmp_path / "r.html").path
    page = Loaded(browser, out)
    try:
        assert page.rows("table.summary.energy") == [3]
        assert page.rows("table.windows.energy") == [5, 5, 5]
        assert page.page.is_visible("#partial-banner")
        text = page.page.inner_text("#partial-banner")
        assert "results.json: damaged" in text and "trace.h5: cut short" in text
        plot = page.page.locator("#g0i0 .plot.overview")
        plot.scroll_into_view_if_needed()
        page.page.wait_for_function("el => el.hasAttribute('data-view')", arg=plot.element_handle())
        assert _blue_pixels(plot.screenshot()) > 500
        assert page.errors == []
        assert all(u.startswith("file://") for u in page.requests), page.requests
    finally:
        page.close()


def test_the_compare_page_in_chromium(browser, runs, tmp_path) -> None:
    """``compare --report``: the chart draws one bar per run, no error, nothing fetched."""
    from tinyjoule.host.history.compare import differences, from_argument
    from tinyjoule.host.report.compare_chart import compare_page

    rows = differences(from_argument(str(runs["energy"]), None) * 2)
    out = tmp_path / "compare.html"
    out.write_text(compare_page(rows, "now"))
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(out.as_uri())
        assert page.locator("svg.cmp-chart rect").count() == len(rows) == 4
        assert page.locator("table.compare tbody tr").count() == 4
        chart = page.locator("svg.cmp-chart")
        rgb = _pixels(chart.screenshot())
        assert ((rgb[..., 0] > 180) & (rgb[..., 2] < 80)).sum() > 500, "no bar drawn"
        assert errors == [] and all(u.startswith("file://") for u in requests)
    finally:
        page.close()
