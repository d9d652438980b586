"""Whether each table fits the text column, decided before layout: one decision for ``check``,
the PDF and the DOCX.

WeasyPrint lays a table out no narrower than its longest unbreakable words (a column is as wide
as the widest in it), and a table wider than the text column runs past the page's edge, where
it is cut off. So before layout each cell's unbreakable runs are measured with the advance
widths of the style's bundled fonts (fontTools) at the theme's sizes, and the table's narrowest
layout is compared with the room it has. Kerning is left out: it moves a word by a fraction of
a point, mostly closer (a table comes out up to 1 % narrower than measured, "smart" quotes a
tenth of a point wider). A string wider than a quarter of the column (an address, an
identifier) may break anywhere in its cell, as long strings do in running text. A table that
is still too wide is, in this order: set in smaller type (``sizes.note``), turned to a
landscape page of its own (only a table in the body's flow: not one in a box, list, quotation
or note), and at last set with cells that break inside words. Each of these is a warning at
the table's line.

The measures of the "Tables and long strings" section of ``styles/default/report.css.j2`` are
repeated here (cell padding, rules, the indents of boxes and lists): keep them in step.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass, replace
from typing import NamedTuple

from .errors import Pos, Problem
from .model import (
    Block, Box, Cell, Code, Emphasis, GoodPractice, Image, Inline, LineBreak, Link, List, Note,
    Paragraph, Quote, Recommendation, Report, Section, Strong, Table, Text, iter_nodes,
)
from .themes import Settings, Theme

PAGE_SIZES = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
"""Portrait width and height of the papers ``page.size`` names, in points."""

TABLE_SIZE = 0.95
"""``table { font-size: 0.95em }``."""
CELL_PADDING = 0.8
"""``th, td { padding: 0.2em 0.4em }``: 0.4 em on each side of a cell's text."""
RULE = 0.5
"""``th, td { border: 0.5pt }``, collapsed: one rule between two columns and one at each side."""
NOTE_CELL_PADDING = 0.6
"""``.note .b-th, .note .b-td { padding: 0 0.3em }``: a footnote's table has no rules."""
CODE_SIZE = 0.9
"""``code { font-size: 0.9em }``."""
CALL_SIZE = 0.7
"""``.note-call { font-size: 0.7em }``."""
BOX_PADDING = 1.8
"""``aside.box { padding: … 0.9em }`` on both sides, in ems of the body text."""
LIST_INDENT = 1.4
"""``ul, ol { padding-left: 1.4em }``."""
QUOTE_INDENT = 1.5
"""``blockquote { margin-left: 1.5em }``."""
NOTE_INDENT = 1.8
"""``.note { padding-left: 1.8em }``, in ems of the notes' size."""
LONG = 0.25
"""A string wider than this share of the text column may break anywhere in its cell."""
UNKNOWN_WIDTH = 0.6
"""The advance, in ems, assumed for a character that no bundled font holds (1 em for wide,
East Asian characters): another font will draw it."""


# --- the decision ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """What stands around a table: the text it is set in and the room it has."""

    size: float
    """The type size of the text around it, in points."""
    indent: float = 0.0
    """The room boxes, lists, quotations and notes take from the text column, in points."""
    turnable: bool = True
    """It stands in the body's flow, so it may have a landscape page of its own."""
    framed: bool = True
    """Its cells have rules and padding and its header is bold (all but a footnote's tables)."""
    inside: str = "page"
    """What it must fit: "page", "box", "list", "quotation" or "note" (for the warning)."""


