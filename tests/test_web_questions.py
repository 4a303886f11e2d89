"""The console's question editor: a valid edit is saved in place (same id, answers kept), an
invalid one is refused with the import's reasons in Chinese and changes nothing, only staff
with the form's CSRF token may edit; the question's answer statistics; the spreadsheet
template as a download."""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.bootstrap import ensure_bank
from bot.channels.web.question_form import form_values
from ingest.questions.spreadsheet import TEMPLATE_HEADINGS
from knowledge.learning.practice import record_answer
from knowledge.learning.questions import Question
from knowledge.records import Records
from tests.web_harness import ANN, LI, field, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")
NEW_STEM = "改过的题干：哪个词表示要求？"


async def _a_question(records: Records) -> Question:
    """A published single-choice question of the bundled bank with four options."""
    bank = await records.items()
    return next(q for q in bank if q.kind == "single" and len(q.options) == 4)


async def _answer(records: Records, user_id: int, q: Question, response: tuple[int, ...]) -> None:
    quiz = await records.start_session(user_id, 1)
    await records.set_current(quiz.id, q.id, datetime.now(UTC))
    done = await record_answer(
        records, session_id=quiz.id, item_id=q.id, user_id=user_id, response=response, seconds=9
    )
    assert done is not None


async def test_an_edit_is_saved_in_place_and_keeps_the_questions_answers(tmp_path):
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        await ensure_bank(records, site.core.services.model)
        q = await _a_question(records)
        await _answer(records, ANN, q, q.answer)
        before = [x.id for x in await records.items(None)]
        await site.sign_in(LI)
        bank = await (await site.client.get("/questions")).text()
        assert f'href="/questions/{q.id}/edit"' in bank
        page = await (await site.client.get(f"/questions/{q.id}/edit")).text()
        assert html.escape(q.stem, quote=False) in page and 'name="stem"' in page
        assert re.search(r'id="answered">1<', page), page  # the stats panel
        form = {**form_values(q), "csrf": field(page, "csrf"), "stem": NEW_STEM}
        form["explanation"] = "要求型条款使用“应”。"
        done = await site.client.post(f"/questions/{q.id}/edit", data=form)
        text = html.unescape(await done.text())
        assert done.status == 200 and f"已保存 {q.id}" in text, text
        saved = await records.item(q.id)
        assert saved is not None and saved.stem == NEW_STEM
        assert (saved.options, saved.answer, saved.competencies) == (
            q.options, q.answer, q.competencies
        )  # fmt: skip
        assert [x.id for x in await records.items(None)] == before  # replaced, not added
        assert [a.item_id for a in await records.attempts_of(ANN)] == [q.id]
        [stats] = [st for st in await records.item_stats() if st.item_id == q.id]
        assert stats.answered == 1 and re.search(r'id="answered">1<', text)


async def test_an_invalid_edit_is_refused_with_its_reason_in_chinese_and_changes_nothing(
    tmp_path,
):
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        await ensure_bank(records, site.core.services.model)
        q = await _a_question(records)
        await site.sign_in(LI)
        csrf = await site.csrf(f"/questions/{q.id}/edit")
        cases = (
            ({"answer": "E"}, "答案 'E' 不是任何一个选项"),  # four options: A-D
            ({"competencies": "no-such-thing"}, "能力模型里没有这个能力项：no-such-thing"),
            ({"level": "", "stem": ""}, "缺少必填字段"),
            ({"source_doc": "nowhere.md"}, "课程资料包里没有出处文件 'nowhere.md'"),
        )
        for change, reason in cases:
            form = {**form_values(q), "csrf": csrf, "stem": "不该保存的题干", **change}
            refused = await site.client.post(f"/questions/{q.id}/edit", data=form)
            text = html.unescape(await refused.text())
            assert refused.status == 400 and "没有保存" in text and reason in text, (change, text)
            assert "不该保存的题干" in text or not form["stem"]  # the form keeps what was typed
            assert await records.item(q.id) == q


