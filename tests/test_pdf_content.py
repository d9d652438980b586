"""The tag post-pass reads each page's content stream from its bytes, not through qpdf's parse
(the cost of the post-pass was mostly that parse): what it reads must be what qpdf reads, and a
stream it cannot read (an inline image, a comment) goes through qpdf, with the same result.
"""

from __future__ import annotations

import io

import pikepdf
import pytest

from reportkit.writers import pdf, pdf_tags

TRICKY = (b"q 1 0 0 1 0 0 cm /Span <</MCID 0 /ActualText (a \\(BDC\\) b)>> BDC BT /F#31 12 Tf 1 0 0 -1 5.5 -.5 Tm\n"
          b"[(a(b)c) -20 <41 4> (\\101\\n\\\\\\)x) (line\\\ncontinued) (two\r\nlines) (cr\rx)] TJ (EMC) Tj ET EMC\n"
          b"/P <</MCID 1>> BDC [<0102>] TJ EMC /Artifact BMC EMC Q")
"""Strings that hold operators, parentheses and escapes, a name with a ``#`` code, a hex string
with a space and an odd digit."""


def _one_page(content: bytes) -> pikepdf.Pdf:
    doc = pikepdf.new()
    doc.add_blank_page()
    doc.pages[0].Contents = doc.make_stream(content)
    return doc


def test_each_instruction_the_post_pass_reads_has_the_operands_and_text_qpdf_reads():
    doc = _one_page(TRICKY)
    read = pdf_tags._Content(doc.pages[0]).instructions
    parsed = [i for i in pikepdf.parse_content_stream(doc.pages[0]) if str(i.operator) in
              ("BDC", "BMC", "EMC", "Tf", "Tm", "TJ", "Tj")]
    assert [op.decode() for op, *_ in read] == [str(i.operator) for i in parsed]
    assert [op for op, _, start, end in read] == [TRICKY[start:end].rsplit(None, 1)[-1] for _, _, start, end in read]
    for (op, operands, _, _), instruction in zip(read, parsed):
        assert repr(list(pikepdf.Object.parse(b"[" + operands + b"]"))) == repr(list(instruction.operands))
    strings = [list(i.operands[0]) if str(i.operator) == "TJ" else list(i.operands) for i in parsed
               if str(i.operator) in ("TJ", "Tj")]
    shown = [pdf_tags._shown_bytes(operands) for op, operands, *_ in read if op in (b"TJ", b"Tj")]
    assert shown == [b"".join(bytes(s) for s in ss if isinstance(s, pikepdf.String)) for ss in strings]
    assert shown[0] == b"a(b)cA@A\n\\)xlinecontinuedtwo\nlinescr\nx"
    assert pdf_tags._mcid(read[0][1]) == 0 and pdf_tags._name(read[1][1].split()[0]) == "/F1"


@pytest.mark.parametrize("content", [
    b"q BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI Q",  # an inline image's data
    b"/P <</MCID 0>> BDC % EMC\nEMC",  # a comment
    b"[(" + b"(" * 5 + b")" * 5 + b")] TJ",  # parentheses nested deeper than the tokenizer goes
    b"1 0 0 1 0\x000 Tm",  # a NUL as white space
    b"0 0 m 1.5.2 l",  # not a number
])
def test_a_stream_the_tokenizer_cannot_read_is_read_through_qpdf(content):
    assert pdf_tags._instructions(content) is None
    assert pdf_tags._instructions(b"q 1 0 0 1 0 0 cm " + TRICKY) is not None
    doc = _one_page(content)
    data, read = pdf_tags._parsed(doc.pages[0])
    assert data == pikepdf.unparse_content_stream(pikepdf.parse_content_stream(doc.pages[0]))
    assert [data[start:end] for _, _, start, end in read] == [
        pikepdf.unparse_content_stream([i]) for i in pikepdf.parse_content_stream(doc.pages[0])
        if str(i.operator) in ("BDC", "BMC", "EMC", "Tf", "Tm", "TJ", "Tj")]


@pytest.fixture(scope="module")
def written() -> bytes:
    """WeasyPrint's PDF of a contents list (leaders), a running footer and wrapped paragraphs."""
    from weasyprint import HTML

    words = " ".join(f"word{i}" for i in range(120))
    html = f"""<html lang="en"><head><title>t</title><style>
    @page {{ size: A6; @bottom-center {{ content: "Page " counter(page) }} }}
    nav a::after {{ content: " " leader(dotted) " " target-counter(attr(href), page) }}
    </style></head><body><main>
    <nav><p><a href="#one">One</a></p><p><a href="#two">Two</a></p></nav>
    <section id="one"><h1>One</h1><p>{words}</p></section>
    <section id="two"><h1>Two</h1><p>{words}</p></section>
    </main></body></html>"""
    return HTML(string=html).write_pdf(pdf_variant=pdf.PDF_VARIANT)


def _read(data: bytes) -> tuple[list[bytes], list]:
    """Each page's content as qpdf writes it, and the structure tree (tags, IDs, ActualText,
    MCIDs and their pages)."""
    with pikepdf.open(io.BytesIO(data)) as doc:
        pages = {page.obj.objgen: n for n, page in enumerate(doc.pages)}

        def tree(node) -> object:
            if isinstance(node, int):
                return node
            if "/MCID" in node:
                return (pages.get(node.Pg.objgen) if "/Pg" in node else None, int(node.MCID))
            if "/S" not in node:
                return str(node.get("/Type"))
            kids = node.K if isinstance(node.get("/K"), pikepdf.Array) else [node.K] if "/K" in node else []
            return (str(node.S), str(node.get("/ID", "")), [tree(k) for k in kids])

        contents = [pikepdf.unparse_content_stream(pikepdf.parse_content_stream(p)) for p in doc.pages]
        return contents, [tree(k) for k in doc.Root.StructTreeRoot.K]


def test_a_page_read_through_qpdf_is_retagged_as_one_read_from_its_bytes(written):
    with pikepdf.open(io.BytesIO(written)) as doc:
        for page in doc.pages:  # a comment: the tokenizer leaves the page to qpdf
            page.Contents = doc.make_stream(b"% WeasyPrint\n" + page.Contents.read_bytes())
        out = io.BytesIO()
        doc.save(out)
    assert all(pdf_tags._instructions(pdf_tags._Content(p).data) is not None for p in pikepdf.open(io.BytesIO(written)).pages)
    fast, slow = _read(pdf_tags.retag(written)), _read(pdf_tags.retag(out.getvalue()))
    assert fast == slow
    contents = b"".join(fast[0])
    assert contents.count(b"/Artifact << /Type /Layout >> BDC") == 2  # a leader's dots are one run
    assert contents.count(b"/Artifact << /Subtype /Footer /Type /Pagination >> BDC") == len(fast[0])  # a footer a page
    assert contents.count(b"<0003> ] TJ") > 10  # the spaces written at line ends
