"""Every cache key of the scoring side, built in one place.

* A segment's **statistics** depend on the metric signature and the texts the
  metric sees: source, hypothesis and every reference, each with its
  document's earlier sentences prepended when the metric scores with document
  context (``Metric.add_context``). The same sentence in two documents is then
  two entries. A segment with one reference is keyed by that string, exactly
  as before several references existed (so existing caches stay valid); one
  with several by the list of them, in order.
* A hypothesis's **flags** depend on the flag rules (their signature), the
  texts and the language pair.
* A system score's **interval** depends on the metric signature, exactly which
  statistics rows it pools (their keys, in order), the documents they belong
  to (the resampling unit) and the bootstrap settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from evals.store.cache import cache_key, text_cache_key

if TYPE_CHECKING:
    from evals.metrics.base import Metric
    from evals.stats.settings import BootstrapSettings


def key_references(references: Sequence[str]) -> str | tuple[str, ...] | None:
    """A segment's references (``Segment.references``) as metrics and keys take them.

    None without a reference, the string itself for one (what every key and
    metric call had before several references), a tuple for several.
    """
    if isinstance(references, str):
        return references
    references = tuple(references)
    if not references:
        return None
    return references[0] if len(references) == 1 else references


def statistics_key(signature: str, source: str, hypothesis: str,
                   reference: str | Sequence[str] | None) -> dict[str, Any]:
    """What one segment's statistics depend on (hashed by ``text_cache_key``).

    ``reference`` is a string, None, or the segment's references; one
    reference gives the same key as that string.
    """
    reference = None if reference is None else key_references(reference)
    return {"metric": signature, "source": source, "hypothesis": hypothesis,
            "reference": list(reference) if isinstance(reference, tuple) else reference}


class ScoringTexts(NamedTuple):
    """The texts a metric scores, aligned with the segments, and each segment's statistics key."""

    sources: list[str]
    hypotheses: list[str]
    references: list[Any]
    keys: list[str]


def statistics_texts(metric: "Metric", signature: str, sources: Sequence[str], hypotheses: Sequence[str],
                     references: Sequence[Any], doc_ids: Sequence[str]) -> ScoringTexts:
    """The texts ``metric`` is given for these segments (context added where it takes it), with their keys.

    ``references[i]`` is segment ``i``'s reference string, tuple of
    references (``key_references``) or None. References stay in the key of a
    reference-free metric too: a segment is one entry whatever metric scores
    it.
    """
    references = [None if r is None else key_references(r) for r in references]
    srcs, hyps, with_context = metric.add_context(
        sources, hypotheses, references if metric.needs_reference else None, doc_ids)
    refs = with_context or references
    keys = [text_cache_key(statistics_key(signature, s, h, r)) for s, h, r in zip(srcs, hyps, refs)]
    return ScoringTexts(srcs, hyps, refs, keys)


def flags_key(signature: str, source: str, hypothesis: str, src_lang: str, tgt_lang: str) -> str:
    """The flag cache key of one hypothesis under the flag rules ``signature``."""
    return text_cache_key(statistics_key(signature, source, hypothesis, None) | {"langs": [src_lang, tgt_lang]})


def interval_key(signature: str, keys: Sequence[str], doc_ids: Sequence[str], settings: "BootstrapSettings") -> str:
    """The interval cache key of a system score pooled from the statistics rows ``keys``."""
    return cache_key({"ci": signature, "segments": digest(keys), "documents": digest(doc_ids),
                      "bootstrap": settings.key()})


def digest(texts: Sequence[str]) -> str:
    """sha256 of a list of strings, streamed (a million keys need no giant JSON string)."""
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8"))
        hasher.update(b"\x00")
    return hasher.hexdigest()
