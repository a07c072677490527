"""Review packets: one self-contained file per entity a human must look at.

``write_packets(run_dir)`` writes ``exports/packets/<entity>.json`` and ``<entity>.md`` for every
registry entity with a MATCH or REVIEW candidate (the entities of the review queue). Each packet
stands alone for a reviewer who receives only that packet: the listed entity (names, aliases,
programs, countries, identifiers), its exposure, every alerting candidate shipment with both names,
their normalized forms, the matched tokens, the evidence for and against and the score, the rules
and thresholds that produced the status, the digests of the run's inputs, and how to prove the
packet belongs to the run (docs/report.md).

Packets are payload: written before sealing, from the run's own files only, byte-identical across
two runs of the same inputs and config (no clock, no run id, no absolute path). All the heavy work
is DuckDB over the run's Parquet files; Python only formats the bounded rows of each packet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pyarrow as pa
import yaml

from omphalos.evidence.canonical import loads_strict, sha256_file
from omphalos.presentation.templating import markdown_env

__all__ = [
    "MAX_CANDIDATES",
    "MAX_CLEARED",
    "MAX_PACKETS",
    "PACKETS_DIR",
    "PACKET_SCHEMA",
    "STATED_IN",
    "Evidence",
    "Rules",
    "RunFiles",
    "evidence_from_columns",
    "input_digests",
    "load_rules",
    "packet_stem",
    "rule_lines",
    "select_packet_entities",
    "write_packets",
]

PACKET_SCHEMA = "omphalos.review_packet/1"
PACKETS_DIR = "exports/packets"
#: At most this many packets per run (the most urgent entities first, by review-queue position).
MAX_PACKETS = 5000
#: At most this many MATCH/REVIEW candidates listed per packet (all are counted).
MAX_CANDIDATES = 100
#: At most this many cleared (NO_MATCH) candidates listed per packet, as context.
MAX_CLEARED = 10

#: Where the matching rules are stated (relative to the project root, except the run config).
STATED_IN: tuple[tuple[str, str], ...] = (
    ("config/run_config.yaml", "thresholds and blocking limit of this run (in the run directory)"),
    ("docs/matching.md", "the rules in prose"),
    ("macros/normalize.sql", "normalization: transliteration, case, punctuation, legal forms"),
    ("macros/blocking/", "blocking keys: which name pairs are compared"),
    (
        "macros/scoring/",
        "name similarity: token alignment, vetoes, penalties (one macro per stage)",
    ),
    (
        "models/intermediate/int_name_candidates_blocked.sql",
        "blocking: which name pairs are compared",
    ),
    ("models/marts/screening/entity_matches.sql", "candidate score, status and evidence text"),
    ("models/marts/screening/review_queue.sql", "review priority"),
    ("models/marts/screening/entity_scores.sql", "exposure score and rank"),
)


def rule_vars() -> dict[str, Any]:
    """The scoring constants as dbt_project.yml states them (its ``vars``): the one place each
    lives; the SQL reads them through var(), the rule text below through this."""
    from omphalos.pipeline.paths import project_root

    doc = yaml.safe_load((project_root() / "dbt_project.yml").read_text(encoding="utf-8"))
    found = doc.get("vars") if isinstance(doc, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def rule_lines() -> tuple[str, ...]:
    """The score rules in one line each (docs/matching.md sections 2 to 5), their constants read
    from dbt_project.yml; thresholds come from the run config."""
    v = rule_vars()

    def n(key: str) -> str:
        return f"{float(v[key]):.2f}"

    return (
        "Names are normalized the same way on both sides: invisible characters, accents and "
        "compatibility forms folded, transliterated to Latin, punctuation removed, the legal form "
        "(LLC, JSC, GmbH, ...) moved to its own column, tokens sorted.",
        "Name score = token alignment weighted by rarity (from the registry and a fixed reference "
        "of name frequencies, never the feed): each word is compared with the other name's words "
        "(exact, given-name variant, initial, or a close spelling); rare words carry the name, "
        "common words, legal forms and particles weigh little; a word missing on one side costs "
        "part of its weight, a word replaced by another costs all of it.",
        f"Vetoes and penalties: numbers that disagree cap the score at 0.60; a single-token name "
        f"loses {n('single_token_penalty')}; a near-brand (the main word matched only by a "
        f"derived form) loses {n('near_brand_penalty')}; a non-profit or state legal form against "
        f"a company form loses {n('legal_form_conflict_penalty')}.",
        f"Country: the party country among the entity's listed countries adds "
        f"{n('country_listed_bonus')}; a known party country that is not listed takes "
        f"{n('country_conflict_penalty')} off; an unknown country changes nothing.",
        "Kinds: a listed vessel or aircraft and a trade party (or a shipment's vessel and a listed "
        "person or organization) are never the same: capped at the candidate floor; a person "
        f"against a listed organization, or an organization against a listed person, loses "
        f"{n('kind_mismatch_penalty')} (the party's kind is the one the feed declares, else the "
        "one its name shows).",
        f"At most REVIEW (name score at most {v['name_review_cap']}): a word replaced by another, "
        "a word matched only by one 3+ edits away, the party name inside a longer listed "
        "person's name without its first given name (a relative), the same given name with a "
        "family name edited into another common family name, and, outside a listed person's "
        "name, a word matched only as a single letter's initial. A Chinese or Korean name "
        "romanized by another system is compared syllable by syllable (at least "
        f"{n('romanized_name_similarity')}).",
        "Vessels: the shipment's IMO number equal to the listed vessel's is decisive (score 1); "
        "another valid IMO number is another ship (capped at the candidate floor).",
        "A weak alias never alerts alone: at most just below MATCH when the country corroborates, "
        "otherwise just below REVIEW.",
        f"Dominated: when another entity has a name the party name equals (name score >= "
        f"{n('dominance_name_score')}) and this entity's best name scores "
        f"{n('dominance_margin')} less, it is at most REVIEW.",
        "Full statement of every rule, with its measured effect: docs/matching.md.",
    )


_STATUS_ORDER = {"MATCH": 0, "REVIEW": 1, "NO_MATCH": 2}
_STEM_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


# ---------------------------------------------------------------------------------------------
# shared: the run's rules, inputs and evidence (also used by omphalos.presentation.report)


@dataclasses.dataclass(frozen=True)
class Rules:
    """The matching parameters of a run, read from its own ``config/run_config.yaml``."""

    config_name: str
    description: str
    as_of_date: str
    match_threshold: str
    review_threshold: str
    candidate_floor: str
    max_block_key_names: int
    config_sha256: str
    #: ``rule_lines()``, read once per run (not once per packet: parsing dbt_project.yml for
    #: each of 5,000 packets was most of a 1M-shipment run's report phase)
    lines: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": {
                "name": self.config_name,
                "path": "config/run_config.yaml",
                "sha256": self.config_sha256,
                "as_of_date": self.as_of_date,
            },
            "thresholds": {
                "match": self.match_threshold,
                "review": self.review_threshold,
                "candidate_floor": self.candidate_floor,
            },
            "max_block_key_names": self.max_block_key_names,
            "status": (
                f"MATCH when score >= {self.match_threshold}; REVIEW when score >= "
                f"{self.review_threshold}; NO_MATCH below; candidates below "
                f"{self.candidate_floor} are not kept"
            ),
            "rules": list(self.lines),
            "stated_in": [{"path": p, "what": w} for p, w in STATED_IN],
        }


def _fixed4(value: object, default: str) -> str:
    try:
        return f"{Decimal(str(value if value is not None else default)):.4f}"
    except InvalidOperation:
        return f"{Decimal(default):.4f}"


def load_rules(run_dir: Path) -> Rules:
    """Thresholds and blocking limit as the run's config states them (defaults as in
    ``omphalos.pipeline.config``). Reads only the copy sealed in the run."""
    path = run_dir / "config" / "run_config.yaml"
    raw = path.read_bytes() if path.is_file() else b""
    try:
        doc = yaml.safe_load(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, yaml.YAMLError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    th = doc.get("thresholds") if isinstance(doc.get("thresholds"), dict) else {}
    blocking = doc.get("blocking") if isinstance(doc.get("blocking"), dict) else {}
    assert isinstance(th, dict) and isinstance(blocking, dict)
    max_keys = blocking.get("max_block_key_names", 25)
    return Rules(
        config_name=str(doc.get("name") or "run"),
        description=str(doc.get("description") or ""),
        as_of_date=str(doc.get("as_of_date") or ""),
        match_threshold=_fixed4(th.get("match"), "0.90"),
        review_threshold=_fixed4(th.get("review"), "0.80"),
        candidate_floor=_fixed4(th.get("candidate_floor"), "0.70"),
        max_block_key_names=max_keys if isinstance(max_keys, int) else 25,
        config_sha256=hashlib.sha256(raw).hexdigest(),
        lines=rule_lines(),
    )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        obj = loads_strict(path.read_bytes())
    except (UnicodeDecodeError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def input_digests(run_dir: Path) -> list[dict[str, Any]]:
    """Per input, from ``reports/admission.json``: name, file as given, digest, row counts."""
    report = _read_json(run_dir / "reports" / "admission.json")
    out = []
    for i in report.get("inputs") or []:
        if isinstance(i, dict):
            out.append(
                {
                    k: i.get(k)
                    for k in (
                        "name",
                        "file",
                        "format",
                        "source_sha256",
                        "source_size",
                        "rows_read",
                        "rows_admitted",
                        "rows_rejected",
                    )
                }
            )
    return sorted(out, key=lambda d: str(d.get("name")))


@dataclasses.dataclass(frozen=True)
class Evidence:
    """The ``evidence`` sentence of a candidate, split by what it says about the match."""

    supporting: tuple[str, ...]
    against: tuple[str, ...]
    context: tuple[str, ...]


#: The rule columns of entity_matches (one per rule: a signed effect, a similarity or a flag) and
#: the columns the evidence lists are built from. Nothing here restates a constant: a penalty's
#: size is the column's value, as the SQL computed it from dbt_project.yml's vars.
RULE_COLUMNS: tuple[str, ...] = (
    "rule_names_equal",
    "rule_compact_similarity",
    "rule_numbers_veto",
    "rule_father_swapped_veto",
    "rule_single_token_effect",
    "rule_near_brand_effect",
    "rule_legal_form_conflict_effect",
    "rule_romanized_equal",
    "rule_relative_contained_cap",
    "rule_family_name_edited_cap",
    "rule_initial_word_cap",
    "rule_country_effect",
    "rule_kind_mismatch_effect",
    "rule_kind_conflict_cap",
    "rule_imo_decisive",
    "rule_imo_differs_cap",
    "rule_weak_alias_cap",
    "rule_dominated_cap",
)
EVIDENCE_COLUMNS: tuple[str, ...] = (
    *RULE_COLUMNS,
    "name_score",
    "alignment",
    "country_evidence",
    "kind_conflict",
    "party_kind",
    "party_kind_source",
    "entity_kind",
    "party_imo",
    "matched_name_type",
)


def _signed(value: object) -> str:
    """A rule's effect as the sentence writes it: +0.03, -0.1."""
    text = f"{float(str(value)):+.4f}".rstrip("0").rstrip(".")
    return text


