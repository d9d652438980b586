"""Builds that redo only what changed, around the plain pipeline of ``build.build``: what
``reportkit build`` and ``watch`` call.

- ``record``: what each output was made from, kept in the output folder. A build whose options,
  files and folder listings are as recorded leaves the output as it is, and when every output
  is, nothing is parsed: a build with nothing to do takes under a tenth of one that renders.
- ``workers`` and ``render``: formats rendered side by side, in forked processes. ``reportkit
  build`` forks its PDF writer before it imports the pipeline, so that WeasyPrint's import
  (0.4 s) overlaps the parse, and writes the DOCX meanwhile.
- ``relayout``: ``watch``'s PDF writer, which keeps the pages of each part of the report and
  lays out again only the parts that changed.
- ``groups``: a long report's PDF laid out in groups of parts side by side, each laid out
  once, and merged (the same bytes with any number of processes).
- ``many``: several reports at once, one per core.

Two caches, not one: the record vouches for the outputs on disk and the relayout for the pages
it holds in memory, which may be older or newer than those outputs (any build may replace
them), so each keeps the sizes and times of the files it was made from.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..errors import ReportError
from ..outputs import BuildOptions, Written, private_tmpdir, remove_stale_temporaries, write_atomic
from . import record
from .record import CACHE_NAME

if TYPE_CHECKING:
    from .relayout import Relayout

__all__ = ["CACHE_NAME", "build"]


def build(report_dir: Path, out_dir: Path | None = None, formats: tuple[str, ...] = ("pdf", "docx"),
          options: BuildOptions | None = None, *, force: bool = False, parallel: bool = True,
          ahead: bool = False, relayout: Relayout | None = None, jobs: int | None = None) -> list[Written]:
    """``build.build`` of the formats whose outputs are out of date (all of them with
    ``force``); return every output, those left as they were marked ``unchanged``.

    ``ahead`` forks the PDF writer before anything else (``reportkit build``); a ``relayout``
    kept between builds (``watch``) lays the PDF out in this process; otherwise, with
    ``parallel``, each format renders in a forked process. A long report's PDF is laid out in
    groups of parts (``groups``) by up to ``jobs`` processes (default: one per core), the same
    bytes whatever their number; with ``jobs=1`` the build forks no process at all.
    """
    options = options or BuildOptions()
    private_tmpdir()  # before any worker is forked, so that all it leaves is removed with it
    out_dir = out_dir or report_dir / "build"
    with locked(out_dir, options):
        return _build_locked(report_dir, out_dir, formats, options, force, parallel, ahead, relayout,
                             jobs or os.cpu_count() or 1)


@contextlib.contextmanager
def locked(out_dir: Path, options: BuildOptions) -> Iterator[None]:
    """Hold the output folder's lock: two builds of one folder (``watch`` and ``build``, say) run
    one after the other, the second finding what the first wrote (and its record) up to date.
    The lock is taken on the folder itself (``flock`` works on a folder's descriptor), so it
    leaves no file behind. A folder made for the lock is removed again when the build fails."""
    made = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        folder = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as err:
        raise ReportError(f"cannot write to {out_dir}: {err.strerror}") from None
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            options.progress(f"waiting for another build of {out_dir}")
            fcntl.flock(folder, fcntl.LOCK_EX)
        try:
            yield
        except BaseException:
            if made:
                with contextlib.suppress(OSError):
                    out_dir.rmdir()
            raise
    finally:
        os.close(folder)  # releases the lock


def _build_locked(report_dir: Path, out_dir: Path, formats: tuple[str, ...], options: BuildOptions,
                  force: bool, parallel: bool, ahead: bool, relayout: Relayout | None, jobs: int) -> list[Written]:
    """``build``, the output folder locked."""
    name = report_dir.resolve().name
    for prefix in (name, CACHE_NAME):  # what a killed build left
        remove_stale_temporaries(out_dir, prefix)
    started = time.time_ns()
    cache = record.read(out_dir)
    before = json.dumps(cache, sort_keys=True)
    outputs = {} if force else {
        fmt: kept for fmt in formats if (kept := record.unchanged(cache, out_dir / options.file_name(name, fmt), fmt, options, started))}
    todo = tuple(fmt for fmt in formats if fmt not in outputs)
    if todo:
        job = render_job(out_dir / options.file_name(name, "pdf"), jobs)
        built = _build(report_dir, out_dir, todo, options, parallel, ahead, relayout, job)
        cache.update({fmt: record.entry(fmt, written, options, report_dir, built, started)
                      for fmt, written in zip(todo, built.outputs)})
        outputs.update(zip(todo, built.outputs))
    else:  # nothing parsed: the last build's warnings stand
        for warning in record.warnings(cache, formats[0]):
            options.warn(warning)
    if json.dumps(cache, sort_keys=True) != before:
        write_atomic(out_dir / CACHE_NAME, json.dumps(cache, indent=1, sort_keys=True).encode())
    return [outputs[fmt] for fmt in formats]


def render_job(previous: Path, jobs: int):
    """How the PDF is laid out in groups (``render.PdfJob``)."""
    from .render import PdfJob

    return PdfJob(previous if previous.is_file() else None, jobs)


def _build(report_dir: Path, out_dir: Path, formats: tuple[str, ...], options: BuildOptions, parallel: bool,
           ahead: bool, relayout: Relayout | None, job):
    """``build.build``, its formats rendered side by side (see ``build``)."""
    from .workers import can_fork, start_pdf  # a build with nothing to do needs no process

    several = job.jobs > 1  # with one (--jobs 1), every format in this process, one after the other
    worker = start_pdf() if ahead and several and "pdf" in formats and relayout is None else None
    try:
        # Imported once the PDF writer is forked: WeasyPrint loads there meanwhile.
        from .. import build as pipeline
        from . import render

        if relayout is not None and "pdf" in formats:
            renderer = partial(render.render_beside, relayout, job)
        elif worker is not None:
            renderer = partial(render.render_ahead, worker, job)
        elif parallel and several and len(formats) > 1 and can_fork():
            renderer = partial(render.render_forked, job)
        else:
            renderer = partial(render.render_here, job)
        return pipeline.build(report_dir, out_dir, formats, options, renderer)
    finally:
        if worker is not None:
            worker.close()
