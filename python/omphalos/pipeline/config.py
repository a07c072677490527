"""Run configuration (`config/runs/*.yaml`): input paths, as-of date, thresholds, exports.

The shape of a configuration is ``contracts/run_config.schema.json`` (JSON Schema 2020-12,
documented in docs/config.md); this module validates every configuration against that file, so
the published schema and the parser cannot disagree. The YAML is parsed strictly: no anchors or
aliases (an alias bomb is refused at its first alias), no duplicate keys, no explicit tags, string
keys only, at most ``MAX_CONFIG_BYTES``. Every problem is an InputError (exit 2) naming the key's
path, e.g. ``thresholds.mach: unknown key``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from omphalos.errors import InputError
from omphalos.pipeline.export import screening_exports
from omphalos.pipeline.paths import project_root

#: The marts a config may export: those the dbt project exports to exports/ (meta.export_dir).
EXPORTABLE = screening_exports()
DEFAULT_EXPORTS = EXPORTABLE
MAX_CONFIG_BYTES = 1 << 20
SCHEMA_PATH = ("contracts", "run_config.schema.json")
DEFAULT_THRESHOLDS = {"match": 0.90, "review": 0.80, "candidate_floor": 0.70}
DEFAULT_MAX_BLOCK_KEY_NAMES = 25


@dataclasses.dataclass(frozen=True)
class RunConfig:
    path: Path
    name: str
    description: str
    as_of_date: str
    inputs: dict[str, Path]
    input_labels: dict[str, str]
    match_threshold: str
    review_threshold: str
    candidate_floor: str
    max_block_key_names: int
    exports: tuple[str, ...]
    catalog_queries: tuple[dict[str, Any], ...]
    raw_bytes: bytes
    max_rejected_rows: int | None = None
    max_rejected_share: float | None = None
    decisions: Path | None = None  # a reviewer decisions log (docs/review.md)
    decisions_label: str | None = None
    previous_run: Path | None = None  # a sealed earlier run to compare with
    previous_run_label: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw_bytes).hexdigest()

    def dbt_vars(self) -> dict[str, Any]:
        return {
            "as_of_date": self.as_of_date,
            "match_threshold": float(self.match_threshold),
            "review_threshold": float(self.review_threshold),
            "candidate_floor": float(self.candidate_floor),
            "max_block_key_names": self.max_block_key_names,
        }


# --- strict YAML ----------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that composes no anchors or aliases and keeps timestamps as text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _YamlRefused(f"line {line}: YAML aliases (*name) are not allowed")
        if getattr(event, "anchor", None) is not None:
            raise _YamlRefused(f"line {line}: YAML anchors (&name) are not allowed")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _YamlRefused(f"line {line}: explicit YAML tags ({tag}) are not allowed")
        return super().compose_node(parent, index)


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class _YamlRefused(Exception):
    pass


def _key_path(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(top level)"


def _check_nodes(node: yaml.Node, parts: list[str | int]) -> None:
    """Keys are plain strings and appear once per mapping (checked on the composed nodes, so
    the error names the key's path and both lines)."""
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            where = _key_path(parts)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise _YamlRefused(f"line {line}: {where}: keys must be plain strings")
            key = str(key_node.value)
            if key in first:
                raise _YamlRefused(
                    f"line {line}: {_key_path([*parts, key])}: duplicate key "
                    f"(first at line {first[key]})"
                )
            first[key] = line
            _check_nodes(value_node, [*parts, key])
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_nodes(item, [*parts, i])


def parse_yaml_strict(raw: bytes, where: str) -> Any:
    """One YAML document, parsed strictly (see the module docstring)."""
    if len(raw) > MAX_CONFIG_BYTES:
        raise InputError(f"{where}: larger than {MAX_CONFIG_BYTES} bytes; not a run config")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not valid UTF-8 (byte {exc.start})") from exc
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, [])
        return loader.construct_document(node)
    except _YamlRefused as exc:
        raise InputError(f"{where}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{where}: {line}not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: not valid YAML: {type(exc).__name__}") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deeply; not a run config") from None
    finally:
        loader.dispose()


# --- the schema: contracts/run_config.schema.json -------------------------------------------

# The JSON Schema keywords this validator implements; any other keyword in the schema is an
# error (so the schema cannot say more than the parser checks).
_ANNOTATIONS = {"$schema", "$id", "title", "description", "$comment", "default", "examples"}
_KEYWORDS = {
    "type",
    "properties",
    "additionalProperties",
    "required",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
}


@functools.cache
def run_config_schema() -> dict[str, Any]:
    """contracts/run_config.schema.json."""
    schema: dict[str, Any] = json.loads(
        project_root().joinpath(*SCHEMA_PATH).read_text(encoding="utf-8")
    )
    return schema


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_type(value: Any, expected: str) -> bool:
    actual = _type_name(value)
    if expected == "number":
        return actual in ("integer", "number") and math.isfinite(value)
    return actual == expected


def _describe(schema: Mapping[str, Any]) -> str:
    types = schema.get("type")
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if isinstance(types, list):
        return " or ".join(types)
    text = _article(str(types))
    if "minimum" in schema and "maximum" in schema:
        text += f" from {schema['minimum']} to {schema['maximum']}"
    elif "minimum" in schema:
        text += f" >= {schema['minimum']}"
    return text


