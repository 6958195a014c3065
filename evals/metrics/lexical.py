"""BLEU, chrF, chrF++ and TER through sacrebleu, scored from per-segment statistics.

Nothing here re-implements metric arithmetic. Each class wraps sacrebleu
metric objects and calls the hooks sacrebleu itself uses between reading text
and printing a score (sacrebleu 2.x, checked against 2.6):

- ``Metric._extract_corpus_statistics(hyps, [refs])`` -- reference caching,
  preprocessing/tokenisation and ``_compute_segment_statistics``: one list of
  sufficient statistics per segment. It is what ``corpus_score`` calls.
- ``Metric._compute_score_from_stats(summed_row)`` -- the score from summed
  statistics. ``corpus_score`` reaches it through ``_aggregate_and_compute``
  (``sum_of_lists`` then this); ``sentence_score`` reaches it with a single row.

Levels, and how they match the sacrebleu command line:

- system and document scores equal ``sacrebleu REF -i HYP -m bleu chrf ter``
  (``--chrf-word-order 2`` for chrF++) on the same lines, and sacrebleu's
  Python ``corpus_score``;
- segment scores equal ``sacrebleu REF -i HYP -m METRIC --sentence-level``.
  For BLEU that means **effective order** (the CLI switches it on in
  sentence-level mode, ``eff:yes``), while corpus-level BLEU keeps the
  ``effective_order`` option (default off, ``eff:no``). chrF and TER score a
  sentence exactly as a one-segment corpus.

Signatures (``signature()``) are sacrebleu's corpus signature verbatim, then:

- ``seg-eff:yes`` (BLEU only): segment scores use effective order;
- ``ngram:N`` (BLEU only, when ``max_ngram_order`` is not 4; sacrebleu's own
  signature omits it although it changes the statistics);
- ``doc:pooled``: document scores pool statistics (never a mean of sentences).

``sacrebleu_signature(level)`` gives the unadorned string sacrebleu prints.

Statistic extraction runs in ``n_jobs`` worker processes (default: every CPU
this process may use) over contiguous chunks of segments, reassembled in
order. Each segment's row depends only on that segment, so results are
identical for every ``n_jobs``/``chunk_size``. Inputs shorter than
``min_parallel_segments`` (default per metric, ``MIN_PARALLEL_SEGMENTS``) are
processed in-process so that small calls do not pay for starting workers.
Workers come from ``concurrent.futures.ProcessPoolExecutor`` with the
platform's default start method, one pool per call.

Target language (``target_lang``, "en" or "zh") picks sacrebleu's tokenisation:
BLEU uses ``13a`` for English and ``zh`` for Chinese; TER turns on tercom's
normalisation with Asian support for Chinese (otherwise an unsegmented Chinese
sentence is a single "word"); chrF works on characters and ignores it. See
``BLEU`` for a known bug in sacrebleu's ``zh`` tokenizer.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from typing import TYPE_CHECKING, Any

from sacrebleu.metrics.base import Metric as _SacreMetric
from sacrebleu.metrics.base import Score as _SacreScore
from sacrebleu.metrics.bleu import BLEU as _SacreBLEU
from sacrebleu.metrics.chrf import CHRF as _SacreCHRF
from sacrebleu.metrics.ter import TER as _SacreTER

from evals.errors import InputError, did_you_mean
from evals.metrics.base import LEVELS, Metric, pool_stats
from evals.metrics.options import bool_option as _bool
from evals.metrics.options import non_negative_int as _non_negative_int
from evals.metrics.options import positive_int as _positive_int

if TYPE_CHECKING:
    import numpy as np

TARGET_LANGS = ("en", "zh")

# Chunks per worker: more than one so a worker that drew long segments does
# not leave the others idle at the end.
_CHUNKS_PER_JOB = 4


# Segments per call into sacrebleu. Its extraction first builds the n-gram
# counters of *every* reference of the call, then walks the hypotheses; with
# thousands of references alive at once, the garbage collector's full passes
# and the memory traffic grow with the call, and large calls ran 1.5-1.9x
# slower per segment than calls of a few hundred (BLEU, chrF++; measured).
_SACREBLEU_CALL = 200


def _extract_rows(
    sacre_metric: _SacreMetric, hyps: Sequence[str], refs: Sequence[str]
) -> list[list[int | float]]:
    """sacrebleu's statistics for each (hypothesis, reference) pair.

    Module-level so worker processes can unpickle it. Rows depend only on
    their own segment, so splitting the call changes no value.
    """
    rows: list[list[int | float]] = []
    for start in range(0, len(hyps), _SACREBLEU_CALL):
        end = start + _SACREBLEU_CALL
        rows += sacre_metric._extract_corpus_statistics(hyps[start:end], [refs[start:end]])
    return rows


class SacrebleuMetric(Metric):
    """A ``Metric`` backed by a sacrebleu corpus metric and a sentence metric.

    The two sacrebleu objects differ only where sacrebleu's CLI makes
    sentence-level scoring differ (BLEU's effective order); statistics always
    come from the corpus object.
    """

    # Below this many segments, extraction stays in-process: starting and
    # joining a pool costs ~25 ms, which pays off from about this size
    # (measured on a 2-core machine; subclasses set their own, cheaper metrics
    # need more segments).
    MIN_PARALLEL_SEGMENTS = 200
    #: Statistics are extracted in ``n_jobs`` worker processes (see the module docstring).
    jobs_option = "n_jobs"

    def __init__(
        self,
        corpus: _SacreMetric,
        sentence: _SacreMetric,
        *,
        target_lang: str,
        n_jobs: int | None,
        chunk_size: int | None,
        min_parallel_segments: int | None,
    ) -> None:
        # Our API is single-reference; sacrebleu learns this from its first
        # reference pass, but signatures must be available before any scoring.
        for sacre_metric in (corpus, sentence):
            sacre_metric.num_refs = 1
        self._corpus = corpus
        self._sentence = sentence
        self.target_lang = target_lang
        self.n_jobs = _optional_positive_int(n_jobs, "n_jobs") or _usable_cpus()
        self.chunk_size = _optional_positive_int(chunk_size, "chunk_size")
        if min_parallel_segments is None:
            min_parallel_segments = self.MIN_PARALLEL_SEGMENTS
        self.min_parallel_segments = _non_negative_int(
            min_parallel_segments, "min_parallel_segments"
        )

    @classmethod
    def configure(cls, options: dict[str, Any], *, target_lang: str, jobs: int | None = None) -> dict[str, Any]:
        """Tokenisation follows the target language (``13a`` for English, ``zh`` for Chinese)."""
        options = dict(options)
        options.setdefault("target_lang", target_lang)
        return options

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.signature()}>"

    # -- signatures ---------------------------------------------------------

    def sacrebleu_signature(self, level: str = "system") -> str:
        """The signature sacrebleu prints for scores at ``level``."""
        if level not in LEVELS:
            raise InputError(
                f"unknown level {level!r}",
                field="level",
                hint=did_you_mean(level, LEVELS) or f"use one of {', '.join(LEVELS)}",
            )
        source = self._sentence if level == "segment" else self._corpus
        return source.get_signature().format()

    def signature(self) -> str:
        extra = "".join(f"|{key}:{value}" for key, value in self._level_keys())
        return self.sacrebleu_signature("system") + extra

    def _level_keys(self) -> list[tuple[str, str]]:
        """mteval's signature keys after sacrebleu's (see module docstring)."""
        return [("doc", "pooled")]

    # -- statistics ---------------------------------------------------------

    def segment_stats(
        self,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        *,
        sources: Sequence[str] | None = None,
    ) -> np.ndarray:
        import numpy as np

        hyps, refs = _check_segments(self.name, hyps, refs)
        if not hyps:
            return np.empty((0, self.n_stats), dtype=self.stats_dtype)
        rows = self._extract(hyps, refs)
        return np.array(rows, dtype=self.stats_dtype).reshape(len(hyps), self.n_stats)

    def iter_segment_stats(
        self,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        *,
        sources: Sequence[str] | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """``segment_stats`` in order, ``(start, rows)`` at most ``chunk_size`` at a time, streamed.

        One worker pool serves the whole input and keeps a few chunks in
        flight, so the caller stores chunk *k* while the workers extract
        *k + 1*: on a large corpus the writes no longer wait for the
        statistics or the other way round. Rows equal ``segment_stats``'s.
        """
        hyps, refs = _check_segments(self.name, hyps, refs)
        chunk_size = max(1, int(chunk_size))
        n_jobs = self.n_jobs if len(hyps) >= self.min_parallel_segments else 1
        if n_jobs == 1:
            for start in range(0, len(hyps), chunk_size):
                rows = _extract_rows(self._corpus, hyps[start:start + chunk_size], refs[start:start + chunk_size])
                yield start, self._as_array(rows)
            return
        size = min(chunk_size, self.chunk_size or math.ceil(len(hyps) / (n_jobs * _CHUNKS_PER_JOB)))
        starts = iter(range(0, len(hyps), size))
        in_flight: deque[tuple[int, Any]] = deque()
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            def submit() -> None:
                start = next(starts, None)
                if start is not None:
                    in_flight.append((start, pool.submit(_extract_rows, self._corpus, hyps[start:start + size],
                                                         refs[start:start + size])))

            for _ in range(2 * n_jobs):
                submit()
            while in_flight:
                start, future = in_flight.popleft()
                rows = future.result()
                submit()
                yield start, self._as_array(rows)

    def _as_array(self, rows: list[list[int | float]]) -> np.ndarray:
        import numpy as np

        return np.array(rows, dtype=self.stats_dtype).reshape(len(rows), self.n_stats)

    def _extract(self, hyps: list[str], refs: list[str]) -> list[list[int | float]]:
        """Rows in input order, from worker processes when that pays off."""
        n_jobs = self.n_jobs if len(hyps) >= self.min_parallel_segments else 1
        size = self.chunk_size or math.ceil(len(hyps) / (n_jobs * _CHUNKS_PER_JOB))
        starts = range(0, len(hyps), size)
        if n_jobs == 1 or len(starts) == 1:
            return _extract_rows(self._corpus, hyps, refs)
        hyp_chunks = [hyps[start : start + size] for start in starts]
        ref_chunks = [refs[start : start + size] for start in starts]
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(starts))) as pool:
            parts = pool.map(_extract_rows, repeat(self._corpus), hyp_chunks, ref_chunks)
            return [row for part in parts for row in part]

    # -- scores -------------------------------------------------------------

    def _score_pooled(self, pooled: np.ndarray) -> float:
        # .tolist() hands sacrebleu Python numbers, as its own sum_of_lists does.
        return float(self._corpus._compute_score_from_stats(pooled.tolist()).score)

    def segment_score(self, stats_row: Any) -> float:
        import numpy as np

        row = self._check_row(np.asarray(stats_row))
        return float(self._sentence._compute_score_from_stats(row.tolist()).score)

    def segment_scores(self, stats: Any) -> list[float]:
        score = self._sentence._compute_score_from_stats
        return [float(score(row).score) for row in self.check_stats(stats).tolist()]

    def sacrebleu_score(self, stats_sum_or_rows: Any, level: str = "system") -> _SacreScore:
        """sacrebleu's full ``Score`` object (BLEU's BP, lengths, precisions...).

        ``level="segment"`` scores one row as ``--sentence-level`` does.
        """
        import numpy as np

        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}", field="level")
        stats = np.asarray(stats_sum_or_rows)
        if level == "segment":
            return self._sentence._compute_score_from_stats(self._check_row(stats).tolist())
        if stats.ndim == 2:
            stats = pool_stats(self.check_stats(stats))
        return self._corpus._compute_score_from_stats(self._check_row(stats).tolist())


class BLEU(SacrebleuMetric):
    """BLEU (Papineni et al., 2002) as sacrebleu computes it.

    Statistics per segment (int64): ``[hyp_len, ref_len, matches_1..N,
    totals_1..N]`` with N = ``max_ngram_order``.

    Tokenisation follows ``target_lang``: ``13a`` for English, ``zh`` for
    Chinese (``tokenize`` overrides it). sacrebleu 2.6's ``zh`` tokenizer has an
    open bug in its CJK ranges (``_UCODE_RANGES`` in
    ``sacrebleu/tokenizers/tokenizer_zh.py``; mjpost/sacrebleu#298): it puts
    spaces around every character in those ranges, and two rows are written
    with five hex digits after ``\\u`` -- ``('\\u20000', '\\u2a6d6')`` and
    ``('\\u2f800', '\\u2fa1d')``. ``\\u`` takes exactly four, so each bound is a
    two-character string (``'\\u2000' + '0'``...), and comparing a character
    against them gives:

    - U+2001..U+2A6D counted as Chinese: General Punctuation (em dash, curly
      quotes, ellipsis), currency signs (U+20AC euro), letterlike symbols,
      number forms, arrows, mathematical operators, technical symbols, box
      drawing, Braille... are split off as tokens, even from Latin text they
      touch;
    - the intended blocks, CJK Unified Ideographs Extension B
      (U+20000..U+2A6D6) and CJK Compatibility Ideographs Supplement
      (U+2F800..U+2FA1D), never counted: runs of those ideographs stay one
      token (the bogus U+2F81..U+2FA1 lies inside the Kangxi Radicals row and
      changes nothing).

    The table also predates later Unicode versions, so these ideographs are not
    split either: U+4DB6..U+4DBF (end of Extension A), U+9FBC..U+9FFF (end of
    the URO), U+FA2E..U+FA2F, U+FA6B..U+FA6D and U+FADA..U+FAFF (Compatibility
    Ideographs) and Extensions C-I (U+2A700 and up). We use the tokenizer
    unchanged so scores stay comparable with published ``tok:zh`` BLEU; the
    signature records ``tok:zh`` and the sacrebleu version.
    """

    name = "bleu"
    segment_ranking = 1
    stats_dtype = "int64"
    MIN_PARALLEL_SEGMENTS = 500

    def __init__(
        self,
        *,
        target_lang: str = "en",
        tokenize: str | None = None,
        lowercase: bool = False,
        smooth_method: str = "exp",
        smooth_value: float | None = None,
        max_ngram_order: int = 4,
        effective_order: bool = False,
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        min_parallel_segments: int | None = None,
    ) -> None:
        target_lang = _target_lang(target_lang)
        if tokenize is None:
            tokenize = "zh" if target_lang == "zh" else "13a"
        _choice(tokenize, list(_SacreBLEU.TOKENIZERS), "tokenize")
        _choice(smooth_method, list(_SacreBLEU.SMOOTH_DEFAULTS), "smooth_method")
        if smooth_value is not None and (
            isinstance(smooth_value, bool) or not isinstance(smooth_value, (int, float))
        ):
            raise InputError("must be a number", field="smooth_value")
        self.max_ngram_order = _positive_int(max_ngram_order, "max_ngram_order")
        options = dict(
            lowercase=_bool(lowercase, "lowercase"),
            force=True,  # the "tokenized period" warning is a corpus check, not ours
            tokenize=tokenize,
            smooth_method=smooth_method,
            smooth_value=smooth_value,
            max_ngram_order=self.max_ngram_order,
            trg_lang=target_lang,
        )
        effective_order = _bool(effective_order, "effective_order")
        try:
            corpus = _SacreBLEU(effective_order=effective_order, **options)
            sentence = _SacreBLEU(effective_order=True, **options)
        except ImportError as error:
            raise InputError(
                f"tokenizer {tokenize!r} needs a package that is not installed ({error.name})",
                field="tokenize",
            ) from error
        super().__init__(
            corpus,
            sentence,
            target_lang=target_lang,
            n_jobs=n_jobs,
            chunk_size=chunk_size,
            min_parallel_segments=min_parallel_segments,
        )

    @property
    def n_stats(self) -> int:
        return 2 + 2 * self.max_ngram_order

    def _level_keys(self) -> list[tuple[str, str]]:
        keys = [("seg-eff", "yes")]
        if self.max_ngram_order != 4:
            keys.append(("ngram", str(self.max_ngram_order)))
        return keys + super()._level_keys()


class ChrF(SacrebleuMetric):
    """chrF (Popović 2015) and, with ``word_order=2``, chrF++ (Popović 2017).

    Statistics per segment (int64): ``[hyp, ref, match]`` counts for each
    character order 1..``char_order`` then each word order 1..``word_order``.
    ``name`` is ``"chrf"`` followed by one ``+`` per word order.
    """

    segment_ranking = 3
    stats_dtype = "int64"

    def __init__(
        self,
        *,
        char_order: int = 6,
        word_order: int = 0,
        beta: int = 2,
        lowercase: bool = False,
        whitespace: bool = False,
        eps_smoothing: bool = False,
        target_lang: str = "en",
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        min_parallel_segments: int | None = None,
    ) -> None:
        self.char_order = _positive_int(char_order, "char_order")
        self.word_order = _non_negative_int(word_order, "word_order")
        self.name = "chrf" + "+" * self.word_order
        metric = _SacreCHRF(
            char_order=self.char_order,
            word_order=self.word_order,
            beta=_non_negative_int(beta, "beta"),
            lowercase=_bool(lowercase, "lowercase"),
            whitespace=_bool(whitespace, "whitespace"),
            eps_smoothing=_bool(eps_smoothing, "eps_smoothing"),
        )
        super().__init__(
            metric,
            metric,
            target_lang=_target_lang(target_lang),
            n_jobs=n_jobs,
            chunk_size=chunk_size,
            min_parallel_segments=min_parallel_segments,
        )

    @property
    def n_stats(self) -> int:
        return 3 * (self.char_order + self.word_order)


class TER(SacrebleuMetric):
    """Translation edit rate (Snover et al., 2006), sacrebleu's tercom port.

    Statistics per segment (float64): ``[edits, reference length]`` (sacrebleu
    averages the length over references, hence float). TER is the slow one:
    its shift search is quadratic-ish in Python, so extraction runs on all
    cores (see the module docstring).

    ``normalized`` and ``asian_support`` default to on for Chinese targets
    (characters become words) and off for English (tercom's defaults, as the
    sacrebleu CLI uses them).
    """

    name = "ter"
    segment_ranking = 2
    higher_is_better = False
    stats_dtype = "float64"
    MIN_PARALLEL_SEGMENTS = 100

    @classmethod
    def configure(cls, options: dict[str, Any], *, target_lang: str, jobs: int | None = None) -> dict[str, Any]:
        """TER is the slow one: it takes the run's ``--jobs`` as its worker count."""
        options = super().configure(options, target_lang=target_lang, jobs=jobs)
        if jobs:
            options.setdefault("n_jobs", jobs)
        return options

    def __init__(
        self,
        *,
        target_lang: str = "en",
        normalized: bool | None = None,
        no_punct: bool = False,
        asian_support: bool | None = None,
        case_sensitive: bool = False,
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        min_parallel_segments: int | None = None,
    ) -> None:
        target_lang = _target_lang(target_lang)
        chinese = target_lang == "zh"
        normalized = chinese if normalized is None else _bool(normalized, "normalized")
        asian_support = chinese if asian_support is None else _bool(asian_support, "asian_support")
        metric = _SacreTER(
            normalized=normalized,
            no_punct=_bool(no_punct, "no_punct"),
            asian_support=asian_support,
            case_sensitive=_bool(case_sensitive, "case_sensitive"),
        )
        super().__init__(
            metric,
            metric,
            target_lang=target_lang,
            n_jobs=n_jobs,
            chunk_size=chunk_size,
            min_parallel_segments=min_parallel_segments,
        )

    @property
    def n_stats(self) -> int:
        return 2


# -- argument checks ---------------------------------------------------------


def _check_segments(
    metric: str, hyps: Sequence[str], refs: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """Both sides as lists of strings of equal length, or an InputError."""
    if refs is None:
        raise InputError(f"{metric} needs references", field="reference")
    for side, values in (("hypothesis", hyps), ("reference", refs)):
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise InputError(
                f"{metric}: {side} segments must be a list of strings", field=side
            )
    if len(hyps) != len(refs):
        raise InputError(
            f"{metric}: {len(hyps)} hypotheses but {len(refs)} references", field="reference"
        )
    for side, values in (("hypothesis", hyps), ("reference", refs)):
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise InputError(
                    f"{metric}: {side} {index + 1} is {type(value).__name__}, not a string",
                    field=side,
                )
    return list(hyps), list(refs)


def _target_lang(value: Any) -> str:
    """Normalise "zh-Hans", "EN_us"... to "zh"/"en"; refuse other languages."""
    if not isinstance(value, str):
        raise InputError("must be a language code such as 'en' or 'zh'", field="target_lang")
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    if primary not in TARGET_LANGS:
        raise InputError(
            f"unsupported target language {value!r}",
            field="target_lang",
            hint=did_you_mean(primary, TARGET_LANGS) or f"use one of {', '.join(TARGET_LANGS)}",
        )
    return primary


def _choice(value: Any, choices: list[str], field: str) -> None:
    if value not in choices:
        raise InputError(
            f"unknown value {value!r}",
            field=field,
            hint=did_you_mean(str(value), choices) or f"use one of {', '.join(choices)}",
        )


def _optional_positive_int(value: Any, field: str) -> int | None:
    return None if value is None else _positive_int(value, field)


def _usable_cpus() -> int:
    """CPUs this process may run on (affinity-aware where the OS supports it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
