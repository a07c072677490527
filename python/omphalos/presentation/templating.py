"""The Jinja2 environments of the pages and packets (templates and assets are package data).

HTML pages (``templates/*.html.j2``) are autoescaped: every ``{{ value }}`` is HTML-escaped
(``html.escape`` with ``quote=True``), and a null or empty value is shown as ``—``. Only
:class:`markupsafe.Markup` (macro output, ``caller()``, the assets, the ``|safe`` filter on the
project's own constant text) is written as it is.

HTML templates are written indented for people and rendered compact: a line break followed by
indentation continues the line before it, as one space between words and nothing next to a tag
(see :class:`Compact`). A line that starts in column 0 begins a new line of output.

Markdown packets (``templates/*.md.j2``) are line-based and not compacted; every value is made
inert Markdown text (``omphalos.textsafe.md_text``) unless a filter says otherwise (``code``,
``code_text``: inline code spans) or it is the project's own text (``|safe``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

import jinja2
from jinja2.ext import Extension
from markupsafe import Markup

from omphalos.textsafe import md_code, md_text

__all__ = ["asset", "html_env", "markdown_env"]

EMPTY = "—"

# a line break and the indentation after it
_CONTINUATION = re.compile(r"\n[ \t]+")


def _join(m: re.Match[str]) -> str:
    source = m.string
    before = source[max(0, m.start() - 2) : m.start()]
    after = source[m.end() : m.end() + 2]
    if before.endswith((">", "%}", "#}")) or after.startswith(("</", "{%", "{#")) or not after:
        return ""
    if before == "}}" and after.startswith(("{{", "<")):
        return ""
    return " "


class Compact(Extension):
    """A line break followed by indentation continues the line before it. It becomes nothing
    next to a tag boundary (after ``>``, ``%}`` or ``#}``; before ``</``, ``{%`` or ``{#``;
    after ``}}`` and before ``{{`` or ``<``) and one space elsewhere: between words, before an opening tag or
    an expression. Whitespace inside a line is kept; a line that starts in column 0 begins a new
    line of output."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None or not name.endswith(".html.j2"):
            return source
        return _CONTINUATION.sub(_join, source)


def _finalize_html(value: object) -> object:
    if isinstance(value, Markup):
        return value
    if value is None or value == "":
        return Markup(EMPTY)
    return Markup(html.escape(str(value), quote=True))


# A packet repeats most of its values (statuses, countries, dates, the rule lines, the digests of
# the run's files) and 5,000 packets repeat them again: the Markdown of a plain value (text, an
# integer, a boolean, null) is computed once and looked up after. The key is the value with its
# type (``typed``: ``1``, ``True`` and ``"1"`` are three keys); anything else is escaped each time.
_PLAIN = (str, int, bool, type(None))
_MEMO = 1 << 16


@lru_cache(maxsize=_MEMO, typed=True)
def _md_text_memo(value: object) -> str:
    return md_text(value)


@lru_cache(maxsize=_MEMO, typed=True)
def _md_code_memo(value: object, table: bool) -> Markup:
    return Markup(md_code(value, table=table))


def _finalize_md(value: object) -> object:
    """``md_text`` of every value written by a ``{{ }}`` that is not already Markdown (Markup).
    The result is plain text: with autoescape off Jinja writes ``str()`` of it either way."""
    if isinstance(value, Markup):
        return value
    if type(value) in _PLAIN:
        return _md_text_memo(value)
    return md_text(value)


def _md_code_filter(value: object, table: bool = True) -> Markup:
    if type(value) in _PLAIN:
        return _md_code_memo(value, table)
    return Markup(md_code(value, table=table))


def _num(value: object) -> str:
    """``1,234`` for an integer (or its text), the text itself otherwise, ``—`` for null."""
    if value is None:
        return EMPTY
    try:
        return f"{int(str(value)):,}"
    except ValueError:
        return str(value)


def decimal_or_zero(value: object) -> Decimal:
    """The exact decimal of a value's text; 0 for null or not a number."""
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def money_short(value: object) -> str:
    """``$1.23M`` style, from exact decimal text (deterministic)."""
    d = decimal_or_zero(value)
    for limit, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10**3), "k")):
        if abs(d) >= limit:
            return f"${d / limit:,.2f}{suffix}"
    return f"${d:,.2f}"


def money(value: object) -> str:
    """``1,234,567.50`` from exact decimal text; ``—`` for null."""
    if value is None:
        return EMPTY
    return f"{decimal_or_zero(value):,.2f}"


def _f1(value: float) -> str:
    return f"{value:.1f}"


def _commas(value: int) -> str:
    return f"{value:,}"


def _md_money(value: object) -> str:
    if value is None:
        return EMPTY
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


HTML_FILTERS: dict[str, Callable[..., Any]] = {
    "num": _num,
    "money": money,
    "money_short": money_short,
    "f1": _f1,
    "f3": lambda v: f"{v:.3f}",
    "commas": _commas,
}


def _loader() -> jinja2.BaseLoader:
    return jinja2.PackageLoader("omphalos.presentation", "templates")


def _env(filters: Mapping[str, Callable[..., Any]], **overrides: Any) -> jinja2.Environment:
    """An environment of the package's templates: strict undefined, block whitespace trimmed,
    trailing newline kept; ``overrides`` (autoescape, finalize, extensions) and ``filters`` make
    it the HTML or the Markdown one."""
    options: dict[str, Any] = {
        "loader": _loader(),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        **overrides,
    }
    env = jinja2.Environment(**options)
    env.filters.update(filters)
    return env


@cache
def html_env() -> jinja2.Environment:
    """The environment of the HTML pages (autoescaped, compacted)."""
    return _env(HTML_FILTERS, autoescape=True, finalize=_finalize_html, extensions=[Compact])


@cache
def markdown_env() -> jinja2.Environment:
    """The environment of the Markdown packets (every value inert Markdown unless marked)."""
    return _env(
        {
            "code": _md_code_filter,
            "code_text": lambda v: _md_code_filter(v, table=False),
            "money": lambda v: Markup(_md_money(v)),
            "raw": lambda v: Markup(str(v)),
        },
        autoescape=False,
        finalize=_finalize_md,
    )


@cache
def asset(name: str) -> Markup:
    """A CSS or JS file of ``assets/``, inlined into a page as it is."""
    return Markup(files("omphalos.presentation").joinpath("assets", name).read_text("utf-8"))
