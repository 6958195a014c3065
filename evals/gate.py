"""The CI gate: is a candidate a significant regression against its baseline?

``run_gate(baseline, candidate, policy)`` compares two sides
(``evals.compare``) and returns a ``GateReport``; ``check(...)`` resolves the
sides from names (a baseline file, a run, another system of the run) first.
The CLI (``mteval check``) and the pytest plugin are thin layers over these.

The rules (``evals/policy.yaml`` documents the knobs):

* **Metric regression** on a corpus: the score drops by more than the
  metric's ``tolerance`` (TER: rises by more) *and* the paired test finds the
  difference significant, ``p < alpha`` after correction. The test is the
  paired bootstrap by default (``test: randomization`` for approximate
  randomization); its p-value is two-sided, the direction comes from the
  observed delta. Requiring both conditions keeps the gate from failing on
  noise (a large drop on three segments) and on trivia (a significant 0.1).
* **Correction**: Holm–Bonferroni across *every* (corpus, metric) test of
  one check, since any one of them failing fails the build; the family-wise
  false-alarm rate stays at alpha. Each adjusted p-value is compared with its
  metric's alpha (with equal alphas, as by default, this is exactly Holm's
  procedure). BLEU, chrF and chrF++ are strongly correlated, so Holm is
  conservative here; ``correction: none`` tests each at its own alpha.
* **Resolution**: resampling p-values are floored at ``1 / (n + 1)`` and Holm
  multiplies the smallest by the number of tests m, so with a fixed 1,000
  resamples a check of 51 or more tests could never fail. ``samples: auto``
  (the default) picks n from m (``evals.stats.resolution``): the smallest
  attainable adjusted p is ``alpha / margin``. The count used and why is in
  the report's settings line and in every check's JSON.
* **Pooled check** (``pooled: true``, the default): besides one test per
  corpus, each metric is tested over all corpora together, with a stratified
  paired bootstrap (resampled within each corpus, statistics of all corpora
  pooled into one score per resample, ``paired_bootstrap_stratified``). A
  drop that is consistent across many small test sets, significant on none
  of them alone, is caught there. Its tests join the Holm family and it is
  reported as a check of its own ("pooled: N corpora").
* **Document floors** (optional): every document must score at least the
  floor (for TER: at most), whatever the baseline did.
* **No segment newly untranslated**: a segment flagged ``untranslated`` in the
  candidate but not in the baseline fails, however the scores moved.
* Different metric signatures, or different segments, are input errors
  (exit 2), not regressions: there is nothing to compare.

The report names the segments responsible: for a metric regression, the
segments whose segment scores dropped most; for newly untranslated output,
all of them. It renders as a rich table (``render``), Markdown
(``to_markdown``, for ``$GITHUB_STEP_SUMMARY``), JUnit XML (``to_junit``: one
test case per corpus × metric, per document and per untranslated check) and
JSON (``to_json``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evals.compare import (
    MetricComparison,
    Pair,
    PairAnalysis,
    PairedSettings,
    SegmentChange,
    SystemData,
    align,
    analyse,
    digits_for,
    segment_changes,
)
from evals.errors import InputError, UsageError
from evals.outputs import write_output
from evals.policy import Policy, load_policy
from evals.stats import holm

if TYPE_CHECKING:
    from rich.console import Console

    from evals.stats.resolution import Resolution
    from evals.store.api import Store

UNTRANSLATED = "untranslated"
_SHOWN = 10  # newly untranslated segments printed with their texts; the rest by id


# ---- checks and the report ----------------------------------------------------------------------


@dataclass
class MetricCheck:
    """One (corpus, metric): did the candidate regress? A comparison judged by the policy's rule."""

    comparison: MetricComparison
    tolerance: float
    alpha: float
    segments: list[SegmentChange] = field(default_factory=list)
    pooled: bool = False  # the metric over all corpora together (stratified), not one corpus

    @property
    def analysis(self) -> PairAnalysis:
        return self.comparison.analysis

    @property
    def corpus(self) -> str:
        return self.comparison.corpus

    @property
    def metric(self) -> str:
        return self.comparison.metric

    @property
    def p_adjusted(self) -> float:
        return self.comparison.p_adjusted

    @property
    def drop(self) -> float:
        """How much worse the candidate is, in score points (negative: it improved)."""
        return self.comparison.drop

    @property
    def exceeds_tolerance(self) -> bool:
        return self.drop > self.tolerance

    @property
    def significant(self) -> bool:
        return self.comparison.significant(self.alpha)

    @property
    def failed(self) -> bool:
        return self.exceeds_tolerance and self.significant

    @property
    def name(self) -> str:
        return f"{self.metric} {'pooled over' if self.pooled else 'on'} {self.corpus}"

    @property
    def digits(self) -> int:
        return self.comparison.digits

    def message(self) -> str:
        main = self.analysis.main
        verb = "rose" if not self.analysis.higher_is_better else "dropped"
        p = f"p = {_p(self.p_adjusted)}"
        d = self.digits
        if self.failed:
            return (f"{self.metric} {verb} by {self.drop:.{d}f} points "
                    f"({main.baseline:.{d}f} → {main.system:.{d}f}), more than the tolerance {self.tolerance:g}, "
                    f"and the drop is significant ({p} < {self.alpha:g})")
        if self.exceeds_tolerance:
            return (f"{self.metric} {verb} by {self.drop:.{d}f} points (> tolerance {self.tolerance:g}) but the "
                    f"difference is not significant ({p} ≥ {self.alpha:g})")
        return f"change {main.delta:+.{d}f} points is within the tolerance ({self.tolerance:g}); {p}"

    def to_json(self) -> dict[str, Any]:
        a, main = self.analysis, self.analysis.main
        return {
            "corpus": self.corpus, "metric": self.metric, "pooled": self.pooled, "signature": a.pair.signature,
            "higher_is_better": a.higher_is_better, "status": "fail" if self.failed else "pass",
            "baseline": main.baseline, "candidate": main.system, "delta": main.delta, "drop": self.drop,
            "delta_ci": list(a.bootstrap.delta_ci) if a.bootstrap and a.bootstrap.delta_ci else None,
            "ci_level": a.bootstrap.ci_level if a.bootstrap else None,
            "test": main.test, "p_value": main.p_value, "p_adjusted": self.p_adjusted,
            "tolerance": self.tolerance, "alpha": self.alpha,
            "resampling": main.unit, "resampling_reason": main.reason,
            "n_samples": main.n_samples, "seed": main.seed, "segments_compared": len(a.pair.seg_ids),
            "documents": a.outcomes(), "message": self.message(),
            "segments": [s.to_json() for s in self.segments],
        }


