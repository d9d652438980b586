"""What each change and comment of a review means for the sources: the lines ``review`` prints,
and the edits ``--apply`` writes.

Every change is an ``Item`` at its source line. A change whose paragraph maps with certainty
is written into the Markdown (``edit``) and the file is parsed again to check that it reads as
the reviewer's text; anything else is listed for the author with its text: generated text
(contents, heading numbers, default box titles) as not applicable, paragraphs whose sources
changed since the build as conflicts, and changes Markdown cannot take (a new note, a joined
paragraph, a style change) as to do by hand.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from markdown_it import MarkdownIt

from ..manifest import key_pos
from ..model import Report
from ..transforms import notes as all_notes
from . import edit
from .edit import Change
from .mapping import Match
from .rich import BOLD, ITALIC, NOTE, PICTURE, Rich, shown
from .sources import Slot, Slots, Source, Unit, calls, render, units
from .wordml import Comment, NewParagraph, Op, Paragraph, Reviewed

GENERATED = {
    "contents": "the contents are made from the headings",
    "box title": "a box without a title shows this one; give the box a title in the sources",
    "cover label": "a fixed label",
    "logo": "the cover's logos come from report.toml and the style",
    "spacer": "space reportkit puts between blocks",
    "rule": "a horizontal rule",
    "summary": "the summary is made from the recommendations",
    "notes heading": "a fixed heading",
    "table caption": "change the caption in the sources (the Table: line by the table)",
}
"""Why a change to each kind of generated text is not applied."""

APPLY, BY_HAND, CONFLICT, NOT_APPLICABLE = "apply", "by hand", "conflict", "not applicable"
"""The statuses of a change: written into the sources (with ``--apply``), left to the author,
not applied because its paragraph changed in the sources, or not for the sources at all."""

_SAFE = "it could not be written into the Markdown with certainty"
_BOX_STYLES = ("recommendation", "good practice", "box")


@dataclass
class Item:
    """One line of the review: a change, a comment or reply, or a conflict."""

    kind: str
    """"change", "comment", "reply" or "conflict"."""
    author: str
    """Who made it ("" for a conflict)."""
    text: str
    """What happened, e.g. 'deleted "almost "'."""
    path: str = ""
    """The source file (or report.toml) it concerns; "" when none."""
    line: int = 0
    """The line in that file."""
    after: bool = False
    """True for a paragraph inserted after ``line``."""
    before: bool = False
    """True for a paragraph inserted before ``line``."""
    note: int = 0
    """The note it stands in (0 outside notes)."""
    place: str = ""
    """Where, when not in a source file: "contents", "report.docx, paragraph 12"."""
    status: str = ""
    """For a change: ``APPLY``, ``BY_HAND``, ``CONFLICT`` or ``NOT_APPLICABLE``."""
    reason: str = ""
    """Why it is not applied."""
    order: tuple = ()
    """Sort key: source order."""
    group: str = ""
    """The move it is half of (both halves are made, or neither)."""
    half: str = ""
    """For a move: "from" (where the text was) or "to" (where it went)."""

    @property
    def where(self) -> str:
        if self.path:
            return f"{'after ' if self.after else 'before ' if self.before else ''}{self.path}:{self.line}"
        return self.place

    def line_text(self) -> str:
        """The item as ``review`` prints it."""
        where = f"{self.where}: " if self.where else ""
        note = f"in note {self.note}, " if self.note else ""
        match self.kind:
            case "conflict":
                return f"{where}conflict: {self.text}; not applied"
            case "comment":
                return f"{where}{note}comment by {self.author}{self.text}"
            case "reply":
                return f"{where}  reply by {self.author}: {self.text}"
        line = f"{where}{'  ' if self.status == CONFLICT else ''}{note}{self.author} {self.text}"
        if self.status == BY_HAND:
            line += f" (to do by hand: {self.reason})"
        elif self.status == NOT_APPLICABLE:
            line += f" (not applicable: {self.reason})"
        return line


@dataclass
class Plan:
    """The review's items and the sources as ``--apply`` would leave them."""

    items: list[Item]
    """Every change and comment, in source order."""
    texts: dict[str, str]
    """File → its new text, for each file the applicable changes edit."""
    sources: dict[str, Source]
    """The files as they are."""


