"""A long report's PDF laid out in groups of consecutive parts, side by side, then merged.

The parts are those ``relayout`` lays out alone (front, each chapter, summary, endnotes: each
begins a page). Above ``PARALLEL_CHARS`` of HTML, in reportkit's own page shell with the same
margins on left and right pages, ``render`` lays the front (cover and contents) out as a group
of its own and cuts the other parts into groups of about ``GROUP_CHARS``; it lays each group
out and writes it in up to ``jobs`` processes, and merges the groups' PDFs
(``writers.pdf_merge``). The tag post-pass (``writers.pdf_tags``) tags each group in its
worker, but for what needs the whole (the links' descriptions, the groups' ``Part``s joined),
done on the merged file.

Each group is laid out from page 1; WeasyPrint numbers pages in their margin boxes only, made
after the pagination (``weasyprint_fixes.paused``), so a group's layout is the same wherever
it stands. Each group stops once its pages are made and says how many it has and where each
element stands. While the groups' pages are those of the previous PDF in the output folder
(its named destinations), each is answered at once with its place there and written; from the
first group whose pages differ, or without a previous PDF, each waits until every group has
said its pages, and is then told its place in the whole. Only the front depends on the
others' pages, for its contents' page numbers: it is laid out again when they differ from the
guess (without a previous PDF, numbers estimated from the HTML: ``_first_guess``), and so is a
group written at a place the guess got wrong (a wrong guess costs a layout, never a wrong page
number).

The grouping is a function of the report alone, never of the machine or of ``jobs``: the PDF
is the same, byte for byte, with one process or sixteen.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing.connection import wait
from pathlib import Path
from typing import NamedTuple

from ..model import Report
from ..themes import Theme, find_style
from ..writers import Options, Rendered
from ..writers.html import Shell, file_url, w3c_date
from .record import html_files
from .workers import can_fork, slots, talker

UNDATED = datetime(2000, 1, 1, tzinfo=timezone.utc)
"""The date parts and groups are laid out with: the date changes with every save when
report.toml gives none, and it is only metadata (set on the written document)."""
PARALLEL_CHARS = 120_000
"""HTML (text and markup of the parts) above which a report is laid out in groups: about 37
pages of the default style, where two groups on two cores begin to beat one layout."""
GROUP_CHARS = 400_000
"""At most about how much HTML one group lays out (125 pages): two groups up to 250 pages.
Each group repeats the font subsets (about 30 kB a group), so no more groups than that."""
PAGE_CHARS = 3_600
"""About how much HTML a page of the default style holds (3,640 in the sample, 3,660 in 16
copies of it)."""
TOC_LINES = 30
"""About how many contents lines a page of the default style holds."""
PASSES = 4
"""Layouts of the front with contents page numbers tried before laying the report out whole
(the second has always agreed with the first so far)."""


@dataclass(frozen=True)
class Numbers:
    """The page numbers of a report's parts and contents lines."""

    counts: tuple[int, ...]
    """Pages of each part."""
    toc: tuple[tuple[str, int], ...]
    """Contents line (heading id) → its page, in the contents' order."""


@dataclass(frozen=True)
class _Group:
    """What laying out one group found, and its PDF."""

    pages: int
    """Its page count."""
    anchors: dict[str, int]
    """Element id → index of its first page in the group (but the stand-ins)."""
    notes: set[int]
    """The notes laid out in it."""
    too_tall: set[int]
    """Its notes too tall for the foot of a page."""
    shift: tuple[int, int]
    """(pages before it, the report's pages), as its footers number them."""
    data: bytes
    """Its PDF (WeasyPrint's, its pages through the tag post-pass)."""


class _Work(NamedTuple):
    """A group's work: the arguments of ``_lay_out`` but its ``ask``."""

    report: Report
    theme: Theme
    index: int
    html: str
    stand_ins: set[str]
    created: datetime | None
    shift: tuple[int, int] | None


class _Again(BaseException):
    """The front's answer when its contents' page numbers were wrong: its HTML with the right
    ones, and its stand-ins (a ``BaseException``, so that it leaves WeasyPrint's layout)."""


