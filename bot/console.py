"""The console channel: one line in, a cited answer out, over the same chat core."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.core import ChatCore
from bot.events import Incoming, Reply
from knowledge.models import Citation

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
    """Read questions until end of input; `/help` and other commands work as in Telegram."""
    interactive = stdin.isatty()
    if interactive:
        print("Standards Tutor — ask a question (Ctrl-D to quit).", file=stdout)
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        event = _event(text)
        async for item in core.respond(event):
            if isinstance(item, Reply):
                print(render(item), end="\n\n", file=stdout, flush=True)


def _event(text: str) -> Incoming:
    if text.startswith("/"):
        command, *args = text[1:].split()
        return Incoming(CONSOLE_USER, command=command.lower(), args=tuple(args), name="console")
    return Incoming(CONSOLE_USER, text=text, name="console")
