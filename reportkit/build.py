"""The pipeline: load report.toml → parse chapters → transform → write each format."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import Problems, ReportError
from .manifest import key_pos, load_manifest
from .model import Report
from .parse import parse_report
from .transforms import Figures, apply_transforms, figures


def load(report_dir: Path) -> tuple[Report, Problems]:
    """Read, parse and transform a report; return it with its warnings.

    Raises ReportError listing every error found (report.toml and all chapters).
    """
    meta, files, problems = load_manifest(report_dir)
    report = parse_report(meta, files, report_dir, problems)
    problems.raise_errors()
    return apply_transforms(report), problems


def check(report_dir: Path) -> tuple[Report, Problems, Figures]:
    """``reportkit check``: load the report, count it, and warn when it is over its word limit."""
    report, problems = load(report_dir)
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
    """One file a build wrote."""

    path: Path
    pages: int | None
    seconds: float


def build(report_dir: Path, out_dir: Path | None = None, formats: tuple[str, ...] = ("pdf", "docx"),
          style: str | None = None, draft: bool = False) -> list[Written]:
    """Build one report into each format; return the files written.

    Every output is rendered in memory and moved into place whole, so a failed build
    leaves the previous outputs untouched.
    """
    from .themes import load_theme
    from .writers import Options, get_writer

    report, _ = load(report_dir)
    theme = load_theme(style or report.meta.style, report_dir)
    created = creation_date(report, report_dir)
    options = Options(draft=draft, stamp=f"{created:%Y-%m-%d}" if draft else "", created=created)
    out_dir = out_dir or report_dir / "build"
    name = report_dir.resolve().name
    written = []
    for fmt in formats:
        start = time.perf_counter()
        rendered = get_writer(fmt)(report, theme, options)
        path = out_dir / f"{name}.{fmt}"
        write_atomic(path, rendered.data)
        written.append(Written(path, rendered.pages, time.perf_counter() - start))
    return written


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
