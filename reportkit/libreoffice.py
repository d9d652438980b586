"""Where LibreOffice puts each heading: convert a DOCX to PDF once and read the bookmarks' pages.

Used by the DOCX writer to print page numbers in its contents, so the contents page is right
in LibreOffice (and close in Word) before anyone updates fields. Each run gets its own
LibreOffice profile: two conversions sharing one profile fail silently.

Starting LibreOffice takes about a second, the conversion itself a tenth of that. So the DOCX
writer starts an ``Office`` before it writes the document; when the document is ready, the
``soffice --convert-to`` command finds that office running on the same profile and hands it the
file, instead of starting a second one.
"""

from __future__ import annotations

import ctypes
import io
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

TIMEOUT = 60
"""Seconds one conversion may take before it is given up (the contents then carry no numbers);
REPORTKIT_LIBREOFFICE_TIMEOUT sets another."""


class Failed(Exception):
    """LibreOffice could not paginate the document; the message says why, for a warning."""


def timeout() -> float:
    """The seconds a conversion may take: REPORTKIT_LIBREOFFICE_TIMEOUT, else ``TIMEOUT``."""
    try:
        value = float(os.environ.get("REPORTKIT_LIBREOFFICE_TIMEOUT", ""))
    except ValueError:
        return TIMEOUT
    return value if value > 0 else TIMEOUT

_EXPORT = (
    'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
)
"""PDF export that turns the document's bookmarks into named destinations."""


@dataclass(frozen=True)
class Pagination:
    """Pages as LibreOffice lays the document out."""

    pages: dict[str, int]
    """Bookmark name → 1-based page number."""
    count: int
    """Number of pages."""


def soffice() -> str | None:
    """The LibreOffice binary, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def wanted() -> bool:
    """Whether the user wants LibreOffice page numbers (REPORTKIT_DOCX_PAGES=0 turns them off)."""
    return os.environ.get("REPORTKIT_DOCX_PAGES", "1").strip().lower() not in ("0", "no", "off", "false")


def paginates(requested: bool | None = None) -> bool:
    """Whether a build fills the DOCX contents' page numbers: asked for (by default, as
    ``wanted`` says) and LibreOffice installed. The build and its no-change check both ask."""
    return (wanted() if requested is None else requested) and soffice() is not None


def to_pdf(docx: bytes, timeout: float | None = None, export: str = _EXPORT,
           fonts: Fonts | None = None) -> bytes | None:
    """Convert DOCX bytes to PDF bytes with a headless LibreOffice (laid out with ``fonts``
    when given); None if it fails."""
    with Office(ahead=False, fonts=fonts) as office:
        try:
            return office.to_pdf(docx, timeout, export)
        except Failed:
            return None


@dataclass(frozen=True)
class Fonts:
    """The fonts LibreOffice lays a document out with: a style's bundled fonts, and the
    families the DOCX names mapped to them (Calibri → Carlito, its metric-compatible twin), so
    that its pages are those of a Word reader who has the named fonts, whatever the machine has."""

    dirs: tuple[Path, ...]
    """Folders of font files, added to the system's."""
    aliases: tuple[tuple[str, str], ...]
    """(family the DOCX names, bundled family used in its place)."""

    def fontconfig(self, cache: Path) -> str:
        """A fontconfig file: the system's configuration, then these folders and aliases."""
        from xml.sax.saxutils import escape

        lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">', "<fontconfig>",
                 '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
                 f"  <cachedir>{escape(str(cache))}</cachedir>"]
        lines += [f"  <dir>{escape(str(folder))}</dir>" for folder in self.dirs]
        lines += [f'  <alias binding="same"><family>{escape(named)}</family>'
                  f"<prefer><family>{escape(used)}</family></prefer></alias>" for named, used in self.aliases]
        return "\n".join(lines + ["</fontconfig>", ""])


