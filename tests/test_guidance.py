"""Warnings for what the treaty bodies' guidance for civil-society reports asks: "alternative
report", not "shadow report"; an English executive summary for a report in another language."""

from __future__ import annotations

from conftest import make_report, run

from reportkit.build import check


def warnings(folder) -> list[str]:
    _, problems, _ = check(folder)
    return [str(p) for p in problems.warnings]


def test_shadow_report_in_any_case_suggests_alternative_report(tmp_path):
    folder = make_report(tmp_path, files={
        "report.toml": 'title = "A Shadow Report"\nchapters = ["01-intro.md"]\n', "02-findings.md": None,
        "01-intro.md": ("# Why SHADOW REPORTS matter\n\n"
                        "This shadow\nreport follows others.[^a]\n\n"
                        "::: box On shadow-reports\nText.\n:::\n\n"
                        "| Kind |\n|---|\n| shadow report |\n\n"
                        "[^a]: Earlier shadow reports.\n"),
    })
    chapter, toml = folder / "01-intro.md", folder / "report.toml"
    advice = "the treaty bodies' guidance for civil society asks for"
    assert warnings(folder) == [
        f'{chapter}:1: warning: "SHADOW REPORTS": {advice} "alternative reports" instead',
        f'{chapter}:3: warning: "shadow report": {advice} "alternative report" instead',
        f'{chapter}:14: warning: "shadow reports": {advice} "alternative reports" instead',  # its note
        f'{chapter}:6: warning: "shadow-reports": {advice} "alternative reports" instead',
        f'{chapter}:10: warning: "shadow report": {advice} "alternative report" instead',
        f'{toml}:1: warning: "Shadow Report": {advice} "alternative report" instead',
    ]


def test_alternative_report_and_shadowing_are_fine(tmp_path):
    folder = make_report(tmp_path, files={"01-intro.md": "# Intro\n\nAn alternative report; shadowy reports.\n"})
    assert not [w for w in warnings(folder) if "guidance" in w]


SUMMARY_ADVICE = ('warning: the report is in "ru", and treaty bodies take reports in English, French or '
                  "Spanish: an English executive summary is advisable (mark its heading {.summary})")


def test_a_report_in_russian_is_advised_an_english_summary(tmp_path):
    folder = make_report(tmp_path, base="russian")
    result = run("check", folder)
    assert result.exit_code == 0
    assert f"{folder / 'report.toml'}:7: {SUMMARY_ADVICE}" in result.stderr


def test_a_chapter_marked_summary_silences_it(tmp_path):
    folder = make_report(tmp_path, base="russian", files={
        "00-summary.md": "# Executive summary {.summary -}\n\nThe report in brief.\n",
        "report.toml": (make_report(tmp_path, base="russian", name="copy") / "report.toml").read_text(
            encoding="utf-8").replace('chapters = ["', 'chapters = ["00-summary.md", "'),
    })
    assert not [w for w in warnings(folder) if "summary" in w]


def test_english_french_and_spanish_need_no_summary(tmp_path):
    for language in ("en", "fr-CH", "es"):
        folder = make_report(tmp_path, files={"report.toml": f'title = "T"\nlanguage = "{language}"\n'},
                             name=language)
        assert not [w for w in warnings(folder) if "summary" in w]
