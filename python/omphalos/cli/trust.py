"""The trust options every checking command shares: ``--trusted-key`` and ``--trust-file``."""

from __future__ import annotations

import argparse
from pathlib import Path

from omphalos.evidence.keys import TRUST_SCHEMA, TrustedKey, load_trusted_keys

__all__ = ["add_trust_arguments", "trusted_keys_from_args"]


def add_trust_arguments(parser: argparse.ArgumentParser) -> None:
    """``--trusted-key FILE`` and ``--trust-file FILE`` (both repeatable)."""
    parser.add_argument(
        "--trusted-key",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a public key you trust (NAME.pub or PEM); repeatable",
    )
    parser.add_argument(
        "--trust-file",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help=f"a JSON trust file ({TRUST_SCHEMA}) listing trusted public keys; repeatable",
    )


def trusted_keys_from_args(args: argparse.Namespace) -> dict[str, TrustedKey]:
    return load_trusted_keys(
        getattr(args, "trusted_key", None) or (), getattr(args, "trust_file", None) or ()
    )
