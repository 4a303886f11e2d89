"""The web console in a real browser: Debian's headless Chromium driven by Playwright.

An instructor signs in through the link `/console` sends, uploads two files and watches
each file's progress reach its result, finds them in the library, tries a question, seeing
the answer with its sources, and edits a question of the bank. Screenshots of each page land
in the test's temporary folder. Chromium is never downloaded: `.ci/run` installs Debian's
package, and without it this test fails, saying so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.bootstrap import ensure_bank
from tests.web_harness import HANDBOOK, LI, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


async def _shot(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def test_an_instructor_signs_in_uploads_and_tries_an_answer_in_chromium(tmp_path):
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's browser with `apt-get install -y chromium` "
        "(.ci/run does so); the browser tests never download one"
    )
    (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    (tmp_path / "安全须知.txt").write_text(
        "安全须知\n\n进入车间必须佩戴护目镜。\n", encoding="utf-8"
    )
    async with web_site(tmp_path) as site, async_playwright() as pw:
        site.core.services.web_url = str(site.client.make_url("")).rstrip("/")
        link = (await site.link(LI)).split("\n")[-1]
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            await page.goto(link)
            await _shot(page, tmp_path, "signin")
            await page.click("#signin")
            await expect(page).to_have_url(f"{site.core.services.web_url}/materials")
            await expect(page.locator("main h1")).to_have_text("资料库")

            files = [tmp_path / "handbook.md", tmp_path / "安全须知.txt"]
            await page.set_input_files("input[name=files]", [str(f) for f in files])
            lock = site.core.services.ingest_lock
            await lock.acquire()  # another file is being indexed: these two wait their turn
            try:
                await page.click("#upload")
                working = page.locator("#results li.working")
                await expect(working).to_have_count(2)
                await expect(working.first).to_have_text("handbook.md：正在读取…")
                await expect(working.last).to_have_text("安全须知.txt：等待中")
                await expect(page).to_have_url(re.compile(r"/materials\?batch=[\w-]+#results$"))
                await _shot(page, tmp_path, "progress")
            finally:
                lock.release()
            results = page.locator("#results li.ok")
            await expect(results).to_have_count(2)
            await expect(page.locator("#results li.working")).to_have_count(0)
            await expect(results.first).to_contain_text("已加入：Lab handbook")
            await expect(page.locator("#library")).to_contain_text("安全须知.txt")
            await _shot(page, tmp_path, "materials")

            await page.click("nav >> text=试答")
            await page.fill("textarea[name=q]", "How often is the torque wrench calibrated?")
            await page.click("#ask")
            await expect(page.locator("#answer .answer-text")).to_contain_text("90 days")
            await expect(page.locator("#answer .sources").first).to_contain_text("Lab handbook")
            await expect(page.locator("#gate .decision")).to_contain_text("回答")
            await _shot(page, tmp_path, "try")

            await ensure_bank(site.core.services.records, site.core.services.model)
            await page.click("nav >> text=题库")
            await page.locator("#bank tbody tr a").first.click()
            await expect(page.locator("main h1")).to_contain_text("编辑题目")
            await page.fill("textarea[name=stem]", "浏览器里改过的题干？")
            await page.click("#save")
            await expect(page.locator("#saved")).to_contain_text("已保存")
            await expect(page.locator("textarea[name=stem]")).to_have_value("浏览器里改过的题干？")
            await _shot(page, tmp_path, "question")
        finally:
            await browser.close()
