"""BLEU, chrF, chrF++ and TER through sacrebleu, scored from per-segment statistics.

Nothing here re-implements metric arithmetic but chrF's f-score, in
``evals.metrics.ngram_match.chrf_f_scores`` (sacrebleu's floating-point
operations in sacrebleu's order, tested bit-equal), and the counting is
compiled: BLEU/chrF n-gram matches in ``evals.metrics.ngram_match`` and TER's
edits in ``evals.metrics.ter_compiled``, both tested equal to sacrebleu's
statistics on WMT22 segments and random text. Each class wraps sacrebleu
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
  Python ``corpus_score``; with several references per segment, ``sacrebleu
  REF1 REF2 -i HYP`` (``nrefs:2`` in the signature; ``nrefs:var`` when the
  segments of a corpus have different numbers, each scored against the
  references it has, as sacrebleu's Python API does with ``None`` for a
  missing reference);
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

BLEU, chrF and chrF++ statistics come from ``evals.metrics.ngram_match``
(``engine="numba"``, the default when numba is installed: the ``fast``
extra): sacrebleu's own text steps, then a compiled count of integer n-grams
against reference tries, in-process -- every integer equal to sacrebleu's;
on the WMT22 systems on one core 2-4x faster for BLEU (tokenising is most
of what is left) and 8-12x for chrF and chrF++ (``scripts/bench_lexical.py
--wmt22``). Forking workers made it 2-2.5x slower (measured), so ``n_jobs``
does not apply. With ``engine="sacrebleu"`` (or without numba),
sacrebleu's own counting runs as follows; so does TER's extraction, whose
per-segment edit counting is compiled in ``evals.metrics.ter_compiled``
(``TER.backend``) when numba is installed.

Statistic extraction runs in ``n_jobs`` worker processes (default: every CPU
this process may use) over contiguous chunks of segments, reassembled in
order. Each segment's row depends only on that segment, so results are
identical for every ``n_jobs``/``chunk_size``. Inputs shorter than
``min_parallel_segments`` (default per metric, ``MIN_PARALLEL_SEGMENTS``) are
processed in-process so that small calls do not pay for starting workers.
References are extracted once per metric instance and kept (see
``SacrebleuMetric``); where the platform's default start method is ``fork``,
each call forks ``n_jobs`` children that inherit those extracted references
(one slice each), elsewhere a ``ProcessPoolExecutor`` of the default start
method extracts ``chunk_size`` pieces from the texts.

Target language (``target_lang``, "en" or "zh") picks sacrebleu's tokenisation:
BLEU uses ``13a`` for English and ``zh`` for Chinese; TER turns on tercom's
normalisation with Asian support for Chinese (otherwise an unsegmented Chinese
sentence is a single "word"); chrF works on characters and ignores it. See
``BLEU`` for a known bug in sacrebleu's ``zh`` tokenizer.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from sacrebleu.metrics.base import Metric as _SacreMetric
from sacrebleu.metrics.base import Score as _SacreScore
from sacrebleu.metrics.bleu import BLEU as _SacreBLEU
from sacrebleu.metrics.chrf import CHRF as _SacreCHRF

from evals.errors import InputError, did_you_mean
from evals.metrics.base import LEVELS, VARIABLE_REFS, Metric, pool_stats, reference_tuples
from evals.metrics.options import bool_option as _bool
from evals.metrics.options import non_negative_int as _non_negative_int
from evals.metrics.options import positive_int as _positive_int
from evals.metrics.ter_compiled import CompiledTER

if TYPE_CHECKING:
    import numpy as np

TARGET_LANGS = ("en", "zh")
ENGINES = ("numba", "sacrebleu")

# Chunks per worker: more than one so a worker that drew long segments does
# not leave the others idle at the end.
_CHUNKS_PER_JOB = 4


# Segments per call into sacrebleu. Its extraction first builds the n-gram
# counters of *every* reference of the call, then walks the hypotheses; with
# thousands of references alive at once, the garbage collector's full passes
# and the memory traffic grow with the call, and large calls ran 1.5-1.9x
# slower per segment than calls of a few hundred (BLEU, chrF++; measured).
_SACREBLEU_CALL = 200


def _reference_info(sacre_metric: _SacreMetric, refs: tuple[str, ...]) -> Any:
    """What sacrebleu's ``_cache_references`` keeps of one segment's references (n-gram counts, lengths)."""
    return sacre_metric._extract_reference_info([sacre_metric._preprocess_segment(ref) for ref in refs])


def _rows_from_infos(sacre_metric: _SacreMetric, hyps: Sequence[str], infos: Sequence[Any]) -> list[list[int | float]]:
    """The loop of sacrebleu's ``_extract_corpus_statistics`` over already extracted reference infos.

    Its one other step, the "tokenized period" warning, is off in every metric
    here (``force``).
    """
    preprocess, compute = sacre_metric._preprocess_segment, sacre_metric._compute_segment_statistics
    return [compute(preprocess(hyp), info) for hyp, info in zip(hyps, infos)]


def _extract_rows(
    sacre_metric: _SacreMetric, hyps: Sequence[str], refs: Sequence[tuple[str, ...]]
) -> list[list[int | float]]:
    """sacrebleu's statistics for each hypothesis and its references, from the texts.

    Module-level so worker processes that do not share the parent's reference
    cache (platforms without ``fork``) can unpickle it. Rows depend only on
    their own segment, so splitting the call changes no value.
    """
    rows: list[list[int | float]] = []
    for start in range(0, len(hyps), _SACREBLEU_CALL):
        end = start + _SACREBLEU_CALL
        infos = [_reference_info(sacre_metric, item) for item in refs[start:end]]
        rows += _rows_from_infos(sacre_metric, hyps[start:end], infos)
    return rows


def _send_rows(send: Any, sacre_metric: _SacreMetric, hyps: Sequence[str], infos: Sequence[Any]) -> None:
    """A forked worker: its slice's rows (or the error) back through ``send``."""
    try:
        message: tuple[bool, Any] = (True, _rows_from_infos(sacre_metric, hyps, infos))
    except Exception as error:  # handed to the parent, which raises it
        message = (False, error)
    with contextlib.suppress(OSError):  # the parent stopped listening: nothing to report to
        send.send(message)
    send.close()


