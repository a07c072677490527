"""``omphalos publishability scan``: a pre-flight gate before anything leaves its originating context.

The rules are declared in ``contracts/publishability_rules.yml`` (ids, severities, descriptions,
detectors); this module implements the detectors. Credentials and keys are found with the
detect-secrets plugins (run directly, with its false-positive heuristics, without network
verification and without honouring in-file allowlist comments); markings, personal data and
internal infrastructure with the detectors below.

Every file under the scanned path is read, whatever its size: text line by line (CSV findings
also name the CSV column), JSON and JSON Lines as decoded strings (so escapes cannot hide a
value), Parquet and DuckDB files cell by cell (DuckDB opened read-only with external access
disabled), UTF-16 with or without a byte-order mark; archives (zip, tar, gzip, bzip2, xz, zstd),
Office documents (their XML parts as text) and PDF files (streams decoded, text operators read)
member by member, recursively and within ``ContainerLimits``, each finding located in its member;
other binary files as raw bytes. Every finding is reported with its location; the
matched value itself is never stored, only its SHA-256 and length. Suppressions (rule, path glob,
optionally the value's sha256 or a line, and a mandatory reason) are applied and listed.

Exit codes of the command: 0 no unsuppressed HIGH finding, 1 HIGH findings remain, 2 usage error.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import csv
import dataclasses
import fnmatch
import hashlib
import inspect
import ipaddress
import json
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from omphalos import __version__
from omphalos.errors import OmphalosError
from omphalos.evidence.canonical import canonical_bytes, write_canonical_json
from omphalos.pipeline.paths import project_root

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "RULES_SCHEMA_VERSION",
    "SEVERITIES",
    "SUPPRESSIONS_SCHEMA_VERSION",
    "ContainerLimits",
    "Finding",
    "Rule",
    "RulePack",
    "ScanError",
    "ScanReport",
    "Suppression",
    "load_rule_pack",
    "load_suppressions",
    "preflight_scan",
    "scan_path",
]

REPORT_SCHEMA_VERSION = "omphalos.publishability_report/1"
RULES_SCHEMA_VERSION = "omphalos.publishability_rules/1"
SUPPRESSIONS_SCHEMA_VERSION = "omphalos.publishability_suppressions/1"
SEVERITIES = ("HIGH", "MEDIUM", "LOW")
CHUNK = 8 * 1024 * 1024
CELL_BATCH = 65_536


class ScanError(OmphalosError):
    """The scan cannot be performed as asked (bad path, rule pack or suppression file)."""


# ---------------------------------------------------------------------------------------------
# Rule pack


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    category: str
    title: str
    description: str
    detector: str
    plugins: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class RulePack:
    path: str
    sha256: str
    rules: tuple[Rule, ...]

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


def default_rules_path() -> Path:
    return project_root() / "contracts" / "publishability_rules.yml"


def load_rule_pack(path: Path | None = None) -> RulePack:
    """Read and validate the rule pack; raise ScanError on any problem."""
    p = path or default_rules_path()
    try:
        raw = p.read_bytes()
        doc = yaml.safe_load(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScanError(f"rule pack {p}: cannot read: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != RULES_SCHEMA_VERSION:
        raise ScanError(f"rule pack {p}: schema_version must be {RULES_SCHEMA_VERSION!r}")
    rules: list[Rule] = []
    seen: set[str] = set()
    known_plugins = _detect_secrets_plugin_names()
    for i, item in enumerate(doc.get("rules") or []):
        where = f"rule pack {p}: rules[{i}]"
        if not isinstance(item, dict):
            raise ScanError(f"{where}: not a mapping")
        missing = [
            k
            for k in ("id", "severity", "category", "title", "description", "detector")
            if not isinstance(item.get(k), str) or not item[k].strip()
        ]
        if missing:
            raise ScanError(f"{where}: missing {', '.join(missing)}")
        rid = item["id"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*", rid) or rid in seen:
            raise ScanError(f"{where}: id {rid!r} is malformed or repeated")
        seen.add(rid)
        if item["severity"] not in SEVERITIES:
            raise ScanError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        detector = item["detector"]
        plugins = tuple(item.get("plugins") or ())
        if detector == "detect_secrets":
            unknown = [x for x in plugins if x not in known_plugins]
            if not plugins or unknown:
                raise ScanError(f"{where}: unknown or missing detect-secrets plugins {unknown}")
        elif detector != "scanner" and detector not in _DETECTORS:
            raise ScanError(f"{where}: unknown detector {detector!r}")
        rules.append(
            Rule(
                rid,
                item["severity"],
                item["category"],
                item["title"].strip(),
                " ".join(item["description"].split()),
                detector,
                plugins,
            )
        )
    scanner_ids = {"scan.unreadable", "scan.opaque_archive", "scan.symlink"}
    if not scanner_ids <= seen:
        raise ScanError(f"rule pack {p}: must declare {', '.join(sorted(scanner_ids))}")
    try:
        label = p.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        label = p.name
    return RulePack(label, hashlib.sha256(raw).hexdigest(), tuple(rules))


# ---------------------------------------------------------------------------------------------
# Detectors: each yields (start, end, value) over a text buffer. No pattern crosses a newline.

Match = tuple[int, int, str]
Detector = Callable[[str], Iterator[Match]]

_CTRL_TOKEN = r"(?:REL TO [A-Z]{3,4}(?:, ?[A-Z]{3,4})*|[A-Z0-9][A-Z0-9\-]*)"
_CTRL_GROUP = rf"{_CTRL_TOKEN}(?:/{_CTRL_TOKEN})*"
_BANNER = re.compile(
    rf"(?<![A-Za-z0-9_])(?:TOP SECRET|SECRET|CONFIDENTIAL)(?://{_CTRL_GROUP})+(?![a-z])"
)
_BANNER_LINE = re.compile(r"^[ \t]*(?:TOP SECRET|SECRET|CONFIDENTIAL)[ \t]*$", re.M)
_PORTION = re.compile(rf"\((?:TS|S|C)(?://{_CTRL_GROUP})+\)")
_DISSEM = re.compile(r"(?<![A-Za-z0-9_])(?:NOFORN|ORCON|IMCON|PROPIN|RELIDO)(?![A-Za-z0-9_])")
_HANDLING = [
    re.compile(r"(?<![A-Za-z0-9_])(?:CUI|CONTROLLED)//[A-Z][A-Z0-9\-]*(?:[/ ,]+[A-Z][A-Z0-9\-]*)*"),
    re.compile(r"\(CUI(?://[A-Z][A-Z0-9\- ,/]{0,60})?\)"),
    re.compile(r"^[ \t]*(?:CUI|CONTROLLED UNCLASSIFIED INFORMATION)[ \t]*$", re.M),
    re.compile(r"(?<![A-Za-z0-9_])FOUO(?![A-Za-z0-9_])"),
    re.compile(r"(?<![A-Za-z])FOR OFFICIAL USE ONLY(?![A-Za-z])"),
    re.compile(r"(?<![A-Za-z])LAW ENFORCEMENT SENSITIVE(?![A-Za-z])"),
]
_POSSIBLE_PORTION = re.compile(
    r"^[ \t>*\-]*(\((?:TS|S|C)\))[ \t]+(?!Copyright|COPYRIGHT|\d)[A-Z]", re.M
)

_URL_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,30}://"
    r"(?P<user>[^\s:/?#@'\"<>\[\]]{1,256}):(?P<pw>[^\s/?#@'\"<>]{1,256})@"
    r"(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])"
)
_PW_PLACEHOLDER = re.compile(
    r"^(?:\$.*|\{.*\}|<.*>|%.*|\*+|x+|X+|\.\.\.|password|pass|passwd|secret|PASSWORD)$"
)

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)
_DOC_DOMAINS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|[a-z0-9\-]+\.(?:example|test|invalid|localhost)|"
    r"example|test|invalid|localhost)$",
    re.I,
)
_IMAGE_TLDS = {"png", "jpg", "jpeg", "gif", "svg", "webp"}

_PHONE_INTL = re.compile(
    r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\)|[ .\-]?\d{1,4})(?:[ .\-]?\d{1,4}){1,5}(?![\w])"
)
_PHONE_NANP = re.compile(
    r"(?<![\w.\-])(?:\((?P<a1>[2-9]\d{2})\)[ ]?|(?P<a2>[2-9]\d{2})(?P<s>[.\-]))"
    r"(?P<ex>[2-9]\d{2})[.\-](?P<line>\d{4})(?![\w.\-])"
)
_SSN = re.compile(r"(?<![\w\-])(\d{3})-(\d{2})-(\d{4})(?![\w\-])")
_SSN_EXAMPLES = {"078-05-1120", "219-09-9999", "123-45-6789"}
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)
# ISO 13616 registry lengths (the IBAN countries most often seen; others: 15-34 accepted).
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29,
    "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

_HOST_SUFFIX = r"(?:internal|corp|local|lan|intranet|localdomain|home\.arpa)"
_HOSTNAME = re.compile(
    r"(?<![A-Za-z0-9_\-.])(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    rf"{_HOST_SUFFIX})(?![A-Za-z0-9_\-]|\.[A-Za-z0-9]|\()",
    re.I,
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:])(?:f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]):[0-9a-f:]{1,35}(?![\w:])", re.I
)
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
)
_HOME = re.compile(
    r"(?:(?<![\w.~])/(?:home|Users)/|(?<![A-Za-z])[A-Za-z]:\\{1,2}Users\\{1,2})"
    r"(?P<user>[A-Za-z0-9._\-]{1,64})(?=[/\\]|$|[\s'\")\],;:])",
    re.M,
)
_HOME_PLACEHOLDERS = {
    "user",
    "username",
    "me",
    "you",
    "someone",
    "name",
    "USER",
    "USERNAME",
    "Shared",
    "Public",
    "Default",
    "All Users",
}


def _all(patterns: Iterable[re.Pattern[str]], text: str) -> Iterator[Match]:
    for rx in patterns:
        for m in rx.finditer(text):
            yield m.start(), m.end(), m.group(0).strip()


def _detect_classification(text: str) -> Iterator[Match]:
    yield from _all((_BANNER, _BANNER_LINE, _PORTION), text)


def _detect_dissemination(text: str) -> Iterator[Match]:
    yield from _all((_DISSEM,), text)


def _detect_handling(text: str) -> Iterator[Match]:
    yield from _all(_HANDLING, text)


def _detect_possible_portion(text: str) -> Iterator[Match]:
    for m in _POSSIBLE_PORTION.finditer(text):
        yield m.start(1), m.end(1), m.group(1)


def _detect_url_password(text: str) -> Iterator[Match]:
    for m in _URL_PASSWORD.finditer(text):
        pw = m.group("pw")
        if _PW_PLACEHOLDER.match(pw):
            continue
        yield m.start("pw"), m.end("pw"), pw


def _detect_email(text: str) -> Iterator[Match]:
    for m in _EMAIL.finditer(text):
        value = m.group(0)
        local, _, domain = value.rpartition("@")
        if _DOC_DOMAINS.search(domain) or local.lower() == "git":
            continue
        if domain.rsplit(".", 1)[-1].lower() in _IMAGE_TLDS:
            continue
        yield m.start(), m.end(), value


def _detect_phone(text: str) -> Iterator[Match]:
    for m in _PHONE_INTL.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 8 <= len(digits) <= 15:
            yield m.start(), m.end(), m.group(0)
    for m in _PHONE_NANP.finditer(text):
        value = m.group(0)
        if m.group("s") and value.count(m.group("s")) != 2:
            continue  # mixed separators: 202-555.0143 is not how numbers are written
        yield m.start(), m.end(), value


def _detect_ssn(text: str) -> Iterator[Match]:
    for m in _SSN.finditer(text):
        area, group, serial = m.group(1), m.group(2), m.group(3)
        if area in ("000", "666") or area >= "900" or group == "00" or serial == "0000":
            continue
        if m.group(0) in _SSN_EXAMPLES:
            continue
        yield m.start(), m.end(), m.group(0)


def _iban_ok(compact: str) -> bool:
    country = compact[:2]
    expected = _IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        return False
    if expected is None and not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _detect_iban(text: str) -> Iterator[Match]:
    for m in _IBAN.finditer(text):
        compact = m.group(0).replace(" ", "")
        if _iban_ok(compact):
            yield m.start(), m.end(), m.group(0)


def _detect_hostname(text: str) -> Iterator[Match]:
    for m in _HOSTNAME.finditer(text):
        host = m.group("host")
        start, end = m.start("host"), m.end("host")
        before = text[max(0, start - 3) : start]
        after = text[end : end + 6]
        labels = host.count(".")  # labels before the suffix (home.arpa counts one extra)
        in_context = (
            before.endswith("://")
            or before.endswith("@")
            or before.endswith("\\\\")
            or re.match(r":\d{2,5}\b", after) is not None
        )
        if in_context or labels >= 2 + (1 if host.lower().endswith("home.arpa") else 0):
            yield start, end, host


def _detect_private_ip(text: str) -> Iterator[Match]:
    for rx in (_IPV4, _IPV6):
        for m in rx.finditer(text):
            try:
                addr = ipaddress.ip_address(m.group(0))
            except ValueError:
                continue
            if any(addr in net for net in _PRIVATE_NETS if net.version == addr.version):
                yield m.start(), m.end(), m.group(0)


def _detect_home_path(text: str) -> Iterator[Match]:
    for m in _HOME.finditer(text):
        if m.group("user") in _HOME_PLACEHOLDERS:
            continue
        yield m.start(), m.end("user"), m.group(0)


_DETECTORS: dict[str, Detector] = {
    "classification": _detect_classification,
    "dissemination_control": _detect_dissemination,
    "handling": _detect_handling,
    "possible_portion": _detect_possible_portion,
    "url_password": _detect_url_password,
    "email": _detect_email,
    "phone": _detect_phone,
    "us_ssn": _detect_ssn,
    "iban": _detect_iban,
    "internal_hostname": _detect_hostname,
    "private_ip": _detect_private_ip,
    "home_path": _detect_home_path,
}


@dataclasses.dataclass(frozen=True)
class _Gate:
    """A necessary condition for a detector to match on a line: one of the literal needles
    (case-sensitive ``cs``, case-insensitive ``ci``) or the ``trigger`` pattern occurs in it.
    Detectors then run only on the lines that pass, which keeps big data files fast."""

    cs: tuple[str, ...] = ()
    ci: tuple[str, ...] = ()
    trigger: re.Pattern[str] | None = None


class _Buffer:
    """A text buffer with lazily computed helpers shared by the detectors."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def lines_passing(self, gate: _Gate) -> list[int]:
        """Start offsets of the lines that pass ``gate``, sorted."""
        text = self.text
        starts: set[int] = set()

        def add_all(haystack: str, needle: str) -> None:
            pos = haystack.find(needle)
            while pos >= 0:
                start = haystack.rfind("\n", 0, pos) + 1
                starts.add(start)
                end = haystack.find("\n", pos)
                if end < 0:
                    break
                pos = haystack.find(needle, end)

        for needle in gate.cs:
            add_all(text, needle)
        for needle in gate.ci:
            add_all(self.lower, needle)
        if gate.trigger is not None:
            for m in gate.trigger.finditer(text):
                starts.add(text.rfind("\n", 0, m.start()) + 1)
        return sorted(starts)

    def line_at(self, start: int) -> str:
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]


