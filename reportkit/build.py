"""The pipeline: load report.toml → parse chapters → transform → theme → each writer → the
outputs, each written to a temporary file and moved into place whole.

``incremental`` wraps this to do only what changed since the last build.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from .citations import cite_sources, sources_files
from .errors import Problem, Problems
from .fit import table_warnings
from .guidance import check_guidance
from .manifest import key_pos, load_manifest
from .model import Image, Report, iter_nodes
from .outputs import BuildOptions, Written, put_in_place, stage
from .parse import check_characters, parse_report
from .themes import Theme, load_theme
from .transforms import Figures, apply_transforms, figures
from .writers import Options, Rendered, get_writer

Render = Callable[[Report, Theme, Options, tuple[str, ...]], Iterator[tuple[str, Rendered, float]]]
"""Renders one report into formats: yields (format, output, seconds) for each, as each is ready."""


def load(report_dir: Path) -> tuple[Report, Problems]:
    """Read, parse and transform a report; return it with its warnings.

    Raises ReportError listing every error found (report.toml and all chapters).
    """
    report, problems, _ = _loaded(report_dir)
    return report, problems


def _loaded(report_dir: Path, style: str | None = None) -> tuple[Report, Problems, Theme]:
    """``load``, with the style it is read in (``style``, else the one it names): the style
    defines kinds of box."""
    meta, files, problems = load_manifest(report_dir)
    theme = load_theme(style or meta.style, report_dir, None if style else key_pos(report_dir, "style"))
    report = parse_report(meta, files, report_dir, problems, theme.settings.boxes)
    problems.raise_errors()
    return apply_transforms(report), problems, theme


def check(report_dir: Path) -> tuple[Report, Problems, Figures]:
    """``reportkit check``: load the report and its style, count it, and warn when it is over
    its word limit or a table is too wide for the page."""
    report, problems, figs, _ = _checked(report_dir)
    return report, problems, figs


def _checked(report_dir: Path, style: str | None = None) -> tuple[Report, Problems, Figures, Theme]:
    """``check``, with the style the report is built in (``style``, else the one it names)."""
    report, problems, theme = _loaded(report_dir, style)
    report = cite_sources(report, theme.settings.citations.later)  # the style says how sources are cited
    check_characters(report, theme.faces, problems)
    check_guidance(report, report_dir, problems)
    problems.items += table_warnings(report, theme)
    figs = figures(report)
    if figs.word_limit and figs.words_counted > figs.word_limit:
        over = figs.words_counted - figs.word_limit
        problems.warn(f"{over:,} words over the word limit of {figs.word_limit:,}",
                      key_pos(report_dir, "word_limit"))
    return report, problems, figs, theme


def load_with_theme(report_dir: Path) -> tuple[Report, Theme]:
    """The transformed report and its style (warnings dropped); raises ReportError on errors."""
    report, _, theme = _loaded(report_dir)
    return report, theme


def load_report(report_dir: Path) -> Report:
    """The transformed report (warnings dropped); raises ReportError on errors."""
    return load(report_dir)[0]


def creation_date(report: Report, report_dir: Path) -> datetime:
    """The date stamped into outputs (see ``_dating``)."""
    return _dating(report, report_dir)[0]


def _dating(report: Report, report_dir: Path) -> tuple[datetime, list[Path]]:
    """The date stamped into outputs, and the files whose modification times give it: report.toml's
    ``created``, else SOURCE_DATE_EPOCH (no files), else the last change of report.toml and the
    chapters. Never "now", so a rebuild of unchanged sources gives identical bytes."""
    if report.meta.created:
        return datetime.fromisoformat(report.meta.created), []
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc), []
    sources = _sources(report, report_dir)
    return datetime.fromtimestamp(max(int(p.stat().st_mtime) for p in sources), timezone.utc), sources


def _sources(report: Report, report_dir: Path) -> list[Path]:
    """report.toml, the chapters and the sources file."""
    return [report_dir / "report.toml", *(report_dir / c for c in report.meta.chapters), *sources_files(report_dir)]


def _report_files(report: Report, report_dir: Path) -> list[Path]:
    """The report's files the writers read (the style's aside): its sources, images and logos."""
    images = [Path(n.path) for n in iter_nodes(report.chapters) if isinstance(n, Image)]
    logos = [Path(p) for p in report.meta.logos] + [Path(p.logo) for p in report.meta.partners if p.logo]
    return _sources(report, report_dir) + images + logos


@dataclass(frozen=True)
class Built:
    """What one build read and wrote."""

    theme: Theme
    """The report's style."""
    files: list[Path]
    """The report's files it read: report.toml, chapters, images, logos (the style's aside)."""
    dated_by: list[Path]
    """The files whose modification times date the outputs (none when report.toml's ``created``
    or SOURCE_DATE_EPOCH does)."""
    warnings: list[Problem]
    """The warnings about the sources."""
    outputs: list[Written]
    """The files written, in the order of the formats asked for."""


