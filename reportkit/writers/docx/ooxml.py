"""All the writer's raw WordprocessingML, and every use of python-docx's XML layer (oxml).

python-docx has no API for notes, fields, bookmarks, links, borders, numbering or style
properties, so the writer's other modules ask this one for elements by what they mean
(``spacing(before=240)``, ``bookmark(p, name, 1)``, ``picture_run(…)``) and never spell a ``w:``
tag or touch python-docx's private attributes. Every function here knows nothing about
reportkit's document model; the writer decides what goes where. Child elements are inserted in
the order the schema requires (Word reports "unreadable content" for an element out of place).
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.package import OpcPackage
from docx.opc.packuri import PackURI
from docx.opc.part import Part, XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.section import Section
from docx.shared import Emu, Length
from docx.styles import BabelFish
from docx.styles.style import StyleFactory
from lxml.etree import _Element

# Child order of w:pPr, w:rPr and w:settings (ECMA-376 CT_PPr, CT_RPr, CT_Settings), as far
# as reportkit writes them.
PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
).split()
RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()
SETTINGS_ORDER = (
    "writeProtection view zoom removePersonalInformation removeDateAndTime "
    "doNotDisplayPageBoundaries displayBackgroundShape printPostScriptOverText "
    "printFractionalCharacterWidth printFormsData embedTrueTypeFonts embedSystemFonts "
    "saveSubsetFonts saveFormsData mirrorMargins alignBordersAndEdges bordersDoNotSurroundHeader "
    "bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors hideGrammaticalErrors "
    "activeWritingStyle proofState formsDesign attachedTemplate linkStyles stylePaneFormatFilter "
    "stylePaneSortMethod documentType mailMerge revisionView trackRevisions doNotTrackMoves "
    "doNotTrackFormatting documentProtection autoFormatOverride styleLockTheme styleLockQFSet "
    "defaultTabStop autoHyphenation consecutiveHyphenLimit hyphenationZone doNotHyphenateCaps "
    "showEnvelope summaryLength clickAndTypeStyle defaultTableStyle evenAndOddHeaders "
    "bookFoldRevPrinting bookFoldPrinting bookFoldPrintingSheets drawingGridHorizontalSpacing "
    "drawingGridVerticalSpacing displayHorizontalDrawingGridEvery "
    "displayVerticalDrawingGridEvery doNotUseMarginsForDrawingGridOrigin "
    "drawingGridHorizontalOrigin drawingGridVerticalOrigin doNotShadeFormData "
    "noPunctuationKerning characterSpacingControl printTwoOnOne strictFirstAndLastChars "
    "noLineBreaksAfter noLineBreaksBefore savePreviewPicture doNotValidateAgainstSchema "
    "saveInvalidXml ignoreMixedContent alwaysShowPlaceholderText doNotDemarcateInvalidXml "
    "saveXmlDataOnly useXSLTWhenSaving saveThroughXslt showXMLTags alwaysMergeEmptyNamespace "
    "updateFields hdrShapeDefaults footnotePr endnotePr compat docVars rsids mathPr "
    "attachedSchema themeFontLang clrSchemeMapping doNotIncludeSubdocsInStats "
    "doNotAutoCompressPictures forceUpgrade captions readModeInkLockDown smartTagType "
    "schemaLibrary shapeDefaults doNotEmbedSmartTags decimalSymbol listSeparator"
).split()
TBLPR_ORDER = (
    "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription"
).split()
SECTPR_ORDER = (
    "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
    "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter "
    "docGrid printerSettings sectPrChange"
).split()

RT_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
"""Relationship type of Word 2010's stylesWithEffects part."""

NOTE_KINDS = {
    "footnotes": ("footnote", RT.FOOTNOTES, CT.WML_FOOTNOTES, "/word/footnotes.xml"),
    "endnotes": ("endnote", RT.ENDNOTES, CT.WML_ENDNOTES, "/word/endnotes.xml"),
}
"""Note placement → (element name, relationship type, content type, part name)."""


def el(tag: str, children: tuple[_Element, ...] = (), **attrs: str) -> _Element:
    """A new ``w:`` element: ``el("w:tab", val="right")`` sets ``w:val``."""
    element = OxmlElement(tag, {qn(k if ":" in k else f"w:{k}"): v for k, v in attrs.items()})
    for child in children:
        element.append(child)
    return element