@dataclass
class _Work:
    """The changes to make in one unit, in stages (each edits the text the one before left)."""

    unit: Unit
    """The unit edited."""
    stages: list[list[tuple[Change, Item]]] = field(default_factory=list)
    """Its changes, each with the item that reports it: edits without Track Changes, then the
    tracked ones."""
    content: str = ""
    """Its Markdown once the changes that can be made are made."""
    labels: list[tuple[int, str, Item]] = field(default_factory=list)
    """(stage, note label, item) of the note calls its changes delete."""
    comments: list[tuple[Change, Item]] | None = None
    """The last stage: comments written in as HTML comments."""
    deleted_calls: list[str] = field(default_factory=list)
    """The labels of the note calls its changes deleted, once made."""


@dataclass
class _Block:
    """A paragraph added or removed: an edit of whole lines."""

    source: Source
    """The file."""
    start: int
    """Where the lines replaced begin (a file offset)."""
    end: int
    """Where they end (``start`` for an insertion)."""
    text: str
    """What replaces them."""
    item: Item
    """The item reporting it."""
    removes: tuple[Unit, ...] = ()
    """The units it removes."""
    adds: tuple[Rich, ...] = ()
    """What the paragraphs it adds render to."""
    anchor: Unit | None = None
    """The unit the added paragraphs go next to."""
    before: bool = False
    """True when they go before it."""


