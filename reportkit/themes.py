"""Find a style (``styles/NAME/theme.toml``), follow ``inherit``, and check everything it holds.

``theme.toml`` is read into ``Settings`` (frozen, every key typed and documented), merged key
by key over the style's ancestors and, beneath them all, the default style's: the defaults live
in ``styles/default/theme.toml`` alone. The style's fonts, its Jinja2 templates (compiled in a
sandbox: a shared house style never runs code) and its cover logo are checked when it loads,
so ``reportkit check`` reports every problem as ``path:line: message``, all at once.
"""

from __future__ import annotations

import functools
import os
import re
import traceback
import typing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

from .errors import Pos, Problem, Problems, ReportError
from .files import usable_file
from .memo import remembered, user_cache
from .tomlfile import TomlFile, describe, read_toml, unknown

# Styles shipped with reportkit: the repository's top-level styles/ when running from a
# checkout, the installed ``reportkit/styles`` package data otherwise.
_HERE = Path(__file__).resolve().parent
BUILTIN_DIRS = tuple(p for p in (_HERE.parent / "styles", _HERE / "styles") if p.is_dir())

TEMPLATES = ("report.html.j2", "report.css.j2")
"""The page shell and style sheet of the PDF: every style has them, its own or inherited."""


# --- the settings ---------------------------------------------------------------------------


class Length(str):
    """A length as ``theme.toml`` writes it ("22mm", "2cm", "1in", "12pt"); prints as written."""

    FORM = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(mm|cm|in|pt)")
    EXPECTED = 'a length ("22mm", "2cm", "1in" or "12pt")'
    _EMU = {"mm": 36000, "cm": 360000, "in": 914400, "pt": 12700}

    @property
    def emu(self) -> int:
        """The length in EMU (English Metric Units: 914,400 an inch), as Word counts."""
        match = self.FORM.fullmatch(self)
        return round(float(match[1]) * self._EMU[match[2]])


class Colour(str):
    """A colour as ``#RRGGBB``; prints as written."""

    FORM = re.compile(r"#[0-9A-Fa-f]{6}")
    EXPECTED = 'a colour as #RRGGBB ("#1F4E79")'

    @property
    def rgb(self) -> tuple[int, int, int]:
        """Red, green and blue, 0 to 255."""
        return int(self[1:3], 16), int(self[3:5], 16), int(self[5:7], 16)


class PageSize(str):
    """A paper size: "A4" or "Letter" (in any case)."""

    FORM = re.compile(r"a4|letter", re.I)
    EXPECTED = "A4 or Letter"


class LaterCitation(str):
    """How a source cited again prints: "short" or "op-cit" (see ``Citations.later``)."""

    FORM = re.compile(r"short|op-cit")
    EXPECTED = '"short" or "op-cit"'


@dataclass(frozen=True)
class Page:
    """``[page]``: the paper and its margins."""

    size: PageSize
    """The paper: "A4" or "Letter"."""
    margin_top: Length
    """The margin above the text."""
    margin_bottom: Length
    """The margin below the text (the page number stands in it)."""
    margin_inside: Length
    """The margin on the binding side (left on right-hand pages)."""
    margin_outside: Length
    """The margin away from the binding."""
    caption_room: Length
    """The room kept under a picture for its caption: a picture is at most the text's height less this."""


@dataclass(frozen=True)
class Fonts:
    """``[fonts]``: families for the PDF (bundled in the style's ``fonts/``) and the DOCX (the
    metric-compatible fonts Word users have)."""

    body: str
    """The text's family in the PDF."""
    body_docx: str
    """The text's family in the DOCX."""
    heading: str
    """The headings' family in the PDF."""
    heading_docx: str
    """The headings' family in the DOCX."""
    mono: str
    """The family of code in the PDF."""
    mono_docx: str
    """The family of code in the DOCX."""


@dataclass(frozen=True)
class Sizes:
    """``[sizes]``: font sizes in points (numbers: 11, not "11pt"), and the line height."""

    body: float
    """The text."""
    note: float
    """Notes, captions and the page footer."""
    title: float
    """The title on the cover."""
    subtitle: float
    """The subtitle, authors and date on the cover."""
    h1: float
    """Chapter headings."""
    h2: float
    """Section headings."""
    h3: float
    """Subsection headings."""
    toc: float
    """The table of contents."""
    line_height: float
    """The distance between lines, as a multiple of the font size."""


