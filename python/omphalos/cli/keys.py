"""`omphalos keys`: the command line of omphalos.evidence.keys (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.keys import KeyFileError, generate_keypair

# ---------------------------------------------------------------------------------------------
# omphalos keys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos keys`` (subcommand ``generate``)."""
    sub = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    gen = sub.add_parser("generate", help="write a new Ed25519 key pair NAME.key / NAME.pub")
    gen.add_argument("--name", required=True, help="key name (file stem)")
    gen.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="directory for the key files (default ~/.config/omphalos/keys)",
    )
    gen.add_argument(
        "--allow-in-repo",
        action="store_true",
        help="allow writing the private key inside a git work tree",
    )
    gen.add_argument("--json", action="store_true", help="print the result as JSON")


def main_from_args(args: argparse.Namespace) -> int:
    """``omphalos keys generate``: exit 0 written, 2 refused (exists, bad name, in a repo)."""
    if args.keys_command != "generate":  # pragma: no cover - argparse enforces the choice
        print(f"omphalos keys: unknown action {args.keys_command!r}", file=sys.stderr)
        return 2
    from omphalos.pipeline.paths import SealedRunPathError, refuse_inside_sealed_run

    try:
        if args.dir is not None:
            refuse_inside_sealed_run(args.dir, "--dir")
    except SealedRunPathError as exc:
        print(f"omphalos keys generate: {exc}", file=sys.stderr)
        return 2
    try:
        key_path, pub_path, key_id = generate_keypair(
            args.name, args.dir, allow_in_repo=args.allow_in_repo
        )
    except (KeyFileError, OSError) as exc:
        print(f"omphalos keys generate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out = {
            "key_id": key_id,
            "private_key": os.fspath(key_path),
            "public_key": os.fspath(pub_path),
        }
        print(canonical_bytes(out).decode("utf-8"))
    else:
        print(f"key_id      {key_id}")
        print(f"private key {key_path}  (mode 0600; keep it secret, never commit it)")
        print(f"public key  {pub_path}  (give this to verifiers: --trusted-key {pub_path})")
    return 0
