"""An unchanged re-run copies the earlier run's results; any changed input goes segment by segment.

The run input key hashes what a run's results depend on. These tests check
both directions: a copied run is row for row what the per-segment caches
would have produced (``Runner(reuse_runs=False)``), and every kind of change
(corpus text, system, system options, metric options, metric set) leads to
the per-segment path instead of a copy of stale results.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evals.runner import Runner
from evals.store import open_store
from evals.store.schema import scores, systems, translations
from evals.suite import load_suite
from tests.conftest import REPO, Quiet

REUSED = "nothing changed since run "




def write_corpus(path, n=12, edit=None):
    rows = [json.loads(line) for line in (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text("utf-8").splitlines()]
    rows = rows[:n]
    if edit:
        edit(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_suite(path, corpora, systems=("gloss", "copy"), metrics=("bleu", "chrf"), options=""):
    path.write_text(
        f"name: reuse\ncorpora: {json.dumps([str(c) for c in corpora])}\n"
        f"systems: {json.dumps(list(systems))}\nmetrics: {json.dumps(list(metrics))}\n{options}",
        encoding="utf-8",
    )
    return path


def run(store, suite, **options):
    return Runner(store, progress=Quiet(), **options).run(load_suite(suite))


def readable_rows(store, run_id):
    """Every translation and score row of a run, with system names instead of ids and no timestamps."""
    with store.engine.connect() as conn:
        names = dict(conn.execute(systems.select().with_only_columns(systems.c.id, systems.c.name)
                                  .where(systems.c.run_id == run_id)).all())
        out = {}
        for table in (translations, scores):
            rows = conn.execute(table.select().where(table.c.run_id == run_id).order_by(table.c.id)).mappings()
            out[table.name] = [
                {k: (names[v] if k == "system_id" else v) for k, v in row.items()
                 if k not in ("id", "run_id", "created_at")}
                for row in rows
            ]
    return out


@pytest.fixture
def small(tmp_path):
    """A 12-segment paired corpus plus the Chinese-only corpus (for skip notices), and a store."""
    corpus = write_corpus(tmp_path / "small.jsonl")
    suite = write_suite(tmp_path / "suite.yaml", [corpus, REPO / "corpora" / "mono-zh.jsonl"],
                        metrics=("bleu", "chrf", "ter", "comet"))
    with open_store(str(tmp_path / "mteval.db")) as store:
        yield store, suite, tmp_path


def test_an_unchanged_rerun_copies_exactly_what_the_caches_would_give(small):
    store, suite, _ = small
    first = run(store, suite)
    assert first.stats.translated > 0 and not any(n.startswith(REUSED) for n in first.notices)
    reused = run(store, suite)
    walked = run(store, suite, reuse_runs=False)  # the same re-run, segment by segment through the caches

    assert reused.notices[0] == f"{REUSED}{first.run_id}: its translations and scores are reused"
    assert reused.notices[1:] == walked.notices == first.notices  # skips, "comet: not available", …
    assert vars(reused.stats) == vars(walked.stats) == {
        "translated": 0, "translations_cached": first.stats.translated,
        "scored": 0, "scores_cached": first.stats.scored}
    expected = readable_rows(store, first.run_id)
    assert expected["translations"] and expected["scores"]
    assert readable_rows(store, reused.run_id) == expected == readable_rows(store, walked.run_id)
    again = run(store, suite)  # the newest identical run is the one copied
    assert again.notices[0].startswith(f"{REUSED}{walked.run_id}:")
    assert readable_rows(store, again.run_id) == expected
    info = store.get_run(reused.run_id)
    assert info["status"] == "done" and [s["name"] for s in info["systems"]] == ["gloss", "copy"]
    assert info["notes"]["stats"] == vars(reused.stats)


def _change_reference(rows):
    rows[0]["reference"] = rows[0]["reference"] + " Indeed."


@pytest.mark.parametrize("change", [
    "corpus text", "another system", "system name", "metric option", "another metric", "suite option",
])
def test_any_changed_input_is_not_served_from_an_earlier_run(small, change):
    store, suite, tmp_path = small
    first = run(store, suite)
    corpus = tmp_path / "small.jsonl"
    mono = REPO / "corpora" / "mono-zh.jsonl"
    metrics = ("bleu", "chrf", "ter", "comet")
    changed = {
        "corpus text": lambda: (write_corpus(corpus, edit=_change_reference), suite)[1],
        "another system": lambda: write_suite(tmp_path / "b.yaml", [corpus, mono], ("gloss",), metrics),
        "system name": lambda: write_suite(
            tmp_path / "b.yaml", [corpus, mono], ["gloss", {"spec": "copy", "name": "copy2"}], metrics),
        "metric option": lambda: write_suite(
            tmp_path / "b.yaml", [corpus, mono], metrics=["bleu", {"name": "chrf", "options": {"beta": 3}},
                                                          "ter", "comet"]),
        "another metric": lambda: write_suite(tmp_path / "b.yaml", [corpus, mono], metrics=("bleu", "chrf")),
        "suite option": lambda: write_suite(tmp_path / "b.yaml", [corpus, mono], metrics=metrics,
                                            options="options: {batch_size: 3}\n"),
    }[change]()
    second = run(store, changed)
    assert not any(n.startswith(REUSED) for n in second.notices)
    walked = run(store, changed, reuse_runs=False)
    assert readable_rows(store, second.run_id) == readable_rows(store, walked.run_id)
    if change == "corpus text":  # the edited segment is scored again, nothing else is
        assert second.stats.scored == 2 * 3 and second.stats.translated == 0
    assert readable_rows(store, second.run_id) != readable_rows(store, first.run_id) or change == "suite option"


def test_a_changed_hypothesis_file_is_read_again(tmp_path):
    """``file:`` systems are identified by their file's sha256: editing it in place changes the key."""
    corpus = write_corpus(tmp_path / "small.jsonl", n=6)
    rows = [json.loads(line) for line in corpus.read_text("utf-8").splitlines()]
    hyps = tmp_path / "hyps.jsonl"
    write = lambda text: hyps.write_text("".join(json.dumps({"seg_id": r["seg_id"], "hypothesis": text(r)}) + "\n"
                                                 for r in rows), encoding="utf-8")
    write(lambda r: r["reference"])
    suite = write_suite(tmp_path / "suite.yaml", [corpus], systems=(f"file:{hyps}",), metrics=("bleu",))
    with open_store(str(tmp_path / "mteval.db")) as store:
        first = run(store, suite)
        assert run(store, suite).notices[0].startswith(REUSED)
        write(lambda r: r["reference"].upper())
        second = run(store, suite)
        assert not any(n.startswith(REUSED) for n in second.notices)
        assert second.stats.translated == 6 and second.stats.scored == 6
        board = store.scores_df(second.run_id, level="system")
        assert board["value"].iloc[0] < store.scores_df(first.run_id, level="system")["value"].iloc[0]


