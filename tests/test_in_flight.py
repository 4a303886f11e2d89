"""Work in flight: a question or an upload is written down while the core handles it, cleared
when the handling ends (with an answer or an error reply), and what a crash or a kill cut off
is told once, on the next start, in the person's language: what to send again."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import re
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace
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
from tests.standins.openai_server import FakeOpenAI
from tests.standins.telegram import BotApiStandin
from tests.telegram_harness import (
    ANN,
    INSTRUCTOR,
    TOKEN,
    button_data,
    buttons,
    running_bot,
    until,
)
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
        self.started = False

    def embed_passages(self, texts, step=None):
        self.started = True
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


FDIS = "How long is the FDIS ballot?"
STREAMED = "The FDIS ballot lasts eight weeks, and every ISO member body may vote on it [1]. " * 8
CUT_OFF = f"I restarted while answering “{FDIS}”, so this answer was cut off; please ask again."


async def noted(records: Records, condition) -> list:
    """The work in flight, once `condition(work)` holds of it (polled: the bot is at work)."""
    async with asyncio.timeout(30):
        while not condition(work := await records.work_in_flight()):
            await asyncio.sleep(0.02)
    return work


def killable(records: Records) -> list[asyncio.Task]:
    """The tasks that write work down from now on (each handles an update), to kill them."""
    handling: list[asyncio.Task] = []
    begin = records.begin_work

    async def noting(**work):
        handling.append(asyncio.current_task())  # type: ignore[arg-type]
        return await begin(**work)

    records.begin_work = noting  # type: ignore[method-assign]
    return handling


async def kill(task: asyncio.Task) -> None:
    task.cancel()  # the kill: the work is cut off where it stands
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_an_answer_a_crash_cut_off_mid_stream_is_edited_to_say_ask_again(
    pack_app, records_url
):
    """An LLM's answer is streaming into its message when the process dies: the half-written
    answer would stay, looking like the answer. The next start edits it to say the answer was
    cut off and to ask again, in the asker's language, and sends nothing else."""
    from tests.test_llm import llm_tutor

    with FakeOpenAI() as fake:
        fake.enqueue(STREAMED, pace=0.25)  # some 20 s to stream: the kill comes well before
        app = replace(pack_app, tutor=llm_tutor(pack_app, fake, timeout=60.0))
        async with BotApiStandin(token=TOKEN) as api:
            async with running_bot(app, records_url, api=api) as bot:
                await bot.enrol(ANN)
                records = bot.core.services.records
                await records.update_user(ANN, lang="en")
                handling = killable(records)
                api.user_message(ANN, FDIS)
                await until(lambda: len(api.sent(ANN)) == 1, timeout=30)
                [half] = api.sent(ANN)
                assert STREAMED.startswith(half["text"]) and not buttons(half)
                [work] = await noted(records, lambda w: w and w[0].status_message_id)
                assert (work.kind, work.lang, work.about) == ("question", "en", FDIS)
                assert (work.status_chat_id, work.status_message_id) == (ANN, half["message_id"])
                [task] = handling
                await kill(task)
                await api.wait_idle(quiet=0.3)
                [stuck] = api.sent(ANN)
                assert STREAMED.startswith(stuck["text"]) and stuck["text"] != STREAMED
            asked, calls = len(fake.requests), len(api.calls)
            async with running_bot(app, records_url, api=api) as bot:  # the restart
                key = (ANN, half["message_id"])
                await until(lambda: api.messages[key]["text"] == CUT_OFF, timeout=30)
                await api.wait_idle(quiet=0.4, timeout=30)
                assert [m["text"] for m in api.sent(ANN)] == [CUT_OFF]  # no second line
                assert not buttons(api.messages[key])
                edited = [c for c in api.calls[calls:] if c.method == "editMessageText"]
                assert len(edited) == 1
                assert not [c for c in api.calls[calls:] if c.method == "sendMessage"]
                assert len(fake.requests) == asked  # the question is not answered again
                assert await bot.core.services.records.work_in_flight() == []
            calls = len(api.calls)
            async with running_bot(app, records_url, api=api):  # a second restart: nothing
                await api.wait_idle(quiet=0.6, timeout=30)
                changed = {"sendMessage", "editMessageText"}
                assert not [c for c in api.calls[calls:] if c.method in changed]
                assert [m["text"] for m in api.sent(ANN)] == [CUT_OFF]


