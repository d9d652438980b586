"""Transforms (Report → Report, applied in order) and views computed from a report when needed."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from .model import (
    Block, Box, CodeBlock, GoodPractice, Inline, List, Note, Paragraph, Quote, Recommendation,
    Report, Section, StyledBox, Table, Text, iter_nodes, plain_text, walk,
)
from .xrefs import number_captions, resolve_xrefs

Transform = Callable[[Report], Report]


def number_notes(report: Report) -> Report:
    """Number notes 1, 2, 3… by first call across all chapters; later calls repeat the number."""
    numbers: dict[str, int] = {}

    def number(node: object) -> object:
        if not isinstance(node, Note):
            return node
        if node.id in numbers:
            return replace(node, number=numbers[node.id], repeat=True)
        numbers[node.id] = len(numbers) + 1
        return replace(node, number=numbers[node.id], repeat=False)

    return walk(report, number)  # notes hold no notes, so bottom-up meets them in reading order


def number_headings(report: Report) -> Report:
    """Number headings 1, 2.2, 2.2.1 when report.toml asks for it (``number_headings = true``)."""
    if not report.meta.number_headings:
        return report
    counters = [0] * 7

    def visit(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        out = []
        for block in blocks:
            if isinstance(block, Section) and block.numbered:
                counters[block.level - 1] += 1
                counters[block.level:] = [0] * (7 - block.level)
                number = ".".join(str(c) for c in counters[: block.level])
                block = replace(block, number=number, blocks=visit(block.blocks))
            out.append(block)
        return tuple(out)

    return replace(report, chapters=tuple(replace(c, blocks=visit(c.blocks)) for c in report.chapters))


def recommendation_items(box: Box) -> list[tuple[Block, ...]]:
    """The recommendations of a box: each top-level paragraph, and each item of a top-level list."""
    items: list[tuple[Block, ...]] = []
    for block in box.blocks:
        if isinstance(block, Paragraph):
            items.append((block,))
        elif isinstance(block, List):
            items.extend(block.items)
    return items


def numbered_recommendations(box: Recommendation) -> tuple[Block, ...]:
    """A recommendation box's blocks with each recommendation an item of a numbered list that
    carries its number across the report (7, 8…), for ``number_recommendations``; other blocks
    (a table, a quote) stay where they stand, between the lists."""
    out: list[Block] = []
    items: list[tuple[Block, ...]] = []
    first = box.number

    def flush() -> None:
        nonlocal first, items
        if items:
            out.append(List(tuple(items), ordered=True, start=first, pos=items[0][0].pos))
            first += len(items)
            items = []

    for block in box.blocks:
        if isinstance(block, Paragraph):
            items.append((block,))
        elif isinstance(block, List):
            items.extend(block.items)
        else:
            flush()
            out.append(block)
    flush()
    return tuple(out)


def number_boxes(report: Report) -> Report:
    """Give every box an anchor id (unless the author gave one); number the items of
    recommendations (1, 2, 3… across the report), and of each numbered kind the style defines, a
    count for each kind."""
    next_item: dict[str, int] = {}
    counts: dict[str, int] = {}

    def number(node: object) -> object:
        if not isinstance(node, Box):
            return node
        counts[node.kind] = counts.get(node.kind, 0) + 1
        if node.numbered:
            first = next_item.get(node.kind, 1)
            next_item[node.kind] = first + len(recommendation_items(node))
            prefix = "rec" if isinstance(node, Recommendation) else node.kind
            return replace(node, number=first, id=node.id or f"{prefix}-{first}")
        prefix = {GoodPractice: "gp", Box: "box"}.get(type(node), node.kind)
        return replace(node, id=node.id or f"{prefix}-{counts[node.kind]}")

    return walk(report, number)


TRANSFORMS: tuple[Transform, ...] = (number_notes, number_headings, number_boxes, number_captions, resolve_xrefs)


def apply_transforms(report: Report, transforms: tuple[Transform, ...] = TRANSFORMS) -> Report:
    """Run each transform in order."""
    for transform in transforms:
        report = transform(report)
    return report


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TocEntry:
    """One line of the table of contents."""

    level: int
    """Heading level (1 = chapter)."""
    number: str
    """"2.2" when headings are numbered, else ""."""
    title: tuple[Inline, ...]
    """The heading text (writers leave its notes out)."""
    id: str
    """The heading's anchor."""


def sections(report: Report) -> Iterator[Section]:
    """Every section in reading order."""
    return (n for n in iter_nodes(report.chapters) if isinstance(n, Section))


def toc(report: Report) -> list[TocEntry]:
    """The table of contents: every heading down to ``toc_depth``."""
    depth = report.meta.toc_depth
    return [TocEntry(s.level, s.number, s.title, s.id) for s in sections(report) if s.level <= depth]


def notes(report: Report) -> list[Note]:
    """Every note once, in number order (first calls only)."""
    return [n for n in iter_nodes(report.chapters) if isinstance(n, Note) and not n.repeat]


