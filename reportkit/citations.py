"""Sources and citations: the report's ``sources.toml`` or ``sources.json`` (CSL-JSON), the
``[@id]`` citations of its notes checked against it, and the pass that prints each citation the
way reports cite: the full form the first time, "Ibid." right after, a short form later.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from markdown_it.common.normalize_url import normalizeLink, normalizeLinkText

from .errors import Pos, Problems, ReportError
from .labels import labels
from .model import Citation, Inline, LineBreak, Link, Note, Report, Text, iter_nodes, plain_text, walk
from .tomlfile import describe, read_toml, unknown

SOURCE_FILES = ("sources.toml", "sources.json")
"""The names a sources file may have in the report folder (one of them)."""

FIELDS = ("author", "title", "short", "year", "publisher", "url", "accessed", "full")
"""The fields of a source in ``sources.toml`` (the README says what each is for)."""

LATER_FORMS = ("short", "op-cit")
"""How a source cited again prints (the style's ``citations.later``): its author and short
title, or its author and "op. cit."."""

_ID = re.compile(r"[^\s,;\[\]]+")
"""What a source id may be: what ``[@id]`` can name."""
_SUBTITLE = re.compile(r": | – | — | - ")
"""Where a title's subtitle starts; the short title is what comes before it."""
_URL = re.compile(r"<?(https?://[^\s<>]+?)>?(?=[.,;:)]*(?:\s|$))")
"""An address in a ``full`` text (angle brackets allowed); punctuation after it is not part of it."""


@dataclass(frozen=True)
class Source:
    """One source the report cites."""

    id: str
    """What notes cite it by: ``[@id]``."""
    title: str
    """Its title, as it should print."""
    author: str = ""
    """The person or organisation responsible for it ("" for none)."""
    short: str = ""
    """The title in later citations; "" for the title up to its subtitle."""
    year: str = ""
    """The year it came out, as written."""
    publisher: str = ""
    """Who published it, when that is not its author."""
    url: str = ""
    """Where it can be read."""
    accessed: str = ""
    """When it was read there: a date as written ("20 July 2011") or ISO ("2011-07-20", printed in
    the report's language)."""
    full: str = ""
    """The whole first citation as it should print (a note typed before), or "" to make it from the
    fields above. Addresses in it become links; its line breaks stay."""
    pos: Pos | None = None
    """Where it stands in the sources file."""

    @property
    def short_title(self) -> str:
        """The title later citations print."""
        return self.short or _SUBTITLE.split(self.title, maxsplit=1)[0]


# --- loading --------------------------------------------------------------------------------


def sources_files(root: Path) -> list[Path]:
    """The sources files in the report folder ``root`` (one, or none; two are an error)."""
    return [root / name for name in SOURCE_FILES if (root / name).is_file()]


def load_sources(root: Path, problems: Problems) -> dict[str, Source]:
    """The sources of the report in ``root`` by id, in the file's order ({} without a file); what
    is wrong in the file goes to ``problems`` at its line."""
    files = sources_files(root)
    if not files:
        return {}
    if len(files) > 1:
        problems.error(f"two sources files: keep {files[0].name} or {files[1].name}, not both", Pos(str(files[1])))
    try:
        return _read_toml(files[0], problems) if files[0].suffix == ".toml" else _read_json(files[0], problems)
    except ReportError as err:
        problems.items += err.problems
        return {}


def _read_toml(path: Path, problems: Problems) -> dict[str, Source]:
    toml = read_toml(path)
    sources: dict[str, Source] = {}
    for ident, values in toml.data.items():
        pos = toml.pos(ident)
        if not isinstance(values, dict):
            problems.error(f'source "{ident}" must be a table ([{ident}] with its fields on the lines '
                           f"under it), not {describe(values)}", pos)
            continue
        fields: dict[str, str] = {}
        for key, value in values.items():
            if key not in FIELDS:
                problems.error(unknown(key, FIELDS, f"{ident}.", noun="source field"), toml.pos(ident, key))
            elif key == "year" and isinstance(value, int) and not isinstance(value, bool):
                fields[key] = str(value)
            elif key == "accessed" and isinstance(value, datetime.date):
                fields[key] = value.isoformat()[:10]
            elif not isinstance(value, str):
                problems.error(f'"{ident}.{key}" must be a string, not {describe(value)}', toml.pos(ident, key))
            else:
                fields[key] = value.strip()
        _add(sources, ident, fields, pos, problems)
    return sources


def _read_json(path: Path, problems: Problems) -> dict[str, Source]:
    where = str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ReportError(f"not UTF-8 text (byte {err.start})", Pos(where, raw[: err.start].count(b"\n") + 1)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ReportError(f"JSON syntax error: {err.msg}", Pos(where, err.lineno)) from None
    if not isinstance(data, list):
        raise ReportError("sources.json must be a list of sources ([{…}, {…}]), as reference managers "
                          "export CSL-JSON", Pos(where, 1))
    sources: dict[str, Source] = {}
    for item, line in zip(data, _item_lines(text)):
        pos = Pos(where, line)
        if not isinstance(item, dict):
            problems.error(f"a source must be an object ({{…}}), not {describe(item)}", pos)
            continue
        ident = item.get("id")
        if not isinstance(ident, (str, int)) or isinstance(ident, bool) or not str(ident).strip():
            problems.error('source without an "id" (the name notes cite it by: [@id])', pos)
            continue
        issued = _csl_date(item.get("issued"))
        fields = {
            "title": item.get("title"),
            "short": item.get("title-short") or item.get("shortTitle"),
            "author": _names(item.get("author") or item.get("editor")),
            "year": issued[:4] if re.fullmatch(r"\d{4}(-\d\d){0,2}", issued) else issued,
            "publisher": item.get("publisher"),
            "url": item.get("URL"),
            "accessed": _csl_date(item.get("accessed")),
        }
        _add(sources, str(ident).strip(), {k: v.strip() for k, v in fields.items() if isinstance(v, str) and v.strip()},
             pos, problems)
    return sources


def _add(sources: dict[str, Source], ident: str, fields: dict[str, str], pos: Pos, problems: Problems) -> None:
    """Add one source, unless its id is taken or unusable or it has no title."""
    if not _ID.fullmatch(ident):
        problems.error(f'source id "{ident}" cannot be cited: use no spaces, commas, semicolons or brackets', pos)
    elif ident in sources:
        problems.error(f'source "{ident}" is defined twice (first at {sources[ident].pos})', pos)
    elif not fields.get("title") and not fields.get("full"):
        problems.error(f'source "{ident}" has no title', pos)
    else:
        sources[ident] = Source(ident, **{"title": "", **fields}, pos=pos)


def _item_lines(text: str) -> list[int]:
    """The line each item of a JSON list (already known to parse) starts on."""
    decoder, lines = json.JSONDecoder(), []
    index = text.index("[") + 1
    while True:
        index = re.compile(r"[\s,]*").match(text, index).end()
        if text[index] == "]":
            return lines
        lines.append(text.count("\n", 0, index) + 1)
        index = decoder.raw_decode(text, index)[1]


def _names(names: Any) -> str:
    """CSL names ([{"family": …, "given": …}] or [{"literal": …}]) as one line."""
    if not isinstance(names, list):
        return ""
    parts = [n.get("literal") or " ".join(p for p in (n.get("given"), n.get("family")) if isinstance(p, str))
             for n in names if isinstance(n, dict)]
    return ", ".join(p for p in parts if p)


def _csl_date(value: Any) -> str:
    """A CSL date as written ("literal", "raw") or as ISO from its date-parts ("2011-07-20")."""
    if not isinstance(value, dict):
        return value if isinstance(value, str) else ""
    if isinstance(value.get("literal") or value.get("raw"), str):
        return value.get("literal") or value.get("raw")
    parts = (value.get("date-parts") or [[]])[0]
    if not parts or not all(isinstance(p, (int, str)) and str(p).isdigit() for p in parts):
        return ""
    return "-".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(parts[:3]))


# --- check ----------------------------------------------------------------------------------


def check_citations(report: Report, root: Path, problems: Problems) -> None:
    """Each citation must name a source of the report's sources file (an error with "did you
    mean"); a source no note cites is a warning; a malformed file is an error at its line."""
    errors = len(problems.errors)
    sources = load_sources(root, problems)
    if len(problems.errors) > errors:
        return  # a broken file: its citations cannot be checked
    cited: set[str] = set()
    reported: set[tuple[str, Pos | None]] = set()
    for node in iter_nodes(report.chapters):
        if not isinstance(node, Citation):
            continue
        cited.add(node.source)
        if node.source in sources or (node.source, node.pos) in reported:
            continue
        reported.add((node.source, node.pos))  # a note called twice holds its citations twice
        problems.error(_unknown_source(node.source, sources), node.pos)
    for source in sources.values():
        if source.id not in cited:
            problems.warn(f'source "{source.id}" is never cited (cite it in a note as [@{source.id}], '
                          "or remove it)", source.pos)


def _unknown_source(ident: str, sources: dict[str, Source]) -> str:
    if not sources:
        return (f'unknown source "{ident}": the report has no sources file (list its sources in '
                f"{SOURCE_FILES[0]} or {SOURCE_FILES[1]} in the report folder)")
    close = [s for s in sources if s.casefold() == ident.casefold()]
    close = close or difflib.get_close_matches(ident, list(sources), n=1, cutoff=0.6)
    return f'unknown source "{ident}"' + (f' (did you mean "{close[0]}"?)' if close else "")


# --- the pass -------------------------------------------------------------------------------


def cite_sources(report: Report, later: str = "short") -> Report:
    """Replace each citation by its text. A source's first citation prints its full form; one of
    the source the note right before cites (alone), or the citation before it in the same note
    cites, prints "Ibid." (with its locator when that differs); any later one prints the short
    form (``later="short"``: author, short title) or "op. cit." (``later="op-cit"``).
    Runs after ``transforms.number_notes``: "the note right before" is the one numbered before."""
    from .transforms import notes  # transforms imports the model only; citations are loaded by parse

    if not any(isinstance(n, Citation) for n in iter_nodes(report.chapters)):
        return report
    sources = load_sources(Path(report.root), Problems())  # its problems were reported by check_citations
    words = labels(report.meta.language)
    seen: set[str] = set()
    previous: list[Citation] = []
    resolved: dict[str, tuple] = {}
    for note in notes(report):
        forms: dict[int, Form] = {}
        current: list[Citation] = []
        for citation in (n for n in iter_nodes(note.blocks) if isinstance(n, Citation)):
            source = sources[citation.source]
            before = current[-1] if current else (
                previous[-1] if previous and all(p.source == previous[0].source for p in previous) else None)
            if source.id not in seen:
                forms[id(citation)] = full_form(source, citation.locator, words)
            elif before is not None and before.source == source.id:
                changed = citation.locator if citation.locator != before.locator else ""
                forms[id(citation)] = _form(words["ibid"], changed)
            else:
                forms[id(citation)] = short_form(source, citation.locator, words, later)
            seen.add(source.id)
            current.append(citation)
        previous = current
        if forms:
            resolved[note.id] = walk(note.blocks, lambda x, forms=forms: _expanded(x, forms))
    return walk(report, lambda x: replace(x, blocks=resolved[x.id]) if isinstance(x, Note) and x.id in resolved else x)


@dataclass(frozen=True)
class Form:
    """What one citation prints."""

    inlines: tuple[Inline, ...]
    """Its text, links included."""
    stop: bool
    """Whether a full stop closes it, printed unless punctuation follows the citation ("p. 3; see")."""

    @property
    def text(self) -> str:
        """As plain text, closed (line breaks as spaces)."""
        return " ".join(plain_text(self.inlines).split()) + ("." if self.stop else "")


def _form(*parts: str) -> Form:
    """A form of plain text: ``parts`` joined by commas, closed by a full stop unless it ends with one."""
    text = ", ".join(p for p in parts if p)
    return Form((Text(text),), not text.rstrip().endswith((".", "?", "!")))


def full_form(source: Source, locator: str, words: dict) -> Form:
    """The first citation of ``source``: author, title, publisher, year (and locator), then
    where it can be read; or its ``full`` text as written, the locator after it."""
    if source.full:
        inlines = _with_links(source.full)
        if not locator:
            return Form(tuple(inlines), False)
        if isinstance(inlines[-1], Text):
            inlines[-1] = Text(inlines[-1].text.rstrip().rstrip("."))
        return Form((*inlines, Text(f", {locator}")), True)
    head = _form(source.author, source.title, source.publisher, source.year, locator)
    if not source.url:
        return head
    lead = words["accessed_on"].format(date=_date(source.accessed, words)) if source.accessed else words["accessible_at"]
    return Form((Text(f"{head.text} {lead} "), _link(source.url)), False)


def short_form(source: Source, locator: str, words: dict, later: str = "short") -> Form:
    """A later citation of ``source``: "Author, Short title, p. 12." or "Author, op. cit., p. 12."."""
    if later == "op-cit":
        return _form(source.author or source.short_title, words["op_cit"], locator)
    return _form(source.author, source.short_title, locator)


def _date(value: str, words: dict) -> str:
    """An ISO date ("2011-07-20", "2011-07") in the report's language; anything else as written."""
    if match := re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", value):
        year, month, day = match.groups()
        if 1 <= int(month) <= 12:
            name = words["months"][int(month) - 1]
            return words["date"].format(day=int(day), month=name, year=year) if day else f"{name} {year}"
    return value


def _link(url: str) -> Link:
    """A link showing its address, as Markdown's ``<https://…>`` does (``%20`` shown as a space)."""
    return Link((Text(normalizeLinkText(url)),), normalizeLink(url))


def _with_links(text: str) -> list[Inline]:
    """A ``full`` text as inlines: its addresses links, its line breaks line breaks."""
    out: list[Inline] = []
    for number, line in enumerate(text.strip().split("\n")):
        out += [LineBreak()] if number else []
        start = 0
        for match in _URL.finditer(line):
            out += [Text(line[start: match.start()])] if match.start() > start else []
            out.append(_link(match.group(1)))
            start = match.end()
        out += [Text(line[start:])] if line[start:] else []
    return out


_PUNCTUATION = set(".,;:!?")


def _expanded(node: Any, forms: dict[int, Form]) -> Any:
    """``node`` with the citations among its inlines replaced by their forms. A form's closing
    full stop gives way to punctuation written after the citation ("[@a, p. 3]; see" prints
    "…, p. 3; see"), and a full stop written after a form ending with one is not printed twice
    ("Ibid." stays "Ibid.")."""
    for name in ("content", "children"):
        value = getattr(node, name, None)
        if not (isinstance(value, tuple) and any(isinstance(x, Citation) for x in value)):
            continue
        out: list[Inline] = []
        for i, x in enumerate(value):
            if isinstance(x, Citation):
                form = forms[id(x)]
                after = value[i + 1] if i + 1 < len(value) else None
                follows = after.text[:1] if isinstance(after, Text) else ""
                out += [*form.inlines, *([Text(".")] if form.stop and follows not in _PUNCTUATION else [])]
                continue
            if isinstance(x, Text) and x.text.startswith(".") and i and isinstance(value[i - 1], Citation) \
                    and plain_text(tuple(out)).endswith("."):
                x = Text(x.text[1:])
            if isinstance(x, Text) and out and isinstance(out[-1], Text):
                out[-1] = Text(out[-1].text + x.text)
            elif not (isinstance(x, Text) and not x.text):
                out.append(x)
        return replace(node, **{name: tuple(out)})
    return node


# --- the list of sources ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceUse:
    """One source and the notes that cite it, for ``reportkit sources``."""

    source: Source
    """The source."""
    notes: tuple[int, ...]
    """The numbers of the notes citing it, in order (empty: never cited)."""
    text: str
    """Its full form as plain text, in the report's language (line breaks as spaces)."""


def source_uses(report: Report, root: Path) -> list[SourceUse]:
    """Every source with the notes that cite it: in the order of their first citation, the
    sources never cited last (in the file's order). ``report`` is numbered, not yet cited."""
    from .transforms import notes

    sources = load_sources(root, Problems())
    citing: dict[str, list[int]] = {}
    for note in notes(report):
        for node in iter_nodes(note.blocks):
            if isinstance(node, Citation) and node.source in sources:
                numbers = citing.setdefault(node.source, [])
                numbers += [note.number] if note.number not in numbers else []
    order = list(citing) + [s for s in sources if s not in citing]
    words = labels(report.meta.language)
    return [SourceUse(sources[s], tuple(citing.get(s, ())), full_form(sources[s], "", words).text) for s in order]


def sources_table(report: Report, root: Path, fmt: str, excel: bool = False) -> str:
    """The sources and the notes citing them, as text (``fmt`` "text") or CSV."""
    from .tables import csv_text

    uses = source_uses(report, root)
    if fmt == "csv":
        rows = [{"id": u.source.id, "notes": " ".join(map(str, u.notes)), "author": u.source.author,
                 "title": u.source.title, "year": u.source.year, "url": u.source.url, "full": u.text}
                for u in uses]
        return csv_text(rows, ["id", "notes", "author", "title", "year", "url", "full"], excel)
    lines = []
    for use in uses:
        cited = f"note{'s' if len(use.notes) > 1 else ''} {', '.join(map(str, use.notes))}" if use.notes else "never cited"
        lines += [f"{use.source.id}: {cited}", f"  {use.text}"]
    return "".join(f"{line}\n" for line in lines)
