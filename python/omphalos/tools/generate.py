"""Deterministic demo inputs: a trade feed, a sanctions-style registry and the ground truth.

`generate` writes the files described in docs/inputs.md (`shipments`, `registry_entities`,
`registry_names`, `registry_identifiers`) plus `truth`, the label file that says which feed parties
were derived from which listed entity and how the name was disguised.

Everything is drawn from one `random.Random(seed)` stream, so the same seed and sizes give
byte-identical files. The registry is built entity by entity (it is small); the feed is built in
column batches with pyarrow: party names come from a pre-generated pool of clean company names and
are sampled by index, and the planted parties are overlaid on the sampled columns. Random numbers
for the feed come in bulk from `getrandbits` and are turned into indices, flags and amounts with
pyarrow compute, so apart from formatting the shipment ids no Python code runs per row.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from random import Random
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from omphalos.pipeline.admit import SPECS
from omphalos.tools.words import WordLists

Progress = Callable[[str], None]

FORMATS = ("csv", "parquet")
SOURCE_LIST = "DEMO"
LIST_DATE = dt.date(2026, 10, 1)
FEED_START = dt.date(2025, 11, 1)
FEED_DAYS = 365  # 2025-11-01 .. 2026-10-31
CHUNK_ROWS = 200_000

TRUE_MATCH_RATE = 0.02  # noisy variants of listed names, spread over many entities
LOOKALIKE_RATE = 0.01  # similar names of different parties
HOT_MATCH_RATE = 0.002  # true matches concentrated on a handful of entities
SEA_FREIGHT_RATE = 0.35  # shipments that name the vessel (vessel_name; IMO number for most)
VESSEL_IMO_RATE = 0.9
VESSEL_MATCH_RATE = 0.003  # shipments carried by a listed vessel
VESSEL_LOOKALIKE_RATE = 0.001  # a ship of a listed vessel's name, with another IMO number
# How a listed vessel appears in the feed: its name and IMO number, a new name under the same IMO
# number (vessels are renamed, the number stays), or its name without a number.
VESSEL_VARIATIONS = (("vessel_exact", 50), ("vessel_renamed", 25), ("vessel_name_only", 25))
HOT_ENTITY_WEIGHTS = (5, 3, 2, 1, 1)

ROLES = ("shipper", "consignee", "notify_party")
ROLE_WEIGHTS = (18, 70, 12)
PARTY_KINDS = ("organization", "person")
KINDS = ("organization", "person", "vessel", "aircraft")
KIND_WEIGHTS = (65, 30, 4, 1)
VARIATIONS = (
    ("exact", 22),
    ("typo", 14),
    ("word_order", 10),
    ("legal_form", 14),
    ("transliteration", 14),
    ("missing_token", 10),
    ("punctuation_case", 16),
)


def _input_schema(name: str) -> pa.Schema:
    """An input's columns and types as admission declares them (omphalos.pipeline.admit.SPECS, the
    one declaration of the inputs' contracts), every field nullable as the writers write them."""
    return pa.schema([pa.field(f.name, f.type) for f in SPECS[name].arrow_schema])


SHIPMENTS_SCHEMA = _input_schema("shipments")
ENTITIES_SCHEMA = _input_schema("registry_entities")
NAMES_SCHEMA = _input_schema("registry_names")
IDENTIFIERS_SCHEMA = _input_schema("registry_identifiers")
TRUTH_SCHEMA = pa.schema(
    [
        ("shipment_id", pa.string()),
        ("role", pa.string()),
        ("party_name", pa.string()),
        ("entity_id", pa.string()),
        ("is_match", pa.bool_()),
        ("variation", pa.string()),
    ]
)
SCHEMAS: dict[str, pa.Schema] = {
    "shipments": SHIPMENTS_SCHEMA,
    "registry_entities": ENTITIES_SCHEMA,
    "registry_names": NAMES_SCHEMA,
    "registry_identifiers": IDENTIFIERS_SCHEMA,
    "truth": TRUTH_SCHEMA,
}

# --------------------------------------------------------------------------------------------
# Word pools
# --------------------------------------------------------------------------------------------

#: The word lists the generator draws names, addresses and goods words from: package data
#: (omphalos/tools/data/generate_words.json), one JSON array or object per list.
_words = WordLists.load("generate_words.json")

EN_GENERIC: tuple[str, ...] = _words.strs("EN_GENERIC")
DISTINCT: tuple[str, ...] = _words.strs("DISTINCT")
RU_DISTINCT: tuple[str, ...] = _words.strs("RU_DISTINCT")
RU_STEMS: tuple[str, ...] = _words.strs("RU_STEMS")
RU_GENERIC: tuple[str, ...] = _words.strs("RU_GENERIC")
RU_PREFIX: tuple[str, ...] = _words.strs("RU_PREFIX")
FA_DISTINCT: tuple[str, ...] = _words.strs("FA_DISTINCT")
FA_GENERIC: tuple[str, ...] = _words.strs("FA_GENERIC")
CN_CITIES: tuple[str, ...] = _words.strs("CN_CITIES")
CN_DISTINCT: tuple[str, ...] = _words.strs("CN_DISTINCT")
CN_GENERIC: tuple[str, ...] = _words.strs("CN_GENERIC")
KP_DISTINCT: tuple[str, ...] = _words.strs("KP_DISTINCT")
KP_GENERIC: tuple[str, ...] = _words.strs("KP_GENERIC")
AR_DISTINCT: tuple[str, ...] = _words.strs("AR_DISTINCT")
AR_GENERIC: tuple[str, ...] = _words.strs("AR_GENERIC")
TR_DISTINCT: tuple[str, ...] = _words.strs("TR_DISTINCT")
TR_GENERIC: tuple[str, ...] = _words.strs("TR_GENERIC")
ES_PREFIX: tuple[str, ...] = _words.strs("ES_PREFIX")
ES_DISTINCT: tuple[str, ...] = _words.strs("ES_DISTINCT")
ES_GENERIC: tuple[str, ...] = _words.strs("ES_GENERIC")
MM_DISTINCT: tuple[str, ...] = _words.strs("MM_DISTINCT")

# Person names.
RU_GIVEN_M: tuple[str, ...] = _words.strs("RU_GIVEN_M")
RU_GIVEN_F: tuple[str, ...] = _words.strs("RU_GIVEN_F")
RU_PATRONYMIC_M: tuple[str, ...] = _words.strs("RU_PATRONYMIC_M")
RU_PATRONYMIC_F: tuple[str, ...] = _words.strs("RU_PATRONYMIC_F")
RU_SURNAMES: tuple[str, ...] = _words.strs("RU_SURNAMES")
RU_DIMINUTIVES: dict[str, str] = _words.map("RU_DIMINUTIVES")
FA_GIVEN: tuple[str, ...] = _words.strs("FA_GIVEN")
FA_SURNAMES: tuple[str, ...] = _words.strs("FA_SURNAMES")
AR_GIVEN: tuple[str, ...] = _words.strs("AR_GIVEN")
AR_SURNAMES: tuple[str, ...] = _words.strs("AR_SURNAMES")
CN_SURNAMES: tuple[str, ...] = _words.strs("CN_SURNAMES")
CN_GIVEN: tuple[str, ...] = _words.strs("CN_GIVEN")
KP_SURNAMES: tuple[str, ...] = _words.strs("KP_SURNAMES")
KP_GIVEN: tuple[str, ...] = _words.strs("KP_GIVEN")
ES_GIVEN: tuple[str, ...] = _words.strs("ES_GIVEN")
ES_SURNAMES: tuple[str, ...] = _words.strs("ES_SURNAMES")
TR_GIVEN: tuple[str, ...] = _words.strs("TR_GIVEN")
TR_SURNAMES: tuple[str, ...] = _words.strs("TR_SURNAMES")
MM_NAMES: tuple[str, ...] = _words.strs("MM_NAMES")

VESSEL_WORDS: tuple[str, ...] = _words.strs("VESSEL_WORDS")
VESSEL_TYPES: tuple[str, ...] = _words.strs("VESSEL_TYPES")
VESSEL_FLAGS: tuple[str, ...] = _words.strs("VESSEL_FLAGS")
AIRCRAFT_MODELS: tuple[str, ...] = _words.strs("AIRCRAFT_MODELS")
TAIL_PREFIX: dict[str, str] = _words.map("TAIL_PREFIX")

CLEAN_DISTINCT: tuple[str, ...] = _words.strs("CLEAN_DISTINCT")
CLEAN_SURNAMES: tuple[str, ...] = _words.strs("CLEAN_SURNAMES")
CLEAN_CITIES: tuple[str, ...] = _words.strs("CLEAN_CITIES")
CLEAN_GENERIC: tuple[str, ...] = _words.strs("CLEAN_GENERIC")

# Near-brand collisions: a real-looking word close to a distinctive token (look-alike parties).
NEAR_BRAND: dict[str, str] = _words.map("NEAR_BRAND")

# Legal forms by culture; "" means no legal form.
LEGAL_SWAP: dict[str, tuple[str, ...]] = _words.lists_of("LEGAL_SWAP")
LEGAL_SPELLED: dict[str, str] = _words.map("LEGAL_SPELLED")
LEGAL_DOTTED: dict[str, str] = _words.map("LEGAL_DOTTED")
CLEAN_LEGAL: dict[str, tuple[str, ...]] = _words.lists_of("CLEAN_LEGAL")
CLEAN_COUNTRY_WEIGHTS = {
    "CN": 18, "US": 8, "DE": 7, "TR": 6, "AE": 6, "IN": 6, "HK": 5, "RU": 6, "KZ": 3, "JP": 3,
    "KR": 3, "IT": 3, "FR": 2, "GB": 2, "NL": 2, "SG": 3, "MY": 2, "VN": 3, "TW": 3, "TH": 2,
    "PL": 2, "AM": 1, "GE": 1, "KG": 1, "UZ": 1, "BY": 1, "IR": 1, "BR": 1, "MX": 1, "RS": 1,
}  # fmt: skip
TRANSIT_WEIGHTS = {
    "AE": 20, "TR": 15, "HK": 12, "KZ": 10, "AM": 8, "GE": 6, "KG": 6, "SG": 8, "MY": 5, "CN": 5,
    "UZ": 4, "RS": 3, "TH": 3, "IN": 3, "CY": 2,
}  # fmt: skip

CITIES: dict[str, tuple[str, ...]] = _words.lists_of("CITIES")
STREETS: tuple[str, ...] = _words.strs("STREETS")
STREET_SUFFIXES: tuple[str, ...] = _words.strs("STREET_SUFFIXES")
RU_STREETS: tuple[str, ...] = _words.strs("RU_STREETS")
CN_ROADS: tuple[str, ...] = _words.strs("CN_ROADS")
CN_DISTRICTS: tuple[str, ...] = _words.strs("CN_DISTRICTS")
AE_BUILDINGS: tuple[str, ...] = _words.strs("AE_BUILDINGS")
AE_ZONES: tuple[str, ...] = _words.strs("AE_ZONES")
POST_SOVIET = frozenset({"RU", "BY", "KZ", "KG", "UZ", "AM", "GE"})
CHINESE_STYLE = frozenset({"CN", "HK", "TW"})

