"""The record of what each output was made from, kept in the output folder (``CACHE_NAME``).

Per format: the options that decide the output, every file the build read with its size,
modification time and content hash, the listings of the folders it looked into (the report's
chapters, its own styles, the style's files), the output's size, time and hash, its page count
and the build's warnings. An output is up to date while the options are the same, every folder
lists the same names and every file (the output too) has the same size and time, or else the
same content: a file touched but not changed costs a hash, not a rebuild. A file whose time is
too close to a build's start to tell a later save apart (whole-second file systems) is vouched
for by its content only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit
from typing import TYPE_CHECKING

from .. import libreoffice
from ..errors import Pos, Problem
from ..outputs import BuildOptions, Written

if TYPE_CHECKING:
    from ..build import Built

CACHE_NAME = ".reportkit-cache.json"
"""The record's file, in the output folder."""

NOT_READ_BY = {"docx": (".j2", ".css", ".ttf", ".otf", ".woff", ".woff2"), "pdf": (".docx",), "html": (".docx",)}
"""Style files a format does not read (a changed CSS template leaves the DOCX as it is);
theme.toml and any other file count for every format."""


def read(out_dir: Path) -> dict:
    """The record of an output folder; empty when missing or unreadable."""
    try:
        data = json.loads((out_dir / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def key(fmt: str, options: BuildOptions) -> str:
    """Everything besides files that decides an output: version, format and options."""
    from .. import __version__

    return json.dumps([__version__, fmt, options.style or "", options.draft,
                       libreoffice.paginates(options.docx_page_numbers) and fmt == "docx", options.source_map or fmt != "docx",
                       os.environ.get("SOURCE_DATE_EPOCH", ""), os.environ.get("REPORTKIT_STYLES", "")])


COARSE_NS = 2_000_000_000
"""How close to a build's start a file's time may be and still not tell a later save apart:
many file systems keep whole seconds (FAT two), so a save in the same second keeps the time."""


def unchanged(record: dict, output: Path, fmt: str, options: BuildOptions, started_ns: int) -> Written | None:
    """``output`` as left by the build ``record`` describes, when nothing it was made from has
    changed; else None. A file found touched with the same content gets its new size and time
    in ``record``, so the next check is by size and time again (unless that time is too close to
    ``started_ns``, this check's own start, to vouch)."""
    try:
        entry = record[fmt]
        if entry["key"] != key(fmt, options):
            return None
        if any(_listing(Path(folder), pattern, fmt) != names for folder, pattern, names in entry["listings"]):
            return None
        files = [*entry["files"].items(), (str(output), entry["output"])]
        if not all(_same(Path(path), was, started_ns) for path, was in files):
            return None
        return Written(output, entry["pages"], 0.0, unchanged=True)
    except (KeyError, TypeError, ValueError):  # another version's record, or none
        return None


def entry(fmt: str, written: Written, options: BuildOptions, report_dir: Path, built: Built, started_ns: int) -> dict:
    """The record of ``written``, the output of ``fmt`` of the build ``built`` that started at
    ``started_ns``. Empty when a file was saved while the build ran: the output may hold either
    text, so the next build makes it again."""
    style = [(folder, "**/*", _listing(folder, "**/*", fmt)) for folder in built.theme.dirs]
    listed = [(report_dir, "*.md", _listing(report_dir, "*.md", fmt)),  # the chapters, when not listed
              (report_dir / "styles", "*/theme.toml", _listing(report_dir / "styles", "*/theme.toml", fmt)),
              *style]
    files = [*built.files, *(folder / name for folder, _, names in style for name in names)]
    seen = [*files, *(folder / name for folder, _, names in listed for name in names)]  # files added meanwhile too
    if any((now := stamp(path)) is not None and now[1] >= started_ns for path in seen):
        return {}
    recorded = {}
    for path in files:  # only size and time vouch for the files that date the output, when they can
        now = stamp(path)
        recorded[os.path.abspath(path)] = None if now is None else _vouch(path, now, path in built.dated_by, started_ns)
    return {"key": key(fmt, options), "files": recorded,
            "listings": [[os.path.abspath(folder), pattern, names] for folder, pattern, names in listed],
            "output": [*stamp(written.path), digest(written.path)], "pages": written.pages,
            "warnings": [[p.message, p.pos.path if p.pos else None, p.pos.line if p.pos else 0] for p in built.warnings]}


def warnings(record: dict, fmt: str) -> list[Problem]:
    """The warnings of the build that made the output of ``fmt``."""
    return [Problem(message, Pos(path, line) if path else None, warning=True)
            for message, path, line in record[fmt]["warnings"]]


def stamp(path: Path) -> list[int] | None:
    """Size and modification time (ns) of a file; None if it is missing."""
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def digest(path: Path) -> str | None:
    """The SHA-256 of a file's bytes; None if it is missing."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _vouch(path: Path, now: list[int], dated: bool, started_ns: int) -> list:
    """A file's record, ``[size, time, hash]``: no hash for a file that dates the output (its
    time is part of the output), no time for one whose time a later save could keep (too close
    to the build's start, ``COARSE_NS``), which its hash then vouches for."""
    if now[1] >= started_ns - COARSE_NS:
        return [now[0], None, digest(path)]
    return [*now, None if dated else digest(path)]


def _same(path: Path, was: list | None, started_ns: int) -> bool:
    """Whether a file is as recorded (``[size, time, hash]``, None when it was missing): by size
    and time, else by content, when a hash was kept (then ``was`` takes the new size and time,
    when that time is far enough from ``started_ns`` to vouch for it)."""
    now = stamp(path)
    if now is None or was is None:
        return now is None and was is None
    if now == was[:2]:
        return True
    if was[2] is None or digest(path) != was[2]:
        return False
    was[:2] = _vouch(path, now, False, started_ns)[:2]
    return True


def _listing(folder: Path, pattern: str, fmt: str) -> list[str]:
    """The names of the files in ``folder`` matching ``pattern`` that format ``fmt`` may read."""
    if not folder.is_dir():
        return []
    skip = NOT_READ_BY.get(fmt, ())
    return sorted(str(p.relative_to(folder)) for p in folder.glob(pattern) if p.is_file() and not p.name.endswith(skip))


def html_files(html: str) -> dict[str, list[int] | None]:
    """Size and time of every file the HTML loads (None for one that is gone)."""
    return {url: stamp(Path(unquote(urlsplit(url).path))) for url in html_urls(html)}


def html_urls(html: str) -> list[str]:
    """The ``file://`` URLs in the HTML: images, logos, fonts."""
    return sorted(set(re.findall(r"file://[^\"')\s]+", html)))
