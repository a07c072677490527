"""The one error base of omphalos and the exit codes it maps to.

Every error the command line reports derives from ``OmphalosError``; its class says the exit
code once (``exit_code``), so no command keeps its own table: 0 ok, 1 a check or run failed,
2 a usage or input error.
"""

from __future__ import annotations

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CheckFailedError",
    "InputError",
    "OmphalosError",
    "exit_code_for",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class OmphalosError(Exception):
    """Base of every omphalos error; ``exit_code`` is what the command line exits with."""

    exit_code: int = EXIT_USAGE


class CheckFailedError(OmphalosError):
    """A check or a run failed on well-formed input (exit 1)."""

    exit_code = EXIT_FAILED


class InputError(OmphalosError):
    """An input, a configuration or a setting is unusable (exit 2)."""


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an error: its class's, ``EXIT_FAILED`` for an unexpected disk error
    (OSError) and ``EXIT_USAGE`` for anything else raised from argument checking."""
    if isinstance(exc, OmphalosError):
        return exc.exit_code
    if isinstance(exc, OSError):
        return EXIT_FAILED
    return EXIT_USAGE
