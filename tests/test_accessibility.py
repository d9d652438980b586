"""The PDF is accessible: PDF/UA-1 clean under two independent checkers (page-validation's ua1
profile, outloud), and its structure tree, walked with pikepdf, holds what a screen reader
needs: list items of a label and a body, contents leaders and the page footer as artifacts,
links described by where they go, a figure's alt text apart from its caption.

Each PDF is built once for the module: the sample, the features report, its endnotes variant.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import page
import pikepdf
import pytest

from conftest import SAMPLE, TESTS
from reportkit.build import load_report
from reportkit.themes import load_theme
from reportkit.writers import Options, pdf
from reportkit.writers.pdf_tags import _unicode_maps

FEATURES = TESTS / "reports" / "features"


def _build(folder: Path, out: Path) -> Path:
    report = load_report(folder)
    data = pdf.render(report, load_theme(report.meta.style, folder), Options()).data
    out.write_bytes(data)
    return out


RUSSIAN_TABLE = """
## Статистика

Число выявленных жертв снизилось с 38 в 2011 году до 11 в 2012 году.[^ru-zhertvy]

| Год  | Выявлено жертв | Осуждено[^ru-osuzhdeno] |
|:-----|---------------:|------------------------:|
| 2011 | 38             | 9                       |
| 2012 | 11             | 0                       |

- Профилактика
  - в школах
  - в интернете
- Защита пострадавших детей

[^ru-zhertvy]: Государственный департамент США, 2013 год.
[^ru-osuzhdeno]: Там же.
"""
"""A table, a nested list and two more notes for the Russian variant."""


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each report's folder: the sample, the features report, its endnotes and Russian variants."""
    tmp = tmp_path_factory.mktemp("a11y-sources")
    endnotes = tmp / "features-endnotes"
    shutil.copytree(FEATURES, endnotes)
    toml = endnotes / "report.toml"
    toml.write_text(toml.read_text().replace("\nchapters =", '\nnotes = "endnotes"\nchapters =', 1))
    russian = tmp / "russian"
    shutil.copytree(TESTS / "reports" / "russian", russian)
    with (russian / "02-mery.md").open("a", encoding="utf-8") as chapter:
        chapter.write(RUSSIAN_TABLE)
    return {"sample": SAMPLE, "features": FEATURES, "endnotes": endnotes, "russian": russian}


