"""Bootstrap intervals, paired tests and Holm: parity with sacrebleu's CLI and properties."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evals.errors import InputError
from evals.metrics import get_metric
from evals.metrics.base import Metric
from evals.stats import (
    bootstrap_ci,
    choose_resampling,
    holm,
    holm_reject,
    paired_bootstrap,
    paired_randomization,
)
from evals.stats.bootstrap import draw_units, pooled, resampled_scores, weights_from_draws
from tests.conftest import CORPORA


class MeanMetric(Metric):
    """A segment-mean metric (COMET-like): statistics ``[score, 1]``, system score = mean."""

    name = "mean"
    stats_dtype = np.float64

    @property
    def n_stats(self) -> int:
        return 2

    def signature(self) -> str:
        return "mean|test"

    def segment_stats(self, hyps, refs, *, sources=None):
        return np.array([[float(len(h)), 1.0] for h in hyps])

    def _score_pooled(self, pooled_row):
        return float(pooled_row[0] / pooled_row[1])

    def segment_score(self, stats_row):
        return float(stats_row[0] / stats_row[1])


def mean_stats(values) -> np.ndarray:
    return np.column_stack([np.asarray(values, dtype=np.float64), np.ones(len(values))])


# ---- parity with the sacrebleu command line -------------------------------------------------------


def _references() -> list[str]:
    rows = [json.loads(line) for line in (CORPORA / "paired.zh-Hans.jsonl").read_text("utf-8").splitlines()]
    # sacrebleu's CLI strips trailing whitespace from every line; use the texts it will see.
    return [" ".join(r["reference"].split()) for r in rows]


def _drop_words(texts: list[str], share: float, seed: int, keep: float) -> list[str]:
    rng = random.Random(seed)
    out = []
    for text in texts:
        words = text.split()
        if rng.random() < share and len(words) > 3:
            words = [w for i, w in enumerate(words) if rng.random() < keep or i == 0]
        out.append(" ".join(words))
    return out


def _mixed(base: list[str], refs: list[str], share: float, seed: int) -> list[str]:
    """Some segments better than ``base`` (the reference itself), as many worse (words dropped)."""
    rng = random.Random(seed)
    out = []
    for hyp, ref in zip(base, refs):
        draw = rng.random()
        if draw < share:
            out.append(ref)
        elif draw < 2 * share:
            out.append(" ".join(w for i, w in enumerate(hyp.split()) if i % 3 != 2))
        else:
            out.append(hyp)
    return out


@pytest.fixture(scope="module")
def parity_texts(tmp_path_factory):
    """A reference file and three systems: a degraded baseline, a mixed variant, a clearly worse one.

    The mixed variant differs in both directions, so its p-values land mid-range (around 0.1-0.3)
    where an off-by-one in the counting would show.
    """
    refs = _references()
    base = _drop_words(refs, share=0.6, seed=1, keep=0.7)
    slightly = _mixed(base, refs, share=0.1, seed=2)
    clearly = _drop_words(base, share=0.4, seed=3, keep=0.5)
    folder = tmp_path_factory.mktemp("parity")
    files = {}
    for name, lines in (("ref", refs), ("base", base), ("slightly", slightly), ("clearly", clearly)):
        files[name] = folder / f"{name}.txt"
        files[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files, {"ref": refs, "base": base, "slightly": slightly, "clearly": clearly}


def _sacrebleu(files, test: str, n: int, seed: int) -> list[dict]:
    flag, count = ("--paired-bs", "--paired-bs-n") if test == "bs" else ("--paired-ar", "--paired-ar-n")
    done = subprocess.run(
        [sys.executable, "-m", "sacrebleu", str(files["ref"]), "-i", str(files["base"]), str(files["slightly"]),
         str(files["clearly"]), "-m", "bleu", "chrf", flag, count, str(n), "-f", "json"],
        capture_output=True, text=True, env=os.environ | {"SACREBLEU_SEED": str(seed)}, check=True,
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def sacrebleu_runs(parity_texts):
    """sacrebleu's JSON output per (test, n, seed), each run once."""
    files, _ = parity_texts
    runs: dict[tuple[str, int, int], list[dict]] = {}

    def get(test: str, n: int, seed: int) -> list[dict]:
        if (test, n, seed) not in runs:
            runs[(test, n, seed)] = _sacrebleu(files, test, n, seed)
        return runs[(test, n, seed)]

    return get