@dataclass(frozen=True)
class Colours:
    """``[colours]``: every colour of both files, as ``#RRGGBB``."""

    text: Colour
    """The text."""
    heading: Colour
    """Headings."""
    link: Colour
    """Links and note numbers."""
    title: Colour
    """The title and subtitle on the cover."""
    rule: Colour
    """Rules: under the title, above the notes, around table cells."""
    recommendation_border: Colour
    """The frame of recommendation boxes."""
    recommendation_fill: Colour
    """The background of recommendation boxes (and of table headings)."""
    recommendation_title: Colour
    """The title of recommendation boxes."""
    good_practice_border: Colour
    """The frame of good-practice boxes."""
    good_practice_fill: Colour
    """The background of good-practice boxes."""
    good_practice_title: Colour
    """The title of good-practice boxes."""
    box_border: Colour
    """The frame of other boxes."""
    box_fill: Colour
    """The background of other boxes."""
    box_title: Colour
    """The title of other boxes."""
    draft: Colour
    """The DRAFT mark and date stamp of ``--draft`` builds (the watermark at a tenth of it)."""


@dataclass(frozen=True)
class Cover:
    """``[cover]``: the style's logo and how large logos show on the cover."""

    logo: str
    """A file in the style folder shown on every report's cover ("" for none); once loaded,
    its absolute path."""
    logo_max_width: Length
    """The widest a cover logo (the report's ``logos`` and the style's) is shown."""
    logo_max_height: Length
    """The tallest a cover logo is shown."""
    partner_logo_max_width: Length
    """The widest a partner's logo is shown."""
    partner_logo_max_height: Length
    """The tallest a partner's logo is shown."""


@dataclass(frozen=True)
class BoxKind:
    """``[boxes.NAME]``: a kind of box the style defines, written ``::: NAME Title`` in a chapter
    ("question", "testimony", "data"). Writers style it from these values alone."""

    name: str
    """The kind as chapters write it: lower-case letters, digits and hyphens."""
    label: tuple[tuple[str, str], ...]
    """Its label per language (("en", "Suggested questions for the State party"), …): the
    box's title when the author gives none."""
    border: Colour
    """The frame (default: ``colours.box_border``)."""
    fill: Colour
    """The background (default: ``colours.box_fill``)."""
    title: Colour
    """The title (default: ``colours.box_title``)."""
    numbered: bool = False
    """Whether each paragraph or list item of these boxes is numbered across the report
    (1, 2, 3…, a count for each kind), as recommendations can be; ``reportkit boxes`` lists them."""
    annex: tuple[tuple[str, str], ...] = ()
    """The title per language of an annex listing every numbered item of this kind, linked to
    its box (none when empty; only for numbered kinds)."""

    def label_in(self, language: str) -> str:
        """The label in ``language`` ("fr", "fr-CH"…), else in English, else the first given."""
        return _in_language(self.label, language)

    def annex_in(self, language: str) -> str:
        """The annex's title in ``language``, as ``label_in``; "" for no annex."""
        return _in_language(self.annex, language) if self.annex else ""

    @property
    def style_name(self) -> str:
        """The Word paragraph style of its boxes: "Question" for ``question``, "Key Data" for ``key-data``."""
        return self.name.replace("-", " ").title()


def _in_language(texts: tuple[tuple[str, str], ...], language: str) -> str:
    found = dict(texts)
    base = language.split("-")[0].lower()
    return found.get(base) or found.get("en") or next(iter(found.values()), "")


@dataclass(frozen=True)
class Citations:
    """``[citations]``: how notes cite the report's sources (``sources.toml``, ``sources.json``)."""

    later: LaterCitation
    """A source cited again, not in the note right after (that one says "Ibid."): "short" (its
    author and short title) or "op-cit" (its author and "op. cit.")."""


