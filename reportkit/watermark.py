"""The DRAFT watermark of ``--draft`` builds, drawn as shapes from the style's own bold font.

In the PDF the watermark is a picture of the word, not text: copying a page's text, searching
it or reading it aloud gives the report's words alone, never "DRAFT" among them.
"""

from __future__ import annotations

import base64

from .themes import Theme


def watermark_svg(text: str, theme: Theme, opacity: float = 0.10) -> str:
    """An SVG drawing ``text`` in the style's bold body font and draft colour, cropped to the
    capitals' height; "" when the style bundles no font."""
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.ttLib import TTFont

    family = theme.settings.fonts.body
    faces = sorted(theme.faces, key=lambda f: (f.family != family, f.italic, abs(f.weight - 700)))
    if not faces:
        return ""
    font = TTFont(faces[0].path, lazy=True)
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    pen, x = SVGPathPen(glyphs), 0
    for char in text:
        glyph = glyphs[cmap.get(ord(char), ".notdef")]
        glyph.draw(TransformPen(pen, (1, 0, 0, -1, x, 0)))  # font units point up, SVG's down
        x += glyph.width
    height = getattr(font["OS/2"], "sCapHeight", 0) or font["hhea"].ascent
    red, green, blue = theme.settings.colours.draft.rgb
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {-height} {x} {height}">'
            f'<path d="{pen.getCommands()}" fill="rgb({red},{green},{blue})" fill-opacity="{opacity}"/></svg>')


def watermark_uri(text: str, theme: Theme) -> str:
    """``watermark_svg`` as a data: URI for an ``<img>``; "" without a font."""
    svg = watermark_svg(text, theme)
    return f"data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" if svg else ""
