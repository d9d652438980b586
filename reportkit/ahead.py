"""What ``reportkit build`` does before it reads the report: the no-change shortcut, and a
PDF writer started ahead. This module imports nothing heavy: it runs before the rest loads.

The shortcut: each build records the size and modification time of every file it read (the
way ``make`` and git judge files), and the outputs'. When none has changed since, and the
options are the same, the next build reports the outputs as unchanged, with the last build's
warnings, without parsing or hashing anything. Any difference (or a file touched during the
last build) falls back to the full check by content hashes.

The PDF writer: importing WeasyPrint takes about 0.4 s, longer than reportkit takes to import
its parser and read a report. So the command forks a worker first, which imports the PDF
writer meanwhile; the parsed report then reaches it through a pipe, and the PDF's bytes come
back the same way, while this process writes the other formats. A worker not needed after
all (the PDF was up to date, or the report has errors) is ended.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

CACHE_NAME = ".reportkit-cache.json"
"""Kept in the output folder by ``build``: per format, the inputs' hash and the output's hash."""


class Ahead:
    """One forked process that imports the writer of ``fmt``, then renders one job (or is ended
    unused)."""

    def __init__(self, fmt: str):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.fmt = fmt
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(fmt, child), daemon=True)
        self.process.start()
        child.close()

    def send(self, *job) -> None:
        """Hand the writer's arguments over (pickled: the worker was forked before the report
        was read)."""
        self.conn.send(job)

    def result(self) -> tuple[bytes, int | None, float]:
        """After the job was sent: wait for (data, pages, seconds); raises what the writer raised."""
        try:
            ok, result = self.conn.recv()
        except EOFError:
            raise RuntimeError(f"the {self.fmt.upper()} writer process ended without a result") from None
        if not ok:
            raise result
        return result

    def close(self) -> None:
        """End the worker: done, unused (perhaps still importing) or busy (Ctrl-C, an error)."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _serve(fmt: str, conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import time

    from .writers import get_writer

    render = get_writer(fmt)
    try:
        job = conn.recv()
    except EOFError:  # the parent is gone
        return
    start = time.perf_counter()
    try:
        rendered = render(*job)
        conn.send((True, (rendered.data, rendered.pages, time.perf_counter() - start)))
    except Exception as err:  # raised again in the parent
        try:
            conn.send((False, err))
        except Exception:  # an exception that cannot be pickled
            conn.send((False, RuntimeError(f"{type(err).__name__}: {err}")))


def read_cache(out_dir: Path) -> dict:
    """The build cache of an output folder; empty when missing or unreadable."""
    try:
        data = json.loads((out_dir / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stamp_key(fmt: str, style: str | None, draft: bool, docx_page_numbers: bool,
              docx_source_map: bool = True) -> str:
    """Everything besides files that decides an output: version, format and options."""
    from . import __version__

    return json.dumps([__version__, fmt, style or "", draft, docx_page_numbers and fmt == "docx",
                       docx_source_map or fmt != "docx", os.environ.get("SOURCE_DATE_EPOCH", "")])


def stamp(key: str, started_ns: int, files: list[Path], warnings: list[str]) -> dict:
    """The record of one output's build: its key, when the build started, every file and folder
    it read (and those it looked for in vain: they must still be missing), its warnings."""
    return {"key": key, "started": started_ns, "files": {os.path.abspath(p): file_stat(p) for p in files},
            "warnings": warnings}


def file_stat(path: Path) -> list[int] | None:
    """Size and modification time (ns) of a file or folder; None if it is gone."""
    try:
        info = path.stat()
    except OSError:
        return None
    return [0 if path.is_dir() else info.st_size, info.st_mtime_ns]


def unchanged(report_dir: Path, out_dir: Path, formats: tuple[str, ...], style: str | None, draft: bool,
              docx_page_numbers: bool, docx_source_map: bool = True) -> tuple[list[str], list[Path]] | None:
    """The last build's warnings and the outputs, when nothing read or written by the builds of
    those outputs has changed since and the options are the same; else None (then only content
    hashes can tell)."""
    try:
        cache = read_cache(out_dir)
        name = report_dir.resolve().name
        outputs = [out_dir / f"{name}.{fmt}" for fmt in formats]
        warnings: list[str] = []
        for fmt, path in zip(formats, outputs):
            entry = cache[fmt]
            record = entry["stamp"]
            if record["key"] != stamp_key(fmt, style, draft, docx_page_numbers, docx_source_map) \
                    or file_stat(path) != entry["stat"]:
                return None
            for file, was in record["files"].items():
                now = file_stat(Path(file))
                if now != was or (now is not None and now[1] >= record["started"]):  # or touched meanwhile
                    return None
            warnings = warnings or [str(w) for w in record["warnings"]]
        return warnings, outputs
    except (OSError, ValueError, KeyError, TypeError):
        return None


def start_pdf(formats: tuple[str, ...]) -> Ahead | None:
    """A PDF writer started now, when the build makes a PDF; else None."""
    if "pdf" not in formats or not can_fork():
        return None
    try:
        return Ahead("pdf")
    except OSError:
        return None


def can_fork() -> bool:
    """Whether worker processes can be forked (they then share what is already loaded)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()
