"""The extractive writer: sentences from the retrieved passages, each group cited.

Without an LLM nothing is written that is not in the materials. Every sentence of every
retrieved passage is a candidate; a small fitted model (`SENTENCE_WEIGHTS`, refitted by
`python -m bench.calibrate`) scores how likely it is to hold what one part of the question
asks. Each part gets its best sentence; a sentence that leans on its predecessor ("This
period…") brings it along; a lead-in ending in a colon brings its list. It fits a phone screen.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from knowledge.answering.glossary import Glossary
from knowledge.answering.models import Answer, Citation, Passage
from knowledge.answering.query import Concept, Query
from knowledge.answering.retrieval import Retrieved, Similarity, Vectors
from knowledge.answering.text import sentences, terms
from knowledge.vocabulary import Lang, has_cjk, shorten

REFUSAL = {
    "zh": "课程资料里没有找到这个问题的答案，我不想凭空猜测。"
    "问题已转给老师，老师回答后我会在这里告诉你。",
    "en": "The course materials don't cover this, and I won't guess. "
    "I've passed your question to an instructor; their answer will come here.",
}
FOREIGN_SOURCE = {"zh": "（以下摘自英文资料）", "en": "(Quoted from the Chinese materials) "}
TERMS_NOTE = {"zh": "（术语：{pairs}）", "en": " (Terms: {pairs})"}

# feature order: see features(); fitted on the dev sets as a choice among each part's rival
# sentences (bench/calibrate.py)
SENTENCE_WEIGHTS = (
    -2.733,
    1.256,
    1.295,
    1.228,
    1.839,
    2.072,
    0.379,
    -0.485,
    0.327,
    0.714,
    0.731,
    1.357,
    0.545,
    0.542,
    0.59,
    0.178,
    -0.221,
)
_LEANS_BACK = re.compile(
    r"^(this|these|that|those|it|they|such|the (above|former|latter|same)|in (this|that) case|"
    r"however|otherwise|then|also|该|此|这|上述|前款|其|但|如|否则|同时)\b",
    re.I,
)
_LIST_ITEM = re.compile(
    r"^\s*([-*•]|\d+[.)、]|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)"
)


_CJK_STOPS = set("。！？；：，、）」』”")
TRANSLATED = 0.7  # a sentence and its translation, under the cross-language encoder
SAME_AGAIN = 0.92  # a near copy in the same language


@dataclass(frozen=True)
class AnswerSettings:
    # About a phone screen: Chinese packs about twice the meaning per character.
    max_chars_zh: int = 320
    max_chars_en: int = 560
    max_citations: int = 3
    keep_ratio: float = 0.5  # further sentences need this share of the best one's score
    next_bonus: float = 0.2  # the sentence after a chosen one is likelier to continue it
    foreign_factor: float = 0.85  # other-language sentences, when own-language ones exist

    def limit(self, lang: Lang) -> int:
        return self.max_chars_zh if lang == "zh" else self.max_chars_en

    def budget(self, lang: Lang, parts: int) -> int:
        """A question in two parts gets half a screen more for its second part."""
        return int(self.limit(lang) * min(1.5, 1 + 0.5 * (parts - 1)))


def refusal(question: str, lang: Lang, passages: list[Passage] | None = None) -> Answer:
    return Answer(question, REFUSAL[lang], True, lang, (), passages=tuple(passages or ()))


@dataclass(frozen=True)
class Sentence:
    """One sentence of a retrieved passage, where it sits, and its terms."""

    rank: int  # the passage's rank
    line: int  # the paragraph (line) within the passage
    index: int  # position among the passage's sentences
    text: str
    terms: frozenset[str]
    list_item: bool
    similarity: float = 0.0  # to the question, under the cross-language encoder
    dense: float = 0.0  # to the question, under the main encoder
    similarity_rank: int = 0  # place among the pool's sentences by `similarity` (0: best)
    dense_rank: int = 0  # and by `dense`


def units(text: str) -> list[tuple[int, str, bool]]:
    """(line, sentence, whether the line is a list item) of a passage, as the writer reads it."""
    out: list[tuple[int, str, bool]] = []
    for line_no, line in enumerate(text.split("\n")):
        line = line.strip()
        if len(line) < 4:
            continue
        # A list item, or a table's row ("a | b", as ingest writes tables), keeps its own line.
        item = bool(_LIST_ITEM.match(line)) or " | " in line
        out += [(line_no, sentence, item) for sentence in sentences(line) or [line]]
    return out


def sentence_texts(passage_texts: Iterable[str]) -> list[str]:
    """The distinct sentences of these passages: ingest embeds them beside the passages, so
    the writer can score each sentence by the encoders without embedding at question time."""
    return list(dict.fromkeys(text for p in passage_texts for _, text, _ in units(p)))


def candidates(
    passages: list[Passage], similar: Similarity | None = None, dense: Similarity | None = None
) -> list[Sentence]:
    out = [
        Sentence(rank, line_no, index, text, frozenset(terms(text)), item)
        for rank, passage in enumerate(passages)
        for index, (line_no, text, item) in enumerate(units(passage.chunk.text))
    ]
    if out and (similar is not None or dense is not None):
        texts = [s.text for s in out]
        zeros = [0.0] * len(out)
        second = [float(v) for v in similar(texts)] if similar is not None else zeros
        first = [float(v) for v in dense(texts)] if dense is not None else zeros
        out = [
            replace(s, similarity=v, dense=d, similarity_rank=r2, dense_rank=r1)
            for s, v, d, r2, r1 in zip(
                out, second, first, _standing(second), _standing(first), strict=True
            )
        ]
    return out


def _standing(values: list[float]) -> list[int]:
    """Each value's place among them: how many are strictly greater (ties share a place)."""
    descending = sorted(-v for v in values)
    return [bisect.bisect_left(descending, -v) for v in values]


