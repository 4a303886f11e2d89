"""Instructors' materials: uploads with progress and the /materials list, and what the
decisions on them (`materials_changes`) show too: who loaded a document and when, what a load
did, or why a file could not be loaded.

An upload whose name is loaded with other content is held (`Ingestor.pending`, under the data
directory) and the instructor asked whether to replace it; the answer, removing a document and
/restore are in `materials_changes`; changing the library itself is in `library`."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.conversation import press
from bot.events import Progress, Reply, Upload
from bot.flows import Ctx, Flow, Route, buttons, local_time
from bot.flows.library import Library, ingesting, loader_of
from bot.flows.question_files import SUFFIXES as QUESTION_SUFFIXES
from bot.flows.question_files import import_questions
from bot.texts import say
from ingest.loaders import SUFFIXES
from ingest.pipeline import FileResult
from knowledge.answering.models import DocumentInfo
from knowledge.learning.model import CompetencyModel
from knowledge.records import Records
from knowledge.vocabulary import MB, Lang

if TYPE_CHECKING:
    from bot.services import Policy

log = logging.getLogger(__name__)


class Needs(Library, Protocol):
    records: Records
    model: CompetencyModel
    policy: Policy


T = {
    "instructors_only": ("只有讲师可以添加资料。", "Only instructors can add materials."),
    "wrong_type": (
        "{name}：我能读取 PDF、DOCX、PPTX、Markdown、HTML 和纯文本文件。",
        "{name}: I can load PDF, DOCX, PPTX, Markdown, HTML and plain text files.",
    ),
    "too_big_here": (
        "{name} 有 {size} MB，超过了 Telegram 机器人 {limit} MB 的下载上限。"
        "请在服务器上用 `stdtutor ingest 文件` 加载，或配置本地 Bot API 服务器。",
        "{name} is {size} MB, over the {limit} MB a Telegram bot can download. Load it on the "
        "server with `stdtutor ingest FILE`, or run a local Bot API server.",
    ),
    "too_big": (
        "{name} 有 {size} MB，超过了资料 {limit} MB 的上限。",
        "{name} is {size} MB, over the {limit} MB limit for materials.",
    ),
    "receiving": ("正在接收 {name}…", "Receiving {name}…"),
    "reading": ("正在读取 {name}…", "Reading {name}…"),
    "indexing": ("正在索引 {name}：{done}/{total} 段", "Indexing {name}: {done}/{total} passages"),
    "download_failed": (
        "没能下载 {name}，请重新发送。",
        "Couldn't download {name}; please send it again.",
    ),
    "failed": ("没能加载 {name}：{why}", "Couldn't load it: {error}"),
    # why a file failed, by `MaterialError.code` (English readers get the pipeline's line,
    # which names the same reason with its details)
    "why_unsupported_type": ("不支持这种文件类型。", "That file type isn't supported."),
    "why_too_large": ("文件太大，超过了上限。", "The file is over the size limit."),
    "why_too_demanding": (
        "读取它需要的内存或时间超出了允许的范围。",
        "Reading it needs more memory or time than allowed.",
    ),
    "why_corrupt": (
        "文件已损坏，或与扩展名所说的格式不符。",
        "The file is damaged or not what its name says.",
    ),
    "why_encrypted": (
        "文件有密码保护，请先去掉密码。",
        "The file is password-protected; remove the password first.",
    ),
    "why_empty": (
        "没有提取到任何文字（扫描件请先做文字识别）。",
        "No text could be extracted (run text recognition on a scan first).",
    ),
    "why_encoding": (
        "文字编码无法识别，请另存为 UTF-8。",
        "Its text encoding is not readable; save it as UTF-8.",
    ),
    "why_same_name": (
        "同一批里有同名文件，请改名。",
        "Another file in this batch has the same name; rename one.",
    ),
    "why_unreadable": ("文件无法读取。", "The file cannot be read."),
    "why_index_full": (
        "服务器磁盘已满，资料库无法写入，资料库没有任何改动。请告诉管理员。",
        "The server's disk is full, so the library can't be written; nothing was changed. "
        "Please tell an administrator.",
    ),
    "why_index_read_only": (
        "服务器上的资料库是只读的，无法写入，资料库没有任何改动。请告诉管理员。",
        "The library is read-only on the server, so nothing can be added; nothing was "
        "changed. Please tell an administrator.",
    ),
    "why_pack": (
        "它属于随附的课程资料包，只有管理员可以替换或移除。",
        "It is part of the bundled course pack; only an admin can replace or remove it.",
    ),
    "conflict": (
        "已经有一份名为 {doc} 的资料，内容与新文件不同：《{title}》，{chunks} 段，由{by}于 {at} "
        "加载。\n要用新文件替换它吗？旧版会保留，可用 /restore 恢复。",
        "{doc} is already loaded with different content: “{title}”, {chunks} passages, loaded "
        "by {by}, {at}.\nReplace it with the new file? The old version is kept; /restore "
        "brings it back.",
    ),
    "replace": ("替换", "Replace"),
    "not_replaced": (
        "{doc} 已经有一份内容不同的版本（《{title}》，{chunks} 段，由{by}于 {at} 加载），"
        "没有替换。要替换，请勾选“替换同名资料”后重新上传。",
        "{doc} is already loaded with different content (“{title}”, {chunks} passages, loaded "
        "by {by}, {at}); not replaced. To replace it, tick “Replace documents of the same "
        "name” and upload it again.",
    ),
    "added": ("已加入", "Added"),
    "replaced": ("已替换", "Replaced"),
    "unchanged": ("内容未变，无需更新", "Unchanged, nothing to do"),
    "summary": (
        "{status}：{title}\n{doc} · {chunks} 段 · {language}",
        "{status}: {title}\n{doc} · {chunks} passages · {language}",
    ),
    "no_materials": ("还没有资料。发送文件即可添加。", "No materials yet. Send a file to add one."),
    "materials": ("课程资料（{n} 份）：", "Course materials ({n}):"),
    "listed": (
        "{i}. {title} — {doc} · {language} · {chunks} 段\n    {by}于 {at} 加载",
        "{i}. {title} — {doc} · {language} · {chunks} passages\n    loaded by {by}, {at}",
    ),
    "by_cli": ("服务器命令行", "the server's command line"),
    "by_unknown": ("（未记录）", "(not recorded)"),
}


async def upload(ctx: Ctx[Needs]) -> AsyncIterator[Progress | Reply]:
    core, up = ctx.services, ctx.event.upload
    assert up is not None
    name = Path(up.name).name or "upload"
    suffix = Path(name).suffix.lower()
    if ctx.user.role == "trainee":
        yield ctx.reply(ctx.say("instructors_only", T), kind="error")
        return
    if suffix not in SUFFIXES and suffix not in QUESTION_SUFFIXES:
        yield ctx.reply(ctx.say("wrong_type", T, name=name), kind="error")
        return
    too_big = _size_problem(ctx, name, up.size)
    if too_big:
        yield too_big
        return
    with tempfile.TemporaryDirectory(prefix="stdtutor-upload-") as folder:
        path = Path(folder) / name
        if suffix in QUESTION_SUFFIXES:
            problem = await _download(ctx, up, path)
            if problem:
                yield problem
                return
            imported = await import_questions(ctx.services, path)
            kind = "error" if imported.errors else "info"
            yield ctx.reply(imported.summary(ctx.lang), kind=kind)
            return
        yield Progress(ctx.say("receiving", T, name=name))
        problem = await _download(ctx, up, path)
        if problem:
            yield problem
            return
        yield Progress(ctx.say("reading", T, name=name))
        result: FileResult | None = None
        async for item in ingesting(core, path, name, loader_of(ctx.user), replace=False):
            if isinstance(item, FileResult):
                result = item
            else:
                yield Progress(ctx.say("indexing", T, name=name, done=item[0], total=item[1]))
        assert result is not None
        if result.status == "conflict" and result.doc is not None:
            pending = core.ingestor.pending
            token = await asyncio.to_thread(pending.hold, path, name, ctx.user.id)
            yield _ask_replace(ctx, result.doc, token)
            return
    yield summary_reply(ctx, result)


def _ask_replace(ctx: Ctx[Needs], doc: DocumentInfo, token: str) -> Reply:
    text = ctx.say(
        "conflict", T, doc=doc.doc, title=doc.title, chunks=doc.chunks,
        by=loaded_by(doc, ctx.lang), at=loaded_time(ctx, doc),
    )  # fmt: skip
    choice = buttons(
        [(ctx.say("replace", T), press("rpl", token)), (ctx.say("cancel"), press("rplno", token))]
    )
    return ctx.reply(text, kind="info", buttons=choice)


async def _download(ctx: Ctx[Needs], up: Upload, path: Path) -> Reply | None:
    """Fetch the upload to `path`; a message for the user when that fails or it is too big."""
    try:
        await up.fetch(path)
    except Exception:
        log.exception("downloading %s failed", path.name)
        return ctx.reply(ctx.say("download_failed", T, name=path.name), kind="error")
    return _size_problem(ctx, path.name, path.stat().st_size)


def _size_problem(ctx: Ctx[Needs], name: str, size: int | None) -> Reply | None:
    if not size:
        return None
    channel, ingest = ctx.services.policy.max_download_bytes, ctx.services.ingestor.max_bytes
    if size > channel:
        key, limit = "too_big_here", channel
    elif size > ingest:
        key, limit = "too_big", ingest
    else:
        return None
    text = ctx.say(key, T, name=name, size=f"{size / MB:.1f}", limit=limit // MB)
    return ctx.reply(text, kind="error")


def loaded_by(doc: DocumentInfo, lang: Lang) -> str:
    """Who loaded `doc`, as people are shown it."""
    if doc.from_cli:
        return say("by_cli", lang, T)
    return doc.loaded_by or say("by_unknown", lang, T)


def failure(result: FileResult, lang: Lang) -> str:
    """Why a file could not be loaded, in `lang`: the reason from the text tables in Chinese,
    the pipeline's own line (with its details) in English."""
    key = f"why_{result.reason}"
    why = say(key if key in T else "why_unreadable", lang, T)
    return say("failed", lang, T, name=result.path.name, why=why, error=result.error or why)


