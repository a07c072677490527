"""Country names as the official lists write them -> ISO 3166-1 alpha-2.

The table is written for this project: ISO 3166-1 codes with their common English short names,
plus the spellings the OFAC, UN, BIS and trade.gov files use ("Korea, North", "Iran (Islamic
Republic of)", "Congo, Democratic Republic of the", "Burma", "Region: Crimea", "PRC", ...).
Kosovo is written ``XK`` (the user-assigned code in common use). Names that denote no single
country ("undetermined", "former Soviet Union", "Region: Kafia Kingi", "Netherlands Antilles")
map to ``None``: the parsers record them as unmapped instead of guessing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

__all__ = ["ISO2_CODES", "map_country", "normalize_country", "to_iso2"]

_ISO = """
AD Andorra|AE United Arab Emirates|AF Afghanistan|AG Antigua and Barbuda|AI Anguilla|AL Albania
AM Armenia|AO Angola|AQ Antarctica|AR Argentina|AS American Samoa|AT Austria|AU Australia
AW Aruba|AX Aland Islands|AZ Azerbaijan|BA Bosnia and Herzegovina|BB Barbados|BD Bangladesh
BE Belgium|BF Burkina Faso|BG Bulgaria|BH Bahrain|BI Burundi|BJ Benin|BL Saint Barthelemy
BM Bermuda|BN Brunei|BO Bolivia|BQ Bonaire, Sint Eustatius and Saba|BR Brazil|BS Bahamas
BT Bhutan|BV Bouvet Island|BW Botswana|BY Belarus|BZ Belize|CA Canada|CC Cocos (Keeling) Islands
CD Democratic Republic of the Congo|CF Central African Republic|CG Congo|CH Switzerland
CI Cote d'Ivoire|CK Cook Islands|CL Chile|CM Cameroon|CN China|CO Colombia|CR Costa Rica|CU Cuba
CV Cabo Verde|CW Curacao|CX Christmas Island|CY Cyprus|CZ Czechia|DE Germany|DJ Djibouti
DK Denmark|DM Dominica|DO Dominican Republic|DZ Algeria|EC Ecuador|EE Estonia|EG Egypt
EH Western Sahara|ER Eritrea|ES Spain|ET Ethiopia|FI Finland|FJ Fiji|FK Falkland Islands
FM Micronesia|FO Faroe Islands|FR France|GA Gabon|GB United Kingdom|GD Grenada|GE Georgia
GF French Guiana|GG Guernsey|GH Ghana|GI Gibraltar|GL Greenland|GM Gambia|GN Guinea
GP Guadeloupe|GQ Equatorial Guinea|GR Greece|GS South Georgia and the South Sandwich Islands
GT Guatemala|GU Guam|GW Guinea-Bissau|GY Guyana|HK Hong Kong|HM Heard Island and McDonald Islands
HN Honduras|HR Croatia|HT Haiti|HU Hungary|ID Indonesia|IE Ireland|IL Israel|IM Isle of Man
IN India|IO British Indian Ocean Territory|IQ Iraq|IR Iran|IS Iceland|IT Italy|JE Jersey
JM Jamaica|JO Jordan|JP Japan|KE Kenya|KG Kyrgyzstan|KH Cambodia|KI Kiribati|KM Comoros
KN Saint Kitts and Nevis|KP North Korea|KR South Korea|KW Kuwait|KY Cayman Islands|KZ Kazakhstan
LA Laos|LB Lebanon|LC Saint Lucia|LI Liechtenstein|LK Sri Lanka|LR Liberia|LS Lesotho
LT Lithuania|LU Luxembourg|LV Latvia|LY Libya|MA Morocco|MC Monaco|MD Moldova|ME Montenegro
MF Saint Martin|MG Madagascar|MH Marshall Islands|MK North Macedonia|ML Mali|MM Myanmar
MN Mongolia|MO Macao|MP Northern Mariana Islands|MQ Martinique|MR Mauritania|MS Montserrat
MT Malta|MU Mauritius|MV Maldives|MW Malawi|MX Mexico|MY Malaysia|MZ Mozambique|NA Namibia
NC New Caledonia|NE Niger|NF Norfolk Island|NG Nigeria|NI Nicaragua|NL Netherlands|NO Norway
NP Nepal|NR Nauru|NU Niue|NZ New Zealand|OM Oman|PA Panama|PE Peru|PF French Polynesia
PG Papua New Guinea|PH Philippines|PK Pakistan|PL Poland|PM Saint Pierre and Miquelon
PN Pitcairn|PR Puerto Rico|PS Palestine|PT Portugal|PW Palau|PY Paraguay|QA Qatar|RE Reunion
RO Romania|RS Serbia|RU Russia|RW Rwanda|SA Saudi Arabia|SB Solomon Islands|SC Seychelles
SD Sudan|SE Sweden|SG Singapore|SH Saint Helena|SI Slovenia|SJ Svalbard and Jan Mayen|SK Slovakia
SL Sierra Leone|SM San Marino|SN Senegal|SO Somalia|SR Suriname|SS South Sudan
ST Sao Tome and Principe|SV El Salvador|SX Sint Maarten|SY Syria|SZ Eswatini
TC Turks and Caicos Islands|TD Chad|TF French Southern Territories|TG Togo|TH Thailand
TJ Tajikistan|TK Tokelau|TL Timor-Leste|TM Turkmenistan|TN Tunisia|TO Tonga|TR Turkey
TT Trinidad and Tobago|TV Tuvalu|TW Taiwan|TZ Tanzania|UA Ukraine|UG Uganda
UM United States Minor Outlying Islands|US United States|UY Uruguay|UZ Uzbekistan|VA Holy See
VC Saint Vincent and the Grenadines|VE Venezuela|VG British Virgin Islands|VI U.S. Virgin Islands
VN Vietnam|VU Vanuatu|WF Wallis and Futuna|WS Samoa|YE Yemen|YT Mayotte|ZA South Africa|ZM Zambia
ZW Zimbabwe|XK Kosovo
"""

# Other spellings found in the official lists (OFAC comma-inverted names, UN formal names, ...).
_ALIASES: dict[str, tuple[str, ...]] = {
    "AE": ("UAE", "U.A.E."),
    "BN": ("Brunei Darussalam",),
    "BO": ("Bolivia (Plurinational State of)", "Plurinational State of Bolivia"),
    "BS": ("Bahamas, The", "The Bahamas"),
    "CD": (
        "Congo, Democratic Republic of the",
        "Democratic Republic of Congo",
        "DR Congo",
        "DRC",
        "Congo (Kinshasa)",
        "Zaire",
    ),
    "CG": ("Congo, Republic of the", "Republic of the Congo", "Congo (Brazzaville)"),
    "CI": ("Ivory Coast", "Cote d Ivoire", "Côte d'Ivoire"),
    "CN": ("PRC", "People's Republic of China", "China, People's Republic of", "Mainland China"),
    "CV": ("Cape Verde",),
    "CW": ("Curaçao",),
    "CZ": ("Czech Republic",),
    "FM": ("Micronesia, Federated States of", "Micronesia (Federated States of)"),
    "GB": (
        "United Kingdom of Great Britain and Northern Ireland",
        "Great Britain",
        "UK",
        "U.K.",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ),
    "GM": ("The Gambia", "Gambia, The"),
    "HK": ("China, Hong Kong Special Administrative Region", "Hong Kong SAR", "Hong Kong, China"),
    "IM": ("Man, Isle of",),
    "IR": ("Iran (Islamic Republic of)", "Islamic Republic of Iran", "Iran, Islamic Republic of"),
    "KG": ("Kyrgyz Republic",),
    "KN": ("St. Kitts and Nevis", "Saint Kitts & Nevis"),
    "KP": (
        "Korea, North",
        "Democratic People's Republic of Korea",
        "Korea, Democratic People's Republic of",
        "DPRK",
        "D.P.R.K.",
    ),
    "KR": ("Korea, South", "Republic of Korea", "Korea, Republic of"),
    "LA": ("Lao People's Democratic Republic", "Lao PDR"),
    "LC": ("St. Lucia",),
    "MD": ("Republic of Moldova", "Moldova, Republic of"),
    "MK": (
        "North Macedonia, The Republic of",
        "Republic of North Macedonia",
        "Macedonia",
        "The former Yugoslav Republic of Macedonia",
        "Macedonia, The Former Yugoslav Republic of",
    ),
    "ML": ("Northern Mali",),
    "MM": ("Burma",),
    "MO": ("Macau", "China, Macao Special Administrative Region"),
    "NL": ("Netherlands (Kingdom of the)", "The Netherlands", "Holland"),
    "PS": (
        "State of Palestine",
        "Palestinian",
        "Palestinian Territories",
        "Palestinian Territory",
        "Occupied Palestinian Territory",
        "Gaza",
        "Gaza Strip",
        "North Gaza",
        "Northern Gaza",
        "West Bank",
    ),
    "RE": ("Réunion",),
    "RU": ("Russian Federation",),
    "SH": ("Saint Helena, Ascension and Tristan da Cunha",),
    "ST": ("São Tomé and Príncipe",),
    "SY": ("Syrian Arab Republic",),
    "SZ": ("Swaziland",),
    "TL": ("East Timor",),
    "TR": ("Türkiye", "Turkiye"),
    "TW": ("Taiwan, Province of China", "Republic of China"),
    "TZ": ("United Republic of Tanzania", "Tanzania, United Republic of"),
    "UA": ("Crimea",),
    "US": ("United States of America", "USA", "U.S.A.", "U.S."),
    "VA": ("Vatican City", "Vatican", "Holy See (Vatican City State)"),
    "VC": ("St. Vincent and the Grenadines",),
    "VE": ("Venezuela (Bolivarian Republic of)", "Bolivarian Republic of Venezuela"),
    "VG": ("Virgin Islands, British", "Virgin Islands (British)"),
    "VI": ("Virgin Islands, U.S.", "US Virgin Islands", "Virgin Islands (U.S.)"),
    "VN": ("Viet Nam",),
}

_PUNCT = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def normalize_country(name: str) -> str:
    """Lower case, accents removed, ``&`` read as ``and``, punctuation dropped, a leading
    ``region:`` and ``the`` removed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("&", " and ")
    text = _SPACES.sub(" ", _PUNCT.sub(" ", text.replace("'", ""))).strip()
    if text.startswith("region "):
        text = text[len("region ") :]
    if text.startswith("the "):
        text = text[len("the ") :]
    return text


