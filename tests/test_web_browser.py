"""The web console in a real browser: Debian's headless Chromium driven by Playwright.

An instructor signs in through the link `/console` sends, uploads two files and watches
each file's progress reach its result, finds them in the library, tries a question, seeing
the answer with its sources, and edits a question of the bank; a large upload over a slowed
link shows how much of each file the browser has sent before the server's lines. Screenshots
of each page land in the test's temporary folder. Chromium is never downloaded: `.ci/run`
installs Debian's package, and without it this test fails, saying so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.bootstrap import ensure_bank
from bot.channels.web.base import WebOptions
from tests.web_harness import HANDBOOK, LI, URL, web_site

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


async def test_a_large_upload_shows_how_much_of_each_file_the_browser_has_sent(tmp_path):
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's browser (see above)"
    (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    big = tmp_path / "big notes.txt"  # 2.4 MB, sent over a link slowed to 1 MB/s
    paragraph = "Calibration record {n}: the torque wrench was checked and found in tolerance.\n\n"
    big.write_text("".join(paragraph.format(n=n) for n in range(30000)), encoding="utf-8")
    options = WebOptions(URL, max_upload_mb=2)  # the big file is refused once received: quick
    async with web_site(tmp_path, options=options) as site, async_playwright() as pw:
        site.core.services.web_url = str(site.client.make_url("")).rstrip("/")
        link = (await site.link(LI)).split("\n")[-1]
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page(locale="zh-CN")
            await page.goto(link)
            await page.click("#signin")
            await expect(page.locator("main h1")).to_have_text("资料库")
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("Network.enable")
            await cdp.send(
                "Network.emulateNetworkConditions",
                {"offline": False, "latency": 0, "downloadThroughput": -1,
                 "uploadThroughput": 1024 * 1024},
            )  # fmt: skip
            files = [tmp_path / "handbook.md", big]
            await page.set_input_files("input[name=files]", [str(f) for f in files])
            await page.click("#upload")
            sending = page.locator("#sending li")
            await expect(sending).to_have_count(2)
            await expect(page.locator("#sending h2")).to_have_text("正在上传")
            # the first file all sent, the second part of the way, before the server has them
            await expect(sending.last.locator("span")).to_have_text(
                re.compile(r"^big notes\.txt：正在上传 [1-9]\d?%$"), timeout=10_000
            )
            await expect(sending.first.locator("span")).to_have_text("handbook.md：正在上传 100%")
            await expect(sending.first.locator("progress")).to_have_attribute("value", "100")
            await _shot(page, tmp_path, "sending")
            await expect(page).to_have_url(re.compile(r"/materials\?batch=[\w-]+#results$"))
            await expect(page.locator("#sending")).to_have_count(0)  # the server's lines now
            await expect(page.locator("#results li.ok")).to_contain_text("已加入：Lab handbook")
            await expect(page.locator("#results li.bad")).to_have_text(
                "big notes.txt 有 2.0+ MB，超过了资料 2 MB 的上限。"
            )
        finally:
            await browser.close()
