"""Ways to render a report's formats side by side, each a ``build.Render``: given the loaded
report, yield (format, output, seconds) for each format as soon as that one is ready.

Leaving one early (an error, Ctrl-C) ends the processes it started.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..build import render_each
from ..model import Report
from ..themes import Theme
from ..writers import WRITERS, Options
from ..writers.html import Shell, file_url
from . import groups
from .workers import Forked, results

if TYPE_CHECKING:
    from .relayout import Relayout  # imports WeasyPrint, which ``reportkit build`` leaves to its PDF writer


@dataclass(frozen=True)
class PdfJob:
    """How the PDF of a long report is laid out in groups of parts (``groups.render``)."""

    previous: Path | None = None
    """The PDF the last build wrote, whose page numbers are the first guess."""
    jobs: int = 1
    """How many processes may lay out groups at once."""


def render_ahead(ahead: Forked, job: PdfJob, report: Report, theme: Theme, options: Options,
                 formats: tuple[str, ...]) -> Iterator[tuple]:
    """The PDF by the writer started ahead (``workers.start_pdf``), the other formats here
    meanwhile."""
    # The HTML is made here while the worker still imports WeasyPrint, which takes its 0.1 s off
    # the PDF's path; the send then waits for the worker to read it (a thread sending meanwhile
    # measured no faster). A report laid out in groups is cut into them there.
    shell = Shell(report, theme, options, file_url)
    html = None if groups.plan(shell) else shell.html()
    ahead.send(html, report, theme, options, job.previous, job.jobs)
    yield from render_each(report, theme, options, tuple(f for f in formats if f != "pdf"))
    yield "pdf", *ahead.result()


def render_forked(job: PdfJob, report: Report, theme: Theme, options: Options,
                  formats: tuple[str, ...]) -> Iterator[tuple]:
    """Each format in a forked process of its own (the PDF's lays out groups in its own)."""
    workers = [Forked(fmt, "reportkit.incremental.groups", "render", (report, theme, options, job.previous, job.jobs),
                      daemon=False) if fmt == "pdf" else Forked(fmt, WRITERS[fmt], "render", (report, theme, options))
               for fmt in formats]
    try:
        yield from results(workers)
    finally:
        for worker in workers:
            worker.close()


def render_here(job: PdfJob, report: Report, theme: Theme, options: Options,
                formats: tuple[str, ...]) -> Iterator[tuple]:
    """Each format in turn in this process, the PDF's groups in up to ``job.jobs`` processes."""
    for fmt in formats:
        if fmt != "pdf":
            yield from render_each(report, theme, options, (fmt,))
            continue
        start = time.perf_counter()
        yield fmt, groups.render(report, theme, options, job.previous, job.jobs), time.perf_counter() - start


def render_beside(relayout: Relayout, job: PdfJob, report: Report, theme: Theme, options: Options,
                  formats: tuple[str, ...]) -> Iterator[tuple]:
    """The PDF laid out by ``relayout`` in a thread of this process (which keeps its pages for
    the next build), the other formats beside it in forked processes, yielded first. A report
    laid out in groups is laid out in its groups, as ``reportkit build`` does (the same bytes),
    those whose HTML and files have not changed kept from the last save (``relayout.groups``)."""
    grouped = groups.plan(Shell(report, theme, options, file_url)) is not None
    done: queue.SimpleQueue = queue.SimpleQueue()

    def lay_out_pdf() -> None:
        start = time.perf_counter()
        try:
            rendered = (groups.render(report, theme, options, job.previous, job.jobs, relayout.groups) if grouped
                        else relayout.render(report, theme, options))
            done.put((rendered, time.perf_counter() - start))
        except BaseException as err:  # handed to this thread, which raises it
            done.put(err)

    # Forked before the thread starts: a process forked while a thread runs may inherit a held lock.
    workers = [Forked(fmt, WRITERS[fmt], "render", (report, theme, options)) for fmt in formats if fmt != "pdf"]
    thread = threading.Thread(target=lay_out_pdf, daemon=True)
    thread.start()
    try:
        yield from results(workers)
        pdf = done.get()
        if isinstance(pdf, BaseException):
            raise pdf
        yield "pdf", *pdf
    except KeyboardInterrupt:
        raise
    except BaseException:
        thread.join()  # the next build must not find this one still using the pages
        raise
    finally:
        for worker in workers:
            worker.close()
