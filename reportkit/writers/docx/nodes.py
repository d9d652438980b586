"""The report's nodes in WordprocessingML: one ``match`` for blocks, one for inlines.

A box draws its frame with its paragraphs' borders, except a box holding a table (paragraph
borders stop at a table) or a box, and a box in a box: a one-cell table with the same borders
and fill frames it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import XmlPart
from docx.shared import Emu, Length
from lxml.etree import _Element

from ...fit import Fit, Fits
from ...errors import Pos
from ...labels import labels
from ...model import (
    Block, Box, Code, CodeBlock, Emphasis, Image, Inline, LineBreak, Link, List,
    Note, Paragraph, Quote, Report, Rule, Section, Strong, StyledBox, Table, Text,
    iter_nodes,
)
from ...sourcemap import Entry, SourceFiles
from ...transforms import numbered_recommendations
from ...xrefs import caption_label, figure_image
from ...themes import Theme
from .. import Options, default_box_title
from . import ooxml as ox
from .images import Pictures
from .numbering import Numbering
from .ooxml import Story
from .styles import BOX_INDENT, LIST_INDENT, PARAGRAPH_INDENT, Page, box_look, box_style


@dataclass(frozen=True)
class Context:
    """How blocks are written where they stand: in the body, a box, a note, a list."""

    style: str = "Normal"
    """Paragraph style of plain paragraphs."""
    box: str = ""
    """The box style ("Recommendation"…) when inside a box, else ""."""
    boxes: int = 0
    """Box nesting: 0 outside boxes, 2 in a box in a box."""
    depth: int = 0
    """List nesting: 0 outside lists."""
    annex: bool = False
    """Under a heading marked ``{.annex}``: paragraphs are not numbered."""
    after_number: bool = False
    """In a list right under a numbered paragraph: indented to that paragraph's text."""


@dataclass(frozen=True)
class Format:
    """Character formatting inherited from enclosing inlines."""

    bold: bool = False
    italic: bool = False
    link: bool = False


