"""What reportkit changes in WeasyPrint 70, in one place: ``apply()`` imports it and applies each
workaround, or raises ``ReportError`` naming the WeasyPrint version and the workaround whose code
no longer matches (a later WeasyPrint needs each looked at again, never skipped in silence).

The workarounds: the import loads WeasyPrint's C libraries by file name, one pagination
heuristic that loses footnotes is switched off, the footnote area is measured note by note, a
leader's dots are one text run, the tagger's page references are made once a PDF, a line's
glyphs are read from Pango a run at a time (all but the second for speed only), the PDF tagger
marks each structure element with the HTML element it comes from and tags ARIA headings as
headings, and a layout can stop between its pages and their margin boxes (``paused``).
``pdf.check_notes`` still checks every note after layout.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import threading
from typing import Callable, Iterator

from ..errors import ReportError


def apply() -> None:
    """Import WeasyPrint (quickly) and apply every workaround; idempotent."""
    _import_weasyprint()  # saves 0.15 s of the 0.4 s import (bench/RESULTS.md: the quick floor)
    _keep_notes_with_their_lines()
    _footnote_area_note_by_note()
    _one_run_per_leader()
    _page_references_once()
    _glyphs_read_a_run_at_once()
    _mark_tagged_elements()
    _pause_before_margin_boxes()


def _import_weasyprint() -> None:
    """Import WeasyPrint, its C libraries (Pango, HarfBuzz, fontconfig…) loaded by file name.

    WeasyPrint tries several names for each library, and cffi looks up every name without a
    dot with ``ctypes.util.find_library``, which on Linux runs ``ldconfig`` and then the C
    compiler (WeasyPrint issue #1125): 0.15 s of the 0.4 s the import takes (the "quick floor"
    of bench/RESULTS.md). Each list also holds the library's file name
    (``libpango-1.0.so.0``), which the system's loader finds itself. So during the import the
    lookup answers "not found" at once and the file names load the same libraries; should that
    fail, the import is done again the usual way.
    """
    if sys.platform.startswith("linux") and "weasyprint" not in sys.modules:
        import contextlib
        import ctypes.util
        import io

        lookup = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint's banner when it fails
                import weasyprint  # noqa: F401
        except OSError:
            for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[name]
        finally:
            ctypes.util.find_library = lookup
    import weasyprint  # noqa: F401


def _source(function, expected: tuple[str, ...], fix: str, where: str) -> tuple[str, int]:
    """The source of the WeasyPrint ``function`` a workaround ("fix for …") reproduces or edits,
    and its first line; raises ``ReportError`` naming the version when a line it relies on is
    not there (a later WeasyPrint is looked at again, never patched blind)."""
    import weasyprint

    try:
        lines, first = inspect.getsourcelines(function)
    except (OSError, TypeError):
        lines, first = [], 0
    source = "".join(lines)
    if not all(line in source for line in expected):
        raise ReportError(f"WeasyPrint {weasyprint.__version__} is not supported: its code no longer matches "
                          f"reportkit's {fix} ({where}); install WeasyPrint 70")
    return source, first


def _keep_notes_with_their_lines() -> None:
    """Switch off a WeasyPrint 70 pagination heuristic that loses notes.

    When a paragraph's line overflows the page where breaking before it would leave too few
    lines (``orphans``), WeasyPrint 70 pushes the page's earlier footnotes to the next page to
    make room, then keeps the line *without laying out the notes it calls*: those notes vanish
    (about 1 in 600 in our stress reports), and the pushed ones land a page after their calls.
    No ``orphans``/``widows`` value avoids it (it fires at line number ``orphans`` of any
    paragraph). With the heuristic off, the paragraph simply moves to the next page, as orphans
    ask. WeasyPrint offers no hook there (the decision is a local variable of
    ``_linebox_layout``), so the function is compiled again from its source with that one line
    changed.
    """
    from weasyprint.layout import block

    if getattr(block._linebox_layout, "reportkit_fixed", False):
        return
    heuristic = "report = not context.in_column and can_break_now and not could_break_before"
    source, first = _source(block._linebox_layout, (heuristic,), "fix for footnotes lost at a paragraph's orphans line",
                            "weasyprint.layout.block._linebox_layout")
    # Blank lines first, so tracebacks keep pointing at the right lines of block.py.
    patched = "\n" * (first - 1) + source.replace(heuristic, "report = False  # reportkit")
    exec(compile(patched, block.__file__, "exec"), vars(block))
    block._linebox_layout.reportkit_fixed = True


FOOTNOTE_CHECK: list[tuple[str, float, float]] | None = None
"""When a list (tests), each footnote area's height added up note by note ("added"), or taken
again from before notes were taken away ("again"), is appended to it with the height of the
area laid out whole, which is then done as well."""


def _footnote_area_note_by_note() -> None:
    """Measure the footnote area as it grows by the note just added, not by all its notes again.

    Each time a line calls a note, WeasyPrint 70 lays the page's whole footnote area out again
    to learn its height (``LayoutContext._update_footnote_area``): on a page of eight notes the
    first is laid out eight times (4.5 s of the 17 s a 182-page report took to lay out: 1,392
    note layouts for its 448 calls). This does what that method does, but when the notes are
    those it measured last plus one, it lays out the new note alone in the area and adds it up:
    its height and its top and bottom margins, the top one collapsed with the previous note's
    bottom margin, as siblings' are. The sum is the height a whole layout gives while the area
    has a border or padding at its top and bottom (the style's rule and transparent border: no
    margin collapses through them), no height or max-height of its own, and the margins are not
    negative; otherwise the area is laid out whole (as the first note of a page is). When
    notes are taken away (their line goes on to the next page), the measure from before they
    were added is taken again. The pages are the same, byte for byte (the sample, the 182-page
    report, the test reports); ``FOOTNOTE_CHECK`` lays the area out whole as well, to compare.
    """
    from math import inf

    from weasyprint.formatting_structure import build
    from weasyprint.layout import LayoutContext, block

    method = LayoutContext._update_footnote_area
    if getattr(method, "reportkit_fixed", False):
        return
    _source(method, ("self.page_bottom += self.current_footnote_area.margin_height()",
                     "self.current_footnote_area.children = self.current_page_footnotes",
                     "self.current_footnote_area.height = footnote_area.height",
                     "self.page_bottom -= footnote_area.margin_height()",
                     "overflow = last_child_bottom > footnote_area_bottom",
                     "self.current_footnote_area.height = 0"),
            "measure of the footnote area note by note", "weasyprint.layout.LayoutContext._update_footnote_area")

    def lay_out(context, area, notes):
        area.children = notes
        return block.block_level_layout(context, build.create_anonymous_boxes(area.deepcopy()), -inf, None,
                                        area.page)[0]

    def below(out) -> float:
        """The last note's bottom margin, as it stands in the laid-out area ``out``."""
        last = out.children[-1]
        return out.content_box_y() + out.height - (last.border_box_y() + last.border_height())

    def same(notes, measured) -> bool:
        return len(notes) == len(measured) and all(a is b for a, b in zip(notes, measured))

    def adds_up(area) -> bool:
        """Whether ``area``, measured before, has a height that adds up note by note."""
        return (area.height != "auto"
                and getattr(area.style["max_height"], "value", None) == inf and area.style["height"] == "auto"
                and area.border_top_width + area.padding_top > 0
                and area.border_bottom_width + area.padding_bottom > 0)

    def added(context, area, notes, height, before) -> tuple[float, float, float] | None:
        """The area's height, its frame (padding, border, margin) and its last note's bottom
        margin with the last of ``notes`` added up to the measure of the others (``height``,
        and ``before``, the bottom margin of their last); None when a margin is negative."""
        out = lay_out(context, area, notes[-1:])
        area.children = notes
        note = out.children[-1]
        top, after = note.border_box_y() - out.content_box_y(), below(out)
        if min(top, before, after) < 0:
            return None
        total = height - before + max(before, top) + note.border_height() + after
        if FOOTNOTE_CHECK is not None:
            FOOTNOTE_CHECK.append(("added", total, lay_out(context, area, notes).height))
        return total, out.margin_height() - out.height, after

    def measure(context) -> bool:
        area, notes, columns = context.current_footnote_area, context.current_page_footnotes, context.in_column
        kept, context._reportkit_footnotes = context.__dict__.get("_reportkit_footnotes"), None
        # The measures of this area's notes so far, each (notes, measure, overflow), each of one
        # note more than the one before.
        steps = kept[1] if kept and kept[0] is area and not columns else []
        if area.height != "auto" and not columns:
            context.page_bottom += area.margin_height()
        area.children = notes
        if not notes:
            area.height = 0
            if not columns:
                context.page_bottom -= area.margin_height()
            return False
        overflow, found = False, None
        earlier = next((k for k, (measured, _, _) in enumerate(steps) if same(notes, measured)), None)
        extends = bool(steps) and len(notes) == len(steps[-1][0]) + 1 and same(notes[:-1], steps[-1][0])
        if earlier is not None:  # notes taken away: the measure from before they were added
            steps = steps[:earlier + 1]
            _, found, overflow = steps[-1]
            if FOOTNOTE_CHECK is not None:
                FOOTNOTE_CHECK.append(("again", found[0], lay_out(context, area, notes).height))
        elif extends and adds_up(area):  # one note more than last measured
            found = added(context, area, notes, steps[-1][1][0], steps[-1][1][2])
        if found is None:
            out = lay_out(context, area, notes)
            last = out.children[-1]
            overflow = (last.position_y + last.margin_height() - last.margin_bottom
                        > out.position_y + out.margin_height() - out.margin_bottom)
            found = out.height, out.margin_height() - out.height, below(out)
        if earlier is None:
            steps = [*(steps if extends else ()), (list(notes), found, overflow)]
        height, frame, _ = found
        area.height = height
        if not columns:
            context.page_bottom -= height + frame
            context._reportkit_footnotes = (area, steps)
        return overflow

    measure.reportkit_fixed = True
    measure.whole = method  # WeasyPrint's own, for tests
    LayoutContext._update_footnote_area = measure


