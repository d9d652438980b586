"""Model → DOCX: the file a co-author edits, built on named Word styles made from the style settings.

The document is python-docx's default package with its styles rewritten from ``theme.toml``
(fonts, sizes, colours), so a co-author restyles every box of a kind by editing one style.
A box draws its frame with its paragraphs' borders, except a box holding a table (paragraph
borders stop at a table): a one-cell table with the same borders and fill frames it.
Raw WordprocessingML python-docx lacks (notes, fields, bookmarks, links, borders) comes from
``_ooxml``; page numbers of the contents come from LibreOffice through ``libreoffice``.

Set ``REPORTKIT_DOCX_PAGES=0`` to skip LibreOffice: the contents then carry no page numbers
and their field is marked for Word to update.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from datetime import timezone
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.shared import Emu, Length, Mm, Pt
from docx.styles import BabelFish
from docx.styles.style import StyleFactory
from lxml.etree import _Element

from ..labels import labels
from ..model import (
    Block, Box, Cell, Code, CodeBlock, Emphasis, Image, Inline, LineBreak, Link, List,
    Note, Paragraph, Quote, Report, Rule, Section, Strong, Table, Text,
    iter_nodes, plain_text,
)
from ..parse import SVG_HEAD, is_svg
from ..themes import Theme
from . import Options, Rendered, default_box_title
from .. import libreoffice
from . import _ooxml as ox
from ._ooxml import el

BOX_STYLES = {"recommendation": "Recommendation", "good-practice": "Good Practice", "box": "Box"}
"""Box kind → its paragraph style; "<style> Title" and "<style> List" go with it."""

PAGE_SIZES = {"a4": (Mm(210), Mm(297)), "letter": (Emu(7772400), Emu(10058400))}
"""Page sizes by the names ``page.size`` accepts."""

BOX_INDENT = 200
"""Left and right indent of box paragraphs (twips): the frame sits inside the text column."""

LIST_INDENT = 360
"""Indent per list level (twips); the number or bullet hangs in it."""

PARAGRAPH_INDENT = 567
"""Hanging indent of numbered paragraphs and of the recommendations summary (1 cm, in twips)."""


def render(report: Report, theme: Theme, options: Options) -> Rendered:
    """The DOCX of ``report``; contents page numbers as LibreOffice paginates it, when installed."""
    from .html import check_files  # the same file checks as the PDF, before anything is written

    check_files(report, theme)
    if not (report.meta.toc_depth > 0 and options.docx_page_numbers and libreoffice.soffice()):
        return Rendered(DocxWriter(report, theme, options).write(), None)
    with libreoffice.Office() as office:  # starts now, to be up when the document is written
        writer = DocxWriter(report, theme, options)
        data = writer.write()
        found = libreoffice.paginate(data, writer.toc_bookmarks(), office=office)
    if found is None:
        return Rendered(data, None)
    return Rendered(writer.with_page_numbers(found.pages), found.count)


def length(value: str | float | int) -> Length:
    """A length from the style settings: "22mm", "2cm", "1in", "12pt" or a number of points."""
    if isinstance(value, (int, float)):
        return Pt(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*(mm|cm|in|pt)?\s*", str(value))
    if not match:
        raise ValueError(f"not a length: {value!r}")
    number, unit = float(match[1]), match[2] or "pt"
    return Emu(round(number * {"mm": 36000, "cm": 360000, "in": 914400, "pt": 12700}[unit]))


def twips(value: Length) -> int:
    """A length in twentieths of a point, as WordprocessingML counts most distances."""
    return round(value / 635)


@dataclass
class Story:
    """Where blocks go: a container (body, note, table cell, contents) and the part that owns it.

    Relationships (hyperlinks, images) belong to the part whose XML uses them: a link in a
    footnote is a relationship of ``footnotes.xml``, not of ``document.xml``.
    """

    part: Part
    """The package part the container's XML is saved in."""
    container: _Element
    """The element paragraphs and tables are appended to."""

    def add(self, element: _Element) -> _Element:
        """Append a paragraph or table (before the body's final w:sectPr)."""
        last = self.container[-1] if len(self.container) else None
        if last is not None and last.tag == qn("w:sectPr"):
            last.addprevious(element)
        else:
            self.container.append(element)
        return element


@dataclass(frozen=True)
class Context:
    """How blocks are written where they stand: in the body, a box, a note, a list."""

    style: str = "Normal"
    """Paragraph style of plain paragraphs."""
    box: str = ""
    """The box style ("Recommendation"…) when inside a box, else ""."""
    depth: int = 0
    """List nesting: 0 outside lists."""


@dataclass(frozen=True)
class Format:
    """Character formatting inherited from enclosing inlines."""

    bold: bool = False
    italic: bool = False
    link: bool = False


