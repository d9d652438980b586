"""Chapter files → the document model (markdown-it-py tokens in, our nodes out).

The dialect is CommonMark + tables + footnotes (mdit-py-plugins) + ``::: kind Title`` containers.
Notes are resolved across the whole report: a call in one chapter may be defined in another.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.smartquotes import smartquotes
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Pos, Problems
from .citations import check_citations
from .files import url_scheme, usable_file
from .labels import CATALOGUES, labels
from .model import (
    BOX_KINDS, Block, Box, Chapter, Citation, Code, CodeBlock, Emphasis, Image, Inline, LineBreak, Link,
    List, Metadata, Note, Paragraph, Quote, Report, Rule, Section, Strong, StyledBox, Table, Text, iter_nodes,
    plain_text, walk,
)

MAX_NESTING = 100
"""markdown-it's nesting limit (tokens deep). Past it markdown-it silently drops the rest of the
block, so reaching it is an error, not a loss of text; and it keeps recursion far from Python's limit."""

REFUSED_SCHEMES = ("javascript", "data", "vbscript", "file")
"""Link schemes that are refused: they run code or reach the reader's disk."""

_KEY = r"\w(?:[\w:.#$%&+?<>~/-]*\w)?"
_ONE = rf"@{_KEY}(?:,(?:[^\[\]\n;]|;(?!\s*@))*)?\s*"
_CITATION = re.compile(rf"\[(?P<cited>{_ONE}(?:;\s*{_ONE})*)\]")
"""A citation: ``[@tip2013]``, or with a locator ``[@tip2013, p. 12]``, or several in one bracket
as Pandoc writes them (``[@tip2013, p. 12; @unfpa2012]``: a semicolon before "@" begins the next;
they print joined by "; "). A source id is Pandoc's citation key: letters, digits and "_", with
punctuation inside (``un-crc:2015``), never at its end, so ``[@*]`` or ``[@key.]`` stay text."""
_CITED = re.compile(rf"@(?P<id>{_KEY})(?:,\s*(?P<locator>.*?))?\s*", re.S)
"""One citation of a bracket (``_CITATION``'s ``cited``, split before each "; @")."""
_NOTE_LABEL = re.compile(r"\[\^[^\]\n]* [^\]\n]*\]")
_COMMENT = re.compile(r"<!--.*?-->(\s*<!--.*?-->)*", re.S)
_HEADING_ATTRS = re.compile(r"\s*\{([^{}]*)\}\s*$")
"""One ``{…}`` group of Pandoc attributes at the end of a heading; reportkit knows ``#id``, and
``-`` or ``.unnumbered``. Several groups may follow each other: ``{#law} {-}``."""
_ID = re.compile(r"#[\w\-.:]+")
_ATTR_WORD = re.compile(r"-(?=#)|\S+")
"""A word of an attribute group: ``{-#law}`` is ``-`` and ``#law``, as ``{- #law}`` is."""
_OWN_NUMBER = re.compile(r"(\d+(?:\.\d+)*[.)]|\d+(?:\.\d+)+|[IVXLC]+[.)])\s")
"""A number typed at the start of a heading: "2.1 ", "3. ", "II. ", "4) " (not "2013 ")."""
_PASTED_BULLET = re.compile(r"^( {0,3})[\u2022\u25e6\u25aa\u2023\u2043\u00b7\uf0b7][ \t]+", re.M)
"""A bullet character and a tab or spaces, as text copied from a word processor starts a list item."""
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
"""A terminal's colour or cursor code (ESC [ … letter), as pasted terminal output holds."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
"""C0 control characters other than tab and line feed (CR is gone by then), and the two
noncharacters U+FFFE and U+FFFF: not allowed in XML, so no writer could keep them."""
_C0_NAMES = (
    "NULL", "START OF HEADING", "START OF TEXT", "END OF TEXT", "END OF TRANSMISSION", "ENQUIRY",
    "ACKNOWLEDGE", "BELL", "BACKSPACE", "CHARACTER TABULATION", "LINE FEED", "LINE TABULATION",
    "FORM FEED", "CARRIAGE RETURN", "SHIFT OUT", "SHIFT IN", "DATA LINK ESCAPE", "DEVICE CONTROL ONE",
    "DEVICE CONTROL TWO", "DEVICE CONTROL THREE", "DEVICE CONTROL FOUR", "NEGATIVE ACKNOWLEDGE",
    "SYNCHRONOUS IDLE", "END OF TRANSMISSION BLOCK", "CANCEL", "END OF MEDIUM", "SUBSTITUTE", "ESCAPE",
    "INFORMATION SEPARATOR FOUR", "INFORMATION SEPARATOR THREE", "INFORMATION SEPARATOR TWO",
    "INFORMATION SEPARATOR ONE",
)
_CONTROL_REPLACEMENT = {"\x0b": "\u2028", "\x0c": " "}
"""A line tabulation is a word processor's line break; a form feed (between the pages of text
copied out of a PDF) is a space; any other control character is removed."""
LINE_SEPARATORS = "\u2028\u2029"
"""Unicode's line and paragraph separators (word processors paste them): line breaks."""


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
    number_headings: bool = False
    """Whether report.toml numbers the headings (then a typed number is a mistake)."""
    notes: dict[str, _NoteDef] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    """The anchors given to headings so far."""
    explicit_ids: dict[str, Pos] = field(default_factory=dict)
    """Each ``{#id}`` given so far, and where: a second one is an error."""
    reserved: set[str] = field(default_factory=set)
    """Every ``{#id}`` of the report, gathered before conversion: a slug never takes one."""
    anchors: list[tuple[str, Pos]] = field(default_factory=list)
    """Each ``[text](#anchor)`` link, checked against the report's headings and boxes at the end."""
    excused: set[str] = field(default_factory=set)
    """Note labels called where a note cannot stand, or suggested for a mistyped one: already
    reported, so not "defined but never used" too."""
    last_level: int = 0
    box_kinds: dict = field(default_factory=dict)
    """The kinds of box the style defines, by name (``themes.BoxKind``)."""
    language: str = "en"
    """The report's language, for those kinds' labels."""
    cited: int = 0
    """Citations written in body text so far: each gets a note of its own, named by this count."""


