"""The document model: frozen dataclasses for a report, plus walk(), iter_nodes() and dump().

Everything else depends on this module; it depends on nothing but the standard library and
``errors.Pos``. Parsing builds these nodes, transforms return new trees, writers read them.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar, Iterator, Union

from .errors import Pos


def located() -> Any:
    """A source position: shown in errors, ignored by ==, so golden trees stay short."""
    return field(default=None, compare=False, repr=False)


# --- inlines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Plain text."""

    text: str
    """The characters, Markdown escapes already resolved."""


@dataclass(frozen=True)
class Emphasis:
    """Emphasised (italic) text."""

    children: tuple[Inline, ...]
    """What is emphasised."""


@dataclass(frozen=True)
class Strong:
    """Strongly emphasised (bold) text."""

    children: tuple[Inline, ...]
    """What is strong."""


@dataclass(frozen=True)
class Code:
    """Inline code, shown in a monospaced font."""

    text: str
    """The literal code."""


@dataclass(frozen=True)
class LineBreak:
    """A hard line break inside a paragraph (two spaces or a backslash at line end)."""


@dataclass(frozen=True)
class Link:
    """A hyperlink: external (``https://…``, ``mailto:``) or to a section (``#id``)."""

    children: tuple[Inline, ...]
    """The link text. A cross-reference (``[](#id)``, no text) gets the target's number and
    title from ``xrefs.resolve_xrefs``."""
    url: str
    """The target as written (autolinks are links whose text is the URL)."""


@dataclass(frozen=True)
class Image:
    """An image. A paragraph holding only an image is shown as a figure with its caption."""

    src: str
    """The path as written in the source, relative to the report folder."""
    alt: str
    """The alternative text: what the image shows, for readers who cannot see it."""
    path: str = ""
    """The resolved absolute path of the file, checked to lie inside the report."""
    title: str = ""
    """The caption when it says something else than the alt text (Markdown's title,
    ``![alt](img.png "Caption")``); empty: the alt text is the caption too."""
    id: str = ""
    """A figure's anchor: the author's ``![alt](img.png){#fig-name}``, else (for the list of
    figures) one the transforms give (``fig-1``…)."""
    number: int = 0
    """A figure's number (1, 2…) when report.toml asks for numbered captions; set by
    ``xrefs.number_captions``."""

    @property
    def caption(self) -> str:
        """The text set under the figure."""
        return self.title or self.alt


@dataclass(frozen=True)
class Note:
    """A footnote or endnote. The inline *is* the call; its text lives here (Pandoc's ``Note``)."""

    id: str
    """The author's label, as in ``[^id]``."""
    blocks: tuple[Block, ...]
    """The note's text (paragraphs, lists)."""
    number: int = 0
    """1, 2, 3… in order of first call across the report; set by ``transforms.number_notes``."""
    repeat: bool = False
    """True for the second and later calls of one note: writers show the number only."""
    pos: Pos | None = located()


@dataclass(frozen=True)
class Citation:
    """A citation of a source in a note: ``[@tip2013]``, ``[@tip2013, p. 12]`` (each of
    ``[@tip2013; @unfpa2012]``, with a ``Text("; ")`` between them). The parser puts
    one written in body text into a note of its own; ``citations.cite_sources`` replaces each by
    the source's full form, "Ibid." or its short form, before the writers see it."""

    source: str
    """The source's id, as in the report's sources file."""
    locator: str = ""
    """Where in the source, as written after the comma ("p. 12", "para. 4"); "" for none."""
    pos: Pos | None = located()


Inline = Union[Text, Emphasis, Strong, Code, LineBreak, Link, Image, Note, Citation]


# --- blocks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of running text."""

    content: tuple[Inline, ...]
    """Its inline content."""
    pos: Pos | None = located()


@dataclass(frozen=True)
class List:
    """A bullet or numbered list; each item is a sequence of blocks."""

    items: tuple[tuple[Block, ...], ...]
    """The items, each a tuple of blocks (usually one paragraph)."""
    ordered: bool = False
    """True for a numbered list."""
    start: int = 1
    """The number of the first item of a numbered list."""
    pos: Pos | None = located()


