"""The DOCX writer: read the file back as a co-author's Word or LibreOffice would see it.

Slow parts (LibreOffice conversions, a few seconds each) are module-scoped fixtures shared by
the tests; the feature reports render without LibreOffice unless a test is about pagination.
"""

from __future__ import annotations

import io
import shutil
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from docxutil import W, docx_text, footnotes_text, paragraph_text, to_pdf
from images import picture
from pdfutil import page_texts
from reportkit import libreoffice
from reportkit.build import creation_date, load_report
from reportkit.model import (
    Box, List, Code, Emphasis, Image, LineBreak, Link, Note, Paragraph, Section, Strong, Text,
    plain_text,
)
from reportkit.themes import Colour, load_theme
from reportkit.transforms import notes as report_notes
from reportkit.writers import Options
from reportkit.writers import docx as docx_writer

from conftest import SAMPLE, make_report

HAS_SOFFICE = libreoffice.soffice() is not None
needs_soffice = pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) is not installed")
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

FEATURES = {
    "report.toml": """title = "Feature report"
subtitle = "Every node type once"
authors = ["Test Coalition", "Second Author"]
date = "November 2026"
created = 2026-11-01
number_headings = true
notes = "footnotes"
toc_depth = 3
logos = ["assets/logo.png"]
keywords = ["testing"]
chapters = ["01-intro.md", "02-findings.md"]

[[partners]]
name = "Partner NGO"
description = "A partner, described."
""",
    "01-intro.md": """# Introduction

The first chapter calls a note.[^first] See [the findings](#findings) and [the first box](#rec-1).

3. third item
4. fourth item

- bullet one
  - nested bullet
- bullet two

> A quoted paragraph.

```
code line 1
code line 2
```

---

![A small chart](assets/chart.png)

| Year | Victims |
|------|--------:|
| 2011 | 38 |
| 2012 | 11 |

[^first]: The first note.
""",
    "02-findings.md": """# Findings

## Law

A paragraph with *emphasis*, **strong**, `code` and a [link](https://example.org/page).[^second] The first note again.[^first]

### Deeper

Text under a level-3 heading.

::: recommendation
The government should act.[^boxnote] See [the law](https://example.org/law).

- First listed recommendation.
- Second listed recommendation.

| A | B |
|---|---|
| 1 | 2 |

After the table.
:::

::: recommendation
A second box right after the first.
:::

::: good-practice A good practice[^titlenote]
One example.

1. numbered in a box
2. second in a box
:::

::: box Boxed text
Generic box.
:::

[^second]: The second note, with a [link in a note](https://example.org/note).
[^boxnote]: A note called inside a box.
[^titlenote]: A note in a box title.
""",
}


def render(report_dir: Path, pages: bool) -> bytes:
    """The DOCX bytes of a report; ``pages`` decides whether LibreOffice paginates the contents."""
    report = load_report(report_dir)
    theme = load_theme(report.meta.style, report_dir)
    options = Options(created=creation_date(report, report_dir), docx_page_numbers=pages)
    return docx_writer.render(report, theme, options).data


def part(data: bytes, name: str) -> etree._Element:
    """A parsed part of the package."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.namelist()


def audit(data: bytes, tmp_path: Path, name: str) -> list[str]:
    """openxml-audit's findings on a DOCX (empty when clean)."""
    from openxml_audit import OpenXmlValidator

    path = tmp_path / f"{name}.docx"
    path.write_bytes(data)
    result = OpenXmlValidator().validate(path)
    return [str(e) for e in result.errors]


def inline_text(nodes) -> str:
    """What docx_text shows for inlines: note calls as [^N], repeated calls as the bare number."""
    out = []
    for node in nodes:
        match node:
            case Text(text) | Code(text):
                out.append(text)
            case Emphasis(children) | Strong(children) | Link(children):
                out.append(inline_text(children))
            case LineBreak():
                out.append("\n")
            case Note(number=n, repeat=True):
                out.append(str(n))
            case Note(number=n):
                out.append(f"[^{n}]")
            case Image():
                out.append("")
    return "".join(out)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def features_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pictures = {"assets/logo.png": picture(40, 20), "assets/chart.png": picture(300, 150)}
    return make_report(tmp_path_factory.mktemp("docx"), files=FEATURES | pictures, name="features")


@pytest.fixture(scope="module")
def features(features_dir: Path) -> bytes:
    return render(features_dir, pages=False)


