"""A long report's PDF is laid out in groups of parts side by side and merged: the same bytes
with one process or two, the same text on every page as the report laid out whole, every
internal link resolving to the page it should, every note on its call's page, the same
page-validation result, and the right contents page numbers even from a wrong guess.

The default tests cut the sample (13 pages) into groups by lowering the size thresholds; the
slow one builds a report of four times the sample (47 pages), above the real threshold.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tomllib
import sys
from collections.abc import Iterator
from pathlib import Path

import page
import pikepdf
import pytest

from conftest import ROOT, SAMPLE, make_report, run
from pdfutil import page_texts, stored_plainly
from reportkit.build import creation_date, load_report
from reportkit.incremental import build, groups
from reportkit.incremental.relayout import Relayout
from reportkit.outputs import BuildOptions
from reportkit.themes import load_theme
from reportkit.writers import Options, pdf
from reportkit.writers.html import Shell, file_url

sys.path.insert(0, str(ROOT / "bench"))
from run import make_long  # noqa: E402

OPTIONS = BuildOptions(docx_page_numbers=False)

pytestmark = pytest.mark.xdist_group("parallel")  # on one worker: the module's builds are made once


def _shell(folder: Path) -> Shell:
    report = load_report(folder)
    return Shell(report, load_theme(report.meta.style, folder), Options(), file_url)


def _whole(folder: Path, out: Path) -> Path:
    """The report laid out whole, as ``pdf.render`` does, dated as a build dates it."""
    report = load_report(folder)
    options = Options(created=creation_date(report, folder))
    out.write_bytes(pdf.render(report, load_theme(report.meta.style, folder), options).data)
    return out


def _build(folder: Path, out: Path, jobs: int, previous: Path | None = None, relayout: Relayout | None = None) -> Path:
    """``reportkit build --format pdf --jobs N`` into ``out`` (a save in ``watch`` with a
    ``relayout``), the last build's PDF there first when ``previous`` is given."""
    out.mkdir(parents=True)
    if previous is not None:
        shutil.copy(previous, out / f"{folder.name}.pdf")
    written, = build(folder, out, ("pdf",), OPTIONS, jobs=jobs, parallel=False, relayout=relayout)
    return written.path


def _links(path: Path) -> list[tuple[int, str, int | None]]:
    """(page of the link, its target's name, the target's page; None if it does not resolve),
    for every internal link, in page order."""
    with pikepdf.open(path) as doc:
        number = {p.objgen: i + 1 for i, p in enumerate(doc.pages)}
        dests = {name: number.get(dest[0].objgen) for name, dest in pikepdf.NameTree(doc.Root.Names.Dests).items()}
        return [(i, str(annot.Dest), dests.get(str(annot.Dest)))
                for i, p in enumerate(doc.pages, 1) for annot in p.obj.get("/Annots", [])
                if annot.get("/Subtype") == "/Link" and isinstance(annot.get("/Dest"), pikepdf.String)]


def _structure(path: Path) -> list[tuple[int, str, str]]:
    """The PDF's structure tree in reading order: each element's depth, type and ID (a note's;
    a table header's only as "id", each layout numbering its own); and each entry of its ID
    tree, as ("IDTree", name, the type of the element it names, if that element bears the name)."""
    with pikepdf.open(path) as doc:
        root = doc.Root.StructTreeRoot
        found = []
        todo = [(0, root)]
        while todo:
            depth, element = todo.pop()
            if element is not root:
                ident = str(element.get("/ID", ""))
                found.append((depth, str(element.S), ident if element.S == "/Note" or not ident else "id"))
            kids = element.get("/K")
            kids = [k for k in (kids if isinstance(kids, pikepdf.Array) else [kids])
                    if isinstance(k, pikepdf.Dictionary) and "/S" in k]
            todo += [(depth + 1, kid) for kid in reversed(kids)]
        if "/IDTree" in root:
            found += [("IDTree", name, str(e.S) if str(e.get("/ID")) == name else "")
                      for name, e in pikepdf.NameTree(root.IDTree).items()]
        return found


def _bookmarks(path: Path) -> list[tuple[str, int]]:
    with pikepdf.open(path) as doc, doc.open_outline() as outline:
        number = {p.objgen: i + 1 for i, p in enumerate(doc.pages)}
        found, todo = [], list(reversed(outline.root))
        while todo:
            item = todo.pop()
            found.append((item.title, number[item.destination[0].objgen]))
            todo.extend(reversed(item.children))
        return found


