"""Secret values kept out of every line the tool writes."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from reconciler.manifest.model import Manifest
from reconciler.pointer import split

MASK = "***"
# Shorter values would mask ordinary words in unrelated text.
_SHORTEST_MASKED = 4


class Masker:
    """Replaces every known secret value in a text by ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets.update(s for s in secrets if len(s) >= _SHORTEST_MASKED)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


class MaskingFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message."""

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self._masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._masker(record.getMessage())
        record.args = None
        return True


def secret_values(manifest: Manifest) -> list[str]:
    """The values a manifest marks secret, as strings."""
    values = []
    for pointer in manifest.secrets:
        value: Any = manifest.desired
        for token in split(pointer):
            if isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            elif isinstance(value, dict) and token in value:
                value = value[token]
            else:
                value = None
                break
        values.extend(_strings(value))
    return values


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
