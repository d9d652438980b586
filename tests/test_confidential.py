"""A confidential submission says so on its cover, in every page's footer and in the files'
properties, in the report's language; a public one (the default) prints nothing of it."""

from __future__ import annotations

import docx
import pytest

from conftest import make_report, run
from pdfutil import page_texts, reader, squash
from reportkit.build import build, load_report
from reportkit.themes import load_theme
from reportkit.writers import Options
from reportkit.writers.html import document

FRENCH = {"report.toml": (
    'title = "Rapport confidentiel"\n'
    'language = "fr"\n'
    'created = 2026-11-01\n'
    'confidentiality = "confidential"\n'
    'chapters = ["01-intro.md", "02-findings.md"]\n'
)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A French confidential report, built once into PDF and DOCX."""
    folder = make_report(tmp_path_factory.mktemp("confidential"), files=FRENCH)
    outputs = build(folder, folder / "out").outputs
    return outputs[0].path.read_bytes(), docx.Document(str(outputs[1].path))


def test_the_pdf_cover_footer_and_keywords_say_confidential(built):
    pdf, _ = built
    pages = page_texts(pdf)
    assert squash("Soumission confidentielle : ne pas publier") in squash(pages[0])
    assert "Confidentiel · Page" not in pages[0]  # the cover has no footer
    for number, text in enumerate(pages[1:], 2):
        assert f"Confidentiel · Page {number} sur {len(pages)}" in text
    assert "Confidentiel" in reader(pdf).metadata["/Keywords"]


def test_the_docx_cover_footer_and_properties_say_confidential(built):
    _, document_ = built
    assert document_.paragraphs[0].text == "Soumission confidentielle\u00a0: ne pas publier"
    footer = document_.sections[0].footer.paragraphs[0].text
    assert footer.startswith("Confidentiel · Page ")
    props = document_.core_properties
    assert props.category == props.content_status == "Confidentiel"
    assert props.keywords.split(", ")[0] == "Confidentiel"


def test_a_public_report_prints_nothing_of_it(tmp_path):
    folder = make_report(tmp_path)
    html = document(load_report(folder), load_theme("default"), Options())
    assert "Confidential" not in html and 'class="cover-confidential"' not in html
    assert 'content: "Page " counter(page) " of " counter(pages)' in html


def test_a_wrong_value_lists_the_allowed_ones(tmp_path):
    folder = make_report(tmp_path, files={"report.toml": 'title = "T"\nconfidentiality = "secret"\n'})
    result = run("check", folder)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].endswith(
        """report.toml:2: "confidentiality" must be one of public, confidential, not 'secret'""")


def test_new_copies_the_setting(tmp_path):
    source = make_report(tmp_path, files=FRENCH)
    assert run("new", tmp_path / "copy", "--from", source).exit_code == 0
    assert 'confidentiality = "confidential"' in (tmp_path / "copy" / "report.toml").read_text(encoding="utf-8")
