"""Telegram's HTML dialect: `parse_html` turns a text into plain text and entities, or raises
`HtmlError` with Telegram's wording."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from .objects import ApiError, JsonDict

_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARACTER_REFERENCE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_TAG_NAME = re.compile(r"[^\s>]*")
_ATTRIBUTE = re.compile(
    r"\s*([^\s=>]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?", flags=re.DOTALL
)


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset of the tag's text
    attributes: dict[str, str]


class HtmlError(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(HTTPStatus.BAD_REQUEST, f"Bad Request: can't parse entities: {detail}")


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-flavoured HTML into plain text and entities, or raise `HtmlError` with
    Telegram's wording ("Unsupported start tag "br" at byte offset 3", ...)."""
    out: list[str] = []
    length = 0  # of `out`, in UTF-16 code units
    stack: list[_OpenTag] = []
    entities: list[JsonDict] = []

    def at(index: int) -> str:
        return f"at byte offset {len(source[:index].encode())}"

    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            reference = _CHARACTER_REFERENCE.match(source, i)
            decoded = _decode_reference(reference) if reference else None
            if reference is None or decoded is None:
                raise HtmlError(f'Character "&" {at(i)} must be escaped as "&amp;"')
            out.append(decoded)
            length += _utf16_len(decoded)
            i = reference.end()
        elif char != "<":
            out.append(char)
            length += _utf16_len(char)
            i += 1
        elif source.startswith("</", i):
            if not stack:
                raise HtmlError(f"Unexpected end tag {at(i)}")
            end = source.find(">", i)
            name = source[i + 2 : end].rstrip().lower()
            if end == -1 or any(c.isspace() for c in name):
                raise HtmlError(f"Unclosed end tag {at(i)}")
            tag = stack.pop()
            if name and name != tag.name:
                raise HtmlError(
                    f'Unmatched end tag {at(i)}, expected "</{tag.name}>", found "</{name}>"'
                )
            entity = _html_entity(tag, length, stack)
            if entity is not None:
                entities.append(entity)
            i = end + 1
        else:
            tag, i = _read_start_tag(source, i, at)
            tag.offset = length
            stack.append(tag)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _trim("".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"])))


def _read_start_tag(source: str, begin: int, at: Callable[[int], str]) -> tuple[_OpenTag, int]:
    name_match = _TAG_NAME.match(source, begin + 1)
    assert name_match is not None  # the pattern matches the empty string
    name = name_match[0].lower()
    i = name_match.end()
    if i >= len(source):
        raise HtmlError(f"Unclosed start tag {at(begin)}")
    if name not in _HTML_ENTITY_TYPES:
        raise HtmlError(f'Unsupported start tag "{name}" {at(begin)}')
    attributes: dict[str, str] = {}
    while True:
        while i < len(source) and source[i].isspace():
            i += 1
        if i >= len(source):
            raise HtmlError(f"Unclosed start tag {at(begin)}")
        if source[i] == ">":
            break
        attribute = _ATTRIBUTE.match(source, i)
        if attribute is None:
            raise HtmlError(f'Empty attribute name in the tag "{name}" {at(begin)}')
        value = next((v for v in attribute.groups()[1:] if v is not None), None)
        if value is None and not (name == "blockquote" and attribute[1] == "expandable"):
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"{at(begin)}"
            )
        attributes[attribute[1].lower()] = _decode_references(value or "")
        i = attribute.end()
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" {at(begin)}')
    return _OpenTag(name, 0, attributes), i + 1


def _html_entity(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> JsonDict | None:
    kind = _HTML_ENTITY_TYPES[tag.name]
    if end <= tag.offset:
        return None  # Telegram drops empty entities
    entity: JsonDict = {"type": kind, "offset": tag.offset, "length": end - tag.offset}
    if kind == "text_link":
        url = tag.attributes.get("href", "")
        if not url:
            return None
        entity["url"] = url
    elif kind == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attributes.get("emoji-id", "")
    elif kind == "code" and stack and stack[-1].name == "pre":
        language = tag.attributes.get("class", "").removeprefix("language-")
        if language:
            stack[-1].attributes["language"] = language
        return None  # Telegram folds <pre><code class="language-x"> into one pre entity
    elif kind == "pre" and tag.attributes.get("language"):
        entity["language"] = tag.attributes["language"]
    return entity


def _decode_reference(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_CHARACTERS.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_references(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return _decode_reference(match) or match[0]

    return _CHARACTER_REFERENCE.sub(replace, value)


def _trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Telegram strips surrounding whitespace; entities move and shrink along."""
    stripped = text.strip()
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    size = _utf16_len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
