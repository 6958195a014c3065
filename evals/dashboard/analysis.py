"""The dashboard's analysis view: ``analysis_payload(store, run_id)``, the same JSON as ``mteval analyze --format json``.

Every system of the run against the run's best system by the default metric
(chrF), so the page shows where each system gains or loses on the leader.
Schema (one entry per corpus)::

    {"run", "metric", "baseline", "systems", "settings",
     "corpora": {corpus: {"buckets": [{"by", "title", "buckets": [{"label", "lo", "hi", "n",
                                        "scores": {system: {"value", "ci"}}}]}],
                          "word_accuracy": {"by", "source", "buckets": [... "scores": {system:
                                            {"value", "precision", "recall"}}]},
                          "salient": [{"better", "worse", "ngrams": [{"ngram", "n", "better", "worse",
                                       "score", "examples"}]}],
                          "differences": [{"system", "baseline", "metric", "segments", "documents",
                                           "histogram": {"edges", "counts"}}],
                          "phenomena": [{"check", "title", "segments", "items", "signature",
                                         "scores": {system: {"value", "ci", "matched", "items",
                                                             "missed": [{"seg_id", "missed", "source",
                                                                         "hypothesis"}]}}}]}}}

A run the analyses cannot read (one system, no segment scores, no stored
texts) gets ``{"run", "unavailable": reason}``: the page says why instead of
failing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.analysis import AnalysisSettings
    from evals.store.api import Store


def analysis_payload(store: "Store", run_id: int | str, *, baseline: str | None = None,
                     settings: "AnalysisSettings | None" = None) -> dict[str, Any]:
    """The analysis report of every system of ``run_id`` against ``baseline`` (default: the best system)."""
    from evals.analysis import AnalysisSettings, analyse_run
    from evals.errors import InputError, UsageError

    try:
        return analyse_run(store, run_id, baseline=baseline, settings=settings or AnalysisSettings())
    except (InputError, UsageError) as error:
        return {"run": run_id, "unavailable": str(error)}
