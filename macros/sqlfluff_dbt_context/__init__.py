"""A stand-in for the few dbt objects our macros use, for sqlfluff's jinja templater only.

sqlfluff lints the project with the plain `jinja` templater (fast, no database, no dbt run). Its
`apply_dbt_builtins` gives `ref`, `source`, `config`, `return`, ... and `load_macros_from_path`
loads our macros under their bare names; what it cannot give is what this module adds to the
templating context (`library_path` in .sqlfluff; every public name here becomes a context variable):

- `omphalos`: the project namespace, so `omphalos.some_macro(...)` calls the loaded macro;
- `adapter.dispatch(name, 'omphalos')`: resolves to `duckdb__<name>` (else `default__<name>`),
  `adapter.type()` is 'duckdb';
- `var(name, default)`: the value from dbt_project.yml `vars:` (real numbers, so arithmetic works);
- `execute` and `run_query(sql)`: `run_query` answers the seed look-ups of macros/normalize/
  from the seed CSV files, so the SQL renders exactly as dbt renders it;
- `ref(...)`: as sqlfluff's own (renders the model name), but a relation that is not a CTE (sqlfluff's
  answers True to every `is_*` attribute, which would send macros/normalize/seed_literals.sql down its unit-test
  branch);
- `dbt`: the cross-database macros of dbt's global project the models call (`dbt.concat`), as
  dbt renders them for DuckDB;
- `target`, `exceptions`: minimal.

dbt never reads this file (it reads only .sql and .yml under macro-paths). Nothing here runs in a
dbt build.
"""

import csv as _csv
import pathlib as _pathlib
import re as _re

import jinja2 as _jinja2
import yaml as _yaml

_PROJECT_ROOT = _pathlib.Path(__file__).resolve().parents[2]
_ADAPTER_TYPE = "duckdb"


def _resolve(ctx, name):
    value = ctx.resolve_or_missing(name)
    if value is _jinja2.runtime.missing:
        raise _jinja2.exceptions.UndefinedError(f"sqlfluff dbt context: no macro named {name!r}")
    return value


class _ProjectNamespace:
    """`omphalos.x` -> the macro `x` of the calling template's context.

    Attribute access raises, so the sandbox falls back to item access, which it allows for
    names with a leading underscore too (`omphalos._undoubled`).
    """

    def __init__(self, name):
        self._name = name

    def __getattr__(self, item):
        raise AttributeError(item)

    def __getitem__(self, item):
        @_jinja2.pass_context
        def call(ctx, *args, **kwargs):
            # Through the environment, so a dbt `return()` stops at the called macro.
            return ctx.environment.call(ctx, _resolve(ctx, item), *args, **kwargs)

        return call


class _Adapter:
    @_jinja2.pass_context
    def dispatch(self, ctx, macro_name, macro_namespace=None):
        for prefix in (_ADAPTER_TYPE, "default"):
            candidate = f"{prefix}__{macro_name}"
            if ctx.resolve_or_missing(candidate) is not _jinja2.runtime.missing:
                return _resolve(ctx, candidate)
        return _resolve(ctx, macro_name)

    def type(self):
        return _ADAPTER_TYPE


class _Relation:
    is_cte = False

    def __init__(self, identifier):
        self.identifier = identifier

    def __str__(self):
        return self.identifier


def ref(*args, **kwargs):
    return _Relation(args[-1])


class _Target:
    type = _ADAPTER_TYPE
    name = _ADAPTER_TYPE
    schema = "main"
    database = "warehouse"


class _CompilerError(Exception):
    pass


class _Exceptions:
    def raise_compiler_error(self, message):
        raise _CompilerError(message)


class _Table:
    def __init__(self, rows):
        self.rows = rows


def _project_vars():
    with open(_PROJECT_ROOT / "dbt_project.yml", encoding="utf-8") as f:
        return (_yaml.safe_load(f) or {}).get("vars") or {}


_MISSING = object()


def var(name, default=_MISSING):
    values = _project_vars()
    if name in values:
        return values[name]
    if default is _MISSING:
        raise _CompilerError(f"sqlfluff dbt context: var {name!r} is not in dbt_project.yml")
    return default


def _cell(value):
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return value


def _sort_rows(rows, order_by):
    """Apply `order by col [desc], length(col) [desc], ...` (the forms our macros use)."""
    for item in reversed([i.strip() for i in order_by.split(",") if i.strip()]):
        words = item.split()
        descending = len(words) > 1 and words[-1].lower() == "desc"
        expr = words[0]
        length = _re.fullmatch(r"length\((\w+)\)", expr, _re.IGNORECASE)
        column = length.group(1) if length else expr

        def key(row, column=column, length=length):
            value = row[column] or ""
            return len(value) if length else value

        rows.sort(key=key, reverse=descending)
    return rows


#: Seeds inlined so large that linting the SQL they render takes minutes (romanized_syllables:
#: 3,456 spellings as VALUES lists and a trie regex in the blocking, scoring and eval SQL). Lint
#: sees their first rows only: the same SQL shape, style and parse, a shorter list of literals.
_LINT_ROW_LIMITS = {"romanized_syllables": 200}


def run_query(sql):
    """Answer `select a, b from <seed> [order by ...]` from seeds/<seed>.csv (no database)."""
    match = _re.search(
        r"select\s+(.+?)\s+from\s+([\w.\"]+)(?:\s+order\s+by\s+(.+?))?\s*$",
        sql,
        _re.IGNORECASE | _re.DOTALL,
    )
    if not match:
        raise _CompilerError(f"sqlfluff dbt context: cannot answer run_query({sql!r})")
    columns = [c.strip() for c in match.group(1).split(",")]
    seed = match.group(2).replace('"', "").split(".")[-1]
    with open(_PROJECT_ROOT / "seeds" / f"{seed}.csv", encoding="utf-8", newline="") as f:
        rows = list(_csv.DictReader(f))
    if match.group(3):
        rows = _sort_rows(rows, match.group(3))
    rows = rows[: _LINT_ROW_LIMITS.get(seed, len(rows))]
    return _Table([tuple(_cell(row[c]) for c in columns) for row in rows])


class _DbtNamespace:
    """`dbt.concat(fields)`: dbt's default__concat, which dbt-duckdb uses (`a || b || ...`)."""

    def concat(self, fields):
        return " || ".join(fields)


omphalos = _ProjectNamespace("omphalos")
dbt = _DbtNamespace()
adapter = _Adapter()
target = _Target()
exceptions = _Exceptions()
execute = True
