"""A located, plain-language problem found while checking evidence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding: a stable machine ``code``, the ``path`` it concerns, and a ``message``."""

    code: str
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"[{self.code}] {self.path}: {self.message}"
