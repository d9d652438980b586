"""Text with its character formatting, as a reader sees it: what the DOCX shows and what the
Markdown renders to are both held as ``Rich`` so they can be compared and edited alike."""

from __future__ import annotations

from dataclasses import dataclass, field

BOLD, ITALIC, CODE, LINK = 1, 2, 4, 8
"""Formatting bits of a character: what Markdown can say (``**``, ``*``, backticks, links)."""

NOTE = "\ue000"
"""Stands for a note call (the superscript number) in a text."""

PICTURE = "\ue001"
"""Stands for an inline picture in a text."""

_QUOTES = str.maketrans({c: '"' for c in "“”„«»‹›"} | {c: "'" for c in "‘’‚"} | {"\u00a0": " "})


@dataclass(frozen=True)
class Rich:
    """A text and the formatting of each of its characters."""

    text: str = ""
    """The characters; a note call is ``NOTE``, a picture ``PICTURE``."""
    fmt: tuple[int, ...] = ()
    """Per character: ``BOLD | ITALIC | CODE | LINK`` bits."""
    links: tuple[str, ...] = field(default=(), compare=False)
    """Per character: the target of the link it stands in ("" outside links), when known."""

    def __post_init__(self) -> None:
        if len(self.links) != len(self.text):
            object.__setattr__(self, "links", ("",) * len(self.text))

    @classmethod
    def plain(cls, text: str, fmt: int = 0, link: str = "") -> Rich:
        """``text`` with one formatting throughout."""
        return cls(text, (fmt,) * len(text), (link,) * len(text))

    def __len__(self) -> int:
        return len(self.text)

    def __add__(self, other: Rich) -> Rich:
        return Rich(self.text + other.text, self.fmt + other.fmt, self.links + other.links)

    def __getitem__(self, key: slice) -> Rich:
        return Rich(self.text[key], self.fmt[key], self.links[key])

    def same(self, other: Rich) -> bool:
        """Equal as a reader sees it: straight and typographic quotes alike (the parser makes
        the one from the other), and a space bold or not (Markdown cannot embolden a space at
        the edge of an emphasis)."""
        if folded(self.text) != folded(other.text):
            return False
        visible = ~(BOLD | ITALIC)
        return all(a == b or (c.isspace() and a & visible == b & visible)
                   for c, a, b in zip(self.text, self.fmt, other.fmt))

    def runs(self) -> list[tuple[str, int, str]]:
        """(text, formatting, link target) of each stretch of one formatting."""
        out: list[tuple[str, int, str]] = []
        for ch, fmt, link in zip(self.text, self.fmt, self.links):
            if out and out[-1][1] == fmt and out[-1][2] == link:
                out[-1] = (out[-1][0] + ch, fmt, link)
            else:
                out.append((ch, fmt, link))
        return out


def folded(text: str) -> str:
    """``text`` with typographic quotes (and no-break spaces) as the straight ones typed in
    Markdown, for comparisons that should not care which the reviewer's word processor used."""
    return text.translate(_QUOTES)


def shown(text: str, limit: int = 60) -> str:
    """A text as quoted in messages: note calls and pictures named, long texts shortened."""
    text = text.replace(NOTE, "[note]").replace(PICTURE, "[picture]").replace("\n", " ").replace("\t", " ")
    return text if len(text) <= limit else text[: limit - 2].rstrip() + " …"
