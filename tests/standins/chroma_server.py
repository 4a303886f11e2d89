"""Run a real Chroma server (`chroma run`) on a free local port for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

HEARTBEAT_PATH = "/api/v2/heartbeat"  # chromadb 1.x; /api/v1/* answers "Unimplemented"
LOG_NAME = "chroma-server.log"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ChromaServer:
    """A `chroma run` child process persisting to `path`, logging to `path/chroma-server.log`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.host = "127.0.0.1"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.path / LOG_NAME

    def start(self, timeout: float = 60) -> ChromaServer:
        self.path.mkdir(parents=True, exist_ok=True)
        self.port = _free_port(self.host)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [_chroma_executable(), "run", "--path", str(self.path)]
            + ["--host", self.host, "--port", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=_child_environment(),
        )
        self._wait_until_ready(timeout)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while not self._heartbeat_ok():
            if self._process.poll() is not None:
                self._fail(f"exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                self._fail(f"did not answer {HEARTBEAT_PATH} within {timeout} s")
            time.sleep(0.05)

    def _heartbeat_ok(self) -> bool:
        try:
            with _NO_PROXY.open(self.url + HEARTBEAT_PATH, timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _fail(self, reason: str) -> None:
        self.stop()
        output = self.log_path.read_text(errors="replace")
        raise RuntimeError(f"Chroma server on {self.url} {reason}. Output:\n{output}")


def close_http_client(client: Any) -> None:
    """`client.close()` plus the httpx pools chromadb 1.5 leaves open (chroma-core/chroma#2702).

    Without this an `HttpClient` leaks a keep-alive socket, which `filterwarnings = error`
    turns into a failing ResourceWarning at garbage collection.
    """
    client.close()
    for owner in (client, getattr(client, "_admin_client", None)):
        session = getattr(getattr(owner, "_server", None), "_session", None)
        if session is not None:
            session.close()


def _chroma_executable() -> str:
    """The `chroma` script installed beside this interpreter (the venv's own)."""
    candidate = Path(sys.executable).parent / "chroma"
    if not candidate.exists():
        raise RuntimeError(f"No chroma executable next to {sys.executable}")
    return str(candidate)


def _child_environment() -> dict[str, str]:
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    # `chroma` is a Python script: inherited tracemalloc makes its start-up crawl past 60 s.
    env.pop("PYTHONTRACEMALLOC", None)
    return env


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
