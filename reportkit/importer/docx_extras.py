"""What pandoc's DOCX reader loses, read from the WordprocessingML itself; and the DOCX pandoc reads.

pandoc keeps a paragraph's text, style name and character formatting, but not its direct
formatting (a bold or larger paragraph standing for a heading, shading and borders), its outline
level, the text in text boxes, nor comments once tracked changes are accepted or rejected. So
before pandoc reads the file, every paragraph with text gets an invisible marker, its number
between two U+2063 INVISIBLE SEPARATORs (``P12``), each comment reference becomes a marker of
its comment (``C3``), and the paragraphs of each text box are moved after the paragraph that
anchors it. The mapping finds the markers in pandoc's tree and looks the facts up here.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lxml import etree

from ..errors import ReportError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"

MARK = "\u2063"
"""The separator around a marker: invisible, and never typed by authors."""
MARKER = re.compile(f"{MARK}([PC])([^{MARK}]*){MARK}")
"""A marker in pandoc's text: ``P`` and a paragraph's number, or ``C`` and a comment's id."""

BOX_TITLES = ("recommendation title", "good practice title", "box title")
"""reportkit's box title styles (lower case)."""

TRACKED = ("ins", "del", "moveFrom", "moveTo", "cellIns", "cellDel")
"""Elements of a tracked change to the text (formatting changes are taken as they stand)."""

_OFF = ("0", "false", "off", "none")
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)


@dataclass(frozen=True)
class ParaFacts:
    """What the XML says about one marked paragraph."""

    text: str
    """Its text as Word shows it, tabs as ``\\t``."""
    style: str
    """Its paragraph style's name ("" for the default style)."""
    bold: bool
    """All its text is bold (direct formatting, character style or paragraph style)."""
    size: float
    """The font size of most of its text, in points."""
    outline: int | None
    """Its outline level (0 for a chapter), from the paragraph or its style; None for body text."""
    framed: bool
    """It has shading, or borders on two or more sides (a frame drawn by hand or by its style)."""
    textbox: int
    """The number of the text box it stood in (1, 2…); 0 outside text boxes."""
    number: int | None
    """Its number, when it is an item of a numbered list (or a heading numbered by Word)."""
    numbered: bool
    """It carries Word's list numbering (bullets or numbers)."""
    in_table: bool
    """It stands in a table cell."""
    rule: bool = False
    """An empty paragraph with a line above or below it only: a horizontal rule."""


@dataclass(frozen=True)
class Comment:
    """A Word comment."""

    author: str
    """Who wrote it, as Word recorded it."""
    text: str
    """Its paragraphs, on one line."""


@dataclass
class Extras:
    """Everything read from the XML, and the DOCX prepared for pandoc."""

    paragraphs: list[ParaFacts]
    """Facts by marker number."""
    body_size: float
    """The font size of most body text, in points."""
    comments: dict[str, Comment]
    """Comments by id."""
    tracked: int
    """Tracked changes to the text (insertions, deletions, moves) left unresolved."""
    footnotes: int
    """Footnote calls in the text."""
    endnotes: int
    """Endnote calls in the text."""
    core: dict[str, str]
    """docProps/core.xml: title, creator, language, subject…"""
    language: str
    """The text's language ("en"): the document's, else its default style's."""
    toc_depth: int | None
    """The levels its contents field lists (``TOC \\o "1-2"``), when it has one."""
    prepared: bytes
    """The DOCX with markers, for pandoc."""
    application: str = ""
    """The program that saved it ("Microsoft Office Word", "reportkit"…)."""
    parts: dict[str, str] = field(default_factory=dict)
    """Relationship type suffix ("styles", "numbering"…) → part name in the package."""
    _zip: zipfile.ZipFile | None = None

    def media(self, target: str) -> bytes | None:
        """The bytes of an image pandoc names ``media/image1.png``, or None."""
        assert self._zip is not None
        names = self._zip.namelist()
        base = str(PurePosixPath(self.parts.get("document", "word/document.xml")).parent)
        for name in (f"{base}/{target}", target):
            if name in names:
                return self._zip.read(name)
        matches = [n for n in names if n.endswith("/" + target)]
        return self._zip.read(matches[0]) if matches else None