# (HS subheading, description, weight): controlled chapters 28, 29, 84, 85, 88, 90, 93 and
# ordinary goods.
GOODS: tuple[tuple[str, str, float], ...] = (
    ("847130", "PORTABLE DIGITAL COMPUTERS (LAPTOPS)", 3),
    ("847150", "PROCESSING UNITS FOR AUTOMATIC DATA PROCESSING MACHINES", 2),
    ("847330", "PARTS AND ACCESSORIES OF COMPUTERS", 3),
    ("848620", "MACHINES FOR THE MANUFACTURE OF SEMICONDUCTOR DEVICES", 1),
    ("845811", "CNC HORIZONTAL LATHES FOR REMOVING METAL", 1.5),
    ("845961", "CNC MILLING MACHINES FOR METAL", 1.5),
    ("846693", "PARTS AND ACCESSORIES FOR MACHINE TOOLS", 2),
    ("847989", "MACHINES HAVING INDIVIDUAL FUNCTIONS, NES", 2),
    ("841191", "PARTS OF TURBOJETS AND TURBOPROPELLERS", 1),
    ("848340", "GEARS AND GEARING, BALL OR ROLLER SCREWS", 1.5),
    ("854231", "ELECTRONIC INTEGRATED CIRCUITS: PROCESSORS AND CONTROLLERS", 4),
    ("854232", "ELECTRONIC INTEGRATED CIRCUITS: MEMORIES", 2.5),
    ("854239", "ELECTRONIC INTEGRATED CIRCUITS, OTHER", 2.5),
    ("851762", "MACHINES FOR RECEPTION AND TRANSMISSION OF DATA", 3),
    ("852691", "RADIO NAVIGATIONAL AID APPARATUS (GNSS RECEIVERS)", 1.5),
    ("852692", "RADIO REMOTE CONTROL APPARATUS", 1),
    ("850440", "STATIC CONVERTERS", 2),
    ("853710", "BOARDS AND PANELS FOR ELECTRIC CONTROL", 1.5),
    ("880730", "PARTS OF AEROPLANES AND HELICOPTERS", 1),
    ("880622", "UNMANNED AIRCRAFT, MAX TAKE-OFF WEIGHT 250 G TO 7 KG", 0.6),
    ("880240", "AEROPLANES, UNLADEN WEIGHT EXCEEDING 15000 KG", 0.05),
    ("901320", "LASERS, OTHER THAN LASER DIODES", 0.6),
    ("901380", "OPTICAL DEVICES, APPLIANCES AND INSTRUMENTS, NES", 1),
    ("901420", "INSTRUMENTS FOR AERONAUTICAL OR SPACE NAVIGATION", 0.6),
    ("903082", "INSTRUMENTS FOR MEASURING SEMICONDUCTOR WAFERS", 0.4),
    ("903289", "AUTOMATIC REGULATING OR CONTROLLING INSTRUMENTS", 1.5),
    ("930690", "AMMUNITION AND PARTS THEREOF, NES", 0.1),
    ("930591", "PARTS AND ACCESSORIES OF MILITARY WEAPONS", 0.05),
    ("281111", "HYDROGEN FLUORIDE (HYDROFLUORIC ACID)", 0.3),
    ("281219", "CHLORIDES AND CHLORIDE OXIDES OF NON-METALS", 0.3),
    ("291819", "CARBOXYLIC ACIDS WITH ALCOHOL FUNCTION", 0.3),
    ("292119", "ACYCLIC MONOAMINES AND THEIR DERIVATIVES", 0.3),
    ("293100", "OTHER ORGANO-INORGANIC COMPOUNDS", 0.3),
    ("610910", "T-SHIRTS OF COTTON, KNITTED", 5),
    ("620342", "MEN'S TROUSERS OF COTTON", 4),
    ("611020", "JERSEYS AND PULLOVERS OF COTTON", 3),
    ("620462", "WOMEN'S TROUSERS OF COTTON", 3),
    ("940360", "WOODEN FURNITURE", 3),
    ("940171", "UPHOLSTERED SEATS WITH METAL FRAMES", 2),
    ("390110", "POLYETHYLENE, SPECIFIC GRAVITY BELOW 0.94", 3),
    ("392690", "ARTICLES OF PLASTICS, NES", 4),
    ("732690", "ARTICLES OF IRON OR STEEL, NES", 3),
    ("731815", "SCREWS AND BOLTS OF IRON OR STEEL", 3),
    ("870899", "PARTS AND ACCESSORIES OF MOTOR VEHICLES", 4),
    ("401110", "NEW PNEUMATIC TYRES FOR MOTOR CARS", 2),
    ("080810", "FRESH APPLES", 1.5),
    ("090111", "COFFEE, NOT ROASTED", 1.5),
    ("100199", "WHEAT AND MESLIN", 1.5),
    ("271019", "MEDIUM AND HEAVY PETROLEUM OILS", 1.5),
    ("720839", "FLAT-ROLLED IRON OR STEEL, HOT-ROLLED", 2),
    ("300490", "MEDICAMENTS IN MEASURED DOSES", 2),
    ("330499", "BEAUTY AND SKIN CARE PREPARATIONS", 2),
    ("640399", "FOOTWEAR WITH LEATHER UPPERS", 2),
    ("950300", "TOYS", 2.5),
    ("841510", "AIR CONDITIONING MACHINES, WALL MOUNTED", 1.5),
    ("850760", "LITHIUM-ION ACCUMULATORS", 2),
    ("851713", "SMARTPHONES", 3),
    ("852872", "TELEVISION RECEPTION APPARATUS", 2),
    ("842139", "FILTERING OR PURIFYING MACHINERY FOR GASES", 1),
    ("481910", "CARTONS AND BOXES OF CORRUGATED PAPER", 2),
    ("690721", "CERAMIC FLAGS AND TILES", 1.5),
    ("760612", "ALUMINIUM ALLOY PLATES AND SHEETS", 1.5),
)

# Alternative romanisations by name style: (from, to, where), where in any | start | end | word.
Rule = tuple[str, str, str]
TRANSLIT_RULES: dict[str, tuple[Rule, ...]] = {
    "ru": (
        ("KH", "H", "any"), ("KH", "CH", "any"), ("TS", "TZ", "any"), ("TS", "C", "any"),
        ("ZH", "J", "any"), ("SH", "SCH", "any"), ("CH", "TCH", "any"), ("YA", "IA", "any"),
        ("YU", "IU", "any"), ("IY", "Y", "end"), ("IY", "II", "end"), ("EI", "EY", "end"),
        ("EY", "EI", "end"), ("AI", "AY", "end"), ("KS", "X", "any"), ("V", "W", "end"),
        ("V", "FF", "end"), ("YO", "E", "any"), ("ELEKTRO", "ELECTRO", "start"),
        ("EKATERINA", "YEKATERINA", "word"), ("ELENA", "YELENA", "word"),
        ("EVGENIY", "YEVGENIY", "word"), ("YURI", "YURIY", "word"),
        ("ALEKSANDR", "ALEXANDER", "word"), ("ALEKSEI", "ALEXEY", "word"),
    ),
    "fa": (
        ("OU", "U", "any"), ("OO", "U", "any"), ("EE", "I", "any"), ("Q", "GH", "any"),
        ("GH", "Q", "any"), ("J", "DJ", "start"), ("EI", "EY", "any"), ("I", "Y", "end"),
        ("MOHAMMAD", "MOHAMMED", "word"), ("MOHAMMAD", "MUHAMMAD", "word"),
        ("HOSSEIN", "HUSSEIN", "word"), ("SAEED", "SAID", "word"),
    ),
    "ar": (
        ("OU", "U", "any"), ("OU", "OO", "any"), ("EE", "I", "any"), ("Q", "K", "any"),
        ("KH", "H", "start"), ("MUHAMMAD", "MOHAMED", "word"), ("MUHAMMAD", "MOHAMMED", "word"),
        ("HUSSEIN", "HUSSAIN", "word"), ("YOUSSEF", "YUSUF", "word"), ("AL", "EL", "word"),
    ),
    "cn": (
        ("X", "HS", "start"), ("ZH", "CH", "start"), ("Q", "CH", "start"), ("IAN", "IEN", "any"),
        ("ONG", "UNG", "end"),
    ),
    "kp": (
        ("RI", "LI", "word"), ("RI", "YI", "word"), ("PAK", "PARK", "word"),
        ("CHOE", "CHOI", "word"), ("JONG", "CHONG", "word"), ("KIM", "GIM", "word"),
        ("O", "OH", "word"), ("CHOL", "CHUL", "word"), ("YONG", "YOUNG", "word"),
    ),
    "tr": (
        ("C", "CH", "start"), ("S", "SH", "start"), ("U", "UE", "any"), ("O", "OE", "any"),
    ),
    "mm": (
        ("OO", "U", "any"), ("AUNG", "ONG", "word"), ("KYAW", "KYAU", "word"),
        ("HTUT", "HTOOT", "word"),
    ),
}  # fmt: skip

KEYBOARD = {
    "Q": "WA", "W": "QES", "E": "WRD", "R": "ETF", "T": "RYG", "Y": "TUH", "U": "YIJ", "I": "UOK",
    "O": "IPL", "P": "OL", "A": "QSZ", "S": "ADWX", "D": "SFEC", "F": "DGRV", "G": "FHTB",
    "H": "GJYN", "J": "HKUM", "K": "JLI", "L": "KO", "Z": "ASX", "X": "ZCS", "C": "XVD",
    "V": "CBF", "B": "VNG", "N": "BMH", "M": "NJ",
}  # fmt: skip


# Latin -> Cyrillic (the reverse of BGN/PCGN romanisation), longest match first. Letters are
# named rather than written so the source stays ASCII.
def _cyr(*names: str) -> str:
    return "".join(unicodedata.lookup(f"CYRILLIC CAPITAL LETTER {n}") for n in names)


LAT_TO_CYR: tuple[tuple[str, str], ...] = (
    ("SHCH", _cyr("SHCHA")), ("KH", _cyr("HA")), ("TS", _cyr("TSE")), ("CH", _cyr("CHE")),
    ("SH", _cyr("SHA")), ("ZH", _cyr("ZHE")), ("YA", _cyr("YA")), ("YU", _cyr("YU")),
    ("YO", _cyr("IO")), ("YE", _cyr("IE")), ("A", _cyr("A")), ("B", _cyr("BE")),
    ("V", _cyr("VE")), ("G", _cyr("GHE")), ("D", _cyr("DE")), ("E", _cyr("IE")),
    ("Z", _cyr("ZE")), ("I", _cyr("I")), ("Y", _cyr("YERU")), ("K", _cyr("KA")),
    ("L", _cyr("EL")), ("M", _cyr("EM")), ("N", _cyr("EN")), ("O", _cyr("O")), ("P", _cyr("PE")),
    ("R", _cyr("ER")), ("S", _cyr("ES")), ("T", _cyr("TE")), ("U", _cyr("U")), ("F", _cyr("EF")),
    ("C", _cyr("KA")), ("X", _cyr("KA", "ES")), ("W", _cyr("VE")), ("H", _cyr("HA")),
    ("J", _cyr("DE", "ZHE")), ("Q", _cyr("KA")),
)  # fmt: skip
CYR_SHORT_I = _cyr("SHORT I")
CYR_E = _cyr("E")  # initial E of loanwords in company names (ELEKTRO-)
# English words in Russian company names, as a Russian writes them (then spelled in Cyrillic).
RU_LOANWORDS = {
    "TECHNOLOGIES": "TEKHNOLODZHIS", "TECHNOLOGY": "TEKHNOLODZHI", "SYSTEMS": "SISTEMS",
    "TRADING": "TREYDING", "ENGINEERING": "INZHINIRING", "MACHINERY": "MASHINERI",
    "ELECTRONIC": "ELEKTRONIK", "TECH": "TEKH", "QUANTUM": "KVANTUM", "VECTOR": "VEKTOR",
}  # fmt: skip
VOWELS = frozenset("AEIOUY")
CYR_LEGAL = {"LLC": "OOO", "JSC": "AO", "PJSC": "PAO", "OJSC": "OAO"}
FRONT_LEGAL = frozenset({"OOO", "AO", "PAO", "ZAO", "OAO", "ODO", "UP"})  # written before the name
GUILLEMETS = ("\u00ab", "\u00bb")


# --------------------------------------------------------------------------------------------
# Cultures: which names, countries, programs and legal forms go together
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrgStyle:
    distinct: tuple[str, ...]
    generic: tuple[str, ...]
    prefixes: tuple[str, ...] = ()
    prefix_rate: float = 0.0
    compound: tuple[str, ...] = ()  # stems glued into one distinctive word (SPETS+TEKH)
    second_distinct_rate: float = 0.1
    generic_counts: tuple[int, int, int] = (15, 55, 30)  # weights of 0, 1, 2 generic words


