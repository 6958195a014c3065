"""Building metrics for a target language: once per run, the same way everywhere.

``metric_for`` is the one place a metric is built from a name, its options,
the target language of the outputs it scores and the number of references
per segment of the corpus (the metric's own ``configure`` adds what depends on
them, e.g. the tokenizer, ``nrefs`` in the signature; ``n_refs_of`` gives
that number for a corpus). ``RunMetrics`` keeps one instance per (name,
options, target language, number of references) for a whole run:
neural metrics load their model once and keep embedding caches across
systems. A metric that cannot be built (its checkpoint is not available) is
remembered as unavailable, so it is reported once and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evals.errors import Unavailable

if TYPE_CHECKING:
    from evals.metrics.base import Metric


def metric_for(name: str, options: Mapping[str, Any], target_lang: str,
               jobs: int | None = None, n_refs: int = 1) -> tuple["Metric", dict[str, Any]]:
    """The metric ``name`` for outputs in ``target_lang`` and ``n_refs`` references, and its options.

    The options travel with the metric so an executor can rebuild the very
    same metric on a worker.
    """
    from evals.metrics import get_metric, metric_class

    configured = metric_class(name).configure(dict(options), target_lang=target_lang, jobs=jobs, n_refs=n_refs)
    return get_metric(name, **configured), configured


def n_refs_of(references: Iterable[Sequence[str]]) -> int:
    """The ``n_refs`` a metric is built with for segments with these references (``Segment.references``).

    Their common number, or ``VARIABLE_REFS`` (``nrefs:var``) when it varies;
    segments without a reference do not count.
    """
    from evals.metrics.base import references_count

    return references_count(len(refs) for refs in references)


class RunMetrics:
    """A run's metrics, each built once per (name, options, target language, number of references)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs
        self._built: dict[tuple[str, str, str, int], tuple["Metric", dict[str, Any]] | Unavailable] = {}

    def get(self, name: str, options: Mapping[str, Any], target_lang: str,
            n_refs: int = 1) -> tuple["Metric", dict[str, Any]]:
        """``(metric, options)``; raises ``Unavailable`` (every time) for a metric that cannot be built."""
        from evals.store import canonical_json

        key = (name, canonical_json(dict(options)), target_lang, n_refs)
        if key not in self._built:
            try:
                self._built[key] = metric_for(name, options, target_lang, self.jobs, n_refs)
            except Unavailable as error:
                self._built[key] = error
        built = self._built[key]
        if isinstance(built, Unavailable):
            raise built
        return built

    def disable(self, metric: "Metric", error: Unavailable) -> None:
        """``metric`` turned out unusable on first use (its model did not load): unavailable from now on."""
        for key, built in self._built.items():
            if not isinstance(built, Unavailable) and built[0] is metric:
                self._built[key] = error

    def notices(self) -> Iterator[tuple[str, str]]:
        """``(metric name, message)`` for what each built metric wants the user to know (truncated inputs, …)."""
        for (name, *_), built in self._built.items():
            if not isinstance(built, Unavailable):
                for message in built[0].notices():
                    yield name, message
