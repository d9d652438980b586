"""``reportkit import``: a Word report becomes report sources that check and build at once.

Round trips (the DOCX reportkit builds, imported back, gives the same figures and text) and
documents made here with python-docx the way authors make them in Word: heading styles or
bold headings typed by hand, a bold "Recommendations:" label, real footnotes, comments,
tracked changes, merged cells, text boxes, shading.
"""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import docx
import pytest
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import nsdecls
from docx.shared import Pt
from lxml import etree

from conftest import SAMPLE, TESTS, run

from reportkit.build import build, check, load
from reportkit.importer import pandoc
from reportkit.model import Note, Paragraph, Section, iter_nodes, plain_text

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
from reportkit.outputs import BuildOptions

NO_PAGES = BuildOptions(docx_page_numbers=False)
"""Builds without the LibreOffice pass for the contents' page numbers (quicker; not under test here)."""


TEST_REPORTS = sorted(p.parent.name for p in (TESTS / "reports").glob("*/report.toml"))
"""The feature reports of the tests (minimal, russian…): each must come back from its DOCX."""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The DOCX reportkit builds of the sample and the test reports (one build for the module)."""
    out = tmp_path_factory.mktemp("built")
    docs = {}
    for name, folder in (("sample", SAMPLE), *((n, TESTS / "reports" / n) for n in TEST_REPORTS)):
        written = build(folder, out / name, ("docx",), NO_PAGES).outputs
        docs[name] = written[0].path
    return docs


def texts(folder: Path) -> tuple[list[str], list[str]]:
    """Every paragraph's text and every note's text, in reading order, as reportkit prints them
    (citations as their sources file makes them)."""
    report = check(folder)[0]
    nodes = list(iter_nodes(report.chapters))
    return ([plain_text(n) for n in nodes if isinstance(n, Paragraph)],
            [plain_text(n.blocks) for n in nodes if isinstance(n, Note) and not n.repeat])


FIGURES = ("chapters", "sections", "words_body", "words_notes", "notes", "recommendation_boxes",
           "recommendations", "good_practice_boxes", "boxes")
"""``reportkit check``'s figures of the text (a word limit is not in a DOCX)."""


def figures(folder: Path) -> dict:
    """``reportkit check``'s figures, and its warnings without their place. Chapters are counted
    by their headings: the import writes one file per chapter, where a source file may hold two."""
    report, problems, figs = check(folder)
    chapters = sum(isinstance(n, Section) and n.level == 1 for c in report.chapters for n in c.blocks)
    return {**{k: getattr(figs, k) for k in FIGURES}, "chapters": chapters,
            "warnings": [p.message for p in problems.warnings]}


def imported(source: Path, dest: Path, *options: str):
    result = run("import", source, dest, *options)
    assert result.exit_code == 0, result.output
    return result


def chapter(folder: Path, name: str | None = None) -> str:
    files = sorted(folder.glob("*.md"))
    return (folder / name if name else files[0]).read_text(encoding="utf-8")


# --- round trips -------------------------------------------------------------------------------


def test_the_sample_comes_back_with_its_figures_and_text(built, tmp_path):
    dest = tmp_path / "kyrgyzstan"
    result = imported(built["sample"], dest)
    lines = result.stdout.splitlines()
    assert lines[0] == ("imported kyrgyzstan-2013.docx: 6 chapters, 17 headings, 25 notes, "
                        "12 recommendation boxes (14 recommendations), 1 good-practice box")
    assert lines[1] == f"{dest}: ok"
    assert "  recommendations:      14 in 12 boxes" in lines
    assert result.stderr == ""  # nothing to look at: every part had reportkit's own style
    assert figures(dest) == figures(SAMPLE)
    assert texts(dest) == texts(SAMPLE)

    manifest = tomllib.loads((dest / "report.toml").read_text(encoding="utf-8"))
    # The cover comes back as the DOCX printed it: straight quotes as the language's.
    cover, original = load(dest)[0].meta, load(SAMPLE)[0].meta
    for key in ("title", "authors", "date", "language", "notes", "number_headings"):
        assert getattr(cover, key) == getattr(original, key), key
    assert [(p.name, p.description) for p in cover.partners] == [(p.name, p.description) for p in original.partners]
    assert manifest["chapters"][1] == "02-general-measures.md"
    # The unnumbered headings of the sample come back unnumbered.
    assert "### Laws addressing child pornography {-}" in chapter(dest, "04-prohibition-manifestations.md")


