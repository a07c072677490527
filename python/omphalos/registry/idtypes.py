"""Identifier labels as OFAC and trade.gov write them -> the registry's ``id_type``.

OFAC writes identifiers inside the SDN ``Remarks`` field (``Passport 1084010 (Egypt)``,
``Vessel Registration Identification IMO 7406784``, ``Tax ID No. 100036386 (Serbia)``); the
trade.gov CSL writes them in its ``ids`` column as ``country, number, label``. Only the labels
below become identifiers; other remark items (DOB, Gender, Website, Email, phone numbers,
sanctions information) are left in the remarks.
"""

from __future__ import annotations

import re

from omphalos.registry.countries import to_iso2

__all__ = ["FTM_PROPERTIES", "ID_TYPES", "LABELS", "id_type_of", "parse_labelled", "split_value"]

_LABEL_TABLE: dict[str, tuple[str, ...]] = {
    "PASSPORT": (
        "Passport",
        "Diplomatic Passport",
        "Passport Booklet",
        "Passport Booklet:",
        "Travel Document Number",
    ),
    "NATIONAL_ID": (
        "National ID No.",
        "National ID Number",
        "National Identification Number",
        "Identification Number",
        "Personal ID Card",
        "Tazkira National ID Card",
        "Turkish Identification Number",
        "Kenyan ID No.",
        "National Foreign ID Number",
        "Citizen's Card Number",
        "Numero de Identidad",
        "D.N.I.",
        "Cedula No.",
        "UAE Identification",
        "C.U.R.P.",
        "C.U.R.P. #",
        "SSN",
        "Residency Number",
        "Refugee ID Card",
        "Birth Certificate Number",
    ),
    "TAX_ID": (
        "Tax ID No.",
        "R.F.C.",
        "R.F.C. #",
        "RFC",
        "NIT #",
        "RUC #",
        "RIF #",
        "RTN",
        "V.A.T. Number",
        "Italian Fiscal Code",
        "Italian Fiscal Code:",
        "US FEIN",
        "C.U.I.T.",
        "C.U.I.",
        "C.I.F.",
        "Paraguayan tax identification number",
        "Numero Unico de Identificacao Tributaria (NUIT)",
    ),
    "REGISTRATION": (
        "Registration Number",
        "Registration ID",
        "Business Registration Number",
        "Business Registration Document #",
        "Business Number",
        "Commercial Registry Number",
        "Company Number",
        "UK Company Number",
        "Public Registration Number",
        "Government Gazette Number",
        "Folio Mercantil No.",
        "Matricula Mercantil No",
        "Chamber of Commerce Number",
        "Trade License No.",
        "C.R. No.",
        "Romanian C.R.",
        "Certificate of Incorporation Number",
        "Enterprise Number",
        "Economic Register Number (CBLS)",
        "Central Registration System Number",
        "Istanbul Chamber of Comm. No.",
        "Dubai Chamber of Commerce Membership No.",
        "Registered Charity No.",
        "Unified Social Credit Code (USCC)",
        "United Social Credit Code Certificate (USCCC)",
        "Organization Code",
    ),
    "LEI": ("Legal Entity Number",),
    "IMO": (
        "Vessel Registration Identification IMO",
        "Identification Number IMO",
        "Company Number IMO",
        "IMO",
    ),
    "MMSI": ("MMSI",),
    "CALL_SIGN": ("Other Vessel Call Sign", "Vessel Call Sign"),
    "SWIFT_BIC": ("SWIFT/BIC",),
    "ISIN": ("ISIN",),
    "DUNS": ("D-U-N-S Number",),
    "AIRCRAFT_MSN": (
        "Aircraft Manufacturer's Serial Number (MSN)",
        "Aircraft Serial Identification",
    ),
    "AIRCRAFT_TAIL": ("Aircraft Tail Number", "Previous Aircraft Tail Number"),
    "DRIVERS_LICENSE": ("Driver's License No.",),
    "VOTER_ID": ("Electoral Registry No.", "Credencial electoral", "I.F.E."),
    "CRYPTO_ADDRESS": ("Digital Currency Address -",),
}

