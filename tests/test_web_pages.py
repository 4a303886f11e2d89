"""The instructors' pages: uploading several files at once, the library, a document's
passages, removing one; trying an answer with the gate's decision; the feedback queue."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from aiohttp import FormData

from bot.bootstrap import ensure_bank
from knowledge.answering.gate import EvidenceGate
from tests.web_harness import ANN, HANDBOOK, LI, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOTES = "Calibration notes\n\nEvery wrench carries a label with its last calibration date.\n"


def _files(*named: tuple[str, bytes], csrf: str) -> FormData:
    form = FormData()
    form.add_field("csrf", csrf)  # first, as the page's form sends it
    for name, data in named:
        form.add_field("files", data, filename=name)
    return form


async def test_several_files_at_once_each_get_a_result_and_a_bad_one_stops_none(tmp_path):
    async with web_site(tmp_path) as site:
        await site.sign_in(LI)
        form = _files(
            ("handbook.md", HANDBOOK.encode()), ("slides.key", b"PK..."), ("empty.md", b""),
            ("notes.txt", NOTES.encode()), csrf=await site.csrf(),
        )  # fmt: skip
        page = await (await site.client.post("/materials", data=form)).text()
        lines = re.findall(r'<li class="(ok|bad)">([^<]*)</li>', page)
        assert [kind for kind, _ in lines] == ["ok", "bad", "bad", "ok"], lines
        assert "已加入：Lab handbook" in lines[0][1] and "slides.key" in lines[1][1]
        docs = {d.doc for d in site.core.services.ingestor.store.documents()}
        assert docs == {"handbook.md", "notes.txt"}
        assert "handbook.md" in page and "notes.txt" in page  # the library below the results


async def test_the_library_filters_opens_a_document_and_removes_it_after_confirming(tmp_path):
    async with web_site(tmp_path) as site:
        (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
        (tmp_path / "notes.txt").write_text(NOTES, encoding="utf-8")
        assert not site.core.services.ingestor.ingest(
            [tmp_path / "handbook.md", tmp_path / "notes.txt"]
        ).failed
        await site.sign_in(LI)
        listed = await (await site.client.get("/materials?q=HANDBOOK")).text()
        assert "handbook.md" in listed and "notes.txt" not in listed
        [doc] = [d for d in site.core.services.ingestor.store.documents() if d.doc == "handbook.md"]
        passages = await (await site.client.get(f"/materials/{doc.doc_id}")).text()
        assert "calibrated every 90 days" in passages and "Goggles" in passages
        confirm = await (await site.client.get(f"/materials/{doc.doc_id}/remove")).text()
        assert "Lab handbook" in confirm and "确定移除" in confirm
        csrf = re.search(r'name="csrf" value="([^"]+)"', confirm)[1]
        done = await site.client.post(f"/materials/{doc.doc_id}/remove", data={"csrf": csrf})
        assert "已移除《Lab handbook》" in await done.text()
        assert [d.doc for d in site.core.services.ingestor.store.documents()] == ["notes.txt"]
        assert (await site.client.get(f"/materials/{doc.doc_id}")).status == 404


async def test_trying_an_answer_shows_the_gates_decision_and_its_signals(tmp_path):
    async with web_site(tmp_path, gate=EvidenceGate()) as site:
        (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
        assert not site.core.services.ingestor.ingest([tmp_path / "handbook.md"]).failed
        await site.sign_in(LI)
        page = await (
            await site.client.get("/try", params={"q": "Who calibrates the torque wrench?"})
        ).text()
        decision = re.search(r'<p class="decision (ok|bad)">\s*(.*?)\s*</p>', page, re.S)
        assert decision and re.search(r"(回答|拒答)（概率 0\.\d\d）", decision[2]), page
        for signal in ("dense", "lexical", "union", "second", "sentence"):
            assert f"<td>{signal}</td>" in page
        assert "Lab handbook" in page and "e5 相似度" in page  # the passages retrieved
        assert await site.core.services.records.open_feedback() == []  # nothing was logged


async def test_the_feedback_queue_takes_a_canonical_answer_then_serves_it(tmp_path):
    async with web_site(tmp_path) as site:
        asked = dict(user_id=ANN, chat_id=ANN, lang="en", citations=[], abstained=True)
        qid = await site.core.services.records.log_question(
            question="Where is the lab key kept?", answer="The materials don't say.", **asked
        )
        await site.sign_in(LI)
        queue = await (await site.client.get("/feedback")).text()
        assert "Where is the lab key kept?" in queue and "The materials don&#39;t say." in queue
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
        form = {"csrf": csrf, "answer": "Q: Where is the lab key?\nAt the front desk."}
        done = await (await site.client.post(f"/feedback/{qid}/answer", data=form)).text()
        assert "已保存" in done and "没有收到通知" in done  # no bot runs beside this console
        [canonical] = await site.core.services.records.canonicals()
        assert (canonical.answer, canonical.standalone) == (
            "At the front desk.",
            "Where is the lab key?",
        )
        assert site.core.services.canonical.match("Where is the lab key kept?") is not None
        assert await site.core.services.records.open_feedback() == []


KEY = ("Where is the lab key kept?", "Where's the lab key kept?", "where is the lab key kept")
REFUSED = dict(lang="en", citations=[], abstained=True, answer="The materials don't say.")


async def _queue_of_paraphrases(site) -> dict[str, int]:
    """Three trainees ask one question in their own words, then another question; the
    console's canonical answers matched by the bundled model (its paraphrase rule)."""
    from knowledge.answering.canonical import CanonicalIndex
    from knowledge.answering.embeddings import BundledE5

    services, ids = site.core.services, {}
    services.canonical = CanonicalIndex(BundledE5())
    for uid in (11, 12):
        await services.records.ensure_user(uid, name=f"t{uid}", role="trainee", lang="en")
    for uid, question in zip((ANN, 11, 12), KEY, strict=True):
        ids[question] = await services.records.log_question(
            user_id=uid, chat_id=uid, question=question, **REFUSED
        )
    ids["door"] = await services.records.log_question(
        user_id=ANN, chat_id=ANN, question="When does the lab close?", **REFUSED
    )
    return ids


