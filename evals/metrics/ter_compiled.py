"""sacrebleu's TER with the edit counting compiled (numba), the same statistics ~100x faster.

sacrebleu's TER spends nearly all its time in the shift search of
``sacrebleu.metrics.lib_ter`` (pure Python: about 50 ms per WMT sentence).
``CompiledTER`` is sacrebleu's own ``TER`` class with one hook replaced:
``_compute_segment_statistics`` hands the words, as integer ids, to
``evals.metrics.ter_numba``. Everything else is sacrebleu's, called as
sacrebleu calls it -- tokenisation and normalisation (``TercomTokenizer``:
tercom normaliser, Asian support, case, punctuation), reference extraction,
the choice of the best reference and the averaging of reference lengths,
scoring and the signature -- so the rows are sacrebleu's rows (the parity
tests compare every WMT22 segment) and the signature does not change.

numba is optional (``pip install 'mteval-zh[fast]'``). It is imported when the
first statistic is computed, not when the metric is built (importing numba
costs half a second that a fully cached re-run should not pay). Without it
the metric warns once and runs sacrebleu's Python (``backend`` says which
ran). The compiled code is cached on disk by numba (next to the module, or in
numba's per-user cache directory when the install is read-only; see
``scripts/bench_ter.py`` for the one-off compile time).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from sacrebleu.metrics.lib_ter import translation_edit_rate
from sacrebleu.metrics.ter import TER as _SacreTER

#: ``backend`` values.
COMPILED, PYTHON = "numba", "python"

FALLBACK_MESSAGE = (
    "numba is not available ({error}): TER runs sacrebleu's pure-Python edit distance instead "
    "(identical statistics, about 100x slower); install it with pip install 'mteval-zh[fast]'"
)


class CompiledTER(_SacreTER):
    """sacrebleu's ``TER`` whose per-segment edit counts come from compiled code when numba imports."""

    def __init__(self, **options: Any) -> None:
        self._compiled: bool | None = None  # unknown until the first statistic (or ``backend()``)
        super().__init__(**options)

    def backend(self) -> str:
        """``"numba"`` or ``"python"``: tries the compiled kernel once, warning when it cannot load."""
        if self._compiled is None:
            try:
                _warm_up()
            except ImportError as error:
                warnings.warn(FALLBACK_MESSAGE.format(error=error), RuntimeWarning, stacklevel=2)
                self._compiled = False
            else:
                self._compiled = True
        return COMPILED if self._compiled else PYTHON

    def _extract_reference_info(self, refs: Sequence[str]) -> dict[str, Any]:
        """sacrebleu's reference words, plus the same words as ids over the segment's reference vocabulary."""
        info = super()._extract_reference_info(refs)
        info["ref_vocabulary"], info["ref_ids"] = _reference_ids(info["ref_words"])
        return info

    def _compute_segment_statistics(self, hypothesis: str, ref_kwargs: dict[str, Any]) -> list[float]:
        """``[fewest edits over the references, mean reference length]``, as sacrebleu's method returns them."""
        if self.backend() == PYTHON:
            return super()._compute_segment_statistics(hypothesis, ref_kwargs)
        import numpy as np

        from evals.metrics.ter_numba import ter_edits

        ref_words = ref_kwargs["ref_words"]
        if "ref_ids" in ref_kwargs:
            vocabulary, ref_ids = ref_kwargs["ref_vocabulary"], ref_kwargs["ref_ids"]
        else:  # reference words extracted by sacrebleu's own class
            vocabulary, ref_ids = _reference_ids(ref_words)
        words_hyp = hypothesis.split()
        hyp = np.array([vocabulary.get(word, -1) for word in words_hyp], dtype=np.int64)
        best_edits = int(1e16)
        ref_lengths = 0
        for words_ref, ref in zip(ref_words, ref_ids):
            edits = int(ter_edits(hyp, ref))
            if edits < 0:  # a corner sacrebleu's Python handles (or raises on) itself
                edits, _ = translation_edit_rate(words_hyp, words_ref)
            ref_lengths += len(words_ref)
            best_edits = min(best_edits, edits)
        return [best_edits, ref_lengths / len(ref_words)]


def _reference_ids(ref_words: list[list[str]]) -> tuple[dict[str, int], list[Any]]:
    """One vocabulary over a segment's references and each reference as ids in it.

    Hypothesis words outside it all become -1: TER only compares hypothesis
    words with reference words, never with each other.
    """
    import numpy as np

    vocabulary: dict[str, int] = {}
    ids = [np.array([vocabulary.setdefault(word, len(vocabulary)) for word in words], dtype=np.int64)
           for words in ref_words]
    return vocabulary, ids


def _warm_up() -> None:
    """Import numba and load (or, the first time on a machine, compile) the kernel: ImportError without numba.

    Done in the parent process before any worker forks, so the workers
    inherit the loaded code instead of each loading it from numba's cache.
    """
    import numpy as np

    from evals.metrics.ter_numba import ter_edits

    ter_edits(np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))
