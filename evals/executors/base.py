"""The executor interface the runner talks to.

An executor receives *jobs* — how to rebuild a system or a metric from its
spec — alongside the live object the runner already built. A local executor
just uses the live object; a distributed one ships the job to workers, which
rebuild the system or metric once per worker (loading a model is the
expensive part, so it must happen once per actor, not once per batch).

Executors never touch the store or the caches: the runner decides what is
missing, hands only that over, and commits results batch by batch as they
come back, so a crash loses at most the batches in flight.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evals.corpora.model import Segment

if TYPE_CHECKING:  # numpy only for annotations: the executors load before any metric needs it
    import numpy as np


@dataclass(frozen=True)
class SystemJob:
    """Enough to rebuild a system anywhere: ``build_system(spec, **options)``, renamed to ``name``."""

    spec: str
    options: dict[str, Any] = field(default_factory=dict)
    name: str | None = None

    def build(self):
        from evals.systems.registry import build_system

        system = build_system(self.spec, **self.options)
        if self.name:
            system.name = self.name
        return system


@dataclass(frozen=True)
class MetricJob:
    """Enough to rebuild a metric anywhere: ``get_metric(name, **options)``."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def build(self):
        from evals.metrics import get_metric

        return get_metric(self.name, **self.options)


class Executor(ABC):
    """Computes translations and statistics rows; the runner stores them."""

    name: str

    @abstractmethod
    def translate(
        self, job: SystemJob, system, batches: Sequence[Sequence[Segment]], context
    ) -> Iterator[tuple[int, list[str]]]:
        """Translate each batch; yield ``(batch index, outputs)`` as batches finish.

        Batches may finish in any order. ``context`` is the run's
        ``TranslationContext`` (all segments of all corpora), which
        context-aware systems and ``file:`` need.
        """

    @abstractmethod
    def segment_stats(
        self,
        job: MetricJob,
        metric,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        sources: Sequence[str] | None,
    ) -> np.ndarray:
        """Statistics rows for every segment, in input order (``metric.segment_stats``)."""

    @abstractmethod
    def iter_segment_stats(
        self,
        job: MetricJob,
        metric,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        sources: Sequence[str] | None,
        batch_size: int,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Statistics in chunks of at most ``batch_size`` segments: ``(start, rows)`` as each finishes.

        The runner commits every chunk as it arrives, so a crash loses only
        chunks in flight. Chunks may come in any order. Chunking itself is
        the metric's (``Metric.iter_segment_stats``); a distributed executor
        starts its workers once for all chunks.
        """

    def close(self) -> None:
        """Release workers; the runner calls this when the run ends."""
