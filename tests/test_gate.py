"""The CI gate end to end: `mteval check` on the seed corpus with controlled outputs (file: systems).

One module-scoped store holds a run of the `gloss` baseline's outputs and variants of them, served
from files: identical, words dropped from 30% of the segments, noise under the tolerance, one
segment left untranslated. A second run scores BLEU with the `zh` tokenizer (another signature).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.errors import InputError, UsageError
from tests.conftest import CORPORA, REPO, Quiet

CORPUS = "paired.zh-Hans"




@dataclass
class GateEnv:
    folder: Path
    db: Path
    run: int
    zh_run: int
    baseline: Path
    dropped: set[str]
    untranslated: str
    noisy: set[str]


def _write_system(path: Path, segments, hyps) -> str:
    path.write_text("".join(json.dumps({"corpus": s.corpus, "seg_id": s.seg_id, "hypothesis": h},
                                       ensure_ascii=False) + "\n" for s, h in zip(segments, hyps)), "utf-8")
    return f"file:{path}"


def _run(db: Path, suite_text: str, folder: Path, name: str) -> int:
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    path = folder / f"{name}.yaml"
    path.write_text(suite_text, encoding="utf-8")
    with open_store(str(db)) as store:
        return Runner(store, progress=Quiet()).run(load_suite(path)).run_id


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> GateEnv:
    from evals.compare.baseline import save_baseline
    from evals.corpora.loaders import load_segments
    from evals.store import open_store
    from evals.systems.registry import build_system

    folder = tmp_path_factory.mktemp("gate")
    segments = load_segments(str(CORPORA / f"{CORPUS}.jsonl"))
    gloss = build_system("gloss").translate(segments)
    rng = random.Random(30)
    dropped_idx = set(rng.sample(range(len(segments)), round(0.3 * len(segments))))
    dropped = [" ".join(h.split()[: len(h.split()) // 2]) if i in dropped_idx else h for i, h in enumerate(gloss)]
    noisy_idx = {10, 30, 60, 80}  # the last word dropped in four segments
    noisy = [" ".join(h.split()[:-1]) if i in noisy_idx else h for i, h in enumerate(gloss)]
    untranslated_idx = 12
    untranslated = [s.source if i == untranslated_idx else h for i, (s, h) in enumerate(zip(segments, gloss))]

    systems = {name: _write_system(folder / f"{name}.jsonl", segments, hyps) for name, hyps in
               (("gloss", gloss), ("same", list(gloss)), ("dropped", dropped), ("noisy", noisy),
                ("untranslated", untranslated))}
    system_lines = "\n".join(f"  - {{spec: {json.dumps(spec)}, name: {name}}}" for name, spec in systems.items())
    db = folder / "mteval.db"
    corpus = json.dumps(str(CORPORA / f"{CORPUS}.jsonl"))
    run = _run(db, f"name: gate\ncorpora: [{corpus}]\nsystems:\n{system_lines}\n"
                   "metrics: [bleu, chrf, chrf++]\n", folder, "gate")
    zh_run = _run(db, f"name: gate-zh\ncorpora: [{corpus}]\nsystems:\n  - {{spec: {json.dumps(systems['gloss'])}, "
                      "name: gloss}\nmetrics:\n  - {name: bleu, options: {tokenize: zh}}\n", folder, "gate-zh")
    baseline = folder / "baselines" / "main.json"
    with open_store(str(db)) as store:
        save_baseline(store, run, "gloss", baseline)
    return GateEnv(folder, db, run, zh_run, baseline, {segments[i].seg_id for i in dropped_idx},
                   segments[untranslated_idx].seg_id, {segments[i].seg_id for i in noisy_idx})


def mteval(*args: str, db: Path) -> int:
    """Run the CLI in-process (as `mteval ...`) and return its exit code."""
    from evals.cli import main

    with pytest.raises(SystemExit) as done:
        main([*args, "--db", str(db)])
    return done.value.code


def check(env: GateEnv, system: str, **options):
    from evals.gate import check as gate_check

    options.setdefault("baseline", env.baseline)
    return gate_check(run=env.run, system=system, db=str(env.db), **options)


# ---- exit codes and what the report says ----------------------------------------------------------


def test_words_dropped_from_30_percent_of_segments_fail(env, tmp_path):
    """Through the real entry point: exit code, printed report, Markdown + step summary, JUnit, JSON."""
    summary = tmp_path / "step-summary.md"
    summary.write_text("previous step\n", encoding="utf-8")
    outputs = {kind: tmp_path / f"report.{kind}" for kind in ("md", "xml", "json")}
    done = subprocess.run(
        [sys.executable, "-m", "evals", "check", "--baseline", str(env.baseline), "--run", str(env.run),
         "--system", "dropped", "--markdown", str(outputs["md"]), "--junit", str(outputs["xml"]),
         "--json", str(outputs["json"]), "--db", str(env.db)],
        capture_output=True, text=True, cwd=REPO, env=os.environ | {"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert done.returncode == 1, done.stderr
    printed = done.stdout
    assert "FAIL" in printed and "regression" in printed
    report = json.loads(outputs["json"].read_text("utf-8"))
    assert report["passed"] is False and report["exit_code"] == 1
    failed = [m for m in report["metrics"] if m["status"] == "fail"]
    assert {m["metric"] for m in failed} >= {"chrf", "chrf++"}
    for m in failed:
        assert m["drop"] > m["tolerance"] and m["p_adjusted"] < m["alpha"]
        named = [s["seg_id"] for s in m["segments"]]
        assert len(named) == 5 and set(named) <= env.dropped  # the segments responsible
        assert all(s["scores"][m["metric"]]["delta"] < 0 for s in m["segments"])
        assert named[0] in printed
    markdown = outputs["md"].read_text("utf-8")
    assert "❌ regression" in markdown and failed[0]["segments"][0]["seg_id"] in markdown
    assert summary.read_text("utf-8") == "previous step\n" + markdown + "\n"
    assert ET.parse(outputs["xml"]).getroot().get("failures") == str(len(failed))
    assert "resampling segments (only 2 documents (< 10))" in report["notes"][-1]


def test_identical_outputs_pass(env, capsys):
    assert mteval("check", "--baseline", str(env.baseline), "--run", str(env.run), "--system", "same",
                  db=env.db) == 0
    printed = capsys.readouterr().out
    assert "PASS" in printed
    report = check(env, "same")
    assert report.passed and all(m.drop == 0 and m.p_adjusted == 1.0 for m in report.metrics)


def test_noise_under_the_tolerance_passes(env):
    report = check(env, "noisy")
    assert report.passed and report.exit_code == 0
    drops = {m.metric: m.drop for m in report.metrics}
    assert any(d > 0 for d in drops.values())  # it did get a little worse...
    assert all(d <= m.tolerance for m, d in zip(report.metrics, drops.values()))  # ...within tolerance


def test_a_newly_untranslated_segment_fails(env, tmp_path):
    report = check(env, "untranslated")
    assert not report.passed and report.exit_code == 1
    (flags,) = report.untranslated
    assert [s["seg_id"] for s in flags.newly] == [env.untranslated] and flags.failed
    assert "1 newly untranslated segment" in report.summary()
    xml = ET.fromstring(report.to_junit())
    failures = [c for c in xml.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["no segment newly untranslated"]
    assert env.untranslated in failures[0].find("failure").text


def test_signature_mismatch_is_an_input_error(env, tmp_path, capsys):
    edited = tmp_path / "zh.json"
    edited.write_text(env.baseline.read_text("utf-8").replace("tok:13a", "tok:zh"), "utf-8")
    assert mteval("check", "--baseline", str(edited), "--run", str(env.run), "--system", "same", db=env.db) == 2
    error = capsys.readouterr().err
    assert "signatures differ" in error and "tok: zh vs 13a" in error and "Traceback" not in error
    # BLEU with the 13a tokenizer against BLEU with the zh tokenizer, both stored runs.
    with pytest.raises(InputError, match="tok: zh vs 13a"):
        check(env, "gloss", baseline=None, baseline_run=f"{env.zh_run}:gloss", metrics=["bleu"])


def test_usage_errors_exit_2(env, capsys):
    assert mteval("check", "--run", str(env.run), "--system", "dropped", db=env.db) == 2
    assert mteval("check", "--baseline", str(env.folder / "missing.json"), "--run", str(env.run),
                  "--system", "dropped", db=env.db) == 2
    assert mteval("check", "--baseline-system", "gloss", "--run", str(env.run), "--system", "drop",
                  db=env.db) == 2
    err = capsys.readouterr().err
    assert "exactly one baseline" in err and "baseline file not found" in err and "did you mean 'dropped'" in err


# ---- baselines: runs, other systems, files ------------------------------------------------------------


def test_every_kind_of_baseline_gives_the_same_verdict(env):
    by_file = check(env, "dropped")
    by_run = check(env, "dropped", baseline=None, baseline_run=f"{env.run}:gloss")
    by_system = check(env, "dropped", baseline=None, baseline_system="gloss")
    for other in (by_run, by_system):
        assert [m.p_adjusted for m in other.metrics] == [m.p_adjusted for m in by_file.metrics]
        assert [m.failed for m in other.metrics] == [m.failed for m in by_file.metrics]


def test_baseline_file_holds_statistics_hashes_flags_and_cis(env):
    from evals.compare import load_run_system, text_hash
    from evals.store import open_store

    data = json.loads(env.baseline.read_text("utf-8"))
    assert data["format"] == "mteval-baseline" and data["system"]["name"] == "gloss"
    corpus = data["corpora"][CORPUS]
    assert len(corpus["segments"]) == 97
    first = corpus["segments"][0]
    assert set(first) == {"seg_id", "doc_id", "source_sha256", "reference_sha256", "flags", "hypothesis"}
    chrf = corpus["metrics"]["chrf"]
    assert chrf["signature"].startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0")
    assert chrf["details"]["n_resamples"] == 1000 and chrf["details"]["resampling"] == "segment"
    assert chrf["ci"][0] <= chrf["system"] <= chrf["ci"][1]
    assert len(chrf["segments"]) == 97 and len(chrf["segments"][0]["stats"]) == 18
    with open_store(str(env.db)) as store:
        side = load_run_system(store, env.run, "gloss")
    record = side.corpora[CORPUS].segments[first["seg_id"]]
    assert first["source_sha256"] == text_hash(record.source)
    assert [s["stats"] for s in chrf["segments"]] == side.corpora[CORPUS].metrics["chrf"].stats.tolist()
    umask = os.umask(0o022)
    os.umask(umask)
    assert env.baseline.stat().st_mode & 0o777 == 0o666 & ~umask  # a file to commit: the umask decides
    # One line per segment entry: diffs of a changed baseline stay readable.
    assert sum(1 for line in env.baseline.read_text("utf-8").splitlines() if '"seg_id"' in line) == 97 * (1 + 3)


def test_edited_statistics_are_caught(env, tmp_path):
    data = json.loads(env.baseline.read_text("utf-8"))
    data["corpora"][CORPUS]["metrics"]["bleu"]["segments"][0]["stats"][2] += 3
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data), "utf-8")
    with pytest.raises(InputError, match="statistics give"):
        check(env, "same", baseline=edited)


def test_misaligned_segments_are_named(env, tmp_path):
    data = json.loads(env.baseline.read_text("utf-8"))
    segment = data["corpora"][CORPUS]["segments"][7]
    segment["source_sha256"] = "0" * 64
    edited = tmp_path / "other-source.json"
    edited.write_text(json.dumps(data), "utf-8")
    with pytest.raises(InputError, match="different source") as error:
        check(env, "same", baseline=edited)
    assert segment["seg_id"] in str(error.value)


def test_same_system_is_not_a_comparison(env):
    with pytest.raises(UsageError, match="same system"):
        check(env, "gloss", baseline=None, baseline_run=f"{env.run}:gloss")


# ---- policy -----------------------------------------------------------------------------------------


def test_policy_tolerance_floors_and_correction(env, tmp_path):
    from evals.policy import parse_policy

    lenient = parse_policy("defaults: {tolerance: 10}\nmetrics: {}\n")
    assert check(env, "dropped", policy=lenient).passed  # significant, but within a 10-point tolerance
    floors = parse_policy("documents:\n  floors: {chrf: 42.5}\n")  # gloss: 41.5 and 43.9 chrF
    report = check(env, "noisy", policy=floors)
    below = [d for d in report.documents if d.failed]
    assert len(below) == 1 and report.exit_code == 1
    assert below[0].scores["chrf"][1] < 42.5 and "below the floor 42.5" in below[0].failures[0]
    raw = check(env, "dropped", policy=parse_policy("correction: none\n"))
    adjusted = check(env, "dropped")
    for r, a in zip(raw.metrics, adjusted.metrics):
        assert r.p_adjusted == r.analysis.p_value <= a.p_adjusted
    ar = check(env, "dropped", policy=parse_policy("test: randomization\nsamples: 500\n"))
    assert ar.metrics[0].analysis.randomization is not None and not ar.passed


def test_policy_errors_name_the_key(tmp_path):
    from evals.policy import load_policy, parse_policy

    with pytest.raises(InputError, match="did you mean 'tolerance'"):
        parse_policy("metrics:\n  bleu: {tolerence: 1}\n", "p.yaml")
    with pytest.raises(InputError, match="did you mean 'correction'"):
        parse_policy("corection: holm\n", "p.yaml")
    with pytest.raises(InputError, match="alpha"):
        parse_policy("defaults: {alpha: 2}\n", "p.yaml")
    with pytest.raises(InputError, match="not found"):
        load_policy(tmp_path / "none.yaml")
    default = load_policy()
    assert default.for_metric("ter").tolerance == 1.0 and default.correction == "holm"
    assert default.for_metric("comet:Unbabel/XCOMET-XL").tolerance == 0.01  # the comet rule
    assert default.for_metric("meteor").tolerance == 1.0  # unlisted metrics get the defaults


# ---- outputs ---------------------------------------------------------------------------------------------


def test_junit_has_one_case_per_metric_document_and_flag_check(env):
    report = check(env, "dropped")
    xml = ET.fromstring(report.to_junit())
    cases = list(xml.iter("testcase"))
    assert len(cases) == 3 + 2 + 1  # 3 metrics, 2 documents, 1 untranslated check
    assert xml.get("tests") == "6" and xml.get("failures") == str(sum(m.failed for m in report.metrics))
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert "chrf" in failed and "dropped by" in failed["chrf"].get("message")
    assert "segment " in failed["chrf"].text  # the responsible segments, with texts


def test_json_format_on_stdout(env, capsys):
    assert mteval("check", "--baseline", str(env.baseline), "--run", str(env.run), "--system", "noisy",
                  "--format", "json", db=env.db) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and len(report["metrics"]) == 3 and len(report["documents"]) == 2


def test_runner_attaches_cis_to_system_scores(env):
    from evals.store import open_store

    with open_store(str(env.db)) as store:
        frame = store.scores_df(env.run, level="system")
    for row in frame.itertuples():
        details = row.details
        assert details["n_resamples"] == 1000 and details["seed"] == 12345 and details["ci_level"] == 0.95
        assert details["resampling"] == "segment" and "only 2 documents" in details["resampling_reason"]
        low, high = details["ci"]
        assert low <= high


# ---- pytest plugin ------------------------------------------------------------------------------------


def test_pytest_plugin_fails_a_test_with_the_report(env, tmp_path, capsys):
    tests = tmp_path / "test_quality.py"
    tests.write_text(textwrap.dedent(f"""
        def test_same_passes(mteval_gate):
            report = mteval_gate.check(run={env.run}, system="same", baseline={str(env.baseline)!r})
            assert report.passed

        def test_dropped_fails(mteval_gate):
            mteval_gate.check(run={env.run}, system="dropped", baseline={str(env.baseline)!r})
    """), "utf-8")
    # In-process, as pytester does; "no:mteval" in case the entry point is installed too.
    code = pytest.main(["-q", "-p", "no:mteval", "-p", "evals.pytest_plugin", "-p", "no:cacheprovider",
                        "--rootdir", str(tmp_path), "--mteval-db", str(env.db), str(tests)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "1 failed, 1 passed" in out
    assert "FAIL: " in out and "segments with the largest chrf drops" in out
