"""pandoc's document tree → reportkit's sources: chapters of blocks, notes, boxes, cover data.

One ``match`` per pandoc node type turns blocks and inlines into reportkit's model
(``model.py``), each body block keeping its Word style and the XML's facts (``docx_extras``).
Passes over the body then do what pandoc cannot: take the cover data out, drop the contents,
find boxes (reportkit's own box styles, framed paragraphs, one-cell tables, text boxes, a bold
"Recommendations:" label followed by what it labels), take headings formatted by hand, settle
heading levels and numbers, and cut the chapters.
"""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from ..labels import CATALOGUES
from ..model import (
    BOX_KINDS, Block, Box, Code, CodeBlock, Emphasis, Image, Inline, LineBreak, Link, List,
    Note, Paragraph, Quote, Recommendation, Rule, Strong, Table, Text, iter_nodes, plain_text,
)
from ..parse import REFUSED_SCHEMES, _slug, is_svg
from .docx_extras import MARKER, Extras, ParaFacts


@dataclass(frozen=True)
class Heading:
    """A heading, flat among its chapter's blocks (chapters are written heading by heading)."""

    level: int
    """1 for a chapter, 2 for a section…"""
    title: tuple[Inline, ...]
    """The heading text, without the number it carried."""
    numbered: bool = True
    """False: written with ``{-}`` (the report numbers headings, this one had no number)."""


@dataclass(frozen=True)
class Comment:
    """A Word comment, kept in the text where it stood as ``<!-- comment, Author: text -->``."""

    author: str
    """Who wrote it."""
    text: str
    """What it says, on one line."""


@dataclass
class Item:
    """A body block with what decides its place: its Word style and what the XML says of it."""

    node: Any
    """A model block, a ``Heading``, or None for a one-cell table (``cell``)."""
    style: str = ""
    """Its paragraph style's name, lower case ("" for the default style)."""
    facts: ParaFacts | None = None
    """The XML's facts about its (first) paragraph."""
    number: str = ""
    """For a heading: the number typed in front of its text ("2.1"), or "#" when Word numbered it."""
    bare: tuple[Inline, ...] = ()
    """For a heading with a typed number: its title without the number."""
    guessed: str = ""
    """Why a paragraph was taken as a heading, when no heading style said so."""
    anchor: str = ""
    """For a heading: pandoc's id of it, which the document's links point to."""
    cell: list[Item] | None = None
    """A one-cell table's content: a frame drawn round a box."""
    separator: bool = False
    """An empty paragraph between two framed ones: the gap between two boxes."""
    flags: list[str] = field(default_factory=list)
    """What the author should look at in this block."""


@dataclass
class Mapped:
    """A Word document as reportkit sources, before they are written."""

    meta: dict[str, Any]
    """report.toml's fields, in the order written."""
    partners: list[dict[str, str]]
    """``[[partners]]`` blocks: name, description, logo."""
    chapters: list[tuple[str, list[Any]]]
    """(file name, blocks and headings) of each chapter."""
    images: dict[str, bytes]
    """Files to write (``assets/image1.png``) → their bytes."""
    flags: list[tuple[Any, str]]
    """(block, message): what the author should look at, placed at the block's line."""
    problems: list[str]
    """What the author should look at that has no place in a chapter."""


BOX_STYLES = {"recommendation": "recommendation", "good practice": "good-practice", "box": "box"}
"""reportkit's box styles (lower case) → box kind; "<style> title" and "<style> list" go with them."""

COVER_STYLES = ("cover author", "cover label", "cover partner", "cover partner description", "cover date",
                "cover logo", "author", "date")
DROPPED_STYLES = re.compile(r"(toc \d|toc heading|contents \d|table of figures|recommendation summary|header|footer)")
QUOTE_STYLES = ("quote", "intense quote")
CODE_STYLES = ("code", "verbatim char", "html code", "source code")
"""Character styles of inline code (reportkit's, pandoc's, Word's)."""

_NUMBER = re.compile(r"^\s*((?:\d{1,2}\.)*\d{1,2}\.?|[IVXLC]{1,6}\.)(?=\s+\S)\s+")
"""A number typed before a heading's text: "2", "2.1", "2.1.", "II."."""
ROMANS = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
          "XVI", "XVII", "XVIII", "XIX", "XX"}
"""Roman numerals that number chapters ("II. General measures")."""
_ENTRY = re.compile(r".*\S(\t|\.{3,}|…{2,}|\s{3,})\s*\d{1,4}\s*$")
"""A line of a contents page typed by hand: a title, a tab or dot leaders, a page number."""
_STOP = set("a an and the of in on for to with by at from or is are be de la le les des et du el los las y en "
            "и в во на по о об для с со к из от".split())
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split()))


def _words(key: str) -> set[str]:
    """A fixed word in every language reportkit knows, lower case."""
    return {c[key].lower() for c in CATALOGUES.values() if key in c}


LABEL = re.compile(r"^\s*(" + "|".join(sorted(map(re.escape, _words("recommendation") | _words("recommendations")),
                                           key=len, reverse=True)) + r")\s*(:|$)", re.I)
"""A "Recommendation:" or "Recommendations:" label, in any language reportkit knows."""
GOOD_PRACTICE = re.compile(r"^\s*(" + "|".join(map(re.escape, _words("good_practice") | {"good practice"})) + ")", re.I)
CONTENTS = _words("contents") | {"table of contents", "contents"}


