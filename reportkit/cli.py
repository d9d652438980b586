"""The ``reportkit`` command: click parses options, the library does the work, we print."""

from __future__ import annotations

import atexit
import csv
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import Problem, ReportError

_REPORT_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportkit")
def main() -> None:
    """Write alternative reports as Markdown; build them into DOCX and PDF."""
    # A kill (SIGTERM) unwinds like Ctrl-C, so temporary files are removed on the way out.
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run() -> None:
    """The ``reportkit`` command: ``main``, then exit at once.

    Once a command is done, the exit handlers run and the output is flushed, and the process
    ends without tearing its modules down one by one (about 60 ms after a build, for memory
    the system takes back anyway). A crash still ends with its traceback, as usual.
    """
    try:
        main()
    except SystemExit as done:
        code = done.code
    else:  # pragma: no cover - click's main always exits
        code = 0
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``reportkit … | head``)
            code = code or 1
    os._exit(code or 0)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _fail(err: ReportError) -> None:
    _print_problems(err.problems)
    sys.exit(1)


@main.command(name="check")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@click.option("--json", "as_json", is_flag=True, help="Print problems and figures as JSON.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
def check_command(report_dir: Path, as_json: bool, strict: bool) -> None:
    """Validate REPORT_DIR without writing anything; print problems and figures."""
    from .build import check

    try:
        report, problems, figs = check(report_dir)
    except ReportError as err:
        if as_json:
            click.echo(json.dumps({"report": str(report_dir), "ok": False,
                                   "errors": [_problem_json(p) for p in err.problems],
                                   "warnings": []}, indent=2, ensure_ascii=False))
            sys.exit(1)
        _fail(err)
    warnings = problems.warnings
    failed = strict and bool(warnings)
    if as_json:
        click.echo(json.dumps({
            "report": str(report_dir),
            "ok": not failed,
            "errors": [],
            "warnings": [_problem_json(p) for p in warnings],
            "figures": _figures_json(figs),
        }, indent=2, ensure_ascii=False))
    else:
        _print_problems(warnings)
        click.echo(_figures_text(report_dir, figs))
    sys.exit(1 if failed else 0)


def _formats(value: str) -> tuple[str, ...]:
    from .writers import WRITERS

    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown or not chosen:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; "
                                 f"choose from {', '.join(WRITERS)}", param_hint="--format")
    return chosen


_FORMAT_OPTION = click.option("-f", "--format", "formats", default="pdf,docx", show_default=True,
                              help="Comma-separated formats: pdf, docx, html.")
_OUT_OPTION = click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
                           help="Output folder (default: REPORT_DIR/build).")
_STYLE_OPTION = click.option("--style", help="Build with this style instead of the one report.toml names.")