ORG_STYLES: dict[str, _OrgStyle] = {
    "ru": _OrgStyle(
        DISTINCT + RU_DISTINCT, RU_GENERIC, RU_PREFIX, 0.25, RU_STEMS, 0.1, (30, 50, 20)
    ),
    "fa": _OrgStyle(FA_DISTINCT, FA_GENERIC, (), 0.0, (), 0.3, (15, 55, 30)),
    "cn": _OrgStyle(CN_DISTINCT, CN_GENERIC, CN_CITIES, 0.45, (), 0.05, (10, 60, 30)),
    "kp": _OrgStyle(KP_DISTINCT, KP_GENERIC, ("KOREA",), 0.5, (), 0.05, (20, 50, 30)),
    "ar": _OrgStyle(AR_DISTINCT, AR_GENERIC, ("AL",), 0.6, (), 0.1, (15, 60, 25)),
    "tr": _OrgStyle(TR_DISTINCT, TR_GENERIC, (), 0.0, (), 0.1, (10, 60, 30)),
    "es": _OrgStyle(ES_DISTINCT, ES_GENERIC, ES_PREFIX, 0.7, (), 0.1, (40, 45, 15)),
    "mm": _OrgStyle(MM_DISTINCT, EN_GENERIC, (), 0.0, (), 0.3, (10, 60, 30)),
    "intl": _OrgStyle(DISTINCT, EN_GENERIC, (), 0.0, (), 0.1, (10, 60, 30)),
}


@dataclass(frozen=True)
class _Culture:
    org_weight: int
    person_weight: int
    vessel_weight: int
    aircraft_weight: int
    home: tuple[str, ...]  # first listed country
    fronts: tuple[str, ...]  # optional second country
    programs: tuple[str, ...]  # main program first
    extra_programs: tuple[str, ...]
    legal_forms: tuple[str, ...]
    legal_front_rate: float
    org_style: str
    person_style: str


# Columns: org / person / vessel / aircraft weights, home countries, second countries, programs,
# extra programs, legal forms, share of legal forms written first, org style, person style.
# fmt: off
CULTURES: dict[str, _Culture] = {
    "ru": _Culture(
        30, 30, 25, 35, ("RU",), ("BY", "AE", "TR", "HK", "KZ", "AM", "CY"), ("RUSSIA-EO14024",),
        ("NPWMD",), ("OOO", "AO", "PAO", "ZAO", "LLC", "JSC", "PJSC", "OAO"), 0.4, "ru", "ru",
    ),
    "by": _Culture(
        4, 4, 0, 5, ("BY",), ("RU",), ("BELARUS",), ("RUSSIA-EO14024",),
        ("OOO", "OAO", "ZAO", "JSC", "LLC", "ODO", "UP"), 0.4, "ru", "ru",
    ),
    "ir": _Culture(
        18, 14, 40, 40, ("IR",), ("AE", "TR", "CN", "HK", "IQ", "OM"), ("IRAN",),
        ("NPWMD", "SDGT"), ("CO", "LTD", "PJSC", "CO LTD", "COMPANY"), 0.0, "fa", "fa",
    ),
    "cn": _Culture(
        12, 6, 5, 0, ("CN",), ("HK", "RU"), ("RUSSIA-EO14024", "NPWMD", "IRAN"), ("NPWMD",),
        ("CO LTD", "LIMITED", "LTD", "CORP"), 0.0, "cn", "cn",
    ),
    "hk": _Culture(
        4, 1, 0, 0, ("HK",), ("CN", "AE", "RU"), ("RUSSIA-EO14024", "IRAN", "DPRK"), (),
        ("LIMITED", "LTD", "CO LTD", "CO LIMITED"), 0.0, "cn", "cn",
    ),
    "kp": _Culture(
        5, 6, 15, 5, ("KP",), ("CN", "RU"), ("DPRK",), ("NPWMD",),
        ("CORPORATION", "CO", "", "COMPANY"), 0.0, "kp", "kp",
    ),
    "sy": _Culture(
        4, 6, 8, 10, ("SY",), ("LB", "AE", "IQ"), ("SYRIA",), ("SDGT",),
        ("LLC", "CO", "SARL", ""), 0.0, "ar", "ar",
    ),
    "lb": _Culture(
        3, 6, 0, 0, ("LB",), ("SY", "AE"), ("SDGT",), (), ("SAL", "SARL", "OFFSHORE SAL", "CO"),
        0.0, "ar", "ar",
    ),
    "ae": _Culture(
        7, 3, 0, 0, ("AE",), ("RU", "IR"), ("RUSSIA-EO14024", "IRAN", "SDGT"), (),
        ("FZE", "FZCO", "LLC", "DMCC", "FZ LLC"), 0.0, "ar", "ar",
    ),
    "tr": _Culture(
        5, 3, 0, 0, ("TR",), ("RU", "IR"), ("RUSSIA-EO14024", "IRAN"), (),
        ("TIC LTD STI", "AS", "LTD STI", "SAN VE TIC AS"), 0.0, "tr", "tr",
    ),
    "ve": _Culture(
        3, 4, 7, 5, ("VE",), ("CU", "IR"), ("VENEZUELA",), (), ("SA", "CA", "SRL"), 0.0, "es", "es"
    ),
    "cu": _Culture(2, 3, 0, 0, ("CU",), ("VE",), ("CUBA",), (), ("SA", "SRL", ""), 0.0, "es", "es"),
    "mm": _Culture(
        2, 3, 0, 0, ("MM",), ("SG", "TH"), ("BURMA",), (), ("CO LTD", "LIMITED", "LTD"), 0.0,
        "mm", "mm",
    ),
    "eu": _Culture(
        3, 1, 0, 0, ("DE", "NL", "IT", "CY", "LV"), ("RU", "CY"), ("RUSSIA-EO14024",), (),
        ("GMBH", "AG", "BV", "SRL", "SA", "LTD", "SIA", "OU"), 0.0, "intl", "ru",
    ),
    "sea": _Culture(
        2, 1, 0, 0, ("SG", "MY"), ("IR", "KP"), ("IRAN", "DPRK"), (),
        ("PTE LTD", "SDN BHD", "LTD", "INC", "CORP"), 0.0, "intl", "cn",
    ),
}
# fmt: on


def _legal_tokens() -> frozenset[str]:
    forms: list[str] = []
    for culture in CULTURES.values():
        forms.extend(culture.legal_forms)
    for legal in CLEAN_LEGAL.values():
        forms.extend(legal)
    for key, alts in LEGAL_SWAP.items():
        forms.append(key)
        forms.extend(alts)
    forms.extend(LEGAL_SPELLED.values())
    forms.extend(_to_cyrillic(CYR_LEGAL.get(f, f)) for f in ("OOO", "AO", "PAO", "ZAO", "OAO"))
    return frozenset(tok for form in forms for tok in form.split())


GENERIC_WORDS = frozenset(
    tok
    for pool in (
        EN_GENERIC, RU_GENERIC, RU_PREFIX, FA_GENERIC, CN_GENERIC, CN_CITIES, KP_GENERIC,
        ("KOREA", "AL"), AR_GENERIC, TR_GENERIC, ES_PREFIX, ES_GENERIC, CLEAN_GENERIC,
    )
    for word in pool
    for tok in word.split()
)  # fmt: skip


ENGLISH_WORDS = frozenset(
    tok for word in (*CLEAN_GENERIC, *CLEAN_DISTINCT, *DISTINCT) for tok in word.split()
)  # not respelled by transliteration

# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    """A Latin-script name: core tokens plus an optional legal form at the front or the end."""

    tokens: tuple[str, ...]
    legal: str | None = None
    legal_front: bool = False
    # a listed person name written surname first ("SOBOLEV, Viktor Ivanovich"): how many of the
    # tokens are the surname (0: display order, given names first, as the generator writes them)
    surname_tokens: int = 0

    def render(self) -> str:
        core = " ".join(self.tokens)
        if not self.legal:
            return core
        return f"{self.legal} {core}" if self.legal_front else f"{core} {self.legal}"


_DROP_CHARS = re.compile(r"['.\u2019]")
_NON_WORD = re.compile(r"[^\w]+")


def _norm_tokens(text: str) -> list[str]:
    return [t for t in _NON_WORD.split(_DROP_CHARS.sub("", text.upper())) if t]


def _norm(text: str) -> str:
    return " ".join(_norm_tokens(text))


def _key(text: str) -> tuple[str, ...]:
    """Order-free name key without legal forms: what makes two names the same party."""
    return tuple(sorted(t for t in _norm_tokens(text) if t not in LEGAL_TOKENS))


def _split_words(words: Sequence[str]) -> list[str]:
    return [tok for word in words for tok in word.split()]


def _to_cyrillic(text: str, company: bool = False) -> str:
    words = text.split(" ")
    if company:
        words = [RU_LOANWORDS.get(w, w) for w in words]
    return " ".join(_word_to_cyrillic(w, company) for w in words)


def _word_to_cyrillic(word: str, company: bool = False) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        prev_vowel = i > 0 and word[i - 1] in VOWELS
        at_end = i == len(word) - 1
        if ch == "Y" and prev_vowel and (at_end or word[i + 1] not in VOWELS):
            out.append(CYR_SHORT_I)
            i += 1
            continue
        if ch == "I" and prev_vowel and at_end and word[i - 1] != "I":
            out.append(CYR_SHORT_I)
            i += 1
            continue
        if ch == "E" and i == 0 and company:
            out.append(CYR_E)
            i += 1
            continue
        for lat, cyr in LAT_TO_CYR:
            if word.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            out.append(ch)
            i += 1
    return "".join(out)


LEGAL_TOKENS = _legal_tokens()


def _apply_rule(token: str, rule: tuple[str, str, str]) -> str | None:
    src, dst, where = rule
    if where == "word":
        return dst if token == src else None
    if where == "start":
        return dst + token[len(src) :] if token.startswith(src) and len(token) > len(src) else None
    if where == "end":
        return token[: -len(src)] + dst if token.endswith(src) and len(token) > len(src) else None
    return token.replace(src, dst, 1) if src in token else None


def _retransliterate(name: _Name, style: str, rng: Random) -> _Name | None:
    """The same name under another romanisation (one rule applied to one non-English token)."""
    options = [
        (i, alt)
        for i, tok in enumerate(name.tokens)
        if tok not in ENGLISH_WORDS
        for rule in TRANSLIT_RULES.get(style, ())
        if (alt := _apply_rule(tok, rule)) is not None
    ]
    if not options:
        return None
    i, alt = rng.choice(options)
    return replace(name, tokens=(*name.tokens[:i], alt, *name.tokens[i + 1 :]))


def _cyrillic_org(name: _Name) -> str:
    core = _to_cyrillic(" ".join(name.tokens), company=True)
    if not name.legal:
        return core
    legal = _to_cyrillic(CYR_LEGAL.get(name.legal, name.legal), company=True)
    return f"{legal} {GUILLEMETS[0]}{core}{GUILLEMETS[1]}"


def _cyrillic_person(name: _Name) -> str:
    """Russian official order: SURNAME GIVEN PATRONYMIC."""
    tokens = (name.tokens[-1], *name.tokens[:-1])
    return _to_cyrillic(" ".join(tokens))


def _pick(rng: Random, pool: Sequence[str], avoid: Sequence[str] = ()) -> str:
    while True:
        word = rng.choice(pool)
        if word not in avoid:
            return word


def _org_name(rng: Random, culture: _Culture, numbered: bool = False) -> _Name:
    style = ORG_STYLES[culture.org_style]
    words: list[str] = []
    if style.prefixes and rng.random() < style.prefix_rate:
        words.append(rng.choice(style.prefixes))
    if style.compound and rng.random() < 0.5:
        first = rng.choice(style.compound)
        words.append(first + _pick(rng, style.compound, (first,)))
    else:
        words.append(rng.choice(style.distinct))
    if rng.random() < style.second_distinct_rate:
        words.append(_pick(rng, style.distinct, words))
    n_generic = rng.choices((0, 1, 2), weights=style.generic_counts)[0]
    for _ in range(n_generic):
        words.append(_pick(rng, style.generic, words))
    if numbered:
        words.append(str(rng.randint(1, 999)))
    legal = rng.choice(culture.legal_forms) or None
    front = legal in FRONT_LEGAL and rng.random() < culture.legal_front_rate
    return _Name(tuple(_split_words(words)), legal, front)


def _ru_female_surname(surname: str) -> str:
    if surname.endswith(("OV", "EV", "IN", "YOV", "YN")):
        return surname + "A"
    return surname