Cell = tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    """A table with one header row."""

    head: tuple[Cell, ...]
    """The header cells."""
    rows: tuple[tuple[Cell, ...], ...]
    """The body rows."""
    aligns: tuple[str, ...] = ()
    """Per column: "", "left", "center" or "right"."""
    caption: tuple[Inline, ...] = ()
    """The caption, from a paragraph ``Table: Caption`` (or ``: Caption``) right before or
    after the table, as in Pandoc; shown above the table."""
    id: str = ""
    """The anchor of a captioned table: the author's ``{#tbl-name}`` at the end of the
    caption, else (for the list of tables) one the transforms give (``tbl-1``…)."""
    number: int = 0
    """Its number (1, 2…) when report.toml asks for numbered captions; set by
    ``xrefs.number_captions``."""
    pos: Pos | None = located()


@dataclass(frozen=True)
class Quote:
    """A block quotation."""

    blocks: tuple[Block, ...]
    """What is quoted."""
    pos: Pos | None = located()


@dataclass(frozen=True)
class CodeBlock:
    """Preformatted text, kept line by line."""

    text: str
    """The literal text."""
    pos: Pos | None = located()


@dataclass(frozen=True)
class Rule:
    """A thematic break (a horizontal line)."""

    pos: Pos | None = located()


@dataclass(frozen=True)
class Box:
    """A boxed block. Writers treat every kind alike; the look comes from the style by ``kind``."""

    kind: ClassVar[str] = "box"
    title: tuple[Inline, ...]
    """The title as written after the kind (may be empty, and may hold a note)."""
    blocks: tuple[Block, ...]
    """The content: paragraphs, lists, tables."""
    id: str = ""
    """An anchor for links to this box: the author's ``{#name}`` at the end of its first
    line, else one the transforms give (``rec-7``, ``gp-1``, ``box-2``)."""
    pos: Pos | None = located()

    @property
    def numbered(self) -> bool:
        """Whether each paragraph or list item in it is numbered across the report, from ``number``."""
        return False


@dataclass(frozen=True)
class Recommendation(Box):
    """A recommendation box: each paragraph or list item in it is one recommendation."""

    kind: ClassVar[str] = "recommendation"
    number: int = 0
    """The number of its first recommendation, counted across the report (1, 2, 3…)."""

    @property
    def numbered(self) -> bool:
        """Recommendations are always counted (``number_recommendations`` prints the numbers)."""
        return True


@dataclass(frozen=True)
class GoodPractice(Box):
    """A good-practice example."""

    kind: ClassVar[str] = "good-practice"


@dataclass(frozen=True)
class StyledBox(Box):
    """A box of a kind the style defines (``[boxes.NAME]`` in theme.toml: "question",
    "testimony"…); every such kind is this one node, told apart by ``kind``."""

    name: str = "box"
    """The kind as written after ``:::`` (``kind`` gives it, as for every box)."""
    label: str = ""
    """The kind's label in the report's language: the title when the author gives none."""
    numbered: bool = False
    """Whether each paragraph or list item in it is numbered across the report (a count for
    each kind), as the style says."""
    number: int = 0
    """The number of its first item, when ``numbered``; set by ``transforms.number_boxes``."""

    @property
    def kind(self) -> str:  # type: ignore[override]
        """The kind as written after ``:::``."""
        return self.name


BOX_KINDS: dict[str, type[Box]] = {cls.kind: cls for cls in (Recommendation, GoodPractice, Box)}


