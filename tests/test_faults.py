"""Faults a build meets from its machine: a full disk, coarse file times, a faulty LibreOffice,
a killed build. Each leaves the previous outputs or the new ones, never a mix, with one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run
from docxutil import docx_text

CHANGED = "# Introduction\n\nA changed first chapter.\n"


@pytest.fixture(autouse=True)
def _no_libreoffice_pass(monkeypatch):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")


def _pair(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and "reportkit" not in p.name}


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_output_path_that_is_a_folder_leaves_the_previous_pair(report_factory, monkeypatch):
    folder = report_factory()
    monkeypatch.chdir(folder.parent)
    assert run("build", "report", "-q").exit_code == 0
    before = _pair(folder / "build")
    (folder / "01-intro.md").write_text(CHANGED, encoding="utf-8")
    (folder / "build" / "report.docx").unlink()
    (folder / "build" / "report.docx").mkdir()
    before.pop("report.docx")
    result = run("build", "report", "-q")
    assert result.stderr.splitlines() == ["cannot write report/build/report.docx: it is a folder"]
    assert result.exit_code == 1
    assert _pair(folder / "build") == before  # the PDF was not replaced alone
    assert _files(folder / "build") == [".reportkit-cache.json", "report.docx", "report.pdf"]


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not let tests mount a tmpfs")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_disk_full_leaves_the_previous_pair(report_factory, monkeypatch, small_disk):
    folder = report_factory()
    monkeypatch.chdir(folder.parent)
    out = small_disk / "build"
    assert run("build", "report", "-q", "--out", out).exit_code == 0
    before = _pair(out)
    filler = small_disk / "filler"
    room = len(before["report.docx"]) + 8192  # for a new DOCX beside the old pair, not for a new PDF too
    assert len(before["report.pdf"]) > 8192
    disk = os.statvfs(small_disk)
    with open(filler, "wb") as f:
        f.write(b"\0" * (disk.f_bavail * disk.f_frsize - room))
    (folder / "01-intro.md").write_text(CHANGED, encoding="utf-8")
    result = run("build", "report", "-q", "--out", out)
    assert result.stderr.splitlines() == [f"cannot write {out}/report.pdf: No space left on device"]
    assert result.exit_code == 1
    assert _pair(out) == before
    assert _files(out) == [".reportkit-cache.json", "report.docx", "report.pdf"]


def test_a_save_in_the_same_second_as_the_build_is_never_taken_for_unchanged(report_factory):
    from reportkit.incremental import build

    folder = report_factory({"01-intro.md": "# Introduction\n\nThe old text.\n"})
    chapter = folder / "01-intro.md"
    second = int(time.time())
    os.utime(chapter, (second, second))  # a file system that keeps whole seconds
    build(folder, formats=("docx",))
    chapter.write_text("# Introduction\n\nThe new text.\n", encoding="utf-8")  # saved within that second:
    os.utime(chapter, (second, second))  # the same size and time as the build read
    assert [w.unchanged for w in build(folder, formats=("docx",))] == [False]
    assert "The new text." in docx_text(folder / "build" / "report.docx")
    assert [w.unchanged for w in build(folder, formats=("docx",))] == [True]  # then its content vouches


FAKE_SOFFICE = {  # what a faulty LibreOffice does, each run logged
    "hangs": "sleep 30",
    "exits 1": "exit 1",
    "writes garbage": 'while [ "$1" != --outdir ]; do shift; done; mkdir -p "$2"; printf garbage > "$2/document.pdf"',
}
WARNED = {
    "hangs": "warning: the DOCX contents carry no page numbers: LibreOffice took longer than 2 s "
             "(REPORTKIT_LIBREOFFICE_TIMEOUT)",
    "exits 1": "warning: the DOCX contents carry no page numbers: LibreOffice failed (exit code 1)",
    "writes garbage": "warning: the DOCX contents carry no page numbers: LibreOffice wrote a PDF that cannot be read",
    "missing": "warning: the DOCX contents carry no page numbers: LibreOffice (soffice) is not installed",
}


@pytest.mark.parametrize("fault", [*FAKE_SOFFICE, "missing"])
def test_a_faulty_libreoffice_costs_the_page_numbers_only(report_factory, monkeypatch, tmp_path, fault):
    folder = report_factory()
    monkeypatch.chdir(folder.parent)
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "runs"
    if fault in FAKE_SOFFICE:
        (fake / "soffice").write_text(f"#!/bin/sh\necho run >> {log}\n{FAKE_SOFFICE[fault]}\n", encoding="utf-8")
        (fake / "soffice").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake) if fault == "missing" else f"{fake}:/usr/bin:/bin")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache" / "reportkit" / "libreoffice-profile").mkdir(parents=True)  # a cached profile: no retry
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "1")
    monkeypatch.setenv("REPORTKIT_LIBREOFFICE_TIMEOUT", "2")
    start = time.monotonic()
    result = run("build", "report", "-q")
    assert result.stderr.splitlines() == [WARNED[fault]]
    assert result.exit_code == 0
    if fault == "hangs":  # the build did not wait for the hanging office (a loaded machine may be slow)
        assert time.monotonic() - start < 25
    assert "Introduction" in docx_text(folder / "build" / "report.docx")
    assert (folder / "build" / "report.pdf").read_bytes().startswith(b"%PDF")
    if fault == "hangs":
        assert log.read_text().splitlines() == ["run"]  # a timeout is never retried


def _tagged(tag: str) -> list[int]:
    """The processes whose environment holds ``tag`` (a build's, and all it started)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and tag.encode() in (proc / "environ").read_bytes() \
                    and (proc / "stat").read_text().split(")")[-1].split()[0] != "Z":
                found.append(int(proc.name))
        except OSError:
            pass
    return found


def _start_build(report: Path, tag: str, out: Path, **env: str) -> subprocess.Popen:
    root = Path(__file__).parents[1]
    return subprocess.Popen([sys.executable, "-m", "reportkit", "build", str(report), "--out", str(out), "-q",
                             "--force"], cwd=report.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(root), "REPORTKIT_RUN": tag, **env})


