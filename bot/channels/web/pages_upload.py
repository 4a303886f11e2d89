"""Uploading many files at once, each with its own progress and result.

POST /materials reads every file to a temporary folder (a wrong type or one too big is refused
at once), then loads them one after another in the background as the bot loads one (a question
file goes into the question bank), each file's state kept in the person's batch. The page's
script posts with `Accept: application/json` (showing how much of each file the browser has
sent meanwhile), gets the batch at once and shows /materials?batch=… , which polls
GET /materials/uploads/{batch} (JSON) and updates each line. A plain form post (no script)
waits for the work and then shows that page with the results; opened while the work goes on,
it refreshes itself."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import BodyPartReader, MultipartReader, web

from bot.channels.web.auth import MULTIPART, guard
from bot.channels.web.base import USER, console, lang_of, message
from bot.channels.web.texts import W
from bot.channels.web.uploads import Batch, FileState, Said
from bot.flows.library import ingesting, loader_of
from bot.flows.materials import T, failure, loaded_by
from bot.flows.question_files import SUFFIXES as QUESTION_SUFFIXES
from bot.flows.question_files import import_questions
from bot.services import Services
from bot.texts import say
from ingest.loaders import SUFFIXES
from ingest.pipeline import FileResult, Loader
from knowledge.vocabulary import Lang

log = logging.getLogger(__name__)
MB = 1024 * 1024
CHUNK = 256 * 1024


@dataclass(frozen=True)
class Job:
    """What the background work has to do for one received file."""

    state: FileState
    path: Path


@guard("instructor")
async def upload(request: web.Request) -> web.StreamResponse:
    reader = request.get(MULTIPART) or await request.multipart()
    folder = Path(tempfile.mkdtemp(prefix="stdtutor-web-"))
    try:
        files, jobs, replace = await _receive(request, reader, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    user, services = request[USER], console(request).core.services
    batch = console(request).uploads.new(user.id, files)
    work = _work(services, jobs, folder, loader_of(user), replace)
    batch.task = asyncio.create_task(work, name=f"upload {batch.id}")
    page = f"/materials?batch={batch.id}#results"
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response({"batch": batch.id, "page": page})
    await asyncio.shield(batch.task)  # without the script, the results page follows the work
    raise web.HTTPSeeOther(page)


async def _receive(
    request: web.Request, reader: MultipartReader, folder: Path
) -> tuple[list[FileState], list[Job], bool]:
    options = console(request).options
    limit = options.max_upload_mb * MB
    files: list[FileState] = []
    jobs: list[Job] = []
    replace = False  # "Replace documents of the same name", ticked (sent before the files)
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == "replace":
            replace = (await part.read(decode=True))[:10] == b"1"
            continue
        if not isinstance(part, BodyPartReader) or part.name != "files" or not part.filename:
            continue
        state = FileState(Path(part.filename).name or "upload")
        files.append(state)
        if len(files) > options.max_files:
            _refuse(state, W, "too_many_files", n=options.max_files)
            break
        path = folder / str(len(files)) / state.name  # two files of one name stay apart
        if await _save(part, state, path, limit):
            jobs.append(Job(state, path))
    if not files:
        files.append(FileState(""))
        _refuse(files[0], W, "no_files")
    return files, jobs, replace


def _refuse(state: FileState, table: dict[str, tuple[str, str]], key: str, **values) -> None:
    state.finish(False, lambda lang: (say(key, lang, table, **values), ()))


async def _save(part: BodyPartReader, state: FileState, path: Path, limit: int) -> bool:
    """The file to `path`; False (and the file refused) when it is of a wrong type or too big."""
    name, suffix = state.name, Path(state.name).suffix.lower()
    if suffix not in SUFFIXES and suffix not in QUESTION_SUFFIXES:
        await _drain(part)
        _refuse(state, T, "wrong_type", name=name)
        return False
    path.parent.mkdir()
    size = 0
    with path.open("wb") as out:
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > limit:
                await _drain(part)
                big = f"{size / MB:.1f}+"
                _refuse(state, T, "too_big", name=name, size=big, limit=limit // MB)
                return False
            out.write(chunk)
    return True


async def _drain(part: BodyPartReader) -> None:
    while await part.read_chunk(CHUNK):
        pass


async def _work(
    services: Services, jobs: list[Job], folder: Path, loader: Loader, replace: bool
) -> None:
    """Each file in turn; one that fails (even unexpectedly) stops none of the others."""
    try:
        for job in jobs:
            job.state.state = "reading"
            try:
                await _one(services, job, loader, replace)
            except Exception:
                log.exception("loading %s from the console failed", job.state.name)
                _refuse(job.state, W, "upload_failed", name=job.state.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for job in jobs:
            if not job.state.finished:  # the application stopped under it
                _refuse(job.state, W, "upload_failed", name=job.state.name)


async def _one(services: Services, job: Job, loader: Loader, replace: bool) -> None:
    state, path = job.state, job.path
    if path.suffix.lower() in QUESTION_SUFFIXES:
        imported = await import_questions(services, path, state.name)
        state.finish(not imported.errors, lambda lang: _lines(imported.lines(lang)))
        return
    result: FileResult | None = None
    async for item in ingesting(services, path, state.name, loader, replace):
        if isinstance(item, FileResult):
            result = item
        else:
            state.state, (state.done, state.total) = "indexing", item
    assert result is not None
    ok = result.status not in ("failed", "conflict") and result.doc is not None
    if ok and result.doc is not None:
        state.done = state.total = result.doc.chunks
    state.finish(ok, lambda lang: (_line(lang, result), ()))


def _lines(lines: list[str]) -> Said:
    summary, *reasons = lines
    return summary, tuple(reasons)


def _line(lang: Lang, result: FileResult) -> str:
    if result.status == "failed" or result.doc is None:
        return failure(result, lang)
    d = result.doc
    if result.status == "conflict":
        by, at = loaded_by(d, lang), d.loaded_at[:16].replace("T", " ")
        return say("not_replaced", lang, T, doc=d.doc, title=d.title, chunks=d.chunks, by=by,
                   at=at)  # fmt: skip
    status = say(result.status, lang, T)
    return say("summary", lang, T, status=status, title=d.title, doc=d.doc, chunks=d.chunks,
               language=d.lang).replace("\n", " · ")  # fmt: skip


def batch_of(request: web.Request, batch_id: str) -> Batch | None:
    return console(request).uploads.get(batch_id, request[USER].id)


@guard("instructor")
async def progress(request: web.Request) -> web.StreamResponse:
    """GET /materials/uploads/{batch}: each file's state, for the page's script."""
    batch = batch_of(request, request.match_info["batch"])
    if batch is None:
        return message(request, "no_batch", 404)
    return web.json_response(batch.as_json(lang_of(request)))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/materials", upload)
    router.add_get("/materials/uploads/{batch}", progress)