def parse_report(meta: Metadata, files: list[Path], root: Path, problems: Problems,
                 box_kinds: tuple = ()) -> Report:
    """Parse every chapter file and resolve notes and links; errors and warnings go to ``problems``.
    ``box_kinds``: the kinds of box the style defines (``themes.BoxKind``), besides the built-in ones."""
    state = _State(root.resolve(), problems, make_parser(meta.language), meta.number_headings)
    state.box_kinds = {k.name: k for k in box_kinds}
    state.language = meta.language
    trees = [(path, _syntax_tree(path, state)) for path in files]
    state.reserved = {ident for _, tree in trees if tree for ident in _explicit_ids(tree)}
    chapters = [_Converter(str(path), path.parent.resolve(), state).chapter(tree)
                for path, tree in trees if tree is not None]
    report = Report(_cover_quotes(meta, state.md), tuple(chapters), str(state.root))
    report = walk(report, lambda x: _resolve_note(x, state) if isinstance(x, Note) else x)
    for label, note in state.notes.items():
        if not note.used and label not in state.excused:
            problems.error(f'note "[^{label}]" is defined but never used', note.pos)
    _check_anchors(report, state)
    check_citations(report, root, problems)
    return report


def smart_quotes(text: str, md: MarkdownIt) -> str:
    """``text`` with its straight quotes and apostrophes the language's, by the same rule as the
    chapters' text (markdown-it's smartquotes, with ``md``'s quotation marks); no other markup."""
    token = Token("text", "", 0, content=text)
    state = StateCore(text, md, {})
    state.tokens = [Token("inline", "", 0, content=text, children=[token])]
    smartquotes(state)
    return token.content


def _cover_quotes(meta: Metadata, md: MarkdownIt) -> Metadata:
    """The report.toml text the cover prints, quoted as the body is (a title citing a law's
    "name" gets the language's quotation marks in the PDF and the DOCX alike)."""
    quote = functools.partial(smart_quotes, md=md)
    return replace(meta, title=quote(meta.title), subtitle=quote(meta.subtitle), date=quote(meta.date),
                   authors=tuple(map(quote, meta.authors)),
                   partners=tuple(replace(p, name=quote(p.name), description=quote(p.description))
                                  for p in meta.partners))


