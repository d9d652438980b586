"""Time the PDF path against its floor: WeasyPrint alone on the HTML reportkit produced.

    python bench/pdf_bench.py [--runs 3] [--times 16]

For the sample report and a version of it ``--times`` longer (made here, in a temporary
folder), prints the median wall time of whole processes (imports included):

- ``reportkit build --format pdf --force`` (parse, transforms, HTML, WeasyPrint, checks);
- ``python -m weasyprint`` on the self-contained HTML of ``reportkit build --format html``;

and the ratio of the two, which is what reportkit adds on top of WeasyPrint.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "reports" / "kyrgyzstan-2013"
NOTE_LABEL = re.compile(r"\[\^([^\]\n]+)\]")


def make_longer(sample: Path, target: Path, times: int) -> Path:
    """A copy of ``sample`` whose chapters repeat ``times`` times, note labels made unique."""
    shutil.copytree(sample, target, ignore=shutil.ignore_patterns("build"))
    toml = (sample / "report.toml").read_text(encoding="utf-8")
    names = tomllib.loads(toml)["chapters"]
    chapters = []
    for k in range(times):
        for name in names:
            text = (sample / name).read_text(encoding="utf-8")
            copy = f"{k:02d}-{name}"
            (target / copy).write_text(NOTE_LABEL.sub(lambda m: f"[^{m.group(1)}-{k}]", text), encoding="utf-8")
            chapters.append(copy)
    for name in names:
        (target / name).unlink()
    listing = "chapters = [" + ", ".join(f'"{c}"' for c in chapters) + "]"
    (target / "report.toml").write_text(re.sub(r"(?ms)^chapters\s*=\s*\[.*?\]", listing, toml), encoding="utf-8")
    return target


def seconds(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one whole process; fails loudly if the command fails."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def median(command: list[str], runs: int, env: dict[str, str]) -> float:
    """Median wall time of ``runs`` runs."""
    return statistics.median(seconds(command, env) for _ in range(runs))


def bench(report: Path, out: Path, runs: int, env: dict[str, str]) -> tuple[float, float, int]:
    """(reportkit seconds, WeasyPrint seconds, pages) for one report."""
    reportkit = [sys.executable, "-m", "reportkit", "build", str(report), "--out", str(out), "--force", "-q"]
    subprocess.run([*reportkit, "--format", "html"], check=True, env=env)
    html = out / f"{report.name}.html"
    floor = out / "weasyprint-alone.pdf"
    ours = median([*reportkit, "--format", "pdf"], runs, env)
    alone = median([sys.executable, "-m", "weasyprint", str(html), str(floor)], runs, env)
    import pypdf

    pages = len(pypdf.PdfReader(out / f"{report.name}.pdf").pages)
    return ours, alone, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per measure (median); default 3")
    parser.add_argument("--times", type=int, default=16, help="length of the long version; default 16")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        reports = {
            "sample": shutil.copytree(SAMPLE, work / SAMPLE.name, ignore=shutil.ignore_patterns("build")),
            f"{args.times} × sample": make_longer(SAMPLE, work / f"{SAMPLE.name}-x{args.times}", args.times),
        }
        print(f"{'report':<14} {'pages':>5} {'reportkit pdf':>14} {'WeasyPrint alone':>17} {'ratio':>6}")
        for label, report in reports.items():
            ours, alone, pages = bench(report, work / f"out-{report.name}", args.runs, env)
            print(f"{label:<14} {pages:>5} {ours:>12.2f} s {alone:>15.2f} s {ours / alone:>6.2f}")
    print(f"(medians of {args.runs} runs, whole processes)")


if __name__ == "__main__":
    main()