def _nonzero(value: object) -> bool:
    return value is not None and float(str(value)) != 0.0


def evidence_from_columns(r: Mapping[str, Any]) -> Evidence:
    """What supports the match, what speaks against it and neutral context, read from the
    candidate's rule columns (entity_matches), not parsed from its sentence."""
    supporting: list[str] = []
    against: list[str] = []
    context: list[str] = []
    if r["rule_imo_decisive"]:
        supporting.append(f"IMO {r['party_imo']} equal to the listed vessel's (decisive)")
    if r["alignment"] is not None:
        supporting.append(f"name similarity {r['name_score']} (token alignment {r['alignment']})")
    elif not r["rule_imo_decisive"]:
        context.append(f"name similarity {r['name_score']} (not a name candidate)")
    if r["rule_names_equal"]:
        supporting.append("names equal after normalization")
    if r["rule_compact_similarity"] is not None:
        supporting.append(f"names alike without spaces ({r['rule_compact_similarity']})")
    if r.get("rule_romanized_equal"):
        supporting.append("one Chinese or Korean name romanized otherwise, syllable by syllable")
    if r.get("rule_relative_contained_cap"):
        against.append(
            "party name inside the listed person's longer name without its first given name: "
            "a relative as likely (at most REVIEW)"
        )
    if r.get("rule_family_name_edited_cap"):
        against.append(
            "same given name, family name edited into another common family name (at most REVIEW)"
        )
    if r.get("rule_initial_word_cap"):
        against.append(
            "a word matched only as a single letter's initial, outside a person's name "
            "(at most REVIEW)"
        )
    if r["rule_numbers_veto"]:
        against.append("numbers in names disagree (veto: at most 0.60)")
    if r["rule_father_swapped_veto"]:
        against.append("own and father's names swapped (veto: at most 0.60)")
    for column, text in (
        ("rule_near_brand_effect", "distinctive word only similar, a near brand"),
        ("rule_single_token_effect", "single-token name"),
        ("rule_legal_form_conflict_effect", "legal forms of different kinds"),
    ):
        if _nonzero(r[column]):
            against.append(f"{text} ({_signed(r[column])})")
    country = r["country_evidence"]
    if _nonzero(r["rule_country_effect"]):
        line = f"country {country} ({_signed(r['rule_country_effect'])})"
        (supporting if float(str(r["rule_country_effect"])) > 0 else against).append(line)
    elif country == "unknown":
        context.append("country unknown on one side: no country evidence either way")
    elif country:
        context.append(f"country {country}")
    if r["rule_kind_conflict_cap"]:
        against.append(f"kinds differ: {r['kind_conflict']} (never the same: at most the floor)")
    if _nonzero(r["rule_kind_mismatch_effect"]):
        against.append(
            f"kinds differ: party {r['party_kind']} ({r['party_kind_source']}), listed "
            f"{r['entity_kind']} ({_signed(r['rule_kind_mismatch_effect'])})"
        )
    if r["rule_imo_differs_cap"]:
        against.append(f"IMO {r['party_imo']} is not the listed vessel's: another ship")
    if r["rule_weak_alias_cap"]:
        against.append("weak alias (cannot alert alone)")
    if r["rule_dominated_cap"]:
        against.append("another listed entity's name equals the party name (at most REVIEW)")
    kind = str(r["matched_name_type"] or "")
    context.append(f"matched through the entity's {kind.replace('_', ' ')} name")
    return Evidence(tuple(supporting), tuple(against), tuple(context))


