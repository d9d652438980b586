"""Writing a reviewer's changes into Markdown while keeping its markup.

A change is an edit of what a unit renders to (replace characters ``start:end`` of its text
by a formatted text). It is taken back to the Markdown through the source range of each
rendered character; where the change meets markup (the end of an emphasis, a link, a note
call), every place between the neighbouring characters' sources is tried, and the inserted
text is written with the emphasis it needs there. A candidate is kept only if the edited
Markdown renders to exactly the text wanted, so markup is never broken: a change no candidate
renders right is left to the author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from markdown_it import MarkdownIt

from .rich import BOLD, CODE, ITALIC, LINK, NOTE, PICTURE, Rich
from .sources import Rendering, Unit, render

MAX_TRIES = 400
"""Candidate edits tried for one change before it is left to the author."""

_EMPHASIS = {BOLD | ITALIC: "***", BOLD: "**", ITALIC: "*", 0: ""}


@dataclass(frozen=True)
class Change:
    """One edit of a unit's rendered text."""

    start: int
    """Where the replaced characters begin in the unit's text (without generated prefixes)."""
    end: int
    """Where they end."""
    insert: Rich
    """What replaces them."""
    raw: str = ""
    """Markdown to insert as it is at ``start`` (a comment), with ``insert`` empty."""


def apply(md: MarkdownIt, unit: Unit, content: str, changes: list[Change]) -> tuple[str, list[bool]]:
    """``content`` (the unit's Markdown) with each change made that can be; and which were."""
    done = [False] * len(changes)
    order = sorted(range(len(changes)), key=lambda i: (changes[i].start, changes[i].end, i), reverse=True)
    for i in order:
        new = one(md, unit, content, changes[i])
        if new is not None:
            content, done[i] = new, True
    return content, done


def one(md: MarkdownIt, unit: Unit, content: str, change: Change) -> str | None:
    """``content`` with one change made, or None when no edit renders to what is wanted."""
    now = render(md, content, unit.kind)
    if not now.exact or change.end > len(now.text) or change.start > change.end:
        return None
    wanted = now.text[: change.start] + change.insert + now.text[change.end:]
    if unit.kind != "code":  # Markdown cannot start or end a paragraph with a space
        lead = len(wanted.text) - len(wanted.text.lstrip())
        wanted = wanted[lead: len(wanted.text.rstrip()) or lead]
    tries = 0
    one_line = "\n" not in content and unit.kind != "paragraph"
    for candidate in _candidates(content, now, change, unit):
        tries += 1
        if tries > MAX_TRIES:
            break
        if one_line and "\n" in candidate:
            continue
        if candidate == content and not change.raw and not wanted.same(now.text):
            continue
        if render(md, candidate, unit.kind).text.same(wanted):
            return candidate
    return None


def _candidates(content: str, now: Rendering, change: Change, unit: Unit) -> Iterator[str]:
    a, b = change.start, change.end
    cell = unit.kind in ("cell", "box-title", "caption")
    if change.raw:
        texts = [change.raw]
    else:
        left = now.text.fmt[a - 1] if a > 0 else 0
        right = now.text.fmt[b] if b < len(now.text) else 0
        texts = markdown_variants(change.insert, (left, right), cell)
        if not texts:
            return
    starts = _gap(content, now.spans, a)  # nearest the character before first
    ends: list[int] | None = None
    if change.raw:  # a comment goes after the markup that closes the text it is on
        closing = [p for p in starts if p in now.closers]
        starts = sorted(closing, reverse=True) + [p for p in starts if p not in closing]
    elif a == b:
        if not (a > 0 and change.insert.fmt and change.insert.fmt[0] == now.text.fmt[a - 1]):
            starts = starts[::-1]  # formatted otherwise than the text before: outside its markup first
    else:
        starts = starts[::-1]  # tightest first: just before the first replaced character
        ends = _gap(content, now.spans, b)
    for s in starts:
        for e in (ends if ends is not None else [s]):
            if e < s:
                continue
            for text in texts:
                yield content[:s] + text + content[e:]


