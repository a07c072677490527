"""FollowTheMoney entities (JSON lines), the format OpenSanctions publishes every list in.

One JSON object per line: ``id``, ``schema``, ``properties`` (property name -> list of string
values) and ``datasets`` (dataset names). The property names are FtM's (followthemoney/schema/
*.yaml); only the few this importer reads are listed here, so the ``followthemoney`` package is
not needed (docs/registries.md says why).

- ``Person`` -> person; ``Organization``, ``Company``, ``LegalEntity``, ``PublicBody`` ->
  organization; ``Vessel`` -> vessel; ``Airplane`` -> aircraft. Entity id ``FTM-<id>``.
- ``name`` (the first is the primary name; further ones are aliases), ``alias``,
  ``previousName`` -> alias; ``weakAlias`` -> weak_alias.
- ``country``, ``nationality``, ``citizenship``, ``jurisdiction``, ``mainCountry``, ``flag`` ->
  countries. FtM writes lower-case ISO codes plus a few of its own: ``xk`` (Kosovo, XK),
  ``ua-cri``-style region codes (-> the country before the dash), and codes that denote no single
  country (``eu``, ``zz``, ``suhh``, ``csxx``, ``yucs``, ``ddde``), which are left out and counted
  in ``parse.unmapped_country_names`` like the other importers' unmapped names.
- identifier properties -> identifiers (table ``FTM_PROPERTIES`` in registry/idtypes.py).
- ``program`` of the entity and of the ``Sanction`` entities that name it -> programs;
  ``Identification``/``Passport`` entities -> identifiers of their holder (with the issuing
  country); ``Address`` entities named by ``addressEntity`` and ``address`` texts -> addresses.
- every other schema (``Ownership``, ``Directorship``, ``Family``, ``UnknownLink``, ...) is skipped
  and counted in ``parse.skipped_by_schema``.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from omphalos.registry.countries import ISO2_CODES
from omphalos.registry.idtypes import FTM_PROPERTIES, normalize_value
from omphalos.registry.model import Address, Entity, RegistryError, SourceFile, SourceRecord
from omphalos.registry.text import clean

__all__ = ["FTM_KINDS", "ftm_country", "parse_ftm"]

FTM_KINDS = {
    "Person": "person",
    "Organization": "organization",
    "Company": "organization",
    "LegalEntity": "organization",
    "PublicBody": "organization",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
_COUNTRY_PROPERTIES = (
    "country",
    "nationality",
    "citizenship",
    "jurisdiction",
    "mainCountry",
    "flag",
)
_ID_SCHEMAS = ("Identification", "Passport")
_SCHEMA_NAME = re.compile(r"^[A-Z][A-Za-z]{0,63}$")
_REGION = re.compile(r"^([a-z]{2})-[a-z0-9]{1,6}$")
_MAX_LINE = 16 * 1024 * 1024


def ftm_country(value: str, unmapped: collections.Counter[str]) -> str | None:
    """An FtM country code -> ISO 3166-1 alpha-2 (``ru`` -> ``RU``, ``ua-cri`` -> ``UA``);
    codes of no single country (``eu``, ``suhh``, ``zz``) -> ``None``, counted in ``unmapped``."""
    text = value.strip().lower()
    if not text:
        return None
    if len(text) == 2 and text.upper() in ISO2_CODES:
        return text.upper()
    m = _REGION.match(text)
    if m and m.group(1).upper() in ISO2_CODES:
        return m.group(1).upper()
    unmapped[text[:40]] += 1
    return None


@dataclasses.dataclass
class _Raw:
    line: int
    schema: str
    ftm_id: str
    props: dict[str, list[str]]
    datasets: list[str]


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as fh:
        yield from enumerate(fh, 1)


def _object(path: Path, number: int, line: bytes) -> _Raw | None:
    where = f"{path}: line {number}"
    if len(line) > _MAX_LINE:
        raise RegistryError(f"{where}: longer than {_MAX_LINE} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{where}: not UTF-8 (byte {exc.start + 1})") from None
    if not text.strip():
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{where}: not a JSON object (column {exc.colno}: {exc.msg})") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{where}: not a JSON object")
    ftm_id, schema, props, datasets = (
        doc.get(k) for k in ("id", "schema", "properties", "datasets")
    )
    if not isinstance(ftm_id, str) or not ftm_id.strip() or len(ftm_id) > 200:
        raise RegistryError(
            f"{where}: key id: expected a non-empty string (at most 200 characters)"
        )
    if re.search(r"\s", ftm_id):
        raise RegistryError(f"{where}: key id: contains white space")
    if not isinstance(schema, str) or not schema:
        raise RegistryError(f"{where}: key schema: expected a schema name")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise RegistryError(f"{where}: key properties: expected an object")
    clean_props: dict[str, list[str]] = {}
    for key, values in props.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise RegistryError(f"{where}: key properties.{key[:64]}: expected a list of strings")
        clean_props[key] = values
    if datasets is None:
        datasets = []
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise RegistryError(f"{where}: key datasets: expected a list of strings")
    return _Raw(number, schema, ftm_id, clean_props, datasets)


def _source_list(datasets: list[str]) -> str:
    names = sorted({re.sub(r"[^A-Z0-9]+", "_", d.upper()).strip("_") for d in datasets} - {""})
    return ";".join(f"FTM_{n}" for n in names) or "FTM"


def _values(raw: _Raw, prop: str) -> list[str]:
    out = []
    for v in raw.props.get(prop, []):
        text = clean(v, ofac_null=False)
        if text is not None:
            out.append(text)
    return out


def parse_ftm(path: Path, list_date: str) -> tuple[list[Entity], SourceRecord]:
    """Parse a FollowTheMoney entities file (JSON lines)."""
    if not path.is_file():
        raise RegistryError(f"ftm file not found: {path}")
    stats: collections.Counter[str] = collections.Counter()
    skipped: collections.Counter[str] = collections.Counter()
    unmapped: collections.Counter[str] = collections.Counter()
    id_props_skipped: collections.Counter[str] = collections.Counter()
    digest = hashlib.sha256()
    size = 0
    ascii_only = True
    records = 0
    listed: list[_Raw] = []
    sanctions: list[_Raw] = []
    documents: list[_Raw] = []
    addresses: dict[str, _Raw] = {}
    seen: dict[str, int] = {}
    try:
        for number, line in _lines(path):
            digest.update(line)
            size += len(line)
            ascii_only = ascii_only and line.isascii()
            raw = _object(path, number, line)
            if raw is None:
                continue
            records += 1
            if raw.ftm_id in seen:
                raise RegistryError(
                    f"{path}: line {number}: key id: the same id as line {seen[raw.ftm_id]}"
                )
            seen[raw.ftm_id] = number
            if raw.schema in FTM_KINDS:
                listed.append(raw)
            elif raw.schema == "Sanction":
                sanctions.append(raw)
            elif raw.schema in _ID_SCHEMAS:
                documents.append(raw)
            elif raw.schema == "Address":
                addresses[raw.ftm_id] = raw
            if raw.schema not in FTM_KINDS:
                name = raw.schema if _SCHEMA_NAME.match(raw.schema) else "(not a schema name)"
                skipped[name] += 1
    except OSError as exc:
        raise RegistryError(f"ftm file {path}: cannot read: {exc}") from exc

    entities: dict[str, Entity] = {}
    for raw in listed:
        kind = FTM_KINDS[raw.schema]
        names = _values(raw, "name")
        if not names:
            stats["skipped_without_name"] += 1
            continue
        remarks = "; ".join(
            f"{label}: {'; '.join(vals)}"
            for label, vals in (
                ("DOB", _values(raw, "birthDate")),
                ("POB", _values(raw, "birthPlace")),
                ("Topics", _values(raw, "topics")),
                ("Notes", _values(raw, "notes")),
            )
            if vals
        )
        entity = Entity(
            entity_id=f"FTM-{raw.ftm_id}",
            source_list=_source_list(raw.datasets),
            list_date=list_date,
            entity_kind=kind,
            primary_name=names[0],
            remarks=remarks or None,
        )
        for name in names[1:]:
            entity.add_name(name, "alias")
        for prop in ("alias", "previousName"):
            for name in _values(raw, prop):
                entity.add_name(name, "alias")
        for name in _values(raw, "weakAlias"):
            entity.add_name(name, "weak_alias")
        for prop in _COUNTRY_PROPERTIES:
            for value in _values(raw, prop):
                entity.add_country(ftm_country(value, unmapped))
        for program in _values(raw, "program"):
            entity.add_program(program)
        for prop in sorted(raw.props):
            id_type = FTM_PROPERTIES.get(prop)
            if id_type is None:
                if prop.endswith(("Code", "Number", "Id")) and _values(raw, prop):
                    id_props_skipped[prop[:64]] += 1
                continue
            if prop == "idNumber" and kind != "person":
                id_type = "OTHER_ID"
            if prop == "registrationNumber" and kind == "aircraft":
                id_type = "AIRCRAFT_TAIL"
            for value in _values(raw, prop):
                entity.add_identifier(id_type, normalize_value(id_type, value))
        for ref in _values(raw, "addressEntity"):
            address = addresses.get(ref)
            if address is None:
                stats["address_references_unresolved"] += 1
                continue
            entity.add_address(_address(address, unmapped))
        for text in _values(raw, "address"):
            entity.add_address(Address(street=text))
        entities[raw.ftm_id] = entity

    for raw in sanctions:
        for ref in _values(raw, "entity"):
            target = entities.get(ref)
            if target is None:
                stats["sanctions_of_other_entities"] += 1
                continue
            for program in _values(raw, "program"):
                target.add_program(program)
    for raw in documents:
        for ref in _values(raw, "holder"):
            target = entities.get(ref)
            if target is None:
                stats["documents_of_other_entities"] += 1
                continue
            country = None
            for value in _values(raw, "country"):
                country = ftm_country(value, unmapped)
                break
            id_type = "PASSPORT" if raw.schema == "Passport" else _document_type(raw)
            for doc_number in _values(raw, "number") + _values(raw, "passportNumber"):
                target.add_identifier(id_type, normalize_value(id_type, doc_number), country)

    out = list(entities.values())
    stats["names_duplicate_dropped"] = sum(e.duplicate_names for e in out)
    parse: dict[str, Any] = dict(sorted(stats.items()))
    parse["skipped_by_schema"] = dict(sorted(skipped.items()))
    parse["identifier_properties_skipped"] = dict(sorted(id_props_skipped.items()))
    parse["unmapped_country_names"] = dict(sorted(unmapped.items()))
    source_file = SourceFile(
        role="ftm",
        path=path,
        sha256=digest.hexdigest(),
        size=size,
        encoding="ascii" if ascii_only else "utf-8",
        records=records,
    )
    if not out:
        raise RegistryError(
            f"{path}: no Person, Organization, Company, LegalEntity, PublicBody, Vessel or "
            "Airplane entity with a name"
        )
    return out, SourceRecord("ftm", "FTM", list_date, [source_file], parse)


def _document_type(raw: _Raw) -> str:
    from omphalos.registry.idtypes import id_type_of

    for label in _values(raw, "type"):
        found = id_type_of(label)
        if found is not None:
            return found
        if "passport" in label.lower():
            return "PASSPORT"
        if "national" in label.lower() or "identity" in label.lower():
            return "NATIONAL_ID"
    return "OTHER_ID"


def _address(raw: _Raw, unmapped: collections.Counter[str]) -> Address:
    def first(*props: str) -> str | None:
        for prop in props:
            vals = _values(raw, prop)
            if vals:
                return vals[0]
        return None

    street = " ".join(v for v in (first("street"), first("street2")) if v) or None
    city = first("city")
    state = first("state", "region")
    postal = first("postalCode")
    country_raw = first("country")
    country = ftm_country(country_raw, unmapped) if country_raw else None
    if not (street or city or state or postal):
        street = first("full")
    return Address(
        street=street,
        city=city,
        state_province=state,
        postal_code=postal,
        country_name=country_raw,
        country=country,
    )
