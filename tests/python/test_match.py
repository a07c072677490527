"""`omphalos match` (one name against a registry folder, through models/match) and the evasions of
name normalization it must see through (docs/matching.md "Normalization")."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import shared_data
from test_dbt_project import declared_columns

from omphalos.cli.app import main
from omphalos.pipeline.match import (
    cache_key,
    project_sql_digest,
    registry_files,
    screen,
)
from omphalos.tools.evaluate import SCORES_COLUMNS, default_threshold, eval_names

ENTITIES = [
    ("T-1", "organization", "SBERBANK PJSC", "RU"),
    ("T-2", "person", "Ivan PETROV", "RU"),
    ("T-3", "vessel", "SUNRISE", ""),
    ("T-4", "organization", "GAZPROM", "RU"),
    ("T-5", "organization", "ROSNEFT OIL COMPANY", "RU"),
    ("T-6", "organization", "SOCIETE GENERALE TRADING", "FR"),
    ("T-7", "organization", "PETROBRAS", "BR"),
]
ALIASES = [
    ("T-4", "\u0413\u0430\u0437\u043f\u0440\u043e\u043c"),
    ("T-2", "\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432"),
]


def write_registry(folder: Path, extra: list[tuple[str, str, str, str]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    entities = ENTITIES + (extra or [])
    with (folder / "registry_entities.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "entity_id",
                "source_list",
                "list_date",
                "entity_kind",
                "primary_name",
                "countries",
                "programs",
                "remarks",
            ]
        )
        for eid, kind, name, country in entities:
            w.writerow([eid, "TEST", "2026-08-20", kind, name, country, "TEST", ""])
    with (folder / "registry_names.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name_id", "entity_id", "name", "name_type", "script"])
        for eid, _kind, name, _country in entities:
            w.writerow([f"{eid}-N1", eid, name, "primary", "latin"])
        for i, (eid, name) in enumerate(ALIASES, start=2):
            w.writerow([f"{eid}-N{i}", eid, name, "alias", "cyrillic"])
    (folder / "registry_identifiers.csv").write_text(
        "identifier_id,entity_id,id_type,id_value,id_country\n", encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("match-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("OMPHALOS_CACHE_DIR", str(folder))
    yield folder
    mp.undo()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    folder = write_registry(tmp_path_factory.mktemp("registry") / "reg")
    first = screen("SBERBANK PJSC", folder)  # builds the cache
    assert first["cache"]["state"] == "built"
    assert first["candidates"][0]["entity_id"] == "T-1"
    return folder


def test_match_models_have_their_declared_columns(registry: Path, cache_dir: Path) -> None:
    """The match models (disabled in a run, built in the cache) have exactly the columns their
    properties declare, each described (test_dbt_project checks the run's models)."""
    declared = declared_columns()
    (warehouse,) = cache_dir.rglob("match.duckdb")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name, list(column_name) from information_schema.columns "
            "where table_schema like '%match' group by 1"
        ).fetchall()
    finally:
        con.close()
    assert {name for name, _ in rows} == {"match_candidates", "match_registry_block_keys"}
    for name, columns in rows:
        assert set(columns) == set(declared[("model", name)]), name