@dataclass
class DocumentCheck:
    """One document: its scores on both sides and any floor it falls below."""

    corpus: str
    doc_id: str
    scores: dict[str, tuple[float, float]]  # metric -> (baseline, candidate)
    failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def to_json(self) -> dict[str, Any]:
        return {"corpus": self.corpus, "doc_id": self.doc_id, "status": "fail" if self.failed else "pass",
                "scores": {m: {"baseline": b, "candidate": c, "delta": c - b} for m, (b, c) in self.scores.items()},
                "failures": self.failures}


@dataclass
class UntranslatedCheck:
    """One corpus: segments flagged untranslated in the candidate but not in the baseline."""

    corpus: str
    checked: int
    newly: list[dict[str, Any]]
    enforced: bool

    @property
    def failed(self) -> bool:
        return self.enforced and bool(self.newly)

    def message(self) -> str:
        if not self.newly:
            return f"no segment newly untranslated ({self.checked} checked)"
        ids = ", ".join(s["seg_id"] for s in self.newly[:5])
        more = f" and {len(self.newly) - 5} more" if len(self.newly) > 5 else ""
        return f"{len(self.newly)} segment{'s' if len(self.newly) > 1 else ''} newly untranslated: {ids}{more}"

    def to_json(self) -> dict[str, Any]:
        return {"corpus": self.corpus, "status": "fail" if self.failed else "pass", "checked": self.checked,
                "newly_untranslated": self.newly, "message": self.message()}