def _wait_for_worker(build: subprocess.Popen, tag: str) -> None:
    deadline = time.monotonic() + 20
    while not [pid for pid in _tagged(tag) if pid != build.pid]:
        assert time.monotonic() < deadline and build.poll() is None, "the build started no worker"
        time.sleep(0.02)


@pytest.mark.parametrize("pages, delay", [("0", 0), ("0", 0.5), ("1", 0.5)])
def test_a_killed_build_leaves_no_process(tmp_path, pages, delay):
    import shutil as sh
    import signal as sig

    from conftest import SAMPLE

    report = tmp_path / SAMPLE.name
    sh.copytree(SAMPLE, report, ignore=sh.ignore_patterns("build"))
    tag = f"faults-{os.getpid()}-{pages}-{delay}"
    build = _start_build(report, tag, tmp_path / "out", REPORTKIT_DOCX_PAGES=pages)
    _wait_for_worker(build, tag)
    time.sleep(delay)  # while the PDF writer imports WeasyPrint, or lays out the pages
    assert build.poll() is None
    build.send_signal(sig.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 5
    while _tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tagged(tag) == []


def test_a_child_whose_parent_died_before_it_asked_to_die_with_it_ends(tmp_path):
    # The race of a build killed while it starts LibreOffice: the child asks to die with its
    # parent only once the parent is gone. Told the parent's id, it ends; not told, it lives on.
    script = """
import os, sys, time
from reportkit.libreoffice import end_with_parent
parent = os.getpid()
for name, told in (("told", parent), ("not-told", None)):
    if os.fork() == 0:
        time.sleep(0.5)  # the parent has ended by now
        end_with_parent(told)
        open(os.path.join(sys.argv[1], name), "w").close()
        os._exit(0)
os._exit(0)
"""
    root = Path(__file__).parents[1]
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, env={**os.environ, "PYTHONPATH": str(root)})
    deadline = time.monotonic() + 10
    while not (tmp_path / "not-told").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["not-told"]


@pytest.mark.slow  # builds killed at several moments, one after another (12 s)
def test_builds_killed_or_not_leave_nothing_in_the_temporary_folder(tmp_path):
    import shutil as sh
    import signal as sig

    from conftest import SAMPLE

    report = tmp_path / SAMPLE.name
    sh.copytree(SAMPLE, report, ignore=sh.ignore_patterns("build"))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"TMPDIR": str(temporary), "REPORTKIT_DOCX_PAGES": "1"}
    for _ in range(2):
        assert _start_build(report, "faults-tmp", tmp_path / "out", **env).wait() == 0
        assert sorted(os.listdir(temporary)) == []
    build = _start_build(report, "faults-tmp-killed", tmp_path / "out", **env)
    _wait_for_worker(build, "faults-tmp-killed")
    time.sleep(0.5)
    build.send_signal(sig.SIGKILL)
    build.wait()
    time.sleep(1)
    assert _start_build(report, "faults-tmp", tmp_path / "out", **env).wait() == 0
    assert sorted(os.listdir(temporary)) == []


