"""The fake beside the Writer port: the first retrieved passage, quoted whole and cited.

No sentence scoring and no model: a flow's test knows exactly what the answer will say. For
tests of flows, not of answer quality; the real writers are `extractive` and `llm`.
"""

from __future__ import annotations

from knowledge.answering.models import Answer
from knowledge.answering.retrieval import Retrieved
from knowledge.answering.write.extractive import citation, refusal


class QuoteWriter:
    def write(self, retrieved: Retrieved) -> Answer:
        question, passages = retrieved.question, retrieved.passages
        if not passages:
            return refusal(question.text, question.lang, passages)
        first = passages[0]
        return Answer(
            question.text,
            f"{first.chunk.text.strip()} [1]",
            False,
            question.lang,
            (citation(1, first),),
            passages=tuple(passages),
        )