@dataclass(frozen=True)
class Settings:
    """Everything ``theme.toml`` says, merged over the style's ancestors and the default style."""

    page: Page
    """``[page]``."""
    fonts: Fonts
    """``[fonts]``."""
    sizes: Sizes
    """``[sizes]``."""
    colours: Colours
    """``[colours]``."""
    cover: Cover
    """``[cover]``."""
    citations: Citations
    """``[citations]``."""
    boxes: tuple[BoxKind, ...] = ()
    """``[boxes.NAME]`` tables: the kinds of box the style defines besides the built-in ones."""

    def box_kind(self, name: str) -> BoxKind | None:
        """The style's kind ``name``, or None (a built-in kind, or unknown)."""
        return next((k for k in self.boxes if k.name == name), None)


_TABLES: dict[str, type] = {k: v for k, v in typing.get_type_hints(Settings).items() if k != "boxes"}

SCHEMA: dict[str, dict[str, type]] = {table: typing.get_type_hints(cls) for table, cls in _TABLES.items()}
"""Table → key → the type of its value: every key ``theme.toml`` may hold, besides ``inherit``."""

_EXPECTED = {str: "a string", float: "a positive number"}


def setting_names() -> list[str]:
    """Every setting as "table.key", in the order ``Settings`` declares them."""
    return [f"{table}.{key}" for table, kinds in SCHEMA.items() for key in kinds]


def css_string(text: str) -> str:
    """A quoted CSS string: backslashes, quotes, line ends and "<" (no "</style>") escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    return f'"{escaped}"'


# --- the loaded style -----------------------------------------------------------------------


@dataclass(frozen=True)
class Face:
    """A font file bundled with the style, and what it provides."""

    path: Path
    """The file."""
    family: str
    """The family name the file gives ("Carlito")."""
    weight: int
    """400 regular, 700 bold…"""
    italic: bool
    """True for an italic face."""
    characters: frozenset[int] = field(default=frozenset(), compare=False, repr=False)
    """The code points it has glyphs for."""


@dataclass(frozen=True)
class Theme:
    """A loaded, checked style: its folders (child first), settings, fonts and templates."""

    name: str
    """The style's name, as given."""
    dirs: tuple[Path, ...]
    """The style folder and those of its ancestors, child first (the search path of files)."""
    settings: Settings
    """``theme.toml`` merged over its ancestors' and the default style's."""
    faces: tuple[Face, ...] = ()
    """The bundled fonts (``fonts/`` of every folder; a child's file replaces its parent's)."""
    templates: tuple[tuple[str, str, int, int], ...] = ()
    """The templates found (name, file, modification time, size): what ``render`` uses,
    compiled once per process."""

    def find(self, relative: str) -> Path | None:
        """The first file of that name in the style or its ancestors."""
        for folder in self.dirs:
            candidate = folder / relative
            if candidate.is_file():
                return candidate
        return None

    def render(self, name: str, **context: Any) -> str:
        """The style's template ``name`` rendered in the sandbox; an error in it (an unknown
        variable, an attribute the sandbox refuses) is a ReportError at its line."""
        from jinja2 import TemplateNotFound

        templates, problems = _compiled(self.templates)
        if problems:  # found by ``load_theme``, unless a template changed since
            raise ReportError(list(problems))
        template = templates[name]
        try:
            return template.render(**context)
        except Exception as err:  # whatever a template does wrong, reported at its line
            where = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.endswith(".j2")]
            if not where:
                raise
            message = f'the style has no template "{err.name}"' if isinstance(err, TemplateNotFound) else str(err)
            raise ReportError(f"template error: {message}", Pos(where[-1].filename, where[-1].lineno or 0)) from None


STYLES_VARIABLE = "REPORTKIT_STYLES"
"""The environment variable naming folders of shared styles (several joined by ``os.pathsep``);
``--styles DIR`` sets it."""


def style_dirs(report_root: Path | None) -> list[Path]:
    """Where styles are looked for, the first folder holding the name winning: the report's own
    ``styles/``; the folders ``REPORTKIT_STYLES`` names; the ``styles/`` beside the folder of
    reports (``project/styles/`` for ``project/reports/NAME``), so a coalition shares its house
    style without writing into the installed package; then the shipped ones."""
    dirs = [report_root / "styles"] if report_root else []
    dirs += [Path(p) for p in os.environ.get(STYLES_VARIABLE, "").split(os.pathsep) if p.strip()]
    if report_root:
        dirs.append(report_root.resolve().parent.parent / "styles")
    return list(dict.fromkeys(dirs + list(BUILTIN_DIRS)))


