"""Text helpers shared by the list parsers: decoding, field cleaning, script and kind detection.

Official list files are not always clean UTF-8: the OFAC raw files are ASCII in practice but have
historically carried cp1252/latin-1 bytes, end in a DOS end-of-file byte (0x1A) and write nulls
as ``-0-`` (often with a trailing space). :func:`decode_bytes` decodes a whole file robustly and
says how; :func:`clean` turns one raw field into a trimmed value or ``None``.
"""

from __future__ import annotations

import bisect
import dataclasses
import re

__all__ = [
    "Decoded",
    "clean",
    "decode_bytes",
    "detect_script",
    "looks_like_organization",
    "natural_key",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
OFAC_NULL = "-0-"


@dataclasses.dataclass(frozen=True)
class Decoded:
    """A decoded file: the text and how it was obtained."""

    text: str
    encoding: str  # ascii | utf-8 | cp1252 | mixed-utf-8-cp1252 (with latin-1 for undefined bytes)
    bom: bool
    eof_byte: bool  # a trailing DOS end-of-file byte (0x1A) was removed
    fallback_lines: int  # lines that were not valid UTF-8 and were decoded as cp1252/latin-1


def _decode_line(line: bytes) -> tuple[str, str]:
    try:
        return line.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined; latin-1 maps every byte.
        return line.decode("latin-1"), "latin-1"


def decode_bytes(data: bytes) -> Decoded:
    """Decode a list file: UTF-8 when the whole file is valid UTF-8, else line by line (UTF-8
    where valid, cp1252 otherwise, latin-1 for bytes cp1252 leaves undefined).

    A UTF-8 byte order mark and trailing 0x1A bytes (DOS end of file) are removed.
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    stripped = data.rstrip(b"\x1a")
    eof_byte = len(stripped) != len(data)
    data = stripped
    if data.isascii():
        return Decoded(data.decode("ascii"), "ascii", bom, eof_byte, 0)
    try:
        return Decoded(data.decode("utf-8"), "utf-8", bom, eof_byte, 0)
    except UnicodeDecodeError:
        pass
    parts: list[str] = []
    utf8_non_ascii = 0
    fallback = 0
    used: set[str] = set()
    for line in data.split(b"\n"):
        text, how = _decode_line(line)
        if how == "utf-8":
            if not line.isascii():
                utf8_non_ascii += 1
        else:
            fallback += 1
            used.add(how)
        parts.append(text)
    single = "cp1252" if used == {"cp1252"} else "cp1252+latin-1"
    encoding = f"mixed-utf-8-{single}" if utf8_non_ascii else single
    return Decoded("\n".join(parts), encoding, bom, eof_byte, fallback)


def clean(value: str | None, *, ofac_null: bool = True) -> str | None:
    """Trim a raw field, replace control characters and runs of white space by one space;
    empty values and the OFAC null ``-0-`` become ``None``."""
    if value is None:
        return None
    text = _SPACE.sub(" ", _CONTROL.sub(" ", value)).strip()
    if not text or (ofac_null and text == OFAC_NULL):
        return None
    return text


# Script of a letter by Unicode block (start, end inclusive, script), sorted by start.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, "latin"),
    (0x0061, 0x007A, "latin"),
    (0x00AA, 0x00AA, "latin"),
    (0x00BA, 0x00BA, "latin"),
    (0x00C0, 0x024F, "latin"),
    (0x0250, 0x02AF, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0700, 0x074F, "syriac"),
    (0x0750, 0x077F, "arabic"),
    (0x0780, 0x07BF, "thaana"),
    (0x08A0, 0x08FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1000, 0x109F, "myanmar"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1100, 0x11FF, "cjk"),  # Hangul Jamo
    (0x1780, 0x17FF, "khmer"),
    (0x1C80, 0x1C8F, "cyrillic"),
    (0x1E00, 0x1EFF, "latin"),
    (0x1F00, 0x1FFF, "greek"),
    (0x2C60, 0x2C7F, "latin"),
    (0x2DE0, 0x2DFF, "cyrillic"),
    (0x2E80, 0x2FDF, "cjk"),  # CJK radicals
    (0x3040, 0x30FF, "cjk"),  # Hiragana, Katakana
    (0x3100, 0x312F, "cjk"),  # Bopomofo
    (0x3130, 0x318F, "cjk"),  # Hangul compatibility Jamo
    (0x31F0, 0x31FF, "cjk"),
    (0x3400, 0x4DBF, "cjk"),  # CJK extension A
    (0x4E00, 0x9FFF, "cjk"),  # CJK unified ideographs
    (0xA640, 0xA69F, "cyrillic"),
    (0xA720, 0xA7FF, "latin"),
    (0xAC00, 0xD7AF, "cjk"),  # Hangul syllables
    (0xF900, 0xFAFF, "cjk"),
    (0xFB1D, 0xFB4F, "hebrew"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF21, 0xFF3A, "latin"),  # full-width Latin
    (0xFF41, 0xFF5A, "latin"),
    (0xFF66, 0xFF9F, "cjk"),  # half-width Katakana
    (0x20000, 0x2FA1F, "cjk"),
)
_STARTS = [r[0] for r in _RANGES]


def _script_of(ch: str) -> str | None:
    cp = ord(ch)
    i = bisect.bisect_right(_STARTS, cp) - 1
    if i >= 0 and _RANGES[i][0] <= cp <= _RANGES[i][1]:
        return _RANGES[i][2]
    return None


def detect_script(text: str | None) -> str | None:
    """The writing system of a name from its letters' Unicode blocks: ``latin``, ``cyrillic``,
    ``greek``, ``arabic``, ``hebrew``, ``cjk`` (Han, Kana, Hangul), ... ; ``mixed`` when letters of
    several scripts occur; ``None`` when the text has no letters (or only unclassified ones)."""
    if not text:
        return None
    if text.isascii():
        return "latin" if any(c.isalpha() for c in text) else None
    found: set[str] = set()
    for ch in text:
        if ch.isalpha():
            script = _script_of(ch)
            if script is not None:
                found.add(script)
    if not found:
        return None
    if len(found) == 1:
        return found.pop()
    return "mixed"


# Words that mark an organization's name (legal forms and common organization nouns). Used only
# where a list does not say whether an entry is a person (BIS Denied Persons List, CSL rows
# without a type).
_ORG_TEXT = """
    LTD LIMITED LLC LLP LP INC INCORPORATED CORP CORPORATION CO COMPANY COMPANIES GMBH AG KG SA SAS
    SARL SRL SPA BV NV PLC OOO OAO ZAO PAO JSC OJSC CJSC PJSC FZE FZC FZCO FZLLC DMCC PTE PTY BHD SDN
    LTDA LDA CIA KFT GROUP HOLDING HOLDINGS INDUSTRIES INDUSTRY INDUSTRIAL INTERNATIONAL TRADING
    TRADE ENTERPRISE ENTERPRISES TECHNOLOGY TECHNOLOGIES TECH ELECTRONICS ELECTRONIC AVIATION
    AIRLINES AIRLINE AIRWAYS AIR BANK INSTITUTE UNIVERSITY ACADEMY CENTER CENTRE FACTORY PLANT BUREAU
    MINISTRY DEPARTMENT AGENCY ORGANIZATION ORGANISATION SERVICES SERVICE SYSTEMS SOLUTIONS LOGISTICS
    SHIPPING IMPORT EXPORT EXPORTS IMPORTS ENGINEERING EQUIPMENT SUPPLY SUPPLIES MARINE GLOBAL
    WORLDWIDE PARTNERS ASSOCIATES FOUNDATION ASSOCIATION COMMITTEE OFFICE FREIGHT CARGO EXPRESS
    DEVELOPMENT RESEARCH LABORATORY LABORATORIES COMMERCIAL TECHNIK TECHNIQUE TECNOLOGIA INDUSTRIE
    GESELLSCHAFT HANDEL HANDELS PVT PRIVATE AEROSPACE ENERGY CHEMICAL CHEMICALS METALS MOTORS ELECTRIC
    POWER PETROLEUM OIL CONSTRUCTION PRODUCTS INSTRUMENTS DYNAMICS DEFENSE DEFENCE ARMS NUCLEAR
    TRANSPORT TRANSPORTATION AIRCRAFT TRADERS EXCHANGE FINANCE FINANCIAL INVESTMENT INVESTMENTS
    CAPITAL VENTURES NETWORK COMMUNICATIONS TELECOM MEDIA MANUFACTURING MACHINERY COMPONENTS PARTS
    """
_ORG_WORDS = frozenset(_ORG_TEXT.split())
_WORD = re.compile(r"[A-Z0-9]+")


def looks_like_organization(name: str) -> bool:
    """True when the name contains a legal form or an organization noun (dots removed first, so
    ``S.A.`` reads as ``SA`` and ``L.L.C.`` as ``LLC``)."""
    words = _WORD.findall(name.upper().replace(".", ""))
    return any(w in _ORG_WORDS for w in words)


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``OFAC-9`` before ``OFAC-10`` (digit runs compare as numbers)."""
    return tuple(
        (1, int(part)) if part.isdigit() else (0, part) for part in _DIGITS.split(text) if part
    )
