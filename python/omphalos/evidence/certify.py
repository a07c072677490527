"""``omphalos certify``: verify two runs from disk, compare them, optionally sign a certificate.

Exit codes: 0 equivalent, 1 different, 2 error (a run does not verify, bad arguments, a key or
certificates-log problem). A run that fails verification is an error, never a "different" verdict.
See docs/evidence.md, "Difference report" and "Certificate".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omphalos.errors import OmphalosError
from omphalos.evidence.canonical import canonical_bytes, write_canonical_json
from omphalos.evidence.certificates import append_certificate, default_log_path
from omphalos.evidence.compare import compare_runs
from omphalos.evidence.keys import (
    SigningKey,
    TrustedKey,
)
from omphalos.evidence.manifest import MANIFEST_NAME, ManifestError, read_manifest
from omphalos.evidence.problems import Problem
from omphalos.evidence.verify import verify_run

__all__ = [
    "CertifyError",
    "CertifyOutcome",
    "certify",
    "report_sha256",
]

EXIT_EQUIVALENT = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


class CertifyError(OmphalosError, RuntimeError):
    """The runs cannot be compared; ``problems`` holds each run's verification problems."""

    def __init__(self, message: str, problems: Mapping[str, list[Problem]] | None = None) -> None:
        super().__init__(message)
        self.problems: dict[str, list[Problem]] = dict(problems or {})


@dataclass
class CertifyOutcome:
    report: dict[str, Any]
    report_sha256: str
    certificate: dict[str, Any] | None = None
    certificate_line: int | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_EQUIVALENT if self.report["verdict"] == "equivalent" else EXIT_DIFFERENT


def report_sha256(report: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical bytes of the report (what a certificate binds)."""
    return hashlib.sha256(canonical_bytes(report)).hexdigest()


def certify(
    run_a: Path,
    run_b: Path,
    *,
    examples: int = 5,
    trusted_keys: Mapping[str, TrustedKey] | None = None,
    sign_key: SigningKey | None = None,
    certificates_log: Path | None = None,
    out: Path | None = None,
) -> CertifyOutcome:
    """Verify both runs from disk, compare them, write the report, append a certificate.

    Raises ``CertifyError`` when a run is missing or does not verify."""
    if examples < 0:
        raise CertifyError("--examples must be 0 or more")
    failures: dict[str, list[Problem]] = {}
    manifests: dict[str, dict[str, Any]] = {}
    for label, run_dir in (("a", run_a), ("b", run_b)):
        if not run_dir.is_dir():
            raise CertifyError(f"run {label.upper()}: {run_dir} is not an existing directory")
        result = verify_run(run_dir, trusted_keys=trusted_keys or None)
        if not result.ok:
            failures[label] = result.problems
            continue
        try:
            manifests[label] = read_manifest(run_dir / MANIFEST_NAME)[0]
        except ManifestError as exc:  # pragma: no cover - verify_run just read it
            failures[label] = [Problem(exc.code, MANIFEST_NAME, str(exc))]
    if failures:
        which = " and ".join(f"run {k.upper()}" for k in sorted(failures))
        raise CertifyError(
            f"{which} failed verification; runs that do not verify are not compared", failures
        )
    report = compare_runs(run_a, manifests["a"], run_b, manifests["b"], examples=examples)
    outcome = CertifyOutcome(report, report_sha256(report))
    if out is not None:
        write_canonical_json(out, report)
    if sign_key is not None:
        log = certificates_log if certificates_log is not None else default_log_path()
        outcome.certificate, outcome.certificate_line = append_certificate(log, report, sign_key)
    return outcome
