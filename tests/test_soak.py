"""Builds of the sample killed at random moments (SIGKILL as the OOM killer does, SIGTERM as a CI
job's timeout does): the outputs are always the previous pair or the new one, never a mix; no
process of the build outlives it by 5 s; the next build leaves nothing in $TMPDIR."""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from conftest import SAMPLE
from test_faults import _start_build, _tagged

KILLS = [signal.SIGKILL] * 30 + [signal.SIGTERM] * 30


@pytest.mark.slow
def test_builds_killed_at_random_leave_a_whole_pair_and_nothing_else(tmp_path):
    report = tmp_path / SAMPLE.name
    shutil.copytree(SAMPLE, report, ignore=shutil.ignore_patterns("build"))
    chapter = report / "01-introduction.md"
    versions = [chapter.read_text(encoding="utf-8"), chapter.read_text(encoding="utf-8") + "\nOne more line.\n"]
    temporary, out = tmp_path / "tmp", tmp_path / "out"
    temporary.mkdir()
    env = {"TMPDIR": str(temporary), "REPORTKIT_DOCX_PAGES": "1"}
    name = report.name

    def pair() -> tuple[bytes, bytes]:
        return (out / f"{name}.pdf").read_bytes(), (out / f"{name}.docx").read_bytes()

    pairs = []
    for text in versions:  # each version's pair, for reference (same sources, same bytes)
        chapter.write_text(text, encoding="utf-8")
        assert _start_build(report, "soak", out, **env).wait() == 0
        pairs.append(pair())
    rng = random.Random(13)
    kinds = KILLS[:]
    rng.shuffle(kinds)
    outcomes = {"old": 0, "new": 0}
    slowest_end = 0.0
    for round, kind in enumerate(kinds):
        old = pairs.index(pair())
        chapter.write_text(versions[1 - old], encoding="utf-8")
        tag = f"soak-{round}"
        build = _start_build(report, tag, out, **env)
        time.sleep(rng.uniform(0.05, 3.0))
        build.send_signal(kind)
        build.wait()
        start = time.monotonic()
        while _tagged(tag) and time.monotonic() - start < 5:
            time.sleep(0.05)
        assert _tagged(tag) == [], f"round {round}: processes left after {kind.name}"
        slowest_end = max(slowest_end, time.monotonic() - start)
        now = pair()
        assert now in pairs, f"round {round}: a mixed pair after {kind.name}"
        outcomes["old" if pairs.index(now) == old else "new"] += 1
        if round % 5 == 4:
            assert _start_build(report, "soak", out, **env).wait() == 0
            assert os.listdir(temporary) == [], f"round {round}: left in $TMPDIR"
    assert _start_build(report, "soak", out, **env).wait() == 0
    assert os.listdir(temporary) == []
    print(f"\n{len(kinds)} kills: {outcomes['old']} left the old pair, {outcomes['new']} the new; "
          f"every process gone within {slowest_end:.2f} s; $TMPDIR empty after each next build")
