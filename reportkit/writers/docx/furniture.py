"""What the DOCX holds beyond the chapters: page setup, cover, contents, summary of
recommendations, notes heading, footer, document properties and the source map.

The contents is a real TOC field whose result already lists every entry, linked. Page numbers
are written once LibreOffice has paginated the document (``Contents.number``); until then
entries carry none and the field is marked dirty, so Word offers to update it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timezone

from docx.document import Document
from docx.shared import Emu, Mm
from lxml.etree import _Element

from ...labels import labels
from ...model import Report, plain_text
from ...sourcemap import BOOKMARK_PREFIX, NAMESPACE, to_xml
from .. import Options, box_annexes
from ..html import confidential, footer_label
from . import ooxml as ox
from .nodes import Writer
from .ooxml import Story
from .styles import Page


def page_setup(document: Document, page: Page) -> None:
    """Page size and margins (mirrored when inside and outside differ); none of the template's
    preview picture and revision ids."""
    section = document.sections[0]
    section.page_width, section.page_height = page.width, page.height
    section.top_margin = page.top
    section.bottom_margin = page.bottom
    section.left_margin = page.inside
    section.right_margin = page.outside
    section.header_distance = section.footer_distance = Mm(10)
    if section.left_margin != section.right_margin:
        ox.mirror_margins(document)
    ox.drop_settings(document, ("savePreviewPicture", "rsids"))


def cover(w: Writer, story: Story) -> None:
    """The cover page: title, subtitle, authors, partners, date, logos (no page number)."""
    meta, cover = w.report.meta, w.theme.settings.cover
    if confidential(meta):
        w.generated(w.paragraph(story, "Cover Label", w.words["confidential_notice"]), "confidential")
    w.cover_field(w.paragraph(story, "Title", meta.title), "title")
    if meta.subtitle:
        w.cover_field(w.paragraph(story, "Subtitle", meta.subtitle), "subtitle")
    for author in meta.authors:
        w.cover_field(w.paragraph(story, "Cover Author", author), "authors")
    if meta.partners:
        w.generated(w.paragraph(story, "Cover Label", w.words["in_collaboration_with"]), "cover label")
    for partner in meta.partners:
        if partner.logo:
            w.generated(w.picture_paragraph(story, "Cover Logo", partner.logo, Emu(cover.partner_logo_max_width.emu),
                                            Emu(cover.partner_logo_max_height.emu)), "logo")
        w.cover_field(w.paragraph(story, "Cover Partner", partner.name), "partners.name")
        if partner.description:
            w.cover_field(w.paragraph(story, "Cover Partner Description", partner.description), "partners.description")
    if meta.date:
        w.cover_field(w.paragraph(story, "Cover Date", meta.date), "date")
    if w.options.draft and w.options.stamp:
        w.generated(w.paragraph(story, "Cover Date", f"{w.words['draft']} · {w.options.stamp}"), "draft stamp")
    logos = [*meta.logos, *([cover.logo] if cover.logo else [])]  # the style's, checked and absolute
    for logo in logos:
        w.generated(w.picture_paragraph(story, "Cover Logo", logo, Emu(cover.logo_max_width.emu),
                                        Emu(cover.logo_max_height.emu)), "logo")


@dataclass
class Contents:
    """The contents as written, to give it page numbers once they are known."""

    bookmarks: list[str]
    """The bookmarks whose pages the contents show, in order."""
    links: list[tuple[_Element, str]] = field(default_factory=list)
    """Each entry's hyperlink and the bookmark it goes to."""
    begin: list[_Element] | None = None
    """The runs opening the TOC field in the first entry; None when the contents is empty."""

    def number(self, pages: dict[str, int]) -> None:
        """Give each entry its page from ``pages`` (bookmark → page): a PAGEREF field after a
        tab. The TOC field is then no longer marked for updating."""
        for link, bookmark in self.links:
            page = pages.get(bookmark)
            if page is not None:
                link.append(ox.tab_run())
                link.extend(ox.field_runs(f"PAGEREF {bookmark} \\h", [ox.run(str(page))]))
        if self.begin is not None:
            ox.field_updated(self.begin)


