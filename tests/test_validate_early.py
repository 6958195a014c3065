"""A suite that cannot run fails before anything runs, naming the suite file, line and field, storing nothing.

Issue 16, points 8 and 9: a ``file:`` system with the wrong line count, a
JSONL file missing an id or two systems with one name were reported at that
system's turn, after the systems before it had been translated and scored
into a run that ended ``failed``; metric-option and "same corpus twice"
errors did not say where in the suite they were. Now ``evals.preflight``
checks every corpus, system (``System.check``) and metric first. Each case
runs the real CLI (``mteval run SUITE --db ...``) twice:

* against a store that already holds a good run: exit 2, one line, no
  traceback, and the database's full SQL dump is byte-for-byte what it was
  (no run row, no translation, no cached statistic);
* against a path where there is no store yet: none is created.

The broken system is always the *second*: the first, good one must not be
translated or scored either.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from evals.errors import InputError
from evals.runner import Runner
from evals.store import open_store
from evals.suite import load_suite
from tests.test_bad_input import CORPUS, copy_files, HYP_JSONL, HYP_LINES, HYP_TXT, HYPS, cli, hyps_with, jline, \
    segment_obj, subprocess_cli, write_files

GOOD = "{spec: 'file:good.jsonl', name: good}"
XML = """<?xml version="1.0" encoding="utf-8"?>
<dataset id="t"><collection id="general"><doc id="x1" origlang="zh">
<src lang="zh"><p><seg id="1">你好。</seg></p></src>
<ref lang="en" translator="A"><p><seg id="1">Hello.</seg></p></ref>
<hyp lang="en" system="sysX"><p><seg id="1">Hi.</seg></p></hyp>
</doc></collection></dataset>
"""
OTHER_NEWS = "\n".join(jline(segment_obj("d9", f"s{i}", "又一句话。", "One more.")) for i in (4, 5)) + "\n"
FILES = {
    "news.jsonl": CORPUS, "good.jsonl": HYP_JSONL, "good.txt": HYP_TXT, "other-news.jsonl": OTHER_NEWS,
    "short.txt": "\n".join(HYPS[:3]) + "\n", "long.txt": HYP_TXT + "one more\n",
    "missing.jsonl": hyps_with(HYP_LINES[:3]),
    "extra.jsonl": hyps_with([*HYP_LINES, jline({"seg_id": "s9", "hypothesis": "x"})]),
    "wmt.xml": XML,
}


def suite(*systems: str, corpora: str = "[news.jsonl]", metrics: str = "[bleu, chrf]") -> str:
    """A suite with one system per line from line 4 on (line 4 is the good system)."""
    listed = "".join(f"  - {s}\n" for s in (GOOD, *systems))
    return f"name: early\ncorpora: {corpora}\nsystems:\n{listed}metrics: {metrics}\n"


CASES = {  # id: (suite text, fragments of the one error line)
    "text-one-line-too-few": (suite("{spec: 'file:short.txt', name: b}"),
                              ["short.txt", "3 lines", "4 segments in corpus 'news'", "system 'b', suite.yaml:5"]),
    "text-one-line-too-many": (suite("file:long.txt"), ["long.txt", "5 lines", "suite.yaml:5"]),
    "jsonl-missing-id": (suite("{spec: 'file:missing.jsonl', name: b}"),
                         ["missing.jsonl", "[seg_id]", "1 missing id: 's4'", "system 'b', suite.yaml:5"]),
    "jsonl-extra-id": (suite("file:extra.jsonl"), ["extra.jsonl:5", "[seg_id]", "'s9'", "suite.yaml:5"]),
    "xml-no-hypothesis-for-the-corpus": (suite("xml:wmt.xml#sysX"),
                                         ["wmt.xml", "[seg_id]", "sysX", "no hypothesis", "suite.yaml:5"]),
    "same-name-twice": (suite("{spec: 'file:good.txt', name: good}"),
                        ["suite.yaml:5", "[name]", "two systems are named 'good' (lines 4 and 5)"]),
    "same-resolved-name-twice": (suite("copy", "copy"),
                                 ["suite.yaml:6", "[name]", "two systems are named 'copy' (lines 5 and 6)"]),
    "name-of-a-spec-given-twice": (suite("copy", "{spec: 'file:good.txt', name: copy}"),
                                   ["suite.yaml:6", "[name]", "'copy' (lines 5 and 6)"]),
    "system-unknown-option": (suite("{spec: copy, name: b, options: {bem: 4}}"),
                              ["suite.yaml:5", "[bem]", "has no option 'bem'"]),
    "metric-unknown-option": (suite("copy", metrics="\n  - chrf\n  - name: bleu\n    options:\n"
                                                     "      smoth_method: exp\n"),
                              ["suite.yaml:10", "[smoth_method]", "did you mean 'smooth_method'?"]),
    "metric-option-wrong-type": (suite("copy", metrics="\n  - name: bleu\n    options: {max_ngram_order: many}\n"),
                                 ["suite.yaml:8", "[max_ngram_order]", "'many'"]),
    "metric-argument-where-none-is-taken": (suite("copy", metrics="[bleu, 'chrf:x']"),
                                            ["suite.yaml:6", "[metric]", "takes no ':' argument"]),
    "model-metric-unknown-option": (suite("copy", metrics="\n  - {name: 'comet:/no/such/checkpoint', "
                                                          "options: {batch_sise: 8}}\n"),
                                    ["suite.yaml:7", "[batch_sise]", "did you mean 'batch_size'?"]),
    "same-corpus-file-twice": (suite("copy", corpora="\n  - news.jsonl\n  - news.jsonl"),
                               ["suite.yaml:4", "[corpora]", "corpus 'news' is given twice",
                                "entries 1 and 2 (lines 3 and 4)", "'s1'"]),
    "two-files-one-corpus-name-same-ids": (suite("copy", corpora="\n  - news.jsonl\n"
                                                                 "  - {path: other-news.jsonl, name: news}"),
                                           ["suite.yaml:4", "[corpora]", "given twice", "'s4'"]),
}


def sql_dump(db: Path) -> list[str]:
    """Every row and table of the store, as SQL (reads the WAL too): equal dumps, nothing stored."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def good_store(tmp_path_factory):
    """A store holding one good run of the good system (made once, copied per test)."""
    folder = tmp_path_factory.mktemp("early")
    write_files(folder, {**FILES, "suite.yaml": suite()})
    done = subprocess_cli(["run", "suite.yaml", "--db", folder / "r.db", "--quiet"], folder)
    assert done.code == 0, done.err
    return folder


