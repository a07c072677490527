"""`omphalos sign`: the command line of omphalos.evidence.sign (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from omphalos.evidence.keys import (
    KeyFileError,
    load_signing_key,
)
from omphalos.evidence.sign import RunNotVerifiedError, SignatureError
from omphalos.evidence.verify import sign_run

# ---------------------------------------------------------------------------------------------
# omphalos sign


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos sign``."""
    parser.add_argument("--run-dir", required=True, type=Path, help="the sealed run directory")
    parser.add_argument(
        "--key", required=True, type=Path, help="the Ed25519 private key file (NAME.key)"
    )


def main_from_args(args: argparse.Namespace) -> int:
    """``omphalos sign``: 0 signed, 1 the run does not verify, 2 usage (no run, bad key, signed)."""
    run_dir: Path = args.run_dir
    if not run_dir.is_dir():
        print(f"omphalos sign: {run_dir} is not a directory", file=sys.stderr)
        return 2
    try:
        key = load_signing_key(args.key)
    except KeyFileError as exc:
        print(f"omphalos sign: {exc}", file=sys.stderr)
        return 2
    try:
        path = sign_run(run_dir, key, check=True)
    except RunNotVerifiedError as exc:
        print(f"omphalos sign: {exc}", file=sys.stderr)
        return 1
    except SignatureError as exc:
        print(f"omphalos sign: {exc}", file=sys.stderr)
        return 2
    print(f"signed {path} with {key.key_id}")
    return 0