def contents(w: Writer, story: Story) -> Contents:
    """The contents: a TOC field over an entry per heading to ``toc_depth``, each linked."""
    entries = toc_entries(w)
    written = Contents([bookmark for _, _, bookmark in entries])
    paragraphs = [w.generated(w.p("TOC Heading", w.words["contents"]), "contents")]
    instruction = f'TOC \\o "1-{w.report.meta.toc_depth}" \\h \\z \\u'
    for i, (level, text, bookmark) in enumerate(entries):
        p = w.generated(w.p(f"toc {min(level, 9)}"), "contents")
        if i == 0:
            written.begin = ox.field_begin(instruction, dirty=True)
            p.extend(written.begin)
        link = ox.hyperlink(anchor=bookmark)
        link.append(ox.run(text))
        written.links.append((link, bookmark))
        p.append(link)
        paragraphs.append(p)
    end = w.generated(w.p("toc 1"), "contents") if not entries else paragraphs[-1]
    if not entries:
        end.extend(ox.field_begin(instruction, dirty=True))
        paragraphs.append(end)
    end.append(ox.field_end())
    story.add(ox.toc_block(paragraphs))
    return written


def caption_lists(w: Writer, story: Story, contents: Contents | None) -> Contents:
    """The lists of tables and figures report.toml asks for, each on a page after the contents,
    every line linked to its caption; their lines are numbered with the contents' (returned,
    made if there is no contents)."""
    from ...xrefs import caption_lists as lists

    contents = contents or Contents([])

    for heading, entries in lists(w.report):
        story.add(w.generated(w.p("TOC Heading", heading), "contents"))
        for entry in entries:
            bookmark = w.anchors[entry.id]
            link = ox.hyperlink(anchor=bookmark)
            link.append(ox.run(" ".join(x for x in (entry.label, entry.text) if x)))
            story.add(w.generated(w.p("table of figures"), "contents")).append(link)
            contents.bookmarks.append(bookmark)
            contents.links.append((link, bookmark))
    return contents


def toc_entries(w: Writer) -> list[tuple[int, str, str]]:
    """(level, text, bookmark) of each contents line: headings to ``toc_depth``, then the
    summary of recommendations and the notes."""
    from ...transforms import toc  # the view lives with the numbering transforms

    meta = w.report.meta
    entries = [
        (e.level, " ".join(x for x in (e.number, plain_text(e.title)) if x), w.anchors[e.id])
        for e in toc(w.report)
    ]
    if meta.recommendations_summary:
        entries.append((1, w.words["summary_of_recommendations"], w.anchors["#summary"]))
    entries += [(1, title, w.anchors[f"#annex-{kind}"]) for kind, title in box_annexes(w.report, w.theme)]
    if meta.notes == "endnotes" and w.has_notes():
        entries.append((1, w.words["notes"], w.anchors["#notes"]))
    return entries


def summary(w: Writer, story: Story, kind: str = "recommendation", title: str = "") -> None:
    """The annex listing every recommendation (or every item of another numbered kind of box,
    under ``title``) by number, each linked to its box."""
    from ...transforms import box_items  # the view lives with the numbering transforms

    anchor = "#summary" if kind == "recommendation" else f"#annex-{kind}"
    heading = w.generated(w.paragraph(story, "Heading 1", title or w.words["summary_of_recommendations"]), "summary")
    w.bookmark(heading, anchor)
    for item in box_items(w.report, kind):
        p = story.add(w.generated(w.p("Recommendation Summary", f"{item.number}.\t"), "summary"))
        link = ox.hyperlink(anchor=w.anchors.get(item.box_id, ""))
        link.append(ox.run(item.text))
        p.append(link)


