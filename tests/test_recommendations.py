"""``reportkit recommendations``: the sample's 14 recommendations with their sections."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLE, run


def test_csv_lists_the_sample_recommendations():
    result = run("recommendations", SAMPLE, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(r["number"]) for r in rows] == list(range(1, 15))
    assert [r["section_number"] for r in rows] == [
        "2.1", "2.2.1", "2.2.1", "2.2.2", "2.2.3", "3", "3",
        "unnumbered", "unnumbered", "unnumbered", "unnumbered", "unnumbered", "5", "6"]  # ### … {-}
    assert {r["chapter"] for r in rows[7:12]} == {"Prohibition of the manifestations of commercial sexual exploitation of children"}
    assert rows[7]["chapter_number"] == "4" and rows[7]["section"] == "Laws addressing child pornography"
    assert rows[0]["section"] == "Status of ratification of international legal instruments addressing child protection"
    assert rows[0]["text"].startswith("The government of Kyrgyzstan should sign and ratify the Optional Protocol")
    assert rows[13]["text"] == ("Kyrgyzstan should expand regional cooperation efforts against child "
                                "trafficking to all forms of commercial sexual exploitation of children.")


def test_json_and_markdown_agree_with_csv():
    data = json.loads(run("recommendations", SAMPLE, "--format", "json").stdout)
    assert len(data) == 14 and data[6]["number"] == 7 and data[6]["section_number"] == "3"
    md = run("recommendations", SAMPLE, "--format", "md").stdout
    assert "## 3 Prevention of commercial sexual exploitation of children" in md
    assert f"7. {data[6]['text']}" in md


def test_notes_left_out_of_the_text(report_factory):
    folder = report_factory({"02-findings.md": (
        "# Findings\n\n::: recommendation\n- Act now.[^n]\n- Fund it.\n:::\n\n[^n]: A note.\n")})
    (folder / "01-intro.md").write_text("# Intro\n\nText.[^first]\n\n[^first]: A.\n", encoding="utf-8")
    rows = json.loads(run("recommendations", folder, "--format", "json").stdout)
    assert [(r["number"], r["section"], r["text"]) for r in rows] == [
        (1, "Findings", "Act now."), (2, "Findings", "Fund it.")]


def test_errors_are_reported(report_factory):
    folder = report_factory({"01-intro.md": "# Intro\n\nText.[^missing]\n"})
    result = run("recommendations", folder)
    assert result.exit_code == 1
    assert result.stderr.strip().endswith('01-intro.md:3: note "[^missing]" is not defined')


CHAPTERS = {
    "01-intro.md": "# Введение\n\nТекст.\n\n::: recommendation\nПринять закон.\n:::\n",
    "02-findings.md": ("# Findings\n\n## Numbered\n\n::: recommendation\n- Act now.\n- Fund it.\n:::\n\n"
                       "## Background {-}\n\n::: recommendation\nTrain judges.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                       "Report yearly.\n:::\n"),
}


def layout_text(pdf: Path) -> str:
    """The PDF's text with each line as it stands on the page (poppler)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, check=True).stdout.decode()


def numbered_report(report_factory, toml_extra: str = ""):
    folder = report_factory(CHAPTERS)
    toml = folder / "report.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + toml_extra, encoding="utf-8")  # headings numbered
    return folder


def test_chapter_column_and_unnumbered_sections_say_so(report_factory):
    folder = numbered_report(report_factory)
    rows = list(csv.DictReader(io.StringIO(run("recommendations", folder).stdout)))
    assert [(r["number"], r["chapter_number"], r["chapter"], r["section_number"], r["section"], r["text"])
            for r in rows] == [
        ("1", "1", "Введение", "1", "Введение", "Принять закон."),
        ("2", "2", "Findings", "2.1", "Numbered", "Act now."),
        ("3", "2", "Findings", "2.1", "Numbered", "Fund it."),
        ("4", "2", "Findings", "unnumbered", "Background", "Train judges."),
        ("5", "2", "Findings", "unnumbered", "Background", "Report yearly.")]
    md = run("recommendations", folder, "--format", "md").stdout
    assert "## Background (unnumbered)\n\n4. Train judges.\n5. Report yearly.\n" in md


def test_excel_csv_has_a_byte_order_mark_and_keeps_cyrillic(report_factory):
    folder = numbered_report(report_factory)
    result = run("recommendations", folder, "--excel")
    assert result.exit_code == 0, result.output
    data = result.stdout_bytes
    assert data.startswith(b"\xef\xbb\xbfnumber,chapter_number,chapter,")
    assert "1,1,Введение,1,Введение,Принять закон.\r\n" in data.decode("utf-8-sig")
    assert not run("recommendations", folder).stdout_bytes.startswith(b"\xef\xbb\xbf")
    wrong = run("recommendations", folder, "--excel", "--format", "json")
    assert wrong.exit_code == 2 and "--excel is for --format csv" in wrong.output


def test_number_recommendations_prints_the_numbers_in_the_pdf_and_docx_boxes(report_factory, monkeypatch):
    from docxutil import docx_text

    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = numbered_report(report_factory, "number_recommendations = true\n")
    result = run("build", folder)
    assert result.exit_code == 0, result.output
    lines = [" ".join(l.split()) for l in layout_text(folder / "build" / "report.pdf").splitlines()]
    for expected in ("1. Принять закон.", "2. Act now.", "3. Fund it.", "4. Train judges.", "5. Report yearly."):
        assert expected in lines, expected  # the number on the recommendation's line, before it
    lines = docx_text(folder / "build" / "report.docx", markers=True).splitlines()
    assert [l for l in lines if l.startswith("[Recommendation")] == [
        "[Recommendation Title] Recommendation", "[Recommendation List] 1. Принять закон.",
        "[Recommendation Title] Recommendations", "[Recommendation List] 2. Act now.",
        "[Recommendation List] 3. Fund it.",
        "[Recommendation Title] Recommendations", "[Recommendation List] 4. Train judges.",
        "[Recommendation List] 5. Report yearly."]


def test_recommendations_are_not_numbered_in_the_boxes_by_default(report_factory, monkeypatch):
    from docxutil import docx_text

    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = numbered_report(report_factory)
    assert run("build", folder).exit_code == 0
    lines = [" ".join(l.split()) for l in layout_text(folder / "build" / "report.pdf").splitlines()]
    assert "Принять закон." in lines and "Train judges." in lines and "• Act now." in lines
    lines = docx_text(folder / "build" / "report.docx", markers=True).splitlines()
    assert "[Recommendation] Train judges." in lines and "• Act now." in " ".join(lines)
