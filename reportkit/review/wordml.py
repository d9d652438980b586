"""Reading a reviewed DOCX: every paragraph's text before and after the tracked changes, its
comments, and reportkit's source map when the file still carries one.

Plain lxml over the package's XML parts, as Word and LibreOffice write them (LibreOffice
renames style ids, renumbers note and comment ids and drops ``commentsExtended.xml``, so styles
are known by name, notes by the order of their calls and replies by their anchor too).

The reviewer's changes are read from Word's revision markup: ``w:ins``, ``w:del``,
``w:moveFrom``/``w:moveTo``, ``w:rPrChange`` (formatting), ``w:pPrChange`` (paragraph style)
and inserted or deleted paragraph marks (``w:pPr/w:rPr/w:ins|w:del``). A paragraph is taken as
it stood before the review (every change rejected): that is the text reportkit wrote, which
maps to the sources; the changes are edits of it.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .rich import BOLD, CODE, ITALIC, LINK, NOTE, PICTURE, Rich

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
RT_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

_NS = {"w": W, "r": R, "w14": W14, "w15": W15, "mc": MC}


def q(name: str) -> str:
    """Clark notation of a prefixed name: ``q("w:p")`` → ``{…/main}p``."""
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


class NotADocx(Exception):
    """The file is not a Word document reportkit can read."""


# --- what the reader returns -----------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One tracked change inside a paragraph: the range ``start:end`` of its text before the
    review is replaced by ``insert`` (an insertion has ``start == end``, a deletion an empty
    ``insert``, a formatting change the same text formatted anew)."""

    start: int
    """Where the change begins in the text before the review."""
    end: int
    """Where it ends (exclusive)."""
    insert: Rich
    """What stands there after the change."""
    author: str
    """Who made it ("unknown" for a difference found without revision markup)."""
    kind: str
    """"insert", "delete", "replace", "format", "move-from" or "move-to"."""
    move: str = ""
    """For the two halves of a move: the name Word gives the move, which links them."""
    formats: tuple[str, ...] = ()
    """For a formatting change: what changed ("bold", "italic", "underline"…)."""


@dataclass(frozen=True)
class NewParagraph:
    """A paragraph the reviewer inserted (all its text is tracked as inserted)."""

    text: Rich
    """Its text."""
    style: str
    """Its paragraph style's name, lower case ("normal", "heading 2", "recommendation"…)."""
    author: str
    """Who inserted it."""
    move: str = ""
    """The move's name when it is the destination of a moved paragraph."""


@dataclass
class Paragraph:
    """One paragraph of the document as it stood before the review, with what became of it."""

    story: str
    """"body", "footnote" or "endnote"."""
    note: int
    """In a note: the note's number, counted as its calls stand in the text (1, 2…); 0 in the
    body, and for a note the reviewer inserted."""
    index: int
    """Its position in ``Reviewed.paragraphs``."""
    style: str
    """Its style's name before the review, lower case."""
    before: Rich
    """Its text before the review (every change rejected)."""
    after: Rich
    """Its text after the review (every change accepted)."""
    ops: list[Op] = field(default_factory=list)
    """The tracked changes of its text, in order, as edits of ``before``."""
    new_before: list[NewParagraph] = field(default_factory=list)
    """Paragraphs the reviewer inserted just before it."""
    new_after: list[NewParagraph] = field(default_factory=list)
    """Paragraphs the reviewer inserted just after it."""
    deleted: str = ""
    """The author who deleted the whole paragraph, or ""."""
    moved: str = ""
    """For a deleted paragraph that was moved: the move's name."""
    joined: str = ""
    """The author who joined it with the next paragraph (removed the mark between), or ""."""
    split: str = ""
    """The author who split it into several paragraphs, or ""."""
    style_change: tuple[str, str] | None = None
    """(author, new style name) when the reviewer changed its paragraph style."""
    bookmarks: tuple[str, ...] = ()
    """The names of the bookmarks that start in it."""
    calls: list[tuple[str, str]] = field(default_factory=list)
    """Its note calls before the review, in order: (state, note id); state "" or "del"."""
    inserted_notes: list[str] = field(default_factory=list)
    """Ids of the notes the reviewer inserted in it (their calls are tracked insertions)."""
    note_id: str = ""
    """In a note: the note's id in the file."""


