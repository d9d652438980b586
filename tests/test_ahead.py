"""``reportkit build`` forks its PDF writer before reading the report: same bytes, no process
left behind, errors from either side reported, nothing started for a no-change build."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image as PILImage

import reportkit.build as build_module
from conftest import run
from reportkit.ahead import Ahead, start_pdf
from reportkit.build import build
from reportkit.errors import ReportError


def _outputs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".pdf", ".docx")}


def test_the_writer_started_ahead_writes_the_same_bytes(report_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory()
    started = []
    real = Ahead.__init__

    def counted(self, fmt):
        started.append(fmt)
        real(self, fmt)

    monkeypatch.setattr(Ahead, "__init__", counted)
    result = run("build", folder, "-q")
    assert result.exit_code == 0, result.output
    assert started == ["pdf"]
    build(folder, tmp_path / "plain", parallel=False)
    assert _outputs(folder / "build") == {n.replace("plain", "build"): b for n, b in _outputs(tmp_path / "plain").items()}
    assert not multiprocessing.active_children()


def test_an_unused_writer_started_ahead_is_ended_at_once():
    ahead = start_pdf(("pdf", "docx"))
    assert ahead is not None and start_pdf(("docx",)) is None
    ahead.close()  # still importing WeasyPrint: ended, not waited for
    assert not ahead.process.is_alive()


def _no_parse(monkeypatch):
    def refuse(*_args):
        raise AssertionError("the report was parsed")

    monkeypatch.setattr("reportkit.build.check", refuse)


def test_a_no_change_build_reads_nothing_and_repeats_the_warnings(report_factory, monkeypatch):
    toml = (Path(__file__).parent / "reports/minimal/report.toml").read_text(encoding="utf-8")
    folder = report_factory({"report.toml": toml + "word_limit = 10\n"})
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    first = run("build", folder)
    assert first.exit_code == 0 and "words over the word limit" in first.stderr
    _no_parse(monkeypatch)
    again = run("build", folder)
    assert again.exit_code == 0, again.output
    assert "warning: 28 words over the word limit of 10" in again.stderr
    assert again.stdout.splitlines()[:3] == [
        f"kept {folder / 'build' / 'report.pdf'} (unchanged)",
        f"kept {folder / 'build' / 'report.docx'} (unchanged)",
        "nothing changed since the last build (use --force to rebuild)",
    ]


def _earlier(path: Path, seconds: float = 100) -> None:
    """Give ``path`` another modification time, in the past (a future one reads as "saved
    during the build")."""
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


@pytest.mark.parametrize("change", ["touched", "edited", "image", "new style", "other options", "output"])
def test_any_change_since_the_last_build_takes_the_full_check(report_factory, monkeypatch, change):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory({"02-findings.md": "# Findings\n\n![A chart](chart.png)\n"})
    PILImage.new("RGB", (40, 20), "red").save(folder / "chart.png")
    assert run("build", folder, "-q").exit_code == 0
    args = ["build", folder]
    if change == "touched":
        _earlier(folder / "01-intro.md")  # same text: the full check then finds it unchanged
    elif change == "edited":
        (folder / "01-intro.md").write_text("# Introduction\n\nEdited.\n", encoding="utf-8")
    elif change == "image":
        PILImage.new("RGB", (20, 40), "blue").save(folder / "chart.png")
        _earlier(folder / "chart.png")
    elif change == "new style":
        shutil.copytree(Path(__file__).parents[1] / "styles" / "default", folder / "styles" / "default")
        theme = folder / "styles" / "default" / "theme.toml"
        theme.write_text(theme.read_text(encoding="utf-8").replace("#", "#1", 1), encoding="utf-8")
    elif change == "other options":
        args.append("--draft")
    elif change == "output":
        (folder / "build" / "report.pdf").write_bytes(b"%PDF- replaced by hand")
    parsed = []
    real = build_module.check
    monkeypatch.setattr(build_module, "check", lambda d, *style: parsed.append(d) or real(d, *style))
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert parsed, "the shortcut missed a change"
    rebuilt = "wrote" in result.stdout
    assert rebuilt == (change != "touched"), result.stdout
    if change == "touched":  # the full check recorded the new time: the shortcut serves again
        parsed.clear()
        assert "nothing changed" in run(*args).stdout and not parsed


def test_a_file_saved_during_the_last_build_is_not_trusted(report_factory, monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory()
    real = build_module.check

    def save_meanwhile(report_dir, *style):
        found = real(report_dir, *style)
        (folder / "01-intro.md").write_text("# Introduction\n\nSaved while building.\n", encoding="utf-8")
        return found

    monkeypatch.setattr(build_module, "check", save_meanwhile)
    assert run("build", folder, "-q").exit_code == 0  # built from the text read before the save
    monkeypatch.setattr(build_module, "check", real)
    assert "wrote" in run("build", folder).stdout


def test_a_report_with_errors_stops_the_writer_started_ahead(report_factory):
    folder = report_factory({"01-intro.md": "# Introduction\n\nBroken.[^missing]\n"})
    result = run("build", folder, "--force")
    assert result.exit_code == 1
    assert 'note "[^missing]" is not defined' in result.stderr
    assert not multiprocessing.active_children()


def test_an_error_in_the_writer_started_ahead_fails_the_build_and_keeps_the_outputs(report_factory, monkeypatch):
    folder = report_factory()
    assert run("build", folder, "-q").exit_code == 0
    before = _outputs(folder / "build")

    def lost(report, laid_out):
        raise ReportError("note 1 (id first) was not laid out in the PDF")

    monkeypatch.setattr("reportkit.writers.pdf.check_notes", lost)  # the forked worker inherits it
    result = run("build", folder, "--force")
    assert result.exit_code == 1
    assert "note 1 (id first) was not laid out in the PDF" in result.stderr
    assert _outputs(folder / "build") == before
    assert not multiprocessing.active_children()


def test_the_shortcut_serves_after_builds_of_one_format_each(report_factory, monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory()
    assert run("build", folder, "--format", "pdf", "-q").exit_code == 0
    assert run("build", folder, "--format", "docx", "-q").exit_code == 0
    _no_parse(monkeypatch)
    result = run("build", folder)
    assert result.exit_code == 0 and "nothing changed" in result.stdout
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "1")  # other options for the DOCX: the full check
    assert run("build", folder, "--format", "pdf").exit_code == 0  # the PDF alone still qualifies
