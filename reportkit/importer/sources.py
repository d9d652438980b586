"""The imported report written out: chapters in reportkit's Markdown, and report.toml.

One ``match`` per node. Text is escaped where Markdown would read it as syntax, and every
paragraph, heading and cell is read back with reportkit's own parser: should its text come
back different (emphasis Markdown cannot express there), it is written without emphasis.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt

from ..model import (
    Block, Box, Code, CodeBlock, Emphasis, Image, Inline, LineBreak, Link, List, Note, Paragraph,
    Quote, Rule, Strong, Table, Text, iter_nodes, plain_text,
)
from ..new import toml_value
from ..parse import make_parser
from .mapping import Comment, Heading, Mapped

_ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);", re.I)
_LINE_START = re.compile(r"([#>|:~=+-])")
_ORDERED_START = re.compile(r"(\d{1,9})([.)])(\s|$)")
_QUOTES = re.compile("[\"'\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a\u00a0\u202f]")


class ChapterWriter:
    """Writes one chapter: its blocks, then the text of the notes it calls first."""

    def __init__(self, md: MarkdownIt, defined: set[str]):
        self.md = md
        self.defined = defined
        """Labels of the notes whose text is already written (in this chapter or an earlier one)."""
        self.notes: list[Note] = []
        self.lines_of: dict[int, int] = {}
        """id() of each top-level block → its first line."""
        self.other_marker: dict[int, bool] = {}
        """id() of each list → whether it took the other marker ("*", "1)")."""

    def write(self, nodes: list[Any]) -> str:
        lines: list[str] = []
        previous = None
        for node in nodes:
            if node is None:
                continue
            if lines:
                lines.append("")
            self.lines_of[id(node)] = len(lines) + 1
            lines += self.block(node, previous)
            previous = node
        for note in self.notes:  # a note's text may call no note: the list does not grow here
            body = self.blocks(note.blocks) or [""]
            lines += ["", f"[^{note.id}]: {body[0]}"] + [f"    {line}" if line else "" for line in body[1:]]
        return "\n".join(lines) + "\n"

    # --- blocks --------------------------------------------------------------------------

    def blocks(self, nodes: tuple[Block, ...]) -> list[str]:
        lines: list[str] = []
        previous = None
        for node in nodes:
            if lines:
                lines.append("")
            lines += self.block(node, previous)
            previous = node
        return lines

    def block(self, node: Any, previous: Any = None) -> list[str]:
        """One block's lines."""
        match node:
            case Heading(level, title, numbered):
                return [f"{'#' * level} {self.line(title)}" + ("" if numbered else " {-}")]
            case Paragraph(content=(Image(src=src, alt=alt, title=title),)):
                return [f"![{_escape(alt)}]({_url(src)}{_title(title)})"]
            case Paragraph(content):
                return self.paragraph(content)
            case List(items, ordered, start):
                # A list right after one of the same kind takes the other marker, or Markdown
                # would make the two one list.
                other = (isinstance(previous, List) and previous.ordered == ordered
                         and not self.other_marker.get(id(previous), False))
                self.other_marker[id(node)] = other
                lines: list[str] = []
                loose = any(len(item) > 1 for item in items)
                for n, item in enumerate(items):
                    marker = (f"{start + n}{')' if other else '.'} " if ordered else ("* " if other else "- "))
                    body = self.blocks(item) or [""]
                    if loose and lines:
                        lines.append("")
                    lines.append(marker + body[0])
                    lines += [" " * len(marker) + line if line else "" for line in body[1:]]
                return lines
            case Table(head, rows, aligns):
                columns = max([len(head)] + [len(r) for r in rows])
                cells = [[self.cell(row[c]) if c < len(row) else "" for c in range(columns)] for row in (head, *rows)]
                marks = {"left": ":---", "right": "---:", "center": ":---:"}
                delimiter = [marks.get(aligns[c] if c < len(aligns) else "", "---") for c in range(columns)]
                return [_row(cells[0]), _row(delimiter)] + [_row(r) for r in cells[1:]]
            case Quote(blocks):
                return [f"> {line}" if line else ">" for line in self.blocks(blocks)]
            case CodeBlock(text):
                fence = "`" * max(3, max((len(run) + 1 for run in re.findall(r"`+", text)), default=0))
                return [fence, *text.split("\n"), fence]
            case Rule():
                return ["***"]
            case Box(title=title, blocks=blocks):
                fence = ":" * (3 + _box_depth(blocks))
                head = f"{fence} {node.kind}" + (f" {self.line(title)}" if title else "")
                return [head, *self.blocks(blocks), fence]
        raise TypeError(f"no Markdown for {type(node).__name__}")

    def paragraph(self, content: tuple[Inline, ...]) -> list[str]:
        """A paragraph on one line (more after hard breaks). Comments opening it stand on their
        own line: a line opening with ``<!--`` is an HTML block in Markdown."""
        lines = []
        while content and isinstance(content[0], Comment):
            lines.append(self.inline(content[0]))
            content = content[1:]
            if content and isinstance(content[0], Text):
                content = (Text(content[0].text.lstrip()),) + content[1:]
        if content:
            lines += [_line_start(line.lstrip()) for line in self.checked(content).split("\n")]
        return lines

    def line(self, content: tuple[Inline, ...]) -> str:
        """Inlines on one line (a heading, a box title)."""
        flat = tuple(Text(" ") if isinstance(x, LineBreak) else x for x in content)
        return self.checked(flat).strip()

    def cell(self, content: tuple[Inline, ...]) -> str:
        flat = tuple(Text(" ") if isinstance(x, LineBreak) else x for x in content)
        return self.checked(flat, table=True).strip()

    def checked(self, content: tuple[Inline, ...], table: bool = False) -> str:
        """The Markdown of inlines, read back: written without emphasis if its text changed."""
        defined, notes = set(self.defined), list(self.notes)
        text = self.inlines(content, table=table)
        if _reading(self.md, text) != _expected(content):
            self.defined, self.notes = defined, notes
            text = self.inlines(content, table=table, emphasis=False)
        return text

    # --- inlines -------------------------------------------------------------------------

    def inlines(self, nodes: tuple[Inline, ...], table: bool = False, emphasis: bool = True) -> str:
        return "".join(self.inline(x, table, emphasis) for x in nodes)

    def inline(self, node: Inline, table: bool = False, emphasis: bool = True) -> str:
        """One inline's Markdown."""
        match node:
            case Text(text):
                return _escape(text, table)
            case Emphasis(children) | Strong(children):
                mark = "*" if isinstance(node, Emphasis) else "**"
                inner = _unnested(children, type(node))
                if not emphasis:
                    return self.inlines(inner, table, emphasis)
                head, core, tail = _edges(inner)
                if not core:
                    return self.inlines(inner, table, emphasis)
                return (self.inlines(head, table) + mark + self.inlines(core, table) + mark
                        + self.inlines(tail, table))
            case Code(text):
                ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
                pad = " " if text.startswith("`") or text.endswith("`") else ""
                code = f"{ticks}{pad}{text}{pad}{ticks}"
                return code.replace("|", "\\|") if table else code
            case LineBreak():
                return "\\\n"
            case Link(children, url):
                text = plain_text(children)
                if text == url and re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*", url):
                    return f"<{url}>"
                return f"[{self.inlines(children, table, emphasis)}]({_url(url)})"
            case Image(src=src, alt=alt):
                return f"![{_escape(alt, table)}]({_url(src)})"
            case Note(id=label):
                if label not in self.defined and node.blocks:
                    self.defined.add(label)
                    self.notes.append(node)
                return f"[^{label}]"
            case Comment(author, text):
                said = " ".join(text.split()).replace("--", "\u2013").replace("|", "/") or "(empty)"
                return f"<!-- comment{', ' + author.replace('--', '-') if author else ''}: {said} -->"
        raise TypeError(f"no Markdown for {type(node).__name__}")


