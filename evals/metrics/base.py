"""The metric interface: per-segment sufficient statistics, scored at three levels.

Why statistics and not scores: corpus metrics such as BLEU, chrF and TER are
*not* averages of sentence scores. A corpus score is computed from the
statistics (n-gram counts, edit counts, lengths) summed over its segments. So
each metric extracts one row of sufficient statistics per segment, once, and
every level is derived from those rows without touching the text again:

- **segment**: the sentence-level score of one row (``Metric.segment_score``);
- **document**: the *pooled* score of the document's rows -- exactly what the
  metric's corpus scorer gives on that document's segments, not a mean of
  sentence scores;
- **system**: the pooled score of all rows.

The same rows feed bootstrap resampling and paired tests later (resampling
rows and re-pooling is cheap), and they are what the store caches. A metric
whose corpus score is a plain mean of segment scores (COMET) fits the same
mould with rows ``[segment_score, 1]``: pooled, they give sum and count.

Statistics rows and their dtype
-------------------------------
``segment_stats`` returns an ``(n, k)`` ``numpy.ndarray`` whose dtype is the
metric's ``stats_dtype``:

- ``int64`` for count-based metrics (BLEU, chrF, chrF++): every statistic is an
  n-gram count or a length, so integers keep pooled sums exact;
- ``float64`` for TER: sacrebleu's TER row is ``[edits, mean reference
  length]``; the mean over references can be fractional, so the column is
  float. Integer-valued floats below 2**53 add exactly, so pooling stays exact
  (and order-independent) for single-reference data.

Rows are cached in a database as JSON: ``Metric.stats_to_json`` turns a row
into a plain list of Python ``int``/``float`` and ``Metric.stats_from_json``
validates such a list and turns it back into a row of the right dtype.

References
----------
A segment may have several references (``Segment.references``). Every
``refs`` argument below is one item per segment, and an item is either

- a string: the segment's one reference (what single-reference callers have
  always passed), or
- a tuple of strings: all of the segment's references, in order (one or more);
  a list is taken as the same tuple (what JSON gives back, e.g. from a Ray
  worker).

``reference_tuples`` turns either form into tuples and is the one check of it.
How several references are used is the metric's: sacrebleu's metrics take
them all at once (BLEU counts clipped n-gram matches against the maximum count
over the references and the closest reference length, chrF keeps the best
reference per segment, TER the fewest edits), COMET scores against each and
averages. A metric is built for a *number* of references
(``Metric.configure(..., n_refs=)``), known from the corpus before anything
is scored, because its signature records it (``nrefs:2``): a cache or a
baseline made with one reference never matches a run with two. A corpus whose
segments have different numbers of references is built with
``n_refs=VARIABLE_REFS`` (sacrebleu's convention: ``nrefs:var``), and each
segment is then scored against the references it has.

Signatures
----------
``Metric.signature()`` identifies everything that determines the statistics
and the scores, so it can key a cache. For sacrebleu-backed metrics it is
sacrebleu's own corpus signature, verbatim (what ``sacrebleu -m ...`` prints),
followed by mteval keys that say how our levels are scored (see
``evals.metrics.lexical`` for the exact keys).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from evals.errors import InputError, NonFiniteScore

if TYPE_CHECKING:
    import numpy as np

LEVELS = ("segment", "document", "system")
#: ``n_refs`` of a corpus whose segments have different numbers of references (sacrebleu's ``-1``: ``nrefs:var``).
VARIABLE_REFS = -1


@dataclass(frozen=True)
class LevelScores:
    """Scores of one metric for one system at all three levels.

    ``document`` is keyed by document id in order of first appearance.
    ``signature`` is ``Metric.signature()`` of the metric that produced them.
    """

    segment: list[float]
    document: dict[str, float]
    system: float
    signature: str


class Metric(ABC):
    """A metric that scores from per-segment sufficient statistics.

    Subclasses set the class attributes below and implement ``signature``,
    ``n_stats``, ``segment_stats``, ``_score_pooled`` and ``segment_score``.
    ``name`` is the registry name (``evals.metrics.get_metric``).
    """

    name: str
    needs_reference: bool = True
    needs_source: bool = False
    higher_is_better: bool = True
    # A numpy dtype name: metrics are built (for their signatures) before numpy is needed.
    stats_dtype: str = "int64"
    #: True when each segment's inputs carry its document's earlier segments (``add_context``).
    doc_context: bool = False
    #: True when building the metric loads a model (COMET): validated on first use, not up front.
    loads_model: ClassVar[bool] = False
    #: The option naming the model checkpoint the metric loads (COMET's ``model``), None without one;
    #: ``mteval models fetch`` reads it and ``default_model`` before any model is here to build with.
    model_option: ClassVar[str | None] = None
    #: The checkpoint used when ``model_option`` is not given.
    default_model: ClassVar[str | None] = None
    #: The option setting how many worker processes the metric starts itself (sacrebleu's ``n_jobs``),
    #: None when it starts none: an executor that is the parallelism (Ray) sets it to 1.
    jobs_option: ClassVar[str | None] = None
    #: How well sentence scores order segments by quality, for listing the segments that changed most
    #: (higher: preferred; sentence BLEU is mostly zeros, chrF is smooth). 0: no claim.
    segment_ranking: ClassVar[int] = 0

    @classmethod
    def configure(cls, options: dict[str, Any], *, target_lang: str, jobs: int | None = None,
                  n_refs: int = 1) -> dict[str, Any]:
        """The options to build this metric with for outputs in ``target_lang``.

        A capability of the plugin: lexical metrics tokenise by target
        language, TER parallelises over ``jobs`` workers, reference-based
        metrics record ``n_refs`` (the corpus's number of references per
        segment, or ``VARIABLE_REFS``) in their signature. Callers pass every
        metric the same arguments; the default changes nothing.
        """
        return dict(options)

    @property
    @abstractmethod
    def n_stats(self) -> int:
        """Number of statistics per segment (columns of ``segment_stats``)."""

    @abstractmethod
    def signature(self) -> str:
        """Identify the metric and every option that changes stats or scores."""

    @abstractmethod
    def segment_stats(
        self,
        hyps: Sequence[str],
        refs: Sequence[str | tuple[str, ...]] | None,
        *,
        sources: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Per-segment sufficient statistics, shape ``(len(hyps), n_stats)``.

        ``refs[i]`` is segment ``i``'s reference or tuple of references (see
        "References" in the module docstring). ``sources`` is accepted by every metric so callers can pass it
        uniformly; only metrics with ``needs_source`` use it.
        """

    @abstractmethod
    def _score_pooled(self, pooled: np.ndarray) -> float:
        """Corpus score from one row of already summed statistics."""

    @abstractmethod
    def segment_score(self, stats_row: Any) -> float:
        """Sentence-level score of one segment's statistics row."""

    # -- optional hooks: every metric has them, the defaults do nothing ----------------------

    def add_context(
        self,
        sources: Sequence[str],
        hyps: Sequence[str],
        refs: Sequence[str | tuple[str, ...]] | None,
        doc_ids: Sequence[str],
    ) -> tuple[list[str], list[str], list[Any] | None]:
        """The texts a segment is scored (and cached) on: with document context where ``doc_context``."""
        return list(sources), list(hyps), None if refs is None else list(refs)

    def segment_details(
        self,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        *,
        sources: Sequence[str] | None = None,
    ) -> list[dict[str, Any] | None] | None:
        """Per-segment details beyond the score (xCOMET error spans); None when there are none."""
        return None

    def system_details(self, stats: Any) -> dict[str, Any]:
        """What a system-level score row records beyond its value and interval."""
        return {}

    def notices(self) -> list[str]:
        """One line per thing the user should know about this run's scores."""
        return []

    def iter_segment_stats(
        self,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        *,
        sources: Sequence[str] | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """``segment_stats`` in order, ``(start, rows)`` at most ``chunk_size`` rows at a time."""
        chunk_size = max(1, int(chunk_size))
        for start in range(0, len(hyps), chunk_size):
            end = start + chunk_size
            yield start, self.segment_stats(
                hyps[start:end], None if refs is None else refs[start:end],
                sources=None if sources is None else sources[start:end])

    def score_from_stats(self, stats_sum_or_rows: Any) -> float:
        """Pooled (corpus) score.

        A 1-D argument is taken as statistics already summed over a corpus;
        a 2-D argument is one row per segment and is summed here first.
        """
        import numpy as np

        stats = np.asarray(stats_sum_or_rows)
        if stats.ndim == 1:
            return self._score_pooled(self._check_row(stats))
        return self._score_pooled(pool_stats(self.check_stats(stats)))

    def segment_scores(self, stats: Any) -> list[float]:
        """Sentence-level scores of every row (subclasses may batch this)."""
        return [self.segment_score(row) for row in self.check_stats(stats)]

    def check_stats(self, stats: Any) -> np.ndarray:
        """Return ``stats`` as a 2-D array of this metric's shape and dtype."""
        import numpy as np

        array = np.asarray(stats)
        if array.ndim != 2 or array.shape[1] != self.n_stats:
            raise InputError(
                f"{self.name}: expected statistics of shape (n, {self.n_stats}), "
                f"got {array.shape}",
                field="stats",
            )
        return self._as_stats_dtype(array)

    def _check_row(self, row: np.ndarray) -> np.ndarray:
        if row.shape != (self.n_stats,):
            raise InputError(
                f"{self.name}: expected a statistics row of length {self.n_stats}, "
                f"got shape {row.shape}",
                field="stats",
            )
        return self._as_stats_dtype(row)

    def _as_stats_dtype(self, array: np.ndarray) -> np.ndarray:
        """Convert to ``stats_dtype``, refusing conversions that would lose values."""
        import numpy as np

        if array.dtype == self.stats_dtype:
            return array
        if array.dtype.kind not in "biuf":
            raise InputError(
                f"{self.name}: statistics must be numbers, got dtype {array.dtype}",
                field="stats",
            )
        converted = array.astype(self.stats_dtype)
        if array.dtype.kind == "f" and not np.array_equal(converted, array):
            raise InputError(
                f"{self.name}: statistics must be finite integers", field="stats"
            )
        return converted

    def stats_to_json(self, row: Any) -> list[int | float]:
        """A row as a plain JSON-serialisable list of Python numbers."""
        import numpy as np

        return self._check_row(np.asarray(row)).tolist()

    def stats_from_json(self, obj: Any) -> np.ndarray:
        """Validate a JSON-decoded row (``stats_to_json`` output) and rebuild it."""
        import numpy as np

        if not isinstance(obj, list) or len(obj) != self.n_stats:
            raise InputError(
                f"{self.name}: cached statistics must be a list of {self.n_stats} numbers",
                field="stats",
            )
        integral = np.issubdtype(self.stats_dtype, np.integer)
        for value in obj:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(
                    f"{self.name}: cached statistic {value!r} is not a number", field="stats"
                )
            if not math.isfinite(value) or (integral and not isinstance(value, int)):
                kind = "an integer" if integral else "a finite number"
                raise InputError(
                    f"{self.name}: cached statistic {value!r} is not {kind}", field="stats"
                )
        return np.asarray(obj, dtype=self.stats_dtype)


def reference_tuples(metric: str, refs: Sequence[Any], n: int | None = None) -> list[tuple[str, ...]]:
    """Every segment's references as a non-empty tuple of strings (see "References" above), or an InputError.

    ``n`` is the number of hypotheses the references must match.
    """
    if isinstance(refs, str) or not isinstance(refs, Sequence):
        raise InputError(f"{metric}: reference segments must be a list of strings", field="reference")
    if n is not None and len(refs) != n:
        raise InputError(f"{metric}: {n} hypotheses but {len(refs)} references", field="reference")
    out: list[tuple[str, ...]] = []
    for index, item in enumerate(refs):
        item = (item,) if isinstance(item, str) else tuple(item) if isinstance(item, list) else item
        if not isinstance(item, tuple) or not item or not all(isinstance(r, str) for r in item):
            raise InputError(
                f"{metric}: reference {index + 1} is {type(item).__name__}, not a string or a "
                "non-empty tuple of strings", field="reference")
        out.append(item)
    return out


def references_count(counts: Iterable[int]) -> int:
    """``n_refs`` for segments with these numbers of references: the common count, else ``VARIABLE_REFS``.

    Segments without a reference (count 0) are not scored by reference-based
    metrics and do not count; no segment with one gives 1.
    """
    found = {count for count in counts if count}
    if len(found) > 1:
        return VARIABLE_REFS
    return found.pop() if found else 1


def pool_stats(stats: np.ndarray) -> np.ndarray:
    """Sum statistics rows, in row order, into one corpus row.

    Integer sums are exact in any order. Float columns are accumulated row by
    row, the order sacrebleu's own ``sum_of_lists`` uses, so pooled floats are
    bit-identical to sacrebleu's rather than numpy's pairwise sum.
    """
    import numpy as np

    if len(stats) == 0:
        raise InputError("cannot pool statistics of zero segments", field="stats")
    if np.issubdtype(stats.dtype, np.integer):
        return stats.sum(axis=0)
    return np.add.accumulate(stats, axis=0)[-1]


def score_levels(metric: Metric, stats: Any, doc_ids: Sequence[str] | None,
                 segment_values: Sequence[float | None] | None = None) -> LevelScores:
    """Segment, document and system scores from statistics computed once.

    ``doc_ids[i]`` names the document of row ``i``; a document's rows need not
    be contiguous and are pooled in their original order. ``doc_ids=None``
    skips the document level. ``segment_values`` are segment scores the caller
    already has (``metric.segment_scores`` of the same rows, None where not
    known): only the missing ones are computed.
    """
    rows = metric.check_stats(stats)
    if len(rows) == 0:
        raise InputError(f"{metric.name}: no segments to score", field="stats")
    document: dict[str, float] = {}
    if doc_ids is not None:
        for doc_id, index in _group_rows(doc_ids, len(rows)).items():
            document[doc_id] = metric.score_from_stats(rows[index])
    return LevelScores(
        segment=_segment_values(metric, rows, segment_values),
        document=document,
        system=metric.score_from_stats(rows),
        signature=metric.signature(),
    )


def _segment_values(metric: Metric, rows: Any, known: Sequence[float | None] | None) -> list[float]:
    """``metric.segment_scores(rows)``, computing only the values ``known`` lacks."""
    if known is None:
        return metric.segment_scores(rows)
    if len(known) != len(rows):
        raise ValueError(f"got {len(known)} segment scores for {len(rows)} rows")
    missing = [i for i, value in enumerate(known) if value is None]
    values = list(known)
    if missing:
        for i, value in zip(missing, metric.segment_scores(rows[missing])):
            values[i] = value
    return values


def _group_rows(doc_ids: Sequence[str], n_rows: int) -> dict[str, list[int]]:
    """Row indices of each document, documents in order of first appearance."""
    if len(doc_ids) != n_rows:
        raise InputError(
            f"got {len(doc_ids)} document ids for {n_rows} segments", field="doc_id"
        )
    groups: dict[str, list[int]] = {}
    for index, doc_id in enumerate(doc_ids):
        if not isinstance(doc_id, str):
            raise InputError(
                f"document id of segment {index + 1} must be a string, "
                f"got {type(doc_id).__name__}",
                field="doc_id",
            )
        groups.setdefault(doc_id, []).append(index)
    return groups


def check_finite(
    metric_name: str,
    values: Sequence[float],
    segment_ids: Sequence[str],
    *,
    system: str | None = None,
    corpus: str | None = None,
    limit: int = 5,
) -> None:
    """Raise ``NonFiniteScore`` when any value is NaN or infinite, naming the segments.

    ``values[i]`` is the score of segment ``segment_ids[i]`` (for a document or
    system score pass its document id or the corpus name). Call it before the
    values reach a cache or the store: a NaN cached as "no score" would be
    served again on every re-run, and the run would look complete.
    """
    if len(values) != len(segment_ids):
        raise InputError(f"{metric_name}: {len(values)} values for {len(segment_ids)} segments", field="stats")
    bad = [(seg_id, float(value)) for seg_id, value in zip(segment_ids, values) if not math.isfinite(float(value))]
    if not bad:
        return
    shown = ", ".join(f"'{seg_id}' ({value})" for seg_id, value in bad[:limit])
    if len(bad) > limit:
        shown += f" and {len(bad) - limit} more"
    where = ", ".join(part for part in (f"system '{system}'" if system else "",
                                       f"corpus '{corpus}'" if corpus else "") if part)
    raise NonFiniteScore(
        f"metric '{metric_name}' gave a non-finite score for {len(bad)} of {len(values)} segments"
        + (f" ({where})" if where else "") + f": {shown}",
        hint="the metric cannot score these inputs; a damaged or incompatible checkpoint?",
    )
