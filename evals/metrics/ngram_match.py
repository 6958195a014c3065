"""sacrebleu's BLEU and chrF/chrF++ segment statistics, exactly, from integer n-gram tries.

Why: sacrebleu builds a ``Counter`` of n-gram tuples or substrings per
segment, order and side, and matches them in a Python loop; that is most of
the time of scoring a corpus. Here the text steps stay sacrebleu's own (its
``_preprocess_segment`` -- lowercasing, the BLEU tokenizers, ``13a`` and
``zh`` with an equal faster post-tokenizer (``evals.metrics.tokenize_fast``)
--, ``str.split``, chrF's ``_remove_punctuation``), their output becomes integer *units*
(tokens through a vocabulary, characters as code points), and the counting is
a compiled walk (``evals.metrics.ngram_kernels``) over reference tries.

Every integer equals sacrebleu's (``tests/test_lexical_fast.py`` checks every
WMT22 system and random texts):

- n-grams are equal exactly when their units are: tokens never contain
  whitespace, so sacrebleu's ``' '.join`` of chrF++ word n-grams and BLEU's
  tuples compare like unit sequences; characters are code points, as Python
  slices them;
- BLEU: ``hyp_len`` is the token count, totals are ``max(0, len - n + 1)``,
  matches are clipped by the maximum count over the references (one merged
  trie per segment), and ``ref_len`` is the closest reference length, the
  shorter one on a tie (``_get_closest_ref_len``);
- chrF: per reference ``[hyp, ref, match]`` per order, the hypothesis count
  being 0 where the reference has no n-gram of that order (sacrebleu's ``if
  ref_ngrams``); with several references, the statistics of the first one
  with the highest sentence f-score, which ``chrf_f_scores`` computes with
  sacrebleu's floating-point operations in sacrebleu's order.

**References are built once.** A *block* holds the tries of a set of
segments' references; the metric keeps each segment's entry (its block and
first trie) keyed by the tuple of reference texts, like the sacrebleu
infos it replaces (see ``SacrebleuMetric``). Vocabulary ids are stable for the
life of the metric instance, so blocks built by different calls stay
comparable with every later hypothesis. The vocabulary grows with the
distinct tokens of the references seen (hypothesis tokens are looked up,
never added).
"""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def available() -> bool:
    """Whether the compiled kernels can run (numba installed, the ``fast`` extra)."""
    return importlib.util.find_spec("numba") is not None


def warm_up() -> None:
    """Import numba and load the compiled kernels now (about a second, once per process; later calls are free).

    The first statistics call pays it otherwise; a caller with other work to
    overlap (reading corpora, loading models) may call this early, in a thread.
    """
    import numpy as np

    units = np.zeros(2, np.int32)
    one = np.array([0, 2], np.int64)
    build_tries(units, np.array([2], np.int64), np.ones(1, np.int64), 2).match(units, one, one[:1], one[:1])


@dataclass(frozen=True)
class Tries:
    """The tries of one block (see ``ngram_kernels``); trie ``t`` merges sequences ``trie_seq[t]..trie_seq[t+1]``."""

    node_key: np.ndarray
    node_count: np.ndarray
    node_start: np.ndarray
    seq_len: np.ndarray
    trie_seq: np.ndarray
    order: int

    def match(self, units: np.ndarray, unit_off: np.ndarray, slot_seg: np.ndarray, slot_trie: np.ndarray
              ) -> np.ndarray:
        """Clipped matches per order (``[len(slot_seg), order]``) of hypotheses ``slot_seg`` against ``slot_trie``."""
        import numpy as np

        from evals.metrics.ngram_kernels import match_counts

        out = np.zeros((len(slot_seg), self.order), np.int64)
        if len(slot_seg):
            match_counts(self.node_key, self.node_count, self.node_start, units, unit_off, slot_seg, slot_trie,
                         self.order, out)
        return out


