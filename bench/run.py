"""Benchmark reportkit against the floor of its engine, in one run.

    python bench/run.py [--runs 3] [--write]

Builds the sample report and a 16-times longer version of it (made here, in a temporary
folder), timing whole processes (imports included), and prints the medians of:
``reportkit build`` (both formats), ``--format pdf``, ``--format docx``, a no-change rebuild,
``reportkit check``, and WeasyPrint alone (``python -m weasyprint``, same PDF/UA variant)
rendering the very HTML reportkit hands it (the floor for this engine), with the ratios against
that floor, the PDF tag post-pass alone, the peak memory, and a rebuild in ``reportkit watch`` after a one-word edit. For a
fair view it also times WeasyPrint alone importing the way reportkit does (its C libraries
loaded by file name, which saves about 0.15 s), the "quick floor". ``--write`` also writes
bench/RESULTS.md, keeping its hand-written notes section.
"""

from __future__ import annotations

import argparse
import os
import platform
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
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "reports" / "kyrgyzstan-2013"
PY = sys.executable

_NOTE = re.compile(r"\[\^([^\]\n]+)\]")


def make_long(sample: Path, target: Path, times: int) -> Path:
    """A report holding the sample's chapters ``times`` times (note labels made unique)."""
    shutil.copytree(sample, target, ignore=shutil.ignore_patterns("build"))
    meta = tomllib.loads((sample / "report.toml").read_text(encoding="utf-8"))
    chapters = []
    for k in range(times):
        for name in meta["chapters"]:
            text = (sample / name).read_text(encoding="utf-8")
            copy = f"{k:02d}-{name}"
            (target / copy).write_text(_NOTE.sub(lambda m: f"[^{m.group(1)}-{k}]", text), encoding="utf-8")
            chapters.append(copy)
    toml = (sample / "report.toml").read_text(encoding="utf-8")
    toml = re.sub(r"(?ms)^chapters\s*=\s*\[.*?\]", "chapters = " + repr(chapters).replace("'", '"'), toml)
    (target / "report.toml").write_text(toml, encoding="utf-8")
    for name in meta["chapters"]:
        (target / name).unlink()
    return target


