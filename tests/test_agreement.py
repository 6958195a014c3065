"""Meta-evaluation statistics (``evals.stats.agreement``, ``evals.stats.agreement_bootstrap``).

Pearson and Kendall are checked against scipy; pairwise accuracy, the
tie-calibrated acc_eq and the item-grouped τ against plain reference
implementations written here (loops over pairs and over every candidate ε),
on random inputs with ties and NaNs; then the bootstrap, the paired test, and
one check on the real WMT22 zh→en DA judgements against sentence chrF.
"""

from __future__ import annotations

import math
import warnings
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from evals.errors import InputError
from evals.stats.agreement import (
    item_kendall,
    segment_pairs,
    system_agreement,
    system_statistics_batch,
    tie_calibrated_accuracy,
)
from evals.stats.agreement_bootstrap import STATISTICS, bootstrap_agreement, compare_metrics

quick = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Scores on a grid of quarters: many exact ties, and sums/differences stay exact in floating point.
grid = st.integers(-8, 8).map(lambda k: k / 4)


@st.composite
def score_vectors(draw, min_size=2, max_size=9):
    n = draw(st.integers(min_size, max_size))
    metric = draw(st.lists(grid, min_size=n, max_size=n))
    human = draw(st.lists(grid, min_size=n, max_size=n))
    return np.array(metric), np.array(human)


@st.composite
def score_matrices(draw, max_systems=5, max_items=6, nan_share=0.25):
    n_systems = draw(st.integers(2, max_systems))
    n_items = draw(st.integers(1, max_items))
    size = n_systems * n_items

    def matrix(values):
        return np.array(values, dtype=np.float64).reshape(n_systems, n_items)

    metric = matrix(draw(st.lists(grid, min_size=size, max_size=size)))
    human = matrix(draw(st.lists(st.integers(-2, 2).map(float), min_size=size, max_size=size)))
    human_nan = matrix(draw(st.lists(st.floats(0, 1), min_size=size, max_size=size))) < nan_share
    metric_nan = matrix(draw(st.lists(st.floats(0, 1), min_size=size, max_size=size))) < nan_share / 3
    human[human_nan] = np.nan
    metric[metric_nan] = np.nan
    return metric, human


# --------------------------------------------------------------------------- reference implementations


def sign(x: float) -> int:
    return int(x > 0) - int(x < 0)


def reference_pairwise(metric, human):
    """Kocmi et al.: share of system pairs whose two deltas have the same sign, sign(0) = 0; reversed pairs."""
    agree, reversed_pairs = 0, set()
    pairs = list(combinations(range(len(metric)), 2))
    for a, b in pairs:
        dm, dh = metric[a] - metric[b], human[a] - human[b]
        if sign(dm) == sign(dh):
            agree += 1
        elif sign(dm) * sign(dh) < 0:
            better, worse = (a, b) if dh > 0 else (b, a)
            reversed_pairs.add((str(better), str(worse)))
    return agree / len(pairs), reversed_pairs


def reference_segment_pairs(metric, human):
    """Every (item, Δmetric, Δhuman) of two systems on the same item, both sides judged."""
    out = []
    n_systems, n_items = metric.shape
    for item in range(n_items):
        for a in range(n_systems):
            for b in range(a + 1, n_systems):
                values = (metric[a, item], metric[b, item], human[a, item], human[b, item])
                if any(math.isnan(v) for v in values):
                    continue
                out.append((item, metric[a, item] - metric[b, item], human[a, item] - human[b, item]))
    return out


def reference_acc_eq(metric, human, grouping):
    """acc_eq at every candidate ε ({0} ∪ every |Δmetric|), by looping over all pairs for each: {ε: accuracy}."""
    pairs = reference_segment_pairs(metric, human)
    if not pairs:
        return {}
    out = {}
    for epsilon in [0.0] + [abs(dm) for _, dm, _ in pairs]:
        per_item: dict[int, list[bool]] = {}
        for item, dm, dh in pairs:
            if dh == 0:
                correct = abs(dm) <= epsilon
            else:
                correct = abs(dm) > epsilon and sign(dm) == sign(dh)
            per_item.setdefault(item, []).append(correct)
        if grouping == "item":
            out[epsilon] = sum(sum(v) / len(v) for v in per_item.values()) / len(per_item)
        else:
            out[epsilon] = sum(sum(v) for v in per_item.values()) / sum(len(v) for v in per_item.values())
    return out


