"""Admins' results in the console: the cohort's heat map with Chinese names, who is furthest
behind, a trainee's page, the item table sorted on the server, the exports as downloads, and
the competency model for instructors; a trainee, an instructor or nobody is refused."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from playwright.async_api import async_playwright, expect

from knowledge.learning.exports import COLUMNS
from knowledge.records import Records
from tests.test_reports import BANK, answer_all, enrol, strong_answers, weak_answers
from tests.test_web_browser import ARGS, CHROMIUM, _shot
from tests.web_harness import ADA, ANN, LI, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")
COHORT = "春季班"
STRONG, WEAK, BEHIND, IDLE = range(101, 107), range(107, 112), 112, 113
RULES = "# Drafting house rules\n\n## Clauses\n\nEvery clause is numbered.\n"


async def seed(records: Records) -> None:
    """Spring: six strong and five weak application trainees, 王小明 (editorial, aiming
    higher) answering as the weak do, and one who has not answered; Ann in another cohort."""
    await records.upsert_items(BANK)
    for uid in STRONG:
        await enrol(records, uid, f"Strong {uid}", cohort=COHORT, category="application")
        await answer_all(records, uid, strong_answers(uid))
    for uid in WEAK:
        await enrol(records, uid, f"Weak {uid}", cohort=COHORT, category="application")
        await answer_all(records, uid, weak_answers(uid))
    await enrol(records, BEHIND, "王小明", cohort=COHORT, category="editorial")
    await answer_all(records, BEHIND, weak_answers(BEHIND))
    await enrol(records, IDLE, "李四", cohort=COHORT, category="application")
    await records.update_user(ANN, cohort="B", category="research")
    await answer_all(records, ANN, {"easy": (1,)})


def rows_of(page: str, table: str) -> list[str]:
    body = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, page
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body[1], re.S)


async def test_the_heat_map_shows_competencies_in_chinese_and_the_cohorts_names(tmp_path):
    async with web_site(tmp_path) as site:
        await seed(site.core.services.records)
        await site.core.services.records.update_user(ADA, lang="zh")
        await site.sign_in(ADA)
        page = await (await site.client.get("/results", params={"cohort": COHORT})).text()
        assert "13 名学员" in page and f'<option value="{COHORT}" selected>' in page
        src = re.search(r'<img id="heatmap" src="([^"]+)"', page)[1]
        chart = await site.client.get(src.replace("&amp;", "&"))
        assert chart.status == 200 and chart.content_type == "image/svg+xml"
        svg = await chart.text()
        for title in ("按GB/T 1.1—2020起草标准", "ISO/IEC国际标准制定程序"):
            assert f">{title}</text>" in svg
        assert ">王小明</text>" in svg and ">Strong 101</text>" in svg
        assert "Ann" not in svg  # another cohort
        english = await site.client.get(src, headers={"Accept-Language": "en"})
        assert (
            "起草标准" in await english.text()
        )  # the viewer's language is theirs, not the browser's


async def test_the_furthest_behind_is_listed_first_with_a_link_to_their_page(tmp_path):
    async with web_site(tmp_path) as site:
        await seed(site.core.services.records)
        await site.sign_in(ADA)
        page = await (await site.client.get("/results", params={"cohort": COHORT})).text()
        ranked = rows_of(page, "behind")
        assert len(ranked) == 13 and '<a href="/trainees/112">王小明</a>' in ranked[0]
        strong = [n for n, row in enumerate(ranked) if "Strong" in row]
        assert min(strong) > max(n for n, row in enumerate(ranked) if "Weak" in row)
        drafting = rows_of(page, "competencies")[4]  # S1, drafting: every trainee has a level
        assert "S1" in drafting
        counts = [int(n) for n in re.findall(r'<td class="num count[^"]*">(\d+)</td>', drafting)]
        assert len(counts) == 6 and sum(counts) == 13 and counts[0] == 1  # 李四 has no answer

        mine = await (await site.client.get("/trainees/112")).text()
        assert "王小明: progress" in mine
        attempts = rows_of(mine, "attempts")
        assert len(attempts) == len(BANK) and "✗ wrong" in mine
        assert "Stem of typed?" in attempts[0]  # the last answered comes first
        assert "Biggest gap: Drafting" in mine and "Next step (level 2)" in mine
        assert "” next." not in mine  # no document to point at until it is loaded
        (tmp_path / "drafting_rules.md").write_text(RULES, encoding="utf-8")  # now loaded
        assert not site.core.services.ingestor.ingest([tmp_path / "drafting_rules.md"]).failed
        mine = await (await site.client.get("/trainees/112")).text()
        assert "Read “Drafting house rules” next." in mine
        chart = await site.client.get("/trainees/112/progress.svg")
        assert chart.content_type == "image/svg+xml" and "Drafting" in await chart.text()
        for unknown in ("999", "9" * 30, "me"):
            assert (await site.client.get(f"/trainees/{unknown}")).status == 404


async def test_the_item_table_sorts_by_a_column_and_marks_the_flagged_questions(tmp_path):
    async with web_site(tmp_path) as site:
        await seed(site.core.services.records)
        await site.sign_in(ADA)

        async def order(**query) -> list[str]:
            page = await (await site.client.get("/results/items", params=query)).text()
            return re.findall(r'<tr id="item-([\w-]+)"', page)

        first = await (await site.client.get("/results/items", params={"cohort": COHORT})).text()
        flagged = re.findall(r'<tr id="item-(\w+)" class="flagged">', first)
        assert sorted(flagged) == ["bad", "easy", "hard"]
        assert re.findall(r'<tr id="item-(\w+)"', first)[:3] == flagged  # flagged first
        assert "low discrimination" in first and "too easy" in first and "too hard" in first
        rising = await order(cohort=COHORT, sort="facility")
        falling = await order(cohort=COHORT, sort="facility", order="desc")
        assert rising[0] == "hard" and falling[0] == "easy" and set(rising) == set(falling)
        assert await order(cohort=COHORT, sort="item") == sorted(rising)
        by_answers = await order(sort="answered", order="desc")  # every cohort: Ann too
        assert by_answers[0] == "easy"


async def test_exports_download_with_their_types_and_the_cohorts_attempts(tmp_path):
    async with web_site(tmp_path) as site:
        await seed(site.core.services.records)
        await site.sign_in(ADA)
        page = await (await site.client.get("/results", params={"cohort": COHORT})).text()
        links = [
            a.replace("&amp;", "&") for a in re.findall(r'<a href="(/results/export[^"]+)"', page)
        ]
        assert len(links) == 6 and all("cohort=" in link for link in links)
        attempts = len(BANK) * 12

        got = await site.client.get(
            "/results/export", params={"cohort": COHORT, "table": "attempts"}
        )
        assert got.content_type == "text/csv" and got.charset == "utf-8"
        disposition = got.headers["Content-Disposition"]
        assert (
            disposition.startswith("attachment;")
            and "filename*=UTF-8''stdtutor-%E6%98%A5" in disposition
        )
        table = list(csv.reader(io.StringIO((await got.read()).decode("utf-8-sig"))))
        assert tuple(table[0]) == COLUMNS["attempts"] and len(table) == attempts + 1
        assert {row[2] for row in table[1:]} >= {"王小明", "Strong 101"} and "Ann" not in str(table)

        zipped = await site.client.get(
            "/results/export", params={"cohort": COHORT, "format": "csv"}
        )
        assert zipped.content_type == "application/zip"
        with zipfile.ZipFile(io.BytesIO(await zipped.read())) as archive:
            assert sorted(archive.namelist()) == ["attempts.csv", "items.csv", "mastery.csv"]
            assert archive.read("attempts.csv").decode("utf-8-sig").count("\n") == attempts + 1

        book = await site.client.get("/results/export", params={"cohort": COHORT, "format": "xlsx"})
        assert book.content_type.endswith("spreadsheetml.sheet")
        assert '.xlsx"' in book.headers["Content-Disposition"]
        sheets = load_workbook(io.BytesIO(await book.read()), read_only=True)
        assert sheets.sheetnames == ["attempts", "mastery", "items"]
        names = [row[2] for row in sheets["attempts"].iter_rows(min_row=2, values_only=True)]
        assert len(names) == attempts and "王小明" in names

        xapi = await site.client.get("/results/export", params={"format": "xapi"})
        assert xapi.content_type == "application/json"
        assert len(json.loads(await xapi.read())) == attempts + 1  # every cohort: Ann's too
        assert (await site.client.get("/results/export", params={"format": "pdf"})).status == 404
        assert (await site.client.get("/results", params={"cohort": "nobody"})).status == 404


async def test_the_model_lists_level_descriptors_in_the_viewers_language(tmp_path):
    async with web_site(tmp_path) as site:
        await site.sign_in(LI)  # no language of their own: the browser's, here Chinese
        page = await (await site.client.get("/model")).text()
        model = site.core.services.model
        drafting = model.competencies["drafting"]
        for level in (1, 5):
            assert drafting.descriptor(level, "zh") in page
        assert drafting.descriptor(1, "en") not in page
        assert "标准化实务" in page and "编辑型人才" in page  # a group, a category
        assert all(lv.zh in page for lv in model.levels) and "熟练等级" in page
        targets = rows_of(page, "targets")
        assert len(targets) == len(model.leaves()) and "按GB/T 1.1—2020起草标准" in targets[4]
        editorial = list(model.categories).index("editorial")
        cells = re.findall(r'<td class="num">([^<]*)</td>', targets[4])
        assert cells[editorial] == str(model.categories["editorial"].targets["drafting"])
        results = await site.client.get("/results")  # the model, yes; results, no
        assert results.status == 403 and "只对管理员开放" in await results.text()


async def test_trainees_instructors_and_strangers_are_refused_results(tmp_path):
    async with web_site(tmp_path) as site:
        await seed(site.core.services.records)
        paths = ("/results", "/results/heatmap.svg", "/results/items", "/trainees/112",
                 "/trainees/112/progress.svg", "/results/export?format=csv")  # fmt: skip
        for path in (*paths, "/model"):
            nobody = await site.client.get(path)
            assert nobody.status == 401 and "请先登录" in await nobody.text()
        until = datetime.now(UTC) + timedelta(hours=1)  # a trainee with a session made by hand
        session = await site.core.services.records.open_web_session(ANN, until)
        for path in (*paths, "/model"):
            page = await site.client.get(path, cookies={"stdtutor_session": session})
            assert page.status == 403 and "for instructors and admins" in await page.text()
            assert "王小明" not in await page.text()
        await site.sign_in(LI)
        for path in paths:
            page = await site.client.get(path)
            assert page.status == 403 and "只对管理员开放" in await page.text()
            assert "Content-Disposition" not in page.headers


async def _drawn(page, selector: str) -> None:
    """The chart has loaded and the browser could draw it (a broken SVG has no width)."""
    script = f"() => {{ const i = document.querySelector('{selector}'); "
    script += "return i && i.complete && i.naturalWidth > 0; }"
    await page.wait_for_function(script, timeout=10_000)


async def test_an_admin_opens_the_results_and_sorts_the_items_in_chromium(tmp_path):
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `apt-get install -y chromium`"
    async with web_site(tmp_path) as site, async_playwright() as pw:
        await seed(site.core.services.records)
        await site.core.services.records.update_user(ADA, lang="zh")
        site.core.services.web_url = str(site.client.make_url("")).rstrip("/")
        link = (await site.link(ADA)).split("\n")[-1]
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            await page.goto(link)
            await page.click("#signin")
            await page.click("nav >> text=结果")
            await page.select_option("#cohort select", COHORT)
            await page.click("#cohort button")
            await expect(page.locator("main h1")).to_have_text(f"结果 · {COHORT}")
            heat = page.locator("#heatmap")
            await expect(heat).to_be_visible()
            await _drawn(page, "#heatmap")
            await expect(page.locator("#behind tbody tr").first).to_contain_text("王小明")
            await _shot(page, tmp_path, "results")

            await page.click("#behind >> text=王小明")
            await expect(page.locator("main h1")).to_have_text("王小明 的学习情况")
            await expect(page.locator("#next-read")).to_contain_text("差距最大")
            await _drawn(page, "#progress")
            await _shot(page, tmp_path, "trainee")

            await page.go_back()
            await page.click("text=题目分析")
            rows = page.locator("#items tbody tr")
            await expect(rows.first).to_have_class("flagged")
            await page.click("#items th >> text=答对率")
            await expect(rows.first).to_have_id("item-hard")
            await page.click("#items th >> text=答对率")  # again: the other way round
            await expect(rows.first).to_have_id("item-easy")
            await expect(page.locator("#items th[aria-sort=descending]")).to_contain_text("答对率")
            await _shot(page, tmp_path, "items")

            await page.click("nav >> text=能力模型")
            await expect(page.locator("#c-drafting")).to_contain_text("按GB/T 1.1—2020起草标准")
            await _shot(page, tmp_path, "model")
        finally:
            await browser.close()
