"""A trainee's page for admins: mastery against their category's targets (the chart /progress
sends, as SVG), mastery over time (every value it took, from `mastery_history`, migration
0010; the latest `HISTORY_POINTS` of each competency), their recent answers, and what to
read next, as /progress would tell them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import console, lang_of, message, render
from bot.channels.web.pages_results import svg_response
from bot.flows.progress import biggest_gap, document_title, next_level
from bot.services import Services
from knowledge.learning.mastery import START
from knowledge.learning.model import Competency
from knowledge.records import User
from knowledge.vocabulary import Lang

RECENT = 20  # answers listed, newest first


@dataclass(frozen=True)
class Standing:
    competency: Competency
    mastery: float | None  # None: not answered on yet
    attempts: int
    target: int

    @property
    def level(self) -> int:
        """Mastery's level, never shown outside the 1-5 scale."""
        return min(5, max(1, int(self.mastery or 0)))


@dataclass(frozen=True)
class NextRead:
    competency: Competency
    level: int  # the level to work towards
    descriptor: str  # what that level looks like
    document: str  # the course-pack document's title; "" when it isn't loaded


@guard("admin")
async def trainee(request: web.Request) -> web.StreamResponse:
    services, lang = console(request).core.services, lang_of(request)
    person = await _person(request)
    if person is None:
        return message(request, "no_user", 404)
    model = services.model
    scores = await services.records.mastery(person.id)
    targets = model.profile(person.category)
    standing = [
        Standing(leaf, m.score if (m := scores.get(leaf.id)) else None,
                 m.attempts if m else 0, targets.get(leaf.id, 0))
        for leaf in model.leaves()
    ]  # fmt: skip
    attempts = (await services.records.attempts_of(person.id))[::-1][:RECENT]
    history = await services.records.mastery_history(person.id)
    bank = {q.id: q for q in await services.records.items(None)}
    category = model.categories.get(person.category or "")
    return render(
        request, "trainee.html", person=person, standing=standing, attempts=attempts,
        bank=bank, levels={lv.n: lv.name(lang) for lv in model.levels},
        category=category.title(lang) if category else "",
        next_read=await _next_read(services, person, lang), has_history=bool(history),
    )  # fmt: skip


async def _next_read(services: Services, person: User, lang: Lang) -> NextRead | None:
    """The biggest gap's next level and where to read for it, as /progress words it."""
    scores = {c: m.score for c, m in (await services.records.mastery(person.id)).items()}
    targets = services.model.profile(person.category)
    mastery = {c: scores.get(c, START) for c in targets}
    cid = biggest_gap(targets, mastery)
    if cid is None:
        return None
    comp, level = services.model.competencies[cid], next_level(mastery[cid])
    zh, en = comp.descriptors.get(level, ("", ""))
    title = ""
    if comp.source_doc:
        documents = await asyncio.to_thread(services.tutor.retriever.store.documents)
        title = document_title(documents, comp.source_doc, lang)
    return NextRead(comp, level, zh if lang == "zh" else en, title)


@guard("admin")
async def progress_chart(request: web.Request) -> web.StreamResponse:
    services = console(request).core.services
    person = await _person(request)
    if person is None:
        return message(request, "no_user", 404)
    scores = await services.records.mastery(person.id)
    touched = {c: m.score for c, m in scores.items()}
    from knowledge.learning import charts  # matplotlib: loaded when a chart is drawn

    def draw() -> bytes:
        return charts.svg(
            charts.progress_figure(services.model, person.category, touched, lang_of(request))
        )

    return svg_response(await asyncio.to_thread(draw))


@guard("admin")
async def history_chart(request: web.Request) -> web.StreamResponse:
    """Mastery over time: a line per competency answered on, the targets dashed, dates on the
    alliance's clock, names in the reader's language."""
    services = console(request).core.services
    person = await _person(request)
    if person is None:
        return message(request, "no_user", 404)
    history = await services.records.mastery_history(person.id)
    lang, zone = lang_of(request), services.policy.timezone
    from knowledge.learning import charts  # matplotlib: loaded when a chart is drawn

    def draw() -> bytes:
        figure = charts.history_figure(
            services.model, history, lang, category=person.category, zone=zone
        )
        return charts.svg(figure)

    return svg_response(await asyncio.to_thread(draw))


async def _person(request: web.Request) -> User | None:
    text = request.match_info["user_id"]
    if not text.isdigit() or len(text) > 18:  # a user id fits in a BIGINT
        return None
    return await console(request).core.services.records.user(int(text))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/trainees/{user_id}", trainee)
    router.add_get("/trainees/{user_id}/progress.svg", progress_chart)
    router.add_get("/trainees/{user_id}/history.svg", history_chart)
