"""Reuse across reports: the UPR template's numbered paragraphs and word limit, house styles,
and the summary of recommendations, each checked in both outputs."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import SAMPLE, make_report, run
from docxutil import docx_text, to_pdf
from images import picture
from pdfutil import destinations, links, page_texts, reader, squash

from reportkit.build import build
from reportkit import libreoffice
from reportkit.outputs import BuildOptions


@pytest.fixture(scope="module")
def upr(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upr") / "submission"
    result = run("new", folder, "--from", "upr", "--set", "country=Kazakhstan", "--set", "date=March 2027")
    assert result.exit_code == 0, result.output
    written = build(folder, formats=("pdf", "docx")).outputs
    return folder, {w.path.suffix[1:]: w.path.read_bytes() for w in written}


def _paragraph_numbers(text: str, folder: Path) -> list[int]:
    """Numbers standing at the start of a line, leaving out the notes' own numbers."""
    from reportkit.build import load_report
    from reportkit.model import plain_text
    from reportkit.transforms import notes

    note_starts = [squash(plain_text(n.blocks))[:20] for n in notes(load_report(folder))]
    return [int(m.group(1)) for m in re.finditer(r"^(\d+)\.\s(.*)$", text, flags=re.M)
            if not any(squash(m.group(2)).startswith(start) for start in note_starts)]


def test_upr_pdf_numbers_body_paragraphs(upr):
    folder, files = upr
    text = "\n".join(page_texts(files["pdf"]))
    numbers = _paragraph_numbers(text, folder)
    assert numbers[:3] == [1, 2, 3], text[:800]
    assert numbers == list(range(1, len(numbers) + 1))  # continuous across sections


@pytest.mark.skipif(not libreoffice.soffice(), reason="LibreOffice is not installed")
def test_upr_docx_numbers_body_paragraphs_as_word_shows_them(upr):
    folder, files = upr
    text = "\n".join(page for page in _pdf_pages(to_pdf(files["docx"])))
    numbers = _paragraph_numbers(text, folder)
    assert numbers[:3] == [1, 2, 3], text[:800]
    assert numbers == list(range(1, len(numbers) + 1))


def _pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in reader(data).pages]


def test_upr_check_reports_words_against_the_limit(upr):
    folder, _ = upr
    result = run("check", folder)
    assert result.exit_code == 0, result.output
    assert re.search(r"words: .* \(limit 2,815 with notes: [\d,]+ under\)", result.stdout)


def test_upr_cover_names_the_country(upr):
    _, files = upr
    assert "Kazakhstan" in page_texts(files["pdf"])[0]
    assert "Kazakhstan" in docx_text(files["docx"]).split("\n")[0]
    assert reader(files["pdf"]).metadata.title.startswith("Kazakhstan")


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    """The minimal report built with the default style, and with a house style inheriting it."""
    root = tmp_path_factory.mktemp("house")
    folder = make_report(root)
    style = folder / "styles" / "coalition"
    style.mkdir(parents=True)
    (style / "theme.toml").write_text(
        'inherit = "default"\n[colours]\nrecommendation_border = "#8B1E3F"\n'
        'recommendation_fill = "#F8E9EE"\n[cover]\nlogo = "coalition-logo.png"\n', encoding="utf-8")
    (style / "coalition-logo.png").write_bytes(picture(8, 8, (139, 30, 63)))
    plain = build(folder, root / "plain", ("pdf", "docx", "html")).outputs
    styled = build(folder, root / "styled", ("pdf", "docx", "html"), BuildOptions(style="coalition")).outputs
    return ({w.path.suffix[1:]: w.path.read_bytes() for w in plain},
            {w.path.suffix[1:]: w.path.read_bytes() for w in styled})


def _docx_style_xml(data: bytes, name: str) -> str:
    styles = zipfile.ZipFile(io.BytesIO(data)).read("word/styles.xml").decode()
    match = re.search(rf'<w:style [^>]*>\s*<w:name w:val="{name}"/>.*?</w:style>', styles, flags=re.S)
    assert match, name
    return match.group(0)


def test_house_style_box_colour_reaches_the_docx_styles(house):
    plain, styled = house
    assert "8B1E3F" not in _docx_style_xml(plain["docx"], "Recommendation")
    box = _docx_style_xml(styled["docx"], "Recommendation")
    assert 'w:color="8B1E3F"' in box and 'w:fill="F8E9EE"' in box


def test_house_style_box_colour_reaches_the_pdf(house):
    plain, styled = house
    assert "#8B1E3F".lower() not in plain["html"].decode().lower()
    assert "#8b1e3f" in styled["html"].decode().lower()
    # the PDF draws the box border in that colour: 139/255, 30/255, 63/255 as an RGB stroke
    def strokes(pdf: bytes) -> str:
        return "".join(page.get_contents().get_data().decode("latin-1") for page in reader(pdf).pages)
    assert re.search(r"0\.54\d* 0\.11\d* 0\.24\d* (RG|rg)", strokes(styled["pdf"]))
    assert not re.search(r"0\.54\d* 0\.11\d* 0\.24\d* (RG|rg)", strokes(plain["pdf"]))


def _pdf_images(pdf: bytes) -> int:
    """Images of the cover page (WeasyPrint shares one resource dictionary between pages)."""
    return len({image.name for image in reader(pdf).pages[0].images})


def test_house_style_logo_reaches_both_outputs(house):
    plain, styled = house
    assert _pdf_images(styled["pdf"]) == _pdf_images(plain["pdf"]) + 1
    media = [n for n in zipfile.ZipFile(io.BytesIO(styled["docx"])).namelist() if n.startswith("word/media/")]
    plain_media = [n for n in zipfile.ZipFile(io.BytesIO(plain["docx"])).namelist() if n.startswith("word/media/")]
    assert len(media) == len(plain_media) + 1


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    folder = tmp_path_factory.mktemp("summary") / "sample"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    toml = folder / "report.toml"
    toml.write_text("recommendations_summary = true\n" + toml.read_text(encoding="utf-8"), encoding="utf-8")
    written = build(folder, formats=("pdf", "docx")).outputs
    rows = run("recommendations", folder, "--format", "json").stdout
    return {w.path.suffix[1:]: w.path.read_bytes() for w in written}, rows


def test_summary_lists_the_14_recommendations_in_the_pdf_linked(summary):
    import json

    files, rows = summary
    items = json.loads(rows)
    pages = page_texts(files["pdf"])
    start = next(i for i, p in enumerate(pages) if "Summary of recommendations" in p and "Contents" not in p)
    annex = squash("".join(pages[start:]))
    for item in items:
        assert squash(item["text"]) in annex, item["number"]
    targets = {link.target for link in links(files["pdf"]) if link.page > start}
    boxes = {name for name in destinations(files["pdf"]) if name.startswith("rec-")}
    assert len(boxes) == 12 and boxes <= targets


def test_summary_lists_the_14_recommendations_in_the_docx_linked(summary):
    import json

    files, rows = summary
    items = json.loads(rows)
    lines = docx_text(files["docx"]).split("\n")
    annex = lines[lines.index("[Heading 1] Summary of recommendations"):]
    assert len([line for line in annex if any(item["text"][:40] in line for item in items)]) == 14
    document = zipfile.ZipFile(io.BytesIO(files["docx"])).read("word/document.xml").decode()
    annex_xml = document[document.index("Summary of recommendations"):]
    assert len(set(re.findall(r'w:anchor="([^"]+)"', annex_xml))) == 12  # each box linked
