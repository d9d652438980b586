"""The list of recommendations as a table for advocacy follow-up: CSV, JSON or Markdown text."""

from __future__ import annotations

import csv
import io
import json

from .model import Report, plain_text
from .transforms import recommendations

def recommendations_table(report: Report, fmt: str) -> str:
    """Every recommendation with its number and section, as text in ``fmt``: "csv", "json" or "md"."""
    rows = [{
        "number": item.number,
        "section_number": item.section_number,
        "section": plain_text(item.section.title) if item.section else "",
        "text": item.text,
    } for item in recommendations(report)]
    match fmt:
        case "json":
            return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        case "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["number"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            return buffer.getvalue()
        case _:
            lines, current = [], None
            for row in rows:
                heading = f"{row['section_number']} {row['section']}".strip()
                if heading != current:
                    lines += [""] * (current is not None) + [f"## {heading}", ""]
                    current = heading
                lines.append(f"{row['number']}. {row['text']}")
            return "".join(f"{line}\n" for line in lines)
