"""The inputs' columns are declared once, in ``omphalos.pipeline.admit.SPECS``; everything else
that names them must agree with it: the demo generator's schemas, the registry importers' writer,
the dbt sources (models/staging/_staging__sources.yml) and the tables of docs/inputs.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from omphalos.pipeline.admit import SPECS
from omphalos.registry import model as registry_model
from omphalos.tools.generate import SCHEMAS as GENERATOR_SCHEMAS

REPO = Path(__file__).resolve().parents[2]
INPUTS = sorted(SPECS)


@pytest.mark.parametrize("name", INPUTS)
def test_generator_schema_is_the_spec(name: str) -> None:
    """The generator writes each input with the columns and types admission declares."""
    assert GENERATOR_SCHEMAS[name].names == SPECS[name].column_names
    assert [f.type for f in GENERATOR_SCHEMAS[name]] == [f.type for f in SPECS[name].arrow_schema]


def test_registry_writer_columns_are_the_spec() -> None:
    assert list(registry_model.ENTITY_COLUMNS) == SPECS["registry_entities"].column_names
    assert list(registry_model.NAME_COLUMNS) == SPECS["registry_names"].column_names
    assert list(registry_model.IDENTIFIER_COLUMNS) == SPECS["registry_identifiers"].column_names


def _source_tables() -> dict[str, list[str]]:
    doc = yaml.safe_load((REPO / "models/staging/_staging__sources.yml").read_text("utf-8"))
    return {
        t["name"]: [c["name"] for c in t.get("columns", [])]
        for s in doc["sources"]
        for t in s["tables"]
    }


@pytest.mark.parametrize("name", INPUTS)
def test_dbt_source_columns_are_spec_columns(name: str) -> None:
    tables = _source_tables()
    assert name in tables, f"{name} is not a dbt source table"
    spec = SPECS[name].column_names
    declared = tables[name]
    assert declared, f"source {name} declares no column"
    assert [c for c in declared if c not in spec] == [], f"source {name} names unknown columns"
    assert declared == [c for c in spec if c in declared], f"source {name}: column order"
    assert SPECS[name].key in declared


def _docs_tables() -> dict[str, list[tuple[str, bool]]]:
    """The column tables of docs/inputs.md, by the input named in the heading or, for the
    registry section, the table's position (entities, names, identifiers)."""
    text = (REPO / "docs/inputs.md").read_text("utf-8")
    tables: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] | None = None
    for line in text.splitlines():
        if line.startswith("| column | type | required |"):
            current = []
            tables.append(current)
            continue
        if current is None:
            continue
        if line.startswith("|---"):
            continue
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        current.append((cells[0], cells[2] == "yes"))
    order = ["shipments", "registry_entities", "registry_names", "registry_identifiers"]
    assert len(tables) >= len(order), "docs/inputs.md lost a column table"
    return dict(zip(order, tables, strict=False))


@pytest.mark.parametrize("name", INPUTS)
def test_docs_table_is_the_spec(name: str) -> None:
    documented = _docs_tables()[name]
    spec = [(c.name, c.required) for c in SPECS[name].columns]
    assert documented == spec


def test_the_docs_tables_follow_their_headings() -> None:
    text = (REPO / "docs/inputs.md").read_text("utf-8")
    assert re.search(r"^## Trade feed: `shipments`", text, re.M)
    assert re.search(
        r"^## Registry: `registry_entities`, `registry_names`, `registry_identifiers`", text, re.M
    )
