"""Chapter files → the document model (markdown-it-py tokens in, our nodes out).

The dialect is CommonMark + tables + footnotes (mdit-py-plugins) + ``::: kind Title`` containers.
Notes are resolved across the whole report: a call in one chapter may be defined in another.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Pos, Problems
from .files import url_scheme, usable_file
from .labels import labels
from .model import (
    BOX_KINDS, Block, Box, Chapter, Code, CodeBlock, Emphasis, Image, Inline, LineBreak, Link,
    List, Metadata, Note, Paragraph, Quote, Report, Rule, Section, Strong, Table, Text, plain_text,
    walk,
)

MAX_NESTING = 100
"""markdown-it's nesting limit (tokens deep). Past it markdown-it silently drops the rest of the
block, so reaching it is an error, not a loss of text; and it keeps recursion far from Python's limit."""

REFUSED_SCHEMES = ("javascript", "data", "vbscript", "file")
"""Link schemes that are refused: they run code or reach the reader's disk."""

_NOTE_LABEL = re.compile(r"\[\^[^\]\n]* [^\]\n]*\]")
_COMMENT = re.compile(r"<!--.*?-->(\s*<!--.*?-->)*", re.S)
_HEADING_ATTRS = re.compile(r"\s*\{((?:\s*(?:#[\w\-.:]+|-|\.unnumbered))+)\s*\}\s*$")
"""Pandoc's heading attributes that reportkit knows: ``{#id}``, and ``{-}`` or ``{.unnumbered}``."""


def make_parser(language: str = "en") -> MarkdownIt:
    """The Markdown dialect of reportkit chapter files, with the language's quotation marks."""
    quotes = labels(language)["quotes"]
    md = MarkdownIt("commonmark", {"typographer": True, "quotes": quotes}).enable(["table", "smartquotes"])
    md.use(footnote_plugin, inline=False, move_to_end=False, always_match_refs=True)
    md.use(container_plugin, "box", validate=lambda *_: True)  # every ::: fence; kinds checked here
    md.options["maxNesting"] = MAX_NESTING
    md.validateLink = lambda url: True  # see every link, so refused schemes are errors, not text
    return md


@dataclass
class _NoteDef:
    blocks: tuple[Block, ...]
    pos: Pos
    used: bool = False


@dataclass
class _State:
    """What parsing the chapters gathers across files."""

    root: Path
    problems: Problems
    md: MarkdownIt = field(default_factory=make_parser)
    """The parser (made for the report's language: quotation marks differ)."""
    notes: dict[str, _NoteDef] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    last_level: int = 0


def parse_report(meta: Metadata, files: list[Path], root: Path, problems: Problems) -> Report:
    """Parse every chapter file and resolve notes; errors and warnings go to ``problems``."""
    state = _State(root.resolve(), problems, make_parser(meta.language))
    chapters = [_parse_file(path, state) for path in files]
    report = Report(meta, tuple(c for c in chapters if c is not None), str(state.root))
    report = walk(report, lambda x: _resolve_note(x, state) if isinstance(x, Note) else x)
    for label, note in state.notes.items():
        if not note.used:
            problems.error(f'note "[^{label}]" is defined but never used', note.pos)
    return report


def read_source(path: Path, problems: Problems) -> str | None:
    """A chapter's text: UTF-8 (a BOM is fine), any line endings; None (and an error) if unusable."""
    where = str(path)
    data = path.read_bytes()
    if not data.strip():
        problems.error("empty file", Pos(where, 1))
        return None
    if b"\x00" in data:
        problems.error("binary file, not Markdown text", Pos(where, data[: data.index(b"\x00")].count(b"\n") + 1))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.error(f"not UTF-8 text (byte {err.start}); save the file as UTF-8", Pos(where, line))
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # The footnote plugin stops a label at a space; a no-break space keeps "[^my note]" one label.
    return _NOTE_LABEL.sub(lambda m: m.group(0).replace(" ", "\u00a0"), text)


def _parse_file(path: Path, state: _State) -> Chapter | None:
    text = read_source(path, state.problems)
    if text is None:
        return None
    tokens = state.md.parse(text, {})
    deepest = max(tokens, key=lambda t: t.level, default=None)
    if deepest is not None and deepest.level >= MAX_NESTING - 1:
        line = deepest.map[0] + 1 if deepest.map else 0
        state.problems.error(f"lists, quotes or boxes nested too deeply (more than {MAX_NESTING // 2} levels)",
                             Pos(str(path), line))
        return None
    tree = SyntaxTreeNode(tokens)
    conv = _Converter(str(path), path.parent.resolve(), state)
    return Chapter(str(path), conv.sections(tree.children))


