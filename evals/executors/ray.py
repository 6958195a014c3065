"""``--executor ray``: translation and metric statistics on a Ray cluster, through Ray Data.

The runner still decides what is missing and commits every result to the one
store from the driver; this executor only spreads the expensive part -- the
model calls -- over the actors of a Ray cluster.

How work is shipped
-------------------
Each unit of work is one **task**: one row of a Ray Data dataset
(``ray.data.from_items``, one block per row), run by
``map_batches(ActorClass, batch_size=1, compute=ActorPoolStrategy(...))``.
An actor's ``__init__`` rebuilds the system (``SystemJob.build``) or the metric
(``MetricJob.build``) once, so a model loads once per actor, not per batch;
``__call__`` does one task. Results stream back with ``iter_batches`` as tasks
finish, in any order, so the runner can commit each batch as it arrives.
A row carries small JSON only: segments as ``Segment.to_json()`` dicts, texts,
and where each output goes (batch index and position).

* **Translation**: a task is one of the runner's batches, kept whole. A
  backend's internal batching (length sorting, token budget, padding) then
  sees exactly the segments it sees locally, so outputs are those of the
  local executor. Context-aware systems (``system.context > 0``, e.g.
  ``llm:`` with ``context: N``) get a whole corpus per runner batch; that batch
  is split into shards of whole documents (about one per actor), and each shard
  carries the earlier segments of its documents -- a segment's translation
  depends on this run's translations of the segments before it, transitively
  on its whole document prefix -- from which the actor builds the
  ``TranslationContext``. A batch is yielded once all its shards are back.
* **Metrics**: rows (hypothesis, reference, source) are cut into contiguous
  chunks of ``batch_size`` segments (default: about four chunks per actor);
  statistics come back as JSON (exact for int64 and float64) and are put back
  in input order. A metric that starts its own worker processes (sacrebleu's
  ``n_jobs``, declared as ``Metric.jobs_option``) is rebuilt with one: Ray is
  the parallelism, a process pool inside each actor would only fight it.

Which systems go to Ray
-----------------------
Only systems that load a model (``System.loads_model``: ``hf``, ``llm``, ``ct2``).
``file:`` validates against whole corpora through the context and has no work
to shard, ``copy`` and ``gloss`` are cheap, ``cmd:`` runs a program that may
exist only on the driver's machine and ``openai:`` is already a remote server
with its own concurrency: those run on the driver, exactly as with the local
executor.

Checks and errors
-----------------
An actor compares what it rebuilt with what the driver built -- the system's
``describe().cache_key()``, the metric's ``signature()`` -- and refuses to work
when they differ (another model file on a worker node, a metric that resolves
``device: auto`` differently), since the store would otherwise record results
under the wrong key. An ``evals.errors.MtevalError`` raised in an actor
(a failing system, ``check_outputs``, a missing model on a worker) is sent back
as data and raised again on the driver, so the user sees the same one-line
error as with the local executor, not a Ray traceback; any other failure
stays a Ray error (``ray.exceptions.RayTaskError`` is unwrapped to an
``MtevalError`` cause when it has one).

Connecting
----------
Ray starts, or is joined, on first use (a fully cached re-run never starts
it): ``ray.init(address=address or $RAY_ADDRESS)`` when no Ray session exists
in this process -- with neither, a local Ray with ``os.cpu_count()`` CPUs, no
dashboard and quiet logging. A session someone else started is used as it is
and never shut down; ``close()`` shuts down only a session this executor
started. Every node must have mteval installed and the models and metric
checkpoints the suite names at the same paths (or in its Hugging Face cache).

Costs, said out loud
--------------------
Ray Data starts an actor pool per call, so a model loads once per actor for
each ``translate`` / ``segment_stats`` call (the runner makes one per system
and corpus, and per metric, system and corpus). A cluster pays off for large
corpora; for small ones the local executor is faster. Actors are not
restarted after a crash (``max_restarts=0``): a lost node fails the run, and
re-running resumes from the batches already committed. (Ray 2.60 also logs an
error line for every actor pool that allows restarts, ray#53727.) xCOMET
error spans (``segment_details``) are computed only by a metric that scored
in this process, so they are not stored for statistics computed on Ray.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import pickle
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from evals.corpora.model import Segment
from evals.errors import InputError, MtevalError, UsageError
from evals.executors.base import Executor, MetricJob, SystemJob
from evals.executors.local import LocalExecutor

#: Metric chunks per actor when ``batch_size`` is not given: a few, so a slow chunk does not idle the rest.
CHUNKS_PER_ACTOR = 4
INSTALL_HINT = "pip install 'mteval-zh[ray]'"


class RayExecutor(Executor):
    """Runs model work on Ray actors; see the module docstring.

    ``address``: a Ray address (``ray://head:10001``, ``auto``, ``host:6379``);
    default ``$RAY_ADDRESS``, else a local Ray. ``actors``: most actors per call
    (default: as many as the cluster's CPUs -- or GPUs, with ``gpus_per_actor``
    -- allow). ``gpus_per_actor`` and ``cpus_per_actor``: resources each actor
    reserves (fractions allowed). ``batch_size``: segments per metric task.
    ``max_restarts``: Ray actor restarts after a crash.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        actors: int | None = None,
        gpus_per_actor: float = 0,
        cpus_per_actor: float = 1,
        batch_size: int | None = None,
        max_restarts: int = 0,
    ) -> None:
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise UsageError("must be a Ray address such as ray://head:10001", field="ray_address")
        self.address = address.strip() if address else None
        self.actors = _optional_count(actors, "actors")
        self.gpus_per_actor = _resource(gpus_per_actor, "gpus_per_actor", minimum=0)
        self.cpus_per_actor = _resource(cpus_per_actor, "cpus_per_actor", minimum=0)
        self.batch_size = _optional_count(batch_size, "batch_size")
        if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < -1:
            raise UsageError(f"must be an integer >= -1, got {max_restarts!r}", field="max_restarts")
        self.max_restarts = max_restarts
        self._ray: Any = None
        self._started = False

    # -- the executor interface -----------------------------------------------------------------

    def translate(
        self, job: SystemJob, system, batches: Sequence[Sequence[Segment]], context
    ) -> Iterator[tuple[int, list[str]]]:
        batches = [list(batch) for batch in batches]
        if not system.loads_model or not any(batches):  # only a model is worth an actor
            yield from LocalExecutor().translate(job, system, batches, context)
            return
        ray = self._connect()
        actors = self._actor_count()
        tasks = translation_tasks(batches, context, system.context, actors)
        pending = {index: [None] * len(batch) for index, batch in enumerate(batches)}
        left = {index: len(batch) for index, batch in enumerate(batches)}
        for index in [i for i, n in left.items() if n == 0]:  # nothing to ask a model for
            del left[index]
            yield index, pending.pop(index)
        expected = system.describe().cache_key()
        for row in self._run(ray, _Translator, {"job": job, "expected_key": expected}, tasks, actors):
            outputs = json.loads(row["outputs"])
            batch = pending[row["batch"]]
            for position, output in zip(json.loads(row["positions"]), outputs):
                batch[position] = output
            left[row["batch"]] -= len(outputs)
            if left[row["batch"]] == 0:
                del left[row["batch"]]
                yield row["batch"], pending.pop(row["batch"])

    def segment_stats(
        self,
        job: MetricJob,
        metric,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        sources: Sequence[str] | None,
    ) -> np.ndarray:
        stats = np.empty((len(hyps), metric.n_stats), dtype=metric.stats_dtype)
        for start, rows in self.iter_segment_stats(job, metric, hyps, refs, sources, max(1, len(hyps))):
            stats[start:start + len(rows)] = rows
        return stats

    def iter_segment_stats(
        self,
        job: MetricJob,
        metric,
        hyps: Sequence[str],
        refs: Sequence[str] | None,
        sources: Sequence[str] | None,
        batch_size: int,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """One actor pool for all chunks (starting actors and loading models is the expensive part)."""
        n = len(hyps)
        if n == 0:
            yield 0, metric.segment_stats(list(hyps), None if refs is None else list(refs),
                                          sources=None if sources is None else list(sources))
            return
        ray = self._connect()
        actors = self._actor_count()
        size = min(batch_size, self.batch_size or max(1, math.ceil(n / (actors * CHUNKS_PER_ACTOR))))
        tasks = metric_tasks(hyps, refs, sources, size)
        worker_job = MetricJob(job.name, {**job.options, metric.jobs_option: 1}) if metric.jobs_option else job
        constructor = {"job": worker_job, "expected_signature": metric.signature()}
        for row in self._run(ray, _Scorer, constructor, tasks, actors):
            rows = np.asarray(json.loads(row["stats"]), dtype=metric.stats_dtype)
            yield int(row["start"]), rows.reshape(len(rows), metric.n_stats)

    def close(self) -> None:
        """Shut down the Ray session this executor started (never one it joined)."""
        if self._started and self._ray is not None and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False

    # -- Ray --------------------------------------------------------------------------------

    def _connect(self):
        """The ``ray`` module, connected: joins a live session, else starts or reaches one."""
        if self._ray is not None and self._ray.is_initialized():
            return self._ray
        try:
            import ray
            import ray.data  # configures the "ray.data" logger on import, so before it is quietened below
        except ImportError as error:
            raise UsageError("--executor ray needs Ray, which is not installed", field="--executor",
                             hint=INSTALL_HINT) from error
        if not ray.is_initialized():
            address = self.address or os.environ.get("RAY_ADDRESS") or None
            options: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
            if address is None:
                options |= {"num_cpus": os.cpu_count() or 1, "include_dashboard": False}
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise UsageError(f"cannot reach the Ray cluster at {address}: {_first_line(error)}",
                                 field="--ray-address",
                                 hint="check --ray-address / RAY_ADDRESS (e.g. ray://head:10001)") from error
            self._started = True
            logging.getLogger("ray.data").setLevel(logging.ERROR)  # the CLI shows its own progress
        self._ray = ray
        return ray

    def _actor_count(self) -> int:
        """Most actors per call: ``actors``, or what the cluster's resources hold."""
        resources = self._ray.cluster_resources()
        gpus, cpus = float(resources.get("GPU", 0)), float(resources.get("CPU", 0))
        if self.gpus_per_actor > gpus:
            raise UsageError(f"{self.gpus_per_actor:g} GPUs per actor, but the Ray cluster has {gpus:g} GPUs",
                             field="--gpus-per-actor", hint="use --gpus-per-actor 0 or a cluster with GPUs")
        fits = [cpus / self.cpus_per_actor if self.cpus_per_actor else math.inf,
                gpus / self.gpus_per_actor if self.gpus_per_actor else math.inf]
        fit = min(fits)
        fit = max(1, int(fit)) if math.isfinite(fit) else 1
        return self.actors or fit

    def _run(self, ray, actor_class, constructor: dict[str, Any], tasks: list[dict[str, Any]],
             actors: int) -> Iterator[dict[str, Any]]:
        """Run ``tasks`` (one row each) on a pool of ``actor_class``; yield result rows as they finish."""
        size = max(1, min(actors, len(tasks)))
        dataset = ray.data.from_items(tasks, override_num_blocks=len(tasks))
        dataset.context.enable_progress_bars = False  # a copy of the global DataContext: ours only
        dataset.context.print_on_execution_start = False
        with warnings.catch_warnings():  # max_restarts is a plain Ray remote argument (deprecated kwargs)
            warnings.simplefilter("ignore")
            mapped = dataset.map_batches(
                actor_class, batch_size=1, fn_constructor_kwargs=constructor,
                compute=ray.data.ActorPoolStrategy(min_size=1, max_size=size, initial_size=size),
                num_cpus=self.cpus_per_actor, num_gpus=self.gpus_per_actor or None,
                max_restarts=self.max_restarts,
            )
        try:
            for block in mapped.iter_batches(batch_size=None, batch_format="numpy"):
                for row in _rows(block):
                    if row.get("error"):
                        raise pickle.loads(base64.b64decode(row["error"]))
                    yield row
        except ray.exceptions.RayError as error:
            cause = _mteval_cause(error)
            if cause is not None:
                raise cause from None
            raise


# -- tasks ---------------------------------------------------------------------------------------


def translation_tasks(
    batches: Sequence[Sequence[Segment]], context, n_context: int, shards: int
) -> list[dict[str, Any]]:
    """Rows for ``_Translator``: each runner batch whole, or (with context) split by document.

    A row holds ``segments`` (JSON: the segments the actor's context holds),
    ``picks`` (which of them to translate, in order) and ``positions`` (where
    each output goes in its batch).
    """
    tasks = []
    for index, batch in enumerate(batches):
        if not batch:
            continue
        if n_context <= 0 or context is None:
            tasks.append(_task(index, list(range(len(batch))), batch, list(range(len(batch)))))
            continue
        for positions in _document_shards(batch, shards):
            shipped, where = _document_prefixes([batch[p] for p in positions], context)
            tasks.append(_task(index, positions, shipped, [where[_key(batch[p])] for p in positions]))
    return tasks


def _task(batch: int, positions: list[int], segments: Sequence[Segment], picks: list[int]) -> dict[str, Any]:
    return {"batch": batch, "positions": json.dumps(positions), "picks": json.dumps(picks),
            "segments": json.dumps([s.to_json() for s in segments], ensure_ascii=False)}


def _document_shards(batch: Sequence[Segment], shards: int) -> list[list[int]]:
    """Positions of ``batch`` grouped by document, documents dealt into about ``shards`` even shards."""
    documents: dict[tuple[str, str], list[int]] = {}
    for position, segment in enumerate(batch):
        documents.setdefault((segment.corpus, segment.doc_id), []).append(position)
    target = math.ceil(len(batch) / max(1, min(shards, len(documents))))
    groups: list[list[int]] = [[]]
    for positions in documents.values():
        if groups[-1] and len(groups[-1]) + len(positions) > target:
            groups.append([])
        groups[-1].extend(positions)
    return groups


def _document_prefixes(segments: Sequence[Segment], context) -> tuple[list[Segment], dict[tuple[str, str], int]]:
    """Each document of ``segments`` up to its last requested segment, and where each segment sits."""
    last: dict[tuple[str, str], tuple[Segment, int]] = {}
    for segment in segments:
        index = len(context.previous(segment))
        doc_key = (segment.corpus, segment.doc_id)
        if doc_key not in last or index > last[doc_key][1]:
            last[doc_key] = (segment, index)
    shipped: list[Segment] = []
    for segment, index in last.values():
        shipped.extend(context.document(segment)[: index + 1])
    return shipped, {_key(s): i for i, s in enumerate(shipped)}


def _key(segment: Segment) -> tuple[str, str]:
    return segment.corpus, segment.seg_id


def metric_tasks(hyps: Sequence[str], refs: Sequence[str] | None, sources: Sequence[str] | None,
                 size: int) -> list[dict[str, Any]]:
    """Rows for ``_Scorer``: contiguous chunks of ``size`` segments, each with its start position."""
    tasks = []
    for start in range(0, len(hyps), size):
        end = start + size
        texts = {"hyps": list(hyps[start:end]), "refs": None if refs is None else list(refs[start:end]),
                 "sources": None if sources is None else list(sources[start:end])}
        tasks.append({"start": start, "texts": json.dumps(texts, ensure_ascii=False)})
    return tasks


# -- actors (module level: Ray pickles them by reference) ----------------------------------------


class _Actor(ABC):
    """Shared by the actors: a build error is kept and reported with the first task, as data."""

    def __init__(self) -> None:
        self.error: MtevalError | None = None

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = _rows(batch)
        results = []
        for row in rows:
            try:
                if self.error is not None:
                    raise self.error
                results.append(self.work(row) | {"error": ""})
            except MtevalError as error:
                results.append(self.failed(row) | {"error": base64.b64encode(pickle.dumps(error)).decode("ascii")})
        return {key: [result[key] for result in results] for key in results[0]}

    @abstractmethod
    def work(self, row: dict[str, Any]) -> dict[str, Any]:
        """The result row of one task."""

    @abstractmethod
    def failed(self, row: dict[str, Any]) -> dict[str, Any]:
        """The result row of a task whose work raised (same keys as ``work``'s, empty values)."""


class _Translator(_Actor):
    """Holds one loaded system; translates one task (a runner batch or a shard of one) per row."""

    def __init__(self, job: SystemJob, expected_key: str) -> None:
        super().__init__()
        try:
            self.system = job.build()
            found = self.system.describe().cache_key()
            if found != expected_key:
                raise InputError(
                    f"system '{self.system.name}' is not the same on the Ray workers as on the driver "
                    f"(cache key {found[:12]} there, {expected_key[:12]} here)", field="system",
                    hint="every node needs the same model files, package versions and options")
        except MtevalError as error:
            self.error = error

    def work(self, row: dict[str, Any]) -> dict[str, Any]:
        from evals.systems.base import TranslationContext, check_outputs

        shipped = [Segment(**obj) for obj in json.loads(row["segments"])]
        wanted = [shipped[i] for i in json.loads(row["picks"])]
        unique = list({_key(s): s for s in shipped}.values())
        outputs = check_outputs(self.system, wanted, self.system.translate(wanted, TranslationContext(unique)))
        return self.failed(row) | {"outputs": json.dumps(outputs, ensure_ascii=False)}

    def failed(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"batch": int(row["batch"]), "positions": row["positions"], "outputs": "[]"}


class _Scorer(_Actor):
    """Holds one metric (model loaded once); extracts statistics rows for one chunk per row."""

    def __init__(self, job: MetricJob, expected_signature: str) -> None:
        super().__init__()
        try:
            self.metric = job.build()
            found = self.metric.signature()
            if found != expected_signature:
                raise InputError(
                    f"metric '{job.name}' resolves differently on the Ray workers than on the driver "
                    f"({found!r} there, {expected_signature!r} here)", field="metric",
                    hint="set the options that differ (e.g. device, precision) explicitly, or run the driver "
                         "on a node like the workers")
        except MtevalError as error:
            self.error = error

    def work(self, row: dict[str, Any]) -> dict[str, Any]:
        texts = json.loads(row["texts"])
        rows = self.metric.segment_stats(texts["hyps"], texts["refs"], sources=texts["sources"])
        return {"start": int(row["start"]), "stats": json.dumps(np.asarray(rows).tolist())}

    def failed(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"start": int(row["start"]), "stats": "[]"}


def _rows(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """A Ray Data batch (dict of columns) as row dicts with plain Python values."""
    columns = list(batch)
    length = len(batch[columns[0]]) if columns else 0
    return [{c: _plain(batch[c][i]) for c in columns} for i in range(length)]


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


# -- errors and options --------------------------------------------------------------------------


def _mteval_cause(error: BaseException) -> MtevalError | None:
    """The ``MtevalError`` a Ray error wraps (through ``.cause``, ``__cause__``), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, MtevalError):
            return current
        seen.add(id(current))
        current = getattr(current, "cause", None) or current.__cause__
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _optional_count(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"must be an integer >= 1, got {value!r}", field=field)
    return value


def _resource(value: Any, field: str, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise UsageError(f"must be a number >= {minimum:g}, got {value!r}", field=field)
    return float(value) if not float(value).is_integer() else int(value)