@dataclass
class Writer:
    """Writes one report's nodes into a python-docx document whose styles, numbering and notes
    part are made."""

    report: Report
    theme: Theme
    options: Options
    doc: Document
    page: Page
    ids: dict[str, str]
    """Style name → style id."""
    numbering: Numbering
    notes_part: XmlPart
    """footnotes.xml or endnotes.xml, as the report places its notes."""
    words: dict[str, str] = field(init=False)
    """The fixed labels in the report's language."""
    anchors: dict[str, str] = field(init=False)
    """Section or box id (and "#summary", "#notes") → bookmark name."""
    pictures: Pictures = field(init=False, default_factory=Pictures)
    fits: Fits = field(init=False)
    """How each table fits the page, as in the PDF (``reportkit.fit``)."""
    origins: dict[_Element, Entry] = field(init=False, default_factory=dict)
    """Each paragraph written so far → where it came from, for the source map (stays empty when
    the map is left out)."""
    note_origins: dict[int, list[Entry]] = field(init=False, default_factory=dict)
    """Note number → where its paragraphs came from, in order."""
    recalled: set[int] = field(init=False)
    """Numbers of the notes called more than once: their first call gets a bookmark, the later
    calls a NOTEREF field to it."""
    _sources: SourceFiles | None = field(init=False, default=None)
    _bookmarks: int = field(init=False, default=0)
    _turned: _Element | None = field(init=False, default=None)
    """The paragraph ending the last landscape section, if any."""

    def __post_init__(self) -> None:
        self.words = labels(self.report.meta.language)
        self.anchors = _anchor_names(self.report)
        self.fits = Fits(self.report, self.theme)
        self.recalled = {n.number for n in iter_nodes(self.report.chapters) if isinstance(n, Note) and n.repeat}
        if self.options.docx_source_map and self.report.meta.source_map:
            self._sources = SourceFiles(self.report)

    # --- blocks ----------------------------------------------------------------------------

    def blocks(self, nodes: tuple[Block, ...], story: Story, ctx: Context) -> None:
        """Blocks in order. Two boxes in a row get a thin gap, or Word would merge their frames."""
        previous: Block | None = None
        for node in nodes:
            if (isinstance(node, Box) and isinstance(previous, Box) and node.kind == previous.kind
                    and not _framed(previous)):
                story.add(self._spacer())
            after_number = isinstance(node, List) and previous is not None and self.numbers(previous, ctx)
            self.block(node, story, replace(ctx, after_number=True) if after_number else ctx)
            previous = node

    def _spacer(self) -> _Element:
        """An empty paragraph 6 pt high: the gap after a table, or between two boxes."""
        spacer = self.generated(self.p("Normal"), "spacer")
        ox.set_ppr(spacer, ox.spacing(0, 0, line=120, rule="exact"))
        return spacer

    def block(self, node: Block, story: Story, ctx: Context) -> None:
        """One block."""
        match node:
            case Paragraph(content=(Image(alt=alt, path=path) as image,)):
                p = self.picture_paragraph(story, "Figure", path, self.page.text_width, self.page.picture_height, alt)
                self.came_from(p, "figure", node.pos)
                if image.caption:
                    label = caption_label(self.words, "figure", image.number)
                    caption = self.came_from(self.paragraph(story, "Caption", label + image.caption), "caption", node.pos)
                    if image.id:
                        self.bookmark(caption, image.id)
            case Paragraph(content):
                p = story.add(self.p("Numbered Paragraph" if self.numbers(node, ctx) else ctx.style))
                self.came_from(p, "paragraph", node.pos)
                self.inlines(content, p, story, Format())
            case List(items, ordered, start):
                place = "box" if ctx.box else "paragraph" if ctx.after_number else "body"
                num_id = self.numbering.list_number(ordered, start, place, ctx.depth)
                style = f"{ctx.box} List" if ctx.box else ("List Number" if ordered else "List Bullet")
                inner = replace(ctx, depth=ctx.depth + 1)
                for item in items:
                    first = True
                    for child in item:
                        if isinstance(child, Paragraph) and first:
                            p = story.add(self.p(style))
                            ox.set_ppr(p, ox.numbering_properties(num_id, level=min(ctx.depth, 2)))
                            self.came_from(p, "paragraph", child.pos)
                            self.inlines(child.content, p, story, Format())
                        elif isinstance(child, Paragraph):
                            p = story.add(self.p(ctx.style if ctx.box else "List Continue"))
                            if ctx.after_number:
                                ox.set_ppr(p, ox.indent(left=PARAGRAPH_INDENT + LIST_INDENT))
                            self.came_from(p, "paragraph", child.pos)
                            self.inlines(child.content, p, story, Format())
                        else:
                            self.block(child, story, inner)
                        first = False
            case Table():
                fit = self.fits.of(node)
                turned = fit.landscape and replace(ctx, annex=False) == Context() and story.part is self.doc.part
                if turned and self._turned is not None and story.last() is self._turned:
                    ox.continue_section(self._turned)  # turned tables in a row share their pages
                elif turned:
                    ox.end_section(story.add(self._spacer()), story.container, landscape=False)
                if node.caption:  # above the table, kept on its page
                    caption = story.add(self.generated(self.p("Caption"), "table caption"))
                    ox.set_ppr(caption, ox.keep_next(), ox.spacing(120, 60), ox.align("left"))  # as the PDF's
                    caption.append(ox.run(caption_label(self.words, "table", node.number)))
                    self.inlines(node.caption, caption, story, Format())
                    if node.id:
                        self.bookmark(caption, node.id)
                self._cells_came_from(story.add(self.table(node, fit, story, ctx, turned)), node)
                after = story.add(self._spacer())  # the PDF's space after a table
                if turned:
                    ox.end_section(after, story.container, landscape=True)
                    self._turned = after
            case Quote(blocks):
                self.blocks(blocks, story, ctx if ctx.box or ctx.style != "Normal" else replace(ctx, style="Quote"))
            case CodeBlock(text):
                p = story.add(self.p("Code Block"))
                self.came_from(p, "code", node.pos)
                p.append(ox.run(text.rstrip("\n")))
            case Rule():
                story.add(self.generated(self.p("Rule"), "rule"))
            case Box(title=title, blocks=blocks, id=box_id):
                style = box_style(self.theme, node.kind)
                inner = Context(style=style, box=style, boxes=ctx.boxes + 1)
                outer = story
                if _framed(node) or ctx.box:
                    # Paragraph borders stop at a table, and a box's run on into the box round it:
                    # the box is framed by a table of its own.
                    story = Story(story.part, self.frame(story, node.kind, ctx.boxes))
                heading = self.p(f"{style} Title")
                if title:
                    line = node.pos.line if node.pos else 0  # the title stands on the box's first line
                    self.came_from(heading, "box-title", node.pos, (line, line))
                    self.inlines(title, heading, story, Format())
                elif default := default_box_title(node, self.words):
                    self.generated(heading, "box title")
                    heading.append(ox.run(default))
                if len(heading) > 1:  # more than its properties: a title to show
                    story.add(heading)
                    if box_id:
                        self.bookmark(heading, box_id)
                if node.numbered and (self.report.meta.number_recommendations or isinstance(node, StyledBox)):
                    blocks = numbered_recommendations(node)
                self.blocks(blocks, story, inner)
                if story is not outer:
                    ox.unframe(story.container, {self.ids[n] for n in (style, f"{style} Title", f"{style} List")})
                    outer.add(self._spacer())  # the frame is a table
            case Section(level, title, section_id, blocks, number):
                p = story.add(self.p(f"Heading {min(level, 6)}"))
                self.came_from(p, "heading", node.pos)
                if number:
                    p.append(ox.run(f"{number} "))
                self.inlines(title, p, story, Format())
                self.bookmark(p, section_id)
                self.blocks(blocks, story, replace(ctx, annex=True) if node.annex else ctx)
            case _:
                raise TypeError(f"docx writer has no case for {type(node).__name__}")

    def numbers(self, node: Block, ctx: Context) -> bool:
        """Whether ``node`` is a numbered paragraph: body text (not a figure) of a report that
        numbers its paragraphs."""
        return (self.report.meta.number_paragraphs and ctx == Context() and isinstance(node, Paragraph)
                and not (len(node.content) == 1 and isinstance(node.content[0], Image)))

    def table(self, node: Table, fit: Fit, story: Story, ctx: Context, turned: bool) -> _Element:
        """A table on the "Report Table" style, its header row repeated on each page, its columns
        as wide as their text asks (``fit``: the PDF's measure) and in the PDF's type size."""
        head, rows, aligns = node.head, node.rows, node.aligns
        width = self.page.turned_text_width if turned else self.page.text_width
        width -= Emu(BOX_INDENT * 635 * 2 * ctx.boxes)  # in a box: its frame's cell (in each box round it)
        margin = round(fit.padding * 20 / 2)  # the PDF's cell padding, in twips a side
        widths = [round(w * 20) for w in fit.widths(width / 12700, 2 * margin / 20)]
        all_rows = ([head] if head else []) + list(rows)
        tbl = ox.table(len(all_rows), widths, margin, self.ids["Report Table"])
        small = " Small" if fit.small else ""
        for r, ((row, paragraphs), cells) in enumerate(zip(ox.table_rows(tbl), all_rows)):
            heading = bool(head) and r == 0
            if heading:
                ox.repeat_header(row)
            for c, p in enumerate(paragraphs):
                ox.set_ppr(p, ox.para_style(self.ids[("Table Heading" if heading else "Table Text") + small]))
                align = aligns[c] if c < len(aligns) else ""
                if align in ("center", "right"):
                    ox.set_ppr(p, ox.align(align))
                if c < len(cells):
                    self.inlines(cells[c], p, story, Format())
        return tbl

    def frame(self, story: Story, kind: str, within: int = 0) -> _Element:
        """A one-cell table framing a box that holds a table or a box, or stands in a box
        (``within`` boxes: in the frame's cell of the box round it), as the box's paragraph
        style would (same borders, fill, and text edge); returns its cell, emptied, for the
        box's blocks."""
        borders, fill = box_look(self.theme, kind, space_pt=0)
        edge = BOX_INDENT // 2  # the frame's border halfway into the box's indent, its text at the indent
        width = self.page.text_width - Emu(edge * 635 * 2) - Emu(BOX_INDENT * 635 * 2 * within)
        tbl, cell = ox.frame_table(Emu(width), BOX_INDENT,
                                   (80, edge, 40, edge), borders, fill)
        story.add(tbl)
        return cell

    # --- inlines ---------------------------------------------------------------------------

    def inlines(self, nodes: tuple[Inline, ...], target: _Element, story: Story, fmt: Format) -> None:
        """Inlines appended to a paragraph or hyperlink element."""
        for node, following in zip(nodes, (*nodes[1:], None)):
            if isinstance(node, Text) and isinstance(following, Note):
                node = _held(node)
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
                ox.set_rpr(r, ox.char_style(self.ids["Code"]))
                target.append(r)
            case LineBreak():
                target.append(ox.line_break_run())
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
                target.append(self.pictures.run(story, path, self.page.text_width, self.page.picture_height, alt))
            case Note(number=number, repeat=True):
                # Word has one reference a note: a later call is a cross-reference to the first,
                # which Word renumbers with the notes.
                style = self.ids[self._note_style("Reference")]
                target.extend(ox.note_reference_field(_note_bookmark(number), number, style))
            case Note(blocks=blocks, number=number):
                self.note(blocks, number)
                placement = self.report.meta.notes
                call = [ox.note_reference(placement, number, self.ids[self._note_style("Reference")])]
                if number in self.recalled:
                    self._bookmarks += 1
                    call = ox.bookmarked(call, _note_bookmark(number), self._bookmarks)
                target.extend(call)
            case _:
                raise TypeError(f"docx writer has no case for {type(node).__name__}")

    def note(self, blocks: tuple[Block, ...], number: int) -> None:
        """Write a note's text into the notes part, its own number first."""
        placement = self.report.meta.notes
        element = ox.add_note(self.notes_part, placement, number)
        story = Story(self.notes_part, element)
        self.blocks(blocks, story, Context(style=self._note_style("Text")))
        first = ox.first_paragraph(element)
        if first is None:
            first = story.add(self.generated(self.p(self._note_style("Text")), "note"))
        ox.prepend(first, ox.note_mark(placement, self.ids[self._note_style("Reference")]), ox.run(" "))
        if self._sources is not None:  # notes are matched by number and order: no bookmarks
            self.note_origins[number] = [self.origins.pop(p, Entry("generated")) for p in ox.paragraphs(element)]

    # --- helpers ---------------------------------------------------------------------------

    def p(self, style: str, text: str = "") -> _Element:
        """A new paragraph of ``style`` holding plain ``text``, not yet placed."""
        return ox.paragraph("" if style == "Normal" else self.ids[style], text)

    def paragraph(self, story: Story, style: str, text: str) -> _Element:
        """Add a paragraph of plain text."""
        return story.add(self.p(style, text))

    def picture_paragraph(self, story: Story, style: str, path: str, max_w: Length, max_h: Length,
                          alt: str = "") -> _Element:
        """Add a paragraph holding one image."""
        p = story.add(self.p(style))
        p.append(self.pictures.run(story, path, max_w, max_h, alt))
        return p

    def bookmark(self, p: _Element, key: str = "", name: str = "") -> None:
        """Bookmark paragraph ``p`` as the target of ``key`` (a section or box id, "#summary",
        "#notes"), or with the bookmark ``name``."""
        self._bookmarks += 1
        ox.bookmark(p, name or self.anchors[key], self._bookmarks)

    # --- the source map --------------------------------------------------------------------

    @property
    def writes_source_map(self) -> bool:
        """Whether the DOCX gets its source map."""
        return self._sources is not None

    def came_from(self, p: _Element, kind: str, pos: Pos | None, lines: tuple[int, int] | None = None,
                  row: int = -1, col: int = -1) -> _Element:
        """Note that paragraph ``p`` (of ``kind``: "paragraph", "heading", "cell"…) was written
        from the block at ``pos``: from its lines, or from ``lines`` (first, last) of its file."""
        if self._sources is not None and pos is not None and pos.line:
            first, last = lines or (pos.line, max(pos.end, pos.line))
            entry = self._sources.entry(kind, pos.path, first, last, row, col)
            if entry is not None:
                self.origins[p] = entry
        return p

    def generated(self, p: _Element, what: str) -> _Element:
        """Note that paragraph ``p`` is text reportkit generates (``what``: "contents", "box
        title", "spacer"…)."""
        if self._sources is not None:
            self.origins[p] = Entry("generated", what=what)
        return p

    def cover_field(self, p: _Element, key: str) -> _Element:
        """Note that paragraph ``p`` shows the report.toml field ``key`` ("title", "authors"…)."""
        if self._sources is not None:
            self.origins[p] = Entry("cover", what=key)
        return p

    def _cells_came_from(self, tbl: _Element, node: Table) -> None:
        """Each cell of a table written from ``node``: its row's line, row and column. A pipe
        table has a line a row, the header's first, then the delimiter row."""
        if node.pos is None:
            return
        for r, (_, paragraphs) in enumerate(ox.table_rows(tbl)):
            row = r if node.head else r + 1  # 0 is the header row
            line = node.pos.line + (row + 1 if row else 0)
            for c, p in enumerate(paragraphs):
                self.came_from(p, "cell", node.pos, (line, line), row, c)

    def has_notes(self) -> bool:
        """Whether the report has notes."""
        return any(isinstance(n, Note) for n in iter_nodes(self.report.chapters))

    def _run(self, text: str, fmt: Format) -> _Element:
        props = []
        if fmt.link:
            props.append(ox.char_style(self.ids["Hyperlink"]))
        if fmt.bold:
            props += ox.bold()
        if fmt.italic:
            props += ox.italic()
        return ox.run(text, *props)

    def _note_style(self, what: str) -> str:
        return ("footnote " if self.report.meta.notes == "footnotes" else "endnote ") + what.lower()


