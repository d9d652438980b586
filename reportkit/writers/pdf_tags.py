"""A post-pass on the written PDF for what WeasyPrint's tagger cannot be told through HTML.

WeasyPrint 70 tags each dot of a contents leader as text inside the link, builds the running
footer's tags without linking them to the structure tree, and describes a link by its anchor
name ("note-1"). ``retag`` rewrites the PDF with pikepdf (the qpdf binding): leader dots become
layout artifacts, the footer a pagination artifact, and every link annotation gets a
``/Contents`` a listener understands ("Note 6", "Section 2.1, National Plan of Action") and
the Print flag.
WeasyPrint tags each page apart; the fragments of one HTML element on consecutive pages (the
document's ``Part``, a section, a paragraph split by a page break, a table) are joined into one
element, and a table's header row drawn again on the next page becomes an artifact.
Footnotes, which WeasyPrint tags as text of the page's footnote area (``NonStruct``), become
``/Note`` elements with an ``/ID``, right after the (whole) paragraph that calls them; endnotes,
a list's items, become ``/Note`` elements too.
The pages' content streams are read and edited as bytes (one tokenizer finds the instructions
the post-pass reads; the edits are spliced in, every other byte kept as WeasyPrint wrote it):
qpdf's parse of each page, and writing each back, took most of the post-pass's time. A page
the tokenizer does not read (an inline image, a comment) is read through qpdf.
The output depends on the input only (qpdf's deterministic /ID): a rebuild is byte-identical.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

import pikepdf

from .weasyprint_fixes import ELEMENT_MARK

MARK = "/" + ELEMENT_MARK

LEADER = re.compile(r"(?:\. ?){3,}")
"""The text of a leader's run (``weasyprint_fixes`` makes its dots one run): three dots or
more and nothing else, in a link (a contents line); a sentence's run has words, and "..."
typed as a paragraph of its own is text."""


def retag(data: bytes, first_note: int | None = None,
          ready: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """``data`` (a PDF written by WeasyPrint) with leaders and footers as artifacts, fragments
    joined, footnotes tagged as notes, links described. Given ``first_note``, ``data`` is one
    group of a report laid out in groups, whose first footnote is that note: ``ready``
    readies it for the merge (``pdf_merge.ready``) before its elements are tagged, and its
    links are described on the merged file (``retag_merged``). The streams are saved
    compressed, in object streams, whether ``data``'s were or not."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/StructTreeRoot" in pdf.Root:
            _tag_pages(pdf)
            if ready is not None:
                ready(pdf)
            _notes(pdf, 1 if first_note is None else first_note)
            _unmark(pdf)
            if first_note is None:
                _describe_links(pdf)
        if "/ID" in pdf.trailer:
            del pdf.trailer.ID  # WeasyPrint's depends on its tagger's ELEMENT_MARK numbers
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def retag_merged(pdf: pikepdf.Pdf) -> None:
    """``retag``'s last steps on the open merge of groups that ``retag`` tagged apart
    (``pdf_merge`` gives it the file before writing it): each group's ``Part`` joined to the
    one before, links described."""
    if "/StructTreeRoot" in pdf.Root and len(tops := _kids(pdf.Root.StructTreeRoot)) == 1 and _element(tops[0]):
        _join(pdf, tops[0], deep=False)
    _describe_links(pdf)


def _tag_pages(pdf: pikepdf.Pdf) -> None:
    """``retag``'s page-by-page half: artifacts, line-end spaces, note calls."""
    repeated = _repeated_headers(pdf)
    owners, fonts = _owners(pdf), {}

    def read() -> Iterator[tuple]:
        for page in pdf.pages:
            content = _Content(page)
            yield page, content, _artifacts(pdf, page, content, owners, _unicode_maps(page, fonts), repeated)

    for page, content, runs, spaced in _line_end_spaces(read(), owners):
        key = page.obj.objgen
        _note_calls(content, runs, spaced, {run.mcid: owners.get((key, run.mcid)) for run in runs})
        if content.edits:
            page.Contents = pdf.make_stream(content.edited())


def _kids(element: pikepdf.Dictionary) -> list:
    """An element's /K as a list."""
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _owners(pdf: pikepdf.Pdf) -> dict[tuple[tuple[int, int], int], pikepdf.Dictionary]:
    """(page objgen, MCID) → the structure element reached from the root that holds it."""
    return _holders(pdf.Root.StructTreeRoot)


