"""Metric statistics of stored runs: what keys them, where they are cached, how a run's metrics are built.

The runner writes statistics, flags and intervals through this package and
comparisons read them back through it, so both agree on every key:

* ``keys`` -- the cache keys: a segment's statistics (document context
  included, where the metric takes it), its translation flags, a system
  score's bootstrap interval;
* ``statistics`` -- looking statistics rows up in the store's score cache and
  turning computed rows into cache entries;
* ``flags`` -- translation flags through the flag cache;
* ``intervals`` -- system-score intervals through the interval cache;
* ``metrics`` -- ``metric_for``: the one way a metric is built for a target
  language, and ``RunMetrics``, a run's metrics built once each.
"""

from evals.scoring.keys import (ScoringTexts, flags_key, interval_key, key_references, statistics_key,
                                statistics_texts)
from evals.scoring.metrics import RunMetrics, metric_for, n_refs_of

__all__ = ["RunMetrics", "ScoringTexts", "flags_key", "interval_key", "key_references", "metric_for", "n_refs_of",
           "statistics_key", "statistics_texts"]