@main.command(name="build")
@click.argument("report_dirs", metavar="[REPORT_DIR]...", nargs=-1, type=_REPORT_DIR)
@_FORMAT_OPTION
@_OUT_OPTION
@_STYLE_OPTION
@click.option("--draft", is_flag=True, help="Add a DRAFT watermark and a version stamp.")
@click.option("--no-source-map", is_flag=True,
              help="Leave out the DOCX's source map (for reportkit review): for the final file.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing has changed.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("-v", "--verbose", is_flag=True, help="Also print each step as it happens.")
def build_command(report_dirs: tuple[Path, ...], formats: str, out: Path | None, style: str | None,
                  draft: bool, no_source_map: bool, force: bool, quiet: bool, verbose: bool) -> None:
    """Build REPORT_DIR into PDF and DOCX (in REPORT_DIR/build/).

    Several folders build one after another on each core, with one summary line each.
    """
    from .ahead import start_pdf, unchanged
    from . import libreoffice

    start = time.perf_counter()
    chosen = _formats(formats)
    dirs = report_dirs or (Path("."),)
    if len(dirs) > 1:
        if out:
            raise click.BadParameter("--out needs a single REPORT_DIR", param_hint="--out")
        sys.exit(_build_many(dirs, chosen, style, draft, force, quiet, not no_source_map))
    kept = None if force else unchanged(dirs[0], out or dirs[0] / "build", chosen, style, draft,
                                        libreoffice.paginates(), not no_source_map)
    if kept is not None:  # nothing read by the last build has changed: no need to parse
        warnings, outputs = kept
        for warning in warnings:
            click.echo(warning, err=True)
        if not quiet:
            _echo_outputs([(path, "unchanged", True) for path in outputs], start)
        return
    ahead = start_pdf(chosen)  # WeasyPrint loads while we read the report
    progress = Progress(enabled=not quiet and (verbose or sys.stderr.isatty()), verbose=verbose)
    try:
        from .build import build

        with progress:
            written = build(dirs[0], out, chosen, style=style, draft=draft, force=force, ahead=ahead,
                            progress=progress.stage, warn=lambda p: click.echo(str(p), err=True),
                            source_map=not no_source_map)
    except ReportError as err:
        _fail(err)
    finally:
        if ahead is not None:
            ahead.close()
    if quiet:
        return
    _echo_outputs([(item.path, "unchanged" if item.unchanged else
                    f"{f'{item.pages} pages, ' if item.pages else ''}{item.seconds:.1f} s", item.unchanged)
                   for item in written], start)


def _echo_outputs(outputs: list[tuple[Path, str, bool]], start: float) -> None:
    """One line per output (path, what happened, whether it was kept as it was), then the time."""
    for path, state, kept in outputs:
        click.echo(f"{'kept' if kept else 'wrote'} {path} ({state})")
    if all(kept for _, _, kept in outputs):
        click.echo("nothing changed since the last build (use --force to rebuild)")
    click.echo(f"done in {time.perf_counter() - start:.1f} s")


def _build_one(report_dir: Path, formats: tuple[str, ...], style: str | None, draft: bool,
               force: bool, source_map: bool = True) -> tuple[bool, str, list[str]]:
    """Build one of several reports (in a worker): success, a summary line, any problems."""
    from .build import build

    start = time.perf_counter()
    try:
        written = build(report_dir, None, formats, style=style, draft=draft, force=force, parallel=False,
                        source_map=source_map)
    except ReportError as err:
        return False, f"{report_dir}: failed ({len(err.problems)} errors)", [str(p) for p in err.problems]
    except Exception as err:  # one broken report must not stop the others
        return False, f"{report_dir}: failed ({type(err).__name__}: {err})", []
    parts = [f"{w.path.suffix[1:].upper()} {'unchanged' if w.unchanged else f'{w.pages} pages' if w.pages else 'written'}"
             for w in written]
    return True, f"{report_dir}: ok, {', '.join(parts)} ({time.perf_counter() - start:.1f} s)", []


def _build_star(job: tuple) -> tuple[bool, str, list[str]]:
    return _build_one(*job)


def _build_many(dirs: tuple[Path, ...], formats: tuple[str, ...], style: str | None, draft: bool,
                force: bool, quiet: bool, source_map: bool = True) -> int:
    """Build each report on its own core; print one line per report; 1 if any failed."""
    from contextlib import nullcontext

    from .ahead import can_fork
    from .build import fork_pool

    jobs = [(d, formats, style, draft, force, source_map) for d in dirs]
    pool = fork_pool(min(len(dirs), os.cpu_count() or 1)) if can_fork() else None
    failed = 0
    with pool or nullcontext():
        for ok, line, problems in (pool.imap if pool else map)(_build_star, jobs):
            failed += not ok
            for problem in problems:
                click.echo(problem, err=True)
            if not quiet or not ok:
                click.echo(line, err=not ok)
    if not quiet:
        click.echo(f"{len(dirs) - failed} of {len(dirs)} reports built")
    return 1 if failed else 0


class Progress:
    """What a build is doing, on one self-erasing terminal line, once it has taken over a second."""

    DELAY = 1.0

    def __init__(self, enabled: bool, verbose: bool = False):
        self.enabled = enabled
        self.verbose = verbose
        self.current = ""
        self.shown = ""
        self.start = time.perf_counter()
        self._stop = None

    def stage(self, text: str) -> None:
        self.current = text
        if self.verbose:
            click.echo(f"[{time.perf_counter() - self.start:5.1f} s] {text}", err=True)

    def __enter__(self) -> "Progress":
        if self.enabled and not self.verbose:
            import threading

            self._stop = threading.Event()
            threading.Thread(target=self._tick, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop:
            self._stop.set()
            if self.shown:
                click.echo("\r\x1b[K", nl=False, err=True)

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            if time.perf_counter() - self.start > self.DELAY and self.current != self.shown:
                self.shown = self.current
                click.echo(f"\r\x1b[K{self.current}…", nl=False, err=True)


@main.command(name="watch")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@_FORMAT_OPTION
@_OUT_OPTION
@_STYLE_OPTION
def watch_command(report_dir: Path, formats: str, out: Path | None, style: str | None) -> None:
    """Rebuild REPORT_DIR on every save until Ctrl-C."""
    from .watch import watch

    chosen = _formats(formats)
    click.echo(f"watching {report_dir} (Ctrl-C to stop)")
    try:
        watch(report_dir, chosen, out, style, echo=lambda line: click.echo(line))
    except KeyboardInterrupt:
        pass
    click.echo("stopped")


def _assignments(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE (e.g. country=Kazakhstan)")
        pairs[key.strip()] = value
    return pairs


@main.command(name="new")
@click.argument("dest", type=click.Path(path_type=Path), required=False)
@click.option("--from", "source", metavar="SOURCE",
              help="A report folder, or the name of a shipped template (see --list).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", callback=_assignments,
              help="Set a report.toml field, e.g. --set country=Kazakhstan (repeatable).")
@click.option("--skeleton", is_flag=True,
              help="Keep headings, boxes and <!-- guidance -->; drop the body text and notes.")
@click.option("--list", "list_only", is_flag=True, help="List the shipped templates.")
def new_command(dest: Path | None, source: str | None, settings: dict[str, str], skeleton: bool,
                list_only: bool) -> None:
    """Start a new report in DEST from a report folder or a shipped template."""
    from .new import BadOption, list_templates, new_report, toml_value

    if list_only:
        for template in list_templates():
            click.echo(f"{template.name:<10} {template.description}")
        return
    if dest is None or not source:
        raise click.UsageError("give the new folder and where to start from: "
                               "reportkit new DEST --from SOURCE (templates: reportkit new --list)")
    try:
        created = new_report(dest, source, settings, skeleton=skeleton)
    except BadOption as err:
        raise click.BadParameter(str(err), param_hint=f"'{err.option}'") from err
    except ReportError as err:
        _fail(err)
    origin = f'template "{created.template}"' if created.template else str(created.source)
    click.echo(f"created {created.path} from {origin} ({len(created.chapters)} chapters"
               f"{', skeleton' if skeleton else ''})")
    for key, value in created.changes.items():
        click.echo(f"  {key} = {toml_value(value)}")
    for key in created.removed:
        click.echo(f"  {key} removed")
    click.echo(f"next: edit {created.path / 'report.toml'}, then run reportkit check {created.path}")


@main.command(name="recommendations")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "json", "md"]), default="csv",
              show_default=True, help="Output format.")
