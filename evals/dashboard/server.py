"""``mteval serve``: the dashboard, live from the results store, over HTTP.

The same app as the static site; its ``data/*.js`` files are produced on
request from the store, so a run that finishes while the server is up shows
up on the next page load. The server is deliberately small and read-only:

* it binds 127.0.0.1 unless told otherwise, and when bound to a loopback
  address it answers only requests whose Host is a loopback name (a page on
  another site cannot read it through DNS rebinding);
* it answers GET and HEAD only: any other method, a made-up one too, is a
  405 (``Allow: GET, HEAD``, the same security headers as every answer) and
  the connection closes, as after every refused request (a malformed
  ``Content-Length``, a body over ``MAX_BODY``), so the bytes of a refused
  request are never read as the next one. A body sent with a GET is read
  (up to ``MAX_BODY``, within ``BODY_TIMEOUT``) and dropped; a client that
  goes away mid-request is one log line;
* it serves only the app's own files and the data routes below — any other
  path, including every attempt at ``..``, is a 404, because nothing is
  looked up on disk by name;
* the store is opened with ``open_store(readonly=True)`` (never created or
  migrated) and only its reader methods are called.

Routes: ``/`` (the app), ``/assets/…`` (its files), ``/data/index.js``,
``/data/runs/<id>.js``, ``/data/runs/<id>/segments.js``,
``/data/runs/<id>/significance.js``, ``/data/runs/<id>/humans.js``, ``/data/runs/<id>/analysis.js``,
``/data/runs/<id>/system-<system id>.js``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from evals.dashboard.payloads import RunData, index_payload, run_fingerprint
from evals.dashboard.analysis import analysis_payload
from evals.dashboard.humans import humans_payload
from evals.dashboard.significance import significance_payload
from evals.dashboard.site import static_files
from evals.dashboard.urls import chunk_script, index_url
from evals.errors import MtevalError

if TYPE_CHECKING:
    from evals.store import Store

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'none'; "
       "connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
#: Runs whose payloads stay in memory (each holds its frames; a big run is tens of MB).
CACHED_RUNS = 4
#: The methods answered; every other one is refused with 405.
METHODS = ("GET", "HEAD")
#: The largest request body read (and dropped) to keep a connection in step; a larger one closes it.
MAX_BODY = 64 * 1024
#: Seconds a request body may take to arrive (a stalled client does not hold a thread for ever).
BODY_TIMEOUT = 10.0
#: Seconds the input of a refused request is drained after the answer, so closing does not reset
#: the connection before the client has read the answer.
LINGER = 2.0
_LENGTH = re.compile(r"[0-9]{1,18}")

_RUN = re.compile(r"^/data/runs/(\d{1,12})\.js$")
_SEGMENTS = re.compile(r"^/data/runs/(\d{1,12})/segments\.js$")
_SYSTEM = re.compile(r"^/data/runs/(\d{1,12})/system-(\d{1,12})\.js$")
_SIGNIFICANCE = re.compile(r"^/data/runs/(\d{1,12})/significance\.js$")
_HUMANS = re.compile(r"^/data/runs/(\d{1,12})/humans\.js$")
_ANALYSIS = re.compile(r"^/data/runs/(\d{1,12})/analysis\.js$")


class NotFound(Exception):
    """The path names nothing this server serves."""


class DashboardApp:
    """Maps a GET path to (content type, body), from the app's files and the live store."""

    def __init__(self, store: "Store") -> None:
        self.store = store
        self.files = {"/" + path: body for path, body in static_files()}
        self.files["/"] = self.files["/index.html"]
        self._runs: OrderedDict[int, tuple[tuple[Any, ...], RunData, dict[str, bytes]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str) -> tuple[str, bytes, bool]:
        """(content type, body, is_data) for ``path``; raises ``NotFound``."""
        if path in self.files:
            return _content_type(path), self.files[path], False
        if path == "/" + index_url():
            payload = index_payload(self.store, mode="live")
            return CONTENT_TYPES[".js"], chunk_script(index_url(), payload).encode("utf-8"), True
        for pattern, build in ((_RUN, self._run), (_SEGMENTS, self._segments), (_SYSTEM, self._system),
                               (_SIGNIFICANCE, self._significance), (_HUMANS, self._humans),
                               (_ANALYSIS, self._analysis)):
            match = pattern.match(path)
            if match:
                url = path.lstrip("/")
                body = self._cached(int(match.group(1)), url, lambda run: build(run, match))
                return CONTENT_TYPES[".js"], body, True
        raise NotFound(path)

    @staticmethod
    def _run(run: RunData, _match: re.Match) -> Any:
        return run.run_payload()

    @staticmethod
    def _segments(run: RunData, _match: re.Match) -> Any:
        return run.segments_payload()

    @staticmethod
    def _significance(run: RunData, _match: re.Match) -> Any:
        return significance_payload(run)

    @staticmethod
    def _humans(run: RunData, _match: re.Match) -> Any:
        return humans_payload(run)

    @staticmethod
    def _analysis(run: RunData, _match: re.Match) -> Any:
        return analysis_payload(run.store, run.run_id)

    @staticmethod
    def _system(run: RunData, match: re.Match) -> Any:
        system_id = int(match.group(2))
        if system_id not in run.system_names:
            raise NotFound(match.group(0))
        return run.system_payload(system_id)

    def _cached(self, run_id: int, url: str, build: Callable[[RunData], Any]) -> bytes:
        """A run's chunk, rebuilt only when the run changed in the store since it was cached."""
        with self._lock:  # one build at a time: the explorer asks for several chunks at once
            fingerprint = run_fingerprint(self.store, run_id)
            if fingerprint is None:
                raise NotFound(url)
            entry = self._runs.get(run_id)
            if entry is None or entry[0] != fingerprint:
                entry = (fingerprint, RunData(self.store, run_id), {})
                self._runs[run_id] = entry
            self._runs.move_to_end(run_id)
            while len(self._runs) > CACHED_RUNS:
                self._runs.popitem(last=False)
            chunks = entry[2]
            if url not in chunks:
                chunks[url] = chunk_script(url, build(entry[1])).encode("utf-8")
            return chunks[url]


def _content_type(path: str) -> str:
    suffix = path[path.rfind("."):] if "." in path.rsplit("/", 1)[-1] else ".html"
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _host_name(header: str | None) -> str | None:
    """The host name of a Host header ("[::1]:8000" → "::1", "localhost:80" → "localhost")."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else None
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def make_handler(app: DashboardApp, check_host: bool, quiet: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mteval-dashboard"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(send_body=False)

        def handle_one_request(self) -> None:
            """http.server's loop step; a client that went away is one log line, not a traceback."""
            self.refused = False
            try:
                super().handle_one_request()
            except ConnectionError as error:  # reset, broken pipe: the client went away
                self.close_connection = True
                self.log_message("connection lost: %s", error.strerror or type(error).__name__)

        def handle_expect_100(self) -> bool:
            # No "100 Continue": a body is never wanted. A client then sends it or gives up, and
            # the request is admitted or refused in parse_request either way.
            return True

        def parse_request(self) -> bool:
            """http.server's checks of the request line and headers, then the method and the body.

            False: the request was answered (refused) or the client went away; http.server
            then skips the method and, since the connection is closing, reads nothing more.
            """
            if not super().parse_request():
                return False
            if self.request_version == "HTTP/0.9":  # its answers have no headers, so no CSP
                self._refuse(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.0 or later only")
                return False
            length, problem = self._body_length()
            if self.command not in METHODS:
                if problem is None and length <= MAX_BODY and not self.headers.get("Expect"):
                    if not self._read_body(length):
                        return False
                self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, "read-only: GET and HEAD only",
                             extra={"Allow": ", ".join(METHODS)})
                return False
            if problem is not None:
                self._refuse(HTTPStatus.BAD_REQUEST, problem)
                return False
            if length > MAX_BODY:
                self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a request body is at most {MAX_BODY} bytes")
                return False
            return self._read_body(length)

        def _body_length(self) -> tuple[int, str | None]:
            """(the body's length, None) or (0, what is wrong with its framing)."""
            if self.headers.get("Transfer-Encoding") is not None:
                return 0, "Transfer-Encoding is not accepted; a body needs a Content-Length"
            values = {value.strip() for value in self.headers.get_all("Content-Length", [])}
            if not values:
                return 0, None
            if len(values) > 1 or not _LENGTH.fullmatch(next(iter(values))):
                return 0, "malformed Content-Length"
            return int(values.pop()), None

        def _read_body(self, length: int) -> bool:
            """Read and drop ``length`` bytes of body; False (one log line) if the client left or stalled."""
            if length == 0:
                return True
            self.connection.settimeout(BODY_TIMEOUT)
            try:
                received = len(self.rfile.read(length))
                what = f"sent {received} of {length} body bytes and closed"
            except TimeoutError:
                received, what = -1, f"sent no more body for {BODY_TIMEOUT:g} s"
            except ConnectionError as error:
                received, what = -1, f"left mid-body ({error.strerror or type(error).__name__})"
            finally:
                self.connection.settimeout(None)
            if received == length:
                return True
            self.close_connection = True
            self.log_message("%s %s: the client %s; connection closed", self.command, self.path, what)
            return False

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """http.server's own refusals (malformed request line, headers too long): answered as every refusal."""
            self._refuse(HTTPStatus(code), message or HTTPStatus(code).phrase)

        def _refuse(self, status: HTTPStatus, text: str, extra: dict[str, str] | None = None) -> None:
            """An error answer after which the connection closes (unread request bytes never become a request)."""
            self.refused = True
            if self.request_version == "HTTP/0.9":  # http.server's default before it read a version
                self.request_version = "HTTP/1.0"  # so the answer has a status line and headers
            self._send(status, f"{text}\n".encode(), "text/plain; charset=utf-8",
                       extra={**(extra or {}), "Connection": "close"}, send_body=self.command != "HEAD")

        def finish(self) -> None:
            super().finish()
            if getattr(self, "refused", False):
                _linger(self.connection)

        def _answer(self, send_body: bool) -> None:
            if check_host and _host_name(self.headers.get("Host")) not in LOOPBACK_NAMES:
                self._send(HTTPStatus.FORBIDDEN, b"unexpected Host header\n", "text/plain; charset=utf-8")
                return
            path = unquote(urlsplit(self.path).path)
            try:
                if "\\" in path or "\x00" in path or ".." in path.split("/"):
                    raise NotFound(path)
                content_type, body, is_data = app.get(path)
            except NotFound:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", send_body=send_body)
                return
            except MtevalError as error:
                self._send(HTTPStatus.NOT_FOUND, f"{error}\n".encode(), "text/plain; charset=utf-8",
                           send_body=send_body)
                return
            except Exception as error:  # noqa: BLE001 - report, keep serving other requests
                self.log_error("error building %s: %r", path, error)
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error (see the server's log)\n",
                           "text/plain; charset=utf-8", send_body=send_body)
                return
            cache = "no-store" if is_data else "no-cache"
            self._send(HTTPStatus.OK, body, content_type, extra={"Cache-Control": cache}, send_body=send_body)

        def _send(self, status: HTTPStatus, body: bytes, content_type: str, extra: dict[str, str] | None = None,
                  send_body: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Frame-Options", "DENY")
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            if not quiet:
                sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    return Handler


def _linger(connection: socket.socket) -> None:
    """Close our side, then drop what the client still sends for a moment, so the close is no reset.

    Closing a socket with unread input makes the kernel send RST, which can
    destroy the answer in flight before the client reads it.
    """
    try:
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(LINGER)
        drained = 0
        while drained <= MAX_BODY:
            chunk = connection.recv(16384)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:  # reset, timed out: nothing more to do for this client
        pass


class DashboardServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not a traceback, for what escaped a request (the handler answers what it can)."""
        error = sys.exc_info()[1]
        sys.stderr.write(f"{client_address[0]} - error handling a request: {error!r}\n")


def make_server(store: "Store", host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> DashboardServer:
    """A server for the dashboard of ``store`` (port 0: any free port; see ``server_address``)."""
    check_host = _is_loopback(host)
    server_class = DashboardServer
    if ":" in host:
        import socket

        class V6Server(DashboardServer):
            address_family = socket.AF_INET6

        server_class = V6Server
    return server_class((host, port), make_handler(DashboardApp(store), check_host, quiet))
