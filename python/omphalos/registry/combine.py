"""Combine several registries into one: folders written by ``omphalos registry import`` or any
folder of valid registry files (``registry_entities.csv``, ``registry_names.csv``, optionally
``registry_identifiers.csv`` and ``registry_addresses.csv``, columns of docs/inputs.md).

Every input's files are checked row by row (header, required values, kinds, name types, dates,
country codes, unique ids, names and identifiers of listed entities); an error names the file,
the line and the column. A folder with a ``registry_source.json`` must hold the very files that
JSON describes (same sha256); a folder without one is recorded by its files' digests.

Entity ids are prefixed by their source (``OFAC-``, ``OFAC-CONS-``, ``UN-``, ``CSL-<list>-``,
``DPL-``), so lists never share ids; the same list imported twice, or two versions of one list,
do, and combining them is refused with the colliding ids named (one registry holds one version
of each list).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omphalos.evidence.canonical import sha256_file, write_canonical_json
from omphalos.registry.countries import ISO2_CODES
from omphalos.registry.model import (
    ADDRESS_COLUMNS,
    ADDRESSES_FILE,
    ENTITIES_FILE,
    ENTITY_COLUMNS,
    IDENTIFIER_COLUMNS,
    IDENTIFIERS_FILE,
    KINDS,
    NAME_COLUMNS,
    NAME_TYPES,
    NAMES_FILE,
    SOURCE_FILE,
    SOURCE_FORMAT,
    RegistryError,
    read_registry_source,
    write_tables,
)
from omphalos.registry.text import natural_key

__all__ = ["combine_registries", "read_table", "validate_folder"]

_TABLES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    (ENTITIES_FILE, ENTITY_COLUMNS, True),
    (NAMES_FILE, NAME_COLUMNS, True),
    (IDENTIFIERS_FILE, IDENTIFIER_COLUMNS, False),
    (ADDRESSES_FILE, ADDRESS_COLUMNS, False),
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^\S+$")


def read_table(path: Path, columns: Sequence[str]) -> list[list[str]]:
    """Rows of a registry CSV (header checked); empty fields stay empty strings."""
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: not found") from exc
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8: {exc.reason}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != tuple(columns):
        raise RegistryError(
            f"{path}: row 1 (header): expected {','.join(columns)}, found {','.join(header or [])}"
        )
    rows = []
    for row in reader:
        if len(row) != len(columns):
            raise RegistryError(
                f"{path}: line {reader.line_num}: expected {len(columns)} fields, found {len(row)}"
            )
        rows.append(row)
    return rows


def _check_rows(folder: Path, tables: dict[str, list[list[str]]]) -> dict[str, set[str]]:
    """Check the rows of one folder's tables (normalizing case of kinds, name types and
    country codes in place); returns the source lists and list dates found."""

    def fail(file_name: str, index: int, column: str, message: str) -> RegistryError:
        # line = data row index + 2 (header is line 1) for files without embedded line breaks
        return RegistryError(f"{folder / file_name}: row {index + 2}: column {column}: {message}")

    def codes(file_name: str, i: int, column: str, value: str, many: bool) -> str:
        if not value:
            return value
        parts = value.split(";") if many else [value]
        upper = [p.strip().upper() for p in parts]
        if any(p not in ISO2_CODES for p in upper):
            raise fail(
                file_name,
                i,
                column,
                "not ISO 3166-1 alpha-2 code(s)" + (" joined by ;" if many else ""),
            )
        return ";".join(sorted(set(upper))) if many else upper[0]

    lists: set[str] = set()
    dates: set[str] = set()
    entity_ids: dict[str, int] = {}
    for i, row in enumerate(tables[ENTITIES_FILE]):
        entity_id, source_list, list_date, kind, primary = row[:5]
        if not _ID.match(entity_id):
            raise fail(ENTITIES_FILE, i, "entity_id", "empty or contains white space")
        if entity_id in entity_ids:
            raise fail(ENTITIES_FILE, i, "entity_id", f"repeats row {entity_ids[entity_id] + 2}")
        entity_ids[entity_id] = i
        if not source_list:
            raise fail(ENTITIES_FILE, i, "source_list", "empty")
        try:
            if not _DATE.match(list_date):
                raise ValueError
            dt.date.fromisoformat(list_date)
        except ValueError:
            raise fail(ENTITIES_FILE, i, "list_date", "not a date YYYY-MM-DD") from None
        if kind.lower() not in KINDS:
            raise fail(ENTITIES_FILE, i, "entity_kind", f"not one of {', '.join(KINDS)}")
        row[3] = kind.lower()
        if not primary.strip():
            raise fail(ENTITIES_FILE, i, "primary_name", "empty")
        row[5] = codes(ENTITIES_FILE, i, "countries", row[5], True)
        lists.add(source_list)
        dates.add(list_date)
    for file_name, id_column, required in (
        (NAMES_FILE, "name_id", ("name",)),
        (IDENTIFIERS_FILE, "identifier_id", ("id_type", "id_value")),
        (ADDRESSES_FILE, "address_id", ()),
    ):
        columns = dict(_COLUMNS)[file_name]
        seen: dict[str, int] = {}
        for i, row in enumerate(tables.get(file_name, [])):
            key, entity_id = row[0], row[1]
            if not _ID.match(key):
                raise fail(file_name, i, id_column, "empty or contains white space")
            if key in seen:
                raise fail(file_name, i, id_column, f"repeats row {seen[key] + 2}")
            seen[key] = i
            if entity_id not in entity_ids:
                raise fail(file_name, i, "entity_id", f"no entity of that id in {ENTITIES_FILE}")
            for column in required:
                if not row[columns.index(column)].strip():
                    raise fail(file_name, i, column, "empty")
            if file_name == NAMES_FILE:
                if row[3].lower() not in NAME_TYPES:
                    raise fail(file_name, i, "name_type", f"not one of {', '.join(NAME_TYPES)}")
                row[3] = row[3].lower()
            elif file_name == IDENTIFIERS_FILE:
                row[4] = codes(file_name, i, "id_country", row[4], False)
            else:
                row[7] = codes(file_name, i, "country", row[7], False)
    return {"source_lists": lists, "list_dates": dates}


_COLUMNS = tuple((name, columns) for name, columns, _ in _TABLES)


def validate_folder(
    folder: Path,
) -> tuple[dict[str, list[list[str]]], dict[str, Any], dict[str, Any]]:
    """Read and check one registry folder. Returns its tables, its ``sources`` entries and its
    ``combined_from`` entry (see :func:`combine_registries`)."""
    if not folder.is_dir():
        raise RegistryError(f"--in {folder}: not a folder")
    tables: dict[str, list[list[str]]] = {}
    files: dict[str, dict[str, Any]] = {}
    for file_name, columns, required in _TABLES:
        path = folder / file_name
        if not path.exists():
            if required:
                raise RegistryError(f"{folder}: no {file_name} (a registry folder needs it)")
            continue
        tables[file_name] = read_table(path, columns)
        digest, size = sha256_file(path)
        files[file_name] = {"sha256": digest, "size": size, "rows": len(tables[file_name])}
    found = _check_rows(folder, tables)
    if (folder / SOURCE_FILE).is_file():
        doc = read_registry_source(folder)
        described = doc.get("outputs") or {}
        for file_name, record in files.items():
            if (
                not isinstance(described.get(file_name), dict)
                or described[file_name].get("sha256") != record["sha256"]
            ):
                raise RegistryError(
                    f"{folder / file_name}: not the file {SOURCE_FILE} describes (sha256 differs): "
                    f"the folder was changed after import; re-import it or remove {SOURCE_FILE}"
                )
        digest, _ = sha256_file(folder / SOURCE_FILE)
        return (
            tables,
            {"sources": doc.get("sources", [])},
            {"registry_source_sha256": digest, "outputs": described},
        )
    source = {
        "source": "registry-files",
        "source_list": ";".join(sorted(found["source_lists"])),
        "list_date": max(found["list_dates"]) if found["list_dates"] else None,
        "list_dates": sorted(found["list_dates"]),
        "files": [{"file": name, **record} for name, record in sorted(files.items())],
    }
    return tables, {"sources": [source]}, {"registry_source_sha256": None, "outputs": files}


def _by_entity(index: int) -> Callable[[list[str]], tuple[tuple[int, int | str], ...]]:
    def key(row: list[str]) -> tuple[tuple[int, int | str], ...]:
        return natural_key(row[index])

    return key


def combine_registries(inputs: Sequence[Path], out_dir: Path) -> dict[str, Any]:
    """Combine registry folders into ``out_dir``; raises :class:`RegistryError` on colliding
    entity ids. Returns the combined ``registry_source.json`` document."""
    if len(inputs) < 2:
        raise RegistryError("combine needs at least two --in folders")
    resolved = [p.resolve() for p in inputs]
    if out_dir.resolve() in resolved:
        raise RegistryError(f"--out {out_dir} is also an --in folder")
    sources: list[Any] = []
    combined_from: list[dict[str, Any]] = []
    owner: dict[str, int] = {}
    collisions: list[str] = []
    tables: dict[str, list[list[str]]] = {name: [] for name, _, _ in _TABLES}
    for position, folder in enumerate(inputs):
        folder_tables, doc, part = validate_folder(folder)
        combined_from.append(part)
        sources.extend(doc["sources"])
        for file_name, rows in folder_tables.items():
            if file_name == ENTITIES_FILE:
                for row in rows:
                    first = owner.setdefault(row[0], position)
                    if first != position:
                        collisions.append(f"{row[0]} (in {inputs[first]} and {folder})")
            tables[file_name].extend(rows)
    if collisions:
        shown = "; ".join(collisions[:10])
        more = f" and {len(collisions) - 10} more" if len(collisions) > 10 else ""
        raise RegistryError(
            f"{len(collisions)} entity id(s) occur in more than one input: {shown}{more}. "
            "A registry holds one version of each list: combine different lists only."
        )
    for file_name, columns, _ in _TABLES:
        # Stable sort: rows of one entity keep their order (the N1, N2, ... numbering).
        tables[file_name].sort(key=_by_entity(columns.index("entity_id")))
    outputs = write_tables(
        out_dir,
        {
            name: (columns, [[v or None for v in r] for r in tables[name]])
            for name, columns, _ in _TABLES
        },
    )
    doc = {
        "format": SOURCE_FORMAT,
        "sources": sources,
        "combined_from": combined_from,
        "outputs": outputs,
    }
    write_canonical_json(out_dir / SOURCE_FILE, doc)
    return doc
