"""Tables and long strings stay inside the text column, and numbered lists keep their numbers.

One report holds the cases (a normal table, eight columns of long identifiers, sixteen columns
of words, a bare address with a query string, tables in a box, a list and a note, a table too
wide even for a landscape page, lists numbered from 7 and a paragraph opening with a year). It
is built once; the tests read the PDF back with word positions (poppler's ``pdftotext
-bbox``), the DOCX's column widths and sections, its LibreOffice rendering with the style's own
fonts, and the exact warnings of ``check`` and ``build``. ``reportkit.fit`` is held to
WeasyPrint's own table layout. Last, which paragraphs opening with a number get a warning.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from conftest import make_report, run
from docxutil import docx_text, to_pdf
from pdfutil import page_texts, squash

from reportkit.build import load_report
from reportkit.fit import Fits
from reportkit.themes import load_theme


def table(head: list[str], *rows: list[str], indent: str = "") -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "".join(f"{indent}{line}\n" for line in lines)


SYSTEMS = ["POSIX", "Linux", "OS X", "FreeBSD", "OpenBSD", "NetBSD", "Dragonfly", "Solaris"]
IDENTIFIERS = ["O_DIRECTORY"] * 8
REGIONS = ["Region", "Population", "Children", "Schools", "Teachers", "Hospitals", "Doctors", "Nurses",
           "Clinics", "Villages", "Districts", "Provinces", "Rivers", "Mountains", "Airports", "Railways"]
FIGURES = ["North", "1200", "300", "12", "80", "3", "20", "45", "7", "30", "4", "1", "2", "5", "1", "1"]
URL = ("https://kns.cnki.net/KCMS/detail/detail.aspx?QueryID=4&CurRec=4&recid=&FileName=CHAN201706006"
       "&DbName=CJFDLAST2018&DbCode=CJFQ&yx=Y&pr=&URLID=")
COLUMNS_30 = [f"Column{i}" for i in range(30)]

TABLES = (  # the minimal cases, and the lists
    "# Tables\n\n"
    "A normal table:\n\n"
    + table(["Year", "Victims identified"], ["2011", "38"], ["2012", "11"])
    + "\nEight identifiers:\n\n"
    + table(SYSTEMS, IDENTIFIERS)
    + "\nSixteen columns:\n\n"
    + table(REGIONS, FIGURES)
    + f"\nAfter the wide table. See {URL} here.\n"
    "\n7. seventh item\n8. eighth item\n\nBetween the lists.\n"
    "\n2013. The year of the report.\n"
)

CONTEXTS = (
    "# Contexts\n\n"
    "::: recommendation\n"
    + table(SYSTEMS, IDENTIFIERS)
    + ":::\n\n"
    "- An item holding a table:\n\n"
    + table(REGIONS, FIGURES, indent="  ")
    + "\nThirty columns:\n\n"
    + table(COLUMNS_30, [f"Value{i}" for i in range(30)])
    + "\nA long address in a cell:\n\n"
    + table(["Source", "Address"], ["CNKI", URL])
    + "\nA note holding a table.[^wide]\n\n"
    "[^wide]: The note's table:\n\n"
    + table(REGIONS, FIGURES, indent="    ")
)

EXPECTED = [
    'report/01-tables.md:29: warning: "2013." at the start of a paragraph makes it a numbered list item; '
    'if it is not one, write "2013\\."',
    "report/01-tables.md:12: warning: table of 8 columns is too wide for the page: set in smaller type",
    "report/01-tables.md:18: warning: table of 16 columns is too wide for the page: turned to a landscape page",
    "report/02-contexts.md:4: warning: table of 8 columns is too wide for the box: set in smaller type, its "
    "words broken inside; split it into narrower tables, or move it out of the box to let it turn to a "
    "landscape page",
    "report/02-contexts.md:11: warning: table of 16 columns is too wide for the list: set in smaller type, its "
    "words broken inside; split it into narrower tables, or move it out of the list to let it turn to a "
    "landscape page",
    "report/02-contexts.md:17: warning: table of 30 columns is too wide even for a landscape page: turned to a "
    "landscape page and set in smaller type, its words broken inside; split it into narrower tables",
    "report/02-contexts.md:31: warning: table of 16 columns is too wide for the note: its words broken inside; "
    "split it into narrower tables",
]


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass
class Built:
    folder: Path
    check: object
    build: object
    pdf: bytes
    docx: bytes


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    tmp = tmp_path_factory.mktemp("tables")
    folder = make_report(tmp, files={
        "01-intro.md": None, "02-findings.md": None,
        "01-tables.md": TABLES, "02-contexts.md": CONTEXTS,
        "report.toml": 'title = "Tables"\ncreated = 2026-11-01\nchapters = ["01-tables.md", "02-contexts.md"]\n',
    })
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setenv("REPORTKIT_DOCX_PAGES", "0")
        checked = run("check", "report")
        result = run("build", "report", "--format", "pdf,docx")
    assert result.exit_code == 0, result.output
    out = folder / "build"
    return Built(folder, checked, result, (out / "report.pdf").read_bytes(), (out / "report.docx").read_bytes())


def words(pdf: bytes) -> tuple[list[tuple[float, float]], list[Word]]:
    """Each page's (width, height), and every word with its box, as poppler reads them."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    out = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode()
    pages, found = [], []
    pattern = r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>'
    for n, (w, h, body) in enumerate(re.findall(pattern, out, re.S), 1):
        pages.append((float(w), float(h)))
        for x0, y0, x1, y1, text in re.findall(
                r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>', body):
            found.append(Word(n, float(x0), float(y0), float(x1), float(y1), html.unescape(text)))
    return pages, found


MARGIN = 22 / 25.4 * 72  # the default style's margins, 22 mm on every side


# --- warnings -------------------------------------------------------------------------------


def test_check_and_build_say_which_tables_were_shrunk_or_turned(built):
    assert built.check.exit_code == 0
    assert built.check.stderr.splitlines() == EXPECTED
    warned = [line for line in built.build.stderr.splitlines() if "warning:" in line]
    assert warned == EXPECTED


# --- the PDF --------------------------------------------------------------------------------


def test_every_word_lies_inside_the_text_column(built):
    pages, found = words(built.pdf)
    assert found
    outside = [w for w in found
               if w.x0 < MARGIN - 0.5 or w.x1 > pages[w.page - 1][0] - MARGIN + 0.5
               or w.y0 < 0 or w.y1 > pages[w.page - 1][1]]
    assert outside == []


def test_no_word_is_lost_or_broken_where_the_table_fits(built):
    _, found = words(built.pdf)
    whole = [w.text for w in found]
    for word in ["Year", "Victims", "identified", *SYSTEMS[:2], "OS", "X", *SYSTEMS[3:], *REGIONS, *FIGURES]:
        assert word in whole, word
    assert whole.count("O_DIRECTORY") == 8  # the first table's eight; the box's are broken
    text = squash("".join(page_texts(built.pdf)))
    assert squash(f"After the wide table. See {URL} here.") in text
    assert squash(f"CNKI {URL}") in text
    for word in COLUMNS_30:  # broken inside, but all there
        assert word in text


def test_a_table_too_wide_turns_to_a_landscape_page_and_the_text_after_it_does_not(built):
    pages, found = words(built.pdf)
    page_of: dict[str, int] = {}
    for w in found:
        page_of.setdefault(w.text, w.page)  # the first chapter's tables come first
    turned = page_of["Railways"]
    width, height = pages[turned - 1]
    assert width > height
    assert page_of["Region"] == turned
    assert pages[page_of["After"] - 1][0] < pages[page_of["After"] - 1][1]
    assert page_of["After"] == turned + 1
    assert pages[page_of["Eight"] - 1][0] < pages[page_of["Eight"] - 1][1]  # the 8 columns: smaller type only


def test_numbered_lists_keep_their_numbers(built):
    _, found = words(built.pdf)

    def marker_of(first: str) -> str:  # the word standing before the item's first word, on its line
        item = next(w for w in found if w.text == first)
        return max((w for w in found if w.page == item.page and abs(w.y0 - item.y0) < 2 and w.x1 <= item.x0),
                   key=lambda w: w.x1).text

    assert [marker_of("seventh"), marker_of("eighth"), marker_of("The")] == ["7.", "8.", "2013."]
    body = docx_text(built.docx, markers=True)
    assert "7. seventh item" in body and "8. eighth item" in body
    assert "2013. The year of the report." in body


# --- the DOCX -------------------------------------------------------------------------------


def grids(data: bytes) -> list[list[int]]:
    """Each table's column widths (twips) as the DOCX declares them, boxes' frames left out."""
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    return [[int(col.get(qn("w:w"))) for col in tbl.iter(qn("w:gridCol"))]
            for tbl in body.iter(qn("w:tbl")) if tbl.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}") is not None]


def test_docx_column_widths_follow_content(built):
    normal, eight, sixteen, *_ = grids(built.docx)
    text_width = round((210 - 44) / 25.4 * 1440)
    assert abs(sum(normal) - text_width) <= 2
    year, victims = normal
    assert victims > 2 * year  # "Victims identified" holds more text than "Year"
    assert abs(sum(eight) - text_width) <= 8 and len(set(eight)) == 1  # eight equal columns
    assert abs(sum(sixteen) - round((297 - 44) / 25.4 * 1440)) <= 16  # a landscape page's width
    widths = dict(zip(REGIONS, sixteen))
    assert widths["Population"] > widths["Rivers"]
    assert len(set(sixteen)) > 8  # not equal columns


def test_docx_turns_the_same_table_to_a_landscape_section(built):
    document = docx.Document(io.BytesIO(built.docx))
    orientations = [s.orientation for s in document.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT,
                            WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]  # the 16 columns, the 30
    turned = document.sections[1]
    assert turned.page_width > turned.page_height
    eight = document.tables[1]
    styles = {p.style.name for row in eight.rows for cell in row.cells for p in cell.paragraphs}
    assert styles == {"Table Heading Small", "Table Text Small"}  # the 8 columns, as in the PDF


def test_docx_words_are_not_broken_in_a_word_processor(built, tmp_path, monkeypatch):
    """LibreOffice lays the DOCX out with the style's fonts (Carlito for Calibri, metrically the
    same), as Word does with Calibri: no word of a table that fits is broken ("Re/gio/n")."""
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed")
    fonts = Path(load_theme("default").faces[0].path).parent
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?><fontconfig>'
                      '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                      f"<dir>{fonts}</dir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    pdf = to_pdf(built.docx)
    assert pdf is not None
    pages, found = words(pdf)
    whole = [w.text for w in found]
    for word in ["Victims", "identified", *REGIONS, *FIGURES]:
        assert word in whole, word
    assert whole.count("O_DIRECTORY") >= 8  # the first table's; the box's may break, as in the PDF
    right = [w for w in found if w.x1 > pages[w.page - 1][0] - MARGIN + 1]
    assert right == []


# --- the estimate against the real layout ----------------------------------------------------


CELLS = ["Region", "2013-2016", "well-known", "path/to/file", "O_DIRECTORY", "x?y=1", "un–deux",
         "Ответственность детей", "**Bold words**", "*in italics*", "`code_here`",
         "[a link](https://example.org/a/b)", "Kinderschutzgesetz", "WWWWWW iiiiii", "a/1", "12,345",
         "naïve œuvre", "ταυτότητα", "a note[^n]", '"smart" quotes', "`code` *emphasis*"]


def test_the_estimate_holds_to_weasyprints_layout(tmp_path):
    """fit.py's narrowest width of each table is WeasyPrint's, within half a point below (kerning,
    which fit.py leaves out, sets a few pairs wider) and 2 % above (it sets most pairs closer):
    each table laid out in a column 1 pt wide takes its narrowest width."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from reportkit.writers import Options
    from reportkit.writers.html import document

    chapter = "# Estimate\n\n" + "\n".join(
        table([CELLS[(i + j) % len(CELLS)] for j in range(cols)],
              [CELLS[(3 * i + j + 1) % len(CELLS)] + " " + CELLS[(i * j) % len(CELLS)] for j in range(cols)])
        for i, cols in enumerate([1, 2, 3, 5, 8, 4, 6, 7, 9, 3])) + "\n[^n]: A note.\n"
    folder = make_report(tmp_path, files={"01-intro.md": None, "02-findings.md": None, "ch.md": chapter,
                                          "report.toml": 'title = "T"\nchapters = ["ch.md"]\n'})
    report, theme = load_report(folder), load_theme("default")
    fits = Fits(report, theme)
    markup = document(report, theme, Options()).replace("<table", '<div style="width: 1pt"><table')
    laid_out = HTML(string=markup.replace("</table>", "</table></div>")).render()
    real: dict[object, float] = {}

    def visit(box) -> None:
        if isinstance(box, boxes.TableBox):
            real[box.element] = max(real.get(box.element, 0.0), box.border_width() * 0.75)  # px to pt
        for child in getattr(box, "children", ()):
            visit(child)

    for page in laid_out.pages:
        visit(page._page_box)
    estimates = [f.narrowest_width for f in sorted(fits.by_pos.values(), key=lambda f: f.pos.line)]
    assert len(estimates) == len(real) == 10
    for estimate, width in zip(estimates, real.values()):
        assert width - 0.5 <= estimate <= width * 1.02, (estimate, width)


# --- paragraphs that CommonMark makes list items ------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("1. first\n2. second\n", []),
    ("1. a lone first item\n", []),
    ("In 2013. Then\n", []),
    ("3. three\n", ['3: warning: "3." at the start of a paragraph makes it a numbered list item; '
                    'if it is not one, write "3\\."']),
    ("1999) The year\n", ['3: warning: "1999)" at the start of a paragraph makes it a numbered list item; '
                          'if it is not one, write "1999\\)"']),
    ("1. one\n2. two\n\n2013. The year\n", ['6: warning: "2013." at the start of a paragraph makes it a '
                                              'numbered list item (numbered 3); if it is not one, write "2013\\."']),
    ("2013\\. The year\n", []),
], ids=["list", "one-item-from-1", "inside-a-line", "one-item-from-3", "parenthesis", "year-in-a-list", "escaped"])
def test_a_paragraph_opening_with_a_number_is_warned_about(report_factory, monkeypatch, text, expected):
    folder = report_factory({"01-intro.md": "# Introduction\n\n" + text})
    monkeypatch.chdir(folder.parent)
    result = run("check", "report")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"report/01-intro.md:{line}" for line in expected]