def _person_name(rng: Random, style: str, extra: bool = False) -> _Name:
    """Display order: given names first, except Chinese and Korean names (surname first)."""
    if style == "ru":
        female = rng.random() < 0.25
        given = rng.choice(RU_GIVEN_F if female else RU_GIVEN_M)
        surname = rng.choice(RU_SURNAMES)
        tokens = [given]
        if rng.random() < 0.7:
            tokens.append(rng.choice(RU_PATRONYMIC_F if female else RU_PATRONYMIC_M))
        tokens.append(_ru_female_surname(surname) if female else surname)
    elif style == "fa":
        tokens = [rng.choice(FA_GIVEN)]
        if rng.random() < 0.2:
            tokens.append(_pick(rng, FA_GIVEN, tokens))
        tokens.append(rng.choice(FA_SURNAMES))
    elif style == "ar":
        tokens = [rng.choice(AR_GIVEN)]
        if rng.random() < 0.5:
            tokens.append(_pick(rng, AR_GIVEN, tokens))
        if rng.random() < 0.25:
            tokens.append("AL")
        tokens.append(rng.choice(AR_SURNAMES))
    elif style == "cn":
        tokens = [rng.choice(CN_SURNAMES), rng.choice(CN_GIVEN)]
    elif style == "kp":
        first = rng.choice(KP_GIVEN)
        tokens = [rng.choice(KP_SURNAMES), first, _pick(rng, KP_GIVEN, (first,))]
    elif style == "es":
        tokens = [rng.choice(ES_GIVEN)]
        if rng.random() < 0.4:
            tokens.append(_pick(rng, ES_GIVEN, tokens))
        tokens.append(rng.choice(ES_SURNAMES))
        if rng.random() < 0.6:
            tokens.append(_pick(rng, ES_SURNAMES, tokens))
    elif style == "tr":
        tokens = [rng.choice(TR_GIVEN), rng.choice(TR_SURNAMES)]
    else:
        tokens = rng.sample(MM_NAMES, rng.choice((2, 2, 3)))
    if extra:
        pool = {"ru": RU_GIVEN_M, "fa": FA_GIVEN, "ar": AR_GIVEN, "cn": CN_GIVEN, "kp": KP_GIVEN}
        tokens.insert(1, _pick(rng, pool.get(style, ES_GIVEN), tokens))
    return _Name(tuple(tokens))


def _vessel_name(rng: Random, numbered: bool = False) -> _Name:
    words = rng.sample(VESSEL_WORDS, rng.choice((1, 2, 2)))
    if numbered or rng.random() < 0.25:
        words.append(str(rng.randint(1, 99)))
    return _Name(tuple(words))


def _tail_number(rng: Random, culture: str) -> str:
    prefix = TAIL_PREFIX.get(culture, "EP-")
    if prefix in ("RA-", "EW-"):
        return prefix + f"{rng.randint(10000, 99999)}"
    if prefix == "YV":
        return prefix + f"{rng.randint(1000, 9999)}"
    if prefix == "P-":
        return prefix + f"{rng.randint(500, 999)}"
    return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass
class _Entity:
    entity_id: str
    kind: str
    culture: str
    primary: _Name
    countries: list[str]
    programs: list[str]
    aliases: list[_Name] = field(default_factory=list)
    cyrillic: str | None = None
    weak: str | None = None
    remarks: str | None = None
    identifiers: list[tuple[str, str, str | None]] = field(default_factory=list)
    # an entity of an existing registry (`generate --registry`): its names as listed, and the
    # listed spelling of each parsed name
    listed: tuple[str, ...] = ()
    texts: dict[_Name, str] = field(default_factory=dict)

    def names(self) -> list[str]:
        """The listed names, weak alias excluded."""
        if self.listed:
            return list(self.listed)
        names = [self.primary.render(), *(a.render() for a in self.aliases)]
        if self.cyrillic:
            names.append(self.cyrillic)
        return names

    def norms(self) -> set[str]:
        return {_norm(n) for n in self.names()}

    def text(self, name: _Name) -> str:
        """A name as the registry writes it (an existing registry's spelling, else rendered)."""
        return self.texts.get(name) or name.render()


def _drop_one(key: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if len(key) < 2:
        return
    for i in range(len(key)):
        yield key[:i] + key[i + 1 :]


@dataclass
class _Registry:
    entities: list[_Entity] = field(default_factory=list)
    owner: dict[tuple[str, ...], str] = field(default_factory=dict)  # name key -> entity_id
    near: set[tuple[str, ...]] = field(default_factory=set)  # keys one token short of a name
    weak_seen: set[str] = field(default_factory=set)
    id_values: set[str] = field(default_factory=set)

    def free(self, text: str) -> bool:
        key = _key(text)
        return bool(key) and key not in self.owner

    def claim(self, text: str, entity_id: str) -> None:
        key = _key(text)
        self.owner[key] = entity_id
        self.near.update(_drop_one(key))

    def confusable(self, text: str) -> bool:
        """True when a name could pass for a listed name (same key, or one token apart)."""
        key = _key(text)
        if not key or key in self.owner or key in self.near:
            return True
        return any(k in self.owner for k in _drop_one(key))

    def owner_of(self, text: str) -> str | None:
        return self.owner.get(_key(text))


def _unique_name(reg: _Registry, build: Callable[[bool], _Name]) -> _Name:
    for attempt in range(10_000):
        name = build(attempt >= 40)
        if reg.free(name.render()):
            return name
    raise RuntimeError("could not find a unique registry name; the word pools are exhausted")


def _countries(rng: Random, culture: _Culture) -> list[str]:
    home = rng.choice(culture.home)
    if culture.fronts and rng.random() < 0.25:
        second = rng.choice(culture.fronts)
        if second != home:
            return [home, second]
    return [home]


def _programs(rng: Random, culture: _Culture) -> list[str]:
    main = rng.choice(culture.programs)
    if culture.extra_programs and rng.random() < 0.2:
        extra = rng.choice(culture.extra_programs)
        if extra != main:
            return [main, extra]
    return [main]


def _digits(rng: Random, n: int, first: str = "") -> str:
    return first + "".join(str(rng.randrange(10)) for _ in range(n - len(first)))


def _unique_value(reg: _Registry, make: Callable[[], str]) -> str:
    while True:
        value = make()
        if value not in reg.id_values:
            reg.id_values.add(value)
            return value


def _imo(rng: Random) -> str:
    """An IMO ship number: 7 digits, the last a check digit over the first six."""
    head = [rng.choice((8, 9, 9, 9))] + [rng.randrange(10) for _ in range(5)]
    check = sum(d * w for d, w in zip(head, range(7, 1, -1), strict=True)) % 10
    return "".join(map(str, head)) + str(check)


def _registration(rng: Random, country: str) -> str:
    if country == "RU":
        return _digits(rng, 13, rng.choice("15"))
    if country == "BY":
        return _digits(rng, 9, "1")
    if country == "IR":
        return _digits(rng, 11, "10")
    if country in ("CN", "HK"):
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        return "91" + "".join(rng.choice(alphabet) for _ in range(16))
    return _digits(rng, 8)


def _passport(rng: Random, country: str) -> str:
    if country in ("RU", "BY"):
        return _digits(rng, 9, rng.choice(("72", "75", "76")))
    if country in ("IR", "CN"):
        return rng.choice("EGK") + _digits(rng, 8)
    if country == "KP":
        return _digits(rng, 9, "83")
    return rng.choice("ABCNP") + _digits(rng, 7)


def _org_identifiers(
    rng: Random, reg: _Registry, country: str
) -> list[tuple[str, str, str | None]]:
    ids: list[tuple[str, str, str | None]] = []
    if rng.random() < 0.7:
        ids.append(
            ("REGISTRATION", _unique_value(reg, lambda: _registration(rng, country)), country)
        )
    if rng.random() < 0.4:
        length = 10 if country == "RU" else 12
        ids.append(("TAX_ID", _unique_value(reg, lambda: _digits(rng, length, "7")), country))
    return ids


def _alias_for_org(rng: Random, ent: _Entity, culture: _Culture) -> _Name | None:
    kind = rng.choice(("translit", "spelled", "trade", "former"))
    name = ent.primary
    if kind == "translit":
        return _retransliterate(name, culture.org_style, rng)
    if kind == "spelled":
        if name.legal not in LEGAL_SPELLED:
            return None
        return replace(name, legal=LEGAL_SPELLED[name.legal], legal_front=False)
    if kind == "trade":
        distinct = [t for t in name.tokens if t not in GENERIC_WORDS]
        if not distinct:
            return None
        generic = _pick(rng, ORG_STYLES[culture.org_style].generic, name.tokens)
        legal = rng.choice(culture.legal_forms) or None
        return _Name(tuple(_split_words([*distinct, generic])), legal)
    return _org_name(rng, culture)


def _alias_for_person(rng: Random, ent: _Entity, culture: _Culture) -> _Name | None:
    if rng.random() < 0.7:
        return _retransliterate(ent.primary, culture.person_style, rng)
    tokens = list(ent.primary.tokens)
    if culture.person_style == "ar":
        return _Name(tuple(t for t in tokens if t != "AL")) if "AL" in tokens else None
    if len(tokens) >= 3:
        return _Name((tokens[0], tokens[-1]))
    return None


def _weak_alias(rng: Random, ent: _Entity, culture: _Culture) -> str | None:
    tokens = ent.primary.tokens
    if ent.kind == "organization":
        distinct = [t for t in tokens if t not in GENERIC_WORDS and len(t) >= 4]
        if distinct and rng.random() < 0.6:
            return rng.choice(distinct)
        return "".join(t[0] for t in tokens) if len(tokens) >= 3 else None
    style = culture.person_style
    if style == "ru":
        return RU_DIMINUTIVES.get(tokens[0], tokens[-1])
    if style == "ar":
        return f"ABU {rng.choice(AR_GIVEN)}"
    if style == "fa":
        return f"HAJ {tokens[0]}"
    return tokens[-1]


def _add_aliases(rng: Random, reg: _Registry, ent: _Entity, culture: _Culture, count: int) -> None:
    make = _alias_for_org if ent.kind == "organization" else _alias_for_person
    for _ in range(count * 3):
        if len(ent.aliases) >= count:
            break
        alias = make(rng, ent, culture)
        if alias is None or _norm(alias.render()) in ent.norms():
            continue
        owner = reg.owner_of(alias.render())
        if owner is not None and owner != ent.entity_id:
            continue
        ent.aliases.append(alias)
        reg.claim(alias.render(), ent.entity_id)


def _remarks(rng: Random, reg: _Registry, ent: _Entity) -> str | None:
    roll = rng.random()
    if ent.kind == "organization":
        if roll < 0.3 and reg.entities:
            other = reg.entities[rng.randrange(len(reg.entities))]
            return f"Linked To: {other.primary.render()}"
        if roll < 0.45:
            tld = {"RU": "ru", "IR": "ir", "CN": "cn", "TR": "com.tr"}.get(ent.countries[0], "com")
            words = [t for t in ent.primary.tokens if t not in GENERIC_WORDS] or ent.primary.tokens
            return f"Website www.{'-'.join(words[:2]).lower()}.{tld}"
        return None
    if roll < 0.7:
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 45))
        return f"DOB {dob.isoformat()}; nationality {ent.countries[0]}"
    return None


def _make_entity(
    rng: Random, reg: _Registry, entity_id: str, kind: str, culture_code: str
) -> _Entity:
    culture = CULTURES[culture_code]
    countries = _countries(rng, culture)
    programs = _programs(rng, culture)
    if kind == "organization":
        primary = _unique_name(reg, lambda numbered: _org_name(rng, culture, numbered))
    elif kind == "person":
        primary = _unique_name(reg, lambda extra: _person_name(rng, culture.person_style, extra))
    elif kind == "vessel":
        primary = _unique_name(reg, lambda numbered: _vessel_name(rng, numbered))
    else:
        primary = _unique_name(reg, lambda _: _Name((_tail_number(rng, culture_code),)))
    ent = _Entity(entity_id, kind, culture_code, primary, countries, programs)
    reg.claim(primary.render(), entity_id)
    if kind in PARTY_KINDS:
        _add_party_names(rng, reg, ent, culture)
    else:
        _add_craft_details(rng, reg, ent)
    if ent.remarks is None:
        ent.remarks = _remarks(rng, reg, ent)
    return ent


