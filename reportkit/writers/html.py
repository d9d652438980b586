"""Model → HTML: one case per node type; the page shell comes from the style's Jinja2 templates.

The same HTML serves two outputs. ``render`` returns one self-contained file (``--format
html``: CSS inlined, fonts and images as ``data:`` URLs); ``document`` with ``file_url``
returns the HTML that ``pdf.py`` hands to WeasyPrint, which loads fonts and images through
its contained URL fetcher. Text is always escaped; raw HTML from the sources never passes.
"""

from __future__ import annotations

import base64
import dataclasses
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Callable, Iterator

from markupsafe import Markup

from .. import transforms
from ..errors import Pos
from ..fit import Fits
from ..labels import labels
from ..model import (
    Block,
    Box,
    Code,
    CodeBlock,
    Emphasis,
    Image,
    Inline,
    LineBreak,
    Link,
    List,
    Metadata,
    Node,
    Note,
    Paragraph,
    Quote,
    Report,
    Rule,
    Section,
    Strong,
    StyledBox,
    Table,
    Text,
    plain_text,
)
from ..themes import Theme, css_string
from ..watermark import watermark_uri
from ..xrefs import caption_label, caption_lists
from . import Options, Rendered, box_annexes, default_box_title

WORD_JOINER = "&#x2060;"
"""U+2060 as markup: forbids a line break beside it, and is not drawn."""

UrlFor = Callable[[Path], str]
"""Turns an absolute file path (font, image, logo) into the URL written into the HTML."""


def render(report: Report, theme: Theme, options: Options) -> Rendered:
    """The report as one self-contained HTML file (CSS inlined, fonts and images embedded)."""
    return Rendered(document(report, theme, options, data_url).encode("utf-8"))


def file_url(path: Path) -> str:
    """A ``file://`` URL for a local file (what WeasyPrint's fetcher receives)."""
    return Path(path).resolve().as_uri()


def data_url(path: Path) -> str:
    """A ``data:`` URL holding the file's bytes, for the self-contained HTML output."""
    mime = mimetypes.guess_type(str(path))[0] or _FONT_TYPES.get(Path(path).suffix.lower(), "")
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:{mime or 'application/octet-stream'};base64,{encoded}"


_FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}


# --- the whole document ---------------------------------------------------------------------


def document(report: Report, theme: Theme, options: Options, url: UrlFor = file_url) -> str:
    """The whole HTML document: the style's page shell around the chapters' markup.

    ``url`` decides how fonts, images and logos are referenced (``file_url`` for WeasyPrint,
    ``data_url`` for a self-contained file).
    """
    return Shell(report, theme, options, url).html()


def note_hang(count: int) -> float:
    """The width (in ems) in which the numbers of ``count`` notes hang before their text: 1.8
    up to note 99, and half an em more for each further digit (a digit of the bundled fonts is
    about half an em), so that "201." keeps its gap before the text."""
    digits = len(str(max(count, 1)))
    return 1.8 if digits <= 2 else round(0.51 * digits + 0.8, 1)


@dataclass(frozen=True)
class Part:
    """A run of the document that begins on a page of its own: the front (cover, contents and
    any text before the first chapter), each chapter, the summary of recommendations, the
    endnotes. ``Shell.part_html`` makes the HTML of one, to be laid out alone."""

    anchor: str
    """The id of the heading that opens it ("" for the front)."""
    body: str = ""
    """Its chapters' markup."""
    summary: bool = False
    """It is the summary of recommendations."""
    annex: str = ""
    """The kind of box whose annex it is ("question"), or ""."""
    endnotes: bool = False
    """It is the Notes section."""


