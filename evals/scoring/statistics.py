"""Statistics rows in the store's score cache: looked up in batches, written as cache entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from evals.metrics.base import Metric
    from evals.store.api import Store

#: Keys per cache lookup.
LOOKUP_BATCH = 5000


def cached_statistics(store: "Store", metric: "Metric", keys: Sequence[str],
                      batch: int = LOOKUP_BATCH) -> tuple["np.ndarray", list[int]]:
    """Rows for ``keys`` from the cache (zeros where missing) and the positions that are missing."""
    import numpy as np

    stats = np.zeros((len(keys), metric.n_stats), dtype=metric.stats_dtype)
    missing: list[int] = []
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        cached = store.score_cache.get_many(chunk)
        for i, key in enumerate(chunk, start):
            if key in cached:
                stats[i] = metric.stats_from_json(cached[key].stats)
            else:
                missing.append(i)
    return stats, missing


def cache_entries(metric: "Metric", signature: str, keys: Sequence[str], rows: Any,
                  values: Sequence[float]) -> list[tuple[str, str, float, list[int | float]]]:
    """``ScoreCache`` entries ``(key, signature, segment score, statistics)`` for computed rows."""
    return [(key, signature, float(value), metric.stats_to_json(row)) for key, row, value in zip(keys, rows, values)]
