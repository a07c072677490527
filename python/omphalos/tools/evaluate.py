"""`omphalos eval names`: match quality on labelled name pairs, measured through the SQL itself.

The pairs are loaded into a scratch DuckDB warehouse and scored by the dbt model
`eval_name_pairs_scored`, which applies the same normalization and scoring macros as the screening
models. Python only counts: precision, recall and F1 at the threshold, per schema, with the errors.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from omphalos.errors import OmphalosError
from omphalos.pipeline.dbt_invoke import dbt_build
from omphalos.pipeline.paths import project_root

REQUIRED = ("schema", "name1", "name2", "is_match")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class EvalInputError(OmphalosError):
    """The pairs file cannot be used (missing, wrong columns, bad labels)."""


def default_threshold() -> Decimal:
    doc = yaml.safe_load((project_root() / "dbt_project.yml").read_text(encoding="utf-8"))
    return Decimal(str(doc["vars"]["match_threshold"]))


def read_pairs(path: Path) -> pa.Table:
    if not path.is_file():
        raise EvalInputError(f"{path}: file not found")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise EvalInputError(
                    f"{path}: row 1 (header): missing column(s) {', '.join(missing)}; "
                    f"need {', '.join(REQUIRED)}"
                )
            cols: dict[str, list[Any]] = {
                "pair_id": [],
                "schema": [],
                "name1": [],
                "name2": [],
                "is_match": [],
            }
            for i, row in enumerate(reader, start=2):
                label = (row["is_match"] or "").strip().lower()
                if label not in _TRUE | _FALSE:
                    raise EvalInputError(
                        f"{path}: row {i}, column is_match: not a boolean: {row['is_match']!r}"
                    )
                if not (row["name1"] or "").strip() or not (row["name2"] or "").strip():
                    raise EvalInputError(f"{path}: row {i}: name1 and name2 must not be empty")
                cols["pair_id"].append(i)
                cols["schema"].append((row["schema"] or "").strip() or "unknown")
                cols["name1"].append(row["name1"])
                cols["name2"].append(row["name2"])
                cols["is_match"].append(label in _TRUE)
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return pa.table(cols)


def score_pairs(pairs: pa.Table, workdir: Path) -> pa.Table:
    """Score the pairs with the dbt model; returns the model's rows."""
    warehouse = workdir / "eval.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists raw")
        con.register("pairs_in", pairs)
        con.execute("create or replace table raw.name_pairs as select * from pairs_in")
        con.unregister("pairs_in")
    finally:
        con.close()
    dbt_build(
        ["--select", "+eval_name_pairs_scored", "--exclude", "test_type:unit"],
        workdir,
        {"enable_eval": True},
        {"OMPHALOS_DUCKDB_PATH": str(warehouse)},
        "eval_name_pairs_scored",
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.sql(
            "select pair_id, name_schema, name1, name2, is_match, name1_normalized, name2_normalized, "
            "coalesce(name_score, 0) as name_score, alignment, compact_equal, compact_similarity, "
            "numbers_agree, father_swapped, single_token, near_brand, legal_form_conflict "
            "from main_eval.eval_name_pairs_scored order by pair_id"
        ).to_arrow_table()
    finally:
        con.close()


def _rules(r: dict[str, Any]) -> list[str]:
    """The name rules that fired for a scored pair (see docs/matching.md), in words."""
    fired = []
    if r.get("compact_equal"):
        fired.append("names equal after normalization")
    elif (r.get("compact_similarity") or 0) >= Decimal("0.9"):
        fired.append("names alike without spaces")
    if r.get("numbers_agree") is False:
        fired.append("numbers disagree (veto)")
    if r.get("father_swapped"):
        fired.append("own and father's names swapped (veto)")
    if r.get("near_brand") and not r.get("compact_equal"):
        fired.append("near brand")
    if r.get("single_token") and not r.get("compact_equal"):
        fired.append("single-token name")
    if r.get("legal_form_conflict"):
        fired.append("legal forms of different kinds")
    return fired


def _metrics(rows: Iterable[dict[str, Any]], threshold: Decimal) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    for r in rows:
        predicted = Decimal(str(r["name_score"])) >= threshold
        if predicted and r["is_match"]:
            tp += 1
        elif predicted:
            fp += 1
        elif r["is_match"]:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": tp + fp + fn + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def evaluate(
    rows: list[dict[str, Any]], threshold: Decimal, max_errors: int = 50
) -> dict[str, Any]:
    overall = _metrics(rows, threshold)
    schemas = sorted({r["name_schema"] for r in rows})
    by_schema = {
        s: _metrics([r for r in rows if r["name_schema"] == s], threshold) for s in schemas
    }
    errors = []
    for r in rows:
        predicted = Decimal(str(r["name_score"])) >= threshold
        if predicted != r["is_match"]:
            errors.append(
                {
                    "kind": "false_positive" if predicted else "false_negative",
                    "row": r["pair_id"],
                    "schema": r["name_schema"],
                    "name1": r["name1"],
                    "name2": r["name2"],
                    "normalized": [r["name1_normalized"], r["name2_normalized"]],
                    "score": str(r["name_score"]),
                    "alignment": None if r.get("alignment") is None else str(r["alignment"]),
                    "rules": _rules(r),
                }
            )
    sweep = []
    for step in range(50, 100):
        t = Decimal(step) / 100
        m = _metrics(rows, t)
        sweep.append(
            {"threshold": str(t), "f1": m["f1"], "precision": m["precision"], "recall": m["recall"]}
        )
    best = max(sweep, key=lambda s: (s["f1"], s["threshold"]))
    return {
        **overall,
        "threshold": str(threshold),
        "by_schema": by_schema,
        "best_threshold": best,
        "errors": errors[:max_errors],
        "errors_total": len(errors),
    }


SCORES_COLUMNS = ("pair_id", "schema", "name1", "name2", "is_match", "score", "predicted")


def write_scores(rows: list[dict[str, Any]], threshold: Decimal, path: Path) -> None:
    """Every pair's score, one CSV row per pair (pair_id is the pairs file's row number)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(SCORES_COLUMNS)
        for r in rows:
            score = Decimal(str(r["name_score"]))
            writer.writerow(
                [
                    r["pair_id"],
                    r["name_schema"],
                    r["name1"],
                    r["name2"],
                    "true" if r["is_match"] else "false",
                    f"{score:.4f}",
                    "true" if score >= threshold else "false",
                ]
            )


def eval_names(
    pairs_path: Path,
    threshold: Decimal | None = None,
    max_errors: int = 50,
    scores_out: Path | None = None,
) -> dict[str, Any]:
    pairs = read_pairs(pairs_path)
    with tempfile.TemporaryDirectory(prefix="omphalos-eval-") as tmp:
        scored = score_pairs(pairs, Path(tmp))
    rows = scored.to_pylist()
    used = threshold if threshold is not None else default_threshold()
    result = evaluate(rows, used, max_errors)
    result["pairs_file"] = str(pairs_path)
    if scores_out is not None:
        write_scores(rows, used, scores_out)
        result["scores_file"] = str(scores_out)
    return result
