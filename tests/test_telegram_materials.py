"""Materials that are not lost, in Telegram: who loaded each document and when, a question
before a different file replaces one of the same name, the course pack's documents changed
by admins only, and the replaced version or the removed document restored."""

from __future__ import annotations

import re

import pytest

from knowledge.answering.glossary import pack_dir
from tests.telegram_harness import ADMIN, ANN, BOB, INSTRUCTOR, buttons, running_bot, until

pytestmark = pytest.mark.asyncio(loop_scope="session")

NOTES_LI = """# 实训笔记

## 提交要求

学员在第六周提交一份企业标准草案，由导师审阅。
"""
NOTES_BOB = """# Bob's notes

## Deadlines

The draft is due in week nine.
"""


@pytest.fixture
async def bot(make_app, records_url):
    """A bot over an index of its own with the pack's drafting rules loaded on the command
    line, two instructors (INSTRUCTOR in Chinese, BOB in English) and a trainee."""
    app = make_app()
    assert not app.ingestor.ingest([pack_dir() / "drafting_rules.md"]).failed
    async with running_bot(app, records_url) as harness:
        await harness.enrol(INSTRUCTOR, "instructor")
        await harness.enrol(BOB, "instructor")
        await harness.core.services.records.update_user(BOB, lang="en")
        await harness.enrol(ANN)
        yield harness


async def upload(bot, user_id: int, name: str, text: str) -> dict:
    """Send `text` as the file `name`; the last message the bot sent or edited for it."""
    data = text.encode()
    file_id = f"f-{user_id}-{len(bot.api.calls)}"
    bot.api.add_file(file_id, data)
    before = len(bot.api.sent(user_id))
    bot.api.document(user_id, file_id, name, len(data))
    await until(lambda: len(bot.api.sent(user_id)) > before)
    await until(lambda: not bot.api.sent(user_id)[-1]["text"].startswith(BUSY), timeout=60)
    await bot.api.wait_idle(quiet=0.5)
    return bot.api.sent(user_id)[-1]


async def pressed(bot, user_id: int, message: dict, data: str) -> None:
    """Press a button whose work edits `message` with progress first, until it is done."""
    await bot.press(user_id, message, data)
    key = (user_id, message["message_id"])
    await until(lambda: not bot.api.messages[key]["text"].startswith(BUSY), timeout=60)
    await bot.api.wait_idle(quiet=0.5)


BUSY = ("正在", "Receiving", "Reading", "Indexing", "Replacing")  # a status message's progress


async def test_materials_show_who_loaded_each_document_and_when(bot):
    shown = await upload(bot, INSTRUCTOR, "notes.md", NOTES_LI)
    assert "已加入" in shown["text"]

    [listing] = await bot.say(INSTRUCTOR, "/materials")
    text = listing["text"]
    notes = re.search(r"实训笔记 — notes\.md · zh · 1 段\n\s+(.*)", text)
    assert notes and re.fullmatch(r"user8001于 20\d\d-\d\d-\d\d \d\d:\d\d 加载", notes[1]), text
    assert re.search(r"drafting_rules\.md .*\n\s+服务器命令行于 20\d\d-", text), text

    [english] = await bot.say(BOB, "/materials")
    loaded = r"notes\.md · zh · 1 passages\n\s+loaded by user8001, 20\d\d-"
    assert re.search(loaded, english["text"])
    assert "loaded by the server's command line" in english["text"]


def labels(message: dict) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in buttons(message) for b in row]


