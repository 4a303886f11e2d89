"""Instructors' materials: the library, a document's passages, removing a document and
restoring the version a replace superseded or a removed document (each after a confirmation).
Uploading is in pages_upload."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import USER, console, lang_of, message, render
from bot.channels.web.pages_upload import batch_of
from bot.flows.library import loader_of, remove_document, restore_document
from bot.flows.materials import loaded_by
from bot.flows.materials_changes import T
from bot.flows.question_files import SUFFIXES as QUESTION_SUFFIXES
from bot.texts import say
from ingest.loaders import SUFFIXES
from knowledge.answering.models import DocumentInfo
from knowledge.errors import NoPreviousVersion, PackDocument


@guard("instructor")
async def library(request: web.Request) -> web.StreamResponse:
    """The documents (each kept previous version offered for restoring), the removed ones
    that can be brought back, and with ?batch=… an upload's progress or results."""
    batch = None
    if "batch" in request.query:
        batch = batch_of(request, request.query["batch"])
        if batch is None:
            return message(request, "no_batch", 404)
    store = _store(request)
    docs = await asyncio.to_thread(store.documents)
    kept = await asyncio.to_thread(store.previous_documents)
    wanted = request.query.get("q", "").strip()
    shown = [d for d in docs if _matches(d, wanted)]
    active = {d.doc_id for d in docs}
    removed = [d for d in kept if d.doc_id not in active and _matches(d, wanted)]
    lang = lang_of(request)
    return render(
        request, "materials.html", docs=shown, total=len(docs), q=wanted, batch=batch,
        restorable={d.doc_id for d in kept}, removed=removed,
        loaders={d.doc_id: loaded_by(d, lang) for d in (*shown, *removed)},
        max_mb=console(request).options.max_upload_mb,
        accept=",".join(sorted({*SUFFIXES, *QUESTION_SUFFIXES})),
    )  # fmt: skip


def _matches(doc: DocumentInfo, wanted: str) -> bool:
    wanted = wanted.casefold()
    return not wanted or wanted in doc.title.casefold() or wanted in doc.doc.casefold()


@guard("instructor")
async def document(request: web.Request) -> web.StreamResponse:
    """A document's passages, as they were indexed (to check a PDF or slides read well)."""
    store = _store(request)
    doc = await asyncio.to_thread(store.document, request.match_info["doc_id"])
    if doc is None:
        return message(request, "no_document", 404)
    chunks = await asyncio.to_thread(store.chunks_of, doc.version)
    mine = [c for c in chunks if c.doc_id == doc.doc_id]
    return render(request, "document.html", doc=doc, chunks=mine)


@guard("instructor")
async def confirm_remove(request: web.Request) -> web.StreamResponse:
    doc = await asyncio.to_thread(_store(request).document, request.match_info["doc_id"])
    if doc is None:
        return message(request, "no_document", 404)
    return render(request, "remove.html", doc=doc)


@guard("instructor")
async def remove(request: web.Request) -> web.StreamResponse:
    doc_id, loader = request.match_info["doc_id"], loader_of(request[USER])
    try:
        doc = await remove_document(console(request).core.services, doc_id, loader)
    except PackDocument as refused:
        text = say("pack_only_admin", lang_of(request), T, doc=refused.doc)
        return render(request, "message.html", key="", values={}, text=text, back="/materials")
    if doc is None:
        return message(request, "no_document", 404)
    text = say("removed", lang_of(request), T, title=doc.title)
    return render(request, "message.html", key="", values={}, text=text, back="/materials")


@guard("instructor")
async def confirm_restore(request: web.Request) -> web.StreamResponse:
    """What comes back and what it replaces, before the restore."""
    store, doc_id = _store(request), request.match_info["doc_id"]
    kept = await asyncio.to_thread(store.previous, doc_id)
    if kept is None:
        return message(request, "no_previous_version", 404)
    current = await asyncio.to_thread(store.document, doc_id)
    lang = lang_of(request)
    return render(
        request, "restore.html", kept=kept, current=current, by=loaded_by(kept, lang),
        now_by=loaded_by(current, lang) if current else "",
    )  # fmt: skip


@guard("instructor")
async def restore(request: web.Request) -> web.StreamResponse:
    doc_id, lang = request.match_info["doc_id"], lang_of(request)
    try:
        restored, displaced = await restore_document(
            console(request).core.services, doc_id, loader_of(request[USER])
        )
    except NoPreviousVersion:
        return message(request, "no_previous_version", 404)
    except PackDocument as refused:
        text = say("pack_only_admin", lang, T, doc=refused.doc)
        return render(request, "message.html", 403, key="", values={}, text=text, back="/materials")
    text = say(
        "restored" if displaced else "restored_removed", lang, T, doc=restored.doc,
        title=restored.title, chunks=restored.chunks, by=loaded_by(restored, lang),
        at=restored.loaded_at[:16].replace("T", " "),
    )  # fmt: skip
    return render(request, "message.html", key="", values={}, text=text, back="/materials")


def _store(request: web.Request):
    ingestor = console(request).core.services.ingestor
    assert ingestor is not None, "the console needs an ingestor"
    return ingestor.store


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/materials", library)
    # The pages quote a document's id as one path part (%2F for "/"), and the routes take it
    # whole, quoted or not; the document's own page comes last, as it would match the others.
    doc = "/materials/{doc_id:.+}"
    router.add_get(f"{doc}/remove", confirm_remove)
    router.add_post(f"{doc}/remove", remove)
    router.add_get(f"{doc}/restore", confirm_restore)
    router.add_post(f"{doc}/restore", restore)
    router.add_get(doc, document)
