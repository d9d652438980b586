"""``reportkit review``: a reviewer's tracked changes and comments in a Word copy of the built
DOCX, brought back to the Markdown sources.

The stages: ``wordml`` reads the reviewed DOCX (each paragraph before and after the review,
the comments, the source map), ``sources`` lists the paragraphs ``build`` writes from the
sources as they are now, ``mapping`` pairs the two, ``plan`` turns each change into a line at
its ``file:line`` and, where the pairing is certain, an edit of the Markdown (``edit``), which
``review`` writes when asked.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import Pos, Problem, ReportError
from .plan import APPLY, BY_HAND, CONFLICT, NOT_APPLICABLE, Item


@dataclass
class Result:
    """What ``review`` found, and what it wrote."""

    items: list[Item]
    """Every change and comment, in source order."""
    mapped: bool
    """True when the DOCX carried its source map; False when paragraphs were matched by text."""
    applied: bool
    """True when the changes that can be applied were written into the sources."""
    diff: str
    """The unified diff of the sources: what was written (or, without ``--apply``, would be)."""
    written: list[str]
    """The files written."""

    @property
    def changes(self) -> list[Item]:
        return [i for i in self.items if i.kind == "change"]

    def lines(self) -> list[str]:
        """The review as ``reportkit review`` prints it: one line per change and comment."""
        return [i.line_text() for i in self.items]

    def summary(self) -> list[str]:
        """The closing lines: changes by author, comments, and what became of the changes."""
        changes = self.changes
        by_author = Counter(i.author for i in changes)
        comments = [i for i in self.items if i.kind == "comment"]
        replies = sum(i.kind == "reply" for i in self.items)
        status = Counter(i.status for i in changes)
        authors = ", ".join(f"{a}: {n}" for a, n in sorted(by_author.items()))
        can = "applied" if self.applied else "can be applied (--apply)"
        out = [f"{len(changes)} change{'s' * (len(changes) != 1)}{f' ({authors})' if authors else ''}, "
               f"{len(comments)} comment{'s' * (len(comments) != 1)}"
               + (f" and {replies} repl{'ies' if replies != 1 else 'y'}" if replies else ""),
               f"{status[APPLY]} {can}, {status[BY_HAND]} to do by hand, {status[CONFLICT]} in conflict, "
               f"{status[NOT_APPLICABLE]} not applicable"]
        if not self.mapped:
            out.append("this DOCX has no source map: its paragraphs were matched with the sources by their text")
        return out

    def to_json(self) -> str:
        """The review for tools."""
        keys = ("kind", "author", "text", "path", "line", "after", "before", "note", "place", "status", "reason")
        return json.dumps({
            "source_map": self.mapped,
            "applied": self.applied,
            "items": [{**{k: getattr(i, k) for k in keys}, "message": i.line_text()} for i in self.items],
            "summary": self.summary(),
            "written": self.written,
            "diff": self.diff,
        }, indent=2, ensure_ascii=False)


def review(docx: Path, report_dir: Path, apply: bool = False, comments_inline: bool = False) -> Result:
    """Read the reviewed ``docx`` against the report in ``report_dir``; with ``apply``, write the
    changes that map with certainty into the sources (and with ``comments_inline`` the comments,
    as HTML comments). Raises ReportError for a file that is not a DOCX or a report with errors."""
    from ..build import load, load_with_theme
    from ..citations import cite_sources
    from .mapping import match
    from .plan import plan
    from ..sourcemap import NAMESPACE, from_xml
    from .sources import mapping_parser, slots
    from ..xrefs import xref_texts
    from .wordml import NotADocx, read

    report, theme = load_with_theme(report_dir)
    report = cite_sources(report, theme.settings.citations.later)  # as built
    try:
        reviewed = read(docx, NAMESPACE)
    except NotADocx as err:
        raise ReportError(str(err), Pos(str(docx))) from None
    md = mapping_parser(report.meta.language, xref_texts(report))
    built = slots(report, report_dir, md)
    source_map = from_xml(reviewed.source_map) if reviewed.source_map else None
    matches = match(reviewed, built, source_map, report)
    result = plan(reviewed, matches, built, report, report_dir, md, comments_inline, docx.name,
                  source_map is not None)
    diff = _diff(result.texts, result.sources, report_dir)
    written = _write(result.texts, result.sources, report_dir, load) if apply else []
    return Result(result.items, source_map is not None, apply, diff, written)


def _diff(texts: dict[str, str], sources: dict, report_dir: Path) -> str:
    out = []
    for path, new in texts.items():
        old = sources[path].text if path in sources else (report_dir / "report.toml").read_text(encoding="utf-8-sig")
        out += difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), path, path)
    return "".join(out)


def _write(texts: dict[str, str], sources: dict, report_dir: Path, load) -> list[str]:
    """Write each file whole (a temporary file moved into place), keeping its byte order mark
    and line ends; if the report then fails ``check``, put every file back as it was."""
    toml = report_dir / "report.toml"
    old = {path: Path(path).read_bytes() for path in texts}
    written = []
    try:
        for path, new in texts.items():
            source = sources.get(path)
            data = source.encoded(new) if source is not None else _encoded_like(new, old[path])
            _replace(Path(path), data)
            written.append(path)
        load(report_dir)
    except ReportError as err:
        for path in written:
            _replace(Path(path), old[path])
        raise ReportError([*err.problems, Problem(
            "review --apply: the sources would not pass check with these changes; nothing was written",
            Pos(str(toml.parent)))]) from None
    return written


def _encoded_like(text: str, old: bytes) -> bytes:
    newline = b"\r\n" if b"\r\n" in old else b"\n"
    bom = b"\xef\xbb\xbf" if old.startswith(b"\xef\xbb\xbf") else b""
    return bom + text.encode("utf-8").replace(b"\n", newline)


def _replace(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