def _gated(detect: Detector, gate: _Gate | None, buf: _Buffer) -> Iterator[Match]:
    if gate is None:
        yield from detect(buf.text)
        return
    for start in buf.lines_passing(gate):
        for a, b, value in detect(buf.line_at(start)):
            yield start + a, start + b, value


_GATES: dict[str, _Gate] = {
    "classification": _Gate(cs=("SECRET", "CONFIDENTIAL", "S//", "C//")),
    "dissemination_control": _Gate(cs=("NOFORN", "ORCON", "IMCON", "PROPIN", "RELIDO")),
    "handling": _Gate(
        cs=("CUI", "CONTROLLED", "FOUO", "FOR OFFICIAL USE ONLY", "LAW ENFORCEMENT SENSITIVE")
    ),
    "possible_portion": _Gate(cs=("(TS)", "(S)", "(C)")),
    "url_password": _Gate(cs=("://",)),
    "email": _Gate(cs=("@",)),
    "phone": _Gate(cs=("+",), trigger=re.compile(r"\d{3}[.\-]\d{4}(?!\d)")),
    "us_ssn": _Gate(trigger=re.compile(r"-\d\d-\d{4}")),
    "internal_hostname": _Gate(
        ci=(".internal", ".corp", ".local", ".lan", ".intranet", ".home.arpa")
    ),
    "private_ip": _Gate(
        trigger=re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|[fF][c-eC-E][0-9a-fA-F]{2}:")
    ),
    "home_path": _Gate(cs=("/home/", "/Users/", "\\Users\\")),
}
# Gates of detect-secrets plugins whose own patterns are slow over big buffers (each needle is
# a substring every match of the plugin must contain). Plugins not listed are prefiltered with
# their own patterns.
_PLUGIN_GATES: dict[str, _Gate] = {
    "PrivateKeyDetector": _Gate(cs=("PRIVATE KEY", "PuTTY-User-Key-File")),
    "AWSKeyDetector": _Gate(cs=("A3T", "ABIA", "ACCA", "AKIA", "ASIA"), ci=("aws",)),
    "ArtifactoryDetector": _Gate(
        trigger=re.compile(r"AKC[a-zA-Z0-9]{10}|AP[\dABCDEF][a-zA-Z0-9]{8}")
    ),
    "AzureStorageKeyDetector": _Gate(cs=("AccountKey=",)),
    "CloudantDetector": _Gate(ci=("key", "pw", "pass", "token")),
    "IbmCloudIamDetector": _Gate(ci=("key", "pwd", "pass", "token")),
    "IbmCosHmacDetector": _Gate(ci=("secret",)),
    "SoftlayerDetector": _Gate(ci=("key", "pwd", "pass", "token", "softlayer")),
    "MailchimpDetector": _Gate(cs=("-us",)),
    "KeywordDetector": _Gate(ci=("key", "pass", "pwd", "secret", "contrase")),
}


