"""Output formats. Each writer module has ``render(report, theme, options) -> Rendered``.

Writers are imported only when a build needs them, so ``reportkit check`` and
``reportkit --help`` never pay for WeasyPrint or python-docx.
"""

from __future__ import annotations

import contextlib
import importlib
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

WRITERS: dict[str, str] = {
    "pdf": "reportkit.writers.pdf",
    "docx": "reportkit.writers.docx",
    "html": "reportkit.writers.html",
}
"""Format name → module holding its ``render`` function."""


@dataclass(frozen=True)
class Options:
    """How to render, beyond what the report and the style say."""

    draft: bool = False
    """Add a DRAFT watermark and a version stamp."""
    stamp: str = ""
    """The version stamp shown in draft builds (e.g. the build date and a source hash)."""
    created: datetime = datetime(2000, 1, 1, tzinfo=timezone.utc)
    """Creation date written into the file's metadata: fixed, so rebuilds are byte-identical."""
    docx_page_numbers: bool = True
    """Fill the DOCX contents' page numbers by paginating once with LibreOffice (when installed).
    Off in ``watch`` (about two seconds saved per round) and with REPORTKIT_DOCX_PAGES=0."""
    docx_source_map: bool = True
    """Write the DOCX's source map (``build --no-source-map`` leaves it out, as does
    ``source_map = false`` in report.toml; a PDF or HTML output does not depend on it)."""


@dataclass(frozen=True)
class Rendered:
    """One output in memory, before ``build`` moves it into place."""

    data: bytes
    """The file's bytes."""
    pages: int | None = None
    """Its page count, when the writer knows it."""
    warnings: tuple[str, ...] = ()
    """What the writer could not do as asked (a DOCX without contents page numbers, say)."""


def get_writer(fmt: str) -> Callable:
    """The ``render`` function of format ``fmt`` (imports the writer on first use)."""
    return import_writer(WRITERS[fmt]).render


def import_writer(module: str):
    """A writer's module, imported. A system library the PDF engine needs that cannot be loaded
    is a ReportError saying so (WeasyPrint's own banner about it is left out)."""
    from ..errors import ReportError

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module(module)
    except OSError as err:  # cffi's dlopen: Pango, HarfBuzz or GObject missing or broken
        raise ReportError(f"cannot start the PDF engine (WeasyPrint): {err}; see "
                          "https://doc.courtbouillon.org/weasyprint/stable/first_steps.html#troubleshooting") from None


def box_annexes(report, theme) -> list[tuple[str, str]]:
    """(kind, title) of each annex the style gives a numbered kind of box ("Questions for the
    dialogue"), in the report's language: only for kinds the report has items of."""
    from ..transforms import box_items

    return [(kind.name, kind.annex_in(report.meta.language)) for kind in theme.settings.boxes
            if kind.annex and box_items(report, kind.name)]


def default_box_title(box, words: dict) -> str:
    """The title a box shows when the author gives none, in both outputs: "Recommendation" or
    "Recommendations" by how many it holds, the good-practice label, the label the style gives
    its own kinds, or nothing."""
    from ..model import GoodPractice, Recommendation, StyledBox
    from ..transforms import recommendation_items

    match box:
        case Recommendation():
            return words["recommendations" if len(recommendation_items(box)) > 1 else "recommendation"]
        case GoodPractice():
            return words["good_practice"]
        case StyledBox(label=label):
            return label
        case _:
            return ""
