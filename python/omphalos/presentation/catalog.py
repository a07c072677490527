"""The analyst SQL catalog: named, reviewed, read-only queries over a sealed run.

Queries live in ``sql/catalog/<category>/<name>.sql``, each with a header (docs/catalog.md). They
never touch the warehouse file: the run's exports, admitted inputs, rejects, configuration and
admission report are staged into a private DuckDB database (the bytes read are the bytes hashed),
which is then opened **read-only**, with external access disabled and the configuration locked.

A query is accepted only if

* its header parses and declares exactly the parameters and relations the SQL uses;
* sqlglot (DuckDB dialect) finds exactly one statement, rooted in SELECT / WITH / a set operation,
  and nowhere in the tree any DML, DDL, COPY, ATTACH/DETACH, INSTALL/LOAD, PRAGMA, SET/RESET, USE,
  ``select ... into``, sampling, non-deterministic function, or table function outside a small
  allowlist (so no ``read_csv``, ``read_parquet``, ``glob``, ``query_table``, ...);
* every relation it names is one of the staged relations or a CTE of the query (no file paths,
  no schema-qualified names);
* DuckDB's own parser agrees: exactly one statement, of type SELECT, with the same named parameters.

Parameters are bound (DuckDB ``$name``), never interpolated. Every execution writes a query record
(``omphalos.query_record/1``); see ``execute_adhoc`` and ``execute_catalog_into_run``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import decimal
import hashlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from omphalos import __version__
from omphalos.evidence.canonical import sha256_bytes, write_canonical_json
from omphalos.pipeline.admit import REJECTS_SCHEMA
from omphalos.pipeline.export import PARQUET_SETTINGS, logical_fingerprint
from omphalos.pipeline.paths import SealedRunPathError, project_root, refuse_inside_sealed_run
from omphalos.textsafe import terminal_safe

__all__ = [
    "CATEGORIES",
    "RECORD_SCHEMA_VERSION",
    "RELATIONS",
    "CatalogError",
    "CatalogQuery",
    "Limits",
    "Param",
    "QueryResult",
    "RunIntegrityError",
    "StagedRun",
    "add_arguments",
    "check_sql",
    "execute_adhoc",
    "execute_catalog_into_run",
    "execute_query",
    "load_catalog",
    "main_from_args",
    "parse_query_file",
    "parse_query_text",
    "validate_catalog_queries",
]

RECORD_SCHEMA_VERSION = "omphalos.query_record/1"
CATEGORIES = ("briefing", "review", "audit", "investigations")
PARAM_TYPES = ("varchar", "bigint", "decimal", "date", "boolean")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_PARAM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HEADER_LINE_RE = re.compile(r"^-- ([a-z]+):(?: (.*))?$")
_CONTINUATION_RE = re.compile(r"^--\s{2,}(\S.*)$")
_PARAM_RE = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*) (?P<type>[a-z]+)(?: = (?P<default>.+?))? \| (?P<desc>\S.*)$"
)
_HEADER_KEYS = ("name", "title", "description", "param", "reads")
_REQUIRED_KEYS = ("name", "title", "description", "reads")


@dataclasses.dataclass(frozen=True)
class Relation:
    name: str
    source: str  # path inside the run directory ("previous:" prefix: the previous run)
    description: str


#: The relations a catalog query may read, and where each comes from in a run directory.
RELATIONS: dict[str, Relation] = {
    r.name: r
    for r in (
        Relation(
            "entity_matches",
            "exports/entity_matches.parquet",
            "one row per shipment party x listed entity candidate, MATCH / REVIEW / NO_MATCH, "
            "with the shipment's date, goods, value and is_controlled_goods",
        ),
        Relation("entity_scores", "exports/entity_scores.parquet", "exposure per listed entity"),
        Relation("review_queue", "exports/review_queue.parquet", "MATCH and REVIEW, in order"),
        Relation("shipments", "inputs/admitted/shipments.parquet", "admitted trade feed rows"),
        Relation(
            "registry_entities",
            "inputs/admitted/registry_entities.parquet",
            "admitted registry entities",
        ),
        Relation(
            "registry_names", "inputs/admitted/registry_names.parquet", "admitted registry names"
        ),
        Relation(
            "registry_identifiers",
            "inputs/admitted/registry_identifiers.parquet",
            "admitted registry identifiers",
        ),
        Relation("rejects", "inputs/rejects.csv", "rejected input rows: input, file, row, ..."),
        Relation(
            "run_config",
            "config/run_config.yaml",
            "one row: config name and sha256, as_of_date, thresholds, blocking limit",
        ),
        Relation(
            "admission_inputs",
            "reports/admission.json",
            "per input: file, format, digest, rows read / admitted / rejected",
        ),
        Relation(
            "previous_entity_matches",
            "previous:exports/entity_matches.parquet",
            "entity_matches of the run given with --previous-run-dir",
        ),
    )
}

# Table functions a query may use in FROM (they read nothing but their arguments).
_ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# Function names refused anywhere in the tree: file, network, catalog or settings access, and
# anything whose value is not a function of the run (time, randomness).
_DENIED_FUNCTION_PREFIXES = (
    "read_",
    "parquet_",
    "duckdb_",
    "pragma_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
    "json_execute",
)
_DENIED_FUNCTIONS = frozenset(
    {
        "glob",
        "sniff_csv",
        "query",
        "query_table",
        "getenv",
        "current_setting",
        "getvariable",
        "set_variable",
        "load_extension",
        "checkpoint",
        "force_checkpoint",
        "now",
        "today",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_localtime",
        "current_localtimestamp",
        "localtime",
        "localtimestamp",
        "get_current_time",
        "get_current_timestamp",
        "transaction_timestamp",
        "random",
        "setseed",
        "uuid",
        "uuidv4",
        "uuidv7",
        "gen_random_uuid",
        "txid_current",
        "current_query",
        "nextval",
        "currval",
    }
)


def _exp_types(*names: str) -> tuple[type[exp.Expression], ...]:
    """sqlglot expression classes by name (those missing from the installed version skipped)."""
    found = []
    for name in names:
        cls = getattr(exp, name, None)
        if isinstance(cls, type) and issubclass(cls, exp.Expression):
            found.append(cls)
    return tuple(found)


_DENIED_NODES = _exp_types(
    "Insert",
    "Update",
    "Delete",
    "Merge",
    "Create",
    "Drop",
    "Alter",
    "AlterTable",
    "TruncateTable",
    "Copy",
    "Attach",
    "Detach",
    "Install",
    "Load",
    "LoadData",
    "Command",
    "Pragma",
    "Set",
    "SetItem",
    "Use",
    "Into",
    "Transaction",
    "Commit",
    "Rollback",
    "Cache",
    "Uncache",
    "Refresh",
    "Analyze",
    "Describe",
    "Summarize",
    "Show",
    "Export",
    "Grant",
    "Revoke",
    "TableSample",
    "Rand",
    "Randn",
    "Uuid",
    "CurrentDate",
    "CurrentTime",
    "CurrentTimestamp",
    "CurrentDatetime",
    "CurrentTimestampLTZ",
    "Localtime",
    "Localtimestamp",
    "CurrentSchema",
    "CurrentUser",
)
_ROOT_TYPES = _exp_types("Select", "Union", "Intersect", "Except")


class CatalogError(Exception):
    """A catalog query, header, parameter or request is not acceptable (usage error, exit 2)."""


class RunIntegrityError(Exception):
    """A run file does not match its manifest, or the run is not sealed (exit 1)."""


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any  # typed value, or None (NULL)
    has_default: bool
    description: str

    @property
    def required(self) -> bool:
        return not self.has_default


@dataclasses.dataclass(frozen=True)
class CatalogQuery:
    name: str
    category: str
    path: str  # "sql/catalog/<category>/<name>.sql", or the file name of an ad hoc file
    title: str
    description: str
    params: tuple[Param, ...]
    reads: tuple[str, ...]
    text: str  # the whole file, header included
    sql: str  # the statement (header removed)

    @property
    def sha256(self) -> str:
        return sha256_bytes(self.text.encode("utf-8"))

    def header_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "path": self.path,
            "title": self.title,
            "description": self.description,
            "params": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "default": _record_value(p.default) if p.has_default else None,
                    "description": p.description,
                }
                for p in self.params
            ],
            "reads": list(self.reads),
            "sha256": self.sha256,
        }


# --------------------------------------------------------------------------------------------
# Parameter values


def convert_param(param: Param, raw: object) -> Any:
    """Convert a value given on the command line (text) or in a run config (YAML scalar) to the
    parameter's type. ``None`` / the text ``null`` is NULL. Raises CatalogError."""
    if raw is None:
        return None
    if isinstance(raw, bool) and param.type != "boolean":
        raise CatalogError(f"parameter {param.name}: expected {param.type}, got a boolean")
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        text = raw.isoformat()
    elif isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, str | int | float | decimal.Decimal):
        text = str(raw)
    else:
        raise CatalogError(f"parameter {param.name}: unsupported value {raw!r}")
    if text == "null":
        return None
    where = f"parameter {param.name} ({param.type})"
    if param.type == "varchar":
        return text
    if param.type == "bigint":
        if not re.fullmatch(r"[+-]?\d{1,18}", text.strip()):
            raise CatalogError(f"{where}: not an integer: {text!r}")
        return int(text)
    if param.type == "decimal":
        if not re.fullmatch(r"[+-]?(\d{1,18}(\.\d{0,9})?|\.\d{1,9})", text.strip()):
            raise CatalogError(f"{where}: not a decimal number: {text!r}")
        return decimal.Decimal(text.strip())
    if param.type == "date":
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            raise CatalogError(f"{where}: not a date YYYY-MM-DD: {text!r}") from None
    if param.type == "boolean":
        low = text.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise CatalogError(f"{where}: not a boolean (true/false): {text!r}")
    raise CatalogError(f"{where}: unknown type")  # pragma: no cover - types checked at parse