def put(parent: _Element, child: _Element, order: list[str]) -> _Element:
    """Insert ``child`` into ``parent`` at its schema position, replacing one of the same name."""
    name = child.tag.split("}")[1]
    for old in parent.findall(child.tag):
        parent.remove(old)
    later = set(order[order.index(name) + 1 :])
    for i, sibling in enumerate(parent):
        if isinstance(sibling.tag, str) and sibling.tag.split("}")[1] in later:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


def ppr(p: _Element) -> _Element:
    """The w:pPr of a paragraph or style, created if missing."""
    found = p.find(qn("w:pPr"))
    if found is None:
        found = el("w:pPr")
        if p.tag == qn("w:style"):
            put(p, found, ["name", "aliases", "basedOn", "next", "link", "autoRedefine", "hidden",
                           "uiPriority", "semiHidden", "unhideWhenUsed", "qFormat", "locked",
                           "personal", "personalCompose", "personalReply", "rsid", "pPr", "rPr",
                           "tblPr", "trPr", "tcPr", "tblStylePr"])
        else:
            p.insert(0, found)
    return found


def rpr(parent: _Element) -> _Element:
    """The w:rPr of a run, a style or a paragraph's mark, created if missing and in place."""
    found = parent.find(qn("w:rPr"))
    if found is None:
        found = el("w:rPr")
        if parent.tag == qn("w:pPr"):
            put(parent, found, PPR_ORDER)
        elif parent.tag == qn("w:style"):
            pPr = parent.find(qn("w:pPr"))
            if pPr is not None:
                pPr.addnext(found)
            else:
                ppr(parent).addnext(found)
                parent.remove(parent.find(qn("w:pPr")))
        else:
            parent.insert(0, found)
    return found


def set_ppr(p: _Element, *children: _Element) -> None:
    """Set paragraph properties (``el("w:keepNext")``, ``el("w:spacing", after="0")``…)."""
    pPr = ppr(p)
    for child in children:
        put(pPr, child, PPR_ORDER)


def set_rpr(parent: _Element, *children: _Element) -> None:
    """Set run properties on a run or a style."""
    rPr = rpr(parent)
    for child in children:
        put(rPr, child, RPR_ORDER)


# --- properties of paragraphs, runs and styles -----------------------------------------------


def fonts(name: str) -> _Element:
    """w:rFonts naming one font for every script (and no theme font, which would win)."""
    return el("w:rFonts", ascii=name, hAnsi=name, cs=name, eastAsia=name)


def size(points: float) -> tuple[_Element, _Element]:
    """w:sz and w:szCs for a size in points."""
    half = str(round(points * 2))
    return el("w:sz", val=half), el("w:szCs", val=half)


def colour(hex_rgb: str) -> _Element:
    """w:color from "#1F4E79"."""
    return el("w:color", val=hex_rgb.lstrip("#").upper())


def language(tag: str) -> _Element:
    """w:lang for the text's language (LibreOffice reads it from the styles' defaults)."""
    return el("w:lang", val=tag)


def borders(hex_rgb: str, width_eighths: int, space_pt: int, left_eighths: int | None = None) -> _Element:
    """w:pBdr drawing a frame (its left side ``left_eighths`` wide when given); consecutive
    paragraphs with the same borders share one frame."""
    colour_ = hex_rgb.lstrip("#").upper()
    sides = [
        el(f"w:{side}", val="single", sz=str(left_eighths if side == "left" and left_eighths else width_eighths),
           space=str(space_pt), color=colour_)
        for side in ("top", "left", "bottom", "right")
    ]
    return el("w:pBdr", tuple(sides))


def rule_below(hex_rgb: str) -> _Element:
    """w:pBdr with a thin line under the paragraph (a horizontal rule)."""
    return el("w:pBdr", (el("w:bottom", val="single", sz="4", space="1", color=hex_rgb.lstrip("#")),))


def shading(hex_rgb: str) -> _Element:
    """w:shd filling a paragraph or cell with a solid colour."""
    return el("w:shd", val="clear", color="auto", fill=hex_rgb.lstrip("#").upper())


def para_style(style_id: str) -> _Element:
    """w:pStyle: the paragraph's style."""
    return el("w:pStyle", val=style_id)


def char_style(style_id: str) -> _Element:
    """w:rStyle: the run's character style."""
    return el("w:rStyle", val=style_id)


def keep_next() -> _Element:
    """w:keepNext: on the same page as the next paragraph."""
    return el("w:keepNext")


def keep_lines() -> _Element:
    """w:keepLines: the paragraph's lines on one page."""
    return el("w:keepLines")


def page_break_before() -> _Element:
    """w:pageBreakBefore: the paragraph starts a page."""
    return el("w:pageBreakBefore")


