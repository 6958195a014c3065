"""Parts of speech for word accuracy by POS (the optional ``pos`` extra: NLTK's perceptron tagger).

A word type gets the tag it has most often in the texts tagged (the corpus's
references and hypotheses), so word accuracy can be bucketed by tag with the
same pooling as by frequency (``evals.analysis.words.word_accuracy``).

NLTK's tagger model (``averaged_perceptron_tagger_eng``) is NLTK *data*, not
part of the PyPI package: ``python -m nltk.downloader averaged_perceptron_tagger_eng``
fetches it. Without the package or the data the analysis says so in one line
and leaves the section out; nothing else changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from evals.errors import Unavailable

INSTALL_HINT = ("pip install 'mteval-zh[pos]' and fetch the tagger model: "
                "python -m nltk.downloader averaged_perceptron_tagger_eng")


def tagger_available() -> str | None:
    """None when tagging works here, else why not (one line)."""
    try:
        _tagger()
    except Unavailable as missing:
        return str(missing)
    return None


def _tagger():
    try:
        import nltk
        from nltk.tag.perceptron import PerceptronTagger
    except ImportError:
        raise Unavailable("part-of-speech buckets need NLTK", hint=INSTALL_HINT) from None
    try:
        return PerceptronTagger()
    except (LookupError, OSError, ValueError):
        raise Unavailable(f"NLTK {nltk.__version__} has no English tagger model here", hint=INSTALL_HINT) from None


def tags_of_words(texts: Sequence[Sequence[str]]) -> dict[str, str]:
    """Each word type's most frequent coarse tag (the first two letters of the Penn tag: NN, VB, JJ...)."""
    tagger = _tagger()
    seen: dict[str, Counter] = {}
    for tokens in texts:
        for word, tag in tagger.tag(list(tokens)):
            seen.setdefault(word, Counter())[tag[:2]] += 1
    return {word: counts.most_common(1)[0][0] for word, counts in seen.items()}