def test_a_style_logo_that_is_not_an_image_is_one_line(report_factory, monkeypatch):
    toml = (Path(__file__).parent / "reports/minimal/report.toml").read_text(encoding="utf-8")
    folder = report_factory({"report.toml": toml + 'style = "house"\n',
                             "styles/house/theme.toml": 'inherit = "default"\n[cover]\nlogo = "logo.png"\n',
                             "styles/house/logo.png": "not an image\n"})
    monkeypatch.chdir(folder.parent)
    result = run("build", "report", "-q")
    assert result.stderr.splitlines() == [
        'report/styles/house/theme.toml:3: image "logo.png" is not a PNG, JPEG, GIF, WebP or SVG image']
    assert result.exit_code == 1
    assert not (folder / "build").exists()


def test_a_pdf_engine_that_cannot_load_is_one_line(report_factory, tmp_path):
    folder = report_factory()
    fake = tmp_path / "broken" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(  # as WeasyPrint does when a system library is missing
        'print("WeasyPrint could not import some external libraries.")\n'
        'raise OSError("cannot load library \'libpango-1.0-0\': no such file")\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "reportkit", "build", "report"], cwd=folder.parent,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": f"{fake.parent}:{Path(__file__).parents[1]}"})
    assert result.stderr.splitlines() == [
        "cannot start the PDF engine (WeasyPrint): cannot load library 'libpango-1.0-0': no such file; "
        "see https://doc.courtbouillon.org/weasyprint/stable/first_steps.html#troubleshooting"]
    assert result.stdout == ""
    assert result.returncode == 1
    assert not (folder / "build" / "report.docx").exists()


def test_a_bad_font_file_is_one_line(report_factory, monkeypatch):
    toml = (Path(__file__).parent / "reports/minimal/report.toml").read_text(encoding="utf-8")
    folder = report_factory({"report.toml": toml + 'style = "house"\n',
                             "styles/house/theme.toml": 'inherit = "default"\n',
                             "styles/house/fonts/Carlito-Regular.ttf": b"garbage\n"})
    monkeypatch.chdir(folder.parent)
    result = run("build", "report", "-q")
    assert result.stderr.splitlines() == ["report/styles/house/fonts/Carlito-Regular.ttf: cannot be read as a font: "
                                          "Not a TrueType or OpenType font (not enough data)"]
    assert result.exit_code == 1


BUILD_WITH = """import sys
import weasyprint.pdf.fonts
if sys.argv[1] == "fonttools":
    weasyprint.pdf.fonts.harfbuzz_subset = None  # as without libharfbuzz-subset0
from reportkit.cli import run
sys.argv = ["reportkit", "build", sys.argv[2], "--out", sys.argv[3], "--force", "-q", "-f", "pdf"]
run()
"""


@pytest.mark.parametrize("subsetter", ["harfbuzz", pytest.param("fonttools", marks=pytest.mark.slow)])  # fontTools:
# WeasyPrint's fallback without libharfbuzz-subset0 (7 s), in the slow run
def test_same_sources_same_pdf_bytes_whoever_subsets_the_fonts(report_factory, tmp_path, subsetter):
    import weasyprint.pdf.fonts

    if subsetter == "harfbuzz" and not weasyprint.pdf.fonts.harfbuzz_subset:
        pytest.skip("libharfbuzz-subset0 is not installed")
    folder = report_factory()
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(Path(__file__).parents[1])
    pdfs = []
    for out in ("one", "two"):
        if pdfs:
            time.sleep(1.1)  # fontTools stamps a font with the time in seconds: the second build a second later
        subprocess.run([sys.executable, "-c", BUILD_WITH, subsetter, str(folder), str(tmp_path / out)],
                       check=True, env=env, timeout=60)
        pdfs.append((tmp_path / out / "report.pdf").read_bytes())
    assert pdfs[0] == pdfs[1]


def test_a_build_waits_for_another_build_of_the_same_folder(report_factory):
    import fcntl

    folder = report_factory()
    out = folder / "build"
    out.mkdir()
    held = os.open(out, os.O_RDONLY | os.O_DIRECTORY)  # the folder locked, as a build (or a watch round) holds it
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        build = _start_build(folder, "faults-lock", out, REPORTKIT_DOCX_PAGES="0")
        time.sleep(3)
        assert build.poll() is None  # waiting, not writing beside the other
        assert not (out / "report.pdf").exists()
    finally:
        os.close(held)
    assert build.wait(timeout=60) == 0
    assert (out / "report.pdf").is_file() and (out / "report.docx").is_file()
