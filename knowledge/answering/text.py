"""CJK-aware retrieval terms and sentence splitting."""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

from knowledge.sentences import split
from knowledge.vocabulary import CJK as _CJK

_LATIN_WORD = re.compile(r"[a-z0-9]+(?:[./-][a-z0-9]+)*")
_SEGMENTS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9][A-Za-z0-9./-]*")

# Words that carry no meaning for retrieval; jieba keeps them as tokens otherwise.
STOPWORDS = frozenset(
    """a an the of to in on at for by with from as is are was were be been being it its this that
    these those what which who whom whose when where why how do does did can could should
    would may might must shall will i you he she we they me my our your their there here and
    or not no if then than so such about into over under any all each other some more most
    also only just up out one tell please know want need get got s t but re ve ll d m don doesn
    isn aren didn let us whether very yes 的 了 和 与 及 或 是 在
    有 吗 呢 吧 啊 么 什么 哪些 哪个 哪 怎么 怎样 如何 为什么 多少 几 个 请问 请 一下 我 你 他
    她 它 我们 你们 他们 这 那 这个 那个 这些 那些 就 都 也 还 要 会 能 可以 对 把 被 给 让 从
    到 吗 么 呀 嘛 得 地 着 过 之 其 该 等 以 为 于 上 下 中 里 时 后 前 一 是否 需要 问 说 讲
    whats what's many much long often difference between kind type happen exactly still ever
    say called call mean means meaning does did actually really currently now 多久 多长
    多长时间 长时间 时候 什么时候 哪年 哪一年 一年 哪天 几个 哪几个 哪几 几类 几种 几名 几家
    几项 第几 一共 一次 啥 啥意思 意思 什么意思 谁 还是 现在 要不要 不要 能不能 可不可以
    有没有 是不是 哪里 区别 一起 主要 方面 东西 大概 叫 怎么说 为何 叫什么 是什么 有什么
    什么样 哪种 多大""".split()
)

_jieba_lock = threading.Lock()
_jieba_ready = False
_tokenizer: jieba.Tokenizer = jieba.dt
# One tokenizer per set of domain words (a process has one glossary; tests have a few): jieba's
# default one is global, so words taught for one library would cut another's text.
_tokenizers: dict[frozenset[str], jieba.Tokenizer] = {}
_KEEP_TOKENIZERS = 4  # each holds jieba's dictionary, tens of MB


def configure_tokenizer(cache_dir: Path | None, extra_words: Iterable[str] = ()) -> None:
    """Cut Chinese with jieba's dictionary and exactly these domain terms (none taught
    before stays), its cache in our data directory."""
    global _jieba_ready, _tokenizer
    taught = frozenset(w for w in extra_words if _CJK.search(w))
    with _jieba_lock:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = _tokenizers.get(taught)
        if tokenizer is None:
            tokenizer = jieba.Tokenizer()
            if cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                tokenizer.tmp_dir = str(cache_dir)
            tokenizer.initialize()
            for word in sorted(taught):
                tokenizer.add_word(word)
            while len(_tokenizers) >= _KEEP_TOKENIZERS:
                _tokenizers.pop(next(iter(_tokenizers)))
            _tokenizers[taught] = tokenizer
        if tokenizer is not _tokenizer or not _jieba_ready:
            _tokenizer = tokenizer
            _cached_terms.cache_clear()  # other words may cut the same text differently
        _jieba_ready = True


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}


def _stem(word: str) -> str:
    """A light English stemmer: plurals and -ed/-ing, so "reviewed" finds "review"."""
    if word in _NUMBER_WORDS:  # "six categories" and "6 categories" are the same question
        return _NUMBER_WORDS[word]
    if not word.isalpha():
        return word
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Retrieval terms: jieba search-mode words for CJK runs, stemmed words for Latin runs."""
    if not _jieba_ready:
        configure_tokenizer(None)
    return list(_cached_terms(text))


def words(text: str) -> list[str]:
    """The same words as `terms`, one for one, as written (not stemmed): for an encoder."""
    if not _jieba_ready:
        configure_tokenizer(None)
    return list(_cached_terms(text, stem=False))


def word_set(text: str) -> set[str]:
    """The distinct words of a text the gate weighs under the cross-language encoder (one
    character alone, 可 or a, says too little); ingest caches their vectors."""
    return {w for w in words(text) if len(w) > 1}


@functools.lru_cache(maxsize=16384)  # passages recur across questions; cutting them is costly
def _cached_terms(text: str, stem: bool = True) -> tuple[str, ...]:
    out: list[str] = []
    for segment in _SEGMENTS.findall(text):
        if _CJK.match(segment):
            out.extend(w for w in _tokenizer.cut_for_search(segment) if w not in STOPWORDS)
        else:
            for word in _LATIN_WORD.findall(segment.lower()):
                if word not in STOPWORDS:
                    out.append(_stem(word) if stem else word)
    return tuple(out)


def sentences(text: str) -> list[str]:
    """A passage's sentences (see knowledge/sentences.py), one-character scraps left out."""
    return [p for p in split(text) if len(p.strip()) > 1]
