"""A build's outputs: how to make them (``BuildOptions``), what was made (``Written``), and how
each file is put in place whole (``write_atomic``).

Apart from ``build.py`` and light, so that ``reportkit build`` holds them before the parser and
the writers are imported (a build with nothing to do never imports them).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import libreoffice
from .errors import Problem, ReportError


def _ignore(_: object) -> None:
    pass


@dataclass(frozen=True)
class BuildOptions:
    """How to build one report, beyond what its sources say."""

    style: str | None = None
    """The style to build with instead of the one report.toml names."""
    draft: bool = False
    """Add a DRAFT watermark and the build's date and time; the files are named NAME-draft."""
    docx_page_numbers: bool = field(default_factory=libreoffice.paginates)
    """Fill the DOCX contents' page numbers with LibreOffice. By default when LibreOffice is
    installed and REPORTKIT_DOCX_PAGES does not turn it off; ``watch`` turns it off."""
    source_map: bool = True
    """Write the DOCX's source map (for ``reportkit review``); ``--no-source-map`` leaves it out
    of the final file (``report.toml``'s ``source_map = false`` too)."""
    together: bool = True
    """Replace no output until every format has rendered, so a failed build leaves the previous
    PDF and DOCX as a matching pair. ``watch`` puts each in place as soon as it is ready."""
    progress: Callable[[str], None] = _ignore
    """Told each stage of the build as it begins ("reading the sources"…)."""
    warn: Callable[[Problem], None] = _ignore
    """Given each warning about the sources, before anything is rendered."""

    def file_name(self, name: str, fmt: str) -> str:
        """The output's file name: ``NAME.pdf``, or ``NAME-draft.pdf`` for a draft, so that a
        draft never replaces the final files."""
        return f"{name}-draft.{fmt}" if self.draft else f"{name}.{fmt}"


@dataclass(frozen=True)
class Written:
    """One output of a build."""

    path: Path
    """The file."""
    pages: int | None
    """Its page count, when the writer knows it."""
    seconds: float
    """Time spent rendering it (0 when it was up to date)."""
    unchanged: bool = False
    """True when sources, style and options had not changed: the file was left as it was."""


def remove_stale_temporaries(folder: Path, prefix: str) -> None:
    """Temporary files (``write_atomic``'s, for files named ``prefix``…) that a killed build
    (SIGKILL, power cut) could not remove itself. Only old ones: a build of the same report
    running at this moment may be writing a fresh one."""
    if not folder.is_dir():
        return
    old = time.time() - 600
    for stale in folder.glob(f".{prefix}.*.tmp"):
        try:
            if stale.stat().st_mtime < old:
                stale.unlink()
        except OSError:
            pass


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and move it into place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise ReportError(f"cannot write to {path.parent}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