OLD_NOTES = "# Old notes\n\nThe lab opens at nine.\n"
REPLACE_TOLD = "I restarted before I could finish indexing “notes.md”; please send the file again."
REPLACE_TOLD_ZH = "我刚才重启了，没来得及读完并索引《notes.md》，请再发一次这个文件。"
REPLACE_CUT_ZH = "《notes.md》没有加载完：我中途重启了。请再发一次这个文件。"


async def asked_to_replace(api: BotApiStandin, lang: str) -> dict:
    """INSTRUCTOR (enrolled, speaking `lang`) sends notes.md, then notes.md with other
    content: the question whether to replace it, with its Replace and Cancel."""
    for n, text in enumerate((OLD_NOTES, NOTES), 1):
        api.add_file(f"notes-{lang}-{n}", text.encode())
        api.document(INSTRUCTOR, f"notes-{lang}-{n}", "notes.md", len(text.encode()))
        await until(lambda n=n: len(api.sent(INSTRUCTOR)) == n, timeout=60)
        await until(
            lambda: (
                not api.sent(INSTRUCTOR)[-1]["text"].startswith(
                    ("Receiving", "Reading", "Indexing", "正在")
                )
            ),
            timeout=60,
        )
        await api.wait_idle(quiet=0.4)
    asked = api.sent(INSTRUCTOR)[-1]
    assert asked["text"].startswith(
        "notes.md is already loaded" if lang == "en" else "已经有一份名为 notes.md 的资料"
    ), asked["text"]
    assert len(button_data(asked)) == 2  # Replace, Cancel
    return copy.deepcopy(asked)  # as it was sent: the stand-in's record changes with edits


def replace_of(asked: dict) -> str:
    [data] = [d for d in button_data(asked) if d.startswith("rpl:")]
    return data


async def crash_mid_replace(app, records_url: str, api: BotApiStandin, lang: str) -> dict:
    """The instructor (in `lang`) is asked whether to replace notes.md and presses Replace;
    the process dies while the held upload is being indexed. The question, as it was left."""
    stalling = Stalling()
    embedder = app.ingestor.embedder
    try:
        async with running_bot(app, records_url, api=api) as bot:
            await bot.enrol(INSTRUCTOR, "instructor")
            records = bot.core.services.records
            await records.update_user(INSTRUCTOR, lang=lang)
            asked = await asked_to_replace(api, lang)
            app.ingestor.embedder = stalling
            handling = killable(records)
            api.callback(INSTRUCTOR, asked, replace_of(asked))
            [work] = await noted(records, bool)
            assert (work.kind, work.about, work.lang) == ("upload", "notes.md", lang)
            [task] = handling
            await until(lambda: stalling.started, timeout=30)  # mid-way through indexing
            await kill(task)
            stalling.release.set()
            await api.wait_idle(quiet=0.3)
    finally:
        stalling.release.set()
        app.ingestor.embedder = embedder
    return asked


async def test_a_replace_a_crash_cut_off_tells_the_instructor_to_send_the_file_again(
    make_app, records_url
):
    """ "Replace" under the question about a file of a loaded name is a button press that
    loads the held upload: it is work in flight as an upload is, and a restart mid-way tells
    the instructor to send the file again."""
    app = make_app()
    async with BotApiStandin(token=TOKEN) as api:
        await crash_mid_replace(app, records_url, api, "en")
        before = len(api.sent(INSTRUCTOR))
        async with running_bot(app, records_url, api=api) as bot:  # the restart
            await until(lambda: len(api.sent(INSTRUCTOR)) > before, timeout=30)
            await api.wait_idle(quiet=0.4, timeout=30)
            assert [m["text"] for m in api.sent(INSTRUCTOR)[before:]] == [REPLACE_TOLD]
            assert await bot.core.services.records.work_in_flight() == []
        async with running_bot(app, records_url, api=api):  # nothing again
            await api.wait_idle(quiet=0.6, timeout=30)
            assert len(api.sent(INSTRUCTOR)) == before + 1


