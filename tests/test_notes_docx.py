"""Note calls in the DOCX: a note called again is Word's cross-reference to its first call, and a
call never starts a line (read back from the XML, and as LibreOffice lays the file out)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import make_report
from docxutil import W, footnotes_text, paragraph_text, to_pdf
from test_docx import audit, needs_soffice, render
from test_tables import words

PADS = range(1, 40)
"""Words before the call in the line-end paragraphs: one of them brings the call to the end of a
line whatever the fonts."""

CHAPTER = "\n\n".join([
    "# Introduction",
    "The first call.[^a] Another note.[^b] The first note again.[^a]",
    "The second note again,[^b] in a new paragraph.",
    *(f"{'ab ' * i}Glued{i}[^g{i}] and more words after the call, to fill the line." for i in PADS),
    *(f"{'ab ' * i}Again{i}[^a] and more words after the call, to fill the line." for i in PADS),
    *(f"{'ab ' * i}Spaced{i} [^s{i}] and more words after the call, to fill the line." for i in PADS),
    "[^a]: Note a.\n[^b]: Note b.\n" + "".join(f"[^g{i}]: Glued {i}.\n[^s{i}]: Spaced {i}.\n" for i in PADS),
])


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = make_report(tmp_path_factory.mktemp("calls"), files={"01-intro.md": CHAPTER, "02-findings.md": None,
                         "report.toml": 'title = "Calls"\ncreated = 2026-11-01\ntoc_depth = 0\nchapters = ["01-intro.md"]\n'})
    return render(folder, pages=False)


@pytest.fixture(scope="module")
def endnote_calls(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = make_report(tmp_path_factory.mktemp("endcalls"), files={"01-intro.md": CHAPTER, "02-findings.md": None,
                         "report.toml": 'title = "Calls"\ncreated = 2026-11-01\ntoc_depth = 0\nnotes = "endnotes"\n'
                                        'chapters = ["01-intro.md"]\n'})
    return render(folder, pages=False)


@pytest.fixture(scope="module")
def laid_out(calls: bytes):
    pdf = to_pdf(calls)
    if pdf is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return words(pdf)[1]


def body(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read("word/document.xml")).find(f"{W}body")


def paragraph(data: bytes, opening: str) -> etree._Element:
    """The body paragraph whose text opens with ``opening``."""
    return next(p for p in body(data).iter(f"{W}p") if paragraph_text(p).startswith(opening))


def fields(p: etree._Element) -> list[tuple[str, list[str]]]:
    """Each complex field of a paragraph: its instruction, and the style and text of each run of
    its result."""
    found, instruction, result, state = [], "", [], ""
    for r in p.iter(f"{W}r"):
        char = r.find(f"{W}fldChar")
        if char is not None:
            kind = char.get(f"{W}fldCharType")
            if kind == "begin":
                instruction, result, state = "", [], "instruction"
            elif kind == "separate":
                state = "result"
            else:
                found.append((instruction.strip(), result))
                state = ""
        elif state == "instruction":
            instruction += "".join(t.text or "" for t in r.iter(f"{W}instrText"))
        elif state == "result":
            style = r.find(f"{W}rPr/{W}rStyle")
            result.append(f"{style.get(f'{W}val') if style is not None else ''}:{''.join(r.itertext())}")
    return found


def bookmarks(root: etree._Element) -> dict[str, list[str]]:
    """Each bookmark's name → the tags of what it encloses, between its start and its end."""
    out = {}
    for start in root.iter(f"{W}bookmarkStart"):
        inside, node = [], start.getnext()
        while node is not None and not (node.tag == f"{W}bookmarkEnd" and node.get(f"{W}id") == start.get(f"{W}id")):
            inside.extend(etree.QName(x).localname for x in node.iter() if etree.QName(x).localname.endswith("Reference"))
            node = node.getnext()
        out[start.get(f"{W}name")] = inside
    return out


# --- the XML ---------------------------------------------------------------------------------