def read_source(path: Path, problems: Problems) -> str | None:
    """A chapter's text: UTF-8 (a BOM is fine), any line endings; None (and a warning) if empty,
    None (and an error) if unusable. Control characters are removed or replaced (with a
    warning), bullets pasted from a word processor become Markdown list items."""
    where = str(path)
    data = path.read_bytes()
    if not data.strip():
        problems.warn("empty chapter file: it is left out until it has text", Pos(where, 1))
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
    text = _PASTED_BULLET.sub(r"\1- ", text)
    if _CONTROL.search(text):
        text = _without_controls(text, where, problems)
    return joined_note_labels(text)


def joined_note_labels(text: str) -> str:
    """``text`` with the spaces inside note labels made no-break spaces (same length): the
    footnote plugin stops a label at a space, and "[^my note]" must stay one label."""
    return _NOTE_LABEL.sub(lambda m: m.group(0).replace(" ", "\u00a0"), text)


def _without_controls(text: str, where: str, problems: Problems) -> str:
    """``text`` with its control characters replaced or removed, one warning per character and line."""
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if not _CONTROL.search(line):
            continue
        for char in dict.fromkeys(_CONTROL.findall(line)):
            code = ord(char)
            what = f"control character U+{code:04X} {_C0_NAMES[code]}" if code < 32 else f"noncharacter U+{code:04X}"
            if char == "\x1b" and _ANSI.search(line):
                done = "removed, with the terminal colour code it starts"
            else:
                done = {"\x0b": "replaced by a line break", "\x0c": "replaced by a space"}.get(char, "removed")
            problems.warn(f"{what} {done}", Pos(where, number))
        line = _ANSI.sub("", line)
        lines[number - 1] = _CONTROL.sub(lambda m: _CONTROL_REPLACEMENT.get(m.group(0), ""), line)
    return "\n".join(lines)


def _syntax_tree(path: Path, state: _State) -> SyntaxTreeNode | None:
    """A chapter file's syntax tree, after the checks on its source text; None if it cannot be read."""
    text = read_source(path, state.problems)
    if text is None:
        return None
    _check_placeholders(text, str(path), state.problems)
    tokens = state.md.parse(text, {})
    deepest = max(tokens, key=lambda t: t.level, default=None)
    if deepest is not None and deepest.level >= MAX_NESTING - 1:
        line = deepest.map[0] + 1 if deepest.map else 0
        state.problems.error(f"lists, quotes or boxes nested too deeply (more than {MAX_NESTING // 2} levels)",
                             Pos(str(path), line))
        return None
    return SyntaxTreeNode(tokens)


def _explicit_ids(tree: SyntaxTreeNode) -> list[str]:
    """The ``{#id}`` of every top-level heading, read from its source text."""
    ids = []
    for node in tree.children:
        if node.type == "heading":
            _, words = heading_attributes(node.children[0].content)
            ids += [w[1:] for w in words if _ID.fullmatch(w)]
    return ids


def heading_attributes(text: str) -> tuple[str, list[str]]:
    """A heading's text without the ``{…}`` groups that end it, and the words in them."""
    words: list[str] = []
    while match := _HEADING_ATTRS.search(text):
        words = _ATTR_WORD.findall(match.group(1)) + words
        text = text[: match.start()]
    return text, words


def placeholders_in(text: str) -> list[str]:
    """The template placeholders ``text`` (one line) holds: the shipped templates' "[…]"
    placeholders, or the whole line when it is a "To be written." placeholder."""
    found = template_placeholders().findall(text)
    line = text.strip()
    if _TO_BE_WRITTEN.search(line) or line in _TO_BE_WRITTEN_LABELS:
        found.append(line)
    return found


_BRACKETED = re.compile(r"(?<![\]!\\])\[[^\[\]\n^]+\](?![(\[:])")
"""Text in square brackets that is not a link, an image, a note call or a reference definition."""
_TO_BE_WRITTEN = re.compile(r"(^|\s)to be written\.$", re.I)
_TO_BE_WRITTEN_LABELS = {c["to_be_written"] for c in CATALOGUES.values()}


@functools.cache
def template_placeholders() -> re.Pattern:
    """Every "[…]" placeholder the shipped templates write (in their chapters, outside comments,
    and in their report.toml values), as one pattern; "[sic]" and the like are not among them."""
    import tomllib

    from .new import TEMPLATES_DIR  # new.py imports this module

    found: set[str] = set()
    for path in TEMPLATES_DIR.glob("*/*.md"):
        found.update(_BRACKETED.findall(_COMMENT.sub("", path.read_text(encoding="utf-8"))))
    for path in TEMPLATES_DIR.glob("*/report.toml"):
        for value in _strings(tomllib.loads(path.read_text(encoding="utf-8"))):
            found.update(_BRACKETED.findall(value))
    if not found:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(re.escape(p) for p in sorted(found, key=len, reverse=True)))


