"""The dbt project as dbt users expect it: every model and source column described, the declared
columns the ones built, the exported marts read from the run's own dbt manifest, and the sealed
run's selection (selectors.yml) the nodes the run built."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import yaml

from omphalos.pipeline.export import contracts, contracts_from_manifest
from omphalos.pipeline.paths import project_root


def _properties() -> list[tuple[Path, dict[str, Any]]]:
    root = project_root() / "models"
    return [
        (p, yaml.safe_load(p.read_text(encoding="utf-8")) or {})
        for p in sorted(root.rglob("*.yml"))
    ]


def declared_columns() -> dict[tuple[str, str], dict[str, str]]:
    """(kind, name) -> {column: description} of every model ("model", name) and source table
    ("source", "<source>.<table>") of the project's properties files."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for _, doc in _properties():
        for model in doc.get("models") or []:
            cols = {c["name"]: c.get("description") or "" for c in model.get("columns") or []}
            out[("model", model["name"])] = cols
        for source in doc.get("sources") or []:
            for table in source.get("tables") or []:
                cols = {c["name"]: c.get("description") or "" for c in table.get("columns") or []}
                out[("source", f"{source['name']}.{table['name']}")] = cols
    return out


def test_every_model_source_and_column_has_a_description() -> None:
    missing: list[str] = []
    for path, doc in _properties():
        rel = path.relative_to(project_root())
        for model in doc.get("models") or []:
            if not str(model.get("description") or "").strip():
                missing.append(f"{rel}: model {model['name']}")
            if not model.get("columns"):
                missing.append(f"{rel}: model {model['name']} declares no columns")
            for c in model.get("columns") or []:
                if not str(c.get("description") or "").strip():
                    missing.append(f"{rel}: {model['name']}.{c['name']}")
        for source in doc.get("sources") or []:
            for table in source.get("tables") or []:
                name = f"{source['name']}.{table['name']}"
                if not str(table.get("description") or "").strip():
                    missing.append(f"{rel}: source table {name}")
                if not table.get("columns"):
                    missing.append(f"{rel}: source table {name} declares no columns")
                for c in table.get("columns") or []:
                    if not str(c.get("description") or "").strip():
                        missing.append(f"{rel}: {name}.{c['name']}")
    assert not missing, "without a description:\n  " + "\n  ".join(missing)


def test_every_seed_and_seed_column_is_described() -> None:
    """Each seed of seeds/ is declared with a description and its columns, exactly the CSV
    header in order, each described."""
    root = project_root()
    doc = yaml.safe_load((root / "seeds" / "_seeds__models.yml").read_text(encoding="utf-8"))
    declared = {s["name"]: s for s in doc["seeds"]}
    problems: list[str] = []
    for path in sorted((root / "seeds").glob("*.csv")):
        seed = declared.get(path.stem)
        if seed is None:
            problems.append(f"{path.name}: not declared in seeds/_seeds__models.yml")
            continue
        if not str(seed.get("description") or "").strip():
            problems.append(f"{path.stem}: no description")
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        columns = seed.get("columns") or []
        names = [c["name"] for c in columns]
        if names != header:
            problems.append(f"{path.stem}: columns {names} are not the CSV header {header}")
        problems += [
            f"{path.stem}.{c['name']}: no description"
            for c in columns
            if not str(c.get("description") or "").strip()
        ]
    problems += [
        f"{name}: declared, no seeds/{name}.csv"
        for name in declared
        if not (root / "seeds" / f"{name}.csv").is_file()
    ]
    assert not problems, "seed documentation:\n  " + "\n  ".join(problems)


def _run_manifest(run: Path) -> dict[str, Any]:
    return json.loads((run / "dbt" / "target" / "manifest.json").read_text(encoding="utf-8"))