class Planner:
    """Builds the plan of one review."""

    def __init__(self, reviewed: Reviewed, matches: list[Match], slots: Slots, report: Report,
                 report_dir: Path, md: MarkdownIt, inline_comments: bool, docx_name: str, mapped: bool):
        self.reviewed = reviewed
        self.matches = matches
        self.slots = slots
        self.report = report
        self.report_dir = report_dir
        self.md = md
        self.inline = inline_comments
        self.docx_name = docx_name
        self.mapped = mapped
        self.items: list[Item] = []
        self.works: dict[int, _Work] = {}
        self.blocks: list[_Block] = []
        self.toml: list[tuple[str, str, str, Item]] = []
        self.toml_items: list[Item] = []
        self.rank = {path: i + 1 for i, path in enumerate(slots.sources)}
        self.toml_path = str(report_dir / "report.toml")
        self.rank[self.toml_path] = 0
        self.body_number = {p.index: n for n, p in enumerate(
            (p for p in reviewed.paragraphs if p.story == "body"), 1)}
        self.kept: dict[str, tuple[list[_Work], list[_Block]]] = {}
        self.gone_notes = {note for p in reviewed.paragraphs if p.story == "body" for state, note in p.calls
                           if state == "del"}
        """The notes whose call the reviewer deleted (Word deletes their text with it)."""
        self.numbers = {note.id: note.number for note in all_notes(report)}
        self.labels: list[tuple[str, Item]] = []
        """(label, item) of the note calls deleted with their paragraphs."""

    # --- items -----------------------------------------------------------------------------

    def add(self, item: Item, p: Paragraph | None, k: int) -> Item:
        rank = self.rank.get(item.path, len(self.rank) + 1)
        item.order = (rank, item.line, item.after, p.index if p is not None else 10**9, k)
        self.items.append(item)
        return item

    def located(self, p: Paragraph, slot: Slot | None, index: int, **more) -> dict:
        """Where a change at character ``index`` of paragraph ``p`` stands."""
        where: dict = {"note": p.note}
        unit = slot.unit if slot is not None else None
        if unit is not None:
            where.update(path=unit.source.path, line=unit.line_at(self.md, max(0, index - slot.prefix)))
        elif slot is not None and slot.kind == "cover":
            where.update(path=self.toml_path, line=key_pos(self.report_dir, slot.what.split(".")[0]).line)
        elif slot is not None and slot.near:
            where.update(path=slot.near[0], line=slot.near[1])
        elif slot is not None and slot.kind == "generated":
            where.update(place=slot.what)
        elif p.story == "body":
            where.update(place=f"{self.docx_name}, paragraph {self.body_number.get(p.index, 0)}")
        else:
            where.update(place=f"{self.docx_name}, {p.story} {p.note or '(new)'}")
        where.update(more)
        return where

    # --- paragraphs ----------------------------------------------------------------------------

    def paragraph(self, p: Paragraph) -> None:
        if p.note_id and (p.note_id in self.gone_notes or not p.note):
            return  # a note whose call was deleted goes with it; a new one is listed at its call
        m = self.matches[p.index]
        slot = m.slot
        if not _changed(p) and m.state != "edited" and not (m.state == "changed" and not self.mapped):
            return
        if m.state in ("changed", "missing") or slot is None:
            self.conflict(p, m)
            return
        if slot.kind == "generated":
            for k, (author, text, index) in enumerate(self.described(p)):
                self.add(Item("change", author, text, status=NOT_APPLICABLE,
                              reason=GENERATED.get(slot.what, "generated text"), **self.located(p, slot, index)), p, k)
            return
        if slot.kind == "cover":
            self.cover(p, slot)
            return
        unit = slot.unit
        if unit is None or unit.starts is None or not unit.rendering(self.md).exact or slot.kind in ("figure", "code"):
            reason = {"figure": "change the image in the sources", "code": "code blocks are edited by hand"}.get(
                slot.kind, "its Markdown could not be traced")
            for k, (author, text, index) in enumerate(self.described(p, m, slot)):
                self.add(Item("change", author, text, status=BY_HAND, reason=reason,
                              **self.located(p, slot, index)), p, k)
            return
        work = self.works.setdefault(id(unit), _Work(unit))
        k = 0
        if m.state == "edited":  # no revision marks: what differs from the sources is an edit by "unknown"
            stage = []
            for op in differences(slot.text, p.before):
                item = self.add(Item("change", "unknown", describe(op, slot.text.text), status=APPLY,
                                     **self.located(p, slot, op.start)), p, k)
                k += 1
                self.change(op, slot, item, stage, work)
            work.stages.append(stage)
        if p.deleted:
            self.deletion(p, slot, unit, k)
            return
        stage = []
        for op in p.ops:
            k = self.op(p, slot, op, stage, work, k)
        work.stages.append(stage)
        for n in p.new_before:
            self.insertion(p, slot, unit, n, before=True, k=k)
            k += 1
        for n in p.new_after:
            self.insertion(p, slot, unit, n, before=False, k=k)
            k += 1
        for author, text in self.by_hand_only(p):
            self.add(Item("change", author, text, status=BY_HAND, reason="Markdown has no such change",
                          **self.located(p, slot, 0)), p, k)
            k += 1

    def op(self, p: Paragraph, slot: Slot, op: Op, stage: list, work: _Work, k: int) -> int:
        """Items and changes for one tracked change; returns the next item number."""
        old = p.before.text
        if NOTE in op.insert.text:
            self.add(Item("change", op.author, describe(op, old, self.new_note(p)), status=BY_HAND,
                          reason="write the note's call and text in the Markdown", **self.located(p, slot, op.start)),
                     p, k)
            return k + 1
        if op.kind == "format":
            others = [f for f in op.formats if f not in ("bold", "italic")]
            if others:
                self.add(Item("change", op.author, f'changed the formatting of "{shown(op.insert.text)}": '
                              f'{", ".join(others)}', status=NOT_APPLICABLE,
                              reason="Markdown has bold and italic only", **self.located(p, slot, op.start)), p, k)
                k += 1
                if len(others) == len(op.formats):
                    return k
                op = replace(op, formats=tuple(f for f in op.formats if f in ("bold", "italic")))
        half = {"move-from": "from", "move-to": "to"}.get(op.kind, "")
        text = describe(op, old)
        if op.kind == "delete" and old[op.start:op.end].strip() == NOTE:
            label = _label_at(slot.unit, self.md, op.start - slot.prefix) if slot.unit else ""
            text = f"deleted note {self.numbers[label]} (its call and its text)" if label in self.numbers else text
        item = self.add(Item("change", op.author, text, status=APPLY, group=op.move if half else "",
                             half=half, **self.located(p, slot, op.start)), p, k)
        self.change(op, slot, item, stage, work)
        return k + 1

    def change(self, op: Op, slot: Slot, item: Item, stage: list, work: _Work) -> None:
        """Add to ``stage`` the change ``op`` makes to the slot's unit (none for generated text)."""
        if op.start < slot.prefix:
            item.status = NOT_APPLICABLE if op.end <= slot.prefix else BY_HAND
            item.reason = "heading numbers are generated" if slot.kind == "heading" else "generated text"
            return
        insert = op.insert
        if op.kind == "format":  # what Markdown cannot say (links, code) stays as the sources have it
            kept = slot.text.fmt[op.start:op.end]
            insert = Rich(insert.text, tuple(f & (BOLD | ITALIC) | b & ~(BOLD | ITALIC) for f, b in zip(insert.fmt, kept)),
                          insert.links)
        stage.append((Change(op.start - slot.prefix, op.end - slot.prefix, insert), item))
        for index in range(op.start, op.end):
            if slot.text.text[index] == NOTE:
                label = _label_at(slot.unit, self.md, index - slot.prefix)
                if label:
                    work.labels.append((len(work.stages), label, item))

    def deletion(self, p: Paragraph, slot: Slot, unit: Unit, k: int) -> None:
        verb = "moved" if p.moved else "deleted"
        what = {"heading": "heading", "cell": "text of the cell", "box-title": "box title",
                "caption": "caption"}.get(unit.kind, "list item" if unit.marker else "paragraph")
        text = f'{verb} the {what} "{shown(p.before.text[slot.prefix:])}"' + (" to another place" if p.moved else "")
        item = self.add(Item("change", p.deleted, text, status=APPLY, group=p.moved, half="from" if p.moved else "",
                             **self.located(p, slot, slot.prefix)), p, k)
        source = unit.source
        if unit.kind in ("cell", "box-title", "caption"):
            return self.refuse(item, f"the {what} is part of a larger block")
        if unit.context == "note" and "[^" in source.text[source.offsets[unit.first - 1]:unit.starts[0]]:
            return self.refuse(item, "the note's first paragraph; delete the note's call to remove the note")
        first, last = unit.block
        start = source.offsets[first - 1]
        end = source.offsets[last] if last < len(source.offsets) else len(source.text)
        if not unit.marker:  # a paragraph takes the blank lines after it (before it, at the file's end)
            while end < len(source.text) and source.text[end] == "\n":
                end += 1
            if end >= len(source.text):
                while start >= 2 and source.text[start - 1] == "\n" and source.text[start - 2] == "\n":
                    start -= 1
        self.blocks.append(_Block(source, start, end, "", item, removes=(unit,)))
        for label in calls(unit.content):
            self.labels.append((label, item))

    def insertion(self, p: Paragraph, slot: Slot, unit: Unit, new: NewParagraph, before: bool, k: int) -> None:
        verb = "moved a paragraph here" if new.move else "inserted a paragraph"
        item = self.add(Item("change", new.author, f'{verb}: "{shown(new.text.text)}"', status=APPLY, group=new.move,
                             half="to" if new.move else "",
                             **self.located(p, slot, 0, after=not before, before=before,
                                            line=unit.first if before else unit.block[1])), p, k)
        body = edit.markdown(new.text)
        lead = self.block_prefix(unit, new.style, p.style)
        if unit.kind in ("cell", "box-title", "caption"):
            return self.refuse(item, f"a {unit.kind.replace('-', ' ')} holds one paragraph")
        if body is None:
            return self.refuse(item, "Markdown cannot hold this text")
        if lead is None:
            return self.refuse(item, f'a paragraph in the style "{new.style}" has no place here')
        source = unit.source
        first_line = source.offsets[unit.block[0] - 1]
        if before and unit.context == "note" and "[^" in source.text[first_line:unit.starts[0]]:
            return self.refuse(item, "a paragraph before a note's first one")
        indent = "> " if unit.context == "quote" else unit.indent
        text = lead + edit.block_start(body).replace("\n", "\n" + indent)
        gap = {"list": "\n", "quote": "\n>\n"}.get(unit.context, "\n\n")
        if before:
            at = first_line
            insert = text + gap
        else:
            at = source.offsets[unit.block[1]] - 1 if unit.block[1] < len(source.offsets) else len(source.text)
            insert = gap + text
        self.blocks.append(_Block(source, at, at, insert, item, adds=(new.text,), anchor=unit, before=before))

    def refuse(self, item: Item, reason: str) -> None:
        item.status, item.reason = BY_HAND, reason

    def block_prefix(self, unit: Unit, style: str, style_before: str) -> str | None:
        """What starts a new paragraph of ``style`` next to ``unit``; None when it has no place there."""
        heading = re.fullmatch(r"heading ([1-6])", style)
        match unit.context:
            case "note":
                return unit.indent or "    " if style in (style_before, "footnote text", "endnote text") else None
            case "list":
                return f"{unit.marker} " if style == style_before and unit.marker else None
            case "box":
                return "" if style == style_before or style in _BOX_STYLES else None
            case "quote":
                return "> " if style == style_before else None
        if heading:
            return "#" * int(heading.group(1)) + " "
        return "" if style in ("normal", "numbered paragraph", "body text", style_before) else None

    def by_hand_only(self, p: Paragraph) -> list[tuple[str, str]]:
        """The changes of a paragraph that Markdown cannot take."""
        out = []
        if p.joined:
            out.append((p.joined, "joined this paragraph with the next one"))
        if p.split:
            out.append((p.split, f'split the paragraph: "{shown(p.after.text.replace(chr(10), " / "), 80)}"'))
        if p.style_change:
            style = p.style_change[1]
            out.append((p.style_change[0], f'changed the paragraph\'s style to "{style[:1].upper() + style[1:]}"'))
        return out

    def new_note(self, p: Paragraph) -> str:
        """The text of the notes the reviewer inserted in a paragraph."""
        return " / ".join(" ".join(q.after.text for q in self.reviewed.paragraphs if q.note_id == note and not q.note)
                          .strip() for note in p.inserted_notes)

    def described(self, p: Paragraph, m: Match | None = None, slot: Slot | None = None) -> list[tuple[str, str, int]]:
        """(author, what, character index) of every change of a paragraph, for listing."""
        out = []
        if m is not None and m.state == "edited" and slot is not None:
            out += [("unknown", describe(op, slot.text.text), op.start) for op in differences(slot.text, p.before)]
        if p.deleted:
            what = "the picture" if p.before.text.strip() == PICTURE else f'the paragraph "{shown(p.before.text)}"'
            out.append((p.deleted, f"deleted {what}", 0))
        else:
            out += [(op.author, describe(op, p.before.text, self.new_note(p)), op.start) for op in p.ops]
        for n in p.new_before + p.new_after:
            out.append((n.author, f'inserted a paragraph: "{shown(n.text.text)}"', 0))
        out += [(author, text, 0) for author, text in self.by_hand_only(p)]
        return out

    def conflict(self, p: Paragraph, m: Match) -> None:
        slot = m.slot
        where = self.located(p, slot, slot.prefix if slot else 0)
        if slot is None and m.near:
            where.update(path=m.near[0], line=m.near[1])
            where.pop("place", None)
        if m.state == "missing":
            text = f'a paragraph not found in the sources ("{shown(p.before.text, 50)}")'
        elif self.mapped:
            text = "this paragraph changed in the sources since the DOCX was built"
        else:
            text = "this paragraph differs from the sources (changed since the DOCX was built, " \
                   "or edited without Track Changes)"
        self.add(Item("conflict", "", text, **where), p, 0)
        for k, (author, what, _) in enumerate(self.described(p), 1):
            self.add(Item("change", author, what, status=CONFLICT, **where), p, k)

    def cover(self, p: Paragraph, slot: Slot) -> None:
        where = self.located(p, slot, 0)
        key = slot.what.split(".")[0]
        simple = slot.what in ("title", "subtitle", "date") and not (
            p.deleted or p.new_before or p.new_after or self.by_hand_only(p))
        listed = False
        for k, (author, text, _) in enumerate(self.described(p)):
            item = self.add(Item("change", author, f"{text} in {key}", status=APPLY, **where), p, k)
            if not simple:
                self.refuse(item, f"edit {key} in report.toml")
            elif all(op.kind == "format" for op in p.ops):
                item.status, item.reason = NOT_APPLICABLE, "the cover's text has no formatting"
            elif not listed:
                self.toml.append((slot.what, p.before.text, p.after.text, item))
                listed = True
            else:
                self.toml_items.append(item)

    # --- comments ------------------------------------------------------------------------------

    def comment(self, c: Comment, replies: list[Comment]) -> None:
        p = self.reviewed.paragraphs[c.paragraph] if c.paragraph >= 0 else None
        m = self.matches[c.paragraph] if p is not None else None
        slot = m.slot if m is not None else None
        where = self.located(p, slot, c.start) if p is not None else {"place": self.docx_name}
        if m is not None and slot is None and m.near:
            where.update(path=m.near[0], line=m.near[1])
            where.pop("place", None)
        on = f' on "{shown(c.quoted)}"' if c.quoted.strip() else ""
        on += " (resolved)" if c.done else ""
        item = self.add(Item("comment", c.author, f"{on}: {_one_line(c.text)}", **where), p, 10**6 + c.start)
        for reply in replies:
            self.add(Item("reply", reply.author, _one_line(reply.text), **where), p, 10**6 + c.start)
        if not self.inline or p is None or m is None or m.state != "same" or slot is None or slot.unit is None \
                or slot.unit.starts is None or slot.kind in ("figure", "code") or p.deleted or c.end < slot.prefix:
            return
        html = "".join(f"<!-- review, {x.author}{' (reply)' if x is not c else ''}: "
                       f"{_one_line(x.text).replace('--', '- -')} -->" for x in [c, *replies])
        if slot.kind == "cell" and "|" in html:
            return
        work = self.works.setdefault(id(slot.unit), _Work(slot.unit))
        end = c.end
        for op in p.ops:  # a comment on text the reviewer replaced goes before the new text
            if op.start < end < op.end:
                end = op.start
        end += sum(len(op.insert) - (op.end - op.start) for op in p.ops if op.end <= end and op.start < end)
        if work.comments is None:
            work.comments = []
        work.comments.append((Change(end - slot.prefix, end - slot.prefix, Rich(), html), item))

    # --- making the edits ------------------------------------------------------------------------

    def resolve(self) -> dict[str, str]:
        """Make every change that can be made; return the new text of each file edited. The two
        halves of a move are made together or not at all."""
        while True:
            texts = self.attempt()
            failed = {i.group for i in self.items if i.group and i.status in (BY_HAND, CONFLICT)}
            pending = [i for i in self.items if i.group in failed and i.status == APPLY]
            if not pending:
                return texts
            for item in pending:
                self.refuse(item, "the other half of the move could not be made")

    def attempt(self) -> dict[str, str]:
        self.kept = {}
        by_file: dict[str, list[_Work]] = {}
        for work in self.works.values():
            self.run(work)
            by_file.setdefault(work.unit.source.path, []).append(work)
        blocks: dict[str, list[_Block]] = {}
        for block in self.blocks:
            if block.item.status == APPLY:
                blocks.setdefault(block.source.path, []).append(block)
        texts: dict[str, str] = {}
        for path in dict.fromkeys([*by_file, *blocks]):
            texts[path] = self.assemble(self.slots.sources[path], by_file.get(path, []), blocks.get(path, []))
        self.remove_notes(texts)
        if self.toml:
            new = self.cover_text()
            if new is not None:
                texts[self.toml_path] = new
        return {path: text for path, text in texts.items() if text != self._original(path)}

    def _original(self, path: str) -> str:
        if path == self.toml_path:
            return (self.report_dir / "report.toml").read_text(encoding="utf-8-sig")
        return self.slots.sources[path].text

    def run(self, work: _Work) -> None:
        """Make a unit's changes stage by stage. A stage not made whole leaves the later ones to
        the author: the places they were given at are no longer known."""
        content = work.unit.content
        broken = False
        stages = work.stages + ([work.comments] if work.comments else [])
        labels: list[str] = []
        for n, stage in enumerate(stages):
            live = [(c, item) for c, item in stage if item.status == APPLY or item.kind != "change"]
            if broken:
                for _, item in live:
                    if item.kind == "change":
                        self.refuse(item, "an earlier change to this paragraph could not be made")
                continue
            content, done = edit.apply(self.md, work.unit, content, [c for c, _ in live])
            for ok, (_, item) in zip(done, live):
                if item.kind == "change" and not ok:
                    self.refuse(item, _SAFE)
                elif item.kind != "change":
                    item.status = APPLY if ok else ""
            broken = any(item.kind == "change" and item.status != APPLY for _, item in stage)
            labels += [label for s, label, item in work.labels if s == n and item.status == APPLY]
        work.content = content
        work.deleted_calls = labels

    def assemble(self, source: Source, works: list[_Work], blocks: list[_Block]) -> str:
        """The file with its units' new Markdown and its paragraphs added or removed, each kept
        only if the file then parses to what is wanted."""
        inline = [w for w in works if w.content != w.unit.content]
        while inline and not self.reads_as(source, self.compose(source, inline, []), inline, []):
            culprit = next((w for w in inline if not self.reads_as(source, self.compose(source, [w], []), [w], [])),
                           inline[0])
            for _, item in [*(x for stage in culprit.stages for x in stage), *(culprit.comments or [])]:
                if item.kind == "change":
                    self.refuse(item, _SAFE)
                else:
                    item.status = ""
            inline.remove(culprit)
        if self.reads_as(source, self.compose(source, inline, blocks), inline, blocks):
            self.kept[source.path] = (inline, list(blocks))
            return self.compose(source, inline, blocks) or source.text
        kept: list[_Block] = []
        for block in sorted(blocks, key=lambda b: b.start):
            trial = self.compose(source, inline, kept + [block])
            if self.reads_as(source, trial, inline, kept + [block]):
                kept.append(block)
            else:
                self.refuse(block.item, _SAFE)
        self.kept[source.path] = (inline, kept)
        return self.compose(source, inline, kept) or source.text

    def compose(self, source: Source, works: list[_Work], blocks: list[_Block]) -> str | None:
        """The file with these edits, or None when they overlap."""
        edits = [(*w.unit.region(), w.unit.replaced(w.content)) for w in works]
        for block in blocks:
            if block.removes:
                edits = [e for e in edits if not (block.start <= e[0] and e[1] <= block.end)]
        edits += [(b.start, b.end, b.text) for b in blocks]
        edits.sort(key=lambda e: (e[0], e[1]))
        for (a1, b1, _), (a2, b2, _) in zip(edits, edits[1:]):
            if a2 < b1:
                return None
        text = source.text
        for start, end, new in reversed(edits):
            text = text[:start] + new + text[end:]
        return text

    def expected(self, source: Source, works: list[_Work], blocks: list[_Block]) -> list[Rich]:
        """What the file's units should render to once edited, in order."""
        new = {id(w.unit): render(self.md, w.content, w.unit.kind).text for w in works}
        removed = {id(u) for b in blocks for u in b.removes}
        out: list[Rich] = []
        for unit in _ordered(self.slots.units[source.path]):
            if id(unit) in removed:
                continue
            out += [t for b in blocks if b.anchor is unit and b.before for t in b.adds]
            out.append(new.get(id(unit), unit.rendering(self.md).text))
            out += [t for b in blocks if b.anchor is unit and not b.before for t in b.adds]
        return out

    def reads_as(self, source: Source, text: str | None, works: list[_Work], blocks: list[_Block]) -> bool:
        """Whether ``text`` (the file edited) parses to the units wanted."""
        if text is None:
            return False
        edited = Source(source.path, text, offsets=_offsets(text))
        found = [u.rendering(self.md).text for u in _ordered(units(edited, self.md)[0])]
        wanted = self.expected(source, works, blocks)
        return len(found) == len(wanted) and all(a.same(b) for a, b in zip(found, wanted))

    def remove_notes(self, texts: dict[str, str]) -> None:
        """Remove the definition of each note whose every call the reviewer deleted."""
        labels = [label for label, item in self.labels if item.status == APPLY]
        labels += [label for w in self.works.values() for label in w.deleted_calls]
        if not labels:
            return
        still = set(calls("\n".join(texts.get(path, s.text) for path, s in self.slots.sources.items())))
        for label in dict.fromkeys(labels):
            path = next((p for p, d in self.slots.definitions.items() if label in d), None)
            if label in still or path is None:
                continue
            source = self.slots.sources[path]
            first, last = self.slots.definitions[path][label]
            start = source.offsets[first - 1]
            end = source.offsets[last] if last < len(source.offsets) else len(source.text)
            while end < len(source.text) and source.text[end] == "\n":
                end += 1
            if end >= len(source.text):
                while start >= 2 and source.text[start - 1] == "\n" and source.text[start - 2] == "\n":
                    start -= 1
            inline, kept = self.kept.get(path, ([], []))
            inside = [w for w in inline if start <= w.unit.region()[0] < end]
            gone = tuple(u for u in self.slots.units[path].values() if start <= source.offsets[u.first - 1] < end)
            removal = _Block(source, start, end, "", Item("change", "", ""), removes=gone)
            rest = [w for w in inline if w not in inside]
            trial = self.compose(source, rest, kept + [removal])
            if self.reads_as(source, trial, rest, kept + [removal]):
                for w in inside:
                    for _, item in [x for stage in w.stages for x in stage]:
                        if item.status == APPLY:
                            item.status, item.reason = NOT_APPLICABLE, "the note goes with its call"
                self.kept[path] = (rest, kept + [removal])
                texts[path] = trial

    def cover_text(self) -> str | None:
        """report.toml with the reviewer's changes to the cover's fields."""
        text = (self.report_dir / "report.toml").read_text(encoding="utf-8-sig")
        for key, old, new, item in self.toml:
            found = re.search(rf'^(\s*{re.escape(key)}\s*=\s*)("(?:[^"\\\n]|\\.)*")', text, re.M)
            if found is None or _toml_value(found.group(2)) != old:
                self.refuse(item, f"edit {key} in report.toml")
                continue
            text = text[:found.start(2)] + _toml_string(new) + text[found.end(2):]
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        for key, _, new, item in self.toml:
            if item.status == APPLY and data.get(key) != new:
                self.refuse(item, f"edit {key} in report.toml")
        for item in self.toml_items:
            same = [i for k, _, _, i in self.toml if k == item.text.rsplit(" in ", 1)[-1]]
            if same and same[0].status != APPLY:
                self.refuse(item, same[0].reason)
        return text