@pytest.fixture(scope="module")
def features_endnotes(features_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("endnotes") / "features"
    shutil.copytree(features_dir, folder)
    toml = folder / "report.toml"
    toml.write_text(toml.read_text().replace('notes = "footnotes"', 'notes = "endnotes"'))
    return render(folder, pages=False)


@pytest.fixture(scope="module")
def sample() -> bytes:
    return render(SAMPLE, pages=HAS_SOFFICE)


@pytest.fixture(scope="module")
def sample_report():
    return load_report(SAMPLE)


@pytest.fixture(scope="module")
def sample_pdf(sample: bytes) -> list[str]:
    if not HAS_SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    pdf = to_pdf(sample)
    assert pdf, "LibreOffice did not convert the DOCX"
    return page_texts(pdf)


# --- the sample report -------------------------------------------------------------------------


def test_sample_paragraphs_in_order_with_style_names(sample: bytes, sample_report) -> None:
    """Every heading, paragraph and box of the sample, in order, on its named style."""
    text = docx_text(sample)
    lines = text.splitlines()
    assert lines[0].startswith("[Title] Alternative Report on the implementation")
    assert "[Heading 2] 2.2 National Plan of Action and Coordination" in lines
    assert "[Heading 3] 2.2.1 National Plan of Action against commercial sexual exploitation of children" in lines
    assert "[Recommendation] The government of Kyrgyzstan should sign and ratify the Optional Protocol" \
        " to the Convention on the Rights of the Child on a communications procedure (OPIC)." in lines

    # The same sequence, derived from the model independently of the writer.
    box_styles = {"recommendation": "Recommendation", "good-practice": "Good Practice", "box": "Box"}
    expected = []

    def visit(blocks, style="Normal", box=""):
        for block in blocks:
            match block:
                case Section(level=level, title=title, number=number, blocks=inner):
                    expected.append(f"[Heading {level}] " + " ".join(x for x in (number, inline_text(title)) if x))
                    visit(inner)
                case Box(title=title, blocks=inner):
                    name = box_styles[block.kind]
                    expected.append(f"[{name} Title] {inline_text(title)}" if title else f"[{name} Title]")
                    visit(inner, name, name)
                case Paragraph(content=content):
                    expected.append(f"[{style}] {inline_text(content)}")
                case List(items=items, ordered=ordered):
                    list_style = f"{box} List" if box else ("List Number" if ordered else "List Bullet")
                    for item in items:
                        visit(item[:1], list_style, box)
                        visit(item[1:], style, box)

    for chapter in sample_report.chapters:
        visit(chapter.blocks)
    body = lines[lines.index("[Heading 1] 1 Introduction"):]
    # Untitled boxes get the PDF's label (checked below); compare the rest word for word.
    body = [re.sub(r"^\[(Recommendation|Good Practice|Box) Title\] (Recommendations?)$", r"[\1 Title]", line)
            for line in body]
    assert body == expected


def test_sample_has_twelve_recommendation_boxes(sample: bytes) -> None:
    titles = [line for line in docx_text(sample).splitlines() if line.startswith("[Recommendation Title]")]
    assert len(titles) == 12
    assert set(titles) == {"[Recommendation Title] Recommendation", "[Recommendation Title] Recommendations"}
    assert "[Good Practice Title] Good-practice example: the ECPAT Youth Partnership Programme in Kyrgyzstan[^13]" \
        in docx_text(sample).splitlines()


def test_sample_footnotes_are_real_word_notes_in_order(sample: bytes, sample_report) -> None:
    """25 w:footnote elements after Word's two separators, texts as in the sources."""
    root = part(sample, "word/footnotes.xml")
    kinds = [(n.get(f"{W}id"), n.get(f"{W}type")) for n in root.findall(f"{W}footnote")]
    assert kinds[:2] == [("-1", "separator"), ("0", "continuationSeparator")]
    notes = footnotes_text(sample)
    assert [n for n, _ in notes] == list(range(1, 26))
    expected = [plain_text(n.blocks) for n in report_notes(sample_report)]
    assert [re.sub(r"\s+", " ", t) for _, t in notes] == [re.sub(r"\s+", " ", t) for t in expected]
    assert notes[0][1].startswith("UN Women, New Law in Kyrgyzstan toughens penalties for bride kidnapping")
    # Each note's text starts with Word's own number mark.
    first = root.findall(f"{W}footnote")[2]
    assert first.find(f".//{W}footnoteRef") is not None


def test_sample_note_calls_stand_where_the_sources_put_them(sample: bytes) -> None:
    text = docx_text(sample)
    assert "two thousand kidnapped girls raped every year in Kyrgyzstan[^1], these strong legal frameworks" in text
    calls = [int(n) for n in re.findall(r"\[\^(\d+)\]", text)]
    assert calls == list(range(1, 26))  # every note called once, in number order
    body = part(sample, "word/document.xml")
    refs = body.findall(f".//{W}footnoteReference")
    assert [int(r.get(f"{W}id")) for r in refs] == list(range(1, 26))
    for ref in refs:  # the call is styled as a note reference (superscript)
        assert ref.getparent().find(f"{W}rPr/{W}rStyle").get(f"{W}val") == "FootnoteReference"


def test_sample_toc_field_is_prefilled(sample: bytes) -> None:
    """A real TOC field whose result already lists the six chapters, linked to their headings."""
    body = part(sample, "word/document.xml")
    sdt = body.find(f".//{W}sdt")
    assert sdt.find(f".//{W}docPartGallery").get(f"{W}val") == "Table of Contents"
    instr = "".join(t.text for t in sdt.iter(f"{W}instrText"))
    assert 'TOC \\o "1-2" \\h \\z \\u' in instr
    entries = [p for p in sdt.iter(f"{W}p") if p.find(f"{W}pPr/{W}pStyle") is not None
               and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == "TOC1"]
    titles = [paragraph_text(p).split("\t")[0] for p in entries]
    assert titles == [
        "1 Introduction",
        "2 General measures of implementation",
        "3 Prevention of commercial sexual exploitation of children",
        "4 Prohibition of the manifestations of commercial sexual exploitation of children",
        "5 Protection of the rights of child victims",
        "6 International assistance and cooperation",
    ]
    bookmarks = {b.get(f"{W}name"): b.getparent() for b in body.iter(f"{W}bookmarkStart")}
    for entry, title in zip(entries, titles):
        anchor = entry.find(f"{W}hyperlink").get(f"{W}anchor")
        assert anchor.startswith("_Toc")
        assert paragraph_text(bookmarks[anchor]) == title  # the link lands on its heading


@needs_soffice
def test_sample_toc_carries_libreoffice_page_numbers(sample: bytes, sample_pdf: list[str]) -> None:
    """With LibreOffice installed, each entry shows the page its heading falls on there."""
    body = part(sample, "word/document.xml")
    begin = body.find(f".//{W}sdt//{W}fldChar")
    assert begin.get(f"{W}dirty") is None  # numbers are known: no update needed
    lines = [l for l in docx_text(sample).splitlines() if l.startswith("[toc ")]
    assert len(lines) == 9
    for line in lines:
        title, page = line.split("] ", 1)[1].split("\t")
        heading_page = next(i for i, text in enumerate(sample_pdf, 1)
                            if i > 2 and title[:40] in re.sub(r"\s+", " ", text))
        assert int(page) == heading_page, title


@needs_soffice
def test_libreoffice_shows_contents_notes_and_boxes(sample: bytes, sample_pdf: list[str]) -> None:
    """LibreOffice's rendering: cover, contents with numbers, notes 1–25 at the foot of pages."""
    pages = [re.sub(r"\s+", " ", p) for p in sample_pdf]
    assert pages[0].startswith("Alternative Report on the implementation")
    assert "In collaboration with" in pages[0] and "July 2013" in pages[0]
    assert pages[0].rstrip().endswith("July 2013")  # no page number on the cover
    assert pages[1].startswith("Contents")
    assert re.search(r"1 Introduction\.{5,}\s*3", pages[1])
    assert re.search(r"6 International assistance and cooperation\.{5,}\s*\d+", pages[1])
    assert re.search(r"Page 3 of \d+\s*$", pages[2])  # the footer, counting the cover
    # Each note's text sits at the foot of some page, in number order.
    notes = footnotes_text(sample)
    found = []
    for number, text in notes:
        snippet = re.sub(r"\s+", " ", text)[:35]
        page = next(i for i, p in enumerate(pages, 1) if f"{number} {snippet}" in p or f"{number}{snippet}" in p)
        found.append(page)
    assert found == sorted(found)
    # The boxes' text is there.
    assert sum(p.count("Recommendation") for p in pages) >= 12
    assert any("The government of Kyrgyzstan should sign and ratify" in p for p in pages)


def test_sample_is_valid(sample: bytes, tmp_path: Path) -> None:
    assert audit(sample, tmp_path, "sample") == []


def test_sample_endnotes_variant(tmp_path: Path) -> None:
    """report.toml's notes = "endnotes": word/endnotes.xml instead, numbered 1, 2, 3."""
    folder = tmp_path / "sample"
    import shutil

    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    toml = folder / "report.toml"
    toml.write_text(toml.read_text().replace('notes = "footnotes"', 'notes = "endnotes"'))
    data = render(folder, pages=False)
    assert "word/footnotes.xml" not in names(data)
    notes = footnotes_text(data, "endnotes")
    assert [n for n, _ in notes] == list(range(1, 26))
    assert audit(data, tmp_path, "endnotes") == []
    lines = docx_text(data).splitlines()
    assert lines[-1] == "[Heading 1] Notes"
    assert "[toc 1] Notes" in lines


def test_two_renders_are_byte_identical(sample: bytes) -> None:
    again = render(SAMPLE, pages=HAS_SOFFICE)
    assert again == sample
    with zipfile.ZipFile(io.BytesIO(sample)) as z:
        assert {info.date_time for info in z.infolist()} == {(2013, 7, 1, 0, 0, 0)}
        assert z.namelist()[0] == "[Content_Types].xml"


# --- feature reports ---------------------------------------------------------------------------


def test_features_paragraphs(features: bytes) -> None:
    lines = docx_text(features).splitlines()
    start = lines.index("[Heading 1] 1 Introduction")
    assert lines[:7] == [
        "[Title] Feature report",
        "[Subtitle] Every node type once",
        "[Cover Author] Test Coalition",
        "[Cover Author] Second Author",
        "[Cover Label] In collaboration with",
        "[Cover Partner] Partner NGO",
        "[Cover Partner Description] A partner, described.",
    ]
    assert lines[7:10] == ["[Cover Date] November 2026", "[Cover Logo] ", "[TOC Heading] Contents"]
    assert lines[start:] == [
        "[Heading 1] 1 Introduction",
        "[Normal] The first chapter calls a note.[^1] See the findings and the first box.",
        "[List Number] third item",
        "[List Number] fourth item",
        "[List Bullet] bullet one",
        "[List Bullet] nested bullet",
        "[List Bullet] bullet two",
        "[Quote] A quoted paragraph.",
        "[Code Block] code line 1",
        "code line 2",
        "[Rule] ",
        "[Figure] ",
        "[Caption] A small chart",
        "[table] Year / Victims / 2011 / 38 / 2012 / 11",
        "[Normal] ",
        "[Heading 1] 2 Findings",
        "[Heading 2] 2.1 Law",
        "[Normal] A paragraph with emphasis, strong, code and a link.[^2] The first note again.1",
        "[Heading 3] 2.1.1 Deeper",
        "[Normal] Text under a level-3 heading.",
        "[Recommendation Title] Recommendations",
        "[Recommendation] The government should act.[^3] See the law.",
        "[Recommendation List] First listed recommendation.",
        "[Recommendation List] Second listed recommendation.",
        "[table] A / B / 1 / 2",
        "[Normal] ",
        "[Recommendation] After the table.",
        "[Normal] ",
        "[Recommendation Title] Recommendation",
        "[Recommendation] A second box right after the first.",
        "[Good Practice Title] A good practice[^4]",
        "[Good Practice] One example.",
        "[Good Practice List] numbered in a box",
        "[Good Practice List] second in a box",
        "[Box Title] Boxed text",
        "[Box] Generic box.",
    ]


def test_features_notes_in_boxes_titles_and_links(features: bytes) -> None:
    assert footnotes_text(features) == [
        (1, "The first note."),
        (2, "The second note, with a link in a note."),
        (3, "A note called inside a box."),
        (4, "A note in a box title."),
    ]
    # A link inside a note is a relationship of the footnotes part, not of the document.
    rels = part(features, "word/_rels/footnotes.xml.rels")
    targets = {r.get("Id"): r.get("Target") for r in rels}
    link = part(features, "word/footnotes.xml").find(f".//{W}hyperlink")
    assert targets[link.get(f"{R}id")] == "https://example.org/note"
    # The repeated call is a superscript number, not a second note.
    body = part(features, "word/document.xml")
    repeat = [r for r in body.iter(f"{W}r") if r.findtext(f"{W}t") == "1"
              and r.find(f"{W}rPr/{W}rStyle") is not None]
    assert repeat and repeat[0].find(f"{W}rPr/{W}rStyle").get(f"{W}val") == "FootnoteReference"


def test_features_links(features: bytes) -> None:
    body = part(features, "word/document.xml")
    rels = {r.get("Id"): (r.get("Target"), r.get("TargetMode")) for r in part(features, "word/_rels/document.xml.rels")}
    external = [h for h in body.iter(f"{W}hyperlink") if h.get(f"{R}id")]
    assert [rels[h.get(f"{R}id")] for h in external] == [
        ("https://example.org/page", "External"), ("https://example.org/law", "External")]
    bookmarks = {b.get(f"{W}name"): b.getparent() for b in body.iter(f"{W}bookmarkStart")}
    internal = {"".join(h.itertext()): h.get(f"{W}anchor") for h in body.iter(f"{W}hyperlink")
                if h.get(f"{W}anchor") and h.getparent().find(f"{W}pPr/{W}pStyle") is None}
    assert paragraph_text(bookmarks[internal["the findings"]]) == "2 Findings"
    assert paragraph_text(bookmarks[internal["the first box"]]) == "Recommendations"
    runs = [h.find(f"{W}r/{W}rPr/{W}rStyle").get(f"{W}val") for h in external]
    assert runs == ["Hyperlink", "Hyperlink"]


def test_word_opens_it_as_a_current_document_at_100_percent(features: bytes) -> None:
    settings = part(features, "word/settings.xml")
    modes = [c.get(f"{W}val") for c in settings.iter(f"{W}compatSetting") if c.get(f"{W}name") == "compatibilityMode"]
    assert modes == ["15"]
    assert [z.get(f"{W}percent") for z in settings.iter(f"{W}zoom")] == ["100"]


def test_bullets_name_their_font_and_numbers_keep_the_paragraph_s(features: bytes) -> None:
    numbering = part(features, "word/numbering.xml")
    levels = list(numbering.iter(f"{W}lvl"))
    bullets = [lvl for lvl in levels if lvl.find(f"{W}numFmt").get(f"{W}val") == "bullet"]
    assert bullets and {b.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") for b in bullets} == {"Calibri"}
    assert all(lvl.find(f"{W}rPr") is None for lvl in levels if lvl not in bullets)


def test_features_lists_restart_and_stay_in_their_box(features: bytes) -> None:
    numbering = part(features, "word/numbering.xml")
    body = part(features, "word/document.xml")
    first = next(p for p in body.iter(f"{W}p") if paragraph_text(p) == "third item")
    num_id = first.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val")
    num = next(n for n in numbering.findall(f"{W}num") if n.get(f"{W}numId") == num_id)
    assert num.find(f"{W}lvlOverride/{W}startOverride").get(f"{W}val") == "3"
    nested = next(p for p in body.iter(f"{W}p") if paragraph_text(p) == "nested bullet")
    assert nested.find(f"{W}pPr/{W}numPr/{W}ilvl").get(f"{W}val") == "1"
    # A box's list paragraphs hang their bullet where the box's text starts, so Word and
    # LibreOffice keep them in the same frame (same left edge, same borders from the style).
    styles = part(features, "word/styles.xml")
    style = {s.get(f"{W}styleId"): s for s in styles.findall(f"{W}style")}
    box_ind = style["Recommendation"].find(f"{W}pPr/{W}ind")
    item = next(p for p in body.iter(f"{W}p") if paragraph_text(p) == "First listed recommendation.")
    item_num = item.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val")
    abstract = next(n for n in numbering.findall(f"{W}num") if n.get(f"{W}numId") == item_num).find(f"{W}abstractNumId").get(f"{W}val")
    lvl = next(a for a in numbering.findall(f"{W}abstractNum") if a.get(f"{W}abstractNumId") == abstract).find(f"{W}lvl/{W}pPr/{W}ind")
    assert int(lvl.get(f"{W}left")) - int(lvl.get(f"{W}hanging")) == int(box_ind.get(f"{W}left"))
    assert style["RecommendationList"].find(f"{W}basedOn").get(f"{W}val") == "Recommendation"


def test_features_styles_come_from_the_style_settings(features_dir: Path) -> None:
    """Fonts, sizes and colours of the Word styles follow theme.toml; a changed colour follows."""
    report = load_report(features_dir)
    theme = load_theme("default", features_dir)
    settings = replace(theme.settings, colours=replace(theme.settings.colours, recommendation_border=Colour("#AA0000")))
    data = docx_writer.render(report, replace(theme, settings=settings), Options(docx_page_numbers=False)).data
    styles = part(data, "word/styles.xml")
    style = {s.get(f"{W}styleId"): s for s in styles.findall(f"{W}style")}
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert defaults.find(f"{W}rFonts").get(f"{W}ascii") == "Calibri"
    assert defaults.find(f"{W}sz").get(f"{W}val") == "22"
    assert defaults.find(f"{W}lang").get(f"{W}val") == "en"
    h1 = style["Heading1"].find(f"{W}rPr")
    assert h1.find(f"{W}color").get(f"{W}val") == "1F4E79"
    assert h1.find(f"{W}sz").get(f"{W}val") == "36"
    assert h1.find(f"{W}rFonts").get(f"{W}asciiTheme") is None
    frame = style["Recommendation"].find(f"{W}pPr/{W}pBdr")
    assert {side.get(f"{W}color") for side in frame} == {"AA0000"}
    assert style["Recommendation"].find(f"{W}pPr/{W}shd").get(f"{W}fill") == "E8F0F8"
    assert style["GoodPractice"].find(f"{W}pPr/{W}pBdr/{W}top").get(f"{W}color") == "2E7D4F"
    assert style["Code"].find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Courier New"
    for name in ("Title", "Subtitle", "Heading1", "Heading2", "Heading3", "Normal", "ListBullet",
                 "ListNumber", "RecommendationTitle", "GoodPracticeTitle", "Box", "BoxTitle",
                 "FootnoteText", "FootnoteReference", "EndnoteText", "EndnoteReference", "Hyperlink",
                 "TOC1", "TOC2", "TOC3", "Caption"):
        assert name in style, name
    assert style["TOC1"].find(f"{W}name").get(f"{W}val") == "toc 1"


def test_features_properties_footer_and_cover(features: bytes) -> None:
    core = part(features, "docProps/core.xml")
    text = {etree.QName(e).localname: e.text for e in core}
    assert text["title"] == "Feature report"
    assert text["creator"] == "Test Coalition; Second Author"
    assert text["language"] == "en"
    assert text["created"] == text["modified"] == "2026-11-01T00:00:00Z"
    assert "testing" in text["keywords"]
    assert text["lastModifiedBy"] == "reportkit"
    body = part(features, "word/document.xml")
    sect = body.find(f".//{W}body/{W}sectPr")
    assert sect.find(f"{W}titlePg") is not None
    refs = {r.get(f"{W}type"): r.get(f"{R}id") for r in sect.findall(f"{W}footerReference")}
    rels = {r.get("Id"): r.get("Target") for r in part(features, "word/_rels/document.xml.rels")}
    default_footer = part(features, "word/" + rels[refs["default"]])
    first_footer = part(features, "word/" + rels[refs["first"]])
    assert "PAGE" in "".join(default_footer.itertext())
    assert "PAGE" not in "".join(first_footer.itertext())  # no number on the cover
    assert "word/stylesWithEffects.xml" not in names(features)
    assert len([n for n in names(features) if n.startswith("word/media/")]) == 2


def test_features_without_libreoffice_mark_the_toc_for_update(features: bytes) -> None:
    body = part(features, "word/document.xml")
    sdt = body.find(f".//{W}sdt")
    begin = sdt.find(f".//{W}fldChar")
    assert begin.get(f"{W}fldCharType") == "begin" and begin.get(f"{W}dirty") == "true"
    assert "PAGEREF" not in "".join(t.text for t in sdt.iter(f"{W}instrText"))
    lines = [l for l in docx_text(features).splitlines() if l.startswith("[toc")]
    assert lines == ["[toc 1] 1 Introduction", "[toc 1] 2 Findings", "[toc 2] 2.1 Law", "[toc 3] 2.1.1 Deeper"]


def test_features_endnotes(features_endnotes: bytes, tmp_path: Path) -> None:
    assert "word/footnotes.xml" not in names(features_endnotes)
    root = part(features_endnotes, "word/endnotes.xml")
    assert [n.get(f"{W}id") for n in root.findall(f"{W}endnote")][:2] == ["-1", "0"]
    assert [t for _, t in footnotes_text(features_endnotes, "endnotes")][1] == "The second note, with a link in a note."
    settings = part(features_endnotes, "word/settings.xml")
    assert settings.find(f"{W}endnotePr/{W}numFmt").get(f"{W}val") == "decimal"
    body = part(features_endnotes, "word/document.xml")
    assert len(body.findall(f".//{W}endnoteReference")) == 4
    assert audit(features_endnotes, tmp_path, "features-endnotes") == []


def test_features_are_valid(features: bytes, tmp_path: Path) -> None:
    assert audit(features, tmp_path, "features") == []


def test_no_contents_page(features_dir: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "nocontents"
    shutil.copytree(features_dir, folder)
    toml = folder / "report.toml"
    toml.write_text(toml.read_text().replace("toc_depth = 3", "toc_depth = 0"))
    data = render(folder, pages=True)
    assert part(data, "word/document.xml").find(f".//{W}sdt") is None
    assert audit(data, tmp_path, "nocontents") == []


@needs_soffice
def test_features_open_in_libreoffice(features_dir: Path) -> None:
    """Paginated features report: notes in boxes and box titles come out at the foot of pages."""
    data = render(features_dir, pages=True)
    pages = [re.sub(r"\s+", " ", p) for p in page_texts(to_pdf(data))]
    text = " ".join(pages)
    assert re.search(r"1 Introduction\.{5,}\s*3", pages[1])
    for words in ("3 A note called inside a box.", "4 A note in a box title.", "First listed recommendation.",
                  "After the table.", "Generic box."):
        assert words in text


def test_draft_builds_say_so(features_dir: Path) -> None:
    report = load_report(features_dir)
    theme = load_theme("default", features_dir)
    data = docx_writer.render(report, theme, Options(draft=True, stamp="2026-11-01", docx_page_numbers=False)).data
    assert "[Cover Date] Draft · 2026-11-01" in docx_text(data).splitlines()
    header = next(n for n in names(data) if n.startswith("word/header"))
    assert "".join(part(data, header).itertext()) == "Draft · 2026-11-01"


def test_numbered_paragraphs_and_recommendations_summary(features_dir: Path, tmp_path: Path) -> None:
    """UPR options: body paragraphs numbered by Word itself; an annex listing recommendations."""
    import shutil

    folder = tmp_path / "upr"
    shutil.copytree(features_dir, folder)
    toml = folder / "report.toml"
    toml.write_text(toml.read_text().replace("toc_depth = 3", "toc_depth = 1\nnumber_paragraphs = true\n"
                                             "recommendations_summary = true"))
    data = render(folder, pages=False)
    lines = docx_text(data).splitlines()
    assert "[Numbered Paragraph] Text under a level-3 heading." in lines
    assert "[Recommendation] A second box right after the first." in lines  # boxes keep their style
    assert "[List Bullet] bullet one" in lines
    assert "[Caption] A small chart" in lines
    summary = lines[lines.index("[Heading 1] Summary of recommendations"):]
    assert summary == [
        "[Heading 1] Summary of recommendations",
        "[Recommendation Summary] 1.\tThe government should act. See the law.",
        "[Recommendation Summary] 2.\tFirst listed recommendation.",
        "[Recommendation Summary] 3.\tSecond listed recommendation.",
        "[Recommendation Summary] 4.\tAfter the table.",
        "[Recommendation Summary] 5.\tA second box right after the first.",
    ]
    assert "[toc 1] Summary of recommendations" in lines
    body = part(data, "word/document.xml")
    bookmarks = {b.get(f"{W}name"): b.getparent() for b in body.iter(f"{W}bookmarkStart")}
    links = [p.find(f"{W}hyperlink").get(f"{W}anchor") for p in body.iter(f"{W}p")
             if paragraph_text(p).startswith("5.\t")]
    assert paragraph_text(bookmarks[links[0]]) == "Recommendation"  # the second box's title
    numbered = part(data, "word/styles.xml").xpath("//w:style[@w:styleId='NumberedParagraph']//w:numId",
                                                   namespaces={"w": W[1:-1]})
    assert numbered, "numbered paragraphs take their numbers from the style"
    assert audit(data, tmp_path, "upr") == []


def test_libreoffice_profile_is_cached_and_a_bad_copy_is_replaced(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(libreoffice, "soffice", lambda: "soffice")
    calls = []

    def convert(binary, source, folder, profile, timeout, export):
        calls.append(sorted(p.name for p in profile.iterdir()) if profile.exists() else None)
        if calls[-1] == ["broken"]:
            raise libreoffice.Failed("LibreOffice wrote no PDF")  # it fails on the bad cached profile
        profile.mkdir(exist_ok=True)
        (profile / "user").mkdir(exist_ok=True)
        return b"%PDF"

    monkeypatch.setattr(libreoffice, "_convert", convert)
    assert libreoffice.to_pdf(b"docx") == b"%PDF"  # fresh profile, then cached
    assert calls == [None] and (tmp_path / "cache/reportkit/libreoffice-profile/user").is_dir()
    assert libreoffice.to_pdf(b"docx") == b"%PDF"  # starts from the cached copy
    assert calls[-1] == ["user"]
    cached = tmp_path / "cache/reportkit/libreoffice-profile"
    shutil.rmtree(cached)
    cached.mkdir()
    (cached / "broken").write_text("x")
    assert libreoffice.to_pdf(b"docx") == b"%PDF"  # the bad copy fails, a fresh profile works
    assert calls[-2:] == [["broken"], None]
    assert sorted(p.name for p in cached.iterdir()) == ["user"]  # and replaces the bad cache


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (an unreaped zombie counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status or "\nState:\tX" in status


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not _gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@needs_soffice
def test_an_office_started_ahead_converts_the_document_and_ends(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Started ahead")
    out = io.BytesIO()
    document.save(out)
    with libreoffice.Office() as office:
        assert office.process is not None
        pid, folder = office.process.pid, office.folder
        pdf = office.to_pdf(out.getvalue())
    assert pdf is not None and "Started ahead" in page_texts(pdf)[0]
    assert _wait_gone(pid) and not folder.exists()


@needs_soffice
def test_an_office_started_ahead_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = ("import os; from reportkit import libreoffice; office = libreoffice.Office(); "
              "print(office.process.pid, office.folder, flush=True); os._exit(0)")  # killed: no cleanup
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    pid, folder = out.stdout.split(maxsplit=1)
    try:
        assert _wait_gone(int(pid)), "LibreOffice outlived the build that started it"
    finally:
        shutil.rmtree(folder.strip(), ignore_errors=True)


# --- pictures ----------------------------------------------------------------------------------

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdfimages") is None,
                                   reason="poppler-utils are not installed")


def page_images(pdf: Path, tmp_path: Path, page: int | None = None) -> list:
    """The pages of a PDF as a reader sees them, RGB at 100 dpi (22 mm: 87 pixels): all, or one."""
    import subprocess

    from PIL import Image as PILImage

    only = ["-f", str(page), "-l", str(page)] if page else []
    subprocess.run(["pdftoppm", "-png", "-r", "100", *only, str(pdf), str(tmp_path / "page")], check=True)
    return [PILImage.open(path).convert("RGB") for path in sorted(tmp_path.glob("page-*.png"))]


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int) -> bool:
    """Whether a pixel shows ``colour``, give or take ``tolerance`` on each channel."""
    return max(abs(a - b) for a, b in zip(pixel, colour)) < tolerance


PICTURES = {
    "01-intro.md": "# Pictures\n\n![A chart](chart.svg)\n\n![A band](band.svg)\n\n![A photo](photo.webp)\n\n"
                   "![A print](print.png)\n\n![A wide one](wide.png)\n\n![A tall one](tall.png)\n\nAfter the tall one.\n",
    "chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200">'
                 '<rect width="400" height="200" fill="#eeeeff"/><rect x="40" y="60" width="60" height="120" fill="#cc3333"/>'
                 '<text x="40" y="40" font-size="20">Cases</text></svg>',
    # No size of its own: as wide as the text, as tall as its viewBox's proportions say.
    "band.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 800 100">'
                '<rect width="800" height="100" fill="#33aa33"/></svg>',
    "photo.webp": picture(300, 150, (200, 50, 50), "WEBP"),
    "print.png": picture(240, 120, (20, 80, 200), dpi=300),  # its stated 300 dpi do not shrink it
    "wide.png": picture(2000, 250, (20, 180, 20)),
    "tall.png": picture(600, 1300, (120, 20, 160)),  # taller than an A4 page
}


@pytest.fixture(scope="module")
def pictures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_report(tmp_path_factory.mktemp("pictures"), files=PICTURES, name="pictures")


def _shapes(data: bytes) -> list[tuple[str, float, float, bytes]]:
    """Each picture of the document: its description, shown width and height (mm), image bytes."""
    document = part(data, "word/document.xml")
    rels = {r.get("Id"): r.get("Target") for r in part(data, "word/_rels/document.xml.rels")}
    A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
    shapes = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for inline in document.iter(f"{WP}inline"):
            extent = inline.find(f"{WP}extent")
            blob = z.read("word/" + rels[inline.find(f".//{A}blip").get(f"{R}embed")])
            shapes.append((inline.find(f"{WP}docPr").get("descr"), int(extent.get("cx")) / 36000,
                           int(extent.get("cy")) / 36000, blob))
    return shapes


def test_svg_and_webp_pictures_are_in_the_docx_at_the_pdfs_size(pictures_dir: Path, tmp_path: Path) -> None:
    from PIL import Image as PILImage

    data = render(pictures_dir, pages=False)
    shapes = {alt: (round(w, 1), round(h, 1), blob) for alt, w, h, blob in _shapes(data)}
    assert list(shapes) == ["A chart", "A band", "A photo", "A print", "A wide one", "A tall one"]
    assert "[A chart]" not in docx_text(data) and "[A photo]" not in docx_text(data)
    # 96 pixels an inch, as in the PDF; shrunk to the text width (166 mm), never enlarged.
    assert shapes["A chart"][:2] == (105.8, 52.9)
    assert shapes["A band"][:2] == (166.0, 20.8)
    assert shapes["A photo"][:2] == (79.4, 39.7)
    assert shapes["A print"][:2] == (63.5, 31.8)
    assert shapes["A wide one"][:2] == (166.0, 20.8)
    assert shapes["A tall one"][:2] == (102.9, 223.0)  # A4 less 22 mm margins and 30 mm for the caption
    for alt in ("A chart", "A band", "A photo"):
        with PILImage.open(io.BytesIO(shapes[alt][2])) as image:
            assert image.format == "PNG"
            if alt != "A photo":  # a drawing is drawn sharp enough to print: 300 pixels an inch
                assert image.width >= shapes[alt][0] / 25.4 * 300 - 1
    assert audit(data, tmp_path, "pictures") == []
    assert render(pictures_dir, pages=False) == data  # drawn and converted the same each time


def test_an_svg_cairosvg_cannot_draw_keeps_its_words(tmp_path: Path) -> None:
    # Well-formed, but with neither a size nor a viewBox: cairosvg finds no size to draw at.
    folder = make_report(tmp_path, files={"01-intro.md": "# Pictures\n\n![A sizeless drawing](sizeless.svg)\n",
                                          "sizeless.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'})
    assert "[A sizeless drawing]" in docx_text(render(folder, pages=False))


@needs_soffice
@needs_poppler
def test_libreoffice_shows_pictures_in_the_text_column_at_the_pdfs_size(pictures_dir: Path, tmp_path: Path) -> None:
    import subprocess

    from reportkit.build import build
    from reportkit.outputs import BuildOptions

    out = tmp_path / "out"
    build(pictures_dir, out, ("pdf", "docx"), BuildOptions(docx_page_numbers=False))
    office = tmp_path / "office.pdf"
    office.write_bytes(to_pdf((out / "pictures.docx").read_bytes()))

    def raster_ppi(pdf: Path) -> list[tuple[str, str]]:
        listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True)
        rows = [line.split() for line in listed.stdout.splitlines()[2:]]
        return [(row[3], row[12]) for row in rows if row[2] == "image" and row[3] in ("300", "240", "600")]

    # The photos: as many pixels per inch in LibreOffice's pages as in the PDF's (LibreOffice
    # resamples the wide one, which it shows at over 300 pixels an inch). The tall one is
    # shrunk to fit its page in both.
    assert raster_ppi(office) == raster_ppi(out / "pictures.pdf") == [("300", "96"), ("240", "96"), ("600", "148")]
    # The full-width picture stands between the margins (22 mm: 87 pixels at 100 dpi).
    green = []
    for image in page_images(office, tmp_path):
        for y in range(0, image.height, 4):  # the green, give or take LibreOffice's JPEG
            row = [x for x in range(image.width) if near(image.getpixel((x, y)), (20, 180, 20), 12)]
            if len(row) > 500:
                green.append((row[0], row[-1], image.width))
    assert green, "the wide picture is not on any page"
    left, right, width = green[0]
    assert abs(left - 87) <= 2 and abs((width - 1 - right) - 87) <= 2


# --- a box holding a table ---------------------------------------------------------------------

BOXED_TABLE = {"01-intro.md": """# Intro

Before the box.

::: recommendation Data the State should publish
The State should publish, each year:

| Year | Cases |
|------|------:|
| 2011 | 38    |

- broken down by age and sex.
:::

After the box.
"""}


def test_a_box_holding_a_table_is_one_frame_round_all_its_content(tmp_path: Path) -> None:
    data = render(make_report(tmp_path, files=BOXED_TABLE), pages=False)
    body = part(data, "word/document.xml").find(f"{W}body")
    frames = [t for t in body.findall(f"{W}tbl") if t.find(f"{W}tblPr/{W}tblStyle") is None]
    assert len(frames) == 1
    cell = frames[0].find(f"{W}tr/{W}tc")
    assert [paragraph_text(p) for p in cell.findall(f"{W}p") if paragraph_text(p)] == [
        "Data the State should publish", "The State should publish, each year:", "broken down by age and sex."]
    assert cell.find(f"{W}tbl") is not None  # the data table inside the frame
    borders = frames[0].find(f"{W}tblPr/{W}tblBorders")
    assert {b.get(f"{W}color") for b in borders} == {"1F4E79"} and borders.find(f"{W}left").get(f"{W}sz") == "32"
    assert cell.find(f"{W}tcPr/{W}shd").get(f"{W}fill") == "E8F0F8"
    # The box's paragraphs inside draw no frame of their own.
    for p in cell.findall(f"{W}p"):
        sides = p.findall(f"{W}pPr/{W}pBdr/*")
        assert not sides or {s.get(f"{W}val") for s in sides} == {"nil"}
    lines = docx_text(data).splitlines()
    start = lines.index("[Recommendation Title] Data the State should publish")
    assert lines[start:start + 7] == [
        "[Recommendation Title] Data the State should publish",
        "[Recommendation] The State should publish, each year:",
        "[table] Year / Cases / 2011 / 38",
        "[Normal] ",
        "[Recommendation List] broken down by age and sex.",
        "[Normal] ",
        "[Normal] After the box.",
    ]
    assert audit(data, tmp_path, "boxed-table") == []


NESTED_BOX = {"01-intro.md": """# Intro

:::: good-practice A shelter that works
The outer box's text.

::: recommendation
The State should fund it.

| Year | Shelters |
|------|---------:|
| 2012 | 2        |
:::
::::

After the boxes.
"""}


def test_a_box_in_a_box_has_a_frame_of_its_own_inside_the_outer_frame(tmp_path: Path) -> None:
    data = render(make_report(tmp_path, files=NESTED_BOX), pages=False)
    body = part(data, "word/document.xml").find(f"{W}body")
    [outer] = [t for t in body.findall(f"{W}tbl") if t.find(f"{W}tblPr/{W}tblStyle") is None]
    cell = outer.find(f"{W}tr/{W}tc")
    [inner] = cell.findall(f"{W}tbl")
    inner_cell = inner.find(f"{W}tr/{W}tc")
    assert [paragraph_text(p) for p in cell.findall(f"{W}p") if paragraph_text(p)] == [
        "A shelter that works", "The outer box’s text."]
    assert [paragraph_text(p) for p in inner_cell.findall(f"{W}p") if paragraph_text(p)] == [
        "Recommendation", "The State should fund it."]  # (the data table's cells are its own)
    colours = [{b.get(f"{W}color") for b in t.find(f"{W}tblPr/{W}tblBorders")} for t in (outer, inner)]
    assert colours[0] != colours[1] and "1F4E79" in colours[1]  # each box in its own kind's frame
    widths = [int(t.find(f"{W}tblGrid/{W}gridCol").get(f"{W}w")) for t in (outer, inner)]
    assert widths[1] == widths[0] - 2 * 200  # inside the outer box's text
    [figures] = inner_cell.findall(f"{W}tbl")
    columns = sum(int(c.get(f"{W}w")) for c in figures.findall(f"{W}tblGrid/{W}gridCol"))
    assert widths[1] - 2 * 200 - 20 <= columns <= widths[1] - 2 * 100  # inside the inner box's text
    lines = docx_text(data).splitlines()
    assert lines[lines.index("[Normal] After the boxes.") - 1] == "[Normal] "  # a gap after the frame
    assert audit(data, tmp_path, "nested-box") == []


def test_a_box_without_a_title_gets_no_empty_title_line(tmp_path: Path) -> None:
    data = render(make_report(tmp_path, files={"01-intro.md": "# Intro\n\n::: box\nBoxed text.\n:::\n"}), pages=False)
    lines = docx_text(data).splitlines()
    assert not [line for line in lines if line.startswith("[Box Title]")]
    assert "[Box] Boxed text." in lines


@needs_soffice
@needs_poppler
def test_libreoffice_draws_one_unbroken_rule_beside_a_box_holding_a_table(tmp_path: Path) -> None:
    office = tmp_path / "office.pdf"
    office.write_bytes(to_pdf(render(make_report(tmp_path, files=BOXED_TABLE), pages=False)))
    [image] = page_images(office, tmp_path, page=3)

    def shows(x: int, y: int, colour: tuple[int, int, int]) -> bool:  # the fill is near white: tight
        return near(image.getpixel((x, y)), colour, 6)

    def runs(x: int, colour: tuple[int, int, int]) -> list[tuple[int, int]]:
        found, start = [], None
        for y in range(image.height + 1):
            if y < image.height and shows(x, y, colour):
                start = y if start is None else start
            elif start is not None:
                found.append((start, y))
                start = None
        return found

    rule, fill = (0x1F, 0x4E, 0x79), (0xE8, 0xF0, 0xF8)
    # The box's thick left rule: the longest run of its colour down one column.
    column = max(range(image.width // 3), key=lambda x: max((b - a for a, b in runs(x, rule)), default=0))
    top, bottom = max(runs(column, rule), key=lambda r: r[1] - r[0])
    while shows(column + 1, (top + bottom) // 2, rule):
        column += 1
    # Just right of the rule, the box's fill runs unbroken from its top to its bottom: with
    # paragraph borders alone the table would stand outside the box, white.
    filled = runs(column + 2, fill)
    assert len(filled) == 1 and filled[0][0] <= top + 3 and filled[0][1] >= bottom - 3


@needs_soffice
def test_sample_contents_pages_are_those_of_the_pdf_in_the_styles_fonts(sample: bytes) -> None:
    """LibreOffice lays the DOCX out with the style's own fonts (Carlito for the Calibri the DOCX
    names), whatever the machine has: the contents' numbers are the pages of its rendering and
    those of the PDF."""
    from pdfutil import fonts as pdf_fonts, outline
    from reportkit.writers import pdf as pdf_writer

    rendering = to_pdf(sample)
    used = pdf_fonts(rendering)
    assert any("Carlito" in name for name in used) and not any("DejaVu" in name for name in used), used
    pages = [re.sub(r"\s+", " ", p) for p in page_texts(rendering)]
    report = load_report(SAMPLE)
    pdf = pdf_writer.render(report, load_theme(report.meta.style, SAMPLE),
                            Options(created=creation_date(report, SAMPLE))).data
    in_pdf = {b.title: b.page for b in outline(pdf)}
    entries = [l.split("] ", 1)[1].split("\t") for l in docx_text(sample).splitlines() if l.startswith("[toc ")]
    assert len(entries) == 9
    for title, page in entries:
        on_page = next(i for i, text in enumerate(pages, 1) if i > 2 and title[:40] in text)
        assert (int(page), on_page, in_pdf[title]) == (on_page, on_page, on_page), title


@pytest.mark.parametrize("text", ["word", " lead and trail ", "a\tb", "\tstart", "x\r\ny", "a\nb\tc\rd", "\n\n"])
def test_a_run_holds_its_text_as_python_docx_writes_it(text):
    from reportkit.writers.docx import ooxml

    theirs = ooxml.el("w:r")
    theirs.text = text  # python-docx: a w:t per stretch of text, w:tab for a tab, w:br for a line end
    assert etree.tostring(ooxml.run(text)) == etree.tostring(theirs)