def _resolve_note(call: Note, state: _State) -> Note:
    note = state.notes.get(call.id)
    if note is None:
        state.problems.error(f'note "[^{call.id}]" is not defined', call.pos)
        return call
    note.used = True
    return replace(call, blocks=note.blocks)


class _Converter:
    """Turns one file's syntax tree into model nodes; one case per token type."""

    def __init__(self, path: str, folder: Path, state: _State):
        self.path = path
        self.folder = folder
        self.state = state
        self.line = 0  # current source line, for inline nodes (markdown-it maps blocks only)

    def pos(self, node: SyntaxTreeNode | None = None) -> Pos:
        if node is not None and node.map:
            return Pos(self.path, node.map[0] + 1, node.map[1])
        return Pos(self.path, self.line)

    # -- sections -------------------------------------------------------------------------

    def sections(self, nodes: list[SyntaxTreeNode]) -> tuple[Block, ...]:
        """Nest the file's top-level blocks under its headings."""
        top: list[Block] = []
        stack: list[tuple[SyntaxTreeNode, tuple[Inline, ...], str, bool, list[Block]]] = []

        def close_to(level: int) -> None:
            while stack and int(stack[-1][0].tag[1]) >= level:
                heading, title, ident, numbered, blocks = stack.pop()
                section = Section(int(heading.tag[1]), title, ident, tuple(blocks), numbered=numbered,
                                  pos=self.pos(heading))
                (stack[-1][4] if stack else top).append(section)

        for node in nodes:
            if node.type == "heading":
                level = int(node.tag[1])
                if level > self.state.last_level + 1:
                    self.state.problems.warn(
                        f"heading level skipped ({'#' * level} after {'#' * self.state.last_level or 'the start'})",
                        self.pos(node))
                self.state.last_level = level
                close_to(level)
                title, ident, numbered = self.heading(node)
                stack.append((node, title, ident, numbered, []))
            else:
                (stack[-1][4] if stack else top).extend(self.block(node))
        close_to(1)
        return tuple(top)

    def heading(self, node: SyntaxTreeNode) -> tuple[tuple[Inline, ...], str, bool]:
        """The title, a unique id, and whether the heading is numbered."""
        inline = node.children[0]
        title = self.inlines(inline, node)
        attrs = _HEADING_ATTRS.search(title[-1].text) if title and isinstance(title[-1], Text) else None
        if attrs:
            rest = title[-1].text[: attrs.start()]
            title = title[:-1] + ((Text(rest),) if rest else ())
        words = attrs.group(1).split() if attrs else []
        ids = [w[1:] for w in words if w.startswith("#")]
        wanted = ids[0] if ids else _slug(plain_text(title))
        return title, self.unique_id(wanted), not ({"-", ".unnumbered"} & set(words))

    def unique_id(self, wanted: str) -> str:
        count = self.state.ids.get(wanted, 0)
        self.state.ids[wanted] = count + 1
        return wanted if count == 0 else f"{wanted}-{count + 1}"

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self, nodes: list[SyntaxTreeNode], in_note: bool = False) -> tuple[Block, ...]:
        out: list[Block] = []
        for node in nodes:
            out.extend(self.block(node, in_note))
        return tuple(out)

    def block(self, node: SyntaxTreeNode, in_note: bool = False) -> list[Block]:
        """One source block → zero or more model blocks (definitions are collected, not placed)."""
        problems = self.state.problems
        pos = self.pos(node)
        match node.type:
            case "paragraph":
                content = self.inlines(node.children[0], node, in_note)
                return [Paragraph(content, pos=pos)] if content else []
            case "bullet_list" | "ordered_list":
                items = tuple(self.blocks(item.children, in_note) for item in node.children)
                start = int(node.attrs.get("start", 1)) if node.type == "ordered_list" else 1
                return [List(items, node.type == "ordered_list", start, pos=pos)]
            case "table":
                return [self.table(node, in_note)]
            case "blockquote":
                return [Quote(self.blocks(node.children, in_note), pos=pos)]
            case "fence" | "code_block":
                return [CodeBlock(node.content.rstrip("\n"), pos=pos)]
            case "hr":
                return [Rule(pos=pos)]
            case "html_block" if _COMMENT.fullmatch(node.content.strip()):
                return []  # <!-- guidance for authors --> is a comment, never printed
            case "html_block":
                problems.warn("raw HTML is not supported; it is kept as text", pos)
                return [Paragraph((Text(node.content.rstrip("\n")),), pos=pos)]
            case "heading":
                where = "a note" if in_note else "a box"
                problems.error(f"a heading cannot stand inside {where}", pos)
                return []
            case "container_box":
                if in_note:
                    problems.error("a box cannot stand inside a note", pos)
                    return []
                box = self.box(node)
                return [box] if box else []
            case "footnote_reference":
                self.note_definition(node)
                return []
            case _:
                problems.error(f"unsupported Markdown ({node.type})", pos)
                return []

    def box(self, node: SyntaxTreeNode) -> Box | None:
        problems = self.state.problems
        pos = self.pos(node)
        kind, _, title_src = node.info.strip().partition(" ")
        if node.nester_tokens.closing.markup == "":
            problems.error(f'box "{kind}" is never closed (add a line with {node.markup})', pos)
        if not kind:
            problems.error("box without a kind: write ::: recommendation, ::: good-practice or ::: box", pos)
            return None
        cls = BOX_KINDS.get(kind)
        if cls is None:
            close = difflib.get_close_matches(kind, list(BOX_KINDS), n=1, cutoff=0.5)
            hint = f' (did you mean "{close[0]}"?)' if close else f" (use one of: {', '.join(BOX_KINDS)})"
            problems.error(f'unknown box kind "{kind}"{hint}', pos)
            return None
        self.line = pos.line
        title = self.inline_text(title_src.strip(), pos) if title_src.strip() else ()
        blocks = self.blocks(node.children)
        if not blocks:
            problems.warn(f'empty {kind} box', pos)
        return cls(title, blocks, pos=pos)

    def note_definition(self, node: SyntaxTreeNode) -> None:
        label = node.meta["label"].replace("\u00a0", " ")
        pos = self.pos(node)
        blocks = self.blocks(node.children, in_note=True)
        known = self.state.notes.get(label)
        if known is not None:
            self.state.problems.error(f'note "[^{label}]" is defined twice (first at {known.pos})', pos)
            return
        if not blocks:
            self.state.problems.error(f'note "[^{label}]" is empty', pos)
        self.state.notes[label] = _NoteDef(blocks, pos)

    def table(self, node: SyntaxTreeNode, in_note: bool) -> Table:
        head: tuple = ()
        rows: list[tuple] = []
        aligns: tuple[str, ...] = ()
        for part in node.children:
            for row in part.children:
                cells = tuple(self.inlines(c.children[0], row, in_note) if c.children else ()
                              for c in row.children)
                if part.type == "thead":
                    head = cells
                    aligns = tuple(_align(c) for c in row.children)
                else:
                    rows.append(cells)
        return Table(head, tuple(rows), aligns, pos=self.pos(node))

    # -- inlines --------------------------------------------------------------------------

    def inline_text(self, source: str, pos: Pos) -> tuple[Inline, ...]:
        """Parse a one-line Markdown string (a box title) as inlines."""
        tokens = self.state.md.parseInline(source, {})
        node = SyntaxTreeNode(tokens).children[0]
        self.line = pos.line
        return _merge_text(self.children(node.children, False))

    def inlines(self, inline: SyntaxTreeNode, block: SyntaxTreeNode, in_note: bool = False) -> tuple[Inline, ...]:
        self.line = block.map[0] + 1 if block.map else self.line
        return _merge_text(self.children(inline.children, in_note))

    def children(self, nodes: list[SyntaxTreeNode], in_note: bool) -> list[Inline]:
        out: list[Inline] = []
        for node in nodes:
            out.extend(self.inline(node, in_note))
        return out

    def inline(self, node: SyntaxTreeNode, in_note: bool) -> list[Inline]:
        problems = self.state.problems
        match node.type:
            case "text":
                return [Text(node.content)]
            case "softbreak":
                self.line += 1
                return [Text(" ")]
            case "hardbreak":
                self.line += 1
                return [LineBreak()]
            case "code_inline":
                return [Code(node.content)]
            case "em":
                return [Emphasis(tuple(self.children(node.children, in_note)))]
            case "strong":
                return [Strong(tuple(self.children(node.children, in_note)))]
            case "link":
                url = str(node.attrs.get("href", ""))
                children = tuple(self.children(node.children, in_note))
                if url_scheme(url) in REFUSED_SCHEMES:
                    problems.error(f'link "{url[:60]}" refused: {url_scheme(url)}: links are not allowed', self.pos())
                    return list(children)
                return [Link(children, url)]
            case "image":
                return self.image(node)
            case "footnote_ref":
                if in_note:
                    problems.error(f'a note cannot call another note ("[^{node.meta["label"]}]")', self.pos())
                    return []
                return [Note(node.meta["label"].replace("\u00a0", " "), (), pos=self.pos())]
            case "html_inline" if _COMMENT.fullmatch(node.content):
                return []
            case "html_inline":
                problems.warn("raw HTML is not supported; it is kept as text", self.pos())
                return [Text(node.content)]
            case _:
                problems.error(f"unsupported Markdown ({node.type})", self.pos())
                return []

    def image(self, node: SyntaxTreeNode) -> list[Inline]:
        src = str(node.attrs.get("src", ""))
        alt = node.content
        target, problem = usable_file(src, self.folder, [self.state.root], "image", url=True)
        problem = problem or _image_problem(src, target)
        if problem:
            self.state.problems.error(problem, self.pos())
            return [Text(alt)] if alt else []
        return [Image(src, alt, str(target))]