def _record_value(value: Any) -> Any:
    """A parameter value as canonical JSON (no floats: decimals and dates as strings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal | dt.date):
        return str(value)
    raise TypeError(f"unexpected parameter value {value!r}")  # pragma: no cover


def _parse_default(param_name: str, ptype: str, text: str) -> Any:
    stub = Param(param_name, ptype, None, True, "")
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            raise CatalogError(f"param {param_name}: bad quoted default {text}") from None
        if not isinstance(decoded, str):
            raise CatalogError(f"param {param_name}: quoted default must be a string")
        if ptype != "varchar":
            raise CatalogError(f"param {param_name}: quoted default only for varchar")
        return decoded
    return convert_param(stub, text)


# --------------------------------------------------------------------------------------------
# Header


def parse_query_text(text: str, *, path: str, category: str, stem: str | None) -> CatalogQuery:
    """Parse one query file's text: header, then a blank line, then one SQL statement.

    ``stem`` (the file name without ``.sql``) must equal the header's name when given."""
    lines = text.splitlines()
    fields: dict[str, list[str]] = {}
    order: list[str] = []
    i = 0
    while i < len(lines) and lines[i].startswith("--"):
        line = lines[i].rstrip()
        m = _HEADER_LINE_RE.match(line)
        cont = _CONTINUATION_RE.match(line)
        if m and m.group(1) in _HEADER_KEYS:
            key = m.group(1)
            if key != "param" and key in fields:
                raise CatalogError(f"{path}:{i + 1}: header field {key!r} given twice")
            fields.setdefault(key, []).append((m.group(2) or "").strip())
            order.append(key)
        elif cont and order and order[-1] in ("title", "description", "param"):
            fields[order[-1]][-1] += " " + cont.group(1).strip()
        elif m:
            raise CatalogError(
                f"{path}:{i + 1}: unknown header field {m.group(1)!r}; "
                f"known: {', '.join(_HEADER_KEYS)}"
            )
        else:
            raise CatalogError(
                f"{path}:{i + 1}: not a header line ('-- key: value' or a continuation "
                "'--   text'): " + line[:80]
            )
        i += 1
    if i == 0:
        raise CatalogError(f"{path}: no header (the file must start with '-- name: ...')")
    if i >= len(lines) or lines[i].strip() != "":
        raise CatalogError(f"{path}:{i + 1}: the header must be followed by a blank line")
    missing = [k for k in _REQUIRED_KEYS if not fields.get(k) or not fields[k][0]]
    if missing:
        raise CatalogError(f"{path}: header lacks {', '.join(missing)}")
    name = fields["name"][0]
    if not _NAME_RE.match(name):
        raise CatalogError(f"{path}: name {name!r} must match {_NAME_RE.pattern}")
    if stem is not None and name != stem:
        raise CatalogError(f"{path}: header name {name!r} differs from the file name {stem!r}")
    params: list[Param] = []
    for spec in fields.get("param", []):
        pm = _PARAM_RE.match(spec)
        if not pm:
            raise CatalogError(
                f"{path}: param {spec!r} must read '<name> <type> [= <default>] | <description>'"
            )
        pname, ptype = pm.group("name"), pm.group("type")
        if ptype not in PARAM_TYPES:
            raise CatalogError(
                f"{path}: param {pname}: type {ptype!r} not one of {', '.join(PARAM_TYPES)}"
            )
        if any(p.name == pname for p in params):
            raise CatalogError(f"{path}: param {pname} declared twice")
        default_text = pm.group("default")
        has_default = default_text is not None
        default = _parse_default(pname, ptype, default_text) if default_text is not None else None
        params.append(Param(pname, ptype, default, has_default, pm.group("desc")))
    reads = tuple(r.strip() for r in fields["reads"][0].split(","))
    unknown = [r for r in reads if r not in RELATIONS]
    if unknown or not all(reads):
        raise CatalogError(
            f"{path}: reads: unknown relation(s) {', '.join(unknown) or '(empty)'}; "
            f"known: {', '.join(RELATIONS)}"
        )
    if list(reads) != sorted(set(reads)):
        raise CatalogError(f"{path}: reads: list each relation once, sorted")
    sql = "\n".join(lines[i + 1 :]).strip()
    query = CatalogQuery(
        name=name,
        category=category,
        path=path,
        title=fields["title"][0],
        description=fields["description"][0],
        params=tuple(params),
        reads=reads,
        text=text,
        sql=sql,
    )
    used_relations, used_params = check_sql(sql, where=path)
    if used_relations != set(reads):
        raise CatalogError(
            f"{path}: header 'reads' ({', '.join(reads)}) differs from the relations the SQL "
            f"reads ({', '.join(sorted(used_relations))})"
        )
    declared = {p.name for p in params}
    if used_params != declared:
        raise CatalogError(
            f"{path}: declared parameters ({', '.join(sorted(declared)) or 'none'}) differ from "
            f"the parameters the SQL uses ({', '.join(sorted(used_params)) or 'none'})"
        )
    return query


