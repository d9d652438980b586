"""Read a PDF back as a reader sees it: page texts, outline, links, fonts (pypdf)."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import pypdf


def reader(data: bytes) -> pypdf.PdfReader:
    """A pypdf reader over PDF bytes."""
    return pypdf.PdfReader(io.BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    """The text of each page, NFKC-normalised (ligatures unfolded)."""
    return [unicodedata.normalize("NFKC", p.extract_text()) for p in reader(data).pages]


def pdf_text(data: bytes) -> str:
    """The whole text with a marker line before each page, so pagination shows in diffs."""
    return "\n".join(f"=== page {i} ===\n{t}" for i, t in enumerate(page_texts(data), 1))


def squash(text: str) -> str:
    """Text with every run of whitespace removed: line breaks fall anywhere in a PDF."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Bookmark:
    """One outline entry."""

    level: int
    """1 for a top-level entry."""
    title: str
    """Its text."""
    page: int
    """The page it opens, from 1."""


def outline(data: bytes) -> list[Bookmark]:
    """The PDF outline (bookmarks), flattened in reading order."""
    pdf = reader(data)
    found: list[Bookmark] = []

    def visit(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                visit(item, level + 1)
            else:
                found.append(Bookmark(level, item.title, pdf.get_destination_page_number(item) + 1))

    visit(pdf.outline, 1)
    return found


def destinations(data: bytes) -> dict[str, int]:
    """Named destinations (element ids) → the page they stand on, from 1."""
    pdf = reader(data)
    return {name: pdf.get_destination_page_number(d) + 1 for name, d in pdf.named_destinations.items()}


@dataclass(frozen=True)
class LinkArea:
    """One link annotation."""

    page: int
    """The page it is on, from 1."""
    target: str
    """A named destination ("note-3") or a URI."""
    height: float
    """The height of its clickable rectangle, in points."""


def links(data: bytes) -> list[LinkArea]:
    """Every link annotation, page by page."""
    found = []
    for number, page in enumerate(reader(data).pages, 1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            target = annot.get("/Dest") or annot.get("/A", {}).get("/URI") or annot.get("/A", {}).get("/D")
            rect = [float(x) for x in annot["/Rect"]]
            found.append(LinkArea(number, str(target), abs(rect[3] - rect[1])))
    return found


def fonts(data: bytes) -> dict[str, bool]:
    """Every font the pages use → whether its program is embedded (FontFile, 2 or 3)."""
    found: dict[str, bool] = {}
    for page in reader(data).pages:
        resources = page.get("/Resources", {}).get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described.get("/FontDescriptor", {}).get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"])] = embedded
    return found



def stored_plainly(data: bytes) -> tuple[list[str], int]:
    """The /Type of every stream written without a filter, and how many other objects stand
    outside an object stream."""
    doc = reader(data)
    plain, loose = [], 0
    numbers = [*doc.xref_objStm, *(n for by_number in doc.xref.values() for n in by_number)]
    for number in sorted(set(numbers)):
        obj = doc.get_object(number)
        if isinstance(obj, pypdf.generic.StreamObject):
            if "/Filter" not in obj:
                plain.append(str(obj.get("/Type", "?")))
        elif number not in doc.xref_objStm:
            loose += 1
    return plain, loose
