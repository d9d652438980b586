"""The pipeline: load report.toml → parse chapters → transform → write each format."""

from __future__ import annotations

import hashlib
import json
import contextlib
import multiprocessing
import os
import queue
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from .ahead import CACHE_NAME, can_fork, file_stat, read_cache, stamp, stamp_key
from .errors import Problem, Problems, ReportError
from .manifest import key_pos, load_manifest
from .model import Image, Report, iter_nodes
from .parse import parse_report
from .transforms import Figures, apply_transforms, figures
from . import libreoffice


def load(report_dir: Path) -> tuple[Report, Problems]:
    """Read, parse and transform a report; return it with its warnings.

    Raises ReportError listing every error found (report.toml and all chapters).
    """
    meta, files, problems = load_manifest(report_dir)
    report = parse_report(meta, files, report_dir, problems)
    problems.raise_errors()
    return apply_transforms(report), problems


def check(report_dir: Path) -> tuple[Report, Problems, Figures]:
    """``reportkit check``: load the report and its style, count it, and warn when it is over
    its word limit."""
    from .themes import load_theme

    report, problems = load(report_dir)
    load_theme(report.meta.style, report_dir, key_pos(report_dir, "style"))  # its errors too
    figs = figures(report)
    if figs.word_limit and figs.words_counted > figs.word_limit:
        over = figs.words_counted - figs.word_limit
        problems.warn(f"{over:,} words over the word limit of {figs.word_limit:,}",
                      key_pos(report_dir, "word_limit"))
    return report, problems, figs


def load_report(report_dir: Path) -> Report:
    """The transformed report (warnings dropped); raises ReportError on errors."""
    return load(report_dir)[0]


def creation_date(report: Report, report_dir: Path) -> datetime:
    """The date stamped into outputs: report.toml's ``created``, else SOURCE_DATE_EPOCH, else the
    sources' last change. Never "now", so a rebuild of unchanged sources gives identical bytes."""
    if report.meta.created:
        return datetime.fromisoformat(report.meta.created)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    sources = [report_dir / "report.toml", *(report_dir / c for c in report.meta.chapters)]
    newest = max(int(p.stat().st_mtime) for p in sources)
    return datetime.fromtimestamp(newest, timezone.utc)


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


_DOING = {"pdf": "laying out the PDF's pages", "docx": "writing the DOCX", "html": "writing the HTML"}

# Style files each format reads; theme.toml and anything else count for every format.
_NOT_READ_BY = {"docx": (".j2", ".css", ".ttf", ".otf", ".woff", ".woff2"), "pdf": (".docx",), "html": (".docx",)}


