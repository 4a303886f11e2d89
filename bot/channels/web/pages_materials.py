"""Instructors' materials: the library, uploading many files at once, a document's passages,
and removing a document (after a confirmation)."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import BodyPartReader, web

from bot.channels.web.auth import MULTIPART, guard
from bot.channels.web.base import USER, console, lang_of, message, render
from bot.flows.materials import (
    T,
    failure,
    ingesting,
    loaded_by,
    loader_of,
    remove_document,
)
from bot.flows.question_files import SUFFIXES as QUESTION_SUFFIXES
from bot.flows.question_files import import_questions
from bot.texts import say
from ingest.loaders import SUFFIXES
from ingest.pipeline import FileResult
from knowledge.answering.models import DocumentInfo
from knowledge.errors import PackDocument

MB = 1024 * 1024
CHUNK = 256 * 1024


@dataclass(frozen=True)
class Line:
    """One uploaded file's result, as the page shows it (a question file's refused questions,
    one line each, in `details`)."""

    name: str
    ok: bool
    text: str
    details: tuple[str, ...] = ()


@guard("instructor")
async def library(request: web.Request) -> web.StreamResponse:
    return await _library(request, [])


async def _library(request: web.Request, results: list[Line]) -> web.StreamResponse:
    store = _store(request)
    docs = await asyncio.to_thread(store.documents)
    wanted = request.query.get("q", "").strip()
    shown = [d for d in docs if _matches(d, wanted)]
    lang = lang_of(request)
    return render(
        request, "materials.html", docs=shown, total=len(docs), q=wanted, results=results,
        loaders={d.doc_id: loaded_by(d, lang) for d in shown},
        max_mb=console(request).options.max_upload_mb,
        accept=",".join(sorted({*SUFFIXES, *QUESTION_SUFFIXES})),
    )  # fmt: skip


def _matches(doc: DocumentInfo, wanted: str) -> bool:
    wanted = wanted.casefold()
    return not wanted or wanted in doc.title.casefold() or wanted in doc.doc.casefold()


@guard("instructor")
async def upload(request: web.Request) -> web.StreamResponse:
    """POST /materials (multipart): each file is read to a temporary file, then loaded as the
    bot loads one (a question file goes into the question bank); a bad file gets its own line
    and the others go on."""
    reader = request.get(MULTIPART) or await request.multipart()
    options = console(request).options
    limit = options.max_upload_mb * MB
    results: list[Line] = []
    replace = False  # "Replace documents of the same name", ticked (sent before the files)
    with tempfile.TemporaryDirectory(prefix="stdtutor-web-") as folder:
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "replace":
                replace = (await part.read(decode=True))[:10] == b"1"
                continue
            if not isinstance(part, BodyPartReader) or part.name != "files" or not part.filename:
                continue
            if len(results) >= options.max_files:
                results.append(Line(part.filename, False, _t(request, "too_many_files")))
                break
            results.append(await _one(request, part, Path(folder), limit, replace))
    if not results:
        results.append(Line("", False, _t(request, "no_files")))
    return await _library(request, results)


async def _one(
    request: web.Request, part: BodyPartReader, folder: Path, limit: int, replace: bool
) -> Line:
    name = Path(part.filename or "upload").name or "upload"
    lang = lang_of(request)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES and suffix not in QUESTION_SUFFIXES:
        await _drain(part)
        return Line(name, False, say("wrong_type", lang, T, name=name))
    path = folder / f"{len(list(folder.iterdir()))}" / name  # two files of one name stay apart
    path.parent.mkdir()
    size = 0
    with path.open("wb") as out:
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > limit:
                await _drain(part)
                text = say(
                    "too_big", lang, T, name=name, size=f"{size / MB:.1f}+", limit=limit // MB
                )
                return Line(name, False, text)
            out.write(chunk)
    if suffix in QUESTION_SUFFIXES:
        imported = await import_questions(console(request).core.services, path, name)
        summary, *reasons = imported.lines(lang)
        return Line(name, not imported.errors, summary, tuple(reasons))
    result: FileResult | None = None
    loader = loader_of(request[USER])
    async for item in ingesting(console(request).core.services, path, name, loader, replace):
        if isinstance(item, FileResult):
            result = item
    assert result is not None
    return _line(lang, name, result)


async def _drain(part: BodyPartReader) -> None:
    while await part.read_chunk(CHUNK):
        pass


def _line(lang, name: str, result: FileResult) -> Line:
    if result.status == "failed" or result.doc is None:
        return Line(name, False, failure(result, lang))
    d = result.doc
    if result.status == "conflict":
        by, at = loaded_by(d, lang), d.loaded_at[:16].replace("T", " ")
        text = say("not_replaced", lang, T, doc=d.doc, title=d.title, chunks=d.chunks, by=by,
                   at=at)  # fmt: skip
        return Line(name, False, text)
    status = say(result.status, lang, T)
    text = say("summary", lang, T, status=status, title=d.title, doc=d.doc, chunks=d.chunks,
               language=d.lang).replace("\n", " · ")  # fmt: skip
    return Line(name, True, text)


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


def _store(request: web.Request):
    ingestor = console(request).core.services.ingestor
    assert ingestor is not None, "the console needs an ingestor"
    return ingestor.store


def _t(request: web.Request, key: str) -> str:
    from bot.channels.web.texts import W

    return say(key, lang_of(request), W, n=console(request).options.max_files)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/materials", library)
    router.add_post("/materials", upload)
    router.add_get("/materials/{doc_id}", document)
    router.add_get("/materials/{doc_id}/remove", confirm_remove)
    router.add_post("/materials/{doc_id}/remove", remove)
