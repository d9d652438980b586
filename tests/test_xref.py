"""Cross-references ``[](#id)`` and numbered captions: what the PDF and the DOCX print for them,
where their links lead, the lists of tables and figures, and the messages for mistakes.

One report is built once into both formats (module fixture); the rules in other languages and
settings are checked on the model and the HTML, which need no layout.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from conftest import make_report, run
from docxutil import W, docx_text, footnotes_text, paragraph_text
from images import picture
from pdfutil import destinations, links, page_texts, squash
from reportkit import libreoffice
from reportkit.build import creation_date, load_report
from reportkit.model import Link, Paragraph, Table, iter_nodes, plain_text
from reportkit.themes import load_theme
from reportkit.writers import Options, html, pdf
from reportkit.writers import docx as docx_writer

HAS_SOFFICE = libreoffice.soffice() is not None

TOML = """title = "Cross-references"
created = 2026-11-01
number_headings = true
number_captions = true
list_of_tables = true
list_of_figures = true
chapters = ["01-intro.md", "02-findings.md"]
"""

INTRO = """# Introduction

See [](#law), [](#tbl-victims), [](#fig-victims) and [](#recs). [](#law) sets the frame.[^see]

| Year | Victims |
|------|--------:|
| 2011 | 38      |
| 2012 | 11      |
Table: Identified victims {#tbl-victims}

![Bar chart: victims fell from 38 to 11](assets/victims.png "Victims by year"){#fig-victims}

## Existing legal framework {#law}

::: recommendation Adopt the law {#recs}
Adopt it.

Fund it.
:::

::: recommendation {#fund}
Fund the shelters.
:::

[^see]: On the law, see [](#law).
"""

FINDINGS = """# Findings

: Cases brought to court

| Court | Cases |
|-------|------:|
| Bishkek | 4   |

## Remarks {-}

::: good-practice The Youth Partnership Programme {#ypp}
Young people photograph their town.
:::

Back to [](#introduction), to [](#fund), to [](#ypp), to [](#remarks) and to [the law](#law).
"""


def files(toml: str = TOML, intro: str = INTRO, findings: str = FINDINGS) -> dict:
    return {"report.toml": toml, "01-intro.md": intro, "02-findings.md": findings,
            "assets/victims.png": picture(300, 150)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_report(tmp_path_factory.mktemp("xref"), files=files())


@pytest.fixture(scope="module")
def pdf_data(folder) -> bytes:
    report = load_report(folder)
    options = Options(created=creation_date(report, folder))
    return pdf.render(report, load_theme(report.meta.style, folder), options).data


@pytest.fixture(scope="module")
def docx_data(folder) -> bytes:
    report = load_report(folder)
    options = Options(created=creation_date(report, folder), docx_page_numbers=HAS_SOFFICE)
    return docx_writer.render(report, load_theme(report.meta.style, folder), options).data


# --- the PDF ---------------------------------------------------------------------------------


def test_pdf_prints_each_target_by_number_and_title(pdf_data):
    text = squash(" ".join(page_texts(pdf_data)))
    assert squash("See section 1.1, Existing legal framework, Table 1, Figure 1 and Recommendations 1–2.") in text
    assert squash("Section 1.1, Existing legal framework sets the frame.") in text  # a sentence's start
    assert squash("Back to chapter 1, Introduction, to Recommendation 3, to The Youth Partnership "
                  "Programme, to Remarks and to the law.") in text  # unnumbered: the title alone
    assert squash("On the law, see section 1.1, Existing legal framework.") in text  # in a note


def test_pdf_cross_references_link_to_their_targets(pdf_data):
    pages = destinations(pdf_data)
    targets = [link.target for link in links(pdf_data) if link.page >= 5]
    for ident in ("law", "tbl-victims", "fig-victims", "recs", "introduction", "fund", "ypp", "remarks"):
        assert ident in targets and ident in pages


def test_pdf_captions_are_numbered_tables_above_figures_below(pdf_data):
    text = squash(" ".join(page_texts(pdf_data)))
    assert squash("Table 1: Identified victims Year Victims 2011 38 2012 11") in text
    assert squash("Table 2: Cases brought to court Court Cases Bishkek 4") in text
    assert squash("Figure 1: Victims by year") in text
    assert "2011382012 11Table:" not in text  # the caption line is no row of the table


def test_pdf_lists_tables_and_figures_with_their_pages(pdf_data):
    pages = [squash(p) for p in page_texts(pdf_data)]
    at = destinations(pdf_data)
    first = [next(i for i, p in enumerate(pages) if p.startswith(title))
             for title in ("Contents", "Listoftables", "Listoffigures")]
    assert first == sorted(first) and first[2] < at["introduction"] - 1  # after the contents, in the front
    assert re.fullmatch(rf"Listoftables Table1Identifiedvictims\.+{at['tbl-victims']}"
                        rf"Table2Casesbroughttocourt\.+{at['tbl-2']} Page\d+of\d+".replace(" ", ""), pages[first[1]])
    assert re.fullmatch(rf"Listoffigures Figure1Victimsbyyear\.+{at['fig-victims']} Page\d+of\d+".replace(" ", ""),
                        pages[first[2]])


def test_pdf_with_captions_and_lists_stays_pdf_ua_clean(pdf_data, tmp_path):
    import page

    path = tmp_path / "xref.pdf"
    path.write_bytes(pdf_data)
    report = page.validate_pdf(str(path), profile="ua1")
    assert [(f.rule_id, f.message) for f in report.failures] == []


# --- the DOCX --------------------------------------------------------------------------------


def test_docx_prints_the_same_texts_and_captions(docx_data):
    text = docx_text(docx_data)
    assert ("[Normal] See section 1.1, Existing legal framework, Table 1, Figure 1 and Recommendations 1–2. "
            "Section 1.1, Existing legal framework sets the frame.[^1]") in text
    assert "[Caption] Table 1: Identified victims\n[table] Year / Victims / 2011 / 38 / 2012 / 11" in text
    assert "[Caption] Table 2: Cases brought to court\n[table] Court / Cases / Bishkek / 4" in text
    assert "[Figure] \n[Caption] Figure 1: Victims by year" in text
    assert ("[Normal] Back to chapter 1, Introduction, to Recommendation 3, to The Youth Partnership Programme, "
            "to Remarks and to the law.") in text
    assert footnotes_text(docx_data) == [(1, "On the law, see section 1.1, Existing legal framework.")]


def test_docx_cross_references_are_hyperlinks_to_the_targets_bookmarks(docx_data):
    import io
    import zipfile

    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx_data)).read("word/document.xml"))
    marked = {}  # bookmark name → text of its paragraph
    for start in body.iter(f"{W}bookmarkStart"):
        p = next(a for a in start.iterancestors(f"{W}p"))
        marked[start.get(f"{W}name")] = paragraph_text(p)
    found = {}
    for link in body.iter(f"{W}hyperlink"):
        if link.get(f"{W}anchor") and not any(a.tag == f"{W}sdt" for a in link.iterancestors()):
            found["".join(t.text for t in link.iter(f"{W}t"))] = marked[link.get(f"{W}anchor")]
    assert found["section 1.1, Existing legal framework"] == "1.1 Existing legal framework"
    assert found["Table 1"] == "Table 1: Identified victims"
    assert found["Figure 1"] == "Figure 1: Victims by year"
    assert found["Recommendations 1–2"] == "Adopt the law"
    assert found["chapter 1, Introduction"] == "1 Introduction"


def test_docx_lists_tables_and_figures_after_the_contents(docx_data):
    lines = docx_text(docx_data).splitlines()
    at = lines.index("[TOC Heading] List of tables")
    assert lines.index("[TOC Heading] Contents") < at < lines.index("[Heading 1] 1 Introduction")
    listed = [re.sub(r"\t\d+$", "", line) for line in lines[at:at + 5]]
    assert listed == ["[TOC Heading] List of tables", "[table of figures] Table 1 Identified victims",
                      "[table of figures] Table 2 Cases brought to court", "[TOC Heading] List of figures",
                      "[table of figures] Figure 1 Victims by year"]
    if HAS_SOFFICE:  # the page, as LibreOffice paginates the document
        assert all(re.search(r"\t\d+$", line) for line in lines[at + 1:at + 3] + lines[at + 4:at + 5])


def test_lists_without_contents_still_have_page_numbers(tmp_path):
    folder = make_report(tmp_path, files=files(TOML + "toc_depth = 0\n"))
    report = load_report(folder)
    page = html.render(report, load_theme("default", None), Options()).data.decode()
    assert '<h1 class="toc-title" data-bookmark="List of tables">' in page and ">Contents<" not in page
    data = docx_writer.render(report, load_theme("default", None), Options(docx_page_numbers=HAS_SOFFICE)).data
    lines = docx_text(data).splitlines()
    assert lines[1] == "[TOC Heading] List of tables" and "[TOC Heading] Contents" not in lines
    assert lines[2].startswith("[table of figures] Table 1 Identified victims")
    if HAS_SOFFICE:
        assert re.fullmatch(r"\[table of figures\] Table 1 Identified victims\t\d+", lines[2])


# --- the rules, on the model and the HTML ------------------------------------------------------


def test_cross_references_follow_the_sections_when_they_move(tmp_path):
    moved = TOML.replace('["01-intro.md", "02-findings.md"]', '["02-findings.md", "01-intro.md"]')
    report = load_report(make_report(tmp_path, files=files(moved)))
    text = plain_text(report.chapters[0].blocks) + "\n" + plain_text(report.chapters[1].blocks)
    assert "Back to chapter 2, Introduction, to Recommendation 3," in text
    assert "See section 2.1, Existing legal framework, Table 2, Figure 1 and Recommendations 1–2." in text
    tables = [n for n in iter_nodes(report.chapters) if isinstance(n, Table)]
    assert [(t.number, plain_text(t.caption)) for t in tables] == [(1, "Cases brought to court"),
                                                                    (2, "Identified victims")]


def test_unnumbered_targets_print_their_title_alone(tmp_path):
    plain = 'title = "T"\ncreated = 2026-11-01\nchapters = ["01-intro.md", "02-findings.md"]\n'
    report = load_report(make_report(tmp_path, files=files(plain)))
    first = plain_text(report.chapters[0].blocks[0].blocks[0])
    assert first == ("See Existing legal framework, Identified victims, Victims by year and Recommendations 1–2. "
                     "Existing legal framework sets the frame.")
    page = html.render(report, load_theme("default", None), Options()).data.decode()
    assert "<caption>Identified victims</caption>" in page and "<figcaption>Victims by year</figcaption>" in page
    assert "List of tables" not in page


@pytest.mark.parametrize("language, see, back, captions", [
    ("fr", "Voir section 1.1, Existing legal framework, Tableau 1, Figure 1 et Recommandations 1 à 2.",
     "chapitre 1, Introduction, to Recommandation 3", ("Tableau 1\u00a0: ", "Figure 1\u00a0: ", "Liste des tableaux")),
    ("es", "Voir sección 1.1, Existing legal framework, Tabla 1, Figura 1 et Recomendaciones 1 a 2.",
     "capítulo 1, Introduction, to Recomendación 3", ("Tabla 1: ", "Figura 1: ", "Índice de tablas")),
    ("ru", "Voir раздел 1.1, Existing legal framework, Таблица 1, Рисунок 1 et Рекомендации 1–2.",
     "глава 1, Introduction, to Рекомендация 3", ("Таблица 1. ", "Рисунок 1. ", "Список рисунков")),
])
def test_words_follow_the_report_language(tmp_path, language, see, back, captions):
    intro = INTRO.replace("See [](#law)", "Voir [](#law)").replace(" and [](#recs)", " et [](#recs)")
    folder = make_report(tmp_path, files=files(TOML + f'language = "{language}"\n', intro))
    report = load_report(folder)
    text = plain_text(report.chapters[0].blocks) + "\n" + plain_text(report.chapters[1].blocks)
    assert see in text and back in text
    page = html.render(report, load_theme("default", None), Options()).data.decode()
    for label in captions:
        assert label in page


def test_caption_syntax_before_after_or_under_the_table(tmp_path):
    chapter = ("# One\n\nTable: Before\n\n| a |\n|---|\n| 1 |\n\n| b |\n|---|\n| 2 |\n\n: After\n\n"
               "| c |\n|---|\n| 3 |\nTable: Under\n\n| d |\n|---|\n| 4 |\n\nText.\n\n"
               "Table: a paragraph, far from any table.\n\nMore text.\n\n| e |\n|---|\n| 5 |\n")
    toml = 'title = "T"\ncreated = 2026-11-01\nnumber_captions = true\nchapters = ["01-intro.md"]\n'
    report = load_report(make_report(tmp_path, files={"report.toml": toml, "01-intro.md": chapter,
                                                      "02-findings.md": None}))
    blocks = report.chapters[0].blocks[0].blocks
    shown = [(plain_text(b.head), b.number, plain_text(b.caption), len(b.rows)) if isinstance(b, Table)
             else plain_text(b) for b in blocks]
    assert shown == [("a", 1, "Before", 1), ("b", 2, "After", 1), ("c", 3, "Under", 1), ("d", 0, "", 1),
                     "Text.", "Table: a paragraph, far from any table.", "More text.", ("e", 0, "", 1)]
    data = docx_writer.render(report, load_theme("default", None), Options(docx_page_numbers=False)).data
    assert [line for line in docx_text(data).splitlines() if line.startswith(("[Caption]", "[table]"))] == [
        "[Caption] Table 1: Before", "[table] a / 1", "[Caption] Table 2: After", "[table] b / 2",
        "[Caption] Table 3: Under", "[table] c / 3", "[table] d / 4", "[table] e / 5"]


def test_boxes_take_an_anchor_and_the_default_ones_stay(folder):
    report = load_report(folder)
    boxes = {n.id: plain_text(n.title) for n in iter_nodes(report.chapters) if hasattr(n, "kind")}
    assert boxes == {"recs": "Adopt the law", "fund": "", "ypp": "The Youth Partnership Programme"}
    assert not any(isinstance(n, Paragraph) and "{#" in plain_text(n) for n in iter_nodes(report.chapters))


# --- mistakes ----------------------------------------------------------------------------------


def check(tmp_path: Path, monkeypatch, **changed: str) -> tuple[list[str], int]:
    folder = make_report(tmp_path, files={**files(), **changed})
    monkeypatch.chdir(folder.parent)
    result = run("check", folder.name)
    assert "Traceback" not in result.output
    return [line.replace(f"{folder.name}/", "report/", 1) for line in result.stderr.splitlines()], result.exit_code


def test_a_cross_reference_to_a_missing_anchor_is_an_error(tmp_path, monkeypatch):
    lines, code = check(tmp_path, monkeypatch, **{"02-findings.md": FINDINGS + "\nSee [](#tbl-victim) and [](#).\n"})
    assert lines == ['report/02-findings.md:17: link to "#tbl-victim": nothing in the report has that anchor '
                     '(did you mean "#tbl-victims"?)',
                     'report/02-findings.md:17: link to "#": nothing in the report has that anchor '
                     '(give the heading {#name})'] and code == 1


def test_an_anchor_given_to_a_table_and_a_heading_is_an_error(tmp_path, monkeypatch):
    findings = FINDINGS.replace(": Cases brought to court", ": Cases brought to court {#law}")
    lines, code = check(tmp_path, monkeypatch, **{"02-findings.md": findings})
    assert lines == ['report/02-findings.md:3: anchor "{#law}" is given twice (first at report/01-intro.md:13)']
    assert code == 1


def test_new_report_toml_keys_are_checked(tmp_path, monkeypatch):
    lines, code = check(tmp_path, monkeypatch, **{"report.toml": TOML.replace("number_captions = true",
                                                                              'number_captions = "yes"')})
    assert lines == ['report/report.toml:4: "number_captions" must be true or false, not a string (\'yes\')']
    assert code == 1


def test_review_of_the_docx_keeps_cross_references_and_box_anchors(folder, docx_data, tmp_path):
    import shutil

    report = shutil.copytree(folder, tmp_path / "report")
    built = tmp_path / "built.docx"
    built.write_bytes(docx_data)
    result = run("review", built, report)
    assert result.exit_code == 0 and result.stdout.splitlines()[0] == "0 changes, 0 comments"
    edited = _edited(docx_data, "sets the frame.", "sets the scene.")
    built.write_bytes(_edited(edited, "Figure 1: Victims by year", "Figure 1: Victims per year"))
    result = run("review", built, report, "--apply")
    assert result.stdout.splitlines()[:2] == [f'{report}/01-intro.md:3: unknown replaced "frame" by "scene"',
                                              f'{report}/01-intro.md:11: unknown replaced "by" by "per"']
    text = (report / "01-intro.md").read_text(encoding="utf-8")
    assert "[](#recs). [](#law) sets the scene.[^see]" in text  # the cross-references stay
    assert '![Bar chart: victims fell from 38 to 11](assets/victims.png "Victims per year"){#fig-victims}' in text
    assert "::: recommendation Adopt the law {#recs}" in text


def _edited(data: bytes, old: str, new: str) -> bytes:
    """The DOCX with ``old`` replaced by ``new`` in its body, as a co-author types without
    tracking changes."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                assert old.encode() in content
                content = content.replace(old.encode(), new.encode())
            target.writestr(item, content)
    return out.getvalue()
