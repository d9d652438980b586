"""The look of the DOCX, made from the style settings (``theme.toml``): page geometry and Word styles.

Every read of the style settings by the DOCX writer is here, but for the cover's logo
(``furniture.cover``).
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Emu, Length, Mm
from lxml.etree import _Element

from ...themes import Theme
from . import ooxml as ox

BOX_STYLES = {"recommendation": "Recommendation", "good-practice": "Good Practice", "box": "Box"}
"""Box kind → its paragraph style; "<style> Title" and "<style> List" go with it."""
BOX_TITLE_OUTLINE = 6
"""The outline level of box titles (w:outlineLvl 6: level 7, below every heading): Word's
navigation pane lists them under their section, and the contents, which go down to level 6 at
most (``toc_depth``), never do."""

PAGE_SIZES = {"a4": (Mm(210), Mm(297)), "letter": (Emu(7772400), Emu(10058400))}
"""Page sizes by the names ``page.size`` accepts."""

BOX_INDENT = 200
"""Left and right indent of box paragraphs (twips): the frame sits inside the text column."""

LIST_INDENT = 360
"""Indent per list level (twips); the number or bullet hangs in it."""

PARAGRAPH_INDENT = 567
"""Hanging indent of numbered paragraphs and of the recommendations summary (1 cm, in twips)."""

BUILTIN = {"Normal", "Title", "Subtitle", "Quote", "List Bullet", "List Number", "List Continue",
           "Hyperlink", "Header", "Footer", "TOC Heading", "Caption"}
"""Word's built-in style names the writer uses (marked built-in, not custom)."""


def twips(value: Length) -> int:
    """A length in twentieths of a point, as WordprocessingML counts most distances."""
    return round(value / 635)


@dataclass(frozen=True)
class Page:
    """The page of the style settings (``page.size``, ``page.margin_*``)."""

    width: Length
    height: Length
    top: Length
    """Margin above the text."""
    bottom: Length
    """Margin below the text."""
    inside: Length
    """Margin on the binding side (left on odd pages)."""
    outside: Length
    """Margin away from the binding."""
    caption_room: Length
    """Room kept under the tallest picture for its caption."""

    @classmethod
    def of(cls, theme: Theme) -> Page:
        """The page ``theme`` sets."""
        page = theme.settings.page
        width, height = PAGE_SIZES[page.size.lower()]
        return cls(width, height, Emu(page.margin_top.emu), Emu(page.margin_bottom.emu),
                   Emu(page.margin_inside.emu), Emu(page.margin_outside.emu), Emu(page.caption_room.emu))

    @property
    def text_width(self) -> Length:
        """The width of the text column."""
        return Emu(self.width - self.inside - self.outside)

    @property
    def turned_text_width(self) -> Length:
        """The width of the text column on a landscape page."""
        return Emu(self.height - self.inside - self.outside)

    @property
    def picture_height(self) -> Length:
        """The tallest a picture shows: the text height less room for a caption, as in the
        PDF's style sheet."""
        return Emu(self.height - self.top - self.bottom - self.caption_room)


def box_look(theme: Theme, kind: str, space_pt: int) -> tuple[_Element, str]:
    """The frame (w:pBdr: thin sides in the border colour of ``kind``, ``space_pt`` from the
    text, and a 4 pt left rule on recommendations and good practices) and fill colour of a box."""
    colours, key, styled = theme.settings.colours, kind.replace("-", "_"), theme.settings.box_kind(kind)
    border = styled.border if styled else getattr(colours, f"{key}_border")
    frame = ox.borders(border, 8, space_pt, left_eighths=32 if kind != "box" else 8)
    return frame, styled.fill if styled else getattr(colours, f"{key}_fill")


def box_style(theme: Theme, kind: str) -> str:
    """The paragraph style of boxes of ``kind``: "Recommendation"…, or the one the style's own
    kind is given ("Question"); "<style> Title" and "<style> List" go with it."""
    styled = theme.settings.box_kind(kind)
    return BOX_STYLES.get(kind) or (styled.style_name if styled else "Box")