def read(data: bytes, name: str, comments: bool = True) -> Extras:
    """Read a DOCX's XML; raise ReportError (one line) when it is not a Word document."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE file: Word 97-2003, or a DOCX with a password
        raise ReportError(f"{name}: an old Word document (.doc) or one protected by a password; "
                          "open it in Word and save it as Word Document (.docx) without a password")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        parts = _parts(package)
        document_name = parts["document"]
        root = etree.fromstring(package.read(document_name), _XML)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError) as err:
        detail = "not a Word document (.docx)" if isinstance(err, (zipfile.BadZipFile, KeyError)) else f"broken XML ({err})"
        raise ReportError(f"{name}: {detail}; open it in Word and save it as Word Document (.docx)") from None
    if root.tag.startswith("{" + STRICT):
        raise ReportError(f"{name}: saved as Strict Open XML, which pandoc cannot read; "
                          "save it as Word Document (.docx)")
    body = root.find(f"{W}body")
    if body is None:
        raise ReportError(f"{name}: the document has no body; save it again as Word Document (.docx)")
    styles = _Styles(_xml(package, parts.get("styles")))
    numbering = _Numbering(_xml(package, parts.get("numbering")))
    notes = [x for k in ("footnotes", "endnotes") if (x := _xml(package, parts.get(k))) is not None]
    tracked = sum(len(tree.findall(f".//{W}{tag}")) for tree in (root, *notes) for tag in TRACKED)

    boxes = _lift_text_boxes(body)
    facts: list[ParaFacts] = []
    sizes: Counter[float] = Counter()
    paragraphs = list(body.iter(f"{W}p"))
    # A box title left empty (reportkit writes one for a box without title) still opens a box.
    empty = {p for p in paragraphs if not _has_content(p)
             and styles.name(styles.paragraph_style(p.find(f"{W}pPr"))).lower() not in BOX_TITLES}
    framed_cache: dict[etree._Element, bool] = {}

    def framed(p: etree._Element) -> bool:
        if p not in framed_cache:
            framed_cache[p] = styles.framed(p.find(f"{W}pPr"))
        return framed_cache[p]

    for p in paragraphs:
        ppr = p.find(f"{W}pPr")
        style_id = styles.paragraph_style(ppr)
        num = styles.numbering(ppr, style_id)
        number = numbering.count(*num) if num else None  # empty items count too, as in Word
        rule = False
        if p in empty:
            # An empty paragraph between two framed ones separates two boxes (two boxes in a
            # row), one with a line above or below is a rule; others are left for pandoc to drop.
            before, after = p.getprevious(), p.getnext()
            rule = styles.rule(ppr)
            if not rule and not (before is not None and after is not None and before.tag == after.tag == f"{W}p"
                                 and before not in empty and after not in empty and framed(before) and framed(after)):
                continue
        runs = _runs(p)
        text = "".join(t for _, t in runs)
        weights: Counter[float] = Counter()
        bold = True
        for r, t in runs:
            if t.strip():
                bold = bold and styles.run_bold(r, style_id)
                weights[styles.run_size(r, style_id)] += len(t.strip())
        size = weights.most_common(1)[0][0] if weights else styles.run_size(None, style_id)
        outline = styles.outline(ppr, style_id)
        in_table = any(a.tag == f"{W}tc" for a in p.iterancestors())
        box = next((boxes[a] for a in (p, *p.iterancestors()) if a in boxes), 0)
        if outline is None and not in_table and not box and not styles.name(style_id).lower().startswith(("heading", "title")):
            sizes.update(weights)
        facts.append(ParaFacts(
            text=text, style=styles.name(style_id), bold=bold and bool(text.strip()), size=size,
            outline=outline, framed=framed(p), textbox=box,
            number=number, numbered=num is not None,
            in_table=in_table, rule=rule))
        _insert_marker(p, f"P{len(facts) - 1}")
    found = _comments(_xml(package, parts.get("comments"))) if comments else {}
    _mark_comments(root, found)
    core = _properties(package, parts.get("core"))
    language = _language(core.get("language", "")) or _language(styles.default_language)
    toc = re.search(r'\bTOC\b[^"]*\\o\s*"(\d)-(\d)"', " ".join(t.text or "" for t in root.iter(f"{W}instrText")))
    prepared = _replaced(package, {document_name: etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                                                 standalone=True)})
    return Extras(
        paragraphs=facts, body_size=sizes.most_common(1)[0][0] if sizes else styles.run_size(None, None),
        comments=found, tracked=tracked,
        footnotes=len(root.findall(f".//{W}footnoteReference")),
        endnotes=len(root.findall(f".//{W}endnoteReference")),
        core=core, language=language or "en", toc_depth=int(toc[2]) if toc else None,
        application=_properties(package, parts.get("app")).get("Application", ""),
        prepared=prepared, parts=parts, _zip=package)


# --- the package -----------------------------------------------------------------------------


def _parts(package: zipfile.ZipFile) -> dict[str, str]:
    """The main document part and the parts it relates to, found through the relationships."""
    def targets(rels_name: str, base: str) -> dict[str, str]:
        if rels_name not in package.namelist():
            return {}
        out = {}
        for rel in etree.fromstring(package.read(rels_name), _XML).iter(REL):
            kind, target = rel.get("Type", ""), rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath(base, target))
            out.setdefault(kind.rsplit("/", 1)[-1], _normal(path))
            if kind == CORE:
                out["core"] = _normal(path)
        return out

    top = targets("_rels/.rels", "")
    document = top.get("officeDocument", "word/document.xml")
    folder, _, file = document.rpartition("/")
    parts = targets(f"{folder}/_rels/{file}.rels", folder)
    parts.update(document=document, core=top.get("core", "docProps/core.xml"),
                 app=top.get("extended-properties", "docProps/app.xml"))
    return parts


def _normal(path: str) -> str:
    out: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            out = out[:-1]
        elif piece not in ("", "."):
            out.append(piece)
    return "/".join(out)


def _xml(package: zipfile.ZipFile, name: str | None) -> etree._Element | None:
    if not name or name not in package.namelist():
        return None
    try:
        return etree.fromstring(package.read(name), _XML)
    except etree.XMLSyntaxError:
        return None


def _replaced(package: zipfile.ZipFile, changes: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in package.infolist():
            target.writestr(info.filename, changes.get(info.filename) or package.read(info.filename))
    return out.getvalue()


def _properties(package: zipfile.ZipFile, name: str | None) -> dict[str, str]:
    """A properties part (core.xml, app.xml): element name → text."""
    tree = _xml(package, name)
    if tree is None:
        return {}
    return {etree.QName(child).localname: (child.text or "").strip() for child in tree
            if isinstance(child.tag, str) and (child.text or "").strip()}


def _language(tag: str) -> str:
    primary = tag.strip().split("-")[0].split("_")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""


def _comments(tree: etree._Element | None) -> dict[str, Comment]:
    if tree is None:
        return {}
    found = {}
    for comment in tree.iter(f"{W}comment"):
        paragraphs = [" ".join(t for _, t in _runs(p)).strip() for p in comment.iter(f"{W}p")]
        found[comment.get(f"{W}id", "")] = Comment(comment.get(f"{W}author", "").strip(),
                                                   " ".join(p for p in paragraphs if p))
    return found


# --- paragraphs ------------------------------------------------------------------------------


def _runs(p: etree._Element) -> list[tuple[etree._Element, str]]:
    """The paragraph's runs and their text (not those of paragraphs nested in it)."""
    out = []
    for r in p.iter(f"{W}r"):
        if next((a for a in r.iterancestors(f"{W}p")), None) is not p:
            continue
        text = "".join(
            (c.text or "") if c.tag == f"{W}t" else "\t" if c.tag == f"{W}tab" else
            "\n" if c.tag in (f"{W}br", f"{W}cr") else "-" if c.tag == f"{W}noBreakHyphen" else ""
            for c in r)
        out.append((r, text))
    return out


