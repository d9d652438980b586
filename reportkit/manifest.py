"""Read and validate ``report.toml`` into ``model.Metadata``, gathering every problem at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import Pos, Problems, ReportError
from .files import is_contained, usable_file
from .labels import CATALOGUES
from .model import Metadata, Partner
from .parse import placeholder_message, placeholders_in
from .themes import available_styles, find_style
from .tomlfile import describe, key_lines, read_toml, unknown


@dataclass(frozen=True)
class Field:
    """One ``report.toml`` key: its expected type, default and meaning (shown in the README)."""

    kind: str
    """"str", "strs" (list of strings), "bool", "int", "date", "partners" or "choice:a|b"."""
    default: Any
    """The value when the key is absent."""
    doc: str
    """One line for authors."""


FIELDS: dict[str, Field] = {
    "title": Field("str", None, "The report's title (required)."),
    "subtitle": Field("str", "", "A line under the title on the cover."),
    "authors": Field("strs", [], "Organisations or people who wrote the report."),
    "partners": Field("partners", [], "[[partners]] tables: name, description, logo."),
    "date": Field("str", "", 'The date on the cover, as you want it shown ("July 2013", or a date: 2013-07-01).'),
    "created": Field("date", "", "Date stamped in the files' metadata (default: the sources' last change)."),
    "language": Field("str", "en", "Language of the text: en, fr, es or ru (a regional variant such as fr-CH too)."),
    "country": Field("str", "", "The country the report is about."),
    "treaty": Field("str", "", "The treaty or review the report addresses."),
    "articles": Field("strs", [], "The articles it covers."),
    "keywords": Field("strs", [], "Extra keywords for the files' metadata."),
    "logos": Field("strs", [], "Logo images for the cover, relative to the report folder."),
    "style": Field("str", "default", "The style to build with (a folder in styles/)."),
    "confidentiality": Field("choice:public|confidential", "public",
                             "confidential: the report asks the treaty body not to publish it, and says so "
                             "on its cover, in every page's footer and in the files' properties."),
    "notes": Field("choice:footnotes|endnotes", "footnotes", "Notes at the foot of each page, or collected at the end."),
    "number_headings": Field("bool", False, "Number headings automatically: 1, 2.2, 2.2.1."),
    "number_paragraphs": Field("bool", False, "Number body paragraphs 1, 2, 3… (UPR submissions)."),
    "recommendations_summary": Field("bool", False, "Add an annex listing every recommendation, linked."),
    "number_recommendations": Field("bool", False, "Print each recommendation's number in its box."),
    "number_captions": Field("bool", False, 'Number table and figure captions: "Table 1: …", "Figure 2: …".'),
    "list_of_tables": Field("bool", False, "Add a list of tables after the contents."),
    "list_of_figures": Field("bool", False, "Add a list of figures after the contents."),
    "toc_depth": Field("int", 2, "Heading levels in the contents (0 for no contents page)."),
    "word_limit": Field("int", 0, "The submission's word limit (0: none)."),
    "count_notes": Field("bool", True, "Whether notes count towards the word limit."),
    "source_map": Field("bool", True, "Write the DOCX's source map, for reportkit review (false: the final file)."),
    "chapters": Field("strs", [], "Chapter files in order (default: every .md file, by name)."),
}

PARTNER_FIELDS = ("name", "description", "logo")

_NEGATIVE = {
    "word_limit": '"word_limit" must be a positive number of words (0 for no limit), not {value}',
    "toc_depth": '"toc_depth" must be between 0 and 6',
}
"""What a negative number says, for the whole-number fields."""

_TYPE_NAMES = {"str": "a string", "strs": "a list of strings", "bool": "true or false",
               "int": "a whole number", "date": "a date (2013-07-01)", "partners": "a list of [[partners]] tables"}


def load_manifest(report_dir: Path) -> tuple[Metadata, list[Path], Problems]:
    """Read ``report_dir/report.toml``; return the metadata, the chapter files and any warnings.

    Raises one ReportError listing every error found (syntax, unknown keys, wrong types,
    missing chapter files), each as ``report.toml:LINE: message``.
    """
    path = report_dir / "report.toml"
    where = str(path)
    problems = Problems()
    if not path.is_file():
        raise ReportError(f"{report_dir} has no report.toml (is this a report folder?)")
    toml = read_toml(path)
    data, pos = toml.data, toml.pos

    values: dict[str, Any] = {}
    for key, value in data.items():
        spec = FIELDS.get(key)
        if spec is None:
            problems.error(unknown(key, FIELDS), pos(key))
            continue
        checked = _check(key, value, spec, pos, problems, report_dir)
        if checked is not None:
            values[key] = checked
        _warn_placeholders(key, value, pos, problems)
    if "title" not in data:
        _missing_title(toml, problems)
    elif not str(data["title"]).strip():
        problems.error('"title" is empty', pos("title"))

    style = values.get("style", FIELDS["style"].default)
    if isinstance(style, str) and find_style(style, report_dir) is None:
        known = ", ".join(available_styles(report_dir)) or "none"
        problems.error(f'unknown style "{style}" (available: {known})', pos("style"))

    chapters = _chapter_files(report_dir, values.get("chapters"), pos("chapters"), problems)
    problems.raise_errors()
    values["chapters"] = [str(c.relative_to(report_dir)) for c in chapters]
    meta = Metadata(**{k: _freeze(v) for k, v in values.items()})
    return meta, chapters, problems


def _missing_title(toml: Any, problems: Problems) -> None:
    """Say where the title should be: a "title" under a table (written after a [[partners]] block,
    say) is that table's; otherwise the top-level fields start at the first key."""
    nested = sorted((line, key) for key, line in toml.lines.items() if len(key) > 1 and key[-1] == "title")
    if nested:
        line, key = nested[0]
        header = f"[[{key[0]}]]" if isinstance(toml.data.get(key[0]), list) else f"[{'.'.join(key[:-1])}]"
        problems.error(f'missing required field "title": this "title" belongs to the {header} table above '
                       "it; move it above the first [table]", Pos(toml.path, line))
        return
    first = min((line for key, line in toml.lines.items() if len(key) == 1), default=1)
    problems.error('missing required field "title": add title = "…" at the top', Pos(toml.path, first))


