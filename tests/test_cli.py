"""End to end: the `stdtutor` command run as a user runs it, in a subprocess.

Every run gets its own STDTUTOR_HOME, the session's embedding cache (so the bundled model
embeds each text once per test run), a scratch working directory (so no `.env` is read) and
no OpenAI, Chroma server or Telegram settings. Start-up costs a few seconds per run (chromadb
import), so the read-only tests share one ingested home and one batch of answers.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

STDTUTOR = Path(sys.executable).with_name("stdtutor")
COMMAND = [str(STDTUTOR)] if STDTUTOR.exists() else [sys.executable, "-m", "bot.cli"]
TIMEOUT = 120  # seconds for one command on a warm embedding cache
PACK_TIMEOUT = 600  # `run` on a fresh home embeds the whole course pack if the cache is cold

# Settings a developer's shell might carry; each run states its own.
_DROPPED = {
    "STDTUTOR_HOME",
    "CHROMA_URL",
    "TELEGRAM_BOT_TOKEN",
    "EMBEDDINGS_MODEL",
    "LLM_TIMEOUT",
    "MAX_UPLOAD_MB",
    "MAX_QUESTION_CHARS",
}

ANSWER_KEYS = {"question", "answer", "abstained", "lang", "citations", "ms"}
CITATION_KEYS = {"n", "doc", "title", "section", "page", "snippet"}

LAB_EN = """\
# Calibration Laboratory Handbook

## Opening hours

The Harbour Street calibration laboratory opens at 7:45 every Tuesday and calibrates torque
wrenches for the alliance members.
"""
QUALITY_ZH = """\
# 苏州质量月活动

## 活动安排

苏州质量月活动每年在九月举行，今年的主题是“蓝鲸标准创新”，共有三百二十家企业参加。
"""
NOTES_TXT = """\
Field notes on the pilot project.

The pilot project for digital standards used a mascot named Copperfox and finished in November.
"""
MATERIALS = {
    "lab_en.md": ("Calibration Laboratory Handbook", "en"),
    "notes.txt": ("notes", "en"),  # plain text has no heading: the title is the file stem
    "quality_zh.md": ("苏州质量月活动", "zh"),
}

LAB_QUESTION = "When does the Harbour Street calibration laboratory open?"
MASCOT_QUESTION = "What mascot did the pilot project use?"
THEME_QUESTION_ZH = "苏州质量月活动的主题是什么？"
TICKET_QUESTION = "How much does a train ticket from Suzhou to Shanghai cost?"
TICKET_QUESTION_ZH = "从苏州到上海的火车票多少钱？"

ADDED = re.compile(r"^(added|unchanged): (\S+) — (.+) \((zh|en), (\d+) chunks\)$")
LISTED = re.compile(r"^(\S+)\s+(zh|en)\s+(\d+) chunks\s+(\S+)\s+(.+)$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def run_cli(
    args: list[str],
    home: Path,
    input: str | None = None,
    prefix: tuple[str, ...] = (),
    timeout: float = TIMEOUT,
    **env: str | int,
) -> subprocess.CompletedProcess[str]:
    """Run `stdtutor ARGS` on `home`; keyword arguments become environment settings."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("OPENAI_") and name not in _DROPPED
    }
    assert environ.get("EMBEDDING_CACHE"), "the session embedding cache must be set"
    environ["STDTUTOR_HOME"] = str(home)
    environ.update({name: str(value) for name, value in env.items()})
    home.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [*prefix, *COMMAND, *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=home.parent,  # a scratch directory: no `.env` is picked up
        env=environ,
        timeout=timeout,
    )


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def assert_clean(*results: subprocess.CompletedProcess[str]) -> None:
    """No run showed the user a Python traceback."""
    for result in results:
        assert "Traceback" not in result.stdout + result.stderr, result.stderr


def assert_answer_shape(answer: dict) -> None:
    """The public JSON shape, and every [n] in the text names one of the citations."""
    assert set(answer) == ANSWER_KEYS
    assert isinstance(answer["ms"], int | float)
    numbers = [c["n"] for c in answer["citations"]]
    assert numbers == list(range(1, len(numbers) + 1))
    for citation in answer["citations"]:
        assert set(citation) == CITATION_KEYS
        assert citation["doc"] in MATERIALS  # the file name as ingested, not a path or an id
        assert citation["snippet"]
    referenced = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert referenced <= set(numbers), answer


def cited_docs(answer: dict) -> list[str]:
    return [c["doc"] for c in answer["citations"]]


def listed(materials: str) -> dict[str, tuple[str, str, int, str]]:
    """`stdtutor materials` lines as {doc: (title, lang, chunks, loaded_at)}."""
    rows = {}
    for line in materials.splitlines():
        match = LISTED.match(line)
        assert match, f"unexpected materials line: {line!r}"
        doc, lang, chunks, loaded_at, title = match.groups()
        rows[doc] = (title, lang, int(chunks), loaded_at)
    return rows