@pytest.mark.parametrize("test,n,seed", [("bs", 1000, 12345), ("ar", 2000, 2024)])
def test_p_values_equal_sacrebleu_cli(parity_texts, sacrebleu_runs, test, n, seed):
    _, texts = parity_texts
    printed = sacrebleu_runs(test, n, seed)
    seen = []
    for name, key in (("bleu", "BLEU"), ("chrf", "chrF2")):
        metric = get_metric(name)
        base = metric.segment_stats(texts["base"], texts["ref"])
        for row, system in zip(printed[1:], ("slightly", "clearly")):
            stats = metric.segment_stats(texts[system], texts["ref"])
            if test == "bs":
                ours = paired_bootstrap(metric, base, stats, unit="segment", n_resamples=n, seed=seed)
                assert ours.system_mean == pytest.approx(row[key]["mean"], rel=1e-12, abs=1e-12)
            else:
                ours = paired_randomization(metric, base, stats, unit="segment", n_trials=n, seed=seed)
            assert ours.system == row[key]["score"]
            assert ours.p_value == row[key]["p_value"], (name, system)
            seen.append(ours.p_value)
    # The comparison is only meaningful if some p-values are away from the 1/(n+1) floor.
    assert sum(0.05 < p < 0.9 for p in seen) >= 2, seen


def test_bootstrap_interval_matches_sacrebleu_confidence(parity_texts, sacrebleu_runs):
    """Segment resampling with the same seed gives sacrebleu's bootstrap mean and 95% half-width."""
    _, texts = parity_texts
    baseline_row = sacrebleu_runs("bs", 1000, 12345)[0]
    for name, key in (("bleu", "BLEU"), ("chrf", "chrF2")):
        metric = get_metric(name)
        ci = bootstrap_ci(metric, metric.segment_stats(texts["base"], texts["ref"]), unit="segment")
        assert ci.mean == pytest.approx(baseline_row[key]["mean"], rel=1e-12)
        assert (ci.high - ci.low) / 2 == pytest.approx(baseline_row[key]["ci"], rel=1e-12)
        assert ci.low <= ci.score <= ci.high


# ---- resampling machinery ----------------------------------------------------------------------


def test_vectorised_resamples_equal_a_naive_loop():
    refs = _references()[:40]
    hyps = _drop_words(refs, 0.5, 4, 0.6)
    metric = get_metric("bleu")
    stats = metric.segment_stats(hyps, refs)
    resampling = choose_resampling(len(stats), unit="segment")
    draws = draw_units(np.random.default_rng(7), len(stats), 50)
    weights = weights_from_draws(draws, resampling)
    fast = pooled(weights, stats)
    slow = np.stack([stats[row].sum(axis=0) for row in draws])
    assert fast.dtype == np.int64 and np.array_equal(fast, slow)
    scores = resampled_scores(metric, stats, draws, resampling)
    assert scores == pytest.approx([metric.score_from_stats(row) for row in slow], abs=1e-4)


def test_auto_resampling_uses_documents_only_when_there_are_enough():
    few = choose_resampling(6, ["a", "a", "b", "b", "b", "c"])
    assert few.unit == "segment" and "only 3 documents" in few.reason
    docs = [f"d{i // 3}" for i in range(36)]  # 12 documents of 3 segments
    many = choose_resampling(36, docs)
    assert many.unit == "document" and many.n_units == 12 and "12 documents" in many.reason
    assert choose_resampling(36, docs, unit="segment").unit == "segment"
    assert choose_resampling(6, ["a", "a", "b", "b", "b", "c"], unit="document").unit == "document"
    with pytest.raises(InputError, match="at least 2 documents"):
        choose_resampling(3, ["a", "a", "a"], unit="document")
    with pytest.raises(InputError, match="did you mean"):
        choose_resampling(3, None, unit="segments")


def test_document_resampling_keeps_documents_whole():
    docs = [f"d{i // 4}" for i in range(40)]
    resampling = choose_resampling(40, docs)
    weights = weights_from_draws(draw_units(np.random.default_rng(1), resampling.n_units, 30), resampling)
    assert weights.sum(axis=1).tolist() == [40] * 30  # equal-sized documents: always 40 segments
    blocks = weights.reshape(30, 10, 4)
    assert (blocks == blocks[:, :, :1]).all()  # a document's segments are drawn together
    ci = bootstrap_ci(MeanMetric(), mean_stats(np.arange(40.0)), docs)
    assert ci.unit == "document" and ci.details()["resampling"] == "document"


