"""Uploads held while their uploader decides: a file whose name is already loaded with other
content waits here until "Replace" or "Cancel" is pressed.

Each waits in a folder of its own under the data directory (`STDTUTOR_HOME/pending`, readable
by this user only), so it survives the upload's temporary folder and a restart; it is dropped
once used, cancelled or a day old. Each person has at most `PER_USER` waiting (their oldest
goes), and all of them together at most `total_bytes` (the oldest go first).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TTL_SECONDS = 24 * 3600
PER_USER = 3
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,32}")
_META = "upload.json"


@dataclass(frozen=True)
class Held:
    token: str
    path: Path  # the file, under its upload name
    name: str
    user_id: int
    at: float  # when it was held (time.time())


class PendingUploads:
    def __init__(self, folder: Path | None, max_file_bytes: int, ttl: float = TTL_SECONDS) -> None:
        self._folder = folder
        self.ttl = ttl
        self.total_bytes = max(4 * max_file_bytes, 64 * 1024 * 1024)

    @property
    def folder(self) -> Path:
        if self._folder is None:  # an ingestor built without a data directory (tests, tools)
            self._folder = Path(tempfile.mkdtemp(prefix="stdtutor-pending-"))
        self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self._folder

    def hold(self, path: Path, name: str, user_id: int) -> str:
        """Keep a copy of `path` for `user_id`; the token that names it (for a button)."""
        self.sweep()
        mine = sorted((h for h in self._all() if h.user_id == user_id), key=lambda h: h.at)
        for old in mine[: max(0, len(mine) - PER_USER + 1)]:
            self.drop(old.token)
        token = secrets.token_urlsafe(9)  # 12 characters
        home = self.folder / token
        home.mkdir(mode=0o700)
        file = Path(name).name or "upload"  # loaders go by the name's suffix
        shutil.copyfile(path, home / file)
        meta = {"name": name, "file": file, "user_id": user_id, "at": time.time()}
        (home / _META).write_text(json.dumps(meta), encoding="utf-8")
        self._cap()
        return token

    def get(self, token: str, user_id: int) -> Held | None:
        """The upload `token` names, if it is `user_id`'s and still held."""
        if not _TOKEN.fullmatch(token):
            return None
        held = self._read(self.folder / token)
        if held is None or held.user_id != user_id:
            return None
        if time.time() - held.at > self.ttl:
            self.drop(token)
            return None
        return held

    def drop(self, token: str) -> None:
        if _TOKEN.fullmatch(token):
            shutil.rmtree(self.folder / token, ignore_errors=True)

    def sweep(self) -> None:
        """Drop what has waited longer than `ttl`."""
        now = time.time()
        for held in self._all():
            if now - held.at > self.ttl:
                self.drop(held.token)

    def _cap(self) -> None:
        held = sorted(self._all(), key=lambda h: h.at)
        total = sum(h.path.stat().st_size for h in held if h.path.exists())
        while held and total > self.total_bytes:
            oldest = held.pop(0)
            total -= oldest.path.stat().st_size if oldest.path.exists() else 0
            self.drop(oldest.token)

    def _all(self) -> list[Held]:
        found = (self._read(p) for p in self.folder.iterdir() if p.is_dir())
        return [h for h in found if h is not None]

    def _read(self, home: Path) -> Held | None:
        try:
            meta = json.loads((home / _META).read_text(encoding="utf-8"))
            file = Path(str(meta["file"])).name
            held = Held(home.name, home / file, str(meta["name"]), int(meta["user_id"]),
                        float(meta["at"]))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return held if held.path.exists() else None
