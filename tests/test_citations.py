"""Sources and citations: ``[@id]`` in notes prints the full form, "Ibid." or a short form; check
and ``reportkit sources`` report on the sources file.

The sample's citation version (tests/reports/kyrgyzstan-citations) is built once, and its PDF and
DOCX notes are compared with the notes of the sample as published (reports/kyrgyzstan-2013).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLE, TESTS, run
from docxutil import footnotes_text
from pdfutil import page_texts, squash

from reportkit.build import build, check, load_report
from reportkit.model import plain_text
from reportkit.transforms import notes

CITATIONS = TESTS / "reports" / "kyrgyzstan-citations"

CHOSEN = {
    9: "Ibid.",  # the original repeats note 8's source in full
    10: "OHCHR, Kyrgyz Republic: “Many actors, many actions, but vulnerable children still at risk of "
        "exploitation,” says UN expert. Accessible at: "
        "http://www.ohchr.org/en/NewsEvents/Pages/DisplayNews.aspx?NewsID=13268&LangID=E",
    # (the original also gives note 6's address first, pasted by mistake: a source has one address)
    13: "ECPAT International, Global monitoring status.",
    14: "Committee on the Rights of the Child, concluding observations: Kyrgyzstan.",
    15: "United States Department of State, 2013 Trafficking in Persons Report.",
    20: "UNFPA, child marriages KYRGYZSTAN.",  # note 19 cites nothing: a short form, not "Ibid."
    22: "Ibid.",  # the original repeats note 20's source in full after note 21's "Ibid."
    24: "United States Department of State, 2013 Trafficking in Persons Report.",
    25: "OHCHR, “Many actors, many actions”.",
}
"""The notes where the rule (full form first, "Ibid." right after, a short form later) prints
something else than the original's hand-typed note, and what it prints."""

FIRST_CITATIONS = [1, 3, 4, 5, 6, 8, 10, 12, 16, 23]
"""The notes citing a source for the first time."""


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def original() -> dict[int, str]:
    """Note number → the text the published sample's note prints."""
    return {n.number: plain_text(n.blocks) for n in notes(load_report(SAMPLE))}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("citations")
    return {w.path.suffix[1:]: w.path for w in build(CITATIONS, out).outputs}


@pytest.fixture(scope="module")
def docx_notes(built) -> dict[int, str]:
    return dict(footnotes_text(built["docx"]))


@pytest.fixture(scope="module")
def pdf_notes(built, original) -> dict[int, str]:
    """Note number → its text in the PDF (whitespace removed: lines break anywhere), found in
    order at the foot of the pages as "N. text"."""
    text = squash("".join(page_texts(built["pdf"].read_bytes())))
    found, start = {}, 0
    for number in sorted(original):
        expected = squash(f"{number}.{CHOSEN.get(number, original[number])}")
        at = text.find(expected, start)
        found[number] = expected[len(f"{number}."):] if at >= 0 else None
        start = at + len(expected) if at >= 0 else start
    return found


def test_each_note_prints_as_the_original_or_as_the_rule_chooses(original, docx_notes, pdf_notes):
    assert sorted(docx_notes) == sorted(original) == list(range(1, 26))
    for number, text in original.items():
        expected = CHOSEN.get(number, text)
        assert _words(docx_notes[number]) == _words(expected), f"DOCX note {number}"
        assert pdf_notes[number] == squash(expected), f"PDF note {number}"


def test_the_notes_that_differ_from_the_original_are_the_chosen_ones(original, docx_notes):
    differ = [n for n in sorted(original) if _words(docx_notes[n]) != _words(original[n])]
    assert differ == [9, 10, 13, 14, 15, 20, 22, 24, 25] == sorted(CHOSEN)


def test_first_citations_print_the_original_notes(original, docx_notes):
    same = [n for n in FIRST_CITATIONS if _words(docx_notes[n]) == _words(original[n])]
    assert same == [n for n in FIRST_CITATIONS if n != 10]
    # a line break written in a source's `full` form stays one, as in the original
    assert "Kyrgyzstan\nhttp://www2.ohchr.org/" in docx_notes[4] and "Kyrgyzstan\nhttp" in original[4]


def test_ibid_where_the_original_has_it(original, docx_notes, pdf_notes):
    ibid = [n for n, text in original.items() if text == "Ibid."]
    assert ibid == [17, 18, 21]
    assert [n for n, text in docx_notes.items() if text == "Ibid."] == [9, 17, 18, 21, 22]
    assert [n for n, text in pdf_notes.items() if text == "Ibid."] == [9, 17, 18, 21, 22]