def _has_content(p: etree._Element) -> bool:
    if any((t.text or "").strip() for t in p.iter(f"{W}t")):
        return True
    return any(True for tag in ("drawing", "pict", "object", "footnoteReference", "endnoteReference")
               for _ in p.iter(f"{W}{tag}"))


def _marker_run(text: str) -> etree._Element:
    run = etree.Element(f"{W}r")
    etree.SubElement(run, f"{W}t").text = f"{MARK}{text}{MARK}"
    return run


def _insert_marker(p: etree._Element, text: str) -> None:
    """At the paragraph's end: before its text, it would join a heading's typed number."""
    p.append(_marker_run(text))


def _mark_comments(root: etree._Element, comments: dict[str, Comment]) -> None:
    """Each comment's reference becomes the marker of the comment (or goes, when the comments
    are dropped): pandoc leaves comments out when it accepts or rejects tracked changes."""
    for ref in list(root.iter(f"{W}commentReference")):
        run = ref.getparent()
        if run is None or run.tag != f"{W}r" or run.getparent() is None:
            continue
        if ref.get(f"{W}id") in comments:
            run.addprevious(_marker_run(f"C{ref.get(f'{W}id')}"))
        run.getparent().remove(run)


def _lift_text_boxes(body: etree._Element) -> dict[etree._Element, int]:
    """Move each text box's paragraphs and tables after the paragraph anchoring it (its shape
    removed); return each moved block's text box number. Nested boxes come out one by one."""
    numbers: dict[etree._Element, int] = {}
    for _ in range(50):  # boxes in boxes: one level a round
        found = [t for t in body.iter(f"{W}txbxContent")
                 if not any(a.tag in (MC_FALLBACK, f"{W}txbxContent") for a in t.iterancestors())]
        if not found:
            break
        last: dict[etree._Element, etree._Element] = {}
        shapes = []
        for box in found:
            anchor = next((a for a in box.iterancestors(f"{W}p")), None)
            shape = box
            while shape.getparent() is not None and shape.getparent().tag != f"{W}r":
                shape = shape.getparent()
            shapes.append(shape)
            if anchor is None:
                continue
            number = len(set(numbers.values())) + 1
            after = last.get(anchor, anchor)
            for block in [c for c in box if c.tag in (f"{W}p", f"{W}tbl")]:
                after.addnext(block)
                after = block
                numbers[block] = number
            last[anchor] = after
        for shape in shapes:
            if shape.getparent() is not None:
                shape.getparent().remove(shape)
    return numbers


