"""Compiled (numba) loops of exact n-gram matching: reference tries built once, hypotheses walked through them.

Why compiled: sacrebleu counts n-grams with a ``Counter`` of substrings or
tuples per order and segment, then a Python loop over the hypothesis counter;
for chrF that is ~0.5 microseconds per character and order, most of a
corpus's scoring time. The same counts are a walk over integer arrays.

Data model (all numpy arrays, built by ``evals.metrics.ngram_match``):

- a *unit* is one token (BLEU, chrF++ words: an id from a vocabulary) or one
  character (chrF: its code point), always ``>= 0``; a hypothesis unit unknown
  to every reference is ``-1`` and matches nothing;
- a *trie* holds the n-grams (orders 1..``order``) of one reference, or of
  several references merged with the maximum count per n-gram (BLEU's
  clipping): node ``j`` (0-based, dense within its trie) is one distinct
  n-gram, its children are the n-grams one unit longer, and
  ``node_count[node_start[t] + j]`` is how often it occurs;
- a node is known by its *key* ``(parent + 1) << 32 | unit`` (the root's
  children have parent ``-1``), kept in ``node_key`` in creation order;
  lookups go through an open-addressing hash table of keys, which compares
  keys in full, so a lookup is exact (the hash only picks where probing
  starts).

Clipped matches without a counter: walking the hypothesis, the *c*-th
occurrence of an n-gram is a match exactly when ``c <= ref count``, so the sum
over occurrences equals sacrebleu's ``sum(min(hyp count, ref count))``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Fibonacci hashing: the key times 2**64 / golden ratio, top bits.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def _home(key: int, bits: int) -> int:
    """Where probing for ``key`` starts in a table of ``2 ** bits`` slots (``bits >= 1``)."""
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(64 - bits))


@njit(cache=True)
def build_nodes(units, seq_off, trie_seq, order, scratch_bits, node_key, node_count, node_start):
    """Every trie's nodes: their keys and counts, in creation order, into ``node_key``/``node_count``.

    Trie ``t`` takes the unit sequences ``trie_seq[t]..trie_seq[t + 1]`` (each
    ``units[seq_off[q]:seq_off[q + 1]]``); a node's count is its maximum over
    those sequences. ``node_start`` (``n_tries + 1``) receives where each
    trie's nodes begin. The scratch table (``2 ** scratch_bits`` slots) must
    hold any one trie at a load of at most one half.
    """
    cap = np.int64(1) << scratch_bits
    mask = cap - 1
    keys = np.full(cap, -1, np.int64)
    ids = np.zeros(cap, np.int64)
    slots = np.zeros(cap, np.int64)  # node -> its slot, to empty the table after each trie
    current = np.zeros(cap, np.int64)  # node -> count in the sequence being walked
    n = 0
    n_tries = trie_seq.shape[0] - 1
    for t in range(n_tries):
        base = n
        node_start[t] = base
        for q in range(trie_seq[t], trie_seq[t + 1]):
            start, end = seq_off[q], seq_off[q + 1]
            for i in range(start, end):
                node = -1
                for d in range(min(order, end - i)):
                    key = ((node + 1) << 32) | units[i + d]
                    h = _home(key, scratch_bits)
                    while keys[h] != -1 and keys[h] != key:
                        h = (h + 1) & mask
                    if keys[h] == -1:
                        keys[h] = key
                        ids[h] = n - base
                        slots[n - base] = h
                        node_key[n] = key
                        node_count[n] = 0
                        n += 1
                    node = ids[h]
                    current[node] += 1
            for j in range(n - base):
                if current[j] > node_count[base + j]:
                    node_count[base + j] = current[j]
                current[j] = 0
        for j in range(n - base):
            keys[slots[j]] = -1
    node_start[n_tries] = n


@njit(cache=True)
def match_counts(node_key, node_count, node_start, units, unit_off, slot_seg, slot_trie, order, out):
    """Clipped matches per order of hypothesis ``slot_seg[k]`` against trie ``slot_trie[k]``, into ``out[k]``.

    The hypothesis of segment ``s`` is ``units[unit_off[s]:unit_off[s + 1]]``.
    Each trie's nodes are hashed into one small scratch table for the
    hypothesis walk and taken out again: a trie is a few kilobytes read in
    order, where a hash table kept per trie would be several times larger and
    read at random, mostly from main memory.
    """
    most = 0
    for k in range(slot_trie.shape[0]):
        t = slot_trie[k]
        most = max(most, node_start[t + 1] - node_start[t])
    bits = max(1, _bit_length(2 * most))
    mask = (np.int64(1) << bits) - 1
    keys = np.full(mask + 1, -1, np.int64)
    ids = np.zeros(mask + 1, np.int64)
    slots = np.zeros(max(most, 1), np.int64)  # node -> its slot, to empty the table again
    seen = np.zeros(max(most, 1), np.int64)  # node -> occurrences in the hypothesis so far
    touched = np.zeros(max(most, 1), np.int64)
    for k in range(slot_seg.shape[0]):
        s, t = slot_seg[k], slot_trie[k]
        base, n_nodes = node_start[t], node_start[t + 1] - node_start[t]
        for j in range(n_nodes):
            key = node_key[base + j]
            h = _home(key, bits)
            while keys[h] != -1:
                h = (h + 1) & mask
            keys[h] = key
            ids[h] = j
            slots[j] = h
        start, end = unit_off[s], unit_off[s + 1]
        n_touched = 0
        for i in range(start, end):
            node = -1
            for d in range(min(order, end - i)):
                unit = units[i + d]
                if unit < 0:
                    break
                key = ((node + 1) << 32) | unit
                h = _home(key, bits)
                child = -1
                while True:
                    found = keys[h]
                    if found == key:
                        child = ids[h]
                        break
                    if found == -1:
                        break
                    h = (h + 1) & mask
                if child < 0:
                    break  # no reference n-gram extends this prefix
                count = seen[child] + 1
                seen[child] = count
                if count == 1:
                    touched[n_touched] = child
                    n_touched += 1
                if count <= node_count[base + child]:
                    out[k, d] += 1
                node = child
        for j in range(n_touched):
            seen[touched[j]] = 0
        for j in range(n_nodes):
            keys[slots[j]] = -1


@njit(cache=True)
def _bit_length(value: int) -> int:
    bits = 0
    while value:
        value >>= 1
        bits += 1
    return bits