class _Rows:
    """Rows extracted in-process (lists from sacrebleu, an array from the numba engine): ready at once."""

    def __init__(self, rows: list[list[int | float]] | np.ndarray) -> None:
        self._rows = rows

    def result(self) -> list[list[int | float]] | np.ndarray:
        return self._rows

    def close(self) -> None:
        pass


class _ForkedRows:
    """Rows being extracted by forked children, one contiguous slice each.

    Forked, the children inherit the parent's reference infos instead of
    receiving them pickled (pickling chrF's n-gram counters costs as much as
    extracting them again); only the rows, short lists of numbers, come back.
    """

    def __init__(self, context: Any, sacre_metric: _SacreMetric, hyps: Sequence[str], infos: Sequence[Any],
                 n_jobs: int) -> None:
        size = math.ceil(len(hyps) / n_jobs)
        self._children: list[tuple[Any, Any]] = []
        for start in range(0, len(hyps), size):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_send_rows, daemon=True,
                                    args=(send, sacre_metric, hyps[start:start + size], infos[start:start + size]))
            child.start()
            send.close()
            self._children.append((child, receive))

    def result(self) -> list[list[int | float]]:
        rows: list[list[int | float]] = []
        try:
            for child, receive in self._children:
                try:
                    ok, payload = receive.recv()
                except EOFError:
                    raise RuntimeError(f"a statistics worker exited with code {child.join() or child.exitcode}") \
                        from None
                if not ok:
                    raise payload
                rows += payload
        finally:
            self.close()
        return rows

    def close(self) -> None:
        for child, receive in self._children:
            receive.close()
            if child.is_alive():
                child.terminate()
            child.join()
        self._children = []