def _with_blank_page(source: Path, out: Path, at: int) -> Path:
    """``source`` with a blank page inserted before page ``at``: every later page number wrong."""
    with pikepdf.open(source) as doc:
        doc.add_blank_page()
        doc.pages.insert(at - 1, doc.pages[-1])
        del doc.pages[-1]
        doc.save(out)
    return out


@contextlib.contextmanager
def _cut_small(parallel_chars: int, group_chars: int) -> Iterator[None]:
    """Size thresholds lowered, so that a short report is cut into groups."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(groups, "PARALLEL_CHARS", parallel_chars)
        patch.setattr(groups, "GROUP_CHARS", group_chars)
        yield


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample cut into groups (thresholds lowered), built cold with one process, warm with
    two, from a wrong guess with two; and laid out whole."""
    tmp = tmp_path_factory.mktemp("parallel")
    folder = tmp / "sample"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    built = {"whole": _whole(folder, tmp / "whole.pdf")}
    with _cut_small(10_000, 15_000):
        built["plan"] = groups.plan(_shell(folder))
        built["one"] = _build(folder, tmp / "one", 1)
        built["two"] = _build(folder, tmp / "two", 2, previous=built["one"])
        built["wrong guess"] = _with_blank_page(built["one"], tmp / "wrong.pdf", 3)
        built["from wrong guess"] = _build(folder, tmp / "three", 2, previous=built["wrong guess"])
    built["folder"] = folder
    return built


def test_the_sample_is_cut_into_groups_of_consecutive_parts(sample):
    parts = len(_shell(sample["folder"]).parts)
    plan = sample["plan"]
    assert len(plan) >= 3 and plan[0] == (0, 1) and plan[-1][1] == parts  # the front alone, then the rest
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(plan, plan[1:]))


def test_one_process_or_two_give_the_same_bytes(sample):
    assert sample["one"].read_bytes() == sample["two"].read_bytes()


def test_every_page_has_the_text_of_the_whole_layout(sample):
    whole, merged = page_texts(sample["whole"].read_bytes()), page_texts(sample["one"].read_bytes())
    assert len(merged) == len(whole) == 13
    assert merged == whole


def test_every_internal_link_resolves_to_the_page_it_does_in_the_whole_layout(sample):
    merged = _links(sample["one"])
    assert len(merged) > 40 and all(page for _, _, page in merged)
    assert merged == _links(sample["whole"])
    contents = [(at, name, page) for at, name, page in merged if at == 2]  # the contents page
    assert contents and all(page > 2 for _, _, page in contents)


def test_every_note_stands_on_its_calls_page(sample):
    calls = [(at, page) for at, name, page in _links(sample["one"]) if name.startswith("note-")]
    assert len(calls) >= 20 and all(at == page for at, page in calls)


def test_bookmarks_and_structure_are_those_of_the_whole_layout(sample):
    assert _bookmarks(sample["one"]) == _bookmarks(sample["whole"])
    assert len(_bookmarks(sample["one"])) > 15
    structure = _structure(sample["one"])
    assert structure == _structure(sample["whole"])
    notes = [entry for entry in structure if entry[0] == "IDTree" and entry[1].startswith("note-")]
    assert len(notes) >= 20 and all(kind == "/Note" for _, _, kind in notes)
    assert sum(1 for entry in structure if entry[1] == "/Note") == len(notes)


def test_one_document_one_parent_tree_unique_ids_and_font_tags(sample):
    with pikepdf.open(sample["one"]) as doc:
        root = doc.Root.StructTreeRoot
        assert len(root.K) == 1 and root.K[0].S == "/Document"
        keys = [int(k) for k in root.ParentTree.Nums[::2]]
        assert len(keys) == len(set(keys)) == int(root.ParentTreeNextKey)
        pages = [int(p.obj.StructParents) for p in doc.pages]
        assert pages == sorted(set(pages))
        fonts = {}
        for p in doc.pages:
            for font in p.Resources.Font.values():
                fonts[font.objgen] = str(font.BaseFont)
        assert len(set(fonts.values())) == len(fonts) > 4  # each group's subsets of a font tagged apart
        assert str(doc.docinfo.Title).startswith("Alternative Report")


def test_the_merged_file_is_compressed_and_packed_like_the_whole_one(sample):
    assert stored_plainly(sample["one"].read_bytes()) == stored_plainly(sample["whole"].read_bytes()) == (["/Metadata"], 0)