_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<a>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
    r"|---- BEGIN (?P<b>SSH2 ENCRYPTED PRIVATE KEY) ----"
    r"|(?<![A-Za-z0-9\-])(?P<c>PuTTY-User-Key-File-\d+): ",
)


def _detect_private_key(text: str) -> Iterator[Match]:
    """Private key armour: every PEM ``BEGIN ... PRIVATE KEY`` form (RSA, EC, DSA, OpenSSH,
    PKCS#8 ``PRIVATE KEY`` and ``ENCRYPTED PRIVATE KEY``, PGP ``PRIVATE KEY BLOCK``), the SSH2
    (RFC 4716) encrypted form and PuTTY key files of any version. The value is the armour text
    (``BEGIN ENCRYPTED PRIVATE KEY``), as detect-secrets records it."""
    for m in _PRIVATE_KEY.finditer(text):
        name = m.lastgroup or "a"
        value = m.group(name)
        yield m.start(name), m.end(name), value if name == "c" else "BEGIN " + value


_DETECTORS["private_key"] = _detect_private_key
_GATES["private_key"] = _Gate(cs=("PRIVATE KEY", "PuTTY-User-Key-File-"))

# A key or column name the keyword detector would read as naming a secret.
_KEYWORD_NAME = re.compile(
    r"pass|pwd|secret|token|api_?key|apikey|private_?key|credential|contrase", re.I
)


def _keyword_filename(name: str) -> str:
    """The file name the keyword detector reads a file as: dotenv files (``.env``,
    ``.env.local``, ``prod.env``) are read as configuration (``KEY=value`` without quotes)."""
    base = name.rsplit("/", 1)[-1].lower()
    if base == ".env" or base.startswith(".env.") or base.endswith(".env"):
        return name + ".ini"
    return name


# ---------------------------------------------------------------------------------------------
# detect-secrets


def _detect_secrets_plugin_names() -> set[str]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    return {cls.__name__ for cls in classes}


_DS_FILTERS = (
    "is_sequential_string",
    "is_potential_uuid",
    "is_likely_id_string",
    "is_templated_secret",
    "is_prefixed_with_dollar_sign",
    "is_indirect_reference",
    "is_not_alphanumeric_string",
)


# Plugins whose secrets are random strings: a snake_case identifier after a keyword such as
# "pass" or "key" (`PASS unique_int_registry_names_normalized_name_id` in a dbt log) is not one.
_RANDOM_SECRET_PLUGINS = frozenset(
    {"CloudantDetector", "IbmCloudIamDetector", "IbmCosHmacDetector", "SoftlayerDetector"}
)
_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+){2,}")


def _whole_token(plugin: Any, line: str, pos: int, value: str) -> str:
    """Some plugins capture only a token's type prefix (``(ghp|gho|...)_[A-Za-z0-9_]{36}``
    yields ``ghp``); record the whole match then, so that the hash identifies the token."""
    for rx in getattr(plugin, "denylist", ()):
        for m in rx.finditer(line):
            if m.start() == pos and len(m.group(0)) > len(value) and m.group(0).startswith(value):
                return str(m.group(0))
    return value


class _SecretsEngine:
    """detect-secrets plugins run on the lines where their own patterns (or, for the keyword
    detector, its keywords) occur; then its heuristic filters; never its verification."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.filters import heuristic
        from detect_secrets.plugins.base import RegexBasedDetector
        from detect_secrets.plugins.keyword import DENYLIST
        from detect_secrets.util.code_snippet import get_code_snippet

        plugin_classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
        classes: dict[str, Any] = {c.__name__: c for c in plugin_classes}
        self._snippet = get_code_snippet
        self._filters: list[tuple[Callable[..., Any], frozenset[str]]] = []
        for name in _DS_FILTERS:
            fn = getattr(heuristic, name)
            self._filters.append((fn, frozenset(inspect.signature(fn).parameters)))
        self._plugins: list[tuple[str, Any, _Gate | None, list[re.Pattern[str]]]] = []
        for rule in rules:
            for name in rule.plugins:
                plugin = classes[name]()
                if isinstance(plugin, RegexBasedDetector):
                    prefilters = [re.compile(p.pattern, p.flags | re.M) for p in plugin.denylist]
                else:
                    prefilters = [re.compile("|".join(DENYLIST), re.I)]
                self._plugins.append((rule.id, plugin, _PLUGIN_GATES.get(name), prefilters))

    def _filtered(self, secret: str, line: str, plugin: Any) -> bool:
        if type(plugin).__name__ in _RANDOM_SECRET_PLUGINS and _IDENTIFIER.fullmatch(secret):
            return True
        if type(plugin).__name__ == "PrivateKeyDetector" and not (
            secret.startswith("PuTTY") or f"-----{secret}" in line
        ):
            return True  # the words alone (code that checks for a header), not a PEM block
        given = {"secret": secret, "line": line, "plugin": plugin}
        for fn, params in self._filters:
            if not params <= given.keys():  # pragma: no cover - a filter needing more context
                continue
            if fn(**{k: given[k] for k in params}):
                return True
        return False

    def keyword_hits(self, key: str, value: str) -> Iterator[tuple[str, str]]:
        """(rule id, secret) of the keyword plugins over ``key: value`` read as configuration."""
        line = f"{key}: {value}"
        context = self._snippet(lines=[line], line_number=1)
        for rule_id, plugin, _gate, _prefilters in self._plugins:
            if type(plugin).__name__ != "KeywordDetector":
                continue
            found = plugin.analyze_line(
                filename="pair.yaml", line=line, line_number=1, context=context
            )
            for secret in sorted(found, key=lambda s: str(s.secret_value)):
                secret_value = secret.secret_value
                if secret_value and not self._filtered(secret_value, line, plugin):
                    yield rule_id, secret_value

    def hits(self, buf: _Buffer, filename: str) -> Iterator[tuple[str, int, str]]:
        if not self._plugins:
            return
        text = buf.text
        candidates: dict[int, set[int]] = {}
        for idx, (_rule, _plugin, gate, prefilters) in enumerate(self._plugins):
            if gate is not None:
                for start in buf.lines_passing(gate):
                    candidates.setdefault(start, set()).add(idx)
                continue
            for rx in prefilters:
                for m in rx.finditer(text):
                    start = text.rfind("\n", 0, m.start()) + 1
                    candidates.setdefault(start, set()).add(idx)
        for start in sorted(candidates):
            line = buf.line_at(start)
            context = self._snippet(lines=[line], line_number=1)
            for idx in sorted(candidates[start]):
                rule_id, plugin, _gate, _prefilters = self._plugins[idx]
                found = plugin.analyze_line(
                    filename=filename, line=line, line_number=1, context=context
                )
                for secret in sorted(found, key=lambda s: str(s.secret_value)):
                    value = secret.secret_value
                    if not value or self._filtered(value, line, plugin):
                        continue
                    pos = line.find(value)
                    yield rule_id, start + max(pos, 0), _whole_token(plugin, line, pos, value)


# ---------------------------------------------------------------------------------------------
# Findings, suppressions, report


@dataclasses.dataclass
class Finding:
    rule: str
    severity: str
    path: str
    location: dict[str, Any]
    value_sha256: str | None
    value_length: int | None
    message: str
    suppression: int | None = None

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (
            self.path,
            str(loc.get("member", "")),
            str(loc.get("table", "")),
            str(loc.get("view", "")),
            str(loc.get("schema", "")),
            int(loc.get("line", 0)),
            int(loc.get("row", 0)),
            str(loc.get("column_name", "")),
            str(loc.get("pointer", "")),
            int(loc.get("column", 0)),
            int(loc.get("char", 0)),
            int(loc.get("byte_offset", 0)),
            self.rule,
            self.value_sha256 or "",
        )

    def where(self) -> str:
        loc = self.location
        parts = [self.path + (f"!{loc['member']}" if "member" in loc else "")]
        if "line" in loc:
            parts.append(f":{loc['line']}" + (f":{loc['column']}" if "column" in loc else ""))
        if "byte_offset" in loc:
            parts.append(f"@byte {loc['byte_offset']}")
        for key in ("table", "view", "schema", "pointer"):
            if key in loc:
                parts.append(f" {key} {loc[key]}")
        if "row" in loc:
            parts.append(f" row {loc['row']}")
        if "column_name" in loc:
            parts.append(f" column {loc['column_name']}")
        if "field" in loc:
            parts.append(f" (CSV column {loc['field']})")
        if "attribute" in loc:
            parts.append(f" (attribute {loc['attribute']})")
        if loc.get("file_name"):
            parts.append(" (file name)")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "location": self.location,
            "value_sha256": self.value_sha256,
            "value_length": self.value_length,
            "message": self.message,
        }
        if self.suppression is not None:
            out["suppression"] = self.suppression
        return out


@dataclasses.dataclass
class Suppression:
    index: int
    rule: str
    path: str
    value_sha256: str | None
    line: int | None
    reason: str
    matched: int = 0

    def matches(self, f: Finding) -> bool:
        if f.rule != self.rule or not fnmatch.fnmatchcase(f.path, self.path):
            return False
        if self.value_sha256 is not None and f.value_sha256 != self.value_sha256:
            return False
        return self.line is None or f.location.get("line") == self.line

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "rule": self.rule,
            "path": self.path,
            "value_sha256": self.value_sha256,
            "line": self.line,
            "scope": "value"
            if self.value_sha256
            else ("line" if self.line is not None else "file"),
            "reason": self.reason,
            "matched": self.matched,
        }


def load_suppressions(path: Path, pack: RulePack) -> list[Suppression]:
    """Read a suppression file (docs/publishability.md); raise ScanError on any problem."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScanError(f"suppressions {path}: cannot read: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != SUPPRESSIONS_SCHEMA_VERSION:
        raise ScanError(
            f"suppressions {path}: schema_version must be {SUPPRESSIONS_SCHEMA_VERSION!r}"
        )
    items = doc.get("suppressions") or []
    if not isinstance(items, list):
        raise ScanError(f"suppressions {path}: 'suppressions' must be a list")
    rules = pack.by_id()
    out: list[Suppression] = []
    for i, item in enumerate(items):
        where = f"suppressions {path}: suppressions[{i}]"
        if not isinstance(item, dict):
            raise ScanError(f"{where}: not a mapping")
        unknown = sorted(set(item) - {"rule", "path", "value_sha256", "line", "reason"})
        if unknown:
            raise ScanError(f"{where}: unknown key(s) {', '.join(unknown)}")
        rule, glob, reason = item.get("rule"), item.get("path"), item.get("reason")
        if rule not in rules:
            raise ScanError(f"{where}: unknown rule {rule!r}")
        if not isinstance(glob, str) or not glob:
            raise ScanError(f"{where}: 'path' (a glob relative to the scanned path) is required")
        if not isinstance(reason, str) or len(reason.strip()) < 8:
            raise ScanError(f"{where}: a 'reason' (at least a short sentence) is required")
        value = item.get("value_sha256")
        if value is not None and (
            not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value)
        ):
            raise ScanError(f"{where}: value_sha256 must be 64 lowercase hex digits")
        line = item.get("line")
        if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
            raise ScanError(f"{where}: line must be a positive integer")
        out.append(Suppression(i, str(rule), glob, value, line, " ".join(reason.split())))
    return out


