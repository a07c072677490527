"""OFAC lists: the raw SDN.CSV / ALT.CSV / ADD.CSV files (and the non-SDN consolidated list in the
same format), and the packaged one-row-per-entry CSV (``uid,name,type,programs,alternate_names``).

Raw format (OFAC "legacy" CSV): no header; ``-0-`` (often ``-0- ``) for null; several programs
written ``IRAN] [SDGT``; a 0x1A byte at the end; Remarks carry DOB, identifiers, nationality and
the weak aliases (``a.k.a. 'X'``, also ``f.k.a.``/``n.k.a.``), and are cut at 1,000 characters.

- SDN.CSV (12 fields): ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
  Tonnage, GRT, Vess_flag, Vess_owner, Remarks
- ALT.CSV (5 fields): ent_num, alt_num, alt_type (aka/fka/nka), alt_name, alt_remarks
- ADD.CSV (6 fields): ent_num, add_num, address, city/state/postal code, country, add_remarks
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io
import re
from pathlib import Path

from omphalos.registry.countries import map_country
from omphalos.registry.idtypes import parse_labelled
from omphalos.registry.model import (
    Address,
    Entity,
    RegistryError,
    SourceFile,
    SourceRecord,
    read_source_file,
)
from omphalos.registry.text import clean

__all__ = ["parse_ofac_packaged", "parse_ofac_raw", "parse_remarks", "split_programs"]

SDN_FIELDS = 12
ALT_FIELDS = 5
ADD_FIELDS = 6
REMARKS_LIMIT = 1000

_KINDS = {
    None: "organization",
    "entity": "organization",
    "individual": "person",
    "vessel": "vessel",
    "aircraft": "aircraft",
}
_PROGRAM_SPLIT = re.compile(r"\]\s*\[")
_AKA = re.compile(
    r"(?:^|(?<=;))\s*(?:alt\.\s+)?(?P<kind>[afn])\.k\.a\.,?\s+'(?P<name>.*?)'(?=\s*;|\s*\.?\s*$)"
)
_COUNTRY_ITEM = re.compile(
    r"^(?:alt\.\s+)?(?:nationality of registration|nationality|citizen)\s+(?P<c>.+)$",
    re.IGNORECASE,
)


@dataclasses.dataclass
class Remarks:
    """What the parser takes out of one SDN Remarks field."""

    weak_aliases: list[str]
    identifiers: list[tuple[str, str, str | None]]
    country_names: list[str]
    truncated: bool


def split_programs(value: str | None) -> list[str]:
    """``'IRAN] [SDGT'`` or ``'[IRAN]  [SDGT]'`` -> ``['IRAN', 'SDGT']``."""
    text = clean(value)
    if text is None:
        return []
    out: list[str] = []
    for part in _PROGRAM_SPLIT.split(text):
        p = part.strip().strip("[]").strip()
        if p and p not in out:
            out.append(p)
    return out


def parse_remarks(raw: str | None) -> Remarks:
    """Weak aliases, identifiers and nationality/citizenship countries of an SDN Remarks field.

    A field of 1,000 characters or more that does not end in ``.`` was cut by OFAC: its last,
    partial item is dropped (a cut alias or identifier would be wrong, not just short).
    """
    text = clean(raw)
    if text is None:
        return Remarks([], [], [], False)
    truncated = len(raw or "") >= REMARKS_LIMIT and not text.endswith(".")
    if truncated:
        cut = text.rfind(";")
        text = text[:cut] if cut >= 0 else ""
    weak: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _AKA.finditer(text):
        name = m.group("name").strip()
        if name:
            weak.append(name)
        spans.append(m.span())
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    items = [i.strip() for i in text.split(";")]
    if items and items[-1].endswith("."):
        items[-1] = items[-1][:-1].rstrip()
    identifiers: list[tuple[str, str, str | None]] = []
    countries: list[str] = []
    for item in items:
        if not item:
            continue
        cm = _COUNTRY_ITEM.match(item)
        if cm:
            countries.append(cm.group("c").strip())
            continue
        parsed = parse_labelled(item)
        if parsed is not None:
            identifiers.append(parsed)
    return Remarks(weak, identifiers, countries, truncated)


def _records(text: str, source: SourceFile, n_fields: int) -> tuple[list[list[str]], SourceFile]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != n_fields:
                raise RegistryError(
                    f"{source.path}: record {reader.line_num}: expected {n_fields} fields "
                    f"({source.role} format), found {len(row)}"
                )
            if not rows and row[0].strip().lower() in ("ent_num", "uid", "id"):
                continue  # a header someone added: the raw format has none
            if not row[0].strip().isdigit():
                raise RegistryError(
                    f"{source.path}: record {reader.line_num}: ent_num {row[0]!r} is not a number"
                )
            rows.append(row)
    except csv.Error as exc:
        raise RegistryError(f"{source.path}: line {reader.line_num}: not CSV: {exc}") from exc
    return rows, dataclasses.replace(source, records=len(rows))


def _map_country(name: str | None, unmapped: collections.Counter[str]) -> str | None:
    return map_country(clean(name), unmapped)


def _compose_remarks(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


def parse_ofac_raw(
    sdn: Path,
    list_date: str,
    *,
    alt: Path | None = None,
    add: Path | None = None,
    consolidated: bool = False,
) -> tuple[list[Entity], SourceRecord]:
    """Parse raw OFAC SDN.CSV (+ ALT.CSV, ADD.CSV); ``consolidated`` for the non-SDN list
    (ids ``OFAC-CONS-<ent_num>``, source list ``OFAC_CONS``)."""
    prefix, source_list, source = (
        ("OFAC-CONS-", "OFAC_CONS", "ofac-cons")
        if consolidated
        else ("OFAC-", "OFAC_SDN", "ofac-sdn")
    )
    stats: collections.Counter[str] = collections.Counter()
    unmapped: collections.Counter[str] = collections.Counter()
    text, sdn_file = read_source_file(sdn, "sdn" if not consolidated else "prim")
    rows, sdn_file = _records(text, sdn_file, SDN_FIELDS)
    files = [sdn_file]
    entities: dict[str, Entity] = {}
    for row in rows:
        ent_num = row[0].strip()
        name = clean(row[1])
        if name is None:
            raise RegistryError(f"{sdn}: ent_num {ent_num}: no SDN_Name")
        raw_type = clean(row[2])
        kind = _KINDS.get(raw_type.lower() if raw_type else None)
        if kind is None:
            raise RegistryError(f"{sdn}: ent_num {ent_num}: unknown SDN_Type {raw_type!r}")
        if ent_num in entities:
            raise RegistryError(f"{sdn}: ent_num {ent_num} appears twice")
        title, call_sign = clean(row[4]), clean(row[5])
        vess_type, tonnage, grt = clean(row[6]), clean(row[7]), clean(row[8])
        flag, owner = clean(row[9]), clean(row[10])
        vessel_bits = [
            f"{label} {value}"
            for label, value in (
                ("type", vess_type),
                ("flag", flag),
                ("owner", owner),
                ("tonnage", tonnage),
                ("GRT", grt),
            )
            if value
        ]
        entity = Entity(
            entity_id=f"{prefix}{ent_num}",
            source_list=source_list,
            list_date=list_date,
            entity_kind=kind,
            primary_name=name,
            remarks=_compose_remarks(
                f"Title: {title}" if title and title not in (clean(row[11]) or "") else None,
                f"Vessel: {', '.join(vessel_bits)}" if vessel_bits else None,
                clean(row[11]),
            ),
        )
        for program in split_programs(row[3]):
            entity.add_program(program)
        if call_sign:
            entity.add_identifier("CALL_SIGN", call_sign)
        if flag:
            entity.add_country(_map_country(flag, unmapped))
        remarks = parse_remarks(row[11])
        if remarks.truncated:
            stats["remarks_truncated"] += 1
        for alias in remarks.weak_aliases:
            entity.add_name(alias, "weak_alias")
        for id_type, value, country in remarks.identifiers:
            entity.add_identifier(id_type, value, country)
        for nationality in remarks.country_names:
            entity.add_country(_map_country(nationality, unmapped))
        entities[ent_num] = entity

    if alt is not None:
        text, alt_file = read_source_file(alt, "alt")
        alt_rows, alt_file = _records(text, alt_file, ALT_FIELDS)
        files.append(alt_file)
        for row in alt_rows:
            target = entities.get(row[0].strip())
            if target is None:
                stats["alt_rows_orphaned"] += 1
                continue
            alt_type = (clean(row[2]) or "").lower()
            alt_remarks = (clean(row[4]) or "").lower()
            if alt_type not in ("aka", "fka", "nka", "weak aka"):
                stats["alt_type_unknown"] += 1
            weak = "weak" in alt_type or "weak" in alt_remarks
            target.add_name(row[3], "weak_alias" if weak else "alias")

    if add is not None:
        text, add_file = read_source_file(add, "add")
        add_rows, add_file = _records(text, add_file, ADD_FIELDS)
        files.append(add_file)
        for row in add_rows:
            target = entities.get(row[0].strip())
            if target is None:
                stats["add_rows_orphaned"] += 1
                continue
            country_name = clean(row[4])
            target.add_address(
                Address(
                    street=clean(row[2]),
                    city=clean(row[3]),
                    country_name=country_name,
                    country=_map_country(country_name, unmapped),
                )
            )

    out = list(entities.values())
    stats["names_duplicate_dropped"] = sum(e.duplicate_names for e in out)
    record = SourceRecord(source, source_list, list_date, files, _stats(stats, unmapped))
    return out, record


def _stats(
    stats: collections.Counter[str], unmapped: collections.Counter[str]
) -> dict[str, object]:
    out: dict[str, object] = {k: v for k, v in sorted(stats.items())}
    out["unmapped_country_names"] = dict(sorted(unmapped.items()))
    return out


PACKAGED_COLUMNS = ("uid", "name", "type", "programs", "alternate_names")


def parse_ofac_packaged(
    path: Path, list_date: str, *, add: Path | None = None
) -> tuple[list[Entity], SourceRecord]:
    """Parse the packaged SDN CSV (one row per entry, aliases ``; ``-joined, programs
    ``; ``-joined); ``add`` optionally joins a raw ADD.CSV for addresses and countries."""
    stats: collections.Counter[str] = collections.Counter()
    unmapped: collections.Counter[str] = collections.Counter()
    text, source_file = read_source_file(path, "sdn_csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip().lstrip("\ufeff") for h in header) != PACKAGED_COLUMNS:
        raise RegistryError(
            f"{path}: row 1 (header): expected {','.join(PACKAGED_COLUMNS)}, found "
            f"{','.join(header or [])}"
        )
    entities: dict[str, Entity] = {}
    for row in reader:
        if not row:
            continue
        if len(row) != len(PACKAGED_COLUMNS):
            raise RegistryError(
                f"{path}: line {reader.line_num}: expected {len(PACKAGED_COLUMNS)} fields, "
                f"found {len(row)}"
            )
        uid = row[0].strip()
        if not uid.isdigit():
            raise RegistryError(f"{path}: line {reader.line_num}: uid {uid!r} is not a number")
        if uid in entities:
            raise RegistryError(f"{path}: line {reader.line_num}: uid {uid} appears twice")
        name = clean(row[1])
        if name is None:
            raise RegistryError(f"{path}: line {reader.line_num}: uid {uid} has no name")
        raw_type = clean(row[2])
        kind = _KINDS.get(raw_type.lower() if raw_type else None)
        if kind is None:
            raise RegistryError(f"{path}: line {reader.line_num}: unknown type {raw_type!r}")
        entity = Entity(
            entity_id=f"OFAC-{uid}",
            source_list="OFAC_SDN",
            list_date=list_date,
            entity_kind=kind,
            primary_name=name,
        )
        for program in (row[3] or "").split(";"):
            entity.add_program(program)
        for alias in (row[4] or "").split("; "):
            entity.add_name(alias, "alias")
        entities[uid] = entity
    files = [dataclasses.replace(source_file, records=len(entities))]
    if add is not None:
        add_text, add_file = read_source_file(add, "add")
        add_rows, add_file = _records(add_text, add_file, ADD_FIELDS)
        files.append(add_file)
        for add_row in add_rows:
            target = entities.get(add_row[0].strip())
            if target is None:
                stats["add_rows_orphaned"] += 1
                continue
            country_name = clean(add_row[4])
            target.add_address(
                Address(
                    street=clean(add_row[2]),
                    city=clean(add_row[3]),
                    country_name=country_name,
                    country=_map_country(country_name, unmapped),
                )
            )
    out = list(entities.values())
    stats["names_duplicate_dropped"] = sum(e.duplicate_names for e in out)
    record = SourceRecord("ofac-sdn-csv", "OFAC_SDN", list_date, files, _stats(stats, unmapped))
    return out, record