def test_page_validation_finds_what_it_finds_in_the_whole_layout(sample):
    merged = page.validate_pdf(str(sample["one"]), profile="ua1")
    whole = page.validate_pdf(str(sample["whole"]), profile="ua1")
    assert [(f.rule_id, f.message) for f in merged.failures] == [(f.rule_id, f.message) for f in whole.failures] == []


def test_a_wrong_guess_costs_a_layout_never_a_wrong_page_number(sample):
    shell = _shell(sample["folder"])
    wrong, right = groups.read_numbers(sample["wrong guess"], shell), groups.read_numbers(sample["one"], shell)
    assert wrong is not None and wrong.counts != right.counts and wrong.toc != right.toc
    assert sample["from wrong guess"].read_bytes() == sample["one"].read_bytes()


@pytest.fixture(scope="module")
def long4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report four times the sample (47 pages), above the real threshold."""
    return make_long(SAMPLE, tmp_path_factory.mktemp("long4") / "long", 4)


def test_the_sample_stays_whole_and_a_long_report_is_cut(long4):
    assert groups.plan(_shell(SAMPLE)) is None
    plan = groups.plan(_shell(long4))
    assert plan is not None and len(plan) == 3 and plan[0] == (0, 1)  # the front, then two groups


def test_jobs_must_be_a_positive_number(tmp_path):
    result = run("build", str(SAMPLE), "--jobs", "0", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "--jobs" in result.output and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_long_report_builds_the_same_in_groups_with_any_jobs(tmp_path):
    folder = make_long(SAMPLE, tmp_path / "long", 4)
    assert groups.plan(_shell(folder)) is not None
    whole = _whole(folder, tmp_path / "whole.pdf")
    one = _build(folder, tmp_path / "one", 1)
    two = _build(folder, tmp_path / "two", 2)
    assert one.read_bytes() == two.read_bytes()
    assert page_texts(one.read_bytes()) == page_texts(whole.read_bytes())
    links = _links(one)
    assert links == _links(whole) and all(page for _, _, page in links)
    assert all(at == page for at, name, page in links if name.startswith("note-"))
    assert _bookmarks(one) == _bookmarks(whole) and _structure(one) == _structure(whole)
    assert [f.rule_id for f in page.validate_pdf(str(one), profile="ua1").failures] == []


@pytest.fixture(scope="module")
def endnotes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The features report with endnotes (calls in one group, notes in another, links back),
    cut into groups with two processes, and laid out whole."""
    tmp = tmp_path_factory.mktemp("parallel-endnotes")
    folder = tmp / "features"
    shutil.copytree(ROOT / "tests" / "reports" / "features", folder)
    toml = folder / "report.toml"
    toml.write_text(toml.read_text().replace("\nchapters =", '\nnotes = "endnotes"\nchapters =', 1))
    built = {"whole": _whole(folder, tmp / "whole.pdf")}
    with _cut_small(1_000, 2_000):
        built["plan"] = groups.plan(_shell(folder))
        built["two"] = _build(folder, tmp / "two", 2)
    return built


def test_endnotes_in_another_group_keep_their_links_both_ways(endnotes):
    assert len(endnotes["plan"]) >= 3
    merged = _links(endnotes["two"])
    names = {name for _, name, _ in merged}
    assert any(name.startswith("endnote-") for name in names) and any(name.startswith("call-") for name in names)
    assert merged == _links(endnotes["whole"]) and all(page for _, _, page in merged)
    assert page_texts(endnotes["two"].read_bytes()) == page_texts(endnotes["whole"].read_bytes())
    assert _structure(endnotes["two"]) == _structure(endnotes["whole"])
    found = page.validate_pdf(str(endnotes["two"]), profile="ua1")
    assert [(f.rule_id, f.message) for f in found.failures] == []


def test_two_groups_that_open_alike_stay_two_sections_when_merged():
    # Each group's tagger numbers its HTML elements from 0, so the first group's last section
    # and the second's first can bear the same number; merged, they must not become one.
    from weasyprint import HTML

    from reportkit.writers import pdf_merge, pdf_tags

    def written(text: str, group: int) -> bytes:
        html = f'<html lang="en"><title>t</title><main><section><p>{text}</p></section></main></html>'
        return pdf_tags.retag(HTML(string=html).write_pdf(pdf_variant=pdf.PDF_VARIANT), 1,
                              lambda doc: pdf_merge.ready(doc, group, set()))

    merged = pdf_merge.merge([written("One.", 0), written("Two.", 1)], pdf_tags.retag_merged)
    with pikepdf.open(io.BytesIO(merged)) as doc:
        parts = list(doc.Root.StructTreeRoot.K[0].K)
        assert [str(p.S) for p in parts] == ["/Part"]
        assert [str(k.S) for k in parts[0].K] == ["/Sect", "/Sect"]
    assert [text.split() for text in page_texts(merged)] == [["One."], ["Two."]]