def packet_stem(entity_id: str) -> str:
    """A safe file stem for an entity id: the id itself when it is plain ``[A-Za-z0-9._-]``
    starting with a letter or digit; otherwise a sanitized id plus 8 hex of its SHA-256, so
    distinct ids never share a file."""
    stem = _STEM_UNSAFE.sub("_", entity_id)[:80]
    if stem == entity_id and stem[:1].isalnum():
        return stem
    digest = hashlib.sha256(entity_id.encode("utf-8")).hexdigest()[:8]
    return f"{stem.lstrip('._-') or 'entity'}-{digest}"


# ---------------------------------------------------------------------------------------------
# reading the run's files with DuckDB


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclasses.dataclass(frozen=True)
class RunFiles:
    """Which of the run's tables exist (configurable exports; optional inputs)."""

    run_dir: Path

    def path(self, rel: str) -> Path:
        return self.run_dir / rel

    def has(self, rel: str) -> bool:
        return (self.run_dir / rel).is_file()

    def view(self, con: duckdb.DuckDBPyConnection, name: str, rel: str) -> bool:
        """Create view ``name`` over the Parquet file ``rel``; False when it does not exist."""
        if not self.has(rel):
            return False
        con.execute(
            f"create or replace view {name} as select * from read_parquet({_lit(str(self.path(rel)))})"
        )
        return True


