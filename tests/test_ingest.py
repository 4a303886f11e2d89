"""Loading materials: every file type, idempotent re-ingest, atomic replace, remove, bad input."""

from __future__ import annotations

import random
import re
import threading
from pathlib import Path

import docx
import pptx
import pytest
from reportlab.pdfgen import canvas

from bench.devcorpus import SHARED
from ingest.chunking import MAX_CHUNKS_PER_DOCUMENT, MAX_TOKENS, chunk_document, estimate_tokens
from ingest.loaders import load
from knowledge.answering.models import Passage
from knowledge.errors import TooLarge, UnknownDocument
from knowledge.vocabulary import has_cjk
from tests.conftest import CountingEmbedder

HANDBOOK_V1 = """# Lab handbook

## Calibration

The torque wrench in room 12 is calibrated every 90 days by the metrology team.

## Safety

Visitors must wear orange helmets in the assembly hall.
"""
HANDBOOK_V2 = HANDBOOK_V1.replace("every 90 days", "every 45 days")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def search(app, question: str, lang="en") -> list[Passage]:
    return app.retriever.search(question, lang, 5)


def make_pdf(path: Path, pages: list[str]) -> Path:
    pdf = canvas.Canvas(str(path))
    for text in pages:
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return path


def test_every_file_type_is_loaded_with_its_place(make_app, tmp_path):
    folder = tmp_path / "materials"
    (folder / "deep").mkdir(parents=True)
    write(folder / "guide.md", "# Guide\n\n## Voting\n\nA quorum needs seven members present.")
    write(folder / "note.txt", "The archive closes at 17:30 on Fridays.")
    write(
        folder / "deep" / "page.html",
        "<html><head><title>Web page</title></head><body>"
        "<h1>Web page</h1><h2>Fees</h2><p>The reading room charges no entry fee.</p></body></html>",
    )
    make_pdf(
        folder / "scan.pdf", ["Cover page of the report.", "Kiln temperature is 1200 degrees."]
    )
    document = docx.Document()
    document.add_heading("Word notes", 0)
    document.add_heading("Storage", 1)
    document.add_paragraph("Samples are stored at minus 20 degrees Celsius.")
    document.save(folder / "notes.docx")
    deck = pptx.Presentation()
    for title, body in [("Intro", "Welcome to the course."), ("Badges", "Badges are blue.")]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.save(folder / "deck.pptx")

    app = make_app()
    report = app.ingestor.ingest([folder])

    assert report.count("added") == 6 and not report.failed
    assert {d.doc for d in app.store.documents()} == {
        "guide.md",
        "note.txt",
        "page.html",
        "scan.pdf",
        "notes.docx",
        "deck.pptx",
    }
    kiln = search(app, "What is the kiln temperature?")[0].chunk
    assert (kiln.doc, kiln.page) == ("scan.pdf", 2)
    badge = search(app, "What colour are the badges?")[0].chunk
    assert (badge.doc, badge.page) == ("deck.pptx", 2)
    quorum = search(app, "How many members make a quorum?")[0].chunk
    assert (quorum.doc, quorum.title, quorum.section) == ("guide.md", "Guide", "Voting")
    assert search(app, "Where are samples stored?")[0].chunk.doc == "notes.docx"
    assert search(app, "reading room entry fee")[0].chunk.doc == "page.html"


def test_reingesting_unchanged_files_changes_nothing_and_embeds_nothing(make_app, tmp_path):
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    embedder = CountingEmbedder()
    app = make_app(embedder=embedder)
    app.ingestor.ingest([handbook])
    before = (app.store.documents(), app.store.count_chunks(), embedder.embedded)

    again = app.ingestor.ingest([handbook])

    assert [r.status for r in again.results] == ["unchanged"]
    assert (app.store.documents(), app.store.count_chunks(), embedder.embedded) == before


def test_same_text_in_another_file_is_not_embedded_again(make_app, tmp_path):
    embedder = CountingEmbedder()
    app = make_app(embedder=embedder)  # counts real model calls behind the shared cache
    write(tmp_path / "a.md", HANDBOOK_V1.replace("room 12", "room 77"))
    app.ingestor.ingest([tmp_path / "a.md"])
    first = embedder.embedded
    write(tmp_path / "b.md", HANDBOOK_V1.replace("room 12", "room 77"))
    app.ingestor.ingest([tmp_path / "b.md"])
    assert first > 0 and embedder.embedded == first