def test_addresses_in_citations_are_links(built):
    from pdfutil import links

    unfpa = "http://unfpa.org/webdav/site/eeca/shared/documents/publications/Kyrgyzstan%20English.pdf"
    targets = {link.target for link in links(built["pdf"].read_bytes())}
    assert {unfpa, "http://www.state.gov/j/tip/rls/tiprpt/2013/210550.htm"} <= targets  # made, and from `full`
    with zipfile.ZipFile(built["docx"]) as docx:
        relations = docx.read("word/_rels/footnotes.xml.rels").decode()
    assert f'Target="{unfpa}"' in relations and 'Target="http://www.state.gov/j/tip/rls/tiprpt/2013/210550.htm"' in relations


# --- the rule, on small reports (no build) ---------------------------------------------------

SOURCES = '''\
[tip2013]
author = "United States Department of State"
title = "2013 Trafficking in Persons Report: Kyrgyz Republic"
year = 2013
url = "https://www.state.gov/tip2013"

[unfpa2012]
author = "UNFPA"
title = "Child marriage in Kyrgyzstan"
short = "Child marriage"
year = 2012
'''


def _notes(report_factory, chapter: str, sources: str = SOURCES, language: str = "", style: str = "") -> list[str]:
    files = {"01-intro.md": chapter, "02-findings.md": "# Summary {.summary}\n\nNothing cited.\n", "sources.toml": sources}
    if language:
        files["report.toml"] = (f'title = "T"\nlanguage = "{language}"\nchapters = ["01-intro.md", "02-findings.md"]\n'
                                + (f'style = "{style}"\n' if style else ""))
    root = report_factory(files)
    report, problems, _ = check(root)
    assert problems.warnings == []
    return [plain_text(n.blocks) for n in notes(report)]


def test_locators_several_citations_and_text_around(report_factory):
    chapter = ("# Intro\n\nOne.[^a] Two.[^b] Three.[^c] Four.[^d] Five.[^e] Six.[^f]\n\n"
               "[^a]: See [@tip2013, p. 12] and [@unfpa2012].\n"
               "[^b]: [@unfpa2012, p. 3]; also [@unfpa2012, p. 4].\n"
               "[^c]: [@unfpa2012, p. 4]\n"
               "[^d]: Compare [@tip2013, p. 12].\n"
               "[^e]: [@tip2013]\n"
               "[^f]: [@tip2013, p. 3]. More.\n")
    assert _notes(report_factory, chapter) == [
        "See United States Department of State, 2013 Trafficking in Persons Report: Kyrgyz Republic, 2013, "
        "p. 12. Accessible at: https://www.state.gov/tip2013 and UNFPA, Child marriage in Kyrgyzstan, 2012.",
        "UNFPA, Child marriage, p. 3; also Ibid., p. 4.",
        "Ibid.",
        "Compare United States Department of State, 2013 Trafficking in Persons Report, p. 12.",
        "Ibid.",
        "Ibid., p. 3. More.",
    ]


@pytest.mark.parametrize("language, ibid, accessed", [
    ("fr", "Ibid., p. 2.", "Consulté le 20 juillet 2011 sur\u00a0: https://x.org/a"),
    ("es", "Ibíd., p. 2.", "Consultado el 20 de julio de 2011 en: https://x.org/a"),
    ("ru", "Там же, p. 2.", "Дата обращения: 20 июля 2011. Режим доступа: https://x.org/a"),
])
def test_words_follow_the_report_language(report_factory, language, ibid, accessed):
    sources = '[web]\nauthor = "A"\ntitle = "Page"\nurl = "https://x.org/a"\naccessed = 2011-07-20\n'
    chapter = "# Intro\n\nA.[^a] B.[^b]\n\n[^a]: [@web]\n[^b]: [@web, p. 2]\n"
    assert _notes(report_factory, chapter, sources, language) == [f"A, Page. {accessed}", ibid]


def test_op_cit_when_the_style_asks(report_factory, tmp_path):
    chapter = ("# Intro\n\nA.[^a] B.[^b] C.[^c]\n\n[^a]: [@tip2013]\n[^b]: [@unfpa2012]\n"
               "[^c]: [@tip2013, p. 7]\n")
    files = {"01-intro.md": chapter, "02-findings.md": "# Findings\n\nText.\n", "sources.toml": SOURCES,
             "styles/opcit/theme.toml": 'inherit = "default"\n\n[citations]\nlater = "op-cit"\n',
             "report.toml": 'title = "T"\nstyle = "opcit"\nchapters = ["01-intro.md", "02-findings.md"]\n'}
    report, _, _ = check(report_factory(files))
    assert plain_text(notes(report)[2].blocks) == "United States Department of State, op. cit., p. 7."