@dataclass(frozen=True)
class Section:
    """A heading with everything under it; subsections nest inside ``blocks``."""

    level: int
    """1 for a chapter (``#``), 2 for a section, 3 for a subsection…"""
    title: tuple[Inline, ...]
    """The heading text."""
    id: str
    """A stable anchor: a slug of the title, or the author's ``{#id}``; unique in the report."""
    blocks: tuple[Block, ...]
    """The content, subsections included."""
    number: str = ""
    """"2.2.1" when the report numbers its headings; set by ``transforms.number_headings``."""
    numbered: bool = True
    """False for a heading marked ``{-}``: it gets no number (nor do its subsections), and
    the count goes on without it."""
    annex: bool = False
    """True for a heading marked ``{.annex}`` and everything under it: left out of the word
    count and of paragraph numbering, as treaty bodies leave annexes out of their limits."""
    summary: bool = False
    """True for a heading marked ``{.summary}``: the report's executive summary (in English, for a
    report in a language treaty bodies do not work in)."""
    pos: Pos | None = located()


Block = Union[Paragraph, List, Table, Quote, CodeBlock, Rule, Box, Section]


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    """An organisation the report was written with, shown on the cover."""

    name: str
    """Its name."""
    description: str = ""
    """One line on who it is."""
    logo: str = ""
    """Absolute path of its logo, if any."""


@dataclass(frozen=True)
class Metadata:
    """Everything ``report.toml`` says (see ``manifest.py`` for the fields' defaults)."""

    title: str
    """The report's title (required)."""
    subtitle: str = ""
    """A line under the title."""
    authors: tuple[str, ...] = ()
    """The organisations or people who wrote it."""
    partners: tuple[Partner, ...] = ()
    """Organisations it was written in collaboration with."""
    date: str = ""
    """The date shown on the cover, as written ("July 2013")."""
    created: str = ""
    """ISO date-time stamped into the outputs' metadata (fixed, so rebuilds are identical)."""
    language: str = "en"
    """BCP 47 language tag of the text ("en", "fr", "es", "ru")."""
    country: str = ""
    """The country the report is about."""
    treaty: str = ""
    """The treaty or review the report addresses."""
    articles: tuple[str, ...] = ()
    """The articles it covers."""
    keywords: tuple[str, ...] = ()
    """Extra keywords for the outputs' metadata."""
    logos: tuple[str, ...] = ()
    """Absolute paths of the cover logos."""
    style: str = "default"
    """The style to build with."""
    confidentiality: str = "public"
    """"public" (treaty bodies publish alternative reports) or "confidential": the report asks
    not to be published, and says so on its cover, in its footers and in its properties."""
    notes: str = "footnotes"
    """"footnotes" (at the foot of the page) or "endnotes" (in a Notes section)."""
    number_headings: bool = False
    """Number headings automatically (1, 2.2, 2.2.1)."""
    number_paragraphs: bool = False
    """Number body paragraphs 1, 2, 3… (not in boxes, notes or lists); UPR submissions ask for it."""
    recommendations_summary: bool = False
    """Add a "Summary of recommendations" annex listing every recommendation, linked to its box."""
    number_recommendations: bool = False
    """Print each recommendation's number (as ``reportkit recommendations`` lists it) in its box."""
    number_captions: bool = False
    """Number the captions of tables and figures: "Table 1: …", "Figure 2: …"."""
    list_of_tables: bool = False
    """Add a list of the captioned tables after the contents."""
    list_of_figures: bool = False
    """Add a list of the figures after the contents."""
    toc_depth: int = 2
    """Heading levels listed in the table of contents (0 for no contents page)."""
    word_limit: int = 0
    """The submission's word limit; 0 for none."""
    count_notes: bool = True
    """Whether notes count towards the word limit."""
    source_map: bool = True
    """Whether the DOCX carries its source map (``reportkit review`` reads it); false for the
    final file sent to the treaty body."""
    chapters: tuple[str, ...] = ()
    """The chapter files, in order, relative to the report folder."""


@dataclass(frozen=True)
class Chapter:
    """One chapter file."""

    path: str
    """The file, as named in errors."""
    blocks: tuple[Block, ...]
    """Its content: usually one level-1 Section."""


@dataclass(frozen=True)
class Report:
    """A whole report: metadata and chapters in order."""

    meta: Metadata
    """What report.toml says."""
    chapters: tuple[Chapter, ...]
    """The chapters in the order report.toml lists them."""
    root: str = ""
    """The report folder (absolute)."""