def test_ci_details_record_how_they_were_made():
    ci = bootstrap_ci(MeanMetric(), mean_stats([1.0, 5.0, 2.0, 8.0, 3.0]), ["a"] * 5, seed=3, n_resamples=200)
    details = ci.details()
    assert details["seed"] == 3 and details["n_resamples"] == 200 and details["ci_level"] == 0.95
    assert details["resampling"] == "segment" and "only 1 document" in details["resampling_reason"]
    assert details["ci"] == [ci.low, ci.high]
    json.dumps(details, allow_nan=False)


# ---- properties ---------------------------------------------------------------------------------------

values_strategy = st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=5, max_size=60)
quick = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(values_strategy, st.integers(min_value=0, max_value=2**32 - 1))
def test_ci_contains_the_point_estimate(values, seed):
    if len(set(values)) < 2:
        return  # degenerate: every resample is the same corpus
    ci = bootstrap_ci(MeanMetric(), mean_stats(values), seed=seed, n_resamples=300)
    assert ci.low - 1e-9 <= ci.score <= ci.high + 1e-9


@quick
@given(values_strategy, values_strategy, st.integers(min_value=0, max_value=1000))
def test_p_values_are_probabilities(a, b, seed):
    n = min(len(a), len(b))
    base, system = mean_stats(a[:n]), mean_stats(b[:n])
    for result in (paired_bootstrap(MeanMetric(), base, system, seed=seed, n_resamples=200),
                   paired_randomization(MeanMetric(), base, system, seed=seed, n_trials=200)):
        assert 0.0 < result.p_value <= 1.0
        assert result.delta == pytest.approx(np.mean(b[:n]) - np.mean(a[:n]), abs=1e-9)


@quick
@given(values_strategy, st.integers(min_value=0, max_value=1000))
def test_identical_systems_are_never_significant(values, seed):
    stats = mean_stats(values)
    boot = paired_bootstrap(MeanMetric(), stats, stats.copy(), seed=seed, n_resamples=100)
    rand = paired_randomization(MeanMetric(), stats, stats.copy(), seed=seed, n_trials=100)
    assert boot.p_value == 1.0 and rand.p_value == 1.0
    assert boot.delta == 0 and boot.delta_ci == (0.0, 0.0)


@quick
@given(values_strategy, values_strategy, st.integers(min_value=0, max_value=2**32 - 1))
def test_seeded_results_are_deterministic(a, b, seed):
    n = min(len(a), len(b))
    base, system = mean_stats(a[:n]), mean_stats(b[:n])
    first = paired_bootstrap(MeanMetric(), base, system, seed=seed, n_resamples=100)
    again = paired_bootstrap(MeanMetric(), base, system, seed=seed, n_resamples=100)
    assert first == again
    assert bootstrap_ci(MeanMetric(), base, seed=seed, n_resamples=100) == bootstrap_ci(
        MeanMetric(), base, seed=seed, n_resamples=100)
    assert paired_randomization(MeanMetric(), base, system, seed=seed, n_trials=100) == paired_randomization(
        MeanMetric(), base, system, seed=seed, n_trials=100)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=30))
def test_holm_is_monotone_and_bounded(p_values):
    adjusted = holm(p_values)
    m = len(p_values)
    for p, q in zip(p_values, adjusted):
        assert p <= q <= 1.0 and q <= min(1.0, m * p) + 1e-15
    for i in range(m):
        for j in range(m):
            if p_values[i] <= p_values[j]:
                assert adjusted[i] <= adjusted[j]
    # Same decisions as the step-down procedure written out.
    for alpha in (0.01, 0.05, 0.2):
        order = sorted(range(m), key=lambda i: p_values[i])
        rejected = set()
        for rank, i in enumerate(order):
            if p_values[i] < alpha / (m - rank):
                rejected.add(i)
            else:
                break
        assert {i for i, r in enumerate(holm_reject(p_values, alpha)) if r} == rejected


def test_holm_known_values():
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([]) == []
    with pytest.raises(InputError):
        holm([1.5])


