"""Which paragraph of the sources each paragraph of a reviewed DOCX came from.

With a source map, a paragraph's bookmark names its file, lines and the hash of its source
lines when the DOCX was built: the paragraph of the sources with that hash (nearest to those
lines, as earlier edits move it) is the one, and when none has it the paragraph has changed in
the sources since (a conflict). Notes are matched by their number and order.

Without one (the file went through Google Docs, or was pasted into a new document), the DOCX's
paragraphs are aligned with the paragraphs ``build`` would write now, by their text: a
paragraph whose text before the review is exactly what the sources give maps with certainty;
one that is only similar has changed (in the sources since the build, or by an edit without
Track Changes: there is no telling which), and is not applied.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..model import Report
from ..sourcemap import Entry, SourceMap
from .sources import Slot, Slots, Unit
from .wordml import Paragraph, Reviewed

SIMILAR = 0.6
"""How alike (difflib ratio) two texts must be to count as one paragraph that changed."""


@dataclass
class Match:
    """What a DOCX paragraph maps to."""

    slot: Slot | None
    """The paragraph ``build`` writes from the current sources that it is; None if not found."""
    state: str
    """"same" (its text is what the sources give), "edited" (the sources are as when the DOCX
    was built, the text differs: edited without Track Changes), "changed" (the sources changed
    since, or cannot tell: a conflict), or "missing" (no such paragraph in the sources)."""
    near: tuple[str, int] | None = None
    """Where it was in the sources when not found now: (file, line), from the source map."""


def match(reviewed: Reviewed, slots: Slots, source_map: SourceMap | None, report: Report) -> list[Match]:
    """A match for each paragraph of ``reviewed`` (by index)."""
    out: list[Match] = [Match(None, "missing")] * len(reviewed.paragraphs)
    body = [p for p in reviewed.paragraphs if p.story == "body"]
    for p, m in zip(body, _align([p.before.text for p in body], slots.body)):
        out[p.index] = m
    notes: dict[int, list[Paragraph]] = {}
    for p in reviewed.paragraphs:
        if p.story != "body" and p.note:
            notes.setdefault(p.note, []).append(p)
    for number, paragraphs in notes.items():
        expected = slots.notes[number - 1] if number <= len(slots.notes) else []
        for i, p in enumerate(paragraphs):
            slot = expected[i] if i < len(expected) else None
            out[p.index] = _compare(p, slot)
    if source_map is None:
        return out
    finder = _Finder(slots, report)
    for p in body:
        names = [b for b in p.bookmarks if b in source_map.body]
        if names:
            out[p.index] = finder.match(p, source_map.body[names[0]], out[p.index])
    for number, paragraphs in notes.items():
        entries = source_map.notes[number - 1] if number <= len(source_map.notes) else []
        for i, p in enumerate(paragraphs):
            if i < len(entries):
                out[p.index] = finder.match(p, entries[i], out[p.index])
    return out


def _compare(p: Paragraph, slot: Slot | None) -> Match:
    if slot is None:
        return Match(None, "missing")
    if _same(p, slot):
        return Match(slot, "same")
    if _ratio(p.before.text, slot.text.text) >= SIMILAR:
        return Match(slot, "changed")
    return Match(None, "missing")


def _same(p: Paragraph, slot: Slot) -> bool:
    return p.before.text == slot.text.text


def _ratio(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR else 0.0


def _align(texts: list[str], slots: list[Slot]) -> list[Match]:
    """Pair the DOCX's body paragraphs with ``slots`` by their texts, in order."""
    out = [Match(None, "missing") for _ in texts]
    matcher = difflib.SequenceMatcher(None, texts, [s.text.text for s in slots], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                out[i1 + k] = Match(slots[j1 + k], "same")
        elif tag == "replace":
            j = j1
            for i in range(i1, i2):
                best, best_j = 0.0, -1
                for k in range(j, j2):
                    ratio = _ratio(texts[i], slots[k].text.text)
                    if ratio > best:
                        best, best_j = ratio, k
                if best >= SIMILAR:
                    out[i] = Match(slots[best_j], "changed")
                    j = best_j + 1
    return out


class _Finder:
    """Finds the unit a source map entry names, in the sources as they are now."""

    def __init__(self, slots: Slots, report: Report):
        self.paths = dict(zip(report.meta.chapters, (c.path for c in report.chapters)))
        self.slots: dict[int, Slot] = {id(s.unit): s for s in [*slots.body, *(s for n in slots.notes for s in n)]
                                       if s.unit is not None}
        self.units = slots.units
        self.cover = {(s.what, s.index): s for s in slots.body if s.kind == "cover"}

    def match(self, p: Paragraph, entry: Entry, fallback: Match) -> Match:
        if entry.kind in ("generated", "cover"):
            return fallback if fallback.slot is not None and fallback.slot.kind == entry.kind else \
                Match(None, "missing")
        path = self.paths.get(entry.path)
        if path is None:  # a file this report does not have: built from other sources
            return fallback
        unit = self._unit(path, entry)
        slot = self.slots.get(id(unit)) if unit is not None else None
        if slot is None:
            return Match(None, "changed", (path, entry.first))
        if p.before.text == slot.text.text and p.before.fmt == slot.text.fmt or slot.kind == "figure":
            return Match(slot, "same")
        return Match(slot, "edited")

    def _unit(self, path: str, entry: Entry) -> Unit | None:
        candidates = [u for key, u in self.units.get(path, {}).items()
                      if u.kind == entry.kind and u.hash == entry.hash
                      and (entry.kind != "cell" or key[-1] == entry.col)]
        if entry.kind == "figure":
            candidates = [u for key, u in self.units.get(path, {}).items()
                          if u.kind == "paragraph" and u.hash == entry.hash]
        return min(candidates, key=lambda u: abs(u.first - entry.first), default=None)
