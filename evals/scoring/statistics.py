"""Statistics rows in the store's score cache: looked up in batches, written as cache entries.

An entry also keeps the segment's details (xCOMET error spans) when the metric
gave some, so a run that takes a segment from the cache stores the same
details as the run that computed it.
"""

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
                      batch: int = LOOKUP_BATCH,
                      details: dict[int, dict] | None = None) -> tuple["np.ndarray", list[int]]:
    """Rows for ``keys`` from the cache (zeros where missing) and the positions that are missing.

    With ``details`` (a dict), the cached details of each found position are
    put in it (``{position: details}``; entries without details are left out).
    """
    import numpy as np

    stats = np.zeros((len(keys), metric.n_stats), dtype=metric.stats_dtype)
    missing: list[int] = []
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        cached = store.score_cache.get_many(chunk)
        for i, key in enumerate(chunk, start):
            if key in cached:
                stats[i] = metric.stats_from_json(cached[key].stats)
                if details is not None and cached[key].details:
                    details[i] = cached[key].details
            else:
                missing.append(i)
    return stats, missing


def cache_entries(metric: "Metric", signature: str, keys: Sequence[str], rows: Any, values: Sequence[float],
                  details: Sequence[dict | None] | None = None) -> list[tuple[Any, ...]]:
    """``ScoreCache`` entries ``(key, signature, segment score, statistics, details)`` for computed rows.

    ``details`` (per row, None for none) are the metric's ``segment_details``.
    """
    found = details if details is not None else [None] * len(keys)
    return [(key, signature, float(value), metric.stats_to_json(row), detail or None)
            for key, row, value, detail in zip(keys, rows, values, found)]
