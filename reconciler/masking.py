"""Secret values kept out of every line the tool writes."""

from __future__ import annotations

import logging
import re
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


# Keys whose values are credentials wherever they appear in a config, also in
# live values the manifest never declared (a webhook's basic auth password).
_CREDENTIAL_KEYS = frozenset(
    {
        "password",
        "secret",
        "client_secret",
        "private_key",
        "apple_private_key",
        "salt",
        "token",
        "api_key",
        "access_token",
        "refresh_token",
    }
)
_CREDENTIAL_SUFFIXES = ("_secret", "_password", "_token", "_api_key", "_private_key")
# HTTP headers that carry credentials (webhook and courier request headers).
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy_authorization", "cookie"})
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/@:\s]*:)(?P<pw>[^/@\s]+)@")
_QUERY_CREDENTIAL = re.compile(
    r"(?P<head>[?&](?:access_token|token|api_key|apikey|key|secret|password|sig|"
    r"signature)=)[^&#\s]+",
    re.IGNORECASE,
)


def hide_credentials(value: Any, sensitive: str) -> Any:
    """``value`` with every credential in it replaced by ``sensitive``.

    Credentials are the values of keys that name one (``password``,
    ``client_secret``, an ``Authorization`` or ``X-Api-Key`` header ...), the
    ``value`` of an API key auth block, the password in a URL's user info and
    credential parameters in its query (``?token=...``).
    """
    if isinstance(value, dict):
        api_key_block = "in" in value and "name" in value
        return {
            key: sensitive
            if _names_credential(key) or (api_key_block and key == "value")
            else hide_credentials(item, sensitive)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [hide_credentials(item, sensitive) for item in value]
    if isinstance(value, str) and "://" in value:
        value = _URL_PASSWORD.sub(rf"\g<head>{sensitive}@", value)
        return _QUERY_CREDENTIAL.sub(rf"\g<head>{sensitive}", value)
    return value


def _names_credential(key: str) -> bool:
    name = key.lower().replace("-", "_")
    return (
        name in _CREDENTIAL_KEYS
        or name in _CREDENTIAL_HEADERS
        or name.endswith(_CREDENTIAL_SUFFIXES)
    )
