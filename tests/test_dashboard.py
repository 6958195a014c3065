"""The dashboard's data (store → payloads), the static site writer and the read-only server.

The store is built by the real runner on a small slice of the seed corpora
(Simplified and Traditional halves with the same segment ids, plus a
monolingual corpus that mixes scripts) with ``file:`` systems, twice, so
payloads are checked against what the store and the report functions say.
Browser behaviour lives in ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from evals.dashboard.payloads import RunData, index_payload, run_fingerprint
from evals.dashboard.significance import segment_mean_cell, significance_payload
from evals.dashboard.urls import chunk_script
from evals.dashboard.site import MARKER, static_files, write_site
from evals.errors import InputError
from evals.store import open_store

XSS = "<img src=x onerror=alert(1)>"
SLICE = {"paired.zh-Hans": range(0, 24), "paired.zh-Hant": range(0, 24), "mono-zh": [*range(0, 5), *range(50, 55)]}


def _corpus_rows(repo: Path) -> dict[str, list[dict]]:
    rows = {}
    for corpus, wanted in SLICE.items():
        lines = (repo / "corpora" / f"{corpus}.jsonl").read_text(encoding="utf-8").splitlines()
        rows[corpus] = [json.loads(lines[i]) for i in wanted]
    return rows


def _hypotheses(rows: dict[str, list[dict]], kind: str) -> list[dict]:
    out = []
    for corpus, segments in rows.items():
        for i, s in enumerate(segments):
            reference = s["reference"] or s["source"]
            words = reference.split()
            if kind == "good":
                hyp = " ".join(w for j, w in enumerate(words) if j % 7 != 3)
            elif kind == "xss":
                hyp = " ".join(w for j, w in enumerate(words) if j % 3 != 1)
                if i == 1:
                    hyp = f"{XSS} {hyp}"
            else:  # "copy": the untranslated source
                hyp = s["source"]
            out.append({"seg_id": f"{corpus}/{s['seg_id']}", "hypothesis": hyp})
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory, repo):
    """A store with two runs (systems good+copy, then good+xss+copy) and its folder."""
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite
    from tests.conftest import Quiet

    folder = tmp_path_factory.mktemp("dash")
    rows = _corpus_rows(repo)
    corpora = []
    for corpus, segments in rows.items():
        path = folder / f"{corpus}.jsonl"
        path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in segments), encoding="utf-8")
        corpora.append(str(path))
    for kind in ("good", "xss", "copy"):
        (folder / f"{kind}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _hypotheses(rows, kind)), encoding="utf-8")
    db = folder / "store.db"
    for n, systems in enumerate((("good", "copy"), ("good", "xss", "copy")), start=1):
        suite_path = folder / f"suite{n}.yaml"
        suite_path.write_text(
            "name: small\ncorpora: [" + ", ".join(corpora) + "]\nsystems:\n"
            + "".join(f"  - {{spec: \"file:{folder / s}.jsonl\", name: {s}}}\n" for s in systems)
            + "metrics: [bleu, chrf, ter]\n", encoding="utf-8")
        with open_store(db) as store:
            Runner(store, progress=Quiet()).run(load_suite(suite_path))
    return folder, db


@pytest.fixture(scope="module")
def store(built):
    _, db = built
    handle = open_store(db, readonly=True)
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def run2(store):
    return RunData(store, 2)


@pytest.fixture(scope="module")
def payload(run2):
    return run2.run_payload()


def _decode(script: str) -> tuple[str, object]:
    match = re.fullmatch(r'MTEVAL\.receive\(("(?:[^"\\]|\\.)*"),(.*)\);\n', script, re.S)
    assert match, script[:200]
    return json.loads(match.group(1)), json.loads(match.group(2))


# ---- payloads ---------------------------------------------------------------------------------

def test_chunk_script_is_a_receive_call_with_plain_json():
    tricky = {"text": 'a "quote" \\ </script> \u2028 line', "value": 1.5}
    url, payload = _decode(chunk_script("data/x.js", tricky))
    assert url == "data/x.js" and payload == tricky
    with pytest.raises(ValueError):
        chunk_script("data/x.js", {"bad": float("nan")})


def test_index_lists_runs_newest_first_with_history_and_directions(store):
    index = index_payload(store)
    assert [r["id"] for r in index["runs"]] == [2, 1]
    assert index["runs"][0]["systems"] == ["good", "xss", "copy"]
    assert all(r["detailed"] for r in index["runs"])
    assert index["metrics"]["ter"]["higher_is_better"] is False
    assert index["metrics"]["bleu"]["higher_is_better"] is True
    columns = index["history_columns"]
    history = [dict(zip(columns, row)) for row in index["history"]]
    stored = store.scores_df(1, level="system")
    expected = {(r.system, r.corpus, r.metric): r.value for r in stored.itertuples()}
    got = {(h["system"], h["corpus"], h["metric"]): h["value"] for h in history if h["run"] == 1}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-4)
    with_ci = [h for h in history if h["ci"] is not None]
    assert with_ci, "the runner attaches bootstrap CIs to system scores"
    assert all(h["ci"][0] <= h["value"] <= h["ci"][1] for h in with_ci)
    assert [r["detailed"] for r in index_payload(store, detailed=[1])["runs"]] == [False, True]


def test_leaderboard_rows_match_the_store(store, payload):
    rows = {(r["system"], r["corpus"], r["metric"]): r for r in payload["leaderboard"]
            if r["level"] == "system" and r["script"] == ""}
    for corpus in ("paired.zh-Hans", "paired.zh-Hant"):
        table = store.leaderboard(2, level="system", corpus=corpus)
        for cell in table:
            system, metric = cell["system"], cell["metric"]
            assert rows[(system, corpus, metric)]["value"] == pytest.approx(cell["value"], abs=1e-4)
    details = store.scores_df(2, level="system", metric="chrf")
    for r in details.itertuples():
        ci = r.details.get("ci")
        assert rows[(r.system, r.corpus, "chrf")]["ci"] == pytest.approx(ci, abs=1e-4)
        assert rows[(r.system, r.corpus, "chrf")]["ci_info"]["resampling"] == r.details["resampling"]
    segment_means = {(r["system"], r["metric"]): r["value"]
                     for r in store.leaderboard(2, level="segment", corpus="paired.zh-Hans")}
    seg_rows = {(r["system"], r["metric"]): r["value"] for r in payload["leaderboard"]
                if r["level"] == "segment" and r["corpus"] == "paired.zh-Hans" and r["script"] == ""}
    assert seg_rows[("xss", "bleu")] == pytest.approx(segment_means[("xss", "bleu")], abs=1e-4)


def test_flags_per_corpus_and_script(store, payload):
    flags = {(f["system"], f["corpus"], f["script"]): f for f in payload["flags"]}
    for entry in store.flag_summary(2):
        mine = flags[(entry["system"], entry["corpus"], "")]
        assert mine["segments"] == entry["segments"] and mine["flags"] == entry["flags"]
    # mono-zh mixes scripts: its counts split by script and add up.
    hans, hant = flags[("copy", "mono-zh", "zh-Hans")], flags[("copy", "mono-zh", "zh-Hant")]
    assert hans["segments"] == hant["segments"] == 5
    assert hans["flags"].get("untranslated") == 5
    assert {c["name"]: c["scripts"] for c in payload["corpora"]}["mono-zh"] == {"zh-Hans": 5, "zh-Hant": 5}


def test_documents_match_the_report(store, payload):
    from evals.report import document_scores

    table = document_scores(store, 2)
    docs = {d["corpus"]: d for d in payload["documents"]}
    for row in table.itertuples(index=False):
        entry = docs[row.corpus]
        i = entry["docs"].index(row.doc_id)
        assert entry["values"]["bleu"][row.system][i] == pytest.approx(row.bleu, abs=1e-4)
    assert sum(docs["paired.zh-Hans"]["segments"]) == 24


def test_segment_and_system_chunks_are_aligned(store, run2):
    segs = run2.segments_payload()
    frame = store.translations_df(2)
    n = len(segs["id"])
    assert n == frame["segment_id"].nunique()
    assert len(segs["src"]) == len(segs["ref"]) == len(segs["corpus"]) == len(segs["doc"]) == n
    scores = store.scores_df(2, level="segment")
    for system in store.get_run(2)["systems"]:
        chunk = run2.system_payload(system["id"])
        assert len(chunk["hyp"]) == len(chunk["flags"]) == n
        mine = frame[frame["system"] == system["name"]]
        position = {sid: i for i, sid in enumerate(segs["sid"])}
        for row in mine.itertuples():
            i = position[row.segment_id]
            assert chunk["hyp"][i] == row.hypothesis
            assert segs["id"][i] == row.seg_id and segs["src"][i] == row.source
            decoded = [f for bit, f in enumerate(chunk["flag_names"]) if chunk["flags"][i] & (1 << bit)]
            assert sorted(decoded) == sorted(row.flags)
        for row in scores[(scores["system"] == system["name"]) & (scores["metric"] == "chrf")].itertuples():
            value = chunk["scores"]["chrf"][position[row.segment_id]]
            assert value == pytest.approx(row.value, abs=1e-4)
    with pytest.raises(KeyError):
        run2.system_payload(10_000)
    assert XSS in " ".join(h for h in run2.system_payload(
        next(s["id"] for s in store.get_run(2)["systems"] if s["name"] == "xss"))["hyp"] if h)


def test_significance_matches_paired_bootstrap(store, run2):
    from evals.compare import align, load_run_system
    from evals.stats import paired_bootstrap

    matrices = significance_payload(run2)["matrices"]
    matrix = next(m for m in matrices if m["corpus"] == "paired.zh-Hans" and m["metric"] == "bleu")
    assert matrix["systems"] == ["good", "xss", "copy"]
    assert all("paired bootstrap" in m for m in matrix["methods"])
    sides = {name: load_run_system(store, 2, name) for name in matrix["systems"]}
    for i, row in enumerate(matrix["systems"]):
        assert matrix["delta"][i][i] is None
        for j, col in enumerate(matrix["systems"]):
            if i == j:
                continue
            (pair,), _ = align(sides[col], sides[row], corpora=["paired.zh-Hans"], metrics=["bleu"])
            expected = paired_bootstrap(pair.metric, pair.baseline, pair.system, pair.doc_ids)
            assert matrix["delta"][i][j] == pytest.approx(expected.delta, abs=1e-4)
            assert matrix["p"][i][j] == pytest.approx(expected.p_value, abs=1e-6)
            assert matrix["delta_ci"][i][j] == pytest.approx(list(expected.delta_ci), abs=1e-4)
            assert matrix["p_holm"][i][j] >= matrix["p"][i][j]
            assert matrix["n"][i][j] == 24
    ter = next(m for m in matrices if m["corpus"] == "paired.zh-Hans" and m["metric"] == "ter")
    good, copy = ter["systems"].index("good"), ter["systems"].index("copy")
    assert ter["delta"][good][copy] < 0  # TER: the good system has fewer edits


def test_fallback_test_on_segment_scores_is_seeded_and_sane():
    rng = np.random.default_rng(0)
    a = rng.normal(50, 10, 200)
    same = segment_mean_cell(a, a.copy())
    assert same.p_value == 1.0 and same.delta == 0.0
    shifted = segment_mean_cell(a + 5, a)
    assert shifted.delta == pytest.approx(5.0) and shifted.p_value < 0.01
    assert segment_mean_cell(a + 5, a) == shifted
    noise = segment_mean_cell(a + rng.normal(0, 1, 200), a)
    assert noise.p_value > 0.05


def test_script_robustness_pairs_simplified_and_traditional(store, payload):
    (pair,) = payload["scripts"]
    assert (pair["hans"], pair["hant"]) == ("paired.zh-Hans", "paired.zh-Hant")
    by_system = {s["system"]: s for s in pair["systems"]}
    # file: systems give the same hypothesis for both scripts (same seg ids) ...
    assert by_system["good"]["identical"] == by_system["good"]["segments"] == 24
    bleu = by_system["good"]["metrics"]["bleu"]
    assert bleu["gap"] == pytest.approx(bleu["hant"] - bleu["hans"], abs=1e-3)
    # ... the copy system copies a different source text.
    assert by_system["copy"]["identical"] < 24
    table = {(r["system"], r["metric"]): r["value"] for r in store.leaderboard(2, level="system", corpus="paired.zh-Hant")}
    assert by_system["copy"]["metrics"]["chrf"]["hant"] == pytest.approx(table[("copy", "chrf")], abs=1e-4)


def test_provenance_carries_what_the_run_recorded(store, payload):
    info = store.get_run(2)
    prov = payload["provenance"]
    assert prov["git_commit"] == info["git_commit"]
    assert prov["package_versions"] == info["package_versions"]
    assert prov["corpus_hashes"] == info["corpus_hashes"]
    assert [s["revision"] for s in prov["systems"]] == [s["revision"] for s in info["systems"]]
    signatures = prov["signatures"]["bleu"]
    assert set(signatures) == {"paired.zh-Hans", "paired.zh-Hant"}
    assert "tok:13a" in signatures["paired.zh-Hans"]


def test_fingerprint_changes_when_the_run_changes(store):
    assert run_fingerprint(store, 2) == run_fingerprint(store, 2)
    assert run_fingerprint(store, 1) != run_fingerprint(store, 2)
    assert run_fingerprint(store, 99) is None


# ---- read-only store --------------------------------------------------------------------------

def test_readonly_store_refuses_missing_database(tmp_path):
    missing = tmp_path / "nope.db"
    with pytest.raises(InputError, match="no results database"):
        open_store(missing, readonly=True)
    assert not missing.exists()


def test_readonly_store_refuses_unmigrated_database(tmp_path):
    import sqlite3

    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with pytest.raises(InputError, match="the database is empty"):
        open_store(path, readonly=True)
    assert path.stat().st_size == 0  # a reader never makes it a store


# ---- static site ------------------------------------------------------------------------------

def test_site_has_app_data_and_no_other_hosts(built, store, tmp_path):
    out = tmp_path / "site"
    report = write_site(store, out)
    assert report.runs == [2, 1] and report.index == out / "index.html"
    assert (out / MARKER).exists() and (out / "assets" / "app.css").exists()
    assert _decode((out / "data" / "index.js").read_text(encoding="utf-8"))[0] == "data/index.js"
    url, run = _decode((out / "data" / "runs" / "2.js").read_text(encoding="utf-8"))
    assert url == "data/runs/2.js"
    segments = run["chunks"]["segments"]
    assert (out / segments).exists() and segments.startswith("data/segments/")
    for system in run["systems"]:
        assert _decode((out / system["chunk"]).read_text(encoding="utf-8"))[1]["name"] == system["name"]
    significance = _decode((out / run["chunks"]["significance"]).read_text(encoding="utf-8"))[1]
    assert significance["kind"] == "significance" and significance["matrices"]
    # Both runs cover the same segments: one shared chunk.
    assert len(list((out / "data" / "segments").iterdir())) == 1
    assert report.files == sum(1 for p in out.rglob("*") if p.is_file())
    # The app asks no other host for anything: no absolute URLs except the SVG namespace.
    for path, body in static_files():
        text = body.decode("utf-8")
        found = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'`)]*", text, re.I))
        assert found <= {"http://www.w3.org/2000/svg"}, (path, found)
        code = re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))  # comments may say it
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                      "fetch(", "XMLHttpRequest", "WebSocket", "javascript:"):
            assert risky not in code, (path, risky)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for src in re.findall(r'<script src="([^"]+)"', html):
        assert (out / src).is_file(), src


def test_site_selected_runs_and_rebuild(store, tmp_path):
    out = tmp_path / "site"
    write_site(store, out, runs=["1"])
    index = _decode((out / "data" / "index.js").read_text(encoding="utf-8"))[1]
    assert [(r["id"], r["detailed"]) for r in index["runs"]] == [(2, False), (1, True)]
    assert {r[0] for r in index["history"]} == {1, 2}  # history covers every run
    assert not (out / "data" / "runs" / "2.js").exists()
    (out / "data" / "stale.js").write_text("stale")
    write_site(store, out, runs=["latest"])
    assert (out / "data" / "runs" / "2.js").exists()
    assert not (out / "data" / "stale.js").exists() and not (out / "data" / "runs" / "1.js").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary folders left behind
    with pytest.raises(InputError, match="no run 7"):
        write_site(store, out, runs=[7])


def test_rebuild_reuses_runs_that_did_not_change(built, tmp_path):
    import sqlite3

    from evals.store import open_store

    _, db = built
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    out = tmp_path / "site"
    with open_store(copy, readonly=True) as handle:
        assert write_site(handle, out).reused == 0
        chunks = {p: p.read_bytes() for p in (out / "data" / "runs").rglob("*.js")}
        again = write_site(handle, out)
    assert again.reused == 2
    assert {p: p.read_bytes() for p in (out / "data" / "runs").rglob("*.js")} == chunks
    with open_store(copy) as writable:  # the run changes: its pages are rebuilt, the other run's reused
        writable.finish_run(1, "done", notes={"notices": ["re-checked"]})
    with open_store(copy, readonly=True) as handle:
        third = write_site(handle, out)
    assert third.reused == 1
    assert "re-checked" in (out / "data" / "runs" / "1.js").read_text(encoding="utf-8")


def test_a_failed_run_without_outputs_still_gets_pages(built, tmp_path):
    import sqlite3

    from evals.store import open_store

    _, db = built
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with open_store(copy) as writable:
        run_id = writable.create_run("broken", {"name": "broken"}, {"git_commit": None}, {}, [])
        writable.finish_run(run_id, "failed")
    with open_store(copy, readonly=True) as handle:
        write_site(handle, tmp_path / "site")
    index = _decode((tmp_path / "site" / "data" / "index.js").read_text(encoding="utf-8"))[1]
    assert index["runs"][0] | {"created_at": None, "finished_at": None} == {
        "id": run_id, "created_at": None, "finished_at": None, "status": "failed", "suite_name": "broken",
        "git_commit": None, "mteval_version": None, "translations": 0, "systems": [], "corpora": [],
        "detailed": True, "url": f"data/runs/{run_id}.js"}
    run = _decode((tmp_path / "site" / "data" / "runs" / f"{run_id}.js").read_text(encoding="utf-8"))[1]
    assert run["leaderboard"] == [] and run["systems"] == [] and run["provenance"]["status"] == "failed"


def test_site_refuses_to_replace_a_folder_it_did_not_write(store, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        write_site(store, out)
    assert (out / "notes.txt").read_text() == "keep me"


def test_cli_dashboard_writes_site_and_reports_bad_db(built, tmp_path):
    from click.testing import CliRunner

    from evals.cli import _register_commands, cli

    _register_commands()
    _, db = built
    result = CliRunner().invoke(cli, ["dashboard", "--db", str(db), "--out", str(tmp_path / "s"), "--run", "1"])
    assert result.exit_code == 0, result.output
    assert "index.html" in result.output and "runs 1" in result.output
    assert (tmp_path / "s" / "data" / "runs" / "1.js").exists()
    missing = CliRunner().invoke(cli, ["dashboard", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "t")])
    assert missing.exit_code != 0 and isinstance(missing.exception, InputError)
    assert not (tmp_path / "none.db").exists()


# ---- server -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(store):
    """One server for the module: payloads it builds are cached between tests, as in real use."""
    from evals.dashboard.server import make_server

    srv = make_server(store, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def _request(port: int, method: str, path: str, host: str | None = None, body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host} if host else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), payload


def test_server_serves_app_and_live_data(server, store):
    status, headers, body = _request(server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"mteval" in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, headers, body = _request(server, "GET", "/data/index.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    url, index = _decode(body.decode("utf-8"))
    assert url == "data/index.js" and index["mode"] == "live" and [r["id"] for r in index["runs"]] == [2, 1]
    status, _, body = _request(server, "GET", "/data/runs/2.js")
    assert status == 200 and _decode(body.decode("utf-8"))[1]["run"]["id"] == 2
    system_id = store.get_run(2)["systems"][0]["id"]
    for path in ("/data/runs/2/segments.js", f"/data/runs/2/system-{system_id}.js", "/assets/js/core.js",
                 "/data/runs/1/significance.js"):
        assert _request(server, "GET", path)[0] == 200, path
    status, headers, body = _request(server, "HEAD", "/data/runs/2.js")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_server_is_read_only(server, method):
    status, headers, _ = _request(server, method, "/data/index.js", body=b"{}")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", [
    "/../pyproject.toml", "/assets/../../pyproject.toml", "/assets/%2e%2e/%2e%2e/evals/dashboard/payloads.py",
    "/data/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/js/..%2f..%2fapp.css", "/etc/passwd",
    "/data/runs/99.js", "/data/runs/2/system-99999.js", "/data/runs/2/../1.js", "/assets/..\\..\\x",
    "/evals/dashboard/static/index.html", "/data/segments/0000.js",
])
def test_server_path_traversal_and_unknown_paths_are_404(server, path):
    assert _request(server, "GET", path)[0] == 404


def test_server_refuses_foreign_host_headers(server):
    assert _request(server, "GET", "/", host="evil.example:80")[0] == 403
    assert _request(server, "GET", "/", host=f"localhost:{server}")[0] == 200


def test_server_does_not_write_to_the_store(built, tmp_path):
    from evals.dashboard.server import make_server

    _, db = built
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    handle = open_store(db, readonly=True)
    srv = make_server(handle, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        port = srv.server_address[1]
        for path in ("/data/index.js", "/data/runs/1.js", "/data/runs/2/segments.js"):
            assert _request(port, "GET", path)[0] == 200
        assert _request(port, "POST", "/data/runs/1.js", body=b"x")[0] == 405
    finally:
        srv.shutdown()
        srv.server_close()
        handle.close()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_the_analysis_chunk_compares_every_system_or_says_why_not(store, run2, monkeypatch):
    """Run 2's systems against its best on each scored corpus; a run too big for a build gets one line instead."""
    from evals.dashboard import analysis
    from evals.dashboard.payloads import translation_count

    report = analysis.analysis_payload(store, run2.run_id)
    assert "unavailable" not in report and len(report["systems"]) == 3
    assert "mono-zh" not in report["corpora"] and "paired.zh-Hans" in report["corpora"]  # no scores, no analysis
    assert run2.run_payload()["chunks"]["analysis"] == f"data/runs/{run2.run_id}/analysis.js"
    count = translation_count(store, run2.run_id)
    monkeypatch.setattr(analysis, "MAX_TRANSLATIONS", count - 1)
    refused = analysis.analysis_payload(store, run2.run_id)
    assert refused["unavailable"].startswith(f"{count:,} translations") and "mteval analyze" in refused["unavailable"]