def _strings(value: object) -> list[str]:
    """Every string in a TOML value (lists and tables included)."""
    match value:
        case str():
            return [value]
        case list():
            return [s for v in value for s in _strings(v)]
        case dict():
            return [s for v in value.values() for s in _strings(v)]
    return []


def _check_placeholders(text: str, where: str, problems: Problems) -> None:
    """Warn of each template placeholder left in a chapter's text (comments left out)."""
    text = _without_comments(text)
    for number, line in enumerate(text.split("\n"), 1):
        for placeholder in dict.fromkeys(placeholders_in(line)):
            problems.warn(placeholder_message(placeholder), Pos(where, number))


def _without_comments(text: str) -> str:
    """``text`` with its ``<!-- -->`` comments emptied, their lines kept (so line numbers hold)."""
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def placeholder_message(placeholder: str) -> str:
    """What a warning says of a placeholder left in the sources."""
    shown = placeholder if len(placeholder) <= 70 else placeholder[:69] + "…"
    return f'placeholder "{shown}" left from the template: write what it stands for'


MAX_GLYPH_WARNINGS = 10
"""Lines of one chapter named for characters the fonts lack; the rest are counted in one more line."""


def check_characters(report: Report, faces: tuple, problems: Problems) -> None:
    """Warn of each line of the chapters holding a character that none of the style's fonts
    (``theme.faces``) has: the PDF engine would take it from another installed font, if one has it,
    or draw a box. Comments are left out; spaces and invisible characters need no glyph."""
    if not faces:
        return
    covered = frozenset().union(*(f.characters for f in faces))
    families = ", ".join(dict.fromkeys(f.family for f in faces))
    for chapter in report.chapters:
        text = read_source(Path(chapter.path), Problems()) or ""
        missing = {c for c in set(text) if ord(c) not in covered and not _invisible(c)}
        if not missing:
            continue
        text = _without_comments(text)
        lines = [(n, [c for c in dict.fromkeys(line) if c in missing])
                 for n, line in enumerate(text.split("\n"), 1)]
        lines = [(n, chars) for n, chars in lines if chars]
        for number, chars in lines[:MAX_GLYPH_WARNINGS]:
            first = f'"{chars[0]}" (U+{ord(chars[0]):04X} {unicodedata.name(chars[0], "")})'.replace(" )", ")")
            several = len(chars) > 1
            what = f"{first} and {len(chars) - 1} other characters are" if several else f"{first} is"
            them, boxes = ("them", "boxes") if several else ("it", "a box")
            problems.warn(f"{what} in none of the style's fonts ({families}): the PDF shows {them} in "
                          f"another installed font, or as {boxes}; add a font that has {them} to the "
                          "style's fonts/ folder", Pos(chapter.path, number))
        if len(lines) > MAX_GLYPH_WARNINGS:
            problems.warn(f"{len(lines) - MAX_GLYPH_WARNINGS} more lines hold characters none of the "
                          "style's fonts has", Pos(chapter.path, lines[MAX_GLYPH_WARNINGS][0]))


def _invisible(char: str) -> bool:
    """Spaces, separators, format characters and variation selectors: no glyph is drawn for them."""
    return (char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
            or "\ufe00" <= char <= "\ufe0f")


def _resolve_note(call: Note, state: _State) -> Note:
    if call.blocks:  # the note of a citation in body text
        return call
    note = state.notes.get(call.id)
    if note is None:
        close = difflib.get_close_matches(call.id, list(state.notes), n=1, cutoff=0.8)
        close += [label for label in state.notes if label.casefold() == call.id.casefold()]
        hint = f' (did you mean "[^{close[-1]}]"?)' if close else ""
        state.excused.update(close[-1:])
        state.problems.error(f'note "[^{call.id}]" is not defined{hint}', call.pos)
        return call
    note.used = True
    return replace(call, blocks=note.blocks)


