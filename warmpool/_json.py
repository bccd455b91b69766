"""Strict JSON reading for documents users hand the emulator (IAM policies, snapshots)."""

from __future__ import annotations

import json
from typing import Any


def strict_loads(text: str, what: str) -> Any:
    """``json.loads(text)``, refusing what Python's reader lets through and JSON does not
    allow: a key repeated within one object, and ``NaN`` / ``Infinity``. ``ValueError`` names
    ``what`` was read (``json.JSONDecodeError``, a ``ValueError``, for text that is not JSON)."""

    def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                shown = repr(key) if len(repr(key)) <= 80 else repr(key)[:77] + "..."
                raise ValueError(f"{what} repeats the key {shown} within one object")
            result[key] = value
        return result

    def no_constant(name: str) -> Any:
        raise ValueError(f"{what} contains {name}, which is not a JSON number")

    return json.loads(text, object_pairs_hook=no_duplicate_keys, parse_constant=no_constant)