def timed(args: list[str], env: dict | None = None) -> tuple[float, int]:
    """Seconds and peak RSS (MB, largest process of the tree) of one whole command."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")
    out = subprocess.run([PY, "-c", probe, *args], capture_output=True, text=True, env=env, check=True)
    seconds, rss, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(args)}")
    return float(seconds), int(rss) // 1024


def watch_rebuild(report: Path, env: dict) -> float:
    """Seconds from a one-word edit to the end of the rebuild in a running ``reportkit watch``."""
    process = subprocess.Popen([PY, "-m", "reportkit", "watch", str(report)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    try:
        _wait_for(process, "built")
        chapter = report / tomllib.loads((report / "report.toml").read_text(encoding="utf-8"))["chapters"][0]
        text = chapter.read_text(encoding="utf-8")
        start = time.perf_counter()
        chapter.write_text(text.replace("Committee", "Comittee", 1), encoding="utf-8")
        _wait_for(process, "built")
        seconds = time.perf_counter() - start
        chapter.write_text(text, encoding="utf-8")
        return seconds
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(process: subprocess.Popen, word: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        if word in line:
            return
        if time.monotonic() > deadline:
            break
    raise SystemExit(f"watch did not print {word!r}")


def floor_html(report: Path, out: Path) -> Path:
    """The very HTML reportkit hands WeasyPrint for this report (fonts and images as file URLs)."""
    from reportkit.build import load_report
    from reportkit.themes import load_theme
    from reportkit.writers import Options
    from reportkit.writers.html import document, file_url

    loaded = load_report(report)
    html = document(loaded, load_theme(loaded.meta.style, report), Options(), file_url)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "floor.html"
    path.write_text(html, encoding="utf-8")
    return path


_QUICK_FLOOR = (
    "import sys, ctypes.util\n"
    "ctypes.util.find_library = lambda name: None  # as reportkit's PDF writer imports WeasyPrint\n"
    "from weasyprint import HTML\n"
    "HTML(sys.argv[1]).write_pdf(sys.argv[2], pdf_variant='pdf/ua-1')\n"
)
"""WeasyPrint alone with its C libraries loaded by file name, as reportkit loads them (without
the library lookups of WeasyPrint's own import, about 0.15 s): the floor once that is won."""


_POST_PASS = (
    "import sys, time\n"
    "from reportkit.writers import pdf, pdf_tags\n"
    "from weasyprint import HTML\n"
    "data = HTML(sys.argv[1]).render(pdf_variant=pdf.PDF_VARIANT).write_pdf(pdf_variant=pdf.PDF_VARIANT, pdf_identifier=True)\n"
    "start = time.perf_counter()\n"
    "pdf_tags.retag(data)\n"
    "print(time.perf_counter() - start)\n"
)
"""The PDF tag post-pass alone (``pdf_tags.retag``) on WeasyPrint's PDF of the report's HTML."""


def post_pass(html: Path, env: dict) -> float:
    """Seconds the PDF tag post-pass takes on the report (in one process, after the layout)."""
    out = subprocess.run([PY, "-c", _POST_PASS, str(html)], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.split()[-1])


def bench(report: Path, runs: int, env: dict, out: Path) -> dict[str, float]:
    """Medians of every measure; the commands take turns in each round, so a slow spell of a
    shared machine falls on all of them alike rather than on one measure."""
    rk = [PY, "-m", "reportkit"]
    build = [*rk, "build", str(report), "--out", str(out), "--force"]
    html = floor_html(report, out)
    commands = {
        "weasyprint": [PY, "-m", "weasyprint", "--pdf-variant", "pdf/ua-1", str(html), str(out / "floor.pdf")],
        "weasyprint_quick": [PY, "-c", _QUICK_FLOOR, str(html), str(out / "floor-quick.pdf")],
        "both": build,
        "pdf": [*build, "--format", "pdf"],
        "docx": [*build, "--format", "docx"],
        "nochange": build[:-1],  # the three builds before it left both outputs up to date
        "check": [*rk, "check", str(report)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, int] = {}
    for _ in range(runs):
        for name, command in commands.items():
            seconds, mb = timed(command, env)
            times[name].append(seconds)
            memory[name] = max(memory.get(name, 0), mb)
    row = {name: statistics.median(values) for name, values in times.items()}
    row["peak_mb"] = max(memory[name] for name in ("both", "pdf", "docx"))  # of reportkit's builds
    row["watch"] = statistics.median(watch_rebuild(report, env) for _ in range(runs))  # one sample varies by 40 %
    row["post_pass"] = statistics.median(post_pass(html, env) for _ in range(runs))
    return row


def edit_word(report: Path, edit: int) -> None:
    """A one-word edit of the first chapter; each edit differs from the six before it (the
    groups' rows take turns in two output folders, so a folder's last build saw one of them)."""
    chapter = report / tomllib.loads((report / "report.toml").read_text(encoding="utf-8"))["chapters"][0]
    text = re.sub(r"Commi+ttee", "Comm" + "i" * (1 + edit % 7) + "ttee", chapter.read_text(encoding="utf-8"), count=1)
    chapter.write_text(text, encoding="utf-8")


def bench_groups(report: Path, runs: int, env: dict, out: Path) -> dict[str, float]:
    """A long report's PDF in groups of parts: a rebuild after a one-word edit and a first build
    (no earlier PDF in the folder), each with the default jobs and with ``--jobs 1``; the merged
    file's size against the same report laid out whole; both formats by Pandoc → WeasyPrint
    (when pandoc is found)."""
    rk = [PY, "-m", "reportkit", "build", str(report)]
    times: dict[str, list[float]] = {"edit": [], "edit_jobs1": [], "edit_pdf": [], "edit_pdf_jobs1": [],
                                     "first": [], "first_jobs1": []}
    subprocess.run([*rk, "--out", str(out / "edits")], env=env, check=True, capture_output=True)
    subprocess.run([*rk, "--out", str(out / "edits-pdf"), "--format", "pdf"], env=env, check=True, capture_output=True)
    edits = 0
    for k in range(runs):
        for name, more in (("edit", []), ("edit_jobs1", ["--jobs", "1"]),
                           ("edit_pdf", ["--format", "pdf"]), ("edit_pdf_jobs1", ["--format", "pdf", "--jobs", "1"])):
            edits += 1
            edit_word(report, edits)
            folder = out / ("edits-pdf" if "pdf" in name else "edits")
            times[name].append(timed([*rk, "--out", str(folder), *more], env)[0])
        for name, jobs in (("first", []), ("first_jobs1", ["--jobs", "1"])):
            times[name].append(timed([*rk, "--out", str(out / f"{name}-{k}"), *jobs], env)[0])
    row = {name: statistics.median(values) for name, values in times.items()}
    row["merged_bytes"] = (out / "first-0" / f"{report.name}.pdf").stat().st_size
    row["whole_bytes"] = whole_size(report)
    pandoc = shutil.which("pandoc") or _pypandoc()
    if pandoc:
        row["pandoc"] = statistics.median(pandoc_both(pandoc, report, env, out) for _ in range(runs))
    return row


def whole_size(report: Path) -> int:
    """The size of the report's PDF laid out whole (``pdf.render``), as before groups."""
    from reportkit.build import creation_date, load_report
    from reportkit.themes import load_theme
    from reportkit.writers import Options, pdf

    loaded = load_report(report)
    return len(pdf.render(loaded, load_theme(loaded.meta.style, report),
                          Options(created=creation_date(loaded, report))).data)


def _pypandoc() -> str | None:
    """The pandoc binary the pypandoc-binary wheel ships, if installed."""
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None


def pandoc_both(pandoc: str, report: Path, env: dict, out: Path) -> float:
    """Seconds for Pandoc to make the report's PDF (through WeasyPrint) and DOCX from the same
    chapters, one after the other."""
    meta = tomllib.loads((report / "report.toml").read_text(encoding="utf-8"))
    chapters = [str(report / name) for name in meta["chapters"]]
    env = {**env, "PATH": f"{Path(PY).parent}{os.pathsep}{env.get('PATH', '')}"}  # pandoc runs `weasyprint`
    common = [pandoc, *chapters, "-s", "--metadata", f"title={meta['title']}", "--resource-path", str(report)]
    pdf = timed([*common, "--pdf-engine=weasyprint", "-o", str(out / "pandoc.pdf")], env)[0]
    return pdf + timed([*common, "-o", str(out / "pandoc.docx")], env)[0]


def groups_table(row: dict[str, float], sample: dict[str, float]) -> str:
    """The groups' figures on the long report against the issue's targets."""
    lines = ["| measure | 16 × sample | target |", "|---|---:|---|"]

    def add(label: str, value: str, ratio: float | None = None, limit: float | None = None) -> None:
        verdict = "" if ratio is None else f"{'met' if ratio <= limit else '**missed**'}: {ratio:.2f} × (≤ {limit})"
        lines.append(f"| {label} | {value} | {verdict} |")

    add("rebuild after a one-word edit, default jobs", f"{row['edit']:.2f} s", row["edit"] / row["edit_jobs1"], 0.6)
    add("the same with `--jobs 1`", f"{row['edit_jobs1']:.2f} s")
    add("the same rebuild, `--format pdf`, default jobs", f"{row['edit_pdf']:.2f} s", row["edit_pdf"] / row["edit_pdf_jobs1"], 0.6)
    add("the same with `--jobs 1`", f"{row['edit_pdf_jobs1']:.2f} s")
    add("first build (no earlier PDF), default jobs", f"{row['first']:.2f} s", row["first"] / row["first_jobs1"], 0.85)
    add("the same with `--jobs 1`", f"{row['first_jobs1']:.2f} s")
    add("file size: merged / laid out whole", f"{row['merged_bytes'] / 1e6:.2f} MB / {row['whole_bytes'] / 1e6:.2f} MB",
        row["merged_bytes"] / row["whole_bytes"], 1.10)
    if "pandoc" in row:
        add("both formats: reportkit (first build) / Pandoc → WeasyPrint and Pandoc → DOCX",
            f"{row['first']:.2f} s / {row['pandoc']:.2f} s", row["first"] / row["pandoc"], 0.75)
    else:
        add("both formats against Pandoc → WeasyPrint", "pandoc not found")
    lines.append(f"| the sample, both formats (laid out whole, as before) | {sample['both']:.2f} s | "
                 "compare with the previous run |")
    return "\n".join(lines)


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import weasyprint

    return (f"{cpu or platform.processor()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}")


def table(rows: dict[str, dict[str, float]]) -> str:
    lines = ["| measure | " + " | ".join(rows) + " |", "|---|" + "---:|" * len(rows)]

    def add(label: str, fmt) -> None:
        lines.append(f"| {label} | " + " | ".join(fmt(r) for r in rows.values()) + " |")

    add("WeasyPrint alone on the same HTML (floor)", lambda r: f"{r['weasyprint']:.2f} s")
    add("the same, its libraries loaded by file name as reportkit does (quick floor)",
        lambda r: f"{r['weasyprint_quick']:.2f} s ({r['weasyprint_quick'] / r['weasyprint']:.2f} × floor)")
    add("`reportkit build` (PDF + DOCX)",
        lambda r: f"{r['both']:.2f} s ({r['both'] / r['weasyprint']:.2f} × floor, "
                  f"{r['both'] / r['weasyprint_quick']:.2f} × quick floor)")
    add("`--format pdf`", lambda r: f"{r['pdf']:.2f} s ({r['pdf'] / r['weasyprint']:.2f} × floor)")
    add("`--format docx`", lambda r: f"{r['docx']:.2f} s ({r['docx'] / r['weasyprint']:.2f} × floor)")
    add("no-change rebuild", lambda r: f"{r['nochange']:.2f} s ({r['nochange'] / r['both']:.2f} × full build)")
    add("`reportkit check`", lambda r: f"{r['check']:.2f} s")
    add("rebuild in `watch` after a one-word edit", lambda r: f"{r['watch']:.2f} s ({r['watch'] / r['both']:.2f} × cold build)")
    add("PDF tag post-pass alone (in `--format pdf`)",
        lambda r: f"{r['post_pass']:.2f} s ({r['post_pass'] / r['pdf']:.0%} of `--format pdf`)")
    add("peak memory (largest process)", lambda r: f"{r['peak_mb']} MB")
    return "\n".join(lines)


TARGETS = "the author's-loop issue"


def targets(rows: dict[str, dict[str, float]]) -> str:
    """The issue's targets against this run's figures: met or missed, with the figure."""
    small, large = rows["sample"], rows["16 × sample"]
    lines = ["| target | sample | 16 × sample |", "|---|---|---|"]

    def verdict(value: float, limit: float, text: str) -> str:
        return f"{'met' if value <= limit else '**missed**'}: {text}"

    def add(label: str, *cells: str) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    add("both formats ≤ 1.15 × WeasyPrint alone",
        *(verdict(r["both"] / r["weasyprint"], 1.15, f"{r['both'] / r['weasyprint']:.2f} ×") for r in (small, large)))
    ratio = large["both"] / small["both"]
    memory = large["peak_mb"]
    add("16 × sample ≤ 16 × sample's cost, peak memory < 400 MB",
        "", f"{'met' if ratio <= 16 and memory < 400 else '**missed**'}: {ratio:.1f} ×, {memory} MB")
    add("no-change rebuild ≤ 0.1 × full build",
        *(verdict(r["nochange"] / r["both"], 0.1, f"{r['nochange'] / r['both']:.2f} ×") for r in (small, large)))
    add("`reportkit check` on the sample ≤ 0.3 s", verdict(small["check"], 0.3, f"{small['check']:.2f} s"), "")
    add("`watch` rebuild after a one-word edit ≤ 0.8 × cold build",
        *(verdict(r["watch"] / r["both"], 0.8, f"{r['watch'] / r['both']:.2f} ×") for r in (small, large)))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per measure (median); default 3")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # reportkit byte-compiled, as ``pip install`` leaves it and the libraries are: a checkout
        # run under PYTHONDONTWRITEBYTECODE would compile its modules again in every process.
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        env |= {"PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "reportkit")], env=env, check=True)
        sample = work / SAMPLE.name
        shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("build"))
        long = make_long(SAMPLE, work / "sample-x16", 16)
        rows = {"sample": bench(sample, args.runs, env, work / "out1"),
                "16 × sample": bench(long, max(1, args.runs), env, work / "out16")}
        grouped = bench_groups(long, max(1, args.runs), env, work / "groups")
        load = os.getloadavg()
    ratio = rows["16 × sample"]["both"] / rows["sample"]["both"]
    report = (f"{table(rows)}\n\n16 × sample / sample (both formats): {ratio:.1f} ×\n\n"
              f"Machine: {machine()}; load average at the end {load[0]:.1f} (1 min), {load[2]:.1f} (15 min)\n\n"
              f"## Against the targets of {TARGETS}\n\n{targets(rows)}\n\n"
              f"## The PDF in groups of parts (issue 19)\n\n{groups_table(grouped, rows['sample'])}\n")
    print(report)
    if args.write:
        results = ROOT / "bench" / "RESULTS.md"
        notes = results.read_text(encoding="utf-8").partition("\n## Notes")[1:] if results.exists() else ()
        results.write_text(
            "# Benchmark results\n\nProduced by `python bench/run.py --write` "
            f"(medians of {args.runs} runs, whole processes, imports included), {time.strftime('%Y-%m-%d')}.\n\n"
            + report + "".join(notes), encoding="utf-8")


if __name__ == "__main__":
    main()