_DOING = {"pdf": "laying out the PDF's pages", "docx": "writing the DOCX", "html": "writing the HTML"}


def build(report_dir: Path, out_dir: Path | None = None, formats: tuple[str, ...] = ("pdf", "docx"),
          options: BuildOptions | None = None, render: Render | None = None) -> Built:
    """Build one report into each format, in ``out_dir`` (default: REPORT_DIR/build).

    Each output is rendered in memory and written to a temporary file; once every format has
    rendered and been written (unless ``options.together`` is off), they are moved into place,
    so a full disk or an output path that is a folder leaves the previous outputs as they were. ``render`` renders the formats (default:
    ``render_each``); ``incremental`` passes ways to render them side by side.
    """
    options = options or BuildOptions()
    options.progress("reading the sources")
    report, problems, _, theme = _checked(report_dir, options.style)  # `check`'s warnings, word limit included
    for problem in problems.warnings:
        options.warn(problem)
    created, dated_by = _dating(report, report_dir)
    stamp = f"{datetime.now():%Y-%m-%d %H:%M}" if options.draft else ""  # when this draft was made
    writer_options = Options(draft=options.draft, stamp=stamp,
                             created=created, docx_page_numbers=options.docx_page_numbers,
                             docx_source_map=options.source_map)
    out_dir = out_dir or report_dir / "build"
    name = report_dir.resolve().name
    options.progress(" and ".join(_DOING[f] for f in formats))
    written, staged = {}, []
    try:
        with _source_date(created), contextlib.closing((render or render_each)(report, theme, writer_options, formats)) as rendered:
            for fmt, output, seconds in list(rendered) if options.together else rendered:
                path = out_dir / options.file_name(name, fmt)
                options.progress(f"writing {path.name}")
                for warning in output.warnings:
                    problems.warn(warning)
                    options.warn(problems.items[-1])
                staged.append(stage(path, output.data))
                written[fmt] = Written(path, output.pages, seconds)
                if not options.together:
                    put_in_place([staged.pop()])
        put_in_place(staged)  # every file written and flushed before the first is moved into place
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return Built(theme, _report_files(report, report_dir), dated_by, problems.warnings,
                 [written[f] for f in formats])


@contextlib.contextmanager
def _source_date(created: datetime) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set to ``created`` while the writers run (and in the processes they
    start), unless set already: fontTools, which subsets the PDF's fonts where HarfBuzz cannot,
    stamps each font with it instead of the current time."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    stamp = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def render_each(report: Report, theme: Theme, options: Options,
                formats: tuple[str, ...]) -> Iterator[tuple[str, Rendered, float]]:
    """Each format's writer in turn, in this process."""
    for fmt in formats:
        start = time.perf_counter()
        output = get_writer(fmt)(report, theme, options)
        yield fmt, output, time.perf_counter() - start