def _warn_placeholders(key: str, value: Any, pos: Callable[..., Pos], problems: Problems) -> None:
    """Warn of each template placeholder ("[Country]") left in a value, at its line."""
    match value:
        case str():
            for placeholder in dict.fromkeys(placeholders_in(value)):
                problems.warn(placeholder_message(placeholder), pos(key))
        case list():
            for i, item in enumerate(value):
                if isinstance(item, dict):  # [[partners]]: each key has its own line
                    for name, inner in item.items():
                        _warn_placeholders(key, inner, lambda *_: pos(key, str(i), name), problems)
                else:
                    _warn_placeholders(key, item, pos, problems)


def key_pos(report_dir: Path, key: str) -> Pos:
    """Where a top-level key stands in ``report.toml`` (for warnings found after loading)."""
    path = report_dir / "report.toml"
    return Pos(str(path), key_lines(path.read_text(encoding="utf-8-sig")).get((key,), 0))


def _check(key: str, value: Any, spec: Field, pos: Callable[..., Pos],
           problems: Problems, report_dir: Path) -> Any:
    kind = spec.kind
    if kind.startswith("choice:"):
        choices = kind.split(":", 1)[1].split("|")
        if value not in choices:
            problems.error(f'"{key}" must be one of {", ".join(choices)}, not {value!r}', pos(key))
            return None
        return value
    ok = {
        "str": lambda v: isinstance(v, str),
        "strs": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "date": lambda v: isinstance(v, (dt.date, str)),
        "partners": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
    }[kind](value)
    if key == "date" and isinstance(value, dt.date):
        return value.isoformat()  # date = 2026-03-01, a TOML date: shown as written
    if not ok and kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        problems.error(_NEGATIVE.get(key, '"{key}" must be 0 or more, not {value}').format(key=key, value=value),
                       pos(key))
        return None
    if not ok:
        problems.error(f'"{key}" must be {_TYPE_NAMES[kind]}, not {describe(value)}', pos(key))
        return None
    if key == "language" and value.split("-")[0].lower() not in CATALOGUES:
        problems.error(f'"language" must be one of {", ".join(CATALOGUES)} (the languages reportkit has '
                       f"labels for), not {value!r}", pos(key))
        return None
    if kind == "date":
        return _iso_date(key, value, pos, problems)
    if key == "logos":
        return [_logo(report_dir, v, pos(key), problems) for v in value]
    if kind == "partners":
        return _partners(value, pos, problems, report_dir)
    if key == "toc_depth" and value > 6:
        problems.error('"toc_depth" must be between 0 and 6', pos(key))
    return value


def _partners(value: list[dict], pos: Callable[..., Pos], problems: Problems,
              report_dir: Path) -> list[Partner]:
    partners = []
    for i, table in enumerate(value):
        where = pos("partners", str(i))
        for key, item in table.items():
            if key not in PARTNER_FIELDS:
                problems.error(unknown(key, dict.fromkeys(PARTNER_FIELDS), "partners."),
                               pos("partners", str(i), key))
            elif not isinstance(item, str):
                problems.error(f'"partners.{key}" must be a string, not {describe(item)}',
                               pos("partners", str(i), key))
        if not isinstance(table.get("name"), str) or not table.get("name", "").strip():
            problems.error('every [[partners]] entry needs a "name"', where)
            continue
        logo = table.get("logo", "")
        if isinstance(logo, str) and logo:
            logo = _logo(report_dir, logo, where, problems)
        partners.append(Partner(table["name"], str(table.get("description", "")), logo or ""))
    return partners


def _logo(report_dir: Path, name: str, pos: Pos, problems: Problems) -> str:
    """A logo the manifest names, as an absolute path; it must be a file inside the report folder."""
    path, problem = usable_file(name, report_dir, [report_dir], "logo")
    if problem:
        problems.error(problem, pos)
    return str(path)


def _chapter_files(report_dir: Path, listed: list[str] | None, pos: Pos,
                   problems: Problems) -> list[Path]:
    if listed is None:
        found = sorted(p for p in report_dir.glob("*.md") if p.is_file())
        if not found:
            problems.error("no chapter files: list them in chapters = [...] or add .md files",
                           Pos(str(report_dir / "report.toml"), 1))
        return found
    files, seen = [], set()
    for name in listed:
        resolved, problem = usable_file(name, report_dir, [report_dir], "chapter")
        if resolved in seen:
            problems.error(f'chapter "{name}" is listed twice', pos)
        elif problem and resolved.is_dir() and is_contained(resolved, [report_dir]):
            problems.error(f'chapter "{name}" is a folder, not a file', pos)
        elif problem:
            problems.error(problem, pos)
        else:
            files.append(report_dir / name)
        seen.add(resolved)
    for path in sorted(report_dir.glob("*.md")):
        if path.is_file() and path.resolve() not in seen:
            problems.warn(f'"{path.name}" is in the report folder but not in chapters: add it to the list '
                          "to build it, or move it out of the folder", pos)
    return files


def _iso_date(key: str, value: Any, pos: Callable[..., Pos], problems: Problems) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            problems.error(f'"{key}" must be a date like 2013-07-01, not {value!r}', pos(key))
            return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat()
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).isoformat()


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
