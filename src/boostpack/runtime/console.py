"""What the CLI shows a person: data and ``--json`` to stdout, logs and progress to stderr.

Progress is drawn only when stderr is a terminal, so logs and CI output stay clean.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def log(message: str) -> None:
    """One line of human-oriented output on stderr."""
    print(message, file=sys.stderr, flush=True)


def emit_json(obj: Any) -> None:
    """A machine-readable summary on stdout."""
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


class Progress:
    """A minimal stderr progress line (units done, rate), redrawn at most 5 times a second."""

    def __init__(self, desc: str, total: float | None = None, unit: str = "",
                 enabled: bool | None = None) -> None:
        self.desc, self.total, self.unit = desc, total, unit
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0.0
        self._start = self._last = time.monotonic()

    def update(self, n: float = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self._last >= 0.2:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.done / max(now - self._start, 1e-9)
        total = f"/{self.total:,.0f}" if self.total else ""
        sys.stderr.write(f"\r{self.desc}: {self.done:,.0f}{total} {self.unit} ({rate:,.0f}/s)\x1b[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(items: Iterable[T], desc: str, total: float | None = None) -> Iterator[T]:
    """Iterate ``items`` while counting them on a progress line."""
    with Progress(desc, total) as bar:
        for item in items:
            yield item
            bar.update()