def parse_query_file(
    path: Path, *, category: str | None = None, label: str | None = None
) -> CatalogQuery:
    """Parse and check a query file (a catalog file, or an analyst's own for ``--file``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: not UTF-8") from None
    return parse_query_text(
        text,
        path=label or path.name,
        category=category or "ad_hoc",
        stem=path.name[: -len(".sql")] if path.name.endswith(".sql") else None,
    )


def catalog_root() -> Path:
    return project_root() / "sql" / "catalog"


def load_catalog(root: Path | None = None) -> dict[str, CatalogQuery]:
    """Every query of the catalog, by name. Raises CatalogError on the first bad file."""
    base = root or catalog_root()
    out: dict[str, CatalogQuery] = {}
    for category in CATEGORIES:
        folder = base / category
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix != ".sql":
                continue
            rel = f"sql/catalog/{category}/{path.name}"
            q = parse_query_file(path, category=category, label=rel)
            if q.name in out:
                raise CatalogError(f"{rel}: query name {q.name!r} also used by {out[q.name].path}")
            out[q.name] = q
    stray = sorted(
        p.relative_to(base).as_posix()
        for p in base.rglob("*.sql")
        if p.parent.parent != base or p.parent.name not in CATEGORIES
    )
    if stray:
        raise CatalogError(
            f"query files outside {', '.join(CATEGORIES)}: {', '.join(stray)} (move or remove them)"
        )
    return out


# --------------------------------------------------------------------------------------------
# The safety check


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.sql_name()).lower()


def check_sql(sql: str, *, where: str = "query") -> tuple[set[str], set[str]]:
    """Check that ``sql`` is one read-only SELECT over catalog relations (see the module
    docstring). Returns (relations read, named parameters used). Raises CatalogError."""
    if not sql.strip():
        raise CatalogError(f"{where}: no SQL statement")
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "falling back to a Command" warnings: refused below anyway
    try:
        statements = sqlglot.parse(sql, read="duckdb", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        raise CatalogError(f"{where}: SQL does not parse: {str(exc).splitlines()[0]}") from None
    finally:
        logger.setLevel(level)
    found = [s for s in statements if s is not None]
    if len(found) != 1:
        raise CatalogError(f"{where}: exactly one statement allowed, found {len(found)}")
    root = found[0]
    if not isinstance(root, _ROOT_TYPES):
        raise CatalogError(
            f"{where}: only SELECT / WITH / UNION queries are allowed, not {root.key.upper()}"
        )
    cte_names = {str(c.alias_or_name).lower() for c in root.find_all(exp.CTE)}
    relations: set[str] = set()
    params: set[str] = set()
    for node in root.walk():
        if isinstance(node, _DENIED_NODES):
            raise CatalogError(f"{where}: {node.key.upper()} is not allowed in a catalog query")
        if isinstance(node, exp.Placeholder):
            name = node.this
            if not isinstance(name, str) or not _PARAM_NAME_RE.match(name):
                raise CatalogError(
                    f"{where}: only named parameters ($name) are allowed, not positional ones"
                )
            params.add(name)
        elif isinstance(node, exp.Parameter):
            raise CatalogError(f"{where}: parameter {node.sql()!r} is not a $name parameter")
        elif isinstance(node, exp.Func):
            fname = _function_name(node)
            if fname in _DENIED_FUNCTIONS or fname.startswith(_DENIED_FUNCTION_PREFIXES):
                raise CatalogError(f"{where}: function {fname}() is not allowed")
        if isinstance(node, exp.Table):
            target = node.this
            if isinstance(target, exp.Func):
                fname = _function_name(target)
                if fname not in _ALLOWED_TABLE_FUNCTIONS:
                    raise CatalogError(
                        f"{where}: table function {fname}() is not allowed "
                        f"(allowed: {', '.join(sorted(_ALLOWED_TABLE_FUNCTIONS))})"
                    )
                continue
            if not isinstance(target, exp.Identifier):
                raise CatalogError(f"{where}: unsupported FROM item {node.sql()!r}")
            if node.args.get("db") or node.args.get("catalog"):
                raise CatalogError(
                    f"{where}: qualified relation {node.sql()!r} is not allowed; "
                    "use the catalog relation names"
                )
            name = str(target.this)
            if name.lower() in cte_names:
                continue
            if name not in RELATIONS:
                raise CatalogError(
                    f"{where}: unknown relation {name!r} (file paths and other tables are not "
                    f"readable; known relations: {', '.join(RELATIONS)})"
                )
            relations.add(name)
    # Second opinion: DuckDB's own parser must see the same single SELECT with the same params.
    try:
        native = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise CatalogError(f"{where}: DuckDB cannot parse the SQL: {exc}") from None
    if len(native) != 1 or native[0].type != duckdb.StatementType.SELECT:
        raise CatalogError(f"{where}: DuckDB does not see exactly one SELECT statement")
    if set(native[0].named_parameters) != params:
        raise CatalogError(f"{where}: parameters differ between parsers; use plain $name")
    return relations, params


# --------------------------------------------------------------------------------------------
# Staging a run's files into a private, read-only database


@dataclasses.dataclass(frozen=True)
class Source:
    relation: str
    run: str  # "run" or "previous"
    path: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "run": self.run,
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
        }


def _read_config_table(raw: bytes, path: Path) -> pa.Table:
    from omphalos.pipeline.config import load_config

    cfg = load_config(path)
    if hashlib.sha256(raw).hexdigest() != cfg.sha256:
        raise RunIntegrityError(f"{path}: changed while it was read")
    dec = pa.decimal128(9, 4)
    return pa.table(
        {
            "config_name": pa.array([cfg.name], pa.string()),
            "config_sha256": pa.array([cfg.sha256], pa.string()),
            "as_of_date": pa.array([dt.date.fromisoformat(cfg.as_of_date)], pa.date32()),
            "match_threshold": pa.array([decimal.Decimal(cfg.match_threshold)], dec),
            "review_threshold": pa.array([decimal.Decimal(cfg.review_threshold)], dec),
            "candidate_floor": pa.array([decimal.Decimal(cfg.candidate_floor)], dec),
            "max_block_key_names": pa.array([cfg.max_block_key_names], pa.int64()),
        }
    )


def _read_admission_table(raw: bytes) -> pa.Table:
    doc = json.loads(raw.decode("utf-8"))
    rows = doc.get("inputs", []) if isinstance(doc, dict) else []
    cols = {
        "input": pa.string(),
        "file": pa.string(),
        "format": pa.string(),
        "source_sha256": pa.string(),
        "source_size": pa.int64(),
        "rows_read": pa.int64(),
        "rows_admitted": pa.int64(),
        "rows_rejected": pa.int64(),
    }
    data: dict[str, list[Any]] = {c: [] for c in cols}
    for r in rows:
        for c in cols:
            data[c].append(r.get("name" if c == "input" else c))
    return pa.table(
        {c: pa.array(v, t) for (c, t), v in zip(cols.items(), data.values(), strict=True)}
    )


def _read_rejects_table(raw: bytes) -> pa.Table:
    names = [f.name for f in REJECTS_SCHEMA]
    table = pacsv.read_csv(
        pa.BufferReader(raw),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        convert_options=pacsv.ConvertOptions(
            column_types={f.name: f.type for f in REJECTS_SCHEMA},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    return table


def _load_relation(relation: str, path: Path, raw: bytes) -> pa.Table:
    if relation == "run_config":
        return _read_config_table(raw, path)
    if relation == "admission_inputs":
        return _read_admission_table(raw)
    if relation == "rejects":
        return _read_rejects_table(raw)
    return pq.read_table(pa.BufferReader(raw))


def _manifest_digests(run_dir: Path) -> tuple[dict[str, Any], dict[str, tuple[str, int]]]:
    from omphalos.evidence.manifest import ManifestError, load_manifest

    try:
        manifest = load_manifest(run_dir / "run_manifest.json")
    except ManifestError as exc:
        raise RunIntegrityError(
            f"{run_dir}: not a sealed run ({exc}); catalog queries read sealed runs only"
        ) from None
    digests = {
        a["path"]: (a["sha256"], a["size"])
        for a in manifest.get("artifacts", [])
        if isinstance(a, dict) and isinstance(a.get("path"), str)
    }
    return manifest, digests


def _stage(
    run_dir: Path,
    relations: Sequence[str],
    db_path: Path,
    *,
    previous_run_dir: Path | None,
    sealed_digests: dict[str, dict[str, tuple[str, int]]] | None,
    limits: Limits | None = None,
) -> list[Source]:
    """Write the relations into a new DuckDB file; return what was read, with digests.

    When ``sealed_digests`` is given (``{"run": ..., "previous": ...}``, from the manifests), each
    file's bytes must match its manifest entry."""
    sources: list[Source] = []
    limits = limits or Limits()
    con = duckdb.connect(str(db_path), config=limits.settings(db_path.parent / "spill"))
    try:
        for relation in sorted(relations):
            spec = RELATIONS[relation]
            which, rel_path = ("run", spec.source)
            base = run_dir
            if rel_path.startswith("previous:"):
                which, rel_path = "previous", rel_path[len("previous:") :]
                if previous_run_dir is None:
                    raise CatalogError(
                        f"relation {relation} needs a previous run (--previous-run-dir)"
                    )
                base = previous_run_dir
            path = base / rel_path
            if path.is_symlink() or not path.is_file():
                raise CatalogError(
                    f"relation {relation}: {rel_path} is not in {'the previous run' if which == 'previous' else 'the run'}"
                    f" ({base})"
                )
            raw = path.read_bytes()
            digest = hashlib.sha256(raw).hexdigest()
            if sealed_digests is not None:
                expected = sealed_digests[which].get(rel_path)
                if expected is None or expected != (digest, len(raw)):
                    raise RunIntegrityError(
                        f"{base / rel_path}: does not match the run manifest "
                        f"({'not listed' if expected is None else 'sha256 or size differs'}); "
                        "run `omphalos verify` on the run"
                    )
            table = _load_relation(relation, path, raw)
            con.register("staged_source", table)
            try:
                con.execute(f'create table "{relation}" as select * from staged_source')
            except duckdb.OutOfMemoryException:
                raise CatalogError(
                    f"relation {relation}: staging {rel_path} needs more memory than the limit "
                    f"(memory_limit {limits.memory_limit}, spilling at most "
                    f"{limits.max_temp_directory_size}); raise --memory-limit / --max-temp-size"
                ) from None
            con.unregister("staged_source")
            sources.append(Source(relation, which, rel_path, digest, len(raw)))
        con.execute("checkpoint")
    finally:
        con.close()
    return sources


