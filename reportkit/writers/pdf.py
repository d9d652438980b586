"""Model → PDF: the HTML of ``html.py`` laid out by WeasyPrint, offline, then checked.

WeasyPrint reads files only through ``ContainedFetcher`` (report and style folders,
``data:`` URLs; never the network). After layout, every note of the model must stand in
a page's footnote area (or in the Notes section), whole: WeasyPrint 70 can drop footnotes
silently, and a report that loses a citation must not be sent. What reportkit changes in
WeasyPrint itself is in ``weasyprint_fixes``; what it changes in the written PDF's tags
(leaders and footers as artifacts, links described) is in ``pdf_tags``.

``render`` is the whole writer; ``lay_out``, ``check_notes`` and ``write_pages`` are its steps,
for a caller that lays out parts of a report apart and writes their pages as one PDF.
"""

from __future__ import annotations

import mimetypes
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import weasyprint_fixes

weasyprint_fixes.apply()  # imports WeasyPrint itself, before the imports below

from weasyprint import HTML  # noqa: E402
from weasyprint.document import Document, Page
from weasyprint.formatting_structure.boxes import FootnoteAreaBox
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..errors import Pos, Problem, ReportError
from ..files import allowed_roots, is_contained
from ..model import Note, Report, iter_nodes
from ..themes import Theme
from . import Options, Rendered
from .html import document, file_url, located_images, w3c_date

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


def render(report: Report, theme: Theme, options: Options) -> Rendered:
    """The PDF's bytes and page count.

    Raises ``ReportError`` at the source position for a file outside the report and style
    folders (before WeasyPrint runs, and again if WeasyPrint asks for one), and for every note
    not laid out whole.
    """
    return render_html(document(report, theme, options, file_url), report, theme)


def render_html(html: str, report: Report, theme: Theme) -> Rendered:
    """The PDF of the report's HTML (``html.document(…, file_url)``), checked as ``render``'s."""
    laid_out = lay_out(html, report, theme)
    check_notes(report, laid_out.pages)
    return write_pages(laid_out)


def lay_out(html: str, report: Report, theme: Theme) -> Document:
    """WeasyPrint's layout of ``html`` (the report's, or a part of it), reading only the
    report's and the style's files."""
    base = Path(report.root).resolve() if report.root else theme.dirs[0]
    fetcher = ContainedFetcher(allowed_roots(report, theme))
    try:
        return HTML(string=html, base_url=file_url(base) + "/", url_fetcher=fetcher).render(
            pdf_variant=PDF_VARIANT
        )
    except RefusedURL as err:
        raise ReportError(f"{err.reason}: {err.url}", _source_of(err.url, report)) from None


def write_pages(laid_out: Document, pages: list[Page] | None = None, created: datetime | None = None) -> Rendered:
    """The PDF of ``pages`` (default: all of ``laid_out``'s; pages of other layouts may join
    them), dated ``created`` when given (else as the HTML says)."""
    if pages is not None:
        laid_out = laid_out.copy(pages)
    if created is not None:
        laid_out.metadata.created = laid_out.metadata.modified = w3c_date(created)
    return Rendered(written(laid_out), len(laid_out.pages))


def written(laid_out: Document, first_note: int | None = None, ready=None) -> bytes:
    """The tagged PDF of ``laid_out`` (``pdf_tags.retag``, which says what ``first_note`` and
    ``ready`` do for one group of a report laid out in groups). WeasyPrint writes it
    uncompressed and the tagger's save compresses each stream once, at zlib's default level:
    WeasyPrint's level 9 took a fifth of the writing, for streams the tagger mostly rewrites
    anyway, and saved nothing."""
    from . import pdf_tags  # pikepdf (qpdf) is loaded on writing, after WeasyPrint's own libraries

    data = laid_out.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=True, uncompressed_pdf=True)
    return pdf_tags.retag(data, first_note, ready)


def check_notes(report: Report, pages: list[Page]) -> None:
    """Raise ``ReportError`` naming every note of the model missing from the pages, or too
    tall to stand whole at the foot of one page."""
    footnotes = report.meta.notes == "footnotes"
    check_laid_out_notes(report, laid_out_notes(pages, footnotes), overfull_notes(pages) if footnotes else set())


def check_laid_out_notes(report: Report, found: set[int], too_tall: set[int]) -> None:
    """``check_notes`` given the notes ``found`` on the pages and those ``too_tall`` for one
    (gathered from several layouts, for a report laid out in parts)."""
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


def laid_out_notes(pages: list[Page], footnotes: bool = True) -> set[int]:
    """The note numbers WeasyPrint placed on ``pages``: in footnote areas, or in the endnotes list."""
    found: set[int] = set()
    for page in pages:
        for area in page._page_box.children:
            if footnotes and not isinstance(area, FootnoteAreaBox):
                continue
            for box in area.descendants():
                element = getattr(box, "element", None)
                number = element.get("data-note") if element is not None else None
                if number and not box.element_tag.endswith("::footnote-call"):
                    found.add(int(number))
    return found


def overfull_notes(pages: list[Page]) -> set[int]:
    """Notes in a footnote area taller than the page body: WeasyPrint cannot split a note
    across pages, so the area rises over the text and off the top of the page."""
    found: set[int] = set()
    for page in pages:
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
