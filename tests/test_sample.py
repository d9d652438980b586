"""The sample report (ECPAT International, Kyrgyzstan, 2013) against the text it was taken from.

``tests/data/kyrgyzstan-2013.extraction.md`` is the text extracted from the published PDF, with
manual numbers, a manual table of contents and the notes standing where the pages ended. The
project's version in ``reports/kyrgyzstan-2013/`` must say the same: every note (numbered
1-25 in the same order and called at the same places), every paragraph, every recommendation,
the good-practice box and the numbered headings. The helpers below read the extraction; the
report is read with the package's own ``load_report``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import SAMPLE, TESTS
from reportkit.model import (
    Emphasis,
    GoodPractice,
    List,
    Note,
    Paragraph,
    Recommendation,
    Section,
    Strong,
    Text,
    iter_nodes,
    plain_text,
)

EXTRACTION = TESTS / "data" / "kyrgyzstan-2013.extraction.md"

N_NOTES = 25
CALL = "⁽{}⁾"  # how a note call is written when calls are kept in the compared text


# --- normalisation (applied to both sides) --------------------------------------------------

_SUP = re.compile(r"<sup>(\d+)</sup>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]*)>")
_ESCAPE = re.compile(r"\\+([!-/:-@\[-`{-~])")
_QUOTES = str.maketrans("\u201c\u201d\u2018\u2019", "\"\"''")  # the report prints typographic quotes
_URL = re.compile(r"(?:https?|ftp)://[^\s<>()]+")


def normalise(text: str, calls: bool = False) -> str:
    """Markup and layout removed: the words and punctuation a reader sees.

    Note calls ``<sup>N</sup>`` are dropped, or written as ``⁽N⁾`` when ``calls`` is true.
    Runs of backslashes before punctuation go too: the extraction writes one URL's
    underscore as ``\\\\_`` (a doubled escape from the PDF conversion). Percent escapes in
    URLs are decoded (``%20`` is a space), as Markdown parsers show an autolink's text.
    """
    text = _SUP.sub((lambda m: CALL.format(m.group(1))) if calls else "", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = text.replace("**", "").replace("*", "")
    text = _ESCAPE.sub(r"\1", text)
    text = text.translate(_QUOTES)
    text = _URL.sub(lambda m: unquote(m.group(0)), text)
    return " ".join(text.split())


# --- the extraction -------------------------------------------------------------------------

_LABEL = re.compile(r"^(?:#+\s*)?\*\*Recommendations?:\*\*$")
_HEADING = re.compile(r"^(#+)\s+(.*)$")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(.*)$")
_BOLD = re.compile(r"^\*\*(.*)\*\*$", re.S)
_BOLD_ITEM = re.compile(r"^- \*\*(.*)\*\*$")
_TOC_LINE = re.compile(r"^(\d+)\.\s+(.*?)\s+p\.\d+$")
_ENDS_SENTENCE = (".", ":", ";", "!", "?", "”", '"', "’", ")")


@dataclass
class Extraction:
    """What the extraction says, in reading order."""

    notes: dict[int, str] = field(default_factory=dict)
    """Note number -> note text (Markdown, as extracted)."""
    toc: list[tuple[str, str]] = field(default_factory=list)
    """(number, title) of each line of the manual table of contents."""
    headings: list[tuple[int, str | None, str]] = field(default_factory=list)
    """(level, manual number or None, title) of every heading of the body."""
    paragraphs: list[tuple[str, str]] = field(default_factory=list)
    """("para" or "title", Markdown text) of every body paragraph and box title, in order."""
    boxes: list[list[str]] = field(default_factory=list)
    """The recommendations (Markdown text) of each "Recommendation(s):" box."""
    good_practice_title: str = ""
    good_practice: list[str] = field(default_factory=list)
    """The paragraphs of the good-practice box: introduction, then the items."""
    joins: int = 0
    """How many paragraphs split by a page break were joined."""


def _blocks(text: str) -> list[str]:
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return [b.strip("\n") for b in re.split(r"\n[ \t]*\n", text) if b.strip()]


def parse_extraction(path: Path = EXTRACTION) -> Extraction:
    ex = Extraction()
    blocks = _blocks(path.read_text(encoding="utf-8"))

    # The cover and the manual table of contents come before the first numbered heading.
    start = next(i for i, b in enumerate(blocks) if re.match(r"^#+\s+\**1\.\s", b))
    toc = next(i for i, b in enumerate(blocks) if b == "# Table of Contents")
    for line in "\n".join(blocks[toc + 1 : start]).splitlines():
        m = _TOC_LINE.match(line.strip())
        assert m, f"unreadable table-of-contents line: {line!r}"
        ex.toc.append((m.group(1), m.group(2)))

    in_box: list[str] | None = None  # the recommendations box being read
    in_good_practice = False
    pending: str | None = None  # a paragraph cut by a page break, waiting for its end

    def add_paragraph(kind: str, text: str) -> None:
        nonlocal pending
        if pending is not None:
            text = pending + " " + text
            pending = None
            ex.joins += 1
        if kind == "para" and not normalise(text).endswith(_ENDS_SENTENCE):
            pending = text  # continued after the page's notes
            return
        ex.paragraphs.append((kind, text))
        if in_good_practice and kind == "para":
            ex.good_practice.append(text)

    for block in blocks[start:]:
        if block == "---":
            continue  # end of a page
        m = _SUP.match(block)
        if m:
            ex.notes[int(m.group(1))] = block[m.end():].strip()
            continue
        if _LABEL.match(block):
            in_box = []
            ex.boxes.append(in_box)
            in_good_practice = False  # the recommendations close the good-practice box
            continue
        if in_box is not None:
            lines = block.splitlines()
            if not in_box and all(_BOLD_ITEM.match(line) for line in lines):
                # A bulleted list of recommendations (section 3) comes first in its box;
                # a bold bullet after a box is the next sub-heading.
                items = [_BOLD_ITEM.match(line).group(1) for line in lines]
            elif _BOLD.match(block):
                items = [_BOLD.match(block).group(1)]
            else:
                items = []
            if items:
                for item in items:
                    in_box.append(item)
                    add_paragraph("para", item)
                continue
            in_box = None
        m = _HEADING.match(block)
        if m:
            title = m.group(2).replace("**", "").strip()
            n = _NUMBERED.match(title)
            assert n, f"heading without a manual number: {block!r}"
            ex.headings.append((n.group(1).count(".") + 1, n.group(1), n.group(2)))
            in_good_practice = False
            continue
        m = _BOLD_ITEM.match(block)
        if m and "\n" not in block:
            # A bold one-line bullet in running text is an unnumbered sub-heading (4.1).
            ex.headings.append((3, None, m.group(1).strip()))
            continue
        m = _BOLD.match(block)
        if m and "**" not in m.group(1):
            # A bold paragraph on its own outside a recommendations box: a box title.
            assert not ex.good_practice_title, "two box titles in the extraction"
            ex.good_practice_title = m.group(1)
            add_paragraph("title", m.group(1))
            in_good_practice = True
            continue
        add_paragraph("para", block)

    assert pending is None, f"paragraph never continued: {pending!r}"
    return ex


@pytest.fixture(scope="module")
def extraction() -> Extraction:
    return parse_extraction()


# --- the report -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report():
    from reportkit.build import load_report

    return load_report(SAMPLE)


def marked_text(node) -> str:
    """Like ``plain_text``, but with each note call written as ``⁽number⁾``."""
    parts: list[str] = []

    def visit(x) -> None:
        if isinstance(x, tuple):
            for y in x:
                visit(y)
        elif isinstance(x, Note):
            parts.append(CALL.format(x.number))
        elif isinstance(x, Paragraph):
            parts.append(" ")
            visit(x.content)
        elif dataclasses.is_dataclass(x):
            if isinstance(getattr(x, "text", None), str):
                parts.append(x.text)
            elif hasattr(x, "alt"):
                parts.append(x.alt)
            elif hasattr(x, "children"):
                visit(x.children)
            else:
                parts.append(" ")  # a line break

    visit(node)
    return "".join(parts)


def notes_of(report) -> list[Note]:
    return [n for n in iter_nodes(report) if isinstance(n, Note)]


def body_sequence(report, calls: bool = False) -> list[tuple[str, str]]:
    """("para" or "title", text) of every paragraph and box title outside the notes."""
    inside_notes = {id(x) for n in notes_of(report) for x in iter_nodes(n.blocks)}
    text = marked_text if calls else plain_text
    out = []
    for node in iter_nodes(report):
        if id(node) in inside_notes:
            continue
        if isinstance(node, (Recommendation, GoodPractice)) and node.title:
            out.append(("title", normalise(text(node.title))))
        elif isinstance(node, Paragraph):
            out.append(("para", normalise(text(node.content))))
    return out


def recommendations_of(box: Recommendation) -> list[str]:
    """One text per recommendation: each paragraph, or each item of a list."""
    out = []
    for block in box.blocks:
        if isinstance(block, Paragraph):
            out.append(normalise(plain_text(block.content)))
        elif isinstance(block, List):
            out.extend(normalise(plain_text(item)) for item in block.items)
        else:
            out.append(f"<unexpected {type(block).__name__}>")
    return out


# --- the extraction is read as expected (guards the helpers above) ---------------------------


def test_extraction_reading(extraction):
    assert sorted(extraction.notes) == list(range(1, N_NOTES + 1))
    assert [n for n, _ in extraction.toc] == ["1", "2", "3", "4", "5", "6"]
    assert extraction.joins == 1
    assert any(
        "as required by article 4.1 of the OPSC. Kyrgyz nationals" in normalise(t)
        for _, t in extraction.paragraphs
    )
    assert len(extraction.boxes) == 12
    assert sum(len(b) for b in extraction.boxes) == 14
    assert len(extraction.good_practice) == 7
    assert sum(1 for level, number, _ in extraction.headings if number is None) == 5


# --- (a) notes --------------------------------------------------------------------------------


def test_notes_match_the_original(report, extraction):
    notes = notes_of(report)
    assert not any(n.repeat for n in notes), "every note of the original is called once"
    assert [n.number for n in notes] == list(range(1, N_NOTES + 1))
    for note in notes:
        assert normalise(plain_text(note.blocks)) == normalise(extraction.notes[note.number]), (
            f"note {note.number} ([^{note.id}])"
        )


def test_note_labels_are_names(report):
    labels = [n.id for n in notes_of(report)]
    assert len(set(labels)) == N_NOTES
    assert not [label for label in labels if label.isdigit()]


# --- (b) paragraphs ---------------------------------------------------------------------------


def test_every_paragraph_is_in_the_report(report, extraction):
    model = set(text for _, text in body_sequence(report))
    missing = [normalise(t) for _, t in extraction.paragraphs if normalise(t) not in model]
    assert missing == []


def test_no_paragraph_added_and_order_kept(report, extraction):
    expected = [(kind, normalise(t)) for kind, t in extraction.paragraphs]
    assert body_sequence(report) == expected


def test_note_calls_stand_where_they_stood(report, extraction):
    # Same text with the calls kept, each written with its number: a call moved across a
    # full stop, or a note called in the wrong place (several notes share one text), fails.
    expected = [(kind, normalise(t, calls=True)) for kind, t in extraction.paragraphs]
    assert body_sequence(report, calls=True) == expected


# --- (c) boxes and headings -------------------------------------------------------------------


def test_recommendation_boxes(report, extraction):
    boxes = [n for n in iter_nodes(report) if isinstance(n, Recommendation)]
    assert len(boxes) == 12
    assert all(not box.title for box in boxes)
    got = [recommendations_of(box) for box in boxes]
    assert sum(len(r) for r in got) == 14
    assert got == [[normalise(t) for t in box] for box in extraction.boxes]
    # Section 3's box is the one bulleted list of two recommendations.
    lists = [b for box in boxes for b in box.blocks if isinstance(b, List)]
    assert [len(lst.items) for lst in lists] == [2]


def test_good_practice_box(report, extraction):
    boxes = [n for n in iter_nodes(report) if isinstance(n, GoodPractice)]
    assert len(boxes) == 1
    box = boxes[0]
    assert normalise(plain_text(box.title)) == normalise(extraction.good_practice_title)
    assert [n.number for n in box.title if isinstance(n, Note)] == [13]
    assert all(isinstance(b, Paragraph) for b in box.blocks)
    assert [normalise(plain_text(b.content)) for b in box.blocks] == [
        normalise(t) for t in extraction.good_practice
    ]
    intro, *items = box.blocks
    assert len(items) == 6

    def content(paragraph):
        return [x for x in paragraph.content if not (isinstance(x, Text) and not x.text.strip())]

    # The introduction is one italic run; each item opens with its bold lead ("Photo Gallery:").
    assert len(content(intro)) == 1 and isinstance(content(intro)[0], Emphasis)
    leads = re.compile(r"^\*\*(.*?)\*\*")
    for item, source in zip(items, extraction.good_practice[1:]):
        first = content(item)[0]
        assert isinstance(first, Strong), plain_text(item.content)
        assert plain_text(first.children) == leads.match(source).group(1)
        # The extraction's item-wide italics are not kept: the box style sets the items.
        assert not any(isinstance(x, Emphasis) for x in iter_nodes(item.content))
    # The box sits in chapter 3, right before the chapter's recommendations.
    chapter3 = report.chapters[2].blocks[0]
    i = chapter3.blocks.index(box)
    assert isinstance(chapter3.blocks[i + 1], Recommendation)


def test_chapters(report, extraction):
    assert len(report.chapters) == 6
    for chapter in report.chapters:
        assert len(chapter.blocks) == 1 and isinstance(chapter.blocks[0], Section), chapter.path
    chapters = [c.blocks[0] for c in report.chapters]
    assert all(s.level == 1 for s in chapters)
    assert [(s.number, plain_text(s.title)) for s in chapters] == extraction.toc


def test_headings_numbered_as_in_the_original(report, extraction):
    sections = [n for n in iter_nodes(report) if isinstance(n, Section)]
    assert [(s.level, plain_text(s.title)) for s in sections] == [
        (level, title) for level, _, title in extraction.headings
    ]
    for section, (_, number, title) in zip(sections, extraction.headings):
        if number is not None:
            assert section.number == number, title
        # No manual number and no bold left in a heading.
        assert not re.match(r"^\d", plain_text(section.title))
        assert not any(isinstance(x, Strong) for x in iter_nodes(section.title))
    assert [s.number for s in sections if s.level == 2] == ["2.1", "2.2", "4.1"]
    assert [s.number for s in sections if s.level == 3][:3] == ["2.2.1", "2.2.2", "2.2.3"]


def test_report_metadata(report):
    meta = report.meta
    assert meta.title.startswith("Alternative Report on the implementation")
    assert meta.authors == ("ECPAT International",)
    assert meta.date == "July 2013"
    assert meta.country == "Kyrgyzstan"
    assert meta.articles == ("34", "35")
    assert meta.number_headings is True
    assert [p.name for p in meta.partners] == ["Center of Public Opinion Study \u201cEl-Pikir\u201d"]  # as the cover prints it
