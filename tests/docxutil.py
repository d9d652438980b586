"""Read a DOCX back as text a reviewer can check: paragraphs with their style names, notes, PDF text."""

from __future__ import annotations

import io
import unicodedata
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
    """A paragraph's text as Word shows it: note calls as [^N], tabs as →, breaks as ⏎."""
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


def docx_text(source: Path | bytes) -> str:
    """Every body paragraph in order as ``[Style] text``; tables as ``[table] a / b / c``, and the
    paragraphs of a box framed by a one-cell table (one without a table style) as paragraphs.

    The contents (a w:sdt block) is read too, so its pre-filled entries show.
    """
    document = _open(source)
    lines = []

    def visit(container: etree._Element) -> None:
        for child in container:
            if child.tag == qn("w:p"):
                para = Paragraph(child, document._body)
                lines.append(f"[{para.style.name}] {paragraph_text(child)}")
            elif child.tag == qn("w:tbl") and child.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}") is None:
                visit(child.find(f"{qn('w:tr')}/{qn('w:tc')}"))  # a box framed by a one-cell table
            elif child.tag == qn("w:tbl"):
                table = Table(child, document._body)
                cells = [paragraph_text(c._tc) for row in table.rows for c in row.cells]
                lines.append("[table] " + " / ".join(cells))
            elif child.tag == qn("w:sdt"):
                visit(child.find(qn("w:sdtContent")))

    visit(document.element.body)
    return "\n".join(lines)


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
    """Convert with LibreOffice (its own profile per run); None when soffice is missing."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return libreoffice.to_pdf(data, timeout, export="pdf")


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page (NFKC unfolds ligatures)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [unicodedata.normalize("NFKC", page.extract_text() or "") for page in reader.pages]
