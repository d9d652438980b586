"""The ``reportkit`` command: click parses options, the library does the work, we print."""

from __future__ import annotations

import atexit
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


def _shared_styles(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """``--styles DIR``: search DIR for styles before the shipped ones, as REPORTKIT_STYLES does."""
    from .themes import STYLES_VARIABLE

    if value is not None:
        os.environ[STYLES_VARIABLE] = os.pathsep.join(x for x in (str(value), os.environ.get(STYLES_VARIABLE)) if x)


_STYLES_OPTION = click.option(
    "--styles", type=click.Path(exists=True, file_okay=False, path_type=Path), callback=_shared_styles,
    expose_value=False, help="A folder of shared styles, searched before the shipped ones (also: REPORTKIT_STYLES).")


@main.command(name="check")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@_STYLES_OPTION
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
        count = f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}"
        state = f"failed ({count}, fatal with --strict)" if failed else "ok"
        click.echo(_figures_text(report_dir, figs, state))
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
                           help="Output folder (default: REPORT_DIR/build); with several reports, "
                                "each builds into OUT/<its folder name>.")
_STYLE_OPTION = click.option("--style", help="Build with this style instead of the one report.toml names.")



@main.command(name="build")
@click.argument("report_dirs", metavar="[REPORT_DIR]...", nargs=-1, type=_REPORT_DIR)
@_FORMAT_OPTION
@_OUT_OPTION
@_STYLE_OPTION
@_STYLES_OPTION
@click.option("--draft", is_flag=True, help="Add a DRAFT watermark and the build's date and time; "
              "writes NAME-draft.pdf and NAME-draft.docx, leaving the final files alone.")
@click.option("--no-source-map", is_flag=True,
              help="Leave out the DOCX's source map (for reportkit review): for the final file.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing has changed.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="How many processes the build may use (default: one per core); the outputs are the same.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("-v", "--verbose", is_flag=True, help="Also print each step as it happens.")
def build_command(report_dirs: tuple[Path, ...], formats: str, out: Path | None, style: str | None,
                  draft: bool, no_source_map: bool, force: bool, jobs: int | None, quiet: bool, verbose: bool) -> None:
    """Build REPORT_DIR into PDF and DOCX (in REPORT_DIR/build/).

    Several folders build one after another on each core, with one summary line each.
    """
    from .incremental import build
    from .incremental.workers import collect_in_batches
    from .outputs import BuildOptions
    from .progress import Progress

    start = time.perf_counter()
    collect_in_batches()
    chosen = _formats(formats)
    dirs = report_dirs or (Path("."),)
    if len(dirs) > 1:
        names = [d.resolve().name for d in dirs]
        if out and len(set(names)) < len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise click.BadParameter(f'two report folders are named "{twice}": each builds into '
                                     f"OUT/<folder name>, so build them separately", param_hint="--out")
        sys.exit(_build_many(dirs, chosen, BuildOptions(style=style, draft=draft, source_map=not no_source_map),
                                force, quiet, out, jobs))
    progress = Progress(lambda text: click.echo(text, nl=False, err=True),
                        enabled=not quiet and (verbose or sys.stderr.isatty()), verbose=verbose)
    options = BuildOptions(style=style, draft=draft, source_map=not no_source_map, progress=progress.stage,
                           warn=lambda problem: click.echo(str(problem), err=True))
    try:
        with progress:
            written = build(dirs[0], out, chosen, options, force=force, ahead=True, jobs=jobs)
    except ReportError as err:
        _fail(err)
    if quiet:
        return
    for item in written:
        state = "unchanged" if item.unchanged else f"{f'{item.pages} pages, ' if item.pages else ''}{item.seconds:.1f} s"
        click.echo(f"{'kept' if item.unchanged else 'wrote'} {item.path} ({state})")
    if all(item.unchanged for item in written):
        click.echo("nothing changed since the last build (use --force to rebuild)")
    click.echo(f"done in {time.perf_counter() - start:.1f} s")


def _build_many(dirs: tuple[Path, ...], formats: tuple[str, ...], options, force: bool, quiet: bool,
                out: Path | None, jobs: int | None = None) -> int:
    """Build each report on its own core (into OUT/<folder name> with ``out``); print its
    warnings and errors, then one line per report; 1 if any failed."""
    from .incremental.many import build_many

    failed = 0
    for outcome in build_many(dirs, formats, options, force, out, jobs):
        failed += not outcome.ok
        for problem in outcome.warnings + outcome.problems:
            click.echo(problem, err=True)
        if not quiet or not outcome.ok:
            click.echo(outcome.summary, err=not outcome.ok)
    if not quiet:
        click.echo(f"{len(dirs) - failed} of {len(dirs)} reports built")
    return 1 if failed else 0


@main.command(name="watch")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@_FORMAT_OPTION
@_OUT_OPTION
@_STYLE_OPTION
@_STYLES_OPTION
def watch_command(report_dir: Path, formats: str, out: Path | None, style: str | None) -> None:
    """Rebuild REPORT_DIR on every save until Ctrl-C."""
    from .incremental.workers import collect_in_batches
    from .watch import watch

    collect_in_batches()
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
@_STYLES_OPTION
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
    for (index, key), value in created.partners.items():
        click.echo(f"  partners ({index + 1}) {key} = {toml_value(value)}")
    for key in created.removed:
        click.echo(f"  {key} removed")
    click.echo(f"next: edit {created.path / 'report.toml'}, then run reportkit check {created.path}")


@main.command(name="recommendations")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "json", "md"]), default="csv",
              show_default=True, help="Output format.")
