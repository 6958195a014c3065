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

from evals import __version__, provenance
from evals.corpora.model import Segment
from evals.errors import InputError, Unavailable
from evals.suite import MetricRef, Suite, SystemRef


LEXICAL_METRICS = ("bleu", "chrf", "chrf++", "ter")
# Segments per cache lookup and per committed batch of cached translations.
TRANSLATION_CACHE_BATCH = 5000
# Segments per committed batch of metric statistics (and per executor call).
SCORE_BATCH = 5000
# Version of what ``Runner._input_key`` hashes; bump it when that changes shape.
INPUT_KEY_VERSION = 1


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


class _LazyContext:
    """The run's TranslationContext, built on first use: most runs never need it."""

    def __init__(self, segments: list[Segment]) -> None:
        self._segments = segments
        self._context = None

    def get(self):
        from evals.systems.base import TranslationContext

        if self._context is None:
            self._context = TranslationContext(self._segments)
        return self._context


def supports(system, segment: Segment) -> bool:
    pairs = getattr(system, "language_pairs", None)
    return pairs is None or (segment.src_lang, segment.tgt_lang) in pairs


class Runner:
    """Runs suites against one store.

    Work goes system by system: translate every corpus, then score that
    system's hypotheses with every metric, then let them go. Memory then
    holds one system's hypotheses at a time, which is what lets a million-
    segment corpus fit. Translations and statistics are committed batch by
    batch, each batch in one transaction together with its cache entries.
    """

    def __init__(self, store, progress: Progress | None = None, jobs: int | None = None,
                 executor=None, score_batch: int = SCORE_BATCH, reuse_runs: bool = True) -> None:
        from evals.metrics.flags import LanguageGuesser

        self.store = store
        self.reuse_runs = reuse_runs
        self.progress = progress or Progress()
        self.jobs = jobs
        self.executor = executor
        self.score_batch = max(1, int(score_batch))
        self.guesser = LanguageGuesser()  # loads langid on first use, once per runner
        self._metrics: dict[tuple[str, str, str], Any] = {}
        self._skipped: dict[str, tuple[int, list[str]]] = {}

    def run(self, suite: Suite, argv: Sequence[str] = ()) -> RunResult:
        from evals.corpora.loaders import corpus_hash
        from evals.executors import LocalExecutor

        self._metrics, self._skipped, self._complete = {}, {}, True
        corpora = load_corpora(suite)
        systems = [self._build_system(ref) for ref in suite.systems]
        metrics = [ref for ref in suite.metrics]
        self._check_metric_names(metrics)
        info = provenance.collect()
        hashes = {name: corpus_hash(segs) for name, segs in corpora.items()}
        run_id = self.store.create_run(
            suite.name, suite.to_json(),
            {k: info[k] for k in ("git_commit", "mteval_version")} | {"package_versions": info["packages"]},
            hashes, list(argv),
        )
        result = RunResult(run_id, RunStats())
        executor = None
        status, input_key = "failed", None
        try:
            input_key = self._input_key(suite, hashes, systems, corpora, info["packages"])
            earlier = self.store.reusable_run(input_key) if self.reuse_runs else None
            if earlier is not None:  # its segments are stored already: the key covers their content
                self._reuse(earlier, run_id, systems, result)
                status = "done"
                return result
            all_segments = [s for segs in corpora.values() for s in segs]
            segment_ids = self.store.add_segments(all_segments)
            executor = self.executor or LocalExecutor()
            context = _LazyContext(all_segments)
            for index, ref in enumerate(suite.systems):
                system, systems[index] = systems[index], None  # freed once done: a file system holds its file
                system_id, hypotheses = self._translate(
                    run_id, ref, system, corpora, segment_ids, result, suite.options.get("batch_size"),
                    executor, context,
                )
                for metric_ref in metrics:
                    self._score(run_id, metric_ref, system, system_id, hypotheses, corpora, segment_ids,
                                result, executor)
                del hypotheses, system  # one system's hypotheses in memory at a time
            for (name, _, _), built in self._metrics.items():  # e.g. COMET's truncated-input count
                for message in getattr(built[0], "notices", list)() if isinstance(built, tuple) else ():
                    self._notice(result, f"{name}: {message}")
            for corpus, (count, names) in self._skipped.items():
                self._notice(result, f"{corpus}: {count} segments have no reference; reference-based "
                                     f"metrics ({', '.join(names)}) skip them")
            status = "done"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            if self.executor is None and executor is not None:
                executor.close()
            self.store.finish_run(run_id, status, notes={
                "notices": result.notices, "stats": vars(result.stats),
                "python": info["python"], "platform": info["platform"],
            }, input_key=input_key if self._complete else None)
        return result

    # --- reusing an identical run ------------------------------------------------------------

    def _input_key(self, suite: Suite, corpus_hashes: dict[str, str], systems, corpora, packages) -> str:
        """sha256 of everything this run's results depend on.

        The suite (systems with their options and names, metrics with their
        options, suite options), the corpora's content, each system's
        output-determining description (model revision, file hash, …), each
        metric's signature for every target language (or why it is
        unavailable), the flag rules, the bootstrap settings and the versions
        of mteval and the packages that can change a score. Two runs with the
        same key produce the same rows, so the second may copy the first's.
        """
        from evals.metrics.flags import flags_signature
        from evals.stats import settings
        from evals.store import cache_key

        targets = sorted({segs[0].tgt_lang for segs in corpora.values() if segs})
        metric_states = []
        for ref in suite.metrics:
            for tgt_lang in targets:
                try:
                    state = self._metric(ref, tgt_lang)[0].signature()
                except Unavailable as error:
                    state = f"unavailable: {error}"
                metric_states.append([ref.name, tgt_lang, state])
        return cache_key({
            "input_key": INPUT_KEY_VERSION,
            "suite": suite.to_json(),
            "corpora": corpus_hashes,
            "systems": [[s.name, s.describe().cache_key()] for s in systems],
            "metrics": metric_states,
            "flags": flags_signature(),
            "bootstrap": [settings.DEFAULT_RESAMPLES, settings.DEFAULT_SEED, settings.DEFAULT_LEVEL,
                          settings.MIN_DOCUMENTS],
            "mteval": __version__,
            "packages": packages,
        })

    def _reuse(self, earlier: int, run_id: int, systems, result: RunResult) -> None:
        """Copy an identical earlier run's translations and scores into this run.

        What a segment-by-segment pass over the caches would have stored,
        without the pass: the earlier run had the same input key, so it
        computed (or fetched) exactly these rows. Its notices are repeated
        and its counts are reported as cached.
        """
        before = self.store.get_run(earlier)
        if [s["name"] for s in before["systems"]] != [s.name for s in systems]:
            raise AssertionError(f"run {earlier} has the same input key but other systems")  # pragma: no cover
        system_ids = {}
        for old, system in zip(before["systems"], systems):
            info = system.describe()
            system_ids[old["id"]] = self.store.add_system(
                run_id, system.name, system.spec, info.revision, info.params, info.to_json())
        self.store.copy_run_results(earlier, run_id, system_ids)
        stats = (before["notes"] or {}).get("stats", {})
        result.stats.translations_cached = stats.get("translated", 0) + stats.get("translations_cached", 0)
        result.stats.scores_cached = stats.get("scored", 0) + stats.get("scores_cached", 0)
        self._notice(result, f"nothing changed since run {earlier}: its translations and scores are reused")
        for message in (before["notes"] or {}).get("notices", []):
            if not message.startswith("nothing changed since run "):
                self._notice(result, message)

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

    def _translate(self, run_id, ref, system, corpora, segment_ids, result, batch_size, executor, context):
        """Every corpus translated by ``system``: hypotheses by corpus, aligned with its segments.

        Unsupported segments get ``None``. Cached translations are recorded
        for this run in batches too, so a crash while recording them loses
        one batch, and memory holds no per-segment row objects beyond one
        batch.
        """
        from evals.executors import SystemJob
        from evals.store import text_cache_key
        from evals.systems.base import check_outputs

        info = system.describe()
        system_id = self.store.add_system(
            run_id, system.name, system.spec, info.revision, info.params, info.to_json()
        )
        system_key = info.cache_key()
        job = SystemJob(ref.spec, dict(ref.options), ref.name)
        n_context = int(getattr(system, "context", 0) or 0)
        done = self.store.translations_done(run_id, system_id)
        hypotheses: dict[str, list[str | None]] = {}
        for corpus, segments in corpora.items():
            found: list[str | None] = [None] * len(segments)
            hypotheses[corpus] = found
            wanted = [i for i, s in enumerate(segments) if supports(system, s)]  # positions in the corpus
            if len(wanted) < len(segments):
                self._notice(result, f"{system.name}: skipped {len(segments) - len(wanted)} segments of "
                                     f"{corpus} ({segments[0].src_lang}→{segments[0].tgt_lang} is not a "
                                     "language pair this system translates)")
            if not wanted:
                continue
            keys = [
                text_cache_key(translation_key(
                    system_key, segments[i],
                    [p.source for p in context.get().previous(segments[i], n_context)] if n_context else (),
                    by_segment=system.keyed_by_segment))
                for i in wanted
            ]
            missing: list[tuple[int, str]] = []  # (position, key)
            for start in range(0, len(wanted), TRANSLATION_CACHE_BATCH):
                chunk = list(zip(wanted[start:start + TRANSLATION_CACHE_BATCH],
                                 keys[start:start + TRANSLATION_CACHE_BATCH]))
                cached = self.store.translation_cache.get_many([k for _, k in chunk])
                hits = [(i, cached[k], k) for i, k in chunk if k in cached]
                result.stats.translations_cached += len(hits)
                self._record(run_id, system_id, system.spec, [(segments[i], hyp, k) for i, hyp, k in hits],
                             segment_ids, done, cache=False)
                for i, hyp, _ in hits:
                    found[i] = hyp
                missing += [(i, k) for i, k in chunk if k not in cached]
            del keys
            size = system.max_batch_size or len(missing) or 1
            if batch_size and system.max_batch_size:
                size = min(size, int(batch_size))
            batches = [missing[start:start + size] for start in range(0, len(missing), size)]
            with self.progress.task(f"{system.name} · {corpus}", len(missing)) as advance:
                if batches:
                    outputs_by_batch = executor.translate(
                        job, system, [[segments[i] for i, _ in batch] for batch in batches], context.get())
                    for index, outputs in outputs_by_batch:
                        batch = batches[index]
                        outputs = check_outputs(system, [segments[i] for i, _ in batch], outputs)
                        # A system without a batch limit (file:) answers a whole corpus at once;
                        # flags and writes still go in bounded, separately committed pieces.
                        for start in range(0, len(batch), TRANSLATION_CACHE_BATCH):
                            piece = batch[start:start + TRANSLATION_CACHE_BATCH]
                            hyps = outputs[start:start + TRANSLATION_CACHE_BATCH]
                            self._record(run_id, system_id, system.spec,
                                         [(segments[i], hyp, k) for (i, k), hyp in zip(piece, hyps)],
                                         segment_ids, done, cache=True)
                            for (i, _), hyp in zip(piece, hyps):
                                found[i] = hyp
                            result.stats.translated += len(piece)
                            advance(len(piece))
        return system_id, hypotheses

    def _record(self, run_id, system_id, spec, batch, segment_ids, done, cache: bool) -> None:
        """Commit one batch of translations (and their cache entries) in one transaction."""
        rows = [(s, hyp, key) for s, hyp, key in batch if segment_ids[(s.corpus, s.seg_id)] not in done]
        if not rows and not cache:
            return
        flags = self._flags([(s, hyp) for s, hyp, _ in rows]) if rows else []
        self.store.add_translation_batch(
            run_id, system_id,
            [(segment_ids[(s.corpus, s.seg_id)], hyp, key, f) for (s, hyp, key), f in zip(rows, flags)],
            [(key, spec, hyp) for _, hyp, key in batch] if cache else [],
        )

    def _flags(self, pairs: list[tuple[Segment, str]]) -> list[list[str]]:
        """Untranslated/off-target flags, cached like metric statistics (langid is slow to load)."""
        from evals.metrics.flags import flag_many, flags_from_mask, flags_signature, flags_to_mask
        from evals.store import text_cache_key

        signature = flags_signature()
        keys = [
            text_cache_key(score_key(signature, s.source, hyp, None) | {"langs": [s.src_lang, s.tgt_lang]})
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
        """Unknown names and bad options of cheap metrics fail before a run is created."""
        from evals.metrics import available_metrics, get_metric

        names = available_metrics()
        for ref in metrics:
            base = ref.name.split(":", 1)[0]
            if base not in names or base in LEXICAL_METRICS:
                get_metric(ref.name, **ref.options)  # raises InputError with a suggestion

    def _metric(self, ref: MetricRef, tgt_lang: str):
        """One ``(metric, options)`` per (metric, options, target language) for the whole run.

        Neural metrics load their model once and keep embedding caches across
        systems, so the instance must be shared, not rebuilt per system. The
        options it was built with travel along so an executor can rebuild the
        same metric on a worker.
        """
        from evals.store import canonical_json

        key = (ref.name, canonical_json(ref.options), tgt_lang)
        if key not in self._metrics:
            options = self._metric_options(ref, tgt_lang)
            try:
                self._metrics[key] = (self._new_metric(ref.name, options), options)
            except Unavailable as error:
                self._metrics[key] = error
        if isinstance(self._metrics[key], Unavailable):
            raise self._metrics[key]
        return self._metrics[key]

    def _metric_options(self, ref: MetricRef, tgt_lang: str) -> dict[str, Any]:
        options = dict(ref.options)
        if ref.name in LEXICAL_METRICS:
            options.setdefault("target_lang", tgt_lang)
            if ref.name == "ter" and self.jobs:
                options.setdefault("n_jobs", self.jobs)
        return options

    @staticmethod
    def _new_metric(name: str, options: dict[str, Any]):
        from evals.metrics import get_metric

        return get_metric(name, **options)

    def _score(self, run_id, ref, system, system_id, hypotheses, corpora, segment_ids, result, executor):
        from evals.executors import MetricJob
        from evals.metrics.base import check_finite, score_levels

        for corpus, segments in corpora.items():
            found = hypotheses.get(corpus) or []
            translated = [(s, h) for s, h in zip(segments, found) if h is not None]
            if not translated:
                continue
            try:
                metric, options = self._metric(ref, translated[0][0].tgt_lang)
            except Unavailable as error:
                self._notice(result, f"{ref.name}: not available, skipped ({error})")
                return
            if metric.needs_reference:
                usable = [(s, h) for s, h in translated if s.reference is not None]
                if len(usable) < len(translated):
                    count, names = self._skipped.setdefault(corpus, (len(translated) - len(usable), []))
                    if ref.name not in names:
                        names.append(ref.name)
            else:
                usable = translated
            del translated
            if not usable:
                continue
            outcome = self._segment_stats(MetricJob(ref.name, options), metric, ref.name, system.name,
                                          corpus, usable, result, executor)
            if outcome is None:
                return
            stats, keys, seg_details = outcome
            doc_ids = [s.doc_id for s, _ in usable]
            levels = score_levels(metric, stats, doc_ids)
            check_finite(ref.name, [levels.system, *levels.document.values()], [corpus, *levels.document],
                         system=system.name, corpus=corpus)
            details = self._ci_details(metric, levels.signature, keys, stats, doc_ids)
            if hasattr(metric, "system_details"):  # e.g. COMET: segments with truncated inputs
                details.update(metric.system_details(stats))
            self._write_scores(run_id, system_id, ref.name, corpus, [s for s, _ in usable], segment_ids,
                               levels, details, seg_details)

    def _segment_stats(self, job, metric, name, system_name, corpus, usable, result, executor):
        """Statistics rows of every usable segment: from the cache, else computed and committed.

        Returns ``(stats, keys, segment details)`` or None when the metric
        turned out to be unavailable on first use. Missing rows are computed
        ``score_batch`` at a time and each batch is committed with its cache
        entries, so a crash loses one batch and a resumed run computes only
        what was lost.
        """
        import numpy as np

        from evals.metrics.base import check_finite
        from evals.store import text_cache_key

        signature = metric.signature()
        srcs = [s.source for s, _ in usable]
        hyps = [h for _, h in usable]
        refs = [s.reference for s, _ in usable]
        if getattr(metric, "doc_context", False):  # document context is part of each text, so of each key
            srcs, hyps, with_context = metric.add_context(
                srcs, hyps, refs if metric.needs_reference else None, [s.doc_id for s, _ in usable])
            refs = with_context or refs
        keys = [text_cache_key(score_key(signature, src, h, r)) for src, h, r in zip(srcs, hyps, refs)]
        stats = np.zeros((len(usable), metric.n_stats), dtype=metric.stats_dtype)
        missing: list[int] = []
        for start in range(0, len(keys), self.score_batch):
            chunk = keys[start:start + self.score_batch]
            cached = self.store.score_cache.get_many(chunk)
            for i, key in enumerate(chunk, start):
                if key in cached:
                    stats[i] = metric.stats_from_json(cached[key].stats)
                else:
                    missing.append(i)
        result.stats.scores_cached += len(usable) - len(missing)
        seg_details: dict[int, dict] = {}
        with self.progress.task(f"{name} · {system_name} · {corpus}", len(missing)) as advance:
            texts = ([hyps[i] for i in missing], [refs[i] for i in missing] if metric.needs_reference else None,
                     [srcs[i] for i in missing])
            try:
                for start, rows in executor.iter_segment_stats(job, metric, *texts, self.score_batch):
                    rows = metric.check_stats(rows)
                    batch = missing[start:start + len(rows)]
                    inputs = [None if column is None else column[start:start + len(rows)] for column in texts]
                    found = getattr(metric, "segment_details", lambda *a, **k: None)(
                        inputs[0], inputs[1], sources=inputs[2])  # e.g. xCOMET error spans
                    seg_details.update({i: d for i, d in zip(batch, found or []) if d})
                    values = metric.segment_scores(rows)
                    # Before anything is cached: a NaN stored as "no score" would be served on every re-run.
                    check_finite(name, values, [usable[i][0].seg_id for i in batch], system=system_name,
                                 corpus=corpus)
                    stats[batch] = rows
                    self.store.add_score_batch([
                        (keys[i], signature, float(value), metric.stats_to_json(row))
                        for i, row, value in zip(batch, rows, values)
                    ], [])
                    result.stats.scored += len(batch)
                    advance(len(batch))
            except Unavailable as error:  # a model that cannot be loaded on first use
                self._complete = False  # may load next time: this run's results are not for reuse
                self._metrics.update({k: error for k, v in self._metrics.items()
                                      if isinstance(v, tuple) and v[0] is metric})
                self._notice(result, f"{name}: not available, skipped ({error})")
                return None
        return stats, keys, seg_details

    def _write_scores(self, run_id, system_id, metric_name, corpus, usable, segment_ids, levels, details,
                      seg_details) -> None:
        """Score rows of one metric, system and corpus, committed in batches (segments first)."""
        base = {"run_id": run_id, "system_id": system_id, "metric": metric_name,
                "signature": levels.signature, "corpus": corpus}
        rows: list[dict[str, Any]] = []
        for i, s in enumerate(usable):
            row = base | {"level": "segment", "doc_id": s.doc_id,
                          "segment_id": segment_ids[(s.corpus, s.seg_id)], "value": _finite(levels.segment[i])}
            if i in seg_details:
                row["details"] = seg_details[i]
            rows.append(row)
            if len(rows) == self.score_batch:
                self.store.add_score_batch([], rows)
                rows = []
        rows += [base | {"level": "document", "doc_id": doc, "value": _finite(v)}
                 for doc, v in levels.document.items()]
        rows.append(base | {"level": "system", "value": _finite(levels.system),
                            "details": {"segments": len(usable), **details}})
        self.store.add_score_batch([], rows)

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
        key = cache_key({"ci": signature, "segments": _digest(keys), "documents": _digest(doc_ids),
                         "bootstrap": settings})
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


def _digest(texts: Sequence[str]) -> str:
    """sha256 of a list of strings, streamed (a million keys need no giant JSON string)."""
    import hashlib

    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
