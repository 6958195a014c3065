"""``--executor ray``: the Ray executor computes exactly what the local one does, on a real local Ray.

One Ray (``ray.init(num_cpus=2)``) serves the whole module; every test runs
real Ray Data actor pools that rebuild the tiny models from their specs.
Translations of the tiny Marian (``hf:``) and chat (``llm:`` with document
context) models equal the local executor's; sacrebleu statistics are
identical and COMET's agree to 1e-6; errors raised in an actor reach the
caller as the same one-line ``MtevalError``; and ``mteval run --executor ray``
(joining this module's Ray through ``RAY_ADDRESS``) stores the same scores, at
every level, as a local run.

Actor pools import torch in fresh processes, so pools are kept few: one actor
where parallelism is not the point, two where document shards must be
reassembled.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys

import numpy as np
import pytest

if importlib.util.find_spec("ray") is None:
    pytest.skip("ray is not installed (pip install 'mteval-zh[ray]')", allow_module_level=True)

from evals.corpora.loaders import load_segments  # noqa: E402
from evals.errors import InputError  # noqa: E402
from evals.executors import LocalExecutor, MetricJob, SystemJob, get_executor  # noqa: E402
from evals.executors.ray import RayExecutor, translation_tasks  # noqa: E402
from evals.systems.base import TranslationContext  # noqa: E402
from tests.conftest import CORPORA, REPO  # noqa: E402
from tests.llm_helpers import corpus_segments, tiny_chat_model, write_corpora, write_suite  # noqa: E402,F401
from tests.tiny import tiny_models  # noqa: E402,F401

pytestmark = pytest.mark.slow  # a Ray start and eight actor pools: about 100 s on two cores

GREEDY = {"num_beams": 1, "max_new_tokens": 10}
LLM = {"max_new_tokens": 6, "context": 1, "batch_size": 4}


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray for the module, started here: the executor must join it and leave it running."""
    import ray

    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def executor(ray_session):
    ray_executor = get_executor("ray", actors=2)
    yield ray_executor
    ray_executor.close()


@pytest.fixture(scope="module")
def hans():
    return load_segments(str(CORPORA / "paired.zh-Hans.jsonl"))


# --- translation -------------------------------------------------------------------------------


def test_marian_batches_equal_local_outputs(ray_session, tiny_models, hans):
    segments = hans[:30]
    batches = [segments[i:i + 7] for i in range(0, len(segments), 7)]  # 5 batches, the last short
    context = TranslationContext(segments)
    job = SystemJob(f"hf:{tiny_models['marian']}", GREEDY, name="marian")
    local = dict(LocalExecutor().translate(job, job.build(), batches, context))
    one_actor = RayExecutor(actors=1)  # the parallel paths are the llm test's and the run's; torch loads once here
    arrived = list(one_actor.translate(job, job.build(), batches, context))
    assert sorted(index for index, _ in arrived) == list(range(len(batches)))  # each batch once, any order
    assert dict(arrived) == local
    assert [len(outputs) for _, outputs in arrived] == [len(batches[i]) for i, _ in arrived]
    one_actor.close()
    assert ray_session.is_initialized()  # close() leaves a session it did not start alone


def test_llm_context_shards_by_document_and_equals_local(executor, tiny_chat_model, tmp_path):
    segments = corpus_segments(write_corpora(tmp_path, per_doc=3, traditional=2))
    context = TranslationContext(segments)
    job = SystemJob(f"llm:{tiny_chat_model}", LLM)
    system = job.build()
    assert system.max_batch_size is None  # the runner hands a context system whole corpora
    corpora: dict[str, list] = {}
    for segment in segments:
        corpora.setdefault(segment.corpus, []).append(segment)
    # The first segment of every document "came from the cache": only the others are asked for,
    # so each shard must carry the earlier segments its prompts depend on.
    batches = [[s for s in segs if context.previous(s)] for segs in corpora.values()]
    tasks = translation_tasks(batches, context, n_context=1, shards=2)
    assert len([t for t in tasks if t["batch"] == 0]) == 2  # the big corpus is split across both actors
    local = dict(LocalExecutor().translate(job, job.build(), batches, context))
    assert dict(executor.translate(job, system, batches, context)) == local


def test_offline_systems_run_on_the_driver(executor, hans):
    """``copy`` (like ``file:``, ``gloss``) has no model to shard: same path as the local executor."""
    job = SystemJob("copy")
    batches = [hans[:3], hans[3:5]]
    assert list(executor.translate(job, job.build(), batches, TranslationContext(hans[:5]))) == [
        (0, [s.source for s in hans[:3]]), (1, [s.source for s in hans[3:5]])]


# --- metric statistics -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts(hans):
    refs = [s.reference for s in hans]
    hyps = [" ".join(r.split()[::2]) for r in refs]  # every other word: partial matches everywhere
    return hyps, refs, [s.source for s in hans]


@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++", "ter"])
def test_sacrebleu_statistics_equal_local(executor, texts, name):
    hyps, refs, srcs = texts
    job = MetricJob(name, {"target_lang": "en", "n_jobs": 2})
    metric = job.build()
    local = LocalExecutor().segment_stats(job, metric, hyps, refs, srcs)
    remote = executor.segment_stats(job, metric, hyps, refs, srcs)
    assert remote.dtype == local.dtype == metric.stats_dtype and remote.shape == (len(hyps), metric.n_stats)
    assert np.array_equal(remote, local)


