"""A post-pass on the written PDF for what WeasyPrint's tagger cannot be told through HTML.

WeasyPrint 70 tags each dot of a contents leader as text inside the link, builds the running
footer's tags without linking them to the structure tree, and describes a link by its anchor
name ("note-1"). ``retag`` rewrites the PDF with pikepdf (the qpdf binding): leader dots become
layout artifacts, the footer a pagination artifact, and every link annotation gets a
``/Contents`` a listener understands ("Note 6", "Section 2.1, National Plan of Action").
Footnotes, which WeasyPrint tags as text of the page's footnote area (``NonStruct``), become
``/Note`` elements with an ``/ID``, right after the paragraph that calls them.
The output depends on the input only (qpdf's deterministic /ID): a rebuild is byte-identical.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pikepdf

LEADER_RUN = 3
"""Consecutive one-dot text runs in one element that make a leader (a sentence's full stop is
one run at most)."""


def retag(data: bytes, pages: bool = True, document: bool = True) -> bytes:
    """``data`` (a PDF written by WeasyPrint) with leaders and footers as artifacts, links
    described and footnotes tagged as notes. ``pages`` and ``document`` choose the page-by-page
    half (artifacts) and the whole-document half (links, notes), for a PDF written in parts
    (each part's pages done apart) and merged."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/StructTreeRoot" not in pdf.Root:
            return data
        if pages:
            owners = _owners(pdf)
            for page in pdf.pages:
                _artifacts(pdf, page, owners)
        if document:
            _describe_links(pdf)
            _notes(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def _kids(element: pikepdf.Dictionary) -> list:
    """An element's /K as a list."""
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _owners(pdf: pikepdf.Pdf) -> dict[tuple[tuple[int, int], int], pikepdf.Dictionary]:
    """(page objgen, MCID) → the structure element reached from the root that holds it."""
    owners: dict = {}

    def walk(element: pikepdf.Dictionary, page: tuple[int, int] | None) -> None:
        if "/Pg" in element:
            page = element.Pg.objgen
        for kid in _kids(element):
            if isinstance(kid, int):
                owners[(page, int(kid))] = element
            elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                owners[(kid.Pg.objgen if "/Pg" in kid else page, int(kid.MCID))] = element
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                walk(kid, page)

    walk(pdf.Root.StructTreeRoot, None)
    return owners


def _unicode_maps(page: pikepdf.Page) -> dict[str, dict[bytes, str]]:
    """Font resource name → glyph code → text, from each font's ToUnicode CMap."""
    maps = {}
    fonts = page.Resources.get("/Font", {})
    for name in fonts.keys():
        font = fonts[name]
        table: dict[bytes, str] = {}
        if "/ToUnicode" in font:
            cmap = font.ToUnicode.read_bytes().decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
                    table[bytes.fromhex(code)] = bytes.fromhex(text).decode("utf-16-be", "replace")
        maps[str(name)] = table
    return maps


def _runs(page: pikepdf.Page, instructions: list) -> Iterator[tuple[int, int, str]]:
    """(index of the BDC instruction, MCID, text) of each marked-content run of the page."""
    maps, font, open_ = _unicode_maps(page), {}, []
    for i, (operands, operator) in enumerate(instructions):
        op = str(operator)
        if op in ("BDC", "BMC"):
            mcid = None
            if op == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                mcid = int(operands[1].MCID)
            open_.append([i, mcid, ""])
        elif op == "EMC" and open_:
            start, mcid, text = open_.pop()
            if mcid is not None:
                yield start, mcid, text
        elif op == "Tf":
            font = maps.get(str(operands[0]), {})
        elif op in ("Tj", "TJ") and open_:
            items = operands[0] if isinstance(operands[0], pikepdf.Array) else [operands[0]]
            for item in items:
                if isinstance(item, pikepdf.String):
                    raw = bytes(item)
                    open_[-1][2] += "".join(font.get(raw[j:j + 2], "\ufffd") for j in range(0, len(raw), 2))


def _artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, owners: dict) -> None:
    """Turns the page's leader dots and its text that no element of the tree holds (the
    running footer) into artifacts, and takes them out of the structure tree."""
    instructions = list(pikepdf.parse_content_stream(page))
    runs = list(_runs(page, instructions))
    key = page.obj.objgen
    footer = {mcid for _, mcid, _ in runs if (key, mcid) not in owners}
    leaders: set[int] = set()
    streak: list[int] = []
    for _, mcid, text in runs + [(0, -1, "")]:
        owner = owners.get((key, mcid))
        if text == "." and (not streak or owners.get((key, streak[-1])) is owner):
            streak.append(mcid)
            continue
        if len(streak) >= LEADER_RUN:
            leaders.update(streak)
        streak = [mcid] if text == "." else []
    if not footer and not leaders:
        return
    layout = pikepdf.Dictionary(Type=pikepdf.Name.Layout)
    pagination = pikepdf.Dictionary(Type=pikepdf.Name.Pagination, Subtype=pikepdf.Name.Footer)
    for start, mcid, _ in runs:
        if mcid in footer or mcid in leaders:
            kind = pagination if mcid in footer else layout
            instructions[start] = pikepdf.ContentStreamInstruction([pikepdf.Name.Artifact, kind],
                                                                   pikepdf.Operator("BDC"))
    page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
    emptied = {}
    for mcid in leaders:
        element = owners.pop((key, mcid))
        _drop(element, mcid)
        emptied[element.objgen] = element
    for element in emptied.values():
        _fold(pdf, element)
    parents = _parent_array(pdf, page)
    if parents is not None:
        for mcid in footer | leaders:
            if mcid < len(parents):
                parents[mcid] = None


def _drop(element: pikepdf.Dictionary, mcid: int) -> None:
    """Removes the marked-content reference ``mcid`` from ``element``'s kids."""
    kept = [k for k in _kids(element) if not (isinstance(k, int) and int(k) == mcid
                                               or isinstance(k, pikepdf.Dictionary) and "/MCID" in k
                                               and int(k.MCID) == mcid)]
    element.K = pikepdf.Array(kept)


def _fold(pdf: pikepdf.Pdf, element: pikepdf.Dictionary) -> None:
    """Takes out of the tree an element that a leader's removal left without content. WeasyPrint
    makes the leader of a contents line a link inside the line's link; its annotation joins the
    outer link."""
    kids = _kids(element)
    if any(isinstance(k, int) or isinstance(k, pikepdf.Dictionary) and ("/MCID" in k or "/S" in k)
           for k in kids):
        return
    parent = element.P
    annotations = [k for k in kids if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
    if annotations and parent.get("/S") != element.S:
        return
    replaced = []
    for kid in _kids(parent):
        same = isinstance(kid, pikepdf.Dictionary) and kid.is_indirect and kid.objgen == element.objgen
        replaced.extend(annotations if same else [kid])
    parent.K = pikepdf.Array(replaced)
    tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    for reference in annotations:
        if "/StructParent" in reference.Obj:
            tree[int(reference.Obj.StructParent)] = parent


def _parent_array(pdf: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Array | None:
    """The parent tree's entry for the page: MCID → structure element."""
    if "/StructParents" not in page.obj:
        return None
    tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    entry = tree.get(int(page.obj.StructParents))
    return entry if isinstance(entry, pikepdf.Array) else None


def _describe_links(pdf: pikepdf.Pdf) -> None:
    """Gives each internal link annotation a description instead of its anchor name."""
    names = _destinations(pdf)
    headings = _headings(pdf)
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            if "/Dest" in annot and isinstance(annot.Dest, pikepdf.String):
                anchor = str(annot.Dest)
                annot.Contents = pikepdf.String(_description(anchor, headings.get(names.get(anchor))))
            elif "/A" in annot and "/URI" in annot.A:
                annot.Contents = pikepdf.String(str(annot.A.URI))


def _where(dest) -> tuple | None:
    """A destination's page and height, to match a named destination with a bookmark."""
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    if not isinstance(dest, pikepdf.Array) or len(dest) < 4:
        return None
    return (dest[0].objgen, round(float(dest[3])))


def _destinations(pdf: pikepdf.Pdf) -> dict[str, tuple]:
    """Named destination → where it points."""
    if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
        return {}
    return {name: where for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()
            if (where := _where(dest))}


def _headings(pdf: pikepdf.Pdf) -> dict[tuple, str]:
    """Where a bookmark points → its title ("2.1 The law")."""
    found = {}
    with pdf.open_outline() as outline:
        todo = list(outline.root)
        while todo:
            item = todo.pop()
            todo.extend(item.children)
            if where := _where(item.destination):
                found.setdefault(where, item.title)
    return found


def _description(anchor: str, heading: str | None) -> str:
    """What a listener hears for a link to ``anchor``: its note, section or box."""
    if m := re.fullmatch(r"(?:end)?note-(\d+)", anchor):
        return f"Note {m[1]}"
    if m := re.fullmatch(r"call-(\d+)", anchor):
        return f"Back to the call of note {m[1]}"
    if heading:
        number, _, title = heading.partition(" ")
        if re.fullmatch(r"[\dA-Z]+(\.\d+)*", number) and title:
            return f"Section {number}, {title}"
        return heading
    if m := re.fullmatch(r"rec-(\d+)", anchor):
        return f"Recommendations, box {m[1]}"
    return anchor.replace("-", " ").capitalize()


HOSTS = {"/P", "/Div", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/LBody", "/TD", "/TH", "/Caption", "/Lbl"}
"""Elements a note call stands in: a note follows a paragraph, heading or box title, and
closes a list item's body or a table cell (where nothing may follow in the parent)."""
WITHIN = {"/LBody", "/TD", "/TH", "/Caption", "/Lbl"}


def _element(kid) -> bool:
    return isinstance(kid, pikepdf.Dictionary) and "/S" in kid


def _notes(pdf: pikepdf.Pdf) -> None:
    """Moves each footnote out of its page's footnote area into a ``/Note`` after the paragraph
    that calls it. WeasyPrint leaves an empty ``NonStruct`` after each call's link, and sets the
    notes in the footnote areas in the order of their calls; they are paired in that order, and
    left as they are if the two counts differ."""
    root = pdf.Root.StructTreeRoot
    tops = _kids(root)
    if len(tops) != 1 or not _element(tops[0]):
        return
    document = tops[0]
    areas = [k for k in _kids(document) if _element(k) and k.S == "/NonStruct" and _kids(k)
             and all(_element(n) and n.S == "/Span" for n in _kids(k))]
    notes = [n for area in areas for n in _kids(area)]
    area_ids = {area.objgen for area in areas}
    calls: list[tuple] = []  # (placeholder, the host it stands in, the host's parent)

    def walk(element: pikepdf.Dictionary, parent) -> None:
        previous = None
        for kid in _kids(element):
            if not _element(kid) or kid.objgen in area_ids:
                continue
            if (kid.S == "/NonStruct" and not _kids(kid) and element.get("/S") in HOSTS
                    and previous is not None and previous.S == "/Link"):
                calls.append((kid, element, parent))
            else:
                walk(kid, element)
            previous = kid

    walk(document, root)
    if not notes or len(notes) != len(calls):
        return
    ids = pikepdf.NameTree.new(pdf)
    placed: dict[tuple[int, int], int] = {}
    for number, (note, (placeholder, host, parent)) in enumerate(zip(notes, calls), 1):
        host.K = pikepdf.Array([k for k in _kids(host) if not (_element(k) and k.objgen == placeholder.objgen)])
        ident = f"note-{number}"
        element = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Note, ID=pikepdf.String(ident), K=pikepdf.Array([note])))
        note.P = element
        ids[ident] = element
        if host.S in WITHIN:
            element.P = host
            host.K = pikepdf.Array(_kids(host) + [element])
            continue
        element.P = parent
        kids = _kids(parent)
        at = next(i for i, k in enumerate(kids) if _element(k) and k.objgen == host.objgen) + 1
        at += placed.get(host.objgen, 0)
        placed[host.objgen] = placed.get(host.objgen, 0) + 1
        kids.insert(at, element)
        parent.K = pikepdf.Array(kids)
    document.K = pikepdf.Array([k for k in _kids(document) if not (_element(k) and k.objgen in area_ids)])
    root.IDTree = ids.obj
