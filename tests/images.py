"""Images for tests: a solid-colour picture of any size and format, and a PNG that only claims a size."""

from __future__ import annotations

import io
import struct
import zlib

BLUE = (31, 78, 121)
"""The default colour: the dark blue of the default style's headings."""


def picture(width: int, height: int, colour: tuple[int, int, int] = BLUE, kind: str = "PNG",
            dpi: int | None = None) -> bytes:
    """A solid-colour RGB image: PNG, WEBP, JPEG or GIF (``kind``), stating ``dpi`` when given."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, kind, **({"dpi": (dpi, dpi)} if dpi else {}))
    return out.getvalue()


def claimed_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` with no pixels behind it: a size check
    reads the header and refuses it before anything decodes it (a real one would take gigabytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