def outline_level(level: int) -> _Element:
    """w:outlineLvl: the heading level (0 for level 1) the navigation pane and contents read."""
    return el("w:outlineLvl", val=str(level))


def spacing(before: int | None = None, after: int | None = None, line: int | None = None,
            rule: str | None = None) -> _Element:
    """w:spacing: space before and after (twips), line height (twips, or 240ths of a line
    with ``rule`` "auto") and how the line height counts ("auto", "atLeast", "exact")."""
    attrs = {"before": before, "after": after, "line": line, "lineRule": rule}
    return el("w:spacing", **{k: str(v) for k, v in attrs.items() if v is not None})


def indent(left: int | None = None, right: int | None = None, hanging: int | None = None) -> _Element:
    """w:ind: left and right indents and a hanging first line (twips)."""
    attrs = {"left": left, "right": right, "hanging": hanging}
    return el("w:ind", **{k: str(v) for k, v in attrs.items() if v is not None})


def align(how: str) -> _Element:
    """w:jc: "left", "center", "right" or "both"."""
    return el("w:jc", val=how)


# Fresh elements at every call: an lxml element appended to a second parent leaves the first.
def bold() -> tuple[_Element, _Element]:
    """w:b and w:bCs: bold in every script."""
    return el("w:b"), el("w:bCs")


def italic() -> tuple[_Element, _Element]:
    """w:i and w:iCs: italic in every script."""
    return el("w:i"), el("w:iCs")


def caps() -> _Element:
    """w:caps: shown in capitals."""
    return el("w:caps")


def underline() -> _Element:
    """w:u: a single underline."""
    return el("w:u", val="single")


def superscript() -> _Element:
    """w:vertAlign raising the run (note calls)."""
    return el("w:vertAlign", val="superscript")


# --- paragraphs, runs, links, bookmarks, fields ----------------------------------------------


def run(text: str = "", *properties: _Element, style_id: str = "") -> _Element:
    """A w:r holding ``text`` (tabs and line feeds become w:tab and w:br)."""
    r = el("w:r")
    if style_id:
        set_rpr(r, el("w:rStyle", val=style_id))
    if properties:
        set_rpr(r, *properties)
    for piece in _BREAKS.split(text) if text else ():  # as python-docx's ``r.text``, not a character at a time
        if piece == "\t":
            r.add_tab()
        elif piece in ("\r", "\n"):
            r.add_br()
        elif piece:
            r.add_t(piece)
    return r


_BREAKS = re.compile(r"([\t\r\n])")


def tab_run() -> _Element:
    """A run holding a tab."""
    return el("w:r", (el("w:tab"),))


def line_break_run() -> _Element:
    """A run holding a line break."""
    return el("w:r", (el("w:br"),))


def placeholder_run(text: str) -> _Element:
    """Words in italics, shown where a picture cannot be."""
    return run(text, el("w:i"))


def paragraph(style_id: str = "", text: str = "") -> _Element:
    """A new w:p, in style ``style_id`` (none: the Normal style) and holding ``text``."""
    p = el("w:p")
    if style_id:
        set_ppr(p, para_style(style_id))
    if text:
        p.append(run(text))
    return p


def first_paragraph(container: _Element) -> _Element | None:
    """The first w:p directly in ``container`` (a note, a cell), if any."""
    return container.find(qn("w:p"))


def prepend(p: _Element, *runs: _Element) -> None:
    """Put ``runs`` at the start of paragraph ``p``, after its properties."""
    pPr = p.find(qn("w:pPr"))
    for r in reversed(runs):
        if pPr is not None:
            pPr.addnext(r)
        else:
            p.insert(0, r)


def hyperlink(rel_id: str = "", anchor: str = "") -> _Element:
    """An empty w:hyperlink to an external target (relationship id) or a bookmark (anchor)."""
    link = el("w:hyperlink", history="1")
    if rel_id:
        link.set(qn("r:id"), rel_id)
    if anchor:
        link.set(qn("w:anchor"), anchor)
    return link


def bookmark(p: _Element, name: str, number: int) -> None:
    """Wrap the content of paragraph ``p`` in a bookmark ``name`` (w:id ``number``)."""
    start = el("w:bookmarkStart", id=str(number), name=name)
    pPr = p.find(qn("w:pPr"))
    if pPr is not None:
        pPr.addnext(start)
    else:
        p.insert(0, start)
    p.append(el("w:bookmarkEnd", id=str(number)))