def _anchor_names(report: Report) -> dict[str, str]:
    """Bookmark names for every heading (``_Toc…``, as Word names them), box, captioned table
    and figure (``_Ref…``)."""
    names: dict[str, str] = {}
    for node in iter_nodes(report.chapters):
        if isinstance(node, Section) and node.id not in names:
            names[node.id] = f"_Toc{len(names) + 1:08d}"
        elif isinstance(node, Box) and node.id and node.id not in names:
            names[node.id] = f"_Ref{len(names) + 1:08d}"
    names["#summary"] = f"_Toc{len(names) + 1:08d}"
    names["#notes"] = f"_Toc{len(names) + 1:08d}"
    for node in iter_nodes(report.chapters):  # the annexes of numbered kinds of the style's
        if isinstance(node, StyledBox) and node.numbered and f"#annex-{node.kind}" not in names:
            names[f"#annex-{node.kind}"] = f"_Toc{len(names) + 1:08d}"
    for node in iter_nodes(report.chapters):  # captions: tables and figures
        ident = node.id if isinstance(node, Table) else getattr(figure_image(node), "id", "")
        if ident and ident not in names:
            names[ident] = f"_Ref{len(names) + 1:08d}"
    return names


def _held(text: Text) -> Text:
    """Text before a note call with its last spaces one no-break space: a line may break at a
    space, and the call would start the next line (with no space, Word and LibreOffice keep a
    call with its word)."""
    kept = text.text.rstrip(" \n")
    return replace(text, text=kept + "\u00a0") if kept != text.text else text


def _note_bookmark(number: int) -> str:
    """The bookmark round the first call of note ``number`` (hidden, as Word's ``_Ref…``)."""
    return f"_RefNote{number}"


def _framed(box: Block) -> bool:
    """Whether a box holds a table or a box: paragraph borders stop at a table (and a box in it
    is framed by one), so the writer frames such a box with a one-cell table instead
    (``Writer.frame``)."""
    return isinstance(box, Box) and any(isinstance(n, (Table, Box)) for n in iter_nodes(box.blocks))
