"""List and paragraph numbering: the document's numbering definitions, and a fresh count for each
numbered list.

Bullets and numbers each have a definition for the body, one for boxes (indented by the
box's indent, so the bullet stays inside the frame) and one for a list under a numbered
paragraph (indented to the paragraph's text, past its number); body paragraphs numbered 1., 2.,
3. (when the report asks, as UPR submissions do) have their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.document import Document
from lxml.etree import _Element

from . import ooxml as ox
from .styles import BOX_INDENT, LIST_INDENT, PARAGRAPH_INDENT

LEVELS = {
    True: (("decimal", "%1."), ("lowerLetter", "%2."), ("lowerRoman", "%3.")),
    False: (("bullet", "\u2022"), ("bullet", "\u2013"), ("bullet", "\u25e6")),
}
"""Ordered or not → the number format and text of each list level: 1. a. i., or • – ◦."""

PLACES = {"body": 0, "box": BOX_INDENT, "paragraph": PARAGRAPH_INDENT}
"""Where a list stands → the indent its levels start from (twips): the text column's edge, a
box's text, or the text of the numbered paragraph it follows."""


@dataclass
class Numbering:
    """The numbering part of one document, and the list definitions in it."""

    element: _Element
    """The numbering part's root."""
    lists: dict[tuple[bool, str], int]
    """(ordered, place: a key of ``PLACES``) → its list definition (w:abstractNum id)."""

    @classmethod
    def of(cls, document: Document, bullet_font: str = "") -> Numbering:
        """Replace the template's list definitions by ours, bullets in ``bullet_font``, and number
        the list styles and the "Numbered Paragraph" style by them (the styles must exist)."""
        numbering = ox.empty_numbering(document)
        lists: dict[tuple[bool, str], int] = {}
        kinds = [(ordered, place) for place in PLACES for ordered in (False, True)]
        for abstract_id, (ordered, place) in enumerate(kinds):
            levels = [(fmt, text, PLACES[place] + LIST_INDENT * (ilvl + 1), LIST_INDENT)
                      for ilvl, (fmt, text) in enumerate(LEVELS[ordered])]
            numbering.append(ox.abstract_numbering(abstract_id, levels, bullet_font))
            lists[(ordered, place)] = abstract_id
        paragraphs = len(kinds)
        numbering.append(ox.abstract_numbering(paragraphs, [("decimal", "%1.", PARAGRAPH_INDENT, PARAGRAPH_INDENT)]))
        for abstract_id in range(paragraphs + 1):  # every w:abstractNum before the first w:num
            numbering.append(ox.numbering_instance(abstract_id + 1, abstract_id))
        ox.number_style(document, "Numbered Paragraph", paragraphs + 1)
        for name, ordered in (("List Bullet", False), ("List Number", True)):
            ox.number_style(document, name, lists[(ordered, "body")] + 1)
        return cls(numbering, lists)

    def list_number(self, ordered: bool, start: int, place: str, depth: int) -> int:
        """The numbering (w:num id) for a new list at nesting ``depth`` (0 outside lists) in
        ``place`` (a key of ``PLACES``): a numbered list restarts at its own ``start``; bullets
        and nested lists share their definition's numbering."""
        abstract_id = self.lists[(ordered, place)]
        if not ordered or depth > 0:
            return abstract_id + 1
        num_id = ox.numbering_instances(self.element) + 1
        self.element.append(ox.numbering_instance(num_id, abstract_id, start))
        return num_id
