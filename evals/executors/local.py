"""The default executor: everything in this process, batch after batch.

Metrics parallelise themselves where it pays (TER's statistics use every
core), so the local executor adds nothing on top: it is the reference the
distributed executor must agree with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from evals.corpora.model import Segment
from evals.executors.base import Executor, MetricJob, SystemJob

if TYPE_CHECKING:  # numpy only for annotations: the executors load before any metric needs it
    import numpy as np


class LocalExecutor(Executor):
    name = "local"

    def translate(
        self, job: SystemJob, system, batches: Sequence[Sequence[Segment]], context
    ) -> Iterator[tuple[int, list[str]]]:
        for index, batch in enumerate(batches):
            yield index, system.translate(list(batch), context)

    def segment_stats(
        self,
        job: MetricJob,
        metric,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        sources: Sequence[str] | None,
    ) -> np.ndarray:
        return metric.segment_stats(hyps, refs, sources=sources)

    def iter_segment_stats(
        self,
        job: MetricJob,
        metric,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        sources: Sequence[str] | None,
        batch_size: int,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """The metric's own chunking: a worker pool it streams (the lexical ones) lasts the whole input."""
        yield from metric.iter_segment_stats(hyps, refs, sources=sources, chunk_size=batch_size)
