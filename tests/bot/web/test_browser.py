"""The web archive in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium,
installed by .ci/run; never a downloaded browser). The day page shows the 11 papers of
2021-08-06 in order, a category link and the search work, the page passes axe-core's WCAG
2 A/AA rules in light and dark, fits a phone's width and reads without JavaScript.
HOTPAPERS_UPDATE_SCREENSHOT=1 rewrites docs/day-page.png (the README's screenshot)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.web.conftest import Web

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parents[3] / "docs"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


def _have_chromium() -> bool:
    return CHROMIUM.exists()


def _keep_screenshot(shot: Path) -> None:
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("HOTPAPERS_UPDATE_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / "day-page.png")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not _have_chromium():
        pytest.skip(f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium package)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            await b.close()


async def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page, options=WCAG)
    assert len(results.response["passes"]) > 10  # the rules did run
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
            f"{v['nodes'][0]['target']})" for v in results.response["violations"]]


async def test_the_day_page_in_chromium(web: Web, browser: Any, tmp_path: Path) -> None:
    digest = await web.core.store.get_digest(dt.date(2021, 8, 6))
    assert digest is not None
    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    await page.goto(web.url + "/2021-08-06")
    assert await page.title() == "Hot Papers 2021-08-06 · Hot Papers"
    titles = await page.locator("article.paper h2 a").all_inner_texts()
    assert titles == [" ".join(rp.paper.title.split()) for rp in digest.papers]
    assert len(titles) == 11 and titles[0] == "Sketch Your Own GAN"
    ranks = await page.locator("article.paper .rank").all_inner_texts()
    assert ranks == [f"{i}." for i in range(1, 12)]
    shot = tmp_path / "day-page.png"
    await page.screenshot(path=str(shot), full_page=False)
    _keep_screenshot(shot)

    # follow a category link of the first paper
    await page.locator("#rank-1 ul.tags a", has_text="cs.CV").click()
    await page.wait_for_url("**/c/cs.CV")
    assert await page.locator("h1").inner_text() == "cs.CV: Computer Vision and Pattern " \
                                                    "Recognition"
    first_day = await page.locator("main section h2").first.inner_text()
    assert first_day == "2021-08-06"

    # run a search from the header's search box
    await page.get_by_label("Search papers").fill("sketching GAN")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url("**/search?q=sketching+GAN")
    hits = await page.locator("article.hit h2").all_inner_texts()
    assert hits[0] == "Sketch Your Own GAN"
    await page.close()


async def test_the_day_page_is_accessible_in_light_and_dark(web: Web, browser: Any) -> None:
    for scheme, background in (("light", "rgb(255, 255, 255)"), ("dark", "rgb(18, 18, 18)")):
        context = await browser.new_context(color_scheme=scheme)
        page = await context.new_page()
        await page.goto(web.url + "/2021-08-06")
        bg = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg == background
        # the skip link is the first thing the keyboard reaches, and it leads to <main>
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        await page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        await page.locator("#rank-1 details summary").click()  # the posts, open
        assert await axe_violations(page) == [], scheme
        await context.close()
    page = await browser.new_page()
    for path in ("/c/cs.LG", "/p/2108.02774", "/archive", "/search?q=gan", "/2021-08-07"):
        await page.goto(web.url + path)
        assert await axe_violations(page) == [], path
    await page.close()


async def test_a_phone_and_no_javascript(web: Web, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 740},
                                        device_scale_factor=2, is_mobile=True,
                                        java_script_enabled=False)
    page = await context.new_page()
    await page.goto(web.url + "/2021-08-06")
    assert await page.locator("article.paper").count() == 11
    assert await page.locator("article.paper h2 a").first.inner_text() == "Sketch Your Own GAN"
    await context.close()
    # JavaScript is off above; measuring the layout needs it, in a second context
    phone = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = await phone.new_page()
    await page.goto(web.url + "/2021-08-06")
    scroll, inner = await page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner  # nothing wider than the phone
    size = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16
    await phone.close()