def scipy_item_kendall(metric, human):
    """scipy's τ-b per item over the systems judged on both sides; mean over the defined ones."""
    taus = []
    for item in range(metric.shape[1]):
        m, h = metric[:, item], human[:, item]
        keep = ~(np.isnan(m) | np.isnan(h))
        if keep.sum() < 2:
            taus.append(math.nan)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            taus.append(float(scipy_stats.kendalltau(m[keep], h[keep]).statistic))
    defined = [t for t in taus if not math.isnan(t)]
    return (sum(defined) / len(defined) if defined else math.nan), len(defined)


def same(a: float, b: float, tol: float = 0.0) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


# --------------------------------------------------------------------------- system level


@quick
@given(score_vectors())
def test_system_level_equals_scipy_and_the_reference(vectors):
    metric, human = vectors
    result = system_agreement(metric, human)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = float(scipy_stats.pearsonr(metric, human).statistic)
        kendall = float(scipy_stats.kendalltau(metric, human).statistic)
    assert same(result.pearson, pearson) and same(result.kendall, kendall)
    accuracy, reversed_pairs = reference_pairwise(metric, human)
    assert result.pairwise_accuracy == accuracy
    assert {(p.better, p.worse) for p in result.discordant} == reversed_pairs
    for p in result.discordant:
        assert p.human_delta > 0 > p.metric_delta
        assert p.human_delta == human[int(p.better)] - human[int(p.worse)]
        assert p.metric_delta == metric[int(p.better)] - metric[int(p.worse)]
    assert result.n_agreeing + len(result.discordant) + len(result.tie_disagreements) == result.n_pairs