@dataclass(frozen=True)
class RecommendationItem:
    """One recommendation, for ``reportkit recommendations`` and the summary annex."""

    number: int
    """Its number across the report."""
    blocks: tuple[Block, ...]
    """Its content (one paragraph, or one list item's blocks)."""
    box_id: str
    """Anchor of the box it stands in."""
    section: Section | None
    """The innermost section it stands in."""
    chapter: Section | None = None
    """The chapter (level-1 section) it stands in."""

    @property
    def text(self) -> str:
        """Plain text, notes left out."""
        return " ".join(plain_text(b).replace("\n", " ") for b in self.blocks).strip()


def recommendations(report: Report) -> list[RecommendationItem]:
    """Every recommendation in order, with the section it belongs to."""
    return box_items(report, Recommendation.kind)


def box_items(report: Report, kind: str) -> list[RecommendationItem]:
    """Every numbered item of boxes of ``kind`` (recommendations, or a numbered kind of the
    style's: "question") in order, with the section it belongs to."""
    out: list[RecommendationItem] = []

    def visit(blocks: tuple[Block, ...], section: Section | None, chapter: Section | None) -> None:
        for block in blocks:
            if isinstance(block, Section):
                visit(block.blocks, block, chapter or block)
            elif isinstance(block, Box) and block.kind == kind and block.numbered:
                for i, item in enumerate(recommendation_items(block)):
                    out.append(RecommendationItem(block.number + i, item, block.id, section, chapter))
            elif isinstance(block, Box):
                visit(block.blocks, section, chapter)

    for chapter in report.chapters:
        visit(chapter.blocks, None, None)
    return out


_WORD = re.compile(r"\S*\w\S*")


def count_words(text: str) -> int:
    """Words are runs of non-space characters holding at least one letter or digit."""
    return len(_WORD.findall(text))


@dataclass(frozen=True)
class Figures:
    """What ``reportkit check`` reports about a report."""

    chapters: int
    sections: int
    words_body: int
    words_notes: int
    notes: int
    recommendation_boxes: int
    recommendations: int
    good_practice_boxes: int
    boxes: int
    word_limit: int
    count_notes: bool
    chapter_words: tuple[tuple[str, int], ...] = ()
    """Each chapter file and its words (body text, annexes left out)."""
    styled_boxes: tuple[tuple[str, int, int], ...] = ()
    """Each kind of box the style defines that the report uses: (kind, boxes, numbered items)."""

    @property
    def words_total(self) -> int:
        return self.words_body + self.words_notes

    @property
    def words_counted(self) -> int:
        """The words that count towards the limit."""
        return self.words_total if self.count_notes else self.words_body


def figures(report: Report) -> Figures:
    """Count chapters, sections, words, notes and boxes. Words and notes under a heading marked
    ``{.annex}`` are left out of the counts."""
    nodes = list(iter_nodes(report.chapters))
    counted = without_annexes(report)
    chapter_words = tuple((c.path, sum(count_words(plain_text(b)) for b in _body_texts(replace(counted, chapters=(c,)))))
                          for c in counted.chapters)
    body = sum(words for _, words in chapter_words)
    note_words = sum(count_words(plain_text(n.blocks)) for n in notes(counted))
    every_note = notes(report)
    recs = [n for n in nodes if isinstance(n, Recommendation)]
    styled = [n for n in nodes if isinstance(n, StyledBox)]
    return Figures(
        chapters=len(report.chapters),
        sections=sum(isinstance(n, Section) and n.level > 1 for n in nodes),  # chapters apart
        words_body=body,
        words_notes=note_words,
        notes=len(every_note),
        recommendation_boxes=len(recs),
        recommendations=sum(len(recommendation_items(r)) for r in recs),
        good_practice_boxes=sum(isinstance(n, GoodPractice) for n in nodes),
        boxes=sum(type(n) is Box for n in nodes),
        word_limit=report.meta.word_limit,
        count_notes=report.meta.count_notes,
        chapter_words=chapter_words,
        styled_boxes=tuple((kind, sum(n.kind == kind for n in styled),
                            sum(len(recommendation_items(n)) for n in styled if n.kind == kind and n.numbered))
                           for kind in dict.fromkeys(n.kind for n in styled)),
    )


def without_annexes(report: Report) -> Report:
    """The report with every section marked ``{.annex}`` taken out (for the word count)."""
    def keep(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        return tuple(replace(b, blocks=keep(b.blocks)) if isinstance(b, Section) else b
                     for b in blocks if not (isinstance(b, Section) and b.annex))

    return replace(report, chapters=tuple(replace(c, blocks=keep(c.blocks)) for c in report.chapters))


def _body_texts(report: Report) -> Iterator[object]:
    """Headings, box titles and every block's text, outside notes (plain_text skips notes)."""

    def visit(blocks: tuple[Block, ...]) -> Iterator[object]:
        for block in blocks:
            match block:
                case Section(title=title, blocks=inner) | Box(title=title, blocks=inner):
                    yield title
                    yield from visit(inner)
                case Paragraph(content):
                    yield content
                case List(items=items):
                    for item in items:
                        yield from visit(item)
                case Quote(blocks=inner):
                    yield from visit(inner)
                case Table(head=head, rows=rows):
                    for row in (head, *rows):
                        yield from row
                case CodeBlock(text=text):
                    yield (Text(text),)

    for chapter in report.chapters:
        yield from visit(chapter.blocks)
