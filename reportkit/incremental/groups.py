"""A long report's PDF laid out in groups of consecutive parts, side by side, then merged.

The parts are those ``relayout`` lays out alone (front, each chapter, summary, endnotes: each
begins a page). Above ``PARALLEL_CHARS`` of HTML, in reportkit's own page shell, ``render``
cuts them into groups of about ``GROUP_CHARS``, lays each group out where it stands in the
whole (its first page number and side, the report's page count in its footers, the contents'
page numbers in the front) and writes it in up to ``jobs`` forked processes, and merges the
groups' PDFs (``writers.pdf_merge``). The tag post-pass (``writers.pdf_tags``) does its
page-by-page half in the workers, the rest (links described, notes) on the merged file.

The grouping is a function of the report alone, never of the machine or of ``jobs``: the PDF
is the same, byte for byte, with one process or sixteen. The page numbers come from the
previous PDF in the output folder (its named destinations: where each part and contents line
begins) when it has them, else from a first pass that only lays out; a layout whose page
numbers differ from those it was given is laid out again with its own (a wrong guess costs a
pass, never a wrong page number).
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..model import Report
from ..themes import Theme, find_style
from ..writers import Options, Rendered
from ..writers.html import Shell, file_url, w3c_date
from .record import html_files
from .workers import can_fork, forked_map

UNDATED = datetime(2000, 1, 1, tzinfo=timezone.utc)
"""The date parts and groups are laid out with: the date changes with every save when
report.toml gives none, and it is only metadata (set on the written document)."""
PARALLEL_CHARS = 120_000
"""HTML (text and markup of the parts) above which a report is laid out in groups: about 37
pages of the default style, where two groups on two cores begin to beat one layout."""
GROUP_CHARS = 400_000
"""At most about how much HTML one group lays out (125 pages): two groups up to 250 pages.
Each group repeats the font subsets (about 30 kB a group), so no more groups than that."""
FRONT_CHARS_PER_LINE = 700
"""What a contents line weighs in the front's share (the cover and contents have no body of
their own): its dot leader is laid out, written and tagged as one run per dot, which costs
about as much as 700 characters of a chapter (measured on the 182-page report, where the
200 taken before left the first group 3 s behind the second)."""
PASSES = 4
"""Layouts with page numbers tried before laying the report out whole (the second has always
agreed with the first so far)."""


@dataclass(frozen=True)
class Numbers:
    """The page numbers the groups are laid out with."""

    counts: tuple[int, ...]
    """Pages of each part."""
    toc: tuple[tuple[str, int], ...]
    """Contents line (heading id) → its page, in the contents' order."""


@dataclass(frozen=True)
class _Group:
    """What laying out one group found (and wrote)."""

    pages: int
    """Its page count."""
    anchors: dict[str, int]
    """Element id → index of its first page in the group."""
    notes: set[int]
    """The notes laid out in it."""
    too_tall: set[int]
    """Its notes too tall for the foot of a page."""
    stand_ins: set[str]
    """The targets it was given stand-ins for (they are in other groups)."""
    data: bytes | None
    """Its PDF (WeasyPrint's, its pages through the tag post-pass), when asked to write."""