def is_refusal_in(lang: str, text: str) -> bool:
    """A refusal written in `lang`: Chinese characters only in a Chinese one."""
    return bool(CJK.search(text)) if lang == "zh" else not CJK.search(text)


@pytest.fixture(scope="module", autouse=True)
def _shared_embedding_cache(embedding_cache: Path):
    """Every run of this module uses the session's embedding cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMBEDDING_CACHE", str(embedding_cache))
        yield


@dataclass(frozen=True)
class Library:
    home: Path
    folder: Path
    ingest: subprocess.CompletedProcess[str]
    materials: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """A home with the three small materials ingested (shared: tests must not change it)."""
    root = tmp_path_factory.mktemp("library")
    folder = root / "materials"
    folder.mkdir()
    (folder / "lab_en.md").write_text(LAB_EN, encoding="utf-8")
    (folder / "quality_zh.md").write_text(QUALITY_ZH, encoding="utf-8")
    (folder / "notes.txt").write_text(NOTES_TXT, encoding="utf-8")
    home = root / "home"
    ingest = run_cli(["ingest", str(folder)], home)
    materials = run_cli(["materials"], home)
    return Library(home, folder, ingest, materials)


@pytest.fixture(scope="module")
def stdin_answers(library: Library) -> subprocess.CompletedProcess[str]:
    """One `ask --json` run over questions on stdin, a blank line among them."""
    questions = [LAB_QUESTION, "", THEME_QUESTION_ZH, "   ", TICKET_QUESTION, TICKET_QUESTION_ZH]
    return run_cli(["ask", "--json"], library.home, input="\n".join(questions) + "\n")


# --- ingest and materials ----------------------------------------------------------------


def test_ingest_prints_one_added_line_per_file_and_a_summary(library: Library) -> None:
    result = library.ingest
    assert_clean(result)
    assert result.returncode == 0, result.stderr
    *lines, summary = result.stdout.splitlines()
    added = {}
    for line in lines:
        match = ADDED.match(line)
        assert match and match[1] == "added", f"unexpected line: {line!r}"
        added[match[2]] = (match[3], match[4])
        assert int(match[5]) >= 1
    assert added == MATERIALS
    assert re.fullmatch(
        r"3 added, 0 replaced, 0 unchanged, 0 failed, 0 skipped in [\d.]+s", summary
    )
    assert result.stderr == ""


def test_ingesting_the_same_files_again_changes_nothing(library: Library) -> None:
    again = run_cli(["ingest", str(library.folder)], library.home)
    materials = run_cli(["materials"], library.home)

    assert_clean(again, materials)
    assert again.returncode == 0, again.stderr
    *lines, summary = again.stdout.splitlines()
    assert sorted(ADDED.match(line).group(1, 2) for line in lines) == [
        ("unchanged", name) for name in sorted(MATERIALS)
    ]
    assert summary.startswith("0 added, 0 replaced, 3 unchanged, 0 failed, 0 skipped")
    assert materials.stdout == library.materials.stdout  # same documents, same load times


def test_materials_lists_title_language_and_chunks_of_each_document(library: Library) -> None:
    result = library.materials
    assert_clean(result)
    assert result.returncode == 0
    rows = listed(result.stdout)
    assert {doc: (title, lang) for doc, (title, lang, _, _) in rows.items()} == MATERIALS
    added = {m[2]: int(m[5]) for m in map(ADDED.match, library.ingest.stdout.splitlines()) if m}
    assert {doc: row[2] for doc, row in rows.items()} == added


def test_materials_on_an_empty_home_prints_a_hint(tmp_path: Path) -> None:
    result = run_cli(["materials"], tmp_path / "home")
    assert_clean(result)
    assert result.returncode == 0
    assert "No materials loaded" in result.stdout
    assert "stdtutor ingest" in result.stdout


def test_bad_files_get_one_line_each_and_the_good_one_is_loaded(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    noise = random.Random(7)
    (batch / "broken.pdf").write_bytes(noise.randbytes(4000))
    (batch / "empty.md").write_text("", encoding="utf-8")
    (batch / "notes.xyz").write_text("Some notes in no known format.\n", encoding="utf-8")
    (batch / "big.txt").write_text(
        "The quick brown fox jumps over the lazy dog.\n" * 35_000, encoding="utf-8"
    )
    (batch / "garbage.txt").write_bytes(noise.randbytes(3000))
    (batch / "good.md").write_text(
        "# Workshop Rules\n\n## Closing\n\nThe amber lantern rule closes workshops at 18:30.\n",
        encoding="utf-8",
    )
    reasons = {  # what each bad file's line must say, in the user's words
        "broken.pdf": "damaged",
        "empty.md": "no text",
        "notes.xyz": "unsupported file type",
        "big.txt": "too large",
        "garbage.txt": "encoding",
    }
    assert (batch / "big.txt").stat().st_size > 1.4 * 1024 * 1024
    home = tmp_path / "home"

    result = run_cli(["ingest", *(str(p) for p in sorted(batch.iterdir()))], home, MAX_UPLOAD_MB=1)
    materials = run_cli(["materials"], home)

    assert_clean(result, materials)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len(errors) == len(reasons), result.stderr  # one line per bad file, nothing else
    for name, reason in reasons.items():
        [line] = [line for line in errors if name in line]
        assert line.startswith(f"failed: {name}: ") and reason in line, line
    assert "added: good.md — Workshop Rules (en, 1 chunks)" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].startswith("1 added, 0 replaced, 0 unchanged, 5 failed")
    assert list(listed(materials.stdout)) == ["good.md"]


# --- ask ---------------------------------------------------------------------------------


def test_ask_json_prints_one_answer_with_resolvable_citations(library: Library) -> None:
    result = run_cli(["ask", "--json", MASCOT_QUESTION], library.home)

    assert_clean(result)
    assert result.returncode == 0, result.stderr
    [answer] = json_lines(result)
    assert_answer_shape(answer)
    assert answer["question"] == MASCOT_QUESTION
    assert answer["lang"] == "en" and answer["abstained"] is False
    assert "Copperfox" in answer["answer"]
    assert "[1]" in answer["answer"]
    first = answer["citations"][0]
    assert (first["doc"], first["title"], first["page"]) == ("notes.txt", "notes", None)
    assert "Copperfox" in first["snippet"]


def test_questions_on_stdin_get_one_json_line_each_in_order(stdin_answers) -> None:
    assert_clean(stdin_answers)
    assert stdin_answers.returncode == 0, stdin_answers.stderr
    answers = json_lines(stdin_answers)
    assert [a["question"] for a in answers] == [
        LAB_QUESTION,
        THEME_QUESTION_ZH,
        TICKET_QUESTION,
        TICKET_QUESTION_ZH,
    ]
    for answer in answers:
        assert_answer_shape(answer)
    lab = answers[0]
    assert lab["lang"] == "en" and not lab["abstained"]
    assert "7:45" in lab["answer"]
    assert cited_docs(lab)[0] == "lab_en.md"
    assert lab["citations"][0]["section"] == "Opening hours"


def test_a_chinese_question_gets_a_chinese_answer(stdin_answers) -> None:
    theme = json_lines(stdin_answers)[1]
    assert theme["lang"] == "zh" and not theme["abstained"]
    assert "蓝鲸标准创新" in theme["answer"]
    assert cited_docs(theme)[0] == "quality_zh.md"
    assert theme["citations"][0]["section"] == "活动安排"


def test_out_of_scope_questions_are_refused_in_their_language(stdin_answers) -> None:
    for answer, lang in zip(json_lines(stdin_answers)[2:], ("en", "zh"), strict=True):
        assert answer["lang"] == lang
        assert answer["abstained"] is True
        assert answer["citations"] == []
        assert answer["answer"] and is_refusal_in(lang, answer["answer"]), answer["answer"]
        assert not re.search(r"\[\d+\]", answer["answer"])


def test_an_empty_question_gets_a_message_and_a_failing_exit(library: Library) -> None:
    result = run_cli(["ask", ""], library.home)

    assert_clean(result)
    assert result.returncode != 0
    [message] = (result.stdout + result.stderr).strip().splitlines()
    assert message.startswith("error: ") and len(message) > len("error: ")


def test_a_too_long_line_on_stdin_does_not_stop_the_next_questions(library: Library) -> None:
    too_long = "Please explain in great detail" + " what the laboratory does" * 4
    short = "When does the calibration laboratory open?"
    result = run_cli(
        ["ask", "--json"],
        library.home,
        input=f"{short}\n{too_long}\n{THEME_QUESTION_ZH}\n",
        MAX_QUESTION_CHARS=50,
    )

    assert_clean(result)
    assert result.returncode != 0
    first, rejected, last = json_lines(result)
    assert first["question"] == short and "lab_en.md" in cited_docs(first)
    assert set(rejected) == {"question", "error"}
    assert rejected["question"] == too_long
    assert "too long" in rejected["error"] and "50" in rejected["error"]
    assert last["question"] == THEME_QUESTION_ZH and not last["abstained"]


# --- remove ------------------------------------------------------------------------------


def test_remove_retires_a_document_restore_brings_it_back_unknown_names_fail(
    library: Library, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(library.home, home)  # the shared home stays as it is

    removed = run_cli(["remove", "notes.txt"], home)
    materials = run_cli(["materials"], home)
    asked = run_cli(["ask", "--json", MASCOT_QUESTION], home)
    unknown = run_cli(["remove", "missing.md"], home)
    restored = run_cli(["restore", "notes.txt"], home)  # a removal is undone by a restore
    again = run_cli(["ask", "--json", MASCOT_QUESTION], home)

    assert_clean(removed, materials, asked, unknown, restored, again)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == "removed: notes.txt — notes (1 chunks)"
    assert sorted(listed(materials.stdout)) == ["lab_en.md", "quality_zh.md"]
    [answer] = json_lines(asked)
    assert "notes.txt" not in cited_docs(answer)
    assert "Copperfox" not in answer["answer"]
    assert unknown.returncode == 1
    assert unknown.stdout == ""
    [error] = unknown.stderr.strip().splitlines()
    assert error.startswith("error: ") and "missing.md" in error
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("restored: notes.txt — notes (1 chunks, loaded 20")
    [answer] = json_lines(again)
    assert "notes.txt" in cited_docs(answer) and "Copperfox" in answer["answer"], answer


def test_restore_brings_back_the_version_a_reingest_replaced(tmp_path: Path) -> None:
    home, notes = tmp_path / "home", tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe mascot is a copper fox.\n", encoding="utf-8")
    first = run_cli(["ingest", str(notes)], home)
    notes.write_text("# Notes v2\n\nThe mascot is a silver crane.\n", encoding="utf-8")
    second = run_cli(["ingest", str(notes)], home)
    restored = run_cli(["restore", "notes.md"], home)
    materials = run_cli(["materials"], home)
    none = run_cli(["restore", "other.md"], home)

    assert_clean(first, second, restored, materials, none)
    assert second.stdout.startswith("replaced: notes.md — Notes v2"), second.stdout
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("restored: notes.md — Notes (1 chunks, loaded 20")
    assert [row[0] for row in listed(materials.stdout).values()] == ["Notes"]
    assert none.returncode == 1 and "other.md has no earlier version" in none.stderr


# --- offline -----------------------------------------------------------------------------


_NETWORK_PROBE = """
import socket
print(*[line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]])
for address in (("127.0.0.1", 9), ("1.1.1.1", 53)):
    try:
        socket.create_connection(address, timeout=5).close()
        print("reachable")
    except OSError as error:
        print("unreachable" if error.errno == 101 else error)