@dataclass(frozen=True)
class Fit:
    """How a table is set so that it fits the text column."""

    columns: int
    """Its number of columns."""
    size: float
    """The type size of its cells, in points."""
    small: bool = False
    """It is set in smaller type than tables usually are (``sizes.note``)."""
    landscape: bool = False
    """It stands on a landscape page of its own."""
    broken: bool = False
    """Even so it is too wide: any word in its cells may break."""
    long_cells: frozenset[tuple[int, int]] = frozenset()
    """(row, column) of the cells holding a string so long that it breaks where it must; row 0
    is the header row, when there is one."""
    narrowest: tuple[float, ...] = ()
    """Per column, in ems of ``size``: its widest unbreakable run (0 for a column of long cells)."""
    widest: tuple[float, ...] = ()
    """Per column, in ems of ``size``: its widest cell set on one line."""
    where: Where = Where(11.0)
    """What stands around it."""
    pos: Pos | None = None
    """The table's line."""

    def warning(self) -> Problem | None:
        """What ``check`` and ``build`` say about it: nothing for a table that fits as it is."""
        if not (self.small or self.landscape or self.broken):
            return None
        table = f"table of {self.columns} column{'s' if self.columns != 1 else ''}"
        inside = self.where.inside
        if self.broken:
            turned = "turned to a landscape page and " if self.landscape else ""
            smaller = "set in smaller type, " if self.small else ""
            where = "even for a landscape page" if self.landscape else f"for the {inside}"
            advice = "split it into narrower tables"
            if not self.where.turnable and inside != "note":
                advice += f", or move it out of the {inside} to let it turn to a landscape page"
            message = f"{table} is too wide {where}: {turned}{smaller}its words broken inside; {advice}"
        elif self.landscape:
            message = f"{table} is too wide for the page: turned to a landscape page" + (
                " and set in smaller type" if self.small else "")
        else:
            message = f"{table} is too wide for the {inside}: set in smaller type"
        return Problem(message, self.pos, warning=True)

    @property
    def narrowest_width(self) -> float:
        """The width of its narrowest layout, in points (what must fit the room it has)."""
        return _needs(self.narrowest, self.size, self.where)

    @property
    def padding(self) -> float:
        """The room beside a cell's text, both sides together, in points."""
        return (CELL_PADDING if self.where.framed else NOTE_CELL_PADDING) * self.size

    def widths(self, room: float, padding: float) -> list[float]:
        """Column widths in points filling ``room``, each cell with ``padding`` beside its text:
        as CSS lays out a table of automatic layout, every column at least as wide as its
        longest word, and the space left shared by how much text each holds. A table too wide
        even so (``broken``) has its narrowest widths scaled down to the room."""
        low = [w * self.size + padding for w in self.narrowest]
        high = [max(w * self.size + padding, lo) for w, lo in zip(self.widest, low)]
        if not low:
            return []
        if sum(high) <= room:
            return [room * h / sum(high) for h in high]
        if sum(low) < room:
            share = (room - sum(low)) / (sum(high) - sum(low))
            return [lo + (h - lo) * share for lo, h in zip(low, high)]
        return [room * lo / sum(low) if sum(low) else room / len(low) for lo in low]


