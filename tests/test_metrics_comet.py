"""COMET and CometKiwi on tiny local checkpoints: the CLI, parity with ``model.predict``, reuse, limits.

The checkpoints are built once per session by ``scripts/make_tiny_comet.py``
(2-layer XLM-R, random weights, a SentencePiece tokenizer trained on the
seeds): a ``RegressionMetric`` like wmt22-comet-da, a ``UnifiedMetric`` like
wmt22-cometkiwi-da and an ``XCOMETMetric`` that tags error spans. They load
with ``comet.load_from_checkpoint`` and no network. The reference
implementation is unbabel-comet's own ``model.predict`` (fp32, ``gpus=0``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

if importlib.util.find_spec("comet") is None or importlib.util.find_spec("torch") is None:
    pytest.skip("unbabel-comet and torch are not installed (pip install 'mteval-zh[comet]')",
                allow_module_level=True)

from evals.errors import InputError, Unavailable  # noqa: E402
from evals.metrics import get_metric  # noqa: E402
from evals.metrics.base import score_levels  # noqa: E402
from tests.conftest import REPO, Quiet  # noqa: E402
from tests.tiny_comet import build  # noqa: E402

PARITY = 1e-5  # the bound against model.predict in fp32
INVARIANCE = 1e-6  # batch composition only changes float rounding
LONG = " ".join(["Trump told reporters at the Oval Office that a deal was close."] * 80)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny-comet"))


@pytest.fixture(scope="module")
def data():
    """Sources, references, two cheap 'systems' and document ids from the zh-Hans paired corpus."""
    rows = [json.loads(line) for line in (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text("utf-8").splitlines()]
    srcs = [r["source"] for r in rows]
    refs = [r["reference"] for r in rows]
    dropped = [" ".join(r.split()[::2]) for r in refs]  # every other word
    reversed_ = [" ".join(reversed(r.split())) for r in refs]
    return {"src": srcs, "ref": refs, "a": dropped, "b": reversed_, "doc": [r["doc_id"] for r in rows]}


@pytest.fixture(scope="module")
def reference_models(tiny):
    """unbabel-comet's own models, loaded separately from ours."""
    from comet import load_from_checkpoint

    return {kind: load_from_checkpoint(str(tiny[kind]), local_files_only=True)
            for kind in ("regression", "unified", "xcomet")}


def predict(model, srcs, hyps, refs=None):
    samples = [{"src": s, "mt": h} | ({"ref": refs[i]} if refs is not None else {})
               for i, (s, h) in enumerate(zip(srcs, hyps))]
    return model.predict(samples, batch_size=16, gpus=0, progress_bar=False)


SPECS = {"regression": "comet", "unified": "cometkiwi", "xcomet": "comet"}


def metric_for(tiny, kind, **options):
    return get_metric(f"{SPECS[kind]}:{tiny[kind]}", **options)


# -- the command line --------------------------------------------------------------------------------


def mteval(*args, cwd=REPO, env=None):
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "300", **(env or {})}
    return subprocess.run([sys.executable, "-m", "evals", *args], capture_output=True, text=True, cwd=cwd,
                          env=environment)


def write_suite(path: Path, metrics: list[str], corpora=("paired.zh-Hans", "mono-zh"),
                systems=("gloss", "copy")) -> Path:
    path.write_text(
        "name: tiny-comet\ncorpora:\n"
        + "".join(f"  - {REPO / 'corpora' / (name + '.jsonl')}\n" for name in corpora)
        + f"systems: {json.dumps(list(systems))}\nmetrics: {json.dumps(metrics)}\n",
        encoding="utf-8",
    )
    return path


