"""Building: nothing done twice, formats side by side, outputs replaced whole, watch rounds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reportkit.errors import ReportError
from reportkit.incremental import CACHE_NAME, build
from reportkit.outputs import BuildOptions
from reportkit.watch import watch


@pytest.fixture(autouse=True)
def _no_libreoffice_pass(monkeypatch):
    # The DOCX page-number pass through LibreOffice is tested in test_docx.py; here it only costs time.
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")


def _state(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir() if p.is_file()}


def test_no_change_rebuild_writes_nothing(report_factory):
    folder = report_factory()
    first = build(folder, formats=("pdf", "docx"))
    assert [w.unchanged for w in first] == [False, False]
    before = _state(folder / "build")
    again = build(folder, formats=("pdf", "docx"))
    assert [w.unchanged for w in again] == [True, True]
    assert _state(folder / "build") == before


def test_one_word_edit_rebuilds_both(report_factory):
    folder = report_factory()
    build(folder, formats=("pdf", "docx"))
    chapter = folder / "01-intro.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("first chapter", "opening chapter"),
                       encoding="utf-8")
    again = build(folder, formats=("pdf", "docx"))
    assert [w.unchanged for w in again] == [False, False]


def test_style_change_rebuilds_only_the_formats_it_affects(report_factory):
    folder = report_factory({"report.toml": (Path(__file__).parent / "reports/minimal/report.toml")
                            .read_text(encoding="utf-8") + 'style = "house"\n'})
    house = folder / "styles" / "house"
    house.mkdir(parents=True)
    (house / "theme.toml").write_text('inherit = "default"\n[colours]\nheading = "#AA0000"\n', encoding="utf-8")
    build(folder, formats=("pdf", "docx"))
    # theme.toml is read by both writers
    (house / "theme.toml").write_text('inherit = "default"\n[colours]\nheading = "#00AA00"\n', encoding="utf-8")
    assert [w.unchanged for w in build(folder, formats=("pdf", "docx"))] == [False, False]
    # a CSS template is read by the PDF writer only
    (house / "report.css.j2").write_text(
        (Path(__file__).parents[1] / "styles/default/report.css.j2").read_text(encoding="utf-8") + "\n/* x */\n",
        encoding="utf-8")
    assert [w.unchanged for w in build(folder, formats=("pdf", "docx"))] == [False, True]


def test_force_rebuilds(report_factory):
    folder = report_factory()
    build(folder, formats=("docx",))
    assert build(folder, formats=("docx",), force=True)[0].unchanged is False


def test_edited_output_is_rebuilt(report_factory):
    folder = report_factory()
    path = build(folder, formats=("docx",))[0].path
    path.write_bytes(b"someone saved over it")
    assert build(folder, formats=("docx",))[0].unchanged is False
    assert path.read_bytes().startswith(b"PK")


def test_parallel_and_sequential_give_the_same_bytes(report_factory, tmp_path):
    folder = report_factory()
    parallel = build(folder, tmp_path / "a", formats=("pdf", "docx"), parallel=True)
    sequential = build(folder, tmp_path / "b", formats=("pdf", "docx"), parallel=False)
    for a, b in zip(parallel, sequential):
        assert a.path.read_bytes() == b.path.read_bytes()


def test_failed_build_keeps_previous_outputs(report_factory):
    folder = report_factory()
    build(folder, formats=("pdf", "docx"))
    before = _state(folder / "build")
    (folder / "01-intro.md").write_text("# Intro\n\nBroken.[^missing]\n", encoding="utf-8")
    with pytest.raises(ReportError):
        build(folder, formats=("pdf", "docx"))
    assert _state(folder / "build") == before


def test_writer_crash_keeps_previous_outputs_and_no_temp_files(report_factory, monkeypatch):
    folder = report_factory()
    build(folder, formats=("pdf", "docx"))
    before = _state(folder / "build")
    (folder / "01-intro.md").write_text(INTRO_EDITED, encoding="utf-8")

    def explode(*_args, **_kwargs):
        raise RuntimeError("writer crashed mid-write")

    monkeypatch.setattr("reportkit.writers.pdf.render", explode)  # forked workers inherit it
    for parallel in (True, False):
        with pytest.raises(RuntimeError):
            build(folder, formats=("pdf", "docx"), parallel=parallel)
        assert _state(folder / "build") == before  # the DOCX rendered, but was not put in place
        assert not [p for p in (folder / "build").iterdir() if p.name.endswith(".tmp")]


def test_stale_temporary_files_of_a_killed_build_are_removed(report_factory):
    folder = report_factory()
    build(folder, formats=("docx",))
    stale = folder / "build" / ".report.pdf.abc123.tmp"
    stale.write_bytes(b"half a PDF")
    fresh = folder / "build" / ".report.docx.def456.tmp"  # another build may be writing it now
    fresh.write_bytes(b"being written")
    os.utime(stale, (0, 0))
    build(folder, formats=("docx",))
    assert not stale.exists() and fresh.exists()


def test_killed_build_keeps_previous_outputs(tmp_path):
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from conftest import SAMPLE

    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    build(folder, formats=("pdf", "docx"))
    before = _state(folder / "build")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "REPORTKIT_DOCX_PAGES": "1"}
    process = subprocess.Popen([sys.executable, "-m", "reportkit", "build", "--force", str(folder)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    time.sleep(1.0)  # past start-up, into rendering
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"Traceback" not in err
    assert _state(folder / "build") == before
    assert not [p for p in (folder / "build").iterdir() if p.name.endswith(".tmp")]


def test_interrupted_write_leaves_no_temp_file(tmp_path, monkeypatch):
    from reportkit import outputs

    target = tmp_path / "out.pdf"
    target.write_bytes(b"previous")

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_atomic(target, b"new")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


def test_unwritable_output_folder(report_factory, tmp_path):
    if os.geteuid() == 0:
        blocked = tmp_path / "file-not-folder"
        blocked.write_text("x")
        out = blocked / "build"  # a folder cannot be made inside a file, even by root
    else:
        out = tmp_path / "ro"
        out.mkdir(mode=0o500)
    folder = report_factory()
    with pytest.raises(ReportError) as err:
        build(folder, out, formats=("docx",))
    assert str(err.value).startswith(f"cannot write to {out}")


INTRO_EDITED = "# Introduction\n\nThe edited chapter calls a note.[^first]\n\n[^first]: The first note.\n"


def test_watch_rebuilds_and_survives_an_error(report_factory):
    folder = report_factory()
    chapter = folder / "01-intro.md"
    lines: list[str] = []

    def saves():
        chapter.write_text("# Introduction\n\nBroken.[^missing]\n", encoding="utf-8")
        yield "broken save"
        assert (folder / "build" / "report.docx").exists()  # the last good output stays
        chapter.write_text(INTRO_EDITED, encoding="utf-8")
        yield "fixed save"

    watch(folder, ("pdf", "docx"), echo=lines.append, changes=saves())
    assert len(lines) == 4, lines
    assert "built report.docx" in lines[0] and "report.pdf" in lines[0]
    assert lines[1].endswith('01-intro.md:3: note "[^missing]" is not defined')
    assert "errors: kept the last good output" in lines[2]
    assert "built report.docx" in lines[3] and "unchanged" not in lines[3]
    assert lines[3].index("report.docx") < lines[3].index("report.pdf")  # DOCX first, then the PDF
    assert not (folder / "build" / CACHE_NAME).read_text() == ""


def test_docx_without_page_numbers_is_rebuilt_by_a_full_build(report_factory):
    folder = report_factory()
    build(folder, formats=("pdf", "docx"), options=BuildOptions(docx_page_numbers=False))  # as watch does
    again = build(folder, formats=("pdf", "docx"), options=BuildOptions(docx_page_numbers=True))
    assert [w.unchanged for w in again] == [True, False]


def test_watch_prints_check_warnings_before_building(report_factory):
    folder = report_factory({"report.toml": (Path(__file__).parent / "reports/minimal/report.toml")
                            .read_text(encoding="utf-8") + "word_limit = 10\n"})
    lines: list[str] = []
    watch(folder, ("docx",), echo=lines.append, changes=[])
    assert lines[0].endswith("warning: 28 words over the word limit of 10")
    assert "built report.docx" in lines[1]


def test_a_draft_has_its_own_files_a_watermark_in_both_and_the_builds_date_and_time(report_factory, monkeypatch):
    """--draft writes NAME-draft.pdf/.docx beside the final files; the DOCX carries Word's
    watermark, the PDF a drawn one that stays out of its text; both are stamped with the time
    of the build, not the sources' date."""
    import re
    import zipfile
    from datetime import datetime

    from conftest import run
    from pdfutil import page_texts

    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory()
    assert run("build", folder).exit_code == 0
    final = {p: (folder / "build" / p).read_bytes() for p in ("report.pdf", "report.docx")}
    before = datetime.now().replace(second=0, microsecond=0)
    result = run("build", "--draft", folder)
    assert result.exit_code == 0, result.output
    assert {p: (folder / "build" / p).read_bytes() for p in final} == final  # the final files untouched
    pdf = (folder / "build" / "report-draft.pdf").read_bytes()
    pages = page_texts(pdf)
    stamps = {m for page in pages for m in re.findall(r"Draft · (\d{4}-\d\d-\d\d \d\d:\d\d)", page)}
    assert len(stamps) == 1 and datetime.strptime(stamps.pop(), "%Y-%m-%d %H:%M") >= before
    assert all("DRAFT" not in page.upper().replace("DRAFT ·", "") for page in pages)  # the stamp only
    assert tinted(pdf) > 20 * tinted(final["report.pdf"]) + 500  # yet drawn across the page
    with zipfile.ZipFile(folder / "build" / "report-draft.docx") as z:
        headers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/header")]
    marks = [h for h in headers if 'string="DRAFT"' in h and "v:textpath" in h]
    assert len(marks) == 2  # every page's header, the cover's too
    assert any(re.search(r"Draft · \d{4}-\d\d-\d\d \d\d:\d\d", h) for h in headers)


def tinted(pdf: bytes) -> int:
    """How many pixels of the second page (at 30 dpi) are faintly red: the watermark's."""
    import shutil
    import subprocess
    import tempfile

    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "in.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "30", "-png", "-singlefile", "-f", "2", "in.pdf", "page"], cwd=folder,
                       capture_output=True, check=True)
        image = Image.open(Path(folder) / "page.png").convert("RGB")
    data = image.tobytes()
    return sum(1 for r, g, b in zip(data[0::3], data[1::3], data[2::3])
               if r > 235 and 200 < g < 245 and abs(g - b) < 8 and r - g > 8)