def _image_problem(src: str, target: Path) -> str:
    """Why the file ``target`` is not an image both writers can show, or ""."""
    with open(target, "rb") as f:
        head = f.read(SVG_HEAD)
    return _svg_problem(src, target) if is_svg(head) else _raster_problem(src, target)


MAX_PIXELS = 50_000_000
"""Largest image we accept (about 7000 × 7000): bigger ones exhaust memory in both writers."""

_SVG_EXTERNAL = re.compile(rb"""(?:href|src)\s*=\s*["'](?!\s*(?:#|data:))([^"']*)|<!ENTITY|<xi:include""", re.I)


def _svg_problem(src: str, target: Path) -> str:
    """SVGs may not pull in other files or URLs (they would escape the report folder), and must
    be well-formed XML: both writers would leave a broken one out without a word."""
    data = target.read_bytes()
    match = _SVG_EXTERNAL.search(data)
    if match:
        what = (match.group(1) or match.group(0)).decode("utf-8", "replace")[:60]
        return f'image "{src}": SVG images may not reference other files or addresses ({what})'
    from xml.etree import ElementTree  # entities were refused above

    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as err:
        return f'image "{src}" is not a well-formed SVG file ({err})'
    if not root.tag.endswith("svg"):
        return f'image "{src}" is not an SVG image (its root element is <{root.tag.split("}")[-1]}>)'
    return ""


