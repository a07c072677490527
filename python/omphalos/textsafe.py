"""Data shown to people, made inert: Markdown cells, terminal output, spreadsheet cells.

Names, goods descriptions and remarks come from trade feeds and watchlists: a hostile or merely
careless source can put Markdown or HTML into them (a ``|`` that splits a table cell, an
``<img onerror=...>``), terminal escape sequences (``ESC [ 2 J`` clears the screen, OSC 8 forges a
link, a carriage return overwrites the line), or a spreadsheet formula (``=HYPERLINK(...)``).
Every function here changes the rendering only; the evidence files keep the exact text.

* :func:`md_text` / :func:`md_code`: one Markdown (CommonMark + GFM tables) inline fragment that
  renders as the literal text, in a table cell or in running text.
* :func:`terminal_safe`: control characters (C0, DEL, C1) and bidirectional overrides shown as
  visible ``\\xNN`` / ``\\u202e`` escapes.
* :func:`spreadsheet_cell`: the OWASP CSV-injection rule: a cell starting with ``=``, ``+``,
  ``-``, ``@``, tab, carriage return or line feed (or their full-width forms) gets a leading
  ``'``, so a spreadsheet reads it as text, never as a formula.
"""

from __future__ import annotations

import re

__all__ = [
    "FORMULA_TRIGGERS",
    "md_code",
    "md_text",
    "spreadsheet_cell",
    "terminal_safe",
]

EMPTY = "—"

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these are the ones
# that can start or end inline syntax anywhere in a line: emphasis, code spans, links and images
# (`!` needs the `[` that is escaped), autolinks and raw HTML (`<`), entities (`&`), GFM
# strikethrough (`~`) and table cells (`|`).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|&~])")
# Characters that start a block (heading, quote, list, thematic break, setext underline) when a
# fragment is the first thing on a line.
_MD_LINE_START = re.compile(r"^(?:([+\-=>#])|(\d+)([.)]))")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def md_text(value: object) -> str:
    """``value`` as one line of inert Markdown: whitespace runs (newlines included) become one
    space, inline syntax and HTML are escaped, table pipes are escaped. ``—`` for None or ''."""
    if value is None or value == "":
        return EMPTY
    text = _MD_SPECIAL.sub(r"\\\1", terminal_safe(_one_line(value)))
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match[str]) -> str:
    if m.group(1):
        return "\\" + m.group(1)
    return m.group(2) + "\\" + m.group(3)  # `1\.`: a digit cannot be escaped, the dot can


def md_code(value: object, *, table: bool = True) -> str:
    """``value`` as an inline code span, inert in a GFM table cell (``table=False``: in running
    text, where a pipe needs no escape).

    Inside a code span backslash escapes do not work and HTML is literal; two things still need
    care: a backtick in the text (the span is fenced with a longer backtick run than any inside,
    padded with spaces), and ``|``, which GFM splits table cells on before inline parsing, even
    inside code (``\\|`` is the documented way to keep it)."""
    if value is None or value == "":
        return EMPTY
    text = terminal_safe(_one_line(value))
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if longest or text.startswith(" ") or text.endswith(" "):
        return f"{fence} {text} {fence}"
    return f"{fence}{text}{fence}"


# C0 controls, DEL and C1 controls; the bidirectional embeddings, overrides and isolates
# ("Trojan Source"); the line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_CONTROL_KEEP_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as a visible escape (``ESC`` as ``\\x1b``,
    a carriage return as ``\\x0d``, U+202E as ``\\u202e``), so printing it cannot move the
    cursor, clear the screen, set the title, forge a hyperlink or reorder the line.

    ``keep_newlines`` keeps ``\\n`` (for a whole rendered page whose line breaks are its own)."""
    pattern = _CONTROL_KEEP_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_visible, text)


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"),
#: with the full-width forms some spreadsheets normalize.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_cell(text: str) -> str:
    """A text cell neutralized for spreadsheets: prefixed with ``'`` when it starts with a
    formula trigger (``=1+1`` becomes ``'=1+1``); otherwise unchanged."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
