"""Read a TOML file (``report.toml``, a style's ``theme.toml``) with the line of every key, and
the words its checks share: a syntax error at its line, "did you mean", a value described."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Pos, ReportError


@dataclass(frozen=True)
class TomlFile:
    """A TOML file's values and where its keys stand."""

    path: str
    """The file, as named in errors."""
    data: dict[str, Any]
    """What tomllib read."""
    lines: dict[tuple[str, ...], int]
    """(key,), (table, key) and (array of tables, index) → the line it stands on (``key_lines``)."""

    def pos(self, *key: str) -> Pos:
        """Where ``key`` stands: its own line, else its table's, else the whole file."""
        for n in range(len(key), 0, -1):
            if key[:n] in self.lines:
                return Pos(self.path, self.lines[key[:n]])
        return Pos(self.path, 0)


def read_toml(path: Path) -> TomlFile:
    """Read ``path`` (UTF-8, a BOM allowed); text that is not UTF-8 or not TOML raises a
    ReportError at its line."""
    where = str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ReportError(f"not UTF-8 text (byte {err.start})", Pos(where, line)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:  # its lineno attribute exists only from Python 3.14
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", str(err))
        line = getattr(err, "lineno", None) or _line_from_message(str(err), text)
        quotes = _curly_quotes(text, line)
        if quotes:
            message = (f"the value is in curly quotes ({quotes}), which TOML does not read as quotes: "
                       'write straight ones, "like this" (a word processor or a phone types curly ones)')
        raise ReportError(f"TOML syntax error: {message}", Pos(where, line)) from None
    return TomlFile(where, data, key_lines(text))


def unknown(key: str, known: Any, prefix: str = "", noun: str = "field") -> str:
    """'unknown field "titel" (did you mean "title"?)': the closest of ``known`` keys, if any."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.7)
    hint = f' (did you mean "{prefix}{close[0]}"?)' if close else ""
    return f'unknown {noun} "{prefix}{key}"{hint}'


def describe(value: Any) -> str:
    """A value as an error names it: "a string ('two')", "a number (3)", "a table"."""
    names = {str: "a string", bool: "true/false", int: "a number", float: "a number",
             list: "a list", dict: "a table"}
    return f"{names.get(type(value), type(value).__name__)} ({value!r})" if not isinstance(
        value, (list, dict)) else names[type(value)]


_CURLY = "\u201c\u201d\u201e\u2018\u2019\u201a\u00ab\u00bb"
"""Quotation marks that word processors type in place of straight ones (“ ” „ ‘ ’ ‚ « »)."""


def _curly_quotes(text: str, line: int) -> str:
    """The curly quotation marks that open the value of a ``key =`` line (what tomllib stumbled on), or ""."""
    lines = text.splitlines()
    if not 0 < line <= len(lines) or not (m := KEY.match(lines[line - 1])):
        return ""
    value = lines[line - 1][m.end():].lstrip().lstrip("[").lstrip()
    if not value or value[0] not in _CURLY:
        return ""
    return " ".join(dict.fromkeys(c for c in value if c in _CURLY))


def _line_from_message(message: str, text: str) -> int:
    if message.endswith("(at end of document)"):
        return len(text.splitlines()) or 1
    match = re.search(r"at line (\d+)", message)
    return int(match.group(1)) if match else 0


_TABLE = re.compile(r"^\s*\[(\[)?\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")
"""A ``key =`` line (the key in group 1)."""


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map (key,), (table, key) and (table, index) to the line they stand on, for ``path:LINE`` errors.

    tomllib gives no positions for keys, so we scan the top-level structure ourselves:
    table headers and ``key =`` lines (good enough for the flat files reportkit reads).
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    counts: dict[str, int] = {}
    depth = 0  # inside a multi-line array or string, keys are not keys
    for number, line in enumerate(text.splitlines(), 1):
        if depth == 0 and (m := _TABLE.match(line)):
            name = m.group(2).strip().strip("\"'")
            if m.group(1):
                index = counts.get(name, 0)
                counts[name] = index + 1
                table = (name, str(index))
                lines.setdefault((name,), number)
            else:
                table = tuple(name.split("."))
            for n in range(1, len(table) + 1):  # [a.b] stands for table a too
                lines.setdefault(table[:n], number)
            continue
        if depth == 0 and (m := KEY.match(line)):
            key = m.group(1).strip('"')
            lines.setdefault(table + (key,) if table else (key,), number)
        depth += line.count("[") - line.count("]") if depth or KEY.match(line) else 0
        depth = max(depth, 0)
    return lines
