"""``reportkit new``: start a report from an existing report folder or a shipped template."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import secrets
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from markdown_it.tree import SyntaxTreeNode

from .citations import sources_files
from .errors import Pos, Problem, Problems, ReportError
from .labels import CATALOGUES, labels
from .manifest import FIELDS, _check
from .model import Image, Report, iter_nodes
from .parse import _COMMENT, make_parser, read_source
from .tomlfile import KEY, unknown

# Templates shipped with reportkit: the installed ``reportkit/templates`` package data, else the
# repository's top-level templates/ when running from a checkout. One folder only, never both,
# so a stray site-packages/templates can never shadow or add to them.
_HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = next((p for p in (_HERE / "templates", _HERE.parent / "templates") if p.is_dir()),
                     _HERE / "templates")

COPIED_FOLDERS = ("assets", "styles")
"""Folders of the source copied whole: images and logos, and a report-local style."""

_NOTE_CALL = re.compile(r"\[\^[^\]\s]+\]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&!|{}#~])")
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


class BadOption(ValueError):
    """A ``--from`` or ``--set`` value that cannot be used: a usage error (exit 2), not a report's."""

    def __init__(self, message: str, option: str):
        super().__init__(message)
        self.option = option
        """The command-line option at fault, e.g. "--set"."""


@dataclass(frozen=True)
class Template:
    """A report folder shipped with reportkit (``templates/NAME/``)."""

    name: str
    """What ``--from`` takes."""
    path: Path
    """The template's folder."""
    description: str
    """One line: the first comment line of its report.toml."""


@dataclass(frozen=True)
class Created:
    """What ``new_report`` made."""

    path: Path
    """The new report folder."""
    source: Path
    """The folder it was made from."""
    template: str
    """The template's name, or "" when the source was a report folder."""
    chapters: tuple[str, ...]
    """The chapter files written, relative to the new folder."""
    changes: dict[str, Any] = field(default_factory=dict)
    """report.toml fields given a new value (by --set, or a title following the country)."""
    removed: tuple[str, ...] = ()
    """report.toml fields left out of the new report."""
    partners: dict[tuple[int, str], Any] = field(default_factory=dict)
    """(partner's index, field) → its new value: a description naming the old country."""


def list_templates() -> list[Template]:
    """The shipped templates, by name."""
    if not TEMPLATES_DIR.is_dir():
        return []
    return [Template(p.parent.name, p.parent, _description(p))
            for p in sorted(TEMPLATES_DIR.glob("*/report.toml"))]


def new_report(dest: Path, source: str | Path, settings: Mapping[str, Any] | None = None,
               skeleton: bool = False) -> Created:
    """Create report folder ``dest`` from ``source`` (a report folder or a template's name).

    ``settings`` maps report.toml fields to values, as typed on the command line ("a, b" for a
    list, "true", "12", "2026-11-01") or already typed. They are data: written as TOML values,
    never interpreted. ``created`` is left out unless set (a new report is not from the
    source's date); when ``country`` changes, the title and subtitle follow it (and the
    chapters, when the source's country is a template's "[Country]" placeholder). With
    ``skeleton`` the chapters keep their headings, boxes and ``<!-- -->`` guidance only.

    Raises BadOption for an unknown source or field, or a value of the wrong type; ReportError
    when ``dest`` exists, the source has errors or the files cannot be written. In every case
    nothing is left behind: the report is made in a hidden folder beside ``dest`` and renamed.
    """
    from .build import load

    settings = dict(settings or {})
    for key in settings:  # unknown keys first: they need no source
        if key not in FIELDS:
            raise BadOption(unknown(key, FIELDS), "--set")
    source_dir, template = _resolve_source(source)
    values = {key: _coerce(key, value, source_dir) for key, value in settings.items()}
    if dest.exists() or dest.is_symlink():
        raise ReportError(f"{dest} already exists: choose a new folder name (nothing was written)")
    try:
        report, _ = load(source_dir)
    except ReportError as err:
        raise ReportError(err.problems + [Problem(f"{source_dir} has errors: fix them first "
                                                  "(nothing was written)")]) from None

    toml_text = (source_dir / "report.toml").read_bytes().decode("utf-8-sig")
    original = tomllib.loads(toml_text)
    changes, removed = _changes(original, values)
    partners = _partner_changes(original, changes)
    language = str(changes.get("language", original.get("language", "en")))
    placeholder = labels(language)["to_be_written"]  # a box left empty would be a warning

    manifest = rewrite_manifest(toml_text, changes, removed, partners)
    swap = _placeholder_swap(original.get("country"), changes.get("country"))
    make_folder(dest, lambda tmp: _write(tmp, source_dir, report, manifest, swap, placeholder if skeleton else None))
    return Created(dest, source_dir, template, tuple(report.meta.chapters), changes, removed, partners)