def test_a_citation_in_body_text_gets_a_note_of_its_own(report_factory):
    chapter = "# Intro\n\nAs reported [@tip2013, p. 4]. Then a note.[^a]\n\n[^a]: Ibid. by hand.\n"
    root = report_factory({"01-intro.md": chapter, "02-findings.md": "# Findings\n\nAs [@unfpa2012] says.\n",
                           "sources.toml": SOURCES})
    report, _, _ = check(root)
    paragraph = report.chapters[0].blocks[0].blocks[0]
    assert plain_text(paragraph) == "As reported. Then a note."
    assert [(n.number, plain_text(n.blocks)) for n in notes(report)] == [
        (1, "United States Department of State, 2013 Trafficking in Persons Report: Kyrgyz Republic, 2013, "
            "p. 4. Accessible at: https://www.state.gov/tip2013"),
        (2, "Ibid. by hand."),
        (3, "UNFPA, Child marriage in Kyrgyzstan, 2012."),
    ]
    assert plain_text(report.chapters[1].blocks[0].blocks[0]) == "As says."


def test_csl_json_sources(report_factory):
    sources = '''[
  {"id": "tip2013", "type": "report", "title": "2013 Trafficking in Persons Report",
   "author": [{"literal": "United States Department of State"}], "issued": {"date-parts": [[2013]]},
   "URL": "https://www.state.gov/tip2013", "accessed": {"date-parts": [[2014, 1, 5]]}},
  {"id": "smith", "type": "book", "title": "Children: a study", "title-short": "Children",
   "author": [{"family": "Smith", "given": "Jane"}], "publisher": "UNICEF", "issued": {"date-parts": [["2010"]]}}
]
'''
    chapter = "# Intro\n\nA.[^a] B.[^b] C.[^c]\n\n[^a]: [@tip2013]\n[^b]: [@smith, p. 9]\n[^c]: [@smith, p. 9]\n"
    root = report_factory({"01-intro.md": chapter, "sources.json": sources})
    report, problems, _ = check(root)
    assert [plain_text(n.blocks) for n in notes(report)][:4] == [
        "United States Department of State, 2013 Trafficking in Persons Report, 2013. Accessed on 5 January 2014 "
        "from: https://www.state.gov/tip2013",
        "Jane Smith, Children: a study, UNICEF, 2010, p. 9.",
        "Ibid.",
        "The second note, defined in the second chapter.",
    ]


# --- check -----------------------------------------------------------------------------------


@pytest.mark.parametrize("files, messages, code", [
    ({"01-intro.md": "# Intro\n\nText.[^a]\n\n[^a]: [@tip2031, p. 3]\n"},
     ['report/01-intro.md:5: unknown source "tip2031" (did you mean "tip2013"?)'], 1),
    ({"01-intro.md": "# Intro\n\nText.[^a]\n\n[^a]: [@unfpa2012]\n"},
     ['report/sources.toml:1: warning: source "tip2013" is never cited (cite it in a note as [@tip2013], or remove it)'], 0),
    ({"sources.toml": SOURCES.replace('year = 2012', 'year = "2012'), "01-intro.md": "# I\n\nT.[^a]\n\n[^a]: [@tip2013]\n"},
     ["report/sources.toml:11: TOML syntax error: Illegal character '\\n'"], 1),
    ({"sources.toml": SOURCES.replace('short =', 'shrot ='), "01-intro.md": "# I\n\nT.[^a]\n\n[^a]: [@tip2013]\n"},
     ['report/sources.toml:10: unknown source field "unfpa2012.shrot" (did you mean "unfpa2012.short"?)'], 1),
    ({"sources.toml": None, "sources.json": '[\n  {"id": "a", "title": "A"},\n  {"id": "b" "title": "B"}\n]\n',
      "01-intro.md": "# I\n\nT.[^a]\n\n[^a]: [@a]\n"},
     ["report/sources.json:3: JSON syntax error: Expecting ',' delimiter"], 1),
    ({"sources.toml": None, "sources.json": '[\n  {"id": "a", "title": "A"},\n  {"title": "B"}\n]\n',
      "01-intro.md": "# I\n\nT.[^a]\n\n[^a]: [@a]\n"},
     ['report/sources.json:3: source without an "id" (the name notes cite it by: [@id])'], 1),
    ({"sources.toml": None, "01-intro.md": "# I\n\nT.[^a]\n\n[^a]: [@a]\n"},
     ['report/01-intro.md:5: unknown source "a": the report has no sources file (list its sources in '
      "sources.toml or sources.json in the report folder)"], 1),
])
def test_check_reports_sources_problems_at_their_line(report_factory, files, messages, code):
    root = report_factory({k: v for k, v in {"sources.toml": SOURCES, **files}.items() if v is not None})
    result = run("check", root)
    lines = [line.replace(str(root.parent) + "/", "") for line in result.stderr.splitlines()]
    assert lines == messages
    assert result.exit_code == code


