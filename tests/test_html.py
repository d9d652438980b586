"""The HTML writer, node by node, and the page shell it fills (no WeasyPrint needed)."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from images import picture

from reportkit.labels import labels
from reportkit.model import (
    Box, Chapter, Code, CodeBlock, Emphasis, GoodPractice, Image, LineBreak, Link, List, Metadata,
    Note, Paragraph, Partner, Quote, Recommendation, Report, Rule, Section, Strong, Table, Text,
)
from reportkit.themes import load_theme
from reportkit.transforms import apply_transforms
from reportkit.writers import Options
from reportkit.writers.html import HtmlWriter, css_content, document, render

EN = labels("en")


def para(*content) -> Paragraph:
    return Paragraph(tuple(Text(x) if isinstance(x, str) else x for x in content))


def note(number: int, *blocks, repeat: bool = False, id: str = "") -> Note:
    return Note(id or f"n{number}", tuple(blocks) or (para(f"Note {number}."),), number, repeat)


def write(node, **kwargs) -> str:
    return HtmlWriter(words=EN, **kwargs).block(node)


class Nesting(HTMLParser):
    """Fails on what an HTML parser would silently repair: a link in a link, a block in a <p>."""

    BLOCKS = {"p", "div", "ul", "ol", "li", "table", "blockquote", "pre", "aside", "section", "figure"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        assert not (tag == "a" and "a" in self.stack), "a link inside a link"
        assert not (tag in self.BLOCKS and "p" in self.stack), f"<{tag}> inside <p>"
        if tag not in ("br", "img", "hr", "meta"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def well_nested(html: str) -> str:
    checker = Nesting()
    checker.feed(html)
    assert checker.stack == []
    return html


# --- inlines --------------------------------------------------------------------------------


def test_inlines_are_escaped_and_never_raw():
    html = write(para(
        "a < b & <script>alert(1)</script> ",
        Emphasis((Text("em"),)), Strong((Text("strong"),)), Code("x<y"), LineBreak(),
        Link((Text("link"),), 'https://example.org/?a=1&b="2"'),
    ))
    assert html == (
        "<p>a &lt; b &amp; &lt;script&gt;alert(1)&lt;/script&gt; <em>em</em><strong>strong</strong>"
        "<code>x&lt;y</code><br>"
        '<a href="https://example.org/?a=1&amp;b=&quot;2&quot;">link</a></p>'
    )


def test_image_alone_is_a_figure_with_caption():
    image = Image("assets/map.png", "A <map>", "/r/assets/map.png")
    html = HtmlWriter(words=EN, url=lambda p: f"file://{p}").block(para(image))
    assert html == (
        '<figure><img src="file:///r/assets/map.png" alt="A &lt;map&gt;">'
        "<figcaption>A &lt;map&gt;</figcaption></figure>"
    )
    inline = HtmlWriter(words=EN, url=lambda p: "u").block(para("See ", image))
    assert inline == '<p>See <img src="u" alt="A &lt;map&gt;"></p>'


# --- blocks ---------------------------------------------------------------------------------


def test_lists_tables_quotes_code_rules():
    assert write(List(((para("a"),), (para("b"),)))) == "<ul><li>a</li><li>b</li></ul>"
    # WeasyPrint 70 reads no "start": the counter is set by style
    assert write(List(((para("a"),),), ordered=True, start=3)) == (
        '<ol start="3" style="counter-reset: list-item 2"><li>a</li></ol>')
    table = Table((( Text("H1"),), (Text("H2"),)), (((Text("1"),), (Text("2"),)),), ("", "right"))
    assert write(table) == (
        "<table><thead><tr><th>H1</th><th class=\"align-right\">H2</th></tr></thead>"
        "<tbody><tr><td>1</td><td class=\"align-right\">2</td></tr></tbody></table>"
    )
    assert write(Quote((para("q"),))) == "<blockquote><p>q</p></blockquote>"
    assert write(CodeBlock("if a < b:\n    pass\n")) == "<pre>if a &lt; b:\n    pass</pre>"
    assert write(Rule()) == "<hr>"


def test_boxes_get_kind_classes_ids_and_default_titles():
    one = Recommendation((), (para("Act."),), id="rec-1", number=1)
    assert write(one) == (
        '<aside class="box recommendation" id="rec-1"><div class="box-title" role="heading" aria-level="1">Recommendation</div>'
        "<p>Act.</p></aside>"
    )
    several = Recommendation((), (List(((para("A."),), (para("B."),))),), id="rec-2")
    assert '<div class="box-title" role="heading" aria-level="1">Recommendations</div>' in write(several)
    two_paragraphs = Recommendation((), (para("A."), para("B.")), id="rec-4")
    assert '<div class="box-title" role="heading" aria-level="1">Recommendations</div>' in write(two_paragraphs)
    practice = GoodPractice((), (para("Done."),), id="gp-1")
    assert write(practice).startswith(
        '<aside class="box good-practice" id="gp-1"><div class="box-title" role="heading" aria-level="1">Good-practice example</div>'
    )
    assert write(Box((), (para("Plain."),), id="box-1")) == (
        '<aside class="box box" id="box-1"><p>Plain.</p></aside>'
    )
    titled = GoodPractice((Text("Youth "), Emphasis((Text("work"),))), (para("x"),), id="gp-2")
    assert '<div class="box-title" role="heading" aria-level="1">Youth <em>work</em></div>' in write(titled)
    french = HtmlWriter(words=labels("fr")).block(one)
    assert "Recommandation" in french


def test_box_holds_notes_lists_and_links():
    box = Recommendation((), (
        para("See ", Link((Text("this"),), "https://example.org"), ".", note(4)),
        List(((para("item", note(5)),),)),
    ), id="rec-1")
    html = well_nested(write(box))
    assert 'id="note-4"' in html and 'id="note-5"' in html and 'href="https://example.org"' in html


def test_sections_carry_number_id_and_a_bookmark_label_without_notes():
    section = Section(2, (Text("Law "), note(7, para("Source."))), "law", (
        para("Text."),
        Section(3, (Text("Detail"),), "detail", (para("More."),), number="2.1.1"),
    ), number="2.1")
    html = well_nested(write(section))
    assert html.startswith(
        '<section class="level2"><h2 id="law" data-bookmark="2.1 Law">'
        '<span class="number">2.1</span> Law <a class="note-call"'
    )
    assert '<h3 id="detail" data-bookmark="2.1.1 Detail">' in html
    chapter = write(Section(1, (Text("Intro"),), "intro", ()))
    assert chapter == '<section class="chapter"><h1 id="intro" data-bookmark="Intro">Intro</h1></section>'


def test_unknown_nodes_raise_type_error():
    writer = HtmlWriter(words=EN)
    with pytest.raises(TypeError, match="no case for object"):
        writer.block(object())
    with pytest.raises(TypeError, match="no case for Paragraph"):
        writer.inline(para("a block is not an inline"))


# --- notes ----------------------------------------------------------------------------------


def test_footnote_is_a_span_after_a_linked_call_with_the_model_number():
    html = write(para("Text", note(12, para("First ", Emphasis((Text("part"),))), para("Second."))))
    assert html == (
        '<p>Text<a class="note-call" href="#note-12" id="call-12">&#x2060;12</a>'
        '<span class="note" id="note-12" data-note="12">'
        '<span class="b-p">First <em>part</em></span><span class="b-p">Second.</span></span></p>'
    )
    well_nested(html)


def test_footnote_blocks_are_all_spans():
    body = (para("Intro:"), List(((para("one"),), (para("two"),)), ordered=True, start=2),
            Quote((para("quoted"),)), CodeBlock("code"))
    html = well_nested(write(para("x", note(1, *body))))
    inner = html[html.index('<span class="note"'):html.rindex("</p>")]
    assert not re.search(r"<(?!span|/span|em|/em|a |/a)", inner), inner
    assert '<span class="b-ol" style="counter-reset: list-item 1">' in inner
    assert '<span class="b-li">one</span>' in inner


def test_repeated_note_shows_its_number_linked_to_the_first():
    html = write(para("Again", note(3, repeat=True)))
    assert html == '<p>Again<a class="note-call" href="#note-3">&#x2060;3</a></p>'


def test_note_inside_link_text_is_set_after_the_link():
    html = write(para(Link((Text("source"), note(2, para("See ", Link((Text("x"),), "https://x.org")))),
                           "https://example.org"), " then"))
    well_nested(html)
    assert html.startswith('<p><a href="https://example.org">source<span class="note-call">&#x2060;2</span></a>'
                           '<span class="note" id="note-2"')


def test_endnotes_link_both_ways_in_order():
    writer = HtmlWriter(words=EN, notes="endnotes")
    html = writer.block(para("A", note(1), " B", note(2), " C", note(1, repeat=True)))
    assert html == (
        '<p>A<a class="note-call" href="#endnote-1" id="call-1">&#x2060;1</a>'
        ' B<a class="note-call" href="#endnote-2" id="call-2">&#x2060;2</a>'
        ' C<a class="note-call" href="#endnote-1">&#x2060;1</a></p>'
    )
    report = Report(Metadata("T", notes="endnotes"), (Chapter("c.md", (
        para("x", note(2, para("Second."))), para("y", note(1, para("First."))),
    )),))
    notes = well_nested(writer.endnotes(report))
    assert notes == (
        '<ol class="endnotes">'
        '<li id="endnote-1" value="1" data-note="1"><a class="note-back" href="#call-1">1.</a><p>First.</p></li>'
        '<li id="endnote-2" value="2" data-note="2"><a class="note-back" href="#call-2">2.</a><p>Second.</p></li>'
        "</ol>"
    )


# --- the whole document ---------------------------------------------------------------------


def small_report(root: Path, **meta) -> Report:
    chapters = (
        Chapter("01.md", (Section(1, (Text("Introduction"),), "introduction", (
            para("Body", Note("a", (para("The note."),))),
            Section(2, (Text("Law"), Note("b", (para("Heading note."),))), "law", (
                para("Law text."),
                Recommendation((), (para("The State should act."),)),
            )),
        )),)),
        Chapter("02.md", (Section(1, (Text("Findings"),), "findings", (para("More", Note("a", ())),)),)),
    )
    fields = dict(title="Rapport <alternatif>", subtitle="Sous-titre", authors=("ONG Un", "ONG Deux"),
                  partners=(Partner("Partenaire", "Une description"),), date="juillet 2013",
                  language="fr", country="Kirghizistan", treaty="CDE", keywords=("enfants",),
                  number_headings=True)
    return apply_transforms(Report(Metadata(**(fields | meta)), chapters, str(root)))


def test_document_shell_cover_contents_and_metadata(tmp_path):
    html = document(small_report(tmp_path), load_theme("default"), Options(), lambda p: f"file://{p}")
    assert '<html lang="fr">' in html
    assert "<title>Rapport &lt;alternatif&gt;</title>" in html
    assert '<meta name="author" content="ONG Un">' in html and '<meta name="author" content="ONG Deux">' in html
    assert '<meta name="description" content="CDE – Kirghizistan">' in html
    assert '<meta name="keywords" content="Kirghizistan, CDE, enfants">' in html
    assert '<meta name="dcterms.created" content="2000-01-01T00:00:00Z">' in html
    assert "En collaboration avec" in html and "Une description" in html and "juillet 2013" in html
    assert "Table des matières" in html
    toc = html[html.index('<nav class="toc">'):html.index("</nav>")]
    assert re.findall(r'href="(#[^"]+)"', toc) == ["#introduction", "#law", "#findings"]
    assert "Heading note" not in toc and '1.1&ensp;Law</a>' in toc
    assert "Page \" counter(page) \" sur \" counter(pages)" in html
    assert 'font-family: "Carlito";' in html and "Carlito-BoldItalic.ttf" in html
    body = html[html.index("<body"):html.index("</html>")]
    assert "watermark" not in body
    well_nested(body)


def test_document_without_contents_and_with_draft(tmp_path):
    report = small_report(tmp_path, toc_depth=0)
    html = document(report, load_theme("default"), Options(draft=True, stamp="v3"), lambda p: "u")
    assert '<nav class="toc">' not in html
    mark = re.search(r'<div class="watermark" aria-hidden="true"><img src="data:image/svg\+xml;base64,([^"]+)" alt=""></div>', html)
    svg = base64.b64decode(mark.group(1)).decode()  # "PROJET" drawn as shapes: no text in it
    assert "<path d=\"M" in svg and "PROJET" not in svg and 'fill="rgb(192,0,0)"' in svg
    assert '"Projet · v3"' in html


def test_summary_numbered_paragraphs_and_endnotes_in_the_shell(tmp_path):
    report = small_report(tmp_path, recommendations_summary=True, number_paragraphs=True, notes="endnotes",
                          language="en")
    html = document(report, load_theme("default"), Options(), lambda p: "u")
    assert html.count('<p class="numbered">') == 3  # body paragraphs only: not the box's
    assert '<ol class="summary"><li value="1"><a href="#rec-1">The State should act.</a></li></ol>' in html
    assert '<a href="#summary">Summary of recommendations</a>' in html and '<a href="#notes">Notes</a>' in html
    assert html.index('id="summary"') < html.index('id="notes"')


def test_self_contained_html_embeds_fonts_and_images(tmp_path):
    (tmp_path / "logo.png").write_bytes(picture(1, 1))
    report = replace(small_report(tmp_path), meta=replace(small_report(tmp_path).meta,
                                                          logos=(str(tmp_path / "logo.png"),)))
    data = render(report, load_theme("default"), Options()).data.decode("utf-8")
    assert "file:" not in data
    assert "data:font/ttf;base64," in data and 'src="data:image/png;base64,' in data


def test_css_content_from_labels():
    assert css_content("Page {n} of {total}", n="counter(page)", total="counter(pages)") == (
        '"Page " counter(page) " of " counter(pages)'
    )
    assert css_content('Seite {n} "x"', n="counter(page)") == '"Seite " counter(page) " \\"x\\""'
