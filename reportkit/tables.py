"""The list of recommendations (or of another numbered kind of box) as a table for advocacy
follow-up: CSV, JSON or Markdown text."""

from __future__ import annotations

import csv
import io
import json

from .model import Report, Section, plain_text
from .transforms import box_items


UNNUMBERED = "unnumbered"
"""The section number column of a recommendation under a section left unnumbered (``{-}``) in a
report whose headings are numbered: it says so rather than borrow its parent's number."""


def recommendations_table(report: Report, fmt: str, excel: bool = False, kind: str = "recommendation") -> str:
    """Every recommendation (or item of numbered boxes of ``kind``: "question") with its number,
    chapter and section, as text in ``fmt``: "csv", "json" or "md". ``excel``: the CSV starts
    with a byte order mark and ends lines with CR LF, so that Excel reads it as UTF-8 (Cyrillic
    intact) and not in the machine's code page."""
    def number(section: Section | None) -> str:
        if section is None:
            return ""
        return section.number or (UNNUMBERED if report.meta.number_headings else "")

    rows = [{
        "number": item.number,
        "chapter_number": number(item.chapter),
        "chapter": plain_text(item.chapter.title) if item.chapter else "",
        "section_number": number(item.section),
        "section": plain_text(item.section.title) if item.section else "",
        "text": item.text,
    } for item in box_items(report, kind)]
    match fmt:
        case "json":
            return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        case "csv":
            return csv_text(rows, list(rows[0]) if rows else ["number"], excel)
        case _:
            lines, current = [], None
            for row in rows:
                numbered = row["section_number"] != UNNUMBERED
                heading = f"{row['section_number']} {row['section']}".strip() if numbered \
                    else f"{row['section']} ({UNNUMBERED})"
                if heading != current:
                    lines += [""] * (current is not None) + [f"## {heading}", ""]
                    current = heading
                lines.append(f"{row['number']}. {row['text']}")
            return "".join(f"{line}\n" for line in lines)


def csv_text(rows: list[dict], columns: list[str], excel: bool = False) -> str:
    """``rows`` as CSV with a header line of ``columns``; ``excel``: a byte order mark and CR LF
    line ends (see ``recommendations_table``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n" if excel else "\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if excel else "") + buffer.getvalue()
