"""sacrebleu's TER edit count (``sacrebleu.metrics.lib_ter``), compiled with numba.

Importing this module imports numba: ``evals.metrics.ter_compiled`` imports it
only when a TER statistic is first computed, so ``mteval --help`` and the
other metrics never pay for it, and an install without numba falls back to
sacrebleu's Python.

Words arrive as integer ids (``ter_compiled`` maps them): a reference word's
id is its index in the segment's reference vocabulary and every hypothesis
word that no reference has is ``-1``. The algorithm only ever compares a
hypothesis word with a reference word, so this loses nothing.

What is reproduced from sacrebleu 2.x, step for step, because each changes
the counts in some sentence:

- the beam edit distance: rows of the matrix are hypothesis positions, only
  ``[floor(i * n_ref / n_hyp) - beam, ... + beam)`` of row ``i`` is filled
  (the last row entirely), other cells are "infinite" (``10**16``) with an
  undefined operation; the beam widens when the length ratio is extreme;
- the preference between equal-cost operations (match/substitution, then
  deletion, then insertion, a strictly smaller cost replacing) and so the
  back-traced alignment that the shift search reads;
- the shift search: candidate pairs in sacrebleu's order (hypothesis start,
  reference start, growing length up to 10, at most 50 positions apart), its
  three filters, the target positions tried per pair, the "move" arithmetic
  of ``_perform_shift`` with its three cases, the ranking of candidates
  (gain, then length, then earliest start, then earliest target) and the
  cap of 1000 candidates per sentence pair, after which the best shift of
  the round that reached it is dropped.

sacrebleu's trie of matrix rows is a cache and nothing more (within one
sentence pair every hypothesis has the same length, so a row depends only
on the words before it); here a candidate reuses the rows of the current
hypothesis up to the first position the shift changes, which saves the same
work. A back-trace through an undefined cell, where sacrebleu raises, returns
``-1`` and the caller hands the pair to sacrebleu.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_INF = 10**16
_NOP, _SUB, _INS, _DEL, _UNDEF = 0, 1, 2, 3, 4
_BEAM_WIDTH = 25
_MAX_SHIFT_SIZE = 10
_MAX_SHIFT_DIST = 50
_MAX_SHIFT_CANDIDATES = 1000

#: Compiled once and kept next to this file, or in numba's per-user cache when the install is read-only.
_jit = numba.njit(cache=True, nogil=True)


@_jit
def _fill_row(words, ref, i, prev, row, ops, ratio, beam, n_hyp):
    """Row ``i`` of the beam edit distance from row ``i - 1`` (``prev``), as sacrebleu's ``_edit_distance``."""
    n_ref = ref.shape[0]
    for j in range(n_ref + 1):
        row[j] = _INF
        ops[j] = _UNDEF
    diagonal = math.floor(i * ratio)
    low = max(0, diagonal - beam)
    high = min(n_ref + 1, diagonal + beam)
    if i == n_hyp:
        high = n_ref + 1
    word = words[i - 1]
    for j in range(low, high):
        if j == 0:
            row[0] = prev[0] + 1
            ops[0] = _DEL
            continue
        best = row[j]
        op = _UNDEF
        if word == ref[j - 1]:
            cost, kind = prev[j - 1], _NOP
        else:
            cost, kind = prev[j - 1] + 1, _SUB
        if best > cost:
            best, op = cost, kind
        cost = prev[j] + 1
        if best > cost:
            best, op = cost, _DEL
        cost = row[j - 1] + 1
        if best > cost:
            best, op = cost, _INS
        if op != _UNDEF:
            row[j] = best
            ops[j] = op


@_jit
def _beam(n_hyp, n_ref):
    """sacrebleu's length ratio and beam width for a hypothesis of ``n_hyp`` words."""
    ratio = n_ref / n_hyp if n_hyp > 0 else 1.0
    if _BEAM_WIDTH < ratio / 2:
        return ratio, math.ceil(ratio / 2 + _BEAM_WIDTH)
    return ratio, _BEAM_WIDTH


@_jit
def _fill_matrix(words, ref, start, cost, ops, ratio, beam):
    """Rows ``start..n_hyp`` of the full matrix; rows before ``start`` are already those of ``words``."""
    n_hyp = words.shape[0]
    for i in range(max(start, 1), n_hyp + 1):
        _fill_row(words, ref, i, cost[i - 1], cost[i], ops[i], ratio, beam, n_hyp)


@_jit
def _distance_from(words, ref, start, cost, ratio, beam, row_a, row_b, ops_buffer):
    """Edit distance of ``words`` whose first ``start`` words equal those behind ``cost``'s rows."""
    n_hyp = words.shape[0]
    n_ref = ref.shape[0]
    if start >= n_hyp:
        return cost[n_hyp, n_ref]
    prev = cost[start]
    for i in range(start + 1, n_hyp + 1):
        row = row_a if (i - start) % 2 == 1 else row_b
        _fill_row(words, ref, i, prev, row, ops_buffer, ratio, beam, n_hyp)
        prev = row
    return prev[n_ref]


@_jit
def _alignment(ops, n_hyp, n_ref, align, ref_err, hyp_err, trace):
    """sacrebleu's ``trace_to_alignment`` of the flipped back-trace; False where the trace is undefined."""
    i, j, n = n_hyp, n_ref, 0
    while i > 0 or j > 0:
        op = ops[i, j]
        trace[n] = op
        n += 1
        if op == _NOP or op == _SUB:
            i -= 1
            j -= 1
        elif op == _INS:
            j -= 1
        elif op == _DEL:
            i -= 1
        else:
            return False
    pos_hyp, pos_ref = -1, -1
    for k in range(n - 1, -1, -1):
        op = trace[k]
        if op == _NOP or op == _SUB:  # both advance; a substitution is an error on both sides
            pos_hyp += 1
            pos_ref += 1
            align[pos_ref] = pos_hyp
            hyp_err[pos_hyp] = 1 if op == _SUB else 0
            ref_err[pos_ref] = hyp_err[pos_hyp]
        elif op == _DEL:  # flipped: an insertion of a hypothesis word
            pos_hyp += 1
            hyp_err[pos_hyp] = 1
        else:  # flipped: a deletion of a reference word
            pos_ref += 1
            align[pos_ref] = pos_hyp
            ref_err[pos_ref] = 1
    return True