def make_styles(document: Document, theme: Theme, lang: str, text_width: Length) -> dict[str, str]:
    """Make (or reset) every style the writer uses from the style settings; return name → id.

    Existing template styles of the same name are emptied first, so nothing of the template's
    look (theme fonts, accent colours) survives: the settings alone decide.
    """
    sizes, colours, fonts_ = theme.settings.sizes, theme.settings.colours, theme.settings.fonts
    body_font = fonts_.body_docx or fonts_.body
    heading_font = fonts_.heading_docx or fonts_.heading
    mono_font = fonts_.mono_docx or fonts_.mono
    body, note = float(sizes.body), float(sizes.note)
    text, heading = colours.text, colours.heading
    # CSS line-height is a multiple of the font size; Word's "multiple" spacing multiplies the
    # font's own line height (1.22 em for Calibri), so give the CSS distance as a minimum.
    line = round(20 * body * float(sizes.line_height))
    ids: dict[str, str] = {}

    ox.set_defaults(document, (ox.fonts(body_font), *ox.size(body), ox.language(lang)),
                    (ox.spacing(after=120, line=line, rule="atLeast"),))

    def style(name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH, based_on: str | None = "Normal",
              style_id: str | None = None, ppr: tuple = (), rpr: tuple = (), next_: str | None = None) -> None:
        ids[name] = ox.define_style(document, name, kind, name[0].islower() or name in BUILTIN,
                                    style_id, based_on, next_, ppr, rpr)

    def font(name: str, points: float, hex_rgb: str, *more: _Element) -> tuple:
        return (ox.fonts(name), *more, ox.colour(hex_rgb), *ox.size(points))

    def centred() -> _Element:
        return ox.align("center")

    spacing, bold = ox.spacing, ox.bold

    style("Normal", based_on=None, rpr=(ox.colour(text),))
    style("Title", ppr=(spacing(1700, 240, line=240, rule="auto"), centred()),
          rpr=font(heading_font, float(sizes.title), colours.title, *bold()), next_="Subtitle")
    style("Subtitle", ppr=(spacing(0, 600), centred()),
          rpr=font(heading_font, float(sizes.subtitle), colours.title))
    style("Cover Author", ppr=(spacing(480, 60), centred()), rpr=(*bold(), *ox.size(float(sizes.subtitle))))
    style("Cover Label", ppr=(spacing(480, 240), centred()), rpr=bold())
    style("Cover Partner", ppr=(ox.keep_next(), spacing(0, 40), ox.indent(left=850, right=850), centred()), rpr=bold())
    style("Cover Partner Description", ppr=(spacing(0, 240), ox.indent(left=850, right=850), centred()))
    style("Cover Date", ppr=(spacing(600, 0), centred()), rpr=ox.size(float(sizes.subtitle)))
    style("Cover Logo", ppr=(spacing(240, 0), centred()))
    heading_space = {1: (0, 240), 2: (360, 120), 3: (240, 80)}
    for level in range(1, 7):
        before, after = heading_space.get(level, (240, 60))
        points = float(getattr(sizes, f"h{level}", body))  # h4–h6: the text size
        ppr = [ox.keep_next(), ox.keep_lines(), spacing(before, after), ox.outline_level(level - 1)]
        if level == 1:
            ppr.insert(2, ox.page_break_before())
        style(f"Heading {level}", ppr=tuple(ppr), rpr=font(heading_font, points, heading, *bold()), next_="Normal")
    style("TOC Heading", ppr=(ox.keep_next(), ox.page_break_before(), spacing(0, 240)),
          rpr=font(heading_font, float(sizes.h1), heading, *bold()), next_="Normal")
    toc_size = float(sizes.toc)
    for level in range(1, 10):
        ppr = (ox.right_tab(twips(text_width)), spacing(120 if level == 1 else 0, 70),
               ox.indent(left=240 * (level - 1)))
        style(f"toc {level}", style_id=f"TOC{level}", ppr=ppr, rpr=(*(bold() if level == 1 else ()), *ox.size(toc_size)), next_="Normal")
    style("table of figures", style_id="TableofFigures", ppr=(ox.right_tab(twips(text_width)), spacing(0, 70)),
          rpr=ox.size(toc_size), next_="Normal")  # the lists of tables and figures, as Word names it
    style("Numbered Paragraph")
    style("Recommendation Summary", ppr=(ox.indent(left=PARAGRAPH_INDENT, hanging=PARAGRAPH_INDENT),))
    style("List Bullet", ppr=(spacing(0, 60),))
    style("List Number", ppr=(spacing(0, 60),))
    style("List Continue", ppr=(spacing(0, 60), ox.indent(left=LIST_INDENT)))
    titles = {kind: getattr(colours, f"{kind.replace('-', '_')}_title") for kind in BOX_STYLES}
    titles |= {kind.name: kind.title for kind in theme.settings.boxes}
    for kind, title_colour in titles.items():
        name = box_style(theme, kind)
        frame, fill = box_look(theme, kind, space_pt=4)
        style(name, ppr=(frame, ox.shading(fill), spacing(0, 100), ox.indent(left=BOX_INDENT, right=BOX_INDENT)),
              rpr=bold() if kind == "recommendation" else ())  # recommendations stand out, as in the PDF
        style(f"{name} Title", based_on=name, ppr=(ox.keep_next(), ox.outline_level(BOX_TITLE_OUTLINE)),
              rpr=(ox.fonts(heading_font), *bold(), ox.colour(title_colour)), next_=name)
        style(f"{name} List", based_on=name, ppr=(spacing(0, 60),))
    style("Quote", ppr=(ox.indent(left=720, right=720),), rpr=ox.italic())
    style("Code", kind=WD_STYLE_TYPE.CHARACTER, based_on=None, rpr=(ox.fonts(mono_font), *ox.size(body * 0.9)))
    style("Code Block", ppr=(spacing(0, 120, line=240, rule="auto"),),
          rpr=(ox.fonts(mono_font), *ox.size(body * 0.9)))
    style("Rule", ppr=(ox.rule_below(colours.rule), spacing(120, 240)), rpr=ox.size(4))
    style("Figure", ppr=(ox.keep_next(), spacing(120, 60), centred()))
    style("Caption", ppr=(spacing(0, 200), centred()), rpr=(*ox.italic(), *ox.size(note)))
    style("Table Text", ppr=(spacing(40, 40, line=240, rule="auto"),), rpr=ox.size(body * 0.95))
    style("Table Heading", based_on="Table Text", ppr=(ox.keep_next(),), rpr=bold())
    style("Table Text Small", based_on="Table Text", rpr=ox.size(note))  # a wide table's (reportkit.fit)
    style("Table Heading Small", based_on="Table Heading", rpr=ox.size(note))
    for what in ("footnote", "endnote"):
        style(f"{what} text", style_id=f"{what.capitalize()}Text", ppr=(spacing(0, 40, line=240, rule="auto"),),
              rpr=ox.size(note))
        style(f"{what} reference", kind=WD_STYLE_TYPE.CHARACTER, based_on=None,
              style_id=f"{what.capitalize()}Reference", rpr=(ox.superscript(),))
    style("Hyperlink", kind=WD_STYLE_TYPE.CHARACTER, based_on=None,
          rpr=(ox.colour(colours.link), ox.underline()))
    style("Header", ppr=(ox.align("right"), spacing(0, 0)), rpr=(ox.caps(), ox.colour(colours.draft), *ox.size(note)))
    style("Footer", ppr=(centred(), spacing(0, 0)), rpr=ox.size(note))
    style("Report Table", kind=WD_STYLE_TYPE.TABLE, based_on="Normal Table")
    ox.table_style_lines(document, "Report Table", colours.rule)
    return ids