EVASIONS = [
    (
        "fullwidth",
        "\uff33\uff22\uff25\uff32\uff22\uff21\uff2e\uff2b \uff30\uff2a\uff33\uff23",
        "T-1",
    ),
    (
        "mathematical bold",
        "\U0001d412\U0001d401\U0001d404\U0001d411\U0001d401\U0001d400\U0001d40d\U0001d40a",
        "T-1",
    ),
    (
        "mathematical double-struck",
        "\U0001d53e\U0001d538\u2124\u2119\u211d\U0001d546\U0001d544",
        "T-4",
    ),
    ("zero-width space", "SBER\u200bBANK PJSC", "T-1"),
    ("soft hyphen and word joiner", "ROS\u00adNEFT OIL\u2060 COMPANY", "T-5"),
    ("right-to-left override", "\u202eKNABREBS", "T-1"),
    ("bidi isolates and marks", "\u2067GAZ\u200fPROM\u2069", "T-4"),
    ("decomposed accents", "Socie\u0301te\u0301 Ge\u0301ne\u0301rale Trading", "T-6"),
    ("stacked combining marks", "G\u0336A\u0336Z\u0336P\u0336R\u0336O\u0336M\u0336", "T-4"),
    ("Cyrillic look-alikes in a Latin name", "\u0420ETR\u041eBR\u0410S", "T-7"),
    ("Greek look-alikes in a Latin name", "\u03a1ETR\u039fBRAS", "T-7"),
    ("Latin look-alike in a Cyrillic name", "\u0413\u0430\u0437\u043f\u0440o\u043c", "T-4"),
    (
        "ligature and circled letters",
        "\u24c7\u24de\u24e2\u24dd\u24d4\u24d5\u24e3 OIL COMPANY",
        "T-5",
    ),
]