async def test_a_different_file_of_a_loaded_name_asks_first_and_cancel_keeps_the_first(bot):
    assert "已加入" in (await upload(bot, INSTRUCTOR, "notes.md", NOTES_LI))["text"]

    asked = await upload(bot, BOB, "notes.md", NOTES_BOB)
    assert re.fullmatch(
        r"notes\.md is already loaded with different content: “实训笔记”, 1 passages, loaded by "
        r"user8001, 20\d\d-\d\d-\d\d \d\d:\d\d\.\nReplace it with the new file\? The old version "
        r"is kept; /restore brings it back\.",
        asked["text"],
    ), asked["text"]
    [(replace, _), (cancel, data)] = labels(asked)
    assert (replace, cancel) == ("Replace", "Cancel") and data.startswith("rplno:")
    await bot.press(BOB, asked, data)
    shown = bot.api.messages[(BOB, asked["message_id"])]
    assert shown["text"] == "Cancelled; “实训笔记” (notes.md) stays as it was."
    assert not buttons(shown)

    [answer] = await bot.say(ANN, "学员在第几周提交企业标准草案？")
    assert "第六周" in answer["plain_text"] and "实训笔记" in answer["plain_text"]
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert "实训笔记 — notes.md" in listing["text"] and "Bob" not in listing["text"]

    again = await upload(bot, INSTRUCTOR, "notes.md", NOTES_LI)  # the same content: no question
    assert "内容未变" in again["text"] and not buttons(again)


async def test_replace_replaces_and_restore_brings_the_previous_version_back(bot):
    await upload(bot, INSTRUCTOR, "notes.md", NOTES_LI)
    asked = await upload(bot, BOB, "notes.md", NOTES_BOB)
    [(_, data), _] = labels(asked)
    assert data.startswith("rpl:")
    await pressed(bot, BOB, asked, data)
    replaced = bot.api.messages[(BOB, asked["message_id"])]
    assert replaced["text"].startswith("Replaced: Bob's notes\nnotes.md · 1 passages"), replaced
    [(restore_label, restore)] = labels(replaced)
    assert restore_label == "↩ Restore the previous version" and restore.startswith("rst:")

    [answer] = await bot.say(ANN, "When is the draft due?")
    assert "week nine" in answer["plain_text"]
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert re.search(r"Bob's notes — notes\.md · en · 1 段\n\s+user7002于 ", listing["text"])

    [restored] = await bot.say(INSTRUCTOR, "/restore notes.md")
    assert re.fullmatch(
        r"已恢复 notes\.md 的上一版：《实训笔记》，1 段，由user8001于 20[\d: -]+ 加载。",
        restored["text"],
    ), restored["text"]
    [answer] = await bot.say(ANN, "学员在第几周提交企业标准草案？")
    assert "第六周" in answer["plain_text"] and "实训笔记" in answer["plain_text"]
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert "实训笔记 — notes.md" in listing["text"] and "Bob" not in listing["text"]

    [undone] = await bot.press(BOB, replaced, restore)  # a restore is undone by another
    assert undone["text"].startswith("Restored the previous version of notes.md: “Bob's notes”")
    [answer] = await bot.say(ANN, "When is the draft due?")
    assert "week nine" in answer["plain_text"]

    [pick] = await bot.say(INSTRUCTOR, "/restore")  # no name: what can be restored, to tap
    assert pick["text"].startswith("用法：/restore 文件名。") and labels(pick) == [
        ("↩ notes.md", restore)
    ]
    [none] = await bot.say(INSTRUCTOR, "/restore missing.md")
    assert none["text"] == "missing.md 没有可恢复的旧版。"


def passages_of(listing: dict, doc: str) -> int:
    return int(re.search(rf"— {re.escape(doc)} · \w+ · (\d+) ", listing["text"])[1])


