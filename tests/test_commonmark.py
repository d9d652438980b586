"""Real-world Markdown: every CommonMark spec example and our footnote cases, each placed in a
chapter, either parses (and builds) or fails with our clear ``path:line: message``; none crashes.

The normal run takes a sample: the first example of each section of the spec (and the middle
one of the four sections with 40 or more), and every footnote case; each is rendered to HTML
and built as PDF and DOCX. ``pytest -m slow tests/test_commonmark.py`` runs every other case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportkit.build import build, load
from reportkit.errors import ReportError
from reportkit.themes import load_theme
from reportkit.writers import Options
from reportkit.writers.html import render as render_html

DATA = Path(__file__).parent / "data"
SPEC = json.loads((DATA / "commonmark.json").read_text(encoding="utf-8"))
FOOTNOTES = [case.split("\n", 1) for case in
             (Path(__file__).parent / "fixtures" / "footnotes.md").read_text(encoding="utf-8").split("\n%%%\n")[1:]]
SECTIONS = {e["section"]: [x for x in SPEC if x["section"] == e["section"]] for e in SPEC}
CHOSEN = {examples[i]["example"] for examples in SECTIONS.values()
          for i in ({0, len(examples) // 2} if len(examples) >= 40 else {0})}
CASES = [(f"spec-{e['example']} {e['section']}", e["markdown"], e["example"] in CHOSEN) for e in SPEC] + [
    (f"footnote-{title[:30]}", body, True) for title, body in FOOTNOTES]
PARAMS = [pytest.param(markdown, id=name, marks=() if chosen else pytest.mark.slow)
          for name, markdown, chosen in CASES]
THEME = load_theme("default")


def _report(tmp_path: Path, markdown: str) -> Path:
    (tmp_path / "report.toml").write_text('title = "Example"\ncreated = 2026-01-01\n', encoding="utf-8")
    (tmp_path / "c.md").write_text(markdown, encoding="utf-8")
    return tmp_path


def _clear(err: ReportError, folder: Path) -> None:
    """Our errors name a file of the report (and a line when there is one)."""
    for problem in err.problems:
        assert problem.message and "\n" not in problem.message
        assert problem.pos is not None and Path(problem.pos.path).parent == folder, str(problem)


def test_cases_were_read():
    assert len(SPEC) == 652 and len(FOOTNOTES) == 16
    assert len(SECTIONS) == 26 and len(CHOSEN) == 30


@pytest.mark.parametrize("markdown", PARAMS)
def test_parses_and_renders_html_or_fails_clearly(tmp_path, markdown):
    folder = _report(tmp_path, markdown)
    try:
        report, _ = load(folder)
    except ReportError as err:
        _clear(err, folder)
        return
    html = render_html(report, THEME, Options()).data.decode()
    assert "<script" not in html.lower()


def _builds_or_fails_clearly(tmp_path: Path, markdown: str, monkeypatch) -> None:
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = _report(tmp_path, markdown)
    try:
        written = build(folder, formats=("pdf", "docx")).outputs
    except ReportError as err:
        _clear(err, folder)
        assert not (folder / "build" / f"{folder.name}.pdf").exists()
        return
    assert [w.path.suffix for w in written] == [".pdf", ".docx"]


@pytest.mark.parametrize("markdown", PARAMS)
def test_builds_both_formats_or_fails_clearly(tmp_path, markdown, monkeypatch):
    _builds_or_fails_clearly(tmp_path, markdown, monkeypatch)
