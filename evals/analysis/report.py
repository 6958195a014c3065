"""The analysis report: every section for every corpus, as one JSON document.

``SECTIONS`` is the list of sections, in the order they are shown; a section
is a key and the function computing it from a ``CorpusView``, so adding one
(as the zh→en phenomena were) is one line here and one renderer in
``evals.analysis.render``. ``mteval analyze``, ``mteval compare --analyze``
and the dashboard (``evals.dashboard.analysis``) all call ``analyse_sides``
or ``analyse_run``: one computation, so every format holds the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evals.analysis.sections import (
    AnalysisSettings,
    buckets_section,
    differences_section,
    phenomena_section,
    salient_section,
    word_accuracy_pos_section,
    word_accuracy_section,
)
from evals.analysis.view import CorpusView, build_view
from evals.errors import InputError, UsageError, did_you_mean

if TYPE_CHECKING:
    from evals.compare.sides import SystemData
    from evals.store.api import Store

#: (key, compute): each corpus's sections in order. A compute returning None leaves its key out.
SECTIONS: tuple[tuple[str, Callable[[CorpusView, AnalysisSettings], Any]], ...] = (
    ("buckets", buckets_section),
    ("word_accuracy", word_accuracy_section),
    ("word_accuracy_pos", word_accuracy_pos_section),
    ("salient", salient_section),
    ("differences", differences_section),
    ("phenomena", phenomena_section),
)


def default_metrics(available: Sequence[str]) -> tuple[str, str]:
    """(metric scored by bucket, sentence metric): chrF's role is played by the best ``segment_ranking`` metric."""
    from evals.compare.analysis import default_rank_metric

    sentence = default_rank_metric(available)
    return sentence, sentence


def analyse_sides(baseline: "SystemData", others: Sequence["SystemData"], *, metric: str | None = None,
                  corpora: Sequence[str] | None = None, settings: AnalysisSettings = AnalysisSettings(),
                  names: Mapping[int, str] | None = None,
                  attributes: Mapping[str, Mapping[str, Mapping[str, str | None]]] | None = None,
                  run: int | None = None) -> dict[str, Any]:
    """Every section for every corpus the baseline has segment scores on (or ``corpora``): the report as JSON.

    ``metric``: the metric scored by bucket (default: the one with the best
    ``segment_ranking``, chrF); segment differences and baseline-score buckets
    use the best-ranking metric, or ``metric`` itself when its sentence scores
    rank (``Metric.segment_ranking`` > 0). ``attributes``: corpus -> seg_id ->
    ``domain``/``origlang``.
    """
    from evals.compare.sides import check_names

    wanted = check_names(corpora, list(baseline.corpora), "corpus", f"{baseline.label} has no translations for")
    if corpora is None:  # every corpus there is something to analyse on (a monolingual one has no scores)
        wanted = [c for c in wanted if baseline.corpora[c].metrics]
    if not wanted:
        raise InputError(f"{baseline.label} has no corpora to analyse", field="corpus")
    if not others:
        raise UsageError("an analysis compares at least two systems", field="system",
                         hint="name a baseline and a system, e.g. `mteval analyze RUN BASELINE SYSTEM`")
    out_corpora: dict[str, Any] = {}
    chosen_metric = None
    systems: list[str] = []
    for corpus in wanted:
        available = list(baseline.corpora[corpus].metrics)
        if not available:
            raise InputError(f"{baseline.label} has no segment scores for corpus {corpus!r}", field="metric")
        best, sentence = default_metrics(available)
        name = metric or best
        if name not in available:
            raise InputError(f"{baseline.label} has no segment scores for metric {name!r} on corpus {corpus!r}",
                             field="metric", hint=did_you_mean(name, available) or f"scored: {', '.join(available)}")
        if _ranks(name):
            sentence = name
        view = build_view(baseline, others, corpus, name, sentence, names=names,
                          attributes=(attributes or {}).get(corpus))
        sections = {}
        for key, compute in SECTIONS:
            value = compute(view, settings)
            if value is not None:
                sections[key] = value
        out_corpora[corpus] = sections
        chosen_metric, systems = name, view.systems
    return {"run": run, "metric": chosen_metric, "baseline": systems[0], "systems": systems,
            "settings": settings.to_json(), "corpora": out_corpora}