def test_runs_that_did_not_finish_are_never_copied(small, monkeypatch):
    store, suite, _ = small

    def broken(*args, **kwargs):
        raise RuntimeError("scoring crashed")

    with monkeypatch.context() as patched:
        patched.setattr(Runner, "_score", broken)
        with pytest.raises(RuntimeError, match="scoring crashed"):
            run(store, suite)
    failed = store.get_run("latest")
    assert failed["status"] == "failed"
    second = run(store, suite)
    assert not any(n.startswith(REUSED) for n in second.notices) and second.stats.scored > 0
    assert run(store, suite).notices[0].startswith(f"{REUSED}{second.run_id}:")


def test_the_cli_rerun_says_it_reused_and_prints_the_same_leaderboard(tmp_path):
    corpus = write_corpus(tmp_path / "small.jsonl")
    suite = write_suite(tmp_path / "suite.yaml", [corpus])
    command = [sys.executable, "-m", "evals", "run", str(suite), "--db", str(tmp_path / "db"), "--format", "json"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    second = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert first.returncode == second.returncode == 0, second.stderr
    assert "nothing changed since run 1: its translations and scores are reused" in second.stderr
    assert "translated 0 segments" in second.stderr and "scored 0 (" in second.stderr
    assert json.loads(second.stdout) == json.loads(first.stdout)
    quiet = subprocess.run([*command, "-q"], capture_output=True, text=True, cwd=REPO)
    assert quiet.returncode == 0 and quiet.stderr == "" and json.loads(quiet.stdout) == json.loads(first.stdout)
