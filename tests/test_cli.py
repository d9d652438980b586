"""The command line: build output, several reports at once, watch, lean start-up."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, make_report, run

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTKIT_DOCX_PAGES": "0"}


def test_build_prints_what_it_wrote_then_nothing_changed(report_factory, monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory()
    first = run("build", folder)
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0].startswith(f"wrote {folder}/build/report.pdf (") and " pages, " in lines[0]
    assert lines[1].startswith(f"wrote {folder}/build/report.docx (")
    assert first.stderr == ""  # no progress chatter outside a terminal
    second = run("build", folder)
    assert "nothing changed since the last build (use --force to rebuild)" in second.stdout
    assert "(unchanged)" in second.stdout
    assert "(unchanged)" not in run("build", "--force", folder).stdout


def test_build_error_is_one_line_per_problem(report_factory, monkeypatch):
    folder = report_factory({"01-intro.md": "# Intro\n\nText.[^missing]\n"})
    monkeypatch.chdir(folder.parent)
    result = run("build", "report")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ['report/01-intro.md:3: note "[^missing]" is not defined']
    assert not (folder / "build").exists()


def test_unknown_format_is_a_usage_error(report_factory):
    result = run("build", "--format", "odt", report_factory())
    assert result.exit_code == 2
    assert "unknown format odt" in result.output


def test_several_reports_one_broken(report_factory, monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    good = report_factory(name="good")
    bad = report_factory({"01-intro.md": "# Intro\n\nText.[^missing]\n"}, name="bad")
    other = report_factory(name="other")
    result = run("build", "--format", "docx", good, bad, other)
    assert result.exit_code == 1
    assert f"{good}: ok, DOCX " in result.stdout and f"{other}: ok, DOCX " in result.stdout
    assert f"{bad}: failed (1 errors)" in result.stderr
    assert f'{bad}/01-intro.md:3: note "[^missing]" is not defined' in result.stderr
    assert "2 of 3 reports built" in result.stdout
    assert (good / "build" / "good.docx").exists() and (other / "build" / "other.docx").exists()


def test_several_reports_show_their_warnings_and_build_into_subfolders_of_out(report_factory, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    good = report_factory(name="good")
    warned = report_factory({"01-intro.md": "# Intro\n\nText.\n\n::: box\n:::\n"}, name="warned")
    out = tmp_path / "out"
    result = run("build", "--format", "docx", "--out", out, good, warned)
    assert result.exit_code == 0, result.output
    assert [l for l in result.stderr.splitlines() if l.startswith(str(warned))] == \
        [f"{warned}/01-intro.md:5: warning: empty box box"]
    assert "2 of 2 reports built" in result.stdout
    assert (out / "good" / "good.docx").is_file() and (out / "warned" / "warned.docx").is_file()
    assert not (good / "build").exists()
    again = run("build", "--format", "docx", "--out", out, good, warned)  # nothing rebuilt, warning kept
    assert f"{warned}/01-intro.md:5: warning: empty box box" in again.stderr


def test_several_reports_of_the_same_name_cannot_share_out(report_factory, tmp_path):
    first = report_factory(name="report")
    second = make_report(tmp_path / "elsewhere", name="report")
    result = run("build", "--out", tmp_path / "out", first, second)
    assert result.exit_code == 2
    assert 'two report folders are named "report"' in result.output


class Lines:
    """A process's output lines, read by a thread so the test can wait with a timeout."""

    def __init__(self, process: subprocess.Popen):
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.queue.put(line.rstrip("\n")) for line in process.stdout],
                         daemon=True).start()

    def until(self, word: str, timeout: float) -> list[str]:
        """Lines up to the first holding ``word``; fails after ``timeout`` seconds."""
        lines, deadline = [], time.monotonic() + timeout
        while True:
            try:
                lines.append(self.queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no line with {word!r} within {timeout} s: {lines}") from None
            if word in lines[-1]:
                return lines


def test_watch_rebuilds_on_save_survives_an_error_and_stops_on_ctrl_c(report_factory):
    folder = report_factory()
    chapter = folder / "01-intro.md"
    process = subprocess.Popen([sys.executable, "-m", "reportkit", "watch", str(folder), "--format", "docx"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    lines = Lines(process)
    try:
        assert any("built report.docx" in line for line in lines.until("built", 60))
        good = (folder / "build" / "report.docx").read_bytes()
        chapter.write_text("# Intro\n\nBroken.[^missing]\n", encoding="utf-8")
        printed = lines.until("kept the last good output", 60)
        assert any(line.endswith('01-intro.md:3: note "[^missing]" is not defined') for line in printed)
        assert (folder / "build" / "report.docx").read_bytes() == good
        chapter.write_text("# Intro\n\nFixed text.\n", encoding="utf-8")
        printed = lines.until("built", 60)
        assert any("report.docx" in line and "unchanged" not in line for line in printed)
        assert (folder / "build" / "report.docx").read_bytes() != good
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert lines.until("stopped", 5)[-1] == "stopped"  # and no traceback before it
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_start_up_does_not_import_the_writers():
    code = ("import sys, reportkit.cli, reportkit.build, reportkit.incremental; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'docx')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True)
    assert out.stdout.strip() == "[]"


def test_check_imports_no_writer(report_factory):
    code = ("import sys; from pathlib import Path; from reportkit.build import check; "
            f"check(Path({str(report_factory())!r})); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'docx', 'PIL')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_and_help():
    out = subprocess.run([sys.executable, "-m", "reportkit", "--help"], capture_output=True, text=True,
                         env=ENV, check=True)
    for command in ("build", "check", "new", "recommendations", "watch"):
        assert command in out.stdout
    assert Path(ROOT / "reportkit" / "__main__.py").exists()


def test_the_command_exits_with_its_code_and_all_its_output(report_factory):
    """``run`` ends the process without the interpreter's teardown: exit codes and buffered
    output must survive that, through pipes as much as on a terminal."""
    broken = report_factory({"01-intro.md": "# Intro\n\nText.[^missing]\n"})
    failed = subprocess.run([sys.executable, "-m", "reportkit", "build", str(broken)],
                            capture_output=True, text=True, env=ENV)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [f'{broken}/01-intro.md:3: note "[^missing]" is not defined']
    chapters = "".join(f"# Chapter {i}\n\n::: recommendation\n- Do thing {i}.\n:::\n\n" for i in range(400))
    folder = report_factory({"01-intro.md": chapters}, name="long")
    listed = subprocess.run([sys.executable, "-m", "reportkit", "recommendations", str(folder), "--format", "md"],
                            capture_output=True, text=True, env=ENV)
    assert listed.returncode == 0, listed.stderr
    assert "400. Do thing 399." in listed.stdout
    assert listed.stdout == run("recommendations", folder, "--format", "md").stdout
    usage = subprocess.run([sys.executable, "-m", "reportkit", "build", "--format", "tiff", str(folder)],
                           capture_output=True, text=True, env=ENV)
    assert usage.returncode == 2 and "tiff" in usage.stderr