def _check_anchors(report: Report, state: _State) -> None:
    """Every ``#anchor`` link must lead to a heading's id, a box's (boxes are numbered later;
    their ids are those ``transforms.number_boxes`` gives), or a table's or figure's ``{#id}``."""
    if not state.anchors:
        return
    from .transforms import number_boxes

    known = {n.id for n in iter_nodes(number_boxes(report).chapters)
             if isinstance(n, (Box, Section, Table, Image)) and n.id}
    for anchor, pos in state.anchors:
        if anchor in known:
            continue
        close = [k for k in sorted(known) if k.casefold() == anchor.casefold()]
        close = close or difflib.get_close_matches(anchor, sorted(known), n=1, cutoff=0.6)
        hint = f' (did you mean "#{close[0]}"?)' if close else f" (give the heading {{#{anchor or 'name'}}})"
        state.problems.error(f'link to "#{anchor}": nothing in the report has that anchor{hint}', pos)


class _Converter:
    """Turns one file's syntax tree into model nodes; one case per token type."""

    def __init__(self, path: str, folder: Path, state: _State):
        self.path = path
        self.folder = folder
        self.state = state
        self.line = 0  # current source line, for inline nodes (markdown-it maps blocks only)
        self.inside = ""  # what the blocks being converted stand in ("a list item"…), for messages

    def chapter(self, tree: SyntaxTreeNode) -> Chapter:
        """The chapter a file's syntax tree holds; a file without a ``#`` heading is warned of."""
        blocks = self.sections(tree.children)
        if not any(isinstance(b, Section) and b.level == 1 for b in blocks):
            self.state.problems.warn('the chapter has no "#" heading: start it with "# Title" '
                                     "(its title in the contents)", Pos(self.path, 1))
        return Chapter(self.path, blocks)

    def pos(self, node: SyntaxTreeNode | None = None) -> Pos:
        if node is not None and node.map:
            return Pos(self.path, node.map[0] + 1, node.map[1])
        return Pos(self.path, self.line)

    # -- sections -------------------------------------------------------------------------

    def sections(self, nodes: list[SyntaxTreeNode]) -> tuple[Block, ...]:
        """Nest the file's top-level blocks under its headings."""
        top: list[Block] = []
        stack: list[tuple[SyntaxTreeNode, tuple[Inline, ...], str, bool, list[Block], bool]] = []

        def close_to(level: int) -> None:
            while stack and int(stack[-1][0].tag[1]) >= level:
                heading, title, ident, numbered, blocks, annex = stack.pop()
                section = Section(int(heading.tag[1]), title, ident, tuple(self.captions(blocks)), numbered=numbered,
                                  annex=annex, pos=self.pos(heading),
                                  summary=".summary" in heading_attributes(heading.children[0].content)[1])
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
                title, ident, numbered, annex = self.heading(node)
                stack.append((node, title, ident, numbered, [], annex or bool(stack and stack[-1][5])))
            else:
                (stack[-1][4] if stack else top).extend(self.block(node))
        close_to(1)
        return tuple(self.captions(top))

    def heading(self, node: SyntaxTreeNode) -> tuple[tuple[Inline, ...], str, bool, bool]:
        """The title, a unique id, whether the heading is numbered, and whether it is marked
        ``{.annex}``."""
        inline = node.children[0]
        title = self.inlines(inline, node)
        words: list[str] = []
        if title and isinstance(title[-1], Text):
            rest, words = heading_attributes(title[-1].text)
            title = title[:-1] + ((Text(rest),) if rest else ())
        unknown = [w for w in words if not _ID.fullmatch(w) and w not in ("-", ".unnumbered", ".annex", ".summary")]
        if unknown:
            self.state.problems.warn(f'unknown heading attribute "{{{" ".join(unknown)}}}" left out '
                                     "(headings take {#name}, {-}, {.annex} and {.summary})", self.pos(node))
        ids = [w[1:] for w in words if _ID.fullmatch(w)]
        numbered = not ({"-", ".unnumbered"} & set(words))
        if numbered and self.state.number_headings:
            self.own_number(plain_text(title), node)
        annex = ".annex" in words
        if ids:
            return title, self.explicit_id(ids[0], self.pos(node)), numbered, annex
        return title, self.unique_id(_slug(plain_text(title))), numbered, annex

    def own_number(self, text: str, node: SyntaxTreeNode) -> None:
        """Warn of a heading typed with its number when reportkit numbers headings itself."""
        match = _OWN_NUMBER.match(text)
        if match and not text[match.end():][:1].islower():  # "1.5 million children" is no number
            shown = text if len(text) <= 40 else text[:39] + "…"
            self.state.problems.warn(
                f'heading "{shown}" is typed with its own number, and number_headings = true numbers it '
                f'again: remove "{match.group(1)}" (or set number_headings = false)', self.pos(node))

    def explicit_id(self, wanted: str, pos: Pos) -> str:
        """The author's ``{#id}``: it must be unique (links to it would go to the first)."""
        first = self.state.explicit_ids.get(wanted)
        if first is not None:
            self.state.problems.error(f'anchor "{{#{wanted}}}" is given twice (first at {first})', pos)
        self.state.explicit_ids.setdefault(wanted, pos)
        self.state.ids.add(wanted)
        return wanted

    def unique_id(self, wanted: str) -> str:
        """A slug made unique with "-2", "-3"…, never one of the report's ``{#id}``."""
        ident, n = wanted, 1
        while ident in self.state.ids or ident in self.state.reserved:
            n += 1
            ident = f"{wanted}-{n}"
        self.state.ids.add(ident)
        return ident

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self, nodes: list[SyntaxTreeNode], in_note: bool = False, inside: str = "") -> tuple[Block, ...]:
        """The blocks of a list item, a quote, a box or a note (``inside`` names it for messages)."""
        out: list[Block] = []
        outer, self.inside = self.inside, inside or self.inside
        try:
            for node in nodes:
                out.extend(self.block(node, in_note))
        finally:
            self.inside = outer
        return tuple(self.captions(out))

    def block(self, node: SyntaxTreeNode, in_note: bool = False) -> list[Block]:
        """One source block → zero or more model blocks (definitions are collected, not placed)."""
        problems = self.state.problems
        pos = self.pos(node)
        match node.type:
            case "paragraph":
                content = self.inlines(node.children[0], node, in_note)
                return [Paragraph(self.figure_id(content, pos), pos=pos)] if content else []
            case "bullet_list" | "ordered_list":
                items = tuple(self.blocks(item.children, in_note, "a list item") for item in node.children)
                start = int(node.attrs.get("start", 1)) if node.type == "ordered_list" else 1
                if node.type == "ordered_list":
                    self.warn_numbered_paragraphs(node, start)
                return [List(items, node.type == "ordered_list", start, pos=pos)]
            case "table":
                return [self.table(node, in_note)]
            case "blockquote":
                return [Quote(self.blocks(node.children, in_note, "a block quote"), pos=pos)]
            case "fence" | "code_block":
                if node.type == "code_block":
                    problems.warn("text indented by four spaces or a tab is shown as code (monospaced, "
                                  "not wrapped): remove the indentation, or fence code with ```", pos)
                text = re.sub(f"[{LINE_SEPARATORS}]", "\n", node.content.rstrip("\n"))
                return [CodeBlock(text, pos=pos)]
            case "hr":
                return [Rule(pos=pos)]
            case "html_block" if _COMMENT.fullmatch(node.content.strip()):
                return []  # <!-- guidance for authors --> is a comment, never printed
            case "html_block":
                problems.warn("raw HTML is not supported; it is kept as text", pos)
                return [Paragraph((Text(node.content.rstrip("\n")),), pos=pos)]
            case "heading":
                where = "a note" if in_note else self.inside or "a box"
                hint = _HEADING_HINTS.get(where, "")
                problems.error(f"a heading cannot stand inside {where}{hint}", pos)
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

    def warn_numbered_paragraphs(self, node: SyntaxTreeNode, start: int) -> None:
        """A paragraph opening with a number and a full stop ("2013. The year…") is a list item
        to CommonMark: warn where that is likely a mistake (a list of one item not numbered from
        1, or an item numbered like a year), with the escape that keeps it a paragraph."""
        items = node.children
        for index, item in enumerate(items):
            written = item.info or str(start + index)
            if (len(items) == 1 and start != 1) or int(written) >= 1000:
                shown = "" if int(written) == start + index else f" (numbered {start + index})"
                self.state.problems.warn(
                    f'"{written}{item.markup}" at the start of a paragraph makes it a numbered list item{shown}; '
                    f'if it is not one, write "{written}\\{item.markup}"', self.pos(item))

    def box(self, node: SyntaxTreeNode) -> Box | None:
        problems = self.state.problems
        pos = self.pos(node)
        kind, _, title_src = node.info.strip().partition(" ")
        # A ::: line closes the first box still open; a box opened inside an unclosed box with
        # as many colons takes the outer box's closing line, so the outer one was left open.
        inner = next((c for c in node.children if c.type == "container_box"
                      and len(c.markup) >= len(node.markup)), None)
        if inner is not None:
            line = self.pos(inner).line
            problems.error(f'box "{kind}" is never closed: add a line with {node.markup} before line {line} '
                           f'(or, to put the box of line {line} inside it, open this one with {node.markup}:)', pos)
        elif node.nester_tokens.closing.markup == "" and not _holds_same_fence(node.parent, node):
            problems.error(f'box "{kind}" is never closed (add a line with {node.markup})', pos)
        if not kind:
            problems.error("box without a kind: write ::: recommendation, ::: good-practice or ::: box", pos)
            return None
        cls, styled = BOX_KINDS.get(kind), self.state.box_kinds.get(kind)
        if cls is None and styled is None:
            known = [*BOX_KINDS, *self.state.box_kinds]
            close = difflib.get_close_matches(kind, known, n=1, cutoff=0.5)
            hint = f' (did you mean "{close[0]}"?)' if close else f" (use one of: {', '.join(known)})"
            problems.error(f'unknown box kind "{kind}"{hint}', pos)
            return None
        self.line = pos.line
        bare, words = heading_attributes(title_src)  # ::: box Title {#name}
        ids = [w[1:] for w in words if _ID.fullmatch(w)]
        title_src = bare if ids else title_src
        title = self.inline_text(title_src.strip(), pos) if title_src.strip() else ()
        blocks = self.blocks(node.children, inside="a box")
        if not blocks:
            problems.warn(f'empty {kind} box', pos)
        ident = self.explicit_id(ids[0], pos) if ids else ""
        if styled is not None:
            return StyledBox(title, blocks, id=ident, pos=pos, name=kind, label=styled.label_in(self.state.language),
                             numbered=styled.numbered)
        return cls(title, blocks, id=ident, pos=pos)

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
        table = Table(head, tuple(rows), aligns, pos=self.pos(node))
        # "Table: …" right under a table, with no empty line between, is read as its last row.
        caption = _caption_of(rows[-1][0]) if rows and not any(rows[-1][1:]) else None
        if caption is not None:
            table = self.captioned(replace(table, rows=tuple(rows[:-1])), caption, Pos(self.path, table.pos.end))
        return table

    def captions(self, blocks: list[Block]) -> list[Block]:
        """Blocks with each table caption (a paragraph ``Table: …`` or ``: …``) moved into the
        table right before it or, failing that, right after it (Pandoc's rule)."""
        out: list[Block] = []
        pending = None
        for i, block in enumerate(blocks):
            caption = _caption_of(block.content) if isinstance(block, Paragraph) else None
            if caption is not None and out and isinstance(out[-1], Table) and not out[-1].caption:
                out[-1] = self.captioned(out[-1], caption, block.pos)
                continue
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            if caption is not None and isinstance(following, Table) and not following.caption:
                pending = caption, block.pos
                continue
            if isinstance(block, Table) and pending is not None and not block.caption:
                block = self.captioned(block, *pending)
            pending = None
            out.append(block)
        return out

    def captioned(self, table: Table, caption: tuple[tuple[Inline, ...], str], pos: Pos | None) -> Table:
        """``table`` with its caption and the caption's ``{#id}``, if any (the caption at ``pos``)."""
        content, ident = caption
        return replace(table, caption=content, id=self.explicit_id(ident, pos or table.pos) if ident else "")

    def figure_id(self, content: tuple[Inline, ...], pos: Pos) -> tuple[Inline, ...]:
        """A figure's ``{#id}`` (``![alt](img.png "Caption"){#fig-name}``) taken into its image."""
        match content:
            case (Image() as image, Text(text)):
                rest, words = heading_attributes(text)
                ids = [w[1:] for w in words if _ID.fullmatch(w)]
                if ids and not rest.strip():
                    return (replace(image, id=self.explicit_id(ids[0], pos)),)
        return content

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
                return self.cited(node.content, in_note)
            case "softbreak":
                self.line += 1
                return [Text(" ")]
            case "hardbreak":
                self.line += 1
                return [LineBreak()]
            case "code_inline":
                return [Code(re.sub(f"[{LINE_SEPARATORS}]", " ", node.content))]
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
                if url.startswith("#"):
                    self.state.anchors.append((unquote(url[1:]), self.pos()))
                elif not url_scheme(url):
                    problems.warn(_local_link_message(url), self.pos())
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

    def cited(self, text: str, in_note: bool) -> list[Inline]:
        """Text with its citations (``[@id]``, ``[@id, p. 12]``). One in body text gets a note
        of its own, called after the punctuation that follows it ("as reported.¹")."""
        if not _CITATION.search(text):
            return _line_breaks(text)
        out: list[Inline] = []
        while match := _CITATION.search(text):
            before, text = text[: match.start()], text[match.end():]
            cited: list[Inline] = []
            for item in re.split(r";\s*(?=@)", match["cited"]):
                one = _CITED.fullmatch(item)
                cited += [Text("; ")] * bool(cited) + [Citation(one["id"], (one["locator"] or "").strip(), pos=self.pos())]
            if not in_note:
                punctuation = re.match(r"[.,;:!?]*", text).group(0)
                before, text = before.rstrip() + punctuation, text[len(punctuation):]
                self.state.cited += 1
                first = cited[0].source
                cited = [Note(f"@{first}-{self.state.cited}", (Paragraph(tuple(cited), pos=self.pos()),), pos=self.pos())]
            out += (_line_breaks(before) if before else []) + cited
        return out + (_line_breaks(text) if text else [])

    def image(self, node: SyntaxTreeNode) -> list[Inline]:
        src = str(node.attrs.get("src", ""))
        for call in (n for n in node.walk() if n.type == "footnote_ref"):
            label = call.meta["label"].replace("\u00a0", " ")
            self.state.excused.add(label)
            self.state.problems.error(f'a note cannot stand in an image caption ("[^{label}]"): '
                                      "call it in the text before or after the image", self.pos())
        alt = plain_text(_merge_text(self.children(node.children, False)))  # the caption's text, notes left out
        target, problem = usable_file(src, self.folder, [self.state.root], "image", url=True)
        problem = problem or image_problem(src, target)
        if problem:
            self.state.problems.error(problem, self.pos())
            return [Text(alt)] if alt else []
        return [Image(src, alt, str(target), str(node.attrs.get("title") or "").strip())]


