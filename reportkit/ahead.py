"""A PDF writer started ahead: ``reportkit build`` forks it before reading anything.

Importing WeasyPrint takes about 0.4 s, longer than reportkit takes to import its parser and
read a report. So the command forks a worker first, which imports the PDF writer meanwhile;
the parsed report then reaches it through a pipe, and the PDF's bytes come back the same
way, while this process writes the other formats. A worker not needed after all (the PDF was
up to date, or the report has errors) is ended; none is started when the outputs look
up to date. This module imports nothing heavy: it runs before the rest is loaded.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

CACHE_NAME = ".reportkit-cache.json"
"""Kept in the output folder by ``build``: per format, the inputs' hash and the output's hash."""


class Ahead:
    """One forked process that imports the writer of ``fmt``, then renders one job or quits."""

    def __init__(self, fmt: str):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.fmt = fmt
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(fmt, child), daemon=True)
        self.process.start()
        child.close()

    def send(self, report, theme, options) -> None:
        """Hand the job over (pickled: the worker was forked before the report was read)."""
        self.conn.send((report, theme, options))

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


def looks_current(report_dir: Path, out_dir: Path, formats: tuple[str, ...]) -> bool:
    """Whether every output and the build cache exist and no file of the report is newer than
    the cache: the build is then probably a no-change one, and nothing is started ahead."""
    name = report_dir.resolve().name
    try:
        recorded = (out_dir / CACHE_NAME).stat().st_mtime
        if not all((out_dir / f"{name}.{fmt}").is_file() for fmt in formats):
            return False
        outputs = out_dir.resolve()
        for folder, dirs, files in os.walk(report_dir):
            dirs[:] = [d for d in dirs if (Path(folder) / d).resolve() != outputs]
            if any((Path(folder) / f).stat().st_mtime >= recorded for f in files):
                return False
    except OSError:
        return False
    return True


def start_pdf(report_dir: Path, out_dir: Path | None, formats: tuple[str, ...], force: bool) -> Ahead | None:
    """A PDF writer started now, when the build will probably make the PDF; else None."""
    if "pdf" not in formats or "fork" not in _start_methods():
        return None
    if not force and looks_current(report_dir, out_dir or report_dir / "build", formats):
        return None
    try:
        return Ahead("pdf")
    except OSError:
        return None


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()
