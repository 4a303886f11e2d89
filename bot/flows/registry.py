"""Every flow the core runs, in one place: adding a flow is a module and a line here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.flows import (
    Flow,
    account,
    admin,
    ask,
    feedback,
    materials,
    materials_changes,
    progress,
    quiz,
    reports,
    web,
)
from bot.flows.quiz import start

FLOWS: tuple[Flow, ...] = (
    account.FLOW,
    ask.FLOW,
    materials.FLOW,
    materials_changes.FLOW,
    feedback.FLOW,
    admin.FLOW,
    quiz.FLOW,
    progress.FLOW,
    reports.FLOW,
    web.FLOW,
)

if TYPE_CHECKING:  # the type checker proves the services have what every flow declares it needs
    from bot.services import Services

    def _provides(services: Services) -> None:
        _: account.Needs = services
        _ask: ask.Needs = services
        _materials: materials.Needs = services
        _feedback: feedback.Needs = services
        _admin: admin.Needs = services
        _quiz: start.Needs = services
        _progress: progress.Needs = services
        _reports: reports.Needs = services
        _web: web.Needs = services