def test_jobs_1_builds_both_formats_in_its_one_process(tmp_path, monkeypatch):
    # The promise of --jobs 1 to a user who shares the machine: no second process.
    import multiprocessing.process

    def refused(self):
        raise AssertionError(f"a process was started: {self.name}")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    written = build(SAMPLE, tmp_path / "out", ("pdf", "docx"), OPTIONS, force=True, ahead=True, jobs=1)
    assert [w.path.suffix for w in written] == [".pdf", ".docx"] and all(w.path.stat().st_size for w in written)


def test_jobs_1_builds_several_reports_one_after_another_in_one_process(tmp_path, monkeypatch):
    import multiprocessing.process

    def refused(self):
        raise AssertionError(f"a process was started: {self.name}")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    first, second = make_report(tmp_path, name="first"), make_report(tmp_path, name="second")
    result = run("build", first, second, "--format", "pdf", "--jobs", "1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*/*.pdf")) == ["first.pdf", "second.pdf"]


def _with_style(long4: Path, tmp_path: Path, theme_toml: str) -> tuple[Path, Path]:
    """A copy of ``long4`` with a style "own" of its own (``theme_toml``), and that style's
    folder; the report still names the default style (``_use_own_style``)."""
    folder = tmp_path / "long"
    shutil.copytree(long4, folder)
    style = folder / "styles" / "own"
    style.mkdir(parents=True)
    (style / "theme.toml").write_text(theme_toml, encoding="utf-8")
    return folder, style


def _use_own_style(folder: Path) -> None:
    toml = folder / "report.toml"
    toml.write_text(re.sub(r'(?m)^style = "default"', 'style = "own"', toml.read_text(encoding="utf-8")), encoding="utf-8")


def test_a_style_with_a_page_shell_of_its_own_is_laid_out_whole(long4, tmp_path):
    # Its page breaks and counters are its own: a group could not be laid out where it stands.
    folder, style = _with_style(long4, tmp_path, 'inherit = "default"\n')
    shutil.copy(ROOT / "styles" / "default" / "report.html.j2", style / "report.html.j2")
    assert groups.plan(_shell(folder)) is not None
    _use_own_style(folder)
    assert groups.plan(_shell(folder)) is None


def test_a_save_in_watch_lays_out_again_only_the_group_whose_chapter_changed(sample, tmp_path, monkeypatch):
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    relayout, laid = Relayout(), []
    lay_out = groups._lay_out
    monkeypatch.setattr(groups, "_lay_out", lambda *args: laid.append(args[2]) or lay_out(*args))
    with _cut_small(10_000, 15_000):
        first = _build(folder, tmp_path / "watch", 1, previous=sample["one"], relayout=relayout).read_bytes()
        plan, cold = groups.plan(_shell(folder)), len(laid)
        last = folder / tomllib.loads((folder / "report.toml").read_text())["chapters"][-1]
        last.write_text(last.read_text().replace("the ", "this ", 1))
        saved = build(folder, tmp_path / "watch", ("pdf",), OPTIONS, jobs=1, parallel=False, relayout=relayout)[0].path
        again = len(laid) - cold
        fresh = _build(folder, tmp_path / "fresh", 1, previous=saved)  # a build's bytes, as watch promises
    assert len(plan) >= 3 and cold == len(plan)  # each group written, at the page numbers of the last build
    assert again == 1  # the last group only (the date comes from report.toml's created)
    assert saved.read_bytes() == fresh.read_bytes() != first


def test_a_paused_layout_numbers_its_pages_where_it_stands():
    # WeasyPrint makes the margin boxes after the pages: a layout told, once its pages are
    # made, that it begins after 10 pages of 99 numbers its footers so, the rest unmoved.
    from weasyprint import HTML

    from reportkit.writers import weasyprint_fixes

    html = ('<html lang="en"><style>@page { size: 300px; margin: 40px;'
            ' @bottom-center { content: "Page " counter(page) " of " counter(pages) } }'
            ' h1 { break-before: page }</style><h1 id="one">One</h1><h1 id="two">Two</h1></html>')
    asked = []
    with weasyprint_fixes.paused(lambda count, anchors: asked.append((count, anchors)) or (10, 99)):
        moved = HTML(string=html).write_pdf()
    alone = HTML(string=html).write_pdf()
    assert asked == [(2, {"one": 0, "two": 1})]
    assert [text.split() for text in page_texts(moved)] == [["One", "Page", "11", "of", "99"],
                                                          ["Two", "Page", "12", "of", "99"]]
    assert [text.split() for text in page_texts(alone)] == [["One", "Page", "1", "of", "2"],
                                                          ["Two", "Page", "2", "of", "2"]]


