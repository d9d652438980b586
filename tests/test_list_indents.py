"""A list right under a numbered paragraph (``number_paragraphs = true``) starts at the
paragraph's text, past its number, in the PDF (word positions) and the DOCX (its indents)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import make_report, run
from docxutil import W, paragraph_text
from test_tables import words

CHAPTER = """# Introduction

Paragraphtext opens the numbered paragraph, and the list below belongs to it:

- Bulletitem one
- Bulletitem two

  Continuedtext, a second paragraph of the item.
  - Nesteditem

Second numbered paragraph, with an ordered list:

1. Ordereditem one
2. Ordereditem two

## A list under a heading

- Headingitem
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    tmp = tmp_path_factory.mktemp("lists")
    folder = make_report(tmp, files={
        "report.toml": 'title = "Lists"\ncreated = 2026-11-01\nnumber_paragraphs = true\ntoc_depth = 0\n'
                       'chapters = ["01-intro.md"]\n',
        "01-intro.md": CHAPTER, "02-findings.md": None})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPORTKIT_DOCX_PAGES", "0")
        result = run("build", folder, "--format", "pdf,docx")
    assert result.exit_code == 0, result.output
    return (folder / "build" / "report.pdf").read_bytes(), (folder / "build" / "report.docx").read_bytes()


def test_the_pdf_sets_a_list_under_a_numbered_paragraph_at_the_paragraphs_text(built) -> None:
    found = words(built[0])[1]
    at, before = {}, {}  # each word's first occurrence, and the word before it
    for previous, word in zip(found, found[1:]):
        at.setdefault(word.text, word)
        before.setdefault(word.text, previous)
    number, text = before["Paragraphtext"], at["Paragraphtext"]
    assert number.text == "1." and text.x0 - number.x0 > 15  # the number hangs left of the text
    margin = at["Headingitem"].x0 - before["Headingitem"].x0  # a list under a heading: bullet and text
    heading_list = before["Headingitem"].x0 - number.x0  # its bullet past the text column's edge
    assert 0 < heading_list < 15 < text.x0 - number.x0
    # Under a numbered paragraph, the list stands where a list stands, measured from the
    # paragraph's text instead of the column's edge: bullet, numbers and item texts alike.
    for item in ("Bulletitem", "Ordereditem"):
        assert before[item].x0 >= text.x0, item
        assert at[item].x0 == pytest.approx(text.x0 + heading_list + margin, abs=1), item
    assert before["Bulletitem"].text == "•" and before["Ordereditem"].text == "1."
    assert at["Continuedtext,"].x0 == pytest.approx(at["Bulletitem"].x0, abs=1)
    assert at["Nesteditem"].x0 > at["Bulletitem"].x0


def numbering_indents(docx: bytes) -> dict[str, tuple[int, int]]:
    """Each body paragraph's text (first word) → where its first line and its other lines start
    (twips), as Word computes them: its own indent, else its numbering level's, else its style's."""
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        document, numbering, styles = (etree.fromstring(z.read(f"word/{n}.xml")) for n in ("document", "numbering", "styles"))
    abstract = {n.get(f"{W}numId"): n.find(f"{W}abstractNumId").get(f"{W}val") for n in numbering.findall(f"{W}num")}
    levels = {(a.get(f"{W}abstractNumId"), lvl.get(f"{W}ilvl")): lvl.find(f"{W}pPr/{W}ind")
              for a in numbering.findall(f"{W}abstractNum") for lvl in a.findall(f"{W}lvl")}
    by_id = {s.get(f"{W}styleId"): s for s in styles.findall(f"{W}style")}

    def level(num: etree._Element) -> etree._Element:
        ilvl = num.find(f"{W}ilvl")
        return levels[(abstract[num.find(f"{W}numId").get(f"{W}val")], ilvl.get(f"{W}val") if ilvl is not None else "0")]

    out = {}
    for p in document.iter(f"{W}p"):
        text = paragraph_text(p).split(" ")[0]
        ind, num = p.find(f"{W}pPr/{W}ind"), p.find(f"{W}pPr/{W}numPr")
        named = p.find(f"{W}pPr/{W}pStyle")
        style = by_id.get(named.get(f"{W}val")) if named is not None else None
        if ind is None and num is not None:
            ind = level(num)
        if ind is None and style is not None:
            ind = style.find(f"{W}pPr/{W}ind")
            if ind is None and style.find(f"{W}pPr/{W}numPr") is not None:  # a style numbered, as Numbered Paragraph
                ind = level(style.find(f"{W}pPr/{W}numPr"))
        if text and ind is not None:
            left, hanging = int(ind.get(f"{W}left", "0")), int(ind.get(f"{W}hanging", "0"))
            out[text] = (left - hanging, left)
    return out


def test_the_docx_indents_a_list_under_a_numbered_paragraph_to_the_paragraphs_text(built) -> None:
    indents = numbering_indents(built[1])
    number, text = indents["Paragraphtext"]  # the number at the edge, the text past it
    assert number == 0 and text > 0
    bullet, item = indents["Headingitem"]  # a list under a heading: bullet at the column's edge
    assert bullet == 0
    for name in ("Bulletitem", "Ordereditem"):
        assert indents[name] == (text + bullet, text + item), name
    assert indents["Continuedtext,"][0] == text + item  # a second paragraph of an item: at the item's text
    assert indents["Nesteditem"][0] == text + item
