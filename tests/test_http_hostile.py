"""``mteval serve`` against hostile HTTP, over raw sockets, with real servers (``python -m evals serve``).

The contract: GET and HEAD only; every other method, a made-up one too, is a
405 with ``Allow: GET, HEAD`` and the same security headers as every answer
(CSP included), after which the connection closes. Bytes of a refused request
are never read as a next request (no request smuggling); a body sent with a
GET is read (bounded by ``MAX_BODY``) and dropped, so keep-alive stays in
step. A client that goes away mid-request is one log line, never a traceback
(and nothing at all with ``-q``).
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evals.dashboard.server import CSP, MAX_BODY
from evals.store import open_store

HOST = b"Host: localhost\r\n"
SMUGGLED = b"GET /data/index.js HTTP/1.1\r\n" + HOST + b"\r\n"
TIMEOUT = 20  # the first /data/index.js of a server imports pandas


class Server:
    """A ``mteval serve`` subprocess on a free port, its stderr in a file."""

    def __init__(self, db: Path, folder: Path, quiet: bool) -> None:
        self.log = folder / ("serve-q.err" if quiet else "serve.err")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        args = [sys.executable, "-m", "evals", "serve", "--db", str(db), "--port", "0", *(["-q"] if quiet else [])]
        with self.log.open("wb") as err:
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, env=env)
        line = self.process.stdout.readline().decode()
        assert line.startswith("serving http://127.0.0.1:"), (line, self.log.read_text())
        self.port = int(line.split("127.0.0.1:")[1].split("/")[0])

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("http")
    db = folder / "store.db"
    open_store(db).close()  # an empty, migrated store
    started = {"log": Server(db, folder, quiet=False), "quiet": Server(db, folder, quiet=True)}
    yield started
    for server in started.values():
        server.stop()
    for server in started.values():
        assert "Traceback" not in server.stderr(), server.stderr()


@pytest.fixture(scope="module")
def server(servers):
    return servers["log"]


class Connection:
    """One client connection, reading whole responses (status, headers, body) off the wire."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> "Connection":
        self.sock.sendall(data)
        return self

    def response(self, head: bool = False) -> tuple[int, dict[str, str], bytes] | None:
        """The next response; None when the server closed the connection instead."""
        try:
            status_line = self.file.readline()
        except ConnectionResetError:
            return None
        if not status_line:
            return None
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := self.file.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b"" if head else self.file.read(int(headers.get("content-length", 0)))
        return status, headers, body

    def closed_by_server(self) -> bool:
        """True when the server closed the connection (EOF), False if it is still open after a while."""
        self.sock.settimeout(0.5)
        try:
            return self.file.read(1) == b""
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(TIMEOUT)

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def connect(server):
    opened = []

    def open_one(port: int | None = None) -> Connection:
        opened.append(Connection(port or server.port))
        return opened[-1]

    yield open_one
    for connection in opened:
        connection.close()


def assert_refusal(response, status: int) -> dict[str, str]:
    assert response is not None, "no answer"
    got, headers, _ = response
    assert got == status, response
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["connection"] == "close"
    return headers


def wait_for_log(server: Server, since: int, predicate, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        text = server.stderr()[since:]
        if predicate(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


# ---- smuggling ----------------------------------------------------------------------------------


def test_a_get_in_a_post_body_is_never_answered(connect):
    conn = connect().send(b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED)
    headers = assert_refusal(conn.response(), 405)
    assert headers["allow"] == "GET, HEAD"
    assert conn.response() is None  # the smuggled GET got no 200: the connection closed


@pytest.mark.parametrize("framing", [
    b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n",
    b"Content-Length: 5\r\n\r\nhello" + SMUGGLED,  # pipelined after a refused request
    b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1) + SMUGGLED,  # a body too big to read
    b"Content-Length: nonsense\r\n\r\n" + SMUGGLED,
    b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED,
])
def test_nothing_after_a_refused_request_is_read_as_a_request(connect, framing):
    conn = connect().send(b"PUT /data/index.js HTTP/1.1\r\n" + HOST + framing)
    assert_refusal(conn.response(), 405)
    assert conn.response() is None


def test_a_get_body_is_read_and_dropped_and_keep_alive_stays_in_step(connect):
    conn = connect().send(b"GET / HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED)
    status, _, body = conn.response()
    assert status == 200 and b"<html" in body
    conn.send(b"GET /nothing-here HTTP/1.1\r\n" + HOST + b"\r\n")
    status, headers, _ = conn.response()
    assert status == 404 and "connection" not in headers  # the answer to *this* request, on the same connection
    assert not conn.closed_by_server()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_chunked_get_is_refused_and_closed(connect, method):
    conn = connect().send(f"{method} / HTTP/1.1\r\n".encode() + HOST
                          + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n")
    assert_refusal(conn.response(head=method == "HEAD"), 400)
    assert conn.response() is None


# ---- methods --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "FOO",
                                    "PROPFIND", "get", "X" * 200])
def test_every_other_method_is_a_documented_405(connect, method):
    conn = connect().send(f"{method} /data/index.js HTTP/1.1\r\n".encode() + HOST + b"\r\n")
    status, headers, body = conn.response()
    assert_refusal((status, headers, body), 405)
    assert headers["allow"] == "GET, HEAD" and body == b"read-only: GET and HEAD only\n"
    assert headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("request_bytes,status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"<script>alert(1)</script> / HTTP/1.1 x\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 505),  # HTTP/0.9: an answer without headers would carry no CSP
    (b"GET / HTTP/9.9\r\n" + HOST + b"\r\n", 505),
    (b"GET / HTTP/1.1\r\n" + HOST + b"X-Long: " + b"a" * 70000 + b"\r\n\r\n", 431),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
])
def test_the_servers_own_refusals_carry_the_security_headers(connect, request_bytes, status):
    conn = connect().send(request_bytes)
    assert_refusal(conn.response(), status)
    assert conn.response() is None