def test_a_changed_file_replaces_its_chunks(make_app, tmp_path):
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    app = make_app()
    app.ingestor.ingest([handbook])
    chunks_v1 = app.store.count_chunks()
    write(handbook, HANDBOOK_V2)

    report = app.ingestor.ingest([handbook])

    assert [r.status for r in report.results] == ["replaced"]
    texts = " ".join(
        p.chunk.text for p in search(app, "How often is the torque wrench calibrated?")
    )
    assert "45 days" in texts and "90 days" not in texts
    assert app.store.count_chunks() == chunks_v1  # old version gone, nothing doubled
    assert len(app.store.documents()) == 1


def test_readers_never_see_both_versions_or_none_during_a_replace(make_app, tmp_path):
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1 + "\n\nFiller paragraph. " * 40)
    app = make_app()
    app.ingestor.ingest([handbook])
    seen: list[set[str]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            app.retriever.refresh(force=True)
            index = app.retriever._index
            seen.append({c.id.split(":")[1] for c in index.chunks()})

    thread = threading.Thread(target=reader)
    thread.start()
    for version in range(3):
        write(handbook, HANDBOOK_V2 + f"\n\nRevision {version}. " + "More filler. " * 40)
        app.ingestor.ingest([handbook])
    done.set()
    thread.join()

    assert seen and all(len(versions) == 1 for versions in seen), seen


def test_removed_documents_are_never_retrieved_again(make_app, tmp_path):
    app = make_app()
    app.ingestor.ingest([write(tmp_path / "handbook.md", HANDBOOK_V1)])
    app.ingestor.ingest([write(tmp_path / "other.md", "# Other\n\nCanteen opens at noon.")])

    removed = app.ingestor.remove("handbook.md")

    assert removed.doc == "handbook.md"
    assert [d.doc for d in app.store.documents()] == ["other.md"]
    assert all(p.chunk.doc != "handbook.md" for p in search(app, "orange helmets visitors"))
    with pytest.raises(UnknownDocument, match="handbook.md"):
        app.ingestor.remove("handbook.md")


def test_bad_files_are_reported_and_the_batch_goes_on(make_app, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage that is not a pdf")
    write(folder / "empty.md", "   \n")
    (folder / "huge.txt").write_text("x" * (2 * 1024 * 1024))
    (folder / "garbage.txt").write_bytes(bytes(range(256)) * 20)
    write(folder / "good.md", "# Good\n\nThe library lends laptops for two weeks.")
    unknown = write(tmp_path / "notes.xyz", "whatever")
    missing = tmp_path / "missing.md"
    app = make_app(max_upload_mb=1)

    report = app.ingestor.ingest([folder, unknown, missing])

    failed = {r.path.name: r.error for r in report.failed}
    assert set(failed) == {
        "broken.pdf",
        "empty.md",
        "huge.txt",
        "garbage.txt",
        "notes.xyz",
        "missing.md",
    }
    for name, error in failed.items():
        assert error and error.startswith(name)
    assert "too large" in failed["huge.txt"] and "unsupported" in failed["notes.xyz"]
    assert [d.doc for d in app.store.documents()] == ["good.md"]


def test_a_failed_replacement_keeps_the_indexed_version(make_app, tmp_path):
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    app = make_app()
    app.ingestor.ingest([handbook])
    handbook.write_text("   ")  # the new version has no text

    report = app.ingestor.ingest([handbook])

    assert report.failed and "no text" in (report.failed[0].error or "")
    assert "90 days" in search(app, "torque wrench calibration")[0].chunk.text


@pytest.mark.parametrize(
    ("failure", "reason", "zh"),
    [
        (
            "InternalError: (code: 13) database or disk is full",
            "index_full",
            "服务器磁盘已满",
        ),
        (OSError(30, "Read-only file system"), "index_read_only", "资料库是只读的"),
        ("InternalError: (code: 14) unable to open database file", "index_read_only", "只读"),
    ],
)
def test_an_index_that_cannot_be_written_refuses_the_file_with_that_reason(
    make_app, tmp_path, failure, reason, zh
):
    """A full disk or a read-only index (bench.robustness makes both for real): the upload is
    refused with the reason, in the person's language, and the library is as it was."""
    from chromadb.errors import InternalError

    from bot.flows.materials import failure as told

    app = make_app()
    app.ingestor.ingest([write(tmp_path / "handbook.md", HANDBOOK_V1)])
    library = [(d.doc, d.chunks, d.version) for d in app.store.documents()]
    error = InternalError(failure) if isinstance(failure, str) else failure

    def refuse(*_args, **_kwargs):
        raise error

    app.store.add_chunks = refuse
    notes = write(tmp_path / "notes.md", "# Notes\n\nBallots close.")
    [result] = app.ingestor.ingest([notes]).failed

    assert result.reason == reason
    assert result.error and result.error.startswith("notes.md: the library cannot be written")
    assert zh in told(result, "zh") and "nothing was changed" in told(result, "en")
    assert [(d.doc, d.chunks, d.version) for d in app.store.documents()] == library
    # An upload that cannot be read is still that, not the library's fault.
    error = OSError(13, "Permission denied")
    [unreadable] = app.ingestor.ingest([notes]).failed
    assert unreadable.reason == "unreadable"


def test_two_files_with_the_same_name_in_one_batch_do_not_overwrite_each_other(make_app, tmp_path):
    for folder, room in (("a", "12"), ("b", "34")):
        (tmp_path / folder).mkdir()
        write(tmp_path / folder / "handbook.md", HANDBOOK_V1.replace("room 12", f"room {room}"))
    app = make_app()

    report = app.ingestor.ingest([tmp_path / "a", tmp_path / "b"])

    assert [r.status for r in report.results] == ["added", "failed"]
    assert "same file name" in (report.failed[0].error or "")
    assert "room 12" in search(app, "torque wrench calibration")[0].chunk.text


# --- chunking ----------------------------------------------------------------------------

WORDS = "the committee shall review each proposal and record its decision in the minutes".split()
SENTENCE_START = re.compile(r"[A-Z0-9\u3400-\u9fff\"'“‘「『(\[（【《]|[-*+•] |\d+[.)] ")
SENTENCE_END = re.compile(r"[.!?。！？；;:：][\"'”’」』)）\]]*$")


def chunk_texts(tmp_path: Path, name: str, text: str) -> list[str]:
    path = write(tmp_path / name, text)
    return [chunk.text for chunk in chunk_document(load(path), name, "v")]


def prose(sentences: int, seed: int = 1) -> str:
    """Distinct English sentences of ten words each, on one line."""
    rng = random.Random(seed)
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(10)).capitalize() + f" {n}."
        for n in range(sentences)
    )


