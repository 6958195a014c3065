"""One corpus as every analysis sees it: the systems' texts and statistics aligned on the baseline's segments.

Built from comparison sides (``evals.compare.SystemData``: a stored run's
systems, or baseline files), paired by ``evals.compare.align`` so a system on
other segments or with another metric signature is the same error as in
``mteval compare``. Tokens are computed once per text and kept on the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evals.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from evals.compare.sides import SegmentRecord, SystemData
    from evals.metrics.base import Metric


@dataclass
class MetricRows:
    """One metric's per-segment statistics of every system, rows in ``CorpusView.seg_ids`` order."""

    name: str
    metric: "Metric"
    stats: dict[str, "np.ndarray"]

    def sentence_scores(self, system: str) -> list[float]:
        return self.metric.segment_scores(self.stats[system])


@dataclass
class CorpusView:
    corpus: str
    baseline: str
    systems: list[str]  # the baseline first
    seg_ids: list[str]
    doc_ids: list[str]
    records: dict[str, list["SegmentRecord"]]  # system -> its records in seg_ids order
    metric: MetricRows  # the metric scored by bucket
    sentence: MetricRows  # the metric whose sentence scores compare segments (``Metric.segment_ranking``)
    attributes: dict[str, list[str | None]] = field(default_factory=dict)  # "domain"/"origlang" per segment
    target_lang: str = "en"
    _tokens: dict[Any, list[list[str]]] = field(default_factory=dict, repr=False)

    @property
    def others(self) -> list[str]:
        return [s for s in self.systems if s != self.baseline]

    def references(self) -> list[str]:
        return [r.reference or "" for r in self.records[self.baseline]]

    def sources(self) -> list[str]:
        return [r.source or "" for r in self.records[self.baseline]]

    def reference_tokens(self) -> list[list[str]]:
        return self._tokenised("reference", self.references())

    def hypothesis_tokens(self, system: str) -> list[list[str]]:
        return self._tokenised(("hypothesis", system), [r.hypothesis or "" for r in self.records[system]])

    def _tokenised(self, key: Any, texts: Sequence[str]) -> list[list[str]]:
        if key not in self._tokens:
            from evals.analysis.words import tokenizer

            tokenize = tokenizer()
            self._tokens[key] = [tokenize(t) for t in texts]
        return self._tokens[key]


def build_view(baseline: "SystemData", others: Sequence["SystemData"], corpus: str, metric: str, sentence: str,
               *, names: Mapping[int, str] | None = None,
               attributes: Mapping[str, Mapping[str, str | None]] | None = None) -> CorpusView:
    """The view of ``corpus``: ``baseline`` and ``others`` aligned on ``metric`` (and ``sentence``).

    ``attributes``: per seg_id, the corpus's ``domain``/``origlang`` where it keeps them.
    Systems are named by their ``system`` name unless ``names`` (by ``id(side)``) says otherwise.
    """
    from evals.compare.align import align

    def name(side: "SystemData") -> str:
        return (names or {}).get(id(side), side.system)

    wanted = list(dict.fromkeys([metric, sentence]))
    base_name = name(baseline)
    base_corpus = baseline.corpora.get(corpus)
    if base_corpus is None:
        raise InputError(f"{baseline.label} has no translations for corpus {corpus!r}", field="corpus")
    for m in wanted:
        if m not in base_corpus.metrics:
            raise InputError(f"{baseline.label} has no {m} scores for corpus {corpus!r}", field="metric",
                             hint=f"scored: {', '.join(base_corpus.metrics) or 'none'}")
    base_data = base_corpus.metrics[metric]
    seg_ids, doc_ids = list(base_data.seg_ids), list(base_data.doc_ids)
    metric_rows = MetricRows(metric, _metric_of(base_data), {base_name: base_data.stats})
    sentence_rows = MetricRows(sentence, _metric_of(base_corpus.metrics[sentence]), {})
    sentence_rows.stats[base_name] = _ordered(base_corpus.metrics[sentence], seg_ids, sentence_rows.metric)
    records = {base_name: _records(baseline, corpus, seg_ids)}
    for side in others:
        pairs, _ = align(baseline, side, corpora=[corpus], metrics=wanted)
        by_metric = {p.metric_name: p for p in pairs}
        metric_rows.stats[name(side)] = by_metric[metric].system
        sentence_rows.stats[name(side)] = _ordered_rows(by_metric[sentence], seg_ids, sentence_rows.metric)
        records[name(side)] = _records(side, corpus, seg_ids)
    attrs: dict[str, list[str | None]] = {}
    for key in ("domain", "origlang"):
        values = [(attributes or {}).get(s, {}).get(key) for s in seg_ids]
        if any(v is not None for v in values):
            attrs[key] = values
    systems = [base_name, *(name(s) for s in others)]
    return CorpusView(corpus, base_name, systems, seg_ids, doc_ids, records, metric_rows, sentence_rows, attrs,
                      target_lang=base_data.target_lang or "en")


def _metric_of(data) -> "Metric":
    from evals.scoring import metric_for

    return data.metric or metric_for(data.name, data.options, data.target_lang)[0]


def _ordered(data, seg_ids: Sequence[str], metric: "Metric") -> "np.ndarray":
    order = {s: i for i, s in enumerate(data.seg_ids)}
    missing = [s for s in seg_ids if s not in order]
    if missing:
        raise InputError(f"{data.name} has no statistics for segments {', '.join(missing[:5])}", field="segments")
    return metric.check_stats(data.stats)[[order[s] for s in seg_ids]]


def _ordered_rows(pair, seg_ids: Sequence[str], metric: "Metric") -> "np.ndarray":
    order = {s: i for i, s in enumerate(pair.seg_ids)}
    return metric.check_stats(pair.system)[[order[s] for s in seg_ids]]


def _records(side: "SystemData", corpus: str, seg_ids: Sequence[str]) -> list["SegmentRecord"]:
    segments = side.corpora[corpus].segments
    records = [segments[s] for s in seg_ids]
    missing = [r.seg_id for r in records if r.hypothesis is None or r.reference is None]
    if missing:
        what = "hypotheses" if any(r.hypothesis is None for r in records) else "references"
        raise InputError(f"{side.label} · {corpus}: {len(missing)} segments have no {what} stored "
                         f"(e.g. {missing[0]!r}); the analyses read the texts", field="hypothesis",
                         hint="analyse a stored run, or a baseline file saved without --no-hypotheses")
    return records
