"""Canonical form: desired and live values compared by meaning, not by spelling.

The service rewrites what it stores. Go durations come back re-rendered
(``1h`` reads ``1h0m0s``), ``base64://`` payloads come back as storage URLs
named by the SHA-512 of their content, custom identity schema ids are replaced
by that hash, and write-only secrets come back redacted. Each rule here turns
a value into a form in which two spellings of the same meaning are equal, and
two meanings never are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_DURATION_UNITS = {
    "ns": Decimal(1),
    "us": Decimal(1_000),
    "µs": Decimal(1_000),
    "μs": Decimal(1_000),
    "ms": Decimal(1_000_000),
    "s": Decimal(1_000_000_000),
    "m": Decimal(60_000_000_000),
    "h": Decimal(3_600_000_000_000),
}
_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
# Storage URLs are named by the SHA-512 of the decoded payload.
_STORAGE_URL = re.compile(
    r"^https://storage\.googleapis\.com/bac-gcs-[a-z0-9-]+/([0-9a-f]{128})(\.[a-z]+)?$"
)
_REDACTED = {"", "REDACTED", "<redacted>", "[redacted]"}
PRESET_SCHEMA_PREFIX = "preset://"


def duration_nanoseconds(value: Any) -> Decimal | None:
    """A Go duration string as nanoseconds, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str):
        return None
    if value in ("0", "+0", "-0"):
        return Decimal(0)
    if not _DURATION.match(value):
        return None
    total = Decimal(0)
    try:
        for number, unit in _DURATION_PART.findall(value):
            total += Decimal(number) * _DURATION_UNITS[unit]
    except InvalidOperation:
        return None
    return -total if value.startswith("-") else total


def payload_digest(value: Any) -> str | None:
    """The SHA-512 hex of a ``base64://`` payload or the one a storage URL names."""
    if not isinstance(value, str):
        return None
    if value.startswith("base64://"):
        content = _decode_base64(value[len("base64://") :])
        return None if content is None else hashlib.sha512(content).hexdigest()
    match = _STORAGE_URL.match(value)
    return match.group(1) if match else None


def _decode_base64(text: str) -> bytes | None:
    padded = text + "=" * (-len(text) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(padded.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            continue
    return None


def is_redacted(value: Any) -> bool:
    """Whether a live write-only value was withheld by the service."""
    return isinstance(value, str) and (value in _REDACTED or set(value) == {"*"})


def without_password(uri: str) -> tuple[str, str | None]:
    """A URI with its password taken out, and the password (None when it has none)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri, None
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[1]}")), parts.password


def schema_id(schema: Any) -> Any:
    """The id the service gives an identity schema: its content hash if custom."""
    if not isinstance(schema, dict):
        return None
    given = schema.get("id")
    if isinstance(given, str) and given.startswith(PRESET_SCHEMA_PREFIX):
        return given
    digest = payload_digest(schema.get("url"))
    return digest if digest is not None else given


def same(desired: Any, live: Any, *, duration: bool = False) -> bool:
    """Whether two leaf values mean the same to the service."""
    if desired == live and type(desired) is type(live):
        return True
    if duration:
        wanted, found = duration_nanoseconds(desired), duration_nanoseconds(live)
        if wanted is not None and wanted == found:
            return True
    digest = payload_digest(desired)
    if digest is not None and digest == payload_digest(live):
        return True
    return _same_number(desired, live)


def _same_number(desired: Any, live: Any) -> bool:
    numbers = (int, float)
    return (
        isinstance(desired, numbers)
        and isinstance(live, numbers)
        and not isinstance(desired, bool)
        and not isinstance(live, bool)
        and desired == live
    )


def form(value: Any) -> Any:
    """A value with every payload replaced by its digest, for whole-list comparison."""
    if isinstance(value, dict):
        return {key: form(item) for key, item in value.items()}
    if isinstance(value, list):
        return [form(item) for item in value]
    digest = payload_digest(value)
    if digest is not None:
        return f"sha512:{digest}"
    return value