class Mapper:
    """Converts one pandoc tree; one ``match`` for blocks, one for inlines."""

    def __init__(self, tree: dict, extras: Extras, name: str, comments: bool = True):
        self.tree = tree
        self.name = name
        """The file's name without its extension: the title of a document without one."""
        self.extras = extras
        self.keep_comments = comments
        self.language = extras.language
        self.images: dict[str, bytes] = {}
        self.image_names: dict[str, str] = {}
        self.labels: list[str] = []
        self.used_labels: set[str] = set()
        self.pending: list[str] = []
        self.facts_found: ParaFacts | None = None
        self.header_ids: set[str] = set()
        self.in_note = False
        self.summary = False
        """Whether the document had reportkit's summary of recommendations."""
        self.problems: list[str] = []
        self.ours = extras.application == "reportkit"
        """Whether reportkit wrote the file (and Word did not save it since): its styles say all."""
        _scan(tree.get("blocks", []), self.header_ids)

    # --- the whole document --------------------------------------------------------------

    def map(self) -> Mapped:
        meta, partners = self.cover_meta()
        items = self.blocks(self.tree.get("blocks", []))
        items = self.styled(items)
        items = self.cover(items, meta, partners)
        items = self.contents(items)
        items = self.boxes(items)
        items = self.headings(items)
        chapters = self.chapters(items, meta)
        notes = "endnotes" if self.extras.endnotes > self.extras.footnotes else "footnotes"
        if self.extras.endnotes and self.extras.footnotes:
            other = min(self.extras.endnotes, self.extras.footnotes)
            self.problems.append(f"the document has both footnotes and endnotes: the {other} "
                                 f"{'footnotes' if notes == 'endnotes' else 'endnotes'} became {notes} like the rest")
        meta["notes"] = notes
        if self.extras.toc_depth or self.ours:
            meta["toc_depth"] = self.extras.toc_depth or 0  # reportkit writes a contents field unless told not to
        flags = []
        for _, blocks in chapters:
            for item in blocks:
                flags += [(item.node, message) for message in dict.fromkeys(item.flags + _comments_kept(item.node))]
        return Mapped(meta, partners, [(name, [b.node for b in blocks]) for name, blocks in chapters],
                      self.images, flags, self.problems)

    def cover_meta(self) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """Title, subtitle, authors and date from pandoc's metadata (Word's Title, Subtitle,
        Author and Date styles), else the document's properties."""
        meta: dict[str, Any] = {}
        found = self.tree.get("meta", {})
        title = _one_line(self.meta_text(found.get("title"))) or _one_line(self.extras.core.get("title", ""))
        if not title:
            words = " ".join(self.name.replace("_", " ").replace("-", " ").split())
            title = words[:1].upper() + words[1:]
            self.problems.append("no title found (no Title style, no document title): the file's name stands in for it")
        meta["title"] = title
        subtitle = _one_line(self.meta_text(found.get("subtitle")))
        if subtitle:
            meta["subtitle"] = subtitle
        authors = found.get("author")
        names = [self.meta_text(a) for a in authors["c"]] if authors and authors["t"] == "MetaList" else \
            [self.meta_text(authors)] if authors else []
        meta["authors"] = [_one_line(n) for n in names if n.strip()]
        date = _one_line(self.meta_text(found.get("date")))
        if date:
            meta["date"] = date
        meta["language"] = self.language
        return meta, []

    def meta_text(self, value: dict | None) -> str:
        if not value:
            return ""
        match value["t"]:
            case "MetaInlines":
                return plain_text(self.inlines(value["c"]))
            case "MetaBlocks":
                return " ".join(plain_text(b.content) for b in self.plain_blocks(value["c"]) if isinstance(b, Paragraph))
            case "MetaString":
                return value["c"]
            case "MetaList":
                return ", ".join(self.meta_text(v) for v in value["c"])
        return ""

    # --- blocks --------------------------------------------------------------------------

    def blocks(self, nodes: list[dict], style: str = "") -> list[Item]:
        out: list[Item] = []
        for node in nodes:
            out.extend(self.block(node, style))
        return out

    def block(self, node: dict, style: str = "") -> list[Item]:
        """One pandoc block → zero or more items."""
        content = node.get("c")
        match node["t"]:
            case "Para" | "Plain":
                inlines, facts = self.marked(content)
                if style == "code block" and facts is not None:
                    return [self.item(CodeBlock(facts.text.replace("\t", "    ")), style, facts)]
                if facts is not None and not inlines and _box_style(style)[1] == "title":
                    return [Item(Paragraph(()), style, facts)]  # an empty title still opens a box
                if facts is not None and not facts.text.strip() and not inlines:
                    return [Item(Rule() if facts.style.lower() == "rule" or facts.rule else None, style, facts,
                                 separator=not (facts.style.lower() == "rule" or facts.rule))]
                if not inlines:
                    return []
                return [self.item(Paragraph(inlines), style, facts)]
            case "Header":
                level, (ident, _, _), raw = content
                inlines, facts = self.marked(raw)
                number, bare = _split_number(inlines)
                if not inlines:
                    return []
                word = "#" if facts is not None and facts.numbered and not number else number
                return [self.item(Heading(min(level, 6), inlines), style, facts, number=word, bare=bare,
                                  anchor=ident)]
            case "Div":
                (_, _, attrs), inner = content
                return self.blocks(inner, dict(attrs).get("custom-style", style).lower())
            case "BulletList" | "OrderedList":
                ordered = node["t"] == "OrderedList"
                start, raw_items = (content[0][0], content[1]) if ordered else (1, content)
                first = self.blocks(raw_items[0]) if raw_items else []
                items = [self.nested(first)] + [self.plain_blocks(i) for i in raw_items[1:]]
                facts = next((i.facts for i in first if i.facts is not None), None)
                if ordered and facts is not None and facts.number is not None:
                    start = facts.number  # Word's own count: pandoc restarts some lists at 1
                items = [i for i in items if i]
                if not items:
                    return []
                inner_style = next((i.style for i in first if i.style), style)
                return [self.item(List(tuple(items), ordered, max(0, min(int(start), 999_999_999))), inner_style, facts)]
            case "Table":
                return self.table(content, style)
            case "BlockQuote":
                inner = self.plain_blocks(content)
                return [self.item(Quote(inner), style, None)] if inner else []
            case "CodeBlock":
                return [self.item(CodeBlock(MARKER.sub("", content[1])), style, None)]
            case "HorizontalRule":
                return [Item(Rule(), style)]
            case "LineBlock":
                lines: list[Inline] = []
                for line in content:
                    lines += ([LineBreak()] if lines else []) + list(self.inlines(line))
                return [self.item(Paragraph(_merged(lines)), style, None)] if lines else []
            case "DefinitionList":
                out: list[Item] = []
                for term, definitions in content:
                    out.append(self.item(Paragraph((Strong(self.inlines(term)),)), style, None))
                    for definition in definitions:
                        out += self.blocks(definition, style)
                return out
            case "Figure":
                (_, caption, inner) = content
                alt = plain_text(tuple(b.content for b in self.plain_blocks(caption[1]) if isinstance(b, Paragraph)))
                items = self.blocks(inner, style)
                for item in items:
                    if alt and isinstance(item.node, Paragraph) and len(item.node.content) == 1 \
                            and isinstance(item.node.content[0], Image):
                        item.node = Paragraph((replace(item.node.content[0], alt=alt),))
                return items
            case "RawBlock":
                return []
            case other:
                self.problems.append(f"a {other} block of the document was left out")
                return []

    def item(self, node: Any, style: str, facts: ParaFacts | None, **more: Any) -> Item:
        """An item, taking the flags its inlines raised."""
        flags, self.pending = self.pending, []
        return Item(node, style, facts, flags=flags, **more)

    def marked(self, raw: list[dict]) -> tuple[tuple[Inline, ...], ParaFacts | None]:
        """A paragraph's inlines, without its marker, and the facts the marker points to."""
        saved, self.facts_found = self.facts_found, None
        inlines = _trimmed(self.inlines(raw))
        facts, self.facts_found = self.facts_found, saved
        return inlines, facts

    def nested(self, items: list[Item]) -> tuple[Block, ...]:
        """Items inside a list, a quote, a note or a cell: headings become bold paragraphs, frames
        their content; the empty paragraphs between boxes go."""
        out: list[Block] = []
        for item in items:
            self.pending += item.flags
            match item.node:
                case Heading(title=title):
                    out.append(Paragraph((Strong(title),)))
                case None if item.cell is not None:
                    out += self.nested(item.cell)
                case None:
                    pass
                case node:
                    out.append(node)
        return tuple(out)

    def plain_blocks(self, nodes: list[dict]) -> tuple[Block, ...]:
        return self.nested(self.blocks(nodes))

    def table(self, content: list, style: str) -> list[Item]:
        """A table → a pipe table (merged cells flattened), or a box when it has one cell."""
        _, caption, colspecs, head, bodies, foot = content
        rows = list(head[1])
        for body in bodies:
            rows += body[2] + body[3]
        rows += foot[1]
        header_rows = len(head[1])
        columns = len(colspecs)
        if len(rows) == 1 and columns == 1 and len(rows[0][1]) == 1:
            cell = self.blocks(rows[0][1][0][4])
            return [Item(None, style, cell=cell)] if cell else []
        grid: list[list[tuple[Inline, ...] | None]] = [[None] * columns for _ in rows]
        merged = joined = False
        for r, (_, cells) in enumerate(rows):
            c = 0
            for _, _, rowspan, colspan, blocks in cells:
                while c < columns and grid[r][c] is not None:
                    c += 1
                if c >= columns:
                    break
                text, several = self.cell_text(blocks)
                joined |= several
                merged |= rowspan > 1 or colspan > 1
                for dr in range(max(1, rowspan)):
                    for dc in range(max(1, colspan)):
                        if r + dr < len(rows) and c + dc < columns:
                            grid[r + dr][c + dc] = text if dr == dc == 0 else ()
                c += max(1, colspan)
        filled = [tuple(cell or () for cell in row) for row in grid]
        if not filled or not columns:
            return []
        aligns = tuple({"AlignLeft": "left", "AlignRight": "right", "AlignCenter": "center"}.get(a["t"], "")
                       for a, _ in colspecs)
        if merged:
            self.pending.append("a merged table cell was flattened: its text stands in the first of "
                                "the cells it covered, the others are empty")
        if joined:
            self.pending.append("a table cell held several paragraphs or a list: they were joined on one line")
        if not header_rows:
            self.pending.append("the table had no header row: its first row is the header")
        out = []
        caption_blocks = self.plain_blocks(caption[1])
        for block in caption_blocks:
            out.append(self.item(block, "", None))
        out.append(self.item(Table(filled[0], tuple(filled[1:]), aligns), style, None))
        return out

    def cell_text(self, blocks: list[dict]) -> tuple[tuple[Inline, ...], bool]:
        """A cell's blocks as one line of inlines (a pipe table holds no paragraphs); whether
        several were joined."""
        parts: list[tuple[Inline, ...]] = []

        def visit(nodes: tuple[Block, ...]) -> None:
            for node in nodes:
                match node:
                    case Paragraph(content):
                        parts.append(content)
                    case List(items=items):
                        for item in items:
                            visit(item)
                    case Quote(blocks=inner) | Box(blocks=inner):
                        visit(inner)
                    case Table(head=head, rows=rows):
                        parts.extend(c for row in (head, *rows) for c in row if c)
                    case CodeBlock(text=text):
                        parts.append((Code(" ".join(text.split())),))

        visit(self.plain_blocks(blocks))
        out: list[Inline] = []
        for part in parts:
            out += ([Text("; ")] if out else []) + [Text(" ") if isinstance(x, LineBreak) else x for x in part]
        return _merged(out), len(parts) > 1

    # --- inlines -------------------------------------------------------------------------

    def inlines(self, nodes: list[dict]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for node in nodes:
            out.extend(self.inline(node))
        return _merged(out)

    def inline(self, node: dict) -> list[Inline]:
        """One pandoc inline → zero or more model inlines."""
        content = node.get("c")
        match node["t"]:
            case "Str":
                return self.text(content)
            case "Space" | "SoftBreak":
                return [Text(" ")]
            case "LineBreak":
                return [LineBreak()]
            case "Emph":
                inner = self.inlines(content)
                return [Emphasis(inner)] if plain_text(inner).strip() else list(inner)
            case "Strong":
                inner = self.inlines(content)
                return [Strong(inner)] if plain_text(inner).strip() else list(inner)
            case "Underline" | "Strikeout" | "Superscript" | "Subscript" | "SmallCaps":
                return list(self.inlines(content))
            case "Quoted":
                mark = "\u201c\u201d" if content[0]["t"] == "DoubleQuote" else "\u2018\u2019"
                return [Text(mark[0]), *self.inlines(content[1]), Text(mark[1])]
            case "Cite":
                return list(self.inlines(content[1]))
            case "Code":
                return [Code(MARKER.sub("", content[1]))]
            case "Math":
                return [Text(content[1])]
            case "RawInline":
                return []
            case "Link":
                return self.link(content)
            case "Image":
                return self.image(content)
            case "Note":
                return self.note(content)
            case "Span":
                (_, classes, attrs), inner = content
                style = dict(attrs).get("custom-style", "").lower()
                if style in ("footnote reference", "endnote reference"):
                    return self.repeated_note(plain_text(self.inlines(inner)).strip())
                if style in CODE_STYLES:
                    return [Code(plain_text(self.inlines(inner)))]
                return list(self.inlines(inner))
            case other:
                self.problems.append(f"a {other} of the document was left out")
                return []

    def text(self, text: str) -> list[Inline]:
        """A string, split at the markers: paragraph markers give the facts, comment markers
        the comments."""
        out: list[Inline] = []
        pieces = MARKER.split(text)
        for i in range(0, len(pieces), 3):
            if pieces[i]:
                out.append(Text(pieces[i]))
            if i + 2 < len(pieces):
                kind, value = pieces[i + 1], pieces[i + 2]
                if kind == "P" and value.isdigit() and int(value) < len(self.extras.paragraphs):
                    self.facts_found = self.facts_found or self.extras.paragraphs[int(value)]
                elif kind == "C" and self.keep_comments and value in self.extras.comments:
                    comment = self.extras.comments[value]
                    out.append(Comment(comment.author, comment.text))
        return out

    def link(self, content: list) -> list[Inline]:
        _, inner, (url, _) = content
        children = self.inlines(inner)
        if url.startswith("#"):
            if url[1:] in self.header_ids and children:
                return [Link(children, url)]  # pandoc's heading id: ``chapters`` puts reportkit's
            return list(children)  # a bookmark reportkit has no anchor for
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme in REFUSED_SCHEMES or not url.strip():
            return list(children)
        return [Link(children or (Text(url),), url.strip())]

    def image(self, content: list) -> list[Inline]:
        _, inner, (target, title) = content
        alt = _one_line(plain_text(self.inlines(inner))) or _one_line(title)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            self.pending.append(f"an image linked from {target[:80]} (not inside the document) was left out")
            return []
        data = self.extras.media(target)
        if data is None:
            self.pending.append(f"an image ({target}) could not be extracted from the document")
            return []
        name = self.image_names.get(target)
        if name is None:
            name = self.asset(_file_slug(alt, 3) or target, data)
            if name is None:
                return []
            self.image_names[target] = name
        return [Image(f"assets/{name}", alt)]

    def asset(self, wanted: str, data: bytes) -> str | None:
        """The file name (from ``wanted``, the alternative text or the name in the DOCX) and
        bytes of an image in assets/: PNG, JPEG, GIF, WebP and SVG as they are, BMP and TIFF as
        PNG; None for drawings reportkit cannot show (EMF, WMF)."""
        stem = re.sub(r"[^\w-]+", "-", wanted.rsplit("/", 1)[-1].rsplit(".", 1)[0]).strip("-") or "image"
        head = data[:64]
        if head.startswith(b"\x89PNG"):
            ext = "png"
        elif head.startswith(b"\xff\xd8"):
            ext = "jpg"
        elif head.startswith(b"GIF8"):
            ext = "gif"
        elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            ext = "webp"
        elif is_svg(data[:4096]):
            ext = "svg"
        else:
            ext = "png"
            try:
                from PIL import Image as PILImage

                with PILImage.open(io.BytesIO(data)) as picture:
                    out = io.BytesIO()
                    picture.save(out, "PNG")
                    data = out.getvalue()
            except Exception:  # PIL raises many types for files it cannot read
                kind = "EMF" if data[40:44] == b" EMF" else "WMF" if head[:4] == b"\xd7\xcd\xc6\x9a" else "unknown"
                self.pending.append(f"an image ({wanted.rsplit('/', 1)[-1]}, {kind} format) could not be used: "
                                    "save it as PNG or SVG in assets/ and add it here")
                return None
        name = f"{stem}.{ext}"
        count = 1
        while name in self.images:
            count += 1
            name = f"{stem}-{count}.{ext}"
        self.images[name] = data
        return name

    def note(self, content: list) -> list[Inline]:
        if self.in_note:  # Word cannot do this; a tree from elsewhere might
            return []
        self.in_note = True
        pending, self.pending = self.pending, []
        blocks = self.note_blocks(self.plain_blocks(content))
        self.in_note = False
        self.pending = pending + self.pending
        label = self.label(blocks)
        self.labels.append(label)
        if not blocks:
            blocks = (Paragraph((Text("(empty note)"),)),)
            self.pending.append("a note of the document was empty")
        return [Note(label, blocks)]

    def note_blocks(self, blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        """A note's blocks without the note's own number at the start; only what a note holds."""
        out: list[Block] = []
        for block in blocks:
            match block:
                case Paragraph() | List() | CodeBlock() | Quote():
                    out.append(block)
                case Table(head=head, rows=rows):
                    out += [Paragraph(_merged([x for i, c in enumerate(row) for x in ((Text("; "),) if i else ()) + c]))
                            for row in (head, *rows) if any(row)]
                case Box(title=title, blocks=inner):
                    out += ([Paragraph(title)] if title else []) + list(self.note_blocks(inner))
        return tuple(out)

    def label(self, blocks: tuple[Block, ...]) -> str:
        """A readable, unique note label from the note's first words."""
        first = next((b.content for b in blocks if isinstance(b, Paragraph)), ())
        text = "".join(x.text for x in iter_nodes(first) if isinstance(x, Text))
        text = re.sub(r"https?://(www\.)?", "", text)
        words = [_ascii(w) for w in re.findall(r"\w+", text.lower()) if w not in _STOP]
        words = [w for w in words if w]
        base = ""
        for word in words[:3]:
            if base and len(base) + len(word) > 24:
                break
            base = f"{base}-{word}" if base else word[:24]
        base = base or "note"
        label, count = base, 1
        while label in self.used_labels:
            count += 1
            label = f"{base}-{count}"
        self.used_labels.add(label)
        return label

    def repeated_note(self, number: str) -> list[Inline]:
        """A note number standing alone (reportkit's DOCX writes a note called again so): the
        same note called again."""
        if self.in_note or not number.isdigit() or not 0 < int(number) <= len(self.labels):
            return []
        return [Note(self.labels[int(number) - 1], (), repeat=True)]

    # --- passes over the body ------------------------------------------------------------

    def styled(self, items: list[Item]) -> list[Item]:
        """What reportkit's own styles say: captions (the image's text), quotes, code, the
        paragraphs after a list item's first, numbered paragraphs."""
        out: list[Item] = []
        for item in items:
            previous = out[-1] if out else None
            node = item.node
            if item.style == "caption" and previous is not None and isinstance(previous.node, Paragraph) \
                    and len(previous.node.content) == 1 and isinstance(previous.node.content[0], Image):
                caption = _one_line(plain_text(node.content)) if isinstance(node, Paragraph) else ""
                image = previous.node.content[0]
                # A description of its own (the picture's alt text) stays; the caption is its title.
                image = replace(image, title=caption) if image.alt and caption and caption != image.alt \
                    else replace(image, alt=caption or image.alt)
                previous.node = Paragraph((image,))
                previous.flags += item.flags
                continue
            if item.style in QUOTE_STYLES and isinstance(node, Paragraph):
                if previous is not None and previous.style in QUOTE_STYLES and isinstance(previous.node, Quote):
                    previous.node = Quote(previous.node.blocks + (node,))
                    previous.flags += item.flags
                    continue
                item.node = Quote((node,))
            elif item.style == "code block" and isinstance(node, Paragraph):
                item.node = CodeBlock(plain_text(node.content))
            elif item.style == "list continue" and previous is not None and isinstance(previous.node, List) \
                    and isinstance(node, Paragraph):
                last = previous.node.items[-1] + (node,)
                previous.node = replace(previous.node, items=previous.node.items[:-1] + (last,))
                previous.flags += item.flags
                continue
            out.append(item)
        return out

    def cover(self, items: list[Item], meta: dict[str, Any], partners: list[dict[str, str]]) -> list[Item]:
        """Take the cover out (reportkit's cover styles, Word's Author and Date): authors,
        partners with their descriptions and logos, the date, cover logos."""
        out: list[Item] = []
        logo = ""
        authors = list(meta["authors"])
        logos: list[str] = []
        for item in items:
            node = item.node
            if item.style not in COVER_STYLES or not isinstance(node, Paragraph):
                out.append(item)
                continue
            text = _one_line(plain_text(node.content))
            image = next((x.src for x in node.content if isinstance(x, Image)), "")
            match item.style:
                case "cover author" | "author":
                    if text and text not in authors:
                        authors.append(text)
                case "cover partner":
                    partners.append({"name": text, **({"logo": logo} if logo else {})})
                    logo = ""
                case "cover partner description" if partners:
                    partners[-1]["description"] = text
                case "cover date" | "date" if text and "date" not in meta:
                    meta["date"] = text
                case "cover logo" if image:
                    if logo:
                        logos.append(logo)
                    logo = image
        if logo:
            logos.append(logo)
        meta["authors"] = authors
        if logos:
            meta["logos"] = logos
        return out

    def contents(self, items: list[Item]) -> list[Item]:
        """Drop the contents: Word's (its styles) and one typed by hand (a "Contents" line
        followed by lines ending in page numbers); reportkit makes its own."""
        out: list[Item] = []
        i = 0
        typed = False
        while i < len(items):
            item = items[i]
            if DROPPED_STYLES.fullmatch(item.style):
                if item.style == "recommendation summary":
                    self.summary = True
                i += 1
                continue
            text = _one_line(plain_text(_title(item.node))).rstrip(":").lower()
            if text in CONTENTS and isinstance(item.node, (Paragraph, Heading)):
                j = i + 1
                while j < len(items) and items[j].facts is not None and _ENTRY.match(items[j].facts.text):
                    j += 1
                if j > i + 1 or isinstance(item.node, Heading) and j < len(items) and DROPPED_STYLES.fullmatch(items[j].style):
                    typed = j > i + 1
                    i = j
                    continue
            if typed:
                item.flags.append("a table of contents typed by hand stood before this; it was dropped "
                                  "(reportkit makes its own)")
                typed = False
            out.append(item)
            i += 1
        return out

    def boxes(self, items: list[Item]) -> list[Item]:
        """Find the boxes: reportkit's box styles, one-cell tables, text boxes, framed
        paragraphs, and a bold "Recommendations:" label with what follows it."""
        out: list[Item] = []
        i = 0
        while i < len(items):
            item = items[i]
            kind, part = _box_style(item.style)
            if item.separator:
                i += 1
            elif item.cell is not None:
                out.append(self.frame(item))
                i += 1
            elif kind:
                j = i + 1
                while j < len(items) and _box_style(items[j].style)[0] == kind and _box_style(items[j].style)[1] != "title" \
                        and not items[j].separator and items[j].cell is None:
                    j += 1
                out.append(self.styled_box(kind, items[i:j]))
                i = j
            elif item.facts is not None and item.facts.textbox and not item.facts.in_table:
                j = i + 1
                while j < len(items) and items[j].facts is not None and items[j].facts.textbox == item.facts.textbox:
                    j += 1
                out.append(self.made_box(items[i:j], "a text box became a ::: box where it stood"))
                i = j
            elif _framed(item):
                j = i + 1
                while j < len(items) and _framed(items[j]) and not items[j].separator:
                    j += 1
                out.append(self.made_box(items[i:j], "shaded or bordered paragraphs became a box: check its kind"))
                i = j
            elif (found := self.labelled(items, i)) is not None:
                box, i = found
                out.append(box)
            else:
                out.append(item)
                i += 1
        return out

    def styled_box(self, kind: str, members: list[Item]) -> Item:
        """A box written by reportkit: its title paragraph ("Recommendation Title") and content."""
        title: tuple[Inline, ...] = ()
        if _box_style(members[0].style)[1] == "title" and isinstance(members[0].node, Paragraph):
            title = members[0].node.content
            self.pending += members[0].flags
            members = members[1:]
        blocks = self.nested(members)
        flags, self.pending = self.pending, []
        box = BOX_KINDS[kind](title, blocks)
        if plain_text(title).strip().lower() in _default_titles(kind):
            box = replace(box, title=())
        return Item(box, flags=flags)

    def frame(self, item: Item) -> Item:
        """A one-cell table: the frame of a box. reportkit frames a box holding a table or a box
        so (and a box in a box): the box's styles then tell its kind, and the table or the inner
        box's frame stands in it."""
        cell = [self.frame(member) if member.cell is not None else member for member in item.cell or []]
        kind = _box_style(cell[0].style)[0] if cell else ""
        if kind:
            box = self.styled_box(kind, cell)
            box.flags = item.flags + box.flags
            return box
        return self.made_box(self.boxes(cell), "a one-cell table became a box: check its kind", flags=item.flags)

    def made_box(self, members: list[Item], why: str, flags: list[str] | None = None) -> Item:
        """A box from framed paragraphs, a text box or a one-cell table: a recommendation when
        it opens with a "Recommendation:" label, a good practice when it opens with that label,
        else a box, titled by a short bold first paragraph."""
        blocks = list(self.nested(members))
        flags = (flags or []) + self.pending
        self.pending = []
        kind, title = "box", ()
        first = blocks[0] if blocks else None
        if isinstance(first, Paragraph) and (rest := _after_label(first.content)) is not None:
            kind = "recommendation"
            blocks = ([Paragraph(rest)] if rest else []) + blocks[1:]
        elif isinstance(first, Paragraph) and len(blocks) > 1 and (GOOD_PRACTICE.match(plain_text(first.content))
                                                                  or _bold_title(first.content)):
            kind = "good-practice" if GOOD_PRACTICE.match(plain_text(first.content)) else "box"
            title = _unbold(first.content)
            blocks = blocks[1:]
        if kind == "recommendation":
            blocks = [_unbold_block(b) for b in blocks]
        box = BOX_KINDS[kind](title, tuple(blocks))
        if not blocks:
            return Item(Paragraph(title or first.content), flags=flags) if first else Item(None, flags=flags)
        return Item(box, flags=flags + [why])

    def labelled(self, items: list[Item], i: int) -> tuple[Item, int] | None:
        """A bold "Recommendation:" line and the recommendations after it (bold paragraphs or a
        list), as the seed report was written in Word; or the label before its text."""
        item = items[i]
        if self.ours or not isinstance(item.node, Paragraph) or not _bodyish(item.style):
            return None  # reportkit's recommendations are in their box style
        rest = _after_label(item.node.content)
        if rest is None:
            return None
        blocks: list[Block] = [Paragraph(_unbold(rest))] if rest else []
        flags = list(item.flags)
        j = i + 1
        bold = bool(rest) and _all_bold(rest)
        while j < len(items):
            node = items[j].node
            if not _bodyish(items[j].style) or items[j].separator or _heading_like(items[j], self.extras):
                break
            if isinstance(node, List) and (not blocks or bold):
                blocks.append(_unbold_block(node))
                bold = True
            elif isinstance(node, Paragraph) and (not blocks or (bold and _all_bold(node.content))) \
                    and _after_label(node.content) is None:
                bold = bold or _all_bold(node.content) or not blocks
                blocks.append(Paragraph(_unbold(node.content)))
            else:
                break
            flags += items[j].flags
            j += 1
        if not blocks:
            return None
        return Item(Recommendation((), tuple(blocks)), flags=flags), j

    def headings(self, items: list[Item]) -> list[Item]:
        """Paragraphs that stand for headings: an outline level, or formatted by hand (short,
        bold or larger than the body text, maybe numbered "2.1" or "II."); each is listed.
        reportkit writes every heading in a heading style: in its own DOCX there is none to guess."""
        if self.ours:
            return items
        candidates = [i for i in items if isinstance(i.node, Paragraph) and i.facts is not None
                      and (i.facts.outline is not None or _heading_like(i, self.extras))]
        # Headings whose level is known (styles, outline levels): an unnumbered one guessed
        # from its look goes one level below the last of them.
        styled = any(isinstance(i.node, Heading) for i in items) or any(c.facts.outline is not None for c in candidates)
        sizes = sorted({i.facts.size for i in candidates if not _split_number(i.node.content)[0]}, reverse=True)
        roman = any(_split_number(i.node.content)[0].rstrip(".") in ROMANS for i in candidates)
        last = 0
        for item in items:
            if isinstance(item.node, Heading):
                last = item.node.level if not item.guessed or item.number else last
                continue
            if item not in candidates:
                continue
            facts, content = item.facts, item.node.content
            number, bare = _split_number(content)
            if facts.outline is not None:
                level, why = facts.outline + 1, f"heading taken from the paragraph's outline level (level {facts.outline + 1})"
            else:
                if number.rstrip(".") in ROMANS:
                    level = 1
                elif number:  # "2.1" is a section; a lone "1." under "II." chapters is one too
                    level = number.rstrip(".").count(".") + 1 + (roman and "." not in number.rstrip("."))
                elif styled:
                    level = last + 1
                else:
                    level = sizes.index(facts.size) + 1
                made = "bold" if facts.bold and facts.size < self.extras.body_size + 1.5 else "larger"
                why = f"heading guessed from {made} text (level {level}): check it"
            level = max(1, min(level, 6))
            item.node = Heading(level, _unbold(content))
            item.number = number
            item.bare = _unbold(bare)
            item.guessed = why
            item.flags.append(why)
            if number or facts.outline is not None:
                last = level
        return items

    def chapters(self, items: list[Item], meta: dict[str, Any]) -> list[tuple[str, list[Item]]]:
        """Settle heading levels and numbers, drop the summary and notes chapters reportkit
        makes itself, and cut one chapter per top-level heading."""
        headings = [i for i in items if isinstance(i.node, Heading)]
        if headings:
            shift = min(h.node.level for h in headings) - 1
            previous = 0
            for h in headings:
                level = min(h.node.level - shift, previous + 1)
                h.node = replace(h.node, level=level)
                previous = level
        numbered = sum(bool(h.number) for h in headings)
        number_headings = bool(headings) and numbered * 2 >= len(headings)
        meta["number_headings"] = number_headings
        if number_headings:
            counters = [0] * 7
            for h in headings:
                if h.number and h.number != "#":
                    h.node = replace(h.node, title=h.bare)
                if not h.number:
                    h.node = replace(h.node, numbered=False)
                    continue
                level = h.node.level
                counters[level - 1] += 1
                counters[level:] = [0] * (7 - level)
                ours = ".".join(map(str, counters[:level]))
                typed = h.number.rstrip(".")
                # Compared only when both count from the chapter (a document may number its
                # sections 1, 2… within each chapter, which reportkit writes 2.1, 2.2…).
                if re.fullmatch(r"[\d.]+", typed) and typed.count(".") == ours.count(".") and typed != ours:
                    h.flags.append(f"this heading was numbered {typed} in the document; reportkit numbers it {ours}")
        ids: dict[str, str] = {}  # pandoc's heading id → reportkit's (parse.py makes them so)
        taken_ids: dict[str, int] = {}
        for h in headings:
            wanted = _slug(plain_text(h.node.title))
            taken_ids[wanted] = taken_ids.get(wanted, 0) + 1
            if h.anchor:
                ids[h.anchor] = wanted if taken_ids[wanted] == 1 else f"{wanted}-{taken_ids[wanted]}"
        for item in items:
            item.node = _relinked(item.node, ids)
        chapters: list[list[Item]] = []
        for item in items:
            if isinstance(item.node, Heading) and item.node.level == 1 or not chapters:
                chapters.append([])
            chapters[-1].append(item)
        kept = []
        for chapter in chapters:
            head = chapter[0].node
            title = plain_text(head.title).strip().lower() if isinstance(head, Heading) and head.level == 1 else None
            if title in _words("summary_of_recommendations") and all(
                    isinstance(i.node, Heading) or i.style == "recommendation summary" for i in chapter):
                meta["recommendations_summary"] = True
                continue
            if title in _words("notes") and len(chapter) == 1 and chapter is chapters[-1]:
                continue
            kept.append(chapter)
        if self.summary:
            meta["recommendations_summary"] = True
        named = []
        taken: set[str] = set()
        digits = max(2, len(str(len(kept))))
        for n, chapter in enumerate(kept, 1):
            head = chapter[0].node
            slug = _file_slug(plain_text(head.title) if isinstance(head, Heading) else meta.get("title", "")) or "chapter"
            name = f"{n:0{digits}d}-{slug}.md"
            while name in taken:
                name = name.replace(".md", "-2.md")
            taken.add(name)
            named.append((name, chapter))
        if not named:
            named.append((f"01-{_file_slug(meta.get('title', '')) or 'chapter'}.md", []))
        if any(i.style == "numbered paragraph" for i in items):
            meta["number_paragraphs"] = True
        return named


# --- helpers -----------------------------------------------------------------------------------


def _comments_kept(node: Any) -> list[str]:
    """The line telling the author that a block keeps Word comments."""
    authors = [c.author for c in iter_nodes(node) if isinstance(c, Comment)]
    if not authors:
        return []
    who = ", ".join(a for a in dict.fromkeys(authors) if a)
    if len(authors) == 1:
        return [f"a comment{' by ' + who if who else ''} was kept as <!-- --> where it stood"]
    return [f"{len(authors)} comments{' by ' + who if who else ''} were kept as <!-- --> where they stood"]


def _scan(nodes: Any, header_ids: set[str]) -> None:
    """Every heading id in the tree."""
    if isinstance(nodes, list):
        for x in nodes:
            _scan(x, header_ids)
    elif isinstance(nodes, dict):
        kind, content = nodes.get("t"), nodes.get("c")
        if kind == "Header":
            header_ids.add(content[1][0])
        if isinstance(content, list):
            _scan(content, header_ids)


def _relinked(node: Any, ids: dict[str, str]) -> Any:
    """A block or inline with links to pandoc's heading ids pointing to reportkit's ids instead
    (a link to a heading that is gone keeps its text)."""
    if isinstance(node, tuple):
        out: list[Any] = []
        for x in node:
            if isinstance(x, Link) and x.url.startswith("#"):
                target = ids.get(x.url[1:])
                children = _relinked(x.children, ids)
                out += [Link(children, "#" + target)] if target else list(children)
            else:
                out.append(_relinked(x, ids))
        return tuple(out)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _relinked(getattr(node, f.name), ids) for f in dataclasses.fields(node)
                   if isinstance(getattr(node, f.name), tuple) and f.name != "pos"}
        return replace(node, **changes) if changes else node
    return node


def _title(node: Any) -> tuple[Inline, ...]:
    match node:
        case Paragraph(content):
            return content
        case Heading(title=title):
            return title
    return ()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _merged(inlines: list[Inline]) -> tuple[Inline, ...]:
    """Neighbouring texts joined, runs of spaces made one."""
    out: list[Inline] = []
    for x in inlines:
        if isinstance(x, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + x.text)
        else:
            out.append(x)
    return tuple(Text(re.sub(r" {2,}", " ", x.text)) if isinstance(x, Text) else x for x in out)


def _trimmed(inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Without spaces and line breaks at the start and end."""
    items = list(inlines)
    while items and (isinstance(items[0], LineBreak) or isinstance(items[0], Text) and not items[0].text.strip()):
        items.pop(0)
    while items and (isinstance(items[-1], LineBreak) or isinstance(items[-1], Text) and not items[-1].text.strip()):
        items.pop()
    if items and isinstance(items[0], Text):
        items[0] = Text(items[0].text.lstrip())
    if items and isinstance(items[-1], Text):
        items[-1] = Text(items[-1].text.rstrip())
    return tuple(items)


def _split_number(inlines: tuple[Inline, ...]) -> tuple[str, tuple[Inline, ...]]:
    """The number typed before a heading's text ("2.1") and the text without it."""
    first = inlines[0] if inlines else None
    if isinstance(first, Strong) and first.children:
        number, rest = _split_number(first.children)
        return (number, ((Strong(rest),) if rest else ()) + inlines[1:]) if number else ("", inlines)
    if not isinstance(first, Text):
        return "", inlines
    found = _NUMBER.match(first.text)
    if not found:
        return "", inlines
    rest = first.text[found.end():]
    return found[1], ((Text(rest),) if rest else ()) + inlines[1:]


def _box_style(style: str) -> tuple[str, str]:
    """(kind, "title" | "list" | "") of one of reportkit's box styles; ("", "") for others."""
    for name, kind in BOX_STYLES.items():
        if style == name:
            return kind, ""
        if style in (f"{name} title", f"{name} list"):
            return kind, style.rsplit(" ", 1)[1]
    return "", ""


def _default_titles(kind: str) -> set[str]:
    match kind:
        case "recommendation":
            return _words("recommendation") | _words("recommendations")
        case "good-practice":
            return _words("good_practice")
    return {""}


def _framed(item: Item) -> bool:
    facts = item.facts
    return (facts is not None and facts.framed and not facts.in_table and not facts.textbox
            and not isinstance(item.node, Heading) and item.node is not None and not item.separator
            and not _box_style(item.style)[0])


def _all_bold(inlines: tuple[Inline, ...]) -> bool:
    """Whether all the text is bold (notes, comments and spaces aside)."""
    seen = False
    for x in inlines:
        match x:
            case Strong():
                seen = True
            case Text(text) if not text.strip():
                pass
            case Note() | Comment() | LineBreak():
                pass
            case _:
                return False
    return seen


def _unbold(inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Whole-paragraph bold taken off (a box or heading shows it its own way)."""
    if not _all_bold(inlines):
        return inlines
    out: list[Inline] = []
    for x in inlines:
        out += list(x.children) if isinstance(x, Strong) else [x]
    return _trimmed(_merged(out))


def _unbold_block(block: Block) -> Block:
    match block:
        case Paragraph(content):
            return Paragraph(_unbold(content))
        case List(items=items):
            return replace(block, items=tuple(tuple(_unbold_block(b) for b in item) for item in items))
    return block


def _bold_title(inlines: tuple[Inline, ...]) -> bool:
    return _all_bold(inlines) and len(plain_text(inlines).split()) <= 15


def _after_label(inlines: tuple[Inline, ...]) -> tuple[Inline, ...] | None:
    """What follows a bold "Recommendation:" label opening a paragraph (maybe nothing); None
    when the paragraph does not open with one."""
    first = next((x for x in inlines if not (isinstance(x, Text) and not x.text.strip())), None)
    if not isinstance(first, Strong):
        return None
    text = first.children[0] if first.children and isinstance(first.children[0], Text) else None
    found = LABEL.match(text.text) if text else None
    if not found:
        return None
    inside = (Text(text.text[found.end():]),) + first.children[1:]
    after = inlines[inlines.index(first) + 1:]
    if not found[2] and (plain_text(inside).strip() or plain_text(after).strip()):
        return None  # "Recommendations for the State": a heading or a sentence, not a label
    rest = ((Strong(_trimmed(inside)),) if plain_text(inside).strip() else ()) + after
    return _trimmed(_merged(list(rest)))


def _bodyish(style: str) -> bool:
    """Whether a paragraph style is one of body text (Normal, Body Text, an author's own), not
    one of reportkit's boxes or cover, a caption, a quote or a title."""
    return not (_box_style(style)[0] or style in COVER_STYLES or style in QUOTE_STYLES
                or style in ("caption", "figure", "code block", "title", "subtitle", "numbered paragraph")
                or DROPPED_STYLES.fullmatch(style) or style.startswith("heading"))


def _heading_like(item: Item, extras: Extras) -> bool:
    """Short, bold or larger than the body text, not a sentence: a heading formatted by hand."""
    facts = item.facts
    if facts is None or not isinstance(item.node, Paragraph) or facts.in_table or facts.textbox \
            or not _bodyish(item.style):
        return False
    text = " ".join(facts.text.split())
    # Words are counted by spaces; a script written without them (Chinese) counts characters.
    words = len(text.split()) if text.count(" ") * 12 >= len(text) else len(text) // 4
    if not text or len(text) > 150 or words > 15 or text[-1] in ".,;:!。" or "\n" in facts.text.strip():
        return False
    if any(isinstance(x, Image) for x in item.node.content) or LABEL.match(text):
        return False
    larger = facts.size >= extras.body_size + 1.5
    return (facts.bold and (larger or words <= 12)) or (larger and facts.size < 40)


def _ascii(text: str) -> str:
    text = "".join(_CYRILLIC.get(c, _CYRILLIC.get(c.lower(), c)).replace("-", "") if c.lower() in _CYRILLIC else c
                   for c in text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _file_slug(title: str, count: int = 2) -> str:
    """A file name from a title: its first ``count`` words that say something."""
    words = [w for w in re.findall(r"[a-z0-9]+", " ".join(_ascii(w) for w in title.lower().split()
                                                          if w not in _STOP))]
    return "-".join(words[:count])[:40].strip("-")
