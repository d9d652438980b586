"""One PDF from the PDFs of consecutive groups of a report's pages, each written by WeasyPrint
from a part of the report laid out alone (``incremental.groups``), with pikepdf.

The pages follow one another; what WeasyPrint numbered or named per file is made one again.
``ready`` does its share in each group's own process, before the tag post-pass tags the
group's elements (``pdf_tags.retag``); ``merge`` then joins the files:

- named destinations: one ``/Dests`` tree of every group's own targets. A group's links to
  targets in another group (the contents, a repeated note call) point at stand-ins its HTML
  was given, which ``ready`` takes out, so each link resolves to the real target by its name;
- the structure tree: one ``Document`` holding every group's elements in order, one parent
  tree, the pages' ``/StructParents`` and the annotations' ``/StructParent`` numbered on, one
  ``/IDTree`` of the groups' notes;
- table header ``/ID``s (and the cells' ``/Headers``) prefixed by their group, font subset
  tags renamed by group (``ready``): each file numbers and tags its own from the same start;
- bookmarks: the groups' top-level entries one after another (each group begins with a
  chapter, so no entry spans two groups);
- the catalogue (language, metadata, viewer preferences) and document information of the
  first group, which every group shares.

Each group is made of whole parts, so no element but the document's ``Part`` spans two of
them: the post-pass joins each group's fragments in its own process, and only the groups'
``Part``s on the merged file (``pdf_tags.retag_merged``).

The output depends on the inputs only: merging the same files gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable

import pikepdf


def ready(pdf: pikepdf.Pdf, group: int, stand_ins: set[str]) -> None:
    """Readies the open PDF of group ``group`` for the merge, in its own process before its
    elements are tagged (``pdf_tags.retag``): its stand-ins (the destination names it was
    given only for its links to targets in other groups) taken out, its table header IDs
    prefixed and its font subsets tagged by group."""
    _drop_stand_ins(pdf, stand_ins)
    if group:
        _rename_fonts(pdf, group)
        _prefix_ids(pdf.Root.StructTreeRoot, f"g{group}-")


def merge(groups: list[bytes], finish: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """The PDF of ``groups`` one after another, each readied by ``ready``. ``finish`` is done on
    the merged file before it is written (the tag post-pass's last steps: one write, not two)."""
    first = pikepdf.open(io.BytesIO(groups[0]))
    others = [pikepdf.open(io.BytesIO(data)) for data in groups[1:]]
    try:
        dests: dict[str, object] = {}
        ids: dict[str, object] = {}
        _take_names(first, first, dests, ids)
        root = first.Root.StructTreeRoot
        document = root.K[0]
        parents = _parents(root)
        for other in others:
            offset = 1 + max(key for key, _ in parents) if parents else 0
            _renumber(other, offset)
            with warnings.catch_warnings():  # its named destinations are merged below
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                first.pages.extend(other.pages)
            tree = first.copy_foreign(other.Root.StructTreeRoot)
            _take_names(first, other, dests, ids, tree)
            for kid in tree.K[0].K:
                kid.P = document
                document.K.append(kid)
            parents += [(key + offset, value) for key, value in _parents(tree)]
            _join_outlines(first, other)
        nums = pikepdf.Array([item for key, value in parents for item in (key, value)])  # one call: Array.extend copies
        root.ParentTree = first.make_indirect(pikepdf.Dictionary(Nums=nums))
        root.ParentTreeNextKey = 1 + max(key for key, _ in parents) if parents else 0
        first.Root.Names = pikepdf.Dictionary(Dests=_name_tree(first, dests).obj)
        if ids:
            root.IDTree = _name_tree(first, ids).obj
        if finish is not None:
            finish(first)
        out = io.BytesIO()
        first.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
    finally:
        for pdf in (first, *others):
            pdf.close()


def _take_names(target: pikepdf.Pdf, pdf: pikepdf.Pdf, dests: dict, ids: dict,
                tree: pikepdf.Dictionary | None = None) -> None:
    """Adds ``pdf``'s named destinations to ``dests`` (as ``target``'s objects), and the element
    IDs of its structure tree (``tree``, its copy in ``target``) to ``ids``."""
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
            if name not in dests:
                dests[name] = dest if pdf is target else target.copy_foreign(pdf.make_indirect(dest))
    tree = pdf.Root.StructTreeRoot if tree is None else tree
    if "/IDTree" in tree:
        for name, element in pikepdf.NameTree(tree.IDTree).items():
            ids.setdefault(name, element)


def _name_tree(pdf: pikepdf.Pdf, entries: dict) -> pikepdf.NameTree:
    """A name tree of ``entries``, in the order of their names."""
    tree = pikepdf.NameTree.new(pdf)
    for name in sorted(entries):
        tree[name] = entries[name]
    return tree


def _drop_stand_ins(pdf: pikepdf.Pdf, stand_ins: set[str]) -> None:
    """Takes the stand-ins out: their element of the structure tree (the first of the Document,
    a ``Div`` of one empty ``Span`` per stand-in: their HTML comes first in the body), and their
    named destinations."""
    if not stand_ins:
        return
    document = pdf.Root.StructTreeRoot.K[0]
    kids = list(document.K)
    first = kids[0] if kids else None
    spans = list(first.get("/K", [])) if isinstance(first, pikepdf.Dictionary) and first.get("/S") == "/Div" else []
    if len(spans) == len(stand_ins) and all(s.get("/S") == "/Span" and not len(s.get("/K", [])) for s in spans):
        document.K = pikepdf.Array(kids[1:])
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        for name in sorted(stand_ins):
            if name in dests:
                del dests[name]


def _parents(root: pikepdf.Dictionary) -> list[tuple[int, object]]:
    """The entries of a structure tree's parent tree, (key, value) in the order of the keys."""
    return sorted(((int(key), value) for key, value in pikepdf.NumberTree(root.ParentTree).items()),
                  key=lambda entry: entry[0])


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