def plan(shell: Shell) -> list[tuple[int, int]] | None:
    """The groups of parts (first, end) to lay out apart, the front alone first; None when the
    report is laid out whole: short, of fewer than two parts after the front, or in a style
    with a page shell of its own or with different inside and outside margins."""
    sizes = [len(_markup(shell, part)) for part in shell.parts]
    if len(sizes) < 3 or sum(sizes) <= PARALLEL_CHARS or not own_shell(shell.theme) or not _same_sides(shell.theme):
        return None
    body = sizes[1:]
    total = sum(body)
    count = min(len(body), max(2, math.ceil(total / GROUP_CHARS)))
    ends, done = [], 0
    for k, size in enumerate(body):  # cut where the running total passes each share
        done += size
        if len(ends) < count - 1 and done >= total * (len(ends) + 1) / count and k + 1 < len(body):
            ends.append(k + 2)
    ends.append(len(sizes))
    return [(0, 1), *zip([1, *ends[:-1]], ends)]


def _markup(shell: Shell, part) -> str:
    """The markup of ``part``'s own: its chapters', or the summary's, or the endnotes'."""
    return part.body + (shell.summary if part.summary else "") + (shell.endnotes if part.endnotes else "")


def _same_sides(theme: Theme) -> bool:
    """Whether left and right pages have the same margins, so that a group laid out from a
    right page stands the same on a left one."""
    page = theme.settings.page
    return page.margin_inside.emu == page.margin_outside.emu


def own_shell(theme: Theme) -> bool:
    """Whether the style uses reportkit's own page shell and CSS (those of the default style),
    whose page breaks and counters ``Shell.part_html`` knows how to carry into a part."""
    default = find_style("default", None)
    if default is None:
        return False
    return all(
        (found := theme.find(name)) is not None and found.resolve() == (default / name).resolve()
        for name in ("report.html.j2", "report.css.j2")
    )


def render(report: Report, theme: Theme, options: Options, previous: Path | None = None, jobs: int = 1,
           kept: dict | None = None) -> Rendered:
    """The PDF's bytes and page count, as ``pdf.render`` checks them: laid out in groups when
    ``plan`` gives any (in up to ``jobs`` processes), else whole. ``previous`` is the last
    PDF built for the report, whose contents page numbers serve as the front's first guess.
    ``kept`` (``watch`` keeps it between saves) holds the groups laid out last time: one whose
    HTML, files and place in the whole are the same is not laid out again."""
    from ..writers import pdf, pdf_merge, pdf_tags

    shell = Shell(report, theme, dataclasses.replace(options, created=UNDATED) if options.created else options, file_url)
    groups = plan(shell)
    if groups is None:
        return pdf.render(report, theme, options)
    kept = {} if kept is None else kept
    guess = read_numbers(previous, shell) if previous else None
    laid = _run(shell, groups, guess, report, theme, jobs, kept, options.created)
    if laid is None:  # contents page numbers that never settle (none seen): the report laid out whole
        return pdf.render(report, theme, options)
    pdf.check_laid_out_notes(report, set().union(*(g.notes for g in laid)), set().union(*(g.too_tall for g in laid)))
    merged = pdf_merge.merge([g.data for g in laid], pdf_tags.retag_merged)
    return Rendered(merged, laid[0].shift[1])


def render_sent(html: str | None, report: Report, theme: Theme, options: Options, previous: Path | None,
                jobs: int) -> Rendered:
    """The PDF writer started ahead (``workers.start_pdf``): the ``html`` made for a report laid
    out whole, else (None) the report laid out in groups by ``render``."""
    from ..writers import pdf

    if html is not None:
        return pdf.render_html(html, report, theme)
    return render(report, theme, options, previous, jobs)


def read_numbers(path: Path, shell: Shell) -> Numbers | None:
    """The page numbers of ``shell``'s parts and contents lines in the PDF at ``path`` (from its
    named destinations), or None when it is missing or does not have them all."""
    import pikepdf

    from ..pdfpages import destination_pages

    try:
        with pikepdf.open(path) as pdf:
            total, found = len(pdf.pages), destination_pages(pdf)
    except (OSError, pikepdf.PdfError):
        return None
    starts = [1, *(found.get(part.anchor, 0) for part in shell.parts[1:])]
    if any(b <= a for a, b in zip(starts, starts[1:])) or starts[-1] > total:
        return None
    counts = tuple(b - a for a, b in zip(starts, [*starts[1:], total + 1]))
    return Numbers(counts, tuple((line.href[1:], found[line.href[1:]]) for line in shell.toc if line.href[1:] in found))