def paragraphs(container: _Element) -> list[_Element]:
    """Every w:p inside ``container`` (the body, a note), in reading order: in tables and the
    contents too."""
    return list(container.iter(qn("w:p")))


def holds_text(p: _Element) -> bool:
    """Whether paragraph ``p`` shows any text or note call (not only a picture, or nothing)."""
    return any(x.text if x.tag == qn("w:t") else True
               for x in p.iter(qn("w:t"), qn("w:footnoteReference"), qn("w:endnoteReference")))


def field_runs(instruction: str, result: list[_Element], dirty: bool = False) -> list[_Element]:
    """The runs of a complex field: begin, instruction, separate, ``result`` runs, end."""
    begin = el("w:fldChar", fldCharType="begin")
    if dirty:
        begin.set(qn("w:dirty"), "true")
    instr = el("w:instrText")
    instr.text = f" {instruction} "
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return [
        el("w:r", (begin,)),
        el("w:r", (instr,)),
        el("w:r", (el("w:fldChar", fldCharType="separate"),)),
        *result,
        el("w:r", (el("w:fldChar", fldCharType="end"),)),
    ]


def field_begin(instruction: str, dirty: bool = False) -> list[_Element]:
    """The opening runs of a field whose result spans paragraphs (the TOC)."""
    return field_runs(instruction, [], dirty)[:-1]


def field_end() -> _Element:
    """The closing run of a field opened with ``field_begin``."""
    return el("w:r", (el("w:fldChar", fldCharType="end"),))


def field_updated(begin: list[_Element]) -> None:
    """Unmark the field opened by the runs ``begin`` (from ``field_begin``): its result is
    current, so Word does not offer to update it."""
    begin[0][0].attrib.pop(qn("w:dirty"), None)


def toc_block(paragraphs: list[_Element]) -> _Element:
    """A w:sdt marking ``paragraphs`` as the table of contents (Word's "Table of Contents" part)."""
    gallery = el("w:docPartObj", (el("w:docPartGallery", val="Table of Contents"), el("w:docPartUnique")))
    content = el("w:sdtContent", tuple(paragraphs))
    return el("w:sdt", (el("w:sdtPr", (gallery,)), content))


def right_tab(position_twips: int, leader: str = "dot") -> _Element:
    """w:tabs with one right-aligned tab stop (the page numbers of contents entries)."""
    return el("w:tabs", (el("w:tab", val="right", leader=leader, pos=str(position_twips)),))


@dataclass
class Story:
    """Where blocks go: a container (body, note, table cell, contents) and the part that owns it.

    Relationships (hyperlinks, images) belong to the part whose XML uses them: a link in a
    footnote is a relationship of ``footnotes.xml``, not of ``document.xml``.
    """

    part: Part
    """The package part the container's XML is saved in."""
    container: _Element
    """The element paragraphs and tables are appended to."""

    def last(self) -> _Element | None:
        """The paragraph or table added last (before the body's final w:sectPr)."""
        last = self.container[-1] if len(self.container) else None
        if last is not None and last.tag == qn("w:sectPr"):
            last = last.getprevious()
        return last

    def add(self, element: _Element) -> _Element:
        """Append a paragraph or table (before the body's final w:sectPr)."""
        last = self.container[-1] if len(self.container) else None
        if last is not None and last.tag == qn("w:sectPr"):
            last.addprevious(element)
        else:
            self.container.append(element)
        return element


# --- tables ----------------------------------------------------------------------------------


def table(rows: int, widths: list[int], margin: int, style_id: str) -> _Element:
    """A w:tbl of empty cells (one paragraph each) in table style ``style_id``, its columns
    ``widths`` wide and its cells' text ``margin`` from their sides (twips), laid out at those
    widths (a fixed layout: Word and LibreOffice would otherwise widen a column past the page
    for a long word)."""
    tbl = CT_Tbl.new_tbl(rows, len(widths), Emu(0))
    put(tbl.tblPr, el("w:tblStyle", val=style_id), TBLPR_ORDER)
    put(tbl.tblPr, el("w:tblW", w=str(sum(widths)), type="dxa"), TBLPR_ORDER)
    put(tbl.tblPr, el("w:tblLayout", type="fixed"), TBLPR_ORDER)
    sides = tuple(el(f"w:{side}", w=str(margin), type="dxa") for side in ("left", "right"))
    put(tbl.tblPr, el("w:tblCellMar", sides), TBLPR_ORDER)
    for column, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths):
        column.set(qn("w:w"), str(width))
    for tr in tbl.tr_lst:
        for tc, width in zip(tr.tc_lst, widths):
            tc.get_or_add_tcPr().find(qn("w:tcW")).set(qn("w:w"), str(width))
    return tbl


