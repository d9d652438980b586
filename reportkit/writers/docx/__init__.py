"""Model → DOCX: the file a co-author edits, built on named Word styles made from the style settings.

The document is python-docx's default package with its styles rewritten from ``theme.toml``
(fonts, sizes, colours), so a co-author restyles every box of a kind by editing one style.
The parts, as Pandoc splits its DOCX writer: ``nodes`` (blocks and inlines), ``furniture``
(page setup, cover, contents, summary, footer, properties), ``styles`` (page geometry and Word
styles from the style settings), ``numbering`` (list and paragraph numbering), ``images``
(pictures; SVG and WebP as PNG), and ``ooxml``, the only module that spells WordprocessingML
or reaches into python-docx's XML layer. Page numbers of the contents come from LibreOffice
(``reportkit.libreoffice``).

Set ``REPORTKIT_DOCX_PAGES=0`` to skip LibreOffice: the contents then carry no page numbers
and their field is marked for Word to update.
"""

from __future__ import annotations

import io

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT

from ... import libreoffice
from ...model import Report
from ...themes import Theme
from .. import Options, Rendered, box_annexes
from . import furniture
from . import ooxml as ox
from .furniture import Contents
from .nodes import Context, Writer
from .numbering import Numbering
from .styles import Page, make_styles


def render(report: Report, theme: Theme, options: Options) -> Rendered:
    """The DOCX of ``report``; contents page numbers as LibreOffice paginates it, or without them
    and a warning saying why (LibreOffice missing, crashed, too slow, its PDF unreadable)."""
    meta = report.meta
    if not ((meta.toc_depth > 0 or meta.list_of_tables or meta.list_of_figures) and options.docx_page_numbers):
        document, _ = write(report, theme, options)
        return Rendered(_saved(document, options), None)
    with libreoffice.Office(fonts=office_fonts(theme)) as office:  # starts now, to be up when the document is written
        document, contents = write(report, theme, options)
        data = _saved(document, options)
        try:
            found = libreoffice.paginate(data, contents.bookmarks, office=office)
        except libreoffice.Failed as failed:
            return Rendered(data, None, (f"the DOCX contents carry no page numbers: {failed}",))
    contents.number(found.pages)
    return Rendered(_saved(document, options), found.count)


def office_fonts(theme: Theme) -> libreoffice.Fonts:
    """The style's bundled fonts for LibreOffice, each DOCX family (Calibri) mapped to the PDF's
    family it stands in for (Carlito), so the contents' page numbers are a Word reader's."""
    fonts = theme.settings.fonts
    pairs = ((fonts.body_docx, fonts.body), (fonts.heading_docx, fonts.heading), (fonts.mono_docx, fonts.mono))
    families = {face.family for face in theme.faces}
    aliases = tuple(dict.fromkeys((named, used) for named, used in pairs if named != used and used in families))
    return libreoffice.Fonts(tuple(dict.fromkeys(face.path.parent for face in theme.faces)), aliases)


def write(report: Report, theme: Theme, options: Options) -> tuple[Document, Contents | None]:
    """The whole document, and its contents (None without one) to number later."""
    meta = report.meta
    document = docx.Document()
    # The template's thumbnail, bibliography data and stylesWithEffects (which validators
    # and Word flag once styles.xml differs from it) have no place in a report.
    ox.drop_parts(document.part, (RT.THUMBNAIL, RT.CUSTOM_XML, ox.RT_STYLES_WITH_EFFECTS))
    page = Page.of(theme)
    furniture.page_setup(document, page)
    ids = make_styles(document, theme, meta.language, page.text_width)
    fonts = theme.settings.fonts
    numbering = Numbering.of(document, fonts.body_docx or fonts.body)
    notes_part = ox.add_notes_part(document.part, meta.notes)
    ox.note_settings(document, meta.notes)
    ox.word_settings(document)
    writer = Writer(report, theme, options, document, page, ids, numbering, notes_part)
    body = ox.Story(document.part, ox.empty_body(document))
    furniture.cover(writer, body)
    contents = furniture.contents(writer, body) if meta.toc_depth > 0 else None
    if meta.list_of_tables or meta.list_of_figures:
        contents = furniture.caption_lists(writer, body, contents)
    for chapter in report.chapters:
        writer.blocks(chapter.blocks, body, Context())
    if meta.recommendations_summary:
        furniture.summary(writer, body)
    for kind, title in box_annexes(report, theme):
        furniture.summary(writer, body, kind, title)
    if meta.notes == "endnotes" and writer.has_notes():
        furniture.notes_heading(writer, body)
    if writer.writes_source_map:
        furniture.source_map(writer, body)
    furniture.footer(writer)
    furniture.properties(document, report, options)
    return document, contents


def _saved(document: Document, options: Options) -> bytes:
    """The DOCX bytes, the same for the same document (fixed zip dates and order)."""
    out = io.BytesIO()
    document.save(out)
    return ox.fixed_zip(out.getvalue(), options.created)
