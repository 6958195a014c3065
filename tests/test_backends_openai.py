"""``openai:`` against a real HTTP server on 127.0.0.1 that answers with a tiny chat model.

No client mocking: ``tests/openai_server.py`` is a stdlib HTTP server running
the tiny Qwen2-architecture model through its chat template; its switches make
it rate-limit, fail, send junk or hang.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

import pytest

from evals.errors import InputError, UsageError
from evals.systems import TranslationContext, build_system
from evals.systems.openai import parse_retry_after, parse_spec_arg
from tests.llm_helpers import corpus_segments, mteval, query, translations, write_corpora, write_suite
from tests.llm_helpers import tiny_chat_model, tiny_models  # noqa: F401  (pytest fixtures)
from tests.openai_server import TinyChatServer

MAX_TOKENS = 8


@pytest.fixture
def server(tiny_chat_model):
    with TinyChatServer(tiny_chat_model, name="tiny", max_new_tokens=MAX_TOKENS) as running:
        yield running


@pytest.fixture
def corpora(tmp_path):
    return write_corpora(tmp_path / "corpora", per_doc=2, traditional=1)


def openai_system(server, **options):
    options.setdefault("max_tokens", MAX_TOKENS)
    options.setdefault("backoff", 0.0)
    return build_system(f"openai:{server.url}#tiny", **options)


def suite_for(tmp_path, corpora, server, batch_size=None, **options):
    options.setdefault("max_tokens", MAX_TOKENS)
    system = {"spec": f"openai:{server.url}#tiny", "name": "served", "options": options}
    extra = {"batch_size": batch_size} if batch_size else {}
    return write_suite(tmp_path / "served.yaml", corpora, [system], **extra)


# --- spec and helpers ------------------------------------------------------------------------


def test_spec_parsing():
    assert parse_spec_arg("http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct") == (
        "http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct")
    assert parse_spec_arg("https://api.example.com/v1/chat/completions/#m")[0] == "https://api.example.com/v1"
    with pytest.raises(UsageError, match="model name after '#'"):
        parse_spec_arg("http://127.0.0.1:8000/v1")
    with pytest.raises(UsageError, match="http:// or https://"):
        parse_spec_arg("ftp://host/v1#m")
    with pytest.raises(UsageError) as caught:
        parse_spec_arg("https://user:s3cret-key@api.example.com/v1#m")
    assert "s3cret-key" not in str(caught.value) and "credentials" in str(caught.value)


def test_retry_after_parsing():
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("99999") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# --- requests against the server, in process ---------------------------------------------------


def test_describe_reports_the_served_model(server):
    info = openai_system(server, temperature=0.0).describe()
    assert info.revision == f"tiny (root {server.model_dir})"
    assert info.params["url"] == server.url and info.params["model"] == "tiny"
    assert info.params["max_tokens"] == MAX_TOKENS and info.params["temperature"] == 0.0
    assert info.params["prompt_sha256"] and server.requests["/v1/models"] == 1


def test_same_prompts_as_llm_backend(server, corpora, tiny_chat_model):
    segments = corpus_segments(corpora)
    served = openai_system(server).translate(segments)
    local = build_system(f"llm:{tiny_chat_model}", max_new_tokens=MAX_TOKENS, batch_size=1).translate(segments)
    assert served == local
    assert server.chat_requests == len(segments)
    for body in server.bodies:
        assert body["model"] == "tiny" and body["temperature"] == 0.0 and body["max_tokens"] == MAX_TOKENS
    asked = sorted(body["messages"][-1]["content"].rsplit("\n\n", 1)[1] for body in server.bodies)
    assert asked == sorted(s.source for s in segments)


def test_concurrency_is_bounded(server, corpora):
    server.delay = 0.5
    segments = corpus_segments(corpora)
    openai_system(server, concurrency=2).translate(segments)
    assert server.max_in_flight == 2


def test_server_error_is_retried(server, corpora):
    server.fail_500 = 1
    segments = corpus_segments(corpora)[:2]
    assert len(openai_system(server, concurrency=1).translate(segments)) == 2
    assert server.chat_requests == 3


def test_exhausted_retries_is_one_line(server, corpora):
    server.fail_500 = 100
    with pytest.raises(InputError) as caught:
        openai_system(server, max_retries=2).translate(corpus_segments(corpora)[:1])
    message = str(caught.value)
    assert f"{server.url}/chat/completions" in message and "giving up after 3 attempts: HTTP 500" in message
    assert "\n" not in message and server.chat_requests == 3


def test_malformed_reply_and_client_errors_are_not_retried(server, corpora):
    segment = corpus_segments(corpora)[:1]
    server.malformed = 1
    with pytest.raises(InputError, match="malformed response .*not JSON"):
        openai_system(server, max_retries=3).translate(segment)
    assert server.chat_requests == 1
    with pytest.raises(InputError) as caught:
        build_system(f"openai:{server.url}#no-such-model", backoff=0.0).translate(segment)
    assert "HTTP 404" in str(caught.value) and server.url in str(caught.value)


def test_connection_refused_names_the_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    system = build_system(f"openai:http://127.0.0.1:{port}/v1#tiny")
    with pytest.raises(InputError) as caught:
        system.describe()
    assert f"http://127.0.0.1:{port}/v1" in str(caught.value) and "cannot connect" in str(caught.value)


def test_context_turns_are_sent(server, corpora):
    segments = corpus_segments(corpora)
    doc = [s for s in segments if (s.corpus, s.doc_id) == (segments[0].corpus, segments[0].doc_id)]
    system = openai_system(server, context=1)
    first, second = system.translate(doc, TranslationContext(segments))
    later = server.bodies[-1]["messages"]
    assert [m["role"] for m in later] == ["system", "user", "assistant", "user"]
    assert later[2]["content"] == first and later[-1]["content"].endswith(doc[1].source)


def test_rejected_key_is_scrubbed_from_errors(server, corpora, monkeypatch, caplog, capsys):
    key = f"sk-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("MTEVAL_TEST_OPENAI_KEY", key)
    server.reject_key = True
    system = openai_system(server, api_key_env="MTEVAL_TEST_OPENAI_KEY")
    with pytest.raises(InputError) as caught:
        system.translate(corpus_segments(corpora)[:1])
    assert server.authorizations == [f"Bearer {key}"]  # the key was sent ...
    message = str(caught.value)
    assert "HTTP 401" in message and "***" in message and "MTEVAL_TEST_OPENAI_KEY" in message
    captured = capsys.readouterr()
    for text in (message, repr(system.__dict__), repr(system.describe().to_json()), caplog.text,
                 captured.out, captured.err):
        assert key not in text  # ... and appears nowhere else


def test_no_key_no_authorization_header(server, corpora, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    openai_system(server).translate(corpus_segments(corpora)[:1])
    assert server.authorizations == [None]


# --- end to end through `mteval run` -----------------------------------------------------------


def test_mteval_run_end_to_end_and_the_key_never_leaks(server, corpora, tmp_path):
    key = f"sk-test-{uuid.uuid4().hex}"
    env = dict(os.environ, MTEVAL_TEST_OPENAI_KEY=key)
    suite = suite_for(tmp_path, corpora, server, api_key_env="MTEVAL_TEST_OPENAI_KEY")
    db = tmp_path / "store" / "results.db"
    db.parent.mkdir()
    done = mteval("run", str(suite), "--format", "json", db=db, env=env)
    assert done.returncode == 0, done.stderr
    n = len(corpus_segments(corpora))
    rows = translations(db)
    assert len(rows) == n and {row[0] for row in rows} == {"served"}
    assert server.chat_requests == n and set(server.authorizations) == {f"Bearer {key}"}
    ((revision, params),) = query(db, "SELECT revision, params_json FROM systems")
    params = json.loads(params)
    assert revision == f"tiny (root {server.model_dir})"
    assert params["url"] == server.url and params["model"] == "tiny" and params["prompt_sha256"]
    shown = mteval("show", "latest", "--format", "json", db=db, env=env)
    exported = mteval("export", "latest", "--out", str(tmp_path / "store" / "export.jsonl"), db=db, env=env)
    assert shown.returncode == 0 and exported.returncode == 0, exported.stderr
    for output in (done, shown, exported):
        assert key not in output.stdout and key not in output.stderr
    for path in (tmp_path / "store").iterdir():  # the database, its -wal/-shm files, exports
        assert key.encode() not in path.read_bytes(), path


def test_rate_limited_twice_then_served(server, corpora, tmp_path):
    server.fail_429 = 2
    db = tmp_path / "results.db"
    done = mteval("run", str(suite_for(tmp_path, corpora, server, concurrency=1)), db=db)
    assert done.returncode == 0, done.stderr
    n = len(corpus_segments(corpora))
    assert server.chat_requests == n + 2  # two refused, then every segment once
    assert len(translations(db)) == n


def test_hanging_server_fails_clearly_and_nothing_is_stored_twice(server, corpora, tmp_path):
    n = len(corpus_segments(corpora))
    suite = suite_for(tmp_path, corpora, server, batch_size=2, timeout=1.0, max_retries=1, backoff=0.0,
                      concurrency=2)
    db = tmp_path / "results.db"
    server.hang_from = 2  # the first batch (2 segments) is answered, then the server hangs
    started = time.monotonic()
    failed = mteval("run", str(suite), db=db)
    assert failed.returncode == 2, failed.stderr
    assert time.monotonic() - started < 60
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in failed.stderr
    assert f"{server.url}/chat/completions" in errors[0]
    assert "giving up after 2 attempts: no answer within 1 s" in errors[0]
    first = translations(db)
    assert len(first) == 2  # the batch that was answered was committed
    assert query(db, "SELECT status FROM runs") == [("failed",)]

    server.recover()
    before = server.chat_requests
    again = mteval("run", str(suite), db=db)
    assert again.returncode == 0, again.stderr
    assert f"translated {n - 2} segments (2 cached)" in again.stderr
    assert server.chat_requests - before == n - 2  # nothing translated twice
    second = translations(db, run_id=2)
    assert len(second) == n and len({(corpus, seg_id) for _, corpus, seg_id, _ in second}) == n
    assert second[:2] == first
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT key) FROM translation_cache") == [(n, n)]
    assert query(db, "SELECT status FROM runs ORDER BY id") == [("failed",), ("done",)]
