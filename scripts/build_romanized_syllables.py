"""Build seeds/romanized_syllables.csv: how one Chinese or Korean syllable is spelt in Latin letters.

A name romanized from Chinese or Korean is spelt by syllables, and each romanization system spells
a syllable its own way: Pinyin ZHANG is Wade-Giles CHANG, Pinyin XI is Wade-Giles HSI; Korean 박 is
PAK (McCune-Reischauer), BAK (Revised Romanization) and PARK (as most passports write it). The SQL
(macros/scoring/romanized_names.sql, docs/matching.md 4.3) cuts a name into the syllables of this
table and treats two names as one when each syllable of one and the syllable at the same place in
the other are spellings of one reading (a row's `reading`).

Rows: `spelling` (lower-case a-z, as the SQL sees a name after normalization), `reading` (the
syllable: `zh:` + its toneless Pinyin, or `ko:` + the Hangul syllable), `language` (zh, ko),
`system` (which table gave the spelling) and `syllable_class` (the smallest spelling of the
connected set of spellings and readings the spelling belongs to: a coarse key for blocking only,
never for the score). Spellings of one letter are left out (initials and single-letter words are
not evidence of a romanized name).

Chinese (language zh), every toneless syllable of the readings in the pypinyin package's
character table (MIT licence; Unicode's Unihan kMandarin readings), spelt:
  - pinyin:      as it is, u-umlaut written u (what normalization leaves of it);
  - wade_giles:  pypinyin's Wade-Giles conversion (its table follows the published
                 Wade-Giles/Pinyin conversion tables it cites), apostrophes (aspiration) dropped
                 and u-umlaut written u, as lists and passports print it (CH'ING is CHING);
  - common:      the spellings of common Chinese family names outside Mainland Pinyin: Hong Kong
                 (Cantonese, as the Hong Kong government romanizes names), Taiwan and Southeast Asia
                 (Hokkien, Teochew), listed in CHINESE_SURNAMES below with their Pinyin.
Korean (language ko), the Hangul syllables that are readings of Hanja in the hanja package's table
(MIT licence; Sino-Korean given names and family names are written with them) and the syllables
of the Korean names in Faker's ko_KR person provider (MIT), spelt syllable by syllable, without the
sound changes between syllables (as names are written), by:
  - rr:     Revised Romanization of Korean (Ministry of Culture and Tourism, 2000);
  - mr:     McCune-Reischauer (1939) without its breves and apostrophes (CHONG for ch'ong and
            chong), with the voiceless and the voiced spelling of plain consonants (K/G, T/D, P/B,
            CH/J), and R or L for the initial liquid;
  - dprk:   the DPRK's 1992 romanization (aspirates written KH, TH, PH; KIM JONG UN, RI SOL JU);
  - common: spellings that passports and lists use for the vowels (OO for u, EE for i, U for eo
            and eu, YOUNG for yeong) and the family-name spellings of KOREAN_SURNAMES below
            (LEE, PARK, CHOI, RHEE ...);
  a syllable in initial R also has the reading of its initial-sound-law form (Korean orthography,
  articles 10-12: 리 is 이 at the start of a word in the South, so RI, LEE, YI are one reading).

Reproduce (the seed is committed; rebuild only to update it):
    python3 -m venv /tmp/rom && /tmp/rom/bin/pip install pypinyin==0.55.0 hanja==0.15.1 faker==40.63.0
    /tmp/rom/bin/python scripts/build_romanized_syllables.py > seeds/romanized_syllables.csv
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict

# Common Chinese family names: Pinyin -> other spellings (Hong Kong Cantonese, Taiwan Wade-Giles
# variants, Hokkien/Teochew as in Singapore and Malaysia). Only spellings in wide use are listed.
CHINESE_SURNAMES: dict[str, tuple[str, ...]] = {
    "chen": ("chan", "tan", "chin"),
    "li": ("lee", "lei"),
    "zhang": ("cheung", "chong", "teo", "chang"),
    "huang": ("wong", "ng", "wee", "hwang"),
    "wang": ("wong", "ong", "heng"),
    "lin": ("lam", "lim", "lum"),
    "liu": ("lau", "lao", "low"),
    "wu": ("ng", "woo", "goh", "ngo"),
    "he": ("ho", "hoh"),
    "liang": ("leung", "neo", "nio"),
    "zhou": ("chow", "chau", "chew", "chiu"),
    "xu": ("tsui", "hsu", "hui", "koh", "shu"),
    "hu": ("woo", "foo", "oh"),
    "guo": ("kwok", "kuo", "kok", "quek"),
    "ma": ("mah", "beh"),
    "luo": ("law", "lo", "loh", "lor"),
    "zheng": ("cheng", "tay", "teh", "chang"),
    "xie": ("tse", "hsieh", "chia", "seah"),
    "yang": ("yeung", "yeo", "yong", "yiong"),
    "zhao": ("chiu", "chao", "teo", "chew"),
    "sun": ("suen", "soon", "sng"),
    "zhu": ("chu", "chee", "choo"),
    "gao": ("ko", "kao", "koh"),
    "zeng": ("tsang", "tseng", "chan"),
    "cai": ("choi", "tsai", "chua", "choy"),
    "deng": ("tang", "teng"),
    "ye": ("yip", "yeh", "yap", "ip"),
    "xiao": ("siu", "hsiao", "seow"),
    "lu": ("lo", "loo", "lou"),
    "feng": ("fung", "foong"),
    "song": ("sung", "soong"),
    "jiang": ("chiang", "keung", "kong"),
    "tang": ("tong",),
    "han": ("hon",),
    "cao": ("tso", "tsao", "chou"),
    "peng": ("pang", "phang"),
    "zhong": ("chung",),
    "wei": ("ngai",),
    "du": ("to", "tu"),
    "pan": ("poon", "phan"),
    "yuan": ("yuen",),
    "jin": ("kam", "kum", "chin", "kim"),
    "qian": ("chin", "chien"),
    "yu": ("yue", "yee", "jee", "ee"),
    "fang": ("fong",),
    "dong": ("tung",),
    "xia": ("ha", "hsia"),
    "shi": ("shih", "sze", "see"),
}

# Common spellings of Korean family names (Hangul -> spellings used beside the standards).
KOREAN_SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("kim", "gim"),
    "이": ("lee", "yi", "rhee", "ri", "li", "rie"),
    "리": ("lee", "yi", "rhee", "ri", "li"),
    "박": ("park", "pak", "bak", "bahk"),
    "최": ("choi", "choe", "chey", "choy"),
    "정": ("jung", "chung", "jeong", "cheong", "jong", "chong"),
    "조": ("cho", "jo", "joe"),
    "강": ("kang", "gang"),
    "윤": ("yoon", "yun", "youn"),
    "장": ("jang", "chang"),
    "임": ("lim", "im", "rim", "yim"),
    "림": ("lim", "im", "rim", "yim"),
    "한": ("han",),
    "오": ("oh",),
    "신": ("shin", "sin"),
    "서": ("seo", "suh", "so"),
    "권": ("kwon", "gwon", "kweon"),
    "황": ("hwang",),
    "안": ("ahn", "an"),
    "송": ("song",),
    "류": ("ryu", "yoo", "yu", "rhyu", "ryoo", "lyu"),
    "유": ("yoo", "yu", "ryu"),
    "홍": ("hong",),
    "전": ("jeon", "chun", "jun", "chon", "jon"),
    "고": ("ko", "go", "koh"),
    "문": ("moon", "mun"),
    "손": ("son", "sohn"),
    "양": ("yang", "ryang"),
    "배": ("bae", "pae"),
    "백": ("baek", "paek", "paik", "baik"),
    "허": ("heo", "huh", "hur", "ho"),
    "노": ("noh", "no", "roh", "ro"),
    "로": ("noh", "no", "roh", "ro"),
    "남": ("nam",),
    "심": ("shim", "sim"),
    "곽": ("kwak", "gwak"),
    "성": ("sung", "seong", "song"),
    "차": ("cha",),
    "주": ("joo", "ju", "chu"),
    "우": ("woo",),
    "구": ("koo", "gu", "ku"),
    "민": ("min",),
    "진": ("jin", "chin"),
    "지": ("ji", "chi"),
    "엄": ("eom", "um", "uhm", "om"),
    "변": ("byun", "pyon", "byeon"),
    "천": ("cheon", "chun", "chon"),
    "현": ("hyun", "hyon", "hyeon"),
    "염": ("yeom", "yum", "yom", "ryom"),
    "여": ("yeo", "yo", "ryo"),
    "석": ("seok", "suk", "sok"),
    "선": ("sun", "seon", "son"),
    "설": ("seol", "sul", "sol"),
    "연": ("yeon", "yon", "ryon"),
    "명": ("myung", "myong", "myeong"),
    "금": ("geum", "kum", "keum"),
    "육": ("yook", "yuk", "ryuk"),
    "국": ("kook", "guk", "kuk"),
}

# Revised Romanization (2000), jamo by jamo (syllable-initial consonants, vowels, final consonants).
RR_INITIAL = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
RR_VOWEL = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae",
    "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i",
]  # fmt: skip
RR_FINAL = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p",
    "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
]  # fmt: skip
# McCune-Reischauer (1939) without breves and apostrophes; plain consonants voiceless (initial) or
# voiced (inside a name), both written.
MR_INITIAL = [
    ("k", "g"), ("kk",), ("n",), ("t", "d"), ("tt",), ("r", "l"), ("m",), ("p", "b"), ("pp",),
    ("s",), ("ss",), ("",), ("ch", "j"), ("tch",), ("ch",), ("k",), ("t",), ("p",), ("h",),
]  # fmt: skip
MR_VOWEL = [
    "a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae",
    "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui", "i",
]  # fmt: skip
MR_FINAL = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p",
    "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
]  # fmt: skip
# DPRK (1992): plain consonants voiced inside a name, aspirates with H.
DPRK_INITIAL = [
    ("k", "g"), ("kk",), ("n",), ("t", "d"), ("tt",), ("r",), ("m",), ("p", "b"), ("pp",),
    ("s",), ("ss",), ("",), ("j",), ("jj",), ("ch",), ("kh",), ("th",), ("ph",), ("h",),
]  # fmt: skip
# Vowel spellings in common use beside the standards (index into the vowel list above).
COMMON_VOWEL = {4: ("u",), 6: ("yu",), 13: ("oo",), 18: ("u",), 19: ("ee", "i"), 20: ("ee",)}


def _jamo(syllable: str) -> tuple[int, int, int]:
    code = ord(syllable) - 0xAC00
    return code // (21 * 28), (code // 28) % 21, code % 28


def _hangul(initial: int, vowel: int, final: int) -> str:
    return chr(0xAC00 + (initial * 21 + vowel) * 28 + final)


def _korean_spellings(syllable: str) -> dict[str, set[str]]:
    i, v, f = _jamo(syllable)
    out: dict[str, set[str]] = defaultdict(set)
    out["rr"].add(RR_INITIAL[i] + RR_VOWEL[v] + RR_FINAL[f])
    for initial in MR_INITIAL[i]:
        # MR writes shi for s before i and wi
        onset = "sh" if initial == "s" and v in (16, 20) else initial
        out["mr"].add(onset + MR_VOWEL[v] + MR_FINAL[f])
    for initial in DPRK_INITIAL[i]:
        out["dprk"].add(initial + MR_VOWEL[v] + MR_FINAL[f])
    for vowel in COMMON_VOWEL.get(v, ()):
        out["common"].add(RR_INITIAL[i] + vowel + RR_FINAL[f])
    if (v, f) == (6, 21):  # yeong, written young
        out["common"].add(RR_INITIAL[i] + "young")
    return out


def _initial_law(syllable: str) -> str | None:
    """The start-of-word form of a syllable in initial R (리 -> 이, 라 -> 나), or None."""
    i, v, f = _jamo(syllable)
    if i != 5:  # ㄹ
        return None
    # before i, ya, yeo, ye, yo, yu: dropped; otherwise N
    return _hangul(11 if v in (2, 3, 6, 7, 12, 17, 20) else 2, v, f)


def _korean_syllables() -> set[str]:
    from faker.providers.person.ko_KR import Provider
    from hanja import table

    syllables = {s for s in table.hanja_table.values() if "가" <= s <= "힣"}
    for names in (Provider.last_names, Provider.first_names):
        for name in names:
            syllables.update(ch for ch in name if "가" <= ch <= "힣")
    return syllables


def _chinese_syllables() -> dict[str, set[str]]:
    from pypinyin import pinyin_dict
    from pypinyin.style._utils import replace_symbol_to_no_symbol
    from pypinyin.style.wadegiles import to_wade_glides

    readings: set[str] = set()
    for value in pinyin_dict.pinyin_dict.values():
        for p in value.split(","):
            plain = replace_symbol_to_no_symbol(p).replace("v", "ü")
            if re.fullmatch("[a-zü]+", plain) and re.search("[aeiouü]", plain):
                readings.add(plain)
    out: dict[str, set[str]] = {}
    for reading in readings:
        pinyin = reading.replace("ü", "u")
        wade = to_wade_glides(reading).replace("'", "").replace("’", "").replace("v", "u").replace("ü", "u")
        out[pinyin] = out.get(pinyin, set())
        out[pinyin].add(("pinyin", pinyin))  # type: ignore[arg-type]
        out[pinyin].add(("wade_giles", wade))  # type: ignore[arg-type]
    return out


def rows() -> list[dict[str, str]]:
    found: set[tuple[str, str, str, str]] = set()
    for reading, spellings in _chinese_syllables().items():
        for system, spelling in spellings:  # type: ignore[misc]
            found.add((spelling, "zh:" + reading, "zh", system))
    for reading, spellings in CHINESE_SURNAMES.items():
        for spelling in spellings:
            found.add((spelling, "zh:" + reading, "zh", "common"))
    for syllable in _korean_syllables() | set(KOREAN_SURNAMES):
        law = _initial_law(syllable)
        for form in (syllable,) if law is None else (syllable, law):
            for system, spellings in _korean_spellings(form).items():
                for spelling in spellings:
                    found.add((spelling, "ko:" + syllable, "ko", system))
    for syllable, spellings in KOREAN_SURNAMES.items():
        for spelling in spellings:
            found.add((spelling, "ko:" + syllable, "ko", "common"))
    found = {r for r in found if len(r[0]) > 1 and re.fullmatch("[a-z]+", r[0])}
    # syllable classes: connected sets of spellings and readings (blocking only)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for spelling, reading, _, _ in found:
        a, b = root("s:" + spelling), root("r:" + reading)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = defaultdict(list)
    for spelling, _, _, _ in found:
        members[root("s:" + spelling)].append(spelling)
    smallest = {k: min(v) for k, v in members.items()}
    return [
        {
            "spelling": spelling,
            "reading": reading,
            "language": language,
            "system": system,
            "syllable_class": smallest[root("s:" + spelling)],
        }
        for spelling, reading, language, system in sorted(found)
    ]


def main() -> int:
    writer = csv.DictWriter(
        sys.stdout, fieldnames=["spelling", "reading", "language", "system", "syllable_class"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
