"""Find a style (``styles/NAME/theme.toml``), follow ``inherit``, and merge its settings."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Pos, ReportError

# Styles shipped with reportkit: the repository's top-level styles/ when running from a
# checkout, the installed ``reportkit/styles`` package data otherwise.
_HERE = Path(__file__).resolve().parent
BUILTIN_DIRS = tuple(p for p in (_HERE.parent / "styles", _HERE / "styles") if p.is_dir())


@dataclass(frozen=True)
class Theme:
    """A loaded style: its folders (child first) and merged settings."""

    name: str
    """The style's name, as given."""
    dirs: tuple[Path, ...]
    """The style folder and those of its ancestors, child first (template search path)."""
    settings: dict[str, Any]
    """theme.toml merged over its ancestors' (tables merged key by key)."""

    def get(self, dotted: str, default: Any = None) -> Any:
        """A setting by dotted name, e.g. ``theme.get("colours.heading")``."""
        value: Any = self.settings
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    def find(self, relative: str) -> Path | None:
        """The first file of that name in the style or its ancestors."""
        for folder in self.dirs:
            candidate = folder / relative
            if candidate.is_file():
                return candidate
        return None

    def fonts(self) -> list[Path]:
        """Every bundled font file, child styles first (a child may add or replace fonts)."""
        seen: dict[str, Path] = {}
        for folder in self.dirs:
            for font in sorted((folder / "fonts").glob("*.[ot]tf")):
                seen.setdefault(font.name, font)
        return list(seen.values())


def style_dirs(report_root: Path | None) -> list[Path]:
    """Where styles are looked for: the report's own ``styles/`` first, then the shipped ones."""
    dirs = [report_root / "styles"] if report_root else []
    return dirs + list(BUILTIN_DIRS)


def load_theme(name: str, report_root: Path | None = None, pos: Pos | None = None) -> Theme:
    """Load style ``name`` and its ancestors; unknown names and inheritance loops are errors."""
    chain: list[Path] = []
    settings: list[dict[str, Any]] = []
    current, where = name, pos
    while current:
        folder = find_style(current, report_root)
        if folder is None:
            known = ", ".join(sorted(available_styles(report_root))) or "none"
            raise ReportError(f'unknown style "{current}" (available: {known})', where)
        if folder in chain:
            raise ReportError(f'style "{current}" inherits from itself', where)
        toml_path = folder / "theme.toml"
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ReportError(f"{err.msg}", Pos(str(toml_path), getattr(err, "lineno", 0))) from None
        chain.append(folder)
        settings.append(data)
        current, where = str(data.get("inherit", "") or ""), Pos(str(toml_path), 1)
    merged: dict[str, Any] = {}
    for data in reversed(settings):
        merged = _merge(merged, data)
    merged.pop("inherit", None)
    return Theme(name, tuple(chain), merged)


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
            return (base / name).resolve()
    return None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
