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
failing. So does a run of more than ``MAX_TRANSLATIONS`` translations
(segments × systems): the analyses take about 0.5 ms per translation (12 s for
the 12 WMT22 systems, 22,500 translations), and every site build would pay it;
`mteval analyze` gives the same report for such a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.analysis import AnalysisSettings
    from evals.store.api import Store


#: The largest run (segments × systems) the dashboard analyses when it builds (about 2 minutes here).
MAX_TRANSLATIONS = 250_000


def analysis_payload(store: "Store", run_id: int | str, *, baseline: str | None = None,
                     settings: "AnalysisSettings | None" = None) -> dict[str, Any]:
    """The analysis report of every system of ``run_id`` against ``baseline`` (default: the best system)."""
    from evals.analysis import AnalysisSettings, analyse_run
    from evals.dashboard.payloads import translation_count
    from evals.errors import InputError, UsageError

    count = translation_count(store, store.resolve_run(run_id))
    if count > MAX_TRANSLATIONS:
        return {"run": run_id, "unavailable": (
            f"{count:,} translations (segments × systems) is more than the dashboard analyses when it builds "
            f"({MAX_TRANSLATIONS:,}); `mteval analyze {run_id}` prints the same report")}
    try:
        return analyse_run(store, run_id, baseline=baseline, settings=settings or AnalysisSettings())
    except (InputError, UsageError) as error:
        return {"run": run_id, "unavailable": str(error)}