def part_found(sentence: Sentence, clause: list[Concept]) -> float:
    """The share of one part of the question that the sentence mentions."""
    weight = sum(c.weight for c in clause) or 1.0
    return sum(c.weight for c in clause if c.found_in(sentence.text, sentence.terms)) / weight


def features(
    sentence: Sentence,
    clause: list[Concept],
    query: Query,
    passage: Passage,
    part_place: int = 0,
    around: tuple[float, float] = (0.0, 0.0),
) -> tuple[float, ...]:
    """What the scorer weighs; `part_place` is the sentence's place among the pool's by how
    much of this part of the question it mentions (how a sentence compares with the others
    it competes with tells more than its raw similarity: encoders' scales drift by topic);
    `around` is how much of it the sentences before and after mention (a detail often
    follows the sentence that names the topic). The last feature is the asked shape and the
    part's words together (each alone is counted above; fitted, together they count less
    than the sum)."""
    shape = query.fits(sentence.text)
    return (
        1.0,
        part_found(sentence, clause),
        query.coverage(sentence.text, sentence.terms),
        shape,
        1.0 / (1 + sentence.rank),
        passage.lexical,
        max(passage.second - 0.3, 0.0) * 2,
        1.0 / (1 + sentence.index),
        min(len(sentence.text), 400) / 200,
        max(sentence.similarity - 0.2, 0.0) * 3,
        (sentence.dense - 0.8) * 10 if sentence.dense else 0.0,
        1.0 / (1 + sentence.dense_rank),
        1.0 / (1 + sentence.similarity_rank),
        1.0 / (1 + part_place),
        around[0],
        around[1],
        max(shape, 0.0) * part_found(sentence, clause),
    )


def clause_features(
    pool: list[Sentence], query: Query, passages: list[Passage]
) -> list[dict[Sentence, tuple[float, ...]]]:
    """For each part of the question, every sentence's features."""
    out = []
    for clause in query.clauses:
        found = [part_found(s, clause) for s in pool]
        at = {(s.rank, s.index): f for s, f in zip(pool, found, strict=True)}
        out.append(
            {
                s: features(
                    s,
                    clause,
                    query,
                    passages[s.rank],
                    place,
                    (at.get((s.rank, s.index - 1), 0.0), at.get((s.rank, s.index + 1), 0.0)),
                )  # fmt: skip
                for s, place in zip(pool, _standing(found), strict=True)
            }
        )
    return out


def likelihood(x: tuple[float, ...], weights: tuple[float, ...] = SENTENCE_WEIGHTS) -> float:
    z = sum(w * v for w, v in zip(weights, x, strict=True))
    return 1 / (1 + math.exp(-z))


def clause_scores(
    pool: list[Sentence], query: Query, passages: list[Passage], weights: tuple[float, ...]
) -> list[dict[Sentence, float]]:
    """For each part of the question, every sentence's likelihood of answering it."""
    return [
        {s: likelihood(x, weights) for s, x in part.items()}
        for part in clause_features(pool, query, passages)
    ]