class Fits:
    """The fit of every table of a report in a style, found by walking the report as the PDF
    sets it (what surrounds each table decides its room)."""

    def __init__(self, report: Report, theme: Theme):
        self.settings = theme.settings
        self.metrics = _metrics(theme.faces, self.settings.fonts.body, self.settings.fonts.mono)
        self.by_pos: dict[Pos, Fit] = {}
        """Each table's fit, by the table's position."""
        self.paths = [chapter.path for chapter in report.chapters]
        body = Where(float(self.settings.sizes.body))
        self.note_where = _note_where(self.settings, report.meta.notes)
        for chapter in report.chapters:
            self._blocks(chapter.blocks, body)

    def of(self, table: Table) -> Fit:
        """The fit of ``table`` (a table the report does not hold is taken to stand in the body)."""
        found = self.by_pos.get(table.pos) if table.pos is not None else None
        return found or self.fit(table, Where(float(self.settings.sizes.body)))

    def warnings(self) -> list[Problem]:
        """A warning for each table that had to be shrunk, turned or broken, in reading order."""
        order = {path: i for i, path in enumerate(self.paths)}  # a note's table: where it is defined
        fits = sorted(self.by_pos.values(), key=lambda f: (order.get(f.pos.path, len(order)), f.pos.line))
        return [w for fit in fits if (w := fit.warning()) is not None]

    def text_width(self, landscape: bool = False) -> float:
        """The width of the text column in points, on a portrait or a landscape page."""
        page = self.settings.page
        width, height = PAGE_SIZES[page.size.lower()]
        margins = (page.margin_inside.emu + page.margin_outside.emu) / 12700
        return (height if landscape else width) - margins

    def fit(self, table: Table, where: Where) -> Fit:
        """How ``table`` is set where it stands (see the module's docstring)."""
        rows = ([table.head] if table.head else []) + list(table.rows)
        columns = max((len(r) for r in rows), default=0)
        headed = bool(table.head) and where.framed
        cells = [[self.metrics.cell(cell, bold=headed and r == 0) for cell in row]
                 for r, row in enumerate(rows)]
        normal = where.size * (TABLE_SIZE if where.framed else 1.0)
        long_limit = LONG * self.text_width()

        def columns_em(long: frozenset[tuple[int, int]]) -> tuple[tuple[float, ...], tuple[float, ...]]:
            narrowest, widest = [0.0] * columns, [0.0] * columns
            for r, row in enumerate(cells):
                for c, (run, line) in enumerate(row):
                    narrowest[c] = max(narrowest[c], 0.0 if (r, c) in long else run)
                    widest[c] = max(widest[c], line)
            return tuple(narrowest), tuple(widest)

        base = Fit(columns, normal, where=where, pos=table.pos)
        narrowest, widest = columns_em(frozenset())
        room = self.text_width() - where.indent
        if _needs(narrowest, normal, where) <= room:
            return replace(base, narrowest=narrowest, widest=widest)
        long = frozenset((r, c) for r, row in enumerate(cells) for c, (run, _) in enumerate(row)
                         if run * normal > long_limit)
        narrowest, widest = columns_em(long)
        small = float(self.settings.sizes.note)
        sizes = [normal] + ([small] if small < normal else [])
        turns = [False] + ([True] if where.turnable else [])
        base = replace(base, long_cells=long, narrowest=narrowest, widest=widest)
        for landscape in turns:
            for size in sizes:
                if _needs(narrowest, size, where) <= self.text_width(landscape) - where.indent:
                    return replace(base, size=size, small=size != normal, landscape=landscape)
        return replace(base, size=sizes[-1], small=len(sizes) > 1, landscape=turns[-1], broken=True)

    # -- the walk: what surrounds each table ----------------------------------------------

    def _blocks(self, blocks: tuple[Block, ...], where: Where) -> None:
        body = float(self.settings.sizes.body)
        for node in blocks:
            match node:
                case Table():
                    if node.pos is not None:
                        self.by_pos[node.pos] = self.fit(node, where)
                    self._notes((node.head, node.rows))
                case Section(title=title, blocks=inner):
                    self._notes(title)
                    self._blocks(inner, where)
                case Box(title=title, blocks=inner):
                    self._notes(title)
                    rule = 4.0 if isinstance(node, (Recommendation, GoodPractice)) else 1.0
                    self._blocks(inner, _inside(where, "box", rule + 1.0 + BOX_PADDING * body))
                case List(items=items):
                    for item in items:
                        self._blocks(item, _inside(where, "list", LIST_INDENT * body))
                case Quote(blocks=inner):
                    self._blocks(inner, _inside(where, "quotation", QUOTE_INDENT * body))
                case Paragraph(content=content):
                    self._notes(content)

    def _notes(self, inlines: object) -> None:
        for node in iter_nodes(inlines):
            if isinstance(node, Note):
                self._blocks(node.blocks, self.note_where)


def _needs(narrowest: tuple[float, ...], size: float, where: Where) -> float:
    """The narrowest width of a table whose columns' longest runs are ``narrowest`` (ems), set
    at ``size`` points: text, padding, rules."""
    if not where.framed:
        return sum((w + NOTE_CELL_PADDING) * size for w in narrowest)
    return sum((w + CELL_PADDING) * size for w in narrowest) + RULE * (len(narrowest) + 1)


def _inside(where: Where, what: str, indent: float) -> Where:
    """``where`` one container further in: the innermost names the warning, none may turn."""
    return replace(where, indent=where.indent + indent, turnable=False, inside=what)


def _note_where(settings: Settings, placement: str) -> Where:
    """Where a note's tables stand: in a footnote (its size, its hanging number's indent, no
    rules) or in the Notes section (``ol.endnotes { font-size: sizes.note + 1 }``)."""
    note = float(settings.sizes.note)
    if placement == "footnotes":
        return Where(note, NOTE_INDENT * note, turnable=False, framed=False, inside="note")
    return Where(note + 1, turnable=False, inside="note")


# --- measuring text -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Font:
    """The advance widths of one font file, in ems."""

    advances: dict[int, float]
    """Code point → advance width in ems."""

    def width(self, char: str) -> float:
        known = self.advances.get(ord(char))
        if known is not None:
            return known
        return 1.0 if unicodedata.east_asian_width(char) in "WF" else UNKNOWN_WIDTH


@functools.lru_cache(maxsize=16)
def _font(path: str | None) -> _Font:
    """The font file's advance widths (an empty font, measuring by ``UNKNOWN_WIDTH``, for None)."""
    if path is None:
        return _Font({})
    from fontTools.ttLib import TTFont  # WeasyPrint depends on fontTools already

    # fontTools warns, when it reads the "head" table, of a font's odd creation date.
    logging.getLogger("fontTools.ttLib.tables._h_e_a_d").setLevel(logging.ERROR)
    with TTFont(path, lazy=True) as font:
        per_em = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap() or {}
        return _Font({code: metrics[glyph][0] / per_em for code, glyph in cmap.items() if glyph in metrics})