def make_folder(dest: Path, fill: Callable[[Path], None]) -> None:
    """Make report folder ``dest`` whole or not at all: ``fill`` writes a hidden folder beside
    it, which must load without errors, and is then renamed into place. On any failure the
    hidden folder and the parents made for it are removed."""
    created_parents = [p for p in reversed(dest.parents) if not p.exists()]
    tmp = dest.parent / f".{dest.name}.new-{secrets.token_hex(4)}"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(tmp)
        fill(tmp)
        _verify(tmp, dest)
        if dest.exists():
            raise ReportError(f"{dest} appeared while it was being made (nothing was written)")
        os.rename(tmp, dest)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        for parent in reversed(created_parents):
            try:
                parent.rmdir()
            except OSError:
                break
        if isinstance(err, OSError):
            raise ReportError(f"cannot create {dest}: {err.strerror or err}") from None
        raise


def _write(tmp: Path, source_dir: Path, report: Report, manifest: str,
           swap: tuple[str, str] | None, skeleton: str | None) -> None:
    """Fill ``tmp``: report.toml, the chapters (whole, or ``skeleton`` with that placeholder),
    the copied folders and the files the report uses."""
    (tmp / "report.toml").write_bytes(manifest.encode("utf-8"))
    for name in report.meta.chapters:
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if skeleton is None and swap is None:
            shutil.copyfile(source_dir / name, target)
            continue
        text = read_source(source_dir / name, Problems()) or ""
        text = text.replace(*swap) if swap else text
        target.write_text(text if skeleton is None else skeleton_text(text, skeleton), encoding="utf-8")
    for folder in COPIED_FOLDERS:
        if (source_dir / folder).is_dir():
            shutil.copytree(source_dir / folder, tmp / folder, copy_function=shutil.copy)
    for path in sources_files(source_dir):  # the notes' citations need it
        shutil.copy(path, tmp / path.name)
    for path in _referenced_files(report, source_dir):
        if not (tmp / path).exists():
            (tmp / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source_dir / path, tmp / path)


# --- the source ----------------------------------------------------------------------------


def _resolve_source(source: str | Path) -> tuple[Path, str]:
    """A report folder on disk wins over a template of the same name: it is what the user sees."""
    path = Path(source)
    if path.is_dir():
        return path, ""
    templates = {t.name: t for t in list_templates()}
    if str(source) in templates:
        return templates[str(source)].path, str(source)
    if path.exists():
        raise BadOption(f'"{source}" is a file, not a report folder', "--from")
    close = difflib.get_close_matches(str(source), list(templates), n=1, cutoff=0.6)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    names = ", ".join(templates) or "none"
    raise BadOption(f'no report folder or template named "{source}"{hint}; templates: {names}',
                    "--from")


def _description(toml_path: Path) -> str:
    for line in toml_path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip() if line.lstrip().startswith("#") else ""
    return ""


def _referenced_files(report: Report, root: Path) -> list[Path]:
    """Files the report uses outside the copied folders (logos, images), relative to ``root``."""
    paths = [*report.meta.logos, *(p.logo for p in report.meta.partners if p.logo),
             *(n.path for n in iter_nodes(report.chapters) if isinstance(n, Image) and n.path)]
    base = root.resolve()
    out = []
    for path in dict.fromkeys(paths):
        relative = Path(path).relative_to(base)
        if relative.parts[0] not in COPIED_FOLDERS:
            out.append(relative)
    return out