@dataclass
class Comment:
    """A comment in the margin, or a reply to one."""

    id: str
    """The comment's id in the file."""
    author: str
    """Who wrote it."""
    date: str
    """When (ISO 8601, as Word writes it), or ""."""
    text: str
    """What it says."""
    paragraph: int = -1
    """Index (in ``Reviewed.paragraphs``) of the paragraph its range starts in; -1 if not found."""
    start: int = 0
    """Where its range starts in that paragraph's text before the review."""
    end: int = 0
    """Where its range ends, in the same paragraph (clipped to its end)."""
    quoted: str = ""
    """The text the comment is on (its range, across paragraphs)."""
    parent: str = ""
    """For a reply: the id of the comment it answers; "" for the first of a thread."""
    done: bool = False
    """Marked as resolved."""


@dataclass
class Reviewed:
    """What a reviewed DOCX holds."""

    paragraphs: list[Paragraph]
    """The body's paragraphs in reading order (table cells row by row), then the notes' in the
    order of their calls."""
    comments: list[Comment]
    """The comments with their replies, a thread's first comment before its replies."""
    source_map: bytes | None
    """reportkit's source map (a custom XML part), when the file carries one."""


# --- reading ----------------------------------------------------------------------------------


def read(path: Path, namespace: str) -> Reviewed:
    """Read a reviewed DOCX; ``namespace`` is the source map's XML namespace."""
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise NotADocx(f"not a Word document ({err})") from None
    with package:
        parts = _Parts(package)
        main = parts.main()
        document = parts.xml(main)
        if document is None or document.find(q("w:body")) is None:
            raise NotADocx("not a Word document (it has no document body)")
        rels = parts.rels(main)
        styles = _Styles(parts.xml(parts.target(main, rels, "styles")))
        reader = _Reader(styles)
        paragraphs = reader.story(document.find(q("w:body")), "body", _links(rels), 0)
        body = list(paragraphs)
        for kind in ("footnote", "endnote"):
            name = parts.target(main, rels, f"{kind}s")
            root = parts.xml(name)
            if root is None:
                continue
            links = _links(parts.rels(name))
            by_id = {n.get(q("w:id")): n for n in root.findall(q(f"w:{kind}"))
                     if n.get(q("w:type")) in (None, "normal")}
            order = list(dict.fromkeys(i for p in body for _, i in p.calls if i in by_id))
            inserted = [i for p in body for i in p.inserted_notes if i in by_id and i not in order]
            for number, note_id in enumerate(order + inserted, 1):
                note = reader.story(by_id[note_id], kind, links, len(paragraphs))
                for p in note:
                    p.note = number if number <= len(order) else 0
                    p.note_id = note_id
                paragraphs += note
        for i, p in enumerate(paragraphs):
            p.index = i
        comments = _comments(parts, main, rels, paragraphs, reader.spans)
        source_map = parts.source_map(namespace)
    return Reviewed(paragraphs, comments, source_map)