def test_a_long_paragraph_is_cut_between_sentences(tmp_path: Path) -> None:
    paragraph = prose(120)
    chunks = chunk_texts(tmp_path, "long.md", f"# Minutes\n\n{paragraph}\n")
    assert len(chunks) > 3
    assert " ".join(chunks) == paragraph  # nothing lost, nothing repeated
    for text in chunks:
        assert SENTENCE_START.match(text) and SENTENCE_END.search(text), text
        assert estimate_tokens(text) <= MAX_TOKENS


def test_a_long_list_keeps_its_lines_when_cut(tmp_path: Path) -> None:
    items = [f"- Item {n}: {prose(1, seed=n)}" for n in range(60)]
    chunks = chunk_texts(tmp_path, "list.md", "\n".join(items) + "\n")
    assert len(chunks) > 2
    assert [line for text in chunks for line in text.split("\n")] == items


def test_only_a_sentence_longer_than_a_chunk_is_cut_inside(tmp_path: Path) -> None:
    rng = random.Random(5)
    endless = " ".join(rng.choice(WORDS) for _ in range(700))  # no full stop at all
    chinese = "检验检测机构应当按照国家有关强制性规定的样品管理" * 40 + "。"
    chunks = chunk_texts(tmp_path, "endless.txt", f"Short first.\n\n{endless}\n\n{chinese}\n")
    assert chunks[0].startswith("Short first.")
    english = [t for t in chunks if not has_cjk(t)]
    assert " ".join(english) == f"Short first. {endless}"  # cut at spaces only
    assert all(word in WORDS for text in english[1:] for word in text.split())
    assert "".join(t for t in chunks if has_cjk(t)) == chinese
    assert all(estimate_tokens(text) <= MAX_TOKENS for text in chunks)


