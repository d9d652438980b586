"""Model → PDF: the HTML of ``html.py`` laid out by WeasyPrint, offline, then checked.

WeasyPrint reads files only through ``ContainedFetcher`` (report and style folders,
``data:`` URLs; never the network). After layout, every note of the model must stand in
a page's footnote area (or in the Notes section), whole: WeasyPrint 70 can drop footnotes
silently, and a report that loses a citation must not be sent. What reportkit changes in
WeasyPrint itself is in ``weasyprint_fixes``.

``Relayout`` serves ``watch``: it keeps the pages of each part of the report (front,
chapters, summary, endnotes: each begins on a page of its own) and lays out again only the
parts whose HTML changed, each alone, where it stands in the whole.
"""

from __future__ import annotations

import dataclasses
import hashlib
import mimetypes
import re
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import weasyprint_fixes

weasyprint_fixes.apply()  # imports WeasyPrint itself, before the imports below

from weasyprint import HTML  # noqa: E402
from weasyprint.document import Document, Page
from weasyprint.formatting_structure.boxes import FootnoteAreaBox
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..ahead import file_stat
from ..errors import Pos, Problem, ReportError
from ..model import Note, Report, iter_nodes
from ..themes import Theme
from . import Options, Rendered
from .html import Shell, own_shell, allowed_roots, file_url, is_contained, located_images, w3c_date

PDF_VARIANT = "pdf/ua-1"
"""Tagged, accessible PDF (PDF/UA-1), as far as WeasyPrint supports it."""


class RefusedURL(FatalURLFetchingError):
    """A URL the fetcher will not load: it stops WeasyPrint at once (not just a warning)."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason


class ContainedFetcher(URLFetcher):
    """Serves files inside the given folders (symlinks resolved) and ``data:`` URLs; nothing else."""

    def __init__(self, roots: list[Path]):
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)
        self.roots = [root.resolve() for root in roots]

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Return the file or data behind ``url``, or raise ``RefusedURL``."""
        parts = urlsplit(url)
        match parts.scheme.lower():
            case "data":
                with urllib.request.DataHandler().data_open(urllib.request.Request(url)) as body:
                    return URLFetcherResponse(url, body.read(), dict(body.headers))
            case "file" if parts.netloc in ("", "localhost"):
                path = Path(unquote(parts.path))
                if not is_contained(path, self.roots):
                    raise RefusedURL(url, "outside the report and style folders")
                if not path.is_file():
                    raise RefusedURL(url, "no such file")
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
            case _:
                raise RefusedURL(url, "not a file of the report (reportkit never uses the network)")


def render(report: Report, theme: Theme, options: Options, html: str | None = None) -> Rendered:
    """The PDF's bytes and page count (see ``layout`` for the checks)."""
    return _written(layout(report, theme, options, html))


def layout(report: Report, theme: Theme, options: Options, html: str | None = None) -> Document:
    """Lay the report out with WeasyPrint, offline, and check that no note was lost.

    ``html`` is the report's HTML when already made (``html.Shell(…).html()``). Raises ``ReportError`` at
    the source position for a file outside the report and style folders (before WeasyPrint
    runs, and again if WeasyPrint asks for one), and for every note not laid out whole.
    """
    laid_out = _weasyprint(html or Shell(report, theme, options, file_url).html(), report, theme)
    check_notes(report, laid_out)
    return laid_out


def _weasyprint(html: str, report: Report, theme: Theme) -> Document:
    """WeasyPrint's layout of ``html``, reading only the report's and the style's files."""
    base = Path(report.root).resolve() if report.root else theme.dirs[0]
    fetcher = ContainedFetcher(allowed_roots(report, theme))
    try:
        return HTML(string=html, base_url=file_url(base) + "/", url_fetcher=fetcher).render(
            pdf_variant=PDF_VARIANT
        )
    except RefusedURL as err:
        raise ReportError(f"{err.reason}: {err.url}", _source_of(err.url, report)) from None


def _written(laid_out: Document) -> Rendered:
    data = laid_out.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=True)
    return Rendered(data, len(laid_out.pages))


_UNDATED = datetime(2000, 1, 1, tzinfo=timezone.utc)
"""The date parts are laid out with: the date changes with every save when report.toml gives
none, and it is only metadata (set on the whole document afterwards)."""


@dataclass(frozen=True)
class _Laid:
    """One part of the report as last laid out."""

    key: str
    """Hash of the part's HTML (placement included) and of the files it shows."""
    pages: list[Page]
    """Its pages."""
    document: Document
    """The layout they come from (kept: its fonts serve the pages)."""
    anchors: dict[str, int]
    """Element id → page number in the whole report."""


