"""Source positions and the one error type reportkit raises: printed as ``path:line: message``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger("reportkit")


@dataclass(frozen=True)
class Pos:
    """Where something stands in the sources."""

    path: str
    """The file, as the user named it (relative to where they ran reportkit)."""
    line: int = 0
    """1-based line number; 0 when the problem concerns the whole file."""
    end: int = field(default=0, compare=False, repr=False)
    """For a block: its last line (the DOCX's source map lists each paragraph's lines); 0 when
    unknown. Not part of the message."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Problem:
    """One error or warning about the sources."""

    message: str
    """What is wrong, in words an author understands."""
    pos: Pos | None = None
    """Where; None for problems without a place (a missing folder, say)."""
    warning: bool = False
    """True for a warning (the build goes on), False for an error."""

    def __str__(self) -> str:
        where = f"{self.pos}: " if self.pos else ""
        kind = "warning: " if self.warning else ""
        return f"{where}{kind}{self.message}"


class ReportError(Exception):
    """One or more errors in a report's sources; the CLI prints each on its own line."""

    def __init__(self, problems: list[Problem] | Problem | str, pos: Pos | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, pos)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # keep the problems when a build process sends the error back
        return (ReportError, (self.problems,))


@dataclass
class Problems:
    """Collects errors and warnings in one pass, so the author sees them all at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, message: str, pos: Pos | None = None) -> None:
        self.items.append(Problem(message, pos))

    def warn(self, message: str, pos: Pos | None = None) -> None:
        self.items.append(Problem(message, pos, warning=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def raise_errors(self) -> None:
        """Raise one ReportError holding every error gathered so far (warnings stay)."""
        if self.errors:
            raise ReportError(self.errors)