class _Parts:
    """The package's parts by name, and its relationships."""

    def __init__(self, package: zipfile.ZipFile):
        self.package = package
        self.names = set(package.namelist())

    def xml(self, name: str | None) -> etree._Element | None:
        if not name or name not in self.names:
            return None
        try:
            return etree.fromstring(self.package.read(name), etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as err:
            raise NotADocx(f"{name} is not well-formed XML ({err})") from None

    def main(self) -> str:
        rels = self.xml("_rels/.rels")
        if rels is not None:
            for rel in rels:
                if rel.get("Type") == RT_OFFICE_DOCUMENT:
                    return rel.get("Target", "").lstrip("/")
        if "word/document.xml" in self.names:
            return "word/document.xml"
        raise NotADocx("not a Word document (no main document part)")

    def rels(self, name: str | None) -> dict[str, tuple[str, str, str]]:
        """Relationship id → (type, target, target mode) of part ``name``."""
        if not name:
            return {}
        folder, _, base = name.rpartition("/")
        root = self.xml(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
        if root is None:
            return {}
        return {r.get("Id"): (r.get("Type", ""), r.get("Target", ""), r.get("TargetMode", "")) for r in root}

    def target(self, owner: str, rels: dict, kind: str) -> str | None:
        """The part name of ``owner``'s relationship whose type ends with ``/kind``."""
        folder = owner.rpartition("/")[0]
        for reltype, target, mode in rels.values():
            if reltype.rsplit("/", 1)[-1] == kind and mode != "External":
                return _join(folder, target)
        return None

    def source_map(self, namespace: str) -> bytes | None:
        """The custom XML part whose root is in ``namespace`` (Word and LibreOffice may
        renumber ``customXml/itemN.xml``, so it is found by what it holds)."""
        for name in sorted(self.names):
            if name.startswith("customXml/") and name.endswith(".xml") and "/itemProps" not in name \
                    and "/_rels/" not in name:
                data = self.package.read(name)
                if namespace.encode() in data[:400]:
                    return data
        return None


def _join(folder: str, target: str) -> str:
    """The part name a relationship target of a part in ``folder`` names."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = (folder.split("/") if folder else []) + target.split("/")
    out: list[str] = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        elif part not in ("", "."):
            out.append(part)
    return "/".join(out)


def _links(rels: dict) -> dict[str, str]:
    """Relationship id → address, of a part's hyperlinks."""
    return {rid: target for rid, (reltype, target, _) in rels.items() if reltype.endswith("/hyperlink")}


class _Styles:
    """Style id → name, and which character styles raise their text (note calls)."""

    def __init__(self, root: etree._Element | None):
        self.names: dict[str, str] = {}
        self.raised: set[str] = set()
        based: dict[str, str] = {}
        for style in root.iter(q("w:style")) if root is not None else ():
            sid = style.get(q("w:styleId"), "")
            name = style.find(q("w:name"))
            self.names[sid] = (name.get(q("w:val"), sid) if name is not None else sid).lower()
            base = style.find(q("w:basedOn"))
            if base is not None:
                based[sid] = base.get(q("w:val"), "")
            align = style.find(f"{q('w:rPr')}/{q('w:vertAlign')}")
            if align is not None and align.get(q("w:val")) == "superscript":
                self.raised.add(sid)
        for start in list(self.names):  # a style based on a raised one is raised too
            sid, seen = start, {start}
            while sid in based and based[sid] not in seen:
                sid = based[sid]
                seen.add(sid)
                if sid in self.raised:
                    self.raised.add(start)
                    break

    def name(self, style_id: str | None, default: str = "normal") -> str:
        if not style_id:
            return default
        return self.names.get(style_id, style_id.lower())


@dataclass
class _Piece:
    """A stretch of a paragraph's text with one revision state."""

    text: str
    before: int
    """Formatting before the review."""
    after: int
    """Formatting after it."""
    state: str
    """"" (unchanged), "ins", "del", "from" (moved away) or "to" (moved here)."""
    author: str
    link: str = ""
    move: str = ""
    formats: tuple[str, ...] = ()
    """Formatting changes other than bold and italic (listed only)."""
    call: str = ""
    """For a note call: the note's id."""


@dataclass
class _XmlParagraph:
    """One w:p as it is in the file (a paragraph before the review may be several, split by
    inserted marks)."""

    pieces: list[_Piece]
    """Its text, stretch by stretch."""
    style: str
    """Its style's name before the review."""
    style_after: str
    """Its style's name after it."""
    mark: str
    """State of the paragraph mark: "", "ins", "del", "from" or "to"."""
    mark_author: str
    """Who inserted or deleted the mark."""
    style_author: str
    """Who changed its style ("" if nobody did)."""
    bookmarks: list[str]
    """The names of the bookmarks starting in it."""
    container: int
    """The table cell (its id) or story the paragraph stands in: marks join paragraphs of one."""
    anchors: list[tuple[str, int]]
    """(comment id, offset in the text before the review) of comment range starts in it."""
    ends: list[tuple[str, int]]
    """The same for comment range ends."""


_OLD = ("", "del", "from")
_NEW = ("", "ins", "to")
_WRAPPERS = {q(f"w:{n}") for n in ("smartTag", "customXml", "fldSimple", "dir", "bdo")}
_OTHER_FORMATS = {"u": "underline", "strike": "strikethrough", "dstrike": "strikethrough", "color": "colour",
                  "highlight": "highlight", "sz": "size", "rFonts": "font", "caps": "capitals",
                  "smallCaps": "small capitals", "vertAlign": "raised or lowered", "shd": "shading",
                  "vanish": "hidden"}


class _Reader:
    """Walks stories (the body, one note) into paragraphs."""

    def __init__(self, styles: _Styles):
        self.styles = styles
        self.spans: dict[str, tuple[tuple[int, int] | None, tuple[int, int] | None, str]] = {}
        """Comment id → where its range starts and ends ((paragraph index, offset)) and its text."""

    def story(self, root: etree._Element, story: str, links: dict[str, str], base: int) -> list[Paragraph]:
        """The paragraphs of one story; ``base`` is the index the first one gets."""
        self.links = links
        self.move = ""
        xml: list[_XmlParagraph] = []
        self._blocks(root, xml, 0)
        return self._paragraphs(xml, story, base)

    # -- blocks ---------------------------------------------------------------------------

    def _blocks(self, parent: etree._Element, out: list[_XmlParagraph], container: int) -> None:
        for child in parent:
            tag = child.tag
            if tag == q("w:p"):
                out.append(self._paragraph(child, container))
            elif tag == q("w:tbl"):  # each cell holds paragraphs of its own, row by row
                for row in (r for r in child.iter(q("w:tr")) if _ancestor(r, "w:tbl") is child):
                    for tc in (c for c in row.iter(q("w:tc")) if _ancestor(c, "w:tr") is row):
                        self._blocks(tc, out, id(tc))
            elif tag == q("w:sdt"):
                content = child.find(q("w:sdtContent"))
                if content is not None:
                    self._blocks(content, out, container)
            elif tag in (q("w:customXml"), q("w:ins"), q("w:del"), q("w:moveFrom"), q("w:moveTo")):
                self._blocks(child, out, container)
            elif tag == q("mc:AlternateContent"):
                chosen = child.find(q("mc:Fallback"))
                if chosen is None:
                    chosen = child.find(q("mc:Choice"))
                if chosen is not None:
                    self._blocks(chosen, out, container)

    def _paragraph(self, p: etree._Element, container: int) -> _XmlParagraph:
        ppr = p.find(q("w:pPr"))
        style = style_after = self.styles.name(_val(ppr, "w:pStyle"))
        mark, mark_author, style_author = "", "", ""
        if ppr is not None:
            change = ppr.find(q("w:pPrChange"))
            if change is not None:
                style = self.styles.name(_val(change.find(q("w:pPr")), "w:pStyle"))
                style_author = change.get(q("w:author"), "") if style != style_after else ""
            rpr = ppr.find(q("w:rPr"))
            for state, tag in (("ins", "w:ins"), ("del", "w:del"), ("from", "w:moveFrom"), ("to", "w:moveTo")):
                found = rpr.find(q(tag)) if rpr is not None else None
                if found is not None:
                    mark, mark_author = state, found.get(q("w:author"), "")
        xp = _XmlParagraph([], style, style_after, mark, mark_author, style_author, [], container, [], [])
        self._inline(p, xp, "", "", "")
        return xp

    # -- inlines --------------------------------------------------------------------------

    def _inline(self, parent: etree._Element, xp: _XmlParagraph, state: str, author: str, link: str) -> None:
        for child in parent:
            tag = child.tag
            if tag == q("w:r"):
                self._run(child, xp, state, author, link)
            elif tag in (q("w:ins"), q("w:del"), q("w:moveFrom"), q("w:moveTo")):
                new = {q("w:ins"): "ins", q("w:del"): "del", q("w:moveFrom"): "from", q("w:moveTo"): "to"}[tag]
                if state in ("ins", "to") and new in ("del", "from"):
                    continue  # inserted, then deleted again during the review: never there
                self._inline(child, xp, new if state == "" else state, child.get(q("w:author"), "") or author, link)
            elif tag == q("w:hyperlink"):
                rid = child.get(q("r:id"))
                target = self.links.get(rid, "") if rid else ("#" + child.get(q("w:anchor"), ""))
                self._inline(child, xp, state, author, target or "#")
            elif tag in _WRAPPERS:
                self._inline(child, xp, state, author, link)
            elif tag == q("w:sdt"):
                content = child.find(q("w:sdtContent"))
                if content is not None:
                    self._inline(content, xp, state, author, link)
            elif tag == q("w:bookmarkStart"):
                xp.bookmarks.append(child.get(q("w:name"), ""))
            elif tag == q("w:commentRangeStart"):
                xp.anchors.append((child.get(q("w:id"), ""), _length(xp, _OLD)))
            elif tag == q("w:commentRangeEnd"):
                xp.ends.append((child.get(q("w:id"), ""), _length(xp, _OLD)))
            elif tag in (q("w:moveFromRangeStart"), q("w:moveToRangeStart")):
                self.move = child.get(q("w:name"), "")

    def _run(self, r: etree._Element, xp: _XmlParagraph, state: str, author: str, link: str) -> None:
        rpr = r.find(q("w:rPr"))
        after = self._fmt(rpr, link)
        before, formats, fmt_author = after, (), ""
        change = rpr.find(q("w:rPrChange")) if rpr is not None else None
        if change is not None:
            old = change.find(q("w:rPr"))
            before = self._fmt(old, link)
            formats = _changed_formats(rpr, old)
            fmt_author = change.get(q("w:author"), "")
        raised = rpr is not None and (_val(rpr, "w:rStyle") in self.styles.raised
                                      or _val(rpr, "w:vertAlign") == "superscript")
        move = self.move if state in ("from", "to") else ""

        def add(text: str, call: str = "") -> None:
            who = author or fmt_author
            if xp.pieces and not call and not xp.pieces[-1].call:
                last = xp.pieces[-1]
                if (last.before, last.after, last.state, last.author, last.link, last.move, last.formats) == \
                        (before, after, state, who, link, move, formats):
                    last.text += text
                    return
            xp.pieces.append(_Piece(text, before, after, state, who, link, move, formats, call))

        for child in r:
            tag = child.tag
            if tag in (q("w:t"), q("w:delText")):
                text = child.text or ""
                if raised and text.strip().isdigit():
                    add(NOTE, call="repeat")  # a second call of a note: its number, raised
                elif text:
                    add(text)
            elif tag == q("w:tab"):
                add("\t")
            elif tag in (q("w:br"), q("w:cr")):
                if child.get(q("w:type")) in (None, "textWrapping"):
                    add("\n")
            elif tag == q("w:noBreakHyphen"):
                add("\u2011")
            elif tag == q("w:sym"):
                code = child.get(q("w:char"), "")
                if re.fullmatch(r"[0-9A-Fa-f]{1,6}", code):
                    add(chr(int(code, 16)))
            elif tag in (q("w:footnoteReference"), q("w:endnoteReference")):
                add(NOTE, call=child.get(q("w:id"), ""))
            elif tag in (q("w:drawing"), q("w:pict"), q("w:object"), q("mc:AlternateContent")):
                add(PICTURE)
            elif tag == q("w:commentReference"):
                cid = child.get(q("w:id"), "")
                if cid not in {c for c, _ in xp.anchors}:
                    xp.anchors.append((cid, _length(xp, _OLD)))
                    xp.ends.append((cid, _length(xp, _OLD)))

    def _fmt(self, rpr: etree._Element | None, link: str) -> int:
        fmt = LINK if link else 0
        if rpr is None:
            return fmt
        if _on(rpr.find(q("w:b"))):
            fmt |= BOLD
        if _on(rpr.find(q("w:i"))):
            fmt |= ITALIC
        if self.styles.name(_val(rpr, "w:rStyle"), "") == "code":
            fmt |= CODE
        return fmt

    # -- paragraphs as they stood before the review --------------------------------------------

    def _paragraphs(self, xml: list[_XmlParagraph], story: str, base: int) -> list[Paragraph]:
        """Join the XML paragraphs split by inserted marks into the paragraphs before the review,
        and tell inserted, deleted, joined and split paragraphs."""
        groups: list[list[_XmlParagraph]] = []
        for xp in xml:
            if groups and groups[-1][-1].mark in ("ins", "to") and groups[-1][-1].container == xp.container:
                groups[-1].append(xp)
            else:
                groups.append([xp])
        out: list[Paragraph] = []
        marks: list[tuple[str, str, int]] = []
        starts: dict[str, tuple[int, int]] = {}
        ends: dict[str, tuple[int, int]] = {}
        for group in groups:
            original = [xp for xp in group if any(p.state in _OLD for p in xp.pieces)]
            main = original[0] if len(original) == 1 else group[-1]
            last = group[-1]
            para = Paragraph(story, 0, base + len(out), last.style, _rich(main.pieces, _OLD),
                             _rich(main.pieces, _NEW), _ops(main.pieces))
            para.bookmarks = tuple(b for xp in group for b in xp.bookmarks)
            para.calls = [(p.state, p.call) for p in main.pieces if p.call and p.call != "repeat" and p.state in _OLD]
            para.inserted_notes = [p.call for xp in group for p in xp.pieces
                                   if p.call and p.call != "repeat" and p.state in ("ins", "to")]
            if last.style_author:
                para.style_change = (last.style_author, last.style_after)
            if len(original) > 1:
                para.split = next((xp.mark_author for xp in group if xp.mark in ("ins", "to")), "") or "unknown"
                para.ops = []
                para.before = _join_rich([_rich(xp.pieces, _OLD) for xp in group])
                para.after = _join_rich([_rich(xp.pieces, _NEW) for xp in group])
            else:
                at = group.index(main)
                para.new_before = [_new(xp) for xp in group[:at]]
                para.new_after = [_new(xp) for xp in group[at + 1:]]
            for cid, offset in main.anchors:
                starts[cid] = (base + len(out), offset)
            for cid, offset in main.ends:
                ends[cid] = (base + len(out), offset)
            marks.append((last.mark if last.mark in ("del", "from") else "", last.mark_author, last.container))
            out.append(para)
        _deletions(out, marks)
        for cid in starts.keys() | ends.keys():
            start, end = starts.get(cid), ends.get(cid)
            self.spans[cid] = (start or end, end or start, _quoted(out, base, start or end, end or start))
        return out


def _ancestor(node: etree._Element, tag: str) -> etree._Element | None:
    """The nearest ancestor of ``node`` named ``tag``."""
    node = node.getparent()
    while node is not None and node.tag != q(tag):
        node = node.getparent()
    return node


def _val(parent: etree._Element | None, tag: str) -> str | None:
    if parent is None:
        return None
    found = parent.find(q(tag))
    return found.get(q("w:val")) if found is not None else None


def _on(element: etree._Element | None) -> bool:
    return element is not None and element.get(q("w:val"), "true").lower() not in ("0", "false", "off", "none")


def _changed_formats(new: etree._Element, old: etree._Element | None) -> tuple[str, ...]:
    """The formatting changes other than bold and italic between two w:rPr."""
    def props(rpr: etree._Element | None) -> dict[str, bytes]:
        if rpr is None:
            return {}
        return {etree.QName(c).localname: etree.tostring(c) for c in rpr if etree.QName(c).localname in _OTHER_FORMATS}

    a, b = props(old), props(new)
    return tuple(dict.fromkeys(_OTHER_FORMATS[k] for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)))


def _length(xp: _XmlParagraph, states: tuple[str, ...]) -> int:
    return sum(len(p.text) for p in xp.pieces if p.state in states)


def _rich(pieces: list[_Piece], states: tuple[str, ...]) -> Rich:
    text, fmt, links = [], [], []
    for p in pieces:
        if p.state in states:
            f = p.before if states is _OLD else p.after
            text.append(p.text)
            fmt.extend([f] * len(p.text))
            links.extend([p.link] * len(p.text))
    return Rich("".join(text), tuple(fmt), tuple(links))


def _join_rich(parts: list[Rich]) -> Rich:
    out = Rich()
    for i, part in enumerate(parts):
        out = out + (Rich.plain("\n") if i else Rich()) + part
    return out


def _new(xp: _XmlParagraph) -> NewParagraph:
    authors = [p.author for p in xp.pieces if p.state in ("ins", "to")]
    moves = [p.move for p in xp.pieces if p.state == "to" and p.move]
    return NewParagraph(_rich(xp.pieces, _NEW), xp.style_after, authors[0] if authors else xp.mark_author,
                        moves[0] if moves else "")


def _ops(pieces: list[_Piece]) -> list[Op]:
    """The tracked changes of a paragraph's pieces, as edits of its text before the review."""
    ops: list[Op] = []
    pos = 0
    current: dict | None = None

    def close() -> None:
        nonlocal current
        if current is None:
            return
        states = current["states"]
        if current["cls"] == "format":
            kind = "format"
        elif current["cls"] == "move":
            kind = "move-from" if "to" not in states else "move-to" if "from" not in states else "replace"
        else:
            kind = "insert" if "del" not in states else "delete" if "ins" not in states else "replace"
        ops.append(Op(current["start"], pos, current["insert"], current["author"], kind, current["move"],
                      tuple(current["formats"])))
        current = None

    for p in pieces:
        changed = p.state or p.before != p.after or p.formats
        if not changed:
            close()
            pos += len(p.text)
            continue
        cls = "format" if not p.state else "move" if p.state in ("from", "to") else "edit"
        if current is not None and (current["author"], current["cls"], current["move"]) != (p.author, cls, p.move):
            close()
        if current is None:
            current = {"start": pos, "insert": Rich(), "author": p.author, "cls": cls, "move": p.move,
                       "states": set(), "formats": []}
        current["states"].add(p.state)
        if cls == "format":
            names = [n for bit, n in ((BOLD, "bold"), (ITALIC, "italic")) if (p.before ^ p.after) & bit]
            current["formats"] += [n for n in names + list(p.formats) if n not in current["formats"]]
        if p.state in _OLD:
            pos += len(p.text)
        if p.state in _NEW:
            current["insert"] = current["insert"] + Rich(p.text, (p.after,) * len(p.text), (p.link,) * len(p.text))
    close()
    return ops


def _deletions(paragraphs: list[Paragraph], marks: list[tuple[str, str, int]]) -> None:
    """Mark the paragraphs deleted whole, and those joined with the next, from their marks
    ((state, author, container) of each paragraph's mark)."""
    consumed: set[int] = set()
    for i, para in enumerate(paragraphs):
        if para.after.text.strip() or not para.before.text.strip() or para.split:
            continue
        mark, mark_author, container = marks[i]
        if mark:
            consumed.add(i)
        elif i and marks[i - 1][0] and marks[i - 1][2] == container:
            consumed.add(i - 1)  # the last paragraph of a cell or note: Word deletes the mark before it
            mark_author = marks[i - 1][1]
        authors = [op.author for op in para.ops if op.kind in ("delete", "move-from", "replace")]
        para.deleted = (authors[0] if authors else mark_author) or "unknown"
        moves = {op.move for op in para.ops if op.kind == "move-from"}
        para.moved = moves.pop() if len(moves) == 1 else ""
    for i, para in enumerate(paragraphs):
        mark, mark_author, container = marks[i]
        if mark and i not in consumed and not para.deleted and i + 1 < len(paragraphs) \
                and not paragraphs[i + 1].deleted and marks[i + 1][2] == container:
            para.joined = mark_author or "unknown"


def _quoted(paragraphs: list[Paragraph], base: int, start: tuple[int, int] | None,
            end: tuple[int, int] | None) -> str:
    """The text before the review between two (paragraph index, offset) places of a story."""
    if start is None or end is None or end < start:
        return ""
    (i, a), (j, b) = (start[0] - base, start[1]), (end[0] - base, end[1])
    if i == j:
        return paragraphs[i].before.text[a:b]
    return " ".join([paragraphs[i].before.text[a:], *(p.before.text for p in paragraphs[i + 1:j]),
                     paragraphs[j].before.text[:b]])


def _comments(parts: _Parts, main: str, rels: dict, paragraphs: list[Paragraph],
              spans: dict[str, tuple]) -> list[Comment]:
    """The comments, each placed at its range, a thread's replies after its first comment."""
    root = parts.xml(parts.target(main, rels, "comments"))
    if root is None:
        return []
    extended = parts.xml(parts.target(main, rels, "commentsExtended"))
    parent_para: dict[str, str] = {}
    done: set[str] = set()
    for ex in extended.iter(q("w15:commentEx")) if extended is not None else ():
        pid = ex.get(q("w15:paraId"), "")
        if ex.get(q("w15:paraIdParent")):
            parent_para[pid] = ex.get(q("w15:paraIdParent"), "")
        if ex.get(q("w15:done")) in ("1", "true"):
            done.add(pid)
    comments: list[Comment] = []
    by_para: dict[str, str] = {}
    last_paras: dict[str, str] = {}
    for node in root.findall(q("w:comment")):
        cid = node.get(q("w:id"), "")
        texts, last_para = [], ""
        for p in node.iter(q("w:p")):
            last_para = p.get(q("w14:paraId"), "") or last_para
            texts.append("".join(t.text or "" for t in p.iter(q("w:t"))))
        comment = Comment(cid, node.get(q("w:author"), "") or "unknown", node.get(q("w:date"), ""),
                          "\n".join(t for t in texts if t.strip()).strip(), done=last_para in done)
        by_para[last_para] = cid
        last_paras[cid] = last_para
        if cid in spans:
            (i, a), (j, b), quoted = spans[cid]
            comment.paragraph, comment.start = i, a
            comment.end = b if j == i else len(paragraphs[i].before)
            comment.quoted = quoted
        comments.append(comment)
    for c in comments:
        parent = parent_para.get(last_paras[c.id])
        if parent:
            c.parent = by_para.get(parent, "")
    if extended is None:  # LibreOffice drops the threads: a reply shares its comment's range
        first: dict[tuple[int, int, int], str] = {}
        for c in sorted(comments, key=lambda c: c.date):  # stable: file order breaks ties
            key = (c.paragraph, c.start, c.end)
            if c.paragraph >= 0 and key in first:
                c.parent = first[key]
            else:
                first[key] = c.id
    by_id = {c.id: c for c in comments}
    for c in comments:  # a reply to a reply belongs to the thread's first comment
        top, seen = c, {c.id}
        while top.parent in by_id and top.parent not in seen:
            seen.add(top.parent)
            top = by_id[top.parent]
        c.parent = top.id if top is not c else ""
        if c.parent and c.paragraph < 0:
            c.paragraph, c.start, c.end, c.quoted = top.paragraph, top.start, top.end, top.quoted
    ordered: list[Comment] = []
    for c in sorted((c for c in comments if not c.parent), key=lambda c: (c.paragraph, c.start, c.date)):
        ordered.append(c)
        ordered += sorted((r for r in comments if r.parent == c.id), key=lambda r: r.date)
    return ordered