def test_each_group_is_laid_out_once_and_the_front_again_only_for_a_wrong_guess(sample, tmp_path, monkeypatch):
    folder, laid = sample["folder"], []
    lay_out = pdf.lay_out
    monkeypatch.setattr(pdf, "lay_out", lambda html, *args: laid.append('class="cover' in html) or lay_out(html, *args))
    with _cut_small(10_000, 15_000):
        cold = _build(folder, tmp_path / "cold", 1)  # no earlier PDF: the contents' numbers unknown
        first = list(laid)
        laid.clear()
        warm = _build(folder, tmp_path / "warm", 1, previous=cold)
    groups_after_front = len(sample["plan"]) - 1
    assert sorted(first) == [False] * groups_after_front + [True, True]  # the front twice, no group more
    assert sorted(laid) == [False] * groups_after_front + [True]
    assert cold.read_bytes() == warm.read_bytes() == sample["one"].read_bytes()


def test_a_first_build_lays_its_front_out_with_numbers_on_every_contents_line(sample, tmp_path, monkeypatch):
    # Without an earlier PDF the front is first laid out with numbers guessed from the HTML,
    # not with WeasyPrint's target-counter (which makes its pages again and again), then with
    # those the groups found.
    fronts, lay_out = [], pdf.lay_out
    monkeypatch.setattr(pdf, "lay_out", lambda html, *args: fronts.extend([html] if 'class="cover' in html else [])
                        or lay_out(html, *args))
    with _cut_small(10_000, 15_000):
        built = _build(sample["folder"], tmp_path / "cold", 1)
    lines = len(_shell(sample["folder"]).toc)
    assert len(fronts) == 2 and [html.count(" data-page=") for html in fronts] == [lines, lines] and lines > 8
    guessed, found = ([int(n) for n in re.findall(r' data-page="(\d+)"', html)] for html in fronts)
    assert guessed != found and all(b - 2 <= a <= b + 2 for a, b in zip(guessed, found))
    assert built.read_bytes() == sample["one"].read_bytes()