#: Defaults of the resource limits of a catalog query (docs/catalog.md, "Limits").
DEFAULT_TIMEOUT_SECONDS = 300.0
DEFAULT_MEMORY_LIMIT = "2GB"
DEFAULT_MAX_TEMP_DIRECTORY_SIZE = "4GB"
_SIZE_RE = re.compile(r"^\s*(\d{1,6}(?:\.\d{1,3})?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$")


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one catalog query may use: wall-clock seconds (the statement is interrupted after
    them), DuckDB's ``memory_limit``, and ``max_temp_directory_size`` (how much it may spill to
    the private temporary folder once memory is full). Sizes are DuckDB sizes: ``512MB``,
    ``2GB``, ``1.5GiB``."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    max_temp_directory_size: str = DEFAULT_MAX_TEMP_DIRECTORY_SIZE

    def __post_init__(self) -> None:
        t = self.timeout_seconds
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t <= 86_400:
            raise CatalogError(f"timeout {t!r}: give seconds, more than 0 and at most 86400")
        for label, value in (
            ("memory limit", self.memory_limit),
            ("max temp directory size", self.max_temp_directory_size),
        ):
            if not isinstance(value, str) or not _SIZE_RE.match(value):
                raise CatalogError(f"{label} {value!r}: give a size such as 512MB, 2GB or 1.5GiB")

    def settings(self, temp_directory: Path) -> dict[str, Any]:
        return {
            "memory_limit": self.memory_limit.replace(" ", ""),
            "max_temp_directory_size": self.max_temp_directory_size.replace(" ", ""),
            "temp_directory": str(temp_directory),
        }


