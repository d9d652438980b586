"""Parsing chapters into the model: fixture cases (title / source / expected dump) in fixtures/.

The fixture file uses markdown-it-py's format: title, source and expected ``dump()`` of the
chapter's blocks, each followed by a line holding a lone ".". When the model changes on
purpose, regenerate the expected parts and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reportkit.build import load
from reportkit.model import dump

FIXTURES = Path(__file__).parent / "fixtures" / "parse.txt"


def read_fixtures(path: Path) -> list[tuple[str, str, str]]:
    chunks, current = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line == ".":
            chunks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    return [tuple(chunks[i:i + 3]) for i in range(0, len(chunks) - 2, 3)]


def parse_chapter(folder: Path, source: str) -> str:
    (folder / "report.toml").write_text('title = "T"\nnumber_headings = true\n', encoding="utf-8")
    (folder / "c.md").write_text(source + "\n", encoding="utf-8")
    report, _ = load(folder)
    return dump(report.chapters[0].blocks)


CASES = read_fixtures(FIXTURES)


@pytest.mark.parametrize("title, source, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_fixture(tmp_path, title, source, expected):
    assert parse_chapter(tmp_path, source) == expected


def test_every_fixture_was_read():
    assert len(CASES) == 7 and all(expected for _, _, expected in CASES)


def test_crlf_and_bom_parse_like_lf(tmp_path):
    source = "# C\n\nOne line\nand the next.[^a]\n\n[^a]: A note.\n"
    plain = parse_chapter(tmp_path, source)
    (tmp_path / "c.md").write_bytes(b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode())
    report, _ = load(tmp_path)
    assert dump(report.chapters[0].blocks) == plain


def test_note_defined_in_another_chapter(tmp_path):
    (tmp_path / "report.toml").write_text('title = "T"\n', encoding="utf-8")
    (tmp_path / "a.md").write_text("# A\n\nCall.[^x]\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# B\n\nSecond.[^y]\n\n[^x]: Defined in b.\n[^y]: Y.\n", encoding="utf-8")
    report, _ = load(tmp_path)
    assert "Note(id='x', number=1)" in dump(report.chapters[0].blocks)
    assert "Text(text='Defined in b.')" in dump(report.chapters[0].blocks)
    assert "Note(id='y', number=2)" in dump(report.chapters[1].blocks)


def test_html_comments_are_dropped_silently(tmp_path):
    got = parse_chapter(tmp_path, "# C\n\n<!-- Guidance: describe\nthe law. -->\n\nText<!-- aside --> here.")
    report, problems = load(tmp_path)
    assert problems.items == []
    assert "Guidance" not in got and "aside" not in got
    assert "Text(text='Text here.')" in got


@pytest.mark.parametrize("language, expected", [
    ("en", "\u201cNew Generation\u201d, the Committee\u2019s"),
    ("fr", "«\u00a0New Generation\u00a0», the Committee\u2019s"),
    ("es", "«New Generation», the Committee\u2019s"),
    ("ru", "«New Generation», the Committee\u2019s"),
])
def test_quotation_marks_follow_the_language(tmp_path, language, expected):
    (tmp_path / "report.toml").write_text(f'title = "T"\nlanguage = "{language}"\n', encoding="utf-8")
    (tmp_path / "c.md").write_text("# C\n\n\"New Generation\", the Committee's `\"code\"`\n", encoding="utf-8")
    report, _ = load(tmp_path)
    text, code = report.chapters[0].blocks[0].blocks[0].content
    assert text.text == expected + " "
    assert code.text == '"code"'  # code is never touched