def _add_party_names(rng: Random, reg: _Registry, ent: _Entity, culture: _Culture) -> None:
    """Aliases, Cyrillic alias, weak alias and identifiers of an organization or person."""
    if ent.kind == "organization":
        count = rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]
    else:
        count = rng.choices((0, 1, 2), weights=(45, 40, 15))[0]
    _add_aliases(rng, reg, ent, culture, count)
    if ent.culture in ("ru", "by") and rng.random() < 0.55:
        cyr = (
            _cyrillic_org(ent.primary)
            if ent.kind == "organization"
            else _cyrillic_person(ent.primary)
        )
        if reg.free(cyr):
            ent.cyrillic = cyr
            reg.claim(cyr, ent.entity_id)
    if rng.random() < 0.15:
        weak = _weak_alias(rng, ent, culture)
        if weak and _norm(weak) not in reg.weak_seen and _norm(weak) not in ent.norms():
            reg.weak_seen.add(_norm(weak))
            ent.weak = weak
    country = ent.countries[0]
    if ent.kind == "organization":
        ent.identifiers = _org_identifiers(rng, reg, country)
    elif rng.random() < 0.6:
        ent.identifiers = [
            ("PASSPORT", _unique_value(reg, lambda: _passport(rng, country)), country)
        ]


def _add_craft_details(rng: Random, reg: _Registry, ent: _Entity) -> None:
    """Former names, IMO / MSN identifiers and remarks of a vessel or aircraft."""
    if ent.kind == "vessel":
        for _ in range(rng.choices((0, 1, 2), weights=(40, 40, 20))[0]):
            former = _vessel_name(rng)
            if reg.free(former.render()):
                ent.aliases.append(former)
                reg.claim(former.render(), ent.entity_id)
        flag = rng.choice(VESSEL_FLAGS)
        ent.identifiers = [("IMO", _unique_value(reg, lambda: _imo(rng)), flag)]
        ent.remarks = (
            f"Vessel Type {rng.choice(VESSEL_TYPES)}; Vessel Flag {flag}; "
            f"Build Year {rng.randint(1985, 2015)}"
        )
        return
    msn = _unique_value(reg, lambda: _digits(rng, 5))
    ent.identifiers = [("MSN", msn, None)]
    operators = [e for e in reg.entities[-200:] if e.kind == "organization"]
    operator = f"; Operator {rng.choice(operators).primary.render()}" if operators else ""
    ent.remarks = f"Aircraft Model {rng.choice(AIRCRAFT_MODELS)}; MSN {msn}{operator}"


def _build_registry(rng: Random, count: int) -> _Registry:
    reg = _Registry()
    width = max(6, len(str(count)))
    kinds = rng.choices(KINDS, weights=KIND_WEIGHTS, k=count)
    codes = list(CULTURES)
    weights = {
        "organization": [c.org_weight for c in CULTURES.values()],
        "person": [c.person_weight for c in CULTURES.values()],
        "vessel": [c.vessel_weight for c in CULTURES.values()],
        "aircraft": [c.aircraft_weight for c in CULTURES.values()],
    }
    for i, kind in enumerate(kinds, start=1):
        culture_code = rng.choices(codes, weights=weights[kind])[0]
        reg.entities.append(_make_entity(rng, reg, f"DEMO-{i:0{width}d}", kind, culture_code))
    return reg


def _table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    arrays = [pa.array(col, f.type) for col, f in zip(columns, schema, strict=True)]
    return pa.table(arrays, schema=schema)


def _listed_names(ent: _Entity) -> list[tuple[str, str, str]]:
    """(name, name_type, script) rows of one entity, the primary name first."""
    names = [(ent.primary.render(), "primary", "latin")]
    names.extend((a.render(), "alias", "latin") for a in ent.aliases)
    if ent.cyrillic:
        names.append((ent.cyrillic, "alias", "cyrillic"))
    if ent.weak:
        names.append((ent.weak, "weak_alias", "latin"))
    return names


def _registry_tables(reg: _Registry) -> dict[str, pa.Table]:
    entities: list[tuple[Any, ...]] = []
    names: list[tuple[Any, ...]] = []
    identifiers: list[tuple[Any, ...]] = []
    for ent in reg.entities:
        countries, programs = ";".join(ent.countries), ";".join(ent.programs)
        entities.append(
            (ent.entity_id, SOURCE_LIST, LIST_DATE, ent.kind, ent.primary.render(), countries,
             programs, ent.remarks)
        )  # fmt: skip
        for k, (text, name_type, script) in enumerate(_listed_names(ent), start=1):
            names.append((f"{ent.entity_id}-N{k}", ent.entity_id, text, name_type, script))
        for k, (id_type, value, country) in enumerate(ent.identifiers, start=1):
            identifiers.append((f"{ent.entity_id}-I{k}", ent.entity_id, id_type, value, country))
    return {
        "registry_entities": _table(entities, ENTITIES_SCHEMA),
        "registry_names": _table(names, NAMES_SCHEMA),
        "registry_identifiers": _table(identifiers, IDENTIFIERS_SCHEMA),
    }


# --------------------------------------------------------------------------------------------
# Name variations (true matches) and look-alikes
# --------------------------------------------------------------------------------------------


def _typo(name: _Name, ent: _Entity, rng: Random) -> str | None:
    """One substitution (neighbouring key), deletion or transposition in a token of 5+ letters."""
    options = [i for i, t in enumerate(name.tokens) if len(t) >= 5 and t.isalpha() and t.isascii()]
    if not options:
        return None
    i = rng.choice(options)
    tok = name.tokens[i]
    pos = rng.randrange(1, len(tok) - 1)
    op = rng.choice(("substitute", "delete", "transpose"))
    if op == "transpose" and tok[pos] != tok[pos + 1]:
        new = tok[:pos] + tok[pos + 1] + tok[pos] + tok[pos + 2 :]
    elif op == "delete":
        new = tok[:pos] + tok[pos + 1 :]
    else:
        new = tok[:pos] + rng.choice(KEYBOARD.get(tok[pos], "E")) + tok[pos + 1 :]
    return replace(name, tokens=(*name.tokens[:i], new, *name.tokens[i + 1 :])).render()


def _word_order(name: _Name, ent: _Entity, rng: Random) -> str | None:
    tokens = list(name.tokens)
    if len(tokens) < 2:
        return None
    if ent.kind == "person" and name.surname_tokens:  # listed surname first: given names first
        k = name.surname_tokens
        reordered = [*tokens[k:], *tokens[:k]]
    elif ent.kind == "person":
        head = tokens[-1] + ("," if rng.random() < 0.5 else "")
        reordered = [head, *tokens[:-1]]
    else:
        i, j = rng.sample(range(len(tokens)), 2)
        tokens[i], tokens[j] = tokens[j], tokens[i]
        reordered = tokens
    if [t.rstrip(",") for t in reordered] == list(name.tokens):
        return None
    return replace(name, tokens=tuple(reordered)).render()


def _legal_form(name: _Name, ent: _Entity, rng: Random) -> str | None:
    """Swap (LLC <-> OOO, GMBH <-> LTD ...), spell out, drop or move the legal form."""
    if not name.legal:
        return None
    options = [replace(name, legal=alt) for alt in LEGAL_SWAP.get(name.legal, ())]
    if name.legal in LEGAL_SPELLED:
        options.append(replace(name, legal=LEGAL_SPELLED[name.legal], legal_front=False))
    if ent.listed:  # a listed spelled-out form (LIMITED LIABILITY COMPANY) abbreviated (LLC, OOO)
        options.extend(
            replace(name, legal=abbr, legal_front=abbr in FRONT_LEGAL and name.legal_front)
            for abbr in SPELLED_ABBREVIATIONS.get(name.legal, ())
        )
    options.append(replace(name, legal=None))
    options.append(replace(name, legal_front=not name.legal_front))
    return rng.choice(options).render()


def _transliteration(name: _Name, ent: _Entity, rng: Random) -> str | None:
    """Another romanisation of one token, or the listed Cyrillic spelling itself."""
    if ent.cyrillic and rng.random() < 0.35:
        return ent.cyrillic
    culture = CULTURES[ent.culture]
    style = culture.org_style if ent.kind == "organization" else culture.person_style
    alt = _retransliterate(name, style, rng)
    if alt is None:
        return ent.cyrillic
    return alt.render()


def _missing_token(name: _Name, ent: _Entity, rng: Random) -> str | None:
    """Drop one core token of a 3+ token name (a middle name, a generic word, a prefix)."""
    tokens = name.tokens
    if len(tokens) < 3:
        return None
    if ent.kind == "person" and name.surname_tokens:  # a second given name or patronymic
        if len(tokens) < name.surname_tokens + 2:
            return None
        i = rng.randrange(name.surname_tokens + 1, len(tokens))
    elif ent.kind == "person":
        i = rng.randrange(1, len(tokens) - 1)
    else:
        distinct = [k for k, t in enumerate(tokens) if t not in GENERIC_WORDS]
        generic = [k for k, t in enumerate(tokens) if t in GENERIC_WORDS]
        i = rng.randrange(len(tokens)) if len(distinct) >= 2 or not generic else rng.choice(generic)
    return replace(name, tokens=tokens[:i] + tokens[i + 1 :]).render()


def _punctuation_case(name: _Name, ent: _Entity, rng: Random) -> str | None:
    """Same words, other punctuation and case: commas, dots, hyphens, quotes, lower/title case."""
    tokens = list(name.tokens)
    legal = name.legal
    comma = quotes = False
    ops = ["hyphen"] if len(tokens) >= 2 else []
    if legal:
        ops += ["dots", "quotes" if name.legal_front else "comma"]
    if ops and rng.random() < 0.75:
        op = rng.choice(ops)
        if op == "hyphen":
            i = rng.randrange(len(tokens) - 1)
            tokens[i : i + 2] = [f"{tokens[i]}-{tokens[i + 1]}"]
        elif op == "dots" and legal:
            legal = LEGAL_DOTTED.get(legal, legal.replace(" ", ". ") + ".")
        elif op == "quotes":
            quotes = True
        else:
            comma = True
    core = " ".join(tokens)
    if quotes:
        core = f'"{core}"'
    if legal:
        text = f"{legal} {core}" if name.legal_front else f"{core}{',' if comma else ''} {legal}"
    else:
        text = core
    case = rng.random()
    if case < 0.45 or text == name.render():
        text = text.title()
    elif case < 0.7:
        text = text.lower()
    return text if text != name.render() else None


VARIATION_FUNCS: dict[str, Callable[[_Name, _Entity, Random], str | None]] = {
    "typo": _typo,
    "word_order": _word_order,
    "legal_form": _legal_form,
    "transliteration": _transliteration,
    "missing_token": _missing_token,
    "punctuation_case": _punctuation_case,
}
VARIATION_NAMES = tuple(v for v, _ in VARIATIONS)
ALL_VARIATION_NAMES = VARIATION_NAMES + tuple(v for v, _ in VESSEL_VARIATIONS)
VARIATION_CUM = tuple(itertools.accumulate(w for _, w in VARIATIONS))


def _true_variant(rng: Random, ent: _Entity, reg: _Registry) -> tuple[str, str]:
    """A noisy variant of one of the entity's names (primary mostly), and the kind of noise."""
    names = [ent.primary, *ent.aliases]
    first = 0 if len(names) == 1 or rng.random() < 0.7 else rng.randrange(1, len(names))
    names = names[first:] + names[:first]
    for _ in range(8):
        variation = rng.choices(VARIATION_NAMES, cum_weights=VARIATION_CUM)[0]
        if variation == "exact":
            break
        for base in names:  # the first name the variation applies to
            text = VARIATION_FUNCS[variation](base, ent, rng)
            if text is not None and _acceptable(text, ent, reg, variation):
                return text, variation
    return ent.text(names[0]), "exact"


def _acceptable(text: str, ent: _Entity, reg: _Registry, variation: str) -> bool:
    if not _norm_tokens(text):
        return False
    owner = reg.owner_of(text)
    if owner is not None and owner != ent.entity_id:
        return False  # the variant would be another entity's listed name
    if variation == "punctuation_case":
        return text not in ent.names()
    if variation == "transliteration" and text == ent.cyrillic:
        return True
    return _norm(text) not in ent.norms()  # not just another listed name of the entity