def build(report_dir: Path, out_dir: Path | None = None, formats: tuple[str, ...] = ("pdf", "docx"),
          style: str | None = None, draft: bool = False, force: bool = False,
          parallel: bool = True, together: bool = True, docx_page_numbers: bool | None = None,
          relayout=None, ahead=None, progress: Callable[[str], None] = lambda _: None,
          warn: Callable[[Problem], None] = lambda _: None, source_map: bool = True) -> list[Written]:
    """Build one report into each format; return the outputs.

    Formats whose inputs (sources, images, style files, options) have not changed since the
    last build are left alone unless ``force``. The others render in parallel, from one
    parse, each in its own process. Every output is rendered in memory and moved into place
    whole; with ``together`` (the default) nothing is replaced until every format has
    rendered, so a failed build leaves the previous PDF and DOCX as a matching pair.
    ``watch`` passes ``together=False`` to get the quicker DOCX in place first, and
    ``docx_page_numbers=False`` to skip the LibreOffice pass (default: REPORTKIT_DOCX_PAGES),
    and a ``pdf.Relayout`` kept between its builds: the PDF is then laid out in this process,
    where the pages of the chapters that did not change are kept. ``reportkit build`` passes
    the PDF writer it started ``ahead`` (``ahead.start_pdf``); the caller closes it.
    ``source_map=False`` (``--no-source-map``) leaves the DOCX's source map out.
    """
    from .themes import load_theme

    started = time.time_ns()
    progress("reading the sources")
    report, problems, _ = check(report_dir)  # the same warnings as `check`, word limit included
    for problem in problems.warnings:
        warn(problem)
    theme = load_theme(style or report.meta.style, report_dir,
                       None if style else key_pos(report_dir, "style"))
    out_dir = out_dir or report_dir / "build"
    name = report_dir.resolve().name
    _remove_stale_temporaries(out_dir, name)
    options = _options(draft, creation_date(report, report_dir), libreoffice.paginates(docx_page_numbers),
                       source_map)
    cache = read_cache(out_dir)
    before = json.dumps(cache, sort_keys=True)
    inputs = {fmt: _input_files(report, report_dir, theme, fmt) for fmt in formats}
    todo: dict[str, str] = {}
    results: dict[str, Written] = {}
    for fmt in formats:
        key = _inputs_hash(inputs[fmt], theme, fmt, options)
        path = out_dir / f"{name}.{fmt}"
        entry = cache.get(fmt, {})
        if not force and entry.get("inputs") == key and _file_hash(path) == entry.get("output"):
            results[fmt] = Written(path, entry.get("pages"), 0.0, unchanged=True)
        else:
            todo[fmt] = key
    if todo:
        progress(" and ".join(_DOING[f] for f in todo))
        rendered = _render_all(report, theme, options, list(todo), parallel, relayout, ahead)
        if together:
            rendered = list(rendered)  # every format first: a failure replaces nothing
        try:
            for fmt, (data, pages, seconds) in rendered:
                path = out_dir / f"{name}.{fmt}"
                progress(f"writing {path.name}")
                write_atomic(path, data)
                results[fmt] = Written(path, pages, seconds)
                cache[fmt] = {"inputs": todo[fmt], "output": hashlib.sha256(data).hexdigest(), "pages": pages}
        except BaseException:  # record what was written, even when another format failed
            if any(fmt in results for fmt in todo):
                _write_cache(out_dir, cache)
            raise
    # Every format is in place: record what it was made from, for the no-change shortcut. The
    # report's styles/ folder counts even when missing (a style added there would be used).
    folders = [report_dir / "styles"]
    folders += [d for folder in theme.dirs for d in (folder, *sorted(folder.rglob("*"))) if d.is_dir()]
    warned = [str(p) for p in problems.warnings]
    stamps = {fmt: stamp(stamp_key(fmt, style, draft, options.docx_page_numbers, source_map), started,
                         inputs[fmt] + folders, warned) for fmt in formats}
    if any(was is not None and was[1] >= started for new in stamps.values() for was in new["files"].values()):
        for fmt in formats:  # saved while this build read it: the outputs may hold either text
            cache[fmt].pop("stamp", None)
            if fmt in todo:
                cache[fmt]["inputs"] = ""
    else:
        for fmt, new in stamps.items():
            old = cache[fmt].get("stamp")
            # An unchanged record keeps its time: a no-change build writes nothing.
            if fmt in todo or not isinstance(old, dict) or {**old, "started": started} != new:
                cache[fmt]["stamp"] = new
            cache[fmt]["stat"] = file_stat(results[fmt].path)
    if json.dumps(cache, sort_keys=True) != before:
        _write_cache(out_dir, cache)
    return [results[f] for f in formats]


def _write_cache(out_dir: Path, cache: dict) -> None:
    write_atomic(out_dir / CACHE_NAME, json.dumps(cache, indent=1, sort_keys=True).encode())


def _options(draft: bool, created: datetime, docx_page_numbers: bool, source_map: bool = True):
    from .writers import Options

    return Options(draft=draft, stamp=f"{created:%Y-%m-%d}" if draft else "", created=created,
                   docx_page_numbers=docx_page_numbers, docx_source_map=source_map)


def _render_one(fmt: str, report: Report, theme, options) -> tuple[bytes, int | None, float]:
    from .writers import get_writer

    start = time.perf_counter()
    rendered = get_writer(fmt)(report, theme, options)
    return rendered.data, rendered.pages, time.perf_counter() - start


_JOB: tuple = ()
"""(report, theme, options) of the build being rendered: forked workers inherit it, unpickled."""


def _render_forked(fmt: str) -> tuple[str, tuple[bytes, int | None, float]]:
    return fmt, _render_one(fmt, *_JOB)


