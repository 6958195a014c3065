"""System-score bootstrap intervals through the interval cache.

1000 resamples per system, metric and corpus is the slowest thing a fully
cached re-run would otherwise redo; an interval is a pure function of the
statistics rows it pools, so it is cached by their keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evals.scoring.keys import interval_key
from evals.stats.settings import BOOTSTRAP, BootstrapSettings

if TYPE_CHECKING:
    from evals.metrics.base import Metric
    from evals.store.api import Store


def system_interval(store: "Store", metric: "Metric", signature: str, keys: Sequence[str], stats: Any,
                    doc_ids: Sequence[str], settings: BootstrapSettings = BOOTSTRAP) -> dict[str, Any]:
    """The interval details of a system score (``ci``, level, resampling unit, …), cached."""
    from evals.stats import bootstrap

    key = interval_key(signature, keys, doc_ids, settings)
    hit = store.interval_cache.get_many([key]).get(key)
    if hit is None:
        details = bootstrap.system_ci_details(metric, stats, doc_ids, settings)
        low, high = details["ci"]
        store.interval_cache.put_many([(key, signature, low, high)])
        return details
    low, high = hit
    resampling = bootstrap.choose_resampling(len(keys), doc_ids, "auto", settings.min_documents)
    return bootstrap.interval_details(low, high, settings.level, resampling.unit, resampling.reason,
                                      settings.n_resamples, settings.seed)