def best_sentences(
    retrieved: Retrieved, top: int = 5, n: int = 5, weights: tuple[float, ...] = SENTENCE_WEIGHTS
) -> list[tuple[float, Sentence]]:
    """The n likeliest answering sentences of the top passages, best first: the gate's
    clearest sign of an answer (and, by their shape, of a near miss)."""
    passages = retrieved.passages[:top]
    pool = candidates(passages, retrieved.similar, retrieved.dense)
    per_clause = clause_scores(pool, retrieved.query, passages, weights)
    scored = [(max(scores[s] for scores in per_clause), s) for s in pool]
    return sorted(scored, key=lambda pair: -pair[0])[:n]


class ExtractiveWriter:
    def __init__(
        self,
        settings: AnswerSettings | None = None,
        glossary: Glossary | None = None,
        weights: tuple[float, ...] = SENTENCE_WEIGHTS,
    ) -> None:
        self.settings = settings or AnswerSettings()
        self.glossary, self.weights = glossary, weights

    def write(self, retrieved: Retrieved) -> Answer:
        """The sentences that answer each part of the question, cited, about a screen long."""
        question, query, passages = retrieved.question, retrieved.query, retrieved.passages
        lang = question.lang
        pool = candidates(passages, retrieved.similar, retrieved.dense)
        if not pool:
            return refusal(question.text, lang, passages)
        budget = self.settings.budget(lang, len(query.clauses))
        # A passage in the asker's language is preferred to its twin in the other language.
        own_language = any(p.chunk.lang == lang for p in passages)
        factor = {
            s: self.settings.foreign_factor
            if own_language and passages[s.rank].chunk.lang != lang
            else 1.0
            for s in pool
        }
        per_clause = [
            {s: value * factor[s] for s, value in part.items()}
            for part in clause_scores(pool, query, passages, self.weights)
        ]
        scores = {s: max(part[s] for part in per_clause) for s in pool}
        repeats = _repetition(pool, passages, retrieved.words)
        chosen: list[Sentence] = []
        # Each part of the question gets its own sentence: the surest part picks first, and a
        # part whose best was taken by another takes its next best.
        for part in sorted(per_clause, key=lambda part: -max(part.values())):
            free = (s for s in pool if s not in chosen and not repeats(s, chosen))
            best = max(free, key=part.__getitem__, default=None)
            if best is not None:
                chosen += [s for s in _with_context(best, pool) if s not in chosen]
        top = max(scores.values())
        used = sum(len(s.text) for s in chosen)
        # Then the screen fills with the likeliest others, the chosen sentences' next first.
        following = {(s.rank, s.index + 1) for s in chosen}
        bonus = self.settings.next_bonus
        ranked = sorted(
            pool, key=lambda s: -(scores[s] + (bonus if (s.rank, s.index) in following else 0))
        )
        for s in ranked:
            if s in chosen or scores[s] < top * self.settings.keep_ratio:
                continue
            ranks = {c.rank for c in chosen}
            if (
                s.rank not in ranks
                and len(ranks) >= self.settings.max_citations + len(query.clauses) - 1
            ):
                continue
            if used + len(s.text) > budget or repeats(s, chosen):
                continue
            chosen.append(s)
            used += len(s.text)
        chosen += _list_after(chosen, pool, budget - used)
        return self._compose(retrieved, chosen, scores)

    def _compose(
        self, retrieved: Retrieved, chosen: list[Sentence], scores: dict[Sentence, float]
    ) -> Answer:
        question, passages, lang = retrieved.question, retrieved.passages, retrieved.question.lang
        order = sorted(chosen, key=lambda s: (s.rank, s.index))
        best = {r: max(scores[s] for s in chosen if s.rank == r) for r in {s.rank for s in chosen}}
        numbers: dict[int, int] = {}
        parts: list[str] = []
        room = self.settings.budget(lang, len(retrieved.query.clauses))  # about a screen
        for rank in sorted(best, key=lambda r: -best[r]):  # the likeliest passage first
            group = [s for s in order if s.rank == rank]
            foreign = passages[rank].chunk.lang != lang
            prefix = FOREIGN_SOURCE[lang] if foreign else ""
            if parts and room < 60:
                break
            group = _fitting(group, scores, room - len(prefix))
            text = _join(group)
            note = self._terms_note(text, lang) if foreign else ""
            if len(text) + len(note) > room:
                note = ""
                if parts and len(text) > room:
                    continue  # a sentence is shown whole or not at all, but for the first
                text = shorten(text, max(room, 60))
            room -= len(prefix) + len(text) + len(note) + 5
            numbers[rank] = len(numbers) + 1
            parts.append(f"{prefix}{text} [{numbers[rank]}]{note}")
        for rank, passage in enumerate(passages):  # other documents retrieved: see also
            if len(numbers) >= self.settings.max_citations:
                break
            if rank not in numbers and passage.chunk.doc_id not in {
                passages[r].chunk.doc_id for r in numbers
            }:
                numbers[rank] = len(numbers) + 1
        cites = tuple(citation(n, passages[rank]) for rank, n in numbers.items())
        return Answer(question.text, "\n".join(parts), False, lang, cites, passages=tuple(passages))

    def _terms_note(self, text: str, lang: Lang) -> str:
        """The glossary's translation of the quoted passage's key terms, for a reader of one
        language using a passage in the other."""
        if self.glossary is None:
            return ""
        pairs = []
        for term, form in self.glossary.matches(text)[0][:4]:
            if form == term.zh:
                pairs.append(f"{term.zh} = {term.en[0]}")
            else:
                pairs.append(f"{form} = {term.zh}")
        if not pairs:
            return ""
        return TERMS_NOTE[lang].format(pairs=("；" if lang == "zh" else "; ").join(pairs))