def _one_run_per_leader() -> None:
    """Draw a leader's dots as one text run, not one run per dot.

    WeasyPrint 70 fills a leader (the contents' dots) with a copy of its text box per dot, each
    shaped, drawn, tagged and written on its own: on a contents page that is most of the PDF's
    runs (1.3 s of writing for the 148 lines of a 182-page report, against 0.1 s without
    them). After WeasyPrint has placed the copies, they are replaced with one box holding their
    text as many times over, shaped once, that ends where the rightmost copy ended. The PDF
    draws its dots at the font's own advance, a few thousandths of a point closer than the
    copies stood: on a full line the last dot ends about 0.7 pt short of where it did, which
    no reader sees. ``pdf_tags`` turns the run into an artifact, as it did each dot.
    """
    from weasyprint.layout import inline, leader
    from weasyprint.text.line_break import split_first_line

    if getattr(inline.handle_leader, "reportkit_fixed", False):
        return
    place = leader.handle_leader

    def one_run(context, line, containing_block):
        place(context, line, containing_block)
        index, box = leader.leader_index(line)
        if index is None or len(box.children) < 2:
            return
        last = max(box.children, key=lambda child: child.position_x)
        run = last.copy_with_text(last.text * len(box.children))
        run.pango_layout, _, _, run.width, _, _ = split_first_line(run.text, run.style, context, None, 0)
        run.position_x = last.position_x + last.width - run.width  # ends where the copies did
        box.children = (run,)

    one_run.reportkit_fixed = True
    inline.handle_leader = one_run