@dataclass
class GateReport:
    baseline: str
    candidate: str
    policy: Policy
    metrics: list[MetricCheck]
    documents: list[DocumentCheck]
    untranslated: list[UntranslatedCheck]
    notes: list[str]
    pooled: list[MetricCheck] = field(default_factory=list)
    resolution: "Resolution | None" = None

    @property
    def tests(self) -> int:
        """How many paired tests the check made (the Holm family)."""
        return len(self.metrics) + len(self.pooled)

    @property
    def passed(self) -> bool:
        return not self.failures()

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def failures(self) -> list[str]:
        out = [f"{m.name}: {m.message()}" for m in [*self.metrics, *self.pooled] if m.failed]
        out += [f"document {d.doc_id} ({d.corpus}): {'; '.join(d.failures)}" for d in self.documents if d.failed]
        out += [f"{u.corpus}: {u.message()}" for u in self.untranslated if u.failed]
        return out

    def summary(self) -> str:
        if self.passed:
            pooled = f", {len(self.pooled)} pooled" if self.pooled else ""
            return (f"PASS: no significant regression of {self.candidate} against {self.baseline} "
                    f"({len(self.metrics)} metric checks{pooled}, {len(self.documents)} documents)")
        counts = (
            (sum(m.failed for m in self.metrics), "metric regression", "metric regressions"),
            (sum(m.failed for m in self.pooled), "pooled regression across corpora",
             "pooled regressions across corpora"),
            (sum(d.failed for d in self.documents), "document below a floor", "documents below a floor"),
            (sum(len(u.newly) for u in self.untranslated if u.failed), "newly untranslated segment",
             "newly untranslated segments"),
        )
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
        return f"FAIL: {', '.join(parts)} ({self.candidate} against {self.baseline})"

    def settings_line(self) -> str:
        p = self.policy
        test = "paired bootstrap" if p.test == "bootstrap" else "approximate randomization"
        if self.resolution is not None:
            count = self.resolution.describe()
            if p.test != "bootstrap":
                count = count.replace("resamples", "trials", 1)
        else:
            count = f"{p.samples} {'resamples' if p.test == 'bootstrap' else 'trials'}"
        correction = f"Holm across {self.tests} tests" if p.correction == "holm" else "no correction"
        pooled = ""
        if self.pooled:
            pooled = f"; pooled check over {self.pooled[0].corpus} (stratified bootstrap)"
        return f"{test}, {count}, seed {p.seed}; {correction}{pooled}; policy {p.source}"

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed, "exit_code": self.exit_code, "summary": self.summary(),
            "baseline": self.baseline, "candidate": self.candidate, "policy": self.policy.to_json(),
            "resolution": self.resolution.to_json() if self.resolution else None, "tests": self.tests,
            "metrics": [m.to_json() for m in self.metrics],
            "pooled": [m.to_json() for m in self.pooled],
            "documents": [d.to_json() for d in self.documents],
            "untranslated": [u.to_json() for u in self.untranslated],
            "failures": self.failures(), "notes": self.notes,
        }

    # -- renderings --

    def to_markdown(self) -> str:
        return _markdown(self)

    def to_junit(self) -> str:
        return _junit(self)

    def render(self, console: "Console") -> None:
        _render(self, console)

    def to_text(self, width: int = 120) -> str:
        """The rich rendering as plain text (for pytest failure messages and logs)."""
        import io

        from rich.console import Console

        buffer = io.StringIO()
        self.render(Console(file=buffer, width=width, no_color=True, color_system=None, highlight=False))
        return buffer.getvalue()


def run_gate(
    baseline: SystemData,
    candidate: SystemData,
    policy: Policy | None = None,
    *,
    corpora: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
) -> GateReport:
    """Check ``candidate`` against ``baseline`` under ``policy`` (default: the built-in one)."""
    policy = policy or load_policy()
    validated_note = None
    if metrics is None and policy.validated:
        metrics = list(policy.validated)
        _require_validated(policy, baseline, candidate)
        validated_note = (f"gating on the metrics {policy.source} validates against human judgements: "
                          f"{', '.join(policy.validated)}"
                          + (f" ({policy.validated_evidence})" if policy.validated_evidence else ""))
    pairs, notes = align(baseline, candidate, corpora=corpora, metrics=metrics, strict=True)
    if validated_note:
        notes.insert(0, validated_note)
    pooled_groups = _pooled_groups(pairs) if policy.pooled else {}
    settings = policy.settings(len(pairs) + len(pooled_groups))
    analyses = [analyse(pair, settings) for pair in pairs]
    pooled_analyses = [_pooled_analysis(group, settings) for group in pooled_groups.values()]
    everything = analyses + pooled_analyses
    raw = [a.p_value for a in everything]
    adjusted = holm(raw) if policy.correction == "holm" else raw
    checks, pooled_checks = [], []
    for index, (a, p) in enumerate(zip(everything, adjusted)):
        rule = policy.for_metric(a.pair.metric_name)
        is_pooled = index >= len(analyses)
        check = MetricCheck(MetricComparison(candidate.label, a, p, policy.correction), rule.tolerance,
                            rule.alpha, pooled=is_pooled)
        (pooled_checks if is_pooled else checks).append(check)
    if policy.pooled and not pooled_groups and pairs:
        notes.append("pooled check: only one corpus per metric, nothing to pool")
    if settings.resolution is not None and not settings.resolution.can_reject:
        notes.append(f"resolution: {settings.resolution.describe()}; raise `samples` or use `samples: auto`")
    by_corpus: dict[str, list[PairAnalysis]] = {}
    for a in analyses:
        by_corpus.setdefault(a.pair.corpus, []).append(a)
    for check in checks:
        if check.failed and policy.report_segments:
            check.segments = segment_changes(by_corpus[check.corpus], baseline, candidate, check.metric,
                                             limit=policy.report_segments, direction="worse")
    for metric in policy.floors:
        if not any(a.pair.metric_name == metric for a in analyses):
            notes.append(f"document floor for {metric}: no {metric} scores compared, floor not applied")
    documents = _document_checks(by_corpus, policy)
    untranslated = _untranslated_checks(baseline, candidate, corpora, policy)
    for reason in dict.fromkeys(f"{a.pair.corpus}: {a.main.reason}" for a in analyses):
        notes.append(reason)
    for reason in dict.fromkeys(f"{a.pair.corpus}: {a.main.reason}" for a in pooled_analyses):
        notes.append(reason)
    return GateReport(baseline.label, candidate.label, policy, checks, documents, untranslated, notes,
                      pooled=pooled_checks, resolution=settings.resolution)


