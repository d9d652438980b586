"""Numbered captions and cross-references: two transforms, and the lists of tables and figures.

``number_captions`` gives every captioned table and every figure a number when report.toml
asks (``number_captions = true``), and an anchor when it asks for a list of them. ``resolve_xrefs`` then writes into each
empty link ``[](#id)`` what it stands for: "section 4.1, Existing legal framework", "chapter 2,
…", "Recommendation 7", "Table 2", "Figure 1", or the title alone of a target that carries no
number. Both run at every build, so the text follows the sections when they move; writers
print it as any link's text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import unquote

from .labels import labels
from .model import (
    Box, Emphasis, GoodPractice, Image, Inline, Link, Note, Paragraph, Recommendation, Report,
    Section, Strong, Table, Text, iter_nodes, plain_text, walk,
)

_SENTENCE_END = ".!?…"
"""What ends a sentence: a cross-reference after it (or opening a paragraph) gets a capital."""


def figure_image(node: object) -> Image | None:
    """The image of a figure (a paragraph holding only an image), else None."""
    match node:
        case Paragraph(content=(Image() as image,)):
            return image
    return None


def number_captions(report: Report) -> Report:
    """Give each captioned table and each figure, with ``number_captions = true``, its number:
    tables and figures are counted apart, 1, 2, 3… in reading order across the report (a note
    called twice holds the same table, so they go by source position). When a list of them is
    asked for, those without the author's ``{#id}`` get an anchor for it (``tbl-1``, ``fig-1``…)."""
    meta = report.meta
    numbered = meta.number_captions
    seen: dict[str, dict[object, int]] = {"tbl": {}, "fig": {}}

    def anchor(kind: str, ident: str, n: int) -> str:
        listed = meta.list_of_tables if kind == "tbl" else meta.list_of_figures
        return ident or (f"{kind}-{n}" if listed else "")

    def number(kind: str, node: object, pos: object) -> int:
        found = seen[kind]
        key = (pos.path, pos.line) if pos is not None else id(node)
        return found.setdefault(key, len(found) + 1)

    def visit(node: object) -> object:
        if isinstance(node, Table) and node.caption:
            n = number("tbl", node, node.pos)
            return replace(node, id=anchor("tbl", node.id, n), number=n if numbered else 0)
        image = figure_image(node)
        if image is not None and image.caption:
            n = number("fig", node, node.pos)
            image = replace(image, id=anchor("fig", image.id, n), number=n if numbered else 0)
            return replace(node, content=(image,))
        return node

    return walk(report, visit)


def xref_texts(report: Report) -> dict[str, str]:
    """Anchor → what a cross-reference to it prints, in the report's language."""
    from .transforms import recommendation_items  # transforms.py imports this module

    words = labels(report.meta.language)
    texts: dict[str, str] = {}
    for node in iter_nodes(report.chapters):
        image = figure_image(node)
        match node:
            case Section(level=level, title=title, id=ident, number=number):
                key = "xref_chapter" if level == 1 else "xref_section"
                text = words[key].format(number=number, title=plain_text(title)) if number else plain_text(title)
            case Recommendation(number=first, id=ident):
                last = first + max(len(recommendation_items(node)), 1) - 1
                text = (f"{words['recommendation']} {first}" if last == first
                        else words["xref_recommendations"].format(first=first, last=last))
            case Box(title=title, id=ident):
                default = words["good_practice"] if isinstance(node, GoodPractice) else words["box"]
                text = plain_text(title) or default
            case Table(caption=caption, id=ident, number=number) if ident:
                text = f"{words['table']} {number}" if number else plain_text(caption)
            case Paragraph() if image is not None and image.id:
                ident = image.id
                text = f"{words['figure']} {image.number}" if image.number else image.caption
            case _:
                continue
        texts.setdefault(ident, text)
    return texts


def shown_xref(text: str, before: str) -> str:
    """A cross-reference's ``text`` as printed after ``before`` (the paragraph's text before
    it): with a capital at a sentence's start."""
    if not before.strip() or before.rstrip()[-1] in _SENTENCE_END:
        return text[:1].upper() + text[1:]
    return text


def resolve_xrefs(report: Report) -> Report:
    """Fill each cross-reference (a link to ``#id`` with no text) with its target's number and
    title (``xref_texts``); one at a sentence's start begins with a capital."""
    texts = xref_texts(report)
    if not texts:
        return report

    def fill(nodes: tuple[Inline, ...], before: str = "") -> tuple[Inline, ...]:
        out, seen = [], before
        for node in nodes:
            match node:
                case Link(children=(), url=url) if url.startswith("#") and unquote(url[1:]) in texts:
                    node = replace(node, children=(Text(shown_xref(texts[unquote(url[1:])], seen)),))
                case Emphasis(children) | Strong(children) | Link(children):
                    node = replace(node, children=fill(children, seen))
            out.append(node)
            if not isinstance(node, Note):
                seen += node.text if isinstance(node, Text) else plain_text(node)
        return tuple(out)

    def visit(node: object) -> object:
        match node:
            case Paragraph(content):
                return replace(node, content=fill(content))
            case Section(title=title) | Box(title=title) if title:
                return replace(node, title=fill(title))
            case Table(head, rows, caption=caption):
                return replace(node, head=tuple(fill(c) for c in head), caption=fill(caption),
                               rows=tuple(tuple(fill(c) for c in row) for row in rows))
        return node

    return walk(report, visit)


# --- captions and the lists of tables and figures ------------------------------------------


def caption_label(words: dict[str, str], kind: str, number: int) -> str:
    """What opens a numbered caption ("Table 1: ", "Figure 2: "; ``kind`` "table" or
    "figure"), or "" for an unnumbered one."""
    return words["caption"].format(label=words[kind], number=number) if number else ""


@dataclass(frozen=True)
class CaptionEntry:
    """One line of a list of tables or figures."""

    label: str
    """"Table 1" when captions are numbered, else ""."""
    text: str
    """The caption's text, notes left out."""
    id: str
    """The anchor of the table or figure."""


def caption_list(report: Report, kind: str) -> list[CaptionEntry]:
    """The captioned tables (``kind`` "table") or the figures ("figure"), in reading order."""
    words = labels(report.meta.language)
    entries: list[CaptionEntry] = []
    for node in iter_nodes(report.chapters):
        image = figure_image(node)
        if kind == "table" and isinstance(node, Table) and node.id:
            number, text, ident = node.number, plain_text(node.caption), node.id
        elif kind == "figure" and image is not None and image.id:
            number, text, ident = image.number, image.caption, image.id
        else:
            continue
        if ident not in {e.id for e in entries}:  # a note called twice holds one table
            entries.append(CaptionEntry(f"{words[kind]} {number}" if number else "", text, ident))
    return entries


def caption_lists(report: Report) -> list[tuple[str, list[CaptionEntry]]]:
    """The lists report.toml asks for, each with its heading: tables, then figures; a list
    with nothing in it is left out."""
    meta, words = report.meta, labels(report.meta.language)
    asked = (("table", meta.list_of_tables, "list_of_tables"), ("figure", meta.list_of_figures, "list_of_figures"))
    lists = [(words[heading], caption_list(report, kind)) for kind, wanted, heading in asked if wanted]
    return [(heading, entries) for heading, entries in lists if entries]