class Shell:
    """One report in one style: the markup of its nodes, and the style's page shell around it,
    for the whole document (``html``) or for one part laid out alone (``part_html``)."""

    def __init__(self, report: Report, theme: Theme, options: Options, url: UrlFor = file_url):
        self.report, self.theme, self.options, self.url = report, theme, options, url
        meta = report.meta
        self.words = labels(meta.language)
        writer = HtmlWriter(words=self.words, notes=meta.notes, url=url,
                            number_paragraphs=meta.number_paragraphs, fits=Fits(report, theme),
                            number_recommendations=meta.number_recommendations)
        runs: list[list] = [["", []]]  # [anchor, markup of top-level blocks]
        for chapter in report.chapters:
            for node in chapter.blocks:
                if isinstance(node, Section) and node.level == 1:
                    runs.append([node.id, []])
                runs[-1][1].append(writer.block(node, body=True))
        self.parts = [Part(anchor, "".join(markup)) for anchor, markup in runs]
        self.summary = writer.summary(report) if meta.recommendations_summary else ""
        if self.summary:
            self.parts.append(Part("summary", summary=True))
        self.annexes = [Annex(kind, title, Markup(writer.summary(report, kind)))
                        for kind, title in box_annexes(report, theme)]
        self.parts += [Part(annex.anchor, annex=annex.kind) for annex in self.annexes]
        notes = transforms.notes(report)
        self.note_hang = note_hang(len(notes))
        has_endnotes = meta.notes == "endnotes" and bool(notes)
        self.endnotes = writer.endnotes(report) if has_endnotes else ""
        if self.endnotes:
            self.parts.append(Part("notes", endnotes=True))
        self.toc = table_of_contents(report)
        if self.toc:
            self.toc += [TocLine(1, "", self.words["summary_of_recommendations"], "#summary")] * bool(self.summary)
            self.toc += [TocLine(1, "", annex.title, f"#{annex.anchor}") for annex in self.annexes]
            self.toc += [TocLine(1, "", self.words["notes"], "#notes")] * bool(self.endnotes)
        self.toc += [TocLine(1, e.label, e.text, f"#{e.id}", listed=heading)  # after the contents
                     for heading, entries in caption_lists(report) for e in entries]
        style_logo = theme.settings.cover.logo  # checked, and made absolute, by load_theme
        self.logos = [url(Path(p)) for p in (*meta.logos, style_logo) if p]
        self.faces = font_faces(theme, url)

    def html(self) -> str:
        """The whole document."""
        return self._page(self.parts, True, self.toc)

    def part_html(self, part: int, first_page: int, total: int | None, toc_pages: dict[str, int] | None = None,
                  last: int | None = None) -> str:
        """Only ``self.parts[part]`` (up to ``self.parts[last - 1]`` when given), as it stands in
        the whole: from page ``first_page`` (on the same side) of ``total`` pages (None: as many
        as the layout counts), its paragraphs numbered on from the parts before it, and the
        contents (in the front) showing ``toc_pages`` (id → page)."""
        before = "".join(p.body for p in self.parts[:part])
        placed = {"first_page": first_page, "left": first_page % 2 == 0,
                  "paragraphs": before.count('class="numbered"')}
        toc = [dataclasses.replace(line, page=str((toc_pages or {}).get(line.href[1:], "")))
               for line in self.toc] if part == 0 else []
        return self._page(self.parts[part:last or part + 1], part == 0, toc, placed,
                          "counter(pages)" if total is None else css_string(str(total)))

    def _page(self, parts: list[Part], front: bool, toc: list[TocLine], placed: dict | None = None,
              total: str = "counter(pages)") -> str:
        """The style's page shell around ``parts``, with the cover when ``front``, ``toc`` as
        the contents and ``total`` pages in the footer; ``placed`` says where a part laid out
        alone stands (the CSS template's ``part``)."""
        meta, words, url, options = self.report.meta, self.words, self.url, self.options
        css = self.theme.render(
            "report.css.j2",
            settings=self.theme.settings,
            faces=self.faces,
            words=words,
            note_hang=self.note_hang,
            footer=css_content(footer_label(meta, words), n="counter(page)", total=total),
            draft=options.draft,
            stamp=options.stamp,
            part=placed,
        )
        return self.theme.render(
            "report.html.j2",
            meta=meta,
            words=words,
            css=Markup(css),
            cover=front,
            body=Markup("".join(p.body for p in parts)),
            summary=Markup(self.summary) if any(p.summary for p in parts) else "",
            annexes=[a for a in self.annexes if any(p.annex == a.kind for p in parts)],
            endnotes=Markup(self.endnotes) if any(p.endnotes for p in parts) else "",
            toc=toc,
            partners=[(p, url(Path(p.logo)) if p.logo else "") for p in meta.partners],
            logos=self.logos,
            subject=subject(self.report),
            keywords=keywords(self.report),
            confidential=words["confidential_notice"] if confidential(meta) else "",
            created=w3c_date(options.created),
            draft=options.draft,
            stamp=options.stamp,
            watermark=watermark_uri(words["draft"].upper(), self.theme) if options.draft else "",
        )