@dataclasses.dataclass
class ScanReport:
    root_name: str
    pack: RulePack
    files: list[dict[str, Any]]
    findings: list[Finding]
    suppressions: list[Suppression]
    options: dict[str, Any]

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.suppression is None]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.open_findings if f.severity == "HIGH"]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        counts = {s: 0 for s in SEVERITIES}
        for f in self.open_findings:
            counts[f.severity] += 1
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "tool": {"name": "omphalos", "version": __version__},
            "rule_pack": {"path": self.pack.path, "sha256": self.pack.sha256},
            "root": self.root_name,
            "options": self.options,
            "ok": self.ok,
            "summary": {
                "files": len(self.files),
                "findings": counts,
                "suppressed": sum(1 for f in self.findings if f.suppression is not None),
                "blocking": len(self.blocking),
            },
            "files": self.files,
            "findings": [f.to_dict() for f in self.open_findings],
            "suppressed_findings": [
                f.to_dict() for f in self.findings if f.suppression is not None
            ],
            "suppressions": [s.to_dict() for s in self.suppressions],
            "unused_suppressions": [s.index for s in self.suppressions if s.matched == 0],
        }

    def write_json(self, path: Path) -> None:
        write_canonical_json(path, self.to_dict())

    def to_sarif(self) -> dict[str, Any]:
        level = {"HIGH": "error", "MEDIUM": "warning", "LOW": "note"}
        rules = [
            {
                "id": r.id,
                "name": r.id.replace(".", "_"),
                "shortDescription": {"text": r.title},
                "help": {"text": f"{r.title}: see docs/publishability.md, rule {r.id}"},
                "defaultConfiguration": {"level": level[r.severity]},
                "properties": {"severity": r.severity, "category": r.category},
            }
            for r in self.pack.rules
        ]
        index = {r.id: i for i, r in enumerate(self.pack.rules)}
        results = []
        for f in self.findings:
            loc = f.location
            physical: dict[str, Any] = {"artifactLocation": {"uri": f.path}}
            if "line" in loc:
                region = {"startLine": loc["line"]}
                if "column" in loc:
                    region["startColumn"] = loc["column"]
                physical["region"] = region
            elif "byte_offset" in loc:
                physical["region"] = {"byteOffset": loc["byte_offset"]}
            result: dict[str, Any] = {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": level[f.severity],
                "message": {"text": f"{f.message} ({f.where()})"},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {"valueSha256/v1": f.value_sha256 or ""},
            }
            logical = {k: v for k, v in loc.items() if k not in ("line", "column", "byte_offset")}
            if logical:
                result["locations"][0]["logicalLocations"] = [
                    {
                        "fullyQualifiedName": f.where(),
                        "kind": "element",
                        "properties": logical,
                    }
                ]
            if f.suppression is not None:
                sup = self.suppressions[f.suppression]
                result["suppressions"] = [{"kind": "external", "justification": sup.reason}]
            results.append(result)
        return {
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "omphalos-publishability",
                            "version": __version__,
                            "informationUri": "docs/publishability.md",
                            "rules": rules,
                        }
                    },
                    "results": results,
                }
            ],
        }

    def write_sarif(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(canonical_bytes(self.to_sarif()) + b"\n")


# ---------------------------------------------------------------------------------------------
# The scanner


def _display_path(rel: str) -> str:
    text = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


_ARCHIVE_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def _kind_of(path: Path, size: int) -> str:
    with path.open("rb") as fh:
        head = fh.read(65536)
        tail = b""
        if size >= 8:
            fh.seek(size - 4)
            tail = fh.read(4)
    return _content_kind(head, path.name, size, tail)


class _Scanner:
    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.rules = pack.by_id()
        self.regex_rules = [
            (r, _DETECTORS[r.detector]) for r in pack.rules if r.detector in _DETECTORS
        ]
        self.secrets = _SecretsEngine([r for r in pack.rules if r.detector == "detect_secrets"])
        self.findings: list[Finding] = []
        self._member: str | None = None  # "a.zip!dir/b.txt" chain while scanning inside a file
        self._member_name: str | None = None  # the member's own name (file type for keywords)
        self.limits = ContainerLimits()

    # -- hits over a buffer -------------------------------------------------------------------

    def _hits(self, text: str, filename: str) -> list[tuple[str, int, str]]:
        seen: set[tuple[str, int, str]] = set()
        buf = _Buffer(text)
        for rule, detect in self.regex_rules:
            for start, _end, value in _gated(detect, _GATES.get(rule.detector), buf):
                seen.add((rule.id, start, value))
        for hit in self.secrets.hits(buf, _keyword_filename(self._member_name or filename)):
            seen.add(hit)
        return sorted(seen)

    @contextlib.contextmanager
    def inside(self, member: str) -> Iterator[None]:
        """Findings made in the block are located in ``member`` of the current file (nested
        containers chain their member paths with ``!``)."""
        saved = (self._member, self._member_name)
        self._member = member if saved[0] is None else f"{saved[0]}!{member}"
        self._member_name = member.rsplit("/", 1)[-1]
        try:
            yield
        finally:
            self._member, self._member_name = saved

    def _add(self, rule_id: str, path: str, location: dict[str, Any], value: str | None) -> None:
        rule = self.rules[rule_id]
        if self._member is not None:
            location = {"member": self._member, **location}
        digest = (
            hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest() if value else None
        )
        self.findings.append(
            Finding(
                rule_id,
                rule.severity,
                path,
                location,
                digest,
                len(value) if value else None,
                rule.title,
            )
        )

    def scan_cells(
        self,
        values: Sequence[str | None],
        path: str,
        filename: str,
        where: Callable[[int], dict[str, Any]],
    ) -> None:
        """Scan a batch of cell values; ``where(i)`` gives the location of cell ``i``. Each
        distinct value is scanned once and its findings reported at every cell holding it."""
        cells: dict[str, list[int]] = {}
        for i, value in enumerate(values):
            if value:
                cells.setdefault(value, []).append(i)
        if not cells:
            return
        distinct = list(cells)
        text = "\n".join(distinct)
        starts: list[int] = []
        pos = 0
        for part in distinct:
            starts.append(pos)
            pos += len(part) + 1
        for rule_id, offset, value in self._hits(text, filename):
            k = bisect.bisect_right(starts, offset) - 1
            char = offset - starts[k] + 1
            for i in cells[distinct[k]]:
                loc = dict(where(i))
                loc["char"] = char
                self._add(rule_id, path, loc, value)

    def scan_pairs(
        self,
        pairs: Sequence[tuple[str, str | None]],
        path: str,
        where: Callable[[int], dict[str, Any]],
    ) -> None:
        """Keyword detection over (name, value) pairs that no single cell shows together: a
        JSON key and its string value, a column named like a password and its cells."""
        seen: dict[tuple[str, str], list[int]] = {}
        for i, (key, value) in enumerate(pairs):
            if value and _KEYWORD_NAME.search(key):
                seen.setdefault((key, value), []).append(i)
        for (key, value), cells in seen.items():
            for rule_id, found in self.secrets.keyword_hits(key, value):
                pos = value.find(found)
                for i in cells:
                    loc = dict(where(i))
                    loc["char"] = max(pos, 0) + 1
                    self._add(rule_id, path, loc, found)

    # -- file kinds ----------------------------------------------------------------------------

    def scan_text_file(self, path: Path, rel: str, kind: str) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        line_base = 1
        carry = b""
        header: list[str] | None = None
        binary = kind in ("binary", "archive")
        byte_base = 0
        with path.open("rb") as fh:
            while True:
                block = fh.read(CHUNK)
                digest.update(block)
                size += len(block)
                data = carry + block
                if block:
                    cut = data.rfind(b"\n")
                    if cut < 0:
                        carry = data
                        continue
                    chunk, carry = data[: cut + 1], data[cut + 1 :]
                else:
                    chunk, carry = data, b""
                if chunk:
                    if binary:
                        self._scan_binary_chunk(chunk, rel, byte_base)
                    else:
                        text = chunk.decode("utf-8", "replace")
                        if kind == "csv" and header is None:
                            first = text.split("\n", 1)[0].rstrip("\r")
                            header = next(csv.reader([first]), [])
                        self._scan_text_chunk(text, rel, line_base, header)
                        line_base += text.count("\n")
                    byte_base += len(chunk)
                if not block:
                    break
        return digest.hexdigest(), size

    def _scan_binary_chunk(self, chunk: bytes, rel: str, byte_base: int) -> None:
        text = chunk.decode("latin-1")
        for rule_id, offset, value in self._hits(text, rel):
            self._add(rule_id, rel, {"byte_offset": byte_base + offset}, value)
        # UTF-16LE strings inside binary files (as `strings -el` finds them)
        for m in _UTF16LE_RUN.finditer(chunk):
            run = m.group(0).decode("utf-16-le")
            for rule_id, offset, value in self._hits(run, rel):
                self._add(rule_id, rel, {"byte_offset": byte_base + m.start() + 2 * offset}, value)

    def scan_text_bytes(self, data: bytes, rel: str, kind: str) -> None:
        """A member's bytes (in memory, bounded by the container limits) as text or binary."""
        if kind in ("binary", "archive"):
            self._scan_binary_chunk(data, rel, 0)
            return
        text = data.decode("utf-8", "replace")
        header = None
        if kind == "csv":
            header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]), [])
        self._scan_text_chunk(text, rel, 1, header)

    def _scan_text_chunk(
        self, text: str, rel: str, line_base: int, header: list[str] | None
    ) -> None:
        hits = self._hits(text, rel)
        if not hits:
            return
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        for rule_id, offset, value in hits:
            idx = bisect.bisect_right(starts, offset) - 1
            col = offset - starts[idx] + 1
            loc: dict[str, Any] = {"line": line_base + idx, "column": col}
            if header is not None and line_base + idx > 1:
                prefix = text[starts[idx] : offset]
                fields = next(csv.reader([prefix]), [""])
                field_index = max(len(fields) - 1, 0)
                if field_index < len(header):
                    loc["field"] = header[field_index]
            self._add(rule_id, rel, loc, value)

    def scan_csv(self, path: Path, rel: str) -> bool:
        """Scan a CSV (TSV) file cell by cell; False when it does not parse as one (the caller
        then scans it as text). Rows count the header as row 1, as in inputs/rejects.csv."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
        if not header:
            return False
        generic = [f"c{i}" for i in range(len(header))]
        try:
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(
                    column_names=generic, skip_rows=1, block_size=16 * 1024 * 1024
                ),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in generic},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            batches = list(reader)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return False
        self.scan_cells(header, rel, rel, _named(header, {"row": 1}))
        row_base = 1
        for batch in batches:
            for name, column in zip(header, batch.columns, strict=False):
                values = _arrow_texts(column, pa)
                if values is not None:
                    self.scan_cells(values, rel, rel, _rows(row_base, {"column_name": name}))
                    self.scan_pairs(
                        [(name, v) for v in values], rel, _rows(row_base, {"column_name": name})
                    )
            row_base += batch.num_rows
        return True

    def scan_utf16(self, path: Path, rel: str) -> tuple[str, int]:
        raw = path.read_bytes()
        self.scan_utf16_bytes(raw, rel)
        return hashlib.sha256(raw).hexdigest(), len(raw)

    def scan_utf16_bytes(self, raw: bytes, rel: str) -> None:
        encoding = _utf16_encoding(raw[:65536]) or "utf-16"
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"  # the BOM says which, and is dropped
        text = raw.decode(encoding, "replace")
        self._scan_text_chunk(text, rel, 1, None)

    def scan_json(self, path: Path, rel: str, lines: bool) -> tuple[str, int]:
        raw = path.read_bytes()
        self.scan_json_bytes(raw, rel, lines)
        return hashlib.sha256(raw).hexdigest(), len(raw)

    def scan_json_bytes(self, raw: bytes, rel: str, lines: bool) -> None:
        text = raw.decode("utf-8", "replace")
        if not lines:
            try:
                doc = json.loads(text)
            except ValueError:
                self._scan_text_chunk(text, rel, 1, None)
            else:
                self._scan_json_values(doc, rel, {})
            return
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                self._scan_text_chunk(line, rel, n, None)
            else:
                self._scan_json_values(doc, rel, {"line": n})

    def _scan_json_values(self, doc: Any, rel: str, base: dict[str, Any]) -> None:
        cells: list[str] = []
        locs: list[dict[str, Any]] = []
        pairs: list[tuple[str, str | None]] = []
        pair_locs: list[dict[str, Any]] = []

        def esc(token: str) -> str:
            return token.replace("~", "~0").replace("/", "~1")

        def walk(node: Any, pointer: str) -> None:
            if isinstance(node, str):
                cells.append(node)
                locs.append({**base, "pointer": pointer or "/"})
            elif isinstance(node, dict):
                for key, value in node.items():
                    cells.append(str(key))
                    locs.append({**base, "pointer": f"{pointer}/{esc(str(key))}", "key": True})
                    if isinstance(value, str | int | float) and not isinstance(value, bool):
                        pairs.append((str(key), str(value)))
                        pair_locs.append({**base, "pointer": f"{pointer}/{esc(str(key))}"})
                    walk(value, f"{pointer}/{esc(str(key))}")
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{pointer}/{i}")

        walk(doc, "")
        for start in range(0, len(cells), CELL_BATCH):
            batch = cells[start : start + CELL_BATCH]
            self.scan_cells(batch, rel, rel, _from_list(locs, start))
        self.scan_pairs(pairs, rel, _from_list(pair_locs, 0))

    def scan_parquet(self, path: Path | bytes, rel: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(pa.BufferReader(path) if isinstance(path, bytes) else path)
        schema = pf.schema_arrow
        self.scan_cells(
            list(schema.names),
            rel,
            rel,
            lambda i: {"schema": "column_names", "column_name": schema.names[i]},
        )
        meta = schema.metadata or {}
        for key, value in sorted(meta.items()):
            if key == b"ARROW:schema":
                continue
            k = key.decode("utf-8", "replace")
            self.scan_cells(
                [k, value.decode("utf-8", "replace")],
                rel,
                rel,
                _fixed({"schema": f"metadata:{k}"}),
            )
        row_base = 0
        for batch in pf.iter_batches(batch_size=CELL_BATCH):
            for name, column in zip(batch.schema.names, batch.columns, strict=True):
                values = _arrow_texts(column, pa)
                if values is None:
                    continue
                self.scan_cells(
                    values,
                    rel,
                    rel,
                    _rows(row_base, {"column_name": name}),
                )
                self.scan_pairs(
                    [(name, v) for v in values], rel, _rows(row_base, {"column_name": name})
                )
            row_base += batch.num_rows

    def scan_duckdb(self, path: Path, rel: str) -> None:
        import duckdb
        import pyarrow as pa

        con = duckdb.connect(
            str(path),
            read_only=True,
            config={
                "enable_external_access": False,
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
                "threads": 1,
            },
        )
        try:
            con.execute("set enable_progress_bar = false")
            views = con.execute(
                "select schema_name, view_name, sql from duckdb_views() "
                "where not internal and database_name = current_database() order by 1, 2"
            ).fetchall()
            for schema_name, view_name, sql in views:
                label = f"{schema_name}.{view_name}"
                self.scan_cells([sql or ""], rel, rel, _fixed({"view": label}))
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database() order by 1, 2"
            ).fetchall()
            for schema_name, table_name in tables:
                cols = con.execute(
                    "select column_name, data_type from duckdb_columns() "
                    "where database_name = current_database() and schema_name = ? "
                    "and table_name = ? order by column_index",
                    [schema_name, table_name],
                ).fetchall()
                label = f"{schema_name}.{table_name}"
                names = [c[0] for c in cols]
                self.scan_cells(
                    names,
                    rel,
                    rel,
                    _named(names, {"table": label, "schema": "column_names"}),
                )
                text_cols = [c[0] for c in cols if not _NON_TEXT_DUCKDB.match(str(c[1]))]
                if not text_cols:
                    continue
                select = ", ".join(
                    f"cast({_quote(c)} as varchar) as {_quote(c)}" for c in text_cols
                )
                reader = con.sql(
                    f"select {select} from {_quote(schema_name)}.{_quote(table_name)}"
                ).to_arrow_reader(CELL_BATCH)
                row_base = 0
                for batch in reader:
                    for name, column in zip(batch.schema.names, batch.columns, strict=True):
                        values = _arrow_texts(column, pa)
                        if values is None:
                            continue
                        self.scan_cells(
                            values,
                            rel,
                            rel,
                            _rows(row_base, {"table": label, "column_name": name}),
                        )
                        self.scan_pairs(
                            [(name, v) for v in values],
                            rel,
                            _rows(row_base, {"table": label, "column_name": name}),
                        )
                    row_base += batch.num_rows
        finally:
            con.close()


_NON_TEXT_DUCKDB = re.compile(
    r"^(?:BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|"
    r"UHUGEINT|FLOAT|DOUBLE|DECIMAL\(.*\)|DATE|TIME|TIMESTAMP.*|INTERVAL|UUID|TIME WITH TIME ZONE)$"
)


Where = Callable[[int], dict[str, Any]]


def _fixed(loc: dict[str, Any]) -> Where:
    return lambda _i: loc


def _rows(base: int, fixed: dict[str, Any]) -> Where:
    return lambda i: {**fixed, "row": base + i + 1}


def _named(names: Sequence[str], fixed: dict[str, Any]) -> Where:
    return lambda i: {**fixed, "column_name": names[i]}


def _from_list(locs: Sequence[dict[str, Any]], offset: int) -> Where:
    return lambda i: locs[offset + i]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _arrow_texts(column: Any, pa: Any) -> list[str | None] | None:
    """Cell texts of an Arrow column, or None for types that cannot hold text."""
    t = column.type
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
        t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        values: list[str | None] = column.to_pylist()
        return values
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return [None if v is None else v.decode("utf-8", "replace") for v in column.to_pylist()]
    if pa.types.is_nested(t):
        return [
            None if v is None else json.dumps(v, ensure_ascii=False, default=str)
            for v in column.to_pylist()
        ]
    return None


# ---------------------------------------------------------------------------------------------
# Containers: archives, compressed files, Office documents, PDF


@dataclasses.dataclass(frozen=True)
class ContainerLimits:
    """Bounds on what one file's containers may expand to (against decompression bombs). A
    container past a bound is reported as ``scan.opaque_archive`` (HIGH) with the reason; what
    was read before the bound is still scanned."""

    total_bytes: int = 512 * 1024 * 1024  # uncompressed bytes, all members of one file
    members: int = 10_000  # members of one file, nested ones included
    depth: int = 5  # containers inside containers
    ratio: int = 200  # uncompressed / compressed size of one member ...
    ratio_floor: int = 1024 * 1024  # ... checked once the member is past this size


class _LimitReached(Exception):
    pass


class _Budget:
    def __init__(self, limits: ContainerLimits) -> None:
        self.limits = limits
        self.bytes_left = limits.total_bytes
        self.members = 0

    def member(self) -> None:
        self.members += 1
        if self.members > self.limits.members:
            raise _LimitReached(f"more than {self.limits.members} members")

    def read(self, stream: Any, compressed_size: int | None = None) -> bytes:
        """Read a member's stream within the bounds (never more than the bytes left + 1)."""
        parts: list[bytes] = []
        got = 0
        while True:
            block = stream.read(min(CHUNK, self.bytes_left + 1 - got))
            if not block:
                break
            got += len(block)
            parts.append(block)
            if got > self.bytes_left:
                raise _LimitReached(
                    f"more than {self.limits.total_bytes} uncompressed bytes in all"
                )
            if (
                compressed_size is not None
                and got > self.limits.ratio_floor
                and got > self.limits.ratio * max(compressed_size, 1)
            ):
                raise _LimitReached(f"compression ratio above {self.limits.ratio}:1")
        self.bytes_left -= got
        return b"".join(parts)


