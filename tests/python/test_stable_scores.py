"""A pair's score depends only on the two names, their kinds and countries, the registry and the
rules: never on the other rows of the feed (issue: rarity once came from the feed's names)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from conftest import write_config

from omphalos.pipeline.run import execute_run
from omphalos.tools.generate import generate

COLUMNS = ("match_id", "matched_name_id", "name_score", "score", "match_status", "evidence")


def _matches(run_dir: Path) -> dict[str, tuple[object, ...]]:
    table = pq.read_table(run_dir / "exports" / "entity_matches.parquet", columns=list(COLUMNS))
    return {row["match_id"]: tuple(row[c] for c in COLUMNS[1:]) for row in table.to_pylist()}


def _read_text_csv(path: Path) -> pa.Table:
    """A CSV with every column read as text (HS codes and ids keep their leading zeros)."""
    names = path.read_text(encoding="utf-8").splitlines()[0].replace('"', "").split(",")
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    return pacsv.read_csv(path, convert_options=options)


def test_adding_1000_unrelated_shipments_changes_no_existing_score(
    small_inputs: Path, sealed_run: Path, tmp_path: Path
) -> None:
    # 1,000 shipments of another generated feed (another seed: other clean parties, other planted
    # names), renumbered so their ids are new, appended to the small feed
    other = tmp_path / "other"
    generate(other, shipments=1000, entities=300, seed=99)
    extra = _read_text_csv(other / "shipments.csv")
    ids = pa.array([f"EXTRA-{i:05d}" for i in range(extra.num_rows)], pa.string())
    extra = extra.set_column(extra.schema.get_field_index("shipment_id"), "shipment_id", ids)
    base = _read_text_csv(small_inputs / "shipments.csv")
    grown = tmp_path / "grown"
    grown.mkdir()
    for name in ("registry_entities", "registry_names", "registry_identifiers"):
        shutil.copy(small_inputs / f"{name}.csv", grown / f"{name}.csv")
    combined = pa.concat_tables([base, extra])
    pacsv.write_csv(combined, grown / "shipments.csv")
    write_config(grown)
    grown_run = execute_run(grown / "test.yaml", runs_root=tmp_path / "runs", threads=2)

    before = _matches(sealed_run)
    after = _matches(grown_run)
    assert before, "the small run has candidates to compare"
    changed = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
    assert not changed, (
        f"{len(changed)} existing candidates changed, e.g. {next(iter(changed.items()))}"
    )
    # and the new shipments did find candidates of their own (the feed really grew)
    assert any(k.startswith("EXTRA-") for k in after)
