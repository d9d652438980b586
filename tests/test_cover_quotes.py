"""Straight quotes in what the cover prints from report.toml become the report language's, as
in the chapters' text: in the PDF's cover and the DOCX's alike."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from conftest import make_report, run
from pdfutil import reader

TOML = """title = "The \\"Family Code\\" and the state's duty"
subtitle = "A 'shadow' report"
authors = ["The \\"Equal Rights\\" Coalition"]
date = "July 2013"
created = 2026-11-01
language = "{language}"
toc_depth = 0
chapters = ["01-intro.md"]

[[partners]]
name = "Partner NGO"
description = "Members of the \\"Women's Forum\\" network"
"""

BODY = """# Introduction

The "Family Code" and the state's duty.
"""

EXPECTED = {
    "en": ("The \u201cFamily Code\u201d and the state\u2019s duty", "A \u2018shadow\u2019 report",
           "The \u201cEqual Rights\u201d Coalition", "Members of the \u201cWomen\u2019s Forum\u201d network"),
    "fr": ("The «\u00a0Family Code\u00a0» and the state\u2019s duty", "A \u2039\u00a0shadow\u00a0\u203a report",
           "The «\u00a0Equal Rights\u00a0» Coalition", "Members of the «\u00a0Women\u2019s Forum\u00a0» network"),
    "ru": ("The «Family Code» and the state\u2019s duty", "A \u201eshadow\u201c report",
           "The «Equal Rights» Coalition", "Members of the «Women\u2019s Forum» network"),
}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def built(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes, Path]:
    language = request.param
    tmp = tmp_path_factory.mktemp(f"cover-{language}")
    folder = make_report(tmp, files={"report.toml": TOML.format(language=language), "01-intro.md": BODY,
                                     "02-findings.md": None})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPORTKIT_DOCX_PAGES", "0")
        result = run("build", folder, "--format", "pdf,docx")
    assert result.exit_code == 0, result.output
    return language, (folder / "build" / "report.pdf").read_bytes(), folder / "build" / "report.docx"


def test_the_pdf_cover_prints_the_languages_quotes(built) -> None:
    language, pdf, _ = built
    assert reader(pdf).metadata.title == EXPECTED[language][0]
    # The PDF's text shows a no-break space (French quotes hold one) as a space.
    title, subtitle, author, description = (e.replace("\u00a0", " ") for e in EXPECTED[language])
    cover = reader(pdf).pages[0].extract_text().splitlines()
    assert cover[:3] == [title, subtitle, author]
    assert description in cover
    assert '"' not in "".join(cover) and "'" not in "".join(cover)
    body = reader(pdf).pages[1].extract_text()
    assert title + "." in body  # the same words in the chapter, quoted the same way


def test_the_docx_cover_prints_the_languages_quotes(built) -> None:
    language, _, path = built
    title, subtitle, author, description = EXPECTED[language]
    document = docx.Document(str(path))
    shown = {p.style.name: p.text for p in document.paragraphs[:8]}
    assert shown["Title"] == title
    assert shown["Subtitle"] == subtitle
    assert shown["Cover Author"] == author
    assert shown["Cover Partner Description"] == description
    assert f"{title}." in [p.text for p in document.paragraphs]
    assert document.core_properties.title == title