def _pooled_groups(pairs: Sequence[Pair]) -> dict[tuple[str, str], list[Pair]]:
    """The pairs of each metric compared on two or more corpora: what a pooled check tests."""
    groups: dict[tuple[str, str], list[Pair]] = {}
    for pair in pairs:  # one signature per pool: statistics of other tokenisations do not add up
        groups.setdefault((pair.metric_name, pair.signature), []).append(pair)
    return {key: group for key, group in groups.items() if len(group) >= 2}


def _pooled_analysis(group: Sequence[Pair], settings: PairedSettings) -> PairAnalysis:
    """One metric over all corpora of ``group``: the stratified paired bootstrap, as a PairAnalysis.

    The pooled pair stacks every corpus's rows (segment and document ids
    prefixed with the corpus, so they stay distinct); per-document outcomes
    and segment scores are left to the per-corpus checks, which report them.
    The pooled test is always the bootstrap (``test: randomization`` has no
    stratified form here), with the policy's resamples.
    """
    import numpy as np

    from evals.stats.paired import paired_bootstrap_stratified

    first = group[0]
    result = paired_bootstrap_stratified(
        first.metric, [(p.baseline, p.system, p.doc_ids) for p in group], unit=settings.unit,
        n_resamples=settings.n_resamples if settings.test != "randomization" else settings.n_trials,
        seed=settings.seed, level=settings.level, min_documents=settings.min_documents)
    pair = Pair(
        corpus=f"{len(group)} corpora", metric_name=first.metric_name, metric=first.metric,
        signature=first.signature,
        seg_ids=[f"{p.corpus}/{s}" for p in group for s in p.seg_ids],
        doc_ids=[f"{p.corpus}/{d}" for p in group for d in p.doc_ids],
        baseline=np.concatenate([p.baseline for p in group]), system=np.concatenate([p.system for p in group]),
    )
    return PairAnalysis(pair=pair, bootstrap=result, randomization=None, documents=[], baseline_segments=[],
                        system_segments=[])


def _document_checks(by_corpus: dict[str, list[PairAnalysis]], policy: Policy) -> list[DocumentCheck]:
    checks: dict[tuple[str, str], DocumentCheck] = {}
    for corpus, analyses in by_corpus.items():
        for a in analyses:
            floor = policy.floors.get(a.pair.metric_name)
            for doc in a.documents:
                check = checks.setdefault((corpus, doc.doc_id), DocumentCheck(corpus, doc.doc_id, {}))
                check.scores[a.pair.metric_name] = (doc.baseline, doc.system)
                if floor is None:
                    continue
                below = doc.system < floor if a.higher_is_better else doc.system > floor
                if below or math.isnan(doc.system):
                    relation = "below the floor" if a.higher_is_better else "above the ceiling"
                    d = digits_for(doc.system, floor)
                    check.failures.append(f"{a.pair.metric_name} {doc.system:.{d}f} is {relation} {floor:g}")
    return list(checks.values())


