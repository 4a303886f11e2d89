"""The naive baseline: 1000/200 character chunks, dense-only search, the top chunk as answer."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.loaders import load
from knowledge.answering.embeddings import Embedder
from knowledge.vocabulary import detect_lang


class NaiveRAG:
    def __init__(self, files: list[Path], embedder: Embedder) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        self.chunks: list[tuple[str, str]] = []  # (file name, text)
        for path in files:
            doc = load(path)
            text = "\n\n".join(s.text for s in doc.sections)
            self.chunks += [(path.name, t) for t in splitter.split_text(text)]
        self.embedder = embedder
        self.vectors = embedder.embed_passages([t for _, t in self.chunks])

    def answer(self, question: str) -> dict:
        """Same JSON shape as the tutor's answers; it never refuses."""
        started = time.perf_counter()
        scores = self.vectors @ self.embedder.embed_query(question)
        top = np.argsort(-scores)[:5]
        citations = [
            {
                "n": n,
                "doc": self.chunks[i][0],
                "title": "",
                "section": "",
                "page": None,
                "snippet": self.chunks[i][1][:160],
            }
            for n, i in enumerate(top, 1)
        ]
        return {
            "question": question,
            "answer": self.chunks[top[0]][1],
            "abstained": False,
            "lang": detect_lang(question),
            "citations": citations,
            "ms": (time.perf_counter() - started) * 1000,
        }
