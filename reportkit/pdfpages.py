"""Which page each named destination of a PDF points to, read with pikepdf: in the previous
PDF of a report laid out in groups (``incremental.groups``, its first guess of the page
numbers) and in LibreOffice's PDF of the DOCX (``libreoffice``, the Word contents' numbers)."""

from __future__ import annotations

import pikepdf


def destination_pages(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Named destination → the number (from 1) of the page it points to, from the ``/Names``
    tree and from the older ``/Dests`` dictionary (LibreOffice writes that one); one that
    points at no page of ``pdf`` is left out."""
    number = {page.objgen: i for i, page in enumerate(pdf.pages, 1)}
    dests = {str(key)[1:]: dest for key, dest in pdf.Root.get("/Dests", pikepdf.Dictionary()).items()}
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        dests.update(pikepdf.NameTree(pdf.Root.Names.Dests).items())
    found: dict[str, int] = {}
    for name, dest in dests.items():
        if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
            dest = dest.D
        if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
            if (page := number.get(dest[0].objgen)) is not None:
                found[name] = page
    return found