@dataclass(frozen=True)
class Annex:
    """The annex of a numbered kind of box the style gives one ("Questions for the dialogue")."""

    kind: str
    """The kind of box it lists."""
    title: str
    """Its heading, in the report's language."""
    items: Markup
    """The list of the boxes' items, each linked to its box."""

    @property
    def anchor(self) -> str:
        """The id of its heading."""
        return f"annex-{self.kind}"


@dataclass(frozen=True)
class TocLine:
    """One line of the table of contents, as the template shows it."""

    level: int
    """1 for a chapter, 2 for a section…"""
    number: str
    """The heading's number ("2.2"), or ""."""
    title: str
    """The heading text without its notes."""
    href: str
    """The link to the heading ("#id")."""
    page: str = ""
    """Its page number when the contents are laid out apart from the headings (else the
    style asks the layout engine for it)."""
    listed: str = ""
    """The heading of the list it belongs to ("List of tables"…), "" for the contents."""


def table_of_contents(report: Report) -> list[TocLine]:
    """The contents lines, from the ``transforms.toc`` view (to the report's ``toc_depth``)."""
    return [TocLine(e.level, e.number, plain_text(e.title), f"#{e.id}") for e in transforms.toc(report)]


def subject(report: Report) -> str:
    """The files' subject: treaty, articles and country ("OPSC – Articles 34, 35 – Kyrgyzstan")."""
    meta = report.meta
    articles = labels(meta.language)["articles"].format(list=", ".join(meta.articles)) if meta.articles else ""
    return " – ".join(x for x in (meta.treaty, articles, meta.country) if x)


def keywords(report: Report) -> list[str]:
    """The PDF keywords: "Confidential" for a confidential report, country, treaty and the
    report's own keywords."""
    meta = report.meta
    mark = labels(meta.language)["confidential"] if confidential(meta) else ""
    return list(dict.fromkeys(x for x in (mark, meta.country, meta.treaty, *meta.keywords) if x))


def confidential(meta: Metadata) -> bool:
    """Whether the report asks the treaty body not to publish it."""
    return meta.confidentiality == "confidential"


def footer_label(meta: Metadata, words: dict) -> str:
    """The page footer: "Page {n} of {total}", after "Confidential · " for a confidential report."""
    return f"{words['confidential']} · {words['page_of']}" if confidential(meta) else words["page_of"]


def css_content(label: str, **values: str) -> str:
    """A CSS ``content`` value from a label: "Page {n} of {total}" → "Page " counter(page)…"""
    parts = []
    for piece in re.split(r"(\{\w+\})", label):
        if piece.startswith("{") and piece[1:-1] in values:
            parts.append(values[piece[1:-1]])
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts) or '""'


def w3c_date(moment: datetime) -> str:
    """An ISO date-time for the PDF metadata; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FontFace:
    """One ``@font-face`` rule: a bundled font file and what it provides."""

    family: str
    """The family name as the CSS names it ("Carlito")."""
    weight: int
    """400 regular, 700 bold…"""
    italic: bool
    """True for an italic face."""
    url: str
    """Where the file is loaded from."""


def font_faces(theme: Theme, url: UrlFor) -> list[FontFace]:
    """The style's bundled fonts (family, weight and style as read from the files)."""
    return [FontFace(face.family, face.weight, face.italic, url(face.path)) for face in theme.faces]