def plan(reviewed: Reviewed, matches: list[Match], slots: Slots, report: Report, report_dir: Path,
         md: MarkdownIt, inline_comments: bool, docx_name: str, mapped: bool) -> Plan:
    """Every change and comment of ``reviewed`` as items, and the sources with those that can
    be applied."""
    planner = Planner(reviewed, matches, slots, report, report_dir, md, inline_comments, docx_name, mapped)
    for p in reviewed.paragraphs:
        planner.paragraph(p)
    replies: dict[str, list[Comment]] = {}
    for c in reviewed.comments:
        if c.parent:
            replies.setdefault(c.parent, []).append(c)
    for c in reviewed.comments:
        if not c.parent:
            planner.comment(c, replies.get(c.id, []))
    texts = planner.resolve()
    _pair_moves(planner.items)
    items = sorted(planner.items, key=lambda i: i.order)
    return Plan(items, texts, slots.sources)


def _pair_moves(items: list[Item]) -> None:
    """Say where each moved text went, and where it came from."""
    halves: dict[str, dict[str, Item]] = {}
    for item in items:
        if item.group and item.half:
            halves.setdefault(item.group, {})[item.half] = item
    for pair in halves.values():
        if len(pair) == 2:
            source, target = pair["from"], pair["to"]
            same = source.path == target.path and not source.after and not target.after
            source.text = source.text.removesuffix(" away").removesuffix(" to another place") + \
                (f" to line {target.line}" if same else f" to {target.where}")
            target.text += f" from line {source.line}" if same else f" from {source.where}"


