"""``reportkit import``: a Word report (.docx) becomes a reportkit report folder.

pandoc's DOCX reader (``pandoc.py``) reads the document into its JSON tree; what it loses is
read from the XML (``docx_extras.py``); ``mapping.py`` turns the tree into reportkit's blocks,
boxes, notes and cover data, and ``sources.py`` writes them as Markdown and report.toml. The
folder is made beside its destination and renamed into place once it loads without errors,
so a failure leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Pos, Problem, ReportError

@dataclass(frozen=True)
class ImportOptions:
    """How to import."""

    comments: str = "keep"
    """"keep": Word comments stay as ``<!-- comment, Author: … -->`` where they stood; "drop"."""
    track_changes: str | None = None
    """None: refuse a document with unresolved tracked changes; "accept" or "reject" them."""


@dataclass(frozen=True)
class Imported:
    """What ``import_docx`` made."""

    path: Path
    """The new report folder."""
    source: Path
    """The Word file."""
    found: dict[str, int]
    """What was found: chapters, headings, notes, boxes, tables, images."""
    problems: list[Problem] = field(default_factory=list)
    """What the author should look at, as warnings at their place in the new sources."""

    def summary(self) -> str:
        """``imported report.docx: 6 chapters, 17 headings, 25 notes, …``"""
        f = self.found
        parts = [_count(f["chapters"], "chapter"), _count(f["headings"], "heading"), _count(f["notes"], "note")]
        if f["recommendation boxes"]:
            parts.append(f"{_count(f['recommendation boxes'], 'recommendation box', 'recommendation boxes')} "
                         f"({_count(f['recommendations'], 'recommendation')})")
        for key, one, many in (("good-practice boxes", "good-practice box", "good-practice boxes"),
                               ("other boxes", "other box", "other boxes"), ("tables", "table", "tables"),
                               ("images", "image", "images")):
            if f[key]:
                parts.append(_count(f[key], one, many))
        return f"imported {self.source.name}: {', '.join(parts)}"


def import_docx(docx_path: Path, dest: Path, options: ImportOptions = ImportOptions()) -> Imported:
    """Make report folder ``dest`` from the Word file ``docx_path``.

    Raises ReportError (one line each) when ``dest`` exists, the file is not a Word document,
    has unresolved tracked changes (unless ``options.track_changes`` says what to do with
    them), or pandoc is missing; nothing is written then.
    """
    from ..new import make_folder
    from . import docx_extras, mapping, pandoc, sources

    if dest.exists() or dest.is_symlink():
        raise ReportError(f"{dest} already exists: choose a new folder name (nothing was written)")
    name = docx_path.name
    try:
        data = docx_path.read_bytes()
    except OSError as err:
        raise ReportError(f"{docx_path}: cannot read it: {err.strerror or err}") from None
    program = pandoc.find_pandoc()
    extras = docx_extras.read(data, name, comments=options.comments == "keep")
    if extras.tracked and not options.track_changes:
        raise ReportError(f"{name}: it has {extras.tracked} unresolved tracked change"
                          f"{'s' if extras.tracked > 1 else ''}: accept or reject them in Word, "
                          "or import with --track-changes accept (or reject)")
    tree = pandoc.read_docx(program, extras.prepared, name, options.track_changes or "accept")
    mapped = mapping.Mapper(tree, extras, docx_path.stem, comments=options.comments == "keep").map()
    texts, flags = sources.write_chapters(mapped, mapped.meta["language"])
    problems = [Problem(message, Pos(str(dest / "report.toml")), warning=True) for message in mapped.problems]
    problems += [Problem(message, Pos(str(dest / file), line), warning=True) for file, line, message in flags]
    make_folder(dest, lambda tmp: _fill(tmp, sources.manifest(mapped, name), texts, mapped.images))
    return Imported(dest, docx_path, sources.count(mapped), problems)


def _fill(tmp: Path, manifest: str, chapters: dict[str, str], images: dict[str, bytes]) -> None:
    (tmp / "report.toml").write_text(manifest, encoding="utf-8")
    for file, text in chapters.items():
        (tmp / file).write_text(text, encoding="utf-8")
    if images:
        (tmp / "assets").mkdir()
        for file, data in images.items():
            (tmp / "assets" / file).write_bytes(data)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
