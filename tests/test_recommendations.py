"""``reportkit recommendations``: the sample's 14 recommendations with their sections."""

from __future__ import annotations

import csv
import io
import json

from conftest import SAMPLE, run


def test_csv_lists_the_sample_recommendations():
    result = run("recommendations", SAMPLE, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(r["number"]) for r in rows] == list(range(1, 15))
    assert [r["section_number"] for r in rows] == [
        "2.1", "2.2.1", "2.2.1", "2.2.2", "2.2.3", "3", "3",
        "4.1", "4.1", "4.1", "4.1", "4.1", "5", "6"]
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
