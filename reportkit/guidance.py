"""What the treaty bodies' guidance for civil-society reports asks, as warnings at their line."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import Problems
from .manifest import key_pos
from .model import Box, Paragraph, Report, Section, Table, iter_nodes, plain_text

SHADOW = re.compile(r"\bshadow[\s\-]+report(s?)\b", re.I)
""""Shadow report", a term the Committees' guidance for civil society asks authors to avoid."""

WORKING_LANGUAGES = ("en", "fr", "es")
"""The languages treaty bodies take reports in."""


def check_guidance(report: Report, report_dir: Path, problems: Problems) -> None:
    """Warn of "shadow report" wherever it is written (text, headings, box titles, tables,
    notes, report.toml), and of a report in a language treaty bodies do not work in that has
    no chapter marked ``{.summary}``."""
    for node in iter_nodes(report.chapters):
        match node:
            case Paragraph(content=text) | Section(title=text) | Box(title=text):
                _shadow(plain_text(text), node.pos, problems)
            case Table(head=head, rows=rows):
                _shadow(" ".join(plain_text(cell) for row in (head, *rows) for cell in row), node.pos, problems)
    meta = report.meta
    for key in ("title", "subtitle", "keywords"):
        value = getattr(meta, key)
        _shadow(" ".join(value) if isinstance(value, tuple) else value, key_pos(report_dir, key), problems)
    language = meta.language.split("-")[0].lower()
    marked = any(isinstance(n, Section) and n.summary for n in iter_nodes(report.chapters))
    if language not in WORKING_LANGUAGES and not marked:
        problems.warn(f'the report is in "{meta.language}", and treaty bodies take reports in English, French or '
                      "Spanish: an English executive summary is advisable (mark its heading {.summary})",
                      key_pos(report_dir, "language"))


def _shadow(text: str, pos, problems: Problems) -> None:
    for found in dict.fromkeys(m.group(0) for m in SHADOW.finditer(text)):
        plural = "s" if found.lower().endswith("s") else ""
        problems.warn(f'"{found}": the treaty bodies\' guidance for civil society asks for '
                      f'"alternative report{plural}" instead', pos)
