"""Error spans (issue 18, point 3): xCOMET spans kept by the score cache, shown in the segment explorer
with their severity, and counted per system and severity on the leaderboards, beside MQM's.

The xCOMET model is the tiny random-weight ``XCOMETMetric`` of ``tests/tiny_comet.py`` (loaded by
``comet.load_from_checkpoint``, offline); the MQM spans are the TED MQM annotations of
``tests/test_dashboard_humans.py`` (its ``mqm_store`` fixture, reused).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

if importlib.util.find_spec("comet") is None or importlib.util.find_spec("torch") is None:
    pytest.skip("unbabel-comet and torch are not installed (pip install 'mteval-zh[comet]')",
                allow_module_level=True)

from evals.store.cache import cache_key  # noqa: E402
from evals.store.migrations import MIGRATIONS  # noqa: E402
from tests.conftest import REPO, Quiet  # noqa: E402
from tests.test_dashboard_humans import mqm_store  # noqa: E402,F401  (the TED MQM store, a fixture)
from tests.tiny_comet import build  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
SEGMENTS = 12


def _mteval(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evals", *args], cwd=REPO, check=True, capture_output=True,
                          text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "300"})


def _spans(scores, metric: str) -> dict[tuple[str, str], list]:
    """{(system, seg_id): error spans} of one metric's stored segment scores."""
    rows = scores[(scores.metric == metric) & (scores.level == "segment")]
    return {(system, seg): details.get("error_spans", [])
            for system, seg, details in zip(rows["system"], rows["seg_id"], rows["details"])}