_CANDIDATE_COLUMNS = (
    "match_id",
    "entity_id",
    "match_status",
    "score",
    "shipment_id",
    "party_role",
    "party_name",
    "party_country",
    "party_kind",
    "party_kind_source",
    "party_imo",
    "entity_kind",
    "imo_evidence",
    "kind_conflict",
    *RULE_COLUMNS,
    "ship_date",
    "hs_code",
    "value_usd",
    "entity_primary_name",
    "programs",
    "entity_countries",
    "matched_name_id",
    "matched_name",
    "matched_name_type",
    "party_name_sorted",
    "registry_name_sorted",
    "party_legal_form",
    "registry_legal_form",
    "matched_tokens",
    "block_keys",
    "jw_sorted",
    "alignment",
    "name_score",
    "country_evidence",
    "evidence",
)


def candidate_view(con: duckdb.DuckDBPyConnection, files: RunFiles) -> bool:
    """View ``cand``: one row per candidate with the entity_matches columns, plus
    ``queue_position``, ``priority_score``, ``controlled_goods`` from the review queue (null
    when absent). Built from whichever of the two exports the run has; False when neither."""
    has_m = files.view(con, "m", "exports/entity_matches.parquet")
    has_q = files.view(con, "q", "exports/review_queue.parquet")
    if not has_m and not has_q:
        return False
    if has_m:
        cols = ", ".join(f"m.{c}" for c in _CANDIDATE_COLUMNS)
        if has_q:
            sql = (
                f"select {cols}, q.queue_position, q.priority_score, q.controlled_goods "
                "from m left join q using (match_id)"
            )
        else:
            sql = (
                f"select {cols}, cast(null as bigint) as queue_position, "
                "cast(null as decimal(9,4)) as priority_score, "
                "cast(null as boolean) as controlled_goods from m"
            )
    else:
        q_cols = {str(r[0]) for r in con.execute("describe q").fetchall()}
        cols = ", ".join(
            c if c in q_cols else f"cast(null as varchar) as {c}" for c in _CANDIDATE_COLUMNS
        )
        sql = f"select {cols}, queue_position, priority_score, controlled_goods from q"
    con.execute(f"create or replace view cand as {sql}")
    return True