def _entries(page: str) -> list[tuple[str, str]]:
    """Each entry's id and heading, in order."""
    found = re.findall(r'<article class="feedback" id="q(\d+)">\s*<h2>(.*?)</h2>', page, re.S)
    return [(qid, html.unescape(re.sub(r"<[^>]+>", "", h))) for qid, h in found]


async def test_paraphrases_are_one_entry_in_the_console_and_one_answer_closes_it(tmp_path):
    async with web_site(tmp_path) as site:
        ids = await _queue_of_paraphrases(site)
        await site.sign_in(LI)
        queue = await (await site.client.get("/feedback")).text()
        head = str(ids[KEY[2]])
        assert _entries(queue) == [
            (str(ids["door"]), "❓ When does the lab close?"),
            (head, f"❓ {KEY[2]} ×3"),
        ]
        variants = re.search(r'<details class="variants">(.*?)</details>', queue, re.S)[1]
        assert [html.unescape(v) for v in re.findall(r"<li>(.*?) <span", variants)] == [
            KEY[1],
            KEY[0],
        ]
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
        form = {"csrf": csrf, "answer": "At the front desk."}
        done = await (await site.client.post(f"/feedback/{head}/answer", data=form)).text()
        assert f"已保存“{KEY[2]}”的标准答案。" in html.unescape(done)
        [canonical] = await site.core.services.records.canonicals()
        assert canonical.source_question_id == ids[KEY[2]]
        for question in (*KEY, "Where's the lab key kept"):  # every variant, and a new one
            assert site.core.services.canonical.match(question) == canonical
        assert [q.id for q in await site.core.services.records.open_feedback()] == [ids["door"]]
        after = await (await site.client.get("/feedback")).text()
        assert _entries(after) == [(str(ids["door"]), "❓ When does the lab close?")]


