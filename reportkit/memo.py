"""What reportkit learns from a file's contents alone and keeps between runs: a font's family and
characters, a style template's problems. ``reportkit check`` then reads neither the fonts with
fontTools nor the templates with Jinja2 when they have not changed (0.2 s of a 0.45 s check).

The results live in the user's cache folder (``$XDG_CACHE_HOME/reportkit``, else
``~/.cache/reportkit``), one JSON file per result, named by a hash of everything the result
depends on (the file's bytes, reportkit's version, what the caller adds): an edited file has
another name, so nothing in it can be stale. A folder that cannot be written, or a file that
cannot be read, only means computing again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .errors import ReportError
from .outputs import write_atomic


def user_cache() -> Path:
    """reportkit's folder in the user's cache."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reportkit"


def remembered(kind: str, parts: list[bytes], compute: Callable[[], Any]) -> Any:
    """``compute()``, or what it returned last time for the same ``parts`` (which must hold all it
    depends on). The value goes through JSON: lists come back for tuples and sets."""
    digest = hashlib.sha256(__version__.encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    path = user_cache() / kind / f"{digest.hexdigest()}.json"
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        pass
    value = compute()
    try:
        write_atomic(path, json.dumps(value).encode("utf-8"))
    except ReportError:
        pass  # only a cache: the next run computes it again
    return value
