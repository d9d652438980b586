"""Reports in other languages: labels from the catalogue, Cyrillic text intact in both formats."""

from __future__ import annotations

import pytest

from conftest import TESTS
from docxutil import docx_text, footnotes_text
from pdfutil import fonts, page_texts, squash

from reportkit.build import build
from reportkit.labels import CATALOGUES, labels

RUSSIAN = TESTS / "reports" / "russian"


@pytest.fixture(scope="module")
def russian(tmp_path_factory):
    out = tmp_path_factory.mktemp("ru")
    written = build(RUSSIAN, out, ("pdf", "docx")).outputs
    return {w.path.suffix[1:]: w.path.read_bytes() for w in written}


def test_every_language_has_every_label():
    for language, catalogue in CATALOGUES.items():
        assert set(catalogue) == set(CATALOGUES["en"]), language
    assert labels("fr-CH")["contents"] == "Table des matières"
    assert labels("xx")["contents"] == "Contents"  # unknown languages fall back to English


def test_russian_pdf_labels_and_text(russian):
    pages = page_texts(russian["pdf"])
    text = squash("".join(pages))
    for label in ("Содержание", "В сотрудничестве с", "Рекомендации", "Сводка рекомендаций"):
        assert squash(label) in text, label
    assert "Страница 2 из" in pages[1]
    assert squash("Правительству Кыргызстана следует принять Национальный план действий") in text
    assert squash("разработки «адекватной» государственной политики") in text
    assert squash("ЮНИСЕФ, Кыргызстан, 2012 год.") in text
    assert squash("Пример передовой практики: Молодежная программа партнерства") in text
    assert all(fonts(russian["pdf"]).values())


def test_russian_pdf_metadata_language(russian):
    from pdfutil import reader

    pdf = reader(russian["pdf"])
    assert pdf.trailer["/Root"].get("/Lang") == "ru"
    assert pdf.metadata.title.startswith("Альтернативный доклад")


def test_russian_docx_labels_text_and_language(russian):
    import io
    import zipfile

    text = docx_text(russian["docx"])
    assert "Содержание" in text and "Рекомендации" in text and "Сводка рекомендаций" in text
    assert "Правительству Кыргызстана следует принять" in text
    assert [t for _, t in footnotes_text(russian["docx"])][-1] == "ЮНИСЕФ, Кыргызстан, 2012 год."
    styles = zipfile.ZipFile(io.BytesIO(russian["docx"])).read("word/styles.xml").decode()
    assert 'w:val="ru-RU"' in styles or 'w:val="ru"' in styles
