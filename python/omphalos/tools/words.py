"""Word lists shipped as package data (``omphalos/tools/data/*.json``): one JSON object whose
members are the lists, each an array of strings, an object of strings, or an object of arrays
of strings. Read once at import; the order of every list is the file's order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["WordLists"]


@dataclass(frozen=True)
class WordLists:
    name: str
    lists: dict[str, Any]

    @classmethod
    def load(cls, name: str) -> WordLists:
        text = resources.files("omphalos.tools").joinpath("data", name).read_text("utf-8")
        lists = json.loads(text)
        if not isinstance(lists, dict):
            raise ValueError(f"{name}: expected a JSON object of word lists")
        return cls(name, lists)

    def _get(self, key: str) -> Any:
        try:
            return self.lists[key]
        except KeyError:
            raise KeyError(f"{self.name}: no word list {key!r}") from None

    def strs(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ValueError(f"{self.name}: {key} is not an array of strings")
        return tuple(value)

    def map(self, key: str) -> dict[str, str]:
        value = self._get(key)
        if not isinstance(value, dict) or not all(isinstance(x, str) for x in value.values()):
            raise ValueError(f"{self.name}: {key} is not an object of strings")
        return dict(value)

    def lists_of(self, key: str) -> dict[str, tuple[str, ...]]:
        value = self._get(key)
        if not isinstance(value, dict) or not all(
            isinstance(x, list) and all(isinstance(y, str) for y in x) for x in value.values()
        ):
            raise ValueError(f"{self.name}: {key} is not an object of arrays of strings")
        return {k: tuple(v) for k, v in value.items()}