def write_chapters(mapped: Mapped, language: str) -> tuple[dict[str, str], list[tuple[str, int, str]]]:
    """Each chapter's Markdown; and (file, line, message) of each flag."""
    md = make_parser(language)
    defined: set[str] = set()
    texts: dict[str, str] = {}
    lines: dict[int, tuple[str, int]] = {}
    for name, nodes in mapped.chapters:
        writer = ChapterWriter(md, defined)
        texts[name] = writer.write(nodes)
        lines.update({key: (name, line) for key, line in writer.lines_of.items()})
    flags = [(*lines.get(id(node), (mapped.chapters[0][0], 0)), message) for node, message in mapped.flags]
    return texts, flags


def manifest(mapped: Mapped, source: str) -> str:
    """report.toml: the cover data found, the options the document implies, the chapters."""
    meta = dict(mapped.meta)
    out = [f"# Imported from {source} by reportkit import: check the cover data below.", ""]
    for key in ("title", "subtitle", "authors", "date", "language", "logos"):
        if meta.get(key) or key in ("title", "authors"):
            out.append(f"{key} = {toml_value(meta[key])}")
    out += ["", "# How the report is built."]
    for key in ("notes", "number_headings", "number_paragraphs", "recommendations_summary", "toc_depth"):
        if key in meta:
            out.append(f"{key} = {toml_value(meta[key])}")
    out += ["", "# The chapter files, in reading order.", "chapters = ["]
    out += [f"    {toml_value(name)}," for name, _ in mapped.chapters] + ["]"]
    for partner in mapped.partners:
        out += ["", "[[partners]]"] + [f"{key} = {toml_value(value)}" for key, value in partner.items() if value]
    return "\n".join(out) + "\n"


# --- helpers -----------------------------------------------------------------------------------


def _escape(text: str, table: bool = False) -> str:
    """Text as Markdown: the characters that would start syntax get a backslash."""
    out = []
    for i, ch in enumerate(text):
        if ch in "\\`*[]<":
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()):
            out.append("\\_")
        elif ch == "&" and _ENTITY.match(text, i):
            out.append("\\&")
        elif ch == "|" and table:
            out.append("\\|")
        elif ch == "\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _line_start(line: str) -> str:
    """A line whose start Markdown would read as a block (a heading, a list, a quote…) escaped."""
    ordered = _ORDERED_START.match(line)
    if ordered:
        return line[:ordered.end(1)] + "\\" + line[ordered.end(1):]
    if _LINE_START.match(line) and (line[0] not in "+-" or line[1:2] in ("", " ", "-", "\t")):
        return "\\" + line
    return line


