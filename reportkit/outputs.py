"""A build's outputs: how to make them (``BuildOptions``), what was made (``Written``), and how
each file is put in place whole (``write_atomic``).

Apart from ``build.py`` and light, so that ``reportkit build`` holds them before the parser and
the writers are imported (a build with nothing to do never imports them).
"""

from __future__ import annotations

import atexit
import os
import shutil
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
    docx_page_numbers: bool = field(default_factory=libreoffice.wanted)
    """Fill the DOCX contents' page numbers with LibreOffice (a warning when it cannot). By
    default unless REPORTKIT_DOCX_PAGES turns it off; ``watch`` turns it off."""
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


PRIVATE_PREFIX = "reportkit-"
"""The name of a build process's own temporary folder begins so, then its process id."""

_private: Path | None = None


def private_tmpdir() -> Path:
    """This process's own temporary folder inside $TMPDIR, made the first time and removed at
    exit: everything the build, WeasyPrint and LibreOffice put in a temporary folder goes there
    (tempfile's folder and TMPDIR point at it), since WeasyPrint's fonts are not removed when a
    build exits at once. Folders of killed builds (their process gone) are removed first."""
    global _private
    if _private is not None:
        return _private
    base = Path(tempfile.gettempdir())
    for stale in base.glob(f"{PRIVATE_PREFIX}*-tmp"):
        pid = stale.name[len(PRIVATE_PREFIX):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    _private = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", suffix="-tmp", dir=base))
    atexit.register(_remove_private, _private, os.getpid())
    tempfile.tempdir = str(_private)
    os.environ["TMPDIR"] = str(_private)
    return _private


def _remove_private(folder: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked worker
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and move it into place."""
    put_in_place([stage(path, data)])


def stage(path: Path, data: bytes) -> tuple[Path, Path]:
    """Write ``data`` to a temporary file beside ``path``, flushed to the disk: (temporary, path)
    for ``put_in_place``. A disk full or a folder that cannot be written is a ReportError
    naming ``path``, and leaves no temporary file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportError(f"cannot write to {path.parent}: {err.strerror}") from None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
    except OSError as err:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {err.strerror or err}") from None
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp), path


def put_in_place(staged: list[tuple[Path, Path]]) -> None:
    """Move each temporary file ``stage`` wrote onto its path; when one cannot be (its path is a
    folder, say), none is and every temporary file is removed, so the outputs stay as they were."""
    try:
        for _, path in staged:
            if path.is_dir():
                raise IsADirectoryError(21, "it is a folder", str(path))
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as err:
                raise ReportError(f"cannot write {path}: {err.strerror or err}") from None
    except IsADirectoryError as err:
        raise ReportError(f"cannot write {err.filename}: {err.strerror}") from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