def _build() -> tuple[frozenset[str], dict[str, str]]:
    codes: set[str] = set()
    table: dict[str, str] = {}
    for line in _ISO.strip().splitlines():
        for item in line.split("|"):
            code, name = item.strip().split(" ", 1)
            codes.add(code)
            table[normalize_country(name)] = code
    for code, names in _ALIASES.items():
        if code not in codes:
            raise RuntimeError(f"country alias table: unknown code {code}")
        for name in names:
            key = normalize_country(name)
            if table.get(key, code) != code:
                raise RuntimeError(f"country alias table: {name!r} is already {table[key]}")
            table[key] = code
    return frozenset(codes), table


ISO2_CODES, _TABLE = _build()
# Values that say "no country": not reported as unmapped names.
_NOT_A_COUNTRY = frozenset({"none identified", "unknown", "undetermined", "na", "n a", "none"})


@functools.lru_cache(maxsize=4096)
def to_iso2(value: str | None, *, accept_codes: bool = False) -> str | None:
    """ISO 3166-1 alpha-2 code of a country name, or ``None`` when the name is not a single
    known country. With ``accept_codes``, a two-letter value that is an assigned code is returned
    upper-cased (trade.gov and BIS write codes, not names)."""
    if not value:
        return None
    text = value.strip()
    if accept_codes and len(text) == 2 and text.upper() in ISO2_CODES:
        return text.upper()
    key = normalize_country(text)
    if key in _NOT_A_COUNTRY:
        return None
    code = _TABLE.get(key)
    if code is None and "," in text:
        # "Korea, North" style inversions not in the table: try "North Korea".
        head, _, tail = text.partition(",")
        code = _TABLE.get(normalize_country(f"{tail} {head}"))
    return code


def map_country(
    value: str | None, unmapped: Counter[str], *, accept_codes: bool = False
) -> str | None:
    """:func:`to_iso2`, counting in ``unmapped`` each value that names no known country (values
    that say "none", such as ``None Identified`` or ``undetermined``, are not counted)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    code = to_iso2(text, accept_codes=accept_codes)
    if code is None and normalize_country(text) not in _NOT_A_COUNTRY:
        unmapped[text] += 1
    return code
