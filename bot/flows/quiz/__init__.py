"""Quizzes against the competency model: `start` begins a session and asks each next question,
`answers` takes an answer however it comes (poll, button, typed text) and says what's next."""

from __future__ import annotations

from bot.conversation import AwaitingQuizAnswer
from bot.flows import Flow, Route
from bot.flows.quiz import answers, start

FLOW = Flow(
    commands={
        "quiz": Route("trainee", start.start_quiz),
        "review": Route("trainee", start.start_review),
    },
    buttons={
        "quiz": Route("trainee", start.start_quiz),  # "first quiz" and "another round"
        "qa": Route("trainee", answers.pressed),
        "qt": Route("trainee", answers.toggled),
        start.SUBMIT: Route("trainee", answers.submitted),
        "qs": Route("trainee", answers.source),
        "qz": Route("trainee", start.quiz_on_answer),
    },
    steps={AwaitingQuizAnswer: Route("trainee", answers.typed)},
    poll=Route("trainee", answers.poll_answered),
)
