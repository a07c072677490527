"""The unified registry model and its files.

Every parser builds :class:`Entity` objects; :func:`write_registry` writes them as the three inputs
a run admits (docs/inputs.md: ``registry_entities.csv``, ``registry_names.csv``,
``registry_identifiers.csv``), a side file of addresses (``registry_addresses.csv``, not an input
of the run) and ``registry_source.json``: each source file's sha256, size, encoding and record
count, the list date and the counts of what was written (docs/registries.md).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from omphalos.errors import OmphalosError
from omphalos.evidence.canonical import (
    loads_strict,
    sha256_bytes,
    sha256_file,
    write_bytes_atomic,
    write_canonical_json,
)
from omphalos.pipeline.admit import SPECS
from omphalos.registry.text import clean, decode_bytes, detect_script, natural_key

__all__ = [
    "ADDRESSES_FILE",
    "ADDRESS_COLUMNS",
    "ENTITIES_FILE",
    "ENTITY_COLUMNS",
    "IDENTIFIERS_FILE",
    "IDENTIFIER_COLUMNS",
    "KINDS",
    "NAMES_FILE",
    "NAME_COLUMNS",
    "NAME_TYPES",
    "SOURCE_FILE",
    "SOURCE_FORMAT",
    "Address",
    "Entity",
    "Identifier",
    "Name",
    "RegistryError",
    "SourceFile",
    "SourceRecord",
    "read_registry_source",
    "read_source_file",
    "registry_source_for",
    "write_registry",
]

ENTITIES_FILE = "registry_entities.csv"
NAMES_FILE = "registry_names.csv"
IDENTIFIERS_FILE = "registry_identifiers.csv"
ADDRESSES_FILE = "registry_addresses.csv"
SOURCE_FILE = "registry_source.json"
SOURCE_FORMAT = "omphalos-registry-source/1"

# The three registry inputs' columns are the admission specs' (docs/inputs.md): declared once.
ENTITY_COLUMNS = tuple(SPECS["registry_entities"].column_names)
NAME_COLUMNS = tuple(SPECS["registry_names"].column_names)
IDENTIFIER_COLUMNS = tuple(SPECS["registry_identifiers"].column_names)
# registry_addresses.csv is no run input: the importers' own extra file.
ADDRESS_COLUMNS = (
    "address_id",
    "entity_id",
    "street",
    "city",
    "state_province",
    "postal_code",
    "country_name",
    "country",
)
KINDS = ("person", "organization", "vessel", "aircraft")
NAME_TYPES = ("primary", "alias", "weak_alias")
_STRENGTH = {"weak_alias": 0, "alias": 1, "primary": 2}


class RegistryError(OmphalosError):
    """A list file cannot be imported (missing, unreadable, not in the expected format), or
    registries cannot be combined (colliding ids). Messages name the file and record."""


@dataclasses.dataclass
class Name:
    name: str
    name_type: str


@dataclasses.dataclass(frozen=True)
class Identifier:
    id_type: str
    id_value: str
    id_country: str | None = None


@dataclasses.dataclass(frozen=True)
class Address:
    street: str | None = None
    city: str | None = None
    state_province: str | None = None
    postal_code: str | None = None
    country_name: str | None = None
    country: str | None = None

    def is_empty(self) -> bool:
        return not (
            self.street
            or self.city
            or self.state_province
            or self.postal_code
            or self.country_name
            or self.country
        )


@dataclasses.dataclass
class Entity:
    """One listed entity. The primary name is always the first of ``names``."""

    entity_id: str
    source_list: str
    list_date: str
    entity_kind: str
    primary_name: str
    remarks: str | None = None
    countries: list[str] = dataclasses.field(default_factory=list)
    programs: list[str] = dataclasses.field(default_factory=list)
    names: list[Name] = dataclasses.field(default_factory=list)
    identifiers: list[Identifier] = dataclasses.field(default_factory=list)
    addresses: list[Address] = dataclasses.field(default_factory=list)
    duplicate_names: int = 0

    def __post_init__(self) -> None:
        if self.entity_kind not in KINDS:
            raise ValueError(f"{self.entity_id}: entity_kind {self.entity_kind!r} not in {KINDS}")
        if not self.names:
            self.names.append(Name(self.primary_name, "primary"))

    def add_name(self, name: str | None, name_type: str) -> bool:
        """Add a name unless the entity already has it (compared case-insensitively); a repeat
        keeps the stronger type (alias over weak_alias). Returns True when added."""
        if name_type not in NAME_TYPES:
            raise ValueError(f"name_type {name_type!r} not in {NAME_TYPES}")
        text = clean(name, ofac_null=False)
        if text is None:
            return False
        key = text.casefold()
        for existing in self.names:
            if existing.name.casefold() == key:
                if _STRENGTH[name_type] > _STRENGTH[existing.name_type]:
                    existing.name_type = name_type
                self.duplicate_names += 1
                return False
        self.names.append(Name(text, name_type))
        return True

    def add_country(self, code: str | None) -> None:
        if code and code not in self.countries:
            self.countries.append(code)

    def add_program(self, program: str | None) -> None:
        text = clean(program, ofac_null=False)
        if text and text not in self.programs:
            self.programs.append(text)

    def add_identifier(self, id_type: str, value: str | None, country: str | None = None) -> None:
        text = clean(value, ofac_null=False)
        if not text:
            return
        ident = Identifier(id_type, text, country)
        if ident not in self.identifiers:
            self.identifiers.append(ident)

    def add_address(self, address: Address) -> None:
        if not address.is_empty() and address not in self.addresses:
            self.addresses.append(address)
        self.add_country(address.country)


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """One file read for an import, with its digest and how it was decoded."""

    role: str
    path: Path
    sha256: str
    size: int
    encoding: str
    records: int
    eof_byte: bool = False
    fallback_lines: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "file": self.path.name,
            "sha256": self.sha256,
            "size": self.size,
            "encoding": self.encoding,
            "records": self.records,
            "eof_byte_removed": self.eof_byte,
            "non_utf8_lines": self.fallback_lines,
        }


@dataclasses.dataclass
class SourceRecord:
    """What one import read and wrote: goes into ``registry_source.json``."""

    source: str
    source_list: str
    list_date: str
    files: list[SourceFile]
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_json(self, entities: Sequence[Entity]) -> dict[str, Any]:
        by_type = {t: 0 for t in NAME_TYPES}
        kinds = {k: 0 for k in KINDS}
        for e in entities:
            kinds[e.entity_kind] += 1
            for n in e.names:
                by_type[n.name_type] += 1
        return {
            "source": self.source,
            "source_list": self.source_list,
            "list_date": self.list_date,
            "files": [f.to_json() for f in self.files],
            "counts": {
                "entities": len(entities),
                "entities_by_kind": kinds,
                "names": sum(by_type.values()),
                "names_by_type": by_type,
                "identifiers": sum(len(e.identifiers) for e in entities),
                "addresses": sum(len(e.addresses) for e in entities),
            },
            "parse": dict(sorted(self.stats.items())),
        }


def read_source_file(path: Path, role: str) -> tuple[str, SourceFile]:
    """Read and decode one list file; returns its text and its :class:`SourceFile` record
    (``records`` is filled in by the parser)."""
    if not path.is_file():
        raise RegistryError(f"{role} file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{role} file {path}: cannot read: {exc}") from exc
    digest, size = sha256_file(path)
    decoded = decode_bytes(data)
    return decoded.text, SourceFile(
        role=role,
        path=path,
        sha256=digest,
        size=size,
        encoding=decoded.encoding,
        records=0,
        eof_byte=decoded.eof_byte,
        fallback_lines=decoded.fallback_lines,
    )


def _csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[str | None]]) -> tuple[bytes, int]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        n += 1
    return buf.getvalue().encode("utf-8"), n


Row = tuple[str | None, ...]


def entity_rows(
    entities: Sequence[Entity],
) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
    """The rows of the four registry files, entities in natural id order."""
    ents: list[Row] = []
    names: list[Row] = []
    idents: list[Row] = []
    addrs: list[Row] = []
    for e in sorted(entities, key=lambda x: natural_key(x.entity_id)):
        ents.append(
            (
                e.entity_id,
                e.source_list,
                e.list_date,
                e.entity_kind,
                e.primary_name,
                ";".join(sorted(e.countries)) or None,
                ";".join(e.programs) or None,
                e.remarks,
            )
        )
        for i, n in enumerate(e.names, 1):
            names.append(
                (f"{e.entity_id}-N{i}", e.entity_id, n.name, n.name_type, detect_script(n.name))
            )
        for i, ident in enumerate(e.identifiers, 1):
            idents.append(
                (
                    f"{e.entity_id}-I{i}",
                    e.entity_id,
                    ident.id_type,
                    ident.id_value,
                    ident.id_country,
                )
            )
        for i, a in enumerate(e.addresses, 1):
            addrs.append(
                (
                    f"{e.entity_id}-A{i}",
                    e.entity_id,
                    a.street,
                    a.city,
                    a.state_province,
                    a.postal_code,
                    a.country_name,
                    a.country,
                )
            )
    return ents, names, idents, addrs


def write_tables(
    out_dir: Path,
    tables: Mapping[str, tuple[Sequence[str], Iterable[Sequence[str | None]]]],
) -> dict[str, dict[str, Any]]:
    """Write CSV files atomically; returns sha256, size and rows of each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, dict[str, Any]] = {}
    for file_name, (columns, rows) in tables.items():
        data, n = _csv_bytes(columns, rows)
        write_bytes_atomic(out_dir / file_name, data)
        outputs[file_name] = {"sha256": sha256_bytes(data), "size": len(data), "rows": n}
    return outputs