def _first_guess(shell: Shell) -> dict[str, int]:
    """The contents numbers a first build lays the front out with: each line's page where its
    heading's place in the report's HTML puts it, at ``PAGE_CHARS`` a page after a front of a
    cover and ``TOC_LINES`` contents lines a page. They are about as wide as the true ones, so
    the front most often has the page count those give. (With no numbers at all, WeasyPrint's
    ``target-counter`` makes the front's pages again and again: 16 pages made for 6, 1.5 s
    where numbers take 0.8 s.)"""
    text = "".join(_markup(shell, part) for part in shell.parts)
    front = 2 + len(shell.toc) // TOC_LINES
    return {line.href[1:]: front + max(text.find(f' id="{line.href[1:]}"'), 0) // PAGE_CHARS for line in shell.toc}


def _numbers(shell: Shell, groups: list[tuple[int, int]], laid: list[tuple[int, dict[str, int]]]) -> Numbers:
    """The page numbers that the groups' layouts found, each as (pages, anchors)."""
    counts: list[int] = []
    pages: dict[str, int] = {}
    for group, (count, anchors) in zip(groups, laid):
        offset = sum(counts)
        counts += _part_counts(shell, group, count, anchors)
        for name, index in anchors.items():
            pages.setdefault(name, offset + index + 1)
    return Numbers(tuple(counts), tuple((line.href[1:], pages[line.href[1:]]) for line in shell.toc
                                        if line.href[1:] in pages))


def _part_counts(shell: Shell, group: tuple[int, int], count: int, anchors: dict[str, int]) -> list[int]:
    """The pages of each part of ``group``, laid out in ``count`` pages with ``anchors``."""
    first, end = group
    starts = [0, *(anchors[shell.parts[k].anchor] for k in range(first + 1, end)), count]
    return [b - a for a, b in zip(starts, starts[1:])]


def _html(shell: Shell, group: tuple[int, int], toc: dict[str, int]) -> tuple[str, set[str]]:
    """The HTML of ``group`` laid out from page 1 (of as many pages as it counts), the front's
    contents showing ``toc`` (id → page), with its stand-ins (``_stand_ins``)."""
    first, end = group
    return _stand_ins(shell.part_html(first, 1, None, toc if first == 0 else None, last=end))


_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'\shref="#([^"]+)"')


def _stand_ins(html: str) -> tuple[str, set[str]]:
    """``html`` with a stand-in for each target of its links that it lacks (WeasyPrint drops a
    link to an anchor outside its document), and their names. They are empty and out of the
    flow, first in the body; ``pdf_merge`` takes them out again."""
    missing = sorted(set(_HREF.findall(html)) - set(_ID.findall(html)))
    if not missing:
        return html, set()
    spans = "".join(f'<span id="{name}"></span>' for name in missing)
    html = re.sub(r"(<body[^>]*>)", lambda m: f'{m[1]}<div style="position: absolute">{spans}</div>', html, count=1)
    return html, set(missing)


