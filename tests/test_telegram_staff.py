"""Instructors and admins in Telegram, webhook mode, and the records on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import socket
import time

import pytest

from tests.postgres import POSTGRES_URL, postgres_schema
from tests.telegram_harness import (
    ADMIN,
    ANN,
    BOB,
    INSTRUCTOR,
    TOKEN,
    button_data,
    buttons,
    running_bot,
    until,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

HANDBOOK = """# 苏州标准化实训手册

## 实训安排

每期实训为期十二周，学员在第六周提交一份企业标准草案。
""" + "".join(
    f"\n## 第{n}单元\n\n本单元练习第{n}类标准文本的起草、评审和修改，并完成一次小组互评。\n"
    for n in range(1, 41)
)


class SlowEmbedder:
    """The bundled model, taking its time over passages as on a big upload."""

    def __init__(self) -> None:
        from knowledge.answering.embeddings import BundledE5

        self.inner = BundledE5()
        self.name = f"slow-{self.inner.name}"  # its own entries in the shared embedding cache

    def embed_passages(self, texts):
        time.sleep(0.5)
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


@pytest.fixture
async def staff_bot(make_app, records_url):
    """A bot over an empty index of its own (instructors change it), with staff enrolled."""
    async with running_bot(make_app(embedder=SlowEmbedder()), records_url) as bot:
        await bot.enrol(INSTRUCTOR, "instructor")
        await bot.enrol(ANN)
        yield bot


async def test_an_instructor_uploads_lists_and_removes_material(staff_bot):
    bot = staff_bot
    bot.api.add_file("f-handbook", HANDBOOK.encode())
    bot.api.document(INSTRUCTOR, "f-handbook", "实训手册.md", len(HANDBOOK.encode()))
    await bot.api.wait_for("editMessageText", lambda c: "已加入" in c.params["text"], timeout=60)
    [status] = bot.api.sent(INSTRUCTOR)  # one status message, kept up to date, then the summary
    shown = [c.params["text"] for c in bot.api.calls if c.method == "editMessageText"]
    assert any(re.search(r"正在索引 实训手册.md：\d+/\d+ 段", text) for text in shown), shown
    assert "已加入" in status["text"] and "苏州标准化实训手册" in status["text"]

    [answer] = await bot.say(ANN, "实训为期多少周？")
    assert "十二周" in answer["plain_text"] and "苏州标准化实训手册" in answer["plain_text"]

    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert "实训手册.md" in listing["text"]
    [remove] = button_data(listing)
    [confirm] = await bot.press(INSTRUCTOR, listing, remove)
    await bot.press(INSTRUCTOR, confirm, "rmok:" + remove.split(":")[1])
    assert "已移除" in bot.api.messages[(INSTRUCTOR, confirm["message_id"])]["text"]
    [refusal] = await bot.say(ANN, "实训为期多少周？")
    assert "十二周" not in refusal["plain_text"]


async def test_feedback_is_one_paged_message_with_dismiss_beside_write(staff_bot):
    bot, records = staff_bot, staff_bot.core.services.records
    ids = [
        await records.log_question(
            user_id=ANN,
            chat_id=ANN,
            question=f"第{n}个没答上的问题？",
            lang="zh",
            answer="课程资料里没有找到这个问题的答案。",
            abstained=True,
            citations=[],
        )  # fmt: skip
        for n in range(1, 8)
    ]
    [listing] = await bot.say(INSTRUCTOR, "/feedback")  # one message, newest first
    text = listing["text"]
    assert text.startswith("待处理的问题：7 个（第 1/2 页）")
    assert [n for n in range(1, 8) if f"第{n}个" in text] == [3, 4, 5, 6, 7]
    assert text.index("1. ❓ 第7个") < text.index("5. ❓ 第3个")
    rows = [[(b["text"], b["callback_data"]) for b in row] for row in buttons(listing)]
    assert rows[0] == [("✍️ 1. 写标准答案", f"ans:{ids[6]}"), ("🗑 1. 忽略", f"fbx:{ids[6]}:0")]
    assert rows[-1] == [("下一页 ›", "fbp:1")]

    assert await bot.press(INSTRUCTOR, listing, "fbp:1") == []  # the same message, edited
    page = bot.api.messages[(INSTRUCTOR, listing["message_id"])]
    assert page["text"].startswith("待处理的问题：7 个（第 2/2 页）")
    assert "6. ❓ 第2个" in page["text"] and "7. ❓ 第1个" in page["text"]
    assert "第3个" not in page["text"]
    assert button_data(page)[-1] == "fbp:0" and "‹ 上一页" in str(buttons(page)[-1])

    assert await bot.press(INSTRUCTOR, page, f"fbx:{ids[0]}:1") == []
    page = bot.api.messages[(INSTRUCTOR, listing["message_id"])]
    assert page["text"].startswith(
        "已移出队列：“第1个没答上的问题？”\n\n待处理的问题：6 个（第 2/2 页）"
    )
    assert f"ans:{ids[0]}" not in button_data(page) and f"fbx:{ids[1]}:1" in button_data(page)
    assert ids[0] not in [q.id for q in await records.open_feedback()]
    [repeat] = await bot.say(INSTRUCTOR, "/feedback")
    assert "第1个" not in repeat["text"] and "6 个" in repeat["text"]

    [prompt] = await bot.press(INSTRUCTOR, page, f"ans:{ids[1]}")  # "write" still writes
    assert "第2个没答上的问题？" in prompt["text"]


async def test_feedback_pages_and_buttons_in_english(staff_bot):
    bot, records = staff_bot, staff_bot.core.services.records
    await records.update_user(INSTRUCTOR, lang="en")
    qid = await records.log_question(
        user_id=ANN, chat_id=ANN, question="Who writes the rules?", lang="en",
        answer="The alliance does.", abstained=False, citations=[],
    )  # fmt: skip
    assert await records.rate(qid, ANN, helpful=False)
    [listing] = await bot.say(INSTRUCTOR, "/feedback")
    assert listing["text"].startswith("Questions waiting: 1 (page 1 of 1)")
    assert "a trainee rated it 👎" in listing["text"]
    assert "Answer given: The alliance does." in listing["text"]
    labels = [b["text"] for row in buttons(listing) for b in row]
    assert labels == ["✍️ 1. Write the answer", "🗑 1. Dismiss"]  # one page: no Prev/Next
    await bot.press(INSTRUCTOR, listing, f"fbx:{qid}:0")
    shown = bot.api.messages[(INSTRUCTOR, listing["message_id"])]["text"]
    assert shown == (
        "Taken off the queue: “Who writes the rules?”\n\nNothing waiting: no 👎 and no "
        "unanswered questions."
    )


CAT = 7003  # a third trainee
KEY = (
    "实验室的钥匙放在哪里？",
    "钥匙放在实验室哪里？",
    "实验室钥匙放在哪里？",
)  # Ann's, Bob's, Cat's
DOOR = "实验室的门几点关？"  # another question
WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d"  # when a question was asked, in the queue


async def _paraphrases_asked(bot) -> None:
    """Three trainees ask one question the materials can't answer, each in their own words;
    then Ann asks something else."""
    await bot.enrol(BOB)
    await bot.enrol(CAT)
    for who, question in zip((ANN, BOB, CAT), KEY, strict=True):
        [refusal] = await bot.say(who, question)
        assert "没有" in refusal["plain_text"]
    await bot.say(ANN, DOOR)


async def test_paraphrases_are_one_entry_and_one_answer_serves_them_all(staff_bot):
    bot, records = staff_bot, staff_bot.core.services.records
    await _paraphrases_asked(bot)
    [listing] = await bot.say(INSTRUCTOR, "/feedback")
    assert re.fullmatch(
        "待处理的问题：2 个（第 1/1 页）\n\n"
        f"1\\. ❓ {DOOR}\n资料中没有答案 · {WHEN}\n\n"
        f"2\\. ❓ {KEY[2]} ×3\n其他问法：“{KEY[1]}”；“{KEY[0]}”\n资料中没有答案 · {WHEN}",
        listing["text"],
    ), listing["text"]
    waiting = {q.question: q.id for q in await records.open_feedback()}
    rows = [[(b["text"], b["callback_data"]) for b in row] for row in buttons(listing)]
    assert rows[1] == [("✍️ 2. 写标准答案", f"ans:{waiting[KEY[2]]}"),
                       ("🗑 2. 忽略", f"fbx:{waiting[KEY[2]]}:0")]  # fmt: skip

    [prompt] = await bot.press(INSTRUCTOR, listing, f"ans:{waiting[KEY[2]]}")
    assert KEY[2] in prompt["text"]
    [saved] = await bot.say(INSTRUCTOR, "钥匙在前台，登记后领取。")
    assert saved["text"].startswith(f"已保存。以后有人问“{KEY[2]}”")
    for who, question in zip((ANN, BOB, CAT), KEY, strict=True):  # each told, in their words
        told = f"老师回答了你的问题“{question}”：\n\n钥匙在前台，登记后领取。"
        await until(lambda who=who, told=told: any(m["text"] == told for m in bot.api.sent(who)))
    assert len(await records.canonicals()) == 1
    assert [q.question for q in await records.open_feedback()] == [DOOR]
    [again] = await bot.say(INSTRUCTOR, "/feedback")
    assert again["text"].startswith("待处理的问题：1 个（第 1/1 页）\n\n1. ❓ 实验室的门几点关？")
    for who, question in ((ANN, KEY[0]), (BOB, "实验室的钥匙在哪里？")):  # a variant, a new one
        [answer] = await bot.say(who, question)
        assert answer["plain_text"].startswith("钥匙在前台，登记后领取。")
        assert f"user{INSTRUCTOR}" in answer["plain_text"]


async def test_dismissing_an_entry_takes_every_paraphrase_off_the_queue(staff_bot):
    bot, records = staff_bot, staff_bot.core.services.records
    await _paraphrases_asked(bot)
    [listing] = await bot.say(INSTRUCTOR, "/feedback")
    waiting = {q.question: q.id for q in await records.open_feedback()}
    assert await bot.press(INSTRUCTOR, listing, f"fbx:{waiting[KEY[2]]}:0") == []
    page = bot.api.messages[(INSTRUCTOR, listing["message_id"])]["text"]
    assert re.fullmatch(
        f"已移出队列：“{KEY[2]}”及其他 2 种问法\n\n待处理的问题：1 个（第 1/1 页）\n\n"
        f"1\\. ❓ {DOOR}\n资料中没有答案 · {WHEN}",
        page,
    ), page
    assert [q.question for q in await records.open_feedback()] == [DOOR]
    assert await records.canonicals() == []


async def test_a_follow_up_is_shown_with_its_question_and_answered_for_the_whole_question(
    staff_bot,
):
    bot, records = staff_bot, staff_bot.core.services.records
    await bot.enrol(BOB)
    await bot.say(ANN, "ISO标准制定有几个阶段？")
    [thanks] = await bot.say(ANN, "谢谢")  # small talk: not the context of what follows
    await bot.say(ANN, "那IEC呢？")
    await bot.press(ANN, thanks, next(d for d in button_data(thanks) if d.startswith("dn:")))
    asked = [q.question for q in await records.open_feedback()]
    assert "谢谢" in asked  # rated 👎 in the records ...
    [listing] = await bot.say(INSTRUCTOR, "/feedback")
    assert "谢谢" not in listing["text"]  # ... but never in the instructors' queue
    assert re.fullmatch(
        "待处理的问题：2 个（第 1/1 页）\n\n"
        f"1\\. ❓ 那IEC呢？\n接着问：“ISO标准制定有几个阶段？”\n资料中没有答案 · {WHEN}\n\n"
        f"2\\. ❓ ISO标准制定有几个阶段？\n资料中没有答案 · {WHEN}",
        listing["text"],
    ), listing["text"]
    follow_up = next(q.id for q in await records.open_feedback() if q.question == "那IEC呢？")
    [prompt] = await bot.press(INSTRUCTOR, listing, f"ans:{follow_up}")
    assert "“那IEC呢？”是接着“ISO标准制定有几个阶段？”问的" in prompt["text"]
    [saved] = await bot.say(
        INSTRUCTOR, "问：IEC标准制定有几个阶段？\nIEC 的标准制定同样分为六个阶段。"
    )
    assert saved["text"].startswith("已保存。以后有人问“IEC标准制定有几个阶段？”")
    [canonical] = await records.canonicals()
    assert canonical.question == "IEC标准制定有几个阶段？"  # not "那IEC呢？"
    assert canonical.source_question_id == follow_up
    [answer] = await bot.say(BOB, "IEC标准制定有几个阶段？")  # asked on its own, by another
    assert answer["plain_text"].startswith("IEC 的标准制定同样分为六个阶段。")
    [iso] = await bot.say(BOB, "ISO标准制定有几个阶段？")  # still the other question
    assert "六个阶段" not in iso["plain_text"]


async def test_a_question_served_a_canonical_answer_is_the_context_of_a_follow_up(staff_bot):
    bot, records = staff_bot, staff_bot.core.services.records
    [refusal] = await bot.say(ANN, "ISO标准制定有几个阶段？")
    [listing] = await bot.say(INSTRUCTOR, "/feedback")
    await bot.press(INSTRUCTOR, listing, button_data(listing)[0])
    await bot.say(INSTRUCTOR, "ISO 的标准制定分为六个阶段。")
    await records.remember_question(ANN, "实训为期多少周？", 5)  # something else in between
    [served] = await bot.say(ANN, "ISO 标准的制定分为哪几个阶段")
    assert served["plain_text"].startswith("ISO 的标准制定分为六个阶段。")
    assert (await records.recent_questions(ANN))[-1] == "ISO 标准的制定分为哪几个阶段"
    await bot.say(ANN, "那IEC呢？")  # read with the ISO question, in the queue and by the tutor
    [listing] = await bot.say(INSTRUCTOR, "/feedback")
    assert "1. ❓ 那IEC呢？\n接着问：“ISO 标准的制定分为哪几个阶段”\n" in listing["text"]


async def test_bad_uploads_get_a_clear_reason(staff_bot):
    bot = staff_bot
    bot.api.add_file("f-bad", b"%PDF-1.7\nthis is not really a PDF")
    [status] = await _upload(bot, INSTRUCTOR, "f-bad", "broken.pdf", 31)
    assert "没能加载" in status["text"] and "broken.pdf" in status["text"]
    assert "已损坏" in status["text"] and "damaged" not in status["text"]  # one language

    big = 25 * 1024 * 1024
    bot.api.add_file("f-big", b"x", size=big)
    [too_big] = await _upload(bot, INSTRUCTOR, "f-big", "标准汇编.pdf", big)
    assert "stdtutor ingest" in too_big["text"] and "20 MB" in too_big["text"]
    assert not [
        c for c in bot.api.calls if c.method == "getFile" and c.params["file_id"] == "f-big"
    ]

    [wrong] = await _upload(bot, INSTRUCTOR, "f-bad", "photo.jpg", 10)
    assert "PDF、DOCX、PPTX" in wrong["text"]
    bot.api.add_file("f-ok", HANDBOOK.encode())
    [refused] = await _upload(bot, ANN, "f-ok", "notes.md", len(HANDBOOK.encode()))
    assert "只有讲师" in refused["text"]
    [not_allowed] = await bot.say(ANN, "/materials")
    assert "讲师" in not_allowed["text"]


def _bad_gift(prefix: str) -> bytes:
    """One good question (line 6), one of an unknown competency (line 13), one missing its
    competencies and bloom (line 16)."""
    return (
        "// @competencies: drafting\n// @level: 1\n// @bloom: remember\n"
        "// @source: drafting_rules.md#能愿动词\n// @lang: zh\n"
        f"::{prefix}-1:: 表示要求的能愿动词是？ {{=应 ~可 ~宜}}\n\n"
        "// @competencies: no-such-competency\n// @level: 1\n// @bloom: remember\n"
        "// @source: drafting_rules.md#能愿动词\n// @lang: zh\n"
        f"::{prefix}-2:: 表示允许的能愿动词是？ {{=可 ~应}}\n\n"
        "// @level: 1\n"
        f"::{prefix}-3:: 表示推荐的能愿动词是？ {{=宜 ~应}}\n"
    ).encode()


async def test_a_bad_question_file_is_explained_in_chinese_with_its_lines(staff_bot):
    bot = staff_bot
    gift = _bad_gift("zh")
    bot.api.add_file("f-zh-gift", gift)
    [summary] = await _upload(bot, INSTRUCTOR, "f-zh-gift", "题目.gift", len(gift))
    assert summary["text"] == (
        "题目.gift：新增 1 题，更新 0 题，2 题有问题未导入。\n"
        "• 第 13 行：能力模型里没有这个能力项：no-such-competency。\n"
        "• 第 16 行：缺少必填字段：competencies, bloom。"
    )
    latin = set(re.findall(r"[A-Za-z]+", summary["text"]))  # only what the file itself names
    assert latin == {"gift", "no", "such", "competency", "competencies", "bloom"}, latin
    assert await bot.core.services.records.item("zh-1") is not None
    assert await bot.core.services.records.item("zh-2") is None


async def test_a_bad_question_file_is_explained_in_english_to_an_english_instructor(staff_bot):
    bot = staff_bot
    await bot.core.services.records.update_user(INSTRUCTOR, lang="en")
    gift = _bad_gift("en")
    bot.api.add_file("f-en-gift", gift)
    [summary] = await _upload(bot, INSTRUCTOR, "f-en-gift", "bank.gift", len(gift))
    assert summary["text"] == (
        "bank.gift: 1 questions added, 0 updated, 2 rejected.\n"
        "• Line 13: Unknown competency: no-such-competency (not in the competency model).\n"
        "• Line 16: Missing: competencies, bloom."
    )
    assert not re.search(r"[\u4e00-\u9fff]", summary["text"])  # the file's name is Latin too


async def _upload(bot, user_id: int, file_id: str, name: str, size: int) -> list[dict]:
    before = len(bot.api.sent(user_id))
    bot.api.document(user_id, file_id, name, size)
    await until(lambda: len(bot.api.sent(user_id)) > before)
    await bot.api.wait_idle(quiet=1.5)  # the last edit of a status message waits its turn
    return bot.api.sent(user_id)[before:]


async def test_admins_invite_revoke_and_list_people(staff_bot):
    bot = staff_bot
    [usage] = await bot.say(ADMIN, "/invite wizard")
    assert "/invite" in usage["text"]
    [link] = await bot.say(ADMIN, "/invite instructor 2026B uses=2 days=3")
    code = re.search(r"start=([\w-]+)", link["text"]).group(1)
    [listing] = await bot.say(ADMIN, "/revoke")
    await bot.press(ADMIN, listing, f"rv:{code}")
    [refused] = await bot.say(BOB, f"/start {code}")
    assert "作废" in refused["text"]
    assert await bot.core.services.records.user(BOB) is None

    [people] = await bot.say(ADMIN, "/users")
    assert f"({INSTRUCTOR})" in people["text"] and f"({ANN})" in people["text"]
    [denied] = await bot.say(INSTRUCTOR, "/invite trainee")
    assert "管理员" in denied["text"]


async def test_webhook_mode_refuses_a_wrong_secret_token(make_app, records_url):
    port = _free_port()
    app = make_app(
        webhook_url="https://tutor.example.org:8443/hook",
        webhook_port=port,
        webhook_secret="right-secret",
    )
    async with running_bot(app, records_url) as bot:
        await bot.api.wait_for("setWebhook")
        await _listening(port)
        assert bot.api.webhook["secret_token"] == "right-secret"
        url = f"http://127.0.0.1:{port}/hook"
        update = bot.api.user_message(ADMIN, "/help")
        assert await bot.api.post_webhook(url, update, secret_token="wrong") == 403
        await bot.api.wait_idle(quiet=0.4)
        assert bot.api.sent(ADMIN) == []
        assert await bot.api.post_webhook(url, update, secret_token="right-secret") == 200
        await bot.api.wait_for("sendMessage")
        assert "/invite" in bot.api.sent(ADMIN)[0]["text"]
    assert TOKEN not in str(bot.api.webhook)


async def test_enrolment_and_questions_are_kept_in_postgresql(pack_app):
    async with postgres_schema() as schema:
        async with running_bot(pack_app, POSTGRES_URL, schema=schema) as bot:
            [link] = await bot.say(ADMIN, "/invite trainee 2026C research")
            code = re.search(r"start=([\w-]+)", link["text"]).group(1)
            await bot.say(ANN, f"/start {code}")
            [answer] = await bot.say(ANN, "联盟有哪六类人才？")
            assert "研究型" in answer["plain_text"]
        restart = {"schema": schema, "first_update_id": 5001}  # Telegram's ids go on
        async with running_bot(pack_app, POSTGRES_URL, **restart) as bot:
            user = await bot.core.services.records.user(ANN)
            assert (user.role, user.cohort, user.category) == ("trainee", "2026C", "research")
            [again] = await bot.say(ANN, "联盟有哪六类人才？")
            assert "研究型" in again["plain_text"]


async def _listening(port: int) -> None:
    """Telegram is told the webhook URL just before the server starts listening."""
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on port {port}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