def available_styles(report_root: Path | None = None) -> list[str]:
    """Names of every style that can be used from this report."""
    return sorted(
        {p.parent.name for d in style_dirs(report_root) if d.is_dir() for p in d.glob("*/theme.toml")}
    )


def find_style(name: str, report_root: Path | None) -> Path | None:
    """The folder of style ``name``, or None; a name is never a path, so nothing outside is used."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    for base in style_dirs(report_root):
        if (base / name / "theme.toml").is_file():
            return base / name
    return None


def load_theme(name: str, report_root: Path | None = None, pos: Pos | None = None) -> Theme:
    """Load style ``name`` with its ancestors and check it all.

    Raises one ReportError listing every problem: an unknown style or inheritance loop (at
    ``pos``, or the ``inherit`` line), TOML syntax, unknown keys and wrong values (at their line
    in ``theme.toml``), a cover logo outside the style, fonts that cannot be read, templates
    that do not compile or reach outside the sandbox (at their file and line).
    """
    chain: list[Path] = []
    files: list[TomlFile] = []
    current, where = name, pos
    while current:
        folder = find_style(current, report_root)
        if folder is None:
            known = ", ".join(available_styles(report_root)) or "none"
            raise ReportError(f'unknown style "{current}" (available: {known})', where)
        if folder.resolve() in [c.resolve() for c in chain]:
            raise ReportError(f'style "{current}" inherits from itself', where)
        toml = read_toml(folder / "theme.toml")
        chain.append(folder)
        files.append(toml)
        current, where = toml.data.get("inherit", ""), toml.pos("inherit")
        if not isinstance(current, str):
            raise ReportError(f'"inherit" must be a style name, not {describe(current)}', where)
    default = find_style("default", None)
    if default is not None and default.resolve() not in [c.resolve() for c in chain]:
        files.append(read_toml(default / "theme.toml"))  # its settings only: not its files

    problems = Problems()
    merged: dict[str, dict[str, tuple[Any, Pos]]] = {table: {} for table in SCHEMA}
    boxes: dict[str, dict[str, tuple[Any, Pos]]] = {}
    for toml in reversed(files):
        for table, values in _checked(toml, problems).items():
            merged[table].update(values)
        for kind, values in _box_tables(toml, problems).items():
            boxes.setdefault(kind, {}).update(values)
    dirs = tuple(chain)
    logo, logo_pos = merged["cover"].get("logo", ("", None))
    if logo:
        merged["cover"]["logo"] = (_style_file(logo, dirs, logo_pos, problems), logo_pos)
    faces = _faces(dirs, problems)
    found = _template_files(dirs, problems)
    problems.items += _template_problems(found)
    for missing in sorted(set(TEMPLATES) - {t[0] for t in found}):
        problems.error(f'the style has no {missing} (inherit = "default" to use the default\'s)',
                       Pos(files[0].path, 0))
    base = files[-1].path
    for table, kinds in SCHEMA.items():
        for key in kinds.keys() - merged[table].keys():
            problems.error(f'missing setting "{table}.{key}"', Pos(base, 0))
    kinds = _box_kinds(boxes, {k: v for k, (v, _) in merged["colours"].items()}, problems)
    problems.raise_errors()
    settings = Settings(**{table: _TABLES[table](**{k: v for k, (v, _) in merged[table].items()})
                           for table in SCHEMA}, boxes=kinds)
    return Theme(name, dirs, settings, faces, found)


def _checked(toml: TomlFile, problems: Problems) -> dict[str, dict[str, tuple[Any, Pos]]]:
    """The settings of one ``theme.toml``, each value of its type with its position; what is
    unknown or of the wrong type goes to ``problems``."""
    out: dict[str, dict[str, tuple[Any, Pos]]] = {}
    for table, values in toml.data.items():
        if table in ("inherit", "boxes"):  # followed by load_theme; read by _box_tables
            continue
        kinds = SCHEMA.get(table)
        if kinds is None:
            problems.error(unknown(table, [*SCHEMA, "boxes", "inherit"], noun="setting"), toml.pos(table))
            continue
        if not isinstance(values, dict):
            problems.error(f'"{table}" must be a table ([{table}]), not {describe(values)}', toml.pos(table))
            continue
        for key, value in values.items():
            pos = toml.pos(table, key)
            if key not in kinds:
                problems.error(unknown(key, kinds, f"{table}.", noun="setting"), pos)
            elif (typed := _typed(kinds[key], value)) is None:
                expected = getattr(kinds[key], "EXPECTED", None) or _EXPECTED[kinds[key]]
                problems.error(f'"{table}.{key}" must be {expected}, not {describe(value)}', pos)
            else:
                out.setdefault(table, {})[key] = (typed, pos)
    return out


BUILT_IN_BOXES = ("recommendation", "good-practice", "box")
"""The kinds every style has (their colours are in ``[colours]``)."""

BOX_SCHEMA: dict[str, type] = {"label": dict, "border": Colour, "fill": Colour, "title": Colour,
                               "numbered": bool, "annex": dict}
"""The keys of a ``[boxes.NAME]`` table; ``dict`` is a text per language (or one for all)."""

_BOX_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def _box_tables(toml: TomlFile, problems: Problems) -> dict[str, dict[str, tuple[Any, Pos]]]:
    """The ``[boxes.NAME]`` tables of one ``theme.toml``, each value checked and typed, with its
    position; what is wrong goes to ``problems``."""
    from .labels import CATALOGUES

    tables = toml.data.get("boxes", {})
    if not isinstance(tables, dict):
        problems.error(f'"boxes" must be tables ([boxes.question]), not {describe(tables)}', toml.pos("boxes"))
        return {}
    out: dict[str, dict[str, tuple[Any, Pos]]] = {}
    for name, values in tables.items():
        where = toml.pos("boxes", name)
        if name in BUILT_IN_BOXES:
            problems.error(f'box kind "{name}" is built in: its colours are set in [colours]', where)
            continue
        if not _BOX_NAME.fullmatch(name) or not isinstance(values, dict):
            problems.error(f'[boxes.{name}]: a box kind is a table named in lower-case letters, digits and '
                           'hyphens ([boxes.question])', where)
            continue
        out[name] = {"": (None, where)}  # the table's own line, for what it lacks
        for key, value in values.items():
            pos = toml.pos("boxes", name, key)
            kind = BOX_SCHEMA.get(key)
            if kind is None:
                problems.error(unknown(key, BOX_SCHEMA, f"boxes.{name}.", noun="setting"), pos)
                continue
            if kind is dict:
                value = {"en": value} if isinstance(value, str) else value
                wrong = not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values())
                if wrong:
                    problems.error(f'"boxes.{name}.{key}" must be a text, or a table of texts by language '
                                   f'({{ en = "…", fr = "…" }}), not {describe(value)}', pos)
                    continue
                for language in value.keys() - CATALOGUES.keys():
                    problems.error(unknown(language, CATALOGUES, noun="language") + f" in boxes.{name}.{key} "
                                   f"(reportkit has labels for {', '.join(CATALOGUES)})", pos)
                out[name][key] = (tuple(value.items()), pos)
            elif (typed := _typed(kind, value)) is None:
                expected = "true or false" if kind is bool else kind.EXPECTED
                problems.error(f'"boxes.{name}.{key}" must be {expected}, not {describe(value)}', pos)
            else:
                out[name][key] = (typed, pos)
    return out


def _box_kinds(tables: dict[str, dict[str, tuple[Any, Pos]]], colours: dict[str, Any],
               problems: Problems) -> tuple[BoxKind, ...]:
    """The merged ``[boxes.NAME]`` tables as kinds; colours not given are those of other boxes."""
    kinds = []
    for name, values in tables.items():
        given = {k: v for k, (v, _) in values.items() if k}
        where = values[""][1]
        if "label" not in given:
            problems.error(f'box kind "{name}" needs a label (label = "…", or {{ en = "…", fr = "…" }})', where)
            continue
        if given.get("annex") and not given.get("numbered"):
            problems.error(f'"boxes.{name}.annex" lists numbered items: add numbered = true', values["annex"][1])
        defaults = {"border": colours.get("box_border"), "fill": colours.get("box_fill"), "title": colours.get("box_title")}
        kinds.append(BoxKind(name, **(defaults | given)))
    return tuple(kinds)


def _typed(kind: type, value: Any) -> Any:
    """``value`` as a ``kind`` (str, float, Length, Colour, PageSize), or None if it is not one."""
    if kind is bool:
        return value if isinstance(value, bool) else None
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        return value if ok else None  # 11 stays 11: the style sheet prints it as written
    if not isinstance(value, str):
        return None
    if kind is str:
        return value
    return kind(value) if kind.FORM.fullmatch(value) else None


def _style_file(name: str, dirs: tuple[Path, ...], pos: Pos | None, problems: Problems) -> str:
    """A file the settings name (the cover logo), as an absolute path: the first folder of the
    style that has it, and it must lie in one of them once symlinks are resolved."""
    base = next((d for d in dirs if (d / name).is_file()), dirs[0])
    path, problem = usable_file(name, base, dirs, "cover logo", "style folder")
    if not problem:
        from .parse import image_problem

        problem = image_problem(name, path)
    if problem:
        problems.error(problem, pos)
    return str(path)


def _faces(dirs: tuple[Path, ...], problems: Problems) -> tuple[Face, ...]:
    """Every font file in the folders' ``fonts/``, child first (a child may add or replace
    fonts), with family, weight and style read from the file."""
    fonts: dict[str, Path] = {}
    for folder in dirs:
        for path in sorted((folder / "fonts").glob("*.[ot]tf")):
            fonts.setdefault(path.name, path)
    if not fonts:
        return ()
    faces = []
    for path in fonts.values():
        _, problem = usable_file(f"fonts/{path.name}", path.parent.parent, dirs, "font", "style folder")
        if problem:
            problems.error(problem, Pos(str(path)))
            continue
        try:
            data = path.read_bytes()
            family, weight, italic, characters = remembered("fonts", [path.stem.encode(), data],
                                                            partial(_read_face, path))
        except Exception as err:  # fontTools raises many types for files it cannot read
            problems.error(f"cannot be read as a font: {err}", Pos(str(path)))
            continue
        faces.append(Face(path, family, weight, italic, frozenset(characters)))
    return tuple(faces)


def _read_face(path: Path) -> tuple[str, int, bool, list[int]]:
    """A font file's family, weight, italic flag and code points, as fontTools reads them."""
    from fontTools.ttLib import TTFont  # WeasyPrint depends on fontTools already

    with TTFont(path, lazy=True) as font:
        names, os2 = font["name"], font["OS/2"]
        family = names.getDebugName(16) or names.getDebugName(1) or path.stem
        # Numbers for glyph names: the cmap then maps to them without reading the names of all
        # the font's glyphs, which takes five times as long as the rest.
        font.setGlyphOrder([str(gid) for gid in range(font["maxp"].numGlyphs)])
        characters = sorted(font.getBestCmap() or ())
        return family, os2.usWeightClass, bool(os2.fsSelection & 1), characters  # bit 0: ITALIC