"""


def offline() -> tuple[str, ...]:
    """The prefix that runs a command with networking cut (only a loopback, and it is down)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("`unshare` (util-linux) is needed to prove the tutor runs offline")
    probe = subprocess.run(
        [unshare, "-n", sys.executable, "-c", _NETWORK_PROBE],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        pytest.fail(
            f"`unshare -n` cannot cut networking here ({probe.stderr.strip()}); "
            "run the tests as root or where user namespaces are allowed"
        )
    assert probe.stdout.split() == ["lo", "unreachable", "unreachable"], probe.stdout
    return (unshare, "-n")


def test_ask_and_ingest_work_with_networking_cut(library: Library, tmp_path: Path) -> None:
    prefix = offline()
    question = "Which day does the calibration laboratory open at 7:45?"  # a new text to embed
    material = tmp_path / "drill.md"
    material.write_text(
        "# Fire Drill\n\n## Signal\n\nThe quarterly fire drill starts with a purple whistle.\n",
        encoding="utf-8",
    )

    asked = run_cli(["ask", "--json", question], library.home, prefix=prefix)
    ingested = run_cli(["ingest", str(material)], tmp_path / "home", prefix=prefix)

    assert_clean(asked, ingested)
    assert asked.returncode == 0, asked.stderr
    [answer] = json_lines(asked)
    assert not answer["abstained"] and cited_docs(answer)[0] == "lab_en.md"
    assert ingested.returncode == 0, ingested.stderr
    assert "added: drill.md — Fire Drill (en, 1 chunks)" in ingested.stdout.splitlines()


# --- run ---------------------------------------------------------------------------------


def test_run_loads_the_course_pack_once_and_answers_from_stdin(tmp_path: Path) -> None:
    home = tmp_path / "home"
    question = "What are the six talent categories of the alliance?\n"

    first = run_cli(["run"], home, input=question, timeout=PACK_TIMEOUT)
    second = run_cli(["run"], home, input=question)

    assert_clean(first, second)
    assert first.returncode == 0, first.stderr
    assert "course pack" in first.stderr
    assert "research" in first.stdout and "[1]" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "course pack" not in second.stderr and "loading" not in second.stderr.lower()
    assert second.stdout == first.stdout
