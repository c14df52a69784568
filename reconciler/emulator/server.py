"""HTTP handling: one dispatcher between sockets and endpoint handlers.

Per request: faults strike first (latency, a dropped connection, 429, 5xx),
then authentication, routing, and the handler, under the store's lock so
that writes never interleave, not even those of several emulators sharing
one state file. Paths under `/__emulator/` are the admin surface: loopback
peers only, no API key, no faults, not in the request log.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.parse
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonpointer

from reconciler.emulator.api import ApiRequest, ApiResponse, Route, match
from reconciler.emulator.auth import Authenticator
from reconciler.emulator.errors import ApiError
from reconciler.emulator.faults import Decision, FaultInjector, FaultPlan, edited
from reconciler.emulator.log import RequestLog
from reconciler.emulator.service import ProjectService

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/__emulator/"
# Far above any real project document, far below what would exhaust memory.
MAX_BODY_BYTES = 64 * 1024 * 1024
_LOOPBACK = ("127.0.0.1", "::1")
_WRITE_METHODS = ("PATCH", "PUT")
_SLOW_BODY_CHUNKS = 10


class Dispatcher:
    """Turns one HTTP request into a call of its endpoint handler."""

    def __init__(
        self,
        service: ProjectService,
        authenticator: Authenticator,
        request_log: RequestLog,
        faults: FaultPlan,
    ) -> None:
        self.service = service
        self.authenticator = authenticator
        self.request_log = request_log
        self.injector = FaultInjector(faults)

    def handle(self, http: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        url = urllib.parse.urlsplit(http.path)
        if _declared_length(http) > MAX_BODY_BYTES:
            # The body is not read: answer, then close the connection.
            http.close_connection = True
            too_large = ApiError(
                413, f"A request body is at most {MAX_BODY_BYTES} bytes."
            )
            _send(http, ApiResponse(413, too_large.body()))
            return
        body = _read_body(http)
        if url.path.startswith(ADMIN_PREFIX):
            self._handle_admin(http, url.path, body)
            return

        route, params, path_exists = match(http.command, url.path)
        project_id = self._project_id(params)
        decision = self.injector.decide(
            http.command,
            writes_project=project_id is not None and http.command in _WRITE_METHODS,
            reads_project=route is not None and route.operation_id == "getProject",
        )
        entry: dict[str, Any] = {
            "method": http.command,
            "path": url.path,
            "operation": route.operation_id if route else None,
            "project_id": project_id,
            "revision_before": None,
            "revision_after": None,
        }
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)

        if decision.drop and not decision.drop_after_handling:
            self._log(entry, None, started, "drop_connection")
            _drop(http)
            return
        if decision.error_status is not None:
            response = _fault_response(decision, route)
            self._log(entry, response.status, started, "injected_error")
            _send(http, response)
            return

        request = ApiRequest(
            http.command,
            url.path,
            {k: urllib.parse.unquote(v) for k, v in params.items()},
            urllib.parse.parse_qs(url.query),
            body,
            stale_read=decision.stale_read,
        )
        response = self._respond(http, route, path_exists, request, decision, entry)
        # The entry is logged before the answer goes out, so a client that
        # has its answer finds the request in the log.
        if decision.drop:
            self._log(entry, None, started, "drop_connection")
            _drop(http)
            return
        fault = "slow_body" if decision.slow_body_ms else None
        self._log(entry, response.status, started, fault)
        _send(http, response, slow_ms=decision.slow_body_ms)

    def _respond(
        self,
        http: BaseHTTPRequestHandler,
        route: Route | None,
        path_exists: bool,
        request: ApiRequest,
        decision: Decision,
        entry: dict[str, Any],
    ) -> ApiResponse:
        flat = route is not None and route.flat_errors
        project_id = entry["project_id"]
        try:
            self.authenticator.check(http.headers.get("Authorization"))
            if route is None:
                raise (
                    ApiError(405, "Method not allowed.")
                    if path_exists
                    else ApiError(404, f"No endpoint at {request.path}.")
                )
            with self.service.store.lock():
                if decision.edit and project_id:
                    self._edit_concurrently(project_id)
                entry["revision_before"] = self._revision(project_id)
                response = route.handler(self.service, request)
                entry["project_id"] = entry["project_id"] or response.project_id
                entry["revision_after"] = self._revision(entry["project_id"])
                return response
        except ApiError as error:
            entry["revision_after"] = entry["revision_before"]
            return ApiResponse(error.status, error.body(flat=flat), error.headers)
        except Exception:
            logger.exception("dispatch: %s %s failed", request.method, request.path)
            failure = ApiError(500, "The emulator failed to handle the request.")
            return ApiResponse(500, failure.body(flat=flat))

    def _project_id(self, params: dict[str, str]) -> str | None:
        """The id of the project the path names: by id or slug; as named when
        there is no such project."""
        named = params.get("project_id") or params.get("project")
        if named is None:
            return None
        named = urllib.parse.unquote(named)
        return self.service.store.find(named) or named

    def _revision(self, project_id: str | None) -> str | None:
        return self.service.revision(project_id) if project_id else None

    def _edit_concurrently(self, project_id: str) -> None:
        path = self.injector.plan.concurrent_editor.path
        document = self.service.view(project_id)
        try:
            current = jsonpointer.resolve_pointer(document, path, None)
        except jsonpointer.JsonPointerException:
            current = None
        patch = [{"op": "add", "path": path, "value": edited(current)}]
        try:
            self.service.write(project_id, patch)
        except ApiError as error:
            logger.warning("editor: the edit of %s was refused: %s", path, error.reason)

    def _handle_admin(
        self, http: BaseHTTPRequestHandler, path: str, body: bytes
    ) -> None:
        if http.client_address[0] not in _LOOPBACK:
            _send(http, ApiResponse(403, ApiError(403, "Loopback peers only.").body()))
            return
        if path != f"{ADMIN_PREFIX}faults":
            _send(
                http, ApiResponse(404, ApiError(404, f"No endpoint at {path}.").body())
            )
            return
        if http.command == "POST":
            try:
                plan = FaultPlan.from_dict(json.loads(body or b"{}"))
            except (ValueError, TypeError) as error:
                _send(http, ApiResponse(400, ApiError(400, str(error)).body()))
                return
            self.injector = FaultInjector(plan)
            logger.info("faults: new plan with seed %d", plan.seed)
        elif http.command != "GET":
            _send(http, ApiResponse(405, ApiError(405, "Use GET or POST.").body()))
            return
        _send(http, ApiResponse(200, self.injector.plan.to_dict()))

    def _log(
        self,
        entry: dict[str, Any],
        status: int | None,
        started: float,
        fault: str | None,
    ) -> None:
        entry["status"] = status
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        if fault is not None:
            entry["fault"] = fault
        self.request_log.append(entry)


def _fault_response(decision: Decision, route: Route | None) -> ApiResponse:
    status = decision.error_status or 500
    headers = {}
    if decision.retry_after_seconds is not None:
        headers["Retry-After"] = str(decision.retry_after_seconds)
    reason = "Rate limit exceeded." if status == 429 else "Injected server error."
    error = ApiError(status, reason)
    return ApiResponse(
        status, error.body(flat=bool(route and route.flat_errors)), headers
    )


def _declared_length(http: BaseHTTPRequestHandler) -> int:
    try:
        return int(http.headers.get("Content-Length") or 0)
    except ValueError:
        return 0


def _read_body(http: BaseHTTPRequestHandler) -> bytes:
    length = _declared_length(http)
    return http.rfile.read(length) if length > 0 else b""


def _send(
    http: BaseHTTPRequestHandler, response: ApiResponse, *, slow_ms: int = 0
) -> None:
    payload = b"" if response.body is None else json.dumps(response.body).encode()
    try:
        http.send_response(response.status)
        if response.body is not None:
            http.send_header("Content-Type", "application/json")
        http.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            http.send_header(name, value)
        http.end_headers()
        if slow_ms and payload:
            _trickle(http, payload, slow_ms)
        else:
            http.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        logger.info("send: the client closed the connection")
        http.close_connection = True


def _trickle(http: BaseHTTPRequestHandler, payload: bytes, slow_ms: int) -> None:
    """Writes the body in chunks spread over `slow_ms`."""
    size = max(1, -(-len(payload) // _SLOW_BODY_CHUNKS))
    for start in range(0, len(payload), size):
        http.wfile.write(payload[start : start + size])
        http.wfile.flush()
        time.sleep(slow_ms / 1000 / _SLOW_BODY_CHUNKS)


def _drop(http: BaseHTTPRequestHandler) -> None:
    """Closes the connection without answering."""
    http.close_connection = True
    with suppress(OSError):
        http.connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's
    # algorithm and delayed ACKs hold every answer back by tens of ms.
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        self.server.dispatcher.handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        # The dispatcher logs each request once; this is the stdlib's own line.
        logger.debug(format, *args)


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading server on 127.0.0.1 that can close its open connections."""

    daemon_threads = True

    def __init__(self, port: int, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Ends every open connection, such as idle keep-alive ones."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