_OFFICE_PARAGRAPH_END = re.compile(
    r"</(?:w:p|a:p|si|row|w:tr|text:p|text:h|p:txBody)>|<(?:w:br|a:br|w:cr)\b[^>]*/>"
)
_OFFICE_CELL_END = re.compile(r"</(?:c|w:tc|a:tc|table:table-cell)>|<w:tab\b[^>]*/>")
_XML_TAG = re.compile(r"<[^>]*>")
_XML_ATTR = re.compile(r"""\s([A-Za-z_][\w:.\-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_UTF16LE_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){8,}")


def _office_text(xml: str) -> tuple[str, list[tuple[str, str]]]:
    """The text of an Office (OOXML / ODF) XML part, one paragraph (or row, or shared string) a
    line, the runs of a paragraph joined as the reader sees them; and its attribute values."""
    import html

    attrs: list[tuple[str, str]] = []
    for tag in _XML_TAG.finditer(xml):
        for m in _XML_ATTR.finditer(tag.group(0)):
            value = m.group(2) if m.group(2) is not None else m.group(3)
            if value and not value.startswith(("http://schemas.", "urn:schemas-")):
                attrs.append((m.group(1), html.unescape(value)))
    text = _OFFICE_PARAGRAPH_END.sub("\n", xml)
    text = _OFFICE_CELL_END.sub("\t", text)
    text = _XML_TAG.sub("", text)
    return html.unescape(text), attrs


def _utf16_encoding(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark, told by where the NUL bytes fall: mostly-ASCII text in
    UTF-16LE has a NUL at every odd offset, in UTF-16BE at every even one."""
    sample = head[: 65536 - (len(head[:65536]) % 2)]
    if len(sample) < 16:
        return None
    even, odd = sample[0::2], sample[1::2]
    zero_even = even.count(0) / len(even)
    zero_odd = odd.count(0) / len(odd)
    if zero_odd > 0.3 and zero_even < 0.02:
        return "utf-16-le"
    if zero_even > 0.3 and zero_odd < 0.02:
        return "utf-16-be"
    return None


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def _content_kind(head: bytes, name: str, size: int, tail: bytes) -> str:
    """A file's kind from its first bytes (and last four), then its name."""
    if size >= 12 and head[:4] == b"PAR1" and tail == b"PAR1":
        return "parquet"
    if len(head) >= 12 and head[8:12] == b"DUCK":
        return "duckdb"
    if head.startswith(b"%PDF-"):
        return "pdf"
    for magic, _name in _ARCHIVE_MAGIC:
        if head.startswith(magic):
            return "archive"
    if _is_tar(head):
        return "archive"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_encoding(head):
        return "utf16"
    if b"\x00" in head:
        return "binary"
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "text"


def _stem(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    for suffix in (".gz", ".tgz", ".bz2", ".xz", ".zst"):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)] + (".tar" if suffix == ".tgz" else "")
    return base + ".out"