async def test_only_signed_in_staff_with_the_forms_token_may_edit(tmp_path):
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        await ensure_bank(records, site.core.services.model)
        q = await _a_question(records)
        form = {**form_values(q), "stem": "偷改的题干"}
        assert (await site.client.get(f"/questions/{q.id}/edit")).status == 401
        assert (await site.client.post(f"/questions/{q.id}/edit", data=form)).status == 401
        assert (await site.client.get("/questions/template?lang=zh")).status == 401
        until = datetime.now(UTC) + timedelta(hours=1)
        trainee = {"stdtutor_session": await records.open_web_session(ANN, until)}
        page = await site.client.get(f"/questions/{q.id}/edit", cookies=trainee)
        assert page.status == 403
        await site.sign_in(LI)
        for token in ({}, {"csrf": "forged"}):
            refused = await site.client.post(f"/questions/{q.id}/edit", data={**form, **token})
            assert refused.status == 403 and "表单已过期" in await refused.text()
        assert await records.item(q.id) == q
        assert (await site.client.get("/questions/no-such-id/edit")).status == 404


async def test_the_stats_count_every_trainees_answers(tmp_path):
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        await ensure_bank(records, site.core.services.model)
        q = await _a_question(records)
        await site.sign_in(LI)
        page = await (await site.client.get(f"/questions/{q.id}/edit")).text()
        assert 'id="answered"' not in page and "暂无作答" in page
        wrong = next(i for i in range(len(q.options)) if i not in q.answer)
        for uid, response in ((ANN, q.answer), (21, (wrong,)), (22, (wrong,))):
            await records.ensure_user(uid, name=f"T{uid}", role="trainee")
            await _answer(records, uid, q, response)
        page = html.unescape(await (await site.client.get(f"/questions/{q.id}/edit")).text())
        assert re.search(r'id="answered">3<', page) and "33%" in page, page
        letter = "ABCD"[wrong]
        assert f"{letter} 2" in page and f"{'ABCD'[q.answer[0]]} 1" in page


async def test_a_question_whose_id_holds_a_slash_opens_edits_retires_and_shows_its_stats(
    tmp_path,
):
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        await ensure_bank(records, site.core.services.model)
        q = replace(await _a_question(records), id="iso/stages-01")  # as a file may name it
        await records.upsert_items([q])
        await _answer(records, ANN, q, q.answer)
        await site.sign_in(LI)
        bank = await (await site.client.get("/questions")).text()
        assert 'href="/questions/iso%2Fstages-01/edit"' in bank  # quoted as one part
        assert 'action="/questions/iso%2Fstages-01/status"' in bank
        page = await (await site.client.get("/questions/iso%2Fstages-01/edit")).text()
        assert html.escape(q.stem, quote=False) in page
        assert re.search(r'id="answered">1<', page), page  # its stats
        assert 'action="/questions/iso%2Fstages-01/edit"' in page
        form = {**form_values(q), "csrf": field(page, "csrf"), "stem": NEW_STEM}
        done = await site.client.post("/questions/iso%2Fstages-01/edit", data=form)
        assert done.status == 200 and "已保存 iso/stages-01" in html.unescape(await done.text())
        assert (await records.item("iso/stages-01")).stem == NEW_STEM
        csrf = {"csrf": field(bank, "csrf")}
        retired = await site.client.post(
            "/questions/iso%2Fstages-01/status", data={**csrf, "status": "retired"}
        )
        assert retired.status == 200 and (await records.item(q.id)).status == "retired"
        unquoted = await site.client.post(  # as a proxy that unquotes the path passes it on
            "/questions/iso/stages-01/status", data={**csrf, "status": "published"}
        )
        assert unquoted.status == 200 and (await records.item(q.id)).status == "published"
        assert (await site.client.get("/questions/iso/stages-01/edit")).status == 200
        assert (await site.client.get("/questions/iso%2Fnone/edit")).status == 404


async def test_the_spreadsheet_template_downloads_with_chinese_or_english_headings(tmp_path):
    async with web_site(tmp_path) as site:
        await site.sign_in(LI)
        bank = await (await site.client.get("/questions")).text()
        for lang in ("zh", "en"):
            assert f'href="/questions/template?lang={lang}"' in bank
        got = await site.client.get("/questions/template", params={"lang": "zh"})
        assert got.status == 200
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "UTF-8''%E9%A2%98" in disposition
        book = load_workbook(io.BytesIO(await got.read()))
        headings = [c.value for c in book.worksheets[0][1]]
        assert headings == list(TEMPLATE_HEADINGS["zh"]) and "题干" in headings
        assert "drafting" in [c.value for c in book.worksheets[2]["A"]]  # the competency ids
        english = await site.client.get("/questions/template", params={"lang": "en"})
        assert "question-bank-template.xlsx" in english.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(await english.read()))
        assert [c.value for c in book.worksheets[0][1]][:2] == ["type", "stem"]
        assert (await site.client.get("/questions/template?lang=fr")).status == 404
