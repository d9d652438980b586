"""``watch``'s PDF writer: only the changed parts are laid out again, and the result is the
very PDF a full build makes (same bytes), whatever the edit did to the pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image as PILImage

from conftest import SAMPLE, make_report
from pdfutil import page_texts, squash
from reportkit.build import load_report
from reportkit.errors import ReportError
from reportkit.incremental import build
from reportkit.incremental.relayout import Relayout
from reportkit.outputs import BuildOptions
from reportkit.themes import load_theme
from reportkit.writers import Options, pdf

NO_LIBREOFFICE = BuildOptions(docx_page_numbers=False)

PARA = ("The State party should strengthen the protection of children against sale and "
        "exploitation, and report on the measures taken. ") * 4


def findings(first: int, second: int) -> str:
    """A chapter of two sections of ``first`` and ``second`` long paragraphs."""
    a = "\n\n".join([PARA] * first)
    b = "\n\n".join([PARA] * second)
    return f"# Findings\n\n## First\n\n{a}\n\n## Second\n\n{b}\n"


def rendered(relayout: Relayout, folder: Path, options: Options = Options()) -> tuple[bytes, bytes]:
    """The PDF from ``relayout`` and from a full build of the same sources."""
    report = load_report(folder)
    theme = load_theme(report.meta.style, folder)
    return relayout.render(report, theme, options).data, pdf.render(report, theme, options).data


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_one_word_edit_lays_out_one_chapter_and_makes_the_full_builds_bytes(tmp_path):
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    relayout = Relayout()
    first, full = rendered(relayout, folder)
    assert first == full and relayout.relaid is None
    assert len(relayout.parts) == 7  # front and six chapters
    edit(folder / "04-prohibition.md", "Committee", "Comittee")
    again, full = rendered(relayout, folder)
    assert relayout.relaid == 1
    assert again == full
    assert "Comittee" in squash("".join(page_texts(again)))


def test_parts_carry_page_numbers_paragraph_numbers_endnotes_summary_and_draft(tmp_path):
    toml = (Path(__file__).parent / "reports/minimal/report.toml").read_text(encoding="utf-8")
    toml = toml.replace('chapters = ["01-intro.md", "02-findings.md"]',
                        'chapters = ["01-intro.md", "02-findings.md", "03-more.md"]')
    folder = make_report(tmp_path, files={
        "report.toml": toml + 'notes = "endnotes"\nrecommendations_summary = true\nnumber_paragraphs = true\n',
        "02-findings.md": findings(6, 4) + "\nA call.[^n2]\n\n[^n2]: The second chapter's note.\n",
        "03-more.md": "# More\n\n" + "\n\n".join([PARA] * 8) + "\n\n::: recommendation\nAct.\n:::\n",
    })
    relayout = Relayout()
    options = Options(draft=True, stamp="v7")
    first, full = rendered(relayout, folder, options)
    assert first == full
    assert len(relayout.parts) == 6  # front, three chapters, summary, notes
    edit(folder / "02-findings.md", "The second chapter's note.", "The second chapter's note, edited.")
    again, full = rendered(relayout, folder, options)
    assert relayout.relaid == 1  # only the Notes section: the chapter shows the call alone
    assert again == full
    assert "edited" in page_texts(again)[-1]
    edit(folder / "03-more.md", "Act.", "Act now.")
    again, full = rendered(relayout, folder, options)
    assert relayout.relaid == 2  # the chapter and the summary of recommendations
    assert again == full


def test_a_heading_that_moves_to_another_page_renews_the_contents(tmp_path):
    folder = make_report(tmp_path, files={"02-findings.md": findings(8, 6)})
    relayout = Relayout()
    first, _ = rendered(relayout, folder)
    (folder / "02-findings.md").write_text(findings(5, 9), encoding="utf-8")
    again, full = rendered(relayout, folder)
    assert relayout.relaid == 2  # the chapter, then the contents with the heading's new page
    assert again == full
    assert page_texts(again)[1] != page_texts(first)[1]


def test_an_edit_that_changes_the_page_count_lays_the_whole_report_out(tmp_path):
    folder = make_report(tmp_path, files={"02-findings.md": findings(3, 3)})
    relayout = Relayout()
    first, _ = rendered(relayout, folder)
    (folder / "02-findings.md").write_text(findings(12, 3), encoding="utf-8")
    again, full = rendered(relayout, folder)
    assert relayout.relaid is None
    assert again == full and len(page_texts(again)) > len(page_texts(first))
    (folder / "02-findings.md").write_text(findings(12, 3).replace("State", "Government", 1), encoding="utf-8")
    again, full = rendered(relayout, folder)
    assert relayout.relaid == 1 and again == full  # the new pages serve the next edit


def test_a_replaced_image_is_laid_out_again(tmp_path):
    folder = make_report(tmp_path, files={"02-findings.md": "# Findings\n\n![A chart](chart.png)\n"})
    PILImage.new("RGB", (40, 20), "red").save(folder / "chart.png")
    relayout = Relayout()
    rendered(relayout, folder)
    PILImage.new("RGB", (20, 40), "blue").save(folder / "chart.png")
    again, full = rendered(relayout, folder)
    assert relayout.relaid == 1
    assert again == full


def test_a_style_with_its_own_page_shell_is_always_laid_out_whole(tmp_path):
    folder = make_report(tmp_path, files={"02-findings.md": findings(3, 3)})
    style = folder / "styles" / "house"
    style.mkdir(parents=True)
    (style / "theme.toml").write_text('inherit = "default"\n', encoding="utf-8")
    css = (Path(__file__).parents[1] / "styles/default/report.css.j2").read_text(encoding="utf-8")
    (style / "report.css.j2").write_text(css.replace("section.chapter { break-before: page; }", ""),
                                         encoding="utf-8")
    edit(folder / "report.toml", "number_headings", 'style = "house"\nnumber_headings')
    relayout = Relayout()
    rendered(relayout, folder)
    assert relayout.parts == []
    edit(folder / "02-findings.md", "State", "Government")
    again, full = rendered(relayout, folder)
    assert relayout.relaid is None and again == full


def test_build_with_a_relayout_writes_what_a_build_writes(tmp_path):
    folder = make_report(tmp_path, files={"02-findings.md": findings(3, 3)})
    relayout = Relayout()
    build(folder, tmp_path / "warm", options=NO_LIBREOFFICE, relayout=relayout)
    edit(folder / "02-findings.md", "State", "Government")
    warm = build(folder, tmp_path / "warm", options=NO_LIBREOFFICE, relayout=relayout)
    cold = build(folder, tmp_path / "cold", options=NO_LIBREOFFICE)
    assert relayout.relaid == 1
    assert [w.path.read_bytes() for w in warm] == [c.path.read_bytes() for c in cold]


def test_a_pdf_error_in_a_relayout_build_fails_it_and_keeps_the_outputs(tmp_path, monkeypatch):
    folder = make_report(tmp_path)
    relayout = Relayout()
    outputs = build(folder, options=NO_LIBREOFFICE, relayout=relayout)
    before = [w.path.read_bytes() for w in outputs]
    edit(folder / "02-findings.md", "##", "## Changed:")

    def lost(report, pages):
        raise ReportError("note 1 (id first) was not laid out in the PDF")

    monkeypatch.setattr(pdf, "check_notes", lost)
    with pytest.raises(ReportError, match="not laid out"):
        build(folder, options=NO_LIBREOFFICE, relayout=relayout)
    assert [w.path.read_bytes() for w in outputs] == before


def test_a_chapter_laid_out_alone_keeps_its_page_side(tmp_path):
    folder = make_report(tmp_path, files={"02-findings.md": findings(3, 3)})
    style = folder / "styles" / "bound"
    style.mkdir(parents=True)
    (style / "theme.toml").write_text('inherit = "default"\n[page]\nmargin_inside = "40mm"\n'
                                      'margin_outside = "12mm"\n', encoding="utf-8")
    edit(folder / "report.toml", "number_headings", 'style = "bound"\nnumber_headings')
    relayout = Relayout()
    rendered(relayout, folder)
    assert len(relayout.parts[1].pages) == 1  # so the findings begin on page 4, a left page
    edit(folder / "02-findings.md", "State", "Government")
    again, full = rendered(relayout, folder)
    assert relayout.relaid == 1 and again == full