def _template_files(dirs: tuple[Path, ...], problems: Problems) -> tuple[tuple[str, str, int, int], ...]:
    """Each template name the style's search path finds (child first), with the file it finds
    and that file's modification time and size; a file leading outside the style is refused."""
    found: dict[str, tuple[str, str, int, int]] = {}
    for folder in dirs:
        for path in sorted(folder.rglob("*.j2")):
            name = path.relative_to(folder).as_posix()
            if name in found:
                continue
            _, problem = usable_file(name, folder, dirs, "template", "style folder")
            if problem:
                problems.error(problem, Pos(str(path)))
                continue
            stat = path.stat()
            found[name] = (name, str(path), stat.st_mtime_ns, stat.st_size)
    return tuple(sorted(found.values()))


def _template_problems(found: tuple[tuple[str, str, int, int], ...]) -> list[Problem]:
    """The problems of the templates ``found``: what does not compile (``_compiled``) and what
    the sandbox would refuse (``_unsafe_lines``). Remembered between runs by the templates' names
    and contents and Jinja2's version: ``check`` then need not load Jinja2 (0.1 s) for a style
    whose templates are as they were."""
    import importlib.util

    def found_problems() -> list[Problem]:
        return [*_compiled(found)[1], *_unsafe_lines(found)]

    paths = [path for _, path, _, _ in found]
    try:
        parts = [Path(importlib.util.find_spec("jinja2").origin).read_bytes()]  # holds its version
        for name, path, _, _ in found:
            parts += [name.encode(), Path(path).read_bytes()]
    except OSError:
        return found_problems()
    kept = remembered("templates", parts,
                      lambda: [(paths.index(p.pos.path), p.pos.line, p.message) for p in found_problems()])
    return [Problem(message, Pos(paths[index], line)) for index, line, message in kept]