@contextmanager
def _readonly_connection(
    db_path: Path, threads: int, limits: Limits | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    limits = limits or Limits()
    con = duckdb.connect(
        str(db_path),
        read_only=True,
        config={
            "threads": threads,
            "enable_external_access": False,
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            **limits.settings(db_path.parent / "spill"),
            "lock_configuration": True,
        },
    )
    try:
        yield con
    finally:
        con.close()


def _run_limited(
    con: duckdb.DuckDBPyConnection,
    query: CatalogQuery,
    params: Mapping[str, Any],
    limits: Limits,
) -> pa.Table:
    """Run the statement with a watchdog: a timer thread interrupts the connection after
    ``limits.timeout_seconds`` (DuckDB has no statement timeout of its own)."""
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    watchdog = threading.Timer(limits.timeout_seconds, stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        table: pa.Table = con.sql(query.sql, params=dict(params)).to_arrow_table()
    except duckdb.InterruptException:
        if not fired.is_set():  # pragma: no cover - nobody else interrupts this connection
            raise CatalogError(f"{query.name}: the query was interrupted") from None
        raise CatalogError(
            f"{query.name}: stopped after {limits.timeout_seconds:g} s, the statement timeout "
            "(a runaway recursive CTE or cross join?); raise it with --timeout SECONDS"
        ) from None
    except duckdb.OutOfMemoryException:
        raise CatalogError(
            f"{query.name}: the query needs more memory than its limit (memory_limit "
            f"{limits.memory_limit}, spilling at most {limits.max_temp_directory_size} to disk); "
            "narrow it, or raise --memory-limit / --max-temp-size"
        ) from None
    except duckdb.Error as exc:
        if fired.is_set():
            raise CatalogError(
                f"{query.name}: stopped after {limits.timeout_seconds:g} s, the statement "
                "timeout; raise it with --timeout SECONDS"
            ) from None
        raise CatalogError(f"{query.name}: the query failed: {exc}") from None
    finally:
        watchdog.cancel()
    return table


# --------------------------------------------------------------------------------------------
# Execution


@dataclasses.dataclass
class QueryResult:
    query: CatalogQuery
    params: dict[str, Any]
    table: pa.Table
    sources: list[Source]

    def record(self) -> dict[str, Any]:
        """The record fields that do not depend on where the result is written."""
        return {
            "schema_version": RECORD_SCHEMA_VERSION,
            "query": {
                "name": self.query.name,
                "category": self.query.category,
                "path": self.query.path,
                "title": self.query.title,
                "sha256": self.query.sha256,
                "text": self.query.text,
            },
            "parameters": {k: _record_value(v) for k, v in sorted(self.params.items())},
            "engine": {"name": "duckdb", "version": duckdb.__version__},
            "tool": {"name": "omphalos", "version": __version__},
            "sources": [s.to_dict() for s in self.sources],
        }


def resolve_params(query: CatalogQuery, given: Mapping[str, object]) -> dict[str, Any]:
    """Typed values for every declared parameter: given ones converted, others defaulted."""
    unknown = sorted(set(given) - {p.name for p in query.params})
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise CatalogError(
            f"{query.name}: unknown parameter(s) {', '.join(unknown)}; it takes: {known}"
        )
    out: dict[str, Any] = {}
    for p in query.params:
        if p.name in given:
            out[p.name] = convert_param(p, given[p.name])
        elif p.has_default:
            out[p.name] = p.default
        else:
            raise CatalogError(f"{query.name}: parameter {p.name} ({p.type}) is required")
    return out


class StagedRun:
    """A run's relations staged once into a private database, opened read-only per query.

    ``sealed``: the run (and the previous run) must be sealed and every file read must match
    its manifest. ``sealed=False`` is for the run being built (before its manifest exists)."""

    def __init__(
        self,
        run_dir: Path,
        relations: Sequence[str],
        *,
        previous_run_dir: Path | None = None,
        sealed: bool = True,
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits or Limits()
        unknown = sorted(set(relations) - set(RELATIONS))
        if unknown:
            raise CatalogError(f"unknown relation(s) {', '.join(unknown)}")
        digests: dict[str, dict[str, tuple[str, int]]] | None = None
        if sealed:
            digests = {"run": _manifest_digests(run_dir)[1], "previous": {}}
            if previous_run_dir is not None and "previous_entity_matches" in relations:
                digests["previous"] = _manifest_digests(previous_run_dir)[1]
        self._tmp = tempfile.TemporaryDirectory(prefix="omphalos-catalog-")
        self.db_path = Path(self._tmp.name) / "staged.duckdb"
        try:
            self.sources = _stage(
                run_dir,
                sorted(set(relations)),
                self.db_path,
                previous_run_dir=previous_run_dir,
                sealed_digests=digests,
                limits=self.limits,
            )
        except BaseException:
            self._tmp.cleanup()
            raise

    def __enter__(self) -> StagedRun:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._tmp.cleanup()

    def execute(
        self, query: CatalogQuery, params: Mapping[str, object], *, threads: int = 2
    ) -> QueryResult:
        """Check ``query``, bind its parameters and run it on a read-only connection."""
        typed = resolve_params(query, params)
        relations, used = check_sql(query.sql, where=query.path)
        if used != set(typed):  # pragma: no cover - parse_query_text guarantees it
            raise CatalogError(f"{query.path}: parameters do not match the header")
        staged = {s.relation for s in self.sources}
        missing = sorted(relations - staged)
        if missing:
            hint = " (--previous-run-dir)" if "previous_entity_matches" in missing else ""
            raise CatalogError(f"{query.name}: relation(s) {', '.join(missing)} not staged{hint}")
        with _readonly_connection(self.db_path, threads, self.limits) as con:
            table = _run_limited(con, query, typed, self.limits)
        names = table.column_names
        if len(set(names)) != len(names):
            raise CatalogError(f"{query.name}: result column names must be unique: {names}")
        sources = [s for s in self.sources if s.relation in relations]
        return QueryResult(query, typed, table, sources)


def execute_query(
    query: CatalogQuery,
    params: Mapping[str, object],
    run_dir: Path,
    *,
    previous_run_dir: Path | None = None,
    sealed: bool = True,
    threads: int = 2,
    limits: Limits | None = None,
) -> QueryResult:
    """Check and run one query over ``run_dir`` (and a previous run's matches if it reads them);
    see ``StagedRun``."""
    resolve_params(query, params)  # parameter errors before any file is read
    relations, _ = check_sql(query.sql, where=query.path)
    if "previous_entity_matches" in relations and previous_run_dir is None:
        raise CatalogError(f"{query.name} compares with a previous run: give --previous-run-dir")
    with StagedRun(
        run_dir,
        sorted(relations),
        previous_run_dir=previous_run_dir,
        sealed=sealed,
        limits=limits,
    ) as staged:
        return staged.execute(query, params, threads=threads)


def _result_fields(table: pa.Table, result_bytes: bytes, file_name: str) -> dict[str, Any]:
    return {
        "file": file_name,
        "format": "parquet",
        "rows": table.num_rows,
        "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
        "sha256": hashlib.sha256(result_bytes).hexdigest(),
        "logical_sha256": logical_fingerprint(table, table.column_names),
        "logical_order": "all columns, in result column order",
    }


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **PARQUET_SETTINGS)
    return sink.getvalue()


def _safe_label(spec: Mapping[str, Any]) -> str:
    label = str(spec.get("as") or spec.get("name"))
    if not _NAME_RE.match(label):
        raise CatalogError(f"catalog_queries: output name {label!r} must match {_NAME_RE.pattern}")
    return label


def validate_catalog_queries(queries: Sequence[Mapping[str, Any]]) -> None:
    """Check a run config's ``catalog_queries`` before the run does any work: known names, known
    parameters of the right type, unique output names, no relation a run cannot provide."""
    if not queries:
        return  # nothing to check: the catalog is read (and parsed) only for queries named
    catalog = load_catalog()
    seen: set[str] = set()
    for i, spec in enumerate(queries):
        where = f"catalog_queries[{i}]"
        if not isinstance(spec, Mapping) or "name" not in spec:
            raise CatalogError(f"{where}: expected a mapping with 'name'")
        extra = sorted(set(spec) - {"name", "params", "as"})
        if extra:
            raise CatalogError(f"{where}: unknown key(s) {', '.join(map(str, extra))}")
        name = str(spec["name"])
        if name not in catalog:
            raise CatalogError(f"{where}: no catalog query named {name!r}")
        query = catalog[name]
        params = spec.get("params") or {}
        if not isinstance(params, Mapping):
            raise CatalogError(f"{where}: params must be a mapping")
        resolve_params(query, {str(k): v for k, v in params.items()})
        if "previous_entity_matches" in query.reads:
            raise CatalogError(f"{where}: {name} needs a previous run; run it with `catalog run`")
        label = _safe_label(spec)
        if label in seen:
            raise CatalogError(f"{where}: output name {label!r} used twice; set 'as:'")
        seen.add(label)


def execute_catalog_into_run(
    run_dir: Path,
    queries: Sequence[Mapping[str, Any]],
    *,
    threads: int = 2,
    limits: Limits | None = None,
) -> list[dict[str, Any]]:
    """Execute a run config's ``catalog_queries`` inside a run being built (before sealing).

    Writes ``catalog/<name>.parquet`` and ``catalog/<name>.query.json`` (payload artifacts; the
    record has no timestamp and no run id, so two runs of the same inputs and config write the
    same bytes). Returns the records, in config order."""
    validate_catalog_queries(queries)
    if not queries:
        return []
    catalog = load_catalog()
    out_dir = run_dir / "catalog"
    records: list[dict[str, Any]] = []
    relations = sorted({r for spec in queries for r in catalog[str(spec["name"])].reads})
    with StagedRun(run_dir, relations, sealed=False, limits=limits) as staged:
        for spec in queries:
            records.append(_execute_into(staged, catalog, spec, out_dir, threads))
    return records


def _execute_into(
    staged: StagedRun,
    catalog: Mapping[str, CatalogQuery],
    spec: Mapping[str, Any],
    out_dir: Path,
    threads: int,
) -> dict[str, Any]:
    query = catalog[str(spec["name"])]
    label = _safe_label(spec)
    params = {str(k): v for k, v in (spec.get("params") or {}).items()}
    result = staged.execute(query, params, threads=threads)
    data = _parquet_bytes(result.table)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{label}.parquet").write_bytes(data)
    record = {
        **result.record(),
        "context": "run",
        "binding": "payload artifact of the run: covered by the manifest's payload_root",
        "result": _result_fields(result.table, data, f"{label}.parquet"),
    }
    write_canonical_json(out_dir / f"{label}.query.json", record)
    return record


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def default_records_root() -> Path:
    return project_root() / "artifacts" / "queries"


def execute_adhoc(
    query: CatalogQuery,
    params: Mapping[str, object],
    run_dir: Path,
    *,
    previous_run_dir: Path | None = None,
    records_root: Path | None = None,
    threads: int = 2,
    limits: Limits | None = None,
) -> tuple[QueryResult, Path, dict[str, Any]]:
    """Run a query over a sealed run and record it outside the run, in
    ``<records_root>/<run_id>/<UTC timestamp>-<name>/`` (query.json + result.parquet).

    Returns (result, record directory, record)."""
    run_dir = run_dir.resolve()
    root_folder = records_root or default_records_root()
    if run_dir.is_dir():
        # Never write into a run directory (sealed runs are never modified).
        try:
            root_folder.resolve().relative_to(run_dir)
        except ValueError:
            pass
        else:
            raise CatalogError("the records folder must not be inside the run directory")
    _refuse_sealed(root_folder, "the records folder")
    manifest, _ = _manifest_digests(run_dir)
    previous_manifest: dict[str, Any] | None = None
    if previous_run_dir is not None:
        previous_run_dir = previous_run_dir.resolve()
        previous_manifest, _ = _manifest_digests(previous_run_dir)
    result = execute_query(
        query,
        params,
        run_dir,
        previous_run_dir=previous_run_dir,
        sealed=True,
        threads=threads,
        limits=limits,
    )
    run_id = str(manifest.get("run_id"))
    if not _safe_component(run_id):
        raise RunIntegrityError(f"{run_dir}: manifest run_id {run_id!r} is not a safe name")
    root = root_folder / run_id
    base = f"{_utc_stamp()}-{query.name}"
    record_dir = root / base
    n = 1
    while record_dir.exists():
        n += 1
        record_dir = root / f"{base}-{n}"
    record_dir.mkdir(parents=True)
    data = _parquet_bytes(result.table)
    (record_dir / "result.parquet").write_bytes(data)
    record: dict[str, Any] = {
        **result.record(),
        "context": "ad_hoc",
        "executed_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run": _run_binding(manifest),
        "result": _result_fields(result.table, data, "result.parquet"),
    }
    if previous_manifest is not None and "previous_entity_matches" in query.reads:
        record["previous_run"] = _run_binding(previous_manifest)
    write_canonical_json(record_dir / "query.json", record)
    return result, record_dir, record


def _refuse_sealed(path: Path, what: str) -> None:
    try:
        refuse_inside_sealed_run(path, what)
    except SealedRunPathError as exc:
        raise CatalogError(str(exc)) from None


def _run_binding(manifest: Mapping[str, Any]) -> dict[str, Any]:
    merkle = manifest.get("merkle") if isinstance(manifest.get("merkle"), dict) else {}
    assert isinstance(merkle, dict)
    return {
        "run_id": manifest.get("run_id"),
        "payload_root": merkle.get("payload_root"),
        "all_root": merkle.get("all_root"),
        "metadata_sha256": manifest.get("metadata_sha256"),
    }


def _safe_component(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}", text)) and ".." not in text


# --------------------------------------------------------------------------------------------
# Output formats


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | decimal.Decimal):
        return str(value)
    return str(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal | dt.date | float):
        return str(value)
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


_JSON_INVISIBLE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_text(obj: object) -> str:
    """JSON text of ``obj`` (non-ASCII kept) in which no character can act on a terminal: the
    control characters JSON leaves raw (DEL, C1, bidirectional overrides, line separators) are
    written as ``\\uXXXX`` escapes too. The same JSON value, safe to print."""
    text = json.dumps(obj, ensure_ascii=False, indent=1)
    return _JSON_INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def render_table(table: pa.Table, max_width: int = 48) -> str:
    names = [terminal_safe(n) for n in table.column_names]
    rows = [[_cell_text(v) for v in row.values()] for row in table.to_pylist()]

    def clip(text: str) -> str:
        text = terminal_safe(text)  # escape sequences and control characters from the data
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[clip(c) for c in r] for r in rows]
    widths = [
        max([len(n)] + [len(r[i]) for r in cells]) if names else 0 for i, n in enumerate(names)
    ]
    lines = [
        "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.append(f"({table.num_rows} row{'s' if table.num_rows != 1 else ''})")
    return "\n".join(lines)


def write_output(table: pa.Table, fmt: str, out: Path | None) -> bytes:
    """Render the result in ``fmt``; write to ``out`` or return the bytes for stdout."""
    if fmt == "parquet":
        data = _parquet_bytes(table)
    elif fmt == "csv":
        sink = io.BytesIO()
        pacsv.write_csv(
            table,
            sink,
            write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"),
        )
        data = sink.getvalue()
    elif fmt == "json":
        rows = [{k: _json_value(v) for k, v in r.items()} for r in table.to_pylist()]
        data = (json_text(rows) + "\n").encode("utf-8")
    else:
        data = (render_table(table) + "\n").encode("utf-8")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data


# --------------------------------------------------------------------------------------------
# Command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-commands of ``omphalos catalog``: list, show, check, run."""
    sub = parser.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    p = sub.add_parser("list", help="list the catalog's queries")
    p.add_argument("--category", choices=CATEGORIES, help="only this category")
    p.add_argument("--json", action="store_true", help="print the headers as JSON")
    p = sub.add_parser("show", help="print one query: header, parameters and SQL")
    p.add_argument("name", help="query name (see `catalog list`)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("check", help="check query files (default: the whole catalog)")
    p.add_argument("files", nargs="*", type=Path, help="query files to check")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("run", help="run a query over a sealed run and record it")
    p.add_argument("name", nargs="?", help="query name (or --file)")
    p.add_argument("--file", type=Path, help="run your own query file (same header and checks)")
    p.add_argument("--run-dir", required=True, type=Path, help="the sealed run directory")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="parameter value (repeatable); 'null' for NULL",
    )
    p.add_argument(
        "--previous-run-dir",
        type=Path,
        help="a previous sealed run, readable as relation previous_entity_matches",
    )
    p.add_argument(
        "--format", choices=("table", "csv", "json", "parquet"), default="table", dest="fmt"
    )
    p.add_argument("--out", type=Path, help="write the result here instead of stdout")
    p.add_argument(
        "--records-dir",
        type=Path,
        help="where query records go (default artifacts/queries); <run_id>/<time>-<name>/ inside",
    )
    p.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"stop the query after this many seconds (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    p.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        metavar="SIZE",
        help=f"DuckDB memory_limit for the query (default {DEFAULT_MEMORY_LIMIT})",
    )
    p.add_argument(
        "--max-temp-size",
        default=DEFAULT_MAX_TEMP_DIRECTORY_SIZE,
        metavar="SIZE",
        help="how much the query may spill to disk past the memory limit "
        f"(default {DEFAULT_MAX_TEMP_DIRECTORY_SIZE})",
    )


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CatalogError(f"--param {pair!r}: expected NAME=VALUE")
        if name.strip() in out:
            raise CatalogError(f"--param {name.strip()} given twice")
        out[name.strip()] = value
    return out


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True))


