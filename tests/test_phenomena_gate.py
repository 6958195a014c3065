"""A policy gating on number accuracy, through the real CLI on a real WMT22 system (issue 18, point 2).

Baseline: JDExploreAcademy's WMT22 output. Candidate: the same output with the numbers corrupted in 10%
of the segments *whose source contains a number item* (every digit of those hypotheses shifted by one,
so 24 becomes 35 and 2021 becomes 3132). The unchanged copy must pass, the corrupted one must fail, on a
policy entry for the `numbers` metric only; nothing in the gate knows that `numbers` is a phenomenon.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from tests import wmt22
from tests.conftest import REPO

BASELINE = "JDExploreAcademy"
SHARE = 0.10


def corrupt_digits(text: str) -> str:
    return "".join(str((int(ch) + 1) % 10) if ch.isdigit() else ch for ch in text)


def corrupted(sources: list[str], hyps: list[str], share: float = SHARE, seed: int = 18) -> tuple[list[str], list[int]]:
    """``hyps`` with every digit shifted in ``share`` of the segments whose source has a number item
    and whose hypothesis has a digit to corrupt."""
    from evals.phenomena import numbers

    eligible = [i for i, (s, h) in enumerate(zip(sources, hyps)) if numbers.items(s) and any(c.isdigit() for c in h)]
    with_numbers = [i for i, s in enumerate(sources) if numbers.items(s)]
    chosen = sorted(random.Random(seed).sample(eligible, round(share * len(with_numbers))))
    out = list(hyps)
    for i in chosen:
        out[i] = corrupt_digits(out[i])
    return out, chosen


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evals", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    wmt22.require_wmt22()
    folder = tmp_path_factory.mktemp("phenomena-gate")
    corpora = wmt22.write_corpora(folder, 1)
    base = wmt22.hypotheses(BASELINE)
    bad, chosen = corrupted(wmt22.lines("src.zh"), base)
    systems = {BASELINE: wmt22.write_system(folder / "base.jsonl", corpora, base),
               "same": wmt22.write_system(folder / "same.jsonl", corpora, list(base)),
               "corrupted": wmt22.write_system(folder / "bad.jsonl", corpora, bad)}
    suite = wmt22.write_suite(folder, "phen", corpora, systems, ["numbers"])
    db = folder / "mteval.db"
    proc = cli("run", str(suite), "--db", str(db), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    baseline = folder / "baseline.json"
    proc = cli("baseline", "save", f"latest:{BASELINE}", "--out", str(baseline), "--db", str(db))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    policy = folder / "policy.yaml"
    policy.write_text("metrics:\n  numbers: {tolerance: 1.0, alpha: 0.05}\n", encoding="utf-8")
    return {"db": db, "baseline": baseline, "policy": policy, "folder": folder, "chosen": chosen}


def _check(gate, system: str):
    out = gate["folder"] / f"{system}.json"
    proc = cli("check", "--db", str(gate["db"]), "--baseline", str(gate["baseline"]), "--system", system,
               "--policy", str(gate["policy"]), "--metric", "numbers", "--json", str(out))
    return proc, json.loads(out.read_text("utf-8"))


def test_corrupted_numbers_in_a_tenth_of_the_segments_fail_the_gate(gate):
    proc, report = _check(gate, "corrupted")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (entry,) = report["metrics"]
    assert entry["metric"] == "numbers" and entry["status"] == "fail"
    assert entry["drop"] > 5 and entry["p_adjusted"] < 0.05 and entry["delta_ci"][1] < 0
    assert "regression numbers" in proc.stdout
    print(f"numbers: {len(gate['chosen'])} segments corrupted; baseline {entry['baseline']:.2f}, "
          f"candidate {entry['candidate']:.2f}, drop {entry['drop']:.2f}, p_adj {entry['p_adjusted']:.4g}")


def test_the_unchanged_system_passes(gate):
    proc, report = _check(gate, "same")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(m["delta"] == 0 and m["status"] == "pass" for m in report["metrics"])
