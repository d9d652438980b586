"""The PDF is accessible: PDF/UA-1 clean under two independent checkers (page-validation's ua1
profile, outloud), and its structure tree, walked with pikepdf, holds what a screen reader
needs: list items of a label and a body, contents leaders and the page footer as artifacts,
links described by where they go, a figure's alt text apart from its caption, every note a
``/Note`` right after the paragraph that calls it (endnotes too, by ID), no section or
paragraph cut in two by a page break, box titles as headings, the words at line ends apart
and a note call that pastes apart from a number before it and never begins a line.

Each PDF is built once for the module: the sample, the features report, its endnotes variant
and a Russian report.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import page
import pikepdf
import pytest

from conftest import SAMPLE, TESTS, make_report
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


def test_every_link_prints_and_none_is_hidden(opened):
    flags = [int(a.get("/F", 0)) for pdf in opened.values() for page in pdf.pages
             for a in page.get("/Annots", []) if a.get("/Subtype") == "/Link"]
    assert len(flags) > 50 and all(f & 4 and not f & (1 | 2 | 32) for f in flags)


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
        maps, font, stack = _unicode_maps(pg), None, []
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
                font = maps.get(str(operands[0]))
            elif op in ("Tj", "TJ") and stack:
                items = operands[0] if isinstance(operands[0], pikepdf.Array) else [operands[0]]
                for item in items:
                    if isinstance(item, pikepdf.String):
                        raw = bytes(item)
                        stack[-1][2] += font.text(raw) if font is not None else "?" * (len(raw) // 2)


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
    parents = [str(parent.S) for e, parent in _elements(opened[name]) if e.S == "/L" and parent is not None]
    assert "/L" not in parents  # a nested list stands in its item's body
    if name in ("features", "russian"):
        assert "/LBody" in parents


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



@pytest.fixture(scope="module")
def texts(opened) -> dict[str, dict[tuple[int, int], str]]:
    """(page number, MCID) → text, for each PDF."""
    return {name: {(n, mcid): text for n, _, mcid, text in _marked(f) if mcid is not None}
            for name, f in opened.items()}


def _is_call(element) -> bool:
    """A link to a note (a note call)."""
    return element.S == "/Link" and any(
        re.fullmatch(r"(end)?note-\d+", str(k.Obj.get("/Dest", ""))) for k in _kids(element)
        if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR")


def _tagged_text(pdf_file, element, texts: dict, calls: bool = True) -> str:
    """The text of ``element`` read through the tags: its marked content and its kids', in
    order (note calls left out unless ``calls``; notes always)."""
    pages = {p.objgen: i for i, p in enumerate(pdf_file.pages)}
    page_number = pages.get(element.Pg.objgen) if "/Pg" in element else None
    found = []
    for kid in _kids(element):
        if isinstance(kid, int):
            found.append(texts.get((page_number, int(kid)), ""))
        elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
            found.append(texts.get((pages[kid.Pg.objgen] if "/Pg" in kid else page_number, int(kid.MCID)), ""))
        elif (isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.S != "/Note"
              and (calls or not _is_call(kid))):
            found.append(_tagged_text(pdf_file, kid, texts, calls))
    return "".join(found)


def _body(pdf_file):
    """The document's Part (the chapters), and every element in it with its parent."""
    parts = [e for e, _ in _elements(pdf_file) if e.S == "/Part"]
    assert len(parts) == 1  # WeasyPrint makes one a page
    todo = [(k, parts[0]) for k in reversed(_kids(parts[0]))]
    found = []
    while todo:
        element, parent = todo.pop()
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            found.append((element, parent))
            todo.extend((k, element) for k in reversed(_kids(element)))
    return parts[0], found


def _paragraph_starts(folder: Path) -> list[str]:
    """The first words of each paragraph of the report's model (notes' included)."""
    from reportkit.model import Image, Paragraph, iter_nodes, plain_text

    starts = []
    for node in iter_nodes(load_report(folder).chapters):
        if isinstance(node, Paragraph) and not (len(node.content) == 1 and isinstance(node.content[0], Image)):
            starts.append(" ".join(plain_text(node.content).split()[:4]))
    return starts


