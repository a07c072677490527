"""A declared mapping (YAML) from a CSV, TSV or XML watchlist to the registry model.

``omphalos registry import --source mapping --mapping FILE.yml --file LIST`` reads a list the
project has no importer for, by a mapping that says where each registry field comes from
(docs/registries.md, "Mapping files"). The mapping is validated strictly before the list is read:
unknown keys, wrong types, unknown kinds or id types, bad regular expressions and references to
columns the mapping does not declare are errors naming the mapping file, the line and the key path
(``records[0].aliases[1].type.map``). Errors in the list name the list file, the record (line or
element number) and the mapping key that failed.

Values come from *value specs*: a string (a field: a CSV column, or an XML path relative to the
record element, ``TAG``, ``A/B``, ``@attr``, ``A/@attr``, ``.``), or a mapping with one of
``field``, ``const``, ``template``, ``join``, ``first``, ``digest``, ``ref``, and the modifiers
``split``, ``pattern``, ``map`` (+ ``default``), ``upper``, ``prefix``.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from omphalos.registry.countries import map_country
from omphalos.registry.idtypes import ID_TYPES, normalize_value
from omphalos.registry.model import (
    KINDS,
    NAME_TYPES,
    Address,
    Entity,
    RegistryError,
    SourceFile,
    SourceRecord,
    read_source_file,
)
from omphalos.registry.text import clean, looks_like_organization

__all__ = ["MAPPING_FORMAT", "Mapping_", "load_mapping", "parse_with_mapping"]

MAPPING_FORMAT = "omphalos-registry-mapping/1"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LIST = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SPEC_KINDS = ("field", "const", "template", "join", "first", "digest", "ref")
_MODIFIERS = ("split", "pattern", "map", "default", "upper", "prefix")
_REFS = ("primary",)


class MappingError(RegistryError):
    """The mapping file itself is not valid."""


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


def _load_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    """The YAML document and the line of each key path (``records[0].name`` -> 12)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(f"mapping file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path}: cannot read as UTF-8: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise MappingError(f"{path}:{where}: {problem}") from None
    lines: dict[str, int] = {}

    def walk(n: yaml.Node | None, key: str) -> None:
        if n is None:
            return
        lines.setdefault(key, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                name = str(k.value)
                sub = f"{key}.{name}" if key else name
                if name in seen:
                    raise MappingError(f"{path}: line {k.start_mark.line + 1}: {sub}: repeated key")
                seen.add(name)
                lines[sub] = k.start_mark.line + 1
                walk(v, sub)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, f"{key}[{i}]")

    walk(node, "")
    return doc, lines


# ---------------------------------------------------------------------------------------------
# the validated mapping


@dataclasses.dataclass(frozen=True)
class Spec:
    """A validated value spec."""

    key: str  # key path in the mapping, for error messages
    kind: str  # field | const | template | join | first | digest | ref
    arg: Any
    separator: str = ""
    length: int = 64
    split: str | None = None
    pattern: re.Pattern[str] | None = None
    table: dict[str, str] | None = None
    default: str | None = None
    upper: bool = False
    prefix: str = ""


@dataclasses.dataclass(frozen=True)
class Typed:
    """A name type, id type or kind: a constant or a spec whose values go through ``map``."""

    const: str | None
    spec: Spec | None


@dataclasses.dataclass(frozen=True)
class AliasRule:
    key: str
    each: str | None
    value: Spec
    name_type: Typed


@dataclasses.dataclass(frozen=True)
class IdRule:
    key: str
    each: str | None
    id_type: Typed
    value: Spec
    country: Spec | None


@dataclasses.dataclass(frozen=True)
class AddressRule:
    key: str
    each: str | None
    parts: dict[str, Spec]


@dataclasses.dataclass(frozen=True)
class NameAliases:
    extract: tuple[re.Pattern[str], ...]
    split: re.Pattern[str] | None
    name_type: str


@dataclasses.dataclass(frozen=True)
class RecordRule:
    key: str
    element: str | None
    kind: Typed | None
    guess_default: str | None
    entity_id: Spec
    duplicate_ids: str
    name: Spec
    name_aliases: NameAliases | None
    aliases: tuple[AliasRule, ...]
    countries: tuple[Spec, ...]
    country_codes: bool
    programs: tuple[Spec, ...]
    remarks: Spec | None
    identifiers: tuple[IdRule, ...]
    addresses: tuple[AddressRule, ...]


@dataclasses.dataclass(frozen=True)
class Mapping_:
    """A validated mapping file."""

    path: Path
    name: str
    source_list: str
    fmt: str  # csv | tsv | xml
    delimiter: str
    columns: tuple[str, ...]
    exact_columns: bool
    root: str | None
    namespaces: dict[str, str]
    date_from: str  # argument | xml | file_name
    date_path: str | None
    date_pattern: re.Pattern[str] | None
    date_format: str | None
    records: tuple[RecordRule, ...]


class _Checker:
    def __init__(self, path: Path, lines: dict[str, int]) -> None:
        self.path = path
        self.lines = lines
        self.fields: list[tuple[str, str]] = []  # (key path, field) for the column check

    def fail(self, key: str, message: str) -> MappingError:
        line = self.lines.get(key)
        probe = key
        while line is None and probe:
            probe = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", probe)
            line = self.lines.get(probe)
        where = f" line {line}:" if line is not None else ""
        return MappingError(f"{self.path}:{where} {key or '(top level)'}: {message}")

    def obj(
        self, value: Any, key: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping with keys {', '.join(allowed)}")
        for k in value:
            if not isinstance(k, str) or k not in allowed:
                sub = f"{key}.{k}" if key else str(k)
                raise self.fail(sub, f"unknown key (allowed here: {', '.join(allowed)})")
        for k in required:
            if k not in value:
                raise self.fail(key, f"missing required key {k}")
        return value

    def string(self, value: Any, key: str, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not allow_empty and not value):
            raise self.fail(key, "expected a non-empty string")
        return value

    def choice(self, value: Any, key: str, options: Sequence[str]) -> str:
        if value not in options:
            raise self.fail(key, f"expected one of {', '.join(options)}")
        assert isinstance(value, str)
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "expected true or false")
        return value

    def regex(self, value: Any, key: str, groups: int | None = None) -> re.Pattern[str]:
        text = self.string(value, key)
        try:
            compiled = re.compile(text)
        except re.error as exc:
            raise self.fail(key, f"not a valid regular expression: {exc}") from None
        if groups is not None and compiled.groups != groups:
            raise self.fail(key, f"the regular expression must have exactly {groups} group(s)")
        return compiled

    def items(self, value: Any, key: str) -> list[Any]:
        if isinstance(value, list):
            return value
        return [value]

    def path_expr(self, value: str, key: str, fmt: str) -> str:
        if fmt == "xml":
            probe = value.rsplit("@", 1)[0].rstrip("/") if "@" in value else value
            if "@" in value and not re.fullmatch(r"[A-Za-z_][\w.:-]*", value.rsplit("@", 1)[1]):
                raise self.fail(key, "an attribute is written PATH/@name")
            if probe:
                try:
                    ET.Element("x").findall(probe)
                except (SyntaxError, KeyError) as exc:
                    raise self.fail(key, f"not a valid element path: {exc}") from None
        self.fields.append((key, value))
        return value

    def spec(self, value: Any, key: str, fmt: str) -> Spec:
        if isinstance(value, str):
            return Spec(key, "field", self.path_expr(value, key, fmt))
        allowed = (*_SPEC_KINDS, *_MODIFIERS, "separator", "length")
        raw = self.obj(value, key, allowed)
        kinds = [k for k in _SPEC_KINDS if k in raw]
        if len(kinds) != 1:
            raise self.fail(key, f"a value needs exactly one of {', '.join(_SPEC_KINDS)}")
        kind = kinds[0]
        sub = f"{key}.{kind}"
        arg: Any
        if kind == "field":
            arg = self.path_expr(self.string(raw[kind], sub), sub, fmt)
        elif kind == "const":
            arg = self.string(raw[kind], sub)
        elif kind == "ref":
            arg = self.choice(raw[kind], sub, _REFS)
        elif kind == "template":
            arg = self.string(raw[kind], sub)
            rest = _PLACEHOLDER.sub("", arg)
            if "{" in rest or "}" in rest:
                raise self.fail(sub, "unbalanced { } in template")
            for ph in _PLACEHOLDER.findall(arg):
                name = ph[:-1] if ph.endswith("?") else ph
                if not name:
                    raise self.fail(sub, "empty placeholder {}")
                if name.startswith("$"):
                    self.choice(name[1:], sub, _REFS)
                else:
                    self.path_expr(name, sub, fmt)
        else:  # join, first, digest
            parts = raw[kind]
            if not isinstance(parts, list) or not parts:
                raise self.fail(sub, "expected a non-empty list of values")
            arg = tuple(self.spec(p, f"{sub}[{i}]", fmt) for i, p in enumerate(parts))
        for only, kinds_ok in (("separator", ("join", "digest")), ("length", ("digest",))):
            if only in raw and kind not in kinds_ok:
                raise self.fail(f"{key}.{only}", f"only for {' and '.join(kinds_ok)}")
        separator = raw.get("separator", " " if kind == "join" else "|")
        if not isinstance(separator, str):
            raise self.fail(f"{key}.separator", "expected a string")
        length = raw.get("length", 64)
        if not isinstance(length, int) or isinstance(length, bool) or not 6 <= length <= 64:
            raise self.fail(f"{key}.length", "expected a whole number from 6 to 64")
        split = raw.get("split")
        if split is not None:
            split = self.string(split, f"{key}.split")
        pattern = self.regex(raw["pattern"], f"{key}.pattern", 1) if "pattern" in raw else None
        table: dict[str, str] | None = None
        if "map" in raw:
            m = raw["map"]
            if not isinstance(m, dict) or not m:
                raise self.fail(f"{key}.map", "expected a mapping of listed value -> value")
            table = {}
            for k, v in m.items():
                if not isinstance(v, str) or not v:
                    raise self.fail(f"{key}.map.{k}", "expected a non-empty string")
                table[str(k).strip().casefold()] = v
        default = raw.get("default")
        if default is not None:
            if table is None:
                raise self.fail(f"{key}.default", "default is for a value with map")
            default = self.string(default, f"{key}.default")
        upper = self.boolean(raw.get("upper", False), f"{key}.upper")
        prefix = self.string(raw.get("prefix", ""), f"{key}.prefix", allow_empty=True)
        return Spec(
            key, kind, arg, separator, length, split, pattern, table, default, upper, prefix
        )

    def typed(self, value: Any, key: str, fmt: str, options: Sequence[str]) -> Typed:
        if isinstance(value, str):
            return Typed(self.choice(value, key, options), None)
        spec = self.spec(value, key, fmt)
        if spec.table is None:
            raise self.fail(key, f"a value here needs a map to {', '.join(options)}")
        raw_map = value["map"] if isinstance(value, dict) else {}
        for k, v in raw_map.items():
            if v not in options:
                raise self.fail(f"{key}.map.{k}", f"expected one of {', '.join(options)}")
        if spec.default is not None and spec.default not in options:
            raise self.fail(f"{key}.default", f"expected one of {', '.join(options)}")
        return Typed(None, spec)

    def each(self, raw: dict[str, Any], key: str, fmt: str) -> str | None:
        if "each" not in raw:
            return None
        if fmt != "xml":
            raise self.fail(f"{key}.each", "each is for XML lists (repeated sub-elements)")
        text = self.string(raw["each"], f"{key}.each")
        try:
            ET.Element("x").findall(text)
        except (SyntaxError, KeyError) as exc:
            raise self.fail(f"{key}.each", f"not a valid element path: {exc}") from None
        return text

    def record(self, value: Any, key: str, fmt: str) -> RecordRule:
        allowed = (
            "element",
            "kind",
            "id",
            "duplicate_ids",
            "name",
            "name_aliases",
            "aliases",
            "countries",
            "country_codes",
            "programs",
            "remarks",
            "identifiers",
            "addresses",
        )
        raw = self.obj(value, key, allowed, ("kind", "id", "name"))
        element = None
        if fmt == "xml":
            if "element" not in raw:
                raise self.fail(key, "missing required key element (the record element's path)")
            element = self.string(raw["element"], f"{key}.element")
            try:
                ET.Element("x").findall(element)
            except (SyntaxError, KeyError) as exc:
                raise self.fail(f"{key}.element", f"not a valid element path: {exc}") from None
        elif "element" in raw:
            raise self.fail(f"{key}.element", "element is for XML lists (each row is a record)")
        kind_raw = raw["kind"]
        guess_default = None
        kind: Typed | None
        if isinstance(kind_raw, dict) and "guess" in kind_raw:
            self.obj(kind_raw, f"{key}.kind", ("guess",))
            guess_default = self.choice(kind_raw["guess"], f"{key}.kind.guess", KINDS)
            kind = None
        else:
            kind = self.typed(kind_raw, f"{key}.kind", fmt, KINDS)
            if kind.spec is not None and kind.spec.default is None:
                pass  # an unmapped or missing value is an error
        name_aliases = None
        if "name_aliases" in raw:
            sub = f"{key}.name_aliases"
            na = self.obj(raw["name_aliases"], sub, ("extract", "split", "type"))
            extract = tuple(
                self.regex(p, f"{sub}.extract[{i}]", 1)
                for i, p in enumerate(self.items(na.get("extract", []), f"{sub}.extract"))
            )
            split = self.regex(na["split"], f"{sub}.split") if "split" in na else None
            if not extract and split is None:
                raise self.fail(sub, "needs extract or split")
            name_type = self.choice(na.get("type", "alias"), f"{sub}.type", NAME_TYPES[1:])
            name_aliases = NameAliases(extract, split, name_type)
        aliases = []
        for i, item in enumerate(self.items(raw.get("aliases", []), f"{key}.aliases")):
            sub = f"{key}.aliases[{i}]"
            if isinstance(item, str):
                item = {"value": item}
            a = self.obj(item, sub, ("each", "value", "type"), ("value",))
            aliases.append(
                AliasRule(
                    sub,
                    self.each(a, sub, fmt),
                    self.spec(a["value"], f"{sub}.value", fmt),
                    self.typed(a.get("type", "alias"), f"{sub}.type", fmt, NAME_TYPES[1:]),
                )
            )
        identifiers = []
        for i, item in enumerate(self.items(raw.get("identifiers", []), f"{key}.identifiers")):
            sub = f"{key}.identifiers[{i}]"
            d = self.obj(item, sub, ("each", "type", "value", "country"), ("type", "value"))
            identifiers.append(
                IdRule(
                    sub,
                    self.each(d, sub, fmt),
                    self.typed(d["type"], f"{sub}.type", fmt, sorted(ID_TYPES)),
                    self.spec(d["value"], f"{sub}.value", fmt),
                    self.spec(d["country"], f"{sub}.country", fmt) if "country" in d else None,
                )
            )
        address_parts = ("street", "city", "state_province", "postal_code", "country")
        addresses = []
        for i, item in enumerate(self.items(raw.get("addresses", []), f"{key}.addresses")):
            sub = f"{key}.addresses[{i}]"
            d = self.obj(item, sub, ("each", *address_parts))
            parts = {p: self.spec(d[p], f"{sub}.{p}", fmt) for p in address_parts if p in d}
            if not parts:
                raise self.fail(sub, f"an address needs one of {', '.join(address_parts)}")
            addresses.append(AddressRule(sub, self.each(d, sub, fmt), parts))
        return RecordRule(
            key=key,
            element=element,
            kind=kind,
            guess_default=guess_default,
            entity_id=self.spec(raw["id"], f"{key}.id", fmt),
            duplicate_ids=self.choice(
                raw.get("duplicate_ids", "error"),
                f"{key}.duplicate_ids",
                ("error", "merge", "suffix"),
            ),
            name=self.spec(raw["name"], f"{key}.name", fmt),
            name_aliases=name_aliases,
            aliases=tuple(aliases),
            countries=tuple(
                self.spec(v, f"{key}.countries[{i}]", fmt)
                for i, v in enumerate(self.items(raw.get("countries", []), f"{key}.countries"))
            ),
            country_codes=self.boolean(raw.get("country_codes", True), f"{key}.country_codes"),
            programs=tuple(
                self.spec(v, f"{key}.programs[{i}]", fmt)
                for i, v in enumerate(self.items(raw.get("programs", []), f"{key}.programs"))
            ),
            remarks=self.spec(raw["remarks"], f"{key}.remarks", fmt) if "remarks" in raw else None,
            identifiers=tuple(identifiers),
            addresses=tuple(addresses),
        )


def load_mapping(path: Path) -> Mapping_:
    """Read and validate a mapping file; raises :class:`MappingError` naming line and key."""
    doc, lines = _load_yaml(path)
    c = _Checker(path, lines)
    top = c.obj(
        doc,
        "",
        ("format", "name", "source_list", "input", "list_date", "records", "description"),
        ("format", "name", "source_list", "input", "records"),
    )
    if top["format"] != MAPPING_FORMAT:
        raise c.fail("format", f"expected {MAPPING_FORMAT}")
    name = c.string(top["name"], "name")
    if not _NAME.match(name):
        raise c.fail("name", "lower-case letters, digits, - and _ (at most 64)")
    source_list = c.string(top["source_list"], "source_list")
    if not _LIST.match(source_list):
        raise c.fail("source_list", "upper-case letters, digits and _, starting with a letter")
    if "description" in top:
        c.string(top["description"], "description")
    inp = c.obj(
        top["input"],
        "input",
        ("format", "delimiter", "columns", "exact_columns", "root", "namespaces"),
        ("format",),
    )
    fmt = c.choice(inp["format"], "input.format", ("csv", "tsv", "xml"))
    for k in ("delimiter", "columns", "exact_columns"):
        if k in inp and fmt == "xml":
            raise c.fail(f"input.{k}", "only for csv and tsv lists")
    for k in ("root", "namespaces"):
        if k in inp and fmt != "xml":
            raise c.fail(f"input.{k}", "only for xml lists")
    delimiter = "\t" if fmt == "tsv" else ","
    if "delimiter" in inp:
        if fmt == "tsv":
            raise c.fail("input.delimiter", "a tsv list is tab-separated: use format csv")
        delimiter = c.string(inp["delimiter"], "input.delimiter")
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise c.fail("input.delimiter", "expected one character (not a quote or line break)")
    columns: tuple[str, ...] = ()
    if "columns" in inp:
        if not isinstance(inp["columns"], list) or not inp["columns"]:
            raise c.fail("input.columns", "expected a non-empty list of column names")
        columns = tuple(c.string(v, f"input.columns[{i}]") for i, v in enumerate(inp["columns"]))
        if len(set(columns)) != len(columns):
            raise c.fail("input.columns", "a column is named twice")
    exact = c.boolean(inp.get("exact_columns", False), "input.exact_columns")
    if exact and not columns:
        raise c.fail("input.exact_columns", "needs input.columns")
    root = c.string(inp["root"], "input.root") if "root" in inp else None
    namespaces: dict[str, str] = {}
    if "namespaces" in inp:
        ns = inp["namespaces"]
        if not isinstance(ns, dict):
            raise c.fail("input.namespaces", "expected a mapping prefix -> URI")
        for k, v in ns.items():
            namespaces[str(k)] = c.string(v, f"input.namespaces.{k}")
    date_from, date_path, date_pattern, date_format = "argument", None, None, None
    if "list_date" in top:
        ld = c.obj(top["list_date"], "list_date", ("from", "path", "pattern", "format"), ("from",))
        date_from = c.choice(ld["from"], "list_date.from", ("argument", "xml", "file_name"))
        if date_from == "xml":
            if fmt != "xml":
                raise c.fail("list_date.from", "from: xml is for XML lists")
            date_path = c.string(ld.get("path"), "list_date.path")
        elif "path" in ld:
            raise c.fail("list_date.path", "path is for from: xml")
        if date_from == "file_name" and "pattern" not in ld:
            raise c.fail("list_date", "from: file_name needs a pattern with one group")
        if "pattern" in ld:
            if date_from == "argument":
                raise c.fail("list_date.pattern", "not for from: argument")
            date_pattern = c.regex(ld["pattern"], "list_date.pattern", 1)
        if "format" in ld:
            if date_from == "argument":
                raise c.fail("list_date.format", "not for from: argument")
            date_format = c.string(ld["format"], "list_date.format")
            if "%" not in date_format:
                raise c.fail("list_date.format", "a strptime format such as %d/%m/%Y")
    recs = top["records"]
    if not isinstance(recs, list) or not recs:
        raise c.fail("records", "expected a non-empty list of record rules")
    if fmt != "xml" and len(recs) != 1:
        raise c.fail("records", "a csv or tsv list has one record rule (each row is a record)")
    records = tuple(c.record(r, f"records[{i}]", fmt) for i, r in enumerate(recs))
    if columns and fmt != "xml":
        for key, field in c.fields:
            if field not in columns:
                raise c.fail(key, f"column {field!r} is not in input.columns")
    return Mapping_(
        path=path,
        name=name,
        source_list=source_list,
        fmt=fmt,
        delimiter=delimiter,
        columns=columns,
        exact_columns=exact,
        root=root,
        namespaces=namespaces,
        date_from=date_from,
        date_path=date_path,
        date_pattern=date_pattern,
        date_format=date_format,
        records=records,
    )


# ---------------------------------------------------------------------------------------------
# evaluation


class _Context:
    """One record: a CSV row (column -> value) or an XML element."""

    def __init__(
        self,
        where: str,
        row: Mapping[str, str | None] | None = None,
        element: ET.Element | None = None,
        namespaces: Mapping[str, str] | None = None,
        refs: Mapping[str, str] | None = None,
    ) -> None:
        self.where = where
        self.row = row
        self.element = element
        self.namespaces = dict(namespaces or {})
        self.refs = dict(refs or {})

    def child(self, element: ET.Element, where: str) -> _Context:
        return _Context(where, None, element, self.namespaces, self.refs)

    def field(self, path: str) -> list[str]:
        if self.row is not None:
            value = self.row.get(path)
            return [value] if value is not None else []
        assert self.element is not None
        if "@" in path:
            base, attr = path.rsplit("@", 1)
            base = base.rstrip("/")
            nodes = self.element.findall(base, self.namespaces) if base else [self.element]
            raw = [n.get(attr) for n in nodes]
        elif path == ".":
            raw = [self.element.text]
        else:
            raw = [n.text for n in self.element.findall(path, self.namespaces)]
        return [t for t in (clean(v, ofac_null=False) for v in raw) if t is not None]


def _eval(spec: Spec, ctx: _Context, unmapped_values: collections.Counter[str]) -> list[str]:
    values: list[str]
    if spec.kind == "field":
        values = ctx.field(spec.arg)
    elif spec.kind == "const":
        values = [spec.arg]
    elif spec.kind == "ref":
        ref = ctx.refs.get(spec.arg)
        values = [ref] if ref else []
    elif spec.kind == "template":
        out: list[str] = []
        missing = False

        def fill(m: re.Match[str]) -> str:
            nonlocal missing
            ph = m.group(1)
            optional = ph.endswith("?")
            name = ph[:-1] if optional else ph
            found = (
                ctx.refs.get(name[1:])
                if name.startswith("$")
                else next(iter(ctx.field(name)), None)
            )
            if not found:
                missing = missing or not optional
                return ""
            return found

        text = _PLACEHOLDER.sub(fill, spec.arg)
        if not missing:
            out.append(text)
        values = [v for v in (clean(t, ofac_null=False) for t in out) if v is not None]
    elif spec.kind == "join":
        parts = [next(iter(_eval(s, ctx, unmapped_values)), None) for s in spec.arg]
        joined = spec.separator.join(p for p in parts if p)
        values = [joined] if joined else []
    elif spec.kind == "first":
        values = []
        for s in spec.arg:
            values = _eval(s, ctx, unmapped_values)
            if values:
                break
    else:  # digest
        digest_parts = [next(iter(_eval(s, ctx, unmapped_values)), "") for s in spec.arg]
        hexed = hashlib.sha256(spec.separator.join(digest_parts).encode("utf-8")).hexdigest()
        values = [hexed[: spec.length]]
    if spec.split is not None:
        values = [
            p for v in values for p in (clean(x, ofac_null=False) for x in v.split(spec.split)) if p
        ]
    if spec.pattern is not None:
        found = []
        for v in values:
            m = spec.pattern.search(v)
            if m and m.group(1) and m.group(1).strip():
                found.append(m.group(1).strip())
        values = found
    if spec.table is not None:
        mapped = []
        for v in values:
            target = spec.table.get(v.strip().casefold())
            if target is None:
                if spec.default is None:
                    raise RegistryError(
                        f"{ctx.where}: {spec.key}: a value is not in map (and no default)"
                    )
                unmapped_values[spec.key] += 1
                target = spec.default
            mapped.append(target)
        values = mapped
    if spec.upper:
        values = [v.upper() for v in values]
    if spec.prefix:
        values = [spec.prefix + v for v in values]
    return values


def _one(spec: Spec, ctx: _Context, unmapped_values: collections.Counter[str]) -> str | None:
    return next(iter(_eval(spec, ctx, unmapped_values)), None)


def _typed(t: Typed, ctx: _Context, unmapped_values: collections.Counter[str]) -> str:
    if t.const is not None:
        return t.const
    assert t.spec is not None
    value = _one(t.spec, ctx, unmapped_values)
    if value is None:
        if t.spec.default is None:
            raise RegistryError(f"{ctx.where}: {t.spec.key}: no value (and no default)")
        return t.spec.default
    return value


def _split_name(raw: str, rule: NameAliases | None) -> tuple[str, list[str]]:
    if rule is None:
        return raw, []
    aliases: list[str] = []
    text = raw
    for pattern in rule.extract:
        aliases.extend(a.strip() for a in pattern.findall(text) if a.strip())
        text = pattern.sub(" ", text)
    parts = [p.strip() for p in rule.split.split(text)] if rule.split else [text]
    primary = " ".join(parts[0].split())
    aliases.extend(" ".join(p.split()) for p in parts[1:] if p)
    return primary, aliases


def _subcontexts(ctx: _Context, each: str | None, key: str) -> list[_Context]:
    if each is None:
        return [ctx]
    assert ctx.element is not None
    return [
        ctx.child(el, f"{ctx.where} {key} element {i}")
        for i, el in enumerate(ctx.element.findall(each, ctx.namespaces), 1)
    ]


@dataclasses.dataclass
class _State:
    entities: dict[str, Entity]
    stats: collections.Counter[str]
    unmapped: collections.Counter[str]
    unmapped_values: collections.Counter[str]
    owner: dict[str, str]


def _apply(rule: RecordRule, ctx: _Context, list_date: str, source_list: str, st: _State) -> None:
    raw_name = _one(rule.name, ctx, st.unmapped_values)
    if raw_name is None:
        raise RegistryError(f"{ctx.where}: {rule.name.key}: no name")
    primary, inline_aliases = _split_name(raw_name, rule.name_aliases)
    if not primary:
        raise RegistryError(f"{ctx.where}: {rule.name.key}: the name is empty after its aliases")
    ctx.refs["primary"] = primary
    entity_id = _one(rule.entity_id, ctx, st.unmapped_values)
    if entity_id is None:
        raise RegistryError(f"{ctx.where}: {rule.entity_id.key}: no id")
    if re.search(r"\s", entity_id):
        raise RegistryError(f"{ctx.where}: {rule.entity_id.key}: the id contains white space")
    entity = st.entities.get(entity_id)
    if entity is not None:
        if rule.duplicate_ids == "merge" and st.owner[entity_id] == rule.key:
            st.stats["rows_merged_into_entity"] += 1
        elif rule.duplicate_ids == "suffix":
            st.stats["ids_disambiguated"] += 1
            n = 2
            while f"{entity_id}-{n}" in st.entities:
                n += 1
            entity_id, entity = f"{entity_id}-{n}", None
        else:
            raise RegistryError(
                f"{ctx.where}: {rule.entity_id.key}: id {entity_id} was already given to an "
                "earlier record (duplicate_ids: merge or suffix says what to do)"
            )
    if entity is None:
        if rule.kind is None:
            st.stats["entity_kind_guessed"] += 1
            kind = "organization" if looks_like_organization(primary) else rule.guess_default
        else:
            kind = _typed(rule.kind, ctx, st.unmapped_values)
        assert kind is not None
        entity = Entity(
            entity_id=entity_id,
            source_list=source_list,
            list_date=list_date,
            entity_kind=kind,
            primary_name=primary,
            remarks=_one(rule.remarks, ctx, st.unmapped_values) if rule.remarks else None,
        )
        st.entities[entity_id] = entity
        st.owner[entity_id] = rule.key
    for spec in rule.programs:
        for program in _eval(spec, ctx, st.unmapped_values):
            entity.add_program(program)
    for alias in inline_aliases:
        entity.add_name(alias, rule.name_aliases.name_type if rule.name_aliases else "alias")
    for a in rule.aliases:
        for sub in _subcontexts(ctx, a.each, a.key):
            values = _eval(a.value, sub, st.unmapped_values)
            if not values:
                continue
            name_type = _typed(a.name_type, sub, st.unmapped_values)
            for value in values:
                entity.add_name(value, name_type)
    for spec in rule.countries:
        for value in _eval(spec, ctx, st.unmapped_values):
            entity.add_country(map_country(value, st.unmapped, accept_codes=rule.country_codes))
    for ad in rule.addresses:
        for sub in _subcontexts(ctx, ad.each, ad.key):
            got = {p: _one(s, sub, st.unmapped_values) for p, s in ad.parts.items()}
            country_name = got.get("country")
            entity.add_address(
                Address(
                    street=got.get("street"),
                    city=got.get("city"),
                    state_province=got.get("state_province"),
                    postal_code=got.get("postal_code"),
                    country_name=country_name,
                    country=map_country(country_name, st.unmapped, accept_codes=rule.country_codes)
                    if country_name
                    else None,
                )
            )
    for ir in rule.identifiers:
        for sub in _subcontexts(ctx, ir.each, ir.key):
            number = _one(ir.value, sub, st.unmapped_values)
            if not number:
                continue
            id_type = _typed(ir.id_type, sub, st.unmapped_values)
            country_raw = _one(ir.country, sub, st.unmapped_values) if ir.country else None
            code = (
                map_country(country_raw, st.unmapped, accept_codes=rule.country_codes)
                if country_raw
                else None
            )
            entity.add_identifier(id_type, normalize_value(id_type, number), code)


def _list_date(m: Mapping_, given: str | None, list_path: Path, root: ET.Element | None) -> str:
    if given is not None:
        return given
    if m.date_from == "argument":
        raise RegistryError(
            "--list-date YYYY-MM-DD is required: the mapping takes it from the argument"
        )
    value: str | None
    if m.date_from == "file_name":
        value = list_path.name
        where = f"the file name {list_path.name}"
    else:
        assert root is not None and m.date_path is not None
        value = next(
            iter(
                _Context(str(list_path), element=root, namespaces=m.namespaces).field(m.date_path)
            ),
            None,
        )
        where = f"{list_path}: list_date.path {m.date_path}"
    if value is None:
        raise RegistryError(f"{where}: no list date found; pass --list-date")
    if m.date_pattern is not None:
        found = m.date_pattern.search(value)
        if found is None:
            raise RegistryError(f"{where}: list_date.pattern does not match; pass --list-date")
        value = found.group(1)
    try:
        if m.date_format:
            return dt.datetime.strptime(value, m.date_format).date().isoformat()
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise RegistryError(
            f"{where}: not a date in the mapping's format; pass --list-date"
        ) from None


def _csv_records(m: Mapping_, path: Path, text: str) -> Callable[[], Any]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=m.delimiter)
    header = [h.strip() for h in (next(reader, None) or [])]
    if m.exact_columns and tuple(header) != m.columns:
        missing = [c for c in m.columns if c not in header]
        extra = [c for c in header if c not in m.columns]
        raise RegistryError(
            f"{path}: row 1 (header): expected the columns {', '.join(m.columns)} in this order "
            f"(missing: {', '.join(missing) or '-'}; unexpected: {len(extra)} column(s))"
        )
    missing = [c for c in m.columns if c not in header]
    if missing:
        raise RegistryError(f"{path}: row 1 (header): missing column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise RegistryError(f"{path}: row 1 (header): a column name occurs twice")

    def rows() -> Any:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise RegistryError(
                    f"{path}: line {reader.line_num}: expected {len(header)} fields, found {len(row)}"
                )
            yield reader.line_num, dict(zip(header, row, strict=True))

    return rows


def parse_with_mapping(
    mapping: Mapping_, path: Path, list_date: str | None
) -> tuple[list[Entity], SourceRecord]:
    """Read a list file by a validated mapping."""
    text, list_file = read_source_file(path, "list")
    _, mapping_file = read_source_file(mapping.path, "mapping")
    st = _State({}, collections.Counter(), collections.Counter(), collections.Counter(), {})
    records = 0
    if mapping.fmt == "xml":
        try:
            root = ET.fromstring(path.read_bytes().rstrip(b"\x1a"))
        except ET.ParseError as exc:
            raise RegistryError(f"{path}: not well-formed XML: {exc}") from None
        if mapping.root is not None and root.tag != mapping.root:
            raise RegistryError(f"{path}: root element is not {mapping.root} (input.root)")
        day = _list_date(mapping, list_date, path, root)
        for rule in mapping.records:
            for i, el in enumerate(root.findall(rule.element or ".", mapping.namespaces), 1):
                records += 1
                ctx = _Context(
                    f"{path}: {rule.element} element {i}", element=el, namespaces=mapping.namespaces
                )
                _apply(rule, ctx, day, mapping.source_list, st)
    else:
        day = _list_date(mapping, list_date, path, None)
        rows = _csv_records(mapping, path, text)
        rule = mapping.records[0]
        for line, row in rows():
            records += 1
            values = {k: clean(v, ofac_null=False) for k, v in row.items()}
            _apply(rule, _Context(f"{path}: line {line}", row=values), day, mapping.source_list, st)
    out = list(st.entities.values())
    if not out:
        raise RegistryError(f"{path}: no records (records[].element or rows) found")
    st.stats["names_duplicate_dropped"] = sum(e.duplicate_names for e in out)
    parse: dict[str, Any] = dict(sorted(st.stats.items()))
    parse["mapping"] = mapping.name
    parse["values_not_in_map"] = dict(sorted(st.unmapped_values.items()))
    parse["unmapped_country_names"] = dict(sorted(st.unmapped.items()))
    files: list[SourceFile] = [
        dataclasses.replace(list_file, records=records),
        dataclasses.replace(mapping_file, records=len(mapping.records)),
    ]
    return out, SourceRecord(f"mapping:{mapping.name}", mapping.source_list, day, files, parse)