def _verify(tmp: Path, dest: Path) -> None:
    """The new report must load without errors; problems are shown at their final paths."""
    from .build import load

    try:
        load(tmp)
    except ReportError as err:
        def moved(problem: Problem) -> Problem:
            if problem.pos is None:
                return problem
            path = problem.pos.path.replace(str(tmp), str(dest), 1)
            return Problem(problem.message, Pos(path, problem.pos.line), problem.warning)
        raise ReportError([moved(p) for p in err.problems] +
                          [Problem("the new report would have errors (nothing was written)")]) from None


# --- report.toml ---------------------------------------------------------------------------


def _coerce(key: str, value: Any, source_dir: Path) -> Any:
    """A --set value as the Python value report.toml will hold (None: leave the field out)."""
    from .themes import available_styles

    spec = FIELDS[key]
    if spec.kind == "partners":
        raise BadOption('"partners" cannot be set here: edit the [[partners]] blocks in '
                        "the new report.toml", "--set")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadOption(f'"{key}": the value is not valid text', "--set") from None
        value = _parse_value(key, spec.kind, value)
    if value is None:
        return None
    problems = Problems()
    _check(key, value, spec, lambda *_: None, problems, source_dir)
    if problems.errors:
        raise BadOption(problems.errors[0].message, "--set")
    if key == "title" and not value.strip():
        raise BadOption('"title" cannot be empty', "--set")
    if key == "style" and value not in available_styles(source_dir):
        known = ", ".join(available_styles(source_dir)) or "none"
        raise BadOption(f'unknown style "{value}" (available: {known})', "--set")
    return value


def _parse_value(key: str, kind: str, text: str) -> Any:
    match kind:
        case "strs":
            return [part.strip() for part in text.split(",") if part.strip()]
        case "bool":
            if text.strip().lower() not in ("true", "false"):
                raise BadOption(f'"{key}" must be true or false, not {text!r}', "--set")
            return text.strip().lower() == "true"
        case "int":
            if not re.fullmatch(r"[0-9]+", text.strip()):
                raise BadOption(f'"{key}" must be a whole number, not {text!r}', "--set")
            return int(text.strip())
        case "date":
            if not text.strip():
                return None
            try:
                return dt.date.fromisoformat(text.strip())
            except ValueError:
                try:
                    return dt.datetime.fromisoformat(text.strip())
                except ValueError:
                    raise BadOption(f'"{key}" must be a date like 2026-11-01, not {text!r}',
                                    "--set") from None
        case _:
            return text


def _changes(original: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The fields to write and the fields to drop, from the source's values and the --set ones."""
    changes = {k: v for k, v in values.items() if v is not None}
    removed = [k for k, v in values.items() if v is None and k in original]
    # A new report is not from the source's date: without a fixed ``created`` the build stamps
    # the sources' last change (or SOURCE_DATE_EPOCH), which is still reproducible.
    if "created" not in values and "created" in original:
        removed.append("created")
    for key in ("title", "subtitle"):
        text = original.get(key)
        if key not in values and _follows_country(text, original, changes) != text:
            changes[key] = _follows_country(text, original, changes)
    return changes, tuple(removed)


def _partner_changes(original: dict[str, Any], changes: dict[str, Any]) -> dict[tuple[int, str], Any]:
    """The partners' descriptions that name the source's country, naming the new one instead
    (a partner's name is its own and stays)."""
    partners = original.get("partners")
    out = {}
    for i, partner in enumerate(partners if isinstance(partners, list) else []):
        text = partner.get("description") if isinstance(partner, dict) else None
        if _follows_country(text, original, changes) != text:
            out[(i, "description")] = _follows_country(text, original, changes)
    return out


def _follows_country(text: Any, original: dict[str, Any], changes: dict[str, Any]) -> Any:
    """``text`` with the source's country (a whole word) replaced by the new one, when
    ``changes`` gives a new country; anything else as it is."""
    old, new = original.get("country", ""), changes.get("country")
    if not (isinstance(text, str) and isinstance(old, str) and old and new and new != old):
        return text
    pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    return pattern.sub(lambda _: new, text)  # a function: no \1 in user data


def _placeholder_swap(old: Any, new: Any) -> tuple[str, str] | None:
    """A template's country is a placeholder ("[Country]"): fill it in the chapters too.

    A real country name is left alone in the chapters: there it states facts about that
    country, which the author has to rewrite, not a program.
    """
    if isinstance(old, str) and re.fullmatch(r"\[[^\[\]]+\]", old) and new and new != old:
        return old, _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(new.split()))  # data: "*" stays a star
    return None