def test_declared_columns_are_the_columns_built(sealed_run: Path) -> None:
    """A column a model or source has but its properties file does not declare has no
    description: every relation of the run's warehouse has exactly its declared columns."""
    declared = declared_columns()
    manifest = _run_manifest(sealed_run)
    con = duckdb.connect(str(sealed_run / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        built: dict[tuple[str, str], list[str]] = {}
        for schema, table, columns in con.execute(
            "select table_schema, table_name, list(column_name order by ordinal_position) "
            "from information_schema.columns group by 1, 2"
        ).fetchall():
            built[(schema, table)] = columns
    finally:
        con.close()
    checked, wrong = 0, []
    for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        if node.get("package_name") != "omphalos":
            continue
        if node["resource_type"] == "model":
            key = ("model", node["name"])
            relation = (node["schema"], node["alias"])
        elif node["resource_type"] == "source":
            key = ("source", f"{node['source_name']}.{node['name']}")
            relation = (node["schema"], node["identifier"])
        else:
            continue
        if relation not in built:  # a source only some runs load (match, eval)
            continue
        checked += 1
        actual, expected = set(built[relation]), set(declared[key])
        if actual != expected:
            wrong.append(
                f"{key[1]}: not declared {sorted(actual - expected)}, "
                f"declared but absent {sorted(expected - actual)}"
            )
    assert not wrong, "\n".join(wrong)
    assert checked >= 30, checked  # every model of a run and the trade, registry, review sources


def test_exported_marts_come_from_the_dbt_manifest(sealed_run: Path) -> None:
    """The run exports what its dbt manifest declares (meta.export_key, meta.export_dir), and the
    reading of the properties files used before dbt runs (config exports, the Spark job) agrees."""
    from_manifest = contracts_from_manifest(sealed_run / "dbt" / "target" / "manifest.json")
    assert from_manifest == contracts()
    run = json.loads((sealed_run / "run_manifest.json").read_text(encoding="utf-8"))
    paths = {a["path"] for a in run["artifacts"]}
    for name, contract in from_manifest.items():
        assert f"{contract.export_dir}/{name}.parquet" in paths, name
    for table in run["tables"]:
        if table["name"] in from_manifest:
            assert tuple(table["key"]) == from_manifest[table["name"]].key


def test_the_sealed_run_selector_is_every_enabled_node_but_unit_tests(sealed_run: Path) -> None:
    manifest = _run_manifest(sealed_run)
    assert manifest["selectors"]["sealed_run"]["name"] == "sealed_run"
    nodes = manifest["nodes"]
    results = json.loads(
        (sealed_run / "dbt" / "target" / "run_results.json").read_text(encoding="utf-8")
    )
    built = {r["unique_id"] for r in results["results"]}
    expected = {
        uid
        for uid, node in nodes.items()
        if node["resource_type"] in ("model", "seed", "snapshot")
        or (  # a data test of enabled models (not one of a disabled match or eval model)
            node["resource_type"] == "test"
            and any(
                d.startswith(("model.", "source.", "seed.")) for d in node["depends_on"]["nodes"]
            )
            and all(
                d in nodes
                and (d in built or nodes[d]["config"].get("enabled", True))
                and not nodes[d]["original_file_path"].startswith(("models/match/", "models/eval/"))
                for d in node["depends_on"]["nodes"]
                if d.startswith("model.")
            )
        )
    }
    assert not any(uid.startswith("unit_test.") for uid in manifest["nodes"])
    results = json.loads(
        (sealed_run / "dbt" / "target" / "run_results.json").read_text(encoding="utf-8")
    )
    ran = {
        r["unique_id"]
        for r in results["results"]
        if r["unique_id"].split(".")[0] in ("model", "seed", "snapshot", "test", "unit_test")
    }
    assert ran == expected
    assert not any(uid.startswith("unit_test.") for uid in ran)
    assert results["args"].get("selector") == "sealed_run"
    assert manifest["unit_tests"], "the project has unit tests, left out of the sealed run"


def test_romanized_literals_are_built_from_the_seed(tmp_path: Path) -> None:
    """macros/scoring/romanized_literals.sql is what scripts/build_romanized_literals.py builds
    from seeds/romanized_syllables.csv (an edited seed needs the file rebuilt), and the literals
    follow the seed: a spelling added to the seed is in the pattern and both VALUES lists."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_romanized_literals", project_root() / "scripts" / "build_romanized_literals.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    built = (project_root() / "macros" / "scoring" / "romanized_literals.sql").read_text("utf-8")
    assert built == script.build(), "seed changed: run scripts/build_romanized_literals.py"

    seed = tmp_path / "romanized_syllables.csv"
    seed.write_text(
        "spelling,reading,language,system,syllable_class\n"
        "chang,zh:zhang,zh,wade_giles,chang\n"
        "zhang,zh:zhang,zh,pinyin,chang\n"
        "cha,zh:cha,zh,pinyin,cha\n",
        encoding="utf-8",
    )
    text = script.build(seed)
    pattern = "(?:c(?:h(?:a(?:n(?:g))?))|z(?:h(?:a(?:n(?:g)))))"
    assert f'return("{pattern}")' in text
    matched = [w for w in ("cha", "chang", "zhang", "chan", "zha") if re.fullmatch(pattern, w)]
    assert matched == ["cha", "chang", "zhang"]
    assert "(values ('cha', 'zh:cha'), ('chang', 'zh:zhang'), ('zhang', 'zh:zhang'))" in text
    assert "(values ('cha', 'cha'), ('chang', 'chang'), ('zhang', 'chang'))" in text
