"""One PDF from the PDFs of consecutive groups of a report's pages, each written by WeasyPrint
from a part of the report laid out alone (``incremental.groups``), with pikepdf.

The pages follow one another; what WeasyPrint numbered or named per file is made one again:

- named destinations: one ``/Dests`` tree of every group's own targets. A group's links to
  targets in another group (the contents, a repeated note call) point at stand-ins its HTML
  was given, which are left out, so each link resolves to the real target by its name;
- the structure tree: one ``Document`` holding every group's elements in order, one parent
  tree, the pages' ``/StructParents`` and the annotations' ``/StructParent`` numbered on;
- the element marks of WeasyPrint's tagger (``weasyprint_fixes.ELEMENT_MARK``, which
  ``pdf_tags`` joins fragments by and then removes): numbered on past the groups before, so
  that no element is joined with one of another group that happens to bear its number;
- table header ``/ID``s (and the cells' ``/Headers``) prefixed by their group, font subset
  tags renamed by group: each file numbers and tags its own from the same start;
- bookmarks: the groups' top-level entries one after another (each group begins with a
  chapter, so no entry spans two groups);
- the catalogue (language, metadata, viewer preferences) and document information of the
  first group, which every group shares.

The output depends on the inputs only: merging the same files gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable

import pikepdf

from .weasyprint_fixes import ELEMENT_MARK

MARK = "/" + ELEMENT_MARK


def merge(groups: list[bytes], stand_ins: list[set[str]],
          finish: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """The PDF of ``groups`` one after another; ``stand_ins[k]`` are the destination names
    group ``k`` was given only for its links to targets in other groups. ``finish`` is done on
    the merged file before it is written (the tag post-pass's document half: one write, not two)."""
    first = pikepdf.open(io.BytesIO(groups[0]))
    others = [pikepdf.open(io.BytesIO(data)) for data in groups[1:]]
    try:
        dests: dict[str, object] = {}
        _take_dests(first, first, stand_ins[0], dests)
        root = first.Root.StructTreeRoot
        document = root.K[0]
        parents = _parents(root)
        marks = _mark_past(first, 0)
        _drop_stand_ins(first, stand_ins[0])
        for k, other in enumerate(others, 1):
            marks = _mark_past(other, marks)
            _drop_stand_ins(other, stand_ins[k])
            _rename_fonts(other, k)
            _prefix_ids(other.Root.StructTreeRoot, f"g{k}-")
            offset = 1 + max(key for key, _ in parents) if parents else 0
            _renumber(other, offset)
            with warnings.catch_warnings():  # its named destinations are merged below
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                first.pages.extend(other.pages)
            _take_dests(first, other, stand_ins[k], dests)
            tree = first.copy_foreign(other.Root.StructTreeRoot)
            for kid in tree.K[0].K:
                kid.P = document
                document.K.append(kid)
            parents += [(key + offset, value) for key, value in _parents(tree)]
            _join_outlines(first, other)
        nums = pikepdf.Array([item for key, value in parents for item in (key, value)])  # one call: Array.extend copies
        root.ParentTree = first.make_indirect(pikepdf.Dictionary(Nums=nums))
        root.ParentTreeNextKey = 1 + max(key for key, _ in parents) if parents else 0
        names = pikepdf.NameTree.new(first)
        for name in sorted(dests):
            names[name] = dests[name]
        first.Root.Names = pikepdf.Dictionary(Dests=names.obj)
        if finish is not None:
            finish(first)
        out = io.BytesIO()
        first.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
    finally:
        for pdf in (first, *others):
            pdf.close()


def _drop_stand_ins(pdf: pikepdf.Pdf, stand_ins: set[str]) -> None:
    """Takes the stand-ins' element out of the structure tree: the first of the Document, a
    ``Div`` of one empty ``Span`` per stand-in (their HTML comes first in the body)."""
    if not stand_ins:
        return
    document = pdf.Root.StructTreeRoot.K[0]
    kids = list(document.K)
    first = kids[0] if kids else None
    spans = list(first.get("/K", [])) if isinstance(first, pikepdf.Dictionary) and first.get("/S") == "/Div" else []
    if len(spans) == len(stand_ins) and all(s.get("/S") == "/Span" and not len(s.get("/K", [])) for s in spans):
        document.K = pikepdf.Array(kids[1:])


def _mark_past(pdf: pikepdf.Pdf, start: int) -> int:
    """Adds ``start`` to each element mark of ``pdf``; returns the first number past them."""
    end = start
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and MARK in obj:
            obj[MARK] = int(obj[MARK]) + start
            end = max(end, int(obj[MARK]) + 1)
    return end


def _parents(root: pikepdf.Dictionary) -> list[tuple[int, object]]:
    """The entries of a structure tree's parent tree, (key, value) in the order of the keys."""
    return sorted(((int(key), value) for key, value in pikepdf.NumberTree(root.ParentTree).items()),
                  key=lambda entry: entry[0])


def _take_dests(target: pikepdf.Pdf, pdf: pikepdf.Pdf, stand_ins: set[str], dests: dict) -> None:
    """Adds ``pdf``'s named destinations, but its stand-ins, to ``dests`` (as ``target``'s objects)."""
    if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
        return
    for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
        if name not in stand_ins and name not in dests:
            dests[name] = dest if pdf is target else target.copy_foreign(pdf.make_indirect(dest))


def _renumber(pdf: pikepdf.Pdf, offset: int) -> None:
    """Moves the pages' and annotations' keys into ``pdf``'s parent tree up by ``offset``, past
    those of the groups before it (the tree's own keys move as it is merged)."""
    for page in pdf.pages:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + offset
        for annot in page.obj.get("/Annots", []):
            if "/StructParent" in annot:
                annot.StructParent = int(annot.StructParent) + offset


def _prefix_ids(root: pikepdf.Dictionary, prefix: str) -> None:
    """Prefixes the ``/ID`` of each structure element (WeasyPrint's table headers) and the
    ``/Headers`` that name them."""
    todo = [root]
    while todo:
        element = todo.pop()
        if "/ID" in element:
            element.ID = pikepdf.String(prefix + str(element.ID))
        attributes = element.get("/A")
        for attribute in attributes if isinstance(attributes, pikepdf.Array) else [attributes]:
            if isinstance(attribute, pikepdf.Dictionary) and "/Headers" in attribute:
                attribute.Headers = pikepdf.Array([pikepdf.String(prefix + str(h)) for h in attribute.Headers])
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                todo.append(kid)


def _rename_fonts(pdf: pikepdf.Pdf, group: int) -> None:
    """Gives each font subset of ``pdf`` a tag of its own ("ABCDEF+Name"): WeasyPrint derives
    the tag from the font, so every group's subset of one font would bear the same."""
    renamed: dict[str, str] = {}

    def rename(font: pikepdf.Dictionary, key: str) -> None:
        name = str(font.get(key, ""))[1:]
        tag, plus, rest = name.partition("+")
        if not plus or len(tag) != 6:
            return
        if name not in renamed:
            digest = hashlib.sha256(f"{group}:{name}".encode()).digest()
            renamed[name] = "".join(chr(65 + b % 26) for b in digest[:6]) + "+" + rest
        font[key] = pikepdf.Name("/" + renamed[name])

    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        fonts = page.Resources.get("/Font", {})
        for key in list(fonts.keys()):
            font = fonts[key]
            if font.objgen in seen:
                continue
            seen.add(font.objgen)
            rename(font, "/BaseFont")
            for descendant in font.get("/DescendantFonts", []):
                rename(descendant, "/BaseFont")
                if "/FontDescriptor" in descendant:
                    rename(descendant.FontDescriptor, "/FontName")
            if "/FontDescriptor" in font:
                rename(font.FontDescriptor, "/FontName")


def _join_outlines(target: pikepdf.Pdf, pdf: pikepdf.Pdf) -> None:
    """Appends ``pdf``'s top-level bookmarks (their children with them) to ``target``'s."""
    if "/Outlines" not in pdf.Root or "/First" not in pdf.Root.Outlines:
        return
    added = target.copy_foreign(pdf.Root.Outlines)
    if "/Outlines" not in target.Root or "/First" not in target.Root.Outlines:
        target.Root.Outlines = added
        return
    outlines = target.Root.Outlines
    item = added.First
    while True:
        item.Parent = outlines
        if "/Next" not in item:
            break
        item = item.Next
    last = outlines.Last
    last.Next = added.First
    added.First.Prev = last
    outlines.Last = added.Last
    outlines.Count = int(outlines.get("/Count", 0)) + int(added.get("/Count", 0))