# --- where images stand ---------------------------------------------------------------------


def located_images(node: Node, pos: Pos | None = None) -> Iterator[tuple[Image, Pos | None]]:
    """Every image under ``node`` with the position of the innermost block around it."""
    if isinstance(node, tuple):
        for child in node:
            yield from located_images(child, pos)
        return
    if not dataclasses.is_dataclass(node):
        return
    pos = getattr(node, "pos", None) or pos
    if isinstance(node, Image):
        yield node, pos
        return
    for f in dataclasses.fields(node):
        if f.name not in ("pos", "meta"):
            yield from located_images(getattr(node, f.name), pos)


# --- nodes ----------------------------------------------------------------------------------


@dataclass
class HtmlWriter:
    """Turns model nodes into HTML: one ``match`` for blocks, one for inlines."""

    words: dict[str, str]
    """The fixed words in the report's language (``labels``)."""
    notes: str = "footnotes"
    """"footnotes" (WeasyPrint floats them to the foot of the page) or "endnotes"."""
    url: UrlFor = file_url
    """How images are referenced."""
    number_paragraphs: bool = False
    """Number body paragraphs (those directly under a heading), as UPR submissions ask."""
    fits: Fits | None = None
    """How each table fits the text column (smaller type, a landscape page); None: as it is."""
    number_recommendations: bool = False
    """Show each recommendation's number in its box (``transforms.numbered_recommendations``)."""
    _in_link: bool = field(default=False, repr=False)
    _deferred: list[str] = field(default_factory=list, repr=False)
    _level: int = field(default=0, repr=False)
    """The level of the heading the blocks being written stand under."""

    def blocks(self, nodes: tuple[Block, ...], phrasing: bool = False, body: bool = False) -> str:
        """Blocks in order; ``phrasing`` writes them as spans (inside a footnote's span);
        ``body`` marks the blocks directly under a heading (numbered paragraphs)."""
        return "".join(self.block(node, phrasing, body) for node in nodes)

    def block(self, node: Block, phrasing: bool = False, body: bool = False) -> str:
        """One block. In ``phrasing`` mode every element is a ``<span class="b-TAG">``, since
        a footnote is a span inside a paragraph and a ``<p>`` there would end the paragraph."""
        el = _phrasing_element if phrasing else _element
        match node:
            case Paragraph(content=(Image() as image,)):
                label = escape(caption_label(self.words, "figure", image.number))
                caption = el("figcaption", label + escape(image.caption)) if image.caption else ""
                return el("figure", self.inline(image) + caption, **({"id": image.id} if image.id else {}))
            case Paragraph(content):
                numbered = {"class": "numbered"} if body and self.number_paragraphs else {}
                return el("p", self.inlines(content), **numbered)
            case List(items, ordered, start):
                lis = "".join(el("li", self._item(item, phrasing)) for item in items)
                if not ordered:
                    return el("ul", lis)
                # WeasyPrint 70 ignores "start" (it reads no presentational hints): the counter
                # is reset by style; "start" stays for the HTML's other readers. Numbers of two
                # digits or more get the room they need, or they would stand in the margin.
                attrs = {"start": str(start)} if start != 1 else {}
                digits = len(str(start + len(items) - 1))
                style = [f"counter-reset: list-item {start - 1}"] * (start != 1)
                style += [f"padding-left: calc({digits + 1}ch + 0.2em)"] * (digits > 1)
                return el("ol", lis, **attrs, **({"style": "; ".join(style)} if style else {}))
            case Table(head, rows, aligns):
                fit = self.fits.of(node) if self.fits else None  # smaller, turned, broken: fit.py
                long = fit.long_cells if fit else frozenset()

                def cells(tag: str, row: tuple, r: int) -> str:
                    return "".join(
                        el(tag, self.inlines(cell), **_cell_class(aligns, c, (r, c) in long))
                        for c, cell in enumerate(row)
                    )

                thead = el("thead", el("tr", cells("th", head, 0))) if head else ""
                first = 1 if head else 0
                tbody = el("tbody", "".join(el("tr", cells("td", row, r)) for r, row in enumerate(rows, first)))
                look = " ".join(name for name in ("small", "landscape", "broken") if fit and getattr(fit, name))
                label = escape(caption_label(self.words, "table", node.number))
                caption = el("caption", label + self.inlines(node.caption)) if node.caption else ""
                attrs = ({"id": node.id} if node.id else {}) | ({"class": look} if look else {})
                return el("table", caption + thead + tbody, **attrs)
            case Quote(blocks):
                return el("blockquote", self.blocks(blocks, phrasing))
            case CodeBlock(text):
                return el("pre", escape(text.rstrip("\n")))
            case Rule():
                return el("hr", "")
            case Box(title=title, blocks=blocks, id=box_id):
                # The title is a heading one level below the section (a reader jumps to it),
                # but not an <hN>: it stays out of the bookmarks and the headings' look.
                level = min(self._level + 1, 6)
                heading = self.inlines(title) if title else escape(default_box_title(node, self.words))
                head = el("div", heading, **{"class": "box-title", "role": "heading",
                                             "aria-level": str(level)}) if heading else ""
                attrs = {"class": f"box {node.kind}"} | ({"id": box_id} if box_id else {})
                if node.numbered and (self.number_recommendations or isinstance(node, StyledBox)):
                    blocks = transforms.numbered_recommendations(node)
                return el("aside", head + self._nested(level, blocks, phrasing), **attrs)
            case Section(level, title, section_id, blocks, number):
                tag = f"h{min(level, 6)}"
                label = " ".join(x for x in (number, plain_text(title)) if x)
                num = el("span", escape(number), **{"class": "number"}) + " " if number else ""
                heading = el(tag, num + self.inlines(title), id=section_id, **{"data-bookmark": label})
                kind = "chapter" if level == 1 else f"level{level}"
                return el("section", heading + self._nested(level, blocks, phrasing, body=body and not node.annex),
                          **{"class": kind})
            case _:
                raise TypeError(f"html writer has no case for {type(node).__name__}")

    def _nested(self, level: int, blocks: tuple[Block, ...], phrasing: bool, body: bool = False) -> str:
        """``blocks`` under a heading of ``level`` (a section's, a box title's)."""
        outer, self._level = self._level, level
        try:
            return self.blocks(blocks, phrasing, body)
        finally:
            self._level = outer

    def _item(self, blocks: tuple[Block, ...], phrasing: bool) -> str:
        """A list item's content. Its first paragraph is written without ``<p>``: WeasyPrint
        tags an item's own text as the item's body, but a ``<p>`` as a paragraph beside it,
        which PDF/UA forbids in a list item (only a label and a body)."""
        match blocks:
            case (Paragraph(content=content), *rest) if not (len(content) == 1 and isinstance(content[0], Image)):
                return self.inlines(content) + self.blocks(tuple(rest), phrasing)
        return self.blocks(blocks, phrasing)

    def inlines(self, nodes: tuple[Inline, ...]) -> str:
        """Inlines in order."""
        return "".join(self.inline(node) for node in nodes)

    def inline(self, node: Inline) -> str:
        """One inline."""
        match node:
            case Text(text):
                return escape(text)
            case Emphasis(children):
                return f"<em>{self.inlines(children)}</em>"
            case Strong(children):
                return f"<strong>{self.inlines(children)}</strong>"
            case Code(text):
                return f"<code>{escape(text)}</code>"
            case LineBreak():
                return "<br>"
            case Link(children, url):
                # A link cannot hold a link: a note inside the link text is set after it.
                outer, self._in_link = self._in_link, True
                try:
                    text = self.inlines(children)
                finally:
                    self._in_link = outer
                if outer:
                    return text
                deferred, self._deferred = "".join(self._deferred), []
                return f'<a href="{escape(url)}">{text}</a>{deferred}'
            case Image(alt=alt, path=path):
                return f'<img src="{escape(self.url(Path(path)))}" alt="{escape(alt)}">'
            case Note(number=n, repeat=True):
                target = f"note-{n}" if self.notes == "footnotes" else f"endnote-{n}"
                return self._call(n, target)
            case Note(blocks=blocks, number=n) if self.notes == "footnotes":
                # The call is our own link showing the model's number; WeasyPrint's
                # ::footnote-call is emptied by the CSS, so its counter cannot drift.
                note = (
                    f'<span class="note" id="note-{n}" data-note="{n}">'
                    f"{self.blocks(blocks, phrasing=True)}</span>"
                )
                if self._in_link:
                    self._deferred.append(note)
                    return self._call(n, f"note-{n}", f"call-{n}")
                return self._call(n, f"note-{n}", f"call-{n}") + note
            case Note(number=n):
                return self._call(n, f"endnote-{n}", f"call-{n}")
            case _:
                raise TypeError(f"html writer has no case for {type(node).__name__}")

    def _call(self, number: int, target: str, anchor: str = "") -> str:
        """A note call: the number, linked to the note unless it stands in a link's text. It
        opens with a word joiner (U+2060, invisible): no line may begin with a call, even after
        a space, a full stop or a dash (where WeasyPrint would otherwise break)."""
        if self._in_link:
            return f'<span class="note-call">{WORD_JOINER}{number}</span>'
        ident = f' id="{anchor}"' if anchor else ""
        return f'<a class="note-call" href="#{target}"{ident}>{WORD_JOINER}{number}</a>'


    def summary(self, report: Report, kind: str = "recommendation") -> str:
        """The summary of recommendations (or of another numbered kind of box): each by
        number, linked to the box it stands in."""
        items = "".join(
            f'<li value="{item.number}"><a href="#{escape(item.box_id)}">{escape(item.text)}</a></li>'
            for item in transforms.box_items(report, kind)
        )
        return f'<ol class="summary">{items}</ol>'

    def endnotes(self, report: Report) -> str:
        """The Notes section: every note in number order, each linking back to its first call."""
        items = "".join(
            f'<li id="endnote-{n.number}" value="{n.number}" data-note="{n.number}">'
            f'<a class="note-back" href="#call-{n.number}">{n.number}.</a>'  # the number hangs (CSS)
            f"{self.blocks(n.blocks)}</li>"
            for n in sorted(transforms.notes(report), key=lambda n: n.number)
        )
        return f'<ol class="endnotes">{items}</ol>'


def _cell_class(aligns: tuple[str, ...], column: int, long: bool) -> dict[str, str]:
    """A cell's alignment, and "long" for a cell holding a string that may break anywhere."""
    align = aligns[column] if column < len(aligns) else ""
    names = " ".join(x for x in (f"align-{align}" if align else "", "long" if long else "") if x)
    return {"class": names} if names else {}


def _attrs(attrs: dict[str, str]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in attrs.items())


_VOID = {"hr", "br", "img"}


def _element(tag: str, body: str, **attrs: str) -> str:
    if tag in _VOID:
        return f"<{tag}{_attrs(attrs)}>"
    return f"<{tag}{_attrs(attrs)}>{body}</{tag}>"


def _phrasing_element(tag: str, body: str, **attrs: str) -> str:
    if tag == "span":
        return _element(tag, body, **attrs)
    classes = " ".join(x for x in (f"b-{tag}", attrs.pop("class", "")) if x)
    attrs.pop("start", None)
    return f'<span class="{classes}"{_attrs(attrs)}>{body}</span>'