def test_a_two_megabyte_line_is_chunked_in_linear_time(tmp_path: Path) -> None:
    sentences = prose(40000)  # about 2.4 MB on one line
    rng = random.Random(9)
    endless = " ".join(rng.choice(WORDS) for _ in range(350000))  # 2 MB, no sentence end
    for name, text in (("sentences.txt", sentences), ("endless.txt", endless)):
        assert len(text) > 2_000_000
        chunks = chunk_texts(tmp_path, name, text)
        assert 1000 < len(chunks) < MAX_CHUNKS_PER_DOCUMENT
        assert sum(len(c) for c in chunks) >= len(text) - len(chunks)  # only joins dropped
        assert max(estimate_tokens(c) for c in chunks) <= MAX_TOKENS


def test_a_document_of_more_than_the_passage_cap_is_refused(tmp_path: Path, make_app) -> None:
    text = " ".join(f"N{n} a b c d e f." for n in range(170000))  # 3 MB, no line break
    assert len(text) > 3_000_000
    path = write(tmp_path / "huge.txt", text)
    with pytest.raises(TooLarge, match=f"more than {MAX_CHUNKS_PER_DOCUMENT} passages"):
        chunk_document(load(path), path.name, "v")
    report = make_app(max_upload_mb=5).ingestor.ingest([path])
    assert "huge.txt" in (report.failed[0].error or "")
    assert "more than 5000 passages" in (report.failed[0].error or "")


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


def last_line(text: str) -> str:
    return text.rsplit("\n", 1)[-1].strip()


@pytest.mark.parametrize("path", sorted(SHARED.glob("devcorpus*/corpus/*")), ids=lambda p: p.name)
def test_dev_corpus_chunks_start_and_end_at_sentence_boundaries(path: Path) -> None:
    document = load(path)
    lines = [line.strip() for s in document.sections for line in s.text.split("\n")]
    for chunk in chunk_document(document, path.name, "v"):
        text = chunk.text
        # a chunk starts like a sentence, unless its source line itself starts that way
        start = first_line(text)
        assert SENTENCE_START.match(text) or any(ln.startswith(start) for ln in lines), text
        end = last_line(text)
        assert SENTENCE_END.search(text) or any(ln.endswith(end) for ln in lines), text
        assert estimate_tokens(text) <= MAX_TOKENS


def test_document_names_lose_direction_overrides_and_invisible_characters(tmp_path, make_app):
    """`/materials` must not show one name for another ("notes‮dm.exe" reads "notesexe.md")."""
    spoof = tmp_path / "notes\u202egpj\u200b.md"
    spoof.write_text("# Notes\n\nThe calibration interval is 90 days.\n", encoding="utf-8")
    app = make_app()
    assert not app.ingestor.ingest([spoof]).failed
    assert [d.doc for d in app.store.documents()] == ["notesgpj.md"]


def test_a_file_whose_reading_takes_too_much_memory_or_time_is_refused_and_the_rest_load(
    make_app, tmp_path
):
    """Files are read in a child process held to READ_MEMORY_MB and READ_SECONDS: a file that
    asks for more is refused with one line, and the bot (and the batch) go on."""
    big = tmp_path / "big.txt"
    big.write_text(("标准化文件的结构和起草规则。" * 100 + "\n") * 12_000, encoding="utf-8")
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)

    app = make_app(max_upload_mb=64, read_memory_mb=200)
    report = app.ingestor.ingest([big, handbook])
    [failed] = report.failed
    assert failed.path == big and "needs more memory or time than allowed" in failed.error
    assert "more than 200 MB" in failed.error
    assert report.count("added") == 1 and search(app, "room 12")

    slow = make_app(home=tmp_path / "slow", max_upload_mb=64, read_seconds=0.05)
    [failed] = slow.ingestor.ingest([big]).failed
    assert "needs more memory or time than allowed (more than 0.05 s)" in failed.error


# --- provenance, asking before a replace, restoring the version it superseded -------------


def test_each_document_records_who_loaded_it_and_when(make_app, tmp_path):
    from ingest.pipeline import Loader

    app = make_app()
    app.ingestor.ingest([write(tmp_path / "handbook.md", HANDBOOK_V1)])  # the command line
    other = write(tmp_path / "other.md", "# Other\n\nCanteen opens at noon.")
    result = app.ingestor.ingest_file(other, loader=Loader(42, "李老师", admin=False))

    by_name = {d.doc: d for d in app.store.documents()}
    assert result.doc == by_name["other.md"]
    assert (by_name["other.md"].loaded_by_id, by_name["other.md"].loaded_by) == (42, "李老师")
    assert by_name["handbook.md"].from_cli and not by_name["other.md"].from_cli
    assert by_name["other.md"].loaded_at.startswith("20")  # ISO 8601, UTC