def end_section(p: _Element, body: _Element, landscape: bool) -> None:
    """Make paragraph ``p`` the last of a section: one with the page of the ``body``'s own
    section, turned when ``landscape``. Word reads a section's page from the paragraph that
    ends it; a section without headers and footers of its own has those of the one before,
    and shows them on its first page too (only the cover's section has a first page apart)."""
    props = deepcopy(body.find(qn("w:sectPr")))
    for name in ("headerReference", "footerReference", "titlePg"):
        for old in props.findall(qn(f"w:{name}")):
            props.remove(old)
    if landscape:
        size = props.find(qn("w:pgSz"))
        width, height = size.get(qn("w:w")), size.get(qn("w:h"))
        size.set(qn("w:w"), height)
        size.set(qn("w:h"), width)
        size.set(qn("w:orient"), "landscape")
    put(ppr(p), props, PPR_ORDER)


def continue_section(p: _Element) -> None:
    """Undo ``end_section``: ``p`` is an ordinary paragraph again, in the section that follows."""
    for props in ppr(p).findall(qn("w:sectPr")):
        props.getparent().remove(props)


def table_rows(tbl: _Element) -> list[tuple[_Element, list[_Element]]]:
    """Each row of a ``table`` with the paragraph of each of its cells."""
    return [(tr, [tc.p_lst[0] for tc in tr.tc_lst]) for tr in tbl.tr_lst]


def repeat_header(row: _Element) -> None:
    """Make a table row the header row Word repeats at the top of each page."""
    row.insert(0, el("w:trPr", (el("w:tblHeader"),)))


def frame_table(width: Length, indent_twips: int, margins: tuple[int, int, int, int],
                frame: _Element, fill: str) -> tuple[_Element, _Element]:
    """A one-cell table drawing ``frame`` (a ``borders`` w:pBdr, reused) round a cell filled
    with ``fill``, indented and with cell ``margins`` (top, left, bottom, right; twips); the
    table and its cell, emptied."""
    tbl = CT_Tbl.new_tbl(1, 1, Emu(width))
    # Word 2010 documents (and LibreOffice reading them) measure the indent to the cell's text.
    put(tbl.tblPr, el("w:tblInd", w=str(indent_twips), type="dxa"), TBLPR_ORDER)
    frame.tag = qn("w:tblBorders")
    put(tbl.tblPr, frame, TBLPR_ORDER)
    sides = zip(("top", "left", "bottom", "right"), margins)
    put(tbl.tblPr, el("w:tblCellMar", tuple(el(f"w:{side}", w=str(w), type="dxa") for side, w in sides)),
        TBLPR_ORDER)
    cell = tbl.tr_lst[0].tc_lst[0]
    cell.get_or_add_tcPr().append(shading(fill))
    cell.remove(cell.p_lst[0])
    return tbl, cell


def unframe(cell: _Element, style_ids: set[str]) -> None:
    """Paragraphs of styles ``style_ids`` in a ``frame_table`` cell: without the borders, fill
    and indent of their style, which the cell draws (list items keep their numbering's indent)."""
    for p in cell.iter(qn("w:p")):
        named = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if named is None or named.get(qn("w:val")) not in style_ids:
            continue  # the table's cells, spacers
        set_ppr(p, el("w:pBdr", tuple(el(f"w:{side}", val="nil") for side in ("top", "left", "bottom", "right"))),
                el("w:shd", val="clear", color="auto", fill="auto"))
        if p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is None:
            set_ppr(p, indent(left=0, right=0))


# --- pictures --------------------------------------------------------------------------------


def picture_run(shape_id: int, rel_id: str, name: str, width: Length, height: Length, alt: str = "") -> _Element:
    """A run holding the image of relationship ``rel_id`` inline, ``width`` × ``height``."""
    inline = CT_Inline.new_pic_inline(shape_id, rel_id, name, Emu(width), Emu(height))
    for side in ("distT", "distB", "distL", "distR"):  # LibreOffice reads a missing one as 3 mm
        inline.set(side, "0")
    if alt:
        inline.docPr.set("descr", alt)
    r = el("w:r")
    drawing = el("w:drawing")
    drawing.append(inline)
    r.append(drawing)
    return r


# --- styles ----------------------------------------------------------------------------------