@pytest.mark.parametrize("name", NAMES)
def test_no_paragraph_or_section_is_split_by_a_page_break(opened, texts, sources, name):
    _, body = _body(opened[name])
    sections = [e for e, _ in body if e.S == "/Sect"]
    assert sections
    for section in sections:  # a section's fragment on a later page would begin without its heading
        first = next(k for k in _kids(section) if isinstance(k, pikepdf.Dictionary) and "/S" in k)
        assert re.fullmatch(r"/H[1-6]", str(first.S)), _tagged_text(opened[name], section, texts[name])[:60]
    paragraphs = [" ".join(_tagged_text(opened[name], e, texts[name], calls=False).split())
                  for e, _ in body if e.S == "/P"]
    starts = _paragraph_starts(sources[name])
    assert len(paragraphs) > 5
    # A paragraph's fragment on the next page begins mid-sentence: no paragraph begins so.
    for text in paragraphs:
        assert [s for s in starts if text.startswith(s)], text[:60]
    split_somewhere = {"sample": True}.get(name, False)
    if split_somewhere:  # the sample has paragraphs that run over a page: each is one P
        assert any(len({k.Pg.objgen for k in _kids(e) if isinstance(k, pikepdf.Dictionary) and "/Pg" in k}) > 1
                   for e, _ in body if e.S == "/P")


@pytest.mark.parametrize("name", NAMES)
def test_words_at_line_ends_stay_apart_through_the_tags_and_in_the_page_text(opened, texts, sources, name):
    from reportkit.writers.html import document

    report = load_report(sources[name])
    html = document(report, load_theme(report.meta.style, sources[name]), Options())
    words = set(re.findall(r"\w+", unescape(re.sub(r"<[^>]+>", " ", html))))
    _, body = _body(opened[name])
    tagged = " ".join(_tagged_text(opened[name], e, texts[name], calls=False)
                      for e, parent in body if e.S == "/P" and parent.S != "/P")
    assert len(tagged) > 500
    assert sorted(set(re.findall(r"\w+", tagged)) - words) == []  # "of" + "children" read as "ofchildren"
    plain = subprocess.run(["pdftotext", str(opened[name].filename), "-"], capture_output=True, text=True).stdout
    numbers = {str(n) for n in range(100)}  # list items' and pages' numbers come from the style
    assert sorted(set(re.findall(r"\w+", plain)) - words - set(re.findall(r"\w+", tagged)) - numbers) == []


def test_a_note_call_after_a_number_pastes_apart_from_it(built, opened):
    plain = subprocess.run(["pdftotext", str(built["sample"]), "-"], capture_output=True, text=True).stdout
    assert "nine convicted in 2011[9]." in plain and "20119" not in plain
    assert "OPSC in 2007[14]" in plain
    for pg in opened["sample"].pages:  # through the tags too: each call's text is bracketed
        for operands, operator in pikepdf.parse_content_stream(pg):
            if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/ActualText" in operands[1]:
                assert re.fullmatch(r"\[\d+\] ?", str(operands[1].ActualText))


@pytest.mark.parametrize("before", ["?", ".", "—", "–", " ", "…"])
def test_no_line_begins_with_a_note_call(before):
    from weasyprint import HTML

    from reportkit.labels import labels
    from reportkit.model import Note, Paragraph, Text
    from reportkit.writers.html import HtmlWriter

    writer = HtmlWriter(words=labels("en"), notes="endnotes")
    paragraph = writer.block(Paragraph((Text(f"Cases in 2011{before}"), Note("n9", (), number=9), Text(" rose."))))
    css = ".note-call { vertical-align: super; font-size: 0.7em; } p { font: 12px Carlito; }"
    starts = []
    for width in range(60, 130, 3):  # the call falls at the end of a line at some of the widths
        html = f"<style>{css} p {{ width: {width}px }}</style>{paragraph}"
        page = HTML(string=html).render().pages[0]._page_box
        lines = [b for b in page.descendants() if type(b).__name__ == "LineBox"]
        starts += ["".join(getattr(t, "text", "") for t in line.descendants()).lstrip("\u2060")[:1] for line in lines]
    assert "9" not in starts and "C" in starts


def test_box_titles_are_headings_below_their_section_but_not_bookmarks(opened, texts):
    pdf_file = opened["features"]
    asides = [(e, parent) for e, parent in _elements(pdf_file) if e.S == "/NonStruct"
              and any(isinstance(k, pikepdf.Dictionary) and k.get("/S") in ("/H3", "/H4") for k in _kids(e))]
    titles = {}
    for aside, section in asides:
        heading = next(k for k in _kids(aside) if isinstance(k, pikepdf.Dictionary) and "/S" in k)
        section_level = next(int(str(k.S)[2]) for k in _kids(section) if isinstance(k, pikepdf.Dictionary)
                             and re.fullmatch(r"/H\d", str(k.get("/S", ""))))
        titles[_tagged_text(pdf_file, heading, texts["features"], calls=False).strip()] = (str(heading.S), section_level)
    assert titles == {title: ("/H3", 2) for title in (  # all stand in sections of level 2
        "Recommendations", "Good-practice example: the Youth Partnership Programme",
        "A box holding a table", "An outer box")}
    with pdf_file.open_outline() as outline:
        todo, bookmarks = list(outline.root), []
        while todo:
            item = todo.pop()
            bookmarks.append(item.title)
            todo.extend(item.children)
    assert bookmarks and not set(titles) & set(bookmarks)