def test_a_catalog_entry_from_before_provenance_reads_as_not_recorded(make_app):
    from knowledge.answering.store import _CATALOG, _NO_VECTOR

    app = make_app()
    old = {
        "doc_id": "d1", "doc": "old.md", "title": "Old", "lang": "en", "chunks": 1,
        "loaded_at": "2025-01-01T00:00:00+00:00", "source_hash": "h", "version": "v",
    }  # fmt: skip
    app.store.client.get_collection(_CATALOG).upsert(
        ids=["d1"], embeddings=_NO_VECTOR, metadatas=[old]
    )
    [doc] = app.store.documents()
    assert (doc.loaded_by_id, doc.loaded_by, doc.from_cli) == (0, "", False)


def test_a_replace_keeps_the_version_it_superseded_and_restore_swaps_them(make_app, tmp_path):
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    app = make_app()
    [v1] = [r.doc for r in app.ingestor.ingest([handbook]).results]
    chunks = app.store.count_chunks()
    write(handbook, HANDBOOK_V2)
    [v2] = [r.doc for r in app.ingestor.ingest([handbook]).results]
    assert v1 and v2 and app.store.previous(v1.doc_id) == v1
    assert app.store.count_chunks() == chunks  # searches read the active version only

    restored, displaced = app.ingestor.restore("handbook.md")

    assert (restored, displaced) == (v1, v2)
    assert app.store.document(v1.doc_id) == v1 and app.store.previous(v1.doc_id) == v2
    texts = " ".join(
        p.chunk.text for p in search(app, "How often is the torque wrench calibrated?")
    )
    assert "90 days" in texts and "45 days" not in texts
    assert app.store.count_chunks() == chunks
    app.ingestor.restore("handbook.md")  # and back again
    assert app.store.document(v1.doc_id) == v2 and app.store.previous(v1.doc_id) == v1
    assert "45 days" in search(app, "How often is the torque wrench calibrated?")[0].chunk.text


def test_one_previous_version_is_kept_and_removing_keeps_the_removed_one(make_app, tmp_path):
    from knowledge.answering.store import _PREVIOUS_CHUNKS
    from knowledge.errors import NoPreviousVersion

    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    app = make_app()
    app.ingestor.ingest([handbook])
    for days in (45, 30):
        write(handbook, HANDBOOK_V1.replace("every 90 days", f"every {days} days"))
        app.ingestor.ingest([handbook])
    [doc] = app.store.documents()
    kept = app.store.previous(doc.doc_id)
    previous = app.store.client.get_collection(_PREVIOUS_CHUNKS)
    assert kept and "45 days" in " ".join(previous.get()["documents"])
    assert {m["version"] for m in previous.get()["metadatas"]} == {kept.version}

    app.ingestor.remove("handbook.md")

    # the removed version (30 days) is what is kept now, in place of the replaced one
    assert app.store.documents() == [] and app.store.previous(doc.doc_id) == doc
    assert {m["version"] for m in previous.get()["metadatas"]} == {doc.version}
    assert all(p.chunk.doc != "handbook.md" for p in search(app, "torque wrench calibration"))

    restored, displaced = app.ingestor.restore("handbook.md")

    assert (restored, displaced) == (doc, None)
    assert app.store.documents() == [doc] and app.store.previous(doc.doc_id) is None
    assert previous.count() == 0
    assert "30 days" in search(app, "How often is the torque wrench calibrated?")[0].chunk.text
    with pytest.raises(NoPreviousVersion, match="handbook.md"):
        app.ingestor.restore("handbook.md")


def test_a_removed_document_loaded_again_as_it_was_keeps_nothing_to_restore(make_app, tmp_path):
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    app = make_app()
    [loaded] = [r.doc for r in app.ingestor.ingest([handbook]).results]
    app.ingestor.remove("handbook.md")
    assert loaded and app.store.previous(loaded.doc_id) is not None

    assert [r.status for r in app.ingestor.ingest([handbook]).results] == ["added"]
    assert app.store.previous(loaded.doc_id) is None  # the same version: nothing to swap
    assert "90 days" in search(app, "How often is the torque wrench calibrated?")[0].chunk.text