def _untranslated_checks(baseline: SystemData, candidate: SystemData, corpora: Sequence[str] | None,
                         policy: Policy) -> list[UntranslatedCheck]:
    out = []
    for corpus, base in baseline.corpora.items():
        if corpora and corpus not in corpora:
            continue
        cand = candidate.corpora[corpus]  # align(strict=True) checked presence and segments
        newly = []
        for seg_id, record in cand.segments.items():
            if UNTRANSLATED in record.flags and UNTRANSLATED not in base.segments[seg_id].flags:
                newly.append({"seg_id": seg_id, "doc_id": record.doc_id, "source": record.source,
                              "hypothesis": record.hypothesis, "flags": list(record.flags),
                              "baseline_hypothesis": base.segments[seg_id].hypothesis})
        out.append(UntranslatedCheck(corpus, len(cand.segments), newly, policy.forbid_new_untranslated))
    return out


# ---- resolving names: what the CLI and the pytest plugin call ----------------------------------


def _require_validated(policy: Policy, baseline: SystemData, candidate: SystemData) -> None:
    """Every metric the policy validates is scored on both sides (else the gate would check nothing real)."""
    for side in (baseline, candidate):
        present = {name for corpus in side.corpora.values() for name in corpus.metrics}
        lacking = [name for name in policy.validated if name not in present]
        if lacking:
            raise InputError(f"{side.label} has no {', '.join(lacking)} scores, which {policy.source} "
                             "validates for the gate", path=policy.source, field="validated.metrics",
                             hint=f"add {', '.join(lacking)} to the suite's metrics, or re-run `mteval meta`")


def check(
    *,
    baseline: str | os.PathLike[str] | None = None,
    baseline_run: str | int | None = None,
    baseline_system: str | None = None,
    run: str | int = "latest",
    system: str | None = None,
    policy: str | os.PathLike[str] | Policy | None = None,
    store: "Store | None" = None,
    db: str | None = None,
    corpora: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
) -> GateReport:
    """Gate ``run``'s ``system`` against exactly one baseline.

    ``baseline``: a baseline file; ``baseline_run``: ``"N"`` or ``"N:SYSTEM"``
    (a stored run); ``baseline_system``: another system of ``run``.
    """
    given = [name for name, value in (("baseline", baseline), ("baseline_run", baseline_run),
                                      ("baseline_system", baseline_system)) if value is not None]
    if len(given) != 1:
        raise UsageError("name exactly one baseline: a baseline file, a baseline run or a baseline system"
                         + (f" (got {', '.join(given)})" if given else ""),
                         hint="e.g. --baseline baselines/main.json")
    rules = policy if isinstance(policy, Policy) else load_policy(policy)
    own_store = None
    if store is None:
        from evals.store import open_store

        store = own_store = open_store(db, readonly=True)  # the gate only reads
    try:
        from evals.compare.baseline import load_baseline
        from evals.compare import load_run_system, parse_side

        if baseline_system is not None:
            info = store.get_run(run)
            names = [s["name"] for s in info["systems"]]
            if system is None:
                others = [n for n in names if n != baseline_system]
                if baseline_system in names and len(others) == 1:
                    system = others[0]
            base_side = load_run_system(store, run, baseline_system, corpora=corpora)
        elif baseline_run is not None:
            spec = parse_side(str(baseline_run))
            if spec.path is not None:
                raise UsageError(f"--baseline-run takes RUN[:SYSTEM], got {baseline_run!r}",
                                 hint="use --baseline for baseline files")
            base_side = load_run_system(store, spec.run, spec.system, corpora=corpora)
        else:
            base_side = load_baseline(baseline)  # type: ignore[arg-type]
        candidate = load_run_system(store, run, system, corpora=corpora)
        if base_side.origin == "run" and (base_side.run_id, base_side.system) == (candidate.run_id, candidate.system):
            raise UsageError(f"the candidate and the baseline are the same system ({candidate.label})")
        return run_gate(base_side, candidate, rules, corpora=corpora, metrics=metrics)
    finally:
        if own_store is not None:
            own_store.close()


def write_outputs(report: GateReport, *, markdown: str | os.PathLike[str] | None = None,
                  junit: str | os.PathLike[str] | None = None, json_path: str | os.PathLike[str] | None = None,
                  step_summary: bool = True) -> list[str]:
    """Write the requested files; append Markdown to ``$GITHUB_STEP_SUMMARY`` when it is set."""
    import json

    written = []
    text = report.to_markdown()
    for path, content, option in ((markdown, text, "--markdown"), (junit, report.to_junit(), "--junit"),
                                  (json_path, json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n",
                                   "--json")):
        if path is not None:
            written.append(str(write_output(path, content, field=option)))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and summary:
        try:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(text + "\n")
        except OSError as error:
            raise InputError(f"cannot append to $GITHUB_STEP_SUMMARY: {error.strerror}", path=summary) from None
        written.append(summary)
    return written