def build_tries(units: np.ndarray, seq_len: np.ndarray, per_trie: np.ndarray, order: int) -> Tries:
    """Tries of orders 1..``order`` over unit sequences (``seq_len`` each), ``per_trie[t]`` of them merged into trie ``t``."""
    import numpy as np

    from evals.metrics.ngram_kernels import build_nodes

    seq_len = np.asarray(seq_len, np.int64)
    seq_off = _offsets(seq_len)
    trie_seq = _offsets(per_trie)
    # At most sum over n of (len - n + 1) distinct n-grams per sequence.
    bound_seq = np.maximum(seq_len[:, None] - np.arange(order), 0).sum(axis=1)
    cumulative = _offsets(bound_seq)
    bound = cumulative[trie_seq[1:]] - cumulative[trie_seq[:-1]]
    scratch_bits = max(1, int(2 * int(bound.max(initial=0))).bit_length())
    node_key = np.empty(int(cumulative[-1]), np.int64)
    node_count = np.empty(int(cumulative[-1]), np.int32)
    node_start = np.zeros(len(per_trie) + 1, np.int64)
    build_nodes(units, seq_off, trie_seq, order, scratch_bits, node_key, node_count, node_start)
    used = int(node_start[-1])
    return Tries(node_key[:used].copy(), node_count[:used].copy(), node_start, seq_len, trie_seq, order)


