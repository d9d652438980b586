"""What ``reportkit build`` does to go quickly: the PDF writer forked before the report is read
(same bytes, no process left behind, errors from either side reported) and the record that
leaves unchanged outputs alone (every change seen, a touch alone is no change)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image as PILImage

import reportkit.build as build_module
from conftest import ROOT, run
from reportkit.build import build
from reportkit.errors import ReportError
from reportkit.incremental.workers import start_pdf
from pdfutil import reader

MINIMAL_TOML = (Path(__file__).parent / "reports/minimal/report.toml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _no_libreoffice_pass(monkeypatch):
    # The DOCX page-number pass through LibreOffice is tested in test_docx.py; here it only costs time.
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")


def _outputs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".pdf", ".docx")}


def test_the_command_writes_the_bytes_of_the_plain_pipeline_and_leaves_no_process(report_factory, tmp_path):
    folder = report_factory()
    result = run("build", folder, "-q")  # its PDF writer forked ahead, the DOCX written meanwhile
    assert result.exit_code == 0, result.output
    build(folder, tmp_path / "plain")  # each writer in turn, in this process
    assert _outputs(folder / "build") == {n.replace("plain", "build"): b for n, b in _outputs(tmp_path / "plain").items()}
    assert not multiprocessing.active_children()


def test_an_unused_writer_started_ahead_is_ended_at_once():
    ahead = start_pdf()
    assert ahead is not None
    ahead.close()  # still importing WeasyPrint: ended, not waited for
    assert not ahead.process.is_alive()


def test_a_build_with_nothing_to_do_repeats_the_warnings(report_factory):
    folder = report_factory({"report.toml": MINIMAL_TOML + "word_limit = 10\n"})
    first = run("build", folder)
    assert first.exit_code == 0 and "words over the word limit" in first.stderr
    again = run("build", folder)
    assert again.exit_code == 0, again.output
    assert again.stderr == f"{folder / 'report.toml'}:8: warning: 28 words over the word limit of 10\n"
    assert again.stdout.splitlines()[:3] == [
        f"kept {folder / 'build' / 'report.pdf'} (unchanged)",
        f"kept {folder / 'build' / 'report.docx'} (unchanged)",
        "nothing changed since the last build (use --force to rebuild)",
    ]


def _loaded_by_the_command(*args) -> tuple[list[str], str]:
    """The parser and writer modules ``reportkit ARGS`` loaded in its own process, and its output."""
    code = ("import sys; from reportkit.cli import main\n"
            "try:\n    main(sys.argv[1:], standalone_mode=False)\nfinally:\n"
            "    print(sorted(m for m in sys.modules if m in ('reportkit.parse', 'weasyprint', 'docx')))")
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return eval(out.stdout.splitlines()[-1]), out.stdout


def test_a_build_with_nothing_to_do_loads_neither_the_parser_nor_a_writer(report_factory):
    """Its promise: it answers at once (under a tenth of a build, bench/RESULTS.md)."""
    folder = report_factory()
    assert run("build", folder, "-q").exit_code == 0
    loaded, printed = _loaded_by_the_command("build", folder)
    assert loaded == [] and "nothing changed" in printed


def test_the_command_leaves_weasyprint_to_its_pdf_writer(report_factory):
    """Its promise: WeasyPrint's import (0.4 s) is paid once, in the writer forked ahead, while
    the command reads the report."""
    loaded, printed = _loaded_by_the_command("build", report_factory(), "--format", "pdf")
    assert loaded == ["reportkit.parse"] and "wrote" in printed


def _earlier(path: Path, seconds: float = 100) -> None:
    """Give ``path`` another modification time, in the past (a future one reads as "saved
    during the build")."""
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


@pytest.mark.parametrize("change", ["touched", "edited", "image", "new style", "new font", "other options", "output"])
def test_any_change_since_the_last_build_rebuilds_and_a_touch_alone_does_not(report_factory, change):
    folder = report_factory({"02-findings.md": "# Findings\n\n![A chart](chart.png)\n"})
    PILImage.new("RGB", (40, 20), "red").save(folder / "chart.png")
    assert run("build", folder, "-q").exit_code == 0
    args = ["build", folder]
    if change == "touched":
        _earlier(folder / "01-intro.md")  # same text: the outputs stand
    elif change == "edited":
        (folder / "01-intro.md").write_text("# Introduction\n\nEdited.\n", encoding="utf-8")
    elif change == "image":
        PILImage.new("RGB", (20, 40), "blue").save(folder / "chart.png")
        _earlier(folder / "chart.png")
    elif change in ("new style", "new font"):  # a style of the report's own, in place of the shipped one
        shutil.copytree(ROOT / "styles" / "default", folder / "styles" / "default")
        if change == "new font":  # the PDF reads every font of its style, the DOCX none
            shutil.copytree(folder / "styles" / "default", folder / "styles" / "house")
            (folder / "styles" / "house" / "theme.toml").write_text('inherit = "default"\n', encoding="utf-8")
            (folder / "report.toml").write_text(MINIMAL_TOML + 'style = "house"\n', encoding="utf-8")
            assert run("build", folder, "-q").exit_code == 0
            font = next((folder / "styles" / "house" / "fonts").glob("*.ttf"))
            shutil.copy(font, font.with_name("Added.ttf"))
    elif change == "other options":
        args.append("--draft")
    elif change == "output":
        (folder / "build" / "report.pdf").write_bytes(b"%PDF- replaced by hand")
    result = run(*args)
    assert result.exit_code == 0, result.output
    expected = {"touched": [], "new font": ["report.pdf"], "output": ["report.pdf"],
                "other options": ["report-draft.pdf", "report-draft.docx"]}.get(change, ["report.pdf", "report.docx"])
    assert [line.split()[1].rsplit("/", 1)[1] for line in result.stdout.splitlines() if line.startswith("wrote")] == expected
    assert "nothing changed" in run(*args).stdout  # and what was found is recorded: the next build has nothing to do


def test_a_new_chapter_file_is_a_change_when_report_toml_lists_none(report_factory):
    folder = report_factory({"report.toml": MINIMAL_TOML.replace('chapters = ["01-intro.md", "02-findings.md"]\n', "")})
    assert "chapters" not in (folder / "report.toml").read_text(encoding="utf-8")
    assert run("build", folder, "-q").exit_code == 0
    (folder / "03-more.md").write_text("# More\n\nA chapter added later.\n", encoding="utf-8")
    assert "wrote" in run("build", folder).stdout
    assert "A chapter added later." in "".join(p.extract_text() for p in reader((folder / "build/report.pdf").read_bytes()).pages)


def test_a_touched_chapter_of_an_undated_report_is_rebuilt_with_its_new_date(report_factory, monkeypatch):
    """Without ``created`` or SOURCE_DATE_EPOCH the sources' last change dates the outputs."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    folder = report_factory({"report.toml": MINIMAL_TOML.replace("created = 2026-11-01\n", "")})
    for path in folder.iterdir():
        _earlier(path, 10_000)
    assert run("build", folder, "-q", "--format", "pdf").exit_code == 0
    dated = reader((folder / "build/report.pdf").read_bytes()).metadata["/CreationDate"]
    _earlier(folder / "01-intro.md", 100)
    assert "wrote" in run("build", folder, "--format", "pdf").stdout
    assert reader((folder / "build/report.pdf").read_bytes()).metadata["/CreationDate"] != dated


def test_a_file_saved_during_the_last_build_is_not_trusted(report_factory, monkeypatch):
    folder = report_factory()
    real = build_module._checked

    def save_meanwhile(report_dir, style=None):
        found = real(report_dir, style)
        (folder / "01-intro.md").write_text("# Introduction\n\nSaved while building.\n", encoding="utf-8")
        return found

    monkeypatch.setattr(build_module, "_checked", save_meanwhile)  # the only way to save at that moment
    assert run("build", folder, "-q").exit_code == 0  # built from the text read before the save
    monkeypatch.setattr(build_module, "_checked", real)
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

    def lost(report, pages):
        raise ReportError("note 1 (id first) was not laid out in the PDF")

    monkeypatch.setattr("reportkit.writers.pdf.check_notes", lost)  # the forked worker inherits it
    result = run("build", folder, "--force")
    assert result.exit_code == 1
    assert result.stderr == "note 1 (id first) was not laid out in the PDF\n"
    assert _outputs(folder / "build") == before
    assert not multiprocessing.active_children()


def test_nothing_to_do_after_builds_of_one_format_each(report_factory, monkeypatch):
    folder = report_factory()
    assert run("build", folder, "--format", "pdf", "-q").exit_code == 0
    assert run("build", folder, "--format", "docx", "-q").exit_code == 0
    result = run("build", folder)
    assert result.exit_code == 0 and "nothing changed" in result.stdout
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "1")  # other options for the DOCX only
    lines = run("build", folder).stdout.splitlines()
    assert lines[0] == f"kept {folder / 'build' / 'report.pdf'} (unchanged)"
    assert lines[1].startswith(f"wrote {folder / 'build' / 'report.docx'} (")


def test_a_worker_leaves_what_it_inherits_to_no_collection_and_collects_in_batches():
    # WeasyPrint makes millions of objects: collecting every 700 and scanning the inherited
    # report each time took a tenth of a group's layout and writing.
    from reportkit.incremental.workers import Forked

    def ask(function: str):
        worker = Forked("gc", "gc", function, ())
        try:
            return worker.result()[0]
        finally:
            worker.close()

    assert ask("get_freeze_count") > 1000
    assert ask("get_threshold") == (50_000, 20, 100)