_HEADING_HINTS = {
    "a list item": ' (leave an empty line before it, and start it at the beginning of the line)',
    "a block quote": ' (remove the ">" before it)',
}


def _holds_same_fence(parent: SyntaxTreeNode | None, node: SyntaxTreeNode) -> bool:
    """Whether ``node`` is a box opened inside a box with no more colons (that box reports it)."""
    return parent is not None and parent.type == "container_box" and len(node.markup) >= len(parent.markup)


def _local_link_message(url: str) -> str:
    """Why a link without a scheme is left out: it names a file on the author's computer."""
    if not url.strip():
        return "link without an address: only its text is kept"
    if url.lower().startswith("www."):
        return f'link "{url[:60]}" has no "https://": write https://{url[:60]} (only its text is kept)'
    return (f'link "{url[:60]}" leads to a file on this computer, which readers of the PDF and DOCX do '
            "not have: only its text is kept (link to the file's address on the web)")


def _line_breaks(text: str) -> list[Inline]:
    """Text, with a line break for each line or paragraph separator (word processors paste them)."""
    if not any(c in text for c in LINE_SEPARATORS):
        return [Text(text)]
    out: list[Inline] = []
    for i, part in enumerate(re.split(f"[{LINE_SEPARATORS}]", text)):
        out += ([LineBreak()] if i else []) + ([Text(part)] if part else [])
    return out


def image_problem(src: str, target: Path) -> str:
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


_CAPTION = re.compile(r"(?:[Tt]able)?:\s+")
"""What opens a table's caption paragraph, as in Pandoc: "Table: " or ": "."""


def _caption_of(content: tuple[Inline, ...]) -> tuple[tuple[Inline, ...], str] | None:
    """The caption and ``{#id}`` (or "") a paragraph ``Table: Caption {#id}`` gives, else None."""
    match content:
        case (Text(text), *rest) if (opening := _CAPTION.match(text)):
            content = ((Text(text[opening.end():]),) if text[opening.end():] else ()) + tuple(rest)
        case _:
            return None
    ident = ""
    if content and isinstance(content[-1], Text):
        text, words = heading_attributes(content[-1].text)
        ids = [w[1:] for w in words if _ID.fullmatch(w)]
        if ids:
            ident = ids[0]
            content = content[:-1] + ((Text(text.rstrip()),) if text.strip() else ())
    return (content, ident) if content else None


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