def _page_references_once() -> None:
    """Make pydyf's list of page references once per page count, not once per use.

    WeasyPrint's tagger asks for ``pdf.page_references[n]`` for every structure element, and
    pydyf builds the whole tuple of the PDF's page references each time: quadratic in the
    pages, 2 s of the 8 s that writing the 182-page report took. The tuple is kept with the
    page list's length it was made for (pages are only ever added), and made again when that
    changes.
    """
    import pydyf

    make = pydyf.PDF.page_references.fget
    if getattr(make, "reportkit_fixed", False):
        return

    def page_references(pdf):
        count = len(pdf.pages["Kids"])
        kept = pdf.__dict__.get("_reportkit_page_references")
        if kept is None or kept[0] != count:
            kept = pdf._reportkit_page_references = (count, make(pdf))
        return kept[1]

    page_references.reportkit_fixed = True
    pydyf.PDF.page_references = property(page_references)


def _glyphs_read_a_run_at_once() -> None:
    """Read a line's glyphs from Pango a run at a time when drawing it, not field by field.

    WeasyPrint 70 draws a line (``draw.text.draw_first_line``) by reading each glyph's number,
    width and offsets from Pango's glyph array one C field at a time, in Python: a third of the
    time that writing a 90-page group takes (1.0 s of 3.2 s; 0.45 s with this). This draws the
    common line the same way, each run's glyph array read in one go (``struct``) and what it
    writes for a glyph kept under its font, size, width and offset; the content stream is the
    same, byte for byte, and so are the fonts' widths and Unicode maps. A line WeasyPrint draws
    otherwise is left to its own function: an ellipsis, a colour (emoji) font, a glyph missing
    from every font or empty, a glyph raised or lowered (combining marks).
    """
    import struct

    from weasyprint.draw import text
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    draw = text.draw_first_line
    if getattr(draw, "reportkit_fixed", False):
        return
    _source(draw, ("first_line, index = textbox.pango_layout.get_first_line()",
                   "if pango.pango_version() < 14802 or font.png:",
                   "stream.set_font_size(font.hash, 1 if font.bitmap else font_size)",
                   "offset = glyph_info.geometry.x_offset / font_size",
                   "string += f'>{-offset}<'",
                   "string += f'{glyph_id:02x}' if font.bitmap else f'{glyph_id:04x}'",
                   "font.to_unicode[glyph_id] = utf8_text[offset+t1:offset+t2].decode()",
                   "kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size",
                   "string += f'>{int(kerning)}<'"),
            "glyphs read a run at a time", "weasyprint.draw.text.draw_first_line")
    info = struct.Struct("=Iiii4x")  # PangoGlyphInfo: glyph, width, x and y offsets, attributes
    if ffi.sizeof("PangoGlyphInfo") != info.size:
        return
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG

    old_pango = pango.pango_version() < 14802  # WeasyPrint then sizes fonts as the text is

    def runs(stream, textbox, line) -> list | None:
        """The line's runs, each (glyph item, Pango font, font, size, glyphs, the glyphs' pieces,
        whether some are not among them yet), as drawing reads them; None when one needs
        WeasyPrint's own drawing."""
        found, previous, font, size, pieces = [], None, None, 0, {}
        run = line.runs[0]
        while run != ffi.NULL:
            item, run = run.data, run.next
            pango_font = item.item.analysis.font
            if pango_font != previous:
                previous, (font, size) = pango_font, stream.add_font(pango_font)
                if font.png or font.svg or font.colr:
                    return None
                size = textbox.style["font_size"] if old_pango else size
                pieces = font.__dict__.setdefault("_reportkit_pieces", {}).setdefault(size, {})
            glyphs = item.glyphs
            infos = list(info.iter_unpack(ffi.buffer(glyphs.glyphs, glyphs.num_glyphs * info.size)))
            fresh = [glyph for glyph in infos if glyph not in pieces]
            if any(g == empty or g & unknown or y for g, _, _, y in fresh):
                return None
            found.append((item, pango_font, font, size, infos, pieces, bool(fresh)))
        return found

    def piece(item, layout, font, font_size, pango_font, stream, i, glyph, count) -> str:
        """What WeasyPrint writes for the ``i``-th glyph of a run; the font's width and Unicode
        for it set as WeasyPrint sets them. It is the same for the same glyph, width and offset
        in the same font and size, and so is kept under them."""
        glyph_id, width, x_offset, _ = glyph
        if glyph_id not in font.to_unicode:
            start, clusters = item.item.offset, item.glyphs.log_clusters
            t1 = clusters[i]
            if item.item.analysis.level % 2:  # rtl
                t2 = item.item.length if i == 0 else clusters[i - 1]
            else:
                t2 = item.item.length if i == count - 1 else clusters[i + 1]
            font.to_unicode[glyph_id] = layout.text.encode()[start + t1:start + t2].decode()
        offset = x_offset / font_size
        string = f">{-offset}<" if offset else ""
        string += f"{glyph_id:02x}" if font.bitmap else f"{glyph_id:04x}"
        if glyph_id in font.widths:
            logical_width = font.widths[glyph_id]
        else:
            pango.pango_font_get_glyph_extents(pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
            logical_width = font.widths[glyph_id] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
        kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
        return string + f">{int(kerning)}<" if kerning else string

    def first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        if text_overflow == "ellipsis" or block_ellipsis != "none" or not textbox.text.strip() \
                or textbox.style["font_size"] < 1e-6:
            return first_line.whole(stream, textbox, text_overflow, block_ellipsis, matrix)
        layout = textbox.pango_layout
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        found = runs(stream, textbox, layout.get_first_line()[0])
        if found is None:
            return first_line.whole(stream, textbox, text_overflow, block_ellipsis, matrix)
        stream.set_text_matrix(*matrix.values)
        previous, string = None, ""
        for item, pango_font, font, font_size, infos, pieces, fresh in found:
            if pango_font != previous:
                previous = pango_font
                if string:
                    stream.show_text(string)
                string = ""
                stream.set_font_size(font.hash, 1 if font.bitmap else font_size)
            if fresh:  # made in the glyphs' order, as WeasyPrint adds them to the font
                for i, glyph in enumerate(infos):
                    if glyph not in pieces:
                        pieces[glyph] = piece(item, layout, font, font_size, pango_font, stream, i, glyph, len(infos))
            string += "<" + "".join(map(pieces.__getitem__, infos))
            string = string[:-1] if string[-1] == "<" else string + ">"
        stream.show_text(string)
        return []

    first_line.reportkit_fixed = True
    first_line.whole = draw  # WeasyPrint's own, for the lines it draws otherwise
    text.draw_first_line = first_line


ELEMENT_MARK = "ReportkitElement"
"""The key of a structure element naming the HTML element (and pseudo-element) its box comes
from: the fragments of one element on two pages share it. ``pdf_tags.retag`` joins them and
removes the key."""


def _mark_tagged_elements() -> None:
    """Let the PDF's structure elements say which HTML element each comes from.

    WeasyPrint 70 tags every page apart: a paragraph split by a page break becomes two ``P``,
    and nothing in the PDF says they are one. Each structure element its tagger makes for a
    box gets ``ELEMENT_MARK``: the number of the box's HTML element (and pseudo-element) in the
    order the tagger meets them (``pdf_tags.retag`` compares and removes it). An element with ``role="heading"`` and ``aria-level`` (a box title) is
    tagged as the heading of that level, as HTML readers take it.
    """
    from weasyprint.formatting_structure import boxes
    from weasyprint.pdf import tags

    build = tags._build_box_tree
    if getattr(build, "reportkit_fixed", False):
        return

    numbers: dict[tuple[int, str], int] = {}  # (HTML element, tag) → its number in this PDF

    def marked(box, parent, pdf, page_number, *args):
        if page_number == 0 and isinstance(box, boxes.PageBox):
            numbers.clear()  # a new PDF
        source = getattr(box, "_box", box)  # an absolutely placed box stands for its box
        element, tag = getattr(source, "element", None), getattr(source, "element_tag", None)
        for struct in build(box, parent, pdf, page_number, *args):
            if ELEMENT_MARK not in struct and element is not None:
                struct[ELEMENT_MARK] = numbers.setdefault((id(element), tag), len(numbers))
                level = element.get("aria-level", "")
                if tag == element.tag and element.get("role") == "heading" and level in tuple("123456"):
                    struct["S"] = f"/H{level}"
            yield struct

    marked.reportkit_fixed = True
    tags._build_box_tree = marked


_PAUSE = threading.local()


@contextlib.contextmanager
def paused(ask: Callable[[int, dict[str, int]], tuple[int, int]]) -> Iterator[None]:
    """Within it, in this thread, a layout stops once its pages are made and calls ``ask`` with
    their count and where each anchor first stands (element id → page index); ``ask`` returns
    (offset, total): the pages are then numbered as if the layout began ``offset`` pages later
    in a document of ``total`` pages. WeasyPrint numbers pages in their margin boxes only, which
    it makes after the pagination, so nothing else moves. ``ask`` may raise, to give the layout
    up."""
    _PAUSE.ask, _PAUSE.context = ask, None
    try:
        yield
    finally:
        _PAUSE.ask = _PAUSE.context = None


def _pause_before_margin_boxes() -> None:
    """Give ``paused`` its stop: at the first page's margin boxes, its pages all made."""
    from weasyprint import layout

    make = layout.make_margin_boxes
    if getattr(make, "reportkit_fixed", False):
        return
    _source(layout.layout_document, ("children.extend(make_margin_boxes(context, page, state))",),
            "pause before the margin boxes", "weasyprint.layout.layout_document")

    def margin_boxes(context, page, state):
        ask = getattr(_PAUSE, "ask", None)
        if ask is not None:
            if _PAUSE.context is not context:  # the first page's: every page is made
                anchors: dict[str, int] = {}
                for index, entry in enumerate(context.page_maker[:-1]):
                    for anchor in entry[-1]["anchors"]:
                        anchors.setdefault(anchor, index)
                _PAUSE.context, _PAUSE.shift = context, ask(len(context.page_maker) - 1, anchors)
            offset, total = _PAUSE.shift
            counters = state[1]
            counters["page"] = [value + offset for value in counters["page"]]
            counters["pages"] = [total]
        return make(context, page, state)

    margin_boxes.reportkit_fixed = True
    layout.make_margin_boxes = margin_boxes