def test_asking_first_reports_a_conflict_and_changes_nothing(make_app, tmp_path):
    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    app = make_app()
    app.ingestor.ingest([handbook])
    before = (app.store.documents(), app.store.count_chunks())
    write(handbook, HANDBOOK_V2)

    result = app.ingestor.ingest_file(handbook, replace=False)

    assert result.status == "conflict" and result.doc == before[0][0]
    assert (app.store.documents(), app.store.count_chunks()) == before
    assert app.store.previous(result.doc.doc_id) is None
    write(handbook, HANDBOOK_V1)
    assert app.ingestor.ingest_file(handbook, replace=False).status == "unchanged"


def test_course_pack_documents_are_replaced_removed_and_restored_by_admins_only(make_app, tmp_path):
    from ingest.pipeline import Loader
    from knowledge.errors import PackDocument

    handbook = write(tmp_path / "handbook.md", HANDBOOK_V1)
    app = make_app()
    assert "drafting_rules.md" in app.ingestor.protected  # the bundled pack's, by default
    app.ingestor.protected = frozenset({"handbook.md"})
    app.ingestor.ingest([handbook])
    instructor, admin = Loader(5, "Li", admin=False), Loader(6, "Ada", admin=True)
    write(handbook, HANDBOOK_V2)

    refused = app.ingestor.ingest_file(handbook, loader=instructor)
    assert (refused.status, refused.reason) == ("failed", "pack")
    assert "only an admin" in (refused.error or "")
    with pytest.raises(PackDocument):
        app.ingestor.remove("handbook.md", instructor)
    assert "90 days" in search(app, "torque wrench calibration")[0].chunk.text

    assert app.ingestor.ingest_file(handbook, loader=admin).status == "replaced"
    with pytest.raises(PackDocument):
        app.ingestor.restore("handbook.md", instructor)
    app.ingestor.restore("handbook.md", admin)
    assert "90 days" in search(app, "torque wrench calibration")[0].chunk.text
    app.ingestor.remove("handbook.md", admin)
    assert app.store.documents() == []
    with pytest.raises(PackDocument):  # a removed pack document, too, comes back by an admin
        app.ingestor.restore("handbook.md", instructor)
    app.ingestor.restore("handbook.md", admin)
    assert "90 days" in search(app, "torque wrench calibration")[0].chunk.text


def test_pending_uploads_are_each_persons_expire_and_are_bounded(tmp_path):
    from ingest.pending import PER_USER, PendingUploads

    upload = write(tmp_path / "notes.md", HANDBOOK_V1)
    pending = PendingUploads(tmp_path / "pending", max_file_bytes=1024)
    token = pending.hold(upload, "notes.md", user_id=1)
    held = pending.get(token, 1)
    assert held and held.name == "notes.md" and held.path.read_text() == HANDBOOK_V1
    assert held.path.name == "notes.md"  # loaders go by the suffix
    assert pending.get(token, 2) is None  # someone else's
    assert pending.get("../../etc", 1) is None

    again = PendingUploads(tmp_path / "pending", max_file_bytes=1024)  # after a restart
    assert again.get(token, 1) is not None
    tokens = [pending.hold(upload, f"n{i}.md", user_id=1) for i in range(PER_USER)]
    assert pending.get(token, 1) is None and all(pending.get(t, 1) for t in tokens)

    pending.total_bytes = 2 * len(HANDBOOK_V1)  # all of them together: the oldest go first
    newest = pending.hold(upload, "x.md", user_id=3)
    assert pending.get(newest, 3) and sum(bool(pending.get(t, 1)) for t in tokens) == 1

    pending.ttl = -1  # a day later
    assert pending.get(newest, 3) is None and not (tmp_path / "pending" / newest).exists()


def test_a_file_is_read_without_importing_the_parents_main_module_again(tmp_path, monkeypatch):
    """The child that reads a file comes from a server with the parsers imported; it must not
    import the program that started it (the CLI or a benchmark: seconds a file) again."""
    import sys
    import types

    from ingest.sandbox import Limits, read

    marker = tmp_path / "main-imported"
    program = tmp_path / "program.py"
    program.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = str(program)
    monkeypatch.setitem(sys.modules, "__main__", main)
    page = tmp_path / "page.md"
    page.write_text("# Title\n\nA paragraph to read.\n", encoding="utf-8")

    assert "A paragraph to read." in read(page, Limits()).sections[0].text
    assert not marker.exists()
    assert sys.modules["__main__"].__file__ == str(program)  # put back as it was