def test_significant_difference_on_real_statistics():
    refs = _references()
    metric = get_metric("chrf")
    base = metric.segment_stats(_drop_words(refs, 0.3, 5, 0.8), refs)
    worse = metric.segment_stats(_drop_words(refs, 0.9, 6, 0.4), refs)
    result = paired_bootstrap(metric, base, worse)
    assert result.delta < 0 and result.p_value < 0.01
    assert result.delta_ci[0] <= result.delta <= result.delta_ci[1] and result.delta_ci[1] < 0
    with pytest.raises(InputError, match="same segments"):
        paired_bootstrap(metric, base, worse[:-1])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_vectorised_chrf_is_bit_identical_to_sacrebleu(data):
    """The fast chrF path must equal sacrebleu's own scorer in every branch (zero counts included)."""
    from evals.stats.bootstrap import _chrf_scores, resample_scorer

    options = data.draw(st.sampled_from([{}, {"word_order": 2}, {"eps_smoothing": True}, {"beta": 1}]))
    metric = get_metric("chrf++" if options.get("word_order") else "chrf",
                        **{k: v for k, v in options.items() if k != "word_order"})
    n_rows = data.draw(st.integers(min_value=1, max_value=12))
    counts = st.integers(min_value=0, max_value=data.draw(st.sampled_from([3, 50, 10**6])))
    rows = np.array(data.draw(st.lists(st.lists(counts, min_size=metric.n_stats, max_size=metric.n_stats),
                                       min_size=n_rows, max_size=n_rows)), dtype=np.int64)
    rows[:, 2::3] = np.minimum(rows[:, 2::3], np.minimum(rows[:, 0::3], rows[:, 1::3]))  # matches <= counts
    for float32 in (True, False):
        fast = _chrf_scores(metric, rows, float32)
        slow = [resample_scorer(metric, float32)(row) for row in rows]
        assert fast.tolist() == slow


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_fast_bleu_and_ter_scoring_is_bit_identical_to_sacrebleu(data):
    from evals.stats.bootstrap import _fast_row_scorer, _ter_scores, resample_scorer

    n_rows = data.draw(st.integers(min_value=1, max_value=10))
    counts = st.integers(min_value=0, max_value=data.draw(st.sampled_from([4, 300, 10**6])))
    smooth = data.draw(st.sampled_from(["exp", "none", "floor"]))
    bleu = get_metric("bleu", smooth_method=smooth)
    rows = np.array(data.draw(st.lists(st.lists(counts, min_size=10, max_size=10), min_size=n_rows,
                                       max_size=n_rows)), dtype=np.int64)
    rows[:, 2:6] = np.minimum(rows[:, 2:6], rows[:, 6:10])  # matches <= n-grams
    ter = get_metric("ter")
    ter_rows = rows[:, :2].astype(np.float64)
    for float32 in (True, False):
        fast = _fast_row_scorer(bleu, rows, float32)
        exact = resample_scorer(bleu, float32)
        assert [fast(r) for r in rows] == [exact(r) for r in rows]
        exact_ter = resample_scorer(ter, float32)
        assert _ter_scores(ter_rows, float32).tolist() == [exact_ter(r) for r in ter_rows]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_vectorised_bleu_is_bit_identical_to_sacrebleu(data):
    """Every row, every smoothing sacrebleu's bootstrap can take this path with, effective order or not."""
    from evals.stats.bootstrap import _bleu_scores, resample_scorer

    n_rows = data.draw(st.integers(min_value=1, max_value=12))
    counts = st.integers(min_value=0, max_value=data.draw(st.sampled_from([4, 300, 10**6])))
    smooth = data.draw(st.sampled_from(["exp", "none", "floor"]))
    bleu = get_metric("bleu", smooth_method=smooth, effective_order=data.draw(st.booleans()))
    rows = np.array(data.draw(st.lists(st.lists(counts, min_size=10, max_size=10), min_size=n_rows,
                                       max_size=n_rows)), dtype=np.int64)
    rows[:, 2:6] = np.minimum(rows[:, 2:6], rows[:, 6:10])  # matches <= n-grams
    for float32 in (True, False):
        exact = resample_scorer(bleu, float32)
        assert _bleu_scores(bleu, rows, float32).tolist() == [exact(r) for r in rows]