@_jit
def _copy(words, a, b, out, k):
    for p in range(a, b):
        out[k] = words[p]
        k += 1
    return k


@_jit
def _perform_shift(words, start, length, target, out):
    """sacrebleu's ``_perform_shift``, into ``out`` (same three cases, same slice bounds)."""
    n = words.shape[0]
    end = start + length
    if target < start:
        k = _copy(words, 0, target, out, 0)
        k = _copy(words, start, end, out, k)
        k = _copy(words, target, start, out, k)
        _copy(words, end, n, out, k)
    elif target > end:
        k = _copy(words, 0, start, out, 0)
        k = _copy(words, end, target, out, k)
        k = _copy(words, start, end, out, k)
        _copy(words, target, n, out, k)
    else:  # sacrebleu slices [end:length + target], which Python clips to the end
        middle = min(n, length + target)
        k = _copy(words, 0, start, out, 0)
        k = _copy(words, end, middle, out, k)
        k = _copy(words, start, end, out, k)
        _copy(words, middle, n, out, k)


@_jit
def _common_prefix(a, b):
    n = a.shape[0]
    for k in range(n):
        if a[k] != b[k]:
            return k
    return n


@_jit
def _block_sum(values, start, length):
    total = 0
    for k in range(start, start + length):
        total += values[k]
    return total


@_jit
def ter_edits(hyp, ref):
    """TER edits (shifts + edit distance) of ``hyp`` against ``ref``; -1 where sacrebleu would raise."""
    n_hyp = hyp.shape[0]
    n_ref = ref.shape[0]
    if n_ref == 0:
        return n_hyp
    ratio, beam = _beam(n_hyp, n_ref)
    cost = np.empty((n_hyp + 1, n_ref + 1), dtype=np.int64)
    ops = np.empty((n_hyp + 1, n_ref + 1), dtype=np.int8)
    for j in range(n_ref + 1):
        cost[0, j] = j
        ops[0, j] = _INS
    words = hyp.copy()
    shifted = np.empty(n_hyp, dtype=hyp.dtype)
    row_a = np.empty(n_ref + 1, dtype=np.int64)
    row_b = np.empty(n_ref + 1, dtype=np.int64)
    ops_buffer = np.empty(n_ref + 1, dtype=np.int8)
    align = np.empty(n_ref, dtype=np.int64)
    ref_err = np.empty(n_ref, dtype=np.int64)
    hyp_err = np.empty(n_hyp, dtype=np.int64)
    trace = np.empty(n_hyp + n_ref, dtype=np.int8)
    _fill_matrix(words, ref, 1, cost, ops, ratio, beam)

    shifts = 0
    checked = 0
    while True:
        pre_score = cost[n_hyp, n_ref]
        if not _alignment(ops, n_hyp, n_ref, align, ref_err, hyp_err, trace):
            return -1
        found = False
        best_gain, best_length, best_start, best_target = 0, 0, 0, 0
        stop = False
        for start_h in range(n_hyp):
            for start_r in range(n_ref):
                if abs(start_r - start_h) > _MAX_SHIFT_DIST:
                    continue
                length = 0
                while length < _MAX_SHIFT_SIZE and words[start_h + length] == ref[start_r + length]:
                    length += 1
                    # one (start_h, start_r, length) pair of sacrebleu's _find_shifted_pairs
                    if (_block_sum(hyp_err, start_h, length) != 0 and _block_sum(ref_err, start_r, length) != 0
                            and not (start_h <= align[start_r] < start_h + length)):
                        prev_target = -1
                        for offset in range(-1, length):
                            if start_r + offset == -1:
                                target = 0
                            elif start_r + offset < n_ref:
                                target = align[start_r + offset] + 1
                            else:
                                break
                            if target == prev_target:
                                continue
                            prev_target = target
                            _perform_shift(words, start_h, length, target, shifted)
                            prefix = _common_prefix(words, shifted)
                            distance = _distance_from(shifted, ref, prefix, cost, ratio, beam, row_a, row_b,
                                                      ops_buffer)
                            if distance >= _INF:  # sacrebleu's back-trace would meet an undefined cell
                                return -1
                            gain = pre_score - distance
                            checked += 1
                            # sacrebleu ranks (gain, length, -start_h, -target) tuples, highest first
                            if (not found or gain > best_gain
                                    or (gain == best_gain and (length > best_length
                                        or (length == best_length and (start_h < best_start
                                            or (start_h == best_start and target < best_target)))))):
                                found = True
                                best_gain, best_length, best_start, best_target = gain, length, start_h, target
                        if checked >= _MAX_SHIFT_CANDIDATES:
                            stop = True
                            break
                    if n_hyp == start_h + length or n_ref == start_r + length:
                        break
                if stop:
                    break
            if stop:
                break
        if checked >= _MAX_SHIFT_CANDIDATES:
            break
        if not found or best_gain <= 0:
            break
        shifts += 1
        _perform_shift(words, best_start, best_length, best_target, shifted)
        prefix = _common_prefix(words, shifted)
        words[:] = shifted
        _fill_matrix(words, ref, prefix + 1, cost, ops, ratio, beam)
    return shifts + cost[n_hyp, n_ref]