def _render_all(report: Report, theme, options, formats: list[str], parallel: bool,
                relayout=None, ahead=None) -> Iterator[tuple[str, tuple[bytes, int | None, float]]]:
    """Yield each format's rendering as soon as it is ready (in order when not parallel).

    In parallel each format renders in a forked process that shares the one parse; with a
    ``relayout``, the PDF renders in this process instead (see ``_render_beside``); with a
    writer started ``ahead``, its format renders there, and the others here meanwhile.
    """
    global _JOB
    if ahead is not None and ahead.fmt in formats and relayout is None:
        from .writers.html import Shell, file_url

        # The HTML is made here while the worker still imports WeasyPrint; the send then waits
        # for the worker to read it (a thread sending meanwhile measured no faster).
        ahead.send(report, theme, options, Shell(report, theme, options, file_url).html())
        for fmt in formats:
            if fmt != ahead.fmt:
                yield fmt, _render_one(fmt, report, theme, options)
        yield ahead.fmt, ahead.result()
        return
    if relayout is not None and "pdf" in formats:
        yield from _render_beside(report, theme, options, [f for f in formats if f != "pdf"], parallel, relayout)
        return
    if not parallel or len(formats) < 2 or not can_fork():
        for fmt in formats:
            yield fmt, _render_one(fmt, report, theme, options)
        return
    _JOB = (report, theme, options)
    try:
        with fork_pool(len(formats)) as pool:
            yield from pool.imap_unordered(_render_forked, formats)
    finally:
        _JOB = ()


def _render_beside(report: Report, theme, options, others: list[str], parallel: bool,
                   relayout) -> Iterator[tuple[str, tuple[bytes, int | None, float]]]:
    """The PDF laid out by ``relayout`` in a thread of this process (which keeps its pages for
    the next build), the other formats beside it in forked workers; each yielded when ready."""
    global _JOB
    results: queue.SimpleQueue = queue.SimpleQueue()

    def lay_out_pdf() -> None:
        start = time.perf_counter()
        try:
            rendered = relayout.render(report, theme, options)
            results.put(("pdf", (rendered.data, rendered.pages, time.perf_counter() - start)))
        except BaseException as err:  # handed to the main thread, which raises it
            results.put(("pdf", err))

    _JOB = (report, theme, options)
    forked = parallel and bool(others) and can_fork()
    thread = threading.Thread(target=lay_out_pdf, daemon=True)
    try:
        with fork_pool(len(others)) if forked else contextlib.nullcontext() as pool:  # fork before the thread starts
            thread.start()
            for fmt in others:
                if pool is not None:
                    pool.apply_async(_render_forked, (fmt,), callback=results.put,
                                     error_callback=lambda err, fmt=fmt: results.put((fmt, err)))
                else:
                    results.put((fmt, _render_one(fmt, report, theme, options)))
            for _ in range(len(others) + 1):
                fmt, result = results.get()
                if isinstance(result, BaseException):
                    raise result
                yield fmt, result
    except KeyboardInterrupt:
        raise
    except BaseException:
        if thread.is_alive():
            thread.join()  # the next build must not find this one still using the pages
        raise
    finally:
        _JOB = ()


def fork_pool(processes: int):
    """A pool of forked workers that leave Ctrl-C to the parent; leaving the ``with`` block
    (normally or by an exception, Ctrl-C included) terminates them."""
    return multiprocessing.get_context("fork").Pool(processes, initializer=_ignore_interrupts)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's pool.terminate() just ends us


def _inputs_hash(files: list[Path], theme, fmt: str, options) -> str:
    """A hash of everything format ``fmt`` is made from: its ``files`` (``_input_files``) and
    options (which include the creation date)."""
    from . import __version__

    relevant = {k: v for k, v in vars(options).items() if fmt == "docx" or not k.startswith("docx_")}
    digest = hashlib.sha256(f"{__version__}\0{fmt}\0{relevant!r}\0{theme.name}\0".encode())
    for path in files:
        digest.update(f"{path}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _input_files(report: Report, report_dir: Path, theme, fmt: str) -> list[Path]:
    """The files format ``fmt`` is made from: sources, images, logos, the style's files."""
    files = [report_dir / "report.toml", *(report_dir / c for c in report.meta.chapters)]
    files += [Path(n.path) for n in iter_nodes(report.chapters) if isinstance(n, Image)]
    files += [Path(p) for p in report.meta.logos] + [Path(p.logo) for p in report.meta.partners if p.logo]
    for folder in theme.dirs:
        files += [p for p in sorted(folder.rglob("*"))
                  if p.is_file() and not p.name.endswith(_NOT_READ_BY.get(fmt, ()))]
    return files


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _remove_stale_temporaries(out_dir: Path, name: str) -> None:
    """Temporary files a killed build (SIGKILL, power cut) could not remove itself. Only old
    ones: a build of the same report running at this moment may be writing a fresh one."""
    if not out_dir.is_dir():
        return
    old = time.time() - 600
    for stale in [*out_dir.glob(f".{name}.*.tmp"), *out_dir.glob(f".{CACHE_NAME}.*.tmp")]:
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