def select_packet_entities(
    con: duckdb.DuckDBPyConnection, limit: int = MAX_PACKETS
) -> tuple[list[str], int]:
    """Entities with a MATCH or REVIEW candidate, most urgent first (best review-queue position,
    then best score, then id), at most ``limit``; and how many there are in all."""
    rows = con.execute(
        """
        select entity_id
        from cand
        where match_status in ('MATCH', 'REVIEW')
        group by entity_id
        order by min(queue_position) asc nulls last, max(score) desc, entity_id asc
        """
    ).fetchall()
    ids = [str(r[0]) for r in rows]
    return ids[: max(limit, 0)], len(ids)


# ---------------------------------------------------------------------------------------------
# building packets


def _text_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _varchar_select(con: duckdb.DuckDBPyConnection, view: str, keep: Sequence[str] = ()) -> str:
    """``select`` list casting every column of ``view`` to text (integers in ``keep`` kept)."""
    cols = [str(r[0]) for r in con.execute(f"describe {view}").fetchall()]
    return ", ".join(f'"{c}"' if c in keep else f'cast("{c}" as varchar) as "{c}"' for c in cols)


def _split_list(value: object) -> list[str]:
    if value is None:
        return []
    return [v.strip() for v in str(value).split(";") if v.strip()]


def _load_entities(
    con: duckdb.DuckDBPyConnection, files: RunFiles, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    # the selection as an Arrow table DuckDB reads in place (an ``executemany`` insert of 5,000
    # rows took seconds)
    con.register(
        "sel",
        pa.table(
            {
                "entity_id": pa.array(ids, type=pa.string()),
                "ord": pa.array(range(len(ids)), type=pa.int64()),
            }
        ),
    )
    out: dict[str, dict[str, Any]] = {e: {"entity_id": e} for e in ids}
    if files.view(con, "re", "inputs/admitted/registry_entities.parquet"):
        for r in _text_rows(
            con,
            "select re.entity_id, re.source_list, cast(re.list_date as varchar) as list_date, "
            "re.entity_kind, re.primary_name, re.countries, re.programs, re.remarks "
            "from re join sel using (entity_id)",
        ):
            e = out[r["entity_id"]]
            e.update(
                primary_name=r["primary_name"],
                entity_kind=r["entity_kind"],
                source_list=r["source_list"],
                list_date=r["list_date"],
                programs=_split_list(r["programs"]),
                countries=_split_list(r["countries"]),
                remarks=r["remarks"],
            )
    if files.view(con, "rn", "inputs/admitted/registry_names.parquet"):
        for r in _text_rows(
            con,
            "select rn.entity_id, list({'name_id': name_id, 'name': name, 'name_type': name_type, "
            "'script': script} order by case name_type when 'primary' then 0 when 'alias' then 1 "
            "else 2 end, name_id) as names from rn join sel using (entity_id) group by 1",
        ):
            out[r["entity_id"]]["names"] = [dict(n) for n in r["names"]]
    if files.view(con, "ri", "inputs/admitted/registry_identifiers.parquet"):
        for r in _text_rows(
            con,
            "select ri.entity_id, list({'identifier_id': identifier_id, 'id_type': id_type, "
            "'id_value': id_value, 'id_country': id_country} order by identifier_id) as ids "
            "from ri join sel using (entity_id) group by 1",
        ):
            out[r["entity_id"]]["identifiers"] = [dict(n) for n in r["ids"]]
    if files.view(con, "es", "exports/entity_scores.parquet"):
        select = _varchar_select(con, "es", keep=("match_shipments", "review_shipments"))
        for r in _text_rows(
            con, f"select {select} from es where entity_id in (select entity_id from sel)"
        ):
            eid = r.pop("entity_id")
            for k in ("primary_name", "entity_kind", "source_list", "programs", "countries"):
                r.pop(k, None)
            for k in ("exposure_rank", "origin_countries", "destination_countries"):
                if r.get(k) is not None:
                    r[k] = int(r[k])
            out[eid]["exposure"] = r
    return out


def _load_candidates(
    con: duckdb.DuckDBPyConnection, files: RunFiles, max_candidates: int, max_cleared: int
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, int]]]:
    has_ship = files.view(con, "sh", "inputs/admitted/shipments.parquet")
    ship_cols = (
        "origin_country, destination_country, goods_description"
        if has_ship
        else "null as origin_country, null as destination_country, null as goods_description"
    )
    ship_join = (
        "left join (select shipment_id, origin_country, destination_country, goods_description "
        "from sh) as s using (shipment_id)"
        if has_ship
        else ""
    )
    counts: dict[str, dict[str, int]] = {}
    for eid, status, n in con.execute(
        "select entity_id, match_status, count(*) from cand "
        "where entity_id in (select entity_id from sel) group by all order by all"
    ).fetchall():
        counts.setdefault(str(eid), {})[str(status)] = int(n)
    rows = _text_rows(
        con,
        f"""
        with ranked as (
            select cand.*,
                row_number() over (
                    partition by entity_id, match_status = 'NO_MATCH'
                    order by case match_status when 'MATCH' then 0 when 'REVIEW' then 1 else 2 end,
                        score desc, match_id
                ) as rn
            from cand
            where entity_id in (select entity_id from sel)
        )
        select
            ranked.entity_id, match_id, queue_position, match_status,
            cast(score as varchar) as score, cast(priority_score as varchar) as priority_score,
            shipment_id, party_role, cast(ship_date as varchar) as ship_date, hs_code,
            cast(value_usd as varchar) as value_usd, controlled_goods,
            {ship_cols},
            party_name, party_country, party_name_sorted, party_legal_form,
            party_kind, party_kind_source, party_imo, ranked.entity_kind, imo_evidence,
            kind_conflict, {", ".join(RULE_COLUMNS)},
            entity_countries, matched_name, matched_name_id, matched_name_type, registry_name_sorted,
            registry_legal_form, matched_tokens, block_keys,
            cast(jw_sorted as varchar) as jw_sorted, cast(alignment as varchar) as alignment,
            cast(name_score as varchar) as name_score, country_evidence, evidence
        from ranked {ship_join}
        where (match_status <> 'NO_MATCH' and rn <= {int(max_candidates)})
           or (match_status = 'NO_MATCH' and rn <= {int(max_cleared)})
        order by ranked.entity_id,
            case match_status when 'MATCH' then 0 when 'REVIEW' then 1 else 2 end,
            score desc, match_id
        """,
    )
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_entity.setdefault(str(r.pop("entity_id")), []).append(_candidate(r))
    return by_entity, counts