# ---- Content-Length garbage -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"abc", b"-1", b"+5", b"1_0", b"5, 6", b"0x10", b"1e3", b"",
                                   b"99999999999999999999999999", "５".encode()])
def test_a_malformed_content_length_is_400_and_closes(connect, value):
    conn = connect().send(b"GET / HTTP/1.1\r\n" + HOST + b"Content-Length: " + value + b"\r\n\r\n" + SMUGGLED)
    assert_refusal(conn.response(), 400)
    assert conn.response() is None


def test_two_different_content_lengths_are_400(connect):
    conn = connect().send(b"GET / HTTP/1.1\r\n" + HOST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
    assert_refusal(conn.response(), 400)


def test_a_body_over_the_cap_is_413(connect):
    conn = connect().send(b"GET / HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1))
    assert_refusal(conn.response(), 413)
    assert conn.response() is None


# ---- clients that go away ------------------------------------------------------------------------


@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("which", ["log", "quiet"])
def test_a_client_leaving_mid_body_is_one_log_line(servers, method, reset, which):
    server = servers[which]
    since = len(server.stderr())
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.sendall(f"{method} /left-{method}-{reset} HTTP/1.1\r\n".encode() + HOST
                 + b"Content-Length: 1000\r\n\r\n" + b"x" * 10)
    time.sleep(0.2)  # the server is now waiting for the rest of the body
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    if which == "log":
        text = wait_for_log(server, since, lambda t: f"/left-{method}-{reset}" in t)
        lines = [line for line in text.splitlines() if f"/left-{method}-{reset}" in line]
        assert len(lines) == 1 and ("sent 10 of 1000 body bytes" in lines[0] or "left mid-body" in lines[0]), text
    else:
        time.sleep(0.5)
        text = server.stderr()[since:]
        assert text == "", text
    assert "Traceback" not in text
    # ... and the server goes on serving.
    conn = Connection(server.port)
    try:
        status, _, _ = conn.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n").response()
        assert status == 200
    finally:
        conn.close()


def test_a_client_resetting_before_reading_the_answer_is_no_traceback(servers):
    server = servers["log"]
    since = len(server.stderr())
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.sendall(b"FOO / HTTP/1.1\r\n" + HOST + b"\r\n" + b"y" * 50000)
        sock.close()
    time.sleep(0.5)
    assert "Traceback" not in server.stderr()[since:]


# ---- keep-alive for GETs still works -------------------------------------------------------------


def test_keep_alive_serves_many_gets_on_one_connection(connect):
    conn = connect()
    for path in ("/", "/data/index.js", "/nothing-here", "/"):
        conn.send(f"GET {path} HTTP/1.1\r\n".encode() + HOST + b"\r\n")
        status, headers, body = conn.response()
        assert status == (404 if path == "/nothing-here" else 200) and len(body) == int(headers["content-length"])
        assert headers["content-security-policy"] == CSP
    conn.send(b"HEAD / HTTP/1.1\r\n" + HOST + b"\r\n")
    status, headers, body = conn.response(head=True)
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert not conn.closed_by_server()


def test_pipelined_gets_are_answered_in_order(connect):
    conn = connect().send((b"GET / HTTP/1.1\r\n" + HOST + b"\r\n") + (b"GET /nothing-here HTTP/1.1\r\n" + HOST + b"\r\n")
                          + (b"HEAD / HTTP/1.1\r\n" + HOST + b"\r\n"))
    assert conn.response()[0] == 200
    assert conn.response()[0] == 404
    assert conn.response(head=True)[0] == 200
    assert not conn.closed_by_server()