async def test_dismissing_an_entry_in_the_console_dismisses_all_its_questions(tmp_path):
    async with web_site(tmp_path) as site:
        ids = await _queue_of_paraphrases(site)
        await site.sign_in(LI)
        queue = await (await site.client.get("/feedback")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
        done = await site.client.post(f"/feedback/{ids[KEY[0]]}/dismiss", data={"csrf": csrf})
        assert f"已忽略“{KEY[2]}”及其他 2 种问法。" in html.unescape(await done.text())
        assert [q.id for q in await site.core.services.records.open_feedback()] == [ids["door"]]
        assert await site.core.services.records.canonicals() == []


async def test_a_follow_up_in_the_console_shows_its_question_and_stores_the_whole_one(tmp_path):
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        asked = dict(user_id=ANN, chat_id=ANN, lang="zh", citations=[], abstained=True, answer="无")
        await records.log_question(question="ISO标准制定有几个阶段？", **asked)
        await records.log_question(question="你好", **{**asked, "abstained": False})
        qid = await records.log_question(question="那IEC呢？", **asked)
        await site.sign_in(LI)
        queue = html.unescape(await (await site.client.get("/feedback")).text())
        entry = re.search(rf'<article class="feedback" id="q{qid}">(.*?)</article>', queue, re.S)[1]
        assert '<p class="follows">接着问：“ISO标准制定有几个阶段？”</p>' in entry
        standalone = "ISO标准制定有几个阶段？ 那IEC呢？"  # read with it, as the tutor did
        assert f"答案将存给完整的问题：“{standalone}”" in entry
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
        form = {"csrf": csrf, "answer": "IEC 的标准制定同样分为六个阶段。"}
        await site.client.post(f"/feedback/{qid}/answer", data=form)
        [canonical] = await records.canonicals()
        assert (canonical.question, canonical.source_question_id) == (standalone, qid)
        assert site.core.services.canonical.match("那IEC呢？") is None


class RewordingCondenser:
    """A model that words its rewrite differently each time it is asked."""

    def __init__(self) -> None:
        self.calls = 0

    async def condense(self, question, history):
        self.calls += 1
        return replace(question, standalone=f"IEC的标准制定分几个阶段？（第{self.calls}种说法）")


async def test_a_follow_ups_answer_is_stored_for_the_rewrite_the_instructor_was_shown(tmp_path):
    async with web_site(tmp_path) as site:
        records, condenser = site.core.services.records, RewordingCondenser()
        site.core.services.tutor.condenser = condenser
        asked = dict(user_id=ANN, chat_id=ANN, lang="zh", citations=[], abstained=True, answer="无")
        await records.log_question(question="ISO的标准制定分几个阶段？", **asked)
        qid = await records.log_question(question="IEC呢？", **asked)
        await site.sign_in(LI)
        queue = html.unescape(await (await site.client.get("/feedback")).text())
        shown = "IEC的标准制定分几个阶段？（第1种说法）"
        assert f"答案将存给完整的问题：“{shown}”" in queue
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
        form = {"csrf": csrf, "answer": "同样分为六个阶段。"}
        await site.client.post(f"/feedback/{qid}/answer", data=form)
        [canonical] = await records.canonicals()
        assert (canonical.question, condenser.calls) == (shown, 1)


async def test_the_question_bank_filters_and_a_question_is_retired_and_published(tmp_path):
    async with web_site(tmp_path) as site:
        await ensure_bank(site.core.services.records, site.core.services.model)
        await site.sign_in(LI)
        page = await (
            await site.client.get("/questions", params={"lang": "en", "level": "2"})
        ).text()
        rows = re.findall(r'<tr id="item-([^"]+)">(.*?)</tr>', page, re.S)
        bank = await site.core.services.records.items(None)
        wanted = [q.id for q in bank if q.lang == "en" and q.level == 2]
        assert wanted and [item for item, _ in rows] == wanted
        first = wanted[0]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        done = await site.client.post(
            f"/questions/{first}/status", data={"csrf": csrf, "status": "retired"}
        )
        assert f"{first}: retired" in await done.text()
        assert (await site.core.services.records.item(first)).status == "retired"
        retired = await (await site.client.get("/questions", params={"status": "retired"})).text()
        assert re.findall(r'<tr id="item-([^"]+)">', retired) == [first]


async def test_an_untagged_draft_is_not_published_until_it_is_tagged(tmp_path):
    from knowledge.learning.questions import Question

    draft = Question(
        "draft-1", "zh", "single", "表示要求使用哪个能愿动词？", ("应", "宜", "可"), (0,), (),
        "", "", "", "", (), 0, "", "draft",
    )  # fmt: skip
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        await records.upsert_items([draft])
        await site.sign_in(LI)
        page = await (await site.client.get("/questions", params={"status": "draft"})).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        refused = await site.client.post(
            "/questions/draft-1/status", data={"csrf": csrf, "status": "published"}
        )
        text = html.unescape(await refused.text())
        assert refused.status == 400
        assert "draft-1 还不能发布" in text and "能力" in text
        assert (await records.item("draft-1")).status == "draft"
        leaf = site.core.services.model.leaves()[0].id
        tagged = replace(draft, competencies=(leaf,), level=1, bloom="remember")
        await records.upsert_items([tagged])
        done = await site.client.post(
            "/questions/draft-1/status", data={"csrf": csrf, "status": "published"}
        )
        assert "draft-1: published" in await done.text()
        assert (await records.item("draft-1")).status == "published"


BAD_YAML = """defaults:
  competencies: [drafting]
  source_doc: drafting_rules.md
  level: 1
  bloom: remember
questions:
  - id: web-1
    kind: single
    stem: 表示要求使用哪个能愿动词？
    options: [应, 宜, 可]
    answer: 应
  - id: web-2
    kind: single
    stem: 表示推荐使用哪个能愿动词？
    options: [应, 宜]
    answer: {answer}
""".format(answer="必须" * 60)


def _results(page: str) -> list[tuple[str, str, list[str]]]:
    """Each result line: its kind, its text, and the reasons listed under it."""
    found = re.findall(r'<li class="(ok|bad)">([^<]*)(?:<ul class="reasons">(.*?)</ul>)?', page)
    return [
        (
            kind,
            html.unescape(text).strip(),
            [html.unescape(r) for r in re.findall(r"<li>([^<]*)</li>", reasons)],
        )
        for kind, text, reasons in found
    ]


async def test_a_bad_question_file_is_explained_in_the_instructors_language(tmp_path):
    async with web_site(tmp_path) as site:
        await site.sign_in(LI)  # no language of their own: the console's Chinese
        form = _files(("questions.yaml", BAD_YAML.encode()), csrf=await site.csrf())
        page = await (await site.client.post("/materials", data=form)).text()
        shown = "'" + "必须" * 39 + "…"  # the bad value's repr, cut to 80 characters
        assert _results(page) == [
            ("bad", "questions.yaml：新增 1 题，更新 0 题，1 题有问题未导入。",
             [f"• 第 12 行：答案 {shown} 不是任何一个选项。"]),
        ]  # fmt: skip
        assert "one of the options" not in page
        assert await site.core.services.records.item("web-1") is not None

        await site.core.services.records.update_user(LI, lang="en")
        form = _files(("bank.yaml", BAD_YAML.encode()), csrf=await site.csrf())
        page = await (await site.client.post("/materials", data=form)).text()
        assert _results(page) == [
            ("bad", "bank.yaml: 0 questions added, 1 updated, 1 rejected.",
             [f"• Line 12: The answer {shown} is not one of the options."]),
        ]  # fmt: skip
        assert "不是任何一个选项" not in page


async def test_the_library_shows_who_loaded_each_document(tmp_path):
    async with web_site(tmp_path) as site:
        (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
        assert not site.core.services.ingestor.ingest([tmp_path / "handbook.md"]).failed
        await site.sign_in(LI)
        form = _files(("notes.txt", NOTES.encode()), csrf=await site.csrf())
        page = await (await site.client.post("/materials", data=form)).text()
        loaders = re.findall(r'<td>([^<]+)</td><td>\w+</td><td class="num">\d+</td>\s*'
                             r'<td>[^<]+</td><td class="loader">([^<]+)</td>', page)  # fmt: skip
        assert loaders == [("handbook.md", "服务器命令行"), ("notes.txt", "李老师")], loaders


async def test_a_different_file_of_a_loaded_name_is_replaced_only_when_ticked(tmp_path):
    async with web_site(tmp_path) as site:
        (tmp_path / "drafting_rules.md").write_text("# Rules\n\nUse shall.\n", encoding="utf-8")
        assert not site.core.services.ingestor.ingest([tmp_path / "drafting_rules.md"]).failed
        await site.sign_in(LI)
        form = _files(
            ("notes.md", b"# Calibration notes\n\nLabels are blue.\n"), csrf=await site.csrf()
        )
        await site.client.post("/materials", data=form)
        other = b"# Other notes\n\nWrenches are labelled in red.\n"

        form = _files(("notes.md", other), csrf=await site.csrf())
        page = await (await site.client.post("/materials", data=form)).text()
        [(kind, line)] = re.findall(r'<li class="(ok|bad)">([^<]*)</li>', page)
        assert kind == "bad" and "没有替换" in line and "由李老师于" in line, line
        [doc] = [d for d in site.core.services.ingestor.store.documents() if d.doc == "notes.md"]
        assert doc.title == "Calibration notes"

        form = FormData()
        form.add_field("csrf", await site.csrf())
        form.add_field("replace", "1")
        form.add_field("files", other, filename="notes.md")
        page = await (await site.client.post("/materials", data=form)).text()
        assert "已替换：Other notes" in html.unescape(page)

        [rules] = [
            d for d in site.core.services.ingestor.store.documents() if d.doc == "drafting_rules.md"
        ]
        csrf = await site.csrf(f"/materials/{rules.doc_id}/remove")
        done = await site.client.post(f"/materials/{rules.doc_id}/remove", data={"csrf": csrf})
        assert "只有管理员" in await done.text()
        assert site.core.services.ingestor.store.document(rules.doc_id) is not None
