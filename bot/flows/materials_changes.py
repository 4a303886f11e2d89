"""Instructors' decisions on the library: replacing a document with the held upload of the
same name (or keeping it), removing a document after a confirmation, and restoring the version
a replace superseded or a document that was removed (/restore, or the button).

An upload whose name is loaded with other content is held (`Ingestor.pending`, under the data
directory) and the instructor asked (in `materials`): "Replace" loads it, "Cancel" drops it.
The bundled course pack's documents are replaced, removed and restored by admins only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from bot.conversation import press
from bot.events import Progress, Reply
from bot.flows import Ctx, Flow, Route, buttons
from bot.flows.library import ingesting, loader_of, remove_document, restore_document
from bot.flows.materials import Needs, loaded_by, loaded_time, summary_reply
from ingest.pipeline import FileResult
from knowledge.errors import NoPreviousVersion, PackDocument

T = {
    "pack_only_admin": (
        "{doc} 属于随附的课程资料包，只有管理员可以替换、移除或恢复。",
        "{doc} is part of the bundled course pack; only an admin can replace, remove or "
        "restore it.",
    ),
    "replacing": ("正在替换 {doc}…", "Replacing {doc}…"),
    "kept": (
        "已取消，《{title}》（{doc}）保持不变。",
        "Cancelled; “{title}” ({doc}) stays as it was.",
    ),
    "expired": (
        "这次上传已不再保留，请重新发送文件。",
        "That upload is no longer held; please send the file again.",
    ),
    "restore_button": ("↩ 恢复旧版", "↩ Restore the previous version"),
    "restored": (
        "已恢复 {doc} 的上一版：《{title}》，{chunks} 段，由{by}于 {at} 加载。",
        "Restored the previous version of {doc}: “{title}”, {chunks} passages, loaded by "
        "{by}, {at}.",
    ),
    "restored_removed": (
        "已恢复已移除的 {doc}：《{title}》，{chunks} 段，由{by}于 {at} 加载。",
        "Restored the removed {doc}: “{title}”, {chunks} passages, loaded by {by}, {at}.",
    ),
    "no_previous": ("{doc} 没有可恢复的旧版。", "{doc} has no earlier version to restore."),
    "restore_usage": (
        "用法：/restore 文件名。有旧版可恢复或已移除的资料：",
        "Usage: /restore FILE. Documents with an earlier version kept, or removed:",
    ),
    "restore_none": (
        "用法：/restore 文件名。目前没有可恢复的旧版或已移除的资料。",
        "Usage: /restore FILE. No document has an earlier version kept or was removed.",
    ),
    "removed_mark": ("（已移除）", " (removed)"),
    "remove_confirm": ("确定移除《{title}》（{doc}）吗？", "Remove “{title}” ({doc})?"),
    "yes_remove": ("确定移除", "Yes, remove"),
    "removed": (
        "已移除《{title}》，以后不会再被检索到。",
        "Removed “{title}”; it won't be used again.",
    ),
    "removed_restore": (
        "已移除《{title}》，以后不会再被检索到。用 /restore {doc} 可以恢复。",
        "Removed “{title}”; it won't be used again. /restore {doc} brings it back.",
    ),
}


async def replace(ctx: Ctx[Needs]) -> AsyncIterator[Progress | Reply]:
    """ "Replace" under the question: the held upload is loaded in place of the document."""
    core = ctx.services
    held = await asyncio.to_thread(core.ingestor.pending.get, ctx.press.text(), ctx.user.id)
    if held is None:
        yield ctx.reply(ctx.say("expired", T), kind="info", edit=True)
        return
    yield ctx.reply(ctx.say("replacing", T, doc=held.name), kind="info", edit=True)
    result: FileResult | None = None
    async for item in ingesting(core, held.path, held.name, loader_of(ctx.user), replace=True):
        if isinstance(item, FileResult):
            result = item
    assert result is not None
    if result.status != "failed":
        await asyncio.to_thread(core.ingestor.pending.drop, held.token)
    summary = summary_reply(ctx, result)
    if result.status == "replaced" and result.doc is not None:
        again = buttons([(ctx.say("restore_button", T), press("rst", result.doc.doc_id))])
        summary = ctx.reply(summary.text, kind="info", buttons=again)
    yield ctx.reply(summary.text, kind=summary.kind, buttons=summary.buttons, edit=True)


async def held_name(ctx: Ctx[Needs]) -> str | None:
    """The name of the upload a "Replace" loads (None when it is no longer held): the core
    writes the loading down as an upload in flight, with the pressed question as its status
    message, so a restart mid-way tells the instructor to send the file again and edits the
    question (its Replace and Cancel gone) to say so."""
    held = await asyncio.to_thread(ctx.services.ingestor.pending.get, ctx.press.text(), ctx.user.id)
    return held.name if held is not None else None


async def keep_upload(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """ "Cancel" under the question: the held upload is dropped, the document stays."""
    pending = ctx.services.ingestor.pending
    held = await asyncio.to_thread(pending.get, ctx.press.text(), ctx.user.id)
    if held is None:
        yield ctx.reply(ctx.say("cancelled"), kind="info", edit=True)
        return
    await asyncio.to_thread(pending.drop, held.token)
    doc = await asyncio.to_thread(ctx.services.ingestor.find, held.name)
    title = doc.title if doc else held.name
    yield ctx.reply(ctx.say("kept", T, title=title, doc=held.name), kind="info", edit=True)


async def ask_remove(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    store = ctx.services.ingestor.store
    doc = await asyncio.to_thread(store.document, ctx.press.text())
    if doc is None:
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    if ctx.user.role != "admin" and doc.doc in ctx.services.ingestor.protected:
        yield ctx.reply(ctx.say("pack_only_admin", T, doc=doc.doc), kind="error")
        return
    confirm = buttons(
        [(ctx.say("yes_remove", T), press("rmok", doc.doc_id)), (ctx.say("cancel"), press("rmno"))]
    )
    text = ctx.say("remove_confirm", T, title=doc.title, doc=doc.doc)
    yield ctx.reply(text, kind="info", buttons=confirm)


async def remove(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    try:
        doc = await remove_document(ctx.services, ctx.press.text(), loader_of(ctx.user))
    except PackDocument as refused:
        yield ctx.reply(ctx.say("pack_only_admin", T, doc=refused.doc), kind="error", edit=True)
        return
    if doc is None:
        yield ctx.reply(ctx.say("gone"), kind="info", edit=True)
        return
    text = ctx.say("removed_restore", T, title=doc.title, doc=doc.doc)
    yield ctx.reply(text, kind="info", edit=True)


async def restore_command(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """`/restore NAME`; without a name, the documents with an earlier version kept and those
    removed (marked so), to tap."""
    name = " ".join(ctx.event.args).strip()
    if name:
        yield await _restore(ctx, name)
        return
    store = ctx.services.ingestor.store
    kept = await asyncio.to_thread(store.previous_documents)
    if not kept:
        yield ctx.reply(ctx.say("restore_none", T), kind="info")
        return
    active = {d.doc_id for d in await asyncio.to_thread(store.documents)}
    mark = ctx.say("removed_mark", T)
    rows = [
        [(f"↩ {d.doc[:40]}{'' if d.doc_id in active else mark}", press("rst", d.doc_id))]
        for d in kept
    ]
    yield ctx.reply(ctx.say("restore_usage", T), kind="info", buttons=buttons(*rows))


async def restore_pressed(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    yield await _restore(ctx, ctx.press.text())


async def _restore(ctx: Ctx[Needs], doc: str) -> Reply:
    try:
        restored, displaced = await restore_document(ctx.services, doc, loader_of(ctx.user))
    except NoPreviousVersion as missing:
        return ctx.reply(ctx.say("no_previous", T, doc=missing.doc), kind="error")
    except PackDocument as refused:
        return ctx.reply(ctx.say("pack_only_admin", T, doc=refused.doc), kind="error")
    text = ctx.say(
        "restored" if displaced else "restored_removed", T, doc=restored.doc,
        title=restored.title, chunks=restored.chunks,
        by=loaded_by(restored, ctx.lang), at=loaded_time(ctx, restored),
    )  # fmt: skip
    return ctx.reply(text, kind="info")


async def keep(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    yield ctx.reply(ctx.say("cancelled"), kind="info", edit=True)


FLOW = Flow(
    commands={"restore": Route("instructor", restore_command)},
    buttons={
        "rm": Route("instructor", ask_remove),
        "rmok": Route("instructor", remove),
        "rmno": Route("instructor", keep),
        "rpl": Route("instructor", replace, loads=held_name),
        "rplno": Route("instructor", keep_upload),
        "rst": Route("instructor", restore_pressed),
    },
)
