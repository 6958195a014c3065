"""How well an automatic metric agrees with human judgements (meta-evaluation).

The statistics follow the WMT metrics shared task and Google's mt-metrics-eval
(WMT22/23). Every input is oriented **higher = better** for both the metric and
the humans: the caller flips error metrics (TER, MQM penalties) first.

System level (one score per system):

* **Pearson r** -- ``scipy.stats.pearsonr``;
* **Kendall τ-b** -- ``scipy.stats.kendalltau`` with its default ``variant="b"``
  (ties in either ranking shrink the denominator);
* **pairwise accuracy** (Kocmi et al., 2021, "To Ship or Not to Ship"): the
  share of system pairs ``(a, b)`` with ``sign(metric_a - metric_b) ==
  sign(human_a - human_b)``, where ``sign(0) = 0``: a pair the humans tie is
  correct only when the metric ties it exactly too, and a pair the metric ties
  but the humans order is wrong;
* the **discordant pairs**: pairs the metric orders against the humans (the
  two signs are opposite), with both deltas; pairs where exactly one side ties
  are listed separately as tie disagreements.

Segment level (matrices ``n_systems × n_items``, NaN = not judged):

* **tie-calibrated pairwise accuracy** ``acc_eq`` (Deutsch, Foster & Freitag,
  2023, "Ties Matter"): over pairs of systems on the same item, a pair is
  correct when the humans order it and the metric orders it the same way with
  ``|Δmetric| > ε``, or when the humans tie it (``Δhuman == 0``) and the metric
  "ties" it (``|Δmetric| <= ε``). ε is the one global threshold (for all
  items) that maximises the accuracy, searched exactly over the candidates
  ``{0} ∪ {|Δmetric|}`` in O(P log P) (one sort, one cumulative sum); the
  smallest maximising ε is reported. ``grouping="item"`` (WMT's "group by
  item", the default) averages the per-item accuracies over the items that
  have at least one pair; ``grouping="none"`` pools all pairs.
* **item-grouped Kendall τ-b**: per item, τ-b (exactly ``scipy.stats.kendalltau``)
  between the metric and the human scores of the systems judged on it,
  averaged over the items where it is defined (both sides have at least two
  distinct values among at least two systems); items where τ-b is NaN are left
  out of the mean and counted (``n_undefined``).

A pair with a NaN on either side (metric or human) is skipped; a system
without a human score is excluded from the system level and reported.

``evals.stats.agreement_bootstrap`` adds bootstrap intervals over items or
documents and the paired test between two metrics, on the batch versions of
these statistics defined here (``system_statistics_batch``,
``SegmentPairs.acc_eq_batch``, ``SegmentPairs.item_kendall``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evals.errors import InputError

GROUPINGS = ("item", "none")
SYSTEM_STATISTICS = ("pearson", "kendall", "pairwise_accuracy")

SystemScores = Mapping[str, float] | Sequence[float] | np.ndarray


# --------------------------------------------------------------------------- system level


@dataclass(frozen=True)
class ExcludedSystem:
    """A system left out of the system level, and why."""

    system: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "reason": self.reason}


@dataclass(frozen=True)
class SystemPair:
    """Two systems the metric and the humans do not order alike.

    ``better`` is the one the humans prefer (``human_delta = human[better] -
    human[worse] >= 0``); ``metric_delta`` is ``metric[better] - metric[worse]``
    (negative for a reversed pair). ``kind`` is ``"reversed"`` (opposite signs),
    ``"metric_tie"`` (the humans order the pair, the metric ties it) or
    ``"human_tie"`` (the humans tie it, the metric orders it).
    """

    better: str
    worse: str
    human_delta: float
    metric_delta: float
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"better": self.better, "worse": self.worse, "human_delta": self.human_delta,
                "metric_delta": self.metric_delta, "kind": self.kind}


@dataclass(frozen=True)
class SystemAgreement:
    """System-level agreement of one metric with the humans.

    ``pearson`` and ``kendall`` are exactly scipy's (``kendall`` is τ-b);
    ``pairwise_accuracy`` is Kocmi et al.'s, ``sign(0) = 0``. NaN where a
    statistic is undefined (a constant side).
    """

    systems: tuple[str, ...]
    pearson: float
    kendall: float
    pairwise_accuracy: float
    n_pairs: int
    n_agreeing: int
    discordant: tuple[SystemPair, ...]
    tie_disagreements: tuple[SystemPair, ...]
    excluded: tuple[ExcludedSystem, ...]
    kendall_variant: str = "b"

    @property
    def n_systems(self) -> int:
        return len(self.systems)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": "system", "n_systems": self.n_systems, "systems": list(self.systems),
            "pearson": json_float(self.pearson), "kendall": json_float(self.kendall),
            "kendall_variant": f"tau-{self.kendall_variant}",
            "pairwise_accuracy": json_float(self.pairwise_accuracy),
            "n_pairs": self.n_pairs, "n_agreeing": self.n_agreeing,
            "discordant": [p.to_json() for p in self.discordant],
            "tie_disagreements": [p.to_json() for p in self.tie_disagreements],
            "excluded": [e.to_json() for e in self.excluded],
        }


def align_system_scores(
    metric: SystemScores, human: SystemScores, systems: Sequence[str] | None = None,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, tuple[ExcludedSystem, ...]]:
    """The systems scored by both sides, their two score vectors, and the systems left out.

    Mappings are matched by name (the metric's order is kept); arrays are
    matched by position (named by ``systems``, else ``"0"``, ``"1"``, …). A
    system whose human score is missing or NaN, or whose metric score is NaN,
    is excluded and reported; an infinite score is an error.
    """
    names_m, values_m = _named(metric, systems, "metric")
    names_h, values_h = _named(human, systems if not isinstance(human, Mapping) else None, "human")
    human_by_name = dict(zip(names_h, values_h))
    if len(human_by_name) != len(names_h) or len(set(names_m)) != len(names_m):
        raise InputError("system names must be distinct", field="systems")
    kept: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    excluded: list[ExcludedSystem] = []
    for name, value in zip(names_m, values_m):
        h = human_by_name.get(name)
        if h is None or math.isnan(h):
            excluded.append(ExcludedSystem(name, "no human score"))
        elif math.isnan(value):
            excluded.append(ExcludedSystem(name, "no metric score"))
        else:
            kept.append(name)
            xs.append(value)
            ys.append(h)
    scored = set(names_m)
    for name in names_h:
        if name not in scored:
            excluded.append(ExcludedSystem(name, "no metric score"))
    return tuple(kept), np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64), tuple(excluded)


def system_agreement(metric: SystemScores, human: SystemScores, *,
                     systems: Sequence[str] | None = None) -> SystemAgreement:
    """Pearson, Kendall τ-b, pairwise accuracy and the discordant pairs over the shared systems."""
    names, x, y, excluded = align_system_scores(metric, human, systems)
    if len(names) < 2:
        raise InputError(f"system-level agreement needs at least 2 systems with both scores, got {len(names)}",
                         field="systems", hint="excluded: " + ", ".join(e.system for e in excluded) if excluded
                         else None)
    pearson, kendall = _scipy_correlations(x, y)
    i, j = np.triu_indices(len(names), 1)
    dm, dh = x[i] - x[j], y[i] - y[j]
    agree = np.sign(dm) == np.sign(dh)
    discordant, ties = [], []
    for a, b, m, h in zip(i[~agree], j[~agree], dm[~agree], dh[~agree]):
        if h < 0 or (h == 0 and m < 0):
            a, b, m, h = b, a, -m, -h
        kind = "reversed" if m * h < 0 else ("metric_tie" if m == 0 else "human_tie")
        pair = SystemPair(names[a], names[b], float(h), float(m), kind)
        (discordant if kind == "reversed" else ties).append(pair)
    discordant.sort(key=lambda p: (-p.human_delta, p.better, p.worse))
    ties.sort(key=lambda p: (-abs(p.human_delta), -abs(p.metric_delta), p.better, p.worse))
    n_agree = int(agree.sum())
    return SystemAgreement(
        systems=names, pearson=pearson, kendall=kendall, pairwise_accuracy=n_agree / len(dm),
        n_pairs=len(dm), n_agreeing=n_agree, discordant=tuple(discordant), tie_disagreements=tuple(ties),
        excluded=excluded,
    )


def system_statistics_batch(metric: np.ndarray, human: np.ndarray,
                            valid: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Pearson, Kendall τ-b and pairwise accuracy of every row of ``(rows, systems)`` score matrices.

    ``valid[r, s]`` says whether system ``s`` takes part in row ``r`` (a
    bootstrap resample where a system drew no human score leaves it out).
    Kendall uses scipy's own formula on the same integer counts, so it is
    bit-identical to ``scipy.stats.kendalltau``; Pearson agrees with
    ``scipy.stats.pearsonr`` to rounding (1e-12). A row with fewer than two
    valid systems, or a constant side, gives NaN.
    """
    x = np.asarray(metric, dtype=np.float64)
    y = np.asarray(human, dtype=np.float64)
    v = np.isfinite(x) & np.isfinite(y) if valid is None else (np.asarray(valid, bool) & np.isfinite(x)
                                                             & np.isfinite(y))
    n = v.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xz, yz = np.where(v, x, 0.0), np.where(v, y, 0.0)
        xm = np.where(v, x - (xz.sum(axis=1) / n)[:, None], 0.0)
        ym = np.where(v, y - (yz.sum(axis=1) / n)[:, None], 0.0)
        pearson = np.clip((xm * ym).sum(axis=1) / np.sqrt((xm * xm).sum(axis=1) * (ym * ym).sum(axis=1)), -1, 1)
    i, j = np.triu_indices(x.shape[1], 1)
    pv = v[:, i] & v[:, j]
    sx = np.where(pv, np.sign(x[:, i] - x[:, j]), 0).astype(np.int64)
    sy = np.where(pv, np.sign(y[:, i] - y[:, j]), 0).astype(np.int64)
    tot = pv.sum(axis=1)
    xtie = (pv & (sx == 0)).sum(axis=1)
    ytie = (pv & (sy == 0)).sum(axis=1)
    con_minus_dis = (sx * sy).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        kendall = np.clip(con_minus_dis / np.sqrt(tot - xtie) / np.sqrt(tot - ytie), -1, 1)
        kendall = np.where((tot - xtie > 0) & (tot - ytie > 0), kendall, np.nan)
        accuracy = (pv & (sx == sy)).sum(axis=1) / tot
    few = n < 2
    pearson[few] = kendall[few] = accuracy[few] = np.nan
    return {"pearson": pearson, "kendall": kendall, "pairwise_accuracy": accuracy}


# --------------------------------------------------------------------------- segment level


@dataclass(frozen=True)
class TieCalibratedAccuracy:
    """``acc_eq`` with its optimal tie threshold ``epsilon`` (|Δmetric| <= ε is a metric tie)."""

    accuracy: float
    epsilon: float
    grouping: str
    n_pairs: int
    n_human_ties: int
    n_items: int

    def to_json(self) -> dict[str, Any]:
        return {"statistic": "acc_eq", "accuracy": json_float(self.accuracy), "epsilon": json_float(self.epsilon),
                "grouping": self.grouping, "n_pairs": self.n_pairs, "n_human_ties": self.n_human_ties,
                "n_items": self.n_items}


@dataclass(frozen=True)
class ItemKendall:
    """Kendall τ-b per item, averaged over the ``n_items`` items where it is defined."""

    tau: float
    n_items: int
    n_undefined: int

    def to_json(self) -> dict[str, Any]:
        return {"statistic": "item_kendall", "tau": json_float(self.tau), "kendall_variant": "tau-b",
                "grouping": "item", "n_items": self.n_items, "n_undefined": self.n_undefined}


@dataclass(frozen=True)
class SegmentPairs:
    """Every comparable (system, system) pair on the same item, prepared once for repeated use.

    Built by ``segment_pairs``. The pairs that can change the accuracy when
    ε moves (human ties, and human-ordered pairs the metric orders the same
    way) are kept sorted by ``|Δmetric|`` with their item, so every ε of a
    resample is scored with one cumulative sum. ``tau`` holds the per-item
    Kendall τ-b (NaN where undefined).
    """

    n_items: int
    pairs_per_item: np.ndarray = field(repr=False)
    abs_delta: np.ndarray = field(repr=False)   # sorted |Δmetric| of the ε-sensitive pairs
    step: np.ndarray = field(repr=False)        # +1 human tie, -1 agreeing ordered pair
    item: np.ndarray = field(repr=False)        # the pair's item
    ends: np.ndarray = field(repr=False)        # last index of each distinct |Δmetric|
    n_agreeing: np.ndarray = field(repr=False)  # per item: ordered pairs with the same sign (ε = 0-)
    tau: np.ndarray = field(repr=False)
    n_pairs: int = 0
    n_human_ties: int = 0

    def acc_eq(self, grouping: str = "item") -> TieCalibratedAccuracy:
        """Tie-calibrated pairwise accuracy on all items, with its ε."""
        accuracy, epsilon = self.acc_eq_batch(np.ones((1, self.n_items)), grouping)
        return TieCalibratedAccuracy(float(accuracy[0]), float(epsilon[0]), grouping, self.n_pairs,
                                     self.n_human_ties, int((self.pairs_per_item > 0).sum()))

    def acc_eq_batch(self, counts: np.ndarray, grouping: str = "item") -> tuple[np.ndarray, np.ndarray]:
        """``acc_eq`` and its ε for every row of item multiplicities ``counts`` (resamples × items).

        Item ``k`` drawn ``c`` times weighs ``c``: its pairs each weigh
        ``c / n_k`` (``grouping="item"``: the mean of per-item accuracies) or
        ``c`` (``"none"``), normalised by the total. The score at threshold ε
        is ``agreeing + Σ_{|Δm| <= ε} step``; it only changes at the sorted
        ``|Δm|`` values, so its maximum over all candidates is one cumulative
        sum per row: O(P) per resample after the one O(P log P) sort. The ε
        is re-optimised per row; ties of the maximum pick the smallest ε.
        """
        check_grouping(grouping)
        counts = np.asarray(counts, dtype=np.float64)
        per = self.pairs_per_item.astype(np.float64)
        if grouping == "item":
            item_weight = np.divide(1.0, per, out=np.zeros_like(per), where=per > 0)
            total = counts @ (per > 0)
        else:
            item_weight = np.ones_like(per)
            total = counts @ per
        with np.errstate(invalid="ignore", divide="ignore"):
            at_zero = (counts @ (self.n_agreeing * item_weight)) / total
        step_weight = self.step * item_weight[self.item]
        # ε = 0 ties exactly equal scores: when some |Δm| is 0 the first distinct value is that
        # candidate; otherwise ε = 0 ties nothing (score: the agreeing pairs alone).
        exact_ties = bool(len(self.abs_delta)) and self.abs_delta[0] == 0
        all_distinct = len(self.ends) == len(self.abs_delta)
        epsilon = np.zeros(len(counts))
        gain = np.zeros(len(counts))
        buffer = np.empty(len(self.item))
        for row, c in enumerate(counts):
            if not len(buffer):
                break
            # One row at a time, in place: the pair arrays stay in cache (faster than 2-D chunks).
            np.take(c, self.item, out=buffer)
            np.multiply(buffer, step_weight, out=buffer)
            np.cumsum(buffer, out=buffer)
            running = buffer if all_distinct else buffer[self.ends]
            best = int(np.argmax(running))
            if exact_ties or running[best] > 0:
                gain[row] = running[best]
                epsilon[row] = self.abs_delta[self.ends[best]]
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = at_zero + gain / total
        epsilon[~np.isfinite(accuracy)] = np.nan
        return accuracy, epsilon

    def item_kendall(self) -> ItemKendall:
        """Kendall τ-b per item (scipy's), averaged over the items where it is defined."""
        defined = np.isfinite(self.tau)
        tau = float(self.tau[defined].mean()) if defined.any() else math.nan
        return ItemKendall(tau, int(defined.sum()), int(self.n_items - defined.sum()))

    def item_kendall_batch(self, counts: np.ndarray) -> np.ndarray:
        """The item-averaged τ-b of every row of item multiplicities (resamples × items)."""
        defined = np.isfinite(self.tau)
        counts = np.asarray(counts, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (counts @ np.where(defined, self.tau, 0.0)) / (counts @ defined)


def segment_pairs(metric: Any, human: Any) -> SegmentPairs:
    """Prepare the segment-level pairs of ``(n_systems, n_items)`` metric and human matrices.

    A pair of systems on an item is comparable when neither has a NaN on
    either side; infinite scores and mismatched shapes are errors.
    """
    m = score_matrix(metric, "metric")
    h = score_matrix(human, "human")
    if m.shape != h.shape:
        raise InputError(f"metric scores are {m.shape[0]}×{m.shape[1]} but human scores are "
                         f"{h.shape[0]}×{h.shape[1]} (systems × items)", field="human")
    n_systems, n_items = m.shape
    i, j = np.triu_indices(n_systems, 1)
    dm = m[i] - m[j]
    dh = h[i] - h[j]
    ok = ~(np.isnan(dm) | np.isnan(dh))
    item = np.broadcast_to(np.arange(n_items), dm.shape)[ok]
    dm, dh = dm[ok], dh[ok]
    sm, sh = np.sign(dm), np.sign(dh)
    human_tie = dh == 0
    agreeing = (sm == sh) & ~human_tie & (sm != 0)
    sensitive = human_tie | agreeing
    order = np.argsort(np.abs(dm[sensitive]), kind="stable")
    abs_delta = np.abs(dm[sensitive])[order]
    ends = np.flatnonzero(np.r_[abs_delta[1:] != abs_delta[:-1], True]) if len(abs_delta) else np.zeros(0, int)
    per_item = np.bincount(item, minlength=n_items)
    return SegmentPairs(
        n_items=n_items, pairs_per_item=per_item, abs_delta=abs_delta,
        step=np.where(human_tie[sensitive], 1.0, -1.0)[order], item=item[sensitive][order], ends=ends,
        n_agreeing=np.bincount(item[agreeing], minlength=n_items).astype(np.float64),
        tau=_item_tau(item, sm, sh, per_item, n_items), n_pairs=int(len(dm)), n_human_ties=int(human_tie.sum()),
    )


def tie_calibrated_accuracy(metric: Any, human: Any, *, grouping: str = "item") -> TieCalibratedAccuracy:
    """``acc_eq`` (Deutsch et al., 2023) of segment matrices, grouped by item or pooled."""
    check_grouping(grouping)
    return segment_pairs(metric, human).acc_eq(grouping)


def item_kendall(metric: Any, human: Any) -> ItemKendall:
    """Kendall τ-b per item over systems, averaged over the items where it is defined."""
    return segment_pairs(metric, human).item_kendall()


def _item_tau(item: np.ndarray, sm: np.ndarray, sh: np.ndarray, per_item: np.ndarray, n_items: int) -> np.ndarray:
    """Per-item τ-b from the signs of its pairs: scipy's formula on the same integer counts."""
    con_minus_dis = np.bincount(item, weights=sm * sh, minlength=n_items)
    xtie = np.bincount(item, weights=(sm == 0), minlength=n_items)
    ytie = np.bincount(item, weights=(sh == 0), minlength=n_items)
    tot = per_item.astype(np.float64)
    defined = (tot - xtie > 0) & (tot - ytie > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.clip(con_minus_dis / np.sqrt(tot - xtie) / np.sqrt(tot - ytie), -1, 1)
    return np.where(defined, tau, np.nan)


# --------------------------------------------------------------------------- helpers


def _scipy_correlations(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """scipy's Pearson r and Kendall τ-b; NaN (no warning) where a side is constant."""
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = float(stats.pearsonr(x, y).statistic)
        kendall = float(stats.kendalltau(x, y).statistic)
    return pearson, kendall


def _named(scores: SystemScores, systems: Sequence[str] | None, side: str) -> tuple[list[str], list[float]]:
    if isinstance(scores, Mapping):
        names = [str(k) for k in scores]
        values = [_number(v, side, k) for k, v in scores.items()]
        return names, values
    values_arr = np.asarray(scores, dtype=np.float64).ravel()
    if systems is None:
        names = [str(k) for k in range(len(values_arr))]
    else:
        names = [str(s) for s in systems]
        if len(names) != len(values_arr):
            raise InputError(f"{len(values_arr)} {side} scores for {len(names)} systems", field=side)
    return names, [_number(v, side, n) for n, v in zip(names, values_arr)]


def _number(value: Any, side: str, name: Any) -> float:
    if value is None:
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{side} score of system {name!r} is not a number: {value!r}", field=side) from None
    if math.isinf(out):
        raise InputError(f"{side} score of system {name!r} is infinite", field=side)
    return out


def score_matrix(values: Any, side: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{side} scores are not a numeric matrix", field=side) from None
    if out.ndim != 2:
        raise InputError(f"{side} scores must be a systems × items matrix, got {out.ndim} dimension(s)", field=side)
    if np.isinf(out).any():
        raise InputError(f"{side} scores contain an infinite value", field=side)
    return out


def check_grouping(grouping: str) -> None:
    if grouping not in GROUPINGS:
        raise InputError(f"unknown grouping {grouping!r}", field="grouping", hint="one of: " + ", ".join(GROUPINGS))


def json_float(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
