"""Every cache key of the scoring side, built in one place.

* A segment's **statistics** depend on the metric signature and the texts the
  metric sees: source, hypothesis and reference, each with its document's
  earlier sentences prepended when the metric scores with document context
  (``Metric.add_context``). The same sentence in two documents is then two
  entries.
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


def statistics_key(signature: str, source: str, hypothesis: str, reference: str | None) -> dict[str, Any]:
    """What one segment's statistics depend on (hashed by ``text_cache_key``)."""
    return {"metric": signature, "source": source, "hypothesis": hypothesis, "reference": reference}


class ScoringTexts(NamedTuple):
    """The texts a metric scores, aligned with the segments, and each segment's statistics key."""

    sources: list[str]
    hypotheses: list[str]
    references: list[str | None]
    keys: list[str]


def statistics_texts(metric: "Metric", signature: str, sources: Sequence[str], hypotheses: Sequence[str],
                     references: Sequence[str | None], doc_ids: Sequence[str]) -> ScoringTexts:
    """The texts ``metric`` is given for these segments (context added where it takes it), with their keys.

    References stay in the key of a reference-free metric too: a segment is
    one entry whatever metric scores it.
    """
    srcs, hyps, with_context = metric.add_context(
        sources, hypotheses, list(references) if metric.needs_reference else None, doc_ids)
    refs = with_context or list(references)
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
