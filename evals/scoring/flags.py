"""Translation flags through the flag cache (language identification is slow to load and to run)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evals.scoring.keys import flags_key

if TYPE_CHECKING:
    from evals.corpora.model import Segment
    from evals.metrics.flags import LanguageGuesser
    from evals.store.api import Store


def cached_flags(store: "Store", guesser: "LanguageGuesser", pairs: Sequence[tuple["Segment", str]]) -> list[list[str]]:
    """The flags of each ``(segment, hypothesis)``: from the cache, else computed and cached."""
    from evals.metrics.flags import flag_many, flags_from_mask, flags_signature, flags_to_mask

    signature = flags_signature()
    keys = [flags_key(signature, s.source, hyp, s.src_lang, s.tgt_lang) for s, hyp in pairs]
    cached = store.flag_cache.get_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in cached]
    computed = flag_many([pairs[i][0].source for i in missing], [pairs[i][1] for i in missing],
                         [pairs[i][0].tgt_lang for i in missing], [pairs[i][0].src_lang for i in missing],
                         guesser=guesser) if missing else []
    store.flag_cache.put_many((keys[i], signature, flags_to_mask(f)) for i, f in zip(missing, computed))
    found = dict(zip(missing, computed))
    return [found[i] if i in found else flags_from_mask(cached[key]) for i, key in enumerate(keys)]