def test_resamples_fit_the_number_of_tests():
    from evals.stats.resolution import MAX_RESAMPLES, fixed_resamples, resamples_for

    # Small families keep sacrebleu's 1,000 (and so its p-values).
    assert [resamples_for(m).n for m in (1, 2, 5)] == [1000, 1000, 1000]
    big = resamples_for(54)
    assert big.n == 10799 and big.smallest_adjusted_p <= 0.05 / 10 and big.can_reject
    assert resamples_for(54, 0.01).n == 53999
    capped = resamples_for(10**6)
    assert capped.capped and capped.n == MAX_RESAMPLES and "capped" in capped.describe()
    floor = fixed_resamples(1000, 54)
    assert not floor.can_reject and floor.smallest_adjusted_p == pytest.approx(54 / 1001)
    assert "nothing can be significant" in floor.describe()
    with pytest.raises(InputError):
        resamples_for(0)


def test_a_stratified_bootstrap_of_one_corpus_is_the_paired_bootstrap():
    from evals.stats import paired_bootstrap_stratified

    refs = _references()
    metric = get_metric("bleu")
    base = metric.segment_stats(_drop_words(refs, 0.3, 5, 0.8), refs)
    other = metric.segment_stats(_drop_words(refs, 0.35, 7, 0.8), refs)
    plain = paired_bootstrap(metric, base, other, n_resamples=500, seed=3)
    pooled_one = paired_bootstrap_stratified(metric, [(base, other, None)], n_resamples=500, seed=3)
    assert (pooled_one.p_value, pooled_one.delta_ci, pooled_one.baseline, pooled_one.system) == (
        plain.p_value, plain.delta_ci, plain.baseline, plain.system)
    assert pooled_one.unit == "stratified" and "1 corpora" in pooled_one.reason


def test_the_pooled_test_finds_a_consistent_drop_no_corpus_shows_alone():
    """Twelve small corpora, each a little worse: few or none significant alone, clearly so pooled."""
    from evals.stats import paired_bootstrap_stratified

    refs = _references()
    metric = get_metric("chrf")
    strata, alone = [], []
    for k in range(12):
        part = refs[k * 8:(k + 1) * 8]
        base = metric.segment_stats(_drop_words(part, 0.3, 100 + k, 0.8), part)
        worse = metric.segment_stats(_drop_words(part, 0.5, 200 + k, 0.8), part)
        strata.append((base, worse, None))
        alone.append(paired_bootstrap(metric, base, worse, n_resamples=2000).p_value)
    pooled_result = paired_bootstrap_stratified(metric, strata, n_resamples=2000)
    assert pooled_result.delta < 0 and pooled_result.delta_ci[1] < 0 and pooled_result.p_value < 0.01
    assert sum(p < 0.01 for p in alone) <= 3


def test_significance_clusters_follow_mt_metrics_eval():
    from evals.stats import significance_clusters

    names = ["a", "b", "c", "d", "e"]
    scores = [25.0, 30.0, 29.9, 20.0, 24.9]
    p = [[None] * 5 for _ in range(5)]

    def mark(x, y, value):
        p[names.index(x)][names.index(y)] = p[names.index(y)][names.index(x)] = value

    for x in names:
        for y in names:
            if x < y:
                mark(x, y, 0.5)
    for top in ("b", "c"):
        for low in ("a", "e", "d"):
            mark(top, low, 0.001)
    mark("a", "d", 0.001)
    mark("e", "d", 0.001)
    ranked = significance_clusters(names, scores, p)
    assert [(r.name, r.rank, r.cluster) for r in ranked] == [
        ("b", 1, 1), ("c", 2, 1), ("a", 3, 2), ("e", 4, 2), ("d", 5, 3)]
    # "any", not "every": c is worse than a only significantly, not than b: still a new cluster.
    chain = [[None, 0.2, 0.01], [0.2, None, 0.2], [0.01, 0.2, None]]
    assert [r.cluster for r in significance_clusters(["x", "y", "z"], [3.0, 2.0, 1.0], chain)] == [1, 1, 2]
    # Lower is better (TER): ordered ascending.
    assert [r.name for r in significance_clusters(["x", "y"], [50.0, 40.0], [[None, 0.5], [0.5, None]],
                                                  higher_is_better=False)] == ["y", "x"]