@quick
@given(st.integers(2, 8), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_system_batch_equals_scipy_row_by_row(n_systems, n_rows, seed):
    rng = np.random.default_rng(seed)
    metric = rng.integers(0, 4, (n_rows, n_systems)) + rng.normal(size=(n_rows, n_systems)) * rng.integers(0, 2)
    human = rng.integers(0, 3, (n_rows, n_systems)).astype(float)
    valid = rng.random((n_rows, n_systems)) > 0.2
    batch = system_statistics_batch(metric, human, valid)
    for row in range(n_rows):
        keep = valid[row]
        if keep.sum() < 2:
            assert all(math.isnan(batch[k][row]) for k in batch)
            continue
        x, y = metric[row, keep], human[row, keep]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert same(batch["pearson"][row], float(scipy_stats.pearsonr(x, y).statistic), 1e-12)
            assert same(batch["kendall"][row], float(scipy_stats.kendalltau(x, y).statistic))
        assert batch["pairwise_accuracy"][row] == reference_pairwise(x, y)[0]


def test_system_names_missing_human_scores_are_excluded_and_reported():
    metric = {"A": 3.0, "B": 2.0, "C": 1.0, "D": 5.0, "E": 4.0}
    human = {"A": 0.3, "B": 0.1, "C": 0.2, "D": float("nan"), "F": 9.0}
    result = system_agreement(metric, human)
    assert result.systems == ("A", "B", "C")
    assert {(e.system, e.reason) for e in result.excluded} == {
        ("D", "no human score"), ("E", "no human score"), ("F", "no metric score")}
    assert [(p.better, p.worse, p.human_delta, p.metric_delta) for p in result.discordant] == [
        ("C", "B", pytest.approx(0.1), -1.0)]
    assert result.to_json()["kendall_variant"] == "tau-b"
    with pytest.raises(InputError, match="at least 2 systems"):
        system_agreement({"A": 1.0, "B": 2.0}, {"A": 1.0})


def test_perfect_and_reversed_metrics():
    rng = np.random.default_rng(3)
    human = rng.normal(size=(7, 40))
    perfect = system_agreement(human.mean(axis=1) * 3 + 1, human.mean(axis=1))
    assert perfect.pairwise_accuracy == 1.0 and perfect.kendall == pytest.approx(1.0) and not perfect.discordant
    reversed_ = system_agreement(-human.mean(axis=1), human.mean(axis=1))
    assert reversed_.pairwise_accuracy == 0.0 and len(reversed_.discordant) == 21
    assert tie_calibrated_accuracy(2 * human, human).accuracy == 1.0
    assert tie_calibrated_accuracy(-human, human).accuracy == 0.0
    assert item_kendall(human + 5, human).tau == pytest.approx(1.0)


# --------------------------------------------------------------------------- segment level


@quick
@given(score_matrices(), st.sampled_from(["item", "none"]))
def test_acc_eq_equals_the_brute_force_reference(matrices, grouping):
    metric, human = matrices
    result = tie_calibrated_accuracy(metric, human, grouping=grouping)
    by_epsilon = reference_acc_eq(metric, human, grouping)
    if not by_epsilon:
        assert math.isnan(result.accuracy) and result.n_pairs == 0
        return
    best = max(by_epsilon.values())
    assert abs(result.accuracy - best) <= 1e-12
    # The ε reported reaches the maximum, and no smaller candidate does.
    assert result.epsilon in by_epsilon and abs(by_epsilon[result.epsilon] - best) <= 1e-12
    assert all(by_epsilon[e] < best - 1e-12 for e in by_epsilon if e < result.epsilon)


@quick
@given(score_matrices(), st.sampled_from(["item", "none"]), st.integers(0, 2**32 - 1))
def test_resampled_acc_eq_is_acc_eq_of_the_resampled_items(matrices, grouping, seed):
    metric, human = matrices
    counts = np.random.default_rng(seed).integers(0, 3, (3, metric.shape[1]))
    accuracy, epsilon = segment_pairs(metric, human).acc_eq_batch(counts, grouping)
    for row, c in enumerate(counts):
        columns = np.repeat(np.arange(metric.shape[1]), c)
        by_epsilon = reference_acc_eq(metric[:, columns], human[:, columns], grouping)
        if not by_epsilon:
            assert math.isnan(accuracy[row])
            continue
        assert abs(accuracy[row] - max(by_epsilon.values())) <= 1e-12
        assert abs(by_epsilon[epsilon[row]] - max(by_epsilon.values())) <= 1e-12


@quick
@given(score_matrices(max_systems=6, max_items=8))
def test_item_kendall_equals_scipy_per_item(matrices):
    metric, human = matrices
    result = item_kendall(metric, human)
    tau, n_defined = scipy_item_kendall(metric, human)
    assert same(result.tau, tau, 1e-12)
    assert result.n_items == n_defined and result.n_undefined == metric.shape[1] - n_defined


@quick
@given(score_matrices(), st.integers(-20, 20).map(lambda k: k / 2))
def test_adding_a_constant_to_the_metric_changes_nothing(matrices, constant):
    metric, human = matrices
    for grouping in ("item", "none"):
        a = tie_calibrated_accuracy(metric, human, grouping=grouping)
        b = tie_calibrated_accuracy(metric + constant, human, grouping=grouping)
        assert same(a.accuracy, b.accuracy) and same(a.epsilon, b.epsilon)
    assert same(item_kendall(metric, human).tau, item_kendall(metric + constant, human).tau)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a system with no metric score at all: NaN, left out
        system_metric, system_human = np.nanmean(metric, axis=1), np.nanmean(np.nan_to_num(human), axis=1)
    if np.isfinite(system_metric).sum() >= 2:
        a, b = system_agreement(system_metric, system_human), system_agreement(system_metric + constant,
                                                                                 system_human)
        assert a.pairwise_accuracy == b.pairwise_accuracy and same(a.kendall, b.kendall)
        assert same(a.pearson, b.pearson, 1e-9)


def test_acc_eq_finds_the_tie_threshold():
    # Humans tie the last two systems everywhere; the metric separates them by at most 0.1,
    # and orders the others by more than 1: ε = 0.1 makes every pair correct.
    human = np.array([[3.0, 3.0, 3.0], [2.0, 2.0, 2.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    metric = np.array([[9.0, 8.0, 9.0], [5.0, 6.0, 5.0], [1.0, 1.05, 1.0], [1.1, 1.0, 1.0]])
    result = tie_calibrated_accuracy(metric, human)
    assert result.accuracy == 1.0 and result.epsilon == pytest.approx(0.1) and result.n_human_ties == 3
    exact_only = reference_acc_eq(metric, human, "item")[0.0]
    assert exact_only < 1.0


def test_bad_segment_input_is_an_input_error():
    with pytest.raises(InputError, match="3×2 but human scores are 3×4"):
        tie_calibrated_accuracy(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(InputError, match="infinite"):
        tie_calibrated_accuracy(np.array([[1.0, np.inf], [0.0, 1.0]]), np.zeros((2, 2)))
    with pytest.raises(InputError, match="unknown grouping"):
        tie_calibrated_accuracy(np.zeros((2, 2)), np.zeros((2, 2)), grouping="system")
    with pytest.raises(InputError, match="matrix"):
        item_kendall(np.zeros(3), np.zeros(3))


# --------------------------------------------------------------------------- bootstrap and significance


def synthetic(seed=7, n_systems=8, n_items=150):
    rng = np.random.default_rng(seed)
    quality = np.linspace(-1, 1, n_systems)[:, None]
    human = quality + rng.normal(size=(n_systems, n_items))
    human[rng.random(human.shape) < 0.2] = np.nan
    close = np.where(np.isnan(human), quality, human) + 1e-3 * rng.normal(size=human.shape)
    noise = rng.normal(size=human.shape)
    return close, noise, human


def moderate(seed=7):
    """A metric that agrees with the humans only partly (so its statistics vary between resamples)."""
    close, noise, human = synthetic(seed)
    return close + 0.8 * noise, human


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible():
    close, human = moderate()
    a = bootstrap_agreement(close, human, n_resamples=200, seed=5)
    b = bootstrap_agreement(close, human, n_resamples=200, seed=5)
    c = bootstrap_agreement(close, human, n_resamples=200, seed=6)
    for name in STATISTICS:
        assert a[name].contains(a[name].value), a[name]
        assert np.array_equal(a[name].samples, b[name].samples, equal_nan=True)
        assert a[name].to_json() == b[name].to_json()
    assert not np.array_equal(a["acc_eq"].samples, c["acc_eq"].samples)
    assert a["acc_eq"].value == tie_calibrated_accuracy(close, human).accuracy
    system = system_agreement(close.mean(axis=1), np.nanmean(human, axis=1))
    assert (a["pearson"].value, a["kendall"].value) == (system.pearson, system.kendall)
    assert a.to_json()["statistics"]["acc_eq"]["n_defined"] == 200


def test_each_resample_is_the_statistics_of_its_drawn_items():
    """Resample r equals the plain functions on the items it drew (rebuilt from the same seeded draws)."""
    from evals.stats.bootstrap import Resampling, draw_units, weights_from_draws

    metric, human = moderate()
    human[:, :40] = np.nan  # some resamples leave few judged items per system
    result = bootstrap_agreement(metric, human, n_resamples=20, seed=11)
    n_items = metric.shape[1]
    counts = weights_from_draws(draw_units(np.random.default_rng(11), n_items, 20),
                                Resampling("segment", np.arange(n_items), n_items, None, ""))
    for row, c in enumerate(counts):
        items = np.repeat(np.arange(n_items), c)
        m, h = metric[:, items], human[:, items]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            system = system_agreement(np.nanmean(m, axis=1), np.nanmean(h, axis=1))
        assert abs(result["pearson"].samples[row] - system.pearson) <= 1e-12
        assert result["kendall"].samples[row] == system.kendall
        assert result["pairwise_accuracy"].samples[row] == system.pairwise_accuracy
        assert abs(result["acc_eq"].samples[row] - tie_calibrated_accuracy(m, h).accuracy) <= 1e-12
        assert abs(result["item_kendall"].samples[row] - item_kendall(m, h).tau) <= 1e-12


def test_bootstrap_by_groups_and_with_an_aggregation_callable():
    close, _, human = synthetic()
    documents = np.repeat([f"doc{k}" for k in range(15)], 10)
    by_mean = bootstrap_agreement(close, human, groups=documents, n_resamples=100)
    by_callable = bootstrap_agreement(close, human, groups=documents, n_resamples=100,
                                      metric_aggregate=lambda items: close[:, items].mean(axis=1))
    assert by_mean.unit == "document" and by_mean.n_units == 15
    for name in ("pearson", "kendall", "pairwise_accuracy"):
        assert np.allclose(by_mean[name].samples, by_callable[name].samples, rtol=0, atol=1e-12, equal_nan=True)
    with pytest.raises(InputError, match="returned shape"):
        bootstrap_agreement(close, human, n_resamples=3, metric_aggregate=lambda items: np.zeros(2))
    with pytest.raises(InputError, match="group labels"):
        bootstrap_agreement(close, human, groups=documents[:-1], n_resamples=3)


def test_a_system_without_human_scores_is_excluded_from_the_bootstrap():
    close, _, human = synthetic()
    human[2] = np.nan
    result = bootstrap_agreement(close, human, systems=list("ABCDEFGH"), n_resamples=50,
                                 statistics=("pearson", "acc_eq"))
    assert [e.system for e in result.excluded] == ["C"] and "C" not in result.systems
    assert list(result.statistics) == ["pearson", "acc_eq"]
    assert result.system is not None and result.system.n_systems == 7


def test_significance_between_two_metrics():
    close, noise, human = synthetic(n_systems=10, n_items=200)
    good = bootstrap_agreement(close, human, metric="close", n_resamples=300)
    same_again = bootstrap_agreement(close.copy(), human, metric="close-again", n_resamples=300)
    bad = bootstrap_agreement(noise, human, metric="noise", n_resamples=300)
    for name in STATISTICS:
        identical = compare_metrics(good, same_again, name)
        assert identical.p_value > 0.05 and identical.delta == 0.0
        different = compare_metrics(good, bad, name)
        assert different.p_value < 0.05, different
        assert different.delta > 0 and different.delta_low <= different.delta <= different.delta_high
        assert different.to_json()["test"] == "paired bootstrap"
    other_seed = bootstrap_agreement(noise, human, n_resamples=300, seed=1)
    with pytest.raises(InputError, match="same resamples"):
        compare_metrics(good, other_seed, "acc_eq")


def test_bad_bootstrap_settings_are_input_errors():
    close, _, human = synthetic()
    with pytest.raises(InputError, match="unknown statistic 'spearman'"):
        bootstrap_agreement(close, human, statistics=("spearman",))
    with pytest.raises(InputError, match="n_resamples"):
        bootstrap_agreement(close, human, n_resamples=0)


# --------------------------------------------------------------------------- real data: WMT22 zh→en DA


@pytest.fixture(scope="module")
def wmt22_chrf():
    """Sentence and corpus chrF of the 12 systems (reference A), and the DA segment and system z-scores."""
    from tests.wmt22 import SYSTEMS, hypotheses, lines, require_wmt22

    folder = require_wmt22()
    seg_file, sys_file = folder / "ad-seg-scores-zh-en.csv", folder / "ad-sys-scores-zh-en.csv"
    if not (seg_file.is_file() and sys_file.is_file()):
        pytest.skip(f"the WMT22 DA files are not in {folder}")
    from evals.scoring.metrics import metric_for

    chrf, _ = metric_for("chrf", {}, "en")
    reference = lines("ref.A.en")
    rows = {system: chrf.segment_stats(hypotheses(system), reference) for system in SYSTEMS}
    segment = np.array([chrf.segment_scores(rows[s]) for s in SYSTEMS])
    corpus = {s: chrf.score_from_stats(rows[s]) for s in SYSTEMS}
    human = np.full(segment.shape, np.nan)
    index = {s: k for k, s in enumerate(SYSTEMS)}
    for line in seg_file.read_text("utf-8").splitlines()[1:]:
        name, sid, _raw, z, _n = line.split()
        system = name.rsplit(".", 1)[0]
        if system in index:
            human[index[system], int(sid) - 1] = float(z)
    system_z = {}
    for line in sys_file.read_text("utf-8").splitlines()[1:]:
        _raw, z, _n, name, _all = line.split()
        system_z[name.rsplit(".", 1)[0]] = float(z)
    return SYSTEMS, segment, corpus, human, system_z, hypotheses, reference


def test_wmt22_chrf_against_da(wmt22_chrf):
    import sacrebleu

    systems, segment, corpus, human, system_z, hypotheses, reference = wmt22_chrf
    # The segment scores are sacrebleu's sentence chrF (a sample; the engine's parity is tested elsewhere).
    dlut = hypotheses("DLUT")
    for i in range(0, 1875, 75):
        assert segment[systems.index("DLUT"), i] == sacrebleu.sentence_chrf(dlut[i], [reference[i]]).score
    assert np.isfinite(human).sum() == 20821 - 1 - 1586  # every DA row but the header and HUMAN-B's

    result = system_agreement(corpus, system_z)
    assert [e.system for e in result.excluded] == ["HUMAN-B"]
    x = [corpus[s] for s in systems]
    y = [system_z[s] for s in systems]
    assert result.pearson == float(scipy_stats.pearsonr(x, y).statistic)
    assert result.kendall == float(scipy_stats.kendalltau(x, y).statistic)
    assert result.pairwise_accuracy == reference_pairwise(np.array(x), np.array(y))[0]
    assert 0.3 < result.pairwise_accuracy < 0.95

    acc = tie_calibrated_accuracy(segment, human)
    assert 0.4 < acc.accuracy < 0.65, acc  # WMT23: ~0.5 for most metrics
    assert acc.n_items > 1500
    tau = item_kendall(segment, human)
    assert 0.0 < tau.tau < 0.4, tau

    boot = bootstrap_agreement(segment, human, systems=systems, n_resamples=100, statistics=("acc_eq",))
    assert boot["acc_eq"].contains(acc.accuracy) and boot.epsilon == acc.epsilon
