"""Run configuration (`config/runs/*.yaml`): input paths, as-of date, thresholds, exports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from omphalos.admit import SPECS, InputError

EXPORTABLE = ("entity_matches", "entity_scores", "review_queue")
DEFAULT_EXPORTS = EXPORTABLE
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KNOWN_KEYS = {
    "name",
    "description",
    "as_of_date",
    "inputs",
    "thresholds",
    "blocking",
    "exports",
    "catalog_queries",
}


@dataclasses.dataclass(frozen=True)
class RunConfig:
    path: Path
    name: str
    description: str
    as_of_date: str
    inputs: dict[str, Path]
    input_labels: dict[str, str]
    match_threshold: str
    review_threshold: str
    candidate_floor: str
    max_block_key_names: int
    exports: tuple[str, ...]
    catalog_queries: tuple[dict[str, Any], ...]
    raw_bytes: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw_bytes).hexdigest()

    def dbt_vars(self) -> dict[str, Any]:
        return {
            "as_of_date": self.as_of_date,
            "match_threshold": float(self.match_threshold),
            "review_threshold": float(self.review_threshold),
            "candidate_floor": float(self.candidate_floor),
            "max_block_key_names": self.max_block_key_names,
        }


def _threshold(value: Any, where: str) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: not a number: {value!r}") from exc
    if not 0.0 <= f <= 1.0:
        raise InputError(f"{where}: must be between 0 and 1, got {value!r}")
    return f"{f:.4f}"


def load_config(path: Path) -> RunConfig:
    """Read and validate a run configuration. Relative input paths resolve against its folder."""
    if not path.is_file():
        raise InputError(f"config file not found: {path}")
    raw = path.read_bytes()
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    unknown = sorted(set(doc) - _KNOWN_KEYS)
    if unknown:
        raise InputError(f"{path}: unknown key(s): {', '.join(unknown)}")
    name = str(doc.get("name") or path.stem)
    if not _NAME_RE.match(name):
        raise InputError(f"{path}: name {name!r} must match {_NAME_RE.pattern}")
    as_of = str(doc.get("as_of_date", ""))
    try:
        dt.date.fromisoformat(as_of)
    except ValueError as exc:
        raise InputError(f"{path}: as_of_date must be YYYY-MM-DD, got {as_of!r}") from exc
    inputs_doc = doc.get("inputs")
    if not isinstance(inputs_doc, dict):
        raise InputError(f"{path}: 'inputs' must map input names to files")
    inputs: dict[str, Path] = {}
    labels: dict[str, str] = {}
    for key, value in inputs_doc.items():
        if key not in SPECS:
            raise InputError(f"{path}: inputs.{key}: unknown input; known: {', '.join(SPECS)}")
        p = Path(str(value))
        inputs[key] = (path.parent / p).resolve() if not p.is_absolute() else p
        labels[key] = str(value)
    th = doc.get("thresholds") or {}
    match = _threshold(th.get("match", 0.90), f"{path}: thresholds.match")
    review = _threshold(th.get("review", 0.80), f"{path}: thresholds.review")
    floor = _threshold(th.get("candidate_floor", 0.70), f"{path}: thresholds.candidate_floor")
    if not float(floor) <= float(review) <= float(match):
        raise InputError(f"{path}: thresholds must satisfy candidate_floor <= review <= match")
    blocking = doc.get("blocking") or {}
    max_keys = blocking.get("max_block_key_names", 25)
    if not isinstance(max_keys, int) or max_keys < 1:
        raise InputError(f"{path}: blocking.max_block_key_names must be a positive integer")
    exports = tuple(doc.get("exports") or DEFAULT_EXPORTS)
    bad = [e for e in exports if e not in EXPORTABLE]
    if bad:
        raise InputError(
            f"{path}: exports: unknown table(s) {', '.join(bad)}; known: {', '.join(EXPORTABLE)}"
        )
    queries = doc.get("catalog_queries") or []
    if not isinstance(queries, list) or not all(
        isinstance(q, dict) and "name" in q for q in queries
    ):
        raise InputError(f"{path}: catalog_queries must be a list of {{name, params}} mappings")
    return RunConfig(
        path=path,
        name=name,
        description=str(doc.get("description", "")),
        as_of_date=as_of,
        inputs=inputs,
        input_labels=labels,
        match_threshold=match,
        review_threshold=review,
        candidate_floor=floor,
        max_block_key_names=max_keys,
        exports=exports,
        catalog_queries=tuple(queries),
        raw_bytes=raw,
    )
