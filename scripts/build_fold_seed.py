"""Build the Unicode folding seeds used by name normalization (macros/normalize.sql, macros/normalize/).

    python scripts/build_fold_seed.py          # rewrite seeds/fold_chars.csv, confusable_chars.csv
    python scripts/build_fold_seed.py --check  # exit 1 if the seeds differ from what it would write

Everything comes from Python's own Unicode database (``unicodedata``, version printed) and from
the tables below, so the seeds are reproducible: the same Python Unicode version gives the same
bytes.

seeds/fold_chars.csv, one row per character (or character sequence):
- ``ignorable``: invisible format characters an evasion can hide in a name, removed: bidi controls
  (U+200E/F, U+202A-202E, U+2066-2069, U+061C), zero-width characters (U+200B-200D, U+2060,
  U+FEFF), the soft hyphen U+00AD, invisible operators U+2061-2064, the Mongolian vowel separator
  and free variation selectors, variation selectors, tags.
- ``mark``: combining marks, removed after composition (below): the combining diacritical blocks
  (U+0300-036F, U+1AB0-1AFF, U+1DC0-1DFF, U+20D0-20FF, U+FE20-FE2F) and the optional vowel marks
  of Arabic (harakat) and Hebrew (niqqud). Marks that are letters of a script (Devanagari vowel
  signs, Thai vowels) are kept.
- ``compose``: a decomposed (NFD) sequence whose base letter alone would transliterate otherwise
  than the composed letter (Cyrillic И + breve is Й: ``y``, not ``i``): replaced by the composed
  letter before marks are removed. Derived from seeds/translit_chars.csv.
- ``compat``: NFKC compatibility folding of one character that is a letter, digit or mark (or a
  symbol named as a LETTER or DIGIT, such as CIRCLED LATIN CAPITAL LETTER A) and whose NFKC form
  is made of letters, digits and marks only: fullwidth and halfwidth forms, mathematical
  bold/italic/script/fraktur/double-struck/monospace letters and digits, letterlike symbols,
  circled and squared letters, ligatures (fi, ij, dz), Roman numeral signs, superscripts,
  Arabic presentation forms, CJK compatibility ideographs. Multi-character foldings are kept only
  when the result is Latin letters or digits (ligatures, Roman numerals, circled numbers): the
  Arabic and Indic presentation ligatures are left as written (names in those scripts are compared
  within the script). Symbols that are not letters (TRADE MARK SIGN, NUMERO SIGN, SQUARE KG) are
  not folded: they stay separators.

seeds/confusable_chars.csv: Cyrillic and Greek letters that look like a Latin letter (a subset of
Unicode's confusables, UTS #39: the letters whose glyph is the Latin letter's in common fonts),
with ``reverse`` marking the look-alike a Latin letter becomes in a word read as Cyrillic or
Greek. How normalize.sql reads a word that mixes scripts is in docs/matching.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# The Unicode version the committed seeds were built with (Python 3.11); another version may
# fold a few more characters.
BUILT_WITH_UNICODE = "14.0.0"

IGNORABLE_RANGES = [
    (0x00AD, 0x00AD),  # soft hyphen
    (0x061C, 0x061C),  # Arabic letter mark
    (0x180B, 0x180F),  # Mongolian free variation selectors, vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x2069),  # bidi isolates
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters
    (0xE0100, 0xE01EF),  # variation selectors supplement
]

MARK_RANGES = [
    (0x0300, 0x036F),  # combining diacritical marks
    (0x0591, 0x05C7),  # Hebrew points and accents (niqqud, cantillation)
    (0x0610, 0x061A),  # Arabic signs
    (0x064B, 0x065F),  # Arabic harakat
    (0x0670, 0x0670),  # Arabic superscript alef
    (0x06D6, 0x06ED),  # Arabic Quranic annotation marks
    (0x1AB0, 0x1AFF),  # combining diacritical marks extended
    (0x1DC0, 0x1DFF),  # combining diacritical marks supplement
    (0x20D0, 0x20FF),  # combining marks for symbols
    (0xFE20, 0xFE2F),  # combining half marks
]

# (look-alike, Latin letter, reverse): reverse marks the letter a Latin letter becomes in a word
# read as that script. Each character is checked against its Unicode name below.
CYRILLIC = [
    ("\N{CYRILLIC CAPITAL LETTER A}", "A", True),
    ("\N{CYRILLIC CAPITAL LETTER VE}", "B", True),
    ("\N{CYRILLIC CAPITAL LETTER ES}", "C", True),
    ("\N{CYRILLIC CAPITAL LETTER IE}", "E", True),
    ("\N{CYRILLIC CAPITAL LETTER EN}", "H", True),
    ("\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}", "I", True),
    ("\N{CYRILLIC LETTER PALOCHKA}", "I", False),
    ("\N{CYRILLIC CAPITAL LETTER JE}", "J", True),
    ("\N{CYRILLIC CAPITAL LETTER KA}", "K", True),
    ("\N{CYRILLIC CAPITAL LETTER EM}", "M", True),
    ("\N{CYRILLIC CAPITAL LETTER O}", "O", True),
    ("\N{CYRILLIC CAPITAL LETTER ER}", "P", True),
    ("\N{CYRILLIC CAPITAL LETTER QA}", "Q", False),
    ("\N{CYRILLIC CAPITAL LETTER DZE}", "S", False),
    ("\N{CYRILLIC CAPITAL LETTER TE}", "T", True),
    ("\N{CYRILLIC CAPITAL LETTER WE}", "W", False),
    ("\N{CYRILLIC CAPITAL LETTER HA}", "X", True),
    ("\N{CYRILLIC CAPITAL LETTER U}", "Y", True),
    ("\N{CYRILLIC CAPITAL LETTER STRAIGHT U}", "Y", False),
    ("\N{CYRILLIC SMALL LETTER A}", "a", True),
    ("\N{CYRILLIC SMALL LETTER ES}", "c", True),
    ("\N{CYRILLIC SMALL LETTER KOMI DE}", "d", False),
    ("\N{CYRILLIC SMALL LETTER IE}", "e", True),
    ("\N{CYRILLIC SMALL LETTER SHHA}", "h", False),
    ("\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}", "i", True),
    ("\N{CYRILLIC SMALL LETTER JE}", "j", True),
    ("\N{CYRILLIC SMALL LETTER PALOCHKA}", "l", False),
    ("\N{CYRILLIC SMALL LETTER O}", "o", True),
    ("\N{CYRILLIC SMALL LETTER ER}", "p", True),
    ("\N{CYRILLIC SMALL LETTER QA}", "q", False),
    ("\N{CYRILLIC SMALL LETTER DZE}", "s", False),
    ("\N{CYRILLIC SMALL LETTER WE}", "w", False),
    ("\N{CYRILLIC SMALL LETTER HA}", "x", True),
    ("\N{CYRILLIC SMALL LETTER U}", "y", True),
    ("\N{CYRILLIC SMALL LETTER STRAIGHT U}", "y", False),
]
GREEK = [
    ("\N{GREEK CAPITAL LETTER ALPHA}", "A", True),
    ("\N{GREEK CAPITAL LETTER BETA}", "B", True),
    ("\N{GREEK CAPITAL LETTER EPSILON}", "E", True),
    ("\N{GREEK CAPITAL LETTER ZETA}", "Z", True),
    ("\N{GREEK CAPITAL LETTER ETA}", "H", True),
    ("\N{GREEK CAPITAL LETTER IOTA}", "I", True),
    ("\N{GREEK CAPITAL LETTER KAPPA}", "K", True),
    ("\N{GREEK CAPITAL LETTER MU}", "M", True),
    ("\N{GREEK CAPITAL LETTER NU}", "N", True),
    ("\N{GREEK CAPITAL LETTER OMICRON}", "O", True),
    ("\N{GREEK CAPITAL LETTER RHO}", "P", True),
    ("\N{GREEK CAPITAL LETTER TAU}", "T", True),
    ("\N{GREEK CAPITAL LETTER UPSILON}", "Y", True),
    ("\N{GREEK CAPITAL LETTER CHI}", "X", True),
    ("\N{GREEK SMALL LETTER ALPHA}", "a", True),
    ("\N{GREEK SMALL LETTER GAMMA}", "y", False),
    ("\N{GREEK SMALL LETTER IOTA}", "i", True),
    ("\N{GREEK SMALL LETTER NU}", "v", True),
    ("\N{GREEK SMALL LETTER OMICRON}", "o", True),
    ("\N{GREEK SMALL LETTER RHO}", "p", True),
    ("\N{GREEK LUNATE SIGMA SYMBOL}", "c", False),
    ("\N{GREEK LETTER YOT}", "j", False),
]


def _ranges(ranges: list[tuple[int, int]], category_prefix: str | None = None) -> list[str]:
    out = []
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            c = chr(cp)
            cat = unicodedata.category(c)
            if cat == "Cn":
                continue
            if category_prefix and not cat.startswith(category_prefix):
                continue
            out.append(c)
    return out


def _translit() -> dict[str, str]:
    with (SEEDS / "translit_chars.csv").open(newline="", encoding="utf-8") as fh:
        return {r["source_char"]: r["latin"] for r in csv.DictReader(fh)}


def _latinish(text: str, translit: dict[str, str]) -> bool:
    """Latin letters or digits (possibly with diacritics the transliteration removes)."""
    for ch in text:
        if ch.isascii() and ch.isalnum():
            continue
        if ch in translit or unicodedata.name(ch, "").startswith("LATIN "):
            continue
        return False
    return True


def _compat_rows(translit: dict[str, str], removed: set[str]) -> list[tuple[str, str]]:
    rows = []
    for cp in range(0x80, 0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        folded = unicodedata.normalize("NFKC", c)
        if folded == c or c in removed:
            continue
        cat = unicodedata.category(c)
        name = unicodedata.name(c, "")
        if not (cat[0] in "LNM" or (cat == "So" and (" LETTER " in name or " DIGIT " in name))):
            continue
        folded = "".join(ch for ch in folded if ch not in removed)
        if not folded or not all(unicodedata.category(ch)[0] in "LNM" for ch in folded):
            continue
        if len(folded) > 1 and not _latinish(folded, translit):
            continue
        rows.append((c, folded))
    return rows


def _compose_rows(translit: dict[str, str], removed: set[str]) -> list[tuple[str, str]]:
    rows = []
    for c, latin in sorted(translit.items()):
        decomposed = unicodedata.normalize("NFD", c)
        if decomposed == c:
            continue
        base = "".join(ch for ch in decomposed if ch not in removed)
        if translit.get(base, base.lower()) != latin:
            rows.append((decomposed, c))
    return rows


def _codepoints(text: str) -> str:
    return " ".join(f"U+{ord(ch):04X}" for ch in text)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def build() -> dict[str, str]:
    translit = _translit()
    ignorable = _ranges(IGNORABLE_RANGES)
    marks = _ranges(MARK_RANGES, "M")
    removed = set(ignorable) | set(marks)
    fold: list[list[str]] = []
    fold += [[c, "", "ignorable", _codepoints(c)] for c in ignorable]
    fold += [[c, "", "mark", _codepoints(c)] for c in marks]
    fold += [[s, t, "compose", _codepoints(s)] for s, t in _compose_rows(translit, removed)]
    fold += [[s, t, "compat", _codepoints(s)] for s, t in _compat_rows(translit, removed)]
    confusable: list[list[str]] = []
    for script, table in (("cyrillic", CYRILLIC), ("greek", GREEK)):
        for char, latin, reverse in table:
            name = unicodedata.name(char)
            if not name.startswith(script.upper() + " "):
                raise SystemExit(f"{char!r} ({name}) is not {script}")
            confusable.append(
                [char, latin, script, "true" if reverse else "false", _codepoints(char)]
            )
    return {
        "fold_chars.csv": _csv(["source_char", "folded", "kind", "codepoints"], fold),
        "confusable_chars.csv": _csv(
            ["source_char", "latin", "script", "reverse", "codepoints"], confusable
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the seeds")
    args = parser.parse_args()
    print(f"Unicode {unicodedata.unidata_version} (Python {sys.version.split()[0]})")
    stale = []
    for name, text in build().items():
        path = SEEDS / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote seeds/{name}: {text.count(chr(10)) - 1} rows")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/build_fold_seed.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