def test_cli_run_scores_comet_and_cometkiwi_offline(tiny, tmp_path):
    from evals.store import open_store

    db = tmp_path / "mteval.db"
    comet, kiwi = f"comet:{tiny['regression']}", f"cometkiwi:{tiny['unified'].parents[1]}"  # file, directory
    suite = write_suite(tmp_path / "suite.yaml", ["chrf"])
    run = mteval("run", str(suite), "--only", "--metric", comet, "--metric", kiwi,
                 "--db", str(db), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "not available" not in run.stderr
    board = json.loads(run.stdout)
    cell = {(r["corpus"], r["system"], r["level"]): r for r in board}
    for system in ("gloss", "copy"):
        for level in ("system", "document", "segment"):
            row = cell[("paired.zh-Hans", system, level)]
            assert all(isinstance(row[m], float) for m in (comet, kiwi)), row
        mono = cell[("mono-zh", system, "system")]
        assert isinstance(mono[kiwi], float)  # reference-free: the Chinese-only corpus gets a score
        assert mono.get(comet) is None
    with open_store(str(db)) as store:
        scores = store.scores_df("latest")
    for metric in (comet, kiwi):
        rows = scores[scores.metric == metric]
        for (system, corpus), group in rows.groupby(["system", "corpus"]):
            segments = group[group.level == "segment"]["value"]
            (system_value,) = group[group.level == "system"]["value"]
            assert system_value == pytest.approx(segments.mean(), abs=1e-9)  # system = mean of segments
            (details,) = group[group.level == "system"]["details"]
            assert details["truncated"] == 0 and details["segments"] == len(segments)
        assert "rev:sha256:" in rows["signature"].iloc[0] and "unbabel-comet:2.2.7" in rows["signature"].iloc[0]


def test_cometkiwi_scores_a_human_reference_system(tiny, tmp_path, capsys):
    """``reference:2`` (issue 17, humans as a system): the reference-free metric scores its output like any system's."""
    from evals.store import open_store
    from tests.test_bad_input import cli
    from tests.test_reference_system import tiny_corpus

    corpus, rows = tiny_corpus(tmp_path)
    kiwi, db = f"cometkiwi:{tiny['unified']}", tmp_path / "mteval.db"
    outcome = cli(["run", "--only", "--corpus", corpus, "--system", "reference:2", "--metric", kiwi, "--db", db,
                   "--quiet"], capsys)
    assert outcome.code == 0, outcome.text
    with open_store(str(db)) as store:
        got = store.scores_df(1, level="segment", metric=kiwi).sort_values("seg_id")
    metric = get_metric(kiwi)
    want = metric.segment_scores(metric.segment_stats([r[2][1] for r in rows], None, sources=[r[1] for r in rows]))
    assert list(got.seg_id) == ["s1", "s2", "s3"]
    assert list(got.value) == pytest.approx(want, abs=1e-6)




def test_runner_stores_error_spans_notices_and_document_context(tiny, tmp_path):
    """Through ``Runner``: xCOMET spans in segment details, one truncation notice and its count,
    document context in the texts scored and cached."""
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    lines = (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text("utf-8").splitlines()[:8]
    rows = [json.loads(line) for line in lines]
    rows[3]["source"] = rows[3]["source"] + LONG  # the copy system's hypothesis is too long too
    (tmp_path / "small.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                          encoding="utf-8")
    xcomet, regression = f"comet:{tiny['xcomet'].parents[1]}", f"comet:{tiny['regression']}"
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: spans\ncorpora: [{tmp_path / 'small.jsonl'}]\nsystems: [copy]\nmetrics:\n"
                     f"  - {json.dumps(xcomet)}\n"
                     f"  - {{name: {json.dumps(regression)}, options: {{doc_context: true}}}}\n", encoding="utf-8")
    with open_store(str(tmp_path / "mteval.db")) as store:
        result = Runner(store, progress=Quiet()).run(load_suite(suite))
        scores = store.scores_df(result.run_id)
        again = Runner(store, progress=Quiet(), reuse_runs=False).run(load_suite(suite))  # through the caches
    assert again.stats.scored == 0 and again.stats.scores_cached == 16  # context is part of the cache key
    (notice,) = [m for m in result.notices if m.startswith(f"{xcomet}: ")]
    assert notice.startswith(f"{xcomet}: 1 of 8 scored segments had an input longer")
    mine = scores[scores.metric == xcomet]
    (system,) = mine[mine.level == "system"]["details"]
    assert system["truncated"] == 1
    spans = mine[mine.level == "segment"]["details"]
    assert any(d.get("error_spans") for d in spans)
    for details in spans:
        for span in details.get("error_spans", []):
            assert {"text", "start", "end", "severity", "confidence"} <= set(span)
            assert span["severity"] in ("minor", "major", "critical")
    metric = get_metric(regression, doc_context=True)
    srcs, refs = [r["source"] for r in rows], [r["reference"] for r in rows]
    context_srcs, context_hyps, context_refs = metric.add_context(srcs, srcs, refs, [r["doc_id"] for r in rows])
    expected = metric.segment_stats(context_hyps, context_refs, sources=context_srcs)  # copy: hyp = source
    stored = scores[(scores.metric == regression) & (scores.level == "segment")].sort_values("seg_id")
    order = sorted(range(len(rows)), key=lambda i: rows[i]["seg_id"])
    assert np.abs(stored["value"].to_numpy() - expected[order, 0]).max() < 1e-9


def test_unavailable_checkpoints_are_one_line_and_the_run_goes_on(tmp_path):
    """Nothing cached and no Hub: the real default checkpoints and a missing path each cost one line."""
    db = tmp_path / "mteval.db"
    missing = tmp_path / "no-such-model" / "checkpoints" / "model.ckpt"
    suite = write_suite(tmp_path / "suite.yaml", ["chrf", "comet", "cometkiwi", f"comet:{missing}"],
                        corpora=("paired.zh-Hans",), systems=("copy",))
    run = mteval("run", str(suite), "--db", str(db), "--format", "json",
                 env={"HF_HUB_CACHE": str(tmp_path / "empty-hub-cache")})
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if "not available" in line]
    assert len(notes) == 3, run.stderr
    assert any("comet: not available" in n and "'Unbabel/wmt22-comet-da' is not available offline" in n
               and "mteval models fetch" in n for n in notes)
    assert any("cometkiwi: not available" in n and "Unbabel/wmt22-cometkiwi-da" in n for n in notes)
    assert any(str(missing) in n for n in notes)
    board = json.loads(run.stdout)
    assert all(isinstance(r["chrf"], float) for r in board if r["corpus"] == "paired.zh-Hans")


# -- parity with unbabel-comet --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["regression", "unified", "xcomet"])
def test_segment_scores_equal_model_predict(tiny, data, reference_models, kind):
    metric = metric_for(tiny, kind)
    n = 40 if kind == "xcomet" else len(data["src"])  # xCOMET decodes spans token by token in Python
    srcs = data["src"][:n]
    refs = data["ref"][:n] if metric.needs_reference else None
    for hyps in (data["a"][:n], srcs)[: 1 if kind == "xcomet" else 2]:  # degraded; untranslated
        stats = metric.segment_stats(hyps, refs, sources=srcs)
        expected = predict(reference_models[kind], srcs, hyps, refs)
        assert np.abs(stats[:, 0] - np.asarray(expected.scores)).max() < PARITY
        if kind == "xcomet":
            mine = metric.segment_details(hyps, refs, sources=srcs)
            theirs = expected.metadata.error_spans
            assert [[(s["start"], s["end"], s["severity"]) for s in d["error_spans"]] for d in mine] == \
                [[(s["start"], s["end"], s["severity"]) for s in spans] for spans in theirs]
    assert stats[:, 0].std() > 1e-4  # the tiny model's scores vary, so parity means something


def test_levels_are_means_of_segments(tiny, data):
    metric = metric_for(tiny, "regression")
    stats = metric.segment_stats(data["a"], data["ref"], sources=data["src"])
    levels = score_levels(metric, stats, data["doc"])
    assert levels.system == pytest.approx(stats[:, 0].mean(), abs=1e-12)
    for doc, value in levels.document.items():
        mask = np.asarray(data["doc"]) == doc
        assert value == pytest.approx(stats[mask, 0].mean(), abs=1e-12)
    assert metric.stats_from_json(metric.stats_to_json(stats[0])).tolist() == stats[0].tolist()


def test_document_context_equals_comet_enable_context(tiny, data, reference_models):
    from comet import load_from_checkpoint

    boundary = data["doc"].index(data["doc"][-1])  # first segment of the second document
    part = slice(boundary - 12, boundary + 12)
    src, hyp, ref, doc = (data[k][part] for k in ("src", "a", "ref", "doc"))
    metric = metric_for(tiny, "regression", doc_context=True)
    srcs, hyps, refs = metric.add_context(src, hyp, ref, doc)
    assert srcs[12] == src[12]  # a document's first segment has no context
    assert srcs[5] == " </s> ".join(src[3:6])
    assert hyps[14] == " </s> ".join(ref[12:14] + [hyp[14]])  # the hypothesis gets previous *references*
    stats = metric.segment_stats(hyps, refs, sources=srcs)
    model = load_from_checkpoint(str(tiny["regression"]), local_files_only=True)
    model.enable_context()
    expected = predict(model, srcs, hyps, refs)
    assert np.abs(stats[:, 0] - np.asarray(expected.scores)).max() < PARITY
    plain = metric_for(tiny, "regression").segment_stats(hyp, ref, sources=src)
    assert np.abs(plain[:, 0] - stats[:, 0]).max() > 1e-3  # the context does change scores
    assert "ctx:yes,2" in metric.signature()
    with pytest.raises(InputError, match="doc_context needs a regression"):
        metric_for(tiny, "unified", doc_context=True)


# -- invariance and reuse -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["regression", "unified"])  # xCOMET shares the unified code path
@pytest.mark.parametrize("options", [{"batch_size": 3}, {"token_budget": 48}, {"batch_size": 5, "token_budget": 700}])
def test_batching_does_not_change_scores(tiny, data, kind, options):
    n = 30
    srcs, hyps, refs = data["src"][:n], data["a"][:n], data["ref"][:n]
    base = metric_for(tiny, kind).segment_stats(hyps, refs, sources=srcs)
    other = metric_for(tiny, kind, **options).segment_stats(hyps, refs, sources=srcs)
    assert np.abs(base - other).max() < INVARIANCE


@pytest.mark.parametrize("kind", ["regression", "unified"])
def test_order_and_duplicates_do_not_change_scores(tiny, data, kind):
    n = 40
    order = list(range(n))
    random.Random(7).shuffle(order)
    order += order[:10]  # duplicates
    base = metric_for(tiny, kind).segment_stats(data["a"][:n], data["ref"][:n], sources=data["src"][:n])
    metric = metric_for(tiny, kind)
    shuffled = metric.segment_stats([data["a"][i] for i in order], [data["ref"][i] for i in order],
                                    sources=[data["src"][i] for i in order])
    assert np.abs(shuffled - base[order]).max() < INVARIANCE


@pytest.mark.parametrize("kind", ["regression", "unified"])
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_reduced_precision_is_opt_in_and_close(tiny, data, kind, precision):
    n = 20
    metric = metric_for(tiny, kind, precision=precision)
    reduced = metric.segment_stats(data["a"][:n], data["ref"][:n], sources=data["src"][:n])
    full = metric_for(tiny, kind).segment_stats(data["a"][:n], data["ref"][:n], sources=data["src"][:n])
    assert np.abs(reduced[:, 0] - full[:, 0]).max() < 2e-2
    assert f"prec:{precision}" in metric.signature() and "prec:fp32" in metric_for(tiny, kind).signature()
    assert any("fp16 on CPU" in n for n in metric.notices()) == (precision == "fp16")


def test_sources_and_references_are_encoded_once_across_systems(tiny, data):
    """One instance, two systems: the second encodes only its own new hypotheses."""
    metric = metric_for(tiny, "regression")
    model = metric.scorer.model
    encoded: list[int] = []
    original = model.compute_sentence_embedding

    def counting(input_ids, attention_mask, *args, **kwargs):
        encoded.append(int(input_ids.shape[0]))
        return original(input_ids, attention_mask, *args, **kwargs)

    model.compute_sentence_embedding = counting
    srcs, refs = data["src"], data["ref"]
    first = metric.segment_stats(data["a"], refs, sources=srcs)
    assert sum(encoded) == len(set(srcs) | set(refs) | set(data["a"]))
    before = sum(encoded)
    second = metric.segment_stats(data["b"], refs, sources=srcs)
    assert sum(encoded) - before == len(set(data["b"]) - set(srcs) - set(refs) - set(data["a"]))
    before = sum(encoded)
    copy = metric.segment_stats(srcs, refs, sources=srcs)  # the copy system: hypotheses are sources
    assert sum(encoded) == before  # nothing new to encode
    fresh = metric_for(tiny, "regression")
    for stats, hyps in ((first, data["a"]), (second, data["b"]), (copy, srcs)):
        assert np.abs(stats - fresh.segment_stats(hyps, refs, sources=srcs)).max() < INVARIANCE
    assert metric.counters["embedding_hits"] > 0


def test_joint_inputs_are_deduplicated_across_calls(tiny, data):
    metric = metric_for(tiny, "unified")
    model = metric.scorer.model
    rows: list[int] = []
    original = model.predict_step

    def counting(batch, *args, **kwargs):
        rows.append(int(batch[0]["input_ids"].shape[0]))
        return original(batch, *args, **kwargs)

    model.predict_step = counting
    hyps = data["a"][:30] + data["a"][:10]
    metric.segment_stats(hyps, None, sources=data["src"][:30] + data["src"][:10])
    assert sum(rows) == len(set(zip(data["src"][:30], data["a"][:30])))
    metric.segment_stats(data["a"][:30], None, sources=data["src"][:30])  # a second system, same output
    assert sum(rows) == 30


# -- limits -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["regression", "unified"])
def test_over_long_inputs_are_counted_not_silently_truncated(tiny, data, reference_models, kind):
    srcs = [data["src"][0], data["src"][1], LONG if kind == "unified" else data["src"][2]]
    hyps = [data["a"][0], LONG if kind == "regression" else data["a"][1], data["a"][2]]
    metric = metric_for(tiny, kind)
    refs = data["ref"][:3] if metric.needs_reference else None
    stats = metric.segment_stats(hyps, refs, sources=srcs)
    flagged = [0.0, 1.0, 0.0] if kind == "regression" else [0.0, 0.0, 1.0]
    assert stats[:, 2].tolist() == flagged
    expected = predict(reference_models[kind], srcs, hyps, refs)  # COMET truncates the same way
    assert np.abs(stats[:, 0] - np.asarray(expected.scores)).max() < PARITY
    assert metric.system_details(stats) == {"truncated": 1}
    (notice,) = metric.notices()
    assert "1 of 3" in notice and "510 tokens" in notice
    assert score_levels(metric, stats, None).system == pytest.approx(stats[:, 0].mean())


def test_a_checkpoint_that_fails_to_load_is_unavailable_on_first_use(tiny, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny["regression"].parents[1], broken)
    (broken / "checkpoints" / "model.ckpt").write_bytes(b"not a checkpoint")
    metric = get_metric(f"comet:{broken}")
    with pytest.raises(Unavailable, match="could not be loaded offline"):
        metric.segment_stats(["a"], ["b"], sources=["c"])


def test_a_run_whose_metric_failed_to_load_is_not_reused(tiny, tmp_path):
    """The checkpoint may load next time (it was being copied, memory was short): scores are not final."""
    import shutil

    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    broken = tmp_path / "broken"
    shutil.copytree(tiny["regression"].parents[1], broken)
    (broken / "checkpoints" / "model.ckpt").write_bytes(b"not a checkpoint")
    suite = write_suite(tmp_path / "suite.yaml", ["chrf", f"comet:{broken}"], corpora=("paired.zh-Hans",),
                        systems=("copy",))
    with open_store(str(tmp_path / "mteval.db")) as store:
        first = Runner(store, progress=Quiet()).run(load_suite(suite))
        again = Runner(store, progress=Quiet()).run(load_suite(suite))
    for result in (first, again):
        assert any(f"comet:{broken}: not available" in n for n in result.notices)
    assert not any(n.startswith("nothing changed since run") for n in again.notices)
    assert again.stats.scores_cached == first.stats.scored  # chrF from the per-segment cache


def test_missing_checkpoints_raise_unavailable_from_the_constructor(tmp_path, monkeypatch):
    import evals.models.hub

    monkeypatch.setattr(evals.models.hub, "hub_cache_dir", lambda: tmp_path / "empty")
    for spec, name in (("comet", "Unbabel/wmt22-comet-da"), ("cometkiwi", "Unbabel/wmt22-cometkiwi-da"),
                       ("comet:Unbabel/XCOMET-XL@abc", "Unbabel/XCOMET-XL@abc")):
        with pytest.raises(Unavailable, match=f"checkpoint '{name}' is not available offline; run: mteval"):
            get_metric(spec)
    with pytest.raises(Unavailable, match="no such file"):
        get_metric(f"comet:{tmp_path / 'nothing.ckpt'}")


def test_a_cached_hub_checkpoint_is_found_with_its_commit(tiny, tmp_path, monkeypatch):
    """The Hub cache layout (refs/main → snapshots/COMMIT) without the Hub."""
    import shutil

    import evals.models.hub

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--tiny--comet"
    shutil.copytree(tiny["regression"].parents[1], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(evals.models.hub, "hub_cache_dir", lambda: tmp_path / "hub")
    metric = get_metric("comet:tiny/comet")
    assert f"model:tiny/comet|rev:{commit}|" in metric.signature()


# -- names, options, signature ------------------------------------------------------------------------


def test_metric_specs_and_options(tiny):
    path = str(tiny["regression"])
    assert get_metric(f"COMET:{path}").checkpoint.path == Path(path)
    assert get_metric("comet", model=path).signature() == get_metric(f"comet:{path}").signature()
    kiwi = get_metric(f"cometkiwi:{tiny['unified']}")
    assert (kiwi.needs_reference, kiwi.needs_source) == (False, True)
    assert get_metric(f"comet:{path}").needs_reference
    with pytest.raises(InputError, match="did you mean 'comet'"):
        get_metric(f"comt:{path}")
    with pytest.raises(InputError, match="takes no ':' argument"):
        get_metric("bleu:13a")
    with pytest.raises(InputError, match="empty argument"):
        get_metric("comet:")
    with pytest.raises(InputError, match="also has model="):
        get_metric(f"comet:{path}", model="other")
    with pytest.raises(InputError, match="did you mean 'precision'"):
        get_metric(f"comet:{path}", precison="fp32")
    with pytest.raises(InputError, match="unknown value 'fp8'"):
        get_metric(f"comet:{path}", precision="fp8")
    with pytest.raises(InputError, match="reference-free but this regression_metric checkpoint needs"):
        get_metric(f"cometkiwi:{path}")  # a regression model needs references


def test_signature_names_everything_that_changes_scores(tiny):
    from evals.metrics.comet import file_sha256

    metric = metric_for(tiny, "regression")
    signature = metric.signature()
    for part in (f"rev:sha256:{file_sha256(tiny['regression'])}", "model:regression", "class:regression_metric",
                 "unbabel-comet:2.2.7", "prec:fp32", "device:cpu", "bs:64", "tok:4096", "ctx:no"):
        assert part in signature, part
    assert signature == metric_for(tiny, "regression").signature()  # stable
    changed = [metric_for(tiny, "regression", **o).signature() for o in
               ({"precision": "bf16"}, {"batch_size": 8}, {"token_budget": 512}, {"doc_context": True})]
    assert len({signature, *changed}) == 5
    assert metric_for(tiny, "unified").signature().startswith("metric:cometkiwi|")
    keys = [part.partition(":")[0] for part in signature.split("|")]
    assert len(keys) == len(set(keys))  # key:value pairs, as evals.compare.signature_keys reads them
