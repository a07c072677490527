"""BIS Denied Persons List (tab-separated text with a header row).

Columns: Name, Street_Address, City, State, Country, Postal_Code, Effective_Date, Expiration_Date,
Standard_Order, Last_Update, Action, FR_Citation. One row per denied party *address*: rows with the
same name and effective date are one entity with several addresses.

The list has no entry numbers, so an entity's id is ``DPL-`` + the first 10 hex digits of the
sha256 of its upper-cased name and effective date: the same order keeps its id from one version
of the list to the next (a row number would shift whenever a row is inserted). The list does not
say whether a party is a person or a company: names with a legal form or an organization word are
organizations, others persons (counted as ``entity_kind_guessed``). ``A/K/A`` and ``(A.K.A. ...)``
inside a name become aliases.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import hashlib
import io
import re
from pathlib import Path

from omphalos.registry.countries import map_country
from omphalos.registry.model import Address, Entity, RegistryError, SourceRecord, read_source_file
from omphalos.registry.text import clean, looks_like_organization

__all__ = ["DPL_COLUMNS", "parse_dpl", "split_dpl_name"]

DPL_COLUMNS = (
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
)
_PAREN_AKA = re.compile(r"\(\s*(?:A\.?K\.?A\.?|F\.?K\.?A\.?)\s*:?\s*([^)]*)\)", re.IGNORECASE)
_SLASH_AKA = re.compile(r"\s+(?:A/K/A|F/K/A|AKA)\s+", re.IGNORECASE)


def split_dpl_name(raw: str) -> tuple[str, list[str]]:
    """``'FUYI SUN A/K/A FRANK SUN'`` -> (``'FUYI SUN'``, [``'FRANK SUN'``]);
    ``'PEARL (A.K.A. NEI-CHIEN CHU) LI'`` -> (``'PEARL LI'``, [``'NEI-CHIEN CHU'``])."""
    aliases = [a.strip() for a in _PAREN_AKA.findall(raw) if a.strip()]
    text = _PAREN_AKA.sub(" ", raw)
    parts = [p.strip() for p in _SLASH_AKA.split(text)]
    primary = " ".join(parts[0].split())
    aliases.extend(" ".join(p.split()) for p in parts[1:] if p)
    return primary, aliases


def parse_dpl(path: Path, list_date: str) -> tuple[list[Entity], SourceRecord]:
    """Parse the BIS Denied Persons List."""
    text, source_file = read_source_file(path, "dpl")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    header = next(reader, None)
    names = tuple(h.strip().lstrip("\ufeff") for h in (header or []))
    if names != DPL_COLUMNS:
        missing = [c for c in DPL_COLUMNS if c not in names]
        extra = [c for c in names if c not in DPL_COLUMNS]
        raise RegistryError(
            f"{path}: row 1 (header): expected the tab-separated columns {', '.join(DPL_COLUMNS)}"
            f" (missing: {', '.join(missing) or '-'}; unexpected: {', '.join(extra) or '-'})"
        )
    stats: collections.Counter[str] = collections.Counter()
    unmapped: collections.Counter[str] = collections.Counter()
    entities: dict[str, Entity] = {}
    rows = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        rows += 1
        if len(row) != len(DPL_COLUMNS):
            raise RegistryError(
                f"{path}: line {reader.line_num}: expected {len(DPL_COLUMNS)} tab-separated "
                f"fields, found {len(row)}"
            )
        rec = {c: clean(v, ofac_null=False) for c, v in zip(DPL_COLUMNS, row, strict=True)}
        raw_name = rec["Name"]
        if raw_name is None:
            raise RegistryError(f"{path}: line {reader.line_num}: no Name")
        primary, aliases = split_dpl_name(raw_name)
        key = f"{primary.upper()}|{rec['Effective_Date'] or ''}"
        entity_id = "DPL-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
        entity = entities.get(entity_id)
        if entity is None:
            kind = "organization" if looks_like_organization(primary) else "person"
            stats["entity_kind_guessed"] += 1
            remarks = "; ".join(
                f"{label}: {rec[column]}"
                for label, column in (
                    ("FR", "FR_Citation"),
                    ("Effective", "Effective_Date"),
                    ("Expires", "Expiration_Date"),
                    ("Standard order", "Standard_Order"),
                    ("Last action", "Action"),
                    ("Last update", "Last_Update"),
                )
                if rec[column]
            )
            entity = Entity(
                entity_id=entity_id,
                source_list="BIS_DPL",
                list_date=list_date,
                entity_kind=kind,
                primary_name=primary,
                remarks=remarks or None,
            )
            entities[entity_id] = entity
        else:
            stats["rows_merged_into_entity"] += 1
        for alias in aliases:
            entity.add_name(alias, "alias")
        country_raw = rec["Country"]
        code = map_country(country_raw, unmapped, accept_codes=True)
        entity.add_address(
            Address(
                street=rec["Street_Address"],
                city=rec["City"],
                state_province=rec["State"],
                postal_code=rec["Postal_Code"],
                country_name=country_raw,
                country=code,
            )
        )
    out = list(entities.values())
    stats["names_duplicate_dropped"] = sum(e.duplicate_names for e in out)
    parse: dict[str, object] = dict(sorted(stats.items()))
    parse["unmapped_country_names"] = dict(sorted(unmapped.items()))
    files = [dataclasses.replace(source_file, records=rows)]
    return out, SourceRecord("bis-dpl", "BIS_DPL", list_date, files, parse)