def recommendations_command(report_dir: Path, fmt: str) -> None:
    """List every recommendation with its number and section, for advocacy follow-up."""
    from .build import load_report
    from .model import plain_text
    from .transforms import recommendations

    try:
        report = load_report(report_dir)
    except ReportError as err:
        _fail(err)
    rows = [{
        "number": item.number,
        "section_number": item.section_number,
        "section": plain_text(item.section.title) if item.section else "",
        "text": item.text,
    } for item in recommendations(report)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["number"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        current = None
        for row in rows:
            heading = f"{row['section_number']} {row['section']}".strip()
            if heading != current:
                click.echo(f"{'' if current is None else chr(10)}## {heading}\n")
                current = heading
            click.echo(f"{row['number']}. {row['text']}")


def _problem_json(problem: Problem) -> dict:
    return {"path": problem.pos.path if problem.pos else None,
            "line": problem.pos.line if problem.pos else None,
            "message": problem.message}


def _figures_json(figs) -> dict:
    words = {"body": figs.words_body, "notes": figs.words_notes, "total": figs.words_total,
             "counted": figs.words_counted, "notes_count": figs.count_notes,
             "limit": figs.word_limit or None,
             "margin": (figs.word_limit - figs.words_counted) if figs.word_limit else None}
    return {"chapters": figs.chapters, "sections": figs.sections, "words": words,
            "notes": figs.notes, "recommendation_boxes": figs.recommendation_boxes,
            "recommendations": figs.recommendations,
            "good_practice_boxes": figs.good_practice_boxes, "boxes": figs.boxes}


def _figures_text(report_dir: Path, figs) -> str:
    words = f"{figs.words_body:,} body + {figs.words_notes:,} notes = {figs.words_total:,}"
    if figs.word_limit:
        margin = figs.word_limit - figs.words_counted
        counted = "with notes" if figs.count_notes else "without notes"
        state = f"{margin:,} under" if margin >= 0 else f"{-margin:,} over"
        words += f" (limit {figs.word_limit:,} {counted}: {state})"
    return "\n".join([
        f"{report_dir}: ok",
        f"  chapters:             {figs.chapters}",
        f"  sections:             {figs.sections}",
        f"  words:                {words}",
        f"  notes:                {figs.notes}",
        f"  recommendations:      {figs.recommendations} in {figs.recommendation_boxes} boxes",
        f"  good-practice boxes:  {figs.good_practice_boxes}",
        f"  other boxes:          {figs.boxes}",
    ])


@main.command(name="import")
@click.argument("docx_file", metavar="DOCX", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--comments", type=click.Choice(["keep", "drop"]), default="keep", show_default=True,
              help="Keep Word comments as <!-- comment, Author: … --> where they stood, or drop them.")
@click.option("--track-changes", type=click.Choice(["accept", "reject"]),
              help="Accept or reject the document's tracked changes (without it, such a document is refused).")
def import_command(docx_file: Path, dest: Path, comments: str, track_changes: str | None) -> None:
    """Make a new report in DEST from a Word report (.docx); then check it."""
    from .build import check
    from .importer import ImportOptions, import_docx

    try:
        imported = import_docx(docx_file, dest, ImportOptions(comments=comments, track_changes=track_changes))
    except ReportError as err:
        _fail(err)
    click.echo(imported.summary())
    _print_problems(imported.problems)
    try:
        _, problems, figs = check(dest)
    except ReportError as err:
        _fail(err)
    _print_problems(problems.warnings)
    click.echo(_figures_text(dest, figs))



@main.command(name="review")
@click.argument("reviewed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@click.option("--apply", "apply_", is_flag=True, help="Write the changes that map with certainty into the sources.")
@click.option("--comments", type=click.Choice(["list", "inline"]), default="list", show_default=True,
              help="inline: with --apply, also write each comment into the sources as an HTML comment.")
@click.option("--json", "as_json", is_flag=True, help="Print the review as JSON.")
def review_command(reviewed: Path, report_dir: Path, apply_: bool, comments: str, as_json: bool) -> None:
    """List the tracked changes and comments of REVIEWED (a Word copy of the built DOCX) at
    their place in REPORT_DIR's sources; with --apply, write them in."""
    from .review import review

    try:
        result = review(reviewed, report_dir, apply=apply_, comments_inline=comments == "inline")
    except ReportError as err:
        _fail(err)
    if as_json:
        click.echo(result.to_json())
        return
    for line in result.lines():
        click.echo(line)
    if result.diff and apply_:
        click.echo(result.diff, nl=False)
    for line in result.summary():
        click.echo(line)