# --- reportkit sources -----------------------------------------------------------------------


def test_sources_lists_each_source_with_the_notes_citing_it():
    result = run("sources", CITATIONS)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[::2] == [
        "unwomen2013: note 1", "tip2012: note 3", "crc2007: notes 4, 14", "eudialogue2011: note 5",
        "ecpat2011: notes 6, 13", "tip2013: notes 8, 9, 15, 24", "ohchr2013: notes 10, 25",
        "ecpatict2011: note 12", "unfpa2012: notes 16, 17, 18, 20, 21, 22", "iom2013: note 23",
    ]
    assert lines[11] == ("  United States Department of State. 2013 Trafficking in Persons Report – Kyrgyz Republic. "
                         "http://www.state.gov/j/tip/rls/tiprpt/2013/210550.htm")


def test_sources_as_csv_and_never_cited_last(report_factory):
    root = report_factory({"sources.toml": SOURCES, "01-intro.md": "# I\n\nT.[^a]\n\n[^a]: [@unfpa2012, p. 2]\n"})
    result = run("sources", root, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "id,notes,author,title,year,url,full",
        "unfpa2012,1,UNFPA,Child marriage in Kyrgyzstan,2012,,\"UNFPA, Child marriage in Kyrgyzstan, 2012.\"",
        "tip2013,,United States Department of State,2013 Trafficking in Persons Report: Kyrgyz Republic,2013,"
        "https://www.state.gov/tip2013,\"United States Department of State, 2013 Trafficking in Persons Report: "
        "Kyrgyz Republic, 2013. Accessible at: https://www.state.gov/tip2013\"",
    ]
    assert run("sources", root).stdout.splitlines()[2] == "tip2013: never cited"


def test_the_sample_stays_as_published():
    for path in CITATIONS.glob("*.md"):
        original = (SAMPLE / path.name).read_text(encoding="utf-8")
        assert "[@" not in original
        body = [line for line in path.read_text(encoding="utf-8").split("\n") if not re.match(r"\[\^|    ", line)]
        assert body == [line for line in original.split("\n") if not re.match(r"\[\^|    ", line)], path.name


def test_a_new_report_from_one_with_sources_keeps_them(tmp_path):
    result = run("new", tmp_path / "next", "--from", CITATIONS)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "next" / "sources.toml").read_bytes() == (CITATIONS / "sources.toml").read_bytes()
    assert run("check", tmp_path / "next").exit_code == 0


def test_review_of_the_built_docx_sees_no_change_in_citations(built):
    """The citations print from the sources file: a reviewed DOCX compares with them, not with
    the [@id] written in the notes (which review would otherwise offer to replace)."""
    result = run("review", built["docx"], CITATIONS)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "0 changes, 0 comments",
        "0 can be applied (--apply), 0 to do by hand, 0 in conflict, 0 not applicable"]


def test_sources_of_a_report_without_a_sources_file(report_factory):
    root = report_factory()
    result = run("sources", root)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"{root}: no sources file (sources.toml or sources.json)\n"


def test_only_a_citation_key_is_a_citation(report_factory):
    chapter = "# Intro\n\nA.[^a] B.[^b]\n\n[^a]: [@tip2013]; see [@*] and [@tip2013.] as typed.\n[^b]: [@unfpa2012]\n"
    assert _notes(report_factory, chapter)[0].endswith("; see [@*] and [@tip2013.] as typed.")


def test_several_citations_in_one_bracket_as_pandoc_writes_them(report_factory):
    chapter = ("# Intro\n\nA.[^a] B.[^b] As both say [@unfpa2012; @tip2013, p. 9].\n\n"
               "[^a]: [@tip2013, p. 12; @unfpa2012, p. 3]\n"
               "[^b]: [@unfpa2012, p. 3; see also]\n")
    assert _notes(report_factory, chapter) == [
        "United States Department of State, 2013 Trafficking in Persons Report: Kyrgyz Republic, 2013, "
        "p. 12. Accessible at: https://www.state.gov/tip2013; UNFPA, Child marriage in Kyrgyzstan, 2012, p. 3.",
        "UNFPA, Child marriage, p. 3; see also.",  # a semicolon not followed by "@" belongs to the locator
        "Ibid.; United States Department of State, 2013 Trafficking in Persons Report, p. 9.",
    ]