@click.option("--excel", is_flag=True,
              help="CSV for Excel: a byte order mark and CR LF line ends, so Cyrillic and accents show.")
def recommendations_command(report_dir: Path, fmt: str, excel: bool) -> None:
    """List every recommendation with its number, chapter and section, for advocacy follow-up."""
    click.get_current_context().invoke(boxes_command, report_dir=report_dir, kind="recommendation",
                                       fmt=fmt, excel=excel)


@main.command(name="boxes")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@click.option("-k", "--kind", required=True, help="A numbered kind of box: recommendation, or one the style numbers (question).")
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "json", "md"]), default="csv",
              show_default=True, help="Output format.")
@click.option("--excel", is_flag=True,
              help="CSV for Excel: a byte order mark and CR LF line ends, so Cyrillic and accents show.")
def boxes_command(report_dir: Path, kind: str, fmt: str, excel: bool) -> None:
    """List every numbered item of one kind of box (as `recommendations` lists recommendations)."""
    from .build import load_with_theme
    from .tables import recommendations_table
    from .tomlfile import unknown

    if excel and fmt != "csv":
        raise click.BadParameter("--excel is for --format csv", param_hint="--excel")
    try:
        report, theme = load_with_theme(report_dir)
    except ReportError as err:
        _fail(err)
    numbered = ["recommendation", *(k.name for k in theme.settings.boxes if k.numbered)]
    if kind not in numbered:
        known = kind in ("good-practice", "box") or theme.settings.box_kind(kind) is not None
        message = f'"{kind}" boxes are not numbered' if known else unknown(kind, numbered, noun="numbered kind of box")
        raise click.BadParameter(f"{message} (numbered: {', '.join(numbered)})", param_hint="--kind")
    text = recommendations_table(report, fmt, excel, kind)
    click.echo(text.encode("utf-8") if excel else text, nl=False)  # bytes: the same on any console


@main.command(name="sources")
@click.argument("report_dir", type=_REPORT_DIR, default=".")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "csv"]), default="text",
              show_default=True, help="Output format.")
@click.option("--excel", is_flag=True,
              help="CSV for Excel: a byte order mark and CR LF line ends, so Cyrillic and accents show.")
def sources_command(report_dir: Path, fmt: str, excel: bool) -> None:
    """List every source of REPORT_DIR with the notes that cite it, to check before sending."""
    from .build import load_report
    from .citations import SOURCE_FILES, sources_files, sources_table

    if excel and fmt != "csv":
        raise click.BadParameter("--excel is for --format csv", param_hint="--excel")
    try:
        report = load_report(report_dir)
    except ReportError as err:
        _fail(err)
    if not sources_files(report_dir):
        click.echo(f"{report_dir}: no sources file ({' or '.join(SOURCE_FILES)})", err=True)
        return
    text = sources_table(report, report_dir, fmt, excel)
    click.echo(text.encode("utf-8") if excel else text, nl=False)


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
            "good_practice_boxes": figs.good_practice_boxes, "boxes": figs.boxes,
            "chapter_words": dict(figs.chapter_words),
            "style_boxes": {kind: {"boxes": boxes, "numbered": items} for kind, boxes, items in figs.styled_boxes}}


def _figures_text(report_dir: Path, figs, state: str = "ok") -> str:
    words = f"{figs.words_body:,} body + {figs.words_notes:,} notes = {figs.words_total:,}"
    if figs.word_limit:
        margin = figs.word_limit - figs.words_counted
        counted = "with notes" if figs.count_notes else "without notes"
        left = f"{margin:,} under" if margin >= 0 else f"{-margin:,} over"
        words += f" (limit {figs.word_limit:,} {counted}: {left})"
    return "\n".join([
        f"{report_dir}: {state}",
        f"  chapters:             {figs.chapters}",
        f"  sections:             {figs.sections}",
        f"  words:                {words}",
        *(f"    {path}: {count:,}" for path, count in figs.chapter_words),
        f"  notes:                {figs.notes}",
        f"  recommendations:      {figs.recommendations} in {figs.recommendation_boxes} boxes",
        f"  good-practice boxes:  {figs.good_practice_boxes}",
        f"  other boxes:          {figs.boxes}",
        *(f"  {kind + ' boxes:':<22}{boxes}" + (f" ({items} numbered)" if items else "")
          for kind, boxes, items in figs.styled_boxes),
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