def notes_heading(w: Writer, story: Story) -> None:
    """The heading of the endnotes, which Word places after it, at the end of the document."""
    w.bookmark(w.generated(w.paragraph(story, "Heading 1", w.words["notes"]), "notes heading"), "#notes")


def source_map(w: Writer, body: Story) -> None:
    """Bookmark each body paragraph the writer knows the origin of (``_rk1``, ``_rk2``… in
    reading order) and add the map of them and of the notes as a custom XML part.

    A paragraph without text (a picture, a spacer) gets none: pandoc keeps an empty paragraph
    that holds a bookmark, and reads a picture and its caption as one figure only when nothing
    else stands beside the picture. ``review`` finds those by their place among the others."""
    entries = []
    for p in ox.paragraphs(body.container):
        entry = w.origins.get(p)
        if entry is not None and ox.holds_text(p):
            name = f"{BOOKMARK_PREFIX}{len(entries) + 1}"
            w.bookmark(p, name=name)
            entries.append(replace(entry, bookmark=name))
    notes = [w.note_origins.get(n, []) for n in range(1, max(w.note_origins, default=0) + 1)]
    ox.add_custom_xml(w.doc.part, to_xml(entries, notes), NAMESPACE)


def footer(w: Writer) -> None:
    """Page numbers in the footer; the cover's own first-page footer stays empty. A draft's
    header says so."""
    section = w.doc.sections[0]
    section.different_first_page_header_footer = True
    p = ox.footer_paragraph(section)
    ox.set_ppr(p, ox.para_style(w.ids["Footer"]))
    fields = {"{n}": "PAGE", "{total}": "NUMPAGES"}
    for piece in re.split(r"(\{n\}|\{total\})", footer_label(w.report.meta, w.words)):  # "Page {n} of {total}"
        if piece in fields:
            p.extend(ox.field_runs(fields[piece], [ox.run("1")]))
        elif piece:
            p.append(ox.run(piece))
    section.first_page_footer.is_linked_to_previous = False  # its own, empty: no number on the cover
    if w.options.draft:
        header = ox.header_paragraph(section)
        ox.set_ppr(header, ox.para_style(w.ids["Header"]))
        header.append(ox.run(" · ".join(x for x in (w.words["draft"], w.options.stamp) if x)))
        section.first_page_header.is_linked_to_previous = False  # the cover: the watermark alone
        mark = w.words["draft"].upper(), w.theme.settings.fonts.body_docx, str(w.theme.settings.colours.draft).lstrip("#")
        header.append(ox.watermark_run(*mark, number=1))
        ox.first_page_header_paragraph(section).append(ox.watermark_run(*mark, number=2))


def properties(document: Document, report: Report, options: Options) -> None:
    """Title, author, subject, keywords, language and fixed dates in docProps/core.xml; only
    reportkit's name in docProps/app.xml."""
    from ..html import keywords, subject  # the same metadata as the PDF

    meta = report.meta
    props = document.core_properties
    props.title = _fit(meta.title)
    props.author = _fit("; ".join(meta.authors))
    props.subject = _fit(subject(report))
    props.keywords = _fit(", ".join(keywords(report)), ", ")
    props.language = meta.language
    props.comments = _fit(meta.subtitle)
    props.category = props.content_status = labels(meta.language)["confidential"] if confidential(meta) else ""
    props.last_modified_by = "reportkit"
    props.revision = 1
    created = options.created
    if created.tzinfo is not None:  # core.xml dates are UTC ("…Z")
        created = created.astimezone(timezone.utc).replace(tzinfo=None)
    props.created = props.modified = created
    ox.set_application(document.part.package, "reportkit")


def _fit(text: str, separator: str = " ") -> str:
    """Shorten a property to the 255 characters Word allows, at a ``separator``."""
    while len(text) > 255:
        text = text.rsplit(separator, 1)[0] if separator in text else text[:255]
    return text
