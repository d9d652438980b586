"""Shared fixtures: copy a test report to a temporary folder, edit it, run the CLI on it; compare
text with a golden file in tests/golden/ (``pytest --update-golden`` rewrites them)."""

from __future__ import annotations

import atexit
import difflib
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportkit.cli import main

_CACHE = tempfile.mkdtemp(prefix="reportkit-tests-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE  # the tests neither use nor fill the user's cache
atexit.register(shutil.rmtree, _CACHE, True)

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SAMPLE = ROOT / "reports" / "kyrgyzstan-2013"
GOLDEN = TESTS / "golden"


def make_report(tmp_path: Path, base: str = "minimal", files: dict[str, str | bytes | None] | None = None,
                name: str = "report") -> Path:
    """Copy ``tests/reports/<base>`` to ``tmp_path/name`` and write files into it (text exactly
    as given, line ends included; folders made as needed), or delete them (None)."""
    target = tmp_path / name
    shutil.copytree(TESTS / "reports" / base, target, ignore=shutil.ignore_patterns("build"))
    for relative, content in (files or {}).items():
        path = target / relative
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the files in tests/golden/ from the current outputs instead of comparing")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """``golden(name, text)``: fail with a unified diff unless ``text`` is tests/golden/NAME, or
    rewrite that file with ``--update-golden`` (then review it with ``git diff tests/golden``)."""
    def compare(name: str, text: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8") if path.exists() else ""
        if text != expected:
            diff = difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                        f"tests/golden/{name}", "this run")
            pytest.fail(f"tests/golden/{name} differs (pytest --update-golden rewrites it):\n"
                        + "".join(diff), pytrace=False)
    return compare