def _offsets(lengths: Any) -> np.ndarray:
    """``[0, l0, l0 + l1, ...]`` as int64."""
    import numpy as np

    out = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def code_points(lines: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(every character's code point, as int32; each line's length in characters).

    One encoding of the joined lines: UTF-32 has one 4-byte unit per Python
    character, lone surrogates included (``surrogatepass``), so lengths agree
    with ``len`` and slicing.
    """
    import numpy as np

    lengths = np.fromiter(map(len, lines), np.int64, len(lines))
    data = "".join(lines).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(data, "<u4").astype(np.int32), lengths


def token_ids(token_lists: Sequence[list[str]], vocab: dict[str, int], add: bool) -> tuple[np.ndarray, np.ndarray]:
    """(every token's vocabulary id, as int32; each list's length); unknown tokens are added or ``-1``."""
    import numpy as np

    lengths = np.fromiter(map(len, token_lists), np.int64, len(token_lists))
    if add:
        ids = [vocab.setdefault(token, len(vocab)) for tokens in token_lists for token in tokens]
    else:
        get = vocab.get
        ids = [get(token, -1) for tokens in token_lists for token in tokens]
    return np.array(ids, np.int32), lengths


# -- references: entries, blocks, the cache ------------------------------------------------------------


Entry = tuple[Any, int]  # (block, index of the segment's first trie in it)


def entries_for(refs: Sequence[tuple[str, ...]], cache: dict[Hashable, Entry], limit: int,
                build: Callable[[list[tuple[str, ...]]], Any]) -> list[Entry]:
    """Each segment's entry: from ``cache``, else built now -- one block for what the cache keeps, one for the rest.

    The cache keeps the first ``limit`` distinct reference tuples it sees (see
    ``SacrebleuMetric``); ``build(tuples)`` returns a block whose
    ``first_trie(i)`` is where tuple ``i``'s tries start.
    """
    new: dict[tuple[str, ...], None] = {}
    for item in refs:
        if item not in cache:
            new[item] = None
    local: dict[tuple[str, ...], Entry] = {}
    if new:
        items = list(new)
        room = max(0, limit - len(cache))
        for part, target in ((items[:room], cache), (items[room:], local)):
            if part:
                block = build(part)
                for index, item in enumerate(part):
                    target[item] = (block, block.first_trie(index))
    return [cache.get(item) or local[item] for item in refs]


def by_block(entries: Sequence[Entry], tries_per_segment: np.ndarray) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """``(block, slots, tries)`` per block: the slots (segment x reference) whose tries live in it, in slot order.

    Segment ``s`` has ``tries_per_segment[s]`` consecutive slots, one per
    trie of its entry.
    """
    import numpy as np

    blocks: dict[int, tuple[Any, list[int]]] = {}
    for index, (block, _) in enumerate(entries):
        blocks.setdefault(id(block), (block, []))[1].append(index)
    first = np.fromiter((start for _, start in entries), np.int64, len(entries))
    slot_off = _offsets(tries_per_segment)
    within = np.arange(int(slot_off[-1]), dtype=np.int64) - np.repeat(slot_off[:-1], tries_per_segment)
    slot_trie = np.repeat(first, tries_per_segment) + within
    out = []
    for block, segments in blocks.values():
        if len(blocks) == 1:
            slots = np.arange(len(slot_trie), dtype=np.int64)
        else:
            segs = np.asarray(segments, np.int64)
            slots = np.concatenate([np.arange(slot_off[s], slot_off[s + 1]) for s in segs.tolist()]).astype(np.int64)
        out.append((block, slots, slot_trie[slots]))
    return out


# -- BLEU ----------------------------------------------------------------------------------------------


class BleuBlock:
    """The references of some segments for BLEU: one trie per segment, its references merged (maximum counts)."""

    def __init__(self, tries: Tries) -> None:
        self.tries = tries

    def first_trie(self, index: int) -> int:
        return index


class BleuStats:
    """BLEU rows ``[hyp_len, ref_len, matches_1..N, totals_1..N]`` for a sacrebleu ``BLEU`` object's settings."""

    def __init__(self, sacre_bleu: Any) -> None:
        from evals.metrics.tokenize_fast import faster

        # A copy tokenizing with the faster equal tokenizer; sacrebleu's _preprocess_segment otherwise.
        self._metric = copy.copy(sacre_bleu)
        self._metric.tokenizer = faster(sacre_bleu.tokenizer)
        self.order = int(sacre_bleu.max_ngram_order)
        self._vocab: dict[str, int] = {}

    def _tokens(self, texts: Sequence[str]) -> list[list[str]]:
        preprocess = self._metric._preprocess_segment
        return [preprocess(text).split() for text in texts]

    def build(self, refs: list[tuple[str, ...]]) -> BleuBlock:
        import numpy as np

        units, lengths = token_ids(self._tokens([r for item in refs for r in item]), self._vocab, add=True)
        per_trie = np.fromiter(map(len, refs), np.int64, len(refs))
        return BleuBlock(build_tries(units, lengths, per_trie, self.order))

    def rows(self, hyps: Sequence[str], refs: Sequence[tuple[str, ...]], cache: dict, limit: int) -> np.ndarray:
        import numpy as np

        n, order = len(hyps), self.order
        entries = entries_for(refs, cache, limit, self.build)
        units, hyp_len = token_ids(self._tokens(hyps), self._vocab, add=False)
        unit_off = _offsets(hyp_len)
        matches = np.zeros((n, order), np.int64)
        ref_len = np.zeros(n, np.int64)
        for block, slots, tries in by_block(entries, np.ones(n, np.int64)):
            matches[slots] = block.tries.match(units, unit_off, slots, tries)
            ref_len[slots] = _closest_lengths(hyp_len[slots], block.tries.seq_len, block.tries.trie_seq, tries)
        totals = np.maximum(hyp_len[:, None] - np.arange(order), 0)
        return np.column_stack([hyp_len, ref_len, matches, totals]).astype(np.int64)


def _closest_lengths(hyp_len: np.ndarray, seq_len: np.ndarray, trie_seq: np.ndarray, tries: np.ndarray
                     ) -> np.ndarray:
    """sacrebleu's ``_get_closest_ref_len``: the reference length nearest ``hyp_len``, the smaller on a tie."""
    import numpy as np

    counts = trie_seq[tries + 1] - trie_seq[tries]
    starts = _offsets(counts)
    within = np.arange(int(starts[-1]), dtype=np.int64) - np.repeat(starts[:-1], counts)
    lengths = seq_len[np.repeat(trie_seq[tries], counts) + within]
    # (distance, length) as one integer: the minimum is the nearest, then the shorter.
    key = (np.abs(np.repeat(hyp_len, counts) - lengths) << 32) | lengths
    return np.minimum.reduceat(key, starts[:-1]) & 0xFFFFFFFF if len(tries) else np.zeros(0, np.int64)


# -- chrF ----------------------------------------------------------------------------------------------


class ChrfBlock:
    """The references of some segments for chrF: per reference one character trie (and one word trie)."""

    def __init__(self, chars: Tries, words: Tries | None, first: np.ndarray) -> None:
        self.chars, self.words, self._first = chars, words, first

    def first_trie(self, index: int) -> int:
        return int(self._first[index])


class ChrfStats:
    """chrF rows ``[hyp, ref, match]`` per character order then per word order, for a sacrebleu ``CHRF``'s settings."""

    def __init__(self, sacre_chrf: Any) -> None:
        self._metric = sacre_chrf
        self.char_order = int(sacre_chrf.char_order)
        self.word_order = int(sacre_chrf.word_order)
        self._vocab: dict[str, int] = {}
        self._word_ids: dict[str, tuple[int, ...]] = {}  # hypothesis word -> its pieces' ids (see _hyp_words)

    def _units(self, texts: Sequence[str], add: bool) -> tuple[tuple[np.ndarray, np.ndarray], Any]:
        """(characters, words) of each text, as sacrebleu's ``_compute_segment_statistics`` sees them."""
        metric = self._metric
        lines = [metric._preprocess_segment(text) for text in texts]
        chars = code_points(lines if metric.whitespace else ["".join(line.split()) for line in lines])
        words = None
        if self.word_order and add:
            words = token_ids([metric._remove_punctuation(line) for line in lines], self._vocab, add=True)
            # Ids of pieces that were unknown may exist now. A new dict, not clear(): a concurrent
            # _hyp_words that looked ids up before the vocabulary grew writes into the old one.
            self._word_ids = {}
        elif self.word_order:
            words = self._hyp_words(lines)
        return chars, words

    def _hyp_words(self, lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``token_ids`` of ``_remove_punctuation(line)`` per line, through a cache of each word's piece ids.

        ``_remove_punctuation`` treats each whitespace-separated word on its
        own, so a line's pieces are its words' pieces in order; a word's ids
        stay valid until the vocabulary grows (``_units`` then starts a new cache).
        """
        import numpy as np

        cache, get, split = self._word_ids, self._vocab.get, self._metric._remove_punctuation
        if len(cache) > 1_000_000:
            cache = self._word_ids = {}
        ids: list[int] = []
        lengths = np.zeros(len(lines), np.int64)
        for index, line in enumerate(lines):
            start = len(ids)
            for word in line.split():
                pieces = cache.get(word)
                if pieces is None:
                    pieces = cache[word] = tuple(get(piece, -1) for piece in split(word))
                ids += pieces
            lengths[index] = len(ids) - start
        return np.array(ids, np.int32), lengths

    def build(self, refs: list[tuple[str, ...]]) -> ChrfBlock:
        import numpy as np

        per_ref = np.ones(sum(map(len, refs)), np.int64)
        (char_units, char_len), words = self._units([r for item in refs for r in item], add=True)
        chars = build_tries(char_units, char_len, per_ref, self.char_order)
        word_tries = None if words is None else build_tries(words[0], words[1], per_ref, self.word_order)
        first = _offsets(np.fromiter(map(len, refs), np.int64, len(refs)))[:-1]
        return ChrfBlock(chars, word_tries, first)

    def rows(self, hyps: Sequence[str], refs: Sequence[tuple[str, ...]], cache: dict, limit: int) -> np.ndarray:
        import numpy as np

        n = len(hyps)
        entries = entries_for(refs, cache, limit, self.build)
        n_refs = np.fromiter(map(len, refs), np.int64, n)
        (char_units, char_len), words = self._units(hyps, add=False)
        char_off = _offsets(char_len)
        n_slots = int(n_refs.sum())
        slot_seg = np.repeat(np.arange(n, dtype=np.int64), n_refs)
        orders = self.char_order + self.word_order
        stats = np.zeros((n_slots, 3 * orders), np.int64)
        for block, slots, tries in by_block(entries, n_refs):
            segs = slot_seg[slots]
            parts = [(block.chars, char_units, char_off, char_len, 0)]
            if words is not None:
                parts.append((block.words, words[0], _offsets(words[1]), words[1], self.char_order))
            for trie_set, units, unit_off, lengths, first_order in parts:
                matches = trie_set.match(units, unit_off, segs, tries)
                ks = np.arange(trie_set.order)
                ref_total = np.maximum(trie_set.seq_len[tries][:, None] - ks, 0)
                hyp_total = np.where(ref_total > 0, np.maximum(lengths[segs][:, None] - ks, 0), 0)
                columns = 3 * (first_order + ks)
                stats[slots[:, None], columns] = hyp_total
                stats[slots[:, None], columns + 1] = ref_total
                stats[slots[:, None], columns + 2] = matches
        if n_slots == n:
            return stats
        return stats[_best_slots(self._metric, stats, n_refs)]


def _best_slots(metric: Any, stats: np.ndarray, n_refs: np.ndarray) -> np.ndarray:
    """Per segment, its first slot with the highest f-score (sacrebleu keeps a reference only if strictly better)."""
    import numpy as np

    scores = chrf_f_scores(stats, metric.beta, metric.char_order + metric.word_order, metric.eps_smoothing)
    starts = _offsets(n_refs)[:-1]
    best = np.repeat(np.maximum.reduceat(scores, starts), n_refs)
    candidates = np.where(scores == best, np.arange(len(scores)), len(scores))
    return np.minimum.reduceat(candidates, starts)


def chrf_f_scores(stats: np.ndarray, beta: int, order: int, eps_smoothing: bool) -> np.ndarray:
    """sacrebleu's ``CHRF._compute_f_score`` for each row, with its floating-point operations in its order.

    Elementwise numpy float64 arithmetic rounds like Python's floats, and
    int64 / int64 divides the exact integers once (as Python's ``int / int``
    does for integers below 2 ** 53), so ties and near-ties between
    references resolve as in sacrebleu.
    """
    import numpy as np

    eps = 1e-16
    factor = beta ** 2
    n = stats.shape[0]
    score = np.zeros(n)
    avg_prec, avg_rec = np.zeros(n), np.zeros(n)
    effective = np.zeros(n, np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(order):
            n_hyp, n_ref, n_match = stats[:, 3 * i], stats[:, 3 * i + 1], stats[:, 3 * i + 2]
            prec = np.where(n_hyp > 0, n_match / n_hyp, eps)
            rec = np.where(n_ref > 0, n_match / n_ref, eps)
            denom = factor * prec + rec
            score = score + np.where(denom > 0, (1 + factor) * prec * rec / denom, eps)
            both = (n_hyp > 0) & (n_ref > 0)
            avg_prec = np.where(both, avg_prec + prec, avg_prec)
            avg_rec = np.where(both, avg_rec + rec, avg_rec)
            effective += both
        if eps_smoothing:
            return 100 * score / order
        avg_prec = np.where(effective == 0, 0.0, avg_prec / effective)
        avg_rec = np.where(effective == 0, 0.0, avg_rec / effective)
        total = avg_prec + avg_rec
        final = (1 + factor) * avg_prec * avg_rec
        final = final / ((factor * avg_prec) + avg_rec)
        return np.where(total != 0, 100 * final, 0.0)
