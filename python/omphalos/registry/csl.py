"""trade.gov Consolidated Screening List (CSV, one header row).

Columns: source, entity_number, type, programs, name, title, addresses, federal_register_notice,
start_date, end_date, standard_order, license_requirement, license_policy, call_sign, vessel_type,
gross_tonnage, gross_registered_tonnage, vessel_flag, vessel_owner, remarks, source_list_url,
alt_names, citizenships, dates_of_birth, nationalities, places_of_birth, source_information_url,
ids (newer files add a leading ``_id``). Each row belongs to one of the lists the CSL
consolidates (``Entity List (EL) - Bureau of Industry and Security``, ``Specially Designated
Nationals (SDN) - Treasury Department``, ...): the abbreviation in parentheses names it.

Entity ids are ``CSL-<abbr>-<id>`` where id is ``_id`` when present, else ``entity_number``
(the OFAC uid for Treasury rows), else ``h`` + the first 10 hex digits of the sha256 of
name|addresses|start_date (BIS and State rows carry no number).
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import hashlib
import io
import re
from pathlib import Path

from omphalos.registry.countries import map_country, to_iso2
from omphalos.registry.idtypes import id_type_of, normalize_value, split_value
from omphalos.registry.model import Address, Entity, RegistryError, SourceRecord, read_source_file
from omphalos.registry.text import clean, looks_like_organization

__all__ = ["CSL_COLUMNS", "parse_csl"]

CSL_COLUMNS = (
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
)
_OPTIONAL = ("_id", "id")
_KINDS = {
    "individual": "person",
    "entity": "organization",
    "vessel": "vessel",
    "aircraft": "aircraft",
}
_PERSON_LISTS = frozenset({"DPL", "DTC"})
_ABBR = re.compile(r"\(([^()]+)\)")
_SLUG = re.compile(r"[^A-Z0-9]+")
_CODE_SPLIT = re.compile(r"[;,]")


def _abbreviation(source: str) -> str:
    m = _ABBR.search(source)
    text = m.group(1) if m else source
    return _SLUG.sub("-", text.upper()).strip("-") or "UNKNOWN"


def _addresses(value: str | None) -> list[Address]:
    out = []
    for part in (value or "").split(";"):
        text = clean(part, ofac_null=False)
        if not text:
            continue
        pieces = [p.strip() for p in text.split(",")]
        code = to_iso2(pieces[-1], accept_codes=True) if len(pieces[-1]) == 2 else None
        if code is not None:
            street = ", ".join(pieces[:-1]) or None
            out.append(Address(street=street, country_name=pieces[-1], country=code))
        else:
            out.append(Address(street=text))
    return out


def _ids(value: str | None) -> list[tuple[str, str, str | None]]:
    out = []
    for part in (value or "").split(";"):
        text = clean(part, ofac_null=False)
        if not text:
            continue
        pieces = [p.strip() for p in text.split(",")]
        if len(pieces) < 2:
            continue
        id_type = id_type_of(pieces[-1])
        if id_type is None:
            continue
        country = None
        body = pieces[:-1]
        if len(body) >= 2:
            country = to_iso2(body[0], accept_codes=True)
            if country is not None:
                body = body[1:]
        number, paren_country = split_value(", ".join(body))
        if number:
            out.append((id_type, normalize_value(id_type, number), country or paren_country))
    return out


def parse_csl(path: Path, list_date: str) -> tuple[list[Entity], SourceRecord]:
    """Parse a trade.gov CSL CSV file."""
    text, source_file = read_source_file(path, "csl")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSL_COLUMNS if c not in header]
    extra = [c for c in header if c not in CSL_COLUMNS and c not in _OPTIONAL]
    if missing or extra:
        raise RegistryError(
            f"{path}: row 1 (header): "
            + "; ".join(
                p
                for p in (
                    f"missing column(s) {', '.join(missing)}" if missing else "",
                    f"unexpected column(s) {', '.join(extra)}" if extra else "",
                )
                if p
            )
            + "; expected the trade.gov Consolidated Screening List columns"
        )
    reader.fieldnames = header
    stats: collections.Counter[str] = collections.Counter()
    unmapped: collections.Counter[str] = collections.Counter()
    entities: dict[str, Entity] = {}
    lists: collections.Counter[str] = collections.Counter()
    rows = 0
    for row in reader:
        rows += 1
        if None in row:
            raise RegistryError(f"{path}: line {reader.line_num}: more fields than the header")

        def get(column: str, row: dict[str, str] = row) -> str | None:
            return clean(row.get(column), ofac_null=False)

        source = get("source")
        name = get("name")
        if source is None or name is None:
            raise RegistryError(f"{path}: line {reader.line_num}: no source or no name")
        abbr = _abbreviation(source)
        lists[abbr] += 1
        key = get("_id") or get("id") or get("entity_number")
        if key is None:
            digest = hashlib.sha256(
                "|".join((name, get("addresses") or "", get("start_date") or "")).encode()
            ).hexdigest()
            key = "h" + digest[:10]
        entity_id = f"CSL-{abbr}-{key}"
        if entity_id in entities:
            stats["ids_disambiguated"] += 1
            n = 2
            while f"{entity_id}-{n}" in entities:
                n += 1
            entity_id = f"{entity_id}-{n}"
        raw_type = (get("type") or "").lower()
        kind = _KINDS.get(raw_type)
        if kind is None:
            if raw_type:
                raise RegistryError(f"{path}: line {reader.line_num}: unknown type {raw_type!r}")
            stats["entity_kind_guessed"] += 1
            if looks_like_organization(name) or abbr not in _PERSON_LISTS:
                kind = "organization"
            else:
                kind = "person"
        dates = " to ".join(d for d in (get("start_date"), get("end_date")) if d)
        remarks = "; ".join(
            p
            for p in (
                f"Title: {get('title')}" if get("title") else None,
                get("remarks"),
                f"FR: {get('federal_register_notice')}" if get("federal_register_notice") else None,
                f"Dates: {dates}" if dates else None,
                f"License: {get('license_requirement')}" if get("license_requirement") else None,
            )
            if p
        )
        entity = Entity(
            entity_id=entity_id,
            source_list=f"CSL_{abbr.replace('-', '_')}",
            list_date=list_date,
            entity_kind=kind,
            primary_name=name,
            remarks=remarks or None,
        )
        for program in (get("programs") or "").split(";"):
            entity.add_program(program)
        for alias in (get("alt_names") or "").split(";"):
            entity.add_name(alias, "alias")
        for address in _addresses(get("addresses")):
            entity.add_address(address)
        for column in ("nationalities", "citizenships"):
            for part in _CODE_SPLIT.split(get(column) or ""):
                value = part.strip()
                entity.add_country(map_country(value, unmapped, accept_codes=True))
        flag = get("vessel_flag")
        entity.add_country(map_country(flag, unmapped, accept_codes=True))
        if get("call_sign"):
            entity.add_identifier("CALL_SIGN", get("call_sign"))
        for id_type, value, country in _ids(get("ids")):
            entity.add_identifier(id_type, value, country)
        entities[entity_id] = entity
    out = list(entities.values())
    stats["names_duplicate_dropped"] = sum(e.duplicate_names for e in out)
    parse: dict[str, object] = dict(sorted(stats.items()))
    parse["rows_by_list"] = dict(sorted(lists.items()))
    parse["unmapped_country_names"] = dict(sorted(unmapped.items()))
    files = [dataclasses.replace(source_file, records=rows)]
    return out, SourceRecord("csl", "CSL", list_date, files, parse)
