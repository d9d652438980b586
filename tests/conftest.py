"""Shared fixtures: copy a test report to a temporary folder, edit it, run the CLI on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportkit.cli import main

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SAMPLE = ROOT / "reports" / "kyrgyzstan-2013"


def make_report(tmp_path: Path, base: str = "minimal", files: dict[str, str | bytes | None] | None = None,
                name: str = "report") -> Path:
    """Copy ``tests/reports/<base>`` to ``tmp_path/name`` and overwrite (or delete, with None) files."""
    target = tmp_path / name
    shutil.copytree(TESTS / "reports" / base, target, ignore=shutil.ignore_patterns("build"))
    for relative, content in (files or {}).items():
        path = target / relative
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return target


def run(*args: str) -> Result:
    """Run ``reportkit ARGS`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def report_factory(tmp_path: Path):
    """``report_factory(files=…, base=…)`` → a fresh report folder."""
    def factory(files: dict[str, str | bytes | None] | None = None, base: str = "minimal",
                name: str = "report") -> Path:
        return make_report(tmp_path, base, files, name)
    return factory