def _holders(root: pikepdf.Dictionary, page: tuple[int, int] | None = None
             ) -> dict[tuple[tuple[int, int], int], pikepdf.Dictionary]:
    """(page objgen, MCID) → the element under ``root`` that holds it; ``page``: the page of
    ``root``'s content when it names none."""
    owners: dict = {}

    def walk(element: pikepdf.Dictionary, page: tuple[int, int] | None) -> None:
        if (pg := element.get("/Pg")) is not None:
            page = pg.objgen
        for kid in _kids(element):
            if isinstance(kid, int):
                owners[(page, kid)] = element
            elif isinstance(kid, pikepdf.Dictionary):
                if (mcid := kid.get("/MCID")) is not None:
                    owners[(pg.objgen if (pg := kid.get("/Pg")) is not None else page, int(mcid))] = element
                elif "/S" in kid:
                    walk(kid, page)

    walk(root, page)
    return owners


class _Glyphs(dict):
    """A font's ToUnicode map for ``str.translate``: glyph code (a two-byte code read as one
    UTF-16 unit) → its text; a code the map lacks reads as U+FFFD."""

    def __missing__(self, code: int) -> str:
        return "\ufffd"

    def text(self, raw: bytes) -> str:
        """The text of the glyph codes ``raw`` (two bytes each)."""
        return raw.decode("utf-16-be", "surrogatepass").translate(self)


def _unicode_maps(page: pikepdf.Page, known: dict | None = None) -> dict[str, _Glyphs]:
    """Font resource name → its glyph codes' text, from each font's ToUnicode CMap. ``known``
    keeps the maps read for earlier pages (by font object): the pages share their fonts."""
    maps = {}
    known = {} if known is None else known
    fonts = page.Resources.get("/Font", {})
    for name in fonts.keys():
        font = fonts[name]
        key = font.objgen if font.is_indirect else None
        if key in known:
            maps[str(name)] = known[key]
            continue
        table = _Glyphs()
        if "/ToUnicode" in font:
            cmap = font.ToUnicode.read_bytes().decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                for code, text in re.findall(r"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>", block):
                    table[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be", "replace")
        maps[str(name)] = table
        if key is not None:
            known[key] = table
    return maps


_WS = rb"[\t\n\x0c\r ]*+"
_REGULAR = rb"[^\x00\t\n\x0b\x0c\r ()<>\[\]{}/%]"
_END = rb"(?!" + _REGULAR + rb")"
_LITERAL = rb"\((?:[^\\()]++|\\.)*+\)"
for _ in range(3):  # parentheses nested deeper than four strings are left to qpdf (_parsed)
    _LITERAL = rb"\((?:[^\\()]++|\\.|" + _LITERAL + rb")*+\)"
_TOKEN = (rb"(?>/" + _REGULAR + rb"*+|[+-]?(?:\d++\.?\d*+|\.\d++)" + _END
          + rb"|<[0-9A-Fa-f\t\n\x0c\r ]*+>|" + _LITERAL + rb"|<<|>>|\[|\]|(?:true|false|null)" + _END + rb")")
"""One operand's token: a name, number, string, a bracket of an array or dictionary, or a
keyword. A comment, a NUL or vertical tab (white space to PDF, not to ``bytes.split``) is
not read: the page is left to qpdf."""
_OPERATOR = rb"[A-Za-z'\"][A-Za-z0-9*'\"]*+" + _END
_READ_OPERATORS = (b"BDC", b"BMC", b"EMC", b"Tf", b"Tm", b"TJ", b"Tj")
"""The instructions the post-pass reads."""
_NEXT = re.compile(
    rb"(?:" + _TOKEN + _WS + rb"|(?P<skipped>(?!(?:" + b"|".join(_READ_OPERATORS) + rb"|BI)" + _END + rb")"
    + _OPERATOR + _WS + rb"))*+(?:(?P<operator>" + _OPERATOR + rb")" + _WS + rb"|\Z)", re.S)
"""From one instruction that the post-pass reads to the next: the operands and operators of
the instructions between (read by the regular expression engine alone, each byte once), the
last one's end, then the next operator the post-pass reads; or the stream's end."""
_TOKENS = re.compile(_WS + rb"(" + _TOKEN + rb")", re.S)


class _Content:
    """A page's content stream, as the post-pass reads and edits it: its bytes, left as
    WeasyPrint wrote them but for the edits (byte span → the bytes that replace it)."""

    def __init__(self, page: pikepdf.Page):
        contents = page.obj.get("/Contents")
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
        self.data = b"\n".join(stream.read_bytes() for stream in streams)
        found = _instructions(self.data)
        if found is None:
            self.data, found = _parsed(page)
        self.instructions = found
        """(operator, operands' bytes, start, end) of each BDC, BMC, EMC, Tf, Tm, TJ and Tj."""
        self.edits: dict[tuple[int, int], bytes] = {}

    def code(self, span: tuple[int, int]) -> bytes:
        """An instruction's bytes, as edited so far."""
        return self.edits.get(span) or self.data[span[0]:span[1]]

    def edited(self) -> bytes:
        """The stream with the edits made."""
        out, at = [], 0
        for (start, end), code in sorted(self.edits.items()):
            out += (self.data[at:start], code)
            at = end
        return b"".join(out + [self.data[at:]])


def _instructions(data: bytes) -> list[tuple[bytes, bytes, int, int]] | None:
    """What ``_Content.instructions`` holds, read from ``data``; None if the stream holds what
    the tokenizer does not read (an inline image, a comment, malformed code): each byte is
    read, none is skipped."""
    found, at = [], re.match(_WS, data).end()
    while (match := _NEXT.match(data, at)) is not None:
        operator = match["operator"]
        if operator is None:
            return found
        if operator == b"BI":
            return None
        start, end = match.end("skipped"), match.start("operator")
        if start < at:  # no instruction before it in this match
            start = at
        found.append((operator, data[start:end], start, end + len(operator)))
        at = match.end()
    return None


def _parsed(page: pikepdf.Page) -> tuple[bytes, list[tuple[bytes, bytes, int, int]]]:
    """The page's content as qpdf writes it, and what ``_Content.instructions`` holds, for a
    stream ``_instructions`` does not read."""
    codes, found, at = [], [], 0
    for instruction in pikepdf.parse_content_stream(page):
        code = pikepdf.unparse_content_stream([instruction])
        operator = str(instruction.operator).encode()
        if operator in _READ_OPERATORS:
            found.append((operator, code[:len(code) - len(operator)], at, at + len(code)))
        codes.append(code)
        at += len(code) + 1
    return b"\n".join(codes), found


_MCID = re.compile(rb"/" + _REGULAR + rb"*+" + _WS + rb"<<" + _WS + rb"/MCID" + _WS
                   + rb"(\d++)" + _WS + rb">>" + _WS)
"""A BDC's operands as WeasyPrint writes them (``/Span <</MCID 4>>``)."""


def _mcid(operands: bytes) -> int | None:
    """The MCID in a BDC's property list."""
    if match := _MCID.fullmatch(operands):
        return int(match[1])
    operands = pikepdf.Object.parse(b"[" + operands + b"]")  # any other property list, read by qpdf
    props = operands[1] if len(operands) > 1 else None
    return int(props.MCID) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props else None


def _name(token: bytes) -> str:
    """A name token's name, as pikepdf gives it ("/F1")."""
    if b"#" in token:
        token = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes.fromhex(m[1].decode("ascii")), token)
    return token.decode("utf-8", "replace")