# ---- renderings --------------------------------------------------------------------------------------


def _p(value: float) -> str:
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def _ci(check: MetricCheck) -> str:
    a = check.analysis
    if not (a.bootstrap and a.bootstrap.delta_ci):
        return "–"
    low, high = a.bootstrap.delta_ci
    d = check.digits
    return f"[{low:+.{d}f}, {high:+.{d}f}]"


def _score(value: float, *scale: float) -> str:
    return f"{value:.{digits_for(*scale)}f}"


def _delta(pair: tuple[float, float]) -> str:
    """``candidate - baseline`` with a sign, in the pair's precision."""
    return f"{pair[1] - pair[0]:+.{digits_for(*pair)}f}"


def _short(text: str | None, limit: int = 300) -> str:
    if text is None:
        return "(not stored)"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render(report: GateReport, console: "Console") -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]mteval check[/]: candidate {escape(report.candidate)} against baseline "
                  f"{escape(report.baseline)}", highlight=False)
    console.print(f"[dim]{escape(report.settings_line())}[/]", highlight=False)
    table = Table(title="metrics", title_justify="left")
    for column in ("corpus", "metric", "baseline", "candidate", "Δ", "95% CI of Δ", "p (adj.)", "tolerance",
                   "result"):
        table.add_column(column, justify="left" if column in ("corpus", "metric", "result") else "right")
    for m in report.metrics:
        main = m.analysis.main
        result = "[red]FAIL[/]" if m.failed else ("pass (n.s.)" if m.exceeds_tolerance else "pass")
        arrow = "" if m.analysis.higher_is_better else " ↓"
        d = m.digits
        table.add_row(escape(m.corpus), escape(m.metric) + arrow, f"{main.baseline:.{d}f}", f"{main.system:.{d}f}",
                      f"{main.delta:+.{d}f}", _ci(m), _p(m.p_adjusted), f"{m.tolerance:g}", result)
    console.print(table)
    if report.pooled:
        pooled = Table(title="pooled across corpora (stratified bootstrap: resampled within each corpus)",
                       title_justify="left")
        for column in ("corpora", "metric", "baseline", "candidate", "Δ", "95% CI of Δ", "p (adj.)", "tolerance",
                       "result"):
            pooled.add_column(column, justify="left" if column in ("corpora", "metric", "result") else "right")
        for m in report.pooled:
            main = m.analysis.main
            result = "[red]FAIL[/]" if m.failed else ("pass (n.s.)" if m.exceeds_tolerance else "pass")
            arrow = "" if m.analysis.higher_is_better else " ↓"
            d = m.digits
            pooled.add_row(escape(m.corpus), escape(m.metric) + arrow, f"{main.baseline:.{d}f}",
                           f"{main.system:.{d}f}", f"{main.delta:+.{d}f}", _ci(m), _p(m.p_adjusted),
                           f"{m.tolerance:g}", result)
        console.print(pooled)
    docs = Table(title="documents (Δ per metric)", title_justify="left")
    metric_names = list(dict.fromkeys(name for d in report.documents for name in d.scores))
    for column in ("corpus", "document", *metric_names, "result"):
        docs.add_column(column, justify="right" if column in metric_names else "left")
    shown = [d for d in report.documents if d.failed] or report.documents
    for d in shown[:50]:
        cells = [_delta(d.scores[n]) if n in d.scores else "–" for n in metric_names]
        docs.add_row(escape(d.corpus), escape(d.doc_id), *cells,
                     "[red]FAIL[/] " + escape("; ".join(d.failures)) if d.failed else "pass")
    if report.documents:
        console.print(docs)
        if len(shown) > 50:
            console.print(f"… and {len(shown) - 50} more documents", highlight=False)
    for u in report.untranslated:
        style = "red" if u.failed else ("yellow" if u.newly else "dim")
        console.print(f"[{style}]{escape(u.corpus)}: {escape(u.message())}[/]", highlight=False)
    for m in [*report.metrics, *report.pooled]:
        if not m.failed:
            continue
        console.print(f"\n[bold red]regression[/] {escape(m.name)}: {escape(m.message())}", highlight=False)
        if m.segments:
            console.print(f"segments with the largest {escape(m.metric)} drops:", highlight=False)
        for s in m.segments:
            base, cand = s.scores[m.metric]
            d = m.digits
            console.print(f"  [bold]{escape(s.seg_id)}[/] ({escape(s.doc_id)}) {escape(m.metric)} "
                          f"{base:.{d}f} → {cand:.{d}f}", highlight=False)
            for label, text in (("src", s.source), ("ref", s.reference), ("baseline", s.baseline_hypothesis),
                                ("candidate", s.system_hypothesis)):
                console.print(f"    {label:>9}: {escape(_short(text))}", highlight=False)
    for u in report.untranslated:
        if not u.failed:
            continue
        console.print(f"\n[bold red]newly untranslated[/] in {escape(u.corpus)} ({len(u.newly)}):",
                      highlight=False)
        for s in u.newly[:_SHOWN]:
            console.print(f"  [bold]{escape(s['seg_id'])}[/] ({escape(s['doc_id'])})", highlight=False)
            console.print(f"    {'src':>9}: {escape(_short(s['source']))}", highlight=False)
            console.print(f"    {'candidate':>9}: {escape(_short(s['hypothesis']))}", highlight=False)
        if len(u.newly) > _SHOWN:
            rest = ", ".join(s["seg_id"] for s in u.newly[_SHOWN:])
            console.print(f"  and {len(u.newly) - _SHOWN} more: {escape(rest)}", highlight=False)
    for note in report.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
    verdict = report.summary()
    console.print(f"\n[bold {'green' if report.passed else 'red'}]{escape(verdict)}[/]", highlight=False)


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _markdown(report: GateReport) -> str:
    lines = [f"## mteval check: {'✅ pass' if report.passed else '❌ regression'}", "",
             f"Candidate **{_md(report.candidate)}** against baseline **{_md(report.baseline)}**  ",
             f"{_md(report.settings_line())}", "",
             "| corpus | metric | baseline | candidate | Δ | 95% CI of Δ | p (adj.) | tolerance | result |",
             "|---|---|--:|--:|--:|--:|--:|--:|---|"]
    for m in report.metrics:
        main = m.analysis.main
        result = "❌ fail" if m.failed else ("pass (n.s.)" if m.exceeds_tolerance else "pass")
        name = m.metric + ("" if m.analysis.higher_is_better else " (↓ better)")
        d = m.digits
        lines.append(f"| {_md(m.corpus)} | {_md(name)} | {main.baseline:.{d}f} | {main.system:.{d}f} | "
                     f"{main.delta:+.{d}f} | {_ci(m)} | {_p(m.p_adjusted)} | {m.tolerance:g} | {result} |")
    lines.append("")
    if report.pooled:
        lines += ["**Pooled across corpora** (stratified bootstrap: resampled within each corpus, statistics "
                  "pooled)", "",
                  "| corpora | metric | baseline | candidate | Δ | 95% CI of Δ | p (adj.) | tolerance | result |",
                  "|---|---|--:|--:|--:|--:|--:|--:|---|"]
        for m in report.pooled:
            main = m.analysis.main
            result = "❌ fail" if m.failed else ("pass (n.s.)" if m.exceeds_tolerance else "pass")
            name = m.metric + ("" if m.analysis.higher_is_better else " (↓ better)")
            d = m.digits
            lines.append(f"| {_md(m.corpus)} | {_md(name)} | {main.baseline:.{d}f} | {main.system:.{d}f} | "
                         f"{main.delta:+.{d}f} | {_ci(m)} | {_p(m.p_adjusted)} | {m.tolerance:g} | {result} |")
        lines.append("")
    failures = report.failures()
    if failures:
        lines += ["### Failures", ""] + [f"- {_md(f)}" for f in failures] + [""]
    for m in report.metrics:
        if not (m.failed and m.segments):
            continue
        lines += [f"#### {_md(m.name)}: segments with the largest drops", "",
                  "| segment | document | baseline | candidate | source | reference | baseline output "
                  "| candidate output |",
                  "|---|---|--:|--:|---|---|---|---|"]
        for s in m.segments:
            base, cand = s.scores[m.metric]
            lines.append(f"| {_md(s.seg_id)} | {_md(s.doc_id)} | {base:.{m.digits}f} | {cand:.{m.digits}f} | "
                         f"{_md(_short(s.source, 160))} | {_md(_short(s.reference, 160))} | "
                         f"{_md(_short(s.baseline_hypothesis, 160))} | {_md(_short(s.system_hypothesis, 160))} |")
        lines.append("")
    for u in report.untranslated:
        if u.newly:
            many = len(u.newly) > _SHOWN
            lines += [f"#### Newly untranslated in {_md(u.corpus)} ({len(u.newly)})", ""]
            lines += ["<details><summary>segments</summary>", ""] if many else []
            lines += ["| segment | document | source | candidate output |", "|---|---|---|---|"]
            lines += [f"| {_md(s['seg_id'])} | {_md(s['doc_id'])} | {_md(_short(s['source'], 160))} | "
                      f"{_md(_short(s['hypothesis'], 160))} |" for s in u.newly]
            lines += ["", "</details>"] if many else []
            lines.append("")
    if report.documents:
        metric_names = list(dict.fromkeys(name for d in report.documents for name in d.scores))
        lines += ["<details><summary>Documents (Δ per metric)</summary>", "",
                  "| corpus | document | " + " | ".join(_md(n) for n in metric_names) + " | result |",
                  "|---|---|" + "--:|" * len(metric_names) + "---|"]
        for d in report.documents:
            cells = [_delta(d.scores[n]) if n in d.scores else "–" for n in metric_names]
            result = "❌ " + _md("; ".join(d.failures)) if d.failed else "pass"
            lines.append(f"| {_md(d.corpus)} | {_md(d.doc_id)} | " + " | ".join(cells) + f" | {result} |")
        lines += ["", "</details>", ""]
    if report.notes:
        lines += ["<details><summary>Notes</summary>", ""] + [f"- {_md(n)}" for n in report.notes]
        lines += ["", "</details>", ""]
    lines.append(f"**{_md(report.summary())}**")
    return "\n".join(lines) + "\n"