def _repetition(
    pool: list[Sentence], passages: list[Passage], vectors: Vectors | None
) -> Callable[[Sentence, list[Sentence]], bool]:
    """Whether a sentence says again what a chosen one says: the same clause from a bilingual
    pack's other-language chapter (the cross-language encoder puts a sentence and its
    translation near 0.8, unrelated sentences of one topic near 0.4), or a near copy in
    another document. Without the encoder nothing counts as a repeat."""
    if vectors is None or not pool:
        return lambda sentence, chosen: False
    matrix = vectors([s.text for s in pool], False)
    row = {s: i for i, s in enumerate(pool)}

    def repeats(sentence: Sentence, chosen: list[Sentence]) -> bool:
        if not chosen:
            return False
        lang = passages[sentence.rank].chunk.lang
        cosines = matrix[[row[c] for c in chosen]] @ matrix[row[sentence]]
        return any(
            cosine >= (SAME_AGAIN if passages[c.rank].chunk.lang == lang else TRANSLATED)
            for c, cosine in zip(chosen, cosines.tolist(), strict=True)
        )

    return repeats


def _with_context(best: Sentence, pool: list[Sentence]) -> list[Sentence]:
    """A sentence that leans on the one before it ("This period…") brings it along."""
    if best.index > 0 and _LEANS_BACK.match(best.text):
        before = [s for s in pool if s.rank == best.rank and s.index == best.index - 1]
        return [*before, best]
    return [best]


def _fitting(group: list[Sentence], scores: dict[Sentence, float], room: int) -> list[Sentence]:
    """A passage's chosen sentences that fit the room left, dropped whole, the least likely
    first (cut short, the last one would lose what it says: "…贯彻“质量…")."""
    kept = list(group)
    while len(kept) > 1 and len(_join(kept)) > room:
        kept.remove(min(kept, key=scores.__getitem__))
    return kept


def _list_after(chosen: list[Sentence], pool: list[Sentence], budget: int) -> list[Sentence]:
    """A lead-in ("The four partners are:") only echoes the question; its items answer it."""
    taken: list[Sentence] = []
    for lead in chosen:
        if not lead.text.rstrip().endswith((":", "：")):
            continue
        for s in pool:
            if s.rank != lead.rank or s.index <= lead.index or s in chosen or s in taken:
                continue
            if len(s.text) > budget or len(taken) == 8:
                break
            taken.append(s)
            budget -= len(s.text)
    return taken


def _join(group: list[Sentence]) -> str:
    """Sentences of one passage: a list item on its own line; Chinese without spaces."""
    out = ""
    for previous, s in zip([None, *group], group, strict=False):
        if previous is None:
            out = s.text
        elif s.list_item or (previous.line != s.line and previous.list_item):
            out += "\n" + s.text
        elif has_cjk(s.text[:1]) or has_cjk(out[-1:]) or out[-1:] in _CJK_STOPS:
            out += s.text
        else:
            out += " " + s.text
    return out


def citation(n: int, passage: Passage) -> Citation:
    chunk = passage.chunk
    return Citation(n, chunk.doc, chunk.title, chunk.section, chunk.page, chunk.text)