def toml_value(value: Any) -> str:
    """``value`` as a TOML literal: strings escaped, lists of strings, booleans, integers, dates."""
    match value:
        case bool():
            return "true" if value else "false"
        case int():
            return str(value)
        case str():
            return '"' + "".join(_ESCAPES.get(c) or (f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F
                                                     else c) for c in value) + '"'
        case list() | tuple():
            return "[" + ", ".join(toml_value(v) for v in value) + "]"
        case dt.date() | dt.datetime():
            return value.isoformat()
    raise TypeError(f"no TOML form for {value!r}")


def rewrite_manifest(text: str, changes: Mapping[str, Any], removed: tuple[str, ...] = (),
                     partners: Mapping[tuple[int, str], Any] | None = None) -> str:
    """report.toml with ``changes`` written and ``removed`` dropped, comments and layout kept;
    ``partners`` maps (a [[partners]] block's index, a field it has) to a new value.

    A field's ``key = …`` lines (one, or several for a long list) become one line holding the
    new value, before the comment that followed (unless that comment described the old value:
    see ``_comment_after``); absent fields are added after the last top-level field. The
    result is read back to check it says exactly what was asked.
    """
    lines = text.splitlines(keepends=True)
    spans, end_of_top = _fields(lines, 0)
    old = tomllib.loads(text)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    replace: dict[int, tuple[int, list[str]]] = {}  # first line → (end line, new lines)
    added: list[str] = []

    def assign(span: tuple[int, int], key: str, before: Any, value: Any) -> None:
        start, end = span
        line = _assign(lines[start], toml_value(value), lambda comment: _comment_after(key, before, value, comment))
        replace[start] = (end, [line + _ending(lines[end - 1], newline)])

    for key, value in changes.items():
        if key in spans:
            assign(spans[key], key, old.get(key), value)
        else:
            added.append(f"{key} = {toml_value(value)}{newline}")
    tables = _partner_fields(lines)
    for (index, key), value in (partners or {}).items():
        assign(tables[index][key], f"partners.{key}", old["partners"][index][key], value)
    for key in removed:
        if key in spans:
            replace[spans[key][0]] = (spans[key][1], [])
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i == end_of_top and added:
            if out and not out[-1].endswith(("\n", "\r")):
                out[-1] += newline
            out += added
            added = []
        if i in replace:
            end, new = replace[i]
            out += new
            i = end
            continue
        out.append(lines[i])
        i += 1
    if added:
        if out and not out[-1].endswith(("\n", "\r")):
            out[-1] += newline
        out += added
    result = "".join(out)
    _check_rewrite(text, result, changes, removed, partners or {})
    return result


def _fields(lines: list[str], first: int) -> tuple[dict[str, tuple[int, int]], int]:
    """Each field's lines [start, end) from line ``first`` (0: the top-level fields; after a
    ``[[partners]]`` line: that block's), and where these fields end."""
    spans: dict[str, tuple[int, int]] = {}
    last_end = first
    i = first
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        match = KEY.match(lines[i])
        if stripped.startswith("[") or not match:
            break  # the first table: fields after it belong to it
        end = i + 1
        while end <= len(lines):  # the shortest run of lines that is a whole ``key = value``
            try:
                tomllib.loads("".join(lines[i:end]))
                break
            except tomllib.TOMLDecodeError:
                end += 1
        spans[match.group(1).strip('"')] = (i, end)
        last_end = i = end
    return spans, last_end


def _partner_fields(lines: list[str]) -> list[dict[str, tuple[int, int]]]:
    """The fields' lines of each ``[[partners]]`` block, in order."""
    return [_fields(lines, i + 1)[0] for i, line in enumerate(lines)
            if re.fullmatch(r"\[\[\s*partners\s*\]\]\s*(#.*)?", line.strip())]