class _PooledRows:
    """Rows being extracted in a process pool from the texts (platforms without ``fork``)."""

    def __init__(self, sacre_metric: _SacreMetric, hyps: Sequence[str], refs: Sequence[tuple[str, ...]],
                 n_jobs: int, size: int) -> None:
        starts = range(0, len(hyps), size)
        self._pool = ProcessPoolExecutor(max_workers=min(n_jobs, len(starts)))
        self._futures = [self._pool.submit(_extract_rows, sacre_metric, hyps[start:start + size],
                                           refs[start:start + size]) for start in starts]

    def result(self) -> list[list[int | float]]:
        try:
            return [row for future in self._futures for row in future.result()]
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class SacrebleuMetric(Metric):
    """A ``Metric`` backed by a sacrebleu corpus metric and a sentence metric.

    The two sacrebleu objects differ only where sacrebleu's CLI makes
    sentence-level scoring differ (BLEU's effective order); statistics always
    come from the corpus object.

    ``engine`` names where BLEU's and chrF's statistics are counted (see the
    module docstring); TER has no such option: its compiled edit counting
    replaces sacrebleu's whenever numba imports (``TER.backend``).

    **References are extracted once per metric instance.** What sacrebleu
    derives from a segment's references (their n-gram counts and lengths, as
    its ``_cache_references`` does when a metric is built with
    ``references=``) is kept, keyed by the segment's reference texts, for the
    first ``REFERENCE_CACHE`` segments it sees. A run builds one metric and
    scores every system with it: the first system pays for the references,
    every later one only for its hypotheses. The key is the exact tuple of
    reference texts, so segments with other references never share an entry,
    and the rows are those of ``_extract_corpus_statistics`` on the same texts.

    Full, the cache keeps what it has rather than evicting: systems go over
    the corpora in the same order one after another, so on corpora larger
    than the cache a least-recently-used policy would evict every entry
    before its next use, while keeping the first ones serves them to every
    system. Measured on WMT22 zh-en with two references, an entry takes about
    25 KB for BLEU and 90 KB for chrF with the sacrebleu engine (n-gram
    counters of six character orders), so a full cache holds about 0.1 and
    0.45 GB; with the numba engine (integer tries) about 2 KB and 14 KB.
    """

    engine = "sacrebleu"

    # Below this many segments, extraction stays in-process: starting and
    # joining a pool costs ~25 ms, which pays off from about this size
    # (measured on a 2-core machine; subclasses set their own, cheaper metrics
    # need more segments).
    MIN_PARALLEL_SEGMENTS = 200
    #: Segments whose reference infos are kept (the first ones seen); WMT and FLORES test sets have ~1,000-2,000.
    REFERENCE_CACHE = 5_000
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
        n_refs: int = 1,
    ) -> None:
        # sacrebleu learns the number of references from its first reference pass, but signatures
        # must be available before any scoring: the corpus tells (``configure``'s ``n_refs``).
        self.n_refs = _n_refs(n_refs)
        for sacre_metric in (corpus, sentence):
            sacre_metric.num_refs = self.n_refs
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
        self._references: dict[tuple[str, ...], Any] = {}
        self._ngram_stats: Any = None

    @classmethod
    def configure(cls, options: dict[str, Any], *, target_lang: str, jobs: int | None = None,
                  n_refs: int = 1) -> dict[str, Any]:
        """Tokenisation follows the target language (``13a`` for English, ``zh`` for Chinese).

        ``n_refs`` (the corpus's references per segment) is an option only
        when it is not 1, so single-reference options stay what they were.
        """
        options = dict(options)
        options.setdefault("target_lang", target_lang)
        options.pop("n_refs", None)
        if n_refs != 1:
            options["n_refs"] = n_refs
        return options

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.signature()}>"

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the reference cache (nor the vocabulary its tries use): a copy rebuilds what it needs."""
        return {**self.__dict__, "_references": {}, "_ngram_stats": None}

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
        refs: Sequence[str | tuple[str, ...]] | None,
        *,
        sources: Sequence[str] | None = None,
    ) -> np.ndarray:
        hyps, refs = self._check_segments(hyps, refs)
        return self._as_array(self._start(hyps, refs).result())

    def iter_segment_stats(
        self,
        hyps: Sequence[str],
        refs: Sequence[str | tuple[str, ...]] | None,
        *,
        sources: Sequence[str] | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """``segment_stats`` in order, ``(start, rows)`` at most ``chunk_size`` at a time, streamed.

        The workers extract chunk *k + 1* while the caller stores chunk *k*:
        on a large corpus the writes no longer wait for the statistics or the
        other way round. Rows equal ``segment_stats``'s.
        """
        hyps, refs = self._check_segments(hyps, refs)
        chunk_size = max(1, int(chunk_size))
        pending: deque[tuple[int, Any]] = deque()
        try:
            for start in range(0, len(hyps), chunk_size):
                pending.append((start, self._start(hyps[start:start + chunk_size], refs[start:start + chunk_size])))
                if len(pending) > 1:
                    done, handle = pending.popleft()
                    yield done, self._as_array(handle.result())
            while pending:
                done, handle = pending.popleft()
                yield done, self._as_array(handle.result())
        finally:
            for _, handle in pending:
                handle.close()

    def _check_segments(self, hyps: Sequence[str], refs: Any) -> tuple[list[str], list[tuple[str, ...]]]:
        """Hypotheses and reference tuples of equal length, each with the references the signature says."""
        hyps, refs = _check_segments(self.name, hyps, refs)
        if self.n_refs != VARIABLE_REFS:
            for index, item in enumerate(refs):
                if len(item) != self.n_refs:
                    raise InputError(
                        f"{self.name}: segment {index + 1} has {len(item)} references, but the metric was "
                        f"built for {self.n_refs} (nrefs:{self.n_refs} in its signature)", field="reference",
                        hint=f"build it with n_refs={VARIABLE_REFS} (nrefs:var) for segments with different "
                             "numbers of references")
        return hyps, refs

    def _start(self, hyps: list[str], refs: list[tuple[str, ...]]) -> _Rows | _ForkedRows | _PooledRows:
        """Start extracting the rows of ``hyps``: compiled or, with sacrebleu, in-process, in forked children or in a pool."""
        import multiprocessing

        counter = self._counter()
        if counter is not None:
            return _Rows(counter.rows(hyps, refs, self._references, self.REFERENCE_CACHE))
        n_jobs = self.n_jobs if len(hyps) >= self.min_parallel_segments else 1
        if n_jobs == 1 or len(hyps) < 2:
            return _Rows(_rows_from_infos(self._corpus, hyps, self._reference_infos(refs)))
        context = multiprocessing.get_context()
        if context.get_start_method() == "fork":
            return _ForkedRows(context, self._corpus, hyps, self._reference_infos(refs), n_jobs)
        size = self.chunk_size or math.ceil(len(hyps) / (n_jobs * _CHUNKS_PER_JOB))
        return _PooledRows(self._corpus, hyps, refs, n_jobs, size)

    def _counter(self) -> Any:
        """The compiled statistics (``ngram_match.BleuStats``/``ChrfStats``) with the numba engine, else None."""
        if self.engine != "numba":
            return None
        if self._ngram_stats is None:
            self._ngram_stats = self._new_counter()
        return self._ngram_stats

    def _new_counter(self) -> Any:
        """The metric's compiled counter (BLEU and chrF build one); None means sacrebleu's counting."""
        return None

    def _reference_infos(self, refs: Sequence[tuple[str, ...]]) -> list[Any]:
        """Each segment's reference infos, from the cache or extracted (and kept) now."""
        cache = self._references
        infos = []
        for item in refs:
            info = cache.get(item)
            if info is None:
                info = _reference_info(self._corpus, item)
                if len(cache) < self.REFERENCE_CACHE:
                    cache[item] = info
            infos.append(info)
        return infos

    def _as_array(self, rows: list[list[int | float]] | np.ndarray) -> np.ndarray:
        import numpy as np

        return np.array(rows, dtype=self.stats_dtype).reshape(len(rows), self.n_stats)

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
        n_refs: int = 1,
        engine: str | None = None,
    ) -> None:
        self.engine = _engine(engine)
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
            n_refs=n_refs,
        )

    @property
    def n_stats(self) -> int:
        return 2 + 2 * self.max_ngram_order

    def _new_counter(self) -> Any:
        from evals.metrics.ngram_match import BleuStats

        return BleuStats(self._corpus)

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

    Not ``fastchrf`` (PyPI, a compiled chrF; measured 0.2.1 on the 12 WMT22
    systems x 1,875 segments): its sentence scores equal sacrebleu's on every
    segment, but it returns scores only -- no statistics to pool into document
    and system scores, no word orders (chrF++) -- and took 6.9 s of CPU where
    the numba engine takes 0.8 s for statistics and sentence scores.
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
        n_refs: int = 1,
        engine: str | None = None,
    ) -> None:
        self.engine = _engine(engine)
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
            n_refs=n_refs,
        )

    @property
    def n_stats(self) -> int:
        return 3 * (self.char_order + self.word_order)

    def _new_counter(self) -> Any:
        from evals.metrics.ngram_match import ChrfStats

        return ChrfStats(self._corpus)

    def segment_scores(self, stats: Any) -> list[float]:
        """sacrebleu's sentence chrF of every row at once (``ngram_match.chrf_f_scores``: its floats, bit for bit)."""
        from evals.metrics.ngram_match import chrf_f_scores

        metric = self._sentence
        return chrf_f_scores(self.check_stats(stats), metric.beta, metric.order, metric.eps_smoothing).tolist()


