"""reportkit's source map: a custom XML part of the DOCX saying where each paragraph came from.

The DOCX writer makes it (``SourceFiles`` gives each paragraph its entry) and ``review`` reads it
back. ``build`` wraps every body paragraph showing text in a hidden bookmark (``_rk1``, ``_rk2``…)
and lists, in ``customXml/``, each bookmark with the file, first and last line, kind and a hash
of the source lines it was written from, or what generated it (cover fields by their
report.toml key, contents, default box titles). A paragraph without text (a picture, a spacer)
has no bookmark: pandoc would keep an empty paragraph holding one, and no longer read a picture
and its caption as one figure. Notes are listed by their number, all their paragraphs in
order: LibreOffice renumbers note ids and keeps few bookmarks inside notes. The map holds file
names, line numbers and hashes, never text::

    <sourceMap xmlns="urn:reportkit:source-map:1" version="1">
      <file id="1" path="02-general-measures.md"/>
      <p bookmark="_rk12" kind="paragraph" file="1" first="5" last="5" hash="9f86d081884c7d65"/>
      <p bookmark="_rk13" kind="cell" file="1" first="40" last="40" row="1" col="0" hash="…"/>
      <p bookmark="_rk2" kind="generated" what="contents"/>
      <p bookmark="_rk1" kind="cover" what="title"/>
      <note n="1"><p kind="paragraph" file="1" first="70" last="71" hash="…"/></note>
    </sourceMap>
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .model import Report

NAMESPACE = "urn:reportkit:source-map:1"
"""The XML namespace of the map's elements (how ``review`` finds the part)."""

BOOKMARK_PREFIX = "_rk"
"""Names of the map's bookmarks start so; Word hides bookmarks whose names start with "_"."""


@dataclass(frozen=True)
class Entry:
    """Where one paragraph of the DOCX came from."""

    kind: str
    """"paragraph", "heading", "box-title", "cell", "caption", "figure", "code", "cover" or
    "generated"."""
    path: str = ""
    """The source file, relative to the report folder ("" for cover and generated text)."""
    first: int = 0
    """Its first source line."""
    last: int = 0
    """Its last source line."""
    hash: str = ""
    """``source_hash`` of those lines when the DOCX was built."""
    bookmark: str = ""
    """The bookmark around the paragraph ("" in notes, matched by order)."""
    what: str = ""
    """For generated text: what it is ("contents", "box title"…); for the cover: the
    report.toml key ("title", "authors"…)."""
    row: int = -1
    """For a table cell: its row (0 is the header)."""
    col: int = -1
    """For a table cell: its column."""


@dataclass
class SourceMap:
    """A DOCX's source map, read back."""

    body: dict[str, Entry] = field(default_factory=dict)
    """Bookmark name → entry, for the body's paragraphs."""
    notes: list[list[Entry]] = field(default_factory=list)
    """Per note (note 1 first): its paragraphs' entries in order."""


def source_hash(text: str) -> str:
    """The hash the map keeps of a paragraph's source lines: enough to tell they changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def source_text(data: bytes) -> str:
    """A source file's text as the map counts its lines: without a byte order mark, "\\n" line ends."""
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


class SourceFiles:
    """A report's chapter files, each read once, to give the paragraphs written from them their
    entries."""

    def __init__(self, report: Report):
        self.names = dict(zip((c.path for c in report.chapters), report.meta.chapters))
        """Each chapter's path (as the model names it) → its name in the report folder."""
        self.root = Path(report.root)
        self._lines: dict[str, list[str] | None] = {}

    def entry(self, kind: str, path: str, first: int, last: int, row: int = -1, col: int = -1) -> Entry | None:
        """The entry of a paragraph of ``kind`` written from lines ``first`` to ``last`` of the
        chapter ``path``; None when that is no chapter file that can be read."""
        name = self.names.get(path)
        if name is None:
            return None
        if name not in self._lines:
            try:
                self._lines[name] = source_text((self.root / name).read_bytes()).split("\n")
            except (OSError, UnicodeDecodeError):
                self._lines[name] = None
        lines = self._lines[name]
        if lines is None:
            return None
        return Entry(kind, name, first, last, source_hash("\n".join(lines[first - 1:last])), row=row, col=col)


def to_xml(body: list[Entry], notes: list[list[Entry]]) -> bytes:
    """The map's XML part for the body's paragraphs (each with its bookmark) and the notes'."""
    root = etree.Element(f"{{{NAMESPACE}}}sourceMap", nsmap={None: NAMESPACE}, version="1")
    files: dict[str, str] = {}
    for entry in [*body, *(e for note in notes for e in note)]:
        if entry.path and entry.path not in files:
            files[entry.path] = str(len(files) + 1)
            etree.SubElement(root, f"{{{NAMESPACE}}}file", id=files[entry.path], path=entry.path)

    def add(parent: etree._Element, entry: Entry) -> None:
        attrs = {"bookmark": entry.bookmark, "kind": entry.kind, "file": files.get(entry.path, ""),
                 "first": str(entry.first or ""), "last": str(entry.last or ""),
                 "row": str(entry.row) if entry.row >= 0 else "", "col": str(entry.col) if entry.col >= 0 else "",
                 "hash": entry.hash, "what": entry.what}
        etree.SubElement(parent, f"{{{NAMESPACE}}}p", {k: v for k, v in attrs.items() if v})

    for entry in body:
        add(root, entry)
    for n, note in enumerate(notes, 1):
        element = etree.SubElement(root, f"{{{NAMESPACE}}}note", n=str(n))
        for entry in note:
            add(element, entry)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def from_xml(data: bytes) -> SourceMap | None:
    """The map in ``data``; None when it is not one reportkit can read."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return None
    if root.tag != f"{{{NAMESPACE}}}sourceMap":
        return None
    files = {f.get("id"): f.get("path", "") for f in root.iter(f"{{{NAMESPACE}}}file")}

    def entry(p: etree._Element) -> Entry:
        def number(name: str, default: int = 0) -> int:
            value = p.get(name, "")
            return int(value) if value.lstrip("-").isdigit() else default

        return Entry(p.get("kind", ""), files.get(p.get("file", ""), ""), number("first"), number("last"),
                     p.get("hash", ""), p.get("bookmark", ""), p.get("what", ""), number("row", -1),
                     number("col", -1))

    out = SourceMap()
    for child in root:
        if child.tag == f"{{{NAMESPACE}}}p" and child.get("bookmark"):
            out.body[child.get("bookmark", "")] = entry(child)
        elif child.tag == f"{{{NAMESPACE}}}note":
            out.notes.append([entry(p) for p in child if p.tag == f"{{{NAMESPACE}}}p"])
    return out
