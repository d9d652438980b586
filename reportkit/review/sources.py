"""The Markdown side of a review: where each paragraph of the DOCX stands in the sources, and
what its Markdown renders to, character by character.

A ``Unit`` is the inline Markdown of one paragraph-like thing (a paragraph, a heading, a box
title, a table cell, a caption) with the file offset of each of its lines, so that a position
in the rendered text can be taken back to a position in the file. ``render`` walks
markdown-it's inline tokens (the parser ``build`` uses, with text runs kept apart) and finds
each in the Markdown, so every rendered character knows the source characters it came from.
``slots`` lists the paragraphs ``build`` writes into the DOCX, in order, each with its unit
or what generated it (cover, contents, heading numbers, default box titles).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt

from ..labels import labels
from ..model import (
    Block, Box, CodeBlock, Image, List, Paragraph, Quote, Report, Rule, Section, Table,
    iter_nodes, plain_text,
)
from ..parse import _CITATION, heading_attributes, joined_note_labels, make_parser
from ..sourcemap import source_hash, source_text
from ..xrefs import caption_label, shown_xref
from .rich import BOLD, CODE, ITALIC, LINK, NOTE, PICTURE, Rich

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CALL = re.compile(r"\[\^([^\]\n]+)\]")


def mapping_parser(language: str, xrefs: dict[str, str] | None = None) -> MarkdownIt:
    """``build``'s parser, keeping escapes and entities as tokens of their own, so each rendered
    character can be traced to its Markdown; ``xrefs`` (``xrefs.xref_texts``) is what each
    cross-reference ``[](#id)`` prints."""
    md = make_parser(language)
    md.disable("text_join")
    md.options["xrefs"] = xrefs or {}
    return md


@dataclass
class Source:
    """One source file as it is on disk, and as the parser reads it."""

    path: str
    """The file, as named in messages (the report folder joined with its name)."""
    text: str
    """Its text with "\\n" line ends."""
    bom: bool = False
    """Whether it starts with a UTF-8 byte order mark (kept when written back)."""
    newline: str = "\n"
    """Its line end ("\\r\\n" for a file saved on Windows), kept when written back."""
    offsets: list[int] = field(default_factory=list)
    """The offset of each line's start in ``text``."""

    @classmethod
    def read(cls, path: Path, name: str) -> Source:
        raw = path.read_bytes()
        text = source_text(raw)
        newline = "\r\n" if b"\r\n" in raw else "\n"
        offsets = [0]
        for line in text.split("\n")[:-1]:
            offsets.append(offsets[-1] + len(line) + 1)
        return cls(name, text, raw.startswith(b"\xef\xbb\xbf"), newline, offsets)

    @property
    def parsed(self) -> str:
        """The text as ``parse.read_source`` gives it to the parser (same length)."""
        return joined_note_labels(self.text)

    def encoded(self, text: str) -> bytes:
        """``text`` (with "\\n" line ends) as this file stores it."""
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.replace("\n", self.newline).encode("utf-8")

    def line_of(self, offset: int) -> int:
        """The 1-based line an offset of ``text`` stands on."""
        lo, hi = 0, len(self.offsets) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.offsets[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def lines(self, first: int, last: int) -> str:
        """Lines ``first`` to ``last`` (1-based, inclusive)."""
        start = self.offsets[first - 1] if first - 1 < len(self.offsets) else len(self.text)
        end = self.offsets[last] - 1 if last < len(self.offsets) else len(self.text)
        return self.text[start:end]


@dataclass
class Unit:
    """The inline Markdown of one paragraph of the DOCX, and where it stands in its file."""

    source: Source
    """The file."""
    kind: str
    """"paragraph", "heading", "box-title", "cell", "caption" or "code"."""
    first: int
    """Its first line (1-based)."""
    last: int
    """Its last line."""
    content: str
    """The Markdown as markdown-it reads it: lines without their block prefixes (list markers,
    note indentation), "" for a code block."""
    starts: list[int] | None
    """The file offset where each line of ``content`` starts; None when it cannot be traced
    (its changes are then left to the author)."""
    context: str = "body"
    """What holds it: "body", "box", "note", "list", "quote" or "table"."""
    block: tuple[int, int] = (0, 0)
    """The lines of the block that goes when it is deleted (a list item's, for its paragraph)."""
    marker: str = ""
    """For a list item's paragraph: the item's marker as written ("-", "1.")."""
    indent: str = ""
    """What starts the lines after the first (a note's or list item's indentation)."""
    _rendering: Rendering | None = field(default=None, repr=False)

    @property
    def hash(self) -> str:
        """The hash of its source lines, as the source map keeps it."""
        return source_hash(self.source.lines(self.first, self.last))

    def rendering(self, md: MarkdownIt) -> Rendering:
        if self._rendering is None:
            self._rendering = render(md, self.content, self.kind)
        return self._rendering

    def file_offset(self, offset: int) -> int:
        """The file offset of an offset of ``content``."""
        assert self.starts is not None
        k = self.content.count("\n", 0, offset)
        return self.starts[k] + offset - (self.content.rfind("\n", 0, offset) + 1)

    def line_at(self, md: MarkdownIt, index: int) -> int:
        """The source line of character ``index`` of what it renders to."""
        spans = self.rendering(md).spans
        if self.starts is None or not spans:
            return self.first
        offset = spans[index][0] if index < len(spans) else spans[-1][1]
        return self.source.line_of(self.file_offset(offset))

    def region(self) -> tuple[int, int]:
        """The file offsets of the start and the end of its content."""
        assert self.starts is not None
        last = self.content.split("\n")[-1]
        return self.starts[0], self.starts[-1] + len(last)

    def replaced(self, content: str) -> str:
        """The text of its region with ``content`` in place of its own (lines after the first
        get the indentation of the lines they replace)."""
        assert self.starts is not None
        text = self.source.text
        prefixes = [text[text.rfind("\n", 0, s) + 1:s] for s in self.starts[1:]]
        lines = content.split("\n")
        out = lines[0]
        for k, line in enumerate(lines[1:]):
            out += "\n" + (prefixes[k] if k < len(prefixes) else (prefixes[-1] if prefixes else self.indent)) + line
        return out


@dataclass(frozen=True)
class Rendering:
    """What a unit's Markdown shows, and where each shown character came from."""

    text: Rich
    """The text, as reportkit writes it into the DOCX."""
    spans: tuple[tuple[int, int], ...]
    """Per character: the range of ``Unit.content`` it came from."""
    exact: bool
    """False when some text could not be found in the Markdown (then ``spans`` are unreliable)."""
    closers: tuple[int, ...] = ()
    """The offsets just after each closing markup (``*``, ``**``, a link's ``](…)``)."""


@functools.lru_cache(maxsize=4096)
def render(md: MarkdownIt, content: str, kind: str) -> Rendering:
    """Render one unit's inline Markdown, tracing each character to its source (kept for the
    units an edit of their file leaves as they were)."""
    if kind == "code":
        return Rendering(Rich.plain(content.rstrip("\n")), (), False)
    tokens = md.parseInline(content, {})[0].children or []
    quotes = _quote_pairs(md)
    text: list[str] = []
    fmt: list[int] = []
    spans: list[tuple[int, int]] = []
    cursor = 0
    exact = True
    depth = {"strong": 0, "em": 0, "link": 0}
    autolink: tuple[int, int] | None = None  # its text may be decoded (%20 shows as a space)
    closers: list[int] = []
    xrefs = md.options.get("xrefs", {})
    previous = None

    def current() -> int:
        return (BOLD if depth["strong"] else 0) | (ITALIC if depth["em"] else 0) | (LINK if depth["link"] else 0)

    def put(chars: str, where: list[tuple[int, int]], extra: int = 0) -> None:
        text.append(chars)
        fmt.extend([current() | extra] * len(chars))
        spans.extend(where)

    def found(rendered: str, extra: int = 0) -> None:
        nonlocal cursor, exact
        where = _find(content, cursor, rendered, quotes)
        if autolink and (where is None or where[-1][1] > autolink[1]):
            where, cursor = [autolink] * len(rendered), autolink[1]
        if where is None:
            exact = False
            where = [(cursor, cursor)] * len(rendered)
        else:
            cursor = where[-1][1] if where else cursor
        put(rendered, where, extra)

    def skip_to(marker: str) -> tuple[int, int] | None:
        nonlocal cursor, exact
        at = content.find(marker, cursor)
        if at < 0:
            exact = False
            return None
        cursor = at + len(marker)
        return at, cursor

    for token in tokens:
        opened, previous = previous, token
        match token.type:
            case "link_close" if opened is not None and opened.type == "link_open" and \
                    str(opened.attrs.get("href", "")).startswith("#") and \
                    unquote(str(opened.attrs.get("href", ""))[1:]) in xrefs:
                # A cross-reference [](#id): the text build prints stands for the whole link.
                depth["link"] -= 1
                start = content.find("[", cursor)
                end = _after_link(content, start + 1) if start >= 0 else cursor
                shown = shown_xref(xrefs[unquote(str(opened.attrs["href"])[1:])], "".join(text))
                text.append(shown)
                fmt.extend([LINK] * len(shown))
                spans.extend([(max(start, cursor), end)] * len(shown))
                cursor = end
                closers.append(cursor)
            case "text":
                found(token.content)
            case "text_special":
                span = skip_to(token.markup)
                put(token.content, [span or (cursor, cursor)] * len(token.content))
            case "softbreak":
                span = skip_to("\n")
                put(" ", [span or (cursor, cursor)])
            case "hardbreak":
                span = skip_to("\n")
                if span:
                    start = span[0]
                    if start and content[start - 1] == "\\":
                        start -= 1
                    while start and content[start - 1] == " ":
                        start -= 1
                    span = (start, span[1])
                put("\n", [span or (cursor, cursor)])
            case "code_inline":
                found(token.content, CODE)
                if token.markup:
                    skip_to(token.markup)
            case "em_open" | "strong_open":
                depth[token.type[:-5]] += 1
            case "em_close" | "strong_close":
                depth[token.type[:-6]] -= 1
                if content.startswith(token.markup, cursor):
                    cursor += len(token.markup)
                    closers.append(cursor)
            case "link_open":
                depth["link"] += 1
                if token.markup == "autolink":
                    start = content.find("<", cursor)
                    end = content.find(">", start) + 1 if start >= 0 else 0
                    autolink = (start, end) if end > 0 else None
            case "link_close":
                depth["link"] -= 1
                if token.markup != "autolink":
                    cursor = _after_link(content, cursor)
                elif autolink:
                    cursor, autolink = autolink[1], None
                closers.append(cursor)
            case "image":
                start = content.find("![", cursor)
                if start < 0:
                    exact = False
                    put(PICTURE, [(cursor, cursor)])
                else:
                    cursor = _after_link(content, _closing_bracket(content, start + 1))
                    put(PICTURE, [(start, cursor)])
            case "footnote_ref":
                start = content.find("[^", cursor)
                end = content.find("]", start) + 1 if start >= 0 else 0
                if start < 0 or end <= 0:
                    exact = False
                    put(NOTE, [(cursor, cursor)])
                else:
                    cursor = end
                    put(NOTE, [(start, end)])
            case "html_inline" if _COMMENT.fullmatch(token.content):
                skip_to(token.content)
            case "html_inline":
                found(token.content)
            case _:
                exact = False
    rich = Rich("".join(text), tuple(fmt))
    if kind in ("heading", "box-title"):  # ::: box Title {#name} too
        shown = len(heading_attributes(rich.text)[0])  # without the {…} groups, as parse leaves them out
        rich, spans = rich[:shown], spans[:shown]
    elif kind == "caption":
        rich = Rich(rich.text, (0,) * len(rich))
    return Rendering(rich, tuple(spans), exact, tuple(closers))


def _quote_pairs(md: MarkdownIt) -> list[tuple[str, str]]:
    """(typographic quote, the straight quote it replaces), longest first."""
    quotes = md.options.get("quotes", "“”‘’")
    pairs = [(quotes[0], '"'), (quotes[1], '"'), (quotes[2], "'"), (quotes[3], "'")]
    return sorted(pairs, key=lambda p: -len(p[0]))


def _find(content: str, cursor: int, rendered: str, quotes: list[tuple[str, str]]) -> list[tuple[int, int]] | None:
    """Per character of ``rendered``: its range in ``content``, at the first place from
    ``cursor`` where it stands (straight quotes standing for typographic ones)."""
    if not rendered:
        return []
    at = content.find(rendered, cursor)
    if at >= 0 and "\"" not in content[cursor:at] and "'" not in content[cursor:at]:
        return [(k, k + 1) for k in range(at, at + len(rendered))]  # as typed: no quotes made curly before it
    first = {rendered[0]} | {straight for typo, straight in quotes if rendered.startswith(typo)}
    p = cursor
    while p < len(content):
        if content[p] in first:
            where = _match(content, p, rendered, quotes)
            if where is not None:
                return where
        p += 1
    return None


def _match(content: str, p: int, rendered: str, quotes: list[tuple[str, str]]) -> list[tuple[int, int]] | None:
    where: list[tuple[int, int]] = []
    i = 0
    while i < len(rendered):
        if p < len(content) and content[p] == rendered[i]:
            where.append((p, p + 1))
            i += 1
            p += 1
            continue
        for typo, straight in quotes:
            if rendered.startswith(typo, i) and p < len(content) and content[p] == straight:
                where += [(p, p + 1)] * len(typo)
                i += len(typo)
                p += 1
                break
        else:
            return None
    return where


def _closing_bracket(content: str, start: int) -> int:
    """The offset just after the "]" closing the "[" at ``start``."""
    depth = 0
    i = start
    while i < len(content):
        c = content[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(content)


def _after_link(content: str, cursor: int) -> int:
    """Past the end of a link whose text ends at ``cursor``: its "]" and "(destination)" or
    "[label]"."""
    at = content.find("]", cursor)
    if at < 0:
        return cursor
    i = at + 1
    if i < len(content) and content[i] == "(":
        depth, i = 1, i + 1
        while i < len(content) and depth:
            c = content[i]
            if c == "\\":
                i += 2
                continue
            depth += c == "("
            depth -= c == ")"
            i += 1
        return i
    if i < len(content) and content[i] == "[":
        end = content.find("]", i)
        return end + 1 if end >= 0 else i
    return i


# --- units --------------------------------------------------------------------------------------


def units(source: Source, md: MarkdownIt) -> tuple[dict[tuple, Unit], dict[str, tuple[int, int]]]:
    """A file's units by (kind, first line[, row, column]), and its note definitions' lines
    by label."""
    text = source.parsed
    lines = text.split("\n")
    tokens = md.parse(text, {})
    found: dict[tuple, Unit] = {}
    definitions: dict[str, tuple[int, int]] = {}
    stack: list = []
    table_line, row, col, row_map, row_cursor = 0, -1, 0, None, 0

    def context() -> str:
        for token in reversed(stack):
            match token.type:
                case "footnote_reference_open":
                    return "note"
                case "container_box_open":
                    return "box"
                case "list_item_open":
                    return "list"
                case "blockquote_open":
                    return "quote"
        return "body"

    for i, token in enumerate(tokens):
        if token.nesting == 1:
            stack.append(token)
        elif token.nesting == -1 and stack:
            stack.pop()
        match token.type:
            case "footnote_reference_open":
                label = token.meta.get("label", "").replace("\u00a0", " ")
                if token.map:
                    definitions[label] = (token.map[0] + 1, token.map[1])
            case "container_box_open" if token.map:
                kind, _, title = token.info.strip().partition(" ")
                title = title.strip()
                if title:
                    line = lines[token.map[0]]
                    at = line.find(title, line.find(kind) + len(kind))
                    n = token.map[0] + 1
                    found[("box-title", n)] = Unit(source, "box-title", n, n, title,
                                                   [source.offsets[n - 1] + at] if at >= 0 else None,
                                                   "box", (n, n))
            case "table_open" if token.map:
                table_line, row = token.map[0] + 1, -1
            case "tr_open":
                row, col, row_map, row_cursor = row + 1, 0, token.map, 0
            case "fence" | "code_block" if token.map:
                n = token.map[0] + 1
                found[("code", n)] = Unit(source, "code", n, token.map[1], "", None, context(),
                                          (n, token.map[1]))
            case "inline":
                parent = tokens[i - 1]
                if parent.type in ("th_open", "td_open"):
                    if row_map is None:
                        continue
                    n = row_map[0] + 1
                    line = lines[n - 1]
                    at = line.find(token.content, row_cursor) if token.content else -1
                    if token.content and at >= 0:
                        row_cursor = at + len(token.content)
                    start = [source.offsets[n - 1] + at] if at >= 0 else None
                    found[("cell", table_line, row, col)] = Unit(source, "cell", n, n, token.content, start,
                                                                 "table", (n, n))
                    col += 1
                    continue
                if not parent.map:
                    continue
                first, last = parent.map[0] + 1, parent.map[1]
                kind = "heading" if parent.type == "heading_open" else "paragraph"
                starts = _starts(lines, source.offsets, parent.map[0], token.content)
                unit = Unit(source, kind, first, last, token.content, starts, context(), (first, last))
                item = stack[-2] if len(stack) >= 2 and stack[-2].type == "list_item_open" else None
                if item is not None and item.map and kind == "paragraph" and item.map[0] == parent.map[0]:
                    unit.block = (item.map[0] + 1, item.map[1])
                    unit.marker = item.markup if item.info == "" else f"{item.info}{item.markup}"
                if starts and len(starts) > 1:
                    unit.indent = text[text.rfind("\n", 0, starts[1]) + 1:starts[1]]
                elif unit.context == "note":
                    unit.indent = "    "
                elif unit.context == "list" and starts:
                    unit.indent = " " * (starts[0] - source.offsets[first - 1])
                found[(kind, first)] = unit
                children = token.children or []
                if kind == "paragraph" and children and children[0].type == "image" and starts \
                        and token.content.startswith("![") and _figure_rest(children[1:]):
                    close = _closing_bracket(token.content, 1)
                    alt, at = token.content[2:close - 1], 2
                    title = str(children[0].attrs.get("title") or "").strip()
                    if title:  # ![alt](img.png "Caption"): the caption is the title
                        at = token.content.find(title, close)
                        alt = title if at >= 0 else "\n"
                    if "\n" not in alt:
                        found[("caption", first)] = Unit(source, "caption", first, last, alt, [starts[0] + at],
                                                         unit.context, (first, last))
    return found, definitions


def _figure_rest(tokens: list) -> bool:
    """Whether what follows an image in its paragraph leaves it a figure: nothing, or its
    ``{#id}``."""
    rest = "".join(t.content for t in tokens if t.type == "text")
    return all(t.type == "text" for t in tokens) and re.fullmatch(r"(\s*\{#[\w\-.:]+\})?\s*", rest) is not None


def _starts(lines: list[str], offsets: list[int], first: int, content: str) -> list[int] | None:
    """The file offset of each line of ``content``, which stands at the end of lines ``first``…
    of the file (after their block prefixes; the last line without its trailing spaces)."""
    out = []
    parts = content.split("\n")
    for k, part in enumerate(parts):
        n = first + k
        if n >= len(lines):
            return None
        line = lines[n].rstrip(" \t") if k == len(parts) - 1 else lines[n]
        if line.endswith(part):
            at = len(line) - len(part)
        else:
            at = lines[n].find(part)
            if at < 0:
                return None
        out.append(offsets[n] + at)
    return out


def calls(text: str) -> list[str]:
    """The labels of the notes a Markdown text calls (a definition, ``[^label]:`` opening a
    line, is no call)."""
    out = []
    for m in _CALL.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[m.end():m.end() + 1] == ":" and not text[line_start:m.start()].strip(" >"):
            continue
        out.append(m.group(1).replace("\u00a0", " "))
    return out


# --- the DOCX's paragraphs, as build writes them --------------------------------------------------


@dataclass
class Slot:
    """One paragraph ``build`` writes into the DOCX, and where it comes from."""

    kind: str
    """A unit's kind, "figure" (a picture), "cover" (a report.toml field), or "generated"."""
    text: Rich
    """Its text as written."""
    unit: Unit | None = None
    """The Markdown it comes from (None for generated text and cover fields)."""
    prefix: int = 0
    """How many characters at its start are generated (a heading's number, the space after a
    note's own number)."""
    what: str = ""
    """For generated text: what it is ("contents", "box title"…); for a cover field: its
    report.toml key ("title", "authors")."""
    index: int = -1
    """For a cover field holding a list (authors, partners): the item's position."""
    near: tuple[str, int] | None = None
    """For generated text tied to a place in the sources (a default box title): (file, line)."""


@dataclass
class Slots:
    """Every paragraph ``build`` writes, in order."""

    body: list[Slot]
    """The body's, in reading order."""
    notes: list[list[Slot]]
    """Each note's (note 1 first)."""
    units: dict[str, dict[tuple, Unit]]
    """Per file: its units by key (see ``units``)."""
    definitions: dict[str, dict[str, tuple[int, int]]]
    """Per file: the lines of its note definitions by label."""
    sources: dict[str, Source]
    """The files read, by name."""


def slots(report: Report, root: Path, md: MarkdownIt) -> Slots:
    """The paragraphs ``build`` writes for ``report``, each tied to its unit."""
    from ..transforms import notes as all_notes, recommendations, toc
    from ..writers import default_box_title

    meta = report.meta
    words = labels(meta.language)
    sources: dict[str, Source] = {}
    by_file: dict[str, dict[tuple, Unit]] = {}
    definitions: dict[str, dict[str, tuple[int, int]]] = {}
    for chapter in report.chapters:
        source = Source.read(Path(chapter.path), chapter.path)
        sources[chapter.path] = source
        by_file[chapter.path], definitions[chapter.path] = units(source, md)

    def unit_for(path: str, key: tuple) -> Unit | None:
        return by_file.get(path, {}).get(key)

    def text_slot(kind: str, node: Block | None, key: tuple, fallback: Rich, prefix: str = "") -> Slot:
        unit = unit_for(node.pos.path, key) if node is not None and node.pos else None
        if unit is not None and _CITATION.search(unit.content):  # its citations print from the sources file
            return Slot("generated", Rich.plain(prefix) + fallback, what="citation", near=(unit.source.path, unit.first))
        shown = unit.rendering(md).text if unit is not None else fallback
        return Slot(kind, Rich.plain(prefix) + shown, unit, len(prefix))

    def generated(what: str, text: str = "", near: Block | None = None) -> Slot:
        where = (near.pos.path, near.pos.line) if near is not None and near.pos else None
        return Slot("generated", Rich.plain(text), what=what, near=where)

    def blocks(nodes: tuple[Block, ...], out: list[Slot], in_box: bool) -> None:
        previous = None
        for node in nodes:
            if isinstance(node, Box) and isinstance(previous, Box) and node.kind == previous.kind \
                    and not _framed(previous):
                out.append(generated("spacer"))
            block(node, out, in_box)
            previous = node

    def block(node: Block, out: list[Slot], in_box: bool) -> None:
        match node:
            case Paragraph(content=(Image() as image,)):
                unit = unit_for(node.pos.path, ("paragraph", node.pos.line)) if node.pos else None
                out.append(Slot("figure", Rich.plain(PICTURE), unit))
                if image.caption:
                    out.append(text_slot("caption", node, ("caption", node.pos.line if node.pos else 0),
                                         Rich.plain(image.caption), caption_label(words, "figure", image.number)))
            case Paragraph():
                out.append(text_slot("paragraph", node, ("paragraph", node.pos.line if node.pos else 0),
                                     Rich.plain(plain_text(node))))
            case List(items=items):
                for item in items:
                    for child in item:
                        if isinstance(child, Paragraph):
                            block(child, out, in_box)
                        else:
                            block(child, out, in_box)
            case Table(head=head, rows=rows):
                if node.caption:
                    label = caption_label(words, "table", node.number)
                    out.append(generated("table caption", label + plain_text(node.caption), node))
                columns = max([len(head), *(len(r) for r in rows)])
                line = node.pos.line if node.pos else 0
                for r, cells in enumerate(([head] if head else []) + list(rows)):
                    for c in range(columns):
                        cell = cells[c] if c < len(cells) else ()
                        out.append(text_slot("cell", node, ("cell", line, r if head else r + 1, c),
                                             Rich.plain(plain_text(cell))))
                out.append(generated("spacer"))
            case Quote(blocks=inner):
                blocks(inner, out, in_box)
            case CodeBlock(text=code):
                out.append(text_slot("code", node, ("code", node.pos.line if node.pos else 0), Rich.plain(code)))
            case Rule():
                out.append(generated("rule"))
            case Box(title=title, blocks=inner):
                if title:
                    out.append(text_slot("box-title", node, ("box-title", node.pos.line if node.pos else 0),
                                         Rich.plain(plain_text(title))))
                elif default_box_title(node, words):
                    out.append(generated("box title", default_box_title(node, words), node))
                blocks(inner, out, True)
                if _framed(node):
                    out.append(generated("spacer"))
            case Section(title=title, blocks=inner, number=number):
                out.append(text_slot("heading", node, ("heading", node.pos.line if node.pos else 0),
                                     Rich.plain(plain_text(title)), f"{number} " if number else ""))
                blocks(inner, out, in_box)

    body: list[Slot] = [Slot("cover", Rich.plain(meta.title), what="title")]
    if meta.subtitle:
        body.append(Slot("cover", Rich.plain(meta.subtitle), what="subtitle"))
    body += [Slot("cover", Rich.plain(a), what="authors", index=i) for i, a in enumerate(meta.authors)]
    if meta.partners:
        body.append(generated("cover label", words["in_collaboration_with"]))
    for i, partner in enumerate(meta.partners):
        if partner.logo:
            body.append(generated("logo", PICTURE))
        body.append(Slot("cover", Rich.plain(partner.name), what="partners.name", index=i))
        if partner.description:
            body.append(Slot("cover", Rich.plain(partner.description), what="partners.description", index=i))
    if meta.date:
        body.append(Slot("cover", Rich.plain(meta.date), what="date"))
    body += [generated("logo", PICTURE) for _ in meta.logos]
    if meta.toc_depth > 0:
        body.append(generated("contents", words["contents"]))
        entries = [" ".join(x for x in (e.number, plain_text(e.title)) if x) for e in toc(report)]
        if meta.recommendations_summary:
            entries.append(words["summary_of_recommendations"])
        if meta.notes == "endnotes" and all_notes(report):
            entries.append(words["notes"])
        body += [generated("contents", e) for e in entries] or [generated("contents")]
    for chapter in report.chapters:
        blocks(chapter.blocks, body, False)
    if meta.recommendations_summary:
        body.append(generated("summary", words["summary_of_recommendations"]))
        body += [generated("summary", f"{item.number}.\t{item.text}") for item in recommendations(report)]
    notes: list[list[Slot]] = []
    for note in all_notes(report):
        out: list[Slot] = []
        blocks(note.blocks, out, False)
        if out and out[0].kind != "generated":
            first = out[0]
            out[0] = Slot(first.kind, Rich.plain(" ") + first.text, first.unit, first.prefix + 1)
        notes.append(out)
    if meta.notes == "endnotes" and notes:
        body.append(generated("notes heading", words["notes"]))
    return Slots(body, notes, by_file, definitions, sources)


def _framed(box: Block) -> bool:
    """Whether ``build`` frames a box with a table (it holds one), as the DOCX writer does."""
    return isinstance(box, Box) and any(isinstance(n, Table) for n in iter_nodes(box.blocks))
