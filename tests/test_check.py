"""``reportkit check``: every error and warning as ``path:line: message``, figures, exit codes."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLE, run

MINIMAL_TOML = """\
title = "Minimal report"
authors = ["Test Coalition"]
created = 2026-11-01
chapters = ["01-intro.md", "02-findings.md"]
"""

INTRO = "# Introduction\n\nText.[^first]\n\n[^first]: The first note.\n"

# One row per problem: (case id, files to change, expected stderr lines, exit code).
# Paths are relative to the folder the command runs in; the report is "report/".
CASES = [
    ("toml-syntax", {"report.toml": 'title = "Minimal\nchapters = []\n'},
     ["report/report.toml:1: TOML syntax error: Illegal character '\\n'"], 1),
    ("unknown-field", {"report.toml": MINIMAL_TOML + 'titel = "x"\n'},
     ['report/report.toml:5: unknown field "titel" (did you mean "title"?)'], 1),
    ("mistyped-field", {"report.toml": MINIMAL_TOML + 'toc_depth = "two"\n'},
     ["report/report.toml:5: \"toc_depth\" must be a whole number, not a string ('two')"], 1),
    ("bad-choice", {"report.toml": MINIMAL_TOML + 'notes = "sidenotes"\n'},
     ["report/report.toml:5: \"notes\" must be one of footnotes, endnotes, not 'sidenotes'"], 1),
    ("all-at-once", {"report.toml": MINIMAL_TOML + 'colour = "red"\nnumber_headings = "yes"\n'},
     ['report/report.toml:5: unknown field "colour"',
      "report/report.toml:6: \"number_headings\" must be true or false, not a string ('yes')"], 1),
    ("missing-title", {"report.toml": 'chapters = ["01-intro.md", "02-findings.md"]\n'},
     ['report/report.toml:1: missing required field "title": add title = "…" at the top'], 1),
    ("missing-chapter", {"02-findings.md": None},
     ['report/report.toml:7: chapter "02-findings.md" not found'], 1),
    ("undefined-note", {"01-intro.md": "# Introduction\n\nText.[^first]\n\nMore.[^nowhere]\n\n[^first]: A.\n"},
     ['report/01-intro.md:5: note "[^nowhere]" is not defined'], 1),
    ("unused-note", {"01-intro.md": INTRO + "\n[^spare]: Never called.\n"},
     ['report/01-intro.md:7: note "[^spare]" is defined but never used'], 1),
    ("note-twice", {"01-intro.md": INTRO + "\n[^first]: Again.\n"},
     ['report/01-intro.md:7: note "[^first]" is defined twice (first at report/01-intro.md:5)'], 1),
    ("unknown-box", {"01-intro.md": INTRO + "\n::: recomendation\nAct.\n:::\n"},
     ['report/01-intro.md:7: unknown box kind "recomendation" (did you mean "recommendation"?)'], 1),
    ("box-not-closed", {"01-intro.md": INTRO + "\n::: recommendation\nAct.\n"},
     ['report/01-intro.md:7: box "recommendation" is never closed (add a line with :::)'], 1),
    ("not-utf8", {"01-intro.md": "# Introduction\n\nCaf\xe9 au lait.\n".encode("latin-1")},
     ["report/01-intro.md:3: not UTF-8 text (byte 19); save the file as UTF-8"], 1),
    ("heading-skipped", {"01-intro.md": "# Introduction\n\n### Too deep\n\nText.[^first]\n\n[^first]: A.\n"},
     ["report/01-intro.md:3: warning: heading level skipped (### after #)"], 0),
    ("empty-box", {"01-intro.md": INTRO + "\n::: box Nothing here\n:::\n"},
     ["report/01-intro.md:7: warning: empty box box"], 0),
    ("raw-html", {"01-intro.md": INTRO + "\nSee <b>this</b>.\n"},
     ["report/01-intro.md:7: warning: raw HTML is not supported; it is kept as text",
      "report/01-intro.md:7: warning: raw HTML is not supported; it is kept as text"], 0),
    ("over-word-limit", {"report.toml": MINIMAL_TOML + "word_limit = 10\n"},
     ["report/report.toml:5: warning: 28 words over the word limit of 10"], 0),
]


@pytest.mark.parametrize("files, expected, code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem(report_factory, monkeypatch, files, expected, code):
    folder = report_factory(files)
    monkeypatch.chdir(folder.parent)
    result = run("check", "report")
    assert result.stderr.splitlines() == expected
    assert result.exit_code == code
    assert "Traceback" not in result.output


def test_strict_makes_warnings_fatal(report_factory, monkeypatch):
    folder = report_factory({"01-intro.md": INTRO + "\n::: box\n:::\n"})
    monkeypatch.chdir(folder.parent)
    assert run("check", "report").exit_code == 0
    strict = run("check", "--strict", "report")
    assert strict.exit_code == 1
    assert strict.stdout.splitlines()[0] == "report: failed (1 warning, fatal with --strict)"
    assert run("check", "report").stdout.splitlines()[0] == "report: ok"


def test_usage_error_exits_2(tmp_path):
    result = run("check", str(tmp_path / "no-such-folder"))
    assert result.exit_code == 2
    assert run("check", "--no-such-option", str(tmp_path)).exit_code == 2


def test_not_a_report_folder(tmp_path):
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{tmp_path} has no report.toml (is this a report folder?)"


def test_check_writes_nothing(report_factory):
    folder = report_factory()
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    assert run("check", folder).exit_code == 0
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before


def test_json_problems(report_factory, monkeypatch):
    folder = report_factory({"01-intro.md": INTRO + "\n::: recomendation\nAct.\n:::\n"})
    monkeypatch.chdir(folder.parent)
    result = run("check", "--json", "report")
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    assert data["errors"] == [{"path": "report/01-intro.md", "line": 7,
                               "message": 'unknown box kind "recomendation" (did you mean "recommendation"?)'}]


def test_sample_figures():
    result = run("check", SAMPLE)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "  chapters:             6" in lines
    assert "  notes:                25" in lines
    assert "  recommendations:      14 in 12 boxes" in lines
    assert "  good-practice boxes:  1" in lines
    words = next(line for line in lines if line.startswith("  words:"))
    assert " body + " in words and " notes = " in words


def test_sample_json_matches_text():
    data = json.loads(run("check", "--json", SAMPLE).stdout)
    figures = data["figures"]
    assert data["ok"] is True and data["errors"] == [] and data["warnings"] == []
    assert (figures["chapters"], figures["notes"], figures["recommendation_boxes"],
            figures["recommendations"], figures["good_practice_boxes"]) == (6, 25, 12, 14, 1)
    words = figures["words"]
    assert words["body"] > 3000 and words["notes"] > 400
    assert words["total"] == words["body"] + words["notes"]
    text = run("check", SAMPLE).stdout
    assert f"{words['body']:,} body + {words['notes']:,} notes = {words['total']:,}" in text


def test_word_limit_margin(report_factory):
    folder = report_factory({"report.toml": MINIMAL_TOML + "word_limit = 100\ncount_notes = false\n"})
    result = run("check", folder)
    assert "(limit 100 without notes: 73 under)" in result.stdout


def test_annexes_are_left_out_of_the_word_count_and_check_shows_words_per_chapter(report_factory, monkeypatch):
    files = {"report.toml": 'title = "T"\nword_limit = 10\nnumber_paragraphs = true\n'
                            'chapters = ["01-intro.md", "02-annex.md"]\n',
             "01-intro.md": "# Intro\n\nOne two three.[^n]\n\n## Sources {.annex}\n\nFour five six seven.\n\n"
                            "### Lists\n\nEight nine.[^m]\n\n[^n]: Note words.\n[^m]: Annex note.\n",
             "02-annex.md": "# Annex: interviews {.annex -}\n\nMany many many words in the annex.\n"}
    folder = report_factory(files)
    monkeypatch.chdir(folder.parent)
    result = run("check", "report")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "report: ok"
    assert "  words:                4 body + 2 notes = 6 (limit 10 with notes: 4 under)" in lines
    assert lines[lines.index("  words:                4 body + 2 notes = 6 (limit 10 with notes: 4 under)") + 1:][:2] == [
        "    report/01-intro.md: 4", "    report/02-annex.md: 0"]
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    assert run("build", "report").exit_code == 0
    from docxutil import docx_text

    body = docx_text(folder / "build" / "report.docx", markers=True)
    assert "[Numbered Paragraph] One two three.[^1]" in body.splitlines()
    assert "[Normal] Four five six seven." in body.splitlines() and "[Normal] Eight nine.[^2]" in body.splitlines()
    from test_recommendations import layout_text

    lines = [" ".join(l.split()) for l in layout_text(folder / "build" / "report.pdf").splitlines()]
    assert "1. One two three.[1]" in lines  # the body's paragraph numbered (its note call pastes in brackets), the annex's not
    assert "Four five six seven." in lines and "Eight nine.[2]" in lines


def test_sections_figure_counts_sections_not_chapters(report_factory, monkeypatch):
    folder = report_factory({"01-intro.md": "# Intro\n\n## One\n\nText.\n\n### Two\n\nText.\n"})
    monkeypatch.chdir(folder.parent)
    result = run("check", "--json", "report")
    figures = json.loads(result.stdout)["figures"]
    assert (figures["chapters"], figures["sections"]) == (2, 3)  # One, Two and the second chapter's Law
    assert "  sections:             3" in run("check", "report").stdout.splitlines()