class Run(NamedTuple):
    """One marked-content sequence of a page, as the post-pass reads it."""

    start: tuple[int, int]
    """The byte span of its BDC instruction."""
    mcid: int
    text: str
    """Its text, read through the fonts' ToUnicode maps."""
    show: tuple[int, int] | None
    """The byte span of its last text-showing instruction (Tj, TJ)."""
    font: _Glyphs
    """The ToUnicode map of the font that instruction uses."""
    at: tuple[float, float, float]
    """Where its text begins: x, y (down the page) and the font size."""


def _runs(content: _Content, maps: dict[str, _Glyphs]) -> Iterator[Run]:
    """Each marked-content sequence of the page that has an MCID, in the content's order.

    A page holds thousands of instructions: each is looked at once, and the open sequences are
    kept as lists of ``Run``'s fields."""
    font, size, open_ = _Glyphs(), 0.0, []
    for operator, operands, start, end in content.instructions:
        if operator == b"TJ" or operator == b"Tj":
            if open_:
                run = open_[-1]
                run[3:5] = (start, end), font
                if run[5] is not None:
                    run[5] = run[5][:2] + (size,)
                raw = _shown_bytes(operands)
                run[2] += font.text(raw[:len(raw) // 2 * 2])
        elif operator == b"BDC" or operator == b"BMC":
            open_.append([(start, end), _mcid(operands) if operator == b"BDC" else None, "", None, font, None])
        elif operator == b"EMC":
            if open_:
                run = open_.pop()
                if run[1] is not None:
                    yield Run(*run[:5], run[5] or (0.0, 0.0, 0.0))
        elif operator == b"Tf":
            name, size = operands.split()[:2]
            font, size = maps.get(_name(name)) or _Glyphs(), float(size)
        elif open_ and open_[-1][5] is None:  # Tm
            operands = operands.split()
            open_[-1][5] = (float(operands[4]), float(operands[5]), size)


_HEX = re.compile(rb"<((?:[0-9A-Fa-f]{2})*+)>")
_STRING = re.compile(rb"<([0-9A-Fa-f\t\n\x0c\r ]*+)>|(" + _LITERAL + rb")", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)|\r\n?", re.S)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\r\n": b"", b"\r": b"", b"\n": b""}


def _unescape(match: re.Match) -> bytes:
    """A literal string's escape as the byte it stands for (an escaped end of line as none);
    an end of line in the string reads as a line feed."""
    escape = match[1]
    if escape is None:
        return b"\n"
    if escape[0] in b"01234567":
        return bytes([int(escape, 8) & 255])
    return _ESCAPED.get(escape, escape)


def _shown_bytes(operands: bytes) -> bytes:
    """The bytes of the strings in a text operator's operands (``[<0191> 3 (AB)]``)."""
    codes = _HEX.findall(operands)
    if len(codes) == operands.count(b"<") and b"(" not in operands:  # WeasyPrint writes hexadecimal strings only
        return bytes.fromhex(b"".join(codes).decode("ascii"))
    shown = []
    for hexadecimal, literal in _STRING.findall(operands):
        if literal:
            shown.append(_ESCAPE.sub(_unescape, literal[1:-1]))
        else:
            digits = hexadecimal.translate(None, b"\t\n\x0c\r ")
            shown.append(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii")))
    return b"".join(shown)


ARTIFACTS = {"layout": b"/Artifact << /Type /Layout >> BDC",
             "pagination": b"/Artifact << /Subtype /Footer /Type /Pagination >> BDC",
             "repeated": b"/Artifact << /Type /Pagination >> BDC"}
"""The BDC that opens a leader's dots (a layout artifact), the running footer's text and a
table's header row repeated on the next page (pagination artifacts)."""


def _artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, content: _Content, owners: dict, maps: dict,
               repeated: set) -> list[Run]:
    """Turns the page's leader dots and its text that no element of the tree holds (the
    running footer, and the ``repeated`` header rows ``_repeated_headers`` took out) into
    artifacts (in ``content``), and takes them out of the structure tree. Returns the page's
    other runs."""
    runs = list(_runs(content, maps))
    key = page.obj.objgen
    footer = {run.mcid for run in runs if (key, run.mcid) not in owners}
    leaders = {run.mcid for run in runs if LEADER.fullmatch(run.text.strip())
               and owners.get((key, run.mcid), {}).get("/S") == "/Link"}
    text = [run for run in runs if run.mcid not in footer and run.mcid not in leaders]
    if not footer and not leaders:
        return text
    for run in runs:
        if run.mcid in footer or run.mcid in leaders:
            kind = "layout" if run.mcid not in footer else "repeated" if (key, run.mcid) in repeated else "pagination"
            content.edits[run.start] = ARTIFACTS[kind]
    emptied: dict[tuple[int, int], tuple[pikepdf.Dictionary, set[int]]] = {}
    for mcid in sorted(leaders):
        element = owners.pop((key, mcid))
        emptied.setdefault(element.objgen, (element, set()))[1].add(mcid)
    for element, mcids in emptied.values():
        _drop(element, mcids)
        _fold(pdf, element)
    parents = _parent_array(pdf, page)
    if parents is not None:
        for mcid in footer | leaders:
            if mcid < len(parents):
                parents[mcid] = None
    return text


NO_SPACE_AFTER = "-\u2010\u2011\u2013\u2014/\u00ad"
"""A line that ends in one of these needs no space after it (a hyphenated or compound word)."""


INLINE = {"/Span", "/Link", "/NonStruct"}
"""Elements inside a line; the element around them holds the lines (a paragraph, a cell…)."""


def _line_end_spaces(pages: Iterator[tuple], owners: dict) -> Iterator[tuple]:
    """Writes a space after the last word of each line that the next line of the same
    paragraph (heading, cell…) follows, here or on the next page: WeasyPrint drops it, and
    text read from the page or through the tags would join the two words.

    Takes the pages one by one as (page, content, runs) and gives each back with the MCIDs
    of its runs given a space, once the next page is read (a paragraph goes on from one page
    to the next)."""
    blocks: dict[tuple[int, int], object] = {}

    def block(element: pikepdf.Dictionary) -> object:
        """The paragraph (or other block) an element of a line stands in, as one key for all
        its fragments."""
        if element.objgen not in blocks:
            parent = element.get("/P")
            inline = element.get("/S") in INLINE and _element(parent) and not _footnote_area(parent)
            blocks[element.objgen] = block(parent) if inline else element.get(MARK, element.objgen)
        return blocks[element.objgen]

    last: dict[object, tuple] = {}  # block → (content, run, page, its spaced MCIDs) of its latest run
    spaces: dict[int, bytes | None] = {}  # font map (by id) → the code of its space
    held = None  # the page read before, given back once this one is read
    for page, content, runs in pages:
        key, spaced = page.obj.objgen, set()
        for run in runs:
            owner = owners.get((key, run.mcid))
            if owner is None or not run.text:
                continue
            here = block(owner)
            before = last.get(here)
            last[here] = (content, run, key, spaced)
            if before is None:
                continue
            content_before, previous, page_before, spaced_before = before
            if page_before == key and not _below(run.at, previous.at) or run.text[0].isspace():
                continue
            if _add_space(content_before, previous, spaces):
                spaced_before.add(previous.mcid)
        last = {here: latest for here, latest in last.items() if latest[2] == key}
        if held:
            yield held
        held = (page, content, runs, spaced)
    if held:
        yield held


def _footnote_area(element: pikepdf.Dictionary) -> bool:
    """Whether ``element`` is a page's footnote area (a ``NonStruct`` of the document), whose
    notes (a ``Span`` each) are blocks of their own: the last line of one note and the first of
    the next are not one text."""
    parent = element.get("/P")
    return element.get("/S") == "/NonStruct" and _element(parent) and parent.S in ("/Document", "/Part")


def _add_space(content: _Content, run: Run, spaces: dict[int, bytes | None]) -> bool:
    """Appends a space to the run's last text, unless it ends in one or in a hyphen or dash,
    or its font has no space (``spaces``: each font's space code, as found)."""
    if id(run.font) not in spaces:
        spaces[id(run.font)] = next((c.to_bytes(2, "big") for c, t in run.font.items() if t == " "), None)
    space = spaces[id(run.font)]
    if run.show is None or space is None or run.text[-1].isspace() or run.text[-1] in NO_SPACE_AFTER:
        return False
    code = content.code(run.show)  # "[<0191> 3 <0048>] TJ" or "<0191> Tj"
    operands = code[:-2].rstrip()
    shown = operands[:-1] if code.endswith(b"TJ") and operands.endswith(b"]") else b"[ " + operands
    content.edits[run.show] = shown.rstrip() + b" <" + space.hex().encode("ascii") + b"> ] TJ"
    return True


def _below(at: tuple[float, float, float], before: tuple[float, float, float]) -> bool:
    """Text at ``at`` begins a line after the one of the text at ``before``: lower by most of
    a line (a centred line may begin further right), or lower and not further right (text
    raised as a note call is lower by less than its size)."""
    (x, y, _), (x0, y0, size) = at, before
    return y > y0 + 0.9 * size or y > y0 + size / 2 and x <= x0 + 1


def _note_calls(content: _Content, runs: list[Run], spaced: set[int], owners: dict) -> None:
    """Gives each note call's text an ActualText in brackets ("[9]"), so that "2011" and note 9
    are not copied as one number."""
    for run in runs:
        owner = owners.get(run.mcid)
        if owner is None or owner.get("/S") != "/Link" or not run.text.strip():
            continue
        dests = [str(k.Obj.Dest) for k in _kids(owner) if isinstance(k, pikepdf.Dictionary)
                 and k.get("/Type") == "/OBJR" and isinstance(k.Obj.get("/Dest"), pikepdf.String)]
        if not any(re.fullmatch(r"(?:end)?note-\d+", d) for d in dests):
            continue
        tag = _TOKENS.match(content.code(run.start))[1]
        text = f"[{run.text.strip()}]" + " " * (run.mcid in spaced)
        props = pikepdf.Dictionary(MCID=run.mcid, ActualText=pikepdf.String(text))
        content.edits[run.start] = tag + b" " + props.unparse() + b" BDC"


def _repeated_headers(pdf: pikepdf.Pdf) -> set[tuple[tuple[int, int], int]]:
    """Takes out of the tree the header row WeasyPrint repeats where a table goes on to the next
    page (it tags each page's part of a table as a table of its own, header and all), and points
    the cells of that part at the first header's cells. Returns the repeated rows' marked
    content (page objgen, MCID), which become artifacts; ``_join`` then makes the parts one
    table. A part whose header has other cells than the first keeps its own."""
    firsts: dict[int, pikepdf.Dictionary | None] = {}  # a table's mark → its first part's header
    found: set = set()

    def walk(element: pikepdf.Dictionary) -> None:
        for kid in [k for k in _kids(element) if _element(k)]:
            if kid.S == "/Table" and MARK in kid:
                heads = [k for k in _kids(kid) if _element(k) and k.S == "/THead"]
                first = firsts.setdefault(int(kid[MARK]), heads[0] if heads else None)
                ids = _header_ids(first, heads[0]) if heads and first is not None and first is not heads[0] else None
                if ids is not None:
                    found.update(_holders(heads[0], kid.Pg.objgen if "/Pg" in kid else None))
                    kid.K = pikepdf.Array([k for k in _kids(kid) if not (_element(k) and k.objgen == heads[0].objgen)])
                    _point_cells(kid, ids)
            walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return found


def _header_ids(first: pikepdf.Dictionary, again: pikepdf.Dictionary) -> dict[str, str] | None:
    """The repeated header's cell IDs → the first header's, cell by cell; None when the two
    headers differ in their cells."""
    def ids(element: pikepdf.Dictionary) -> list[str]:
        found = [str(element.ID)] if element.get("/S") == "/TH" and "/ID" in element else []
        return found + [i for k in _kids(element) if _element(k) for i in ids(k)]

    one, two = ids(first), ids(again)
    return dict(zip(two, one)) if len(one) == len(two) else None


def _point_cells(element: pikepdf.Dictionary, ids: dict[str, str]) -> None:
    """Renames the header IDs in the ``/Headers`` of the cells under ``element`` by ``ids``."""
    for kid in [k for k in _kids(element) if _element(k)]:
        attributes = kid.get("/A")
        for owner in (attributes if isinstance(attributes, pikepdf.Array) else [attributes]):
            if isinstance(owner, pikepdf.Dictionary) and isinstance(owner.get("/Headers"), pikepdf.Array):
                owner.Headers = pikepdf.Array([pikepdf.String(ids.get(str(h), str(h))) for h in owner.Headers])
        _point_cells(kid, ids)


def _drop(element: pikepdf.Dictionary, mcids: set[int]) -> None:
    """Removes the marked-content references ``mcids`` from ``element``'s kids."""
    kept = [k for k in _kids(element) if not (isinstance(k, int) and int(k) in mcids
                                               or isinstance(k, pikepdf.Dictionary) and "/MCID" in k
                                               and int(k.MCID) in mcids)]
    element.K = pikepdf.Array(kept)


def _fold(pdf: pikepdf.Pdf, element: pikepdf.Dictionary) -> None:
    """Takes out of the tree an element that a leader's removal left without content. WeasyPrint
    makes the leader of a contents line a link inside the line's link; its annotation joins the
    outer link."""
    kids = _kids(element)
    if any(isinstance(k, int) or isinstance(k, pikepdf.Dictionary) and ("/MCID" in k or "/S" in k)
           for k in kids):
        return
    parent = element.P
    annotations = [k for k in kids if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
    if annotations and parent.get("/S") != element.S:
        return
    replaced = []
    for kid in _kids(parent):
        same = isinstance(kid, pikepdf.Dictionary) and kid.is_indirect and kid.objgen == element.objgen
        replaced.extend(annotations if same else [kid])
    parent.K = pikepdf.Array(replaced)
    tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    for reference in annotations:
        if "/StructParent" in reference.Obj:
            tree[int(reference.Obj.StructParent)] = parent


def _parent_array(pdf: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Array | None:
    """The parent tree's entry for the page: MCID → structure element."""
    if "/StructParents" not in page.obj:
        return None
    tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    entry = tree.get(int(page.obj.StructParents))
    return entry if isinstance(entry, pikepdf.Array) else None


PRINT, HIDDEN = 4, 1 | 2 | 32
"""Annotation flags (PDF 1.7, 12.5.3): Print; Invisible, Hidden and NoView."""


def _describe_links(pdf: pikepdf.Pdf) -> None:
    """Gives each internal link annotation a description instead of its anchor name, and each
    link the Print flag, which WeasyPrint leaves off (PDF/UA checkers take a link without it for
    one that print and screen show differently)."""
    names = _destinations(pdf)
    headings = _headings(pdf)
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            annot.F = (int(annot.get("/F", 0)) | PRINT) & ~HIDDEN
            if "/Dest" in annot and isinstance(annot.Dest, pikepdf.String):
                anchor = str(annot.Dest)
                annot.Contents = pikepdf.String(_description(anchor, headings.get(names.get(anchor))))
            elif "/A" in annot and "/URI" in annot.A:
                annot.Contents = pikepdf.String(str(annot.A.URI))


def _where(dest) -> tuple | None:
    """A destination's page and height, to match a named destination with a bookmark."""
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    if not isinstance(dest, pikepdf.Array) or len(dest) < 4:
        return None
    return (dest[0].objgen, round(float(dest[3])))


def _destinations(pdf: pikepdf.Pdf) -> dict[str, tuple]:
    """Named destination → where it points."""
    if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
        return {}
    return {name: where for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()
            if (where := _where(dest))}


def _headings(pdf: pikepdf.Pdf) -> dict[tuple, str]:
    """Where a bookmark points → its title ("2.1 The law")."""
    found = {}
    with pdf.open_outline() as outline:
        todo = list(outline.root)
        while todo:
            item = todo.pop()
            todo.extend(item.children)
            if where := _where(item.destination):
                found.setdefault(where, item.title)
    return found


def _description(anchor: str, heading: str | None) -> str:
    """What a listener hears for a link to ``anchor``: its note, section or box."""
    if m := re.fullmatch(r"(?:end)?note-(\d+)", anchor):
        return f"Note {m[1]}"
    if m := re.fullmatch(r"call-(\d+)", anchor):
        return f"Back to the call of note {m[1]}"
    if heading:
        number, _, title = heading.partition(" ")
        if re.fullmatch(r"[\dA-Z]+(\.\d+)*", number) and title:
            return f"Section {number}, {title}"
        return heading
    if m := re.fullmatch(r"rec-(\d+)", anchor):
        return f"Recommendations, box {m[1]}"
    return anchor.replace("-", " ").capitalize()


HOSTS = {"/P", "/Div", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/LBody", "/TD", "/TH", "/Caption", "/Lbl"}
"""Elements a note call stands in: a note follows a paragraph, heading or box title, and
closes a list item's body or a table cell (where nothing may follow in the parent)."""
WITHIN = {"/LBody", "/TD", "/TH", "/Caption", "/Lbl"}


def _element(kid) -> bool:
    return isinstance(kid, pikepdf.Dictionary) and "/S" in kid


def _notes(pdf: pikepdf.Pdf, first: int = 1) -> None:
    """Moves each footnote out of its page's footnote area into a ``/Note`` after the paragraph
    that calls it, numbered from ``first``. WeasyPrint leaves an empty ``NonStruct`` after each
    call's link, and sets the notes in the footnote areas in the order of their calls; they are
    paired in that order, and left as they are if the two counts differ."""
    root = pdf.Root.StructTreeRoot
    tops = _kids(root)
    if len(tops) != 1 or not _element(tops[0]):
        return
    document = tops[0]
    areas = [k for k in _kids(document) if _element(k) and k.S == "/NonStruct" and _kids(k)
             and all(_element(n) and n.S == "/Span" for n in _kids(k))]
    notes = [n for area in areas for n in _kids(area)]
    area_ids = {area.objgen for area in areas}
    calls: list[tuple] = []  # (placeholder, the host it stands in, the host's parent)

    def walk(element: pikepdf.Dictionary, parent) -> None:
        previous = None
        for kid in _kids(element):
            if not _element(kid) or kid.objgen in area_ids:
                continue
            if (kid.S == "/NonStruct" and not _kids(kid) and element.get("/S") in HOSTS
                    and previous is not None and previous.S == "/Link"):
                calls.append((kid, element, parent))
            else:
                walk(kid, element)
            previous = kid

    document.K = pikepdf.Array([k for k in _kids(document) if not (_element(k) and k.objgen in area_ids)])
    _join(pdf, document)
    _nest_lists(document)
    ids = pikepdf.NameTree.new(pdf)
    _endnotes(pdf, document, ids)
    if len(ids):
        root.IDTree = ids.obj
    walk(document, root)
    if not notes or len(notes) != len(calls):
        document.K = pikepdf.Array(_kids(document) + areas)  # left as WeasyPrint set them
        return
    placed: dict[tuple[int, int], int] = {}
    for number, (note, (placeholder, host, parent)) in enumerate(zip(notes, calls), first):
        host.K = pikepdf.Array([k for k in _kids(host) if not (_element(k) and k.objgen == placeholder.objgen)])
        ident = f"note-{number}"
        element = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Note, ID=pikepdf.String(ident), K=pikepdf.Array([note])))
        note.P = element
        ids[ident] = element
        if host.S in WITHIN:
            element.P = host
            host.K = pikepdf.Array(_kids(host) + [element])
            continue
        element.P = parent
        kids = _kids(parent)
        at = next(i for i, k in enumerate(kids) if _element(k) and k.objgen == host.objgen) + 1
        at += placed.get(host.objgen, 0)
        placed[host.objgen] = placed.get(host.objgen, 0) + 1
        kids.insert(at, element)
        parent.K = pikepdf.Array(kids)
    root.IDTree = ids.obj


def _join(pdf: pikepdf.Pdf, element: pikepdf.Dictionary, deep: bool = True) -> None:
    """Joins, under ``element``, each element with the one before it when both are fragments of
    one HTML element (``ELEMENT_MARK``): the ``Part`` of each page, a section and a paragraph
    that a page break split. The document has one ``Part`` (its ``main``), whether its pages
    come from one layout or from several. A table's parts on several pages become one table,
    its rows one body (``_repeated_headers`` took the repeated header rows out). Not ``deep``,
    only ``element``'s own children."""
    parents = None
    todo = [element]
    while todo:
        parent = todo.pop()
        joined: list = []
        kids = _kids(parent)
        for kid in kids:
            previous = joined[-1] if joined else None
            if (_element(kid) and previous is not None and _element(previous) and kid.S == previous.S
                    and (kid.S == "/Part" or MARK in kid and kid[MARK] == previous.get(MARK))):
                parents = parents or _Parents(pdf)
                _absorb(previous, kid, parents)
            else:
                joined.append(kid)
        if len(joined) != len(kids) or not isinstance(parent.get("/K"), pikepdf.Array):
            parent.K = pikepdf.Array(joined)  # (a /K of one kid or none becomes an array, as it always did)
        if deep:
            todo.extend(k for k in joined if _element(k))


def _nest_lists(document: pikepdf.Dictionary) -> None:
    """Moves a nested list into the body of the item it belongs to: WeasyPrint sets it in the
    outer list, after that item."""
    todo = [document]
    while todo:
        element = todo.pop()
        kids = _kids(element)
        if element.get("/S") == "/L":
            kept: list = []
            for kid in kids:
                item = kept[-1] if kept else None
                bodies = [k for k in _kids(item) if _element(k) and k.S == "/LBody"] if _element(item) else []
                if _element(kid) and kid.S == "/L" and item.get("/S") == "/LI" and bodies:
                    bodies[-1].K = pikepdf.Array(_kids(bodies[-1]) + [kid])
                    kid.P = bodies[-1]
                else:
                    kept.append(kid)
            if len(kept) != len(kids):
                element.K = pikepdf.Array(kept)
            kids = kept
        todo.extend(k for k in kids if _element(k))


class _Parents:
    """The parent tree, to say which element now holds a marked-content sequence or a link."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        self.arrays = {page.obj.objgen: array for page in pdf.pages
                       if (array := _parent_array(pdf, page)) is not None}


def _absorb(first: pikepdf.Dictionary, second: pikepdf.Dictionary, parents: _Parents) -> None:
    """Moves ``second``'s content to the end of ``first`` (its fragment on an earlier page)."""
    page = second.get("/Pg")
    moved = []
    for kid in _kids(second):
        if isinstance(kid, int):  # a marked-content sequence on the element's own page
            kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=page, MCID=int(kid))
        if isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
            array = parents.arrays.get((kid.Pg if "/Pg" in kid else page).objgen)
            if array is not None and int(kid.MCID) < len(array):
                array[int(kid.MCID)] = first
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            if "/StructParent" in kid.Obj:
                parents.tree[int(kid.Obj.StructParent)] = first
        elif _element(kid):
            kid.P = first
        moved.append(kid)
    first.K = pikepdf.Array(_kids(first) + moved)


def _endnotes(pdf: pikepdf.Pdf, document: pikepdf.Dictionary, ids: pikepdf.NameTree) -> None:
    """Tags the Notes section's items as ``/Note`` elements with the ``/ID`` their calls link
    to ("endnote-6"). Each is a list item whose body opens with the link back to its call; the
    list becomes a ``Div`` of notes."""
    parents, todo = _Parents(pdf), [document]
    while todo:
        element = todo.pop()
        items = [k for k in _kids(element) if _element(k)]
        backs = [_back_link(item) for item in items] if element.S == "/L" else []
        if backs and all(backs):
            element.S = pikepdf.Name.Div
            for item, number in zip(items, backs):
                bodies = [k for k in _kids(item) if _element(k) and k.S == "/LBody"]
                item.K = pikepdf.Array([k for k in _kids(item) if not (_element(k) and k.S in ("/LBody", "/Lbl"))])
                for body in bodies:
                    _absorb(item, body, parents)
                item.S, item.ID = pikepdf.Name.Note, pikepdf.String(f"endnote-{number}")
                ids[f"endnote-{number}"] = item
            continue
        todo.extend(items)


def _back_link(item: pikepdf.Dictionary) -> int | None:
    """The note number of a list item that opens with a link back to a call ("call-6")."""
    if item.get("/S") != "/LI":
        return None
    first = item
    while first is not None and first.get("/S") != "/Link":
        first = next((k for k in _kids(first) if _element(k)), None)
    for kid in _kids(first) if first is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            dest = kid.Obj.get("/Dest")
            if isinstance(dest, pikepdf.String) and (m := re.fullmatch(r"call-(\d+)", str(dest))):
                return int(m[1])
    return None


def _unmark(pdf: pikepdf.Pdf) -> None:
    """Removes ``ELEMENT_MARK`` from every structure element (linked to the tree or not)."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and MARK in obj:
            del obj[MARK]