def describe(op: Op, before: str, note: str = "") -> str:
    """What a change did, in words ('deleted "almost "'); ``before`` is the text it edits, and
    ``note`` the text of a note it inserts."""
    old = shown(before[op.start:op.end])
    if NOTE in op.insert.text and op.kind in ("insert", "replace"):
        return f'inserted a note: "{shown(note)}"'
    match op.kind:
        case "insert":
            return f'inserted "{shown(op.insert.text)}"'
        case "delete":
            return f'deleted "{old}"'
        case "move-from":
            return f'moved "{old}" away'
        case "move-to":
            return f'moved "{shown(op.insert.text)}" here'
        case "format":
            names = []
            for name in op.formats:
                bit = {"bold": BOLD, "italic": ITALIC}[name]
                names.append(name if all(f & bit for f in op.insert.fmt) else f"not {name}")
            return f'made "{old}" {" and ".join(names)}'
    return f'replaced "{old}" by "{shown(op.insert.text)}"'


def differences(expected: Rich, found: Rich) -> list[Op]:
    """The edits that turn ``expected`` into ``found``, word by word, by "unknown" (no revision
    marks tell who made them)."""
    def words(text: str) -> list[str]:
        return re.findall(r"\w+|\s+|[^\w\s]", text)

    old, new = words(expected.text), words(found.text)
    at_old = [0]
    for word in old:
        at_old.append(at_old[-1] + len(word))
    at_new = [0]
    for word in new:
        at_new.append(at_new[-1] + len(word))
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        a, b, c, d = at_old[i1], at_old[i2], at_new[j1], at_new[j2]
        if tag != "equal":
            ops.append(Op(a, b, found[c:d], "unknown", {"insert": "insert", "delete": "delete"}.get(tag, "replace")))
            continue
        k = a
        while k < b:  # formatting changed on text left as it was
            if expected.fmt[k] == found.fmt[c + k - a]:
                k += 1
                continue
            end = k
            while end < b and expected.fmt[end] != found.fmt[c + end - a]:
                end += 1
            diff = 0
            for x, y in zip(expected.fmt[k:end], found.fmt[c + k - a:c + end - a]):
                diff |= x ^ y
            formats = tuple(n for bit, n in ((BOLD, "bold"), (ITALIC, "italic")) if diff & bit)
            if formats:
                ops.append(Op(k, end, found[c + k - a:c + end - a], "unknown", "format", formats=formats))
            k = end
    return ops


def _changed(p: Paragraph) -> bool:
    return bool(p.ops or p.new_before or p.new_after or p.deleted or p.joined or p.split or p.style_change
                or p.inserted_notes)


def _label_at(unit: Unit, md: MarkdownIt, index: int) -> str:
    """The label of the note called at character ``index`` of what a unit renders to."""
    spans = unit.rendering(md).spans
    if not 0 <= index < len(spans):
        return ""
    found = calls(unit.content[spans[index][0]:spans[index][1]])
    return found[0] if found else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _ordered(found: dict[tuple, Unit]) -> list[Unit]:
    """A file's units in reading order."""
    rank = {"caption": 2}
    return sorted(found.values(), key=lambda u: (u.first, rank.get(u.kind, 1), u.starts[0] if u.starts else 0))


def _offsets(text: str) -> list[int]:
    offsets = [0]
    for line in text.split("\n")[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    return offsets


def _toml_value(literal: str) -> str | None:
    try:
        return tomllib.loads(f"v = {literal}")["v"]
    except tomllib.TOMLDecodeError:
        return None


def _toml_string(value: str) -> str:
    """A TOML basic string holding ``value``."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in out) + '"'