def _describe(q: CatalogQuery) -> str:
    lines = [f"{q.name}  ({q.category})  {q.path}", f"  {q.title}", "", f"  {q.description}", ""]
    lines.append("  reads: " + ", ".join(q.reads))
    if q.params:
        lines.append("  parameters:")
        for p in q.params:
            default = (
                "required"
                if p.required
                else "default " + ("null" if p.default is None else str(_record_value(p.default)))
            )
            lines.append(f"    {p.name} {p.type} ({default}): {p.description}")
    else:
        lines.append("  parameters: none")
    lines.append(f"  sha256: {q.sha256}")
    return "\n".join(lines)


def main_from_args(args: argparse.Namespace) -> int:
    """Run ``omphalos catalog ...``: exit 0 ok, 1 check failed / run integrity, 2 usage."""
    action = args.catalog_command
    try:
        if action == "check":
            return _cmd_check(args)
        if action == "list":
            catalog = load_catalog()
            items = [
                q for q in catalog.values() if not args.category or q.category == args.category
            ]
            items.sort(key=lambda q: (CATEGORIES.index(q.category), q.name))
            if args.json:
                _print_json([q.header_dict() for q in items])
            else:
                width = max((len(q.name) for q in items), default=0)
                for q in items:
                    print(f"{q.category:<15} {q.name:<{width}}  {q.title}")
            return 0
        if action == "show":
            catalog = load_catalog()
            if args.name not in catalog:
                raise CatalogError(f"no catalog query named {args.name!r} (see `catalog list`)")
            q = catalog[args.name]
            if args.json:
                _print_json({**q.header_dict(), "sql": q.sql})
            else:
                print(_describe(q))
                print()
                print(q.sql)
            return 0
        return _cmd_run(args)
    except CatalogError as exc:
        print(f"omphalos catalog: {exc}", file=sys.stderr)
        return 2
    except RunIntegrityError as exc:
        print(f"omphalos catalog: {exc}", file=sys.stderr)
        return 1


