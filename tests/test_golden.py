"""Golden files: what the features report and the minimal report become, as text a reviewer reads.

For each report, ``tests/golden/`` holds its model dump (``NAME.model.txt``), its HTML
(``NAME.html``: file URLs relative to the repository or the style folder, a line end after
each block), its DOCX read back (``NAME.docx.txt``: ``[Style] text`` a paragraph, tables a
row a line, list markers, then the notes) and its PDF text page by page (``NAME.pdf.txt``).
A change in any output shows as a diff; ``pytest --update-golden tests/test_golden.py``
rewrites them after an intended change.

The DOCX is built without LibreOffice's page numbers (``REPORTKIT_DOCX_PAGES=0``), so the
golden text is the same whether LibreOffice is installed or not: the numbers it writes depend
on its version and on the fonts installed on the machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT, TESTS
from docxutil import docx_text, footnotes_text
from pdfutil import pdf_text

from reportkit.build import build, creation_date, load_report
from reportkit.model import dump
from reportkit.themes import Theme, load_theme
from reportkit.writers import Options
from reportkit.writers.html import document

REPORTS = ["minimal", "features"]


def _folder(name: str) -> Path:
    return TESTS / "reports" / name


def _portable(text: str) -> str:
    """Text with the repository's folder taken out of the paths it names."""
    for folder in {str(ROOT), str(ROOT.resolve())}:
        text = text.replace(f"{folder}/", "")
    return text


def _url(theme: Theme):
    """File URLs as the golden files show them: ``styles/NAME/…`` for a style's files (wherever
    reportkit is installed), else relative to the repository."""
    def url(path: Path) -> str:
        path = Path(path).resolve()
        for folder in theme.dirs:
            if path.is_relative_to(folder.resolve()):
                return f"styles/{folder.name}/{path.relative_to(folder.resolve())}"
        return _portable(str(path))
    return url


def _lines(html: str) -> str:
    """HTML with a line end after each block's closing tag, so a diff shows the block that changed."""
    html = re.sub(r"(</(?:p|h[1-6]|li|ul|ol|tr|thead|tbody|table|aside|figure|blockquote|pre|section|nav|main)>|<hr>)"
                  r"(?!\n)", "\\1\n", html)
    return html if html.endswith("\n") else html + "\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Each report's PDF and DOCX (the DOCX without LibreOffice's page numbers)."""
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTKIT_DOCX_PAGES", "0")
        for name in REPORTS:
            written = build(_folder(name), tmp_path_factory.mktemp(name), formats=("pdf", "docx")).outputs
            out[name] = {w.path.suffix[1:]: w.path.read_bytes() for w in written}
    return out


@pytest.mark.parametrize("name", REPORTS)
def test_model(name, golden):
    report = load_report(_folder(name))
    golden(f"{name}.model.txt", _portable(f"{dump(report.meta)}\n{dump(report)}\n"))


@pytest.mark.parametrize("name", REPORTS)
def test_html(name, golden):
    folder = _folder(name)
    report = load_report(folder)
    theme = load_theme(report.meta.style, folder)
    html = document(report, theme, Options(created=creation_date(report, folder)), _url(theme))
    golden(f"{name}.html", _lines(html))


@pytest.mark.parametrize("name", REPORTS)
def test_docx(name, built, golden):
    data = built[name]["docx"]
    notes = [f"[^{number}] {text}" for number, text in footnotes_text(data)]
    golden(f"{name}.docx.txt", "\n".join([docx_text(data, rows=True, markers=True), "=== notes ===", *notes]) + "\n")


@pytest.mark.parametrize("name", REPORTS)
def test_pdf(name, built, golden):
    golden(f"{name}.pdf.txt", pdf_text(built[name]["pdf"]) + "\n")


def test_two_builds_write_the_same_bytes(tmp_path):
    """Rebuilding unchanged sources gives identical files (LibreOffice's page numbers included
    when it is installed). The sample's renders are compared in test_pdf.py and test_docx.py."""
    folder = _folder("features")
    first = build(folder, tmp_path / "first", formats=("pdf", "docx")).outputs
    second = build(folder, tmp_path / "second", formats=("pdf", "docx")).outputs
    for a, b in zip(first, second, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes(), a.path.name