class Relayout:
    """The PDF writer of a warm process (``watch``): lays out only the parts that changed.

    The first build lays the whole report out, as ``render`` does, and keeps each part's
    pages. A later build lays out alone each part whose HTML (or a file it shows) changed,
    starting on the page number and page side where it stands, with the report's page count
    in its footers; unchanged parts keep their pages. When a part's page count changes (every
    footer's "of N" and every later page number move), or the style is not reportkit's own
    page shell (its page breaks and counters are unknown), the whole report is laid out again.
    Every build's pages are checked for lost notes, as ``render``'s are.
    """

    def __init__(self) -> None:
        self.parts: list[_Laid] = []
        self.relaid: int | None = None
        """Parts laid out by the last build (None: the whole report was)."""

    def render(self, report: Report, theme: Theme, options: Options) -> Rendered:
        """The PDF's bytes and page count, as ``render`` gives them."""
        shell = Shell(report, theme, dataclasses.replace(options, created=_UNDATED), file_url)
        alone = own_shell(theme)
        found = self._again(shell, report, theme) if alone and len(self.parts) == len(shell.parts) else None
        if found is None:
            laid_out = _weasyprint(shell.html(), report, theme)
            parts = _split(shell, laid_out) if alone else []
        else:
            laid_out, parts = found
        check_notes(report, laid_out)
        self.parts, self.relaid = parts, None if found is None else sum(a is not b for a, b in zip(parts, self.parts))
        created = w3c_date(options.created)
        laid_out.metadata.created = laid_out.metadata.modified = created
        return _written(laid_out)

    def _again(self, shell: Shell, report: Report, theme: Theme) -> tuple[Document, list[_Laid]] | None:
        total = sum(len(part.pages) for part in self.parts)
        laid: list[_Laid] = [self.parts[0]]  # the front waits for the contents' page numbers
        first = 1 + len(self.parts[0].pages)
        for k in range(1, len(shell.parts)):
            part = self._part(k, shell.html(k, first, total), first, report, theme)
            if part is None:
                return None
            laid.append(part)
            first += len(part.pages)
        toc_pages = {ident: page for part in laid[1:] for ident, page in part.anchors.items()}
        front = self._part(0, shell.html(0, 1, total, toc_pages), 1, report, theme)
        if front is None:
            return None
        laid[0] = front
        whole = front.document.copy([page for part in laid for page in part.pages])
        return whole, laid

    def _part(self, k: int, html: str, first: int, report: Report, theme: Theme) -> _Laid | None:
        """Part ``k`` laid out anew if its HTML or files changed; None if its page count did."""
        old = self.parts[k]
        key = _key(html)
        if key == old.key:
            return old
        laid_out = _weasyprint(html, report, theme)
        if len(laid_out.pages) != len(old.pages):
            return None
        return _Laid(key, laid_out.pages, laid_out, _anchors(laid_out.pages, first))


def _split(shell: Shell, laid_out: Document) -> list[_Laid]:
    """The whole report's pages cut into its parts (none if a part does not begin a page)."""
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
        html = shell.html(k, first, len(pages), toc_pages if k == 0 else None)
        run = pages[starts[k]:starts[k + 1]]
        parts.append(_Laid(_key(html), run, laid_out, _anchors(run, first)))
    return parts


def _anchors(pages: list[Page], first: int) -> dict[str, int]:
    """Element id → number of the first of ``pages`` it stands on, counting from ``first``."""
    return {anchor: first + i for i in reversed(range(len(pages))) for anchor in pages[i].anchors}


def _key(html: str) -> str:
    """A hash of the HTML and of the size and time of every file it loads (images, fonts)."""
    digest = hashlib.sha256(html.encode())
    for url in sorted(set(re.findall(r"file://[^\"')\s]+", html))):
        digest.update(f"{url}\0{file_stat(Path(unquote(urlsplit(url).path)))}\0".encode())  # None if gone
    return digest.hexdigest()


def check_notes(report: Report, laid_out: Document) -> None:
    """Raise ``ReportError`` naming every note of the model missing from the pages, or too
    tall to stand whole at the foot of one page."""
    footnotes = report.meta.notes == "footnotes"
    found = laid_out_notes(laid_out, footnotes)
    too_tall = overfull_notes(laid_out) if footnotes else set()
    problems = []
    for note in iter_nodes(report.chapters):
        if not isinstance(note, Note) or note.repeat:
            continue
        if note.number not in found:
            problems.append(Problem(
                f"note {note.number} (id {note.id}) was not laid out in the PDF "
                "(a WeasyPrint pagination fault); please report it with this report", note.pos))
        elif note.number in too_tall:
            problems.append(Problem(
                f"note {note.number} (id {note.id}) is too long to stand at the foot of a page; "
                'shorten or split it, or set notes = "endnotes" in report.toml', note.pos))
    if problems:
        raise ReportError(problems)


def laid_out_notes(laid_out: Document, footnotes: bool = True) -> set[int]:
    """The note numbers WeasyPrint placed: in footnote areas, or in the endnotes list."""
    found: set[int] = set()
    for page in laid_out.pages:
        for area in page._page_box.children:
            if footnotes and not isinstance(area, FootnoteAreaBox):
                continue
            for box in area.descendants():
                element = getattr(box, "element", None)
                number = element.get("data-note") if element is not None else None
                if number and not box.element_tag.endswith("::footnote-call"):
                    found.add(int(number))
    return found


def overfull_notes(laid_out: Document) -> set[int]:
    """Notes in a footnote area taller than the page body: WeasyPrint cannot split a note
    across pages, so the area rises over the text and off the top of the page."""
    found: set[int] = set()
    for page in laid_out.pages:
        page_box = page._page_box
        for area in page_box.children:
            if isinstance(area, FootnoteAreaBox) and area.position_y < page_box.content_box_y():
                found |= {
                    int(box.element.get("data-note"))
                    for box in area.children
                    if box.element is not None and box.element.get("data-note")
                }
    return found


def _source_of(url: str, report: Report) -> Pos | None:
    """Where in the sources a fetched URL comes from (the paragraph of an image)."""
    for image, pos in located_images(report):
        if image.path and file_url(Path(image.path)) == url:
            return pos
    return Pos(str(Path(report.root) / "report.toml")) if report.root else None