class Office:
    """A folder with its own LibreOffice profile, and (``ahead``) a headless LibreOffice started
    on it at once, so that it is up by the time the document is written.

    The profile is a copy of one kept in the user's cache (LibreOffice makes a new profile in
    about 0.15 s otherwise); a conversion whose copied profile fails is retried once with a fresh
    one, which then replaces the cached copy (one that times out is not: it would time out again). The office started ahead ends with the conversion,
    at ``close``, or with the process that started it (so a killed build leaves none behind).
    """

    def __init__(self, ahead: bool = True, fonts: Fonts | None = None):
        self.binary = soffice()
        self.folder = Path(tempfile.mkdtemp(prefix="reportkit-lo-"))
        if fonts:
            (self.folder / "fonts.conf").write_text(fonts.fontconfig(self.folder / "font-cache"), encoding="utf-8")
        self.profile = self.folder / "profile"
        self.copied = _copy_cached_profile(self.profile)
        self.process: subprocess.Popen | None = None
        program = _office_program(self.binary) if ahead and self.binary else None
        if program:
            try:
                self.process = subprocess.Popen(
                    [program, f"-env:UserInstallation={self.profile.as_uri()}", "--headless",
                     "--norestore", "--nolockcheck"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    env=office_env(self.folder), preexec_fn=partial(end_with_parent, os.getpid()))
            except OSError:
                self.process = None

    def to_pdf(self, docx: bytes, timeout: float | None = None, export: str = _EXPORT) -> bytes:
        """The PDF LibreOffice makes of ``docx`` (within ``timeout`` seconds, by default as
        ``timeout()`` says); raises Failed saying why when it makes none."""
        if self.binary is None:
            raise Failed("LibreOffice (soffice) is not installed")
        source = self.folder / "document.docx"
        source.write_bytes(docx)
        limit = timeout or globals()["timeout"]()
        try:
            try:
                pdf = _convert(self.binary, source, self.folder, self.profile, limit, export)
            except Failed as failed:
                if not self.copied or failed.args[0].startswith("LibreOffice took longer"):
                    raise
                self._stop()
                self.profile = self.folder / "fresh-profile"  # not the one the office ahead ran on
                self.copied = False
                pdf = _convert(self.binary, source, self.folder, self.profile, limit, export)
        finally:
            self._stop()
        if not self.copied:
            _cache_profile(self.profile)
        return pdf

    def close(self) -> None:
        """End the office started ahead, if it still runs, and remove the folder."""
        self._stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def office_env(home: Path) -> dict[str, str]:
    """The environment LibreOffice runs in: its own home folder, and glibc told to keep freed
    memory for reuse. LibreOffice frees and allocates large blocks while it starts; with glibc's
    adaptive thresholds each comes back as fresh pages from the kernel (about 300,000 page
    faults for one conversion). Fixed thresholds halve the time a conversion takes (1.05 s to
    0.6 s on the sample); other C libraries ignore these variables. A ``fonts.conf`` in the home
    folder (see ``Fonts``) is the fontconfig file LibreOffice finds its fonts with."""
    env = {**os.environ, "HOME": str(home), "MALLOC_MMAP_THRESHOLD_": str(256 << 20),
           "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
    if (home / "fonts.conf").is_file():
        env["FONTCONFIG_FILE"] = str(home / "fonts.conf")
    return env


def _office_program(binary: str) -> str | None:
    """LibreOffice's own program beside the ``soffice`` launcher script, started directly so that
    it, not a launcher, is the child that ends with its parent; None when not found."""
    program = Path(binary).resolve().parent / "soffice.bin"
    return str(program) if program.is_file() and os.access(program, os.X_OK) else None


def end_with_parent(parent: int | None = None) -> None:
    """In a child process (before LibreOffice starts, or a forked worker): be killed when the
    parent dies (Linux; elsewhere nothing). Given the ``parent``'s process id, end at once if
    it died before the child asked (a build killed while it starts LibreOffice)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _convert(binary: str, source: Path, folder: Path, profile: Path, timeout: float, export: str) -> bytes:
    """The PDF of ``source``; raises Failed saying why there is none. A run that takes longer than
    ``timeout`` is ended with every process it started (its own session)."""
    out = folder / "out"
    command = [
        binary, f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--norestore", "--nolockcheck",
        "--convert-to", export, "--outdir", str(out), str(source),
    ]
    try:
        # An office started ahead on the same profile gets the file from this command.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=office_env(folder),
                                   start_new_session=True, preexec_fn=partial(end_with_parent, os.getpid()))
    except OSError as err:
        raise Failed(f"LibreOffice could not start ({err.strerror})") from None
    try:
        code = process.wait(timeout=timeout)
    except BaseException as err:  # a timeout, Ctrl-C
        _end_session(process)
        if isinstance(err, subprocess.TimeoutExpired):
            raise Failed(f"LibreOffice took longer than {timeout:g} s (REPORTKIT_LIBREOFFICE_TIMEOUT)") from None
        raise
    _end_session(process)  # what the launcher left running
    result = out / f"{source.stem}.pdf"
    if code != 0:
        raise Failed(f"LibreOffice failed (exit code {code})")
    if not result.is_file():
        raise Failed("LibreOffice wrote no PDF")
    return result.read_bytes()


def _end_session(process: subprocess.Popen) -> None:
    """Kill the processes of ``process``'s session that still run, and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    process.wait()


def _profile_cache() -> Path:
    from .memo import user_cache

    return user_cache() / "libreoffice-profile"


def _copy_cached_profile(target: Path) -> bool:
    cached = _profile_cache()
    if not cached.is_dir():
        return False
    try:
        shutil.copytree(cached, target, symlinks=True)
        return True
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        return False


def _cache_profile(profile: Path) -> None:
    """Keep a working profile for the next runs (written aside, then renamed into place)."""
    cached = _profile_cache()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".profile-", dir=cached.parent))
        shutil.copytree(profile, staging / "p", symlinks=True)
        shutil.rmtree(cached, ignore_errors=True)
        os.replace(staging / "p", cached)
        shutil.rmtree(staging, ignore_errors=True)
    except OSError:
        pass  # only a cache: the next run makes a fresh profile again


def bookmark_pages(pdf: bytes, names: list[str]) -> Pagination:
    """The pages of the named destinations ``names`` in a PDF LibreOffice exported."""
    import pikepdf

    from .pdfpages import destination_pages

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pages = destination_pages(doc)
        found = {name: pages[destination_name(name)] for name in names if destination_name(name) in pages}
        return Pagination(found, len(doc.pages))


def destination_name(bookmark: str) -> str:
    """A bookmark's name as LibreOffice writes it in a PDF: letters, digits and "-" kept, any
    other character as two hex digits ("_Toc1" → "5FToc1")."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else f"{ord(c):02X}" for c in bookmark)


def paginate(docx: bytes, names: list[str], timeout: float | None = None,
             office: Office | None = None) -> Pagination:
    """Pages of the bookmarks ``names`` as LibreOffice lays out ``docx`` (in ``office`` when
    given); raises Failed saying why when it cannot tell them all."""
    if office is None:
        with Office(ahead=False) as own:
            return paginate(docx, names, timeout, own)
    pdf = office.to_pdf(docx, timeout)
    try:
        result = bookmark_pages(pdf, names)
    except Exception:  # qpdf's errors on a truncated or garbage file, and a tree not as it should be
        raise Failed("LibreOffice wrote a PDF that cannot be read") from None
    if len(result.pages) != len(set(names)):
        raise Failed("LibreOffice's PDF lacks some of the headings")
    return result
