"""Kinds of box a style defines in theme.toml ([boxes.NAME]): label per language, colours,
numbering across the report, an annex; both writers style them from the theme alone."""

from __future__ import annotations

import re
import docx
import pytest
from docx.oxml.ns import qn

from conftest import make_report, run
from docxutil import docx_text
from pdfutil import page_texts, squash
from reportkit.build import build, load_with_theme
from reportkit.writers import Options
from reportkit.writers.html import document

HOUSE = '''inherit = "default"

[boxes.alert]
label = { en = "Alert", fr = "Alerte" }
border = "#AA0000"
fill = "#FFEEEE"
title = "#880000"
numbered = true

[boxes.testimony]
fill = "#EEEEFF"
'''

CHAPTER = '''# Findings

::: question
What measures will the State party take?

- How many children were identified?
- Which budget is allocated?
:::

::: recommendation
The government should act.
:::

::: testimony Amina, 15
They did not listen to us.
:::

::: alert Urgent
Children are held with adults.
:::

::: question Follow-up
Will the plan be evaluated?
:::
'''

FILES = {
    "report.toml": 'title = "Kinds"\ncreated = 2026-11-01\nstyle = "house"\nchapters = ["01-findings.md"]\n',
    "01-findings.md": CHAPTER,
    "02-findings.md": None,
    "01-intro.md": None,
    "styles/house/theme.toml": HOUSE,
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_report(tmp_path_factory.mktemp("kinds"), files=FILES)


@pytest.fixture(scope="module")
def built(folder):
    """The report built once into PDF and DOCX."""
    outputs = build(folder, folder / "out").outputs
    return outputs[0].path.read_bytes(), outputs[1].path.read_bytes()


QUESTIONS = ["What measures will the State party take?", "How many children were identified?",
             "Which budget is allocated?", "Will the plan be evaluated?"]


def test_the_pdf_shows_the_label_the_numbers_and_the_annex(built):
    pages = page_texts(built[0])
    contents, body, annex = pages[1], pages[2], pages[-1]
    assert "Questions for the dialogue" in contents
    assert "Suggested questions for the State party" in body  # the label: the box has no title
    assert "Amina, 15" in body and "Urgent" in body
    assert annex.splitlines()[0] == "Questions for the dialogue"
    assert squash("".join(QUESTIONS)) in squash(annex)
    assert "The government should act." not in annex and "Children are held" not in annex


def test_the_docx_numbers_each_kind_on_its_own_and_annexes_the_questions(built):
    text = docx_text(built[1], markers=True).splitlines()
    start = text.index("[Question Title] Suggested questions for the State party")
    assert text[start + 1:start + 4] == [f"[Question List] {n}. {q}" for n, q in enumerate(QUESTIONS[:3], 1)]
    assert "[Recommendation] The government should act." in text  # not numbered: numbers not asked for
    assert "[Testimony Title] Amina, 15" in text
    assert text[text.index("[Alert Title] Urgent") + 1] == "[Alert List] 1. Children are held with adults."
    assert f"[Question List] 4. {QUESTIONS[3]}" in text
    assert text[text.index("[Heading 1] Questions for the dialogue") + 1:] == [
        f"[Recommendation Summary] {n}.\t{q}" for n, q in enumerate(QUESTIONS, 1)]
    assert "[toc 1] Questions for the dialogue" in "\n".join(text)


def _fill(style) -> str:
    return style.element.find(f"{qn('w:pPr')}/{qn('w:shd')}").get(qn("w:fill"))


def test_both_writers_take_the_colours_from_the_theme(folder, built):
    styles = docx.Document(folder / "out" / "report.docx").styles
    assert _fill(styles["Question"]) == "FDF3E3"  # the default style's question
    assert _fill(styles["Alert"]) == "FFEEEE"  # the house style's own kind
    assert _fill(styles["Testimony"]) == "EEEEFF"  # the default's testimony, its fill overridden
    css = squash(document(*load_with_theme(folder), Options()))
    assert squash("aside.alert { border-color: #AA0000; border-left-width: 4pt; background: #FFEEEE; }") in css
    assert squash("aside.alert .box-title { color: #880000; }") in css
    assert squash("aside.testimony { border-color: #5B3F8C; border-left-width: 4pt; background: #EEEEFF; }") in css


def test_boxes_exports_a_numbered_kind(folder):
    result = run("boxes", folder, "--kind", "question", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == (
        "number,chapter_number,chapter,section_number,section,text\n"
        + "".join(f"{n},,Findings,,Findings,{q}\n" for n, q in enumerate(QUESTIONS, 1))
    )
    recommendations = run("recommendations", folder, "--format", "json").stdout
    assert run("boxes", folder, "--kind", "recommendation", "--format", "json").stdout == recommendations
    assert '"text": "The government should act."' in recommendations


@pytest.mark.parametrize("kind, message", [
    ("qestion", 'unknown numbered kind of box "qestion" (did you mean "question"?) (numbered: recommendation, question, alert)'),
    ("testimony", '"testimony" boxes are not numbered (numbered: recommendation, question, alert)'),
])
def test_boxes_refuses_a_kind_that_is_not_numbered(folder, kind, message):
    result = run("boxes", folder, "--kind", kind)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == f"Error: Invalid value for --kind: {message}"


def test_check_knows_the_styles_kinds(tmp_path):
    folder = make_report(tmp_path, files={**FILES, "01-findings.md": "# Findings\n\n::: qestion\nWhy?\n:::\n\n::: alret\nNow.\n:::\n"})
    result = run("check", folder)
    assert result.exit_code == 1
    chapter = folder / "01-findings.md"
    assert result.stderr.strip().splitlines()[-2:] == [
        f'{chapter}:3: unknown box kind "qestion" (did you mean "question"?)',
        f'{chapter}:7: unknown box kind "alret" (did you mean "alert"?)',
    ]


def test_the_label_follows_the_reports_language(tmp_path):
    folder = make_report(tmp_path, files={**FILES, "report.toml": FILES["report.toml"] + 'language = "fr"\n'})
    html = document(*load_with_theme(folder), Options())
    assert "Questions suggérées à l’État partie" in html
    assert "Questions pour le dialogue" in html
    assert re.search(r"<div class=\"box-title\" role=\"heading\" aria-level=\"\d\">Urgent</div>", html)


@pytest.mark.parametrize("table, line, expected", [
    ('[boxes.question]\nnubmered = true\n', 4,
     'unknown setting "boxes.question.nubmered" (did you mean "boxes.question.numbered"?)'),
    ('[boxes.recommendation]\nfill = "#FFFFFF"\n', 3,
     'box kind "recommendation" is built in: its colours are set in [colours]'),
    ('[boxes.case]\nfill = "#FFFFFF"\n', 3,
     'box kind "case" needs a label (label = "…", or { en = "…", fr = "…" })'),
    ('[boxes.case]\nlabel = "Case"\nannex = "Cases"\n', 5,
     '"boxes.case.annex" lists numbered items: add numbered = true'),
    ('[boxes.case]\nlabel = { en = "Case", de = "Fall" }\n', 4,
     'unknown language "de" in boxes.case.label (reportkit has labels for en, fr, es, ru)'),
    ('[boxes.case]\nlabel = "Case"\nnumbered = "yes"\n', 5,
     '"boxes.case.numbered" must be true or false, not a string (\'yes\')'),
    ('[boxes.Case]\nlabel = "Case"\n', 3,
     '[boxes.Case]: a box kind is a table named in lower-case letters, digits and hyphens ([boxes.question])'),
])
def test_a_wrong_box_kind_is_reported_at_its_line(tmp_path, table, line, expected):
    folder = make_report(tmp_path, files={**FILES, "styles/house/theme.toml": 'inherit = "default"\n\n' + table})
    result = run("check", folder)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == f"{folder / 'styles/house/theme.toml'}:{line}: {expected}"


def test_check_counts_the_styles_kinds(folder):
    result = run("check", folder)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-3:] == [
        "  question boxes:       2 (4 numbered)",
        "  testimony boxes:      1",
        "  alert boxes:          1 (1 numbered)",
    ]


def test_the_crc_template_has_a_question_box_and_a_confidentiality_line():
    from reportkit.new import TEMPLATES_DIR
    from reportkit.transforms import box_items

    report, _ = load_with_theme(TEMPLATES_DIR / "crc")
    assert report.meta.confidentiality == "public"
    assert 'confidentiality = "public"' in (TEMPLATES_DIR / "crc" / "report.toml").read_text(encoding="utf-8")
    assert [item.text for item in box_items(report, "question")] == [
        "Question for the State party on general measures of implementation to be written."]
