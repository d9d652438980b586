"""``reportkit build`` forks its PDF writer before reading the report: same bytes, no process
left behind, errors from either side reported, nothing started for a no-change build."""

from __future__ import annotations

import multiprocessing
import os
import time

from conftest import run
from reportkit.ahead import Ahead, looks_current, start_pdf
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


def test_nothing_is_started_ahead_when_the_outputs_look_up_to_date(report_factory):
    folder = report_factory()
    formats = ("pdf", "docx")
    assert not looks_current(folder, folder / "build", formats)  # never built
    build(folder, formats=formats, docx_page_numbers=False)
    assert looks_current(folder, folder / "build", formats)
    assert start_pdf(folder, None, formats, force=False) is None
    assert not looks_current(folder, folder / "build", ("pdf", "html"))  # no HTML yet
    later = time.time() + 5
    os.utime(folder / "02-findings.md", (later, later))  # saved since the last build
    assert not looks_current(folder, folder / "build", formats)
    ahead = start_pdf(folder, None, formats, force=False)
    assert ahead is not None
    ahead.close()  # ended at once, unused
    assert not ahead.process.is_alive()


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
