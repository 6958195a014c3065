"""The main job: suite → systems → metrics → store.

``Runner.run(suite)`` loads the suite's corpora, translates every segment with
every system, flags untranslated or off-target output, scores with every
metric at segment, document and system level, and writes all of it to the
store. Two caches make it cheap to repeat:

* translations are keyed by sha256 of canonical JSON of (the system's
  output-determining description, source text, languages, script);
* per-segment metric statistics, translation flags and system-score
  intervals are keyed as ``evals.scoring`` says.

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
from evals.errors import Unavailable
from evals.memory import release_freed_memory
from evals.preflight import Plan, prepare, supports
from evals.scoring.metrics import RunMetrics
from evals.scoring.references import held_out_reference, scored_segments
from evals.stats.settings import BOOTSTRAP, BootstrapSettings
from evals.suite import MetricRef, Suite, SystemRef

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


class _LazyContext:
    """The run's TranslationContext, built on first use: most runs never need it."""

    def __init__(self, corpora: dict[str, list[Segment]]) -> None:
        self._corpora = corpora
        self._context = None

    def get(self):
        from evals.systems.base import TranslationContext

        if self._context is None:
            self._context = TranslationContext.from_corpora(self._corpora)
        return self._context


def _ids_by_position(corpora: dict[str, list[Segment]], ids: dict[tuple[str, str], int]) -> dict[str, Any]:
    """Each corpus's stored segment ids in corpus order, as an int64 array.

    8 bytes a segment, where the (corpus, seg_id) dict ``add_segments``
    returns costs about 200: at a million segments that is most of a run's
    bookkeeping.
    """
    import numpy as np

    return {name: np.fromiter((ids[(s.corpus, s.seg_id)] for s in segs), np.int64, len(segs))
            for name, segs in corpora.items()}


@dataclass
class RunState:
    """What one run carries from step to step: where its rows go and what it has found so far.

    ``complete`` turns False when a metric's model failed on first use: the
    run's results are then not for reuse (the model may load next time).
    ``skipped`` counts, per corpus, segments without a reference and the
    reference-based metrics that skipped them.
    """

    run_id: int
    corpora: dict[str, list[Segment]]
    result: RunResult
    metrics: RunMetrics
    batch_size: int | None = None
    segment_ids: dict[str, Any] = field(default_factory=dict)  # corpus -> stored ids by position
    executor: Any = None
    context: _LazyContext | None = None
    complete: bool = True
    skipped: dict[str, tuple[int, list[str]]] = field(default_factory=dict)