@pytest.mark.parametrize("name", TEST_REPORTS)
def test_a_test_report_comes_back_with_its_figures_and_text(built, tmp_path, name):
    dest = tmp_path / name
    imported(built[name], dest)
    source = TESTS / "reports" / name
    assert figures(dest) == figures(source)
    assert texts(dest) == texts(source)
    manifest = tomllib.loads((dest / "report.toml").read_text(encoding="utf-8"))
    assert manifest["language"] == tomllib.loads((source / "report.toml").read_text(encoding="utf-8")).get("language", "en")


def test_tables_images_lists_quotes_and_endnotes_come_back(tmp_path):
    source = tmp_path / "features"
    (source / "assets").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (60, 30), (200, 30, 30)).save(source / "assets" / "red.png")
    (source / "report.toml").write_text('title = "Features"\nnotes = "endnotes"\nnumber_headings = true\n',
                                        encoding="utf-8")
    (source / "01-one.md").write_text(
        "# One\n\nA [link](https://example.org/a_b), `code` and <https://example.org>.[^a]\n"
        "Broken\\\nline.\n\n## Lists\n\n3. three\n4. four\n\n- bullet\n\nSee [the lists](#lists).[^a]\n\n"
        "![A red square](assets/red.png)\n\n> Quoted.\n\n[^a]: A note called twice.\n", encoding="utf-8")
    (source / "02-two.md").write_text(
        "# Two\n\n| Year | Cases |\n|------|------:|\n| 2011 | 38 |\n\n"
        "::: recommendation\nPublish this:\n\n| Year | Cases |\n|---|---|\n| 2013 | 5 |\n:::\n\n"
        "::: box First\nOne.\n:::\n\n::: box\nTwo.\n:::\n", encoding="utf-8")
    docx_path = build(source, tmp_path / "out", ("docx",), NO_PAGES).outputs[0].path
    dest = tmp_path / "back"
    result = imported(docx_path, dest)
    assert result.stdout.splitlines()[0] == ("imported features.docx: 2 chapters, 3 headings, 1 note, "
                                             "1 recommendation box (1 recommendation), 2 other boxes, 2 tables, 1 image")
    assert figures(dest) == figures(source)
    assert texts(dest) == texts(source)
    one, two = chapter(dest, "01-one.md"), chapter(dest, "02-two.md")
    assert "3. three\n4. four" in one  # the list keeps its start number
    assert "See [the lists](#lists).[^note-called-twice]" in one  # the link still finds its heading
    assert "![A red square](assets/red-square.png)" in one and (dest / "assets" / "red-square.png").is_file()
    assert "::: recommendation\nPublish this:\n\n| Year | Cases |" in two  # the box holds its table
    assert "notes = \"endnotes\"" in (dest / "report.toml").read_text(encoding="utf-8")


# --- a report made in Word ---------------------------------------------------------------------


