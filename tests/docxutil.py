"""Read a DOCX back as text a reviewer can check: paragraphs with their style names, list markers,
tables, notes; and convert it to PDF with LibreOffice, as a co-author's word processor would."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from reportkit import libreoffice

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _open(source: Path | bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(source) if isinstance(source, bytes) else str(source))


def paragraph_text(p: etree._Element) -> str:
    """A paragraph's text as Word shows it: note calls as [^N], tabs and line breaks as such."""
    out = []
    for node in p.iter():
        match etree.QName(node).localname if isinstance(node.tag, str) else "":
            case "t" | "instrText" if node.tag == f"{W}t":
                out.append(node.text or "")
            case "tab" if node.getparent().tag == f"{W}r":
                out.append("\t")
            case "br":
                out.append("\n")
            case "footnoteReference" | "endnoteReference":
                out.append(f"[^{node.get(f'{W}id')}]")
    return "".join(out)


def docx_text(source: Path | bytes, rows: bool = False, markers: bool = False) -> str:
    """Every body paragraph in order as ``[Style] text``; tables as ``[table] a / b / c``, and the
    paragraphs of a box framed by a one-cell table (one without a table style) as paragraphs.

    The contents (a w:sdt block) is read too, so its pre-filled entries show. With ``rows``, a
    table is one ``[row] a / b / c`` line a row; with ``markers``, a list paragraph's text opens
    with what Word shows before it ("7. ", "• "), indented two spaces a level.
    """
    document = _open(source)
    marker = _list_markers(document) if markers else lambda p: ""
    lines = []

    def visit(container: etree._Element) -> None:
        for child in container:
            if child.tag == qn("w:p"):
                para = Paragraph(child, document._body)
                lines.append(f"[{para.style.name}] {marker(child)}{paragraph_text(child)}")
            elif child.tag == qn("w:tbl") and child.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}") is None:
                visit(child.find(f"{qn('w:tr')}/{qn('w:tc')}"))  # a box framed by a one-cell table
            elif child.tag == qn("w:tbl"):
                table = Table(child, document._body)
                cells = [[paragraph_text(c._tc) for c in row.cells] for row in table.rows]
                if rows:
                    lines.extend("[row] " + " / ".join(row) for row in cells)
                else:
                    lines.append("[table] " + " / ".join(c for row in cells for c in row))
            elif child.tag == qn("w:sdt"):
                visit(child.find(qn("w:sdtContent")))

    visit(document.element.body)
    return "\n".join(lines)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        out, n = out + letters * (n // value), n % value
    return out


_FORMATS = {"decimal": str, "lowerLetter": lambda n: chr(96 + n), "upperLetter": lambda n: chr(64 + n),
            "lowerRoman": _roman, "upperRoman": lambda n: _roman(n).upper()}


def _list_markers(document: docx.document.Document):
    """A function giving each paragraph, in reading order, the marker Word shows before it:
    counted per list (w:num) and level from the level's start or the list's start override,
    deeper levels starting again after a shallower item. Only numbering set on the paragraph
    itself counts (not a style's)."""
    numbering = document.part.numbering_part.element
    abstract = {a.get(qn("w:abstractNumId")): a for a in numbering.findall(qn("w:abstractNum"))}
    levels: dict[tuple[str, str], list] = {}  # (numId, ilvl) → [start, format, text]
    for num in numbering.findall(qn("w:num")):
        num_id = num.get(qn("w:numId"))
        for lvl in abstract[num.find(qn("w:abstractNumId")).get(qn("w:val"))].findall(qn("w:lvl")):
            value = {name: lvl.find(qn(f"w:{name}")) for name in ("start", "numFmt", "lvlText")}
            levels[num_id, lvl.get(qn("w:ilvl"))] = [
                int(value["start"].get(qn("w:val"))) if value["start"] is not None else 1,
                value["numFmt"].get(qn("w:val")), value["lvlText"].get(qn("w:val"))]
        for override in num.findall(qn("w:lvlOverride")):
            start = override.find(qn("w:startOverride"))
            if start is not None:
                levels[num_id, override.get(qn("w:ilvl"))][0] = int(start.get(qn("w:val")))
    counts: dict[tuple[str, int], int] = {}

    def marker(p: etree._Element) -> str:
        num_pr = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if num_pr is None or num_pr.find(qn("w:numId")) is None:
            return ""
        num_id = num_pr.find(qn("w:numId")).get(qn("w:val"))
        ilvl = num_pr.find(qn("w:ilvl"))
        depth = int(ilvl.get(qn("w:val"))) if ilvl is not None else 0
        for key in [k for k in counts if k[0] == num_id and k[1] > depth]:
            del counts[key]  # a deeper list starts again
        start = levels[num_id, str(depth)][0]
        counts[num_id, depth] = counts.get((num_id, depth), start - 1) + 1
        text = levels[num_id, str(depth)][2]
        for level in range(depth + 1):
            fmt = levels[num_id, str(level)][1]
            shown = _FORMATS[fmt](counts.get((num_id, level), levels[num_id, str(level)][0])) if fmt in _FORMATS else ""
            text = text.replace(f"%{level + 1}", shown)
        return "  " * depth + text + " "

    return marker


def notes_xml(source: Path | bytes, placement: str = "footnotes") -> etree._Element | None:
    """The parsed word/footnotes.xml (or endnotes.xml), None when absent."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        name = f"word/{placement}.xml"
        return etree.fromstring(z.read(name)) if name in z.namelist() else None


def footnotes_text(source: Path | bytes, placement: str = "footnotes") -> list[tuple[int, str]]:
    """(id, text) of each real note (separators left out), in file order."""
    root = notes_xml(source, placement)
    if root is None:
        return []
    kind = placement[:-1]
    notes = []
    for note in root.findall(f"{W}{kind}"):
        if note.get(f"{W}type") in ("separator", "continuationSeparator"):
            continue
        text = " ".join(paragraph_text(p) for p in note.findall(f"{W}p"))
        notes.append((int(note.get(f"{W}id")), text.strip()))
    return notes


def to_pdf(source: Path | bytes, timeout: float = 180) -> bytes | None:
    """Convert with LibreOffice (its own profile per run, the default style's fonts, as a build
    does); None when soffice is missing."""
    from reportkit.themes import load_theme
    from reportkit.writers.docx import office_fonts

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return libreoffice.to_pdf(data, timeout, export="pdf", fonts=office_fonts(load_theme("default")))
