"""Who may call the emulated API: bearer workspace API keys."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from reconciler.emulator.errors import ApiError

PROJECT_KEY_PREFIX = "ory_pat_"


class Authenticator:
    """Accepts the workspace API keys it was given, refuses everything else.

    A project API key (`ory_pat_...`, known or not) is refused with 403: the
    project API needs a workspace key, and the service tells the two kinds
    apart by their prefix.
    """

    def __init__(self, api_keys: Iterable[str]) -> None:
        self._keys = tuple(key.encode() for key in api_keys if key)

    def check(self, authorization: str | None) -> None:
        """Raises ApiError 401 or 403 unless `authorization` carries a valid key."""
        scheme, _, key = (authorization or "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise ApiError(401, "The request carries no bearer API key.")
        if key.startswith(PROJECT_KEY_PREFIX):
            raise ApiError(
                403,
                "A project API key cannot read or change a project's "
                "configuration; use a workspace API key.",
            )
        if not any(hmac.compare_digest(key.encode(), known) for known in self._keys):
            raise ApiError(401, "The API key is not valid.")