@functools.lru_cache(maxsize=8)
def _compiled(found: tuple[tuple[str, str, int, int], ...]) -> tuple[dict[str, Any], tuple[Problem, ...]]:
    """The templates ``found`` compiled in one sandboxed environment, and their syntax errors.
    The environment loads those files only, also for ``{% include %}`` and ``{% extends %}``.

    Cached per process: ``found`` holds each file's time and size, so an edited or added
    template is compiled anew (watch), an unchanged one only once; and between processes by
    Jinja2's bytecode cache in the user's cache folder, which compares the source itself."""
    import jinja2  # here, not at the top: only styles being checked or rendered need it
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    files = {name: path for name, path, _, _ in found}

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        path = files.get(name)
        return None if path is None else (Path(path).read_text(encoding="utf-8"), path, lambda: True)

    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FunctionLoader(load),
        autoescape=jinja2.select_autoescape(["html.j2", "xml.j2"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["css_string"] = css_string
    templates, problems = {}, []
    for name, path, _, _ in found:
        try:
            templates[name] = env.get_template(name)
        except jinja2.TemplateSyntaxError as err:
            problems.append(Problem(f"template syntax error: {err.message}", Pos(path, err.lineno)))
        except UnicodeDecodeError as err:
            problems.append(Problem(f"not UTF-8 text (byte {err.start})", Pos(path)))
    return templates, tuple(problems)


def _bytecode_cache() -> Any:
    """Jinja2's cache of compiled templates in the user's cache folder, or None when that
    folder cannot be made; a template that cannot be saved there is only compiled again."""
    import jinja2

    class Quiet(jinja2.FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    folder = user_cache() / "templates-compiled"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return Quiet(str(folder))


def _unsafe_lines(found: tuple[tuple[str, str, int, int], ...]) -> list[Problem]:
    """Each line of the templates ``found`` that reaches for an attribute the sandbox refuses
    (``_unsafe``); templates that do not parse are left to ``_compiled``."""
    import jinja2

    env = jinja2.Environment(keep_trailing_newline=True)
    problems = []
    for _, path, _, _ in found:
        try:
            source = Path(path).read_text(encoding="utf-8")
            problems += [Problem(message, Pos(path, line)) for line, message in _unsafe(env.parse(source), source)]
        except (jinja2.TemplateSyntaxError, UnicodeDecodeError):
            pass
    return problems


def _unsafe(tree: Any, source: str) -> list[tuple[int, str]]:
    """(line, message) for each line of a template reaching for an attribute whose name starts
    with "_" (``cycler.__init__.__globals__``): the sandbox refuses those when rendering."""
    from jinja2 import nodes

    named: dict[int, list[str]] = {}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        match node:  # x.name, x["name"], x | attr("name")
            case (nodes.Getattr(attr=str(attr)) | nodes.Getitem(arg=nodes.Const(value=str(attr)))
                  | nodes.Filter(name="attr", args=[nodes.Const(value=str(attr)), *_])) if attr.startswith("_"):
                named.setdefault(node.lineno, []).append(attr)
    lines = source.splitlines()
    out = []
    for line, attrs in sorted(named.items()):
        text = lines[line - 1] if line <= len(lines) else ""
        first = min(attrs, key=lambda a: text.find(a) if a in text else len(text))  # as read
        out.append((line, f'template error: access to attribute "{first}" is unsafe '
                          "(a style template may not reach Python's internals)"))
    return out
