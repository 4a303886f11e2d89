"""The Telegram Bot API stand-in speaks well enough for the real python-telegram-bot stack."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.standins.telegram import BOT_USERNAME, BotApiStandin, Call, parse_html

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = "123:ABC"
ANN = 42


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin(token=TOKEN) as standin:
        yield standin


@pytest.fixture
async def bot(api: BotApiStandin) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


# --- the basics -----------------------------------------------------------------------------


async def test_get_me_describes_the_bot(api: BotApiStandin, bot: telegram.Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username) == (123, True, BOT_USERNAME)
    assert api.base_url.endswith("/bot") and api.base_file_url.endswith("/file/bot")
    assert [call.method for call in api.calls] == ["getMe", "getMe"]  # initialize() asks too


async def test_a_wrong_token_is_unauthorized(api: BotApiStandin) -> None:
    stranger = telegram.Bot("999:WRONG", base_url=api.base_url)
    try:
        with pytest.raises(InvalidToken, match="rejected by the server"):
            await stranger.initialize()
    finally:
        await stranger.shutdown()
    assert api.calls == []  # only the bot's own token reaches the methods


async def test_unknown_methods_are_not_found(api: BotApiStandin, bot: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": ANN})

    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.base_url}{TOKEN}/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }


async def test_plain_clients_may_send_json_or_forms(api: BotApiStandin) -> None:
    markup = {"inline_keyboard": [[{"text": "More", "callback_data": "more"}]]}
    url = f"{api.base_url}{TOKEN}/sendmessage"  # method names are case-insensitive
    async with aiohttp.ClientSession() as session:
        as_json = {"chat_id": ANN, "text": "json", "reply_markup": json.dumps(markup)}
        async with session.post(url, json=as_json) as response:
            body = await response.json()
        form = {"chat_id": str(ANN), "text": "123", "reply_markup": json.dumps(markup)}
        async with session.post(url, data=form) as response:
            assert response.status == 200

    assert body["ok"] is True and body["result"]["reply_markup"] == markup
    first, second = api.calls
    assert first.method == second.method == "sendMessage"
    assert first.params["reply_markup"] == second.params["reply_markup"] == markup
    assert second.params["chat_id"] == ANN and second.params["text"] == "123"  # still a str


# --- sending and validation -----------------------------------------------------------------


async def test_send_message_is_recorded_and_echoed(api: BotApiStandin, bot: telegram.Bot) -> None:
    question = api.user_message(ANN, "What does clause 4 say?")
    message_id = question["message"]["message_id"]

    sent = await bot.send_message(
        ANN,
        "<b>Clause 4</b> &amp; <i>terms</i> 🙂 <a href='https://example.org/gb'>source</a>",
        parse_mode="HTML",
        reply_markup=keyboard("more"),
        reply_to_message_id=message_id,
    )

    assert sent.text == "Clause 4 & terms 🙂 source"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 8),
        ("italic", 11, 5),
        ("text_link", 20, 6),  # 🙂 counts twice in UTF-16
    ]
    assert sent.from_user is not None and sent.from_user.username == BOT_USERNAME
    assert sent.reply_to_message is not None and sent.reply_to_message.message_id == message_id
    assert sent.reply_markup == keyboard("more")
    assert sent.message_id == message_id + 1  # one counter per chat for both sides

    (record,) = api.sent(ANN)
    assert record["text"].startswith("<b>Clause 4</b>") and record["parse_mode"] == "HTML"
    assert record["reply_to_message_id"] == message_id
    assert record["reply_markup"] == keyboard("more").to_dict()
    assert api.messages[(ANN, sent.message_id)] is record
    call = api.calls[-1]
    assert call.params["reply_parameters"] == {"message_id": message_id}


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("abc<br>", 'unsupported start tag "br" at byte offset 3'),
        ("<b>bold", 'find end tag corresponding to start tag "b"'),
        ("<b>bold</i>", 'expected "</b>", found "</i>"'),
        ("</b>", "unexpected end tag at byte offset 0"),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("R&D", 'character "&" at byte offset 1'),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
        ("标准<p>", 'unsupported start tag "p" at byte offset 6'),  # offsets count bytes
    ],
)
async def test_html_telegram_cannot_parse_is_refused(
    api: BotApiStandin, bot: telegram.Bot, text: str, complaint: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(ANN, text, parse_mode="HTML")

    assert raised.value.message.startswith("Can't parse entities")
    assert complaint in raised.value.message.lower()
    assert api.calls[-1].status == 400 and api.sent() == []


async def test_the_html_telegram_knows_becomes_entities() -> None:
    source = (
        '<pre><code class="language-python">x = 1</code></pre>\n'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler> &lt;3 &#169; &#x4E2D; '
        "<blockquote expandable>q</blockquote><s><u>z</u></s>"
    )
    text, entities = parse_html(source)

    assert text == "x = 1\nst <3 © 中 qz"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 6, "length": 1},
        {"type": "spoiler", "offset": 7, "length": 1},
        {"type": "expandable_blockquote", "offset": 16, "length": 1},
        {"type": "underline", "offset": 17, "length": 1},
        {"type": "strikethrough", "offset": 17, "length": 1},
    ]
    assert parse_html("  <b> padded </b>  ") == (
        "padded",
        [{"type": "bold", "offset": 0, "length": 6}],
    )


async def test_length_is_counted_after_entity_parsing(
    api: BotApiStandin, bot: telegram.Bot
) -> None:
    await bot.send_message(ANN, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ANN, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ANN, "<b> </b>", parse_mode="HTML")
    assert len(api.sent(ANN)) == 1


async def test_oversized_callback_data_is_refused(api: BotApiStandin, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ANN, "Pick", reply_markup=keyboard("x" * 65))
    await bot.send_message(ANN, "Pick", reply_markup=keyboard("好" * 21))  # 63 bytes


# --- faults ---------------------------------------------------------------------------------


async def test_flood_control_answers_retry_after(api: BotApiStandin, bot: telegram.Bot) -> None:
    api.fail("sendMessage", retry_after=7)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(ANN, "too fast")
    await bot.send_message(ANN, "later")  # the fault is used up

    assert raised.value.retry_after == timedelta(seconds=7)
    assert [call.status for call in api.calls[-2:]] == [429, 200]
    assert [record["text"] for record in api.sent()] == ["later"]


async def test_other_failures_use_telegram_wording(api: BotApiStandin, bot: telegram.Bot) -> None:
    api.fail("sendMessage", status=502, times=2)
    api.fail("sendMessage", status=400, description="Bad Request: chat not found")

    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ANN, "hello")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(ANN, "hello")
    await bot.send_message(ANN, "hello")


async def test_a_dropped_connection_is_a_network_error(
    api: BotApiStandin, bot: telegram.Bot
) -> None:
    api.drop("sendMessage")

    with pytest.raises(NetworkError):
        await bot.send_message(ANN, "lost")
    await bot.send_message(ANN, "delivered")

    assert [(call.params["text"], call.status) for call in api.calls[-2:]] == [
        ("lost", 0),
        ("delivered", 200),
    ]
    assert [record["text"] for record in api.sent()] == ["delivered"]


# --- updates --------------------------------------------------------------------------------


async def test_get_updates_hands_out_fed_updates_until_confirmed(
    api: BotApiStandin, bot: telegram.Bot
) -> None:
    fed = [api.user_message(ANN, "/start"), api.user_message(ANN, "hello", username="ann")]

    updates = await bot.get_updates(timeout=0)
    again = await bot.get_updates(timeout=0)
    confirmed = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)

    assert [u.update_id for u in updates] == [u["update_id"] for u in fed]
    assert [u.update_id for u in again] == [u.update_id for u in updates]
    assert confirmed == () and api.pending_updates == []
    start = updates[0].message
    assert start is not None and start.text == "/start"
    assert start.parse_entities(["bot_command"]) == {start.entities[0]: "/start"}
    hello = updates[1].message
    assert hello is not None and hello.from_user is not None
    assert (hello.chat.type, hello.from_user.language_code) == ("private", "zh")
    assert hello.from_user.username == "ann"


async def test_long_polling_waits_for_an_update(api: BotApiStandin, bot: telegram.Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()

    api.user_message(ANN, "are you there?")
    updates = await poll

    assert len(updates) == 1 and loop.time() - started < 2
    empty = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0.3)
    assert empty == ()


async def test_a_redelivered_update_keeps_its_id(api: BotApiStandin, bot: telegram.Bot) -> None:
    update = api.user_message(ANN, "once")
    (first,) = await bot.get_updates(timeout=0)
    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == ()

    api.redeliver(update)
    (second,) = await bot.get_updates(offset=first.update_id + 1, timeout=0)
    after = await bot.get_updates(offset=first.update_id + 1, timeout=0)

    assert second.update_id == first.update_id and second == first
    assert after == ()


async def test_group_commands_and_mentions_get_entities(
    api: BotApiStandin, bot: telegram.Bot
) -> None:
    api.user_message(ANN, f"/ask@{BOT_USERNAME} scope", chat_type="group")
    api.user_message(ANN, f"hey @{BOT_USERNAME}, what is a norm?", chat_type="group")

    command, mention = [u.message for u in await bot.get_updates(timeout=0)]

    assert command is not None and mention is not None
    assert command.chat.type == "group" and command.chat.id < 0
    assert list(command.parse_entities().values()) == [f"/ask@{BOT_USERNAME}"]
    assert list(mention.parse_entities().values()) == [f"@{BOT_USERNAME}"]


async def test_callbacks_edits_and_deletes(api: BotApiStandin, bot: telegram.Bot) -> None:
    sent = await bot.send_message(ANN, "Rate this", reply_markup=keyboard("up", "down"))
    record = api.sent(ANN)[0]
    api.callback(ANN, record, "up")
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query is not None and query.data == "up" and query.message is not None
    assert query.message.message_id == sent.message_id

    await bot.answer_callback_query(query.id, text="Thanks!")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)

    await bot.edit_message_text("Rated 👍", ANN, sent.message_id, reply_markup=keyboard("undo"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Rated 👍", ANN, sent.message_id, reply_markup=keyboard("undo"))
    edited = await bot.edit_message_text("Rated 👍", ANN, sent.message_id)  # drops the keyboard
    assert isinstance(edited, telegram.Message) and edited.reply_markup is None
    await bot.edit_message_reply_markup(ANN, sent.message_id, reply_markup=keyboard("again"))

    assert record["edits"] == 3 and record["text"] == "Rated 👍"
    assert record["reply_markup"] == keyboard("again").to_dict()
    assert api.sent(ANN) == [record]

    assert await bot.delete_message(ANN, sent.message_id) is True
    assert api.sent(ANN) == [] and api.messages[(ANN, sent.message_id)]["deleted"] is True
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("gone", ANN, sent.message_id)


async def test_replies_to_the_bot_and_chat_actions(api: BotApiStandin, bot: telegram.Bot) -> None:
    await bot.send_chat_action(ANN, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(ANN, "thinking")
    await bot.send_message(ANN, "Which standard?")

    api.user_message(ANN, "GB/T 1.1", reply_to=api.sent(ANN)[0])
    (update,) = await bot.get_updates(timeout=0)

    reply = update.message
    assert reply is not None and reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Which standard?"
    assert reply.reply_to_message.from_user is not None
    assert reply.reply_to_message.from_user.is_bot


# --- files ----------------------------------------------------------------------------------


async def test_files_can_be_fetched_and_downloaded(api: BotApiStandin, bot: telegram.Bot) -> None:
    content = b"%PDF-1.7 clause 4.2"
    api.add_file("DOC1", content)
    api.document(ANN, "DOC1", "GB-T-1.1.pdf", len(content), caption="please index")
    (update,) = await bot.get_updates(timeout=0)
    document = update.message.document if update.message else None
    assert document is not None
    assert (document.file_name, document.mime_type) == ("GB-T-1.1.pdf", "application/pdf")

    file = await bot.get_file(document.file_id)
    buffer = io.BytesIO()
    await file.download_to_memory(buffer)

    assert file.file_path is not None and file.file_path.startswith(api.base_file_url + TOKEN)
    assert file.file_path.endswith(".pdf") and buffer.getvalue() == content


async def test_files_over_twenty_megabytes_are_too_big(
    api: BotApiStandin, bot: telegram.Bot
) -> None:
    api.add_file("BIG", b"%PDF", size=25 * 1024 * 1024)

    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file("BIG")
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("NOPE")


async def test_uploads_are_recorded(api: BotApiStandin, bot: telegram.Bot) -> None:
    sent = await bot.send_document(
        ANN, b"id,term\n1,norm\n", filename="glossary.csv", caption="<b>Glossary</b>",
        parse_mode="HTML",
    )  # fmt: skip
    await bot.send_photo(ANN, b"\x89PNG fake", filename="chart.png")

    call = api.calls[-2]
    assert call.files == {"document": b"id,term\n1,norm\n"}
    assert call.filenames == {"document": "glossary.csv"}
    document_record, photo_record = api.sent(ANN)
    assert document_record["filename"] == "glossary.csv" and photo_record["data"] == b"\x89PNG fake"
    assert sent.caption == "Glossary" and sent.document is not None
    assert sent.document.file_name == "glossary.csv"
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"id,term\n1,norm\n"


# --- polls, commands, webhooks ---------------------------------------------------------------


async def test_polls_are_sent_answered_and_stopped(api: BotApiStandin, bot: telegram.Bot) -> None:
    sent = await bot.send_poll(
        ANN, "Which clause defines terms?", ["Clause 2", "Clause 3", "Clause 4"],
        type="quiz", correct_option_ids=[1], is_anonymous=False, explanation="See GB/T 1.1",
    )  # fmt: skip
    poll = sent.poll
    assert poll is not None and poll.id and poll.type == "quiz" and not poll.is_anonymous
    assert [o.text for o in poll.options] == ["Clause 2", "Clause 3", "Clause 4"]
    assert poll.correct_option_ids == (1,)

    api.poll_answer(ANN, poll.id, [1])
    (update,) = await bot.get_updates(timeout=0)
    answer = update.poll_answer
    assert answer is not None and answer.poll_id == poll.id and answer.option_ids == (1,)

    stopped = await bot.stop_poll(ANN, sent.message_id)
    assert stopped.is_closed and stopped.options[1].voter_count == 1
    assert api.polls[poll.id]["poll"]["is_closed"] is True


@pytest.mark.parametrize(
    ("question", "options", "explanation", "complaint"),
    [
        ("q" * 301, ["a", "b"], None, "question"),
        ("Pick", ["only one"], None, "2-10 options"),
        ("Pick", [str(n) for n in range(11)], None, "2-10 options"),
        ("Pick", ["a", "b" * 101], None, "options must be"),
        ("Pick", ["a", "b"], "e" * 201, "explanation"),
    ],
)
async def test_polls_outside_telegram_limits_are_refused(
    bot: telegram.Bot, question: str, options: list[str], explanation: str | None, complaint: str
) -> None:
    with pytest.raises(BadRequest, match=complaint):
        await bot.send_poll(
            ANN, question, options, type="quiz", correct_option_ids=[0], explanation=explanation
        )


async def test_commands_are_kept_per_language_and_scope(
    api: BotApiStandin, bot: telegram.Bot
) -> None:
    await bot.set_my_commands([("ask", "Ask a question")])
    await bot.set_my_commands([("ask", "提问")], language_code="zh")
    await bot.set_my_commands(
        [("stats", "Cohort statistics")], scope=telegram.BotCommandScopeChat(ANN)
    )

    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["提问"]
    assert [c.command for c in await bot.get_my_commands()] == ["ask"]
    assert api.commands[("chat:42", "")] == [
        {"command": "stats", "description": "Cohort statistics"}
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Ask-Me", "bad name")])


async def test_webhook_mode(api: BotApiStandin, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(BadRequest, match="(?i)https url must be provided"):
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
        await bot.set_webhook("https://tutor.example.org/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == "https://tutor.example.org/hook"
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)

        update = api.user_message(ANN, "via webhook")
        status = await api.post_webhook(f"http://127.0.0.1:{port}/hook", update, "s3cret")

        assert status == 200 and received == [("s3cret", update)]
        assert (await bot.get_webhook_info()).pending_update_count == 0
        await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()


# --- waiting ----------------------------------------------------------------------------------


async def test_wait_for_hands_out_each_call_once(api: BotApiStandin, bot: telegram.Bot) -> None:
    async def reply_soon(text: str) -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(ANN, text)

    task = asyncio.create_task(reply_soon("first"))
    (first,) = await api.wait_for("sendMessage")
    await task
    await bot.send_message(ANN, "second")
    (second,) = await api.wait_for("sendmessage", lambda call: call.ok)

    assert isinstance(first, Call) and first.params["text"] == "first"
    assert second.params["text"] == "second"
    with pytest.raises(AssertionError, match=r"(?s)1 sendMessage call\(s\), got 0.*second"):
        await api.wait_for("sendMessage", timeout=0.1)
    await api.wait_idle(quiet=0.05)


# --- a real Application -----------------------------------------------------------------------


async def test_an_application_polls_and_replies(
    api: BotApiStandin, caplog: pytest.LogCaptureFixture
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "<b>Welcome</b>", "HTML")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text.upper(), do_quote=True)

    application: Application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))

    caplog.set_level(logging.WARNING)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0)
    try:
        api.user_message(ANN, "/start")
        hello = api.user_message(ANN, "clause 4.2")
        await api.wait_for("sendMessage", count=2)
        await api.wait_idle(quiet=0.1)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    welcome, echoed = api.sent(ANN)
    assert (welcome["text"], welcome["plain_text"]) == ("<b>Welcome</b>", "Welcome")
    assert echoed["text"] == "CLAUSE 4.2"
    assert echoed["reply_to_message_id"] == hello["message"]["message_id"]
    assert api.pending_updates == []  # the last getUpdates confirmed everything
    assert [r.getMessage() for r in caplog.records if r.name.startswith("telegram")] == []
