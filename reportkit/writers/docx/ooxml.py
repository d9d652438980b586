"""The raw WordprocessingML that python-docx has no API for: notes, fields, bookmarks, links, borders.

Every function here builds or edits lxml elements of python-docx's oxml layer and knows nothing
about reportkit's document model; the writer decides what goes where. Child elements are inserted
in the order the schema requires (Word reports "unreadable content" for an element out of place).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.package import OpcPackage
from docx.opc.packuri import PackURI
from docx.opc.part import Part, XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
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


def borders(hex_rgb: str, width_eighths: int = 12, space_pt: int = 4) -> _Element:
    """w:pBdr drawing a frame; consecutive paragraphs with the same borders share one frame."""
    colour_ = hex_rgb.lstrip("#").upper()
    sides = [
        el(f"w:{side}", val="single", sz=str(width_eighths), space=str(space_pt), color=colour_)
        for side in ("top", "left", "bottom", "right")
    ]
    return el("w:pBdr", tuple(sides))


def shading(hex_rgb: str) -> _Element:
    """w:shd filling a paragraph or cell with a solid colour."""
    return el("w:shd", val="clear", color="auto", fill=hex_rgb.lstrip("#").upper())


def run(text: str = "", *properties: _Element, style_id: str = "") -> _Element:
    """A w:r holding ``text`` (tabs and line feeds become w:tab and w:br)."""
    r = el("w:r")
    if style_id:
        set_rpr(r, el("w:rStyle", val=style_id))
    if properties:
        set_rpr(r, *properties)
    if text:
        r.text = text
    return r


def page_break_run() -> _Element:
    """A run holding a page break."""
    return el("w:r", (el("w:br", type="page"),))


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


def toc_block(paragraphs: list[_Element]) -> _Element:
    """A w:sdt marking ``paragraphs`` as the table of contents (Word's "Table of Contents" part)."""
    gallery = el("w:docPartObj", (el("w:docPartGallery", val="Table of Contents"), el("w:docPartUnique")))
    content = el("w:sdtContent", tuple(paragraphs))
    return el("w:sdt", (el("w:sdtPr", (gallery,)), content))


def right_tab(position_twips: int, leader: str = "dot") -> _Element:
    """w:tabs with one right-aligned tab stop (the page numbers of contents entries)."""
    return el("w:tabs", (el("w:tab", val="right", leader=leader, pos=str(position_twips)),))


# --- notes ---------------------------------------------------------------------------------


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


def note_mark(placement: str, style_id: str) -> _Element:
    """The run showing a note's own number at the start of its text."""
    name = NOTE_KINDS[placement][0]
    return el("w:r", (el("w:rPr", (el("w:rStyle", val=style_id),)), el(f"w:{name}Ref")))


def note_settings(settings: _Element, section: _Element, placement: str) -> None:
    """Declare the separator notes in settings and number notes 1, 2, 3 (endnotes default to i, ii)."""
    name = NOTE_KINDS[placement][0]
    props = el(f"w:{name}Pr", (el(f"w:{name}", id="-1"), el(f"w:{name}", id="0")))
    put(settings, props, SETTINGS_ORDER)
    fmt = el(f"w:{name}Pr", (el("w:numFmt", val="decimal"),))
    put(section, fmt, SECTPR_ORDER)
    if placement == "endnotes":
        props.insert(0, el("w:numFmt", val="decimal"))


# --- package -------------------------------------------------------------------------------


def drop_parts(document_part: Part, reltypes: tuple[str, ...]) -> None:
    """Remove relationships (and so their parts) of the given types from a part and the package."""
    for owner in (document_part, document_part.package):
        for rel_id, rel in list(owner.rels.items()):
            if rel.reltype in reltypes:
                del owner.rels[rel_id]


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
