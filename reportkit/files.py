"""The one rule for the files a report may use: a file that exists, inside the report or its style.

It is applied where a file is named, so its error has a position: images in ``parse.py``, chapters
and logos in ``manifest.py``, fonts, templates and the cover logo in ``themes.py``. Writers trust the
model; the PDF engine's fetcher applies ``is_contained`` again while it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from .model import Report
    from .themes import Theme


def url_scheme(url: str) -> str:
    """The scheme of ``url`` in lower case ("http", "data"…), or "" for a file name."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() if len(parts.scheme) > 1 else ""  # "C:" is a drive, not a scheme


def is_contained(path: Path | str, roots: Iterable[Path | str]) -> bool:
    """Whether ``path``, symlinks resolved, lies inside one of the folders ``roots``."""
    real = Path(path).resolve()
    return any(real.is_relative_to(Path(root).resolve()) for root in roots)


def usable_file(name: str, base: Path, roots: Iterable[Path | str], what: str,
                place: str = "report folder", url: bool = False) -> tuple[Path, str]:
    """The file ``name`` (relative to ``base``, symlinks resolved) and why it may not be used:
    "" when it is a file inside one of ``roots``, else a message naming it as ``what``
    ("image", "logo"…) and the folder it must be in as ``place``. With ``url``, ``name`` is
    written as a URL (a Markdown image source): its %-escapes are decoded to find the file."""
    if url_scheme(name):
        return Path(), f'{what} "{name[:80]}": only files inside the {place} can be used'
    target = (base / (unquote(name) if url else name)).resolve()
    if not is_contained(target, roots):
        return target, f'{what} "{name}" is outside the {place}'
    if not target.is_file():
        return target, f'{what} "{name}" not found'
    return target, ""


def allowed_roots(report: Report, theme: Theme) -> list[Path]:
    """The folders a report's files may be read from: the report's and its style's (resolved)."""
    roots = [Path(report.root).resolve()] if report.root else []
    return roots + [Path(d).resolve() for d in theme.dirs]