def _cmd_check(args: argparse.Namespace) -> int:
    problems: list[str] = []
    checked = 0
    if args.files:
        for f in args.files:
            checked += 1
            try:
                parse_query_file(f)
            except CatalogError as exc:
                problems.append(str(exc))
    else:
        try:
            checked = len(load_catalog())
        except CatalogError as exc:
            problems.append(str(exc))
    if args.json:
        _print_json({"ok": not problems, "checked": checked, "problems": problems})
    else:
        for p in problems:
            print(p)
        if not problems:
            print(f"OK {checked} quer{'y' if checked == 1 else 'ies'}")
    return 1 if problems else 0


def _cmd_run(args: argparse.Namespace) -> int:
    if (args.name is None) == (args.file is None):
        raise CatalogError("give a query NAME or --file FILE (one of them)")
    if args.fmt == "parquet" and args.out is None:
        raise CatalogError("--format parquet needs --out FILE")
    if not args.run_dir.is_dir():
        raise CatalogError(f"run directory {os.fspath(args.run_dir)!r} does not exist")
    if args.previous_run_dir is not None and not args.previous_run_dir.is_dir():
        raise CatalogError(f"previous run {os.fspath(args.previous_run_dir)!r} does not exist")
    if args.threads < 1:
        raise CatalogError("--threads must be at least 1")
    if args.out is not None:
        _refuse_sealed(args.out, "--out")
    if args.file is not None:
        query = parse_query_file(args.file)
    else:
        catalog = load_catalog()
        if args.name not in catalog:
            raise CatalogError(f"no catalog query named {args.name!r} (see `catalog list`)")
        query = catalog[args.name]
    params = _parse_params(args.param)
    limits = Limits(args.timeout, args.memory_limit, args.max_temp_size)
    result, record_dir, record = execute_adhoc(
        query,
        params,
        args.run_dir,
        previous_run_dir=args.previous_run_dir,
        records_root=args.records_dir,
        threads=args.threads,
        limits=limits,
    )
    data = write_output(result.table, args.fmt, args.out)
    if args.out is not None:
        record["output"] = {
            "format": args.fmt,
            "file": args.out.name,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        write_canonical_json(record_dir / "query.json", record)
    else:
        if args.fmt == "csv" and sys.stdout.isatty():
            # exact bytes to a pipe or file; on a terminal, control characters shown as escapes
            data = terminal_safe(data.decode("utf-8"), keep_newlines=True).encode("utf-8")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    print(
        f"omphalos catalog: {result.table.num_rows} row(s); record {record_dir / 'query.json'}",
        file=sys.stderr,
    )
    return 0
