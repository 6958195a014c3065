"""``openai:URL#MODEL``: any OpenAI-compatible chat-completions server as a translator.

vLLM, llama.cpp's server, TGI, LM Studio, hosted APIs: ``POST
{URL}/chat/completions`` with ``{"model": MODEL, "messages": …}``, where
``URL`` is the API base (``http://127.0.0.1:8000/v1``; a trailing
``/chat/completions`` is accepted and dropped). The prompts, the document
context and the output clean-up are the ``llm:`` backend's (``prompting.py``),
so a local model and the same model behind a server are asked the same thing.

Options:

* ``concurrency`` (4) — requests in flight at once (a thread pool).
* ``timeout`` (60 s) — for connecting and for each wait on the server.
* ``max_retries`` (5) — retries of one request after HTTP 429, HTTP 5xx, a
  timeout or a dropped connection, with exponential backoff (``backoff`` ×
  2^attempt seconds, ``backoff`` = 1, at most 60 s) or the server's
  ``Retry-After`` (seconds or HTTP date, at most 120 s). Then the run stops
  with one line saying why. Connection refused, other 4xx statuses and
  malformed replies are not retried: they are ``InputError`` at once, with
  the URL and the status.
* ``api_key_env`` (``OPENAI_API_KEY``) — the environment variable holding the
  API key, sent as ``Authorization: Bearer …``; unset or empty → no
  Authorization header. The key is read from the environment at each request
  and is never stored on the system object, in ``describe()``, in the
  results store, in log lines or in error messages (server replies quoted in
  errors are scrubbed of it). A URL with credentials in it
  (``https://user:key@host``) is refused for the same reason: specs are
  stored.
* ``max_tokens`` (512), ``temperature`` (0.0) — sent with each request.
* ``system_prompt``, ``context`` — as for ``llm:``.
* ``batch_size`` (16) — segments per runner batch; the runner commits after
  each batch, so a failure loses at most one batch. With ``context`` the
  runner passes a whole corpus at once (waves span documents).

``describe()``: the URL (credential-free), the model name, the prompt and
generation parameters, and as ``revision`` the server's own description of
the model from ``GET {URL}/models`` (its ``id`` and, as vLLM and llama.cpp
report it, its ``root``/path), or ``unreported`` when the server lists no
models. A server that answers the same model name with a different model
therefore does not reuse cached translations.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError
from evals.systems import prompting
from evals.systems.base import System, SystemInfo, TranslationContext

if TYPE_CHECKING:
    from evals.systems.registry import Registry

MAX_BACKOFF = 60.0
MAX_RETRY_AFTER = 120.0
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_log = logging.getLogger(__name__)


class _Transient(Exception):
    """A failure worth retrying (429, 5xx, timeout, dropped connection)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Aborted(Exception):
    """Another request of the same batch failed; stop retrying this one."""


def parse_spec_arg(arg: str) -> tuple[str, str]:
    """``URL#MODEL`` → (API base URL without a trailing slash, model name)."""
    url, hash_, model = (arg or "").partition("#")
    url, model = url.strip(), model.strip()
    example = "e.g. 'openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct'"
    if not hash_ or not model:
        raise UsageError("openai: needs a model name after '#'", field="system", hint=example)
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018  (validates the port)
    except ValueError:
        raise UsageError("openai: the server URL has an invalid port", field="system", hint=example) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("openai: the server URL must start with http:// or https:// and name a host",
                         field="system", hint=example)
    if parts.username is not None or parts.password is not None:
        raise UsageError("openai: the URL must not hold credentials (specs are stored with the results)",
                         field="system", hint="put the API key in an environment variable, see option api_key_env")
    path = parts.path.rstrip("/")
    path = path.removesuffix("/chat/completions")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")).rstrip("/"), model


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _number(value: Any, option: str, minimum: float, integer: bool = False) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or value < minimum:
        kind = "an integer" if integer else "a number"
        raise UsageError(f"option '{option}' must be {kind} >= {minimum:g}, got {value!r}", field=option)
    return value