class TER(SacrebleuMetric):
    """Translation edit rate (Snover et al., 2006), sacrebleu's tercom port.

    Statistics per segment (float64): ``[edits, reference length]`` (sacrebleu
    averages the length over references, hence float). TER is the slow one:
    its shift search is quadratic-ish in Python, so the edits are counted by
    compiled code when numba is installed (``evals.metrics.ter_compiled``:
    sacrebleu's tokenisation and rows, ``backend`` says which ran) and
    extraction runs on all cores (see the module docstring).

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
    def configure(cls, options: dict[str, Any], *, target_lang: str, jobs: int | None = None,
                  n_refs: int = 1) -> dict[str, Any]:
        """TER is the slow one: it takes the run's ``--jobs`` as its worker count."""
        options = super().configure(options, target_lang=target_lang, jobs=jobs, n_refs=n_refs)
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
        n_refs: int = 1,
    ) -> None:
        target_lang = _target_lang(target_lang)
        chinese = target_lang == "zh"
        normalized = chinese if normalized is None else _bool(normalized, "normalized")
        asian_support = chinese if asian_support is None else _bool(asian_support, "asian_support")
        metric = CompiledTER(
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
            n_refs=n_refs,
        )

    @property
    def n_stats(self) -> int:
        return 2

    @property
    def backend(self) -> str:
        """``"numba"`` (compiled edit counting) or ``"python"`` (sacrebleu's own; warned about once)."""
        return self._corpus.backend()

    def _start(self, hyps: list[str], refs: list[tuple[str, ...]]) -> Any:
        # Load the compiled code here, once: forked workers inherit it instead of each loading it.
        self._corpus.backend()
        return super()._start(hyps, refs)


