"""A local stand-in for the Telegram Bot API, for tests.

Run it inside the test's event loop and point the real python-telegram-bot stack at it:

    async with BotApiStandin(token="123:ABC") as api:
        app = (
            ApplicationBuilder().token("123:ABC")
            .base_url(api.base_url).base_file_url(api.base_file_url).build()
        )

Feed updates with `user_message()`, `document()`, `callback()`, `poll_answer()` (PTB fetches them
with long polling) or push them to a webhook with `post_webhook()`. Read back what the bot did
with `calls`, `sent()` and `messages`, or wait for it with `wait_for()` and `wait_idle()`.
`fail()` and `drop()` make the next matching requests fail the way Telegram or the network does.

It checks requests the way Telegram does where bots usually go wrong: HTML that Telegram can't
parse, over-long or empty texts, edits that change nothing, oversized callback data and poll
limits, and files too big for getFile. Only HTML is parsed (Markdown texts are taken as they
are). Two deliberate differences: a stray "&" that starts no HTML entity is rejected (Telegram
keeps it as text), and unknown chats are not an error.

The package: `server` (BotApiStandin: HTTP, recording, waiting, faults), `updates` (feeding
updates), `methods` (the Bot API methods), `records` (the bot's messages), `checks` (parameter
checks), `html` (Telegram's HTML dialect), `wire` (request decoding), `objects` (constants and
value types).
"""

from .html import HtmlError, parse_html
from .objects import (
    BOT_FIRST_NAME,
    BOT_USERNAME,
    CHAT_ACTIONS,
    DEFAULT_GROUP_CHAT_ID,
    FIRST_UPDATE_ID,
    GROUP_TITLE,
    MAX_CALLBACK_ANSWER_CHARS,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_CHARS,
    MAX_DOWNLOAD_BYTES,
    MAX_MESSAGE_CHARS,
    MAX_POLL_EXPLANATION_CHARS,
    MAX_POLL_OPTION_CHARS,
    MAX_POLL_QUESTION_CHARS,
    MAX_UPLOAD_BYTES,
    NOT_MODIFIED,
    PARSE_MODES,
    POLL_OPTIONS_RANGE,
    ApiError,
    Call,
    Handler,
    JsonDict,
    Params,
    bad_request,
)
from .server import BotApiStandin

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "CHAT_ACTIONS",
    "DEFAULT_GROUP_CHAT_ID",
    "FIRST_UPDATE_ID",
    "GROUP_TITLE",
    "MAX_CALLBACK_ANSWER_CHARS",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_CHARS",
    "MAX_DOWNLOAD_BYTES",
    "MAX_MESSAGE_CHARS",
    "MAX_POLL_EXPLANATION_CHARS",
    "MAX_POLL_OPTION_CHARS",
    "MAX_POLL_QUESTION_CHARS",
    "MAX_UPLOAD_BYTES",
    "NOT_MODIFIED",
    "PARSE_MODES",
    "POLL_OPTIONS_RANGE",
    "ApiError",
    "BotApiStandin",
    "Call",
    "Handler",
    "HtmlError",
    "JsonDict",
    "Params",
    "bad_request",
    "parse_html",
]
