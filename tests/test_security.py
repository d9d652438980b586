"""Nothing leaks: no network, no file outside the report and its style, no raw HTML rendered."""

from __future__ import annotations

import io
import socket
import zipfile

import pytest

from reportkit.build import build
from reportkit.errors import ReportError

CANARY = "CANARY-7f3a9c-outside-the-report"


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test (forked build workers inherit this)."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("a build tried to open a network socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    return attempts


def _all_output_text(paths) -> str:
    """Every byte of the outputs, and the DOCX's unzipped parts, as text to search."""
    chunks = []
    for path in paths:
        data = path.read_bytes()
        chunks.append(data.decode("latin-1"))
        if path.suffix == ".docx":
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                chunks += [package.read(n).decode("utf-8", "replace") for n in package.namelist()]
    return "\n".join(chunks)


HOSTILE = """# Hostile

<script>alert('x')</script>

<iframe src="https://example.org"></iframe> <object data="file:///etc/passwd"></object>

An image tag <img src="file://{canary}"> and <img src="https://example.org/x.png"> stay text.

A [normal link](https://example.org) is fine.
"""


def test_raw_html_is_text_and_nothing_is_fetched(report_factory, tmp_path, no_network):
    canary = tmp_path / "canary.txt"
    canary.write_text(CANARY, encoding="utf-8")
    folder = report_factory({"01-intro.md": HOSTILE.format(canary=canary)})
    written = build(folder, formats=("pdf", "docx", "html")).outputs
    html = written[2].path.read_text(encoding="utf-8")
    assert "<script" not in html and "<iframe" not in html and "<object" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html or "&lt;script&gt;" in html
    assert "<img src=\"file://" not in html and '<img src="https://' not in html
    assert CANARY not in _all_output_text(w.path for w in written)
    assert no_network == []


@pytest.mark.parametrize("how", ["relative", "symlink", "absolute-file-url"])
def test_files_outside_the_report_are_refused(report_factory, tmp_path, no_network, how):
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n" + CANARY.encode())
    folder = report_factory()
    match how:
        case "relative":
            src = "../outside.png"
        case "symlink":
            (folder / "assets").mkdir()
            (folder / "assets" / "logo.png").symlink_to(outside)
            src = "assets/logo.png"
        case _:
            src = f"file://{outside}"
    (folder / "01-intro.md").write_text(f"# I\n\nText.[^first]\n\n![logo]({src})\n\n[^first]: N.\n", encoding="utf-8")
    with pytest.raises(ReportError) as err:
        build(folder, formats=("pdf", "docx"))
    assert str(err.value).startswith(f"{folder}/01-intro.md:5: image ")
    assert not (folder / "build").exists()
    assert no_network == []


def test_report_toml_values_are_escaped_in_the_outputs(report_factory, no_network):
    folder = report_factory({"report.toml": (
        'title = "<b>{{ 7*7 }}</b> & <script>x</script>"\n'
        'authors = ["A {% if true %}B{% endif %}"]\n'
        'chapters = ["01-intro.md", "02-findings.md"]\n')})
    html = build(folder, formats=("html",)).outputs[0].path.read_text(encoding="utf-8")
    assert "&lt;b&gt;{{ 7*7 }}&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;" in html
    assert "A {% if true %}B{% endif %}" in html
    assert "<script>x" not in html and ">49<" not in html