def _junit(report: GateReport) -> str:
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="mteval check")
    suites: dict[str, ET.Element] = {}

    def case(corpus: str, group: str, name: str, failure: str | None, body: str) -> None:
        suite = suites.get(corpus)
        if suite is None:
            suite = suites[corpus] = ET.SubElement(root, "testsuite", name=f"mteval check · {corpus}")
        element = ET.SubElement(suite, "testcase", classname=f"mteval.{corpus}.{group}", name=name, time="0")
        if failure is not None:
            ET.SubElement(element, "failure", message=failure, type="regression").text = body
        else:
            ET.SubElement(element, "system-out").text = body

    for m in report.metrics:
        body = [m.message(), f"baseline: {report.baseline}", f"candidate: {report.candidate}",
                f"95% CI of delta: {_ci(m)}; p (raw) = {_p(m.analysis.p_value)}; {report.settings_line()}"]
        for s in m.segments:
            base, cand = s.scores[m.metric]
            body += [f"segment {s.seg_id} ({s.doc_id}): {m.metric} {base:.{m.digits}f} -> {cand:.{m.digits}f}",
                     f"  src: {_short(s.source)}", f"  ref: {_short(s.reference)}",
                     f"  baseline: {_short(s.baseline_hypothesis)}", f"  candidate: {_short(s.system_hypothesis)}"]
        case(m.corpus, "metrics", m.metric, m.message() if m.failed else None, "\n".join(body))
    for m in report.pooled:
        body = [m.message(), f"baseline: {report.baseline}", f"candidate: {report.candidate}",
                f"pooled over {m.corpus}: {m.analysis.main.reason}",
                f"95% CI of delta: {_ci(m)}; p (raw) = {_p(m.analysis.p_value)}; {report.settings_line()}"]
        case("pooled", "metrics", m.metric, m.message() if m.failed else None, "\n".join(body))
    for d in report.documents:
        body = "\n".join(f"{n}: {_score(b, b, c)} -> {_score(c, b, c)} ({_delta((b, c))})"
                         for n, (b, c) in d.scores.items())
        case(d.corpus, "documents", d.doc_id, "; ".join(d.failures) if d.failed else None, body)
    for u in report.untranslated:
        body = "\n".join([u.message()] + [f"segment {s['seg_id']} ({s['doc_id']}): {_short(s['hypothesis'])}"
                                          for s in u.newly])
        case(u.corpus, "flags", "no segment newly untranslated", u.message() if u.failed else None, body)
    total = failures = 0
    for suite in suites.values():
        cases = suite.findall("testcase")
        failed = sum(1 for c in cases if c.find("failure") is not None)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
        total, failures = total + len(cases), failures + failed
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
