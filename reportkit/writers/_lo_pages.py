"""Where LibreOffice puts each heading: convert a DOCX to PDF once and read the bookmarks' pages.

Used by the DOCX writer to print page numbers in its contents, so the contents page is right
in LibreOffice (and close in Word) before anyone updates fields. Each run gets its own
LibreOffice profile: two conversions sharing one profile fail silently.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 180
"""Seconds one conversion may take before it is given up (the contents then carry no numbers)."""

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


def to_pdf(docx: bytes, timeout: float = TIMEOUT, export: str = _EXPORT) -> bytes | None:
    """Convert DOCX bytes to PDF bytes with a headless LibreOffice; None if it fails.

    Each run starts from a copy of a profile kept in the user's cache (LibreOffice makes a
    new profile in about 0.15 s otherwise); a run whose copied profile fails is retried once
    with a fresh one, which then replaces the cached copy.
    """
    binary = soffice()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="reportkit-lo-") as tmp:
        folder = Path(tmp)
        source = folder / "document.docx"
        source.write_bytes(docx)
        copied = _copy_cached_profile(folder / "profile")
        pdf = _convert(binary, source, folder, folder / "profile", timeout, export)
        if pdf is None and copied:
            shutil.rmtree(folder / "profile", ignore_errors=True)
            pdf = _convert(binary, source, folder, folder / "profile", timeout, export)
            copied = False
        if pdf is not None and not copied:
            _cache_profile(folder / "profile")
        return pdf


def _convert(binary: str, source: Path, folder: Path, profile: Path, timeout: float,
             export: str) -> bytes | None:
    out = folder / "out"
    command = [
        binary, f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--norestore", "--nolockcheck",
        "--convert-to", export, "--outdir", str(out), str(source),
    ]
    try:
        subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                       env={**os.environ, "HOME": str(folder)})
    except (OSError, subprocess.TimeoutExpired):
        return None
    result = out / f"{source.stem}.pdf"
    return result.read_bytes() if result.is_file() else None


def _profile_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reportkit" / "libreoffice-profile"


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
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found: dict[str, int] = {}
    destinations = {key.lstrip("/"): dest for key, dest in reader.named_destinations.items()}
    for name in names:
        dest = destinations.get(destination_name(name))
        if dest is not None:
            found[name] = reader.get_destination_page_number(dest) + 1
    return Pagination(found, len(reader.pages))


def destination_name(bookmark: str) -> str:
    """A bookmark's name as LibreOffice writes it in a PDF: letters, digits and "-" kept, any
    other character as two hex digits ("_Toc1" → "5FToc1")."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else f"{ord(c):02X}" for c in bookmark)


def paginate(docx: bytes, names: list[str], timeout: float = TIMEOUT) -> Pagination | None:
    """Pages of the bookmarks ``names`` as LibreOffice lays out ``docx``; None if any is missing."""
    pdf = to_pdf(docx, timeout)
    if pdf is None:
        return None
    result = bookmark_pages(pdf, names)
    return result if len(result.pages) == len(set(names)) else None