# -- argument checks ---------------------------------------------------------


def _check_segments(
    metric: str, hyps: Sequence[str], refs: Sequence[str | tuple[str, ...]] | None
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Hypotheses as strings and each segment's references as a tuple, of equal length, or an InputError."""
    if refs is None:
        raise InputError(f"{metric} needs references", field="reference")
    if isinstance(hyps, str) or not isinstance(hyps, Sequence):
        raise InputError(f"{metric}: hypothesis segments must be a list of strings", field="hypothesis")
    refs = reference_tuples(metric, refs, len(hyps))
    for index, value in enumerate(hyps):
        if not isinstance(value, str):
            raise InputError(
                f"{metric}: hypothesis {index + 1} is {type(value).__name__}, not a string",
                field="hypothesis",
            )
    return list(hyps), refs


def _n_refs(value: Any) -> int:
    """A number of references per segment (>= 1), or ``VARIABLE_REFS`` for a corpus of mixed counts."""
    if isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != VARIABLE_REFS):
        raise InputError(f"must be a number of references >= 1, or {VARIABLE_REFS} for a varying number, "
                         f"got {value!r}", field="n_refs")
    return value


def _engine(value: Any) -> str:
    """``engine``: "numba" (default when numba is installed) or "sacrebleu"."""
    from evals.metrics.ngram_match import available

    if value is None:
        return "numba" if available() else "sacrebleu"
    _choice(value, list(ENGINES), "engine")
    if value == "numba" and not available():
        raise InputError("the numba engine needs numba, which is not installed", field="engine",
                         hint="pip install 'mteval-zh[fast]', or use engine: sacrebleu")
    return value


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
