"""Mistakes authors make, and what they get: one ``file:line`` message with the fix, the exit code,
and, where the mistake once changed the output, what the reader of the PDF and DOCX sees instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run
from docxutil import docx_text
from pdfutil import links, outline, page_texts, squash

TOML = 'title = "T"\ncreated = 2026-11-01\nchapters = ["01-intro.md"]\n'
NUMBERED = TOML + "number_headings = true\n"
INTRO = "# Introduction\n\nText.[^first]\n\n[^first]: The first note.\n"


def check(report_factory, monkeypatch, files: dict, *args: str, name: str = "report") -> tuple[list[str], int]:
    """``reportkit check ARGS`` on the minimal report with one chapter and ``files``, made in a folder
    ``name``: stderr lines (paths as "report/…") and exit code."""
    folder = report_factory({"report.toml": TOML, "02-findings.md": None, **files}, name=name)
    monkeypatch.chdir(folder.parent)
    result = run("check", *args, name)
    assert "Traceback" not in result.output
    return [line.replace(f"{name}/", "report/", 1) for line in result.stderr.splitlines()], result.exit_code


CASES = [
    # id, files, expected stderr lines, exit code
    # 4. a heading typed with its own number
    ("typed-number", {"report.toml": NUMBERED, "01-intro.md": INTRO + "\n## 2.1 Status of the law\n"},
     ['report/01-intro.md:7: warning: heading "2.1 Status of the law" is typed with its own number, and '
      'number_headings = true numbers it again: remove "2.1" (or set number_headings = false)'], 0),
    ("typed-roman-number", {"report.toml": NUMBERED, "01-intro.md": "# II. Introduction\n\nText.\n"},
     ['report/01-intro.md:1: warning: heading "II. Introduction" is typed with its own number, and '
      'number_headings = true numbers it again: remove "II." (or set number_headings = false)'], 0),
    ("typed-number-unnumbered-works",
     {"report.toml": NUMBERED, "01-intro.md": INTRO + "\n## 2.1 Status {-}\n\n## 2013 elections\n\n"
                                                     "## 1.5 million children out of school\n"}, [], 0),
    ("typed-number-without-numbering-works", {"01-intro.md": INTRO + "\n## 2.1 Status\n"}, [], 0),
    # 5. an unclosed box before another box
    ("box-left-open", {"01-intro.md": INTRO + "\n::: recommendation\nAct now.\n\n::: box Another\nInside.\n"
                                              ":::\n\nMore text.\n\n::: good-practice\nGood.\n:::\n"},
     ['report/01-intro.md:7: box "recommendation" is never closed: add a line with ::: before line 10 '
      "(or, to put the box of line 10 inside it, open this one with ::::)"], 1),
    ("box-advice-followed", {"01-intro.md": INTRO + "\n::: recommendation\nAct now.\n:::\n\n::: box Another\n"
                                                    "Inside.\n:::\n\nMore text.\n\n::: good-practice\nGood.\n:::\n"},
     [], 0),
    ("box-in-box-with-more-colons-works",
     {"01-intro.md": INTRO + "\n:::: box Outer\n::: recommendation\nAct.\n:::\n::::\n"}, [], 0),
    # 6. heading attributes
    ("unknown-attribute", {"01-intro.md": INTRO + "\n## Odd {.class lang=fr}\n"},
     ['report/01-intro.md:7: warning: unknown heading attribute "{.class lang=fr}" left out '
      "(headings take {#name}, {-}, {.annex} and {.summary})"], 0),
    # 7. anchors and local files
    ("anchor-missing", {"01-intro.md": INTRO + "\nSee [x](#nowhere) and [y](#Introduction).\n"},
     ['report/01-intro.md:7: link to "#nowhere": nothing in the report has that anchor (give the heading {#nowhere})',
      'report/01-intro.md:7: link to "#Introduction": nothing in the report has that anchor '
      '(did you mean "#introduction"?)'], 1),
    ("anchor-to-a-box-works", {"01-intro.md": INTRO + "\n::: recommendation\nAct.\n:::\n\nSee [it](#rec-1).\n"},
     [], 0),
    ("anchor-twice", {"01-intro.md": INTRO + "\n## Law {#law}\n\n## Other law {#law}\n"},
     ['report/01-intro.md:9: anchor "{#law}" is given twice (first at report/01-intro.md:7)'], 1),
    ("local-file-link", {"01-intro.md": INTRO + "\nSee the [annex](annex.pdf) and [site](www.example.org).\n"},
     ['report/01-intro.md:7: warning: link "annex.pdf" leads to a file on this computer, which readers of '
      "the PDF and DOCX do not have: only its text is kept (link to the file's address on the web)",
      'report/01-intro.md:7: warning: link "www.example.org" has no "https://": write https://www.example.org '
      "(only its text is kept)"], 0),
    # 8. text pasted from a word processor
    ("indented-paragraph", {"01-intro.md": "# Introduction\n\nText.\n\n\tA paragraph indented by a tab.\n"},
     ["report/01-intro.md:5: warning: text indented by four spaces or a tab is shown as code (monospaced, "
      "not wrapped): remove the indentation, or fence code with ```"], 0),
    ("character-no-font-has", {"01-intro.md": INTRO + "\nThe law (中华人民共和国) and a 😀.\n"},
     ["report/01-intro.md:7: warning: \"中\" (U+4E2D CJK UNIFIED IDEOGRAPH-4E2D) and 7 other characters are in "
      "none of the style's fonts (Carlito, Liberation Mono): the PDF shows them in another installed font, "
      "or as boxes; add a font that has them to the style's fonts/ folder"], 0),
    ("character-in-a-comment-works", {"01-intro.md": INTRO + "\n<!-- 中文 -->\n"}, [], 0),
    # 9. notes
    ("note-in-caption", {"01-intro.md": INTRO + "\n![A chart[^c]](chart.png)\n\n[^c]: Source.\n",
                         "chart.png": (Path(__file__).parent / "reports/features/assets/cases.png").read_bytes()},
     ['report/01-intro.md:7: a note cannot stand in an image caption ("[^c]"): call it in the text '
      "before or after the image"], 1),
    ("note-label-case", {"01-intro.md": "# I\n\nText.[^UNWomen]\n\n[^unwomen]: UN Women.\n"},
     ['report/01-intro.md:3: note "[^UNWomen]" is not defined (did you mean "[^unwomen]"?)'], 1),
    # 10. drafts, stray files, placeholders
    ("no-heading", {"01-intro.md": "Text before any heading.\n"},
     ['report/01-intro.md:1: warning: the chapter has no "#" heading: start it with "# Title" '
      "(its title in the contents)"], 0),
    ("empty-chapter", {"report.toml": TOML.replace('"01-intro.md"', '"01-intro.md", "02-draft.md"'),
                       "01-intro.md": INTRO, "02-draft.md": ""},
     ["report/02-draft.md:1: warning: empty chapter file: it is left out until it has text"], 0),
    ("unlisted-chapter", {"01-intro.md": INTRO, "notes.md": "# Notes to self\n"},
     ['report/report.toml:3: warning: "notes.md" is in the report folder but not in chapters: add it to '
      "the list to build it, or move it out of the folder"], 0),
    ("placeholders", {"report.toml": TOML + '[[partners]]\nname = "[Partner organisation]"\n',
                      "01-intro.md": "# I\n\nA report on [Country], [sic].\n\n::: recommendation\n"
                                     "To be written.\n:::\n"},
     ['report/report.toml:5: warning: placeholder "[Partner organisation]" left from the template: '
      "write what it stands for",
      'report/01-intro.md:3: warning: placeholder "[Country]" left from the template: write what it stands for',
      'report/01-intro.md:6: warning: placeholder "To be written." left from the template: '
      "write what it stands for"], 0),
    # 11. report.toml
    ("negative-word-limit", {"report.toml": TOML + "word_limit = -5\n"},
     ['report/report.toml:4: "word_limit" must be a positive number of words (0 for no limit), not -5'], 1),
    ("toml-date-works", {"report.toml": TOML + "date = 2026-03-01\n"}, [], 0),
    ("curly-quotes", {"report.toml": TOML.replace('"T"', "“T”")},
     ["report/report.toml:1: TOML syntax error: the value is in curly quotes (“ ”), which TOML does not read "
      'as quotes: write straight ones, "like this" (a word processor or a phone types curly ones)'], 1),
    ("unknown-language", {"report.toml": TOML + 'language = "de"\n'},
     ["report/report.toml:4: \"language\" must be one of en, fr, es, ru (the languages reportkit has labels "
      "for), not 'de'"], 1),
    ("regional-language-works", {"report.toml": TOML + 'language = "fr-CH"\n'}, [], 0),
    ("title-under-a-table", {"report.toml": '# A report\n\nchapters = ["01-intro.md"]\n\n[[partners]]\n'
                                            'name = "P"\ntitle = "T"\n'},
     ['report/report.toml:7: unknown field "partners.title"',
      'report/report.toml:7: missing required field "title": this "title" belongs to the [[partners]] table '
      "above it; move it above the first [table]"], 1),
    ("title-missing", {"report.toml": '# A report\n\nchapters = ["01-intro.md"]\n'},
     ['report/report.toml:3: missing required field "title": add title = "…" at the top'], 1),
    # 12. headings where they cannot stand
    ("heading-in-list-item", {"01-intro.md": INTRO + "\n- item\n\n  ## Heading\n"},
     ["report/01-intro.md:9: a heading cannot stand inside a list item (leave an empty line before it, "
      "and start it at the beginning of the line)"], 1),
    ("heading-in-quote", {"01-intro.md": INTRO + "\n> ## Quoted heading\n"},
     ['report/01-intro.md:7: a heading cannot stand inside a block quote (remove the ">" before it)'], 1),
    # issue 13, 9: control characters
    ("control-characters", {"01-intro.md": "# T\n\nA\x0cB\n\n\x1b[31mred\x1b[0m and\x0bnext\x07.\n\nA\ufffe.\n"},
     ["report/01-intro.md:3: warning: control character U+000C FORM FEED replaced by a space",
      "report/01-intro.md:5: warning: control character U+001B ESCAPE removed, with the terminal colour code "
      "it starts",
      "report/01-intro.md:5: warning: control character U+000B LINE TABULATION replaced by a line break",
      "report/01-intro.md:5: warning: control character U+0007 BELL removed",
      "report/01-intro.md:7: warning: noncharacter U+FFFE removed"], 0),
]


@pytest.mark.parametrize("files, expected, code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_message(report_factory, monkeypatch, files, expected, code):
    lines, exit_code = check(report_factory, monkeypatch, files)
    assert lines == expected
    assert exit_code == code
    if code == 0 and expected:
        assert check(report_factory, monkeypatch, files, "--strict", name="strict")[1] == 1


def test_following_the_advice_for_an_unclosed_box(report_factory, monkeypatch):
    """Doing what the message says (a ::: before line 10) leaves nothing to fix."""
    lines = ["# Introduction", "", "Text.", "", "::: recommendation", "Act now.", "", "::: box Another",
             "Inside.", ":::"]
    _, code = check(report_factory, monkeypatch, {"01-intro.md": "\n".join(lines) + "\n"})
    assert code == 1
    fixed = lines[:7] + [":::"] + lines[7:]
    assert check(report_factory, monkeypatch, {"01-intro.md": "\n".join(fixed) + "\n"}, name="fixed") == ([], 0)


def test_a_note_label_that_differs_by_case_is_not_also_unused(report_factory, monkeypatch):
    lines, _ = check(report_factory, monkeypatch, {"01-intro.md": "# I\n\nA.[^Law] B.[^x]\n\n[^law]: L.\n"
                                                                  "[^x]: X.\n[^spare]: S.\n"})
    assert lines == ['report/01-intro.md:3: note "[^Law]" is not defined (did you mean "[^law]"?)',
                     'report/01-intro.md:7: note "[^spare]" is defined but never used']


CHAPTER = """\
# Introduction {#intro}