def _title(title: str) -> str:
    """An image's caption as a Markdown link title (after the file name), or ""."""
    if not title:
        return ""
    return ' "' + re.sub(r'([\\"])', r"\\\1", " ".join(title.split())) + '"'


def _url(url: str) -> str:
    if re.search(r"[\s<>()]", url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E").replace("\n", "") + ">"
    return url.replace("\\", "%5C")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _box_depth(blocks: tuple[Block, ...]) -> int:
    """How many boxes deep the boxes inside go: the outer fence needs that many more colons."""
    return max((1 + _box_depth(b.blocks) for b in blocks if isinstance(b, Box)), default=0)


def _unnested(children: tuple[Inline, ...], kind: type) -> tuple[Inline, ...]:
    """Emphasis inside emphasis of the same kind is the same emphasis."""
    out: list[Inline] = []
    for x in children:
        out += list(_unnested(x.children, kind)) if type(x) is kind else [x]
    return tuple(out)


def _edges(children: tuple[Inline, ...]) -> tuple[tuple[Inline, ...], tuple[Inline, ...], tuple[Inline, ...]]:
    """Spaces and line breaks at the edges of emphasis, which must stand outside its marks."""
    items = list(children)
    head: list[Inline] = []
    tail: list[Inline] = []
    while items and (isinstance(items[0], LineBreak) or isinstance(items[0], Text) and not items[0].text.strip()):
        head.append(items.pop(0))
    while items and (isinstance(items[-1], LineBreak) or isinstance(items[-1], Text) and not items[-1].text.strip()):
        tail.insert(0, items.pop())
    if items and isinstance(items[0], Text) and items[0].text != items[0].text.lstrip():
        stripped = items[0].text.lstrip()
        head.append(Text(items[0].text[: len(items[0].text) - len(stripped)]))
        items[0] = Text(stripped)
    if items and isinstance(items[-1], Text) and items[-1].text != items[-1].text.rstrip():
        stripped = items[-1].text.rstrip()
        tail.insert(0, Text(items[-1].text[len(stripped):]))
        items[-1] = Text(stripped)
    return tuple(head), tuple(items), tuple(tail)


def _expected(nodes: tuple[Inline, ...]) -> str:
    """What reading the Markdown of ``nodes`` must give back (see ``_reading``)."""
    out = []
    for x in nodes:
        match x:
            case Text(text) | Code(text):
                out.append(text)
            case LineBreak():
                out.append("\n")
            case Emphasis(children) | Strong(children) | Link(children):
                out.append(_expected(children))
            case Image(alt=alt):
                out.append(alt)
            case Note(id=label):
                out.append(f"[^{label}]")
            case Comment():
                out.append("<!---->")
    return _normal("".join(out))


def _reading(md: MarkdownIt, text: str) -> str:
    """The text reportkit's parser reads from one paragraph's Markdown."""
    tokens = md.parseInline(text, {})
    out: list[str] = []

    def visit(children: list) -> None:
        for token in children or []:
            match token.type:
                case "text" | "code_inline" | "text_special":
                    out.append(token.content)
                case "softbreak":
                    out.append(" ")
                case "hardbreak":
                    out.append("\n")
                case "image":
                    out.append(token.content)
                case "footnote_ref":
                    out.append(f"[^{token.meta['label']}]")
                case "html_inline":
                    out.append("<!---->" if token.content.startswith("<!--") else token.content)
            if token.type != "image":
                visit(token.children)

    visit(tokens[0].children if tokens else [])
    return _normal("".join(out))


def _normal(text: str) -> str:
    """Text as compared: spaces folded, quotation marks left out (the parser curls them)."""
    return " ".join(_QUOTES.sub("", text).split())


def count(mapped: Mapped) -> dict[str, int]:
    """What was found, for the summary line."""
    from ..model import GoodPractice, Recommendation
    from ..transforms import recommendation_items

    nodes = [n for _, blocks in mapped.chapters for b in blocks for n in iter_nodes(b)]
    notes = {n.id for _, blocks in mapped.chapters for b in blocks for n in _notes(b)}
    recs = [n for n in nodes if isinstance(n, Recommendation)]
    return {
        "chapters": len(mapped.chapters),
        "headings": sum(isinstance(n, Heading) for n in nodes),
        "notes": len(notes),
        "recommendation boxes": len(recs),
        "recommendations": sum(len(recommendation_items(r)) for r in recs),
        "good-practice boxes": sum(isinstance(n, GoodPractice) for n in nodes),
        "other boxes": sum(type(n) is Box for n in nodes),
        "tables": sum(isinstance(n, Table) for n in nodes),
        "images": sum(isinstance(n, Image) for n in nodes),
    }


def _notes(block: Any) -> list[Note]:
    return [x for x in iter_nodes(block) if isinstance(x, Note)]
