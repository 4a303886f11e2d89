"""Checks on Office (zip) packages before a parser unpacks them: refuse zip bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path

from knowledge.errors import CorruptFile, TooLarge
from knowledge.vocabulary import MB

MAX_UNPACKED_BYTES = 200 * MB  # all members together, as the zip declares them
MAX_RATIO = 100  # uncompressed : compressed, for any member ...
RATIO_FROM_BYTES = 1 * MB  # ... that unpacks to more than this (small XML parts squeeze well)


def check_package(path: Path, kind: str, max_unpacked: int = MAX_UNPACKED_BYTES) -> None:
    """Refuse a package that is no zip, is malformed or would unpack to more than
    `max_unpacked` bytes in all.

    zipfile never returns more bytes for a member than the size its directory declares
    (a member that inflates to more fails its CRC check), so the declared sizes bound what
    the parser can be made to read.
    """
    if not zipfile.is_zipfile(path):
        raise CorruptFile(path, f"not a {kind} (zip) package")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise CorruptFile(path, f"damaged zip package ({error})") from error
    total = 0
    for member in members:
        total += member.file_size
        if total > max_unpacked:
            raise TooLarge(path, f"unpacks to more than {max_unpacked // MB} MB")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise TooLarge(
                path, f"{member.filename} unpacks {ratio:.0f} times its packed size (a zip bomb?)"
            )
