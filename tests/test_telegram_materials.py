"""Materials that are not lost, in Telegram: who loaded each document and when, a question
before a different file replaces one of the same name, the course pack's documents changed
by admins only, and the replaced version restored."""

from __future__ import annotations

import re

import pytest

from knowledge.answering.glossary import pack_dir
from tests.telegram_harness import ANN, BOB, INSTRUCTOR, running_bot, until

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
    await bot.api.wait_idle(quiet=1.5)  # the last edit of a status message waits its turn
    return bot.api.sent(user_id)[-1]


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
