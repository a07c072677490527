"""Run configuration: strict YAML, the published schema, located errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from omphalos.errors import InputError
from omphalos.pipeline.admit import SPECS
from omphalos.pipeline.config import EXPORTABLE, load_config, run_config_schema
from omphalos.pipeline.paths import project_root

BASE = """\
name: t
as_of_date: "2026-10-31"
inputs:
  shipments: s.csv
  registry_entities: e.csv
  registry_names: n.csv
  registry_identifiers: i.csv
"""


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _refused(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        _load(tmp_path, text)


def test_the_base_config_loads_with_defaults(tmp_path: Path) -> None:
    cfg = _load(tmp_path, BASE)
    assert (cfg.match_threshold, cfg.review_threshold, cfg.candidate_floor) == (
        "0.9000",
        "0.8000",
        "0.7000",
    )
    assert cfg.exports == EXPORTABLE and cfg.max_rejected_rows is None


def test_unquoted_date_is_read_as_text(tmp_path: Path) -> None:
    assert _load(tmp_path, BASE.replace('"2026-10-31"', "2026-10-31")).as_of_date == "2026-10-31"


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ("thresholds:\n  mach: 0.9\n", r"thresholds\.mach: unknown key \(did you mean match\?\)"),
        ("threshold:\n  match: 0.9\n", r"threshold: unknown key \(did you mean thresholds\?\)"),
        ("admission:\n  max_rows: 3\n", r"admission\.max_rows: unknown key"),
        (
            "catalog_queries:\n  - name: top_exposed_entities\n    parms: {}\n",
            r"catalog_queries\[0\]\.parms: unknown key",
        ),
        (
            "thresholds:\n  match: high\n",
            r"thresholds\.match: expected a number from 0 to 1, got a string",
        ),
        ('thresholds:\n  match: "0.9"\n', r"thresholds\.match: expected a number"),
        ("thresholds:\n  match: true\n", r"thresholds\.match: expected a number .*got a boolean"),
        ("thresholds:\n  match: 1.5\n", r"thresholds\.match: must be a number from 0 to 1"),
        ("thresholds:\n  review: -0.1\n", r"thresholds\.review: must be a number from 0 to 1"),
        ("thresholds:\n  match: .nan\n", r"thresholds\.match: expected a number"),
        ("thresholds:\n  review: 0.95\n", r"thresholds\.review: must be <= thresholds\.match"),
        (
            "thresholds:\n  candidate_floor: 0.85\n",
            r"thresholds\.candidate_floor: must be <= thresholds\.review",
        ),
        ("thresholds: 0.9\n", r"thresholds: expected a mapping, got a number"),
        ("thresholds:\n", r"thresholds: expected a mapping, got nothing"),
        (
            "blocking:\n  max_block_key_names: 0\n",
            r"blocking\.max_block_key_names: must be an integer",
        ),
        (
            "blocking:\n  max_block_key_names: 2.5\n",
            r"blocking\.max_block_key_names: expected an integer",
        ),
        ("exports: [entity_matches, audit]\n", r"exports\[1\]: unknown value"),
        ("exports: [entity_matches, entity_matches]\n", r"exports\[1\]: listed twice"),
        ("exports: review_queue\n", r"exports: expected a list, got a string"),
        ("admission:\n  max_rejected_rows: -1\n", r"admission\.max_rejected_rows: must be"),
        ("admission:\n  max_rejected_share: 2\n", r"admission\.max_rejected_share: must be"),
        ("description: [a]\n", r"description: expected a string"),
    ],
)
def test_bad_keys_and_values_are_refused_naming_the_key_path(
    tmp_path: Path, extra: str, match: str
) -> None:
    _refused(tmp_path, BASE + extra, match)


def test_bad_top_level_values(tmp_path: Path) -> None:
    _refused(
        tmp_path, BASE.replace('"2026-10-31"', '"2026-02-30"'), r"as_of_date: not a calendar date"
    )
    _refused(tmp_path, BASE.replace('"2026-10-31"', "31.10.2026"), r"as_of_date: must match")
    _refused(tmp_path, BASE.replace("name: t", "name: Bad Name"), r"name: must match")
    _refused(
        tmp_path,
        BASE.replace("  registry_names: n.csv\n", ""),
        r"inputs: missing required key\(s\) registry_names",
    )
    _refused(
        tmp_path,
        BASE.replace("registry_names:", "registry_namez:"),
        r"inputs\.registry_namez: unknown key \(did you mean registry_names\?\)",
    )
    _refused(
        tmp_path,
        BASE.replace("shipments: s.csv", "shipments: 5"),
        r"inputs\.shipments: expected a string",
    )
    _refused(tmp_path, "- a\n- b\n", r"\(top level\): expected a mapping, got a list")
    _refused(tmp_path, "", r"\(top level\): expected a mapping, got nothing")


def test_duplicate_keys_are_refused_with_their_path_and_lines(tmp_path: Path) -> None:
    text = BASE + "thresholds:\n  match: 0.9\n  review: 0.8\n  match: 0.5\n"
    _refused(tmp_path, text, r"line 11: thresholds\.match: duplicate key \(first at line 9\)")
    _refused(tmp_path, BASE + 'as_of_date: "2026-01-01"\n', r"as_of_date: duplicate key")


def test_aliases_and_anchors_are_refused(tmp_path: Path) -> None:
    _refused(tmp_path, BASE + "thresholds: &t\n  match: 0.9\n", r"line 8: YAML anchors")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    _refused(tmp_path, bomb, r"YAML anchors")
    _refused(tmp_path, BASE + "description: *nowhere\n", r"line 8: YAML aliases")


def test_yaml_oddities_are_refused(tmp_path: Path) -> None:
    _refused(tmp_path, BASE + "description: !!python/object:os.system x\n", r"explicit YAML tags")
    _refused(tmp_path, BASE + "1: x\n", r"keys must be plain strings")
    _refused(tmp_path, BASE + "? [a, b]\n: x\n", r"keys must be plain strings")
    _refused(tmp_path, BASE + "description: [unclosed\n", r"line \d+: not valid YAML")
    _refused(tmp_path, "a: " + "[" * 50_000 + "\n", r"nested too deeply|not valid YAML")
    _refused(tmp_path, BASE + "---\nname: u\n", r"not valid YAML")
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (1 << 20) + b"\nname: t\n")
    with pytest.raises(InputError, match="larger than"):
        load_config(path)
    path.write_bytes(BASE.encode() + b"description: \xff\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        load_config(path)


def test_cli_config_error_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from omphalos.cli.app import main

    path = tmp_path / "t.yaml"
    path.write_text(BASE + "thresholds:\n  mach: 0.9\n", encoding="utf-8")
    assert main(["run", "--config", str(path), "--runs-root", str(tmp_path / "runs")]) == 2
    assert "thresholds.mach: unknown key" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


# --- the schema and the parser agree ------------------------------------------------------------


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(
        (project_root() / "contracts" / "run_config.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _configs_in_the_project() -> dict[str, str]:
    from catalog_demo import CONFIG as CATALOG_DEMO_CONFIG
    from conftest import CONFIG_TEMPLATE

    out = {
        str(p): p.read_text(encoding="utf-8") for p in (project_root() / "config").rglob("*.yaml")
    }
    out["conftest"] = CONFIG_TEMPLATE.format(name="test", ext="csv")
    out["catalog_demo"] = CATALOG_DEMO_CONFIG
    return out


def test_demo_and_test_configs_validate_against_the_published_schema(tmp_path: Path) -> None:
    validator = _validator()
    configs = _configs_in_the_project()
    assert any("demo.yaml" in k for k in configs)
    for where, text in configs.items():
        doc = yaml.safe_load(text)
        errors = [e.message for e in validator.iter_errors(doc)]
        assert errors == [], where
        _load(tmp_path, text)  # and the parser reads it


def test_schema_refuses_what_the_parser_refuses(tmp_path: Path) -> None:
    """Each shape error the parser refuses, a standard JSON Schema validator refuses too (the
    parser is an interpreter of the same file; the thresholds' order is the one rule beside it)."""
    validator = _validator()
    base = yaml.safe_load(BASE)
    bad: list[dict[str, Any]] = [
        {**base, "thresholds": {"mach": 0.9}},
        {**base, "thresholds": {"match": "0.9"}},
        {**base, "thresholds": {"match": True}},
        {**base, "thresholds": {"match": 1.5}},
        {**base, "blocking": {"max_block_key_names": 0}},
        {**base, "exports": ["audit"]},
        {**base, "exports": []},
        {**base, "admission": {"max_rejected_share": 2}},
        {**base, "catalog_queries": [{"params": {}}]},
        {**base, "inputs": {**base["inputs"], "extra": "x.csv"}},
        {k: v for k, v in base.items() if k != "inputs"},
    ]
    for doc in bad:
        assert list(validator.iter_errors(doc)), doc
        with pytest.raises(InputError):
            _load(tmp_path, yaml.safe_dump(doc))


def test_schema_lists_the_admitted_inputs_and_exportable_tables() -> None:
    props = run_config_schema()["properties"]
    assert set(props["inputs"]["properties"]) == set(SPECS)
    assert set(props["inputs"]["required"]) == set(SPECS)
    assert tuple(props["exports"]["items"]["enum"]) == EXPORTABLE