def _validate(value: Any, schema: Mapping[str, Any], parts: list[str | int]) -> None:
    """Raise _YamlRefused for the first way ``value`` breaks ``schema`` (keys in document
    order). Messages name the key path and what was expected, never the value itself."""
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:  # pragma: no cover - a schema edit the validator does not implement
        raise NotImplementedError(f"run_config schema keyword(s) {sorted(unknown)}")
    where = _key_path(parts)
    expected = schema.get("type")
    if expected is not None:
        allowed = expected if isinstance(expected, list) else [expected]
        if not any(_is_type(value, t) for t in allowed):
            raise _YamlRefused(
                f"{where}: expected {_describe(schema)}, got {_article(_type_name(value))}"
            )
    if "const" in schema and value != schema["const"]:
        raise _YamlRefused(f"{where}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise _YamlRefused(f"{where}: unknown value; expected {_describe(schema)}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise _YamlRefused(f"{where}: must not be empty")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise _YamlRefused(f"{where}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise _YamlRefused(f"{where}: must match {schema['pattern']}")
    if _type_name(value) in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            raise _YamlRefused(f"{where}: must be {_describe(schema)}")
        if "maximum" in schema and value > schema["maximum"]:
            raise _YamlRefused(f"{where}: must be {_describe(schema)}")
    if isinstance(value, dict):
        props: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                _validate(item, props[key], [*parts, key])
            elif extra is False:
                hint = difflib.get_close_matches(key, list(props), n=1)
                known = f"did you mean {hint[0]}?" if hint else "known: " + ", ".join(props)
                raise _YamlRefused(f"{_key_path([*parts, key])}: unknown key ({known})")
            elif isinstance(extra, Mapping):
                _validate(item, extra, [*parts, key])
        missing = [k for k in schema.get("required", []) if k not in value]
        if missing:
            raise _YamlRefused(f"{where}: missing required key(s) {', '.join(missing)}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise _YamlRefused(f"{where}: must list at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise _YamlRefused(f"{where}: more than {schema['maxItems']} items")
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for i, item in enumerate(value):
                if item in seen:
                    raise _YamlRefused(f"{_key_path([*parts, i])}: listed twice")
                seen.append(item)
        if "items" in schema:
            for i, item in enumerate(value):
                _validate(item, schema["items"], [*parts, i])


def _article(type_name: str) -> str:
    return {"null": "nothing (null)", "object": "a mapping", "array": "a list"}.get(
        type_name, ("an " if type_name[0] in "aeiou" else "a ") + type_name
    )


def validate_config_document(doc: Any, where: str) -> None:
    """Check a parsed configuration against contracts/run_config.schema.json and the
    thresholds' order. Raises InputError naming the key path."""
    try:
        _validate(doc, run_config_schema(), [])
        th = {**DEFAULT_THRESHOLDS, **(doc.get("thresholds") or {})}
        if not th["candidate_floor"] <= th["review"]:
            raise _YamlRefused(
                "thresholds.candidate_floor: must be <= thresholds.review "
                f"(candidate_floor {th['candidate_floor']}, review {th['review']})"
            )
        if not th["review"] <= th["match"]:
            raise _YamlRefused(
                "thresholds.review: must be <= thresholds.match "
                f"(review {th['review']}, match {th['match']})"
            )
        try:
            dt.date.fromisoformat(doc["as_of_date"])
        except ValueError:
            raise _YamlRefused("as_of_date: not a calendar date (YYYY-MM-DD)") from None
    except _YamlRefused as exc:
        raise InputError(f"{where}: {exc}") from None


def load_config(path: Path) -> RunConfig:
    """Read and validate a run configuration. Relative input paths resolve against its folder."""
    if not path.is_file():
        raise InputError(f"config file not found: {path}")
    raw = path.read_bytes()
    doc = parse_yaml_strict(raw, str(path))
    validate_config_document(doc, str(path))
    name = str(doc.get("name") or path.stem)
    name_pattern = run_config_schema()["properties"]["name"]["pattern"]
    if "name" not in doc and not re.search(name_pattern, name):
        raise InputError(
            f"{path}: name: the file name {name!r} is not a run name; set name: in the config"
        )
    inputs: dict[str, Path] = {}
    labels: dict[str, str] = {}
    for key, value in doc["inputs"].items():
        p = Path(value)
        inputs[key] = (path.parent / p).resolve() if not p.is_absolute() else p
        labels[key] = value
    th = {**DEFAULT_THRESHOLDS, **doc.get("thresholds", {})}
    decisions = _config_path(path, doc.get("decisions"))
    previous_run = _config_path(path, doc.get("previous_run"))
    admission = doc.get("admission", {})
    share = admission.get("max_rejected_share")
    return RunConfig(
        path=path,
        name=name,
        description=str(doc.get("description", "")),
        as_of_date=doc["as_of_date"],
        inputs=inputs,
        input_labels=labels,
        match_threshold=f"{float(th['match']):.4f}",
        review_threshold=f"{float(th['review']):.4f}",
        candidate_floor=f"{float(th['candidate_floor']):.4f}",
        max_block_key_names=int(
            doc.get("blocking", {}).get("max_block_key_names", DEFAULT_MAX_BLOCK_KEY_NAMES)
        ),
        exports=tuple(doc.get("exports") or DEFAULT_EXPORTS),
        catalog_queries=tuple(doc.get("catalog_queries", [])),
        raw_bytes=raw,
        max_rejected_rows=admission.get("max_rejected_rows"),
        max_rejected_share=float(share) if share is not None else None,
        decisions=decisions,
        decisions_label=doc.get("decisions"),
        previous_run=previous_run,
        previous_run_label=doc.get("previous_run"),
    )


def _config_path(config: Path, value: str | None) -> Path | None:
    """A path given in the config, resolved against the config file's folder."""
    if value is None:
        return None
    p = Path(value)
    return p if p.is_absolute() else (config.parent / p).resolve()