def write_registry(
    out_dir: Path, entities: Sequence[Entity], sources: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Write the registry files and ``registry_source.json`` (``sources``: one
    :meth:`SourceRecord.to_json` document per list imported); returns the JSON document."""
    seen: set[str] = set()
    for e in entities:
        if e.entity_id in seen:
            raise RegistryError(f"duplicate entity_id {e.entity_id}")
        seen.add(e.entity_id)
    ents, names, idents, addrs = entity_rows(entities)
    outputs = write_tables(
        out_dir,
        {
            ENTITIES_FILE: (ENTITY_COLUMNS, ents),
            NAMES_FILE: (NAME_COLUMNS, names),
            IDENTIFIERS_FILE: (IDENTIFIER_COLUMNS, idents),
            ADDRESSES_FILE: (ADDRESS_COLUMNS, addrs),
        },
    )
    doc = {"format": SOURCE_FORMAT, "sources": list(sources), "outputs": outputs}
    write_canonical_json(out_dir / SOURCE_FILE, doc)
    return doc


def read_registry_source(folder: Path) -> dict[str, Any]:
    """The ``registry_source.json`` of a registry folder (format checked)."""
    path = folder / SOURCE_FILE
    if not path.is_file():
        raise RegistryError(
            f"{folder}: no {SOURCE_FILE}: not a folder written by omphalos registry"
        )
    try:
        doc = loads_strict(path.read_bytes())
    except ValueError as exc:
        raise RegistryError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != SOURCE_FORMAT:
        raise RegistryError(f"{path}: format is not {SOURCE_FORMAT}")
    return doc


def registry_source_for(input_path: Path) -> dict[str, Any] | None:
    """For a run: the ``registry_source.json`` next to a registry input file, when that file is
    the one the JSON describes (same sha256), else ``None``. A run manifest can record it so the
    list versions behind a run (source files, sha256, list dates) are part of the evidence."""
    folder = input_path.parent
    if not (folder / SOURCE_FILE).is_file():
        return None
    doc = read_registry_source(folder)
    described = doc.get("outputs", {}).get(input_path.name)
    if not isinstance(described, dict):
        return None
    digest, _ = sha256_file(input_path)
    return doc if described.get("sha256") == digest else None


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse to overwrite a folder that already holds registry files unless ``force``, and any
    folder inside a sealed run."""
    from omphalos.pipeline.paths import SealedRunPathError, refuse_inside_sealed_run

    try:
        refuse_inside_sealed_run(out_dir, "--out")
    except SealedRunPathError as exc:
        raise RegistryError(str(exc)) from None
    if out_dir.exists() and not out_dir.is_dir():
        raise RegistryError(f"--out {os.fspath(out_dir)} exists and is not a folder")
    existing = [
        f
        for f in (ENTITIES_FILE, NAMES_FILE, IDENTIFIERS_FILE, ADDRESSES_FILE, SOURCE_FILE)
        if (out_dir / f).exists()
    ]
    if existing and not force:
        raise RegistryError(
            f"--out {os.fspath(out_dir)} already holds {', '.join(existing)}; "
            "pass --force to replace them"
        )
