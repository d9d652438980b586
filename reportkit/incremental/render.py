"""Ways to render a report's formats side by side, each a ``build.Render``: given the loaded
report, yield (format, output, seconds) for each format as soon as that one is ready.

Leaving one early (an error, Ctrl-C) ends the processes it started.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TYPE_CHECKING, Iterator

from ..build import render_each
from ..model import Report
from ..themes import Theme
from ..writers import WRITERS, Options
from ..writers.html import document, file_url
from .workers import Forked, results

if TYPE_CHECKING:
    from .relayout import Relayout  # imports WeasyPrint, which ``reportkit build`` leaves to its PDF writer


def render_ahead(ahead: Forked, report: Report, theme: Theme, options: Options,
                 formats: tuple[str, ...]) -> Iterator[tuple]:
    """The PDF by the writer started ahead (``workers.start_pdf``), the other formats here
    meanwhile."""
    # The HTML is made here while the worker still imports WeasyPrint, which takes its 0.1 s off
    # the PDF's path; the send then waits for the worker to read it (a thread sending meanwhile
    # measured no faster).
    ahead.send(document(report, theme, options, file_url), report, theme)
    yield from render_each(report, theme, options, tuple(f for f in formats if f != "pdf"))
    yield "pdf", *ahead.result()


def render_forked(report: Report, theme: Theme, options: Options, formats: tuple[str, ...]) -> Iterator[tuple]:
    """Each format in a forked process of its own."""
    workers = [Forked(fmt, WRITERS[fmt], "render", (report, theme, options)) for fmt in formats]
    try:
        yield from results(workers)
    finally:
        for worker in workers:
            worker.close()


def render_beside(relayout: Relayout, report: Report, theme: Theme, options: Options,
                  formats: tuple[str, ...]) -> Iterator[tuple]:
    """The PDF laid out by ``relayout`` in a thread of this process (which keeps its pages for
    the next build), the other formats beside it in forked processes, yielded first."""
    done: queue.SimpleQueue = queue.SimpleQueue()

    def lay_out_pdf() -> None:
        start = time.perf_counter()
        try:
            done.put((relayout.render(report, theme, options), time.perf_counter() - start))
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
