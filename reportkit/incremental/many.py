"""Several reports built at once, each in a forked process of its own, one per core."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from ..errors import ReportError
from ..outputs import BuildOptions
from . import build
from .workers import can_fork, forked_map


@dataclass(frozen=True)
class Outcome:
    """How the build of one of several reports went."""

    ok: bool
    """Every output is in place."""
    summary: str
    """One line: the folder, then what was written ("…: ok, PDF 12 pages, DOCX unchanged (1.2 s)")
    or why it failed."""
    problems: list[str]
    """The errors found in its sources, one line each."""
    warnings: list[str]
    """The warnings about its sources, one line each."""


def build_many(dirs: tuple[Path, ...], formats: tuple[str, ...], options: BuildOptions,
               force: bool = False, out: Path | None = None, jobs: int | None = None) -> Iterator[Outcome]:
    """Build each report, several at once in up to ``jobs`` processes (default: one per core),
    into a subfolder of ``out`` named after its folder when given; yield how each went, in the
    order given. A long report's PDF groups are laid out one after another in its process."""
    jobs = jobs or os.cpu_count() or 1
    processes = min(len(dirs), jobs) if can_fork() else 1
    work = [(d, out / d.resolve().name if out else None, formats, options, force, 1 if processes > 1 else jobs)
            for d in dirs]
    if processes > 1:
        yield from forked_map("build", "reportkit.incremental.many", "_build_one", [(w,) for w in work], processes)
    else:
        yield from map(_build_one, work)


def _build_one(job: tuple[Path, Path | None, tuple[str, ...], BuildOptions, bool, int]) -> Outcome:
    """Build one of several reports (in a worker): one broken report must not stop the others."""
    report_dir, out_dir, formats, options, force, jobs = job
    start = time.perf_counter()
    warnings: list[str] = []
    options = replace(options, warn=lambda problem: warnings.append(str(problem)))
    try:
        written = build(report_dir, out_dir, formats, options, force=force, parallel=False, jobs=jobs)
    except ReportError as err:
        return Outcome(False, f"{report_dir}: failed ({len(err.problems)} errors)",
                       [str(p) for p in err.problems], warnings)
    except Exception as err:
        return Outcome(False, f"{report_dir}: failed ({type(err).__name__}: {err})", [], warnings)
    parts = [f"{w.path.suffix[1:].upper()} {'unchanged' if w.unchanged else f'{w.pages} pages' if w.pages else 'written'}"
             for w in written]
    return Outcome(True, f"{report_dir}: ok, {', '.join(parts)} ({time.perf_counter() - start:.1f} s)", [], warnings)
