"""Pictures in the DOCX: image runs at the size the PDF gives them, SVG and WebP drawn as PNG.

Word's sure formats are PNG, JPEG and GIF; python-docx reads those, and the others become PNG
first: a WebP as it is, an SVG drawn by cairosvg at print resolution.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.shared import Length
from lxml.etree import _Element

from ...parse import SVG_HEAD, is_svg
from . import ooxml as ox

PRINT_DPI = 300
"""Resolution of the PNG an SVG is drawn into, at the size it shows in the document."""

PIXEL = 9525
"""EMU in an image pixel, as the PDF counts them: a CSS pixel, 96 an inch."""


@dataclass
class Pictures:
    """The pictures of one document, each drawing numbered in turn as Word requires."""

    count: int = 0
    """Drawings made so far."""

    def run(self, story: ox.Story, path: str, max_w: Length, max_h: Length, alt: str = "") -> _Element:
        """A run holding an image scaled to fit ``max_w`` × ``max_h`` (never enlarged); the
        words "[alt]" instead when it is an SVG cairosvg cannot draw."""
        package = story.part.package
        try:
            image_part = package.get_or_add_image_part(path)
            # As in the PDF: 96 pixels an inch, whatever resolution the file states.
            w, h = image_part.image.px_width * PIXEL, image_part.image.px_height * PIXEL
        except UnrecognizedImageError:  # SVG and WebP
            converted = as_png(Path(path), max_w, max_h)
            if converted is None:
                return ox.placeholder_run(f"[{alt or Path(path).name}]")
            png, w, h = converted
            image_part = package.get_or_add_image_part(io.BytesIO(png))
        rel_id = story.part.relate_to(image_part, RT.IMAGE)
        scale = min(1.0, max_w / w, max_h / h)
        self.count += 1
        return ox.picture_run(self.count, rel_id, Path(path).name, int(w * scale), int(h * scale), alt)


def as_png(path: Path, max_w: Length, max_h: Length) -> tuple[bytes, int, int] | None:
    """A PNG of an image python-docx cannot embed, and the image's own size (EMU, 96 pixels an
    inch as in the PDF). A WebP is converted as it is. An SVG is drawn at ``PRINT_DPI`` at the
    size it shows (its own, shrunk to fit ``max_w`` × ``max_h``); None when cairosvg cannot
    draw it."""
    from PIL import Image as PILImage

    data = path.read_bytes()
    if not is_svg(data[:SVG_HEAD]):
        with PILImage.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            dpi = image.info.get("dpi")
            image.save(out, "PNG", **({"dpi": dpi} if dpi else {}))
            return out.getvalue(), image.width * PIXEL, image.height * PIXEL
    try:
        from cairosvg.parser import Tree  # only for SVGs: cairosvg takes 0.15 s to import
        from cairosvg.surface import PNGSurface, SVGSurface
    except (ImportError, OSError):  # cairosvg, or the cairo library, is not installed
        return None

    try:
        # Its own size in CSS pixels (without one, its viewBox's),
        # from a drawing in memory. unsafe=False: no entities, files or URLs.
        measured = SVGSurface(Tree(bytestring=data, unsafe=False), None, dpi=96)
        width, height = measured.width, measured.height
        measured.finish()
        shown = min(1.0, max_w / PIXEL / width, max_h / PIXEL / height)
        png = PNGSurface.convert(bytestring=data, scale=shown * PRINT_DPI / 96, unsafe=False, dpi=96)
    except Exception:  # cairosvg raises many types for drawings it cannot handle
        return None
    with PILImage.open(io.BytesIO(png)) as image:  # its resolution, for whoever copies it out
        out = io.BytesIO()
        image.save(out, "PNG", dpi=(PRINT_DPI, PRINT_DPI))
    return out.getvalue(), round(width * PIXEL), round(height * PIXEL)