def _candidate(r: dict[str, Any]) -> dict[str, Any]:
    ev = evidence_from_columns(r)
    qp = r["queue_position"]
    controlled = r["controlled_goods"]
    return {
        "match_id": r["match_id"],
        "queue_position": int(qp) if qp is not None else None,
        "match_status": r["match_status"],
        "score": r["score"],
        "priority_score": r["priority_score"],
        "shipment": {
            "shipment_id": r["shipment_id"],
            "ship_date": r["ship_date"],
            "hs_code": r["hs_code"],
            "value_usd": r["value_usd"],
            "controlled_goods": controlled if isinstance(controlled, bool) else None,
            "origin_country": r["origin_country"],
            "destination_country": r["destination_country"],
            "goods_description": r["goods_description"],
        },
        "party": {
            "role": r["party_role"],
            "name": r["party_name"],
            "country": r["party_country"],
            "normalized": r["party_name_sorted"],
            "legal_form": r["party_legal_form"],
            "kind": r["party_kind"],
            "kind_source": r["party_kind_source"],
            "imo": r["party_imo"],
        },
        "registry": {
            "name": r["matched_name"],
            "name_id": r["matched_name_id"],
            "name_type": r["matched_name_type"],
            "normalized": r["registry_name_sorted"],
            "legal_form": r["registry_legal_form"],
            "listed_countries": _split_list(r["entity_countries"]),
            "kind": r["entity_kind"],
        },
        "imo_evidence": r["imo_evidence"],
        "matched_tokens": (r["matched_tokens"] or "").split(),
        "block_keys": r["block_keys"],
        "similarity": {
            "jw_sorted": r["jw_sorted"],
            "alignment": r["alignment"],
            "name_score": r["name_score"],
        },
        "country_evidence": r["country_evidence"],
        "evidence": r["evidence"],
        "evidence_for": list(ev.supporting),
        "evidence_against": list(ev.against),
        "evidence_context": list(ev.context),
    }


def attach_prior_decisions(
    con: duckdb.DuckDBPyConnection, candidates: Mapping[str, list[dict[str, Any]]]
) -> None:
    """Add ``prior_decision`` (decision, status, reviewer, at, reason, decision_id) to each
    candidate a reviewer decided on in an earlier run (docs/review.md). Candidates without one,
    and runs without the columns, are left as they were."""
    try:
        columns = {str(r[0]) for r in con.execute("describe m").fetchall()}
    except duckdb.Error:
        return
    if "prior_decision_id" not in columns:
        return
    rows = con.execute(
        "select match_id, prior_decision, prior_decision_status, prior_decision_reviewer, "
        "prior_decision_at, prior_decision_reason, prior_decision_id from m "
        "where prior_decision is not null"
    ).fetchall()
    found = {str(r[0]): r[1:] for r in rows}
    if not found:
        return
    keys = ("decision", "status", "reviewer", "at", "reason", "decision_id")
    for listed in candidates.values():
        for c in listed:
            hit = found.get(str(c["match_id"]))
            if hit is not None:
                c["prior_decision"] = dict(zip(keys, hit, strict=True))


