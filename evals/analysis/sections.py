"""The analyses, one function each: a ``CorpusView`` and the settings in, the section's JSON out.

Every section is computed as JSON first (the numbers the dashboard shows
and ``--format json`` prints); the tables and Markdown are rendered from that
JSON (``evals.analysis.render``), so every format holds the same numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.analysis.buckets import FREQUENCY_EDGES, Bucket, category_buckets, edge_buckets, edge_index, quantile_buckets
from evals.analysis.view import CorpusView

#: Documents are a bucket analysis only for a readable number of them.
MAX_DOCUMENT_BUCKETS = 40


@dataclass(frozen=True)
class AnalysisSettings:
    """How the analyses cut and resample (one value, passed everywhere)."""

    n_buckets: int = 5
    n_resamples: int = 1000
    seed: int = 12345
    level: float = 0.95
    top: int = 10
    examples: int = 3
    frequencies: Counter | None = field(default=None, compare=False)  # None: the corpus's references
    frequency_source: str = "references"
    pos: bool = False  # word accuracy by part of speech too (the ``pos`` extra)

    def to_json(self) -> dict[str, Any]:
        return {"n_buckets": self.n_buckets, "n_resamples": self.n_resamples, "seed": self.seed,
                "level": self.level, "top": self.top, "frequency_source": self.frequency_source}


# ---- scores by bucket ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """One way to bucket a corpus: its key, its title and its buckets (None: not applicable here)."""

    by: str
    title: str
    buckets: Callable[[CorpusView, AnalysisSettings], list[Bucket] | None]


def _source_length(view: CorpusView, s: AnalysisSettings) -> list[Bucket]:
    return quantile_buckets([len(t) for t in view.sources()], s.n_buckets)


def _reference_length(view: CorpusView, s: AnalysisSettings) -> list[Bucket]:
    return quantile_buckets([len(t.split()) for t in view.references()], s.n_buckets)


def _baseline_score(view: CorpusView, s: AnalysisSettings) -> list[Bucket]:
    return quantile_buckets(view.sentence.sentence_scores(view.baseline), s.n_buckets)


def _documents(view: CorpusView, s: AnalysisSettings) -> list[Bucket] | None:
    buckets = category_buckets(view.doc_ids)
    return buckets if 2 <= len(buckets) <= MAX_DOCUMENT_BUCKETS else None


def _attribute(key: str) -> Callable[[CorpusView, AnalysisSettings], list[Bucket] | None]:
    def cut(view: CorpusView, s: AnalysisSettings) -> list[Bucket] | None:
        values = view.attributes.get(key)
        buckets = category_buckets(values, order=str) if values else []
        return buckets if len(buckets) >= 2 else None

    return cut


def cuts(view: CorpusView) -> list[Cut]:
    return [
        Cut("src_length", "Source length (characters)", _source_length),
        Cut("ref_length", "Reference length (words)", _reference_length),
        Cut("baseline_score", f"Sentence {view.sentence.name} of {view.baseline} (the baseline)", _baseline_score),
        Cut("document", "Document", _documents),
        Cut("domain", "Domain", _attribute("domain")),
        Cut("origlang", "Original language (origlang)", _attribute("origlang")),
    ]


def bucket_scores(view: CorpusView, buckets: Sequence[Bucket], s: AnalysisSettings) -> list[dict[str, Any]]:
    """Each bucket's corpus score per system, from the pooled statistics of its segments, with a bootstrap CI.

    The CI resamples the bucket's segments (buckets cut across documents),
    every system on the same draws; a bucket of one segment has none.
    """
    from evals.stats.bootstrap import bootstrap_samples, choose_resampling, interval_bounds

    metric, stats = view.metric.metric, view.metric.stats
    out = []
    for bucket in buckets:
        index = list(bucket.indices)
        rows = [stats[name][index] for name in view.systems]
        cis: list[list[float] | None] = [None] * len(rows)
        if bucket.n >= 2:
            resampling = choose_resampling(bucket.n, None, "segment")
            samples = bootstrap_samples(metric, rows, resampling, s.n_resamples, s.seed)
            cis = [[_round(v) for v in interval_bounds(sample, s.level)] for sample in samples]
        scores = {name: {"value": _round(metric.score_from_stats(r)), "ci": ci}
                  for name, r, ci in zip(view.systems, rows, cis)}
        out.append({"label": bucket.label, "lo": _plain(bucket.lo), "hi": _plain(bucket.hi), "n": bucket.n,
                    "scores": scores})
    return out


def buckets_section(view: CorpusView, s: AnalysisSettings) -> list[dict[str, Any]]:
    out = []
    for cut in cuts(view):
        buckets = cut.buckets(view, s)
        if buckets:
            out.append({"by": cut.by, "title": cut.title, "buckets": bucket_scores(view, buckets, s)})
    return out


# ---- word accuracy -----------------------------------------------------------------------------


def word_accuracy_section(view: CorpusView, s: AnalysisSettings) -> dict[str, Any]:
    """F-measure, precision and recall of words per word-frequency bucket, per system."""
    from evals.analysis.words import reference_frequencies

    frequencies = s.frequencies if s.frequencies is not None else reference_frequencies(view.reference_tokens())
    edges = FREQUENCY_EDGES

    def bucket_of(word: str) -> int:
        return edge_index(frequencies.get(word, 0), edges)

    template = edge_buckets([], edges)
    return {"by": "frequency", "source": s.frequency_source,
            "buckets": _word_buckets(view, bucket_of, [(j, b.label, b.lo, b.hi) for j, b in enumerate(template)])}


def word_accuracy_pos_section(view: CorpusView, s: AnalysisSettings) -> dict[str, Any] | None:
    """Word accuracy by (coarse Penn) part of speech; None unless asked for (``--pos``, the ``pos`` extra)."""
    if not s.pos:
        return None
    from evals.analysis.pos import tags_of_words

    texts = [*view.reference_tokens(), *(t for name in view.systems for t in view.hypothesis_tokens(name))]
    tags = tags_of_words(texts)
    names = sorted(set(tags.values()))
    return {"by": "pos", "source": "nltk perceptron tagger",
            "buckets": _word_buckets(view, lambda w: tags.get(w, "?"), [(t, t, None, None) for t in [*names, "?"]])}


def _word_buckets(view: CorpusView, bucket_of, slots) -> list[dict[str, Any]]:
    from evals.analysis.words import word_accuracy

    refs = view.reference_tokens()
    counts = {name: word_accuracy(view.hypothesis_tokens(name), refs, bucket_of) for name in view.systems}
    out = []
    for key, label, lo, hi in slots:
        n = max((c[key].reference for c in counts.values() if key in c), default=0)
        if n == 0:
            continue  # no reference word of this kind (hypothesis words alone have nothing to match)
        scores = {}
        for name in view.systems:
            c = counts[name].get(key)
            scores[name] = ({"value": _round(c.f_measure), "precision": _round(c.precision),
                             "recall": _round(c.recall)} if c is not None
                            else {"value": None, "precision": None, "recall": None})
        out.append({"label": label, "lo": lo, "hi": hi, "n": n, "scores": scores})
    return out


# ---- salient n-grams ---------------------------------------------------------------------------


def salient_section(view: CorpusView, s: AnalysisSettings) -> list[dict[str, Any]]:
    """Per system: the n-grams it matches and the baseline misses, and the other way round."""
    from evals.analysis.salient import matched_ngrams, ngrams, salient_ngrams

    refs = [ngrams(r) for r in view.reference_tokens()]
    matches = {name: [matched_ngrams(h, r) for h, r in zip(view.hypothesis_tokens(name), refs)]
               for name in view.systems}
    out = []
    for name in view.others:
        better, worse = salient_ngrams(view.seg_ids, matches[name], matches[view.baseline], top=s.top,
                                       examples=s.examples)
        out.append({"better": name, "worse": view.baseline, "ngrams": [g.to_json() for g in better]})
        out.append({"better": view.baseline, "worse": name, "ngrams": [g.to_json() for g in worse]})
    return out


# ---- differences -------------------------------------------------------------------------------


def differences_section(view: CorpusView, s: AnalysisSettings) -> list[dict[str, Any]]:
    """Per system against the baseline: segment and document wins/ties/losses, histogram of differences."""
    from evals.analysis.differences import histogram, histogram_edges, outcomes
    from evals.compare.align import Pair
    from evals.compare.analysis import document_deltas

    rows = view.sentence
    base = rows.sentence_scores(view.baseline)
    edges = histogram_edges(max([abs(v) for v in base] + [1.0]))
    out = []
    for name in view.others:
        scores = rows.sentence_scores(name)
        diffs = [a - b for a, b in zip(scores, base)]
        pair = Pair(view.corpus, rows.name, rows.metric, rows.metric.signature(), view.seg_ids, view.doc_ids,
                    rows.stats[view.baseline], rows.stats[name])
        docs = Counter(d.outcome for d in document_deltas(pair))
        out.append({"system": name, "baseline": view.baseline, "metric": rows.name,
                    "higher_is_better": rows.metric.higher_is_better,
                    "segments": outcomes(diffs, rows.metric.higher_is_better).to_json(),
                    "documents": {k: docs.get(k, 0) for k in ("win", "tie", "loss")},
                    "mean_difference": _round(sum(diffs) / len(diffs)) if diffs else None,
                    "histogram": {"edges": list(edges), "counts": histogram(diffs, edges)}})
    return out


# ---- zh→en phenomena ---------------------------------------------------------------------------


def phenomena_section(view: CorpusView, s: AnalysisSettings) -> list[dict[str, Any]] | None:
    """Per phenomenon check: each system's accuracy with a bootstrap CI, and example items it missed.

    The items are found in the sources once (``evals.phenomena``); every
    system is scored on the same segment draws, as the metrics of the same
    names would be in a run. A check whose sources hold no item is left out;
    the checks read English hypotheses, so another target language has none (None).
    """
    import numpy as np

    from evals.phenomena import CHECKS
    from evals.phenomena.metric import Phenomenon
    from evals.stats.bootstrap import bootstrap_samples, choose_resampling, interval_bounds

    if view.target_lang != "en":
        return None
    sources = view.sources()
    hypotheses = {name: [r.hypothesis or "" for r in view.records[name]] for name in view.systems}
    out = []
    for check, module in CHECKS.items():
        found = [module.items(source) for source in sources]
        with_items = [i for i, items in enumerate(found) if items]
        if not with_items:
            continue
        metric = Phenomenon(check, view.target_lang)
        rows: dict[str, np.ndarray] = {}
        misses: dict[str, list[dict[str, Any]]] = {}
        for name in view.systems:
            stats = np.zeros((len(sources), 2), dtype=np.int64)
            examples: list[dict[str, Any]] = []
            for i in with_items:
                ok = module.matched(found[i], hypotheses[name][i])
                stats[i] = (sum(ok), len(ok))
                missed = [item.text for item, hit in zip(found[i], ok) if not hit]
                if missed and len(examples) < s.examples:
                    examples.append({"seg_id": view.seg_ids[i], "missed": missed, "source": sources[i],
                                     "hypothesis": hypotheses[name][i]})
            rows[name], misses[name] = stats, examples
        resampling = choose_resampling(len(sources), None, "segment")
        samples = bootstrap_samples(metric, [rows[n] for n in view.systems], resampling, s.n_resamples, s.seed)
        scores = {}
        for name, sample in zip(view.systems, samples):
            matched, items = (int(v) for v in rows[name].sum(axis=0))
            scores[name] = {"value": _round(metric.score_from_stats(rows[name])),
                            "ci": [_round(v) for v in interval_bounds(sample, s.level)],
                            "matched": matched, "items": items, "missed": misses[name]}
        out.append({"check": check, "title": (module.__doc__ or check).strip().splitlines()[0],
                    "segments": len(with_items), "items": int(rows[view.baseline][:, 1].sum()),
                    "signature": metric.signature(), "scores": scores})
    return out


def _round(value: float | None, digits: int = 4) -> float | None:
    import math

    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _plain(value):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 4)
