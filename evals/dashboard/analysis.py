"""The dashboard's analysis view: ``analysis_payload(store, run_id)``, the same JSON as ``mteval analyze --format json``.

Every system of the run against the run's best system by the default metric
(chrF), so the page shows where each system gains or loses on the leader.
Schema (one entry per corpus; ``phenomena`` is filled by the zh→en checks)::

    {"run", "metric", "baseline", "systems", "settings",
     "corpora": {corpus: {"buckets": [{"by", "title", "buckets": [{"label", "lo", "hi", "n",
                                        "scores": {system: {"value", "ci"}}}]}],
                          "word_accuracy": {"by", "source", "buckets": [... "scores": {system:
                                            {"value", "precision", "recall"}}]},
                          "salient": [{"better", "worse", "ngrams": [{"ngram", "n", "better", "worse",
                                       "score", "examples"}]}],
                          "differences": [{"system", "baseline", "metric", "segments", "documents",
                                           "histogram": {"edges", "counts"}}],
                          "phenomena": []}}}
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

    return analyse_run(store, run_id, baseline=baseline, settings=settings or AnalysisSettings())