def test_a_box_title_in_a_box_is_a_level_below_the_outer_one():
    from reportkit.labels import labels
    from reportkit.model import Box, Paragraph, Section, Text
    from reportkit.writers.html import HtmlWriter

    inner = Box((Text("Inner"),), (Paragraph((Text("x"),)),))
    outer = Box((Text("Outer"),), (inner,))
    html = HtmlWriter(words=labels("en")).block(Section(2, (Text("S"),), "s", (outer,), "1.1"))
    assert '<div class="box-title" role="heading" aria-level="3">Outer</div>' in html
    assert '<div class="box-title" role="heading" aria-level="4">Inner</div>' in html


def test_docx_box_titles_have_an_outline_level_below_every_contents_level():
    import docx

    from reportkit.writers.docx.styles import BOX_STYLES, make_styles

    document = docx.Document()
    theme = load_theme("default", SAMPLE)
    make_styles(document, theme, "en", docx.shared.Mm(160))
    for name in BOX_STYLES.values():
        levels = document.styles[f"{name} Title"].element.xpath("./w:pPr/w:outlineLvl/@w:val")
        assert levels == ["6"], name  # level 7: the contents reach level 6 at most (toc_depth)
    assert document.styles["Heading 2"].element.xpath("./w:pPr/w:outlineLvl/@w:val") == ["1"]


def test_endnotes_are_notes_with_the_id_their_calls_link_to(opened):
    pdf_file = opened["endnotes"]
    notes = [(e, parent) for e, parent in _elements(pdf_file) if e.S == "/Note"]
    assert [str(e.ID) for e, _ in notes] == [f"endnote-{n}" for n in range(1, 7)]
    assert {parent.S for _, parent in notes} == {"/Div"}  # no longer list items
    calls = {str(a.Dest) for pg in pdf_file.pages for a in pg.get("/Annots", []) if "/Dest" in a}
    assert {str(e.ID) for e, _ in notes} <= calls
    ids = pikepdf.NameTree(pdf_file.Root.StructTreeRoot.IDTree)
    assert all(ids[str(e.ID)].objgen == e.objgen for e, _ in notes)
    for note, _ in notes:
        assert not [k for k in _kids(note) if isinstance(k, pikepdf.Dictionary) and k.get("/S") in ("/LBody", "/Lbl")]


def test_a_table_over_two_pages_is_one_table_with_its_header_once(tmp_path):
    lines = "".join(f"| {2000 + i} | {3 * i} cases | Region {i} |\n" for i in range(70))
    folder = make_report(tmp_path, files={"02-findings.md": (
        "# Findings\n\n| Year | Cases | Where |\n|---|---|---|\n" + lines + "\nAfter the table.\n")})
    with pikepdf.open(_build(folder, tmp_path / "table.pdf")) as built:
        pages = {p.objgen: i for i, p in enumerate(built.pages)}
        tables = [e for e, _ in _elements(built) if e.S == "/Table"]
        assert len(tables) == 1
        parts = [str(k.S) for k in _kids(tables[0])]
        assert parts == ["/THead", "/TBody"]
        body = _kids(tables[0])[1]
        rows = [k for k in _kids(body) if k.S == "/TR"]
        assert len(rows) == 70 and len({pages[r.Pg.objgen] for r in rows}) == 2  # on two pages
        heads = [str(e.ID) for e, _ in _elements(built) if e.S == "/TH"]
        assert len(heads) == 3
        cited = {str(h) for r in rows for cell in _kids(r) if cell.S == "/TD" for h in cell.A.Headers}
        assert cited == set(heads)  # the cells on the second page name the first page's header cells
        header = [tag == "/Artifact" for _, tag, _, text in _marked(built) if "Year" in text]
        assert header == [False, True]  # drawn again on the next page, as an artifact
    report = page.validate_pdf(str(tmp_path / "table.pdf"), profile="ua1")
    assert [(f.rule_id, f.message) for f in report.failures] == []


def test_dots_typed_as_a_paragraph_stay_text_while_the_contents_dots_are_artifacts(tmp_path):
    folder = make_report(tmp_path, files={"02-findings.md": "# Findings\n\nBefore the break.\n\n...\n\nAfter it.\n"})
    with pikepdf.open(_build(folder, tmp_path / "dots.pdf")) as built:
        dots = [(tag, mcid is not None) for _, tag, mcid, text in _marked(built) if text.strip(". ") == ""
                and "..." in text]
        assert ("/Artifact", False) in dots  # a contents line's leader
        assert dots.count(("/Span", True)) == 1  # the typed "...", in the tree
        typed = [(n, mcid) for n, tag, mcid, text in _marked(built) if text.strip() == "..."]
        assert typed and typed[0] in _owned(built)