def test_contents_numbers_that_never_settle_lay_the_report_out_whole(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(groups, "PASSES", 1)  # the front gets one layout: its guess (none) is wrong
    with _cut_small(10_000, 15_000):
        built = _build(sample["folder"], tmp_path / "out", 2)
    assert built.read_bytes() == sample["whole"].read_bytes()


def test_different_inside_and_outside_margins_lay_the_report_out_whole(long4, tmp_path):
    # A group is laid out from a right page; it could stand on a left one only with the same margins.
    folder, _ = _with_style(long4, tmp_path, 'inherit = "default"\n[page]\nmargin_inside = "30mm"\n')
    assert groups.plan(_shell(folder)) is not None
    _use_own_style(folder)
    assert groups.plan(_shell(folder)) is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_group_that_fails_fails_the_build_and_the_others_end(sample, tmp_path, monkeypatch, jobs):
    # The other groups wait for its page count, which never comes: they must end, not hang.
    import multiprocessing
    import threading

    from reportkit.errors import ReportError

    anchor = _shell(sample["folder"]).parts[sample["plan"][-1][0]].anchor  # the last group's
    lay_out = pdf.lay_out

    def failing(html, *args):
        if f'id="{anchor}"' in html and f'<span id="{anchor}"></span>' not in html:  # not a stand-in
            raise ReportError("this group cannot be laid out")
        return lay_out(html, *args)

    monkeypatch.setattr(pdf, "lay_out", failing)
    before = threading.active_count()
    with _cut_small(10_000, 15_000), pytest.raises(ReportError, match="this group cannot be laid out"):
        _build(sample["folder"], tmp_path / "out", jobs)
    assert not (tmp_path / "out" / "sample.pdf").exists()
    for _ in range(50):  # the waiting workers see the closed pipe and end
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.1)
    assert threading.active_count() <= before
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_group_whose_pages_change_is_laid_out_once(sample, tmp_path, monkeypatch, jobs):
    # Its page count differs from the last build's: it waits for the others' instead of being
    # written at the old numbers and laid out again; the groups that were already written there
    # are laid out again, and the PDF is that of a first build.
    folder = tmp_path / "sample"
    shutil.copytree(sample["folder"], folder)
    first = folder / tomllib.loads((folder / "report.toml").read_text())["chapters"][0]
    first.write_text(first.read_text() + "\n\n" + "A paragraph added to the first chapter. " * 400 + "\n")
    shell = _shell(folder)
    anchor = shell.parts[sample["plan"][1][0]].anchor  # the first group after the front
    log = tmp_path / "laid.txt"  # written by the group workers, which may be processes

    def logged(html, *args, lay_out=pdf.lay_out):
        ours = f'id="{anchor}"' in html and f'<span id="{anchor}"></span>' not in html  # not a stand-in
        with log.open("a") as out:
            out.write(f"{ours}\n")
        return lay_out(html, *args)

    monkeypatch.setattr(pdf, "lay_out", logged)
    with _cut_small(10_000, 15_000):
        assert groups.read_numbers(sample["one"], shell).counts != groups.read_numbers(
            _build(folder, tmp_path / "cold", 1), shell).counts  # the edit adds pages
        log.unlink()
        warm = _build(folder, tmp_path / "warm", jobs, previous=sample["one"])
    assert log.read_text().split().count("True") == 1
    assert warm.read_bytes() == (tmp_path / "cold" / "sample.pdf").read_bytes()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_front_that_grows_with_its_page_numbers_still_gives_the_right_numbers(sample, tmp_path, monkeypatch, jobs):
    # On a first build the groups are told their place while the front is laid out again with
    # its contents' numbers; here that layout adds a page, so the groups told meanwhile stand a
    # page too early and must be laid out again where they belong.
    html, fronts = groups._html, []

    def grown(shell, group, toc):
        made, stand_ins = html(shell, group, toc)
        fronts.extend([toc] if group[0] == 0 else [])
        if len(fronts) > 1 and group[0] == 0:  # the front with the numbers the groups found
            made = made.replace("</body>", '<p style="break-before: page">A page more.</p></body>')
        return made, stand_ins

    monkeypatch.setattr(groups, "_html", grown)
    with _cut_small(10_000, 15_000):
        data = _build(sample["folder"], tmp_path / "out", jobs).read_bytes()
    texts = page_texts(data)
    assert len(texts) == 14 and "A page more." in texts[2]
    assert [re.findall(r"Page (\d+) of (\d+)", text)[-1:] for text in texts[1:]] == [
        [(str(i), "14")] for i in range(2, 15)]
    lines = dict.fromkeys((name, page) for at, name, page in _links(tmp_path / "out" / "sample.pdf") if at == 2)
    printed = [int(n) for n in re.findall(r" (\d+)\n", texts[1])]  # each line's number, in order
    assert len(lines) > 8 and printed == [page for _, page in lines]
    whole = page_texts(sample["one"].read_bytes())
    assert [text.split("Page ")[0] for text in texts[3:]] == [text.split("Page ")[0] for text in whole[2:]]


def test_the_groups_are_told_their_place_while_the_front_is_laid_out_again(sample, tmp_path, monkeypatch):
    # A first build: once every group has said its pages, the groups go on to write themselves
    # while the front is laid out again with its contents' numbers, not after.
    import threading

    from reportkit.errors import ReportError

    count = len(sample["plan"])
    lay_out_group, lay_out, fronts = groups._lay_out, pdf.lay_out, []

    def group(report, theme, index, html, stand_ins, created, shift, ask):
        def told(question):
            answer = ask(question)
            (tmp_path / f"told-{index}").touch()
            return answer
        return lay_out_group(report, theme, index, html, stand_ins, created, shift, told)

    def front(html, *args):
        if 'class="cover' in html:
            fronts.append(html)
            for _ in range(300 if len(fronts) > 1 else 0):
                if all((tmp_path / f"told-{k}").exists() for k in range(1, count)):
                    break
                threading.Event().wait(0.1)
            else:
                if len(fronts) > 1:
                    raise ReportError("the groups waited for the front")
        return lay_out(html, *args)

    monkeypatch.setattr(groups, "_lay_out", group)
    monkeypatch.setattr(pdf, "lay_out", front)
    with _cut_small(10_000, 15_000):
        built = _build(sample["folder"], tmp_path / "out", 2)
    assert built.read_bytes() == sample["one"].read_bytes()