def footnotes(document: docx.document.Document, texts: list[str]) -> None:
    """Word's footnotes part (python-docx has none): separators, then one note per text."""
    xml = [f'<w:footnotes {nsdecls("w")}>',
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>',
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>']
    for n, text in enumerate(texts, 1):
        xml.append(f'<w:footnote w:id="{n}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
                   '<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
                   f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>')
    xml.append("</w:footnotes>")
    part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, "".join(xml).encode(), document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES)


def call(paragraph, n: int) -> None:
    """A footnote call, as Word writes one."""
    run_ = paragraph.add_run()._r
    run_.append(etree.fromstring(f'<w:rPr {nsdecls("w")}><w:vertAlign w:val="superscript"/></w:rPr>'))
    run_.append(etree.fromstring(f'<w:footnoteReference {nsdecls("w")} w:id="{n}"/>'))


def bold(document, text: str, size: float | None = None):
    p = document.add_paragraph()
    r = p.add_run(text)
    r.bold = True
    if size:
        r.font.size = Pt(size)
    return p


def save(document, path: Path) -> Path:
    document.save(path)
    return path


def word_made(path: Path) -> Path:
    """A report typed in Word the way the seed report was: a Title, Heading 1 chapters with
    their numbers typed, bold sections typed by hand, bold "Recommendations:" labels
    followed by bold paragraphs or a list, Word footnotes."""
    d = docx.Document()
    d.add_paragraph("Alternative Report on Kazakhstan", style="Title")
    d.add_heading("1. Introduction", 1)
    p = d.add_paragraph("Kazakhstan ratified the Convention in 1994.")
    call(p, 1)
    p.add_run(" It has not ratified the third protocol.")
    bold(d, "1.1 Ratification")
    call(d.add_paragraph("The Government signed the protocol in 2011."), 2)
    bold(d, "Recommendations:")
    bold(d, "The Government should ratify the protocol.")
    bold(d, "The Government should report on its progress.")
    d.add_heading("2. General measures", 1)
    call(d.add_paragraph("There is no plan of action."), 3)
    bold(d, "Recommendation:")
    d.add_paragraph("Adopt a plan of action.", style="List Bullet")
    d.add_paragraph("Fund it.", style="List Bullet")
    d.add_paragraph("The plan should follow.")
    footnotes(d, ["UNICEF, 2012.", "UN Treaty Collection.", "Ministry of Education, 2013."])
    return save(d, path)


def test_a_report_typed_in_word_gets_its_boxes_notes_and_headings(tmp_path):
    dest = tmp_path / "kazakhstan"
    result = imported(word_made(tmp_path / "kazakhstan.docx"), dest)
    assert result.stdout.splitlines()[0] == ("imported kazakhstan.docx: 2 chapters, 3 headings, 3 notes, "
                                             "2 recommendation boxes (4 recommendations)")
    # The bold "1.1 Ratification" was taken for a heading: the author is told where it is.
    assert result.stderr == f"{dest / '01-introduction.md'}:5: warning: heading guessed from bold text (level 2): check it\n"
    manifest = tomllib.loads((dest / "report.toml").read_text(encoding="utf-8"))
    assert manifest["title"] == "Alternative Report on Kazakhstan"
    assert manifest["number_headings"] is True  # numbers typed in the headings are made by reportkit
    assert manifest["chapters"] == ["01-introduction.md", "02-general-measures.md"]
    assert chapter(dest, "01-introduction.md") == (
        "# Introduction\n\n"
        "Kazakhstan ratified the Convention in 1994.[^unicef-2012] It has not ratified the third protocol.\n\n"
        "## Ratification\n\n"
        "The Government signed the protocol in 2011.[^un-treaty-collection]\n\n"
        "::: recommendation\nThe Government should ratify the protocol.\n\n"
        "The Government should report on its progress.\n:::\n\n"
        "[^unicef-2012]: UNICEF, 2012.\n\n"
        "[^un-treaty-collection]: UN Treaty Collection.\n")
    assert "::: recommendation\n- Adopt a plan of action.\n- Fund it.\n:::\n\nThe plan should follow." in \
        chapter(dest, "02-general-measures.md")
    figs = figures(dest)
    assert (figs["sections"], figs["notes"], figs["recommendations"], figs["warnings"]) == (1, 3, 4, [])
    assert texts(dest)[1] == ["UNICEF, 2012.", "UN Treaty Collection.", "Ministry of Education, 2013."]


def test_outline_levels_larger_text_shading_text_boxes_and_one_cell_tables(tmp_path):
    d = docx.Document()
    p = d.add_paragraph("Chapter by outline level")
    p._p.get_or_add_pPr().append(etree.fromstring(f'<w:outlineLvl {nsdecls("w")} w:val="0"/>'))
    d.add_paragraph("Body text of the chapter.")
    bold(d, "Good practice: a youth programme")
    shaded = d.paragraphs[-1]._p.get_or_add_pPr()
    shaded.append(etree.fromstring(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="DDEEFF"/>'))
    p = d.add_paragraph("Young people ran a photo contest.")
    p._p.get_or_add_pPr().append(etree.fromstring(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="DDEEFF"/>'))
    d.add_paragraph("Between the boxes.")
    cell = d.add_table(rows=1, cols=1).cell(0, 0)
    cell.paragraphs[0].add_run("Framed by a table.")
    p = d.add_paragraph("Anchor of a text box.")
    p.add_run()._r.append(etree.fromstring(
        f'<w:pict {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><v:textbox>'
        '<w:txbxContent><w:p><w:r><w:t>In a text box.</w:t></w:r></w:p></w:txbxContent>'
        '</v:textbox></v:shape></w:pict>'))
    bold(d, "A larger heading", size=16)
    d.add_paragraph("Last words.")
    dest = tmp_path / "made"
    result = imported(save(d, tmp_path / "made.docx"), dest)
    text = chapter(dest)
    assert text == (
        "# Chapter by outline level\n\nBody text of the chapter.\n\n"
        "::: good-practice Good practice: a youth programme\nYoung people ran a photo contest.\n:::\n\n"
        "Between the boxes.\n\n::: box\nFramed by a table.\n:::\n\nAnchor of a text box.\n\n"
        "::: box\nIn a text box.\n:::\n\n## A larger heading\n\nLast words.\n")
    name = dest / "01-chapter-outline.md"
    assert result.stderr.splitlines() == [
        f"{dest / 'report.toml'}: warning: no title found (no Title style, no document title): the file's name stands in for it",
        f"{name}:1: warning: heading taken from the paragraph's outline level (level 1)",
        f"{name}:5: warning: shaded or bordered paragraphs became a box: check its kind",
        f"{name}:11: warning: a one-cell table became a box: check its kind",
        f"{name}:17: warning: a text box became a ::: box where it stood",
        f"{name}:21: warning: heading guessed from larger text (level 2): check it",
    ]


# --- what the author is told -------------------------------------------------------------------


def test_a_merged_cell_is_flattened_with_a_line_for_the_author(tmp_path):
    d = docx.Document()
    d.add_paragraph("Cases by year.")
    table = d.add_table(rows=3, cols=2)
    for (r, c), text in {(0, 0): "Year", (0, 1): "Cases", (1, 0): "2011", (1, 1): "38", (2, 1): "11"}.items():
        table.cell(r, c).text = text
    table.cell(1, 0).merge(table.cell(2, 0))
    dest = tmp_path / "merged"
    result = imported(save(d, tmp_path / "merged.docx"), dest)
    assert "| Year | Cases |\n| --- | --- |\n| 2011 | 38 |\n|  | 11 |\n" in chapter(dest)
    assert f"{dest / '01-merged.md'}:3: warning: a merged table cell was flattened: its text stands in the " \
           "first of the cells it covered, the others are empty" in result.stderr.splitlines()


def commented(path: Path) -> Path:
    d = docx.Document()
    p = d.add_paragraph("The figure for 2012 ")
    d.add_comment(p.add_run("is eleven"), text="Check this figure.", author="Ann Lee")
    p.add_run(".")
    return save(d, path)


def test_a_comment_is_kept_where_it_stood_unless_dropped(tmp_path):
    source = commented(tmp_path / "commented.docx")
    result = imported(source, tmp_path / "kept")
    assert chapter(tmp_path / "kept") == "The figure for 2012 is eleven<!-- comment, Ann Lee: Check this figure. -->.\n"
    assert f"{tmp_path / 'kept' / '01-commented.md'}:1: warning: a comment by Ann Lee was kept as <!-- --> " \
           "where it stood" in result.stderr
    assert texts(tmp_path / "kept")[0] == ["The figure for 2012 is eleven."]  # comments are not printed
    imported(source, tmp_path / "dropped", "--comments", "drop")
    assert chapter(tmp_path / "dropped") == "The figure for 2012 is eleven.\n"


def tracked(path: Path) -> Path:
    """A paragraph with one insertion and one deletion left unresolved."""
    d = docx.Document()
    p = d.add_paragraph("The law ")
    p._p.append(etree.fromstring(f'<w:ins {nsdecls("w")} w:id="1" w:author="Ann" w:date="2024-01-01T00:00:00Z">'
                                 '<w:r><w:t xml:space="preserve">was </w:t></w:r></w:ins>'))
    p._p.append(etree.fromstring(f'<w:del {nsdecls("w")} w:id="2" w:author="Ann" w:date="2024-01-01T00:00:00Z">'
                                 '<w:r><w:delText xml:space="preserve">is </w:delText></w:r></w:del>'))
    p.add_run("adopted.")
    return save(d, path)


def test_tracked_changes_are_refused_unless_accepted_or_rejected(tmp_path):
    source = tracked(tmp_path / "tracked.docx")
    result = run("import", source, tmp_path / "refused")
    assert result.exit_code == 1
    assert result.stderr == ("tracked.docx: it has 2 unresolved tracked changes: accept or reject them in Word, "
                             "or import with --track-changes accept (or reject)\n")
    assert not (tmp_path / "refused").exists()
    imported(source, tmp_path / "accepted", "--track-changes", "accept")
    assert chapter(tmp_path / "accepted") == "The law was adopted.\n"
    imported(source, tmp_path / "rejected", "--track-changes", "reject")
    assert chapter(tmp_path / "rejected") == "The law is adopted.\n"


def test_an_existing_folder_is_never_written_into(tmp_path, built):
    dest = tmp_path / "there"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    result = run("import", built["minimal"], dest)
    assert result.exit_code == 1
    assert result.stderr == f"{dest} already exists: choose a new folder name (nothing was written)\n"
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_a_file_that_is_not_a_word_document_is_refused_in_one_line(tmp_path):
    source = tmp_path / "report.docx"
    source.write_bytes(b"%PDF-1.7 not a Word file")
    result = run("import", source, tmp_path / "new")
    assert result.exit_code == 1
    assert result.stderr == ("report.docx: not a Word document (.docx); open it in Word and save it as "
                             "Word Document (.docx)\n")
    assert not (tmp_path / "new").exists() and list(tmp_path.iterdir()) == [source]


def test_without_pandoc_import_says_how_to_get_it(tmp_path, monkeypatch, built):
    monkeypatch.setattr(pandoc, "_bundled", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pandoc on PATH either
    result = run("import", built["minimal"], tmp_path / "new")
    assert result.exit_code == 1
    assert result.stderr == (
        "reportkit import needs pandoc 3.1 or newer: pip install 'reportkit[import]' (pandoc inside a "
        "Python package), or install pandoc from pandoc.org or your system's packages\n")
    assert not (tmp_path / "new").exists()


def test_the_imported_report_builds(built, tmp_path):
    dest = tmp_path / "minimal"
    imported(built["minimal"], dest)
    written = build(dest, formats=("docx",), options=NO_PAGES).outputs
    back = docx.Document(io.BytesIO(written[0].path.read_bytes()))
    assert [p.text for p in back.paragraphs if p.style.name.startswith("Heading")] == \
        ["1 Introduction", "2 Findings", "2.1 Law"]
    assert re.search(r"The government should act\.", "\n".join(p.text for p in back.paragraphs))


def test_a_contents_page_typed_by_hand_is_dropped(tmp_path):
    d = docx.Document()
    d.add_paragraph("Report on Chad", style="Title")
    bold(d, "Contents")
    d.add_paragraph("1. Introduction\t3")
    d.add_paragraph("2. Findings ........ 5")
    d.add_heading("1. Introduction", 1)
    d.add_paragraph("The text begins here.")
    d.add_heading("2. Findings", 1)
    d.add_paragraph("More text.")
    dest = tmp_path / "chad"
    result = imported(save(d, tmp_path / "chad.docx"), dest)
    assert chapter(dest, "01-introduction.md") == "# Introduction\n\nThe text begins here.\n"
    assert result.stderr == (f"{dest / '01-introduction.md'}:1: warning: a table of contents typed by hand stood "
                             "before this; it was dropped (reportkit makes its own)\n")


def test_roman_chapters_section_numbers_and_a_label_before_its_text(tmp_path):
    d = docx.Document()
    d.add_paragraph("Report on Mali", style="Title")
    bold(d, "I. Introduction")
    bold(d, "1. Background")  # numbered within its chapter: reportkit's 1.1
    d.add_paragraph("Opening words.")
    bold(d, "II. General measures")
    bold(d, "2.1 The plan")
    p = d.add_paragraph()
    p.add_run("Recommendation:").bold = True
    p.add_run(" The State should adopt a plan.")
    bold(d, "2.3 Coordination")  # reportkit numbers it 2.2: the author is told
    d.add_paragraph("Last words.")
    dest = tmp_path / "mali"
    result = imported(save(d, tmp_path / "mali.docx"), dest)
    assert tomllib.loads((dest / "report.toml").read_text(encoding="utf-8"))["number_headings"] is True
    assert chapter(dest, "01-introduction.md") == "# Introduction\n\n## Background\n\nOpening words.\n"
    assert chapter(dest, "02-general-measures.md") == (
        "# General measures\n\n## The plan\n\n"
        "::: recommendation\nThe State should adopt a plan.\n:::\n\n## Coordination\n\nLast words.\n")
    numbered = [line for line in result.stderr.splitlines() if "numbered" in line]
    assert numbered == [f"{dest / '02-general-measures.md'}:9: warning: this heading was numbered 2.3 in the "
                        "document; reportkit numbers it 2.2"]
