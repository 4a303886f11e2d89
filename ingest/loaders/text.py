"""Text helpers shared by the loaders: decoding, whitespace and line re-joining."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from knowledge.errors import UnreadableEncoding

# Han, kana, CJK punctuation and full-width forms: scripts written without spaces between words.
CJK_TEXT = _CJK = re.compile(
    "[\u2e80-\u2fff\u3000-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]"
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0/C1 controls other than tab, newlines and form feed, plus the private use area that
# GB18030 maps many byte pairs to: real text has almost none, decoded binary has plenty.
_SUSPECT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
_MAX_SUSPECT_SHARE = 0.01


def decode_text(data: bytes, path: Path) -> str:
    """Decode UTF-8 (BOM optional), UTF-16 with a BOM or GB18030, refusing anything binary."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            encodings: tuple[str, ...] = (encoding,)
            break
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise UnreadableEncoding(path)


def _looks_like_text(text: str) -> bool:
    """True unless NULs or a high share of control / private-use characters show binary data."""
    if "\x00" in text:
        return False
    return len(_SUSPECT.findall(text)) <= _MAX_SUSPECT_SHARE * len(text)


def display_width(text: str) -> int:
    """Columns `text` takes in a monospaced editor: CJK characters take two."""
    return len(text) + len(_CJK.findall(text))


def squash(text: str) -> str:
    """Collapse every run of whitespace into one space."""
    return " ".join(text.split())


def join_wrapped(parts: list[str]) -> str:
    """Re-join soft-wrapped lines with a space, except between CJK characters or after a hyphen."""
    pieces = [parts[0]]
    for prev, cur in zip(parts, parts[1:], strict=False):
        hyphenated = prev.endswith("-") and prev[-2:-1].isalpha() and cur[:1].islower()
        if not (hyphenated or (_CJK.match(prev[-1]) and _CJK.match(cur[0]))):
            pieces.append(" ")
        pieces.append(cur)
    return "".join(pieces)


class Paragraph:
    """The lines of one paragraph: soft lines continue the current line, hard ones start one."""

    def __init__(self) -> None:
        self._lines: list[list[str]] = []  # each line as its wrapped parts, joined once at the end

    def add(self, line: str, hard: bool = False) -> None:
        """Add a non-empty line, continuing the current line unless `hard`."""
        if hard or not self._lines:
            self._lines.append([line])
        else:
            self._lines[-1].append(line)

    def pop(self) -> str:
        """Return the paragraph's text and start a new one."""
        text = "\n".join(join_wrapped(parts) for parts in self._lines)
        self._lines = []
        return text