async def test_the_question_whose_replace_a_crash_cut_off_loses_its_buttons(make_app, records_url):
    """The question whose Replace was pressed shows its Replace and Cancel until the replace
    is done: a crash mid-way left them live under a notice to send the file again. The next
    start edits the question to say so too, in the instructor's language, its buttons gone;
    a press on the old button (a client that still shows it) gets a plain answer."""
    app = make_app()
    async with BotApiStandin(token=TOKEN) as api:
        asked = await crash_mid_replace(app, records_url, api, "zh")
        key = (INSTRUCTOR, asked["message_id"])
        assert api.messages[key]["text"] == asked["text"] and buttons(api.messages[key])
        before = len(api.sent(INSTRUCTOR))
        async with running_bot(app, records_url, api=api) as bot:  # the restart
            await until(lambda: len(api.sent(INSTRUCTOR)) > before, timeout=30)
            await api.wait_idle(quiet=0.4, timeout=30)
            assert api.messages[key]["text"] == REPLACE_CUT_ZH
            assert not buttons(api.messages[key])
            assert [m["text"] for m in api.sent(INSTRUCTOR)[before:]] == [REPLACE_TOLD_ZH]
            assert await bot.core.services.records.work_in_flight() == []
            calls = len(api.calls)
            api.callback(INSTRUCTOR, asked, replace_of(asked))  # the old button, pressed
            await until(lambda: api.messages[key]["text"] != REPLACE_CUT_ZH, timeout=60)
            await api.wait_idle(quiet=0.5, timeout=60)
            assert api.messages[key]["text"].startswith("已替换："), api.messages[key]["text"]
            [answered] = [c for c in api.calls[calls:] if c.method == "answerCallbackQuery"]
            assert await bot.core.services.records.work_in_flight() == []


async def test_a_replace_question_pending_at_a_restart_keeps_its_working_buttons(
    make_app, records_url
):
    """A question whether to replace, never answered, when the bot restarts: its upload is
    held under the data directory and outlives the restart, so its Replace still works and
    nothing is edited or told (only a Replace cut off mid-way is)."""
    app = make_app()
    async with BotApiStandin(token=TOKEN) as api:
        async with running_bot(app, records_url, api=api) as bot:
            await bot.enrol(INSTRUCTOR, "instructor")
            asked = await asked_to_replace(api, "zh")
        key, calls = (INSTRUCTOR, asked["message_id"]), len(api.calls)
        restarted = make_app()  # a new process on the same data directory
        assert restarted.ingestor.pending.folder == app.ingestor.pending.folder
        async with running_bot(restarted, records_url, api=api) as bot:  # the restart
            await api.wait_idle(quiet=0.6, timeout=30)
            changed = {"sendMessage", "editMessageText", "editMessageReplyMarkup"}
            assert not [c for c in api.calls[calls:] if c.method in changed]
            assert api.messages[key]["reply_markup"] == asked["reply_markup"]
            api.callback(INSTRUCTOR, asked, replace_of(asked))
            await until(lambda: api.messages[key]["text"].startswith("已替换："), timeout=60)
            await api.wait_idle(quiet=0.5, timeout=60)
            assert await bot.core.services.records.work_in_flight() == []


async def test_a_half_answer_that_cannot_be_edited_leaves_the_notice_to_tell(records_url):
    """The edited half-written answer is the asker's only line; when the edit fails (the
    message was deleted) the notice tells them instead. An upload gets both, as before."""
    records = await Records.open(records_url)
    try:
        await records.ensure_user(ANN_ZH, name="Ann", role="trainee", lang="zh")
        await records.ensure_user(LI_EN, name="Li", role="instructor", lang="en")
        for about, message in (("q1", 11), ("q2", 12)):
            work = await records.begin_work(
                user_id=ANN_ZH, chat_id=ANN_ZH, kind="question", about=about, lang="zh"
            )
            await records.work_shown(work, ANN_ZH, message)
        work = await records.begin_work(
            user_id=LI_EN, chat_id=LI_EN, kind="upload", about="a.md", lang="en"
        )
        await records.work_shown(work, LI_EN, 13)
        core = core_over(records)
        told = pushing(core)
        edited: list[tuple[int, int, str]] = []

        async def amend(chat_id: int, message_id: int, text: str) -> bool:
            edited.append((chat_id, message_id, text))
            return message_id != 12  # 12 was deleted

        core.services.amend = amend
        assert await core.resume() == 3
        assert [(chat, message) for chat, message, _ in edited] == [
            (ANN_ZH, 11), (ANN_ZH, 12), (LI_EN, 13)
        ]  # fmt: skip
        assert edited[0][2] == "我正在回答你的问题“q1”时重启了，这个回答没有写完，请再问一次。"
        assert [text for _, _, text in told] == [
            "我刚才重启了，没来得及回答你的问题“q2”，请再发一次。",
            "I restarted before I could finish indexing “a.md”; please send the file again.",
        ]
    finally:
        await records.close()