def set_defaults(document: Document, run_properties: tuple[_Element, ...],
                 paragraph_properties: tuple[_Element, ...]) -> None:
    """Replace the document's default run and paragraph properties (w:docDefaults)."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    for child in list(defaults):
        defaults.remove(child)
    defaults.append(el("w:rPrDefault", (el("w:rPr", run_properties),)))
    defaults.append(el("w:pPrDefault", (el("w:pPr", paragraph_properties),)))


def define_style(document: Document, name: str, kind: WD_STYLE_TYPE, builtin: bool,
                 style_id: str | None = None, based_on: str | None = None, next_: str | None = None,
                 ppr: tuple[_Element, ...] = (), rpr: tuple[_Element, ...] = ()) -> str:
    """Make style ``name`` (a template style of that name is emptied first) with these
    properties; return its id."""
    # Looked up and added through the XML: python-docx's add_style first compares the name
    # with every style in Python, which made style making most of the writer's time.
    styles = document.styles.element
    internal = BabelFish.ui2internal(name)
    element = styles.get_by_name(internal)
    if element is None:
        element = styles.add_style_of_type(internal, kind, builtin)
    found = StyleFactory(element)
    if style_id:
        found.style_id = style_id
    element = found.element
    for tag in ("w:pPr", "w:rPr", "w:basedOn", "w:next", "w:link", "w:semiHidden", "w:unhideWhenUsed"):
        for old in element.findall(qn(tag)):
            element.remove(old)
    if based_on and name != based_on:
        found.base_style = document.styles[based_on]
    if next_:
        found.next_paragraph_style = document.styles[next_]
    if ppr:
        set_ppr(element, *ppr)
    if rpr:
        set_rpr(element, *rpr)
    found.quick_style = True
    return found.style_id


def table_style_lines(document: Document, name: str, hex_rgb: str) -> None:
    """Give table style ``name`` thin lines round and between all its cells."""
    colour_ = hex_rgb.lstrip("#").upper()
    lines = tuple(el(f"w:{side}", val="single", sz="4", space="0", color=colour_)
                  for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    document.styles[name].element.append(el("w:tblPr", (el("w:tblBorders", lines),)))


# --- numbering -------------------------------------------------------------------------------


def empty_numbering(document: Document) -> _Element:
    """The numbering part's root (w:numbering), emptied of the template's definitions."""
    numbering = document.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    return numbering


def abstract_numbering(abstract_id: int, levels: list[tuple[str, str, int, int]], bullet_font: str = "") -> _Element:
    """A w:abstractNum (multi-level when it has more than one level): for each level from the
    first, its number format, its text ("%1."), and its left and hanging indents (twips).
    Bullets are set in ``bullet_font`` when given: a bullet with no font of its own comes back
    from LibreOffice as a blank Symbol-font character."""
    lvls = [
        el("w:lvl", (
            el("w:start", val="1"),
            el("w:numFmt", val=fmt),
            el("w:lvlText", val=text),
            el("w:lvlJc", val="left"),
            el("w:pPr", (indent(left=left, hanging=hanging),)),
            *([el("w:rPr", (fonts(bullet_font),))] if bullet_font and fmt == "bullet" else []),
        ), ilvl=str(ilvl))
        for ilvl, (fmt, text, left, hanging) in enumerate(levels)
    ]
    kind = "hybridMultilevel" if len(levels) > 1 else "singleLevel"
    return el("w:abstractNum", (el("w:multiLevelType", val=kind), *lvls), abstractNumId=str(abstract_id))


def numbering_instance(num_id: int, abstract_id: int, start: int | None = None) -> _Element:
    """A w:num using list definition ``abstract_id``, its first level restarting at ``start``
    when given."""
    children = [el("w:abstractNumId", val=str(abstract_id))]
    if start is not None:
        children.append(el("w:lvlOverride", (el("w:startOverride", val=str(start)),), ilvl="0"))
    return el("w:num", tuple(children), numId=str(num_id))


def numbering_instances(numbering: _Element) -> int:
    """How many w:num the numbering part holds."""
    return len(numbering.findall(qn("w:num")))


def numbering_properties(num_id: int, level: int | None = None) -> _Element:
    """w:numPr numbering a paragraph or style by w:num ``num_id`` (at ``level``, from 0)."""
    children = (el("w:ilvl", val=str(level)),) if level is not None else ()
    return el("w:numPr", (*children, el("w:numId", val=str(num_id))))


def number_style(document: Document, name: str, num_id: int) -> None:
    """Number paragraphs of style ``name`` by w:num ``num_id``."""
    set_ppr(document.styles[name].element, numbering_properties(num_id))


# --- notes -----------------------------------------------------------------------------------


def add_notes_part(document_part: Part, placement: str) -> XmlPart:
    """Create word/footnotes.xml or word/endnotes.xml with Word's two separator notes."""
    name, reltype, content_type, partname = NOTE_KINDS[placement]
    root = parse_xml(
        f'<w:{name}s {nsdecls("w", "r")}>'
        f'<w:{name} w:type="separator" w:id="-1"><w:p><w:pPr>'
        '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        f"<w:r><w:separator/></w:r></w:p></w:{name}>"
        f'<w:{name} w:type="continuationSeparator" w:id="0"><w:p><w:pPr>'
        '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        f"<w:r><w:continuationSeparator/></w:r></w:p></w:{name}>"
        f"</w:{name}s>"
    )
    part = XmlPart(PackURI(partname), content_type, root, document_part.package)
    document_part.relate_to(part, reltype)
    return part