def plan(shell: Shell) -> list[tuple[int, int]] | None:
    """The groups of parts (first, end) to lay out apart; None when the report is laid out
    whole: short, of one part, or in a style with a page shell of its own."""
    sizes = [len(p.body) + (len(shell.summary) if p.summary else 0) + (len(shell.endnotes) if p.endnotes else 0)
             for p in shell.parts]
    sizes[0] += FRONT_CHARS_PER_LINE * len(shell.toc)
    total = sum(sizes)
    if len(sizes) < 2 or total <= PARALLEL_CHARS or not own_shell(shell.theme):
        return None
    count = min(len(sizes), max(2, math.ceil(total / GROUP_CHARS)))
    ends, done = [], 0
    for k, size in enumerate(sizes):  # cut where the running total passes each share
        done += size
        if len(ends) < count - 1 and done >= total * (len(ends) + 1) / count and k + 1 < len(sizes):
            ends.append(k + 1)
    ends.append(len(sizes))
    return list(zip([0, *ends[:-1]], ends))


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
    PDF built for the report, whose page numbers serve as the first guess. ``kept`` (``watch``
    keeps it between saves) holds the groups laid out last time: one whose HTML and files are
    the same is not laid out again."""
    from ..writers import pdf, pdf_merge, pdf_tags

    shell = Shell(report, theme, dataclasses.replace(options, created=UNDATED) if options.created else options, file_url)
    groups = plan(shell)
    if groups is None:
        return pdf.render(report, theme, options)
    kept = {} if kept is None else kept
    numbers = read_numbers(previous, shell) if previous else None
    if numbers is None:
        numbers = _numbers(shell, groups, _run(shell, groups, None, report, theme, jobs, kept))
    for _ in range(PASSES):
        laid = _run(shell, groups, numbers, report, theme, jobs, kept, options.created)
        found = _numbers(shell, groups, laid)
        if found == numbers:
            break
        numbers = found
    else:  # page numbers that never settle (none seen): the report laid out whole instead
        return pdf.render(report, theme, options)
    final = {id(group) for group in laid}
    last = {key: group for key, group in kept.items() if id(group) in final}
    kept.clear()
    kept.update(last)  # the groups of this PDF, for the next save
    pdf.check_laid_out_notes(report, set().union(*(g.notes for g in laid)), set().union(*(g.too_tall for g in laid)))
    merged = pdf_merge.merge([g.data for g in laid], [g.stand_ins for g in laid], pdf_tags.retag_document)
    return Rendered(merged, sum(numbers.counts))


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

    try:
        with pikepdf.open(path) as pdf:
            number = {page.objgen: i + 1 for i, page in enumerate(pdf.pages)}
            total = len(pdf.pages)
            found = {}
            if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
                for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
                    if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].objgen in number:
                        found[name] = number[dest[0].objgen]
    except (OSError, pikepdf.PdfError):
        return None
    starts = [1, *(found.get(part.anchor, 0) for part in shell.parts[1:])]
    if any(b <= a for a, b in zip(starts, starts[1:])) or starts[-1] > total:
        return None
    counts = tuple(b - a for a, b in zip(starts, [*starts[1:], total + 1]))
    return Numbers(counts, tuple((line.href[1:], found[line.href[1:]]) for line in shell.toc if line.href[1:] in found))


def _numbers(shell: Shell, groups: list[tuple[int, int]], laid: list[_Group]) -> Numbers:
    """The page numbers the groups' layouts found."""
    counts: list[int] = []
    pages: dict[str, int] = {}
    for (first, end), group in zip(groups, laid):
        starts = [0, *(group.anchors[shell.parts[k].anchor] for k in range(first + 1, end)), group.pages]
        offset = sum(counts)
        counts += [b - a for a, b in zip(starts, starts[1:])]
        for name, index in group.anchors.items():
            pages.setdefault(name, offset + index + 1)
    return Numbers(tuple(counts), tuple((line.href[1:], pages[line.href[1:]]) for line in shell.toc
                                        if line.href[1:] in pages))


def _html(shell: Shell, group: tuple[int, int], numbers: Numbers | None) -> str:
    """The HTML of ``group`` as it stands in the whole with ``numbers``; without numbers, laid
    out from page 1 (a pass that only counts pages)."""
    first, end = group
    if numbers is None:
        return shell.part_html(first, 1, 0, {}, last=end)
    return shell.part_html(first, 1 + sum(numbers.counts[:first]), sum(numbers.counts), dict(numbers.toc), last=end)


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


def _run(shell: Shell, groups: list[tuple[int, int]], numbers: Numbers | None, report: Report, theme: Theme,
         jobs: int, kept: dict, created: datetime | None = None) -> list[_Group]:
    """Each group laid out (and written, when given its ``numbers``, the first dated
    ``created``: the merged file keeps its metadata), in up to ``jobs`` forked processes at once
    (each inherits its group's HTML), but those ``kept`` from before (under their HTML, files,
    date and whether written; the new ones are added)."""
    work = [(report, theme, *_stand_ins(_html(shell, group, numbers)), numbers is not None, None if k else created)
            for k, group in enumerate(groups)]
    keys = [(html, write, date, repr(html_files(html))) for _, _, html, _, write, date in work]
    todo = [args for args, key in zip(work, keys) if key not in kept]
    if min(jobs, len(todo)) < 2 or not can_fork() or multiprocessing.current_process().daemon:
        laid = [_lay_out(*args) for args in todo]
    else:
        laid = list(forked_map("pdf", "reportkit.incremental.groups", "_lay_out", todo, jobs))
    kept.update(zip([key for key in keys if key not in kept], laid))
    return [kept[key] for key in keys]


def anchors(pages: list, first: int = 0) -> dict[str, int]:
    """Element id → number of the first of ``pages`` it stands on, counting from ``first``."""
    return {anchor: first + i for i in reversed(range(len(pages))) for anchor in pages[i].anchors}


def _lay_out(report: Report, theme: Theme, html: str, stand_ins: set[str], write: bool,
             created: datetime | None) -> _Group:
    """One group's ``html`` laid out (and written with ``write``, dated ``created`` when given)."""
    from ..writers import pdf, pdf_tags

    laid_out = pdf.lay_out(html, report, theme)
    pages = laid_out.pages
    footnotes = report.meta.notes == "footnotes"
    found = {name: i for name, i in anchors(pages).items() if name not in stand_ins}
    data = None
    if created is not None:
        laid_out.metadata.created = laid_out.metadata.modified = w3c_date(created)
    if write:  # the tags' page-by-page half here, the rest on the merged file
        data = pdf_tags.retag(laid_out.write_pdf(pdf_variant=pdf.PDF_VARIANT, pdf_identifier=True), document=False)
    return _Group(len(pages), found, pdf.laid_out_notes(pages, footnotes),
                  pdf.overfull_notes(pages) if footnotes else set(), stand_ins, data)