def summary_reply(ctx: Ctx[Needs], result: FileResult) -> Reply:
    if result.status == "failed" or result.doc is None:
        return ctx.reply(failure(result, ctx.lang), kind="error")
    d = result.doc
    status = ctx.say(result.status, T)
    text = ctx.say(
        "summary", T, status=status, title=d.title, doc=d.doc, chunks=d.chunks, language=d.lang
    )
    return ctx.reply(text, kind="info")


async def list_materials(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    store = ctx.services.ingestor.store
    docs = await asyncio.to_thread(store.documents)
    if not docs:
        yield ctx.reply(ctx.say("no_materials", T), kind="info")
        return
    lines = [ctx.say("materials", T, n=len(docs))]
    for i, d in enumerate(docs, 1):
        values = dict(title=d.title, doc=d.doc, language=d.lang, chunks=d.chunks)
        by, at = loaded_by(d, ctx.lang), loaded_time(ctx, d)
        lines.append(ctx.say("listed", T, i=i, by=by, at=at, **values))
    rows = [[(f"🗑 {i}. {d.doc[:40]}", press("rm", d.doc_id))] for i, d in enumerate(docs, 1)]
    yield ctx.reply("\n".join(lines), kind="info", buttons=buttons(*rows))


def loaded_time(ctx: Ctx[Needs], doc: DocumentInfo) -> str:
    """When `doc` was loaded, on the alliance's clock."""
    try:
        return local_time(ctx, datetime.fromisoformat(doc.loaded_at))
    except ValueError:
        return doc.loaded_at[:16]


FLOW = Flow(
    commands={"materials": Route("instructor", list_materials)},
    upload=Route("trainee", upload),  # the handler itself tells trainees what uploads are for
)