def _sources(files: RunFiles) -> list[dict[str, Any]]:
    """Digests of the run files the packet was read from (they are listed in the manifest)."""
    out = []
    for rel in (
        "config/run_config.yaml",
        "exports/entity_matches.parquet",
        "exports/entity_scores.parquet",
        "exports/review_queue.parquet",
        "inputs/admitted/registry_entities.parquet",
        "inputs/admitted/registry_identifiers.parquet",
        "inputs/admitted/registry_names.parquet",
        "inputs/admitted/shipments.parquet",
        "reports/admission.json",
    ):
        if files.has(rel):
            digest, size = sha256_file(files.path(rel))
            out.append({"path": rel, "size": size, "sha256": digest})
    return out


def _verification_note(stem: str) -> str:
    return (
        f"This packet is the payload file {PACKETS_DIR}/{stem}.json of a sealed omphalos run "
        f"(its Markdown twin is {PACKETS_DIR}/{stem}.md). The run's run_manifest.json lists the "
        "SHA-256 of both and covers them with the Merkle payload_root. A packet cannot contain "
        "that root (it is computed after the packet is written), so proof of membership travels "
        "beside it: the holder of the run builds a selective-disclosure bundle with "
        f"`omphalos release build --run-dir RUN --only {PACKETS_DIR}/{stem}.json "
        f"{PACKETS_DIR}/{stem}.md --out "
        f"{stem}.tar.gz`, and the recipient checks it with `omphalos release verify --bundle "
        f"{stem}.tar.gz` (the packet's bytes against an RFC 6962 inclusion proof to the run's "
        "payload_root). The 'sources' digests let anyone holding the run check that the packet "
        "was read from its files."
    )


def build_packet(
    entity: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    counts: Mapping[str, int],
    rules: Rules,
    inputs: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
    stem: str,
) -> dict[str, Any]:
    alerting = [c for c in candidates if c["match_status"] in ("MATCH", "REVIEW")]
    cleared = [c for c in candidates if c["match_status"] == "NO_MATCH"]
    totals = {s: int(counts.get(s, 0)) for s in ("MATCH", "REVIEW", "NO_MATCH")}
    positions = [c["queue_position"] for c in alerting if c["queue_position"] is not None]
    status = "MATCH" if totals["MATCH"] else "REVIEW"
    return {
        "schema_version": PACKET_SCHEMA,
        "packet": {"path": f"{PACKETS_DIR}/{stem}.json", "markdown": f"{PACKETS_DIR}/{stem}.md"},
        "entity": {
            "entity_id": entity["entity_id"],
            "primary_name": entity.get("primary_name"),
            "entity_kind": entity.get("entity_kind"),
            "source_list": entity.get("source_list"),
            "list_date": entity.get("list_date"),
            "programs": entity.get("programs", []),
            "countries": entity.get("countries", []),
            "remarks": entity.get("remarks"),
            "names": entity.get("names", []),
            "identifiers": entity.get("identifiers", []),
        },
        "exposure": entity.get("exposure"),
        "summary": {
            "status": status,
            "candidates": totals,
            "listed": {"alerting": len(alerting), "cleared": len(cleared)},
            "omitted": {
                "alerting": totals["MATCH"] + totals["REVIEW"] - len(alerting),
                "cleared": totals["NO_MATCH"] - len(cleared),
            },
            "first_queue_position": min(positions) if positions else None,
            "shipments": len({c["shipment"]["shipment_id"] for c in alerting}),
            "where_the_rest_is": (
                "every candidate of the entity is a row of exports/entity_matches.csv "
                "(filter entity_id); MATCH and REVIEW ones are also in exports/review_queue.csv"
            ),
        },
        "candidates": alerting,
        "cleared_candidates": cleared,
        "rules": rules.to_dict(),
        "run": {"config": rules.config_name, "inputs": list(inputs), "sources": list(sources)},
        "verification": _verification_note(stem),
    }


