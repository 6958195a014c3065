"""`mteval compare --run RUN --clusters` on the 12 WMT22 zh→en systems: ranks with significance clusters.

With a fixed 1,000 resamples the 66 pairs of 12 systems could never be significant after Holm (every
adjusted p >= 66/1001 = 0.066); resamples fitted to the pairs separate the systems into several clusters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def run(wmt22_twelve_systems):
    return wmt22_twelve_systems  # shared by the session (tests/conftest.py): read-only, compare only reads


def _compare(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evals", "compare", "--db", str(db), *args], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_twelve_systems_separate_into_clusters(run):
    db, run_id = run
    done = _compare(db, "--run", str(run_id), "--clusters", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    matrices = {m["metric"]: m for m in result["matrices"]}
    assert set(matrices) == {"bleu", "chrf"}
    for m in matrices.values():
        assert len(m["ranking"]) == 12 and len(m["pairs"]) == 66
        assert m["clusters"] >= 3, [(r["system"], r["cluster"]) for r in m["ranking"]]
        assert "Holm" in m["correction"] and "66 pairs" in m["correction"]
        assert m["resolution"]["tests"] == 66 and m["resolution"]["n"] == 13199 and m["resolution"]["can_reject"]
        scores = [r["score"] for r in m["ranking"]]
        assert scores == sorted(scores, reverse=True)
        clusters = [r["cluster"] for r in m["ranking"]]
        assert clusters == sorted(clusters) and clusters[0] == 1
    bleu = matrices["bleu"]
    place = {r["system"]: r for r in bleu["ranking"]}
    assert place["JDExploreAcademy"]["cluster"] < place["Online-W"]["cluster"]
    pair = next(p for p in bleu["pairs"] if {p["system"], p["baseline"]} == {"JDExploreAcademy", "Online-W"})
    assert pair["p_holm"] < 0.05
    # Systems in one cluster: none is significantly worse than one ranked above it in the same cluster.
    holm = {frozenset((p["system"], p["baseline"])): p["p_holm"] for p in bleu["pairs"]}
    ranking = bleu["ranking"]
    for k, r in enumerate(ranking):
        for above in ranking[:k]:
            if above["cluster"] == r["cluster"]:
                assert holm[frozenset((above["system"], r["system"]))] >= 0.05


def test_the_cluster_table(run):
    db, run_id = run
    done = _compare(db, "--run", str(run_id), "--clusters", "--metric", "bleu")
    assert done.returncode == 0, done.stderr
    assert "clusters" in done.stdout and "JDExploreAcademy" in done.stdout and "Holm" in done.stdout
    assert "13,199 resamples" in done.stdout
    refused = _compare(db, "--run", str(run_id), "--clusters", "--baseline", "Online-W")
    assert refused.returncode == 2 and "--clusters" in refused.stderr