def analyse_run(store: "Store", run: int | str, systems: Sequence[str] = (), *, baseline: str | None = None,
                metric: str | None = None, corpora: Sequence[str] | None = None,
                settings: AnalysisSettings = AnalysisSettings()) -> dict[str, Any]:
    """The report for systems of one stored run (all when none are named) against ``baseline``.

    With systems named and no ``baseline``, the first is the baseline; with
    none named, the baseline is ``baseline`` or the run's best system by
    ``metric`` on its first corpus.
    """
    from evals.compare.runs import RunFrames, load_run_systems, pick_system

    info = store.get_run(run)
    names = [pick_system(info, name) for name in dict.fromkeys(systems)]  # before the run's rows are read
    if baseline is not None:
        baseline = pick_system(info, baseline)
    if not names:
        names = [s["name"] for s in info["systems"]]
    elif baseline is None:
        baseline = names[0]
    if baseline is not None:
        names = [baseline, *(n for n in names if n != baseline)]
    if len(names) < 2:
        raise UsageError(f"run {info['id']} has one system to analyse ({', '.join(names)}); an analysis compares two",
                         field="system", hint="name a second system or --baseline")
    scores = store.scores_df(info["id"])
    scored = list(dict.fromkeys(scores[scores["level"] == "segment"]["metric"]))
    if metric is not None and metric not in scored:
        raise InputError(f"run {info['id']} has no segment scores for metric {metric!r}", field="metric",
                         hint=did_you_mean(metric, scored) or f"scored: {', '.join(scored) or 'none'}")
    if not scored:
        raise InputError(f"run {info['id']} has no segment scores to analyse", field="metric")
    frames = RunFrames(info["id"], info, store.translations_df(info["id"]), scores)  # the run read once
    # Only the statistics the analyses read: the bucketed metric and the sentence metric.
    needed = list(dict.fromkeys([metric or default_metrics(scored)[0], default_metrics(scored)[1]]))
    if metric is not None and _ranks(metric):
        needed = [metric]
    sides = load_run_systems(store, info["id"], names, corpora=corpora, metrics=needed, frames=frames)
    for name in names:
        if isinstance(sides[name], Exception):
            raise sides[name]
    if baseline is None:
        baseline = _leader(sides, names, metric)
    ordered = [sides[baseline], *(sides[n] for n in names if n != baseline)]
    return analyse_sides(ordered[0], ordered[1:], metric=metric, corpora=corpora, settings=settings,
                         attributes=_attributes(frames), run=info["id"])


def _ranks(metric: str) -> bool:
    """Whether ``metric``'s sentence scores order segments (``Metric.segment_ranking``), so it compares them too."""
    from evals.metrics import metric_class

    return metric_class(metric).segment_ranking > 0


def _leader(sides: Mapping[str, "SystemData"], names: Sequence[str], metric: str | None) -> str:
    """The system with the best stored corpus score on the first corpus (the default baseline)."""
    first = next(iter(sides[names[0]].corpora))
    name = metric or default_metrics(list(sides[names[0]].corpora[first].metrics))[0]

    def score(system: str) -> float:
        data = sides[system].corpora.get(first)
        m = data.metrics.get(name) if data else None
        if m is None or m.system is None:
            return float("-inf")
        higher = m.metric.higher_is_better if m.metric is not None else True
        return m.system if higher else -m.system

    return max(names, key=score)


def _attributes(frames) -> dict[str, dict[str, dict[str, str | None]]]:
    """corpus -> seg_id -> ``domain``/``origlang`` as the store keeps them (None where the corpus says nothing)."""
    from evals.compare.sides import missing_value

    out: dict[str, dict[str, dict[str, str | None]]] = {}
    frame = frames.translations.drop_duplicates(["corpus", "seg_id"])
    for row in frame[["corpus", "seg_id", "domain", "origlang"]].itertuples(index=False):
        out.setdefault(row.corpus, {})[row.seg_id] = {
            "domain": None if missing_value(row.domain) else row.domain,
            "origlang": None if missing_value(row.origlang) else row.origlang,
        }
    return out
