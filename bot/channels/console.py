"""The console channel: one line in, a cited answer out, over the same chat core."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.conversation import Press
from bot.core import ChatCore
from bot.events import Button, Document, Incoming, Photo, QuizPrompt, Reply
from bot.flows.quiz.start import SUBMIT
from knowledge.answering.models import Citation

CONSOLE_USER = 0  # the person at the terminal: the owner of this installation


def render(reply: Reply) -> str:
    """Plain-text rendering: the answer, then its numbered sources."""
    lines = [reply.text]
    cited = [c for c in reply.citations if f"[{c.n}]" in reply.text]
    further = [c for c in reply.citations if c not in cited]
    for heading, group in ((("Sources:", "出处："), cited), (("See also:", "另见："), further)):
        if group:
            lines.append(heading[0] if reply.lang == "en" else heading[1])
            lines.extend(f"  {source_line(c)}" for c in group)
    return "\n".join(lines)


def source_line(c: Citation) -> str:
    where = " · ".join(p for p in (c.section, f"p. {c.page}" if c.page else "") if p)
    return f"[{c.n}] {c.title} — {where} ({c.doc})" if where else f"[{c.n}] {c.title} ({c.doc})"


async def chat(core: ChatCore, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read lines until end of input; `/help` and other commands work as in Telegram.

    Buttons are shown numbered; typing a number presses one. For a question with several
    right answers, "1 3" picks those options and submits them."""
    interactive = stdin.isatty()
    if interactive:
        print("Standards Tutor — ask a question (Ctrl-D to quit).", file=stdout)
    pressable: list[Button] = []
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = await read_line(stdin)
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        for event in _events(text, pressable):
            pressable = []
            async for item in core.respond(event):
                shown, buttons = _show(item)
                if shown:
                    print(shown, end="\n\n", file=stdout, flush=True)
                pressable = buttons or pressable


async def read_line(stdin: TextIO) -> str:
    """The next line, read without holding up the event loop (the web console may be serving
    beside the chat), by a daemon thread, so a read still waiting never delays the exit."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()

    def settle(text: str | None, error: BaseException | None) -> None:
        if line.done():
            return
        if error is not None:
            line.set_exception(error)
        else:
            line.set_result(text or "")

    def read() -> None:
        try:
            text, error = stdin.readline(), None
        except Exception as failure:  # noqa: BLE001 - handed to the waiting coroutine
            text, error = None, failure
        try:
            loop.call_soon_threadsafe(settle, text, error)
        except RuntimeError:  # the loop has closed: nobody waits for this line
            pass

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return await line


def _show(item: object) -> tuple[str, list[Button]]:
    """What to print for one reply, and its buttons (numbered in the text)."""
    if isinstance(item, QuizPrompt):
        rows = item.buttons
        text = item.body
    elif isinstance(item, Reply):
        rows, text = item.buttons, render(item)
    elif isinstance(item, Photo):
        return f"{item.caption}\n{_save(f'progress-{item.lang}.png', item.png)}", []
    elif isinstance(item, Document):
        return f"{item.caption}\n{_save(item.name, item.data)}", []
    else:
        return "", []
    flat = [b for row in rows for b in row]
    if flat:
        text += "\n" + "  ".join(f"[{i}] {b.label}" for i, b in enumerate(flat, 1))
    return text, flat


def _save(name: str, data: bytes) -> str:
    """Pictures and files land in ./stdtutor-output/ (a terminal shows no pictures)."""
    folder = Path("stdtutor-output")
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return f"(saved to {folder / name})"


def _events(text: str, pressable: list[Button]) -> list[Incoming]:
    numbers = text.replace(",", " ").split()
    if pressable and all(n.isdigit() and 1 <= int(n) <= len(pressable) for n in numbers):
        chosen = [pressable[int(n) - 1] for n in numbers]
        submit = pressable[-1]
        if Press.parse(submit.data).kind == SUBMIT and chosen[-1] is not submit:
            chosen.append(submit)  # options of a several-answers question: then Submit
        return [Incoming(CONSOLE_USER, button=b.data, name="console") for b in chosen]
    if text.startswith("/"):
        command, *args = text[1:].split()
        return [Incoming(CONSOLE_USER, command=command.lower(), args=tuple(args), name="console")]
    return [Incoming(CONSOLE_USER, text=text, name="console")]
