"""`mteval meta`: the agreement of a run's metrics with WMT22's human DA scores, checked independently.

The run is the WMT22 zh→en test set scored against reference A with the 12 shared systems plus
reference B as the system ``HUMAN-B`` (as WMT's human evaluation has it); the humans are WMT's DA
(``ad-seg-scores``/``ad-sys-scores``) imported with ``mteval human import``. Every system-level value
is recomputed here from the raw files with sacrebleu and scipy (Pearson, Kendall τ-b) and with a
brute-force pairwise accuracy; nothing in the check goes through mteval's statistics.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import wmt22
from tests.conftest import REPO

HUMAN = "wmt22-da"


def mteval(db: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evals", *args, "--db", str(db)], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = wmt22.require_wmt22()
    folder = tmp_path_factory.mktemp("meta-wmt22")
    db, run_id = wmt22.twelve_systems_run(folder, ("bleu", "chrf", "ter"), human_b=True)
    done = mteval(db, "human", "import", str(data / "ad-seg-scores-zh-en.csv"), "--format", "wmt-da",
                  "--name", HUMAN, "--run", str(run_id))
    assert done.returncode == 0, done.stderr
    return db, run_id, folder


@pytest.fixture(scope="module")
def report(run):
    db, run_id, _ = run
    done = mteval(db, "meta", str(run_id), "--human", HUMAN, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def official_z() -> dict[str, float]:
    rows = (wmt22.require_wmt22() / "ad-sys-scores-zh-en.csv").read_text("utf-8").splitlines()[1:]
    return {fields[3].rsplit(".", 1)[0]: float(fields[1]) for fields in (r.split() for r in rows)}


#: Systems whose stored corpus scores are checked against sacrebleu here (every WMT22 system's are in
#: tests/test_lexical_fast.py; sacrebleu's pure-Python chrF takes seconds a system).
SPOT_CHECKED = ("JDExploreAcademy", "HUMAN-B")


def sacrebleu_score(metric: str, system: str) -> float:
    import sacrebleu

    hyps = wmt22.lines("ref.B.en") if system == "HUMAN-B" else wmt22.hypotheses(system)
    score = {"bleu": sacrebleu.corpus_bleu, "chrf": sacrebleu.corpus_chrf}[metric]
    return score(hyps, [wmt22.lines("ref.A.en")]).score


def brute_pairwise_accuracy(metric: dict[str, float], human: dict[str, float]) -> float:
    def sign(x: float) -> int:
        return (x > 0) - (x < 0)

    pairs = list(itertools.combinations(sorted(human), 2))
    return sum(sign(metric[a] - metric[b]) == sign(human[a] - human[b]) for a, b in pairs) / len(pairs)


def test_thirteen_systems_are_judged_and_the_human_system_scores_are_wmts(report):
    assert len(report["systems"]) == 13 and "HUMAN-B" in report["systems"]
    z = official_z()
    assert set(report["human_system_scores"]) == set(z)
    for name, value in report["human_system_scores"].items():
        assert value == pytest.approx(z[name], abs=1e-12), name
    assert report["items"] == 1875 and report["judged_items"] <= 1875


@pytest.mark.parametrize("metric", ["bleu", "chrf", "ter"])
def test_system_level_agreement_equals_scipy_and_brute_force(report, metric):
    from scipy import stats

    mine = next(m for m in report["metrics"] if m["metric"] == metric)
    scores = mine["system_scores"]
    assert mine["higher_is_better"] == (metric != "ter")
    if metric != "ter":  # sacrebleu's TER is pure Python (minutes); tests/test_ter_compiled.py has its parity
        for name in SPOT_CHECKED:
            assert scores[name] == pytest.approx(sacrebleu_score(metric, name), abs=1e-9), (metric, name)
    z = official_z()
    names = sorted(z)
    sign = -1.0 if metric == "ter" else 1.0  # TER is lower-is-better: oriented before correlating
    x, y = [sign * scores[n] for n in names], [z[n] for n in names]
    level = mine["statistics"]
    assert level["pearson"]["value"] == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-9)
    assert level["kendall"]["value"] == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-9)
    assert level["pairwise_accuracy"]["value"] == pytest.approx(
        brute_pairwise_accuracy(dict(zip(names, x)), dict(zip(names, y))), abs=1e-12)
    for statistic in level.values():
        if statistic["low"] is not None:
            assert statistic["low"] <= statistic["value"] <= statistic["high"], statistic
    discordant = mine["system_level"]["discordant"]
    n_pairs = mine["system_level"]["n_pairs"]
    assert n_pairs == 78
    assert mine["system_level"]["n_agreeing"] + len(discordant) + len(mine["system_level"]["tie_disagreements"]) \
        == n_pairs


def test_bleu_orders_dlut_and_niutrans_against_the_humans(report):
    """The issue's example: BLEU puts DLUT 11th of 12 but the humans 6th; such pairs are listed."""
    bleu = next(m for m in report["metrics"] if m["metric"] == "bleu")
    reversed_pairs = {(p["better"], p["worse"]) for p in bleu["system_level"]["discordant"]}
    assert any("DLUT" in pair for pair in reversed_pairs)
    assert any("NiuTrans" in pair for pair in reversed_pairs)


