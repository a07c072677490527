"""Combine several imported registries (folders written by ``omphalos registry import``) into one.

Entity ids are prefixed by their source (``OFAC-``, ``OFAC-CONS-``, ``UN-``, ``CSL-<list>-``,
``DPL-``), so lists never share ids; the same list imported twice, or two versions of one list,
do, and combining them is refused with the colliding ids named (one registry holds one version
of each list).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omphalos.canonical import sha256_file, write_canonical_json
from omphalos.registry.model import (
    ADDRESS_COLUMNS,
    ADDRESSES_FILE,
    ENTITIES_FILE,
    ENTITY_COLUMNS,
    IDENTIFIER_COLUMNS,
    IDENTIFIERS_FILE,
    NAME_COLUMNS,
    NAMES_FILE,
    SOURCE_FILE,
    SOURCE_FORMAT,
    RegistryError,
    read_registry_source,
    write_tables,
)
from omphalos.registry.text import natural_key

__all__ = ["combine_registries", "read_table"]

_TABLES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    (ENTITIES_FILE, ENTITY_COLUMNS, True),
    (NAMES_FILE, NAME_COLUMNS, True),
    (IDENTIFIERS_FILE, IDENTIFIER_COLUMNS, True),
    (ADDRESSES_FILE, ADDRESS_COLUMNS, False),
)


def read_table(path: Path, columns: Sequence[str]) -> list[list[str]]:
    """Rows of a registry CSV (header checked); empty fields stay empty strings."""
    try:
        text = path.read_text(encoding="utf-8")
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
        doc = read_registry_source(folder)
        digest, _ = sha256_file(folder / SOURCE_FILE)
        combined_from.append({"registry_source_sha256": digest, "outputs": doc.get("outputs")})
        sources.extend(doc.get("sources", []))
        for file_name, columns, required in _TABLES:
            path = folder / file_name
            if not required and not path.exists():
                continue
            rows = read_table(path, columns)
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
