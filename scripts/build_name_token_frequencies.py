"""Build seeds/name_token_frequencies.csv: how common each word is in people's names.

Token rarity (the name score's weights, docs/matching.md) comes from the registry of the run plus
this fixed reference table, never from the feed, so a pair's score depends only on the two names,
the registry version and the rules.

Sources: the words of seeds/organization_words.csv (ORGANIZATION_WORD_COUNT each), and the given-name and family-name lists of the Faker package (MIT licence; the lists are
compiled from public name statistics, with frequency weights where Faker has them, e.g. US census
names), one list per locale. Latin-script locales are used as written; Cyrillic ones (ru_RU,
uk_UA, bg_BG) are transliterated with seeds/translit_chars.csv (BGN/PCGN, as the SQL does);
Chinese, Korean and Japanese locales through Faker's romanized lists where it has them. Other
scripts are left out (written without vowels, their romanization is not what lists print).

`family_count` is the part of reference_count that comes from the family-name lists: how many of
the reference names hold the token as a family name (PENG, SANCHEZ, COOK), as opposed to a given
name (SERENA, JENSEN is both).

The reference population is REFERENCE_NAMES names: each locale contributes equally, a name being
a given name and a family name drawn by the locale's weights (uniform where Faker gives none). A
token's reference_count is the expected number of those names holding it, rounded; tokens with a
count below 1 are left out.

Reproduce (the seed is committed; rebuild only to update it):
    python3 -m venv /tmp/fk && /tmp/fk/bin/pip install faker==40.63.0
    /tmp/fk/bin/python scripts/build_name_token_frequencies.py > seeds/name_token_frequencies.csv
"""

from __future__ import annotations

import csv
import importlib
import pkgutil
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

REFERENCE_NAMES = 100_000
# Words that say what an organization is or does (seeds/organization_words.csv: TRADING,
# ELECTRONICS, KEJI, SANAYE): as common as a word found in this many of the reference names, so
# that they weigh the name_weight_floor (1/sqrt(400) = 0.05) and a shared business word never makes
# two companies one.
ORGANIZATION_WORD_COUNT = 400
CYRILLIC = ("ru_RU", "uk_UA", "bg_BG")
ROMANIZED = ("zh_CN", "zh_TW", "ko_KR", "ja_JP")


def _translit_map() -> dict[str, str]:
    path = Path(__file__).resolve().parents[1] / "seeds" / "translit_chars.csv"
    with path.open(encoding="utf-8") as fh:
        return {r["source_char"]: (r["latin"] or "") for r in csv.DictReader(fh)}


def _fold(text: str, translit: dict[str, str]) -> list[str]:
    text = "".join(translit.get(ch, translit.get(ch.lower(), ch)) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return [t for t in re.split(r"[^a-z0-9]+", text) if t]


def _shares(values: object) -> dict[str, float]:
    if isinstance(values, dict):
        total = float(sum(values.values()))
        return {k: v / total for k, v in values.items()}
    items = list(values)  # type: ignore[call-overload]
    return {k: 1.0 / len(items) for k in items} if items else {}


def main() -> int:
    from faker.providers import person

    translit = _translit_map()
    per_locale: list[dict[str, float]] = []
    per_locale_family: list[dict[str, float]] = []
    for module in pkgutil.iter_modules(person.__path__):
        locale = module.name
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        if locale in ROMANIZED:
            first = provider.__dict__.get("first_romanized_names")
            last = provider.__dict__.get("last_romanized_names")
        else:
            first = provider.__dict__.get("first_names")
            last = provider.__dict__.get("last_names")
        if not isinstance(first, (dict, list, tuple)) or not isinstance(last, (dict, list, tuple)):
            continue
        sample = " ".join(list(first)[:20] + list(last)[:20])
        latin = all(ord(ch) < 0x250 or not ch.isalpha() for ch in sample)
        if not latin and locale not in CYRILLIC:
            continue
        token_share: dict[str, float] = defaultdict(float)
        family_share: dict[str, float] = defaultdict(float)
        for part in (first, last):
            for name, share in _shares(part).items():
                for token in set(_fold(name, translit)):
                    token_share[token] += share
                    if part is last:
                        family_share[token] += share
        per_locale.append(token_share)
        per_locale_family.append(family_share)
    counts: dict[str, float] = defaultdict(float)
    family: dict[str, float] = defaultdict(float)
    for token_share, family_share in zip(per_locale, per_locale_family, strict=True):
        for token, share in token_share.items():
            counts[token] += share * REFERENCE_NAMES / len(per_locale)
            family[token] += family_share.get(token, 0.0) * REFERENCE_NAMES / len(per_locale)
    words = Path(__file__).resolve().parents[1] / "seeds" / "organization_words.csv"
    with words.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            counts[row["word"]] = max(counts[row["word"]], ORGANIZATION_WORD_COUNT)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["token", "reference_count", "family_count"])
    for token in sorted(counts):
        count = round(counts[token])
        if count >= 1 and len(token) > 1:
            out.writerow([token, count, min(count, round(family[token]))])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