class Runner:
    """Runs suites against one store.

    Work goes system by system: translate every corpus, then score that
    system's hypotheses with every metric, then let them go. Memory then
    holds one system's hypotheses at a time, which is what lets a million-
    segment corpus fit. Translations and statistics are committed batch by
    batch, each batch in one transaction together with its cache entries.
    """

    def __init__(self, store, progress: Progress | None = None, jobs: int | None = None,
                 executor=None, score_batch: int = SCORE_BATCH, reuse_runs: bool = True,
                 bootstrap: BootstrapSettings = BOOTSTRAP) -> None:
        from evals.metrics.flags import LanguageGuesser

        self.store = store
        self.reuse_runs = reuse_runs
        self.progress = progress or Progress()
        self.jobs = jobs
        self.executor = executor
        self.score_batch = max(1, int(score_batch))
        self.bootstrap = bootstrap
        self.guesser = LanguageGuesser()  # loads langid on first use, once per runner

    def run(self, suite: Suite | Plan, argv: Sequence[str] = (),
            corpora: dict[str, list[Segment]] | None = None) -> RunResult:
        """Run ``suite``; ``corpora`` (by name) replaces loading the suite's corpora.

        Everything is checked before anything is stored (``evals.preflight.prepare``);
        a caller that wants to check before opening the store passes the ``Plan``.
        ``mteval score`` passes the segments it read itself: its suite's
        corpus entry then only records what was scored.
        """
        from evals.corpora.loaders import corpus_hash
        from evals.executors import LocalExecutor
        from evals.store import interrupts_deferred

        plan = suite if isinstance(suite, Plan) else prepare(suite, corpora)
        suite, corpora, systems = plan.suite, plan.corpora, plan.systems
        plan.systems = []  # this run lets each system go once it is done
        info = provenance.collect()
        hashes = {name: corpus_hash(segs) for name, segs in corpora.items()}
        state: RunState | None = None
        status, input_key = "failed", None
        try:
            # Ctrl-C waits until the run is recorded and its state holds it, so the
            # `finally` below always marks a recorded run finished (here: interrupted).
            with interrupts_deferred():
                run_id = self.store.create_run(
                    suite.name, suite.to_json(),
                    {k: info[k] for k in ("git_commit", "mteval_version")} | {"package_versions": info["packages"]},
                    hashes, list(argv),
                )
                state = RunState(run_id, corpora, RunResult(run_id, RunStats()), RunMetrics(self.jobs),
                                 suite.options.get("batch_size"))
            input_key = self._input_key(state, suite, hashes, systems, info["packages"])
            earlier = self.store.reusable_run(input_key) if self.reuse_runs else None
            if earlier is not None:  # its segments are stored already: the key covers their content
                self._reuse(state, earlier, systems)
                status = "done"
                return state.result
            state.segment_ids = _ids_by_position(corpora, self.store.add_segments(
                [s for segs in corpora.values() for s in segs]))
            release_freed_memory()  # what reading the corpora and systems' files took and let go
            state.executor = self.executor or LocalExecutor()
            state.context = _LazyContext(corpora)
            for index, ref in enumerate(suite.systems):
                system, systems[index] = systems[index], None
                system_id, hypotheses = self._translate(state, ref, system)
                name, held_out = system.name, held_out_reference(system)
                del system  # before scoring: a file system holds its whole file
                release_freed_memory()
                for metric_ref in suite.metrics:
                    self._score(state, metric_ref, name, system_id, hypotheses, held_out)
                del hypotheses  # one system's hypotheses in memory at a time
                release_freed_memory()
            for name, message in state.metrics.notices():  # e.g. COMET's truncated-input count
                self._notice(state, f"{name}: {message}")
            for corpus, (count, names) in state.skipped.items():
                self._notice(state, f"{corpus}: {count} segments have no reference; reference-based "
                                    f"metrics ({', '.join(names)}) skip them")
            status = "done"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            if state is not None:
                self._finish(state, status, input_key, info)
        return state.result

    def _finish(self, state: RunState, status: str, input_key: str | None, info: dict[str, Any]) -> None:
        """Close the run's own executor, then record the run's status, even if closing is interrupted."""
        try:
            if self.executor is None and state.executor is not None:
                state.executor.close()
        finally:
            self.store.finish_run(state.run_id, status, notes={
                "notices": state.result.notices, "stats": vars(state.result.stats),
                "python": info["python"], "platform": info["platform"],
            }, input_key=input_key if state.complete else None)

    # --- reusing an identical run ------------------------------------------------------------

    def _input_key(self, state: RunState, suite: Suite, corpus_hashes: dict[str, str], systems,
                   packages) -> str:
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
        from evals.store import cache_key

        from evals.scoring.metrics import n_refs_of

        targets = sorted({(segs[0].tgt_lang, n_refs_of(s.references for s in segs))
                          for segs in state.corpora.values() if segs})
        metric_states = []
        for ref in suite.metrics:
            for tgt_lang, n_refs in targets:
                try:
                    metric_state = state.metrics.get(ref.name, ref.options, tgt_lang, n_refs)[0].signature()
                except Unavailable as error:
                    metric_state = f"unavailable: {error}"
                # One reference: the entry it always was, so earlier runs stay reusable.
                metric_states.append([ref.name, tgt_lang, metric_state] + ([n_refs] if n_refs != 1 else []))
        return cache_key({
            "input_key": INPUT_KEY_VERSION,
            "suite": suite.to_json(),
            "corpora": corpus_hashes,
            "systems": [[s.name, s.describe().cache_key()] for s in systems],
            "metrics": metric_states,
            "flags": flags_signature(),
            "bootstrap": self.bootstrap.key(),
            "mteval": __version__,
            "packages": packages,
        })

    def _reuse(self, state: RunState, earlier: int, systems) -> None:
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
                state.run_id, system.name, system.spec, info.revision, info.params, info.to_json())
        self.store.copy_run_results(earlier, state.run_id, system_ids)
        stats = (before["notes"] or {}).get("stats", {})
        state.result.stats.translations_cached = stats.get("translated", 0) + stats.get("translations_cached", 0)
        state.result.stats.scores_cached = stats.get("scored", 0) + stats.get("scores_cached", 0)
        self._notice(state, f"nothing changed since run {earlier}: its translations and scores are reused")
        for message in (before["notes"] or {}).get("notices", []):
            if not message.startswith("nothing changed since run "):
                self._notice(state, message)

    # --- systems ---------------------------------------------------------------------------

    def _notice(self, state: RunState, message: str) -> None:
        if message not in state.result.notices:
            state.result.notices.append(message)
            self.progress.notice(message)

    def _translate(self, state: RunState, ref: SystemRef, system):
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
            state.run_id, system.name, system.spec, info.revision, info.params, info.to_json()
        )
        system_key = info.cache_key()
        job = SystemJob(ref.spec, dict(ref.options), ref.name)
        done = self.store.translations_done(state.run_id, system_id)
        hypotheses: dict[str, list[str | None]] = {}
        for corpus, segments in state.corpora.items():
            found: list[str | None] = [None] * len(segments)
            hypotheses[corpus] = found
            wanted = [i for i, s in enumerate(segments) if supports(system, s)]  # positions in the corpus
            if len(wanted) < len(segments):
                self._notice(state, f"{system.name}: skipped {len(segments) - len(wanted)} segments of "
                                    f"{corpus} ({segments[0].src_lang}→{segments[0].tgt_lang} is not a "
                                    "language pair this system translates)")
            if not wanted:
                continue
            keys = [
                text_cache_key(translation_key(
                    system_key, segments[i],
                    [p.source for p in state.context.get().previous(segments[i], system.context)]
                    if system.context else (),
                    by_segment=system.keyed_by_segment))
                for i in wanted
            ]
            missing: list[tuple[int, str]] = []  # (position, key)
            for start in range(0, len(wanted), TRANSLATION_CACHE_BATCH):
                chunk = list(zip(wanted[start:start + TRANSLATION_CACHE_BATCH],
                                 keys[start:start + TRANSLATION_CACHE_BATCH]))
                cached = self.store.translation_cache.get_many([k for _, k in chunk])
                hits = [(i, cached[k], k) for i, k in chunk if k in cached]
                state.result.stats.translations_cached += len(hits)
                self._record(state, system_id, system.spec, corpus, hits, done, cache=False)
                for i, hyp, _ in hits:
                    found[i] = hyp
                missing += [(i, k) for i, k in chunk if k not in cached]
            del keys
            size = system.max_batch_size or len(missing) or 1
            if state.batch_size and system.max_batch_size:
                size = min(size, int(state.batch_size))
            batches = [missing[start:start + size] for start in range(0, len(missing), size)]
            with self.progress.task(f"{system.name} · {corpus}", len(missing)) as advance:
                if batches:
                    outputs_by_batch = state.executor.translate(
                        job, system, [[segments[i] for i, _ in batch] for batch in batches], state.context.get())
                    for index, outputs in outputs_by_batch:
                        batch = batches[index]
                        outputs = check_outputs(system, [segments[i] for i, _ in batch], outputs)
                        # A system without a batch limit (file:) answers a whole corpus at once;
                        # flags and writes still go in bounded, separately committed pieces.
                        for start in range(0, len(batch), TRANSLATION_CACHE_BATCH):
                            piece = batch[start:start + TRANSLATION_CACHE_BATCH]
                            hyps = outputs[start:start + TRANSLATION_CACHE_BATCH]
                            self._record(state, system_id, system.spec, corpus,
                                         [(i, hyp, k) for (i, k), hyp in zip(piece, hyps)], done, cache=True)
                            for (i, _), hyp in zip(piece, hyps):
                                found[i] = hyp
                            state.result.stats.translated += len(piece)
                            advance(len(piece))
        return system_id, hypotheses

    def _record(self, state: RunState, system_id, spec, corpus: str, batch, done, cache: bool) -> None:
        """Commit one batch of translations (and their cache entries) in one transaction.

        ``batch`` holds ``(position in the corpus, hypothesis, cache key)``.
        """
        from evals.scoring.flags import cached_flags

        ids, segments = state.segment_ids[corpus], state.corpora[corpus]
        rows = [(int(ids[i]), i, hyp, key) for i, hyp, key in batch if int(ids[i]) not in done]
        if not rows and not cache:
            return
        flags = cached_flags(self.store, self.guesser, [(segments[i], hyp) for _, i, hyp, _ in rows]) if rows else []
        self.store.add_translation_batch(
            state.run_id, system_id,
            [(segment_id, hyp, key, f) for (segment_id, _, hyp, key), f in zip(rows, flags)],
            [(key, spec, hyp) for _, hyp, key in batch] if cache else [],
        )

    # --- metrics ---------------------------------------------------------------------------

    def _score(self, state: RunState, ref: MetricRef, system_name: str, system_id, hypotheses,
               held_out: int | None = None) -> None:
        """Score one system's hypotheses with one metric, corpus by corpus.

        ``held_out``: the reference the system's hypotheses are (``reference:K``), left out of what
        it is scored against (``evals.scoring.references``).
        """
        import numpy as np

        from evals.executors import MetricJob
        from evals.metrics.base import check_finite, score_levels
        from evals.scoring.intervals import system_interval
        from evals.scoring.metrics import n_refs_of

        for corpus, segments in state.corpora.items():
            segments = scored_segments(segments, held_out)
            found = hypotheses.get(corpus) or []
            # Positions in the corpus (an int64 array: 8 bytes a segment, not a tuple each).
            usable = np.flatnonzero(np.fromiter((h is not None for h in found), bool, len(found)))
            if not len(usable):
                continue
            try:
                metric, options = state.metrics.get(ref.name, ref.options, segments[usable[0]].tgt_lang,
                                                    n_refs_of(s.references for s in segments))
            except Unavailable as error:
                self._notice(state, f"{ref.name}: not available, skipped ({error})")
                return
            if metric.needs_reference:
                translated = len(usable)
                usable = usable[[segments[i].reference is not None for i in usable]]
                if len(usable) < translated:
                    count, names = state.skipped.setdefault(corpus, (translated - len(usable), []))
                    if ref.name not in names:
                        names.append(ref.name)
            if metric.needs_source:  # a test set scored without its source (`mteval score` without -s)
                before = len(usable)
                usable = usable[[bool(segments[i].source) for i in usable]]
                if len(usable) < before:
                    self._notice(state, f"{ref.name}: needs the source text, which {before - len(usable)}"
                                        f" segments of {corpus} lack; skipped for them")
            if not len(usable):
                continue
            outcome = self._segment_stats(state, MetricJob(ref.name, options), metric, ref.name, system_name,
                                          corpus, segments, found, usable)
            if outcome is None:
                return
            stats, keys, seg_details, seg_values = outcome
            doc_ids = [segments[i].doc_id for i in usable]
            levels = score_levels(metric, stats, doc_ids, seg_values)
            del seg_values
            check_finite(ref.name, [levels.system, *levels.document.values()], [corpus, *levels.document],
                         system=system_name, corpus=corpus)
            details = system_interval(self.store, metric, levels.signature, keys, stats, doc_ids, self.bootstrap)
            details.update(metric.system_details(stats))  # e.g. COMET: segments with truncated inputs
            self._write_scores(state, system_id, ref.name, corpus, usable, levels, details, seg_details)
            self._write_splits(state, system_id, ref.name, metric, corpus, usable, stats, keys, levels.signature)
    def _segment_stats(self, state: RunState, job, metric, name, system_name, corpus, scored, found, usable):
        """Statistics rows of every usable segment: from the cache, else computed and committed.

        Returns ``(stats, keys, segment details, segment scores)`` (scores of
        the rows computed now, None for cached ones) or None when the metric
        turned out to be unavailable on first use. Missing rows are computed
        ``score_batch`` at a time and committed as cache entries in batches of
        ``score_batch`` rows, however finely the executor delivers them
        (sacrebleu's worker pool hands back a few hundred rows at a time; one
        transaction each made commits a large part of a run). A crash loses
        at most one batch and a resumed run computes only what was lost.
        """
        from evals.metrics.base import check_finite
        from evals.scoring.keys import statistics_texts
        from evals.scoring.statistics import cache_entries, cached_statistics

        signature = metric.signature()
        segments = [scored[i] for i in usable]  # with the references this system is scored against
        texts = statistics_texts(metric, signature, [s.source for s in segments], [found[i] for i in usable],
                                 [s.references for s in segments], [s.doc_id for s in segments])
        keys = texts.keys
        seg_details: dict[int, dict] = {}  # cached segments' details (xCOMET spans), then computed ones
        stats, missing = cached_statistics(self.store, metric, keys, self.score_batch, details=seg_details)
        state.result.stats.scores_cached += len(usable) - len(missing)
        seg_values: list[float | None] = [None] * len(keys)
        pending: list = []  # computed cache entries not committed yet (at most one batch)
        with self.progress.task(f"{name} · {system_name} · {corpus}", len(missing)) as advance:
            inputs = ([texts.hypotheses[i] for i in missing],
                      [texts.references[i] for i in missing] if metric.needs_reference else None,
                      [texts.sources[i] for i in missing])
            try:
                for start, rows in state.executor.iter_segment_stats(job, metric, *inputs, self.score_batch):
                    rows = metric.check_stats(rows)
                    batch = missing[start:start + len(rows)]
                    hyps, refs, srcs = (None if column is None else column[start:start + len(rows)]
                                        for column in inputs)
                    found = metric.segment_details(hyps, refs, sources=srcs)  # e.g. xCOMET error spans
                    seg_details.update({i: d for i, d in zip(batch, found or []) if d})
                    values = metric.segment_scores(rows)
                    # Before anything is cached: a NaN stored as "no score" would be served on every re-run.
                    check_finite(name, values, [segments[i].seg_id for i in batch], system=system_name,
                                 corpus=corpus)
                    stats[batch] = rows
                    for i, value in zip(batch, values):
                        seg_values[i] = value
                    pending += cache_entries(metric, signature, [keys[i] for i in batch], rows, values,
                                             [seg_details.get(i) for i in batch])
                    if len(pending) >= self.score_batch:
                        self.store.add_score_batch(pending, [])
                        pending = []
                    state.result.stats.scored += len(batch)
                    advance(len(batch))
                if pending:
                    self.store.add_score_batch(pending, [])
            except Unavailable as error:  # a model that cannot be loaded on first use
                state.complete = False  # may load next time: this run's results are not for reuse
                state.metrics.disable(metric, error)
                self._notice(state, f"{name}: not available, skipped ({error})")
                return None
        return stats, keys, seg_details, seg_values

    def _write_scores(self, state: RunState, system_id, metric_name, corpus, usable, levels, details,
                      seg_details) -> None:
        """Score rows of one metric, system and corpus, committed in batches (segments first).

        ``usable`` holds the scored segments' positions in the corpus.
        """
        base = {"run_id": state.run_id, "system_id": system_id, "metric": metric_name,
                "signature": levels.signature, "corpus": corpus}
        segments, ids = state.corpora[corpus], state.segment_ids[corpus]
        rows: list[dict[str, Any]] = []
        for i, position in enumerate(usable):
            row = base | {"level": "segment", "doc_id": segments[position].doc_id,
                          "segment_id": int(ids[position]), "value": _finite(levels.segment[i])}
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

    def _write_splits(self, state: RunState, system_id, metric_name, metric, corpus, usable, stats, keys,
                      signature) -> None:
        """System scores of the corpus's splits (``evals.scoring.splits``: WMT's origlang halves, domains).

        Pooled from the statistics rows the corpus was just scored with, each
        with its own interval (cached like any other), in one transaction.
        """
        from evals.scoring.intervals import system_interval
        from evals.scoring.splits import corpus_splits

        scored = [state.corpora[corpus][i] for i in usable]
        rows = []
        for name, positions in corpus_splits(corpus, scored).items():
            part = stats[positions]
            details = system_interval(self.store, metric, signature, [keys[i] for i in positions], part,
                                      [scored[i].doc_id for i in positions], self.bootstrap)
            details.update(metric.system_details(part))
            rows.append({"run_id": state.run_id, "system_id": system_id, "metric": metric_name,
                         "signature": signature, "corpus": name, "level": "system",
                         "value": _finite(metric.score_from_stats(part)),
                         "details": {"segments": len(positions), **details}})
        if rows:
            self.store.add_score_batch([], rows)


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
