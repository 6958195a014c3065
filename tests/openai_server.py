"""A real OpenAI-compatible HTTP server for tests, answering with a real (tiny) chat model.

``TinyChatServer(model_dir)`` serves, on 127.0.0.1 and a free port:

* ``GET /v1/models`` — one model, ``{"id": NAME, "root": MODEL_DIR}`` (as vLLM reports it);
* ``POST /v1/chat/completions`` — the conversation is rendered with the
  model's own chat template and answered by ``generate`` (greedy), in the
  OpenAI response format.

It is the stdlib ``ThreadingHTTPServer``; the model runs under a lock (one
generation at a time, so replies do not depend on request interleaving).
Switches for failure modes, all counted over chat requests in arrival order:

* ``fail_429`` — answer the next N chat requests with 429 and ``Retry-After: 0``;
* ``fail_500`` — answer the next N chat requests with 500;
* ``hang_from`` — from the chat request with this 0-based number on, sleep
  (``hang_seconds``, or until ``release()``) before answering, i.e. longer
  than a client's timeout; set it to None to recover;
* ``delay`` — seconds every chat request waits before it is answered (so
  concurrent requests overlap and ``max_in_flight`` shows the client's bound);
* ``malformed`` — answer the next N chat requests with 200 and a body that is not JSON;
* ``reject_key`` — answer 401 with an error message that quotes the
  Authorization header it was sent (as some APIs quote a bad key), to test
  that clients scrub it.

``requests`` counts every request by path, ``max_in_flight`` is the most chat
requests the server held at once; ``authorizations`` and ``bodies`` record the
Authorization header and the JSON body of each chat request. Use as a context
manager; ``url`` is the API base.

Run by hand: ``python -m tests.openai_server MODEL_DIR [--port 8000]``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class TinyChatServer:
    def __init__(self, model_dir: Path, name: str = "tiny", port: int = 0, max_new_tokens: int = 8) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_dir = Path(model_dir)
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        self.model = AutoModelForCausalLM.from_pretrained(self.model_dir)
        self.model.eval()
        self.fail_429 = 0
        self.fail_500 = 0
        self.hang_from: int | None = None
        self.hang_seconds = 30.0
        self.malformed = 0
        self.delay = 0.0
        self.reject_key = False
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.chat_requests = 0
        self.authorizations: list[str | None] = []
        self._state = threading.Lock()
        self._model_lock = threading.Lock()
        self._release = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "TinyChatServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="tiny-chat-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._httpd.shutdown()
        self._httpd.server_close()

    def release(self) -> None:
        """Let every hanging request finish now (they answer to clients long gone)."""
        self._release.set()

    def recover(self) -> None:
        """Clear every failure switch."""
        with self._state:
            self.fail_429 = self.fail_500 = self.malformed = 0
            self.hang_from = None
            self.reject_key = False
        self.release()

    def __enter__(self) -> "TinyChatServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- behaviour -----------------------------------------------------------------------------

    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": self.name, "object": "model", "owned_by": "mteval-tests", "root": str(self.model_dir)},
        ]}

    def decide(self, authorization: str | None, body: dict[str, Any]) -> tuple[str, int]:
        """What to do with the next chat request: ('answer'|'429'|'500'|'junk'|'hang'|'401', number)."""
        with self._state:
            number = self.chat_requests
            self.chat_requests += 1
            self.authorizations.append(authorization)
            self.bodies.append(body)
            if self.reject_key:
                return "401", number
            if self.fail_429 > 0:
                self.fail_429 -= 1
                return "429", number
            if self.fail_500 > 0:
                self.fail_500 -= 1
                return "500", number
            if self.malformed > 0:
                self.malformed -= 1
                return "junk", number
            if self.hang_from is not None and number >= self.hang_from:
                return "hang", number
            return "answer", number

    def hang(self) -> None:
        self._release.wait(self.hang_seconds)

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        import torch

        messages = body["messages"]
        limit = min(int(body.get("max_tokens") or self.max_new_tokens), self.max_new_tokens)
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        with self._model_lock, torch.inference_mode():
            encoded = self.tokenizer([text], return_tensors="pt", add_special_tokens=False)
            output = self.model.generate(**encoded, do_sample=False, max_new_tokens=limit,
                                         pad_token_id=self.tokenizer.pad_token_id)
        new = output[0, encoded["input_ids"].shape[1]:].tolist()
        stops = self.model.generation_config.eos_token_id
        stops = set(stops if isinstance(stops, list) else [stops])
        content = self.tokenizer.decode(new, skip_special_tokens=True)
        return {
            "id": f"chatcmpl-{self.chat_requests}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.name,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop" if stops.intersection(new) else "length",
            }],
            "usage": {"prompt_tokens": int(encoded["input_ids"].shape[1]), "completion_tokens": len(new),
                      "total_tokens": int(encoded["input_ids"].shape[1]) + len(new)},
        }


def _handler(server: TinyChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            with server._state:
                server.requests[self.path] += 1
            if self.path == "/v1/models":
                self._json(200, server.models())
            else:
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            with server._state:
                server.requests[self.path] += 1
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            try:
                body = json.loads(raw)
                if not isinstance(body.get("messages"), list):
                    raise ValueError("messages must be a list")
            except ValueError as error:
                self._json(400, {"error": {"message": f"bad request: {error}", "type": "invalid_request_error"}})
                return
            if body.get("model") != server.name:
                self._json(404, {"error": {"message": f"model '{body.get('model')}' does not exist",
                                           "type": "invalid_request_error"}})
                return
            with server._state:
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                reply = self._chat(body)
            finally:
                with server._state:  # before the reply goes out: the client may send its next request at once
                    server.in_flight -= 1
            self._send(*reply)

        def _chat(self, body: dict[str, Any]) -> tuple[int, bytes, str, dict[str, str] | None]:
            """(status, body, content type, extra headers) for one chat request."""
            action, _ = server.decide(self.headers.get("Authorization"), body)
            if server.delay:
                time.sleep(server.delay)
            if action == "401":
                quoted = self.headers.get("Authorization")
                return _json_reply(401, {"error": {"message": f"Incorrect API key provided: {quoted}",
                                                   "type": "invalid_request_error"}})
            if action == "429":
                return _json_reply(429, {"error": {"message": "rate limited", "type": "rate_limit"}},
                                   {"Retry-After": "0"})
            if action == "500":
                return _json_reply(500, {"error": {"message": "internal error", "type": "server_error"}})
            if action == "junk":
                return 200, b"<html>502 Bad Gateway</html>", "text/html", None
            if action == "hang":
                server.hang()
            return _json_reply(200, server.complete(body))

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send(*_json_reply(status, payload, headers))

        def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to tell it

    return Handler


def _json_reply(status: int, payload: Any,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, str, dict[str, str] | None]:
    return status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json", headers


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Serve a local chat model over the OpenAI chat-completions API.")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--name", default="tiny")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()
    server = TinyChatServer(args.model_dir, name=args.name, port=args.port, max_new_tokens=args.max_new_tokens)
    print(f"serving {args.model_dir} as '{args.name}' at {server.url}", flush=True)
    server.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
