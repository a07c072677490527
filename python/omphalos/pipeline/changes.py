"""What changed since a previous run (run config key ``previous_run:``, ``omphalos run
--previous-run DIR``; docs/review.md, "What changed since last time").

The previous run is verified from disk before the run starts (a run that does not verify, or that
lacks what the comparison reads, stops the run, exit 2). After the export, one DuckDB query over
both runs' candidates (this run's ``entity_matches``, the previous run's
``exports/entity_matches.parquet``), both runs' admitted shipments and the registry entry digests
of both runs' admitted registries (``omphalos.evidence.review.registry_entry_digests``, the digest review
decisions are bound to) lists every candidate that alerts (MATCH or REVIEW) in either run and is
new, gone, or changed in status, score or queueing, keyed by ``match_id``, each with its causes:
a decision applied, a new or removed shipment, a list entry added, removed or changed, a shipment
row changed, the thresholds or the matching rules changed (``dbt.project_sha256`` of both
manifests: the digest of models/, macros/, seeds/ and dbt_project.yml).
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from omphalos.errors import InputError
from omphalos.evidence.review import registry_entry_digests
from omphalos.pipeline.paths import project_root

EXPORT_NAME = "changes_since_previous"
KEY = ("match_id",)
#: Causes, in the order the first applicable one is named in ``cause``.
CAUSES = (
    "decision",
    "new_shipment",
    "shipment_removed",
    "list_entry_added",
    "list_entry_removed",
    "list_entry_changed",
    "shipment_changed",
    "thresholds_changed",
    "rules_changed",
    "other_list_entries_changed",
    "unattributed",
)
THRESHOLD_VARS = ("match_threshold", "review_threshold", "candidate_floor", "max_block_key_names")
PROJECT_PARTS = ("models", "macros", "seeds", "dbt_project.yml")
_SCORE = pa.decimal128(9, 4)
SCHEMA = pa.schema(
    [
        pa.field("match_id", pa.string()),
        pa.field("change", pa.string()),
        pa.field("cause", pa.string()),
        pa.field("causes", pa.string()),
        pa.field("shipment_id", pa.string()),
        pa.field("party_role", pa.string()),
        pa.field("party_name", pa.string()),
        pa.field("entity_id", pa.string()),
        pa.field("entity_primary_name", pa.string()),
        pa.field("matched_name", pa.string()),
        pa.field("previous_status", pa.string()),
        pa.field("current_status", pa.string()),
        pa.field("previous_score", _SCORE),
        pa.field("current_score", _SCORE),
        pa.field("previous_queued", pa.bool_()),
        pa.field("current_queued", pa.bool_()),
        pa.field("prior_decision", pa.string()),
        pa.field("prior_decision_status", pa.string()),
        pa.field("prior_decision_id", pa.string()),
    ]
)
_NEEDED = (
    "exports/entity_matches.parquet",
    "inputs/admitted/shipments.parquet",
    "inputs/admitted/registry_entities.parquet",
    "inputs/admitted/registry_names.parquet",
    "inputs/admitted/registry_identifiers.parquet",
)


def project_sha256(root: Path | None = None) -> str:
    """SHA-256 of the matching rules as the run used them: every file under models/, macros/,
    seeds/ and dbt_project.yml, as the lines ``<relative path>\\0<sha256 of the bytes>\\n`` in
    byte order of the paths (recorded in the manifest as ``dbt.project_sha256``)."""
    root = root or project_root()
    files: list[Path] = []
    for part in PROJECT_PARTS:
        path = root / part
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    lines = sorted(
        (p.relative_to(root).as_posix().encode("utf-8"), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in files
    )
    h = hashlib.sha256()
    for rel, digest in lines:
        h.update(rel + b"\0" + digest.encode("ascii") + b"\n")
    return h.hexdigest()


@dataclasses.dataclass(frozen=True)
class PreviousRun:
    path: Path
    label: str
    manifest: dict[str, Any]

    @property
    def run_id(self) -> str:
        return str(self.manifest["run_id"])

    @property
    def payload_root(self) -> str:
        return str(self.manifest["merkle"]["payload_root"])


def check_previous_run(path: Path, label: str) -> PreviousRun:
    """Verify the previous run (InputError, exit 2, when it is no sealed run, does not verify or
    lacks a file the comparison reads)."""
    from omphalos.evidence.manifest import MANIFEST_NAME, ManifestError, read_manifest
    from omphalos.evidence.verify import verify_run

    where = f"previous_run: {label}"
    if not path.is_dir():
        raise InputError(f"{where}: not a folder")
    if not (path / MANIFEST_NAME).is_file():
        raise InputError(f"{where}: no {MANIFEST_NAME}: not a sealed run")
    result = verify_run(path)
    if not result.ok:
        raise InputError(
            f"{where}: does not verify ({len(result.problems)} problem(s), first: "
            f"{result.problems[0]}); nothing is compared with it"
        )
    try:
        manifest, _ = read_manifest(path / MANIFEST_NAME)
    except ManifestError as exc:  # pragma: no cover - verify read it just now
        raise InputError(f"{where}: {exc}") from None
    listed = {a["path"] for a in manifest["artifacts"]}
    for rel in _NEEDED:
        if rel not in listed:
            raise InputError(f"{where}: the run has no {rel}; the comparison reads it")
    return PreviousRun(path.resolve(), label, manifest)


def _queued(columns: list[str], alias: str) -> str:
    """The review_queue rule (models/marts/screening/review_queue.sql) on a candidates table."""
    alerting = f"{alias}.match_status in ('MATCH', 'REVIEW')"
    if "prior_decision_status" not in columns:
        return alerting
    return (
        f"({alerting} and not coalesce({alias}.prior_decision = 'false_positive' "
        f"and {alias}.prior_decision_status = 'applies', false))"
    )


def _cleared(columns: list[str], alias: str) -> str:
    if "prior_decision_status" not in columns:
        return "false"
    return (
        f"coalesce({alias}.prior_decision = 'false_positive' "
        f"and {alias}.prior_decision_status = 'applies', false)"
    )


def _decision_id(columns: list[str], alias: str) -> str:
    return f"{alias}.prior_decision_id" if "prior_decision_id" in columns else "null"


def compare(
    previous: PreviousRun,
    matches: pa.Table,
    admitted_dir: Path,
    dbt_vars: dict[str, str],
    rules_sha256: str,
    current_digests: dict[str, str] | None = None,
) -> tuple[pa.Table, dict[str, Any]]:
    """The changes table (``SCHEMA``, ordered by match_id) and its summary."""
    import pyarrow.parquet as pq

    prev_dir = previous.path
    prev_matches = pq.read_table(prev_dir / "exports" / "entity_matches.parquet")
    cur_digests = current_digests or registry_entry_digests(admitted_dir)
    prev_digests = registry_entry_digests(prev_dir / "inputs" / "admitted")
    digest_schema = pa.schema([("entity_id", pa.string()), ("sha", pa.string())])

    def digest_table(d: dict[str, str]) -> pa.Table:
        return pa.Table.from_pylist(
            [{"entity_id": k, "sha": v} for k, v in d.items()], schema=digest_schema
        )

    prev_vars: dict[str, str] = previous.manifest["dbt"]["vars"]
    thresholds = {
        k: {"previous": prev_vars.get(k), "current": dbt_vars.get(k)}
        for k in THRESHOLD_VARS
        if prev_vars.get(k) != dbt_vars.get(k)
    }
    prev_rules = previous.manifest["dbt"].get("project_sha256")
    rules_changed: bool | None = None if prev_rules is None else prev_rules != rules_sha256
    registry_differs = prev_digests != cur_digests

    cur_cols, prev_cols = matches.column_names, prev_matches.column_names
    con = duckdb.connect()
    try:
        con.register("cur_m", matches)
        con.register("prev_m", prev_matches)
        con.register("cur_d", digest_table(cur_digests))
        con.register("prev_d", digest_table(prev_digests))
        for name, folder in (("cur_s", admitted_dir), ("prev_s", prev_dir / "inputs" / "admitted")):
            con.execute(
                f"create temp table {name} as select shipment_id, md5(cast(s as varchar)) as row_md5 "
                "from read_parquet(?) as s",
                [str(folder / "shipments.parquet")],
            )
        flags = {
            # a clearance that now applies, or no longer does, by a decision not in force before
            "decision": (
                "j.change = 'changed' and j.c_cleared <> j.p_cleared "
                "and j.c_decision is distinct from j.p_decision"
            ),
            "new_shipment": "j.change = 'new' and ps.shipment_id is null",
            "shipment_removed": "j.change = 'gone' and cs.shipment_id is null",
            "list_entry_added": "cd.entity_id is not null and pd.entity_id is null",
            "list_entry_removed": "pd.entity_id is not null and cd.entity_id is null",
            "list_entry_changed": "cd.sha <> pd.sha",
            "shipment_changed": "cs.row_md5 <> ps.row_md5",
            "thresholds_changed": "true" if thresholds else "false",
            "rules_changed": "true" if rules_changed else "false",
        }
        listed = " || ".join(
            f"case when {cond} then ';{name}' else '' end" for name, cond in flags.items()
        )
        fallback = "other_list_entries_changed" if registry_differs else "unattributed"
        cur_prior = (
            ("c.prior_decision", "c.prior_decision_status", "c.prior_decision_id")
            if "prior_decision_id" in cur_cols
            else ("null", "null", "null")
        )
        sql = f"""
        with j as (
            select
                coalesce(c.match_id, p.match_id) as match_id,
                case when p.match_id is null then 'new' when c.match_id is null then 'gone'
                    else 'changed' end as change,
                coalesce(c.shipment_id, p.shipment_id) as shipment_id,
                coalesce(c.party_role, p.party_role) as party_role,
                coalesce(c.party_name, p.party_name) as party_name,
                coalesce(c.entity_id, p.entity_id) as entity_id,
                coalesce(c.entity_primary_name, p.entity_primary_name) as entity_primary_name,
                coalesce(c.matched_name, p.matched_name) as matched_name,
                p.match_status as previous_status,
                c.match_status as current_status,
                cast(p.score as decimal(9, 4)) as previous_score,
                cast(c.score as decimal(9, 4)) as current_score,
                case when p.match_id is null then null else {_queued(prev_cols, "p")} end
                    as previous_queued,
                case when c.match_id is null then null else {_queued(cur_cols, "c")} end
                    as current_queued,
                {cur_prior[0]} as prior_decision,
                {cur_prior[1]} as prior_decision_status,
                {cur_prior[2]} as prior_decision_id,
                {_cleared(cur_cols, "c")} as c_cleared, {_cleared(prev_cols, "p")} as p_cleared,
                {_decision_id(cur_cols, "c")} as c_decision, {_decision_id(prev_cols, "p")}
                    as p_decision
            from cur_m as c
            full outer join prev_m as p on c.match_id = p.match_id
            where
                (c.match_status in ('MATCH', 'REVIEW') or p.match_status in ('MATCH', 'REVIEW'))
                and (
                    c.match_id is null or p.match_id is null
                    or c.match_status <> p.match_status or c.score <> p.score
                    or {_queued(cur_cols, "c")} <> {_queued(prev_cols, "p")}
                )
        ),
        attributed as (
            select j.*, {listed} as flagged
            from j
            left join cur_s as cs on j.shipment_id = cs.shipment_id
            left join prev_s as ps on j.shipment_id = ps.shipment_id
            left join cur_d as cd on j.entity_id = cd.entity_id
            left join prev_d as pd on j.entity_id = pd.entity_id
        )
        select
            match_id, change,
            coalesce(nullif(split_part(flagged, ';', 2), ''), '{fallback}') as cause,
            coalesce(nullif(substr(flagged, 2), ''), '{fallback}') as causes,
            shipment_id, party_role, party_name, entity_id, entity_primary_name, matched_name,
            previous_status, current_status, previous_score, current_score,
            previous_queued, current_queued, prior_decision, prior_decision_status,
            prior_decision_id
        from attributed
        order by match_id
        """
        table = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    table = table.cast(SCHEMA)
    summary = _summary(previous, table, thresholds, rules_changed, prev_rules is not None)
    return table, summary


def _summary(
    previous: PreviousRun,
    table: pa.Table,
    thresholds: dict[str, dict[str, str | None]],
    rules_changed: bool | None,
    rules_compared: bool,
) -> dict[str, Any]:
    rows = table.select(["change", "cause"]).to_pylist()
    by_change = {k: sum(1 for r in rows if r["change"] == k) for k in ("new", "gone", "changed")}
    by_cause: dict[str, int] = {}
    for r in rows:
        by_cause[r["cause"]] = by_cause.get(r["cause"], 0) + 1
    return {
        "previous_run_id": previous.run_id,
        "previous_payload_root": previous.payload_root,
        **by_change,
        "by_cause": {k: by_cause[k] for k in CAUSES if k in by_cause},
        "thresholds_changed": thresholds,
        "rules_changed": rules_changed if rules_compared else None,
        "export": f"exports/{EXPORT_NAME}.csv",
    }
