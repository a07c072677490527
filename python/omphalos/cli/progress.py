"""Progress on stderr for long operations: shown on a terminal, silent otherwise.

The one progress mechanism of the command line. Every long operation takes a plain
``progress: Callable[[str], None] | None`` callback (generation, admission, loading, dbt build
per model, hashing, bundling); the command line passes a ``Progress`` (or None when progress is
off), so the pipeline never imports this module::

    progress = Progress.for_command(json_output=args.json, force=args.progress)
    progress.step("dbt build")                  # one line: "[omphalos] 12.3s dbt build"
    for i, path in enumerate(paths, 1):
        progress.count(i, len(paths), "hashing")  # "[omphalos] hashing 120/4000", throttled

A ``Progress`` is also a ``Callable[[str], None]`` (``progress("message")`` is ``step``), so it
can be passed wherever the code takes a plain ``progress`` callback (``execute_run``,
``admit_all``). Each phase line carries the time elapsed since the command started, so the
length of a phase is the difference of two lines. Nothing is ever written to stdout, and a
disabled ``Progress`` costs one attribute check per call.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "progress_printer"]


class Progress:
    """Progress messages on ``stream`` (stderr by default) when enabled.

    ``enabled=None`` means: enabled when ``stream`` is a terminal. On a terminal, ``count``
    rewrites one line in place; elsewhere (``force`` on a pipe or a CI log) it prints at most
    one line per ``interval`` seconds, plus the last one, so logs stay short.
    """

    def __init__(
        self,
        enabled: bool | None = None,
        *,
        stream: TextIO | None = None,
        prefix: str = "[omphalos] ",
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.enabled = self._isatty(self.stream) if enabled is None else enabled
        self.prefix = prefix
        self.interval = interval
        self._tty = self._isatty(self.stream)
        self._last = float("-inf")
        self._open_line = False
        self._clock = clock
        self._start = clock()

    @staticmethod
    def _isatty(stream: TextIO) -> bool:
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):  # closed or unusual streams
            return False

    @classmethod
    def for_command(
        cls, *, json_output: bool = False, quiet: bool = False, force: bool = False
    ) -> Progress:
        """The rule of the command line: never with ``--json`` or ``--quiet``; on stderr when it
        is a terminal, or always with ``--progress`` (``force``)."""
        if json_output or quiet:
            return cls(enabled=False)
        return cls(enabled=True if force else None)

    @classmethod
    def disabled(cls) -> Progress:
        return cls(enabled=False)

    def __call__(self, message: str) -> None:
        self.step(message)

    def step(self, message: str) -> None:
        """One line announcing a phase, with the seconds elapsed since the start."""
        if not self.enabled:
            return
        self._end_line()
        elapsed = self._clock() - self._start
        self.stream.write(f"{self.prefix}{elapsed:.1f}s {message}\n")
        self.stream.flush()

    def count(self, done: int, total: int | None, label: str) -> None:
        """``label done/total`` (or ``label done`` when the total is unknown), throttled."""
        if not self.enabled:
            return
        now = self._clock()
        last = total is not None and done >= total
        if not last and now - self._last < self.interval:
            return
        self._last = now
        text = f"{self.prefix}{label} {done}" + (f"/{total}" if total is not None else "")
        if total:
            text += f" ({100 * done // total}%)"
        if self._tty:
            self.stream.write("\r\x1b[2K" + text)
            self._open_line = not last
            if last:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, message: str | None = None) -> None:
        """Close an in-place counter line (and optionally say something)."""
        if not self.enabled:
            return
        self._end_line()
        if message:
            self.step(message)

    def _end_line(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False


def progress_printer(args: argparse.Namespace) -> Progress | None:
    """The progress callback of a command: None with ``--json`` or ``--quiet``, or when stderr
    is no terminal and ``--progress`` is not given."""
    progress = Progress.for_command(
        json_output=bool(getattr(args, "json", False)),
        quiet=bool(getattr(args, "quiet", False)),
        force=bool(getattr(args, "progress", False)),
    )
    return progress if progress.enabled else None
