"""Comparisons between stored systems: statistics from the score cache, alignment, paired tests, CLI.

Outputs are controlled: the `copy` baseline plus file systems derived from the seed corpus's
references (words dropped), on the seed corpus (2 documents: segment resampling) and on the same
segments regrouped into 18 shorter "documents" (document resampling).
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from evals.compare import (
    PairedSettings,
    SideSpec,
    compare_systems,
    load_run_system,
    parse_side,
    segment_stats_for,
)
from evals.errors import InputError, UsageError
from evals.stats import holm
from tests.conftest import CORPORA, Quiet

SEED_CORPUS = "paired.zh-Hans"
CHUNKED = "chunked"




@dataclass
class Env:
    folder: Path
    db: Path
    run: int
    rerun: int
    edited_run: int
    removed: str
    edited: str


def _drop(texts, share, seed, keep):
    rng = random.Random(seed)
    out = []
    for text in texts:
        words = text.split()
        if rng.random() < share and len(words) > 3:
            words = [w for i, w in enumerate(words) if i == 0 or rng.random() < keep]
        out.append(" ".join(words))
    return out


def _write(path: Path, records) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return f"file:{path}"


def _run(db: Path, folder: Path, name: str, corpora: list[Path], systems: dict[str, str], metrics: str) -> int:
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    lines = [f"name: {name}", "corpora:"] + [f"  - {json.dumps(str(c))}" for c in corpora] + ["systems:"]
    lines += [f"  - {{spec: {json.dumps(spec)}, name: {system}}}" for system, spec in systems.items()]
    lines.append(f"metrics: {metrics}")
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with open_store(str(db)) as store:
        return Runner(store, progress=Quiet()).run(load_suite(path)).run_id


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Env:
    from evals.corpora.loaders import load_segments

    folder = tmp_path_factory.mktemp("compare")
    seed = load_segments(str(CORPORA / f"{SEED_CORPUS}.jsonl"))
    chunked = [replace(s, corpus=CHUNKED, doc_id=f"{s.doc_id}-{i // 6:02d}") for i, s in enumerate(seed)]
    chunked_path = folder / "chunked.jsonl"
    chunked_path.write_text("".join(json.dumps(s.to_json(), ensure_ascii=False) + "\n" for s in chunked), "utf-8")

    refs = [s.reference for s in seed]
    light = _drop(refs, 0.6, 1, 0.7)
    heavy = _drop(light, 0.4, 2, 0.5)
    rng = random.Random(3)
    mixed = [r if (x := rng.random()) < 0.1 else (_drop([h], 1.0, 4, 0.6)[0] if x < 0.2 else h)
             for r, h in zip(refs, light)]
    systems = {}
    for name, hyps in (("light", light), ("heavy", heavy), ("mixed", mixed)):
        records = [{"corpus": c, "seg_id": s.seg_id, "hypothesis": h}
                   for c in (SEED_CORPUS, CHUNKED) for s, h in zip(seed, hyps)]
        systems[name] = _write(folder / f"{name}.jsonl", records)
    db = folder / "mteval.db"
    corpora = [CORPORA / f"{SEED_CORPUS}.jsonl", chunked_path]
    run = _run(db, folder, "a", corpora, {"copy": "copy", **systems}, "[bleu, chrf, ter]")
    rerun = _run(db, folder, "b", corpora, {"light": systems["light"]}, "[bleu, chrf, ter]")

    # The seed corpus with one segment removed and one reference edited.
    removed, edited = seed[5].seg_id, seed[9].seg_id
    changed = [replace(s, reference=s.reference + " Really.") if s.seg_id == edited else s
               for s in seed if s.seg_id != removed]
    changed_path = folder / "changed.jsonl"
    changed_path.write_text("".join(json.dumps(s.to_json(), ensure_ascii=False) + "\n" for s in changed), "utf-8")
    light_changed = _write(folder / "light-changed.jsonl",
                           [{"seg_id": s.seg_id, "hypothesis": h} for s, h in zip(seed, light) if s.seg_id != removed])
    edited_run = _run(db, folder, "c", [changed_path], {"light": light_changed}, "[bleu, chrf]")
    return Env(folder, db, run, rerun, edited_run, removed, edited)


def side(env: Env, run: int, system: str, **options):
    from evals.store import open_store

    with open_store(str(env.db)) as store:
        return load_run_system(store, run, system, **options)


def mteval(*args: str, db: Path) -> int:
    from evals.cli import main

    with pytest.raises(SystemExit) as done:
        main([*args, "--db", str(db)])
    return done.value.code


# ---- statistics from the score cache ---------------------------------------------------------------


def test_segment_stats_come_from_the_cache_and_match_the_texts(env, tmp_path):
    from evals.metrics import get_metric
    from evals.store import open_store

    with open_store(str(env.db)) as store:
        stats, doc_ids, seg_ids, metric = segment_stats_for(store, env.run, "heavy", "chrf", SEED_CORPUS)
        translations = store.translations_df(env.run)
        system_score = store.scores_df(env.run, level="system", metric="chrf")
    rows = translations[(translations["system"] == "heavy") & (translations["corpus"] == SEED_CORPUS)]
    assert seg_ids == list(rows["seg_id"]) and doc_ids == list(rows["doc_id"])  # corpus order
    expected = get_metric("chrf").segment_stats(list(rows["hypothesis"]), list(rows["reference"]))
    assert np.array_equal(stats, expected) and metric.signature() == get_metric("chrf").signature()
    stored = system_score[(system_score["system"] == "heavy") & (system_score["corpus"] == SEED_CORPUS)]
    assert metric.score_from_stats(stats) == pytest.approx(float(stored["value"].iloc[0]), abs=1e-12)

    # Another database without the cached statistics: recomputed, same rows.
    copy = tmp_path / "no-cache.db"
    shutil.copy(env.db, copy)
    with open_store(str(copy)) as store:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM score_cache")
        again = segment_stats_for(store, env.run, "heavy", "chrf", SEED_CORPUS)
    assert np.array_equal(again.stats, stats) and again.seg_ids == seg_ids


def test_unknown_names_get_hints(env):
    from evals.store import open_store

    with open_store(str(env.db)) as store:
        with pytest.raises(InputError, match="did you mean 'heavy'"):
            segment_stats_for(store, env.run, "heavyy", "chrf", SEED_CORPUS)
        with pytest.raises(InputError, match="did you mean 'chrf'"):
            segment_stats_for(store, env.run, "heavy", "chrff", SEED_CORPUS)
        with pytest.raises(UsageError, match="name one"):
            load_run_system(store, env.run, None)


# ---- comparisons ---------------------------------------------------------------------------------------


def test_same_outputs_across_runs_are_identical(env):
    result = compare_systems(side(env, env.run, "light"), [side(env, env.rerun, "light")])
    assert len(result.results) == 6  # 2 corpora x 3 metrics
    for r in result.results:
        a = r.analysis
        assert a.main.delta == 0 and a.p_value == 1.0 and r.p_holm == 1.0
        assert a.bootstrap.delta_ci == (0.0, 0.0)
        assert a.outcomes()["tie"] == len(a.documents)
    assert all(not changes for changes in result.changes.values())


def test_worse_system_is_significantly_worse_with_holm_across_systems(env):
    base = side(env, env.run, "light")
    result = compare_systems(base, [side(env, env.run, "heavy"), side(env, env.run, "mixed")],
                             settings=PairedSettings(test="both", n_trials=2000))
    by_key = {(r.corpus, r.metric, r.system): r for r in result.results}
    heavy = by_key[(SEED_CORPUS, "chrf", f"run {env.run}:heavy")]
    assert heavy.analysis.main.delta < -1 and heavy.p_holm < 0.05 and heavy.analysis.randomization.p_value < 0.05
    low, high = heavy.analysis.bootstrap.delta_ci
    assert low <= heavy.analysis.main.delta <= high < 0
    for corpus in (SEED_CORPUS, CHUNKED):
        for metric in ("bleu", "chrf"):
            family = [r for r in result.results if (r.corpus, r.metric) == (corpus, metric)]
            assert [r.p_holm for r in family] == holm([r.analysis.p_value for r in family])
    # Segment changes: ranked by |Δ chrF|, with both outputs and every metric's delta.
    changes = result.changes[(f"run {env.run}:heavy", SEED_CORPUS)]
    assert len(changes) == 5 and result.rank_metric[SEED_CORPUS] == "chrf"
    sizes = [abs(c.delta("chrf")) for c in changes]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] > 0
    first = changes[0]
    assert first.source and first.reference and first.baseline_hypothesis != first.system_hypothesis
    assert set(first.scores) == {"bleu", "chrf", "ter"}


def test_resampling_unit_follows_the_number_of_documents(env):
    result = compare_systems(side(env, env.run, "light"), [side(env, env.run, "heavy")])
    units = {r.corpus: (r.analysis.main.unit, r.analysis.main.reason) for r in result.results}
    assert units[SEED_CORPUS] == ("segment", "resampling segments (only 2 documents (< 10))")
    assert units[CHUNKED] == ("document", "resampling documents (18 documents >= 10)")
    chunked = next(r for r in result.results if (r.corpus, r.metric) == (CHUNKED, "chrf"))
    counts = chunked.analysis.outcomes()
    assert sum(counts.values()) == 18 and counts["loss"] > counts["win"]
    # Same segments, same point estimates; only the uncertainty differs.
    seed = next(r for r in result.results if (r.corpus, r.metric) == (SEED_CORPUS, "chrf"))
    assert seed.analysis.main.delta == pytest.approx(chunked.analysis.main.delta, abs=1e-12)
    assert any("18 documents" in note for note in result.notes)


def test_a_ter_rise_is_a_drop(env):
    """TER is lower-is-better: the gate and the document ceilings read it the right way round."""
    from evals.gate import run_gate
    from evals.policy import parse_policy

    policy = parse_policy("metrics:\n  bleu: {tolerance: 100}\n  chrf: {tolerance: 100}\n"
                          "documents:\n  floors: {ter: 30}\n")
    report = run_gate(side(env, env.run, "light"), side(env, env.run, "heavy"), policy, corpora=[SEED_CORPUS])
    ter = next(m for m in report.metrics if m.metric == "ter")
    assert ter.analysis.main.delta > 1 and ter.drop == ter.analysis.main.delta and ter.failed
    assert "ter rose by" in ter.message() and [m.metric for m in report.metrics if m.failed] == ["ter"]
    worst = ter.segments[0]
    assert worst.delta("ter") > 0 and worst.delta("ter") == max(s.delta("ter") for s in ter.segments)
    ceilings = [d for d in report.documents if d.failed]
    assert ceilings and all(d.scores["ter"][1] > 30 and "above the ceiling 30" in d.failures[0] for d in ceilings)


def test_misaligned_runs_are_an_error_naming_the_segments(env):
    with pytest.raises(InputError) as error:
        compare_systems(side(env, env.run, "light"), [side(env, env.edited_run, "light")])
    message = str(error.value)
    assert "not aligned on corpus 'paired.zh-Hans'" in message
    assert f"only in run {env.run}:light: '{env.removed}'" in message
    assert f"with a different reference: '{env.edited}'" in message


def test_one_sided_corpora_are_noted_not_compared(env):
    only_seed = side(env, env.run, "light", corpora=[SEED_CORPUS])
    result = compare_systems(side(env, env.run, "light"), [only_seed])
    assert {r.corpus for r in result.results} == {SEED_CORPUS}
    assert f"{CHUNKED}: only in run {env.run}:light, not compared" in result.notes


def test_baseline_file_gives_the_same_comparison_as_its_run(env, tmp_path):
    from evals.compare.baseline import load_baseline, save_baseline
    from evals.store import open_store

    path = tmp_path / "light.json"
    with open_store(str(env.db)) as store:
        save_baseline(store, env.run, "light", path, include_hypotheses=False)
    from_file = compare_systems(load_baseline(path), [side(env, env.run, "heavy")])
    from_run = compare_systems(side(env, env.run, "light"), [side(env, env.run, "heavy")])
    assert [r.to_json()["p_bootstrap"] for r in from_file.results] == [r.to_json()["p_bootstrap"]
                                                                      for r in from_run.results]
    change = from_file.changes[(f"run {env.run}:heavy", SEED_CORPUS)][0]
    assert change.baseline_hypothesis is None and change.source is not None  # texts from the run side


# ---- the command line ---------------------------------------------------------------------------------


def test_compare_cli_formats(env, capsys):
    assert mteval("compare", f"{env.run}:light", f"{env.run}:heavy", "--format", "json", db=env.db) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["baseline"] == f"run {env.run}:light" and len(data["results"]) == 6
    row = data["results"][0]
    assert {"delta", "delta_ci", "p_bootstrap", "p_holm", "documents", "resampling", "seed"} <= set(row)
    assert data["segments"][0]["changes"][0]["scores"]["chrf"]["delta"] != 0

    assert mteval("compare", "--run", str(env.run), "--baseline", "light", "--corpus", SEED_CORPUS,
                  db=env.db) == 0
    table = capsys.readouterr().out
    for word in ("heavy against", "mixed against", "copy against", "p (Holm)", "docs W/T/L",
                 "segments that changed most", "only 2 documents"):
        assert word in table

    assert mteval("compare", f"{env.run}:light", f"{env.run}:heavy", "--metric", "bleu", "--format", "csv",
                  db=env.db) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("corpus,metric,system,baseline,score,delta") and len(lines) == 3


def test_compare_cli_errors_exit_2(env, capsys):
    assert mteval("compare", f"{env.run}:light", db=env.db) == 2
    assert mteval("compare", f"{env.run}:light", f"{env.edited_run}:light", db=env.db) == 2
    assert mteval("compare", f"{env.run}:light", "nonsense", db=env.db) == 2
    err = capsys.readouterr().err
    assert "not aligned" in err and "cannot read 'nonsense'" in err and "Traceback" not in err


def test_parse_side():
    assert parse_side("3") == SideSpec(run="3")
    assert parse_side("3:gloss") == SideSpec(run="3", system="gloss")
    assert parse_side("latest:file:out.jsonl") == SideSpec(run="latest", system="file:out.jsonl")
    assert parse_side("baselines/main.json") == SideSpec(path=Path("baselines/main.json"))
    assert parse_side("baselines/main.json:gloss") == SideSpec(path=Path("baselines/main.json"), system="gloss")
    with pytest.raises(UsageError):
        parse_side("gloss")
