"""Hostile and broken input: one row per case, the exact message and exit code, nothing written.

Cases that must simply work (BOM, CRLF, mixed line endings, note ids with spaces or
non-ASCII letters, a 5 MB paragraph) expect exit 0 and no message.
"""

from __future__ import annotations

import pytest

from conftest import run
from images import claimed_png

INTRO = "# Introduction\n\nText.[^first]\n\n[^first]: The first note.\n"
TOML = 'title = "T"\nchapters = ["01-intro.md"]\n'


def nested_lists(depth: int) -> str:
    return "# C\n\n" + "".join("  " * i + "- item\n" for i in range(depth))


def nested_boxes(depth: int) -> str:
    opening = "".join(":" * (3 + depth - i) + " box\n" for i in range(depth))
    return "# C\n\n" + opening + "x\n" + "".join(":" * (3 + i) + "\n" for i in range(depth))


CASES = [
    # id, files, expected stderr lines, exit code
    ("empty-file", {"01-intro.md": ""},
     ["report/01-intro.md:1: warning: empty chapter file: it is left out until it has text"], 0),
    ("binary-file", {"01-intro.md": b"\x89PNG\r\n\x1a\n\x00\x00"},
     ["report/01-intro.md:3: binary file, not Markdown text"], 1),
    ("bom-works", {"01-intro.md": b"\xef\xbb\xbf" + INTRO.encode()}, [], 0),
    ("crlf-works", {"01-intro.md": INTRO.replace("\n", "\r\n")}, [], 0),
    ("mixed-line-endings-work", {"01-intro.md": b"# I\r\n\r\nText.[^first]\n\r\n[^first]: N.\r"}, [], 0),
    ("not-utf8", {"01-intro.md": b"# I\n\nna\xefve\n"},
     ["report/01-intro.md:3: not UTF-8 text (byte 7); save the file as UTF-8"], 1),
    ("chapter-listed-twice", {"report.toml": 'title = "T"\nchapters = ["01-intro.md", "01-intro.md"]\n'},
     ['report/report.toml:2: chapter "01-intro.md" is listed twice'], 1),
    ("chapter-is-a-folder", {"report.toml": 'title = "T"\nchapters = ["assets"]\n', "assets/x.txt": "x"},
     ['report/report.toml:2: chapter "assets" is a folder, not a file'], 1),
    ("chapter-outside", {"report.toml": 'title = "T"\nchapters = ["../../etc/passwd"]\n'},
     ['report/report.toml:2: chapter "../../etc/passwd" is outside the report folder'], 1),
    ("style-outside", {"report.toml": 'title = "T"\nstyle = "../../etc"\nchapters = ["01-intro.md"]\n'},
     ['report/report.toml:2: unknown style "../../etc" (available: default)'], 1),
    ("five-mb-paragraph-works", {"01-intro.md": INTRO + "\n" + "word " * 1_000_000 + "\n"}, [], 0),
    ("lists-200-deep", {"01-intro.md": nested_lists(200)},
     ["report/01-intro.md:51: lists, quotes or boxes nested too deeply (more than 50 levels)"], 1),
    ("boxes-200-deep", {"01-intro.md": nested_boxes(200)},
     ["report/01-intro.md:102: lists, quotes or boxes nested too deeply (more than 50 levels)"], 1),
    ("note-calls-itself", {"01-intro.md": "# I\n\nText.[^a]\n\n[^a]: See[^a].\n"},
     ['report/01-intro.md:5: a note cannot call another note ("[^a]")'], 1),
    ("note-calls-another", {"01-intro.md": "# I\n\nText.[^a] More.[^b]\n\n[^a]: See[^b].\n[^b]: B.\n"},
     ['report/01-intro.md:5: a note cannot call another note ("[^b]")'], 1),
    ("note-id-non-ascii-works",
     {"01-intro.md": "# I\n\nText.[^примечание] and[^café]\n\n[^примечание]: R.\n[^café]: C.\n"}, [], 0),
    ("note-id-with-spaces-works", {"01-intro.md": "# I\n\nText.[^my note]\n\n[^my note]: R.\n"}, [], 0),
    ("box-inside-note", {"01-intro.md": "# I\n\nText.[^a]\n\n[^a]: Note.\n\n    ::: box\n    Inside.\n    :::\n"},
     ["report/01-intro.md:7: a box cannot stand inside a note"], 1),
    ("heading-inside-box", {"01-intro.md": INTRO + "\n::: box\n## Heading\n:::\n"},
     ["report/01-intro.md:8: a heading cannot stand inside a box"], 1),
    ("image-missing", {"01-intro.md": INTRO + "\n![x](assets/none.png)\n"},
     ['report/01-intro.md:7: image "assets/none.png" not found'], 1),
    ("image-not-an-image", {"01-intro.md": INTRO + "\n![x](01-intro.md)\n"},
     ['report/01-intro.md:7: image "01-intro.md" is not a PNG, JPEG, GIF, WebP or SVG image'], 1),
    ("image-huge", {"01-intro.md": INTRO + "\n![x](big.png)\n", "big.png": claimed_png(20000, 20000)},
     ['report/01-intro.md:7: image "big.png" is too large (400,000,000 pixels); scale it down to under 7000×7000'], 1),
    ("image-large", {"01-intro.md": INTRO + "\n![x](big.png)\n", "big.png": claimed_png(10000, 10000)},
     ['report/01-intro.md:7: image "big.png" is too large (10000×10000 pixels); scale it down to under 7000×7000'], 1),
    ("svg-after-a-comment-works", {"01-intro.md": INTRO + "\n![x](a.svg)\n",
                                   "a.svg": '<!-- Generator: a drawing program -->\n<!DOCTYPE svg PUBLIC '
                                            '"-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
                                            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'}, [], 0),
    ("svg-broken", {"01-intro.md": INTRO + "\n![x](a.svg)\n", "a.svg": '<svg xmlns="http://www.w3.org/2000/svg">\n<rect'},
     ['report/01-intro.md:7: image "a.svg" is not a well-formed SVG file (unclosed token: line 2, column 0)'], 1),
    ("svg-external-file", {"01-intro.md": INTRO + "\n![x](a.svg)\n",
                           "a.svg": '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'},
     ['report/01-intro.md:7: image "a.svg": SVG images may not reference other files or addresses (file:///etc/passwd)'], 1),
    ("image-http", {"01-intro.md": INTRO + "\n![x](http://example.org/a.png)\n"},
     ['report/01-intro.md:7: image "http://example.org/a.png": only files inside the report folder can be used'], 1),
    ("image-outside", {"01-intro.md": INTRO + "\n![x](../../etc/a.png)\n"},
     ['report/01-intro.md:7: image "../../etc/a.png" is outside the report folder'], 1),
    ("javascript-link", {"01-intro.md": INTRO + "\n[click](javascript:alert(1))\n"},
     ['report/01-intro.md:7: link "javascript:alert(1)" refused: javascript: links are not allowed'], 1),
    ("data-link", {"01-intro.md": INTRO + "\n[x](data:text/html,hi)\n"},
     ['report/01-intro.md:7: link "data:text/html,hi" refused: data: links are not allowed'], 1),
]


@pytest.mark.parametrize("files, expected, code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(report_factory, monkeypatch, files, expected, code):
    folder = report_factory({"report.toml": TOML, "02-findings.md": None, **files})
    sources = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    monkeypatch.chdir(folder.parent)
    result = run("check", "report")
    assert result.stderr.splitlines() == expected
    assert result.exit_code == code
    assert "Traceback" not in result.output
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == sources  # nothing written, sources untouched


def test_pillow_keeps_its_guard_against_huge_images(report_factory, monkeypatch):
    """The size limit is checked per image: Pillow's own limit stays on for the whole process."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    folder = report_factory({"report.toml": TOML, "02-findings.md": None,
                             "01-intro.md": INTRO + "\n![x](big.png)\n", "big.png": claimed_png(20000, 20000)})
    monkeypatch.chdir(folder.parent)
    assert run("check", "report").exit_code == 1
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS == limit


def test_symlinked_chapter_leading_out(report_factory, monkeypatch, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nCanary text.\n", encoding="utf-8")
    folder = report_factory({"report.toml": 'title = "T"\nchapters = ["01-intro.md", "link.md"]\n',
                             "02-findings.md": None})
    (folder / "link.md").symlink_to(secret)
    monkeypatch.chdir(folder.parent)
    result = run("check", "report")
    assert result.stderr.splitlines() == ['report/report.toml:2: chapter "link.md" is outside the report folder']
    assert result.exit_code == 1


# Cases only a build meets: (case id, files, extra arguments, expected stderr lines).
BUILD_CASES = [
    ("output-folder-not-writable", {"blocked": "a file where the output folder should go"},
     ["--out", "report/blocked/build"], ["cannot write to report/blocked/build: Not a directory"]),
    ("image-outside-at-build", {"01-intro.md": INTRO + "\n![x](../../etc/a.png)\n"}, [],
     ['report/01-intro.md:7: image "../../etc/a.png" is outside the report folder']),
]


@pytest.mark.parametrize("files, args, expected", [c[1:] for c in BUILD_CASES], ids=[c[0] for c in BUILD_CASES])
def test_build_case(report_factory, monkeypatch, files, args, expected):
    monkeypatch.setenv("REPORTKIT_DOCX_PAGES", "0")
    folder = report_factory({"report.toml": TOML, "02-findings.md": None, **files})
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    monkeypatch.chdir(folder.parent)
    result = run("build", "report", *args)
    assert result.stderr.splitlines() == expected
    assert result.exit_code == 1
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # no output, no temp