class _Containers:
    """Opens containers and scans every member with the scanner, within one ``_Budget``."""

    def __init__(self, scanner: _Scanner, rel: str, budget: _Budget) -> None:
        self.scanner = scanner
        self.rel = rel
        self.budget = budget

    def opaque(self, reason: str) -> None:
        self.scanner._add("scan.opaque_archive", self.rel, {"reason": reason}, None)

    def scan_bytes(self, data: bytes, name: str, depth: int) -> None:
        """Scan one member's bytes by its content."""
        tail = data[-4:] if len(data) >= 8 else b""
        kind = _content_kind(data[:65536], name, len(data), tail)
        sc = self.scanner
        if kind == "archive" or kind == "pdf":
            if depth >= self.budget.limits.depth:
                raise _LimitReached(f"containers nested deeper than {self.budget.limits.depth}")
            if kind == "pdf":
                self.scan_pdf(data, depth + 1)
            else:
                self.scan_archive(data, name, depth + 1)
        elif kind == "parquet":
            sc.scan_parquet(data, self.rel)
        elif kind == "duckdb":
            with tempfile.TemporaryDirectory(prefix="omphalos-scan-") as tmp:
                db = Path(tmp) / "member.duckdb"
                db.write_bytes(data)
                sc.scan_duckdb(db, self.rel)
        elif kind == "utf16":
            sc.scan_utf16_bytes(data, self.rel)
        elif kind in ("json", "jsonl"):
            sc.scan_json_bytes(data, self.rel, lines=kind == "jsonl")
        elif name.lower().endswith((".xml", ".rels")) and self._office:
            text, attrs = _office_text(data.decode("utf-8", "replace"))
            sc._scan_text_chunk(text, self.rel, 1, None)
            sc.scan_cells(
                [v for _k, v in attrs],
                self.rel,
                self.rel,
                lambda i: {"attribute": attrs[i][0]},
            )
        else:
            sc.scan_text_bytes(data, self.rel, kind)

    _office = False

    def member(self, data: bytes, name: str, depth: int, office: bool = False) -> None:
        self.budget.member()
        shown = _display_path(name)
        with self.scanner.inside(shown):
            self.scanner.scan_cells([shown], self.rel, self.rel, _fixed({"file_name": True}))
            saved, self._office = self._office, office
            try:
                self.scan_bytes(data, name, depth)
            except _LimitReached:
                raise
            except Exception as exc:  # a member that cannot be read is a finding, never a pass
                self.scanner._add("scan.unreadable", self.rel, {"reason": type(exc).__name__}, None)
            finally:
                self._office = saved

    def scan_file(self, path: Path, kind: str) -> None:
        """A container file at the top of the scan: opened and every member scanned; when it
        cannot be opened or a limit is reached, ``scan.opaque_archive`` and its raw bytes."""
        size = path.stat().st_size
        if size > self.budget.limits.total_bytes:
            self.opaque(f"file larger than the {self.budget.limits.total_bytes}-byte limit")
            self.scanner.scan_text_file(path, self.rel, "binary")
            return
        data = path.read_bytes()
        try:
            if kind == "pdf":
                self.scan_pdf(data, 1)
            else:
                self.scan_archive(data, path.name, 1)
        except _LimitReached as exc:
            self.opaque(f"limit reached: {exc}")
        except Exception as exc:  # corrupt or unsupported: not inspected, so not cleared
            self.opaque(f"cannot open: {type(exc).__name__}")
            self.scanner._scan_binary_chunk(data, self.rel, 0)

    def scan_archive(self, data: bytes, name: str, depth: int) -> None:
        import io
        import tarfile
        import zipfile

        head = data[:8]
        if head.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
                office = any(
                    i.filename in ("[Content_Types].xml", "mimetype", "META-INF/manifest.xml")
                    for i in infos
                )
                for info in infos:
                    if info.is_dir():
                        continue
                    if info.flag_bits & 0x1:
                        self.budget.member()
                        with self.scanner.inside(_display_path(info.filename)):
                            self.opaque("encrypted zip member")
                        continue
                    try:
                        with zf.open(info) as fh:
                            content = self.budget.read(fh, info.compress_size)
                    except NotImplementedError:
                        with self.scanner.inside(_display_path(info.filename)):
                            self.opaque(f"zip compression method {info.compress_type}")
                        continue
                    self.member(content, info.filename, depth, office=office)
            return
        if _is_tar(data[:512]):
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
                for ti in tf:
                    if not ti.isfile():
                        continue
                    member_file = tf.extractfile(ti)
                    if member_file is None:  # pragma: no cover - regular members have data
                        continue
                    self.member(self.budget.read(member_file), ti.name, depth)
            return
        with _decompressing(head, data) as stream:
            content = self.budget.read(stream, len(data))
        if _is_tar(content[:512]):  # a .tar.gz: its members directly, not a .tar between
            self.scan_archive(content, name, depth)
        else:
            self.member(content, _stem(name), depth)

    def scan_pdf(self, data: bytes, depth: int) -> None:
        """Every stream of a PDF, decoded (FlateDecode, ASCIIHex, ASCII85; image filters left),
        its text operators read as lines; the file's bytes outside the streams as binary."""
        text = data.decode("latin-1")
        outside: list[str] = []
        last = 0
        for m in _PDF_STREAM.finditer(text):
            start = m.end()
            end = text.find("endstream", start)
            if end < 0:
                break
            outside.append(text[last:start])
            outside.append(" " * (end - start))
            last = end
            head = text[max(0, m.start() - 4096) : m.start()]
            objs = list(_PDF_OBJ.finditer(head))
            label = f"object {objs[-1].group(1)}" if objs else f"stream at byte {start}"
            dictionary = head[objs[-1].end() :] if objs else head[head.rfind("<<") :]
            raw = data[start:end].rstrip(b"\r\n")
            decoded = self._pdf_decode(raw, _PDF_FILTERS.findall(dictionary), label)
            if decoded is None:
                continue
            self.budget.member()
            with self.scanner.inside(label):
                if _PDF_TEXT_OPS.search(decoded):
                    self.scanner._scan_text_chunk(_pdf_text(decoded), self.rel, 1, None)
                elif decoded[:5] == b"%PDF-" or decoded[:4] in (b"PK\x03\x04",):
                    self.scan_bytes(decoded, label, depth)
                else:
                    self.scanner.scan_text_bytes(decoded, self.rel, "text")
        outside.append(text[last:])
        self.scanner._scan_binary_chunk("".join(outside).encode("latin-1"), self.rel, 0)

    def _pdf_decode(self, raw: bytes, filters: list[str], label: str) -> bytes | None:
        import base64
        import zlib

        data = raw
        for f in filters:
            if f in ("FlateDecode", "Fl"):
                d = zlib.decompressobj()
                try:
                    data = d.decompress(data, self.budget.bytes_left + 1)
                except zlib.error:
                    with self.scanner.inside(label):
                        self.opaque("corrupt FlateDecode stream")
                    return None
                if len(data) > self.budget.bytes_left:
                    raise _LimitReached(
                        f"more than {self.budget.limits.total_bytes} uncompressed bytes in all"
                    )
                if len(data) > self.budget.limits.ratio_floor and len(
                    data
                ) > self.budget.limits.ratio * max(len(raw), 1):
                    raise _LimitReached(f"compression ratio above {self.budget.limits.ratio}:1")
            elif f in ("ASCIIHexDecode", "AHx"):
                data = bytes.fromhex(re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">")[0]).decode())
            elif f in ("ASCII85Decode", "A85"):
                body = data.strip()
                body = body[2:] if body.startswith(b"<~") else body
                data = base64.a85decode(body.split(b"~>")[0], adobe=False, ignorechars=b" \t\r\n")
            else:
                return None  # images (DCT, JBIG2, JPX, CCITT) and LZW/RunLength: not text
        self.budget.bytes_left -= len(data)
        return data