@pytest.mark.parametrize(("label", "spelling", "entity"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_an_evading_spelling_finds_the_listed_name(
    registry: Path, label: str, spelling: str, entity: str
) -> None:
    result = screen(spelling, registry, top=3)
    assert result["cache"]["state"] == "warm"
    best = result["candidates"][0]
    assert (best["entity_id"], best["match_status"]) == (entity, "MATCH"), (label, best)


def test_fold_seeds_are_what_the_script_writes() -> None:
    import importlib.util
    import unicodedata

    script = Path(__file__).resolve().parents[2] / "scripts" / "build_fold_seed.py"
    spec = importlib.util.spec_from_file_location("build_fold_seed", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if unicodedata.unidata_version != module.BUILT_WITH_UNICODE:
        pytest.skip(f"seeds built with Unicode {module.BUILT_WITH_UNICODE}")
    for name, text in module.build().items():
        assert (script.parents[1] / "seeds" / name).read_text(encoding="utf-8") == text, name


def test_kinds_scope_the_candidates(registry: Path) -> None:
    anything = screen("SUNRISE", registry)["candidates"]
    assert [c["entity_id"] for c in anything] == ["T-3"]
    assert screen("SUNRISE", registry, kind="vessel")["candidates"][0]["match_status"] == "MATCH"
    # a party of another kind never meets a listed vessel
    assert screen("SUNRISE BV", registry, kind="organization")["candidates"] == []
    # a person/organization difference is evidence against, stated, as in a run (the same
    # candidate rules: -kind_mismatch_penalty)
    person = screen("IVAN PETROV", registry, kind="organization")["candidates"][0]
    assert person["entity_id"] == "T-2"
    assert "kinds differ: party organization (declared), listed person (-0.1)" in person["evidence"]
    assert float(person["score"]) == 0.9  # 1.0 - 0.10


def test_country_and_thresholds_from_flags(registry: Path) -> None:
    listed = screen("GAZPROM", registry, country="ru")
    assert listed["query"]["country"] == "RU"
    assert listed["candidates"][0]["country_evidence"] == "listed"
    other = screen("GAZPROM", registry, country="FR")["candidates"][0]
    assert other["country_evidence"] == "conflict"
    assert Decimal(other["score"]) == Decimal("0.9500")
    # the same score against thresholds given as flags
    strict = screen("GAZPROM", registry, country="FR", match_threshold=Decimal("0.96"))
    assert strict["candidates"][0]["match_status"] == "REVIEW"
    assert strict["query"]["match_threshold"] == "0.96"


def test_the_cache_key_follows_the_list_and_the_rules(registry: Path, tmp_path: Path) -> None:
    digest = project_sql_digest()
    key = cache_key(registry_files(registry), digest)
    changed = write_registry(tmp_path / "changed", extra=[("T-8", "person", "NEW NAME", "")])
    assert cache_key(registry_files(changed), digest) != key
    # a changed rule (any file of models, macros, seeds or dbt_project.yml) changes the digest
    root = tmp_path / "project"
    for part in ("models", "macros", "seeds"):
        (root / part).mkdir(parents=True)
    (root / "dbt_project.yml").write_text("vars: {}\n", encoding="utf-8")
    (root / "macros" / "m.sql").write_text("select 1", encoding="utf-8")
    before = project_sql_digest(root)
    (root / "macros" / "m.sql").write_text("select 2", encoding="utf-8")
    assert project_sql_digest(root) != before
    assert cache_key(registry_files(registry), project_sql_digest(root)) != key


def test_cli_json_and_input_errors(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["match", "Sberb\u0430nk", "--registry", str(registry), "--json", "--top", "1"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["cache"]["state"] == "warm"
    assert out["query"]["normalized"] == "sberbank"
    assert [c["entity_id"] for c in out["candidates"]] == ["T-1"]
    assert main(["match", "X", "--registry", str(tmp_path / "missing")]) == 2
    assert "registry folder not found" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["match", "X", "--registry", str(empty)]) == 2
    assert "no registry_entities.csv" in capsys.readouterr().err
    assert main(["match", "X", "--registry", str(registry), "--country", "RUS"]) == 2
    assert main(["match", "X", "--registry", str(registry), "--kind", "ship"]) == 2
    assert main(["match", "X", "--registry", str(registry), "--match-threshold", "0.5"]) == 2
    assert "thresholds" in capsys.readouterr().err


def test_sdn_listed_organization_ranks_first(cache_dir: Path, tmp_path: Path) -> None:
    sdn = shared_data() / "watchlists" / "ofac_sdn_2026-08-20" / "ofac-sdn.csv"
    out = tmp_path / "sdn"
    argv = ["registry", "import", "--source", "ofac-sdn-csv", "--file", str(sdn)]
    assert main([*argv, "--list-date", "2026-08-20", "--out", str(out)]) == 0
    first = screen("AEROCARIBBEAN AIRLINES", out, kind="organization")
    assert first["candidates"][0]["entity_id"] == "OFAC-36"
    assert first["candidates"][0]["match_status"] == "MATCH"
    warm = screen(
        "\uff21\uff25\uff32\uff2f\uff23\uff21\uff32\uff29\uff22\uff22\uff25\uff21\uff2e AIRLINES",
        out,
        kind="organization",
    )
    assert warm["cache"]["state"] == "warm"
    assert warm["candidates"][0]["entity_id"] == "OFAC-36"
    # a listed vessel's name is not an organization's
    assert all(
        c["entity_kind"] != "vessel"
        for c in screen("SUNRISE", out, kind="organization")["candidates"]
    )
    shutil.rmtree(out)


def test_eval_scores_out_and_evasions_through_the_eval_model(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    with pairs.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["schema", "name1", "name2", "is_match"])
        for _label, spelling, entity in EVASIONS:
            listed = next(e[2] for e in ENTITIES if e[0] == entity)
            w.writerow(["Company", spelling, listed, "true"])
        w.writerow(["Company", "ATLAS COPCO", "SBERBANK PJSC", "false"])
    scores = tmp_path / "scores.csv"
    result = eval_names(pairs, scores_out=scores)
    assert result["scores_file"] == str(scores)
    with scores.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == SCORES_COLUMNS
    assert len(rows) == len(EVASIONS) + 1
    threshold = default_threshold()
    for row, (label, spelling, _entity) in zip(rows, EVASIONS, strict=False):
        assert row["name1"] == spelling
        assert Decimal(row["score"]) >= threshold, (label, row)
        assert (row["is_match"], row["predicted"]) == ("true", "true"), label
    assert (rows[-1]["is_match"], rows[-1]["predicted"]) == ("false", "false")
    assert rows[0]["pair_id"] == "2"  # the pairs file's row number