def _canonical(packet: Mapping[str, Any]) -> bytes:
    """``canonical_bytes(packet) + b"\\n"`` without its per-value type walk (the slow part on
    thousands of packets). Packets hold only text, integers, booleans and nulls by construction
    (every number is cast to text in SQL); json.dumps raises on anything else but a float, and
    the tests check the files against ``canonical_bytes``."""
    text = json.dumps(
        packet, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8") + b"\n"


def _write_new(path: Path, data: bytes) -> None:
    """``path.write_bytes(data)`` in three system calls (open, write, close: no buffered file
    object, no fstat). Plain writes: the run directory is private until sealed and renamed into
    place, and an fsync per file would dominate the time on runs with thousands of packets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def write_packets(
    run_dir: Path,
    *,
    max_packets: int = MAX_PACKETS,
    max_candidates: int = MAX_CANDIDATES,
    max_cleared: int = MAX_CLEARED,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write the review packets of ``run_dir`` (JSON and Markdown) under ``exports/packets/``.

    Returns the files written, sorted. Deterministic: the same run files give the same bytes.
    ``progress(done, total)`` is called as packets are written (e.g. ``Progress.count``)."""
    files = RunFiles(run_dir)
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        if not candidate_view(con, files):
            return []
        ids, _total = select_packet_entities(con, max_packets)
        if not ids:
            return []
        entities = _load_entities(con, files, ids)
        candidates, counts = _load_candidates(con, files, max_candidates, max_cleared)
        attach_prior_decisions(con, candidates)
    finally:
        con.close()
    rules = load_rules(run_dir)
    inputs = input_digests(run_dir)
    sources = _sources(files)
    out_dir = run_dir / PACKETS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for eid in ids:
        stem = packet_stem(eid)
        if stem in taken:  # pragma: no cover - packet_stem hashes anything it rewrites
            stem = f"{stem}-{hashlib.sha256(eid.encode('utf-8')).hexdigest()[:8]}"
        taken.add(stem)
        stems[eid] = stem
    job = _PacketJob(out_dir, entities, candidates, counts, rules, inputs, sources)
    chunks = [ids[i : i + PACKETS_PER_TASK] for i in range(0, len(ids), PACKETS_PER_TASK)]
    tasks = [[(eid, stems[eid]) for eid in chunk] for chunk in chunks]
    written: list[Path] = []
    workers = _packet_workers(len(ids))
    if workers < 2:
        for task in tasks:
            written += job.write(task)
            if progress is not None:
                progress(len(written) // 2, len(ids))
        return sorted(written)
    # each packet is a function of the rows loaded above: rendered by forked workers (the
    # Markdown template is most of the time), which inherit those rows and write their files
    global _JOB
    _JOB = job
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for paths in pool.map(_write_task, tasks):
                written += paths
                if progress is not None:
                    progress(len(written) // 2, len(ids))
    finally:
        _JOB = None
    return sorted(written)


#: Packets per task of the forked workers; below PACKETS_PER_TASK * 2 packets, one process.
PACKETS_PER_TASK = 250


def _packet_workers(packets: int) -> int:
    """Worker processes for ``packets`` packets: the machine's cores (at most 4) when fork is
    available and there are enough packets to share, else 1 (the calling process)."""
    if packets < 2 * PACKETS_PER_TASK or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


@dataclasses.dataclass(frozen=True)
class _PacketJob:
    """What every packet is built from (loaded once, before any worker starts)."""

    out_dir: Path
    entities: Mapping[str, Any]
    candidates: Mapping[str, list[dict[str, Any]]]
    counts: Mapping[str, Mapping[str, int]]
    rules: Rules
    inputs: Sequence[Mapping[str, Any]]
    sources: Sequence[Mapping[str, Any]]

    def write(self, task: Sequence[tuple[str, str]]) -> list[Path]:
        """Build and write the packets of ``task`` ((entity_id, stem) pairs); their files."""
        written: list[Path] = []
        for eid, stem in task:
            packet = build_packet(
                self.entities[eid],
                self.candidates.get(eid, []),
                self.counts.get(eid, {}),
                self.rules,
                self.inputs,
                self.sources,
                stem,
            )
            json_path = self.out_dir / f"{stem}.json"
            md_path = self.out_dir / f"{stem}.md"
            _write_new(json_path, _canonical(packet))
            _write_new(md_path, render_markdown(packet).encode("utf-8"))
            written += [json_path, md_path]
        return written


_JOB: _PacketJob | None = None  # the job of the forked workers (set only while they run)


def _write_task(task: Sequence[tuple[str, str]]) -> list[Path]:
    """A forked worker's task: the packets of ``task`` from the inherited job."""
    assert _JOB is not None, "packet workers are forked from write_packets"
    return _JOB.write(task)


# ---------------------------------------------------------------------------------------------
# Markdown


def render_markdown(packet: Mapping[str, Any]) -> str:
    """The Markdown twin of a packet: the same facts, for a person (``templates/packet.md.j2``;
    every value from the data is inert Markdown text, omphalos.textsafe)."""
    return _packet_template().render(packet=packet)


@cache
def _packet_template() -> jinja2.Template:
    """The compiled template, looked up once (``get_template`` stats the file on every call)."""
    return markdown_env().get_template("packet.md.j2")