# --- styles and numbering --------------------------------------------------------------------


def _on(element: etree._Element | None) -> bool | None:
    """A toggle property (``<w:b/>``): True, False, or None when absent."""
    if element is None:
        return None
    return element.get(f"{W}val", "true").lower() not in _OFF


class _Styles:
    """The style sheet: names, inheritance, and the effective properties of paragraphs and runs."""

    def __init__(self, tree: etree._Element | None):
        self.by_id: dict[str, etree._Element] = {}
        self.default_paragraph: str | None = None
        self.defaults_ppr = self.defaults_rpr = None
        self.default_language = ""
        if tree is None:
            return
        for style in tree.iter(f"{W}style"):
            style_id = style.get(f"{W}styleId", "")
            self.by_id[style_id] = style
            if style.get(f"{W}type") == "paragraph" and style.get(f"{W}default") in ("1", "true", "on"):
                self.default_paragraph = style_id
        defaults = tree.find(f"{W}docDefaults")
        if defaults is not None:
            self.defaults_ppr = defaults.find(f"{W}pPrDefault/{W}pPr")
            self.defaults_rpr = defaults.find(f"{W}rPrDefault/{W}rPr")
            lang = defaults.find(f"{W}rPrDefault/{W}rPr/{W}lang")
            self.default_language = lang.get(f"{W}val", "") if lang is not None else ""

    def name(self, style_id: str | None) -> str:
        style = self.by_id.get(style_id or "")
        if style is None or style_id == self.default_paragraph:
            return ""
        named = style.find(f"{W}name")
        return named.get(f"{W}val", style_id) if named is not None else style_id

    def chain(self, style_id: str | None) -> list[etree._Element]:
        """The style and those it is based on, nearest first."""
        out: list[etree._Element] = []
        while style_id and style_id in self.by_id and len(out) < 20:
            style = self.by_id[style_id]
            if style in out:
                break
            out.append(style)
            based = style.find(f"{W}basedOn")
            style_id = based.get(f"{W}val") if based is not None else None
        return out

    def paragraph_style(self, ppr: etree._Element | None) -> str | None:
        named = ppr.find(f"{W}pStyle") if ppr is not None else None
        return named.get(f"{W}val") if named is not None else self.default_paragraph

    def _ppr(self, ppr: etree._Element | None, style_id: str | None, path: str) -> etree._Element | None:
        for props in (ppr, *(s.find(f"{W}pPr") for s in self.chain(style_id)), self.defaults_ppr):
            found = props.find(path) if props is not None else None
            if found is not None:
                return found
        return None

    def _rpr(self, run: etree._Element | None, style_id: str | None, tag: str) -> etree._Element | None:
        rpr = run.find(f"{W}rPr") if run is not None else None
        char = rpr.find(f"{W}rStyle") if rpr is not None else None
        sources = [rpr, *(s.find(f"{W}rPr") for s in self.chain(char.get(f"{W}val") if char is not None else None)),
                   *(s.find(f"{W}rPr") for s in self.chain(style_id)), self.defaults_rpr]
        for props in sources:
            found = props.find(f"{W}{tag}") if props is not None else None
            if found is not None:
                return found
        return None

    def run_bold(self, run: etree._Element | None, style_id: str | None) -> bool:
        return bool(_on(self._rpr(run, style_id, "b")))

    def run_size(self, run: etree._Element | None, style_id: str | None) -> float:
        size = self._rpr(run, style_id, "sz")
        try:
            return int(size.get(f"{W}val")) / 2 if size is not None else 10.0
        except (TypeError, ValueError):
            return 10.0

    def outline(self, ppr: etree._Element | None, style_id: str | None) -> int | None:
        level = self._ppr(ppr, style_id, f"{W}outlineLvl")
        value = level.get(f"{W}val", "") if level is not None else ""
        return int(value) if value.isdigit() and int(value) < 9 else None

    def _sides(self, ppr: etree._Element | None) -> list[str]:
        borders = self._ppr(ppr, self.paragraph_style(ppr), f"{W}pBdr")
        return [] if borders is None else [
            side for side in ("top", "left", "bottom", "right")
            if (b := borders.find(f"{W}{side}")) is not None and b.get(f"{W}val", "nil") not in ("nil", "none")]

    def rule(self, ppr: etree._Element | None) -> bool:
        return self._sides(ppr) in (["top"], ["bottom"])

    def framed(self, ppr: etree._Element | None) -> bool:
        style_id = self.paragraph_style(ppr)
        sides = self._sides(ppr)
        shading = self._ppr(ppr, style_id, f"{W}shd")
        filled = shading is not None and (
            shading.get(f"{W}fill", "auto").upper() not in ("AUTO", "FFFFFF", "")
            or (shading.get(f"{W}val") == "solid" and shading.get(f"{W}color", "auto").upper() not in ("AUTO", "FFFFFF")))
        return filled or len(sides) >= 2

    def numbering(self, ppr: etree._Element | None, style_id: str | None) -> tuple[str, int] | None:
        """(numId, level) of a numbered paragraph, from the paragraph or its style."""
        direct = ppr.find(f"{W}numPr") if ppr is not None else None
        num_id = ilvl = None
        for props in (direct, *(s.find(f"{W}pPr/{W}numPr") for s in self.chain(style_id))):
            if props is None:
                continue
            if num_id is None and (n := props.find(f"{W}numId")) is not None:
                num_id = n.get(f"{W}val")
            if ilvl is None and (n := props.find(f"{W}ilvl")) is not None:
                ilvl = n.get(f"{W}val")
        if not num_id or num_id == "0":
            return None
        return num_id, int(ilvl) if ilvl and ilvl.isdigit() else 0