def _run(shell: Shell, groups: list[tuple[int, int]], guess: Numbers | None, report: Report, theme: Theme,
         jobs: int, kept: dict, created: datetime | None = None) -> list[_Group] | None:
    """Each group laid out and written (the first dated ``created``: the merged file keeps its
    metadata), up to ``jobs`` at once in forked processes (each inherits its group's HTML; the
    front beside them), else in turns in threads of this process; but those ``kept`` from
    before (under their HTML, files and date, if they stand where they stood; the new ones are
    added). Each group stops once its pages are made. While every group that has stopped has
    the pages that the last build's numbers (``guess``) give its parts, it is written at once
    where they put it (and laid out again should another group prove them wrong); from the
    first that has not, or without a guess, each waits for all the page counts. The front is
    laid out again until its contents show the pages the groups found (None when they never
    do); the others are told their place meanwhile, and laid out again in the rare case that
    the front's own page count changes."""
    threads = min(jobs, len(groups)) < 2 or not can_fork() or multiprocessing.current_process().daemon
    pool = slots(1 if threads else jobs, threads)
    # The front (a few pages) runs beside the groups in a process of its own; threads take turns.
    pools = [pool if threads else slots(1, threads), *[pool] * (len(groups) - 1)]
    toc = dict(guess.toc) if guess else _first_guess(shell)

    def place(numbers: Numbers, k: int) -> tuple[int, int]:
        return sum(numbers.counts[:groups[k][0]]), sum(numbers.counts)

    trusted = guess is not None and len(guess.counts) == len(shell.parts)  # until a group's pages differ
    work = [_Work(report, theme, k, *_html(shell, group, toc), None if k else created, None) for k, group in enumerate(groups)]
    found: dict[int, tuple[int, dict[str, int]]] = {}  # group → (pages, anchors)
    asked: dict[int, object] = {}  # group → its worker, waiting for its place in the whole
    running: dict[object, tuple[int, object]] = {}  # pipe → (group, worker)
    done: dict[int, _Group] = {}

    def key(k: int) -> tuple:
        return k, work[k].html, work[k].created, repr(html_files(work[k].html))

    def finished(k: int, group: _Group) -> None:
        done[k], found[k], kept[key(k)] = group, (group.pages, group.anchors), group

    def start(k: int) -> None:
        if key(k) in kept:
            finished(k, kept[key(k)])
            return
        worker = talker("pdf", "reportkit.incremental.groups", "_lay_out", work[k], pools[k], threads)
        running[worker.conn] = (k, worker)

    for k in range(len(groups)):
        start(k)
    passes = 1
    try:
        while True:
            if len(found) == len(groups):  # every group has said its pages: the page numbers are known
                numbers = _numbers(shell, groups, [found[k] for k in range(len(groups))])
                if dict(numbers.toc) != toc and (0 in asked or 0 in done):  # the front shows other page numbers
                    passes += 1
                    if passes > PASSES:
                        return None
                    toc = dict(numbers.toc)
                    html, stand_ins = _html(shell, groups[0], toc)
                    work[0] = work[0]._replace(html=html, stand_ins=stand_ins, shift=None)
                    if 0 in asked:
                        asked.pop(0).reply(("again", html, stand_ins))
                    else:
                        del done[0]
                        start(0)
                # The others are told their place at once: should the front's pages change, a
                # group written meanwhile is laid out again, as one written where a guess put it.
                for k in list(asked):
                    asked.pop(k).reply(place(numbers, k))
                for k in list(done):
                    if done[k].shift != place(numbers, k):
                        del done[k], kept[key(k)]
                        work[k] = work[k]._replace(shift=place(numbers, k))
                        start(k)
                if len(done) == len(groups):
                    break
            for conn in wait([conn for conn, (k, _) in running.items() if k not in asked]):
                k, worker = running[conn]
                kind, message = worker.message()
                if kind == "ask":
                    found[k], asked[k] = message, worker
                    first, end = groups[k]
                    if trusted and _part_counts(shell, groups[k], *message) == list(guess.counts[first:end]):
                        asked.pop(k).reply(place(guess, k))
                    else:
                        trusted = False
                else:
                    finished(k, message[0])
                    del running[conn]
                    worker.close()
    finally:
        for _, worker in running.values():
            worker.close()
    for stale in [name for name, group in kept.items() if all(group is not g for g in done.values())]:
        del kept[stale]  # only the groups of this PDF, for the next save
    return [done[k] for k in range(len(groups))]


def _lay_out(report: Report, theme: Theme, index: int, html: str, stand_ins: set[str], created: datetime | None,
             shift: tuple[int, int] | None, ask) -> _Group:
    """Group ``index``'s ``html`` laid out, dated ``created`` when given, and written where it stands
    in the whole: (pages before it, the report's pages), as ``shift`` says, else as ``ask``
    (given its pages and anchors) returns once its pages are made, or ("again", html,
    stand_ins) for a front to lay out with other numbers."""
    from ..writers import pdf, pdf_merge, weasyprint_fixes

    place: list = []

    def paused(count: int, anchors: dict[str, int]) -> tuple[int, int]:
        anchors = {name: i for name, i in anchors.items() if name not in stand_ins}
        answer = shift if shift is not None else ask((count, anchors))
        if answer[0] == "again":
            raise _Again(*answer[1:])
        place[:] = [count, anchors, answer]
        return answer

    while True:
        try:
            with weasyprint_fixes.paused(paused):
                laid_out = pdf.lay_out(html, report, theme)
            break
        except _Again as again:
            html, stand_ins = again.args
    count, anchors, shift = place
    pages = laid_out.pages
    footnotes = report.meta.notes == "footnotes"
    if created is not None:
        laid_out.metadata.created = laid_out.metadata.modified = w3c_date(created)
    notes = pdf.laid_out_notes(pages, footnotes)
    # Tagged here but for the links' descriptions and the groups' Parts joined, on the merged file.
    data = pdf.written(laid_out, min(notes, default=1), lambda doc: pdf_merge.ready(doc, index, stand_ins))
    return _Group(count, anchors, notes, pdf.overfull_notes(pages) if footnotes else set(), tuple(shift), data)