Node = Any


# --- traversal -----------------------------------------------------------------------------


def _children_fields(node: Node) -> tuple[dataclasses.Field, ...]:
    """A dataclass's fields but ``pos`` and ``meta``."""
    return _fields_of(type(node))


@functools.cache
def _fields_of(cls: type) -> tuple[dataclasses.Field, ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.name not in ("pos", "meta"))


@functools.cache
def _child_names(cls: type) -> tuple[str, ...] | None:
    """The fields of a node class that may hold nodes; None for a class that is not a node."""
    if not dataclasses.is_dataclass(cls) or issubclass(cls, (Metadata, Partner)):
        return None
    return tuple(f.name for f in _fields_of(cls))


def walk(node: Node, fn: Callable[[Node], Node]) -> Node:
    """Rebuild ``node`` bottom-up, replacing every node ``x`` by ``fn(x)`` (Pandoc's walk)."""
    if isinstance(node, tuple):
        new = [walk(x, fn) for x in node]
        return node if all(a is b for a, b in zip(new, node)) else tuple(new)
    names = _child_names(type(node))
    if names is None:
        return node
    changes = {}
    for name in names:
        value = getattr(node, name)
        if isinstance(value, tuple) or _child_names(type(value)) is not None:
            new = walk(value, fn)
            if new is not value:
                changes[name] = new
    return fn(replace(node, **changes) if changes else node)


def iter_nodes(node: Node) -> Iterator[Node]:
    """Yield ``node`` and every node inside it, in reading order (pre-order; Pandoc's query)."""
    todo = [node]
    while todo:
        x = todo.pop()
        if isinstance(x, tuple):
            todo.extend(reversed(x))
            continue
        names = _child_names(type(x))
        if names is not None:
            yield x
            todo.extend(getattr(x, name) for name in reversed(names))


def plain_text(node: Node, notes: bool = False) -> str:
    """The text of a node or tuple of inlines as a reader sees it; notes left out unless asked."""
    parts: list[str] = []

    def visit(x: Node) -> None:
        match x:
            case tuple():
                for y in x:
                    visit(y)
            case Text(text) | Code(text):
                parts.append(text)
            case LineBreak():
                parts.append("\n")
            case Image(alt=alt):
                parts.append(alt)
            case Note(blocks=blocks):
                if notes:
                    visit(blocks)
            case Emphasis(children) | Strong(children) | Link(children):
                visit(children)
            case Paragraph(content):
                parts.append("\n" if parts else "")
                visit(content)
            case _ if dataclasses.is_dataclass(x):
                for f in _children_fields(x):
                    visit(getattr(x, f.name))

    visit(node)
    return "".join(parts).strip()


def dump(node: Node, indent: int = 0) -> str:
    """An indented text form of a tree, for golden files (Pandoc's ``-t native``)."""
    pad = "  " * indent
    if isinstance(node, tuple):  # nested tuples (list items, table rows and cells) get a "-"
        lines = []
        for x in node:
            if isinstance(x, tuple):
                lines += [pad + "-", dump(x, indent + 1)]
            else:
                lines.append(dump(x, indent))
        return "\n".join(line for line in lines if line)
    if not dataclasses.is_dataclass(node):
        return pad + repr(node)
    name = type(node).__name__
    simple, nested = [], []
    for f in _children_fields(node):
        value = getattr(node, f.name)
        if isinstance(value, tuple) and value and (
            dataclasses.is_dataclass(value[0]) or isinstance(value[0], tuple)
        ):
            nested.append((f.name, value))
        elif f.name == "text" or (value != f.default if f.default is not dataclasses.MISSING
                                  else value not in ("", (), None)):
            simple.append(f"{f.name}={value!r}")
    lines = [f"{pad}{name}({', '.join(simple)})"]
    for fname, value in nested:
        lines += [f"{pad}  {fname}:", dump(value, indent + 2)]
    return "\n".join(lines)