@pytest.fixture(scope="module")
def built(sources, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("a11y")
    return {name: _build(folder, tmp / f"{name}.pdf") for name, folder in sources.items()}


NAMES = ["sample", "features", "endnotes", "russian"]


@pytest.mark.parametrize("name", NAMES)
def test_page_validation_finds_no_pdf_ua_failure(built, name):
    report = page.validate_pdf(str(built[name]), profile="ua1")
    assert [(f.rule_id, f.message) for f in report.failures] == []
    assert report.rules.failed == 0 and report.checks.failed == 0


@pytest.mark.parametrize("name", NAMES)
def test_outloud_finds_no_error(built, name):
    program = Path(sys.executable).with_name("outloud")  # installed with the test extra
    done = subprocess.run([str(program), "-q", "--fail-on", "error", str(built[name])],
                          capture_output=True, text=True)
    assert done.returncode == 0 and " 0 error" in done.stdout, done.stdout + done.stderr


def _kids(element) -> list:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _elements(pdf_file: pikepdf.Pdf):
    """Every structure element with its parent, in reading order."""
    todo = [(k, None) for k in reversed(_kids(pdf_file.Root.StructTreeRoot))]
    while todo:
        element, parent = todo.pop()
        if not (isinstance(element, pikepdf.Dictionary) and "/S" in element):
            continue
        yield element, parent
        todo.extend((k, element) for k in reversed(_kids(element)))


def _owned(pdf_file: pikepdf.Pdf) -> set[tuple[int, int]]:
    """(page number, MCID) of each marked-content sequence some element of the tree holds."""
    pages = {p.objgen: i for i, p in enumerate(pdf_file.pages)}
    owned = set()
    for element, _ in _elements(pdf_file):
        page_number = pages.get(element.Pg.objgen) if "/Pg" in element else None
        for kid in _kids(element):
            if isinstance(kid, int):
                owned.add((page_number, int(kid)))
            elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                owned.add((pages[kid.Pg.objgen] if "/Pg" in kid else page_number, int(kid.MCID)))
    return owned


def _marked(pdf_file: pikepdf.Pdf):
    """(page number, tag, MCID or None, text) of each outermost marked-content sequence."""
    for number, pg in enumerate(pdf_file.pages):
        maps, font, stack = _unicode_maps(pg), {}, []
        for operands, operator in pikepdf.parse_content_stream(pg):
            op = str(operator)
            if op in ("BDC", "BMC"):
                props = operands[1] if op == "BDC" else None
                mcid = int(props.MCID) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props else None
                stack.append([str(operands[0]), mcid, ""])
            elif op == "EMC" and stack:
                tag, mcid, text = stack.pop()
                if not stack:
                    yield number, tag, mcid, text
                else:
                    stack[-1][2] += text
            elif op == "Tf":
                font = maps.get(str(operands[0]), {})
            elif op in ("Tj", "TJ") and stack:
                items = operands[0] if isinstance(operands[0], pikepdf.Array) else [operands[0]]
                for item in items:
                    if isinstance(item, pikepdf.String):
                        raw = bytes(item)
                        stack[-1][2] += "".join(font.get(raw[j:j + 2], "?") for j in range(0, len(raw), 2))


@pytest.fixture(scope="module")
def opened(built):
    files = {name: pikepdf.open(path) for name, path in built.items()}
    yield files
    for f in files.values():
        f.close()


@pytest.mark.parametrize("name", NAMES)
def test_list_items_hold_a_label_and_a_body(opened, name):
    items = [e for e, _ in _elements(opened[name]) if e.S == "/LI"]
    assert items
    for item in items:
        assert {str(k.S) for k in _kids(item) if isinstance(k, pikepdf.Dictionary) and "/S" in k} <= {"/Lbl", "/LBody"}


@pytest.mark.parametrize("name", NAMES)
def test_every_link_annotation_is_in_a_link_and_says_where_it_goes(opened, name):
    links = [(e, k.Obj) for e, _ in _elements(opened[name]) for k in _kids(e)
             if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
    annotations = [a for pg in opened[name].pages for a in pg.get("/Annots", []) if a.Subtype == "/Link"]
    assert len(links) == len(annotations)
    assert {e.S for e, _ in links} == {"/Link"}
    for annot in annotations:
        contents = str(annot.Contents)
        assert not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+|[a-z]+", contents), contents


def test_links_name_their_note_or_section(opened):
    contents = {str(a.Contents) for pg in opened["features"].pages for a in pg.get("/Annots", [])}
    assert {"Note 1", "Note 2", "Section 2.1, The law", "Section 1, Introduction"} <= contents
    endnotes = {str(a.Contents) for pg in opened["endnotes"].pages for a in pg.get("/Annots", [])}
    assert {"Note 1", "Back to the call of note 1"} <= endnotes


@pytest.mark.parametrize("name", NAMES)
def test_leaders_and_footer_are_artifacts_and_all_other_text_is_in_the_tree(opened, name):
    marked = list(_marked(opened[name]))
    owned = _owned(opened[name])
    tagged = [(n, mcid, text) for n, tag, mcid, text in marked if mcid is not None]
    assert [t for t in tagged if (t[0], t[1]) not in owned] == []
    assert not [t for t in tagged if re.search(r"\.\s*\.\s*\.|(Page|Страница) \d+ (of|из) \d+", t[2])]
    artifacts = "".join(text for _, tag, _, text in marked if tag == "/Artifact")
    assert ("Страница 2 из" if name == "russian" else "Page 2 of") in artifacts and "......" in artifacts
    contents_page = [t for t in tagged if t[0] == 1]
    assert sum(text == "." for _, _, text in contents_page) < 3


def test_a_figure_alt_text_and_its_caption_differ_when_the_source_says_so(opened):
    figures = [e for e, _ in _elements(opened["features"]) if e.S == "/Figure"]
    assert "Three bars of rising height" in [str(f.get("/Alt")) for f in figures]
    marked = "".join(text for *_, text in _marked(opened["features"]))
    assert "A bar chart drawn as SVG" in marked and "Three bars of rising height" not in marked


def test_rebuilding_gives_the_same_bytes(built, tmp_path):
    assert _build(FEATURES, tmp_path / "again.pdf").read_bytes() == built["features"].read_bytes()


def _links_to(element) -> set[str]:
    """The descriptions of the link annotations under ``element``."""
    found = set()
    todo = [element]
    while todo:
        e = todo.pop()
        for kid in _kids(e):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                found.add(str(kid.Obj.get("/Contents", "")))
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.S != "/Note":
                todo.append(kid)
    return found


@pytest.mark.parametrize(("name", "count"), [("sample", 25), ("features", 6), ("russian", 6)])
def test_every_footnote_is_a_note_right_after_the_paragraph_that_calls_it(opened, name, count):
    notes = [(e, parent) for e, parent in _elements(opened[name]) if e.S == "/Note"]
    assert [str(e.ID) for e, _ in notes] == [f"note-{n}" for n in range(1, count + 1)]
    for note, parent in notes:
        siblings = [k for k in _kids(parent) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        at = next(i for i, k in enumerate(siblings) if k.objgen == note.objgen)
        before = next((k for k in reversed(siblings[:at]) if k.S != "/Note"), None)
        caller = parent if parent.S in ("/LBody", "/TD", "/TH") else before
        assert f"Note {str(note.ID).split('-')[1]}" in _links_to(caller), str(note.ID)
    document = _kids(opened[name].Root.StructTreeRoot)[0]
    assert not [k for k in _kids(document) if k.S == "/NonStruct" and all(n.S == "/Span" for n in _kids(k))]