def _assign(line: str, literal: str, comment_for: Callable[[str], str] = lambda c: c) -> str:
    """``key = literal`` keeping the line's key spelling and its trailing comment, if any, as
    ``comment_for`` rewrites it ("": none)."""
    head = line[: line.index("=") + 1]
    comment_at = _comment_start(line)
    new = f"{head} {literal}"
    comment = comment_for(line[comment_at:].rstrip("\r\n")) if comment_at is not None else ""
    if not comment:
        return new
    gap = comment_at - len(new) if len(new) + 2 <= comment_at else 2  # keep comments aligned
    return new + " " * gap + comment


def _comment_after(key: str, old: Any, new: Any, comment: str) -> str:
    """The comment after a field given a new value, or "" when it would describe the old one.

    After a choice, it names the other choices (``notes = "endnotes"  # or "footnotes"``); after
    a number or true/false, which such a comment explains, there is none; after text, it is
    kept (``# the State under review``), the old value in it for the new one
    (``style = "upr"  # or "default"``).
    """
    spec = FIELDS.get(key)
    kind = spec.kind if spec else "str"
    if old == new:
        return comment
    if kind.startswith("choice:"):
        return "# or " + ", ".join(toml_value(c) for c in kind.removeprefix("choice:").split("|") if c != new)
    if kind in ("bool", "int") or isinstance(new, (bool, int)):
        return ""
    if old is not None and toml_value(new) in comment:
        return comment.replace(toml_value(new), toml_value(old))
    return comment


def _comment_start(line: str) -> int | None:
    """Where a line's ``# comment`` begins (outside quoted strings), or None."""
    quote = None
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return i
        i += 1
    return None


def _ending(line: str, default: str) -> str:
    return line[len(line.rstrip("\r\n")):] or default


def _check_rewrite(before: str, after: str, changes: Mapping[str, Any], removed: tuple[str, ...],
                   partners: Mapping[tuple[int, str], Any]) -> None:
    """Read the rewritten file back: asked-for values present, everything else untouched."""
    old, new = tomllib.loads(before), tomllib.loads(after)
    expected = {k: v for k, v in old.items() if k not in removed}
    expected.update({k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()})
    for (index, key), value in partners.items():
        expected["partners"][index][key] = value
    if new != expected:
        wrong = sorted(k for k in set(new) | set(expected) if new.get(k) != expected.get(k))
        raise ReportError(f"could not rewrite report.toml safely (fields {', '.join(wrong)}); "
                          "nothing was written")


# --- chapters ------------------------------------------------------------------------------


def skeleton_text(text: str, placeholder: str = CATALOGUES["en"]["to_be_written"]) -> str:
    """A chapter's headings, boxes (fence and title) and ``<!-- -->`` comments; no body, no notes.

    Note calls are taken out of the headings and box titles kept, and every note definition is
    dropped, so no note is left unused or undefined. A box whose content is all dropped gets
    ``placeholder``, so it is not an empty box.
    """
    tree = SyntaxTreeNode(make_parser().parse(text, {}))
    chunks = _skeleton_blocks(tree.children, text.split("\n"), placeholder)
    return "\n\n".join(chunks).strip("\n") + "\n" if chunks else placeholder + "\n"


def _skeleton_blocks(nodes: list[SyntaxTreeNode], lines: list[str], placeholder: str) -> list[str]:
    chunks: list[str] = []
    for node in nodes:
        start, end = node.map or (0, 0)
        match node.type:
            case "heading":
                chunks.append(_NOTE_CALL.sub("", "\n".join(lines[start:end])).rstrip())
            case "html_block" if _COMMENT.fullmatch(node.content.strip()):
                chunks.append("\n".join(lines[start:end]).rstrip())
            case "container_box":
                inner = _skeleton_blocks(node.children, lines, placeholder)
                if all(chunk.lstrip().startswith("<!--") for chunk in inner):
                    inner.append(placeholder)
                opening = _NOTE_CALL.sub("", lines[start]).rstrip()
                closing = node.nester_tokens.closing.markup or node.markup
                chunks.append("\n\n".join([opening, *inner, closing]))
    return chunks
