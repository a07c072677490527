"""Reviewer decisions on match candidates, in a hash-chained log outside the runs (docs/review.md).

``omphalos review decide`` verifies a sealed run, finds the candidate in its
``exports/entity_matches.parquet`` by ``match_id`` and appends one decision record, bound to the
run (``run_id``, ``payload_root``) and to the candidate's evidence (party name, entity id, matched
name, list, list date and the digest of the registry entry as the run admitted it), to a JSONL
log. The log is a lineage chain (omphalos.evidence.lineage: each line ``{"schema_version":
"omphalos.lineage_event/1", "seq", "at", "event": "review_decision", "data": <record>,
"prev_sha256"}``), so its chain is written and checked by the lineage code. With ``--sign-key``
the record carries an Ed25519 signature over its canonical bytes without ``signature``.

Exit codes: 0 ok; 1 a check failed (the run does not verify, the log's chain or a record is
broken); 2 usage or input error (unknown match id, a log inside a run, unreadable key).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omphalos.errors import OmphalosError
from omphalos.evidence.canonical import canonical_bytes, loads_strict

__all__ = [
    "DECISIONS",
    "DECISION_FIELDS",
    "EVENT",
    "RECORD_SCHEMA",
    "ReviewError",
    "append_decision",
    "build_decision",
    "check_log_path",
    "read_decisions",
    "registry_entry_digests",
    "verify_log",
]

RECORD_SCHEMA = "omphalos.review_decision/1"
EVENT = "review_decision"
DECISIONS = ("true_match", "false_positive", "escalated")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_MAX_TEXT = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DECISION_FIELDS = (
    "schema_version",
    "decision_id",
    "decision",
    "reason",
    "reviewer",
    "decided_at",
    "run_id",
    "payload_root",
    "match_id",
    "shipment_id",
    "party_role",
    "party_name",
    "entity_id",
    "matched_name",
    "matched_name_type",
    "source_list",
    "list_date",
    "registry_entry_sha256",
    "score",
    "match_status",
    "key_id",
    "algorithm",
    "signature",
)


class ReviewError(OmphalosError):
    """A decision cannot be recorded or a log cannot be read; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------------------------
# the run side: candidate and registry entry


def registry_entry_digests(admitted: Path, entity_ids: set[str] | None = None) -> dict[str, str]:
    """sha256 of each registry entry as a run admitted it (``inputs/admitted``): the canonical
    JSON of ``{"entity": {entity_id, source_list, entity_kind, primary_name, countries, programs,
    remarks}, "names": [[name, name_type], ...], "identifiers": [[id_type, id_value,
    id_country], ...]}`` with names and identifiers sorted. ``list_date`` is left out, so an
    entry that is the same in the next version of the list keeps its digest."""
    import pyarrow.parquet as pq

    def table(name: str) -> list[dict[str, Any]]:
        path = admitted / f"{name}.parquet"
        if not path.is_file():
            raise ReviewError(f"{path}: not found (the run's admitted {name})")
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        if entity_ids is None:
            return rows
        return [r for r in rows if r.get("entity_id") in entity_ids]

    names: dict[str, list[list[Any]]] = {}
    for r in table("registry_names"):
        names.setdefault(r["entity_id"], []).append([r["name"], r["name_type"]])
    idents: dict[str, list[list[Any]]] = {}
    for r in table("registry_identifiers"):
        idents.setdefault(r["entity_id"], []).append([r["id_type"], r["id_value"], r["id_country"]])
    out: dict[str, str] = {}
    for r in table("registry_entities"):
        eid = r["entity_id"]
        doc = {
            "entity": {
                k: r.get(k)
                for k in (
                    "entity_id",
                    "source_list",
                    "entity_kind",
                    "primary_name",
                    "countries",
                    "programs",
                    "remarks",
                )
            },
            "names": sorted(names.get(eid, []), key=lambda v: [str(x) for x in v]),
            "identifiers": sorted(idents.get(eid, []), key=lambda v: [str(x) for x in v]),
        }
        out[eid] = hashlib.sha256(canonical_bytes(doc)).hexdigest()
    return out