def _gap(content: str, spans: tuple[tuple[int, int], ...], i: int) -> list[int]:
    """The places in ``content`` between the sources of rendered characters ``i - 1`` and
    ``i`` (markup may stand there), nearest the earlier character first."""
    lo = spans[i - 1][1] if i > 0 else 0
    hi = spans[i][0] if i < len(spans) else len(content)
    if lo > hi:
        return []
    if hi - lo <= 8:
        return list(range(lo, hi + 1))
    inner = [k for k in range(lo + 1, hi) if (content[k - 1] in "*_") != (content[k] in "*_")]
    return [lo, *inner, hi]


def markdown_variants(text: Rich, around: tuple[int, int], cell: bool = False) -> list[str]:
    """Ways to write ``text`` as Markdown: formatted as it is, and relative to the formatting
    of the text around the place it goes (which it then inherits)."""
    if not text.text:
        return [""]
    common = min(text.fmt) if text.fmt else 0
    for f in text.fmt:
        common &= f
    out: list[str] = []
    for context in dict.fromkeys((0, around[0], around[1], common)):
        md = markdown(text, context, cell)
        if md is not None and md not in out:
            out.append(md)
    return out


def markdown(text: Rich, context: int = 0, cell: bool = False) -> str | None:
    """``text`` as Markdown, where ``context`` is the formatting the place it goes already
    gives; None when Markdown cannot say it there."""
    if NOTE in text.text or PICTURE in text.text:
        return None
    out: list[str] = []
    i = 0
    while i < len(text):
        link = text.links[i] if text.fmt[i] & LINK else ""
        j = i
        while j < len(text) and (text.fmt[j] & LINK) == (text.fmt[i] & LINK) and \
                (text.links[j] if text.fmt[j] & LINK else "") == link:
            j += 1
        part = text[i:j]
        if part.fmt[0] & LINK and not context & LINK:
            if not link or link == "#" or link.startswith("#_"):
                return None  # a link to a place in the document only Word knows
            inner = _formatted(part, context | LINK, cell)
            if inner is None:
                return None
            target = f"<{link}>" if re.search(r"[\s()]", link) else link
            out.append(f"[{inner}]({target})")
        else:
            if context & LINK and not part.fmt[0] & LINK:
                return None
            formatted = _formatted(part, context, cell)
            if formatted is None:
                return None
            out.append(formatted)
        i = j
    return "".join(out)


def _formatted(text: Rich, context: int, cell: bool) -> str | None:
    out = []
    for chars, fmt, _ in text.runs():
        fmt &= BOLD | ITALIC | CODE
        inherited = context & (BOLD | ITALIC | CODE)
        if inherited & ~fmt:
            return None  # plain text inside an emphasis would need it closed and opened again
        add = fmt & ~inherited
        if add & CODE:
            if "\n" in chars:
                return None
            ticks = "``" if "`" in chars else "`"
            pad = " " if chars.startswith("`") or chars.endswith("`") else ""
            out.append(f"{ticks}{pad}{chars}{pad}{ticks}")
            continue
        body = escape(chars, cell)
        mark = _EMPHASIS[add & (BOLD | ITALIC)]
        if mark and body.strip():
            lead = body[: len(body) - len(body.lstrip())]
            trail = body[len(body.rstrip()):]
            body = f"{lead}{mark}{body.strip()}{mark}{trail}"
        out.append(body)
    return "".join(out)


def escape(text: str, cell: bool = False) -> str:
    """Plain text as Markdown that renders to it."""
    text = re.sub(r"([\\`*\[\]<>])", r"\\\1", text)
    text = re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", text)
    text = text.replace("\n", "\\\n")
    return text.replace("|", "\\|") if cell else text


def block_start(text: str) -> str:
    """Markdown escaped so that, starting a paragraph, it cannot open a heading, a list, a quote
    or a box."""
    number = re.match(r"(\s*\d+)([.)])", text)
    if number:
        return number.group(1) + "\\" + text[number.end(1):]
    if re.match(r"\s*([#>+\-=]|:::)", text):
        return "\\" + text.lstrip()
    return text