def _decompressing(head: bytes, data: bytes) -> Any:
    """A reader of the decompressed bytes of a gzip, bzip2, xz or zstd stream (a context
    manager)."""
    import bz2
    import gzip
    import io
    import lzma

    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=io.BytesIO(data))
    if head.startswith(b"BZh"):
        return bz2.BZ2File(io.BytesIO(data))
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(io.BytesIO(data))
    import pyarrow as pa

    return pa.input_stream(pa.BufferReader(data), compression="zstd")


_PDF_STREAM = re.compile(r"(?<!end)stream\r?\n")
_PDF_OBJ = re.compile(r"(\d+ \d+) obj\b")
_PDF_FILTERS = re.compile(
    r"/(FlateDecode|Fl|ASCIIHexDecode|AHx|ASCII85Decode|A85|[A-Z][A-Za-z0-9]*Decode)\b"
)
_PDF_TEXT_OPS = re.compile(rb"\bBT\b[\s\S]*?\bET\b")
_PDF_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


def _pdf_string(text: str, i: int) -> tuple[str, int]:
    """The literal string starting at ``text[i] == '('``: its value and the index after it."""
    out: list[str] = []
    depth = 1
    i += 1
    while i < len(text) and depth:
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n in _PDF_ESCAPES:
                out.append(_PDF_ESCAPES[n])
                i += 2
            elif n in "01234567":
                digits = re.match(r"[0-7]{1,3}", text[i + 1 : i + 4])
                assert digits is not None
                out.append(chr(int(digits.group(0), 8) & 0xFF))
                i += 1 + len(digits.group(0))
            elif n in "\r\n":
                i += 3 if text[i + 1 : i + 3] == "\r\n" else 2
            else:
                out.append(n)
                i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if not depth:
                break
        out.append(c)
        i += 1
    value = "".join(out)
    if value.startswith("\xfe\xff"):
        value = value[2:].encode("latin-1").decode("utf-16-be", "replace")
    return value, i + 1


