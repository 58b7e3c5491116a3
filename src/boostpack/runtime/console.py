"""What the CLI shows a person: data and ``--json`` to stdout, logs and progress to stderr.

Progress has two forms, because long work runs in two places: on a terminal one line is
redrawn in place (at most 5 times a second); anywhere else (a batch job's log, CI output) a
whole line is written every ``interval`` seconds (10 by default, ``$BOOSTPACK_PROGRESS_INTERVAL``
to change it), so a 30-second dedup in a job log is never silent and a day-long one does not
flood it. ``--quiet`` (``set_progress(False)``) turns both off for the process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

from boostpack.errors import InvalidInput

DEFAULT_INTERVAL = 10.0
_REDRAW = 0.2  # seconds between redraws on a terminal
_TICK = 1.0  # a terminal line is redrawn this often without updates (elapsed time moves on)

_enabled_default: bool | None = None  # set_progress(): the CLI's --quiet
_drawn: Progress | None = None  # the bar on the terminal's current line, if any


def log(message: str) -> None:
    """One line of human-oriented output on stderr (below a progress bar being drawn)."""
    bar = _drawn
    if bar is not None:
        bar.clear_line()
    print(message, file=sys.stderr, flush=True)


def emit_json(obj: Any) -> None:
    """A machine-readable summary on stdout."""
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def set_progress(enabled: bool | None) -> None:
    """The default for ``Progress(enabled=None)`` in this process: False is ``--quiet``."""
    global _enabled_default
    _enabled_default = enabled


def progress_interval() -> float:
    """Seconds between progress lines off a terminal: ``$BOOSTPACK_PROGRESS_INTERVAL`` or 10."""
    text = os.environ.get("BOOSTPACK_PROGRESS_INTERVAL", "").strip()
    if not text:
        return DEFAULT_INTERVAL
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise InvalidInput(f"BOOSTPACK_PROGRESS_INTERVAL must be a positive number of seconds, "
                           f"got {text!r}")
    return value


def duration(seconds: float) -> str:
    """``4.2s``, ``2m05s``, ``1h02m``: short enough for a progress line."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


class Progress:
    """Progress of one long step on stderr: units done (of ``total``), MB done (of
    ``total_bytes``) when updates carry bytes, the rate, and an ETA when a total is known.

    ``enabled``: None follows ``set_progress`` (shown unless ``--quiet``); ``interval``:
    seconds between lines off a terminal (default ``progress_interval()``). Off a terminal a
    last line is written at ``close`` when the step ran at least one interval (whether or not
    the ticker thread got to write one), so a log shows how each long step ended. ``skip`` counts work a resumed run finds done: it moves
    the counts, not the rate or the ETA.
    """

    def __init__(self, desc: str, total: float | None = None, unit: str = "", *,
                 total_bytes: int | None = None, enabled: bool | None = None,
                 interval: float | None = None) -> None:
        self.desc, self.total, self.unit, self.total_bytes = desc, total, unit, total_bytes
        if enabled is None:
            enabled = _enabled_default is not False
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.interval = interval if interval is not None else progress_interval()
        self.done = self.bytes = 0.0
        self._skipped = self._skipped_bytes = 0.0
        self._start = self._last = time.monotonic()
        self._lines = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.enabled:
            self._ticker = threading.Thread(target=self._tick, name="boostpack-progress",
                                            daemon=True)
            self._ticker.start()

    def update(self, n: float = 1, nbytes: float = 0) -> None:
        """``n`` more units (and ``nbytes`` more bytes) done."""
        self.done += n
        self.bytes += nbytes
        if self.enabled and self.tty:
            now = time.monotonic()
            if now - self._last >= _REDRAW:
                self._draw(now)

    def skip(self, n: float = 1, nbytes: float = 0) -> None:
        """``n`` units (``nbytes`` bytes) found already done: counted, but not as speed."""
        self._skipped += n
        self._skipped_bytes += nbytes
        self.update(n, nbytes)

    def line(self, now: float | None = None) -> str:
        """The progress text (without the description), e.g.
        ``5/12 tasks, 160.2/384.0 MB, 38.2 MB/s, ETA 6.1s, 4.2s``."""
        now = time.monotonic() if now is None else now
        elapsed = max(now - self._start, 1e-9)
        parts = [f"{self.done:,.0f}{f'/{self.total:,.0f}' if self.total else ''} {self.unit}".rstrip()]
        if self.bytes or self.total_bytes:
            of = f"/{self.total_bytes / 1e6:,.1f}" if self.total_bytes else ""
            parts.append(f"{self.bytes / 1e6:,.1f}{of} MB")
            parts.append(f"{(self.bytes - self._skipped_bytes) / 1e6 / elapsed:,.1f} MB/s")
        else:
            parts.append(f"{(self.done - self._skipped) / elapsed:,.1f} {self.unit or 'units'}/s")
        eta = self._eta(elapsed)
        if eta is not None:
            parts.append(f"ETA {duration(eta)}")
        parts.append(duration(elapsed))
        return ", ".join(parts)

    def _eta(self, elapsed: float) -> float | None:
        """Seconds left at this run's own pace (bytes when their total is known, else units)."""
        if self.total_bytes:
            done, left = self.bytes - self._skipped_bytes, self.total_bytes - self.bytes
        elif self.total:
            done, left = self.done - self._skipped, self.total - self.done
        else:
            return None
        return elapsed * left / done if done > 0 and left > 0 else None

    def _draw(self, now: float) -> None:
        global _drawn
        with self._lock:
            self._last = now
            if self.tty:
                sys.stderr.write(f"\r{self.desc}: {self.line(now)}\x1b[K")
                _drawn = self
            else:
                sys.stderr.write(f"{self.desc}: {self.line(now)}\n")
                self._lines += 1
            sys.stderr.flush()

    def clear_line(self) -> None:
        """Wipe the drawn bar (before a log line); the next redraw puts it back."""
        global _drawn
        with self._lock:
            if _drawn is self:
                sys.stderr.write("\r\x1b[K")
                _drawn = None

    def _tick(self) -> None:
        """Ticker thread: a line every ``interval`` off a terminal; a redraw every second on one
        (so a step with rare updates still shows time passing)."""
        period = _TICK if self.tty else self.interval
        while not self._stop.wait(period):
            self._draw(time.monotonic())

    def close(self) -> None:
        global _drawn
        if not self.enabled:
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self.tty:
            self._draw(time.monotonic())
            with self._lock:
                sys.stderr.write("\n")
                sys.stderr.flush()
                _drawn = None
        else:
            now = time.monotonic()
            if self._lines or now - self._start >= self.interval:
                self._draw(now)
        self.enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