async def test_only_an_admin_replaces_removes_or_restores_a_course_pack_document(bot):
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    pack_passages = passages_of(listing, "drafting_rules.md")
    assert pack_passages > 1
    forged = "# 我的起草规则\n\n条款一律用“必须”。\n"

    refused = await upload(bot, INSTRUCTOR, "drafting_rules.md", forged)
    assert refused["text"] == (
        "没能加载 drafting_rules.md：它属于随附的课程资料包，只有管理员可以替换或移除。"
    )
    assert not buttons(refused)
    [remove] = [d for _, d in labels(listing) if d.startswith("rm:")]
    [no] = await bot.press(INSTRUCTOR, listing, remove)
    assert no["text"] == "drafting_rules.md 属于随附的课程资料包，只有管理员可以替换、移除或恢复。"
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert passages_of(listing, "drafting_rules.md") == pack_passages

    asked = await upload(bot, ADMIN, "drafting_rules.md", forged)  # an admin is asked, then may
    assert "drafting_rules.md" in asked["text"] and "服务器命令行" in asked["text"]
    [(_, data), _] = labels(asked)
    await pressed(bot, ADMIN, asked, data)
    assert "已替换" in bot.api.messages[(ADMIN, asked["message_id"])]["text"]
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert passages_of(listing, "drafting_rules.md") == 1

    [no] = await bot.say(INSTRUCTOR, "/restore drafting_rules.md")
    assert "只有管理员" in no["text"]
    [restored] = await bot.say(ADMIN, "/restore drafting_rules.md")
    assert f"，{pack_passages} 段，由服务器命令行于" in restored["text"]
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert passages_of(listing, "drafting_rules.md") == pack_passages


async def test_a_removed_document_is_listed_to_restore_and_restore_brings_it_back(bot):
    await upload(bot, INSTRUCTOR, "notes.md", NOTES_LI)
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    [remove] = [d for label, d in labels(listing) if "notes.md" in label]
    [confirm] = await bot.press(INSTRUCTOR, listing, remove)
    [(_, yes), _] = labels(confirm)
    await bot.press(INSTRUCTOR, confirm, yes)
    removed = bot.api.messages[(INSTRUCTOR, confirm["message_id"])]
    assert removed["text"] == (
        "已移除《实训笔记》，以后不会再被检索到。用 /restore notes.md 可以恢复。"
    )
    [answer] = await bot.say(ANN, "学员在第几周提交企业标准草案？")
    assert "实训笔记" not in answer["plain_text"]

    [pick] = await bot.say(BOB, "/restore")  # the removed document, marked, to tap
    assert pick["text"] == (
        "Usage: /restore FILE. Documents with an earlier version kept, or removed:"
    )
    [(label, data)] = labels(pick)
    assert label == "↩ notes.md (removed)" and data.startswith("rst:")
    [restored] = await bot.press(BOB, pick, data)
    assert re.fullmatch(
        r"Restored the removed notes\.md: “实训笔记”, 1 passages, loaded by user8001, "
        r"20[\d: -]+\.",
        restored["text"],
    ), restored["text"]
    [answer] = await bot.say(ANN, "学员在第几周提交企业标准草案？")
    assert "第六周" in answer["plain_text"] and "实训笔记" in answer["plain_text"]
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert "实训笔记 — notes.md" in listing["text"]
    [none] = await bot.say(INSTRUCTOR, "/restore")
    assert none["text"] == "用法：/restore 文件名。目前没有可恢复的旧版或已移除的资料。"


async def test_a_removed_course_pack_document_is_restored_by_an_admin_only(bot):
    [listing] = await bot.say(ADMIN, "/materials")
    pack_passages = passages_of(listing, "drafting_rules.md")
    [remove] = [d for label, d in labels(listing) if "drafting_rules.md" in label]
    [confirm] = await bot.press(ADMIN, listing, remove)
    [(_, yes), _] = labels(confirm)
    await bot.press(ADMIN, confirm, yes)
    [empty] = await bot.say(INSTRUCTOR, "/materials")
    assert "drafting_rules.md" not in empty["text"]

    [no] = await bot.say(INSTRUCTOR, "/restore drafting_rules.md")
    assert no["text"] == "drafting_rules.md 属于随附的课程资料包，只有管理员可以替换、移除或恢复。"
    [restored] = await bot.say(ADMIN, "/restore drafting_rules.md")
    assert restored["text"].startswith("已恢复已移除的 drafting_rules.md：")
    [listing] = await bot.say(INSTRUCTOR, "/materials")
    assert passages_of(listing, "drafting_rules.md") == pack_passages
