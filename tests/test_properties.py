"""Property tests: generated chapters made of everything reportkit supports, in arbitrary Unicode.

For every generated report: loading raises nothing but ReportError; every note that is defined
and called gets exactly one number (1…N in order of first call); and the text of every
paragraph appears in the HTML the PDF is made from.

The CI budget is small; for a longer local run set REPORTKIT_FUZZ_EXAMPLES, e.g.
``REPORTKIT_FUZZ_EXAMPLES=5000 python -m pytest tests/test_properties.py``.
"""

from __future__ import annotations

import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportkit.build import load
from reportkit.errors import ReportError
from reportkit.model import Note, Paragraph, iter_nodes, plain_text
from reportkit.themes import load_theme
from reportkit.writers import Options
from reportkit.writers.html import document

EXAMPLES = int(os.environ.get("REPORTKIT_FUZZ_EXAMPLES", "60"))
THEME = load_theme("default")

LABELS = ["a", "b", "note-3", "café", "примечание"]

# Any character but surrogates and control characters (a file holds no lone surrogates).
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
words = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x4FF), min_size=1, max_size=12)


@st.composite
def inline(draw) -> str:
    kind = draw(st.sampled_from(["text", "text", "em", "strong", "link", "note", "code"]))
    match kind:
        case "text":
            return draw(text)
        case "em":
            return f"*{draw(words)}*"
        case "strong":
            return f"**{draw(words)}**"
        case "link":
            return f"[{draw(words)}](https://example.org/{draw(words)})"
        case "code":
            return f"`{draw(words)}`"
        case _:
            return f"[^{draw(st.sampled_from(LABELS))}]"


paragraph = st.lists(inline(), min_size=1, max_size=6).map(" ".join)


@st.composite
def block(draw) -> str:
    kind = draw(st.sampled_from(["heading", "paragraph", "paragraph", "list", "table", "box"]))
    match kind:
        case "heading":
            return "#" * draw(st.integers(1, 3)) + " " + draw(words)
        case "list":
            marker = draw(st.sampled_from(["-", "1."]))
            return "\n".join(f"{marker} {item}" for item in draw(st.lists(paragraph, min_size=1, max_size=4)))
        case "table":
            cells = draw(st.lists(words, min_size=4, max_size=4))
            return f"| {cells[0]} | {cells[1]} |\n|---|---|\n| {cells[2]} | {cells[3]} |"
        case "box":
            kind = draw(st.sampled_from(["recommendation", "good-practice", "box"]))
            title = draw(st.one_of(st.just(""), words))
            return f"::: {kind} {title}\n{draw(paragraph)}\n:::"
        case _:
            return draw(paragraph)


chapter = st.lists(block(), min_size=1, max_size=8).map(lambda blocks: "# Chapter\n\n" + "\n\n".join(blocks))


def with_definitions(source: str) -> str:
    """Define every label the chapter calls (so most reports are valid)."""
    called = dict.fromkeys(re.findall(r"\[\^([^\]\s]+)\]", source))
    return source + "\n\n" + "\n".join(f"[^{label}]: Note {label}." for label in called) + "\n"


class _VisibleText(HTMLParser):
    """The body text of an HTML page, without notes and note calls (they float elsewhere)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        if self.skip or "note" in classes or "note-call" in classes or tag in ("style", "head"):
            self.skip += 1

    def handle_endtag(self, tag):
        if self.skip and tag not in self.VOID:
            self.skip -= 1

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def _squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def _load(source: str):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "report.toml").write_text('title = "Generated"\nnumber_headings = true\n', encoding="utf-8")
        (folder / "c.md").write_text(source, encoding="utf-8")
        return load(folder)[0]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chapter.map(with_definitions))
def test_generated_reports(source):
    try:
        report = _load(source)
    except ReportError as err:
        assert err.problems and all(p.message for p in err.problems)
        return

    notes = [n for n in iter_nodes(report.chapters) if isinstance(n, Note)]
    first = [n for n in notes if not n.repeat]
    assert [n.number for n in first] == list(range(1, len(first) + 1))
    numbers = {n.id: n.number for n in first}
    assert all(n.number == numbers[n.id] for n in notes)

    html = document(report, THEME, Options())
    parser = _VisibleText()
    parser.feed(html)
    visible = _squash("".join(parser.parts))
    in_notes = {id(p) for n in notes for p in iter_nodes(n.blocks)}
    for node in iter_nodes(report.chapters):
        if isinstance(node, Paragraph) and id(node) not in in_notes:
            assert _squash(plain_text(node.content)) in visible


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_arbitrary_text_never_crashes(source):
    try:
        _load("# C\n\n" + source + "\n")
    except ReportError as err:
        assert err.problems