def test_every_metric_is_compared_with_the_best_and_a_gate_set_is_recommended(report):
    names = {m["metric"] for m in report["metrics"]}
    assert names == {"bleu", "chrf", "ter"}
    recommended = report["recommended"]["metrics"]
    assert recommended and set(recommended) <= names
    by_pairwise = [c for c in report["comparisons"] if c["statistic"] == "pairwise_accuracy"]
    assert len(by_pairwise) == 2
    for c in report["comparisons"]:
        assert 0 < c["p_value"] <= 1


def test_table_and_markdown(run):
    db, run_id, _ = run
    table = mteval(db, "meta", str(run_id), "--human", HUMAN, "--metric", "bleu", "--metric", "chrf",
                   "--resamples", "100")
    assert table.returncode == 0, table.stderr
    assert "sys Pearson" in table.stdout and "bleu" in table.stdout and "gate on:" in table.stdout
    markdown = mteval(db, "meta", str(run_id), "--human", HUMAN, "--format", "markdown", "--resamples", "100")
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("### run ") and "| metric |" in markdown.stdout
    assert "orders" in markdown.stdout  # the discordant pairs


def test_the_recommendation_becomes_the_gates_metric_set(run, tmp_path):
    from evals.policy import load_policy

    db, run_id, folder = run
    policy = tmp_path / "policy.yaml"
    done = mteval(db, "meta", str(run_id), "--human", HUMAN, "--metric", "bleu", "--metric", "chrf", "--resamples",
                  "100", "--write-policy", str(policy))
    assert done.returncode == 0, done.stderr
    loaded = load_policy(policy)
    assert loaded.validated and set(loaded.validated) <= {"bleu", "chrf"}
    assert "wmt22-da" in loaded.validated_evidence
    # Rewriting keeps one validated block and everything else of the file.
    policy.write_text(policy.read_text("utf-8").replace("tolerance: 1.0\n  alpha: 0.05", "tolerance: 2.0\n  alpha: 0.05",
                                                        1), encoding="utf-8")
    again = mteval(db, "meta", str(run_id), "--human", HUMAN, "--metric", "chrf", "--resamples", "100",
                   "--write-policy", str(policy))
    assert again.returncode == 0, again.stderr
    text = policy.read_text("utf-8")
    assert text.count("\nvalidated:") == 1
    assert load_policy(policy).validated == ("chrf",)
    assert load_policy(policy).defaults.tolerance == 2.0
    # The gate then checks chrf only and says why.
    check = mteval(db, "check", "--run", str(run_id), "--system", "Online-W", "--baseline-system",
                   "JDExploreAcademy", "--policy", str(policy), "--format", "json")
    assert check.returncode == 1, check.stderr
    result = json.loads(check.stdout)
    assert {m["metric"] for m in result["metrics"]} == {"chrf"}
    assert any("validates" in n for n in result["notes"])


def test_bad_requests_are_one_line(run):
    db, run_id, _ = run
    for args, needle in (
        (["--human", "wmt22-dA"], "no human metric"),
        (["--human", HUMAN, "--corpus", "nope"], "no scores on corpus"),
        (["--human", HUMAN, "--metric", "comet"], "comet"),
    ):
        done = mteval(db, "meta", str(run_id), *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


def test_mqm_ted_run_from_its_own_text_gets_a_full_report(tmp_path):
    """TED MQM: `human extract` → `mteval run` (13 MT systems and both references) → import → meta."""
    mqm = REPO.parent / "shared" / "data" / "mqm-ted-zh-en" / "mqm_ted_zhen.tsv"
    if not mqm.is_file():
        pytest.skip(f"the shared MQM data is not here ({mqm.parent})")
    db, out = tmp_path / "mqm.db", tmp_path / "suite"
    steps = [
        ["human", "extract", str(mqm), "--format", "mqm", "--out", str(out)],
        ["run", str(out / "suite.yaml"), "-q"],
        ["human", "import", str(mqm), "--format", "mqm", "--name", "mqm"],
    ]
    for step in steps:
        done = mteval(db, *step) if step[0] != "human" or step[1] != "extract" else subprocess.run(
            [sys.executable, "-m", "evals", *step], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, (step, done.stderr)
    done = mteval(db, "meta", "latest", "--human", "mqm", "--format", "json", "--resamples", "200",
                  "--unit", "document")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["systems"]) == 15 and {"ref", "refB"} <= set(report["systems"])
    assert {m["metric"] for m in report["metrics"]} == {"bleu", "chrf"}
    for m in report["metrics"]:
        assert m["resampling"] == "document"
        for name, statistic in m["statistics"].items():
            assert statistic["value"] is not None and statistic["low"] is not None, (m["metric"], name)
        assert m["epsilon"] is not None
    # The references were scored against one reference, the MT systems against two: said, not hidden.
    assert any("different signatures" in w for w in report["warnings"])
    assert report["human"]["format"] == "mqm" and "weights" in report["human"]["signature"].lower()
