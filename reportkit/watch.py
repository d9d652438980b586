"""``reportkit watch``: rebuild on every save, in one warm process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import ReportError
from .incremental import CACHE_NAME, build
from .outputs import BuildOptions


def watch(report_dir: Path, formats: tuple[str, ...], out_dir: Path | None = None,
          style: str | None = None, echo: Callable[[str], None] = print,
          changes: Iterable[object] | None = None) -> None:
    """Build now, then again after every change under ``report_dir`` until interrupted.

    Each round checks first (problems print at once), then renders the formats in parallel:
    the DOCX in a forked copy of this warm process, landing first; the PDF in this process,
    which keeps its pages and lays out again only the chapters that changed. A round with
    errors prints them and leaves the last good outputs in place. ``changes`` replaces the
    file watcher (tests pass a finite iterable).
    """
    from .incremental.relayout import Relayout
    from .writers import get_writer

    for fmt in formats:
        get_writer(fmt)  # import the writers once: later rounds start warm
    relayout = Relayout() if "pdf" in formats else None  # keeps the PDF's pages between rounds
    out_dir = out_dir or report_dir / "build"
    order = tuple(sorted(formats, key=lambda f: f == "pdf"))  # DOCX (and HTML) before the PDF
    # Warnings print before rendering starts. Each output lands when ready, the DOCX first; its
    # contents get page numbers from `reportkit build`, not here.
    options = BuildOptions(style=style, docx_page_numbers=False, together=False,
                           warn=lambda problem: echo(str(problem)))
    saves = iter(changes if changes is not None else _file_changes(report_dir, out_dir))
    _round(report_dir, order, out_dir, options, echo, relayout)
    for _ in saves:
        _round(report_dir, order, out_dir, options, echo, relayout)


def _round(report_dir: Path, formats: tuple[str, ...], out_dir: Path, options: BuildOptions,
           echo: Callable[[str], None], relayout=None) -> bool:
    start = time.perf_counter()
    try:
        written = build(report_dir, out_dir, formats, options, relayout=relayout)
    except ReportError as err:
        for problem in err.problems:
            echo(str(problem))
        echo(f"{time.strftime('%H:%M:%S')} errors: kept the last good output "
             f"({time.perf_counter() - start:.1f} s)")
        return False
    parts = [f"{w.path.name} {'unchanged' if w.unchanged else f'{w.seconds:.1f} s'}" for w in written]
    echo(f"{time.strftime('%H:%M:%S')} built {', '.join(parts)} ({time.perf_counter() - start:.1f} s)")
    return True


def _file_changes(report_dir: Path, out_dir: Path) -> Iterator[object]:
    """Yield once per batch of saved files, ignoring the outputs and editors' scratch files.

    The watcher starts before this returns, so a save during the first build is not missed.
    """
    from watchfiles import DefaultFilter, watch as watch_files

    outputs = out_dir.resolve()

    class SourcesOnly(DefaultFilter):
        def __call__(self, change, path: str) -> bool:
            resolved = Path(path).resolve()
            if resolved == outputs or outputs in resolved.parents or resolved.name == CACHE_NAME:
                return False
            return super().__call__(change, path)

    batches = watch_files(report_dir, watch_filter=SourcesOnly(), debounce=200, raise_interrupt=False,
                          yield_on_timeout=True, rust_timeout=100)
    next(batches)  # the first (empty) batch comes once the watcher is running
    return (batch for batch in batches if batch)