class OpenAISystem(System):
    """Chat completions from an OpenAI-compatible HTTP server."""

    backend = "openai"

    def __init__(
        self,
        arg: str | None,
        /,
        *,
        spec: str,
        name: str | None = None,
        concurrency: int = 4,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        api_key_env: str = "OPENAI_API_KEY",
        max_tokens: int = 512,
        temperature: float = 0.0,
        system_prompt: str | None = None,
        context: int = 0,
        batch_size: int = 16,
    ) -> None:
        super().__init__(spec, name)
        self.url, self.model = parse_spec_arg(arg or "")
        self.concurrency = _number(concurrency, "concurrency", 1, integer=True)
        self.timeout = float(_number(timeout, "timeout", 0.001))
        self.max_retries = _number(max_retries, "max_retries", 0, integer=True)
        self.backoff = float(_number(backoff, "backoff", 0))
        if not isinstance(api_key_env, str) or not _ENV_NAME.match(api_key_env):
            raise UsageError("option 'api_key_env' must be the name of an environment variable",
                             field="api_key_env")
        self.api_key_env = api_key_env
        self.max_tokens = _number(max_tokens, "max_tokens", 1, integer=True)
        self.temperature = float(_number(temperature, "temperature", 0))
        if system_prompt is not None and not isinstance(system_prompt, str):
            raise UsageError("option 'system_prompt' must be a string", field="system_prompt")
        self.system_prompt = system_prompt
        self.context = prompting.check_context_option(context)
        batch_size = _number(batch_size, "batch_size", 1, integer=True)
        # With context, a whole corpus per call lets a wave span all its documents.
        self.max_batch_size = None if self.context else batch_size
        self._memory: dict[prompting.SegmentKey, str] = {}
        self._server_model: str | None = None
        self._opener = urllib.request.build_opener()
        self._warned = threading.Event()

    # --- System --------------------------------------------------------------------------------

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        return prompting.translate_segments(
            segments, context, n=self.context, system_prompt=self.system_prompt,
            memory=self._memory, complete=self._complete,
        )

    def describe(self) -> SystemInfo:
        if self._server_model is None:
            self._server_model = self._query_server_model()
        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version="openai-chat-completions",
            revision=self._server_model,
            params={
                "url": self.url,
                "model": self.model,
                **prompting.prompt_params(self.system_prompt, self.context),
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
            },
        )

    # --- requests ------------------------------------------------------------------------------

    def _complete(self, conversations: list[list[prompting.Message]]) -> list[str]:
        """One chat completion per conversation, ``concurrency`` at a time, in order.

        The first failure stops the batch: queued requests are cancelled and
        requests in flight stop retrying (``abort``).
        """
        abort = threading.Event()
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(conversations)) or 1,
                                  thread_name_prefix="openai")
        try:
            futures: list[Future[str]] = [pool.submit(self._chat, c, abort) for c in conversations]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f in done and f.exception() is not None
                      and not isinstance(f.exception(), _Aborted)]
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
            return [f.result() for f in futures]
        except BaseException:
            abort.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)

    def _chat(self, conversation: list[prompting.Message], abort: threading.Event) -> str:
        body = {
            "model": self.model,
            "messages": conversation,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": False,
        }
        data = self._with_retries("POST", "/chat/completions", body, abort)
        try:
            choice = data["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise InputError(f"openai {self.url}: malformed chat completion (no choices[0].message.content)",
                             field="system") from None
        if not isinstance(content, str):
            raise InputError(f"openai {self.url}: malformed chat completion (content is "
                             f"{type(content).__name__}, expected a string)", field="system")
        if isinstance(choice, dict) and choice.get("finish_reason") == "length" and not self._warned.is_set():
            self._warned.set()
            _log.warning("%s: a reply stopped at max_tokens=%d and may be cut short (reported once per run)",
                         self.name, self.max_tokens)
        return content

    def _query_server_model(self) -> str:
        """The server's description of ``self.model`` from ``GET /models``, or ``unreported``."""
        try:
            data = self._with_retries("GET", "/models", None, threading.Event(), missing_ok=True)
        except _Unlisted:
            return "unreported"
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            return "unreported"
        for entry in entries:
            if isinstance(entry, dict) and entry.get("id") == self.model:
                root = entry.get("root")
                return f"{self.model} (root {root})" if root and root != self.model else str(self.model)
        return "not listed by the server"

    def _with_retries(self, method: str, path: str, body: Any, abort: threading.Event,
                      missing_ok: bool = False) -> Any:
        attempts = self.max_retries + 1
        last: _Transient | None = None
        for attempt in range(attempts):
            if abort.is_set():
                raise _Aborted()
            try:
                return self._request(method, path, body, missing_ok)
            except _Transient as error:
                last = error
            if attempt + 1 == attempts:
                break
            delay = last.retry_after if last.retry_after is not None else min(
                self.backoff * (2 ** attempt), MAX_BACKOFF)
            _log.info("%s %s%s: %s; retry %d of %d in %.1f s", method, self.url, path, last.reason,
                      attempt + 1, self.max_retries, delay)
            if abort.wait(delay):
                raise _Aborted()
        raise InputError(
            f"openai {self.url}{path}: giving up after {attempts} attempt{'s' if attempts > 1 else ''}: "
            f"{last.reason if last else 'no attempt made'}",
            field="system", hint="raise the system options 'max_retries' or 'timeout', or check the server",
        )

    def _request(self, method: str, path: str, body: Any, missing_ok: bool) -> Any:
        """One HTTP exchange → parsed JSON; ``_Transient`` for what may pass, ``InputError`` otherwise."""
        where = f"openai {self.url}{path}"
        headers = {"Accept": "application/json", "User-Agent": "mteval"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            detail = self._scrub(_body_excerpt(error))
            if status == 429 or 500 <= status < 600:
                retry_after = parse_retry_after(error.headers.get("Retry-After") if error.headers else None)
                raise _Transient(f"HTTP {status}" + (f" ({detail})" if detail else ""), retry_after) from None
            if missing_ok and status in (404, 405, 501):
                raise _Unlisted() from None
            hint = f"check the API key in ${self.api_key_env}" if status in (401, 403) else None
            raise InputError(f"{where}: HTTP {status} {error.reason}" + (f": {detail}" if detail else ""),
                             field="system", hint=hint) from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                raise _Transient(f"no answer within {self.timeout:g} s") from None
            if isinstance(reason, (ConnectionResetError, ConnectionAbortedError)):
                raise _Transient(f"connection dropped ({type(reason).__name__})") from None
            text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
            raise InputError(f"{where}: cannot connect: {self._scrub(text)}", field="system",
                             hint="is the server running?") from None
        except TimeoutError:
            raise _Transient(f"no answer within {self.timeout:g} s") from None
        except (http.client.HTTPException, ConnectionError) as error:
            raise _Transient(f"connection dropped ({type(error).__name__})") from None
        except OSError as error:  # TLS and other socket failures
            raise InputError(f"{where}: network error: {self._scrub(error.strerror or str(error))}",
                             field="system") from None
        try:
            return json.loads(payload)
        except ValueError:
            raise InputError(f"{where}: malformed response (not JSON: {self._scrub(_excerpt(payload))})",
                             field="system") from None

    def _scrub(self, text: str) -> str:
        """``text`` with the API key (if any) blanked out."""
        key = os.environ.get(self.api_key_env)
        return text.replace(key, "***") if key and len(key) >= 4 else text


class _Unlisted(Exception):
    """The server has no ``/models`` endpoint."""


def _body_excerpt(error: urllib.error.HTTPError) -> str:
    try:
        payload = error.read()
    except (OSError, http.client.HTTPException):
        return ""
    try:
        message = json.loads(payload)["error"]["message"]
        if isinstance(message, str):
            return _excerpt(message.encode("utf-8"))
    except (ValueError, KeyError, TypeError):
        pass
    return _excerpt(payload)


def _excerpt(payload: bytes, limit: int = 160) -> str:
    text = " ".join(payload.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def register(registry: "Registry") -> None:
    registry.register(
        "openai", "evals.systems.openai:OpenAISystem", arg="required", arg_help="URL#MODEL",
        description="OpenAI-compatible chat-completions server (vLLM, llama.cpp, hosted APIs)",
    )
