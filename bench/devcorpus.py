"""Where the shared dev corpus lives: real public documents with 60 questions.

It is not part of the repository. It is looked for in `STDTUTOR_SHARED`, beside the checkout
(`../shared`), then at `/work/shared`, where these machines keep it.
"""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [
    os.environ.get("STDTUTOR_SHARED", ""),
    str(Path(__file__).resolve().parents[2] / "shared"),
    "/work/shared",
]
SHARED = next(
    (Path(p) for p in _CANDIDATES if p and Path(p, "devcorpus").is_dir()), Path(_CANDIDATES[1])
)
DEVCORPUS = SHARED / "devcorpus"