_BREAK_AFTER = set("/?!\u2013\u2014\u00ad\u200b")
"""Characters after which a line may break (as Pango breaks: UAX #14), even before a digit."""
_HYPHENS = set("-\u2010")
"""Hyphens: a line may break after one, but not before a digit ("2013-2016" holds)."""
_SPACES = set(" \t\n\u3000\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f")
"""Spaces a line breaks at (not the no-break ones: U+00A0, U+2007, U+202F)."""


class _Char(NamedTuple):
    """One character of a cell, as measured."""

    char: str
    advance: float
    """Its advance width, in ems of the cell's type size."""
    anywhere: bool
    """A line may break after it (in a link: ``overflow-wrap: anywhere``)."""
    inline: int
    """The inline node it belongs to (its id)."""
    blank: bool = False
    """That node's text is all spaces."""


@dataclass(frozen=True)
class _Metrics:
    """The fonts a table's text is set in: the body family's faces, and the code font."""

    faces: dict[tuple[bool, bool], str | None]
    """(bold, italic) → the font file (read when first needed)."""
    mono: str | None
    """The code font's file."""

    def cell(self, cell: Cell, bold: bool = False) -> tuple[float, float]:
        """A cell's widest unbreakable run and its widest line set unbroken, in ems."""
        chars: list[_Char] = []
        self._inlines(cell, bold, False, False, chars)
        longest = line = run = width = 0.0
        for i, (char, advance, anywhere, inline, blank) in enumerate(chars):
            following = chars[i + 1].char if i + 1 < len(chars) else " "
            if char == "\n":
                line, width, run = max(line, width), 0.0, 0.0
                continue
            width += advance
            if char in _SPACES:
                if run and blank and chars[i - 1].inline != inline:
                    # WeasyPrint counts a space standing alone between two inlines ("`code`
                    # *emphasis*") into the width of the word before it.
                    longest = max(longest, run + advance)
                run = 0.0
                continue
            run += advance
            longest = max(longest, run)
            if (anywhere or char in _BREAK_AFTER or (char in _HYPHENS and not following.isdigit())
                    or _wide(char) or _wide(following)):
                run = 0.0
        return longest, max(line, width)

    def _inlines(self, nodes: tuple[Inline, ...], bold: bool, italic: bool, anywhere: bool,
                 out: list[_Char]) -> None:
        for node in nodes:
            inline = id(node)
            match node:
                case Text(text):
                    font, blank = _font(self.faces[(bold, italic)]), not text.strip()
                    out += [_Char(ch, font.width(ch), anywhere, inline, blank) for ch in text]
                case Code(text):
                    mono = _font(self.mono)
                    out += [_Char(ch, mono.width(ch) * CODE_SIZE, anywhere, inline) for ch in text]
                case Emphasis(children):
                    self._inlines(children, bold, True, anywhere, out)
                case Strong(children):
                    self._inlines(children, True, italic, anywhere, out)
                case Link(children, url):
                    # a[href^="http"], a[href^="mailto"] { overflow-wrap: anywhere }
                    self._inlines(children, bold, italic, anywhere or url.startswith(("http", "mailto")), out)
                case Note(number=number):
                    font = _font(self.faces[(False, False)])
                    out += [_Char(ch, font.width(ch) * CALL_SIZE, anywhere, inline) for ch in str(number)]
                case LineBreak():
                    out.append(_Char("\n", 0.0, anywhere, inline))
                case Image():
                    pass  # th img, td img { max-width: 100% }: a picture shrinks to its column


def _wide(char: str) -> bool:
    """A Chinese, Japanese or Korean character: a line may break on either side of it."""
    return unicodedata.east_asian_width(char) in "WF" and not char.isspace()


def _metrics(faces: tuple, body: str, mono: str) -> _Metrics:
    """The fonts of the style's family ``body`` (each of bold and italic, or the nearest face)
    and of ``mono``, from the style's bundled faces."""

    def pick(family: str, bold: bool, italic: bool) -> str | None:
        found = [f for f in faces if f.family == family]
        if not found:
            return None
        best = min(found, key=lambda f: (f.italic != italic, abs(f.weight - (700 if bold else 400))))
        return str(best.path)

    return _Metrics({(b, i): pick(body, b, i) for b in (False, True) for i in (False, True)},
                    pick(mono, False, False))


def table_warnings(report: Report, theme: Theme) -> list[Problem]:
    """The warnings of ``check`` and ``build`` about tables too wide for the page."""
    return Fits(report, theme).warnings()