def _raster_problem(src: str, target: Path) -> str:
    import warnings

    from PIL import Image as PILImage  # Pillow comes with WeasyPrint; only needed when images exist

    try:
        with warnings.catch_warnings():
            # Pillow warns of an image past its own limit and refuses one past twice that; ours
            # (MAX_PIXELS) is lower, so the image is too large either way, and said so below.
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(target) as image:
                width, height = image.size
                kind = image.format
    except PILImage.DecompressionBombError as err:
        size = re.search(r"\((\d+) pixels\)", str(err))
        pixels = f"{int(size[1]):,} pixels" if size else "too many pixels"
        return f'image "{src}" is too large ({pixels}); scale it down to under 7000×7000'
    except Exception:  # Pillow raises many types for files it cannot read
        return f'image "{src}" is not a PNG, JPEG, GIF, WebP or SVG image'
    if kind not in ("PNG", "JPEG", "GIF", "WEBP"):
        return f'image "{src}" is a {kind} image; use PNG, JPEG, GIF, WebP or SVG'
    if width * height > MAX_PIXELS:
        return f'image "{src}" is too large ({width}×{height} pixels); scale it down to under 7000×7000'
    return ""


SVG_HEAD = 1024
"""Bytes of a file ``is_svg`` reads: room for an XML declaration, a generator's comment and a
doctype before the <svg> element."""


def is_svg(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first ``SVG_HEAD`` bytes) is an SVG image: markup
    (not a raster format's binary signature) with an <svg> element."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    return text.startswith(b"<") and b"<svg" in text


def _align(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    match = re.search(r"text-align:(\w+)", style)
    return match.group(1) if match else ""


def _merge_text(inlines: list[Inline]) -> tuple[Inline, ...]:
    """Join neighbouring Text nodes (markdown-it splits text at every special character)."""
    out: list[Inline] = []
    for node in inlines:
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + node.text)
        elif isinstance(node, (Emphasis, Strong, Link)):
            out.append(replace(node, children=_merge_text(list(node.children))))
        else:
            out.append(node)
    return tuple(out)


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower()).strip("-")
    return slug[:60].rstrip("-") or "section"