@dataclass
class DocxWriter:
    """Writes one report into a python-docx document: one ``match`` for blocks, one for inlines."""

    report: Report
    theme: Theme
    options: Options
    pages: dict[str, int] | None = None
    """Contents bookmark → page number, from LibreOffice; None when unknown."""
    doc: docx.document.Document = field(init=False)
    words: dict[str, str] = field(init=False)
    ids: dict[str, str] = field(init=False)
    """Style name → style id."""
    anchors: dict[str, str] = field(init=False)
    """Section or box id → bookmark name."""
    notes_part: Part | None = field(init=False, default=None)
    _bookmarks: int = field(init=False, default=0)
    _shapes: int = field(init=False, default=0)
    _lists: dict[tuple[bool, bool], int] = field(init=False, default_factory=dict)
    _numbering: _Element | None = field(init=False, default=None)
    _toc_links: list[tuple[_Element, str]] = field(init=False, default_factory=list)
    _toc_begin: _Element | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.words = labels(self.report.meta.language)
        self.anchors = self._anchor_names()

    # --- the document ----------------------------------------------------------------------

    def write(self) -> bytes:
        """Build the whole document and return the DOCX bytes (reproducible)."""
        meta = self.report.meta
        self.doc = docx.Document()
        part = self.doc.part
        # The template's thumbnail, bibliography data and stylesWithEffects (which validators
        # and Word flag once styles.xml differs from it) have no place in a report.
        ox.drop_parts(part, (RT.THUMBNAIL, RT.CUSTOM_XML, ox.RT_STYLES_WITH_EFFECTS))
        self._page_setup()
        self.ids = make_styles(self.doc, self.theme, meta.language, self._text_width())
        self._numbering = self._setup_numbering()
        self.notes_part = ox.add_notes_part(part, meta.notes)
        ox.note_settings(self.doc.settings.element, self.doc.sections[0]._sectPr, meta.notes)
        body = Story(part, self.doc.element.body)
        for child in list(body.container):
            if child.tag != qn("w:sectPr"):
                body.container.remove(child)
        self.cover(body)
        if meta.toc_depth > 0:
            self.contents(body)
        for chapter in self.report.chapters:
            self.blocks(chapter.blocks, body, Context())
        if meta.recommendations_summary:
            self.summary(body)
        if meta.notes == "endnotes" and self._has_notes():
            p = self.paragraph(body, "Heading 1", self.words["notes"])
            ox.bookmark(p, self.anchors["#notes"], self._next_bookmark())
        self._footer()
        self._properties()
        return self._saved()

    def with_page_numbers(self, pages: dict[str, int]) -> bytes:
        """After ``write``: the document again, its contents showing ``pages`` (bookmark → page)."""
        self.pages = pages
        self._number_contents()
        return self._saved()

    def _saved(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return ox.fixed_zip(out.getvalue(), self.options.created)

    def cover(self, story: Story) -> None:
        """The cover page: title, subtitle, authors, partners, date, logos (no page number)."""
        meta = self.report.meta
        self.paragraph(story, "Title", meta.title)
        if meta.subtitle:
            self.paragraph(story, "Subtitle", meta.subtitle)
        for author in meta.authors:
            self.paragraph(story, "Cover Author", author)
        if meta.partners:
            self.paragraph(story, "Cover Label", self.words["in_collaboration_with"])
        for partner in meta.partners:
            if partner.logo:
                self.picture_paragraph(story, "Cover Logo", partner.logo, Mm(50), Mm(18))
            self.paragraph(story, "Cover Partner", partner.name)
            if partner.description:
                self.paragraph(story, "Cover Partner Description", partner.description)
        if meta.date:
            self.paragraph(story, "Cover Date", meta.date)
        if self.options.draft and self.options.stamp:
            self.paragraph(story, "Cover Date", f"{self.words['draft']} · {self.options.stamp}")
        logos = list(meta.logos)
        style_logo = self.theme.get("cover.logo", "")
        if style_logo and self.theme.find(style_logo):
            logos.append(str(self.theme.find(style_logo)))
        for logo in logos:
            self.picture_paragraph(story, "Cover Logo", logo, Mm(60), Mm(20))

    def contents(self, story: Story) -> None:
        """The contents: a real TOC field whose result already lists every entry, linked.

        Page numbers are written when LibreOffice paginated the document; otherwise entries
        carry none and the field is marked dirty, so Word offers to update it.
        """
        entries = self.toc_entries()
        paragraphs = [self._p("TOC Heading", self.words["contents"])]
        depth = self.report.meta.toc_depth
        instruction = f'TOC \\o "1-{depth}" \\h \\z \\u'
        for i, (level, text, bookmark) in enumerate(entries):
            p = self._p(f"toc {min(level, 9)}")
            if i == 0:
                p.extend(ox.field_begin(instruction, dirty=True))
                self._toc_begin = p[-3][0]  # the begin w:fldChar
            link = ox.hyperlink(anchor=bookmark)
            link.append(ox.run(text))
            self._toc_links.append((link, bookmark))
            p.append(link)
            paragraphs.append(p)
        end = self._p("toc 1") if not entries else paragraphs[-1]
        if not entries:
            end.extend(ox.field_begin(instruction, dirty=True))
            paragraphs.append(end)
        end.append(ox.field_end())
        story.add(ox.toc_block(paragraphs))
        self._number_contents()

    def _number_contents(self) -> None:
        """Give each contents entry its page (a PAGEREF field after a tab), once ``pages`` is
        known; the TOC field is then no longer marked for updating."""
        if self.pages is None or self._toc_begin is None:
            return
        for link, bookmark in self._toc_links:
            page = self.pages.get(bookmark)
            if page is not None:
                link.append(el("w:r", (el("w:tab"),)))
                link.extend(ox.field_runs(f"PAGEREF {bookmark} \\h", [ox.run(str(page))]))
        self._toc_begin.attrib.pop(qn("w:dirty"), None)

    def toc_entries(self) -> list[tuple[int, str, str]]:
        """(level, text, bookmark) of each contents line: headings to ``toc_depth``, then Notes."""
        from ..transforms import toc  # the view lives with the numbering transforms

        entries = [
            (e.level, " ".join(x for x in (e.number, plain_text(e.title)) if x), self.anchors[e.id])
            for e in toc(self.report)
        ]
        if self.report.meta.recommendations_summary:
            entries.append((1, self.words["summary_of_recommendations"], self.anchors["#summary"]))
        if self.report.meta.notes == "endnotes" and self._has_notes():
            entries.append((1, self.words["notes"], self.anchors["#notes"]))
        return entries

    def toc_bookmarks(self) -> list[str]:
        """The bookmarks whose pages the contents show."""
        return [bookmark for _, _, bookmark in self.toc_entries()]

    def summary(self, story: Story) -> None:
        """The annex listing every recommendation by number, each linked to its box."""
        from ..transforms import recommendations  # the view lives with the numbering transforms

        heading = self.paragraph(story, "Heading 1", self.words["summary_of_recommendations"])
        ox.bookmark(heading, self.anchors["#summary"], self._next_bookmark())
        for item in recommendations(self.report):
            p = story.add(self._p("Recommendation Summary", f"{item.number}.\t"))
            link = ox.hyperlink(anchor=self.anchors.get(item.box_id, ""))
            link.append(ox.run(item.text))
            p.append(link)

    # --- blocks ----------------------------------------------------------------------------

    def blocks(self, nodes: tuple[Block, ...], story: Story, ctx: Context) -> None:
        """Blocks in order. Two boxes in a row get a thin gap, or Word would merge their frames."""
        previous: Block | None = None
        for node in nodes:
            if (isinstance(node, Box) and isinstance(previous, Box) and node.kind == previous.kind
                    and not _framed(previous)):
                story.add(self._spacer())
            self.block(node, story, ctx)
            previous = node

    def _spacer(self) -> _Element:
        """An empty paragraph 6 pt high: the gap after a table, or between two boxes."""
        spacer = self._p("Normal")
        ox.set_ppr(spacer, el("w:spacing", before="0", after="0", line="120", lineRule="exact"))
        return spacer

    def block(self, node: Block, story: Story, ctx: Context) -> None:
        """One block."""
        match node:
            case Paragraph(content=(Image(alt=alt, path=path),)):
                self.picture_paragraph(story, "Figure", path, self._text_width(), self._picture_height(), alt)
                if alt:
                    self.paragraph(story, "Caption", alt)
            case Paragraph(content):
                numbered = self.report.meta.number_paragraphs and ctx == Context()  # body text only
                p = story.add(self._p("Numbered Paragraph" if numbered else ctx.style))
                self.inlines(content, p, story, Format())
            case List(items, ordered, start):
                num_id = self._list_number(ordered, start, ctx)
                style = f"{ctx.box} List" if ctx.box else ("List Number" if ordered else "List Bullet")
                inner = replace(ctx, depth=ctx.depth + 1)
                for item in items:
                    first = True
                    for child in item:
                        if isinstance(child, Paragraph) and first:
                            p = story.add(self._p(style))
                            ox.set_ppr(p, el("w:numPr", (el("w:ilvl", val=str(min(ctx.depth, 2))), el("w:numId", val=str(num_id)))))
                            self.inlines(child.content, p, story, Format())
                        elif isinstance(child, Paragraph):
                            p = story.add(self._p(ctx.style if ctx.box else "List Continue"))
                            self.inlines(child.content, p, story, Format())
                        else:
                            self.block(child, story, inner)
                        first = False
            case Table(head, rows, aligns):
                story.add(self.table(head, rows, aligns, story, ctx))
                story.add(self._spacer())  # the PDF's space after a table
            case Quote(blocks):
                self.blocks(blocks, story, ctx if ctx.box or ctx.style != "Normal" else replace(ctx, style="Quote"))
            case CodeBlock(text):
                p = story.add(self._p("Code Block"))
                p.append(ox.run(text.rstrip("\n")))
            case Rule():
                story.add(self._p("Rule"))
            case Box(title=title, blocks=blocks, id=box_id):
                style = BOX_STYLES.get(node.kind, "Box")
                inner = Context(style=style, box=style)
                outer = story
                if _framed(node):
                    # Paragraph borders stop at a table: the box is framed by a table of its own.
                    story = Story(story.part, self.frame(story, node.kind))
                heading = self._p(f"{style} Title")
                if title:
                    self.inlines(title, heading, story, Format())
                else:
                    heading.append(ox.run(default_box_title(node, self.words)))
                if len(heading) > 1:
                    story.add(heading)
                    if box_id:
                        ox.bookmark(heading, self.anchors[box_id], self._next_bookmark())
                self.blocks(blocks, story, inner)
                if story is not outer:
                    _unframe(story.container, {self.ids[n] for n in (style, f"{style} Title", f"{style} List")})
                    outer.add(self._spacer())  # the frame is a table
            case Section(level, title, section_id, blocks, number):
                p = story.add(self._p(f"Heading {min(level, 6)}"))
                if number:
                    p.append(ox.run(f"{number} "))
                self.inlines(title, p, story, Format())
                ox.bookmark(p, self.anchors[section_id], self._next_bookmark())
                self.blocks(blocks, story, ctx)
            case _:
                raise TypeError(f"docx writer has no case for {type(node).__name__}")

    def table(self, head: tuple[Cell, ...], rows: tuple[tuple[Cell, ...], ...], aligns: tuple[str, ...],
              story: Story, ctx: Context) -> _Element:
        """A table on the "Report Table" style, its header row repeated on each page."""
        columns = max(len(head), *(len(r) for r in rows)) if rows else len(head)
        width = self._text_width() - (Emu(BOX_INDENT * 635 * 2) if ctx.box else 0)  # in a box: its frame's cell
        all_rows = ([head] if head else []) + list(rows)
        tbl = CT_Tbl.new_tbl(len(all_rows), columns, Emu(width))
        tblPr = tbl.tblPr
        ox.put(tblPr, el("w:tblStyle", val=self.ids["Report Table"]), ox.TBLPR_ORDER)
        for r, (tr, cells) in enumerate(zip(tbl.tr_lst, all_rows)):
            if head and r == 0:
                tr.insert(0, el("w:trPr", (el("w:tblHeader"),)))
            for c, tc in enumerate(tr.tc_lst):
                p = tc.p_lst[0]
                ox.set_ppr(p, el("w:pStyle", val=self.ids["Table Heading" if head and r == 0 else "Table Text"]))
                align = aligns[c] if c < len(aligns) else ""
                if align in ("center", "right"):
                    ox.set_ppr(p, el("w:jc", val=align))
                if c < len(cells):
                    self.inlines(cells[c], p, story, Format())
        return tbl

    def frame(self, story: Story, kind: str) -> _Element:
        """A one-cell table framing a box that holds a table, as the box's paragraph style would
        (same borders, fill, and text edge); returns its cell, emptied, for the box's blocks."""
        colours = self.theme.settings.get("colours", {})
        borders = box_borders(colours, kind, space_pt=0)
        borders.tag = qn("w:tblBorders")
        edge = BOX_INDENT // 2  # the frame's border halfway into the box's indent, its text at the indent
        tbl = CT_Tbl.new_tbl(1, 1, Emu(self._text_width() - Emu(edge * 635 * 2)))
        # Word 2010 documents (and LibreOffice reading them) measure the indent to the cell's text.
        ox.put(tbl.tblPr, el("w:tblInd", w=str(BOX_INDENT), type="dxa"), ox.TBLPR_ORDER)
        ox.put(tbl.tblPr, borders, ox.TBLPR_ORDER)
        ox.put(tbl.tblPr, el("w:tblCellMar", tuple(el(f"w:{side}", w=str(w), type="dxa") for side, w in
                                                   (("top", 80), ("left", edge), ("bottom", 40), ("right", edge)))),
               ox.TBLPR_ORDER)
        cell = tbl.tr_lst[0].tc_lst[0]
        cell.get_or_add_tcPr().append(ox.shading(box_fill(colours, kind)))
        cell.remove(cell.p_lst[0])
        story.add(tbl)
        return cell

    # --- inlines ---------------------------------------------------------------------------

    def inlines(self, nodes: tuple[Inline, ...], target: _Element, story: Story, fmt: Format) -> None:
        """Inlines appended to a paragraph or hyperlink element."""
        for node in nodes:
            self.inline(node, target, story, fmt)

    def inline(self, node: Inline, target: _Element, story: Story, fmt: Format) -> None:
        """One inline."""
        match node:
            case Text(text):
                target.append(self._run(text, fmt))
            case Emphasis(children):
                self.inlines(children, target, story, replace(fmt, italic=True))
            case Strong(children):
                self.inlines(children, target, story, replace(fmt, bold=True))
            case Code(text):
                r = self._run(text, fmt)
                ox.set_rpr(r, el("w:rStyle", val=self.ids["Code"]))
                target.append(r)
            case LineBreak():
                target.append(el("w:r", (el("w:br"),)))
            case Link(children, url):
                if fmt.link:  # a link cannot hold a link
                    self.inlines(children, target, story, fmt)
                    return
                if url.startswith("#"):
                    anchor = self.anchors.get(url[1:])
                    if anchor is None:
                        self.inlines(children, target, story, fmt)
                        return
                    link = ox.hyperlink(anchor=anchor)
                else:
                    link = ox.hyperlink(rel_id=story.part.relate_to(url, RT.HYPERLINK, is_external=True))
                target.append(link)
                self.inlines(children, link, story, replace(fmt, link=True))
            case Image(alt=alt, path=path):
                target.append(self.picture_run(story, path, self._text_width(), self._picture_height(), alt))
            case Note(number=number, repeat=True):
                # A second call of the same note shows its number; Word has no second reference.
                r = ox.run(str(number), style_id=self.ids[self._note_style("Reference")])
                target.append(r)
            case Note(blocks=blocks, number=number):
                self.note(blocks, number)
                placement = self.report.meta.notes
                target.append(ox.note_reference(placement, number, self.ids[self._note_style("Reference")]))
            case _:
                raise TypeError(f"docx writer has no case for {type(node).__name__}")

    def note(self, blocks: tuple[Block, ...], number: int) -> None:
        """Write a note's text into the notes part, its own number first."""
        placement = self.report.meta.notes
        element = ox.add_note(self.notes_part, placement, number)
        story = Story(self.notes_part, element)
        self.blocks(blocks, story, Context(style=self._note_style("Text")))
        first = element.find(qn("w:p"))
        if first is None:
            first = story.add(self._p(self._note_style("Text")))
        pPr = first.find(qn("w:pPr"))
        mark = [ox.note_mark(placement, self.ids[self._note_style("Reference")]), ox.run(" ")]
        for r in reversed(mark):
            if pPr is not None:
                pPr.addnext(r)
            else:
                first.insert(0, r)

    # --- pictures --------------------------------------------------------------------------

    def picture_run(self, story: Story, path: str, max_w: Length, max_h: Length, alt: str = "") -> _Element:
        """A run holding an image scaled to fit ``max_w`` × ``max_h`` (never enlarged)."""
        package = self.doc.part.package
        try:
            image_part = package.get_or_add_image_part(path)
            # As in the PDF: 96 pixels an inch, whatever resolution the file states.
            w, h = image_part.image.px_width * PIXEL, image_part.image.px_height * PIXEL
        except UnrecognizedImageError:  # SVG and WebP: Word's sure formats are PNG, JPEG and GIF
            converted = as_png(Path(path), max_w, max_h)
            if converted is None:  # an SVG cairosvg cannot draw: keep the words
                return ox.run(f"[{alt or Path(path).name}]", el("w:i"))
            png, w, h = converted
            image_part = package.get_or_add_image_part(io.BytesIO(png))
        rel_id = story.part.relate_to(image_part, RT.IMAGE)
        scale = min(1.0, max_w / w, max_h / h)
        self._shapes += 1
        inline = CT_Inline.new_pic_inline(self._shapes, rel_id, Path(path).name, Emu(int(w * scale)), Emu(int(h * scale)))
        for side in ("distT", "distB", "distL", "distR"):  # LibreOffice reads a missing one as 3 mm
            inline.set(side, "0")
        if alt:
            inline.docPr.set("descr", alt)
        r = el("w:r")
        drawing = el("w:drawing")
        drawing.append(inline)
        r.append(drawing)
        return r

    def picture_paragraph(self, story: Story, style: str, path: str, max_w: Length, max_h: Length, alt: str = "") -> None:
        """A paragraph holding one image."""
        p = story.add(self._p(style))
        p.append(self.picture_run(story, path, max_w, max_h, alt))

    # --- helpers ---------------------------------------------------------------------------

    def paragraph(self, story: Story, style: str, text: str) -> _Element:
        """Add a paragraph of plain text."""
        return story.add(self._p(style, text))

    def _p(self, style: str, text: str = "") -> _Element:
        p = el("w:p")
        if style != "Normal":
            ox.set_ppr(p, el("w:pStyle", val=self.ids[style]))
        if text:
            p.append(ox.run(text))
        return p

    def _run(self, text: str, fmt: Format) -> _Element:
        props = []
        if fmt.link:
            props.append(el("w:rStyle", val=self.ids["Hyperlink"]))
        if fmt.bold:
            props += [el("w:b"), el("w:bCs")]
        if fmt.italic:
            props += [el("w:i"), el("w:iCs")]
        return ox.run(text, *props)

    def _note_style(self, what: str) -> str:
        return ("footnote " if self.report.meta.notes == "footnotes" else "endnote ") + what.lower()

    def _has_notes(self) -> bool:
        return any(isinstance(n, Note) for n in iter_nodes(self.report.chapters))

    def _next_bookmark(self) -> int:
        self._bookmarks += 1
        return self._bookmarks

    def _anchor_names(self) -> dict[str, str]:
        """Bookmark names for every heading (``_Toc…``, as Word names them) and box (``_Ref…``)."""
        names: dict[str, str] = {}
        for node in iter_nodes(self.report.chapters):
            if isinstance(node, Section) and node.id not in names:
                names[node.id] = f"_Toc{len(names) + 1:08d}"
            elif isinstance(node, Box) and node.id and node.id not in names:
                names[node.id] = f"_Ref{len(names) + 1:08d}"
        names["#summary"] = f"_Toc{len(names) + 1:08d}"
        names["#notes"] = f"_Toc{len(names) + 1:08d}"
        return names

    def _page_size(self) -> tuple[Length, Length]:
        """Width and height of the style's ``page.size``."""
        return PAGE_SIZES.get(str(self.theme.get("page.size", "A4")).lower(), PAGE_SIZES["a4"])

    def _text_width(self) -> Length:
        width, _ = self._page_size()
        return Emu(width - length(self.theme.get("page.margin_inside", "22mm")) - length(self.theme.get("page.margin_outside", "22mm")))

    def _picture_height(self) -> Length:
        """The tallest a picture shows: its page's text height less room for a caption (30 mm),
        as in the PDF's style sheet."""
        _, height = self._page_size()
        return Emu(height - length(self.theme.get("page.margin_top", "22mm"))
                   - length(self.theme.get("page.margin_bottom", "22mm")) - Mm(30))

    def _page_setup(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = self._page_size()
        section.top_margin = length(self.theme.get("page.margin_top", "22mm"))
        section.bottom_margin = length(self.theme.get("page.margin_bottom", "22mm"))
        section.left_margin = length(self.theme.get("page.margin_inside", "22mm"))
        section.right_margin = length(self.theme.get("page.margin_outside", "22mm"))
        section.header_distance = section.footer_distance = Mm(10)
        if section.left_margin != section.right_margin:
            ox.put(self.doc.settings.element, el("w:mirrorMargins"), ox.SETTINGS_ORDER)
        for name in ("savePreviewPicture", "rsids"):
            for old in self.doc.settings.element.findall(qn(f"w:{name}")):
                self.doc.settings.element.remove(old)

    def _footer(self) -> None:
        """Page numbers in the footer; the cover's own first-page footer stays empty."""
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True
        footer = section.footer.paragraphs[0]._p
        ox.set_ppr(footer, el("w:pStyle", val=self.ids["Footer"]))
        fields = {"{n}": "PAGE", "{total}": "NUMPAGES"}
        for piece in re.split(r"(\{n\}|\{total\})", self.words["page_of"]):  # "Page {n} of {total}"
            if piece in fields:
                footer.extend(ox.field_runs(fields[piece], [ox.run("1")]))
            elif piece:
                footer.append(ox.run(piece))
        section.first_page_footer.is_linked_to_previous = False  # its own, empty: no number on the cover
        if self.options.draft:
            header = section.header.paragraphs[0]._p
            ox.set_ppr(header, el("w:pStyle", val=self.ids["Header"]))
            header.append(ox.run(" · ".join(x for x in (self.words["draft"], self.options.stamp) if x)))

    def _properties(self) -> None:
        """Title, author, subject, keywords, language and fixed dates in docProps/core.xml."""
        from .html import keywords, subject  # the same metadata as the PDF

        meta = self.report.meta
        props = self.doc.core_properties
        props.title = _fit(meta.title)
        props.author = _fit("; ".join(meta.authors))
        props.subject = _fit(subject(self.report))
        props.keywords = _fit(", ".join(keywords(self.report)), ", ")
        props.language = meta.language
        props.comments = _fit(meta.subtitle)
        props.category = ""
        props.last_modified_by = "reportkit"
        props.revision = 1
        created = self.options.created
        if created.tzinfo is not None:  # core.xml dates are UTC ("…Z")
            created = created.astimezone(timezone.utc).replace(tzinfo=None)
        props.created = props.modified = created
        app = [p for p in self.doc.part.package.parts if p.partname == "/docProps/app.xml"]
        for part in app:
            part._blob = (
                b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
                b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                b"<Application>reportkit</Application></Properties>"
            )

    def _setup_numbering(self) -> _Element:
        """Replace the template's list definitions by ours: bullets and numbers, body and boxes."""
        numbering = self.doc.part.numbering_part.element
        for child in list(numbering):
            numbering.remove(child)
        kinds = ((False, False), (True, False), (False, True), (True, True))  # (ordered, in a box)
        for abstract_id, (ordered, in_box) in enumerate(kinds):
            numbering.append(_abstract_list(abstract_id, ordered, BOX_INDENT if in_box else 0))
            self._lists[(ordered, in_box)] = abstract_id
        paragraphs = len(kinds)  # body paragraphs 1., 2., 3… when the report asks (UPR)
        numbering.append(el("w:abstractNum", (
            el("w:multiLevelType", val="singleLevel"),
            el("w:lvl", (el("w:start", val="1"), el("w:numFmt", val="decimal"), el("w:lvlText", val="%1."),
                         el("w:lvlJc", val="left"),
                         el("w:pPr", (el("w:ind", left=str(PARAGRAPH_INDENT), hanging=str(PARAGRAPH_INDENT)),))),
               ilvl="0"),
        ), abstractNumId=str(paragraphs)))
        for abstract_id in range(paragraphs + 1):  # every w:abstractNum before the first w:num
            numbering.append(el("w:num", (el("w:abstractNumId", val=str(abstract_id)),), numId=str(abstract_id + 1)))
        ox.set_ppr(self._style_element("Numbered Paragraph"), el("w:numPr", (el("w:numId", val=str(paragraphs + 1)),)))
        for name, ordered, in_box in (("List Bullet", False, False), ("List Number", True, False)):
            ox.set_ppr(self._style_element(name), el("w:numPr", (el("w:numId", val=str(self._lists[(ordered, in_box)] + 1)),)))
        return numbering

    def _list_number(self, ordered: bool, start: int, ctx: Context) -> int:
        """The numId for a new list: numbered lists restart at their own ``start``."""
        abstract_id = self._lists[(ordered, bool(ctx.box))]
        if not ordered or ctx.depth > 0:
            return abstract_id + 1
        num_id = len(self._numbering.findall(qn("w:num"))) + 1
        override = el("w:lvlOverride", (el("w:startOverride", val=str(start)),), ilvl="0")
        self._numbering.append(el("w:num", (el("w:abstractNumId", val=str(abstract_id)), override), numId=str(num_id)))
        return num_id

    def _style_element(self, name: str) -> _Element:
        return self.doc.styles[name].element


def _fit(text: str, separator: str = " ") -> str:
    """Shorten a property to the 255 characters Word allows, at a ``separator``."""
    while len(text) > 255:
        text = text.rsplit(separator, 1)[0] if separator in text else text[:255]
    return text


def _abstract_list(abstract_id: int, ordered: bool, indent: int) -> _Element:
    """A three-level list definition: bullets or 1. a. i., each level ``LIST_INDENT`` further in."""
    levels = []
    for ilvl, (fmt, text) in enumerate(
        (("decimal", "%1."), ("lowerLetter", "%2."), ("lowerRoman", "%3.")) if ordered
        else (("bullet", "\u2022"), ("bullet", "\u2013"), ("bullet", "\u25e6"))
    ):
        levels.append(el("w:lvl", (
            el("w:start", val="1"),
            el("w:numFmt", val=fmt),
            el("w:lvlText", val=text),
            el("w:lvlJc", val="left"),
            el("w:pPr", (el("w:ind", left=str(indent + LIST_INDENT * (ilvl + 1)), hanging=str(LIST_INDENT)),)),
        ), ilvl=str(ilvl)))
    return el("w:abstractNum", (el("w:multiLevelType", val="hybridMultilevel"), *levels), abstractNumId=str(abstract_id))


# --- styles ----------------------------------------------------------------------------------


def make_styles(document: docx.document.Document, theme: Theme, lang: str, text_width: Length) -> dict[str, str]:
    """Make (or reset) every style the writer uses from the style settings; return name → id.

    Existing template styles of the same name are emptied first, so nothing of the template's
    look (theme fonts, accent colours) survives: the settings alone decide.
    """
    s = theme.settings
    sizes, colours, fonts_ = s.get("sizes", {}), s.get("colours", {}), s.get("fonts", {})
    body_font = fonts_.get("body_docx") or fonts_.get("body", "Calibri")
    heading_font = fonts_.get("heading_docx") or fonts_.get("heading", body_font)
    mono_font = fonts_.get("mono_docx") or fonts_.get("mono", "Courier New")
    body, note = float(sizes.get("body", 11)), float(sizes.get("note", 8.5))
    text, heading = colours.get("text", "#000000"), colours.get("heading", "#000000")
    # CSS line-height is a multiple of the font size; Word's "multiple" spacing multiplies the
    # font's own line height (1.22 em for Calibri), so give the CSS distance as a minimum.
    line = round(20 * body * float(sizes.get("line_height", 1.2)))
    ids: dict[str, str] = {}

    styles_el = document.styles.element
    defaults = styles_el.find(qn("w:docDefaults"))
    for child in list(defaults):
        defaults.remove(child)
    defaults.append(el("w:rPrDefault", (el("w:rPr", (ox.fonts(body_font), *ox.size(body), ox.language(lang))),)))
    defaults.append(el("w:pPrDefault", (el("w:pPr", (el("w:spacing", after="120", line=str(line), lineRule="atLeast"),)),)))

    def style(name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH, based_on: str | None = "Normal",
              style_id: str | None = None, ppr: tuple = (), rpr: tuple = (), next_: str | None = None) -> None:
        # Looked up and added through the XML: python-docx's add_style first compares the name
        # with every style in Python, which made this function most of the writer's time.
        internal = BabelFish.ui2internal(name)
        element = styles_el.get_by_name(internal)
        if element is None:
            element = styles_el.add_style_of_type(internal, kind, name[0].islower() or name in BUILTIN)
        found = StyleFactory(element)
        if style_id:
            found.style_id = style_id
        element = found.element
        for tag in ("w:pPr", "w:rPr", "w:basedOn", "w:next", "w:link", "w:semiHidden", "w:unhideWhenUsed"):
            for old in element.findall(qn(tag)):
                element.remove(old)
        if based_on and name != based_on:
            found.base_style = document.styles[based_on]
        if next_:
            found.next_paragraph_style = document.styles[next_]
        if ppr:
            ox.set_ppr(element, *ppr)
        if rpr:
            ox.set_rpr(element, *rpr)
        found.quick_style = True
        ids[name] = found.style_id

    def font(name: str, points: float, hex_rgb: str, *more: _Element) -> tuple:
        return (ox.fonts(name), *more, ox.colour(hex_rgb), *ox.size(points))

    # Fresh elements at every use: an lxml element appended to a second parent leaves the first.
    def bold() -> tuple[_Element, ...]:
        return el("w:b"), el("w:bCs")

    def italic() -> tuple[_Element, ...]:
        return el("w:i"), el("w:iCs")

    def centred() -> _Element:
        return el("w:jc", val="center")

    spacing = lambda before, after, **kw: el("w:spacing", before=str(before), after=str(after), **kw)  # noqa: E731

    style("Normal", based_on=None, rpr=(ox.colour(text),))
    style("Title", ppr=(spacing(1700, 240, line="240", lineRule="auto"), centred()),
          rpr=font(heading_font, float(sizes.get("title", 26)), colours.get("title", heading), *bold()), next_="Subtitle")
    style("Subtitle", ppr=(spacing(0, 600), centred()),
          rpr=font(heading_font, float(sizes.get("subtitle", 15)), colours.get("title", heading)))
    style("Cover Author", ppr=(spacing(480, 60), centred()), rpr=(*bold(), *ox.size(float(sizes.get("subtitle", 15)))))
    style("Cover Label", ppr=(spacing(480, 240), centred()), rpr=bold())
    style("Cover Partner", ppr=(el("w:keepNext"), spacing(0, 40), el("w:ind", left="850", right="850"), centred()), rpr=bold())
    style("Cover Partner Description", ppr=(spacing(0, 240), el("w:ind", left="850", right="850"), centred()))
    style("Cover Date", ppr=(spacing(600, 0), centred()), rpr=ox.size(float(sizes.get("subtitle", 15))))
    style("Cover Logo", ppr=(spacing(240, 0), centred()))
    heading_space = {1: (0, 240), 2: (360, 120), 3: (240, 80)}
    for level in range(1, 7):
        before, after = heading_space.get(level, (240, 60))
        points = float(sizes.get(f"h{level}", body))
        ppr = [el("w:keepNext"), el("w:keepLines"), spacing(before, after), el("w:outlineLvl", val=str(level - 1))]
        if level == 1:
            ppr.insert(2, el("w:pageBreakBefore"))
        style(f"Heading {level}", ppr=tuple(ppr), rpr=font(heading_font, points, heading, *bold()), next_="Normal")
    style("TOC Heading", ppr=(el("w:keepNext"), el("w:pageBreakBefore"), spacing(0, 240)),
          rpr=font(heading_font, float(sizes.get("h1", 18)), heading, *bold()), next_="Normal")
    toc_size = float(sizes.get("toc", body))
    for level in range(1, 10):
        ppr = (ox.right_tab(twips(text_width)), spacing(120 if level == 1 else 0, 70),
               el("w:ind", left=str(240 * (level - 1)), right="400"))
        style(f"toc {level}", style_id=f"TOC{level}", ppr=ppr, rpr=(*(bold() if level == 1 else ()), *ox.size(toc_size)), next_="Normal")
    style("Numbered Paragraph")
    style("Recommendation Summary", ppr=(el("w:ind", left=str(PARAGRAPH_INDENT), hanging=str(PARAGRAPH_INDENT)),))
    style("List Bullet", ppr=(spacing(0, 60),))
    style("List Number", ppr=(spacing(0, 60),))
    style("List Continue", ppr=(spacing(0, 60), el("w:ind", left=str(LIST_INDENT))))
    for kind, name in BOX_STYLES.items():
        key = kind.replace("-", "_")
        style(name, ppr=(box_borders(colours, kind, space_pt=4), ox.shading(box_fill(colours, kind)), spacing(0, 100),
                         el("w:ind", left=str(BOX_INDENT), right=str(BOX_INDENT))),
              rpr=bold() if kind == "recommendation" else ())  # recommendations stand out, as in the PDF
        style(f"{name} Title", based_on=name, ppr=(el("w:keepNext"),),
              rpr=(ox.fonts(heading_font), *bold(), ox.colour(colours.get(f"{key}_title", heading))), next_=name)
        style(f"{name} List", based_on=name, ppr=(spacing(0, 60),))
    style("Quote", ppr=(el("w:ind", left="720", right="720"),), rpr=italic())
    style("Code", kind=WD_STYLE_TYPE.CHARACTER, based_on=None, rpr=(ox.fonts(mono_font), *ox.size(body * 0.9)))
    style("Code Block", ppr=(spacing(0, 120, line="240", lineRule="auto"),),
          rpr=(ox.fonts(mono_font), *ox.size(body * 0.9)))
    style("Rule", ppr=(el("w:pBdr", (el("w:bottom", val="single", sz="4", space="1", color=colours.get("rule", "#999999").lstrip("#")),)),
                       spacing(120, 240)), rpr=ox.size(4))
    style("Figure", ppr=(el("w:keepNext"), spacing(120, 60), centred()))
    style("Caption", ppr=(spacing(0, 200), centred()), rpr=(*italic(), *ox.size(note)))
    style("Table Text", ppr=(spacing(40, 40, line="240", lineRule="auto"),), rpr=ox.size(body * 0.95))
    style("Table Heading", based_on="Table Text", ppr=(el("w:keepNext"),), rpr=bold())
    for what in ("footnote", "endnote"):
        style(f"{what} text", style_id=f"{what.capitalize()}Text", ppr=(spacing(0, 40, line="240", lineRule="auto"),),
              rpr=ox.size(note))
        style(f"{what} reference", kind=WD_STYLE_TYPE.CHARACTER, based_on=None,
              style_id=f"{what.capitalize()}Reference", rpr=(el("w:vertAlign", val="superscript"),))
    style("Hyperlink", kind=WD_STYLE_TYPE.CHARACTER, based_on=None,
          rpr=(ox.colour(colours.get("link", heading)), el("w:u", val="single")))
    style("Header", ppr=(el("w:jc", val="right"), spacing(0, 0)), rpr=(el("w:caps"), ox.colour("#C00000"), *ox.size(note)))
    style("Footer", ppr=(centred(), spacing(0, 0)), rpr=ox.size(note))
    style("Report Table", kind=WD_STYLE_TYPE.TABLE, based_on="Normal Table")
    rule = colours.get("rule", "#999999").lstrip("#").upper()
    lines = tuple(el(f"w:{side}", val="single", sz="4", space="0", color=rule)
                  for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    table_look = el("w:tblPr", (el("w:tblBorders", lines),))
    document.styles["Report Table"].element.append(table_look)
    return ids


BUILTIN = {"Normal", "Title", "Subtitle", "Quote", "List Bullet", "List Number", "List Continue",
           "Hyperlink", "Header", "Footer", "TOC Heading", "Caption"}
"""Word's built-in style names the writer uses (marked built-in, not custom)."""


def box_borders(colours: dict, kind: str, space_pt: int) -> _Element:
    """The frame of a box of ``kind`` (w:pBdr): thin sides in its border colour, and a 4 pt left
    rule on recommendations and good practices."""
    frame = ox.borders(colours.get(f"{kind.replace('-', '_')}_border", "#7F7F7F"), 8, space_pt)
    frame.find(qn("w:left")).set(qn("w:sz"), str(32 if kind != "box" else 8))
    return frame


def box_fill(colours: dict, kind: str) -> str:
    """The fill colour of a box of ``kind``."""
    return colours.get(f"{kind.replace('-', '_')}_fill", "#F2F2F2")


def _framed(box: Block) -> bool:
    """Whether a box holds a table: paragraph borders stop at a table, so the writer frames such
    a box with a one-cell table instead (``DocxWriter.frame``)."""
    return isinstance(box, Box) and any(isinstance(n, Table) for n in iter_nodes(box.blocks))


def _unframe(cell: _Element, style_ids: set[str]) -> None:
    """The box's paragraphs (styles ``style_ids``) in a ``frame`` cell: without the borders,
    fill and indent of their style, which the cell draws."""
    for p in cell.iter(qn("w:p")):
        named = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if named is None or named.get(qn("w:val")) not in style_ids:
            continue  # the table's cells, spacers
        ox.set_ppr(p, el("w:pBdr", tuple(el(f"w:{side}", val="nil") for side in ("top", "left", "bottom", "right"))),
                   el("w:shd", val="clear", color="auto", fill="auto"))
        if p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is None:  # list items keep their numbering's indent
            ox.set_ppr(p, el("w:ind", left="0", right="0"))


PRINT_DPI = 300
"""Resolution of the PNG an SVG is drawn into, at the size it shows in the document."""

PIXEL = 9525
"""EMU in an image pixel, as the PDF counts them: a CSS pixel, 96 an inch."""


def as_png(path: Path, max_w: Length, max_h: Length) -> tuple[bytes, int, int] | None:
    """A PNG of an image python-docx cannot embed, and the image's own size (EMU, 96 pixels an
    inch as in the PDF). A WebP is converted as it is. An SVG is drawn at ``PRINT_DPI`` at the
    size it shows (its own, shrunk to fit ``max_w`` × ``max_h``); None when cairosvg cannot
    draw it."""
    from PIL import Image as PILImage

    data = path.read_bytes()
    if not is_svg(data[:SVG_HEAD]):
        with PILImage.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            dpi = image.info.get("dpi")
            image.save(out, "PNG", **({"dpi": dpi} if dpi else {}))
            return out.getvalue(), image.width * PIXEL, image.height * PIXEL
    try:
        from cairosvg.parser import Tree  # only for SVGs: cairosvg takes 0.15 s to import
        from cairosvg.surface import PNGSurface, SVGSurface
    except (ImportError, OSError):  # cairosvg, or the cairo library, is not installed
        return None

    try:
        # Its own size in CSS pixels (without one, its viewBox's),
        # from a drawing in memory. unsafe=False: no entities, files or URLs.
        measured = SVGSurface(Tree(bytestring=data, unsafe=False), None, dpi=96)
        width, height = measured.width, measured.height
        measured.finish()
        shown = min(1.0, max_w / PIXEL / width, max_h / PIXEL / height)
        png = PNGSurface.convert(bytestring=data, scale=shown * PRINT_DPI / 96, unsafe=False, dpi=96)
    except Exception:  # cairosvg raises many types for drawings it cannot handle
        return None
    with PILImage.open(io.BytesIO(png)) as image:  # its resolution, for whoever copies it out
        out = io.BytesIO()
        image.save(out, "PNG", dpi=(PRINT_DPI, PRINT_DPI))
    return out.getvalue(), round(width * PIXEL), round(height * PIXEL)