def test_comet_scores_equal_local(ray_session, texts, tmp_path_factory):
    if importlib.util.find_spec("comet") is None:
        pytest.skip("unbabel-comet is not installed (pip install 'mteval-zh[comet]')")
    from tests.tiny_comet import build

    checkpoint = build(tmp_path_factory.mktemp("tiny-comet"))["regression"]
    hyps, refs, srcs = (side[:40] for side in texts)
    job = MetricJob(f"comet:{checkpoint}", {"batch_size": 8})
    metric = job.build()
    remote = RayExecutor(actors=1, batch_size=15).segment_stats(job, metric, hyps, refs, srcs)
    assert metric._scorer is None  # the model loaded in the actors only, not on the driver
    local = LocalExecutor().segment_stats(job, metric, hyps, refs, srcs)
    assert remote.shape == local.shape == (40, 3)
    np.testing.assert_allclose(remote, local, rtol=0, atol=1e-6)


# --- errors ---------------------------------------------------------------------------------------


def test_worker_errors_are_the_same_one_line_error(executor, texts, tiny_models, hans):
    hyps, refs, srcs = (side[:12] for side in texts)
    with pytest.raises(InputError) as local:
        MetricJob("bleu", {"tokenize": "13b"}).build()
    driver_metric = MetricJob("bleu").build()
    with pytest.raises(InputError) as remote:  # the options reach only the actors, which refuse them
        executor.segment_stats(MetricJob("bleu", {"tokenize": "13b"}), driver_metric, hyps, refs, srcs)
    assert str(remote.value) == str(local.value) and "\n" not in str(remote.value)

    # A worker that would compute something else than the driver says (another model, other options).
    job = SystemJob(f"hf:{tiny_models['marian']}", GREEDY)
    other = SystemJob(job.spec, {**GREEDY, "max_new_tokens": 11})
    with pytest.raises(InputError, match="not the same on the Ray workers"):
        list(executor.translate(other, job.build(), [hans[:3]], TranslationContext(hans[:3])))


def test_bad_executor_options_are_usage_errors():
    for options in ({"actors": 0}, {"gpus_per_actor": -1}, {"batch_size": "8"}, {"address": " "}):
        with pytest.raises(InputError):
            RayExecutor(**options)


# --- the whole run ----------------------------------------------------------------------------


def _runner_takes_executor() -> bool:
    from evals.runner import Runner

    return "executor" in inspect.signature(Runner.__init__).parameters


def _stored(db):
    """Every score of the latest run (all levels, with signature and details) and every hypothesis."""
    from evals.store import open_store

    with open_store(str(db)) as store:
        frame = store.scores_df("latest")
        hyps = store.translations_df("latest")
    keys = ["system", "metric", "level", "corpus", "doc_id", "seg_id", "signature"]
    scores = {tuple(r[k] for k in keys): (None if r["value"] != r["value"] else r["value"],
                                          json.dumps(r["details"], sort_keys=True))
              for r in frame.to_dict("records")}
    return scores, sorted(zip(hyps["system"], hyps["seg_id"], hyps["hypothesis"]))


class _Silent:
    def task(self, description, total):
        import contextlib

        return contextlib.nullcontext(lambda advance: None)

    def notice(self, message):
        pass


@pytest.mark.skipif(not _runner_takes_executor(), reason="Runner(executor=...) is not wired in yet")
def test_mteval_run_executor_ray_stores_the_local_scores(ray_session, tiny_models, tmp_path):
    """The local run in this process, the Ray run through the CLI joining this module's Ray."""
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    corpus = tmp_path / "small.jsonl"
    lines = (CORPORA / "paired.zh-Hans.jsonl").read_text(encoding="utf-8").splitlines()[:24]
    corpus.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    suite = write_suite(tmp_path / "suite.yaml", [corpus],
                        [{"spec": f"hf:{tiny_models['marian']}", "name": "marian", "options": GREEDY}],
                        metrics=("bleu", "ter"), batch_size=8)  # three translation batches
    with open_store(str(tmp_path / "local.db")) as store:
        Runner(store, progress=_Silent(), executor=LocalExecutor()).run(load_suite(str(suite)))
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               RAY_ADDRESS=ray_session.get_runtime_context().gcs_address)
    done = subprocess.run([sys.executable, "-m", "evals", "run", str(suite), "--executor", "ray", "--actors", "1",
                           "--db", str(tmp_path / "ray.db"), "--quiet"], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "WARNING" not in done.stderr
    local_scores, local_hyps = _stored(tmp_path / "local.db")
    ray_scores, ray_hyps = _stored(tmp_path / "ray.db")
    assert ray_hyps == local_hyps and len(local_hyps) == 24
    assert {key[2] for key in local_scores} == {"segment", "document", "system"}
    assert len(local_scores) > 2 * 24
    assert ray_scores == local_scores  # every level, value, signature and details (bootstrap CI included)
    assert ray_session.is_initialized()  # the run joined this Ray and left it running


def test_translation_tasks_carry_document_prefixes(hans):
    """Unit-level: a shard ships each of its documents up to its last requested segment."""
    context = TranslationContext(hans)
    first_doc = [s for s in hans if s.doc_id == hans[0].doc_id]
    wanted = [first_doc[2]]
    (task,) = translation_tasks([wanted], context, n_context=1, shards=4)
    shipped = [s["seg_id"] for s in json.loads(task["segments"])]
    assert shipped == [s.seg_id for s in first_doc[:3]]
    assert json.loads(task["picks"]) == [2] and json.loads(task["positions"]) == [0]
    plain = translation_tasks([wanted], context, n_context=0, shards=4)[0]
    assert [s["seg_id"] for s in json.loads(plain["segments"])] == [first_doc[2].seg_id]
