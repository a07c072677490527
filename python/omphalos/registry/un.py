"""UN Security Council Consolidated List (XML, ``CONSOLIDATED_LIST``).

``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY`` with ``REFERENCE_NUMBER`` (``QDi.001``),
``FIRST_NAME`` .. ``FOURTH_NAME`` (joined with spaces into the primary name),
``NAME_ORIGINAL_SCRIPT`` (an alias in its own script), ``INDIVIDUAL_ALIAS``/``ENTITY_ALIAS`` with a
``QUALITY`` (``Good`` or ``a.k.a.``/``f.k.a.``: alias; ``Low``: weak alias), ``NATIONALITY``,
addresses, ``INDIVIDUAL_DOCUMENT`` (passports and national ids) and ``UN_LIST_TYPE`` (the
sanctions regime, written as program ``UN-<type>``).
"""

from __future__ import annotations

import collections
import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from omphalos.registry.countries import map_country
from omphalos.registry.model import Address, Entity, RegistryError, SourceRecord, read_source_file
from omphalos.registry.text import clean

__all__ = ["parse_un_xml"]

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_WEAK_QUALITIES = frozenset({"low"})
_DOC_TYPES = {
    "passport": "PASSPORT",
    "numero de passeport": "PASSPORT",
    "número de pasaporte": "PASSPORT",
    "numero de pasaporte": "PASSPORT",
    "national identification number": "NATIONAL_ID",
    "national identity card": "NATIONAL_ID",
    "national id": "NATIONAL_ID",
}


def _text(el: ET.Element | None, tag: str) -> str | None:
    if el is None:
        return None
    return clean(el.findtext(tag), ofac_null=False)


def _country(name: str | None, unmapped: collections.Counter[str]) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    return name, map_country(name, unmapped)


def parse_un_xml(path: Path, list_date: str | None) -> tuple[list[Entity], SourceRecord]:
    """Parse the UN consolidated XML. ``list_date`` defaults to the file's ``dateGenerated``."""
    _, source_file = read_source_file(path, "un_xml")
    try:
        # The parser reads the encoding from the XML declaration itself.
        root = ET.fromstring(path.read_bytes().rstrip(b"\x1a"))
    except ET.ParseError as exc:
        raise RegistryError(f"{path}: not well-formed XML: {exc}") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise RegistryError(f"{path}: root element is {root.tag}, expected CONSOLIDATED_LIST")
    if list_date is None:
        m = _DATE.match(root.get("dateGenerated", ""))
        if m is None:
            raise RegistryError(f"{path}: no dateGenerated attribute; pass --list-date")
        list_date = m.group(1)
    stats: collections.Counter[str] = collections.Counter()
    unmapped: collections.Counter[str] = collections.Counter()
    entities: dict[str, Entity] = {}
    for kind, xpath, alias_tag, address_tag in (
        ("person", "INDIVIDUALS/INDIVIDUAL", "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS"),
        ("organization", "ENTITIES/ENTITY", "ENTITY_ALIAS", "ENTITY_ADDRESS"),
    ):
        for el in root.iterfind(xpath):
            ref = _text(el, "REFERENCE_NUMBER") or _text(el, "DATAID")
            if ref is None:
                raise RegistryError(f"{path}: an {el.tag} has neither REFERENCE_NUMBER nor DATAID")
            parts = [
                _text(el, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
            ]
            name = " ".join(p for p in parts if p)
            if not name:
                raise RegistryError(f"{path}: {el.tag} {ref}: no name")
            entity_id = f"UN-{ref}"
            if entity_id in entities:
                raise RegistryError(f"{path}: REFERENCE_NUMBER {ref} appears twice")
            entity = Entity(
                entity_id=entity_id,
                source_list="UN_SC",
                list_date=list_date,
                entity_kind=kind,
                primary_name=name,
                remarks=_text(el, "COMMENTS1"),
            )
            entity.add_program(
                f"UN-{_text(el, 'UN_LIST_TYPE')}" if _text(el, "UN_LIST_TYPE") else None
            )
            original = _text(el, "NAME_ORIGINAL_SCRIPT")
            if original:
                entity.add_name(original, "alias")
            for alias in el.iterfind(alias_tag):
                alias_name = _text(alias, "ALIAS_NAME")
                if not alias_name:
                    continue
                quality = (_text(alias, "QUALITY") or "").lower()
                weak = quality in _WEAK_QUALITIES
                if quality not in ("good", "low", "a.k.a.", "f.k.a.", "n.k.a."):
                    stats["alias_quality_unknown"] += 1
                entity.add_name(alias_name, "weak_alias" if weak else "alias")
            for nat in el.iterfind("NATIONALITY/VALUE"):
                _, code = _country(clean(nat.text, ofac_null=False), unmapped)
                entity.add_country(code)
            for addr in el.iterfind(address_tag):
                country_name, code = _country(_text(addr, "COUNTRY"), unmapped)
                entity.add_address(
                    Address(
                        street=_text(addr, "STREET"),
                        city=_text(addr, "CITY"),
                        state_province=_text(addr, "STATE_PROVINCE"),
                        postal_code=_text(addr, "ZIP_CODE"),
                        country_name=country_name,
                        country=code,
                    )
                )
            for doc in el.iterfind("INDIVIDUAL_DOCUMENT"):
                number = _text(doc, "NUMBER")
                if not number:
                    continue
                doc_type = (_text(doc, "TYPE_OF_DOCUMENT") or "").lower()
                _, code = _country(
                    _text(doc, "ISSUING_COUNTRY") or _text(doc, "COUNTRY_OF_ISSUE"), unmapped
                )
                entity.add_identifier(_DOC_TYPES.get(doc_type, "OTHER_ID"), number, code)
            entities[entity_id] = entity
    out = list(entities.values())
    if not out:
        raise RegistryError(f"{path}: no INDIVIDUAL or ENTITY elements")
    stats["names_duplicate_dropped"] = sum(e.duplicate_names for e in out)
    parse: dict[str, object] = dict(sorted(stats.items()))
    parse["unmapped_country_names"] = dict(sorted(unmapped.items()))
    files = [dataclasses.replace(source_file, records=len(out))]
    return out, SourceRecord("un-xml", "UN_SC", list_date, files, parse)