@pytest.fixture(scope="module")
def xcomet_runs(tmp_path_factory):
    """Two systems scored by the tiny xCOMET twice: run 1 computes, run 2 takes every score from the cache."""
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    folder = tmp_path_factory.mktemp("spans")
    tiny = build(folder / "tiny")
    lines = (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text("utf-8").splitlines()[:SEGMENTS]
    (folder / "small.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    metric = f"comet:{tiny['xcomet'].parents[1]}"
    suite = folder / "suite.yaml"
    suite.write_text(f"name: spans\ncorpora: [{folder / 'small.jsonl'}]\nsystems: [copy, gloss]\n"
                     f"metrics: [{json.dumps(metric)}]\n", encoding="utf-8")
    db = f"sqlite:///{folder / 'mteval.db'}"
    with open_store(db) as store:
        first = Runner(store, progress=Quiet()).run(load_suite(suite))
        second = Runner(store, progress=Quiet(), reuse_runs=False).run(load_suite(suite))  # through the caches
        scores = {run.run_id: store.scores_df(run.run_id) for run in (first, second)}
    return {"db": db, "folder": folder, "metric": metric, "first": first, "second": second, "scores": scores}


def test_a_cached_rerun_stores_the_same_spans(xcomet_runs):
    first, second, metric = xcomet_runs["first"], xcomet_runs["second"], xcomet_runs["metric"]
    assert first.stats.scored == 2 * SEGMENTS and first.stats.scores_cached == 0
    assert second.stats.scored == 0 and second.stats.scores_cached == 2 * SEGMENTS  # the model scored nothing
    computed = _spans(xcomet_runs["scores"][first.run_id], metric)
    restored = _spans(xcomet_runs["scores"][second.run_id], metric)
    assert sum(map(len, computed.values())) > 0
    assert restored == computed
    for spans in computed.values():
        for span in spans:
            assert {"text", "start", "end", "severity", "confidence"} <= set(span)
            assert span["severity"] in ("minor", "major", "critical")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_cache_rows_from_before_migration_6_still_hit_without_details(backend, tmp_path, request):
    from evals.store import Store

    old, new = cache_key({"k": 1}), cache_key({"k": 2})
    db = str(tmp_path / "old.db") if backend == "sqlite" else request.getfixturevalue("new_pg_database")()
    with Store.open(db, migrations=MIGRATIONS[:5]) as store:
        store.score_cache.put_many([(old, "sig", 0.5, [0.5, 1.0, 0.0])])
    with Store.open(db) as store:
        spans = {"error_spans": [{"text": "a", "start": 0, "end": 1, "severity": "minor", "confidence": 0.5}]}
        store.score_cache.put_many([(new, "sig", 0.25, [0.25, 1.0, 0.0], spans)])
        got = store.score_cache.get_many([old, new])
    assert (got[old].stats, got[old].details) == ([0.5, 1.0, 0.0], None)
    assert (got[new].value, got[new].details) == (0.25, spans)


def _run_twice(db: str, suite: Path):
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    with open_store(db) as store:
        runs = [Runner(store, progress=Quiet(), reuse_runs=False).run(load_suite(suite)) for _ in range(2)]
        return runs, {run.run_id: store.scores_df(run.run_id) for run in runs}, store.error_span_counts(runs[1].run_id)


def test_on_postgresql_a_cached_rerun_stores_the_same_spans_and_counts(xcomet_runs, new_pg_database):
    """The same two runs on PostgreSQL: run 2 from the cache, its spans and counts those of SQLite's run 2."""
    from evals.store import open_store

    metric = xcomet_runs["metric"]
    (first, second), scores, counts = _run_twice(new_pg_database(), xcomet_runs["folder"] / "suite.yaml")
    assert second.stats.scored == 0 and second.stats.scores_cached == 2 * SEGMENTS
    assert _spans(scores[second.run_id], metric) == _spans(scores[first.run_id], metric) == \
        _spans(xcomet_runs["scores"][xcomet_runs["second"].run_id], metric)
    with open_store(xcomet_runs["db"], readonly=True) as store:
        assert counts == store.error_span_counts(xcomet_runs["second"].run_id)


def _expected_counts(scores, metric: str) -> Counter:
    counts: Counter = Counter()
    for (system, _), spans in _spans(scores, metric).items():
        counts.update((system, span["severity"]) for span in spans)
    return counts


def test_payloads_carry_spans_and_counts(xcomet_runs):
    from evals.dashboard.payloads import RunData
    from evals.store import open_store

    metric, run = xcomet_runs["metric"], xcomet_runs["second"].run_id
    scores = xcomet_runs["scores"][run]
    with open_store(xcomet_runs["db"], readonly=True) as store:
        data = RunData(store, run)
        payload = data.run_payload()
        segs = data.segments_payload()
        chunks = {s["name"]: data.system_payload(s["id"]) for s in payload["systems"]}
    stored = _spans(scores, metric)
    for name, chunk in chunks.items():
        cols, labels = chunk["errors"], chunk["error_labels"]
        shown = {}
        for k, i in enumerate(cols["seg"]):
            assert labels["human"][cols["human"][k]] == metric  # labelled with the metric's name
            shown.setdefault(segs["id"][i], []).append(
                (cols["start"][k], cols["end"][k], labels["severity"][cols["severity"][k]]))
        expected = {seg: [(s["start"], s["end"], s["severity"]) for s in spans]
                    for (system, seg), spans in stored.items() if system == name and spans}
        assert shown == expected
    counts = Counter()
    for row in payload["error_counts"]:
        assert (row["kind"], row["source"]) == ("metric", metric)
        counts[(row["system"], row["severity"])] += row["count"]
    assert counts == _expected_counts(scores, metric)


def test_cli_leaderboard_counts_spans(xcomet_runs):
    metric, run = xcomet_runs["metric"], xcomet_runs["second"].run_id
    shown = json.loads(_mteval("show", str(run), "--db", xcomet_runs["db"], "--format", "json").stdout)
    expected = _expected_counts(xcomet_runs["scores"][run], metric)
    rows = [r for r in shown if r["level"] == "system"]
    for row in rows:
        for severity in ("minor", "major", "critical"):
            assert row[f"{metric} {severity} spans"] == expected.get((row["system"], severity), 0)


def test_mqm_counts_equal_the_stored_errors(mqm_store):  # noqa: F811
    from evals.dashboard.payloads import RunData
    from evals.store import open_store

    with open_store(mqm_store["db"], readonly=True) as store:
        errors = store.human_errors(1, "mqm")
        rows = RunData(store, 1).run_payload()["error_counts"]
    expected = Counter(zip(errors["system"], errors["corpus"], errors["severity"].str.lower()))
    assert {(r["system"], r["corpus"], r["severity"]): r["count"] for r in rows} == dict(expected)
    assert {(r["kind"], r["source"]) for r in rows} == {("human", "mqm")}
    assert sum(expected.values()) > 500
    shown = json.loads(_mteval("show", "1", "--db", mqm_store["db"], "--format", "json").stdout)
    for row in (r for r in shown if r["level"] == "system"):
        assert row["mqm major spans"] == expected[(row["system"], row["corpus"], "major")]
        assert row["mqm minor spans"] == expected[(row["system"], row["corpus"], "minor")]


# ---- in the browser (Debian's Chromium, as tests/test_dashboard_humans.py starts it) ---------------

from tests.test_dashboard_humans import _no_errors_no_other_hosts, browser, watched  # noqa: E402,F401


@pytest.fixture(scope="module")
def xcomet_site(xcomet_runs):
    site = xcomet_runs["folder"] / "site"
    _mteval("dashboard", "--db", xcomet_runs["db"], "--out", str(site))
    return (site / "index.html").as_uri()


def test_explorer_marks_xcomet_spans_and_the_leaderboard_counts_them(xcomet_runs, xcomet_site, watched):  # noqa: F811
    metric, run = xcomet_runs["metric"], xcomet_runs["second"].run_id
    stored = _spans(xcomet_runs["scores"][run], metric)
    (system, seg_id), spans = max(((k, v) for k, v in stored.items()), key=lambda kv: len({s["severity"] for s in kv[1]}))
    (corpus,) = set(xcomet_runs["scores"][run]["corpus"])
    page = watched.page
    watched.open(f"{xcomet_site}#/segments?run={run}&corpus={corpus}&seg={seg_id}&systems={system}")
    block = page.locator(f"article.seg[data-seg-id='{seg_id}'] .hyp[data-system='{system}'] "
                         ".hyp-errors[data-kind='metric']")
    assert block.count() == 1
    assert block.get_attribute("data-source") == metric
    assert f"Error spans tagged by {metric} ({len(spans)})" in block.locator(".lbl").text_content()
    marks = block.locator("mark.err")
    severities = set(marks.evaluate_all("ms => ms.map(m => m.dataset.severity)"))
    assert severities == {s["severity"] for s in spans}
    for severity in severities:
        mark = block.locator(f"mark.err.sev-{severity}").first
        assert mark.get_attribute("title").startswith(f"{severity} · {metric}")
    colours = {s: block.locator(f"mark.err.sev-{s}").first.evaluate("m => getComputedStyle(m).backgroundColor")
               for s in severities}
    assert len(set(colours.values())) == len(colours), "each severity looks different"
    watched.shot("segments-xcomet-spans", full_page=False)

    watched.open(f"{xcomet_site}#/leaderboard?run={run}")
    headers = page.locator("table.leaderboard thead th").all_inner_texts()
    assert any(f"{metric} error spans" in h for h in headers)
    expected = _expected_counts(xcomet_runs["scores"][run], metric)
    for name in ("copy", "gloss"):
        row = page.locator(f"table.leaderboard tr[data-system='{name}'] .span-counts[data-source='{metric}']")
        for severity in ("minor", "major", "critical"):
            text = row.locator(f".span-count[data-severity='{severity}']").inner_text()
            assert text == f"{expected.get((name, severity), 0)} {severity}"
    watched.shot("leaderboard-xcomet-spans", full_page=False)
    _no_errors_no_other_hosts(watched)


def test_leaderboard_counts_mqm_errors(mqm_store, watched):  # noqa: F811
    from evals.store import open_store

    with open_store(mqm_store["db"], readonly=True) as store:
        errors = store.human_errors(1, "mqm")
    expected = Counter(zip(errors["system"], errors["severity"].str.lower()))
    watched.open(f"{mqm_store['url']}#/leaderboard?run=1")
    for name in ("NiuTrans", "Online-W"):
        row = watched.page.locator(f"table.leaderboard tr[data-system='{name}'] .span-counts[data-source='mqm']")
        assert row.locator(".span-count").all_inner_texts() == [
            f"{expected[(name, 'minor')]} minor", f"{expected[(name, 'major')]} major"]
    watched.shot("leaderboard-mqm-spans", full_page=False)
    _no_errors_no_other_hosts(watched)