def _pdf_text(content: bytes) -> str:
    """The text shown by a content stream's text operators (Tj, TJ, ', "), a line per line
    operator (T*, Td, TD, Tm, ', ", BT/ET). Literal and hex strings, font encodings taken as
    Latin-1 (text in CID fonts needs their ToUnicode maps, which this does not read)."""
    text = content.decode("latin-1")
    lines: list[str] = []
    line: list[str] = []
    i, n = 0, len(text)
    in_array = False
    while i < n:
        c = text[i]
        if c == "(":
            value, i = _pdf_string(text, i)
            line.append(value)
            continue
        if c == "<" and text[i + 1 : i + 2] != "<":
            end = text.find(">", i)
            if end < 0:
                break
            hexits = re.sub(r"[^0-9A-Fa-f]", "", text[i + 1 : end])
            raw = bytes.fromhex(hexits + ("0" if len(hexits) % 2 else ""))
            line.append(
                raw[2:].decode("utf-16-be", "replace")
                if raw.startswith(b"\xfe\xff")
                else raw.decode("latin-1")
            )
            i = end + 1
            continue
        if c == "%":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if c == "[":
            in_array = True
        elif c == "]":
            in_array = False
        elif in_array and (c == "-" or c.isdigit()):
            m = re.match(r"-?\d+(?:\.\d+)?", text[i:])
            if m:
                if float(m.group(0)) <= -250:
                    line.append(" ")  # a wide negative kern between words
                i += len(m.group(0))
                continue
        elif c.isalpha() or c in "'\"*":
            m = re.match(r"[A-Za-z'\"*]+", text[i:])
            assert m is not None
            op = m.group(0)
            if op in ("T*", "Td", "TD", "Tm", "'", '"', "BT", "ET") and line:
                lines.append("".join(line))
                line = []
            i += len(op)
            continue
        i += 1
    if line:
        lines.append("".join(line))
    return "\n".join(lines)


def _walk(root: Path, excludes: Sequence[str]) -> Iterator[tuple[str, Path, bool]]:
    """(relative posix path, path, is_symlink) of every file under root, sorted; never follows
    links; directories and files matching an exclude glob (or under one) are skipped."""

    def excluded(rel: str) -> bool:
        return any(fnmatch.fnmatchcase(rel, pat) for pat in excludes)

    def listing(directory: Path, prefix: str) -> Iterator[os.DirEntry[str]] | None:
        try:
            with os.scandir(directory) as it:
                return iter(sorted(it, key=lambda e: e.name))
        except OSError:
            return None

    # iterative (any depth of folders, never a RecursionError), in the order a recursive walk
    # would give: depth first, sorted by name
    first = listing(root, "")
    if first is None:
        yield ".", root, False  # reported as unreadable
        return
    stack: list[tuple[Iterator[os.DirEntry[str]], str]] = [(first, "")]
    while stack:
        entries, prefix = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        rel = prefix + entry.name
        if excluded(rel):
            continue
        if entry.is_symlink():
            yield rel, Path(entry.path), True
        elif entry.is_dir(follow_symlinks=False):
            sub = listing(Path(entry.path), rel + "/")
            if sub is None:
                yield rel, Path(entry.path), False  # reported as unreadable
            else:
                stack.append((sub, rel + "/"))
        else:
            yield rel, Path(entry.path), False


def _git_files(root: Path, excludes: Sequence[str]) -> Iterator[tuple[str, Path, bool]]:
    try:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ScanError(f"{root}: cannot list git files: {exc}") from None
    names = sorted({n for n in out.decode("utf-8", "surrogateescape").split("\0") if n})
    for rel in names:
        if any(fnmatch.fnmatchcase(rel, pat) for pat in excludes):
            continue
        path = root / rel
        if path.is_symlink():
            yield rel, path, True
        elif path.is_file():
            yield rel, path, False


def scan_path(
    path: Path,
    *,
    suppressions: Path | None = None,
    excludes: Sequence[str] = (),
    git_files: bool = False,
    rules: Path | None = None,
    limits: ContainerLimits | None = None,
) -> ScanReport:
    """Scan a file or a directory tree; apply suppressions; return the report. ``limits``
    bounds what containers may expand to (default ``ContainerLimits()``)."""
    pack = load_rule_pack(rules)
    sups = load_suppressions(suppressions, pack) if suppressions is not None else []
    if not path.exists() and not path.is_symlink():
        raise ScanError(f"{path}: no such file or directory")
    scanner = _Scanner(pack)
    if limits is not None:
        scanner.limits = limits
    files: list[dict[str, Any]] = []
    if path.is_dir() and not path.is_symlink():
        root = path
        entries: Iterable[tuple[str, Path, bool]] = (
            _git_files(root, excludes) if git_files else _walk(root, excludes)
        )
    else:
        entries = [(path.name, path, path.is_symlink())]
    for rel, file_path, is_link in entries:
        shown = _display_path(rel)
        count_before = len(scanner.findings)
        scanner.scan_cells([rel], shown, shown, _fixed({"file_name": True}))
        entry = _scan_one(scanner, file_path, shown, is_link)
        entry["findings"] = len(scanner.findings) - count_before
        files.append(entry)
    findings = sorted(scanner.findings, key=Finding.sort_key)
    for f in findings:
        for s in sups:
            if s.matches(f):
                f.suppression = s.index
                s.matched += 1
                break
    options = {"excludes": list(excludes), "git_files": git_files}
    name = path.resolve().name or "/"
    return ScanReport(name, pack, files, findings, sups, options)


def _scan_one(scanner: _Scanner, path: Path, rel: str, is_link: bool) -> dict[str, Any]:
    if is_link:
        scanner._add("scan.symlink", rel, {}, None)
        return {"path": rel, "kind": "symlink", "size": None, "sha256": None}
    try:
        st = path.stat(follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            reason = "directory not listable" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            scanner._add("scan.unreadable", rel, {"reason": reason}, None)
            return {"path": rel, "kind": "special", "size": None, "sha256": None}
        kind = _kind_of(path, st.st_size)
        if kind in ("parquet", "duckdb"):
            digest, size = _sha256_of(path)
            if kind == "parquet":
                scanner.scan_parquet(path, rel)
            else:
                scanner.scan_duckdb(path, rel)
        elif kind in ("json", "jsonl"):
            digest, size = scanner.scan_json(path, rel, lines=kind == "jsonl")
        elif kind == "utf16":
            digest, size = scanner.scan_utf16(path, rel)
        elif kind == "csv" and scanner.scan_csv(path, rel):
            digest, size = _sha256_of(path)
        elif kind in ("archive", "pdf"):
            digest, size = _sha256_of(path)
            _Containers(scanner, rel, _Budget(scanner.limits)).scan_file(path, kind)
        else:
            digest, size = scanner.scan_text_file(path, rel, kind)
    except Exception as exc:  # anything unreadable is a finding, never a pass
        reason = f"{type(exc).__name__}"
        scanner._add("scan.unreadable", rel, {"reason": reason}, None)
        return {"path": rel, "kind": "unreadable", "size": None, "sha256": None}
    return {"path": rel, "kind": kind, "size": size, "sha256": digest}


def _sha256_of(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def preflight_scan(
    path: Path, *, suppressions: Path | None = None, excludes: Sequence[str] = ()
) -> list[str]:
    """For ``release build``: scan ``path``; return one line per unsuppressed HIGH finding
    (empty: clear to release). Raises ScanError when the scan cannot be performed."""
    report = scan_path(path, suppressions=suppressions, excludes=excludes)
    return [f"{f.severity} {f.rule} {f.where()}: {f.message}" for f in report.blocking]