def add_note(notes_part: XmlPart, placement: str, number: int) -> _Element:
    """Append an empty note ``number`` to the notes part and return it (fill it with w:p)."""
    name = NOTE_KINDS[placement][0]
    note = el(f"w:{name}", id=str(number))
    notes_part.element.append(note)
    return note


def note_reference(placement: str, number: int, style_id: str) -> _Element:
    """The run calling note ``number`` in the text (Word numbers it itself)."""
    name = NOTE_KINDS[placement][0]
    return el("w:r", (el("w:rPr", (el("w:rStyle", val=style_id),)), el(f"w:{name}Reference", id=str(number))))


def bookmarked(runs: list[_Element], name: str, number: int) -> list[_Element]:
    """``runs`` inside a bookmark ``name`` (w:id ``number``): what a cross-reference points at."""
    return [el("w:bookmarkStart", id=str(number), name=name), *runs, el("w:bookmarkEnd", id=str(number))]


def note_reference_field(bookmark_name: str, number: int, style_id: str) -> list[_Element]:
    """A second call of a note, as Word's "Insert cross-reference › Footnote number (formatted)"
    makes it: a NOTEREF field to the bookmark round the first call, in the note reference style
    (``\\f``) and a link to the note (``\\h``), its current ``number`` as the result. Word
    recomputes it when a note is added before it."""
    runs = field_runs(rf"NOTEREF {bookmark_name} \f \h", [run(str(number), style_id=style_id)])
    for r in runs:
        set_rpr(r, char_style(style_id))
    return runs


def note_mark(placement: str, style_id: str) -> _Element:
    """The run showing a note's own number at the start of its text."""
    name = NOTE_KINDS[placement][0]
    return el("w:r", (el("w:rPr", (el("w:rStyle", val=style_id),)), el(f"w:{name}Ref")))


def note_settings(document: Document, placement: str) -> None:
    """Declare the separator notes in settings and number notes 1, 2, 3 (endnotes default to i, ii)."""
    name = NOTE_KINDS[placement][0]
    props = el(f"w:{name}Pr", (el(f"w:{name}", id="-1"), el(f"w:{name}", id="0")))
    put(document.settings.element, props, SETTINGS_ORDER)
    fmt = el(f"w:{name}Pr", (el("w:numFmt", val="decimal"),))
    put(document.sections[0]._sectPr, fmt, SECTPR_ORDER)
    if placement == "endnotes":
        props.insert(0, el("w:numFmt", val="decimal"))


# --- document and package --------------------------------------------------------------------


def empty_body(document: Document) -> _Element:
    """The document's w:body, emptied but for its section properties."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return body


def mirror_margins(document: Document) -> None:
    """Swap the left and right margins on even pages (inside and outside margins)."""
    put(document.settings.element, el("w:mirrorMargins"), SETTINGS_ORDER)


def word_settings(document: Document) -> None:
    """Opens the document as a Word 2013 and later file (compatibilityMode 15; the template
    says 14, and Word shows "Compatibility Mode"), at 100 % (w:zoom requires w:percent)."""
    settings = document.settings.element
    for compat in settings.iter(qn("w:compatSetting")):
        if compat.get(qn("w:name")) == "compatibilityMode":
            compat.set(qn("w:val"), "15")
    for zoom in settings.findall(qn("w:zoom")):
        zoom.set(qn("w:percent"), "100")


def drop_settings(document: Document, names: tuple[str, ...]) -> None:
    """Remove the settings ``names`` ("rsids"…) the template carries."""
    settings = document.settings.element
    for name in names:
        for old in settings.findall(qn(f"w:{name}")):
            settings.remove(old)


def header_paragraph(section: Section) -> _Element:
    """The first paragraph of a section's header."""
    return section.header.paragraphs[0]._p


