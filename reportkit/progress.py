"""What a build is doing, told on one self-erasing terminal line once it has taken over a
second (or, verbose, on a line of its own per stage with the time since the start)."""

from __future__ import annotations

import threading
import time
from typing import Callable


class Progress:
    """Shows the stage of a build through ``write`` (the command's stderr) while in a ``with``
    block; ``stage`` is the build's ``BuildOptions.progress``."""

    DELAY = 1.0
    """Seconds before the line appears: a quick build shows nothing."""

    def __init__(self, write: Callable[[str], None], enabled: bool, verbose: bool = False):
        self.write = write
        self.enabled = enabled
        self.verbose = verbose
        self.current = ""
        self.shown = ""
        self.start = time.perf_counter()
        self._stop: threading.Event | None = None

    def stage(self, text: str) -> None:
        """The build begins ``text`` ("reading the sources"…)."""
        self.current = text
        if self.verbose:
            self.write(f"[{time.perf_counter() - self.start:5.1f} s] {text}\n")
        elif self.enabled and self._stop is None:
            # Started here, not on entry: after ``reportkit build`` has forked its PDF writer (a
            # process forked while another thread runs may inherit a lock that thread holds).
            self._stop = threading.Event()
            threading.Thread(target=self._tick, daemon=True).start()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop:
            self._stop.set()
            if self.shown:
                self.write("\r\x1b[K")

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            if time.perf_counter() - self.start > self.DELAY and self.current != self.shown:
                self.shown = self.current
                self.write(f"\r\x1b[K{self.current}…")