## First {#first} {-}

## Second {- #second}

## Fourth {-#fourth}

## Third {.class}

See the [annex](annex.pdf), [the first section](#first) and [the introduction](#intro).
[The second](#second) and [the fourth](#fourth) have anchors too.

Pasted from a word processor:
\u2022\tfirst item
\u2022\tsecond item

One line\u2028and the next.

A\x0cB and \x1b[1mbold\x1b[0m text\x01\ufffe.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[bytes, Path, str]:
    """The PDF and DOCX of a report holding the mistakes above that still build, and check's stderr."""
    folder = tmp_path_factory.mktemp("built") / "report"
    folder.mkdir()
    (folder / "report.toml").write_text(TOML.replace('chapters = ["01-intro.md"]\n', "") +
                                        "number_headings = true\ndate = 2026-03-01\n", encoding="utf-8")
    (folder / "01-intro.md").write_text(CHAPTER, encoding="utf-8", newline="")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTKIT_DOCX_PAGES", "0")
        result = run("build", folder)
    assert result.exit_code == 0, result.output
    return (folder / "build/report.pdf").read_bytes(), folder / "build/report.docx", result.stderr


def test_attributes_never_reach_the_heading_contents_or_bookmarks(built):
    pdf, docx, stderr = built
    assert "01-intro.md:9: warning: unknown heading attribute \"{.class}\" left out" in stderr
    text = "\n".join(page_texts(pdf))
    assert "{" not in text and "}" not in text
    assert [(b.level, b.title) for b in outline(pdf)] == [
        (1, "Contents"), (1, "1 Introduction"), (2, "First"), (2, "Second"), (2, "Fourth"), (2, "1.1 Third")]
    headings = [line for line in docx_text(docx).splitlines() if line.startswith(("[Heading", "[toc"))]
    assert headings == ["[toc 1] 1 Introduction", "[toc 2] First", "[toc 2] Second", "[toc 2] Fourth",
                        "[toc 2] 1.1 Third", "[Heading 1] 1 Introduction", "[Heading 2] First",
                        "[Heading 2] Second", "[Heading 2] Fourth", "[Heading 2] 1.1 Third"]
    assert "{" not in docx_text(docx)


def test_links_lead_to_anchors_and_never_to_the_authors_disk(built):
    pdf, docx, _ = built
    targets = [link.target for link in links(pdf)]
    assert not any("file:" in t or "annex" in t for t in targets)
    assert b"file:" not in pdf and b"annex.pdf" not in pdf
    assert {"first", "intro", "second", "fourth"} <= set(targets)
    sentence = "See the annex, the first section and the introduction. The second and the fourth have anchors too."
    assert f"[Normal] {sentence}" in docx_text(docx).splitlines()
    assert squash(sentence) in squash("".join(page_texts(pdf)))


def test_pasted_bullets_are_a_list_and_line_separators_break_lines(built):
    pdf, docx, _ = built
    body = docx_text(docx, markers=True).splitlines()
    assert "[List Bullet] • first item" in body and "[List Bullet] • second item" in body
    assert "[Normal] One line\nand the next." in "\n".join(body)
    text = "\n".join(page_texts(pdf))
    assert "\nfirst item\nsecond item\n" in text and text.count("\u2022") == 2  # the list's own bullets
    assert "One line \nand the next." in text  # the line keeps the space after its last word


def test_control_characters_are_dropped_alike_in_both_files(built):
    pdf, docx, stderr = built
    assert "01-intro.md:20: warning: control character U+000C FORM FEED replaced by a space" in stderr
    assert "[Normal] A B and bold text." in docx_text(docx)
    assert "A B and bold text." in "\n".join(page_texts(pdf))


def test_a_toml_date_is_shown_as_written(built):
    pdf, docx, _ = built
    assert "2026-03-01" in page_texts(pdf)[0]
    assert "2026-03-01" in docx_text(docx)
