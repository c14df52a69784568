"""The project API client: getProject and patchProjectWithRevision over httpx.

Every call has a timeout. Rate limits (429, honouring ``Retry-After``), server
errors (5xx) and connection failures are retried with jittered exponential
backoff within a bounded budget, one log line per retry. A plan runs over
:class:`ReadOnlyTransport`, so nothing but a GET can leave the process.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from reconciler.errors import ReconcileError

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.console.ory.sh"
USER_AGENT = "reconciler"


class ApiError(ReconcileError):
    """The service answered with an error; the message carries its envelope."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        message: str,
        reason: str | None = None,
        error_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        text = f"{method} {path}: {status} {message}"
        if reason and reason != message:
            text += f" ({reason})"
        super().__init__(text)
        self.status = status
        self.message = message
        self.reason = reason
        self.error_id = error_id
        self.details = details or {}


class RevisionConflict(ApiError):
    """409: the project's revision moved since the plan was made."""


class RetriesExhausted(ReconcileError):
    """The retry budget ran out on rate limits, server errors or dropped connections."""


class WriteRefused(ReconcileError):
    """A write was attempted through a read-only transport."""


class ReadOnlyTransport(httpx.BaseTransport):
    """Passes GET and HEAD through to ``inner`` and refuses every other method.

    This is what makes a plan unable to write, whatever the code above it does.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in ("GET", "HEAD"):
            raise WriteRefused(
                f"refused to send {request.method} {request.url.path}: "
                "this run may only read"
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how long, to retry a call that may succeed later."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    budget: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff, never shorter than ``Retry-After``."""
        backoff = self.rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
        if retry_after is not None:
            return min(max(retry_after, backoff), self.max_delay)
        return backoff


@dataclass(frozen=True)
class PatchResult:
    """The service's answer to a successful patch."""

    project: dict[str, Any]
    warnings: list[dict[str, Any]]


class ProjectClient:
    """Reads and patches Ory Network projects."""

    def __init__(
        self,
        api_url: str,
        api_key: str | None,
        *,
        read_only: bool = False,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        _check_api_url(api_url)
        _check_api_key(api_key)
        inner = transport or httpx.HTTPTransport()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=ReadOnlyTransport(inner) if read_only else inner,
        )
        self._retry = retry or RetryPolicy()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProjectClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_project(self, project_id: str) -> dict[str, Any]:
        """getProject: the live project document."""
        path = f"/projects/{quote(project_id, safe='')}"
        return _project_document("GET", path, project_id, self._call("GET", path))

    def patch_project(
        self, project_id: str, revision_id: str, patch: list[dict[str, Any]]
    ) -> PatchResult:
        """patchProjectWithRevision: apply ``patch`` if the project is at ``revision_id``.

        Raises :class:`RevisionConflict` when the revision has moved.
        """
        path = (
            f"/projects/{quote(project_id, safe='')}"
            f"/revision/{quote(revision_id, safe='')}"
        )
        body = self._call("PATCH", path, json=patch)
        project = body.get("project") if isinstance(body, dict) else None
        warnings = body.get("warnings") if isinstance(body, dict) else None
        return PatchResult(
            _project_document("PATCH", path, project_id, project),
            [w for w in warnings or [] if isinstance(w, dict)],
        )

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        started = time.monotonic()
        for attempt in range(self._retry.attempts):
            outcome = self._attempt(method, path, json, attempt)
            if not isinstance(outcome, _Retryable):
                return outcome
            reason = outcome.reason
            delay = self._retry.delay(attempt, outcome.retry_after)
            spent = time.monotonic() - started
            if (
                attempt + 1 >= self._retry.attempts
                or spent + delay > self._retry.budget
            ):
                raise RetriesExhausted(
                    f"{method} {path}: gave up after {attempt + 1} attempts "
                    f"in {spent:.1f}s; last: {reason}"
                )
            log.warning(
                "retry %s %s in %.2fs (attempt %d of %d): %s",
                method,
                path,
                delay,
                attempt + 2,
                self._retry.attempts,
                reason,
            )
            self._retry.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    def _attempt(self, method: str, path: str, json: Any, attempt: int) -> Any:
        """One request: the decoded body, or :class:`_Retryable` to try again."""
        started = time.monotonic()
        try:
            response = self._http.request(method, path, json=json)
        except _TRANSIENT as error:
            log.info("%s %s failed: %s (attempt %d)", method, path, error, attempt + 1)
            return _Retryable(f"{type(error).__name__}: {error}")
        except httpx.HTTPError as error:
            # A fault on this side (a header that cannot be sent, say): trying
            # again cannot help, and the message may quote what was sent.
            raise ReconcileError(
                f"{method} {path}: the request could not be sent "
                f"({type(error).__name__})"
            ) from None
        log.info(
            "%s %s %d (%d ms, attempt %d)",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            attempt + 1,
        )

        if response.status_code == 429 or response.status_code >= 500:
            status = f"{response.status_code} {response.reason_phrase}"
            return _Retryable(status, _retry_after(response))
        if response.status_code >= 400:
            raise _api_error(method, path, response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return _Retryable(f"{response.status_code} with a body that is not JSON")


# Failures that may pass: the network, the peer, or time.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def _check_api_url(api_url: str) -> None:
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReconcileError(
            f"the API URL must be an http(s) URL such as {DEFAULT_API_URL}, "
            f"not {api_url!r}"
        )


def _check_api_key(api_key: str | None) -> None:
    """A key that cannot go in a header is refused without being shown."""
    if api_key is None:
        return
    if (
        not api_key
        or not api_key.isascii()
        or not api_key.isprintable()
        or any(character.isspace() for character in api_key)
    ):
        raise ReconcileError(
            "the API key holds white space or characters a header cannot carry "
            "(a trailing newline?); set it again"
        )


def _project_document(
    method: str, path: str, project_id: str, body: Any
) -> dict[str, Any]:
    """``body`` if it is the project asked for, at a known revision."""
    if (
        not isinstance(body, dict)
        or str(body.get("id", "")).lower() != project_id.lower()
        or not isinstance(body.get("revision_id"), str)
        or not body["revision_id"]
        or not isinstance(body.get("services"), dict)
    ):
        raise ReconcileError(
            f"{method} {path}: the answer is not the project document "
            "(no id, revision_id or services); nothing was planned on it"
        )
    return body


@dataclass(frozen=True)
class _Retryable:
    """A failed attempt that may succeed if tried again."""

    reason: str
    retry_after: float | None = None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _api_error(method: str, path: str, response: httpx.Response) -> ApiError:
    """Ory's error envelope (or the flat generic error) as one clear message."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    content = body.get("error", body) if isinstance(body, dict) else {}
    if not isinstance(content, dict):
        content = {"message": str(content)}
    message = str(content.get("message") or response.reason_phrase)
    reason = content.get("reason")
    details = content.get("details")
    error_class = RevisionConflict if response.status_code == 409 else ApiError
    return error_class(
        method,
        path,
        response.status_code,
        message,
        reason=str(reason) if reason else None,
        error_id=content.get("id"),
        details=details if isinstance(details, dict) else None,
    )