class _Numbering:
    """Word's list counters, followed paragraph by paragraph as Word counts them."""

    def __init__(self, tree: etree._Element | None):
        self.abstract: dict[str, str] = {}
        self.overrides: dict[str, dict[int, int]] = {}
        self.starts: dict[tuple[str, int], int] = {}
        self.formats: dict[tuple[str, int], str] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[tuple[str, int]] = set()
        if tree is None:
            return
        for abstract in tree.iter(f"{W}abstractNum"):
            aid = abstract.get(f"{W}abstractNumId", "")
            for lvl in abstract.iter(f"{W}lvl"):
                level = int(lvl.get(f"{W}ilvl", "0") or 0)
                start, fmt = lvl.find(f"{W}start"), lvl.find(f"{W}numFmt")
                self.starts[(aid, level)] = _int(start.get(f"{W}val") if start is not None else None, 1)
                self.formats[(aid, level)] = fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal"
        for num in tree.iter(f"{W}num"):
            nid = num.get(f"{W}numId", "")
            ref = num.find(f"{W}abstractNumId")
            self.abstract[nid] = ref.get(f"{W}val", "") if ref is not None else ""
            for override in num.iter(f"{W}lvlOverride"):
                start = override.find(f"{W}startOverride")
                if start is not None:
                    self.overrides.setdefault(nid, {})[_int(override.get(f"{W}ilvl"), 0)] = _int(start.get(f"{W}val"), 1)

    def count(self, num_id: str, level: int) -> int | None:
        """The number this paragraph shows (None for a bullet)."""
        aid = self.abstract.get(num_id, num_id)
        counters = self.counters.setdefault(aid, {})
        override = self.overrides.get(num_id, {}).get(level)
        if override is not None and (num_id, level) not in self.started:
            counters[level] = override - 1
        self.started.add((num_id, level))
        counters[level] = counters.get(level, self.starts.get((aid, level), 1) - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        if self.formats.get((aid, level), "decimal") in ("bullet", "none"):
            return None
        return counters[level]


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