def _near_brand(word: str, rng: Random) -> str | None:
    """A real-looking word close to `word`: ORION -> ORIENT, SPETSTEKH -> SPETSSNAB."""
    if word in NEAR_BRAND:
        return NEAR_BRAND[word]
    for stem in RU_STEMS:
        rest = word[len(stem) :]
        if word.startswith(stem) and rest in RU_STEMS:
            return stem + _pick(rng, RU_STEMS, (stem, rest))
    return None


def _lookalike(rng: Random, ent: _Entity) -> str | None:
    """A different party with a similar name: another distinctive word, same generic words."""
    name = ent.primary
    tokens = list(name.tokens)
    if ent.kind == "person":
        style = CULTURES[ent.culture].person_style
        pools = {"ru": RU_GIVEN_M, "fa": FA_GIVEN, "ar": AR_GIVEN, "cn": CN_GIVEN, "kp": KP_GIVEN}
        pools |= {"es": ES_GIVEN, "tr": TR_GIVEN, "mm": MM_NAMES}
        # keep the surname, change the (first) given name
        i = name.surname_tokens or (1 if style in ("cn", "kp") else 0)
        tokens[i] = _pick(rng, pools[style], tokens)
        return _Name(tuple(tokens)).render()
    distinct = [k for k, t in enumerate(tokens) if t not in GENERIC_WORDS and t.isalpha()]
    if not distinct:
        return None
    i = rng.choice(distinct)
    org_style = ORG_STYLES[CULTURES[ent.culture].org_style]
    near = _near_brand(tokens[i], rng)
    if near is not None and (len(tokens) < 3 or rng.random() < 0.6):
        tokens[i] = near
    elif len(tokens) >= 3:  # enough shared words left to look alike
        tokens[i] = _pick(rng, org_style.distinct + CLEAN_DISTINCT, tokens)
    else:
        return None
    legal = name.legal if rng.random() < 0.6 else rng.choice(CULTURES[ent.culture].legal_forms)
    return _Name(tuple(tokens), legal or None, name.legal_front).render()


# --------------------------------------------------------------------------------------------
# Clean parties and planted parties
# --------------------------------------------------------------------------------------------


def _address(rng: Random, country: str) -> str:
    city = rng.choice(CITIES[country])
    number = rng.randint(1, 250)
    if country in POST_SOVIET:
        return f"UL. {rng.choice(RU_STREETS)} D. {number}, {city}"
    if country in CHINESE_STYLE:
        district = rng.choice(CN_DISTRICTS)
        return f"NO. {number} {rng.choice(CN_ROADS)} ROAD, {district} DISTRICT, {city}"
    if country == "AE":
        return f"OFFICE {number}, {rng.choice(AE_BUILDINGS)} TOWER, {rng.choice(AE_ZONES)}, {city}"
    return f"{number} {rng.choice(STREETS)} {rng.choice(STREET_SUFFIXES)}, {city}"


@dataclass
class _Pool:
    """Clean (never listed) trading companies; the feed samples parties from here by index."""

    names: list[str] = field(default_factory=list)
    addresses: list[str | None] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    # clean (never listed) ships: names and IMO numbers, by index
    vessel_names: list[str] = field(default_factory=list)
    vessel_imos: list[str] = field(default_factory=list)


def _clean_name(rng: Random, country: str) -> str:
    words: list[str] = []
    if rng.random() < 0.2:
        words.append(rng.choice(CLEAN_CITIES))
    roll = rng.random()
    pool = CLEAN_SURNAMES if roll < 0.25 else DISTINCT if roll < 0.32 else CLEAN_DISTINCT
    words.append(rng.choice(pool))
    for _ in range(rng.choices((0, 1, 2), weights=(10, 65, 25))[0]):
        words.append(_pick(rng, CLEAN_GENERIC, words))
    return _Name(tuple(_split_words(words)), rng.choice(CLEAN_LEGAL[country])).render()


def _clean_pool(rng: Random, size: int, reg: _Registry) -> _Pool:
    pool = _Pool()
    seen: set[str] = set()
    codes = list(CLEAN_COUNTRY_WEIGHTS)
    cum = list(itertools.accumulate(CLEAN_COUNTRY_WEIGHTS.values()))
    attempts = 0
    while len(pool.names) < size:
        attempts += 1
        if attempts > 50 * size + 1000:
            raise RuntimeError("could not build the clean party pool; the word pools are exhausted")
        shared = bool(pool.names) and rng.random() < 0.03
        j = rng.randrange(len(pool.names)) if shared else -1
        country = pool.countries[j] if shared else rng.choices(codes, cum_weights=cum)[0]
        name = _clean_name(rng, country)
        if _norm(name) in seen or reg.confusable(name):
            continue
        seen.add(_norm(name))
        pool.names.append(name)
        pool.countries.append(country)
        if shared:
            pool.addresses.append(pool.addresses[j])
        else:
            pool.addresses.append(None if rng.random() < 0.04 else _address(rng, country))
    return pool


@dataclass(frozen=True)
class _Plant:
    row: int  # 0-based shipment row
    role: str
    name: str
    address: str | None
    country: str | None
    entity_id: str
    is_match: bool
    variation: str
    imo: str | None = None  # role "vessel": the IMO number written in the feed


@dataclass
class _Plan:
    plants: list[_Plant]
    hot_entities: list[str]