# FollowTheMoney identifier properties (followthemoney/schema/*.yaml) -> id_type. Properties not
# here (wikidataId, bvdId, kppCode, okvedCode, ticker, ...) identify no party in a screening
# sense and are only counted. ``idNumber`` is NATIONAL_ID on a Person, OTHER_ID elsewhere;
# ``registrationNumber`` is AIRCRAFT_TAIL on an Airplane (its registration mark).
FTM_PROPERTIES: dict[str, str] = {
    "passportNumber": "PASSPORT",
    "idNumber": "NATIONAL_ID",
    "socialSecurityNumber": "NATIONAL_ID",
    "taxNumber": "TAX_ID",
    "vatCode": "TAX_ID",
    "innCode": "TAX_ID",
    "irsCode": "TAX_ID",
    "voenCode": "TAX_ID",
    "registrationNumber": "REGISTRATION",
    "ogrnCode": "REGISTRATION",
    "okpoCode": "REGISTRATION",
    "uscCode": "REGISTRATION",
    "leiCode": "LEI",
    "swiftBic": "SWIFT_BIC",
    "isinCode": "ISIN",
    "dunsCode": "DUNS",
    "imoNumber": "IMO",
    "mmsi": "MMSI",
    "callSign": "CALL_SIGN",
    "serialNumber": "AIRCRAFT_MSN",
    "licenseNumber": "OTHER_ID",
    "uniqueEntityId": "OTHER_ID",
}

LABELS: dict[str, str] = {
    label: id_type for id_type, labels in _LABEL_TABLE.items() for label in labels
}
# Every id_type a registry may hold (docs/registries.md): the table's types and OTHER_ID.
ID_TYPES: frozenset[str] = frozenset(_LABEL_TABLE) | {"OTHER_ID"}
# Longest label first, so "Identification Number IMO" wins over "Identification Number".
_BY_LENGTH = sorted(LABELS, key=lambda label: (-len(label), label))
# One alternation, longest label first: the regex engine picks the longest label that fits.
_LABEL_RE = re.compile(
    r"^(?:(?i:alt)\.\s+)?(?P<label>"
    + "|".join(re.escape(label) for label in _BY_LENGTH)
    + r")(?P<rest>(?:[ :].*)?)$",
    re.DOTALL,
)
_TAIL = re.compile(
    r"^(?P<value>.*?)"
    r"(?:\s*\((?P<paren>[^()]*)\))?"
    r"(?:\s+(?:issued|expires|Issue Date|Expiration Date|Expiry Date)\b.*)?$"
)
_DIGITS7 = re.compile(r"(?:IMO\s*)?(\d{7})")


def id_type_of(label: str) -> str | None:
    """The id_type of an exact label (trade.gov ``ids`` column), or ``None``."""
    text = label.strip()
    found = LABELS.get(text) or LABELS.get(text.rstrip(":").strip())
    if found is None and text == "Vessel Registration Identification":
        return "IMO"
    return found


def split_value(rest: str) -> tuple[str | None, str | None]:
    """``'1084010 (Egypt) issued 2000'`` -> (``'1084010'``, ``'EG'``). The parenthesis is read
    as the issuing country when it names one; otherwise it stays part of nothing (dropped from
    the value: it is a place or a note)."""
    m = _TAIL.match(rest.strip())
    if m is None:  # pragma: no cover - the pattern matches any string
        return rest.strip() or None, None
    value = m.group("value").strip().rstrip(",").strip()
    paren = m.group("paren")
    country = to_iso2(paren) if paren else None
    return (value or None), country


def normalize_value(id_type: str, value: str) -> str:
    if id_type == "IMO":
        m = _DIGITS7.fullmatch(value.strip())
        if m:
            return m.group(1)
    if id_type == "CRYPTO_ADDRESS":
        # "XBT 1A1zP1..." -> keep the currency code with the address: "XBT 1A1zP1...".
        return " ".join(value.split())
    return value


def parse_labelled(segment: str) -> tuple[str, str, str | None] | None:
    """Parse one OFAC remarks item (``alt. Passport 123 (Iran)``) into (id_type, value,
    country), or ``None`` when the item is not an identifier."""
    m = _LABEL_RE.match(segment.strip())
    if m is None:
        return None
    rest = m.group("rest").lstrip(" :")
    if not rest:
        return None
    id_type = LABELS[m.group("label")]
    value, country = split_value(rest)
    if value is None:
        return None
    return id_type, normalize_value(id_type, value), country
