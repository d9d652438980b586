"""``watch``'s PDF writer: it keeps the pages of each part of the report (front, chapters,
summary, endnotes: each begins on a page of its own) and lays out again only the parts whose
HTML, or a file it shows, changed, each alone, where it stands in the whole. The result is the
very PDF ``pdf.render`` makes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..model import Report
from ..themes import Theme
from ..writers import Options, Rendered, pdf
from ..writers.html import Shell, file_url
from .groups import UNDATED, own_shell
from .record import html_files, html_urls


@dataclass(frozen=True)
class _Laid:
    """One part of the report as last laid out."""

    html: str
    """The part's HTML, as it stands in the whole (page numbers included)."""
    files: dict[str, list[int] | None]
    """Size and time of each file the HTML loads (images, fonts), as the layout found them."""
    pages: list
    """Its pages (WeasyPrint's)."""
    document: object
    """The layout they come from (kept: its fonts serve the pages)."""
    anchors: dict[str, int]
    """Element id → page number in the whole report."""

    def holds(self, html: str) -> bool:
        """Whether these pages are the layout of ``html`` with its files as they are now."""
        return html == self.html and html_files(html) == self.files


class Relayout:
    """The PDF writer of a warm process (``watch``): lays out only the parts that changed.

    The first build lays the whole report out, as ``pdf.render`` does, and keeps each part's
    pages. A later build lays out alone each part whose HTML (or a file it shows) changed,
    starting on the page number and page side where it stands, with the report's page count
    in its footers; unchanged parts keep their pages. When a part's page count changes (every
    footer's "of N" and every later page number move), or the style is not reportkit's own
    page shell (its page breaks and counters are unknown), the whole report is laid out again.
    Every build's pages are checked for lost notes, as ``pdf.render``'s are.
    """

    def __init__(self) -> None:
        self.parts: list[_Laid] = []
        self.relaid: int | None = None
        """Parts laid out by the last build (None: the whole report was)."""
        self.groups: dict = {}
        """A long report's groups as the last build laid them out (``groups.render``'s ``kept``)."""

    def render(self, report: Report, theme: Theme, options: Options) -> Rendered:
        """The PDF's bytes and page count, as ``pdf.render`` gives them."""
        shell = Shell(report, theme, dataclasses.replace(options, created=UNDATED), file_url)
        alone = own_shell(theme)
        found = self._again(shell, report, theme) if alone and len(self.parts) == len(shell.parts) else None
        if found is None:
            html = shell.html()
            files = html_files(html)  # before the layout: a file saved meanwhile is laid out again next time
            laid_out = pdf.lay_out(html, report, theme)
            parts = _split(shell, laid_out, files) if alone else []
            pages = laid_out.pages
        else:
            parts = found
            laid_out = parts[0].document  # any part's layout serves to write them all
            pages = [page for part in parts for page in part.pages]
        pdf.check_notes(report, pages)
        self.parts, self.relaid = parts, None if found is None else sum(a is not b for a, b in zip(parts, self.parts))
        return pdf.write_pages(laid_out, pages, options.created)

    def _again(self, shell: Shell, report: Report, theme: Theme) -> list[_Laid] | None:
        total = sum(len(part.pages) for part in self.parts)
        laid: list[_Laid] = [self.parts[0]]  # the front waits for the contents' page numbers
        first = 1 + len(self.parts[0].pages)
        for k in range(1, len(shell.parts)):
            part = self._part(k, shell.part_html(k, first, total), first, report, theme)
            if part is None:
                return None
            laid.append(part)
            first += len(part.pages)
        toc_pages = {ident: page for part in laid[1:] for ident, page in part.anchors.items()}
        front = self._part(0, shell.part_html(0, 1, total, toc_pages), 1, report, theme)
        if front is None:
            return None
        return [front, *laid[1:]]

    def _part(self, k: int, html: str, first: int, report: Report, theme: Theme) -> _Laid | None:
        """Part ``k`` laid out anew if its HTML or files changed; None if its page count did."""
        old = self.parts[k]
        if old.holds(html):
            return old
        files = html_files(html)  # before the layout, as in ``render``
        laid_out = pdf.lay_out(html, report, theme)
        if len(laid_out.pages) != len(old.pages):
            return None
        return _Laid(html, files, laid_out.pages, laid_out, _anchors(laid_out.pages, first))


def _split(shell: Shell, laid_out, files: dict[str, list[int] | None]) -> list[_Laid]:
    """The whole report's pages cut into its parts (none if a part does not begin a page);
    ``files`` are the stamps of the files the whole layout loaded."""
    pages = laid_out.pages
    page_of = _anchors(pages, 0)  # id → index of its first page
    starts = [0]
    for part in shell.parts[1:]:
        start = page_of.get(part.anchor)
        if start is None or start <= starts[-1]:
            return []
        starts.append(start)
    starts.append(len(pages))
    toc_pages = {line.href[1:]: page_of[line.href[1:]] + 1 for line in shell.toc if line.href[1:] in page_of}
    parts = []
    for k in range(len(shell.parts)):
        first = starts[k] + 1
        html = shell.part_html(k, first, len(pages), toc_pages if k == 0 else None)
        run = pages[starts[k]:starts[k + 1]]
        parts.append(_Laid(html, {url: files.get(url) for url in html_urls(html)}, run, laid_out, _anchors(run, first)))
    return parts


def _anchors(pages: list, first: int) -> dict[str, int]:
    """Element id → number of the first of ``pages`` it stands on, counting from ``first``."""
    return {anchor: first + i for i in reversed(range(len(pages))) for anchor in pages[i].anchors}
