"""The `omphalos` command line: argument parsing, printing and exit codes (docs in app.py)."""

from omphalos.cli.app import main

__all__ = ["main"]
