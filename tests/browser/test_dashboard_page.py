"""The dashboard page in headless Chromium: charts drawn from the JSON API, not blank.

Needs Debian's `chromium` and `chromium-driver` (/usr/bin/chromium, /usr/bin/chromedriver)
and `selenium` from PyPI. The screenshots stay in pytest's tmp dir for a person to look at.
"""

from __future__ import annotations

import asyncio
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from shared import topics
from shared.envelope import TypedEvent
from services.dashboard import handlers
from services.dashboard.main import build, create_app
from tests.integration.test_dashboard import dashboard_settings, free_port, known_history, own_database, serving
from tests.support import unique

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHARTS = ["residents", "activity", "active", "funnel", "proposals", "replies"]


def chromium(profile: Path):
    """Headless Chromium that reaches nothing but the page under test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            pytest.fail(f"{path} is missing: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,2200", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of pixels of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, *_ = header
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format depth={depth} colour={colour}"
    step = 4 if colour == 6 else 3
    raw, stride, rows, previous = zlib.decompress(idat), width * step, [], bytes(width * step)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i:i + 3]) for r in rows for i in range(0, stride, step)]


def distinct_colours(png: bytes) -> int:
    _, _, pixels = png_pixels(png)
    return len(set(pixels))


@pytest.fixture
async def populated_dashboard():
    """The dashboard served on a free port, its read model holding one tenant's known history."""
    tenant, settings = unique("T"), dashboard_settings()
    dashboard = build(settings)
    async with own_database(settings):
        for event in known_history(tenant):
            topic = topics.topic(event.type)
            await handlers.routes(dashboard.store)[topic](TypedEvent(event, event.payload(topic.model)))
        async with serving(create_app(dashboard=dashboard), free_port()) as base:
            yield f"{base}/?tenant={tenant}&as_of=2024-04-01T00:00:00Z"


def drawn_charts(driver) -> dict[str, dict]:
    """For each chart: how many bars, lines and points have a non-zero size."""
    return driver.execute_script("""
        const result = {};
        for (const svg of document.querySelectorAll('svg.chart')) {
          const sized = (sel) => Array.from(svg.querySelectorAll(sel)).filter((n) => {
            const box = n.getBBox(); return box.width > 0 && box.height > 0; }).length;
          result[svg.dataset.chart] = {drawn: svg.hasAttribute('data-drawn'), bars: sized('rect.bar'),
                                       lines: sized('path.line'), points: sized('circle.point')};
        }
        return result;""")


def look_at_the_page(url: str, out: Path) -> dict:
    """Open the page, wait for every chart, screenshot it; returns what was found."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium(out / "profile")
    try:
        driver.get(url)
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return document.querySelectorAll('svg.chart[data-drawn]').length") == len(CHARTS)
        )
        driver.save_screenshot(str(out / "dashboard.png"))
        chart_png = driver.find_element(By.ID, "chart-residents").screenshot_as_png
        (out / "residents-chart.png").write_bytes(chart_png)
        kpis = driver.execute_script("return Array.from(document.querySelectorAll('.kpi .value')).map((n) => n.textContent)")
        services = driver.execute_script("return document.querySelectorAll('#services tbody tr').length")
        return {"charts": drawn_charts(driver), "kpis": kpis, "services": services, "chart_png": chart_png}
    finally:
        driver.quit()


async def test_the_page_draws_every_chart_from_the_api(populated_dashboard, tmp_path):
    seen = await asyncio.to_thread(look_at_the_page, populated_dashboard, tmp_path)
    charts = seen["charts"]
    assert set(charts) == set(CHARTS) and all(c["drawn"] for c in charts.values())
    for name in ("residents", "activity", "funnel", "proposals", "replies"):
        assert charts[name]["bars"] > 0, name
    assert charts["active"]["lines"] == 1 and charts["active"]["points"] == 4
    assert seen["kpis"][:4] == ["2", "1", "4", "1"]  # residents, active, posts, reactions
    assert seen["services"] >= 1
    assert distinct_colours(seen["chart_png"]) >= 4  # background, grid, text and the category colours
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
    print(f"screenshots in {tmp_path}")
