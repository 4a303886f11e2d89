"""Work in flight: a question or an upload is written down while the core handles it, cleared
when the handling ends (with an answer or an error reply), and what a crash or a kill cut off
is told once, on the next start, in the person's language: what to send again."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import ChatCore
from bot.events import Incoming, Out, Reply, Upload
from bot.services import Policy, Services
from ingest.pipeline import Ingestor
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.embeddings import HashEmbedder
from knowledge.learning.model import load_model
from knowledge.records import Records
from tests.standins.telegram import BotApiStandin
from tests.telegram_harness import ANN, INSTRUCTOR, TOKEN, running_bot, until
from tests.test_fakes import WRENCH, fake_tutor

pytestmark = pytest.mark.asyncio(loop_scope="session")

QUESTION = (
    "扭矩扳手多久校准一次？请告诉我校准周期、由哪个实验室负责校准、校准记录保存在哪里，"
    "以及超期未校准的扳手应该如何处理，谢谢老师的耐心解答"
)
SHORT = "扭矩扳手多久校准一次？请告诉我校准周期、由哪个实验室负责校准、校准记录保存在哪里，以及超期未校准的扳手应该如何处理，谢…"  # noqa: E501 - 59 characters and an ellipsis
TOLD_QUESTION = f"我刚才重启了，没来得及回答你的问题“{SHORT}”，请再发一次。"
TOLD_UPLOAD = (
    "I restarted before I could finish indexing “handbook.md”; please send the file again."
)
ANN_ZH, LI_EN, GROUP = 7001, 8001, -100500


def core_over(records: Records) -> ChatCore:
    """A chat core on the fakes (open access) over `records`."""
    tutor = fake_tutor()
    ingestor = Ingestor(tutor.retriever.store, HashEmbedder(), 20 * 1024 * 1024)  # type: ignore[arg-type]
    canonical = CanonicalIndex(HashEmbedder())
    return ChatCore(Services(tutor, records, ingestor, canonical, load_model(), Policy("open")))


def pushing(core: ChatCore) -> list[tuple[int, str, str]]:
    """Give `core` a channel push that notes (chat, language, text) of each reply it carries."""
    told: list[tuple[int, str, str]] = []

    async def push(chat_id: int, items: AsyncIterator[Out]) -> None:
        async for item in items:
            assert isinstance(item, Reply)
            told.append((chat_id, item.lang, item.text))

    core.services.push = push
    return told


async def replies(core: ChatCore, event: Incoming) -> list[Reply]:
    return [o async for o in core.respond(event) if isinstance(o, Reply)]


async def in_flight_soon(records: Records, count: int) -> None:
    async with asyncio.timeout(10):
        while len(await records.work_in_flight()) < count:
            await asyncio.sleep(0.01)


async def hang(*_args, **_kwargs):
    """What an answer or a download does when the process is about to be killed: never end."""
    await asyncio.Event().wait()
    yield  # an async generator, like the tutor's stream


async def crash_mid_work(records_url: str) -> None:
    """A question (in a group, by a zh trainee) and an upload (by an en instructor) are being
    handled when the process dies: the handling never ends, nothing after it runs."""
    records = await Records.open(records_url)
    await records.ensure_user(LI_EN, name="Li", role="instructor", lang="en")
    core = core_over(records)
    core.services.tutor.stream = hang  # type: ignore[method-assign]

    async def fetch(_path: Path) -> None:
        await asyncio.Event().wait()

    asked = Incoming(ANN_ZH, QUESTION, lang="zh", chat_id=GROUP)
    upload = Incoming(LI_EN, upload=Upload("handbook.md", 100, fetch), lang="en", chat_id=LI_EN)
    tasks = []
    for n, event in enumerate((asked, upload), 1):  # one after the other: a known order
        tasks.append(asyncio.create_task(replies(core, event)))
        await in_flight_soon(records, n)
    for task in tasks:  # the kill: the work is cut off where it stands
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await records.close()


async def test_a_question_is_in_flight_while_answered_and_nothing_is_left_after(records_url):
    records = await Records.open(records_url)
    try:
        core = core_over(records)
        seen = []
        async for _item in core.respond(Incoming(1, "How often is the torque wrench calibrated?")):
            seen.append(await records.work_in_flight())
        [[during], *_] = seen  # from the first thing shown ("typing…") to the answer
        assert (during.user_id, during.chat_id, during.kind, during.lang) == (
            1,
            1,
            "question",
            "en",
        )
        assert during.about == "How often is the torque wrench calibrated?"
        assert all(len(s) == 1 for s in seen)  # one insert, kept until the answer is out
        assert await records.work_in_flight() == []  # ... and one delete after it
        # A command is no slow work: nothing is written down for it.
        async for _ in core.respond(Incoming(1, command="help")):
            assert await records.work_in_flight() == []
    finally:
        await records.close()


async def test_an_error_reply_clears_the_work_and_a_records_failure_loses_no_reply(records_url):
    records = await Records.open(records_url)
    try:
        core = core_over(records)
        during = []

        async def broken(*_args, **_kwargs):
            during.append(await records.work_in_flight())
            raise RuntimeError("the index is gone")
            yield

        core.services.tutor.stream = broken  # type: ignore[method-assign]
        [failed] = await replies(
            core, Incoming(1, "How often is the wrench calibrated?", lang="en")
        )
        assert failed.kind == "error"
        assert [len(s) for s in during] == [1] and await records.work_in_flight() == []

        core = core_over(records)  # the records refuse the note: the answer still comes

        async def refuse(*_args, **_kwargs):
            raise OSError("disk full")

        records.begin_work = refuse  # type: ignore[method-assign]
        *_, answer = await replies(core, Incoming(1, "How often is the torque wrench calibrated?"))
        assert answer.text == f"{WRENCH} [1]"
    finally:
        await records.close()


async def test_after_a_crash_each_person_is_told_once_in_their_language(records_url):
    await crash_mid_work(records_url)
    for restart in (1, 2):
        records = await Records.open(records_url)
        try:
            core = core_over(records)
            told = pushing(core)
            assert await core.resume() == (2 if restart == 1 else 0)
            if restart == 1:
                assert told == [(GROUP, "zh", TOLD_QUESTION), (LI_EN, "en", TOLD_UPLOAD)]
            else:
                assert told == []  # the second restart repeats nothing
            assert await records.work_in_flight() == []
        finally:
            await records.close()


async def test_without_a_channel_that_can_push_the_leftovers_wait_for_one(records_url):
    await crash_mid_work(records_url)
    records = await Records.open(records_url)
    try:
        assert await core_over(records).resume() == 0  # the console chat: nobody to push to
        assert len(await records.work_in_flight()) == 2
        later = core_over(records)
        # Work begun in this run is not a leftover, even when this run's channel starts late.
        await records.begin_work(
            user_id=ANN_ZH, chat_id=ANN_ZH, kind="question", about="q", lang="zh"
        )
        told = pushing(later)
        assert await later.resume() == 2
        assert [chat for chat, _, _ in told] == [GROUP, LI_EN]
        assert [w.about for w in await records.work_in_flight()] == ["q"]
    finally:
        await records.close()


async def test_telegram_tells_the_asker_once_after_a_crash_and_an_answer_leaves_nothing(
    pack_app, records_url
):
    records = await Records.open(records_url)
    await records.ensure_identified(("telegram", str(ANN)), name="Ann", role="trainee", lang="zh")
    core = core_over(records)
    core.services.tutor.stream = hang  # type: ignore[method-assign]
    task = asyncio.create_task(replies(core, Incoming(ANN, QUESTION, lang="zh", chat_id=ANN)))
    await in_flight_soon(records, 1)
    task.cancel()  # the process is killed mid-answer
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await records.close()

    async with running_bot(pack_app, records_url) as bot:  # the restart
        await until(lambda: len(bot.api.sent(ANN)) >= 1)
        await bot.api.wait_idle(quiet=0.4, timeout=30)
        assert [m["text"] for m in bot.api.sent(ANN)] == [TOLD_QUESTION]
        assert await bot.core.services.records.work_in_flight() == []
        *_, answer = await bot.say(ANN, "联盟有哪六类人才？")
        assert "[1]" in answer["text"]
        assert await bot.core.services.records.work_in_flight() == []  # answered: nothing left
    async with running_bot(pack_app, records_url) as bot:  # a second restart: nothing again
        await bot.api.wait_idle(quiet=0.6, timeout=30)
        assert bot.api.sent(ANN) == []


SIX = "联盟有哪六类人才？"
KEPT = "联盟的国际型人才要具备哪些能力？"


async def test_a_question_kept_for_the_rate_limit_is_in_flight_and_told_after_a_restart(
    pack_app, records_url
):
    """One question a "minute" (10 minutes here): the second is kept to answer later, and
    stays written down while it waits; the bot stops before its turn, and the next start
    tells the asker to send it again."""
    async with running_bot(pack_app, records_url, per_minute=1, window=600.0) as bot:
        await bot.enrol(ANN)
        [answer] = await bot.say(ANN, SIX)
        assert "研究型" in answer["plain_text"]
        [queued] = await bot.say(ANN, KEPT)
        assert "这个问题我记下了" in queued["plain_text"]
        [kept] = await bot.core.services.records.work_in_flight()
        assert (kept.user_id, kept.chat_id, kept.kind, kept.lang) == (ANN, ANN, "question", "zh")
        assert kept.about == KEPT
    async with running_bot(pack_app, records_url, per_minute=1, window=600.0) as bot:
        await until(lambda: len(bot.api.sent(ANN)) >= 1)
        await bot.api.wait_idle(quiet=0.4, timeout=30)
        told = f"我刚才重启了，没来得及回答你的问题“{KEPT}”，请再发一次。"
        assert [m["text"] for m in bot.api.sent(ANN)] == [told]
        assert await bot.core.services.records.work_in_flight() == []


async def test_a_kept_question_answered_in_its_turn_leaves_nothing_in_flight(pack_app, records_url):
    async with running_bot(pack_app, records_url, per_minute=1, window=3.0) as bot:
        await bot.enrol(ANN)
        await bot.say(ANN, SIX)
        [queued] = await bot.say(ANN, SIX + " ")
        assert "这个问题我记下了" in queued["plain_text"]
        assert len(await bot.core.services.records.work_in_flight()) == 1
        await until(lambda: sum("研究型" in m["plain_text"] for m in bot.api.sent(ANN)) == 2)
        await bot.api.wait_idle(quiet=0.4, timeout=30)
        assert await bot.core.services.records.work_in_flight() == []


class Stalling:
    """An embedder that gets a tenth of the way, then hangs, as a process about to be killed
    does (released at the end of the test: the thread must not outlive it)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def embed_passages(self, texts, step=None):
        time.sleep(1.2)  # the status message is edited at most once a second
        if step:
            step(max(1, len(texts) // 10))
        self.release.wait(60)
        raise OSError(5, "cut off")  # never seen: the handling ended with the process


NOTES = "# Notes\n\n" + "".join(
    f"## Part {i}\n\nThe lab in room {i} opens at {i} o'clock for calibration work.\n\n"
    for i in range(1, 31)
)


async def test_a_status_message_a_crash_left_mid_upload_is_edited_to_say_send_it_again(
    make_app, records_url
):
    """An upload is being indexed when the process dies: its status message stays at
    "Indexing …". The next start edits that message to say the upload did not finish, in the
    uploader's language, besides the notice of what to send again."""
    app = make_app()
    stalling = Stalling()
    app.ingestor.embedder = stalling  # type: ignore[assignment]
    async with BotApiStandin(token=TOKEN) as api:
        try:
            async with running_bot(app, records_url, api=api) as bot:
                await bot.enrol(INSTRUCTOR, "instructor")
                records = bot.core.services.records
                await records.update_user(INSTRUCTOR, lang="en")
                handling: list[asyncio.Task] = []
                begin = records.begin_work

                async def noting(**work):  # the task handling the upload, to kill it
                    handling.append(asyncio.current_task())
                    return await begin(**work)

                records.begin_work = noting  # type: ignore[method-assign]
                api.add_file("notes-1", NOTES.encode())
                api.document(INSTRUCTOR, "notes-1", "notes.md", len(NOTES.encode()))
                await until(
                    lambda: any(m["text"].startswith("Indexing") for m in api.sent(INSTRUCTOR)),
                    timeout=30,
                )
                [status] = api.sent(INSTRUCTOR)
                assert re.fullmatch(r"Indexing notes\.md: \d+/\d+ passages", status["text"])
                [work] = await records.work_in_flight()
                assert (work.kind, work.about, work.status_chat_id, work.status_message_id) == (
                    "upload", "notes.md", INSTRUCTOR, status["message_id"]
                )  # fmt: skip
                [task] = handling
                task.cancel()  # the kill: the upload is cut off where it stands
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                stalling.release.set()
                await api.wait_idle(quiet=0.3)
                assert api.sent(INSTRUCTOR)[-1]["text"] == status["text"]  # stuck
            async with running_bot(app, records_url, api=api) as bot:  # the restart
                key = (INSTRUCTOR, status["message_id"])
                await until(lambda: len(api.sent(INSTRUCTOR)) >= 2, timeout=30)
                await api.wait_idle(quiet=0.4, timeout=30)
                assert api.messages[key]["text"] == (
                    "“notes.md” was not loaded: I restarted before it was done. "
                    "Please send the file again."
                )
                assert [m["text"] for m in api.sent(INSTRUCTOR)] == [
                    api.messages[key]["text"],
                    "I restarted before I could finish indexing “notes.md”; please send the "
                    "file again.",
                ]
                assert await bot.core.services.records.work_in_flight() == []
            async with running_bot(app, records_url, api=api) as bot:  # nothing again
                await api.wait_idle(quiet=0.6, timeout=30)
                assert len(api.sent(INSTRUCTOR)) == 2
        finally:
            stalling.release.set()
