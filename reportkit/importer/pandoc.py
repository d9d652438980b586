"""Finding and running pandoc, whose DOCX reader turns a Word file into its JSON document tree.

pandoc comes from the ``pypandoc-binary`` package (``pip install 'reportkit[import]'``), which
ships the program inside a Python package, or from a ``pandoc`` 3.1 or newer on PATH.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..errors import ReportError

MIN_VERSION = (3, 1)
"""The oldest pandoc whose DOCX reader and JSON tree (API 1.23) reportkit knows."""

API_VERSION = (1, 23)
"""The version of pandoc's JSON document tree that the mapping reads (a later minor version
adds node types, which the mapping lists as left out)."""

HOW_TO_GET = ("reportkit import needs pandoc 3.1 or newer: pip install 'reportkit[import]' "
              "(pandoc inside a Python package), or install pandoc from pandoc.org or your system's packages")

TIMEOUT = 300
"""Seconds pandoc may take over one document before the import gives up."""


def find_pandoc() -> str:
    """The pandoc to run: pypandoc-binary's, else one on PATH that is recent enough."""
    bundled = _bundled()
    if bundled:
        return bundled
    on_path = shutil.which("pandoc")
    if not on_path:
        raise ReportError(HOW_TO_GET)
    version = _version(on_path)
    if version is None or version < MIN_VERSION:
        shown = ".".join(map(str, version)) if version else "of unknown version"
        raise ReportError(f"the pandoc on PATH ({on_path}) is {shown}; {HOW_TO_GET}")
    return on_path


def _bundled() -> str | None:
    """pypandoc-binary's program, found without importing pypandoc (which looks for pandoc
    everywhere when imported)."""
    try:
        spec = importlib.util.find_spec("pypandoc")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    for name in ("pandoc", "pandoc.exe"):
        program = Path(spec.origin).parent / "files" / name
        if program.is_file() and os.access(program, os.X_OK):
            return str(program)
    return None


def _version(program: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.match(r"pandoc\S*\s+(\d+)\.(\d+)", out)
    return (int(found[1]), int(found[2])) if found else None


def read_docx(program: str, data: bytes, name: str, track_changes: str = "accept") -> dict:
    """pandoc's JSON tree of a DOCX given as bytes (paragraph and character style names kept)."""
    command = [program, "--from", "docx+styles", "--to", "json", f"--track-changes={track_changes}"]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ReportError(f"{name}: pandoc took over {TIMEOUT} s to read it") from None
    except OSError as err:
        raise ReportError(f"{name}: cannot run pandoc ({program}): {err.strerror or err}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReportError(f"{name}: pandoc cannot read it: {message[-1] if message else f'exit {done.returncode}'}")
    tree = json.loads(done.stdout)
    api = tuple(tree.get("pandoc-api-version", ())[:2])
    if len(api) < 2 or api[0] != API_VERSION[0] or api < API_VERSION:
        raise ReportError(f"{name}: this pandoc writes document trees of version "
                          f"{'.'.join(map(str, api))}, reportkit reads {'.'.join(map(str, API_VERSION))}; {HOW_TO_GET}")
    return tree