def _verified_run(run_dir: Path) -> dict[str, Any]:
    from omphalos.evidence.manifest import MANIFEST_NAME, ManifestError, read_manifest
    from omphalos.evidence.verify import verify_run

    if not run_dir.is_dir():
        raise ReviewError(f"--run-dir {run_dir}: not a folder")
    if not (run_dir / MANIFEST_NAME).is_file():
        raise ReviewError(f"--run-dir {run_dir}: no {MANIFEST_NAME}: not a sealed run")
    result = verify_run(run_dir)
    if not result.ok:
        first = result.problems[0]
        raise ReviewError(
            f"--run-dir {run_dir} does not verify ({len(result.problems)} problem(s), first: "
            f"{first}); no decision is recorded against it",
            EXIT_FAILED,
        )
    try:
        manifest, _ = read_manifest(run_dir / MANIFEST_NAME)
    except ManifestError as exc:
        raise ReviewError(f"{run_dir}: {exc}", EXIT_FAILED) from None
    return manifest


def _candidate(run_dir: Path, match_id: str) -> dict[str, Any]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = run_dir / "exports" / "entity_matches.parquet"
    if not path.is_file():
        raise ReviewError(f"{path}: not found (the run's entity_matches export)")
    tab = pq.read_table(path)
    hits = tab.filter(pc.equal(tab["match_id"], match_id)).to_pylist()
    if not hits:
        raise ReviewError(
            f"--match-id: no candidate with that id in {path} ({tab.num_rows} candidates); "
            "match ids are shipment_id:party_role:entity_id, as in the review queue"
        )
    row: dict[str, Any] = hits[0]
    return row


def _inside_run(log: Path, run_dir: Path) -> Path | None:
    from omphalos.evidence.manifest import MANIFEST_NAME

    target = log.resolve().parent if not log.is_dir() else log.resolve()
    runs = {run_dir.resolve()}
    for folder in (target, *target.parents):
        if folder in runs or (folder / MANIFEST_NAME).is_file():
            return folder
    return None