def first_page_header_paragraph(section: Section) -> _Element:
    """The first paragraph of a section's first-page header."""
    return section.first_page_header.paragraphs[0]._p


def footer_paragraph(section: Section) -> _Element:
    """The first paragraph of a section's footer."""
    return section.footer.paragraphs[0]._p


def set_application(package: OpcPackage, name: str) -> None:
    """Replace docProps/app.xml by one naming only the application ``name`` (the template's
    claims a page count, a company and a version of Word)."""
    blob = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>{escape(name)}</Application></Properties>"
    ).encode()
    for rel in list(package.rels.values()):
        if rel.reltype == RT.EXTENDED_PROPERTIES:  # the same relationship, to a part of ours
            old = rel.target_part
            package.rels.add_relationship(rel.reltype, Part(old.partname, old.content_type, blob, package), rel.rId)


def drop_parts(document_part: Part, reltypes: tuple[str, ...]) -> None:
    """Remove relationships (and so their parts) of the given types from a part and the package."""
    for owner in (document_part, document_part.package):
        for rel_id, rel in list(owner.rels.items()):
            if rel.reltype in reltypes:
                del owner.rels[rel_id]


def add_custom_xml(document_part: Part, data: bytes, schema: str) -> None:
    """Add ``data`` as a custom XML part of the document (``customXml/itemN.xml``, which Word
    and LibreOffice keep when they save), with the properties part naming its ``schema``
    (the namespace of its root). Its item id is derived from ``data``, so equal data gives
    equal files."""
    package = document_part.package
    item = Part(package.next_partname("/customXml/item%d.xml"), CT.XML, data, package)
    item_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{schema}#{hashlib.sha256(data).hexdigest()}")
    props = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<ds:datastoreItem ds:itemID="{{{str(item_id).upper()}}}" '
        'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
        f'<ds:schemaRefs><ds:schemaRef ds:uri="{escape(schema)}"/></ds:schemaRefs></ds:datastoreItem>'
    ).encode()
    partname = PackURI(item.partname.replace("/item", "/itemProps"))
    item.relate_to(Part(partname, CT.OFC_CUSTOM_XML_PROPERTIES, props, package), RT.CUSTOM_XML_PROPS)
    document_part.relate_to(item, RT.CUSTOM_XML)


def fixed_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite a zip with one fixed timestamp and fixed attributes, so equal input gives equal bytes."""
    stamp = max((when.year, when.month, when.day, when.hour, when.minute, when.second), (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        # [Content_Types].xml first, as Word writes it; the rest in a stable order.
        for name in sorted(names, key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, src.read(name))
    return out.getvalue()


_VML = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w10="urn:schemas-microsoft-com:office:word"')


def watermark_run(text: str, font: str, colour: str, number: int = 1) -> _Element:
    """A w:r holding Word's own text watermark (the shape Design › Watermark inserts in a
    header): ``text`` across the page's middle at 45°, in ``font`` and ``colour`` ("C00000"),
    faint. ``number`` tells apart the watermarks of a document's headers."""
    formulas = "".join(f'<v:f eqn="{f}"/>' for f in (
        "sum #0 0 10800", "prod #0 2 1", "sum 21600 0 @1", "sum 0 0 @2", "sum 21600 0 @3", "if @0 @3 0",
        "if @0 21600 @1", "if @0 0 @2", "if @0 @4 21600", "mid @5 @6", "mid @8 @5", "mid @7 @8",
        "mid @6 @7", "sum @6 0 @5"))
    return parse_xml(
        f'<w:r {_VML}><w:rPr><w:noProof/></w:rPr><w:pict>'
        '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
        'path="m@7,l@8,m@5,21600l@6,21600e">'
        f'<v:formulas>{formulas}</v:formulas>'
        '<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
        'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
        '<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>'
        '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
        f'<v:shape id="PowerPlusWaterMarkObject{number}" o:spid="_x0000_s{2048 + number}" type="#_x0000_t136" '
        'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;rotation:315;'
        'z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
        'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
        f'fillcolor="#{escape(colour)}" stroked="f"><v:fill opacity=".15"/>'
        f'<v:textpath style="font-family:&quot;{escape(font)}&quot;;font-size:1pt" string="{escape(text, {chr(34): "&quot;"})}"/>'
        '<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r>')
