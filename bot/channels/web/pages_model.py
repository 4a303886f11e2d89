"""The competency model as instructors and admins read it: the proficiency levels, the groups
with their competencies and each level's descriptor, and the target level of every talent
category, all in the viewer's language (competency_model.yaml, as loaded)."""

from __future__ import annotations

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import console, lang_of, render
from knowledge.learning.model import Competency, CompetencyModel


def groups(model: CompetencyModel) -> list[tuple[Competency | None, list[Competency]]]:
    """Each group with its competencies, in file order; those without a group come last."""
    found: dict[str | None, list[Competency]] = {}
    for competency in model.competencies.values():
        if competency.descriptors or competency.parent is not None:
            found.setdefault(competency.parent, []).append(competency)
    heads = [c for c in model.competencies.values() if c.id in found]
    listed = [(head, found[head.id]) for head in heads]
    return listed + ([(None, found[None])] if None in found else [])


@guard("instructor")
async def model_page(request: web.Request) -> web.StreamResponse:
    model, lang = console(request).core.services.model, lang_of(request)
    return render(
        request, "model.html", model=model, groups=groups(model), leaves=model.leaves(),
        categories=list(model.categories.values()),
        title=model.title_zh if lang == "zh" else model.title_en,
        description=model.description_zh if lang == "zh" else model.description_en,
    )  # fmt: skip


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/model", model_page)
