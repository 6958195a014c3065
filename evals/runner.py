"""The main job: suite → systems → metrics → store.

``Runner.run(suite)`` loads the suite's corpora, translates every segment with
every system, flags untranslated or off-target output, scores with every
metric at segment, document and system level, and writes all of it to the
store. Two caches make it cheap to repeat:

* translations are keyed by sha256 of canonical JSON of (the system's
  output-determining description, source text, languages, script);
* per-segment metric statistics are keyed by (metric signature, source,
  hypothesis, reference).

Each batch is committed as it finishes, so a crash loses at most the batch in
flight, and running the same suite again recomputes nothing.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evals import provenance
from evals.corpora.model import Segment
from evals.errors import InputError, Unavailable
from evals.suite import MetricRef, Suite, SystemRef


@dataclass
class RunStats:
    """What a run computed versus what it found in the caches."""

    translated: int = 0
    translations_cached: int = 0
    scored: int = 0
    scores_cached: int = 0


@dataclass
class RunResult:
    run_id: int
    stats: RunStats
    notices: list[str] = field(default_factory=list)


class Progress:
    """A progress sink; the CLI passes a rich-backed one, the library a silent one."""

    def task(self, description: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
        return nullcontext(lambda advance: None)

    def notice(self, message: str) -> None:
        print(message, file=sys.stderr)


def translation_key(
    system_key: str, segment: Segment, context: Sequence[str] = (), by_segment: bool = False
) -> dict[str, Any]:
    """What a cached translation depends on (hashed by the store's ``cache_key``).

    ``context`` holds the sources of the previous segments a context-aware
    system sees; the same sentence in two documents is then two translations.
    ``by_segment`` is for systems whose output depends on the segment's
    identity (a file keyed by segment id), not only on its text.
    """
    key = {
        "system": system_key,
        "source": segment.source,
        "src_lang": segment.src_lang,
        "tgt_lang": segment.tgt_lang,
        "script": segment.script,
    }
    if context:
        key["context"] = list(context)
    if by_segment:
        key["segment"] = [segment.corpus, segment.seg_id]
    return key


def score_key(signature: str, source: str, hypothesis: str, reference: str | None) -> dict[str, Any]:
    return {"metric": signature, "source": source, "hypothesis": hypothesis, "reference": reference}


def load_corpora(suite: Suite) -> dict[str, list[Segment]]:
    """Every corpus of the suite, by name, in suite order."""
    from evals.corpora.loaders import load_segments

    corpora: dict[str, list[Segment]] = {}
    for ref in suite.corpora:
        path = Path(ref.path)
        if not path.exists():
            raise InputError(
                "corpus file not found", path=path,
                hint="build the seed corpora with `mteval corpus build`" if "corpora" in path.parts else None,
            )
        segments = load_segments(str(path))
        if ref.name:
            segments = [replace(s, corpus=ref.name) for s in segments]
        for segment in segments:
            corpora.setdefault(segment.corpus, []).append(segment)
    return corpora


def supports(system, segment: Segment) -> bool:
    pairs = getattr(system, "language_pairs", None)
    return pairs is None or (segment.src_lang, segment.tgt_lang) in pairs


class Runner:
    """Runs suites against one store."""

    def __init__(self, store, progress: Progress | None = None, jobs: int | None = None) -> None:
        from evals.metrics.flags import LanguageGuesser

        self.store = store
        self.progress = progress or Progress()
        self.jobs = jobs
        self.guesser = LanguageGuesser()  # loads langid on first use, once per runner
        self._metrics: dict[tuple[str, str, str], Any] = {}
        self._skipped: dict[str, tuple[int, list[str]]] = {}

    def run(self, suite: Suite, argv: Sequence[str] = ()) -> RunResult:
        from evals.corpora.loaders import corpus_hash

        self._metrics, self._skipped = {}, {}
        corpora = load_corpora(suite)
        systems = [self._build_system(ref) for ref in suite.systems]
        metrics = [ref for ref in suite.metrics]
        self._check_metric_names(metrics)
        info = provenance.collect()
        run_id = self.store.create_run(
            suite.name, suite.to_json(),
            {k: info[k] for k in ("git_commit", "mteval_version")} | {"package_versions": info["packages"]},
            {name: corpus_hash(segs) for name, segs in corpora.items()}, list(argv),
        )
        result = RunResult(run_id, RunStats())
        status = "failed"
        try:
            all_segments = [s for segs in corpora.values() for s in segs]
            segment_ids = self.store.add_segments(all_segments)
            hypotheses: dict[str, dict[tuple[str, str], str]] = {}
            system_ids: dict[str, int] = {}
            for ref, system in zip(suite.systems, systems):
                system_ids[system.name], hypotheses[system.name] = self._translate(
                    run_id, system, corpora, segment_ids, result, suite.options.get("batch_size")
                )
            for ref in metrics:
                for system in systems:
                    self._score(run_id, ref, system, system_ids[system.name], hypotheses[system.name],
                                corpora, segment_ids, result)
            for (name, _, _), metric in self._metrics.items():  # e.g. COMET's truncated-input count
                for message in getattr(metric, "notices", list)():
                    self._notice(result, f"{name}: {message}")
            for corpus, (count, names) in self._skipped.items():
                self._notice(result, f"{corpus}: {count} segments have no reference; reference-based "
                                     f"metrics ({', '.join(names)}) skip them")
            status = "done"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self.store.finish_run(run_id, status, notes={
                "notices": result.notices, "stats": vars(result.stats),
                "python": info["python"], "platform": info["platform"],
            })
        return result

    # --- systems ---------------------------------------------------------------------------

    def _build_system(self, ref: SystemRef):
        from evals.systems.registry import build_system

        system = build_system(ref.spec, **ref.options)
        if ref.name:
            system.name = ref.name
        return system

    def _notice(self, result: RunResult, message: str) -> None:
        if message not in result.notices:
            result.notices.append(message)
            self.progress.notice(message)

    def _translate(self, run_id, system, corpora, segment_ids, result, batch_size):
        from evals.store import cache_key
        from evals.systems.base import TranslationContext, check_outputs

        info = system.describe()
        system_id = self.store.add_system(
            run_id, system.name, system.spec, info.revision, info.params, info.to_json()
        )
        system_key = info.cache_key()
        hypotheses: dict[tuple[str, str], str] = {}
        context = None
        for corpus, segments in corpora.items():
            wanted = [s for s in segments if supports(system, s)]
            if len(wanted) < len(segments):
                self._notice(result, f"{system.name}: skipped {len(segments) - len(wanted)} segments of "
                                     f"{corpus} ({segments[0].src_lang}→{segments[0].tgt_lang} is not a "
                                     "language pair this system translates)")
            if not wanted:
                continue
            n_context = int(getattr(system, "context", 0) or 0)
            if n_context and context is None:
                context = TranslationContext([s for segs in corpora.values() for s in segs])
            keys = [
                cache_key(translation_key(system_key, s, [p.source for p in context.previous(s, n_context)]
                                          if n_context else (), by_segment=system.keyed_by_segment))
                for s in wanted
            ]
            cached = self.store.translation_cache.get_many(keys)
            result.stats.translations_cached += sum(1 for k in keys if k in cached)
            done = self.store.translations_done(run_id, system_id)

            def record(batch: list[tuple[Segment, str, str]]) -> None:
                batch = [b for b in batch if segment_ids[(b[0].corpus, b[0].seg_id)] not in done]
                if batch:
                    flags = self._flags([(s, hyp) for s, hyp, _ in batch])
                    self.store.add_translations(run_id, system_id, [
                        (segment_ids[(s.corpus, s.seg_id)], hyp, key, f)
                        for (s, hyp, key), f in zip(batch, flags)
                    ])

            record([(s, cached[k], k) for s, k in zip(wanted, keys) if k in cached])
            missing = [(s, k) for s, k in zip(wanted, keys) if k not in cached]
            size = system.max_batch_size or len(missing) or 1
            if batch_size:
                size = min(size, int(batch_size)) if system.max_batch_size else size
            with self.progress.task(f"{system.name} · {corpus}", len(missing)) as advance:
                for start in range(0, len(missing), size):
                    batch = missing[start:start + size]
                    if context is None:
                        context = TranslationContext([s for segs in corpora.values() for s in segs])
                    outputs = check_outputs(system, [s for s, _ in batch],
                                            system.translate([s for s, _ in batch], context))
                    self.store.translation_cache.put_many(
                        [(k, system.spec, hyp) for (_, k), hyp in zip(batch, outputs)]
                    )
                    record([(s, hyp, k) for (s, k), hyp in zip(batch, outputs)])
                    for (s, k), hyp in zip(batch, outputs):
                        cached[k] = hyp
                    result.stats.translated += len(batch)
                    advance(len(batch))
            for s, k in zip(wanted, keys):
                hypotheses[(s.corpus, s.seg_id)] = cached[k]
        return system_id, hypotheses

    def _flags(self, pairs: list[tuple[Segment, str]]) -> list[list[str]]:
        """Untranslated/off-target flags, cached like metric statistics (langid is slow to load)."""
        from evals.metrics.flags import flag_many, flags_from_mask, flags_signature, flags_to_mask
        from evals.store import cache_key

        signature = flags_signature()
        keys = [
            cache_key(score_key(signature, s.source, hyp, None) | {"langs": [s.src_lang, s.tgt_lang]})
            for s, hyp in pairs
        ]
        cached = self.store.score_cache.get_many(keys)
        missing = [i for i, key in enumerate(keys) if key not in cached]
        computed = flag_many([pairs[i][0].source for i in missing], [pairs[i][1] for i in missing],
                             [pairs[i][0].tgt_lang for i in missing], [pairs[i][0].src_lang for i in missing],
                             guesser=self.guesser) if missing else []
        self.store.score_cache.put_many(
            (keys[i], signature, float(len(f)), [flags_to_mask(f)]) for i, f in zip(missing, computed)
        )
        found = dict(zip(missing, computed))
        return [found[i] if i in found else flags_from_mask(int(cached[key].stats[0]))
                for i, key in enumerate(keys)]

    # --- metrics ---------------------------------------------------------------------------

    def _check_metric_names(self, metrics: list[MetricRef]) -> None:
        from evals.metrics import available_metrics

        names = available_metrics()
        for ref in metrics:
            base = ref.name.split(":", 1)[0]
            if base not in names:
                from evals.metrics import get_metric

                get_metric(ref.name, **ref.options)  # raises InputError with a suggestion

    def _metric(self, ref: MetricRef, tgt_lang: str):
        """One metric instance per (metric, options, target language) for the whole run.

        Neural metrics load their model once and keep embedding caches across
        systems, so the instance must be shared, not rebuilt per system.
        """
        from evals.store import canonical_json

        key = (ref.name, canonical_json(ref.options), tgt_lang)
        if key not in self._metrics:
            try:
                self._metrics[key] = self._new_metric(ref, tgt_lang)
            except Unavailable as error:
                self._metrics[key] = error
        if isinstance(self._metrics[key], Unavailable):
            raise self._metrics[key]
        return self._metrics[key]

    def _new_metric(self, ref: MetricRef, tgt_lang: str):
        from evals.metrics import get_metric

        options = dict(ref.options)
        if ref.name in ("bleu", "chrf", "chrf++", "ter"):
            options.setdefault("target_lang", tgt_lang)
            if ref.name == "ter" and self.jobs:
                options.setdefault("n_jobs", self.jobs)
        return get_metric(ref.name, **options)

    def _score(self, run_id, ref, system, system_id, hypotheses, corpora, segment_ids, result):
        import numpy as np

        from evals.metrics.base import score_levels
        from evals.store import cache_key

        for corpus, segments in corpora.items():
            translated = [s for s in segments if (s.corpus, s.seg_id) in hypotheses]
            if not translated:
                continue
            try:
                metric = self._metric(ref, translated[0].tgt_lang)
            except Unavailable as error:
                self._notice(result, f"{ref.name}: not available, skipped ({error})")
                return
            if metric.needs_reference:
                usable = [s for s in translated if s.reference is not None]
                if len(usable) < len(translated):
                    count, names = self._skipped.setdefault(corpus, (len(translated) - len(usable), []))
                    if ref.name not in names:
                        names.append(ref.name)
            else:
                usable = translated
            if not usable:
                continue
            signature = metric.signature()
            hyps = [hypotheses[(s.corpus, s.seg_id)] for s in usable]
            srcs, refs = [s.source for s in usable], [s.reference for s in usable]
            if getattr(metric, "doc_context", False):  # document context is part of each text, so of each key
                srcs, hyps, with_context = metric.add_context(
                    srcs, hyps, refs if metric.needs_reference else None, [s.doc_id for s in usable])
                refs = with_context or refs
            keys = [cache_key(score_key(signature, src, h, r)) for src, h, r in zip(srcs, hyps, refs)]
            cached = self.store.score_cache.get_many(keys)
            result.stats.scores_cached += sum(1 for k in keys if k in cached)
            rows: list[Any] = [None] * len(usable)
            for i, key in enumerate(keys):
                if key in cached:
                    rows[i] = metric.stats_from_json(cached[key].stats)
            missing = [i for i, row in enumerate(rows) if row is None]
            seg_details: dict[int, dict] = {}
            with self.progress.task(f"{ref.name} · {system.name} · {corpus}", len(missing)) as advance:
                if missing:
                    inputs = ([hyps[i] for i in missing], [refs[i] for i in missing] if metric.needs_reference
                              else None, [srcs[i] for i in missing])
                    try:
                        stats = metric.segment_stats(inputs[0], inputs[1], sources=inputs[2])
                    except Unavailable as error:  # a model that cannot be loaded on first use
                        self._metrics.update({k: error for k, v in self._metrics.items() if v is metric})
                        self._notice(result, f"{ref.name}: not available, skipped ({error})")
                        return
                    found = getattr(metric, "segment_details", lambda *a, **k: None)(
                        inputs[0], inputs[1], sources=inputs[2])  # e.g. xCOMET error spans
                    seg_details = {i: d for i, d in zip(missing, found or []) if d}
                    entries = []
                    for i, row in zip(missing, stats):
                        rows[i] = row
                        value = metric.segment_score(row)
                        entries.append((keys[i], signature, _finite(value), metric.stats_to_json(row)))
                    self.store.score_cache.put_many(entries)
                    result.stats.scored += len(missing)
                    advance(len(missing))
            stats, doc_ids = np.vstack(rows), [s.doc_id for s in usable]
            levels = score_levels(metric, stats, doc_ids)
            score_rows = self._score_rows(run_id, system_id, ref.name, corpus, usable, segment_ids, levels)
            system_row = next(row for row in score_rows if row["level"] == "system")
            system_row["details"] = {**system_row.get("details", {}),
                                     **self._ci_details(metric, signature, keys, stats, doc_ids)}
            if hasattr(metric, "system_details"):  # e.g. COMET: segments with truncated inputs
                system_row["details"].update(metric.system_details(stats))
            for i, details in seg_details.items():  # segment rows come first, in `usable` order
                score_rows[i]["details"] = details
            self.store.add_scores(score_rows)

    def _ci_details(self, metric, signature: str, keys: list[str], stats, doc_ids: list[str]) -> dict:
        """The system score's bootstrap interval, cached by the segments' statistics keys.

        1000 resamples per system, metric and corpus is the slowest thing a
        fully cached re-run would otherwise redo; the interval is a pure
        function of the rows, so it is cached like them.
        """
        from evals.stats import bootstrap
        from evals.store import cache_key

        settings = [bootstrap.DEFAULT_RESAMPLES, bootstrap.DEFAULT_SEED, bootstrap.DEFAULT_LEVEL,
                    bootstrap.MIN_DOCUMENTS]
        key = cache_key({"ci": signature, "segments": keys, "documents": doc_ids, "bootstrap": settings})
        hit = self.store.score_cache.get_many([key]).get(key)
        if hit is None:
            details = bootstrap.system_ci_details(metric, stats, doc_ids)
            low, high = details["ci"]
            known = low is not None and high is not None
            self.store.score_cache.put_many([(key, "ci|" + signature, None,
                                              [int(known), low if known else 0.0, high if known else 0.0])])
            return details
        known, low, high = hit.stats
        resampling = bootstrap.choose_resampling(len(keys), doc_ids, "auto", bootstrap.MIN_DOCUMENTS)
        return {
            "ci": [float(low), float(high)] if known else [None, None],
            "ci_level": bootstrap.DEFAULT_LEVEL, "resampling": resampling.unit,
            "resampling_reason": resampling.reason, "n_resamples": bootstrap.DEFAULT_RESAMPLES,
            "seed": bootstrap.DEFAULT_SEED,
        }

    @staticmethod
    def _score_rows(run_id, system_id, metric_name, corpus, usable, segment_ids, levels):
        base = {"run_id": run_id, "system_id": system_id, "metric": metric_name,
                "signature": levels.signature, "corpus": corpus}
        rows = [
            base | {"level": "segment", "doc_id": s.doc_id, "segment_id": segment_ids[(s.corpus, s.seg_id)],
                    "value": _finite(v)}
            for s, v in zip(usable, levels.segment)
        ]
        rows += [base | {"level": "document", "doc_id": doc, "value": _finite(v)}
                 for doc, v in levels.document.items()]
        rows.append(base | {"level": "system", "value": _finite(levels.system),
                            "details": {"segments": len(usable)}})
        return rows


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