def _weighted_pick(rng: Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    return rng.choices(items, cum_weights=cum)[0]


def _role(rng: Random) -> str:
    return str(rng.choices(ROLES, weights=ROLE_WEIGHTS)[0])


def _hub(rng: Random) -> str:
    return str(rng.choices(list(TRANSIT_WEIGHTS), weights=list(TRANSIT_WEIGHTS.values()))[0])


def _plant_country(rng: Random, ent: _Entity) -> str:
    roll = rng.random()
    if roll < 0.8:
        return ent.countries[0]
    if roll < 0.9:
        return ent.countries[-1]
    return _hub(rng)


def _plant_address(rng: Random, country: str, pool: _Pool) -> str | None:
    roll = rng.random()
    if roll < 0.1:
        return pool.addresses[rng.randrange(len(pool.addresses))]  # a front at a shared address
    if roll < 0.15:
        return None
    return _address(rng, country) if country in CITIES else None


def _plan_plants(rng: Random, n: int, reg: _Registry, pool: _Pool) -> _Plan:
    parties = [e for e in reg.entities if e.kind in PARTY_KINDS]
    orgs = [e for e in parties if e.kind == "organization"]
    if n == 0 or not parties:
        return _Plan([], [])
    n_true = round(n * TRUE_MATCH_RATE)
    n_look = min(n - n_true, round(n * LOOKALIKE_RATE))
    n_hot = min(n - n_true - n_look, round(n * HOT_MATCH_RATE)) if orgs else 0
    rows = rng.sample(range(n), n_true + n_look + n_hot)
    cum = list(itertools.accumulate(3.0 if e.kind == "organization" else 1.0 for e in parties))
    plants: list[_Plant] = []
    for row in rows[:n_true]:
        ent = _weighted_pick(rng, parties, cum)
        text, variation = _true_variant(rng, ent, reg)
        country = _plant_country(rng, ent)
        address = _plant_address(rng, country, pool)
        plants.append(
            _Plant(row, _role(rng), text, address, country, ent.entity_id, True, variation)
        )
    for row in rows[n_true : n_true + n_look]:
        plant = _lookalike_plant(rng, row, parties, cum, reg, pool)
        if plant is not None:
            plants.append(plant)
    hot = rng.sample(orgs, min(len(HOT_ENTITY_WEIGHTS), len(orgs))) if n_hot else []
    plants.extend(_hot_plants(rng, rows[n_true + n_look :], hot, reg, pool))
    plants.sort(key=lambda p: p.row)
    planted = {p.entity_id for p in plants}
    return _Plan(plants, [e.entity_id for e in hot if e.entity_id in planted])


def _add_clean_vessels(rng: Random, pool: _Pool, reg: _Registry, size: int) -> None:
    """Ships that are not listed: names no listed vessel has, IMO numbers no entity holds."""
    seen: set[str] = set()
    attempts = 0
    while len(pool.vessel_names) < size and attempts < 50 * size:
        attempts += 1
        name = _vessel_name(rng).render()
        if _norm(name) in seen or reg.confusable(name):
            continue
        seen.add(_norm(name))
        pool.vessel_names.append(name)
        pool.vessel_imos.append(_unique_value(reg, lambda: _imo(rng)))


def _vessel_plants(
    rng: Random, n: int, reg: _Registry, pool: _Pool, party_plants: Sequence[_Plant]
) -> list[_Plant]:
    """Shipments carried by listed vessels (true matches) and by ships that only share a listed
    vessel's name (another IMO number: look-alikes)."""
    # a vessel of an existing registry may have no IMO number: planted by name alone, and never
    # as a look-alike (another IMO number contradicts nothing the list says)
    vessels = [e for e in reg.entities if e.kind == "vessel" and (e.identifiers or e.listed)]
    numbered = [e for e in vessels if e.identifiers]
    if n == 0 or not vessels or not pool.vessel_names:
        return []
    n_true = round(n * VESSEL_MATCH_RATE)
    n_look = round(n * VESSEL_LOOKALIKE_RATE)
    rows = rng.sample(range(n), min(n, n_true + n_look))
    names = [v for v, _ in VESSEL_VARIATIONS]
    weights = [w for _, w in VESSEL_VARIATIONS]
    plants = []
    for i, row in enumerate(rows):
        if i >= n_true and not numbered:
            break
        ent = rng.choice(numbered if i >= n_true else vessels)
        imo = ent.identifiers[0][1] if ent.identifiers else None
        listed = ent.text(rng.choice([ent.primary, *ent.aliases]))
        if i >= n_true:
            other = _unique_value(reg, lambda: _imo(rng))
            plants.append(
                _Plant(
                    row,
                    "vessel",
                    listed,
                    None,
                    None,
                    ent.entity_id,
                    False,
                    "vessel_other_imo",
                    other,
                )
            )
            continue
        variation = rng.choices(names, weights=weights)[0]
        if imo is None:
            variation = "vessel_name_only"
        if variation == "vessel_renamed":
            text, number = pool.vessel_names[rng.randrange(len(pool.vessel_names))], imo
        elif variation == "vessel_name_only":
            text, number = listed, None
        else:
            text, number = listed, imo
        plants.append(
            _Plant(row, "vessel", text, None, None, ent.entity_id, True, variation, number)
        )
    return plants


def _lookalike_plant(
    rng: Random, row: int, parties: list[_Entity], cum: list[float], reg: _Registry, pool: _Pool
) -> _Plant | None:
    for _ in range(20):
        ent = _weighted_pick(rng, parties, cum)
        text = _lookalike(rng, ent)
        if text is None or reg.confusable(text):
            continue
        country = ent.countries[0] if rng.random() < 0.5 else _hub(rng)
        address = _plant_address(rng, country, pool)
        return _Plant(row, _role(rng), text, address, country, ent.entity_id, False, "lookalike")
    return None


def _hot_plants(
    rng: Random, rows: Sequence[int], hot: list[_Entity], reg: _Registry, pool: _Pool
) -> list[_Plant]:
    """A handful of listed entities that trade often, under two or three stable spellings."""
    if not hot:
        return []
    spellings = []
    for ent in hot:
        names = [(ent.text(ent.primary), "exact")]
        names.extend(_true_variant(rng, ent, reg) for _ in range(2))
        country = ent.countries[0]
        spellings.append((ent, names, country, _plant_address(rng, country, pool)))
    ent_cum = list(itertools.accumulate(HOT_ENTITY_WEIGHTS[: len(hot)]))
    plants = []
    for row in rows:
        ent, names, country, address = _weighted_pick(rng, spellings, ent_cum)
        text, variation = _weighted_pick(rng, names, (70, 90, 100))
        role = str(rng.choices(ROLES, weights=(15, 75, 10))[0])
        plants.append(_Plant(row, role, text, address, country, ent.entity_id, True, variation))
    return plants


# --------------------------------------------------------------------------------------------
# Vectorised feed columns
# --------------------------------------------------------------------------------------------


class _Draw:
    """Bulk random numbers from one `random.Random`, shaped with pyarrow compute (no numpy)."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng

    def u32(self, n: int) -> pa.Array:
        raw = self.rng.getrandbits(32 * n).to_bytes(4 * n, "little") if n else b""
        return pa.Array.from_buffers(pa.uint32(), n, [None, pa.py_buffer(raw)])

    def uniform(self, n: int) -> pa.Array:
        """Floats in (0, 1)."""
        return pc.divide(pc.add(self.u32(n).cast(pa.float64()), 0.5), 2.0**32)

    def index(self, n: int, size: int) -> pa.Array:
        """Uniform integers in [0, size)."""
        wide = pc.multiply(self.u32(n).cast(pa.uint64()), pa.scalar(size, pa.uint64()))
        return pc.shift_right(wide, pa.scalar(32, pa.uint64())).cast(pa.int64())

    def skewed(self, n: int, size: int, power: float) -> pa.Array:
        """Integers in [0, size), low ones far more often (a few parties trade a lot)."""
        scaled = pc.floor(pc.multiply(pc.power(self.uniform(n), power), float(size)))
        return pc.min_element_wise(scaled.cast(pa.int64()), size - 1)

    def chance(self, n: int, p: float) -> pa.Array:
        return pc.less(self.u32(n).cast(pa.int64()), int(p * 2**32))

    def weighted(self, n: int, table: pa.Array) -> pa.Array:
        """Categories from a 65,536-entry lookup table (see `_lookup_table`)."""
        return pc.take(table, pc.shift_right(self.u32(n), pa.scalar(16, pa.uint32())))

    def lognormal(self, n: int, mu: float, sigma: float) -> pa.Array:
        radius = pc.sqrt(pc.multiply(pc.ln(self.uniform(n)), -2.0))
        normal = pc.multiply(radius, pc.cos(pc.multiply(self.uniform(n), 2 * math.pi)))
        return pc.exp(pc.add(pc.multiply(normal, sigma), mu))


def _lookup_table(weights: Sequence[float]) -> pa.Array:
    """Category indices laid out in proportion to the weights (largest remainder rounding)."""
    size = 1 << 16
    total = float(sum(weights))
    exact = [w * size / total for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: size - sum(counts)]:
        counts[i] += 1
    return pa.array([i for i, c in enumerate(counts) for _ in range(c)], pa.int32())


@dataclass
class _Feed:
    names: pa.Array
    addresses: pa.Array
    countries: pa.Array
    world: pa.Array
    world_table: pa.Array
    hubs: pa.Array
    hub_table: pa.Array
    hs_codes: pa.Array
    descriptions: pa.Array
    goods_table: pa.Array
    id_width: int
    vessel_names: pa.Array
    vessel_imos: pa.Array

    @classmethod
    def build(cls, pool: _Pool, shipments: int) -> _Feed:
        return cls(
            names=pa.array(pool.names, pa.string()),
            addresses=pa.array(pool.addresses, pa.string()),
            countries=pa.array(pool.countries, pa.string()),
            world=pa.array(list(CLEAN_COUNTRY_WEIGHTS), pa.string()),
            world_table=_lookup_table(list(CLEAN_COUNTRY_WEIGHTS.values())),
            hubs=pa.array(list(TRANSIT_WEIGHTS), pa.string()),
            hub_table=_lookup_table(list(TRANSIT_WEIGHTS.values())),
            hs_codes=pa.array([g[0] for g in GOODS], pa.string()),
            descriptions=pa.array([g[1] for g in GOODS], pa.string()),
            goods_table=_lookup_table([g[2] for g in GOODS]),
            id_width=max(7, len(str(shipments))),
            vessel_names=pa.array(pool.vessel_names, pa.string()),
            vessel_imos=pa.array(pool.vessel_imos, pa.string()),
        )


def _overlay(column: pa.Array, plants: Sequence[_Plant], start: int, n: int, attr: str) -> pa.Array:
    """Put the planted parties' values into their rows (plants are in row order)."""
    if not plants:
        return column
    mask = [False] * n
    for p in plants:
        mask[p.row - start] = True
    values = pa.array([getattr(p, attr) for p in plants], pa.string())
    return pc.replace_with_mask(column, pa.array(mask, pa.bool_()), values)


def _shipment_chunk(
    draw: _Draw, feed: _Feed, start: int, n: int, plants: Sequence[_Plant]
) -> pa.Table:
    null = pa.scalar(None, pa.string())
    ids = pa.array(
        [f"SHP-{i:0{feed.id_width}d}" for i in range(start + 1, start + n + 1)], pa.string()
    )
    epoch_days = (FEED_START - dt.date(1970, 1, 1)).days
    dates = pc.add(draw.index(n, FEED_DAYS), epoch_days).cast(pa.int32()).cast(pa.date32())
    size = len(feed.names)
    cols: dict[str, pa.Array] = {}
    for role in ROLES:
        idx = draw.skewed(n, size, 1.5)
        mine = [p for p in plants if p.role == role]
        name, address, country = (
            feed.names.take(idx),
            feed.addresses.take(idx),
            feed.countries.take(idx),
        )
        if role == "notify_party":
            present = draw.chance(n, 0.6)
            name, country = pc.if_else(present, name, null), pc.if_else(present, country, null)
        else:
            cols[f"{role}_address"] = _overlay(address, mine, start, n, "address")
        cols[f"{role}_name"] = _overlay(name, mine, start, n, "name")
        cols[f"{role}_country"] = _overlay(country, mine, start, n, "country")
    origin = pc.if_else(
        draw.chance(n, 0.8),
        cols["shipper_country"],
        feed.world.take(draw.weighted(n, feed.world_table)),
    )
    destination = pc.if_else(
        draw.chance(n, 0.85),
        cols["consignee_country"],
        feed.world.take(draw.weighted(n, feed.world_table)),
    )
    transit = pc.if_else(
        draw.chance(n, 0.12), feed.hubs.take(draw.weighted(n, feed.hub_table)), null
    )
    same = pc.or_(pc.equal(transit, origin), pc.equal(transit, destination))
    transit = pc.if_else(same, null, transit)
    goods = draw.weighted(n, feed.goods_table)
    description = pc.if_else(draw.chance(n, 0.97), feed.descriptions.take(goods), null)
    value = pc.min_element_wise(
        pc.max_element_wise(draw.lognormal(n, math.log(20_000), 1.6), 100.0), 5_000_000.0
    )
    columns = {
        "shipment_id": ids,
        "ship_date": dates,
        **{k: cols[k] for k in ("shipper_name", "shipper_address", "shipper_country")},
        **{k: cols[k] for k in ("consignee_name", "consignee_address", "consignee_country")},
        "notify_party_name": cols["notify_party_name"],
        "notify_party_country": cols["notify_party_country"],
        "origin_country": origin,
        "transit_country": transit,
        "destination_country": destination,
        "hs_code": feed.hs_codes.take(goods),
        "goods_description": description,
        "value_usd": pc.round(value, 2).cast(pa.decimal128(18, 2)),
        "shipper_kind": pa.nulls(n, pa.string()),
        "consignee_kind": pa.nulls(n, pa.string()),
        "notify_party_kind": pa.nulls(n, pa.string()),
        **_vessel_columns(draw, feed, start, n, [p for p in plants if p.role == "vessel"]),
    }
    return pa.table(columns, schema=SHIPMENTS_SCHEMA)


def _vessel_columns(
    draw: _Draw, feed: _Feed, start: int, n: int, plants: Sequence[_Plant]
) -> dict[str, pa.Array]:
    """vessel_name and vessel_imo: a clean ship for sea freight, the planted listed vessels."""
    null = pa.scalar(None, pa.string())
    idx = draw.index(n, len(feed.vessel_names))
    sea = draw.chance(n, SEA_FREIGHT_RATE)
    with_imo = pc.and_(sea, draw.chance(n, VESSEL_IMO_RATE))
    name = pc.if_else(sea, feed.vessel_names.take(idx), null)
    imo = pc.if_else(with_imo, feed.vessel_imos.take(idx), null)
    return {
        "vessel_name": _overlay(name, plants, start, n, "name"),
        "vessel_imo": _overlay(imo, plants, start, n, "imo"),
    }


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


class _Sink:
    """A chunked CSV or Parquet writer that only shows the file under its name once complete."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")
        if fmt == "csv":
            options = pa_csv.WriteOptions(include_header=True)
            self.writer: Any = pa_csv.CSVWriter(str(self.tmp), schema, write_options=options)
        else:
            self.writer = pq.ParquetWriter(str(self.tmp), schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)
        self.rows += table.num_rows

    def commit(self) -> None:
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


@contextmanager
def _sink(out_dir: Path, name: str, fmt: str) -> Iterator[_Sink]:
    sink = _Sink(out_dir / f"{name}.{fmt}", SCHEMAS[name], fmt)
    try:
        yield sink
    except BaseException:
        sink.abort()
        raise
    sink.commit()


def _plant_and_write_feed(
    rng: Random,
    seed: int,
    shipments: int,
    reg: _Registry,
    pool: _Pool,
    out_dir: Path,
    fmt: str,
    files: dict[str, Any],
    say: Callable[[str], None],
) -> _Plan:
    """Plant listed names and vessels into the feed and write shipments and truth (both the demo
    registry and an existing one). Ships come from their own random stream, so the rest of the
    feed is what it was before the feed named vessels."""
    plan = _plan_plants(rng, shipments, reg, pool)
    vessel_rng = Random(f"{seed}:vessels")
    _add_clean_vessels(vessel_rng, pool, reg, max(200, shipments // 100))
    plan.plants = sorted(
        plan.plants + _vessel_plants(vessel_rng, shipments, reg, pool, plan.plants),
        key=lambda p: (p.row, p.role),
    )
    feed = _Feed.build(pool, shipments)
    files["shipments"] = _write_shipments(rng, out_dir, fmt, shipments, feed, plan.plants, say)
    files["truth"] = _write_table(out_dir, "truth", fmt, _truth_table(plan.plants, feed.id_width))
    return plan


def _write_table(out_dir: Path, name: str, fmt: str, table: pa.Table) -> int:
    with _sink(out_dir, name, fmt) as sink:
        sink.write(table)
    return int(table.num_rows)


def _write_shipments(
    rng: Random, out_dir: Path, fmt: str, n: int, feed: _Feed, plants: list[_Plant], say: Progress
) -> int:
    draw = _Draw(rng)
    rows = [p.row for p in plants]
    with _sink(out_dir, "shipments", fmt) as sink:
        for start in range(0, n, CHUNK_ROWS):
            size = min(CHUNK_ROWS, n - start)
            lo, hi = bisect.bisect_left(rows, start), bisect.bisect_left(rows, start + size)
            sink.write(_shipment_chunk(draw, feed, start, size, plants[lo:hi]))
            say(f"shipments: {start + size:,} / {n:,} rows")
        if n == 0:
            sink.write(SHIPMENTS_SCHEMA.empty_table())
    return sink.rows


def _truth_table(plants: list[_Plant], id_width: int) -> pa.Table:
    return pa.table(
        {
            "shipment_id": [f"SHP-{p.row + 1:0{id_width}d}" for p in plants],
            "role": [p.role for p in plants],
            "party_name": [p.name for p in plants],
            "entity_id": [p.entity_id for p in plants],
            "is_match": [p.is_match for p in plants],
            "variation": [p.variation for p in plants],
        },
        schema=TRUTH_SCHEMA,
    )


# --------------------------------------------------------------------------------------------
# A feed against an existing registry (`generate --registry DIR`)
# --------------------------------------------------------------------------------------------

REGISTRY_CSV = {
    "registry_entities": ("entity_id", "entity_kind", "primary_name", "countries", "programs"),
    "registry_names": ("entity_id", "name", "name_type", "script"),
    "registry_identifiers": ("entity_id", "id_type", "id_value"),
}
PLANTED_KINDS = (*PARTY_KINDS, "vessel")


# Russian legal forms as OFAC romanizes them, and their abbreviations.
RU_SPELLED: dict[str, tuple[str, ...]] = {
    "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU": ("OOO", "LLC"),
    "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTIU": ("OOO", "LLC"),
    "AKTSIONERNOE OBSHCHESTVO": ("AO", "JSC"),
    "OTKRYTOE AKTSIONERNOE OBSHCHESTVO": ("OAO", "OJSC"),
    "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO": ("ZAO", "CJSC"),
    "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO": ("PAO", "PJSC"),
}


def _legal_forms() -> tuple[frozenset[str], frozenset[str]]:
    """Every legal form the generator knows (normalized), and those also written before a name."""
    forms: set[str] = set()
    for culture in CULTURES.values():
        forms.update(f for f in culture.legal_forms if f)
    for legal in CLEAN_LEGAL.values():
        forms.update(legal)
    for key, alts in LEGAL_SWAP.items():
        forms.add(key)
        forms.update(alts)
    forms.update(LEGAL_SPELLED.values())
    forms.update(RU_SPELLED)
    front = FRONT_LEGAL | frozenset(LEGAL_SPELLED.values()) | frozenset(RU_SPELLED)
    return frozenset(_norm(f) for f in forms), frozenset(_norm(f) for f in front)


LEGAL_FORMS, FRONT_FORMS = _legal_forms()
MAX_LEGAL_TOKENS = max(len(f.split()) for f in LEGAL_FORMS)
# A spelled-out legal form and the abbreviations written for it (LIMITED LIABILITY COMPANY:
# LLC, OOO), for the legal-form variants of an existing registry's names.
SPELLED_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    **{
        spelled: tuple(sorted(k for k, v in LEGAL_SPELLED.items() if v == spelled))
        for spelled in sorted(set(LEGAL_SPELLED.values()))
    },
    **RU_SPELLED,
}
# The name style (culture) of a listed entity: from its first country the generator knows, else
# from its first program that names a region (prefix match), else "eu" (international names).
COUNTRY_CULTURES = {
    "RU": "ru", "BY": "by", "IR": "ir", "CN": "cn", "HK": "hk", "KP": "kp", "SY": "sy",
    "LB": "lb", "AE": "ae", "TR": "tr", "VE": "ve", "CU": "cu", "MM": "mm", "SG": "sea",
    "MY": "sea",
}  # fmt: skip
PROGRAM_CULTURES: tuple[tuple[str, str], ...] = (
    ("DPRK", "kp"), ("BELARUS", "by"), ("IRAN", "ir"), ("IFSR", "ir"), ("IRGC", "ir"),
    ("IFCA", "ir"), ("HRIT-IR", "ir"), ("CAATSA - IRAN", "ir"), ("BURMA", "mm"), ("CUBA", "cu"),
    ("VENEZUELA", "ve"), ("NICARAGUA", "ve"), ("SDNT", "ve"), ("ILLICIT-DRUGS", "ve"),
    ("RUSSIA", "ru"), ("UKRAINE", "ru"), ("CAATSA - RUSSIA", "ru"), ("CYBER", "ru"),
    ("ELECTION", "ru"), ("MAGNIT", "ru"), ("PEESA", "ru"), ("SYRIA", "sy"), ("HRIT-SY", "sy"),
    ("LEBANON", "lb"), ("SDGT", "sy"), ("FTO", "sy"), ("IRAQ", "sy"), ("YEMEN", "sy"),
    ("LIBYA", "sy"), ("SOMALIA", "sy"), ("SUDAN", "sy"), ("DARFUR", "sy"),
)  # fmt: skip


def _parse_org(text: str) -> _Name | None:
    """A listed organization name as core tokens and the legal form it ends (or starts) with."""
    tokens = _norm_tokens(text)
    if not tokens:
        return None
    for k in range(min(MAX_LEGAL_TOKENS, len(tokens) - 1), 0, -1):
        if " ".join(tokens[-k:]) in LEGAL_FORMS:
            return _Name(tuple(tokens[:-k]), " ".join(tokens[-k:]))
    for k in range(min(MAX_LEGAL_TOKENS, len(tokens) - 1), 0, -1):
        if " ".join(tokens[:k]) in FRONT_FORMS:
            return _Name(tuple(tokens[k:]), " ".join(tokens[:k]), legal_front=True)
    return _Name(tuple(tokens))


def _parse_person(text: str) -> _Name | None:
    """A listed person name; OFAC writes SURNAME, Given Names (kept in that order)."""
    surname, comma, given = text.partition(",")
    if comma:
        head, tail = _norm_tokens(surname), _norm_tokens(given)
        if head and tail:
            return _Name((*head, *tail), surname_tokens=len(head))
    tokens = _norm_tokens(text)
    return _Name(tuple(tokens)) if tokens else None


def _parse_listed(text: str, kind: str) -> _Name | None:
    if kind == "organization":
        return _parse_org(text)
    if kind == "person":
        return _parse_person(text)
    tokens = _norm_tokens(text)
    return _Name(tuple(tokens)) if tokens else None


def _listed_culture(kind: str, countries: list[str], programs: list[str], name: _Name) -> str:
    if kind == "person" and name.tokens:
        surname = name.tokens[0] if name.surname_tokens else name.tokens[-1]
        if surname in CN_SURNAMES and len(name.tokens) <= 3:
            return "cn"
        if surname in KP_SURNAMES and any(p.startswith("DPRK") for p in programs):
            return "kp"
    for country in countries:
        if country in COUNTRY_CULTURES:
            return COUNTRY_CULTURES[country]
    for program in programs:
        for prefix, culture in PROGRAM_CULTURES:
            if program.startswith(prefix):
                return culture
    return "eu"


def _read_registry_csv(path: Path, needed: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise ValueError(f"{path}: not found (a registry folder as `omphalos registry` writes it)")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in needed if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)}")
        return [{c: row[c] or "" for c in needed} for row in reader]


@dataclass
class _Listed:
    """An existing registry as the feed generator sees it."""

    reg: _Registry  # plantable entities; owner: every strong name of every entity
    parties: _Registry  # owner: the names of listed persons and organizations (clean parties)
    kinds: dict[str, int]
    shared_name: int  # entities that share a name with another entity: never planted
    unparsed: int  # entities with no Latin-script name to vary: never planted


def _load_registry(folder: Path) -> _Listed:
    """Read registry_entities, registry_names and registry_identifiers (CSV) of `folder`."""
    rows = {
        name: _read_registry_csv(folder / f"{name}.csv", cols)
        for name, cols in REGISTRY_CSV.items()
    }
    names: dict[str, list[tuple[str, str, str]]] = {}
    owners: dict[tuple[str, ...], set[str]] = {}
    for row in rows["registry_names"]:
        eid, text = row["entity_id"], row["name"]
        names.setdefault(eid, []).append((text, row["name_type"], row["script"]))
        key = _key(text)
        if key:
            owners.setdefault(key, set()).add(eid)
    imos: dict[str, list[str]] = {}
    for row in rows["registry_identifiers"]:
        if row["id_type"] == "IMO" and row["id_value"]:
            imos.setdefault(row["entity_id"], []).append(row["id_value"])
    listed = _Listed(_Registry(), _Registry(), dict.fromkeys(KINDS, 0), 0, 0)
    for row in rows["registry_entities"]:
        eid, kind = row["entity_id"], row["entity_kind"]
        listed.kinds[kind] = listed.kinds.get(kind, 0) + 1
        own = names.get(eid) or [(row["primary_name"], "primary", "latin")]
        strong = [(t, nt, sc) for t, nt, sc in own if nt != "weak_alias"]
        for text, _, _ in strong:
            listed.reg.claim(text, eid)
            if kind in PARTY_KINDS:
                listed.parties.claim(text, eid)
        listed.reg.id_values.update(imos.get(eid, ()))
        if kind not in PLANTED_KINDS:
            continue
        if any(len(owners.get(_key(t), ())) > 1 for t, _, _ in own):
            listed.shared_name += 1
            continue
        parsed = [
            (text, name)
            for text, name_type, script in sorted(strong, key=lambda n: n[1] != "primary")
            if script in ("latin", "")
            and (name := _parse_listed(text, kind)) is not None
            and name.tokens
        ]
        if not parsed:
            listed.unparsed += 1
            continue
        countries = [c for c in row["countries"].split(";") if c]
        programs = [p for p in row["programs"].split(";") if p]
        culture = _listed_culture(kind, countries, programs, parsed[0][1])
        ent = _Entity(
            eid,
            kind,
            culture,
            parsed[0][1],
            countries or [CULTURES[culture].home[0]],
            programs,
            aliases=[n for _, n in parsed[1:]],
            identifiers=[("IMO", v, None) for v in imos.get(eid, ())] if kind == "vessel" else [],
            listed=tuple(t for t, _, _ in strong),
            texts={n: t for t, n in reversed(parsed)},
        )
        listed.reg.entities.append(ent)
    return listed


def _generate_for_registry(
    out_dir: Path, registry: Path, *, shipments: int, seed: int, fmt: str, say: Progress
) -> dict[str, object]:
    """A feed and its truth against the entities of an existing registry (not written)."""
    say(f"registry: reading {registry}")
    listed = _load_registry(Path(registry))
    reg = listed.reg
    rng = Random(seed)
    files: dict[str, int] = {}
    pool_size = max(500, shipments // 20)
    say(
        f"feed: {len(reg.entities):,} listed entities to plant ({listed.shared_name:,} sharing a "
        f"name with another entity left out); a pool of {pool_size:,} clean parties"
    )
    # clean parties avoid the listed persons' and organizations' names (a company that shares a
    # listed vessel's name is a clean party: kinds tell them apart)
    pool = _clean_pool(rng, pool_size, listed.parties)
    plan = _plant_and_write_feed(rng, seed, shipments, reg, pool, out_dir, fmt, files, say)
    say(f"wrote shipments.{fmt} and truth.{fmt} into {out_dir} (registry not written)")
    summary = _summary(reg, plan, files, seed=seed, fmt=fmt, out_dir=out_dir)
    summary["registry"] = str(registry)
    summary["entity_kinds"] = listed.kinds
    summary["planted_from"] = {
        "entities": len(reg.entities),
        "shared_name_left_out": listed.shared_name,
        "no_latin_name_left_out": listed.unparsed,
    }
    return summary


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate(
    out_dir: Path,
    *,
    shipments: int,
    entities: int,
    seed: int,
    fmt: str = "csv",
    progress: Callable[[str], None] | None = None,
    registry: Path | None = None,
) -> dict[str, object]:
    """Write the demo feed, registry and truth into `out_dir`; return a summary.

    With `registry` (a folder as `omphalos registry` writes it), plant its entities instead of
    generating a registry: `entities` is then unused and no registry file is written. The same
    `seed`, sizes, format (and registry files) give byte-identical files.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if shipments < 0 or entities < 0:
        raise ValueError("shipments and entities must not be negative")
    say: Progress = progress if progress is not None else (lambda _message: None)
    out_dir = Path(out_dir)
    if registry is not None:
        registry = Path(registry)
        if not registry.is_dir():
            raise ValueError(f"{registry}: not a registry folder")
        out_dir.mkdir(parents=True, exist_ok=True)
        return _generate_for_registry(
            out_dir, registry, shipments=shipments, seed=seed, fmt=fmt, say=say
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = Random(seed)

    say(f"registry: building {entities:,} entities (seed {seed})")
    built = _build_registry(rng, entities)
    files: dict[str, int] = {}
    for name, table in _registry_tables(built).items():
        files[name] = _write_table(out_dir, name, fmt, table)
        say(f"wrote {name}.{fmt}: {files[name]:,} rows")

    pool_size = max(500, shipments // 20)
    say(f"feed: building a pool of {pool_size:,} clean parties and planting listed names")
    pool = _clean_pool(rng, pool_size, built)
    plan = _plant_and_write_feed(rng, seed, shipments, built, pool, out_dir, fmt, files, say)
    say(f"wrote shipments.{fmt} and truth.{fmt} into {out_dir}")
    return _summary(built, plan, files, seed=seed, fmt=fmt, out_dir=out_dir)


def _summary(
    reg: _Registry, plan: _Plan, files: dict[str, int], *, seed: int, fmt: str, out_dir: Path
) -> dict[str, object]:
    by_variation = dict.fromkeys(ALL_VARIATION_NAMES, 0)
    lookalikes = 0
    for p in plan.plants:
        if p.is_match:
            by_variation[p.variation] += 1
        else:
            lookalikes += 1
    kinds = dict.fromkeys(KINDS, 0)
    for ent in reg.entities:
        kinds[ent.kind] += 1
    return {
        "out_dir": str(out_dir),
        "format": fmt,
        "seed": seed,
        "files": files,
        "entity_kinds": kinds,
        "true_matches": by_variation,
        "true_matches_total": sum(by_variation.values()),
        "lookalikes": lookalikes,
        "hot_entities": plan.hot_entities,
    }