def test_a_note_called_again_is_a_noteref_field_to_a_bookmark_round_its_first_call(calls: bytes) -> None:
    first, second = paragraph(calls, "The first call."), paragraph(calls, "The second note again")
    assert paragraph_text(first) == "The first call.[^1] Another note.[^2] The first note again.1"
    assert fields(first) == [
        (r"NOTEREF _RefNote1 \f \h", ["FootnoteReference:1"]),  # Word's "Footnote number (formatted)", a link
    ]
    assert fields(second) == [(r"NOTEREF _RefNote2 \f \h", ["FootnoteReference:2"])]
    marks = bookmarks(body(calls))
    # The bookmark holds the first call (Word's own cross-reference target), and nothing else.
    assert marks["_RefNote1"] == ["footnoteReference"] and marks["_RefNote2"] == ["footnoteReference"]
    start = body(calls).find(f".//{W}bookmarkStart[@{W}name='_RefNote1']")
    assert start.getnext().find(f"{W}footnoteReference").get(f"{W}id") == "1"
    # Only notes called again get one; the notes themselves are written once each.
    assert not [name for name in marks if name.startswith("_RefNote") and name not in ("_RefNote1", "_RefNote2")]
    assert footnotes_text(calls)[:2] == [(1, "Note a."), (2, "Note b.")]
    assert len(footnotes_text(calls)) == 2 + 2 * len(PADS)


def test_the_bookmarks_ids_are_unique_and_the_file_valid(calls: bytes, endnote_calls: bytes, tmp_path: Path) -> None:
    ids = [b.get(f"{W}id") for b in body(calls).iter(f"{W}bookmarkStart")]
    assert len(ids) == len(set(ids))
    assert audit(calls, tmp_path, "calls") == []
    assert audit(endnote_calls, tmp_path, "endnote-calls") == []


def test_endnotes_called_again_are_noteref_fields_too(endnote_calls: bytes) -> None:
    first = paragraph(endnote_calls, "The first call.")
    assert fields(first)[0] == (r"NOTEREF _RefNote1 \f \h", ["EndnoteReference:1"])
    assert bookmarks(body(endnote_calls))["_RefNote1"] == ["endnoteReference"]


def test_a_space_typed_before_a_call_is_a_no_break_space(calls: bytes) -> None:
    texts = [paragraph_text(p) for p in body(calls).findall(f"{W}p")]
    assert "ab Spaced1\u00a0[^42] and more words after the call, to fill the line." in texts
    assert not [t for t in texts if re.search(r" \[\^\d+\]", t)]


# --- LibreOffice's rendering -----------------------------------------------------------------


@needs_soffice
def test_libreoffice_shows_the_note_number_at_a_repeated_call(laid_out) -> None:
    after = [w.text for w in laid_out]
    i = after.index("call.")
    assert after[i - 2:i + 10] == ["The", "first", "call.", "1", "Another", "note.", "2", "The", "first",
                                   "note", "again.", "1"]
    i = after.index("again,")
    assert after[i:i + 2] == ["again,", "2"]
    for n in PADS:  # each "AgainN" call shows note 1's number
        i = after.index(f"Again{n}")
        assert after[i + 1] == "1", after[i - 2:i + 3]


@needs_soffice
@pytest.mark.parametrize("kind", ["Glued", "Again", "Spaced"])
def test_libreoffice_keeps_every_call_on_the_line_of_its_word(laid_out, kind: str) -> None:
    found = {w.text: i for i, w in enumerate(laid_out)}
    left = min(w.x0 for w in laid_out)
    wrapped = 0
    for n in PADS:
        word = laid_out[found[f"{kind}{n}"]]
        call = laid_out[found[f"{kind}{n}"] + 1]
        assert call.text.isdigit()
        # The call follows its word on the same line (raised: its top is above the word's foot).
        assert call.page == word.page and -0.5 < call.x0 - word.x1 < 4 and word.y0 <= call.y1 <= word.y1, (word, call)
        wrapped += abs(word.x0 - left) < 1  # the line ended at the word: word and call went on together
    assert wrapped >= 1  # the paragraphs did bring a call to a line's end