@pytest.fixture
def workdir(good_store, tmp_path, monkeypatch):
    copy_files(good_store, tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_one_line_error(outcome, fragments: list[str]) -> None:
    assert "Traceback" not in outcome.text, outcome.text
    assert outcome.code == 2, outcome.text
    message = outcome.err.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("case", list(CASES))
def test_a_suite_that_cannot_run_fails_first_and_stores_nothing(case, workdir, capsys):
    text, fragments = CASES[case]
    (workdir / "suite.yaml").write_text(text, encoding="utf-8")
    db = workdir / "r.db"
    before = sql_dump(db)
    outcome = cli(["run", "suite.yaml", "--db", db, "--quiet", "--format", "json"], capsys)
    assert_one_line_error(outcome, fragments)
    assert sql_dump(db) == before  # no run row, no translation of the good system, no cached score

    fresh = workdir / "fresh" / "new.db"
    fresh.parent.mkdir()
    again = cli(["run", "suite.yaml", "--db", fresh, "--quiet"], capsys)
    assert_one_line_error(again, fragments)
    assert list(fresh.parent.iterdir()) == []  # no store was created


def test_the_same_through_python_m_evals(workdir):
    """The exit code and the one stderr line a shell or CI sees."""
    (workdir / "suite.yaml").write_text(CASES["jsonl-missing-id"][0], encoding="utf-8")
    before = sql_dump(workdir / "r.db")
    done = subprocess_cli(["run", "suite.yaml", "--db", workdir / "r.db", "--quiet"], workdir)
    assert done.code == 2 and "Traceback" not in done.err, done.err
    assert len(done.err.strip().splitlines()) == 1 and "'s4'" in done.err, done.err
    assert sql_dump(workdir / "r.db") == before


def test_the_runner_itself_checks_before_it_stores(workdir):
    """Library callers (``Runner.run(suite)``) get the same checks: no run is created."""
    (workdir / "suite.yaml").write_text(CASES["text-one-line-too-few"][0], encoding="utf-8")
    before = sql_dump(workdir / "r.db")
    with open_store(workdir / "r.db") as store:
        with pytest.raises(InputError, match="3 lines"):
            Runner(store).run(load_suite(workdir / "suite.yaml"))
    assert sql_dump(workdir / "r.db") == before


def test_duplicate_names_from_the_command_line(workdir, capsys):
    """A ``--system`` named like a suite system names the suite line; two equal flags say so."""
    (workdir / "suite.yaml").write_text(suite(), encoding="utf-8")
    outcome = cli(["run", "suite.yaml", "--system", "copy", "--system", "copy", "--db", workdir / "n.db",
                   "--quiet"], capsys)
    assert_one_line_error(outcome, ["[name]", "two systems are named 'copy'", "--system copy and --system copy"])
    (workdir / "suite.yaml").write_text(suite("copy"), encoding="utf-8")
    outcome = cli(["run", "suite.yaml", "--system", "copy", "--db", workdir / "n.db", "--quiet"], capsys)
    assert_one_line_error(outcome, ["suite.yaml:5", "[name]", "line 5 and --system copy"])
    assert not (workdir / "n.db").exists()


def test_merged_entries_with_distinct_ids_still_make_one_corpus(workdir, capsys):
    """Two files named as one corpus are one corpus, as before, when their ids differ."""
    other = OTHER_NEWS.replace('"s4"', '"s6"')
    write_files(workdir, {"other-news.jsonl": other, "six.txt": HYP_TXT + "six\nfive\n"})
    (workdir / "suite.yaml").write_text(
        suite(corpora="\n  - news.jsonl\n  - {path: other-news.jsonl, name: news}").replace(GOOD, "file:six.txt"),
        encoding="utf-8")
    outcome = cli(["run", "suite.yaml", "--db", workdir / "r.db", "--quiet", "--format", "json"], capsys)
    assert outcome.code == 0 and "Traceback" not in outcome.text, outcome.text