def _text(value: str, flag: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ReviewError(f"{flag}: empty")
    if len(text) > _MAX_TEXT or _CONTROL.search(text):
        raise ReviewError(f"{flag}: at most {_MAX_TEXT} characters, no control characters")
    return text


def _decision_id(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k not in ("decision_id", "signature")}
    return "D-" + hashlib.sha256(canonical_bytes(body)).hexdigest()[:20]


def _signed_bytes(record: Mapping[str, Any]) -> bytes:
    return canonical_bytes({k: v for k, v in record.items() if k != "signature"})


def build_decision(
    run_dir: Path,
    match_id: str,
    decision: str,
    reason: str,
    reviewer: str,
    decided_at: str,
    key: Any = None,
) -> dict[str, Any]:
    """The decision record for one candidate of a verified run (``key``: a SigningKey)."""
    from omphalos.evidence.keys import ALGORITHM

    if decision not in DECISIONS:
        raise ReviewError(f"--decision {decision!r}: expected one of {', '.join(DECISIONS)}")
    manifest = _verified_run(run_dir)
    row = _candidate(run_dir, match_id)
    entity_id = str(row["entity_id"])
    digests = registry_entry_digests(run_dir / "inputs" / "admitted", {entity_id})
    import pyarrow.parquet as pq

    ents = pq.read_table(run_dir / "inputs" / "admitted" / "registry_entities.parquet")
    listed = [r for r in ents.to_pylist() if r["entity_id"] == entity_id]
    list_date = str(listed[0]["list_date"]) if listed and listed[0].get("list_date") else None
    score = row.get("score")
    record: dict[str, Any] = {
        "schema_version": RECORD_SCHEMA,
        "decision_id": "",
        "decision": decision,
        "reason": _text(reason, "--reason"),
        "reviewer": _text(reviewer, "--reviewer"),
        "decided_at": decided_at,
        "run_id": manifest["run_id"],
        "payload_root": manifest["merkle"]["payload_root"],
        "match_id": match_id,
        "shipment_id": row.get("shipment_id"),
        "party_role": row.get("party_role"),
        "party_name": row.get("party_name"),
        "entity_id": entity_id,
        "matched_name": row.get("matched_name"),
        "matched_name_type": row.get("matched_name_type"),
        "source_list": row.get("source_list"),
        "list_date": list_date,
        "registry_entry_sha256": digests.get(entity_id),
        "score": None if score is None else str(score),
        "match_status": row.get("match_status"),
        "key_id": key.key_id if key is not None else None,
        "algorithm": ALGORITHM if key is not None else None,
        "signature": None,
    }
    record["decision_id"] = _decision_id(record)
    if key is not None:
        record["signature"] = base64.b64encode(key.sign(_signed_bytes(record))).decode("ascii")
    return record


def check_log_path(log: Path, run_dir: Path) -> None:
    """Refuse a log inside the run, inside any sealed run, or that is not a regular file."""
    inside = _inside_run(log, run_dir)
    if inside is not None:
        raise ReviewError(
            f"--log {log} is inside the run folder {inside}: a sealed run is never written to; "
            "keep the decisions log beside the runs"
        )
    if log.is_symlink() or log.is_dir() or (log.exists() and not log.is_file()):
        raise ReviewError(f"--log {log}: not a regular file")


def append_decision(log: Path, record: Mapping[str, Any], run_dir: Path) -> str:
    """Append a record to the log (a lineage chain); returns the line's sha256."""
    from omphalos.evidence.lineage import LineageError, LineageLog

    check_log_path(log, run_dir)
    try:
        return LineageLog(log, clock=lambda: str(record["decided_at"])).append(EVENT, record)
    except LineageError as exc:
        raise ReviewError(f"--log {log}: {exc}", EXIT_FAILED) from None


# ---------------------------------------------------------------------------------------------
# reading and checking a log


def _check_record(data: object, trusted: Mapping[str, Any] | None) -> str | None:
    if not isinstance(data, dict):
        return "data is not an object"
    if tuple(sorted(data)) != tuple(sorted(DECISION_FIELDS)):
        missing = sorted(set(DECISION_FIELDS) - set(data))
        extra = sorted(set(data) - set(DECISION_FIELDS))
        return f"fields missing {missing}, unexpected {extra}"
    if data["schema_version"] != RECORD_SCHEMA:
        return f"schema_version is not {RECORD_SCHEMA}"
    if data["decision"] not in DECISIONS:
        return "decision is not one of " + ", ".join(DECISIONS)
    if data["decision_id"] != _decision_id(data):
        return "decision_id does not match the record (the record was edited)"
    if data["signature"] is None:
        return None if data["key_id"] is None else "key_id without a signature"
    if trusted is None:
        return None
    key = trusted.get(data["key_id"])
    if key is None:
        return f"signed by {data['key_id']}, which is not among the {len(trusted)} trusted key(s)"
    try:
        sig = base64.b64decode(str(data["signature"]), validate=True)
    except (binascii.Error, ValueError):
        sig = b""
    if len(sig) != 64 or not key.verify(sig, _signed_bytes(data)):
        return f"the signature does not verify under trusted key {data['key_id']}"
    return None


def read_decisions(log: Path) -> list[dict[str, Any]]:
    """The decision records of a log whose chain is intact (raises ReviewError, code 1, else)."""
    from omphalos.evidence.lineage import verify_chain

    if not log.is_file():
        raise ReviewError(f"--log {log}: not found")
    problems = verify_chain(log)
    if problems:
        raise ReviewError(f"--log {log}: the chain is broken: {problems[0]}", EXIT_FAILED)
    out = []
    for i, line in enumerate(log.read_bytes().splitlines(), 1):
        event = loads_strict(line)
        assert isinstance(event, dict)
        if event.get("event") != EVENT:
            raise ReviewError(f"{log}: line {i}: event is not {EVENT}", EXIT_FAILED)
        problem = _check_record(event["data"], None)
        if problem is not None:
            raise ReviewError(f"{log}: line {i}: {problem}", EXIT_FAILED)
        out.append(event["data"])
    return out


def verify_log(log: Path, trusted: Mapping[str, Any] | None) -> tuple[int, int, list[str]]:
    """Check the chain and every record (and signatures, when ``trusted`` is given); returns
    (records, signed records, problems)."""
    from omphalos.evidence.lineage import verify_chain

    if not log.is_file():
        return 0, 0, [f"{log}: not found"]
    chain = verify_chain(log)
    if chain:
        return 0, 0, [str(chain[0])]
    problems: list[str] = []
    count = signed = 0
    for i, line in enumerate(log.read_bytes().splitlines(), 1):
        event = loads_strict(line)
        assert isinstance(event, dict)
        count += 1
        if event.get("event") != EVENT:
            problems.append(f"{log}: line {i}: event is not {EVENT}")
            continue
        problem = _check_record(event["data"], trusted)
        if problem is not None:
            problems.append(f"{log}: line {i}: {problem}")
        elif event["data"]["signature"] is not None:
            signed += 1
    return count, signed, problems
